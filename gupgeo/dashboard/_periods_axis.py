"""The sub-period axis of a chart: which month or quarter labels to write, and on how many lines.

Labels are thinned to every 2nd, 3rd, 6th… month (or quarter) so that no two of them
overlap at the width a sub-period gets on the page, and stay on calendar boundaries
(janv., avr., juil., oct. every 3 months); the year is written under the first label and
under each label that starts a new year, or once under the axis when there is only one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gupgeo.dashboard._font import text_width

MONTH_LABEL = re.compile(r"^(\d{4})-(\d{2})$")
"""A monthly sub-period label (``2024-03``)."""
_QUARTER = re.compile(r"^(\d{4})-T([1-4])$")
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 36, 60, 120)
QUARTER_STEPS = (1, 2, 4, 8, 12, 20, 40)
GAP_PT = 5.0
"""Least blank space between two labels of the axis, in points."""


@dataclass(frozen=True)
class PeriodAxis:
    """The labels of a sub-period axis before thinning.

    ``units`` are the short labels (``janv.``, ``T2`` or the raw label), ``years`` their
    year (empty for labels that are not months or quarters), ``rank`` their position on
    the calendar (months or quarters since year 0), ``steps`` the thinning steps tried.
    """

    units: tuple[str, ...]
    years: tuple[str, ...]
    rank: tuple[int, ...]
    steps: tuple[int, ...]
    xlabel: str

    def choose(self, slot_pt: float, size_pt: float) -> tuple[list[int], list[tuple[str, ...]]]:
        """The labelled positions and their lines, thinned to fit ``slot_pt`` per period.

        The first step whose widest label (plus :data:`GAP_PT`) fits in ``step`` slots
        is kept; the labels sit where the calendar rank is a multiple of the step.
        """
        n = len(self.units)
        ticks: list[int] = []
        lines: list[tuple[str, ...]] = []
        for step in self.steps:
            ticks = [i for i in range(n) if self.rank[i] % step == 0] or [0]
            lines = self._lines(ticks)
            widest = max(text_width(t, size_pt) for line in lines for t in line)
            if widest + GAP_PT <= step * slot_pt:
                break
        return ticks, lines

    def _lines(self, ticks: Sequence[int]) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        previous = ""
        for i in ticks:
            year = self.years[i]
            if year and not self.xlabel and year != previous:
                out.append((self.units[i], year))
            else:
                out.append((self.units[i],))
            previous = year
        return out


def period_ticks(labels: Sequence[str], months: Sequence[str]) -> PeriodAxis:
    """The axis of ``labels`` (``2024-03``, ``2024-T2`` or anything else), month names
    from ``months``."""
    units, years, rank = [], [], []
    monthly = bool(labels) and all(MONTH_LABEL.match(x) for x in labels)
    quarterly = bool(labels) and all(_QUARTER.match(x) for x in labels)
    for i, label in enumerate(labels):
        if monthly and (m := MONTH_LABEL.match(label)):
            units.append(months[int(m[2]) - 1])
            years.append(m[1])
            rank.append(int(m[1]) * 12 + int(m[2]) - 1)
        elif quarterly and (m := _QUARTER.match(label)):
            units.append(f"T{m[2]}")
            years.append(m[1])
            rank.append(int(m[1]) * 4 + int(m[2]) - 1)
        else:
            units.append(label)
            years.append("")
            rank.append(i)
    distinct = set(years) - {""}
    xlabel = next(iter(distinct)) if (monthly or quarterly) and len(distinct) == 1 else ""
    steps = (
        MONTH_STEPS if monthly else QUARTER_STEPS if quarterly else tuple(range(1, len(labels) + 1))
    )
    return PeriodAxis(tuple(units), tuple(years), tuple(rank), steps or (1,), xlabel)


__all__ = ["GAP_PT", "PeriodAxis", "period_ticks"]
