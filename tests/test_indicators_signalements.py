"""Signalement indicators on the hand-built fixture (answers worked out by hand below).

2024-T1, end instant 2024-04-01 00:00. In the period: QP-A ids 1, 2, 5, 7, 9; QP-B ids
3, 10, 11; hors QPV id 6 (unknown code ZZ-INCONNU). Id 4 (hors QPV) and id 8 (QP-B)
are in 2023-T4, the previous period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gupgeo.errors import SchemaError
from gupgeo.indicators import (
    HORS_QPV,
    TOTAL,
    signalement_summary,
    signalements_by_category,
    signalements_by_status,
)
from gupgeo.indicators.common import notes_of
from gupgeo.indicators.signalements import (
    SUMMARY_COLUMNS,
    cut,
    grouped_quantiles,
    prepare_signalements,
    summary_table,
)
from gupgeo.periods import parse_period
from tests._dashboard_fixtures import quartiers, signalements

ROWS = ["QP-A", "QP-B", HORS_QPV, TOTAL]


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return signalement_summary(signalements(), quartiers(), period="2024-Q1")


def col(frame: pd.DataFrame, name: str) -> list[float]:
    return frame.loc[ROWS, name].tolist()


def test_shape_index_and_units(summary: pd.DataFrame) -> None:
    assert summary.index.name == "code_qp"
    assert summary.index.tolist() == ROWS
    assert tuple(summary.columns) == SUMMARY_COLUMNS


def test_counts_reconcile_with_input(summary: pd.DataFrame) -> None:
    assert col(summary, "nb_signalements") == [5, 3, 1, 9]
    dates = signalements()["date_signalement"]
    in_period = ((dates >= "2024-01-01") & (dates < "2024-04-01")).sum()
    assert summary.loc[TOTAL, "nb_signalements"] == in_period
    assert summary["nb_signalements"].drop(TOTAL).sum() == in_period


def test_rates_per_1000_inhabitants_and_hectare(summary: pd.DataFrame) -> None:
    assert summary.loc["QP-A", "par_1000_habitants"] == pytest.approx(2.5)  # 5 / 2000
    assert summary.loc["QP-B", "par_1000_habitants"] == pytest.approx(6.0)  # 3 / 500
    assert summary.loc["QP-A", "par_ha"] == pytest.approx(0.5)
    assert summary.loc["QP-B", "par_ha"] == pytest.approx(0.6)
    assert np.isnan(summary.loc[HORS_QPV, "par_1000_habitants"])
    assert np.isnan(summary.loc[TOTAL, "par_ha"])


def test_share_closed_at_period_end(summary: pd.DataFrame) -> None:
    # QP-A: id 1 closed 7 Jan; id 7 closes 10 Apr (after the end). QP-B: id 11 closes on
    # 1 Apr itself, so it is still open at the end instant. Hors QPV: id 6.
    assert col(summary, "nb_clos") == [1, 0, 1, 2]
    assert summary.loc["QP-A", "part_clos_pct"] == pytest.approx(20.0)
    assert summary.loc[TOTAL, "part_clos_pct"] == pytest.approx(200 / 9)


def test_closing_delays_median_and_p90(summary: pd.DataFrame) -> None:
    # Closed during 2024-T1: id 1 (QP-A, 2 days), id 4 (hors, 31 d), id 6 (hors, 5 d).
    assert col(summary, "nb_clotures_periode") == [1, 0, 2, 3]
    assert summary.loc["QP-A", "delai_median_jours"] == 2
    assert np.isnan(summary.loc["QP-B", "delai_median_jours"])
    assert summary.loc[HORS_QPV, "delai_median_jours"] == pytest.approx(18.0)
    assert summary.loc[HORS_QPV, "delai_p90_jours"] == pytest.approx(28.4)  # 5 + 0.9 × 26
    assert summary.loc[TOTAL, "delai_median_jours"] == pytest.approx(5.0)
    assert summary.loc[TOTAL, "delai_p90_jours"] == pytest.approx(25.8)  # 5 + 0.8 × 26
    assert summary.loc[TOTAL, "delai_p90_jours"] == pytest.approx(np.quantile([2, 5, 31], 0.9))


def test_backlog_age_buckets_at_boundaries(summary: pd.DataFrame) -> None:
    # Ages on 1 April: QP-A id 2 (82 d), 5 (41 d), 7 (28 d: ≤ 4 weeks), 9 (29 d);
    # QP-B id 3 (60 d), 10 (56 d: still 4–8 weeks), 11 (7 d, closes on 1 April).
    assert col(summary, "stock_4_semaines_ou_moins") == [1, 1, 0, 2]
    assert col(summary, "stock_4_a_8_semaines") == [2, 1, 0, 3]
    assert col(summary, "stock_plus_8_semaines") == [1, 1, 0, 2]
    assert col(summary, "stock_fin_periode") == [4, 3, 0, 7]


def test_change_vs_previous_period(summary: pd.DataFrame) -> None:
    assert col(summary, "nb_periode_precedente") == [0, 1, 1, 2]
    assert col(summary, "evolution_nb") == [5, 2, 0, 7]
    pct = summary["evolution_pct"]
    assert np.isnan(pct["QP-A"])  # nothing before: no percentage
    assert pct["QP-B"] == pytest.approx(200.0)
    assert pct[HORS_QPV] == pytest.approx(0.0)
    assert pct[TOTAL] == pytest.approx(350.0)


def test_categories_one_column_each() -> None:
    table = signalements_by_category(signalements(), quartiers(), period="2024-T1")
    assert table.columns.tolist() == ["Dépôt sauvage", "Éclairage", "Propreté", "Tags", "Voirie"]
    assert table.loc["QP-A"].tolist() == [0, 1, 1, 3, 0]
    assert table.loc["QP-B"].tolist() == [1, 0, 1, 0, 1]
    assert table.loc[HORS_QPV].tolist() == [0, 0, 1, 0, 0]
    assert table.loc[TOTAL].sum() == 9


def test_statuses_mapped_from_raw_when_statut_missing() -> None:
    table = signalements_by_status(signalements(), quartiers(), period="2024-T1")
    assert table.loc["QP-A", ["nouveau", "en cours", "résolu"]].tolist() == [1, 2, 2]
    assert table.loc["QP-B", ["nouveau", "programmé", "résolu"]].tolist() == [1, 1, 1]
    assert table.loc[HORS_QPV, "résolu"] == 1  # "Clôturé"
    assert table.loc[TOTAL, "inconnu"] == 0
    assert table.loc[TOTAL].sum() == 9


def test_unknown_code_is_hors_qpv_and_noted(summary: pd.DataFrame) -> None:
    notes = notes_of(summary)
    assert any("ZZ-INCONNU" in n and "hors QPV" in n for n in notes)


def test_monthly_series_adds_up_to_the_period() -> None:
    prep = prepare_signalements(signalements(), quartiers())
    period = parse_period("2024-T1")
    months = summary_table(prep, cut(prep, period.split("month")))
    nb = months["nb_signalements"].unstack("periode")
    assert nb.loc["QP-A"].tolist() == [2, 1, 2]
    assert nb.loc["QP-B"].tolist() == [0, 2, 1]
    assert nb.loc[HORS_QPV].tolist() == [0, 0, 1]
    assert nb.loc[TOTAL].sum() == 9
    prev = months["nb_periode_precedente"].unstack("periode")
    assert prev.loc[TOTAL].tolist() == [1, 2, 3]  # Dec (id 4), Jan (1, 2), Feb (3, 5, 10)
    # End of January: id 2 is 22 days old; end of February: ids 2 (51 d), 5 (10 d).
    young = months["stock_4_semaines_ou_moins"].unstack("periode")
    middle = months["stock_4_a_8_semaines"].unstack("periode")
    assert young.loc["QP-A"].tolist() == [1, 1, 1]
    assert middle.loc["QP-A"].tolist() == [0, 1, 2]
    # The last month's backlog is the period's backlog.
    whole = summary_table(prep, cut(prep, (period,))).droplevel("periode")
    last = months.xs("2024-03", level="periode")
    assert last["stock_fin_periode"].tolist() == whole["stock_fin_periode"].tolist()


def test_dansmarue_without_status_nor_closing_dates() -> None:
    frame = signalements().drop(columns=["statut", "statut_brut", "date_cloture"])
    table = signalement_summary(frame, quartiers(), period="2024-T1")
    assert table["nb_signalements"].tolist() == [5, 3, 1, 9]
    for name in ("part_clos_pct", "delai_median_jours", "delai_p90_jours", "stock_fin_periode"):
        assert table[name].isna().all(), name
    assert any("DansMaRue" in n for n in notes_of(table))


def test_status_without_closing_dates_gives_share_but_no_delay() -> None:
    frame = signalements().drop(columns=["date_cloture"])
    table = signalement_summary(frame, quartiers(), period="2024-T1")
    assert table["delai_median_jours"].isna().all()
    # Closed by status (no date): ids 1, 7 (QP-A), 11 (QP-B), 6 (hors).
    assert table.loc[["QP-A", "QP-B", HORS_QPV], "nb_clos"].tolist() == [2, 1, 1]
    assert any("délais de clôture" in n for n in notes_of(table))


def test_timestamps_with_hours_fall_in_their_day() -> None:
    frame = signalements()
    frame.loc[frame["id"] == "11", "date_cloture"] = pd.Timestamp("2024-04-01 00:30")
    frame.loc[frame["id"] == "5", "date_signalement"] = pd.Timestamp("2024-03-31 23:59")
    table = signalement_summary(frame, quartiers(), period="2024-T1")
    assert table.loc["QP-B", "stock_4_semaines_ou_moins"] == 1  # id 11 still open
    assert table.loc["QP-A", "nb_signalements"] == 5
    assert table.loc["QP-A", "stock_4_semaines_ou_moins"] == 2  # ids 7 and 5 (1 hour old)


def test_object_dtype_and_timezone_aware_dates() -> None:
    frame = signalements().astype({"categorie": "object", "code_qp": "object"})
    frame["date_signalement"] = frame["date_signalement"].dt.tz_localize("Europe/Paris")
    table = signalement_summary(frame, quartiers(), period="2024-T1")
    assert table["nb_signalements"].tolist() == [5, 3, 1, 9]


def test_missing_and_wrong_columns_are_reported() -> None:
    with pytest.raises(SchemaError, match="categorie"):
        signalement_summary(signalements().drop(columns=["categorie"]), quartiers(), period="2024")
    bad = signalements().assign(date_signalement="05/01/2024")
    with pytest.raises(SchemaError, match="datetime64"):
        signalement_summary(bad, quartiers(), period="2024")
    with pytest.raises(SchemaError, match="en double"):
        signalement_summary(signalements(), pd.concat([quartiers()] * 2), period="2024")


def test_grouped_quantiles_match_numpy() -> None:
    rng = np.random.default_rng(3)
    values = rng.exponential(10, 500).round(1)
    keys = rng.integers(-1, 6, 500)
    order = np.argsort(values)
    got = grouped_quantiles(order, values, keys, 6, (0.5, 0.9))
    for g in range(6):
        expected = np.quantile(values[keys == g], [0.5, 0.9])
        assert got[g] == pytest.approx(expected)
