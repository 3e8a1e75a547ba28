"""Attribution pushed down into PostGIS: points to zones in SQL, same answers as Python.

For a territory stored in PostGIS (:mod:`gupgeo.storage.postgis`), the points of a
layer are attributed to the zones of another by the database: ``ST_CoveredBy`` (the
perimeter counts as inside, like the default ``predicate="covered_by"`` of
:func:`gupgeo.attribution.zones.attribute`) and, for a point outside every zone, the
nearest zone within ``tolerance_m`` (``ST_DWithin``, ties broken by the zones' order).
Zones are taken in the order they were saved (physical order of the table gupgeo
wrote); a point in several zones keeps the first (``multiple="first"``, the same as
``"largest"`` for points).

How it stays fast (the in-memory engine's plan, in SQL):

- the zones, invalid ones first repaired as the Python path repairs them
  (``ST_MakeValid`` with ``method=structure``, the polygons kept), are cut into pieces
  of at most ``max_vertices`` vertices (``ST_Subdivide``) under a GiST index: the
  pieces of a zone tile it, so a point is covered by the zone exactly when it is
  covered by one of its pieces, and its distance to the zone is the smallest
  distance to its pieces;
- a grid of square cells of ``cell_m`` is laid over the zones. A cell is *boundary*
  when it meets the bounding box, widened by the tolerance, of a segment of a
  perimeter (holes included; segments first cut to at most ``cell_m``): every point
  within the tolerance of a perimeter falls in such a cell. The other cells lie
  wholly inside or outside each zone, farther than the tolerance from every
  perimeter: along each row of cells, the runs between boundary cells are labelled
  by testing the centre of their first cell, and the cells inside a zone stored
  with the first and last zone covering them;
- each point's cell number is computed from its coordinates: points of labelled
  cells get their answer by a hash join, points of no stored cell are outside every
  zone and beyond the tolerance, and only points of boundary cells are tested
  against the pieces (``ST_CoveredBy``, then ``ST_DWithin`` for those in no zone);
- the working tables are ``UNLOGGED`` tables of the schema (PostgreSQL never scans
  temporary tables in parallel workers), dropped before the transaction ends;
  ``TEMPORARY`` ones when the schema is not writable.

The per-point answers (zone rank, count, distance) come back in one ``COPY … TO
STDOUT`` read straight from libpq and parsed by pyarrow, the zones' keys being looked
up by rank afterwards.

Scope: point layers and ``predicate="covered_by"`` (a layer whose geometry column is
not typed ``Point`` is tested wholly against the pieces); lines and polygons (shares)
stay in Python.
"""

from __future__ import annotations

import io
import math
import uuid
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

DEFAULT_CELL_M = 20.0
"""Side of the grid's square cells (metres)."""

_REACH_EPSILON_M = 1e-6
"""Margin added to the tolerance when marking boundary cells (rounding)."""

ZONES = """
CREATE {kind} TABLE {zones_t} AS
WITH ranked AS (
    SELECT (row_number() OVER (ORDER BY z.ctid) - 1)::int AS zone_rank, z.{zgeom} AS geom
    FROM {zones} AS z
)
SELECT zone_rank, geom FROM ranked WHERE geom IS NOT NULL AND ST_IsValid(geom)
UNION ALL
SELECT zone_rank, ST_CollectionExtract(
           ST_MakeValid(geom, 'method=structure keepcollapsed=false'), 3)
FROM ranked WHERE geom IS NOT NULL AND NOT ST_IsValid(geom)
"""

KEYS = """
SELECT z.{key}::text FROM {zones} AS z ORDER BY z.ctid
"""

MAKE_PIECES = """
CREATE {kind} TABLE {pieces} AS
SELECT zone_rank, ST_Subdivide(geom, %(max_vertices)s) AS geom FROM {zones_t}
"""

INDEX_PIECES = "CREATE INDEX ON {pieces} USING gist (geom)"

EXTENT = """
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), (SELECT ST_SRID(geom) FROM {zones_t} LIMIT 1)
FROM (SELECT ST_Extent(geom) AS e FROM {zones_t} WHERE NOT ST_IsEmpty(geom)) AS x
"""

