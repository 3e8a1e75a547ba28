"""One quartier's page: static maps, charts, interactive map and the HTML itself.

:func:`build_page` runs in a worker process; it never raises, it returns a
:class:`PageResult` carrying the cause of a failure.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely

from gupgeo.atlas import _content as content
from gupgeo.atlas._prepare import QuartierTask
from gupgeo.atlas._veille import LISTED, quartier_section
from gupgeo.coverage import OUTSIDE, coverage_lines, period_reason, period_words
from gupgeo.dashboard import chart_data
from gupgeo.dashboard.charts import (
    draw_backlog_age,
    draw_series_by_category,
    draw_tfpb_axes,
    save_figure,
)
from gupgeo.french import format_long_date
from gupgeo.maps.caption import Caption
from gupgeo.maps.pages import quartier_map
from gupgeo.palette import GRAVITE_COLORS, OPERATION_COLOR, QUARTIER_COLOR
from gupgeo.periods import FREQ_LABELS
from gupgeo.publication import GRID_CELL_M, Profil, aggregate_to_grid
from gupgeo.rendering.html import chart_table, render
from gupgeo.rendering.svg import (
    MISSING_COLOR,
    SECRET_COLOR,
    SvgMap,
    density_grid,
    published_cells,
)
from gupgeo.rendering.veille import VeilleSection

logger = logging.getLogger(__name__)

LOCATOR_COLOR = "#d7301f"


@dataclass(frozen=True)
class PageResult:
    """How one page went: written files and time, or the cause of its failure."""

    code_qp: str
    title: str
    href: str
    ok: bool
    seconds: float
    bytes: int = 0
    error: str = ""
    details: str = ""


@contextmanager
def reproducible_svg() -> Iterator[None]:
    """Matplotlib SVG ids from a fixed salt, so identical charts give identical files."""
    with mpl.rc_context({"svg.hashsalt": "gupgeo-atlas"}):
        yield


def build_page(task: QuartierTask) -> PageResult:
    """Write the page of ``task`` (HTML, map, charts); report failures instead of raising."""
    start = time.perf_counter()
    page = task.page
    try:
        size = _write_page(task)
    except Exception as exc:
        logger.warning("page %s non produite : %s", page.title, exc)
        return PageResult(
            page.code_qp,
            page.title,
            page.href,
            ok=False,
            seconds=time.perf_counter() - start,
            error=f"{type(exc).__name__} : {exc}",
            details=traceback.format_exc(),
        )
    return PageResult(
        page.code_qp,
        page.title,
        page.href,
        ok=True,
        seconds=time.perf_counter() - start,
        bytes=size,
    )


def _write_page(task: QuartierTask) -> int:
    s = task.settings
    root = s.root
    stem = task.page.stem
    secrecy = content.Secrecy(s.publication.secret, s.secret_threshold)
    period_label = _period_words(task)
    map_bytes = _interactive_map(task, root / "cartes" / f"{stem}.html", period_label)
    charts = _charts(task, root / "graphiques", public=secrecy.active)
    code = task.page.code_qp
    db = task.db
    max_rows = s.options.max_rows
    constats, constats_more = content.constats_table(task.constats, max_rows=max_rows)
    actions, actions_more = content.actions_table(task.actions, max_rows=max_rows)
    tfpb, tfpb_more = content.tfpb_table(task.tfpb, max_rows=max_rows)

    context = {
        "root": "../",
        "title": task.page.title,
        "atlas_title": s.options.title,
        "page": task.page,
        "previous": task.previous,
        "next": task.next,
        "position": f"{task.index + 1} / {task.n_pages}",
        "quartier": task.quartier,
        "period": period_label,
        "publication": s.publication,
        "publication_label": s.publication_label,
        "publication_notes": s.publication_notes,
        "build_date": format_long_date(s.build_date),
        "figures": content.key_figures(db, code, task.quartier, secrecy),
        "locator": _locator(task),
        "print_map": _print_map(task),
        "map_href": f"../cartes/{stem}.html",
        "map_bytes": map_bytes,
        "charts": charts,
        "tables": _tables(db, code, secrecy),
        "veille": _veille(task),
        "constats_list": constats if s.publication.locates else None,
        "constats_more": constats_more,
        "actions_list": actions if s.publication.locates else None,
        "actions_more": actions_more,
        "tfpb_list": tfpb,
        "tfpb_more": tfpb_more,
        "operations": content.operations_table(task.operations, s.period.end),
        "notes": db.notes,
        "coverage": coverage_lines(db.coverages.values(), db.period),
        "sources": s.sources,
        "freq": FREQ_LABELS[db.freq],
        "legend": _legend(task),
    }
    html_text = render("atlas_quartier.html", **context)
    target = root / "quartiers" / f"{stem}.html"
    target.write_text(html_text, encoding="utf-8")
    return len(html_text.encode("utf-8")) + map_bytes


def _tables(db: Any, code: str, secrecy: Any) -> dict[str, Any]:
    """The page's tables, each one row per indicator of the quartier (secrecy applied)."""

    def vt(table: str, **kw: Any) -> Any:
        return content.vertical_table(db, table, code, secrecy, **kw)

    return {
        "signalements": vt("signalements"),
        "categories": vt(
            "signalements_par_categorie", sort=True, skip_zero=True, share_of="nb_signalements"
        ),
        "statuts": vt("signalements_par_statut", skip_zero=True),
        "degradations": vt("degradations"),
        "proximite": vt("signalements_proximite"),
        "actions": vt("actions"),
        "actions_theme": vt("actions_par_theme", sort=True, skip_zero=True),
        "tfpb": vt("tfpb"),
        "tfpb_axes": vt("tfpb_montant_par_axe", caption="TFPB : montants par axe national"),
        "tfpb_bailleurs": vt("tfpb_montant_par_bailleur", skip_zero=True),
        "arrets": vt("arrets_agents"),
        "reunions": vt("reunions"),
        "garanties": vt("garanties"),
        "garanties_objets": vt("garanties_par_objet", skip_zero=True),
        "constats": vt("constats"),
        "constats_theme": vt("constats_par_theme", skip_zero=True, sort=True),
        "diagnostics": vt("diagnostics"),
    }


