"""Validation: every row kept (maybe repaired) or rejected with its reason; counts balance."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from gupgeo import load_territory, read_layer
from gupgeo.readers import read_source
from gupgeo.schemas import SCHEMAS
from gupgeo.validation.layer import validate_raw

from .conftest import X0, Y0


def _write_csv(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(rows) + "\n", encoding=encoding)
    return path


def test_bad_dates_rejected_with_row_and_value(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "signalements.csv",
        [
            "id;date_signalement;categorie;longitude;latitude",
            "1;2024-03-05;tags;0,693;47,386",
            "2;05/03/2024;tags;0,693;47,386",
            "3;45357;tags;0,693;47,386",
            "4;31/02/2024;tags;0,693;47,386",
            "5;hier;tags;0,693;47,386",
            "6;;tags;0,693;47,386",
        ],
    )
    s = read_layer(path)
    report = s.attrs["rapport"].layer("signalements")
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (6, 3, 3)
    messages = {i.row: i.message for i in report.issues_of("rejet")}
    assert messages["ligne 5"].startswith("date_signalement illisible : '31/02/2024'")
    assert "AAAA-MM-JJ, JJ/MM/AAAA ou numéro de série Excel" in messages["ligne 5"]
    assert "'hier'" in messages["ligne 6"]
    assert messages["ligne 7"] == "date_signalement vide (valeur obligatoire)"
    rejects = s.attrs["rapport"].rejects["signalements"]
    assert rejects["ligne"].tolist() == ["ligne 5", "ligne 6", "ligne 7"]
    assert rejects["date_signalement"].tolist()[:2] == ["31/02/2024", "hier"]


def test_optional_bad_date_is_kept_and_warned(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "signalements.csv",
        [
            "id;date_signalement;categorie;date_cloture;longitude;latitude",
            "1;2024-03-05;tags;demain;0,693;47,386",
        ],
    )
    s = read_layer(path)
    report = s.attrs["rapport"].layer("signalements")
    assert report.rows_kept == 1
    [warning] = [i for i in report.issues_of("avertissement") if i.column == "date_cloture"]
    assert "'demain'" in warning.message and "ligne conservée" in warning.message
    assert pd.isna(s["date_cloture"].iloc[0])


def test_duplicate_ids_keep_first_and_name_it(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "signalements.csv",
        [
            "id;date_signalement;categorie;longitude;latitude",
            "A;2024-03-05;tags;0,693;47,386",
            "B;2024-03-05;tags;0,693;47,386",
            "A;2024-03-06;tags;0,694;47,387",
        ],
    )
    s = read_layer(path)
    assert s["id"].tolist() == ["A", "B"]
    [issue] = s.attrs["rapport"].layer("signalements").issues_of("rejet")
    assert issue.row == "ligne 4"
    assert issue.message == "identifiant « A » en double (déjà présent ligne 2)"


@pytest.mark.parametrize("prefetch_rows", [2, 100_000])
def test_identifiers_differing_by_spaces_are_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefetch_rows: int
) -> None:
    """Large files check identifiers on another core: as kept, surrounding spaces removed."""
    from gupgeo.validation import _rows

    monkeypatch.setattr(_rows, "PREFETCH_ROWS", prefetch_rows)
    path = _write_csv(
        tmp_path / "signalements.csv",
        [
            "id;date_signalement;categorie;longitude;latitude",
            "A;2024-03-05;tags;0,693;47,386",
            "B;2024-03-05;tags;0,693;47,386",
            "A ;2024-03-06;tags;0,694;47,387",
        ],
    )
    s = read_layer(path, max_rejects_pct=50)
    report = s.attrs["rapport"]
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (3, 2, 1)
    assert s["id"].tolist() == ["A", "B"]
    [issue] = report.layer("signalements").issues_of("rejet")
    assert issue.message == "identifiant « A » en double (déjà présent ligne 2)"


def test_swapped_lat_lon_detected_and_corrected(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "signalements.csv",
        [
            "id,date_signalement,categorie,lon,lat",
            "1,2024-03-05,tags,0.693,47.386",
            "2,2024-03-05,tags,47.386,0.693",
        ],
    )
    s = read_layer(path)
    report = s.attrs["rapport"].layer("signalements")
    assert report.rows_kept == 2 and report.rows_repaired == 1
    [fix] = report.issues_of("réparation")
    assert fix.row == "ligne 3" and "inversées" in fix.message
    np.testing.assert_allclose(s.geometry.x.iloc[0], s.geometry.x.iloc[1])


def test_missing_crs_lambert93_is_decided_and_said(tmp_path: Path, squares) -> None:
    path = tmp_path / "quartiers.shp"
    squares.to_file(path)
    path.with_suffix(".prj").unlink()
    q = read_layer(path)
    report = q.attrs["rapport"].layer("quartiers")
    assert "EPSG:2154 retenu" in report.crs_source
    assert q.crs.to_epsg() == 2154
    assert any(i.kind == "CRS déduit" for i in report.issues)


def test_missing_crs_undecidable_is_fatal_and_all_rows_accounted(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "signalements.csv",
        ["id;date_signalement;categorie;x;y", "1;2024-03-05;tags;5000000;5000000"],
    )
    report = load_territory(path).report
    layer = report.layer("signalements")
    assert report.fatal
    assert layer.rows_read == 1 and layer.rows_rejected == 1 and layer.rows_kept == 0
    assert (
        "ni des longitudes/latitudes WGS84 ni du Lambert-93" in layer.issues_of("fatal")[0].message
    )


def test_self_intersecting_polygon_repaired_not_dropped(tmp_path: Path) -> None:
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100), (X0, Y0)])
    gdf = gpd.GeoDataFrame(
        {"code_qp": ["LOC-X", "LOC-Y"], "nom_qp": ["Nœud", "Carré"]},
        geometry=[bowtie, box(X0 + 300, Y0, X0 + 400, Y0 + 100)],
        crs="EPSG:2154",
    )
    path = tmp_path / "quartiers.geojson"
    gdf.to_file(path)
    q = read_layer(path)
    report = q.attrs["rapport"].layer("quartiers")
    assert report.rows_kept == 2 and report.rows_repaired == 1
    assert q.geometry.is_valid.all()
    assert q.geometry.iloc[0].area == pytest.approx(5_000.0)
    (repair,) = report.issues_of("réparation")
    assert (
        "géométrie invalide réparée (make_valid) : auto-intersection au point (" in repair.message
    )
    [fix] = report.issues_of("réparation")
    assert fix.row == "entité 1" and "auto-intersection au point (" in fix.message


def test_missing_required_column_is_fatal_with_accepted_names(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "signalements.csv",
        ["id;quand;categorie;longitude;latitude", "1;2024-03-05;tags;0,693;47,386"],
    )
    report = load_territory(path).report
    layer = report.layer("signalements")
    [fatal] = layer.issues_of("fatal")
    assert "colonne obligatoire « date_signalement » absente" in fatal.message
    assert "quand" in fatal.message and "DATE DECLARATION" in fatal.message
    assert layer.balanced and layer.rows_rejected == 1


def test_wrong_geometry_kind_rejected(tmp_path: Path, squares) -> None:
    path = tmp_path / "equipements.geojson"
    e = squares.rename(columns={"code_qp": "id", "nom_qp": "nom"}).assign(type="école")
    e.to_file(path)
    report = load_territory(path).report.layer("equipements")
    assert report.rows_rejected == 2
    assert "géométrie de type polygone ; attendu : point" in report.issues_of("rejet")[0].message


def test_unreadable_coordinates_rejected(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "signalements.csv",
        [
            "id;date_signalement;categorie;longitude;latitude",
            "1;2024-03-05;tags;0,693;47,386",
            "2;2024-03-05;tags;0,69x;47,386",
            "3;2024-03-05;tags;;",
        ],
    )
    report = load_territory(path).report.layer("signalements")
    msgs = {i.row: i.message for i in report.issues_of("rejet")}
    assert msgs["ligne 3"] == "longitude illisible : '0,69x' (attendu un nombre)"
    assert msgs["ligne 4"].startswith("coordonnées manquantes")
    assert report.rows_kept == 1


def test_far_points_flagged_and_kept(tmp_path: Path, squares) -> None:
    squares.to_file(tmp_path / "quartiers.geojson")
    _write_csv(
        tmp_path / "signalements.csv",
        [
            "id;date_signalement;categorie;x;y",
            f"1;2024-03-05;tags;{X0 + 50};{Y0 + 50}",
            f"2;2024-03-05;tags;{X0 + 60_000};{Y0}",
        ],
    )
    t = load_territory(tmp_path)
    assert len(t["signalements"]) == 2
    [far] = [i for i in t.report.layer("signalements").issues if i.kind == "loin du territoire"]
    assert far.row == "ligne 3" and "à 59,8 km du quartier le plus proche" in far.message


def test_statuses_mapped_raw_kept_unknown_reported(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "signalements.csv",
        [
            "id;date_signalement;categorie;statut;longitude;latitude",
            "1;2024-03-05;tags;Clôturé;0,693;47,386",
            "2;2024-03-05;tags;Hors compétence;0,693;47,386",
            "3;2024-03-05;tags;Bof;0,693;47,386",
        ],
    )
    s = read_layer(path)
    assert s["statut"].tolist()[:2] == ["résolu", "clos autre"]
    assert pd.isna(s["statut"].iloc[2])
    assert s["statut_brut"].tolist() == ["Clôturé", "Hors compétence", "Bof"]
    warnings = s.attrs["rapport"].layer("signalements").issues_of("avertissement")
    assert any("statut inconnu « Bof »" in w.message for w in warnings)


def test_counts_in_equal_counts_out_on_mixed_problems(tmp_path: Path) -> None:
    raw = read_source(
        _write_csv(
            tmp_path / "signalements.csv",
            [
                "id;date_signalement;categorie;longitude;latitude",
                "1;2024-03-05;tags;0,693;47,386",
                "1;2024-03-05;tags;0,693;47,386",
                "2;pas une date;;0,693;47,386",
                "3;2024-03-05;tags;abc;47,386",
                "4;2024-03-05;tags;47,386;0,693",
            ],
        )
    )[0]
    result = validate_raw(raw, SCHEMAS["signalements"])
    r = result.report
    assert r.rows_read == 5 == r.rows_kept + r.rows_rejected
    assert (r.rows_kept, r.rows_rejected, r.rows_repaired) == (2, 3, 1)
    # One row with two problems gets both reasons, in one rejects line.
    both = result.rejects.loc[result.rejects["ligne"] == "ligne 4", "motif"].item()
    assert "date_signalement illisible" in both and "categorie vide" in both


def test_report_text_is_french_and_balanced(tmp_path: Path, squares) -> None:
    squares.to_file(tmp_path / "quartiers.geojson")
    text = load_territory(tmp_path).report.to_text()
    assert "lignes lues 2 = conservées 2 + rejetées 0" in text
    assert "décompte exact" in text and "aucune erreur bloquante" in text


@pytest.mark.parametrize(
    "name",
    [
        "signalements_dates_invalides.csv",
        "signalements_doublons.csv",
        "signalements_windows1252.csv",
    ],
)
def test_large_file_path_gives_the_same_result(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files from 100,000 rows check identifiers on another core first: same outcome."""
    import sys

    from .conftest import SAMPLE

    rows_module = sys.modules["gupgeo.validation._rows"]
    path = SAMPLE / "dirty" / name
    small = read_layer(path)
    monkeypatch.setattr(rows_module, "PREFETCH_ROWS", 0)
    large = read_layer(path)
    assert large.drop(columns="geometry").equals(small.drop(columns="geometry"))
    assert large.geometry.equals(small.geometry)
    r_small, r_large = small.attrs["rapport"].layers[0], large.attrs["rapport"].layers[0]
    assert [i.message for i in r_large.issues] == [i.message for i in r_small.issues]
    assert (r_large.rows_kept, r_large.rows_rejected) == (r_small.rows_kept, r_small.rows_rejected)


