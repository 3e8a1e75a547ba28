"""Validation: every row of a raw layer ends kept (maybe repaired) or rejected with its reason.

Problems are collected, never raised one at a time: the :class:`LayerReport`
lists them all and the caller decides what is fatal. The rules, in order:

1. columns are renamed to the schema's names: explicit mapping, identifier choice,
   header matching (:mod:`gupgeo.validation.columns`);
2. a missing required column is fatal for the layer (all its rows are rejected
   with that reason, so the count still balances; the message names the closest
   columns and the ``--colonne`` line to add);
3. geometries are built (coordinates columns, ``"lat, lon"`` fields or WKT),
   the CRS decided (declared, or deduced when only WGS84 or only Lambert-93 is
   possible — and said), swapped latitude/longitude corrected, invalid
   geometries repaired with ``make_valid``, everything reprojected to Lambert-93;
4. values are typed: dates (ISO, ``dd/mm/yyyy``, Excel serials), numbers
   (decimal comma accepted), with the row named when a value is unreadable;
5. duplicate identifiers: the first occurrence is kept, later ones rejected;
6. points far from the territory are flagged and kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.crs import WORK_CRS
from gupgeo.readers.raw import RawLayer
from gupgeo.readers.tabular import COORDINATE_TARGETS
from gupgeo.schemas import LayerSchema
from gupgeo.validation._rows import Labels, Rejections
from gupgeo.validation.column_types import type_columns
from gupgeo.validation.columns import (
    map_coordinates,
    match_columns,
    missing_column_message,
    suggested_columns,
)
from gupgeo.validation.duplicates import flag_duplicates, start_distinct_check
from gupgeo.validation.geometry import PendingPoints, build_geometry, flag_far
from gupgeo.validation.report import LayerReport
from gupgeo.validation.signalements import signalement_rules
from gupgeo.validation.values import apply_constants, fill_descriptive

REJECT_COLUMNS = ("couche", "fichier", "ligne", "motif")
"""First columns of a rejects table; the rejected row's own values follow."""


FAR_M = 20_000.0
"""Distance beyond which a feature is flagged as far from the territory's quartiers."""


@dataclass
class LayerResult:
    """A validated layer: the kept rows, the rejected rows and the report.

    :meth:`kept_label` says where a kept row is in its source (``"ligne 12"``).
    """

    data: pd.DataFrame
    rejects: pd.DataFrame
    report: LayerReport
    kept_positions: np.ndarray | None = None
    raw: RawLayer | None = None

    def kept_label(self, i: int) -> str:
        """Where the ``i``-th kept row is in its source."""
        if self.raw is None or self.kept_positions is None:
            return f"entité {i + 1}"
        return self.raw.label(int(self.kept_positions[i]))


def rename_columns(frame: pd.DataFrame, schema: LayerSchema) -> tuple[pd.DataFrame, list[str]]:
    """Rename alias columns to canonical names; return the frame and what was renamed."""
    match = match_columns(frame, schema)
    return match.frame, [f"{a} → {b}" for b, a in match.mapped.items()]


