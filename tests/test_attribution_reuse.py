"""Zone layers prepared by one call and reused by the next: never a stale answer.

``attribute`` keeps the last zone layers it prepared (checked, repaired, with their
grid index) and reuses one when a call brings the same geometry objects, CRS and
identifiers. Every way a planner changes a layer between two calls must give the
answer of a fresh preparation.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gupgeo.attribution import _engine, _output
from gupgeo.attribution.zones import attribute, attribute_xy, forget_prepared_zones

X0, Y0 = 525_000.0, 6_700_000.0


@pytest.fixture(autouse=True)
def fresh() -> None:
    forget_prepared_zones()


def squares() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code_qp": ["LOC-A", "LOC-B"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 100, Y0 + 100),
            shapely.box(X0 + 200, Y0, X0 + 300, Y0 + 100),
        ],
        crs=2154,
    )


def points(*xy: tuple[float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in xy],
        crs=2154,
    )


def zones_of(result: gpd.GeoDataFrame) -> list[object]:
    return result["code_qp"].astype(object).where(result["code_qp"].notna(), None).tolist()


def fresh_answer(pts: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> list[object]:
    """The answer of a preparation from scratch."""
    forget_prepared_zones()
    return zones_of(attribute(pts, zones))


PTS = points((50, 50), (250, 50), (150, 50), (350, 50))


def test_second_call_reuses_the_prepared_layer() -> None:
    zones = squares()
    first = attribute(PTS, zones)
    layer = _engine._recent[-1].layer
    second = attribute(PTS, zones)
    assert _engine._recent[-1].layer is layer
    assert len(_engine._recent) == 1
    assert zones_of(first) == zones_of(second) == ["LOC-A", "LOC-B", None, None]
    # A copy of the frame holds the same geometry objects: the same layer serves it.
    attribute(PTS, zones.copy())
    assert _engine._recent[-1].layer is layer


def test_a_geometry_replaced_in_place_is_seen() -> None:
    zones = squares()
    attribute(PTS, zones)
    zones.loc[1, "geometry"] = shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100)
    got = zones_of(attribute(PTS, zones))
    assert got == ["LOC-A", None, "LOC-B", None]
    assert got == fresh_answer(PTS, zones)


def test_moved_geometries_are_seen() -> None:
    zones = squares()
    attribute(PTS, zones)
    zones["geometry"] = zones.geometry.translate(100, 0)
    got = zones_of(attribute(PTS, zones))
    assert got == [None, None, "LOC-A", "LOC-B"]
    assert got == fresh_answer(PTS, zones)


def test_renamed_identifiers_are_seen() -> None:
    zones = squares()
    attribute(PTS, zones)
    zones.loc[0, "code_qp"] = "LOC-Z"
    got = attribute(PTS, zones)
    assert zones_of(got) == ["LOC-Z", "LOC-B", None, None]
    assert list(got["code_qp"].cat.categories) == ["LOC-Z", "LOC-B"]


def test_identifiers_of_another_type_are_seen() -> None:
    zones = squares()
    attribute(PTS, zones)
    zones["code_qp"] = [1, 2]
    got = attribute(PTS, zones)
    assert got["code_qp"].tolist()[:2] == [1, 2]


def test_another_identifier_column_is_seen() -> None:
    zones = squares().assign(autre=["X", "Y"])
    attribute(PTS, zones)
    got = attribute(PTS, zones, key="autre")
    assert got["autre"].astype(object).fillna("").tolist() == ["X", "Y", "", ""]
    assert zones_of(attribute(PTS, zones)) == ["LOC-A", "LOC-B", None, None]


def test_a_changed_crs_is_seen() -> None:
    zones = squares()
    attribute(PTS, zones)
    # Same numbers, now read as Lambert-93 CC47: the zones are somewhere else.
    zones = zones.set_crs(3947, allow_override=True)
    got = zones_of(attribute(PTS, zones))
    assert got == [None, None, None, None]
    assert got == fresh_answer(PTS, zones)


def test_a_row_added_is_seen() -> None:
    zones = squares()
    attribute(PTS, zones)
    more = pd.concat(
        [
            zones,
            gpd.GeoDataFrame(
                {"code_qp": ["LOC-C"]},
                geometry=[shapely.box(X0 + 300, Y0, X0 + 400, Y0 + 100)],
                crs=2154,
            ),
        ],
        ignore_index=True,
    )
    assert zones_of(attribute(PTS, more)) == ["LOC-A", "LOC-B", None, "LOC-C"]


def test_repairs_are_reported_on_every_call(caplog: pytest.LogCaptureFixture) -> None:
    bowtie = shapely.Polygon(
        [(X0 + 400, Y0), (X0 + 500, Y0 + 100), (X0 + 500, Y0), (X0 + 400, Y0 + 100)]
    )
    zones = gpd.GeoDataFrame({"code_qp": ["NOEUD"]}, geometry=[bowtie], crs=2154)
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            result = attribute(PTS, zones)
        assert "1 géométrie(s) invalide(s) réparée(s)" in caplog.text
        assert result.attrs["attribution_report"].layers[0].repaired_zones == ("NOEUD",)


def test_only_the_last_layers_are_kept() -> None:
    layers = [squares() for _ in range(_engine._RECENT_LAYERS + 2)]
    for zones in layers:
        attribute(PTS, zones)
    assert len(_engine._recent) == _engine._RECENT_LAYERS
    forget_prepared_zones()
    assert _engine._recent == []


def test_grids_are_kept_per_size_class() -> None:
    zones = squares()
    rng = np.random.default_rng(4)
    for n in (10, 11, 3_000, 12, 40_000):
        x = X0 + rng.uniform(-50, 350, n)
        y = Y0 + rng.uniform(-50, 150, n)
        got = attribute_xy(x, y, zones, tolerance_m=0)
        in_y = (y > Y0) & (y < Y0 + 100)
        expected = np.select(
            [(x > X0) & (x < X0 + 100) & in_y, (x > X0 + 200) & (x < X0 + 300) & in_y],
            ["LOC-A", "LOC-B"],
            "",
        )
        assert got["code_qp"].astype(object).fillna("").tolist() == expected.tolist()
        assert len(_engine._recent[-1].layer.grids) <= _engine._GRIDS_KEPT


@pytest.mark.parametrize("threads", [False, True])
@pytest.mark.parametrize("n_zones", [3, 20_000])
def test_counts_agree_with_a_plain_count(
    monkeypatch: pytest.MonkeyPatch, threads: bool, n_zones: int
) -> None:
    if threads:
        monkeypatch.setattr(_output, "_THREADED_COUNTS", 1)
    monkeypatch.setattr(_output, "_COUNT_BLOCK", 7)  # many blocks, a short last one
    rng = np.random.default_rng(n_zones)
    zone = rng.integers(-1, n_zones, 1_001).astype(np.int32)
    status = rng.integers(0, 6, 1_001).astype(np.int8)
    per_zone, per_status = _output._counts(zone, status, n_zones)
    assert per_zone.tolist() == [int((zone == z).sum()) for z in range(n_zones)]
    assert per_status.tolist() == [int((status == s).sum()) for s in range(6)]
    # One row per (feature, zone) pair: more rows than features.
    rows = np.concatenate([zone, zone[:50]])
    per_zone, per_status = _output._counts(rows, status, n_zones)
    assert per_zone.tolist() == [int((rows == z).sum()) for z in range(n_zones)]
    assert per_status.tolist() == [int((status == s).sum()) for s in range(6)]


def test_threads_sharing_a_layer_get_their_own_answers() -> None:
    """Calls from several threads on the same zones: each gets the answer of a lone call."""
    zones = squares()
    rng = np.random.default_rng(9)
    inputs = [
        (X0 + rng.uniform(-50, 350, n), Y0 + rng.uniform(-50, 150, n))
        for n in (5, 300, 20_000, 150_000)
    ]
    alone = []
    for x, y in inputs:
        forget_prepared_zones()
        alone.append(attribute_xy(x, y, zones, tolerance_m=10)["code_qp"].tolist())
    forget_prepared_zones()
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(
            pool.map(
                lambda xy: attribute_xy(*xy, zones, tolerance_m=10)["code_qp"].tolist(),
                inputs * 2,
            )
        )
    assert together == alone * 2
