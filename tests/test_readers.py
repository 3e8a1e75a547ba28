"""Every input format of PRODUCT.md loads, through the public API, on real-shaped files.

Files are written here by the tests (small, hand-built) so each one's content
and expected result are visible side by side.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from gupgeo import InputFileError, InputNotFoundError, read_layer
from gupgeo.readers import read_source
from gupgeo.readers.tabular import detect_encoding, detect_separator

from .conftest import X0, Y0


def _xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])


@pytest.mark.parametrize(
    ("suffix", "driver"),
    [
        (".geojson", "GeoJSON"),
        (".gpkg", "GPKG"),
        (".shp", "ESRI Shapefile"),
        (".fgb", "FlatGeobuf"),
    ],
)
def test_vector_round_trip(
    tmp_path: Path, squares: gpd.GeoDataFrame, suffix: str, driver: str
) -> None:
    path = tmp_path / f"quartiers{suffix}"
    squares.to_file(path, driver=driver)
    # FlatGeobuf stores features in spatial-index order: compare sorted.
    q = read_layer(path).sort_values("code_qp").reset_index(drop=True)
    assert q.crs.to_epsg() == 2154
    assert list(q["code_qp"]) == ["LOC-A", "LOC-B"]
    assert q.geometry.area.round(6).tolist() == [10_000.0, 10_000.0]
    assert q["population"].tolist() == [1000, 250]
    assert q.attrs["rapport"].balanced


def test_geoparquet_round_trip(tmp_path: Path, squares: gpd.GeoDataFrame) -> None:
    path = tmp_path / "quartiers.parquet"
    squares.to_parquet(path)
    q = read_layer(path)
    assert q["nom_qp"].tolist() == ["Quartier A", "Quartier de l'Alouette"]
    assert q.geometry.area.sum() == pytest.approx(20_000.0)


def test_wgs84_geojson_is_reprojected_to_lambert93(
    tmp_path: Path, points: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "signalements.geojson"
    points.to_crs(4326).to_file(path)
    s = read_layer(path)
    assert s.crs.to_epsg() == 2154
    np.testing.assert_allclose(_xy(s), _xy(points), atol=0.01)


def test_geopackage_any_layer(tmp_path: Path, squares, points) -> None:
    path = tmp_path / "territoire.gpkg"
    squares.to_file(path, layer="quartiers")
    points.to_file(path, layer="signalements")
    raws = read_source(path)
    assert sorted(r.layer for r in raws) == ["quartiers", "signalements"]
    [raw] = read_source(path, layer="signalements")
    assert len(raw.frame) == 4


def test_official_anct_qpv_shapefile_read_unchanged(tmp_path: Path, squares) -> None:
    """2015 ANCT schema: CODE_QP, NOM_QP, COMMUNE_QP, in Lambert-93 with a .prj."""
    anct = squares.rename(
        columns={"code_qp": "CODE_QP", "nom_qp": "NOM_QP", "commune": "COMMUNE_QP"}
    )
    anct["CODE_QP"] = ["QP037001", "QP037002"]
    anct = anct.drop(columns=["insee_com", "population"])
    path = tmp_path / "QP_METROPOLE_LB93.shp"
    anct.to_file(path)
    q = read_layer(path, "quartiers")
    assert q["code_qp"].tolist() == ["QP037001", "QP037002"]
    assert q["commune"].tolist() == ["Tours", "Tours"]


def test_official_lower_case_export(tmp_path: Path, squares) -> None:
    other = squares.rename(columns={"commune": "commune_qp", "insee_com": "code_commune"})
    other["code_qp"] = ["QN03701M", "QN03702M"]
    path = tmp_path / "qpv_2024.geojson"
    other.to_crs(4326).to_file(path)
    from gupgeo import load_territory

    t = load_territory(path)
    assert t["quartiers"]["insee_com"].tolist() == ["37261", "37261"]
    assert t.provenance["quartiers"].qpv_vintage == 2024
    assert "officiels" in (t.provenance["quartiers"].perimeters or "")


def test_french_csv_windows1252_lambert93(tmp_path: Path) -> None:
    text = (
        "id;date;catégorie;x;y;commentaire\n"
        f"A1;05/03/2024;Dépôts sauvages;{X0 + 50:.2f};{Y0 + 50:.2f};Carcasse près de l'école\n"
        f"A2;06/03/2024;Éclairage;{X0 + 150:.2f};{Y0 + 50:.2f};Lampadaire cassé – œuvre\n"
    ).replace(".", ",")
    path = tmp_path / "signalements.csv"
    path.write_bytes(text.encode("cp1252"))
    s = read_layer(path)
    report = s.attrs["rapport"]
    notes = " ".join(report.layers[0].notes)
    assert "Windows-1252" in notes
    assert "« ; »" in notes
    assert "virgule décimale" in notes
    assert "Lambert-93" in report.layers[0].crs_source
    assert s["categorie"].tolist() == ["Dépôts sauvages", "Éclairage"]
    assert s["description"].iloc[1] == "Lampadaire cassé – œuvre"
    np.testing.assert_allclose(_xy(s), [[X0 + 50, Y0 + 50], [X0 + 150, Y0 + 50]])
    assert s["date_signalement"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-05", "2024-03-06"]


def test_csv_utf8_bom_lon_lat(tmp_path: Path) -> None:
    path = tmp_path / "equipements.csv"
    path.write_text(
        "id;nom;type;longitude;latitude\nE1;Maison de l'Habitat;centre social;0,6930;47,3860\n",
        encoding="utf-8-sig",
    )
    e = read_layer(path)
    assert e["nom"].iloc[0] == "Maison de l'Habitat"
    assert 520_000 < e.geometry.x.iloc[0] < 530_000
    assert "BOM" in e.attrs["rapport"].layers[0].notes[0]


def test_excel_sheet_with_dates_and_serials(tmp_path: Path) -> None:
    path = tmp_path / "actions.xlsx"
    pd.DataFrame(
        {
            "id": ["A1", "A2", "A3"],
            "CODE_QP": ["LOC-A", "LOC-A", "LOC-B"],
            "date": [pd.Timestamp("2024-02-01"), "15/03/2024", 45400],
            "theme": ["propreté", "tranquillité", "lien social"],
            "cout_eur": [1200.5, 300, None],
        }
    ).to_excel(path, index=False, sheet_name="Actions 2024")
    a = read_layer(path)
    assert a["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-01", "2024-03-15", "2024-04-18"]
    assert a["code_qp"].tolist() == ["LOC-A", "LOC-A", "LOC-B"]
    assert a["cout_eur"].iloc[0] == 1200.5


def test_open311_georeport_v2(tmp_path: Path) -> None:
    requests = [
        {
            "service_request_id": "638344",
            "status": "closed",
            "status_notes": "Intervention faite",
            "service_name": "Dépôt sauvage",
            "service_code": "DS",
            "description": "Matelas devant l'entrée",
            "agency_responsible": "Ville de Tours",
            "requested_datetime": "2024-03-05T09:15:00+01:00",
            "updated_datetime": "2024-03-08T16:00:00+01:00",
            "address": "12 rue de l'Alouette",
            "lat": 47.386,
            "long": 0.693,
        },
        {
            "service_request_id": "638345",
            "status": "open",
            "service_name": "Éclairage",
            "service_code": "EP",
            "requested_datetime": "2024-03-06T21:00:00+01:00",
            "updated_datetime": "2024-03-07T08:00:00+01:00",
            "lat": 47.387,
            "long": 0.694,
        },
    ]
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(requests), encoding="utf-8")
    s = read_layer(path)
    assert s["id"].tolist() == ["638344", "638345"]
    assert s["statut"].tolist() == ["résolu", "nouveau"]
    assert s["statut_brut"].tolist() == ["closed", "open"]
    assert s["date_signalement"].iloc[0] == pd.Timestamp("2024-03-05 09:15")
    assert s["date_cloture"].iloc[0] == pd.Timestamp("2024-03-08 16:00")
    assert pd.isna(s["date_cloture"].iloc[1])
    assert s["categorie"].iloc[0] == "Dépôt sauvage"
    # Mapped by meaning: the code beside the name, the service in charge is not the source.
    assert s["code_service"].tolist() == ["DS", "EP"]
    assert "sous_categorie" not in s.columns or s["sous_categorie"].isna().all()
    assert s["service_responsable"].iloc[0] == "Ville de Tours"
    assert "source" not in s.columns or s["source"].isna().all()


@pytest.mark.parametrize("spelling", ["csv", "api"])
def test_dansmarue_export(tmp_path: Path, spelling: str) -> None:
    if spelling == "csv":
        header = (
            "ID DECLARATION;TYPE DECLARATION;SOUS TYPE DECLARATION;DATE DECLARATION;geo_point_2d"
        )
    else:
        header = "id_dmr;type;soustype;datedecl;geo_point_2d"
    rows = [
        "101;Graffitis, tags, affiches et autocollants;Tags;2023-05-02;48.8566, 2.3522",
        "102;Objets abandonnés;Encombrants;2023-05-03;48.857, 2.353",
    ]
    path = tmp_path / "dansmarue.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    s = read_layer(path)
    report = s.attrs["rapport"]
    assert s["categorie"].tolist() == [
        "Graffitis, tags, affiches et autocollants",
        "Objets abandonnés",
    ]
    assert s["statut"].isna().all()
    assert any("ni statut ni date de clôture" in n for n in report.layers[0].notes)
    # geo_point_2d is "lat, lon": Paris lies ~ 652 km east, 6 862 km north in Lambert-93.
    assert 640_000 < s.geometry.x.iloc[0] < 660_000
    assert 6_850_000 < s.geometry.y.iloc[0] < 6_870_000


def test_gpx_walk_waypoints_and_track(tmp_path: Path) -> None:
    gpx = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="47.3860" lon="0.6930"><time>2024-04-02T10:00:00Z</time><name>éclairage</name>
    <desc>Passage sombre sous le porche</desc></wpt>
  <wpt lat="47.3863" lon="0.6935"><time>2024-04-02T10:10:00Z</time><name>recoins</name>
    <desc>Recoin derrière le local vélo</desc></wpt>
  <trk><name>Marche exploratoire Sanitas</name><trkseg>
    <trkpt lat="47.3858" lon="0.6925"><time>2024-04-02T09:55:00Z</time></trkpt>
    <trkpt lat="47.3865" lon="0.6940"><time>2024-04-02T10:30:00Z</time></trkpt>
  </trkseg></trk>
</gpx>"""
    path = tmp_path / "marche.gpx"
    path.write_text(gpx, encoding="utf-8")
    c = read_layer(path, "constats")
    # The track is the walk's route (a diagnostic), never a constat (issue 21).
    assert set(c.geometry.geom_type) == {"Point"}
    assert c["theme"].iloc[0] == "éclairage"
    assert c["date"].notna().all()
    assert len(c) == 2
    route = read_layer(path, "diagnostics")
    assert route.geometry.geom_type.tolist() == ["MultiLineString"]
    assert route["date"].iloc[0] == pd.Timestamp("2024-04-02")


