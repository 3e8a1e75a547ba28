"""PNG (and PDF) of the dashboard charts, drawn by matplotlib from the same data as the SVG.

Only used when a PNG is asked for (``formats=("svg", "png")``): the SVG is written from
the data without a plotting library (:mod:`gupgeo.dashboard.charts`). Each figure is a
:class:`matplotlib.figure.Figure` built without pyplot (no global figure state), drawn by
the Agg canvas with the shared styling (:data:`gupgeo.dashboard.charts.STYLE`): the same
title, axes, values and n.c. marks as the SVG. Many PNGs are drawn in worker processes.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from gupgeo.dashboard._chart_kinds import (
    AGE_COLORS,
    DPI,
    FIG_SIZE_IN,
    MONTHS_FR,
    PALETTE,
    STYLE,
    Chart,
    category_style,
    french_number,
    sentence,
    tick_label,
)
from gupgeo.dashboard._periods_axis import period_ticks
from gupgeo.dashboard.chart_data import OTHERS, ChartData, short_label

BAR_EDGES: dict[str, Any] = {"edgecolor": "white", "linewidth": 0.6}
"""White separators between stacked bars (and the colour of the hatches)."""


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(cast(Any, STYLE)):
        yield


def _figure(height_in: float = FIG_SIZE_IN[1]) -> Figure:
    return Figure(figsize=(FIG_SIZE_IN[0], height_in), dpi=DPI, layout="constrained")


def _title(fig: Figure, title: str) -> None:
    fig.suptitle(title, x=0.01, ha="left", fontsize=STYLE["axes.titlesize"], fontweight="bold")


def _message(fig: Figure, title: str, text: str) -> Figure:
    ax = fig.add_subplot()
    ax.set_axis_off()
    _title(fig, title)
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, color="#555555")
    return fig


def figure(chart: Chart) -> Figure:
    """The matplotlib figure of ``chart``."""
    with _style():
        fig = _figure(chart.height_in)
        if chart.data.message:
            return _message(fig, chart.data.title, sentence(chart.data.message))
        if chart.kind == "series":
            _series(fig, chart.data)
        elif chart.kind == "backlog":
            _backlog(fig, chart.data)
        elif chart.kind == "tfpb":
            _tfpb(fig, chart.data)
        else:
            _comparison(fig, chart.data, chart.reason)
        return fig


def _series(fig: Figure, data: ChartData) -> None:
    ax = fig.add_subplot()
    _title(fig, data.title)
    values = data.values
    heights = np.nan_to_num(values.to_numpy(dtype=float))
    styles = [category_style(i, others=col == OTHERS) for i, col in enumerate(values.columns)]
    labels = [short_label(col) for col in values.columns]
    handles = _stacked_bars(ax, heights, styles)
    _mark_blank(ax, np.asarray(data.blank, dtype=bool))
    _period_axis(ax, list(values.index))
    ax.set_ylabel("Nombre de signalements")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tick_label(v)))
    ax.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, reverse=True
    )


def _stacked_bars(
    ax: Axes, heights: np.ndarray, styles: Sequence[tuple[str, str]], width: float = 0.8
) -> list[Patch]:
    """Stacked bars, one column of ``heights`` per layer, bottom to top; legend handles.

    Each layer is one collection of rectangles rather than one ``Rectangle`` artist per
    bar (what ``Axes.bar`` makes): the same bars, colours, hatches and white separators,
    drawn several times faster (a chart of 36 months x 8 categories has 288 bars, and an
    atlas hundreds of such charts). Like ``bar``, the value axis starts at 0.
    """
    n = heights.shape[0]
    left = np.arange(n) - width / 2
    bottom = np.zeros(n)
    handles = []
    for k, (color, hatch) in enumerate(styles):
        top = bottom + heights[:, k]
        shown = heights[:, k] > 0
        boxes = np.stack(
            [
                np.c_[left, bottom],
                np.c_[left + width, bottom],
                np.c_[left + width, top],
                np.c_[left, top],
            ],
            axis=1,
        )[shown]
        bars = PolyCollection(
            list(boxes), facecolors=color, hatch=hatch or None, closed=True, **BAR_EDGES
        )
        bars.sticky_edges.y.append(0)
        ax.add_collection(bars, autolim=True)
        handles.append(Patch(facecolor=color, hatch=hatch or None, **BAR_EDGES))
        bottom = top
    if n:
        ax.update_datalim([(-0.5, 0.0), (n - 0.5, float(bottom.max()))])
    ax.autoscale_view()
    return handles


def _mark_blank(ax: Axes, blank: np.ndarray) -> None:
    """Write "n.c." where a sub-period has no figures (not covered by the data), not 0."""
    for i in np.flatnonzero(blank):
        ax.text(
            float(i), 0, "n.c.", ha="center", va="bottom", fontsize=7, color="#666666", rotation=90
        )
    if blank.any():
        ax.set_title(
            "n.c. : sous-période non couverte par les données",
            loc="right",
            fontsize=7.5,
            fontweight="normal",
            color="#666666",
        )


def _period_axis(ax: Axes, labels: list[str]) -> None:
    """Ticks for sub-period labels, thinned like the SVG's so that none overlap."""
    axis = period_ticks(labels, MONTHS_FR)
    width_pt = FIG_SIZE_IN[0] * 72 * 0.7  # the plot without the legend and the y axis
    ticks, lines = axis.choose(width_pt / max(len(labels), 1), STYLE["xtick.labelsize"])
    ax.set_xticks(ticks, ["\n".join(line) for line in lines])
    if axis.xlabel:
        ax.set_xlabel(axis.xlabel)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.grid(False, axis="x")


