"""Run a finder only where its item may start, with the result of a scan of the whole text.

A Python regular expression starting with a class of characters costs about 20 ns a
character of the text it scans, match or not; masking ran a dozen of them on each text.
Most items start at a rare place: a digit pair after two letters (IBAN), a run of three
digits (plates), a civility word, an at-sign, a slash. :func:`finditer_from` runs a
pattern only from such places and finds exactly what ``pattern.finditer(text)`` finds,
provided every match starts at one of them:

- a search from a start reads the text up to the pattern's :func:`reach` (its longest
  match plus what its lookaheads read) past the last place it may start, so every
  attempt there sees what it would see in the whole text (lookbehinds read before the
  start of a search: Python's ``pos`` does not hide the text before it);
- the searches go left to right and resume after the end of the last match, as
  ``finditer`` does.

The places come from fast substring searches (:func:`occurrences`).
"""

from __future__ import annotations

import functools
import re
import re._constants as sre
import re._parser as sre_parse
from collections.abc import Iterator, Sequence
from typing import Any

from gupgeo.publication.normalise import unify_digit_separators

_ONE_CHAR = {sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN, sre.CATEGORY}
_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT)}
_ZERO = {sre.AT}


def _extent(items: Any) -> tuple[float, float]:
    """(characters a sequence consumes at most, characters it reads at most past its
    start); infinite when unbounded."""
    consumed, read = 0.0, 0.0
    for op, av in items:
        if op in _ONE_CHAR:
            c, r = 1.0, 1.0
        elif op in _ZERO:
            c, r = 0.0, 0.0
        elif op is sre.BRANCH:
            found = [_extent(b) for b in av[1]]
            c, r = max(f[0] for f in found), max(f[1] for f in found)
        elif op is sre.SUBPATTERN:
            c, r = _extent(av[-1])
        elif op is getattr(sre, "ATOMIC_GROUP", None):
            c, r = _extent(av)
        elif op in _REPEATS:
            _, high, sub = av
            sc, sr = _extent(sub)
            if high == sre.MAXREPEAT:
                c = r = float("inf") if sc or sr else 0.0
            else:
                c, r = high * sc, max(0.0, (high - 1) * sc) + sr if high else 0.0
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            direction, sub = av
            c, r = 0.0, (_extent(sub)[1] if direction == 1 else 0.0)
        else:  # back-references, conditionals: no bound known
            return float("inf"), float("inf")
        read = max(read, consumed + r)
        consumed += c
    return consumed, max(read, consumed)


@functools.cache
def reach(pattern: re.Pattern[str]) -> int | None:
    """How many characters past its start an attempt of ``pattern`` may read (its
    longest match and its lookaheads); None when unbounded or unknown."""
    try:
        _, read = _extent(sre_parse.parse(pattern.pattern, pattern.flags).data)
    except Exception:  # an unknown construct: no windows
        return None
    return None if read == float("inf") else int(read)


_DENSE = 8
"""A scan of the whole text is cheaper than trying the places one by one once there is
more than one place in this many characters."""


def finditer_from(
    pattern: re.Pattern[str], text: str, starts: Sequence[int], *, before: int = 0
) -> Iterator[re.Match[str]]:
    """The matches of ``pattern.finditer(text)``, given that every one starts between
    ``s - before`` and ``s`` for some ``s`` of ``starts`` (in increasing order).

    The pattern is tried at each of those places only (``pattern.match`` reading at
    most :func:`reach` characters), left to right, and after a match from its end on,
    as ``finditer`` does; where places are many, the whole text is scanned."""
    width = reach(pattern)
    if width is None or len(starts) * (before + 1) * _DENSE > len(text):
        yield from pattern.finditer(text)
        return
    size = len(text)
    pos = 0  # the next place to try: after the last one tried and the last match
    for s in starts:
        at = max(pos, s - before)
        while at <= s and at < size:
            m = pattern.match(text, at, min(size, at + width + 1))
            if m is None:
                at += 1
                continue
            yield m
            at = m.end() if m.end() > m.start() else m.end() + 1
        pos = max(pos, at)


def occurrences(text: str, needle: str) -> list[int]:
    """Every start of ``needle`` in ``text`` (overlapping ones included)."""
    found: list[int] = []
    at = text.find(needle)
    while at >= 0:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def merged_windows(cores: list[tuple[int, int]], width: int, end: int) -> list[tuple[int, int]]:
    """The spans ``cores`` widened by ``width`` each side (within ``[0, end)``), in
    order, overlapping ones merged."""
    windows: list[tuple[int, int]] = []
    for start, stop in sorted(cores):
        lo, hi = max(0, start - width), min(end, stop + width)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, hi))
    return windows


def within(
    pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    """The matches of ``pattern.finditer(text)`` that start in ``windows`` (in order),
    given that no match starts elsewhere: each window is searched up to :func:`reach`
    past its end, resuming after each match as ``finditer`` does."""
    width = reach(pattern) or len(text)
    done = 0
    for lo, hi in windows:
        pos = max(lo, done)
        while pos < hi:
            m = pattern.search(text, pos, min(len(text), hi + width + 1))
            if m is None or m.start() >= hi:
                break
            yield m
            done = pos = m.end() if m.end() > m.start() else m.end() + 1


def unified_in(text: str, windows: list[tuple[int, int]], width: int) -> str:
    """``text`` with separators inside digit runs unified
    (:func:`gupgeo.publication.normalise.unify_digit_separators`) where a search from
    ``windows`` reads: 8 characters before each, ``width`` + 8 after. The rest is left
    as it is (never read)."""
    regions = merged_windows([(lo, hi + width) for lo, hi in windows], 8, len(text))
    pieces: list[str] = []
    pos = 0
    for lo, hi in regions:
        pieces += (text[pos:lo], unify_digit_separators(text[lo:hi]))
        pos = hi
    pieces.append(text[pos:])
    return "".join(pieces)