def _veille(task: QuartierTask) -> VeilleSection | None:
    """The "Veille territoriale" section (None without point signalements)."""
    if task.veille is None:
        return None
    s, db = task.settings, task.db
    cov = db.coverages.get("signalements")
    outside = cov is not None and cov.status(db.period) == OUTSIDE
    uncovered = (period_reason(cov, db.period) or "") if cov is not None and outside else ""
    return quartier_section(
        task.veille,
        task.page.code_qp,
        publication=s.publication,
        threshold=s.secret_threshold,
        max_rows=s.options.max_rows,
        uncovered=uncovered,
    )


def _listed_problems(task: QuartierTask) -> pd.DataFrame | None:
    """The problems a page lists (and numbers on its maps): none in ``public``."""
    if task.veille is None or not task.settings.publication.locates:
        return None
    return task.veille.problems.groups.head(min(task.settings.options.max_rows, LISTED))


def _period_words(task: QuartierTask) -> str:
    return period_words(task.settings.period)


def _map_subtitle(task: QuartierTask, period: str) -> str:
    """``Période 2024``, and the layers of the map the data does not cover then."""
    missing = [n for n in ("signalements", "constats") if task.db.period_coverage(n) == OUTSIDE]
    if not missing:
        return f"Période {period}"
    return f"Période {period} — {', '.join(missing)} : période non couverte par les données (n.c.)"


def _interactive_map(task: QuartierTask, path: Path, period: str) -> int:
    s = task.settings
    problems = _listed_problems(task)
    return quartier_map(
        task.map_layers,
        path,
        root=s.root,
        box=(task.frame.x0, task.frame.y0, task.frame.x1, task.frame.y1),
        caption=Caption(task.page.title, _map_subtitle(task, period), s.sources, s.build_date),
        publication=s.publication,
        basemap=s.options.basemap,
        code_qp=task.page.code_qp,
        cells=task.veille.map_cells if task.veille is not None else None,
        problems=problems,
        history=task.veille.problems.history if problems is not None and task.veille else None,
    )


def _charts(task: QuartierTask, folder: Path, *, public: bool) -> list[dict[str, Any]]:
    """The page's charts: image, text alternative (what and key figures) and data table."""
    db, code, stem = task.db, task.page.code_qp, task.page.stem
    makers: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = []
    if "signalements" in db.tables and not public:
        makers.append(("signalements", chart_data.series_by_category, draw_series_by_category))
        makers.append(("stock", chart_data.backlog_age, draw_backlog_age))
    if "tfpb_montant_par_axe" in db.tables:
        makers.append(("tfpb", chart_data.tfpb_axes, draw_tfpb_axes))
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    with reproducible_svg():
        for key, values_of, draw in makers:
            data = values_of(db, code)
            (path,) = save_figure(draw(data), folder / f"{stem}-{key}", formats=("svg",))
            out.append(
                {
                    "key": key,
                    "src": f"../graphiques/{path.name}",
                    "alt": data.summary,
                    "table": chart_table(data),
                }
            )
    return out


def _locator(task: QuartierTask) -> str:
    svg = SvgMap(
        task.locator_frame, title=f"Situation de {task.page.title}", css_class="gg-locator"
    )
    loc = task.locator
    current = (loc["code_qp"] == task.page.code_qp).to_numpy()
    geoms = np.asarray(loc.geometry.array)
    svg.polygons(geoms[~current], fill="#c9ccd6", stroke="#7d8196", width=0.6, min_px=5)
    svg.polygons(geoms[current], fill=LOCATOR_COLOR, stroke="#7f0000", width=1.0, min_px=9)
    svg.polygons([task.frame.box], fill="none", stroke="#333333", width=1.0, dash="3 2")
    return svg.render()


