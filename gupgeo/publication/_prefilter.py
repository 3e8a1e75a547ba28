"""Column-wide quick tests: which texts of a column *may* hold what a detector looks for.

The detectors of :mod:`gupgeo.publication._essp` and :mod:`gupgeo.publication.citations`
read each text's detection view in lower case (:mod:`gupgeo.publication.normalise`),
with Python's regular expressions: about 20 ns a character for a pattern starting with
a class of characters. Most texts hold nothing to find. Here one RE2 search (pyarrow,
in C++, a few ns a character) runs over a whole column and says, per text, whether it
may hold a match; only those texts go to the detector.

A quick test may say "maybe" wrongly, never "no" wrongly:

- it only answers for *plain* texts (:data:`PLAIN_CHARS`: ASCII, French letters and
  punctuation), whose detection view is the text itself and whose lower case is the
  one RE2's case-insensitive matching reads; any other text (a zero-width character,
  fullwidth digits, a ligature, a no-break space…) is always "maybe";
- its pattern is the detector's pattern without its lookarounds (which only restrict
  where a match may start or end), read case-insensitively, where the detector reads
  the lower case of the text.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gupgeo.publication._names import TRIGGER_STEMS
from gupgeo.publication.normalise import DASHES, DIGIT_SEPARATORS, INVISIBLE

_EXTRA_PLAIN = "€’‘“”œŒ"
"""Characters of French text outside Latin-1 that the view keeps as they are."""


@functools.cache
def _plain_chars() -> str:
    """Characters whose view is themselves, whose lower case is one character of the
    same kind, and that Python reads as whitespace only when RE2 does (tab, newline,
    carriage return, space)."""
    chars = ["\t", "\n", "\r"]
    for char in map(chr, range(0x20, 0x100)):
        if char in INVISIBLE or char in DASHES or not char.isprintable():
            continue
        if char != " " and char.isspace():
            continue
        if unicodedata.normalize("NFKC", char) != char or len(char.lower()) != 1:
            continue
        chars.append(char)
    chars += [c for c in _EXTRA_PLAIN if unicodedata.normalize("NFKC", c) == c]
    return "".join(chars)


PLAIN_CHARS = _plain_chars()
"""What a plain text is made of (see the module docstring)."""
SPACE = r"[\t\n\r ]"
"""Python's ``\\s`` in a plain text."""