def test_kml_points_and_line(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "Name": ["visibilité", "cheminements"],
            "Description": ["Haie trop haute", "Trottoir étroit"],
        },
        geometry=[Point(0.693, 47.386), LineString([(0.692, 47.385), (0.694, 47.387)])],
        crs="EPSG:4326",
    )
    path = tmp_path / "constats.kml"
    gdf.to_file(path, driver="KML")
    raw = read_source(path)[0]
    assert len(raw.frame) == 2
    assert raw.frame["theme"].tolist() == ["visibilité", "cheminements"]


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="introuvable"):
        read_source(tmp_path / "absent.csv")
    odd = tmp_path / "notes.docx"
    odd.write_bytes(b"PK")
    with pytest.raises(InputFileError, match=r"format « \.docx » non pris en charge"):
        read_source(odd)


def test_empty_csv_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputFileError, match="fichier vide"):
        read_source(path)


def test_encoding_and_separator_detection() -> None:
    assert detect_encoding("é".encode())[0] == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfa")[0] == "utf-8-sig"
    assert detect_encoding("Déchets – œuvre".encode("cp1252"))[0] == "cp1252"
    assert detect_separator("a;b;c\n1;2,5;3\n")[0] == ";"
    assert detect_separator("a,b,c\n1,2,3\n")[0] == ","
    assert detect_separator("a\tb\n1\t2\n")[0] == "\t"


