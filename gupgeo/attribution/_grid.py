"""Grid index answering "which polygons cover this point?" for millions of points.

Private to :mod:`gupgeo.attribution.zones`. The index lays a regular grid over the
zones (Lambert-93 metres) and classifies every cell, for every zone whose
bounding box reaches it, as *inside* (the whole cell lies in the zone's
interior), *outside*, or *boundary* (the zone's perimeter may cross the cell).
A point then costs one array look-up: cells inside exactly one zone and cells
outside every zone answer directly; only points in boundary cells, or in cells
shared by overlapping zones, go through an exact point-in-polygon test
(``shapely.intersects_xy`` / ``shapely.contains_xy`` on prepared polygons).

The classification is conservative by construction: each perimeter is sampled
every cs/4 (cs: cell size) and each sample marks every cell within 0.13 cs of
it, so every cell a perimeter touches is a boundary cell; an unmarked cell lies
wholly on one side, decided by testing one centre per run of unmarked cells
along a row. Points on a perimeter therefore always get the exact predicate.

Zones close together (a city) use one dense table of bytes; zones spread far
apart (all the QPV of France) use a sparse layout: the grid is cut into 16 x 16
blocks and only the blocks a zone reaches get cells, behind a table of block
numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import shapely

OUTSIDE = 0
INSIDE = 1
BOUNDARY = 2

T = TypeVar("T")

NO_ZONE = -1
"""Zone position meaning "no zone"."""

# Number of cells covered by zone bounding boxes, per point to classify.
_POINTS_PER_CELL = 8
_MIN_WINDOW_CELLS = 4_096
_MAX_WINDOW_CELLS = 2_000_000
# A dense table may hold this many cells per cell of the zones' windows.
_DENSE_PER_WINDOW_CELL = 16
# Cap on a dense table (bytes), and on the block table of a sparse grid (int32).
_MAX_GRID_CELLS = 16_000_000
# Sparse grids are cut into blocks of 2**_BLOCK_SHIFT x 2**_BLOCK_SHIFT cells.
_BLOCK_SHIFT = 4
# Half-width (in cell sizes) of the square marked around each perimeter vertex; the
# vertices are cs/4 apart, so 1/8 would do; the rest is a margin for rounding.
_BAND_HALF_WIDTH = 0.13
# From this many points, the look-up runs in two threads, one per half of the points.
_THREADED_POINTS = 100_000
# From this many exact tests, they run in two threads.
_THREADED_TESTS = 50_000
# Exact tests are made zone by zone (one GEOS call each) when a zone gets this many on
# average; otherwise in one call over an array of geometries.
_TESTS_PER_CALL = 64
# Points looked up per step: a step's intermediate arrays stay in the CPU cache (64K
# points: 30 ms for 5M points against 70 ms in whole-array passes).
_BLOCK_POINTS = 1 << 16


def halves(n: int, threshold: int) -> list[slice]:
    """``[0, n)`` whole, or cut in two halves from ``threshold`` items."""
    if n < threshold:
        return [slice(0, n)]
    return [slice(0, n // 2), slice(n // 2, n)]


def in_threads(work: Callable[[slice], T], parts: list[slice]) -> list[T]:
    """``work(part)`` for every part, each in its own thread when there are several.

    For work that releases the GIL: numpy's loops over large arrays and shapely's
    vectorised functions do.
    """
    if len(parts) == 1:
        return [work(parts[0])]
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        return list(pool.map(work, parts))


@dataclass(frozen=True)
class PointMatches:
    """Zones covering each point.

    Attributes
    ----------
    first
        Position (in zone order) of the first zone covering each point, ``-1`` if none.
    multi_points
        Positions of the points covered by two zones or more (sorted).
    pair_points, pair_zones
        Every (point, zone) pair for the points in ``multi_points``, sorted by
        point then zone.
    """

    first: np.ndarray
    multi_points: np.ndarray
    pair_points: np.ndarray
    pair_zones: np.ndarray


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values of a sorted array, with the start and length of each run."""
    start = np.flatnonzero(np.diff(values, prepend=values[:1] - 1) != 0) if values.size else values
    count = np.diff(np.append(start, values.size))
    return values[start], start, count


