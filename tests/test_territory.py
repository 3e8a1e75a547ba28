"""The Territory: loading a folder, saving to one GeoPackage and back, summary, provenance."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from gupgeo import SchemaError, Territory, load_territory

from .conftest import require_sample


@pytest.fixture(scope="module")
def sample() -> Territory:
    return load_territory(require_sample())


def test_sample_loads_every_layer_balanced(sample: Territory) -> None:
    assert set(sample.layers) == {
        "quartiers",
        "operations",
        "equipements",
        "signalements",
        "constats",
        "diagnostics",
        "partenaires",
        "actions",
        "tfpb",
        "arrets_agents",
        "reunions",
        "garanties",
    }
    assert sample.report.balanced and not sample.report.fatal
    for name, frame in sample.layers.items():
        if isinstance(frame, gpd.GeoDataFrame):
            assert frame.crs.to_epsg() == 2154, name
    assert len(sample["signalements"]) >= 20_000
    assert pd.api.types.is_datetime64_any_dtype(sample["signalements"]["date_signalement"])
    assert set(sample["signalements"]["statut"].dropna()) <= {
        "nouveau",
        "pris en compte",
        "programmé",
        "en cours",
        "résolu",
        "clos autre",
    }


def test_actions_without_coordinates_are_kept(sample: Territory) -> None:
    raw = pd.read_csv(require_sample() / "actions.csv", sep=";", encoding="utf-8-sig")
    assert len(sample["actions"]) == len(raw)
    assert sample["actions"].geometry.isna().sum() == raw["longitude"].isna().sum()


def test_provenance_says_perimeters_are_approximate(sample: Territory) -> None:
    prov = sample.provenance["quartiers"]
    assert prov.perimeters == "approximatifs (non officiels)"
    assert prov.source.endswith("quartiers.geojson")
    assert "approximatifs" in sample.summary()


def test_summary_lists_layers_and_counts(sample: Territory) -> None:
    text = sample.summary()
    assert "10 quartier(s)" in text
    n = len(sample["signalements"])
    assert f"{n:,}".replace(",", "\u202f") in text
    frame = sample.summary_frame()
    assert frame.set_index("couche").loc["signalements", "lignes"] == n


def test_geopackage_round_trip_keeps_rows_types_and_provenance(
    sample: Territory, tmp_path: Path
) -> None:
    path = sample.save(tmp_path / "territoire.gpkg")
    tables = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
    assert set(sample.layers) <= tables and "gupgeo_provenance" in tables
    again = load_territory(path)
    assert again.report.balanced and not again.report.fatal
    for name, frame in sample.layers.items():
        assert len(again[name]) == len(frame), name
    s0, s1 = sample["signalements"], again["signalements"]
    assert s1["date_signalement"].equals(s0["date_signalement"])
    assert s1["id"].tolist() == s0["id"].tolist()
    assert (s1.geometry.distance(s0.geometry) < 0.001).all()
    assert again.provenance["quartiers"].perimeters == "approximatifs (non officiels)"
    assert again.provenance["signalements"].source.endswith("signalements.csv")


def test_save_writes_rejects_beside_the_geopackage(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "signalements.csv").write_text(
        "id;date_signalement;categorie;longitude;latitude\n1;hier;tags;0,69;47,39\n2;2024-01-02;tags;0,69;47,39\n",
        encoding="utf-8",
    )
    t = load_territory(tmp_path / "in")
    t.save(tmp_path / "out" / "t.gpkg")
    rejects = pd.read_csv(
        tmp_path / "out" / "rejets_signalements.csv", sep=";", encoding="utf-8-sig"
    )
    assert rejects["ligne"].tolist() == ["ligne 2"]
    assert "date_signalement illisible : 'hier'" in rejects["motif"].item()


def test_unknown_files_are_listed_not_silently_ignored(tmp_path: Path, squares) -> None:
    squares.to_file(tmp_path / "quartiers.geojson")
    (tmp_path / "notes_reunion.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    report = load_territory(tmp_path).report
    assert any("notes_reunion.csv" in s and "couche non reconnue" in s for s in report.skipped)
    assert "Fichier ignoré" in report.to_text()


def test_unknown_layer_name_is_a_clear_error(squares) -> None:
    with pytest.raises(SchemaError, match="couche\\(s\\) inconnue\\(s\\) : rues"):
        Territory({"rues": squares})
    with pytest.raises(KeyError, match="couche « equipements » absente"):
        Territory({"quartiers": squares})["equipements"]
