"""Page names and file names of atlas pages, from patterns like QGIS Atlas expressions.

A pattern is text with fields naming columns of the ``quartiers`` layer,
``"{nom_qp} ({commune})"`` for instance: plain fields only (no attribute access,
indexing, conversion or format spec), ``{{`` and ``}}`` for literal braces. File names
are made safe whatever the quartier's name: accents folded, apostrophes, slashes and
spaces turned into hyphens, lower case, bounded length, no reserved device names, and duplicates
numbered in page order.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pandas as pd

MAX_STEM = 80
OVERVIEW_STEM = "ensemble"
"""``cartes/ensemble.html``: the overview map of the index."""
COMPARISON_STEM = "comparaison"
"""``graphiques/comparaison.svg``: the comparison chart of the index."""
BOOK_STEM = "atlas"
"""``pdf/atlas.pdf``: every page in one PDF."""
INDEX_STEMS = frozenset({"index", OVERVIEW_STEM, COMPARISON_STEM, BOOK_STEM, "assets"})
"""Stems of the index's own files: a quartier named so gets another stem."""
_RESERVED = frozenset(
    {
        "con",
        "prn",
        "aux",
        "nul",
        *INDEX_STEMS,
        *(f"com{i}" for i in range(10)),
        *(f"lpt{i}" for i in range(10)),
    }
)
"""Stems never used for a quartier page (Windows device names, the index's own files)."""


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
    >>> safe_stem("Ensemble"), safe_stem("index")
    ('ensemble-quartier', 'index-quartier')
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


def distinct_stems(stems: Sequence[str], codes: Sequence[str]) -> list[str]:
    """One stem per page, stable from one build to the next: the page's own stem, then
    its quartier code, then a short hash of the code.

    A stem shared by several pages gets the code added (``sanitas-qp037001``); codes
    that are themselves made alike (``QP037.A``, ``QP037-A``) get a hash of the code
    instead. Unlike numbering in page order, a page keeps its file name when quartiers
    are added, removed or reordered: a link shared last quarter still opens it.

    Examples
    --------
    >>> distinct_stems(["sanitas", "sanitas", "europe"], ["QP037001", "QP037002", "QP037003"])
    ['sanitas-qp037001', 'sanitas-qp037002', 'europe']
    >>> distinct_stems(["a", "a"], ["QP037.A", "QP037-A"])
    ['a-1f471f', 'a-c9a9ff']
    """
    import hashlib

    def short_hash(code: str) -> str:
        return hashlib.sha1(code.encode("utf-8")).hexdigest()[:6]

    counts = Counter(stems)
    first = [
        stem if counts[stem] == 1 else f"{stem}-{safe_stem(code, fallback='code')}"
        for stem, code in zip(stems, codes, strict=True)
    ]
    again = Counter(first)
    second = [
        stem if again[candidate] == 1 else f"{stem}-{short_hash(str(code))}"
        for stem, candidate, code in zip(stems, first, codes, strict=True)
    ]
    merged = [c if again[c] == 1 else s for c, s in zip(first, second, strict=True)]
    return unique_stems(merged)  # the same code twice: numbered, as a last resort


def _pieces(pattern: str, fields: Collection[str], *, name: str) -> list[tuple[str, str | None]]:
    """(literal text, field or None) pieces of ``pattern``; only plain ``{field}`` accepted.

    Attribute access (``.``), indexing (``[ ]``), conversions (``!r``) and format specs
    (``:>10``) are refused: a pattern names columns, it never reaches Python objects.
    """
    listed = ", ".join(f"{{{k}}}" for k in fields) or "aucun"
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ValueError(
            f"{name} : motif {pattern!r} invalide ({exc}) ; exemple attendu : "
            f"« {{nom_qp}} ({{commune}}) » ; champs disponibles : {listed}"
        ) from exc
    pieces: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in parsed:
        if field is None:
            pieces.append((literal, None))
            continue
        plain = bool(field) and not field.isdigit() and not any(c in field for c in ".[]")
        if not plain or spec or conversion:
            shown = "{" + field + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise ValueError(
                f"{name} : motif {pattern!r} refusé : {shown} n'est pas un champ simple ; "
                "un motif n'accepte que des champs {colonne} de la couche quartiers, sans "
                f"« . », « [ ] », « ! » ni « : » ; champs disponibles : {listed}"
            )
        if field not in fields:
            raise ValueError(f"{name} : champ {{{field}}} inconnu ; champs disponibles : {listed}")
        pieces.append((literal, field))
    return pieces


def check_pattern(pattern: str, fields: Sequence[str], *, name: str) -> str:
    """Raise ``ValueError`` unless ``pattern`` holds only plain fields among ``fields``.

    Examples
    --------
    >>> check_pattern("{nom_qp} ({commune})", ["nom_qp", "commune"], name="page_name")
    '{nom_qp} ({commune})'
    >>> check_pattern("{nom_qp.__class__}", ["nom_qp"], name="page_name")
    Traceback (most recent call last):
    ...
    ValueError: page_name : motif '{nom_qp.__class__}' refusé : {nom_qp.__class__} n'est pas
    un champ simple ; un motif n'accepte que des champs {colonne} de la couche quartiers,
    sans « . », « [ ] », « ! » ni « : » ; champs disponibles : {nom_qp}
    """
    _pieces(pattern, list(fields), name=name)
    return pattern


def apply_pattern(pattern: str, record: Mapping[str, Any], *, name: str) -> str:
    """Fill ``pattern`` with ``record`` (missing values become empty text).

    The text is assembled piece by piece: a value is never formatted again, whatever
    braces it holds.
    """
    parts: list[str] = []
    for literal, field in _pieces(pattern, list(record), name=name):
        parts.append(literal)
        if field is not None:
            value = record[field]
            parts.append("" if _missing(value) else str(value))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
