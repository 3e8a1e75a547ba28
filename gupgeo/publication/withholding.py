"""ESSP findings withheld from every shared output, and every row that cites one.

Findings of an étude de sûreté et de sécurité publique are legally not communicable.
Outside ``interne`` a ``constats`` row is withheld when its démarche, any identifier
or any text cites an ESSP, or when its démarche is unknown or vague
(:func:`essp_mask`, the one rule); then a row of *any* layer (an action, a
guarantee…) whose text or identifiers cite the identifier of a withheld finding is
withheld too (:func:`cites_withheld`), except in the reference layers (quartiers,
operations, équipements), whose texts are masked instead. The vocabulary is
:mod:`gupgeo.publication._essp`'s.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.publication._essp import doubtful_demarche, mentions_essp
from gupgeo.publication._masking import is_text_like
from gupgeo.publication.columns import _geometry_name
from gupgeo.storage.parquet import is_dask

ID_COLUMNS: tuple[str, ...] = ("id", "id_demarche")
REFERENCE_LAYERS: frozenset[str] = frozenset(
    {"quartiers", "operations", "equipements", "partenaires"}
)
"""Layers describing places and bodies, not events: a row citing an ESSP keeps its
place (its texts are masked, :func:`gupgeo.publication.scrub_text`)."""
"""Identifiers of a withheld finding that other rows may cite."""
_MIN_ID_CHARS = 3
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def is_essp(demarche: pd.Series) -> pd.Series:
    """True where a ``demarche`` is, or could be, an ESSP (unknown values included).

    See :func:`gupgeo.publication._essp.doubtful_demarche` for the rule.

    Examples
    --------
    >>> is_essp(pd.Series(["Étude de sûreté", "diagnostic en marchant", " "])).tolist()
    [True, False, True]
    """
    flags = _flags(demarche, doubtful_demarche, missing=True)
    return pd.Series(flags, index=demarche.index, dtype=bool)


def cites_essp(frame: pd.DataFrame) -> np.ndarray:
    """Rows where any text column (identifiers included) cites an ESSP.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["A1", "A2"], "intitule": ["suite ESSP-01", "tags"]})
    >>> cites_essp(frame).tolist()
    [True, False]
    """
    out = np.zeros(len(frame), dtype=bool)
    geometry = _geometry_name(frame)
    for column in frame.columns:
        if column != geometry and is_text_like(frame[column]):
            out |= _flags(frame[column], mentions_essp, missing=False)
    return out


def _flags(values: pd.Series, test: Any, *, missing: bool) -> np.ndarray:
    """``test`` on each distinct value of a column; ``missing`` for missing cells."""
    cells = values.astype("object")
    try:
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    except TypeError:
        return np.array([bool(test(v)) for v in cells], dtype=bool)
    flags = np.array([bool(test(v)) for v in uniques] + [missing], dtype=bool)
    return flags[codes]


def essp_mask(constats: pd.DataFrame) -> np.ndarray:
    """Rows of a ``constats`` layer that may not leave the team (the one ESSP rule).

    True where :func:`is_essp` says so of the ``demarche``, where any text or identifier
    cites an ESSP (:func:`cites_essp`: "ESSP-03" in ``id_demarche``, "audit de sûreté"
    in a recommendation…), and on every row when the layer has no ``demarche`` column
    (an ESSP finding could not be told apart).
    """
    if "demarche" not in constats.columns:
        return np.ones(len(constats), dtype=bool)
    return is_essp(constats["demarche"]).to_numpy(dtype=bool) | cites_essp(constats)


def _id_key(value: object) -> str:
    """An identifier as compared: NFKC, no zero-width, letters and digits only, folded."""
    text = unicodedata.normalize("NFKC", str(value)).translate(_ZERO_WIDTH).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def withheld_ids(constats: pd.DataFrame, withheld: np.ndarray) -> frozenset[str]:
    """Identifiers (``id``, ``id_demarche``) of the withheld findings, as compared, and the
    ``diagnostic_id`` (the former ``id_demarche``) of a study none of whose findings is
    kept: an ESSP, not a walk that also had a finding withheld."""
    keys: set[str] = set()
    for column in ID_COLUMNS:
        if column in constats.columns:
            values = constats.loc[withheld, column].dropna()
            keys.update(k for k in map(_id_key, values) if len(k) >= _MIN_ID_CHARS)
    if "diagnostic_id" in constats.columns:
        studies = constats["diagnostic_id"].map(lambda v: "" if pd.isna(v) else _id_key(v))
        kept = set(studies.loc[~withheld])
        keys.update(k for k in studies.loc[withheld] if len(k) >= _MIN_ID_CHARS and k not in kept)
    return frozenset(keys)


def cites_withheld(frame: pd.DataFrame, ids: Iterable[str]) -> np.ndarray:
    """Rows where a text or identifier cites one of ``ids`` (glued, spaced, any case).

    A cell cites an identifier when the identifier's letters and digits appear in the
    cell's letters and digits, not followed by another digit (``C-0012`` does not
    cite ``C-001``).

    Examples
    --------
    >>> frame = pd.DataFrame({"intitule": ["suite au constat ess p03b", "RAS", "C-0012"]})
    >>> cites_withheld(frame, {"essp03b", "c001"}).tolist()
    [True, False, False]
    """
    keys = sorted(set(ids))
    out = np.zeros(len(frame), dtype=bool)
    if not keys or frame.empty:
        return out
    pattern = re.compile("|".join(re.escape(k) + r"(?!\d)" for k in keys))
    geometry = _geometry_name(frame)
    for column in frame.columns:
        if column == geometry or not is_text_like(frame[column]):
            continue
        out |= _flags(frame[column], lambda v: bool(pattern.search(_id_key(v))), missing=False)
    return out


def withhold_essp(
    layers: Mapping[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame | None], dict[str, int], list[str], frozenset[str]]:
    """Every layer without its ESSP rows: findings (:func:`essp_mask`), rows citing an ESSP
    (:func:`cites_essp`, on ``actions``) and rows of any layer citing a withheld finding.

    Returns the layers (None: withheld whole), the rows withheld per layer, French notes
    (counts only, never a value) and the withheld identifiers (as compared). A Dask
    layer is left as it is: :mod:`gupgeo.publication.distributed` drops its rows.
    """
    out: dict[str, pd.DataFrame | None] = dict(layers)
    withheld: dict[str, int] = {}
    notes: list[str] = []
    ids: frozenset[str] = frozenset()
    constats = layers.get("constats")
    if constats is not None:
        if "demarche" not in constats.columns:
            out["constats"] = None
            withheld["constats"] = len(constats)
            notes.append("constats : couche retirée (colonne demarche absente, ESSP non exclus)")
        else:
            mask_ = essp_mask(constats)
            ids = withheld_ids(constats, mask_)
            out["constats"] = constats.loc[~mask_]
            withheld["constats"] = int(mask_.sum())
            notes.append(
                f"constats : {int(mask_.sum())} retiré(s) (ESSP par démarche, identifiant ou "
                "texte, ou démarche non renseignée)"
            )
    for name in layers:
        kept = out[name]
        if kept is None or name in REFERENCE_LAYERS or is_dask(kept):
            continue
        mask_ = cites_withheld(kept, ids)
        if name == "actions":
            mask_ |= cites_essp(kept)
        if name == "actions" or mask_.any():
            notes.append(
                f"{name} : {int(mask_.sum())} retiré(s) (mention d'une ESSP ou d'un "
                "constat ESSP retiré)"
            )
        if mask_.any():
            out[name] = kept.loc[~mask_]
            withheld[name] = withheld.get(name, 0) + int(mask_.sum())
    return out, {k: v for k, v in withheld.items() if v}, notes, ids
