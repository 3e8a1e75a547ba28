"""The ESSP vocabulary: how an étude de sûreté et de sécurité publique is recognised.

Findings of an ESSP are legally not communicable. A finding (or an action) is
recognised as coming from one by its démarche, its identifiers or its wording, with
one vocabulary, read on the detection view of the text
(:mod:`gupgeo.publication.normalise`: zero-width characters and soft hyphens removed,
fullwidth and look-alike letters folded) and blind to case and accents:

- the acronyms ``ESSP`` and ``EDSP`` (met in files for the same study), plural,
  spelled (``E.S.S.P.``, ``E S S P``, ``E-S-S-P``) or followed by an identifier,
  glued or not (``ESSP03B``, ``essp-03``, ``ESSP 2023``);
- ``ESP`` (the name of the study before 2011) in capitals, ``E.S.P.``, or followed by
  an identifier (``esp-03``, ``ESP03``) — not inside a word ("espace", "despote"),
  nor the abbreviation "esp. verts";
- "étude de sûreté" in any form: "étude de sûreté et de sécurité publique",
  "étude sûreté", "études préalables de sûreté", "surêté", "surete"…;
- "étude de sécurité publique", "étude de prévention situationnelle";
- "audit de sûreté", "audit sûreté", "diagnostic (de) sûreté", "diag sûreté";
- "sûreté et sécurité publique", "sûreté et de sécurité publique", "sûreté publique".

A ``demarche`` is held to a stricter rule (:func:`doubtful_demarche`): besides the
vocabulary, any "sûreté", "sécurité publique" or "prévention situationnelle", a bare
"ESP", "étude", "audit" or "autre", and an empty or unknown value ("NC", "non
renseigné"…) count as an ESSP: when in doubt, the finding is withheld. "diagnostic
sécurité des cheminements", "diagnostic en marchant" and "marche exploratoire" are
not ESSP.

Every quantifier is bounded: a search is linear in the length of the text.
"""

from __future__ import annotations

import re
from typing import Any

from gupgeo.publication._prefilter import SPACE
from gupgeo.publication.normalise import NON_ALNUM, fold_key, view_text

_E = "[eéèêë]"
_U = "[uûùü]"
_SEP = r"[\W_]{1,3}"
_SPELL = r"[\s.\-_/]{0,3}"  # between the letters of a spelled acronym
_SURETE = rf"s{_U}r{_E}t{_E}"
_SECURITE = rf"s{_E}curit{_E}"
_START = r"(?<![^\W_])"
_END = r"(?![^\W_])"
_NOT_LETTER = r"(?![^\W\d_])"
_ID = r"(?:[ \-_./:#]{0,3}\d{1,4}[a-z]?(?![^\W_]))?"  # "-03", "03B", " 2023"

ESSP_MENTION = re.compile(
    # ESSP, EDSP, E.S.S.P., E S S P, E-S-S-P, E.  S.  S.  P, E SSP, ÉSSP, ESSP03B, essp-03
    rf"{_START}{_E}{_SPELL}[sd]{_SPELL}s{_SPELL}p\.?s?{_ID}{_NOT_LETTER}"
    # ESP, E.S.P., E.  S.  P in capitals; esp-03, ESP03 in any case
    rf"|{_START}(?-i:E\.?\s{{0,2}}S\.?\s{{0,2}}P)\.?{_ID}{_NOT_LETTER}"
    rf"|{_START}esp[\-_]?\d{{1,4}}[a-z]?{_END}"
    # étude / audit / diagnostic (préalable) de sûreté (et de sécurité publique)
    rf"|{_START}(?:{_E}tudes?|audits?|diagnostics?|diags?)(?:{_SEP}pr{_E}alables?)?"
    rf"(?:{_SEP}(?:de|du|d['’]))?{_SEP}{_SURETE}"
    rf"(?:{_SEP}(?:et{_SEP})?(?:de{_SEP})?{_SECURITE}{_SEP}publiques?)?{_END}"
    # étude de sécurité publique, étude de prévention situationnelle
    rf"|{_START}{_E}tudes?{_SEP}(?:de{_SEP})?(?:la{_SEP})?"
    rf"(?:{_SECURITE}{_SEP}publiques?|pr{_E}vention{_SEP}situationnelles?){_END}"
    # sûreté (et de) sécurité publique, sûreté publique
    rf"|{_START}{_SURETE}(?:{_SEP}(?:et{_SEP})?(?:de{_SEP})?{_SECURITE})?{_SEP}publiques?{_END}",
    re.IGNORECASE,
)
"""A mention of an ESSP in the detection view of a text (see the module docstring)."""

