"""Column mapping, header matching and identifiers (gupgeo.validation.columns).

Fixtures are written here in the shape real exports come in: an Excel export with
French headers, a DansMaRue open-data CSV with two identifier candidates, a city CSV
with no identifier and column names nobody knows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from gupgeo.cli import main
from gupgeo.errors import SchemaError
from gupgeo.schemas import SIGNALEMENTS, header_key, normalise_name
from gupgeo.territory import load_territory, read_layer
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
    assert "colonnes les plus proches : Date d'ouverture" in out
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
