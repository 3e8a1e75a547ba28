"""The atlas of the whole bundled sample, opened in a real headless Chromium, offline.

The atlas is built once (every quartier, two processes, real Leaflet assets). Every
non-``file://`` request is aborted; tiles of the basemap fail quietly and are the only
errors tolerated. Screenshots go to artifacts/ (git-ignored). Fails in CI when
Chromium or the assets are missing (see tests/browser_support.py), skips elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import gupgeo
from gupgeo.atlas import AtlasResult, build_atlas
from tests.browser_support import ARTIFACTS, OfflinePage, launch_browser, require_assets
from tests.browser_support import offline_page as open_offline_page

pytestmark = pytest.mark.browser
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TILE_HOSTS = ("data.geopf.fr", "tile.openstreetmap.org")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as instance:
        yield instance


@pytest.fixture
def offline(browser: Any) -> Iterator[OfflinePage]:
    with open_offline_page(browser) as page:
        yield page


@pytest.fixture(scope="module")
def atlas(tmp_path_factory: pytest.TempPathFactory) -> AtlasResult:
    require_assets()
    out = tmp_path_factory.mktemp("atlas_complet")
    result = build_atlas(
        gupgeo.load_territory(SAMPLE), out, period="2024", workers=2, progress=False,
        build_date="2025-01-15",
    )  # fmt: skip
    assert result.ok, result.summary()
    return result


def shot(page: Any, name: str, *, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    return path


def wait_for_map(page: Any) -> Any:
    """The iframe of the page's map, once its Leaflet runtime has drawn every layer."""
    page.wait_for_selector("iframe.gg-map-frame")
    frame = page.frame_locator("iframe.gg-map-frame")
    frame.locator(".leaflet-container").wait_for(timeout=15_000)
    inner = next(f for f in page.frames if f != page.main_frame)
    inner.wait_for_function("window.gupgeo && window.gupgeo.ready === true", timeout=15_000)
    return inner


def test_index_opens_offline_sorts_and_leads_to_a_page(atlas: AtlasResult, offline):
    page = offline.page
    page.goto(atlas.index.as_uri())
    page.wait_for_function("window.gupgeoAtlas && window.gupgeoAtlas.ready === true")
    inner = wait_for_map(page)
    drawn = inner.evaluate("() => window.gupgeo.layers.map(e => [e.name, e.count])")
    assert dict(drawn)["Indicateur"] == 10
    assert offline.js_errors(allowed_hosts=TILE_HOSTS) == []
    assert all(any(h in url for h in TILE_HOSTS) for url in offline.blocked)
    shot(page, "atlas_index.png", full_page=True)

    # Sort by signalements (4th column): two clicks give the decreasing order.
    header = page.locator("#comparaison thead th").nth(3).locator("button")
    header.click()
    header.click()
    values = page.eval_on_selector_all(
        "#comparaison tbody tr td:nth-child(4)", "cells => cells.map(c => +c.dataset.value)"
    )
    assert values == sorted(values, reverse=True) and len(values) == 10
    assert page.locator("#comparaison thead th").nth(3).get_attribute("aria-sort") == "descending"
    first = page.locator("#comparaison tbody tr th a").first
    name = first.inner_text()
    first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == name
    wait_for_map(page)
    assert offline.js_errors(allowed_hosts=TILE_HOSTS) == []


def test_quartier_page_offline_with_map_charts_and_print_view(atlas: AtlasResult, offline):
    page = offline.page
    sanitas = next(p for p in atlas.pages if p.code_qp == "LOC-SANITAS")
    page.goto((atlas.out_dir / sanitas.href).as_uri())
    inner = wait_for_map(page)
    layers = dict(inner.evaluate("() => window.gupgeo.layers.map(e => [e.name, e.count])"))
    assert layers["Signalements"] > 1000
    assert layers["Problèmes signalés plusieurs fois"] == 20 and "Constats" in layers
    assert {"Points chauds", "Points chauds émergents"} <= set(layers)
    # Charts are loaded local SVG images with a real size.
    widths = page.eval_on_selector_all(".gg-chart img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 3 and min(widths) > 300
    assert offline.js_errors(allowed_hosts=TILE_HOSTS) == []
    shot(page, "atlas_sanitas.png")
    shot(page, "atlas_sanitas_page.png", full_page=True)
    # Next page link.
    page.locator("a[rel=next]").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() != "Sanitas"
    page.go_back()
    page.wait_for_load_state("load")
    # Print: the static map replaces the interactive one, navigation disappears.
    page.emulate_media(media="print")
    assert page.locator("svg.gg-printmap").is_visible()
    assert not page.locator("iframe.gg-map-frame").is_visible()
    assert not page.locator("nav.gg-nav").is_visible()
    shot(page, "atlas_sanitas_print.png")
