"""The quick tests in front of the detectors: never "no" where the detector says "yes".

Publishing a territory of long texts was 2-3× ``interne`` (issue 18): each detector
scanned every text with Python's regular expressions. Now a column-wide RE2 test
(:mod:`gupgeo.publication._prefilter`) says which texts may cite an ESSP or a withheld
identifier, and the masking finders run only where their item may start
(:mod:`gupgeo.publication._windows`). A quick test is exactly where a miss would hide:
these tests write the items in the spellings that could slip past one (case, accents,
an underscore or a letter glued before, fullwidth digits, thin or no-break spaces,
zero-width characters, a vertical tab, a ligature, a Turkish dotless i…) and check the
result against the detector run on the whole text.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pytest

from gupgeo.publication._essp import HINTS_RE2, might_mention_essp
from gupgeo.publication._prefilter import PLAIN_CHARS, as_array, may_match
from gupgeo.publication.citations import _trie_pattern, cites_ids, essp_rows
from gupgeo.publication.normalise import view_text

FILLER = "dépôt sauvage au pied de l'immeuble, 12/03/2024, 1 234,50 € " * 40

ESSP_SPELLINGS = [
    "ESSP",
    "essp-03",
    "ESSP03B",
    "E.S.S.P.",
    "E S S P",
    "E-S-S-P",
    "e_s_s_p",
    "E.  S.  S.  P",
    "EDSP",
    "ÉSSP",
    "ESP",
    "E.S.P.",
    "esp-03",
    "ESP03",
    "Étude de sûreté",
    "ÉTUDE DE SÛRETÉ ET DE SÉCURITÉ PUBLIQUE",
    "etude de surete",
    "étude surêté",
    "audit de sûreté",
    "diag sûreté",
    "étude de sécurité publique",
    "Étude de prévention situationnelle",
    "sûreté publique",
    "E\u200bSSP",  # zero-width space
    "E\u00adSSP",  # soft hyphen
    "ЕSSP",  # Cyrillic E
    "ＥＳＳＰ",  # fullwidth
    "E\u2009S\u2009S\u2009P",  # thin spaces
    "E\u00a0S\u00a0S\u00a0P",  # no-break spaces
    "E\x0bS\x0bS\x0bP",  # vertical tabs
    "_ESSP",
    "(ESSP)",
    "«ESSP»",
    "sûreté\u2013publique",  # en dash
    "ﬁn ESSP",  # a ligature elsewhere in the text
    "sıte: ESSP",  # a dotless i elsewhere in the text
]


def test_plain_characters_read_as_themselves():
    for char in PLAIN_CHARS:
        assert view_text(char) == char, repr(char)
        assert unicodedata.normalize("NFKC", char) == char
        assert len(char.lower()) == 1
        assert bool(re.fullmatch(r"\s", char)) == (char in "\t\n\r "), repr(char)
    for char in "\u200b\u00ad\u00a0\u2009\u2013\x0b\x0c\x85\u2028ﬁıİµ":
        assert char not in PLAIN_CHARS, repr(char)


@pytest.mark.parametrize("spelling", ESSP_SPELLINGS)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_the_essp_quick_test_lets_every_mention_through(spelling, where):
    text = {
        "start": f"{spelling} {FILLER}",
        "middle": f"{FILLER} {spelling} {FILLER}",
        "end": f"{FILLER}{spelling}",
    }[where]
    assert might_mention_essp(view_text(text).lower())
    assert may_match(as_array([text]), HINTS_RE2).tolist() == [True]
    frame = pd.DataFrame({"id": ["C1", "C2"], "recommandation": [FILLER, text]})
    assert essp_rows(frame).tolist() == [False, True]


def test_the_essp_quick_test_is_never_stricter_than_the_hints():
    rng = np.random.default_rng(3)
    pieces = [
        *ESSP_SPELLINGS,
        "des panne",
        "espace vert",
        "esp. verts",
        "sécurité",
        "le sp",
        "e.sp",
        "E",
        "S",
        "P",
        " ",
        ".",
        "_",
        "-",
        "é",
        "dès",
        "ressp",
    ]
    weights = np.array([0.2 if p in ESSP_SPELLINGS else 1.0 for p in pieces])
    texts = [" ".join(rng.choice(pieces, 6, p=weights / weights.sum())) for _ in range(3000)]
    quick = may_match(as_array(texts), HINTS_RE2)
    hints = np.array([might_mention_essp(view_text(t).lower()) for t in texts])
    assert not (hints & ~quick).any()
    assert (~quick).sum() > 20  # the quick test does say "no"


CITATIONS = [
    "suite au constat C-017",
    "suite au constat c017",
    "SUITE AU CONSTAT C_17",
    "voir ESSP03B",
    "voir essp 03b",
    "voir E\u200bSSP-03-B",
    "voir ＥＳＳＰ０３Ｂ",
    "voir DEM\u00a005",
    "voir DEM 05",
    "voir dem-0005",
    "(C-017)",
    "_C-017",
]


@pytest.mark.parametrize("citation", CITATIONS)
def test_a_citation_reaches_the_citation_search(citation):
    text = f"{FILLER} {citation} {FILLER}"
    actions = pd.DataFrame({"id": ["A1", "A2"], "intitule": [FILLER, text]})
    assert cites_ids(actions, {"C-017", "ESSP-03B", "DEM-05"}).tolist() == [False, True]


def test_the_citation_quick_test_is_never_stricter_than_the_search():
    keys = [("c", "17"), ("essp", "3", "b"), ("dem", "5")]
    full = re.compile(_trie_pattern(keys))
    quick = _trie_pattern(keys, assertions=False)
    rng = np.random.default_rng(5)
    pieces = [*CITATIONS, "c", "17", "0", "-", "_", " ", "dem", "5", "essp", "3", "b", "x"]
    texts = ["".join(rng.choice(pieces, 8)) for _ in range(3000)]
    found = np.array([full.search(view_text(t).lower()) is not None for t in texts])
    assert not (found & ~may_match(as_array(texts), quick)).any()
