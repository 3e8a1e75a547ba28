"""Category values that may leave the team: the known vocabulary, or common ones.

A label column (``categorie``, ``statut``, ``theme``, ``porteur``…) is where staff type
what a column was not made for ("Plainte Mme X", a phone number). Outside ``interne`` a
value of such a column leaves only if the schema knows it (a status of the lifecycle, a
TFPB axe, a démarche) or if it occurs at least ``min_count`` times in the column;
every other value becomes « autre ». Values are compared normalised (NFKC, case,
accents, spacing), so "Tags", "tags " and "TAGS" count together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from gupgeo.indicators.actions import DONE_STATUSES
from gupgeo.indicators.degradations import DEFAULT_RULES
from gupgeo.indicators.tfpb import match_axis
from gupgeo.schemas import AXES_TFPB, STATUTS, TYPES_PARTENAIRES
from gupgeo.validation.statuses import canonical_status

OTHER = "autre"
"""The value a rare, unknown category becomes."""

LABEL_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "signalements": (
        "categorie",
        "sous_categorie",
        "statut",
        "statut_brut",
        "source",
        "service_responsable",
    ),
    "constats": ("demarche", "theme", "statut", "responsable"),
    "actions": ("theme", "porteur", "statut"),
    "equipements": ("type", "gestionnaire"),
    "tfpb": ("bailleur", "axe"),
    "garanties": ("motif",),
    "partenaires": ("type",),
}
"""Columns of labels, by layer: their values leave only if known or common."""

GUP_CATEGORIES: tuple[str, ...] = (
    "propreté",
    "dépôts sauvages",
    "encombrants",
    "tags",
    "dégradations",
    "éclairage",
    "voirie",
    "espaces verts",
    "PAVE",
    "stationnement / épaves",
    "mobilier urbain",
    "parties communes",
    "aire de jeux",
    "nuisances",
    "tranquillité",
    "sécurité",
    "signalisation",
    "assainissement",
    "animaux",
    "collecte des déchets",
)
"""Categories of signalements met in every GUP source (and the dégradation rules' words)."""
GUP_THEMES: tuple[str, ...] = (
    "accès",
    "cheminements",
    "éclairage",
    "mobilier urbain",
    "propreté",
    "recoins",
    "signalétique",
    "visibilité",
    "cadre de vie",
    "communication",
    "gestion des déchets",
    "participation des habitants",
    "tranquillité",
    "espaces verts",
    "stationnement",
)
"""Themes of constats (prévention situationnelle) and GUP actions."""

# Lists met in GUP files (sources, organisations, équipements, motifs…).
_STATUSES = (
    *STATUTS,
    "ouvert",
    "ouverte",
    "fermé",
    "fermée",
    "traité",
    "traitée",
    "non traité",
    "en attente",
    "à faire",
    "à traiter",
    "prévu",
    "prévue",
    "programmée",
    "réalisé",
    "réalisée",
    "abandonné",
    "abandonnée",
    "annulé",
    "annulée",
    "reporté",
    "reportée",
    "suspendu",
    "suspendue",
    "en retard",
    "clos",
    "close",
    "doublon",
    "hors compétence",
    "sans suite",
    "inconnu",
    *DONE_STATUSES,
)
_ORGANISATIONS = (
    "ville",
    "commune",
    "mairie",
    "métropole",
    "bailleur",
    "bailleurs",
    "bailleur social",
    "État",
    "préfecture",
    "département",
    "région",
    "régie de quartier",
    "centre social",
    "association",
    "conseil citoyen",
    "police municipale",
    "police nationale",
    "gendarmerie",
    "médiation",
    "association de médiation",
    "éducation nationale",
    "syndic",
    "copropriété",
    "prestataire",
    "entreprise",
    "autre",
)
_THEMES = (
    "propreté",
    "parties communes",
    "collecte des déchets",
    "signalisation",
    "éclairage",
    "éclairage public",
    "cheminements",
    "recoins",
    "signalétique",
    "mobilier urbain",
    "accès",
    "accessibilité",
    "visibilité",
    "tranquillité",
    "tranquillité résidentielle",
    "participation des habitants",
    "cadre de vie",
    "gestion des déchets",
    "déchets",
    "encombrants",
    "communication",
    "espaces verts",
    "voirie",
    "stationnement",
    "sécurité",
    "aire de jeux",
    "végétation",
    "dégradations",
    "tags",
    "graffitis",
    "épaves",
    "stationnement / épaves",
    "dépôts sauvages",
    "PAVE",
    "eau",
    "assainissement",
    "nuisances",
    "animaux",
    "jeux",
    "entretien",
    "travaux",
    "circulation",
    "vie sociale",
    "lien social",
    "insertion",
    "autre",
)
_SOURCES = (
    "application",
    "habitant",
    "habitante",
    "locataire",
    "gardien",
    "gardienne",
    "agent de proximité",
    "accueil mairie",
    "accueil",
    "mairie",
    "élu",
    "élue",
    "diagnostic en marchant",
    "marche exploratoire",
    "téléphone",
    "courriel",
    "mail",
    "e-mail",
    "courrier",
    "internet",
    "site internet",
    "formulaire",
    "guichet",
    "DansMaRue",
    "Open311",
    "FixMyStreet",
    "bailleur",
    "ville",
    "métropole",
    "police",
    "association",
    "conseil citoyen",
    "médiateur",
    "médiation",
    "régie de quartier",
    "réseaux sociaux",
    "patrouille",
    "ronde",
    "autre",
)
_DEMARCHES = (
    "diagnostic en marchant",
    "marche exploratoire",
    "ESSP",
    "étude de sûreté et de sécurité publique",
    "prévention situationnelle",
    "visite de site",
    "visite de terrain",
    "diagnostic sécurité des cheminements",
    "réunion de chantier",
    "enquête",
    "concertation",
    "diagnostic partagé",
    "autre",
)
_EQUIPEMENTS = (
    "école",
    "école maternelle",
    "école élémentaire",
    "groupe scolaire",
    "collège",
    "lycée",
    "crèche",
    "centre social",
    "maison de projets",
    "maison de quartier",
    "PAVE",
    "aire de jeux",
    "local gardien",
    "loge",
    "gymnase",
    "city-stade",
    "terrain de sport",
    "stade",
    "piscine",
    "jardin partagé",
    "jardin",
    "parc",
    "square",
    "bibliothèque",
    "médiathèque",
    "mairie annexe",
    "mairie",
    "poste de police",
    "maison de santé",
    "salle polyvalente",
    "salle de quartier",
    "local associatif",
    "commerce",
    "marché",
    "arrêt de bus",
    "arrêt de tram",
    "parking",
    "autre",
)
_CATEGORIES = (
    *_THEMES,
    "objets abandonnés",
    "mobiliers urbains",
    "éclairage / électricité",
    "voirie et espace public",
    "arbres, végétaux et animaux",
    "autos, motos, vélos",
    "graffitis, tags, affiches et autocollants",
    "activités commerciales et professionnelles",
    "problème sur un chantier",
    "espace public",
    *(rule for rule, _ in DEFAULT_RULES),
)
_AXES = (
    *AXES_TFPB,
    *(f"axe {i}" for i in range(1, 9)),
    "renforcement de la présence",
    "personnel de proximité",
    "formation",
    "sur-entretien",
    "gestion des déchets",
    "encombrants",
    "épaves",
    "tranquillité",
    "tranquillité résidentielle",
    "concertation",
    "sensibilisation des locataires",
    "animation",
    "lien social",
    "vivre ensemble",
    "petits travaux",
    "qualité de service",
)
_MOTIFS_GARANTIE = (
    "malfaçon",
    "défaut",
    "désordre",
    "dégradation",
    "sinistre",
    "vandalisme",
    "infiltration",
    "fuite",
    "panne",
    "garantie de parfait achèvement",
    "garantie biennale",
    "garantie décennale",
    "parfait achèvement",
    "infiltrations",
    "infiltrations en toiture",
    "revêtement de sol dégradé",
    "porte de hall défectueuse",
    "jeux non conformes",
    "fissures",
    "fissures sur un mur de soutènement",
    "malfaçon de l'éclairage",
    "autre",
)

KNOWN_VALUES: Mapping[str, tuple[str, ...]] = {
    "categorie": (*GUP_CATEGORIES, *_CATEGORIES),
    "sous_categorie": (*(rule for rule, _ in DEFAULT_RULES), *_CATEGORIES),
    "theme": (*GUP_THEMES, *_THEMES),
    "statut": (*STATUTS, "inconnu", "ouvert", "clos", *_STATUSES),
    "statut_brut": _STATUSES,
    "axe": (*AXES_TFPB, *_AXES),
    "demarche": (*_DEMARCHES, "diagnostic partagé"),
    "source": _SOURCES,
    "porteur": _ORGANISATIONS,
    "gestionnaire": _ORGANISATIONS,
    "responsable": _ORGANISATIONS,
    "service_responsable": _ORGANISATIONS,
    "bailleur": ("bailleur", "bailleur social", "autre"),
    "motif": _MOTIFS_GARANTIE,
    "type": (*_EQUIPEMENTS, *_ORGANISATIONS, *TYPES_PARTENAIRES),  # partners' kinds too
}
"""Values the schema knows, by column: they leave however rare they are."""


KNOWN_WORDS: Mapping[str, tuple[str, ...]] = {
    "type": (
        "pave",
        "point d apport",
        "conteneur",
        "colonne",
        "aire de jeux",
        "jeux",
        "eclairage",
        "candelabre",
        "lampadaire",
        "local gardien",
        "loge",
        "gardien",
        "ecole",
        "groupe scolaire",
        "college",
        "lycee",
        "creche",
        "city stade",
        "gymnase",
        "stade",
        "terrain",
        "jardin",
        "centre social",
        "maison de projets",
        "maison des projets",
        "bibliotheque",
        "mediatheque",
        "mairie",
        "corbeille",
        "banc",
        "abribus",
        "parking",
        "local velos",
        "poste de police",
        "commerce",
        "equipement",
    ),
}
"""Words that make a value known wherever they stand in it (an équipement ``type``:
"PAVE enterré", "aire de jeux 2-6 ans"); the text is still masked."""


KNOWN_BY: Mapping[str, Callable[[str], bool]] = {
    "axe": lambda value: match_axis(value) is not None,
    "statut": lambda value: canonical_status(value) is not None,
    "statut_brut": lambda value: canonical_status(value) is not None,
}
"""Columns whose values gupgeo recognises by a rule (a TFPB axe in any spelling, a
status its lifecycle maps): every value the rule knows is known."""


def _known(column: str, key: str) -> bool:
    if key in _KNOWN_KEYS.get(column, set()):
        return True
    rule = KNOWN_BY.get(column)
    if rule is not None and rule(key):
        return True
    padded = f" {key} "
    return any(f" {word} " in padded for word in KNOWN_WORDS.get(column, ()))


_NOT_ALNUM = re.compile(r"[\W_]+")


def _key(value: object) -> str:
    """A value compared to others: NFKC, accents and case dropped, anything but letters
    and digits a single space."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", str(value)))
    if not text.isascii():
        for mark in [c for c in set(text) if unicodedata.combining(c)]:
            text = text.replace(mark, "")  # accents, once decomposed
    return " ".join(_NOT_ALNUM.sub(" ", text).casefold().split())


_KNOWN_KEYS = {column: {_key(v) for v in values} for column, values in KNOWN_VALUES.items()}


def rare_values(
    counts: pd.Series, *, column: str, min_count: int, known: Iterable[object] = ()
) -> tuple[set[object], int]:
    """The raw values of ``column`` that leave as « autre »: unknown (to the schema and to
    ``known``, the territory's own values), and met fewer than ``min_count`` times once
    spellings are normalised. ``counts`` is indexed by raw value (a ``value_counts``, of
    a pandas or a Dask column). Also returns how many normalised values that is."""
    if counts.empty:
        return set(), 0
    extra = {_key(v) for v in known}
    keys = pd.Series([_key(v) for v in counts.index], index=counts.index)
    per_key = counts.groupby(keys.to_numpy()).sum()
    rare_keys = {
        k
        for k, n in per_key.items()
        if n < min_count and k != OTHER and k not in extra and not _known(column, str(k))
    }
    return {v for v, k in keys.items() if k in rare_keys}, len(rare_keys)


def replace_values(frame: pd.DataFrame, column: str, values: set[object]) -> pd.DataFrame:
    """``frame`` with the cells of ``column`` holding one of ``values`` set to « autre »."""
    series = frame[column]
    hit = series.isin(list(values)).to_numpy(dtype=bool)
    if not hit.any():
        return frame
    out = frame.copy()
    cells = series.to_numpy(dtype=object, copy=True)
    cells[hit] = OTHER
    dtype = series.dtype if isinstance(series.dtype, pd.StringDtype) else object
    out[column] = pd.Series(cells, index=frame.index, dtype=dtype)
    return out


def vocabulary_note(layer: str, column: str, n_values: int, n_rows: int) -> str:
    """The French note of a column's rare values (counts only, never a value)."""
    return (
        f"{layer} : {n_values} valeur(s) rare(s) de {column} regroupée(s) en « {OTHER} » "
        f"({n_rows} ligne(s))"
    )


def restrict_vocabulary(
    frame: pd.DataFrame,
    *,
    layer: str,
    min_count: int = 5,
    known: Mapping[str, Iterable[object]] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Replace rare, unknown values of ``layer``'s label columns with « autre ».

    ``known`` adds the territory's own vocabulary, by column: the names of its
    ``partenaires`` are known ``responsable`` values (a partner with two constats is
    still named in its relevé).

    Returns the frame and French notes counting the values replaced per column
    (never printing them).

    Examples
    --------
    >>> frame = pd.DataFrame({"categorie": ["tags"] * 5 + ["Plainte Mme X"],
    ...                       "statut": ["résolu"] * 5 + ["clos autre"]})
    >>> out, notes = restrict_vocabulary(frame, layer="signalements", min_count=5)
    >>> out["categorie"].tolist()[-1], out["statut"].tolist()[-1]
    ('autre', 'clos autre')
    >>> notes
    ['signalements : 1 valeur(s) rare(s) de categorie regroupée(s) en « autre » (1 ligne(s))']
    """
    out = frame
    notes: list[str] = []
    for column in LABEL_COLUMNS.get(layer, ()):
        if column not in frame.columns:
            continue
        counts = frame[column].astype(object).value_counts(dropna=True)
        rare, n_values = rare_values(
            counts, column=column, min_count=min_count, known=(known or {}).get(column, ())
        )
        if not rare:
            continue
        out = replace_values(out, column, rare)
        n_rows = int(counts[counts.index.isin(list(rare))].sum())
        notes.append(vocabulary_note(layer, column, n_values, n_rows))
    return out, notes
