"""Benchmark: national scale — attribution in memory vs Dask (LocalCluster) vs PostGIS.

N seeded synthetic signalements (default 20 million) around Z synthetic quartiers
(default 1,500, in towns over mainland France; ``tests/_scale_synthetic.py``), dated over
2022–2024 and written once as GeoParquet partitioned by year (files of 1 million rows, what
:func:`gupgeo.storage.parquet.write_layer_parquet` writes; not timed), by a process of its
own. Then, each in a fresh process so that peak memory is its own:

- **memoire**: the files read into one GeoDataFrame (geopandas, as the reader does),
  ``gupgeo.attribute(points, quartiers, tolerance_m=15)`` and the report (counts per
  quartier);
- **dask**: a ``LocalCluster`` of ``--workers`` processes (one thread each),
  ``read_layer_dask`` → ``gupgeo.attribute`` (map_partitions, zones broadcast) →
  ``partitions_report``: the same counts, read and attributed on the workers;
- **postgis**: the first ``--postgis-points`` points and the quartiers saved in a PostGIS
  schema (GiST indexes; the save is not timed), then ``attribute_in_database``
  (``ST_CoveredBy`` + ``ST_DWithin``); the same points attributed in memory in the same
  process for the ratio. The server is ``--url``, else ``GUPGEO_TEST_PG_URL`` or the
  libpq variables, else a throwaway cluster from Debian's binaries (as the tests).

Every method's counts per quartier are checked equal to the in-memory ones. Time is wall
clock (``time.perf_counter``), everything included from the files on; peak memory is
``VmHWM`` of the process, plus each Dask worker's own (asked to the workers), plus,
for PostGIS, the largest sum of the resident memory of the server's processes sampled
every 0.1 s from ``/proc`` (the throwaway cluster only, whose processes are known).

Usage::

    .venv/bin/python benchmarks/scale.py                      # 20M points, 1,500 quartiers
    .venv/bin/python benchmarks/scale.py --points 2000000 --postgis-points 200000
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gupgeo import Territory, attribute  # noqa: E402
from gupgeo.attribution import attribution_report  # noqa: E402
from gupgeo.storage.parquet import write_layer_parquet  # noqa: E402
from tests._scale_synthetic import synthetic_quartiers, synthetic_xy  # noqa: E402
from tests.postgis_support import configured_url, throwaway_cluster, with_schema  # noqa: E402

GB = 1024**3
TOLERANCE_M = 15.0


def _peak_bytes() -> int:
    """Peak resident memory of this process (``VmHWM``: reset at ``exec``, unlike
    ``ru_maxrss``, which a spawned child inherits from its parent's size at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def make_data(folder: Path, n_points: int, n_zones: int, seed: int, out: Any) -> None:
    """Quartiers (one file) and points (partitioned by year) written under ``folder``."""
    quartiers = synthetic_quartiers(n_zones, seed=seed)
    quartiers.to_parquet(folder / "quartiers.parquet", index=False)
    xy = synthetic_xy(quartiers, n_points, seed=seed)
    rng = np.random.default_rng(seed + 5)
    start = pd.Timestamp("2022-01-01").value
    span = pd.Timestamp("2025-01-01").value - start
    points = gpd.GeoDataFrame(
        {
            "id": np.arange(n_points, dtype=np.int64),
            "date_signalement": pd.to_datetime(
                (start + rng.integers(0, span, n_points)) // 10**9 * 10**9
            ),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=2154,
    )
    del xy
    write_layer_parquet(points, folder / "signalements", layer="signalements")
    out.put({"pic": _peak_bytes()})


def per_zone(report: Any) -> dict[str, int]:
    layer = report["code_qp"]
    counts = {str(k): int(v) for k, v in layer.per_zone.items()}
    counts["hors zone"] = layer.n_outside
    return counts


def run_memory(folder: Path, out: Any) -> None:
    from gupgeo.readers.parquet import dataset_files

    started = time.perf_counter()
    quartiers = gpd.read_parquet(folder / "quartiers.parquet")
    parts = [gpd.read_parquet(f) for f in dataset_files(folder / "signalements")]
    points = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    del parts
    read = time.perf_counter() - started
    result = attribute(points, quartiers, tolerance_m=TOLERANCE_M, multiple="largest")
    report = attribution_report(result)
    total = time.perf_counter() - started
    out.put(
        {
            "methode": "memoire",
            "points": len(points),
            "secondes": total,
            "detail": f"lecture {read:.1f} s + rattachement {total - read:.1f} s",
            "pic": _peak_bytes(),
            "comptes": per_zone(report),
        }
    )


def run_dask(folder: Path, workers: int, out: Any) -> None:
    from distributed import Client, LocalCluster

    from gupgeo.attribution.distributed import partitions_report
    from gupgeo.storage.parquet import read_layer_dask

    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        started = time.perf_counter()
        quartiers = gpd.read_parquet(folder / "quartiers.parquet")
        lazy = read_layer_dask(folder / "signalements")
        options: dict[str, Any] = {"tolerance_m": TOLERANCE_M, "multiple": "largest"}
        result = attribute(lazy, quartiers, **options)
        report = partitions_report(result, quartiers, **options)
        total = time.perf_counter() - started
        peaks = client.run(_peak_bytes)
        out.put(
            {
                "methode": f"dask ({workers} workers)",
                "points": report.n_features,
                "secondes": total,
                "detail": f"{lazy.npartitions} partitions ; pics des workers "
                + ", ".join(f"{p / GB:.2f}" for p in peaks.values())
                + " Go",
                "pic": _peak_bytes() + sum(peaks.values()),
                "comptes": per_zone(report),
            }
        )


class ServerMemory:
    """Largest summed RSS of a PostgreSQL server's processes, sampled from /proc."""

    def __init__(self, port: int | None) -> None:
        self.port = port
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ServerMemory:
        if self.port is not None:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _postmaster(self) -> int | None:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
                if cmd and cmd[0].endswith(b"postgres") and str(self.port).encode() in cmd:
                    return int(proc.name)
        return None

    def _sample(self) -> None:
        root = self._postmaster()
        while root is not None and not self._stop.is_set():
            total = 0
            for proc in Path("/proc").iterdir():
                with contextlib.suppress(OSError, ValueError):
                    status = (proc / "status").read_text()
                    fields = dict(line.split(":", 1) for line in status.splitlines())
                    if int(proc.name) == root or int(fields["PPid"]) == root:
                        total += int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
            self.peak = max(self.peak, total)
            time.sleep(0.1)


def run_postgis(folder: Path, url: str, port: int | None, n: int, out: Any) -> None:
    from gupgeo.attribution.database import attribute_in_database

    quartiers = gpd.read_parquet(folder / "quartiers.parquet")
    from gupgeo.readers.parquet import dataset_files

    parts, rows = [], 0
    for f in dataset_files(folder / "signalements"):
        if rows >= n:
            break
        parts.append(gpd.read_parquet(f))
        rows += len(parts[-1])
    points = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True).iloc[:n], crs=parts[0].crs)
    points["id"] = points["id"].astype(str)
    target = with_schema(url, f"bench_scale_{n}")
    Territory({"quartiers": quartiers, "signalements": points}).save(target)
    base_peak = _peak_bytes()
    started = time.perf_counter()
    with ServerMemory(port) as server:
        db = attribute_in_database(target, tolerance_m=TOLERANCE_M)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    memory = attribute(points, quartiers, tolerance_m=TOLERANCE_M, multiple="largest")
    memory_seconds = time.perf_counter() - started
    a = memory.set_index("id")["code_qp"].astype(object)
    b = db.loc[a.index, "code_qp"]
    same = bool((a.isna() == b.isna()).all() and (a.dropna() == b.dropna()).all())
    out.put(
        {
            "methode": "postgis",
            "points": len(points),
            "secondes": seconds,
            "detail": f"mêmes points en mémoire : {memory_seconds:.2f} s ; "
            f"réponses identiques : {'oui' if same else 'NON'} ; serveur "
            + (f"{server.peak / GB:.2f} Go" if server.peak else "non mesuré"),
            "pic": base_peak + server.peak,
            "comptes": None,
            "memoire_meme_points": memory_seconds,
        }
    )


