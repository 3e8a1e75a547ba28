"""Walk files from the field: waypoints are constats, a track is the diagnostic's route.

Hand-written GPX and KML in the shape OsmAnd / field apps write them (untimed tracks,
waypoints with or without times, photo links); partners checked against ``partenaires``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from gupgeo import load_territory, read_layer
from gupgeo.cli import main

UNTIMED_TRACK = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="OsmAnd~ 4.6" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="47.3860" lon="0.6930"><time>2024-05-14T10:00:00+02:00</time><name>éclairage</name>
  <desc>Passage sombre sous le porche de l'Alouette</desc>
  <link href="photos/IMG_0001.jpg"><text>photo</text></link></wpt>
 <wpt lat="47.3863" lon="0.6935"><time>2024-05-14T10:10:00+02:00</time><name>recoins</name></wpt>
 <trk><name>Diagnostic Sanitas</name><trkseg>
  <trkpt lat="47.3858" lon="0.6925"></trkpt>
  <trkpt lat="47.3865" lon="0.6940"></trkpt>
  <trkpt lat="47.3870" lon="0.6945"></trkpt>
 </trkseg></trk>
</gpx>
"""

NO_TIMES = UNTIMED_TRACK.replace("<time>2024-05-14T10:00:00+02:00</time>", "").replace(
    "<time>2024-05-14T10:10:00+02:00</time>", ""
)


def _write(tmp_path: Path, text: str, name: str = "marche_sanitas.gpx") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_gpx_untimed_track_is_the_route_of_one_diagnostic(tmp_path: Path) -> None:
    t = load_territory(_write(tmp_path, UNTIMED_TRACK))
    assert t.report.ok and t.report.balanced
    constats, diagnostics = t["constats"], t["diagnostics"]
    assert len(constats) == 2 and (constats.geom_type == "Point").all()
    assert constats["id"].tolist() == ["marche_sanitas-01", "marche_sanitas-02"]
    assert constats["diagnostic_id"].tolist() == ["marche_sanitas"] * 2
    [diag] = diagnostics.to_dict("records")
    assert diag["id"] == "marche_sanitas" and diag["objet"] == "Diagnostic Sanitas"
    assert diag["geometry"].geom_type == "MultiLineString"
    assert diag["date"] == pd.Timestamp("2024-05-14")  # from the first finding
    assert constats["photos"].iloc[0] == "photos/IMG_0001.jpg"
    assert sum(r.rows_rejected for r in t.report.layers) == 0


def test_validate_cli_exit_0_for_untimed_track(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(_write(tmp_path, UNTIMED_TRACK))]) == 0
    out = capsys.readouterr().out
    assert "parcours du diagnostic « marche_sanitas »" in out


def test_no_times_needs_date_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, NO_TIMES)
    assert main(["validate", str(path)]) == 1
    assert "--date" in capsys.readouterr().out
    assert main(["validate", str(path), "--date", "14/05/2024"]) == 0
    t = load_territory(path, walk_date=dt.date(2024, 5, 14))
    assert t["constats"]["date"].dt.date.tolist() == [dt.date(2024, 5, 14)] * 2
    assert t["diagnostics"]["date"].iloc[0] == pd.Timestamp("2024-05-14")


def test_read_layer_of_walk_returns_findings(tmp_path: Path) -> None:
    c = read_layer(_write(tmp_path, UNTIMED_TRACK))
    assert len(c) == 2


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Diagnostic en marchant</name>
<Placemark><name>Banc cassé</name><Point><coordinates>0.689,47.39</coordinates></Point></Placemark>
<Placemark><name>Cheminement sombre</name>
 <LineString><coordinates>0.689,47.39 0.690,47.391</coordinates></LineString></Placemark>
<Placemark><name>Trace</name>
 <LineString><coordinates>0.688,47.389 0.689,47.39 0.691,47.392</coordinates></LineString>
