"""gupgeo — GIS toolkit for Gestion urbaine de proximité (GUP) teams.

The public names, by step of the data flow: read and validate
(:func:`load_territory`, :func:`read_layer`, :func:`validate`) into a
:class:`Territory`; attribute features to zones (:func:`attribute`,
:func:`attribute_territory`, :func:`nearest`, :func:`within_distance`,
:func:`count_by_zone`); build the GUP indicators (:func:`dashboard`). Maps and
atlas live in :mod:`gupgeo.maps` and :mod:`gupgeo.atlas`, imported on demand
(they pull in folium).
"""

from __future__ import annotations

from gupgeo.attribution import (
    AttributionReport,
    attribute,
    attribute_xy,
    attribution_report,
    count_by_zone,
    nearest,
    within_distance,
    write_attribution,
)
from gupgeo.crs import DISPLAY_CRS, WORK_CRS
from gupgeo.dashboard import Dashboard, DashboardConfig, dashboard
from gupgeo.errors import (
    CRSError,
    GupgeoError,
    InputFileError,
    InputNotFoundError,
    OutputExistsError,
    PeriodError,
    SchemaError,
    ValidationError,
)
from gupgeo.report import Issue, LayerReport, ValidationReport
from gupgeo.schemas import AXES_TFPB, LAYER_NAMES, SCHEMAS, STATUTS, LayerSchema
from gupgeo.statuses import canonical_status, canonical_statuses
from gupgeo.territory import Provenance, Territory, load_territory, read_layer, validate
from gupgeo.zoning import attribute_territory

__version__ = "0.1.0"

# Maps, publication and atlas pull in folium and jinja2: imported on first use only.
_LAZY = {
    "map_territory": "gupgeo.maps",
    "save_map": "gupgeo.maps",
    "publish": "gupgeo.publication",
    "build_atlas": "gupgeo.atlas",
    "AtlasOptions": "gupgeo.atlas",
    "review_operation": "gupgeo.review",
    "OperationReview": "gupgeo.review",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gupgeo' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "AXES_TFPB",
    "DISPLAY_CRS",
    "LAYER_NAMES",
    "SCHEMAS",
    "STATUTS",
    "WORK_CRS",
    "AttributionReport",
    "CRSError",
    "Dashboard",
    "DashboardConfig",
    "GupgeoError",
    "InputFileError",
    "InputNotFoundError",
    "Issue",
    "LayerReport",
    "LayerSchema",
    "OutputExistsError",
    "PeriodError",
    "Provenance",
    "SchemaError",
    "Territory",
    "ValidationError",
    "ValidationReport",
    "attribute",
    "attribute_territory",
    "attribute_xy",
    "attribution_report",
    "canonical_status",
    "canonical_statuses",
    "count_by_zone",
    "dashboard",
    "load_territory",
    "nearest",
    "read_layer",
    "validate",
    "within_distance",
    "write_attribution",
]
