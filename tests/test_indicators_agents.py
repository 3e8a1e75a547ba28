"""Proximity agents: stoppages, meetings, guarantee uses, signalements they raise."""

from __future__ import annotations

import pytest

from gupgeo.errors import SchemaError
from gupgeo.indicators import (
    HORS_QPV,
    TOTAL,
    ProximitySources,
    agent_meetings,
    agent_stoppages,
    guarantee_uses,
    guarantees_by_object,
    signalements_by_proximity_agents,
)
from gupgeo.indicators.common import notes_of
from tests._dashboard_fixtures import (
    arrets_agents,
    garanties,
    operations,
    quartiers,
    reunions,
    signalements,
)

ROWS = ["QP-A", "QP-B", HORS_QPV, TOTAL]


def test_stoppages_count_and_days_inside_the_period() -> None:
    table = agent_stoppages(arrets_agents(), quartiers(), period="2024-T1")
    # QP-A: 10–19 Jan (10 days) + the end of one started in December (1–5 Jan: 5 days).
    # QP-B: from 25 March, no end (7 days to 1 April) + 30 March–10 April (2 days).
    assert table["nb_arrets"].tolist() == [1, 2, 0, 3]
    assert table["jours_arret"].tolist() == [15.0, 9.0, 0.0, 24.0]
    assert any("sans date de fin" in n for n in notes_of(table))


def test_meetings_with_proximity_agents() -> None:
    table = agent_meetings(reunions(), quartiers(), period="2024-T1")
    assert table.loc[ROWS, "nb_reunions"].tolist() == [2, 1, 1, 4]
    assert table.loc[ROWS, "nb_reunions_avec_agents"].tolist() == [1, 1, 0, 2]
    assert table.loc[ROWS, "nb_presences_agents"].tolist() == [2, 1, 0, 3]
    assert any("sans nombre d'agents" in n for n in notes_of(table))


def test_guarantee_uses_attributed_through_the_operation() -> None:
    objets = {"operations": operations()}
    table = guarantee_uses(garanties(), quartiers(), period="2024-T1", objets=objets)
    assert table["nb_recours"].tolist() == [2, 1, 1, 4]
    assert table["nb_objets"].tolist() == [1, 1, 1, 3]
    by_object = guarantees_by_object(garanties(), quartiers(), period="2024-T1", objets=objets)
    assert by_object.loc["QP-A", "Résidentialisation (OP1)"] == 2
    assert by_object.loc[HORS_QPV, "EQ9"] == 1
    assert any("EQ9" in n or "quartier connu" in n for n in notes_of(table))


def test_guarantees_without_objects_are_all_hors_qpv() -> None:
    table = guarantee_uses(garanties(), quartiers(), period="2024")
    assert table.loc[HORS_QPV, "nb_recours"] == table.loc[TOTAL, "nb_recours"] == 5


def test_share_raised_by_gardiens_and_agents() -> None:
    table = signalements_by_proximity_agents(signalements(), quartiers(), period="2024-T1")
    assert table.loc[ROWS, "nb_agents_gardiens"].tolist() == [1, 1, 0, 2]
    assert table.loc["QP-A", "part_agents_gardiens_pct"] == pytest.approx(20.0)
    assert table.loc["QP-B", "part_agents_gardiens_pct"] == pytest.approx(100 / 3)
    assert table.loc[TOTAL, "nb_signalements"] == 9


def test_proximity_sources_are_configurable() -> None:
    sources = ProximitySources(keywords=("habitant",))
    table = signalements_by_proximity_agents(
        signalements(), quartiers(), period="2024-T1", sources=sources
    )
    assert table.loc[TOTAL, "nb_agents_gardiens"] == 7
    with pytest.raises(SchemaError, match="mots-clés"):
        ProximitySources(keywords=())


def test_missing_source_column_is_said() -> None:
    frame = signalements().drop(columns="source")
    table = signalements_by_proximity_agents(frame, quartiers(), period="2024-T1")
    assert table["part_agents_gardiens_pct"].isna().all()
    assert any("source" in n for n in notes_of(table))
