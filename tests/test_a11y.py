"""Every HTML output passes axe-core's WCAG 2.1 A/AA rules in a real Chromium (RGAA).

Outputs, built once for the module: for each publication profile (``interne``,
``partenaires``, ``public``) on the bundled sample — the atlas index (of the ten quartiers
in ``partenaires``, of three elsewhere), the atlas page of Sanitas, the review of OP-03,
the veille bulletin (``gupgeo veille``) and the standalone map (``gupgeo carte``) —, and
at region scale (105 generated quartiers, tests/_region.py,
``public`` profile, where a city publishes) the same five. The dashboard writes no HTML.

axe runs in the page and in every frame (tests/a11y_support.py), with the WCAG 2.0/2.1 A
and AA tags, plus axe's best practices (landmarks, one ``main``, headings in order…)
for the pages gupgeo lays out itself.

**Who owns what.** Map documents — the standalone map and the maps that atlas pages and
the review embed in iframes (a frame whose document holds ``.leaflet-container``) — are
held to account by :func:`test_map_documents_pass_axe` alone, over the three profiles
and region scale: their runtime is being rewritten (gupgeo/maps, gupgeo/assets). The
page-level tests (:func:`test_pages_pass_axe`, :func:`test_region_pages_pass_axe`)
exclude violations found *inside* a map document, and only those: the iframe element
itself (its ``title``, its place in the page) and any frame that is not a map are
asserted with the page. Each page-level test also checks that axe did reach the map
frame, so the exclusion never hides a frame that was not audited.

The keyboard walk (:func:`test_keyboard_walk_through_an_atlas_page`) tabs through the
atlas page of Sanitas from the top; the stops inside its map are counted, not judged
(they belong to the map documents too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gupgeo import attribute_territory, load_territory
from gupgeo.atlas import build_atlas
from gupgeo.bulletin.build import build_bulletin
from gupgeo.cli import main
from gupgeo.maps import map_territory, save_map
from gupgeo.review import review_operation
from gupgeo.territory import Territory
from tests._region import region_territory
from tests.a11y_support import Audit, audit, axe_source, describe
from tests.browser_support import launch_browser, offline_page, require_assets
from tests.conftest import require_sample

pytestmark = pytest.mark.browser
PROFILES = ("interne", "partenaires", "public")
REGION = "région"
"""The key of the region-scale outputs (``public`` profile)."""
PAGES = ("index", "page", "revue", "veille")
"""Outputs laid out by gupgeo's templates; ``carte`` is a map document through and through."""
EMBEDDED_MAPS = {"index": 1, "page": 1, "revue": 1, "veille": 0}
ATLAS_QUARTIERS = {"partenaires": None, "interne": ("LOC-SANITAS", "LOC-EUROPE", "LOC-RABIERE")}
"""The whole sample atlas in ``partenaires`` (the demo's profile), three pages elsewhere."""
BUILD_DATE = "2025-01-15"

Outputs = dict[tuple[str, str], Path]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as instance:
        yield instance


def _sample_outputs(out: Path, sample: Path, territory: Territory, profile: str) -> Outputs:
    atlas = build_atlas(
        territory, out / f"atlas_{profile}", period="2024", publication=profile, workers=2,
        progress=False, build_date=BUILD_DATE,
        quartiers=ATLAS_QUARTIERS.get(profile, ATLAS_QUARTIERS["interne"]),
    )  # fmt: skip
    assert atlas.ok, atlas.summary()
    sanitas = next(p for p in atlas.pages if p.code_qp == "LOC-SANITAS")
    review = out / f"revue_{profile}.html"
    review_operation(
        territory, "OP-03", months=18, publication=profile, build_date=BUILD_DATE
    ).save(review)
    veille, carte = out / f"veille_{profile}", out / f"carte_{profile}.html"
    common = [str(sample), "--publication", profile]
    assert main(["veille", *common, "--period", "2024-T4", "--freq", "trimestre",
                 "-o", str(veille)]) == 0  # fmt: skip
    assert main(["carte", *common, "-o", str(carte)]) == 0
    return {
        ("index", profile): atlas.index,
        ("page", profile): atlas.out_dir / sanitas.href,
        ("revue", profile): review,
        ("veille", profile): veille / "bulletin.html",
        ("carte", profile): carte,
    }


