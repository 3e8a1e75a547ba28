"""Which file column could stand for a missing one: judged on its values, not its name.

A name alone misleads: ``code_departement`` is close to ``date_signalement`` and
``latitude`` to nothing, yet a name-only match proposed them. A column is proposed for a
target only when its values are of the target's kind (:func:`fits`):

- a **date**: non-empty values that parse as dates — text (ISO, ``dd/mm/yyyy``), real
  dates, or Excel serial numbers of a plausible day (1990–2100);
- a **number**: values that read as numbers (decimal comma accepted), within the
  target's range (``gravite`` 1–3, ``annee`` 1990–2100, counts and amounts ≥ 0);
- a **category** (``categorie``, ``type``, ``theme``…): text, not numbers, with few
  distinct values (at most :data:`MAX_CATEGORIES`, and fewer than half the rows);
- a **name or free text** (``nom``, ``description``…): text, not numbers, mostly distinct.

Among the columns that fit and are filled on at least half of the rows, the closest
names come first (:func:`candidates`).

Examples
--------
>>> import pandas as pd
>>> from gupgeo.schemas import SCHEMAS
>>> frame = pd.DataFrame({
...     "code_departement": [37, 37, 37], "latitude": [47.39, 47.38, 47.40],
...     "Date de dépôt": [45292, 45300.5, 45310], "Nature": ["tags", "tags", "voirie"],
... })
>>> schema = SCHEMAS["signalements"]
>>> candidates(schema.column("date_signalement"), frame, list(frame.columns))
['Date de dépôt']
>>> candidates(schema.column("categorie"), frame, list(frame.columns))
['Nature']
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from gupgeo.dates import parse_dates
from gupgeo.schemas import Column, LayerSchema, header_key

SAMPLE_ROWS = 500
"""Rows looked at per column (the first non-empty ones)."""
MIN_FILLED = 0.5
"""Smallest share of non-empty values of a proposed column: a required column read from a
mostly empty one would reject most rows."""
MAX_CATEGORIES = 60
"""Most distinct values a category column may hold."""
CATEGORY_COLUMNS = frozenset(
    {
        "categorie",
        "sous_categorie",
        "type",
        "theme",
        "statut",
        "axe",
        "demarche",
        "source",
        "porteur",
        "bailleur",
        "gestionnaire",
        "motif",
        "commune",
    }
)
"""Text columns whose values are a small vocabulary."""
_EXCEL_PLAUSIBLE = (32_874.0, 73_051.0)  # 1990-01-01 .. 2100-01-01 as Excel serials
_RANGES: dict[str, tuple[float, float]] = {
    "gravite": (1, 3),
    "annee": (1990, 2100),
    "agents_proximite": (0, 10_000),
    "population": (0, 1e7),
    "logements": (0, 1e7),
    "montant_eur": (0, 1e12),
    "cout_eur": (0, 1e12),
    "surface_ha": (0, 1e6),
}


def _numbers(values: pd.Series) -> pd.Series | None:
    """``values`` as floats when every one reads as a number, else None."""
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip().str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    parsed = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    return parsed if parsed.notna().all() else None


def _is_date(values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    numbers = _numbers(values)
    if numbers is not None:  # Excel serials: plausible days only (not 37, not 47.39)
        return bool(numbers.between(*_EXCEL_PLAUSIBLE).all())
    parsed, bad = parse_dates(values)
    return bool(parsed.notna().any() and not bad.any())


def _is_text(values: pd.Series) -> bool:
    """Words: neither numbers nor dates (``01/03/2024`` is no category)."""
    if _numbers(values) is not None or pd.api.types.is_datetime64_any_dtype(values):
        return False
    parsed, _ = parse_dates(values)
    return not bool(parsed.notna().mean() > 0.5)


def _filled_share(values: pd.Series) -> float:
    if not len(values):
        return 0.0
    text = values.astype("string").str.strip()
    return float((values.notna() & (text != "").fillna(False)).mean())


def fits(column: Column, values: pd.Series) -> bool:
    """Whether ``values`` (a file column) could hold the schema ``column``."""
    present = values.dropna()
    if present.dtype == object or isinstance(present.dtype, pd.StringDtype):
        present = present[present.astype("string").str.strip() != ""]
    present = present.head(SAMPLE_ROWS)
    if present.empty:
        return False
    if column.kind == "date":
        return _is_date(present)
    if column.kind in ("integer", "number"):
        numbers = _numbers(present)
        if numbers is None:
            return False
        if column.kind == "integer" and not np.allclose(numbers, numbers.round()):
            return False
        low, high = _RANGES.get(column.name, (-np.inf, np.inf))
        return bool(numbers.between(low, high).all())
    if not _is_text(present):
        return False
    distinct = present.astype("string").nunique()
    if column.name in CATEGORY_COLUMNS:
        return distinct <= MAX_CATEGORIES and distinct <= max(len(present) / 2, 2)
    if column.name in ("id", "code_qp", "objet_id"):
        return True
    return distinct >= len(present) / 2


PLACE_WORDS = frozenset(
    {
        "x",
        "y",
        "lon",
        "lat",
        "longitude",
        "latitude",
        "lng",
        "long",
        "geo_point_2d",
        "geo_shape",
        "wkt",
        "coord_x",
        "coord_y",
        "commune",
        "nom_commune",
        "lib_com",
        "code_commune",
        "insee",
        "insee_com",
        "code_insee",
        "adresse",
        "code_postal",
        "cp",
        "departement",
        "code_departement",
        "dep",
        "region",
        "code_region",
    }
)
"""Headers that say where a row is: never proposed for another column."""


def means_something_else(column: str, header: str, schema: LayerSchema | None = None) -> bool:
    """Whether ``header`` already names something else: a place (``commune``, ``latitude``,
    ``code_departement``…) or another column of ``schema``.

    Examples
    --------
    >>> means_something_else("nom", "commune"), means_something_else("nom", "Libellé")
    (True, False)
    """
    key = header_key(header)
    if key in PLACE_WORDS and key != column:
        return True
    other = schema.alias_map().get(key) if schema is not None else None
    return other is not None and other != column


def candidates(
    column: Column,
    frame: pd.DataFrame,
    found: Iterable[str],
    *,
    n: int = 3,
    schema: LayerSchema | None = None,
) -> list[str]:
    """Columns of ``found`` whose values fit ``column``, closest names first (at most ``n``);
    a column whose name means another thing (``commune`` for a ``nom``) is never proposed."""
    fitting = [
        c
        for c in found
        if c in frame.columns
        and not means_something_else(column.name, c, schema)
        and _filled_share(frame[c]) >= MIN_FILLED
        and fits(column, frame[c])
    ]
    key = header_key(column.name)

    def closeness(name: str) -> float:
        return difflib.SequenceMatcher(None, key, header_key(name)).ratio()

    return sorted(fitting, key=lambda c: -closeness(c))[:n]


__all__ = ["CATEGORY_COLUMNS", "MAX_CATEGORIES", "candidates", "fits", "means_something_else"]
