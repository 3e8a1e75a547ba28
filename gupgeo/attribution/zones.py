"""Spatial attribution: features to zones, nearest targets, distances, counts.

Every signalement, constat or équipement gets the quartier (``code_qp``), site or
operation it belongs to, with a report of what matched and what did not, and
nothing dropped. The QGIS counterparts are *Join attributes by location*
(:func:`attribute`), *Join attributes by nearest* (:func:`nearest`) and *Count
points in polygon* (:func:`count_by_zone`).

Semantics, fixed for every function of this module
---------------------------------------------------
- All geometry is tested in **Lambert-93** (EPSG:2154): features and zones in
  another CRS are reprojected first, and the output keeps the features' CRS. A
  point exactly on a perimeter in WGS84 may land a few nanometres inside or
  outside after reprojection; the Lambert-93 answer is the one that counts.
- ``predicate="covered_by"`` (default): a point is in a zone when it lies in its
  interior **or on its perimeter** (``shapely.covers``); ``"intersects"`` means
  the same for points. ``"within"``: interior only, as ``geopandas.sjoin(
  predicate="within")``; a point on the perimeter is then "hors zone" (or
  attributed by tolerance, at distance 0). The predicate only concerns points.
- Lines, polygons and multi-geometries are attributed by intersection: the
  ``share`` of a zone is the part of the feature's length (lines), area
  (polygons) or number of points (multipoints) inside it; zones with a zero
  share (merely touching) do not count.
- Zones of one layer may overlap; their order in the layer decides "first".
  Invalid zone geometries are repaired (``make_valid``), rows sharing an
  identifier are merged, zones without geometry never match: all three are
  listed in the report.
- Points are matched on coordinate arrays through a grid index (no Point object
  is built): cells wholly inside one zone or outside all answer directly, and
  only points near a perimeter get an exact test on prepared polygons; the result
  is the same as testing every point against every zone.
- The last two zone layers a call prepared (checked, repaired, merged, with their
  grid index) are kept and reused while a call brings the same geometry objects,
  CRS and identifiers, as GeoPandas keeps a layer's R-tree between ``sjoin``
  calls: attributing signalements, then constats, to the same quartiers prepares
  them once. Any change to the layer (a geometry replaced, identifiers renamed,
  another CRS) prepares it again; :func:`forget_prepared_zones` frees them.

Output columns, for each zone layer whose identifiers go in column ``<col>``
---------------------------------------------------------------------------
``<col>``
    Zone identifier, null when none: a pandas Categorical whose categories are
    every zone of the layer in its order (cheap for millions of rows, and
    ``groupby(..., observed=False)`` lists the zones with no feature).
``<col>_statut``
    Categorical, one of "dans la zone" (in exactly one zone), "plusieurs zones"
    (in several: overlapping zones, or a line crossing two), "tolérance"
    (outside every zone but within ``tolerance_m`` of the one kept), "hors zone",
    "sans géométrie" (missing or empty geometry), "coordonnées invalides" (NaN
    or infinite coordinates).
``<col>_distance_m``
    Only when ``tolerance_m > 0``: 0 inside a zone, the distance for tolerance
    matches, NaN otherwise.
``<col>_share``
    Only when some features are not points: share (0–1) of the feature in the
    zone kept; 1 for points in a zone, 0 for tolerance matches.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from gupgeo.attribution import _engine as eng
from gupgeo.attribution._engine import forget_prepared_zones
from gupgeo.attribution._output import REPORT_ATTR, ZoneLayers, attribute_frame, check_options, run
from gupgeo.attribution._output import write_attribution as _write
from gupgeo.attribution.distributed import attribute_partitions, is_dask
from gupgeo.attribution.report import (
    DEFAULT_TOLERANCE_M,
    STATUT_COORDONNEES_INVALIDES,
    STATUT_DANS_ZONE,
    STATUT_HORS_ZONE,
    STATUT_PLUSIEURS_ZONES,
    STATUT_SANS_GEOMETRIE,
    STATUT_TOLERANCE,
    STATUTS_ATTRIBUTION,
    AttributionReport,
    ZoneLayerReport,
)
from gupgeo.crs import WORK_CRS, to_work_crs
from gupgeo.errors import CRSError, SchemaError

__all__ = [
    "STATUTS_ATTRIBUTION",
    "STATUT_COORDONNEES_INVALIDES",
    "STATUT_DANS_ZONE",
    "STATUT_HORS_ZONE",
    "STATUT_PLUSIEURS_ZONES",
    "STATUT_SANS_GEOMETRIE",
    "STATUT_TOLERANCE",
    "AttributionReport",
    "ZoneLayerReport",
    "attribute",
    "attribute_xy",
    "attribution_report",
    "count_by_zone",
    "forget_prepared_zones",
    "nearest",
    "within_distance",
    "write_attribution",
]

logger = logging.getLogger(__name__)


def attribute(
    features: gpd.GeoDataFrame,
    zones: ZoneLayers,
    *,
    key: str | Mapping[str, str] = "code_qp",
    predicate: str = "covered_by",
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    multiple: str = "first",
) -> gpd.GeoDataFrame:
    """Add the identifier of the zone(s) each feature falls in.

    Parameters
    ----------
    features
        Points, lines or polygons, any CRS (declared).
    zones
        One polygon layer, or several at once as ``{column: layer}`` (e.g.
        ``{"code_qp": quartiers, "operation_id": operations}``).
    key
        Identifier column of the zones. With several layers, the identifier of
        layer ``column`` is read from the column of that name if it exists,
        otherwise from ``key``; a dict ``{column: id_column}`` names it per layer
        (e.g. ``key={"operation_id": "id"}``).
    predicate
        ``"covered_by"`` (perimeter counts as inside), ``"intersects"`` (same
        for points) or ``"within"`` (interior only). See the module docstring.
    tolerance_m
        A feature outside every zone but within this distance (metres,
        Lambert-93) of one is attributed to the nearest (ties: first in order).
    multiple
        For features in several zones: ``"first"`` (first zone in the layer's
        order), ``"largest"`` (largest share; for points the same as first) or
        ``"all"`` (one row per (feature, zone), the input index repeated).

    Returns
    -------
    GeoDataFrame
        The features (same CRS, index and columns) with the columns described
        in the module docstring; the :class:`AttributionReport` is in
        ``result.attrs["attribution_report"]`` (see :func:`attribution_report`).
        A ``dask_geopandas.GeoDataFrame`` gives a lazy one, attributed partition by
        partition with the zones broadcast to the workers, the same answers row for
        row (:mod:`gupgeo.attribution.distributed`; its report:
        :func:`~gupgeo.attribution.distributed.partitions_report`).

    Raises
    ------
    gupgeo.errors.CRSError
        If the features or a zone layer have no CRS.
    gupgeo.errors.SchemaError
        If a zone layer misses its identifier column, has null identifiers or
        non-polygon geometries.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> quartiers = gpd.GeoDataFrame(
    ...     {"code_qp": ["LOC-A"]}, geometry=[shapely.box(0, 0, 100, 100)], crs=2154)
    >>> points = gpd.GeoDataFrame(
    ...     geometry=shapely.points([50, 100, 105], [50, 50, 50]), crs=2154)
    >>> out = attribute(points, quartiers, tolerance_m=10)
    >>> out[["code_qp", "code_qp_statut", "code_qp_distance_m"]]
      code_qp code_qp_statut  code_qp_distance_m
    0   LOC-A   dans la zone                 0.0
    1   LOC-A   dans la zone                 0.0
    2   LOC-A      tolérance                 5.0
    """
    options: dict[str, Any] = {"key": key, "predicate": predicate, "tolerance_m": tolerance_m}
    if is_dask(features):
        return attribute_partitions(features, zones, multiple=multiple, **options)
    return attribute_frame(features, zones, multiple=multiple, **options)


def attribute_xy(
    x: np.ndarray,
    y: np.ndarray,
    zones: ZoneLayers,
    *,
    crs: object = WORK_CRS,
    key: str | Mapping[str, str] = "code_qp",
    predicate: str = "covered_by",
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    multiple: str = "first",
) -> pd.DataFrame:
    """Attribute raw coordinates (e.g. a CSV's columns) without building points.

    Same rules and columns as :func:`attribute` (no geometry column); the row
    positions are those of ``x``/``y`` (with ``multiple="all"``, the index
    repeats the position of a point in several zones).

    Parameters
    ----------
    x, y
        Coordinates in ``crs`` (longitude/latitude order for WGS84).
    zones, key, predicate, tolerance_m, multiple
        As in :func:`attribute`.
    crs
        CRS of the coordinates, Lambert-93 by default.

    Returns
    -------
    DataFrame
        One row per coordinate pair, with the report in
        ``attrs["attribution_report"]``.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, shapely
    >>> quartiers = gpd.GeoDataFrame(
    ...     {"code_qp": ["LOC-A"]}, geometry=[shapely.box(0, 0, 100, 100)], crs=2154)
    >>> attribute_xy(np.array([50.0, 500.0]), np.array([50.0, np.nan]), quartiers)
      code_qp         code_qp_statut  code_qp_distance_m
    0   LOC-A           dans la zone                 0.0
    1     NaN  coordonnées invalides                 NaN
    """
    check_options(predicate, tolerance_m, multiple)
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(
            f"x, y : attendu deux tableaux 1D de même longueur, reçu {x.shape}, {y.shape}."
        )
    if crs is None:
        raise CRSError(
            "coordonnées : aucun système de coordonnées (CRS) donné ; attendu par exemple "
            "crs='EPSG:2154' (Lambert-93, par défaut) ou crs='EPSG:4326'."
        )
    ok = np.isfinite(x) & np.isfinite(y)
    if not CRS.from_user_input(crs).equals(WORK_CRS):
        x, y = Transformer.from_crs(crs, WORK_CRS, always_xy=True).transform(x, y)
        ok &= np.isfinite(x) & np.isfinite(y)
    kind = (~ok).view(np.int8) * np.int8(eng.KIND_NAN)  # KIND_POINT is 0
    n_odd = int(np.count_nonzero(kind))
    feats = eng.Features(kind, x, y, np.empty(0, np.intp), np.empty(0, dtype=object), n_odd)
    layers = eng.prepare_zones(zones, key)
    positions, columns, reports = run(feats, layers, predicate, tolerance_m, multiple)
    index = pd.RangeIndex(x.size) if positions is None else pd.Index(positions)
    out = pd.DataFrame(columns, index=index)
    out.attrs = {REPORT_ATTR: AttributionReport(x.size, len(out), tuple(reports))}
    return out


def write_attribution(result: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write the result of :func:`attribute` and its report (``<name>_rapport.txt``).

    The format follows the extension (``.gpkg``, ``.geojson``, ``.fgb``,
    ``.parquet``, ``.csv`` in the French CSV style…); returns the report's path.
    """
    return _write(result, path, attribution_report(result))


def attribution_report(result: pd.DataFrame) -> AttributionReport:
    """The :class:`AttributionReport` attached to a result of this module."""
    if is_dask(result):
        raise ValueError(
            "résultat Dask : son rapport se calcule avec "
            "gupgeo.attribution.distributed.partitions_report(résultat, zones, …) (une passe "
            "sur les données), ou attribuez le territoire avec attribute_territory"
        )
    report = result.attrs.get(REPORT_ATTR)
    if not isinstance(report, AttributionReport):
        raise ValueError(
            "aucun rapport de rattachement sur ce tableau : attendu le résultat de "
            "attribute(), attribute_xy() ou count_by_zone() (les attrs se perdent "
            "après certaines opérations pandas)."
        )
    return report


def _sorted_pairs(
    qi: np.ndarray, tj: np.ndarray, dist: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((tj, dist, qi))
    return qi[order], tj[order], dist[order]


def nearest(
    features: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    *,
    max_distance_m: float | None,
    key: str = "id",
    prefix: str = "plus_proche_",
) -> gpd.GeoDataFrame:
    """Nearest target (e.g. équipement) of each feature and its distance.

    Parameters
    ----------
    features
        Any geometries, any declared CRS.
    targets
        Any geometries, any declared CRS; ``key`` identifies them.
    max_distance_m
        Search radius in metres (Lambert-93); ``None`` for no limit.
    key
        Identifier column of ``targets``.
    prefix
        Prefix of the two added columns.

    Returns
    -------
    GeoDataFrame
        The features (same rows, CRS and columns) plus ``<prefix><key>`` (null
        when no target lies within ``max_distance_m``, or without geometry) and
        ``<prefix>distance_m`` (metres, NaN then). Equidistant targets: the first
        in ``targets``' order.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> ecoles = gpd.GeoDataFrame(
    ...     {"id": ["E1", "E2"]}, geometry=shapely.points([0, 100], [0, 0]), crs=2154)
    >>> pts = gpd.GeoDataFrame(geometry=shapely.points([30, 500], [40, 0]), crs=2154)
    >>> nearest(pts, ecoles, max_distance_m=200)[["plus_proche_id", "plus_proche_distance_m"]]
      plus_proche_id  plus_proche_distance_m
    0             E1                    50.0
    1            NaN                     NaN
    """
    if max_distance_m is not None and not max_distance_m > 0:
        raise ValueError(
            f"max_distance_m : attendu un nombre de mètres > 0, reçu {max_distance_m!r}."
        )
    eng.check_crs(features, "entités")
    eng.check_crs(targets, "cibles")
    if key not in targets.columns:
        raise SchemaError(
            f"cibles : pas de colonne identifiant « {key} » ; colonnes présentes : "
            f"{', '.join(map(str, targets.columns))}."
        )
    geoms = np.asarray(to_work_crs(features, name="entités").geometry.array)
    tree = shapely.STRtree(np.asarray(to_work_crs(targets, name="cibles").geometry.array))
    (qi, tj), dist = tree.query_nearest(
        geoms, max_distance=max_distance_m, return_distance=True, all_matches=True
    )
    qi, tj, dist = _sorted_pairs(qi, tj, dist)
    first = np.unique(qi, return_index=True)[1]
    chosen = np.full(len(features), -1, dtype=np.intp)
    distance = np.full(len(features), np.nan)
    chosen[qi[first]] = tj[first]
    distance[qi[first]] = dist[first]
    out = features.copy(deep=False)
    out[f"{prefix}{key}"] = pd.array(targets[key].array).take(chosen, allow_fill=True)
    out[f"{prefix}distance_m"] = distance
    return out


def within_distance(
    features: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    distance_m: float,
    key: str = "code_qp",
    multiple: str = "all",
) -> gpd.GeoDataFrame:
    """Zones within ``distance_m`` of each feature ("à moins de N m du quartier").

    The ANCT-style membership: a school within 100 m of a QPV, a collège within
    300 m; a feature inside a zone is at distance 0 and counts too.

    Parameters
    ----------
    features
        Any geometries, any declared CRS.
    zones
        Polygon layer, any declared CRS (repaired as in :func:`attribute`).
    distance_m
        Distance in metres (Lambert-93), ≥ 0.
    key
        Identifier column of ``zones``.
    multiple
        ``"all"``: one row per (feature, zone within distance), the input index
        repeated; ``"nearest"``: the nearest zone only (ties: first in order).

    Returns
    -------
    GeoDataFrame
        The features plus ``<key>`` (null if no zone is that close) and
        ``<key>_distance_m`` (0 inside a zone); no feature is dropped.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> qp = gpd.GeoDataFrame({"code_qp": ["LOC-A"]}, geometry=[shapely.box(0, 0, 100, 100)],
    ...                       crs=2154)
    >>> ecoles = gpd.GeoDataFrame(geometry=shapely.points([50, 180, 400], [50, 50, 50]), crs=2154)
    >>> within_distance(ecoles, qp, distance_m=100)[["code_qp", "code_qp_distance_m"]]
      code_qp  code_qp_distance_m
    0   LOC-A                 0.0
    1   LOC-A                80.0
    2     NaN                 NaN
    """
    if multiple not in ("all", "nearest"):
        raise ValueError(f"multiple : attendu 'all' ou 'nearest', reçu {multiple!r}.")
    if not np.isfinite(distance_m) or distance_m < 0:
        raise ValueError(f"distance_m : attendu un nombre de mètres ≥ 0, reçu {distance_m!r}.")
    layer = eng.prepare_zones(zones, key)[0]
    eng.check_crs(features, "entités")
    geoms = np.asarray(to_work_crs(features, name="entités").geometry.array)
    qi, zj = layer.tree.query(geoms, predicate="dwithin", distance=distance_m)
    qi, zj, dist = _sorted_pairs(qi, zj, shapely.distance(geoms[qi], layer.geoms[zj]))
    if multiple == "nearest":
        first = np.unique(qi, return_index=True)[1]
        qi, zj, dist = qi[first], zj[first], dist[first]
    else:  # zone order within a feature, as in attribute()
        order = np.lexsort((zj, qi))
        qi, zj, dist = qi[order], zj[order], dist[order]
    n = len(features)
    matched = np.zeros(n, dtype=bool)
    matched[qi] = True
    lonely = np.flatnonzero(~matched)
    pos = np.concatenate((qi, lonely))
    zone = np.concatenate((zj, np.full(lonely.size, -1)))
    distance = np.concatenate((dist, np.full(lonely.size, np.nan)))
    order = np.argsort(pos, kind="stable")
    pos, zone, distance = pos[order], zone[order], distance[order]
    out = features.iloc[pos].copy()
    out[key] = layer.ids.array.take(zone, allow_fill=True)
    out[f"{key}_distance_m"] = distance
    return out


def count_by_zone(
    features: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    key: str = "code_qp",
    by: str | None = None,
    weight: str | None = None,
    distinct: str | None = None,
    predicate: str = "covered_by",
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> pd.DataFrame:
    """Count features per zone, every zone listed (QGIS "Count points in polygon").

    Each zone counts every feature it holds: a feature in two overlapping zones
    counts in both (lines and polygons count wholly in each zone they cross).

    Parameters
    ----------
    features
        Points, lines or polygons, any declared CRS.
    zones
        Polygon layer; ``key`` identifies the zones.
    key
        Identifier column of ``zones``, also the name of the result's index.
    by
        Optional category column: one result column per category (missing
        values under ``"non renseigné"``) plus ``"total"``.
    weight
        Optional numeric column summed instead of counting rows.
    distinct
        Optional column whose distinct values are counted instead of rows.
    predicate, tolerance_m
        As in :func:`attribute`.

    Returns
    -------
    DataFrame
        Indexed by zone identifier (named ``key``) in the zones' order, zeros
        included; one column ``"nombre"`` (or ``"somme_<weight>"``,
        ``"distincts_<distinct>"``) without ``by``. The attribution report is in
        ``attrs["attribution_report"]``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> qp = gpd.GeoDataFrame({"code_qp": ["LOC-A", "LOC-B"]},
    ...                       geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)],
    ...                       crs=2154)
    >>> pts = gpd.GeoDataFrame({"categorie": ["propreté", "éclairage", "propreté"]},
    ...                        geometry=shapely.points([1, 2, 50], [1, 2, 50]), crs=2154)
    >>> count_by_zone(pts, qp, by="categorie")  # doctest: +NORMALIZE_WHITESPACE
             propreté  éclairage  total
    code_qp
    LOC-A           1          1      2
    LOC-B           0          0      0
    """
    eng.check_crs(features, "entités")
    if sum(option is not None for option in (weight, distinct)) > 1:
        raise ValueError("weight et distinct : attendu l'un ou l'autre, pas les deux.")
    for option in (by, weight, distinct):
        if option is not None and option not in features.columns:
            raise SchemaError(
                f"entités : pas de colonne « {option} » ; colonnes présentes : "
                f"{', '.join(map(str, features.columns))}."
            )
    keep = [c for c in (by, weight, distinct) if c is not None]
    light = gpd.GeoDataFrame(features[keep], geometry=features.geometry.array, crs=features.crs)
    attributed = attribute(
        light, zones, key=key, predicate=predicate, tolerance_m=tolerance_m, multiple="all"
    )
    report = attribution_report(attributed)
    zone_ids = report[key].per_zone.index
    table = pd.DataFrame(attributed.drop(columns=attributed.geometry.name))
    table = table[table[key].notna()]
    if by is not None:
        table[by] = table[by].astype(object).where(table[by].notna(), "non renseigné")
    groups = [key] if by is None else [key, by]
    grouped = table.groupby(groups, sort=False, observed=True)
    if weight is not None:
        values, name = grouped[weight].sum(), f"somme_{weight}"
    elif distinct is not None:
        values, name = grouped[distinct].nunique(), f"distincts_{distinct}"
    else:
        values, name = grouped.size(), "nombre"
    if by is None:
        result = values.rename(name).to_frame()
    else:
        result = values.unstack(by, fill_value=0)
        result.columns = list(result.columns)
        if distinct is not None:
            total = table.groupby(key, sort=False, observed=True)[distinct].nunique()
        else:
            total = result.sum(axis=1)
        result["total"] = total
    result = result.reindex(zone_ids, fill_value=0)
    result.index.name = key
    result.attrs = {REPORT_ATTR: report}
    return result
