"""Points from coordinate columns (``x``/``y``, ``"lat, lon"`` fields, a GeoJSON shape
column): read as numbers, placed in a CRS, built once in Lambert-93 (large files
reprojected on another core)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from gupgeo.crs import DISPLAY_CRS, WORK_CRS
from gupgeo.french import format_count
from gupgeo.readers.bulk import points
from gupgeo.readers.geopoint import parse_geojson, parse_lat_lon
from gupgeo.readers.raw import RawLayer
from gupgeo.validation import _rows
from gupgeo.validation._rows import (
    Labels,
    Rejections,
    has_decimal_comma,
    reject_rows,
    to_float,
)
from gupgeo.validation.projection import decide_crs, in_france, report_swaps
from gupgeo.validation.report import LayerReport


def _shown(value: object) -> str:
    """A source value as a planner would read it (``inf``, not ``np.float64(inf)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def coordinates(
    frame: pd.DataFrame,
    raw: RawLayer,
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
    *,
    geometry_required: bool,
) -> tuple[np.ndarray, np.ndarray] | None:
    if raw.x_column and raw.y_column:
        xs_raw, ys_raw = frame[raw.x_column], frame[raw.y_column]
        # Columns read as text: a decimal comma is looked for in each (quoted "0,69" in a
        # comma-separated file, or columns a mapping named after the file was read).
        x = to_float(xs_raw, raw.decimal_comma or has_decimal_comma(xs_raw)).to_numpy()
        y = to_float(ys_raw, raw.decimal_comma or has_decimal_comma(ys_raw)).to_numpy()
        names = (raw.x_column, raw.y_column)
        for values, parsed, name in ((xs_raw, x, names[0]), (ys_raw, y, names[1])):
            blank = values.isna().to_numpy()
            # NaN read from the text "NaN" is not blank: it is a coordinate that is no number.
            bad = (~blank | np.isinf(parsed)) & ~np.isfinite(parsed)
            if bad.any():
                pos = np.flatnonzero(bad)
                msgs = [
                    f"{name} illisible : {_shown(values.iloc[p])} (attendu un nombre)" for p in pos
                ]
                reject_rows(report, rej, labels, pos, msgs, "coordonnée illisible", name)
        blank = ~np.isfinite(x) | ~np.isfinite(y)
        blank_only = blank & ~rej.mask
        if blank_only.any() and not geometry_required:
            report.notes.append(
                f"{format_count(int(blank_only.sum()))} ligne(s) sans coordonnées, conservées sans "
                "géométrie (facultative pour cette couche)"
            )
        elif blank_only.any():
            pos = np.flatnonzero(blank_only)
            msg = f"coordonnées manquantes ({names[0]} / {names[1]} vides)"
            reject_rows(report, rej, labels, pos, [msg] * len(pos), "coordonnées manquantes")
        return x, y
    if raw.xy_column and raw.xy_order == "yx":
        x, y = parse_lat_lon(frame[raw.xy_column])
        bad = ~np.isfinite(x) | ~np.isfinite(y)
        shape_column = raw.metadata.get("geo_shape")
        if bad.any() and isinstance(shape_column, str) and shape_column in frame.columns:
            _points_from_shapes(frame[shape_column], bad, x, y, raw.xy_column, report)
            bad = ~np.isfinite(x) | ~np.isfinite(y)
        if bad.any():
            pos = np.flatnonzero(bad)
            msgs = [
                f"{raw.xy_column} illisible : {frame[raw.xy_column].iloc[p]!r} "
                "(attendu « latitude, longitude » ou {'lon': …, 'lat': …})"
                for p in pos
            ]
            reject_rows(report, rej, labels, pos, msgs, "coordonnées illisibles", raw.xy_column)
        return x, y
    return None


def _points_from_shapes(
    shapes: pd.Series,
    bad: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    column: str,
    report: LayerReport,
) -> None:
    """Fill unreadable points from the GeoJSON shape column (``geo_shape``), saying how many."""
    geoms = parse_geojson(shapes[bad])
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not present.any():
        return
    points = shapely.point_on_surface(geoms[present])
    pos = np.flatnonzero(bad)[present]
    x[pos], y[pos] = shapely.get_x(points), shapely.get_y(points)
    report.notes.append(
        f"{format_count(len(pos))} point(s) pris dans « {shapes.name} » ({column} vide ou "
        "illisible)"
    )


def points_from_xy(
    x: np.ndarray,
    y: np.ndarray,
    raw: RawLayer,
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
) -> np.ndarray | PendingPoints | None:
    """Fast path for coordinate columns: work on arrays, build points once, in Lambert-93."""
    ok = np.isfinite(x) & np.isfinite(y) & ~rej.mask
    crs = (
        decide_crs(x[ok], y[ok], raw, report) if raw.crs is None else decide_crs(x, y, raw, report)
    )
    if crs is None:
        return None
    x, y = x.copy(), y.copy()
    if crs.equals(DISPLAY_CRS):
        swapped = ok & ~in_france(x, y) & in_france(y, x)
        if swapped.any():
            pos = np.flatnonzero(swapped)
            report_swaps(pos, x[pos], y[pos], report, labels)
            x[pos], y[pos] = y[pos], x[pos].copy()
        impossible = ok & ((np.abs(x) > 180) | (np.abs(y) > 90))
        if impossible.any():
            pos = np.flatnonzero(impossible)
            msgs = [
                f"coordonnées impossibles en WGS84 (longitude {x[p]:g}, latitude {y[p]:g}) ; "
                "attendu une longitude entre -180 et 180 et une latitude entre -90 et 90"
                for p in pos
            ]
            reject_rows(report, rej, labels, pos, msgs, "coordonnées impossibles")
            x[pos] = y[pos] = np.nan
    if not crs.equals(WORK_CRS):
        transformer = Transformer.from_crs(crs, WORK_CRS, always_xy=True)
        report.notes.append(f"reprojeté de EPSG:{crs.to_epsg()} en Lambert-93 (EPSG:2154)")
        if len(x) >= _rows.PREFETCH_ROWS:
            # PROJ releases the GIL: reproject on the other core while columns are typed.
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gupgeo-proj")
            future = pool.submit(transformer.transform, x, y, inplace=True)
            pool.shutdown(wait=False)
            return PendingPoints(future, ok, crs)
        x, y = transformer.transform(x, y, inplace=True)
    return _points_after_projection(x, y, ok, crs, report, rej, labels)


@dataclass
class PendingPoints:
    """Coordinates being reprojected on another core; :meth:`result` builds the points."""

    future: Future[tuple[np.ndarray, np.ndarray]]
    ok: np.ndarray
    crs: CRS

    def result(self, report: LayerReport, rej: Rejections, labels: Labels) -> np.ndarray:
        x, y = self.future.result()
        return _points_after_projection(x, y, self.ok, self.crs, report, rej, labels)


def _points_after_projection(
    x: np.ndarray,
    y: np.ndarray,
    ok: np.ndarray,
    crs: CRS,
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
) -> np.ndarray:
    finite = np.isfinite(x) & np.isfinite(y)
    lost = ok & ~finite & ~rej.mask
    if lost.any():
        pos = np.flatnonzero(lost)
        msg = f"coordonnées hors du domaine de EPSG:{crs.to_epsg()} : reprojection impossible"
        reject_rows(report, rej, labels, pos, [msg] * len(pos), "reprojection impossible")
    if finite.all():
        return points(x, y)
    geoms = np.full(len(x), None, dtype=object)
    geoms[finite] = points(x[finite], y[finite])
    return geoms
