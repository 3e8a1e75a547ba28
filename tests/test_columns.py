"""Column mapping, header matching and identifiers (gupgeo.validation.columns).

Fixtures are written here in the shape real exports come in: an Excel export with
French headers, a DansMaRue open-data CSV with two identifier candidates, a city CSV
with no identifier and column names nobody knows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from gupgeo.cli import main
from gupgeo.errors import SchemaError
from gupgeo.schemas import SIGNALEMENTS, header_key, normalise_name
from gupgeo.storage.loading import load_territory, read_layer
from gupgeo.validation.columns import match_columns, parse_column_option

from .conftest import SAMPLE

APPORTER = SAMPLE / "apporter"


@pytest.mark.parametrize(
    "header",
    ["Date du signalement", "DATE_SIGNALEMENT", "date signalement", "Date-de-signalement"],
)
def test_french_headers_match_the_schema_column(header: str) -> None:
    assert header_key(header) == "date_signalement"
    frame = pd.DataFrame({header: ["01/03/2024"], "Catégorie": ["Tags"], "N°": ["1"]})
    match = match_columns(frame, SIGNALEMENTS)
    assert {"date_signalement", "categorie"} <= set(match.frame.columns)


def test_normalise_name_keeps_small_words_unless_asked() -> None:
    assert normalise_name("Aire de jeux") == "aire_de_jeux"
    assert normalise_name("Aire de jeux", drop_small_words=True) == "aire_jeux"
    assert normalise_name("N° (fiche)") == "n_fiche"


def _excel_french_headers(path: Path) -> Path:
    pd.DataFrame(
        {
            "Numéro": ["S-1", "S-2", "S-3"],
            "Date du signalement": [dt.datetime(2024, 3, d) for d in (1, 2, 3)],
            "Catégorie": ["Tags", "Voirie", "Éclairage"],
            "Longitude": [0.6905, 0.6910, 0.6899],
            "Latitude": [47.3848, 47.3851, 47.3843],
        }
    ).to_excel(path, index=False, sheet_name="Export")
    return path


def test_excel_with_french_headers_loads_whole(tmp_path: Path, capsys) -> None:
    path = _excel_french_headers(tmp_path / "export.xlsx")
    frame = read_layer(path, "signalements")
    report = frame.attrs["rapport"]
    assert report.rows_read == 3 == report.rows_kept + report.rows_rejected
    assert list(frame["id"]) == ["S-1", "S-2", "S-3"]
    assert "Date du signalement → date_signalement" in report.to_text()
    assert main(["validate", str(path), "--layer", "signalements"]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1].startswith("OK")


def _dansmarue_api(path: Path) -> Path:
    """The open-data API's field names; ``numero`` repeats, ``id_dmr`` does not."""
    lines = ["numero;id_dmr;type;soustype;datedecl;intervenant;geo_point_2d"]
    for i in range(8):
        numero = f"2024-{i // 2:03d}"  # the same numero for two reports
        lines.append(f'{numero};{9000 + i};Propreté;Dépôt;2024-03-0{i + 1};DPE;"48.88{i}, 2.33{i}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_unique_identifier_column_wins_and_is_said(tmp_path: Path) -> None:
    frame = read_layer(_dansmarue_api(tmp_path / "dansmarue.csv"), "signalements")
    report = frame.attrs["rapport"]
    assert report.rows_read == 8 == report.rows_kept
    assert report.rows_rejected == 0  # no report lost as a "duplicate"
    assert list(frame["id"]) == [str(9000 + i) for i in range(8)]
    assert "numero" not in frame.columns  # DansMaRue's numero is not an identifier


def test_the_unique_candidate_wins_in_any_export(tmp_path: Path) -> None:
    path = tmp_path / "signalements_ville.csv"
    rows = ["numero;id_signalement;date_signalement;categorie;longitude;latitude"]
    rows += [f"{i % 4};S-{i};0{i + 1}/03/2024;tags;0.69{i};47.39{i}" for i in range(8)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    frame = read_layer(path, "signalements")
    report = frame.attrs["rapport"]
    assert report.rows_read == 8 == report.rows_kept
    assert list(frame["id"]) == [f"S-{i}" for i in range(8)]
    text = report.to_text()
    assert "« id_signalement » retenue (ses valeurs sont uniques)" in text
    assert "« numero » (4 valeur(s) en double)" in text


def test_no_identifier_column_ids_from_line_numbers(tmp_path: Path) -> None:
    frame = read_layer(APPORTER / "signalements_mairie.csv", "signalements")
    report = frame.attrs["rapport"]
    assert report.rows_read == 12 == report.rows_kept + report.rows_rejected
    assert list(frame["id"][:3]) == ["ligne-2", "ligne-3", "ligne-4"]
    assert "identifiants fabriqués à partir des numéros de ligne" in report.to_text()


def test_quartiers_without_a_code_column_never_get_made_up_codes(tmp_path: Path) -> None:
    """Line numbers do as signalement identifiers, never as QPV codes: every other layer
    joins on code_qp."""
    path = tmp_path / "quartiers.geojson"
    gpd.GeoDataFrame(
        {"IDENT_QP": ["QN03701M"], "nom_qp": ["Sanitas"]},
        geometry=[box(525_000, 6_702_000, 525_100, 6_702_100)],
        crs="EPSG:2154",
    ).to_file(path)
    report = read_layer(path, "quartiers").attrs["rapport"]
    assert report.fatal and report.rows_read == report.rows_rejected == 1
    assert "identifiants fabriqués" not in report.to_text()
    assert report.verdict().endswith("ajoutez : --colonne code_qp=IDENT_QP.")


def test_missing_column_names_the_closest_and_the_option_to_add(tmp_path: Path, capsys) -> None:
    path = tmp_path / "signalements.csv"
    path.write_text(
        "Date d'ouverture;Type de demande;x;y\n"
        "01/03/2024;Tags;525100;6702050\n"
        "02/03/2024;Voirie;525150;6702060\n",
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "colonne obligatoire « date_signalement » absente" in out
    assert "colonnes les plus proches (d'après leurs valeurs) : Date d'ouverture" in out
    assert '--colonne date_signalement="Date d\'ouverture"' in out
    assert "lignes lues 2 = conservées 0 + rejetées 2" in out
    assert out.rstrip().splitlines()[-1].startswith("ERREUR")
    assert "aucune erreur bloquante" not in out

    # The line the message gave, added: everything kept, exit 0.
    code = main(
        [
            "validate",
            str(path),
            "--colonne",
            "date_signalement=Date d'ouverture",
            "--colonne",
            "categorie=Type de demande",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "lignes lues 2 = conservées 2 + rejetées 0" in out
    assert out.rstrip().splitlines()[-1].startswith("OK : aucune erreur bloquante")


def test_read_layer_columns_and_load_territory_columns_agree() -> None:
    mapping = {"date_signalement": "Jour", "categorie": "Nature"}
    csv = APPORTER / "signalements_mairie.csv"
    one = read_layer(csv, "signalements", columns=mapping)
    both = load_territory(csv, columns={"signalements": mapping})["signalements"]
    pd.testing.assert_frame_equal(one.drop(columns="geometry"), both.drop(columns="geometry"))


def test_mapping_to_an_absent_column_is_an_error_with_the_closest() -> None:
    csv = APPORTER / "signalements_mairie.csv"
    with pytest.raises(SchemaError, match="colonnes les plus proches : Jour ;"):
        read_layer(csv, "signalements", columns={"date_signalement": "Jours"})


def test_manifest_column_absent_from_its_file_is_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    csv = folder / "signalements_mairie.csv"
    csv.write_bytes((APPORTER / "signalements_mairie.csv").read_bytes())
    (folder / "gupgeo.toml").write_text(
        '[fichiers."signalements_mairie.csv".colonnes]\ndate_signalement = "Jours"\n',
        encoding="utf-8",
    )
    report = load_territory(folder).report
    assert report.fatal and report.rows_read == report.rows_rejected == 12
    text = report.to_text()
    assert "colonne « Jours » (pour « date_signalement ») absente du fichier" in text
    assert "colonnes les plus proches : Jour" in text


def test_mapping_for_any_layer_used_by_no_file_is_an_error(capsys) -> None:
    csv = APPORTER / "signalements_mairie.csv"
    with pytest.raises(SchemaError, match="colonne « Quand » absente de tous les fichiers"):
        load_territory(csv, columns={"*": {"date_signalement": "Quand"}})
    assert main(["validate", str(csv), "--colonne", "date_signalement=Quand"]) == 2
    assert "colonne « Quand » absente" in capsys.readouterr().err


def test_column_option_syntax() -> None:
    assert parse_column_option("categorie=Nature") == (None, "categorie", "Nature")
    assert parse_column_option('constats.date="Date"') == ("constats", "date", "Date")
    with pytest.raises(SchemaError, match="attendu CIBLE=SOURCE"):
        parse_column_option("categorie")


# --------------------------------------------------------------------------- coordinates
# Coordinate columns with names nobody could guess, mapped with x/y, lon/lat, geo_point_2d.


def _mairie_lambert93(path: Path) -> Path:
    """A city's export: Windows-1252, ``;``, decimal commas, Lambert-93 in columns whose
    names say nothing gupgeo knows (« Abscisse L93 », « Ordonnée L93 »)."""
    path.write_bytes(
        (
            "N° fiche;Date de la demande;Nature du problème;Abscisse L93;Ordonnée L93;Observations\n"
            "F-101;04/03/2024;Dépôt sauvage;525412,37;6701188,05;Près de l'école\n"
            "F-102;05/03/2024;Éclairage;525530,10;6701240,90;\n"
            "F-103;05/03/2024;Tags;525498,00;6701101,45;Façade\n"
            "F-104;06/03/2024;Voirie;;6701150,00;coordonnée X oubliée\n"
        ).encode("cp1252")
    )
    return path


_MAIRIE_COLUMNS = {
    "id": "N° fiche",
    "date_signalement": "Date de la demande",
    "categorie": "Nature du problème",
}


def test_lambert93_columns_mapped_as_x_y(tmp_path: Path) -> None:
    path = _mairie_lambert93(tmp_path / "export_mairie.csv")
    s = read_layer(
        path, "signalements", columns={**_MAIRIE_COLUMNS, "x": "Abscisse L93", "y": "Ordonnée L93"}
    )
    layer = s.attrs["rapport"].layers[0]
    assert (layer.rows_read, layer.rows_kept, layer.rows_rejected) == (4, 3, 1)
    assert s["id"].tolist() == ["F-101", "F-102", "F-103"]
    assert s.geometry.x.tolist() == [525412.37, 525530.10, 525498.00]
    assert s.geometry.y.tolist() == [6701188.05, 6701240.90, 6701101.45]
    assert "Abscisse L93" not in s.columns and "Ordonnée L93" not in s.columns
    assert layer.crs_source.startswith("non déclaré ; EPSG:2154 retenu")
    assert "coordonnées : colonnes « Abscisse L93 » (x) / « Ordonnée L93 » (y)" in layer.to_text()
    assert layer.columns_mapped["x"] == "Abscisse L93"
    assert layer.columns_mapped["y"] == "Ordonnée L93"
    rejects = s.attrs["rapport"].rejects["signalements"]
    assert rejects["ligne"].tolist() == ["ligne 5"]
    assert rejects["motif"].tolist() == [
        "coordonnées manquantes (Abscisse L93 / Ordonnée L93 vides)"
    ]


def test_lambert93_columns_mapped_on_the_command_line(tmp_path: Path, capsys) -> None:
    path = _mairie_lambert93(tmp_path / "export_mairie.csv")
    options = [f"--colonne={t}={s}" for t, s in _MAIRIE_COLUMNS.items()]
    argv = ["validate", str(path), "--layer", "signalements", *options, "--max-rejets", "30"]
    assert main([*argv, "--colonne", "x=Abscisse L93", "--colonne", "y=Ordonnée L93"]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1].startswith("OK")


def _excel_wgs84_unusual_names(path: Path) -> Path:
    """An office export: a title row, French headers, degrees in LONG_WGS84/LAT_WGS84, one
    longitude typed as text with a decimal comma."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Signalements"
    sheet.append(["Export des signalements — Ville de Joué-lès-Tours, mars 2024"])
    sheet.append(["Identifiant", "Date du signalement", "Catégorie", "LONG_WGS84", "LAT_WGS84"])
    sheet.append(["J-1", dt.datetime(2024, 3, 4), "Tags", 0.6612, 47.3521])
    sheet.append(["J-2", dt.datetime(2024, 3, 5), "Propreté", "0,6625", 47.3530])
    sheet.append(["J-3", dt.datetime(2024, 3, 6), "Voirie", 0.6598, 47.3517])
    book.save(path)
    return path


def test_unknown_coordinate_names_say_how_to_map_them(tmp_path: Path) -> None:
    path = _excel_wgs84_unusual_names(tmp_path / "export.xlsx")
    report = read_layer(path, "signalements").attrs["rapport"]
    assert report.fatal and report.rows_read == report.rows_rejected == 3
    assert "ajoutez : --colonne x=LONG_WGS84 --colonne y=LAT_WGS84" in report.to_text()


@pytest.mark.parametrize(("lon", "lat"), [("lon", "lat"), ("longitude", "latitude")])
def test_wgs84_columns_mapped_as_lon_lat(tmp_path: Path, lon: str, lat: str) -> None:
    path = _excel_wgs84_unusual_names(tmp_path / "export.xlsx")
    s = read_layer(path, "signalements", columns={lon: "LONG_WGS84", lat: "LAT_WGS84"})
    layer = s.attrs["rapport"].layers[0]
    assert (layer.rows_read, layer.rows_kept, layer.rows_rejected) == (3, 3, 0)
    assert layer.crs_source.startswith("WGS84 (EPSG:4326) : colonnes « LONG_WGS84 »")
    assert s.crs.to_epsg() == 2154
    # Joué-lès-Tours, in Lambert-93 (pyproj, EPSG:4326 -> EPSG:2154).
    assert s.geometry.x.round(1).tolist() == [523467.0, 523568.1, 523360.0]
    assert s.geometry.y.round(1).tolist() == [6697255.4, 6697352.4, 6697214.1]


def test_combined_point_column_mapped_as_geo_point_2d(tmp_path: Path) -> None:
    path = tmp_path / "signalements_portail.csv"
    path.write_text(
        "Référence,Date,Type,Localisation\n"
        'P-1,2024-03-04,Tags,"47.3912, 0.6871"\n'
        'P-2,2024-03-05,Propreté,"47.3920, 0.6880"\n'
        "P-3,2024-03-06,Voirie,inconnue\n",
        encoding="utf-8-sig",
    )
    s = read_layer(
        path, "signalements", columns={"id": "Référence", "geo_point_2d": "Localisation"}
    )
    layer = s.attrs["rapport"].layers[0]
    assert (layer.rows_read, layer.rows_kept, layer.rows_rejected) == (3, 2, 1)
    assert layer.crs_source.startswith("WGS84 (EPSG:4326) : colonne « Localisation »")
    assert "Localisation illisible : 'inconnue'" in layer.to_text()


def test_absent_coordinate_column_names_file_source_and_columns(tmp_path: Path, capsys) -> None:
    path = _mairie_lambert93(tmp_path / "export_mairie.csv")
    with pytest.raises(SchemaError) as caught:
        read_layer(path, "signalements", columns={"x": "Longitude", "y": "Ordonnée L93"})
    message = str(caught.value)
    assert "colonne « Longitude » absente" in message
    assert "export_mairie.csv" in message
    assert "Abscisse L93, Date de la demande" in message
    argv = ["validate", str(path), "--layer", "signalements", "--colonne", "x=Longitude"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "colonne « Longitude » absente" in err and "export_mairie.csv" in err


def test_two_columns_for_one_coordinate_is_fatal(tmp_path: Path) -> None:
    path = _mairie_lambert93(tmp_path / "export_mairie.csv")
    report = read_layer(
        path,
        "signalements",
        columns={"x": "Abscisse L93", "lon": "Ordonnée L93", "y": "Ordonnée L93"},
    ).attrs["rapport"]
    assert report.fatal and report.rows_read == report.rows_rejected == 4
    assert "« x » et « lon » désignent la même coordonnée (x)" in report.to_text()


def test_one_coordinate_without_its_partner_is_fatal_with_the_fix(tmp_path: Path) -> None:
    path = _mairie_lambert93(tmp_path / "export_mairie.csv")
    columns = {**_MAIRIE_COLUMNS, "x": "Abscisse L93"}
    report = read_layer(path, "signalements", columns=columns).attrs["rapport"]
    assert report.fatal and report.rows_read == report.rows_rejected == 4
    assert "coordonnée y non indiquée" in report.to_text()
    assert 'ajoutez : --colonne y="NOM DE LA COLONNE"' in report.to_text()


def test_one_coordinate_takes_its_partner_by_name(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "id;date_signalement;categorie;X_EPSG2154;y\nA;04/03/2024;Tags;525412,5;6701188\n",
        encoding="utf-8",
    )
    s = read_layer(path, "signalements", columns={"x": "X_EPSG2154"})
    assert s.geometry.x.tolist() == [525412.5] and s.geometry.y.tolist() == [6701188.0]
    assert "« y » prise comme coordonnée y (nom reconnu)" in s.attrs["rapport"].to_text()


def test_coordinate_mapping_in_the_manifest_and_proposed_back(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    _mairie_lambert93(folder / "export_mairie.csv")
    manifest = folder / "gupgeo.toml"
    layer_only = '[fichiers."export_mairie.csv"]\ncouche = "signalements"\n'
    manifest.write_text(
        layer_only + '\n[fichiers."export_mairie.csv".colonnes]\n'
        'id = "N° fiche"\ndate_signalement = "Date de la demande"\n'
        'categorie = "Nature du problème"\nx = "Abscisse L93"\ny = "Ordonnée L93"\n',
        encoding="utf-8",
    )
    t = load_territory(folder)
    assert len(t["signalements"]) == 3 and t.report.rows_read == 4
    assert t["signalements"].geometry.x.iloc[0] == 525412.37
    manifest.write_text(layer_only, encoding="utf-8")
    options = [f"--colonne={t}={s}" for t, s in _MAIRIE_COLUMNS.items()]
    options += ["--colonne", "x=Abscisse L93", "--colonne", "y=Ordonnée L93"]
    code = main(["validate", str(folder), *options, "--proposer-manifeste", "--max-rejets", "30"])
    assert code == 0
    assert 'x = "Abscisse L93"\ny = "Ordonnée L93"' in capsys.readouterr().out


def test_manifest_coordinate_column_absent_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    _mairie_lambert93(folder / "signalements_mairie.csv")
    (folder / "gupgeo.toml").write_text(
        '[fichiers."signalements_mairie.csv".colonnes]\nx = "X"\ny = "Ordonnée L93"\n',
        encoding="utf-8",
    )
    report = load_territory(folder).report
    assert report.fatal and report.rows_read == report.rows_rejected == 4
    text = report.to_text()
    assert "colonne « X » (pour « x ») absente du fichier" in text
    assert "signalements_mairie.csv" in text.split("absente du fichier")[1].splitlines()[0]


def test_coordinate_mapping_on_a_file_with_geometries_is_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    frame = pd.DataFrame(
        {"id": ["A"], "date_signalement": ["2024-03-04"], "categorie": ["Tags"], "X_C": [5.0e5]}
    )
    points = gpd.points_from_xy([525000.0], [6701000.0])
    gpd.GeoDataFrame(frame, geometry=points, crs=2154).to_file(folder / "signalements.geojson")
    (folder / "gupgeo.toml").write_text(
        '[fichiers."signalements.geojson".colonnes]\nx = "X_C"\n', encoding="utf-8"
    )
    report = load_territory(folder).report
    assert report.fatal and report.rows_read == report.rows_rejected == 1
    assert "le fichier a déjà des géométries (GeoJSON)" in report.to_text()
