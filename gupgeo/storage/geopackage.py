"""The territory's GeoPackage: which tables gupgeo owns, a save that never destroys, a seal.

A save writes a new file under a temporary name beside the target and renames it over
the target (:mod:`gupgeo._atomic`): an interrupted save leaves the previous file whole.
The temporary name (``.<nom>.gpkg.gupgeo-tmp-<pid>-…``) is hidden and does not end in
``.gpkg``: no folder load nor ``validate`` takes it for a territory, and the next save
sweeps one left by a killed process.

One writer at a time: a save holds the file's lock (:mod:`gupgeo._lock`, a hidden
``.<nom>.gpkg.gupgeo-verrou`` beside it) from reading the old file to renaming the new
one; the importer holds the same lock across its read, merge and save.

gupgeo owns, in a file it saved (one holding ``gupgeo_provenance``), the tables named
after its layers, ``gupgeo_provenance``, ``gupgeo_sauvegarde`` and the extra tables it
writes (the status history). Everything else is kept as it was: the new file starts as
a copy of the old one (SQLite backup, so pending WAL changes are included) from which
only gupgeo's tables are dropped and rewritten. Kept so: the user's own layers and plain
SQLite tables (registered in ``gpkg_contents`` or not), views, triggers, the rows of
``gpkg_extensions`` and ``gpkg_metadata``, a QGIS project stored in the file
(``qgis_projects``) and QGIS styles (``layer_styles``, those of gupgeo's layers
included: they name the layer, which is rewritten under the same name). A table named
like one gupgeo writes, in a file gupgeo did not save, is never replaced: the save is
refused.

``gupgeo_sauvegarde`` is written last: a file holding ``gupgeo_provenance`` without it,
or without a layer it lists, is an incomplete save.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import sqlite3
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import fiona
import pandas as pd
import pyogrio

from gupgeo._atomic import replacing
from gupgeo._lock import DEFAULT_WAIT_S, file_lock
from gupgeo.errors import OutputExistsError
from gupgeo.schemas import LAYER_NAMES

PROVENANCE_TABLE = "gupgeo_provenance"
SEAL_TABLE = "gupgeo_sauvegarde"
"""One row written after every other table: format, layers and their rows, date."""
SEAL_FORMAT = "gupgeo-territoire/1"
OWN_TABLES = (PROVENANCE_TABLE, SEAL_TABLE)
HISTORY_TABLE = "gupgeo_historique_statuts"
"""Statuses seen by each import (:mod:`gupgeo.storage.importer`): kept by every save."""


def list_tables(path: Path) -> list[str]:
    """Names of the tables of a GeoPackage (features and attributes)."""
    return [str(name) for name in pyogrio.list_layers(path)[:, 0]]


def _sqlite_objects(path: Path) -> list[str]:
    """Tables and views of the SQLite file ``path`` that are not GeoPackage machinery."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        ).fetchall()
    internal = ("gpkg_", "rtree_", "sqlite_", "gpkgext_")
    return [str(name) for (name,) in rows if not str(name).startswith(internal)]


def _existing_tables(target: Path) -> list[str]:
    """Every table and view of ``target``, registered in ``gpkg_contents`` or not."""
    if not target.exists() or target.stat().st_size == 0:
        return []
    try:
        with warnings.catch_warnings():  # GDAL on the user's own extensions: not read here
            warnings.filterwarnings("ignore", ".*relies on the .* extension")
            registered = list_tables(target)
        return [*registered, *(t for t in _sqlite_objects(target) if t not in registered)]
    except Exception as exc:  # pyogrio raises DataSourceError and others
        raise OutputExistsError(
            f"{target} existe et n'est pas un GeoPackage lisible ({exc}) ; gupgeo ne "
            "l'écrase pas : choisissez un autre fichier .gpkg ou déplacez celui-ci"
        ) from exc


