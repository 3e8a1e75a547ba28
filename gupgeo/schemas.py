"""One declared schema per layer of a territory (pure data, no I/O).

Column names follow French open-data habits (lower-case snake_case). Each column
lists the aliases readers accept, matched case-insensitively after trimming
spaces, accents, punctuation and small words (``CODE_QP``, ``lib_qp``,
``TYPE DECLARATION``, ``Date du signalement``…, see :func:`header_key`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["text", "integer", "number", "date"]
GeometryKind = Literal["point", "line", "polygon"]


@dataclass(frozen=True)
class Column:
    """A column of a layer: its canonical name, kind, whether required, aliases."""

    name: str
    kind: ColumnKind = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class LayerSchema:
    """The declared shape of one layer.

    ``geometry`` is the tuple of allowed geometry kinds; empty means the layer
    is a plain table (no geometry). ``geometry_required`` says whether a row
    without a geometry is rejected. ``ids_from_lines`` says whether identifiers may be
    made from line numbers when no column holds them (not for a key other layers refer
    to, such as the quartiers' ``code_qp``).
    """

    name: str
    label: str
    columns: tuple[Column, ...]
    geometry: tuple[GeometryKind, ...] = ()
    geometry_required: bool = True
    id_column: str | None = None
    ids_from_lines: bool = True
    file_aliases: tuple[str, ...] = ()
    description: str = ""

    @property
    def is_spatial(self) -> bool:
        return bool(self.geometry)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def date_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.kind == "date")

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def alias_map(self) -> dict[str, str]:
        """Normalised alias → canonical column name (canonical names included)."""
        out: dict[str, str] = {}
        for c in self.columns:
            for a in c.aliases:
                out[header_key(a)] = c.name
        out.update({header_key(c.name): c.name for c in self.columns})
        return out

    def id_candidates(self) -> tuple[str, ...]:
        """Header keys that may name the identifier column (its name, then its aliases)."""
        if self.id_column is None:
            return ()
        col = self.column(self.id_column)
        return tuple(dict.fromkeys(header_key(a) for a in (col.name, *col.aliases)))


SMALL_WORDS: frozenset[str] = frozenset(
    {"de", "du", "des", "d", "la", "le", "les", "l", "au", "aux", "of", "the"}
)
"""Words a French (or English) export header may carry that say nothing about the column."""

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_name(name: str, *, drop_small_words: bool = False) -> str:
    """Normalise a column or file name for alias matching.

    Accents are removed, case is folded, and every run of spaces or punctuation
    becomes one ``_``. With ``drop_small_words``, the small words of
    :data:`SMALL_WORDS` are dropped too — how column headers are matched, so that
    ``"Date du signalement"``, ``"DATE_SIGNALEMENT"`` and ``"date signalement"``
    are the same column.

    Examples
    --------
    >>> normalise_name(" TYPE DECLARATION ")
    'type_declaration'
    >>> normalise_name("Catégorie")
    'categorie'
    >>> normalise_name("Date du signalement", drop_small_words=True)
    'date_signalement'
    >>> normalise_name("N° de l'équipement", drop_small_words=True)
    'n_equipement'
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = _NOT_ALNUM.sub("_", text.lower()).strip("_")
    if drop_small_words:
        words = [w for w in text.split("_") if w not in SMALL_WORDS]
        text = "_".join(words) if words else text
    return text


def header_key(name: str) -> str:
    """The key under which a column header is matched to a schema column or alias.

    Examples
    --------
    >>> {header_key(h) for h in ("Date du signalement", "DATE_SIGNALEMENT", "date signalement")}
    {'date_signalement'}
    """
    return normalise_name(name, drop_small_words=True)


def _c(name: str, kind: ColumnKind = "text", *aliases: str, required: bool = False) -> Column:
    return Column(name=name, kind=kind, required=required, aliases=aliases)


QUARTIERS = LayerSchema(
    name="quartiers",
    label="quartiers prioritaires (QPV)",
    geometry=("polygon",),
    id_column="code_qp",
    ids_from_lines=False,  # the key of every other layer: a made-up code would join nothing
    file_aliases=("qpv", "qp", "quartiers_prioritaires", "perimetres"),
    columns=(
        _c("code_qp", "text", "CODE_QP", "code_quartier", "codeqp", "qp", required=True),
        _c(
            "nom_qp", "text", "NOM_QP", "lib_qp", "libelle_qp", "nom_quartier", "nom", required=True
        ),
        _c("commune", "text", "COMMUNE_QP", "commune_qp", "nom_commune", "lib_com", "libcom"),
        _c(
            "insee_com", "text", "code_commune", "code_insee", "insee", "com", "INSEE_COM", "depcom"
        ),
        _c("population", "integer", "pop", "population_qp", "nb_habitants"),
        _c("surface_ha", "number", "surface", "superficie_ha"),
        _c("logements", "integer", "nb_logements", "logements_sociaux"),
    ),
)

OPERATIONS = LayerSchema(
    name="operations",
    label="opérations d'aménagement",
    geometry=("polygon",),
    id_column="id",
    file_aliases=("operation", "amenagements", "npru", "projets"),
    columns=(
        _c("id", "text", "id_operation", "identifiant", "operation_id", required=True),
        _c("nom", "text", "nom_operation", "libelle", "intitule"),  # descriptive: id when blank
        _c("code_qp", "text", "CODE_QP"),
        _c("date_debut", "date", "debut", "date_debut_travaux"),
        _c("date_livraison", "date", "livraison", "date_fin", "date_fin_travaux"),
        _c("montant_eur", "number", "montant", "cout", "cout_eur"),
    ),
)

EQUIPEMENTS = LayerSchema(
    name="equipements",
    label="équipements",
    geometry=("point",),
    id_column="id",
    file_aliases=("equipement", "equipements_publics", "bpe"),
    columns=(
        _c("id", "text", "id_equipement", "identifiant", required=True),
        _c("nom", "text", "libelle", "nom_equipement"),  # descriptive: type + id when blank
        _c("type", "text", "type_equipement", "categorie", "typequ", required=True),
        _c("gestionnaire", "text", "gestion", "proprietaire", "gestionnai"),
        _c("date_mise_en_service", "date", "mise_en_service", "date_ouverture", "date_mise_"),
    ),
)

SIGNALEMENTS = LayerSchema(
    name="signalements",
    label="signalements",
    geometry=("point",),
    id_column="id",
    file_aliases=("signalement", "reports", "requests", "dansmarue", "open311", "incidents"),
    columns=(
        _c(
            "id",
            "text",
            "id_signalement",
            "ID DECLARATION",
            "id_dmr",
            "service_request_id",
            "numero",
            required=True,
        ),
        _c(
            "date_signalement",
            "date",
            "DATE DECLARATION",
            "datedecl",
            "requested_datetime",
            "date",
            "date_creation",
            required=True,
        ),
        _c("categorie", "text", "TYPE DECLARATION", "type", "service_name", required=True),
        _c("sous_categorie", "text", "SOUS TYPE DECLARATION", "soustype"),
        _c("statut", "text", "status", "etat"),
        _c("statut_brut", "text"),
        _c("date_cloture", "date", "date_fin", "date_resolution", "updated_datetime"),
        _c("source", "text", "canal", "origine"),  # who reported; not the service in charge
        _c("description", "text", "commentaire", "texte", "status_notes"),
        _c("adresse", "text", "address", "ADRESSE", "lieu"),
        _c("code_qp", "text", "CODE_QP"),
    ),
)

CONSTATS = LayerSchema(
    name="constats",
    label="constats (prévention situationnelle, diagnostics en marchant)",
    geometry=("point", "line", "polygon"),
    id_column="id",
    file_aliases=("constat", "marches", "prevention", "observations"),
    columns=(
        _c("id", "text", "id_constat", "identifiant", required=True),
        _c("date", "date", "date_constat", "date_observation", required=True),
        _c("demarche", "text", "type_demarche", "origine"),
        _c("theme", "text", "thematique", "categorie", required=True),
        _c("gravite", "integer", "niveau", "severite"),
        _c("recommandation", "text", "preconisation", "recommandations"),
        _c("statut", "text", "etat", "suite"),
        _c("description", "text", "observation", "commentaire"),
        _c("diagnostic_id", "text", "id_diagnostic", "id_demarche", "diagnostic", "marche"),
        _c(
            "responsable",
            "text",
            "partenaire",
            "partenaire_responsable",
            "attribue_a",
            "pilote",
            "porteur",
        ),
        _c("echeance", "date", "date_echeance", "date_limite", "delai", "a_traiter_avant"),
        _c(
            "date_traitement",
            "date",
            "traite_le",
            "date_resolution",
            "date_realisation",
            "date_cloture",
        ),
        _c("photos", "text", "photo", "lien_photo", "url_photo", "link1_href", "link"),
    ),
)

DIAGNOSTICS = LayerSchema(
    name="diagnostics",
    label="diagnostics en marchant",
    geometry=("line",),
    geometry_required=False,  # the route is optional: a walk noted on paper has none
    id_column="id",
    file_aliases=(
        "diagnostic",
        "diagnostics_en_marchant",
        "diagnostic_en_marchant",
        "marches_exploratoires",
        "parcours",
    ),
    columns=(
        _c("id", "text", "id_diagnostic", "diagnostic_id", "id_demarche", required=True),
        _c("date", "date", "date_diagnostic", "date_marche", "jour", required=True),
        _c("code_qp", "text", "CODE_QP", "quartier"),
        _c("objet", "text", "intitule", "libelle", "nom", "titre"),
        _c("demarche", "text", "type_demarche", "type"),
        _c("habitants", "integer", "nb_habitants", "participants_habitants"),
        _c("agents_proximite", "integer", "nb_agents_proximite", "agents"),
        _c("bailleurs", "integer", "nb_bailleurs", "representants_bailleurs"),
        _c("ville", "integer", "nb_ville", "agents_ville", "services_ville"),
        _c("autres", "integer", "nb_autres", "autres_participants"),
    ),
)

PARTENAIRES = LayerSchema(
    name="partenaires",
    label="partenaires (responsables des constats)",
    id_column="nom",
    ids_from_lines=False,  # the key the constats' responsables refer to
    file_aliases=("partenaire", "responsables", "organismes"),
    columns=(
        _c("nom", "text", "partenaire", "organisme", "raison_sociale", "libelle", required=True),
        _c("type", "text", "type_partenaire", "nature", "categorie", required=True),
        _c("alias", "text", "aliases", "autres_noms", "variantes"),
    ),
)

ACTIONS = LayerSchema(
    name="actions",
    label="actions GUP",
    geometry=("point",),
    geometry_required=False,
    id_column="id",
    file_aliases=("action", "actions_gup", "plan_actions"),
    columns=(
        _c("id", "text", "id_action", "identifiant", required=True),
        _c("code_qp", "text", "CODE_QP", required=True),
        _c("date", "date", "date_action", "date_realisation", required=True),
        _c("theme", "text", "thematique", "axe"),
        _c("intitule", "text", "libelle", "action", "nom"),
        _c("porteur", "text", "pilote", "maitre_ouvrage"),
        _c("statut", "text", "etat"),
        _c("cout_eur", "number", "cout", "montant", "montant_eur"),
        _c("constat_id", "text", "id_constat", "constat"),
    ),
)

TFPB = LayerSchema(
    name="tfpb",
    label="actions en contrepartie de l'abattement TFPB",
    id_column=None,
    file_aliases=("abattement_tfpb", "tfpb_actions"),
    columns=(
        _c("bailleur", "text", "organisme", required=True),
        _c("code_qp", "text", "CODE_QP", required=True),
        _c("annee", "integer", "exercice", "an", required=True),
        _c("axe", "text", "axe_national", required=True),
        _c("action", "text", "intitule", "libelle"),
        _c("montant_eur", "number", "montant", "cout", required=True),
        _c("logements", "integer", "nb_logements"),
    ),
)

ARRETS_AGENTS = LayerSchema(
    name="arrets_agents",
    label="arrêts des agents de proximité",
    id_column=None,
    file_aliases=("arrets", "arrets_agents_proximite"),
    columns=(
        _c("code_qp", "text", "CODE_QP", required=True),
        _c("date_debut", "date", "debut", required=True),
        _c("date_fin", "date", "fin"),
        _c("motif", "text", "cause"),
    ),
)

REUNIONS = LayerSchema(
    name="reunions",
    label="réunions",
    id_column=None,
    file_aliases=("reunion", "instances"),
    columns=(
        _c("date", "date", "date_reunion", required=True),
        _c("code_qp", "text", "CODE_QP", required=True),
        _c("objet", "text", "intitule", "ordre_du_jour"),
        _c("agents_proximite", "integer", "nb_agents_proximite", "agents", required=True),
    ),
)

GARANTIES = LayerSchema(
    name="garanties",
    label="recours à la garantie des investissements",
    id_column=None,
    file_aliases=("garantie", "garanties_investissements"),
    columns=(
        _c("objet_id", "text", "id_objet", "operation_id", "equipement_id", required=True),
        _c("date", "date", "date_recours", "date_appel", required=True),
        _c("motif", "text", "cause", "description"),
    ),
)

SCHEMAS: Mapping[str, LayerSchema] = {
    s.name: s
    for s in (
        QUARTIERS,
        OPERATIONS,
        EQUIPEMENTS,
        SIGNALEMENTS,
        CONSTATS,
        DIAGNOSTICS,
        PARTENAIRES,
        ACTIONS,
        TFPB,
        ARRETS_AGENTS,
        REUNIONS,
        GARANTIES,
    )
}
"""Every layer schema, by layer name, in the order of the data flow."""

LAYER_NAMES: tuple[str, ...] = tuple(SCHEMAS)

HORS_QPV = "hors QPV"
"""The ``code_qp`` of what lies in no quartier: a feature, a grid cell, an indicator row."""

DATE_COLUMNS: dict[str, str] = {
    "signalements": "date_signalement",
    "actions": "date",
    "arrets_agents": "date_debut",
    "reunions": "date",
    "garanties": "date",
    "constats": "date",
}
"""The date that puts a row of each dated layer in a period."""

# Canonical lifecycle of a signalement, whatever its source (FixMyStreet, Open311, in-house).
STATUTS: tuple[str, ...] = (
    "nouveau",
    "pris en compte",
    "programmé",
    "en cours",
    "résolu",
    "clos autre",
)
STATUTS_CLOS: frozenset[str] = frozenset({"résolu", "clos autre"})

# Kinds of partners a constat may be assigned to (the ``type`` of ``partenaires``).
TYPES_PARTENAIRES: tuple[str, ...] = (
    "bailleur",
    "ville",
    "métropole",
    "État",
    "régie de quartier",
    "association",
    "autre",
)

# The 8 national axes of the TFPB abatement counterparts (cadre national 2023).
AXES_TFPB: tuple[str, ...] = (
    "renforcement de la présence du personnel de proximité",
    "formation et soutien des personnels de proximité",
    "sur-entretien",
    "gestion des déchets et encombrants / épaves",
    "tranquillité résidentielle",
    "concertation et sensibilisation des locataires",
    "animation, lien social, vivre ensemble",
    "petits travaux d'amélioration de la qualité de service",
)


@dataclass(frozen=True)
class LayerMatch:
    """Which schema a file was matched to and how."""

    schema: LayerSchema
    how: str = field(default="")


def schema_for(name: str) -> LayerSchema:
    """Return the schema of a layer name or file-name alias.

    Raises
    ------
    SchemaError
        With the list of known layers when nothing matches.

    Examples
    --------
    >>> schema_for("Signalements").name
    'signalements'
    >>> schema_for("qpv").name
    'quartiers'
    """
    from gupgeo.errors import SchemaError

    key = normalise_name(name)
    for s in SCHEMAS.values():
        if key == s.name or key in s.file_aliases:
            return s
    raise SchemaError(f"couche inconnue : {name!r} ; attendu l'une de : {', '.join(LAYER_NAMES)}")
