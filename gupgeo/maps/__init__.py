"""Interactive maps: the only package importing folium, branca and jinja2.

- :func:`map_territory` — the whole territory, layers grouped by theme, for a profile;
- :func:`base_map` and the ``add_*`` builders — one layer kind each, usable alone;
- :func:`save_map` — one HTML file that opens offline, with a size report.

Large point layers: see :mod:`gupgeo.maps.signalements` for when grid clusters, canvas
dots, heat, rates or aggregated counts are used. Notebook display and its fallback for
untrusted notebooks: see :mod:`gupgeo.maps.base`.
"""

from __future__ import annotations

from gupgeo.maps._assets import AssetsMissingError
from gupgeo.maps.base import (
    BASEMAPS,
    MapSizeReport,
    TerritoryMap,
    base_map,
    save_map,
    size_report,
)
from gupgeo.maps.caption import Caption
from gupgeo.maps.compose import map_territory
from gupgeo.maps.layers import (
    add_choropleth,
    add_constats,
    add_equipements,
    add_operations,
    add_quartiers,
)
from gupgeo.maps.signalements import (
    add_counts,
    add_signalements,
    add_signalements_heatmap,
    add_signalements_rate,
)

__all__ = [
    "BASEMAPS",
    "AssetsMissingError",
    "Caption",
    "MapSizeReport",
    "TerritoryMap",
    "add_choropleth",
    "add_constats",
    "add_counts",
    "add_equipements",
    "add_operations",
    "add_quartiers",
    "add_signalements",
    "add_signalements_heatmap",
    "add_signalements_rate",
    "base_map",
    "map_territory",
    "save_map",
    "size_report",
]