MAKE_CELLS = """
CREATE {kind} TABLE {cells} AS
WITH seg AS (
    SELECT (ST_DumpSegments(ST_Segmentize(geom, %(cell)s))).geom AS g
    FROM {zones_t} WHERE NOT ST_IsEmpty(geom)
), span AS (
    SELECT floor((ST_XMin(g) - %(reach)s - %(x0)s) / %(cell)s)::int AS gx0,
           floor((ST_XMax(g) + %(reach)s - %(x0)s) / %(cell)s)::int AS gx1,
           floor((ST_YMin(g) - %(reach)s - %(y0)s) / %(cell)s)::int AS gy0,
           floor((ST_YMax(g) + %(reach)s - %(y0)s) / %(cell)s)::int AS gy1
    FROM seg
), boundary AS (
    SELECT DISTINCT gy, gx
    FROM span, generate_series(gy0, gy1) AS gy, generate_series(gx0, gx1) AS gx
), runs AS (
    SELECT gy, lag(gx) OVER (PARTITION BY gy ORDER BY gx) + 1 AS start, gx - 1 AS stop
    FROM boundary
), tested AS (
    SELECT r.gy, r.start, r.stop, t.first_rank, t.last_rank
    FROM runs AS r
    CROSS JOIN LATERAL (
        SELECT min(p.zone_rank) AS first_rank, max(p.zone_rank) AS last_rank
        FROM {pieces} AS p
        WHERE ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(
            %(x0)s + (r.start + 0.5) * %(cell)s, %(y0)s + (r.gy + 0.5) * %(cell)s), %(srid)s))
    ) AS t
    WHERE r.start <= r.stop
)
SELECT gy::bigint * %(nx)s + gx AS cell, NULL::int AS first_rank, NULL::int AS last_rank
FROM boundary
UNION ALL
SELECT r.gy::bigint * %(nx)s + gx, r.first_rank, r.last_rank
FROM tested AS r, generate_series(r.start, r.stop) AS gx
WHERE r.first_rank IS NOT NULL
"""

INDEX_CELLS = "CREATE UNIQUE INDEX ON {cells} (cell)"

CELL_OF = """
    SELECT s.ctid AS id, s.{fid}::text AS fid, s.{fgeom} AS g, CASE
        WHEN gx >= 0 AND gx < %(nx)s AND gy >= 0 AND gy < %(ny)s
        THEN gy::bigint * %(nx)s + gx::bigint END AS cell
    FROM {features} AS s,
    LATERAL ({coordinates}) AS k
"""
"""Each point with the number of its cell (NULL off the grid or without coordinates)."""

ANSWERS = """
COPY (
SELECT f.fid, (f.g IS NULL OR ST_IsEmpty(f.g))::int, c.first_rank, c.last_rank,
       NULL::int, NULL::float8
FROM ({cell_of}) AS f
LEFT JOIN {cells} AS c ON c.cell = f.cell
WHERE {decided}
UNION ALL
SELECT i.fid, (i.g IS NULL OR ST_IsEmpty(i.g))::int, i.first_rank, i.last_rank,
       near.zone_rank, near.distance
FROM (
    SELECT f.id, f.fid, f.g, min(p.zone_rank) AS first_rank, max(p.zone_rank) AS last_rank
    FROM ({cell_of}) AS f
    {exact_join}
    LEFT JOIN {pieces} AS p ON ST_CoveredBy(f.g, p.geom)
    GROUP BY f.id, f.fid, f.g
) AS i
LEFT JOIN LATERAL (
    SELECT p.zone_rank, ST_Distance(i.g, p.geom) AS distance
    FROM {pieces} AS p
    WHERE i.first_rank IS NULL AND %(tolerance)s > 0
      AND ST_DWithin(i.g, p.geom, %(tolerance)s)
    ORDER BY ST_Distance(i.g, p.geom), p.zone_rank
    LIMIT 1
) AS near ON true
) TO STDOUT WITH (FORMAT csv)
"""
"""The answers: points in decided cells by the cell alone (a hash join), the others
(cells near a perimeter, or every point when the layer is not typed ``Point``)
tested against the pieces."""

GRID_ROUTES = {
    "coordinates": "SELECT floor((ST_X(s.{fgeom}) - %(x0)s) / %(cell)s) AS gx, "
    "floor((ST_Y(s.{fgeom}) - %(y0)s) / %(cell)s) AS gy",
    "decided": "c.cell IS NULL OR c.first_rank IS NOT NULL",
    "exact_join": "JOIN {cells} AS c ON c.cell = f.cell AND c.first_rank IS NULL",
}
NO_GRID_ROUTES = {
    "coordinates": "SELECT NULL::float8 AS gx, NULL::float8 AS gy",
    "decided": "false",
    "exact_join": "",
}

