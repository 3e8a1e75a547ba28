"""Classes every product draws the same way: categories by frequency, mapclassify
classes of a value, and the colours of missing and secret values.

The HTML maps (:mod:`gupgeo.maps`) and the QGIS project (:mod:`gupgeo.qgis`) both call
these, so a category has the same colour and a class the same breaks in both.
"""

from __future__ import annotations

import mapclassify
import numpy as np
import pandas as pd

from gupgeo.french import format_number
from gupgeo.palette import CATEGORY_COLORS, OTHER_COLOR, contrast_ratio

MISSING_LABEL = "non renseigné"


def format_number_fr(value: object, *, decimals: int = 0) -> str:
    """A number as a legend writes it ("non renseigné" when missing)."""
    return format_number(value, decimals, missing=MISSING_LABEL)


MISSING_COLOR = "#d0d0d0"
"""Missing values ("non renseigné"): light grey, apart from the palette and "autres"
(checked with the palette in ``tests/test_palette.py``)."""
DARK_TEXT = "#1b1b1b"
SECRET_COLOR = "#9a9a9a"
YLORRD: dict[int, tuple[str, ...]] = {
    1: ("#fd8d3c",),
    2: ("#fecc5c", "#e31a1c"),
    3: ("#ffeda0", "#feb24c", "#f03b20"),
    4: ("#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"),
    5: ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"),
    6: ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"),
    7: ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"),
}


def category_classes(values: pd.Series) -> tuple[list[str], np.ndarray, list[str], list[int]]:
    """Labels by decreasing frequency, per-row class (−1: missing), colours, counts.

    The eight most frequent categories get their own colour (Okabe–Ito, :mod:`gupgeo.palette`),
    the others share grey.
    """
    text = values.astype("string")
    counts = text.value_counts(dropna=True)
    labels = [str(v) for v in counts.index]
    lookup = {label: i for i, label in enumerate(labels)}
    index = np.array([-1 if pd.isna(v) else lookup[str(v)] for v in text], dtype="int64")
    colors = [
        CATEGORY_COLORS[i] if i < len(CATEGORY_COLORS) else OTHER_COLOR for i in range(len(labels))
    ]
    return labels, index, colors, [int(c) for c in counts.to_numpy()]


def classify(
    values: pd.Series, *, scheme: str = "NaturalBreaks", k: int = 5, decimals: int = 1
) -> tuple[np.ndarray, list[str], list[str]]:
    """mapclassify classes of the finite values; −1 for missing. Returns index, labels, colours."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    finite = np.isfinite(numbers)
    index = np.full(len(numbers), -1, dtype="int64")
    if not finite.any():
        return index, [], []
    y = numbers[finite]
    k = max(1, min(k, len(np.unique(y)), 7))
    if k == 1:
        index[finite] = 0
        return index, [format_number_fr(y.min(), decimals=decimals)], list(YLORRD[1])
    try:
        classifier = mapclassify.classify(y, scheme=scheme, k=k)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"scheme : {scheme!r} refusé par mapclassify ({exc}) ; essayez 'NaturalBreaks', "
            "'Quantiles' ou 'EqualInterval'"
        ) from exc
    bins = np.asarray(classifier.bins, dtype="float64")
    index[finite] = np.asarray(classifier.yb, dtype="int64")
    yb = index[finite]
    uppers = [float(y[yb == i].max()) if (yb == i).any() else float(b) for i, b in enumerate(bins)]
    lows = [
        float(y[yb == i].min()) if (yb == i).any() else float(lo)
        for i, lo in enumerate([float(y.min()), *bins[:-1].tolist()])
    ]
    labels = [
        f"{format_number_fr(lo, decimals=decimals)} – {format_number_fr(hi, decimals=decimals)}"
        for lo, hi in zip(lows, uppers, strict=True)
    ]
    return index, labels, list(YLORRD[len(labels)])


def text_color_on(fill: str) -> str:
    """The text colour for a glyph on ``fill``: white, else near-black, else black — the
    first to reach 4.5:1 (WCAG AA), or whichever contrasts most.

    >>> text_color_on("#1f3a93"), text_color_on("#f2c94c"), text_color_on("#9467bd")
    ('#ffffff', '#1b1b1b', '#000000')
    """
    candidates = ("#ffffff", DARK_TEXT, "#000000")
    for candidate in candidates:
        if contrast_ratio(candidate, fill) >= 4.5:
            return candidate
    return max(candidates, key=lambda c: contrast_ratio(c, fill))
