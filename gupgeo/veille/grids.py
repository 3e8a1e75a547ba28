"""Aggregation grids: square cells aligned on the INSEE carroyage, counts per cell.

The INSEE carroyage (Filosofi "carreaux de 200 m") is defined in the European LAEA
projection (EPSG:3035): a cell's lower-left corner has coordinates that are multiples
of the cell size there, and its identifier reads ``CRS3035RES200mN2829600E3760200``.
Cells here are built the same way — a point falls in the cell ``floor(x / cell_m)``,
``floor(y / cell_m)`` of its EPSG:3035 coordinates — so that a 200 m grid matches the
INSEE one cell for cell and a population per carreau (``Ind`` in Filosofi, keyed by
``Idcar_200m``) can be joined on ``id_carreau`` as a denominator. The polygons are then
returned in Lambert-93 (EPSG:2154, the work CRS): there they are very slightly rotated
squares, turned by the difference of meridian convergence between the two projections
(about 5° around Tours, more towards the east and west edges of France), whose area is
within a fraction of a percent of ``cell_m²`` (39 934 m² for a 200 m cell at Tours).
Being rotated, they do not tile a Lambert-93 axis-aligned grid: cells aligned on
multiples of ``cell_m`` in Lambert-93 would be simpler, but would match no official
statistics.

Cells are kept when their centre lies in the study area (the quartiers buffered by
``buffer_m``), without cutting their geometry: every cell keeps its full size, which
matters for counts compared between cells. Each cell is tagged with the quartier that
contains its centre (``code_qp``), or ``"hors QPV"``.

Neighbours are read from the cell indices (Queen contiguity: the 8 surrounding cells),
not from polygon topology, which is exact on a regular grid and fast on tens of
thousands of cells.

:func:`hex_grid` offers H3 hexagons instead (resolution chosen from a target size;
the 6 adjacent hexagons as neighbours): every function here accepts either grid.
"""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph
from pyproj import Transformer
from scipy import sparse

from gupgeo.crs import WORK_CRS
from gupgeo.errors import AnalysisError, CRSError, SchemaError
from gupgeo.schemas import HORS_QPV

GRID_CRS = "EPSG:3035"
"""The CRS of the INSEE carroyage, in which cell corners are multiples of ``cell_m``."""

GRID_COLUMNS = ("id_carreau", "ix", "iy", "code_qp")
_TO_GRID = Transformer.from_crs(WORK_CRS, GRID_CRS, always_xy=True)
_FROM_GRID = Transformer.from_crs(GRID_CRS, WORK_CRS, always_xy=True)
_MAX_CELLS = 5_000_000


def _check_cell(cell_m: float) -> float:
    if not np.isfinite(cell_m) or cell_m <= 0:
        raise ValueError(
            f"cell_m doit être une taille de carreau positive en mètres ; reçu {cell_m!r}"
        )
    return float(cell_m)


def work_xy(
    layer: gpd.GeoDataFrame, *, name: str = "signalements"
) -> tuple[np.ndarray, np.ndarray]:
    """Lambert-93 coordinates of a point layer (a representative point for other geometries).

    Missing or empty geometries give NaN coordinates; a layer without a CRS is refused.
    """
    if not isinstance(layer, gpd.GeoDataFrame):
        raise SchemaError(
            f"la couche {name} doit être un GeoDataFrame ; reçu {type(layer).__name__}"
        )
    if layer.crs is None:
        raise CRSError(f"la couche {name} n'a pas de système de coordonnées (attendu EPSG:2154)")
    geoms = np.asarray(
        layer.to_crs(WORK_CRS).geometry.array if layer.crs != WORK_CRS else layer.geometry.array
    )
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    if (~bad).any():
        good = geoms[~bad]
        points = shapely.get_type_id(good) == 0
        pts = np.where(points, good, shapely.point_on_surface(good)) if not points.all() else good
        x[~bad], y[~bad] = shapely.get_x(pts), shapely.get_y(pts)
    return x, y


