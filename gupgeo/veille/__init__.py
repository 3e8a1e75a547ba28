"""Veille territoriale: where and when signalements concentrate, recur or grow.

One module per concept, all pure functions returning (Geo)DataFrames in Lambert-93:

- :mod:`gupgeo.veille.grids`: the INSEE-aligned square grid of a study area, counts
  per cell (by category, by period), Queen contiguity;
- :mod:`gupgeo.veille.hotspots`: significant hot and cold spots (:func:`hotspots`,
  Getis-Ord Gi* or local Moran from ``esda``, FDR, rate mode);
- :mod:`gupgeo.veille.emerging`: emerging hot spot categories
  (:func:`emerging_hotspots`, Gi* per period + Mann-Kendall);
- :mod:`gupgeo.veille.repeated`: the same problem reported again
  (:func:`repeated_reports`, bounded groups, no chaining; :func:`problems_by_quartier`).
"""

from __future__ import annotations

from gupgeo.veille.emerging import emerging_hotspots, mann_kendall
from gupgeo.veille.grids import (
    HORS_QPV,
    count_in_cells,
    h3_resolution,
    hex_grid,
    queen_weights,
    square_grid,
)
from gupgeo.veille.hotspots import hotspots
from gupgeo.veille.repeated import problems_by_quartier, repeated_reports, report_groups

__all__ = [
    "HORS_QPV",
    "count_in_cells",
    "emerging_hotspots",
    "h3_resolution",
    "hex_grid",
    "hotspots",
    "mann_kendall",
    "problems_by_quartier",
    "queen_weights",
    "repeated_reports",
    "report_groups",
    "square_grid",
]
