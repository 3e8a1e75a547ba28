"""The period's cells (gupgeo.veille.cells): one grid, hot class and trend, published.

A planted cluster in a 3 km square of uniform noise for the analyses; tiny hand-made
cells for the publication rule, the neighbourhood and the most cited address.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.veille.cells import (
    CELL_COLUMNS,
    NOT_COMPUTED,
    SECRET_CLASS,
    cells_near,
    most_cited_address,
    period_cells,
    publish_cells,
)
from tests._veille_fixtures import X0, Y0, cluster, layer, uniform


def _territory(seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A 3 km quartier; 1,200 uniform reports over 2023–2024 and 300 in one spot in 2024."""
    rng = np.random.default_rng(seed)
    x, y = uniform(rng, 1_200)
    cx, cy = cluster(rng, 300, X0 + 1_500, Y0 + 1_500)
    base = pd.Timestamp("2023-01-01")
    dates = np.r_[
        base + pd.to_timedelta(rng.integers(0, 730, 1_200), unit="D"),
        pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366, 300), unit="D"),
    ]
    s = layer(np.r_[x, cx], np.r_[y, cy], dates=dates)
    q = gpd.GeoDataFrame(
        {"code_qp": ["QP1"], "nom_qp": ["Q"]},
        geometry=[shapely.box(X0, Y0, X0 + 3_000, Y0 + 3_000)], crs=2154,
    )  # fmt: skip
    return s, q


def test_hot_spots_of_the_period_and_trends_on_one_grid():
    s, q = _territory()
    found = period_cells(s, q, period="2024", freq="trimestre")
    cells = found.cells
    assert list(cells.columns) == list(CELL_COLUMNS)
    assert found.hot_error == "" and found.trend_error == ""
    assert cells["nb_signalements"].sum() == (s["date_signalement"].dt.year == 2024).sum()
    centre = cells.geometry.contains(shapely.Point(X0 + 1_500, Y0 + 1_500))
    assert cells.loc[centre, "classe"].iloc[0] == "point chaud 99 %"
    assert cells.loc[centre, "categorie"].iloc[0].startswith(("nouveau", "point chaud"))
    assert found.periods == tuple(f"{y}-T{k}" for y in (2023, 2024) for k in (1, 2, 3, 4))
    assert found.trend_span == "8 trimestres, de 2023-T1 à 2024-T4"
    assert found.notes == ("Tendances calculées sur 8 trimestres, de 2023-T1 à 2024-T4.",)


def test_an_analysis_that_cannot_run_says_why_and_leaves_the_other():
    s, q = _territory()
    found = period_cells(s.iloc[:20], q, period="2024", freq="year")
    assert found.hot_error.startswith("12 signalements dans la zone d'étude (au moins 30)")
    assert found.trend_error.startswith("2 période(s) analysée(s), au moins 6 sont nécessaires")
    for note in found.notes:  # the analysis is named once, not twice
        subject, _, reason = note.partition(" non calculés : ")
        assert "points chauds" in subject.lower() and "points chauds" not in reason.lower()
    assert set(found.cells["classe"]) == {NOT_COMPUTED} == set(found.cells["categorie"])
    assert found.notes[0].startswith("Points chauds de la période non calculés : ")
    assert found.trend_span == ""


def _cells() -> gpd.GeoDataFrame:
    boxes = [shapely.box(X0 + 100 * i, Y0, X0 + 100 * (i + 1), Y0 + 100) for i in range(5)]
    return gpd.GeoDataFrame(
        {
            "id_carreau": [f"C{i}" for i in range(5)],
            "code_qp": ["QP1", "QP1", "QP1", "hors QPV", "hors QPV"],
            "nb_signalements": [40, 4, 0, 12, 3],
            "z_score": [4.0, 3.1, -2.5, 0.1, 0.0],
            "p_value": [0.001, 0.01, 0.04, 0.9, 1.0],
            "classe": ["point chaud 99 %", "point chaud 95 %", "point froid 95 %",
                       "non significatif", NOT_COMPUTED],
            "categorie": ["point chaud persistant", "nouveau point chaud", "aucune tendance",
                          "point chaud sporadique", "point chaud historique"],
            "tendance_z": [0.5] * 5,
            "nb_signalements_historique": [120, 4, 0, 30, 9],
        },
        geometry=boxes, crs=2154,
    )  # fmt: skip


def test_public_cells_below_the_threshold_are_never_hot_spots():
    public = publish_cells(_cells(), "public", threshold=11)
    assert public["classe"].tolist() == [
        "point chaud 99 %",
        SECRET_CLASS,
        SECRET_CLASS,
        "non significatif",
        NOT_COMPUTED,
    ]
    assert public["nb_signalements"].tolist() == [40, pd.NA, pd.NA, 12, pd.NA]
    assert public["categorie"].tolist() == [
        "point chaud persistant", SECRET_CLASS, "aucune tendance", "point chaud sporadique",
        SECRET_CLASS,
    ]  # fmt: skip
    assert not {"z_score", "p_value", "tendance_z"} & set(public.columns)
    for profile in ("interne", "partenaires"):
        assert publish_cells(_cells(), profile).equals(_cells())


def test_cells_near_a_place():
    cells = _cells()
    place = shapely.box(X0, Y0, X0 + 100, Y0 + 100)  # C0
    assert cells_near(cells, place, distance_m=0)["id_carreau"].tolist() == ["C0", "C1"]
    assert cells_near(cells, place, distance_m=150)["id_carreau"].tolist() == ["C0", "C1", "C2"]


def test_most_cited_address_per_cell():
    cells = _cells().iloc[:3]
    s = gpd.GeoDataFrame(
        {"adresse": ["1 rue A", "2 rue B", "2 rue B", "1 rue A", None, "9 rue Z"]},
        geometry=[shapely.Point(X0 + 10, Y0 + 10), shapely.Point(X0 + 20, Y0 + 10),
                  shapely.Point(X0 + 30, Y0 + 10), shapely.Point(X0 + 150, Y0 + 10),
                  shapely.Point(X0 + 160, Y0 + 10), shapely.Point(X0 + 900, Y0 + 10)],
        crs=2154,
    )  # fmt: skip
    named = most_cited_address(cells, s)
    assert named.tolist() == ["2 rue B", "1 rue A", None]
    assert named.index.equals(cells.index)
    assert most_cited_address(cells, s.drop(columns="adresse")).isna().all()
