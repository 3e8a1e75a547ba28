"""Counts that may be published: statistical secrecy, grids and zones.

A count below the threshold (11 by default, in the manner of statistical secrecy) is
"secret" — never 0 and never shown; :func:`protect_table` adds the complementary
suppression of :mod:`gupgeo.secrecy` so that no secret count can be recomputed from
the totals a reader sees. Points become counts on a Lambert-93 grid
(:func:`aggregate_to_grid`) or per quartier (:func:`aggregate_to_zones`).
"""

from __future__ import annotations

from collections.abc import Hashable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.attribution import REPORT_ATTR, count_by_zone
from gupgeo.crs import to_work_crs
from gupgeo.french import format_number
from gupgeo.secrecy import suppress_table

SECRET_THRESHOLD = 11
SECRET_LABEL = "secret"
EVENT_LAYERS: tuple[str, ...] = ("signalements", "constats", "actions")
"""Layers whose points are aggregated by the ``public`` profile."""
GRID_CELL_M = 200.0
"""Default side of the ``public`` grid cells, in metres."""


def apply_secret(counts: pd.Series, *, threshold: int = SECRET_THRESHOLD) -> pd.DataFrame:
    """Counts with statistical secrecy: ``effectif`` is <NA> and ``libelle`` "secret"
    wherever the count is below ``threshold`` (zero included); ``libelle`` is the count as
    a French reader writes it (narrow no-break space between thousands).

    Examples
    --------
    >>> apply_secret(pd.Series([3, 25, 4764], index=["a", "b", "c"]))["libelle"].tolist()
    ['secret', '25', '4\u202f764']
    """
    values = counts.astype("Int64")
    secret = (values < threshold).fillna(True).astype(bool)
    return pd.DataFrame(
        {
            "effectif": values.mask(secret),
            "secret": secret,
            "libelle": [
                SECRET_LABEL if s else format_number(int(v))
                for v, s in zip(values, secret, strict=True)
            ],
        },
        index=counts.index,
    )


def aggregate_to_grid(
    points: gpd.GeoDataFrame, *, cell_size_m: float = 200.0, threshold: int = SECRET_THRESHOLD
) -> gpd.GeoDataFrame:
    """Count points (representative point of other geometries) on a Lambert-93 grid.

    Cells are squares anchored on multiples of ``cell_size_m``; only cells holding at
    least one point are returned, with ``carreau`` (an id such as
    ``L93_200m_E525000_N6702400``), ``effectif``, ``secret`` and ``libelle``.
    """
    if not 100 <= cell_size_m <= 1000:
        raise ValueError(f"cell_size_m : {cell_size_m!r} ; attendu entre 100 et 1000 m")
    work = to_work_crs(points, name="points à agréger")
    geoms = work.geometry.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    geoms = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    size = float(cell_size_m)
    corners = pd.DataFrame(
        {
            "e": (np.floor(shapely.get_x(geoms) / size) * size).astype("int64"),
            "n": (np.floor(shapely.get_y(geoms) / size) * size).astype("int64"),
        }
    )
    counts = corners.value_counts().sort_index()
    east = counts.index.get_level_values("e").to_numpy()
    north = counts.index.get_level_values("n").to_numpy()
    ids = [f"L93_{size:g}m_E{e}_N{n}" for e, n in zip(east, north, strict=True)]
    table = apply_secret(pd.Series(counts.to_numpy(), index=ids), threshold=threshold)
    return gpd.GeoDataFrame(
        {
            "carreau": pd.array(ids, dtype="string"),
            **{c: table[c].array for c in table.columns},
        },
        geometry=shapely.box(east, north, east + size, north + size),
        crs=work.crs,
    )


def aggregate_to_zones(
    points: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    id_column: str = "code_qp",
    threshold: int = SECRET_THRESHOLD,
) -> tuple[gpd.GeoDataFrame, int]:
    """Count features per zone (every zone, zero included) with secrecy.

    Points already attributed (they carry ``id_column``, as every layer of an attributed
    territory does) are counted from that column, so a map shows the very figure of
    the dashboard; otherwise counting is :func:`gupgeo.attribution.count_by_zone` (a
    point on a perimeter counts). Also returns how many features fell outside every zone.
    """
    zones_work = to_work_crs(zones, name="zones")
    if id_column in points.columns:
        codes = points[id_column]
        counts = codes.value_counts().reindex(zones_work[id_column], fill_value=0)
        outside = int(len(codes) - int(counts.sum()))
        table = apply_secret(counts.astype("int64"), threshold=threshold)
    else:
        light = gpd.GeoDataFrame(geometry=points.geometry.array, crs=points.crs)
        counted = count_by_zone(light, zones_work, key=id_column)
        outside = int(counted.attrs[REPORT_ATTR][id_column].n_outside)
        table = apply_secret(counted["nombre"].reindex(zones_work[id_column]), threshold=threshold)
    keep = [id_column, *[c for c in ("nom_qp",) if c in zones_work.columns]]
    out = gpd.GeoDataFrame(
        zones_work[keep].reset_index(drop=True),
        geometry=zones_work.geometry.to_numpy(),
        crs=zones_work.crs,
    )
    for column in table.columns:
        out[column] = table[column].array
    return out, outside


def protect_table(
    counts: pd.DataFrame,
    *,
    threshold: int = SECRET_THRESHOLD,
    total_row: Hashable | None = None,
    total_column: Hashable | None = None,
) -> pd.DataFrame:
    """A count table as published: every count from 1 to ``threshold - 1`` reads
    « secret », and so does every cell needed so that none can be recomputed from the
    totals shown (complementary suppression). Zeros are shown (they reveal no one).

    Examples
    --------
    >>> counts = pd.DataFrame({"a": [3, 15, 18], "b": [20, 25, 45]}, index=["x", "y", "total"])
    >>> protect_table(counts, total_row="total").to_dict("list")
    {'a': ['secret', 'secret', 18], 'b': [20, 25, 45]}
    """
    values = counts.apply(pd.to_numeric, errors="coerce")
    primary = (values >= 1) & (values < threshold)
    hidden = suppress_table(values, primary, total_row=total_row, total_column=total_column)
    return counts.astype(object).mask(hidden, SECRET_LABEL)
