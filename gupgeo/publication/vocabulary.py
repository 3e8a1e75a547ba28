"""Category-like values that may leave the team: known words, or common enough.

A category column (``categorie``, ``source``, ``statut``, ``porteur``…) is meant to hold
a few labels, but staff type anything in it: "contact Mme Durand", "appel du
06…", the name of the neighbour who complained. Masking (:mod:`gupgeo.publication._masking`)
finds much of it, not all. So in ``partenaires`` and ``public`` a value of such a column
leaves only when it is

- a word of the known vocabulary of the column (:data:`KNOWN`: the canonical and raw
  statuses the validation knows, the national TFPB axes, the démarches, themes,
  sources, types of équipements, porteurs… GUP files use), compared blind to case,
  accents and punctuation; or
- common: at least ``min_count`` cells of the column hold it (same comparison) — a label
  five people typed is a label, not somebody's phone number;

otherwise it becomes « autre ». Values are compared blind to case, accents, spacing and
punctuation ("Tags", "tags " and "TAGS" count together); an équipement ``type`` is also
known when it holds a known word ("PAVE enterré", "aire de jeux 2-6 ans",
:data:`KNOWN_WORDS`). Missing cells stay missing. The notes (in French) say how many
values and cells were replaced per column, never the values themselves. Free-text
columns (``reunions.objet``, ``actions.intitule``…) are not label columns: they are
masked and cut, never grouped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from gupgeo.indicators.actions import DONE_STATUSES
from gupgeo.indicators.degradations import DEFAULT_RULES
from gupgeo.schemas import AXES_TFPB, STATUTS
from gupgeo.validation.statuses import canonical_status

AUTRE = "autre"
"""What a value neither known nor common becomes."""
OTHER = AUTRE
"""Former name of :data:`AUTRE`."""
MIN_COUNT = 5
"""Default number of cells a value must fill to leave without being known."""

VOCABULARY_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "quartiers": (),
    "operations": (),
    "equipements": ("type", "gestionnaire"),
    "signalements": ("categorie", "sous_categorie", "source", "statut", "statut_brut"),
    "constats": ("demarche", "theme", "statut", "responsable"),
    "actions": ("theme", "porteur", "statut"),
    "tfpb": ("bailleur", "axe"),
    "arrets_agents": (),  # never published (health data): nothing to group
    "reunions": (),  # objet is a sentence (masked and cut)
    "garanties": ("motif",),
    "partenaires": ("type",),
}
"""The category-like columns of each layer, the one place they are listed."""
LABEL_COLUMNS = VOCABULARY_COLUMNS
"""Former name of :data:`VOCABULARY_COLUMNS`."""

_STATUSES = (
    *STATUTS, "ouvert", "ouverte", "fermé", "fermée", "traité", "traitée", "non traité",
    "en attente", "à faire", "à traiter", "prévu", "prévue", "programmée", "réalisé",
    "réalisée", "abandonné", "abandonnée", "annulé", "annulée", "reporté", "reportée",
    "suspendu", "suspendue", "en retard", "clos", "close", "doublon", "hors compétence",
    "sans suite", "inconnu", *DONE_STATUSES,
)  # fmt: skip
_ORGANISATIONS = (
    "ville", "commune", "mairie", "métropole", "bailleur", "bailleurs", "bailleur social",
    "État", "préfecture", "département", "région", "régie de quartier", "centre social",
    "association", "conseil citoyen", "police municipale", "police nationale",
    "gendarmerie", "médiation", "association de médiation", "éducation nationale",
    "syndic", "copropriété", "prestataire", "entreprise", "autre",
)  # fmt: skip
_THEMES = (
    "propreté", "parties communes", "collecte des déchets", "signalisation", "éclairage", "éclairage public", "cheminements", "recoins", "signalétique",
    "mobilier urbain", "accès", "accessibilité", "visibilité", "tranquillité",
    "tranquillité résidentielle", "participation des habitants", "cadre de vie",
    "gestion des déchets", "déchets", "encombrants", "communication", "espaces verts",
    "voirie", "stationnement", "sécurité", "aire de jeux", "végétation", "dégradations",
    "tags", "graffitis", "épaves", "stationnement / épaves", "dépôts sauvages", "PAVE",
    "eau", "assainissement", "nuisances", "animaux", "jeux", "entretien", "travaux",
    "circulation", "vie sociale", "lien social", "insertion", "autre",
)  # fmt: skip
_SOURCES = (
    "application", "habitant", "habitante", "locataire", "gardien", "gardienne",
    "agent de proximité", "accueil mairie", "accueil", "mairie", "élu", "élue",
    "diagnostic en marchant", "marche exploratoire", "téléphone", "courriel", "mail",
    "e-mail", "courrier", "internet", "site internet", "formulaire", "guichet",
    "DansMaRue", "Open311", "FixMyStreet", "bailleur", "ville", "métropole", "police",
    "association", "conseil citoyen", "médiateur", "médiation", "régie de quartier",
    "réseaux sociaux", "patrouille", "ronde", "autre",
)  # fmt: skip
_DEMARCHES = (
    "diagnostic en marchant", "marche exploratoire", "ESSP",
    "étude de sûreté et de sécurité publique", "prévention situationnelle",
    "visite de site", "visite de terrain", "diagnostic sécurité des cheminements",
    "réunion de chantier", "enquête", "concertation", "diagnostic partagé", "autre",
)  # fmt: skip
_EQUIPEMENTS = (
    "école", "école maternelle", "école élémentaire", "groupe scolaire", "collège",
    "lycée", "crèche", "centre social", "maison de projets", "maison de quartier", "PAVE",
    "aire de jeux", "local gardien", "loge", "gymnase", "city-stade", "terrain de sport",
    "stade", "piscine", "jardin partagé", "jardin", "parc", "square", "bibliothèque",
    "médiathèque", "mairie annexe", "mairie", "poste de police", "maison de santé",
    "salle polyvalente", "salle de quartier", "local associatif", "commerce", "marché",
    "arrêt de bus", "arrêt de tram", "parking", "autre",
)  # fmt: skip
_CATEGORIES = (
    *_THEMES, "objets abandonnés", "mobiliers urbains", "éclairage / électricité",
    "voirie et espace public", "arbres, végétaux et animaux", "autos, motos, vélos",
    "graffitis, tags, affiches et autocollants", "activités commerciales et professionnelles",
    "problème sur un chantier", "espace public", *(rule for rule, _ in DEFAULT_RULES),
)  # fmt: skip
_AXES = (
    *AXES_TFPB, *(f"axe {i}" for i in range(1, 9)), "renforcement de la présence",
    "personnel de proximité", "formation", "sur-entretien", "gestion des déchets",
    "encombrants", "épaves", "tranquillité", "tranquillité résidentielle", "concertation",
    "sensibilisation des locataires", "animation", "lien social", "vivre ensemble",
    "petits travaux", "qualité de service",
)  # fmt: skip
_MOTIFS_GARANTIE = (
    "malfaçon", "défaut", "désordre", "dégradation", "sinistre", "vandalisme",
    "infiltration", "fuite", "panne", "garantie de parfait achèvement",
    "garantie biennale", "garantie décennale", "parfait achèvement", "infiltrations",
    "infiltrations en toiture", "revêtement de sol dégradé", "porte de hall défectueuse",
    "jeux non conformes", "fissures", "fissures sur un mur de soutènement",
    "malfaçon de l'éclairage", "autre",
)  # fmt: skip

KNOWN: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("equipements", "type"): _EQUIPEMENTS,
    ("equipements", "gestionnaire"): _ORGANISATIONS,
    ("signalements", "categorie"): _CATEGORIES,
    ("signalements", "sous_categorie"): _CATEGORIES,
    ("signalements", "source"): _SOURCES,
    ("signalements", "statut"): _STATUSES,
    ("signalements", "statut_brut"): _STATUSES,
    ("constats", "demarche"): _DEMARCHES,
    ("constats", "theme"): _THEMES,
    ("constats", "statut"): _STATUSES,
    ("constats", "responsable"): _ORGANISATIONS,
    ("actions", "theme"): _THEMES,
    ("actions", "porteur"): _ORGANISATIONS,
    ("actions", "statut"): _STATUSES,
    ("tfpb", "bailleur"): ("bailleur", "bailleur social", "autre"),
    ("tfpb", "axe"): _AXES,
    ("garanties", "motif"): _MOTIFS_GARANTIE,
    ("partenaires", "type"): _ORGANISATIONS,
}
"""Known vocabulary per (layer, column); statuses also count as known when the
validation maps them onto the lifecycle (:func:`gupgeo.validation.statuses.canonical_status`)."""

KNOWN_WORDS: Mapping[str, tuple[str, ...]] = {
    "type": (
        "pave", "point d apport", "conteneur", "colonne", "aire de jeux", "jeux",
        "eclairage", "candelabre", "lampadaire", "local gardien", "loge", "gardien",
        "ecole", "groupe scolaire", "college", "lycee", "creche", "city stade", "gymnase",
        "stade", "terrain", "jardin", "centre social", "maison de projets",
        "maison des projets", "bibliotheque", "mediatheque", "mairie", "corbeille", "banc",
        "abribus", "parking", "local velos", "poste de police", "commerce", "equipement",
    ),
}  # fmt: skip
"""Words that make a value known wherever they stand in it (an équipement ``type``:
"PAVE enterré", "aire de jeux 2-6 ans"); the text is still masked."""

_STATUS_COLUMNS = frozenset({"statut", "statut_brut"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _key(value: object) -> str:
    """A value as compared: NFKC, accents and case folded, words separated by one space."""
    text = unicodedata.normalize("NFKC", str(value)).replace("œ", "oe").replace("Œ", "OE")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(_NOT_ALNUM.sub(" ", text).split())


def _has_known_word(column: str, key: str) -> bool:
    padded = f" {key} "
    return any(f" {word} " in padded for word in KNOWN_WORDS.get(column, ()))


def known_keys(layer: str, column: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Normalised known values of ``column`` in ``layer`` (plus ``extra``).

    Examples
    --------
    >>> "pris en compte" in known_keys("signalements", "statut")
    True
    """
    return frozenset(_key(v) for v in (*KNOWN.get((layer, column), ()), *extra))