_DEMARCHE_DOUBT = re.compile(
    r"(?<![a-z0-9])(?:esp|essp|edsp)(?![a-z])|suret|securite_publique|prevention_situationnelle"
)
_GENERIC = frozenset({"etude", "etudes", "audit", "audits", "autre", "autres", "divers"})
_UNKNOWN = frozenset(
    {
        "",
        "nc",
        "n_c",
        "na",
        "n_a",
        "nr",
        "n_r",
        "nan",
        "none",
        "null",
        "inconnu",
        "inconnue",
        "non_renseigne",
        "non_renseignee",
        "non_precise",
        "non_precisee",
        "a_preciser",
        "sans_objet",
        "x",
        "_",
    }
)

_HINTS = (
    # E S S P, E.D.S.P., e.s.p., esp-03 (in lower case), at the start of a word
    re.compile(r"e(?<![^\W_]e)[\s.\-_/]{0,3}[sd][\s.\-_/]{0,3}s[\s.\-_/]{0,3}p"),
    re.compile(r"[éèêë](?<![^\W_].)[\s.\-_/]{0,3}[sd][\s.\-_/]{0,3}s[\s.\-_/]{0,3}p"),
    re.compile(r"e(?<![^\W_]e)\.?\s{0,2}s\.?\s{0,2}p"),
    re.compile(r"r(?<=[uûùü]r)[eéèêë]t"),  # sûreté, surete, surêté
    re.compile("curit"),  # sécurité publique
    re.compile("situation"),  # prévention situationnelle
)
"""Every mention holds one of these in its lower-case detection view: texts without any
are not searched. Each starts with one literal character, which the regular expression
engine finds with a fast scan (a class of first characters is tried at every
position)."""


_RSEP = r"[\t\n\r .\-_/]"  # [\s.\-_/] in a plain text (:mod:`gupgeo.publication._prefilter`)
_RSTART = "(?:^|[^a-z0-9])"  # not after a letter or digit (RE2 reads é as neither: more)
HINTS_RE2 = "|".join(
    (
        rf"{_RSTART}[eéèêë]{_RSEP}{{0,3}}[sd]{_RSEP}{{0,3}}s{_RSEP}{{0,3}}p",
        rf"{_RSTART}e\.?{SPACE}{{0,2}}s\.?{SPACE}{{0,2}}p",
        r"[uûùü]r[eéèêë]t",
        "curit",
        "situation",
    )
)
""":data:`_HINTS` for a column-wide quick test (RE2 syntax, no lookbehind, read
case-insensitively on plain texts: :func:`gupgeo.publication._prefilter.may_match`)."""


def might_mention_essp(lower_text: str, text: str | None = None) -> bool:
    """A quick test on the lower-case detection view of a text: False means it cannot
    cite an ESSP (``text``, the view itself, is no longer needed)."""
    del text
    return any(hint.search(lower_text) is not None for hint in _HINTS)


def mentions_essp(value: Any) -> bool:
    """Whether a text cites an ESSP (acronym, identifier or wording).

    Examples
    --------
    >>> [mentions_essp(v) for v in ("voir ESSP-01", "Diagnostic Surete", "marche", None)]
    [True, True, False, False]
    >>> [mentions_essp(v) for v in ("E.S.S.P.", "ES\u200bSP03B", "espace vert", "esp. verts")]
    [True, True, False, False]
    """
    if not isinstance(value, str):
        return False
    view = view_text(value)
    return might_mention_essp(view.lower(), view) and ESSP_MENTION.search(view) is not None


def _key(value: str) -> str:
    return NON_ALNUM.sub("_", fold_key(value)).strip("_")


def doubtful_demarche(value: Any) -> bool:
    """Whether a ``demarche`` is, or could be, an ESSP (unknown values included).

    Examples
    --------
    >>> [doubtful_demarche(v) for v in ("Étude", "NC", "diagnostic en marchant", None)]
    [True, True, False, True]
    >>> [doubtful_demarche(v) for v in ("esp", "prévention situationnelle", "Surêté")]
    [True, True, True]
    """
    if not isinstance(value, str):
        return True
    key = _key(value)
    return (
        key in _UNKNOWN
        or key in _GENERIC
        or _DEMARCHE_DOUBT.search(key) is not None
        or mentions_essp(value)
    )
