"""The three layouts of the dashboard charts, written as SVG from a ``ChartData``.

- :func:`stacked_svg` — vertical bars stacked by series, one per sub-period, legend on
  the right, "n.c." written where the data does not cover a sub-period;
- :func:`hbars_svg` — horizontal bars with their value written at the end;
- :func:`message_svg` — the title and a sentence saying why there is no chart.

Sizes are in points on a page 17 cm wide; text is placed with the metrics of the font
(:func:`gupgeo.dashboard._font.text_width`), so nothing overlaps and nothing is drawn
twice to be measured.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from gupgeo.dashboard._font import text_width
from gupgeo.dashboard._svg import (
    BAR_EDGE,
    LABEL_PT,
    NC_PT,
    TICK_PT,
    TITLE_PT,
    VALUE_PT,
    Canvas,
    Legend,
    nice_ticks,
    tick_label,
    wrap,
)
from gupgeo.palette import CATEGORY_COLORS

if TYPE_CHECKING:
    from gupgeo.dashboard._periods_axis import PeriodAxis
    from gupgeo.dashboard.chart_data import ChartData

WIDTH_PT = 17 / 2.54 * 72
HEIGHT_PT = 3.5 * 72
TITLE_Y = 4 + TITLE_PT
TICK_LINE_PT = TICK_PT + 2.5
BAR_COLOR = CATEGORY_COLORS[0]
NC_NOTE = "n.c. : sous-période non couverte par les données"


def _title(canvas: Canvas, data: ChartData) -> None:
    canvas.text(4, TITLE_Y, data.title, "t")


def message_svg(data: ChartData, message: str, *, height_in: float) -> str:
    """The title and ``message`` in grey, centred, in place of a chart."""
    canvas = Canvas(WIDTH_PT, height_in * 72, data.title, data.summary)
    _title(canvas, data)
    lines = wrap(message, WIDTH_PT - 60, LABEL_PT)
    y = canvas.height_pt / 2 - (len(lines) - 1) * (LABEL_PT + 2) / 2 + LABEL_PT * 0.35
    canvas.lines(WIDTH_PT / 2, y, lines, "m mid", LABEL_PT + 2)
    return canvas.render()


def _fit_ticks(
    top: float, length_pt: float, text: Callable[[float], str], *, integer: bool, across: bool
) -> list[float]:
    """Round ticks up to ``top`` whose labels fit along an axis of ``length_pt``:
    side by side (``across``, an x axis) or one above the other."""
    for most in (6, 5, 4, 3, 2, 1):
        ticks = nice_ticks(top, integer=integer, most=most)
        if len(ticks) < 2:
            return ticks
        gap = length_pt * (ticks[1] - ticks[0]) / top
        need = max(text_width(text(t), TICK_PT) for t in ticks) + 6 if across else TICK_PT + 2
        if gap >= need:
            return ticks
    return ticks


def stacked_svg(
    data: ChartData,
    styles: Sequence[tuple[str, str]],
    labels: Sequence[str],
    *,
    ylabel: str,
    ticks: PeriodAxis,
    legend_title: str = "",
) -> str:
    """Bars stacked bottom to top in the order of ``data.values``' columns."""
    canvas = Canvas(WIDTH_PT, HEIGHT_PT, data.title, data.summary)
    _title(canvas, data)
    heights = np.nan_to_num(data.values.to_numpy(dtype=float))
    hidden = np.zeros(heights.shape, dtype=bool)
    if data.hidden is not None:
        hidden = data.hidden.to_numpy(dtype=bool)
    heights[hidden] = 0
    n = heights.shape[0]
    blank = np.asarray(data.blank or (False,) * n, dtype=bool)
    fills = [canvas.fill(color, hatch) for color, hatch in styles]
    legend = Legend(list(zip(labels, fills, strict=True))[::-1], legend_title)
    top = 34.0 if blank.any() else 28.0
    right = WIDTH_PT - legend.width_pt - 10
    vmax = float(heights.sum(axis=1).max()) if n else 0.0
    y_top = vmax * 1.05 if vmax > 0 else 1.0
    xlabel = ticks.xlabel
    bottom_room = 5 + 2 * TICK_LINE_PT + (LABEL_PT + 4 if xlabel else 0)
    bottom = HEIGHT_PT - bottom_room
    y_ticks = _fit_ticks(y_top, bottom - top, tick_label, integer=True, across=False)
    tick_width = max(text_width(tick_label(t), TICK_PT) for t in y_ticks)
    left = 6 + LABEL_PT + 6 + tick_width + 5
    if n == 0:
        return canvas.render()
    slot = (right - left) / (n + 0.2)
    chosen, lines = ticks.choose(slot, TICK_PT)
    if max(len(line) for line in lines) == 1:  # no year line: the plot grows by one line
        bottom += TICK_LINE_PT
        y_ticks = _fit_ticks(y_top, bottom - top, tick_label, integer=True, across=False)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / y_top

    for t in y_ticks:
        canvas.line(left, y_of(t), right, y_of(t), "g")
        canvas.text(left - 4, y_of(t) + TICK_PT * 0.35, tick_label(t), "k e")
    base = np.zeros(n)
    for k, fill in enumerate(fills):
        for i in np.flatnonzero(heights[:, k] > 0).tolist():
            x = left + (i + 0.2) * slot
            y0, y1 = y_of(base[i]), y_of(base[i] + heights[i, k])
            canvas.rect(x, y1, 0.8 * slot, y0 - y1, fill, BAR_EDGE)
        base += heights[:, k]
    canvas.line(left, top, left, bottom, "a")
    canvas.line(left, bottom, right, bottom, "a")
    _marks(canvas, np.flatnonzero(blank), "n.c.", left, slot, bottom)
    secret = np.flatnonzero(~blank & hidden.any(axis=1))
    _marks(canvas, secret, "secret", left, slot, bottom - (bottom - top) * base / y_top)
    if blank.any():
        canvas.text(right, top - 6, NC_NOTE, "n e")
    for i, line in zip(chosen, lines, strict=True):
        x = left + (i + 0.6) * slot
        canvas.line(x, bottom, x, bottom + 3, "a")
        canvas.lines(x, bottom + 4 + TICK_PT, line, "k mid", TICK_LINE_PT)
    if xlabel:
        canvas.text((left + right) / 2, HEIGHT_PT - 5, xlabel, "mid")
    canvas.text(6 + LABEL_PT, (top + bottom) / 2, ylabel, "mid", rotate=True)
    legend.draw(canvas, right + 10, top)
    return canvas.render()


