"""Coverage: the days each dated layer's data spans, and whether a period lies inside.

A layer of events (signalements, actions, constats…) only tells what happened between
its first and its last date: before and after, it says nothing, and counting 0 there
would be a claim the data cannot support. Each dated layer therefore has a
:class:`LayerCoverage` — its first and last day, read from the column that decides a
row's period (:data:`~gupgeo.schemas.DATE_COLUMNS`; TFPB: whole years of ``annee``), or declared by
the team — and a period is, for that layer:

- ``"couverte"`` when the data starts at most :func:`edge_tolerance_days` after its
  start and ends at most as many days before its end (a first signalement on
  3 January does not make the year partial);
- ``"partielle"`` when it overlaps the coverage without being covered;
- ``"non couverte"`` when it lies entirely outside (or the layer has no date).

The dashboard turns this into "n.c." with the reason: figures of a period not covered,
and any change measured against a previous period not entirely covered.

Examples
--------
>>> import pandas as pd
>>> from gupgeo.periods import parse_period
>>> sig = pd.DataFrame({"date_signalement": pd.to_datetime(["2024-01-02", "2025-12-31"])})
>>> cov = layer_coverage(sig, "signalements")
>>> cov.text()
'signalements du 02/01/2024 au 31/12/2025'
>>> [cov.status(parse_period(p)) for p in ("2024", "2023", "2025-T4", "2023-07/2024-06-30")]
['couverte', 'non couverte', 'couverte', 'partielle']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

from gupgeo.errors import SchemaError
from gupgeo.schemas import DATE_COLUMNS

if TYPE_CHECKING:
    from gupgeo.periods import Period

YEAR_COLUMNS: dict[str, str] = {"tfpb": "annee"}
"""Layers reported by year: they cover whole years."""
EDGE_TOLERANCE_DAYS = 7
"""Days the data may start after a period's start (or end before its end) with the
period still covered; a tenth of the period when it is shorter than 70 days."""

Status = Literal["couverte", "partielle", "non couverte"]
COVERED: Status = "couverte"
PARTIAL: Status = "partielle"
OUTSIDE: Status = "non couverte"
COVERAGE_COLUMNS: tuple[str, ...] = ("couche", "premiere_date", "derniere_date", "origine")
_DAY = pd.Timedelta(days=1)


def edge_tolerance_days(period: Period) -> int:
    """Uncovered days allowed at each edge of ``period``: 7, or a tenth of a short one.

    Examples
    --------
    >>> from gupgeo.periods import parse_period
    >>> edge_tolerance_days(parse_period("2024")), edge_tolerance_days(parse_period("2024-02"))
    (7, 2)
    """
    return int(min(EDGE_TOLERANCE_DAYS, period.days // 10))


@dataclass(frozen=True)
class LayerCoverage:
    """The days a layer's data covers: ``first`` to ``last``, both included (midnights).

    ``first`` and ``last`` are None when the layer has no date at all: then no
    period is covered. ``declared`` is true when the team stated the coverage rather
    than gupgeo reading it from the dates.
    """

    layer: str
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    declared: bool = False

    def __post_init__(self) -> None:
        if (self.first is None) != (self.last is None):
            raise SchemaError(f"couverture de {self.layer} : première et dernière date attendues")
        if self.first is not None and self.last is not None and self.last < self.first:
            raise SchemaError(
                f"couverture de {self.layer} : la dernière date ({self.last:%d/%m/%Y}) "
                f"précède la première ({self.first:%d/%m/%Y})"
            )

    @classmethod
    def declare(cls, layer: str, first: object, last: object) -> LayerCoverage:
        """A coverage stated by the team (both days included), e.g. for rare events.

        Examples
        --------
        >>> LayerCoverage.declare("garanties", "01/01/2022", "2024-12-31").text()
        'garanties du 01/01/2022 au 31/12/2024 (couverture déclarée)'
        """
        return cls(layer, _day(first, layer), _day(last, layer), declared=True)

    @property
    def known(self) -> bool:
        """Whether the layer has at least one date."""
        return self.first is not None

    def status(self, period: Period) -> Status:
        """``"couverte"``, ``"partielle"`` or ``"non couverte"`` for ``period``."""
        if self.first is None or self.last is None:
            return OUTSIDE
        end = self.last + _DAY
        if end <= period.start or self.first >= period.end:
            return OUTSIDE
        head = max((self.first - period.start) / _DAY, 0.0)
        tail = max((period.end - end) / _DAY, 0.0)
        tolerance = edge_tolerance_days(period)
        return COVERED if head <= tolerance and tail <= tolerance else PARTIAL

    def text(self) -> str:
        """``"signalements du 01/01/2024 au 31/12/2025"`` (French, for notes and pages)."""
        if self.first is None or self.last is None:
            return f"{self.layer} : aucune date"
        words = f"{self.layer} du {self.first:%d/%m/%Y} au {self.last:%d/%m/%Y}"
        return words + (" (couverture déclarée)" if self.declared else "")


def _day(value: object, layer: str) -> pd.Timestamp:
    from gupgeo.periods import PeriodError, parse_period

    try:
        day = parse_period((value, value)).start
    except PeriodError as exc:
        raise SchemaError(
            f"couverture de {layer} : date {value!r} non comprise ; attendu AAAA-MM-JJ ou "
            "JJ/MM/AAAA"
        ) from exc
    return pd.Timestamp(day)


def layer_coverage(frame: pd.DataFrame, layer: str) -> LayerCoverage | None:
    """The coverage read from a layer's dates; None for a layer without period dates.

    Dates are those of :data:`~gupgeo.schemas.DATE_COLUMNS` (time zones converted to Paris time, as
    the indicators do) or the years of :data:`YEAR_COLUMNS`.
    """
    if layer in YEAR_COLUMNS:
        column = YEAR_COLUMNS[layer]
        years = pd.to_numeric(frame[column], errors="coerce") if column in frame.columns else None
        if years is None or years.isna().all():
            return LayerCoverage(layer, None, None)
        first, last = int(years.min()), int(years.max())
        return LayerCoverage(layer, pd.Timestamp(first, 1, 1), pd.Timestamp(last, 12, 31))
    if layer not in DATE_COLUMNS:
        return None
    column = DATE_COLUMNS[layer]
    if column not in frame.columns or not pd.api.types.is_datetime64_any_dtype(frame[column]):
        return LayerCoverage(layer, None, None)
    dates = frame[column]
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
    if dates.isna().all():
        return LayerCoverage(layer, None, None)
    return LayerCoverage(
        layer, pd.Timestamp(dates.min()).normalize(), pd.Timestamp(dates.max()).normalize()
    )


def coverage_of(
    layers: Mapping[str, pd.DataFrame | None],
    declared: Mapping[str, LayerCoverage] | None = None,
) -> dict[str, LayerCoverage]:
    """The coverage of every dated layer, declared coverages replacing the read ones."""
    dated = [*DATE_COLUMNS, *YEAR_COLUMNS]
    unknown = sorted(set(declared or ()) - set(dated))
    if unknown:
        raise SchemaError(
            f"couverture déclarée pour {', '.join(unknown)} : couche(s) sans période ; "
            f"attendu l'une de : {', '.join(dated)}"
        )
    out: dict[str, LayerCoverage] = {}
    for name, frame in layers.items():
        if declared and name in declared:
            out[name] = declared[name]
        elif frame is not None and (cov := layer_coverage(frame, name)) is not None:
            out[name] = cov
    return out


def coverage_frame(
    coverages: Iterable[LayerCoverage], period: Period | None = None
) -> pd.DataFrame:
    """One row per dated layer: ``couche``, ``premiere_date``, ``derniere_date``, ``origine``.

    ``origine`` is ``"dates des données"`` or ``"déclarée"``; with ``period`` a column
    ``couverture_periode`` says ``couverte``, ``partielle`` or ``non couverte``.
    """
    rows = []
    for cov in coverages:
        row: dict[str, object] = {
            "couche": cov.layer,
            "premiere_date": cov.first if cov.first is not None else pd.NaT,
            "derniere_date": cov.last if cov.last is not None else pd.NaT,
            "origine": "déclarée" if cov.declared else "dates des données",
        }
        if period is not None:
            row["couverture_periode"] = cov.status(period)
        rows.append(row)
    columns = [*COVERAGE_COLUMNS, *(["couverture_periode"] if period is not None else [])]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("premiere_date", "derniere_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


_COVERED_WORDS: dict[str, str] = {
    PARTIAL: "partiellement couverte",
    OUTSIDE: "non couverte",
}


def period_reason(cov: LayerCoverage, period: Period) -> str | None:
    """Why the figures of ``period`` are partial or n.c. (French); None when covered.

    The reason is short (no dates), for a card; notes add :meth:`LayerCoverage.text`.

    Examples
    --------
    >>> from gupgeo.periods import parse_period
    >>> cov = LayerCoverage("actions", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    >>> period_reason(cov, parse_period("2023"))
    'période 2023 non couverte par les données'
    """
    status = cov.status(period)
    if status == COVERED:
        return None
    return f"période {period_words(period)} {_COVERED_WORDS[status]} par les données"


def change_reason(cov: LayerCoverage, period: Period) -> str | None:
    """Why a change of ``period`` against the previous one is n.c.; None when computable.

    The change needs both periods entirely covered. The reason is short (no dates),
    for a card; notes add :meth:`LayerCoverage.text`.

    Examples
    --------
    >>> from gupgeo.periods import parse_period
    >>> cov = LayerCoverage("signalements", pd.Timestamp("2024-01-01"), pd.Timestamp("2025-12-31"))
    >>> change_reason(cov, parse_period("2024")), change_reason(cov, parse_period("2025"))
    ('période précédente (2023) non couverte par les données', None)
    """
    previous = period.previous()
    before = cov.status(previous)
    if before != COVERED:
        words = _COVERED_WORDS[before]
        return f"période précédente ({period_words(previous)}) {words} par les données"
    status = cov.status(period)
    if status != COVERED:
        return f"période {period_words(period)} {_COVERED_WORDS[status]} par les données"
    return None


STATUS_WORDS: dict[str, str] = {
    COVERED: "période couverte",
    PARTIAL: "période partiellement couverte : chiffres partiels",
    OUTSIDE: "période non couverte : chiffres n.c. (non calculables)",
}
"""What a status means for a reader, in French."""


def coverage_lines(coverages: Iterable[LayerCoverage], period: Period) -> list[str]:
    """One French line per layer: its coverage and what it means for ``period``.

    Examples
    --------
    >>> from gupgeo.periods import parse_period
    >>> cov = LayerCoverage("actions", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-06-30"))
    >>> coverage_lines([cov], parse_period("2024"))
    ['actions du 01/01/2024 au 30/06/2024 — période partiellement couverte : chiffres partiels']
    """
    return [f"{cov.text()} — {STATUS_WORDS[cov.status(period)]}" for cov in coverages]


def coverage_words(coverages: Iterable[LayerCoverage]) -> str:
    """``"signalements du 01/01/2022 au 31/12/2024 ; actions du …"`` (French)."""
    return " ; ".join(cov.text() for cov in coverages)


def period_words(period: Period) -> str:
    """A period as a reader names it: ``2024``, ``2024-T2`` or ``du 15/01/2024 au 30/06/2024``."""
    if period.kind != "custom":
        return period.label
    return f"du {period.start:%d/%m/%Y} au {period.end - _DAY:%d/%m/%Y}"


__all__ = [
    "COVERED",
    "EDGE_TOLERANCE_DAYS",
    "OUTSIDE",
    "PARTIAL",
    "STATUS_WORDS",
    "YEAR_COLUMNS",
    "LayerCoverage",
    "change_reason",
    "coverage_frame",
    "coverage_lines",
    "coverage_of",
    "coverage_words",
    "edge_tolerance_days",
    "layer_coverage",
    "period_reason",
    "period_words",
]