def _region_outputs(out: Path) -> Outputs:
    territory = attribute_territory(region_territory())
    atlas = build_atlas(
        territory, out / "atlas_region", period="2024", publication="public", workers=2,
        progress=False, build_date=BUILD_DATE,
    )  # fmt: skip
    assert atlas.ok and len(atlas.pages) >= 100, atlas.summary()
    site = territory["quartiers"].iloc[[3]][["geometry"]].assign(nom="Îlot de la Gare")
    review = out / "revue_region.html"
    review_operation(territory, site, months=12, publication="public", build_date=BUILD_DATE).save(
        review
    )
    veille = out / "veille_region"
    build_bulletin(territory, period="2024-T4", freq="trimestre", publication="public").save(veille)
    carte = out / "carte_region.html"
    save_map(map_territory(territory, publication="public", title="Région"), carte)
    return {
        ("index", REGION): atlas.index,
        ("page", REGION): atlas.out_dir / atlas.pages[0].href,
        ("revue", REGION): review,
        ("veille", REGION): veille / "bulletin.html",
        ("carte", REGION): carte,
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    require_assets()
    axe_source()  # fail (CI) or skip before building anything when axe is absent
    out = tmp_path_factory.mktemp("a11y")
    sample = require_sample()
    territory = attribute_territory(load_territory(sample))
    built: Outputs = {}
    for profile in PROFILES:
        built.update(_sample_outputs(out, sample, territory, profile))
    built.update(_region_outputs(out))
    return built


@pytest.fixture(scope="module")
def audits(browser: Any, outputs: Outputs) -> Callable[[str, str], Audit]:
    """``audits(kind, profile)``: axe's results for one output, each output audited once."""
    cache: dict[tuple[str, str], Audit] = {}
    source = axe_source()

    def get(kind: str, profile: str) -> Audit:
        if (kind, profile) not in cache:
            with offline_page(browser) as state:
                state.page.goto(outputs[(kind, profile)].as_uri())
                cache[(kind, profile)] = audit(state.page, f"{kind}_{profile}", source)
        return cache[(kind, profile)]

    return get


def _assert_page_passes(result: Audit, kind: str) -> None:
    maps = [f for f in result.frames if f.is_map]
    assert len(maps) == EMBEDDED_MAPS[kind], [f.url for f in result.frames]
    problems = result.violations(maps=False, best_practice=True)
    assert problems == [], f"{result.name} :\n{describe(problems)}"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind", PAGES)
def test_pages_pass_axe(audits, kind: str, profile: str):
    _assert_page_passes(audits(kind, profile), kind)


@pytest.mark.parametrize("kind", PAGES)
def test_region_pages_pass_axe(audits, kind: str):
    _assert_page_passes(audits(kind, REGION), kind)


@pytest.mark.parametrize("profile", [*PROFILES, REGION])
def test_map_documents_pass_axe(audits, profile: str):
    """The standalone map and every map embedded in the atlas and the review (WCAG rules and
    axe's best practices: one main landmark, one heading, nothing outside landmarks)."""
    problems = []
    for kind in ("carte", "index", "page", "revue"):
        result = audits(kind, profile)
        assert any(f.is_map for f in result.frames), f"{kind} : aucune carte auditée"
        problems += result.violations(maps=True, best_practice=True)
    assert problems == [], f"{profile} :\n{describe(problems)}"


def test_the_audit_reaches_every_frame_and_reports_what_breaks(browser, tmp_path):
    """The harness itself: a violation in a nested frame is found, and named by its frame."""
    inner = tmp_path / "inner.html"
    inner.write_text(
        '<!DOCTYPE html><html lang="fr"><head><title>cadre</title></head><body><main><h1>Cadre</h1>'
        '<p style="color:#bbb;background:#fff">pâle</p><img src="x.png"></main></body></html>',
        encoding="utf-8",
    )
    outer = tmp_path / "outer.html"
    outer.write_text(
        "<!DOCTYPE html><html><head><title>page</title></head><body><main><h1>Page</h1>"
        '<iframe src="inner.html"></iframe></main></body></html>',
        encoding="utf-8",
    )
    with offline_page(browser) as state:
        state.page.goto(outer.as_uri())
        result = audit(state.page, "harnais")
    by_frame = {f.url: {v.rule for v in f.violations} for f in result.frames}
    assert by_frame == {
        "harnais (page)": {"html-has-lang", "frame-title"},
        "inner.html": {"color-contrast", "image-alt"},
    }
    text = describe(result.violations(maps=False))
    assert "image-alt (critical)" in text and "inner.html" in text and "img" in text


FOCUSABLE_JS = """() => {
    const selector = 'a[href], button:not([disabled]), summary, iframe, input:not([disabled]),'
        + ' select, textarea, [tabindex]:not([tabindex="-1"])';
    const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'
        && !(e.closest('details:not([open])') && e.tagName !== 'SUMMARY'
             && e.closest('details:not([open])').querySelector('summary') !== e);
    const all = [...document.querySelectorAll(selector)].filter(shown);
    all.forEach((e, i) => e.setAttribute('data-gg-walk', String(i)));
    return all.map(e => e.tagName + ' ' + (e.getAttribute('aria-label') || e.textContent).trim().slice(0, 40));
}"""
FOCUSED_JS = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const s = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    return {walk: e.getAttribute('data-gg-walk'), tag: e.tagName, id: e.id,
            label: (e.getAttribute('aria-label') || e.textContent).trim().slice(0, 40),
            indicator: outline || s.boxShadow !== 'none', top: r.top, height: r.height};
}"""


def _walk(page: Any, *, max_steps: int = 600) -> tuple[list[dict[str, Any]], int]:
    """Tab until focus leaves the page: the page's stops, and the stops inside its map."""
    stops: list[dict[str, Any]] = []
    in_map = 0
    for _ in range(max_steps):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        if focused is None:
            return stops, in_map
        if focused["tag"] == "IFRAME":
            in_map += 1  # a control of the embedded map (tested with the map documents)
            continue
        stops.append(focused)
    pytest.fail(f"la tabulation ne sort pas de la page après {max_steps} pressions")


