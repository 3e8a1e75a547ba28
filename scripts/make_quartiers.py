"""Draw the approximate perimeters of the 10 QPV (2015 list) of Tours Métropole.

No official perimeter file is available offline, so this script *draws* plausible
perimeters: one irregular, star-shaped polygon per quartier, designed in
Lambert-93 (EPSG:2154) around the rough centre given in
the team's facts file ``shared/facts/tours_metropole_qpv.csv`` (or placed from knowledge of the
city when the facts give none), scaled to the published surface where one is
known. The result is written as RFC 7946 GeoJSON (EPSG:4326, 6 decimals) with a
FeatureCollection-level ``metadata`` member saying it is an approximation.

The output is deterministic (seeded numpy Generator, hand-written JSON), so
re-running the script gives a byte-identical file::

    .venv/bin/python scripts/make_quartiers.py [--out data/quartiers.geojson] [--seed 2024]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, mapping

from gupgeo.crs import DISPLAY_CRS, WORK_CRS

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data" / "quartiers.geojson"
DEFAULT_SEED = 2024

SOURCE = (
    "Périmètre approximatif dessiné par gupgeo (scripts/make_quartiers.py) autour d'un centre "
    "approché : ce n'est pas le périmètre officiel de l'ANCT ; les codes LOC-… sont des "
    "identifiants locaux, pas des codes QP officiels."
)
DESCRIPTION = (
    "Quartiers prioritaires de la politique de la ville (liste 2015) de Tours Métropole Val de "
    "Loire : périmètres APPROXIMATIFS dessinés par gupgeo, pas les périmètres officiels de "
    "l'ANCT. Pour les périmètres officiels, charger le fichier QPV de l'ANCT "
    "(sig.ville.gouv.fr / data.gouv.fr), par exemple : gupgeo valider QP_METROPOLE_2015.shp."
)
FACTS_SOURCES = (
    "indre-et-loire.gouv.fr (15 quartiers prioritaires en Indre-et-Loire) ; "
    "maisondeprojets.tours-metropole.fr/les-quartiers"
)


@dataclass(frozen=True)
class Quartier:
    """What is known, or assumed, about one quartier.

    ``lat``/``lon`` are rough centres (±500 m); ``target_ha`` is the published
    surface when ``published`` is true, an assumed plausible one otherwise;
    ``elongation`` and ``angle_deg`` shape the drawn polygon (e.g. a quartier
    stretched along a river).
    """

    code_qp: str
    nom_qp: str
    commune: str
    insee_com: str
    population: int | None
    lat: float
    lon: float
    target_ha: float
    published: bool
    elongation: float
    angle_deg: float
    n_vertices: int


# Centres: from the facts CSV where given; otherwise placed from knowledge of Tours
# (Bords de Loire: Tours-Nord along the Loire; Maryse Bastié: south Tours, west of
# avenue de Grammont; Rives du Cher: along the north bank of the Cher, south-east Tours).
QUARTIERS: tuple[Quartier, ...] = (
    Quartier("LOC-SANITAS", "Sanitas", "Tours", "37261", 8227,
             47.3860, 0.6930, 45.0, True, 1.35, 35.0, 16),
    Quartier("LOC-EUROPE", "Europe", "Tours", "37261", None,
             47.4190, 0.6960, 30.0, False, 1.2, -20.0, 14),
    Quartier("LOC-BORDS-DE-LOIRE", "Bords de Loire", "Tours", "37261", None,
             47.4040, 0.7050, 22.0, False, 2.2, 5.0, 14),
    Quartier("LOC-MARYSE-BASTIE", "Maryse Bastié", "Tours", "37261", 1830,
             47.3720, 0.6970, 10.0, True, 1.3, 70.0, 12),
    Quartier("LOC-RIVES-DU-CHER", "Rives du Cher", "Tours", "37261", None,
             47.3730, 0.7180, 25.0, False, 2.0, 8.0, 14),
    Quartier("LOC-ROCHEPINARD", "Rochepinard", "Tours", "37261", None,
             47.3800, 0.7290, 18.0, False, 1.3, -35.0, 12),
    Quartier("LOC-FONTAINES", "Les Fontaines", "Tours", "37261", None,
             47.3610, 0.7020, 32.0, False, 1.25, 15.0, 15),
    Quartier("LOC-RABATERIE", "La Rabaterie", "Saint-Pierre-des-Corps", "37233", 5000,
             47.3915, 0.7255, 34.0, True, 1.4, -60.0, 15),
    Quartier("LOC-RABIERE", "La Rabière", "Joué-lès-Tours", "37122", 5850,
             47.3530, 0.6620, 35.0, True, 1.3, 25.0, 15),
    Quartier("LOC-NIQUEUX-BRUERE", "Niqueux-Bruère – Marcel Pagnol", "La Riche", "37195", None,
             47.3890, 0.6520, 20.0, False, 1.5, -10.0, 13),
)  # fmt: skip


def draw_perimeter(q: Quartier, rng: np.random.Generator) -> Polygon:
    """Return an irregular star-shaped polygon of ``q.target_ha`` around ``q``'s centre.

    Vertices are taken at increasing, jittered angles with smoothed random radii,
    so the ring never crosses itself; an affine stretch and rotation (which keep
    it simple) make it elongated; a final scaling gives the exact target area.
    The polygon is in Lambert-93 metres.
    """
    n = q.n_vertices
    angles = 2 * math.pi * (np.arange(n) + rng.uniform(-0.3, 0.3, n)) / n
    noise = rng.standard_normal(n)
    smooth = (np.roll(noise, 1) + 2 * noise + np.roll(noise, -1)) / 4
    radii = np.clip(1.0 + 0.22 * smooth, 0.65, 1.4)
    x = radii * np.cos(angles) * q.elongation
    y = radii * np.sin(angles) / q.elongation
    theta = math.radians(q.angle_deg)
    xr = x * math.cos(theta) - y * math.sin(theta)
    yr = x * math.sin(theta) + y * math.cos(theta)
    unit = Polygon(np.column_stack([xr, yr]))
    scale = math.sqrt(q.target_ha * 10_000 / unit.area)
    to_l93 = Transformer.from_crs(DISPLAY_CRS, WORK_CRS, always_xy=True)
    cx, cy = to_l93.transform(q.lon, q.lat)
    return Polygon(np.column_stack([cx + xr * scale, cy + yr * scale]))


def to_wgs84_rounded(poly: Polygon) -> Polygon:
    """Project a Lambert-93 polygon to WGS84, rounded to 6 decimals, counter-clockwise."""
    to_wgs = Transformer.from_crs(WORK_CRS, DISPLAY_CRS, always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), 6)

    out = shapely.transform(poly, project)
    return shapely.orient_polygons(out, exterior_cw=False)


def area_ha_l93(poly_wgs84: Polygon) -> float:
    """Area in hectares of a WGS84 polygon, measured in Lambert-93."""
    to_l93 = Transformer.from_crs(DISPLAY_CRS, WORK_CRS, always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = to_l93.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return float(shapely.transform(poly_wgs84, project).area / 10_000)


def build_features(seed: int) -> list[dict[str, object]]:
    """Draw every quartier and return GeoJSON features (WGS84, 6 decimals)."""
    rng = np.random.default_rng(seed)
    drawn_l93: list[Polygon] = []
    features: list[dict[str, object]] = []
    for q in QUARTIERS:
        poly = to_wgs84_rounded(draw_perimeter(q, rng))
        if not poly.is_valid:
            raise RuntimeError(f"{q.code_qp}: drawn polygon is invalid")
        drawn_l93.append(poly)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code_qp": q.code_qp,
                    "nom_qp": q.nom_qp,
                    "commune": q.commune,
                    "insee_com": q.insee_com,
                    "population": q.population,
                    "surface_ha": round(area_ha_l93(poly), 2),
                    "perimetre": "approximatif",
                    "source": SOURCE,
                },
                "geometry": mapping(poly),
            }
        )
    for i, a in enumerate(drawn_l93):
        for b in drawn_l93[i + 1 :]:
            if a.intersects(b):
                raise RuntimeError("two drawn perimeters intersect; move a centre")
    return features


def dump_feature_collection(
    features: list[dict[str, object]], *, name: str, metadata: dict[str, object]
) -> str:
    """Serialise a FeatureCollection with one feature per line (stable, diff-friendly).

    ``name``, ``description`` and ``metadata`` are foreign members (RFC 7946 §6.1):
    GDAL/pyogrio read the features and ignore or expose them as layer metadata.
    """
    head = {
        "type": "FeatureCollection",
        "name": name,
        "description": metadata.get("description", ""),
        "metadata": metadata,
    }
    head_json = json.dumps(head, ensure_ascii=False)[:-1]
    lines = [json.dumps(f, ensure_ascii=False) for f in features]
    return head_json + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def make_quartiers(out: Path, *, seed: int = DEFAULT_SEED) -> Path:
    """Write the approximate QPV perimeters to ``out`` and return the path."""
    features = build_features(seed)
    metadata: dict[str, object] = {
        "titre": "QPV 2015 de Tours Métropole Val de Loire — périmètres approximatifs",
        "description": DESCRIPTION,
        "perimetre": "approximatif",
        "officiel": False,
        "codes": "identifiants locaux LOC-<NOM>, pas des codes QP officiels (QP037xxx)",
        "sources_des_faits": FACTS_SOURCES,
        "crs": "EPSG:4326 (RFC 7946), surfaces calculées en Lambert-93 (EPSG:2154)",
        "genere_par": "scripts/make_quartiers.py",
        "graine": seed,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    text = dump_feature_collection(features, name="quartiers", metadata=metadata)
    out.write_text(text, encoding="utf-8", newline="\n")
    logger.info("wrote %d quartiers to %s", len(features), out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    make_quartiers(args.out, seed=args.seed)


if __name__ == "__main__":
    main()
