"""Where the time of ``attribute`` goes, stage by stage, on the inputs of attribution.py.

Times each stage of :func:`gupgeo.attribution.zones.attribute` from point geometries
(105 real-shaped perimeters, 5 % of the points near an edge, ``predicate="within"``,
no tolerance: the benchmark's settings) alone, in one thread and where the code runs
it so in two, and prints wall and CPU seconds (minimum and median of the repeats)
beside the load average. The stages call gupgeo's private modules: this script
explains the benchmark's figure, it does not replace it.

Usage::

    .venv/bin/python benchmarks/attribution_stages.py --size 5000000 --repeat 5
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from attribution import KEY, make_qpv_zones, make_xy, repaired, versions

from gupgeo.attribution import _engine, _grid, _output


def timed(label: str, work: Callable[[], object], repeat: int) -> dict[str, object]:
    """Run ``work`` ``repeat`` times; print and return its wall and CPU seconds."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    row = {
        "stage": label,
        "wall_min": min(wall),
        "wall_med": statistics.median(wall),
        "cpu_min": min(cpu),
        "cpu_med": statistics.median(cpu),
    }
    print(
        f"  {label:<46} wall {row['wall_min']:.3f} / {row['wall_med']:.3f} s, "
        f"CPU {row['cpu_min']:.3f} / {row['cpu_med']:.3f} s (min / median)",
        flush=True,
    )
    return row


def stages(n: int, repeat: int) -> None:
    """Time every stage on n points."""
    zones = make_qpv_zones()
    x, y = make_xy(n, zones, near_edges=0.05)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=2154)
    geoms = np.asarray(points.geometry.array)
    whole = slice(0, n)
    bx, by = np.empty(n), np.empty(n)
    timed(
        "read x, y: get_x + get_y (before)",
        lambda: (shapely.get_x(geoms), shapely.get_y(geoms)),
        repeat,
    )
    timed("read x, y: shapely.bounds", lambda: shapely.bounds(geoms), repeat)
    timed("kinds: shapely.get_type_id", lambda: shapely.get_type_id(geoms), repeat)
    timed(
        "read (bounds + kinds), 1 thread", lambda: _engine._read_part(geoms, whole, bx, by), repeat
    )
    parts = _grid.halves(n, 1)
    timed(
        "read (bounds + kinds), 2 threads",
        lambda: _grid.in_threads(lambda p: _engine._read_part(geoms, p, bx, by), parts),
        repeat,
    )
    timed(
        "check and repair the zones",
        lambda: (_engine.forget_prepared_zones(), _engine.prepare_zones(zones, KEY)),
        repeat,
    )
    timed("find them kept from the last call", lambda: _engine.prepare_zones(zones, KEY), repeat)
    layer = _engine.prepare_zones(zones, KEY)[0]
    size = _engine._size_class(n)  # the size attribute builds its grid for
    grid = _grid.ZoneGrid(layer.geoms, predicate="within", n_points=size)
    timed(
        "build the grid",
        lambda: _grid.ZoneGrid(layer.geoms, predicate="within", n_points=size),
        repeat,
    )
    first = np.empty(n, np.int32)
    timed("look-up, 1 thread", lambda: grid.look_up(x, y, whole, first), repeat)
    timed(
        "look-up, 2 threads",
        lambda: _grid.in_threads(lambda p: grid.look_up(x, y, p, first), parts),
        repeat,
    )
    pts, cells = grid.look_up(x, y, whole, first)
    k = grid._complex_rank.take(cells)
    zone = grid._cand_zone[grid._cand_ptr[k]]  # one candidate per complex cell here
    print(f"  {pts.size:,} points in cells crossed by a perimeter (exact tests)")
    threshold = _grid._THREADED_TESTS
    _grid._THREADED_TESTS = pts.size + 1
    timed("exact tests, 1 thread", lambda: grid._exact(pts, zone, x, y), repeat)
    _grid._THREADED_TESTS = 1
    timed("exact tests, 2 threads", lambda: grid._exact(pts, zone, x, y), repeat)
    _grid._THREADED_TESTS = threshold
    timed("grid.match (look-up + exact tests)", lambda: grid.match(x, y), repeat)
    feats, layers = _engine.split_and_prepare(
        points, zones, KEY, predicate="within", tolerance_m=0.0
    )
    match = _engine.match_layer(
        layers[0], feats, predicate="within", tolerance_m=0.0, multiple="first"
    )
    options = {"predicate": "within", "tolerance_m": 0.0, "multiple": "first"}
    timed(
        "columns and report",
        lambda: _output._layer_report(
            layers[0], match, _output._layer_columns(layers[0], match, "first", n)[2], options
        ),
        repeat,
    )

    def split() -> object:
        return _engine.split_and_prepare(points, zones, KEY, predicate="within", tolerance_m=0)

    def whole() -> object:
        return _output.attribute_frame(
            points, zones, key=KEY, predicate="within", tolerance_m=0.0, multiple="first"
        )

    timed(
        "read + zones + grid, overlapped (split_and_prepare)",
        lambda: (_engine.forget_prepared_zones(), split()),
        repeat,
    )
    timed("read, zones and grid kept", split, repeat)
    timed("whole attribute, first call", lambda: (_engine.forget_prepared_zones(), whole()), repeat)
    whole()
    timed("whole attribute, zones kept", whole, repeat)
    right = repaired(zones)[[KEY, "geometry"]]

    # Copies of the points without an R-tree yet, made before the timing.
    fresh = iter([gpd.GeoDataFrame(geometry=geoms.copy(), crs=points.crs) for _ in range(3)])
    timed(
        "geopandas.sjoin (peer), first call",
        lambda: gpd.sjoin(next(fresh), right, predicate="within", how="left"),
        min(repeat, 3),
    )
    gpd.sjoin(points, right, predicate="within", how="left")
    timed(
        "geopandas.sjoin (peer), R-tree kept",
        lambda: gpd.sjoin(points, right, predicate="within", how="left"),
        min(repeat, 3),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the repair warning, once per call
    print(versions())
    print(f"N={args.size:,}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU")
    stages(args.size, args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end")


if __name__ == "__main__":
    main()
