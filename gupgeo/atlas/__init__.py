"""The quartier atlas: one page per quartier and an index to compare them, offline.

The QGIS Atlas, for GUP: a coverage layer (the quartiers, filtered and ordered), a
page per feature named by a pattern, maps fitted on each feature with a margin or at
a fixed size, an overview map — plus the dashboard's figures, charts, the veille
(hot spots, trends, problems reported several times), open constats, GUP and TFPB
actions and operations, all readable offline and printable on A4.

- :func:`build_atlas` — write the atlas folder;
- :class:`AtlasOptions` — the controls (filter, order, names, extent, indicator…);
- :func:`safe_stem` — the file-name rule of the pages.
"""

from __future__ import annotations

from gupgeo.atlas._build import AtlasResult, available_cores, build_atlas
from gupgeo.atlas._pages import PageResult
from gupgeo.atlas.naming import safe_stem
from gupgeo.atlas.options import INDICATORS, AtlasOptions

__all__ = [
    "INDICATORS",
    "AtlasOptions",
    "AtlasResult",
    "PageResult",
    "available_cores",
    "build_atlas",
    "safe_stem",
]
