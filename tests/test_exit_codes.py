"""Exit codes that mean something: nothing that loses data ends with a success message.

Every command reading files exits 1, with a last line starting ``ERREUR``, when a layer
is unusable, when a layer rejects more than ``--max-rejets`` percent of its rows
(default 5), or when an output would be empty while its input was not — and then
writes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gupgeo.cli import main
from gupgeo.storage.loading import read_layer

from .conftest import SAMPLE


def _signalements(path: Path, *, rows: int, bad: int) -> Path:
    """A French CSV of ``rows`` reports near Tours, the first ``bad`` with unreadable dates."""
    lines = ["id;date_signalement;categorie;longitude;latitude"]
    for i in range(rows):
        date = "31/02/2024" if i < bad else f"{i % 28 + 1:02d}/03/2024"
        lines.append(f"S-{i};{date};Tags;0,6905;47,3848")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _last_line(out: str) -> str:
    return out.rstrip().splitlines()[-1]


def test_rejects_above_the_threshold_fail(tmp_path: Path, capsys) -> None:
    path = _signalements(tmp_path / "signalements.csv", rows=14, bad=4)  # 28.6 %
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "lignes lues 14 = conservées 10 + rejetées 4" in out
    assert "aucune erreur bloquante" not in out
    assert _last_line(out) == (
        f"ERREUR : couche « signalements » ({path}) : 4 ligne(s) rejetée(s) sur 14 "
        "(28,6\u00a0%), au-delà du seuil de 5\u00a0% (--max-rejets)."
    )
    assert main(["validate", str(path), "--max-rejets", "30"]) == 0
    assert _last_line(capsys.readouterr().out).startswith("OK : aucune erreur bloquante, 4 ligne")


def test_every_row_rejected_fails(tmp_path: Path, capsys) -> None:
    path = _signalements(tmp_path / "signalements.csv", rows=5, bad=5)
    assert main(["validate", str(path), "--max-rejets", "99"]) == 1
    out = capsys.readouterr().out
    assert "lignes lues 5 = conservées 0 + rejetées 5" in out
    assert _last_line(out).startswith("ERREUR")


def test_threshold_is_a_parameter_of_the_api(tmp_path: Path) -> None:
    path = _signalements(tmp_path / "signalements.csv", rows=20, bad=2)  # 10 %
    assert not read_layer(path).attrs["rapport"].ok
    report = read_layer(path, max_rejects_pct=10).attrs["rapport"]
    assert report.ok and report.rows_read == 20 == report.rows_kept + report.rows_rejected


def test_attribute_of_unreadable_points_fails_and_writes_nothing(tmp_path: Path, capsys) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "id;date_signalement;categorie;longitude;latitude\n"
        "S-1;01/03/2024;Tags;abc;def\n"
        "S-2;02/03/2024;Tags;;\n",
        encoding="utf-8",
    )
    out_gpkg = tmp_path / "out.gpkg"
    code = main(
        [
            "attribute",
            str(path),
            "--layer",
            "signalements",
            "--zones",
            str(SAMPLE / "quartiers.geojson"),
            "-o",
            str(out_gpkg),
            "--max-rejets",
            "100",  # even accepting every reject, an empty output is refused
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert not out_gpkg.exists()
    assert _last_line(out).startswith("ERREUR : aucune entité lisible dans")
    assert "comptées une fois" not in out


def test_attribute_with_column_mapping(tmp_path: Path, capsys) -> None:
    out_gpkg = tmp_path / "out.gpkg"
    code = main(
        [
            "attribute",
            str(SAMPLE / "apporter" / "export_signalements_2024.xlsx"),
            "--layer",
            "signalements",
            "--colonne",
            "sous_categorie=Statut",
            "--zones",
            str(SAMPLE / "quartiers.geojson"),
            "-o",
            str(out_gpkg),
        ]
    )
    assert code == 0, capsys.readouterr()
    assert out_gpkg.exists()


@pytest.fixture
def broken_territory(tmp_path: Path) -> Path:
    """The sample's quartiers and a signalements file without its categorie column."""
    folder = tmp_path / "territoire"
    folder.mkdir()
    shutil.copy(SAMPLE / "quartiers.geojson", folder)
    (folder / "signalements.csv").write_text(
        "id;date_signalement;Nature;longitude;latitude\nS-1;01/03/2024;Tags;0,6905;47,3848\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize(
    ("command", "output"),
    [
        (["info"], None),
        (["carte"], "carte.html"),
        (["dashboard", "--period", "2024"], "tableau"),
        (["atlas", "--period", "2024", "--quiet", "--fond", "aucun"], "atlas"),
    ],
)
def test_commands_refuse_a_fatal_layer(
    broken_territory: Path, tmp_path: Path, capsys, command: list[str], output: str | None
) -> None:
    args = [command[0], str(broken_territory), *command[1:]]
    if output:
        args += ["-o", str(tmp_path / output)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert _last_line(out).startswith("ERREUR : couche « signalements »")
    assert "colonne obligatoire « categorie » absente" in _last_line(out)
    if output:
        assert not (tmp_path / output).exists()


def test_the_fix_the_message_gives_makes_the_command_succeed(
    broken_territory: Path, tmp_path: Path, capsys
) -> None:
    assert main(["info", str(broken_territory)]) == 1
    captured = capsys.readouterr()
    assert "ajoutez : --colonne categorie=Nature" in captured.err
    assert _last_line(captured.out).endswith(
        "colonne obligatoire « categorie » absente ; ajoutez : --colonne categorie=Nature."
    )
    assert main(["info", str(broken_territory), "--colonne", "categorie=Nature"]) == 0
    assert _last_line(capsys.readouterr().out) == "OK : aucune erreur bloquante."


def test_review_refuses_a_fatal_layer(broken_territory: Path, tmp_path: Path, capsys) -> None:
    args = ["review", "OP-1", "--territoire", str(broken_territory)]
    assert main([*args, "-o", str(tmp_path / "revue.html")]) == 1
    assert _last_line(capsys.readouterr().out).startswith("ERREUR")
    assert not (tmp_path / "revue.html").exists()
