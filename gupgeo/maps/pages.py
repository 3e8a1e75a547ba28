"""The one place where the atlas and the review use :mod:`gupgeo.maps`.

Interactive maps are made by the maps package (offline Leaflet, French controls,
publication profiles) and saved beside the pages with their libraries linked from
one shared folder. Folium names its elements with random identifiers; they are
renumbered here so the same inputs give the same bytes.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.crs import WORK_CRS
from gupgeo.maps import (
    add_choropleth,
    add_operations,
    add_quartiers,
    add_signalements,
    base_map,
    map_territory,
    save_map,
)
from gupgeo.maps._vector import classify as _classify
from gupgeo.maps.caption import Caption
from gupgeo.maps.veille import add_emerging, add_hotspots, add_repeated
from gupgeo.publication import SECRET_THRESHOLD, Profil, Publication

MAP_ASSETS = "assets/carte"
"""Shared folder of the map libraries, relative to the atlas root."""


def bounds_wgs84(box: Sequence[float]) -> tuple[float, float, float, float]:
    """Lambert-93 ``(minx, miny, maxx, maxy)`` → WGS84 ``(west, south, east, north)``."""
    poly = gpd.GeoSeries([shapely.box(*box)], crs=WORK_CRS).to_crs(4326)
    west, south, east, north = poly.total_bounds
    return float(west), float(south), float(east), float(north)


@contextmanager
def quiet_classes() -> Iterator[None]:
    """Silence mapclassify's remarks on few values (a quartier has few spots, an atlas few
    quartiers) and on Numba: the classes are still right, the warnings would only alarm."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        yield


def _save(m: Any, path: Path, *, root: Path) -> int:
    depth = len(path.parent.relative_to(root).parts)
    folder = "/".join([".."] * depth + [MAP_ASSETS])
    report = save_map(m, path, self_contained=False, assets_folder=folder)
    return report.total_bytes


def quartier_map(
    layers: Any,
    path: Path,
    *,
    root: Path,
    box: Sequence[float],
    caption: Caption,
    publication: str,
    basemap: str | None,
    code_qp: str | None = None,
    cells: gpd.GeoDataFrame | None = None,
    problems: gpd.GeoDataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> int:
    """The interactive map of one page, fitted on ``box`` (Lambert-93); returns its size.

    ``layers``: a mapping layer name → frame, or a
    :class:`~gupgeo.publication.Publication` (rows already published). With ``code_qp``,
    the "Signalements" layer and its legend hold the quartier's signalements only (the
    dashboard's figure); the others in the frame form a second layer, hidden at first.
    ``cells`` (published veille cells) add the hot spots and the emerging categories,
    hidden at first; ``problems`` and ``history`` the repeated problems with the history
    of their reports (:mod:`gupgeo.maps.veille`).
    """
    own, around = _split_signalements(layers, code_qp)
    with quiet_classes():
        m = map_territory(
            own,
            basemap=basemap,
            caption=caption,
            publication=publication,
            signalements_views=("clusters", "heatmap"),
        )
        if around is not None and len(around) and Profil.parse(publication).locates:
            add_signalements(
                m, around, name="Signalements alentour (autres quartiers, hors QPV)", show=False
            )
        if cells is not None and len(cells):
            add_hotspots(m, cells, show=False)
            add_emerging(m, cells, show=False)
        if problems is not None and len(problems):
            add_repeated(m, problems, history)
    west, south, east, north = bounds_wgs84(box)
    m.bounds = [[south, west], [north, east]]
    return _save(m, path, root=root)


def _split_signalements(
    layers: Publication, code_qp: str | None
) -> tuple[Publication, pd.DataFrame | None]:
    """(the publication with the quartier's own signalements, the other signalements)."""
    frames = dict(layers.layers)
    sig = frames.get("signalements")
    if code_qp is None or sig is None or "code_qp" not in sig.columns:
        return layers, None
    mine = (sig["code_qp"].astype("object") == code_qp).to_numpy()
    frames["signalements"] = sig[mine]
    return layers.restricted(frames), sig[~mine]


def overview_map(
    quartiers: gpd.GeoDataFrame,
    values: pd.Series,
    path: Path,
    *,
    root: Path,
    name: str,
    value_label: str,
    extra: pd.DataFrame | None,
    caption: Caption,
    publication: str,
    basemap: str | None,
    secret: pd.Series | None = None,
) -> int:
    """The choropleth of the index page; returns its size."""
    m = base_map(basemap=basemap, caption=caption, publication=publication)
    with quiet_classes():
        add_choropleth(
            m,
            quartiers,
            values,
            name=name,
            value_label=value_label,
            scheme="FisherJenks",
            k=5,
            decimals=1,
            secret=secret,
            extra=extra,
        )
    add_quartiers(m, quartiers, name="Quartiers (contours)", show=True)
    return _save(m, path, root=root)


def review_map(
    layers: Any,
    perimeter: gpd.GeoDataFrame,
    ring: gpd.GeoDataFrame,
    *,
    caption: Caption,
    publication: str,
    basemap: str | None,
    veille: Any = None,
) -> str:
    """The review's map as one self-contained HTML document (libraries inlined).

    ``veille`` (:class:`gupgeo.review.veille.ReviewVeille`) adds its cells (hot spots,
    emerging categories, hidden at first) and its repeated problems with their history.
    """
    m = map_territory(
        layers,
        basemap=basemap,
        caption=caption,
        publication=publication,
        signalements_views=("clusters", "heatmap"),
    )
    if veille is not None:
        with quiet_classes():
            add_hotspots(m, veille.found.cells, show=False)
            add_emerging(m, veille.found.cells, show=False)
            if len(veille.problems):
                add_repeated(m, veille.problems, veille.history)
    add_quartiers(m, ring, name="Abords étudiés", theme="Périmètre")
    add_operations(m, perimeter, name="Périmètre étudié", theme="Périmètre")
    box = shapely.box(*ring.total_bounds).buffer(20).bounds
    west, south, east, north = bounds_wgs84(box)
    m.bounds = [[south, west], [north, east]]
    return str(m.get_root().render())


def classes(values: pd.Series, *, k: int = 5) -> tuple[np.ndarray, list[str], list[str]]:
    """The overview's classes (same as the interactive choropleth): index, labels, colours."""
    with quiet_classes():
        return _classify(values, scheme="FisherJenks", k=k, decimals=1)


__all__ = [
    "MAP_ASSETS",
    "SECRET_THRESHOLD",
    "bounds_wgs84",
    "classes",
    "overview_map",
    "quartier_map",
    "review_map",
]
