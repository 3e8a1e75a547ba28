"""Validation: every row of a raw layer ends kept (maybe repaired) or rejected with its reason.

Problems are collected, never raised one at a time: the :class:`LayerReport`
lists them all and the caller decides what is fatal. The rules, in order:

1. columns are renamed to the schema's names: explicit mapping, identifier choice,
   header matching (:mod:`gupgeo.validation.columns`);
2. a missing required column is fatal for the layer (all its rows are rejected
   with that reason, so the count still balances; the message names the closest
   columns and the ``--colonne`` line to add);
3. geometries are built (coordinates columns, ``"lat, lon"`` fields or WKT),
   the CRS decided (declared, or deduced when only WGS84 or only Lambert-93 is
   possible — and said), swapped latitude/longitude corrected, invalid
   geometries repaired with ``make_valid``, everything reprojected to Lambert-93;
4. values are typed: dates (ISO, ``dd/mm/yyyy``, Excel serials), numbers
   (decimal comma accepted), with the row named when a value is unreadable;
5. duplicate identifiers: the first occurrence is kept, later ones rejected;
6. points far from the territory are flagged and kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS, Transformer

from gupgeo.crs import (
    DISPLAY_CRS,
    FRANCE_LAT,
    FRANCE_LON,
    WORK_CRS,
    guess_crs,
    implausible_for_crs,
)
from gupgeo.dates import EXPECTED_DATE, parse_dates
from gupgeo.french import format_count, geometry_type, validity_reason
from gupgeo.readers.bulk import gc_paused, points
from gupgeo.readers.geopoint import parse_geojson, parse_lat_lon
from gupgeo.readers.raw import RawLayer
from gupgeo.readers.tabular import COORDINATE_TARGETS
from gupgeo.schemas import Column, LayerSchema
from gupgeo.validation.columns import (
    coordinate_hint,
    map_coordinates,
    match_columns,
    missing_column_message,
    suggested_columns,
)
from gupgeo.validation.report import LayerReport
from gupgeo.validation.statuses import canonical_statuses
from gupgeo.validation.values import apply_constants, fill_descriptive

_PREFETCH_ROWS = 100_000
"""From this many rows, the identifier check starts early on another core."""

REJECT_COLUMNS = ("couche", "fichier", "ligne", "motif")
"""First columns of a rejects table; the rejected row's own values follow."""

FREE_TEXT = frozenset({"description", "recommandation", "adresse", "objet", "motif", "intitule"})
"""Free-text columns: kept as written (only blank values become missing)."""

FAR_M = 20_000.0
"""Distance beyond which a feature is flagged as far from the territory's quartiers."""

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


@dataclass
class LayerResult:
    """A validated layer: the kept rows, the rejected rows and the report.

    :meth:`kept_label` says where a kept row is in its source (``"ligne 12"``).
    """

    data: pd.DataFrame
    rejects: pd.DataFrame
    report: LayerReport
    kept_positions: np.ndarray | None = None
    raw: RawLayer | None = None

    def kept_label(self, i: int) -> str:
        """Where the ``i``-th kept row is in its source."""
        if self.raw is None or self.kept_positions is None:
            return f"entité {i + 1}"
        return self.raw.label(int(self.kept_positions[i]))


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


class _Labels:
    """Where rows are in their source, computed only for the rows a message names."""

    def __init__(self, raw: RawLayer) -> None:
        self._raw = raw

    def __getitem__(self, position: int | np.integer) -> str:
        return self._raw.label(int(position))


class _Rejections:
    """Row positions to reject, each with one or more reasons."""

    def __init__(self, n: int) -> None:
        self.mask = np.zeros(n, dtype=bool)
        self.reasons: dict[int, list[str]] = {}

    def add(self, positions: np.ndarray, messages: list[str]) -> None:
        for pos, msg in zip(positions.tolist(), messages, strict=True):
            self.mask[pos] = True
            self.reasons.setdefault(pos, []).append(msg)


