"""Dégradations: signalements whose category says something was damaged or left behind.

The programme's effect indicator is the *number of dégradations*. Sources name
them differently ("Graffitis, tags, affiches et autocollants" in DansMaRue,
"Tag" in a bailleur's tool), so a :class:`DegradationConfig` maps categories onto
a few dégradation types by keywords. The keywords are matched as whole words of
the normalised text (accents and case ignored): ``sous_categorie`` first, then
``categorie``; the first matching rule wins; no match means "not a dégradation".
An *exclusion* keyword found in a field settles it as not a dégradation (a
"stationnement gênant" filed under "stationnement / épaves" is no wreck).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gupgeo.errors import SchemaError
from gupgeo.indicators.common import (
    attach_notes,
    change,
    rates,
    single,
    stacked,
    with_total,
    words,
)
from gupgeo.indicators.distributed import gather_signalements
from gupgeo.indicators.signalements import (
    Cut,
    PreparedSignalements,
    counts,
    cut,
    prepare_signalements,
    previous_counts,
)
from gupgeo.periods import parse_period

DEFAULT_EXCLUSIONS: tuple[str, ...] = ("stationnement genant", "stationnement gene")

DEFAULT_RULES: tuple[tuple[str, str], ...] = (
    ("tag", "tags et graffitis"),
    ("tags", "tags et graffitis"),
    ("graffiti", "tags et graffitis"),
    ("graffitis", "tags et graffitis"),
    ("affichage sauvage", "tags et graffitis"),
    ("epave", "épaves"),
    ("epaves", "épaves"),
    ("vehicule ventouse", "épaves"),
    ("vehicule abandonne", "épaves"),
    ("vehicules abandonnes", "épaves"),
    ("depot sauvage", "dépôts sauvages"),
    ("depots sauvages", "dépôts sauvages"),
    ("encombrants", "dépôts sauvages"),
    ("objets abandonnes", "dépôts sauvages"),
    ("dechets abandonnes", "dépôts sauvages"),
    ("eclairage", "éclairage"),
    ("lampadaire", "éclairage"),
    ("luminaire", "éclairage"),
    ("candelabre", "éclairage"),
    ("parties communes", "parties communes"),
    ("hall", "parties communes"),
    ("cage d escalier", "parties communes"),
    ("ascenseur", "parties communes"),
    ("boite aux lettres", "parties communes"),
    ("boites aux lettres", "parties communes"),
    ("mobilier urbain", "mobilier urbain"),
    ("mobiliers urbains", "mobilier urbain"),
    ("banc", "mobilier urbain"),
    ("potelet", "mobilier urbain"),
    ("abribus", "mobilier urbain"),
    ("pave endommage", "mobilier urbain"),
    ("jeux degrades", "mobilier urbain"),
    ("vandalisme", "vandalisme"),
    ("degradation", "vandalisme"),
    ("degradations", "vandalisme"),
    ("casse", "vandalisme"),
    ("vitre brisee", "vandalisme"),
)


@dataclass(frozen=True)
class DegradationConfig:
    """Which signalement categories count as dégradations, and of which type.

    Parameters
    ----------
    rules
        ``(keyword, type)`` pairs tried in order; a keyword matches when its words are
        consecutive whole words of the normalised text (``"depot sauvage"`` matches
        "Dépôt sauvage rue Lobin", ``"tag"`` does not match "Stage").
    fields
        Columns looked at, in order (default ``sous_categorie`` then ``categorie``).

    Examples
    --------
    >>> cfg = DegradationConfig()
    >>> cfg.type_of("Graffitis, tags, affiches et autocollants")
    'tags et graffitis'
    >>> cfg.type_of("Propreté") is None
    True
    >>> DegradationConfig.from_mapping({"Banc cassé": "mobilier urbain"}).types
    ('mobilier urbain',)
    """

    rules: tuple[tuple[str, str], ...] = DEFAULT_RULES
    fields: tuple[str, ...] = ("sous_categorie", "categorie")
    exclusions: tuple[str, ...] = DEFAULT_EXCLUSIONS
    _keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _excluded: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = []
        if not self.rules:
            problems.append("aucune règle")
        for rule in self.rules:
            if len(rule) != 2 or not all(isinstance(x, str) and x.strip() for x in rule):
                problems.append(f"règle {rule!r} : attendu un couple (mot-clé, type) non vides")
        if not self.fields:
            problems.append("aucune colonne à examiner (fields)")
        if problems:
            raise SchemaError("configuration des dégradations invalide : " + " ; ".join(problems))
        keys = tuple(f"_{words(k)}_" for k, _ in self.rules)
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_excluded", tuple(f"_{words(k)}_" for k in self.exclusions))

    @classmethod
    def from_mapping(
        cls,
        mapping: Mapping[str, str],
        *,
        fields: tuple[str, ...] = ("sous_categorie", "categorie"),
        exclusions: tuple[str, ...] = (),
    ) -> DegradationConfig:
        """A config from ``{category or keyword: type}`` (exact categories work as keywords)."""
        rules = tuple((str(k), str(v)) for k, v in mapping.items())
        return cls(rules=rules, fields=fields, exclusions=exclusions)

    @property
    def types(self) -> tuple[str, ...]:
        """The dégradation types, in the order of the rules."""
        return tuple(dict.fromkeys(t for _, t in self.rules))

    def type_of(self, text: object) -> str | None:
        """The dégradation type of one category text, ``None`` if it is not one."""
        kind = self.match(text)
        return kind or None

    def match(self, text: object) -> str | None:
        """Type of ``text``; ``""`` when an exclusion settles it; ``None`` when undecided."""
        if text is None or (isinstance(text, float) and np.isnan(text)):
            return None
        norm = f"_{words(str(text))}_"
        if any(key in norm for key in self._excluded):
            return ""
        for key, (_, kind) in zip(self._keys, self.rules, strict=True):
            if key in norm:
                return kind
        return None


def degradation_codes(prep: PreparedSignalements, config: DegradationConfig) -> np.ndarray:
    """Dégradation type per row (index in ``config.types``; ``len(types)``: not one).

    Each distinct text is matched once, so a million rows cost a few factorisations.
    """
    types = config.types
    none, undecided = len(types), len(types) + 1
    out = np.full(prep.n_rows, undecided, dtype=np.int64)
    for column in config.fields:
        if column not in prep.frame.columns:
            continue
        codes, labels = prep.labels(column, empty="")
        found = [config.match(lab) for lab in labels]
        table = np.array(
            [undecided if t is None else none if t == "" else types.index(t) for t in found],
            dtype=np.int64,
        )
        out = np.where(out == undecided, table[codes], out)
    return np.minimum(out, none)


def degradation_table(
    prep: PreparedSignalements, c: Cut, config: DegradationConfig
) -> pd.DataFrame:
    """The ``degradations`` table for every period of the cut (stacked)."""
    types = config.types
    codes = prep.cached(("degradations", config), lambda: degradation_codes(prep, config))
    per = with_total(counts(prep, c, codes, len(types) + 1)[:, :, : len(types)])
    total = per.sum(axis=2)
    data: dict[str, np.ndarray] = {"nb_degradations": total, **rates(prep.zones, total)}
    for j, name in enumerate(types):
        data[name] = per[:, :, j]
    data.update(change(total, previous_counts(prep, c.periods, mask=codes < len(types))))
    return stacked(prep.zones, c.periods, data)


def degradation_counts(
    signalements: pd.DataFrame,
    quartiers: pd.DataFrame,
    *,
    period: object,
    config: DegradationConfig | None = None,
) -> pd.DataFrame:
    """Number of dégradations per quartier, by type, with the change vs. the previous period.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code_qp``; columns ``nb_degradations``, ``par_1000_habitants``,
        ``par_ha``, one count per type of ``config.types``, ``nb_periode_precedente``,
        ``evolution_nb``, ``evolution_pct``.
    """
    config = config or DegradationConfig()
    signalements = gather_signalements(signalements, extra=config.fields)
    prep = prepare_signalements(signalements, quartiers)
    frame = single(degradation_table(prep, cut(prep, (parse_period(period),)), config))
    return attach_notes(frame, prep.notes)
