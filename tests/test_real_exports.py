"""Real exports as they really come: each file is written here the way its source writes it.

Where each fixture comes from:

- GPX: OsmAnd / GPSLogger walk recordings (waypoints with ``+02:00`` offsets, track
  points in UTC ``Z``), GPX 1.1 schema;
- KML: field apps (Google My Maps, QField exports) dating placemarks with
  ``<TimeStamp><when>`` or ``<TimeSpan><begin>``, KML 2.2;
- GeoJSON declared Lambert-93 holding degrees: a GeoJSON re-exported with a stale
  ``crs`` member (``urn:ogc:def:crs:EPSG::2154``) after coordinates were reprojected;
- CSV with ``POINT(NaN NaN)``: WKT columns written by scripts from empty geometries;
- DansMaRue: the open-data export of opendata.paris.fr ("dans-ma-rue", Opendatasoft),
  API field names, ``geo_point_2d`` in its three spellings ("lat, lon", JSON object,
  Python dict literal left by a pandas re-export), ``geo_shape`` GeoJSON, a
  ``numero`` reused across reports; and the JSON records export of the same API;
- Open311: GeoReport v2 ``requests.json`` as US cities serve it (local time with a
  ``-05:00`` offset), requests around local midnight;
- Excel: an office-software export (openpyxl writes it here) with a title row, an
  extraction-date row, merged group labels over the header and a label merged over two
  header rows, real date cells, an Excel serial, a French decimal-comma text cell;
- malformed CSVs: an unclosed quote, rows with too few and too many fields, a bare CR
  typed in a cell, a random garbage file, a 100,000-column header — the damage seen in
  hand-edited exports;
- a territory folder holding ``notes.pdf`` and a ``.docx`` beside the data, and a zip
  bomb (30 MB of zeros compressed to about 30 kB).

Every test checks rows in = kept + rejected and the message a planner reads; those
going through the CLI check its exit code too.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest

from gupgeo import load_territory, read_layer
from gupgeo.cli import main
from gupgeo.errors import InputFileError


def _report(frame):
    # A walk file (GPX, KML) also gives its diagnostic (issue 21): the findings' report.
    [layer] = [r for r in frame.attrs["rapport"].layers if r.layer != "diagnostics"]
    assert layer.rows_read == layer.rows_kept + layer.rows_rejected
    return layer


GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="OsmAnd~ 4.6" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="47.3900" lon="0.6890"><time>2024-05-14T23:40:00+02:00</time>
  <name>Éclairage HS</name><desc>Lampadaire éteint rue de l'Alouette</desc></wpt>
 <wpt lat="47.3905" lon="0.6895"><time>2024-05-14T09:20:00+02:00</time><name>Recoin</name></wpt>
 <trk><name>Marche exploratoire</name><trkseg>
  <trkpt lat="47.3900" lon="0.6890"><time>2024-05-14T21:50:00Z</time></trkpt>
  <trkpt lat="47.3910" lon="0.6900"><time>2024-05-14T22:30:00Z</time></trkpt>
 </trkseg></trk>
</gpx>
"""


