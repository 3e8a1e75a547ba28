"""Publication profiles: what may leave the team, and in what form.

Every output (HTML map, atlas, review, dashboard export) is built from the territory
*after* one publication step (:func:`sanitise`, or :func:`publish` which adds the
aggregation of ``public``), so its tables, titles, labels, legends, file names and
payloads all come from published data. Three profiles:

``interne``
    Everything, for the GUP team itself. Never to be sent outside.
``partenaires``
    For the cities, bailleurs and the State.

    - **Columns.** Personal columns (names, first names, phones, e-mails, authors,
      declarants… see :func:`is_personal_column`; the ``motif`` of agents' stoppages)
      are always removed. Of the other text columns, only those a layer declares shown
      (:data:`SHOWN_COLUMNS`: labels such as ``categorie``, ``nom``, ``theme``,
      ``intitule``, ``recommandation``, ``adresse``…, plus the attribution columns) are
      kept; every other free-text column (``description``, ``observations``…) is removed
      unless the caller lists it in ``keep_columns`` (``keep_description=True`` keeps
      ``description``). Numbers and dates are kept.
    - **Text.** Every text value kept — labels included — is masked
      (:func:`scrub_text`): e-mails (also "x (at) y . fr", "arobase"), phone numbers
      (French in any spacing, ``+33``, ``0033``, ``(0)``, other ``+CC``), names after a
      civility in any case ("mme durand", "M.Nom", "Dr", "Me Dupont"…) or after
      "signalé par", "plainte de", "contact :"…, licence plates (``AB-123-CD``,
      ``123 ABC 37``), IBAN, NIR (social security numbers), local paths (``/home/…``,
      ``C:\\…``) and mentions of an ESSP. Texts longer than :data:`MAX_TEXT_CHARS` are cut
      with "…". Dates and amounts are left as written.
    - **ESSP.** Findings of an étude de sûreté et de sécurité publique are legally not
      communicable: a ``constats`` row is withheld when its démarche, any identifier or
      any text cites one, or when its démarche is unknown or vague (:func:`essp_mask`,
      the one rule, also used by the dashboard); an ``actions`` row is withheld when a
      text cites one (:func:`cites_essp`); a layer of constats without ``demarche`` is
      withheld whole. The vocabulary ("ESSP", "ESSPs", "EDSP", "étude de sûreté…",
      "audit de sûreté", "diagnostic (de) sûreté", "sûreté et sécurité publique"…,
      blind to case and accents) is documented in :mod:`gupgeo.publication._essp`. The publication
      notes count what was withheld.
    - **Sources.** Provenance is reduced to file names (:func:`source_label`): no local
      folder appears in a shared output.

    A name written without a civility nor a trigger word ("Jean Dupont") cannot be
    detected reliably and is **not** masked: that is why free-text columns are dropped
    unless asked for, and why kept text must still be read before it is shared.
``public``
    ``partenaires``, then the event layers (``signalements``, ``constats``, ``actions``)
    are replaced by counts on a Lambert-93 grid (200 m by default) or per quartier: no
    point coordinates survive. A count below ``secret_threshold`` (11 by default, in the
    manner of statistical secrecy) is replaced by "secret" — never by 0 and never shown.
    Secondary secrecy (a secret cell recomputed from totals) is :mod:`gupgeo.secrecy`'s;
    the review and the atlas apply it to every table of a public page.

Masking is linear in the length of the text (no unbounded backtracking, see
:mod:`gupgeo.publication._masking`). Pure pandas/geopandas: the maps, the atlas and the exports
share it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.attribution import REPORT_ATTR, count_by_zone
from gupgeo.crs import to_work_crs
from gupgeo.french import format_number
from gupgeo.publication._essp import doubtful_demarche, mentions_essp
from gupgeo.publication._masking import is_text_like, mask, mask_series, shared_provenance
from gupgeo.publication._masking import source_label as source_label
from gupgeo.schemas import SCHEMAS, normalise_name

logger = logging.getLogger(__name__)

Profile = Literal["interne", "partenaires", "public"]
PROFILES: tuple[str, ...] = ("interne", "partenaires", "public")
SECRET_THRESHOLD = 11
SECRET_LABEL = "secret"
EVENT_LAYERS: tuple[str, ...] = ("signalements", "constats", "actions")
"""Layers whose points are aggregated by the ``public`` profile."""
GRID_CELL_M = 200.0
"""Default side of the ``public`` grid cells, in metres."""
MAX_TEXT_CHARS = 1000
"""Longest text kept in ``partenaires`` and ``public``: longer texts are cut with "…"."""

PROFILE_LABELS: dict[str, str] = {
    "interne": "interne — toutes les données, ne pas diffuser",
    "partenaires": "partenaires — champs personnels et textes libres retirés, coordonnées, "
    "noms précédés d'une civilité et identifiants masqués, sans constats ESSP (relire les "
    "textes conservés)",
    "public": "public — données agrégées, petits effectifs couverts par le secret",
}

ATTRIBUTION_COLUMNS = frozenset(
    {"code_qp", "code_qp_statut", "code_qp_declare", "operation_id", "operation_id_statut"}
)
"""Columns written by the attribution (:mod:`gupgeo.attribution.territory`), kept on every layer."""
SHOWN_COLUMNS: Mapping[str, frozenset[str]] = {
    "quartiers": frozenset({"code_qp", "nom_qp", "commune", "insee_com", "perimetre"}),
    "operations": frozenset({"id", "nom"}),
    "equipements": frozenset({"id", "nom", "type", "gestionnaire", "adresse"}),
    "signalements": frozenset(
        {"id", "categorie", "sous_categorie", "statut", "statut_brut", "source", "adresse"}
    ),
    "constats": frozenset(
        {"id", "demarche", "id_demarche", "theme", "recommandation", "statut"}
        | {"diagnostic_id", "responsable"}
    ),
    "diagnostics": frozenset({"id", "objet", "demarche"}),
    "partenaires": frozenset({"nom", "type"}),
    "actions": frozenset({"id", "theme", "intitule", "porteur", "statut"}),
    "tfpb": frozenset({"bailleur", "axe", "action"}),
    "arrets_agents": frozenset(),
    "reunions": frozenset({"objet"}),
    "garanties": frozenset({"objet_id", "motif"}),
}
"""Text columns each layer shows in ``partenaires`` and ``public`` (masked), besides
:data:`ATTRIBUTION_COLUMNS`: every other text column is dropped unless the caller asks
for it (``keep_columns``). Labels and short texts the products print; no free text."""

_PERSONAL_TOKENS = frozenset(
    {
        "prenom", "prenoms", "telephone", "tel", "portable", "mobile", "phone", "email",
        "mail", "courriel", "declarant", "declarante", "auteur", "auteure", "demandeur",
        "requerant", "signataire", "redacteur", "contact", "locataire", "habitant",
        "firstname", "lastname", "surname", "personne",
    }
)  # fmt: skip
_PERSONAL_NAMES = frozenset({"nom", "nom_prenom", "nom_agent", "agent", "identite", "name"})
_ALWAYS_PERSONAL = {"arrets_agents": frozenset({"motif"})}
"""Columns never published, even when asked for (health data of agents)."""

KeepColumns = Mapping[str, Sequence[str]] | Sequence[str] | None


def check_profile(profile: str) -> str:
    """Return ``profile`` if known, else raise ``ValueError`` naming the valid ones."""
    if profile not in PROFILES:
        raise ValueError(f"publication : {profile!r} inconnu ; attendu l'un de {list(PROFILES)}")
    return profile


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


def _kept_by_caller(keep_columns: KeepColumns, layer: str | None) -> frozenset[str]:
    if keep_columns is None:
        return frozenset()
    if isinstance(keep_columns, str):
        return frozenset({keep_columns})
    if isinstance(keep_columns, Mapping):
        wanted = keep_columns.get(layer or "", ())
        return frozenset({wanted} if isinstance(wanted, str) else wanted)
    return frozenset(keep_columns)


def remove_personal_data(
    frame: pd.DataFrame,
    *,
    layer: str | None = None,
    keep_description: bool = False,
    keep_columns: KeepColumns = None,
    max_chars: int | None = MAX_TEXT_CHARS,
) -> tuple[pd.DataFrame, list[str]]:
    """Drop personal and free-text columns, mask every text kept; return notes (French).

    Kept: :data:`SHOWN_COLUMNS` of ``layer``, :data:`ATTRIBUTION_COLUMNS`, columns that
    hold no text (numbers, dates), and the text columns listed in ``keep_columns`` (a
    list for every layer, or a mapping layer → list) or ``description`` with
    ``keep_description``. Personal columns (:func:`is_personal_column`) are never kept.
    """
    geometry = _geometry_name(frame)
    shown = (
        SHOWN_COLUMNS.get(layer or "", frozenset())
        | ATTRIBUTION_COLUMNS
        | _kept_by_caller(keep_columns, layer)
        | ({"description"} if keep_description else set())
    )
    never = _ALWAYS_PERSONAL.get(layer or "", frozenset())
    dropped: list[Any] = []
    texts: list[Any] = []
    for column in frame.columns:
        if column == geometry:
            continue
        if column in never or is_personal_column(str(column), layer=layer):
            dropped.append(column)
        elif is_text_like(frame[column]):
            (texts if column in shown else dropped).append(column)
    out = frame.drop(columns=dropped)
    notes = []
    if dropped:
        names = ", ".join(sorted(map(str, dropped)))
        notes.append(f"{layer or 'couche'} : colonnes retirées : {names}")
    cut = 0
    for column in texts:
        out[column], n_cut = mask_series(out[column], max_chars=max_chars)
        cut += n_cut
    if cut:
        notes.append(
            f"{layer or 'couche'} : {cut} texte(s) de plus de {max_chars} caractères coupé(s)"
        )
    renamed = {c: mask(str(c)) for c in out.columns if c != geometry and mask(str(c)) != str(c)}
    return (out.rename(columns=renamed) if renamed else out), notes


def withhold_essp(frame: pd.DataFrame, *, layer: str) -> tuple[pd.DataFrame | None, str]:
    """Remove the ESSP rows of ``constats`` (:func:`essp_mask`) or ``actions``
    (:func:`cites_essp`); return the rest (None: the whole layer is withheld) and a note.
    Other layers are returned unchanged."""
    if layer in ("constats", "diagnostics") and "demarche" not in frame.columns:
        return None, f"{layer} : couche retirée (colonne demarche absente, ESSP non exclus)"
    if layer in ("constats", "diagnostics"):
        mask_ = essp_mask(frame)
        why = "ESSP par démarche, identifiant ou texte, ou démarche non renseignée"
    elif layer == "actions":
        mask_ = cites_essp(frame)
        why = "mention d'une ESSP"
    else:
        return frame, ""
    return frame.loc[~mask_], f"{layer} : {int(mask_.sum())} retiré(s) ({why})"


def _geometry_name(frame: pd.DataFrame) -> str | None:
    return frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None


def apply_secret(counts: pd.Series, *, threshold: int = SECRET_THRESHOLD) -> pd.DataFrame:
    """Counts with statistical secrecy: ``effectif`` is <NA> and ``libelle`` "secret"
    wherever the count is below ``threshold`` (zero included); ``libelle`` is the count as
    a French reader writes it (narrow no-break space between thousands).

    Examples
    --------
    >>> apply_secret(pd.Series([3, 25, 4764], index=["a", "b", "c"]))["libelle"].tolist()
    ['secret', '25', '4\u202f764']
    """
    values = counts.astype("Int64")
    secret = (values < threshold).fillna(True).astype(bool)
    return pd.DataFrame(
        {
            "effectif": values.mask(secret),
            "secret": secret,
            "libelle": [
                SECRET_LABEL if s else format_number(int(v))
                for v, s in zip(values, secret, strict=True)
            ],
        },
        index=counts.index,
    )


def aggregate_to_grid(
    points: gpd.GeoDataFrame, *, cell_size_m: float = 200.0, threshold: int = SECRET_THRESHOLD
) -> gpd.GeoDataFrame:
    """Count points (representative point of other geometries) on a Lambert-93 grid.

    Cells are squares anchored on multiples of ``cell_size_m``; only cells holding at
    least one point are returned, with ``carreau`` (an id such as
    ``L93_200m_E525000_N6702400``), ``effectif``, ``secret`` and ``libelle``.
    """
    if not 100 <= cell_size_m <= 1000:
        raise ValueError(f"cell_size_m : {cell_size_m!r} ; attendu entre 100 et 1000 m")
    work = to_work_crs(points, name="points à agréger")
    geoms = work.geometry.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    geoms = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    size = float(cell_size_m)
    corners = pd.DataFrame(
        {
            "e": (np.floor(shapely.get_x(geoms) / size) * size).astype("int64"),
            "n": (np.floor(shapely.get_y(geoms) / size) * size).astype("int64"),
        }
    )
    counts = corners.value_counts().sort_index()
    east = counts.index.get_level_values("e").to_numpy()
    north = counts.index.get_level_values("n").to_numpy()
    ids = [f"L93_{size:g}m_E{e}_N{n}" for e, n in zip(east, north, strict=True)]
    table = apply_secret(pd.Series(counts.to_numpy(), index=ids), threshold=threshold)
    return gpd.GeoDataFrame(
        {
            "carreau": pd.array(ids, dtype="string"),
            **{c: table[c].array for c in table.columns},
        },
        geometry=shapely.box(east, north, east + size, north + size),
        crs=work.crs,
    )


def aggregate_to_zones(
    points: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    id_column: str = "code_qp",
    threshold: int = SECRET_THRESHOLD,
) -> tuple[gpd.GeoDataFrame, int]:
    """Count features per zone (every zone, zero included) with secrecy.

    Points already attributed (they carry ``id_column``, as every layer of an attributed
    territory does) are counted from that column, so a map shows the very figure of
    the dashboard; otherwise counting is :func:`gupgeo.attribution.count_by_zone` (a
    point on a perimeter counts). Also returns how many features fell outside every zone.
    """
    zones_work = to_work_crs(zones, name="zones")
    if id_column in points.columns:
        codes = points[id_column]
        counts = codes.value_counts().reindex(zones_work[id_column], fill_value=0)
        outside = int(len(codes) - int(counts.sum()))
        table = apply_secret(counts.astype("int64"), threshold=threshold)
    else:
        light = gpd.GeoDataFrame(geometry=points.geometry.array, crs=points.crs)
        counted = count_by_zone(light, zones_work, key=id_column)
        outside = int(counted.attrs[REPORT_ATTR][id_column].n_outside)
        table = apply_secret(counted["nombre"].reindex(zones_work[id_column]), threshold=threshold)
    keep = [id_column, *[c for c in ("nom_qp",) if c in zones_work.columns]]
    out = gpd.GeoDataFrame(
        zones_work[keep].reset_index(drop=True),
        geometry=zones_work.geometry.to_numpy(),
        crs=zones_work.crs,
    )
    for column in table.columns:
        out[column] = table[column].array
    return out, outside


@dataclass(frozen=True)
class Publication:
    """Layers prepared for a profile, with notes (in French) of what was removed.

    ``withheld`` counts the rows withheld per layer (ESSP); ``provenance`` is the
    territory's, with file names only outside ``interne``.
    """

    profile: str
    layers: dict[str, pd.DataFrame]
    notes: tuple[str, ...]
    secret_threshold: int
    aggregated: dict[str, str]
    withheld: Mapping[str, int] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    attribution_settings: Any = None
    """The attribution of the territory it was published from (products never attribute
    the published rows again)."""

    @property
    def label(self) -> str:
        return PROFILE_LABELS[self.profile]

    def territory(self) -> Any:
        """The published layers as a :class:`~gupgeo.territory.Territory` (points kept
        unless aggregated), with the published provenance."""
        from gupgeo.territory import Territory

        out = Territory(self.layers, provenance=dict(self.provenance))
        out.attribution_settings = self.attribution_settings
        return out


def layers_of(source: Any) -> dict[str, pd.DataFrame]:
    """The layers of a Territory (its ``.layers``) or of a plain mapping name → frame."""
    layers = getattr(source, "layers", source)
    if not isinstance(layers, Mapping):
        raise TypeError(
            f"couches : reçu {type(source).__name__} ; attendu un Territory ou un "
            "dictionnaire nom de couche → (Geo)DataFrame"
        )
    return dict(layers)


def sanitise(
    source: Any,
    profile: str = "interne",
    *,
    keep_columns: KeepColumns = None,
    keep_description: bool = False,
    max_chars: int = MAX_TEXT_CHARS,
) -> Publication:
    """Every rule of a profile but the aggregation of ``public``: the published rows.

    Outside ``interne``: ESSP rows withheld (:func:`withhold_essp`), personal and
    free-text columns dropped and every text kept masked and cut
    (:func:`remove_personal_data`), provenance reduced to file names. The atlas, the
    review and the dashboard of a shared output start from it (the ``public`` products
    then aggregate or apply the secret themselves); maps use :func:`publish`.

    Parameters
    ----------
    source
        A Territory or a mapping layer name → (Geo)DataFrame.
    profile
        ``"interne"``, ``"partenaires"`` or ``"public"``.
    keep_columns
        Free-text columns to keep (masked): a list for every layer, or a mapping layer →
        list, e.g. ``{"signalements": ["observations"]}``. Personal columns are never
        kept.
    keep_description
        Shorthand for keeping ``description`` on every layer.
    max_chars
        Longest text kept; longer ones are cut with "…".
    """
    check_profile(profile)
    if max_chars < 1:
        raise ValueError(f"max_chars : {max_chars!r} ; attendu un entier ≥ 1")
    layers = layers_of(source)
    provenance = dict(getattr(source, "provenance", None) or {})
    settings = getattr(source, "attribution_settings", None)
    if profile == "interne":
        return Publication(profile, layers, (), SECRET_THRESHOLD, {}, {}, provenance, settings)
    notes: list[str] = []
    withheld: dict[str, int] = {}
    out: dict[str, pd.DataFrame] = {}
    for name, frame in layers.items():
        kept, note = withhold_essp(frame, layer=name)
        if note:
            notes.append(note)
        if kept is None:
            withheld[name] = len(frame)
            continue
        if len(kept) < len(frame):
            withheld[name] = len(frame) - len(kept)
        cleaned, layer_notes = remove_personal_data(
            kept,
            layer=name,
            keep_description=keep_description,
            keep_columns=keep_columns,
            max_chars=max_chars,
        )
        notes.extend(layer_notes)
        out[name] = cleaned
    return Publication(
        profile, out, tuple(notes), SECRET_THRESHOLD, {}, withheld,
        shared_provenance(provenance), settings,
    )  # fmt: skip


def published(layers: Mapping[str, pd.DataFrame], profile: str) -> Publication:
    """Layers that already went through :func:`sanitise` for ``profile`` and were then
    cut (per page, around a perimeter…): :func:`publish` and the maps take them as they
    are instead of masking them again (in ``public`` they are still aggregated)."""
    return Publication(check_profile(profile), dict(layers), (), SECRET_THRESHOLD, {})


def publish(
    source: Any,
    profile: str = "interne",
    *,
    keep_columns: KeepColumns = None,
    keep_description: bool = False,
    aggregate: Literal["grille", "quartier"] = "grille",
    cell_size_m: float = GRID_CELL_M,
    secret_threshold: int = SECRET_THRESHOLD,
    max_chars: int = MAX_TEXT_CHARS,
) -> Publication:
    """Prepare every layer of a territory for a publication profile.

    :func:`sanitise`, then in ``public`` the event layers become counts. A
    :class:`Publication` of the same profile, not yet aggregated (see :func:`published`),
    is not sanitised twice (``keep_columns``, ``keep_description`` and ``max_chars`` are
    then those it was made with).

    Parameters
    ----------
    source
        A Territory or a mapping layer name → (Geo)DataFrame.
    profile
        ``"interne"``, ``"partenaires"`` or ``"public"``.
    keep_columns
        Free-text columns to keep (masked) in ``partenaires`` and ``public``: a list for
        every layer or a mapping layer → list (see :func:`sanitise`).
    keep_description
        Keep ``description`` columns (masked) in ``partenaires`` and ``public``.
    aggregate
        ``public`` only: ``"grille"`` (Lambert-93 squares of ``cell_size_m``) or
        ``"quartier"`` (needs a ``quartiers`` layer). Aggregated layers are named
        ``<layer>_agreges``.
    secret_threshold
        Counts below it are "secret" (``public`` only).
    max_chars
        Longest text kept in ``partenaires`` and ``public``.

    Examples
    --------
    >>> con = pd.DataFrame({"id": ["C1", "C2"], "demarche": ["marche exploratoire", "étude"],
    ...                     "observations": ["Vu avec M. Dupont", "RAS"]})
    >>> pub = publish({"constats": con}, "partenaires")
    >>> pub.layers["constats"].columns.tolist(), pub.withheld
    (['id', 'demarche'], {'constats': 1})
    """
    check_profile(profile)
    if secret_threshold < 1:
        raise ValueError(f"secret_threshold : {secret_threshold!r} ; attendu un entier ≥ 1")
    if isinstance(source, Publication) and source.profile == profile and not source.aggregated:
        base = source
    else:
        base = sanitise(
            source,
            profile,
            keep_columns=keep_columns,
            keep_description=keep_description,
            max_chars=max_chars,
        )
    if profile == "interne":
        return dataclasses.replace(base, secret_threshold=secret_threshold)
    notes = list(base.notes)
    out = dict(base.layers)
    aggregated: dict[str, str] = {}
    if profile == "public":
        for name in EVENT_LAYERS:
            events = out.get(name)
            if not isinstance(events, gpd.GeoDataFrame):
                continue
            del out[name]
            key = f"{name}_agreges"
            if aggregate == "quartier":
                zones = out.get("quartiers")
                if not isinstance(zones, gpd.GeoDataFrame):
                    raise ValueError("aggregate='quartier' demande une couche quartiers")
                out[key], outside = aggregate_to_zones(events, zones, threshold=secret_threshold)
                notes.append(
                    f"{name} : agrégés par quartier ({outside} hors quartier non représentés)"
                )
            else:
                out[key] = aggregate_to_grid(
                    events, cell_size_m=cell_size_m, threshold=secret_threshold
                )
                notes.append(f"{name} : agrégés en carreaux de {cell_size_m:g} m")
            aggregated[name] = key
    for note in notes:
        logger.info("publication %s : %s", profile, note)
    return dataclasses.replace(
        base, layers=out, notes=tuple(notes), secret_threshold=secret_threshold,
        aggregated=aggregated,
    )  # fmt: skip
