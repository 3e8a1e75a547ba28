"""GeoParquet for large layers, partitioned by year: the interchange format for Dask.

:func:`write_layer_parquet` writes one layer either as one file, or as a folder
partitioned hive-style by the year of the layer's date (``annee=2024/part-00000.parquet``,
undated rows under ``annee=__HIVE_DEFAULT_PARTITION__``), each year cut into files of at
most ``rows_per_file`` rows so that Dask reads them in parallel. The year lives in the
folder names only: the date column is kept whole in the files, and ``_gupgeo.json`` at
the root says which layer the folder holds and that ``annee`` was derived from it.
GeoParquet carries the CRS (Lambert-93, EPSG:2154) in its ``geo`` metadata.

:func:`save_tables` writes a whole territory into a folder (``Territory.save(dossier,
format="parquet")``): the dated event layers (:data:`gupgeo.schemas.DATE_COLUMNS`)
partitioned, the reference layers (quartiers, operations, equipements, tfpb) as one file
each so their order, which decides ties in attribution, is kept; then
``gupgeo_provenance.parquet`` and, last, the seal ``gupgeo_sauvegarde.parquet``. The
folder is written under a temporary name and swapped in at the end; the other files of
an existing gupgeo folder are carried over, and a folder gupgeo did not write is never
replaced.

The folder loads back with :func:`gupgeo.load_territory` (validated like any source),
and a partitioned layer opens lazily with :func:`read_layer_dask`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gupgeo._atomic import remove_path, remove_stale, temporary_sibling
from gupgeo._lock import DEFAULT_WAIT_S, file_lock
from gupgeo.errors import InputFileError, OutputExistsError, SchemaError
from gupgeo.readers.parquet import DATASET_META, HIVE_NULL, dataset_files, dataset_meta
from gupgeo.schemas import DATE_COLUMNS, LAYER_NAMES
from gupgeo.storage.geopackage import PROVENANCE_TABLE, SEAL_TABLE, seal_frame

PARTITION = "annee"
"""The one partition gupgeo writes: the year of the layer's date column."""
ROWS_PER_FILE = 1_000_000
"""Most rows in one file of a partitioned folder (one Dask partition each)."""
PARTITIONED_LAYERS: tuple[str, ...] = tuple(DATE_COLUMNS)
"""Layers a territory folder stores partitioned by year (dated events)."""
INSTALL_DASK = "pip install 'gupgeo[dask]'"


