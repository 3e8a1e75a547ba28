"""Masking of personal data and local paths in free text, in linear time.

Each finder below is a regular expression whose every quantifier is bounded, so the
work per starting position is bounded and a cell is scanned in time proportional to
its length (the unbounded ``[\\w.+-]+@…`` of earlier versions took 10 s on one
50,000-character cell). Finders report spans on the original text; overlapping spans
are merged and replaced by one token, so the rest of the text stays readable.

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
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import PureWindowsPath
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.publication._essp import ESSP_MENTION, might_mention_essp

NAME_TOKEN = "[nom masqué]"
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

Span = tuple[int, int, str]

# Every pattern starts with a character or a class of characters (the "not preceded by"
# checks come just after, as lookbehinds over that first character): the regular
# expression engine then jumps from candidate to candidate instead of trying every
# position, which keeps masking cheap on long texts.

# --- phones ------------------------------------------------------------------------------
_S = r"[ \t\u00a0\u202f.\-]"  # what people put between the digits of a phone number
_ZERO = rf"\(\s{{0,2}}0\s{{0,2}}\){_S}{{0,3}}"  # the "(0)" of "+33 (0)6…"
_NINE = rf"(?:{_ZERO})?(?:0{_S}{{0,2}})?[1-9](?:{_S}{{0,3}}\d){{8}}"  # after +33 / 0033
_PHONE = re.compile(
    # national: ten digits in a row, or 0X then four pairs each after 1-3 separators;
    # 0033 then nine digits in any spacing
    rf"0(?<![\d+]0)(?:[1-9](?:\d{{8}}|(?:{_S}{{1,3}}\d{{2}}){{4}})|0{_S}{{0,2}}33{_S}{{0,3}}{_NINE})"
    rf"(?!\d)"
    # +33, then other countries: +CC and 8 to 12 digits
    rf"|\+(?:{_S}{{0,2}}33{_S}{{0,3}}{_NINE}"
    rf"|(?!33)[1-9]\d{{0,2}}{_S}{{0,3}}(?:{_ZERO})?\d(?:{_S}{{0,3}}\d){{7,11}})(?!\d)"
    # (0)6 98 76 54 32
    rf"|\(\s{{0,2}}0\s{{0,2}}\){_S}{{0,3}}[1-9](?:{_S}{{0,3}}\d){{8}}(?!\d)"
)

# --- e-mails -----------------------------------------------------------------------------
_LOCAL = re.compile(r"[\w+\-]{1,64}(?:\s{0,2}\.\s{0,2}[\w+\-]{1,40}){0,3}")
_LOCAL_MAX = 64 + 3 * (2 + 1 + 2 + 40)
_TLD = r"(?:fr|com|org|net|eu|gouv|info|be|ch|io)\b"
_DOT = (
    r"(?:\s?\.\s?"
    r"|\s{0,2}[(\[{<]\s{0,2}(?i:dot|point)\s{0,2}[)\]}>]\s{0,2}"
    rf"|\s{{1,2}}(?i:dot|point)\s{{1,2}}(?={_TLD}))"
)
_DOMAIN = rf"\s{{0,3}}[\w\-]{{1,63}}(?:{_DOT}[\w\-]{{1,40}}){{1,4}}"
_BRACKETED = r"\s{0,2}(?i:at|arobase|chez)\s{0,2}"
# The at-sign (or "(at)", "[at]", " arobase ") and the domain; the local part is then
# read backwards from it, so a long run of letters before an "@" is read once.
_AT_DOMAIN = re.compile(
    rf"(?:@|\({_BRACKETED}\)|\[{_BRACKETED}\]|\{{{_BRACKETED}\}}|<{_BRACKETED}>"
    rf"|a(?<=\sa)(?i:robase)(?=\s)|A(?<=\sA)(?i:robase)(?=\s)){_DOMAIN}"
)


def _email_spans(text: str) -> Iterator[Span]:
    for m in _AT_DOMAIN.finditer(text):
        end_local = m.start()
        while end_local > m.start() - 3 and end_local > 0 and text[end_local - 1].isspace():
            end_local -= 1
        local = _LOCAL.match(text[max(0, end_local - _LOCAL_MAX) : end_local][::-1])
        if local is not None:
            yield end_local - local.end(), m.end(), EMAIL_TOKEN


# --- plates, IBAN, NIR -------------------------------------------------------------------
_L = "[A-HJ-NP-TV-Z]"  # letters of the SIV plates (no I, O, U)
# Plates since 2009 (AB-123-CD, AB 123 CD, AB123CD, ab-123-cd), matched from their digits.
_PLATE_SIV = re.compile(
    rf"\d\d\d(?:(?<=(?<![\w\-]){_L}{_L}\d\d\d)|(?<=(?<![\w\-]){_L}{_L}[ \-]\d\d\d))"
    rf"[ \-]?{_L}{{2}}(?![\w\-])"
    r"|\d\d\d(?<=(?<![\w\-])[a-z][a-z]-\d\d\d)-[a-z]{2}(?![\w\-])"
)
# Plates before 2009: 123 ABC 37, 1234 AB 37, 123 A 37.
_PLATE_FNI = re.compile(
    r"\d(?<![\w\-]\d)(?:\d{0,3}[ \-]?[A-Z]{2,3}|\d{2,3}[ \-]?[A-GJ-Z])[ \-]?"
    r"(?:\d{2}|2[AB]|97[1-6])(?![\w\-])"
)
_IBAN = re.compile(
    r"\d\d(?<=(?<![A-Za-z0-9])(?:[A-Z][A-Z]|[a-z][a-z])\d\d)(?:[ \-]?[A-Z0-9]{4}){2,7}"
    r"(?:[ \-]?[A-Z0-9]{1,4})?(?![A-Za-z0-9])"
)
_N = r"[ .\-\u00a0\u202f]?"
_NIR = re.compile(
    rf"[12378](?<!\w.){_N}\d{{2}}{_N}(?:0[1-9]|1[0-2]|[2-9]\d){_N}(?:\d{{2}}|2[AB])"
    rf"{_N}\d{{3}}{_N}\d{{3}}(?:{_N}\d{{2}})?(?!\w)"
)

# --- local paths -------------------------------------------------------------------------
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

# --- names -------------------------------------------------------------------------------
_UP = "A-ZÀ-ÖØ-Þ"
_WORD = r"(?:[dDlL]['’]\s{0,2})?[^\W\d_][\w'’\-]{0,40}\.?"
_WORDS = rf"(?P<words>{_WORD}(?:\s{{1,3}}{_WORD}){{0,4}})"
_NOT_BEFORE_NAME = r"[\w.'’\-]"
# Civilities after which the name may be in lower case ("mme durand"), any case.
_STRONG = re.compile(
    rf"[mM](?<!{_NOT_BEFORE_NAME}.)(?i:adame|onsieur|ademoiselle|esdames|essieurs|mes|me"
    r"|lles|lle|rs|r)\.?(?=\s{1,3}" + _WORDS + ")"
)
# Civilities that are also ordinary words or letters: only before a capitalised name.
_WEAK = re.compile(
    rf"(?:M(?<!{_NOT_BEFORE_NAME}M)(?:M|e|(?i:a[iî]tre))?|m(?<!{_NOT_BEFORE_NAME}m)(?i:a[iî]tre)"
    rf"|D(?<!{_NOT_BEFORE_NAME}D)(?:r|(?i:octeur))|d(?<!{_NOT_BEFORE_NAME}d)(?i:octeur)"
    rf"|P(?<!{_NOT_BEFORE_NAME}P)(?:r|(?i:rofesseur))|p(?<!{_NOT_BEFORE_NAME}p)(?i:rofesseur))"
    rf"\.?(?:(?=\s{{1,3}}{_WORDS})|(?<=\.)(?=(?P<glued>[{_UP}][\w'’\-]{{0,40}})))"
)
# "Plainte de Jean Zorglub", "signalé par Anne Martin", "contact : P. Durand": the first
# letter is read, then the rest of the trigger word is chosen by that letter.
_PAR = r"[ée]?e?s?\s{1,3}par"
_DE = r"s?\s{1,3}(?:de\b|d['’])"
_COLON = r"\s{0,2}:"
_TRIGGER = re.compile(
    r"[sdrtepacmSDRTEPACM](?<!\w.)(?i:"
    rf"(?<=s)ignal{_PAR}"
    rf"|(?<=d)(?:[ée]clar{_PAR}|[ée]pos{_PAR}|[ée]clarante?{_COLON}|emandeu(?:r|se){_COLON})"
    rf"|(?<=r)(?:apport{_PAR}|[ée]clamation{_DE}|equ[ée]rante?{_COLON})"
    rf"|(?<=t)(?:ransmis{_PAR}|[ée]moignage{_DE}|[ée]moin{_COLON})"
    rf"|(?<=e)nvoy{_PAR}|(?<=p)lainte{_DE}|(?<=a)ppel{_DE}"
    rf"|(?<=c)(?:ourrier{_DE}|ontact{_COLON})|(?<=m)essage{_DE}"
    r")(?=\s{0,3}" + _WORDS + ")"
)
_PARTICLES = frozenset({"de", "du", "des", "van", "von", "da", "di"})
_ARTICLES = frozenset({"le", "la", "les", "l"})
_STOP = frozenset(
    {
        # grammar words
        "a", "au", "aux", "avec", "ce", "ces", "cette", "dans", "de", "des", "du", "elle",
        "en", "est", "et", "il", "ils", "je", "l", "la", "le", "les", "leur", "ma", "mais",
        "me", "mes", "mon", "ne", "nous", "on", "ou", "par", "pas", "pour", "qu", "que",
        "qui", "s", "sa", "sans", "se", "ses", "si", "son", "sur", "un", "une", "vous",
        "votre", "vos", "y", "the", "avait", "etait", "sera", "dit", "indique", "signale",
        "souhaite", "souhaiterait", "demande", "precise", "explique", "habite", "reside",
        "appelle", "rappelle", "voudrait", "aimerait", "pense", "trouve", "constate",
        "declare", "vit", "vient", "passe", "attend", "refuse", "accepte",
        # functions and roles, not names
        "maire", "adjoint", "adjointe", "prefet", "prefete", "directeur", "directrice",
        "president", "presidente", "depute", "deputee", "senateur", "senatrice", "gardien",
        "gardienne", "conseiller", "conseillere", "commissaire", "procureur", "juge",
        "ministre", "chef", "responsable", "agent", "agente", "habitant", "habitante",
        "locataire", "riverain", "riveraine", "voisin", "voisine", "ouvrage", "oeuvre",
        "œuvre", "madame", "monsieur", "mme", "mr", "inconnu", "inconnue", "anonyme",
        # places and bodies met after "plainte de", "signalé par"
        "rue", "avenue", "av", "place", "allee", "boulevard", "bd", "quai", "impasse",
        "chemin", "route", "square", "cite", "residence", "batiment", "bat",
        "escalier", "mairie", "ville", "metropole", "tours", "habitat", "service",
        "services", "police", "gendarmerie", "bailleur", "association", "collectif",
        "conseil", "comite", "centre", "ecole", "college", "lycee", "telephone", "mail",
        "courriel", "courrier", "internet", "application", "appli",
    }
)  # fmt: skip
_TITLES = frozenset(
    {"maire", "prefet", "prefete", "directeur", "directrice", "president", "presidente"}
)


def _key(word: str) -> str:
    word = word.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    text = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()
    return text.strip("'’-")


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


_APOSTROPHE = re.compile(r"([dDlL])['’]\s*(.+)")


def _name_end(words: str, *, lower_ok: bool) -> int:
    """Characters of ``words`` (words separated by spaces) that form a name, 0 if none.

    A name is: optional particles (de, du, des, de la, d', de l'), a word that is
    neither a grammar word, a function nor a place, then more capitalised words
    (particles allowed), five words at most. ``lower_ok``: the first word may be in
    lower case (after "mme", "madame"…), and is then the whole name. A capitalised
    article starts a name only before another capitalised word ("Le Gall", not
    "le Maire").
    """
    tokens = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", words)][:5]
    end, n_names, i = 0, 0, 0
    while i < len(tokens):
        start, word = tokens[i]
        key = _key(word)
        if key in _PARTICLES:
            i += 2 if key == "de" and i + 1 < len(tokens) and _key(tokens[i + 1][1]) == "la" else 1
            continue
        elided = _APOSTROPHE.match(word)
        core = (elided.group(2) if elided else word).rstrip(".")
        sentence_end = word.endswith(".") and len(core) > 1  # "Durand." ends, "P." goes on
        core_key = _key(core)
        if not elided and core_key in _ARTICLES:
            following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
            if _is_cap(word) and _is_cap(following) and _key(following) not in _STOP:
                end, n_names, i = start + len(word), n_names + 1, i + 1
                continue
            break
        if core_key in _STOP or not core[:1].isalpha():
            break
        capitalised = _is_cap(core)
        if not capitalised and (n_names or not lower_ok):
            break
        end, n_names, i = start + len(word) - sentence_end, n_names + 1, i + 1
        if not capitalised or sentence_end:
            break
    return end


def _names(found: list[Span], text: str, pattern: re.Pattern[str], *, lower_ok: bool) -> None:
    """Names after a civility (the span starts at the civility)."""
    glued_group = "glued" in pattern.groupindex
    for m in pattern.finditer(text):
        glued = m.group("glued") if glued_group else None
        if glued:
            if _key(glued) not in _STOP:
                found.append((m.start(), m.end("glued"), NAME_TOKEN))
            continue
        words = m.group("words")
        length = _name_end(words, lower_ok=lower_ok) if words else 0
        if length:
            found.append((m.start(), m.start("words") + length, NAME_TOKEN))


def _triggered(found: list[Span], text: str) -> None:
    """Names after "signalé par", "plainte de"… (the span is the name only)."""
    for m in _TRIGGER.finditer(text):
        length = _name_end(m.group("words"), lower_ok=False)
        if length:
            found.append((m.start("words"), m.start("words") + length, NAME_TOKEN))


def _add(found: list[Span], pattern: re.Pattern[str], text: str, token: str) -> None:
    found.extend((m.start(), m.end(), token) for m in pattern.finditer(text))


_DIGIT = re.compile(r"\d")
_AT_HINTS = ("@", "(", "[", "{", "<")


def spans(text: str) -> list[Span]:
    """Spans ``(start, end, token)`` to mask in ``text``, merged, in order.

    Each finder runs only when a quick test says its item may be in the text (a digit
    for phones, plates, IBAN and NIR; a slash for paths…).
    """
    low = text.lower()
    found: list[Span] = []
    if "arobase" in low or any(c in text for c in _AT_HINTS):
        found.extend(_email_spans(text))
    if "/" in text or "\\" in text or "~" in text:
        _add(found, _PATH, text, PATH_TOKEN)
        if ":" in text:
            _add(found, _DRIVE_PATH, text, PATH_TOKEN)
            _add(found, _FILE_URL, text, PATH_TOKEN)
    if _DIGIT.search(text) is not None:
        found.extend((m.start() - 2, m.end(), IBAN_TOKEN) for m in _IBAN.finditer(text))
        _add(found, _NIR, text, NIR_TOKEN)
        _add(found, _PHONE, text, PHONE_TOKEN)
        for m in _PLATE_SIV.finditer(text):  # matched from the digits: back to the letters
            start = m.start()
            found.append((start - (3 if text[start - 1] in " -" else 2), m.end(), PLATE_TOKEN))
        _add(found, _PLATE_FNI, text, PLATE_TOKEN)
    if might_mention_essp(low):
        _add(found, ESSP_MENTION, text, ESSP_TOKEN)
    _names(found, text, _STRONG, lower_ok=True)
    _names(found, text, _WEAK, lower_ok=False)
    _triggered(found, text)
    if not found:
        return found
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
        uses = np.bincount(values.cat.codes.to_numpy()[values.cat.codes.to_numpy() >= 0],
                           minlength=len(cats))  # fmt: skip
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
    {"integer", "floating", "decimal", "boolean", "datetime", "datetime64", "date",
     "timedelta", "timedelta64", "time", "period", "interval", "mixed-integer-float", "empty"}
)  # fmt: skip


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
            out[name] = dataclasses.replace(record, source=source_label(record.source))  # type: ignore[type-var]
        else:
            out[name] = source_label(record)
    return out
