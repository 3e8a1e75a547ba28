"""The real-life broken inputs of data/sample/dirty/: each message and each row accounted for.

The files and their problems are described in data/sample/README.md.
"""

from __future__ import annotations

import pandas as pd
import pytest

from gupgeo import load_territory, read_layer

from .conftest import SAMPLE

DIRTY = SAMPLE / "dirty"


def _layer_report(frame):
    [layer] = frame.attrs["rapport"].layers
    return layer


def test_windows1252_csv_with_lambert93_xy() -> None:
    s = read_layer(DIRTY / "signalements_windows1252.csv")
    r = _layer_report(s)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (60, 60, 0)
    assert any("Windows-1252" in n for n in r.notes)
    assert any("virgule décimale" in n for n in r.notes)
    assert "EPSG:2154 retenu" in r.crs_source and "Lambert-93" in r.crs_source
    text = " ".join(s["description"].dropna()) + " ".join(s["categorie"])
    assert "é" in text and "\ufffd" not in text
    assert s.crs.to_epsg() == 2154


def test_swapped_coordinates_corrected_and_named() -> None:
    s = read_layer(DIRTY / "signalements_coordonnees_inversees.csv")
    r = _layer_report(s)
    assert (r.rows_read, r.rows_kept, r.rows_repaired) == (50, 50, 7)
    fixed_rows = sorted(int(i.row.split()[1]) for i in r.issues_of("réparation"))
    fixed_ids = sorted(s["id"].iloc[[n - 2 for n in fixed_rows]])
    assert fixed_ids == [
        "INV-012",
        "INV-019",
        "INV-022",
        "INV-029",
        "INV-038",
        "INV-041",
        "INV-046",
    ]
    # Once corrected, every point lies in the Tours area (Lambert-93).
    assert s.geometry.x.between(500_000, 550_000).all()
    assert s.geometry.y.between(6_680_000, 6_720_000).all()


def test_bad_dates_four_rejected_with_raw_value() -> None:
    s = read_layer(DIRTY / "signalements_dates_invalides.csv")
    report = s.attrs["rapport"]
    r = report.layers[0]
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (40, 36, 4)
    rejects = report.rejects["signalements"]
    assert sorted(rejects["date_signalement"].fillna("").tolist()) == sorted(
        ["31/02/2024", "hier", "", "2024-13-01"]
    )
    assert rejects["motif"].str.contains("date_signalement").all()
    assert s["date_signalement"].notna().all()
    # Lines 2-4 of the file hold an ISO date, a French date and an Excel serial (45564).
    assert s["date_signalement"].iloc[:3].tolist() == [
        pd.Timestamp("2024-12-29"),
        pd.Timestamp("2024-06-05"),
        pd.Timestamp("2024-09-29"),
    ]


def test_duplicate_ids_three_rejected() -> None:
    s = read_layer(DIRTY / "signalements_doublons.csv")
    r = _layer_report(s)
    assert (r.rows_read, r.rows_kept, r.rows_rejected) == (43, 40, 3)
    messages = [i.message for i in r.issues_of("rejet")]
    for dup in ("DBL-007", "DBL-018", "DBL-029"):
        assert any(f"identifiant « {dup} » en double" in m for m in messages)
    assert s["id"].is_unique


def test_bow_tie_quartier_repaired_and_kept() -> None:
    q = read_layer(DIRTY / "quartiers_autointersection.geojson")
    r = _layer_report(q)
    assert (r.rows_read, r.rows_kept, r.rows_repaired) == (3, 3, 1)
    assert q.geometry.is_valid.all()
    bastie = q.loc[q["code_qp"] == "LOC-MARYSE-BASTIE"].geometry.item()
    assert bastie.geom_type == "MultiPolygon" and bastie.area > 0
    assert "auto-intersection au point (" in r.issues_of("réparation")[0].message


def test_shapefile_without_prj_decides_lambert93_and_says_so() -> None:
    e = read_layer(DIRTY / "equipements_sans_crs.shp")
    r = _layer_report(e)
    assert r.rows_kept == 25
    assert e.crs.to_epsg() == 2154
    assert any(i.kind == "CRS déduit" for i in r.issues)
    assert any(".prj" in n for n in r.notes)
    # DBF field names cut at 10 characters are mapped back to the schema's names.
    assert e["gestionnaire"].notna().all() and e["date_mise_en_service"].notna().all()


def test_open311_statuses_and_closing_dates() -> None:
    s = read_layer(DIRTY / "open311_requests.json")
    r = _layer_report(s)
    assert (r.rows_read, r.rows_kept) == (30, 30)
    closed = s["statut_brut"] == "closed"
    assert set(s.loc[closed, "statut"]) == {"résolu"}
    assert set(s.loc[~closed, "statut"]) <= {"nouveau", "en cours"}
    assert s.loc[closed, "date_cloture"].notna().all()
    assert s.loc[~closed, "date_cloture"].isna().all()


def test_dansmarue_in_paris_is_read_and_flagged_far_from_tours() -> None:
    t = load_territory(SAMPLE / "quartiers.geojson", DIRTY / "dansmarue_export.csv")
    r = t.report.layer("signalements")
    assert (r.rows_read, r.rows_kept) == (30, 30)
    far = [i for i in r.issues if i.kind == "loin du territoire"]
    assert len(far) == 30 and all(" km du quartier le plus proche" in i.message for i in far)
    assert any("ni statut ni date de clôture" in n for n in r.notes)
    assert t["signalements"]["statut"].isna().all()


def test_gpx_walk_track_and_waypoints() -> None:
    c = read_layer(DIRTY / "marche_exploratoire.gpx", "constats")
    # The track is the walk's route (a diagnostic), never a constat (issue 21).
    assert len(c) == 8
    assert (c.geometry.geom_type == "Point").all()
    route = read_layer(DIRTY / "marche_exploratoire.gpx", "diagnostics")
    assert route.geometry.geom_type.tolist() == ["MultiLineString"]
    assert c["date"].notna().all()
    assert any("&" in d for d in c["description"].dropna())


def test_kml_constats_points_and_line() -> None:
    c = read_layer(DIRTY / "constats.kml")
    assert c["id"].tolist() == [f"marche-0{i}" for i in range(1, 6)]
    assert c["gravite"].tolist() == [3, 2, 2, 1, 3]
    assert (c.geometry.geom_type == "LineString").sum() == 1
    assert c["date"].notna().all()


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in DIRTY.glob("*")
        if p.suffix in {".csv", ".json", ".geojson", ".shp", ".gpx", ".kml"}
    ),
)
def test_every_dirty_file_balances(name: str) -> None:
    report = load_territory(DIRTY / name).report
    assert report.layers and report.balanced
    assert not report.fatal
