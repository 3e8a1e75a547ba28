"""Plain tables of the synthetic sample: actions, tfpb, arrets_agents, reunions, garanties.

Every table is returned as (header, formatted rows) for the French CSV writer.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import numpy as np
from _sample_io import END, START, child_rng, fr_date, fr_number, l93_to_lonlat, points_in
from _sample_layers import Context
from _sample_vocab import BAILLEURS_PAR_COMMUNE

from gupgeo.schemas import AXES_TFPB

Table = tuple[tuple[str, ...], list[list[str]]]

ACTION_THEMES: dict[str, tuple[str, ...]] = {
    "propreté": ("Opération quartier propre", "Nettoyage renforcé des pieds d'immeubles",
                 "Enlèvement des dépôts sauvages"),
    "gestion des déchets": ("Sensibilisation au tri avec les ambassadeurs",
                            "Ajout d'un PAVE supplémentaire", "Collecte des encombrants au pied"),
    "tranquillité": ("Médiation de soirée", "Rencontre bailleur – police municipale",
                     "Fermeture des accès aux caves"),
    "cadre de vie": ("Remplacement du mobilier urbain", "Plantation d'arbres",
                     "Réfection de l'aire de jeux"),
    "éclairage": ("Remplacement des luminaires par des LED", "Ajout de points lumineux"),
    "participation des habitants": ("Diagnostic en marchant avec le conseil citoyen",
                                    "Atelier de concertation sur l'îlot", "Chantier éducatif"),
    "communication": ("Affichage des horaires de collecte", "Lettre d'info GUP du quartier"),
}  # fmt: skip

PORTEURS_THEME: dict[str, tuple[str, ...]] = {
    "propreté": ("ville", "bailleur"),
    "gestion des déchets": ("Tours Métropole Val de Loire", "bailleur"),
    "tranquillité": ("ville", "bailleur", "association de médiation"),
    "cadre de vie": ("ville", "bailleur"),
    "éclairage": ("Tours Métropole Val de Loire", "ville"),
    "participation des habitants": ("ville", "centre social", "conseil citoyen"),
    "communication": ("ville", "Tours Métropole Val de Loire"),
}

TFPB_ACTIONS: dict[str, tuple[str, ...]] = {
    AXES_TFPB[0]: ("Gardiennage renforcé en soirée", "Agents de médiation supplémentaires"),
    AXES_TFPB[1]: ("Formation à la gestion des conflits", "Soutien psychologique des gardiens"),
    AXES_TFPB[2]: ("Nettoyage renforcé des halls", "Remise en peinture des parties communes"),
    AXES_TFPB[3]: ("Enlèvement des encombrants", "Enlèvement des épaves"),
    AXES_TFPB[4]: ("Vidéoprotection des parkings", "Sécurisation des accès caves"),
    AXES_TFPB[5]: ("Réunions de locataires", "Campagne de sensibilisation au tri"),
    AXES_TFPB[6]: ("Soutien aux fêtes de quartier", "Local associatif mis à disposition"),
    AXES_TFPB[7]: ("Remplacement des digicodes", "Amélioration de l'éclairage des halls"),
}


def _day(rng: np.random.Generator, start: dt.date = START, end: dt.date = END) -> dt.date:
    return dt.date.fromordinal(int(rng.integers(start.toordinal(), end.toordinal() + 1)))


def _porteur(kind: str, commune: str, bailleur: str) -> str:
    if kind == "ville":
        return f"Ville de {commune}"
    return bailleur if kind == "bailleur" else kind


def make_actions(ctx: Context) -> Table:
    """GUP actions per quartier; about a third located by a point."""
    rng = child_rng(ctx.seed, "actions")
    header = (
        "id",
        "code_qp",
        "date",
        "theme",
        "intitule",
        "porteur",
        "statut",
        "cout_eur",
        "longitude",
        "latitude",
    )
    records: list[tuple[dt.date, str, list[str]]] = []
    themes = list(ACTION_THEMES)
    for code in ctx.codes:
        info = ctx.row(code)
        commune = str(info["commune"])
        n = int(18 + float(info["weight"]) / 250)
        for _ in range(n):
            theme = themes[int(rng.integers(len(themes)))]
            date = _day(rng)
            age = (END - date).days
            statut = "réalisée" if age > 120 else str(rng.choice(["programmée", "en cours"]))
            if rng.random() < 0.04:
                statut = "abandonnée"
            kind = str(rng.choice(PORTEURS_THEME[theme]))
            bailleur = BAILLEURS_PAR_COMMUNE[commune][int(rng.random() < 0.3)]
            lon = lat = ""
            if rng.random() < 0.35:
                x, y = points_in(ctx.polygon(code).buffer(-5), 1, rng)
                lo, la = l93_to_lonlat(x, y)
                lon, lat = fr_number(float(lo[0]), 6), fr_number(float(la[0]), 6)
            cout = float(np.round(np.exp(rng.normal(np.log(4000), 1.1)), 2))
            row = [
                code,
                fr_date(date),
                theme,
                str(rng.choice(ACTION_THEMES[theme])),
                _porteur(kind, commune, bailleur),
                statut,
                fr_number(cout, 2),
                lon,
                lat,
            ]
            records.append((date, code, row))
    records.sort(key=lambda r: (r[0], r[1]))
    rows = [[f"ACT-{i:04d}", *r[2]] for i, r in enumerate(records, start=1)]
    return header, rows


def make_tfpb(ctx: Context) -> Table:
    """TFPB abatement counterparts: bailleur × quartier × year × the 8 national axes."""
    rng = child_rng(ctx.seed, "tfpb")
    header = ("bailleur", "code_qp", "annee", "axe", "action", "montant_eur", "logements")
    rows: list[list[str]] = []
    for code in ctx.codes:
        info = ctx.row(code)
        bailleurs = BAILLEURS_PAR_COMMUNE[str(info["commune"])]
        for b_index, bailleur in enumerate(bailleurs):
            share = 0.75 if b_index == 0 else 0.25
            logements = int(float(info["weight"]) * share / 2.2)
            for annee in (2022, 2023, 2024):
                for axe in AXES_TFPB:
                    if rng.random() < 0.2 * (1 + b_index):
                        continue  # not every axis every year
                    for action in rng.choice(
                        TFPB_ACTIONS[axe], size=int(rng.integers(1, 3)), replace=False
                    ):
                        montant = float(np.round(logements * rng.uniform(2, 25), 2))
                        rows.append(
                            [
                                bailleur,
                                code,
                                str(annee),
                                axe,
                                str(action),
                                fr_number(montant, 2),
                                str(logements),
                            ]
                        )
    return header, rows


def make_arrets(ctx: Context) -> Table:
    """Stoppages of proximity agents (no names: personal data stays out)."""
    rng = child_rng(ctx.seed, "arrets_agents")
    header = ("code_qp", "date_debut", "date_fin", "motif")
    motifs = ("maladie", "accident du travail", "agression", "incivilités répétées")
    records: list[tuple[dt.date, str, list[str]]] = []
    for code in ctx.codes:
        n = int(8 + float(ctx.row(code)["weight"]) / 350)
        for _ in range(n):
            debut = _day(rng)
            fin: dt.date | None = debut + dt.timedelta(days=int(rng.integers(1, 60)))
            if fin is not None and fin > END:
                fin = None  # still running at extraction
            motif = str(rng.choice(motifs, p=[0.6, 0.2, 0.08, 0.12]))
            records.append((debut, code, [code, fr_date(debut), fr_date(fin), motif]))
    records.sort(key=lambda r: (r[0], r[1]))
    return header, [r[2] for r in records]


def make_reunions(ctx: Context) -> Table:
    """GUP meetings, with how many proximity agents took part."""
    rng = child_rng(ctx.seed, "reunions")
    header = ("date", "code_qp", "objet", "agents_proximite")
    objets = (
        "comité technique GUP",
        "réunion de site",
        "cellule de veille",
        "point bailleurs – ville",
        "préparation du diagnostic en marchant",
        "bilan annuel de la convention GUP",
    )
    records: list[tuple[dt.date, str, list[str]]] = []
    for code in ctx.codes:
        for _ in range(int(rng.integers(20, 40))):
            date = _day(rng)
            objet = str(rng.choice(objets))
            agents = int(rng.poisson(2.5)) if objet != "bilan annuel de la convention GUP" else 0
            records.append((date, code, [fr_date(date), code, objet, str(agents)]))
    records.sort(key=lambda r: (r[0], r[1]))
    return header, [r[2] for r in records]


def make_garanties(
    ctx: Context, operations: list[dict[str, object]], equipements: list[dict[str, object]]
) -> Table:
    """Uses of the guarantee on investments, on delivered operations and recent equipment."""
    rng = child_rng(ctx.seed, "garanties")
    header = ("objet_id", "date", "motif")
    motifs = (
        "malfaçon de l'éclairage",
        "infiltrations en toiture",
        "revêtement de sol dégradé",
        "porte de hall défectueuse",
        "fissures sur un mur de soutènement",
        "jeux non conformes",
    )
    targets: list[tuple[str, dt.date]] = []
    for op in operations:
        livraison = dt.date.fromisoformat(str(op["date_livraison"]))
        if livraison < END - dt.timedelta(days=60):
            targets.append((str(op["id"]), livraison))
    for eq in equipements:
        props = cast(dict[str, object], eq["properties"])
        mes = dt.date.fromisoformat(str(props["date_mise_en_service"]))
        if mes.year >= 2019 and mes < END - dt.timedelta(days=60):
            targets.append((str(props["id"]), mes))
    records: list[tuple[dt.date, str, list[str]]] = []
    for objet_id, start in targets:
        for _ in range(int(rng.poisson(0.8))):
            date = _day(rng, max(start + dt.timedelta(days=30), START), END)
            records.append((date, objet_id, [objet_id, fr_date(date), str(rng.choice(motifs))]))
    records.sort(key=lambda r: (r[0], r[1]))
    return header, [r[2] for r in records]
