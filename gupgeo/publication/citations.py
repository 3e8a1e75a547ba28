"""Which rows are ESSP, and which rows of any layer cite them.

An ESSP finding withheld from a shared output must not come back through a row that
cites it: an action "suite au constat C-017", a garantie whose ``objet_id`` is the
démarche ``DEM-05`` of an ESSP. :func:`essp_ids` gives the identifiers of the ESSP
rows of a layer, :func:`cites_ids` the rows of any layer that cite one of them.

Identifiers are compared in a normal form (:func:`normalise_id`): accents, case,
zero-width characters, dashes, dots and underscores inside the identifier and leading
zeros of its numbers do not count, so ``ESSP03B``, ``essp-03b``, ``ESSP_3B`` and
``E\u200bSSP-03-B`` are one identifier, ``essp3b``.

- In an identifier column (``id``, ``id_*``, ``*_id``, ``ref*``…) a cell cites an
  identifier when one of its words (``ESSP-03 / C-12`` has two) is that identifier.
- In any other text column, a word cites an identifier only when the identifier mixes
  letters and digits (``C-017``, ``DEM05``): a number alone (``12``) or a word alone
  would cite every date or every sentence. Between a single letter and a number only a
  dash, a dot or an underscore may stand (``C-017``, not "bâtiment C 17"); elsewhere up
  to two spaces or separators (``DEM 05``, ``ESSP - 03 B``).

All the identifiers are searched with one regular expression (shared prefixes written
once): a text is scanned once, in C, whatever the number of identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import is_integer_dtype

from gupgeo.publication._essp import (
    HINTS_RE2,
    doubtful_demarche,
    mentions_essp,
    might_mention_essp,
)
from gupgeo.publication._masking import is_text_like
from gupgeo.publication._prefilter import as_array, may_match, not_plain
from gupgeo.publication.normalise import NON_ALNUM, fold_key, view_text
from gupgeo.schemas import normalise_name

ID_COLUMNS = ("id", "id_demarche")
"""Columns whose values identify an ESSP row (:func:`essp_ids`)."""

# each starts with a character, not an assertion: the engine then skips to candidates
_GLUE = re.compile(r"[\-_.](?<=[a-z0-9][\-_.])(?=[a-z0-9])")
_LEADING_ZEROS = re.compile(r"0(?<![0-9]0)0*(?=[0-9])")
_LETTERS = re.compile(r"[a-z]")
_DIGITS = re.compile(r"[0-9]")


def _compact(text: str) -> str:
    """Folded text with dashes, dots and underscores inside words removed and leading
    zeros dropped: its words are identifiers in normal form."""
    return _LEADING_ZEROS.sub("", _GLUE.sub("", fold_key(text)))


def normalise_id(value: object) -> str:
    """The normal form of an identifier (see the module docstring).

    Examples
    --------
    >>> [normalise_id(v) for v in ("ESSP03B", "essp-03b", " E\u200bSSP_3.B ", "C-017")]
    ['essp3b', 'essp3b', 'essp3b', 'c17']
    """
    return NON_ALNUM.sub("", _compact(str(value)))


def is_id_column(column: object) -> bool:
    """Whether a column holds identifiers (``id``, ``id_demarche``, ``objet_id``, ``ref``…).

    Examples
    --------
    >>> [is_id_column(c) for c in ("id", "ID_DEMARCHE", "objet_id", "reference", "intitule")]
    [True, True, True, True, False]
    """
    key = normalise_name(str(column))
    parts = key.split("_")
    return key in {"id", "identifiant", "numero", "num", "ref", "reference"} or bool(
        {"id", "ref", "identifiant", "reference"}.intersection(parts)
    )


def _text_columns(frame: pd.DataFrame) -> list[object]:
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return [c for c in frame.columns if c != geometry and is_text_like(frame[c])]


class FoldedTexts:
    """What one withholding reads of its texts, each worked out once: the distinct
    values of a column, and the lower-case detection view of a text (read again by
    every round of :func:`withheld_rows`). Lives as long as one withholding."""

    def __init__(self) -> None:
        self._lower: dict[str, str] = {}
        self._ids: dict[str, str] = {}
        self._distinct: dict[tuple[int, object], tuple[pd.DataFrame, Any]] = {}
        self._tests: dict[frozenset[str], tuple[Any, Any, str | None]] = {}
        self._arrays: dict[tuple[int, object], tuple[pd.DataFrame, Any, np.ndarray]] = {}

    def lower(self, text: str) -> str:
        """The detection view of ``text`` in lower case (identifiers are ASCII:
        accents need not go)."""
        low = self._lower.get(text)
        if low is None:
            low = (text if text.isascii() else view_text(text)).lower()
            self._lower[text] = low
        return low

    def normal_id(self, text: str) -> str:
        """:func:`normalise_id` of ``text``."""
        key = self._ids.get(text)
        if key is None:
            key = self._ids[text] = normalise_id(text)
        return key

    def tests(self, ids: set[str]) -> tuple[Any, Any, str | None]:
        """The two tests of :func:`_citing` for ``ids`` and their quick test (built
        once per set)."""
        key = frozenset(ids)
        found = self._tests.get(key)
        if found is None:
            found = self._tests[key] = _citing(ids, self)
        return found

    def distinct(self, frame: pd.DataFrame, column: object) -> tuple[np.ndarray, Any] | None:
        """Codes and distinct values (an array) of a column (None: unhashable cells)."""
        key = (id(frame), column)
        hit = self._distinct.get(key)
        if hit is not None and hit[0] is frame:
            return hit[1]
        try:
            codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
            values = uniques.array if isinstance(uniques, pd.Index) else uniques
            found: tuple[np.ndarray, Any] | None = (codes, values)
        except TypeError:
            found = None
        self._distinct[key] = (frame, found)  # the frame kept: its id stays its own
        return found

    def maybe(self, frame: pd.DataFrame, column: object, pattern: str) -> np.ndarray:
        """Per distinct value of a column (:meth:`distinct`, which must not be None):
        whether it may match ``pattern`` (:func:`gupgeo.publication._prefilter.may_match`)."""
        key = (id(frame), column)
        hit = self._arrays.get(key)
        if hit is None or hit[0] is not frame:
            found = self.distinct(frame, column)
            assert found is not None
            texts = as_array(found[1])
            hit = self._arrays[key] = (frame, texts, not_plain(texts))
        return may_match(hit[1], pattern, odd=hit[2])


def _each_distinct(
    frame: pd.DataFrame,
    column: object,
    test: Any,
    texts: FoldedTexts,
    quick: str | bool | None = True,
) -> np.ndarray:
    """``test`` on each distinct text of a column (False for missing or non-text cells).

    ``quick``: the RE2 pattern of a column-wide quick test
    (:func:`gupgeo.publication._prefilter.may_match`): ``test`` then runs only on the
    texts that may match it (None: on none); True: on every text."""
    found = texts.distinct(frame, column)
    if found is None:  # unhashable cells
        cells = frame[column].astype("object")
        return np.array([isinstance(v, str) and bool(test(v)) for v in cells], dtype=bool)
    codes, uniques = found
    if quick is True:
        flags = np.array([isinstance(v, str) and bool(test(v)) for v in uniques], dtype=bool)
    else:
        flags = np.zeros(len(uniques), dtype=bool)
        if isinstance(quick, str):
            for i in np.flatnonzero(texts.maybe(frame, column, quick)):
                value = uniques[i]
                flags[i] = isinstance(value, str) and bool(test(value))
    return np.append(flags, False)[codes]


def simple_normal_ids(texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """For texts (an Arrow string array, :func:`~gupgeo.publication._prefilter.as_array`):
    which are *simple* (ASCII letters and digits only, the usual identifier: ``123456``,
    ``SIG2024A``) and, for those, their :func:`normalise_id` in one vectorised pass
    (lower case, leading zeros of each digit run dropped).

    Examples
    --------
    >>> simple, keys = simple_normal_ids(as_array(["007", "C017", "a0b", "C-017", None]))
    >>> simple.tolist(), keys.to_pylist()[:3]
    ([True, True, True, False, False], ['7', 'c17', 'a0b'])
    """
    simple = pc.fill_null(pc.match_substring_regex(texts, r"^[A-Za-z0-9]+$"), False)
    keys = pc.replace_substring_regex(pc.utf8_lower(texts), r"(^|[a-z])0+([0-9])", r"\1\2")
    return np.asarray(simple.to_numpy(zero_copy_only=False), dtype=bool), keys


def _id_cells(
    frame: pd.DataFrame,
    column: object,
    wanted: set[str],
    test: Any,
    texts: FoldedTexts,
    quick: str | None,
    max_chars: int | None,
) -> np.ndarray | None:
    """:func:`_each_distinct` of an identifier column's ``test``, its simple values
    (:func:`simple_normal_ids`) compared to ``wanted`` at once and searched as text
    only where the free-text quick test ``quick`` says they may cite one (None: they
    cannot); the other values go through ``test``. None when the column's values are
    not hashable."""
    found = texts.distinct(frame, column)
    if found is None:
        return None
    codes, uniques = found
    strings = as_array(uniques)
    simple, keys = simple_normal_ids(strings)
    if max_chars is not None:
        lengths = pc.fill_null(pc.utf8_length(strings), 0).to_numpy(zero_copy_only=False)
        simple &= lengths <= max_chars
    flags = simple & np.asarray(
        pc.fill_null(pc.is_in(keys, value_set=pa.array(sorted(wanted))), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    maybe = texts.maybe(frame, column, quick) if quick is not None else np.zeros_like(flags)
    for i in np.flatnonzero(
        (~simple & strings.is_valid().to_numpy(zero_copy_only=False)) | (maybe & ~flags)
    ):
        flags[i] = bool(test(uniques[i]))
    return np.append(flags, False)[codes]


def essp_rows(frame: pd.DataFrame, *, texts: FoldedTexts | None = None) -> np.ndarray:
    """Rows that are (or may be) ESSP: a ``demarche`` that :func:`doubtful_demarche`
    holds, or any text or identifier citing an ESSP (``mentions_essp``).

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["C1", "C2", "C3"],
    ...                       "demarche": ["marche exploratoire", "E S S P", None]})
    >>> essp_rows(frame).tolist()
    [False, True, True]
    """
    out = np.zeros(len(frame), dtype=bool)
    if "demarche" in frame.columns:
        demarche = frame["demarche"].astype("object")
        out |= np.array([doubtful_demarche(v) for v in demarche], dtype=bool)
    texts = FoldedTexts() if texts is None else texts

    def cites_essp(text: str) -> bool:
        return might_mention_essp(texts.lower(text)) and mentions_essp(text)

    for column in _text_columns(frame):
        out |= _each_distinct(frame, column, cites_essp, texts, HINTS_RE2)
    return out


def essp_ids(frame: pd.DataFrame, *, rows: np.ndarray | None = None) -> set[str]:
    """Normal forms (:func:`normalise_id`) of the ``id`` and ``id_demarche`` of the ESSP
    rows of a layer (``rows``, by default :func:`essp_rows`: doubtful démarches
    included, since they are withheld too).

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["C-001", "C-002"], "id_demarche": ["DEM-05", "DEM-06"],
    ...                       "demarche": ["ESSP", "diagnostic en marchant"]})
    >>> sorted(essp_ids(frame))
    ['c1', 'dem5']
    """
    chosen = essp_rows(frame) if rows is None else np.asarray(rows, dtype=bool)
    out: set[str] = set()
    for column in ID_COLUMNS:
        if column in frame.columns:
            for value in frame.loc[chosen, column]:
                if not isinstance(value, str | int | np.integer):
                    continue
                key = normalise_id(value)
                if key and not _MADE_UP.fullmatch(key):
                    out.add(key)
    return out


_MADE_UP = re.compile(r"ligne\d+")
"""Identifiers the validation made from line numbers (``ligne-12``): no other file can
cite them, and "ligne 12" is a bus line in a description."""


def withheld_rows(
    layers: Mapping[str, pd.DataFrame],
    *,
    essp_layers: Iterable[str] = ("constats", "actions"),
    columns: Mapping[str, Iterable[object]] | None = None,
    exempt_layers: Iterable[str] = (),
    texts: FoldedTexts | None = None,
    max_chars: int | None = None,
) -> dict[str, np.ndarray]:
    """Rows of every layer that may not leave the team because of an ESSP.

    In ``essp_layers``: the ESSP rows (:func:`essp_rows`; every row of a ``constats``
    layer without ``demarche``, where an ESSP finding could not be told apart). In
    every layer: the rows citing an identifier of a withheld row (:func:`cites_ids`),
    until no new row is withheld (an action citing an ESSP constat, then a garantie
    citing that action). Other layers are not searched for ESSP wording: masking
    replaces it there. Layers in ``exempt_layers`` (places and bodies: quartiers,
    opérations, équipements) are never withheld for a citation. In a layer whose
    ``columns`` are given (the columns that leave), only the first ``max_chars``
    characters of a text are read: the rest never leaves either. ``columns`` (layer →
    columns) limits the search for citations to those columns of a layer (by default every text
    column: about 3 s of CPU for
    16,000 cells of 10,000 characters).

    Examples
    --------
    >>> layers = {
    ...     "constats": pd.DataFrame(
    ...         {"id": ["C-1", "C-2"], "demarche": ["ESSP", "marche exploratoire"]}
    ...     ),
    ...     "actions": pd.DataFrame({"id": ["A-1", "A-2"], "intitule": ["suite C-1", "bancs"]}),
    ...     "garanties": pd.DataFrame({"objet_id": ["A-1", "OP-3"], "motif": ["fuite", "fuite"]}),
    ... }
    >>> {k: v.tolist() for k, v in withheld_rows(layers).items()}
    {'constats': [True, False], 'actions': [True, False], 'garanties': [True, False]}
    """
    searched = set(essp_layers)
    exempt = set(exempt_layers)
    texts = FoldedTexts() if texts is None else texts
    out: dict[str, np.ndarray] = {}
    for name, frame in layers.items():
        if name == "constats" and "demarche" not in frame.columns:
            out[name] = np.ones(len(frame), dtype=bool)
        elif name in searched:
            out[name] = essp_rows(frame, texts=texts)
        else:
            out[name] = np.zeros(len(frame), dtype=bool)
    ids = set().union(*(essp_ids(layers[n], rows=r) for n, r in out.items())) if out else set()
    searching = ids  # each round looks for the identifiers withheld by the one before
    for _ in range(len(layers) + 1):  # each round withholds more rows or stops
        if not searching:
            break
        new_ids: set[str] = set()
        for name, frame in layers.items():
            if name in exempt:
                continue
            wanted = None if columns is None or name not in columns else columns[name]
            chars = None if wanted is None else max_chars
            more = cites_ids(frame, searching, columns=wanted, texts=texts, max_chars=chars)
            more &= ~out[name]
            if more.any():
                out[name] = out[name] | more
                new_ids |= essp_ids(frame, rows=more)
        searching = new_ids - ids
        ids |= searching
    return out


_RUN = re.compile(r"[a-z]+|[0-9]+")
_TIGHT = r"[\-_.]?"  # around a single letter: "C-017", "c017", not "bâtiment C 17"
_LOOSE = r"[\-_. ]{0,2}"  # "DEM 05", "ESSP - 03 B"


def _runs(key: str) -> tuple[str, ...]:
    """The runs of letters or digits of an identifier in normal form."""
    return tuple(_RUN.findall(key))


def _trie_pattern(keys: Iterable[tuple[str, ...]], *, assertions: bool = True) -> str:
    """One regular expression for every identifier (runs of letters or digits), shared
    prefixes written once, so that a text is scanned once whatever the number of ids.
    Without ``assertions`` (RE2 has no lookaround): the same without the checks that
    no letter or digit stands before or after (it then matches more)."""
    trie: dict[str, Any] = {}
    for runs in keys:
        node = trie
        for run in runs:
            node = node.setdefault(run, {})
        node[""] = {}

    def emit(node: dict[str, Any], previous: str) -> str:
        options = []
        for run, child in sorted(node.items()):
            if not run:
                options.append(r"(?![a-z0-9])" if assertions else "")
                continue
            body = f"0*{run}" if run.isdigit() else re.escape(run)
            if previous:
                tight = (len(previous) == 1 and previous.isalpha()) or (
                    len(run) == 1 and run.isalpha()
                )
                body = (_TIGHT if tight else _LOOSE) + body
            options.append(body + emit(child, run))
        return options[0] if len(options) == 1 else f"(?:{'|'.join(options)})"

    # the first character, then "not preceded by a letter or digit": the engine then
    # jumps from candidate to candidate (a leading assertion would make it try every
    # position)
    options = []
    for run, child in sorted(trie.items()):
        if run.isdigit():
            before = r"(?<![a-z0-9])" if assertions else ""
            options.append(rf"{before}0*{run}{emit(child, run)}")
        else:
            first = re.escape(run[0])
            before = rf"(?<![a-z0-9]{first})" if assertions else ""
            options.append(rf"{first}{before}{re.escape(run[1:])}{emit(child, run)}")
    return "|".join(options)


MAX_CITED_ID = 100
"""Longest identifier (normal form) looked for inside a text: a longer "identifier" is a
sentence typed in an identifier column, found only as the whole of an identifier cell
(and would make a pattern too long to compile)."""


def _citing(ids: set[str], texts: FoldedTexts) -> tuple[object, object, str | None]:
    """Two tests on a text: does an identifier cell cite ``ids``, does a free text?
    Identifiers mixing letters and digits are searched in both; the others only as
    the whole of an identifier cell. Third, the column-wide quick test of a free
    text (RE2; None: no free text can cite ``ids``)."""
    mixed = {i for i in ids if len(i) <= MAX_CITED_ID and _LETTERS.search(i) and _DIGITS.search(i)}
    found = re.compile(_trie_pattern(_runs(i) for i in mixed)) if mixed else None
    quick = _trie_pattern((_runs(i) for i in mixed), assertions=False) if mixed else None
    firsts = {_runs(i)[0] for i in mixed}
    # an identifier starting with letters is only looked for in a text holding them:
    # one fast substring search each before the regular expression
    hints = () if any(f.isdigit() for f in firsts) else tuple(sorted(firsts))

    def in_text(text: str) -> bool:
        if found is None:
            return False
        low = texts.lower(text)
        if hints and not any(h in low for h in hints):
            return False
        return found.search(low) is not None

    def in_id_cell(text: str) -> bool:
        return texts.normal_id(text) in ids or in_text(text)

    return in_id_cell, in_text, quick


def _cut_id_test(
    in_id_cell: Any, in_text: Any, ids: set[str], texts: FoldedTexts, max_chars: int | None
) -> Any:
    """The test of an identifier cell: the whole cell is an identifier, or its first
    ``max_chars`` characters cite one."""
    if max_chars is None:
        return in_id_cell
    return lambda text: texts.normal_id(text) in ids or in_text(text[:max_chars])


def _first(test: Any, max_chars: int | None) -> Any:
    """``test`` on the first ``max_chars`` characters of a text (all when None)."""
    if max_chars is None:
        return test
    return lambda text: test(text[:max_chars])


def cites_ids(
    frame: pd.DataFrame,
    ids: Iterable[str],
    *,
    columns: Iterable[object] | None = None,
    texts: FoldedTexts | None = None,
    max_chars: int | None = None,
) -> np.ndarray:
    """Rows of ``frame`` whose identifier or text columns cite one of ``ids`` (raw or
    normal forms; see the module docstring for what "cite" means). With ``max_chars``,
    only the first ``max_chars`` characters of a text are read (the part that leaves).

    Examples
    --------
    >>> actions = pd.DataFrame(
    ...     {
    ...         "id": ["A1", "A2", "A3"],
    ...         "intitule": ["suite au constat C-017", "suite ESSP03B", "il y a 17 bancs"],
    ...     }
    ... )
    >>> cites_ids(actions, {"c17", "essp-03b"}).tolist()
    [True, True, False]
    """
    wanted = {k for k in (normalise_id(i) for i in ids) if k}
    out = np.zeros(len(frame), dtype=bool)
    if not wanted or frame.empty:
        return out
    texts = FoldedTexts() if texts is None else texts
    in_id_cell, in_text, quick = texts.tests(wanted)
    chosen = None if columns is None else set(columns)
    searched = [c for c in _text_columns(frame) if chosen is None or c in chosen]
    for column in searched:
        if is_id_column(column):
            test = _cut_id_test(in_id_cell, in_text, wanted, texts, max_chars)
            fast = _id_cells(frame, column, wanted, test, texts, quick, max_chars)
            out |= _each_distinct(frame, column, test, texts) if fast is None else fast
        else:
            test = _first(in_text, max_chars)
            out |= _each_distinct(frame, column, test, texts, quick)
    for column in frame.columns:  # identifiers stored as integers
        values = frame[column]
        if chosen is not None and column not in chosen:
            continue
        if column not in searched and is_id_column(column) and is_integer_dtype(values.dtype):
            keys = values.astype("Int64").astype("string").fillna("")
            out |= keys.isin(wanted).to_numpy(dtype=bool)
    return out


def withhold(
    layers: Mapping[str, pd.DataFrame],
    *,
    exempt_layers: Iterable[str] = ("quartiers", "operations", "equipements", "partenaires"),
    columns: Mapping[str, Iterable[object]] | None = None,
) -> tuple[dict[str, pd.DataFrame | None], dict[str, int], list[str]]:
    """Every layer without the rows :func:`withheld_rows` names: the layers (None: a
    ``constats`` layer without ``demarche``, withheld whole), the rows withheld per layer
    and French notes (counts only, never a value) — the shape of
    :func:`gupgeo.publication.withholding.withhold_essp`.

    Examples
    --------
    >>> layers = {"constats": pd.DataFrame({"id": ["C-1", "C-2"], "demarche": ["ESP", "marche"]}),
    ...           "actions": pd.DataFrame({"id": ["A-1"], "intitule": ["suite C-1"]})}
    >>> kept, withheld, notes = withhold(layers)
    >>> kept["constats"]["id"].tolist(), withheld
    (['C-2'], {'constats': 1, 'actions': 1})
    """
    rows = withheld_rows(layers, exempt_layers=exempt_layers, columns=columns)
    out: dict[str, pd.DataFrame | None] = {}
    withheld: dict[str, int] = {}
    notes: list[str] = []
    for name, frame in layers.items():
        chosen = rows[name]
        if name == "constats" and "demarche" not in frame.columns:
            out[name] = None
            withheld[name] = len(frame)
            notes.append("constats : couche retirée (colonne demarche absente, ESSP non exclus)")
            continue
        out[name] = frame.loc[~chosen] if chosen.any() else frame
        if chosen.any():
            withheld[name] = int(chosen.sum())
        if name == "constats":
            notes.append(
                f"constats : {int(chosen.sum())} retiré(s) (ESSP par démarche, identifiant ou "
                "texte, ou démarche non renseignée)"
            )
        elif chosen.any() or name == "actions":
            notes.append(
                f"{name} : {int(chosen.sum())} retiré(s) (mention d'une ESSP ou d'une ligne "
                "ESSP retirée)"
            )
    return out, withheld, notes
