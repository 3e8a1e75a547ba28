"""One territory, one attribution, one truth: a quartier's count is the same number in
every product.

The bundled sample gets extra signalements on the Sanitas perimeter and a few metres
outside it (inside the 15 m tolerance): the points where "strictly inside" and the
attribution disagree. The dashboard, the map's quartier popup and its rate layer, and
the attribution report must then give every quartier the same count, and a product
given an attributed territory must not attribute it again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import gupgeo
from gupgeo.attribution import attribute_territory, attributed
from gupgeo.dashboard import build_dashboard
from gupgeo.maps import map_territory
from gupgeo.maps._elements import DataLayer, ThemedGroup
from gupgeo.territory import Territory

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
EDGE_CODE = "LOC-SANITAS"


def with_edge_points(t: Territory) -> Territory:
    """Six signalements on the Sanitas perimeter and six 5 m outside it."""
    sig = t["signalements"]
    ring = t["quartiers"].set_index("code_qp").geometry[EDGE_CODE].exterior
    vertices = np.asarray(ring.coords)[:-1]
    on_edge = [shapely.Point(vertices[i]) for i in np.linspace(0, len(vertices) - 1, 6, dtype=int)]
    outside_ring = shapely.Polygon(ring).buffer(5.0).exterior
    outside = [outside_ring.interpolate(f, normalized=True) for f in np.linspace(0.05, 0.95, 6)]
    extra = sig.iloc[:12].copy()
    extra["id"] = [f"BORD-{i}" for i in range(12)]
    extra["date_signalement"] = pd.Timestamp("2024-06-15")
    extra = extra.set_geometry(gpd.GeoSeries(on_edge + outside, crs=sig.crs).to_numpy())
    return t.with_layers({"signalements": pd.concat([sig, extra], ignore_index=True)})


@pytest.fixture(scope="module")
def territory() -> Territory:
    return attribute_territory(with_edge_points(gupgeo.load_territory(SAMPLE)))


def whole_period(t: Territory) -> str:
    dates = t["signalements"]["date_signalement"]
    return f"{dates.min():%Y-%m-%d}/{dates.max():%Y-%m-%d}"


def map_counts(m: object) -> dict[str, dict[str, int]]:
    """Signalements per quartier as the map's popups read them, per layer."""
    out: dict[str, dict[str, int]] = {}
    for group in m._children.values():  # type: ignore[attr-defined]
        if not isinstance(group, ThemedGroup):
            continue
        for element in group._children.values():
            if not (isinstance(element, DataLayer) and element.function == "vector"):
                continue
            spec = json.loads(element.spec_js)
            if spec["kind"] not in ("quartiers", "choropleth"):
                continue
            counts = {}
            for feature in spec["data"]["features"]:
                props = feature["properties"]
                value = props.get("_ind0", props.get("_x0"))
                key = props.get("code_qp", props.get("nom_qp"))
                counts[key] = int(str(value).replace("\u202f", ""))
            out[spec["kind"]] = counts
    return out


def test_edge_points_are_attributed_by_the_one_rule(territory):
    sig = territory["signalements"]
    edge = sig[sig["id"].str.startswith("BORD-")]
    assert (edge["code_qp"] == EDGE_CODE).all()
    assert territory.attribution_settings.tolerance_m == 15.0
    inside = edge.geometry.within(territory["quartiers"].set_index("code_qp").geometry[EDGE_CODE])
    assert not inside.any(), "the planted points must be those a strict count misses"


def test_map_popups_show_the_dashboard_counts(territory):
    db = build_dashboard(territory, period=whole_period(territory), freq="year")
    expected = db.tables["signalements"]["nb_signalements"]
    shown = map_counts(map_territory(territory, publication="interne", basemap=None))
    names = territory["quartiers"].set_index("nom_qp")["code_qp"]
    assert set(shown) == {"quartiers", "choropleth"}
    for code, value in shown["quartiers"].items():
        assert value == expected[code], code
    for name, value in shown["choropleth"].items():
        assert value == expected[names[name]], name
    report = next(r for r in territory.attribution["signalements"].layers if r.column == "code_qp")
    assert shown["quartiers"][EDGE_CODE] == report.per_zone[EDGE_CODE]


