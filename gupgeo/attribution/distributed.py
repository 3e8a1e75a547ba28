"""Attribution of a Dask GeoDataFrame, partition by partition, on a dask.distributed cluster.

A national layer (tens of millions of signalements, read from partitioned GeoParquet
with :func:`gupgeo.storage.parquet.read_layer_dask`) does not fit one process
comfortably; its zones (quartiers, operations: a few thousand polygons) do. So the zones
are broadcast once to every worker (one ``dask.delayed`` key in the graph, fetched once
per worker) and each partition is attributed by the same engine as a GeoDataFrame in
memory (the engine behind :func:`gupgeo.attribution.zones.attribute`), with
``map_partitions``: a feature's zone depends on that feature and the zones only, so the answers
are those of the
in-memory path, row for row.

The report (:class:`~gupgeo.attribution.report.AttributionReport`) is rebuilt from the
output columns in one reduction (statuses and zones counted per partition and summed),
plus the zone checks (repaired, empty, merged zones) made once on the client.

Dask runs where the active ``dask.distributed.Client`` points (``Client("tcp://…")``),
else on its local threads. ``multiple="all"`` (several rows per feature) is not
offered here: its report counts features, not rows, which the columns alone cannot
rebuild.

dask and dask-geopandas are optional (``pip install 'gupgeo[dask]'``) and imported
where they are used.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.attribution import _engine as eng
from gupgeo.attribution._output import ZoneLayers, attribute_frame, check_options
from gupgeo.attribution.report import (
    DEFAULT_TOLERANCE_M,
    STATUTS_ATTRIBUTION,
    AttributionReport,
    ZoneLayerReport,
)
from gupgeo.storage.parquet import is_dask

INSTALL = "pip install 'gupgeo[dask]'"
logger = logging.getLogger(__name__)


def attribute_located(
    frame: Any,
    zones: ZoneLayers,
    *,
    key: str | Mapping[str, str],
    tolerance_m: float,
    multiple: str,
    predicate: str = "covered_by",
) -> Any:
    """:func:`~gupgeo.attribution.zones.attribute` on the rows that have a geometry; the
    others are kept as they are, without zone (GUP actions: an action with no place keeps its
    declared quartier).

    The report of the located rows is in ``result.attrs["attribution_report"]``.
    """
    options: dict[str, Any] = {"key": key, "predicate": predicate, "tolerance_m": tolerance_m}
    located = frame.geometry.notna()
    if located.all():
        return attribute_frame(frame, zones, multiple=multiple, **options)
    part = attribute_frame(frame[located], zones, multiple=multiple, **options)
    rest = frame[~located].copy()
    out = pd.concat([part, rest]).loc[frame.index]
    out.attrs = dict(part.attrs)
    return out


def attribute_partitions(
    features: Any,
    zones: ZoneLayers,
    *,
    key: str | Mapping[str, str] = "code_qp",
    predicate: str = "covered_by",
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    multiple: str = "first",
    located_only: bool = False,
) -> Any:
    """Attribute a ``dask_geopandas.GeoDataFrame``: the columns of
    :func:`gupgeo.attribution.zones.attribute`, with the same values.

    Parameters are those of :func:`~gupgeo.attribution.zones.attribute`; ``located_only``
    attributes only the rows with a geometry (:func:`attribute_located`). The result is lazy (a Dask
    GeoDataFrame, one output partition per input partition); its report is
    :func:`partitions_report`.

    Raises
    ------
    ValueError
        For ``multiple="all"``, or an invalid option.
    """
    check_options(predicate, tolerance_m, multiple)
    if multiple == "all":
        raise ValueError(
            "multiple='all' : non disponible avec Dask (une ligne par zone) ; attendu "
            "'first' ou 'largest', ou attribuez la couche en mémoire"
        )
    dask = _dask()
    logger.info("rattachement de %d partition(s) sur %s", features.npartitions, running_on())
    options: dict[str, Any] = {"key": key, "predicate": predicate, "tolerance_m": tolerance_m}
    options |= {"multiple": multiple, "located_only": located_only}
    meta = _attribute_partition(features._meta, zones, dtypes=None, **options)
    shared = dask.delayed(zones, traverse=False)  # one key, sent once to each worker
    return features.map_partitions(
        _attribute_partition, shared, dtypes=meta.dtypes.to_dict(), meta=meta, **options
    )


def _attribute_partition(
    part: Any,
    zones: ZoneLayers,
    *,
    dtypes: Mapping[str, Any] | None,
    located_only: bool,
    key: str | Mapping[str, str],
    predicate: str,
    tolerance_m: float,
    multiple: str,
) -> Any:
    """One partition through the in-memory engine; the columns typed as the meta says."""
    if located_only:
        out = attribute_located(
            part, zones, key=key, tolerance_m=tolerance_m, multiple=multiple, predicate=predicate
        )
    else:
        out = attribute_frame(
            part, zones, key=key, predicate=predicate, tolerance_m=tolerance_m, multiple=multiple
        )
    out.attrs = {}
    for column, dtype in (dtypes or {}).items():
        if column in out.columns and out[column].dtype != dtype:
            out[column] = out[column].astype(dtype)  # rows left without zone (actions)
    return out


def partitions_report(
    attributed: Any,
    zones: ZoneLayers,
    *,
    key: str | Mapping[str, str] = "code_qp",
    predicate: str = "covered_by",
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    multiple: str = "first",
) -> AttributionReport:
    """The report of :func:`attribute_partitions`, from its output columns (one pass).

    Equal, count for count and zone for zone, to the report of the in-memory
    attribution of the same rows.
    """
    dask = _dask()
    layers = eng.prepare_zones(zones, key)
    counts = []
    for layer in layers:
        col = layer.column
        counts.append(attributed[col].cat.codes.value_counts(split_out=1))
        counts.append(attributed[f"{col}_statut"].cat.codes.value_counts(split_out=1))
    computed = dask.compute(*counts)
    reports = []
    options = {"predicate": predicate, "tolerance_m": float(tolerance_m), "multiple": multiple}
    for i, layer in enumerate(layers):
        reports.append(_layer_report(layer, computed[2 * i], computed[2 * i + 1], options))
    n = reports[0].n_features if reports else 0
    return AttributionReport(n, n, tuple(reports))


def _layer_report(
    layer: eng.ZoneLayer, zone_codes: pd.Series, status_codes: pd.Series, options: dict
) -> ZoneLayerReport:
    per_status = _bins(status_codes, len(STATUTS_ATTRIBUTION))  # code -1: actions without place
    per_zone = _bins(zone_codes, len(layer.ids))
    return ZoneLayerReport(
        column=layer.column,
        id_column=layer.id_column,
        n_zones=len(layer.ids),
        n_features=int(per_status.sum()),
        n_inside=int(per_status[eng.S_INSIDE]),
        n_several=int(per_status[eng.S_SEVERAL]),
        n_tolerance=int(per_status[eng.S_TOLERANCE]),
        n_outside=int(per_status[eng.S_OUTSIDE]),
        n_no_geometry=int(per_status[eng.S_NO_GEOMETRY]),
        n_invalid_coordinates=int(per_status[eng.S_INVALID]),
        per_zone=pd.Series(per_zone, index=layer.ids, name="entites"),
        repaired_zones=layer.repaired,
        empty_zones=layer.empty,
        merged_zones=layer.merged,
        **options,
    )


def running_on() -> str:
    """Where Dask computes, in French: the active ``dask.distributed`` scheduler's address,
    or Dask's local threads when no ``Client`` is active."""
    try:
        from distributed import default_client
    except ImportError:
        return "les threads locaux de Dask (dask.distributed absent)"
    try:
        return f"le cluster Dask {default_client().scheduler.address}"
    except ValueError:  # no Client created in this process
        return "les threads locaux de Dask (aucun Client dask.distributed actif)"


def _bins(counts: pd.Series, n: int) -> np.ndarray:
    """Counts indexed by category code as an array of ``n`` bins (code -1 left out)."""
    codes = np.asarray(counts.index, dtype=np.int64)
    keep = codes >= 0
    values = np.asarray(counts.to_numpy(), dtype=np.int64)[keep]
    return np.bincount(codes[keep], weights=values, minlength=n).astype(np.int64)


def _dask() -> Any:
    try:
        import dask
        import dask_geopandas  # noqa: F401  (registers the GeoDataFrame backend)
    except ImportError as exc:
        raise ImportError(f"l'attribution avec Dask demande dask-geopandas : {INSTALL}") from exc
    return dask


__all__ = [
    "attribute_located",
    "attribute_partitions",
    "is_dask",
    "partitions_report",
    "running_on",
]
