"""Property tests: the grid-indexed attribution agrees with brute-force shapely.

Zones are random (multi)polygons with holes, built on a 1 m lattice near Tours
(Lambert-93) so that vertices and edge midpoints are exactly representable and
lie exactly on a perimeter; points mix random positions, zone vertices, edge
midpoints and NaN coordinates. The reference is ``shapely.covers`` per (point,
zone) for ``covered_by`` and ``shapely.contains`` for ``within``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gupgeo.attribution._engine import prepare_zones
from gupgeo.attribution._grid import ZoneGrid
from gupgeo.attribution._tolerance import nearest, nearest_points
from gupgeo.attribution.zones import attribute, attribute_xy, attribution_report

X0, Y0 = 525_000.0, 6_700_000.0
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

coord = st.integers(min_value=0, max_value=400)


@st.composite
def lattice_box(draw: st.DrawFn) -> shapely.Polygon:
    x, y = draw(coord), draw(coord)
    w, h = draw(st.integers(1, 200)), draw(st.integers(1, 200))
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


@st.composite
def triangle(draw: st.DrawFn) -> shapely.Polygon:
    pts = [(X0 + draw(coord), Y0 + draw(coord)) for _ in range(3)]
    poly = shapely.Polygon(pts)
    if poly.area < 1:
        poly = shapely.box(pts[0][0], pts[0][1], pts[0][0] + 3, pts[0][1] + 2)
    return poly


@st.composite
def star(draw: st.DrawFn) -> shapely.Polygon:
    """Star-shaped polygon with non-lattice vertices (valid by construction)."""
    cx, cy = X0 + draw(coord), Y0 + draw(coord)
    n = draw(st.integers(3, 40))
    radii = draw(st.lists(st.floats(0.5, 150), min_size=n, max_size=n))
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False) + draw(st.floats(0, 1))
    return shapely.Polygon(np.c_[cx + np.cos(angles) * radii, cy + np.sin(angles) * radii])


@st.composite
def zone(draw: st.DrawFn) -> shapely.Geometry:
    """A polygon or multipolygon, possibly with holes."""
    base = draw(st.sampled_from(["boxes", "triangle", "star"]))
    if base == "triangle":
        geom = draw(triangle())
    elif base == "star":
        geom = draw(star())
    else:
        geom = shapely.union_all(draw(st.lists(lattice_box(), min_size=1, max_size=3)))
    holes = draw(st.lists(lattice_box(), max_size=2))
    if holes:
        geom = shapely.difference(geom, shapely.union_all(holes))
    geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    if geom.is_empty:
        geom = draw(lattice_box())
    return geom


def _perimeter_points(zones: list[shapely.Geometry]) -> np.ndarray:
    """Vertices and edge midpoints of every ring: exactly on a perimeter."""
    out = []
    for g in zones:
        for ring in shapely.get_parts(shapely.boundary(g)):
            xy = shapely.get_coordinates(ring)
            out.append(xy)
            out.append((xy[:-1] + xy[1:]) / 2)
    return np.concatenate(out) if out else np.empty((0, 2))


@st.composite
def scene(draw: st.DrawFn) -> tuple[list[shapely.Geometry], np.ndarray, np.ndarray]:
    zones = draw(st.lists(zone(), min_size=1, max_size=5))
    n_random = draw(st.integers(0, 300))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    rand = np.c_[rng.uniform(X0 - 20, X0 + 620, n_random), rng.uniform(Y0 - 20, Y0 + 620, n_random)]
    edge = _perimeter_points(zones)
    if edge.size:
        edge = edge[rng.choice(len(edge), size=min(len(edge), 200), replace=False)]
    xy = np.concatenate([rand, edge])
    if draw(st.booleans()) and len(xy):
        xy[rng.integers(0, len(xy), 3)] = np.nan
    return zones, xy[:, 0].copy(), xy[:, 1].copy()


def _reference(zones: list[shapely.Geometry], x: np.ndarray, y: np.ndarray, predicate: str):
    points = shapely.points(x, y)
    test = shapely.contains if predicate == "within" else shapely.covers
    return np.array([test(z, points) for z in zones]).T  # (points, zones) bool


def _zones_gdf(zones: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code_qp": [f"Z{i}" for i in range(len(zones))]}, geometry=zones, crs=2154
    )


@SETTINGS
@given(
    scene(),
    st.sampled_from(["covered_by", "within"]),
    st.integers(10, 2_000_000),
    st.sampled_from([None, True]),
)
def test_grid_matches_brute_force(data, predicate, n_hint, sparse):
    zones, x, y = data
    ref = _reference(zones, x, y, predicate)
    geoms = np.array(zones, dtype=object)
    grid = ZoneGrid(geoms, predicate=predicate, n_points=n_hint, sparse=sparse)
    got = grid.match(x, y)
    expected_first = np.where(ref.any(axis=1), ref.argmax(axis=1), -1)
    np.testing.assert_array_equal(got.first, expected_first)
    np.testing.assert_array_equal(got.multi_points, np.flatnonzero(ref.sum(axis=1) > 1))
    pairs = set(zip(got.pair_points.tolist(), got.pair_zones.tolist(), strict=True))
    expected = {(int(p), int(z)) for p, z in zip(*np.nonzero(ref), strict=True)}
    expected = {(p, z) for p, z in expected if p in set(got.multi_points.tolist())}
    assert pairs == expected


@SETTINGS
@given(scene(), st.sampled_from(["covered_by", "within", "intersects"]))
def test_attribute_all_matches_brute_force(data, predicate):
    zones, x, y = data
    ref = _reference(zones, x, y, predicate)
    features = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=2154)
    out = attribute(features, _zones_gdf(zones), predicate=predicate, multiple="all", tolerance_m=0)
    got = {(int(i), str(k)) for i, k in zip(out.index, out["code_qp"], strict=True) if k == k}
    expected = {(int(p), f"Z{z}") for p, z in zip(*np.nonzero(ref), strict=True)}
    assert got == expected
    report = attribution_report(out)
    assert report.balanced
    finite = np.isfinite(x) & np.isfinite(y)
    layer = report["code_qp"]
    assert layer.n_invalid_coordinates == int((~finite).sum())
    assert layer.n_several == int((ref.sum(axis=1) > 1).sum())
    assert layer.n_inside == int((ref.sum(axis=1) == 1).sum())
    assert layer.n_outside == int((finite & ~ref.any(axis=1)).sum())
    np.testing.assert_array_equal(layer.per_zone.to_numpy(), ref.sum(axis=0))


@SETTINGS
@given(scene(), st.floats(0.5, 40))
def test_tolerance_matches_nearest_zone(data, tolerance_m):
    zones, x, y = data
    ref = _reference(zones, x, y, "covered_by")
    out = attribute_xy(x, y, _zones_gdf(zones), tolerance_m=tolerance_m)
    points = shapely.points(x, y)
    with np.errstate(invalid="ignore"):
        dist = np.array([shapely.distance(z, points) for z in zones]).T
    for i in range(len(x)):
        if not (np.isfinite(x[i]) and np.isfinite(y[i])):
            assert out["code_qp_statut"].iloc[i] == "coordonnées invalides"
        elif ref[i].any():
            assert out["code_qp"].iloc[i] == f"Z{ref[i].argmax()}"
            assert out["code_qp_distance_m"].iloc[i] == 0
        elif dist[i].min() <= tolerance_m:
            assert out["code_qp_statut"].iloc[i] == "tolérance"
            assert out["code_qp"].iloc[i] == f"Z{dist[i].argmin()}"
            assert out["code_qp_distance_m"].iloc[i] == pytest.approx(dist[i].min())
        else:
            assert out["code_qp_statut"].iloc[i] == "hors zone"
            assert out["code_qp"].isna().iloc[i]


@st.composite
def segment_path(draw: st.DrawFn) -> shapely.LineString:
    n = draw(st.integers(2, 4))
    pts = [(X0 + draw(coord), Y0 + draw(coord)) for _ in range(n)]
    line = shapely.LineString(pts)
    return line if line.length > 0 else shapely.LineString([pts[0], (pts[0][0] + 1, pts[0][1])])


@SETTINGS
@given(
    st.lists(zone(), min_size=1, max_size=4),
    st.lists(st.one_of(lattice_box(), triangle(), segment_path()), min_size=1, max_size=8),
    st.sampled_from(["first", "largest", "all"]),
)
def test_line_and_polygon_shares_match_brute_force(zones, geoms, multiple):
    features = gpd.GeoDataFrame(geometry=geoms, crs=2154)
    out = attribute(features, _zones_gdf(zones), multiple=multiple, tolerance_m=0)
    measure = [shapely.area if g.geom_type == "Polygon" else shapely.length for g in geoms]
    share = np.array(
        [
            [m(shapely.intersection(g, z)) / m(g) for z in zones]
            for g, m in zip(geoms, measure, strict=True)
        ]
    )
    matched = share > 0
    rows = list(zip(out.index, out["code_qp"], out["code_qp_share"], strict=True))
    if multiple == "all":
        got = {(int(i), str(k)) for i, k, _ in rows if k == k}
        expected = {(int(i), f"Z{z}") for i, z in zip(*np.nonzero(matched), strict=True)}
        assert got == expected
        for i, k, s in rows:
            if k == k:
                assert s == pytest.approx(share[i, int(k[1:])])
    else:
        assert len(out) == len(geoms)
        pick = share.argmax(axis=1) if multiple == "largest" else matched.argmax(axis=1)
        for i, k, s in rows:
            if matched[i].any():
                assert k == f"Z{pick[i]}"
                assert s == pytest.approx(share[i, pick[i]])
            else:
                assert k != k  # null: "hors zone"
    layer = attribution_report(out)["code_qp"]
    assert layer.n_several == int((matched.sum(axis=1) > 1).sum())
    assert layer.balanced


@SETTINGS
@given(scene(), st.floats(0.5, 40), st.sampled_from([None, True]))
def test_near_is_a_superset_of_points_within_distance(data, distance_m, sparse):
    zones, x, y = data
    geoms = np.array(zones, dtype=object)
    grid = ZoneGrid(
        geoms, predicate="covered_by", n_points=len(x), margin_m=distance_m, sparse=sparse
    )
    rings = [shapely.boundary(z) for z in zones]
    with np.errstate(invalid="ignore"):
        dist = np.array([shapely.distance(r, shapely.points(x, y)) for r in rings]).min(axis=0)
    close = dist <= distance_m
    assert grid.near(x, y, distance_m)[close].all()


@st.composite
def repaired_scene(draw: st.DrawFn) -> tuple[list[shapely.Geometry], np.ndarray, np.ndarray]:
    """Invalid zones as files bring them (bow-ties, holes), and points on and near them.

    Points: vertices and edge midpoints of the repaired perimeters (holes included),
    the same moved by 1e-9 to 2 m, and random points over the extent.
    """
    zones = []
    for _ in range(draw(st.integers(1, 4))):
        geom = draw(star())
        xy = shapely.get_coordinates(shapely.get_exterior_ring(geom))[:-1]
        if draw(st.booleans()) and len(xy) >= 4:  # two vertices swapped: a bow-tie
            i = draw(st.integers(0, len(xy) - 2))
            xy[[i, i + 1]] = xy[[i + 1, i]]
        holes = draw(st.lists(lattice_box(), max_size=2))
        ring = np.vstack([xy, xy[:1]])
        zones.append(shapely.Polygon(ring, [shapely.get_coordinates(h.exterior) for h in holes]))
    repaired = shapely.make_valid(np.array(zones), method="structure", keep_collapsed=False)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    edge = _perimeter_points([g for g in repaired if not g.is_empty])
    scale = 10.0 ** rng.uniform(-9, 0.3, (len(edge), 1))
    moved = edge + rng.normal(0, 1, edge.shape) * scale
    n = draw(st.integers(0, 200))
    rand = np.c_[rng.uniform(X0 - 200, X0 + 600, n), rng.uniform(Y0 - 200, Y0 + 600, n)]
    xy = np.concatenate([edge, moved, rand])
    return zones, xy[:, 0].copy(), xy[:, 1].copy()


@SETTINGS
@given(repaired_scene(), st.sampled_from(["within", "covered_by"]))
def test_points_match_sjoin_on_repaired_invalid_zones(data, predicate):
    """Every (point, zone) pair is the one geopandas.sjoin finds on the repaired zones."""
    zones, x, y = data
    features = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=2154)
    out = attribute(features, _zones_gdf(zones), predicate=predicate, multiple="all", tolerance_m=0)
    right = _zones_gdf(zones)
    right.geometry = shapely.make_valid(
        np.asarray(right.geometry.array), method="structure", keep_collapsed=False
    )
    joined = gpd.sjoin(features, right, predicate=predicate, how="inner")
    expected = set(zip(joined.index.tolist(), joined["code_qp"].tolist(), strict=True))
    got = {(int(i), str(k)) for i, k in zip(out.index, out["code_qp"], strict=True) if k == k}
    assert got == expected


@SETTINGS
@given(repaired_scene(), st.floats(0.01, 40))
def test_tolerance_on_perimeter_pieces_is_the_whole_polygon_distance(data, tolerance_m):
    """The fast look-up gives the zone and the very distance of the whole-polygon one."""
    zones, x, y = data
    layer = prepare_zones(_zones_gdf(zones), "code_qp")[0]
    points = shapely.points(x, y)
    # The look-up serves points in no zone's interior (on a perimeter is allowed).
    inside = np.array([shapely.contains(z, points) for z in layer.geoms]).any(axis=0)
    points = points[~inside]
    fast = nearest_points(layer, points, tolerance_m)
    slow = nearest(layer, points, tolerance_m)
    for got, expected in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_threaded_paths_give_the_same_answers(monkeypatch):
    """Reading, look-up and exact tests in two threads and small blocks change no answer.

    Features that are not plain points (None, empty, NaN or infinite coordinates, a
    line, a degenerate multipoint) sit among the points, across block boundaries.
    """
    from gupgeo.attribution import _engine, _grid

    rng = np.random.default_rng(5)
    zones = [shapely.Point(X0 + 100 * i, Y0 + 50 * i).buffer(70, 16) for i in range(5)]
    edge = _perimeter_points(zones)
    xy = np.concatenate([edge, edge + rng.normal(0, 1e-3, edge.shape)])
    xy = np.concatenate(
        [xy, np.c_[rng.uniform(X0 - 80, X0 + 480, 500), rng.uniform(Y0, Y0 + 300, 500)]]
    )
    geoms = shapely.points(xy)
    odd = {
        3: None,
        4: shapely.Point(),
        11: shapely.Point(np.nan, Y0),
        12: shapely.Point(np.inf, Y0),
        20: shapely.LineString([(X0 - 100, Y0), (X0 + 20, Y0)]),
        21: shapely.MultiPoint([(X0, Y0)]),
    }
    for i, g in odd.items():
        geoms[i] = g
    features = gpd.GeoDataFrame(geometry=geoms, crs=2154)
    expected = attribute(features, _zones_gdf(zones), multiple="all", tolerance_m=0)
    statut = expected["code_qp_statut"]
    assert (statut.loc[[3, 4]] == "sans géométrie").all()
    assert (statut.loc[[11, 12]] == "coordonnées invalides").all()
    assert (expected.loc[[20, 21], "code_qp"] == "Z0").all()
    monkeypatch.setattr(_engine, "_THREADED_READS", 1)
    monkeypatch.setattr(_grid, "_THREADED_POINTS", 1)
    monkeypatch.setattr(_grid, "_BLOCK_POINTS", 7)
    monkeypatch.setattr(_grid, "_THREADED_TESTS", 1)
    monkeypatch.setattr(_engine, "_BLOCK_FEATURES", 5)
    got = attribute(features, _zones_gdf(zones), multiple="all", tolerance_m=0)
    pd.testing.assert_frame_equal(got, expected)
    ref = _reference(zones, xy[:, 0], xy[:, 1], "covered_by")
    pairs = {(int(i), str(k)) for i, k in zip(got.index, got["code_qp"], strict=True) if k == k}
    expected_pairs = {(int(p), f"Z{z}") for p, z in zip(*np.nonzero(ref), strict=True)}
    assert pairs - {(20, "Z0"), (21, "Z0")} == {(p, z) for p, z in expected_pairs if p not in odd}
