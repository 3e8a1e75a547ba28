"""Real-life broken inputs for data/sample/dirty/ (each small, each with one known problem).

The exact problem of every file, and what the validator should report, is
described in data/sample/README.md; the counts quoted there come from the
constants below.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
from _sample_io import (
    child_rng,
    csv_text,
    feature,
    fr_date,
    fr_number,
    l93_to_lonlat,
    points_in,
    write_geojson,
)
from _sample_layers import Context
from _sample_vocab import SOUS_CATEGORIES, STREETS
from shapely.geometry import LineString, Polygon

N_SWAPPED = 7
BAD_DATES = ("31/02/2024", "hier", "", "2024-13-01")
N_DUPLICATED_IDS = 3
EXCEL_EPOCH = dt.date(1899, 12, 30)

ACCENTED = (
    ("dépôts sauvages", "sacs d'ordures", "Dépôt de sacs au cœur d’îlot, près de la façade"),
    ("éclairage", "lampadaire éteint", "Éclairage en panne à l’entrée du hall, très sombre"),
    ("tags", "tag sur façade", "Tag sur la façade de l’école maternelle, côté préau"),
    ("propreté", "déchets au sol", "Détritus épars près du garage à vélos ; ça s’accumule"),
    ("encombrants", "meubles", "Canapé et étagères déposés derrière la chaufferie"),
    ("dégradations", "mobilier urbain", "Banc arraché, pièces métalliques à même le trottoir"),
)


@dataclass(frozen=True)
class Report:
    """One ordinary report, located in Lambert-93."""

    categorie: str
    sous_categorie: str
    description: str
    adresse: str
    date: dt.date
    statut: str
    x: float
    y: float

    def lonlat(self) -> tuple[float, float]:
        lon, lat = l93_to_lonlat(np.array([self.x]), np.array([self.y]))
        return float(lon[0]), float(lat[0])


def _reports(
    ctx: Context, n: int, rng: np.random.Generator, codes: tuple[str, ...]
) -> list[Report]:
    """``n`` ordinary reports of 2024 located in the given quartiers."""
    rows: list[Report] = []
    for i in range(n):
        code = codes[i % len(codes)]
        x, y = points_in(ctx.polygon(code).buffer(-5), 1, rng)
        cat = str(rng.choice(list(SOUS_CATEGORIES)))
        sous, _, texts = SOUS_CATEGORIES[cat][int(rng.integers(len(SOUS_CATEGORIES[cat])))]
        street = STREETS[code][int(rng.integers(len(STREETS[code])))]
        rows.append(
            Report(
                categorie=cat,
                sous_categorie=sous,
                description=texts[int(rng.integers(len(texts)))],
                adresse=f"{int(rng.integers(1, 80))} {street}",
                date=dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 366))),
                statut=str(rng.choice(["Nouveau", "En cours", "Résolu"])),
                x=float(x[0]),
                y=float(y[0]),
            )
        )
    return rows


def _french_row(ident: str, date: str, r: Report) -> list[str]:
    """A row of the French dialect with lon/lat (decimal comma)."""
    lon, lat = r.lonlat()
    return [ident, date, r.categorie, r.sous_categorie, r.statut, r.description, r.adresse,
            fr_number(lon, 6), fr_number(lat, 6)]  # fmt: skip


FRENCH_HEADER = tuple(
    ["id", "date_signalement", "categorie", "sous_categorie", "statut", "description", "adresse", "longitude", "latitude"]
)  # fmt: skip


def _windows1252(ctx: Context, out: Path) -> None:
    rng = child_rng(ctx.seed, "dirty/windows1252")
    rows = _reports(ctx, 60, rng, ("LOC-SANITAS", "LOC-FONTAINES"))
    header = [
        "id",
        "date",
        "Catégorie",
        "Sous-catégorie",
        "Statut",
        "Description",
        "Adresse",
        "x",
        "y",
    ]
    body = []
    for i, r in enumerate(rows, start=1):
        cat, sous, text = r.categorie, r.sous_categorie, r.description
        if i % 4 == 0:
            cat, sous, text = ACCENTED[(i // 4) % len(ACCENTED)]
        x, y = fr_number(r.x, 2), fr_number(r.y, 2)
        body.append([f"W{i:04d}", fr_date(r.date), cat, sous, r.statut, text, r.adresse, x, y])
    text = csv_text(header, body).replace("\n", "\r\n")
    (out / "signalements_windows1252.csv").write_bytes(text.encode("cp1252"))


def _swapped(ctx: Context, out: Path) -> list[str]:
    rng = child_rng(ctx.seed, "dirty/swapped")
    rows = _reports(ctx, 50, rng, ("LOC-RABIERE", "LOC-RABATERIE", "LOC-EUROPE"))
    swapped = set(rng.choice(len(rows), size=N_SWAPPED, replace=False).tolist())
    header = [
        "id",
        "date_signalement",
        "categorie",
        "statut",
        "description",
        "adresse",
        "lat",
        "lon",
    ]
    body = []
    ids = []
    for i, r in enumerate(rows):
        ident = f"INV-{i + 1:03d}"
        lon, lat = r.lonlat()
        a, b = f"{lat:.6f}", f"{lon:.6f}"
        if i in swapped:
            a, b = b, a
            ids.append(ident)
        body.append([ident, r.date.isoformat(), r.categorie, r.statut, r.description, r.adresse,
                     a, b])  # fmt: skip
    (out / "signalements_coordonnees_inversees.csv").write_text(
        csv_text(header, body, sep=","), encoding="utf-8"
    )
    return ids


def _dates(ctx: Context, out: Path) -> dict[str, int]:
    rng = child_rng(ctx.seed, "dirty/dates")
    rows = _reports(ctx, 40, rng, ("LOC-ROCHEPINARD", "LOC-RIVES-DU-CHER"))
    bad_at = {5: BAD_DATES[0], 13: BAD_DATES[1], 22: BAD_DATES[2], 31: BAD_DATES[3]}
    counts = {"iso": 0, "fr": 0, "excel": 0, "invalid": len(bad_at)}
    body = []
    for i, r in enumerate(rows):
        if i in bad_at:
            value = bad_at[i]
        elif i % 3 == 0:
            value, counts["iso"] = r.date.isoformat(), counts["iso"] + 1
        elif i % 3 == 1:
            value, counts["fr"] = fr_date(r.date), counts["fr"] + 1
        else:
            value, counts["excel"] = str((r.date - EXCEL_EPOCH).days), counts["excel"] + 1
        body.append(_french_row(f"DAT-{i + 1:03d}", value, r))
    (out / "signalements_dates_invalides.csv").write_text(
        csv_text(FRENCH_HEADER, body), encoding="utf-8-sig"
    )
    return counts


def _duplicates(ctx: Context, out: Path) -> list[str]:
    rng = child_rng(ctx.seed, "dirty/doublons")
    rows = _reports(ctx, 40, rng, ("LOC-NIQUEUX-BRUERE", "LOC-BORDS-DE-LOIRE"))
    body = [_french_row(f"DBL-{i + 1:03d}", fr_date(r.date), r) for i, r in enumerate(rows)]
    dup = [body[6], body[17], body[28]][:N_DUPLICATED_IDS]
    later = list(dup[2])
    later[4] = "Résolu"  # the same report exported again after it was closed
    body.insert(12, list(dup[0]))
    body.insert(25, list(dup[1]))
    body.append(later)
    (out / "signalements_doublons.csv").write_text(
        csv_text(FRENCH_HEADER, body), encoding="utf-8-sig"
    )
    return [str(d[0]) for d in dup]


def _bow_tie(ctx: Context, out: Path) -> None:
    q = ctx.quartiers.set_index("code_qp")
    feats = []
    for code in ("LOC-SANITAS", "LOC-MARYSE-BASTIE", "LOC-RABIERE"):
        geom = q.geometry[code]
        if code == "LOC-MARYSE-BASTIE":
            (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = (
                geom.minimum_rotated_rectangle.exterior.coords
            )
            geom = Polygon([(x0, y0), (x2, y2), (x1, y1), (x3, y3)])  # corners 2 and 3 swapped
        props = {
            "code_qp": code,
            "nom_qp": str(q.loc[code, "nom_qp"]),
            "commune": str(q.loc[code, "commune"]),
            "insee_com": str(q.loc[code, "insee_com"]),
        }
        feats.append(feature(props, geom))
    write_geojson(
        out / "quartiers_autointersection.geojson",
        feats,
        name="quartiers",
        description="Échantillon sale : LOC-MARYSE-BASTIE est un polygone en nœud "
        "papillon (auto-intersection).",
    )


def _shapefile(ctx: Context, equipements: gpd.GeoDataFrame, out: Path) -> int:
    eq = equipements.iloc[::6].head(25)
    frame = gpd.GeoDataFrame(
        {
            "id": eq["id"].to_numpy(),
            "nom": eq["nom"].to_numpy(),
            "type": eq["type"].to_numpy(),
            "gestionnai": eq["gestionnaire"].to_numpy(),
            "date_mise_": pd.to_datetime(eq["date_mise_en_service"]).dt.date.to_numpy(),
        },
        geometry=eq.geometry.to_numpy(),
        crs=None,
    )
    for ext in ("shp", "shx", "dbf", "cpg", "prj"):
        (out / f"equipements_sans_crs.{ext}").unlink(missing_ok=True)
    with warnings.catch_warnings():  # writing without a CRS is the point of this file
        warnings.filterwarnings("ignore", message=".*crs.*", category=UserWarning)
        frame.to_file(out / "equipements_sans_crs.shp", driver="ESRI Shapefile", engine="pyogrio")
    return len(frame)


def _paris_offset(moment: dt.datetime) -> str:
    """UTC offset of Europe/Paris (EU rule: last Sundays of March and October, 01:00 UTC)."""

    def last_sunday(year: int, month: int) -> dt.datetime:
        d = dt.datetime(year, month, 31, 1)
        return d - dt.timedelta(days=(d.weekday() + 1) % 7)

    summer = last_sunday(moment.year, 3) <= moment < last_sunday(moment.year, 10)
    return "+02:00" if summer else "+01:00"


def _iso_paris(utc: dt.datetime) -> str:
    offset = _paris_offset(utc)
    local = utc + dt.timedelta(hours=int(offset[1:3]))
    return local.strftime("%Y-%m-%dT%H:%M:%S") + offset


# categorie -> (service_code, service_name, agency_responsible)
OPEN311_SERVICES = {
    "propreté": ("PROPRETE", "Propreté", "Tours Métropole Val de Loire – propreté urbaine"),
    "dépôts sauvages": (
        "DEPOT",
        "Dépôt sauvage",
        "Tours Métropole Val de Loire – propreté urbaine",
    ),
    "encombrants": ("ENCOMBRANT", "Encombrants", "Tours Métropole Val de Loire – déchets"),
    "éclairage": ("ECLAIRAGE", "Éclairage public", "Ville de Tours – éclairage public"),
    "dégradations": ("DEGRADATION", "Mobilier dégradé", "Ville de Tours – espace public"),
    "tags": ("TAG", "Tag / graffiti", "Ville de Tours – espace public"),
    "voirie": ("VOIRIE", "Voirie", "Tours Métropole Val de Loire – voirie"),
    "espaces verts": ("ESPVERTS", "Espaces verts", "Ville de Tours – parcs et jardins"),
    "PAVE": ("PAVE", "Point d'apport volontaire", "Tours Métropole Val de Loire – déchets"),
    "stationnement / épaves": ("EPAVE", "Véhicule épave", "Police municipale"),
}


def _open311(ctx: Context, out: Path) -> int:
    rng = child_rng(ctx.seed, "dirty/open311")
    rows = _reports(ctx, 30, rng, ("LOC-SANITAS", "LOC-EUROPE", "LOC-RABATERIE"))
    requests = []
    for i, r in enumerate(rows):
        code, name, agency = OPEN311_SERVICES[r.categorie]
        created = dt.datetime(r.date.year, r.date.month, r.date.day) + dt.timedelta(
            minutes=int(rng.integers(6 * 60, 20 * 60))
        )
        closed = rng.random() < 0.6
        updated = created + dt.timedelta(hours=float(np.round(rng.uniform(2, 400), 0)))
        lon, lat = r.lonlat()
        requests.append(
            {
                "service_request_id": f"TMVL-{2024_000 + 17 * i + 3}",
                "status": "closed" if closed else "open",
                "status_notes": "Intervention réalisée." if closed else None,
                "service_name": name,
                "service_code": code,
                "description": r.description,
                "agency_responsible": agency,
                "service_notice": None,
                "requested_datetime": _iso_paris(created),
                "updated_datetime": _iso_paris(updated),
                "expected_datetime": None,
                "address": f"{r.adresse}, Tours",
                "address_id": None,
                "zipcode": "37000",
                "lat": lat,
                "long": lon,
                "media_url": None,
            }
        )
    text = json.dumps(requests, ensure_ascii=False, indent=2) + "\n"
    (out / "open311_requests.json").write_text(text, encoding="utf-8")
    return len(requests)


DMR_TYPES = (
    ("Objets abandonnés", "Objets abandonnés:Cartons, sacs, gravats"),
    ("Graffitis, tags, affiches et autocollants", "Graffitis, tags:Tag sur mur"),
    ("Propreté", "Propreté:Déjections canines"),
    ("Voirie et espace public", "Voirie et espace public:Trou dans la chaussée"),
    ("Éclairage / Électricité", "Éclairage:Candélabre éteint"),
    ("Mobiliers urbains", "Mobiliers urbains:Banc endommagé"),
)
# street -> (arrondissement, approximate lat, lon)
DMR_STREETS = {
    "Rue de la Roquette": (11, 48.8570, 2.3770),
    "Boulevard de Belleville": (20, 48.8700, 2.3790),
    "Rue d'Alésia": (14, 48.8300, 2.3250),
    "Avenue de Clichy": (17, 48.8870, 2.3220),
    "Rue du Faubourg Saint-Antoine": (12, 48.8510, 2.3820),
    "Rue de l'Ourcq": (19, 48.8910, 2.3810),
}


def _dansmarue(ctx: Context, out: Path) -> int:
    rng = child_rng(ctx.seed, "dirty/dansmarue")
    header = [
        "ID DECLARATION",
        "TYPE DECLARATION",
        "SOUS TYPE DECLARATION",
        "ADRESSE",
        "CODE POSTAL",
        "VILLE",
        "ARRONDISSEMENT",
        "DATE DECLARATION",
        "ANNEE DECLARATION",
        "MOIS DECLARATION",
        "NUMERO JOUR",
        "geo_point_2d",
    ]
    body = []
    for i in range(30):
        street = list(DMR_STREETS)[int(rng.integers(len(DMR_STREETS)))]
        arr, lat0, lon0 = DMR_STREETS[street]
        day = dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
        kind, sous = DMR_TYPES[int(rng.integers(len(DMR_TYPES)))]
        lat = lat0 + float(rng.normal(0, 0.0015))
        lon = lon0 + float(rng.normal(0, 0.002))
        body.append(
            [
                str(10_200_000 + 37 * i),
                kind,
                sous,
                f"{int(rng.integers(1, 150))} {street}, 750{arr:02d} PARIS",
                f"750{arr:02d}",
                "Paris",
                str(arr),
                day.isoformat(),
                str(day.year),
                str(day.month),
                str(day.day),
                f"{lat:.6f}, {lon:.6f}",
            ]
        )
    (out / "dansmarue_export.csv").write_text(csv_text(header, body), encoding="utf-8")
    return len(body)


def _gpx(ctx: Context, route: LineString, out: Path) -> int:
    rng = child_rng(ctx.seed, "dirty/gpx")
    start = dt.datetime(2022, 3, 17, 13, 30)  # UTC (14:30 in Tours)
    coords = list(route.coords)
    dense = [route.interpolate(d) for d in np.arange(0, route.length, 15.0)]
    lon, lat = l93_to_lonlat(np.array([p.x for p in dense]), np.array([p.y for p in dense]))
    trkpts = "\n".join(
        f'      <trkpt lat="{la:.6f}" lon="{lo:.6f}"><time>'
        f"{(start + dt.timedelta(seconds=12 * k)).strftime('%Y-%m-%dT%H:%M:%SZ')}</time></trkpt>"
        for k, (lo, la) in enumerate(zip(lon, lat, strict=True))
    )
    notes = (
        ("Recoin sous l'escalier", "Regroupements signalés le soir ; fermer le recoin", "recoins"),
        ("Lampadaire éteint", "Mât n°12 hors service depuis une semaine", "éclairage"),
        ("Haie trop haute", "Pas de vue sur l'entrée de l'école", "visibilité"),
        ("Dépôt au pied du PAVE", "Sacs et cartons, PAVE plein", "propreté"),
        ("Banc cassé", "Lattes arrachées", "mobilier urbain"),
        ("Cheminement boueux", "Chemin de désir à aménager & baliser", "cheminements"),
        ("Porte de hall forcée", "Ventouse arrachée, hall ouvert", "accès"),
        ("Signalétique illisible", "Numéros de halls effacés", "signalétique"),
    )
    wpts = []
    for k, (name, desc, theme) in enumerate(notes):
        x, y = coords[min(len(coords) - 1, 1 + 3 * k)]
        wlon, wlat = l93_to_lonlat(
            np.array([x + rng.normal(0, 5)]), np.array([y + rng.normal(0, 5)])
        )
        when = (start + dt.timedelta(minutes=4 * k + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        wpts.append(
            f'  <wpt lat="{wlat[0]:.6f}" lon="{wlon[0]:.6f}"><time>{when}</time>'
            f"<name>{escape(name)}</name><desc>{escape(desc)}</desc>"
            f"<type>{theme}</type></wpt>"
        )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="gupgeo make_sample_territory" '
        'xmlns="http://www.topografix.com/GPX/1/1">\n'
        "  <metadata><name>Diagnostic en marchant – Sanitas (données fictives)</name>"
        "<time>2022-03-17T13:30:00Z</time></metadata>\n"
        + "\n".join(wpts)
        + "\n  <trk><name>Parcours du diagnostic en marchant</name><type>cheminements</type>"
        + "<trkseg>\n"
        + trkpts
        + "\n    </trkseg></trk>\n</gpx>\n"
    )
    (out / "marche_exploratoire.gpx").write_text(text, encoding="utf-8")
    return len(wpts)


def _kml(ctx: Context, route: LineString, out: Path) -> int:
    rng = child_rng(ctx.seed, "dirty/kml")
    findings = (
        ("Éclairage insuffisant", "éclairage", 3),
        ("Recoin derrière la loge", "recoins", 2),
        ("Accès pompiers encombré", "accès", 2),
        ("Corbeille manquante", "mobilier urbain", 1),
    )
    when = "<TimeStamp><when>2023-11-23T18:30:00+01:00</when></TimeStamp>"

    def placemark(name: str, theme: str, gravite: int, geometry: str) -> str:
        return (
            f'    <Placemark id="marche-{len(placemarks) + 1:02d}"><name>{escape(name)}</name>'
            "<description>Constat de la marche "
            f"exploratoire – gravité {gravite}</description>{when}<ExtendedData>"
            f'<Data name="theme"><value>{escape(theme)}</value></Data>'
            f'<Data name="gravite"><value>{gravite}</value></Data></ExtendedData>'
            f"{geometry}</Placemark>"
        )

    placemarks = []
    for name, theme, gravite in findings:
        p = route.interpolate(float(rng.uniform(0, route.length)))
        lon, lat = l93_to_lonlat(np.array([p.x]), np.array([p.y]))
        point = f"<Point><coordinates>{lon[0]:.6f},{lat[0]:.6f},0</coordinates></Point>"
        placemarks.append(placemark(name, theme, gravite, point))
    lon, lat = l93_to_lonlat(*np.array(route.coords[:8]).T)
    line = " ".join(f"{lo:.6f},{la:.6f},0" for lo, la in zip(lon, lat, strict=True))
    geometry = f"<LineString><coordinates>{line}</coordinates></LineString>"
    placemarks.append(placemark("Cheminement sans éclairage", "cheminements", 3, geometry))
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2">\n  <Document>\n'
        "    <name>Marche exploratoire – La Rabaterie (données fictives)</name>\n"
        + "\n".join(placemarks)
        + "\n  </Document>\n</kml>\n"
    )
    (out / "constats.kml").write_text(text, encoding="utf-8")
    return len(placemarks)


def make_dirty(
    ctx: Context, equipements: gpd.GeoDataFrame, routes: dict[str, LineString], out: Path
) -> dict[str, object]:
    """Write every dirty file into ``out`` and return the facts the README quotes."""
    out.mkdir(parents=True, exist_ok=True)
    _windows1252(ctx, out)
    facts: dict[str, object] = {
        "swapped_ids": _swapped(ctx, out),
        "dates": _dates(ctx, out),
        "duplicated_ids": _duplicates(ctx, out),
        "shapefile_rows": _shapefile(ctx, equipements, out),
        "open311_rows": _open311(ctx, out),
        "dansmarue_rows": _dansmarue(ctx, out),
        "gpx_waypoints": _gpx(ctx, routes["DEM-01"], out),
        "kml_placemarks": _kml(ctx, routes["DEM-05"], out),
    }
    _bow_tie(ctx, out)
    return facts
