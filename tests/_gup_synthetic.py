"""A synthetic, already-attributed GUP territory for the dashboard tests (no files, no geometry)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gupgeo.schemas import AXES_TFPB, STATUTS

CATEGORIES = (
    "Propreté",
    "Tags",
    "Dépôt sauvage",
    "Éclairage public",
    "Mobilier urbain",
    "Épave",
    "Voirie",
    "Espaces verts",
)
SOURCES = ("habitant", "gardien", "agent de proximité", "application", "téléphone")
STATUS_WEIGHTS = (0.10, 0.10, 0.05, 0.10, 0.55, 0.10)


def synthetic_territory(
    *,
    n_signalements: int = 3000,
    n_quartiers: int = 4,
    start: str = "2023-01-01",
    months: int = 24,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Layers mapping with every layer the dashboard reads (pandas 3 string dtypes)."""
    rng = np.random.default_rng(seed)
    codes = [f"LOC-Q{i + 1:02d}" for i in range(n_quartiers)]
    quartiers = pd.DataFrame(
        {
            "code_qp": codes,
            "nom_qp": [f"Quartier {chr(65 + i)}" for i in range(n_quartiers)],
            "population": rng.integers(1500, 9000, n_quartiers),
            "surface_ha": np.round(rng.uniform(20, 120, n_quartiers), 1),
            "logements": rng.integers(600, 3500, n_quartiers),
        }
    )
    t0 = pd.Timestamp(start)
    span_days = (t0 + pd.DateOffset(months=months) - t0).days
    n = n_signalements
    created = t0 + pd.to_timedelta(rng.integers(0, span_days, n), unit="D")
    status = rng.choice(np.array(STATUTS, dtype=object), n, p=STATUS_WEIGHTS)
    closed_flag = np.isin(status, ["résolu", "clos autre"])
    delay = rng.exponential(20, n).round()
    date_cloture = pd.Series(created + pd.to_timedelta(delay, unit="D")).where(closed_flag)
    zone = rng.integers(0, n_quartiers + 1, n)  # last one: hors QPV
    code_qp = np.array([*codes, None], dtype=object)[zone]
    signalements = pd.DataFrame(
        {
            "id": [f"S{i}" for i in range(n)],
            "date_signalement": pd.Series(created),
            "categorie": rng.choice(np.array(CATEGORIES, dtype=object), n),
            "sous_categorie": None,
            "statut": status,
            "statut_brut": status,
            "date_cloture": date_cloture,
            "source": rng.choice(np.array(SOURCES, dtype=object), n),
            "description": "",
            "code_qp": code_qp,
        }
    ).astype(
        {
            "categorie": "str",
            "statut": "str",
            "statut_brut": "str",
            "source": "str",
            "code_qp": "str",
        }
    )
    n_small = 200

    def dates(k: int) -> pd.Series:
        return pd.Series(t0 + pd.to_timedelta(rng.integers(0, span_days, k), unit="D"))

    def qp(k: int) -> np.ndarray:
        return np.array([*codes, "HORS"], dtype=object)[rng.integers(0, n_quartiers + 1, k)]

    actions = pd.DataFrame(
        {
            "id": [f"A{i}" for i in range(n_small)],
            "code_qp": qp(n_small),
            "date": dates(n_small),
            "theme": rng.choice(["propreté", "tranquillité", "cadre de vie"], n_small),
            "intitule": "action",
            "statut": rng.choice(["réalisé", "prévu", "en cours"], n_small),
            "cout_eur": rng.integers(100, 5000, n_small).astype(float),
        }
    )
    years = sorted({t0.year + i for i in range(months // 12 + 1)})
    tfpb = pd.DataFrame(
        {
            "bailleur": rng.choice(["Tours Habitat", "Val Touraine Habitat"], n_small),
            "code_qp": qp(n_small),
            "annee": rng.choice(years, n_small),
            "axe": rng.choice(np.array(AXES_TFPB, dtype=object), n_small),
            "action": "action",
            "montant_eur": rng.integers(1000, 40000, n_small).astype(float),
        }
    )
    starts = dates(60)
    arrets = pd.DataFrame(
        {
            "code_qp": qp(60),
            "date_debut": starts,
            "date_fin": starts + pd.to_timedelta(rng.integers(0, 30, 60), unit="D"),
        }
    )
    reunions = pd.DataFrame(
        {
            "date": dates(80),
            "code_qp": qp(80),
            "objet": "réunion",
            "agents_proximite": rng.integers(0, 4, 80),
        }
    )
    operations = pd.DataFrame(
        {
            "id": [f"OP{i}" for i in range(6)],
            "nom": [f"Opération {i}" for i in range(6)],
            "code_qp": [codes[i % n_quartiers] for i in range(6)],
        }
    )
    garanties = pd.DataFrame(
        {
            "objet_id": rng.choice([*operations["id"], "EQ-INCONNU"], 30),
            "date": dates(30),
            "motif": "malfaçon",
        }
    )
    constats = pd.DataFrame(
        {
            "id": [f"C{i}" for i in range(120)],
            "date": dates(120),
            "demarche": rng.choice(["diagnostic en marchant", "marche exploratoire", "ESSP"], 120),
            "theme": rng.choice(["éclairage", "visibilité", "cheminements"], 120),
            "gravite": rng.integers(1, 4, 120),
            "statut": rng.choice(["à traiter", "levé", "en cours"], 120),
            "code_qp": qp(120),
        }
    )
    return {
        "quartiers": quartiers,
        "signalements": signalements,
        "actions": actions,
        "tfpb": tfpb,
        "arrets_agents": arrets,
        "reunions": reunions,
        "operations": operations,
        "garanties": garanties,
        "constats": constats,
    }
