"""A generated, region-sized territory (synthetic, seeded): the scale problems of real data.

About a hundred small quartiers (5–40 ha) spread over a region of 250 km × 200 km in
Lambert-93, grouped by commune (1–5 quartiers each, a few km apart); eleven of them are
called "Centre Ville" in eleven communes, as in a real regional QPV list; signalements
around each quartier, with some exactly on a perimeter vertex and some 5 m outside it
(inside the default 15 m tolerance) — where a strict "inside" count and the attribution
disagree. Everything is synthetic: nothing here describes a real place.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.territory import Territory

X_MIN, X_MAX = 470_000.0, 720_000.0
Y_MIN, Y_MAX = 6_600_000.0, 6_800_000.0
HOMONYM = "Centre Ville"
CATEGORIES = ("propreté", "dépôts sauvages", "éclairage", "voirie", "tags", "encombrants")


def _commune_names(n: int) -> list[str]:
    stems = ("Saint-Martin", "Villeneuve", "Beaulieu", "Montreuil", "Châteauneuf", "Bourg")
    tails = ("sur-Loire", "du-Cher", "en-Sologne", "les-Bois", "la-Forêt", "le-Lac", "")
    names = [f"{stem}-{tail}".rstrip("-") for tail in tails for stem in stems]
    return names[:n]


def region_territory(
    n_quartiers: int = 105, *, n_signalements: int = 30_000, seed: int = 11
) -> Territory:
    """The generated territory, validated-shaped (Lambert-93), not attributed."""
    rng = np.random.default_rng(seed)
    n_communes = max(12, n_quartiers // 3)
    communes = _commune_names(n_communes)
    centres = np.column_stack(
        [rng.uniform(X_MIN, X_MAX, n_communes), rng.uniform(Y_MIN, Y_MAX, n_communes)]
    )
    of_commune = np.concatenate(
        [np.arange(n_communes), rng.integers(0, n_communes, n_quartiers - n_communes)]
    )
    rows, polys = [], []
    for i, c in enumerate(of_commune):
        cx, cy = centres[c] + rng.normal(0, 1_500, 2)
        radius = np.sqrt(rng.uniform(5, 40) * 10_000 / np.pi)
        angles = np.sort(rng.uniform(0, 2 * np.pi, 10))
        r = radius * rng.uniform(0.8, 1.2, 10)
        polys.append(
            shapely.Polygon(np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)]))
        )
        rows.append(
            {"code_qp": f"QN0{c:02d}{i:03d}G", "commune": communes[c], "insee_com": f"{37000 + c}"}
        )
    quartiers = gpd.GeoDataFrame(rows, geometry=polys, crs=2154)
    names = [f"Quartier {i + 1}" for i in range(n_quartiers)]
    first_of_commune = quartiers.drop_duplicates("commune").index[:11]
    for i in first_of_commune:
        names[i] = HOMONYM
    quartiers["nom_qp"] = names
    quartiers["population"] = rng.integers(1_000, 9_000, n_quartiers)
    quartiers = quartiers.drop_duplicates("geometry").reset_index(drop=True)
    return Territory(
        {"quartiers": quartiers, "signalements": _signalements(quartiers, n_signalements, rng)}
    )


def _signalements(
    quartiers: gpd.GeoDataFrame, n: int, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    owner = rng.integers(0, len(quartiers), n)
    cx = quartiers.geometry.centroid.x.to_numpy()[owner]
    cy = quartiers.geometry.centroid.y.to_numpy()[owner]
    x, y = cx + rng.normal(0, 250, n), cy + rng.normal(0, 250, n)
    edge: list[shapely.Point] = []
    for polygon in quartiers.geometry:
        ring = polygon.exterior
        edge.append(shapely.Point(ring.coords[0]))  # on a vertex: on the perimeter
        outside = shapely.Polygon(ring).buffer(5.0).exterior
        edge.append(outside.interpolate(0.5, normalized=True))  # 5 m outside
    geometry = np.concatenate([shapely.points(x, y), np.asarray(edge, dtype=object)])
    total = len(geometry)
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, total), unit="D")
    return gpd.GeoDataFrame(
        {
            "id": [f"SIG-{i:06d}" for i in range(total)],
            "date_signalement": pd.Series(dates),
            "categorie": np.asarray(CATEGORIES, dtype=object)[
                rng.integers(0, len(CATEGORIES), total)
            ],
            "statut": np.asarray(["nouveau", "en cours", "résolu"], dtype=object)[
                rng.integers(0, 3, total)
            ],
        },
        geometry=geometry,
        crs=2154,
    )