</Placemark>
</Document></kml>
"""


def test_kml_track_named_trace_is_the_route_a_line_finding_stays(tmp_path: Path) -> None:
    t = load_territory(_write(tmp_path, KML, "marche.kml"), walk_date=dt.date(2024, 6, 3))
    assert t.report.ok
    assert t["constats"]["theme"].tolist() == ["Banc cassé", "Cheminement sombre"]
    assert t["diagnostics"]["id"].tolist() == ["marche"]
    assert t["diagnostics"].geom_type.tolist() == ["MultiLineString"]


def test_responsables_spelled_as_partners_unknown_kept(tmp_path: Path) -> None:
    (tmp_path / "partenaires.csv").write_text(
        "nom;type;alias\nTours Habitat;bailleur;TH\nVille de Tours;ville;\n", encoding="utf-8"
    )
    (tmp_path / "constats.csv").write_text(
        "id;date;theme;demarche;responsable;echeance;longitude;latitude\n"
        "C1;14/05/2024;éclairage;diagnostic en marchant;TOURS HABITAT;30/06/2024;0,69;47,39\n"
        "C2;14/05/2024;propreté;diagnostic en marchant;th;;0,69;47,39\n"
        "C3;14/05/2024;voirie;diagnostic en marchant;Régie Tours Nord;;0,69;47,39\n",
        encoding="utf-8",
    )
    t = load_territory(tmp_path)
    assert t["constats"]["responsable"].tolist() == [
        "Tours Habitat",
        "Tours Habitat",
        "Régie Tours Nord",
    ]
    text = t.report.to_text()
    assert "responsable « Régie Tours Nord » absent de la table des partenaires" in text
    assert len(t["constats"]) == 3


APPORTER = Path(__file__).resolve().parents[1] / "data" / "sample" / "apporter"


@pytest.mark.parametrize("name", ["marche_sanitas_osmand.gpx", "marche_sanitas_mymaps.kml"])
def test_field_app_walks_of_the_sample_load_whole(name: str) -> None:
    t = load_territory(APPORTER / name)
    assert t.report.ok and t.report.balanced
    assert len(t["constats"]) == 6 and len(t["diagnostics"]) == 1
    assert t["diagnostics"].geom_type.tolist() == ["MultiLineString"]
    assert set(t["constats"]["diagnostic_id"]) == set(t["diagnostics"]["id"])


def test_rattacher_attaches_constats_and_route_to_a_stored_diagnostic(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    store = tmp_path / "territoire.gpkg"
    quartiers = gpd.GeoDataFrame(
        {"code_qp": ["QA"], "nom_qp": ["A"]},
        geometry=[box(0.68, 47.37, 0.70, 47.40)],
        crs="EPSG:4326",
    ).to_crs(2154)
    diagnostics = gpd.GeoDataFrame(
        {
            "id": ["DEM-09"],
            "date": [pd.Timestamp("2024-05-14")],
            "demarche": ["diagnostic en marchant"],
        },
        geometry=[None],
        crs="EPSG:2154",
    )
    from gupgeo import Territory

    Territory({"quartiers": quartiers, "diagnostics": diagnostics}).save(store)
    walk = _write(tmp_path, UNTIMED_TRACK)
    assert main(["diagnostic", "rattacher", str(walk), "--diagnostic", "DEM-09",
                 "--territoire", str(store)]) == 0  # fmt: skip
    t = load_territory(store)
    assert t["constats"]["id"].tolist() == ["DEM-09-01", "DEM-09-02"]
    assert set(t["constats"]["diagnostic_id"]) == {"DEM-09"}
    assert t["diagnostics"]["id"].tolist() == ["DEM-09"]
    assert t["diagnostics"].geom_type.tolist() == ["MultiLineString"]
    assert main(["diagnostic", "rattacher", str(walk), "--diagnostic", "DEM-99",
                 "--territoire", str(store)]) == 2  # fmt: skip
