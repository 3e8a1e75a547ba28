"""Benchmark: gupgeo.veille against the plain esda / scikit-learn calls a user would write.

Generates N seeded signalements over a metropole-sized Lambert-93 extent (30 km × 30 km
around Tours, 3 years, 6 categories): 40 % uniform, 50 % around 300 "hot places"
(normal, σ = 150 m) and 10 % repeated reports at 2,000 "repeated places" (normal,
σ = 5 m). Both sides work on the same study area (the extent): gupgeo on its INSEE-aligned 200 m
cells whose centre lies in it (built inside the timing), the plain route on 200 m
Lambert-93 boxes. Then times, in the same run and on the same points, each with its peak
resident memory above what the process held before the call (Linux ``VmHWM`` reset
through ``/proc/self/clear_refs``):

- **hot spots**: ``gupgeo.veille.hotspots(cell_m=200, permutations=999)`` vs the plain
  route — a 200 m Lambert-93 grid of shapely boxes over the extent, counts by
  ``geopandas.sjoin``, ``libpysal.weights.Queen.from_dataframe``,
  ``esda.G_Local(star=True, permutations=999)``;
- **emerging hot spots**: ``gupgeo.veille.emerging_hotspots(freq="month")`` vs a plain
  loop — the same grid, monthly counts, one ``esda.G_Local(permutations=0)`` per month,
  then ``scipy.stats.kendalltau`` of each cell's z-scores against time;
- **repeated reports**: ``gupgeo.veille.repeated_reports(radius_m=20, days=30)`` vs
  ``sklearn.cluster.DBSCAN(eps=20, min_samples=2)`` per category on x/y (no time, and
  chaining: the largest DBSCAN cluster's extent is printed beside gupgeo's bound of
  2 × radius_m).

Usage::

    .venv/bin/python benchmarks/veille.py --rows 1000000
    .venv/bin/python benchmarks/veille.py --rows 100000 --only hotspots
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gupgeo.veille import emerging_hotspots, hotspots, repeated_reports, square_grid

X0, Y0, SIDE_M = 510_000.0, 6_685_000.0, 30_000.0
CATEGORIES = ("propreté", "encombrants", "éclairage", "voirie", "tags", "espaces verts")


def make_signalements(n: int, seed: int = 12) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    n_uniform, n_hot = int(0.4 * n), int(0.5 * n)
    n_rep = n - n_uniform - n_hot
    hot = rng.uniform(
        [X0 + 1_000, Y0 + 1_000], [X0 + SIDE_M - 1_000, Y0 + SIDE_M - 1_000], (300, 2)
    )
    rep = rng.uniform(
        [X0 + 1_000, Y0 + 1_000], [X0 + SIDE_M - 1_000, Y0 + SIDE_M - 1_000], (2_000, 2)
    )
    k_hot = rng.integers(0, len(hot), n_hot)
    k_rep = rng.integers(0, len(rep), n_rep)
    x = np.r_[
        rng.uniform(X0, X0 + SIDE_M, n_uniform),
        hot[k_hot, 0] + rng.normal(0, 150, n_hot),
        rep[k_rep, 0] + rng.normal(0, 5, n_rep),
    ]
    y = np.r_[
        rng.uniform(Y0, Y0 + SIDE_M, n_uniform),
        hot[k_hot, 1] + rng.normal(0, 150, n_hot),
        rep[k_rep, 1] + rng.normal(0, 5, n_rep),
    ]
    days = rng.integers(0, 3 * 365, n)
    cat = np.r_[rng.integers(0, len(CATEGORIES), n_uniform + n_hot), k_rep % len(CATEGORIES)]
    return gpd.GeoDataFrame(
        {
            "id": np.char.add("S", np.arange(n).astype(str)),
            "categorie": np.asarray(CATEGORIES, dtype=object)[cat],
            "date_signalement": pd.Timestamp("2022-01-01") + pd.to_timedelta(days, unit="D"),
            "statut": np.where(rng.random(n) < 0.7, "résolu", "nouveau"),
        },
        geometry=gpd.points_from_xy(x, y),
        crs=2154,
    )


def study_grid() -> gpd.GeoDataFrame:
    """gupgeo's INSEE-aligned 200 m cells whose centre lies in the extent (built in the timing)."""
    return square_grid(cell_m=200, bounds=(X0, Y0, X0 + SIDE_M, Y0 + SIDE_M))


