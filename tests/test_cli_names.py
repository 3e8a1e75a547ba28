"""French command and option names (English aliases kept), messages a planner can read
(no English hint, no module name, no Python repr), optional dependencies checked first."""

from __future__ import annotations

import ast
import io
import logging
import re
import sys
import time
from pathlib import Path

import pytest

import gupgeo
from gupgeo import optional
from gupgeo.atlas import AtlasResult
from gupgeo.cli import build_parser, log_handler, main
from tests.conftest import require_sample

FRENCH = {
    "valider": "validate",
    "tableau-de-bord": "dashboard",
    "carte": "map",
    "rattacher": "attribute",
    "revue": "review",
    "importer": "import",
}


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
    code = main(
        [
            "atlas",
            str(require_sample()),
            "--periode",
            "2024",
            "--pdf",
            "-o",
            str(tmp_path / "atlas"),
            "--quiet",
        ]
    )
    assert code == 2
    assert time.perf_counter() - start < 5  # nothing was loaded nor built
    err = capsys.readouterr().err
    assert "l'option --pdf demande weasyprint" in err
    assert "pip install 'gupgeo[pdf]'" in err
    assert "halted" not in err and "No module" not in err  # no English from Python
    assert not (tmp_path / "atlas").exists()


def test_a_postgis_territory_without_psycopg_says_which_extra(monkeypatch, capsys):
    real = optional.importlib.util.find_spec
    monkeypatch.setattr(
        optional.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "psycopg" else real(name, *a),
    )
    code = main(["info", "postgresql://gup:secret@localhost/gup?schema=tours"])
    assert code == 2
    err = capsys.readouterr().err
    assert "pip install 'gupgeo[postgis]'" in err and "secret" not in err


def test_require_names_every_extra():
    for extra in optional.EXTRAS:
        assert optional.install_hint(extra) == f"pip install 'gupgeo[{extra}]'"
    with pytest.raises(ValueError, match="extra inconnu"):
        optional.require("gpu", why="test")


# ------------------------------------------------------------------ messages

ENGLISH_HINT = re.compile(r"gupgeo (validate|dashboard|map|attribute|review|import)\b")
ENGLISH_OPTION = re.compile(
    r"--(layer|zones-layer|rejects-dir|far-m|period|territory|buffer-m|months|basemap|"
    r"title|subtitle|workers|quiet|key|predicate|output)\b"
)


def _message_strings() -> list[tuple[str, int, str]]:
    """Every string of gupgeo's code a user may read: not docstrings, not the option
    names given to ``add_argument`` (the English aliases live there)."""
    found = []
    for path in sorted(Path(gupgeo.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip: set[int] = set()
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                skip.add(id(body[0].value))  # docstrings
            func = getattr(node, "func", None)
            if isinstance(node, ast.Call) and getattr(func, "attr", "") == "add_argument":
                skip.update(id(a) for a in node.args)
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and id(node) not in skip:
                found.append((path.name, node.lineno, text))
    return found


def test_every_hint_names_the_french_command_and_options():
    strings = _message_strings()
    assert len(strings) > 1000  # the scan reads the whole package
    english = [s for s in strings if ENGLISH_HINT.search(s[2])]
    assert not english, english
    options = [s for s in strings if ENGLISH_OPTION.search(s[2])]
    assert not options, options


def _options(args: object) -> dict[str, object]:
    return {k: v for k, v in vars(args).items() if k != "command"}


def test_english_option_names_stay_aliases_of_the_french_ones():
    parser = build_parser()
    french = parser.parse_args(
        ["revue", "OP-01", "--territoire", "t", "--abords-m", "50", "--mois", "6"]
    )
    english = parser.parse_args(
        ["review", "OP-01", "--territory", "t", "--buffer-m", "50", "--months", "6"]
    )
    assert _options(french) == _options(english)
    french = parser.parse_args(
        [
            "rattacher",
            "e.csv",
            "--zones",
            "z",
            "--cle",
            "id",
            "--couche-zones",
            "quartiers",
            "--predicat",
            "within",
            "--sortie",
            "o.gpkg",
        ]
    )
    english = parser.parse_args(
        [
            "attribute",
            "e.csv",
            "--zones",
            "z",
            "--key",
            "id",
            "--zones-layer",
            "quartiers",
            "--predicate",
            "within",
            "--output",
            "o.gpkg",
        ]
    )
    assert _options(french) == _options(english)
    usage = parser._subparsers._group_actions[0].choices["carte"].format_usage()
    assert "--fond" in usage and "--titre" in usage and "--basemap" not in usage


def test_the_atlas_summary_keeps_the_output_path_as_typed():
    result = AtlasResult(Path("../out"), Path("../out/index.html"), (), 24.25, 3.0, 2)
    line = result.summary().splitlines()[0]
    assert line == "Atlas écrit dans ../out : 0/0 page(s) en 24,2 s (2 processus)"


def test_log_lines_are_french_and_never_name_a_module():
    stream = io.StringIO()
    logger = logging.getLogger("gupgeo.atlas._build")
    handler = log_handler(stream)
    logger.addHandler(handler)
    try:
        logger.warning("page %s non produite", "Sanitas")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "gupgeo : attention : page Sanitas non produite\n"


def test_importer_hints_name_gupgeo_valider():
    from gupgeo.storage.importer import _nothing_to_import

    text = _nothing_to_import("export.csv", "signalements", 3)
    assert "gupgeo valider export.csv" in text and "validate" not in text


def test_a_wrong_export_date_is_a_french_message(tmp_path, capsys):
    code = main(
        [
            "importer",
            str(tmp_path / "signalements.csv"),
            "--territoire",
            str(tmp_path / "t.gpkg"),
            "--date",
            "hier",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--date « hier » illisible ; attendu JJ/MM/AAAA ou AAAA-MM-JJ" in err
    assert "isoformat" not in err


def test_veille_notes_name_periods_in_french(fake_assets, tmp_path, capsys):
    code = main(
        [
            "veille",
            str(require_sample()),
            "--periode",
            "2021-07-01/2022-06-30",
            "--freq",
            "trimestre",
            "-o",
            str(tmp_path / "v"),
            "--fond",
            "aucun",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Points chauds émergents non calculés" in out and "(pas : trimestre)" in out
    assert not re.search(r"\d{4}Q\d|window=|freq=|None|gupgeo\.[a-z_]+\.", out), out
    html = (tmp_path / "v" / "bulletin.html").read_text(encoding="utf-8")
    assert not re.search(r"\d{4}Q\d|window=|freq=", html)


def test_an_import_refused_for_rejects_says_which_threshold_accepts_them():
    from gupgeo.errors import ValidationError
    from gupgeo.storage.importer import _check_export

    export = Path(require_sample()) / "dirty" / "signalements_dates_invalides.csv"
    source = gupgeo.load_territory(layers={"signalements": export})
    report = source.report.layer("signalements")
    with pytest.raises(ValidationError) as exc:
        _check_export(export, source, "signalements", report.rows_read, report.rows_rejected)
    message = str(exc.value)
    assert f"gupgeo valider {export}" in message
    assert message.endswith("pour accepter ces rejets : --max-rejets 10)")
