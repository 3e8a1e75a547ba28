"""Statistical secrecy of a public dashboard: no count from 1 to the threshold − 1.

A dashboard built from a ``public`` :class:`~gupgeo.publication.Publication` shows
every count as published: a count from 1 to ``threshold − 1`` reads « secret »
(primary secrecy), and so do the cells a reader could recompute it from
(complementary suppression, :mod:`gupgeo.secrecy`), across the sums the dashboard
shows:

- every count column of a table and its ``total`` row (quartiers + hors QPV);
- a count and its breakdown: the signalements of a quartier and their categories or
  statuses, the actions and their themes, the constats and their themes or gravités,
  the stock of signalements and its ages, the guarantees and their objects — a line is
  declared only when the figures do add up;
- a figure printed twice (the signalements of the "agents et gardiens" table);
- the series: for each count, quartiers × sub-periods with the period's figure as the
  margin and the ``total`` row.

Rates, shares, delays, changes and amounts of a row holding a hidden count are
hidden too (they are computed from it). Hidden cells are NaN in the tables, and
:attr:`Dashboard.secret` says which NaN read « secret » (the others are « n.c. »).
Zeros are shown: they reveal no one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gupgeo.indicators.catalog import column_unit
from gupgeo.indicators.common import EVOLUTION_COLUMNS, TOTAL
from gupgeo.secrecy import Line, complementary_suppression, suppress_table

if TYPE_CHECKING:
    from gupgeo.dashboard.model import Dashboard

COUNT_UNIT = "nombre"
BREAKDOWNS: Mapping[str, tuple[str, str]] = {
    "signalements_par_categorie": ("signalements", "nb_signalements"),
    "signalements_par_statut": ("signalements", "nb_signalements"),
    "actions_par_theme": ("actions", "nb_actions"),
    "tfpb_actions_par_axe": ("tfpb", "nb_actions"),
    "constats_par_theme": ("constats", "nb_constats"),
    "garanties_par_objet": ("garanties", "nb_recours"),
}
"""Breakdown table → (table, count column) its columns add up to, row by row."""
WITHIN: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "signalements": (
        (
            "stock_fin_periode",
            ("stock_4_semaines_ou_moins", "stock_4_a_8_semaines", "stock_plus_8_semaines"),
        ),
    ),
    "constats": (
        ("nb_constats", ("nb_gravite_1", "nb_gravite_2", "nb_gravite_3", "nb_gravite_inconnue")),
    ),
}
"""Table → (total column, its parts): sums inside one row of a table."""
TWICE: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = (
    (("signalements_proximite", "nb_signalements"), ("signalements", "nb_signalements")),
)
"""The same figure printed in two tables."""
_SERIES_MARGIN = "__periode__"

Cell = Hashable
"""A cell of the dashboard: ``(table, row, column)``."""


def count_columns(table: str, frame: pd.DataFrame) -> list[str]:
    """The columns of ``table`` that are counts (unit « nombre », not a change)."""
    return [
        str(c)
        for c in frame.columns
        if column_unit(table, str(c)) == COUNT_UNIT and str(c) not in EVOLUTION_COLUMNS
    ]


def _adds_up(values: Mapping[Cell, float], line: Line) -> bool:
    """Whether ``line`` holds wherever its cells are known (so a reader could use it)."""
    total = values.get(line.total)
    parts = [values.get(p) for p in line.parts]
    if total is None or any(p is None for p in parts):
        return False
    known = [float(v) for v in (total, *parts) if v is not None and not math.isnan(v)]
    if len(known) < len(parts) + 1:
        return True  # an unknown cell: the line may hold, keep it (conservative)
    return abs(float(total) - sum(float(p) for p in parts if p is not None)) < 1e-6


def _table_lines(tables: Mapping[str, pd.DataFrame], counts: Mapping[str, list[str]]) -> list[Line]:
    lines: list[Line] = []
    for name, frame in tables.items():
        rows = [r for r in frame.index if r != TOTAL]
        if TOTAL in frame.index:
            for col in counts[name]:
                lines.append(Line((name, TOTAL, col), tuple((name, r, col) for r in rows)))
        for total, parts in WITHIN.get(name, ()):
            if total in frame.columns and all(p in frame.columns for p in parts):
                lines += [
                    Line((name, r, total), tuple((name, r, p) for p in parts)) for r in frame.index
                ]
    for name, (parent, column) in BREAKDOWNS.items():
        if name in tables and parent in tables and column in tables[parent].columns:
            breakdown = counts[name]
            lines += [
                Line((parent, r, column), tuple((name, r, c) for c in breakdown))
                for r in tables[name].index
                if r in tables[parent].index and breakdown
            ]
    for (a, col_a), (b, col_b) in TWICE:
        if a in tables and b in tables and col_a in tables[a] and col_b in tables[b]:
            lines += [
                Line((a, r, col_a), ((b, r, col_b),))
                for r in tables[a].index
                if r in tables[b].index
            ]
    return lines


def _components(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped by the cells they share (each group protected on its own)."""
    parent: dict[Hashable, Hashable] = {}

    def find(x: Hashable) -> Hashable:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for line in lines:
        root = find(line.total)
        for cell in line.parts:
            other = find(cell)
            if other != root:
                parent[other] = root
    groups: dict[Hashable, list[Line]] = {}
    for line in lines:
        groups.setdefault(find(line.total), []).append(line)
    return list(groups.values())


