"""Diagnostics en marchant of the synthetic sample: walks, partners, follow-up of constats.

Seeded apart from the constats themselves (``child_rng(seed, "suivi")``), so adding the
follow-up columns changes no value drawn before. Everything is synthetic.
"""

from __future__ import annotations

import datetime as dt

from _sample_io import END, child_rng, feature
from _sample_layers import WALKS, Context
from shapely.geometry import LineString

PARTENAIRES: tuple[tuple[str, str, str], ...] = (
    ("Tours Habitat", "bailleur", "TH;Tours-Habitat"),
    ("Val Touraine Habitat", "bailleur", "VTH"),
    ("Touraine Logement", "bailleur", ""),
    ("Ville de Tours", "ville", "Mairie de Tours;Tours"),
    ("Ville de Joué-lès-Tours", "ville", "Joué-lès-Tours"),
    ("Ville de Saint-Pierre-des-Corps", "ville", "Saint-Pierre-des-Corps"),
    ("Ville de La Riche", "ville", "La Riche"),
    ("Tours Métropole Val de Loire", "métropole", "Métropole;TMVL"),
    ("Préfecture d'Indre-et-Loire", "État", "Préfecture;État"),
    ("Régie de quartier Tours Nord", "régie de quartier", "Régie Tours Nord"),
)
"""(nom, type, alias) of the fictitious partners."""

THEME_PARTNERS: dict[str, tuple[str, ...]] = {
    "éclairage": ("Tours Métropole Val de Loire", "Ville de Tours"),
    "propreté": ("Régie de quartier Tours Nord", "Tours Habitat", "Val Touraine Habitat"),
    "mobilier urbain": ("Ville de Tours", "Tours Métropole Val de Loire"),
    "cheminements": ("Tours Métropole Val de Loire", "Ville de Tours"),
    "recoins": ("Tours Habitat", "Val Touraine Habitat", "Touraine Logement"),
    "visibilité": ("Ville de Tours", "Tours Habitat"),
    "accès": ("Tours Habitat", "Préfecture d'Indre-et-Loire"),
    "signalétique": ("Ville de Tours",),
}
SPELLINGS: dict[str, tuple[str, ...]] = {
    "Tours Habitat": ("TOURS HABITAT", "tours-habitat", "TH"),
    "Ville de Tours": ("ville de tours", "Mairie de Tours"),
    "Tours Métropole Val de Loire": ("Métropole", "TMVL"),
}
"""How the field writes some partners: respelled by validation (``partenaires`` aliases)."""


def partenaires_rows() -> tuple[list[str], list[list[object]]]:
    """The ``partenaires.csv`` table."""
    return ["nom", "type", "alias"], [list(p) for p in PARTENAIRES]


def add_followup(ctx: Context, features: list[dict[str, object]]) -> None:
    """Give every constat of a walk a responsable, an échéance and, if treated, a date."""
    rng = child_rng(ctx.seed, "suivi")
    for feat in features:
        props = feat["properties"]
        assert isinstance(props, dict)
        date = dt.date.fromisoformat(str(props["date"]))
        choices = THEME_PARTNERS.get(str(props["theme"]), ("Ville de Tours",))
        partner = str(choices[int(rng.integers(len(choices)))])
        if partner in SPELLINGS and rng.random() < 0.25:
            variants = SPELLINGS[partner]
            partner = variants[int(rng.integers(len(variants)))]
        props["responsable"] = partner
        due = (
            None if rng.random() < 0.1 else date + dt.timedelta(days=int(rng.choice([30, 60, 90])))
        )
        props["echeance"] = due.isoformat() if due else None
        treated = None
        if props["statut"] == "traité":
            late = rng.random() < 0.3
            span = (due - date).days if due else 60
            days = (
                int(rng.integers(span + 5, span + 120)) if late else int(rng.integers(3, span + 1))
            )
            treated = min(date + dt.timedelta(days=days), END)
        props["date_traitement"] = treated.isoformat() if treated else None


def make_diagnostics(ctx: Context, routes: dict[str, LineString]) -> list[dict[str, object]]:
    """One feature per walk (ESSP studies are not walks): route, date, participants."""
    rng = child_rng(ctx.seed, "diagnostics")
    feats = []
    for walk in WALKS:
        if walk.demarche == "ESSP":
            continue
        nom_qp = str(ctx.row(walk.code_qp)["nom_qp"])
        props = {
            "id": walk.id_demarche,
            "date": walk.date.isoformat(),
            "code_qp": walk.code_qp,
            "objet": f"{walk.demarche.capitalize()} – {nom_qp} (fictif)",
            "demarche": walk.demarche,
            "habitants": int(rng.integers(3, 16)),
            "agents_proximite": int(rng.choice([0, 1, 2, 3], p=[0.25, 0.35, 0.25, 0.15])),
            "bailleurs": int(rng.integers(1, 4)),
            "ville": int(rng.integers(1, 4)),
            "autres": int(rng.integers(0, 3)),
        }
        feats.append(feature(props, routes[walk.id_demarche]))
    return feats
