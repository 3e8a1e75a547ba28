"""The charts' categories stay readable for colour-blind readers (RGAA 3.2 / WCAG 1.4.1).

The charts draw with :mod:`gupgeo.palette` (tests/test_palette.py holds its CIELAB
distances); here each category *as drawn on a chart* — colour and hatch, "autres
catégories" included — is seen through gupgeo's Machado (2009) simulation of deuteranopia
and protanopia and compared with CIEDE2000 (gupgeo.palette, checked first
against published values): the closest pair stays at least :data:`MIN_DELTA_E` apart, and
a pair closer than :data:`CUE_BELOW` also differs by a second cue (a hatch).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gupgeo.dashboard.chart_data import TOP_CATEGORIES
from gupgeo.dashboard.charts import AGE_COLORS, category_style
from gupgeo.palette import MIN_DELTA_E, VISIONS, as_seen, ciede2000, contrast_ratio
from gupgeo.palette import closest_pair as min_distance
from gupgeo.review.charts import ZONE_COLORS

"""Two categories side by side stay clearly different (ΔE00 ≈ 2.3 is one just-noticeable
difference)."""
CUE_BELOW = 15.0
"""Closer than this for a colour-blind reader, two categories also need a hatch."""


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # Sharma, Wu & Dalal (2005), test data of the CIEDE2000 formula
        ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
        ((50, -1.3802, -84.2814), (50, 0, -82.7485), 1.0000),
        ((50, 0, 0), (50, -1, 2), 2.3669),
        ((50, 2.5, 0), (73, 25, -18), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
    ],
)
def test_ciede2000_matches_the_published_pairs(lab1, lab2, expected):
    assert ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


def test_the_measure_merges_what_colour_blind_readers_confuse():
    """tab10's red and green (deuteranopia), orange and green (protanopia)."""
    for pair, vision in (
        (["#d62728", "#2ca02c"], "deuteranopia"),
        (["#ff7f0e", "#2ca02c"], "protanopia"),
    ):
        assert min_distance(pair, "normale")[0] > 40
        assert min_distance(pair, vision)[0] < MIN_DELTA_E / 2
    assert min_distance(["#777777", "#787878"], "normale")[0] < 1
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)


def _series_categories() -> list[tuple[str, str]]:
    """(colour, hatch) of the categories of a series chart, "autres catégories" last."""
    return [category_style(i) for i in range(TOP_CATEGORIES)] + [category_style(0, others=True)]


@pytest.mark.parametrize("vision", VISIONS)
def test_series_chart_categories_stay_apart(vision):
    distance, a, b = min_distance([c for c, _ in _series_categories()], vision)
    assert distance >= MIN_DELTA_E, (vision, a, b, round(distance, 1))


@pytest.mark.parametrize("vision", VISIONS[1:])
def test_close_categories_carry_a_second_cue(vision):
    closest = []
    for (c1, h1), (c2, h2) in itertools.combinations(_series_categories(), 2):
        distance = ciede2000(as_seen(c1, vision), as_seen(c2, vision))
        if distance < CUE_BELOW:
            closest.append((c1, c2))
            assert h1 != h2, (vision, c1, c2, round(distance, 1))
    assert closest  # the rule has work to do: Okabe–Ito is not enough on its own


@pytest.mark.parametrize("vision", VISIONS)
def test_review_zones_and_backlog_ages_stay_apart(vision):
    assert min_distance(list(ZONE_COLORS.values()), vision)[0] >= MIN_DELTA_E
    # Ages are ordered light to dark, and the order survives every simulation.
    lightness = [as_seen(c, vision)[0] for c in AGE_COLORS]
    assert lightness == sorted(lightness, reverse=True)
    assert min_distance(list(AGE_COLORS), vision)[0] >= MIN_DELTA_E