def _print_map(task: QuartierTask) -> str:
    """A static map of the page's frame: density, perimeters, operations, constats, and
    the numbers of the problems listed in the Veille section."""
    svg = SvgMap(task.frame, title=f"Carte de {task.page.title}", css_class="gg-printmap")
    layers = dict(task.map_layers.layers)
    publication = task.settings.publication
    sig = layers.get("signalements")
    if sig is not None and len(sig) and not publication.locates:
        threshold = task.settings.secret_threshold
        published_cells(svg, aggregate_to_grid(sig, cell_size_m=GRID_CELL_M, threshold=threshold))
    elif sig is not None and len(sig):
        xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(sig.geometry.array)))
        boxes, colors, _ = density_grid(xy, task.frame)
        svg.cells(boxes, colors)
    quartiers = layers.get("quartiers")
    if quartiers is not None and len(quartiers):
        current = (quartiers["code_qp"].astype("object") == task.page.code_qp).to_numpy()
        geoms = np.asarray(quartiers.geometry.array)
        svg.polygons(geoms[~current], fill="none", stroke="#8a8fb0", width=1.2, dash="5 3")
        svg.polygons(geoms[current], fill="none", stroke=QUARTIER_COLOR, width=2.5)
    ops = layers.get("operations")
    if ops is not None and len(ops):
        hatch = svg.hatch("gg-hatch-op", OPERATION_COLOR)
        svg.polygons(ops.geometry, fill=hatch, stroke=OPERATION_COLOR, width=1.5, opacity=0.6)
    eq = layers.get("equipements")
    if eq is not None and len(eq):
        xy = shapely.get_coordinates(np.asarray(eq.geometry.array))
        svg.points(xy, colors="#4d4d4d", radius=2.5, shape="square")
    constats = layers.get("constats")  # already published (see _prepare.tasks)
    if constats is not None and len(constats) and publication.locates:
        geoms = np.asarray(constats.geometry.array)
        gravite = constats["gravite"] if "gravite" in constats.columns else [np.nan] * len(constats)
        level = pd.to_numeric(pd.Series(gravite), errors="coerce")
        colors = [
            GRAVITE_COLORS.get(int(v), MISSING_COLOR) if v == v else MISSING_COLOR for v in level
        ]
        kinds = shapely.get_type_id(geoms)
        lines = np.isin(kinds, (1, 5))
        polys = np.isin(kinds, (3, 6))
        points = ~(lines | polys)
        svg.polygons(
            geoms[polys],
            fill=[c for c, p in zip(colors, polys, strict=True) if p],
            stroke="#7f2704",
            width=1,
            opacity=0.45,
        )
        svg.lines(geoms[lines], colors=[c for c, ln in zip(colors, lines, strict=True) if ln])
        xy = shapely.get_coordinates(geoms[points]) if points.any() else np.empty((0, 2))
        svg.points(xy, colors=[c for c, pt in zip(colors, points, strict=True) if pt], radius=4)
    problems = _listed_problems(task)
    if problems is not None and len(problems):  # n° 1 drawn last, on top of its place
        xy = shapely.get_coordinates(np.asarray(problems.geometry.array))
        svg.numbered(xy[::-1], [str(r) for r in problems["rang"]][::-1])
    svg.scale_bar()
    return svg.render()


def density_legend(
    publication: Profil | str, threshold: int, *, cell_m: float = 50.0
) -> list[dict[str, str]]:
    """Legend entries of the signalement cells of a static map."""
    if Profil.parse(publication).locates:
        label = f"densité des signalements (carreaux de {cell_m:g} m)"
        return [{"shape": "density", "color": "#e05c3b", "label": label}]
    size = f"{GRID_CELL_M:g} m"
    return [
        {"shape": "density", "color": "#e05c3b", "label": f"signalements par carreau de {size}"},
        {
            "shape": "square",
            "color": SECRET_COLOR,
            "label": f"carreau de {size} à moins de {threshold} signalements (secret)",
        },
    ]


def _legend(task: QuartierTask) -> list[dict[str, str]]:
    s = task.settings
    entries = [
        {"shape": "outline", "color": QUARTIER_COLOR, "label": "périmètre du quartier"},
        {"shape": "dashed", "color": "#8a8fb0", "label": "quartiers voisins"},
        {"shape": "hatch", "color": OPERATION_COLOR, "label": "opération d'aménagement"},
        {"shape": "square", "color": "#4d4d4d", "label": "équipement"},
        *density_legend(s.publication, s.secret_threshold),
    ]
    if task.settings.publication.locates:
        entries.append(
            {"shape": "spot", "color": "#b2182b", "label": "problème signalé plusieurs fois (n°)"}
        )
        entries += [
            {"shape": "circle", "color": color, "label": f"constat de gravité {level}"}
            for level, color in GRAVITE_COLORS.items()
        ]
    return entries
