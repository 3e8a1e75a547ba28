"""Publishing a Dask layer: the same policy as in memory, partition by partition.

A layer read lazily with Dask (:func:`gupgeo.storage.parquet.read_layer_dask`) is
published without being gathered: its columns are chosen on its ``_meta`` (the same
allow-list), texts are masked in each partition, rare labels are found from the
column's ``value_counts`` over every partition (one pass) and replaced in each, and
rows citing a withheld ESSP finding are dropped in each, counted in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from gupgeo.publication.citations import cites_ids
from gupgeo.publication.columns import KeepColumns, remove_personal_data
from gupgeo.publication.vocabulary import (
    LABEL_COLUMNS,
    rare_values,
    replace_values,
    vocabulary_note,
)


def publish_dask_layer(
    frame: Any,
    *,
    layer: str,
    ids: frozenset[str],
    keep_columns: KeepColumns,
    keep_description: bool,
    max_chars: int,
    min_count: int,
) -> tuple[Any, list[str], int]:
    """The published Dask layer, its notes (French) and the rows withheld."""
    options: Mapping[str, Any] = {
        "layer": layer,
        "keep_columns": keep_columns,
        "keep_description": keep_description,
        "max_chars": max_chars,
    }
    meta, notes = remove_personal_data(frame._meta, **options)

    def clean(part: pd.DataFrame) -> pd.DataFrame:
        return remove_personal_data(part, **options)[0]

    out = frame.map_partitions(clean, meta=meta)
    withheld = 0
    if ids and layer not in ("quartiers", "operations", "equipements"):
        flags = out.map_partitions(
            lambda part: pd.Series([int(cites_ids(part, ids).sum())]), meta=(None, "int64")
        )
        withheld = int(flags.sum().compute())
        if withheld:
            out = out.map_partitions(lambda part: part[~cites_ids(part, ids)], meta=meta)
            notes.append(f"{layer} : {withheld} retiré(s) (mention d'un constat ESSP retiré)")
    for column in LABEL_COLUMNS.get(layer, ()):
        if column not in meta.columns:
            continue
        counts = out[column].astype(object).value_counts(dropna=True).compute()
        rare, n_values = rare_values(counts, column=column, min_count=min_count)
        if rare:
            out = out.map_partitions(replace_values, column, rare, meta=meta)
            n_rows = int(counts[counts.index.isin(list(rare))].sum())
            notes.append(vocabulary_note(layer, column, n_values, n_rows))
    return out, notes, withheld
