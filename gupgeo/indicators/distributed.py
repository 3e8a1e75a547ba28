"""Signalement indicators from a Dask layer: the columns they read, gathered from the cluster.

The signalement indicators (:mod:`gupgeo.indicators.signalements` and the dashboard
tables drawn from them) need, per row, a handful of values: the quartier, two dates,
the category and sub-category, the status, the source. On a Dask layer (attributed on
the cluster by :func:`gupgeo.attribute_territory`), :func:`gather_signalements` selects
those columns on the workers, leaving the geometries and free texts there (read from
GeoParquet, the other columns are not even read), and brings them back as one pandas
DataFrame: about 60 bytes a row, 1.2 GB for 20 million signalements. The indicators then
run on it as on any layer, so their tables are those of the in-memory path, cell for
cell (medians and percentiles need every delay of a quartier together: summing partial
results per partition could not give them exactly).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from gupgeo.storage.parquet import is_dask

SIGNALEMENT_COLUMNS: tuple[str, ...] = (
    "code_qp",
    "date_signalement",
    "date_cloture",
    "categorie",
    "sous_categorie",
    "statut",
    "statut_brut",
    "source",
)
"""Every column the signalement indicators read (dégradation fields added by the caller)."""


def gather_signalements(frame: Any, *, extra: Iterable[str] = ()) -> pd.DataFrame:
    """The columns of a Dask signalements layer the indicators read, as a pandas DataFrame.

    ``extra`` names further columns (the fields of a
    :class:`~gupgeo.indicators.degradations.DegradationConfig`). A pandas frame is
    returned as it is.
    """
    if not is_dask(frame):
        return frame
    wanted = dict.fromkeys([*SIGNALEMENT_COLUMNS, *extra])
    keep = [c for c in wanted if c in frame.columns]
    gathered = frame[keep].compute()
    return pd.DataFrame(gathered).reset_index(drop=True)


def gather_layers(
    layers: dict[str, Any], *, attribuer: bool = True, fields: Iterable[str] = ()
) -> list[str]:
    """Dask layers brought back as pandas, in place in ``layers``; returns French notes.

    The signalements become the columns the indicators read (:func:`gather_signalements`,
    ``fields`` added), attributed to the quartiers on the cluster first when they carry
    no ``code_qp`` and ``attribuer`` is true; other Dask layers come back whole (the
    other layers of a territory are small).
    """
    notes: list[str] = []
    for name, frame in list(layers.items()):
        if not is_dask(frame):
            continue
        if name != "signalements":
            layers[name] = frame.compute()
            continue
        if attribuer and "code_qp" not in frame.columns:
            from gupgeo.attribution.distributed import attribute_partitions
            from gupgeo.attribution.territory import DEFAULT_TOLERANCE_M

            zones = layers["quartiers"]
            frame = attribute_partitions(
                frame, zones, tolerance_m=DEFAULT_TOLERANCE_M, multiple="largest"
            )
            notes.append(
                "signalements : sans code_qp dans la source ; rattachés aux quartiers par "
                "leur position, sur le cluster Dask (périmètre compris, tolérance "
                f"{DEFAULT_TOLERANCE_M:.0f} m)."
            )
        layers[name] = gather_signalements(frame, extra=fields)
    return notes


__all__ = ["SIGNALEMENT_COLUMNS", "gather_layers", "gather_signalements"]
