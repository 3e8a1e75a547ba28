"""The gupgeo command line, as a planner runs it: right files, wrong files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from gupgeo.cli import main

from .conftest import SAMPLE, X0, Y0, require_sample


def test_validate_sample_prints_french_report(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(require_sample())])
    out = capsys.readouterr().out
    assert code == 0
    assert "Rapport de validation gupgeo" in out
    assert "Couche « signalements »" in out
    assert "décompte exact" in out and "aucune erreur bloquante" in out


def test_validate_fatal_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "signalements.csv"
    bad.write_text("id;quand;categorie\n1;hier;tags\n", encoding="utf-8")
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "ERREUR BLOQUANTE" in out and "colonne obligatoire « date_signalement » absente" in out


def test_validate_missing_file_exits_2_with_message(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path / "absent.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "absent.gpkg" in err and "introuvable" in err


def test_validate_writes_rejects_and_geopackage(tmp_path: Path, capsys) -> None:
    dirty = SAMPLE / "dirty" / "signalements_doublons.csv"
    out_gpkg = tmp_path / "t.gpkg"
    code = main(
        [
            "validate",
            str(dirty),
            "--layer",
            "signalements",
            "--rejects-dir",
            str(tmp_path),
            "-o",
            str(out_gpkg),
            "--max-rejets",
            "10",  # 3 duplicates out of 43 rows: 7 %, above the default 5 %
        ]
    )
    assert code == 0
    assert (tmp_path / "rejets_signalements.csv").exists()
    assert out_gpkg.exists()
    assert "Rejets écrits" in capsys.readouterr().out


def test_info_summarises(capsys) -> None:
    assert main(["info", str(require_sample())]) == 0
    out = capsys.readouterr().out
    assert "Territoire gupgeo" in out and "10 quartier(s)" in out


def test_layer_option_needs_one_file(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", "a.csv", "b.csv", "--layer", "signalements"])
    assert exc.value.code == 2
    assert "--couche s'applique à un seul fichier" in capsys.readouterr().err


def test_dashboard_command_writes_exports(tmp_path: Path, capsys) -> None:
    out = tmp_path / "tdb"
    code = main(
        [
            "dashboard",
            str(require_sample()),
            "--period",
            "2024",
            "-o",
            str(out),
            "--sans-graphiques",
        ]
    )
    assert code == 0
    assert (out / "signalements.csv").exists()
    assert any(p.suffix == ".xlsx" for p in out.iterdir())
    out_text = capsys.readouterr().out
    assert "Tableau de bord 2024" in out_text
    # A shared dashboard (partenaires by default) describes the communicable constats: the
    # date of an ESSP finding (30/05/2024 in the sample) never shows.
    assert "Attention : constats du 17/03/2022 au 21/03/2024 — période partiellement" in out_text
    assert "30/05/2024" not in out_text


def test_dashboard_bad_period_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code = main(
        ["dashboard", str(require_sample()), "--period", "l'an dernier", "-o", str(tmp_path)]
    )
    assert code == 2
    assert "l'an dernier" in capsys.readouterr().err


def test_attribute_command_writes_layer_and_report(tmp_path: Path, capsys) -> None:
    out = tmp_path / "signalements_rattaches.gpkg"
    code = main(
        [
            "attribute",
            str(SAMPLE / "signalements.csv"),
            "--zones",
            str(SAMPLE / "quartiers.geojson"),
            "--tolerance-m",
            "15",
            "-o",
            str(out),
        ]
    )
    assert code == 0 and out.exists()
    text = capsys.readouterr().out
    assert "toutes les entités sont comptées une fois" in text
    assert "LOC-SANITAS" in text


def test_attribute_command_wrong_file_names_it(tmp_path: Path, capsys) -> None:
    code = main(
        [
            "attribute",
            str(SAMPLE / "README.md"),
            "--zones",
            str(SAMPLE / "quartiers.geojson"),
            "-o",
            str(tmp_path / "x.gpkg"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "README.md" in err and "non pris en charge" in err


def test_carte_command_writes_offline_map(tmp_path: Path, capsys) -> None:
    from .browser_support import require_assets

    require_assets()
    out = tmp_path / "carte.html"
    assert (
        main(["carte", str(require_sample()), "-o", str(out), "--publication", "partenaires"]) == 0
    )
    html = out.read_text(encoding="utf-8")
    assert "partenaires" in html
    assert "https://unpkg.com" not in html and "cdn.jsdelivr.net" not in html
    assert "Carte enregistrée" in capsys.readouterr().out


def test_review_command_unknown_operation_lists_known_ones(tmp_path: Path, capsys) -> None:
    code = main(
        ["review", "OP-99", "--territory", str(require_sample()), "-o", str(tmp_path / "r.html")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "OP-99" in err and "OP-01" in err


def test_review_command_writes_report(tmp_path: Path, capsys) -> None:
    from .browser_support import require_assets

    require_assets()
    out = tmp_path / "revue.html"
    assert main(["review", "OP-01", "--territory", str(require_sample()), "-o", str(out)]) == 0
    assert out.exists() and "Revue de « " in capsys.readouterr().out


def test_bad_parameters_exit_2_without_traceback(tmp_path: Path, capsys) -> None:
    code = main(
        [
            "review",
            "OP-03",
            "--territory",
            str(require_sample()),
            "--months",
            "0",
            "-o",
            str(tmp_path / "r.html"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("gupgeo : erreur : months") and "Traceback" not in err
    code = main(["validate", str(SAMPLE / "quartiers.geojson"), "-o", "/proc/inexistant/t.gpkg"])
    assert code == 2
    assert "inaccessible" in capsys.readouterr().err


def test_attribute_with_layer_option_and_rejects_said(tmp_path: Path, capsys) -> None:
    dirty = SAMPLE / "dirty" / "signalements_dates_invalides.csv"
    code = main(
        [
            "attribute",
            str(dirty),
            "--layer",
            "signalements",
            "--zones",
            str(SAMPLE / "quartiers.geojson"),
            "-o",
            str(tmp_path / "a.gpkg"),
            "--max-rejets",
            "10",  # 4 unreadable dates out of 40 rows: accepted explicitly
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "4 ligne(s) rejetée(s) à la lecture" in err and "gupgeo valider" in err


def test_dashboard_period_without_tfpb_rows(tmp_path: Path, capsys) -> None:
    """2021 is before every layer of the sample: asked only for it, the command refuses
    (its figures would all be n.c.) with a French message and writes nothing."""
    code = main(
        [
            "dashboard",
            str(require_sample()),
            "--period",
            "2021",
            "-o",
            str(tmp_path / "tb"),
            "--sans-graphiques",
        ]
    )
    assert code == 1
    assert not (tmp_path / "tb").exists()
    out = capsys.readouterr().out
    assert "ERREUR : période 2021 non couverte par les données (signalements du 01/01/2022" in out
    assert "rien n'a été écrit" in out


def test_dashboard_period_partly_covered_says_so(tmp_path: Path, capsys) -> None:
    code = main(
        [
            "dashboard",
            str(require_sample()),
            "--period",
            "2024-07/2025-06-30",
            "-o",
            str(tmp_path),
            "--sans-graphiques",
        ]
    )
    assert code == 0
    assert (tmp_path / "signalements.csv").exists()
    out = capsys.readouterr().out
    assert "période partiellement couverte : chiffres partiels" in out


def test_usage_errors_are_in_french(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["carte", str(SAMPLE), "-o", "x.html", "--publication", "tous"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "erreur : option --publication: choix invalide: 'tous'" in err


@pytest.mark.parametrize("command", [[], ["validate"], ["carte"], ["atlas"], ["dashboard"]])
def test_help_is_french(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("utilisation : gupgeo")
    for english in (
        "usage:",
        "positional arguments",
        "show this help",
        "options:\n  -h, --help  show",
    ):
        assert english not in out
    assert "afficher cette aide et quitter" in out


def test_rate_legend_names_its_classes_in_french():
    from gupgeo.maps._vector import scheme_label

    assert scheme_label("FisherJenks") == "seuils naturels (Fisher-Jenks)"
    assert scheme_label("Quantiles") == "quantiles (effectifs égaux)"


def test_dashboard_command_publishes_before_exporting(tmp_path, capsys):
    import pandas as pd

    folder = tmp_path / "territoire"
    import shutil

    shutil.copytree(require_sample(), folder, ignore=shutil.ignore_patterns("dirty", "apporter"))
    sig = pd.read_csv(folder / "signalements.csv", sep=None, engine="python", dtype=str)
    sig.loc[sig.index[:50], "categorie"] = "Plainte de Mme Zorglub 06 98 76 54 32"
    sep = ";" if ";" in (folder / "signalements.csv").read_text(encoding="utf-8-sig")[:500] else ","
    sig.to_csv(folder / "signalements.csv", sep=sep, index=False)
    out = tmp_path / "tdb"
    code = main(["dashboard", str(folder), "--period", "2024", "-o", str(out), "--sans-graphiques"])
    assert code in (0, 1), capsys.readouterr().err
    assert "diffusion « partenaires »" in capsys.readouterr().out
    texts = " ".join(p.read_bytes().decode("utf-8-sig", "replace") for p in out.rglob("*.csv"))
    assert "Zorglub" not in texts and "98 76 54 32" not in texts
    assert str(tmp_path) not in texts


# --------------------------------------------------------------------------- attribute, own names
# A landlord's zones and a city's points, each with column names of its own.


def _own_names(folder: Path) -> tuple[Path, Path]:
    """Zones as a landlord's GIS exports them (``IDENT_QP``, ``LIBELLE``) and points as a
    city's CSV (``;``, decimal commas, Lambert-93 in « Abscisse » / « Ordonnée »)."""
    zones = folder / "quartiers_bailleur.geojson"
    gpd.GeoDataFrame(
        {"IDENT_QP": ["QN03701M", "QN03702M"], "LIBELLE": ["Sanitas", "Rabière"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
        crs="EPSG:2154",
    ).to_file(zones)
    points = folder / "export_ville.csv"
    points.write_bytes(
        (
            "Réf;Jour;Nature;Abscisse;Ordonnée\n"
            f"V-1;04/03/2024;Tags;{X0 + 50:.0f},5;{Y0 + 50:.0f},25\n"
            f"V-2;05/03/2024;Propreté;{X0 + 150:.0f},5;{Y0 + 50:.0f},25\n"
            f"V-3;06/03/2024;Voirie;{X0 + 900:.0f},0;{Y0 + 50:.0f},0\n"
        ).encode("cp1252")
    )
    return points, zones


_POINT_OPTIONS = [
    "--layer",
    "signalements",
    "--colonne",
    "id=Réf",
    "--colonne",
    "date_signalement=Jour",
    "--colonne",
    "categorie=Nature",
    "--colonne",
    "x=Abscisse",
    "--colonne",
    "y=Ordonnée",
]


def test_attribute_maps_the_columns_of_both_files(tmp_path: Path, capsys) -> None:
    points, zones = _own_names(tmp_path)
    out = tmp_path / "rattaches.gpkg"
    code = main(
        [
            "attribute",
            str(points),
            *_POINT_OPTIONS,
            "--zones",
            str(zones),
            "--colonne-zones",
            "code_qp=IDENT_QP",
            "--colonne-zones",
            "nom_qp=LIBELLE",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    result = gpd.read_file(out)
    assert result["id"].tolist() == ["V-1", "V-2", "V-3"]
    assert result["code_qp"].iloc[:2].tolist() == ["QN03701M", "QN03702M"]
    assert result["code_qp"].isna().iloc[2]
    assert "toutes les entités sont comptées une fois" in capsys.readouterr().out


def test_attribute_zones_without_their_mapping_say_which_option(tmp_path: Path, capsys) -> None:
    points, zones = _own_names(tmp_path)
    out = tmp_path / "rattaches.gpkg"
    code = main(["attribute", str(points), *_POINT_OPTIONS, "--zones", str(zones), "-o", str(out)])
    assert code == 1 and not out.exists()
    captured = capsys.readouterr()
    last = captured.out.rstrip().splitlines()[-1]
    assert last.startswith("ERREUR") and "ajoutez : --colonne-zones code_qp=IDENT_QP" in last
    assert "colonne obligatoire « code_qp » absente" in captured.err
    assert "--colonne-zones code_qp=IDENT_QP" in captured.err


def test_attribute_zone_mapping_to_an_absent_column(tmp_path: Path, capsys) -> None:
    points, zones = _own_names(tmp_path)
    out = tmp_path / "rattaches.gpkg"
    code = main(
        [
            "attribute",
            str(points),
            *_POINT_OPTIONS,
            "--zones",
            str(zones),
            "--colonne-zones",
            "code_qp=CODE_QUARTIER",
            "-o",
            str(out),
        ]
    )
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "colonne « CODE_QUARTIER » absente" in err
    assert "quartiers_bailleur.geojson" in err and "IDENT_QP, LIBELLE" in err


def test_attribute_point_mapping_to_an_absent_column(tmp_path: Path, capsys) -> None:
    points, zones = _own_names(tmp_path)
    code = main(
        [
            "attribute",
            str(points),
            *_POINT_OPTIONS,
            "--colonne",
            "y=Latitude",
            "--zones",
            str(zones),
            "--colonne-zones",
            "code_qp=IDENT_QP",
            "--colonne-zones",
            "nom_qp=LIBELLE",
            "-o",
            str(tmp_path / "r.gpkg"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "colonne « Latitude » absente" in err and "export_ville.csv" in err


@pytest.mark.parametrize(
    ("layer_options", "expected"),
    [
        ([], "précisez la couche de ENTREE : --couche signalements"),
        (["--layer", "constats"], "ENTREE est lue comme couche « constats »"),
    ],
)
def test_attribute_layer_prefixed_mapping_never_silently_ignored(
    tmp_path: Path, capsys, layer_options: list[str], expected: str
) -> None:
    points, zones = _own_names(tmp_path)
    code = main(
        [
            "attribute",
            str(points),
            *layer_options,
            "--colonne",
            "signalements.categorie=Nature",
            "--zones",
            str(zones),
            "-o",
            str(tmp_path / "r.gpkg"),
        ]
    )
    assert code == 2
    assert expected in capsys.readouterr().err
