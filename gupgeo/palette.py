"""Colours every product shares: categories readable by colour-blind readers.

The categorical palette is Okabe & Ito's (2008), built to stay distinguishable with the
common colour-vision deficiencies; it is checked here, not assumed:
:func:`min_distance` simulates deuteranopia and protanopia (Machado, Oliveira & Fernandes
2009, severity 1) and measures the smallest CIELAB distance between two categories
(``tests/test_palette.py`` holds it above :data:`MIN_DELTA_E`). Categories beyond the
palette share :data:`OTHER_COLOR` and are named in the legend.
"""

from __future__ import annotations

import itertools

import numpy as np

CATEGORY_COLORS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
)  # fmt: skip
"""Okabe–Ito: blue, orange, bluish green, reddish purple, sky blue, vermilion, yellow, black."""

OTHER_COLOR = "#5f5f5f"
"""Categories beyond the palette ("autres")."""

MIN_DELTA_E = 12.0
"""Smallest CIELAB distance (ΔE*ab) kept between two categories, for every vision type."""

_MACHADO = {
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
}  # fmt: skip
VISIONS = ("normale", *_MACHADO)
_SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def _linear(color: str) -> np.ndarray:
    srgb = np.array([int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)])
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = _SRGB_TO_XYZ @ np.clip(linear, 0, 1) / _WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def as_seen(color: str, vision: str = "normale") -> np.ndarray:
    """CIELAB coordinates of ``color`` as a reader with ``vision`` sees it."""
    if vision not in VISIONS:
        raise ValueError(f"vision : {vision!r} ; attendu l'une de {list(VISIONS)}")
    linear = _linear(color)
    return _lab(linear if vision == "normale" else _MACHADO[vision] @ linear)


def min_distance(colors: tuple[str, ...] | list[str], vision: str = "normale") -> float:
    """The smallest CIELAB distance between two of ``colors`` as seen with ``vision``.

    >>> min_distance(["#d62728", "#2ca02c"]) > 40      # red and green, normal vision
    True
    >>> min_distance(["#d62728", "#2ca02c"], "deuteranopia") < 12
    True
    """
    seen = [as_seen(c, vision) for c in colors]
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(seen, 2))
