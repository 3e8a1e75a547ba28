"""French command names (English aliases kept); optional dependencies checked first."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from gupgeo import optional
from gupgeo.cli import build_parser, main
from tests.conftest import require_sample

FRENCH = {"valider": "validate", "tableau-de-bord": "dashboard", "carte": "map",
          "rattacher": "attribute", "revue": "review", "importer": "import"}  # fmt: skip


def test_every_command_has_a_french_name_and_keeps_its_english_alias():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for french, english in FRENCH.items():
        assert sub.choices[french] is sub.choices[english], french
    assert {"info", "atlas", "veille"} <= set(sub.choices)


@pytest.mark.parametrize("name", ["valider", "validate"])
def test_both_names_run_the_same_command(name, capsys):
    assert main([name, str(require_sample())]) == 0
    assert "Rapport de validation" in capsys.readouterr().out


def test_validate_layer_option_has_a_french_name(capsys):
    csv = Path(require_sample()) / "signalements.csv"
    assert main(["valider", str(csv), "--couche", "signalements"]) == 0


def test_pdf_without_weasyprint_stops_before_any_page(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint fails
    start = time.perf_counter()
    code = main(["atlas", str(require_sample()), "--periode", "2024", "--pdf",
                 "-o", str(tmp_path / "atlas"), "--quiet"])  # fmt: skip
    assert code == 2
    assert time.perf_counter() - start < 5  # nothing was loaded nor built
    err = capsys.readouterr().err
    assert "l'option --pdf demande weasyprint" in err
    assert "pip install 'gupgeo[pdf]'" in err
    assert not (tmp_path / "atlas").exists()


def test_a_postgis_territory_without_psycopg_says_which_extra(monkeypatch, capsys):
    real = optional.importlib.util.find_spec
    monkeypatch.setattr(
        optional.importlib.util, "find_spec",
        lambda name, *a: None if name == "psycopg" else real(name, *a),
    )  # fmt: skip
    code = main(["info", "postgresql://gup:secret@localhost/gup?schema=tours"])
    assert code == 2
    err = capsys.readouterr().err
    assert "pip install 'gupgeo[postgis]'" in err and "secret" not in err


def test_require_names_every_extra():
    for extra in optional.EXTRAS:
        assert optional.install_hint(extra) == f"pip install 'gupgeo[{extra}]'"
    with pytest.raises(ValueError, match="extra inconnu"):
        optional.require("gpu", why="test")
