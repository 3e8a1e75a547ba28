"""Coordinate reference systems: the one place where units are decided.

Every distance, buffer and area is computed in Lambert-93 (EPSG:2154, metres);
Folium and GeoJSON outputs use WGS84 (EPSG:4326, degrees, shown as lat/lon).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

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


OUTSIDE_SHARE_FATAL = 0.5
"""Share of coordinates outside the declared CRS's area of use that makes a layer fatal."""


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.5f}".rstrip("0").rstrip(".")


def _extent(x: np.ndarray, y: np.ndarray) -> str:
    xs = f"X {_number(np.min(x))} à {_number(np.max(x))}"
    return f"{xs}, Y {_number(np.min(y))} à {_number(np.max(y))}"


@functools.cache
def _projected_bounds(crs_wkt: str) -> tuple[float, float, float, float] | None:
    """The area of use of a projected CRS, in its own units, with a 10 % margin."""
    crs = CRS.from_wkt(crs_wkt)
    area = crs.area_of_use
    if area is None:
        return None
    to_crs = Transformer.from_crs(DISPLAY_CRS, crs, always_xy=True)
    minx, miny, maxx, maxy = to_crs.transform_bounds(
        area.west, area.south, area.east, area.north, densify_pts=21
    )
    if not all(np.isfinite([minx, miny, maxx, maxy])):
        return None
    dx, dy = (maxx - minx) * 0.1, (maxy - miny) * 0.1
    return minx - dx, miny - dy, maxx + dx, maxy + dy


def implausible_for_crs(x: np.ndarray, y: np.ndarray, crs: CRS) -> str | None:
    """Why coordinates cannot be in the declared ``crs``, or ``None`` if they can.

    Most coordinates (more than half) must lie in the CRS's area of use: a
    projected CRS (Lambert-93…) holding degrees, or WGS84 holding Lambert-93
    metres, is a wrong declaration, not a few stray points (those are rejected
    row by row by validation). The French message says what the
    coordinates look like and how to fix the declaration.

    Examples
    --------
    >>> import numpy as np
    >>> print(implausible_for_crs(np.array([0.69]), np.array([47.39]), WORK_CRS))
    ... # doctest: +ELLIPSIS
    coordonnées hors de l'emprise de EPSG:2154 (RGF93 v1 / Lambert-93) ...ce sont des degrés...
    >>> implausible_for_crs(np.array([525_000.0]), np.array([6_702_000.0]), WORK_CRS) is None
    True
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    xs, ys = x[ok], y[ok]
    name = f"EPSG:{crs.to_epsg()} ({crs.name})" if crs.to_epsg() else crs.name
    degrees = bool((np.abs(xs) <= 180).all() and (np.abs(ys) <= 90).all())
    if crs.is_geographic:
        outside = float(((np.abs(xs) > 180) | (np.abs(ys) > 90)).mean())
        # A few impossible values are rejected row by row; metres throughout are a wrong CRS.
        if (
            outside <= OUTSIDE_SHARE_FATAL
            or _share_inside(xs, ys, LAMBERT93_X, LAMBERT93_Y) <= OUTSIDE_SHARE_FATAL
        ):
            return None
        looks = "ce sont des mètres en Lambert-93 ?"
        return (
            f"coordonnées impossibles en {name} ({_extent(xs, ys)}) : {outside:.0%} hors des "
            f"longitudes -180 à 180 / latitudes -90 à 90 ; {looks} Déclarez le bon CRS "
            "(EPSG:2154 pour du Lambert-93) dans le fichier ou à la lecture, ou reprojetez-le"
        )
    bounds = _projected_bounds(crs.to_wkt())
    if bounds is None:
        return None
    minx, miny, maxx, maxy = bounds
    outside = float(((xs < minx) | (xs > maxx) | (ys < miny) | (ys > maxy)).mean())
    if outside <= OUTSIDE_SHARE_FATAL:
        return None
    looks = (
        "ce sont des degrés : longitude/latitude (WGS84, EPSG:4326) ?"
        if degrees
        else "les coordonnées sont-elles dans un autre système ?"
    )
    fix = (
        "déclarez EPSG:4326 (WGS84) à la place"
        if degrees
        else "déclarez le CRS dans lequel elles sont écrites"
    )
    return (
        f"coordonnées hors de l'emprise de {name} ({_extent(xs, ys)} ; emprise attendue "
        f"X {minx:.0f} à {maxx:.0f}, Y {miny:.0f} à {maxy:.0f}) : {looks} Le CRS déclaré est "
        f"faux : {fix} (fichier .prj, membre « crs » du GeoJSON, ou CRS indiqué à la lecture)"
    )


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
