"""Veille map layers: hot/cold bins and emerging categories, with counted legends."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from gupgeo.maps import base_map
from gupgeo.maps.veille import add_emerging, add_hotspots, add_repeated
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


def _problems() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Two repeated problems (one still open) and the history of their reports."""
    problems = gpd.GeoDataFrame(
        {
            "id_probleme": [4, 9],
            "rang": [1, 2],
            "categorie": ["dépôts sauvages", "tags <b>gras</b>"],
            "nb_signalements": [3, 2],
            "premier": pd.to_datetime(["2024-01-05", "2024-02-01"]),
            "dernier": pd.to_datetime(["2024-01-20", "2024-02-03"]),
            "statut": ["nouveau", "résolu"],
            "nb_ouverts": [1, 0],
            "adresse": ["1 rue de l'Alouette", None],
        },
        geometry=[shapely.Point(525_050, 6_702_050), shapely.Point(525_150, 6_702_050)],
        crs=2154,
    )
    history = pd.DataFrame(
        {
            "id_probleme": [4, 4, 4, 9, 9],
            "date_signalement": pd.to_datetime(
                ["2024-01-05", "2024-01-10", "2024-01-20", "2024-02-01", "2024-02-03"]
            ),
            "statut": ["résolu", "clos autre", "nouveau", "résolu", "résolu"],
            "date_cloture": pd.to_datetime(
                ["2024-01-08", "2024-01-11", None, "2024-02-10", "2024-02-10"]
            ),
            "description": [
                "<script>alert(1)</script>",
                "Sacs près de l'entrée",
                None,
                "x" * 200,
                None,
            ],
        }
    )
    return problems, history


def test_repeated_problems_show_their_history_in_the_popup():
    problems, history = _problems()
    m = base_map(basemap=None)
    add_repeated(m, problems, history)
    spec = specs(m)["Problèmes signalés plusieurs fois"]
    popup = dict(spec["popup"]["fields"])
    assert popup["_historique"] == "Historique"
    first, second = (f["properties"] for f in spec["data"]["features"])
    assert first["_titre"] == "n° 1 — dépôts sauvages"
    assert first["_historique"].split("\n") == [
        "05/01/2024 : résolu le 08/01/2024 — <script>alert(1)</script>",
        "10/01/2024 : clos autre le 11/01/2024 — Sacs près de l'entrée",
        "20/01/2024 : nouveau",
    ]
    assert (
        second["_historique"].split("\n")[0]
        == "01/02/2024 : résolu le 10/02/2024 — " + "x" * 49 + "…"
    )
    assert (first["premier"], first["nb_signalements"]) == ("05/01/2024", "3")
    entries = legend(m, "Problèmes signalés plusieurs fois")
    assert [(e["label"], e["count"]) for e in entries] == [
        ("au moins un signalement encore ouvert", "1"),
        ("tous clos", "1"),
    ]
    html = m.get_root().render()
    assert "<script>alert(1)</script>" not in html  # data travels as JSON text, not markup
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html


def test_a_long_history_is_cut_and_says_how_many_are_left():
    problems, _ = _problems()
    many = pd.DataFrame(
        {
            "id_probleme": [4] * 30,
            "date_signalement": pd.date_range("2024-01-01", periods=30, freq="D"),
            "statut": ["résolu"] * 30,
        }
    )
    m = base_map(basemap=None)
    add_repeated(m, problems.iloc[:1], many)
    props = specs(m)["Problèmes signalés plusieurs fois"]["data"]["features"][0]["properties"]
    lines = props["_historique"].split("\n")
    assert len(lines) == 11 and lines[-1] == "… et 20 autres signalements"


def test_repeated_problems_without_history_still_draw():
    problems, _ = _problems()
    m = base_map(basemap=None)
    add_repeated(m, problems.drop(columns=["rang", "adresse"]))
    spec = specs(m)["Problèmes signalés plusieurs fois"]
    assert len(spec["data"]["features"]) == 2
    assert "_historique" not in dict(spec["popup"]["fields"])
