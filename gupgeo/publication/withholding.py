"""ESSP findings withheld from every shared output, and every row that cites one.

Findings of an étude de sûreté et de sécurité publique are legally not communicable.
Outside ``interne`` a ``constats`` row is withheld when its démarche, any identifier
or any text cites an ESSP, or when its démarche is unknown or vague
(:func:`essp_mask`, the one rule); then a row of *any* layer (an action, a
guarantee…) whose text or identifiers cite the identifier of a withheld finding is
withheld too (:func:`gupgeo.publication.citations.withheld_rows`), except in the
reference layers (quartiers, operations, équipements), whose texts are masked instead. The
vocabulary is
:mod:`gupgeo.publication._essp`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.publication._essp import doubtful_demarche, mentions_essp
from gupgeo.publication._masking import is_text_like
from gupgeo.publication.citations import (
    FoldedTexts,
    cites_ids,
    essp_ids,
    normalise_id,
    withheld_rows,
)
from gupgeo.publication.columns import ALLOWED_COLUMNS, _geometry_name
from gupgeo.storage.parquet import is_dask

REFERENCE_LAYERS: frozenset[str] = frozenset(
    {"quartiers", "operations", "equipements", "partenaires"}
)
"""Layers describing places and bodies, not events: a row citing an ESSP keeps its
place (its texts are masked, :func:`gupgeo.publication.scrub_text`)."""
"""Identifiers of a withheld finding that other rows may cite."""


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


def withhold_essp(
    layers: Mapping[str, pd.DataFrame], *, max_chars: int | None = None
) -> tuple[dict[str, pd.DataFrame | None], dict[str, int], list[str], frozenset[str]]:
    """Every layer without its ESSP rows: findings and actions citing an ESSP
    (:func:`gupgeo.publication.citations.essp_rows`), then the rows of any event layer
    citing a withheld row's identifier, until none is new
    (:func:`gupgeo.publication.citations.withheld_rows`).

    Returns the layers (None: withheld whole), the rows withheld per layer, French notes
    (counts only, never a value) and the withheld identifiers (normal form). A Dask
    layer is left as it is: :mod:`gupgeo.publication.distributed` drops its rows.
    Outside ``constats`` and ``actions``, citations are searched in the columns that
    leave (:data:`gupgeo.publication.columns.ALLOWED_COLUMNS`): a dropped column shows
    nothing. ``max_chars`` limits the search to the first characters of a text; the
    publication step does not use it (a row citing an ESSP finding past the cut may
    describe it before the cut), it is kept for callers that publish whole texts only.
    """
    memory = {n: f for n, f in layers.items() if not is_dask(f)}
    columns = {
        n: ALLOWED_COLUMNS.get(n, frozenset()) | {"code_qp"}
        for n in memory
        if n not in ("constats", "actions")
    }
    texts = FoldedTexts()
    rows = withheld_rows(
        memory, exempt_layers=REFERENCE_LAYERS, columns=columns, texts=texts, max_chars=max_chars
    )
    studies = _withheld_studies(memory.get("constats"), rows.get("constats"), texts)
    if studies:  # rows citing a study none of whose findings is kept (an ESSP's id)
        for name, frame in memory.items():
            if name not in REFERENCE_LAYERS and name != "constats":
                rows[name] = rows[name] | cites_ids(
                    frame,
                    studies,
                    columns=columns.get(name),
                    texts=texts,
                    max_chars=max_chars if name in columns else None,
                )
    ids: set[str] = set()
    out: dict[str, pd.DataFrame | None] = dict(layers)
    withheld: dict[str, int] = {}
    notes: list[str] = []
    for name, chosen in rows.items():
        frame = memory[name]
        ids |= essp_ids(frame, rows=chosen)
        if name == "constats" and "demarche" not in frame.columns:
            out[name] = None
            withheld[name] = len(frame)
            notes.append("constats : couche retirée (colonne demarche absente, ESSP non exclus)")
            continue
        n = int(chosen.sum())
        if n:
            out[name] = frame.loc[~chosen]
            withheld[name] = n
        if name == "constats":
            notes.append(
                f"constats : {n} retiré(s) (ESSP par démarche, identifiant ou texte, ou "
                "démarche non renseignée)"
            )
        elif n or name == "actions":
            notes.append(f"{name} : {n} retiré(s) (mention d'une ESSP ou d'une ligne ESSP retirée)")
    return out, withheld, notes, frozenset(ids | studies)


def _withheld_studies(
    constats: pd.DataFrame | None, withheld: np.ndarray | None, texts: FoldedTexts
) -> set[str]:
    """The ``diagnostic_id`` (normal form) of the studies none of whose findings is kept:
    an ESSP's id (``ESSP-03``), not a walk that also had a finding withheld."""
    if constats is None or withheld is None or "diagnostic_id" not in constats.columns:
        return set()
    studies = constats["diagnostic_id"].map(
        lambda v: (
            "" if pd.isna(v) else texts.normal_id(v) if isinstance(v, str) else normalise_id(v)
        )
    )
    kept = set(studies.loc[~withheld])
    return {k for k in studies.loc[withheld] if k and k not in kept}
