"""Time the full GUP dashboard against a straightforward pandas groupby baseline.

Synthetic, already-attributed signalements (default 1,000,000 rows, 13 quartiers,
36 months, ~15 categories, canonical statuses, closing dates for closed ones) plus
small actions/TFPB/agents layers. In the same process and on the same frame:

- **baseline**: what one would write by hand with pandas — per quartier and month,
  counts by category, share closed, median and 90th-percentile days to close
  (``groupby(...).size().unstack()``, ``groupby(...).mean()``,
  ``groupby(...).quantile(...)``), plus the same for the whole period;
- **dashboard**: ``gupgeo.build_dashboard(layers, period=..., freq="month")`` with every
  measure (the above, plus rates, backlog with age buckets at each month end,
  change vs. previous period, statuses, dégradations, sources, every other table).

With ``--charts`` it times instead the whole dashboard product on ``--quartiers`` (105
for the issue's figure): ``build_dashboard`` + ``export_dashboard`` (CSVs, XLSX) without
charts, then the same with every chart as SVG written from the data (the default), and
with ``--png`` also SVG + PNG drawn by matplotlib (how every chart was drawn before),
alternately, and prints each, the number of chart files and the time per file; then
one more product stage by stage (publication, indicators, CSV, XLSX, charts).

Usage::

    .venv/bin/python benchmarks/dashboard.py            # 1M rows
    .venv/bin/python benchmarks/dashboard.py --rows 200000 --repeat 3
    .venv/bin/python benchmarks/dashboard.py --charts --quartiers 105 --rows 200000 --repeat 2
    .venv/bin/python benchmarks/dashboard.py --charts --png --quartiers 105 --rows 200000 --repeat 1
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from gupgeo.dashboard.model import build_dashboard
from gupgeo.schemas import AXES_TFPB, STATUTS

CATEGORIES = (
    "Propreté",
    "Tags",
    "Dépôt sauvage",
    "Encombrants",
    "Éclairage public",
    "Mobilier urbain",
    "Épave",
    "Voirie",
    "Espaces verts",
    "Parties communes",
    "Ascenseur en panne",
    "Nuisances sonores",
    "Stationnement gênant",
    "Nids de poule",
    "Autre",
)
SOURCES = ("habitant", "gardien", "agent de proximité", "application", "téléphone", "élu")


def make_layers(n_rows: int, n_quartiers: int = 13, months: int = 36, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    codes = [f"LOC-Q{i + 1:02d}" for i in range(n_quartiers)]
    quartiers = pd.DataFrame(
        {
            "code_qp": codes,
            "nom_qp": [f"Quartier {i + 1}" for i in range(n_quartiers)],
            "population": rng.integers(1500, 9000, n_quartiers),
            "surface_ha": rng.uniform(20, 120, n_quartiers),
        }
    )
    t0 = pd.Timestamp("2022-01-01")
    span = (t0 + pd.DateOffset(months=months) - t0).days
    created = t0 + pd.to_timedelta(rng.integers(0, span, n_rows), unit="D")
    status = np.asarray(STATUTS, dtype=object)[
        rng.choice(len(STATUTS), n_rows, p=(0.08, 0.07, 0.05, 0.1, 0.6, 0.1))
    ]
    closed = np.isin(status, ["résolu", "clos autre"])
    cloture = pd.Series(created + pd.to_timedelta(rng.exponential(18, n_rows).round(), "D"))
    zone = rng.integers(0, n_quartiers + 1, n_rows)
    signalements = pd.DataFrame(
        {
            "id": pd.RangeIndex(n_rows).astype("str"),
            "date_signalement": pd.Series(created),
            "categorie": np.asarray(CATEGORIES, dtype=object)[
                rng.integers(0, len(CATEGORIES), n_rows)
            ],
            "statut": status,
            "date_cloture": cloture.where(closed),
            "source": np.asarray(SOURCES, dtype=object)[rng.integers(0, len(SOURCES), n_rows)],
            "code_qp": np.asarray([*codes, None], dtype=object)[zone],
        }
    ).astype({"categorie": "str", "statut": "str", "source": "str", "code_qp": "str"})
    k = 2000
    small_dates = pd.Series(t0 + pd.to_timedelta(rng.integers(0, span, k), unit="D"))
    small_qp = np.asarray(codes, dtype=object)[rng.integers(0, n_quartiers, k)]
    return {
        "quartiers": quartiers,
        "signalements": signalements,
        "actions": pd.DataFrame(
            {"id": range(k), "code_qp": small_qp, "date": small_dates, "theme": "propreté"}
        ),
        "tfpb": pd.DataFrame(
            {
                "bailleur": "Bailleur",
                "code_qp": small_qp,
                "annee": small_dates.dt.year,
                "axe": np.asarray(AXES_TFPB, dtype=object)[rng.integers(0, 8, k)],
                "montant_eur": rng.uniform(100, 9000, k),
            }
        ),
        "reunions": pd.DataFrame(
            {"date": small_dates, "code_qp": small_qp, "agents_proximite": rng.integers(0, 3, k)}
        ),
        "arrets_agents": pd.DataFrame(
            {"code_qp": small_qp, "date_debut": small_dates, "date_fin": small_dates}
        ),
        "operations": pd.DataFrame(
            {"id": [f"OP{i}" for i in range(20)], "nom": "opération", "code_qp": codes[0]}
        ),
        "garanties": pd.DataFrame(
            {"objet_id": [f"OP{i % 20}" for i in range(k)], "date": small_dates}
        ),
        "constats": pd.DataFrame(
            {
                "id": range(k),
                "date": small_dates,
                "code_qp": small_qp,
                "theme": "éclairage",
                "gravite": rng.integers(1, 4, k),
                "statut": np.asarray(["à traiter", "levé"], dtype=object)[rng.integers(0, 2, k)],
            }
        ),
    }


def baseline(sig: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, object]:
    """Per quartier × month and per quartier for the period: the hand-written version."""
    in_period = sig[(sig["date_signalement"] >= start) & (sig["date_signalement"] < end)]
    mois = in_period["date_signalement"].dt.to_period("M")
    clos_sans_date = (
        in_period["statut"].isin(["résolu", "clos autre"]) & in_period["date_cloture"].isna()
    )
    df = in_period.assign(
        mois=mois,
        code_qp=in_period["code_qp"].fillna("hors QPV"),
        # closed by the end of the month / of the period (same definition as the dashboard)
        clos_mensuel=(in_period["date_cloture"] < (mois + 1).dt.start_time) | clos_sans_date,
        clos_periode=(in_period["date_cloture"] < end) | clos_sans_date,
    )
    out: dict[str, object] = {}
    for keys, name in ((["code_qp", "mois"], "mensuel"), (["code_qp"], "periode")):
        g = df.groupby(keys, observed=True)
        out[f"categories_{name}"] = (
            df.groupby([*keys, "categorie"], observed=True).size().unstack(fill_value=0)
        )
        out[f"nb_{name}"] = g.size()
        out[f"part_clos_{name}"] = g[f"clos_{name}"].mean() * 100
    closing = sig[(sig["date_cloture"] >= start) & (sig["date_cloture"] < end)]
    closing = closing.assign(
        mois=closing["date_cloture"].dt.to_period("M"),
        code_qp=closing["code_qp"].fillna("hors QPV"),
        delai=(closing["date_cloture"] - closing["date_signalement"]).dt.days,
    )
    for keys, name in ((["code_qp", "mois"], "mensuel"), (["code_qp"], "periode")):
        out[f"delais_{name}"] = (
            closing.groupby(keys, observed=True)["delai"].quantile([0.5, 0.9]).unstack()
        )
    return out


def _same_as_baseline(db, base: dict[str, object]) -> bool:  # type: ignore[no-untyped-def]
    """Counts, categories, share closed and delays equal the baseline's (monthly and period)."""

    def aligned(ours: pd.DataFrame, theirs: pd.DataFrame) -> bool:
        theirs = theirs.rename(index=str)
        ours = ours.reindex(index=theirs.index, columns=theirs.columns)
        return bool(np.allclose(ours.to_numpy(float), theirs.to_numpy(float), equal_nan=True))

    checks = []
    for name, tables in (("mensuel", db.series), ("periode", db.tables)):
        summary = tables["signalements"]
        if name == "periode":
            summary = summary.rename_axis("code_qp")
        checks.append(
            aligned(summary[["nb_signalements"]], base[f"nb_{name}"].to_frame("nb_signalements"))
        )
        checks.append(aligned(tables["signalements_par_categorie"], base[f"categories_{name}"]))
        checks.append(
            aligned(summary[["part_clos_pct"]], base[f"part_clos_{name}"].to_frame("part_clos_pct"))
        )
        delays = base[f"delais_{name}"].set_axis(["delai_median_jours", "delai_p90_jours"], axis=1)
        checks.append(aligned(summary[list(delays.columns)], delays))
    return all(checks)