def _marks(
    canvas: Canvas,
    where: Sequence[int] | np.ndarray,
    text: str,
    left: float,
    slot: float,
    y: float | np.ndarray,
) -> None:
    """``text`` written upwards above the bar of each sub-period in ``where``."""
    for i in where:
        at = float(y[i]) if isinstance(y, np.ndarray) else y
        x = left + (i + 0.6) * slot + NC_PT * 0.35
        canvas.text(x, at - 2, text, "c", rotate=True)


def hbars_svg(
    data: ChartData,
    *,
    labels: Sequence[Sequence[str]],
    values: np.ndarray,
    texts: Sequence[str],
    height_in: float,
    margin: float,
    tick_text: Callable[[float], str],
    xlabel: str,
    integer: bool = False,
) -> str:
    """Horizontal bars top to bottom in the order of ``values``, each with its label (one
    or more lines) on the left and ``texts`` at its end; n.c. (NaN) values draw no bar."""
    height = height_in * 72
    canvas = Canvas(WIDTH_PT, height, data.title, data.summary)
    _title(canvas, data)
    n = len(values)
    top = 28.0
    label_width = max((text_width(t, TICK_PT) for lines in labels for t in lines), default=0)
    left = 6 + label_width + 6
    shown = values[~np.isnan(values)]
    peak = float(shown.max()) if len(shown) and shown.max() > 0 else 1.0
    x_top = peak * margin
    right = WIDTH_PT - 6 - text_width(tick_text(x_top), TICK_PT) / 2
    xlabel_lines = wrap(xlabel, right - left, LABEL_PT) if xlabel else []
    bottom = height - 6 - len(xlabel_lines) * (LABEL_PT + 2) - TICK_PT - 8

    def x_of(value: float) -> float:
        return left + (right - left) * value / x_top

    for t in _fit_ticks(x_top, right - left, tick_text, integer=integer, across=True):
        canvas.line(x_of(t), top, x_of(t), bottom, "g")
        canvas.line(x_of(t), bottom, x_of(t), bottom + 3, "a")
        canvas.text(x_of(t), bottom + 4 + TICK_PT, tick_text(t), "k mid")
    slot = (bottom - top) / max(n, 1)
    for k, (value, text, lines) in enumerate(zip(values, texts, labels, strict=True)):
        middle = top + (k + 0.5) * slot
        width = 0.0 if np.isnan(value) else float(value)
        if width > 0:
            canvas.rect(left, middle - 0.35 * slot, x_of(width) - left, 0.7 * slot, BAR_COLOR)
        canvas.text(x_of(width + peak * 0.01), middle + VALUE_PT * 0.35, text, "v")
        first = middle - (len(lines) - 1) * TICK_LINE_PT / 2 + TICK_PT * 0.35
        canvas.lines(left - 4, first, lines, "k e", TICK_LINE_PT)
    canvas.line(left, top, left, bottom, "a")
    canvas.line(left, bottom, right, bottom, "a")
    base = bottom + TICK_PT + 8 + LABEL_PT
    canvas.lines((left + right) / 2, base, xlabel_lines, "mid", LABEL_PT + 2)
    return canvas.render()


__all__ = ["HEIGHT_PT", "WIDTH_PT", "hbars_svg", "message_svg", "stacked_svg"]
