"""The territory in PostGIS: one schema per territory, written in one transaction.

A territory is addressed by a URL, ``postgresql://user@host:port/base?schema=tours``;
``postgresql://`` alone uses the standard libpq environment variables (``PGHOST``,
``PGPORT``, ``PGUSER``, ``PGDATABASE``, ``PGPASSWORD``…). The ``schema`` query parameter
(default ``gupgeo``) names the schema holding the territory; every other parameter is
passed to libpq as is.

Each layer is a table named after it: typed columns (``bigint``, ``double precision``,
``timestamp``, ``boolean``, ``text``), a ``geometry`` column typed with its kind and SRID
2154 (``geometry(Point, 2154)``…) and a GiST index on it. Beside the layers:
``gupgeo_provenance``, ``gupgeo_colonnes`` (each column's pandas type, so a load gives
back the frames that were saved) and ``gupgeo_sauvegarde`` (the seal, as in the
GeoPackage store).

A save drops and rewrites gupgeo's tables inside one transaction: readers see the
previous territory or the new one, never a mix, and a failure leaves the schema as it
was. One writer at a time: a save holds the schema's lock (:func:`schema_lock`, a
transaction-scoped advisory lock keyed on the schema's name, released by the server
when the connection ends, even killed); the importer holds it across its read, merge
and save, so two imports never lose each other's rows. Other tables of the schema (the
user's own, the status history of :mod:`gupgeo.storage.importer`) are kept. Tables named
like a layer in a schema gupgeo did not write (no ``gupgeo_provenance``) are never
replaced: the save is refused.

Every identifier goes through ``psycopg.sql.Identifier`` and every value is a bound
parameter or a ``COPY`` row: no SQL is ever built from user text. psycopg is an
optional dependency (``pip install 'gupgeo[postgis]'``), imported where it is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo._lock import DEFAULT_WAIT_S, busy_message, holding, wait_for
from gupgeo.errors import InputFileError
from gupgeo.schemas import LAYER_NAMES
from gupgeo.storage import _pgcopy
from gupgeo.storage.geopackage import PROVENANCE_TABLE, SEAL_TABLE, owned_tables, seal_frame
from gupgeo.storage.postgis_views import dependent_views

SCHEMES = ("postgresql://", "postgres://")
DEFAULT_SCHEMA = "gupgeo"
SRID = 2154
COLUMNS_TABLE = "gupgeo_colonnes"
"""Layer, column, position and pandas type of every saved column."""
OWN_TABLES = (PROVENANCE_TABLE, COLUMNS_TABLE, SEAL_TABLE)
INSTALL = "pip install 'gupgeo[postgis]'"
REJECTS_TABLES = tuple(f"rejets_{name}" for name in LAYER_NAMES)
"""Rows rejected at validation, one text table per layer, replaced by every save."""


def is_postgis_url(source: object) -> bool:
    """Whether ``source`` is a PostGIS URL (``postgresql://…`` or ``postgres://…``)."""
    return isinstance(source, str) and source.startswith(SCHEMES)


@dataclass(frozen=True)
class Location:
    """Where a territory lives: a libpq connection string and a schema."""

    conninfo: str
    schema: str

    @property
    def label(self) -> str:
        """The location without any password, for messages and provenance."""
        return f"{self._without_password()} (schéma {self.schema})"

    @property
    def safe_url(self) -> str:
        """The URL to type again, schema included, without any password.

        Examples
        --------
        >>> parse_url("postgresql://gup:secret@db/sig?schema=tours").safe_url
        'postgresql://gup@db/sig?schema=tours'
        """
        base = self._without_password()
        return f"{base}{'&' if '?' in base else '?'}{urlencode([('schema', self.schema)])}"

    def _without_password(self) -> str:
        parts = urlsplit(self.conninfo)
        netloc = parts.netloc.rsplit("@", 1)
        if len(netloc) == 2:
            user = netloc[0].split(":", 1)[0]
            netloc = [f"{user}@{netloc[1]}"]
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "password"]
        return _url(parts.scheme, netloc[0], parts.path, urlencode(query))


