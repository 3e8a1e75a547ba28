"""The quartier atlas: pages, names, figures equal to the dashboard, offline folder, failures.

One atlas of three quartiers of the bundled sample is built once for the module (two
worker processes, hostile names and free text injected); a few small builds check
determinism, failures and the public profile. Map libraries are tiny stand-ins with a
valid manifest (tests.browser_support.write_fake_assets): the real ones are exercised by
tests/test_browser_atlas.py.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import gupgeo
from gupgeo.atlas import AtlasOptions, AtlasResult, build_atlas, safe_stem
from gupgeo.atlas import _pages as pages_module
from gupgeo.atlas._index import COMPARISON
from gupgeo.atlas._prepare import _frames
from gupgeo.atlas.naming import apply_pattern, unique_stems
from gupgeo.atlas.options import select_quartiers
from gupgeo.attribution.territory import attributed
from gupgeo.dashboard.model import build_dashboard
from gupgeo.errors import SchemaError
from gupgeo.rendering.svg import Frame
from gupgeo.territory import Territory
from tests._html_parse import Page, is_remote, local_target, parse, squash
from tests.browser_support import XSS_IMG, XSS_SCRIPT

from .conftest import IN_CI

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
HOSTILE_NAME = "La Rabière / Rue de l'Alouette <b>"
SELECTED = ["LOC-SANITAS", "LOC-RABIERE", "LOC-EUROPE"]
BUILD_DATE = "2025-01-15"


@pytest.fixture(scope="module")
def territory() -> Territory:
    """The sample, attributed, with a hostile quartier name and hostile free text."""
    t = attributed(gupgeo.load_territory(SAMPLE))
    layers = dict(t.layers)
    q = layers["quartiers"].copy()
    q["nom_qp"] = q["nom_qp"].astype("object")
    q.loc[q["code_qp"] == "LOC-RABIERE", "nom_qp"] = HOSTILE_NAME
    layers["quartiers"] = q
    constats = layers["constats"].copy()
    target = (
        (constats["code_qp"] == "LOC-SANITAS")
        & (constats["demarche"] != "ESSP")
        & (constats["statut"].isin(["ouvert", "en cours"]))
    ).to_numpy()
    first = np.flatnonzero(target)[0]
    constats["recommandation"] = constats["recommandation"].astype("object")
    constats.iloc[first, constats.columns.get_loc("recommandation")] = XSS_SCRIPT
    layers["constats"] = constats
    actions = layers["actions"].copy()
    in_2024 = ((actions["code_qp"] == "LOC-SANITAS") & (actions["date"].dt.year == 2024)).to_numpy()
    actions["intitule"] = actions["intitule"].astype("object")
    actions.iloc[np.flatnonzero(in_2024)[0], actions.columns.get_loc("intitule")] = XSS_IMG
    layers["actions"] = actions
    return t.with_layers(layers)


@pytest.fixture(scope="module")
def progress_calls() -> list[tuple[int, int, str]]:
    return []


@pytest.fixture(scope="module")
def atlas(
    territory: Territory,
    fake_assets: Path,
    tmp_path_factory: pytest.TempPathFactory,
    progress_calls: list[tuple[int, int, str]],
) -> AtlasResult:
    out = tmp_path_factory.mktemp("atlas")
    return build_atlas(
        territory, out, period="2024", quartiers=SELECTED, order_by="nom_qp",
        page_name="{nom_qp} ({commune})", file_name="{nom_qp}", workers=2, build_date=BUILD_DATE,
        progress=lambda done, total, r: progress_calls.append((done, total, r.code_qp)),
    )  # fmt: skip


@pytest.fixture(scope="module")
def db(territory: Territory) -> Any:
    return build_dashboard(territory, period="2024", freq="month")


@pytest.fixture(scope="module")
def problems(territory: Territory) -> pd.DataFrame:
    """The repeated-problems indicator of the published (partenaires) territory."""
    from gupgeo.publication import publish
    from gupgeo.veille.problems import problem_counts

    published = publish(territory, "partenaires").territory()
    return problem_counts(published["signalements"], published["quartiers"], period="2024")


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def pages_of(result: AtlasResult) -> dict[str, Page]:
    return {p.code_qp: parse(result.out_dir / p.href) for p in result.pages}


def same(value: str, expected: Any) -> bool:
    if value in ("", "n.c."):
        return expected is None or (isinstance(expected, float) and math.isnan(expected))
    return math.isclose(float(value), float(expected), rel_tol=1e-12, abs_tol=1e-12)


# --- the folder ----------------------------------------------------------------------


def test_one_page_per_selected_quartier_in_order(atlas: AtlasResult, territory: Territory):
    assert atlas.ok, atlas.summary()
    assert [p.code_qp for p in atlas.pages] == ["LOC-EUROPE", "LOC-RABIERE", "LOC-SANITAS"]
    files = sorted(p.name for p in (atlas.out_dir / "quartiers").glob("*.html"))
    assert files == ["europe.html", "la-rabiere-rue-de-l-alouette-b.html", "sanitas.html"]
    for name in files:
        assert re.fullmatch(r"[a-z0-9-]+\.html", name)
    assert (atlas.out_dir / "index.html").is_file()
    assert len(list((atlas.out_dir / "cartes").glob("*.html"))) == 4  # 3 pages + ensemble


def test_file_names_follow_the_pattern_and_are_safe(atlas: AtlasResult):
    stems = {p.code_qp: Path(p.href).stem for p in atlas.pages}
    assert stems["LOC-SANITAS"] == "sanitas"
    assert stems["LOC-RABIERE"] == "la-rabiere-rue-de-l-alouette-b"


def test_titles_are_the_page_names(atlas: AtlasResult, territory: Territory):
    q = territory["quartiers"].set_index("code_qp")
    for code, page in pages_of(atlas).items():
        expected = f"{q.loc[code, 'nom_qp']} ({q.loc[code, 'commune']})"
        assert page.h1 == expected
        assert page.title.startswith(expected)
    assert HOSTILE_NAME in pages_of(atlas)["LOC-RABIERE"].h1


def test_progress_reports_every_page(atlas: AtlasResult, progress_calls):
    assert [d for d, _, _ in progress_calls] == [1, 2, 3]
    assert {t for _, t, _ in progress_calls} == {3}
    assert sorted(c for _, _, c in progress_calls) == sorted(SELECTED)
    assert atlas.workers == 2


# --- figures equal to the dashboard -------------------------------------------------------


def test_every_figure_and_table_cell_equals_the_dashboard(
    atlas: AtlasResult, db, problems, territory
):
    """Every figure is the dashboard's, or the repeated-problems indicator's."""
    q = territory["quartiers"].set_index("code_qp")
    tables = {**db.tables, "problemes_repetes": problems}
    checked = 0
    for code, page in pages_of(atlas).items():
        found = {ind for ind, _, _ in page.indicators}
        assert {"signalements:nb_signalements", "signalements:par_1000_habitants",
                "degradations:nb_degradations", "signalements:stock_fin_periode",
                "signalements:delai_median_jours", "signalements:evolution_pct"} <= found  # fmt: skip
        for indicator, value, text in page.indicators:
            table, column = indicator.split(":")
            if table == "quartiers":
                expected = q.loc[code, column] if column in q.columns else None
                if column == "surface_ha":
                    expected = q.loc[code, "surface_ha"]
                assert same(value, None if pd.isna(expected) else expected), indicator
            else:
                assert same(value, tables[table].loc[code, column]), (code, indicator, value)
            assert text, indicator
            checked += 1
    assert checked > 3 * 60


def test_key_figures_read_in_french(atlas: AtlasResult, db):
    page = pages_of(atlas)["LOC-SANITAS"]
    shown = {ind: text for ind, _, text in page.indicators}
    nb = int(db.tables["signalements"].loc["LOC-SANITAS", "nb_signalements"])
    assert shown["signalements:nb_signalements"] == f"{nb:,}".replace(",", "\u202f")
    rate = db.tables["signalements"].loc["LOC-SANITAS", "par_1000_habitants"]
    assert shown["signalements:par_1000_habitants"] == f"{rate:.1f}".replace(".", ",")
    assert shown["signalements:delai_median_jours"].endswith("\u202fj")


def test_index_table_links_every_page_with_dashboard_values(atlas: AtlasResult, db):
    index = parse(atlas.index)
    rows = index.table_values["comparaison"]
    body, foot = rows[:3], rows[3:]
    assert [r[0] for r in body] == [p.title for p in atlas.pages]
    links = [url for tag, url in index.links if tag == "a" and url.startswith("quartiers/")]
    for page in atlas.pages:
        assert page.href in links
    codes = [p.code_qp for p in atlas.pages]
    # Signalements is the 4th column, then the rate.
    for code, row in zip(codes, body, strict=True):
        assert same(row[3], db.tables["signalements"].loc[code, "nb_signalements"])
        assert same(row[4], db.tables["signalements"].loc[code, "par_1000_habitants"])
    assert foot[1][0] == "Total du territoire"
    assert same(foot[1][3], db.tables["signalements"].loc["total", "nb_signalements"])


def test_index_states_sources_method_date_and_profile(atlas: AtlasResult):
    index = parse(atlas.index)
    assert "Sources et méthode" in index.text
    assert "15 janvier 2025" in index.text
    assert "Diffusion : partenaires" in index.text
    assert "Un signalement appartient à la période de sa date de signalement" in index.text


def test_pages_hold_every_section(atlas: AtlasResult):
    text = (atlas.out_dir / "quartiers" / "sanitas.html").read_text(encoding="utf-8")
    for section in ("Carte du quartier", "Veille territoriale", "Points chauds de la période",
                    "Problèmes signalés plusieurs fois",
                    "Constats ouverts et recommandations", "Actions GUP de la période",
                    "Actions TFPB par axe", "Opérations d'aménagement", "Sources et méthode"):  # fmt: skip
        assert section in text, section
    assert 'class="gg-locator"' in text and 'class="gg-printmap"' in text
    page = parse(atlas.out_dir / "quartiers" / "sanitas.html")
    # The designed hot spot of the sample (dépôts sauvages at the rue de l'Alouette) comes
    # first among the repeated problems, and its cells are significant hot spots.
    first = page.tables["veille-repetes"][0]
    assert first[:3] == ["1", "dépôts sauvages", "7 rue de l'Alouette"] and int(first[3]) >= 10
    assert len(page.tables["veille-repetes"]) == 20  # the 20 largest; the others counted
    assert "autre(s) problème(s) signalé(s) plusieurs fois" in page.text
    assert "Le même lieu revient : 7 rue de l'Alouette" in page.text
    hot = page.tables["veille-chauds"]
    assert hot and hot[0][0] == "dans le quartier" and hot[0][2] == "point chaud 99 %"
    assert {r[0] for r in page.tables["veille-tendances"]} >= {"point chaud persistant"}
    assert {r[1] for r in page.tables["operations"]} >= {"OP-01", "OP-02", "OP-03"}


# --- offline, shared, safe ----------------------------------------------------------------


def test_links_resolve_and_nothing_remote(atlas: AtlasResult):
    files = html_files(atlas.out_dir)
    assert len(files) == 1 + 3 + 4
    for path in files:
        page = parse(path)
        for tag, url in page.links:
            if tag in ("script", "link", "img", "iframe"):
                assert not is_remote(url), f"{path.name} charge {url}"
            if tag == "a":
                assert not is_remote(url), f"{path.name} pointe vers {url}"
            target = local_target(path, url)
            if target is not None:
                assert target.is_file(), f"{path.name} : lien cassé {url}"


def test_assets_are_shared_once(atlas: AtlasResult):
    leaflet = list(atlas.out_dir.rglob("leaflet.js"))
    assert len(leaflet) == 1 and "carte" in leaflet[0].parts
    for path in (atlas.out_dir / "cartes").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "window.fake_leaflet" not in text  # linked, not inlined
        assert "../assets/carte/leaflet/" in text
    assert len(list(atlas.out_dir.rglob("atlas.css"))) == 1


def test_free_text_is_escaped(atlas: AtlasResult):
    text = (atlas.out_dir / "quartiers" / "sanitas.html").read_text(encoding="utf-8")
    assert XSS_SCRIPT not in text and XSS_IMG not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    page = parse(atlas.out_dir / "quartiers" / "sanitas.html")
    assert XSS_SCRIPT in [r[4] for r in page.tables["constats-ouverts"]]
    assert XSS_IMG in [r[2] for r in page.tables["actions-liste"]]
    rabiere = next(p for p in atlas.pages if p.code_qp == "LOC-RABIERE")
    assert "<b>" not in (atlas.out_dir / rabiere.href).read_text(encoding="utf-8")


def test_partenaires_profile_hides_personal_data_and_essp(atlas: AtlasResult, territory):
    everything = "".join(p.read_text(encoding="utf-8") for p in html_files(atlas.out_dir))
    for secret in ("06 12 34 56 78", "example.org", "M. Dupont"):
        assert secret not in everything
    essp = territory["constats"][territory["constats"]["demarche"] == "ESSP"]
    for recommendation in essp["recommandation"].dropna().unique():
        if recommendation not in set(territory["constats"].loc[
                territory["constats"]["demarche"] != "ESSP", "recommandation"]):  # fmt: skip
            assert recommendation not in everything
    for page in pages_of(atlas).values():
        assert all(row[1] != "ESSP" for row in page.tables.get("constats-ouverts", []))


def test_print_stylesheet_targets_a4(atlas: AtlasResult):
    css = (atlas.out_dir / "assets" / "atlas.css").read_text(encoding="utf-8")
    assert "size: A4 portrait" in css and "@media print" in css and "@page" in css


# --- determinism, failures, public ----------------------------------------------------------


def test_same_inputs_same_bytes(atlas: AtlasResult, territory, tmp_path):
    again = build_atlas(
        territory, tmp_path, period="2024", quartiers=SELECTED, order_by="nom_qp",
        page_name="{nom_qp} ({commune})", file_name="{nom_qp}", workers=1,
        build_date=BUILD_DATE, progress=False,
    )  # fmt: skip
    first = {
        p.relative_to(atlas.out_dir): p.read_bytes()
        for p in atlas.out_dir.rglob("*")
        if p.is_file()
    }
    second = {
        p.relative_to(again.out_dir): p.read_bytes()
        for p in again.out_dir.rglob("*")
        if p.is_file()
    }
    assert first.keys() == second.keys()
    different = [str(k) for k in first if first[k] != second[k]]
    assert different == []


def test_one_failure_is_reported_and_the_others_kept(territory, fake_assets, tmp_path, monkeypatch):
    original = pages_module._charts

    def broken(task: Any, folder: Path, *, public: bool) -> Any:
        if task.page.code_qp == "LOC-EUROPE":
            raise RuntimeError("graphique impossible : données corrompues")
        return original(task, folder, public=public)

    monkeypatch.setattr(pages_module, "_charts", broken)
    result = build_atlas(
        territory, tmp_path, period="2024", quartiers=["LOC-EUROPE", "LOC-RABATERIE"],
        workers=2, progress=False, build_date=BUILD_DATE,
    )  # fmt: skip
    assert not result.ok
    (failure,) = result.failures
    assert failure.code_qp == "LOC-EUROPE"
    assert "RuntimeError" in failure.error and "données corrompues" in failure.error
    assert "Traceback" in failure.details
    ok = next(p for p in result.pages if p.ok)
    assert (tmp_path / ok.href).is_file()
    index = parse(result.index)
    assert "Pages non produites" in index.text and "données corrompues" in index.text
    assert not any(url == failure.href for _, url in index.links)
    assert "ÉCHEC" in result.summary()


def test_public_profile_keeps_counts_secret(territory, fake_assets, tmp_path):
    result = build_atlas(
        territory, tmp_path, period="2024-T1", publication="public", quartiers=["LOC-MARYSE-BASTIE"],
        workers=1, progress=False, build_date=BUILD_DATE,
    )  # fmt: skip
    assert result.ok
    text = (tmp_path / result.pages[0].href).read_text(encoding="utf-8")
    page = parse(tmp_path / result.pages[0].href)
    assert "secret" in page.text
    assert "Profil public : les constats ne sont publiés qu'en nombre." in page.text
    assert "Adresse la plus citée" not in text
    assert "Total du territoire" not in parse(result.index).text
    assert "Diffusion : public" in page.text


# --- controls and building blocks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Niqueux-Bruère – Marcel Pagnol", "niqueux-bruere-marcel-pagnol"),
        ("Rue de l'Alouette / Les Œillets", "rue-de-l-alouette-les-oeillets"),
        ("../../etc/passwd", "etc-passwd"),
        ("C:\\quartier\\nul", "c-quartier-nul"),
        ("NUL", "nul-quartier"),
        ("index", "index-quartier"),
        ("Ensemble", "ensemble-quartier"),
        ("Atlas", "atlas-quartier"),
        ("Comparaison", "comparaison-quartier"),
        ("   ", "quartier"),
        ("ÉÈÊ àç", "eee-ac"),
        ("x" * 200, "x" * 80),
    ],
)
def test_safe_stem(name: str, stem: str):
    assert safe_stem(name) == stem


def test_unique_stems_number_duplicates_in_order():
    assert unique_stems(["sanitas", "sanitas", "europe", "sanitas"]) == [
        "sanitas", "sanitas-2", "europe", "sanitas-3"]  # fmt: skip


def test_patterns_use_layer_fields_and_name_unknown_ones():
    assert apply_pattern("{nom_qp} ({commune})", {"nom_qp": "Sanitas", "commune": "Tours"},
                         name="page_name") == "Sanitas (Tours)"  # fmt: skip
    assert apply_pattern("{nom_qp} {commune}", {"nom_qp": "A", "commune": None}, name="p") == "A"
    with pytest.raises(ValueError, match=r"page_name : champ \{quartier\} inconnu.*\{nom_qp\}"):
        apply_pattern("{quartier}", {"nom_qp": "A"}, name="page_name")
    assert apply_pattern("{nom_qp}", {"nom_qp": "{nom_qp.__class__}"}, name="p") == (
        "{nom_qp.__class__}")  # a value is never formatted again  # fmt: skip
    assert apply_pattern("{{{nom_qp}}}", {"nom_qp": "A"}, name="p") == "{A}"


@pytest.mark.parametrize(
    "pattern",
    ["{nom_qp.__class__.__mro__}", "{nom_qp[0]}", "{nom_qp!r}", "{nom_qp:>999999999}",
     "{nom_qp:{commune}}", "{}", "{0}", "{nom_qp"],
)  # fmt: skip
def test_patterns_accept_only_plain_fields(pattern: str):
    fields = ["code_qp", "nom_qp", "commune"]
    expected = re.escape(f"page_name : motif {pattern!r}") + r".*\{nom_qp\}, \{commune\}"
    with pytest.raises(ValueError, match=expected):
        apply_pattern(pattern, dict.fromkeys(fields, "Sanitas"), name="page_name")
    with pytest.raises(ValueError, match=expected):
        select_quartiers(_quartiers(), AtlasOptions(page_name=pattern))
    with pytest.raises(ValueError, match=re.escape(f"file_name : motif {pattern!r}")):
        select_quartiers(_quartiers(), AtlasOptions(file_name=pattern))


def _quartiers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code_qp": ["A", "B", "C"], "nom_qp": ["Alpha", "Bêta", "Gamma"],
         "commune": ["Tours", "Joué-lès-Tours", "Tours"], "population": [3000, 1000, None]},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(500, 0, 900, 200),
                  shapely.box(0, 500, 50, 550)],
        crs=2154,
    )  # fmt: skip


def test_filter_and_order_like_a_coverage_layer():
    q = _quartiers()
    chosen = select_quartiers(q, AtlasOptions(filter="commune == 'Tours'", order_by="nom_qp",
                                              descending=True))  # fmt: skip
    assert chosen["code_qp"].tolist() == ["C", "A"]
    by_function = select_quartiers(q, AtlasOptions(filter=lambda f: f["population"] > 1500))
    assert by_function["code_qp"].tolist() == ["A"]
    assert select_quartiers(q, AtlasOptions(quartiers=("B", "A")))["code_qp"].tolist() == ["A", "B"]


def test_controls_report_what_was_expected():
    q = _quartiers()
    with pytest.raises(SchemaError, match=r"code\(s\) \['ZZ'\] absent"):
        select_quartiers(q, AtlasOptions(quartiers=("ZZ",)))
    with pytest.raises(ValueError, match="aucun quartier ne passe le filtre"):
        select_quartiers(q, AtlasOptions(filter="population > 10**6"))
    with pytest.raises(ValueError, match="filter : expression"):
        select_quartiers(q, AtlasOptions(filter="commune ==="))
    with pytest.raises(SchemaError, match="order_by : colonne 'rang' absente"):
        select_quartiers(q, AtlasOptions(order_by="rang"))
    with pytest.raises(ValueError, match="extent : 'grand' ; attendu 'auto' ou 'fixed'"):
        AtlasOptions(extent="grand")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="indicator : 'x' inconnu"):
        AtlasOptions(indicator="x")
    with pytest.raises(TypeError, match=r"option\(s\) inconnue\(s\) \['ordre'\]"):
        AtlasOptions.from_controls(None, {"ordre": "nom_qp"})


def test_auto_extent_fits_each_quartier_with_its_margin():
    q = _quartiers()
    frames = _frames(q, AtlasOptions(margin_pct=10))
    big = frames[1]  # 400 m × 200 m, 720 × 480 px frame: the width decides
    assert big.x1 - big.x0 == pytest.approx(400 * 1.2)
    assert (big.x1 - big.x0) / (big.y1 - big.y0) == pytest.approx(720 / 480)
    assert frames[0].x1 - frames[0].x0 < big.x1 - big.x0


def test_fixed_extent_gives_every_map_the_same_ground_size():
    q = _quartiers()
    frames = _frames(q, AtlasOptions(extent="fixed", margin_pct=0))
    widths = {round(f.x1 - f.x0, 6) for f in frames}
    assert widths == {400.0}
    assert frames[2].x0 + 200 == pytest.approx(25)  # centred on quartier C (x 0–50)
    sized = _frames(q, AtlasOptions(extent="fixed", fixed_size_m=1500))
    assert {round(f.x1 - f.x0) for f in sized} == {1500}


def test_frame_keeps_the_pixel_ratio():
    f = Frame.around((0, 0, 100, 100), width=720, height=480, margin_pct=0)
    assert (f.x1 - f.x0, f.y1 - f.y0) == (150.0, 100.0)
    assert f.px(np.array([[0.0, 100.0]])).tolist() == [[120.0, 0.0]]  # x0 = -25 m, 4.8 px/m


def test_the_repeated_problems_shown_are_the_indicator(atlas: AtlasResult, problems):
    for code, page in pages_of(atlas).items():
        shown = {k: v for k, v, _ in page.indicators if k.startswith("problemes_repetes:")}
        assert set(shown) == {f"problemes_repetes:{c}" for c in
                              ("nb_problemes_repetes", "nb_signalements_repetes",
                               "nb_problemes_repetes_ouverts")}  # fmt: skip
        for key, value in shown.items():
            assert int(value) == problems.loc[code, key.split(":")[1]], (code, key)
        listed = page.tables["veille-repetes"]
        assert len(listed) == min(20, problems.loc[code, "nb_problemes_repetes"])


def test_the_print_map_numbers_the_listed_problems(atlas: AtlasResult):
    text = (atlas.out_dir / "quartiers" / "sanitas.html").read_text(encoding="utf-8")
    printed = re.findall(r'<g class="gg-spot">.*?<text[^>]*>(\d+)</text>', text)
    assert printed == [str(i) for i in range(20, 0, -1)]  # n° 1 on top
    assert "problème signalé plusieurs fois (n°)" in text


def test_auto_indicator_falls_back_to_the_rate_per_hectare():
    from gupgeo.atlas.options import resolve_indicator

    q = _quartiers()
    assert resolve_indicator("auto", q) == "signalements_par_ha"  # C has no population
    assert resolve_indicator("auto", q.iloc[:2]) == "signalements_par_1000"
    assert resolve_indicator("degradations", q) == "degradations"


def test_default_file_names_come_from_the_code_and_homonyms_get_their_commune(
    territory, fake_assets, tmp_path
):
    q = territory["quartiers"].copy()
    q["nom_qp"] = q["nom_qp"].astype("object")
    q.loc[q["code_qp"].isin(["LOC-SANITAS", "LOC-RABIERE"]), "nom_qp"] = "Centre Ville"
    twins = territory.with_layers({"quartiers": q})
    result = build_atlas(
        twins, tmp_path / "atlas", period="2024", quartiers=["LOC-SANITAS", "LOC-RABIERE"],
        workers=1, progress=False, build_date=BUILD_DATE, basemap=None,
    )  # fmt: skip
    assert [p.href for p in result.pages] == [
        "quartiers/loc-sanitas.html",
        "quartiers/loc-rabiere.html",
    ]
    communes = q.set_index("code_qp")["commune"]
    assert [p.title for p in result.pages] == [
        f"Centre Ville ({communes['LOC-SANITAS']})",
        f"Centre Ville ({communes['LOC-RABIERE']})",
    ]


def test_pdf_of_a_quartier_and_of_the_atlas(territory, fake_assets, tmp_path):
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"WeasyPrint indisponible en CI ({exc}) : make test installe .[dev]")
        pytest.skip(f"WeasyPrint indisponible ({exc})")
    result = build_atlas(
        territory, tmp_path, period="2024", quartiers=["LOC-MARYSE-BASTIE"], pdf=True,
        workers=1, progress=False, build_date=BUILD_DATE,
    )  # fmt: skip
    names = sorted(p.name for p in result.pdf)
    assert names == ["atlas.pdf", "loc-maryse-bastie.pdf"]  # files are named after the code
    titles = {"atlas.pdf": "Atlas des quartiers — 2024",
              "loc-maryse-bastie.pdf": "Maryse Bastié — Atlas des quartiers 2024"}  # fmt: skip
    for path in result.pdf:
        data = path.read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 20_000
        _assert_tagged_pdf(path, titles[path.name])


def _assert_tagged_pdf(path: Path, title: str) -> None:
    """A tagged PDF (PDF/UA-1): structure tree, marked content, language, title, alt texts."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata is not None and reader.metadata.title == title
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()
    kinds: Counter[str] = Counter()
    alts: list[str] = []
    stack = [root["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        if not hasattr(node, "get"):
            continue
        if "/S" in node:
            kinds[str(node["/S"])] += 1
            if node["/S"] == "/Figure":
                alts.append(str(node.get("/Alt", "")))
        kids = node.get("/K", [])
        stack.extend(k.get_object() for k in (kids if isinstance(kids, list) else [kids]))
    assert kinds["/H1"] >= 1 and kinds["/H2"] >= 5 and kinds["/Table"] >= 5 and kinds["/TH"]
    assert alts and all(alts), alts  # every figure (maps, charts) has its text alternative
    assert any("Signalements par mois et catégorie" in a and "maximum" in a for a in alts)


def test_a_worker_that_dies_loses_only_its_page(territory, fake_assets, tmp_path, monkeypatch):
    import os

    original = pages_module._charts

    def crash(task: Any, folder: Path, *, public: bool) -> Any:
        if task.page.code_qp == "LOC-EUROPE":
            os._exit(3)  # a segfault or the OOM killer, as seen from the pool
        return original(task, folder, public=public)

    monkeypatch.setattr(pages_module, "_charts", crash)
    result = build_atlas(
        territory, tmp_path, period="2024-T4", quartiers=["LOC-EUROPE", "LOC-ROCHEPINARD",
        "LOC-FONTAINES"], workers=2, progress=False, basemap=None,
    )  # fmt: skip
    assert [f.code_qp for f in result.failures] == ["LOC-EUROPE"]
    assert "arrêté brutalement" in result.failures[0].error
    assert sum(p.ok for p in result.pages) == 2


def test_the_loaded_territory_is_attributed_once_and_light():
    from gupgeo.attribution import attributed

    t = attributed(gupgeo.load_territory(SAMPLE))
    sig = t["signalements"]
    assert 0.85 < sig["code_qp"].notna().mean() < 0.95  # 10 % of the sample is hors QPV
    assert "operation_id" in sig.columns
    assert all(not frame.attrs for frame in t.layers.values())  # no report deep-copied around
    assert attributed(t) is t


# --- what a shared atlas may show (review of "safe to share") ----------------------------------


def _tasks_for(source: Any, publication: str, codes: list[str], period: str = "2024") -> list[Any]:
    from gupgeo.atlas._prepare import prepare, tasks
    from gupgeo.publication import publish

    data = prepare(
        publish(source, publication), Path("unused"), period=period,
        options=AtlasOptions(quartiers=codes), build_date=BUILD_DATE, dashboard_config=None,
    )  # fmt: skip
    return tasks(data)


def _cell_rects(svg: str) -> list[tuple[float, str]]:
    """(width in px, fill) of the density cells of a static SVG map."""
    return [
        (float(w), fill)
        for w, fill in re.findall(
            r'<rect x="[^"]+" y="[^"]+" width="([^"]+)" height="[^"]+" fill="([^"]+)" '
            r'fill-opacity="0.8"/>',
            svg,
        )
        if fill != "#fff"  # the scale bar's background
    ]


def test_public_print_map_draws_only_the_published_grid(territory: Territory):
    from gupgeo.publication import aggregate_to_grid
    from gupgeo.rendering.svg import SECRET_COLOR

    (task,) = _tasks_for(territory, "public", ["LOC-SANITAS"])
    svg = pages_module._print_map(task)
    cells = _cell_rects(svg)
    # 200 m cells only (no 50 m density of the raw points), small counts drawn as secret.
    assert cells and all(w == pytest.approx(200 * task.frame.scale, abs=0.2) for w, _ in cells)
    grid = aggregate_to_grid(task.map_layers["signalements"], threshold=11)
    assert len(cells) == len(grid)
    assert sum(fill == SECRET_COLOR for _, fill in cells) == int(grid["secret"].sum()) > 0
    legend = [e["label"] for e in pages_module._legend(task)]
    assert any("carreau de 200 m" in label and "secret" in label for label in legend)
    assert not any("50 m" in label for label in legend)
    # Repeated problems are not located in public: no numbered marker, no legend entry.
    assert 'class="gg-spot"' not in svg
    assert not any("problème signalé" in label for label in legend)
    # Cells are whole: the page's points fill every cell touching the frame completely.
    sig = territory["signalements"]
    dates = pd.to_datetime(sig["date_signalement"])
    year = sig[((dates >= "2024-01-01") & (dates < "2025-01-01")).to_numpy()]
    whole = aggregate_to_grid(year, threshold=0).set_index("carreau")["effectif"]
    local = aggregate_to_grid(task.map_layers["signalements"], threshold=0)
    assert (local.set_index("carreau")["effectif"] == whole.reindex(local["carreau"])).all()


def test_partenaires_tfpb_and_operations_go_through_the_profile(territory: Territory):
    layers = dict(territory.layers)
    tfpb = layers["tfpb"].copy()
    tfpb["action"] = tfpb["action"].astype("object")
    tfpb.loc[tfpb["code_qp"] == "LOC-SANITAS", "action"] = "Voir Mme de la Tour, 06 12 34 56 78"
    layers["tfpb"] = tfpb
    ops = layers["operations"].copy()
    ops["nom"] = ops["nom"].astype("object")
    ops["nom"] = "Résidence, contact M. Dupont +33 (0)6 12 34 56 78"
    layers["operations"] = ops
    t = territory.with_layers(layers)
    (task,) = _tasks_for(t, "partenaires", ["LOC-SANITAS"])
    assert len(task.tfpb) and len(task.operations)
    shown = " ".join(map(str, [*task.tfpb["action"], *task.operations["nom"]]))
    for secret in ("06 12 34 56 78", "de la Tour", "Dupont"):
        assert secret not in shown
    assert "[nom masqué]" in shown and "[téléphone masqué]" in shown


def test_print_map_draws_no_constat_when_publish_withholds_the_layer(territory: Territory):
    layers = dict(territory.layers)
    layers["constats"] = layers["constats"].drop(columns="demarche")
    t = territory.with_layers(layers)
    (task,) = _tasks_for(t, "partenaires", ["LOC-SANITAS"])
    assert "constats" not in task.map_layers
    assert not re.search(r'<circle [^>]*r="4"', pages_module._print_map(task))
    (inside,) = _tasks_for(t, "interne", ["LOC-SANITAS"])
    assert len(inside.map_layers["constats"]) > 0


# --- coverage: card and table agree, both n.c. with the reason ----------------------------


def test_change_against_an_uncovered_year_reads_nc_in_card_table_and_index(
    territory, fake_assets, tmp_path
):
    sig = territory["signalements"]
    only_2024 = sig[(sig["date_signalement"].dt.year == 2024).to_numpy()]
    t = territory.with_layers({"signalements": only_2024})
    result = build_atlas(
        t, tmp_path, period="2024", quartiers=["LOC-EUROPE"], workers=1, progress=False,
        build_date=BUILD_DATE, basemap=None,
    )  # fmt: skip
    assert result.ok, result.summary()
    page = parse(tmp_path / result.pages[0].href)
    shown = {}
    for indicator, value, text in page.indicators:
        shown.setdefault(indicator, set()).add((value, text))
    # The card and the table cell read the same: no value, "n.c.".
    for column in ("evolution_pct", "evolution_nb", "nb_periode_precedente"):
        assert shown.get(f"signalements:{column}", {("", "n.c.")}) == {("", "n.c.")}, column
    assert len(shown["signalements:evolution_pct"]) == 1
    rows = {r[0]: r for r in page.tables["signalements"]}
    assert rows["Évolution (nombre)"][1:] == ["n.c.", "n.c."]  # quartier, territoire
    assert rows["Période précédente"][1:] == ["n.c.", "n.c."]
    assert rows["Signalements"][1] != "n.c."
    reason = "période précédente (2023) non couverte par les données"
    text = squash(page.text)
    assert f"n.c. : {reason}" in text  # the card's hint
    assert f"Évolution n.c. : {reason} (signalements du 01/01/2024 au 31/12/2024)" in text
    assert "signalements du 01/01/2024 au 31/12/2024 — période couverte" in text
    index = parse(result.index)
    evolution = 3 + [c[1] for c in COMPARISON].index("evolution_pct")
    assert index.tables["comparaison"][0][evolution] == "n.c."
    assert f"Évolution n.c. : {reason}" in squash(index.text)
    sources = {r[0]: r for r in index.tables["sources"]}
    assert sources["signalements"][3:6] == ["01/01/2024", "31/12/2024", "couverte"]
    assert sources["constats"][5] == "partielle"


def test_a_year_outside_the_signalements_reads_nc_not_zero(territory, fake_assets, tmp_path):
    sig = territory["signalements"]
    only_2024 = sig[(sig["date_signalement"].dt.year == 2024).to_numpy()]
    t = territory.with_layers({"signalements": only_2024})
    result = build_atlas(
        t, tmp_path, period="2023", quartiers=["LOC-EUROPE"], workers=1, progress=False,
        build_date=BUILD_DATE, basemap=None,
    )  # fmt: skip
    assert result.ok, result.summary()
    page = parse(tmp_path / result.pages[0].href)
    shown = {(ind, value, text) for ind, value, text in page.indicators}
    assert ("signalements:nb_signalements", "", "n.c.") in shown
    assert not any(ind.startswith("signalements:") and text == "0" for ind, _, text in shown)
    rows = {r[0]: r for r in page.tables["signalements"]}
    assert rows["Signalements"][1:] == ["n.c.", "n.c."]
    text = squash(page.text)
    assert "n.c. : période 2023 non couverte par les données" in text
    assert "actions du 03/01/2022 au 26/12/2024 — période couverte" in text
    quartier_map = (tmp_path / "cartes" / Path(result.pages[0].href).name).read_text("utf-8")
    assert "signalements : période non couverte par les données (n.c.)" in quartier_map
    assert "0 signalements" not in quartier_map