SETTINGS = {
    "jit": "off",
    "work_mem": "64MB",
    "enable_bitmapscan": "off",
    "max_parallel_workers_per_gather": "2",
    "parallel_setup_cost": "10",
    "parallel_tuple_cost": "0.001",
    "min_parallel_table_scan_size": "1MB",
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
    cell_m: float = DEFAULT_CELL_M,
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
    cell_m
        Side of the grid's cells (metres): a point in a cell farther than
        ``tolerance_m`` from every perimeter is answered by the cell alone.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id_column`` (rows in no particular order): ``<key>``,
        ``<key>_statut`` (same categories as the Python path) and, when
        ``tolerance_m > 0``, ``<key>_distance_m``.
    """
    from psycopg import ClientCursor, sql

    if not cell_m > 0:
        raise ValueError(f"cell_m : côté des cellules en mètres, > 0 attendu ; reçu {cell_m!r}")
    location = parse_url(url)
    suffix = uuid.uuid4().hex[:12]
    names: dict[str, Any] = {
        "fid": sql.Identifier(id_column),
        "fgeom": sql.Identifier("geometry"),
        "zgeom": sql.Identifier("geometry"),
        "key": sql.Identifier(key),
        "features": sql.Identifier(location.schema, layer),
        "zones": sql.Identifier(location.schema, zones),
    }
    with connect(location) as conn, conn.transaction():
        for name, value in SETTINGS.items():
            conn.execute("SELECT set_config(%s, %s, true)", [name, value])
        keys = [row[0] for row in conn.execute(sql.SQL(KEYS).format(**names)).fetchall()]
        names |= _work_tables(conn, location.schema, suffix)
        params = _prepare(conn, names, tolerance_m, max_vertices, cell_m)
        routes = GRID_ROUTES if _points_only(conn, location.schema, layer) else NO_GRID_ROUTES
        names |= {name: sql.SQL(text).format(**names) for name, text in routes.items()}
        names["cell_of"] = sql.SQL(CELL_OF).format(**names)
        statement = ClientCursor(conn).mogrify(sql.SQL(ANSWERS).format(**names), params)
        buffer = io.BytesIO(copy_out(conn, statement))
        for table in ("cells", "pieces", "zones_t"):
            conn.execute(sql.SQL("DROP TABLE {}").format(names[table]))
    buffer.seek(0)
    return _frame(buffer, keys, key, id_column, tolerance_m)


def copy_out(conn: Any, statement: str) -> bytes:
    """The rows of ``COPY … TO STDOUT`` read straight from libpq, end to end.

    psycopg's ``Copy`` hands over one row at a time through its generators, a
    couple of microseconds each: millions of rows took seconds. Here the rows are
    taken with ``PQgetCopyData`` in one loop, then the command's results drained, so
    the connection is left as psycopg expects it (idle in its transaction).

    Raises
    ------
    psycopg.Error
        The server's error, when the statement fails.
    """
    from psycopg import errors, pq

    pgconn = conn.pgconn
    encoding = conn.info.encoding
    pgconn.send_query(statement.encode(encoding))
    parts: list[bytes] = []
    failure = None
    while (result := pgconn.get_result()) is not None:
        if result.status == pq.ExecStatus.COPY_OUT:
            read, keep = pgconn.get_copy_data, parts.append
            while (got := read(0))[0] >= 0:
                keep(bytes(got[1]))
        elif result.status != pq.ExecStatus.COMMAND_OK and failure is None:
            failure = errors.error_from_result(result, encoding=encoding)
    if failure is not None:
        raise failure
    return b"".join(parts)


def _work_tables(conn: Any, schema: str, suffix: str) -> dict[str, Any]:
    """Names of the working tables: unlogged in the territory's schema (parallel
    workers can scan them), temporary when the schema is not writable."""
    from psycopg import errors, sql

    try:
        with conn.transaction():
            probe = sql.Identifier(schema, f"gupgeo_probe_{suffix}")
            conn.execute(sql.SQL("CREATE UNLOGGED TABLE {} (x int)").format(probe))
            conn.execute(sql.SQL("DROP TABLE {}").format(probe))
        kind, where = "UNLOGGED", [schema]
    except errors.InsufficientPrivilege:
        kind, where = "TEMPORARY", []
    out: dict[str, Any] = {"kind": sql.SQL(kind)}
    for table in ("cells", "pieces", "zones_t"):
        out[table] = sql.Identifier(*where, f"gupgeo_{table}_{suffix}")
    return out


def _points_only(conn: Any, schema: str, layer: str) -> bool:
    """Whether the layer's geometry column is typed ``Point`` (the grid applies)."""
    row = conn.execute(
        "SELECT type FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = %s",
        [schema, layer],
    ).fetchone()
    return row is not None and str(row[0]).upper() == "POINT"


