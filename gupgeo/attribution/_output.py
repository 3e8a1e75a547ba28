"""Turning matches into output columns and reports (private to gupgeo.attribution.zones)."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd

from gupgeo._atomic import replacing, write_text
from gupgeo._lock import file_lock
from gupgeo._spreadsheet import write_csv
from gupgeo.attribution import _engine as eng
from gupgeo.attribution._grid import halves, in_threads
from gupgeo.attribution.report import (
    SOURCE_SUFFIX,
    STATUTS_ATTRIBUTION,
    AttributionReport,
    SourceAgreement,
    ZoneLayerReport,
)
from gupgeo.storage.geopackage import quiet_about_the_name

logger = logging.getLogger(__name__)

ZoneLayers: TypeAlias = gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame]

STATUT_DTYPE = pd.CategoricalDtype(list(STATUTS_ATTRIBUTION))


def check_options(predicate: str, tolerance_m: float, multiple: str) -> None:
    if predicate not in eng.PREDICATES:
        raise ValueError(
            f"predicate : attendu l'un de {', '.join(eng.PREDICATES)}, reçu {predicate!r}."
        )
    if multiple not in eng.MULTIPLE:
        raise ValueError(
            f"multiple : attendu l'un de {', '.join(eng.MULTIPLE)}, reçu {multiple!r}."
        )
    if not np.isfinite(tolerance_m) or tolerance_m < 0:
        raise ValueError(f"tolerance_m : attendu un nombre de mètres ≥ 0, reçu {tolerance_m!r}.")


def _layer_columns(
    layer: eng.ZoneLayer, match: eng.ZoneMatch, multiple: str, n: int
) -> tuple[np.ndarray | None, dict[str, object], np.ndarray]:
    """Output columns for one layer: (row positions or None, columns, zone per row)."""
    zone, status = match.chosen, match.status
    share, distance = match.share, match.distance
    pos = None
    if multiple == "all" and match.pair_pos.size:
        pairs = np.bincount(match.pair_pos, minlength=n)
        pos = np.repeat(np.arange(n), np.maximum(pairs, 1))  # one row per pair, else one
        several = np.zeros(n, dtype=bool)
        several[match.pair_pos] = True
        rows = several[pos]
        zone, status = zone[pos], status[pos]
        zone[rows] = match.pair_zone
        if share is not None:
            share = share[pos]
            share[rows] = match.pair_share
        if distance is not None:
            distance = distance[pos]
    col = layer.column
    columns: dict[str, object] = {
        # Codes in range by construction: zone positions or -1, status positions.
        col: pd.Categorical.from_codes(zone, categories=layer.ids, validate=False),
        f"{col}_statut": pd.Categorical.from_codes(status, dtype=STATUT_DTYPE, validate=False),
    }
    if distance is not None:
        columns[f"{col}_distance_m"] = distance
    if share is not None:
        columns[f"{col}_share"] = share
    return pos, columns, zone


# Values counted per step by _counts: a step's copy stays in the CPU cache.
_COUNT_BLOCK = 1 << 16
# From this many rows, the counts run in two threads (one per half of the rows).
_THREADED_COUNTS = 200_000


def _counts(
    rows_zone: np.ndarray, status: np.ndarray, n_zones: int
) -> tuple[np.ndarray, np.ndarray]:
    """(rows per zone, features per status), counted block by block.

    ``rows_zone`` holds the zone of each output row (``-1``: none, not counted),
    ``status`` the status of each feature. When they are the same length (one row
    per feature) and the zones few, both come from one count of (zone, status)
    pairs. ``np.bincount`` converts its input to 64-bit integers: on millions of
    rows, one block at a time keeps that copy in the CPU cache.
    """
    n_status = len(STATUTS_ATTRIBUTION)
    together = rows_zone.size == status.size and (n_zones + 1) * n_status <= _COUNT_BLOCK

    def count(values: np.ndarray, bins: int, code: Callable[[slice], np.ndarray]) -> np.ndarray:
        def part_counts(part: slice) -> np.ndarray:
            out = np.zeros(bins, dtype=np.int64)
            for start in range(part.start, part.stop, _COUNT_BLOCK):
                block = slice(start, min(start + _COUNT_BLOCK, part.stop))
                out += np.bincount(code(block), minlength=bins)
            return out

        parts = in_threads(part_counts, halves(values.size, _THREADED_COUNTS))
        return np.sum(parts, axis=0)

    def zone_code(block: slice) -> np.ndarray:
        return rows_zone[block] + 1

    if together:

        def pair_code(block: slice) -> np.ndarray:
            code = rows_zone[block] + 1
            code *= n_status
            code += status[block]
            return code

        table = count(status, (n_zones + 1) * n_status, pair_code).reshape(n_zones + 1, n_status)
        return table[1:].sum(axis=1), table.sum(axis=0)
    per_zone = count(rows_zone, n_zones + 1, zone_code)[1:]
    return per_zone, np.bincount(status, minlength=n_status)


def _layer_report(
    layer: eng.ZoneLayer, match: eng.ZoneMatch, rows_zone: np.ndarray, options: dict
) -> ZoneLayerReport:
    per_zone, counts = _counts(rows_zone, match.status, len(layer.ids))
    return ZoneLayerReport(
        column=layer.column,
        id_column=layer.id_column,
        n_zones=len(layer.ids),
        n_features=int(match.status.size),
        n_inside=int(counts[eng.S_INSIDE]),
        n_several=int(counts[eng.S_SEVERAL]),
        n_tolerance=int(counts[eng.S_TOLERANCE]),
        n_outside=int(counts[eng.S_OUTSIDE]),
        n_no_geometry=int(counts[eng.S_NO_GEOMETRY]),
        n_invalid_coordinates=int(counts[eng.S_INVALID]),
        per_zone=pd.Series(per_zone, index=layer.ids, name="entites"),
        repaired_zones=layer.repaired,
        empty_zones=layer.empty,
        merged_zones=layer.merged,
        **options,
    )


def run(
    feats: eng.Features,
    layers: list[eng.ZoneLayer],
    predicate: str,
    tolerance_m: float,
    multiple: str,
) -> tuple[np.ndarray | None, dict[str, object], list[ZoneLayerReport]]:
    """Match every layer; return (row positions or None, columns, layer reports)."""
    n = feats.kind.size
    options = {"predicate": predicate, "tolerance_m": float(tolerance_m), "multiple": multiple}
    per_layer = []
    reports = []
    for layer in layers:
        logger.info(
            "Rattachement de %d entités aux %d zones de « %s »", n, len(layer.ids), layer.column
        )
        started = time.perf_counter()
        match = eng.match_layer(
            layer, feats, predicate=predicate, tolerance_m=tolerance_m, multiple=multiple
        )
        logger.info(
            "« %s » : %d entités hors zone sur %d (%.1f s)",
            layer.column,
            int(np.count_nonzero(match.chosen < 0)),
            n,
            time.perf_counter() - started,
        )
        pos, columns, rows_zone = _layer_columns(layer, match, multiple, n)
        reports.append(_layer_report(layer, match, rows_zone, options))
        per_layer.append((pos, columns))
    if all(pos is None for pos, _ in per_layer):
        merged: dict[str, object] = {}
        for _, columns in per_layer:
            merged.update(columns)
        return None, merged, reports
    # One-to-many on several layers: every combination of the layers' zones.
    frames = []
    for pos, columns in per_layer:
        frame = pd.DataFrame(columns)
        frame.insert(0, "_pos", np.arange(n) if pos is None else pos)
        frames.append(frame)
    table = frames[0]
    for frame in frames[1:]:
        table = table.merge(frame, on="_pos", how="left", sort=False)
    table = table.sort_values("_pos", kind="stable")
    positions = table.pop("_pos").to_numpy()
    return positions, {c: table[c].array for c in table.columns}, reports


REPORT_ATTR = "attribution_report"
"""Key of the :class:`AttributionReport` in ``result.attrs``."""


def attribute_frame(
    features: gpd.GeoDataFrame,
    zones: ZoneLayers,
    *,
    key: str | Mapping[str, str],
    predicate: str,
    tolerance_m: float,
    multiple: str,
) -> gpd.GeoDataFrame:
    """The in-memory attribution behind :func:`gupgeo.attribution.zones.attribute`."""
    check_options(predicate, tolerance_m, multiple)
    feats, layers = eng.split_and_prepare(
        features, zones, key, predicate=predicate, tolerance_m=tolerance_m
    )
    positions, columns, reports = run(feats, layers, predicate, tolerance_m, multiple)
    out = features.copy(deep=False) if positions is None else features.iloc[positions].copy()
    agreements = []
    zone_columns = {r.column for r in reports}
    for name, values in columns.items():
        if name in features.columns and name in zone_columns:
            # The source's own zone is kept beside the spatial answer, and compared.
            source = name + SOURCE_SUFFIX
            if source not in out.columns:
                out[source] = out[name]
            agreements.append(SourceAgreement.of(name, out[source], pd.Series(values)))
        elif name in features.columns:
            logger.warning("la colonne « %s » existante est remplacée", name)
        out[name] = values
    report = AttributionReport(len(features), len(out), tuple(reports), tuple(agreements))
    out.attrs = {**features.attrs, REPORT_ATTR: report}
    return out


def write_attribution(result: gpd.GeoDataFrame, path: str | Path, report: object) -> Path:
    """Write an attributed layer and its French report beside it.

    The format follows the extension: ``.csv`` (French CSV: ``;``, decimal comma,
    UTF-8 with BOM, geometry as WKT in ``geometry_wkt``, formula-like text prefixed
    with ``'`` as in every gupgeo CSV, see :mod:`gupgeo._spreadsheet`), ``.parquet``
    (GeoParquet), ``.gpkg`` (the layer named after the file, written into the
    GeoPackage: its other tables, a QGIS project among them, are kept), anything else
    through ``GeoDataFrame.to_file`` (GeoJSON, FlatGeobuf…). The report goes to
    ``<name>_rapport.txt``, whose path is returned.

    One writer at a time (the output's lock is held while writing), and nothing half
    written: each file is written beside its target and renamed over it at the end, so
    an interrupted write leaves the previous file whole (a Shapefile, several files,
    is written in place).
    """
    path = Path(path)
    with file_lock(path, what=str(path)):
        _write_layer(result, path)
        report_path = write_text(path.with_name(f"{path.stem}_rapport.txt"), f"{report}\n")
    logger.info("couche écrite : %s ; rapport : %s", path, report_path)
    return report_path


def _write_layer(result: gpd.GeoDataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = pd.DataFrame(result.drop(columns=result.geometry.name))
        table["geometry_wkt"] = result.geometry.to_wkt()
        write_csv(table, path, sep=";", decimal=",", encoding="utf-8-sig")
    elif suffix == ".shp":
        result.to_file(path)
    elif suffix == ".gpkg":
        with replacing(path, suffix="", locked=True) as tmp, quiet_about_the_name():
            if path.is_file():
                shutil.copyfile(path, tmp)
            result.to_file(tmp, driver="GPKG", layer=path.stem)
    else:
        with replacing(path, locked=True) as tmp:
            if suffix == ".parquet":
                result.to_parquet(tmp)
            else:
                result.to_file(tmp)
