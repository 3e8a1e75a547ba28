"""Benchmark: gupgeo.attribution.zones against geopandas.sjoin and DuckDB spatial.

Generates ~100 non-overlapping jittered polygons (60–240 vertices each) on a
3 km grid over a Lambert-93 extent like Tours Métropole, and N points: half
uniform over the extent, half clustered around the polygons (most signalements
are near the quartiers). Then times, in the same run and on the same inputs:

- ``attribute`` vs ``geopandas.sjoin(predicate="within", how="left")`` on the
  same prebuilt point GeoDataFrame (EPSG:2154);
- ``attribute_xy`` vs ``points_from_xy`` + ``sjoin``, from raw x/y arrays (a CSV's
  columns);
- DuckDB spatial (``SPATIAL_JOIN`` of ``ST_Point(x, y)`` within the polygons, 2
  threads), from the same x/y arrays, when ``duckdb`` and ``duckdb-ext-spatial``
  are importable.

gupgeo runs with ``predicate="within"`` and no tolerance (``tolerance_m=0``: sjoin
has none) so that the assignments can be compared exactly; every method's zone per point is checked identical to sjoin's. Wall
times and process CPU times are both reported (medians): on a shared machine the
CPU time of the single-threaded methods is the steadier figure; DuckDB's CPU time
adds up its two threads.

Both ``sjoin`` and ``attribute`` keep an index between calls on the same frames
(GeoPandas the R-tree of the points, gupgeo the prepared zones and their grid), so
the repeats after the first find it ready. Before the repeats, the first call of
each, building its index, is timed on its own and its ratio printed.

Usage::

    .venv/bin/python benchmarks/attribution.py --sizes 100000,1000000
    .venv/bin/python benchmarks/attribution.py --sizes 5000000 --repeat 3 --memory
    .venv/bin/python benchmarks/attribution.py --sizes 10000000 --methods attribute_xy,attribute \
        --memory --repeat 1

``--memory`` also runs each (size, method) once in a fresh subprocess and reports
its peak resident memory during the call (Linux ``VmHWM``, whole process, inputs
included: ``peak_mb``) and the resident memory just before it (``inputs_mb``).
"""

from __future__ import annotations

import argparse
import gc
import glob
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gupgeo.attribution.zones import attribute, attribute_xy, forget_prepared_zones

KEY = "code_qp"
METHODS = ("attribute", "sjoin", "attribute_xy", "xy+sjoin", "duckdb")
BASELINE = {"attribute": "sjoin", "attribute_xy": "xy+sjoin"}


