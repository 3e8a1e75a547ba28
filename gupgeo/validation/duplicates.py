"""Duplicate identifiers: the first occurrence kept, later ones rejected naming the first
(large files check on another core first)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gupgeo.schemas import LayerSchema
from gupgeo.validation import _rows
from gupgeo.validation._rows import Labels, Rejections, reject_rows
from gupgeo.validation.column_types import clean_text
from gupgeo.validation.report import LayerReport


def start_distinct_check(frame: pd.DataFrame, schema: LayerSchema) -> Future[bool] | None:
    """Start the identifier uniqueness check on another core (pyarrow releases the GIL)."""
    if (
        not schema.id_column
        or schema.id_column not in frame.columns
        or len(frame) < _rows.PREFETCH_ROWS
    ):
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gupgeo-ids")
    # Compared as they will be kept: " S-1" and "S-1" are the same identifier.
    future = pool.submit(lambda ids: all_distinct(clean_text(ids)), frame[schema.id_column])
    pool.shutdown(wait=False)
    return future


def all_distinct(ids: pd.Series) -> bool:
    """Whether non-null ``ids`` are all different (one hash pass, no per-row output)."""
    try:
        arr = pa.array(ids, from_pandas=True)
    except (pa.ArrowException, TypeError):
        return bool(ids.dropna().is_unique)
    return len(pc.unique(arr.drop_null())) == len(arr) - arr.null_count


def flag_duplicates(
    frame: pd.DataFrame,
    schema: LayerSchema,
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
    *,
    distinct: bool | None = None,
) -> None:
    if not schema.id_column or schema.id_column not in frame.columns:
        return
    ids = frame[schema.id_column]
    considered = ids.notna().to_numpy() & ~rej.mask
    if considered.all() and (distinct if distinct is not None else all_distinct(ids)):
        return
    sub = ids if considered.all() else ids[considered]
    dup = sub.duplicated(keep="first")
    if not dup.any():
        return
    first_pos = {
        v: p for p, v in zip(np.flatnonzero(considered)[~dup.to_numpy()], sub[~dup], strict=True)
    }
    positions = np.flatnonzero(considered)[dup.to_numpy()]
    msgs = [
        f"identifiant « {ids.iloc[p]} » en double (déjà présent {labels[first_pos[ids.iloc[p]]]})"
        for p in positions
    ]
    reject_rows(report, rej, labels, positions, msgs, "identifiant en double", schema.id_column)
