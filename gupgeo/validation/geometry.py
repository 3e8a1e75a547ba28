"""The geometry of each row: built (geometry column, WKT, GeoJSON or coordinates),
checked against the layer's expected types, repaired when invalid, reprojected to
Lambert-93; features far from the territory flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gupgeo.crs import DISPLAY_CRS, WORK_CRS
from gupgeo.french import geometry_type, validity_reason
from gupgeo.readers.bulk import gc_paused
from gupgeo.readers.geopoint import parse_geojson
from gupgeo.readers.raw import RawLayer
from gupgeo.schemas import LayerSchema
from gupgeo.validation._rows import Labels, Rejections, blank_values, reject_rows
from gupgeo.validation.columns import coordinate_hint
from gupgeo.validation.coordinates import PendingPoints, coordinates, points_from_xy
from gupgeo.validation.projection import decide_crs, fix_swapped, reproject
from gupgeo.validation.report import LayerReport

_KIND_OF_GEOM = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "LinearRing": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}


_KIND_FR = {"point": "point", "line": "ligne", "polygon": "polygone"}


_TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
        "",  # index -1: missing geometry
    ],
    dtype=object,
)


_KIND_BY_TYPE_ID = np.array([_KIND_OF_GEOM.get(str(t), "autre") if t else "" for t in _TYPE_NAMES])


def build_geometry(
    frame: pd.DataFrame,
    raw: RawLayer,
    schema: LayerSchema,
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
) -> np.ndarray | PendingPoints | None:
    if raw.has_geometry:
        geoms = np.array(frame["geometry"].array, dtype=object)
        geoms[~shapely.is_geometry(geoms)] = None
        return _check_geometries(geoms, raw, schema, report, rej, labels)
    if raw.xy_column and raw.xy_order == "wkt":
        text = frame[raw.xy_column].astype("string").fillna("")
        with gc_paused():
            geoms = shapely.from_wkt(text.to_numpy(dtype=object), on_invalid="ignore")
        bad = (text.str.strip() != "").to_numpy() & shapely.is_missing(geoms)
        if bad.any():
            pos = np.flatnonzero(bad)
            msgs = [f"géométrie WKT illisible : {text.iloc[p][:60]!r}" for p in pos]
            reject_rows(report, rej, labels, pos, msgs, "WKT illisible", raw.xy_column)
        return _check_geometries(geoms, raw, schema, report, rej, labels)
    if raw.xy_column and raw.xy_order == "geojson":
        source = frame[raw.xy_column]
        geoms = parse_geojson(source)
        bad = (~blank_values(source)).to_numpy() & shapely.is_missing(geoms)
        if bad.any():
            pos = np.flatnonzero(bad)
            msgs = [f"géométrie GeoJSON illisible : {str(source.iloc[p])[:60]!r}" for p in pos]
            reject_rows(report, rej, labels, pos, msgs, "GeoJSON illisible", raw.xy_column)
        return _check_geometries(geoms, raw, schema, report, rej, labels)
    xy = coordinates(frame, raw, report, rej, labels, geometry_required=schema.geometry_required)
    if xy is None:
        if schema.geometry_required:
            report.add(
                "fatal",
                "aucune géométrie ni colonne de coordonnées reconnue ; attendu une géométrie ou "
                "des colonnes longitude/latitude (WGS84), x/y (Lambert-93) ou geo_point_2d ; "
                + coordinate_hint([str(c) for c in raw.frame.columns]),
                kind="géométrie absente",
            )
        else:
            report.notes.append("couche sans géométrie (facultative pour cette couche)")
        return None
    if schema.geometry and "point" not in schema.geometry:
        allowed = " ou ".join(_KIND_FR[k] for k in schema.geometry)
        report.add(
            "fatal",
            f"des coordonnées x/y ne décrivent que des points ; cette couche attend : {allowed}",
            kind="type de géométrie inattendu",
        )
        return None
    return points_from_xy(xy[0], xy[1], raw, report, rej, labels)


def _check_geometries(
    geoms: np.ndarray,
    raw: RawLayer,
    schema: LayerSchema,
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
) -> np.ndarray | None:
    _reject_non_finite(geoms, report, rej, labels)
    present = ~shapely.is_missing(geoms) & ~rej.mask
    bounds = shapely.bounds(geoms[present]) if present.any() else np.empty((0, 4))
    crs = decide_crs(bounds[:, [0, 2]].ravel(), bounds[:, [1, 3]].ravel(), raw, report)
    if crs is None:
        return None
    if crs.equals(DISPLAY_CRS):
        geoms = fix_swapped(geoms, present, report, labels)

    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    missing_geom = empty & ~rej.mask
    if missing_geom.any():
        pos = np.flatnonzero(missing_geom)
        if schema.geometry_required:
            msg = "géométrie absente ou vide"
            reject_rows(report, rej, labels, pos, [msg] * len(pos), "géométrie absente")
        geoms[pos] = None

    present = ~shapely.is_missing(geoms)
    types = np.asarray(shapely.get_type_id(geoms))
    kinds = _KIND_BY_TYPE_ID[types]
    wrong = present & ~np.isin(kinds, list(schema.geometry)) & ~rej.mask
    if wrong.any():
        pos = np.flatnonzero(wrong)
        allowed = " ou ".join(_KIND_FR[k] for k in schema.geometry)
        msgs = [
            f"géométrie de type {geometry_type(_TYPE_NAMES[types[p]])} ; attendu : {allowed}"
            for p in pos
        ]
        reject_rows(report, rej, labels, pos, msgs, "type de géométrie inattendu")

    check = present & ~rej.mask & (kinds != "point")
    if check.any():
        pos = np.flatnonzero(check)
        valid = shapely.is_valid(geoms[pos])
        for p in pos[~valid]:
            reason = validity_reason(shapely.is_valid_reason(geoms[p]))
            geoms[p] = _repair(geoms[p], kinds[p])
            report.add(
                "réparation",
                f"géométrie invalide réparée (make_valid) : {reason}",
                row=labels[p],
                kind="géométrie invalide réparée",
            )
            report.rows_repaired += 1

    if not crs.equals(WORK_CRS):
        geoms = reproject(geoms, crs)
        report.notes.append(f"reprojeté de EPSG:{crs.to_epsg()} en Lambert-93 (EPSG:2154)")
    return geoms


def _reject_non_finite(
    geoms: np.ndarray, report: LayerReport, rej: Rejections, labels: Labels
) -> None:
    """Reject geometries with a NaN or infinite coordinate (``POINT(NaN NaN)``, ``inf``)."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad_coord = ~np.isfinite(coords).all(axis=1)
    if not bad_coord.any():
        return
    pos = np.unique(index[bad_coord])
    pos = pos[~rej.mask[pos]]
    msgs = [
        f"coordonnées non finies (NaN ou infini) : {shapely.to_wkt(geoms[p])[:60]} ; "
        "attendu des nombres"
        for p in pos
    ]
    reject_rows(report, rej, labels, pos, msgs, "coordonnées non finies")


