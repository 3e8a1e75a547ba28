"""Veille map layers: hot/cold bins and emerging categories, with counted legends."""

from __future__ import annotations

import geopandas as gpd
import shapely

from gupgeo.maps import base_map
from gupgeo.maps.veille import add_emerging, add_hotspots
from tests.test_maps import legend, specs


def _cells(column: str, values: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id_carreau": [f"C{i}" for i in range(len(values))],
            "code_qp": ["QP1"] * len(values),
            "nb_signalements": [12] * len(values),
            column: values,
        },
        geometry=[
            shapely.box(525_000 + 200 * i, 6_701_000, 525_200 + 200 * i, 6_701_200)
            for i in range(len(values))
        ],
        crs=2154,
    )


def test_hotspot_bins_are_drawn_with_a_legend():
    cells = _cells(
        "classe",
        ["point chaud 99 %", "point chaud 99 %", "point froid 95 %", "non significatif",
         "secret statistique"],
    )  # fmt: skip
    m = base_map(basemap=None)
    add_hotspots(m, cells)
    entries = legend(m, "Points chauds")
    assert [(e["label"], e["count"]) for e in entries] == [
        ("point chaud 99 %", "2"),
        ("point froid 95 %", "1"),
        ("secret (petit effectif)", "1"),
    ]
    features = specs(m)["Points chauds"]["data"]["features"]
    assert len(features) == 4  # the non-significant cell is not drawn
    html = m.get_root().render()
    assert "Points chauds" in html


def test_emerging_categories_layer():
    cells = _cells(
        "categorie", ["nouveau point chaud", "aucune tendance", "point chaud persistant"]
    )
    m = base_map(basemap=None)
    add_emerging(m, cells)
    labels = [e["label"] for e in legend(m, "Points chauds émergents")]
    assert labels == ["nouveau point chaud", "point chaud persistant"]