def validate_raw(
    raw: RawLayer,
    schema: LayerSchema,
    *,
    territory: shapely.Geometry | None = None,
    far_m: float = FAR_M,
    columns: Mapping[str, str] | None = None,
    statuses: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> LayerResult:
    """Validate one raw layer against its schema.

    Parameters
    ----------
    raw
        What a reader returned.
    schema
        The layer's declared schema.
    territory
        Optional area (Lambert-93) used to flag features lying more than
        ``far_m`` metres from it (typically the union of the quartiers).
    far_m
        Distance in metres beyond which a feature is flagged, not rejected.
    columns
        Explicit ``{schema column: file column}`` (see :mod:`gupgeo.validation.columns`).
    statuses
        The source's own status vocabulary, raw value → canonical status.
    values
        Constant columns ``{schema column: text}`` (``--valeur type=corbeille``), set on
        every row (:func:`gupgeo.validation.values.apply_constants`).
    """
    report = LayerReport(layer=schema.name, source=raw.source, format=raw.format)
    report.notes.extend(raw.notes)
    placed = map_coordinates(
        raw, schema, {t: s for t, s in (columns or {}).items() if t in COORDINATE_TARGETS}
    )
    raw = placed.raw
    labels = Labels(raw)
    match = match_columns(
        raw.frame,
        schema,
        columns={t: s for t, s in (columns or {}).items() if t not in COORDINATE_TARGETS},
        line_ids=lambda: [labels[p].replace(" ", "-") for p in range(len(raw.frame))],
        reserved=frozenset(placed.mapped.values()),
        file=raw.source,
    )
    match.problems[:0] = placed.problems
    report.notes.extend([*placed.notes, *match.notes])
    frame = apply_constants(match.frame, values or {}, report)
    report.values = dict(values or {})
    report.columns_mapped = {**placed.mapped, **match.mapped}
    n = len(frame)
    report.rows_read = n + len(raw.unreadable)
    rej = Rejections(n)
    found = [str(c) for c in raw.frame.columns if c != "geometry"]
    for kind, message in match.problems:
        report.add("fatal", message, kind=kind)
    missing = [c for c in schema.required if c not in frame.columns]
    names = {c.name for c in schema.columns}
    taken = {*report.columns_mapped.values(), *(c for c in found if c in names)}
    taken |= {raw.x_column, raw.y_column, raw.xy_column} - {None}  # type: ignore[arg-type]
    for col in missing:
        report.add(
            "fatal",
            missing_column_message(col, schema, found, raw.frame, taken=taken),
            column=col,
            kind="colonne obligatoire absente",
        )
    if missing:
        free = [c for c in found if c not in taken]
        report.suggested = suggested_columns(schema, missing, raw.frame, free)
    if missing or match.problems:
        reason = "couche inutilisable : " + (
            "colonne(s) obligatoire(s) absente(s) : " + ", ".join(missing)
            if missing
            else match.problems[0][1]
        )
        rej.add(np.arange(n), [reason] * n)
        return _finish(frame, raw, schema, rej, report, labels, geometry=None)

    # The identifier check (a pyarrow hash pass) and the reprojection of large
    # coordinate columns (PROJ) release the GIL: they run on the other core while
    # the columns are typed and the points built.
    distinct = start_distinct_check(frame, schema)
    geometry = (
        build_geometry(frame, raw, schema, report, rej, labels) if schema.is_spatial else None
    )
    if report.fatal:
        reason = "couche inutilisable : " + report.issues_of("fatal")[0].message
        rej.add(np.flatnonzero(~rej.mask), [reason] * int((~rej.mask).sum()))
        return _finish(frame, raw, schema, rej, report, labels, geometry=None)

    frame = type_columns(frame, schema, report, rej, labels, decimal_comma=raw.decimal_comma)
    frame = fill_descriptive(frame, schema.name, report)
    if schema.name == "signalements":
        frame = signalement_rules(frame, raw, report, statuses)
    if isinstance(geometry, PendingPoints):
        geometry = geometry.result(report, rej, labels)
    flag_duplicates(
        frame, schema, report, rej, labels, distinct=distinct.result() if distinct else None
    )
    if geometry is not None and territory is not None:
        flag_far(geometry, rej.mask, territory, far_m, report, labels)
    return _finish(frame, raw, schema, rej, report, labels, geometry)


def _finish(
    frame: pd.DataFrame,
    raw: RawLayer,
    schema: LayerSchema,
    rej: Rejections,
    report: LayerReport,
    labels: Labels,
    geometry: np.ndarray | None,
) -> LayerResult:
    keep = ~rej.mask
    rejected_pos = np.flatnonzero(rej.mask)
    rejects = pd.DataFrame(
        {
            "couche": schema.name,
            "fichier": raw.source,
            "ligne": [labels[p] for p in rejected_pos.tolist()],
            "motif": [" ; ".join(rej.reasons[p]) for p in rejected_pos.tolist()],
        }
    )
    if len(rejected_pos):
        original = raw.frame.iloc[rejected_pos].reset_index(drop=True)
        # The file's own columns follow; one named like ours keeps its value, renamed.
        original = original.rename(
            columns={c: f"{c} (fichier)" for c in original.columns if c in REJECT_COLUMNS}
        )
        if "geometry" in original.columns:
            original["geometry"] = [
                g.wkt if isinstance(g, shapely.Geometry) else g for g in original["geometry"]
            ]
        rejects = pd.concat([rejects, original.astype("string")], axis=1)
    if raw.unreadable:
        lost = pd.DataFrame(
            {
                "couche": schema.name,
                "fichier": raw.source,
                "ligne": [u[0] for u in raw.unreadable],
                "motif": [u[1] for u in raw.unreadable],
            }
        )
        rejects = pd.concat([rejects, lost], ignore_index=True)
        for label, msg in raw.unreadable:
            report.add("rejet", msg, row=label, kind="entité illisible")
    report.rows_rejected = len(rejects)
    kept = frame.reset_index(drop=True) if keep.all() else frame.loc[keep].reset_index(drop=True)
    kept = kept.drop(columns=[c for c in ("geometry",) if c in kept.columns])
    ordered = [c.name for c in schema.columns if c.name in kept.columns]
    coord_cols = {raw.x_column, raw.y_column, raw.xy_column} - {None}
    extra = [c for c in kept.columns if c not in ordered and c not in coord_cols]
    kept = kept[ordered + extra]
    if schema.is_spatial and geometry is not None:
        result: pd.DataFrame = gpd.GeoDataFrame(kept, geometry=geometry[keep], crs=WORK_CRS)
    elif schema.is_spatial:
        result = gpd.GeoDataFrame(
            kept, geometry=np.full(len(kept), None, dtype=object), crs=WORK_CRS
        )
    else:
        result = kept
    report.rows_kept = len(result)
    return LayerResult(
        data=result, rejects=rejects, report=report, kept_positions=np.flatnonzero(keep), raw=raw
    )