def _prepare(
    conn: Any, names: dict[str, Any], tolerance_m: float, max_vertices: int, cell_m: float
) -> dict[str, Any]:
    """Repair and cut the zones, lay the grid; the parameters of the answers' query."""
    from psycopg import sql

    conn.execute(sql.SQL(ZONES).format(**names))
    conn.execute(sql.SQL(MAKE_PIECES).format(**names), {"max_vertices": max(int(max_vertices), 5)})
    conn.execute(sql.SQL(INDEX_PIECES).format(**names))
    conn.execute(sql.SQL("ANALYZE {}").format(names["pieces"]))
    tolerance = max(float(tolerance_m), 0.0)
    cell = float(cell_m)
    xmin, ymin, xmax, ymax, srid = conn.execute(sql.SQL(EXTENT).format(**names)).fetchone()
    if xmin is None:
        xmin = ymin = xmax = ymax = 0.0
        srid = 0
    reach = tolerance + _REACH_EPSILON_M
    x0, y0 = float(xmin) - reach - cell, float(ymin) - reach - cell
    params = {
        "cell": cell,
        "reach": reach,
        "x0": x0,
        "y0": y0,
        "nx": math.ceil((float(xmax) + reach + cell - x0) / cell) + 1,
        "ny": math.ceil((float(ymax) + reach + cell - y0) / cell) + 1,
        "srid": int(srid or 0),
        "tolerance": tolerance,
    }
    conn.execute(sql.SQL(MAKE_CELLS).format(**names), params)
    conn.execute(sql.SQL(INDEX_CELLS).format(**names))
    conn.execute(sql.SQL("ANALYZE {}").format(names["cells"]))
    return params


def _frame(
    buffer: io.BytesIO, keys: list[str], key: str, id_column: str, tolerance_m: float
) -> pd.DataFrame:
    """The result frame from the CSV answers (id, empty, first, last, near, distance)."""
    import pyarrow as pa
    from pyarrow import csv

    if buffer.getbuffer().nbytes == 0:
        buffer = io.BytesIO(b",0,,,,\n")  # one row parsed, then dropped
        return _frame(buffer, keys, key, id_column, tolerance_m).iloc[:0]
    types = {"id": pa.string(), "empty": pa.int8(), "first": pa.int32(), "last": pa.int32()}
    types |= {"near": pa.int32(), "distance": pa.float64()}
    raw = csv.read_csv(
        buffer,
        read_options=csv.ReadOptions(column_names=list(types)),
        convert_options=csv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=False
        ),
    )

    def floats(name: str) -> np.ndarray:
        return np.asarray(raw.column(name).to_pandas(), dtype=np.float64)

    empty = floats("empty") == 1
    first, last, near = floats("first"), floats("last"), floats("near")
    inside = ~empty & ~np.isnan(first)
    tolerated = ~empty & ~inside & ~np.isnan(near)
    rank = np.where(inside, first, np.where(tolerated, near, np.nan))
    found = ~np.isnan(rank)
    lookup = np.asarray([*keys, None], dtype=object)
    zone = lookup[np.where(found, rank, len(keys)).astype(np.int64)]
    code = {statut: code for code, statut in enumerate(STATUTS_ATTRIBUTION)}
    statut = np.full(raw.num_rows, code[STATUT_HORS_ZONE], dtype=np.int8)
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
        index=pd.Index(raw.column("id").to_pandas(), name=id_column),
    )
    if tolerance_m > 0:
        distance = np.where(inside, 0.0, np.where(tolerated, floats("distance"), np.nan))
        out[f"{key}_distance_m"] = distance
    return out


__all__ = ["attribute_in_database"]
