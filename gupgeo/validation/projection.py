"""The CRS of a layer: declared, or deduced from the coordinates (and said); latitude and
longitude put back in order; reprojection to Lambert-93."""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Transformer

from gupgeo.crs import FRANCE_LAT, FRANCE_LON, WORK_CRS, guess_crs, implausible_for_crs
from gupgeo.readers.bulk import gc_paused
from gupgeo.readers.raw import RawLayer
from gupgeo.validation._rows import Labels
from gupgeo.validation.report import LayerReport


def decide_crs(xs: np.ndarray, ys: np.ndarray, raw: RawLayer, report: LayerReport) -> CRS | None:
    """The declared CRS, or the one the coordinates allow (said in the report), or None."""
    if raw.crs is not None:
        report.crs_source = raw.crs_note or f"{raw.crs.name} déclaré"
        declared = CRS.from_user_input(raw.crs)
        problem = implausible_for_crs(xs, ys, declared)
        if problem is not None:
            report.add("fatal", problem, kind="coordonnées incompatibles avec le CRS déclaré")
            return None
        return declared
    guess = guess_crs(xs, ys)
    if guess is None:
        ok = np.isfinite(xs) & np.isfinite(ys)
        extent = (
            f"X {np.min(xs[ok]):.0f} à {np.max(xs[ok]):.0f}, Y {np.min(ys[ok]):.0f} à "
            f"{np.max(ys[ok]):.0f}"
            if ok.any()
            else "aucune coordonnée"
        )
        report.add(
            "fatal",
            "aucun système de coordonnées déclaré, et les coordonnées ne sont ni des "
            f"longitudes/latitudes WGS84 ni du Lambert-93 ({extent}) ; déclarez le CRS "
            "(fichier .prj, ou reprojetez en EPSG:2154 / EPSG:4326)",
            kind="CRS indéterminé",
        )
        return None
    report.crs_source = f"non déclaré ; EPSG:{guess.crs.to_epsg()} retenu : {guess.reason}"
    report.add(
        "avertissement",
        f"CRS non déclaré : EPSG:{guess.crs.to_epsg()} retenu ({guess.reason})",
        kind="CRS déduit",
    )
    return guess.crs


def in_france(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x >= FRANCE_LON[0]) & (x <= FRANCE_LON[1]) & (y >= FRANCE_LAT[0]) & (y <= FRANCE_LAT[1])


def fix_swapped(
    geoms: np.ndarray, present: np.ndarray, report: LayerReport, labels: Labels
) -> np.ndarray:
    """Swap back points whose latitude and longitude were exchanged."""
    is_point = present & (shapely.get_type_id(geoms) == 0)
    if not is_point.any():
        return geoms
    pos = np.flatnonzero(is_point)
    x, y = shapely.get_x(geoms[pos]), shapely.get_y(geoms[pos])
    swapped = ~in_france(x, y) & in_france(y, x)
    if not swapped.any():
        return geoms
    out = geoms.copy()
    fix = pos[swapped]
    out[fix] = shapely.points(y[swapped], x[swapped])
    report_swaps(fix, x[swapped], y[swapped], report, labels)
    return out


def report_swaps(
    positions: np.ndarray, x: np.ndarray, y: np.ndarray, report: LayerReport, labels: Labels
) -> None:
    for p, xv, yv in zip(positions.tolist(), x.tolist(), y.tolist(), strict=True):
        report.add(
            "réparation",
            f"latitude et longitude inversées (x={xv:.5f}, y={yv:.5f}) : remises dans l'ordre",
            row=labels[p],
            kind="latitude/longitude inversées",
        )
    report.rows_repaired += len(positions)


def reproject(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    transformer = Transformer.from_crs(crs, WORK_CRS, always_xy=True)
    present = ~shapely.is_missing(geoms)
    out = geoms.copy()
    if present.any():
        with gc_paused():
            out[present] = shapely.transform(
                geoms[present],
                lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])),
            )
    return out
