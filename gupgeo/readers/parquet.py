"""GeoParquet: one file, or a folder partitioned hive-style (``annee=2024/part-00000.parquet``).

A partitioned folder is what :func:`gupgeo.storage.parquet.write_layer_parquet` writes
for large dated layers, and what Dask reads in parallel (one partition per file). It is
recognised by its ``name=value`` subfolders, or by a folder name ending in
``.parquet``. Its files are read in path order and put end to end; each partition
value becomes a column, except the ones gupgeo derived from a date column when it
wrote the folder (said in ``_gupgeo.json`` at its root: ``annee`` from
``date_signalement``), which are dropped since the date is there.

A Parquet file without the GeoParquet ``geo`` metadata is read as a plain table (the
``tfpb`` layer, a CSV converted by hand): validation then looks for coordinate
columns like for a CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
from pyproj import CRS

from gupgeo.errors import InputFileError
from gupgeo.readers.raw import RawLayer
from gupgeo.readers.tabular import locate_coordinates

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
"""Hive's name for the partition of rows whose value is missing (undated rows)."""
DATASET_META = "_gupgeo.json"
"""Written by gupgeo at the root of a partitioned folder; ignored by pyarrow and Dask
(leading underscore)."""
SUFFIXES = (".parquet", ".geoparquet")


def is_dataset(path: Path) -> bool:
    """Whether the folder ``path`` is one partitioned (Geo)Parquet layer.

    Examples
    --------
    >>> is_dataset(Path("data/sample"))
    False
    """
    if not path.is_dir():
        return False
    if path.suffix.lower() in SUFFIXES:
        return True
    return any(_is_partition(child) for child in path.iterdir())


def _is_partition(path: Path) -> bool:
    name, sep, _value = path.name.partition("=")
    return path.is_dir() and bool(sep) and bool(name) and not name.startswith((".", "_"))


def dataset_files(path: Path) -> list[Path]:
    """The Parquet files of a partitioned folder, in path order (hidden files left out)."""
    found: list[Path] = []
    for child in sorted(path.iterdir()):
        if child.name.startswith((".", "_")):
            continue
        if child.is_file() and child.suffix.lower() in SUFFIXES:
            found.append(child)
        elif _is_partition(child):
            found.extend(dataset_files(child))
    return found


def dataset_meta(path: Path) -> dict[str, object]:
    """What gupgeo wrote about a partitioned folder (empty for a folder of other origin)."""
    meta = path / DATASET_META
    if not meta.is_file():
        return {}
    try:
        loaded = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{meta} : description du dossier illisible ({exc})") from exc
    return loaded if isinstance(loaded, dict) else {}


def partition_values(path: Path, root: Path) -> dict[str, str | None]:
    """``{name: value}`` of the ``name=value`` folders between ``root`` and the file."""
    values: dict[str, str | None] = {}
    for part in path.relative_to(root).parts[:-1]:
        name, _, value = part.partition("=")
        values[name] = None if value == HIVE_NULL else value
    return values


def read_parquet(path: Path) -> RawLayer:
    """Read one GeoParquet (or plain Parquet) file, or a partitioned folder."""
    if path.is_dir():
        return _read_dataset(path)
    frame = _read_file(path)
    return _to_raw(frame, path)


def _read_file(path: Path) -> pd.DataFrame:
    try:
        geo = b"geo" in (pq.read_schema(path).metadata or {})
        if geo:
            gdf = gpd.read_parquet(path)
            if gdf.geometry.name != "geometry":
                gdf = gdf.rename_geometry("geometry")
            return gdf
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError…
        raise InputFileError(
            f"{path} : GeoParquet illisible ({exc}) ; attendu un fichier Parquet, avec les "
            "métadonnées « geo » pour une couche géographique"
        ) from exc


def _to_raw(frame: pd.DataFrame, path: Path) -> RawLayer:
    if not isinstance(frame, gpd.GeoDataFrame):
        raw = RawLayer(frame=frame, source=str(path), format="Parquet")
        locate_coordinates(raw)
        return raw
    crs = CRS.from_user_input(frame.crs) if frame.crs is not None else None
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table["geometry"] = frame.geometry.array
    raw = RawLayer(frame=table, source=str(path), format="GeoParquet", crs=crs)
    if crs is not None:
        raw.crs_note = f"{crs.name} (EPSG:{crs.to_epsg()}) déclaré par le fichier"
    return raw


def _read_dataset(path: Path) -> RawLayer:
    files = dataset_files(path)
    if not files:
        raise InputFileError(
            f"{path} : dossier GeoParquet sans fichier .parquet ; attendu des fichiers "
            "dans des sous-dossiers annee=2024/…"
        )
    meta = dataset_meta(path)
    derived = meta.get("partition")
    parts = []
    for file in files:
        frame = _read_file(file)
        for name, value in partition_values(file, path).items():
            if name != derived:
                frame[name] = value
        parts.append(frame)
    _check_same_crs(parts, files)
    first = parts[0]
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else first
    if isinstance(first, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=first.crs)
    raw = _to_raw(frame, path)
    raw.format = f"{raw.format} partitionné"
    if isinstance(meta.get("couche"), str):
        raw.suggested_layer = str(meta["couche"])
    raw.notes.append(_partition_note(raw.format, files, path, derived, meta.get("colonne_date")))
    return raw


def _check_same_crs(parts: list[pd.DataFrame], files: list[Path]) -> None:
    crss = {
        str(file.name): CRS.from_user_input(p.crs)
        for p, file in zip(parts, files, strict=True)
        if isinstance(p, gpd.GeoDataFrame) and p.crs is not None
    }
    distinct = {c.to_wkt() for c in crss.values()}
    if len(distinct) > 1:
        listed = ", ".join(f"{name} : {crs.name}" for name, crs in crss.items())
        raise InputFileError(
            f"fichiers d'un même dossier GeoParquet dans des CRS différents ({listed}) ; "
            "attendu un seul CRS pour toute la couche"
        )


def _partition_note(
    fmt: str, files: list[Path], root: Path, derived: object, date_column: object
) -> str:
    keys = sorted({k for f in files for k in partition_values(f, root)})
    note = f"{fmt} : {len(files)} fichier(s)"
    if keys:
        note += " ; partitions " + ", ".join(keys)
    if derived and date_column:
        note += f" ({derived} déduite de {date_column}, colonne non reprise)"
    return note


__all__ = ["DATASET_META", "HIVE_NULL", "dataset_files", "is_dataset", "read_parquet"]
