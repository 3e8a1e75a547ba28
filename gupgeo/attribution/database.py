"""Attribution pushed down into PostGIS: points to zones in SQL, same answers as Python.

For a territory stored in PostGIS (:mod:`gupgeo.storage.postgis`), the points of a
layer are attributed to the zones of another by the database: ``ST_CoveredBy`` (the
perimeter counts as inside, like the default ``predicate="covered_by"`` of
:func:`gupgeo.attribution.zones.attribute`) and, for a point outside every zone, the
nearest zone within ``tolerance_m`` (``ST_DWithin``, ties broken by the zones' order).
Zones are taken in the order they were saved (physical order of the table gupgeo
wrote); a point in several zones keeps the first (``multiple="first"``, the same as
``"largest"`` for points).

How it stays fast: the valid zones are cut once into pieces of at most
``max_vertices`` vertices (``ST_Subdivide``) in a temporary table with a GiST index,
so each point is tested against a few small pieces rather than whole perimeters of
thousands of vertices. The pieces of a zone tile it, so a point is covered by the
zone exactly when it is covered by one of its pieces, and its distance to the zone
is the smallest distance to its pieces. Invalid zones are first repaired as the
Python path repairs them (``ST_MakeValid`` with ``method=structure``, the polygons
kept), then cut like the others. The per-point answers (zone rank, count, distance) come
back in one ``COPY … TO STDOUT`` parsed by pandas' C reader, the zones' keys being
looked up by rank afterwards.

Scope: point layers and ``predicate="covered_by"``; lines and polygons (shares) stay in
Python.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.attribution.report import (
    DEFAULT_TOLERANCE_M,
    STATUT_DANS_ZONE,
    STATUT_HORS_ZONE,
    STATUT_PLUSIEURS_ZONES,
    STATUT_SANS_GEOMETRIE,
    STATUT_TOLERANCE,
    STATUTS_ATTRIBUTION,
)
from gupgeo.storage.postgis import connect, parse_url

DEFAULT_MAX_VERTICES = 64
"""Vertices per piece of a subdivided zone (``ST_Subdivide``)."""

PIECES = "gupgeo_zone_pieces"
"""Temporary table of the subdivided zones (dropped at the end of the transaction)."""

KEYS = """
SELECT z.{key}::text FROM {zones} AS z ORDER BY z.ctid
"""

MAKE_PIECES = """
CREATE TEMPORARY TABLE {pieces} ON COMMIT DROP AS
WITH ranked AS (
    SELECT (row_number() OVER (ORDER BY z.ctid) - 1)::int AS zone_rank, z.{zgeom} AS geom
    FROM {zones} AS z
)
SELECT zone_rank, ST_Subdivide(geom, %(max_vertices)s) AS geom
FROM ranked WHERE geom IS NOT NULL AND ST_IsValid(geom)
UNION ALL
SELECT zone_rank, ST_Subdivide(ST_CollectionExtract(
           ST_MakeValid(geom, 'method=structure keepcollapsed=false'), 3), %(max_vertices)s)