def _class(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


_NOT_PLAIN = f"[^{_class(PLAIN_CHARS)}]"


def as_array(values: Sequence[object] | pd.api.extensions.ExtensionArray) -> pa.Array:
    """The texts of ``values`` as an Arrow array (anything else missing): an Arrow
    backed pandas array is taken as it is."""
    if isinstance(values, pd.api.extensions.ExtensionArray) and pd.api.types.is_string_dtype(
        values.dtype
    ):
        try:
            found = pa.array(values)
        except (TypeError, ValueError, pa.ArrowException):
            found = None
        if found is not None and pa.types.is_string(found.type):
            return found
        if found is not None and pa.types.is_large_string(found.type):
            return found
    return pa.array([v if isinstance(v, str) else None for v in values], type=pa.large_string())


def not_plain(texts: pa.Array) -> np.ndarray:
    """Per text: whether it is not plain (missing values: False)."""
    if len(texts) == 0:
        return np.zeros(0, dtype=bool)
    odd = pc.match_substring_regex(texts, _NOT_PLAIN).fill_null(False)
    return np.asarray(odd.to_numpy(zero_copy_only=False), dtype=bool)


def may_match(
    texts: pa.Array, pattern: str, *, ignore_case: bool = True, odd: np.ndarray | None = None
) -> np.ndarray:
    """Per text: False where ``pattern`` (RE2 syntax, read case-insensitively unless
    ``ignore_case`` is False) cannot match a plain text; True elsewhere, and for every
    text that is not plain (``odd``: :func:`not_plain` of ``texts``, when known).
    Missing values: False."""
    if len(texts) == 0:
        return np.zeros(0, dtype=bool)
    if odd is None:  # one scan of each text
        either = f"(?-i:{_NOT_PLAIN})|(?{'i' if ignore_case else '-i'}:{pattern})"
        hit = pc.match_substring_regex(texts, either).fill_null(False)
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
    hit = pc.match_substring_regex(texts, pattern, ignore_case=ignore_case).fill_null(False)
    return odd | np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


# --- the finders of masking (:mod:`gupgeo.publication._masking`) ------------------------
# Each pattern is a necessary condition of a finder: the finder's pattern without its
# lookarounds, often only its beginning. Phones and NIR are read on the digits view,
# where 1 to 3 separators between two digits read as spaces: here every separator
# class also holds those separators (:data:`gupgeo.publication.normalise.DIGIT_SEPARATORS`,
# those of a plain text).
_SEPARATORS = "".join(c for c in DIGIT_SEPARATORS if c in PLAIN_CHARS)
_DSEP = f"[{_class(_SEPARATORS)}]"
_NIR_SEP = f"{_DSEP}{{0,3}}"
_PHONE_SEP = f"[{_class(_SEPARATORS + ' .-/' + chr(9) + chr(10) + chr(13))}]"  # _S, \s too
MASKING_QUICK_TESTS: dict[str, tuple[str, bool]] = {
    "iban": (r"[a-z]{2} ?[0-9]{2}(?:[ \t./\\\-_\x{b7}]{0,3}[a-z0-9]{4}){2}", True),
    # NIR: sex, year, month, department, then three digits
    "nir": (
        rf"[12378]{_NIR_SEP}[0-9]{{2}}{_NIR_SEP}(?:0[1-9]|1[0-2]|[2-9][0-9])"
        rf"{_NIR_SEP}(?:[0-9]{{2}}|2[ab]){_NIR_SEP}[0-9]{{3}}",
        True,
    ),
    "phone": (
        "|".join(
            (
                # 0X then eight digits, the letter O for the zero, 0033
                rf"[0o]{_PHONE_SEP}?[1-9](?:{_PHONE_SEP}{{0,3}}[0-9]){{8}}",
                rf"00{_PHONE_SEP}{{0,2}}33",
                # pairs with commas
                rf"0[1-9](?:(?:,|{_PHONE_SEP}{{1,3}})[0-9]{{2}}){{4}}",
                # +33, +CC, (0)
                r"\+",
                r"\([\t\n\r ]{0,2}0",
            )
        ),
        True,
    ),
    "plate_siv": (
        r"[a-hj-np-tv-z]{2}[ .\-_/]{0,2}[0-9]{3}[ .\-_/]{0,2}[a-hj-np-tv-z]{2}",
        True,
    ),
    "plate_fni": (r"[0-9]{1,4}[ .\-]?[A-Z]{1,3}[ .\-]?(?:[0-9]{2}|2[AB]|97[1-6])", False),
    "email_at": (r"[@(\[{<]", True),
    "email_word": (r"arobase|chez|[\t\n\r ]at[\t\n\r ]", True),
    # /home/…, not the slashes of a date (RE2 reads "é" as no word character: more)
    "paths": (r"(?:^|[^\w.~/\\-])/[^/\t\n\r ]{1,100}/|~[\\/]|\\\\|[a-z]:[\\/]|file:/", True),
    # at the start of a word (RE2 reads "é" as no word character: more)
    "civility": (
        r"(?:^|[^\w.'’\-])(?:mme|mr|mlle|melle|madame|monsieur|mademoiselle|mesdames|messieurs)",
        True,
    ),
    "weak": (
        r"(?:M(?:M|e)?|(?i:ma[iî]tre)|Dr|Pr|(?i:docteur|professeur))(?:\.|[\t\n\r ])",
        False,
    ),
    "trigger": ("|".join(TRIGGER_STEMS), True),
}
"""Finder → (RE2 pattern, read case-insensitively). The ESSP finder takes
:data:`gupgeo.publication._essp.HINTS_RE2`."""


def quick_tests(
    texts: pa.Array, tests: dict[str, tuple[str, bool]], *, odd: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Per test of ``tests`` (name → (RE2 pattern, read case-insensitively)), per text:
    whether the text may match (:func:`may_match`; ``odd``: :func:`not_plain`)."""
    odd = not_plain(texts) if odd is None else odd
    return {
        name: may_match(texts, pattern, ignore_case=ignore_case, odd=odd)
        for name, (pattern, ignore_case) in tests.items()
    }