def write_layer_parquet(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    layer: str | None = None,
    partition_by: str | None = PARTITION,
    date_column: str | None = None,
    rows_per_file: int = ROWS_PER_FILE,
) -> Path:
    """Write one layer as GeoParquet: a folder partitioned by year, or one file.

    Parameters
    ----------
    frame
        The layer (a GeoDataFrame keeps its CRS; a plain table is plain Parquet).
    path
        The folder to write (partitioned), or the ``.parquet`` file (``partition_by=None``).
    layer
        The gupgeo layer name (``"signalements"``): written in ``_gupgeo.json`` and
        giving the default ``date_column``.
    partition_by
        ``"annee"`` (the year of ``date_column``) or None for one file.
    date_column
        Date column whose year partitions the rows; by default the layer's
        (``date_signalement`` for signalements, ``date`` for constats…).
    rows_per_file
        Most rows per file inside a year.

    Returns
    -------
    Path
        ``path``, replaced whole: written under a temporary name and renamed at the end.

    Raises
    ------
    ValueError
        For a ``partition_by`` other than ``"annee"`` or None, or ``rows_per_file < 1``.
    SchemaError
        When the date column is missing or holds no dates.
    OutputExistsError
        When ``path`` exists and is not a folder gupgeo wrote.

    Examples
    --------
    >>> import tempfile
    >>> from gupgeo import load_territory
    >>> s = load_territory("data/sample")["signalements"]
    >>> folder = Path(tempfile.mkdtemp()) / "signalements"
    >>> out = write_layer_parquet(s, folder, layer="signalements")
    >>> sorted(p.name for p in out.iterdir())
    ['_gupgeo.json', 'annee=2022', 'annee=2023', 'annee=2024']
    """
    target = Path(path)
    if partition_by is None:
        return _write_file(frame, target)
    if partition_by != PARTITION:
        raise ValueError(
            f"partition_by : attendu {PARTITION!r} (année de la colonne de date) ou None, "
            f"reçu {partition_by!r}"
        )
    if rows_per_file < 1:
        raise ValueError(f"rows_per_file : attendu un entier ≥ 1, reçu {rows_per_file!r}")
    column = date_column or DATE_COLUMNS.get(layer or "")
    if column is None:
        raise SchemaError(
            f"{target} : colonne de date inconnue pour la couche {layer!r} ; précisez "
            f"date_column=… (l'une des couches datées : {', '.join(DATE_COLUMNS)})"
        )
    years = _years(frame, column, target)
    with _ReplacingFolder(target) as tmp:
        _write_years(frame, years, tmp, rows_per_file)
        meta = {"couche": layer, "partition": PARTITION, "colonne_date": column}
        (tmp / DATASET_META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return target


def _years(frame: pd.DataFrame, column: str, target: Path) -> np.ndarray:
    """The year of each row (-1 when undated)."""
    if column not in frame.columns:
        raise SchemaError(
            f"{target} : pas de colonne {column!r} pour partitionner par année ; colonnes : "
            f"{', '.join(map(str, frame.columns))}"
        )
    dates = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise SchemaError(
            f"{target} : la colonne {column!r} doit contenir des dates (datetime64) ; "
            f"reçu le type {dates.dtype}"
        )
    return np.asarray(dates.dt.year.fillna(-1), dtype=np.int64)


def _write_years(frame: pd.DataFrame, years: np.ndarray, folder: Path, rows_per_file: int) -> None:
    """One subfolder per year (rows in their order), files of at most ``rows_per_file``."""
    order = np.argsort(years, kind="stable")
    values, starts = np.unique(years[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    if not len(values):  # an empty layer still writes one (empty) file: its columns
        values, bounds = np.array([-1]), [0, 0]
    for year, lo, hi in zip(values.tolist(), bounds[:-1], bounds[1:], strict=True):
        sub = folder / f"{PARTITION}={HIVE_NULL if year < 0 else year}"
        sub.mkdir()
        rows = order[lo:hi]
        for n, start in enumerate(range(0, max(len(rows), 1), rows_per_file)):
            part = frame.iloc[rows[start : start + rows_per_file]]
            _to_parquet(part, sub / f"part-{n:05d}.parquet")


def _to_parquet(frame: pd.DataFrame, path: Path) -> None:
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(path, index=False)
    else:
        pd.DataFrame(frame).to_parquet(path, index=False)


def _write_file(frame: pd.DataFrame, target: Path) -> Path:
    if target.suffix.lower() != ".parquet":
        raise ValueError(f"{target} : attendu un chemin se terminant par .parquet")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target, suffix=".parquet")
    try:
        _to_parquet(frame, tmp)
        os.replace(tmp, target)
    except BaseException:
        remove_path(tmp)
        raise
    return target


class _ReplacingFolder:
    """Write a folder under a temporary name; swap it in on success (the old one removed)."""

    def __init__(self, target: Path, *, keep_foreign: bool = False) -> None:
        self.target = target
        self.keep_foreign = keep_foreign
        self.tmp = temporary_sibling(target)

    def __enter__(self) -> Path:
        _check_replaceable(self.target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(self.target)
        self.tmp.mkdir()
        return self.tmp

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is not None:
            remove_path(self.tmp)
            return
        old = temporary_sibling(self.target)
        if self.target.exists():
            if self.keep_foreign:
                for entry in foreign_entries(self.target):
                    os.replace(entry, self.tmp / entry.name)
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        remove_path(old)


def _check_replaceable(target: Path) -> None:
    """Refuse to replace a file, or a non-empty folder gupgeo did not write."""
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputExistsError(
            f"{target} existe et n'est pas un dossier ; gupgeo ne l'écrase pas : choisissez "
            "un autre dossier"
        )
    ours = (target / DATASET_META).is_file() or (target / f"{PROVENANCE_TABLE}.parquet").is_file()
    if any(target.iterdir()) and not ours:
        raise OutputExistsError(
            f"{target} existe, n'est pas vide et n'a pas été écrit par gupgeo (ni "
            f"{DATASET_META} ni {PROVENANCE_TABLE}.parquet) ; gupgeo ne le remplace pas : "
            "choisissez un autre dossier"
        )


def _own_names() -> set[str]:
    names = {f"{n}.parquet" for n in (*LAYER_NAMES, PROVENANCE_TABLE, SEAL_TABLE)}
    names |= set(PARTITIONED_LAYERS) | {f"rejets_{n}.csv" for n in LAYER_NAMES}
    return names


def foreign_entries(folder: Path) -> list[Path]:
    """Files and folders of a territory folder that gupgeo did not write (kept by saves)."""
    own = _own_names()
    return [
        p for p in sorted(folder.iterdir()) if p.name not in own and ".gupgeo-tmp-" not in p.name
    ]


def save_tables(
    target: Path,
    layers: Mapping[str, pd.DataFrame],
    provenance: pd.DataFrame,
    *,
    wait_s: float = DEFAULT_WAIT_S,
) -> list[str]:
    """Write a territory folder: layers, provenance, then the seal; return the entries kept.

    One writer at a time: the folder's lock (a hidden file beside it) is held from
    listing the entries to keep until the new folder is swapped in; another writer is
    waited for up to ``wait_s`` seconds.

    Raises
    ------
    OutputExistsError
        When ``target`` is a file, or a non-empty folder gupgeo did not write.
    BusyError
        When another process still writes ``target`` after ``wait_s`` seconds.
    """
    with file_lock(target, wait_s=wait_s, what=str(target)):
        return _save_locked(target, layers, provenance)


def _save_locked(
    target: Path, layers: Mapping[str, pd.DataFrame], provenance: pd.DataFrame
) -> list[str]:
    kept = [p.name for p in foreign_entries(target)] if target.is_dir() else []
    with _ReplacingFolder(target, keep_foreign=True) as tmp:
        for name, frame in layers.items():
            if name in PARTITIONED_LAYERS:
                write_layer_parquet(frame, tmp / name, layer=name)
            else:
                _to_parquet(frame, tmp / f"{name}.parquet")
        provenance.to_parquet(tmp / f"{PROVENANCE_TABLE}.parquet", index=False)
        seal_frame(layers).to_parquet(tmp / f"{SEAL_TABLE}.parquet", index=False)
    return kept


def saved_provenance(folder: Path) -> dict[str, dict[str, str]]:
    """The provenance saved in a territory folder, by layer (empty when there is none)."""
    table = folder / f"{PROVENANCE_TABLE}.parquet"
    if not table.is_file():
        return {}
    frame = pd.read_parquet(table)
    return {
        str(r["layer"]): {str(k): v for k, v in r.items() if isinstance(v, str)}
        for r in frame.to_dict("records")
        if isinstance(r.get("layer"), str)
    }


def incomplete_save(folder: Path) -> str | None:
    """Why a territory folder saved by gupgeo is incomplete (French); None if it is not."""
    if not (folder / f"{PROVENANCE_TABLE}.parquet").is_file():
        return None
    seal = folder / f"{SEAL_TABLE}.parquet"
    if not seal.is_file():
        return (
            f"sauvegarde incomplète : {folder.name} porte {PROVENANCE_TABLE}.parquet mais pas "
            f"{SEAL_TABLE}.parquet, écrit en dernier par gupgeo ; ré-enregistrez le territoire"
        )
    listed = str(pd.read_parquet(seal)["couches"].iloc[0] or "")
    present = {p.stem if p.is_file() else p.name for p in folder.iterdir()}
    missing = [name for name in listed.split(",") if name and name not in present]
    if missing:
        return (
            f"sauvegarde incomplète : {folder.name} annonce la ou les couches "
            f"{', '.join(missing)}, absentes du dossier"
        )
    return None


def is_dask(frame: object) -> bool:
    """Whether ``frame`` is a Dask collection (a ``dask_geopandas.GeoDataFrame``…).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask(pd.DataFrame())
    False
    """
    return hasattr(frame, "__dask_graph__") and hasattr(frame, "map_partitions")


def read_layer_dask(path: str | Path, *, layer: str | None = None) -> Any:
    """A partitioned layer written by gupgeo, opened lazily as a ``dask_geopandas.GeoDataFrame``.

    One Dask partition per file. Only folders gupgeo wrote (``_gupgeo.json``) are
    accepted: their rows were validated before they were written, so they are used as
    they are. Any other GeoParquet goes through :func:`gupgeo.load_territory` first
    (validation, counts in = counts out), then :func:`write_layer_parquet`.

    Raises
    ------
    ImportError
        When dask-geopandas is not installed (``pip install 'gupgeo[dask]'``).
    InputFileError
        When ``path`` is not a partitioned folder written by gupgeo, or ``layer`` does
        not match the layer it holds.
    """
    folder = Path(path)
    meta = dataset_meta(folder) if folder.is_dir() else {}
    if not meta:
        raise InputFileError(
            f"{folder} : attendu un dossier GeoParquet partitionné écrit par gupgeo (avec "
            f"{DATASET_META}) ; chargez d'abord la couche avec gupgeo.load_territory (elle "
            "est validée), puis écrivez-la avec write_layer_parquet"
        )
    if layer is not None and meta.get("couche") != layer:
        raise InputFileError(
            f"{folder} : le dossier contient la couche {meta.get('couche')!r}, attendu {layer!r}"
        )
    try:
        import dask_geopandas
    except ImportError as exc:
        raise ImportError(f"la lecture avec Dask demande dask-geopandas : {INSTALL_DASK}") from exc
    files = [str(f) for f in dataset_files(folder)]
    # Partition values come from the folder names, not the files: pyarrow's own
    # discovery is turned off (it cannot type a year column whose only value is null).
    return dask_geopandas.read_parquet(files, dataset={"partitioning": None})


__all__ = [
    "PARTITION",
    "PARTITIONED_LAYERS",
    "ROWS_PER_FILE",
    "incomplete_save",
    "is_dask",
    "read_layer_dask",
    "save_tables",
    "saved_provenance",
    "write_layer_parquet",
]
