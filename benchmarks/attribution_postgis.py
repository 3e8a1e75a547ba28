"""Benchmark: attribution in PostGIS (SQL) vs reading the territory and attributing in memory.

Zones: by default the 105 real-shaped perimeters of ``benchmarks/attribution.py``
(about 1,000 vertices each, holes, 16 invalid as generated) and N points from the same
generator (half uniform, half around a zone, 5 % within a few metres of a perimeter);
``--zones sample``: the bundled sample's 10 quartiers and points over their extent. The
data are saved into a PostGIS schema (not timed). Then, in the same run and for each
repetition:

- in memory: the read of the two tables into GeoDataFrames
  (:func:`gupgeo.storage.postgis.read_tables`, the raw read without the validation of
  ``load_territory``, which is much slower) and ``attribute(points, quartiers,
  tolerance_m=...)``;
- in the database: ``attribute_in_database(url, tolerance_m=...)`` (subdivided zones,
  a grid join for points far from every perimeter, ``ST_CoveredBy`` + ``ST_DWithin``
  for the others, answers copied back), the ratio PostGIS / memory printed with it.

The answers (zone, status, distance) are checked identical. Beside wall times, the
CPU of each path: the client's (``time.process_time``) and, for a server on this
machine, the server's (the postmaster and its ended children, read from ``/proc``).
The versions of the dependencies, PostgreSQL, PostGIS and GEOS are printed first.

The server is ``GUPGEO_TEST_PG_URL`` or the libpq variables; with neither, a throwaway
cluster is started from Debian's binaries (as in the tests).

Usage::

    .venv/bin/python benchmarks/attribution_postgis.py --sizes 1000000,2000000 --repeat 2
    .venv/bin/python benchmarks/attribution_postgis.py --sizes 20000000 --repeat 2

The last column is the load average (1 min) when the row was printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from importlib.metadata import version
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gupgeo import Territory, load_territory  # noqa: E402
from gupgeo.attribution.database import attribute_in_database  # noqa: E402
from gupgeo.attribution.zones import attribute  # noqa: E402
from gupgeo.storage.postgis import read_tables  # noqa: E402
from tests.postgis_support import configured_url, throwaway_cluster, with_schema  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from attribution import make_qpv_zones, make_xy  # noqa: E402  (one generator for both)

KEY = "code_qp"
NEAR_EDGES = 0.05


def make_points(quartiers: gpd.GeoDataFrame, n: int, zones: str) -> gpd.GeoDataFrame:
    """N seeded points: those of ``benchmarks/attribution.py`` (qpv) or around the sample."""
    if zones == "qpv":
        xs, ys = make_xy(n, quartiers, near_edges=NEAR_EDGES)
    else:
        rng = np.random.default_rng(0)
        x0, y0, x1, y1 = quartiers.total_bounds
        half = n // 2
        xs = np.concatenate([rng.uniform(x0, x1, half), np.empty(n - half)])
        ys = np.concatenate([rng.uniform(y0, y1, half), np.empty(n - half)])
        centres = quartiers.geometry.representative_point()
        pick = rng.integers(0, len(centres), n - half)
        xs[half:] = centres.x.to_numpy()[pick] + rng.normal(0, 300, n - half)
        ys[half:] = centres.y.to_numpy()[pick] + rng.normal(0, 300, n - half)
    ids = np.char.add("P", np.arange(n).astype(str)).astype(object)
    return gpd.GeoDataFrame(
        {"id": ids, "date_signalement": pd.Timestamp("2024-01-01")},
        geometry=gpd.points_from_xy(xs, ys),
        crs=2154,
    )


def make_quartiers(zones: str) -> gpd.GeoDataFrame:
    """The zones: ``qpv`` (the 105 real-shaped perimeters of benchmarks/attribution.py,
    invalid ones as generated) or ``sample`` (the bundled sample's 10 quartiers)."""
    if zones == "qpv":
        return make_qpv_zones()
    return load_territory(REPO / "data" / "sample")["quartiers"]


def versions(url: str) -> str:
    import psycopg

    packages = ["geopandas", "shapely", "pandas", "numpy", "pyogrio", "psycopg"]
    found = ", ".join(f"{name} {version(name)}" for name in packages)
    with psycopg.connect(url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        postgis, geos = conn.execute(
            "SELECT postgis_lib_version(), postgis_geos_version()"
        ).fetchone()
    return f"{found}; PostgreSQL {server}, PostGIS {postgis}, GEOS {geos}"


def postmaster_pid(url: str) -> int | None:
    """The pid of the server's postmaster when it runs on this machine (its CPU, and
    that of its reaped children, can then be read from /proc), else None."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            folder = conn.execute("SHOW data_directory").fetchone()[0]
        pid = int((Path(folder) / "postmaster.pid").read_text().split()[0])
        Path(f"/proc/{pid}/stat").read_text()
    except (psycopg.Error, OSError, ValueError, IndexError):
        return None
    return pid


def server_cpu_s(pid: int | None) -> float:
    """CPU seconds of the postmaster and its ended children (backends and parallel
    workers count once their connection or query has ended); NaN when unknown."""
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def identical(memory: pd.DataFrame, database: pd.DataFrame) -> bool:
    a = memory.set_index("id")
    b = database.loc[a.index]
    zones_a, zones_b = a[KEY].astype(object), b[KEY]
    same_zone = bool(
        (zones_a.isna() == zones_b.isna()).all() and (zones_a.dropna() == zones_b.dropna()).all()
    )
    same_status = bool((a[f"{KEY}_statut"].astype(str) == b[f"{KEY}_statut"].astype(str)).all())
    distance = f"{KEY}_distance_m"
    same_distance = distance not in b or bool(
        np.allclose(
            a[distance].to_numpy(float), b[distance].to_numpy(float), atol=1e-6, equal_nan=True
        )
    )
    return same_zone and same_status and same_distance


def run(url: str, sizes: list[int], tolerance_m: float, repeat: int, zones: str) -> None:
    quartiers = make_quartiers(zones)
    print(versions(url))
    print(
        f"{len(quartiers)} quartiers ({zones}), "
        f"{int(shapely.get_num_coordinates(quartiers.geometry).sum())} sommets, "
        f"{int((~quartiers.is_valid).sum())} invalides, tolerance {tolerance_m:g} m"
    )
    print(
        "| points | run | read | attribution | memory total | memory CPU client + server "
        "| PostGIS | PostGIS CPU client + server | ratio | identical | load |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    pid = postmaster_pid(url)
    for n in sizes:
        target = with_schema(url, f"bench_{n}")
        start = time.perf_counter()
        layers = {"quartiers": quartiers, "signalements": make_points(quartiers, n, zones)}
        Territory(layers).save(target)
        del layers
        saved_s = time.perf_counter() - start
        print(f"({n:,} points enregistrés en {saved_s:.0f} s, non chronométré)", file=sys.stderr)
        for i in range(1, repeat + 1):
            row = measure(target, tolerance_m, pid)
            print(f"| {n:,} | {i} | {row}", flush=True)


def measure(target: str, tolerance_m: float, pid: int | None) -> str:
    """One repetition: memory path, then PostGIS; the table row (after its first cells)."""
    server, client = server_cpu_s(pid), time.process_time()
    start = time.perf_counter()
    layers = read_tables(target).layers
    read_s = time.perf_counter() - start
    memory = attribute(layers["signalements"], layers["quartiers"], tolerance_m=tolerance_m)
    memory_s = time.perf_counter() - start
    memory_cpu = (time.process_time() - client, server_cpu_s(pid) - server)
    del layers
    server, client = server_cpu_s(pid), time.process_time()
    start = time.perf_counter()
    database = attribute_in_database(target, tolerance_m=tolerance_m)
    database_s = time.perf_counter() - start
    database_cpu = (time.process_time() - client, server_cpu_s(pid) - server)
    same = identical(memory, database)
    del memory, database
    return (
        f"{read_s:.2f} s | {memory_s - read_s:.2f} s | {memory_s:.2f} s | "
        f"{memory_cpu[0]:.1f} + {memory_cpu[1]:.1f} s | {database_s:.2f} s | "
        f"{database_cpu[0]:.1f} + {database_cpu[1]:.1f} s | {database_s / memory_s:.2f}× | "
        f"{'oui' if same else 'NON'} | {os.getloadavg()[0]:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--tolerance-m", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--zones",
        choices=("qpv", "sample"),
        default="qpv",
        help="qpv: the 105 real-shaped perimeters of attribution.py (default); sample: 10",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    url = configured_url()
    with contextlib.ExitStack() as stack:
        if url is None:
            url = stack.enter_context(throwaway_cluster())
        run(url, sizes, args.tolerance_m, args.repeat, args.zones)


if __name__ == "__main__":
    main()