def test_impossible_wgs84_coordinates_rejected(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "signalements.csv",
        [
            "id;date_signalement;categorie;longitude;latitude",
            "1;2024-03-05;tags;0,693;47,386",
            "2;2024-03-05;tags;0,693;95",
            "3;2024-03-05;tags;400;47,386",
        ],
    )
    report = load_territory(path).report.layer("signalements")
    assert (report.rows_kept, report.rows_rejected) == (1, 2)
    msgs = {i.row: i.message for i in report.issues_of("rejet")}
    assert msgs["ligne 3"].startswith(
        "coordonnées impossibles en WGS84 (longitude 0.693, latitude 95)"
    )
    assert "longitude 400" in msgs["ligne 4"]


def test_blank_lines_and_quoted_line_breaks_keep_true_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "signalements.csv"
    path.write_text(
        "id;date_signalement;categorie;description;longitude;latitude\n"
        '1;2024-03-05;tags;"sur deux\nlignes";0,693;47,386\n'
        "\n"
        "2;hier;tags;ok;0,693;47,386\n",
        encoding="utf-8",
    )
    s = read_layer(path)
    [issue] = s.attrs["rapport"].layer("signalements").issues_of("rejet")
    assert issue.row == "ligne 5" and "'hier'" in issue.message
    assert s["description"].iloc[0] == "sur deux\nlignes"


