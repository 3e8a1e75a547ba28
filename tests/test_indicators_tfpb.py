"""TFPB counterparts per quartier, national axis and bailleur."""

from __future__ import annotations

import numpy as np
import pytest

from gupgeo.indicators import (
    HORS_QPV,
    TOTAL,
    tfpb_actions_by_axis,
    tfpb_amounts_by_axis,
    tfpb_by_bailleur,
    tfpb_summary,
)
from gupgeo.indicators.common import notes_of
from gupgeo.indicators.tfpb import AXE_NON_RECONNU, match_axis
from gupgeo.schemas import AXES_TFPB
from tests._dashboard_fixtures import quartiers, tfpb

ROWS = ["QP-A", "QP-B", HORS_QPV, TOTAL]


def test_summary_amounts_dwellings_and_euros_per_dwelling() -> None:
    table = tfpb_summary(tfpb(), quartiers(), period="2024")
    assert table["nb_actions"].tolist() == [3, 1, 1, 5]
    assert table["montant_eur"].tolist() == [3500.0, 300.0, 100.0, 3900.0]
    # Dwellings: one figure per bailleur and quartier (X: 100, Y: 300 in QP-A).
    assert table.loc["QP-A", "logements"] == 400
    assert table.loc["QP-A", "eur_par_logement_par_an"] == pytest.approx(8.75)
    assert table.loc["QP-B", "eur_par_logement_par_an"] == pytest.approx(6.0)
    assert np.isnan(table.loc[HORS_QPV, "eur_par_logement_par_an"])
    # hors QPV has an amount but no dwellings: no meaningful total ratio.
    assert np.isnan(table.loc[TOTAL, "eur_par_logement_par_an"])


def test_by_axis_with_unknown_axis_column() -> None:
    amounts = tfpb_amounts_by_axis(tfpb(), quartiers(), period="2024")
    assert amounts.columns.tolist() == [*AXES_TFPB, AXE_NON_RECONNU]
    assert amounts.loc["QP-A", "sur-entretien"] == 1000.0
    assert amounts.loc["QP-A", AXES_TFPB[3]] == 500.0  # "axe 4"
    assert amounts.loc["QP-A", "tranquillité résidentielle"] == 2000.0
    assert amounts.loc["QP-B", AXE_NON_RECONNU] == 300.0
    assert amounts.loc[HORS_QPV, AXES_TFPB[1]] == 100.0  # "formation"
    assert amounts.loc[TOTAL].sum() == 3900.0
    counts = tfpb_actions_by_axis(tfpb(), quartiers(), period="2024")
    assert counts.loc["QP-A"].sum() == 3
    note = " ".join(notes_of(amounts))  # counted, never printed: a raw value may be personal
    assert "1 libellé(s) d'axe non reconnu(s)" in note and "Jardinage" not in note


def test_by_bailleur() -> None:
    table = tfpb_by_bailleur(tfpb(), quartiers(), period="2024")
    assert table.loc["QP-A"].tolist() == [1500.0, 2000.0]
    assert table.loc[TOTAL].tolist() == [1500.0, 2400.0]


def test_quarter_keeps_the_whole_year_and_says_so() -> None:
    table = tfpb_summary(tfpb(), quartiers(), period="2024-T2")
    assert table.loc[TOTAL, "montant_eur"] == 3900.0
    assert any("annuelles" in n for n in notes_of(table))
    assert tfpb_summary(tfpb(), quartiers(), period="2023").loc["QP-A", "montant_eur"] == 999.0


def test_dwellings_from_quartiers_when_tfpb_has_none() -> None:
    table = tfpb_summary(tfpb().drop(columns="logements"), quartiers(), period="2024")
    assert table.loc["QP-A", "logements"] == 800
    assert table.loc["QP-A", "eur_par_logement_par_an"] == pytest.approx(3500 / 800)


@pytest.mark.parametrize(
    ("raw", "index"),
    [
        ("Renforcement de la présence du personnel de proximité", 0),
        ("Formation", 1),
        ("SUR-ENTRETIEN", 2),
        ("Gestion des déchets et encombrants / épaves", 3),
        ("8", 7),
        ("Axe 6 - animation", 5),
        ("Vivre ensemble", 6),
        ("Petits travaux", 7),
        ("Autre", None),
    ],
)
def test_match_axis(raw: str, index: int | None) -> None:
    assert match_axis(raw) == index