def parse_url(url: str, *, schema: str | None = None) -> Location:
    """Split ``url`` into a libpq connection string and the territory's schema.

    ``schema`` wins over the URL's ``?schema=`` parameter, which wins over ``gupgeo``.

    Examples
    --------
    >>> parse_url("postgresql://gup@localhost:5432/sig?schema=tours")
    Location(conninfo='postgresql://gup@localhost:5432/sig', schema='tours')
    >>> parse_url("postgresql://?schema=tours")  # libpq's PGHOST, PGUSER… variables
    Location(conninfo='postgresql://', schema='tours')
    """
    if not is_postgis_url(url):
        raise InputFileError(f"{url!r} : attendu une URL postgresql://…")
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    in_url = [v for k, v in query if k == "schema"]
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    chosen = schema or (in_url[-1] if in_url else "") or DEFAULT_SCHEMA
    return Location(_url(parts.scheme, parts.netloc, parts.path, rest), chosen)


def _url(scheme: str, netloc: str, path: str, query: str) -> str:
    """A URL whose ``//`` stays even with no host (``urlunsplit`` drops it)."""
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise ImportError(
            f"le stockage PostGIS demande psycopg 3 : {INSTALL} (ou pip install 'psycopg[binary]')"
        ) from exc
    return psycopg


@contextmanager
def connect(location: Location) -> Iterator[Any]:
    """A psycopg connection to ``location`` (closed at the end, committed on success)."""
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(location.conninfo)
    except psycopg.OperationalError as exc:
        raise ConnectionError(
            f"connexion PostgreSQL impossible ({location.label}) : {str(exc).strip()} ; "
            "vérifiez l'URL ou les variables PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD"
        ) from exc
    with conn:
        yield conn


@contextmanager
def _advisory_lock(location: Location, *, wait_s: float) -> Iterator[None]:
    key = f"gupgeo:{location.schema}"
    with connect(location) as conn, conn.transaction():

        def try_once() -> bool:
            query = "SELECT pg_try_advisory_xact_lock(hashtext(%s))"
            return bool(conn.execute(query, [key]).fetchone()[0])

        wait_for(
            try_once,
            wait_s=wait_s,
            waiting=lambda: (
                f"{location.label} : territoire en cours d'écriture par un autre processus "
                f"(pid {_holder(conn, key)}) ; attente de sa fin (au plus {wait_s:g} s)…"
            ),
            busy=lambda: busy_message(location.label, _holder(conn, key), wait_s),
        )
        yield


def _holder(conn: Any, key: str) -> str:
    """The server process id holding the advisory lock ``key`` (« inconnu » if none)."""
    row = conn.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = "
        "(hashtext(%s)::bigint & 4294967295)::oid LIMIT 1",
        [key],
    ).fetchone()
    return f"serveur {row[0]}" if row else "inconnu"


@contextmanager
def schema_lock(url: str | Location, *, wait_s: float = DEFAULT_WAIT_S) -> Iterator[None]:
    """Hold the write lock of the territory at ``url`` (its schema) across the block.

    A second writer (another process, or another thread) waits up to ``wait_s``
    seconds, saying so in the log, then gets :class:`~gupgeo.errors.BusyError`.
    Re-entrant within a thread: the save inside an import does not wait for the import.
    """
    location = url if isinstance(url, Location) else parse_url(url)
    key = f"postgis:{location.conninfo}#{location.schema}"
    with holding(
        key,
        lambda: _advisory_lock(location, wait_s=wait_s),
        wait_s=wait_s,
        busy=lambda: busy_message(location.label, f"{os.getpid()}, ce même processus", wait_s),
    ):
        yield


# ---------------------------------------------------------------- types


def pg_type(series: pd.Series) -> str:
    """The PostgreSQL type of a non-geometry column (SQL keyword, never user text)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return pg_type(pd.Series(dtype.categories))
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamp with time zone"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "timestamp without time zone"
    return "text"


def geometry_type(geoms: gpd.GeoSeries) -> str:
    """``geometry(<Kind>, 2154)``: the one kind of the column, or ``Geometry`` if mixed."""
    kinds = set(geoms.dropna().geom_type.unique())
    kind = kinds.pop() if len(kinds) == 1 else "Geometry"
    z = "Z" if bool(np.any(shapely.has_z(geoms.dropna().array))) else ""
    return f"geometry({kind}{z}, {SRID})"


def restore_dtype(series: pd.Series, dtype: str) -> pd.Series:
    """``series`` as read from PostgreSQL, given back its saved pandas type."""
    try:
        target = pd.api.types.pandas_dtype(dtype)
        if dtype.startswith("datetime64"):
            return pd.to_datetime(series).astype(target)
        if dtype == "object":
            return series.astype(object).where(series.notna(), None)
        return series.astype(target)
    except (TypeError, ValueError):
        return series


# ---------------------------------------------------------------- save


def list_tables(conn: Any, schema: str) -> list[str]:
    """Names of the tables of ``schema``."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        [schema],
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


