"""Repeated problems per quartier (gupgeo.veille.problems) on hand-built reports.

Two 100 m quartiers (A west, B east) and a place far outside both. In 2024:

- in A, three "tags" reports within 5 m of each other on 5, 10 and 20 January (one
  problem, still open: its last report is "nouveau"), two "voirie" reports on 1 and 3
  February at the same spot (one problem, closed), one "tags" report on 1 April at the
  same spot (more than 30 days after the first tags report: a new problem, alone);
- in B, one "éclairage" report (alone);
- hors QPV, two "tags" reports on 1 and 2 May (one problem, open).

Around them, rows the period must leave out: a "tags" report in A on 30 December 2023
(it would otherwise seed the January problem) and an undated one.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gupgeo.indicators import HORS_QPV, TOTAL
from gupgeo.veille.problems import (
    PROBLEM_COLUMNS,
    RepeatRule,
    problem_counts,
    repeated_problems,
)

X0, Y0 = 525_000.0, 6_702_000.0
ROWS = ["LOC-A", "LOC-B", HORS_QPV, TOTAL]


def quartiers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code_qp": ["LOC-A", "LOC-B"], "nom_qp": ["A", "B"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
        crs="EPSG:2154",
    )


def signalements() -> gpd.GeoDataFrame:
    a, b, far = (X0 + 50, Y0 + 50), (X0 + 150, Y0 + 50), (X0 + 5_000, Y0 + 5_000)
    rows = [
        # id, date, categorie, statut, date_cloture, code_qp, adresse, place, dx
        ("T1", "2024-01-05", "tags", "résolu", "2024-01-08", "LOC-A", "1 rue de l'Alouette", a, 0),
        ("T2", "2024-01-10", "tags", "clos autre", "2024-01-11", "LOC-A", "2 rue X", a, 3),
        ("T3", "2024-01-20", "tags", "nouveau", None, "LOC-A", "1 rue de l'Alouette", a, 5),
        ("V1", "2024-02-01", "voirie", "résolu", "2024-02-10", "LOC-A", None, a, 1),
        ("V2", "2024-02-03", "voirie", "résolu", "2024-02-10", "LOC-A", None, a, 2),
        ("T4", "2024-04-01", "tags", "résolu", "2024-04-02", "LOC-A", None, a, 0),
        ("E1", "2024-03-01", "éclairage", "résolu", "2024-03-05", "LOC-B", None, b, 0),
        ("H1", "2024-05-01", "tags", "nouveau", None, None, None, far, 0),
        ("H2", "2024-05-02", "tags", "en cours", None, None, None, far, 4),
        ("OLD", "2023-12-30", "tags", "résolu", "2024-01-02", "LOC-A", None, a, 1),
        ("NODATE", None, "tags", "nouveau", None, "LOC-A", None, a, 1),
    ]
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "date_signalement": pd.to_datetime([r[1] for r in rows]),
            "categorie": [r[2] for r in rows],
            "statut": [r[3] for r in rows],
            "date_cloture": pd.to_datetime([r[4] for r in rows]),
            "code_qp": [r[5] for r in rows],
            "adresse": [r[6] for r in rows],
        },
        geometry=[Point(r[7][0] + r[8], r[7][1]) for r in rows],
        crs="EPSG:2154",
    )


def test_counts_per_quartier_hors_qpv_and_total():
    table = problem_counts(signalements(), quartiers(), period="2024")
    assert list(table.columns) == list(PROBLEM_COLUMNS)
    assert list(table.index) == ROWS and table.index.name == "code_qp"
    assert table.loc[ROWS, "nb_signalements"].tolist() == [6, 1, 2, 9]
    assert table.loc[ROWS, "nb_problemes"].tolist() == [3, 1, 1, 5]
    assert table.loc[ROWS, "nb_problemes_repetes"].tolist() == [2, 0, 1, 3]
    assert table.loc[ROWS, "nb_signalements_repetes"].tolist() == [5, 0, 2, 7]
    assert table.loc[ROWS, "nb_problemes_repetes_ouverts"].tolist() == [1, 0, 1, 2]


def test_groups_history_and_most_cited_address():
    result = repeated_problems(signalements(), quartiers(), period="2024")
    groups = result.groups
    assert groups["nb_signalements"].tolist() == [3, 2, 2]
    assert groups["categorie"].tolist() == ["tags", "voirie", "tags"]
    first = groups.iloc[0]
    assert (str(first["premier"].date()), str(first["dernier"].date())) == (
        "2024-01-05",
        "2024-01-20",
    )
    assert (first["statut"], first["nb_ouverts"]) == ("nouveau", 1)
    assert first["adresse"] == "1 rue de l'Alouette"
    assert first.geometry.equals(Point(X0 + 50, Y0 + 50))  # where the problem was first reported
    assert pd.isna(groups.iloc[1]["adresse"])
    history = result.history_of(first["id_probleme"])
    assert history["id"].tolist() == ["T1", "T2", "T3"]
    assert history["statut"].tolist() == ["résolu", "clos autre", "nouveau"]
    assert [str(d.date()) for d in history["date_signalement"]] == [
        "2024-01-05",
        "2024-01-10",
        "2024-01-20",
    ]
    assert len(result.history) == 7  # every report of a repeated problem, nothing else
    assert result.table.loc[TOTAL, "nb_problemes_repetes"] == len(groups)
    assert result.table.loc[TOTAL, "nb_signalements_repetes"] == groups["nb_signalements"].sum()


def test_a_quartier_gets_its_own_problems_numbered_from_one():
    result = repeated_problems(signalements(), quartiers(), period="2024")
    mine = result.of_quartier("LOC-A")
    assert mine.groups["rang"].tolist() == [1, 2]
    assert mine.groups["categorie"].tolist() == ["tags", "voirie"]
    assert set(mine.history["id"]) == {"T1", "T2", "T3", "V1", "V2"}
    assert mine.table.index.tolist() == ["LOC-A"]
    assert len(result.of_quartier("LOC-B").groups) == 0


def test_the_rule_bounds_the_groups():
    wide = repeated_problems(signalements(), quartiers(), period="2024", rule=RepeatRule(days=120))
    assert wide.table.loc["LOC-A", "nb_signalements_repetes"] == 6  # the April tags join
    by_place = RepeatRule(radius_m=20, days=30, by=None)
    table = problem_counts(signalements(), quartiers(), period="2024-T1", rule=by_place)
    # Without categories, the January tags (5–20 Jan) and the voirie (1 Feb, 27 days
    # after the first tags) are one problem; 3 Feb is 29 days after: still in it.
    assert table.loc["LOC-A", "nb_problemes"] == 1
    assert table.loc["LOC-A", "nb_signalements_repetes"] == 5


def test_the_rule_describes_itself_in_french():
    assert RepeatRule().text() == (
        "même catégorie, à moins de 20 m et 30 jours du premier signalement du problème"
    )
    assert RepeatRule(radius_m=12.5, days=7, by=None).text().startswith("à moins de 12,5 m")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"radius_m": 0}, "radius_m doit être une distance positive"),
     ({"days": -1}, "days doit être un nombre de jours positif")],
)  # fmt: skip
def test_bad_rules_are_refused_in_french(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RepeatRule(**kwargs)


def test_no_signalement_gives_zeros():
    empty = signalements().iloc[0:0]
    result = repeated_problems(empty, quartiers(), period="2024")
    assert result.table.loc[ROWS, "nb_problemes"].tolist() == [0, 0, 0, 0]
    assert len(result.groups) == 0 and len(result.history) == 0


def test_unattributed_signalements_are_refused():
    with pytest.raises(Exception, match="code_qp"):
        problem_counts(signalements().drop(columns="code_qp"), quartiers(), period="2024")