def test_gpx_with_timezone_aware_times_keeps_french_wall_clock(tmp_path: Path) -> None:
    path = tmp_path / "constats_marche.gpx"
    path.write_text(GPX, encoding="utf-8")
    constats = read_layer(path)
    r = _report(constats)
    # The track is the walk's route (a diagnostic), not a constat (issue 21).
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (2, 2, 0)
    dates = constats["date"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert dates == ["2024-05-14 23:40", "2024-05-14 09:20"]
    route = load_territory(path)["diagnostics"]
    # 21:50 UTC is 23:50 in Paris in May: the walk stays on the 14th.
    assert route["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-14"]
    assert any("fuseau (UTC+02:00)" in n and "heure légale de Paris" in n for n in r.notes)
    assert any("fuseau (UTC)" in n for n in r.notes)


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Diagnostic en marchant</name>
<Placemark><name>Banc cassé</name><description>à réparer</description>
 <TimeStamp><when>2024-05-14T09:12:00+02:00</when></TimeStamp>
 <Point><coordinates>0.689,47.39</coordinates></Point></Placemark>
<Placemark><name>Haie trop haute</name>
 <TimeSpan><begin>2024-05-15</begin><end>2024-05-16</end></TimeSpan>
 <Point><coordinates>0.6895,47.3905</coordinates></Point></Placemark>
<Placemark><name>Sans date</name><Point><coordinates>0.6896,47.3906</coordinates></Point></Placemark>
</Document></kml>
"""


def test_kml_timestamp_and_timespan_give_the_date(tmp_path: Path) -> None:
    path = tmp_path / "constats_marche.kml"
    path.write_text(KML, encoding="utf-8")
    constats = read_layer(path)
    r = _report(constats)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (3, 2, 1)
    assert constats["date"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-05-14 09:12",
        "2024-05-15 00:00",
    ]
    assert any("date ← timestamp puis begin" in n for n in r.notes)
    [rejet] = r.issues_of("rejet")
    assert (rejet.row, rejet.message) == ("entité 3", "date vide (valeur obligatoire)")


def test_geojson_declared_lambert93_holding_degrees_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "signalements.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"id": f"S{i}", "date_signalement": "2024-03-05", "categorie": "tags"},
            "geometry": {"type": "Point", "coordinates": [0.68 + i / 1000, 47.39]},
        }
        for i in range(4)
    ]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": features}))
    signalements = read_layer(path)
    r = _report(signalements)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (4, 0, 4)
    [fatal] = r.issues_of("fatal")
    assert fatal.message.startswith("coordonnées hors de l'emprise de EPSG:2154")
    assert "ce sont des degrés : longitude/latitude (WGS84, EPSG:4326) ?" in fatal.message
    assert "déclarez EPSG:4326" in fatal.message


def test_csv_declared_wgs84_holding_lambert93_metres_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    path.write_text(
        "id;date_signalement;categorie;longitude;latitude\n"
        "1;2024-03-05;tags;525000;6702000\n"
        "2;2024-03-05;tags;526000;6703000\n",
        encoding="utf-8",
    )
    r = _report(read_layer(path))
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (2, 0, 2)
    assert "ce sont des mètres en Lambert-93 ?" in r.issues_of("fatal")[0].message


def test_nan_and_infinite_coordinates_rejected_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    path.write_text(
        "id;date_signalement;categorie;wkt\n"
        "1;2024-03-05;tags;POINT(NaN NaN)\n"
        "2;2024-03-05;tags;POINT(inf inf)\n"
        "3;2024-03-05;tags;POINT(0.69 47.39)\n",
        encoding="utf-8",
    )
    signalements = read_layer(path)
    r = _report(signalements)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (3, 1, 2)
    msgs = {i.row: i.message for i in r.issues_of("rejet")}
    assert (
        msgs["ligne 2"]
        == "coordonnées non finies (NaN ou infini) : POINT (NaN NaN) ; attendu des nombres"
    )
    assert msgs["ligne 3"].startswith("coordonnées non finies (NaN ou infini) : POINT (Infinity")


def test_infinite_coordinate_columns_rejected(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    path.write_text(
        "id;date_signalement;categorie;longitude;latitude\n"
        "1;2024-03-05;tags;inf;-inf\n"
        "2;2024-03-05;tags;0.69;47.39\n",
        encoding="utf-8",
    )
    r = _report(read_layer(path))
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (2, 1, 1)
    assert r.issues_of("rejet")[0].message == "longitude illisible : inf (attendu un nombre)"


def test_json_nested_100000_deep_is_a_french_message(tmp_path: Path) -> None:
    path = tmp_path / "signalements.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(
        InputFileError, match=r"signalements\.json : JSON imbriqué trop profondément"
    ):
        read_layer(path)


# DansMaRue open-data export (opendata.paris.fr "dans-ma-rue", Opendatasoft CSV with
# ";"), re-saved through pandas so that geo_point_2d became a Python dict literal on
# some rows; numero repeats (it is reused), id_dmr does not.
DANSMARUE_API = [
    "type;soustype;adresse;prefixe;intervenant;datedecl;numero;id_dmr;geo_point_2d;geo_shape",
    "Propreté;Propreté:Dépôt sauvage;12 Rue de Belleville, 75020 PARIS;A;Ville de Paris - DPE;"
    "2023-11-20;20231120;DMR-1;{'lon': 2.3791, 'lat': 48.8721};"
    '"{""coordinates"": [2.3791, 48.8721], ""type"": ""Point""}"',
    "Graffitis, tags, affiches;Graffitis:Tag sur mur;3 Rue des Envierges, 75020 PARIS;G;"
    'Prestataire graffitis;2023-11-21;20231120;DMR-2;"{""lon"": 2.3860, ""lat"": 48.8708}";',
    "Voirie et espace public;Voirie:Trou;5 Rue Piat, 75020 PARIS;S;Section de voirie;"
    '2023-11-22;20231122;DMR-3;"48.8713, 2.3830";',
    "Éclairage public;Éclairage:Lampadaire;8 Rue Piat, 75020 PARIS;S;Ville de Paris - DVD;"
    "2023-11-23;20231123;DMR-4;;{'type': 'Point', 'coordinates': [2.3835, 48.8714]}",
    "Éclairage public;Éclairage:Lampadaire;9 Rue Piat, 75020 PARIS;S;Ville de Paris - DVD;"
    "2023-11-23;20231123;DMR-5;n/a;",
]


def test_dansmarue_api_export_with_dict_literal_points(tmp_path: Path) -> None:
    path = tmp_path / "dansmarue_export_api.csv"
    path.write_text("\n".join(DANSMARUE_API) + "\n", encoding="utf-8")
    signalements = read_layer(path)
    r = _report(signalements)
    # numero 20231120 and 20231123 repeat: with id_dmr as identifier nothing is a duplicate.
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (5, 4, 1)
    assert signalements["id"].tolist() == ["DMR-1", "DMR-2", "DMR-3", "DMR-4"]
    assert signalements["numero_dansmarue"].tolist()[:2] == ["A20231120", "G20231120"]
    assert signalements["categorie"].iloc[0] == "Propreté"
    assert signalements["sous_categorie"].iloc[0] == "Propreté:Dépôt sauvage"
    assert signalements["intervenant"].iloc[0] == "Ville de Paris - DPE"
    assert set(signalements["source"]) == {"DansMaRue"}
    lonlat = signalements.geometry.to_crs(4326)
    assert [round(p.x, 4) for p in lonlat] == [2.3791, 2.386, 2.383, 2.3835]
    assert [round(p.y, 4) for p in lonlat] == [48.8721, 48.8708, 48.8713, 48.8714]
    assert any("identifiant = id_dmr (numero n'est pas unique" in n for n in r.notes)
    assert "1 point(s) pris dans « geo_shape » (geo_point_2d vide ou illisible)" in r.notes
    [rejet] = r.issues_of("rejet")
    assert rejet.row == "ligne 6"
    assert rejet.message.startswith("geo_point_2d illisible : 'n/a'")


def test_dansmarue_api_json_records(tmp_path: Path) -> None:
    path = tmp_path / "dansmarue.json"
    records = [
        {
            "id_dmr": f"DMR-{i}",
            "numero": 42,
            "type": "Propreté",
            "soustype": "Propreté:Déjections canines",
            "datedecl": "2024-02-0" + str(i),
            "intervenant": "Ville de Paris - DPE",
            "geo_point_2d": {"lon": 2.38 + i / 1000, "lat": 48.87},
            "geo_shape": {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [2.38, 48.87]},
            },
        }
        for i in range(1, 4)
    ]
    path.write_text(json.dumps(records), encoding="utf-8")
    signalements = read_layer(path)
    r = _report(signalements)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (3, 3, 0)
    assert signalements["id"].tolist() == ["DMR-1", "DMR-2", "DMR-3"]
    assert r.format == "DansMaRue (JSON)"


def test_open311_offsets_keep_local_day_around_midnight(tmp_path: Path) -> None:
    # GeoReport v2 as served by US cities (Chicago, Bloomington): local time plus offset.
    times = [
        "2014-05-09T19:02:21-05:00",
        "2014-05-09T23:45:00-05:00",
        "2014-05-10T00:10:00-05:00",
        "2014-05-09T23:59:59-0500",
        "2014-05-10T04:30:00Z",
    ]
    requests = [
        {
            "service_request_id": str(1000 + i),
            "status": "closed" if i % 2 else "open",
            "service_name": "Pothole",
            "service_code": "PH",
            "requested_datetime": t,
            "updated_datetime": t,
            "lat": 47.39,
            "long": 0.69 + i / 1000,
        }
        for i, t in enumerate(times)
    ]
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(requests), encoding="utf-8")
    signalements = read_layer(path)
    r = _report(signalements)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (5, 5, 0)
    # Converted to UTC, the three evening requests would move to the 10th.
    assert signalements["date_signalement"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2014-05-09 19:02",
        "2014-05-09 23:45",
        "2014-05-10 00:10",
        "2014-05-09 23:59",
        "2014-05-10 04:30",
    ]
    assert (
        "requested_datetime : heures locales avec décalage -05:00 (4), Z (UTC) (1) conservées "
        "telles quelles (jour et heure du lieu, non convertis en UTC)"
    ) in r.notes


def _excel_export(path: Path) -> None:
    """A GUP export as office software writes it: title rows, merged header cells, blank rows."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Signalements"
    sheet["A1"] = "Export des signalements GUP — Tours Métropole"
    sheet.merge_cells("A1:G1")
    sheet["A2"] = "Extrait le 03/06/2024"
    sheet["A4"] = "ID signalement"  # spans both header rows
    sheet.merge_cells("A4:A5")
    sheet["B4"] = "Signalement"  # a group label over three columns
    sheet.merge_cells("B4:D4")
    sheet["E4"] = "Localisation"
    sheet.merge_cells("E4:F4")
    header = ["Date", "Catégorie", "Sous-catégorie", "Longitude", "Latitude", "Adresse"]
    for column, name in zip("BCDEFG", header, strict=True):
        sheet[f"{column}5"] = name
    rows = {
        6: (
            1,
            dt.datetime(2024, 3, 5, 10, 15),
            "Propreté",
            "Dépôt",
            0.6890,
            47.39,
            "Rue de l'Alouette",
        ),
        7: (2, "06/03/2024", "Tags", None, 0.6895, 47.3905, None),
        # row 8 blank
        9: (3, 45358, "Éclairage", "Lampadaire", "0,6900", "47,3910", "Place Saint-Paul"),
        10: (4, "pas de date", "Éclairage", None, 0.69, 47.39, None),
    }
    for number, values in rows.items():
        for column, value in zip("ABCDEFG", values, strict=True):
            sheet[f"{column}{number}"] = value
    book.save(path)


def test_excel_with_title_rows_and_merged_french_headers(tmp_path: Path) -> None:
    path = tmp_path / "signalements_export.xlsx"
    _excel_export(path)
    signalements = read_layer(path)
    r = _report(signalements)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (4, 3, 1)
    assert signalements["id"].tolist() == ["1", "2", "3"]
    assert signalements["date_signalement"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
    ]
    assert signalements["categorie"].tolist() == ["Propreté", "Tags", "Éclairage"]
    assert any(
        n.startswith("en-tête trouvé ligne 5 (ligne(s) de titre au-dessus ignorées : Export des")
        for n in r.notes
    )
    [rejet] = r.issues_of("rejet")
    assert rejet.row == "ligne 10"  # the Excel row number, blank row 8 counted
    assert rejet.message.startswith("date_signalement illisible : 'pas de date'")


# Malformed CSVs as spreadsheets and hand edits leave them.
HEADER = "id;date_signalement;categorie;longitude;latitude\n"
GOOD = "{n};2024-03-05;tags;0.69;47.39\n"


def _csv(tmp_path: Path, body: str, newline: str | None = None) -> Path:
    path = tmp_path / "signalements.csv"
    with open(path, "w", encoding="utf-8", newline=newline) as fh:
        fh.write(HEADER + body)
    return path


def test_unclosed_quote_is_bounded_to_its_line(tmp_path: Path) -> None:
    body = '1;2024-03-05;"tags;0.69;47.39\n' + "".join(GOOD.format(n=n) for n in range(2, 6))
    r = _report(read_layer(_csv(tmp_path, body)))
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (5, 4, 1)
    [rejet] = r.issues_of("rejet")
    assert rejet.row == "ligne 2"
    assert rejet.message.startswith(
        "guillemet ouvert et jamais refermé : la ligne est mise de côté seule, les lignes "
        "suivantes sont relues normalement"
    )


def test_unclosed_quote_with_coincidental_field_count(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    path.write_text('id;categorie\n1;"tags\n2;graffiti\n3;propreté\n', encoding="utf-8")
    r = _report(read_layer(path, layer="signalements"))
    assert r.rows_read == 3
    assert [i.row for i in r.issues_of("rejet") if "guillemet" in i.message] == ["ligne 2"]


def test_too_few_and_too_many_fields_counted_once(tmp_path: Path) -> None:
    body = "1;2024-03-05;tags;0.69\n2;2024-03-05;tags;0.69;47.39;en trop\n" + "".join(
        GOOD.format(n=n) for n in range(3, 6)
    )
    r = _report(read_layer(_csv(tmp_path, body)))
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (5, 3, 2)
    msgs = {i.row: i.message for i in r.issues_of("rejet")}
    assert msgs["ligne 2"].startswith("4 champ(s) au lieu de 5 : ligne illisible")
    assert msgs["ligne 3"].startswith("6 champ(s) au lieu de 5 : ligne illisible")


def test_bare_carriage_return_inside_a_field_is_kept_and_said(tmp_path: Path) -> None:
    body = "1;2024-03-05;ta\rgs;0.69;47.39\n" + GOOD.format(n=2)
    signalements = read_layer(_csv(tmp_path, body, newline=""))
    r = _report(signalements)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (2, 2, 0)
    assert signalements["categorie"].iloc[0] == "ta\rgs"
    assert any(n.startswith("retour chariot isolé (\\r) dans un champ") for n in r.notes)


def test_garbage_file_counts_its_physical_lines(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    lines = [
        "".join(rng.choice("abc;,\t xyz0123'é") for _ in range(rng.randint(1, 40)))
        for _ in range(3000)
    ]
    path = tmp_path / "signalements.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = _report(read_layer(path))
    records = sum(1 for line in lines[1:] if line.strip())
    assert r.rows_read == records
    assert r.rows_kept == 0
    assert r.fatal


def test_csv_of_100000_columns_is_a_french_message(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    path.write_text(
        ";".join(f"c{i}" for i in range(100_000)) + "\n" + ";".join("1" * 100_000) + "\n"
    )
    with pytest.raises(
        InputFileError, match=r"signalements\.csv : au moins .* colonnes dans l'en-tête"
    ):
        read_layer(path)


def test_files_matching_no_format_are_listed_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "signalements.csv").write_text(HEADER + GOOD.format(n=1), encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    (tmp_path / "compte_rendu.docx").write_bytes(b"PK\x03\x04")
    territory = load_territory(tmp_path)
    report = territory.report
    assert report.layer("signalements").rows_kept == 1
    assert any("notes.pdf : format « .pdf » non lu, fichier ignoré" in s for s in report.skipped)
    assert any("compte_rendu.docx : format « .docx » non lu" in s for s in report.skipped)
    assert main(["validate", str(tmp_path)]) == 0
    assert "notes.pdf" in capsys.readouterr().out


def test_zip_bomb_refused_with_a_french_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "signalements.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("signalements.dbf", b"\0" * 30_000_000)
    with pytest.raises(InputFileError, match=r"signalements\.zip : archive refusée : .* rapport"):
        read_layer(path)
    assert main(["validate", str(path)]) == 2
    assert "Décompressez l'archive vous-même" in capsys.readouterr().err


@pytest.mark.parametrize(
    "body",
    [
        '1;2024-03-05;"tags;0.69;47.39\n' + GOOD.format(n=2),  # one line set aside
        "1;2024-03-05;tags;0.69\n",  # every line set aside
    ],
)
def test_damaged_csv_through_the_cli_never_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str
) -> None:
    path = _csv(tmp_path, body)
    # 0 or 1: how many rejects make a run fail is the --max-rejets policy, not the reader's.
    assert main(["validate", str(path)]) in (0, 1)
    captured = capsys.readouterr()
    assert "ligne 2" in captured.out
    assert "Traceback" not in captured.out + captured.err