def plain_grid(cell_m: float = 200.0) -> gpd.GeoDataFrame:
    xs = np.arange(X0, X0 + SIDE_M, cell_m)
    ys = np.arange(Y0, Y0 + SIDE_M, cell_m)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell_m, gy.ravel() + cell_m)
    return gpd.GeoDataFrame({"cell": np.arange(len(boxes))}, geometry=boxes, crs=2154)


def plain_hotspots(s: gpd.GeoDataFrame) -> object:
    import esda
    import libpysal

    grid = plain_grid()
    joined = gpd.sjoin(s[["geometry"]], grid, predicate="within")
    counts = joined["cell"].value_counts().reindex(grid["cell"], fill_value=0).to_numpy()
    w = libpysal.weights.Queen.from_dataframe(grid, use_index=False)
    return esda.G_Local(counts.astype(float), w, star=True, permutations=999, seed=1)


def plain_emerging(s: gpd.GeoDataFrame) -> object:
    import esda
    import libpysal
    from scipy import stats

    grid = plain_grid()
    joined = gpd.sjoin(s[["geometry", "date_signalement"]], grid, predicate="within")
    month = joined["date_signalement"].dt.to_period("M")
    cube = pd.crosstab(joined["cell"], month).reindex(grid["cell"], fill_value=0)
    w = libpysal.weights.Queen.from_dataframe(grid, use_index=False)
    z = np.column_stack(
        [esda.G_Local(cube[c].to_numpy(float), w, star=True, permutations=0).Zs for c in cube]
    )
    t = np.arange(z.shape[1])
    return [stats.kendalltau(t, row).pvalue for row in z]


def plain_dbscan(s: gpd.GeoDataFrame) -> dict[str, float]:
    from sklearn.cluster import DBSCAN

    biggest = 0.0
    n_clusters = 0
    for _, part in s.groupby("categorie"):
        xy = np.column_stack([part.geometry.x, part.geometry.y])
        labels = DBSCAN(eps=20, min_samples=2).fit(xy).labels_
        n_clusters += labels.max() + 1
        ok = labels >= 0
        if ok.any():
            frame = pd.DataFrame({"l": labels[ok], "x": xy[ok, 0], "y": xy[ok, 1]})
            ext = frame.groupby("l").agg(["min", "max"])
            span = np.hypot(ext["x"]["max"] - ext["x"]["min"], ext["y"]["max"] - ext["y"]["min"])
            biggest = max(biggest, float(span.max()))
    return {"groups": n_clusters, "largest_extent_m": biggest}


def _mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(run: Callable[[], object]) -> tuple[float, float, object]:
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = _mb("VmRSS")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run()
    return time.perf_counter() - t0, _mb("VmHWM") - before, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("hotspots", "emerging", "repeated"), default=None)
    args = parser.parse_args(argv)
    s = make_signalements(args.rows)
    print(f"{args.rows:,} signalements, {SIDE_M / 1000:g} km × {SIDE_M / 1000:g} km, 200 m cells")
    pairs: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "hotspots": (
            lambda: hotspots(s, grid=study_grid(), permutations=999, seed=1),
            lambda: plain_hotspots(s),
        ),
        "emerging": (
            lambda: emerging_hotspots(s, grid=study_grid(), freq="month"),
            lambda: plain_emerging(s),
        ),
        "repeated": (lambda: repeated_reports(s, radius_m=20, days=30), lambda: plain_dbscan(s)),
    }
    rows = []
    for name, (ours, plain) in pairs.items():
        if args.only and name != args.only:
            continue
        t_ours, m_ours, out = measure(ours)
        t_plain, m_plain, ref = measure(plain)
        note = ""
        if name == "hotspots":
            note = f"{len(out):,} cells, {int((out['niveau'] <= 0.05).sum()):,} at 95 %"
        elif name == "emerging":
            note = f"{len(out):,} cells, {int((out['categorie'] != 'aucune tendance').sum()):,} with a category"
        else:
            note = (
                f"gupgeo {len(out):,} groups (extent ≤ 40 m); DBSCAN {ref['groups']:,} clusters, "
                f"largest {ref['largest_extent_m']:,.0f} m"
            )
        rows.append((name, t_ours, m_ours, t_plain, m_plain, note))
        print(f"  {name}: gupgeo {t_ours:.1f} s, plain {t_plain:.1f} s", flush=True)
    print()
    print("| step | gupgeo (s) | gupgeo peak (MB) | plain (s) | plain peak (MB) | ratio | notes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, t1, m1, t2, m2, note in rows:
        print(f"| {name} | {t1:.1f} | {m1:,.0f} | {t2:.1f} | {m2:,.0f} | {t2 / t1:.1f}× | {note} |")


if __name__ == "__main__":
    main()
