"""Attribution pushed down into PostGIS: points to zones in SQL, same answers as Python.

For a territory stored in PostGIS (:mod:`gupgeo.storage.postgis`), the points of a
layer are attributed to the zones of another by the database, through the GiST
indexes: ``ST_CoveredBy`` (the perimeter counts as inside, like the default
``predicate="covered_by"`` of :func:`gupgeo.attribution.zones.attribute`) and, for a
point outside every zone, the nearest zone within ``tolerance_m`` (``ST_DWithin``,
ties broken by the zones' order). Zones are taken in the order they were saved
(physical order of the table gupgeo wrote); a point in several zones keeps the first
(``multiple="first"``, the same as ``"largest"`` for points).

Scope: point layers and ``predicate="covered_by"``; lines and polygons (shares) stay in
Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gupgeo.attribution.report import (
    DEFAULT_TOLERANCE_M,
    STATUT_DANS_ZONE,
    STATUT_HORS_ZONE,
    STATUT_PLUSIEURS_ZONES,
    STATUT_SANS_GEOMETRIE,
    STATUT_TOLERANCE,
    STATUTS,
)
from gupgeo.storage.postgis import connect, parse_url

QUERY = """
SELECT f.{fid}::text,
       f.{fgeom} IS NULL OR ST_IsEmpty(f.{fgeom}),
       inside.zones,
       near.zone,
       near.distance
FROM {features} AS f
LEFT JOIN LATERAL (
    SELECT array_agg(z.{key}::text ORDER BY z.ctid) AS zones
    FROM {zones} AS z
    WHERE ST_CoveredBy(f.{fgeom}, z.{zgeom})
) AS inside ON true
LEFT JOIN LATERAL (
    SELECT z.{key}::text AS zone, ST_Distance(f.{fgeom}, z.{zgeom}) AS distance
    FROM {zones} AS z
    WHERE inside.zones IS NULL AND %(tolerance)s > 0
      AND ST_DWithin(f.{fgeom}, z.{zgeom}, %(tolerance)s)
    ORDER BY ST_Distance(f.{fgeom}, z.{zgeom}), z.ctid
    LIMIT 1
) AS near ON true
"""


def attribute_in_database(
    url: str,
    *,
    layer: str = "signalements",
    zones: str = "quartiers",
    key: str = "code_qp",
    id_column: str = "id",
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> pd.DataFrame:
    """Attribute the points of table ``layer`` to the zones of table ``zones``, in SQL.

    Parameters
    ----------
    url
        The PostGIS territory (``postgresql://…?schema=…``).
    layer, zones
        Tables of the schema: points, and polygons carrying ``key``.
    key
        Identifier column of the zones; also the name of the output column.
    id_column
        Identifier of the points, the index of the result.
    tolerance_m
        A point outside every zone but within this distance (metres) of one is
        attributed to the nearest.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id_column``: ``<key>``, ``<key>_statut`` (same categories as
        the Python path) and, when ``tolerance_m > 0``, ``<key>_distance_m``.
    """
    from psycopg import sql

    location = parse_url(url)
    query = sql.SQL(QUERY).format(
        fid=sql.Identifier(id_column),
        fgeom=sql.Identifier("geometry"),
        zgeom=sql.Identifier("geometry"),
        key=sql.Identifier(key),
        features=sql.Identifier(location.schema, layer),
        zones=sql.Identifier(location.schema, zones),
    )
    with connect(location) as conn:
        rows = conn.execute(query, {"tolerance": float(tolerance_m)}).fetchall()
    ids = [r[0] for r in rows]
    answers = [_answer(empty, inside, near, dist) for _, empty, inside, near, dist in rows]
    zone = [a[0] for a in answers]
    statut = [a[1] for a in answers]
    distance = [a[2] for a in answers]
    out = pd.DataFrame(
        {
            key: zone,
            f"{key}_statut": pd.Categorical(statut, categories=STATUTS),
        },
        index=pd.Index(ids, name=id_column),
    )
    if tolerance_m > 0:
        out[f"{key}_distance_m"] = distance
    return out


def _answer(
    empty: bool, inside: list[str] | None, near: str | None, distance: float | None
) -> tuple[str | None, str, float]:
    """(zone, status, distance in metres) of one point, as the Python path says it."""
    if empty:
        return None, STATUT_SANS_GEOMETRIE, np.nan
    if inside:
        return inside[0], STATUT_DANS_ZONE if len(inside) == 1 else STATUT_PLUSIEURS_ZONES, 0.0
    if near is not None and distance is not None:
        return near, STATUT_TOLERANCE, float(distance)
    return None, STATUT_HORS_ZONE, np.nan


__all__ = ["attribute_in_database"]
