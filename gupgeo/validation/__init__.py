"""Validation: every row of a raw layer ends kept (maybe repaired) or rejected with its reason.

- :mod:`gupgeo.validation.layer` — :func:`validate_raw`, the rules applied to one raw
  layer in order, each in its module: :mod:`~gupgeo.validation.columns` (names),
  :mod:`~gupgeo.validation.geometry` (geometries, built from
  :mod:`~gupgeo.validation.coordinates`; CRS and swapped axes in
  :mod:`~gupgeo.validation.projection`), :mod:`~gupgeo.validation.column_types`
  (dates, numbers, text), :mod:`~gupgeo.validation.signalements` (statuses),
  :mod:`~gupgeo.validation.duplicates` (identifiers).
- :mod:`gupgeo.validation.report` — the French report that collects every problem
  (:class:`ValidationReport`, carried by ``Territory.report``) and the rejects tables.
- :mod:`gupgeo.validation.statuses` — every source's statuses mapped onto one lifecycle.
"""

from __future__ import annotations

from gupgeo.validation.layer import LayerResult, validate_raw
from gupgeo.validation.report import Issue, LayerReport, ValidationReport
from gupgeo.validation.statuses import canonical_status, canonical_statuses

__all__ = [
    "Issue",
    "LayerReport",
    "LayerResult",
    "ValidationReport",
    "canonical_status",
    "canonical_statuses",
    "validate_raw",
]