def _backlog(fig: Figure, data: ChartData) -> None:
    ax = fig.add_subplot()
    _title(fig, data.title)
    values = data.values
    heights = values.fillna(0).to_numpy(dtype=float)
    styles = [(color, "") for color in AGE_COLORS[: len(values.columns)]]
    handles = _stacked_bars(ax, heights, styles)
    _mark_blank(ax, np.asarray(data.blank, dtype=bool))
    _period_axis(ax, list(values.index))
    ax.set_ylabel(f"Ouverts en {data.row_header.lower()}")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tick_label(v)))
    ax.legend(
        handles,
        [str(col) for col in values.columns],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        title="Ancienneté",
        reverse=True,
    )


def _tfpb(fig: Figure, data: ChartData) -> None:
    axes = [str(a) for a in data.values.index]
    values = data.values.iloc[:, 0].to_numpy(dtype=float)
    ax = fig.add_subplot()
    _title(fig, data.title)
    y = np.arange(len(axes))[::-1]
    ax.barh(y, values, color=PALETTE[0], height=0.7)
    labels = [textwrap.fill(a[0].upper() + a[1:], 44) for a in axes]
    ax.set_yticks(y, labels)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{tick_label(v)} €"))
    top = values.max() if len(values) and values.max() > 0 else 1.0
    ax.set_xlim(0, top * 1.22)
    for yi, v in zip(y, values, strict=True):
        ax.text(v + top * 0.01, yi, f"{french_number(v)} €", va="center", fontsize=8)
    ax.set_xlabel("Montant valorisé (€)")


def _comparison(fig: Figure, data: ChartData, reason: str) -> None:
    values = data.values.iloc[::-1, 0].astype(float)  # bottom to top: the highest on top
    ax = fig.add_subplot()
    _title(fig, data.title)
    y = np.arange(len(values))
    ax.barh(y, values.fillna(0).to_numpy(), color=PALETTE[0], height=0.7)
    ax.set_yticks(y, [short_label(name) for name in values.index])
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    integral = bool(np.allclose(values.dropna() % 1, 0))
    decimals = 0 if integral else 1
    top = float(np.nanmax(values.to_numpy())) if values.notna().any() else 1.0
    top = top or 1.0
    ax.set_xlim(0, top * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(steps=[1, 2, 2.5, 5, 10], integer=integral))
    for yi, v in zip(y.tolist(), values.tolist(), strict=True):
        text = "n.c." if np.isnan(v) else french_number(v, decimals=decimals)
        ax.text((0 if np.isnan(v) else v) + top * 0.01, yi, text, va="center", fontsize=8)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tick_label(v)))
    if values.isna().any():
        ax.set_xlabel(
            f"n.c. : {reason}"
            if reason
            else "n.c. : non calculable (population ou surface du quartier inconnue, "
            "aucune valeur de référence…)"
        )


def save_raster(chart: Chart, target: Path) -> Path:
    """Draw ``chart`` into ``target`` (``.png`` or ``.pdf``, no creation date)."""
    fig = figure(chart)
    fmt = target.suffix.lstrip(".").lower()
    with _style():
        engine = fig.get_layout_engine()
        if engine is not None:
            # Solve the layout once, then draw without it (savefig would draw twice).
            engine.execute(fig)
            fig.set_layout_engine(None)
        options: dict[str, Any] = {"metadata": {"Date": None}} if fmt == "pdf" else {}
        if fmt == "png":
            # zlib level 1: PNGs ~10 % larger, written ~40 % faster (an atlas has dozens).
            options["pil_kwargs"] = {"compress_level": 1}
        fig.savefig(target, dpi=DPI, **options)
    return target


def _save_all(jobs: Sequence[tuple[Chart, Path, Sequence[str]]]) -> list[list[Path]]:
    return [
        [save_raster(chart, base.with_suffix(f".{fmt.lower().lstrip('.')}")) for fmt in formats]
        for chart, base, formats in jobs
    ]


def save_rasters(
    charts: Sequence[tuple[Path, Chart]], formats: Sequence[str], *, workers: int | None = None
) -> list[list[Path]]:
    """Draw each chart as each of ``formats`` beside its base path, in ``workers``
    processes (default: one per core; none for a handful of charts); the files of each
    chart, in order."""
    jobs = [(chart, base, tuple(formats)) for base, chart in charts]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(jobs) < 8:
        return _save_all(jobs)
    size = -(-len(jobs) // workers)
    chunks = [jobs[k : k + size] for k in range(0, len(jobs), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [files for part in pool.map(_save_all, chunks) for files in part]


__all__ = ["figure", "save_raster", "save_rasters"]
