"""Which finders of :mod:`gupgeo.publication._masking` may find something in each text
of a column: column-wide quick tests (:mod:`gupgeo.publication._prefilter`) turned into
one :class:`Finders` per text, and the texts no finder may touch (left as they are).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import pyarrow as pa

from gupgeo.publication._essp import HINTS_RE2
from gupgeo.publication._prefilter import MASKING_QUICK_TESTS, as_array, not_plain, quick_tests

MARGIN = 600
"""Characters scanned past the cut: more than the longest maskable item (an e-mail, at
most about 500 characters; a path at most 410)."""


@dataclasses.dataclass(frozen=True)
class Finders:
    """Which finders may find something in a text: False where a column-wide quick test
    (:mod:`gupgeo.publication._prefilter`, :data:`QUICK_TESTS`) says they cannot."""

    iban: bool = True
    nir: bool = True
    phone: bool = True
    plate_siv: bool = True
    plate_fni: bool = True
    essp: bool = True
    email_at: bool = True
    email_word: bool = True
    paths: bool = True
    civility: bool = True
    weak: bool = True
    trigger: bool = True
    plain: bool = False
    """The text is plain (:data:`gupgeo.publication._prefilter.PLAIN_CHARS`): its
    detection view is itself."""

    @functools.cached_property
    def names_skipped(self) -> frozenset[str]:
        """What :func:`gupgeo.publication._names.name_spans` need not look for."""
        return frozenset(k for k in ("civility", "weak", "trigger") if not getattr(self, k))


ALL_FINDERS = Finders()


class FinderRows:
    """The :class:`Finders` of each row of column-wide flags (one object per kind of
    row), and the rows no finder may touch."""

    def __init__(self, flags: dict[str, np.ndarray] | None, n: int) -> None:
        self.flags = flags
        self.made: dict[tuple[bool, ...], Finders] = {}
        if flags is None:
            self.none = np.zeros(n, dtype=bool)
            return
        found = np.zeros(len(flags["plain"]), dtype=bool)
        for name, column in flags.items():
            if name != "plain":
                found |= column
        self.none = flags["plain"] & ~found

    def __getitem__(self, i: int) -> Finders:
        if self.flags is None:
            return ALL_FINDERS
        row = tuple(bool(column[i]) for column in self.flags.values())
        made = self.made.get(row)
        if made is None:
            made = self.made[row] = Finders(**dict(zip(self.flags, row, strict=True)))
        return made


_QUICK_TESTS = {**MASKING_QUICK_TESTS, "essp": (HINTS_RE2, True)}
_EMAIL_TESTS = {k: v for k, v in _QUICK_TESTS.items() if k.startswith("email")}
_OTHER_TESTS = {k: v for k, v in _QUICK_TESTS.items() if not k.startswith("email")}


def quick_flags(
    values: list[Any], full: pa.Array, max_chars: int | None, n_texts: int
) -> dict[str, np.ndarray] | None:
    """Per text of ``values`` (``full``: as an Arrow array) and per finder, whether it
    may find something, from column-wide quick tests of the text as :func:`mask` reads
    it: cut at ``max_chars`` + :data:`MARGIN` for e-mails, at ``max_chars`` +
    :data:`_QUICK_MARGIN` for the other finders (when a text is cut, only what starts
    before the cut counts); ``plain``: the text is plain. None for fewer than
    :data:`_MIN_QUICK` texts (every finder runs)."""
    if n_texts < _MIN_QUICK:
        return None
    flags: dict[str, np.ndarray] = {}
    for margin, tests in ((MARGIN, _EMAIL_TESTS), (_QUICK_MARGIN, _OTHER_TESTS)):
        texts = full
        if max_chars is not None:
            texts = as_array(
                [v[: max_chars + margin] if isinstance(v, str) else None for v in values]
            )
        odd = not_plain(texts)
        flags.update(quick_tests(texts, tests, odd=odd))
    flags["plain"] = ~odd
    return flags


_QUICK_MARGIN = 200
"""Characters past the cut read by the quick tests of the finders other than e-mails:
more than any of them reads to tell that an item starts before the cut (the first
characters of a phone number, of an IBAN, a civility, ESSP wording)."""


_MIN_QUICK = 8
"""Fewer texts are masked one by one (a quick test has a fixed cost)."""
