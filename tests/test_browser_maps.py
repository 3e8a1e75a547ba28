"""Saved maps opened in a real headless Chromium with every network request blocked.

Screenshots go to artifacts/ (git-ignored). Fails in CI when Chromium or the Leaflet
assets are missing (see tests/browser_support.py), skips elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gupgeo.maps import map_territory, save_map
from tests.browser_support import (
    ARTIFACTS,
    XSS_IMG,
    XSS_SCRIPT,
    OfflinePage,
    launch_browser,
    require_assets,
    territory,
)
from tests.browser_support import (
    offline_page as open_offline_page,
)

pytestmark = pytest.mark.browser
TILE_HOST = "data.geopf.fr"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as instance:
        yield instance


@pytest.fixture
def offline_page(browser: Any) -> Iterator[OfflinePage]:
    with open_offline_page(browser) as page:
        yield page


@pytest.fixture(scope="module")
def layers() -> dict[str, Any]:
    return territory(60)


@pytest.fixture(scope="module")
def interne_html(layers: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_assets()
    path = tmp_path_factory.mktemp("maps") / "interne.html"
    m = map_territory(layers, basemap="plan-ign", title="Carte d'essai", subtitle="Quartiers de Tours",
                      sources="équipe GUP (données fictives)", date="2025-11-26",
                      publication="interne")  # fmt: skip
    save_map(m, path)
    return path


def shot(page: OfflinePage, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def count(page: OfflinePage, selector: str) -> int:
    return int(page.page.evaluate("s => document.querySelectorAll(s).length", selector))


def registry(page: OfflinePage) -> dict[str, Any]:
    return page.page.evaluate(
        """() => Object.fromEntries(window.gupgeo.layers.map(e => [e.name, {
            kind: e.kind, count: e.count, onMap: window.gupgeo.map.hasLayer(e.group),
            stats: e.layer.stats ? e.layer.stats() : null }]))"""
    )


def test_map_opens_offline_and_draws_every_feature(interne_html, offline_page, layers):
    offline_page.open(interne_html)
    page = offline_page
    assert page.page.evaluate("window.gupgeo.map instanceof L.Map && L.version") == "1.9.4"
    assert page.js_errors(allowed_hosts=(TILE_HOST,)) == []
    assert page.blocked and all(TILE_HOST in url for url in page.blocked)  # only tiles wanted out
    assert page.dialogs == []
    assert count(page, "path.gupgeo-quartiers") == 3
    assert count(page, "path.gupgeo-operations") == 1
    assert count(page, ".gupgeo-badge") == len(layers["equipements"])
    assert count(page, "path.gupgeo-constats") == len(layers["constats"])
    labels = page.page.eval_on_selector_all(
        ".gupgeo-label-text", "els => els.map(e => e.textContent)"
    )
    assert sorted(labels) == sorted(layers["quartiers"]["nom_qp"])
    points = registry(page)["Signalements"]
    assert points["stats"] == {"points": 60, "items": points["stats"]["items"], "total": 60}
    assert count(page, "canvas.gupgeo-points") == 1
    caption = page.page.inner_text(".gupgeo-caption")
    assert (
        "Carte d'essai" in caption
        and "26 novembre 2025" in caption
        and "Diffusion : interne" in caption
    )
    shot(page, "carte_interne_hors_ligne.png")


def test_layers_toggle(interne_html, offline_page):
    offline_page.open(interne_html)
    page = offline_page.page
    signalements = page.get_by_role("checkbox", name="Signalements", exact=True)
    assert signalements.is_checked()
    signalements.uncheck()
    assert count(offline_page, "canvas.gupgeo-points") == 0
    assert registry(offline_page)["Signalements"]["onMap"] is False
    heat = page.get_by_role("checkbox", name="Densité des signalements", exact=True)
    assert not heat.is_checked() and count(offline_page, "canvas.leaflet-heatmap-layer") == 0
    heat.check()
    assert count(offline_page, "canvas.leaflet-heatmap-layer") == 1
    page.get_by_role("checkbox", name="Quartiers prioritaires", exact=True).uncheck()
    assert count(offline_page, "path.gupgeo-quartiers") == 0
    signalements.check()
    assert registry(offline_page)["Signalements"]["stats"]["points"] == 60
    page.get_by_role("radio", name="OpenStreetMap").check()
    assert page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-tile')].some(t => t.src.includes('openstreetmap'))"
    )
    assert offline_page.js_errors(allowed_hosts=(TILE_HOST, "openstreetmap.org")) == []


def test_legend_entries_match_the_data(interne_html, offline_page, layers):
    offline_page.open(interne_html)
    rows = offline_page.page.evaluate(
        """() => [...document.querySelectorAll('.gupgeo-legend-section')]
            .filter(s => s.style.display !== 'none')
            .map(s => [s.querySelector('.gupgeo-legend-name').textContent,
                       [...s.querySelectorAll('.gupgeo-legend-entry')].map(e => [
                          e.querySelector('.gupgeo-legend-label').textContent,
                          (e.querySelector('.gupgeo-legend-count') || {}).textContent || null])])"""
    )
    sections = dict(rows)
    types = layers["equipements"]["type"].fillna("non renseigné").value_counts()
    assert dict(sections["Équipements"]) == {k: str(v) for k, v in types.items()}
    categories = layers["signalements"]["categorie"].value_counts()
    shown = {k: v for k, v in sections["Signalements"] if v is not None}
    assert shown == {k: str(v) for k, v in categories.items()}
    assert "Densité des signalements" not in sections  # hidden layer, hidden legend


def _close_popup(page: Any) -> None:
    """Close the open popup and wait until Leaflet has removed it from the page.

    A closed popup fades out and stays in the DOM for 200 ms: reading
    ``.leaflet-popup-content`` before then may return the previous popup's text.
    """
    page.evaluate("window.gupgeo.map.closePopup()")
    page.wait_for_selector(".leaflet-popup", state="detached", timeout=5_000)


def _open_popup_on_point(page: Any, description: str) -> str:
    """Zoom on the signalement with this description, click it like a user, return the popup."""
    _close_popup(page)
    point = page.evaluate(
        """d => { const e = window.gupgeo.layers.find(l => l.kind === 'points'), lyr = e.layer;
                  const f = lyr._spec.fields.find(f => f.label === 'Description');
                  const i = f.v.indexOf(d);
                  window.gupgeo.map.setView([lyr._pts.lat[i], lyr._pts.lng[i]], 18, {animate: false});
                  const p = window.gupgeo.map.latLngToContainerPoint([lyr._pts.lat[i], lyr._pts.lng[i]]);
                  const r = window.gupgeo.map.getContainer().getBoundingClientRect();
                  return [p.x + r.left, p.y + r.top]; }""",
        description,
    )
    page.mouse.click(point[0], point[1])
    # strict locator: fails if a second popup were still on the page
    return str(page.locator(".leaflet-popup-content").inner_text(timeout=5_000))


def test_hostile_text_displays_as_text_and_runs_nothing(interne_html, offline_page):
    offline_page.open(interne_html)
    page = offline_page.page
    for payload in (XSS_IMG, XSS_SCRIPT):
        text = _open_popup_on_point(page, payload)
        assert payload in text
        assert count(offline_page, ".leaflet-popup-content img, .leaflet-popup-content script") == 0
    page.wait_for_timeout(400)  # popup fade-in
    shot(offline_page, "carte_popup_echappee.png")
    # an équipement named <script>…</script>: click its badge
    page.evaluate("window.gupgeo.map.fitBounds(window.gupgeo.layers[0].layer.getBounds())")
    badge = page.evaluate_handle(
        """s => { let icon = null; window.gupgeo.layers.find(l => l.kind === 'equipements').layer
                  .eachLayer(m => { if (m.feature.properties.nom === s) icon = m._icon; }); return icon; }""",
        XSS_SCRIPT,
    )
    _close_popup(page)  # the signalement popup above shows the same string
    badge.as_element().click()
    title = page.locator(".leaflet-popup-content .gupgeo-info-title")
    assert title.inner_text(timeout=5_000) == XSS_SCRIPT
    # an apostrophe in a quartier name: hover the quartier, read its tooltip
    box = page.evaluate(
        """n => { let c = null; window.gupgeo.layers.find(l => l.kind === 'quartiers').layer
                  .eachLayer(l => { if (l.feature.properties._nom === n) c = l.getBounds().getCenter(); });
                  const p = window.gupgeo.map.latLngToContainerPoint(c); return [p.x, p.y + 30]; }""",
        "Rue de l'Alouette",
    )
    page.mouse.move(box[0], box[1])
    page.wait_for_function(
        """n => [...document.querySelectorAll('.leaflet-tooltip .gupgeo-info-title')]
                 .some(t => t.textContent === n)""",
        arg="Rue de l'Alouette",
        timeout=5_000,
    )
    assert count(offline_page, 'img[src="x"], img[src$="/x"]') == 0
    assert offline_page.dialogs == []
    assert offline_page.js_errors(allowed_hosts=(TILE_HOST,)) == []


def test_point_clicked_while_the_map_pans_opens_its_popup(interne_html, offline_page):
    # The canvas moves with the map until 'moveend' (drag, autopan, inertia): the hit test
    # must follow it. A fake clock freezes an animated pan halfway.
    page = offline_page.page
    page.clock.install()
    offline_page.open(interne_html)
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)
    target = page.evaluate(
        """() => { const m = window.gupgeo.map, lyr = window.gupgeo.layers.find(l => l.kind === 'points').layer;
                   const i = lyr._spec.fields.find(f => f.label === 'Identifiant').v.indexOf('S0');
                   const ll = [lyr._pts.lat[i], lyr._pts.lng[i]];
                   m.setView(ll, 18, {animate: false});
                   window.panEnded = false; m.once('moveend', () => { window.panEnded = true; });
                   m.panBy([200, 120], {duration: 1, easeLinearity: 1});
                   return ll; }"""
    )
    page.clock.run_for(500)
    x, y, dx, dy = page.evaluate(
        """ll => { const m = window.gupgeo.map, p = m.latLngToContainerPoint(ll),
                         r = m.getContainer().getBoundingClientRect(), c = m.getSize().divideBy(2);
                   return [p.x + r.left, p.y + r.top, c.x - p.x, c.y - p.y]; }""",
        target,
    )
    assert abs(dx) > 50 and abs(dy) > 30  # the dot has moved well beyond its hit radius
    assert page.evaluate("window.panEnded") is False  # still panning: no redraw yet
    page.mouse.click(x, y)
    text = page.locator(".leaflet-popup-content").inner_text(timeout=5_000)
    assert "Identifiant\tS0" in text and XSS_IMG in text
    assert offline_page.js_errors(allowed_hosts=(TILE_HOST,)) == []


def test_public_map_offline_without_basemap(layers, offline_page, tmp_path):
    path = tmp_path / "public.html"
    save_map(
        map_territory(layers, basemap=None, publication="public", title="Carte publique"), path
    )
    offline_page.open(path)
    assert offline_page.blocked == [] and offline_page.js_errors() == []
    kinds = {v["kind"] for v in registry(offline_page).values()}
    assert "points" not in kinds and "heatmap" not in kinds
    cells = registry(offline_page)["Signalements par carreau de 200 m"]["count"]
    assert count(offline_page, "path.gupgeo-choropleth") == cells + len(layers["constats"]) - 1
    assert "Diffusion : public" in offline_page.page.inner_text(".gupgeo-caption")
    shot(offline_page, "carte_publique.png")


def test_twenty_thousand_points_are_all_drawn_and_zoomable(offline_page, tmp_path):
    path = tmp_path / "grand.html"
    save_map(map_territory({"signalements": territory(20_000)["signalements"]}, basemap=None,
                           signalements_views=("clusters",)), path)  # fmt: skip
    offline_page.open(path)
    stats = registry(offline_page)["Signalements"]["stats"]
    assert stats["points"] == 20_000 and stats["items"] < 2_000
    zoomed = offline_page.page.evaluate(
        """() => { const m = window.gupgeo.map; m.setZoom(m.getZoom() + 1, {animate: false});
                   return window.gupgeo.layers[0].layer.stats(); }"""
    )
    assert zoomed["points"] <= 20_000 and zoomed["items"] > stats["items"]
    assert offline_page.js_errors() == []


def focused(page: OfflinePage) -> str:
    return str(
        page.page.evaluate(
            """() => { const a = document.activeElement;
                return (a.getAttribute('class') || a.tagName) + ' | ' + (a.textContent || '').trim(); }"""
        )
    )


def test_keyboard_walk_reaches_the_controls_and_the_map_data(interne_html, offline_page, layers):
    """Tab from the top of the page: the skip link first, then the map, then its controls —
    never one stop per shape; the data panel lists every quartier and opens a popup whose
    focus returns to its row on Escape."""
    page = offline_page
    page.open(interne_html)
    stops = []
    for _ in range(12):
        page.page.keyboard.press("Tab")
        stops.append(focused(page))
    assert stops[0].startswith("gupgeo-skip | Aller aux données de la carte")
    assert not any("gupgeo-quartiers" in s or "gupgeo-operations" in s for s in stops), stops
    assert any(s.startswith("gupgeo-data-button") for s in stops), stops
    assert any("Zoom avant" in s or "leaflet-control-zoom-in" in s for s in stops), stops

    page.page.reload()
    page.page.wait_for_function("() => window.gupgeo && window.gupgeo.ready")
    page.page.keyboard.press("Tab")
    page.page.keyboard.press("Enter")
    assert focused(page) == "DIV | Données de la carte" or "Données de la carte" in focused(page)
    tables = page.page.evaluate(
        """() => [...document.querySelectorAll('#gupgeo-data table')].map(t => [
            t.querySelector('caption').textContent,
            [...t.querySelectorAll('tbody th button')].map(b => b.textContent)])"""
    )
    by_layer = {caption.split(" — ")[0]: names for caption, names in tables}
    assert sorted(by_layer["Quartiers prioritaires"]) == sorted(layers["quartiers"]["nom_qp"])
    assert "Équipements" in by_layer and "Signalements" in by_layer
    headers = page.page.evaluate(
        "() => [...document.querySelectorAll('#gupgeo-data thead th')].every(th => th.scope === 'col')"
    )
    assert headers
    # Open an équipement from its row: its popup takes the focus; Escape gives it back.
    name = by_layer["Équipements"][0]
    button = page.page.locator("#gupgeo-data button.gupgeo-data-open", has_text=name).first
    button.focus()
    page.page.keyboard.press("Enter")
    page.page.wait_for_selector(".leaflet-popup")
    assert name in page.page.evaluate("() => document.activeElement.textContent")
    assert page.page.get_attribute(".leaflet-popup-close-button", "aria-label") == "Fermer la fiche"
    page.page.keyboard.press("Escape")
    page.page.wait_for_selector(".leaflet-popup", state="detached")
    assert focused(page) == f"gupgeo-data-open | {name}"
    # A group of signalements: its row zooms on it, as a click would.
    zoom = page.page.evaluate("() => window.gupgeo.map.getZoom()")
    group = page.page.locator("#gupgeo-data button.gupgeo-data-open", has_text="Groupe de").first
    group.focus()
    page.page.keyboard.press("Enter")
    page.page.wait_for_function(f"() => window.gupgeo.map.getZoom() > {zoom}")
    page.page.keyboard.press("Escape")
    assert page.page.locator("#gupgeo-data").is_hidden()
    assert focused(page).startswith("gupgeo-data-button")
    shot(page, "map_keyboard.png")
    # Switching a layer off in the layer control takes its table out of the open panel.
    page.page.click(".gupgeo-data-button")
    captions = (
        "() => [...document.querySelectorAll('#gupgeo-data caption')].map(c => c.textContent)"
    )
    assert any(c.startswith("Équipements") for c in page.page.evaluate(captions))
    page.page.locator(".leaflet-control-layers label", has_text="Équipements").locator(
        "input"
    ).click()
    assert not any(c.startswith("Équipements") for c in page.page.evaluate(captions))
    assert page.js_errors(allowed_hosts=(TILE_HOST,)) == []


def test_layer_and_theme_names_reach_the_layer_control_as_text(layers, tmp_path, offline_page):
    require_assets()
    from gupgeo.maps import add_quartiers, base_map

    m = base_map(basemap="plan-ign")
    add_quartiers(m, layers["quartiers"], name=XSS_IMG, theme=XSS_SCRIPT)
    path = tmp_path / "noms.html"
    save_map(m, path)
    offline_page.open(path)
    labels = offline_page.page.inner_text(".leaflet-control-layers")
    assert XSS_IMG in labels and XSS_SCRIPT in labels
    assert count(offline_page, ".leaflet-control-layers img") == 0
    assert offline_page.page.evaluate("() => window.xss === undefined")


def swatch_colours(page: OfflinePage, section: str) -> dict[str, str]:
    """Legend label → the colour at the centre of its swatch, as rendered on screen."""
    import io

    from PIL import Image

    out = {}
    index = page.page.evaluate(
        """name => [...document.querySelectorAll('.gupgeo-legend-section')]
            .findIndex(s => s.querySelector('.gupgeo-legend-name').textContent === name)""",
        section,
    )
    assert index >= 0, section
    entries = page.page.locator(".gupgeo-legend-section").nth(index).locator(".gupgeo-legend-entry")
    for k in range(entries.count()):
        entry = entries.nth(k)
        label = entry.locator(".gupgeo-legend-label").inner_text()
        png = entry.locator(".gupgeo-swatch").screenshot()
        image = Image.open(io.BytesIO(png)).convert("RGB")
        r, g, b = image.getpixel((image.width // 2, image.height // 2))
        out[label] = f"#{r:02x}{g:02x}{b:02x}"
    return out


@pytest.mark.parametrize("vision", ["deuteranopia", "protanopia"])
def test_categories_stay_distinct_for_colour_blind_readers(interne_html, offline_page, vision):
    """Chromium's own simulation of the deficiency; the colours read back from the legend
    swatches stay apart (ΔE*ab), and the screenshot is kept to be looked at."""
    from gupgeo.palette import MIN_DELTA_E, min_distance

    page = offline_page
    page.open(interne_html)
    cdp = page.page.context.new_cdp_session(page.page)
    cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": vision})
    colours = swatch_colours(page, "Signalements")
    categories = [c for label, c in colours.items() if "groupe" not in label]
    assert len(categories) >= 3
    # Anti-aliasing and the simulation blur the reading a little: a margin of 20 %.
    assert min_distance(categories) >= 0.8 * MIN_DELTA_E, colours
    shot(page, f"map_{vision}.png")
