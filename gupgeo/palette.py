"""Colours every product shares: categories readable by colour-blind readers.

The categorical palette is Okabe & Ito's (2008), built to stay distinguishable with the
common colour-vision deficiencies; it is checked here, not assumed:
:func:`min_distance` simulates deuteranopia and protanopia (Machado, Oliveira & Fernandes
2009, severity 1) and measures the smallest CIEDE2000 difference (Sharma, Wu & Dalal 2005)
between two categories; ``tests/test_palette.py`` holds every palette of the maps above
:data:`MIN_DELTA_E` and ``tests/test_chart_palettes.py`` those of the charts. Categories
beyond the palette share :data:`OTHER_COLOR` and are named in the legend. Text on a colour
follows WCAG's contrast ratio (:func:`contrast_ratio`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

CATEGORY_COLORS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
"""Okabe–Ito: blue, orange, bluish green, reddish purple, sky blue, vermilion, yellow, black."""

OTHER_COLOR = "#5f5f5f"
"""Categories beyond the palette ("autres")."""

MIN_DELTA_E = 10.0
"""Smallest CIEDE2000 difference kept between two categories, for every vision type."""

QUARTIER_COLOR = "#2c3e8f"
"""The outline of a quartier, on every map (web map, atlas page)."""

OPERATION_COLOR = "#7b3294"
"""An opération d'aménagement (outline and hatching), on every map."""

GRAVITE_COLORS = {1: "#fee08b", 2: "#f46d43", 3: "#a50026"}
"""Gravity of a constat, 1 (faible) to 3 (forte): light yellow, orange, dark red — apart in
lightness as well as hue, so the order reads without colour vision too."""
GRAVITE_LABELS = {1: "faible", 2: "moyenne", 3: "forte"}
"""What each gravité level is called where a planner reads it."""

_MACHADO = {
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
}
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


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1)."""
    l1, a1, b1 = (float(v) for v in lab1)
    l2, a2, b2 = (float(v) for v in lab2)
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dlp, dcp = l2 - l1, c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    elif abs(h2p - h1p) <= 180:
        dhp = h2p - h1p
    else:
        dhp = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    dhp_big = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    lp_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_bar = (h1p + h2p) / 2
    else:
        hp_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(hp_bar - 30))
        + 0.24 * math.cos(math.radians(2 * hp_bar))
        + 0.32 * math.cos(math.radians(3 * hp_bar + 6))
        - 0.20 * math.cos(math.radians(4 * hp_bar - 63))
    )
    d_theta = 30 * math.exp(-(((hp_bar - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cp_bar**7 / (cp_bar**7 + 25**7))
    sl = 1 + 0.015 * (lp_bar - 50) ** 2 / math.sqrt(20 + (lp_bar - 50) ** 2)
    sc, sh = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    rt = -math.sin(math.radians(2 * d_theta)) * rc
    return math.sqrt(
        (dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp_big / sh) ** 2 + rt * (dcp / sc) * (dhp_big / sh)
    )


def closest_pair(
    colors: tuple[str, ...] | list[str], vision: str = "normale"
) -> tuple[float, str, str]:
    """The two of ``colors`` that look most alike with ``vision``: (ΔE00, colour, colour)."""
    seen = {c: as_seen(c, vision) for c in colors}
    return min((ciede2000(seen[a], seen[b]), a, b) for a, b in itertools.combinations(colors, 2))


def min_distance(colors: tuple[str, ...] | list[str], vision: str = "normale") -> float:
    """The smallest CIEDE2000 difference between two of ``colors`` as seen with ``vision``.

    >>> min_distance(["#d62728", "#2ca02c"]) > 40      # red and green, normal vision
    True
    >>> min_distance(["#d62728", "#2ca02c"], "deuteranopia") < 10
    True
    """
    return closest_pair(colors, vision)[0]


def relative_luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of a ``#rrggbb`` colour.

    >>> round(relative_luminance("#ffffff"), 3), round(relative_luminance("#000000"), 3)
    (1.0, 0.0)
    """
    return float(_linear(color) @ np.array([0.2126, 0.7152, 0.0722]))


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio between two ``#rrggbb`` colours (1 to 21).

    >>> round(contrast_ratio("#ffffff", "#000000"), 1)
    21.0
    """
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
