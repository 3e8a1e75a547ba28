"""Shared machinery of the vector layer builders: fields, classes, palettes, one add call."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.crs import to_display_crs, to_work_crs
from gupgeo.errors import SchemaError
from gupgeo.maps._elements import ThemedGroup, VectorLayer
from gupgeo.maps._format import (
    MISSING_LABEL,
    display_geometries,
    feature_collection,
    format_number_fr,
    to_json_value,
)
from gupgeo.maps.base import TerritoryMap, require_map
from gupgeo.palette import CATEGORY_COLORS, OTHER_COLOR
from gupgeo.rendering.classes import (  # re-exported: the map builders import them here
    MISSING_COLOR as MISSING_COLOR,
)
from gupgeo.rendering.classes import SECRET_COLOR as SECRET_COLOR
from gupgeo.rendering.classes import category_classes as category_classes
from gupgeo.rendering.classes import classify as classify
from gupgeo.rendering.classes import text_color_on as text_color_on

logger = logging.getLogger(__name__)


def _fmt_integer(v: Any) -> Any:
    return None if pd.isna(v) else format_number_fr(v)


def _fmt_decimal(v: Any) -> Any:
    return None if pd.isna(v) else format_number_fr(v, decimals=1)


def _fmt_money(v: Any) -> Any:
    return None if pd.isna(v) else f"{format_number_fr(v)}\u202f€"


FORMATTERS: dict[str, Callable[[Any], Any]] = {
    "text": to_json_value,
    "date": to_json_value,
    "integer": _fmt_integer,
    "decimal": _fmt_decimal,
    "money": _fmt_money,
}


@dataclass(frozen=True)
class Field:
    """A column shown in a tooltip or popup: its French label and how to format it."""

    column: str
    label: str
    kind: str = "text"


def check_layer(gdf: Any, *, name: str, required: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Raise a clear error unless ``gdf`` is a GeoDataFrame with a CRS and ``required``."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(
            f"{name} : reçu {type(gdf).__name__} ; attendu un GeoDataFrame (couche géographique)"
        )
    missing = [c for c in required if c not in gdf.columns]
    if missing:
        raise SchemaError(
            f"{name} : colonne(s) manquante(s) {missing} ; colonnes présentes : {list(gdf.columns)}"
        )
    to_work_crs(gdf.iloc[:0], name=name)  # raises CRSError when no CRS
    return gdf


def category_legend(
    labels: Sequence[str], colors: Sequence[str], counts: Sequence[int], *, shape: str
) -> list[dict[str, Any]]:
    """Legend rows of categories; beyond the coloured ones, one "autres" row."""
    n = len(CATEGORY_COLORS)
    if len(labels) <= n + 1:
        return legend_entries(labels, colors, shape=shape, counts=counts)
    rows = legend_entries(labels[:n], colors[:n], shape=shape, counts=counts[:n])
    rows.append(
        {
            "label": f"autres catégories ({len(labels) - n})",
            "color": OTHER_COLOR,
            "shape": shape,
            "count": format_number_fr(sum(counts[n:])),
        }
    )
    return rows


SCHEME_LABELS: dict[str, str] = {
    "naturalbreaks": "seuils naturels",
    "fisherjenks": "seuils naturels (Fisher-Jenks)",
    "quantiles": "quantiles (effectifs égaux)",
    "equalinterval": "intervalles égaux",
    "percentiles": "centiles",
    "boxplot": "boîte à moustaches",
    "stdmean": "écarts à la moyenne",
    "headtailbreaks": "seuils tête-queue",
    "jenkscaspall": "seuils naturels (Jenks-Caspall)",
    "maximumbreaks": "plus grands écarts",
}
"""How a reader names mapclassify's schemes (legends are in French)."""


def scheme_label(scheme: str) -> str:
    """The French name of a mapclassify scheme, as written in legends.

    Examples
    --------
    >>> scheme_label("FisherJenks")
    'seuils naturels (Fisher-Jenks)'
    """
    return SCHEME_LABELS.get(scheme.replace("_", "").lower(), scheme)


def label_positions(
    gdf: gpd.GeoDataFrame, *, name: str, precision: int
) -> list[list[float] | None]:
    """[lat, lon] of a point inside each geometry, where labels are drawn."""
    work = to_work_crs(gdf, name=name)
    inside = shapely.point_on_surface(work.geometry.to_numpy())
    shown = to_display_crs(gpd.GeoDataFrame(geometry=inside, crs=work.crs), name=name).geometry
    out: list[list[float] | None] = []
    for pt in shown.to_numpy():
        if pt is None or shapely.is_empty(pt):
            out.append(None)
        else:
            out.append([round(pt.y, precision), round(pt.x, precision)])
    return out


