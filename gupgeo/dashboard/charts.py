"""Charts of a dashboard for the quartier atlas: SVG written from the data, French, A4-legible.

Each chart is a :class:`Chart` — a :class:`~gupgeo.dashboard.chart_data.ChartData` (the
values and the text alternative that pages print beside the image) and the kind of
drawing — whose :meth:`Chart.svg` writes the SVG text directly, without a plotting
library: sized for the text width of an A4 page (17 cm) with 9-point text, styled once
for every chart (:mod:`gupgeo.dashboard._svg`), its title and text alternative inside
(``<title>``, ``<desc>``). A PNG, when asked for, is drawn by matplotlib from the same
data (:mod:`gupgeo.dashboard.charts_png`). Each ``chart_*`` function has a ``draw_*``
twin that takes a ``ChartData`` already built:

- :func:`chart_series_by_category` — signalements per sub-period, stacked by category;
- :func:`chart_backlog_age` — open backlog at the end of each sub-period, by age;
- :func:`chart_tfpb_axes` — TFPB amounts along the 8 national axes;
- :func:`chart_quartiers_comparison` — one indicator compared across quartiers.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gupgeo.coverage import period_words
from gupgeo.dashboard import chart_data
from gupgeo.dashboard._chart_kinds import (
    A4_TEXT_WIDTH_IN,
    AGE_COLORS,
    DPI,
    FIG_SIZE_IN,
    FORMATS,
    MONTHS_FR,
    STYLE,
    Chart,
    category_style,
    period_tick,
)
from gupgeo.dashboard._svg import french_number, tick_label
from gupgeo.dashboard.chart_data import ChartData
from gupgeo.indicators.common import HORS_QPV, TOTAL

if TYPE_CHECKING:
    from gupgeo.dashboard.model import Dashboard

logger = logging.getLogger(__name__)


def period_title(db: Dashboard) -> str:
    """The period in words: ``2024``, ``2024-T2`` or ``du 15/01/2024 au 30/06/2024``."""
    return period_words(db.period)


def draw_series_by_category(data: ChartData) -> Chart:
    """The stacked bars of :func:`gupgeo.dashboard.chart_data.series_by_category`."""
    return Chart("series", data)


def draw_backlog_age(data: ChartData) -> Chart:
    """The stacked bars of :func:`gupgeo.dashboard.chart_data.backlog_age`."""
    return Chart("backlog", data)


def draw_tfpb_axes(data: ChartData) -> Chart:
    """The horizontal bars of :func:`gupgeo.dashboard.chart_data.tfpb_axes`."""
    return Chart("tfpb", data)


def draw_quartiers_comparison(data: ChartData, *, reason: str = "") -> Chart:
    """The bars of :func:`gupgeo.dashboard.chart_data.quartiers_comparison`, the highest
    on top; ``reason`` says why the values that cannot be computed are missing."""
    return Chart("comparison", data, reason)


def chart_series_by_category(
    db: Dashboard, code_qp: str, *, top: int = chart_data.TOP_CATEGORIES
) -> Chart:
    """Signalements of a quartier per sub-period, stacked by category (top ``top`` + autres)."""
    return draw_series_by_category(chart_data.series_by_category(db, code_qp, top=top))


def chart_backlog_age(db: Dashboard, code_qp: str) -> Chart:
    """Open signalements of a quartier at the end of each sub-period, stacked by age."""
    return draw_backlog_age(chart_data.backlog_age(db, code_qp))


def chart_tfpb_axes(db: Dashboard, code_qp: str) -> Chart:
    """TFPB amounts of a quartier along the 8 national axes (horizontal bars, €)."""
    return draw_tfpb_axes(chart_data.tfpb_axes(db, code_qp))


def chart_quartiers_comparison(
    db: Dashboard, table: str = "signalements", column: str = "par_1000_habitants"
) -> Chart:
    """One indicator compared across the quartiers (horizontal bars, sorted)."""
    data = chart_data.quartiers_comparison(db, table, column)
    return draw_quartiers_comparison(data, reason=db.missing_reason(table, column) or "")


def _suffix(fmt: str) -> str:
    suffix = fmt.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"format de graphique {fmt!r} inconnu ; attendu : {', '.join(FORMATS)}")
    return suffix


def save_figure(chart: Chart, path: Path, *, formats: Sequence[str] = ("svg",)) -> list[Path]:
    """Save ``chart`` as ``path`` with each suffix of ``formats`` (``svg``, ``png``, ``pdf``).

    The SVG is written from the data; PNG and PDF are drawn by matplotlib
    (:func:`gupgeo.dashboard.charts_png.save_raster`), only when asked for.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        suffix = _suffix(fmt)
        target = path.with_suffix(f".{suffix}")
        if suffix == "svg":
            target.write_text(chart.svg(), encoding="utf-8")
        else:
            from gupgeo.dashboard.charts_png import save_raster

            save_raster(chart, target)
        out.append(target)
    return out


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
        inside(out, f"{stem}.{_suffix(fmt)}")
    return out / stem


