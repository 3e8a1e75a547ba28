"""Benchmark: attribution in Python (gupgeo.attribution.zones) vs in PostGIS (SQL).

The bundled sample's 10 quartiers and N seeded points over their extent (half uniform,
half within 300 m of a quartier), saved into a PostGIS schema (GiST indexes), then in the
same run: ``attribute(points, quartiers, tolerance_m=...)`` in memory, and
``attribute_in_database(url, tolerance_m=...)`` (``ST_CoveredBy`` + ``ST_DWithin``).
Both answers are checked identical. The save and the load are not timed.

The server is ``GUPGEO_TEST_PG_URL`` or the libpq variables; with neither, a throwaway
cluster is started from Debian's binaries (as in the tests).

Usage::

    .venv/bin/python benchmarks/attribution_postgis.py --sizes 100000,1000000 --tolerance-m 15
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gupgeo import Territory, load_territory  # noqa: E402
from gupgeo.attribution.database import attribute_in_database  # noqa: E402
from gupgeo.attribution.zones import attribute  # noqa: E402
from tests.postgis_support import configured_url, throwaway_cluster, with_schema  # noqa: E402


def points(quartiers: gpd.GeoDataFrame, n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = quartiers.total_bounds
    half = n // 2
    xs = np.concatenate([rng.uniform(x0, x1, half), np.empty(n - half)])
    ys = np.concatenate([rng.uniform(y0, y1, half), np.empty(n - half)])
    centres = quartiers.geometry.representative_point()
    pick = rng.integers(0, len(centres), n - half)
    xs[half:] = centres.x.to_numpy()[pick] + rng.normal(0, 300, n - half)
    ys[half:] = centres.y.to_numpy()[pick] + rng.normal(0, 300, n - half)
    return gpd.GeoDataFrame(
        {"id": [f"P{i}" for i in range(n)], "date_signalement": pd.Timestamp("2024-01-01")},
        geometry=gpd.points_from_xy(xs, ys),
        crs=2154,
    )


def run(url: str, sizes: list[int], tolerance_m: float, repeat: int) -> None:
    quartiers = load_territory(REPO / "data" / "sample")["quartiers"]
    print("| points | Python (median) | PostGIS (median) | identical |")
    print("|---:|---:|---:|---|")
    for n in sizes:
        target = with_schema(url, f"bench_{n}")
        pts = points(quartiers, n)
        Territory({"quartiers": quartiers, "signalements": pts}).save(target)
        py_times, db_times = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            py = attribute(pts, quartiers, tolerance_m=tolerance_m)
            py_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            db = attribute_in_database(target, tolerance_m=tolerance_m)
            db_times.append(time.perf_counter() - start)
        a = py.set_index("id")["code_qp"].astype(object)
        b = db.loc[a.index, "code_qp"]
        same = bool((a.isna() == b.isna()).all() and (a.dropna() == b.dropna()).all())
        print(
            f"| {n:,} | {statistics.median(py_times):.2f} s | "
            f"{statistics.median(db_times):.2f} s | {'oui' if same else 'NON'} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--tolerance-m", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    url = configured_url()
    with contextlib.ExitStack() as stack:
        if url is None:
            url = stack.enter_context(throwaway_cluster())
        run(url, sizes, args.tolerance_m, args.repeat)


if __name__ == "__main__":
    main()
