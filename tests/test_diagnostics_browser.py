"""The relevé de conclusions and the walk sheet in a real browser: offline, no script
error, and axe-core (WCAG rules and best practices) finds nothing — like every product
(``tests/test_a11y.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import gupgeo
from gupgeo.diagnostics import build_releve, build_sheet, write_releve, write_sheet
from tests.a11y_support import audit, axe_source, describe
from tests.browser_support import launch_browser, offline_page
from tests.conftest import require_sample

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    axe_source()  # fail (CI) or skip before building anything when axe is absent
    out = tmp_path_factory.mktemp("diagnostics")
    territory = gupgeo.attribute_territory(gupgeo.load_territory(require_sample()))
    [releve, *_] = write_releve(build_releve(territory, "DEM-07"), out, pdf=False)
    [fiche] = write_sheet(build_sheet(territory, "LOC-SANITAS", day="2024-06-20"), out, pdf=False)
    return {"releve": releve, "fiche": fiche}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_browser() as instance:
        yield instance


@pytest.mark.parametrize("kind", ["releve", "fiche"])
def test_diagnostic_pages_pass_axe_offline(browser: Any, pages: dict[str, Path], kind: str) -> None:
    with offline_page(browser) as state:
        state.page.goto(pages[kind].as_uri())
        assert state.page.locator("h1").count() == 1
        assert state.page.locator("svg[role='img'] title").count() >= 1
        result = audit(state.page, f"diagnostic_{kind}", axe_source())
        assert state.js_errors() == []
    problems = result.violations(maps=False, best_practice=True)
    assert problems == [], f"{kind} :\n{describe(problems)}"
