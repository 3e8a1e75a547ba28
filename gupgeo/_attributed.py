"""The attributed territory the atlas and the review start from.

Both need every signalement, constat, équipement and action to carry ``code_qp``
(null = hors QPV) and ``operation_id``. :func:`attributed_territory` uses
:func:`gupgeo.zoning.attribute_territory` when the package provides it, and otherwise
a stand-in built on :func:`gupgeo.attribution.attribute` with the same semantics
(covered_by, ``tolerance_m`` around perimeters). Either way the attribution reports
are taken out of the layers' ``DataFrame.attrs``: pandas deep-copies ``attrs`` on
every operation, which slowed every later step down (they stay in
``territory.attribution`` when the official function provides it).
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import pandas as pd

from gupgeo.errors import SchemaError
from gupgeo.territory import Territory

logger = logging.getLogger(__name__)

POINT_LAYERS: tuple[str, ...] = ("signalements", "constats", "equipements", "actions")
"""Layers that receive ``code_qp`` and ``operation_id``."""


def as_territory(source: Any) -> Territory:
    """A :class:`Territory` from a Territory or a mapping layer name → (Geo)DataFrame."""
    if isinstance(source, Territory):
        return source
    layers = getattr(source, "layers", source)
    if not isinstance(layers, dict):
        raise SchemaError(
            f"territoire : reçu {type(source).__name__} ; attendu un Territory "
            "(gupgeo.load_territory) ou un dictionnaire nom de couche → (Geo)DataFrame"
        )
    return Territory(layers, provenance=getattr(source, "provenance", None))


def is_attributed(territory: Territory) -> bool:
    """Whether every point layer present already carries ``code_qp`` and ``operation_id``."""
    for name in POINT_LAYERS:
        frame = territory.get(name)
        if frame is not None and not {"code_qp", "operation_id"} <= set(frame.columns):
            return False
    return True


def attributed_territory(source: Any, *, tolerance_m: float = 15.0) -> Territory:
    """The territory with ``code_qp`` and ``operation_id`` on its point layers.

    Already attributed territories are returned unchanged.
    """
    territory = as_territory(source)
    if "quartiers" not in territory:
        raise SchemaError(
            "territoire : la couche « quartiers » est nécessaire ; couches présentes : "
            f"{', '.join(territory.layers) or 'aucune'}"
        )
    if not getattr(territory, "attribution", None) and not is_attributed(territory):
        try:
            from gupgeo.zoning import attribute_territory
        except ImportError:  # pragma: no cover - before the zoning module existed
            territory = _stand_in(territory, tolerance_m=tolerance_m)
        else:
            territory = attribute_territory(territory, tolerance_m=tolerance_m)
    return _without_attrs(territory)


def _without_attrs(territory: Territory) -> Territory:
    if not any(frame.attrs for frame in territory.layers.values()):
        return territory
    layers = {}
    for name, frame in territory.layers.items():
        if frame.attrs:
            frame = frame.copy(deep=False)
            frame.attrs = {}
        layers[name] = frame
    out = Territory(layers, provenance=territory.provenance, report=territory.report)
    reports = getattr(territory, "attribution", None)
    if reports is not None:
        out.attribution = reports
    return out


def _stand_in(territory: Territory, *, tolerance_m: float) -> Territory:
    from gupgeo.attribution import attribute

    zones: dict[str, gpd.GeoDataFrame] = {"code_qp": territory["quartiers"]}
    keys = {"code_qp": "code_qp", "operation_id": "id"}
    operations = territory.get("operations")
    if isinstance(operations, gpd.GeoDataFrame) and len(operations) and "id" in operations:
        zones["operation_id"] = operations
    layers = dict(territory.layers)
    for name in POINT_LAYERS:
        frame = layers.get(name)
        if not isinstance(frame, gpd.GeoDataFrame):
            if frame is not None:
                out = frame.copy()
                if "code_qp" not in out.columns:
                    out["code_qp"] = pd.Series(pd.NA, index=out.index, dtype="string")
                out["operation_id"] = pd.Series(pd.NA, index=out.index, dtype="string")
                layers[name] = out
            continue
        declared = frame["code_qp"] if name == "actions" and "code_qp" in frame else None
        bare = frame.drop(columns=[c for c in ("code_qp", "operation_id") if c in frame])
        out = attribute(
            bare, zones, key={k: keys[k] for k in zones}, tolerance_m=tolerance_m
        ).copy()
        if "operation_id" not in out.columns:
            out["operation_id"] = pd.Series(pd.NA, index=out.index, dtype="string")
        # The attribution report stays out of .attrs: pandas deep-copies attrs on every
        # operation, which would slow every later step down.
        out.attrs = {}
        if declared is not None:
            # Actions carry their quartier in the table: it wins over the location.
            out["code_qp"] = declared.astype("string").fillna(out["code_qp"].astype("string"))
        layers[name] = out
    logger.info("attribution (remplaçant local) : %s", ", ".join(POINT_LAYERS))
    return Territory(layers, provenance=territory.provenance, report=territory.report)
