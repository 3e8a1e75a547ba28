"""E-mails in free text, in linear time, as they are written: "jean.dupont@x.fr",
"x＠free.fr" (read on the detection view: NFKC), "x (at) free (dot) fr", "x at free dot
fr", "x arobase free.fr", "x chez free.fr".

The at-sign (or the word standing for it) and the domain are found first, then the local
part is read backwards from it: a long run of letters before an "@" is read once. Each
pattern is tried only where its item may start (an at-sign, a bracket, the words
"arobase", "chez", "at" between spaces: :func:`gupgeo.publication._windows.finditer_from`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from gupgeo.publication._names import Span
from gupgeo.publication._windows import finditer_from, occurrences

EMAIL_TOKEN = "[courriel masqué]"

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


def _email_spans(text: str, matches: Iterable[re.Match[str]]) -> Iterator[Span]:
    """E-mails from the matches of :data:`_AT_SIGN` or :data:`_AT_WORD` (the local part
    read backwards from each)."""
    for m in matches:
        end_local = m.start()
        while end_local > m.start() - 3 and end_local > 0 and text[end_local - 1].isspace():
            end_local -= 1
        local = _LOCAL.match(text[max(0, end_local - _LOCAL_MAX) : end_local][::-1])
        if local is not None:
            yield end_local - local.end(), m.end(), EMAIL_TOKEN


def places(text: str, chars: str) -> list[int]:
    """Every place of any of ``chars`` in ``text``, in order."""
    if len(chars) == 1:
        return occurrences(text, chars)
    return sorted(p for c in chars for p in occurrences(text, c))


def before(places: list[int], until: int | None) -> list[int]:
    """The places before ``until`` (None: all)."""
    return places if until is None else [p for p in places if p < until]


def email_spans(
    found: list[Span],
    seen: str,
    low: str | None,
    *,
    at_sign: bool = True,
    words: bool = True,
    until: int | None = None,
) -> None:
    """E-mails: from at-signs and brackets; from the words "arobase", "chez" and "at"
    between spaces (``low``: the lower case of ``seen``, of the same length, or None).
    An e-mail starts at most :data:`_LOCAL_MAX` + 3 characters before its at-sign;
    ``until``: e-mails starting there or later do not count. ``at_sign``, ``words``:
    whether to look from at-signs and brackets, from words (a quick test may say no)."""
    until = None if until is None else until + _LOCAL_MAX + 3
    if at_sign:
        starts = before(places(seen, "@([{<"), until)
        found.extend(_email_spans(seen, finditer_from(_AT_SIGN, seen, starts)))
    if not words:
        return
    if low is None:  # offsets of the lower case are not those of the text: a full scan
        found.extend(_email_spans(seen, _AT_WORD.finditer(seen)))
        return
    starts = occurrences(low, "arobase") + occurrences(low, "chez")
    starts += [
        p
        for p in occurrences(low, "at")
        if 0 < p < len(seen) - 2 and seen[p - 1].isspace() and seen[p + 2].isspace()
    ]
    if starts:
        found.extend(
            _email_spans(seen, finditer_from(_AT_WORD, seen, before(sorted(starts), until)))
        )
