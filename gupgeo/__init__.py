"""gupgeo — GIS toolkit for Gestion urbaine de proximité (GUP) teams.

The public names, by step of the data flow (each subpackage is named after what a
planner names, and nothing imports a later step: CONTRIBUTING.md "The flow"):

1. :mod:`gupgeo.readers` → :mod:`gupgeo.validation` → :mod:`gupgeo.storage`: read
   and validate (:func:`load_territory`, :func:`read_layer`, :func:`validate`) into a
   :class:`Territory` (:mod:`gupgeo.territory`) whose ``report`` accounts for every row;
2. :mod:`gupgeo.attribution`: attribute features to zones (:func:`attribute`,
   :func:`nearest`, :func:`within_distance`, :func:`count_by_zone`), and the whole
   territory once (:func:`attribute_territory`);
3. :mod:`gupgeo.indicators` → :mod:`gupgeo.dashboard`: the GUP indicators
   (:func:`build_dashboard`, :func:`export_dashboard`);
4. :mod:`gupgeo.publication` (what a shared output may show), then the products:
   :mod:`gupgeo.maps`, :mod:`gupgeo.atlas`, :mod:`gupgeo.review`,
   :mod:`gupgeo.bulletin` — imported on demand (they pull in folium and jinja2).
5. :mod:`gupgeo.veille` (veille territoriale: :func:`hotspots`,
   :func:`emerging_hotspots`, :func:`repeated_reports`, :func:`problems_by_quartier`),
   imported on demand (it pulls in esda, libpysal and scipy).

Cross-cutting helpers: :mod:`gupgeo.crs`, :mod:`gupgeo.french` (every number and date a
reader sees), :mod:`gupgeo.errors`, :mod:`gupgeo.schemas`, :mod:`gupgeo.dates`,
:mod:`gupgeo.periods`.
"""

from __future__ import annotations

from gupgeo.attribution import (
    AttributedTerritory,
    AttributionReport,
    AttributionSettings,
    attribute,
    attribute_territory,
    attribute_xy,
    attribution_report,
    count_by_zone,
    nearest,
    within_distance,
    write_attribution,
)
from gupgeo.crs import DISPLAY_CRS, WORK_CRS
from gupgeo.dashboard import Dashboard, DashboardConfig, build_dashboard, export_dashboard
from gupgeo.errors import (
    AnalysisError,
    CRSError,
    GupgeoError,
    InputFileError,
    InputNotFoundError,
    ManifestError,
    OutputExistsError,
    PeriodError,
    SchemaError,
    ValidationError,
)
from gupgeo.schemas import AXES_TFPB, LAYER_NAMES, SCHEMAS, STATUTS, LayerSchema
from gupgeo.storage.loading import as_territory, load_territory, read_layer, validate
from gupgeo.territory import Provenance, Territory
from gupgeo.validation import (
    Issue,
    LayerReport,
    ValidationReport,
    canonical_status,
    canonical_statuses,
)

__version__ = "0.1.0"

# Maps, publication and atlas pull in folium and jinja2, the veille esda/libpysal:
# imported on first use only.
_LAZY = {
    "map_territory": "gupgeo.maps",
    "save_map": "gupgeo.maps",
    "publish": "gupgeo.publication",
    "Publication": "gupgeo.publication",
    "Profil": "gupgeo.publication",
    "build_atlas": "gupgeo.atlas",
    "AtlasOptions": "gupgeo.atlas",
    "review_operation": "gupgeo.review",
    "build_bulletin": "gupgeo.bulletin",
    "hotspots": "gupgeo.veille",
    "emerging_hotspots": "gupgeo.veille",
    "repeated_reports": "gupgeo.veille",
    "problems_by_quartier": "gupgeo.veille",
    "OperationReview": "gupgeo.review",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gupgeo' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    """The public names, the lazily loaded ones included (for completion in notebooks)."""
    return sorted({*__all__, *_LAZY})


__all__ = [
    "AXES_TFPB",
    "DISPLAY_CRS",
    "LAYER_NAMES",
    "SCHEMAS",
    "STATUTS",
    "WORK_CRS",
    "AnalysisError",
    "AttributedTerritory",
    "AttributionReport",
    "AttributionSettings",
    "CRSError",
    "Dashboard",
    "DashboardConfig",
    "GupgeoError",
    "InputFileError",
    "InputNotFoundError",
    "Issue",
    "LayerReport",
    "LayerSchema",
    "ManifestError",
    "OutputExistsError",
    "PeriodError",
    "Provenance",
    "SchemaError",
    "Territory",
    "ValidationError",
    "ValidationReport",
    "as_territory",
    "attribute",
    "attribute_territory",
    "attribute_xy",
    "attribution_report",
    "build_dashboard",
    "canonical_status",
    "canonical_statuses",
    "count_by_zone",
    "export_dashboard",
    "load_territory",
    "nearest",
    "read_layer",
    "validate",
    "within_distance",
    "write_attribution",
]
