"""Secondary statistical secrecy: no secret count can be recomputed from the counts shown.

Primary secrecy (:func:`gupgeo.publication.apply_secret`) writes "secret" for every
count below the threshold. A table that also prints its totals gives such a count
back by subtraction: "encombrants : périmètre secret, abords 226, total 232" says 6.
Statistical offices answer with *complementary suppression*: other cells are hidden
too, so that every secret cell keeps at least one unknown companion in every sum it
belongs to.

The model
---------
A page is a set of *cells* (any hashable key) with their values, and a list of
:class:`Line` — additive relations ``total = sum(parts)`` that a reader can see: a row
of a table and its total column, a column and its total row, a key figure and the
table detailing it, one figure printed twice (``Line(a, (b,))``). Tables printed on
the same page share cells and are protected together. A cell whose value is missing
(NaN) is not shown at all: it needs no protection, but it is an unknown for the
reader too.

The rule (:func:`complementary_suppression`)
--------------------------------------------
1. In every line holding exactly one hidden cell, hide the smallest shown cell of
   the line as well (a part before its total, since parts are smaller); repeat over
   all lines until none holds exactly one hidden cell. This is the classic rule:
   in every row and column with a total, zero or at least two hidden cells; a total
   whose parts are all shown but one secret gets a second part hidden (or the total
   itself when it has a single part).
2. A hidden zero protects nothing: it stays "secret" (zero is below the threshold),
   but a reader may guess it (the status "inconnu", a thème never used), and hidden
   cells adding up to 0 are all 0 since counts are never negative. So every primary
   secret also needs another *non-zero* hidden (or unknown) cell in each of its
   lines; complements are chosen among non-zero cells.
3. Audit (:func:`recoverable_cells`): solve the whole system of lines for the hidden
   cells, exactly and with the hidden zeros taken as guessed. Rules 1–2 are not
   enough when hidden cells form blocks joined by a single cell, or when lines of
   several tables chain (a figure detailed by two tables): a secret is still
   determined by a combination of subtractions. While a primary secret is
   determined, hide the smallest shown cell of a line through it, and go back to 1.

Limits
------
- Exact recomputation only (and the zero case of rule 2). Counts are non-negative,
  so a reader still gets bounds: a secret 3 hidden with a complement 12 in a line
  totalling 15 lies in [0, 15]. Offices that guarantee a protection *interval* use
  linear programming (τ-ARGUS); this module does not.
- Only the lines given are protected: the caller must declare every additive
  relation shown on a page (and on pages printing the same figures, such as an
  atlas index). Rates, shares and changes are not sums: hide them with the counts
  they are computed from (the caller's job, see :mod:`gupgeo.atlas._secrecy` and
  :mod:`gupgeo.review.secrecy`).
- Greedy, not optimal: the smallest cell is hidden first, which may hide more cells
  than the minimal pattern would.

Pure Python and numpy: the atlas and the review share it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

SECRET = "secret"
"""How a count withheld by statistical secrecy reads, in every product."""

_TOLERANCE = 1e-9
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Line:
    """An additive relation a reader can see: ``value(total) == sum(value(parts))``."""

    total: Hashable
    parts: tuple[Hashable, ...]

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


def table_lines(
    frame: pd.DataFrame,
    *,
    total_row: Hashable | None = None,
    total_column: Hashable | None = None,
    name: Hashable | None = None,
) -> list[Line]:
    """The lines of a table with margins: each row sums to ``total_column``, each column
    to ``total_row`` (the total row and column included: the grand total is both).

    Cells are keyed ``(row, column)``, or ``(name, row, column)`` when ``name`` is given
    (to link several tables of a page in one call of :func:`complementary_suppression`).
    """
    for label, value, axis in (
        ("total_row", total_row, frame.index),
        ("total_column", total_column, frame.columns),
    ):
        if value is not None and value not in axis:
            raise ValueError(
                f"{label} : {value!r} absent du tableau ; attendu l'un de {list(axis)}"
            )

    def key(row: Hashable, column: Hashable) -> Hashable:
        return (row, column) if name is None else (name, row, column)

    lines = []
    if total_column is not None:
        parts = [c for c in frame.columns if c != total_column]
        lines += [Line(key(r, total_column), tuple(key(r, c) for c in parts)) for r in frame.index]
    if total_row is not None:
        parts = [r for r in frame.index if r != total_row]
        lines += [Line(key(total_row, c), tuple(key(r, c) for r in parts)) for c in frame.columns]
    return lines


def _check(values: Mapping[K, float], lines: Sequence[Line]) -> None:
    problems = []
    for line in lines:
        if not line.parts:
            problems.append(f"ligne de total {line.total!r} sans partie")
        missing = [c for c in line.cells if c not in values]
        if missing:
            problems.append(f"ligne de total {line.total!r} : cellules sans valeur {missing}")
    if problems:
        raise ValueError("secret secondaire : " + " ; ".join(problems))


def _is_shown(values: Mapping[K, float], cell: K) -> bool:
    value = values[cell]
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def recoverable_cells(
    lines: Sequence[Line], hidden: Iterable[K], *, unknown: Iterable[Hashable] = ()
) -> frozenset[K]:
    """The hidden cells whose value follows from the shown ones through the lines.

    Every line is an equation; with the shown cells known, a hidden cell is
    determined when its unit vector lies in the row space of the system restricted to
    the hidden (and ``unknown``: not shown, not protected) cells, i.e. when the null
    space of that system is zero on it. This tries every combination of
    subtractions across the lines at once.

    Examples
    --------
    >>> lines = [Line("total", ("a", "b", "c"))]
    >>> sorted(recoverable_cells(lines, {"a"})), sorted(recoverable_cells(lines, {"a", "b"}))
    (['a'], [])
    """
    hidden_set = set(hidden)
    unknowns: set[Hashable] = {*hidden_set, *unknown}
    order: dict[Hashable, int] = {}
    rows = []
    for line in lines:
        coefficients: dict[int, float] = {}
        for cell, sign in ((line.total, 1.0), *((p, -1.0) for p in line.parts)):
            if cell in unknowns:
                j = order.setdefault(cell, len(order))
                coefficients[j] = coefficients.get(j, 0.0) + sign
        if coefficients:
            rows.append(coefficients)
    if not rows:
        return frozenset()
    matrix = np.zeros((len(rows), len(order)))
    for i, coefficients in enumerate(rows):
        for j, value in coefficients.items():
            matrix[i, j] = value
    # e_j is determined iff it lies in the row space: its projection on the row space
    # (spanned by the first ``rank`` right singular vectors of the thin SVD) has norm 1.
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    rank = int((singular > _TOLERANCE * max(1.0, float(singular.max(initial=0.0)))).sum())
    in_row_space = np.square(vt[:rank]).sum(axis=0)
    free = (1.0 - in_row_space) > _TOLERANCE
    return frozenset(c for c in hidden_set if c in order and not free[order[c]])


def complementary_suppression(
    values: Mapping[K, float], secret: Iterable[K], lines: Sequence[Line]
) -> frozenset[K]:
    """The cells to hide so that no ``secret`` cell can be recomputed from the others.

    Parameters
    ----------
    values
        Every cell of the lines with its value; NaN (or None) for a cell that is not
        shown at all (it is then an unknown for the reader, and is never hidden).
    secret
        The cells hidden by primary secrecy (counts below the threshold).
    lines
        The additive relations shown (:class:`Line`, :func:`table_lines`).

    Returns
    -------
    frozenset
        ``secret`` plus the complementary cells (see the module's docstring for the
        rule and its limits). Cells not shown are left out.

    Examples
    --------
    "encombrants : périmètre 6 (secret), abords 226, total 232": the abords go too.

    >>> lines = [Line("total", ("périmètre", "abords"))]
    >>> values = {"périmètre": 6, "abords": 226, "total": 232}
    >>> sorted(complementary_suppression(values, {"périmètre"}, lines))
    ['abords', 'périmètre']
    """
    _check(values, lines)
    unknown = {c for c in values if not _is_shown(values, c)}
    primary = {c for c in secret if c not in unknown}
    hidden = set(primary)
    position = {c: i for i, c in enumerate(values)}

    zeros: set[Hashable] = {c for c in values if c not in unknown and float(values[c]) == 0}
    is_zero = zeros.__contains__

    def smallest(cells: Iterable[Hashable], total: Hashable = None) -> K | None:
        """The smallest shown cell: never a zero if another is left (a zero protects
        nothing), a part rather than its ``total`` when they are equal."""
        wanted = set(cells)
        shown = [c for c in values if c in wanted and c not in hidden and c not in unknown]
        return min(
            shown,
            key=lambda c: (is_zero(c), float(values[c]), c == total, position[c]),
            default=None,
        )

    def lacking(line: Line) -> bool:
        """A hidden cell of the line alone (the classic rule), or a primary secret with
        no other non-zero unknown beside it (a reader may guess the zeros)."""
        inside = [c for c in line.cells if c in hidden or c in unknown]
        if len(inside) == 1 and inside[0] in hidden:
            return True
        guarding = [c for c in inside if not is_zero(c)]
        return any(c in primary and not [g for g in guarding if g != c] for c in inside)

    while True:
        changed = True
        while changed:  # 1. the line rules, until stable
            changed = False
            for line in lines:
                if lacking(line) and (cell := smallest(line.cells, line.total)) is not None:
                    hidden.add(cell)
                    changed = True
        exposed = _exposed(lines, primary, hidden, unknown, is_zero)  # 2. the audit
        if not exposed:
            return frozenset(hidden)
        first = min(exposed, key=lambda c: position[c])
        through = [line for line in lines if first in line.cells]
        cell = smallest(c for line in through for c in line.cells)
        if cell is None:  # fixed by the structure itself (a structural zero): nothing helps
            cell = smallest(c for line in lines for c in line.cells if _touches(line, exposed))
        if cell is None:
            return frozenset(hidden)
        hidden.add(cell)


def _exposed(
    lines: Sequence[Line],
    primary: set[K],
    hidden: set[K],
    unknown: set[K],
    is_zero: Callable[[Hashable], bool],
) -> frozenset[K]:
    """Primary secrets determined by the lines: exactly, or once the hidden zeros are
    guessed (a non-zero secret must stay unknown even then)."""
    exact = recoverable_cells(lines, hidden, unknown=unknown)
    guessed = recoverable_cells(lines, {c for c in hidden if not is_zero(c)}, unknown=unknown)
    return frozenset(c for c in exact | guessed if c in primary)


def _touches(line: Line, cells: frozenset[Hashable]) -> bool:
    return any(c in cells for c in line.cells)


def suppress_table(
    counts: pd.DataFrame,
    secret: pd.DataFrame,
    *,
    total_row: Hashable | None = None,
    total_column: Hashable | None = None,
) -> pd.DataFrame:
    """Complementary suppression on one table with margins: the final mask.

    Parameters
    ----------
    counts
        The table as printed, its total row and/or column included.
    secret
        Booleans of the same shape: the cells hidden by primary secrecy.
    total_row, total_column
        Labels of the total row and column (``None``: the table has none).

    Returns
    -------
    DataFrame
        Booleans, True where a cell must read "secret" (primary or complementary).

    Examples
    --------
    >>> counts = pd.DataFrame({"a": [3, 15, 18], "b": [20, 25, 45]}, index=["x", "y", "total"])
    >>> counts["total"] = counts["a"] + counts["b"]
    >>> mask = suppress_table(counts, counts < 11, total_row="total", total_column="total")
    >>> mask.astype(int).to_dict("list")
    {'a': [1, 1, 0], 'b': [1, 1, 0], 'total': [0, 0, 0]}
    """
    if secret.shape != counts.shape or not (
        secret.index.equals(counts.index) and secret.columns.equals(counts.columns)
    ):
        raise ValueError("secret : attendu un masque de mêmes lignes et colonnes que counts")
    values = {
        (r, c): float(v) if pd.notna(v) else math.nan
        for r, row in counts.iterrows()
        for c, v in row.items()
    }
    primary = [(r, c) for r, row in secret.iterrows() for c, s in row.items() if bool(s)]
    lines = table_lines(counts, total_row=total_row, total_column=total_column)
    hidden = complementary_suppression(values, primary, lines)
    return pd.DataFrame(
        [[(r, c) in hidden for c in counts.columns] for r in counts.index],
        index=counts.index,
        columns=counts.columns,
    )


def secrecy_note(threshold: int) -> str:
    """The note (French) explaining "secret" on a public page, primary and secondary."""
    return (
        f"« secret » : effectif inférieur à {threshold} (secret statistique), ou effectif "
        "masqué en plus pour qu'aucun effectif secret ne puisse se déduire d'un total par "
        "soustraction (secret secondaire) ; les taux et évolutions calculés sur un "
        "effectif secret sont masqués aussi."
    )


__all__ = [
    "Line",
    "complementary_suppression",
    "recoverable_cells",
    "secrecy_note",
    "suppress_table",
    "table_lines",
]
