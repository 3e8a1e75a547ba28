"""The Dashboard: tables, series, reconciliation with the inputs, sources and notes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gupgeo.dashboard.model import Dashboard, DashboardConfig, build_dashboard
from gupgeo.errors import SchemaError
from gupgeo.indicators import HORS_QPV, TOTAL, DegradationConfig, PeriodError
from gupgeo.indicators.catalog import TABLE_INFO, TABLES
from gupgeo.territory import Territory
from tests._dashboard_fixtures import layers as fixture_layers
from tests._gup_synthetic import synthetic_territory

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def db() -> Dashboard:
    return build_dashboard(fixture_layers(), period="2024-Q1", freq="month")


def test_tables_periods_and_names(db: Dashboard) -> None:
    # The fixture has no diagnostics layer (tests/test_diagnostics.py covers that table).
    assert list(db.tables) == [t.name for t in TABLES if t.layer != "diagnostics"]
    assert db.period.label == "2024-T1"
    assert [p.label for p in db.subperiods] == ["2024-01", "2024-02", "2024-03"]
    assert db.quartiers == ("QP-A", "QP-B")
    assert db.names["QP-A"] == "Les Acacias"
    for name, table in db.tables.items():
        assert table.index.name == "code_qp", name
        assert table.index.tolist() == ["QP-A", "QP-B", HORS_QPV, TOTAL], name
    assert db["signalements"].loc[TOTAL, "nb_signalements"] == 9
    with pytest.raises(KeyError, match="tableaux disponibles"):
        db["inconnu"]
    assert "2024-T1" in repr(db) and "<b>" in db._repr_html_()


def test_series_one_block_per_month(db: Dashboard) -> None:
    series = db.series["signalements"]
    assert series.index.names == ["code_qp", "periode"]
    assert len(series) == 4 * 3
    monthly = series["nb_signalements"].groupby(level="code_qp", sort=False).sum()
    assert monthly.tolist() == db["signalements"]["nb_signalements"].tolist()
    # TFPB is annual: no monthly series.
    assert "tfpb" not in db.series and "tfpb" in db.tables


def test_every_count_reconciles_with_the_inputs(db: Dashboard) -> None:
    check = db.reconciliation()
    assert check["ok"].all(), check
    assert set(check["tableau"]) == {t.name for t in TABLES if t.count}
    # ESSP constats (c5) are left out; the note says so.
    assert db["constats"].loc["QP-A", "nb_constats"] == 2
    assert db.input_counts["constats"] == 3
    assert any("ESSP" in n for n in db.notes)


def test_label_tables_add_up_to_their_summary(db: Dashboard) -> None:
    pairs = {
        "signalements_par_categorie": ("signalements", "nb_signalements"),
        "signalements_par_statut": ("signalements", "nb_signalements"),
        "actions_par_theme": ("actions", "nb_actions"),
        "tfpb_actions_par_axe": ("tfpb", "nb_actions"),
        "tfpb_montant_par_axe": ("tfpb", "montant_eur"),
        "tfpb_montant_par_bailleur": ("tfpb", "montant_eur"),
        "garanties_par_objet": ("garanties", "nb_recours"),
        "constats_par_theme": ("constats", "nb_constats"),
    }
    for table, (summary, column) in pairs.items():
        got = db[table].sum(axis=1)
        assert np.allclose(got, db[summary][column]), table


def test_method_notes_and_sources(db: Dashboard) -> None:
    assert any("Stock" in n for n in db.notes)
    assert any("ZZ-INCONNU" in n for n in db.notes)
    sources = db.sources.set_index("couche")
    assert sources.loc["signalements", "lignes"] == 11
    assert sources.loc["signalements", "lignes_dans_la_periode"] == 9


def test_territory_object_provenance_and_config() -> None:
    territory = Territory(fixture_layers(), provenance={"signalements": "signalements.csv"})  # type: ignore[dict-item]
    config = DashboardConfig(
        degradations=DegradationConfig.from_mapping({"propreté": "salissures"}),
    )
    db = build_dashboard(
        territory, period="2024-T1", freq="quarter", config=config, publication="interne"
    )
    assert db.series == {}
    assert db["degradations"].loc[TOTAL, "salissures"] == 3
    assert db["constats"].loc["QP-A", "nb_constats"] == 3
    assert db.sources.set_index("couche").loc["signalements", "provenance"] == "signalements.csv"


def test_missing_layers_are_skipped_and_said() -> None:
    only = {k: v for k, v in fixture_layers().items() if k in ("quartiers", "actions")}
    db = build_dashboard(only, period="2024", freq="year")
    assert list(db.tables) == ["actions", "actions_par_theme"]
    assert any("signalements" in n and "absente" in n for n in db.notes)
    assert db.reconciliation()["ok"].all()


def test_bad_inputs_are_explained() -> None:
    with pytest.raises(SchemaError, match="quartiers"):
        build_dashboard({"signalements": fixture_layers()["signalements"]}, period="2024")
    with pytest.raises(SchemaError, match="Territory"):
        build_dashboard(["pas", "une", "couche"], period="2024")
    with pytest.raises(PeriodError, match="fréquence"):
        build_dashboard(fixture_layers(), period="2024", freq="semaine")


@pytest.mark.parametrize(("period", "freq"), [("2024", "month"), ("2023-T4", "month")])
def test_synthetic_territory_reconciles(period: str, freq: str) -> None:
    layers = synthetic_territory(n_signalements=4000, seed=7)
    db = build_dashboard(layers, period=period, freq=freq)
    check = db.reconciliation()
    assert check["ok"].all(), check
    sig = layers["signalements"]
    dates = sig["date_signalement"]
    expected = ((dates >= db.period.start) & (dates < db.period.end)).sum()
    assert db["signalements"].loc[TOTAL, "nb_signalements"] == expected
    for name in ("signalements", "degradations", "actions", "reunions"):
        series = db.series[name]
        count = next(c for c in series.columns if c.startswith("nb_"))
        per_zone = series[count].groupby(level="code_qp", sort=False).sum()
        assert per_zone.tolist() == db[name][count].tolist(), name


def _read_sample() -> dict[str, pd.DataFrame]:
    """Read data/sample with plain pandas/geopandas and attribute with a simple sjoin."""
    quartiers = gpd.read_file(SAMPLE / "quartiers.geojson").to_crs(2154)
    french = {"sep": ";", "decimal": ",", "encoding": "utf-8-sig"}
    sig = pd.read_csv(SAMPLE / "signalements.csv", **french)
    for col in ("date_signalement", "date_cloture"):
        sig[col] = pd.to_datetime(sig[col], format="%d/%m/%Y")
    points = gpd.GeoDataFrame(
        sig, geometry=gpd.points_from_xy(sig["longitude"], sig["latitude"]), crs=4326
    ).to_crs(2154)
    joined = gpd.sjoin(points, quartiers[["code_qp", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    out: dict[str, pd.DataFrame] = {"quartiers": quartiers, "signalements": joined}
    for name, date_cols in (
        ("actions", ["date"]),
        ("reunions", ["date"]),
        ("arrets_agents", ["date_debut", "date_fin"]),
        ("garanties", ["date"]),
        ("tfpb", []),
    ):
        frame = pd.read_csv(SAMPLE / f"{name}.csv", **french)
        for col in date_cols:
            frame[col] = pd.to_datetime(frame[col], format="%d/%m/%Y")
        out[name] = frame
    constats = gpd.read_file(SAMPLE / "constats.geojson")
    constats["date"] = pd.to_datetime(constats["date"])
    out["constats"] = constats
    out["operations"] = gpd.read_file(SAMPLE / "operations.geojson")
    equipements = gpd.read_file(SAMPLE / "equipements.geojson").to_crs(2154)
    equipements = gpd.sjoin(equipements, quartiers[["code_qp", "geometry"]], how="left")
    out["equipements"] = equipements[~equipements.index.duplicated()]
    return out


@pytest.mark.skipif(not (SAMPLE / "signalements.csv").exists(), reason="data/sample absent")
def test_bundled_sample_end_to_end() -> None:
    layers = _read_sample()
    db = build_dashboard(layers, period="2024", freq="month")
    check = db.reconciliation()
    assert check["ok"].all(), check
    sig = layers["signalements"]
    in_2024 = sig["date_signalement"].dt.year == 2024
    assert db["signalements"].loc[TOTAL, "nb_signalements"] == in_2024.sum()
    outside = (in_2024 & sig["code_qp"].isna()).sum()
    assert db["signalements"].loc[HORS_QPV, "nb_signalements"] == outside > 0
    assert db["signalements_par_statut"].loc[TOTAL, "inconnu"] == 0  # every raw status maps
    assert db["degradations"].loc[TOTAL, "nb_degradations"] > 0
    assert db["constats"].loc[TOTAL, "nb_constats"] == db.input_counts["constats"]
    assert all(TABLE_INFO[name] for name in db.tables)


@pytest.mark.skipif(not (SAMPLE / "signalements.csv").exists(), reason="data/sample absent")
def test_loaded_territory_is_attributed_then_counted() -> None:
    from gupgeo.storage.loading import load_territory

    territory = load_territory(SAMPLE)
    db = build_dashboard(territory, period="2024", freq="quarter")
    assert db.reconciliation()["ok"].all()
    table = db["signalements"]
    assert table.loc[HORS_QPV, "nb_signalements"] < table.loc[TOTAL, "nb_signalements"] / 5
    assert db["signalements_par_statut"].loc[TOTAL, "inconnu"] == 0
    assert any("rattachement spatial" in n and "tolérance 15 m" in n for n in db.notes)
    assert db.sources.set_index("couche").loc["signalements", "provenance"].endswith("(CSV)")


def test_inputs_are_left_untouched() -> None:
    data = fixture_layers()
    before = {name: frame.copy(deep=True) for name, frame in data.items()}
    build_dashboard(data, period="2024", freq="month")
    for name, frame in data.items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)


@pytest.mark.parametrize(
    ("demarche", "excluded"),
    [
        ("Étude de sûreté", True),
        ("étude de sûreté (ESSP)", True),
        ("(ESSP)", True),
        ("", True),
        (None, True),
        ("marche exploratoire", False),
    ],
)
def test_essp_rule_is_the_one_of_the_publication(demarche, excluded) -> None:
    from gupgeo.publication import publish

    data = fixture_layers()
    con = data["constats"].copy()
    con["demarche"] = con["demarche"].astype("object")
    con.loc[con["id"] == "c1", "demarche"] = demarche
    data["constats"] = con
    db = build_dashboard(data, period="2024", freq="year")
    # c1, c2 and c5 (ESSP) are in QP-A in 2024: c1 counts only when it may be published.
    assert db["constats"].loc["QP-A", "nb_constats"] == (1 if excluded else 2)
    published = publish(data, "partenaires").layers["constats"]
    assert ("c1" not in set(published["id"])) is excluded


def test_without_demarche_column_no_constat_is_counted_for_partners() -> None:
    data = fixture_layers()
    data["constats"] = data["constats"].drop(columns="demarche")
    db = build_dashboard(data, period="2024", freq="year")
    assert "constats" not in db.tables  # withheld whole by the publication: no 0 shown
    assert any("colonne demarche absente" in n for n in db.notes)
    kept = build_dashboard(data, period="2024", freq="year", publication="interne")
    assert kept["constats"].loc["QP-A", "nb_constats"] == 3