def test_damaged_geojson_features_are_rejected_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "signalements.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"id":"a","date_signalement":"2024-01-02","categorie":"tags"},'
        '"geometry":{"type":"Point","coordinates":[0.69,47.39]}},'
        '{"type":"Feature","properties":{"id":"b","date_signalement":"2024-01-02","categorie":"tags"},'
        '"geometry":{"type":"Point","coordinates":["x"]}}]}',
        encoding="utf-8",
    )
    from gupgeo import load_territory

    report = load_territory(path).report.layer("signalements")
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (2, 1, 1)
    [issue] = report.issues_of("rejet")
    assert issue.row == "entité 2" and issue.message == "géométrie absente ou vide"
    assert any(n.startswith("GDAL : ") and "coord" in n for n in report.notes)


def test_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "quartiers.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feat', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"quartiers\.geojson : fichier illisible"):
        read_source(path)


def test_fiona_salvage_reads_what_pyogrio_reads(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    from gupgeo.readers.vector import _salvage

    path = tmp_path / "signalements.gpkg"
    points.to_file(path, layer="signalements")
    salvaged, unreadable = _salvage(path, "signalements")
    assert unreadable == []
    assert salvaged["id"].tolist() == ["S1", "S2", "S3", "S4"]
    assert salvaged.geometry.equals(points.geometry)


def test_geopackage_table_chosen_by_layer_name(tmp_path: Path, squares, points) -> None:
    path = tmp_path / "territoire.gpkg"
    squares.to_file(path, layer="quartiers")
    points.to_file(path, layer="signalements")
    s = read_layer(path, "signalements")
    assert s["id"].tolist() == ["S1", "S2", "S3", "S4"]
    with pytest.raises(Exception, match="aucune ne s'appelle « equipements »"):
        read_layer(path, "equipements")


def test_zip_with_several_shapefiles_reads_them_all(tmp_path: Path, squares, points) -> None:
    import zipfile

    from gupgeo import load_territory

    squares.to_file(tmp_path / "quartiers.shp")
    points.drop(columns=["date_signalement", "description"]).assign(nom="x", type="école").to_file(
        tmp_path / "equipements.shp"
    )
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in tmp_path.iterdir():
            if f.stem in ("quartiers", "equipements") and f.suffix != ".zip":
                zf.write(f, f.name)
    t = load_territory(archive)
    assert len(t["quartiers"]) == 2 and len(t["equipements"]) == 4


def test_csv_line_with_wrong_field_count_is_rejected_not_fatal(tmp_path: Path) -> None:
    from gupgeo import load_territory

    path = tmp_path / "signalements.csv"
    path.write_text(
        "id;date_signalement;categorie;longitude;latitude\n"
        "1;2024-03-05;tags;0,693;47,386\n"
        "2;2024-03-05;tags;en trop;0,693;47,386\n"
        "3;2024-03-06;tags;0,693;47,386\n",
        encoding="utf-8",
    )
    t = load_territory(path)
    report = t.report.layer("signalements")
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (3, 2, 1)
    [issue] = report.issues_of("rejet")
    assert issue.row == "ligne 3" and issue.message.startswith("6 champ(s) au lieu de 5")
    assert t["signalements"]["id"].tolist() == ["1", "3"]
    assert t.report.rejects["signalements"]["ligne"].tolist() == ["ligne 3"]


def test_kml_without_document_name(tmp_path: Path) -> None:
    path = tmp_path / "constats.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Placemark><name>éclairage</name><TimeStamp><when>2024-01-02</when></TimeStamp>"
        "<Point><coordinates>0.69,47.39</coordinates></Point></Placemark></Document></kml>\n",
        encoding="utf-8",
    )
    c = read_layer(path)
    assert c["theme"].tolist() == ["éclairage"] and c["date"].notna().all()


