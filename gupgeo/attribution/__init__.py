"""Attribution: every feature to its zone, every zone its count.

- :mod:`gupgeo.attribution.zones` — the engine's public face: :func:`attribute`,
  :func:`attribute_xy`, :func:`nearest`, :func:`within_distance`,
  :func:`count_by_zone` (QGIS's *join attributes by location* and *count points in
  polygon*, decided in Lambert-93).
- :mod:`gupgeo.attribution.territory` — :func:`attribute_territory`, the one entry
  point that attributes a whole territory and remembers how
  (:class:`AttributionSettings`); products read their counts from it.
- :mod:`gupgeo.attribution.report` — what was matched, by tolerance, hors zone.
- ``_engine``, ``_grid``, ``_output`` — the grid index and exact tests behind them.
"""

from __future__ import annotations

from gupgeo.attribution.report import AttributionReport
from gupgeo.attribution.territory import (
    ATTRIBUTED_LAYERS,
    DEFAULT_TOLERANCE_M,
    AttributedTerritory,
    AttributionSettings,
    attribute_territory,
    attributed,
)
from gupgeo.attribution.zones import (
    REPORT_ATTR,
    attribute,
    attribute_xy,
    attribution_report,
    count_by_zone,
    nearest,
    within_distance,
    write_attribution,
)

__all__ = [
    "ATTRIBUTED_LAYERS",
    "DEFAULT_TOLERANCE_M",
    "REPORT_ATTR",
    "AttributedTerritory",
    "AttributionReport",
    "AttributionSettings",
    "attribute",
    "attribute_territory",
    "attribute_xy",
    "attributed",
    "attribution_report",
    "count_by_zone",
    "nearest",
    "within_distance",
    "write_attribution",
]