def _replaced(
    values: pd.Series, known: frozenset[str], *, column: str, min_count: int
) -> tuple[pd.Series, int, int]:
    """The column with rare unknown values replaced, how many values and cells."""
    cells = values.astype("object")
    try:
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    except TypeError:  # unhashable cells
        codes, uniques = pd.factorize(cells.map(str), use_na_sentinel=True)
    keys = pd.Series(np.asarray([_key(v) for v in uniques] + [None], dtype=object)[codes])
    missing = codes < 0
    counts = keys[~missing].value_counts()
    allowed = {
        k
        for k, n in counts.items()
        if n >= min_count
        or k in known
        or k == AUTRE
        or _has_known_word(column, str(k))
        or (column in _STATUS_COLUMNS and canonical_status(str(k)) is not None)
    }
    rare = ~missing & ~keys.isin(allowed).to_numpy()
    if not rare.any():
        return values, 0, 0
    n_values = int(keys[rare].nunique())
    replaced = cells.to_numpy(dtype=object, copy=True)
    replaced[rare] = AUTRE
    out = pd.Series(replaced, index=values.index, name=values.name, dtype="object")
    if isinstance(values.dtype, pd.CategoricalDtype):
        out = out.astype("category")
    elif pd.api.types.is_string_dtype(values.dtype) and values.dtype != np.dtype(object):
        out = out.astype(values.dtype)
    return out, n_values, int(rare.sum())


