"""Masking of personal data and local paths in free text, in linear time.

Each finder below is a regular expression whose every quantifier is bounded, so the
work per starting position is bounded and a cell is scanned in time proportional to
its length (the unbounded ``[\\w.+-]+@…`` of earlier versions took 10 s on one
50,000-character cell). Finders read the detection view of the text
(:mod:`gupgeo.publication.normalise`: NFKC, zero-width characters removed, dashes and
separators inside digit runs unified), so ``06/98/76/54/31``, ``０６９８…``,
``x＠free.fr`` or ``Mme\u200bDurand`` are read like their plain spellings; their spans
are mapped back to the text, overlapping spans are merged and replaced by one token,
and the rest of the text stays as written (dates keep their slashes). E-mails are found
by :mod:`gupgeo.publication._emails`, names by :mod:`gupgeo.publication._names`.

A text longer than ``max_chars`` is scanned on its first ``max_chars + MARGIN``
characters only and cut at ``max_chars`` with "…": every maskable item is shorter
than :data:`MARGIN`, so an item starting before the cut is seen whole and masked
whole; an item crossing the cut is dropped with the rest of the text.

:func:`mask_series` applies it to a column (each distinct value once);
:mod:`gupgeo.publication` decides which columns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import PureWindowsPath
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from gupgeo.publication._emails import EMAIL_TOKEN as EMAIL_TOKEN
from gupgeo.publication._emails import before, email_spans, places
from gupgeo.publication._essp import ESSP_MENTION, might_mention_essp
from gupgeo.publication._finders import ALL_FINDERS, MARGIN, FinderRows, Finders, quick_flags
from gupgeo.publication._names import NAME_TOKEN as NAME_TOKEN
from gupgeo.publication._names import Span, name_spans
from gupgeo.publication._prefilter import as_array
from gupgeo.publication._windows import (
    finditer_from,
    merged_windows,
    occurrences,
    reach,
    unified_in,
    within,
)
from gupgeo.publication.normalise import DetectionView, detection_view

PHONE_TOKEN = "[téléphone masqué]"
PLATE_TOKEN = "[plaque masquée]"
IBAN_TOKEN = "[IBAN masqué]"
NIR_TOKEN = "[NIR masqué]"
PATH_TOKEN = "[chemin masqué]"
ESSP_TOKEN = "[étude masquée]"  # must not itself read as an ESSP mention
ELLIPSIS = "…"

# Every pattern starts with a character or a class of characters (the "not preceded by"
# checks come just after, as lookbehinds over that first character): the regular
# expression engine then jumps from candidate to candidate instead of trying every
# position, which keeps masking cheap on long texts.

# --- phones (read on the digits view: separators inside digit runs are spaces) ----------
_S = r"[ \t.\-/]"  # what is left between the digits of a phone number
_ZERO = rf"\(\s{{0,2}}0\s{{0,2}}\){_S}{{0,3}}"  # the "(0)" of "+33 (0)6…"
_NINE = rf"(?:{_ZERO})?(?:0{_S}{{0,2}})?[1-9](?:{_S}{{0,3}}\d){{8}}"  # after +33 / 0033
_PHONE = re.compile(
    # national: 0X then eight digits in any grouping ("0698 765 436", "06 98 76 54 3 2");
    # the letter O for the zero; 0033 then nine digits
    rf"0(?<![\d+]0)(?:{_S}?[1-9](?:{_S}{{0,3}}\d){{8}}|0{_S}{{0,2}}33\)?{_S}{{0,3}}{_NINE})(?!\d)"
    rf"|[Oo](?<![\w+][Oo])[1-9](?:{_S}{{0,3}}\d){{8}}(?!\d)"
    # +33, then other countries: +CC and 8 to 12 digits
    rf"|\+(?:{_S}{{0,2}}33\)?{_S}{{0,3}}{_NINE}"
    rf"|(?!33)[1-9]\d{{0,2}}\)?{_S}{{0,3}}(?:{_ZERO})?\d(?:{_S}{{0,3}}\d){{7,11}})(?!\d)"
    # (0)6 98 76 54 32
    rf"|\(\s{{0,2}}0\s{{0,2}}\){_S}{{0,3}}[1-9](?:{_S}{{0,3}}\d){{8}}(?!\d)"
)
_SC = r"(?:,|[ \t.\-/]{1,3})"  # a comma glued to the digits, or the usual separators
_PHONE_PAIRS = re.compile(
    # in pairs with commas, or commas and other separators mixed: 06,98,76,54,31,
    # 06 98,76.54-31, +33 (0)6,98,76,54,31; not a list of six numbers or more
    rf"0(?<![\d+,]0)[1-9](?:{_SC}\d\d){{4}}(?!\d|,\d)"
    rf"|(?:\+|0(?<![\d+,]0)0)\s{{0,2}}33\)?\s{{0,3}}"
    rf"(?:\(\s{{0,2}}0\s{{0,2}}\)\s{{0,3}}|0\s{{1,2}})?"  # "(0)", or its "0 " once unified
    rf"[1-9](?:{_SC}\d\d){{4}}(?!\d|,\d)"
)
"""Read only on a text holding a comma (:data:`_PHONE` finds the others)."""
# A date (12/03/2024, 12.03.2024 10:30, 03/2024 12…) is not the start of a phone number.
_DATE = re.compile(
    r"(?:(?:0[1-9]|[12]\d|3[01])\s?[/.\-]\s?)?(?:0[1-9]|1[0-2])\s?[/.\-]\s?(?:19|20)\d\d(?!\d)"
)

# --- plates (text view), IBAN and NIR (digits view) ------------------------------------
_L = "[A-HJ-NP-TV-Za-hj-np-tv-z]"  # letters of the SIV plates (no I, O, U), any case
_PS = r"[ .\-_/]"  # between the parts of a plate, at most two
# Plates since 2009 (AB-123-CD, AB 123 CD, AB123CD, AB.123.CD, AB  123  CD, ab-123-cd,
# ab123cd, ab 123 cd), matched from their digits; the letters before are found again
# by _letters_before.
_PLATE_SIV = re.compile(
    rf"\d(?<!\d\d)\d\d(?:(?<=(?<![\w\-.]){_L}{_L}\d\d\d)|(?<=(?<![\w\-.]){_L}{_L}{_PS}\d\d\d)"
    rf"|(?<=(?<![\w\-.]){_L}{_L}{_PS}{_PS}\d\d\d)){_PS}{{0,2}}{_L}{{2}}(?![\w\-])"
)
_SHORT_WORDS = frozenset(
    {
        "le",
        "la",
        "de",
        "en",
        "et",
        "se",
        "ce",
        "ne",
        "me",
        "te",
        "je",
        "sa",
        "ta",
        "ma",
        "es",
        "ex",
        "va",
        "vs",
        "ah",
        "eh",
        "nb",
        "cf",
        "rn",
        "rd",
        "av",
        "bd",
        "ch",
        "pl",
        "st",
        "ste",
        "km",
        "kg",
        "cm",
        "mm",
        "mn",
        "ms",
        "hr",
        "ha",
        "ht",
    }
)
"""Two-letter words: "le 123 de la rue" is not a plate (in capitals it may be one)."""
# Plates before 2009: 123 ABC 37, 1234 AB 37, 123 A 37.
_PLATE_FNI = re.compile(
    r"\d(?<![\w\-]\d)(?:\d{0,3}[ .\-]?[A-Z]{2,3}|\d{2,3}[ .\-]?[A-GJ-Z])[ .\-]?"
    r"(?:\d{2}|2[AB]|97[1-6])(?![\w\-])"
)
_IBAN = re.compile(
    r"\d(?<!\d\d)\d(?:(?<=(?<![A-Za-z0-9])[A-Z][A-Z]\d\d)|(?<=(?<![A-Za-z0-9])[A-Z][A-Z] \d\d)"
    r"|(?<=(?<![A-Za-z0-9])[a-z][a-z]\d\d)|(?<=(?<![A-Za-z0-9])[a-z][a-z] \d\d))"
    r"(?:[ \t./\\\-_\u00b7\u2022]{0,3}[A-Za-z0-9]{4}){2,7}"
    r"(?:[ \t./\\\-_\u00b7\u2022]{0,3}[A-Za-z0-9]{1,4})?(?![A-Za-z0-9])"
)
"""Read on the text view, with every separator the digits view unifies."""
_IBAN_MIN_DIGITS = 11
_N = r"[ .\-]{0,3}"
_NIR = re.compile(
    rf"[12378](?<!\w.){_N}\d{{2}}{_N}(?:0[1-9]|1[0-2]|[2-9]\d){_N}(?:\d{{2}}|2[AB])"
    rf"{_N}\d{{3}}{_N}\d{{3}}(?:{_N}\d{{2}})?(?!\w)"
)

# --- local paths (text view) ---------------------------------------------------------
_NOT_BEFORE_PATH = r"[\w.~/\\-]"
_PATH = re.compile(
    rf"/(?<!{_NOT_BEFORE_PATH}/)[\w.@+\-]{{1,100}}/[^\s\"'<>|]{{0,300}}"  # /home/…
    rf"|~(?<!{_NOT_BEFORE_PATH}~)[\\/][^\s\"'<>|]{{1,300}}"  # ~/…
    r"|\\\\[^\s\\\"<>|]{1,100}\\[^\s\"<>|]{0,300}"  # \\serveur\partage
)
_DRIVE_PATH = re.compile(  # C:\Users\Anne Martin\x.csv (spaces inside the folders)
    rf"[A-Za-z](?<!{_NOT_BEFORE_PATH}.):[\\/](?:[^\\/:*?\"<>|\r\n]{{1,100}}(?=[\\/])[\\/]){{0,3}}"
    r"[^\s\\/:*?\"<>|]{0,100}"
)
_FILE_URL = re.compile(r"[fF](?i:ile):/{1,3}[^\s\"'<>]{1,400}")


def _add(
    found: list[Span], pattern: re.Pattern[str], text: str, token: str, end: int | None = None
) -> None:
    """The matches of ``pattern`` in ``text`` (up to ``end``), as spans of ``token``."""
    stop = len(text) if end is None else end
    found.extend((m.start(), m.end(), token) for m in pattern.finditer(text, 0, stop))


def _letters_before(text: str, digits_start: int) -> int:
    """Start of a plate whose digits start at ``digits_start`` (two letters, then at
    most two separators)."""
    k = digits_start
    while k > digits_start - 2 and text[k - 1] in " .-_/":
        k -= 1
    return k - 2


_NINE_DIGITS = re.compile(r"\d(?:\D{0,3}\d){8}")
_AFTER_ZERO = re.compile(r"\)\D{0,3}\d(?:\D{0,3}\d){7}")
"""Every phone number and NIR holds nine digits at most three other characters apart
(the letter O for a zero: nine after it), or eight after the ")" of "+44 (0)"."""


def _words_around_a_number(plate: str) -> bool:
    """Whether a plate-like text in lower or mixed case, with spaces, starts or ends with
    a two-letter word ("le 123 de")."""
    if plate.isupper() or " " not in plate:
        return False
    return plate[:2].lower() in _SHORT_WORDS or plate[-2:].lower() in _SHORT_WORDS


def _end(pattern: re.Pattern[str], text: str, until: int | None, lead: int = 0) -> int:
    """Where a scan of ``text`` by ``pattern`` may stop when only spans starting before
    ``until`` count (None: all), a span starting at most ``lead`` characters before its
    match: past the last match that could count and all it reads (:func:`reach`)."""
    width = reach(pattern)
    if until is None or width is None:
        return len(text)
    return min(len(text), until + lead + width + 1)


def _identifiers(
    found: list[Span], view: DetectionView, finders: Finders, until: int | None
) -> None:
    """Phones, IBAN, NIR and plates (each where ``finders`` allows it; only spans
    starting before ``until`` count)."""
    text = view.text
    if finders.iban:
        _iban(found, text, _end(_IBAN, text, until, 3))
    if finders.nir or finders.phone:
        _numbers(found, view, finders, until)
    if finders.plate_siv:
        for m in _PLATE_SIV.finditer(text, 0, _end(_PLATE_SIV, text, until, 4)):
            start = _letters_before(text, m.start())
            if not _words_around_a_number(text[start : m.end()]):
                found.append((start, m.end(), PLATE_TOKEN))
    if finders.plate_fni:
        end = _end(_PLATE_FNI, text, until)
        found.extend((m.start(), m.end(), PLATE_TOKEN) for m in _PLATE_FNI.finditer(text, 0, end))


def _iban(found: list[Span], text: str, end: int) -> None:
    for m in _IBAN.finditer(text, 0, end):
        start = m.start() - (3 if text[m.start() - 1] == " " else 2)
        if sum(c.isdigit() for c in text[start : m.end()]) >= _IBAN_MIN_DIGITS:
            found.append((start, m.end(), IBAN_TOKEN))


def _numbers(found: list[Span], view: DetectionView, finders: Finders, until: int | None) -> None:
    """Phones and NIR, read on the digits view of the windows around their cores
    (:func:`_number_windows`)."""
    text = view.text
    end = max(
        _end(_NIR, text, until), _end(_PHONE, text, until, 1), _end(_PHONE_PAIRS, text, until)
    )
    windows = _number_windows(text, end)
    if not windows:
        return
    digits = unified_in(text, windows, reach_of_numbers())
    matches: list[Iterator[re.Match[str]]] = []
    if finders.nir:
        found.extend((m.start(), m.end(), NIR_TOKEN) for m in within(_NIR, digits, windows))
    if finders.phone:
        matches.append(within(_PHONE, digits, windows))
        if "," in digits:
            matches.append(within(_PHONE_PAIRS, digits, windows))
    for m in itertools.chain(*matches):
        start = m.start()
        if _DATE.match(text, start) is None:
            opened = start and digits[start - 1] == "(" and ")" in text[start : m.end()]
            found.append((start - 1 if opened else start, m.end(), PHONE_TOKEN))


_NUMBER_WIDTH = 80
"""More than the longest phone number or NIR (:func:`reach` of their patterns)."""


def _number_windows(text: str, end: int) -> list[tuple[int, int]]:
    """Where phones and NIR may start: around the cores of :data:`_NINE_DIGITS` and
    :data:`_AFTER_ZERO` found up to ``end``, :data:`_NUMBER_WIDTH` each side, merged.

    Every phone number and NIR holds such a core, and a scan of the whole text finds one
    overlapping it (a scan skips a place only inside a match)."""
    cores = [m.span() for m in _NINE_DIGITS.finditer(text, 0, end)]
    if ")" in text:
        cores += [m.span() for m in _AFTER_ZERO.finditer(text, 0, end)]
    return merged_windows(cores, _NUMBER_WIDTH, end)


@functools.cache
def reach_of_numbers() -> int:
    """The longest a phone or NIR pattern reads from where it starts."""
    return max(reach(p) or 0 for p in (_PHONE, _PHONE_PAIRS, _NIR))


_DIGIT = re.compile(r"\d")


def _paths(found: list[Span], seen: str, low: str | None, until: int | None) -> None:
    """Local paths: from slashes, backslashes and tildes; drives from a colon."""
    starts = before(places(seen, "/\\~"), until)
    if not starts:
        return
    found.extend((m.start(), m.end(), PATH_TOKEN) for m in finditer_from(_PATH, seen, starts))
    drives = before([p - 1 for p in occurrences(seen, ":") if p], until)
    if not drives:
        return
    found.extend((m.start(), m.end(), PATH_TOKEN) for m in finditer_from(_DRIVE_PATH, seen, drives))
    urls = (
        _FILE_URL.finditer(seen)
        if low is None
        else finditer_from(_FILE_URL, seen, before(occurrences(low, "file:"), until))
    )
    found.extend((m.start(), m.end(), PATH_TOKEN) for m in urls)


def spans(text: str, *, finders: Finders = ALL_FINDERS, until: int | None = None) -> list[Span]:
    """Spans ``(start, end, token)`` to mask in ``text``, merged, in order.

    The finders read the detection view of the text
    (:func:`gupgeo.publication.normalise.detection_view`); the spans are on the text
    itself (in NFC). Each finder runs only from the places where its item may start
    (:mod:`gupgeo.publication._windows`: a digit pair after two letters for an IBAN, a
    cluster of eight digits or more for phones and NIR, an at-sign, a slash, a civility
    word…), with the result of a scan of the whole text. ``finders``: the finders a
    column-wide quick test rules out are not run. ``until``: spans starting there or
    later do not count (the text is cut before): scans stop as soon as they cannot
    change the spans before it.
    """
    view = DetectionView(text, text) if finders.plain else detection_view(text)
    seen = view.text
    lower = seen.lower()
    low = lower if len(lower) == len(seen) else None
    until = None if view.edits else until  # offsets of the view are those of the text
    found: list[Span] = []
    email_spans(found, seen, low, at_sign=finders.email_at, words=finders.email_word, until=until)
    if finders.paths:
        _paths(found, seen, low, until)
    if _DIGIT.search(seen) is not None:
        _identifiers(found, view, finders, until)
    if finders.essp and might_mention_essp(lower):
        _add(found, ESSP_MENTION, seen, ESSP_TOKEN, _end(ESSP_MENTION, seen, until))
    found.extend(name_spans(seen, lower=lower, skip=finders.names_skipped, until=until))
    if not found:
        return found
    if view.edits:
        found = [(*view.span(start, end), token) for start, end, token in found]
    found.sort(key=lambda s: (s[0], -s[1]))
    merged: list[Span] = [found[0]]
    for start, end, token in found[1:]:
        last = merged[-1]
        if start < last[1]:
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, token))
    return merged


def mask(text: str, *, max_chars: int | None = None, finders: Finders = ALL_FINDERS) -> str:
    """``text`` with personal data, local paths and ESSP mentions masked, cut at
    ``max_chars`` characters (ending with "…") when longer. ``finders``: what a
    column-wide quick test left to look for (:func:`mask_series`).

    Examples
    --------
    >>> mask("Plainte de Jean Zorglub (06 98 76 54 32)")
    'Plainte de [nom masqué] ([téléphone masqué])'
    >>> mask("mme durand, le 12/03/2024 : 1 234,50 €")
    '[nom masqué], le 12/03/2024 : 1 234,50 €'
    >>> mask("abcdef " * 3, max_chars=10)
    'abcdef ab…'
    """
    cut = max_chars is not None and len(text) > max_chars
    if cut and max_chars is not None:
        text = text[: max_chars + MARGIN]
    text = unicodedata.normalize("NFC", text)
    limit = max(0, (max_chars or 1) - 1) if cut else len(text)
    out: list[str] = []
    pos, stop = 0, limit
    for start, end, token in spans(text, finders=finders, until=limit if cut else None):
        if start >= limit:
            break
        if end > limit and cut:  # an item across the cut goes with the rest
            stop = start
            break
        out += (text[pos:start], token)
        pos = end
    if not cut:
        return "".join([*out, text[pos:]])
    return "".join([*out, text[pos : max(pos, stop)], ELLIPSIS])


def _as_text(value: Any) -> Any:
    """Values a cell may keep as is (missing, numbers, dates), others as text."""
    if value is None or isinstance(value, str | bool | int | float | np.number | np.bool_):
        return value
    if isinstance(value, dt.date | dt.time | dt.timedelta | pd.Timestamp | pd.Timedelta):
        return value
    if value is pd.NaT or value is pd.NA:
        return value
    return str(value)


def _masked(distinct: list[Any], uses: np.ndarray, max_chars: int | None) -> tuple[list[Any], int]:
    """Each distinct value masked, and how many cells (``uses``) were cut. A plain text
    no finder may touch (column-wide quick tests), not cut, is left as it is without a
    call to :func:`mask`: what it would return."""
    values = [_as_text(value) for value in distinct]
    full = as_array(values)
    is_text = np.asarray(full.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    cut_rows = np.zeros(len(values), dtype=bool)
    if max_chars is not None and len(values):
        lengths = pc.fill_null(pc.utf8_length(full), 0).to_numpy(zero_copy_only=False)
        cut_rows = is_text & (lengths > max_chars)
    flags = quick_flags(values, full, max_chars, int(is_text.sum()))
    finders = FinderRows(flags, len(values))
    out = list(values)
    for i in np.flatnonzero(is_text & ~(finders.none & ~cut_rows)):
        out[i] = mask(values[i], max_chars=max_chars, finders=finders[int(i)])
    return out, int(np.asarray(uses)[cut_rows].sum())


def mask_series(values: pd.Series, *, max_chars: int | None = None) -> tuple[pd.Series, int]:
    """:func:`mask` on every text cell (each distinct value once); also returns how many
    cells were cut. Missing values, numbers and dates are kept; so is the dtype (string,
    object or categorical)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = list(values.cat.categories)
        uses = np.bincount(
            values.cat.codes.to_numpy()[values.cat.codes.to_numpy() >= 0], minlength=len(cats)
        )
        masked_cats, cut = _masked(cats, uses, max_chars)
        if len(set(masked_cats)) == len(masked_cats):  # the usual case: codes kept
            return values.cat.rename_categories(masked_cats), cut
        merged = np.asarray([*masked_cats, None], dtype=object)[values.cat.codes.to_numpy()]
        return pd.Series(pd.Categorical(merged), index=values.index, name=values.name), cut
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        distinct = list(uniques)
    except TypeError:  # unhashable cells (lists, dicts)
        distinct = list(values.astype("object"))
        codes = np.arange(len(distinct))
    uses = np.bincount(codes[codes >= 0], minlength=len(distinct))
    masked, cut = _masked(distinct, uses, max_chars)
    result = np.asarray([*masked, None], dtype=object)[codes]
    if len(result) and (codes == -1).any():  # missing values kept as they were
        result[codes == -1] = values.to_numpy(dtype=object)[codes == -1]
    dtype = values.dtype if _keeps_dtype(values.dtype) else object
    return pd.Series(result, index=values.index, name=values.name, dtype=dtype), cut


