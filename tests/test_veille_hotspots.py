"""Hot spots on planted patterns: a cluster is found, noise is not, z-scores are esda's."""

from __future__ import annotations

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest

from gupgeo.errors import AnalysisError
from gupgeo.veille.grids import count_in_cells, square_grid
from gupgeo.veille.hotspots import bh_threshold, hotspots, significance_levels
from tests._veille_fixtures import GRID, X0, Y0, cluster, layer, uniform

CENTRE = (X0 + 1_500.0, Y0 + 1_500.0)
HOT_95 = {"point chaud 99 %", "point chaud 95 %"}


def _planted(seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    bx, by = uniform(rng, 1_200)
    cx, cy = cluster(rng, 120, *CENTRE, sd_m=60)
    return layer(np.r_[bx, cx], np.r_[by, cy])


def _cell_of(result: gpd.GeoDataFrame, x: float, y: float) -> pd.Series:
    return result[result.contains(gpd.points_from_xy([x], [y], crs=2154)[0])].iloc[0]


@pytest.mark.parametrize("seed", range(5))
def test_gi_star_finds_a_planted_cluster_at_95(seed: int):
    result = hotspots(_planted(seed), grid=GRID, seed=seed)
    assert _cell_of(result, *CENTRE)["classe"] in HOT_95
    hot = result[result["classe"].isin(HOT_95)]
    # The hot cells are around the cluster, not scattered.
    assert hot.centroid.distance(gpd.points_from_xy([CENTRE[0]], [CENTRE[1]])[0]).max() < 400


def test_local_moran_finds_the_cluster():
    result = hotspots(_planted(0), grid=GRID, method="local_moran", seed=0)
    assert _cell_of(result, *CENTRE)["classe"] in HOT_95


def test_uniform_noise_is_flagged_at_no_more_than_the_nominal_rate():
    flagged, runs_with_any = [], 0
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        result = hotspots(layer(*uniform(rng, 2_000)), grid=GRID, seed=seed)
        significant = result["niveau"] <= 0.05
        flagged.append(significant.mean())
        runs_with_any += bool(significant.any())
    # After FDR under a pure null, P(any flag) ≤ 5 % and the flagged share is far lower.
    assert np.mean(flagged) <= 0.05
    assert runs_with_any <= 2


def test_z_scores_equal_a_direct_esda_call():
    s = _planted(3)
    grid = GRID
    result = hotspots(s, grid=grid, seed=3)
    y = count_in_cells(grid, s)["nb_signalements"].to_numpy()
    w = libpysal.weights.Queen.from_dataframe(grid, use_index=False)
    direct = esda.G_Local(y.astype(float), w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(result["z_score"].to_numpy(), direct.Zs, atol=1e-6)
    assert (result["nb_signalements"].to_numpy() == y).all()


def test_rate_mode_discounts_where_people_live():
    rng = np.random.default_rng(7)
    grid = GRID
    centres = grid.geometry.centroid
    dense = centres.distance(gpd.points_from_xy([CENTRE[0]], [CENTRE[1]])[0]) < 300
    population = pd.Series(np.where(dense, 2_000, 200), index=grid["id_carreau"])
    n = rng.poisson(population.to_numpy() * 0.02)
    x = np.repeat(centres.x.to_numpy(), n) + rng.uniform(-60, 60, n.sum())
    y = np.repeat(centres.y.to_numpy(), n) + rng.uniform(-60, 60, n.sum())
    s = layer(x, y)
    counts = hotspots(s, grid=grid, seed=1)
    rates = hotspots(s, grid=grid, seed=1, population=population)
    assert _cell_of(counts, *CENTRE)["classe"] in HOT_95
    assert _cell_of(rates, *CENTRE)["classe"] == "non significatif"
    assert rates.attrs["taux"]


def test_guard_rails_answer_in_french():
    rng = np.random.default_rng(0)
    with pytest.raises(AnalysisError, match=r"12 signalements .*au moins 30"):
        hotspots(layer(*uniform(rng, 12)))
    far = layer(*uniform(rng, 200))
    assert hotspots(far, permutations=0).attrs["hors_zone"] == 0
    grid = square_grid(cell_m=200, bounds=(X0 + 50_000, Y0, X0 + 53_000, Y0 + 3_000))
    with pytest.raises(AnalysisError, match="aucun des signalements"):
        hotspots(far, grid=grid)
    with pytest.raises(AnalysisError, match="carreaux"):
        hotspots(far, grid=square_grid(cell_m=200, bounds=(X0, Y0, X0 + 400, Y0 + 400)))


def test_benjamini_hochberg():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    assert bh_threshold(p, 0.05) == 0.008
    levels = significance_levels(p, fdr=False)
    assert levels[0] == 0.01 and levels[2] == 0.05 and levels[6] == 0.10 and np.isnan(levels[7])
