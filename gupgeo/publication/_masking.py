"""Masking of personal data and local paths in free text, in linear time.

Each finder below is a regular expression whose every quantifier is bounded, so the
work per starting position is bounded and a cell is scanned in time proportional to
its length (the unbounded ``[\\w.+-]+@…`` of earlier versions took 10 s on one
50,000-character cell). Finders read the detection view of the text
(:mod:`gupgeo.publication.normalise`: NFKC, zero-width characters removed, dashes and
separators inside digit runs unified), so ``06/98/76/54/31``, ``０６９８…``,
``x＠free.fr`` or ``Mme\u200bDurand`` are read like their plain spellings; their spans
are mapped back to the text, overlapping spans are merged and replaced by one token,
and the rest of the text stays as written (dates keep their slashes). Names are found
by :mod:`gupgeo.publication._names`.

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
import itertools
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import PureWindowsPath
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.publication._essp import ESSP_MENTION, might_mention_essp
from gupgeo.publication._names import NAME_TOKEN as NAME_TOKEN
from gupgeo.publication._names import Span, name_spans
from gupgeo.publication.normalise import DetectionView, detection_view

PHONE_TOKEN = "[téléphone masqué]"
EMAIL_TOKEN = "[courriel masqué]"
PLATE_TOKEN = "[plaque masquée]"
IBAN_TOKEN = "[IBAN masqué]"
NIR_TOKEN = "[NIR masqué]"
PATH_TOKEN = "[chemin masqué]"
ESSP_TOKEN = "[étude masquée]"  # must not itself read as an ESSP mention
ELLIPSIS = "…"
MARGIN = 600
"""Characters scanned past the cut: more than the longest maskable item (an e-mail, at
most about 500 characters; a path at most 410)."""

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

# --- e-mails (read on the text view: NFKC, so "＠" is "@") ------------------------------
# Read backwards: "jean.dupont", "jean dot dupont", "jean (point) dupont".
_LOCAL = re.compile(
    r"[\w+\-]{1,64}(?:(?:\s{0,2}\.\s{0,2}|\s{1,2}(?i:tod|tniop)\s{1,2}"
    r"|\s{0,2}[)\]]\s{0,2}(?:\.|(?i:tod|tniop))\s{0,2}[(\[]\s{0,2})[\w+\-]{1,40}){0,3}"
)
_LOCAL_MAX = 64 + 3 * (12 + 40)
_TLD = r"(?:fr|com|org|net|eu|gouv|info|be|ch|io|de|uk|es|it|biz)\b"
_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
_DOT = (
    r"(?:\s?\.\s?"
    rf"|\s{{0,2}}{_OPEN}\s{{0,2}}(?:\.|(?i:dot|point))\s{{0,2}}{_CLOSE}\s{{0,2}}"
    rf"|\s{{1,2}}(?i:dot|point)\s{{1,2}}(?={_TLD}))"
)
_DOMAIN = rf"\s{{0,3}}[\w\-]{{1,63}}(?:{_DOT}[\w\-]{{1,40}}){{1,4}}"
_DOMAIN_TLD = rf"\s{{1,3}}[\w\-]{{1,63}}(?:{_DOT}[\w\-]{{1,40}}){{0,3}}{_DOT}{_TLD}"
_PROVIDERS = (
    r"(?i:gmail|hotmail|yahoo|outlook|orange|wanadoo|free|laposte|sfr|icloud|live|msn|aol"
    r"|neuf|bbox|numericable)(?![\w.])"
)
# The at-sign (or "(at)", "[at]", "{@}", " arobase ", " at "/" chez " before a domain
# ending in a known TLD) and the domain; the local part is then read backwards from
# it, so a long run of letters before an "@" is read once.
_AT_SIGN = re.compile(
    rf"(?:@(?:\s{{0,2}}@)?|{_OPEN}\s{{0,2}}(?:@|(?i:at|a|arobase|chez))\s{{0,2}}{_CLOSE}){_DOMAIN}"
    rf"|@(?:\s{{0,2}}@)?\s{{0,2}}{_PROVIDERS}"
)
_AT_WORD = re.compile(
    rf"(?:a(?<=\sa)(?i:robase)(?=\s)|A(?<=\sA)(?i:robase)(?=\s)){_DOMAIN}"
    rf"|[aA](?<=\s[aA])[tT](?=\s){_DOMAIN_TLD}|[cC](?<=\s[cC])(?i:hez)(?=\s){_DOMAIN_TLD}"
)
"""Two scans: one from the rare characters (``@``, brackets), one from the words (run
only on a text holding one of them: "a" and "c" start too many words)."""


def _email_spans(text: str, at_domain: re.Pattern[str]) -> Iterator[Span]:
    for m in at_domain.finditer(text):
        end_local = m.start()
        while end_local > m.start() - 3 and end_local > 0 and text[end_local - 1].isspace():
            end_local -= 1
        local = _LOCAL.match(text[max(0, end_local - _LOCAL_MAX) : end_local][::-1])
        if local is not None:
            yield end_local - local.end(), m.end(), EMAIL_TOKEN


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


def _add(found: list[Span], pattern: re.Pattern[str], text: str, token: str) -> None:
    found.extend((m.start(), m.end(), token) for m in pattern.finditer(text))


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


def _identifiers(found: list[Span], view: DetectionView) -> None:
    """Phones, IBAN, NIR and plates."""
    text = view.text
    _iban(found, text)
    if _NINE_DIGITS.search(text) is not None or (
        ")" in text and _AFTER_ZERO.search(text) is not None
    ):
        _numbers(found, view)
    for m in _PLATE_SIV.finditer(text):
        start = _letters_before(text, m.start())
        if not _words_around_a_number(text[start : m.end()]):
            found.append((start, m.end(), PLATE_TOKEN))
    _add(found, _PLATE_FNI, text, PLATE_TOKEN)


def _iban(found: list[Span], text: str) -> None:
    for m in _IBAN.finditer(text):
        start = m.start() - (3 if text[m.start() - 1] == " " else 2)
        if sum(c.isdigit() for c in text[start : m.end()]) >= _IBAN_MIN_DIGITS:
            found.append((start, m.end(), IBAN_TOKEN))


def _numbers(found: list[Span], view: DetectionView) -> None:
    """Phones and NIR (read on the digits view)."""
    text, digits = view.text, view.digits
    _add(found, _NIR, digits, NIR_TOKEN)
    phones = _PHONE.finditer(digits)
    if "," in digits:
        phones = itertools.chain(phones, _PHONE_PAIRS.finditer(digits))
    for m in phones:
        start = m.start()
        if _DATE.match(text, start) is None:
            opened = start and digits[start - 1] == "(" and ")" in text[start : m.end()]
            found.append((start - 1 if opened else start, m.end(), PHONE_TOKEN))


_DIGIT = re.compile(r"\d")
_AT_HINTS = ("@", "(", "[", "{", "<")
_WORD_HINTS = ("arobase", "chez", " at ", "\tat", "at\t", "\nat", "at\n", "\rat", "at\r")


def spans(text: str) -> list[Span]:
    """Spans ``(start, end, token)`` to mask in ``text``, merged, in order.

    The finders read the detection view of the text
    (:func:`gupgeo.publication.normalise.detection_view`); the spans are on the text
    itself (in NFC). Each finder runs only when a quick test says its item may be in
    the text (a digit for phones, plates, IBAN and NIR; a slash for paths…).
    """
    view = detection_view(text)
    seen = view.text
    low = seen.lower()
    found: list[Span] = []
    if any(c in seen for c in _AT_HINTS):
        found.extend(_email_spans(seen, _AT_SIGN))
    if any(w in low for w in _WORD_HINTS):
        found.extend(_email_spans(seen, _AT_WORD))
    if "/" in seen or "\\" in seen or "~" in seen:
        _add(found, _PATH, seen, PATH_TOKEN)
        if ":" in seen:
            _add(found, _DRIVE_PATH, seen, PATH_TOKEN)
            _add(found, _FILE_URL, seen, PATH_TOKEN)
    if _DIGIT.search(seen) is not None:
        _identifiers(found, view)
    if might_mention_essp(low):
        _add(found, ESSP_MENTION, seen, ESSP_TOKEN)
    found.extend(name_spans(seen, lower=low))
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


def mask(text: str, *, max_chars: int | None = None) -> str:
    """``text`` with personal data, local paths and ESSP mentions masked, cut at
    ``max_chars`` characters (ending with "…") when longer.

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
    for start, end, token in spans(text):
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
    """Each distinct value masked, and how many cells (``uses``) were cut."""
    out, cut = [], 0
    for value, n in zip(distinct, uses, strict=True):
        value = _as_text(value)
        if isinstance(value, str):
            if max_chars is not None and len(value) > max_chars:
                cut += int(n)
            value = mask(value, max_chars=max_chars)
        out.append(value)
    return out, cut


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
