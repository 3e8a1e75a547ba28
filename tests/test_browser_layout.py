"""Layout at 1,300 and 1,920 px in a real Chromium: the legend never covers the layer control.

The layer control (top right, expanded) and the legend (bottom right) each keep to their
half of the map; measured on the territory map with every layer shown, at the widths and
heights planners' laptops and screens have.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gupgeo.maps import map_territory, save_map
from tests.browser_support import launch_browser, offline_page, require_assets, territory

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as instance:
        yield instance


@pytest.fixture(scope="module")
def map_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_assets()
    path = tmp_path_factory.mktemp("layout") / "carte.html"
    save_map(map_territory(territory(200), basemap=None, publication="interne"), path)
    return path


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"]
    )  # fmt: skip


@pytest.mark.parametrize("size", [(1300, 560), (1300, 700), (1920, 1080)])
def test_the_legend_never_covers_the_layer_control(browser, map_html, size):
    with offline_page(browser) as state:
        state.page.set_viewport_size({"width": size[0], "height": size[1]})
        state.open(map_html)
        control = _box(state.page, ".leaflet-control-layers")
        legend = _box(state.page, ".gupgeo-legend")
        assert not _overlap(control, legend), (size, control, legend)
        for box in (control, legend):  # both within the map
            assert box["y"] >= 0 and box["y"] + box["height"] <= size[1]