def test_rejects_table_keeps_the_files_own_columns(tmp_path: Path) -> None:
    """A 'source' or 'motif' column in the file does not clash with the rejects' own columns."""
    for name, rows in {
        "signalements_a.csv": [
            "id;date_signalement;categorie;source;longitude;latitude",
            "1;hier;tags;gardien;0,69;47,39",
        ],
        "signalements_b.csv": [
            "id;date_signalement;categorie;motif;longitude;latitude",
            "2;jamais;tags;x;0,69;47,39",
        ],
    }.items():
        _write_csv(tmp_path / name, rows)
    t = load_territory(tmp_path)
    rejects = t.report.rejects["signalements"]
    assert list(rejects.columns[:4]) == ["couche", "fichier", "ligne", "motif"]
    assert rejects["source"].tolist()[0] == "gardien"
    assert rejects["motif (fichier)"].tolist()[1] == "x"
    assert t.report.balanced


def test_duplicate_ids_across_files_rejected_with_both_places(tmp_path: Path) -> None:
    _write_csv(
        tmp_path / "signalements_2023.csv",
        ["id;date_signalement;categorie;longitude;latitude", "A;2023-03-05;tags;0,69;47,39"],
    )
    _write_csv(
        tmp_path / "signalements_2024.csv",
        [
            "id;date_signalement;categorie;longitude;latitude",
            "B;2024-03-05;tags;0,69;47,39",
            "A;2024-03-06;tags;0,69;47,39",
        ],
    )
    t = load_territory(tmp_path)
    assert t["signalements"]["id"].tolist() == ["A", "B"]
    r2024 = next(r for r in t.report.layers if r.source.endswith("2024.csv"))
    assert (r2024.rows_read, r2024.rows_kept, r2024.rows_rejected) == (2, 1, 1)
    [issue] = r2024.issues_of("rejet")
    assert issue.row == "ligne 3"
    assert issue.message.startswith("identifiant « A » déjà présent dans ")
    assert issue.message.endswith("signalements_2023.csv (ligne 2)")
    assert t.report.balanced and len(t.report.rejects["signalements"]) == 1


def test_same_file_named_twice_is_read_once(tmp_path: Path, squares) -> None:
    squares.to_file(tmp_path / "quartiers.geojson")
    t = load_territory(
        tmp_path,
        tmp_path / "quartiers.geojson",
        layers={"quartiers": tmp_path / "quartiers.geojson"},
    )
    assert len(t["quartiers"]) == 2 and len(t.report.layers) == 1
