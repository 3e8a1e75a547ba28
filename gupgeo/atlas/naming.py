"""Page names and file names of atlas pages, from patterns like QGIS Atlas expressions.

A pattern is a Python format string over the columns of the ``quartiers`` layer,
``"{nom_qp} ({commune})"`` for instance. File names are made safe whatever the
quartier's name: accents folded, apostrophes, slashes and spaces turned into
hyphens, lower case, bounded length, no reserved device names, and duplicates
numbered in page order.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

MAX_STEM = 80
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "index", *(f"com{i}" for i in range(10)),
     *(f"lpt{i}" for i in range(10))}
)  # fmt: skip
"""Stems never used for a quartier page (Windows device names, and the atlas index)."""


def safe_stem(text: str, *, fallback: str = "quartier") -> str:
    """A file-name stem safe on every system, readable, ASCII.

    Examples
    --------
    >>> safe_stem("Niqueux-Bruère – Marcel Pagnol")
    'niqueux-bruere-marcel-pagnol'
    >>> safe_stem("Rue de l'Alouette / Les Œillets")
    'rue-de-l-alouette-les-oeillets'
    >>> safe_stem("../../etc/passwd")
    'etc-passwd'
    >>> safe_stem("CON")
    'con-quartier'
    >>> safe_stem("   ")
    'quartier'
    """
    folded = unicodedata.normalize("NFKD", _LIGATURES.sub(_ligature, str(text)))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    stem = stem[:MAX_STEM].rstrip("-")
    if not stem:
        return fallback
    if stem in _RESERVED:
        return f"{stem}-{fallback}"
    return stem


_LIGATURES = re.compile("[œŒæÆß]")
_LIGATURE_MAP = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"}


def _ligature(match: re.Match[str]) -> str:
    return _LIGATURE_MAP[match.group(0)]


def unique_stems(stems: Sequence[str]) -> list[str]:
    """Number repeated stems in order: ``["a", "a", "b"]`` → ``["a", "a-2", "b"]``.

    Examples
    --------
    >>> unique_stems(["a", "a", "a-2", "b"])
    ['a', 'a-2', 'a-2-2', 'b']
    """
    seen: set[str] = set()
    out = []
    for stem in stems:
        candidate, n = stem, 1
        while candidate in seen:
            n += 1
            candidate = f"{stem}-{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


class _Fields(string.Formatter):
    def __init__(self, pattern_name: str) -> None:
        self.pattern_name = pattern_name

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, int) or key not in kwargs:
            raise ValueError(
                f"{self.pattern_name} : champ {{{key}}} inconnu ; champs disponibles : "
                + ", ".join(f"{{{k}}}" for k in kwargs)
            )
        return kwargs[key]


def check_pattern(pattern: str, fields: Sequence[str], *, name: str) -> str:
    """Raise ``ValueError`` if ``pattern`` uses a field not in ``fields`` or is malformed."""
    try:
        apply_pattern(pattern, dict.fromkeys(fields, ""), name=name)
    except (IndexError, KeyError) as exc:
        raise ValueError(f"{name} : motif {pattern!r} invalide ({exc})") from exc
    return pattern


def apply_pattern(pattern: str, record: Mapping[str, Any], *, name: str) -> str:
    """Fill ``pattern`` with ``record`` (missing values become empty text)."""
    clean = {k: ("" if _missing(v) else v) for k, v in record.items()}
    try:
        text = _Fields(name).format(pattern, **clean)
    except ValueError:
        raise
    except (IndexError, KeyError, TypeError) as exc:
        raise ValueError(f"{name} : motif {pattern!r} invalide ({exc})") from exc
    return re.sub(r"\s+", " ", text).strip()


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
