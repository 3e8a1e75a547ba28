"""Dégradations: the category → dégradation mapping and the counts with their trend."""

from __future__ import annotations

import numpy as np
import pytest

from gupgeo.errors import SchemaError
from gupgeo.indicators import HORS_QPV, TOTAL, DegradationConfig, degradation_counts
from tests._dashboard_fixtures import quartiers, signalements


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Graffitis, tags, affiches et autocollants", "tags et graffitis"),  # DansMaRue
        ("Tag sur façade", "tags et graffitis"),
        ("Dépôt sauvage", "dépôts sauvages"),
        ("Encombrants", "dépôts sauvages"),
        ("Objets abandonnés", "dépôts sauvages"),
        ("Épave", "épaves"),
        ("Véhicule ventouse", "épaves"),
        ("Éclairage / Électricité", "éclairage"),
        ("Mobiliers urbains", "mobilier urbain"),
        ("Banc cassé", "mobilier urbain"),
        ("Hall d'entrée dégradé", "parties communes"),
        ("Boîte aux lettres", "parties communes"),
        ("Vandalisme", "vandalisme"),
        ("Propreté", None),
        ("Stage d'été", None),  # "tag" only as a whole word
        ("", None),
    ],
)
def test_default_mapping(text: str, kind: str | None) -> None:
    assert DegradationConfig().type_of(text) == kind


def test_fixture_counts_and_trend() -> None:
    table = degradation_counts(signalements(), quartiers(), period="2024-T1")
    # QP-A: Tags ids 1, 7, 9 + Éclairage id 5; QP-B: Dépôt sauvage id 3.
    assert table.loc[["QP-A", "QP-B", HORS_QPV, TOTAL], "nb_degradations"].tolist() == [4, 1, 0, 5]
    assert table.loc["QP-A", "tags et graffitis"] == 3
    assert table.loc["QP-A", "éclairage"] == 1
    assert table.loc["QP-B", "dépôts sauvages"] == 1
    assert table.loc["QP-A", "par_1000_habitants"] == pytest.approx(2.0)
    # 2023-T4: id 8 (Tags, QP-B) is the only dégradation.
    assert table.loc["QP-B", "nb_periode_precedente"] == 1
    assert table.loc["QP-B", "evolution_pct"] == pytest.approx(0.0)
    assert table.loc[TOTAL, "evolution_pct"] == pytest.approx(400.0)
    assert np.isnan(table.loc["QP-A", "evolution_pct"])
    types = list(DegradationConfig().types)
    assert (table[types].sum(axis=1) == table["nb_degradations"]).all()


def test_custom_mapping_and_subcategory_first() -> None:
    frame = signalements()
    frame.loc[frame["id"] == "2", "sous_categorie"] = "Tag"
    cfg = DegradationConfig.from_mapping({"propreté": "salissures", "tag": "tags"})
    table = degradation_counts(frame, quartiers(), period="2024-T1", config=cfg)
    assert cfg.types == ("salissures", "tags")
    # id 2: category Propreté but sub-category Tag → tags (sub-category wins).
    assert table.loc["QP-A", "tags"] == 1
    assert table.loc["QP-A", "salissures"] == 0
    assert table.loc["QP-B", "salissures"] == 1  # id 10
    assert table.loc[TOTAL, "nb_degradations"] == 3  # ids 2, 10, 6


def test_invalid_config_lists_every_problem() -> None:
    with pytest.raises(SchemaError, match=r"règle.*non vides.*aucune colonne"):
        DegradationConfig(rules=(("", "x"),), fields=())


def test_exclusion_settles_a_subcategory() -> None:
    cfg = DegradationConfig()
    assert cfg.type_of("stationnement / épaves") == "épaves"
    frame = signalements()
    frame["categorie"] = "stationnement / épaves"
    frame["sous_categorie"] = ["stationnement gênant"] * 5 + ["véhicule épave"] * 6
    table = degradation_counts(frame, quartiers(), period="2024-T1", config=cfg)
    # ids 1, 2, 3, 4, 5 are "gênant": of those, 1, 2, 3, 5 fall in 2024-T1.
    assert table.loc[TOTAL, "épaves"] == 9 - 4