def test_csv_whose_wkt_column_is_named_geometry(tmp_path: Path) -> None:
    """``GeoDataFrame.to_csv`` writes the geometry as WKT under ``geometry``: it is parsed,
    and a rejected row keeps its text in the rejects."""
    path = tmp_path / "signalements_export.csv"
    path.write_text(
        "id;date_signalement;categorie;geometry\n"
        "A;01/02/2024;tags;POINT (0.69 47.39)\n"
        "B;02/02/2024;tags;POINT (0.70 47.40)\n"
        "C;03/02/2024;tags;POINT (zéro)\n",
        encoding="utf-8",
    )
    s = read_layer(path, "signalements")
    report = s.attrs["rapport"]
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (3, 2, 1)
    assert s.crs.to_epsg() == 2154
    assert s["id"].tolist() == ["A", "B"]
    assert s.geometry.x.round(-3).tolist() == [526_000.0, 527_000.0]
    rejects = report.rejects["signalements"]
    assert rejects["motif"].tolist() == ["géométrie WKT illisible : 'POINT (zéro)'"]
    assert rejects["geometry"].tolist() == ["POINT (zéro)"]


@pytest.mark.parametrize("enabled_before", [True, False])
def test_gc_paused_restores_the_collector(enabled_before: bool) -> None:
    import gc

    from gupgeo.readers.bulk import gc_paused

    (gc.enable if enabled_before else gc.disable)()
    try:
        with pytest.raises(ZeroDivisionError), gc_paused():
            assert not gc.isenabled()
            1 / 0  # noqa: B018
        assert gc.isenabled() is enabled_before
    finally:
        gc.enable()


