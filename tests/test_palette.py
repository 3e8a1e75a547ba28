"""Colour-blind readers tell the categories apart: every palette the maps draw with is
simulated for deuteranopia and protanopia (Machado et al. 2009) and kept apart (CIEDE2000).
The charts' palettes: tests/test_chart_palettes.py."""

from __future__ import annotations

import pytest

from gupgeo.maps._vector import MISSING_COLOR
from gupgeo.maps.veille import (
    CLOSED_COLOR,
    EMERGING_COLORS,
    HOT_COLORS,
    OPEN_COLOR,
    UNKNOWN_STATUS_COLOR,
)
from gupgeo.palette import (
    CATEGORY_COLORS,
    GRAVITE_COLORS,
    MIN_DELTA_E,
    OTHER_COLOR,
    VISIONS,
    min_distance,
)

PALETTES = {
    "catégories (+ autres, non renseigné)": (*CATEGORY_COLORS, OTHER_COLOR, MISSING_COLOR),
    "gravité des constats": (*GRAVITE_COLORS.values(), MISSING_COLOR),
    "points chauds et froids": tuple(HOT_COLORS.values()),
    "points chauds émergents": tuple(EMERGING_COLORS.values()),
    "problèmes signalés plusieurs fois (ouverts, clos, statut inconnu)": (
        OPEN_COLOR,
        CLOSED_COLOR,
        UNKNOWN_STATUS_COLOR,
    ),
}


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", PALETTES)
def test_palette_stays_distinguishable(name: str, vision: str) -> None:
    assert min_distance(PALETTES[name], vision) >= MIN_DELTA_E, (name, vision)


def test_the_old_palette_would_have_failed() -> None:
    """tab10's green and red, which the maps used before, merge for a deuteranope."""
    assert min_distance(("#2ca02c", "#d62728"), "deuteranopia") < MIN_DELTA_E


def test_unknown_vision_is_refused_in_french() -> None:
    with pytest.raises(ValueError, match="vision"):
        min_distance(CATEGORY_COLORS, "tritanopie")
