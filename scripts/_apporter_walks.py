"""Walk files as field apps write them (SYNTHETIC): an OsmAnd-like GPX, a My Maps-like KML.

- ``marche_sanitas_osmand.gpx``: waypoints with times (``+02:00``), the theme in
  ``<type>``, photo references in ``<link>``, and an **untimed** track (the route);
- ``marche_sanitas_mymaps.kml``: a folder « Constats » of placemarks (``TimeStamp``, theme,
  gravité, responsable and échéance in ``ExtendedData``) and a folder « Parcours » holding
  the walked line, without time.

Every value is invented; a separate seeded stream, so the other files do not change.
"""

from __future__ import annotations

import random
from pathlib import Path
from xml.sax.saxutils import escape

CENTRE = (0.6905, 47.3848)  # lon, lat: Sanitas, Tours (approximate)
FINDINGS = (
    ("éclairage", "Lampadaire éteint rue de l'Alouette", "Tours Métropole Val de Loire", 3),
    ("propreté", "Dépôt d'encombrants près du local vélo", "Tours Habitat", 2),
    ("recoins", "Recoin derrière la loge, peu visible", "TH", 2),
    ("mobilier urbain", "Banc cassé devant l'école", "Ville de Tours", 1),
    ("cheminements", "Trottoir étroit, poussettes sur la chaussée", "TMVL", 2),
    ("visibilité", "Haie trop haute au carrefour", "Ville de Tours", 1),
)


def _route(rng: random.Random, n: int = 14) -> list[tuple[float, float]]:
    lon, lat = CENTRE[0] - 0.003, CENTRE[1] - 0.002
    points = []
    for _ in range(n):
        lon += rng.uniform(0.0002, 0.0006)
        lat += rng.uniform(-0.0001, 0.0005)
        points.append((round(lon, 6), round(lat, 6)))
    return points


def _near(rng: random.Random, route: list[tuple[float, float]]) -> tuple[float, float]:
    lon, lat = route[rng.randrange(len(route))]
    return round(lon + rng.uniform(-0.0002, 0.0002), 6), round(
        lat + rng.uniform(-0.0002, 0.0002), 6
    )


def write_field_gpx(out: Path, rng: random.Random) -> Path:
    route = _route(rng)
    wpts = []
    for i, (theme, text, _, _) in enumerate(FINDINGS):
        lon, lat = _near(rng, route)
        link = (
            f'<link href="photos/IMG_20240604_10{i:02d}.jpg"><text>Photo {i + 1}</text></link>'
            if i % 2 == 0
            else ""
        )
        wpts.append(
            f'  <wpt lat="{lat:.6f}" lon="{lon:.6f}"><time>2024-06-04T10:{5 * i:02d}:00+02:00'
            f"</time><name>{escape(text)}</name><desc>{escape(text)} (fictif)</desc>"
            f"<type>{escape(theme)}</type>{link}</wpt>"
        )
    trkpts = "\n".join(f'   <trkpt lat="{lat:.6f}" lon="{lon:.6f}"/>' for lon, lat in route)
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="OsmAnd~ 4.6 (export fictif gupgeo)" '
        'xmlns="http://www.topografix.com/GPX/1/1">\n'
        "  <metadata><name>Diagnostic en marchant Sanitas – DONNÉES FICTIVES</name></metadata>\n"
        + "\n".join(wpts)
        + "\n  <trk><name>Parcours du diagnostic (fictif)</name><trkseg>\n"
        + trkpts
        + "\n  </trkseg></trk>\n</gpx>\n"
    )
    path = out / "marche_sanitas_osmand.gpx"
    path.write_text(text, encoding="utf-8")
    return path


def write_field_kml(out: Path, rng: random.Random) -> Path:
    route = _route(rng)
    marks = []
    for i, (theme, text, partner, gravite) in enumerate(FINDINGS):
        lon, lat = _near(rng, route)
        data = {"theme": theme, "gravite": gravite, "responsable": partner,
                "echeance": "2024-07-31" if i != 3 else ""}  # fmt: skip
        extended = "".join(
            f'<Data name="{k}"><value>{escape(str(v))}</value></Data>' for k, v in data.items()
        )
        marks.append(
            f"   <Placemark><name>{escape(text)}</name>"
            f"<description>{escape(text)} (fictif)</description>"
            f"<TimeStamp><when>2024-06-11T18:{5 * i:02d}:00+02:00</when></TimeStamp>"
            f"<ExtendedData>{extended}</ExtendedData>"
            f"<Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>"
        )
    coords = " ".join(f"{lon},{lat},0" for lon, lat in route)
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>\n'
        "  <name>Marche exploratoire Sanitas – DONNÉES FICTIVES</name>\n"
        "  <Folder><name>Constats</name>\n" + "\n".join(marks) + "\n  </Folder>\n"
        "  <Folder><name>Parcours</name>\n"
        "   <Placemark><name>Trace du parcours</name>"
        f"<LineString><coordinates>{coords}</coordinates></LineString></Placemark>\n"
        "  </Folder>\n</Document></kml>\n"
    )
    path = out / "marche_sanitas_mymaps.kml"
    path.write_text(text, encoding="utf-8")
    return path


def make_field_walks(out: Path, *, seed: int = 21) -> list[Path]:
    """Write the two field-app walk files into ``out``."""
    rng = random.Random(seed)
    return [write_field_gpx(out, rng), write_field_kml(out, rng)]