def test_products_do_not_attribute_again(territory, monkeypatch):
    from gupgeo.attribution import territory as attribution_module

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("un produit a rattaché une seconde fois")

    monkeypatch.setattr(attribution_module, "attribute_territory", refuse)
    assert attributed(territory) is territory
    map_territory(territory, publication="partenaires", basemap=None)
    build_dashboard(territory, period="2024")


def test_an_unattributed_territory_is_attributed_once_with_the_defaults():
    t = with_edge_points(gupgeo.load_territory(SAMPLE))
    once = attributed(t)
    assert once.attribution_settings is not None
    assert attributed(once) is once
    again = attribute_territory(once, tolerance_m=0)
    edge = again["signalements"]["id"].str.startswith("BORD-").to_numpy()
    on_perimeter = again["signalements"].loc[edge, "code_qp"]
    assert (on_perimeter.iloc[:6] == EDGE_CODE).all()  # covered_by: the perimeter counts
    assert on_perimeter.iloc[6:].isna().all()  # 5 m outside, no tolerance: hors QPV
    assert "code_qp_source" not in again["signalements"].columns


def test_a_saved_attributed_territory_attributes_again_identically(territory, tmp_path):
    path = territory.save(tmp_path / "territoire.gpkg")
    back = gupgeo.load_territory(path)
    again = attribute_territory(back)
    before = territory["signalements"].set_index("id")["code_qp"]
    after = again["signalements"].set_index("id")["code_qp"]
    pd.testing.assert_series_equal(after.loc[before.index], before, check_dtype=False)
    assert "code_qp_source" not in again["signalements"].columns
    assert list(again["signalements"].columns).count("code_qp") == 1


def test_atlas_map_legend_counts_the_quartiers_own_signalements(territory, tmp_path, monkeypatch):
    from tests.browser_support import write_fake_assets

    monkeypatch.setenv("GUPGEO_ASSETS_DIR", str(write_fake_assets(tmp_path / "assets")))
    code = "LOC-SANITAS"
    result = gupgeo.build_atlas(
        territory, tmp_path / "atlas", period="2024", quartiers=[code], workers=1,
        progress=False, basemap=None, publication="interne",
    )  # fmt: skip
    assert result.ok, result.summary()
    text = (tmp_path / "atlas" / "cartes" / "loc-sanitas.html").read_text(encoding="utf-8")
    finish = text[text.index("new gupgeo.Legend(") :]
    legend = finish[finish.index('"title":"Signalements"') :]
    legend = legend[: legend.index("]}")]
    counts = [int(c.replace("\u202f", "")) for c in re.findall(r'"count":"([\d\u202f]+)"', legend)]
    expected = build_dashboard(territory, period="2024")["signalements"].loc[
        code, "nb_signalements"
    ]
    assert sum(counts) == expected
    assert "Signalements alentour" in finish


def test_repeated_problems_are_one_count_in_the_atlas_the_bulletin_and_the_indicator(
    territory, tmp_path, monkeypatch
):
    """One grouping: the atlas page, the veille bulletin and the indicator agree, and
    the problems the page lists are the indicator's own, in the same order."""
    from gupgeo.bulletin.build import build_bulletin
    from gupgeo.veille.problems import repeated_problems
    from tests._html_parse import parse
    from tests.browser_support import write_fake_assets

    monkeypatch.setenv("GUPGEO_ASSETS_DIR", str(write_fake_assets(tmp_path / "assets")))
    code = EDGE_CODE
    result = gupgeo.build_atlas(
        territory, tmp_path / "atlas", period="2024", quartiers=[code], workers=1,
        progress=False, basemap=None, publication="interne",
    )  # fmt: skip
    assert result.ok, result.summary()
    page = parse(tmp_path / "atlas" / result.pages[0].href)
    shown = {k.split(":")[1]: int(v) for k, v, _ in page.indicators if k.startswith("problemes_")}
    truth = repeated_problems(territory["signalements"], territory["quartiers"], period="2024")
    bulletin = build_bulletin(territory, period="2024", freq="trimestre")
    expected = truth.table.loc[code]
    assert shown == {c: expected[c] for c in shown} and len(shown) == 3
    assert bulletin.summary.loc[code, "nb_problemes_repetes"] == expected["nb_problemes_repetes"]
    listed = [int(r[3]) for r in page.tables["veille-repetes"]]
    mine = truth.of_quartier(code).groups
    assert listed == mine["nb_signalements"].head(20).tolist()
    assert len(bulletin.repeated) == truth.table.loc["total", "nb_problemes_repetes"]
