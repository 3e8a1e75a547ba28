"""Benchmark: attribution with the default tolerance against ``geopandas.sjoin_nearest``.

Planners attribute with ``tolerance_m=15`` (the default of every command): a point outside
every quartier but within 15 m of one (an address on the street that bounds it) gets the
nearest. The peer doing the same in GeoPandas is ``sjoin_nearest(max_distance=15)``: the
nearest zone within 15 m, at distance 0 for a point inside one. Same inputs as
``attribution.py`` (105 real-shaped perimeters, 16 invalid, repaired beforehand for the
peer; 5 % of the points within a few metres of a perimeter). gupgeo runs with
``predicate="covered_by"`` (its default: a point on a perimeter is in the zone, as at
distance 0 for the peer). Both answers are compared point by point (the peer's ties,
several zones at the same distance, reduced to the first zone in the layer's order, as
gupgeo does); distances are compared too.

Each method is timed on its first call (gupgeo after ``forget_prepared_zones()``, the peer
on a copy of the zones without an R-tree), then on ``--repeat`` later calls (median).

Usage::

    .venv/bin/python benchmarks/attribution_tolerance.py --sizes 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from attribution import KEY, make_qpv_zones, make_xy, repaired, versions

from gupgeo.attribution.zones import attribute, forget_prepared_zones

TOLERANCE_M = 15.0


def run_gupgeo(points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    out = attribute(points, zones, tolerance_m=TOLERANCE_M)
    codes = out[KEY].astype(object).where(out[KEY].notna(), None).to_numpy()
    return codes, out[f"{KEY}_distance_m"].to_numpy()


def run_peer(points: gpd.GeoDataFrame, right: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    joined = gpd.sjoin_nearest(
        points, right, how="left", max_distance=TOLERANCE_M, distance_col="distance_m"
    )
    # Ties (several zones at the same distance): the first zone in the layer's order.
    joined = joined.sort_values("index_right", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")].reindex(points.index)
    codes = joined[KEY].astype(object).where(joined[KEY].notna(), None).to_numpy()
    return codes, joined["distance_m"].to_numpy()


def timed(work, repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last answer."""
    wall, cpu, out = [], [], None
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        out = work()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), out


def run_size(n: int, zones: gpd.GeoDataFrame, repeat: int) -> None:
    x, y = make_xy(n, zones, near_edges=0.05)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=2154)
    right = repaired(zones)[[KEY, "geometry"]]
    forget_prepared_zones()
    g_first = timed(lambda: run_gupgeo(points, zones), 1)
    p_first = timed(lambda: run_peer(points, right.copy()), 1)
    g_later = timed(lambda: run_gupgeo(points, zones), repeat)
    p_later = timed(lambda: run_peer(points, right), repeat)
    (g_codes, g_dist), (p_codes, p_dist) = g_later[2], p_later[2]
    if not np.array_equal(g_codes, p_codes):
        diff = int((g_codes != p_codes).sum())
        raise SystemExit(f"N={n:,} : {diff} points attribués différemment")
    inside = ~np.isnan(p_dist)
    gap = float(np.abs(g_dist[inside] - p_dist[inside]).max()) if inside.any() else 0.0
    for label, g, p in (("first call", g_first, p_first), ("later calls", g_later, p_later)):
        print(
            f"  N={n:>10,}  {label:<11}  attribute {g[0]:.3f} s (CPU {g[1]:.3f} s)  "
            f"sjoin_nearest {p[0]:.3f} s (CPU {p[1]:.3f} s): {p[0] / g[0]:.1f}x wall, "
            f"{p[1] / g[1]:.1f}x CPU"
        )
    matched = int(pd.notna(pd.Series(g_codes)).sum())
    print(
        f"  N={n:>10,}  same zones ({matched:,} points with one), distances differ by at most "
        f"{gap:.2e} m; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000", help="comma-separated N")
    parser.add_argument("--repeat", type=int, default=3, help="later calls (median kept)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the repair warning, once per call
    print(versions())
    zones = make_qpv_zones()
    print(f"{len(zones)} zones, tolérance {TOLERANCE_M:g} m, 5 % des points près d'un périmètre")
    for n in (int(s) for s in args.sizes.split(",")):
        run_size(n, zones, args.repeat)


if __name__ == "__main__":
    main()
