"""Attribute every layer of a territory to its quartiers and operations, in one call.

This is the step between loading and indicators, and the only place a territory is
attributed: signalements, constats, équipements (and located GUP actions) get
``code_qp`` (null = hors QPV) and ``operation_id``, with the semantics of
:mod:`gupgeo.attribution.zones` (perimeter counts as inside, tolerance around
perimeters, largest share for lines and polygons). Nothing is dropped; each layer's
:class:`~gupgeo.attribution.report.AttributionReport` is kept in
``territory.attribution`` and the settings in ``territory.attribution_settings``.

Products (dashboard, maps, atlas, review) call :func:`attributed` on what they are
given: an attributed territory is used as it is, whatever its settings, so every
figure of every product comes from the same attribution.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import pandas as pd

from gupgeo.attribution.distributed import (
    attribute_located,
    attribute_partitions,
    is_dask,
    partitions_report,
)
from gupgeo.attribution.report import (
    DEFAULT_TOLERANCE_M,
    SOURCE_SUFFIX,
    AttributionReport,
    SourceAgreement,
)
from gupgeo.attribution.zones import REPORT_ATTR, attribute
from gupgeo.errors import SchemaError
from gupgeo.storage.loading import as_territory
from gupgeo.territory import Territory

log = logging.getLogger(__name__)

ATTRIBUTED_LAYERS: tuple[str, ...] = ("signalements", "constats", "equipements", "actions")
"""Layers that receive ``code_qp`` and ``operation_id``."""

DECLARED_SUFFIX = SOURCE_SUFFIX
"""Suffix given to a ``code_qp`` that the source declared, kept beside the spatial one
(``code_qp_source``)."""
LEGACY_DECLARED = "code_qp_declare"
"""The name ``code_qp_source`` had before: read back from territories saved then."""


@dataclass(frozen=True)
class AttributionSettings:
    """How a territory was attributed; carried by the territory, read by every product."""

    tolerance_m: float = DEFAULT_TOLERANCE_M
    predicate: str = "covered_by"
    multiple: str = "largest"
    vintage: str | None = None
    """Geography of the quartiers (``"2015"``, ``"2024"``) when the source says it."""

    def describe(self) -> str:
        """One French sentence for reports and "sources et méthode" sections."""
        vintage = f", géographie prioritaire {self.vintage}" if self.vintage else ""
        return (
            f"rattachement spatial : périmètre compris ({self.predicate}), tolérance "
            f"{self.tolerance_m:g} m, objets étendus au quartier de plus grande part{vintage}"
        )


class AttributedTerritory(Territory):
    """A territory whose features carry their quartier and operation: the state every
    published output starts from (:func:`gupgeo.publication.publish`).

    Made only by :func:`attribute_territory`; immutable (its layers, attribution
    reports and settings cannot be replaced), so that every product reads the same
    attribution. ``settings`` (also ``attribution_settings``) says how it was made.
    """

    def __init__(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        settings: AttributionSettings,
        reports: Mapping[str, AttributionReport],
        source: Territory,
    ) -> None:
        super().__init__(layers, provenance=source.provenance, report=source.report)
        object.__setattr__(self, "layers", MappingProxyType(dict(self.layers)))
        object.__setattr__(self, "attribution", MappingProxyType(dict(reports)))
        object.__setattr__(self, "attribution_settings", settings)
        object.__setattr__(self, "_frozen", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(
                f"territoire rattaché : « {name} » ne peut pas être modifié ; "
                "rattacher de nouveau (gupgeo.attribute_territory) un territoire modifié"
            )
        super().__setattr__(name, value)

    @property
    def settings(self) -> AttributionSettings:
        """How the territory was attributed (tolerance, predicate, geography)."""
        settings: AttributionSettings = self.attribution_settings
        return settings

    def with_layers(self, layers: Mapping[str, pd.DataFrame]) -> AttributedTerritory:
        """A copy whose layers are ``layers`` (others unchanged), with the same
        attribution reports and settings: for rows cut from these layers (a page, a
        perimeter), never for new rows (attribute those again)."""
        return AttributedTerritory(
            {**self.layers, **layers},
            settings=self.settings,
            reports=self.attribution,
            source=self,
        )

    def __repr__(self) -> str:
        return super().__repr__().replace("Territory", "AttributedTerritory", 1)


def attribute_territory(
    territory: Any, *, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> AttributedTerritory:
    """Return a new Territory whose point/line/polygon layers carry their quartier and operation.

    Parameters
    ----------
    territory
        A loaded territory (or anything :func:`gupgeo.storage.loading.as_territory` accepts);
        it must have a ``quartiers`` layer. An already attributed territory is
        attributed again from its declared values with the new settings. A layer may
        be a ``dask_geopandas.GeoDataFrame`` (:func:`gupgeo.storage.parquet.read_layer_dask`):
        it is attributed on the Dask cluster partition by partition, kept there
        (``persist``), and its report computed in one pass; the answers are those of
        the in-memory path (:mod:`gupgeo.attribution.distributed`).
    tolerance_m
        Features outside every quartier but within this distance (metres) of one
        are attributed to the nearest, and counted as such in the report
        (addresses geocoded to the street axis, rounded coordinates).

    Notes
    -----
    GUP actions declare their quartier (``code_qp`` is required in their
    file): it is kept, and located actions only gain ``operation_id``. Where a
    signalement source declared a ``code_qp`` too, the declared value is kept
    in ``code_qp_source`` and ``code_qp`` is the spatial answer; their agreement is in
    the layer's report (``t.attribution[name].agreements``).

    Examples
    --------
    >>> from gupgeo import load_territory
    >>> t = attribute_territory(load_territory("data/sample"))
    >>> r = t.attribution["signalements"]
    >>> r.n_features == r.n_rows == len(t["signalements"]) and r.balanced
    True
    >>> t.attribution_settings.tolerance_m
    15.0
    """
    territory = _without_attribution(as_territory(territory))
    if "quartiers" not in territory:
        raise SchemaError(
            "territoire : la couche « quartiers » est nécessaire pour le rattachement ; "
            f"couches présentes : {', '.join(territory.layers) or 'aucune'}"
        )
    layers: dict[str, pd.DataFrame] = dict(territory.layers)
    reports: dict[str, AttributionReport] = {}
    for name in ATTRIBUTED_LAYERS:
        frame = layers.get(name)
        spatial = isinstance(frame, gpd.GeoDataFrame) and not frame.empty
        if frame is None or not (spatial or is_dask(frame)):
            continue
        frame, zones, keys = _zones_of(name, frame, territory)
        if not zones:
            continue
        if is_dask(frame):
            frame, reports[name] = _attribute_dask(name, frame, zones, keys, tolerance_m)
        else:
            # Actions without a location keep their declared quartier and no operation;
            # other features without geometry are attributed ("sans géométrie").
            attribute_rows = attribute_located if name == "actions" else attribute
            frame = attribute_rows(
                frame, zones, key=keys, tolerance_m=tolerance_m, multiple="largest"
            )
            reports[name] = _with_agreement(frame.attrs.get(REPORT_ATTR), frame)
            # The report lives in ``result.attribution``: pandas deep-copies ``attrs`` on
            # every operation, which would make each later step pay for it.
            frame.attrs = {}
        layers[name] = frame
    prov = territory.provenance.get("quartiers")
    settings = AttributionSettings(
        tolerance_m=float(tolerance_m), vintage=getattr(prov, "qpv_vintage", None)
    )
    return AttributedTerritory(layers, settings=settings, reports=reports, source=territory)


def _zones_of(
    name: str, frame: Any, territory: Territory
) -> tuple[Any, dict[str, gpd.GeoDataFrame], dict[str, str]]:
    """The zone layers (and their identifier columns) a layer is attributed to; a
    ``code_qp`` declared by the source is renamed ``code_qp_source``."""
    zones: dict[str, gpd.GeoDataFrame] = {}
    keys: dict[str, str] = {}
    if name != "actions":
        zones["code_qp"], keys["code_qp"] = territory["quartiers"], "code_qp"
        if "code_qp" in frame.columns:
            frame = frame.rename(columns={"code_qp": "code_qp" + DECLARED_SUFFIX})
    operations = territory.get("operations")
    if operations is not None and len(operations):
        zones["operation_id"], keys["operation_id"] = operations, "id"
    return frame, zones, keys


def _with_agreement(report: Any, frame: pd.DataFrame) -> Any:
    """The report, with how the source's own ``code_qp`` agrees with the spatial one."""
    declared = "code_qp" + DECLARED_SUFFIX
    if report is None or declared not in frame.columns or "code_qp" not in frame.columns:
        return report
    agreement = SourceAgreement.of("code_qp", frame[declared], frame["code_qp"])
    return dataclasses.replace(report, agreements=(*report.agreements, agreement))


