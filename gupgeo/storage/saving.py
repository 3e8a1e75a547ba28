"""Saving a :class:`~gupgeo.territory.Territory`: one GeoPackage, PostGIS or GeoParquet.

:meth:`Territory.save <gupgeo.territory.Territory.save>` calls :func:`save_territory`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from gupgeo.storage import parquet, postgis
from gupgeo.storage.geopackage import save_tables

if TYPE_CHECKING:
    from gupgeo.territory import Territory

log = logging.getLogger(__name__)


def save_territory(
    territory: Territory,
    path: str | Path,
    *,
    rejects: bool = True,
    extra: Mapping[str, pd.DataFrame] | None = None,
    format: str | None = None,
) -> Path | str:
    """Write every layer of ``territory`` into one GeoPackage (and its rejects), safely.

    ``path`` may instead be a PostGIS URL (``postgresql://…?schema=tours``): the
    layers, and the rejected rows as tables ``rejets_<couche>``, are then written
    into that schema in one transaction (:mod:`gupgeo.storage.postgis`) and the URL
    is returned.

    With ``format="parquet"``, ``path`` is a folder of GeoParquet files
    (:mod:`gupgeo.storage.parquet`): the dated layers partitioned by year
    (``signalements/annee=2024/…``, what Dask reads), the others one file each,
    provenance and seal beside them, the rejects as ``rejets_<couche>.csv`` inside.
    ``extra`` tables are not written there (a GeoParquet folder holds no status
    history).

    The GeoPackage holds one table per layer, ``gupgeo_provenance`` and, written
    last, ``gupgeo_sauvegarde`` (the seal
    :func:`~gupgeo.storage.loading.load_territory` checks); rejected
    rows are written as ``rejets_<couche>.csv`` in the same folder.

    Nothing is destroyed: the file is written under a temporary name beside
    ``path`` and renamed over it at the end, so an interrupted save leaves the
    previous file whole. The other tables of an existing ``path`` (a layer of your
    own, QGIS styles…) are kept as they were; only gupgeo's tables are replaced.
    A file gupgeo did not save that already holds a table named like one of the
    layers is refused (:class:`~gupgeo.errors.OutputExistsError`) rather than
    overwritten.

    ``extra`` tables (the status history of :mod:`gupgeo.storage.importer`) are
    written with the layers, in the same file or transaction.

    Raises
    ------
    ValueError
        When ``path`` does not end with ``.gpkg`` (and ``format`` is not
        ``"parquet"``), or ``format`` is neither ``"gpkg"`` nor ``"parquet"``.
    OutputExistsError
        When ``path`` exists and is not a GeoPackage, or holds a table named like a
        layer that gupgeo did not write.
    """
    if format not in (None, "gpkg", "parquet"):
        raise ValueError(f"format : attendu 'gpkg' ou 'parquet', reçu {format!r}")
    if postgis.is_postgis_url(path):
        return _save_postgis(territory, str(path), extra, rejects=rejects)
    target = Path(path)
    if format == "parquet":
        return _save_parquet(territory, target, extra, rejects=rejects)
    if target.suffix.lower() != ".gpkg":
        raise ValueError(f"{target} : attendu un chemin se terminant par .gpkg")
    layers = {name: _for_gpkg(frame) for name, frame in territory.layers.items()}
    kept = save_tables(target, layers, _provenance_table(territory), extra=extra)
    if kept:
        log.info("%s : tables conservées telles quelles : %s", target, ", ".join(kept))
    if rejects:
        territory.report.write_rejects(str(target.parent))
    return target


def _provenance_table(territory: Territory) -> pd.DataFrame:
    prov = pd.DataFrame(
        [{**asdict(p), "layer": name} for name, p in territory.provenance.items()]
        or [{"layer": None}]
    )
    prov["saved_at"] = dt.datetime.now().isoformat(timespec="seconds")
    return prov.astype("string")


def _save_parquet(
    territory: Territory,
    target: Path,
    extra: Mapping[str, pd.DataFrame] | None,
    *,
    rejects: bool,
) -> Path:
    if extra:
        raise ValueError(
            f"{target} : un dossier GeoParquet ne garde pas les tables "
            f"{', '.join(extra)} ; enregistrez le territoire en GeoPackage ou dans PostGIS"
        )
    kept = parquet.save_tables(target, territory.layers, _provenance_table(territory))
    if kept:
        log.info("%s : fichiers conservés tels quels : %s", target, ", ".join(kept))
    if rejects:
        territory.report.write_rejects(str(target))
    return target


def _save_postgis(
    territory: Territory,
    url: str,
    extra: Mapping[str, pd.DataFrame] | None,
    *,
    rejects: bool,
) -> str:
    tables = dict(extra or {})
    if rejects:
        tables |= postgis.rejects_tables(territory.report.rejects)
    kept = postgis.save_tables(url, territory.layers, _provenance_table(territory), extra=tables)
    if kept:
        log.info("%s : tables conservées telles quelles : %s", url, ", ".join(kept))
    return url


def _for_gpkg(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if col != "geometry" and out[col].dtype == object:
            out[col] = out[col].astype("string")
    return out


__all__ = ["save_territory"]
