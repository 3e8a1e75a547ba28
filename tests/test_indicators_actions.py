"""GUP actions per quartier and theme (realisation indicator)."""

from __future__ import annotations

import numpy as np

from gupgeo.indicators import HORS_QPV, TOTAL, action_counts, actions_by_theme
from gupgeo.indicators.common import notes_of
from tests._dashboard_fixtures import actions, quartiers

ROWS = ["QP-A", "QP-B", HORS_QPV, TOTAL]


def test_counts_realised_and_cost() -> None:
    table = action_counts(actions(), quartiers(), period="2024-T1")
    assert table.index.tolist() == ROWS
    assert table["nb_actions"].tolist() == [2, 0, 1, 3]  # a1, a2 | – | a4 (unknown code)
    assert table["nb_actions_realisees"].tolist() == [1, 0, 1, 2]  # réalisé, Terminée
    assert table["cout_eur"].tolist() == [150.0, 0.0, 0.0, 150.0]
    notes = notes_of(table)
    assert any("sans date" in n for n in notes)
    assert any("ZZ-INCONNU" in n for n in notes)


def test_by_theme() -> None:
    table = actions_by_theme(actions(), quartiers(), period="2024")
    assert table.columns.tolist() == ["propreté", "tranquillité"]
    assert table.loc["QP-A"].tolist() == [1, 1]
    assert table.loc["QP-B"].tolist() == [1, 0]  # a3 in May; a5 has no date
    assert table.loc[TOTAL].tolist() == [3, 1]


def test_without_status_realised_is_not_guessed() -> None:
    table = action_counts(actions().drop(columns="statut"), quartiers(), period="2024-T1")
    assert np.isnan(table["nb_actions_realisees"]).all()
    assert table["nb_actions"].tolist() == [2, 0, 1, 3]