def _copy(source: Path, target: Path) -> None:
    """Copy a SQLite database page by page, WAL included (the file may be open in QGIS)."""
    uri = f"{source.resolve().as_uri()}?mode=ro"
    with (
        contextlib.closing(sqlite3.connect(uri, uri=True)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def save_tables(
    target: Path,
    layers: Mapping[str, pd.DataFrame],
    provenance: pd.DataFrame,
    *,
    extra: Mapping[str, pd.DataFrame] | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> list[str]:
    """Write ``layers`` and ``provenance`` into the GeoPackage ``target``, then the seal.

    ``extra`` tables (the status history of :mod:`gupgeo.storage.importer`) are written
    in the same new file, replacing their previous version when gupgeo saved the file.
    Returns the tables and views of ``target`` kept as they were (the user's own). The
    file's lock is held throughout; another writer is waited for up to ``wait_s``
    seconds.

    Raises
    ------
    OutputExistsError
        When ``target`` is not a GeoPackage, or holds a table gupgeo would replace
        without having written it.
    BusyError
        When another process still writes ``target`` after ``wait_s`` seconds.
    """
    with file_lock(target, wait_s=wait_s, what=str(target)):
        return _save_locked(target, layers, provenance, dict(extra or {}))


def _save_locked(
    target: Path,
    layers: Mapping[str, pd.DataFrame],
    provenance: pd.DataFrame,
    extra: dict[str, pd.DataFrame],
) -> list[str]:
    existing = _existing_tables(target)
    owned, kept = owned_tables(
        existing,
        written=[*layers, *extra, *OWN_TABLES],
        ours=(*LAYER_NAMES, *OWN_TABLES, *extra),
        where=str(target),
        advice="Enregistrez le territoire dans un autre fichier .gpkg, ou renommez ces tables.",
    )
    with replacing(target, suffix="", locked=True) as tmp, quiet_about_the_name():
        if existing:  # start from the old file: everything not gupgeo's stays as it was
            _copy(target, tmp)
            for table in sorted(owned, key=lambda t: t != SEAL_TABLE):  # the seal first
                fiona.remove(str(tmp), layer=table, driver="GPKG")
        for name, frame in {**layers, **extra}.items():
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
        pyogrio.write_dataframe(provenance, tmp, layer=PROVENANCE_TABLE, driver="GPKG")
        pyogrio.write_dataframe(seal_frame(layers), tmp, layer=SEAL_TABLE, driver="GPKG")
    return kept


def owned_tables(
    existing: Sequence[str],
    *,
    written: Sequence[str],
    ours: Sequence[str],
    where: str,
    advice: str,
) -> tuple[list[str], list[str]]:
    """Which ``existing`` tables a save may replace, and which it keeps as they were.

    gupgeo owns a table only in a store it saved (one holding ``gupgeo_provenance``)
    and only when the table is named like one of ``ours``; every store (GeoPackage,
    PostGIS) decides so. Returns ``(owned, kept)``: the tables to drop and rewrite,
    and the user's own tables left untouched.

    Raises
    ------
    OutputExistsError
        When a table to be ``written`` exists and gupgeo does not own it; the
        message names ``where`` and ends with ``advice``.
    """
    saved_by_gupgeo = PROVENANCE_TABLE in existing
    owned = [t for t in existing if saved_by_gupgeo and t in ours]
    clashes = [t for t in existing if t in written and t not in owned]
    if clashes:
        raise OutputExistsError(
            f"{where} contient déjà la ou les tables {', '.join(clashes)}, qui n'ont pas été "
            "écrites par gupgeo (pas de table gupgeo_provenance) ; gupgeo ne les remplace pas. "
            + advice
        )
    kept = [t for t in existing if t not in owned and t not in written]
    return owned, kept


_NAME_WARNINGS = ".*(extension should be|non conformant file ext)"


def _drop_name_warnings(record: logging.LogRecord) -> bool:
    return not re.match(_NAME_WARNINGS, record.getMessage())


@contextlib.contextmanager
def quiet_about_the_name() -> Iterator[None]:
    """Silence GDAL's warnings that the temporary file is not named ``.gpkg``: on purpose."""
    fiona_log = logging.getLogger("fiona._err")
    fiona_log.addFilter(_drop_name_warnings)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", _NAME_WARNINGS)
            yield
    finally:
        fiona_log.removeFilter(_drop_name_warnings)


def seal_frame(layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The seal written last by every store: format, layers and their rows, date."""
    return pd.DataFrame(
        {
            "format": [SEAL_FORMAT],
            "couches": [",".join(layers)],
            "lignes": [",".join(str(len(f)) for f in layers.values())],
            "enregistre_le": [dt.datetime.now().isoformat(timespec="seconds")],
        }
    ).astype("string")


def incomplete_save(path: Path) -> str | None:
    """Why ``path``, a GeoPackage saved by gupgeo, is incomplete (French); None if it is not.

    A GeoPackage without ``gupgeo_provenance`` is not a gupgeo save: None.
    """
    if path.suffix.lower() != ".gpkg":
        return None
    try:
        tables = list_tables(path)
    except Exception:  # unreadable: the reader reports it
        return None
    if PROVENANCE_TABLE not in tables:
        return None
    if SEAL_TABLE not in tables:
        return (
            f"sauvegarde incomplète : {path.name} porte la table {PROVENANCE_TABLE} mais pas "
            f"{SEAL_TABLE}, écrite en dernier par gupgeo (enregistrement interrompu, ou "
            "fichier d'une version antérieure de gupgeo) ; ré-enregistrez le territoire à "
            "partir de ses fichiers sources"
        )
    seal = pyogrio.read_dataframe(path, layer=SEAL_TABLE)
    listed = str(seal["couches"].iloc[0]) if len(seal) and "couches" in seal else ""
    missing = [name for name in listed.split(",") if name and name not in tables]
    if missing:
        return (
            f"sauvegarde incomplète : {path.name} annonce la ou les couches "
            f"{', '.join(missing)}, absentes du fichier"
        )
    return None


__all__ = [
    "OWN_TABLES",
    "PROVENANCE_TABLE",
    "SEAL_TABLE",
    "incomplete_save",
    "owned_tables",
    "save_tables",
]
