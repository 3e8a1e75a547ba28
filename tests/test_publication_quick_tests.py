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

from gupgeo.publication import _emails, _masking, _names
from gupgeo.publication._essp import HINTS_RE2, might_mention_essp
from gupgeo.publication._masking import ELLIPSIS, MARGIN, mask_series, spans
from gupgeo.publication._prefilter import PLAIN_CHARS, as_array, may_match
from gupgeo.publication._windows import finditer_from, reach
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


# --- masking: quick tests per finder, places, and scans stopped after the cut -----------
VARIANTS = [
    "06 98 76 54 32",
    "06/98/76/54/31",
    "06–98–76–54–34",
    "0698 765 436",
    "06\u200998\u202f76\u00a054 32",  # thin and no-break spaces
    "０６９８７６５４３２",  # fullwidth digits
    "06,98,76,54,31",
    "O6 98 76 54 32",  # the letter O
    "+33 (0)6 98 76 54 32",
    "0033 6 98 76 54 32",
    "(0)6 98 76 54 32",
    "+44 20 7946 0958",
    "06_98_76_54_32",
    "06·98·76·54·32",
    "jean.dupont@example.org",
    "x＠free.fr",
    "x at free dot fr",
    "x\x0bat\x0bfree\x0bdot\x0bfr",  # vertical tabs around "at"
    "x arobase free.fr",
    "x (at) free (dot) fr",
    "x chez free.fr",
    "FR76 3000 6000 0112 3456 7890 189",
    "fr76.3000.6000.0112.3456.7890.189",
    "1 85 05 78 006 084 36",
    "2 85 05 2A 006 084 36",
    "AB-123-CD",
    "AB.123.CD",
    "ab 123 cd",
    "123 ABC 37",
    "Mme Durand",
    "Mme.Dupontel",
    "MmeX",
    "M. Dupont",
    "M.Dupont",
    "Maître Durand",
    "Dr Martin",
    "signalé par Jean Martin",
    "déclaré par Anne Petit",
    "famille Martin",
    "prénom : Paul",
    "chez Dupont",
    "/home/anne/plainte.pdf",
    "C:\\Users\\Anne Martin\\x.csv",
    "file:///srv/x",
    "ESSP-03",
    "étude de sûreté",
    "E\u200bSSP",
    # spreadsheet separators, brackets, plates with "_" or "/", doubled at-signs, spouses
    "(06) 98 76 54 31",
    "06;98;76;54;31",
    "06|98|76|54|31",
    "06:98:76:54:31",
    "06~98~76~54~31",
    "(+33) 6 98 76 54 31",
    "(0033) 6 98 76 54 31",
    "33(0)6 98 76 54 31",
    "1;85;05;78;006;084;36",
    "AB_123_CD",
    "AB/123/CD",
    "jean.dupont@@gmail.com",
    "époux Nguyen",
    "fam. Nguyen",
    "Vve Martin",
    "l'épouse Martin",
]
PLAIN = "dépôt sauvage au pied de l'immeuble le 12/03/2024, 1 234,50 € bâtiment B "


def _reference(text: str, max_chars: int) -> str:
    """:func:`mask` with every finder, every scan over the whole text (no quick test, no
    place, no stop after the cut)."""
    cut = len(text) > max_chars
    text = unicodedata.normalize("NFC", text[: max_chars + MARGIN] if cut else text)
    limit = max_chars - 1 if cut else len(text)
    out, pos, stop = [], 0, limit
    for start, end, token in _full_spans(text):
        if start >= limit:
            break
        if end > limit and cut:
            stop = start
            break
        out += (text[pos:start], token)
        pos = end
    if not cut:
        return "".join([*out, text[pos:]])
    return "".join([*out, text[pos : max(pos, stop)], ELLIPSIS])


def _scan(pattern, text, starts, *, before=0):
    return pattern.finditer(text)


def _full_spans(text: str) -> list[tuple[int, int, str]]:
    with pytest.MonkeyPatch.context() as patch:  # every finder scans the whole text
        patch.setattr(_masking, "finditer_from", _scan)
        patch.setattr(_names, "finditer_from", _scan)
        patch.setattr(_masking, "_number_windows", lambda text, end: [(0, end)])
        return spans(text)


@pytest.mark.parametrize("variant", VARIANTS)
def test_masking_a_column_finds_what_a_full_scan_finds(variant):
    texts = []
    for at in (0, 500, 980, 995, 999, 1000, 1010, 1300):  # around the cut at 1000
        filler = (PLAIN * 30)[:at]
        texts.append(f"{filler}{variant} {PLAIN * 10}")
        texts.append(f"{filler.upper()}{variant} {PLAIN * 10}")
    texts.append(variant)
    texts.append(f"{PLAIN}{variant}")
    masked, _ = mask_series(pd.Series(texts), max_chars=1000)
    assert masked.tolist() == [_reference(t, 1000) for t in texts]
    short, _ = mask_series(pd.Series(texts[-2:] * 5))
    assert variant not in "".join(short) or variant == "E\u200bSSP"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_is_masked_in_a_column(variant):
    texts = [f"{PLAIN * 3}{variant} {PLAIN}" for _ in range(3)] + [PLAIN] * 10
    masked, _ = mask_series(pd.Series(texts), max_chars=1000)
    core = unicodedata.normalize("NFKC", variant).replace("\u200b", "")
    for text in masked[:3]:
        assert core not in text and variant not in text, text


