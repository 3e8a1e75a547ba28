"""A region of 105 small quartiers in a real Chromium: readable at first view, counts equal.

The generated territory (tests/_region.py, synthetic) has quartiers of 5–40 ha spread over
250 km, eleven of them called "Centre Ville", and signalements on and just outside the
perimeters. At the first view every quartier must be visible (a marker where its polygon
would be a speck), no two names may overlap, the ``public`` map must show quartier totals
rather than invisible 200 m cells, and a quartier's popup must read the dashboard's count.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gupgeo.attribution import attribute_territory
from gupgeo.dashboard import build_dashboard
from gupgeo.maps import map_territory, save_map
from gupgeo.territory import Territory
from tests._region import HOMONYM, region_territory
from tests.browser_support import ARTIFACTS, OfflinePage, launch_browser, offline_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def territory() -> Territory:
    return attribute_territory(region_territory())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as instance:
        yield instance


@pytest.fixture
def page(browser: Any) -> Iterator[OfflinePage]:
    with offline_page(browser) as state:
        yield state


def saved(territory: Territory, tmp_path: Path, profile: str) -> Path:
    path = tmp_path / f"region_{profile}.html"
    save_map(map_territory(territory, publication=profile, basemap=None, title="Région"), path)
    return path


def shot(page: OfflinePage, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / name))


VISIBLE_LABELS = """() => [...document.querySelectorAll('.gupgeo-label-text')]
    .filter(e => e.style.visibility !== 'hidden')
    .map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""


def test_first_view_shows_every_quartier_and_no_label_overlaps(territory, page, tmp_path):
    page.open(saved(territory, tmp_path, "interne"))
    shot(page, "region_interne.png")
    assert page.js_errors() == []
    n_quartiers = len(territory["quartiers"])
    markers = page.page.evaluate("() => document.querySelectorAll('path.gupgeo-min-size').length")
    assert markers == n_quartiers, "chaque quartier trop petit à l'écran doit avoir son repère"
    boxes = page.page.evaluate(VISIBLE_LABELS)
    assert 10 <= len(boxes) < n_quartiers
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert not overlap, (a, b)
    page.page.evaluate("() => window.gupgeo.map.setZoom(window.gupgeo.map.getZoom() + 3)")
    page.page.wait_for_timeout(300)
    assert len(page.page.evaluate(VISIBLE_LABELS)) > 0


def test_public_first_view_shows_quartier_totals(territory, page, tmp_path):
    page.open(saved(territory, tmp_path, "public"))
    shot(page, "region_public.png")
    assert page.js_errors() == []
    zoom = page.page.evaluate("() => window.gupgeo.map.getZoom()")
    assert zoom < 13
    drawn = page.page.evaluate(
        """() => window.gupgeo.layers.filter(e => window.gupgeo.map.hasLayer(e.layer))
            .map(e => e.name)"""
    )
    assert "Signalements par quartier" in drawn
    assert "Signalements par carreau de 200 m" not in drawn
    page.page.evaluate("() => window.gupgeo.map.setZoom(14)")
    page.page.wait_for_timeout(300)
    drawn = page.page.evaluate(
        """() => window.gupgeo.layers.filter(e => window.gupgeo.map.hasLayer(e.layer))
            .map(e => e.name)"""
    )
    assert "Signalements par carreau de 200 m" in drawn
    assert "Signalements par quartier" not in drawn


def test_a_homonym_popup_reads_the_dashboard_count(territory, page, tmp_path):
    q = territory["quartiers"]
    homonyms = q[q["nom_qp"] == HOMONYM]
    assert len(homonyms) == 11
    code = str(homonyms["code_qp"].iloc[3])
    dates = territory["signalements"]["date_signalement"]
    period = f"{dates.min():%Y-%m-%d}/{dates.max():%Y-%m-%d}"
    expected = int(
        build_dashboard(territory, period=period)["signalements"].loc[code, "nb_signalements"]
    )
    page.open(saved(territory, tmp_path, "interne"))
    text = page.page.evaluate(
        """code => {
            const entry = window.gupgeo.layers.find(e => e.kind === 'quartiers');
            let found = null;
            entry.layer.eachLayer(l => { if (l.feature.properties.code_qp === code) found = l; });
            if (found.getPopup()) {
                found.openPopup();
                return document.querySelector('.leaflet-popup-content').textContent;
            }
            found.openTooltip();
            return document.querySelector('.leaflet-tooltip').textContent;
        }""",
        code,
    )
    assert HOMONYM in text
    digits = "".join(ch for ch in text.split("Signalements")[-1] if ch.isdigit())
    assert int(digits) == expected
