"""What every dashboard chart is made of: the shared styling and the :class:`Chart` itself.

:class:`Chart` pairs a :class:`~gupgeo.dashboard.chart_data.ChartData` with the kind of
drawing and writes its SVG (:meth:`Chart.svg`); :mod:`gupgeo.dashboard.charts` builds
and saves them, :mod:`gupgeo.dashboard.charts_png` draws their PNGs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gupgeo.dashboard._periods_axis import MONTH_LABEL, period_ticks
from gupgeo.dashboard._svg import french_number, tick_label
from gupgeo.dashboard._svg_layouts import hbars_svg, message_svg, stacked_svg
from gupgeo.dashboard.chart_data import OTHERS, ChartData, short_label
from gupgeo.palette import CATEGORY_COLORS, OTHER_COLOR

A4_TEXT_WIDTH_IN = 17 / 2.54
FIG_SIZE_IN = (A4_TEXT_WIDTH_IN, 3.5)
DPI = 200
"""Resolution of the PNGs (the SVGs have none)."""
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "svg.fonttype": "none",
}
"""The charts' styling as matplotlib settings (PNGs, the review's charts); the SVG
writer uses the same font, sizes and greys (:data:`gupgeo.dashboard._svg.CSS`)."""
# The categories of every product (gupgeo.palette: Okabe–Ito, "autres" in grey), with a
# hatch as second cue where two of them come closest for a red-green colour-blind reader
# (tests/test_chart_palettes.py: CIEDE2000 below 15 as simulated), drawn in white like the
# separators between stacked bars.
PALETTE = CATEGORY_COLORS
HATCHES = ("", "", "", "...", "", "\\\\\\", "", "")
OTHERS_COLOR = OTHER_COLOR
OTHERS_HATCH = "///"
AGE_COLORS = ("#c6dbef", "#6baed6", "#08306b")
MONTHS_FR: tuple[str, ...] = ("janv.", "févr.", "mars", "avr.", "mai", "juin")
MONTHS_FR += ("juil.", "août", "sept.", "oct.", "nov.", "déc.")
FORMATS = ("svg", "png", "pdf")
"""The files a chart can be saved as: SVG written directly, PNG and PDF by matplotlib."""


def period_tick(label: str, *, with_year: bool = True) -> str:
    """Short French tick label of a period label: ``"2024-03"`` → ``"mars 24"``."""
    if m := MONTH_LABEL.match(label):
        month = MONTHS_FR[int(m[2]) - 1]
        return f"{month} {m[1][2:]}" if with_year else month
    return label


def category_style(i: int, *, others: bool = False) -> tuple[str, str]:
    """Colour and hatch of the ``i``-th category of a chart (or of "autres catégories")."""
    if others:
        return OTHERS_COLOR, OTHERS_HATCH
    return PALETTE[i % len(PALETTE)], HATCHES[i % len(HATCHES)]


def sentence(text: str) -> str:
    """A message written on a chart: a capital first letter."""
    return text[:1].upper() + text[1:]


@dataclass(frozen=True, eq=False)
class Chart:
    """A chart ready to be written: what it shows (``data``) and how it is drawn (``kind``).

    ``kind`` is ``"series"``, ``"backlog"``, ``"tfpb"`` or ``"comparison"``; ``reason``
    says why the values a comparison cannot compute are missing.
    """

    kind: str
    data: ChartData
    reason: str = ""

    def svg(self) -> str:
        """The chart as an SVG document (text), written from its data."""
        data = self.data
        if data.message:
            return message_svg(data, sentence(data.message), height_in=self.height_in)
        if self.kind in ("series", "backlog"):
            return _stacked(self)
        if self.kind == "tfpb":
            return _tfpb(data)
        return _comparison(data, self.reason)

    @property
    def height_in(self) -> float:
        """Height of the chart in inches (its width is :data:`A4_TEXT_WIDTH_IN`)."""
        if self.kind == "tfpb":
            return 3.9
        if self.kind == "comparison":
            return max(2.6, 0.3 * len(self.data.values) + 1.2)
        return FIG_SIZE_IN[1]


def _stacked(chart: Chart) -> str:
    data = chart.data
    columns = list(data.values.columns)
    if chart.kind == "series":
        styles = [category_style(i, others=c == OTHERS) for i, c in enumerate(columns)]
        return stacked_svg(
            data,
            styles,
            [short_label(c) for c in columns],
            ylabel="Nombre de signalements",
            ticks=period_ticks(list(data.values.index), MONTHS_FR),
        )
    return stacked_svg(
        data,
        [(color, "") for color in AGE_COLORS[: len(columns)]],
        [str(c) for c in columns],
        ylabel=f"Ouverts en {data.row_header.lower()}",
        ticks=period_ticks(list(data.values.index), MONTHS_FR),
        legend_title="Ancienneté",
    )


def _tfpb(data: ChartData) -> str:
    import textwrap

    axes = [str(a) for a in data.values.index]
    values = data.values.iloc[:, 0].to_numpy(dtype=float)
    return hbars_svg(
        data,
        labels=[textwrap.wrap(a[0].upper() + a[1:], 44) for a in axes],
        values=values,
        texts=[f"{french_number(v)} €" for v in values],
        height_in=3.9,
        margin=1.22,
        tick_text=lambda v: f"{tick_label(v)} €",
        xlabel="Montant valorisé (€)",
    )


def _comparison(data: ChartData, reason: str) -> str:
    import numpy as np

    values = data.values.iloc[:, 0].astype(float)  # top to bottom: the highest on top
    integral = bool(np.allclose(values.dropna() % 1, 0))
    decimals = 0 if integral else 1
    texts = ["n.c." if np.isnan(v) else french_number(v, decimals=decimals) for v in values]
    xlabel = ""
    if values.isna().any():
        xlabel = (
            f"n.c. : {reason}"
            if reason
            else "n.c. : non calculable (population ou surface du quartier inconnue, "
            "aucune valeur de référence…)"
        )
    return hbars_svg(
        data,
        labels=[[short_label(name)] for name in values.index],
        values=values.to_numpy(),
        texts=texts,
        height_in=max(2.6, 0.3 * len(values) + 1.2),
        margin=1.15,
        tick_text=tick_label,
        xlabel=xlabel,
        integer=integral,
    )
