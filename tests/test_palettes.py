"""Chart palettes stay readable for colour-blind readers (RGAA 3.2 / WCAG 1.4.1).

Each categorical palette of the charts is seen through the Machado (2009) simulation of
deuteranopia, protanopia and tritanopia (tests/_colour_vision.py); the closest pair of
categories must stay at least :data:`MIN_DELTA_E` apart (CIEDE2000), and a pair closer
than :data:`CUE_BELOW` for a red-green deficiency must also differ by a second cue (a
hatch). The
colour-science helpers are checked first against published values, so the thresholds
measure something real.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gupgeo.dashboard.chart_data import TOP_CATEGORIES
from gupgeo.dashboard.charts import AGE_COLORS, category_style
from gupgeo.review.html import ZONE_COLORS
from tests._colour_vision import (
    MACHADO_2009,
    ciede2000,
    contrast_ratio,
    hex_to_rgb,
    min_distance,
    simulate,
    to_lab,
)

VISIONS = (None, "deutéranopie", "protanopie", "tritanopie")
MIN_DELTA_E = 10.0
"""Two categories side by side stay clearly different (ΔE00 ≈ 2.3 is one just-noticeable
difference)."""
CUE_BELOW = 15.0
"""Closer than this in a simulation, two categories also need a hatch to tell them apart."""


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


def test_simulation_keeps_greys_and_merges_red_and_green():
    for matrix in MACHADO_2009.values():
        assert matrix.sum(axis=1) == pytest.approx([1, 1, 1], abs=1e-3)  # white stays white
    assert to_lab(hex_to_rgb("#ffffff"))[0] == pytest.approx(100, abs=1e-3)
    red, green = hex_to_rgb("#d62728"), hex_to_rgb("#2ca02c")
    normal = ciede2000(to_lab(red), to_lab(green))
    for deficiency in ("deutéranopie", "protanopie"):
        seen = ciede2000(to_lab(simulate(red, deficiency)), to_lab(simulate(green, deficiency)))
        assert seen < normal / 2, deficiency
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)


def _series_categories() -> list[tuple[str, str]]:
    """(colour, hatch) of the categories of a series chart, "autres catégories" last."""
    return [category_style(i) for i in range(TOP_CATEGORIES)] + [category_style(0, others=True)]


@pytest.mark.parametrize("vision", VISIONS)
def test_series_chart_categories_stay_apart(vision):
    styles = _series_categories()
    distance, a, b = min_distance([c for c, _ in styles], vision)
    assert distance >= MIN_DELTA_E, (vision, a, b, round(distance, 1))


@pytest.mark.parametrize("vision", ["deutéranopie", "protanopie"])
def test_close_categories_carry_a_second_cue(vision):
    """For the red-green deficiencies (about 1 man in 12); tritanopia (about 1 in 10,000)
    is held to the distance threshold only."""
    styles = _series_categories()
    for (c1, h1), (c2, h2) in itertools.combinations(styles, 2):
        lab1, lab2 = (to_lab(simulate(hex_to_rgb(c), vision)) for c in (c1, c2))
        if ciede2000(lab1, lab2) < CUE_BELOW:
            assert h1 != h2, (vision, c1, c2)


@pytest.mark.parametrize("vision", VISIONS)
def test_review_zones_and_backlog_ages_stay_apart(vision):
    assert min_distance(list(ZONE_COLORS.values()), vision)[0] >= MIN_DELTA_E
    # Ages are ordered: light to dark, the order itself survives every simulation.
    lightness = [to_lab(simulate(hex_to_rgb(c), vision))[0] for c in AGE_COLORS]
    assert lightness == sorted(lightness, reverse=True)
    assert min_distance(list(AGE_COLORS), vision)[0] >= MIN_DELTA_E
