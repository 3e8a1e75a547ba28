"""Spatial layers of the synthetic sample: equipements, operations (NPRU), constats."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from _sample_io import END, child_rng, feature, points_in
from _sample_vocab import BAILLEURS_PAR_COMMUNE, EQUIPEMENT_TYPES, PERSONNES, STREETS
from _sample_vocab import THEMES_CONSTATS as THEMES
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

NPRU = ("LOC-SANITAS", "LOC-MARYSE-BASTIE", "LOC-RABIERE", "LOC-RABATERIE")


@dataclass(frozen=True)
class Context:
    """The quartiers (Lambert-93) and the seed every part of the sample derives from."""

    seed: int
    quartiers: gpd.GeoDataFrame

    @property
    def codes(self) -> list[str]:
        return list(self.quartiers["code_qp"])

    def polygon(self, code_qp: str) -> Polygon:
        return self.quartiers.set_index("code_qp").geometry[code_qp]

    def row(self, code_qp: str) -> dict[str, object]:
        return dict(self.quartiers.set_index("code_qp").loc[code_qp])


def _random_date(rng: np.random.Generator, years: tuple[int, int]) -> dt.date:
    start = dt.date(years[0], 1, 1).toordinal()
    stop = min(dt.date(years[1], 12, 31), END).toordinal()
    return dt.date.fromordinal(int(rng.integers(start, stop + 1)))


def _gestionnaire(kind: str, commune: str, bailleur: str) -> str:
    if kind in ("PAVE", "maison de projets"):
        return "Tours Métropole Val de Loire"
    if kind == "collège":
        return "Département d'Indre-et-Loire"
    if kind in ("local gardien", "jardin partagé"):
        return bailleur
    return f"Ville de {commune}"


def _equipement_name(kind: str, street: str, person: str, nom_qp: str, k: int) -> str:
    lieu = street.split(" ", 1)[1]  # "rue de l'Alouette" -> "de l'Alouette"
    near = lieu if lieu.startswith(("de ", "des ", "du ", "d'")) else street
    return {
        "école": f"École {'maternelle' if k % 2 else 'élémentaire'} {person}",
        "collège": f"Collège {person}",
        "centre social": f"Centre social {person}" if k % 2 else f"Maison de quartier {nom_qp}",
        "maison de projets": f"Maison de projets {nom_qp}",
        "PAVE": f"PAVE {street} n°{k}",
        "aire de jeux": f"Aire de jeux {near}",
        "gymnase": f"Gymnase {person}",
        "bibliothèque": f"Bibliothèque {person}" if k % 2 else f"Médiathèque {nom_qp}",
        "local gardien": f"Loge du gardien – {street}",
        "mairie annexe": f"Mairie annexe {nom_qp}",
        "city-stade": f"City-stade {near}",
        "jardin partagé": f"Jardin partagé {near}",
    }[kind]


def make_equipements(ctx: Context) -> tuple[list[dict[str, object]], gpd.GeoDataFrame]:
    """About 150 equipment points; returns GeoJSON features and a Lambert-93 frame."""
    rng = child_rng(ctx.seed, "equipements")
    q = ctx.quartiers
    weights = q["weight"].to_numpy() / q["weight"].sum()
    rows: list[tuple[dict[str, object], float, float]] = []
    names_seen: set[str] = set()
    for kind, (count, years) in EQUIPEMENT_TYPES.items():
        if kind == "maison de projets":
            codes = list(NPRU)
        else:
            codes = list(rng.choice(ctx.codes, size=count, p=weights))
        for k, code in enumerate(codes, start=1):
            poly = ctx.polygon(code)
            info = ctx.row(code)
            outside = kind in ("collège", "gymnase", "bibliothèque") and rng.random() < 0.5
            area = poly.buffer(250).difference(poly.buffer(20)) if outside else poly.buffer(-15)
            x, y = points_in(area, 1, rng)
            street = str(rng.choice(STREETS[code]))
            person = str(rng.choice(PERSONNES))
            bailleur = BAILLEURS_PAR_COMMUNE[str(info["commune"])][int(rng.random() < 0.3)]
            name = _equipement_name(kind, street, person, str(info["nom_qp"]), k)
            if code == "LOC-SANITAS" and kind == "maison de projets":
                name = "Maison de l'Habitat"
            while name in names_seen:
                name = f"{name} bis"
            names_seen.add(name)
            props: dict[str, object] = {
                "nom": name,
                "type": kind,
                "gestionnaire": _gestionnaire(kind, str(info["commune"]), bailleur),
                "date_mise_en_service": _random_date(rng, years).isoformat(),
                "adresse": f"{int(rng.integers(1, 60))} {street}",
            }
            rows.append((props, float(x[0]), float(y[0])))
    rows.sort(key=lambda r: (round(r[2], -2), r[1]))  # numbered south to north
    feats = [
        feature({"id": f"EQ-{i:04d}", **props}, Point(x, y))
        for i, (props, x, y) in enumerate(rows, start=1)
    ]
    frame = gpd.GeoDataFrame(
        [f["properties"] for f in feats],
        geometry=gpd.points_from_xy([r[1] for r in rows], [r[2] for r in rows]),
        crs=ctx.quartiers.crs,
    )
    return feats, frame


OPERATIONS: dict[str, tuple[str, ...]] = {
    "LOC-SANITAS": (
        "Restructuration du centre commercial", "Démolition de 120 logements – îlot Nord",
        "Réaménagement de la place centrale", "Réhabilitation de 210 logements",
    ),
    "LOC-MARYSE-BASTIE": ("Démolition-reconstruction de l'îlot Bastié", "Création d'un mail piéton"),
    "LOC-RABIERE": ("Résidentialisation du secteur Est", "Nouveau groupe scolaire"),
    "LOC-RABATERIE": (
        "Requalification des voiries et de l'éclairage", "Aménagement d'un parc urbain",
        "Réhabilitation thermique de 150 logements",
    ),
}  # fmt: skip


# Delivery years, in turn: about half delivered during the sample period, the rest later.
LIVRAISON_YEARS = (2022, 2026, 2023, 2027, 2024, 2028, 2023, 2025, 2024, 2029, 2021)


def make_operations(ctx: Context) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """NPRU operation perimeters (rotated blocks) in or around the four NPRU quartiers."""
    rng = child_rng(ctx.seed, "operations")
    feats: list[dict[str, object]] = []
    records: list[dict[str, object]] = []
    n = 0
    for code, names in OPERATIONS.items():
        poly = ctx.polygon(code)
        placed: list[BaseGeometry] = []
        for name in names:
            size = math.sqrt(poly.area) * rng.uniform(0.18, 0.32)
            for _ in range(200):
                cx, cy = points_in(poly.buffer(-size / 3), 1, rng)
                block = box(-size / 2, -size / 3, size / 2, size / 3)
                block = affinity.rotate(block, float(rng.uniform(0, 90)), origin=(0, 0))
                block = affinity.translate(block, float(cx[0]), float(cy[0]))
                if not any(block.buffer(5).intersects(p) for p in placed):
                    break
            placed.append(block)
            n += 1
            year = LIVRAISON_YEARS[(n - 1) % len(LIVRAISON_YEARS)]
            livraison = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
            start = livraison - dt.timedelta(days=int(rng.integers(450, 1500)))
            props = {
                "id": f"OP-{n:02d}",
                "nom": name,
                "code_qp": code,
                "date_debut": start.isoformat(),
                "date_livraison": livraison.isoformat(),
                "montant_eur": float(round(rng.uniform(400_000, 14_000_000), -3)),
            }
            feats.append(feature(props, block))
            records.append(props)
    return feats, records


@dataclass(frozen=True)
class Walk:
    """One diagnostic walk (or ESSP study) whose findings become constats."""

    id_demarche: str
    demarche: str
    code_qp: str
    date: dt.date
    n_points: int


WALKS: tuple[Walk, ...] = (
    Walk("DEM-01", "diagnostic en marchant", "LOC-SANITAS", dt.date(2022, 3, 17), 12),
    Walk("DEM-02", "marche exploratoire", "LOC-SANITAS", dt.date(2022, 10, 6), 10),
    Walk("DEM-03", "diagnostic en marchant", "LOC-MARYSE-BASTIE", dt.date(2022, 5, 12), 8),
    Walk("DEM-04", "diagnostic en marchant", "LOC-RABIERE", dt.date(2023, 4, 13), 12),
    Walk("DEM-05", "marche exploratoire", "LOC-RABATERIE", dt.date(2023, 11, 23), 10),
    Walk("DEM-06", "diagnostic en marchant", "LOC-NIQUEUX-BRUERE", dt.date(2023, 6, 8), 9),
    Walk("DEM-07", "diagnostic en marchant", "LOC-EUROPE", dt.date(2024, 3, 21), 10),
    Walk("DEM-08", "marche exploratoire", "LOC-FONTAINES", dt.date(2024, 2, 1), 9),
    Walk("ESSP-01", "ESSP", "LOC-SANITAS", dt.date(2023, 9, 15), 6),
    Walk("ESSP-02", "ESSP", "LOC-RABIERE", dt.date(2024, 5, 30), 5),
)


def walk_route(poly: Polygon, rng: np.random.Generator, *, steps: int = 24) -> LineString:
    """A random walk of ~50 m steps staying inside ``poly`` (shrunk by 10 m)."""
    inner = poly.buffer(-10)
    x, y = points_in(poly.buffer(-60), 1, rng)
    pts = [(float(x[0]), float(y[0]))]
    heading = float(rng.uniform(0, 2 * math.pi))
    while len(pts) < steps:
        for _ in range(50):
            h = heading + float(rng.normal(0, 0.7))
            d = float(rng.uniform(35, 65))
            nxt = (pts[-1][0] + d * math.cos(h), pts[-1][1] + d * math.sin(h))
            if inner.contains(LineString([pts[-1], nxt])):
                heading = h
                break
        else:
            heading += math.pi
            continue
        pts.append(nxt)
    return LineString(pts)


def _statut(date: dt.date, rng: np.random.Generator) -> str:
    """Older findings are more often dealt with."""
    p_traite = min(0.85, (END - date).days / 900)
    rest = (1 - p_traite) / 2
    return str(rng.choice(["traité", "en cours", "ouvert"], p=[p_traite, rest, rest]))


def make_constats(ctx: Context) -> tuple[list[dict[str, object]], dict[str, LineString]]:
    """Findings of the walks: mostly points, plus paths (lines) and areas (polygons)."""
    rng = child_rng(ctx.seed, "constats")
    themes = list(THEMES)
    feats: list[dict[str, object]] = []
    routes: dict[str, LineString] = {}
    n = 0
    for walk in WALKS:
        poly = ctx.polygon(walk.code_qp)
        route = walk_route(poly, rng)
        routes[walk.id_demarche] = route
        geoms: list[tuple[str, BaseGeometry]] = []
        for _ in range(walk.n_points):
            p = route.interpolate(float(rng.uniform(0, route.length)))
            off = rng.normal(0, 8, 2)
            geoms.append(("point", Point(p.x + off[0], p.y + off[1])))
        for _ in range(int(rng.integers(1, 3))):
            a = float(rng.uniform(0, route.length * 0.7))
            path = substring(route, a, a + float(rng.uniform(60, 180)))
            geoms.append(("line", path))
        for _ in range(int(rng.integers(1, 3))):
            p = route.interpolate(float(rng.uniform(0, route.length)))
            w, h = rng.uniform(12, 35, 2)
            area = affinity.rotate(box(-w / 2, -h / 2, w / 2, h / 2), float(rng.uniform(0, 90)))
            geoms.append(("polygon", affinity.translate(area, p.x, p.y)))
        for kind, geom in geoms:
            n += 1
            if kind == "line":
                theme = str(rng.choice(["cheminements", "éclairage"]))
            elif kind == "polygon":
                theme = str(rng.choice(["recoins", "visibilité", "propreté"]))
            else:
                theme = str(rng.choice(themes))
            description, recommandation = THEMES[theme][int(rng.integers(len(THEMES[theme])))]
            props = {
                "id": f"CST-{n:04d}",
                "id_demarche": walk.id_demarche,
                "date": walk.date.isoformat(),
                "demarche": walk.demarche,
                "code_qp": walk.code_qp,
                "theme": theme,
                "gravite": int(rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2])),
                "description": description,
                "recommandation": recommandation,
                "statut": _statut(walk.date, rng),
            }
            feats.append(feature(props, geom))
    return feats, routes
