"""Coordinate reference systems: the one place where units are decided.

Every distance, buffer and area is computed in Lambert-93 (EPSG:2154, metres);
Folium and GeoJSON outputs use WGS84 (EPSG:4326, degrees, shown as lat/lon).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from pyproj import CRS

from gupgeo.errors import CRSError

WORK_CRS = CRS.from_epsg(2154)
"""Lambert-93, metres: the CRS of every measurement."""

DISPLAY_CRS = CRS.from_epsg(4326)
"""WGS84 longitude/latitude: the CRS of web maps and GeoJSON output."""

# Extents used to recognise coordinates when a layer carries no CRS.
# Metropolitan France (with Corsica), generously rounded.
FRANCE_LON = (-5.5, 10.0)
FRANCE_LAT = (41.0, 51.5)
# Lambert-93 projected bounds of metropolitan France (EPSG:2154 area of use, rounded).
LAMBERT93_X = (0.0, 1_300_000.0)
LAMBERT93_Y = (6_000_000.0, 7_200_000.0)


@dataclass(frozen=True)
class CRSGuess:
    """The CRS chosen for coordinates that came without one, and why."""

    crs: CRS
    reason: str


def _share_inside(
    x: np.ndarray, y: np.ndarray, xr: tuple[float, float], yr: tuple[float, float]
) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return 0.0
    inside = (x >= xr[0]) & (x <= xr[1]) & (y >= yr[0]) & (y <= yr[1])
    return float(inside[ok].mean())


def guess_crs(x: np.ndarray, y: np.ndarray) -> CRSGuess | None:
    """Choose WGS84 or Lambert-93 for bare coordinates, or ``None`` if neither fits.

    Coordinates can only be WGS84 when every finite value lies within
    longitude/latitude ranges (|x| ≤ 180, |y| ≤ 90); they can only be Lambert-93
    when they lie within its projected bounds over France. A layer where both
    readings are impossible, or where the values straddle both, gets ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> guess_crs(np.array([0.69]), np.array([47.39])).crs.to_epsg()
    4326
    >>> guess_crs(np.array([525_000.0]), np.array([6_702_000.0])).crs.to_epsg()
    2154
    >>> guess_crs(np.array([5e7]), np.array([1.0])) is None
    True
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    xs, ys = x[ok], y[ok]
    if (np.abs(xs) <= 180).all() and (np.abs(ys) <= 90).all():
        share = _share_inside(xs, ys, FRANCE_LON, FRANCE_LAT)
        share_swapped = _share_inside(ys, xs, FRANCE_LON, FRANCE_LAT)
        return CRSGuess(
            DISPLAY_CRS,
            "coordonnées toutes comprises entre -180 et 180 / -90 et 90 : seules des "
            f"longitudes/latitudes WGS84 sont possibles ({share:.0%} en France, "
            f"{share_swapped:.0%} en France si inversées)",
        )
    if _share_inside(xs, ys, LAMBERT93_X, LAMBERT93_Y) == 1.0:
        return CRSGuess(
            WORK_CRS,
            "coordonnées toutes dans l'emprise du Lambert-93 (X 0–1 300 000 m, "
            "Y 6 000 000–7 200 000 m) : seul le Lambert-93 est possible",
        )
    return None


def to_work_crs(gdf: gpd.GeoDataFrame, *, name: str = "couche") -> gpd.GeoDataFrame:
    """Return ``gdf`` in Lambert-93, raising a clear error if it has no CRS."""
    if gdf.crs is None:
        raise CRSError(
            f"{name} : aucun système de coordonnées (CRS) n'est déclaré ; attendu un CRS "
            "explicite (par exemple EPSG:2154 ou EPSG:4326). Utilisez gdf.set_crs(...)."
        )
    if CRS.from_user_input(gdf.crs).equals(WORK_CRS):
        return gdf
    return gdf.to_crs(WORK_CRS)


def to_display_crs(gdf: gpd.GeoDataFrame, *, name: str = "couche") -> gpd.GeoDataFrame:
    """Return ``gdf`` in WGS84 for web maps, raising a clear error if it has no CRS."""
    if gdf.crs is None:
        raise CRSError(
            f"{name} : aucun système de coordonnées (CRS) n'est déclaré ; impossible de "
            "le reprojeter en WGS84 pour la carte."
        )
    if CRS.from_user_input(gdf.crs).equals(DISPLAY_CRS):
        return gdf
    return gdf.to_crs(DISPLAY_CRS)