def dashboard_charts(
    db: Dashboard, quartiers: Sequence[str] | None = None
) -> list[tuple[str, Chart]]:
    """Every chart of the dashboard with its file stem: per quartier (series, backlog,
    TFPB), then the comparisons across quartiers."""
    codes = list(quartiers) if quartiers is not None else [*db.quartiers, HORS_QPV, TOTAL]
    stems = chart_stems(codes)
    charts: list[tuple[str, Chart]] = []
    for code in codes:
        base = stems[code]
        if "signalements" in db.tables:
            charts.append((f"{base}_signalements", chart_series_by_category(db, code)))
            charts.append((f"{base}_stock", chart_backlog_age(db, code)))
        if "tfpb_montant_par_axe" in db.tables and code != HORS_QPV:
            charts.append((f"{base}_tfpb", chart_tfpb_axes(db, code)))
    for table, column in (
        ("signalements", "par_1000_habitants"),
        ("degradations", "par_1000_habitants"),
        ("actions", "nb_actions"),
    ):
        if table in db.tables:
            chart = chart_quartiers_comparison(db, table, column)
            charts.append((f"comparaison_{table}_{column}", chart))
    return charts


def render_dashboard_charts(
    db: Dashboard,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = ("svg",),
    quartiers: Sequence[str] | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Write every chart: per quartier (series, backlog, TFPB) and the comparisons.

    Files are ``<code_qp>_signalements.svg``, ``<code_qp>_stock.svg``,
    ``<code_qp>_tfpb.svg`` and ``comparaison_<indicateur>.svg`` (and ``.png`` when
    ``formats`` asks for it), the code made safe and distinct by :func:`chart_stems`.
    SVGs are written from the data in this process; PNGs (and PDFs) are drawn by
    matplotlib in ``workers`` processes (default: one per core). Nothing is written
    through a symbolic link inside ``out_dir`` (:class:`~gupgeo.errors.OutputExistsError`).
    """
    out = Path(out_dir)
    charts = [(_chart_base(out, stem, formats), c) for stem, c in dashboard_charts(db, quartiers)]
    vector = [f for f in formats if _suffix(f) == "svg"]
    raster = [f for f in formats if _suffix(f) != "svg"]
    written: dict[Path, list[Path]] = {}
    for base, chart in charts:
        written[base] = save_figure(chart, base, formats=vector) if vector else []
    if raster:
        from gupgeo.dashboard.charts_png import save_rasters

        paths = save_rasters(charts, raster, workers=workers)
        for (base, _), files in zip(charts, paths, strict=True):
            written[base] += files
    files = [path for base, _ in charts for path in written[base]]
    logger.info("%d graphiques écrits dans %s", len(files), out)
    return files


__all__ = [
    "A4_TEXT_WIDTH_IN",
    "AGE_COLORS",
    "DPI",
    "FIG_SIZE_IN",
    "FORMATS",
    "MONTHS_FR",
    "STYLE",
    "Chart",
    "category_style",
    "chart_backlog_age",
    "chart_quartiers_comparison",
    "chart_series_by_category",
    "chart_stems",
    "chart_tfpb_axes",
    "dashboard_charts",
    "draw_backlog_age",
    "draw_quartiers_comparison",
    "draw_series_by_category",
    "draw_tfpb_axes",
    "french_number",
    "period_tick",
    "period_title",
    "render_dashboard_charts",
    "save_figure",
    "tick_label",
]
