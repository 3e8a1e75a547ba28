"""Charts of a dashboard for the quartier atlas: PNG or SVG, French labels, A4-legible.

Each chart is a :class:`matplotlib.figure.Figure` built without pyplot (no global
figure state, rendered by the Agg canvas for PNG), sized for the text width of an
A4 page (17 cm) with 9-point text, and drawn from a
:class:`~gupgeo.dashboard.chart_data.ChartData` — the values and the text alternative
that pages print beside the image; each ``chart_*`` function has a ``draw_*`` twin that
draws a ``ChartData`` already built:

- :func:`chart_series_by_category` — signalements per sub-period, stacked by category;
- :func:`chart_backlog_age` — open backlog at the end of each sub-period, by age;
- :func:`chart_tfpb_axes` — TFPB amounts along the 8 national axes;
- :func:`chart_quartiers_comparison` — one indicator compared across quartiers.
"""

from __future__ import annotations

import logging
import re
import textwrap
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from gupgeo.coverage import period_words
from gupgeo.dashboard import chart_data
from gupgeo.dashboard.chart_data import OTHERS, ChartData, short_label
from gupgeo.indicators.common import HORS_QPV, TOTAL
from gupgeo.palette import CATEGORY_COLORS, OTHER_COLOR

if TYPE_CHECKING:
    from gupgeo.dashboard.model import Dashboard

logger = logging.getLogger(__name__)

A4_TEXT_WIDTH_IN = 17 / 2.54
FIG_SIZE_IN = (A4_TEXT_WIDTH_IN, 3.5)
DPI = 200
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
# The categories of every product (gupgeo.palette: Okabe–Ito, "autres" in grey), with a
# hatch as second cue where two of them come closest for a red-green colour-blind reader
# (tests/test_chart_palettes.py: CIEDE2000 below 15 as simulated), drawn in white like the
# separators between stacked bars.
PALETTE = CATEGORY_COLORS
HATCHES = ("", "", "", "...", "", "\\\\\\", "", "")
OTHERS_COLOR = OTHER_COLOR
OTHERS_HATCH = "///"
BAR_EDGES: dict[str, Any] = {"edgecolor": "white", "linewidth": 0.6}
"""White separators between stacked bars (and the colour of the hatches)."""
AGE_COLORS = ("#c6dbef", "#6baed6", "#08306b")
MONTHS_FR = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-T([1-4])$")
_NBSP = "\u00a0"


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(cast(Any, STYLE)):
        yield


def french_number(value: float, *, decimals: int = 0) -> str:
    """``12500.5`` → ``"12 500"`` (non-breaking space, decimal comma).

    Examples
    --------
    >>> french_number(12500.5, decimals=1)
    '12\\xa0500,5'
    """
    text = f"{value:,.{decimals}f}"
    return text.replace(",", _NBSP).replace(".", ",")


def tick_label(value: float) -> str:
    """Axis tick in French, with only the decimals it needs: ``0.8`` → ``"0,8"``.

    Examples
    --------
    >>> tick_label(2500.0), tick_label(0.25)
    ('2\xa0500', '0,25')
    """
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    text = "0" if text in ("-0", "") else text
    return text.replace(",", _NBSP).replace(".", ",")


def period_tick(label: str, *, with_year: bool = True) -> str:
    """Short French tick label of a period label: ``"2024-03"`` → ``"mars 24"``."""
    if m := _MONTH.match(label):
        month = MONTHS_FR[int(m[2]) - 1]
        return f"{month} {m[1][2:]}" if with_year else month
    return label


def _figure(height_in: float = FIG_SIZE_IN[1]) -> Figure:
    return Figure(figsize=(FIG_SIZE_IN[0], height_in), dpi=DPI, layout="constrained")


def _title(fig: Figure, title: str) -> None:
    fig.suptitle(title, x=0.01, ha="left", fontsize=STYLE["axes.titlesize"], fontweight="bold")


def period_title(db: Dashboard) -> str:
    """The period in words: ``2024``, ``2024-T2`` or ``du 15/01/2024 au 30/06/2024``."""
    return period_words(db.period)


def _message(fig: Figure, title: str, text: str) -> Figure:
    ax = fig.add_subplot()
    ax.set_axis_off()
    _title(fig, title)
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, color="#555555")
    return fig


def chart_series_by_category(
    db: Dashboard, code_qp: str, *, top: int = chart_data.TOP_CATEGORIES
) -> Figure:
    """Signalements of a quartier per sub-period, stacked by category (top ``top`` + autres)."""
    return draw_series_by_category(chart_data.series_by_category(db, code_qp, top=top))


def draw_series_by_category(data: ChartData) -> Figure:
    """The stacked bars of :func:`gupgeo.dashboard.chart_data.series_by_category`."""
    with _style():
        fig = _figure()
        if data.message:
            return _message(fig, data.title, _sentence(data.message))
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
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  reverse=True)  # fmt: skip
        return fig


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


