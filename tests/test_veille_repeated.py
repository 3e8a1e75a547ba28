"""Repeated reports: planted repeated places are grouped, never chained."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gupgeo.veille.repeated import problems_by_quartier, repeated_reports, report_groups
from tests._veille_fixtures import X0, Y0, layer


def _dates(start: str, n: int, step_days: float) -> pd.DatetimeIndex:
    return pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * step_days, unit="D")


def test_a_planted_repeated_place_is_one_problem():
    rng = np.random.default_rng(0)
    x = X0 + rng.uniform(-8, 8, 8)
    y = Y0 + rng.uniform(-8, 8, 8)
    s = layer(np.r_[x, X0 + 500], np.r_[y, Y0], dates=[*_dates("2024-03-01", 8, 3), "2024-03-02"])
    s["statut"] = ["Nouveau"] * 7 + ["Clôturé", "Nouveau"]
    groups = repeated_reports(s, radius_m=20, days=30)
    assert len(groups) == 1
    g = groups.iloc[0]
    assert g["nb_signalements"] == 8 and g["duree_jours"] == 21
    assert str(g["premier"].date()) == "2024-03-01" and str(g["dernier"].date()) == "2024-03-22"
    assert g["statut"] == "résolu" and g["nb_ouverts"] == 7
    assert g["ids"].split(", ")[0] == "S0"
    assert groups.crs.to_epsg() == 2154


def test_two_places_200_m_apart_are_never_chained():
    # P at 0 m, Q at 200 m, and intermediate reports every 10 m between them, same days.
    along = np.arange(0, 201, 10.0)
    x = X0 + np.r_[np.zeros(5), along, np.full(5, 200.0)]
    y = np.full(len(x), Y0)
    dates = _dates("2024-01-01", len(x), 0.25)
    s = layer(x, y, dates=dates)
    gid = report_groups(s, radius_m=20, days=30).to_numpy()
    for g in np.unique(gid):
        members = x[gid == g]
        assert members.max() - members.min() <= 40.0
    assert not set(gid[:5]) & set(gid[-5:])
    assert len(set(gid[:5])) == 1 and len(set(gid[-5:])) == 1


def test_groups_are_bounded_on_random_data():
    rng = np.random.default_rng(3)
    n = 3_000
    x = X0 + rng.uniform(0, 500, n)
    y = Y0 + rng.uniform(0, 500, n)
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    cats = list(rng.choice(["tags", "voirie"], n))
    s = layer(x, y, dates=dates, categorie=cats)
    gid = report_groups(s, radius_m=20, days=30).to_numpy()
    frame = pd.DataFrame({"g": gid, "x": x, "y": y, "d": dates, "c": cats})
    for _, members in frame.groupby("g"):
        seed = members.sort_values("d").iloc[0]
        assert np.hypot(members.x - seed.x, members.y - seed.y).max() <= 20.0
        assert (members.d - seed.d).max() <= pd.Timedelta(days=30)
        assert members.c.nunique() == 1
    assert frame["g"].nunique() < n  # something was grouped


def test_days_and_categories_split_groups():
    s = layer(
        np.full(4, X0),
        np.full(4, Y0),
        dates=["2024-01-01", "2024-03-15", "2024-01-02", "2024-01-03"],
        categorie=["tags", "tags", "voirie", "tags"],
    )
    gid = report_groups(s, radius_m=20, days=30).tolist()
    assert gid[0] == gid[3] and len({gid[0], gid[1], gid[2]}) == 3
    assert len(set(report_groups(s, radius_m=20, days=365, by=None))) == 1


def test_undated_or_unlocated_reports_stay_alone():
    s = layer(np.full(3, X0), np.full(3, Y0), dates=["2024-01-01", None, "2024-01-02"])
    gid = report_groups(s).tolist()
    assert gid[0] == gid[2] != gid[1]


def test_problems_by_quartier_counts_reports_and_problems():
    s = layer(
        np.r_[np.full(3, X0), X0 + 1_000, X0 + 2_000],
        np.full(5, Y0),
        dates=["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01", "2024-01-01"],
    )
    s["code_qp"] = pd.Categorical(["QP1", "QP1", "QP1", "QP1", None])
    s["categorie"] = s["categorie"].astype("category")
    table = problems_by_quartier(s)
    assert table.loc["QP1"].to_dict() == {
        "nb_signalements": 4,
        "nb_problemes": 2,
        "nb_problemes_repetes": 1,
        "signalements_par_probleme": 2.0,
    }
    assert table.loc["hors QPV", "nb_problemes"] == 1


@pytest.mark.parametrize(("radius_m", "days"), [(0, 30), (20, -1)])
def test_bad_parameters(radius_m, days):
    s = layer(np.array([X0]), np.array([Y0]), dates=["2024-01-01"])
    with pytest.raises(ValueError, match=r"radius_m|days"):
        report_groups(s, radius_m=radius_m, days=days)
