"""One lifecycle for signalements, whatever the source's vocabulary.

Canonical statuses (``gupgeo.schemas.STATUTS``): nouveau, pris en compte,
programmé, en cours, résolu, clos autre. The raw value is always kept beside the
canonical one (column ``statut_brut``); a raw value nobody knows maps to
``None`` and is reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gupgeo.schemas import normalise_name

_RAW_TO_CANONICAL: dict[str, str] = {
    # nouveau
    "nouveau": "nouveau",
    "nouvelle": "nouveau",
    "new": "nouveau",
    "open": "nouveau",
    "ouvert": "nouveau",
    "a_traiter": "nouveau",
    "recu": "nouveau",
    "soumis": "nouveau",
    "unconfirmed": "nouveau",
    "confirmed": "pris en compte",
    # pris en compte
    "pris_en_compte": "pris en compte",
    "acknowledged": "pris en compte",
    "action_scheduled": "programmé",
    "transmis": "pris en compte",
    "transfere": "pris en compte",
    "qualifie": "pris en compte",
    "investigating": "pris en compte",
    # programmé
    "programme": "programmé",
    "planifie": "programmé",
    "planned": "programmé",
    "scheduled": "programmé",
    # en cours
    "en_cours": "en cours",
    "en_cours_de_traitement": "en cours",
    "in_progress": "en cours",
    "en_traitement": "en cours",
    # résolu
    "resolu": "résolu",
    "traite": "résolu",
    "realise": "résolu",
    "termine": "résolu",
    "fixed": "résolu",
    "closed": "résolu",
    "clos": "résolu",
    "cloture": "résolu",
    "ferme": "résolu",
    "solde": "résolu",
    # clos autre (doublon, hors compétence…)
    "clos_autre": "clos autre",
    "doublon": "clos autre",
    "duplicate": "clos autre",
    "hors_competence": "clos autre",
    "not_responsible": "clos autre",
    "internal_referral": "clos autre",
    "no_further_action": "clos autre",
    "sans_suite": "clos autre",
    "rejete": "clos autre",
    "annule": "clos autre",
    "unable_to_fix": "clos autre",
    "not_councils_responsibility": "clos autre",
}


_BY_KEY: dict[str, str] = {normalise_name(k): v for k, v in _RAW_TO_CANONICAL.items()}


def canonical_status(raw: str | None, vocabulary: Mapping[str, str] | None = None) -> str | None:
    """Map one raw status onto the canonical lifecycle, ``None`` if unknown.

    ``vocabulary`` (raw value → canonical status, e.g. from a ``gupgeo.toml``
    manifest) is looked up first, with the same normalisation.

    Examples
    --------
    >>> canonical_status("Clôturé")
    'résolu'
    >>> canonical_status("Hors compétence")
    'clos autre'
    >>> canonical_status("open")
    'nouveau'
    >>> canonical_status("???") is None
    True
    >>> canonical_status("Attente régie", {"attente régie": "programmé"})
    'programmé'
    """
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    key = normalise_name(str(raw))
    if vocabulary:
        own = {normalise_name(k): v for k, v in vocabulary.items()}
        if key in own:
            return own[key]
    return _BY_KEY.get(key)


def canonical_statuses(raw: pd.Series, vocabulary: Mapping[str, str] | None = None) -> pd.Series:
    """Vectorised :func:`canonical_status` over a column (unique values mapped once)."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    mapped = np.array([canonical_status(u, vocabulary) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=raw.index, dtype="object")