def save_tables(
    url: str,
    layers: Mapping[str, pd.DataFrame],
    provenance: pd.DataFrame,
    *,
    schema: str | None = None,
    extra: Mapping[str, pd.DataFrame] | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> list[str]:
    """Write ``layers`` and ``provenance`` into the schema of ``url``, in one transaction.

    ``extra`` tables (the status history of :mod:`gupgeo.storage.importer`) are
    written in the same transaction, replacing their previous version.

    Returns the tables of the schema kept as they were (the user's own). The schema's
    lock (:func:`schema_lock`) is held throughout; another writer is waited for up to
    ``wait_s`` seconds.

    Raises
    ------
    OutputExistsError
        When the schema holds a table named like one gupgeo writes without having
        written it (no ``gupgeo_provenance``).
    ConnectionError
        When the server cannot be reached.
    BusyError
        When another process still writes the schema after ``wait_s`` seconds.
    """
    sql = _psycopg().sql
    location = parse_url(url, schema=schema)
    with schema_lock(location, wait_s=wait_s), connect(location) as conn, conn.transaction():
        existing = list_tables(conn, location.schema)
        extras = dict(extra or {})
        owned, kept = owned_tables(
            existing,
            written=[*layers, *extras, *OWN_TABLES],
            ours=(*LAYER_NAMES, *OWN_TABLES, *REJECTS_TABLES, *extras),
            where=location.label,
            advice="Choisissez un autre schéma (?schema=…) ou renommez ces tables.",
        )
        ident = sql.Identifier
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident(location.schema)))
        views = dependent_views(conn, location.schema, owned)
        for view in reversed(views):
            view.drop(conn)
        for table in owned:
            conn.execute(sql.SQL("DROP TABLE {}").format(ident(location.schema, table)))
        columns = []
        for name, frame in layers.items():
            write_table(conn, location.schema, name, frame)
            columns += [
                {"couche": name, "colonne": str(c), "position": i, "type_pandas": str(t)}
                for i, (c, t) in enumerate(frame.dtypes.items())
            ]
        for name, frame in extras.items():
            write_table(conn, location.schema, name, frame)
        write_table(conn, location.schema, PROVENANCE_TABLE, provenance)
        write_table(conn, location.schema, COLUMNS_TABLE, pd.DataFrame(columns))
        write_table(conn, location.schema, SEAL_TABLE, seal_frame(layers))
        for view in views:
            view.recreate(conn, location.label)
    return kept


