"""Every command that reads a territory takes a PostGIS URL (``postgresql://…?schema=…``).

The bundled sample is saved once into a fresh schema of the session's PostGIS server
(``tests/postgis_support.py``: the one CI started, or a throwaway cluster); each command
then runs on the URL, and its output is compared with the same command on the folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gupgeo import load_territory
from gupgeo.cli import main
from gupgeo.storage.postgis import parse_url
from tests.browser_support import require_assets
from tests.conftest import require_sample
from tests.postgis_support import require_postgis, with_schema


@pytest.fixture(scope="module")
def url(postgis_server: str | None) -> str:
    target = with_schema(require_postgis(postgis_server))
    load_territory(require_sample()).save(target)
    return target


def test_info_and_validate_read_the_url(url: str, tmp_path: Path, capsys) -> None:
    assert main(["info", url]) == 0
    out = capsys.readouterr().out
    assert "10 quartier(s)" in out and "21 900 ligne(s)" in out.replace("\u202f", " ")
    saved = tmp_path / "copie.gpkg"
    assert main(["validate", url, "-o", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "PostGIS" in out and f"Territoire validé enregistré : {saved}" in out
    assert len(load_territory(saved)["signalements"]) == 21_900


def test_the_dashboard_of_the_url_is_the_folders(url: str, tmp_path: Path, capsys) -> None:
    options = ["--period", "2024", "--sans-graphiques"]
    assert main(["dashboard", url, "-o", str(tmp_path / "pg"), *options]) == 0
    assert main(["dashboard", str(require_sample()), "-o", str(tmp_path / "f"), *options]) == 0
    for table in ("signalements.csv", "signalements_par_categorie.csv", "actions.csv"):
        pg = (tmp_path / "pg" / table).read_text(encoding="utf-8-sig")
        assert pg == (tmp_path / "f" / table).read_text(encoding="utf-8-sig"), table


def test_veille_reads_the_url(url: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "veille"
    assert main(["veille", url, "--period", "2024-T4", "--freq", "trimestre", "-o", str(out)]) == 0
    assert (out / "bulletin.html").exists() and "Veille 2024-T4" in capsys.readouterr().out


def test_map_review_and_atlas_read_the_url(url: str, tmp_path: Path, capsys) -> None:
    require_assets()
    carte = tmp_path / "carte.html"
    assert main(["carte", url, "-o", str(carte)]) == 0 and carte.exists()
    revue = tmp_path / "revue.html"
    assert main(["review", "OP-03", "--territoire", url, "--months", "18", "-o", str(revue)]) == 0
    assert "OP-03" in revue.read_text(encoding="utf-8")
    atlas = tmp_path / "atlas"
    two = ["--quartiers", "LOC-SANITAS", "LOC-RABIERE"]
    code = main(["atlas", url, "-o", str(atlas), "--period", "2024", "--quiet", *two])
    assert code == 0 and (atlas / "index.html").exists()
    assert len(list((atlas / "quartiers").glob("*.html"))) == 2


def test_wrong_uses_of_a_url_say_so(url: str, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", url, "--layer", "signalements"])
    assert exc.value.code == 2 and "pas à un territoire PostGIS" in capsys.readouterr().err
    assert main(["info", url, "--colonne", "categorie=Nature"]) == 2
    assert "ne s'applique pas à un territoire PostGIS" in capsys.readouterr().err


def test_an_unreachable_server_is_a_message_without_password(tmp_path: Path, capsys) -> None:
    dead = "postgresql://gup:motdepasse@127.0.0.1:1/sig?schema=tours&connect_timeout=2"
    assert main(["info", dead]) == 2
    err = capsys.readouterr().err
    assert "connexion PostgreSQL impossible" in err and "motdepasse" not in err
    assert parse_url(dead).safe_url == (
        "postgresql://gup@127.0.0.1:1/sig?connect_timeout=2&schema=tours")  # fmt: skip


def test_a_database_error_is_a_message_not_a_traceback(monkeypatch, capsys) -> None:
    import psycopg

    def refused(*_args: object, **_kwargs: object) -> None:
        raise psycopg.errors.InsufficientPrivilege("permission denied for schema tours")

    monkeypatch.setattr("gupgeo.cli.load_territory", refused)
    assert main(["info", "postgresql://gup@sig/base?schema=tours"]) == 2
    assert "erreur PostGIS : permission denied for schema tours" in capsys.readouterr().err