def make_zones(n: int = 100, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` non-overlapping star-shaped polygons on a 3 km grid (Lambert-93)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    x0, y0, step = 510_000.0, 6_680_000.0, 3_000.0
    polygons = []
    for k in range(n):
        i, j = divmod(k, side)
        cx = x0 + (j + 0.5) * step + rng.uniform(-300, 300)
        cy = y0 + (i + 0.5) * step + rng.uniform(-300, 300)
        nv = int(rng.integers(60, 240))
        angle = np.sort(rng.uniform(0, 2 * np.pi, nv))
        radius = (
            rng.uniform(300, 800)
            * (1 + 0.25 * np.sin(3 * angle + rng.uniform(0, 6)))
            * rng.uniform(0.85, 1.15, nv)
        )
        polygons.append(
            shapely.Polygon(np.c_[cx + radius * np.cos(angle), cy + radius * np.sin(angle)])
        )
    return gpd.GeoDataFrame({KEY: [f"Z{k:03d}" for k in range(n)]}, geometry=polygons, crs=2154)


def make_qpv_zones(n: int = 105, seed: int = 3) -> gpd.GeoDataFrame:
    """``n`` perimeters shaped like real QPV ones (Lambert-93), on a 3 km grid.

    Each is a union of 6–30 rotated street blocks (some apart: multipolygons),
    with 0–3 courtyards cut out (holes), densified every 2–8 m and wobbled by up
    to 0.6 m as a digitised perimeter is: about 1,000 vertices each. Every
    seventh gets a bow-tie (a self-intersecting ring) and others self-intersect
    through the wobble: invalid, repaired by ``make_valid`` as real files need.
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    x0, y0, step = 510_000.0, 6_680_000.0, 3_000.0
    polygons = []
    for k in range(n):
        i, j = divmod(k, side)
        cx = x0 + (j + 0.5) * step + rng.uniform(-300, 300)
        cy = y0 + (i + 0.5) * step + rng.uniform(-300, 300)
        blocks = []
        for _ in range(int(rng.integers(6, 30))):
            bx, by = rng.normal(0, 170, 2)
            w, h = rng.uniform(120, 360, 2)
            blocks.append(shapely.box(bx - w / 2, by - h / 2, bx + w / 2, by + h / 2))
        g = shapely.union_all(blocks)
        g = affinity.rotate(g, rng.uniform(0, np.pi / 2), origin=(0, 0), use_radians=True)
        g = affinity.translate(g, cx, cy)
        for _ in range(int(rng.integers(0, 4))):  # courtyards cut out: holes
            hx, hy = rng.normal(0, 150, 2)
            g = g.difference(shapely.Point(cx + hx, cy + hy).buffer(rng.uniform(10, 40), 8))
        g = shapely.segmentize(g, rng.uniform(2, 8))
        xy = shapely.get_coordinates(g)
        wob = 0.6 * np.sin(xy[:, ::-1] * np.array([1.37, 0.91]) + xy * 0.53)
        g = shapely.set_coordinates(g, xy + wob)
        if k % 7 == 3:  # a bow-tie: the largest part's outline crosses itself
            part = max(shapely.get_parts(g), key=lambda p: p.area)
            ring = shapely.get_coordinates(shapely.get_exterior_ring(part))
            m = len(ring) // 3
            g = shapely.Polygon(
                np.vstack(
                    [ring[:m], ring[2 * m : 2 * m + 1], ring[m : m + 1], ring[m:-1], ring[:1]]
                )
            )
        polygons.append(g)
    return gpd.GeoDataFrame({KEY: [f"QP{k:03d}" for k in range(n)]}, geometry=polygons, crs=2154)


def make_xy(
    n: int, zones: gpd.GeoDataFrame, seed: int = 2, *, near_edges: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Half uniform over the zones' extent, half normal (σ = 600 m) around a zone.

    With ``near_edges`` > 0, that share of the points is moved to within a few
    metres of a perimeter (σ = 5 m): addresses geocoded on the streets that
    bound a quartier.
    """
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = zones.total_bounds
    x = rng.uniform(xmin, xmax, n)
    y = rng.uniform(ymin, ymax, n)
    centres = shapely.get_coordinates(zones.geometry.centroid)
    half = n // 2
    k = rng.integers(0, len(centres), n - half)
    x[half:] = centres[k, 0] + rng.normal(0, 600, n - half)
    y[half:] = centres[k, 1] + rng.normal(0, 600, n - half)
    m = int(n * near_edges)
    if m:
        rings = shapely.segmentize(shapely.boundary(np.asarray(zones.geometry.array)), 5.0)
        edge = shapely.get_coordinates(rings)
        k = rng.integers(0, len(edge), m)
        x[:m] = edge[k, 0] + rng.normal(0, 5, m)
        y[:m] = edge[k, 1] + rng.normal(0, 5, m)
    return x, y


def duckdb_connection():
    """A DuckDB connection with the spatial extension loaded from the PyPI wheel, or None."""
    try:
        import duckdb
        import duckdb_ext
    except ImportError:
        return None
    pattern = str(Path(next(iter(duckdb_ext.__path__))) / "extensions/*/*/spatial.duckdb_extension")
    found = glob.glob(pattern)
    if not found:
        return None
    con = duckdb.connect()
    con.execute(f"LOAD '{found[0]}'")
    con.execute("SET threads=2")
    return con


def _codes(values: object) -> np.ndarray:
    return pd.Series(values).astype(object).where(pd.notna(pd.Series(values)), None).to_numpy()


def runners(
    zones: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, points: gpd.GeoDataFrame | None
) -> dict[str, Callable[[], np.ndarray]]:
    """One callable per method, each returning the zone code of every point.

    gupgeo gets the zones as they are (it repairs invalid ones itself, inside the
    timing); the peers get them repaired beforehand (``make_valid``), as one must
    before trusting their predicates on invalid polygons.
    """
    right = repaired(zones)[[KEY, "geometry"]]

    def run_attribute() -> np.ndarray:
        return attribute(points, zones, predicate="within", tolerance_m=0.0)[KEY].array

    def run_sjoin() -> np.ndarray:
        joined = gpd.sjoin(points, right, predicate="within", how="left")
        return joined[KEY].array

    def run_attribute_xy() -> np.ndarray:
        return attribute_xy(x, y, zones, predicate="within", tolerance_m=0.0)[KEY].array

    def run_xy_sjoin() -> np.ndarray:
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=2154)
        return gpd.sjoin(pts, right, predicate="within", how="left")[KEY].array

    out = {
        "attribute": run_attribute,
        "sjoin": run_sjoin,
        "attribute_xy": run_attribute_xy,
        "xy+sjoin": run_xy_sjoin,
    }
    con = duckdb_connection()
    if con is not None:
        wkb = pd.DataFrame({KEY: right[KEY].astype(object), "wkb": shapely.to_wkb(right.geometry)})
        con.register("zones_df", wkb)
        con.execute(
            f"CREATE TEMP TABLE zones AS SELECT {KEY}, ST_GeomFromWKB(wkb) AS geom FROM zones_df"
        )

        def run_duckdb() -> np.ndarray:
            con.register("pts_df", pd.DataFrame({"i": np.arange(x.size), "x": x, "y": y}))
            res = con.execute(
                f"SELECT p.i, z.{KEY} FROM pts_df p LEFT JOIN zones z "
                "ON ST_Within(ST_Point(p.x, p.y), z.geom)"
            ).fetchnumpy()
            codes = np.full(x.size, None, dtype=object)
            values = np.asarray(np.ma.getdata(res[KEY]), dtype=object)
            values[np.ma.getmaskarray(res[KEY])] = None
            codes[res["i"]] = values
            return codes

        out["duckdb"] = run_duckdb
    return out


def repaired(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The zones with invalid geometries repaired as gupgeo repairs them."""
    out = zones.copy()
    geoms = np.asarray(out.geometry.array)
    out.geometry = shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    return out


def make_zones_of(kind: str) -> gpd.GeoDataFrame:
    """The benchmark's zones: ``qpv`` (real-shaped) or ``star`` (the first benchmark's)."""
    return make_qpv_zones() if kind == "qpv" else make_zones()


def versions() -> str:
    """Versions of the libraries timed, for the README."""
    import geopandas
    import numpy

    return (
        f"geopandas {geopandas.__version__}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), numpy {numpy.__version__}, "
        f"pandas {pd.__version__}, Python {sys.version.split()[0]}"
    )


def _status_mb(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (current) resident memory of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_one(n: int, method: str, kind: str, near_edges: float) -> dict[str, float]:
    """Run one method once in this (fresh) process; time and peak RSS."""
    zones = make_zones_of(kind)
    x, y = make_xy(n, zones, near_edges=near_edges)
    points = None
    if method in ("attribute", "sjoin"):
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=2154)
    run = runners(zones, x, y, points)[method]
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current RSS
    before = _status_mb("VmRSS")
    t0 = time.perf_counter()
    run()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": _status_mb("VmHWM"), "before_mb": before}


def coordinates_floor(points: gpd.GeoDataFrame, repeat: int) -> tuple[float, float]:
    """Median wall and CPU time of reading the points' coordinates, one thread.

    No attribution from point geometries can cost less than reading their x and y.
    The cheapest read known is ``shapely.bounds`` (a point's xmin and ymin, one GEOS
    call per point; ``get_x`` + ``get_y`` cost twice as much): the ratio sjoin / this
    bounds the speed-up on one core.
    """
    geoms = np.asarray(points.geometry.array)
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        shapely.bounds(geoms)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated N")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (median kept)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--memory", action="store_true", help="peak RSS per method (subprocess)")
    parser.add_argument(
        "--zones",
        choices=("qpv", "star"),
        default="qpv",
        help="qpv: 105 real-shaped perimeters (default); star: 100 star polygons",
    )
    parser.add_argument(
        "--near-edges",
        type=float,
        default=0.05,
        help="share of the points within a few metres of a perimeter (default 0.05)",
    )
    parser.add_argument("--no-check", action="store_true", help="skip the identity check")
    parser.add_argument("--_one", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def time_methods(
    available: dict[str, Callable[[], np.ndarray]],
    todo: list[str],
    n: int,
    args: argparse.Namespace,
) -> tuple[dict[str, list[float]], dict[str, list[float]], np.ndarray | None]:
    """Wall and CPU times of each method, interleaved, and the checked zone codes."""
    reference = None
    runs: dict[str, list[float]] = {m: [] for m in todo}
    cpu: dict[str, list[float]] = {m: [] for m in todo}
    for _ in range(args.repeat):  # methods interleaved: load changes hit them alike
        for method in todo:
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            codes = available[method]()
            runs[method].append(time.perf_counter() - t0)
            cpu[method].append(time.process_time() - c0)
            if not args.no_check:
                codes = _codes(codes)
                if codes.size != n:
                    raise SystemExit(f"{method}: {codes.size} lignes pour {n} points")
                if reference is None:
                    reference = codes
                elif not np.array_equal(codes, reference):
                    diff = int((codes != reference).sum())
                    raise SystemExit(f"{method}: {diff} points attribués différemment")
            del codes
    return runs, cpu, reference


def first_calls(
    zones: gpd.GeoDataFrame, points: gpd.GeoDataFrame
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Wall and CPU seconds of the first call of ``attribute`` and of ``sjoin``.

    Both libraries keep an index between calls on the same frames: GeoPandas the
    R-tree it builds over the points for ``predicate="within"``, gupgeo the
    prepared zones and their grid. The repeats of :func:`time_methods` measure
    calls that find them (the first repeat excepted); this measures the call that
    builds them, on a copy of the points that has no R-tree yet and after
    :func:`forget_prepared_zones`.
    """
    right = repaired(zones)[[KEY, "geometry"]]
    out = []
    for method in ("attribute", "sjoin"):
        fresh = gpd.GeoDataFrame(geometry=np.asarray(points.geometry.array).copy(), crs=2154)
        assert not fresh.has_sindex
        forget_prepared_zones()
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        if method == "attribute":
            attribute(fresh, zones, predicate="within", tolerance_m=0.0)
        else:
            gpd.sjoin(fresh, right, predicate="within", how="left")
        out.append((time.perf_counter() - t0, time.process_time() - c0))
    forget_prepared_zones()
    return out[0], out[1]


def peak_memory(n: int, method: str, args: argparse.Namespace) -> dict[str, float]:
    """Peak and starting resident memory of one run in a fresh process."""
    command = [sys.executable, __file__, "--_one", f"{n}:{method}", "--zones", args.zones]
    command += ["--near-edges", str(args.near_edges)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    mem = json.loads(out.stdout.strip().splitlines()[-1])
    return {"peak_mb": mem["peak_mb"], "inputs_mb": mem["before_mb"]}


def run_size(
    n: int, zones: gpd.GeoDataFrame, methods: list[str], args: argparse.Namespace
) -> list[dict[str, float]]:
    """Time every method on N points; print the times, the ratios and the floor."""
    x, y = make_xy(n, zones, near_edges=args.near_edges)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=2154)
    available = runners(zones, x, y, points)
    if "duckdb" in methods and "duckdb" not in available:
        print("duckdb / duckdb-ext-spatial non importables : DuckDB ignoré")
    todo = [m for m in methods if m in available]
    first = None
    if "attribute" in todo and "sjoin" in todo:
        first = first_calls(zones, points)
    runs, cpu, reference = time_methods(available, todo, n, args)
    times = {m: statistics.median(runs[m]) for m in todo}
    cpu_times = {m: statistics.median(cpu[m]) for m in todo}
    rows: list[dict[str, float]] = []
    for method in todo:
        row = {"N": n, "method": method, "seconds": times[method], "cpu_s": cpu_times[method]}
        if args.memory:
            row.update(peak_memory(n, method, args))
        rows.append(row)
        print(
            f"  N={n:>10,}  {method:<13} {times[method]:8.3f} s (CPU {cpu_times[method]:.3f} s)",
            flush=True,
        )
    for row in rows:
        base = BASELINE.get(str(row["method"]))
        if "duckdb" in times:
            row["vs duckdb"] = times["duckdb"] / row["seconds"]
        if base in times:
            row["vs sjoin"] = times[base] / row["seconds"]
            row["cpu vs sjoin"] = cpu_times[base] / row["cpu_s"]
            print(
                f"  N={n:>10,}  {row['method']} vs {base} (same run): "
                f"{row['vs sjoin']:.2f}x wall, {row['cpu vs sjoin']:.2f}x CPU"
            )
    if first is not None:
        (a_wall, a_cpu), (s_wall, s_cpu) = first
        print(
            f"  N={n:>10,}  first call, indexes not built yet: attribute {a_wall:.3f} s "
            f"(CPU {a_cpu:.3f} s), sjoin {s_wall:.3f} s (CPU {s_cpu:.3f} s): "
            f"{s_wall / a_wall:.2f}x wall, {s_cpu / a_cpu:.2f}x CPU"
        )
        for row in rows:
            if row["method"] == "attribute":
                row["first call vs sjoin"] = s_wall / a_wall
    if "sjoin" in times:
        floor_s, floor_cpu = coordinates_floor(points, args.repeat)
        print(
            f"  N={n:>10,}  floor: shapely.bounds alone {floor_s:.3f} s (CPU {floor_cpu:.3f} s)"
            f" = sjoin / {times['sjoin'] / floor_s:.1f} wall, / "
            f"{cpu_times['sjoin'] / floor_cpu:.1f} CPU"
        )
    if reference is not None:
        print(f"  N={n:>10,}  assignments identical ({int(pd.notna(reference).sum()):,} in a zone)")
    print(f"  N={n:>10,}  load average {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} CPU")
    return rows


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args._one:
        n, method = args._one.split(":")
        print(json.dumps(measure_one(int(n), method, args.zones, args.near_edges)))
        return
    methods = [m for m in args.methods.split(",") if m]
    zones = make_zones_of(args.zones)
    n_invalid = int((~zones.is_valid).sum())
    print(versions())
    print(
        f"{len(zones)} zones ({args.zones}), "
        f"{int(shapely.get_num_coordinates(zones.geometry).sum())} sommets, "
        f"{n_invalid} invalides (réparées), {args.near_edges:.0%} des points près d'un périmètre"
    )
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows += run_size(n, zones, methods, args)
    table = pd.DataFrame(rows)
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 160):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