FROM ranked WHERE geom IS NOT NULL AND NOT ST_IsValid(geom)
"""

INDEX_PIECES = "CREATE INDEX ON {pieces} USING gist (geom)"

ANSWERS = """
COPY (
SELECT f.{fid}::text,
       (f.{fgeom} IS NULL OR ST_IsEmpty(f.{fgeom}))::int,
       inside.first_rank,
       inside.last_rank,
       near.zone_rank,
       near.distance
FROM {features} AS f
LEFT JOIN LATERAL (
    SELECT min(p.zone_rank) AS first_rank, max(p.zone_rank) AS last_rank
    FROM {pieces} AS p
    WHERE ST_CoveredBy(f.{fgeom}, p.geom)
) AS inside ON true
LEFT JOIN LATERAL (
    SELECT p.zone_rank, ST_Distance(f.{fgeom}, p.geom) AS distance
    FROM {pieces} AS p
    WHERE inside.first_rank IS NULL AND %(tolerance)s > 0
      AND ST_DWithin(f.{fgeom}, p.geom, %(tolerance)s)
    ORDER BY ST_Distance(f.{fgeom}, p.geom), p.zone_rank
    LIMIT 1
) AS near ON true
) TO STDOUT WITH (FORMAT csv)
"""

SETTINGS = {
    "jit": "off",
    "work_mem": "64MB",
}
"""Session settings for the attribution transaction (``SET LOCAL``)."""


def attribute_in_database(
    url: str,
    *,
    layer: str = "signalements",
    zones: str = "quartiers",
    key: str = "code_qp",
    id_column: str = "id",
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    max_vertices: int = DEFAULT_MAX_VERTICES,
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
    max_vertices
        Largest number of vertices of a piece of subdivided zone (at least 5).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id_column`` (rows in no particular order): ``<key>``,
        ``<key>_statut`` (same categories as the Python path) and, when
        ``tolerance_m > 0``, ``<key>_distance_m``.
    """
    from psycopg import sql

    location = parse_url(url)
    names: dict[str, Any] = {
        "fid": sql.Identifier(id_column),
        "fgeom": sql.Identifier("geometry"),
        "zgeom": sql.Identifier("geometry"),
        "key": sql.Identifier(key),
        "features": sql.Identifier(location.schema, layer),
        "zones": sql.Identifier(location.schema, zones),
        "pieces": sql.Identifier(PIECES),
    }
    with connect(location) as conn, conn.transaction():
        for name, value in SETTINGS.items():
            conn.execute("SELECT set_config(%s, %s, true)", [name, value])
        keys = [row[0] for row in conn.execute(sql.SQL(KEYS).format(**names)).fetchall()]
        conn.execute(
            sql.SQL(MAKE_PIECES).format(**names), {"max_vertices": max(int(max_vertices), 5)}
        )
        conn.execute(sql.SQL(INDEX_PIECES).format(**names))
        conn.execute(sql.SQL("ANALYZE {pieces}").format(**names))
        buffer = io.BytesIO()
        with conn.cursor().copy(
            sql.SQL(ANSWERS).format(**names), {"tolerance": float(tolerance_m)}
        ) as copy:
            for chunk in copy:
                buffer.write(chunk)
    buffer.seek(0)
    return _frame(buffer, keys, key, id_column, tolerance_m)


def _frame(
    buffer: io.BytesIO, keys: list[str], key: str, id_column: str, tolerance_m: float
) -> pd.DataFrame:
    """The result frame from the CSV answers (id, empty, first, last, near, distance)."""
    columns = ["id", "empty", "first", "last", "near", "distance"]
    raw = pd.read_csv(
        buffer,
        header=None,
        names=columns,
        dtype={"id": str, "empty": np.int8, "distance": np.float64},
        keep_default_na=False,
        na_values={name: [""] for name in columns[2:]},
    )
    empty = raw["empty"].to_numpy() == 1
    first = raw["first"].to_numpy(dtype=np.float64)
    last = raw["last"].to_numpy(dtype=np.float64)
    near = raw["near"].to_numpy(dtype=np.float64)
    inside = ~empty & ~np.isnan(first)
    tolerated = ~empty & ~inside & ~np.isnan(near)
    rank = np.where(inside, first, np.where(tolerated, near, np.nan))
    found = ~np.isnan(rank)
    lookup = np.asarray([*keys, None], dtype=object)
    zone = lookup[np.where(found, rank, len(keys)).astype(np.int64)]
    code = {statut: code for code, statut in enumerate(STATUTS_ATTRIBUTION)}
    statut = np.full(len(raw), code[STATUT_HORS_ZONE], dtype=np.int8)
    statut[empty] = code[STATUT_SANS_GEOMETRIE]
    statut[inside] = code[STATUT_DANS_ZONE]
    statut[inside & (last != first)] = code[STATUT_PLUSIEURS_ZONES]
    statut[tolerated] = code[STATUT_TOLERANCE]
    out = pd.DataFrame(
        {
            key: zone,
            f"{key}_statut": pd.Categorical.from_codes(
                statut, categories=pd.Index(STATUTS_ATTRIBUTION)
            ),
        },
        index=pd.Index(raw["id"].to_numpy(dtype=object), name=id_column),
    )
    if tolerance_m > 0:
        distance = np.where(inside, 0.0, np.where(tolerated, raw["distance"].to_numpy(), np.nan))
        out[f"{key}_distance_m"] = distance
    return out


__all__ = ["attribute_in_database"]
