"""Exact expectations on hand-built Lambert-93 squares near Tours.

Zones (100 m squares, coordinates relative to X0, Y0):
A = [0, 100] x [0, 100], B = [50, 150] x [0, 100] (overlaps A on x in [50, 100]),
C = [300, 400] x [0, 100] with a hole [330, 370] x [30, 70].
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from gupgeo._lock import file_lock
from gupgeo.attribution.zones import (
    STATUTS_ATTRIBUTION,
    AttributionReport,
    attribute,
    attribute_xy,
    attribution_report,
    count_by_zone,
    nearest,
    within_distance,
    write_attribution,
)
from gupgeo.errors import CRSError, SchemaError

X0, Y0 = 525_000.0, 6_700_000.0


def sq(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def pt(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def line(*xy: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


@pytest.fixture
def quartiers() -> gpd.GeoDataFrame:
    c = shapely.Polygon(sq(300, 0, 400, 100).exterior, [sq(330, 30, 370, 70).exterior])
    return gpd.GeoDataFrame(
        {"code_qp": ["LOC-A", "LOC-B", "LOC-C"], "nom_qp": ["A", "B", "C"]},
        geometry=[sq(0, 0, 100, 100), sq(50, 0, 150, 100), c],
        crs=2154,
    )


def points(*geoms: shapely.Geometry | None, crs: object = 2154) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": range(len(geoms))}, geometry=list(geoms), crs=crs)


def col(out: pd.DataFrame, name: str) -> list:
    return [None if pd.isna(v) else v for v in out[name]]


# -- points -------------------------------------------------------------------------


def test_points_inside_overlap_hole_and_outside(quartiers):
    feats = points(pt(10, 50), pt(75, 50), pt(140, 50), pt(350, 50), pt(310, 50), pt(200, 50))
    out = attribute(feats, quartiers, tolerance_m=0)
    assert col(out, "code_qp") == ["LOC-A", "LOC-A", "LOC-B", None, "LOC-C", None]
    assert col(out, "code_qp_statut") == [
        "dans la zone",
        "plusieurs zones",
        "dans la zone",
        "hors zone",
        "dans la zone",
        "hors zone",
    ]
    assert out.crs == feats.crs and list(out.index) == list(feats.index)
    assert "code_qp_distance_m" not in out and "code_qp_share" not in out


def test_perimeter_counts_inside_with_covered_by_not_within(quartiers):
    # outer edge of A, vertex of A, edge of C's hole, edge of B inside A
    feats = points(pt(0, 50), pt(0, 0), pt(330, 50), pt(50, 50))
    covered = attribute(feats, quartiers, tolerance_m=0)
    assert col(covered, "code_qp") == ["LOC-A", "LOC-A", "LOC-C", "LOC-A"]
    assert col(covered, "code_qp_statut")[3] == "plusieurs zones"
    assert col(
        attribute(feats, quartiers, predicate="intersects", tolerance_m=0), "code_qp"
    ) == col(covered, "code_qp")
    within = attribute(feats, quartiers, predicate="within", tolerance_m=0)
    assert col(within, "code_qp") == [None, None, None, "LOC-A"]
    assert col(within, "code_qp_statut")[3] == "dans la zone"  # interior of A only


def test_tolerance_nearest_zone_distance_and_ties(quartiers):
    # 5 m right of B; 30 m right of B; in C's hole, 10 m from its edge; between B and C
    feats = points(pt(155, 50), pt(180, 50), pt(350, 40), pt(225, 50))
    out = attribute(feats, quartiers, tolerance_m=10)
    assert col(out, "code_qp") == ["LOC-B", None, "LOC-C", None]
    assert col(out, "code_qp_statut") == ["tolérance", "hors zone", "tolérance", "hors zone"]
    assert out["code_qp_distance_m"].iloc[0] == pytest.approx(5.0)
    assert out["code_qp_distance_m"].iloc[2] == pytest.approx(10.0)
    assert np.isnan(out["code_qp_distance_m"].iloc[1])
    tie = attribute(points(pt(225, 50)), quartiers, tolerance_m=80)  # 75 m from B and C
    assert col(tie, "code_qp") == ["LOC-B"]  # first in zone order
    report = attribution_report(out)["code_qp"]
    assert (report.n_tolerance, report.n_outside) == (2, 2)


def test_within_with_tolerance_catches_perimeter_at_zero(quartiers):
    out = attribute(points(pt(0, 50)), quartiers, predicate="within", tolerance_m=1)
    assert col(out, "code_qp") == ["LOC-A"]
    assert col(out, "code_qp_statut") == ["tolérance"]
    assert out["code_qp_distance_m"].iloc[0] == 0


def test_multiple_all_repeats_index_for_overlaps(quartiers):
    feats = points(pt(10, 50), pt(75, 50), pt(200, 50))
    out = attribute(feats, quartiers, multiple="all")
    assert list(out.index) == [0, 1, 1, 2]
    assert col(out, "code_qp") == ["LOC-A", "LOC-A", "LOC-B", None]
    report = attribution_report(out)
    assert (report.n_features, report.n_rows) == (3, 4)
    assert report["code_qp"].per_zone.to_dict() == {"LOC-A": 2, "LOC-B": 1, "LOC-C": 0}


def test_empty_missing_and_nan_geometries_are_kept_and_counted(quartiers):
    feats = points(pt(10, 50), None, shapely.Point(), shapely.Point(np.nan, np.nan))
    out = attribute(feats, quartiers)
    assert len(out) == 4
    assert col(out, "code_qp_statut") == [
        "dans la zone",
        "sans géométrie",
        "sans géométrie",
        "coordonnées invalides",
    ]
    layer = attribution_report(out)["code_qp"]
    assert (layer.n_no_geometry, layer.n_invalid_coordinates) == (2, 1)
    assert layer.balanced


def test_empty_features(quartiers):
    out = attribute(points(), quartiers)
    assert len(out) == 0 and "code_qp" in out and "code_qp_statut" in out
    report = attribution_report(out)
    assert report.balanced and report["code_qp"].per_zone.sum() == 0


def test_empty_zone_layer_matches_nothing(quartiers):
    out = attribute(points(pt(10, 50)), quartiers.iloc[:0])
    assert col(out, "code_qp_statut") == ["hors zone"]


# -- lines and polygons ---------------------------------------------------------------


def test_line_share_and_three_multiple_modes(quartiers):
    # 125 m line: 80 m in A (x 20..100), 95 m in B (x 50..145)
    feats = points(line((20, 10), (145, 10)), line((-50, 10), (50, 10)))
    first = attribute(feats, quartiers)
    assert col(first, "code_qp") == ["LOC-A", "LOC-A"]
    assert first["code_qp_share"].tolist() == pytest.approx([80 / 125, 0.5])
    assert col(first, "code_qp_statut") == ["plusieurs zones", "dans la zone"]
    largest = attribute(feats, quartiers, multiple="largest")
    assert col(largest, "code_qp") == ["LOC-B", "LOC-A"]
    assert largest["code_qp_share"].tolist() == pytest.approx([95 / 125, 0.5])
    every = attribute(feats, quartiers, multiple="all")
    assert list(every.index) == [0, 0, 1]
    assert col(every, "code_qp") == ["LOC-A", "LOC-B", "LOC-A"]
    assert every["code_qp_share"].tolist() == pytest.approx([80 / 125, 95 / 125, 0.5])


def test_polygon_area_share_and_touching_zone_ignored(quartiers):
    # 20 x 10 m square: half in A, wholly in B; a square touching C's outer edge
    feats = points(sq(90, 10, 110, 20), sq(400, 10, 420, 20), pt(10, 10))
    out = attribute(feats, quartiers, multiple="largest", tolerance_m=0)
    assert col(out, "code_qp") == ["LOC-B", None, "LOC-A"]
    assert out["code_qp_share"].iloc[0] == pytest.approx(1.0)
    assert np.isnan(out["code_qp_share"].iloc[1])
    assert out["code_qp_share"].iloc[2] == 1.0  # points in a mixed layer: share 1
    first = attribute(feats, quartiers, tolerance_m=5)
    assert first["code_qp_share"].iloc[0] == pytest.approx(0.5)
    assert col(first, "code_qp_statut")[1] == "tolérance"
    assert first["code_qp_distance_m"].iloc[1] == 0  # touching: distance 0, share 0
    assert first["code_qp_share"].iloc[1] == 0


# -- several layers, keys, CRS, repairs ----------------------------------------------------


def test_several_layers_at_once(quartiers):
    operations = gpd.GeoDataFrame(
        {"id": ["OP-1"], "code_qp": ["LOC-B"]}, geometry=[sq(60, 0, 200, 40)], crs=2154
    )
    feats = points(pt(10, 50), pt(120, 20), pt(180, 20))
    out = attribute(
        feats,
        {"code_qp": quartiers, "operation_id": operations},
        key={"operation_id": "id"},
    )
    assert col(out, "code_qp") == ["LOC-A", "LOC-B", None]
    assert col(out, "operation_id") == [None, "OP-1", "OP-1"]
    report = attribution_report(out)
    assert [layer.column for layer in report.layers] == ["code_qp", "operation_id"]
    assert report["operation_id"].id_column == "id"
    assert report.balanced


def test_several_layers_all_mode_is_a_product(quartiers):
    ops = gpd.GeoDataFrame(
        {"operation_id": ["O1", "O2"]}, geometry=[sq(0, 0, 200, 100), sq(60, 40, 90, 60)], crs=2154
    )
    out = attribute(points(pt(75, 50)), {"code_qp": quartiers, "operation_id": ops}, multiple="all")
    assert list(zip(col(out, "code_qp"), col(out, "operation_id"), strict=True)) == [
        ("LOC-A", "O1"),
        ("LOC-A", "O2"),
        ("LOC-B", "O1"),
        ("LOC-B", "O2"),
    ]
    report = attribution_report(out)
    assert report["code_qp"].per_zone.to_dict() == {"LOC-A": 1, "LOC-B": 1, "LOC-C": 0}


def test_missing_identifier_column_is_explained(quartiers):
    with pytest.raises(SchemaError, match=r"operation_id.*key="):
        attribute(points(pt(1, 1)), {"operation_id": quartiers[["geometry"]]})
    with pytest.raises(SchemaError, match="sans identifiant"):
        attribute(points(pt(1, 1)), quartiers.assign(code_qp=[None, "X", "Y"]))


def test_point_zones_are_rejected(quartiers):
    with pytest.raises(SchemaError, match=r"polygones.*nearest"):
        attribute(points(pt(1, 1)), points(pt(0, 0)).assign(code_qp="X"))


def test_reprojection_keeps_input_crs(quartiers):
    feats = points(pt(10, 50), pt(75, 50), pt(155, 50)).to_crs(4326)
    out = attribute(feats, quartiers.to_crs(3857), tolerance_m=10)
    assert out.crs == feats.crs
    assert out.geometry.equals(feats.geometry)
    assert col(out, "code_qp") == ["LOC-A", "LOC-A", "LOC-B"]
    assert out["code_qp_distance_m"].iloc[2] == pytest.approx(5.0, abs=1e-3)


def test_missing_crs_raises_in_french(quartiers):
    with pytest.raises(CRSError, match="entités : aucun système de coordonnées"):
        attribute(points(pt(1, 1)).set_crs(None, allow_override=True), quartiers)
    with pytest.raises(CRSError, match="zones « code_qp » : aucun"):
        attribute(points(pt(1, 1)), quartiers.set_crs(None, allow_override=True))
    with pytest.raises(CRSError, match="coordonnées"):
        attribute_xy(np.array([1.0]), np.array([1.0]), quartiers, crs=None)


def test_invalid_zone_repaired_and_reported():
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    zones = gpd.GeoDataFrame({"code_qp": ["NOEUD"]}, geometry=[bowtie], crs=2154)
    out = attribute(points(pt(90, 50), pt(50, 90)), zones)
    assert col(out, "code_qp") == ["NOEUD", None]
    report = attribution_report(out)
    assert report["code_qp"].repaired_zones == ("NOEUD",)
    assert "zones réparées (géométrie invalide) : NOEUD" in report.to_text()
    assert not bowtie.is_valid  # the caller's zones are left untouched
    assert not zones.geometry.iloc[0].is_valid


def test_duplicate_identifiers_are_merged(quartiers):
    zones = gpd.GeoDataFrame(
        {"code_qp": ["D", "D"]}, geometry=[sq(0, 0, 10, 10), sq(20, 0, 30, 10)], crs=2154
    )
    out = attribute(points(pt(5, 5), pt(25, 5)), zones)
    assert col(out, "code_qp_statut") == ["dans la zone", "dans la zone"]
    assert attribution_report(out)["code_qp"].merged_zones == ("D",)


def test_many_zones_use_wider_lookup_table():
    boxes = [sq(i * 20, 0, i * 20 + 10, 10) for i in range(300)]
    zones = gpd.GeoDataFrame({"code_qp": [f"Z{i}" for i in range(300)]}, geometry=boxes, crs=2154)
    x = X0 + np.arange(300) * 20 + 5.0
    out = attribute_xy(np.r_[x, x + 10], np.full(600, Y0 + 5), zones, tolerance_m=0)
    assert col(out, "code_qp") == [f"Z{i}" for i in range(300)] + [None] * 300


def test_zones_spread_over_france_use_sparse_grid():
    far = [sq(0, 0, 100, 100), sq(600_000, -500_000, 600_100, -499_900)]
    zones = gpd.GeoDataFrame({"code_qp": ["NORD", "SUD"]}, geometry=far, crs=2154)
    x = X0 + np.array([50.0, 600_050.0, 600_105.0, 300_000.0, np.nan])
    y = Y0 + np.array([50.0, -499_950.0, -499_950.0, 0.0, 0.0])
    out = attribute_xy(x, y, zones, tolerance_m=10)
    assert col(out, "code_qp") == ["NORD", "SUD", "SUD", None, None]
    assert col(out, "code_qp_statut")[2] == "tolérance"
    assert out["code_qp_distance_m"].iloc[2] == pytest.approx(5.0)


def test_existing_column_is_replaced(quartiers):
    out = attribute(points(pt(10, 50)).assign(code_qp="ancien"), quartiers)
    assert col(out, "code_qp") == ["LOC-A"]


def test_bad_options_are_explained(quartiers):
    with pytest.raises(ValueError, match=r"predicate.*'contains'"):
        attribute(points(pt(1, 1)), quartiers, predicate="contains")
    with pytest.raises(ValueError, match="multiple"):
        attribute(points(pt(1, 1)), quartiers, multiple="any")
    with pytest.raises(ValueError, match="tolerance_m"):
        attribute(points(pt(1, 1)), quartiers, tolerance_m=-1)


# -- report ---------------------------------------------------------------------------


def test_report_arithmetic_and_french_text(quartiers):
    feats = points(pt(10, 50), pt(75, 50), pt(155, 50), pt(500, 50), None, pt(350, 50))
    out = attribute(feats, quartiers, tolerance_m=10)
    report = attribution_report(out)
    assert isinstance(report, AttributionReport) and report is out.attrs["attribution_report"]
    layer = report["code_qp"]
    assert (layer.n_inside, layer.n_several, layer.n_tolerance) == (1, 1, 1)
    assert (layer.n_outside, layer.n_no_geometry, layer.n_invalid_coordinates) == (2, 1, 0)
    assert layer.n_matched == 3 and layer.balanced and report.balanced
    assert layer.per_zone.to_dict() == {"LOC-A": 2, "LOC-B": 1, "LOC-C": 0}
    assert layer.per_zone.index.name == "code_qp"
    text = str(report)
    for fragment in (
        "6 entités en entrée, 6 lignes en sortie",
        "dans plusieurs zones     : 1",
        "rattachées par tolérance : 1",
        "hors zone                : 2",
        "toutes les entités sont comptées une fois",
        "LOC-C",
    ):
        assert fragment in text
    frame = report.to_frame()
    assert frame["entites"].tolist() == [2, 1, 0]
    assert list(out["code_qp_statut"].cat.categories) == list(STATUTS_ATTRIBUTION)


def test_report_missing_is_explained():
    with pytest.raises(ValueError, match="aucun rapport"):
        attribution_report(pd.DataFrame())


def test_attribute_xy_matches_attribute(quartiers):
    xy = np.array([[10, 50], [75, 50], [0, 50], [500, 50], [np.nan, 1]])
    out = attribute_xy(X0 + xy[:, 0], Y0 + xy[:, 1], quartiers)
    assert col(out, "code_qp") == ["LOC-A", "LOC-A", "LOC-A", None, None]
    assert col(out, "code_qp_statut")[4] == "coordonnées invalides"
    lonlat = points(pt(10, 50)).to_crs(4326).get_coordinates()
    out = attribute_xy(lonlat.x.to_numpy(), lonlat.y.to_numpy(), quartiers, crs="EPSG:4326")
    assert col(out, "code_qp") == ["LOC-A"]


# -- nearest, within_distance, count_by_zone ---------------------------------------------


def test_nearest_with_ties_and_max_distance():
    equipements = gpd.GeoDataFrame(
        {"id": ["E1", "E2", "E3"]}, geometry=[pt(0, 0), pt(100, 0), pt(-100, 0)], crs=2154
    )
    feats = points(pt(30, 40), pt(1000, 0), pt(50, 0), None).to_crs(4326)
    out = nearest(feats, equipements, max_distance_m=200)
    assert col(out, "plus_proche_id") == ["E1", None, "E1", None]
    assert out["plus_proche_distance_m"].iloc[0] == pytest.approx(50.0, abs=1e-3)
    assert out.crs == feats.crs
    unlimited = nearest(feats, equipements, max_distance_m=None)
    assert col(unlimited, "plus_proche_id")[1] == "E2"
    with pytest.raises(SchemaError, match="« nom »"):
        nearest(feats, equipements, max_distance_m=10, key="nom")


def test_within_distance_all_and_nearest(quartiers):
    feats = points(pt(10, 50), pt(175, 50), pt(250, 50))
    out = within_distance(feats, quartiers, distance_m=80)
    assert list(out.index) == [0, 0, 1, 1, 2]
    assert col(out, "code_qp") == ["LOC-A", "LOC-B", "LOC-A", "LOC-B", "LOC-C"]
    assert out["code_qp_distance_m"].tolist() == pytest.approx([0, 40, 75, 25, 50])
    near = within_distance(feats, quartiers, distance_m=30, multiple="nearest")
    assert col(near, "code_qp") == ["LOC-A", "LOC-B", None]


def test_count_by_zone_lists_zero_zones_and_overlaps(quartiers):
    feats = points(pt(10, 50), pt(75, 50), pt(75, 60), pt(500, 0)).assign(
        categorie=["propreté", "éclairage", None, "propreté"], poids=[1.5, 2.0, 3.0, 4.0]
    )
    counts = count_by_zone(feats, quartiers)
    assert counts.index.name == "code_qp"
    assert counts["nombre"].to_dict() == {"LOC-A": 3, "LOC-B": 2, "LOC-C": 0}
    by = count_by_zone(feats, quartiers, by="categorie")
    assert by.loc["LOC-A"].to_dict() == {
        "propreté": 1,
        "éclairage": 1,
        "non renseigné": 1,
        "total": 3,
    }
    assert by.loc["LOC-C"].sum() == 0
    weighted = count_by_zone(feats, quartiers, weight="poids")
    assert weighted["somme_poids"].to_dict() == {"LOC-A": 6.5, "LOC-B": 5.0, "LOC-C": 0}
    distinct = count_by_zone(feats, quartiers, distinct="categorie")
    assert distinct["distincts_categorie"].to_dict() == {"LOC-A": 2, "LOC-B": 1, "LOC-C": 0}
    assert attribution_report(counts)["code_qp"].n_outside == 1
    with pytest.raises(SchemaError, match="« inconnue »"):
        count_by_zone(feats, quartiers, by="inconnue")


def test_write_attribution_layer_and_report(quartiers, tmp_path):
    out = attribute(points(pt(10, 50), pt(500, 50)), quartiers, tolerance_m=0)
    report_path = write_attribution(out, tmp_path / "signalements.gpkg")
    assert report_path == tmp_path / "signalements_rapport.txt"
    assert "hors zone                : 1" in report_path.read_text(encoding="utf-8")
    back = gpd.read_file(tmp_path / "signalements.gpkg")
    assert back["code_qp"].tolist()[0] == "LOC-A" and back["code_qp_statut"].tolist()[1] == (
        "hors zone"
    )
    write_attribution(out, tmp_path / "signalements.csv")
    text = (tmp_path / "signalements.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "id;code_qp;code_qp_statut;geometry_wkt"
    assert text.splitlines()[1].startswith("0;LOC-A;dans la zone;POINT (525010 6700050)")


def test_write_attribution_keeps_the_geopackages_other_tables(quartiers, tmp_path):
    """Written into a planner's GeoPackage: their layer and QGIS project stay; one writer."""
    target = tmp_path / "rattaches.gpkg"
    quartiers.to_file(target, layer="mes_quartiers")
    with sqlite3.connect(target) as db:
        db.execute("CREATE TABLE qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)")
        db.execute("INSERT INTO qgis_projects VALUES ('suivi', NULL, x'00ff')")
    out = attribute(points(pt(10, 50), pt(500, 50)), quartiers, tolerance_m=0)
    write_attribution(out, target)
    write_attribution(out.iloc[:1], target)  # a second run replaces its own layer only
    assert sorted(pyogrio.list_layers(target)[:, 0]) == [
        "mes_quartiers",
        "qgis_projects",
        "rattaches",
    ]
    assert len(gpd.read_file(target, layer="rattaches")) == 1
    assert len(gpd.read_file(target, layer="mes_quartiers")) == len(quartiers)
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT name, content FROM qgis_projects").fetchall() == [
            ("suivi", b"\x00\xff")
        ]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary


def test_write_attribution_waits_for_another_writer(quartiers, tmp_path):
    """While another process writes the output, the write waits, then happens whole."""
    target = tmp_path / "rattaches.geojson"
    write_attribution(attribute(points(pt(10, 50)), quartiers, tolerance_m=0), target)
    before = target.read_bytes()
    two = attribute(points(pt(10, 50), pt(20, 50)), quartiers, tolerance_m=0)
    with file_lock(target):
        writer = threading.Thread(target=write_attribution, args=(two, target))
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive() and target.read_bytes() == before  # waiting, nothing written
    writer.join(timeout=60)
    assert not writer.is_alive() and len(gpd.read_file(target)) == 2


def test_rattacher_into_the_geopackage_it_reads_holds_its_lock_from_read_to_write(
    quartiers, tmp_path
):
    """Output = ZONES: another writer cannot change the file between the read and the write.

    The command runs in its own process while this one holds the file's lock: it must say
    it waits before it says it reads anything.
    """
    target = tmp_path / "rattaches.gpkg"
    quartiers.to_file(target, layer="quartiers")
    source = tmp_path / "signalements.geojson"
    reports = points(pt(10, 50), pt(140, 50))
    reports[["date_signalement", "categorie"]] = ["2024-03-01", "propreté"]
    reports.to_file(source)
    argv = ["rattacher", str(source), "--zones", str(target), "--couche-zones", "quartiers"]
    argv += ["--tolerance-m", "0", "-o", str(target)]
    with file_lock(target):
        command = subprocess.Popen(
            [sys.executable, "-m", "gupgeo", *argv],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert command.stderr is not None
        first = command.stderr.readline()
        assert "en cours d'écriture par un autre processus" in first, first  # waits, unread
    _, rest = command.communicate(timeout=120)
    assert command.returncode == 0, rest
    assert rest.startswith("Lecture de")
    assert sorted(pyogrio.list_layers(target)[:, 0]) == ["quartiers", "rattaches"]
    assert col(gpd.read_file(target, layer="rattaches"), "code_qp") == ["LOC-A", "LOC-B"]


def test_tolerance_from_geometries_and_from_coordinates_agree(quartiers):
    """The tolerance pass measures the input points themselves (attribute) or points
    built from x, y (attribute_xy): same zones, bit-identical distances."""
    rng = np.random.default_rng(23)
    x = np.r_[rng.uniform(-40, 440, 3_000), 115.0, -15.0, 415.0, 350.0, 100.0 + 1e-9]
    y = np.r_[rng.uniform(-40, 140, 3_000), 50.0, 50.0, 50.0, 50.0, 115.0]
    from_geoms = attribute(points(*shapely.points(X0 + x, Y0 + y)), quartiers, tolerance_m=15)
    from_xy = attribute_xy(X0 + x, Y0 + y, quartiers, tolerance_m=15)
    assert col(from_geoms, "code_qp") == col(from_xy, "code_qp")
    assert col(from_geoms, "code_qp_statut") == col(from_xy, "code_qp_statut")
    assert np.array_equal(
        from_geoms["code_qp_distance_m"].to_numpy(),
        from_xy["code_qp_distance_m"].to_numpy(),
        equal_nan=True,
    )
    assert (from_geoms["code_qp_statut"] == "tolérance").sum() > 100
    assert from_geoms["code_qp_distance_m"].iloc[3_000:3_003].tolist() == [0.0, 15.0, 15.0]
