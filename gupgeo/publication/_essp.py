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

from gupgeo.publication.normalise import fold_key, view_text

_E = "[eéèêë]"
_U = "[uûùü]"
_SEP = r"[\W_]{1,3}"
_SURETE = rf"s{_U}r{_E}t{_E}"
_SECURITE = rf"s{_E}curit{_E}"
_START = r"(?<![^\W_])"
_END = r"(?![^\W_])"
_NOT_LETTER = r"(?![^\W\d_])"
_ID = r"(?:[ \-_./:#]{0,3}\d{1,4}[a-z]?(?![^\W_]))?"  # "-03", "03B", " 2023"

ESSP_MENTION = re.compile(
    # ESSP, EDSP, E.S.S.P., E S S P, E-S-S-P, ESSPs, ESSP03B, essp-03
    rf"{_START}e(?P<sep>[ .\-_]{{0,2}})[sd](?P=sep)s(?P=sep)p\.?s?{_ID}{_NOT_LETTER}"
    # ESP, E.S.P. in capitals; esp-03, ESP03 in any case
    rf"|{_START}(?-i:E(?P<dot>\.? ?)S(?P=dot)P)\.?{_ID}{_NOT_LETTER}"
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
    {"", "nc", "n_c", "na", "n_a", "nr", "n_r", "nan", "none", "null", "inconnu", "inconnue", "non_renseigne",
     "non_renseignee", "non_precise", "non_precisee", "a_preciser", "sans_objet", "x", "_"}
)  # fmt: skip

_HINT = re.compile(
    r"ssp|dsp|esp[\-_\d]|e[ .\-_]{1,2}[sd][ .\-_]{1,2}[sp]|ur[eêéè]t|[ûùü]r[eêéè]t|curit|situation"
)
"""Every mention holds one of these, in lower case, in its detection view, or "ESP" in
capitals: texts without any are not searched."""


def might_mention_essp(lower_text: str, text: str | None = None) -> bool:
    """A quick test on the lower-case detection view of a text (and the view itself, for
    "ESP" in capitals): False means it cannot cite an ESSP."""
    if text is not None and "ESP" in text:
        return True
    return _HINT.search(lower_text) is not None


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


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _key(value: str) -> str:
    return _NON_ALNUM.sub("_", fold_key(value)).strip("_")


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