MIN_VISIBLE_PX = 8.0
"""Below this size on screen (pixels), a polygon is also drawn as a circle."""


def add_vector_layer(
    m: TerritoryMap,
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    theme: str,
    kind: str,
    styles: list[dict[str, Any]],
    classes: np.ndarray,
    title: str | None,
    tooltip: Sequence[Field] | None,
    popup: Sequence[Field] | None,
    label: str | None = None,
    badges: bool = False,
    show: bool = True,
    legend: dict[str, Any] | None = None,
    fill_pane: bool = False,
    zoom_range: tuple[int | None, int | None] | None = None,
    min_px: float | None = MIN_VISIBLE_PX,
) -> ThemedGroup:
    """Add a GeoJSON layer whose style is looked up per class (never per feature).

    ``fill_pane`` draws it under the outline layers (choropleths, grids).
    ``zoom_range`` (min, max; None: unbounded) limits the zoom levels at which the
    features are drawn (the layer stays in the layer list). Polygons smaller than
    ``min_px`` pixels at the current zoom are drawn as a circle at their label point
    Overlapping labels are hidden, the largest features' kept first.
    """
    m = require_map(m)
    fields = {f.column: f for f in [*(tooltip or ()), *(popup or ())]}
    columns = list(
        dict.fromkeys([*([title] if title else []), *fields, *([label] if label else [])])
    )
    props: list[dict[str, Any]] = [{"_s": int(c)} for c in classes]
    for column in columns:
        fmt = FORMATTERS[fields[column].kind] if column in fields else to_json_value
        values = gdf[column].tolist() if column in gdf.columns else [None] * len(gdf)
        for row, value in zip(props, values, strict=True):
            row[column] = fmt(value)
    polygonal = bool(gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).any())
    if label or (polygonal and min_px):
        for row, at in zip(
            props, label_positions(gdf, name=name, precision=m.precision), strict=True
        ):
            row["_at"] = at
        areas = to_work_crs(gdf, name=name).geometry.area.fillna(0).round().to_numpy()
        for row, area in zip(props, areas, strict=True):
            row["_rank"] = float(area)
    geoms = display_geometries(
        gdf, name=name, precision=m.precision, simplify_tolerance_m=m.simplify_tolerance_m
    )
    data = feature_collection(geoms, props)
    dropped = len(gdf) - len(data["features"])
    if dropped:
        logger.warning("%s : %d objet(s) sans géométrie non dessiné(s)", name, dropped)

    def spec(fs: Sequence[Field] | None) -> dict[str, Any] | None:
        return None if fs is None else {"title": title, "fields": [[f.column, f.label] for f in fs]}

    group = ThemedGroup(name, theme=theme, show=show)
    group.legend = legend
    group.add_child(
        VectorLayer(
            {
                "name": name,
                "kind": kind,
                "data": data,
                "styles": styles,
                "tooltip": spec(tooltip),
                "popup": spec(popup),
                "label": label,
                "badges": badges,
                "pane": "gupgeoFill" if fill_pane else None,
                "zoomRange": list(zoom_range) if zoom_range else None,
                "minPx": min_px if polygonal else None,
            },
            feature_count=len(data["features"]),
        )
    )
    group.add_to(m)
    if data["features"]:
        shown = [g for g in geoms if g is not None and not shapely.is_empty(g)]
        west, south, east, north = shapely.total_bounds(np.asarray(shown, dtype=object))
        m.include_bounds(west, south, east, north)
    return group


def legend_entries(
    labels: Sequence[str],
    colors: Sequence[str],
    *,
    shape: str,
    counts: Sequence[int] | None = None,
    glyphs: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Legend rows; counts are French-formatted."""
    rows = []
    for i, (text, color) in enumerate(zip(labels, colors, strict=True)):
        row: dict[str, Any] = {"label": text, "color": color, "shape": shape}
        if counts is not None:
            row["count"] = format_number_fr(counts[i])
        if glyphs is not None:
            row["glyph"] = glyphs[i]
            row["textColor"] = text_color_on(color)
        rows.append(row)
    return rows


def missing_entry(count: int, *, shape: str = "square") -> dict[str, Any]:
    return {
        "label": MISSING_LABEL,
        "color": MISSING_COLOR,
        "shape": shape,
        "count": format_number_fr(count),
    }
