"""The gupgeo.toml manifest: a monthly export configured once, re-read identically."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from gupgeo.cli import main
from gupgeo.errors import ManifestError
from gupgeo.manifest import MANIFEST_NAME, propose_manifest, read_manifest
from gupgeo.storage.loading import load_territory

from .conftest import SAMPLE

APPORTER = SAMPLE / "apporter"


def _folder(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "territoire"
    folder.mkdir()
    for name in names:
        shutil.copy(APPORTER / name, folder / name)
    return folder


def test_bundled_manifest_reads_every_file_whole() -> None:
    t = load_territory(APPORTER)
    assert t.report.ok
    # 22 signalements, 10 + 6 + 6 constats and the three walks (diagnostics) of the
    # GPX and KML files (issue 21)
    assert t.report.rows_read == 47 == t.report.rows_kept
    sig = t["signalements"]
    assert len(sig) == 22
    # The city's own status, mapped by the manifest; its raw value kept beside it.
    own = sig[sig["statut_brut"] == "En attente régie"]
    assert len(own) == 3 and set(own["statut"]) == {"programmé"}
    assert "statut inconnu" not in t.report.to_text()


def test_monthly_export_matched_by_pattern(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "gupgeo.toml")
    shutil.copy(APPORTER / "signalements_mairie.csv", folder / "signalements_mairie_2024-04.csv")
    t = load_territory(folder)
    assert t.report.ok and len(t["signalements"]) == 12
    assert "encodage : cp1252 (déclaré dans le manifeste)" in t.report.to_text()


def test_unknown_key_names_file_and_key(tmp_path: Path, capsys) -> None:
    folder = _folder(tmp_path, "signalements_mairie.csv")
    (folder / MANIFEST_NAME).write_text(
        '[fichiers."signalements_mairie.csv"]\ncouche = "signalements"\nencoding = "cp1252"\n',
        encoding="utf-8",
    )
    with pytest.raises(ManifestError, match=r'gupgeo.toml, \[fichiers."signalements_mairie.csv"\]'):
        read_manifest(folder / MANIFEST_NAME)
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "clé inconnue « encoding »" in err and "encodage" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('titre = "x"\n', "clé inconnue « titre »"),
        ('[fichiers."a.csv"]\ncouche = "signalement_s"\n', "couche inconnue"),
        ('[fichiers."a.csv".statuts]\n"Vu" = "vu"\n', "« Vu » = « vu » ; attendu l'un de"),
        ('[fichiers."a.csv".colonnes]\ndate_sig = "Jour"\n', "colonne cible inconnue « date_sig »"),
        ('[fichiers."a.csv"]\ncrs = "EPSG:99999"\n', "crs : « EPSG:99999 » inconnu"),
        ("[fichiers\n", "manifeste illisible"),
    ],
)
def test_manifest_errors_say_what_and_where(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / MANIFEST_NAME
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError, match=str(path)) as exc:
        read_manifest(path)
    assert expected in str(exc.value)


def test_proposed_manifest_rereads_the_file_identically(tmp_path: Path, capsys) -> None:
    folder = _folder(tmp_path, "signalements_mairie.csv")
    args = ["validate", str(folder), "--colonne", "date_signalement=Jour"]
    args += ["--colonne", "categorie=Nature", "--proposer-manifeste"]
    assert main(args) == 0
    out = capsys.readouterr().out
    proposal = out[: out.index("Rapport de validation")]
    assert '[fichiers."signalements_mairie.csv"]' in proposal
    assert 'couche = "signalements"' in proposal and 'encodage = "cp1252"' in proposal
    assert 'date_signalement = "Jour"' in proposal and 'statut = "État"' in proposal
    first = load_territory(
        folder, columns={"*": {"date_signalement": "Jour", "categorie": "Nature"}}
    )

    (folder / MANIFEST_NAME).write_text(proposal, encoding="utf-8")
    again = load_territory(folder)  # no option any more: the manifest says it all
    pd.testing.assert_frame_equal(
        again["signalements"].drop(columns="geometry"),
        first["signalements"].drop(columns="geometry"),
    )
    assert propose_manifest(again.report) == ""  # nothing left to guess
    assert main(["validate", str(folder), "--proposer-manifeste"]) == 0
    assert "rien à proposer" in capsys.readouterr().out


def test_manifest_crs_and_layer_for_a_file_whose_name_says_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "export_voirie.csv").write_text(
        "N° fiche;Créé le;Type;X;Y\nV-1;01/03/2024;Voirie;525100;6702050\n"
        "V-2;02/03/2024;Tags;525150;6702060\n",
        encoding="utf-8",
    )
    (folder / MANIFEST_NAME).write_text(
        '[fichiers."export_*.csv"]\ncouche = "signalements"\ncrs = "EPSG:2154"\n'
        '[fichiers."export_*.csv".colonnes]\nid = "N° fiche"\ndate_signalement = "Créé le"\n',
        encoding="utf-8",
    )
    t = load_territory(folder)
    report = t.report.layer("signalements")
    assert t.report.ok and report.rows_read == 2 == report.rows_kept
    assert report.crs_source == f"EPSG:2154 déclaré dans {MANIFEST_NAME}"
    assert "CRS déduit" not in t.report.to_text()
    assert list(t["signalements"]["id"]) == ["V-1", "V-2"]
    # What is still guessed (encoding, separator, "Type" read as categorie) is proposed.
    proposal = propose_manifest(t.report)
    assert "couche déduite" not in proposal and 'crs = "EPSG:2154"' in proposal
    assert 'categorie = "Type"' in proposal and 'encodage = "utf-8"' in proposal
