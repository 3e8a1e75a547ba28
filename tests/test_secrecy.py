"""Secondary secrecy (gupgeo.secrecy): complementary suppression on hand-made tables.

Small tables with margins whose expected masks are worked out by hand: one secret in
a row hides the smallest other cell of that row, the rule iterates across rows and
columns, totals with a single secret part, blocks joined by one cell (the audit),
cells not shown at all.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import gupgeo
from gupgeo.atlas import build_atlas
from gupgeo.attribution.territory import attributed
from gupgeo.indicators.catalog import column_unit
from gupgeo.review.build import review_operation
from gupgeo.review.charts import quarter_chart
from gupgeo.review.data import ZONES
from gupgeo.review.secrecy import QUARTERS, secret_cells
from gupgeo.secrecy import (
    Line,
    complementary_suppression,
    recoverable_cells,
    secrecy_note,
    suppress_table,
    table_lines,
)
from tests._html_parse import Page, parse

SECRET = "secret"


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


# --- every subtraction across the tables of a public page -------------------------------------
#
# The public review of OP-03 and a public atlas of two quartiers, built from the sample and
# read back from their HTML. Each additive relation a reader can see is declared here (and
# checked to hold exactly on the interne build of the same page); on the public build every
# such line holds zero or at least two secret cells, and solving all lines at once (even
# with the secret zeros guessed) gives no secret back.

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
THRESHOLD = 11
BUILD_DATE = "2025-01-15"


@pytest.fixture(scope="module")
def territory() -> Any:
    return attributed(gupgeo.load_territory(SAMPLE))


def read_cells(cells: dict[str, str], key: str, text: str, value: str) -> None:
    """Record one printed count: "secret", or its raw value; a figure printed twice
    must read the same everywhere."""
    state = SECRET if text == SECRET else value
    assert cells.setdefault(key, state) == state, (key, cells[key], state)


def check_lines(
    shown: dict[str, str], truth: dict[str, str], lines: list[tuple[str, list[str]]]
) -> None:
    """The public page (``shown``) against the interne one (``truth``) on ``lines``."""
    as_lines = []
    for total, parts in lines:
        cells = [total, *parts]
        if any(c not in truth for c in cells):
            continue
        numbers = [float(truth[c]) for c in cells]
        assert math.isclose(numbers[0], sum(numbers[1:])), (total, parts)  # a real relation
        secret = [c for c in cells if shown[c] == SECRET]
        assert len(secret) != 1, (total, secret)  # total minus the shown cells gives nothing
        as_lines.append(Line(total, tuple(parts)))
    hidden = {c for line in as_lines for c in line.cells if shown[c] == SECRET}
    primary = {c for c in hidden if float(truth[c]) < THRESHOLD}
    assert primary, "the page should hold secrets"
    assert not recoverable_cells(as_lines, hidden) & primary
    zeros = {c for c in hidden if float(truth[c]) == 0}
    assert not recoverable_cells(as_lines, hidden - zeros) & (primary - zeros)


# The review: key figures, category table (zones, halves), before/after in the périmètre.


@pytest.fixture(scope="module")
def reviews(territory: Any, fake_assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("revues")
    out = {}
    for profile in ("interne", "public"):
        review = review_operation(
            territory, "OP-03", basemap=None, publication=profile, build_date=BUILD_DATE
        )
        out[profile] = (review, parse(review.save(folder / f"{profile}.html")))
    return out


def review_cells(page: Page) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    cells: dict[str, str] = {}
    for key, value, text in page.indicators:
        if key in ("revue:perimetre", "revue:abords"):
            read_cells(cells, key, text, value)
    lines: list[tuple[str, list[str]]] = []
    names = ("perimetre", "abords", "total", "moitie1", "moitie2")
    categories = []
    for texts, values in zip(
        page.tables["categories"], page.table_values["categories"], strict=True
    ):
        label = texts[0]
        categories.append(label)
        for name, text, value in zip(names, texts[1:6], values[1:6], strict=True):
            read_cells(cells, f"cat:{label}:{name}", text, value)
        lines.append((f"cat:{label}:total", [f"cat:{label}:perimetre", f"cat:{label}:abords"]))
        lines.append((f"cat:{label}:total", [f"cat:{label}:moitie1", f"cat:{label}:moitie2"]))
    for zone in ("perimetre", "abords"):
        lines.append((f"revue:{zone}", [f"cat:{c}:{zone}" for c in categories]))
    rows = list(zip(page.tables["avant-apres"], page.table_values["avant-apres"], strict=True))
    labels = [texts[0] for texts, _ in rows]
    for texts, values in rows:
        read_cells(cells, f"ba:{texts[0]}:avant", texts[1], values[1])
        read_cells(cells, f"ba:{texts[0]}:apres", texts[3], values[3])
        if texts[1] == SECRET:  # a rate or a change next to a secret count gives it back
            assert texts[2] == SECRET and texts[5] == SECRET, texts
        if texts[3] == SECRET:
            assert texts[4] == SECRET and texts[5] == SECRET, texts
    for label in labels[:-1]:
        lines.append((f"cat:{label}:perimetre", [f"ba:{label}:avant", f"ba:{label}:apres"]))
    for when in ("avant", "apres"):
        lines.append((f"ba:Total:{when}", [f"ba:{c}:{when}" for c in labels[:-1]]))
    lines.append(("revue:perimetre", ["ba:Total:avant", "ba:Total:apres"]))
    return cells, lines


def test_no_secret_of_the_public_review_comes_back_by_subtraction(reviews: Any):
    shown, lines = review_cells(reviews["public"][1])
    truth, _ = review_cells(reviews["interne"][1])
    assert shown["cat:encombrants:perimetre"] == SECRET  # 6: the case of the issue
    assert shown["cat:encombrants:abords"] == SECRET  # else 232 − 226 gives it back
    check_lines(shown, truth, lines)


def test_no_count_below_the_threshold_is_shown_in_the_public_review(reviews: Any):
    shown, _ = review_cells(reviews["public"][1])
    small = {k: v for k, v in shown.items() if v != SECRET and float(v) < THRESHOLD}
    assert small == {}
    page = reviews["public"][1]
    assert ("revue:constats", "", SECRET) in page.indicators
    assert "secret secondaire" in page.text


def test_the_public_quarter_chart_leaves_out_every_secret_bar(reviews: Any):
    (review, page), (interne, _) = reviews["public"], reviews["interne"]
    secret = secret_cells(review)
    quarters = review.signalements_by_quarter
    hidden = {(q, z) for q in quarters.index for z in ZONES if (QUARTERS, q, z) in secret}
    assert all((q, z) in hidden for q in quarters.index for z in ZONES if quarters.loc[q, z] < 11)
    bars = re.compile(r'<g id="patch_\d+">')
    drawn = len(bars.findall(quarter_chart(interne))) - len(bars.findall(quarter_chart(review)))
    assert drawn == len(hidden)
    figures = {k: t for k, _, t in page.indicators}
    for zone, key in ((ZONES[0], "revue:perimetre"), (ZONES[1], "revue:abords")):
        in_line = [(q, zone) for q in quarters.index if (q, zone) in hidden]
        assert len(in_line) + (figures[key] == SECRET) != 1, zone


# The atlas: a page's tables and key figures, and the index that repeats them.

ATLAS_LINES: list[tuple[str, list[str]]] = [
    ("signalements:stock_fin_periode", [f"signalements:{c}" for c in (
        "stock_4_semaines_ou_moins", "stock_4_a_8_semaines", "stock_plus_8_semaines")]),
    ("signalements:nb_signalements",
     ["signalements:nb_periode_precedente", "signalements:evolution_nb"]),
    ("degradations:nb_degradations",
     ["degradations:nb_periode_precedente", "degradations:evolution_nb"]),
    ("signalements:nb_signalements", ["signalements_proximite:nb_signalements"]),
    ("constats:nb_constats", [f"constats:nb_gravite_{g}" for g in ("1", "2", "3", "inconnue")]),
]  # fmt: skip
ATLAS_SUMS = {
    "signalements:nb_signalements": ("signalements_par_categorie", "signalements_par_statut"),
    "constats:nb_constats": ("constats_par_theme",),
    "actions:nb_actions": ("actions_par_theme",),
    "garanties:nb_recours": ("garanties_par_objet",),
}
"""Totals and the per-category tables that add up to them (every column of the table)."""
DEGRADATION_SUMMARY = {"nb_degradations", "par_1000_habitants", "par_ha",
                       "nb_periode_precedente", "evolution_nb", "evolution_pct"}  # fmt: skip
SELECTED = ["LOC-SANITAS", "LOC-RABIERE"]


@pytest.fixture(scope="module")
def atlases(territory: Any, fake_assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = {}
    for profile in ("interne", "public"):
        out[profile] = build_atlas(
            territory, tmp_path_factory.mktemp(profile), period="2024", quartiers=SELECTED,
            publication=profile, workers=1, progress=False, build_date=BUILD_DATE,
        )  # fmt: skip
    return out


def atlas_cells(page: Page) -> dict[str, str]:
    cells: dict[str, str] = {}
    for key, value, text in page.indicators:
        if ":" in key and not key.startswith("quartiers:"):
            read_cells(cells, key, text, value)
    return cells


def atlas_lines(*pages: dict[str, str]) -> list[tuple[str, list[str]]]:
    """The declared lines, each category table summed over every column met on the pages
    (a row left out of a page is a zero the page does not print)."""
    keys = sorted({k for page in pages for k in page})
    lines = list(ATLAS_LINES)
    for total, tables in ATLAS_SUMS.items():
        lines += [(total, [k for k in keys if k.startswith(f"{t}:")]) for t in tables]
    types = [k for k in keys if k.startswith("degradations:")]
    types = [k for k in types if k.split(":", 1)[1] not in DEGRADATION_SUMMARY]
    return [*lines, ("degradations:nb_degradations", types)]


def with_zeros(cells: dict[str, str], lines: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Rows a page leaves out are zeros its reader knows."""
    out = dict(cells)
    for total, parts in lines:
        for key in [total, *parts]:
            out.setdefault(key, "0")
    return out