def rejects_tables(rejects: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``rejets_<couche>`` tables (text columns) for the non-empty rejects of each layer."""
    out = {}
    for name, frame in rejects.items():
        if not frame.empty:
            unique = frame.loc[:, ~frame.columns.astype(str).duplicated()]
            out[f"rejets_{name}"] = pd.DataFrame(unique).astype("string")
    return out


def write_table(conn: Any, schema: str, table: str, frame: pd.DataFrame) -> None:
    """Create ``schema.table`` typed after ``frame`` and copy its rows in (no commit).

    The rows go in one binary ``COPY`` assembled with numpy (:mod:`._pgcopy`); the
    GiST index of the geometry is built after them.
    """
    sql = _psycopg().sql
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    kinds = {
        col: geometry_type(frame[col]) if col == geometry else pg_type(frame[col])
        for col in frame.columns
    }
    defs = [
        sql.SQL("{} {}").format(sql.Identifier(str(col)), sql.SQL(kind))
        for col, kind in kinds.items()
    ]
    target = sql.Identifier(schema, table)
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(defs)))
    columns = [
        _pgcopy.arrow_column(_ewkb(frame[col]))
        if col == geometry
        else _pgcopy.frame_column(frame[col], kind)
        for col, kind in kinds.items()
    ]
    names = sql.SQL(", ").join(sql.Identifier(str(c)) for c in frame.columns)
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(target, names)
    with conn.cursor().copy(statement) as copy:
        for block in _pgcopy.blocks(columns, len(frame)):
            copy.write(block)
    if geometry is not None:
        conn.execute(
            sql.SQL("CREATE INDEX {} ON {} USING GIST ({})").format(
                sql.Identifier(f"{table}_{geometry}_gist"[:63]), target, sql.Identifier(geometry)
            )
        )


def _ewkb(geoms: gpd.GeoSeries) -> Any:
    """EWKB carrying SRID 2154 (what PostGIS reads from a binary COPY) as a pyarrow
    binary array, null where the geometry is missing."""
    epsg = geoms.crs.to_epsg() if geoms.crs is not None else None
    if epsg != SRID:
        raise InputFileError(
            f"géométries en {geoms.crs} : attendu Lambert-93 (EPSG:{SRID}) pour PostGIS"
        )
    import pyarrow as pa

    arr = shapely.set_srid(np.asarray(geoms.array, dtype=object), SRID)
    return pa.array(shapely.to_wkb(arr, include_srid=True), type=pa.binary(), from_pandas=True)


# ---------------------------------------------------------------- read


@dataclass
class Stored:
    """What a PostGIS schema holds: layers, provenance rows, saved pandas types."""

    location: Location
    layers: dict[str, pd.DataFrame]
    provenance: pd.DataFrame
    dtypes: dict[str, dict[str, str]]
    problem: str | None = None


def read_tables(url: str, *, schema: str | None = None) -> Stored:
    """Read every layer of the schema of ``url`` (tables named after a layer).

    Raises
    ------
    InputFileError
        When the schema does not exist or holds no layer.
    """
    location = parse_url(url, schema=schema)
    with connect(location) as conn:
        tables = list_tables(conn, location.schema)
        names = [n for n in LAYER_NAMES if n in tables]
        if not names:
            raise InputFileError(
                f"{location.label} : aucune couche gupgeo (tables attendues : "
                f"{', '.join(LAYER_NAMES)}) ; schéma vide ou inexistant"
            )
        layers = {n: read_table(conn, location.schema, n) for n in names}
        provenance = (
            read_table(conn, location.schema, PROVENANCE_TABLE)
            if PROVENANCE_TABLE in tables
            else pd.DataFrame()
        )
        dtypes: dict[str, dict[str, str]] = {}
        if COLUMNS_TABLE in tables:
            for row in read_table(conn, location.schema, COLUMNS_TABLE).itertuples():
                dtypes.setdefault(str(row.couche), {})[str(row.colonne)] = str(row.type_pandas)
        problem = _incomplete(location, tables, conn)
    return Stored(location, layers, provenance, dtypes, problem)


def _incomplete(location: Location, tables: list[str], conn: Any) -> str | None:
    if PROVENANCE_TABLE not in tables:
        return None
    if SEAL_TABLE not in tables:
        return (
            f"sauvegarde incomplète : {location.label} porte la table {PROVENANCE_TABLE} "
            f"mais pas {SEAL_TABLE} ; ré-enregistrez le territoire"
        )
    seal = read_table(conn, location.schema, SEAL_TABLE)
    listed = str(seal["couches"].iloc[0]) if len(seal) else ""
    missing = [n for n in listed.split(",") if n and n not in tables]
    if missing:
        return (
            f"sauvegarde incomplète : {location.label} annonce la ou les couches "
            f"{', '.join(missing)}, absentes du schéma"
        )
    return None


def read_table(conn: Any, schema: str, table: str) -> pd.DataFrame:
    """One table as a (Geo)DataFrame: geometry columns decoded, CRS from their SRID."""
    sql = _psycopg().sql
    cols = conn.execute(
        "SELECT column_name, udt_name FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    geo = [str(c) for c, udt in cols if udt == "geometry"]
    select = [
        sql.SQL("ST_AsBinary({0})").format(sql.Identifier(str(c)))
        if str(c) in geo
        else sql.Identifier(str(c))
        for c, _ in cols
    ]
    query = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(select), sql.Identifier(schema, table)
    )
    rows = conn.execute(query).fetchall()
    names = [str(c) for c, _ in cols]
    frame = pd.DataFrame.from_records(rows, columns=names, coerce_float=False)
    if not geo:
        return frame
    srid = conn.execute("SELECT Find_SRID(%s, %s, %s)", [schema, table, geo[0]]).fetchone()[0]
    wkb = [None if v is None else bytes(v) for v in frame[geo[0]]]
    geoms = shapely.from_wkb(np.asarray(wkb, dtype=object))
    frame = frame.drop(columns=geo[0])
    frame.insert(names.index(geo[0]), geo[0], geoms)
    return gpd.GeoDataFrame(frame, geometry=geo[0], crs=int(srid) if srid else None)


__all__ = [
    "DEFAULT_SCHEMA",
    "OWN_TABLES",
    "Location",
    "Stored",
    "is_postgis_url",
    "parse_url",
    "read_tables",
    "save_tables",
    "schema_lock",
]
