"""Method notes speak French to a reader: counts and words, never raw values nor reprs.

A note that printed the ``source`` values counted as agents and gardiens printed them
as a Python list (``['agent de proximité', 'contact 06…']``) — raw values typed by
hand, personal data included, in a public atlas. Notes now give counts and the
configured keywords; periods read ``T1 2016``, not pandas' ``2016Q1``; an analysis
that cannot run says why without ``(window=None, freq='trimestre')``.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gupgeo.errors import AnalysisError
from gupgeo.indicators import ProximitySources, parse_period
from gupgeo.indicators.agents import proximity_note, proximity_table
from gupgeo.indicators.common import zones_from
from gupgeo.indicators.signalements import cut, prepare_signalements
from gupgeo.indicators.tfpb import tfpb_tables
from gupgeo.veille.cells import PeriodCells, period_cells, period_words
from gupgeo.veille.emerging import emerging_hotspots

REPR = re.compile(
    r"\[\s*['\"]|['\"]\s*\]|\{\s*['\"]|\(\w+=|\b\d{4}Q[1-4]\b|\bNone\b|\bnan\b|<NA>|Timestamp\("
)
"""What a Python repr looks like in a text: a list or dict of strings, keyword
arguments, a pandas quarter, None, nan, <NA>, a Timestamp."""


def reprs_in(text: str) -> list[str]:
    return [m.group(0) for m in REPR.finditer(text)]


def test_the_repr_pattern_finds_what_it_must():
    assert reprs_in("sources : ['agent de proximité', 'contact 06 12']") == ["['", "']"]
    assert reprs_in("(window=None, freq='trimestre')") == ["(window=", "None"]
    assert reprs_in("de 2016Q1 à 2024Q4") == ["2016Q1", "2024Q4"]
    assert reprs_in("Tendances sur 8 trimestres, de T1 2023 à T4 2024 (Gi* par période)") == []


QUARTIERS = pd.DataFrame({"code_qp": ["QP-A"], "nom_qp": ["A"], "population": [1000]})


def _signalements(sources: list[str]) -> pd.DataFrame:
    n = len(sources)
    return pd.DataFrame(
        {
            "id": [f"S{i}" for i in range(n)],
            "code_qp": ["QP-A"] * n,
            "categorie": ["propreté"] * n,
            "statut": ["nouveau"] * n,
            "source": sources,
            "date_signalement": pd.to_datetime(["2024-03-01"] * n),
        }
    )


def test_the_proximity_note_counts_sources_and_never_prints_them():
    sources = ["agent de proximité", "Gardien, contact Mme Dupont 06 12 34 56 78", "Habitant"]
    prep = prepare_signalements(_signalements(sources), zones_from(QUARTIERS))
    period = parse_period("2024")
    _, notes = proximity_table(prep, cut(prep, (period,)), ProximitySources())
    text = " ".join(notes)
    assert "2 valeurs de « source » comptées « agents et gardiens »" in text
    assert "Dupont" not in text and "06 12" not in text and "agent de proximité" not in text
    assert reprs_in(text) == []


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "aucune valeur de « source » comptée"), (1, "1 valeur de « source » comptée"),
     (3, "3 valeurs de « source » comptées")],
)  # fmt: skip
def test_the_proximity_note_agrees_in_number(n, words):
    note = proximity_note(n, ProximitySources(("gardien",)))
    assert note.startswith(f"signalements : {words} « agents et gardiens »")
    assert note.endswith("(mots-clés : gardien).")


def test_the_tfpb_note_counts_unknown_axes_without_printing_them():
    tfpb = pd.DataFrame(
        {
            "bailleur": ["B1", "B1", "B2"],
            "code_qp": ["QP-A"] * 3,
            "annee": [2024] * 3,
            "axe": ["sur-entretien", "voir Mme Dupont 06 12 34 56 78", "axe inventé"],
            "montant_eur": [100.0, 200.0, 300.0],
        }
    )
    _, notes = tfpb_tables(tfpb, zones_from(QUARTIERS), (parse_period("2024"),))
    text = " ".join(notes)
    assert "2 libellé(s) d'axe non reconnu(s) parmi les 8 axes nationaux (2 ligne(s))" in text
    assert "Dupont" not in text and "inventé" not in text and reprs_in(text) == []


def test_periods_are_written_in_french():
    assert [period_words(p) for p in ("2016Q1", "2024-03", "2024", "2024-T2")] == [
        "T1 2016", "mars 2024", "2024", "2024-T2",
    ]  # fmt: skip
    found = PeriodCells(
        parse_period("2024"), gpd.GeoDataFrame(), "", "", ("2023Q1", "2024Q4"), "quarter", 200.0
    )
    assert found.trend_span == "2 trimestres, de T1 2023 à T4 2024"
    assert found.notes == ("Tendances calculées sur 2 trimestres, de T1 2023 à T4 2024.",)


def _points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    x = 525_000 + rng.uniform(0, 2_000, n)
    y = 6_702_000 + rng.uniform(0, 2_000, n)
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    return gpd.GeoDataFrame(
        {"date_signalement": dates, "categorie": "tags"}, geometry=gpd.points_from_xy(x, y),
        crs=2154,
    )  # fmt: skip


def test_an_emerging_analysis_refused_says_why_in_french():
    with pytest.raises(AnalysisError) as refused:
        emerging_hotspots(_points(200), freq="trimestre")
    message = str(refused.value)
    assert "4 période(s) analysée(s)" in message and "(pas : trimestre)" in message
    assert "au moins 6 sont nécessaires" in message and reprs_in(message) == []
    with pytest.raises(AnalysisError, match=r"fenêtre : 3 dernières périodes") as windowed:
        emerging_hotspots(_points(200), freq="mois", window=3)
    assert reprs_in(str(windowed.value)) == []


def test_period_cells_notes_read_as_french():
    points = _points(400)
    quartiers = gpd.GeoDataFrame(
        {"code_qp": ["QP-A"], "nom_qp": ["A"]},
        geometry=[shapely.box(525_000, 6_702_000, 527_000, 6_704_000)], crs=2154,
    )  # fmt: skip
    found = period_cells(points, quartiers, period="2024-T3", freq="mois")
    text = " ".join(found.notes)
    assert "de janvier 2024 à septembre 2024" in text
    assert reprs_in(text) == []