def _primary(values: Mapping[Cell, float], cells: Iterable[Cell], threshold: int) -> set[Cell]:
    return {c for c in cells if not math.isnan(v := float(values[c])) and 1 <= v < threshold}


def _hidden_rows(frame: pd.DataFrame, hidden: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """Hide the non-count cells (rates, delays, amounts) of rows holding a hidden count."""
    rows = hidden[counts].any(axis=1) if counts else pd.Series(False, index=frame.index)
    others = [c for c in frame.columns if str(c) not in counts]
    out = hidden.copy()
    for col in others:
        out[col] = out[col] | rows
    return out


def protect_dashboard(db: Dashboard, *, threshold: int) -> Dashboard:
    """The dashboard with statistical secrecy applied (see the module docstring)."""
    tables = {n: f for n, f in db.tables.items()}
    counts = {n: count_columns(n, f) for n, f in tables.items()}
    values: dict[Cell, float] = {}
    for name, frame in tables.items():
        numbers = frame.apply(pd.to_numeric, errors="coerce")
        for col in counts[name]:
            for row, value in numbers[col].items():
                values[(name, row, col)] = float(value)
    lines = [line for line in _table_lines(tables, counts) if _adds_up(values, line)]
    in_lines = {c for line in lines for c in line.cells}
    hidden: set[Cell] = _primary(values, (c for c in values if c not in in_lines), threshold)
    for group in _components(lines):
        cells = {c for line in group for c in line.cells}
        sub = {c: values[c] for c in cells}
        hidden |= complementary_suppression(sub, _primary(sub, cells, threshold), group)
    masks = {
        name: pd.DataFrame(
            [[(name, r, str(c)) in hidden for c in frame.columns] for r in frame.index],
            index=frame.index,
            columns=frame.columns,
        )
        for name, frame in tables.items()
    }
    series_masks: dict[str, pd.DataFrame] = {}
    for name, frame in db.series.items():
        series_masks[name] = _protect_series(name, frame, tables.get(name), masks, threshold)
    masks = {n: _hidden_rows(tables[n], m, counts[n]) for n, m in masks.items()}
    series_masks = {
        n: _hidden_rows(f, series_masks[n], count_columns(n, f)) for n, f in db.series.items()
    }
    return dataclasses.replace(
        db,
        tables={n: f.mask(masks[n]) for n, f in tables.items()},
        series={n: f.mask(series_masks[n]) for n, f in db.series.items()},
        secret={**masks, **{f"{n}@series": m for n, m in series_masks.items()}},
    )


def _protect_series(
    name: str,
    series: pd.DataFrame,
    table: pd.DataFrame | None,
    masks: dict[str, pd.DataFrame],
    threshold: int,
) -> pd.DataFrame:
    """Each count of a series as a quartiers × sub-periods table with the period's
    figure as margin; a margin hidden here is hidden in the period table too."""
    out = pd.DataFrame(False, index=series.index, columns=series.columns)
    zone_idx, zones = pd.factorize(series.index.get_level_values("code_qp"))
    period_idx, periods = pd.factorize(series.index.get_level_values("periode"))
    shape = (len(zones), len(periods))
    for col in count_columns(name, series):
        grid = np.full(shape, np.nan)
        grid[zone_idx, period_idx] = pd.to_numeric(series[col], errors="coerce").to_numpy(float)
        wide = pd.DataFrame(grid, index=list(zones), columns=list(periods))
        secret = (wide >= 1) & (wide < threshold)
        total_row: Hashable | None = TOTAL if TOTAL in wide.index else None
        total_column: Hashable | None = None
        if table is not None and col in table.columns:
            margin = pd.to_numeric(table[col], errors="coerce").reindex(wide.index)
            sums = wide.sum(axis=1, min_count=1)
            if bool((margin.isna() | sums.isna() | ((margin - sums).abs() < 1e-6)).all()):
                wide[_SERIES_MARGIN] = margin
                shown = masks[name][col].reindex(wide.index).fillna(False).astype(bool)
                secret[_SERIES_MARGIN] = shown | ((margin >= 1) & (margin < threshold))
                total_column = _SERIES_MARGIN
        if total_row is not None and wide.loc[TOTAL].isna().all():
            total_row = None
        hidden = suppress_table(wide, secret, total_row=total_row, total_column=total_column)
        if total_column is not None:
            margin_hidden = hidden.pop(_SERIES_MARGIN)
            current = masks[name][col]
            masks[name][col] = current | margin_hidden.reindex(current.index).fillna(False)
        out[col] = hidden.to_numpy(dtype=bool)[zone_idx, period_idx]
    return out


def secret_label_frame(frame: pd.DataFrame, mask: pd.DataFrame | None, label: str) -> pd.DataFrame:
    """``frame`` with the cells of ``mask`` written ``label`` (for CSV and XLSX)."""
    if mask is None or not bool(np.asarray(mask).any()):
        return frame
    out = frame.astype(object)
    return out.mask(mask.reindex(index=frame.index, columns=frame.columns).fillna(False), label)
