"""Planted point patterns for the veille tests (seeded, Lambert-93)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from gupgeo.veille.grids import square_grid

X0, Y0 = 525_000.0, 6_702_000.0
SIDE_M = 3_000.0


GRID = square_grid(cell_m=200, bounds=(X0, Y0, X0 + SIDE_M, Y0 + SIDE_M))
"""The study area of the planted patterns: 200 m INSEE cells centred in a 3 km square."""
_TO_WORK = Transformer.from_crs(3035, 2154, always_xy=True)


def uniform(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Complete spatial randomness over the cells of :data:`GRID` (drawn in EPSG:3035)."""
    cells = rng.integers(0, len(GRID), n)
    gx = (GRID["ix"].to_numpy()[cells] + rng.uniform(0, 1, n)) * 200.0
    gy = (GRID["iy"].to_numpy()[cells] + rng.uniform(0, 1, n)) * 200.0
    return _TO_WORK.transform(gx, gy)


def cluster(
    rng: np.random.Generator, n: int, cx: float, cy: float, sd_m: float = 40.0
) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(cx, sd_m, n), rng.normal(cy, sd_m, n)


def layer(
    x: np.ndarray,
    y: np.ndarray,
    *,
    dates: np.ndarray | list[str] | None = None,
    categorie: str | list[str] = "propreté",
) -> gpd.GeoDataFrame:
    n = len(x)
    data: dict[str, object] = {
        "id": [f"S{i}" for i in range(n)],
        "categorie": categorie if isinstance(categorie, list) else [categorie] * n,
    }
    if dates is not None:
        data["date_signalement"] = pd.to_datetime(np.asarray(dates))
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(x, y), crs="EPSG:2154")
