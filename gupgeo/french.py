"""French formatting of numbers and dates: the one place a figure is written for a reader.

Maps, atlas pages, the review, reports and the CLI all format through here, so the
same value reads the same everywhere: narrow no-break space for thousands, decimal
comma, ``jj/mm/aaaa`` dates, dates in words with "1er". A value that cannot be shown
reads as the caller's ``missing`` label ("n.c." in tables, "non renseigné" on maps).
The English words libraries hand back (geometry types, GEOS validity reasons) are put
into French here too, and :func:`printable` cleans any text shown on a terminal.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

NNBSP = "\u202f"
"""Narrow no-break space: the French thousands separator (and before units)."""

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def is_missing(value: Any) -> bool:
    """True for ``None``, ``NaN``, ``NaT`` and ``pd.NA`` (scalars only).

    Examples
    --------
    >>> is_missing(float("nan")), is_missing(pd.NaT), is_missing(0), is_missing([1])
    (True, True, False, False)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(math.isnan(value))
    if isinstance(value, list | tuple | dict | np.ndarray | str):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_count(value: int) -> str:
    """An integer count with French thousands: ``12500`` → ``"12 500"``."""
    return f"{int(value):,}".replace(",", NNBSP)


def format_number(value: Any, decimals: int = 0, *, missing: str = "n.c.") -> str:
    """``12500.46`` → ``"12 500,5"`` with ``decimals=1``; ``missing`` when there is none.

    Negative zero after rounding is written ``0``.

    Examples
    --------
    >>> format_number(12500.46, 1)
    '12\\u202f500,5'
    >>> format_number(float("nan"))
    'n.c.'
    >>> format_number(-0.04, 1)
    '0,0'
    """
    if is_missing(value):
        return missing
    text = f"{float(value):,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    return text.replace(",", NNBSP).replace(".", ",")


def format_date(value: Any, *, with_time: bool = False) -> str | None:
    """A date as ``jj/mm/aaaa`` (``hh:mm`` added when asked and not midnight); None if missing.

    Examples
    --------
    >>> format_date(pd.Timestamp("2024-03-05 14:30"), with_time=True)
    '05/03/2024 14:30'
    >>> format_date("2024-03-05")
    '05/03/2024'
    """
    if is_missing(value):
        return None
    ts = pd.Timestamp(value)
    if with_time and (ts.hour, ts.minute, ts.second) != (0, 0, 0):
        return ts.strftime("%d/%m/%Y %H:%M")
    return ts.strftime("%d/%m/%Y")


def format_long_date(value: Any) -> str:
    """A date in words, as in a caption: ``"1er novembre 2025"``, ``"3 janvier 2025"``.

    Examples
    --------
    >>> format_long_date("2025-11-01"), format_long_date("2025-01-03")
    ('1er novembre 2025', '3 janvier 2025')
    """
    ts = pd.Timestamp(value)
    day = "1er" if ts.day == 1 else str(ts.day)
    return f"{day} {MONTHS[ts.month - 1]} {ts.year}"


CSV_DECIMALS: dict[str, int] = {
    "nombre": 0,
    "logements": 0,
    "%": 1,
    "jours": 1,
    "pour 1 000 habitants": 2,
    "par hectare": 2,
    "€": 2,
    "€ par logement et par an": 2,
}
"""Decimals kept in a CSV cell for display, by unit (2 for any other unit)."""


def csv_decimals(unit: str) -> int:
    """Decimals of a CSV cell of ``unit``: counts 0, % and days 1, rates and euros 2.

    Examples
    --------
    >>> csv_decimals("nombre"), csv_decimals("%"), csv_decimals("jours"), csv_decimals("€")
    (0, 1, 1, 2)
    """
    return CSV_DECIMALS.get(unit, 2)


def format_csv_number(value: Any, *, french: bool = True, decimals: int = 6) -> str:
    """A number for a CSV cell: rounded to ``decimals`` (no 15-digit noise), no trailing
    zeros, decimal comma when ``french``; empty when missing.

    Examples
    --------
    >>> format_csv_number(0.1 + 0.2), format_csv_number(12.0), format_csv_number(-3.5, french=False)
    ('0,3', '12', '-3.5')
    """
    if is_missing(value):
        return ""
    number = round(float(value), decimals)
    if number == 0:
        number = 0.0
    text = f"{number:.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if french else text


def display_names(
    names: Sequence[Any], communes: Sequence[Any] | None, codes: Sequence[Any]
) -> list[str]:
    """How each quartier is named for a reader: its name, with the commune added where two
    quartiers share a name, and the code where that is not enough (or no name is given).

    Examples
    --------
    >>> display_names(["Centre Ville", "Centre Ville", "Europe"], ["Blois", "Vierzon", "Tours"],
    ...               ["Q1", "Q2", "Q3"])
    ['Centre Ville (Blois)', 'Centre Ville (Vierzon)', 'Europe']
    >>> display_names(["Centre", "Centre"], None, ["Q1", "Q2"])
    ['Centre (Q1)', 'Centre (Q2)']
    """
    base = [
        str(c) if is_missing(n) or not str(n).strip() else str(n)
        for n, c in zip(names, codes, strict=True)
    ]
    counts = Counter(base)
    out = list(base)
    if communes is not None:
        for i, (name, commune) in enumerate(zip(base, communes, strict=True)):
            if counts[name] > 1 and not is_missing(commune) and str(commune).strip():
                out[i] = f"{name} ({commune})"
    still = Counter(out)
    return [f"{n} ({c})" if still[n] > 1 else n for n, c in zip(out, codes, strict=True)]


