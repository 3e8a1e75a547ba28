"""The ESSP vocabulary: how an étude de sûreté et de sécurité publique is recognised.

Findings of an ESSP are legally not communicable. A finding (or an action) is
recognised as coming from one by its démarche, its identifiers or its wording, with
one vocabulary, blind to case, accents and punctuation:

- the acronyms ``ESSP`` (``ESSPs``, ``E.S.S.P.``, ``ESSP-03``, ``essp 2023``) and
  ``EDSP`` (met in files for the same study);
- "étude de sûreté" in any form: "étude de sûreté et de sécurité publique",
  "étude sûreté", "études de sûreté…";
- "étude de sécurité publique" (the name of the study before 2011);
- "audit de sûreté", "audit sûreté", "diagnostic de sûreté", "diagnostic sûreté",
  "diag sûreté";
- "sûreté et sécurité publique", "sûreté et de sécurité publique", "sûreté publique".

A ``demarche`` is held to a stricter rule (:func:`doubtful_demarche`): besides the
vocabulary, any "sûreté" or "sécurité publique", a bare "étude", "audit" or "autre",
and an empty or unknown value ("NC", "non renseigné"…) count as an ESSP: when in doubt,
the finding is withheld. "diagnostic sécurité des cheminements", "diagnostic en
marchant" and "marche exploratoire" are not ESSP.

Every quantifier is bounded: a search is linear in the length of the text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_E = "[eéèêë]"
_U = "[uûùü]"
_SEP = r"[\W_]{1,3}"
_SURETE = rf"s{_U}ret{_E}"
_SECURITE = rf"s{_E}curit{_E}"
_START = r"(?<![^\W_])"
_END = r"(?![^\W_])"

ESSP_MENTION = re.compile(
    rf"{_START}(?:essps?|e\.\s?s\.\s?s\.\s?p\.?|edsps?)(?:[\W_]{{0,3}}\d{{1,4}})?{_END}"
    rf"|{_START}(?:{_E}tudes?|audits?|diagnostics?|diags?)(?:{_SEP}(?:de|du|d['’]))?"
    rf"{_SEP}{_SURETE}(?:{_SEP}(?:et{_SEP})?(?:de{_SEP})?{_SECURITE}{_SEP}publiques?)?{_END}"
    rf"|{_START}{_E}tudes?{_SEP}(?:de{_SEP})?{_SECURITE}{_SEP}publiques?{_END}"
    rf"|{_START}{_SURETE}(?:{_SEP}(?:et{_SEP})?(?:de{_SEP})?{_SECURITE})?{_SEP}publiques?{_END}",
    re.IGNORECASE,
)
"""A mention of an ESSP in free text (see the module docstring for the vocabulary)."""

_DEMARCHE_DOUBT = re.compile(rf"{_SURETE}|{_SECURITE}{_SEP}publique", re.IGNORECASE)
_GENERIC = frozenset({"etude", "etudes", "audit", "audits", "autre", "autres", "divers"})
_UNKNOWN = frozenset(
    {"", "nc", "na", "n_a", "nr", "nan", "none", "null", "inconnu", "inconnue", "non_renseigne",
     "non_renseignee", "non_precise", "non_precisee", "a_preciser", "sans_objet"}
)  # fmt: skip


_KEYS = ("ssp", "dsp", "s.s", "s. s", "uret", "ûret", "ùret", "üret", "curit")
"""Every mention holds one of these (in lower case): texts without any are not searched."""


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def might_mention_essp(lower_text: str) -> bool:
    """A quick test on a lower-case text: False means it cannot cite an ESSP."""
    return any(key in lower_text for key in _KEYS)


def mentions_essp(value: Any) -> bool:
    """Whether a text cites an ESSP (acronym, identifier or wording).

    Examples
    --------
    >>> [mentions_essp(v) for v in ("voir ESSP-01", "Diagnostic Surete", "marche", None)]
    [True, True, False, False]
    """
    if not isinstance(value, str):
        return False
    folded = _folded(value)
    return might_mention_essp(folded.lower()) and ESSP_MENTION.search(folded) is not None


def _key(value: str) -> str:
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def doubtful_demarche(value: Any) -> bool:
    """Whether a ``demarche`` is, or could be, an ESSP (unknown values included).

    Examples
    --------
    >>> [doubtful_demarche(v) for v in ("Étude", "NC", "diagnostic en marchant", None)]
    [True, True, False, True]
    """
    if not isinstance(value, str):
        return True
    key = _key(value)
    return (
        key in _UNKNOWN
        or key in _GENERIC
        or mentions_essp(value)
        or _DEMARCHE_DOUBT.search(_folded(value)) is not None
    )
