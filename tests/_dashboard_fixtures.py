"""Hand-built, already-attributed layers with known answers for the dashboard tests.

Period of reference: 2024-T1 (1 January – 31 March 2024, end instant 1 April 00:00);
previous period 2023-T4. Two quartiers: QP-A (2,000 inhabitants, 10 ha) and QP-B
(500 inhabitants, 5 ha). The expected figures are worked out in the test modules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NaT = pd.NaT


def quartiers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_qp": ["QP-A", "QP-B"],
            "nom_qp": ["Les Acacias", "Le Bocage"],
            "population": [2000, 500],
            "surface_ha": [10.0, 5.0],
            "logements": [800, 200],
        }
    ).astype({"code_qp": "str", "nom_qp": "str"})


def signalements() -> pd.DataFrame:
    """Eleven signalements (ids 1–11); see test_indicators_signalements for the answers."""
    rows = [
        # id, reported, category, raw status, closed, code_qp, source
        ("1", "2024-01-05", "Tags", "résolu", "2024-01-07", "QP-A", "gardien"),
        ("2", "2024-01-10", "Propreté", "en cours", None, "QP-A", "habitant"),
        ("3", "2024-02-01", "Dépôt sauvage", "Nouveau", None, "QP-B", "agent de proximité"),
        ("4", "2023-12-20", "Propreté", "clos", "2024-01-20", None, "habitant"),
        ("5", "2024-02-20", "Éclairage", "nouveau", None, "QP-A", "habitant"),
        ("6", "2024-03-15", "Propreté", "Clôturé", "2024-03-20", "ZZ-INCONNU", "habitant"),
        ("7", "2024-03-04", "Tags", "résolu", "2024-04-10", "QP-A", "habitant"),
        ("8", "2023-11-15", "Tags", "doublon", "2023-11-16", "QP-B", "habitant"),
        ("9", "2024-03-03", "Tags", "en cours", None, "QP-A", "habitant"),
        ("10", "2024-02-05", "Propreté", "programmé", None, "QP-B", "habitant"),
        ("11", "2024-03-25", "Voirie", "résolu", "2024-04-01", "QP-B", "habitant"),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "date_signalement",
            "categorie",
            "statut_brut",
            "date_cloture",
            "code_qp",
            "source",
        ],
    )
    frame["date_signalement"] = pd.to_datetime(frame["date_signalement"])
    frame["date_cloture"] = pd.to_datetime(frame["date_cloture"])
    frame["statut"] = None
    frame["sous_categorie"] = None
    return frame.astype(
        {"id": "str", "categorie": "str", "statut_brut": "str", "code_qp": "str", "source": "str"}
    )


def actions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a1", "a2", "a3", "a4", "a5"],
            "code_qp": ["QP-A", "QP-A", "QP-B", "ZZ-INCONNU", "QP-B"],
            "date": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-05-01", "2024-01-15", None]),
            "theme": ["propreté", "tranquillité", "propreté", "propreté", "propreté"],
            "statut": ["réalisé", "prévu", "réalisé", "Terminée", "réalisé"],
            "cout_eur": [100.0, 50.0, 70.0, np.nan, 10.0],
        }
    )


def tfpb() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bailleur": ["X", "X", "Y", "Y", "X", "Y"],
            "code_qp": ["QP-A", "QP-A", "QP-A", "QP-B", "QP-A", "ZZ-INCONNU"],
            "annee": [2024, 2024, 2024, 2024, 2023, 2024],
            "axe": [
                "Sur-entretien",
                "axe 4",
                "Tranquillité résidentielle",
                "Jardinage",
                "sur-entretien",
                "formation",
            ],
            "montant_eur": [1000.0, 500.0, 2000.0, 300.0, 999.0, 100.0],
            "logements": [100, 100, 300, 50, 100, np.nan],
        }
    )


def arrets_agents() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_qp": ["QP-A", "QP-A", "QP-B", "QP-B"],
            "date_debut": pd.to_datetime(["2024-01-10", "2023-12-25", "2024-03-25", "2024-03-30"]),
            "date_fin": pd.to_datetime(["2024-01-19", "2024-01-05", None, "2024-04-10"]),
        }
    )


def reunions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2024-01-10", "2024-02-10", "2024-03-10", "2024-03-11", "2024-05-01"]
            ),
            "code_qp": ["QP-A", "QP-A", "QP-B", None, "QP-A"],
            "objet": "réunion de site",
            "agents_proximite": [2, 0, 1, np.nan, 3],
        }
    )


def operations() -> pd.DataFrame:
    return pd.DataFrame(
        {"id": ["OP1", "OP2"], "nom": ["Résidentialisation", "Square"], "code_qp": ["QP-A", "QP-B"]}
    )


def garanties() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "objet_id": ["OP1", "OP1", "OP2", "EQ9", "OP1"],
            "date": pd.to_datetime(
                ["2024-01-10", "2024-02-10", "2024-03-01", "2024-03-05", "2024-06-01"]
            ),
            "motif": "malfaçon",
        }
    )


def constats() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["c1", "c2", "c3", "c4", "c5"],
            "date": pd.to_datetime(
                ["2024-01-10", "2024-02-10", "2023-06-01", "2024-03-01", "2024-03-15"]
            ),
            "demarche": [
                "diagnostic en marchant",
                "marche exploratoire",
                "diagnostic en marchant",
                "diagnostic en marchant",
                "ESSP",
            ],
            "theme": ["éclairage", "visibilité", "éclairage", "cheminements", "éclairage"],
            "gravite": [3, 2, 1, np.nan, 1],
            "statut": ["levé", "à traiter", "en cours", "résolu", "à traiter"],
            "code_qp": ["QP-A", "QP-A", "QP-B", None, "QP-A"],
        }
    )


def layers() -> dict[str, pd.DataFrame]:
    """Every layer, as ``Territory.layers`` would hold them."""
    return {
        "quartiers": quartiers(),
        "signalements": signalements(),
        "actions": actions(),
        "tfpb": tfpb(),
        "arrets_agents": arrets_agents(),
        "reunions": reunions(),
        "operations": operations(),
        "garanties": garanties(),
        "constats": constats(),
    }
