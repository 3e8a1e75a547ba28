"""attribute_territory: one call gives every layer its quartier and operation."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from gupgeo import Territory, attribute_territory

from .conftest import X0, Y0


def _territory(squares: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> Territory:
    operations = gpd.GeoDataFrame(
        {"id": ["OP-1"], "nom": ["Résidentialisation"]},
        geometry=[box(X0, Y0, X0 + 60, Y0 + 60)],
        crs="EPSG:2154",
    )
    actions = gpd.GeoDataFrame(
        {
            "id": ["A1", "A2"],
            "code_qp": ["LOC-B", "LOC-A"],
            "date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
        },
        geometry=[Point(X0 + 10, Y0 + 10), None],
        crs="EPSG:2154",
    )
    signalements = points.assign(code_qp=["LOC-B", None, None, None])
    return Territory(
        {
            "quartiers": squares,
            "operations": operations,
            "signalements": signalements,
            "actions": actions,
        }
    )


def test_points_get_quartier_operation_and_tolerance(squares, points) -> None:
    t = attribute_territory(_territory(squares, points), tolerance_m=15)
    s = t["signalements"]
    assert s["code_qp"].astype(object).tolist()[:3] == ["LOC-A", "LOC-B", "LOC-A"]
    assert pd.isna(s["code_qp"].iloc[3])
    assert s["code_qp_statut"].astype(str).tolist() == [
        "dans la zone",
        "dans la zone",
        "tolérance",
        "hors zone",
    ]
    assert s["operation_id"].astype(object).tolist()[0] == "OP-1"
    # The source's own quartier is kept beside the spatial answer.
    assert s["code_qp_source"].tolist()[0] == "LOC-B"
    assert t.attribution["signalements"].balanced


def test_actions_keep_their_declared_quartier(squares, points) -> None:
    t = attribute_territory(_territory(squares, points))
    a = t["actions"]
    assert a["code_qp"].tolist() == ["LOC-B", "LOC-A"]
    assert a["operation_id"].astype(object).tolist()[0] == "OP-1"
    assert pd.isna(a["operation_id"].iloc[1])
    assert len(a) == 2


def test_input_territory_is_not_modified(squares, points) -> None:
    t = _territory(squares, points)
    before = list(t["signalements"].columns)
    attribute_territory(t)
    assert list(t["signalements"].columns) == before
