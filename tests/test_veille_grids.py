"""The INSEE-aligned grid: identifiers, areas, counts, quartier tags, Queen weights."""

from __future__ import annotations

import geopandas as gpd
import libpysal
import numpy as np
import pytest
from shapely.geometry import Point

from gupgeo.errors import CRSError
from gupgeo.veille.grids import (
    HORS_QPV,
    cell_indices,
    count_in_cells,
    locate,
    queen_weights,
    square_grid,
)
from tests.conftest import X0, Y0

BOUNDS = (X0, Y0, X0 + 2_000, Y0 + 2_000)


def test_cells_are_insee_carreaux_in_lambert93():
    grid = square_grid(cell_m=200, bounds=BOUNDS)
    assert grid.crs.to_epsg() == 2154
    assert grid["id_carreau"].str.fullmatch(r"CRS3035RES200mN\d+E\d+").all()
    # Corners are multiples of 200 m in EPSG:3035 (the INSEE carroyage).
    corners = grid.to_crs(3035).geometry.get_coordinates()
    assert np.allclose(corners / 200, np.round(corners / 200), atol=1e-6)
    assert np.allclose(grid.area, 40_000, rtol=0.005)
    assert grid["id_carreau"].is_unique


def test_study_area_from_quartiers_tags_cells(squares):
    grid = square_grid(cell_m=50, quartiers=squares, buffer_m=100)
    assert set(grid["code_qp"]) == {"LOC-A", "LOC-B", HORS_QPV}
    centres = grid.geometry.centroid
    inside_a = centres.within(squares.geometry.iloc[0])
    assert (grid.loc[inside_a, "code_qp"] == "LOC-A").all()
    assert squares.buffer(100).union_all().contains(centres).all()


def test_counts_by_category_and_period():
    grid = square_grid(cell_m=200, bounds=BOUNDS)
    s = gpd.GeoDataFrame(
        {
            "categorie": ["tags", "tags", "voirie", "tags"],
            "date_signalement": ["2024-01-03", "2024-02-03", "2024-01-09", "2024-01-01"],
        },
        geometry=[Point(X0 + 500, Y0 + 500)] * 3 + [Point(0, 0)],
        crs=2154,
    )
    by_cat = count_in_cells(grid, s, by="categorie")
    assert by_cat.attrs["hors_zone"] == 1
    assert by_cat.sum().to_dict() == {"tags": 2, "voirie": 1}
    assert len(by_cat) == len(grid)
    both = count_in_cells(grid, s, by="categorie", freq="mois")
    assert both[("2024-01", "tags")].sum() == 1 and both[("2024-02", "tags")].sum() == 1
    total = count_in_cells(grid, s)
    assert total["nb_signalements"].sum() == 3


def test_locate_and_outside():
    grid = square_grid(cell_m=200, bounds=BOUNDS)
    pos = locate(grid, np.array([X0 + 1_000, 0.0, np.nan]), np.array([Y0 + 1_000, 0.0, np.nan]))
    assert pos[0] >= 0 and pos[1] == -1 and pos[2] == -1
    assert grid.geometry.iloc[pos[0]].contains(Point(X0 + 1_000, Y0 + 1_000))


def test_queen_weights_equal_polygon_contiguity():
    grid = square_grid(cell_m=200, bounds=BOUNDS)
    ours = queen_weights(grid)
    theirs = libpysal.weights.Queen.from_dataframe(grid, use_index=False)
    assert (ours.sparse != theirs.sparse).nnz == 0
    star = queen_weights(grid, self_weight=True).sparse
    assert (star.diagonal() == 1).all() and star.sum() == ours.sparse.sum() + len(grid)


def test_refuses_a_layer_without_crs():
    grid = square_grid(cell_m=200, bounds=BOUNDS)
    with pytest.raises(CRSError, match="système de coordonnées"):
        count_in_cells(grid, gpd.GeoDataFrame(geometry=[Point(X0, Y0)]))


def test_bad_cell_size():
    with pytest.raises(ValueError, match="cell_m"):
        cell_indices(np.array([X0]), np.array([Y0]), cell_m=0)


def test_h3_hexagons_count_and_neighbour(squares):
    from gupgeo.veille.grids import hex_grid
    from gupgeo.veille.hotspots import hotspots
    from tests._veille_fixtures import layer, uniform

    quartiers = squares.copy()
    quartiers.geometry = quartiers.geometry.buffer(1_200)
    grid = hex_grid(quartiers, target_m=200, buffer_m=300)
    assert grid.attrs["h3_resolution"] == 9 and grid.crs.to_epsg() == 2154
    w = queen_weights(grid)
    assert int(w.cardinalities.max()) == 6
    rng = np.random.default_rng(0)
    s = layer(*uniform(rng, 500))
    counts = count_in_cells(grid, s)
    inside = grid.union_all().contains(gpd.points_from_xy(*uniform(np.random.default_rng(0), 500)))
    assert counts["nb_signalements"].sum() == inside.sum()
    result = hotspots(s, grid=grid, seed=0)
    assert len(result) == len(grid) and result["z_score"].notna().all()
