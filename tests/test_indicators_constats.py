"""Constats: by theme and gravity, share resolved, open ones and the oldest."""

from __future__ import annotations

import numpy as np
import pytest

from gupgeo.indicators import HORS_QPV, TOTAL, constat_summary, constats_by_theme
from gupgeo.indicators.constats import is_resolved
from tests._dashboard_fixtures import constats, quartiers

ROWS = ["QP-A", "QP-B", HORS_QPV, TOTAL]


def test_summary() -> None:
    table = constat_summary(constats(), quartiers(), period="2024-T1")
    assert table.loc[ROWS, "nb_constats"].tolist() == [3, 0, 1, 4]
    assert table.loc[ROWS, "nb_gravite_1"].tolist() == [1, 0, 0, 1]
    assert table.loc[ROWS, "nb_gravite_3"].tolist() == [1, 0, 0, 1]
    assert table.loc[ROWS, "nb_gravite_inconnue"].tolist() == [0, 0, 1, 1]
    assert table.loc[ROWS, "nb_resolus"].tolist() == [1, 0, 1, 2]
    assert table.loc["QP-A", "part_resolus_pct"] == pytest.approx(100 / 3)
    assert np.isnan(table.loc["QP-B", "part_resolus_pct"])
    # Open on 1 April: c2 (51 days), c5 (17 days) in QP-A; c3 (305 days) in QP-B.
    assert table.loc[ROWS, "nb_ouverts_fin_periode"].tolist() == [2, 1, 0, 3]
    assert table.loc["QP-A", "anciennete_max_ouvert_jours"] == 51
    assert table.loc["QP-B", "anciennete_max_ouvert_jours"] == 305
    assert np.isnan(table.loc[HORS_QPV, "anciennete_max_ouvert_jours"])
    assert table.loc[TOTAL, "anciennete_max_ouvert_jours"] == 305


def test_by_theme() -> None:
    table = constats_by_theme(constats(), quartiers(), period="2024-T1")
    assert table.columns.tolist() == ["cheminements", "éclairage", "visibilité"]
    assert table.loc["QP-A"].tolist() == [0, 2, 1]
    assert table.loc[TOTAL].sum() == 4


@pytest.mark.parametrize(
    ("status", "resolved"),
    [("levé", True), ("Résolu", True), ("traité", True), ("à traiter", False), (None, False)],
)
def test_is_resolved(status: str | None, resolved: bool) -> None:
    assert is_resolved(status) is resolved
