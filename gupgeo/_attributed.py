"""The attributed territory the atlas and the review start from.

Both need every signalement, constat, équipement and action to carry ``code_qp``
(null = hors QPV) and ``operation_id``. :func:`attributed_territory` calls
:func:`gupgeo.zoning.attribute_territory` unless the territory is already attributed,
and takes any attribution report out of the layers' ``DataFrame.attrs``: pandas
deep-copies ``attrs`` on every operation, which slowed every later step down (the
reports stay in ``territory.attribution``).
"""

from __future__ import annotations

from typing import Any

from gupgeo.errors import SchemaError
from gupgeo.territory import Territory
from gupgeo.zoning import ATTRIBUTED_LAYERS as POINT_LAYERS
from gupgeo.zoning import attribute_territory


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
