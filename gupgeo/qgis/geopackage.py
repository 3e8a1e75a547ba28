"""The published GeoPackage beside the project, and its ``layer_styles`` table.

The published layers are written by gupgeo's own save (:meth:`Territory.save`, which
keeps every table it did not write: a colleague's layers, styles, projects), then the
styles are written into ``layer_styles`` — QGIS's own table and columns — so each layer
opens styled on its own (``useAsDefault``). Only the rows named :data:`STYLE_NAME` are
replaced; a default style the user chose stays the default.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from gupgeo.qgis.layers import ProjectLayer
from gupgeo.territory import Territory

STYLE_NAME = "gupgeo"
STYLES_TABLE = "layer_styles"
_CREATE = """
CREATE TABLE IF NOT EXISTS "layer_styles" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT,
  "useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""


def write_layers(
    path: Path | str,
    layers: dict[str, pd.DataFrame],
    aggregated: dict[str, str],
    provenance: dict[str, object],
) -> Path | str:
    """Save the published layers into the GeoPackage ``path``, or the PostGIS URL
    (gupgeo's safe save).

    Aggregated count layers (``signalements_agreges``…) are written as gupgeo's extra
    tables, so a later save replaces them instead of refusing them as the user's.
    """
    counts = set(aggregated.values())
    main = {k: v for k, v in layers.items() if k not in counts}
    extra = {k: v for k, v in layers.items() if k in counts}
    territory = Territory(main, provenance=dict(provenance))  # type: ignore[arg-type]
    return territory.save(path, rejects=False, extra=extra or None)


def write_styles(path: Path, project_layers: Sequence[ProjectLayer]) -> int:
    """Write the style of each table into ``layer_styles``; returns the rows written.

    A table shown by several project layers (constats split by geometry, quartiers and
    their rate) gets the style of its first one, which QGIS applies when the table is
    opened alone.
    """
    first: dict[str, ProjectLayer] = {}
    for layer in project_layers:
        if layer.primary:
            first.setdefault(layer.table, layer)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(_CREATE)
        _register(conn)
        geometry_columns = dict(
            conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall()
        )
        for table, layer in first.items():
            conn.execute(
                'DELETE FROM layer_styles WHERE f_table_name = ? AND "styleName" = ?',
                (table, STYLE_NAME),
            )
            user_default = conn.execute(
                'SELECT count(*) FROM layer_styles WHERE f_table_name = ? AND "useAsDefault"',
                (table,),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                'f_geometry_column, "styleName", "styleQML", "styleSLD", "useAsDefault", '
                "description, owner, ui, update_time) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    "",
                    "",
                    table,
                    geometry_columns.get(table, "geom"),
                    STYLE_NAME,
                    layer.style.qml(name=layer.name),
                    "",
                    0 if user_default else 1,
                    f"Style gupgeo : {layer.name} (comme la carte HTML)",
                    "gupgeo",
                    None,
                    now,
                ),
            )
    return len(first)


def _register(conn: sqlite3.Connection) -> None:
    """List ``layer_styles`` in ``gpkg_contents`` (as GDAL does), so that readers — and
    gupgeo's own save, which keeps the tables it did not write — see it."""
    known = conn.execute(
        "SELECT count(*) FROM gpkg_contents WHERE table_name = ?", (STYLES_TABLE,)
    ).fetchone()[0]
    if not known:
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) VALUES (?, 'attributes', ?, '', strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
            (STYLES_TABLE, STYLES_TABLE),
        )