class ZoneGrid:
    """A grid index over polygons, built once per attribution call.

    Parameters
    ----------
    geoms
        Polygonal zones (Lambert-93), ``None`` or empty allowed (they never match).
        They are prepared in place.
    predicate
        ``"covered_by"`` (a point on a perimeter is inside) or ``"within"``
        (interior only).
    n_points
        Number of points expected; sizes the grid.
    margin_m
        Extra extent around the zones, used by :meth:`near`.
    sparse
        Force the sparse (``True``) layout; by default it is chosen when a dense
        table over the zones' extent would be too large.
    """

    def __init__(
        self,
        geoms: np.ndarray,
        *,
        predicate: str,
        n_points: int,
        margin_m: float = 0.0,
        sparse: bool | None = None,
    ) -> None:
        self.geoms = geoms
        self.predicate = predicate
        self.margin_m = float(margin_m)
        shapely.prepare(geoms)
        bounds = shapely.bounds(geoms)
        self._valid = ~np.isnan(bounds[:, 0])
        self._bounds = bounds
        if not self._valid.any():
            self.nx = self.ny = 0
            return
        b = bounds[self._valid]
        xmin, ymin = b[:, 0].min() - margin_m, b[:, 1].min() - margin_m
        xmax, ymax = b[:, 2].max() + margin_m, b[:, 3].max() + margin_m
        width, height = max(xmax - xmin, 1e-6), max(ymax - ymin, 1e-6)
        window_area = float(
            np.sum(np.maximum(b[:, 2] - b[:, 0], 1e-6) * np.maximum(b[:, 3] - b[:, 1], 1e-6))
        )
        budget = min(max(n_points // _POINTS_PER_CELL, _MIN_WINDOW_CELLS), _MAX_WINDOW_CELLS)
        cell = max(math.sqrt(window_area / budget), 1e-3)
        # A dense table when the zones fill their extent (a city), up to 16 cells per
        # cell of the zones' windows: a point then costs one index computation (5M points
        # on 105 quartiers: 40 ms against 66 ms through blocks); blocks of cells
        # allocated only where a zone reaches otherwise (zones spread over France).
        dense_cap = min(max(_DENSE_PER_WINDOW_CELL * budget, 1_000_000), _MAX_GRID_CELLS)
        self.sparse = (
            (width / cell + 5) * (height / cell + 5) > dense_cap if sparse is None else sparse
        )
        if self.sparse:
            blocks = _MAX_GRID_CELLS << (2 * _BLOCK_SHIFT)
            cell = max(cell, math.sqrt(width * height / blocks))
        self.cell = cell
        # Two empty cells on every side: the outermost ring of cells is never reached
        # by a zone, so points off the grid can be clamped onto it.
        self.x0 = xmin - 2 * cell
        self.y0 = ymin - 2 * cell
        self.nx = int(width / cell) + 5
        self.ny = int(height / cell) + 5
        self._build()

    # -- construction -------------------------------------------------------------------

    def _windows(self, extra: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Cell ranges (ix0, iy0, ix1, iy1, inclusive) of the valid zones' boxes."""
        b = self._bounds[self._valid]
        ix0 = np.maximum(((b[:, 0] - self.x0) / self.cell).astype(np.int64) - extra, 0)
        iy0 = np.maximum(((b[:, 1] - self.y0) / self.cell).astype(np.int64) - extra, 0)
        ix1 = np.minimum(((b[:, 2] - self.x0) / self.cell).astype(np.int64) + extra, self.nx - 1)
        iy1 = np.minimum(((b[:, 3] - self.y0) / self.cell).astype(np.int64) + extra, self.ny - 1)
        return ix0, iy0, ix1, iy1

    def _setup_blocks(self) -> int:
        """Number the blocks a zone (or its margin) reaches; return the table size."""
        if not self.sparse:
            return self.nx * self.ny
        shift = _BLOCK_SHIFT
        self.nbx = ((self.nx - 1) >> shift) + 1
        nby = ((self.ny - 1) >> shift) + 1
        active = np.zeros((nby, self.nbx), dtype=bool)
        # The margin, plus the cell a perimeter may mark beyond its box: near() stays inside.
        extra = math.ceil(self.margin_m / self.cell) + 2
        for ix0, iy0, ix1, iy1 in zip(*self._windows(extra), strict=True):
            active[iy0 >> shift : (iy1 >> shift) + 1, ix0 >> shift : (ix1 >> shift) + 1] = True
        ids = np.flatnonzero(active.ravel())
        self._block = np.zeros(nby * self.nbx, dtype=np.int32)  # block 0: empty, all zeros
        self._block[ids] = np.arange(1, ids.size + 1, dtype=np.int32)
        return (ids.size + 1) << (2 * shift)

    def _index(self, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """Table index of grid cells (column gx, row gy)."""
        if not self.sparse:
            return gy * self.nx + gx
        shift, mask = _BLOCK_SHIFT, (1 << _BLOCK_SHIFT) - 1
        block = self._block[(gy >> shift) * self.nbx + (gx >> shift)].astype(np.int64)
        return (block << (2 * shift)) | ((gy & mask) << shift) | (gx & mask)

    def _build(self) -> None:
        """Classify the cells of every zone's window, all zones at once."""
        table_size = self._setup_blocks()
        cs = self.cell
        zones = np.flatnonzero(self._valid)
        geoms = self.geoms[zones]
        ix0, iy0, ix1, iy1 = self._windows()
        wx, wy = ix1 - ix0 + 1, iy1 - iy0 + 1
        offset = np.concatenate(([0], np.cumsum(wx * wy)))
        total = int(offset[-1])
        # Boundary cells: vertices every cs/4 along each ring, so that every point of
        # a perimeter lies within cs/8 (per axis) of a vertex; each vertex marks the
        # cells met by the square of half-side _BAND_HALF_WIDTH around it (2 x 2 at
        # most). Windows have a one-cell margin, so the marks stay inside them.
        rings = shapely.segmentize(shapely.boundary(geoms), cs / 4)
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        fx = (xy[:, 0] - self.x0) / cs - ix0[ring]
        fy = (xy[:, 1] - self.y0) / cs - iy0[ring]
        base, width = offset[ring], wx[ring]
        band = np.zeros(total, dtype=bool)
        for dy in (-_BAND_HALF_WIDTH, _BAND_HALF_WIDTH):
            row = base + np.floor(fy + dy).astype(np.int64) * width
            for dx in (-_BAND_HALF_WIDTH, _BAND_HALF_WIDTH):
                band[row + np.floor(fx + dx).astype(np.int64)] = True
        # Every other cell lies wholly on one side of its zone's perimeter, and so does
        # each run of consecutive such cells along a window row: one centre per run
        # is tested.
        free = ~band
        start = free.copy()
        start[1:] &= band[:-1]
        row_zone = np.repeat(np.arange(zones.size), wy)
        row_first = (
            offset[row_zone]
            + (np.arange(row_zone.size) - np.repeat(np.cumsum(wy) - wy, wy)) * wx[row_zone]
        )
        start[row_first] = free[row_first]
        starts = np.flatnonzero(start)
        cell_owner = np.repeat(np.arange(zones.size), wx * wy)
        owner = cell_owner[starts]
        sy, sx = np.divmod(starts - offset[owner], wx[owner])
        inside = shapely.contains_xy(
            geoms[owner],
            self.x0 + (ix0[owner] + sx + 0.5) * cs,
            self.y0 + (iy0[owner] + sy + 0.5) * cs,
        )
        run = np.cumsum(start) - 1
        state = np.where(inside, INSIDE, OUTSIDE).astype(np.int8)[np.maximum(run, 0)]
        state[band] = BOUNDARY
        # Keep the cells a zone reaches, as (grid cell, zone, state), zone-major.
        kept = np.flatnonzero(state != OUTSIDE)
        owner = cell_owner[kept]
        ly, lx = np.divmod(kept - offset[owner], wx[owner])
        cells = self._index(ix0[owner] + lx, iy0[owner] + ly)
        cell_zone = zones[owner].astype(np.int32)
        cell_state = state[kept]
        edge = cell_state == BOUNDARY  # grid columns and rows of perimeter cells, for near()
        self._edge_gx, self._edge_gy = ix0[owner][edge] + lx[edge], iy0[owner][edge] + ly[edge]
        self._near: tuple[float, np.ndarray] | None = None
        order = np.argsort(cells, kind="stable")  # zone order kept within a cell
        cells, cell_zone, cell_state = cells[order], cell_zone[order], cell_state[order]
        shared = np.zeros(cells.size, dtype=bool)
        shared[1:] = cells[1:] == cells[:-1]
        shared[:-1] |= shared[1:]
        several = _runs(cells[shared | (cell_state == BOUNDARY)])[0]
        self._fill_tables(table_size, cells, cell_zone, cell_state, several)

    def _fill_tables(
        self,
        table_size: int,
        cells: np.ndarray,
        cell_zone: np.ndarray,
        cell_state: np.ndarray,
        several: np.ndarray,
    ) -> None:
        """The look-up table and the candidate lists of the complex cells.

        ``cells`` (sorted), ``cell_zone`` and ``cell_state`` list every (cell, zone)
        a zone reaches; ``several`` the complex cells, sorted.
        """
        # The look-up table stores 0 (no zone), z + 1 (only zone z) or its maximum
        # value (several candidates: see the candidate lists, one per such cell), in the
        # smallest unsigned type that fits: a table of bytes stays in the CPU cache.
        dtype = next(
            t for t in (np.uint8, np.uint16, np.uint32) if len(self.geoms) + 1 < np.iinfo(t).max
        )
        self._several = np.iinfo(dtype).max
        table = np.zeros(table_size, dtype=dtype)
        table[cells] = cell_zone + 1
        table[several] = self._several
        self.table = table
        candidate = table[cells] == self._several
        cells = cells[candidate]
        self._cand_zone = cell_zone[candidate]
        self._cand_state = cell_state[candidate]
        self._cand_ptr = np.append(np.searchsorted(cells, several), cells.size)
        # Rank of each complex cell among them, by table index (a look-up instead of a
        # binary search: 35 ms for 300,000 points on 58,000 complex cells).
        # 16-bit ranks while they fit: the table is as long as the look-up table.
        rank = np.uint16 if several.size < np.iinfo(np.uint16).max else np.int32
        self._complex_rank = np.zeros(table_size, dtype=rank)
        self._complex_rank[several] = np.arange(several.size, dtype=rank)
        self.n_complex_cells = several.size
        # Whether every complex cell has one candidate zone (a perimeter cell of zones
        # that neither overlap nor come within a cell of each other): resolve() then
        # pairs each point with one zone without expanding candidate lists.
        self._one_candidate = bool((np.diff(self._cand_ptr) == 1).all())

    # -- queries ------------------------------------------------------------------------

    def _cells(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Table index of each point's cell; points off the grid (or NaN) land on its rim."""
        inv = 1.0 / self.cell
        fx = x - self.x0
        fx *= inv
        np.fmax(fx, 0.0, out=fx)  # fmax/fmin turn NaN into the bound: the rim
        np.fmin(fx, self.nx - 1, out=fx)
        gx = fx.astype(np.int32)
        del fx
        fy = y - self.y0
        fy *= inv
        np.fmax(fy, 0.0, out=fy)
        np.fmin(fy, self.ny - 1, out=fy)
        gy = fy.astype(np.int32)
        del fy
        if not self.sparse:
            gy *= np.int32(self.nx)
            gy += gx
            return gy
        shift, mask = _BLOCK_SHIFT, (1 << _BLOCK_SHIFT) - 1
        coarse = gy >> shift
        coarse *= np.int32(self.nbx)
        coarse += gx >> shift
        index = self._block.take(coarse)
        del coarse
        index <<= 2 * shift
        gy &= mask
        gy <<= shift
        index |= gy
        gx &= mask
        index |= gx
        return index

    def match(self, x: np.ndarray, y: np.ndarray) -> PointMatches:
        """Zones covering each point (NaN coordinates never match).

        From ``_THREADED_POINTS`` points, the look-up runs in two threads (one per half
        of the points), and so do the exact tests (one per half of the tests: points
        near perimeters may all sit in one half of the input).
        """
        n = x.size
        if self.nx == 0 or n == 0:
            return self.resolve(np.full(n, NO_ZONE, np.int32), [], x, y)
        first = np.empty(n, np.int32)
        looked_up = in_threads(
            lambda part: self.look_up(x, y, part, first), halves(n, _THREADED_POINTS)
        )
        return self.resolve(first, looked_up, x, y)

    def resolve(
        self,
        first: np.ndarray,
        looked_up: list[tuple[np.ndarray, np.ndarray]],
        x: np.ndarray,
        y: np.ndarray,
    ) -> PointMatches:
        """Finish :meth:`match` once :meth:`look_up` has filled ``first`` for every point.

        ``looked_up`` holds what :meth:`look_up` returned for each part of the points.
        """
        empty = np.empty(0, np.intp)
        if not looked_up:
            return PointMatches(first, empty, empty, empty)
        pts, cells = (np.concatenate(arrays) for arrays in zip(*looked_up, strict=True))
        if pts.size == 0:
            return PointMatches(first, empty, empty, empty)
        k = self._complex_rank.take(cells)
        if self._one_candidate:  # candidate k of complex cell k: one pair per point
            zone = self._cand_zone[k]
            test = np.flatnonzero(self._cand_state[k] != INSIDE)
            if test.size:
                found = self._exact(pts[test], zone[test], x, y)
                zone[test[~found]] = NO_ZONE
            first[pts] = zone
            return PointMatches(first, empty, empty, empty)
        starts = self._cand_ptr[k]
        counts = self._cand_ptr[k + 1] - starts
        pair_pt = np.repeat(pts, counts)
        offsets = np.arange(pair_pt.size) - np.repeat(np.cumsum(counts) - counts, counts)
        offsets += np.repeat(starts, counts)
        pair_zone = self._cand_zone[offsets]
        ok = self._cand_state[offsets] == INSIDE
        test = np.flatnonzero(~ok)
        if test.size:
            ok[test] = self._exact(pair_pt[test], pair_zone[test], x, y)
        pair_pt, pair_zone = pair_pt[ok], pair_zone[ok]
        first[pts] = NO_ZONE
        uniq, start, count = _runs(pair_pt)
        first[uniq] = pair_zone[start]
        multi = uniq[count > 1]
        in_multi = np.isin(pair_pt, multi)
        return PointMatches(first, multi, pair_pt[in_multi], pair_zone[in_multi])

    def look_up(
        self, x: np.ndarray, y: np.ndarray, part: slice, first: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fill ``first`` for the points of ``part`` from the table alone.

        Returns the points in complex cells (their ``first`` is to be decided by
        :meth:`resolve`) and the table index of their cell. The grid must not be
        empty (``nx > 0``).
        """
        pts, cells_of = [np.empty(0, np.intp)], [np.empty(0, np.int32)]
        for start in range(part.start, part.stop, _BLOCK_POINTS):
            stop = min(start + _BLOCK_POINTS, part.stop)
            cells = self._cells(x[start:stop], y[start:stop])
            found = self.table.take(cells)
            block = first[start:stop]
            block[...] = found
            block -= 1
            several = np.flatnonzero(found == self._several)
            pts.append(several + start)
            cells_of.append(cells[several])
        return np.concatenate(pts), np.concatenate(cells_of)

    def _exact(self, pt: np.ndarray, zone: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Exact predicate for (point, zone) pairs, on the prepared zones."""
        test = shapely.contains_xy if self.predicate == "within" else shapely.intersects_xy
        # Grouped by zone (a radix sort of small integers): consecutive tests then walk
        # the same prepared index, which stays in the CPU cache; in the points' own order
        # every test may evict the previous zone's index (3x slower on 105 quartiers).
        # numpy's stable sort is a radix sort on 16-bit keys (4 ms for 300,000 tests,
        # against 15 ms on 32-bit ones).
        key = zone.astype(np.uint16) if len(self.geoms) <= np.iinfo(np.uint16).max else zone
        order = np.argsort(key, kind="stable")
        zone = zone[order]
        px, py = x[pt[order]], y[pt[order]]
        found = np.empty(pt.size, dtype=bool)
        run_start = np.flatnonzero(np.diff(zone, prepend=-2))
        if run_start.size * _TESTS_PER_CALL > pt.size:  # many zones, few tests each
            geoms = self.geoms[zone]
            in_threads(
                lambda p: test(geoms[p], px[p], py[p], out=found[p]),
                halves(pt.size, _THREADED_TESTS),
            )
        else:  # one call per zone: no array of geometries to gather
            bounds = np.append(run_start, pt.size)

            def runs(part: slice) -> None:
                first = np.searchsorted(bounds, part.start, side="right") - 1
                for k in range(first, bounds.size - 1):
                    start, stop = max(bounds[k], part.start), min(bounds[k + 1], part.stop)
                    if start >= stop:
                        break
                    geom = self.geoms[zone[start]]
                    test(geom, px[start:stop], py[start:stop], out=found[start:stop])

            in_threads(runs, halves(pt.size, _THREADED_TESTS))
        out = np.empty(pt.size, dtype=bool)
        out[order] = found
        return out

    def near(self, x: np.ndarray, y: np.ndarray, distance_m: float) -> np.ndarray:
        """Points whose cell lies within ``distance_m`` of a zone's perimeter.

        A cheap superset of the points within ``distance_m`` of a perimeter (the
        points outside every zone that a tolerance may attribute); the grid must
        have been built with ``margin_m >= distance_m``. Every cell a perimeter
        touches is a boundary cell, so a point within ``distance_m`` of it lies at
        most ``ceil(distance_m / cell)`` cells (per axis) from a boundary cell: the
        boundary cells are dilated by that many cells, plus one for rounding.
        """
        if self.nx == 0 or x.size == 0:
            return np.zeros(x.size, dtype=bool)
        if self._near is None or self._near[0] != distance_m:
            self._near = (distance_m, self._near_table(distance_m))
        return self._near[1].take(self._cells(x, y))

    def _near_table(self, distance_m: float) -> np.ndarray:
        """Boolean table of the cells within ``distance_m`` of a boundary cell."""
        reach = math.ceil(distance_m / self.cell) + 1
        if self.sparse:  # stay in the blocks numbered for the margin
            reach = min(reach, max(1, math.ceil(self.margin_m / self.cell) + 1))
        table = np.zeros(self.table.size, dtype=bool)
        for dy in range(-reach, reach + 1):
            gy = np.clip(self._edge_gy + dy, 0, self.ny - 1)
            for dx in range(-reach, reach + 1):
                gx = np.clip(self._edge_gx + dx, 0, self.nx - 1)
                table[self._index(gx, gy)] = True
        return table