def restrict_vocabulary(
    frame: pd.DataFrame,
    *,
    layer: str,
    min_count: int = MIN_COUNT,
    known: Mapping[str, Iterable[str]] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Replace by « autre » every category value neither known nor common.

    Parameters
    ----------
    frame
        One layer.
    layer
        Its name: which columns are category-like (:data:`VOCABULARY_COLUMNS`) and
        their known vocabulary (:data:`KNOWN`).
    min_count
        Cells a value must fill (compared blind to case and accents) to leave
        without being known.
    known
        More known values per column (e.g. the territory's partenaires for
        ``porteur``).

    Returns
    -------
    The frame (a copy if anything changed) and notes in French, one per column
    changed, counting values and cells but never printing them.

    Examples
    --------
    >>> sig = pd.DataFrame({"source": ["application"] * 2 + ["voisin 06 98 76 54 32"]
    ...                                + ["Tours Habitat"] * 5 + [None]})
    >>> out, notes = restrict_vocabulary(sig, layer="signalements")
    >>> out["source"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['application', 'application', 'autre', 'Tours Habitat', 'Tours Habitat', 'Tours Habitat',
     'Tours Habitat', 'Tours Habitat', nan]
    >>> notes
    ['signalements : source : 1 valeur(s) peu fréquente(s) remplacée(s) par « autre » (1 ligne(s))']
    """
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count : {min_count!r} ; attendu un entier ≥ 1")
    extra = known or {}
    out = frame
    notes: list[str] = []
    for column in VOCABULARY_COLUMNS.get(layer, ()):
        if column not in frame.columns:
            continue
        values, n_values, n_cells = _replaced(
            frame[column],
            known_keys(layer, column, extra.get(column, ())),
            column=column,
            min_count=min_count,
        )
        if n_values:
            if out is frame:
                out = frame.copy()
            out[column] = values
            notes.append(
                f"{layer} : {column} : {n_values} valeur(s) peu fréquente(s) remplacée(s) "
                f"par « {AUTRE} » ({n_cells} ligne(s))"
            )
    return out, notes