def _keeps_dtype(dtype: Any) -> bool:
    return dtype is not np.dtype(object) and pd.api.types.is_string_dtype(dtype)


def is_text_like(values: pd.Series) -> bool:
    """Whether a column holds text (string dtype, text in an object column, or text
    categories): the columns :mod:`gupgeo.publication` masks or drops."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return is_text_like(pd.Series(dtype.categories))
    if dtype is not np.dtype(object):
        return bool(pd.api.types.is_string_dtype(dtype))
    kind = pd.api.types.infer_dtype(values, skipna=True)
    return kind not in _NOT_TEXT


_NOT_TEXT = frozenset(
    {
        "integer",
        "floating",
        "decimal",
        "boolean",
        "datetime",
        "datetime64",
        "date",
        "timedelta",
        "timedelta64",
        "time",
        "period",
        "interval",
        "mixed-integer-float",
        "empty",
    }
)


def source_label(source: Any) -> str:
    """A source as shown in shared outputs: file names only, never their folders.

    Examples
    --------
    >>> source_label("/home/anne/gup/signalements.csv + C:\\\\Données\\\\sig_2.csv")
    'signalements.csv + sig_2.csv'
    """
    parts = [p.strip() for p in str(source).split(" + ")]
    names = [mask(PureWindowsPath(p.rstrip("/\\")).name or "source") for p in parts if p]
    return " + ".join(names)


def shared_provenance(provenance: Mapping[str, Any]) -> dict[str, Any]:
    """Provenance records with their ``source`` reduced by :func:`source_label`."""
    out: dict[str, Any] = {}
    for name, record in provenance.items():
        if dataclasses.is_dataclass(record) and hasattr(record, "source"):
            label = source_label(record.source)
            out[name] = dataclasses.replace(record, source=label)  # type: ignore[type-var]
        else:
            out[name] = source_label(record)
    return out