def test_no_secret_of_a_public_atlas_page_comes_back_by_subtraction(atlases: Any):
    public, interne = atlases["public"], atlases["interne"]
    assert public.ok and interne.ok
    for page_public, page_interne in zip(public.pages, interne.pages, strict=True):
        shown = atlas_cells(parse(public.out_dir / page_public.href))
        truth = atlas_cells(parse(interne.out_dir / page_interne.href))
        lines = atlas_lines(shown, truth)
        check_lines(with_zeros(shown, lines), with_zeros(truth, lines), lines)


def test_rabiere_statuses_no_longer_give_en_cours_back(atlases: Any):
    result = atlases["public"]
    page = next(p for p in result.pages if p.code_qp == "LOC-RABIERE")
    shown = atlas_cells(parse(result.out_dir / page.href))
    secret = [
        k for k, v in shown.items() if k.startswith("signalements_par_statut:") and v == SECRET
    ]
    # 1 198 − (43 + 18 + 21 + 1 046 + 62) gave "en cours" = 8; "inconnu" (0) guards nothing.
    assert secret == ["signalements_par_statut:pris en compte", "signalements_par_statut:en cours",
                      "signalements_par_statut:inconnu"]  # fmt: skip


def test_no_count_below_the_threshold_is_shown_on_a_public_atlas(atlases: Any):
    result = atlases["public"]
    for ref in result.pages:
        page = parse(result.out_dir / ref.href)
        shown = atlas_cells(page)
        for key, state in shown.items():
            table, column = key.split(":", 1)
            count = column_unit(table, column) == "nombre" and column != "evolution_nb"
            if state != SECRET and count:  # the change in number is a difference, not a count
                assert float(state) >= THRESHOLD, (ref.code_qp, key, state)
        rates = {k for k in shown if column_unit(*k.split(":", 1)) in ("%", "pour 1 000 habitants")}
        for key in rates:  # a rate of a secret count would give it back with the population
            table = key.split(":")[0]
            count = "nb_degradations" if table == "degradations" else "nb_signalements"
            if shown.get(f"{table}:{count}") == SECRET:
                assert shown[key] == SECRET, key
        # Veille: hot spots listed from 11 signalements (smaller cells are "secret
        # statistique", never hot spots), repeated problems counted but never located.
        hot = page.table_values["veille-chauds"]
        assert hot and all(int(r[2]) >= THRESHOLD for r in hot)
        assert "veille-repetes" not in page.tables
        assert "ne sont pas localisés" in page.text
        repeated = {k for k in shown if k.startswith("problemes_repetes:")}
        assert len(repeated) == 3  # counted above like every figure: ≥ 11 or secret
        assert "secret secondaire" in page.text


def test_the_public_index_hides_what_the_pages_hide(atlases: Any):
    result = atlases["public"]
    index = parse(result.index)
    rows = index.tables["comparaison"]
    assert len(rows) == len(result.pages)
    assert all(SECRET in row for row in rows)  # constats ouverts
    in_index: dict[str, list[str]] = {}
    for key, value, text in index.indicators:
        if not key.startswith("quartiers:"):
            in_index.setdefault(key, []).append(SECRET if text == SECRET else value)
    for position, ref in enumerate(result.pages):
        page = atlas_cells(parse(result.out_dir / ref.href))
        for key, states in in_index.items():
            if key in page:
                assert states[position] == page[key], (ref.code_qp, key)
