"""Which counts of a ``public`` review read "secret": primary and secondary secrecy.

The report prints, for the window studied, the key figures (signalements in the
périmètre and in the abords), the category table (périmètre + abords = total, first
half + second half = total; its columns sum to the key figures), the before/after
table of the périmètre (before + after = the category's périmètre count; its columns
sum to its total row, whose two cells sum to the périmètre figure) and the quarter
chart (its bars sum to the key figures). They are one system of additive lines;
:func:`gupgeo.secrecy.complementary_suppression` hides, beyond the counts below the
threshold, what would give them back. When the middle of the window or the delivery
date falls on a quarter's first day, the halves and the before/after totals are also
sums of quarters: those relations are declared too.

Rates and changes are not in the lines: the report hides them with their counts.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import pandas as pd

from gupgeo.publication import SECRET_THRESHOLD, Profil
from gupgeo.review import data as rd
from gupgeo.secrecy import Line, complementary_suppression

if TYPE_CHECKING:
    from gupgeo.review.model import OperationReview

CATEGORIES = "categories"
BEFORE_AFTER = "avant-apres"
QUARTERS = "trimestres"
FIGURES = "chiffres"
CATEGORY_COUNTS: tuple[str, ...] = (
    rd.PERIMETRE,
    rd.ABORDS,
    "total",
    "premiere_moitie",
    "seconde_moitie",
)
"""Count columns of the category table (its change column is never shown in public)."""
FIGURE_KEYS = {rd.PERIMETRE: (FIGURES, "perimetre"), rd.ABORDS: (FIGURES, "abords")}
"""The cells of the key figures "signalements dans le périmètre / les abords"."""
_FIRST_HALF = ("fenetre", "premiere_moitie")  # the window's first half: never printed


def secret_cells(
    review: OperationReview, *, threshold: int = SECRET_THRESHOLD
) -> frozenset[Hashable]:
    """The counts of the report that read "secret" (none outside ``public``).

    Cells are ``(CATEGORIES, categorie, column)``, ``(BEFORE_AFTER, categorie or
    "total", "avant" | "apres")``, ``(QUARTERS, trimestre, zone)`` and the two
    :data:`FIGURE_KEYS`.
    """
    if not Profil.parse(review.publication).secret:
        return frozenset()
    values, lines = review_lines(review)
    primary = [c for c, v in values.items() if not pd.isna(v) and v < threshold]
    return complementary_suppression(values, primary, lines)


def review_lines(review: OperationReview) -> tuple[dict[Hashable, float], list[Line]]:
    """Every count the report prints (NaN: related but not printed) and its lines."""
    values: dict[Hashable, float] = {}
    lines: list[Line] = []
    cat = review.signalements_by_category
    for zone, key in FIGURE_KEYS.items():
        values[key] = float(cat[zone].sum()) if len(cat) else 0.0
    for label, row in cat.iterrows():
        for column in CATEGORY_COUNTS:
            values[(CATEGORIES, label, column)] = float(row[column])
        total = (CATEGORIES, label, "total")
        lines.append(
            Line(total, ((CATEGORIES, label, rd.PERIMETRE), (CATEGORIES, label, rd.ABORDS)))
        )
        lines.append(
            Line(
                total,
                ((CATEGORIES, label, "premiere_moitie"), (CATEGORIES, label, "seconde_moitie")),
            )
        )
    for zone, key in FIGURE_KEYS.items():
        if len(cat):
            lines.append(Line(key, tuple((CATEGORIES, label, zone) for label in cat.index)))
    quarters = review.signalements_by_quarter
    for label, row in quarters.iterrows():
        for zone in rd.ZONES:
            values[(QUARTERS, label, zone)] = float(row[zone])
    for zone, key in FIGURE_KEYS.items():
        if len(quarters):
            lines.append(Line(key, tuple((QUARTERS, label, zone) for label in quarters.index)))
    w = review.windows
    middle = _quarters_before(list(quarters.index), w.start + (w.end - w.start) / 2)
    if middle and len(cat):
        values[_FIRST_HALF] = float("nan")
        lines.append(
            Line(_FIRST_HALF, tuple((CATEGORIES, c, "premiere_moitie") for c in cat.index))
        )
        lines.append(Line(_FIRST_HALF, tuple((QUARTERS, q, z) for q in middle for z in rd.ZONES)))
    ba = review.before_after
    if ba is not None:
        labels = [c for c in ba.index if c != "total"]
        for label in [*labels, "total"]:
            for column in ("avant", "apres"):
                values[(BEFORE_AFTER, label, column)] = float(ba.loc[label, column])
        for label in labels:
            halves = ((BEFORE_AFTER, label, "avant"), (BEFORE_AFTER, label, "apres"))
            lines.append(Line((CATEGORIES, label, rd.PERIMETRE), halves))
        for column in ("avant", "apres"):
            parts = tuple((BEFORE_AFTER, label, column) for label in labels)
            if parts:
                lines.append(Line((BEFORE_AFTER, "total", column), parts))
        totals = ((BEFORE_AFTER, "total", "avant"), (BEFORE_AFTER, "total", "apres"))
        lines.append(Line(FIGURE_KEYS[rd.PERIMETRE], totals))
        before = _quarters_before(list(quarters.index), w.delivery)
        if before:
            parts = tuple((QUARTERS, q, rd.PERIMETRE) for q in before)
            lines.append(Line((BEFORE_AFTER, "total", "avant"), parts))
    return values, [line for line in lines if all(c in values for c in line.cells)]


def _quarters_before(labels: list[str], when: pd.Timestamp | None) -> list[str]:
    """The quarters (``"2024-T1"``) wholly before ``when``, if ``when`` starts a quarter."""
    if when is None or pd.isna(when):
        return []
    when = pd.Timestamp(when)
    if when != when.normalize() or when.day != 1 or when.month not in (1, 4, 7, 10):
        return []
    starts = {q: pd.Period(q.replace("-T", "Q"), freq="Q").start_time for q in labels}
    return [q for q, start in starts.items() if start < when]
