"""gupgeo.maps._format: JSON safety, French formats, compact point encoding."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from gupgeo.maps._format import (
    compact_points,
    format_date_fr,
    format_long_date_fr,
    format_number_fr,
    js_literal,
    to_json_value,
)
from gupgeo.maps.layers import glyph_for


@pytest.mark.parametrize(
    "text",
    [
        "</script><script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "Rue de l'Alouette",
        "a & b",
        "\u2028",
    ],
)
def test_js_literal_is_script_safe_and_round_trips(text):
    out = js_literal({"v": text})
    for forbidden in ("<", ">", "&", "'", "\u2028"):
        assert forbidden not in out
    assert json.loads(out) == {"v": text}


def test_js_literal_refuses_nan():
    with pytest.raises(ValueError):
        js_literal({"v": float("nan")})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.int64(3), 3),
        (np.float32(0.5), 0.5),
        (np.bool_(True), True),
        (Decimal("2.5"), 2.5),
        (float("inf"), None),
        (np.nan, None),
        (pd.NA, None),
        (pd.NaT, None),
        (None, None),
        (pd.Timestamp("2024-01-31"), "31/01/2024"),
        (pd.Timestamp("2024-01-31 08:05"), "31/01/2024 08:05"),
        (dt.date(2024, 7, 14), "14/07/2024"),
        (np.datetime64("2024-02-29"), "29/02/2024"),
        (pd.Timedelta(days=3), "3 j"),
        ("texte", "texte"),
    ],
)
def test_to_json_value(value, expected):
    assert to_json_value(value) == expected


def test_french_formats():
    assert format_number_fr(1234567.891, decimals=2) == "1\u202f234\u202f567,89"
    assert format_number_fr(-0.5, decimals=1) == "-0,5"
    assert format_number_fr(None) == "non renseigné"
    assert format_date_fr("2024-12-01") == "01/12/2024"
    assert format_long_date_fr(pd.Timestamp("2025-03-02")) == "2 mars 2025"
    assert format_long_date_fr(dt.date(2025, 8, 1)) == "1er août 2025"


def test_compact_points_sorts_and_delta_encodes():
    lon = np.array([0.70001, 0.68, 0.69])
    lat = np.array([47.4, 47.38, 47.38])
    payload, order = compact_points(lon, lat)
    assert payload["n"] == 3 and payload["scale"] == 100_000
    assert order.tolist() == [1, 2, 0]
    assert payload["dy"] == [0, 0, 2000]
    assert payload["x"] == [0, 1000, 2001]
    assert (payload["x0"], payload["y0"]) == (68_000, 4_738_000)


def test_compact_points_empty():
    payload, order = compact_points(np.array([]), np.array([]))
    assert payload["n"] == 0 and payload["x"] == [] and len(order) == 0


@pytest.mark.parametrize(
    ("label", "glyph"),
    [
        ("école", "É"),
        ("Centre social", "CS"),
        ("PAVE", "PAV"),
        ("Aire de jeux", "J"),
        ("Halle des sports", "HS"),
    ],
)
def test_glyphs(label, glyph):
    assert glyph_for(label) == glyph