def test_keyboard_walk_through_an_atlas_page(browser, outputs):
    """Tab from the top: skip link first, then every control of the page in order, each
    with a visible focus; Enter on the skip link lands in ``main``; Enter opens and closes
    a chart's data table."""
    with offline_page(browser) as state:
        page = state.page
        page.goto(outputs[("page", "partenaires")].as_uri())
        page.wait_for_function("window.gupgeoAtlas && window.gupgeoAtlas.ready === true")
        controls = page.evaluate(FOCUSABLE_JS)
        stops, in_map = _walk(page)
        assert stops[0]["label"] == "Aller au contenu" and stops[0]["top"] >= 0
        assert stops[0]["height"] > 0  # shown when focused
        assert [int(s["walk"]) for s in stops] == [
            i for i, c in enumerate(controls) if not c.startswith("IFRAME")
        ], (stops, controls)
        assert [s["label"] for s in stops if not s["indicator"]] == []
        assert in_map > 0  # the map is in the walk, between the map heading and its link
        summaries = [s for s in stops if s["tag"] == "SUMMARY"]
        assert len(summaries) == 3  # one data table per chart

        page.reload()
        page.wait_for_function("window.gupgeoAtlas && window.gupgeoAtlas.ready === true")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "contenu"
        assert page.url.endswith("#contenu")
        page.keyboard.press("Tab")  # the next stop is inside main: the navigation is skipped
        assert page.evaluate("() => !!document.activeElement.closest('main')")

        details = page.locator("details.gg-chart-data").first
        details.locator("summary").focus()
        page.keyboard.press("Enter")
        assert details.evaluate("d => d.open") and details.locator("table").is_visible()
        page.keyboard.press("Enter")
        assert not details.evaluate("d => d.open")