def _attribute_dask(
    name: str, frame: Any, zones: dict[str, gpd.GeoDataFrame], keys: dict[str, str], tol: float
) -> tuple[Any, AttributionReport]:
    """A Dask layer attributed on the cluster, kept there (``persist``), and its report."""
    options: dict[str, Any] = {"key": keys, "tolerance_m": tol, "multiple": "largest"}
    out = attribute_partitions(frame, zones, located_only=name == "actions", **options)
    out = out.persist()
    return out, partitions_report(out, zones, **options)


def attributed(source: Any) -> AttributedTerritory:
    """The territory every product starts from: attributed once, with its settings.

    An :class:`AttributedTerritory` is returned as is; anything else is converted
    (:func:`gupgeo.storage.loading.as_territory`) and attributed with the default settings.
    """
    if isinstance(source, AttributedTerritory):
        return source
    return attribute_territory(as_territory(source))


def _without_attribution(territory: Territory) -> Territory:
    """The layers as validated: spatial answers of a previous attribution removed (one
    carried by the territory, or read back from a saved attributed territory)."""
    marks = ("code_qp_statut", "operation_id_statut", "code_qp" + DECLARED_SUFFIX, LEGACY_DECLARED)
    previous = any(
        name in territory.layers and any(m in territory.layers[name].columns for m in marks)
        for name in ATTRIBUTED_LAYERS
    )
    if territory.attribution_settings is None and not previous:
        return territory
    layers = dict(territory.layers)
    for name in ATTRIBUTED_LAYERS:
        frame = layers.get(name)
        if frame is None:
            continue
        keys = ["operation_id"] if name == "actions" else ["operation_id", "code_qp"]
        spatial = [c for c in frame.columns for k in keys if c == k or c.startswith(k + "_")]
        kept = ("code_qp" + DECLARED_SUFFIX, LEGACY_DECLARED)
        spatial = [c for c in spatial if c not in kept]
        frame = frame.drop(columns=spatial)
        for declared in kept:
            if declared in frame.columns:
                frame = frame.rename(columns={declared: "code_qp"})
        layers[name] = frame
    return Territory(layers, provenance=territory.provenance, report=territory.report)
