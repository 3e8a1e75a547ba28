"""Coverage: each dated layer knows the days it covers; periods outside give n.c., never 0.

Hand-built layers: signalements of 2024 only (1 January – 31 December), all in QP-A;
QP-B has none. The previous period of 2024 (2023) is not covered: the change is n.c.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gupgeo.coverage import (
    COVERED,
    OUTSIDE,
    PARTIAL,
    LayerCoverage,
    coverage_of,
    edge_tolerance_days,
    layer_coverage,
)
from gupgeo.dashboard.model import DashboardConfig, build_dashboard
from gupgeo.errors import SchemaError
from gupgeo.indicators import HORS_QPV, TOTAL
from gupgeo.periods import parse_period
from gupgeo.territory import Territory
from tests._dashboard_fixtures import quartiers, tfpb

CHANGE = ["nb_periode_precedente", "evolution_nb", "evolution_pct"]
SPAN = "signalements du 01/01/2024 au 31/12/2024"


def signalements_2024() -> pd.DataFrame:
    dates = pd.to_datetime(["2024-01-01", "2024-02-10", "2024-02-11", "2024-06-30", "2024-12-31"])
    return pd.DataFrame(
        {
            "id": [str(i) for i in range(len(dates))],
            "date_signalement": dates,
            "categorie": ["Tags", "Propreté", "Tags", "Voirie", "Tags"],
            "statut": ["résolu", "nouveau", "en cours", "résolu", "nouveau"],
            "date_cloture": pd.to_datetime(["2024-01-03", None, None, "2024-07-02", None]),
            "code_qp": ["QP-A"] * len(dates),
        }
    )


def layers() -> dict[str, pd.DataFrame]:
    return {"quartiers": quartiers(), "signalements": signalements_2024()}


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2024", COVERED),
        ("2024-T1", COVERED),
        ("2023", OUTSIDE),
        ("2025-01", OUTSIDE),
        ("2023-07/2024-06-30", PARTIAL),
        ("2024-12-31/2025-01-30", PARTIAL),
    ],
)
def test_status_of_periods(period: str, expected: str) -> None:
    cov = layer_coverage(signalements_2024(), "signalements")
    assert cov is not None
    assert cov.status(parse_period(period)) == expected


def test_edges_within_tolerance_are_covered() -> None:
    late = LayerCoverage("actions", pd.Timestamp("2024-01-08"), pd.Timestamp("2024-12-24"))
    assert edge_tolerance_days(parse_period("2024")) == 7
    assert late.status(parse_period("2024")) == COVERED  # 7 days missing at each edge
    later = LayerCoverage("actions", pd.Timestamp("2024-01-09"), pd.Timestamp("2024-12-31"))
    assert later.status(parse_period("2024")) == PARTIAL
    # A month tolerates a tenth of its length: 3 days for January.
    assert later.status(parse_period("2024-01")) == PARTIAL
    assert later.status(parse_period("2024-02")) == COVERED


def test_layer_without_dates_covers_nothing() -> None:
    frame = signalements_2024().assign(date_signalement=pd.NaT)
    cov = layer_coverage(frame, "signalements")
    assert cov is not None and not cov.known
    assert cov.status(parse_period("2024")) == OUTSIDE
    assert cov.text() == "signalements : aucune date"


def test_tfpb_covers_whole_years() -> None:
    cov = layer_coverage(tfpb(), "tfpb")
    assert cov is not None
    assert (cov.first, cov.last) == (pd.Timestamp("2023-01-01"), pd.Timestamp("2024-12-31"))


def test_undated_layers_have_no_coverage() -> None:
    assert layer_coverage(quartiers(), "quartiers") is None
    assert set(coverage_of({"quartiers": quartiers(), "tfpb": tfpb()})) == {"tfpb"}


def test_declared_coverage_replaces_the_dates_and_is_checked() -> None:
    declared = {"signalements": LayerCoverage.declare("signalements", "01/01/2023", "2024-12-31")}
    cov = coverage_of(layers(), declared)["signalements"]
    assert cov.declared and cov.status(parse_period("2023")) == COVERED
    with pytest.raises(SchemaError, match="quartiers"):
        coverage_of(layers(), {"quartiers": LayerCoverage.declare("quartiers", "2024", "2024")})
    with pytest.raises(SchemaError, match="précède"):
        LayerCoverage.declare("actions", "2024-12-31", "2024-01-01")


def test_territory_knows_its_coverage() -> None:
    frame = Territory(layers()).coverage()
    assert frame.columns.tolist() == ["couche", "premiere_date", "derniere_date", "origine"]
    row = frame.set_index("couche").loc["signalements"]
    assert row["premiere_date"] == pd.Timestamp("2024-01-01")
    assert row["derniere_date"] == pd.Timestamp("2024-12-31")


def test_change_against_an_uncovered_previous_period_is_nc_with_the_reason() -> None:
    db = build_dashboard(layers(), period="2024", freq="year")
    for table in ("signalements", "degradations"):
        assert db[table][CHANGE].isna().all().all(), table
    assert db["signalements"].loc["QP-A", "nb_signalements"] == 5
    expected = f"période précédente (2023) non couverte par les données : {SPAN}"
    assert any(expected in note for note in db.notes), db.notes
    assert db.period_coverage("signalements") == COVERED


def test_quartier_without_signalement_in_a_covered_period_counts_zero() -> None:
    db = build_dashboard(layers(), period="2024", freq="quarter")
    assert db["signalements"].loc["QP-B", "nb_signalements"] == 0
    assert db["signalements_par_categorie"].loc["QP-B"].eq(0).all()
    quarters = db.series["signalements"]["nb_signalements"].unstack("periode")
    assert quarters.loc["QP-B"].tolist() == [0, 0, 0, 0]


def test_counts_of_an_uncovered_period_are_nc_not_zero() -> None:
    db = build_dashboard(layers(), period="2023", freq="quarter")
    for name, table in db.tables.items():
        assert table.isna().all().all(), name
    for name, series in db.series.items():
        assert series.isna().all().all(), name
    assert any(f"période 2023 non couverte par les données ({SPAN})" in n for n in db.notes)
    assert db.period_coverage("signalements") == OUTSIDE
    assert db.reconciliation()["ok"].all()
    assert db.coverage.set_index("couche").loc["signalements", "couverture_periode"] == OUTSIDE


def test_series_blank_only_the_uncovered_sub_periods() -> None:
    db = build_dashboard(layers(), period="2023-10-01/2024-03-31", freq="month")
    months = db.series["signalements"]
    nb = months["nb_signalements"].unstack("periode")
    assert nb.loc["QP-A"].isna().tolist() == [True, True, True, False, False, False]
    assert nb.loc["QP-A", "2024-02"] == 2 and nb.loc["QP-B", "2024-02"] == 0
    change = months["evolution_nb"].unstack("periode")
    # January's previous month (December 2023) is outside: n.c.; February's is covered.
    assert np.isnan(change.loc[TOTAL, "2024-01"])
    assert change.loc[TOTAL, "2024-02"] == 1
    # The whole period is partly covered: counted on its covered part, change n.c.
    whole = db["signalements"]
    assert whole.loc["QP-A", "nb_signalements"] == 3
    assert whole[CHANGE].isna().all().all()
    assert any("partiellement couverte" in n for n in db.notes)
    assert any("2023-10, 2023-11, 2023-12" in n and "n.c." in n for n in db.notes)


def test_declared_coverage_lets_a_quiet_year_count_zero() -> None:
    config = DashboardConfig(couverture={"signalements": ("2023-01-01", "2024-12-31")})
    db = build_dashboard(layers(), period="2024", freq="year", config=config)
    table = db["signalements"]
    assert table.loc["QP-A", "nb_periode_precedente"] == 0
    assert table.loc[TOTAL, "evolution_nb"] == 5
    quiet = build_dashboard(layers(), period="2023", freq="year", config=config)
    assert (
        quiet["signalements"].loc[["QP-A", "QP-B", HORS_QPV, TOTAL], "nb_signalements"].eq(0).all()
    )
    assert "déclarée" in quiet.coverage.set_index("couche").loc["signalements", "origine"]