def in_child(target: Any, *args: Any) -> dict[str, Any]:
    """Run ``target`` in a fresh process; its result comes back through a queue."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return dict(result)


def port_of(url: str) -> int | None:
    from urllib.parse import urlsplit

    return urlsplit(url).port


def print_table(results: list[dict[str, Any]]) -> None:
    base = next(r for r in results if r["methode"] == "memoire")
    print("| méthode | points | temps | pic mémoire | temps / mémoire | détail |")
    print("|---|---:|---:|---:|---:|---|")
    for r in results:
        if r["methode"] == "postgis":
            ratio = r["secondes"] / r["memoire_meme_points"]
        else:
            ratio = r["secondes"] / base["secondes"]
        print(
            f"| {r['methode']} | {r['points']:,} | {r['secondes']:.1f} s | "
            f"{r['pic'] / GB:.2f} Go | {ratio:.2f}× | {r['detail']} |"
        )
    for r in results:
        if r["comptes"] is not None and r["comptes"] != base["comptes"]:
            raise SystemExit(f"{r['methode']} : comptes par quartier différents de la mémoire")
    compared = [r["methode"] for r in results if r["comptes"] is not None and r is not base]
    if compared:
        print(f"comptes par quartier identiques entre mémoire et {', '.join(compared)} : oui")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000_000)
    parser.add_argument("--zones", type=int, default=1_500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgis-points", type=int, default=1_000_000)
    parser.add_argument("--methods", default="memoire,dask,postgis")
    parser.add_argument("--url", help="PostGIS (postgresql://…); défaut : comme les tests")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, help="dossier de travail (défaut : temporaire)")
    args = parser.parse_args()
    methods = args.methods.split(",")
    folder = args.dir or Path(tempfile.mkdtemp(prefix="gupgeo-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    made = in_child(make_data, folder, args.points, args.zones, args.seed)
    print(
        f"données : {args.points:,} points, {args.zones:,} quartiers, écrites en "
        f"{time.perf_counter() - started:.0f} s dans {folder} "
        f"(pic {made['pic'] / GB:.2f} Go)"
    )
    results = [in_child(run_memory, folder)]
    if "dask" in methods:
        results.append(in_child(run_dask, folder, args.workers))
    with contextlib.ExitStack() as stack:
        if "postgis" in methods:
            url = args.url or configured_url()
            if url is None:
                url = stack.enter_context(throwaway_cluster())
            n = min(args.postgis_points, args.points)
            results.append(in_child(run_postgis, folder, url, port_of(url), n))
    print_table(results)
    if args.dir is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
