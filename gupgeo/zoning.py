"""Attribute every layer of a territory to its quartiers and operations, in one call.

This is the step between loading and indicators: signalements, constats,
équipements (and located GUP actions) get ``code_qp`` (null = hors QPV) and
``operation_id``, with the semantics of :mod:`gupgeo.attribution` (perimeter
counts as inside, tolerance around perimeters, largest share for lines and
polygons). Nothing is dropped; each layer's :class:`AttributionReport` is kept.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd

from gupgeo.attribution import REPORT_ATTR, AttributionReport, attribute
from gupgeo.territory import Territory

log = logging.getLogger(__name__)

ATTRIBUTED_LAYERS: tuple[str, ...] = ("signalements", "constats", "equipements", "actions")
"""Layers that receive ``code_qp`` and ``operation_id``."""

DEFAULT_TOLERANCE_M = 15.0
"""Default distance (metres) within which a feature just outside a quartier is attributed to it."""

DECLARED_SUFFIX = "_declare"
"""Suffix given to a ``code_qp`` that the source declared, kept beside the spatial one."""


def attribute_territory(
    territory: Territory, *, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> Territory:
    """Return a new Territory whose point/line/polygon layers carry their quartier and operation.

    Parameters
    ----------
    territory
        A loaded territory; it must have a ``quartiers`` layer.
    tolerance_m
        Features outside every quartier but within this distance (metres) of one
        are attributed to the nearest, and counted as such in the report
        (addresses geocoded to the street axis, rounded coordinates).

    Notes
    -----
    GUP actions declare their quartier (``code_qp`` is required in their
    file): it is kept, and located actions only gain ``operation_id``. Where a
    signalement source declared a ``code_qp`` too, the declared value is kept
    in ``code_qp_declare`` and ``code_qp`` is the spatial answer.

    Examples
    --------
    >>> from gupgeo import load_territory
    >>> t = attribute_territory(load_territory("data/sample"))
    >>> r = t.attribution["signalements"]
    >>> r.n_features == r.n_rows == len(t["signalements"]) and r.balanced
    True
    """
    quartiers = territory["quartiers"]
    operations = territory.get("operations")
    layers: dict[str, pd.DataFrame] = dict(territory.layers)
    reports: dict[str, AttributionReport] = {}
    for name in ATTRIBUTED_LAYERS:
        frame = layers.get(name)
        if not isinstance(frame, gpd.GeoDataFrame) or frame.empty:
            continue
        zones: dict[str, gpd.GeoDataFrame] = {}
        keys: dict[str, str] = {}
        if name != "actions":
            zones["code_qp"], keys["code_qp"] = quartiers, "code_qp"
            if "code_qp" in frame.columns:
                frame = frame.rename(columns={"code_qp": "code_qp" + DECLARED_SUFFIX})
        if operations is not None and len(operations):
            zones["operation_id"], keys["operation_id"] = operations, "id"
        if not zones:
            continue
        located = frame.geometry.notna()
        if name == "actions" and not located.all():
            # Actions without a location keep their declared quartier and no operation.
            part = attribute(
                frame[located], zones, key=keys, tolerance_m=tolerance_m, multiple="largest"
            )
            rest = frame[~located].copy()
            frame = pd.concat([part, rest]).loc[frame.index]
            reports[name] = part.attrs.get(REPORT_ATTR)
        else:
            frame = attribute(frame, zones, key=keys, tolerance_m=tolerance_m, multiple="largest")
            reports[name] = frame.attrs.get(REPORT_ATTR)
        # The report lives in ``result.attribution``: pandas deep-copies ``attrs`` on
        # every operation, which would make each later step pay for it.
        frame.attrs = {}
        layers[name] = frame
    result = Territory(layers, provenance=territory.provenance, report=territory.report)
    result.attribution = reports
    return result
