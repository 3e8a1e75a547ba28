"""Which columns of a layer may leave the team, and how their text is masked.

Outside ``interne`` a layer keeps only the columns of its allow-list
(:data:`ALLOWED_COLUMNS`: the schema's columns that describe the thing, never a
person, plus the attribution's own), every other column is dropped — unknown extra
columns included, numbers and dates too — and named in the method notes. Free text
leaves only where the allow-list (``FREE_TEXT``) or the caller (``keep_columns``) names
it; every text kept is masked (:func:`scrub_text`). Personal columns are never kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd

from gupgeo.publication._masking import is_text_like, mask, mask_series
from gupgeo.schemas import SCHEMAS, normalise_name

MAX_TEXT_CHARS = 1000
"""Longest text kept in ``partenaires`` and ``public``: longer texts are cut with "…"."""
MAX_NAME_CHARS = 40
"""Longest column name printed in a method note (a longer one is cut with "…")."""

ATTRIBUTION_PREFIXES: tuple[str, ...] = ("code_qp", "operation_id")
"""Columns written by the attribution (``code_qp``, ``code_qp_statut``,
``operation_id_distance_m``…): kept on every layer."""

ALLOWED_COLUMNS: Mapping[str, frozenset[str]] = {
    "quartiers": frozenset(
        {
            "code_qp",
            "nom_qp",
            "commune",
            "insee_com",
            "population",
            "surface_ha",
            "logements",
            "perimetre",
        }
    ),
    "operations": frozenset(
        {"id", "nom", "code_qp", "date_debut", "date_livraison", "montant_eur"}
    ),
    "equipements": frozenset(
        {"id", "nom", "type", "gestionnaire", "date_mise_en_service", "adresse"}
    ),
    "signalements": frozenset(
        {
            "id",
            "date_signalement",
            "categorie",
            "sous_categorie",
            "statut",
            "statut_brut",
            "date_cloture",
            "source",
            "adresse",
            "annee",
            "service_responsable",
            "code_service",
        }
    ),
    "constats": frozenset(
        {
            "id",
            "date",
            "demarche",
            "id_demarche",
            "theme",
            "gravite",
            "recommandation",
            "statut",
            "diagnostic_id",
            "responsable",
            "echeance",
            "date_traitement",
        }
    ),
    "actions": frozenset(
        {
            "id",
            "code_qp",
            "date",
            "theme",
            "intitule",
            "porteur",
            "statut",
            "cout_eur",
            "constat_id",
        }
    ),
    "tfpb": frozenset(
        {"bailleur", "code_qp", "annee", "axe", "action", "montant_eur", "logements"}
    ),
    "arrets_agents": frozenset({"code_qp", "date_debut", "date_fin"}),
    "reunions": frozenset({"date", "code_qp", "objet", "agents_proximite"}),
    "garanties": frozenset({"objet_id", "date", "motif"}),
    "diagnostics": frozenset(
        {
            "id",
            "date",
            "code_qp",
            "objet",
            "habitants",
            "agents_proximite",
            "bailleurs",
            "ville",
            "autres",
        }
    ),
    "partenaires": frozenset({"nom", "type"}),
}
"""Columns each layer may show in ``partenaires`` and ``public``, besides the attribution
columns (:data:`ATTRIBUTION_PREFIXES`); text among them is masked. A layer absent from
this table is withheld whole outside ``interne``."""

NUMERIC_EXTRAS: frozenset[str] = frozenset({"quartiers"})
"""Layers whose extra *numeric* columns may leave (the national per-QPV indicators joined
onto the quartiers: population, logements, income deciles… are public statistics)."""

FREE_TEXT: Mapping[str, frozenset[str]] = {
    "constats": frozenset({"recommandation"}),
    "actions": frozenset({"intitule"}),
    "tfpb": frozenset({"action"}),
    "reunions": frozenset({"objet"}),
    "diagnostics": frozenset({"objet"}),
}
"""Allowed columns that hold sentences rather than labels: masked and cut, never
grouped into « autre » (:mod:`gupgeo.publication.vocabulary` leaves them alone)."""

SHOWN_COLUMNS = ALLOWED_COLUMNS
"""Former name of :data:`ALLOWED_COLUMNS`."""

_PERSONAL_TOKENS = frozenset(
    {
        "prenom",
        "prenoms",
        "telephone",
        "tel",
        "portable",
        "mobile",
        "phone",
        "email",
        "mail",
        "courriel",
        "declarant",
        "declarante",
        "auteur",
        "auteure",
        "demandeur",
        "requerant",
        "signataire",
        "redacteur",
        "contact",
        "locataire",
        "habitant",
        "firstname",
        "lastname",
        "surname",
        "personne",
        "plaignant",
        "plaignante",
        "requerante",
        "victime",
        "temoin",
        "nir",
        "iban",
        "immatriculation",
        "plaque",
        "adresse_domicile",
        "domicile",
        "naissance",
    }
)
_PERSONAL_NAMES = frozenset({"nom", "nom_prenom", "nom_agent", "agent", "identite", "name"})
_ALWAYS_PERSONAL = {"arrets_agents": frozenset({"motif"})}
"""Columns never published, even when asked for (health data of agents)."""

KeepColumns = Mapping[str, Sequence[str]] | Sequence[str] | None


def is_attribution_column(column: object) -> bool:
    """Whether a column was written by the attribution (``code_qp_statut``…).

    Examples
    --------
    >>> is_attribution_column("operation_id_distance_m"), is_attribution_column("nom")
    (True, False)
    """
    name = str(column)
    return any(name == p or name.startswith(p + "_") for p in ATTRIBUTION_PREFIXES)


def is_personal_column(column: str, *, layer: str | None = None) -> bool:
    """Whether a column holds personal data (names, contacts, authors).

    ``nom`` is personal except on layers whose schema declares it (an équipement's or an
    opération's name).

    Examples
    --------
    >>> is_personal_column("Téléphone déclarant"), is_personal_column("nom", layer="equipements")
    (True, False)
    >>> is_personal_column("nom", layer="signalements")
    True
    """
    key = normalise_name(column)
    declared = (
        layer is not None
        and layer in SCHEMAS
        and any(c.name == key for c in SCHEMAS[layer].columns)
    )
    if declared and key not in {"description"}:
        return False
    return key in _PERSONAL_NAMES or bool(_PERSONAL_TOKENS.intersection(key.split("_")))


def scrub_text(values: pd.Series, *, max_chars: int | None = None) -> pd.Series:
    """Mask personal data, local paths and ESSP mentions in text, keep the rest readable.

    Replaced by ``[courriel masqué]``: e-mails, also spaced or written "(at)",
    "[at]", "arobase", "(dot)". ``[téléphone masqué]``: French numbers as ten digits in
    a row or ``0X`` then four pairs after spaces, dots or dashes (``06 98 76 54 32``,
    ``06.98.76.54.32``, ``06-98-76-54-32``), ``+33``/``0033`` with or without ``(0)``
    in any spacing, and ``+CC`` numbers of other countries. ``[nom masqué]``: up to
    four words of a name after a civility — ``mme``, ``Madame``, ``Monsieur``,
    ``Mlle``, ``Mr`` in any case and then even a name in lower case ("mme durand");
    ``M``, ``M.`` (also glued: "M.Dupont"), ``MM.``, ``Me``, ``Maître``, ``Dr``,
    ``Docteur``, ``Pr`` only before a capitalised name ("Me Dupont", not "il me dit") —
    and capitalised names after "signalé(e) par", "déclaré par", "plainte de",
    "réclamation de", "appel de", "contact :", "déclarant :"…; functions ("Madame la
    Maire"), places and bodies ("plainte de Tours Habitat") are not names.
    ``[plaque masquée]``: ``AB-123-CD``, ``AB 123 CD``, ``AB123CD``, ``123 ABC 37``.
    ``[IBAN masqué]``, ``[NIR masqué]`` (13 digits and key, spaced or not),
    ``[chemin masqué]`` (``/home/…``, ``/tmp/…``, ``C:\\…``, ``\\\\serveur\\…``,
    ``file://…``), ``[étude masquée]`` (a mention of an ESSP). Dates (``12/03/2024``)
    and amounts (``1 234,50 €``) are kept.

    A name without a civility nor a trigger word ("Jean Dupont") is **not** detected:
    free text shared outside the team must still be read. With ``max_chars``, longer
    texts are cut with "…" (an item across the cut goes with the rest). Time is linear
    in the length of the text; each distinct value is masked once.

    Examples
    --------
    >>> scrub_text(pd.Series(["Appeler Mme Durand au 06 12 34 56 78 ou a.b@x.fr"])).iloc[0]
    'Appeler [nom masqué] au [téléphone masqué] ou [courriel masqué]'
    """
    return mask_series(values, max_chars=max_chars)[0]


def kept_by_caller(keep_columns: KeepColumns, layer: str | None) -> frozenset[str]:
    """The columns of ``layer`` a caller asked to keep (a list, or a mapping layer → list)."""
    if keep_columns is None:
        return frozenset()
    if isinstance(keep_columns, str):
        return frozenset({keep_columns})
    if isinstance(keep_columns, Mapping):
        wanted = keep_columns.get(layer or "", ())
        return frozenset({wanted} if isinstance(wanted, str) else wanted)
    return frozenset(keep_columns)


def column_note_name(column: object) -> str:
    """A column name as a method note prints it: masked, cut, no control character.

    Examples
    --------
    >>> column_note_name("tel Mme Durand 06 12 34 56 78")
    'tel [nom masqué] [téléphone masqué]'
    """
    text = "".join(ch if ch.isprintable() else " " for ch in str(column))
    text = mask(text)
    return text if len(text) <= MAX_NAME_CHARS else text[: MAX_NAME_CHARS - 1] + "…"


def allowed(frame: pd.DataFrame, column: object, *, layer: str, keep: frozenset[str]) -> bool:
    """Whether ``column`` of ``layer`` may leave the team (personal columns never)."""
    name = str(column)
    if name in _ALWAYS_PERSONAL.get(layer, frozenset()):
        return False
    if is_personal_column(name, layer=layer):
        return False
    if name in ALLOWED_COLUMNS.get(layer, frozenset()) or is_attribution_column(name):
        return True
    if name in keep:
        return True
    return layer in NUMERIC_EXTRAS and pd.api.types.is_numeric_dtype(frame[column])


def remove_personal_data(
    frame: pd.DataFrame,
    *,
    layer: str | None = None,
    keep_description: bool = False,
    keep_columns: KeepColumns = None,
    max_chars: int | None = MAX_TEXT_CHARS,
) -> tuple[pd.DataFrame, list[str]]:
    """Keep the allowed columns of ``layer``, mask every text kept; return notes (French).

    Kept: :data:`ALLOWED_COLUMNS` of ``layer``, the attribution columns, and the
    columns listed in ``keep_columns`` (a list for every layer, or a mapping layer →
    list) or ``description`` with ``keep_description``. Personal columns
    (:func:`is_personal_column`) are never kept; every other column is dropped and
    named (masked) in the notes.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["S1"], "categorie": ["tags"], "score": [3],
    ...                       "tel_contact": ["06 12 34 56 78"]})
    >>> out, notes = remove_personal_data(frame, layer="signalements")
    >>> out.columns.tolist(), notes
    (['id', 'categorie'], ['signalements : colonnes non diffusées : score, tel_contact'])
    """
    name = layer or "couche"
    geometry = _geometry_name(frame)
    keep = kept_by_caller(keep_columns, layer) | (
        {"description"} if keep_description else frozenset()
    )
    dropped = [
        c for c in frame.columns if c != geometry and not allowed(frame, c, layer=name, keep=keep)
    ]
    out = frame.drop(columns=dropped)
    notes = []
    if dropped:
        names = ", ".join(sorted(column_note_name(c) for c in dropped))
        notes.append(f"{name} : colonnes non diffusées : {names}")
    cut = 0
    for column in out.columns:
        if column != geometry and is_text_like(out[column]):
            out[column], n_cut = mask_series(out[column], max_chars=max_chars)
            cut += n_cut
    if cut:
        notes.append(f"{name} : {cut} texte(s) de plus de {max_chars} caractères coupé(s)")
    renamed = {c: mask(str(c)) for c in out.columns if c != geometry and mask(str(c)) != str(c)}
    return (out.rename(columns=renamed) if renamed else out), notes


def _geometry_name(frame: pd.DataFrame) -> str | None:
    return frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
