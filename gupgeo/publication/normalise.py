"""Text as the detectors see it: one spelling for what people type in many ways.

Staff and residents write the same phone number, e-mail or acronym in many ways, some
of them invisible: fullwidth digits (``０６９８…``), a fullwidth ``＠``, thin or
no-break spaces, en dashes between digit pairs, a zero-width space or a soft hyphen in
the middle of a word, a Cyrillic ``Е`` in ``ЕSSP``. The detectors of
:mod:`gupgeo.publication._masking` and :mod:`gupgeo.publication._essp` never look at
the raw text but at its *detection view*:

1. NFKC (fullwidth and compatibility forms become ASCII: ``０６`` → ``06``,
   ``＠`` → ``@``, every no-break, thin or ideographic space → a space);
2. invisible characters removed (zero-width space, joiners, word joiner, BOM, soft
   hyphen, bidirectional controls, variation selectors);
3. every dash (‐ ‑ ‒ – — ― − …) becomes ``-``; Cyrillic and Greek letters that look
   Latin become Latin;
4. inside a run of digits, separators (1 to 3 of space, tab, dot, slash, dash,
   underscore, middle dot, bullet, and what spreadsheets and habits add: ``;``, ``:``,
   ``|``, ``~``, brackets) become spaces: ``06/98/76/54/31`` and
   ``06.98.76.54.31`` both read ``06 98 76 54 31``.

Steps 1-3 may change the length of the text: :class:`DetectionView` keeps the offsets so
that a span found in the view is masked on the original text, which is otherwise left
as written (dates and amounts keep their slashes and commas). Step 4 is one character
for one. An ASCII text only goes through step 4 (a few regular expression passes);
a non-ASCII text is only rebuilt where a character actually changes. Linear time.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c"
    "\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\ufeff"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
"""Characters removed before detection (zero-width, soft hyphen, bidi controls…)."""
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
"""Characters read as ``-``."""
_HOMOGLYPHS = dict(
    zip(
        "АВЕКМНОРСТХаеорсхуіјѕԁΑΒΕΖΗΙΚΜΝΟΡΤΥΧοτ",
        "ABEKMHOPCTXaeopcxyijsdABEZHIKMNOPTYXot",
        strict=True,
    )
)
DIGIT_SEPARATORS = " \t./\\-_\u00b7\u2022;:|~()"
"""Separators unified to spaces between two digits (after NFKC and dash folding)."""
NON_ALNUM = re.compile(r"[^a-z0-9]+")
"""A run of anything but a folded key's letters and digits (ids and keys compared)."""
_LIGATURES = (("œ", "oe"), ("Œ", "OE"), ("æ", "ae"), ("Æ", "AE"), ("ß", "ss"))
_DIGIT_RUN = re.compile(  # a digit, then 1 to 3 separators (not only spaces), then a digit
    r"\d(?= {0,2}[\t./\\\-_\u00b7\u2022;:|~()])[ \t./\\\-_\u00b7\u2022;:|~()]{1,3}(?=\d)"
)


def _spaces(match: re.Match[str]) -> str:
    return match.group()[0] + " " * (match.end() - match.start() - 1)


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """What one non-ASCII character reads as in the detection view."""
    if char in INVISIBLE:
        return ""
    if char in _HOMOGLYPHS:
        return _HOMOGLYPHS[char]
    out = unicodedata.normalize("NFKC", char)
    out = "".join("" if c in INVISIBLE else "-" if c in DASHES else c for c in out)
    return out


_PLANES = ((0x80, 0x10000), (0x1D400, 0x1D800), (0x1F100, 0x1F200), (0xE0000, 0xE0080))


@functools.cache
def _special_chars() -> frozenset[str]:
    """Every character the view reads otherwise (built once, about 70 ms)."""
    chars = set(INVISIBLE) | set(DASHES) | set(_HOMOGLYPHS)
    for first, stop in _PLANES:
        for code in range(first, stop):
            char = chr(code)
            if code >= 0xE0000 or unicodedata.normalize("NFKC", char) != char:
                chars.add(char)
    return frozenset(chars)


_STABLE_SPECIAL = re.compile(
    "["
    + re.escape("".join(sorted(INVISIBLE | set(DASHES) | set(_HOMOGLYPHS))))
    + "\U000e0000-\U000e007f]"
)
"""The characters NFKC keeps that the view still changes (a small class: a fast scan)."""


_SPECIAL_IN_CP1252 = tuple(
    c
    for c in sorted(INVISIBLE | set(DASHES) | set(_HOMOGLYPHS))
    if c.encode("cp1252", "ignore") == c.encode("cp1252", "replace")
)
"""The characters of :data:`_STABLE_SPECIAL` that Windows-1252 can encode (the soft
hyphen, the en and em dashes)."""