def rename_columns(frame: pd.DataFrame, schema: LayerSchema) -> tuple[pd.DataFrame, list[str]]:
    """Rename alias columns to canonical names; return the frame and what was renamed."""
    match = match_columns(frame, schema)
    return match.frame, [f"{a} → {b}" for b, a in match.mapped.items()]


def validate_raw(
    raw: RawLayer,
    schema: LayerSchema,
    *,
    territory: shapely.Geometry | None = None,
    far_m: float = FAR_M,
    columns: Mapping[str, str] | None = None,
    statuses: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> LayerResult:
    """Validate one raw layer against its schema.

    Parameters
    ----------
    raw
        What a reader returned.
    schema
        The layer's declared schema.
    territory
        Optional area (Lambert-93) used to flag features lying more than
        ``far_m`` metres from it (typically the union of the quartiers).
    far_m
        Distance in metres beyond which a feature is flagged, not rejected.
    columns
        Explicit ``{schema column: file column}`` (see :mod:`gupgeo.validation.columns`).
    statuses
        The source's own status vocabulary, raw value → canonical status.
    values
        Constant columns ``{schema column: text}`` (``--valeur type=corbeille``), set on
        every row (:func:`gupgeo.validation.values.apply_constants`).
    """
    report = LayerReport(layer=schema.name, source=raw.source, format=raw.format)
    report.notes.extend(raw.notes)
    placed = map_coordinates(
        raw, schema, {t: s for t, s in (columns or {}).items() if t in COORDINATE_TARGETS}
    )
    raw = placed.raw
    labels = _Labels(raw)
    match = match_columns(
        raw.frame,
        schema,
        columns={t: s for t, s in (columns or {}).items() if t not in COORDINATE_TARGETS},
        line_ids=lambda: [labels[p].replace(" ", "-") for p in range(len(raw.frame))],
        reserved=frozenset(placed.mapped.values()),
        file=raw.source,
    )
    match.problems[:0] = placed.problems
    report.notes.extend([*placed.notes, *match.notes])
    frame = apply_constants(match.frame, values or {}, report)
    report.values = dict(values or {})
    report.columns_mapped = {**placed.mapped, **match.mapped}
    n = len(frame)
    report.rows_read = n + len(raw.unreadable)
    rej = _Rejections(n)
    found = [str(c) for c in raw.frame.columns if c != "geometry"]
    for kind, message in match.problems:
        report.add("fatal", message, kind=kind)
    missing = [c for c in schema.required if c not in frame.columns]
    names = {c.name for c in schema.columns}
    taken = {*report.columns_mapped.values(), *(c for c in found if c in names)}
    taken |= {raw.x_column, raw.y_column, raw.xy_column} - {None}  # type: ignore[arg-type]
    for col in missing:
        report.add(
            "fatal",
            missing_column_message(col, schema, found, raw.frame, taken=taken),
            column=col,
            kind="colonne obligatoire absente",
        )
    if missing:
        free = [c for c in found if c not in taken]
        report.suggested = suggested_columns(schema, missing, raw.frame, free)
    if missing or match.problems:
        reason = "couche inutilisable : " + (
            "colonne(s) obligatoire(s) absente(s) : " + ", ".join(missing)
            if missing
            else match.problems[0][1]
        )
        rej.add(np.arange(n), [reason] * n)
        return _finish(frame, raw, schema, rej, report, labels, geometry=None)

    # The identifier check (a pyarrow hash pass) and the reprojection of large
    # coordinate columns (PROJ) release the GIL: they run on the other core while
    # the columns are typed and the points built.
    distinct = _start_distinct_check(frame, schema)
    geometry = (
        _build_geometry(frame, raw, schema, report, rej, labels) if schema.is_spatial else None
    )
    if report.fatal:
        reason = "couche inutilisable : " + report.issues_of("fatal")[0].message
        rej.add(np.flatnonzero(~rej.mask), [reason] * int((~rej.mask).sum()))
        return _finish(frame, raw, schema, rej, report, labels, geometry=None)

    frame = _type_columns(frame, schema, report, rej, labels, decimal_comma=raw.decimal_comma)
    frame = fill_descriptive(frame, schema.name, report)
    if schema.name == "signalements":
        frame = _signalement_rules(frame, raw, report, statuses)
    if isinstance(geometry, _PendingPoints):
        geometry = geometry.result(report, rej, labels)
    _flag_duplicates(
        frame, schema, report, rej, labels, distinct=distinct.result() if distinct else None
    )
    if geometry is not None and territory is not None:
        _flag_far(geometry, rej.mask, territory, far_m, report, labels)
    return _finish(frame, raw, schema, rej, report, labels, geometry)


# --------------------------------------------------------------------------- geometry


def _to_float(values: pd.Series, decimal_comma: bool) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip()
    if decimal_comma:
        text = text.str.replace(",", ".", regex=False)
    elif values.dtype == object:
        # A spreadsheet column mixing numbers and French text numbers ("0,69").
        french = text.str.fullmatch(r"[-+]?\d+,\d+").fillna(False)
        if french.any():
            text = text.where(~french, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _shown(value: object) -> str:
    """A source value as a planner would read it (``inf``, not ``np.float64(inf)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _coordinates(
    frame: pd.DataFrame,
    raw: RawLayer,
    report: LayerReport,
    rej: _Rejections,
    labels: _Labels,
    *,
    geometry_required: bool,
) -> tuple[np.ndarray, np.ndarray] | None:
    if raw.x_column and raw.y_column:
        xs_raw, ys_raw = frame[raw.x_column], frame[raw.y_column]
        # Columns read as text: a decimal comma is looked for in each (quoted "0,69" in a
        # comma-separated file, or columns a mapping named after the file was read).
        x = _to_float(xs_raw, raw.decimal_comma or _has_decimal_comma(xs_raw)).to_numpy()
        y = _to_float(ys_raw, raw.decimal_comma or _has_decimal_comma(ys_raw)).to_numpy()
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
                rej.add(pos, msgs)
                _list(report, "rejet", pos, msgs, labels, "coordonnée illisible", name)
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
            rej.add(pos, [msg] * len(pos))
            _list(report, "rejet", pos, [msg] * len(pos), labels, "coordonnées manquantes")
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
            rej.add(pos, msgs)
            _list(report, "rejet", pos, msgs, labels, "coordonnées illisibles", raw.xy_column)
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


def _build_geometry(
    frame: pd.DataFrame,
    raw: RawLayer,
    schema: LayerSchema,
    report: LayerReport,
    rej: _Rejections,
    labels: _Labels,
) -> np.ndarray | _PendingPoints | None:
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
            rej.add(pos, msgs)
            _list(report, "rejet", pos, msgs, labels, "WKT illisible", raw.xy_column)
        return _check_geometries(geoms, raw, schema, report, rej, labels)
    if raw.xy_column and raw.xy_order == "geojson":
        source = frame[raw.xy_column]
        geoms = parse_geojson(source)
        bad = (~_blank(source)).to_numpy() & shapely.is_missing(geoms)
        if bad.any():
            pos = np.flatnonzero(bad)
            msgs = [f"géométrie GeoJSON illisible : {str(source.iloc[p])[:60]!r}" for p in pos]
            rej.add(pos, msgs)
            _list(report, "rejet", pos, msgs, labels, "GeoJSON illisible", raw.xy_column)
        return _check_geometries(geoms, raw, schema, report, rej, labels)
    xy = _coordinates(frame, raw, report, rej, labels, geometry_required=schema.geometry_required)
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
    return _points_from_xy(xy[0], xy[1], raw, report, rej, labels)


def _decide_crs(xs: np.ndarray, ys: np.ndarray, raw: RawLayer, report: LayerReport) -> CRS | None:
    """The declared CRS, or the one the coordinates allow (said in the report), or None."""
    if raw.crs is not None:
        report.crs_source = raw.crs_note or f"{raw.crs.name} déclaré"
        declared = CRS.from_user_input(raw.crs)
        problem = implausible_for_crs(xs, ys, declared)
        if problem is not None:
            report.add("fatal", problem, kind="coordonnées incompatibles avec le CRS déclaré")
            return None
        return declared
    guess = guess_crs(xs, ys)
    if guess is None:
        ok = np.isfinite(xs) & np.isfinite(ys)
        extent = (
            f"X {np.min(xs[ok]):.0f} à {np.max(xs[ok]):.0f}, Y {np.min(ys[ok]):.0f} à "
            f"{np.max(ys[ok]):.0f}"
            if ok.any()
            else "aucune coordonnée"
        )
        report.add(
            "fatal",
            "aucun système de coordonnées déclaré, et les coordonnées ne sont ni des "
            f"longitudes/latitudes WGS84 ni du Lambert-93 ({extent}) ; déclarez le CRS "
            "(fichier .prj, ou reprojetez en EPSG:2154 / EPSG:4326)",
            kind="CRS indéterminé",
        )
        return None
    report.crs_source = f"non déclaré ; EPSG:{guess.crs.to_epsg()} retenu : {guess.reason}"
    report.add(
        "avertissement",
        f"CRS non déclaré : EPSG:{guess.crs.to_epsg()} retenu ({guess.reason})",
        kind="CRS déduit",
    )
    return guess.crs


def _points_from_xy(
    x: np.ndarray,
    y: np.ndarray,
    raw: RawLayer,
    report: LayerReport,
    rej: _Rejections,
    labels: _Labels,
) -> np.ndarray | _PendingPoints | None:
    """Fast path for coordinate columns: work on arrays, build points once, in Lambert-93."""
    ok = np.isfinite(x) & np.isfinite(y) & ~rej.mask
    crs = (
        _decide_crs(x[ok], y[ok], raw, report)
        if raw.crs is None
        else _decide_crs(x, y, raw, report)
    )
    if crs is None:
        return None
    x, y = x.copy(), y.copy()
    if crs.equals(DISPLAY_CRS):
        swapped = ok & ~_in_france(x, y) & _in_france(y, x)
        if swapped.any():
            pos = np.flatnonzero(swapped)
            _report_swaps(pos, x[pos], y[pos], report, labels)
            x[pos], y[pos] = y[pos], x[pos].copy()
        impossible = ok & ((np.abs(x) > 180) | (np.abs(y) > 90))
        if impossible.any():
            pos = np.flatnonzero(impossible)
            msgs = [
                f"coordonnées impossibles en WGS84 (longitude {x[p]:g}, latitude {y[p]:g}) ; "
                "attendu une longitude entre -180 et 180 et une latitude entre -90 et 90"
                for p in pos
            ]
            rej.add(pos, msgs)
            _list(report, "rejet", pos, msgs, labels, "coordonnées impossibles")
            x[pos] = y[pos] = np.nan
    if not crs.equals(WORK_CRS):
        transformer = Transformer.from_crs(crs, WORK_CRS, always_xy=True)
        report.notes.append(f"reprojeté de EPSG:{crs.to_epsg()} en Lambert-93 (EPSG:2154)")
        if len(x) >= _PREFETCH_ROWS:
            # PROJ releases the GIL: reproject on the other core while columns are typed.
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gupgeo-proj")
            future = pool.submit(transformer.transform, x, y, inplace=True)
            pool.shutdown(wait=False)
            return _PendingPoints(future, ok, crs)
        x, y = transformer.transform(x, y, inplace=True)
    return _points_after_projection(x, y, ok, crs, report, rej, labels)


@dataclass
class _PendingPoints:
    """Coordinates being reprojected on another core; :meth:`result` builds the points."""

    future: Future[tuple[np.ndarray, np.ndarray]]
    ok: np.ndarray
    crs: CRS

    def result(self, report: LayerReport, rej: _Rejections, labels: _Labels) -> np.ndarray:
        x, y = self.future.result()
        return _points_after_projection(x, y, self.ok, self.crs, report, rej, labels)


def _points_after_projection(
    x: np.ndarray,
    y: np.ndarray,
    ok: np.ndarray,
    crs: CRS,
    report: LayerReport,
    rej: _Rejections,
    labels: _Labels,
) -> np.ndarray:
    finite = np.isfinite(x) & np.isfinite(y)
    lost = ok & ~finite & ~rej.mask
    if lost.any():
        pos = np.flatnonzero(lost)
        msg = f"coordonnées hors du domaine de EPSG:{crs.to_epsg()} : reprojection impossible"
        rej.add(pos, [msg] * len(pos))
        _list(report, "rejet", pos, [msg] * len(pos), labels, "reprojection impossible")
    if finite.all():
        return points(x, y)
    geoms = np.full(len(x), None, dtype=object)
    geoms[finite] = points(x[finite], y[finite])
    return geoms


def _check_geometries(
    geoms: np.ndarray,
    raw: RawLayer,
    schema: LayerSchema,
    report: LayerReport,
    rej: _Rejections,
    labels: _Labels,
) -> np.ndarray | None:
    _reject_non_finite(geoms, report, rej, labels)
    present = ~shapely.is_missing(geoms) & ~rej.mask
    bounds = shapely.bounds(geoms[present]) if present.any() else np.empty((0, 4))
    crs = _decide_crs(bounds[:, [0, 2]].ravel(), bounds[:, [1, 3]].ravel(), raw, report)
    if crs is None:
        return None
    if crs.equals(DISPLAY_CRS):
        geoms = _fix_swapped(geoms, present, report, labels)

    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    missing_geom = empty & ~rej.mask
    if missing_geom.any():
        pos = np.flatnonzero(missing_geom)
        if schema.geometry_required:
            msg = "géométrie absente ou vide"
            rej.add(pos, [msg] * len(pos))
            _list(report, "rejet", pos, [msg] * len(pos), labels, "géométrie absente")
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
        rej.add(pos, msgs)
        _list(report, "rejet", pos, msgs, labels, "type de géométrie inattendu")

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
        geoms = _reproject(geoms, crs)
        report.notes.append(f"reprojeté de EPSG:{crs.to_epsg()} en Lambert-93 (EPSG:2154)")
    return geoms


def _reject_non_finite(
    geoms: np.ndarray, report: LayerReport, rej: _Rejections, labels: _Labels
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
    rej.add(pos, msgs)
    _list(report, "rejet", pos, msgs, labels, "coordonnées non finies")


def _repair(geom: shapely.Geometry, kind: str) -> shapely.Geometry:
    fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    if kind == "polygon" and fixed.geom_type == "GeometryCollection":
        polys = [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(polys) if polys else fixed
    return fixed


def _reproject(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    transformer = Transformer.from_crs(crs, WORK_CRS, always_xy=True)
    present = ~shapely.is_missing(geoms)
    out = geoms.copy()
    if present.any():
        with gc_paused():
            out[present] = shapely.transform(
                geoms[present],
                lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])),
            )
    return out


def _in_france(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x >= FRANCE_LON[0]) & (x <= FRANCE_LON[1]) & (y >= FRANCE_LAT[0]) & (y <= FRANCE_LAT[1])


def _fix_swapped(
    geoms: np.ndarray, present: np.ndarray, report: LayerReport, labels: _Labels
) -> np.ndarray:
    """Swap back points whose latitude and longitude were exchanged."""
    is_point = present & (shapely.get_type_id(geoms) == 0)
    if not is_point.any():
        return geoms
    pos = np.flatnonzero(is_point)
    x, y = shapely.get_x(geoms[pos]), shapely.get_y(geoms[pos])
    swapped = ~_in_france(x, y) & _in_france(y, x)
    if not swapped.any():
        return geoms
    out = geoms.copy()
    fix = pos[swapped]
    out[fix] = shapely.points(y[swapped], x[swapped])
    _report_swaps(fix, x[swapped], y[swapped], report, labels)
    return out


def _report_swaps(
    positions: np.ndarray, x: np.ndarray, y: np.ndarray, report: LayerReport, labels: _Labels
) -> None:
    for p, xv, yv in zip(positions.tolist(), x.tolist(), y.tolist(), strict=True):
        report.add(
            "réparation",
            f"latitude et longitude inversées (x={xv:.5f}, y={yv:.5f}) : remises dans l'ordre",
            row=labels[p],
            kind="latitude/longitude inversées",
        )
    report.rows_repaired += len(positions)


def _flag_far(
    geoms: np.ndarray,
    rejected: np.ndarray,
    territory: shapely.Geometry,
    far_m: float,
    report: LayerReport,
    labels: _Labels,
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


# --------------------------------------------------------------------------- values


def _type_columns(
    frame: pd.DataFrame,
    schema: LayerSchema,
    report: LayerReport,
    rej: _Rejections,
    labels: _Labels,
    *,
    decimal_comma: bool,
) -> pd.DataFrame:
    """Type every column of the schema present (dates, numbers, text), naming each
    unreadable value; a blank required value rejects its row."""
    frame = frame.copy()
    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        values = frame[col.name]
        if col.kind == "date":
            typed, blank = _typed_dates(values, col, report, rej, labels)
        elif col.kind in ("integer", "number"):
            typed, blank = _typed_numbers(values, col, report, rej, labels, decimal_comma)
        else:
            typed = _clean_text(values, strip=col.name not in FREE_TEXT)
            blank = typed.isna().to_numpy()
        frame[col.name] = typed
        if col.required:
            _reject_blank_required(blank, col, report, rej, labels)
    if "gravite" in frame.columns:
        frame["gravite"] = _gravite_in_range(frame["gravite"], report, labels)
    return frame


def _typed_dates(
    values: pd.Series, col: Column, report: LayerReport, rej: _Rejections, labels: _Labels
) -> tuple[pd.Series, np.ndarray]:
    """Parsed dates, and which values were blank (a date is missing iff blank or unreadable)."""
    parsed, bad = parse_dates(values)
    bad_arr = bad.to_numpy()
    _bad_values(
        values, bad_arr, col.name, col.required, f"attendu {EXPECTED_DATE}",
        "date illisible", report, rej, labels,
    )  # fmt: skip
    return parsed, parsed.isna().to_numpy() & ~bad_arr


def _typed_numbers(
    values: pd.Series,
    col: Column,
    report: LayerReport,
    rej: _Rejections,
    labels: _Labels,
    decimal_comma: bool,
) -> tuple[pd.Series, np.ndarray]:
    """Parsed numbers, and which values were blank."""
    parsed_num = _to_float(values, decimal_comma or _has_decimal_comma(values))
    blank = _blank(values).to_numpy()
    bad_arr = ~blank & parsed_num.isna().to_numpy()
    _bad_values(
        values, bad_arr, col.name, col.required, "attendu un nombre", "nombre illisible",
        report, rej, labels,
    )  # fmt: skip
    if col.kind != "integer":
        return parsed_num, blank
    frac = parsed_num.notna() & (parsed_num != parsed_num.round())
    if frac.any():
        _bad_values(
            values, frac.to_numpy(), col.name, col.required, "attendu un entier",
            "entier attendu", report, rej, labels,
        )  # fmt: skip
        parsed_num = parsed_num.where(~frac)
    return parsed_num.round().astype("Int64"), blank


def _reject_blank_required(
    blank_req: np.ndarray, col: Column, report: LayerReport, rej: _Rejections, labels: _Labels
) -> None:
    if blank_req.any():
        pos = np.flatnonzero(blank_req)
        msg = f"{col.name} vide (valeur obligatoire)"
        rej.add(pos, [msg] * len(pos))
        _list(report, "rejet", pos, [msg] * len(pos), labels, "valeur obligatoire vide", col.name)


def _gravite_in_range(gravite: pd.Series, report: LayerReport, labels: _Labels) -> pd.Series:
    """Gravité outside 1–3 is emptied, with a warning naming the row."""
    out_of_range = gravite.notna() & ~gravite.isin([1, 2, 3])
    if not out_of_range.any():
        return gravite
    for p in np.flatnonzero(out_of_range.to_numpy()):
        report.add(
            "avertissement",
            f"gravite {gravite.iloc[p]} hors de l'échelle 1–3 : vidée",
            row=labels[p],
            column="gravite",
            kind="gravité hors échelle",
        )
    return gravite.where(~out_of_range)


def _clean_text(values: pd.Series, *, strip: bool = True) -> pd.Series:
    """Text with blanks as missing values and, unless ``strip`` is false, no surrounding spaces."""
    if not pd.api.types.is_string_dtype(values) or values.dtype == object:
        values = values.astype("string")
    text = values.str.strip() if strip else values
    blank = text == "" if strip else (text == "") | text.str.isspace()
    return text.where(~blank) if blank.any() else text


def _has_decimal_comma(values: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(values):
        return False
    sample = values.dropna().astype("string").head(200)
    return bool(sample.str.fullmatch(r"-?\d+,\d+").any())


def _blank(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.isna()
    return values.isna() | (values.astype("string").str.strip() == "")


def _bad_values(
    values: pd.Series,
    bad: np.ndarray,
    name: str,
    required: bool,
    expected: str,
    kind: str,
    report: LayerReport,
    rej: _Rejections,
    labels: _Labels,
) -> None:
    if not bad.any():
        return
    pos = np.flatnonzero(bad)
    msgs = [f"{name} illisible : {values.iloc[p]!r} ({expected})" for p in pos]
    if required:
        rej.add(pos, msgs)
        _list(report, "rejet", pos, msgs, labels, kind, name)
    else:
        msgs = [m + " — valeur facultative vidée, ligne conservée" for m in msgs]
        _list(report, "avertissement", pos, msgs, labels, kind, name)


def _signalement_rules(
    frame: pd.DataFrame,
    raw: RawLayer,
    report: LayerReport,
    statuses: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    if "statut" in frame.columns:
        if "statut_brut" in frame.columns:  # a territory saved by gupgeo: the raw value stays
            frame["statut"] = frame["statut_brut"].where(
                frame["statut_brut"].notna(), frame["statut"]
            )
        frame["statut_brut"] = frame["statut"]
        frame["statut"] = canonical_statuses(frame["statut_brut"], statuses)
        unknown = frame["statut_brut"].notna() & frame["statut"].isna()
        if unknown.any():
            counts = frame.loc[unknown, "statut_brut"].value_counts()
            for value, count in counts.items():
                report.add(
                    "avertissement",
                    f"statut inconnu « {value} » ({count} ligne(s)) : statut canonique laissé vide, "
                    "valeur d'origine conservée dans statut_brut",
                    column="statut",
                    kind="statut inconnu",
                )
    elif raw.metadata.get("sans_statut"):
        frame["statut"] = pd.Series(None, index=frame.index, dtype="object")
    if "date_cloture" in frame.columns and "date_signalement" in frame.columns:
        before = frame["date_cloture"] < frame["date_signalement"]
        if before.any():
            report.add(
                "avertissement",
                f"{int(before.sum())} date(s) de clôture antérieure(s) à la date de signalement",
                kind="clôture avant signalement",
            )
    return frame


def _start_distinct_check(frame: pd.DataFrame, schema: LayerSchema) -> Future[bool] | None:
    """Start the identifier uniqueness check on another core (pyarrow releases the GIL)."""
    if not schema.id_column or schema.id_column not in frame.columns or len(frame) < _PREFETCH_ROWS:
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gupgeo-ids")
    # Compared as they will be kept: " S-1" and "S-1" are the same identifier.
    future = pool.submit(lambda ids: _all_distinct(_clean_text(ids)), frame[schema.id_column])
    pool.shutdown(wait=False)
    return future


def _all_distinct(ids: pd.Series) -> bool:
    """Whether non-null ``ids`` are all different (one hash pass, no per-row output)."""
    try:
        arr = pa.array(ids, from_pandas=True)
    except (pa.ArrowException, TypeError):
        return bool(ids.dropna().is_unique)
    return len(pc.unique(arr.drop_null())) == len(arr) - arr.null_count


def _flag_duplicates(
    frame: pd.DataFrame,
    schema: LayerSchema,
    report: LayerReport,
    rej: _Rejections,
    labels: _Labels,
    *,
    distinct: bool | None = None,
) -> None:
    if not schema.id_column or schema.id_column not in frame.columns:
        return
    ids = frame[schema.id_column]
    considered = ids.notna().to_numpy() & ~rej.mask
    if considered.all() and (distinct if distinct is not None else _all_distinct(ids)):
        return
    sub = ids if considered.all() else ids[considered]
    dup = sub.duplicated(keep="first")
    if not dup.any():
        return
    first_pos = {
        v: p for p, v in zip(np.flatnonzero(considered)[~dup.to_numpy()], sub[~dup], strict=True)
    }
    positions = np.flatnonzero(considered)[dup.to_numpy()]
    msgs = [
        f"identifiant « {ids.iloc[p]} » en double (déjà présent {labels[first_pos[ids.iloc[p]]]})"
        for p in positions
    ]
    rej.add(positions, msgs)
    _list(report, "rejet", positions, msgs, labels, "identifiant en double", schema.id_column)


def _list(
    report: LayerReport,
    severity: str,
    positions: np.ndarray,
    messages: list[str],
    labels: _Labels,
    kind: str,
    column: str | None = None,
) -> None:
    for p, msg in zip(positions.tolist(), messages, strict=True):
        report.add(severity, msg, row=labels[p], column=column, kind=kind)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- assembly


def _finish(
    frame: pd.DataFrame,
    raw: RawLayer,
    schema: LayerSchema,
    rej: _Rejections,
    report: LayerReport,
    labels: _Labels,
    geometry: np.ndarray | None,
) -> LayerResult:
    keep = ~rej.mask
    rejected_pos = np.flatnonzero(rej.mask)
    rejects = pd.DataFrame(
        {
            "couche": schema.name,
            "fichier": raw.source,
            "ligne": [labels[p] for p in rejected_pos.tolist()],
            "motif": [" ; ".join(rej.reasons[p]) for p in rejected_pos.tolist()],
        }
    )
    if len(rejected_pos):
        original = raw.frame.iloc[rejected_pos].reset_index(drop=True)
        # The file's own columns follow; one named like ours keeps its value, renamed.
        original = original.rename(
            columns={c: f"{c} (fichier)" for c in original.columns if c in REJECT_COLUMNS}
        )
        if "geometry" in original.columns:
            original["geometry"] = [
                g.wkt if isinstance(g, shapely.Geometry) else g for g in original["geometry"]
            ]
        rejects = pd.concat([rejects, original.astype("string")], axis=1)
    if raw.unreadable:
        lost = pd.DataFrame(
            {
                "couche": schema.name,
                "fichier": raw.source,
                "ligne": [u[0] for u in raw.unreadable],
                "motif": [u[1] for u in raw.unreadable],
            }
        )
        rejects = pd.concat([rejects, lost], ignore_index=True)
        for label, msg in raw.unreadable:
            report.add("rejet", msg, row=label, kind="entité illisible")
    report.rows_rejected = len(rejects)
    kept = frame.reset_index(drop=True) if keep.all() else frame.loc[keep].reset_index(drop=True)
    kept = kept.drop(columns=[c for c in ("geometry",) if c in kept.columns])
    ordered = [c.name for c in schema.columns if c.name in kept.columns]
    coord_cols = {raw.x_column, raw.y_column, raw.xy_column} - {None}
    extra = [c for c in kept.columns if c not in ordered and c not in coord_cols]
    kept = kept[ordered + extra]
    if schema.is_spatial and geometry is not None:
        result: pd.DataFrame = gpd.GeoDataFrame(kept, geometry=geometry[keep], crs=WORK_CRS)
    elif schema.is_spatial:
        result = gpd.GeoDataFrame(
            kept, geometry=np.full(len(kept), None, dtype=object), crs=WORK_CRS
        )
    else:
        result = kept
    report.rows_kept = len(result)
    return LayerResult(
        data=result, rejects=rejects, report=report, kept_positions=np.flatnonzero(keep), raw=raw
    )