def test_reach_bounds_every_masking_pattern():
    m, n = _masking, _names
    patterns = [m._PHONE, m._PHONE_PAIRS, m._NIR, m._IBAN, m._PLATE_SIV, m._PLATE_FNI]
    patterns += [
        _emails._AT_SIGN,
        _emails._AT_WORD,
        m._PATH,
        m._DRIVE_PATH,
        m._FILE_URL,
        m.ESSP_MENTION,
    ]
    patterns += [n._STRONG, n._GLUED, n._WEAK, n._TRIGGER]
    rng = np.random.default_rng(11)
    alphabet = [*"0123456789 .-/,+()@aAbBmMeEsSpPdDrR:\\~_\t", "Mme ", "at ", "33"]
    texts = ["".join(rng.choice(alphabet, 300)) for _ in range(200)]
    for pattern in patterns:
        width = reach(pattern)
        assert width is not None, pattern.pattern
        for text in texts:
            for m in pattern.finditer(text):
                assert m.end() - m.start() <= width


def test_finditer_from_matches_finditer():
    rng = np.random.default_rng(13)
    pattern = re.compile(r"a(?<![b]a)b{1,3}(?=c)|c\d{2}")
    for _ in range(300):
        text = "".join(rng.choice(list("abc1d"), 60))
        starts = [i for i, c in enumerate(text) if c in "ac"]
        assert [m.span() for m in finditer_from(pattern, text, starts)] == [
            m.span() for m in pattern.finditer(text)
        ]


def test_phones_and_nir_in_digit_heavy_text_match_a_full_scan():
    rng = np.random.default_rng(17)
    pieces = [
        *[v for v in VARIANTS if any(c.isdigit() for c in v)],
        "12/03/2024",
        "1 234,50 €",
        "0" * 40,
        "06",
        "33",
        "(0)",
        "+",
        ")",
        "(",
        ",",
        " ",
        "-",
        ".",
        "/",
        "le",
        "n° 12",
        "bâtiment B",
    ]
    texts = ["".join(rng.choice(pieces, 60)) for _ in range(150)]
    for max_chars in (None, 300):
        masked, _ = mask_series(pd.Series(texts), max_chars=max_chars)
        expected = [_reference(t, max_chars or 10**9) for t in texts]
        assert masked.tolist() == expected


def test_texts_no_finder_may_touch_leave_without_a_call_to_mask(monkeypatch):
    """Ids and plain labels (most of a big column) skip mask() and leave as they are;
    the texts a quick test flags still go through it, and the column is what a
    one-by-one masking gives."""
    plain = [str(i) for i in range(5_000)] + ["propreté", "Éclairage public", "lot 12 bât. C"]
    flagged = ["Mme Durand", "06 98 76 54 31", "x at free dot fr", "AB-123-CD", "E.S.S.P. n°3"]
    column = pd.Series(plain + flagged + ["0" * 30 + "X" * 600])
    expected = [_masking.mask(v, max_chars=500) for v in column]
    calls: list[str] = []
    original = _masking.mask

    def counting(text: str, **kwargs: object) -> str:
        calls.append(text)
        return original(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_masking, "mask", counting)
    masked, cut = mask_series(column, max_chars=500)
    assert masked.tolist() == expected and cut == 1
    assert set(flagged) <= set(calls) and column.iloc[-1] in calls  # cut: always masked
    assert not set(plain[:5_000]) & set(calls)


def test_identifier_cells_read_at_once_match_one_by_one():
    """Identifier columns compared to the withheld ids in one vectorised pass give what
    the per-value test gives: leading zeros, case, separators, accents, citations
    inside an id cell, values cut at ``max_chars``, missing and non-text cells."""
    from gupgeo.publication import citations

    rng = np.random.default_rng(23)
    alphabet = [*list("0123456789ABCDEFabcdefsSpP-_.é "), "\u200b"]
    made = ["".join(rng.choice(alphabet, rng.integers(1, 12))) for _ in range(4_000)]
    cells = [*made, "ESSP03B", "essp-03b", "0ESSP3B", "C017", "c-17", "00017", "17", "E\u200bSSP3B"]
    cells += ["suite ESSP03B", "x" * 40 + "ESSP03B", None, 17, 3.5]
    frame = pd.DataFrame({"id": pd.Series(cells, dtype=object)})
    wanted = {"essp3b", "c17", "17", "a0b"}
    for max_chars in (None, 30):
        texts = citations.FoldedTexts()
        in_id_cell, in_text, quick = texts.tests(wanted)
        test = citations._cut_id_test(in_id_cell, in_text, wanted, texts, max_chars)
        slow = citations._each_distinct(frame, "id", test, texts)
        fast = citations._id_cells(frame, "id", wanted, test, texts, quick, max_chars)
        assert fast is not None and fast.tolist() == slow.tolist()
        found = {c for c, hit in zip(cells, fast.tolist(), strict=True) if hit}
        planted = {"ESSP03B", "essp-03b", "C017", "c-17", "00017", "17", "suite ESSP03B"}
        assert planted <= found and "E\u200bSSP3B" in found  # found both ways
    strings = frame["id"].astype("string")
    assert (
        citations._id_cells(pd.DataFrame({"id": strings}), "id", wanted, test, texts, quick, None)
        is not None
    )
