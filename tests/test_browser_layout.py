"""Layout at 1,300 and 1,920 px in a real Chromium: no control covered, no table off the page.

Maps: the layer control (top right, expanded) and the legend (bottom right) each keep to
their half of the map; measured on the territory map and the veille map of the bundled
sample, every layer shown, at the widths and heights planners' laptops and screens have.
A companion test forces the legend into the control's corner and checks that the same
measure then reports the overlap (a guard that cannot fail would guard nothing).

Pages: the veille bulletin, an atlas page (its « Veille territoriale » section), the
atlas index and an operation review, built on the bundled sample. At both widths the
document is no wider than the window, and every table ends within its container, or
sits in a captioned scroll container of its own. Screenshots at 1,300 px go to
artifacts/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import gupgeo
from gupgeo.atlas import build_atlas
from gupgeo.bulletin import build_bulletin
from gupgeo.maps import map_territory, save_map
from gupgeo.review import review_operation
from tests.browser_support import ARTIFACTS, launch_browser, offline_page, require_assets
from tests.conftest import require_sample

pytestmark = pytest.mark.browser
WIDTHS = (1300, 1920)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as instance:
        yield instance


@pytest.fixture(scope="module")
def attributed() -> Any:
    return gupgeo.attribute_territory(gupgeo.load_territory(require_sample()))


@pytest.fixture(scope="module")
def maps(attributed: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require_assets()
    out = tmp_path_factory.mktemp("layout_maps")
    territory = out / "territoire.html"
    save_map(map_territory(attributed, basemap=None, publication="interne"), territory)
    bulletin = build_bulletin(attributed, period="2024", freq="trimestre")
    bulletin.save(out / "veille", basemap=None)
    return {"territoire": territory, "veille": out / "veille" / "carte.html"}


@pytest.fixture(scope="module")
def pages(attributed: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The pages holding tables: veille bulletin, atlas index and page, review."""
    require_assets()
    out = tmp_path_factory.mktemp("layout_pages")
    bulletin = build_bulletin(attributed, period="2024", freq="trimestre")
    (out / "bulletin.html").write_text(bulletin.html(), encoding="utf-8")
    atlas = build_atlas(
        attributed,
        out / "atlas",
        period="2024",
        quartiers=["LOC-SANITAS"],
        workers=1,
        progress=False,
        basemap=None,
        build_date="2025-01-15",
    )
    assert atlas.ok, atlas.summary()
    review = review_operation(attributed, "OP-01", basemap=None, build_date="2025-01-15")
    review.save(out / "revue.html")
    return {
        "bulletin": out / "bulletin.html",
        "atlas_page": out / "atlas" / "quartiers" / "loc-sanitas.html",
        "atlas_index": out / "atlas" / "index.html",
        "revue": out / "revue.html",
    }


# ----------------------------------------------------------------------- maps

FORCE_LEGEND_TOP = ".leaflet-bottom.leaflet-right { top: 0 !important; bottom: auto !important; }"


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _legend_and_control(browser: Any, path: Path, size: tuple[int, int], css: str = "") -> Any:
    """Boxes of the expanded layer control and of the legend, once the map is drawn."""
    with offline_page(browser) as state:
        state.page.set_viewport_size({"width": size[0], "height": size[1]})
        state.open(path)
        if css:
            state.page.add_style_tag(content=css)
        assert state.page.locator(".leaflet-control-layers-expanded").count() == 1
        return _box(state.page, ".leaflet-control-layers"), _box(state.page, ".gupgeo-legend")


SIZES = [(1300, 560), (1300, 700), (1920, 1080)]


@pytest.mark.parametrize("name", ["territoire", "veille"])
@pytest.mark.parametrize("size", SIZES)
def test_the_legend_never_covers_the_layer_control(browser, maps, name, size):
    control, legend = _legend_and_control(browser, maps[name], size)
    assert not _overlap(control, legend), (name, size, control, legend)
    for box in (control, legend):  # both within the map
        assert box["y"] >= 0 and box["y"] + box["height"] <= size[1]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_overlap_measure_sees_a_legend_in_the_control_corner(browser, maps, width):
    control, legend = _legend_and_control(browser, maps["veille"], (width, 700), FORCE_LEGEND_TOP)
    assert _overlap(control, legend), (width, control, legend)


# --------------------------------------------------------------------- tables

MEASURE = """() => {
  const rows = [];
  for (const table of document.querySelectorAll('table')) {
    const box = table.getBoundingClientRect();
    if (!box.width) continue;  // a closed <details>
    const parent = table.parentElement;
    const style = getComputedStyle(parent);
    rows.push({
      caption: table.caption ? table.caption.textContent.trim() : '',
      right: box.right,
      parentRight: parent.getBoundingClientRect().right,
      scrolls: ['auto', 'scroll'].includes(style.overflowX),
    });
  }
  return {scrollWidth: document.documentElement.scrollWidth, tables: rows};
}"""


def measure_tables(page: Any, path: Path, width: int) -> list[str]:
    """What sticks out of ``path`` at ``width`` px: the page itself, or a table."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    found = page.evaluate(MEASURE)
    problems = []
    if found["scrollWidth"] > width:
        problems.append(f"page {found['scrollWidth']} px > fenêtre {width} px")
    for t in found["tables"]:
        if t["right"] > t["parentRight"] + 1 and not (t["scrolls"] and t["caption"]):
            problems.append(f"« {t['caption']} » : {t['right']:.0f} > {t['parentRight']:.0f} px")
    assert found["tables"], path
    return problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["bulletin", "atlas_page", "atlas_index", "revue"])
def test_tables_stay_within_the_page(browser, pages, name, width):
    with offline_page(browser) as state:
        problems = measure_tables(state.page, pages[name], width)
        if width == 1300:
            ARTIFACTS.mkdir(exist_ok=True)
            state.page.screenshot(path=str(ARTIFACTS / f"tableaux-{name}-1300.png"), full_page=True)
    assert not problems, (name, width, problems)


def test_the_table_measure_sees_a_table_wider_than_the_page(browser, tmp_path):
    wide = "".join(f"<th>Colonne{i}_sans_coupure_possible</th>" for i in range(12))
    path = tmp_path / "large.html"
    path.write_text(f"<main><table><caption>Large</caption><tr>{wide}</tr></table></main>")
    with offline_page(browser) as state:
        problems = measure_tables(state.page, path, 1300)
    assert any(p.startswith("page ") for p in problems), problems
