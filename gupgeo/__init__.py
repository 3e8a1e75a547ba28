"""gupgeo — GIS toolkit for Gestion urbaine de proximité (GUP) teams.

The public names, by step of the data flow: read and validate
(:func:`load_territory`, :func:`read_layer`, :func:`validate`), the
:class:`Territory`, its reports, and the schemas of every layer.
"""

from __future__ import annotations

from gupgeo.crs import DISPLAY_CRS, WORK_CRS
from gupgeo.errors import (
    CRSError,
    GupgeoError,
    InputFileError,
    InputNotFoundError,
    SchemaError,
    ValidationError,
)
from gupgeo.report import Issue, LayerReport, ValidationReport
from gupgeo.schemas import AXES_TFPB, LAYER_NAMES, SCHEMAS, STATUTS, LayerSchema
from gupgeo.statuses import canonical_status, canonical_statuses
from gupgeo.territory import Provenance, Territory, load_territory, read_layer, validate

__version__ = "0.1.0"

__all__ = [
    "AXES_TFPB",
    "DISPLAY_CRS",
    "LAYER_NAMES",
    "SCHEMAS",
    "STATUTS",
    "WORK_CRS",
    "CRSError",
    "GupgeoError",
    "InputFileError",
    "InputNotFoundError",
    "Issue",
    "LayerReport",
    "LayerSchema",
    "Provenance",
    "SchemaError",
    "Territory",
    "ValidationError",
    "ValidationReport",
    "canonical_status",
    "canonical_statuses",
    "load_territory",
    "read_layer",
    "validate",
]
