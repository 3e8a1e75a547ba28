"""Every product builds from a territory holding only the required columns of each layer.

A planner's own files rarely carry the optional columns of the bundled sample (commune,
population, statut, adresse…): the map, the dashboard, its exports, the atlas and the
review must still build, saying "non renseigné" or "n.c." where a value is missing.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import gupgeo
from gupgeo.atlas import build_atlas
from gupgeo.dashboard import build_dashboard, export_dashboard
from gupgeo.maps import map_territory, save_map
from gupgeo.review import review_operation
from gupgeo.schemas import SCHEMAS
from gupgeo.territory import Territory
from gupgeo.validation.values import DESCRIPTIVE_FALLBACKS

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def required_only(t: Territory) -> Territory:
    """The columns validation guarantees: the required ones, and the descriptive ones it
    fills when blank (an équipement's or operation's ``nom``, from its type and id)."""
    layers = {}
    for name, frame in t.layers.items():
        filled = DESCRIPTIVE_FALLBACKS.get(name, {})
        keep = [
            c.name
            for c in SCHEMAS[name].columns
            if (c.required or c.name in filled) and c.name in frame.columns
        ]
        if isinstance(frame, gpd.GeoDataFrame):
            layers[name] = gpd.GeoDataFrame(
                frame[keep], geometry=frame.geometry.array, crs=frame.crs
            )
        else:
            layers[name] = pd.DataFrame(frame[keep])
    return Territory(layers, provenance=t.provenance, report=t.report)


@pytest.fixture(scope="module")
def territory() -> Territory:
    return required_only(gupgeo.load_territory(SAMPLE))


def test_the_territory_really_is_minimal(territory):
    assert list(territory["quartiers"].drop(columns="geometry").columns) == ["code_qp", "nom_qp"]
    assert "statut" not in territory["signalements"].columns


@pytest.mark.parametrize("profile", ["interne", "partenaires", "public"])
def test_map_builds(territory, fake_assets, tmp_path, profile):
    report = save_map(
        map_territory(territory, publication=profile, basemap=None), tmp_path / "c.html"
    )
    assert report.total_bytes > 0


def test_dashboard_and_exports_build(territory, tmp_path):
    db = build_dashboard(territory, period="2024")
    assert db["signalements"].loc["total", "nb_signalements"] > 0
    written = export_dashboard(db, tmp_path / "tableau", charts=True)
    assert any(p.suffix == ".xlsx" for p in written)


def test_atlas_builds_every_page(territory, fake_assets, tmp_path):
    result = build_atlas(
        territory, tmp_path / "atlas", period="2024", workers=1, progress=False, basemap=None
    )
    assert result.ok, result.summary()
    assert len(result.pages) == len(territory["quartiers"])


def test_review_builds(territory, fake_assets, tmp_path):
    path = review_operation(territory, "OP-03", basemap=None).save(tmp_path / "revue.html")
    assert "OP-03" in path.read_text(encoding="utf-8")
