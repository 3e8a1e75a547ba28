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
  would cite every date or every sentence. Identifiers with a word of at least two
  letters are also found spaced (``DEM 05``, ``ESSP 03 B``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from pandas.api.types import is_integer_dtype

from gupgeo.publication._essp import doubtful_demarche, mentions_essp
from gupgeo.publication._masking import is_text_like
from gupgeo.publication.normalise import fold_key
from gupgeo.schemas import normalise_name

ID_COLUMNS = ("id", "id_demarche")
"""Columns whose values identify an ESSP row (:func:`essp_ids`)."""

_GLUE = re.compile(r"(?<=[a-z0-9])[\-_.](?=[a-z0-9])")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
_WORD = re.compile(r"[a-z0-9]+")
_BOUNDARY = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LETTERS = re.compile(r"[a-z]")
_DIGITS = re.compile(r"[0-9]")


def _compact(text: str) -> str:
    """Folded text with dashes, dots and underscores inside words removed and leading
    zeros dropped: its words are identifiers in normal form."""
    return _LEADING_ZEROS.sub("", _GLUE.sub("", fold_key(text)))


def _spaced(text: str) -> str:
    """Folded text as runs of letters or digits separated by one space."""
    folded = _LEADING_ZEROS.sub("", fold_key(text))
    return " ".join(_NON_ALNUM.sub(" ", _BOUNDARY.sub(" ", folded)).split())


def normalise_id(value: object) -> str:
    """The normal form of an identifier (see the module docstring).

    Examples
    --------
    >>> [normalise_id(v) for v in ("ESSP03B", "essp-03b", " E\u200bSSP_3.B ", "C-017")]
    ['essp3b', 'essp3b', 'essp3b', 'c17']
    """
    return _NON_ALNUM.sub("", _compact(str(value)))


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


def _each_distinct(values: pd.Series, test: object) -> np.ndarray:
    """``test`` on each distinct text of a column (False for missing or non-text cells)."""
    cells = values.astype("object")
    try:
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    except TypeError:  # unhashable cells
        return np.array([isinstance(v, str) and bool(test(v)) for v in cells], dtype=bool)  # type: ignore[operator]
    flags = [isinstance(v, str) and bool(test(v)) for v in uniques]  # type: ignore[operator]
    return np.asarray([*flags, False], dtype=bool)[codes]


def essp_rows(frame: pd.DataFrame) -> np.ndarray:
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
    for column in _text_columns(frame):
        out |= _each_distinct(frame[column], mentions_essp)
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
    layers: Mapping[str, pd.DataFrame], *, essp_layers: Iterable[str] = ("constats", "actions")
) -> dict[str, np.ndarray]:
    """Rows of every layer that may not leave the team because of an ESSP.

    In ``essp_layers``: the ESSP rows (:func:`essp_rows`; every row of a ``constats``
    layer without ``demarche``, where an ESSP finding could not be told apart). In
    every layer: the rows citing an identifier of a withheld row (:func:`cites_ids`),
    until no new row is withheld (an action citing an ESSP constat, then a garantie
    citing that action). Other layers are not searched for ESSP wording: masking
    replaces it there.

    Examples
    --------
    >>> layers = {
    ...     "constats": pd.DataFrame({"id": ["C-1", "C-2"], "demarche": ["ESSP", "marche exploratoire"]}),
    ...     "actions": pd.DataFrame({"id": ["A-1", "A-2"], "intitule": ["suite C-1", "bancs"]}),
    ...     "garanties": pd.DataFrame({"objet_id": ["A-1", "OP-3"], "motif": ["fuite", "fuite"]}),
    ... }
    >>> {k: v.tolist() for k, v in withheld_rows(layers).items()}
    {'constats': [True, False], 'actions': [True, False], 'garanties': [True, False]}
    """
    searched = set(essp_layers)
    out: dict[str, np.ndarray] = {}
    for name, frame in layers.items():
        if name == "constats" and "demarche" not in frame.columns:
            out[name] = np.ones(len(frame), dtype=bool)
        elif name in searched:
            out[name] = essp_rows(frame)
        else:
            out[name] = np.zeros(len(frame), dtype=bool)
    ids = set().union(*(essp_ids(layers[n], rows=r) for n, r in out.items())) if out else set()
    for _ in range(len(layers) + 1):  # each round withholds more rows or stops
        if not ids:
            break
        new_ids: set[str] = set()
        for name, frame in layers.items():
            more = cites_ids(frame, ids) & ~out[name]
            if more.any():
                out[name] = out[name] | more
                new_ids |= essp_ids(frame, rows=more)
        new_ids -= ids
        if not new_ids:
            break
        ids |= new_ids
    return out


def _citing(ids: set[str]) -> tuple[object, object]:
    """Two tests on a text: does an identifier cell cite ``ids``, does a free text?"""
    mixed = {i for i in ids if _LETTERS.search(i) and _DIGITS.search(i)}
    spaced: dict[str, str] = {}
    for key in mixed:
        runs = _spaced(key).split()
        if any(len(w) > 1 and w.isalpha() for w in runs):
            spaced[" ".join(runs)] = runs[0]
    firsts = set(spaced.values())

    def in_id_cell(text: str) -> bool:
        compact = _compact(text)
        return bool(ids.intersection(_WORD.findall(compact))) or (
            _NON_ALNUM.sub("", compact) in ids
        )

    def in_text(text: str) -> bool:
        if mixed.intersection(_WORD.findall(_compact(text))):
            return True
        if not spaced:
            return False
        runs = _spaced(text)
        if not firsts.intersection(runs.split()):
            return False
        padded = f" {runs} "
        return any(f" {s} " in padded for s in spaced)

    return in_id_cell, in_text


def cites_ids(frame: pd.DataFrame, ids: Iterable[str]) -> np.ndarray:
    """Rows of ``frame`` whose identifier or text columns cite one of ``ids`` (raw or
    normal forms; see the module docstring for what "cite" means).

    Examples
    --------
    >>> actions = pd.DataFrame({"id": ["A1", "A2", "A3"],
    ...                         "intitule": ["suite au constat C-017", "suite ESSP03B", "il y a 17 bancs"]})
    >>> cites_ids(actions, {"c17", "essp-03b"}).tolist()
    [True, True, False]
    """
    wanted = {k for k in (normalise_id(i) for i in ids) if k}
    out = np.zeros(len(frame), dtype=bool)
    if not wanted or frame.empty:
        return out
    in_id_cell, in_text = _citing(wanted)
    texts = _text_columns(frame)
    for column in texts:
        test = in_id_cell if is_id_column(column) else in_text
        out |= _each_distinct(frame[column], test)
    for column in frame.columns:  # identifiers stored as integers
        values = frame[column]
        if column not in texts and is_id_column(column) and is_integer_dtype(values.dtype):
            keys = values.astype("Int64").astype("string").fillna("")
            out |= keys.isin(wanted).to_numpy(dtype=bool)
    return out
