"""Synthetic national-scale data: many quartiers in town clusters, seeded points around them.

Used by ``tests/test_distributed.py`` (a few hundred thousand points) and by
``benchmarks/scale.py`` (up to 20 million). Quartiers are star-shaped polygons (valid by
construction) of 250 to 900 m, grouped in "towns" spread over mainland France in
Lambert-93, some of them overlapping their neighbours (features in several zones).
Points: around the quartiers' centres, uniform over each town, exactly on perimeters
(vertices), and just outside them (tolerance cases).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.schemas import STATUTS

CATEGORIES = (
    "Propreté",
    "Tags",
    "Dépôt sauvage",
    "Éclairage public",
    "Mobilier urbain",
    "Épave",
    "Voirie",
    "Espaces verts",
)
SOURCES = ("habitant", "gardien", "agent de proximité", "application", "téléphone")
TOWN_SIZE = 12
"""Quartiers per town."""
VERTICES = 10


def synthetic_quartiers(n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` quartiers (``code_qp`` ``SYN-00001``…, population) in Lambert-93."""
    rng = np.random.default_rng(seed)
    towns = -(-n // TOWN_SIZE)
    town_x = rng.uniform(150_000, 1_150_000, towns)
    town_y = rng.uniform(6_200_000, 7_050_000, towns)
    town = np.arange(n) // TOWN_SIZE
    cx = town_x[town] + rng.uniform(-3_000, 3_000, n)
    cy = town_y[town] + rng.uniform(-3_000, 3_000, n)
    radius = rng.uniform(250, 900, n)
    angles = np.linspace(0, 2 * np.pi, VERTICES, endpoint=False)
    r = radius[:, None] * rng.uniform(0.7, 1.0, (n, VERTICES))
    xs = cx[:, None] + r * np.cos(angles)
    ys = cy[:, None] + r * np.sin(angles)
    rings = np.stack([xs, ys], axis=-1)
    geoms = shapely.polygons(rings)
    return gpd.GeoDataFrame(
        {
            "code_qp": [f"SYN-{i + 1:05d}" for i in range(n)],
            "nom_qp": [f"Quartier {i + 1}" for i in range(n)],
            "population": rng.integers(1_000, 12_000, n),
        },
        geometry=geoms,
        crs=2154,
    )


def synthetic_xy(quartiers: gpd.GeoDataFrame, n: int, *, seed: int = 0) -> np.ndarray:
    """``(n, 2)`` coordinates: 60 % near centres, 30 % uniform over the towns, 5 % on
    perimeters, 5 % up to 30 m outside them."""
    rng = np.random.default_rng(seed + 1)
    coords = shapely.get_coordinates(quartiers.geometry.array)
    per = VERTICES + 1  # closed rings repeat their first vertex
    vertices = coords.reshape(len(quartiers), per, 2)[:, :VERTICES]
    centres = vertices.mean(axis=1)
    counts = [int(n * 0.6), int(n * 0.3), int(n * 0.05)]
    counts.append(n - sum(counts))
    out = np.empty((n, 2))
    start = 0
    pick = rng.integers(0, len(quartiers), n)
    k = counts[0]
    out[:k] = centres[pick[:k]] + rng.normal(0, 400, (k, 2))
    start = k
    k = counts[1]
    out[start : start + k] = centres[pick[start : start + k]] + rng.uniform(-4_000, 4_000, (k, 2))
    start += k
    k = counts[2] + counts[3]
    which = rng.integers(0, VERTICES, k)
    corner = vertices[pick[start:], which]
    outward = corner - centres[pick[start:]]
    outward /= np.linalg.norm(outward, axis=1)[:, None]
    shift = np.zeros(k)
    shift[counts[2] :] = rng.uniform(0.5, 30, counts[3])
    out[start:] = corner + outward * shift[:, None]
    return out


def synthetic_signalements(
    quartiers: gpd.GeoDataFrame, n: int, *, seed: int = 0, missing: int = 0
) -> gpd.GeoDataFrame:
    """``n`` signalements over 2022–2024 with every column the indicators read; the last
    ``missing`` rows have no geometry."""
    rng = np.random.default_rng(seed + 2)
    xy = synthetic_xy(quartiers, n, seed=seed)
    start = pd.Timestamp("2022-01-01").value
    span = pd.Timestamp("2025-01-01").value - start
    created = pd.to_datetime(start + rng.integers(0, span, n))
    closed = created + pd.to_timedelta(rng.exponential(20, n), unit="D")
    status = rng.choice(np.array(STATUTS, dtype=object), n)
    open_ = np.isin(status, ["nouveau", "pris en compte", "programmé", "en cours"])
    closed = closed.where(~open_, pd.NaT)
    geoms = shapely.points(xy)
    if missing:
        geoms[-missing:] = None
    return gpd.GeoDataFrame(
        {
            "id": [f"S{i:08d}" for i in range(n)],
            "date_signalement": created,
            "categorie": rng.choice(np.array(CATEGORIES, dtype=object), n),
            "statut": status,
            "date_cloture": closed,
            "source": rng.choice(np.array(SOURCES, dtype=object), n),
        },
        geometry=geoms,
        crs=2154,
    )