def timed_pair(
    first: Callable[[], object], second: Callable[[], object], repeat: int
) -> tuple[list[float], list[float]]:
    """Alternate the two functions so that load from other processes hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((first, times[0]), (second, times[1])):
            gc.collect()
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return times


def _product(layers: dict, period: tuple[str, str], formats: tuple[str, ...]) -> int:
    """Build and export the dashboard with charts in ``formats`` (none: no charts);
    the number of chart files written."""
    import shutil
    import tempfile
    from pathlib import Path

    from gupgeo.dashboard.export import export_dashboard

    out = Path(tempfile.mkdtemp(prefix="gupgeo-dashboard-"))
    try:
        db = build_dashboard(layers, period=period, freq="month")
        written = export_dashboard(db, out, charts=bool(formats), chart_formats=formats or ("svg",))
        return sum(1 for p in written if p.parent.name == "graphiques")
    finally:
        shutil.rmtree(out)


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the PNG workers)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _stages(layers: dict, period: tuple[str, str]) -> None:
    """One more product with SVG charts, stage by stage: wall and CPU of each."""
    import shutil
    import tempfile
    from pathlib import Path

    from gupgeo.dashboard.charts import render_dashboard_charts
    from gupgeo.dashboard.export import write_csv, write_xlsx
    from gupgeo.publication import as_publication

    out = Path(tempfile.mkdtemp(prefix="gupgeo-dashboard-"))
    done: dict[str, object] = {}
    stages = {
        "publication (masquage, profil partenaires)": lambda: as_publication(layers, None),
        "indicateurs (build_dashboard)": lambda: build_dashboard(
            done["publication (masquage, profil partenaires)"], period=period, freq="month"
        ),
        "CSV (tables, séries, table longue)": lambda: write_csv(
            done["indicateurs (build_dashboard)"], out
        ),
        "XLSX": lambda: write_xlsx(done["indicateurs (build_dashboard)"], out / "t.xlsx"),
        "graphiques SVG": lambda: render_dashboard_charts(
            done["indicateurs (build_dashboard)"], out / "graphiques"
        ),
    }
    parts = []
    try:
        for name, stage in stages.items():
            gc.collect()
            t, c = time.perf_counter(), time.process_time()
            done[name] = stage()
            parts.append(
                f"{name} {time.perf_counter() - t:.2f} s ({time.process_time() - c:.2f} s CPU)"
            )
    finally:
        shutil.rmtree(out)
    print("étapes d'un produit avec graphiques : " + " ; ".join(parts))


def run_charts(layers: dict, period: tuple[str, str], repeat: int, *, png: bool) -> None:
    """Time the dashboard product without charts, with SVG charts (the default) and,
    with ``png``, with SVG + PNG (matplotlib, as every chart was drawn before), alternately."""
    import sys

    import matplotlib

    print(
        f"matplotlib {matplotlib.__version__}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cœurs, "
        f"charge {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    variants = {"sans graphiques": (), "SVG": ("svg",)}
    if png:
        variants["SVG + PNG"] = ("svg", "png")
    times: dict[str, list[float]] = {k: [] for k in variants}
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    files: dict[str, int] = {}
    for _ in range(repeat):
        for name, formats in variants.items():
            gc.collect()
            t, c = time.perf_counter(), _cpu_s()
            files[name] = _product(layers, period, formats)
            times[name].append(time.perf_counter() - t)
            cpu[name].append(_cpu_s() - c)
    base = statistics.median(times["sans graphiques"])
    base_cpu = statistics.median(cpu["sans graphiques"])
    for name in variants:
        wall, used = statistics.median(times[name]), statistics.median(cpu[name])
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        runs_cpu = ", ".join(f"{t:.2f}" for t in cpu[name])
        extra = (wall - base) / max(files[name], 1) * 1000
        print(
            f"{name} : médiane {wall:.2f} s ({runs}), "
            f"CPU {used:.2f} s ({runs_cpu}, processus et workers), "
            f"{files[name]} fichiers de graphiques"
            + (f", {extra:.1f} ms par fichier, {wall / base:.2f}× sans" if files[name] else "")
        )
    print(
        f"rapport avec / sans graphiques (SVG) : "
        f"{statistics.median(times['SVG']) / base:.2f}× en temps, "
        f"{statistics.median(cpu['SVG']) / base_cpu:.2f}× en CPU (même exécution)"
    )
    _stages(layers, period)
    print(f"charge en fin de mesure : {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quartiers", type=int, default=13)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--charts", action="store_true", help="time the product with charts")
    parser.add_argument(
        "--png", action="store_true", help="with --charts, also time SVG + PNG (matplotlib)"
    )
    args = parser.parse_args()

    t = time.perf_counter()
    layers = make_layers(args.rows, args.quartiers, args.months)
    print(f"données synthétiques : {args.rows:,} signalements en {time.perf_counter() - t:.1f} s")
    last = pd.Timestamp("2022-01-01") + pd.DateOffset(months=args.months) - pd.Timedelta(days=1)
    period = ("2022-01-01", last.date().isoformat())
    start = pd.Timestamp(period[0])
    end = pd.Timestamp(period[1]) + pd.Timedelta(days=1)
    sig = layers["signalements"]
    if args.charts:
        run_charts(layers, period, args.repeat, png=args.png)
        return

    base, full = timed_pair(
        lambda: baseline(sig, start, end),
        lambda: build_dashboard(layers, period=period, freq="month"),
        args.repeat,
    )
    db = build_dashboard(layers, period=period, freq="month")
    check = db.reconciliation()
    same = _same_as_baseline(db, baseline(sig, start, end))
    b_med, d_med = statistics.median(base), statistics.median(full)
    print(f"baseline pandas groupby : médiane {b_med:.3f} s (min {min(base):.3f} s)")
    print(f"tableau de bord complet : médiane {d_med:.3f} s (min {min(full):.3f} s)")
    print(
        f"rapport tableau de bord / baseline : {min(full) / min(base):.2f}× sur les minimums, "
        f"{d_med / b_med:.2f}× sur les médianes (cible ≤ 1,5×)"
    )
    print(
        f"{len(db.tables)} tableaux, {sum(len(s) for s in db.series.values()):,} lignes de "
        f"séries, totaux réconciliés : {bool(check['ok'].all())}, "
        f"mêmes valeurs que la baseline : {same}"
    )


if __name__ == "__main__":
    main()