def category_style(i: int, *, others: bool = False) -> tuple[str, str]:
    """Colour and hatch of the ``i``-th category of a chart (or of "autres catégories")."""
    if others:
        return OTHERS_COLOR, OTHERS_HATCH
    return PALETTE[i % len(PALETTE)], HATCHES[i % len(HATCHES)]


def _sentence(text: str) -> str:
    """A message written on a chart: a capital first letter."""
    return text[:1].upper() + text[1:]


def _mark_blank(ax: Axes, blank: np.ndarray) -> None:
    """Write "n.c." where a sub-period has no figures (not covered by the data), not 0."""
    for i in np.flatnonzero(blank):
        ax.text(
            float(i), 0, "n.c.", ha="center", va="bottom", fontsize=7, color="#666666", rotation=90
        )
    if blank.any():
        ax.set_title("n.c. : sous-période non couverte par les données", loc="right",
                     fontsize=7.5, fontweight="normal", color="#666666")  # fmt: skip


def _period_axis(ax: Axes, labels: list[str]) -> None:
    """Ticks for sub-period labels: months/quarters with the year under the first of each."""
    n = len(labels)
    parts = [_split_label(x) for x in labels]
    years = {y for y, _ in parts if y}
    if all(u for _, u in parts) and len(years) == 1:
        ticks = list(range(n))
        text = [parts[i][1] for i in ticks]
        ax.set_xlabel(next(iter(years)))
    elif all(u for _, u in parts):
        monthly = all(_MONTH.match(x) for x in labels)
        step = (3 if n <= 48 else 6) if monthly else (1 if n <= 16 else 2)
        ticks = [i for i in range(n) if _unit_index(labels[i]) % step == 0] or [0]
        text = []
        for i in ticks:
            year, unit = parts[i]
            new_year = i == ticks[0] or _unit_index(labels[i]) == 0
            text.append(f"{unit}\n{year}" if new_year else unit)
    else:
        step = max(1, -(-n // 12))
        ticks = list(range(0, n, step))
        text = [labels[i] for i in ticks]
    ax.set_xticks(ticks, text)
    ax.set_xlim(-0.6, n - 0.4)
    ax.grid(False, axis="x")


def _split_label(label: str) -> tuple[str, str]:
    """``"2024-03"`` → ``("2024", "mars")``; ``"2024-T2"`` → ``("2024", "T2")``; else ``("", "")``."""
    if m := _MONTH.match(label):
        return m[1], MONTHS_FR[int(m[2]) - 1]
    if m := _QUARTER.match(label):
        return m[1], f"T{m[2]}"
    return "", ""


def _unit_index(label: str) -> int:
    """Month (0–11) or quarter (0–3) number within its year."""
    if m := _MONTH.match(label):
        return int(m[2]) - 1
    if m := _QUARTER.match(label):
        return int(m[2]) - 1
    return 0


def chart_backlog_age(db: Dashboard, code_qp: str) -> Figure:
    """Open signalements of a quartier at the end of each sub-period, stacked by age."""
    return draw_backlog_age(chart_data.backlog_age(db, code_qp))


def draw_backlog_age(data: ChartData) -> Figure:
    """The stacked bars of :func:`gupgeo.dashboard.chart_data.backlog_age`."""
    with _style():
        fig = _figure()
        if data.message:
            return _message(fig, data.title, _sentence(data.message))
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
        return fig


def chart_tfpb_axes(db: Dashboard, code_qp: str) -> Figure:
    """TFPB amounts of a quartier along the 8 national axes (horizontal bars, €)."""
    return draw_tfpb_axes(chart_data.tfpb_axes(db, code_qp))


def draw_tfpb_axes(data: ChartData) -> Figure:
    """The horizontal bars of :func:`gupgeo.dashboard.chart_data.tfpb_axes`."""
    with _style():
        fig = _figure(height_in=3.9)
        if data.message:
            return _message(fig, data.title, _sentence(data.message))
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
        return fig


def chart_quartiers_comparison(
    db: Dashboard, table: str = "signalements", column: str = "par_1000_habitants"
) -> Figure:
    """One indicator compared across the quartiers (horizontal bars, sorted)."""
    data = chart_data.quartiers_comparison(db, table, column)
    return draw_quartiers_comparison(data, reason=db.missing_reason(table, column) or "")


def draw_quartiers_comparison(data: ChartData, *, reason: str = "") -> Figure:
    """The bars of :func:`gupgeo.dashboard.chart_data.quartiers_comparison`, the highest
    on top; ``reason`` says why the values that cannot be computed are missing."""
    with _style():
        fig = _figure(height_in=max(2.6, 0.3 * len(data.values) + 1.2))
        if data.message:
            return _message(fig, data.title, _sentence(data.message))
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
        return fig


def save_figure(fig: Figure, path: Path, *, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix of ``formats`` (``png``, ``svg``, ``pdf``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    engine = fig.get_layout_engine()
    with _style():
        if engine is not None:
            # Solve the layout once, here, and save every format without a layout engine:
            # with one, each savefig draws the whole figure twice (once to solve the layout,
            # once to render it); here a chart costs one layout and one draw per format.
            engine.execute(fig)
            fig.set_layout_engine(None)
        try:
            for fmt in formats:
                target = path.with_suffix(f".{fmt.lower().lstrip('.')}")
                fig.savefig(target, dpi=DPI, metadata=_metadata(fmt), **_writer_options(fmt))
                out.append(target)
        finally:
            if engine is not None:
                fig.set_layout_engine(engine)
    return out


def _metadata(fmt: str) -> dict[str, str | None]:
    # Reproducible files: no creation date in SVG/PDF.
    if fmt.lower().lstrip(".") in ("svg", "pdf"):
        return {"Date": None}
    return {}


def _writer_options(fmt: str) -> dict[str, Any]:
    # zlib level 1: PNGs ~10 % larger, written ~40 % faster (an atlas has dozens).
    if fmt.lower().lstrip(".") == "png":
        return {"pil_kwargs": {"compress_level": 1}}
    return {}


def chart_stems(codes: Sequence[str]) -> dict[str, str]:
    """A distinct file-name stem per quartier code: the code made safe, then a short hash.

    Letters, digits, ``-`` and ``_`` are kept; anything else (a dot, a slash, a space)
    becomes ``_``, so no suffix is ever cut off. Two codes made alike get each a short
    hash of the code (``QP037.A`` and ``QP037/A``).

    Examples
    --------
    >>> chart_stems(["QP037.SANITAS", "QP037.EUROPE", "hors QPV"])
    {'QP037.SANITAS': 'QP037_SANITAS', 'QP037.EUROPE': 'QP037_EUROPE', 'hors QPV': 'hors_QPV'}
    >>> chart_stems(["QP037.A", "QP037/A"])
    {'QP037.A': 'QP037_A-1f471f', 'QP037/A': 'QP037_A-9136a6'}
    """
    import hashlib

    safe = {c: re.sub(r"[^A-Za-z0-9_-]+", "_", str(c)).strip("_") or "zone" for c in codes}
    alike = Counter(safe.values())
    return {
        c: s if alike[s] == 1 else f"{s}-{hashlib.sha1(str(c).encode()).hexdigest()[:6]}"
        for c, s in safe.items()
    }


def _chart_base(out: Path, stem: str, formats: Sequence[str]) -> Path:
    """``out / stem``, each of its files checked to stay in ``out`` (no symbolic link)."""
    from gupgeo._atomic import inside

    for fmt in formats:
        inside(out, f"{stem}.{fmt.lower().lstrip('.')}")
    return out / stem


def render_dashboard_charts(
    db: Dashboard,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = ("png", "svg"),
    quartiers: Sequence[str] | None = None,
) -> list[Path]:
    """Write every chart: per quartier (series, backlog, TFPB) and the comparisons.

    Files are ``<code_qp>_signalements.png``, ``<code_qp>_stock.png``,
    ``<code_qp>_tfpb.png`` and ``comparaison_<indicateur>.png`` (and ``.svg``), the code
    made safe and distinct by :func:`chart_stems`. Nothing is written through a symbolic
    link inside ``out_dir`` (:class:`~gupgeo.errors.OutputExistsError`).
    """
    out = Path(out_dir)
    written: list[Path] = []
    codes = list(quartiers) if quartiers is not None else [*db.quartiers, HORS_QPV, TOTAL]
    stems = chart_stems(codes)
    for code in codes:
        base = stems[code]
        if "signalements" in db.tables:
            written += save_figure(
                chart_series_by_category(db, code),
                _chart_base(out, f"{base}_signalements", formats),
                formats=formats,
            )
            written += save_figure(
                chart_backlog_age(db, code), _chart_base(out, f"{base}_stock", formats),
                formats=formats,
            )  # fmt: skip
        if "tfpb_montant_par_axe" in db.tables and code != HORS_QPV:
            written += save_figure(
                chart_tfpb_axes(db, code), _chart_base(out, f"{base}_tfpb", formats),
                formats=formats,
            )  # fmt: skip
    for table, column in (
        ("signalements", "par_1000_habitants"),
        ("degradations", "par_1000_habitants"),
        ("actions", "nb_actions"),
    ):
        if table in db.tables:
            fig = chart_quartiers_comparison(db, table, column)
            stem = f"comparaison_{table}_{column}"
            written += save_figure(fig, _chart_base(out, stem, formats), formats=formats)
    logger.info("%d graphiques écrits dans %s", len(written), out)
    return written