def _has_stable_special(text: str) -> bool:
    """Whether a text in NFKC holds a character the view still changes: a Latin-1 or
    Windows-1252 text (most French text) is encoded in C, then searched for the few
    such characters those encodings hold; other texts are scanned."""
    for encoding in ("latin-1", "cp1252"):
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            continue
        return any(c in text for c in _SPECIAL_IN_CP1252)
    return _STABLE_SPECIAL.search(text) is not None


@functools.lru_cache(maxsize=256)
def _class_of(chars: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[" + re.escape("".join(sorted(chars))) + "]")


@dataclass(frozen=True)
class DetectionView:
    """A text as the detectors read it, and the way back to the original offsets.

    ``original`` is the text given, in NFC (the offsets refer to it); ``text`` is the
    view before step 4 (e-mails, paths, names and ESSP wording are
    read there); ``digits`` is ``text`` with separators inside digit runs unified
    (phones, IBAN, NIR). Both have the same length. ``edits`` lists the places where
    the view and the original differ in length: ``(view_start, view_end,
    original_start, original_end)``, in order.
    """

    original: str
    text: str
    edits: tuple[tuple[int, int, int, int], ...] = ()

    @functools.cached_property
    def digits(self) -> str:
        """``text`` with separators inside digit runs unified (made when first read)."""
        return unify_digit_separators(self.text)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the view span ``[start, end)`` (an edited character
        touched by the span is included whole)."""
        if not self.edits:
            return start, end
        starts = [e[0] for e in self.edits]
        i = bisect_right(starts, start) - 1
        if i < 0:
            first = start
        else:
            _, v1, o0, o1 = self.edits[i]
            first = o0 if start < v1 else o1 + (start - v1)
        j = bisect_left(starts, end) - 1
        if j < 0:
            last = end
        else:
            _, v1, o0, o1 = self.edits[j]
            last = o1 if end <= v1 else o1 + (end - v1)
        return first, max(first, last)


def unify_digit_separators(text: str) -> str:
    """Separators between two digits become spaces (one for one).

    Examples
    --------
    >>> unify_digit_separators("06/98-76.54_31 le 12/03, 1 - 2")
    '06 98 76 54 31 le 12 03, 1   2'
    """
    if not any(c in text for c in DIGIT_SEPARATORS[1:]):
        return text
    return _DIGIT_RUN.sub(_spaces, text)


def _view_text(text: str) -> tuple[str, str, tuple[tuple[int, int, int, int], ...]]:
    """Steps 1-3: the text (in NFC), its view and the edits between them."""
    if text.isascii():
        return text, text, ()
    # French text (accents, €, ’) is NFKC (hence NFC) already: fast scans in C, nothing to do
    if unicodedata.is_normalized("NFKC", text):
        if not _has_stable_special(text):
            return text, text, ()
    elif not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    special = _special_chars().intersection(text)
    if not special:
        return text, text, ()
    pieces: list[str] = []
    edits: list[tuple[int, int, int, int]] = []
    pos = 0  # in the original
    shift = 0  # view length minus original length so far
    for m in _class_of(frozenset(special)).finditer(text):
        at = m.start()
        folded = _fold_char(m.group())
        pieces += (text[pos:at], folded)
        if len(folded) != 1:
            edits.append((at + shift, at + shift + len(folded), at, at + 1))
            shift += len(folded) - 1
        pos = at + 1
    pieces.append(text[pos:])
    return text, "".join(pieces), tuple(edits)


def detection_view(text: str) -> DetectionView:
    """The :class:`DetectionView` of ``text`` (see the module docstring)."""
    original, view, edits = _view_text(text)
    return DetectionView(original, view, edits)


def view_text(text: str) -> str:
    """The view of ``text`` before digit runs are unified (e-mails, names, ESSP wording).

    Examples
    --------
    >>> view_text("E\u200bSSP 12/03/2024")
    'ESSP 12/03/2024'
    """
    return _view_text(text)[1]


def normalise_for_detection(text: str) -> str:
    """``text`` as the detectors read it (NFKC, invisible characters removed, dashes
    and look-alike letters folded, separators inside digit runs unified).

    Examples
    --------
    >>> normalise_for_detection("０６\u201398\u202f76/54.31 x\uff20free\u200b.fr")
    '06 98 76 54 31 x@free.fr'
    >>> normalise_for_detection("E\u200bSSP 12/03/2024")
    'ESSP 12 03 2024'
    """
    return detection_view(text).digits


def fold_key(text: str) -> str:
    """The detection view without accents, in lower case (ESSP wording, identifiers).

    Examples
    --------
    >>> fold_key("Étude de SURÊTÉ\u00ad")
    'etude de surete'
    """
    view = _view_text(text)[1]
    if not view.isascii():
        for ligature, letters in _LIGATURES:
            if ligature in view:
                view = view.replace(ligature, letters)
        view = unicodedata.normalize("NFKD", view).encode("ascii", "ignore").decode()
    return view.casefold()