def _repair(geom: shapely.Geometry, kind: str) -> shapely.Geometry:
    fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    if kind == "polygon" and fixed.geom_type == "GeometryCollection":
        polys = [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(polys) if polys else fixed
    return fixed


def flag_far(
    geoms: np.ndarray,
    rejected: np.ndarray,
    territory: shapely.Geometry,
    far_m: float,
    report: LayerReport,
    labels: Labels,
) -> None:
    present = ~shapely.is_missing(geoms) & ~rejected
    if not present.any():
        return
    minx, miny, maxx, maxy = territory.bounds
    b = shapely.bounds(geoms)
    outside_box = present & (
        (b[:, 2] < minx - far_m)
        | (b[:, 0] > maxx + far_m)
        | (b[:, 3] < miny - far_m)
        | (b[:, 1] > maxy + far_m)
    )
    candidates = np.flatnonzero(outside_box)
    if not len(candidates):
        return
    dist = shapely.distance(geoms[candidates], territory)
    for p, d in zip(candidates.tolist(), dist.tolist(), strict=True):
        if d > far_m:
            report.add(
                "avertissement",
                f"à {d / 1000:.1f} km du quartier le plus proche ".replace(".", ",")
                + f"(seuil {far_m / 1000:.0f} km) : conservé, à vérifier",
                row=labels[p],
                kind="loin du territoire",
            )
