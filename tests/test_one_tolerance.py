"""One tolerance default for every command and API; the source's own code_qp kept.

Tiny Lambert-93 squares: a point 10 m outside quartier A counts in A (15 m default)
for ``attribute``, ``attribute_xy``, ``count_in_zones``, ``attribute_territory`` and the
``attribute`` command alike; a ``code_qp`` the source gave itself is kept as
``code_qp_source`` and its agreement with the spatial answer reported.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gupgeo import attribute_territory
from gupgeo.attribution import DEFAULT_TOLERANCE_M, database, distributed, zones
from gupgeo.cli import build_parser, main

X0, Y0 = 525_000.0, 6_701_000.0


def quartiers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code_qp": ["QA", "QB"], "nom_qp": ["A", "B"]},
        geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100),
                  shapely.box(X0 + 300, Y0, X0 + 400, Y0 + 100)],
        crs=2154,
    )  # fmt: skip


def signalements() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["S1", "S2", "S3"], "code_qp": ["QA", "QA", "QB"],
         "date_signalement": ["2024-01-02"] * 3, "categorie": ["tags"] * 3},
        geometry=[shapely.Point(X0 + 50, Y0 + 50), shapely.Point(X0 + 110, Y0 + 50),
                  shapely.Point(X0 + 50, Y0 + 60)],
        crs=2154,
    )  # fmt: skip


def test_every_api_defaults_to_the_same_tolerance():
    assert DEFAULT_TOLERANCE_M == 15.0
    functions = [zones.attribute, zones.attribute_xy, zones.count_by_zone,
                 distributed.attribute_partitions, database.attribute_in_database]  # fmt: skip
    for function in functions:
        default = inspect.signature(function).parameters["tolerance_m"].default
        assert default == DEFAULT_TOLERANCE_M, function.__name__
    q = quartiers()
    assert zones.attribute(signalements(), q)["code_qp"].tolist() == ["QA", "QA", "QA"]
    out = zones.attribute_xy(np.array([X0 + 110]), np.array([Y0 + 50]), q)
    assert out["code_qp"].tolist() == ["QA"]
    assert zones.count_by_zone(signalements(), q)["nombre"].to_dict() == {"QA": 3, "QB": 0}


def test_every_command_defaults_to_the_same_tolerance():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.dest == "tolerance_m":
                assert action.default == DEFAULT_TOLERANCE_M, name
                assert "défaut : 15" in action.help


def test_the_source_code_qp_is_kept_and_its_agreement_reported():
    t = attribute_territory({"quartiers": quartiers(), "signalements": signalements()})
    s = t["signalements"]
    assert s["code_qp_source"].tolist() == ["QA", "QA", "QB"]
    assert s["code_qp"].tolist() == ["QA", "QA", "QA"]
    (agreement,) = t.attribution["signalements"].agreements
    assert (agreement.n_declared, agreement.n_agree) == (3, 2)
    text = t.attribution["signalements"].to_text()
    assert "code_qp donné par la source (code_qp_source) : 3 ligne(s), 2 d'accord" in text
    assert "QB (source) → QA (spatial) : 1" in text
    again = attribute_territory(t, tolerance_m=0)  # from the declared values, not the answer
    assert again["signalements"]["code_qp_source"].tolist() == ["QA", "QA", "QB"]
    assert again["signalements"]["code_qp"].isna().tolist() == [False, True, False]


def test_a_territory_saved_with_the_old_column_name_is_read_back():
    t = attribute_territory({"quartiers": quartiers(), "signalements": signalements()})
    old = t["signalements"].rename(columns={"code_qp_source": "code_qp_declare"})
    again = attribute_territory({"quartiers": quartiers(), "signalements": old})
    assert "code_qp_declare" not in again["signalements"].columns
    assert again["signalements"]["code_qp_source"].tolist() == ["QA", "QA", "QB"]


def test_the_attribute_command_keeps_the_file_code_qp(tmp_path: Path, capsys):
    signalements().to_file(tmp_path / "signalements.geojson")
    quartiers().to_file(tmp_path / "quartiers.geojson")
    out = tmp_path / "out.gpkg"
    code = main(["attribute", str(tmp_path / "signalements.geojson"),
                 "--zones", str(tmp_path / "quartiers.geojson"), "-o", str(out)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "tolérance" in printed and "3 ligne(s), 2 d'accord" in printed
    written = gpd.read_file(out)
    assert written["code_qp_source"].tolist() == ["QA", "QA", "QB"]
    assert written["code_qp"].tolist() == ["QA", "QA", "QA"]
