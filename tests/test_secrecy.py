"""Secondary secrecy (gupgeo.secrecy): complementary suppression on hand-made tables.

Small tables with margins whose expected masks are worked out by hand: one secret in
a row hides the smallest other cell of that row, the rule iterates across rows and
columns, totals with a single secret part, blocks joined by one cell (the audit),
cells not shown at all.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gupgeo.secrecy import (
    Line,
    complementary_suppression,
    recoverable_cells,
    secrecy_note,
    suppress_table,
    table_lines,
)


def grid(rows: dict[str, list[int]], columns: list[str]) -> pd.DataFrame:
    """A table with its total column and total row added."""
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame["total"] = frame.sum(axis=1)
    frame.loc["total"] = frame.sum(axis=0)
    return frame


def cells_of(mask: pd.DataFrame) -> set[tuple[str, str]]:
    return {(r, c) for r in mask.index for c in mask.columns if mask.loc[r, c]}


def test_one_secret_in_a_row_hides_the_smallest_other_cell_of_the_row():
    counts = pd.DataFrame(
        {"périmètre": [6], "abords": [226], "total": [232]}, index=["encombrants"]
    )
    mask = suppress_table(counts, counts < 11, total_column="total")
    assert cells_of(mask) == {("encombrants", "périmètre"), ("encombrants", "abords")}


def test_the_rule_iterates_across_rows_and_columns():
    #        a    b    c   total
    # x      3   20   30     53      (x, a) secret: (x, b) is the smallest other of row x;
    # y     15   25   40     80      column a then hides (z, a) = 12, column b (z, b) = 14,
    # z     12   14   50     76      and row z holds two: stable.
    counts = grid({"x": [3, 20, 30], "y": [15, 25, 40], "z": [12, 14, 50]}, ["a", "b", "c"])
    mask = suppress_table(counts, counts < 11, total_row="total", total_column="total")
    assert cells_of(mask) == {("x", "a"), ("x", "b"), ("z", "a"), ("z", "b")}
    assert mask.index.equals(counts.index) and mask.columns.equals(counts.columns)


def test_every_line_of_the_result_holds_zero_or_two_hidden_cells():
    counts = grid(
        {
            "r1": [2, 40, 33, 12],
            "r2": [25, 5, 60, 18],
            "r3": [31, 28, 9, 44],
            "r4": [70, 11, 15, 3],
        },
        ["a", "b", "c", "d"],
    )
    mask = suppress_table(counts, counts < 11, total_row="total", total_column="total")
    for label in counts.index:
        assert mask.loc[label].sum() != 1, label
    for column in counts.columns:
        assert mask[column].sum() != 1, column
    assert not mask.loc["total", "total"]
    lines = table_lines(counts, total_row="total", total_column="total")
    assert recoverable_cells(lines, cells_of(mask)) == frozenset()


def test_a_table_without_secret_is_left_alone():
    counts = grid({"x": [12, 20], "y": [15, 25]}, ["a", "b"])
    mask = suppress_table(counts, counts < 11, total_row="total", total_column="total")
    assert not mask.to_numpy().any()


def test_stock_buckets_with_their_total():
    # 30 − 13 − 15 → 2: the smallest other bucket goes too, the total stays.
    values = {"stock": 30, "≤ 4 sem.": 2, "4 à 8 sem.": 13, "> 8 sem.": 15}
    lines = [Line("stock", ("≤ 4 sem.", "4 à 8 sem.", "> 8 sem."))]
    hidden = complementary_suppression(values, {"≤ 4 sem."}, lines)
    assert hidden == {"≤ 4 sem.", "4 à 8 sem."}


def test_a_total_with_a_single_part_is_hidden_with_it():
    values = {"figure": 7, "copy": 7.0}
    assert complementary_suppression(values, {"copy"}, [Line("figure", ("copy",))]) == {
        "figure",
        "copy",
    }


def test_a_secret_total_with_shown_parts_hides_a_part():
    # Parts of 12 and 15 would give the total 27 back; a secret total has secret parts
    # in real tables, but the rule does not rely on it.
    values = {"t": 27, "a": 12, "b": 15}
    assert complementary_suppression(values, {"t"}, [Line("t", ("a", "b"))]) == {"t", "a"}


def test_a_hidden_zero_protects_nothing():
    # "inconnu" is 0 in most quartiers: a reader would guess it and get "en cours" back.
    values = {"total": 100, "nouveau": 47, "en cours": 8, "inconnu": 0, "résolu": 45}
    lines = [Line("total", ("nouveau", "en cours", "inconnu", "résolu"))]
    hidden = complementary_suppression(values, {"en cours", "inconnu"}, lines)
    assert hidden == {"en cours", "inconnu", "résolu"}


def test_a_lone_hidden_zero_gets_a_complement():
    values = {"total": 50, "a": 0, "b": 20, "c": 30}
    lines = [Line("total", ("a", "b", "c"))]
    assert complementary_suppression(values, {"a"}, lines) == {"a", "b"}


def test_hidden_cells_adding_up_to_zero_are_all_zero():
    # 50 − 50 = 0 = a + b: counts are never negative, so a = b = 0. A part equal to the
    # total goes rather than the total.
    values = {"total": 50, "a": 0, "b": 0, "c": 50}
    lines = [Line("total", ("a", "b", "c"))]
    assert complementary_suppression(values, {"a", "b"}, lines) == {"a", "b", "c"}


def test_blocks_joined_by_one_cell_are_caught_by_the_audit():
    # Two 2 × 2 blocks of secrets joined by (r1, c3): every row and column holds two or
    # three hidden cells, yet r1 + r2 − c1 − c2 gives (r1, c3) back.
    rows = {"r1": [3, 4, 5, 50], "r2": [6, 2, 40, 45], "r3": [30, 35, 7, 8], "r4": [42, 38, 9, 1]}
    counts = grid(rows, ["c1", "c2", "c3", "c4"])
    lines = table_lines(counts, total_row="total", total_column="total")
    primary = cells_of(counts < 11)
    assert primary == {("r1", "c1"), ("r1", "c2"), ("r1", "c3"), ("r2", "c1"), ("r2", "c2"),
                       ("r3", "c3"), ("r3", "c4"), ("r4", "c3"), ("r4", "c4")}  # fmt: skip
    assert recoverable_cells(lines, primary) == {("r1", "c3")}
    values = {(r, c): float(counts.loc[r, c]) for r in counts.index for c in counts.columns}
    hidden = complementary_suppression(values, primary, lines)
    assert recoverable_cells(lines, hidden) == frozenset()
    # The smallest shown cell of a line through (r1, c3) is (r2, c3) = 40 (row r1 shows
    # 50 and 62); it closes a cycle r1–c1–r2–c3, and every line already holds two.
    assert hidden - primary == {("r2", "c3")}


def test_a_cell_not_shown_is_an_unknown_but_never_hidden_nor_protected():
    # h1 (not printed) is the sum of the first-half counts and also of quarters printed
    # elsewhere: h1 becomes known, so the lone secret (a) would come back with it.
    values = {"h1": math.nan, "a": 4, "b": 30, "q1": 20, "q2": 14}
    lines = [Line("h1", ("a", "b")), Line("h1", ("q1", "q2"))]
    assert recoverable_cells(lines, {"a"}, unknown={"h1"}) == {"a"}
    hidden = complementary_suppression(values, {"a"}, lines)
    assert hidden == {"a", "b"}
    # A line whose only unknown is a cell not shown needs nothing.
    alone = {"h1": math.nan, "x": 20, "y": 30}
    assert complementary_suppression(alone, set(), [Line("h1", ("x", "y"))]) == set()


def test_linked_tables_share_their_cells():
    # A key figure detailed by two tables: each table alone is safe, but the perimeter
    # count of "tags" is both a part of the figure and the total of its before/after.
    values = {"figure": 60, "tags": 20, "voirie": 40, "tags avant": 5, "tags après": 15}
    lines = [Line("figure", ("tags", "voirie")), Line("tags", ("tags avant", "tags après"))]
    hidden = complementary_suppression(values, {"tags avant"}, lines)
    assert hidden == {"tags avant", "tags après"}
    assert recoverable_cells(lines, hidden) == frozenset()


def test_table_lines_names_cells_of_linked_tables():
    counts = pd.DataFrame({"a": [1, 2], "total": [1, 2]}, index=["x", "total"])
    lines = table_lines(counts, total_row="total", total_column="total", name="t")
    assert Line(("t", "x", "total"), (("t", "x", "a"),)) in lines
    assert Line(("t", "total", "a"), (("t", "x", "a"),)) in lines


def test_bad_inputs_are_reported_in_french():
    with pytest.raises(ValueError, match="total_row : 'somme' absent du tableau"):
        table_lines(pd.DataFrame({"a": [1]}), total_row="somme")
    with pytest.raises(ValueError, match="sans partie"):
        complementary_suppression({"t": 1}, set(), [Line("t", ())])
    with pytest.raises(ValueError, match=r"cellules sans valeur \['b'\]"):
        complementary_suppression({"t": 1, "a": 1}, set(), [Line("t", ("a", "b"))])
    counts = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match="mêmes lignes et colonnes"):
        suppress_table(counts, pd.DataFrame({"b": [True]}))


def test_the_note_is_french_and_names_the_threshold():
    note = secrecy_note(11)
    assert "inférieur à 11" in note and "secret secondaire" in note
