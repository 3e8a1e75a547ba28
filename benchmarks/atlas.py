"""Time the quartier atlas: the bundled sample, and a generated territory of 100 quartiers.

Each scenario runs in a fresh subprocess (so peak memory is its own): load or generate
the territory, then ``build_atlas`` of every quartier for 2024 with the default workers
(the available cores), the real Leaflet assets and the ``partenaires`` profile.
Reported: total time, preparation time (attribution, dashboard, publication, veille),
per-page time (min / median / max, measured in the workers), pages per minute, peak
resident memory of the main process and of the largest worker (``ru_maxrss``), and the
folder size.

The generated territory: ``--quartiers`` jittered polygons (about 35 ha each) on a grid
over a Tours-like Lambert-93 extent, ``--signalements`` points over 2022–2024 (90 % in a
quartier, 10 % around; 5 % in recurring spots; French statuses with closing dates),
plus équipements, constats, operations, GUP and TFPB actions, agents' stoppages,
meetings and guarantee calls in proportion.

Usage::

    .venv/bin/python benchmarks/atlas.py                          # both scenarios
    .venv/bin/python benchmarks/atlas.py --scenarios bundled
    .venv/bin/python benchmarks/atlas.py --scenarios generated --quartiers 20 --signalements 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
CATEGORIES = (
    "dépôts sauvages", "propreté", "encombrants", "éclairage", "tags", "voirie",
    "espaces verts", "PAVE", "stationnement / épaves", "dégradations",
)  # fmt: skip
STATUTS = ("nouveau", "pris en compte", "programmé", "en cours", "résolu", "clos autre")
SOURCES = ("habitant", "gardien", "agent de proximité", "application", "élu", "accueil mairie")
TYPES = ("PAVE", "aire de jeux", "école", "centre social", "local gardien", "gymnase")
AXES = (
    "renforcement de la présence du personnel de proximité",
    "formation et soutien des personnels de proximité",
    "sur-entretien",
    "gestion des déchets et encombrants / épaves",
    "tranquillité résidentielle",
    "concertation et sensibilisation des locataires",
    "animation, lien social, vivre ensemble",
    "petits travaux d'amélioration de la qualité de service",
)
X0, Y0 = 515_000.0, 6_690_000.0


def generate(n_quartiers: int, n_signalements: int, *, seed: int = 6) -> object:
    """A synthetic, already validated territory (Lambert-93) of the requested size."""
    from gupgeo.territory import Territory

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_quartiers)))
    step = 1_200.0
    centres = np.array(
        [(X0 + (i % side) * step, Y0 + (i // side) * step) for i in range(n_quartiers)]
    )
    polys = []
    for cx, cy in centres:
        angles = np.sort(rng.uniform(0, 2 * np.pi, 14))
        radius = rng.uniform(280, 400, 14)
        polys.append(shapely.Polygon(np.column_stack([cx + radius * np.cos(angles),
                                                      cy + radius * np.sin(angles)])))  # fmt: skip
    codes = [f"LOC-Q{i + 1:03d}" for i in range(n_quartiers)]
    quartiers = gpd.GeoDataFrame(
        {
            "code_qp": pd.array(codes, dtype="string"),
            "nom_qp": pd.array(
                [f"Quartier n°{i + 1} de l'Étang" for i in range(n_quartiers)], dtype="string"
            ),
            "commune": pd.array(["Tours"] * n_quartiers, dtype="string"),
            "population": rng.integers(1500, 9000, n_quartiers),
        },
        geometry=polys,
        crs=2154,
    )
    quartiers["surface_ha"] = quartiers.geometry.area / 10_000
    n = n_signalements
    owner = rng.integers(0, n_quartiers, n)
    kind = rng.uniform(size=n)
    x = centres[owner, 0] + rng.normal(0, 150, n)
    y = centres[owner, 1] + rng.normal(0, 150, n)
    outside = kind > 0.9
    x[outside] += rng.choice([-1, 1], outside.sum()) * rng.uniform(420, 600, outside.sum())
    spots = kind < 0.05
    spot_id = rng.integers(0, n_quartiers * 3, spots.sum())
    x[spots] = centres[spot_id // 3, 0] + (spot_id % 3 - 1) * 120 + rng.normal(0, 8, spots.sum())
    y[spots] = centres[spot_id // 3, 1] + rng.normal(0, 8, spots.sum())
    start = pd.Timestamp("2022-01-01")
    created = start + pd.to_timedelta(rng.integers(0, 1096, n), unit="D")
    status = np.asarray(STATUTS, dtype=object)[
        rng.choice(6, n, p=(0.03, 0.03, 0.02, 0.04, 0.8, 0.08))
    ]
    closed = np.isin(status, ["résolu", "clos autre"])
    cloture = pd.Series(created + pd.to_timedelta(rng.exponential(12, n).round() + 1, unit="D"))
    categorie = np.asarray(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n)]
    categorie[spots] = "dépôts sauvages"
    signalements = gpd.GeoDataFrame(
        {
            "id": pd.array([f"SIG-{i:07d}" for i in range(n)], dtype="string"),
            "date_signalement": pd.Series(created),
            "categorie": pd.array(categorie, dtype="string"),
            "sous_categorie": pd.array([None] * n, dtype="string"),
            "statut": pd.array(status, dtype="string"),
            "statut_brut": pd.array(status, dtype="string"),
            "date_cloture": cloture.where(closed),
            "source": pd.array(
                np.asarray(SOURCES, dtype=object)[rng.integers(0, 6, n)], dtype="string"
            ),
            "description": pd.array(["Dépôt au pied de l'immeuble"] * n, dtype="string"),
            "adresse": pd.array(
                [f"{i % 120 + 1} rue de l'Alouette" for i in range(n)], dtype="string"
            ),
        },
        geometry=shapely.points(x, y),
        crs=2154,
    )
    k = n_quartiers
    q_of = rng.integers(0, k, 15 * k)
    equipements = gpd.GeoDataFrame(
        {"id": [f"EQ-{i:05d}" for i in range(15 * k)], "nom": [f"Équipement n°{i}" for i in range(15 * k)],
         "type": np.asarray(TYPES, dtype=object)[rng.integers(0, len(TYPES), 15 * k)],
         "gestionnaire": "Ville"},
        geometry=shapely.points(centres[q_of, 0] + rng.normal(0, 150, 15 * k),
                                centres[q_of, 1] + rng.normal(0, 150, 15 * k)),
        crs=2154,
    )  # fmt: skip
    c_of = rng.integers(0, k, 12 * k)
    constats = gpd.GeoDataFrame(
        {"id": [f"C-{i}" for i in range(12 * k)],
         "date": pd.Series(pd.Timestamp("2022-03-01") + pd.to_timedelta(rng.integers(0, 900, 12 * k), unit="D")),
         "demarche": np.asarray(["diagnostic en marchant", "marche exploratoire", "ESSP"], dtype=object)[rng.integers(0, 3, 12 * k)],
         "theme": np.asarray(["éclairage", "recoins", "visibilité", "cheminements"], dtype=object)[rng.integers(0, 4, 12 * k)],
         "gravite": rng.integers(1, 4, 12 * k), "recommandation": "Ajouter un point lumineux",
         "statut": np.asarray(["ouvert", "en cours", "traité"], dtype=object)[rng.integers(0, 3, 12 * k)]},
        geometry=shapely.points(centres[c_of, 0] + rng.normal(0, 120, 12 * k),
                                centres[c_of, 1] + rng.normal(0, 120, 12 * k)),
        crs=2154,
    )  # fmt: skip
    operations = gpd.GeoDataFrame(
        {"id": [f"OP-{i:03d}" for i in range(k)], "nom": [f"Opération n°{i}" for i in range(k)],
         "code_qp": codes, "date_debut": pd.Series([pd.Timestamp("2021-06-01")] * k),
         "date_livraison": pd.Series(pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 900, k), unit="D")),
         "montant_eur": rng.uniform(1e6, 1e7, k)},
        geometry=[shapely.box(cx - 60, cy - 60, cx + 60, cy + 60) for cx, cy in centres],
        crs=2154,
    )  # fmt: skip
    a_of = np.asarray(codes, dtype=object)[rng.integers(0, k, 30 * k)]
    dates = pd.Series(start + pd.to_timedelta(rng.integers(0, 1096, 30 * k), unit="D"))
    actions = pd.DataFrame(
        {"id": [f"ACT-{i}" for i in range(30 * k)], "code_qp": a_of, "date": dates,
         "theme": "propreté", "intitule": "Opération quartier propre", "porteur": "Ville",
         "statut": "réalisée", "cout_eur": rng.uniform(500, 20_000, 30 * k)}
    )  # fmt: skip
    tfpb = pd.DataFrame(
        {"bailleur": "Tours Habitat", "code_qp": np.repeat(codes, 24),
         "annee": np.tile(np.repeat([2022, 2023, 2024], 8), k), "axe": np.tile(AXES, 3 * k),
         "action": "Action TFPB", "montant_eur": rng.uniform(1000, 60_000, 24 * k),
         "logements": 800}
    )  # fmt: skip
    small = pd.DataFrame({"code_qp": a_of[: 20 * k], "date": dates[: 20 * k].to_numpy()})
    return Territory(
        {
            "quartiers": quartiers, "operations": operations, "equipements": equipements,
            "signalements": signalements, "constats": constats, "actions": actions,
            "tfpb": tfpb,
            "arrets_agents": pd.DataFrame({"code_qp": small["code_qp"], "date_debut": small["date"],
                                           "date_fin": small["date"] + pd.Timedelta(days=10)}),
            "reunions": small.assign(objet="comité GUP", agents_proximite=rng.integers(0, 4, len(small))),
            "garanties": pd.DataFrame({"objet_id": [f"OP-{i % k:03d}" for i in range(3 * k)],
                                       "date": dates[: 3 * k].to_numpy(), "motif": "infiltrations"}),
        }
    )  # fmt: skip


def run_one(scenario: str, n_quartiers: int, n_signalements: int, workers: int | None) -> dict:
    """Build one atlas in this process and measure it."""
    import gupgeo
    from gupgeo.atlas import build_atlas

    t0 = time.perf_counter()
    if scenario == "bundled":
        territory = gupgeo.load_territory(REPO / "data" / "sample")
    else:
        territory = generate(n_quartiers, n_signalements)
    load_s = time.perf_counter() - t0
    out = Path(tempfile.mkdtemp(prefix=f"atlas_{scenario}_"))
    try:
        result = build_atlas(territory, out, period="2024", workers=workers, progress=False,
                             build_date="2025-01-15")  # fmt: skip
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    times = [p.seconds for p in result.pages if p.ok]
    n_sig = len(territory["signalements"])
    return {
        "scenario": scenario,
        "quartiers": len(result.pages),
        "signalements": n_sig,
        "load_s": round(load_s, 2),
        "atlas_s": round(result.seconds, 2),
        "prepare_s": round(result.prepare_seconds, 2),
        "page_min_s": round(min(times), 2),
        "page_median_s": round(statistics.median(times), 2),
        "page_max_s": round(max(times), 2),
        "pages_per_min": round(len(times) / result.seconds * 60, 1),
        "failures": len(result.failures),
        "workers": result.workers,
        "main_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "folder_mb": round(size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default="bundled,generated")
    parser.add_argument("--quartiers", type=int, default=100)
    parser.add_argument("--signalements", type=int, default=500_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.quartiers, args.signalements, args.workers)))
        return
    rows = []
    for scenario in args.scenarios.split(","):
        cmd = [sys.executable, __file__, "--one", scenario, "--quartiers", str(args.quartiers),
               "--signalements", str(args.signalements)]  # fmt: skip
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    print()
    print(pd.DataFrame(rows).set_index("scenario").T.to_string())


if __name__ == "__main__":
    main()
