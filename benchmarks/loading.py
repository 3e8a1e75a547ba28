"""Loading benchmark: a French CSV of signalements, gupgeo vs a plain pandas baseline.

Generates (seeded) an N-row French CSV (``;``, decimal comma, UTF-8 with BOM,
``dd/mm/yyyy`` dates, WGS84 lon/lat), then times in the same run:

* baseline: ``pandas.read_csv(sep=";", decimal=",")`` + ``geopandas.points_from_xy``
  (no validation, no date parsing, no reprojection);
* gupgeo: ``gupgeo.read_layer`` — encoding/separator detection, aliases, date
  parsing, status mapping, duplicate ids, geometry checks, reprojection to
  Lambert-93, the full report.

An Excel case follows (``--excel-rows``, default 30,000; 0 skips it): a workbook as
office software exports it (a title row above French headers, real date cells),
timed in the same run by ``pandas.read_excel`` with its default engine (openpyxl, no
validation) and by ``gupgeo.read_layer`` (calamine, header found, validation and
Lambert-93 included). ``--rows 0`` skips the CSV case.

A territory case follows (``--territory-quartiers``, default 105, with
``--territory-points``, default 30,000; 0 skips it): a folder of N jittered quartier
polygons (GeoJSON, Lambert-93) and M signalements (French CSV, WGS84), validated by the
``gupgeo validate`` command in a fresh process, imports included, as a planner runs it
(wall and CPU seconds, median of ``--repeat`` runs; no peer: the issue asks for "a few
seconds").

``--baseline-gc-paused`` runs the CSV baseline with Python's cyclic garbage collector
paused, as gupgeo pauses it while it builds its points (see ``gupgeo/readers/bulk.py``):
without it, most of the baseline's time is the collector walking the million new Point
objects; with it, the ratio shows what validation itself costs.

Usage: ``python benchmarks/loading.py [--rows 1000000] [--repeat 3] [--excel-rows 30000]
[--baseline-gc-paused]``
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

import gupgeo

CATEGORIES = ["propreté", "dépôts sauvages", "encombrants", "éclairage", "dégradations", "tags"]
STATUSES = ["Nouveau", "Pris en compte", "En cours", "Résolu", "Clôturé", "Doublon"]


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2022-01-01")
    days = rng.integers(0, 3 * 365, rows)
    dates = pd.to_datetime(start + days.astype("timedelta64[D]"))
    closed = dates + pd.to_timedelta(rng.integers(1, 60, rows), unit="D")
    lon = 0.69 + rng.normal(0, 0.03, rows)
    lat = 47.39 + rng.normal(0, 0.02, rows)
    frame = pd.DataFrame(
        {
            "id": np.char.add("S-", np.arange(rows).astype(str)),
            "date_signalement": dates.strftime("%d/%m/%Y"),
            "categorie": rng.choice(CATEGORIES, rows),
            "statut": rng.choice(STATUSES, rows),
            "date_cloture": closed.strftime("%d/%m/%Y"),
            "source": rng.choice(["habitant", "gardien", "agent de proximité"], rows),
            "description": rng.choice(
                ["Sac poubelle au pied de l'immeuble", "Tag sur la porte"], rows
            ),
            "longitude": np.round(lon, 6),
            "latitude": np.round(lat, 6),
        }
    )
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")


def baseline(path: Path) -> gpd.GeoDataFrame:
    df = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    return gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df["longitude"], df["latitude"]), crs=4326
    )


def baseline_gc_paused(path: Path) -> gpd.GeoDataFrame:
    from gupgeo.readers.bulk import gc_paused  # imported here: older gupgeo lacks it

    with gc_paused():
        return baseline(path)


def ours(path: Path) -> gpd.GeoDataFrame:
    return gupgeo.read_layer(path, "signalements")


EXCEL_HEADER = ["ID signalement", "Date", "Catégorie", "Statut", "Source", "Description"]


def make_excel(path: Path, rows: int, seed: int = 7) -> None:
    """A GUP export as office software writes it: a title row, French headers, date cells."""
    from openpyxl import Workbook

    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2022-01-01")
    days = rng.integers(0, 3 * 365, rows).tolist()
    lon = np.round(0.69 + rng.normal(0, 0.03, rows), 6).tolist()
    lat = np.round(47.39 + rng.normal(0, 0.02, rows), 6).tolist()
    categories = rng.choice(CATEGORIES, rows).tolist()
    statuses = rng.choice(STATUSES, rows).tolist()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Signalements")
    sheet.append(["Export des signalements GUP — Tours Métropole"])
    sheet.append([*EXCEL_HEADER, "Longitude", "Latitude"])
    for i in range(rows):
        sheet.append(
            [
                f"S-{i}",
                (start + pd.Timedelta(days=days[i])).to_pydatetime(),
                categories[i],
                statuses[i],
                "habitant",
                "Sac poubelle au pied de l'immeuble",
                lon[i],
                lat[i],
            ]
        )
    book.save(path)


def excel_baseline(path: Path) -> pd.DataFrame:
    # pandas 3.x default engine for .xlsx (named to silence its future-change warning).
    return pd.read_excel(path, header=1, engine="openpyxl")


def timed_alternately(
    path: Path, repeat: int, pair: tuple[Callable[[Path], pd.DataFrame], ...] = ()
) -> tuple[list[float], list[float], int, int]:
    """Run baseline and gupgeo in turn, so load changes on a shared machine hit both alike."""
    base_times: list[float] = []
    our_times: list[float] = []
    n_base = n_ours = 0
    base_fn, our_fn = pair or (baseline, ours)
    for _ in range(repeat):
        for fn, times in ((base_fn, base_times), (our_fn, our_times)):
            gc.collect()
            t0 = time.perf_counter()
            out = fn(path)
            times.append(time.perf_counter() - t0)
            if fn is base_fn:
                n_base = len(out)
            else:
                n_ours = len(out)
            del out
    return base_times, our_times, n_base, n_ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--excel-rows", type=int, default=30_000)
    parser.add_argument("--territory-quartiers", type=int, default=105)
    parser.add_argument("--territory-points", type=int, default=30_000)
    parser.add_argument("--baseline-gc-paused", action="store_true")
    args = parser.parse_args()
    if args.rows:
        csv_case(args.rows, args.repeat, gc_paused_baseline=args.baseline_gc_paused)
    if args.excel_rows:
        excel_case(args.excel_rows, args.repeat)
    if args.territory_quartiers:
        territory_case(args.territory_quartiers, args.territory_points, args.repeat)


def _print(title: str, names: tuple[str, str], result: tuple, target: str) -> None:
    base_times, our_times, n_base, n_ours = result
    t_base, t_ours = statistics.median(base_times), statistics.median(our_times)
    ratios = sorted(o / b for o, b in zip(our_times, base_times, strict=True))
    print(title)
    print(f"{'reader':<56} {'median s':>8} {'min s':>6} {'rows/s':>12}")
    print(f"{names[0]:<56} {t_base:8.2f} {min(base_times):6.2f} {n_base / t_base:12,.0f}")
    print(f"{names[1]:<56} {t_ours:8.2f} {min(our_times):6.2f} {n_ours / t_ours:12,.0f}")
    print(f"ratio gupgeo / baseline: {t_ours / t_base:.2f}x ({target})")
    print("ratio per pair of runs: " + ", ".join(f"{r:.2f}" for r in ratios))


def csv_case(rows: int, repeat: int, *, gc_paused_baseline: bool = False) -> None:
    base = baseline_gc_paused if gc_paused_baseline else baseline
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "signalements.csv"
        make_csv(path, rows)
        size_mb = path.stat().st_size / 1e6
        # Warm both paths once (imports, PROJ database) so the medians compare steady states.
        base(path)
        ours(path)
        result = timed_alternately(path, repeat, (base, ours))
    _print(
        f"French CSV, {rows:,} rows, {size_mb:.0f} MB, median of {repeat} runs",
        (
            "pandas.read_csv + points_from_xy (baseline"
            + (", GC paused)" if gc_paused_baseline else ")"),
            "gupgeo.read_layer (validation + Lambert-93)",
        ),
        result,
        "reference: what validation costs beyond a plain read"
        if gc_paused_baseline
        else "target <= 1.5x",
    )


def excel_case(rows: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "signalements.xlsx"
        make_excel(path, rows)
        size_mb = path.stat().st_size / 1e6
        excel_baseline(path)
        ours(path)
        result = timed_alternately(path, repeat, (excel_baseline, ours))
    _print(
        f"Excel export, {rows:,} rows, {size_mb:.1f} MB, median of {repeat} runs",
        (
            "pandas.read_excel, default engine (baseline)",
            "gupgeo.read_layer (calamine + validation + L93)",
        ),
        result,
        "target <= 0.5x, i.e. at least 2x faster",
    )


def make_territory(folder: Path, quartiers: int, points: int, seed: int = 7) -> None:
    """``quartiers.geojson`` (jittered 120-vertex polygons on a 1.5 km grid) and
    ``signalements.csv`` (French CSV, WGS84) spread over their extent."""
    rng = np.random.default_rng(seed)
    per_row = 15
    polygons = []
    for i in range(quartiers):
        cx, cy = 515_000 + (i % per_row) * 1_500, 6_695_000 + (i // per_row) * 1_500
        angles = np.sort(rng.uniform(0, 2 * np.pi, 120))
        radius = 400 + rng.normal(0, 40, 120)
        polygons.append(
            shapely.Polygon(
                np.column_stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)])
            )
        )
    gpd.GeoDataFrame(
        {
            "code_qp": [f"QN037{i:03d}M" for i in range(quartiers)],
            "nom_qp": [f"Quartier {i + 1}" for i in range(quartiers)],
            "commune": "Tours",
            "population": 3_000,
        },
        geometry=polygons,
        crs=2154,
    ).to_file(folder / "quartiers.geojson")
    rows = -(-quartiers // per_row)
    x = 515_000 + rng.uniform(-500, per_row * 1_500, points)
    y = 6_695_000 + rng.uniform(-500, rows * 1_500, points)
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(x, y)
    path = folder / "signalements.csv"
    make_csv(path, points, seed=seed)
    frame = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    frame["longitude"], frame["latitude"] = np.round(lon, 6), np.round(lat, 6)
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")


def territory_case(quartiers: int, points: int, repeat: int) -> None:
    command = [str(Path(sys.executable).with_name("gupgeo")), "validate"]
    walls: list[float] = []
    cpus: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        make_territory(Path(tmp), quartiers, points)
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run([*command, tmp], capture_output=True, text=True, check=False)
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    verdict = done.stdout.rstrip().splitlines()[-1] if done.stdout else done.stderr
    print(f"gupgeo validate, {quartiers} quartiers + {points:,} signalements, median of {repeat}")
    print(
        f"wall {statistics.median(walls):.2f} s, CPU {statistics.median(cpus):.2f} s "
        f"(min wall {min(walls):.2f} s) ; exit {done.returncode} : {verdict}"
    )


if __name__ == "__main__":
    main()