def quartier_names(quartiers: pd.DataFrame, *, names: Sequence[Any] | None = None) -> pd.Series:
    """The one rule for naming a quartier, for every product (maps, bulletin, atlas,
    dashboard, review, QGIS): :func:`display_names` over the whole ``quartiers`` layer,
    indexed by ``code_qp`` — the name, the commune added where names repeat, the code last.

    Homonyms are decided on the whole layer, never on a selection of it: pass the whole
    territory's quartiers and pick the codes wanted. ``names`` replaces ``nom_qp`` as the
    base name of each row (an atlas page title made from a pattern), in the layer's order.

    Examples
    --------
    >>> q = pd.DataFrame({"code_qp": ["Q1", "Q2", "Q3"],
    ...                   "nom_qp": ["Centre Ville"] * 2 + ["Europe"],
    ...                   "commune": ["Blois", "Vierzon", "Tours"]})
    >>> quartier_names(q).to_dict()
    {'Q1': 'Centre Ville (Blois)', 'Q2': 'Centre Ville (Vierzon)', 'Q3': 'Europe'}
    """
    codes = quartiers["code_qp"].astype("object").tolist()
    if names is None:
        names = quartiers["nom_qp"].tolist() if "nom_qp" in quartiers.columns else codes
    communes = quartiers["commune"].tolist() if "commune" in quartiers.columns else None
    return pd.Series(display_names(names, communes, codes), index=codes, dtype="object")


GEOMETRY_TYPES: dict[str, str] = {
    "Point": "point",
    "MultiPoint": "multipoint",
    "LineString": "ligne",
    "LinearRing": "anneau",
    "MultiLineString": "multiligne",
    "Polygon": "polygone",
    "MultiPolygon": "multipolygone",
    "GeometryCollection": "collection de géométries",
}
"""French names of the geometry types (shapely and GeoPandas give them in English)."""

_VALIDITY = (
    ("Ring Self-intersection", "auto-intersection d'un anneau"),
    ("Self-intersection", "auto-intersection"),
    ("Too few distinct points in geometry component", "trop peu de points distincts"),
    ("Too few points in geometry component", "trop peu de points"),
    ("Hole lies outside shell", "trou hors du contour extérieur"),
    ("Holes are nested", "trous imbriqués"),
    ("Interior is disconnected", "intérieur disjoint"),
    ("Nested shells", "contours imbriqués"),
    ("Duplicate Rings", "anneaux en double"),
    ("Ring is not closed", "anneau non fermé"),
    ("Invalid Coordinate", "coordonnée invalide"),
    ("Repeated Point", "point répété"),
    ("Topology Validation Error", "erreur de topologie"),
)


def geometry_type(name: str) -> str:
    """A geometry type in French: ``"LineString"`` → ``"ligne"`` (unknown names kept).

    Examples
    --------
    >>> geometry_type("Polygon"), geometry_type("MultiLineString")
    ('polygone', 'multiligne')
    """
    return GEOMETRY_TYPES.get(name, name)


def validity_reason(reason: str) -> str:
    """Why GEOS finds a geometry invalid, in French, with the place it gives.

    Examples
    --------
    >>> validity_reason("Self-intersection[0.69 47.37]")
    'auto-intersection au point (0.69 47.37)'
    >>> validity_reason("Ring Self-intersection[1 2]")
    "auto-intersection d'un anneau au point (1 2)"
    """
    for english, french in _VALIDITY:
        if reason.startswith(english):
            place = reason[len(english) :].strip()
            if place.startswith("[") and place.endswith("]"):
                return f"{french} au point ({place[1:-1]})"
            return f"{french} {place}".strip()
    return reason


_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clear screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, hyperlinks
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS strings
    r"|\x1b[ -~]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str, *, keep_leading_return: bool = False) -> str:
    """``text`` without terminal escape sequences nor control characters (C0, C1, DEL).

    Line feeds and tabs stay. Column names, file names and values read from a file reach
    messages and reports: an escape sequence in them would clear the screen or rename
    the terminal window. ``keep_leading_return``: keep one ``\\r`` starting the text (a
    progress bar redrawing its line).

    Examples
    --------
    >>> printable("colonne \\x1b[2J\\x1b]0;piège\\x07date\\r\\x00 ok\\n")
    'colonne date ok\\n'
    >>> printable("\\rAtlas 3/5", keep_leading_return=True)
    '\\rAtlas 3/5'
    """
    lead = "\r" if keep_leading_return and text.startswith("\r") else ""
    return lead + _CONTROLS.sub("", _ESCAPES.sub("", text[len(lead) :]))
