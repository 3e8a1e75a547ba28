"""Attribution in PostGIS (gupgeo.attribution.database) answers as the Python path does.

The bundled sample (21,900 signalements, 10 quartiers) and the hand-built squares of
conftest with a point 10 m outside a square (tolerance) and one without geometry.
Needs a PostGIS server (tests/postgis_support.py).
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gupgeo import Territory, load_territory
from gupgeo.attribution.database import attribute_in_database
from gupgeo.attribution.zones import attribute
from tests.conftest import SAMPLE


def both(territory: Territory, url: str, tolerance_m: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    territory.save(url)
    started = time.perf_counter()
    python = attribute(territory["signalements"], territory["quartiers"], tolerance_m=tolerance_m)
    middle = time.perf_counter()
    sql = attribute_in_database(url, tolerance_m=tolerance_m)
    print(f"python {middle - started:.3f} s, PostGIS {time.perf_counter() - middle:.3f} s")
    python = pd.DataFrame(python).set_index("id")[list(sql.columns)]
    return python, sql.loc[python.index]


def values(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else str(v) for v in series]


def check_same(python: pd.DataFrame, sql: pd.DataFrame) -> None:
    assert values(python["code_qp"]) == values(sql["code_qp"])
    assert python["code_qp_statut"].tolist() == sql["code_qp_statut"].tolist()
    if "code_qp_distance_m" in sql:
        np.testing.assert_allclose(
            python["code_qp_distance_m"], sql["code_qp_distance_m"], atol=1e-6
        )


@pytest.mark.parametrize("tolerance_m", [0.0, 15.0])
def test_the_sample_is_attributed_alike(pg_url: str, tolerance_m: float) -> None:
    check_same(*both(load_territory(SAMPLE), pg_url, tolerance_m))


def test_tolerance_perimeter_and_missing_geometry_alike(squares, points, pg_url: str) -> None:
    pts = points.assign(date_signalement=pd.Timestamp("2024-01-05"))
    edge = gpd.GeoDataFrame(
        {"id": ["S5", "S6"], "date_signalement": pd.Timestamp("2024-01-05")},
        geometry=gpd.points_from_xy([525_100.0, np.nan], [6_702_050.0, np.nan]),
        crs=2154,
    )
    edge.loc[1, "geometry"] = None
    sig = gpd.GeoDataFrame(pd.concat([pts, edge], ignore_index=True), crs=2154)
    python, sql = both(Territory({"quartiers": squares, "signalements": sig}), pg_url, 15.0)
    check_same(python, sql)
    assert sql.loc["S3", "code_qp_statut"] == "tolérance"
    assert sql.loc["S3", "code_qp_distance_m"] == pytest.approx(10.0)
    assert sql.loc["S5", "code_qp_statut"] == "plusieurs zones"  # on the shared edge
    assert sql.loc["S6", "code_qp_statut"] == "sans géométrie"


def test_zones_cut_into_pieces_answer_as_whole_zones(squares, pg_url: str) -> None:
    """A round quartier of 2,000 vertices is cut into many pieces (``ST_Subdivide``):
    points on a grid crossing its cuts, its edge and the edge it shares with a
    neighbour get the answers of the whole perimeters."""
    x0, y0 = squares.total_bounds[:2]
    ring = shapely.Point(x0 + 100, y0 + 300).buffer(150, quad_segs=500)
    quartiers = squares.iloc[[0, 0]].reset_index(drop=True)
    quartiers["code_qp"] = ["LOC-R", "LOC-S"]
    quartiers["geometry"] = [ring, shapely.box(x0 + 100, y0 + 300, x0 + 400, y0 + 500)]
    quartiers = gpd.GeoDataFrame(quartiers, geometry="geometry", crs=2154)
    xs, ys = np.meshgrid(np.arange(x0 - 80, x0 + 420, 7.0), np.arange(y0 + 130, y0 + 520, 7.0))
    grid = gpd.GeoDataFrame(
        {"id": [f"G{i}" for i in range(xs.size)], "date_signalement": pd.Timestamp("2024-01-05")},
        geometry=gpd.points_from_xy(xs.ravel(), ys.ravel()),
        crs=2154,
    )
    python, sql = both(Territory({"quartiers": quartiers, "signalements": grid}), pg_url, 15.0)
    check_same(python, sql)
    statuts = set(sql["code_qp_statut"])
    assert {"dans la zone", "plusieurs zones", "tolérance", "hors zone"} <= statuts


def test_invalid_zones_are_repaired_as_in_python(squares, pg_url: str) -> None:
    """A bow-tie quartier and one whose hole crosses its shell: PostGIS repairs them as
    shapely does (``method=structure``) before testing points, so answers agree."""
    x0, y0 = squares.total_bounds[:2]
    bow = shapely.Polygon([(x0, y0), (x0 + 200, y0 + 200), (x0 + 200, y0), (x0, y0 + 200)])
    shell = [(x0 + 300, y0), (x0 + 500, y0), (x0 + 500, y0 + 200), (x0 + 300, y0 + 200)]
    hole = [(x0 + 350, y0 + 50), (x0 + 550, y0 + 50), (x0 + 550, y0 + 150), (x0 + 350, y0 + 150)]
    crossed = shapely.Polygon(shell, [hole])
    quartiers = gpd.GeoDataFrame(
        {"code_qp": ["LOC-N", "LOC-T"], "nom_qp": ["Noeud", "Trou"]},
        geometry=[bow, crossed],
        crs=2154,
    )
    assert not shapely.is_valid(quartiers.geometry.array).any()
    xs, ys = np.meshgrid(np.arange(x0 - 20, x0 + 580, 9.0), np.arange(y0 - 20, y0 + 220, 9.0))
    grid = gpd.GeoDataFrame(
        {"id": [f"G{i}" for i in range(xs.size)], "date_signalement": pd.Timestamp("2024-01-05")},
        geometry=gpd.points_from_xy(xs.ravel(), ys.ravel()),
        crs=2154,
    )
    for tolerance_m in (0.0, 15.0):
        python, sql = both(
            Territory({"quartiers": quartiers, "signalements": grid}), pg_url, tolerance_m
        )
        check_same(python, sql)
    assert {"dans la zone", "hors zone"} <= set(sql["code_qp_statut"])


def _grid_points(x0: float, y0: float, step_m: float, span_m: float) -> gpd.GeoDataFrame:
    xs, ys = np.meshgrid(np.arange(x0, x0 + span_m, step_m), np.arange(y0, y0 + span_m, step_m))
    return gpd.GeoDataFrame(
        {"id": [f"G{i}" for i in range(xs.size)], "date_signalement": pd.Timestamp("2024-01-05")},
        geometry=gpd.points_from_xy(xs.ravel(), ys.ravel()),
        crs=2154,
    )


@pytest.mark.parametrize("cell_m", [1.0, 7.0, 25.0, 400.0])
def test_the_grid_answers_as_the_exact_test_whatever_its_cells(
    squares, pg_url: str, cell_m: float
) -> None:
    """Points answered by their cell alone (far inside, far outside, inside a hole)
    and points tested exactly (on perimeters, on the hole's ring, within the
    tolerance, on the grid's own lines: a 5 m lattice) get the Python answers,
    whatever the side of the cells, with and without tolerance."""
    x0, y0 = squares.total_bounds[:2]
    shell = shapely.box(x0, y0, x0 + 300, y0 + 300)
    holed = shell.difference(shapely.box(x0 + 100, y0 + 100, x0 + 200, y0 + 200))
    quartiers = gpd.GeoDataFrame(
        {"code_qp": ["LOC-H", "LOC-E", "LOC-O"], "nom_qp": ["Trou", "Est", "Dessus"]},
        geometry=[
            holed,
            shapely.box(x0 + 300, y0, x0 + 400, y0 + 300),
            shapely.box(x0 + 250, y0 + 250, x0 + 350, y0 + 350),
        ],
        crs=2154,
    )
    grid = _grid_points(x0 - 60, y0 - 60, 5.0, 520.0)
    territory = Territory({"quartiers": quartiers, "signalements": grid})
    territory.save(pg_url)
    for tolerance_m in (0.0, 15.0):
        python = attribute(grid, quartiers, tolerance_m=tolerance_m)
        python = pd.DataFrame(python).set_index("id")
        sql = attribute_in_database(pg_url, tolerance_m=tolerance_m, cell_m=cell_m)
        check_same(python[list(sql.columns)], sql.loc[python.index])
    statuts = set(sql["code_qp_statut"])
    assert {"dans la zone", "plusieurs zones", "tolérance", "hors zone"} <= statuts
    assert sql.loc["G0", "code_qp_statut"] == "hors zone"


def test_a_repaired_bow_tie_is_answered_by_the_grid_too(squares, pg_url: str) -> None:
    """Cells inside the two lobes of a repaired bow-tie are decided by the grid; the
    answers stay those of the Python path (fine cells, so most points use them)."""
    x0, y0 = squares.total_bounds[:2]
    bow = shapely.Polygon([(x0, y0), (x0 + 300, y0 + 300), (x0 + 300, y0), (x0, y0 + 300)])
    quartiers = gpd.GeoDataFrame(
        {"code_qp": ["LOC-N"], "nom_qp": ["Noeud"]}, geometry=[bow], crs=2154
    )
    grid = _grid_points(x0 - 30, y0 - 30, 6.0, 360.0)
    Territory({"quartiers": quartiers, "signalements": grid}).save(pg_url)
    python = pd.DataFrame(attribute(grid, quartiers, tolerance_m=15.0)).set_index("id")
    sql = attribute_in_database(pg_url, tolerance_m=15.0, cell_m=3.0)
    check_same(python[list(sql.columns)], sql.loc[python.index])
    assert (sql["code_qp_statut"] == "dans la zone").sum() > 1000


def test_a_failing_statement_raises_and_the_connection_stays_usable(pg_url: str) -> None:
    """The answers are read straight from libpq: a server error still surfaces as
    psycopg's error, and the connection can be used afterwards."""
    import psycopg

    from gupgeo.attribution.database import copy_out
    from gupgeo.storage.postgis import connect, parse_url

    with connect(parse_url(pg_url)) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable), conn.transaction():
            copy_out(conn, "COPY (SELECT * FROM gupgeo_no_such_table) TO STDOUT")
        rows = copy_out(conn, "COPY (SELECT 1 UNION ALL SELECT 2) TO STDOUT WITH (FORMAT csv)")
        assert rows == b"1\n2\n"
        assert conn.execute("SELECT 3").fetchone() == (3,)


def test_a_layer_not_typed_point_is_tested_whole(squares, pg_url: str) -> None:
    """A layer mixing points and a multipoint (column typed ``Geometry``) skips the
    grid, whose cell numbers need ``ST_X``: every feature is tested against the
    pieces, and its points get the Python answers."""
    x0, y0 = squares.total_bounds[:2]
    grid = _grid_points(x0 - 30, y0 - 30, 9.0, 260.0)
    extra = gpd.GeoDataFrame(
        {"id": ["M1"], "date_signalement": pd.Timestamp("2024-01-05")},
        geometry=[shapely.MultiPoint([(x0 + 10, y0 + 10), (x0 + 20, y0 + 20)])],
        crs=2154,
    )
    mixed = gpd.GeoDataFrame(pd.concat([grid, extra], ignore_index=True), crs=2154)
    Territory({"quartiers": squares, "signalements": mixed}).save(pg_url)
    python = pd.DataFrame(attribute(grid, squares, tolerance_m=15.0)).set_index("id")
    sql = attribute_in_database(pg_url, tolerance_m=15.0)
    check_same(python[list(sql.columns)], sql.loc[python.index])
    assert sql.loc["M1", "code_qp"] == "LOC-A"