def cell_indices(x: np.ndarray, y: np.ndarray, *, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer cell indices of Lambert-93 coordinates on the EPSG:3035 grid of ``cell_m``.

    NaN coordinates give the index ``-1`` (in no cell).

    Examples
    --------
    >>> ix, iy = cell_indices(np.array([525_100.0]), np.array([6_702_100.0]), cell_m=200)
    >>> str(cell_id(ix, iy, cell_m=200)[0])
    'CRS3035RES200mN2742200E3619000'
    """
    cell_m = _check_cell(cell_m)
    gx, gy = _TO_GRID.transform(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"))
    ok = np.isfinite(gx) & np.isfinite(gy)
    ix = np.full(len(gx), -1, dtype="int64")
    iy = np.full(len(gy), -1, dtype="int64")
    ix[ok] = np.floor(gx[ok] / cell_m).astype("int64")
    iy[ok] = np.floor(gy[ok] / cell_m).astype("int64")
    return ix, iy


def cell_id(ix: np.ndarray, iy: np.ndarray, *, cell_m: float) -> np.ndarray:
    """INSEE-style identifiers ``CRS3035RES{cell_m}mN{y}E{x}`` of cell indices."""
    size = int(cell_m) if float(cell_m).is_integer() else cell_m
    north = (np.asarray(iy) * cell_m).astype("int64").astype(str)
    east = (np.asarray(ix) * cell_m).astype("int64").astype(str)
    return np.char.add(np.char.add(f"CRS3035RES{size}mN", north), np.char.add("E", east))


def _cell_polygons(ix: np.ndarray, iy: np.ndarray, cell_m: float) -> np.ndarray:
    x0, y0 = ix * cell_m, iy * cell_m
    cx = np.stack([x0, x0 + cell_m, x0 + cell_m, x0, x0], axis=1)
    cy = np.stack([y0, y0, y0 + cell_m, y0 + cell_m, y0], axis=1)
    wx, wy = _FROM_GRID.transform(cx.ravel(), cy.ravel())
    coords = np.stack([wx, wy], axis=1).reshape(len(ix), 5, 2)
    return shapely.polygons(coords)


def study_area(quartiers: gpd.GeoDataFrame, *, buffer_m: float = 500.0) -> shapely.Geometry:
    """The union of the quartiers buffered by ``buffer_m`` metres, in Lambert-93."""
    if quartiers.crs is None:
        raise CRSError("la couche quartiers n'a pas de système de coordonnées (attendu EPSG:2154)")
    geoms = quartiers.to_crs(WORK_CRS).geometry
    return shapely.union_all(shapely.buffer(np.asarray(geoms.array), buffer_m))


def _tag_quartiers(
    cx: np.ndarray, cy: np.ndarray, quartiers: gpd.GeoDataFrame | None
) -> np.ndarray:
    codes = np.full(len(cx), HORS_QPV, dtype=object)
    if quartiers is None or len(quartiers) == 0:
        return codes
    zones = quartiers.to_crs(WORK_CRS)
    tree = shapely.STRtree(np.asarray(zones.geometry.array))
    pt_idx, zone_idx = tree.query(shapely.points(cx, cy), predicate="within")
    # A centre on a shared border goes to the first quartier in the layer order.
    order = np.lexsort((zone_idx, pt_idx))
    pt_idx, zone_idx = pt_idx[order], zone_idx[order]
    first = np.unique(pt_idx, return_index=True)[1]
    codes[pt_idx[first]] = zones["code_qp"].astype(str).to_numpy()[zone_idx[first]]
    return codes


def square_grid(
    *,
    cell_m: float = 200.0,
    quartiers: gpd.GeoDataFrame | None = None,
    buffer_m: float = 500.0,
    bounds: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """The cells of a study area on the INSEE-aligned grid of ``cell_m`` metres.

    Parameters
    ----------
    cell_m
        Cell side in metres (200 reproduces the INSEE carroyage).
    quartiers
        Quartier polygons: the study area is their union buffered by ``buffer_m``, and
        each cell is tagged with the quartier containing its centre.
    buffer_m
        Margin around the quartiers, in metres.
    bounds
        Lambert-93 ``(xmin, ymin, xmax, ymax)`` used instead of the quartiers to say
        which cells to build (every cell whose centre lies inside).

    Returns
    -------
    GeoDataFrame
        One row per cell, columns ``id_carreau``, ``ix``, ``iy``, ``code_qp``, polygons
        in EPSG:2154, sorted by ``(ix, iy)``.

    Examples
    --------
    >>> g = square_grid(cell_m=200, bounds=(525_000, 6_702_000, 526_000, 6_703_000))
    >>> len(g), bool(abs(g.area.mean() - 40_000) < 100)
    (25, True)
    """
    cell_m = _check_cell(cell_m)
    if quartiers is not None:
        area = study_area(quartiers, buffer_m=buffer_m)
    elif bounds is not None:
        area = shapely.box(*bounds)
    else:
        raise ValueError("square_grid : donner quartiers (zone d'étude) ou bounds")
    if area.is_empty:
        raise AnalysisError("la zone d'étude est vide : aucun quartier avec une géométrie")
    xmin, ymin, xmax, ymax = area.bounds
    corners_x, corners_y = _TO_GRID.transform([xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
    ix0, ix1 = int(np.floor(min(corners_x) / cell_m)), int(np.floor(max(corners_x) / cell_m))
    iy0, iy1 = int(np.floor(min(corners_y) / cell_m)), int(np.floor(max(corners_y) / cell_m))
    n = (ix1 - ix0 + 1) * (iy1 - iy0 + 1)
    if n > _MAX_CELLS:
        raise AnalysisError(
            f"la zone d'étude compterait {n:,} carreaux de {cell_m:g} m (au plus {_MAX_CELLS:,}) : "
            "choisir des carreaux plus grands ou une zone plus petite".replace(",", " ")
        )
    gx, gy = np.meshgrid(np.arange(ix0, ix1 + 1), np.arange(iy0, iy1 + 1), indexing="ij")
    ix, iy = gx.ravel().astype("int64"), gy.ravel().astype("int64")
    cx, cy = _FROM_GRID.transform((ix + 0.5) * cell_m, (iy + 0.5) * cell_m)
    shapely.prepare(area)
    keep = shapely.contains_xy(area, cx, cy)
    return _make_grid(ix[keep], iy[keep], cell_m, quartiers)


def points_grid(x: np.ndarray, y: np.ndarray, *, cell_m: float = 200.0) -> gpd.GeoDataFrame:
    """Every cell of the EPSG:3035 rectangle holding the Lambert-93 points (none left out).

    The study area when no quartier is given: unlike a Lambert-93 bounding box, whose
    edge cells may have their centre outside it, this rectangle of cells holds every
    point.

    Examples
    --------
    >>> g = points_grid(np.array([525_000.0, 525_900.0]), np.array([6_702_000.0, 6_702_100.0]))
    >>> len(g) >= 5, bool((locate(g, np.array([525_900.0]), np.array([6_702_100.0])) >= 0).all())
    (True, True)
    """
    cell_m = _check_cell(cell_m)
    ix, iy = cell_indices(x, y, cell_m=cell_m)
    ok = (ix >= 0) & np.isfinite(np.asarray(x, dtype="float64"))
    if not ok.any():
        raise AnalysisError("aucun signalement localisé : pas de zone d'étude")
    ix0, ix1, iy0, iy1 = ix[ok].min(), ix[ok].max(), iy[ok].min(), iy[ok].max()
    n = int((ix1 - ix0 + 1) * (iy1 - iy0 + 1))
    if n > _MAX_CELLS:
        raise AnalysisError(
            f"les signalements couvrent {n:,} carreaux de {cell_m:g} m (au plus {_MAX_CELLS:,}) : "
            "donner les quartiers comme zone d'étude ou prendre des carreaux plus grands".replace(
                ",", " "
            )
        )
    gx, gy = np.meshgrid(np.arange(ix0, ix1 + 1), np.arange(iy0, iy1 + 1), indexing="ij")
    return _make_grid(gx.ravel().astype("int64"), gy.ravel().astype("int64"), cell_m, None)


def _make_grid(
    ix: np.ndarray, iy: np.ndarray, cell_m: float, quartiers: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    cx, cy = _FROM_GRID.transform((ix + 0.5) * cell_m, (iy + 0.5) * cell_m)
    grid = gpd.GeoDataFrame(
        {
            "id_carreau": cell_id(ix, iy, cell_m=cell_m),
            "ix": ix,
            "iy": iy,
            "code_qp": _tag_quartiers(cx, cy, quartiers),
        },
        geometry=_cell_polygons(ix, iy, cell_m),
        crs=WORK_CRS,
    )
    grid.attrs["cell_m"] = cell_m
    return grid


def _keys(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    # EPSG:3035 indices stay far below 2**31 for any cell of a metre or more.
    return (np.asarray(ix, dtype="int64") << 32) + np.asarray(iy, dtype="int64")


def locate(
    grid: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, *, cell_m: float | None = None
) -> np.ndarray:
    """Row position in ``grid`` of the cell holding each Lambert-93 point, ``-1`` outside.

    ``grid`` must be sorted by ``(ix, iy)``, as :func:`square_grid` returns it, or be an
    H3 grid from :func:`hex_grid`.
    """
    if grid.attrs.get("h3_resolution") is not None:
        return _locate_h3(grid, x, y)
    size = _check_cell(cell_m if cell_m is not None else grid.attrs.get("cell_m", np.nan))
    ix, iy = cell_indices(x, y, cell_m=size)
    keys = _keys(grid["ix"].to_numpy(), grid["iy"].to_numpy())
    wanted = _keys(ix, iy)
    pos = np.searchsorted(keys, wanted)
    pos = np.minimum(pos, max(len(keys) - 1, 0))
    found = (len(keys) > 0) & (ix >= 0)
    found = found & (keys[pos] == wanted) if len(keys) else np.zeros(len(ix), dtype=bool)
    return np.where(found, pos, -1)


def count_in_cells(
    grid: gpd.GeoDataFrame,
    signalements: gpd.GeoDataFrame,
    *,
    by: str | None = None,
    freq: str | None = None,
) -> pd.DataFrame:
    """Signalements per cell, optionally by a column (``categorie``) and by period.

    Parameters
    ----------
    grid
        Cells from :func:`square_grid`.
    signalements
        Point layer with a CRS; ``date_signalement`` is needed when ``freq`` is given.
    by
        A column whose values become columns of the result (``"categorie"``).
    freq
        ``"month"``, ``"quarter"`` or ``"year"``: one column per period.

    Returns
    -------
    DataFrame
        Indexed by ``id_carreau`` (every cell of the grid, zeros included); one column
        ``nb_signalements`` without ``by`` nor ``freq``, else one column per value or
        period (a two-level column index ``(periode, value)`` when both are given).
        ``attrs["hors_zone"]`` is the number of signalements that fell in no cell.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = square_grid(cell_m=200, bounds=(525_000, 6_702_000, 526_000, 6_703_000))
    >>> s = gpd.GeoDataFrame({"categorie": ["tags", "tags", "voirie"]},
    ...     geometry=[Point(525_500, 6_702_500)] * 2 + [Point(0, 0)], crs=2154)
    >>> c = count_in_cells(g, s, by="categorie")
    >>> int(c["tags"].sum()), c.attrs["hors_zone"]
    (2, 1)
    """
    x, y = work_xy(signalements)
    pos = locate(grid, x, y)
    inside = pos >= 0
    keys: list[pd.Series] = []
    if freq is not None:
        from gupgeo.indicators import parse_freq

        code = {"month": "M", "quarter": "Q", "year": "Y"}[parse_freq(freq)]
        dates = pd.to_datetime(signalements["date_signalement"], errors="coerce")
        keys.append(dates.dt.to_period(code).astype(str).rename("periode"))
        inside &= dates.notna().to_numpy()
    if by is not None:
        if by not in signalements.columns:
            raise SchemaError(f"colonne {by!r} absente des signalements (by={by!r})")
        values = signalements[by].astype(object)
        keys.append(values.where(values.notna(), "non renseigné").astype(str).rename(by))
    ids = pd.Series(grid["id_carreau"].to_numpy()[pos[inside]], name="id_carreau")
    if not keys:
        counts = ids.value_counts().rename("nb_signalements").to_frame()
    else:
        frame = pd.concat([ids, *(k[inside].reset_index(drop=True) for k in keys)], axis=1)
        counts = (
            frame.groupby(["id_carreau", *(k.name for k in keys)])
            .size()
            .unstack([str(k.name) for k in keys])
        )
        counts = counts.sort_index(axis=1)
    out = counts.reindex(pd.Index(grid["id_carreau"], name="id_carreau")).fillna(0).astype("int64")
    out.attrs["hors_zone"] = int((~inside).sum())
    return out


def queen_weights(grid: gpd.GeoDataFrame, *, self_weight: bool = False) -> Graph:
    """Binary Queen contiguity of the cells (the 8 surrounding cells), from their indices.

    On an H3 grid (:func:`hex_grid`) the neighbours are the 6 adjacent hexagons.
    A libpysal :class:`~libpysal.graph.Graph` (esda runs on it as on a ``W``, and a
    Graph is far cheaper to transform: one Gi* per period stays fast). Its ids are the
    row positions of ``grid``. ``self_weight=True`` adds each cell to its own
    neighbourhood (weight 1), as Gi* wants it.

    Examples
    --------
    >>> w = queen_weights(square_grid(cell_m=200, bounds=(0, 6_700_000, 600, 6_700_600)))
    >>> w.n, int(w.cardinalities.iloc[4])
    (9, 8)
    """
    if grid.attrs.get("h3_resolution") is not None:
        return _h3_weights(grid, self_weight=self_weight)
    keys = _keys(grid["ix"].to_numpy(), grid["iy"].to_numpy())
    rows, cols = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if dx == dy == 0:
                continue
            wanted = keys + (dx << 32) + dy
            pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            hit = keys[pos] == wanted
            rows.append(np.flatnonzero(hit))
            cols.append(pos[hit])
    r, c = np.concatenate(rows), np.concatenate(cols)
    if self_weight:
        r = np.r_[r, np.arange(len(keys))]
        c = np.r_[c, np.arange(len(keys))]
    matrix = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(keys), len(keys)))
    return Graph.from_sparse(matrix)


def h3_resolution(target_m: float) -> int:
    """The H3 resolution whose average hexagon has the area of a ``target_m`` square.

    Examples
    --------
    >>> h3_resolution(200), h3_resolution(1_000)
    (9, 8)
    """
    target_m = _check_cell(target_m)
    sides = np.sqrt([h3.average_hexagon_area(r, "m^2") for r in range(16)])
    return int(np.argmin(np.abs(np.log(sides / target_m))))


def hex_grid(
    quartiers: gpd.GeoDataFrame, *, target_m: float = 200.0, buffer_m: float = 500.0
) -> gpd.GeoDataFrame:
    """H3 hexagons whose centre lies in the study area (quartiers + ``buffer_m``).

    The resolution is :func:`h3_resolution` of ``target_m`` (H3 sizes step by a factor
    of about 2.6 in side: 200 m gives resolution 9, hexagons of about 0.1 km²).
    ``id_carreau`` is the H3 index; the result works wherever a :func:`square_grid`
    does (:func:`count_in_cells`, :func:`queen_weights`, ``hotspots(grid=…)``).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> square = box(525_000, 6_702_000, 526_000, 6_703_000)
    >>> q = gpd.GeoDataFrame({"code_qp": ["QP"]}, geometry=[square], crs=2154)
    >>> g = hex_grid(q, target_m=200, buffer_m=0)
    >>> g.attrs["h3_resolution"], 5 < len(g) < 20
    (9, True)
    """
    resolution = h3_resolution(target_m)
    area = gpd.GeoSeries([study_area(quartiers, buffer_m=buffer_m)], crs=WORK_CRS).to_crs(4326)
    cells = sorted(h3.geo_to_cells(area.iloc[0], resolution))
    if not cells:
        raise AnalysisError("la zone d'étude ne contient le centre d'aucun hexagone H3")
    rings = [np.array(h3.cell_to_boundary(c))[:, ::-1] for c in cells]
    polygons = gpd.GeoSeries(shapely.polygons(rings), crs=4326).to_crs(WORK_CRS)
    centres = np.array([h3.cell_to_latlng(c) for c in cells])
    cx, cy = Transformer.from_crs(4326, WORK_CRS, always_xy=True).transform(
        centres[:, 1], centres[:, 0]
    )
    grid = gpd.GeoDataFrame(
        {"id_carreau": cells, "code_qp": _tag_quartiers(np.asarray(cx), np.asarray(cy), quartiers)},
        geometry=polygons.to_numpy(),
        crs=WORK_CRS,
    )
    grid.attrs["h3_resolution"] = resolution
    return grid


def _locate_h3(grid: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    resolution = int(grid.attrs["h3_resolution"])
    lon, lat = Transformer.from_crs(WORK_CRS, 4326, always_xy=True).transform(x, y)
    ok = np.isfinite(lon) & np.isfinite(lat)
    ids = np.full(len(lon), "", dtype=object)
    ids[ok] = [h3.latlng_to_cell(a, b, resolution) for a, b in zip(lat[ok], lon[ok], strict=True)]
    pos = pd.Index(grid["id_carreau"]).get_indexer(ids)
    return np.where(ok, pos, -1)


def _h3_weights(grid: gpd.GeoDataFrame, *, self_weight: bool) -> Graph:
    index = pd.Index(grid["id_carreau"])
    rows, cols = [], []
    for i, cell in enumerate(grid["id_carreau"]):
        for other in h3.grid_ring(cell, 1):
            j = index.get_loc(other) if other in index else -1
            if j >= 0:
                rows.append(i)
                cols.append(j)
    if self_weight:
        rows.extend(range(len(index)))
        cols.extend(range(len(index)))
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(index), len(index)))
    return Graph.from_sparse(matrix)
