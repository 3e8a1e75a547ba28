"""The dashboard's coverage rule: "n.c." with its reason where the data does not reach.

For each table, the coverage of the layer it comes from (:mod:`gupgeo.coverage`)
decides, for the period and for every sub-period of its series:

- not covered at all: every figure is NaN (shown "n.c."), never 0 — a quartier
  without any signalement in a *covered* period still counts 0;
- partially covered: figures are computed on the covered part and a note says so;
- the change against the previous period (``nb_periode_precedente``,
  ``evolution_nb``, ``evolution_pct``) is NaN unless both the period and the one
  before it are entirely covered: a previous period outside the data would
  otherwise count 0 and the change would be the whole count.

Every blank comes with a French note naming the period and the layer's coverage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gupgeo.coverage import (
    COVERED,
    OUTSIDE,
    LayerCoverage,
    Status,
    change_reason,
    period_reason,
)
from gupgeo.indicators.catalog import TABLE_INFO
from gupgeo.indicators.common import EVOLUTION_COLUMNS
from gupgeo.periods import Period

Built = dict[str, tuple[pd.DataFrame, pd.DataFrame | None]]


def apply_coverage(
    built: Built,
    coverages: Mapping[str, LayerCoverage],
    period: Period,
    subs: Sequence[Period],
    notes: list[str],
) -> Built:
    """``built`` (table → whole, series) with uncovered figures blanked; notes appended."""
    out = dict(built)
    layers: dict[str, list[str]] = {}
    for name in built:
        layers.setdefault(TABLE_INFO[name].layer, []).append(name)
    for layer, names in layers.items():
        cov = coverages.get(layer)
        if cov is None:
            continue
        status, evolution_ok = _statuses(cov, period)
        has_evolution = any(EVOLUTION_COLUMNS[0] in built[n][0].columns for n in names)
        notes.extend(_period_notes(cov, period, status, has_evolution))
        sub = [_statuses(cov, s) for s in subs]
        blank = [s == OUTSIDE for s, _ in sub]
        no_change = [not ok for _, ok in sub]
        has_series = any(built[n][1] is not None for n in names)
        if has_series:
            notes.extend(_series_notes(cov, subs, [s for s, _ in sub], no_change, has_evolution))
        for name in names:
            whole, series = built[name]
            whole = _blank(whole, np.full(len(whole), status == OUTSIDE), not evolution_ok)
            if series is not None:
                labels = series.index.get_level_values("periode")
                rows = labels.isin([s.label for s, b in zip(subs, blank, strict=True) if b])
                changed = labels.isin([s.label for s, n in zip(subs, no_change, strict=True) if n])
                series = _blank(series, np.asarray(rows), np.asarray(changed))
            out[name] = (whole, series)
    return out


def _statuses(cov: LayerCoverage, period: Period) -> tuple[Status, bool]:
    """The period's status and whether its change vs. the previous period is computable."""
    status = cov.status(period)
    return status, status == COVERED and cov.status(period.previous()) == COVERED


def _blank(frame: pd.DataFrame, rows: np.ndarray, evolution: bool | np.ndarray) -> pd.DataFrame:
    """NaN in every column of ``rows``, and in the change columns where ``evolution``."""
    change_rows = np.broadcast_to(np.asarray(evolution, dtype=bool), rows.shape) | rows
    if not change_rows.any():
        return frame
    out = frame.copy()
    out.attrs = dict(frame.attrs)
    for column in out.columns:
        mask = change_rows if column in EVOLUTION_COLUMNS else rows
        if mask.any():
            values = out[column].to_numpy(dtype="float64", na_value=np.nan, copy=True)
            values[mask] = np.nan
            out[column] = values
    return out


def _period_notes(
    cov: LayerCoverage, period: Period, status: Status, has_evolution: bool
) -> list[str]:
    if status == OUTSIDE:
        return [
            f"{cov.layer} : {period_reason(cov, period)} ({cov.text()}) : ses chiffres "
            "sont n.c. (non calculables), et non 0."
        ]
    notes = []
    if status != COVERED:
        notes.append(
            f"{cov.layer} : {period_reason(cov, period)} ({cov.text()}) : chiffres partiels, "
            "sur la partie couverte seulement."
        )
    if has_evolution and (reason := change_reason(cov, period)):
        notes.append(f"{cov.layer} : évolution n.c. : {reason} : {cov.text()}.")
    return notes


def _series_notes(
    cov: LayerCoverage,
    subs: Sequence[Period],
    status: Sequence[Status],
    no_change: Sequence[bool],
    has_evolution: bool,
) -> list[str]:
    layer, span = cov.layer, cov.text()
    outside = [p.label for p, s in zip(subs, status, strict=True) if s == OUTSIDE]
    partial = [p.label for p, s in zip(subs, status, strict=True) if s not in (OUTSIDE, COVERED)]
    notes = []
    if outside:
        notes.append(
            f"{layer} : séries : sous-période(s) non couverte(s) par les données "
            f"({_listed(outside)}) : n.c. ; couverture : {span}."
        )
    if partial:
        notes.append(
            f"{layer} : séries : sous-période(s) partiellement couverte(s) par les données "
            f"({_listed(partial)}) : chiffres partiels ; couverture : {span}."
        )
    changed = [
        p.label for p, s, n in zip(subs, status, no_change, strict=True) if n and s != OUTSIDE
    ]
    if has_evolution and changed:
        notes.append(
            f"{layer} : séries : évolution n.c. pour {_listed(changed)} (la sous-période ou "
            f"la précédente n'est pas entièrement couverte par les données : {span})."
        )
    return notes


def _listed(labels: Sequence[str]) -> str:
    """``"2023-01, 2023-02, 2023-03"``, or ``"2023-01 … 2023-12 (12)"`` when long."""
    if len(labels) <= 4:
        return ", ".join(labels)
    return f"{labels[0]} … {labels[-1]} ({len(labels)})"