def test_comma_separated_csv_with_quoted_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    path.write_text(
        "id,date_signalement,categorie,longitude,latitude\n"
        'A,04/03/2024,Tags,"0,6612","47,3521"\n'
        'B,05/03/2024,Tags,"0,6625","47,3530"\n',
        encoding="utf-8",
    )
    s = read_layer(path)
    assert s.attrs["rapport"].rows_kept == 2 and s.attrs["rapport"].rows_rejected == 0
    assert s.geometry.x.round(1).tolist() == [523467.0, 523568.1]


def _big_csv(path: Path, last: bytes, rows: int = 6_000) -> bytes:
    """Over 256 KB (the sample the encoding is detected on); ``last`` is the final line."""
    body = b"".join(
        f"S-{i};04/03/2024;tags;0,6{i % 10}12;47,3521;Rue de la Paix\n".encode()
        for i in range(rows)
    )
    data = b"id;date_signalement;categorie;longitude;latitude;adresse\n" + body + last
    path.write_bytes(data)
    return data


def test_utf8_sample_then_windows1252_found_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    last = "Z;05/03/2024;tags;0,69;47,39;Rue de l'Église\n".encode("cp1252")
    data = _big_csv(path, last)
    assert len(data) > 256 * 1024
    s = read_layer(path)
    report = s.attrs["rapport"]
    assert report.rows_read == report.rows_kept == 6_001
    assert s["adresse"].iloc[-1] == "Rue de l'Église"
    position = data.index("É".encode("cp1252"))
    assert f"Windows-1252 (octet non UTF-8 à la position {position} du fichier)" in (
        report.to_text()
    )


def test_big_file_with_a_quoted_line_break_keeps_its_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    _big_csv(
        path, b'Z;05/03/2024;tags;0,69;47,39;"Rue\nde la Gare"\nY;32/03/2024;tags;0,69;47,39;x\n'
    )
    s = read_layer(path, max_rejects_pct=1)
    report = s.attrs["rapport"]
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (6_002, 6_001, 1)
    assert s["adresse"].iloc[-1] == "Rue\nde la Gare"
    [issue] = report.layer("signalements").issues_of("rejet")
    assert issue.row == "ligne 6004"
