"""Data is only ever data: template syntax in any text field never runs, in any product.

A resident's report, a partner's file or a CLI option may carry Jinja2 syntax. Every text
column of every layer of the bundled sample gets the payloads below appended; every
product (map, atlas, review, dashboard exports, and the CLI commands with their text
options) is built in every publication profile, from the working directory of the test.
The test asserts that nothing ran (no ``PWNED`` directory, no ``42`` where ``{{ 6*7 }}``
was typed, no error) and that the text reaches the outputs as typed.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gupgeo
from gupgeo.atlas import build_atlas
from gupgeo.cli import main
from gupgeo.dashboard import build_dashboard, export_dashboard
from gupgeo.maps import map_territory, save_map
from gupgeo.review.build import review_operation
from gupgeo.territory import Territory

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
PROFILES = ("interne", "partenaires", "public")
PWNED = "Place {{ cycler.__init__.__globals__.os.mkdir(dict(PWNED=1)|join) }}"
PAYLOADS = ("Sacs {{ 6*7 }} ici", "{% raw %}", "{# x #}", "{{'x'}}", PWNED)
PAYLOAD = " ".join(PAYLOADS)
# Columns whose values are keys or a controlled vocabulary the pipeline maps (a hostile
# value there is tested by the columns around it, not by breaking every join).
KEYS = {"code_qp", "operation_id", "id", "objet_id", "statut", "statut_brut", "demarche"}


def hostile(t: Territory) -> Territory:
    """Every free-text column of every layer ends with all the payloads."""
    layers = {}
    for name, frame in t.layers.items():
        frame = frame.copy()
        geometry = getattr(frame, "_geometry_column_name", None)
        for column in frame.columns:
            if column in KEYS or column == geometry:
                continue
            values = frame[column]
            if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
                text = values.astype("object")
                filled = text.notna().to_numpy()
                text = text.where(~filled, text.astype(str) + " " + PAYLOAD)
                frame[column] = text
        layers[name] = frame
    return t.with_layers(layers)


@pytest.fixture(scope="module")
def territory() -> Territory:
    return hostile(gupgeo.load_territory(SAMPLE))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Products are built from here; the payload's ``os.mkdir`` would land here."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert not (tmp_path / "PWNED").exists(), "une donnée a été exécutée comme du code"


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def readable(text: str) -> str:
    """The text a reader sees: HTML entities and JSON ``\\uXXXX`` escapes decoded."""
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(text)


def assert_inert(text: str, *, where: str) -> None:
    shown = readable(text)
    assert "Sacs 42 ici" not in shown, f"{where} : {{{{ 6*7 }}}} a été évalué"
    assert "PWNED" not in shown or PWNED in shown, f"{where} : la charge a été transformée"


def assert_verbatim(text: str, *, where: str) -> None:
    shown = readable(text)
    for payload in PAYLOADS:
        assert payload in shown, f"{where} : {payload!r} absent ou modifié"


def quartier_name(t: Territory, code: str) -> str:
    q = t["quartiers"]
    return str(q.loc[q["code_qp"] == code, "nom_qp"].iloc[0])


def test_payloads_reach_the_territory_intact(territory: Territory):
    assert quartier_name(territory, "LOC-SANITAS").endswith(PAYLOAD)
    assert territory["signalements"]["categorie"].str.endswith(PAYLOAD).all()


@pytest.mark.parametrize("profile", PROFILES)
def test_map_shows_payloads_as_typed(territory, fake_assets, workdir, profile):
    m = map_territory(territory, publication=profile, title=f"Titre {PAYLOAD}")
    save_map(m, workdir / "carte.html")
    text = (workdir / "carte.html").read_text(encoding="utf-8")
    assert_inert(text, where=f"carte {profile}")
    assert_verbatim(text, where=f"carte {profile}")
    if profile == "interne":
        descriptions = territory["signalements"]["description"].dropna()
        assert len(descriptions) > 0
        assert readable(text).count(PAYLOAD) > 50


@pytest.mark.parametrize("profile", PROFILES)
def test_atlas_shows_payloads_as_typed(territory, fake_assets, workdir, profile):
    result = build_atlas(
        territory, workdir / "atlas", period="2024", publication=profile,
        quartiers=["LOC-SANITAS", "LOC-RABIERE"], workers=1, progress=False,
        build_date="2025-01-15",
    )  # fmt: skip
    assert result.ok, result.summary()
    files = sorted((workdir / "atlas").rglob("*.html"))
    assert len(files) >= 3
    for path in files:
        assert_inert(path.read_text(encoding="utf-8"), where=str(path))
    page = (workdir / "atlas" / result.pages[0].href).read_text(encoding="utf-8")
    assert_verbatim(page, where=f"page d'atlas {profile}")
    assert_verbatim(result.index.read_text(encoding="utf-8"), where=f"index {profile}")
    veille = veille_section(page)
    assert "Problèmes signalés plusieurs fois" in veille
    if profile != "public":  # categories and addresses of the repeated problems
        assert_verbatim(veille, where=f"section Veille de l'atlas {profile}")
        carte = workdir / "atlas" / "cartes" / f"{result.pages[0].href.split('/')[-1]}"
        assert "_historique" in carte.read_text(encoding="utf-8")


def veille_section(page: str) -> str:
    """The HTML of the "Veille territoriale" section of a page."""
    start = page.index('<section class="gg-section gg-veille"')
    return page[start : page.index("</section>", start)]


@pytest.mark.parametrize("profile", PROFILES)
def test_review_shows_payloads_as_typed(territory, fake_assets, workdir, profile):
    review = review_operation(
        territory, "OP-03", months=18, publication=profile, basemap=None,
        build_date="2025-01-15",
    )  # fmt: skip
    path = review.save(workdir / "revue.html")
    text = path.read_text(encoding="utf-8")
    assert_inert(text, where=f"revue {profile}")
    assert_verbatim(text, where=f"revue {profile}")
    veille = veille_section(text)
    if profile != "public":
        assert_verbatim(veille, where=f"section Veille de la revue {profile}")


@pytest.mark.parametrize("profile", PROFILES)
def test_veille_bulletin_and_map_show_payloads_as_typed(territory, fake_assets, workdir, profile):
    from gupgeo.attribution.territory import attributed
    from gupgeo.bulletin.build import build_bulletin

    bulletin = build_bulletin(
        attributed(territory), period="2024-T4", freq="trimestre", publication=profile
    )
    bulletin.save(workdir / "veille", basemap=None)
    for name in ("bulletin.html", "carte.html"):
        text = (workdir / "veille" / name).read_text(encoding="utf-8")
        assert_inert(text, where=f"{name} {profile}")
        assert_verbatim(text, where=f"{name} {profile}")  # quartier names, at least
    carte = readable((workdir / "veille" / "carte.html").read_text(encoding="utf-8"))
    if profile == "interne":  # descriptions in the history of the repeated problems
        assert carte.count(PAYLOAD) > len(bulletin.repeated)


def test_dashboard_exports_keep_payloads_as_typed(territory, workdir):
    db = build_dashboard(territory, period="2024", freq="month")
    export_dashboard(db, workdir / "tableau")
    exported = sorted((workdir / "tableau").rglob("*.csv"))
    assert exported
    signalements = next(p for p in exported if "signalements" in p.name)
    text = signalements.read_bytes().decode("utf-8-sig", errors="replace")
    assert_inert(text, where=signalements.name)
    assert_verbatim(text, where=signalements.name)


def test_cli_text_options_and_files_stay_data(territory, fake_assets, workdir, capsys):
    folder = workdir / "territoire"
    territory.save(folder / "territoire.gpkg")
    gpkg = folder / "territoire.gpkg"
    code = main([
        "carte", str(gpkg), "-o", "carte.html", "--publication", "partenaires",
        "--title", f"Titre {PAYLOAD}", "--subtitle", PAYLOAD, "--sources", PAYLOAD,
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    text = (workdir / "carte.html").read_text(encoding="utf-8")
    assert_inert(text, where="gupgeo carte")
    assert_verbatim(text, where="gupgeo carte")
    assert '"title":' + json.dumps(f"Titre {PAYLOAD}", ensure_ascii=False) in readable(text)
    code = main([
        "review", "OP-03", "--territory", str(gpkg), "-o", "revue.html",
        "--publication", "interne",
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert_inert((workdir / "revue.html").read_text(encoding="utf-8"), where="gupgeo review")


def test_no_value_is_ever_compiled(territory, fake_assets, workdir, monkeypatch):
    """Structural guard: no Jinja2 template is ever made from a string holding data."""
    import jinja2

    compiled: list[str] = []
    original = jinja2.Environment.from_string

    def spy(self: jinja2.Environment, source: object, *args: object, **kwargs: object):
        compiled.append(str(source))
        return original(self, source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "from_string", spy)
    m = map_territory(territory, publication="interne", title=PAYLOAD)
    save_map(m, workdir / "carte.html")
    review_operation(territory, "OP-03", publication="interne", basemap=None).save(
        workdir / "revue.html"
    )
    build_atlas(
        territory, workdir / "atlas", period="2024", publication="interne",
        quartiers=["LOC-SANITAS"], workers=1, progress=False,
    )  # fmt: skip
    from gupgeo.attribution.territory import attributed
    from gupgeo.bulletin.build import build_bulletin

    bulletin = build_bulletin(attributed(territory), period="2024-T4", freq="trimestre")
    bulletin.save(workdir / "veille", basemap=None)
    assert compiled, "l'espion n'a rien vu : le test ne vérifie plus rien"
    leaked = [s for s in compiled if "Sacs" in s or "PWNED" in s]
    assert not leaked, f"{len(leaked)} gabarit(s) compilé(s) à partir de données"
    assert np.all([PAYLOAD not in s for s in compiled])
