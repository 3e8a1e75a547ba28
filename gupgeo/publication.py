"""Publication profiles: what may leave the team, and in what form.

Every shared output (HTML map, atlas, export) goes through one of three profiles:

``interne``
    Everything, for the GUP team itself. Never to be sent outside.
``partenaires``
    For the cities, bailleurs and the State. Removes personal fields (columns holding
    names, first names, phone numbers, e-mails, authors or declarants; ``description``
    unless ``keep_description=True``; the ``motif`` of agents' stoppages), masks e-mails,
    phone numbers and names after a civility ("M. Nom", "Mme de la Tour") found in any
    remaining text, and removes every finding (``constats``) coming from an ESSP — étude
    de sûreté et de sécurité publique, legally not communicable — as well as findings
    whose ``demarche`` is unknown (they could be one): :func:`essp_mask` is the one rule,
    used by the dashboard, the atlas, the review and the maps. A name written without a
    civility ("Jean Dupont") in free text cannot be detected reliably and is *not*
    masked: free text must be read before it is shared.
``public``
    ``partenaires``, then the event layers (``signalements``, ``constats``, ``actions``)
    are replaced by counts on a Lambert-93 grid (200 m by default) or per quartier: no
    point coordinates survive. A count below ``secret_threshold`` (11 by default, in the
    manner of statistical secrecy) is replaced by "secret" — never by 0 and never shown.
    Secondary secrecy (a secret cell recomputed from totals) is :mod:`gupgeo.secrecy`'s;
    the review and the atlas apply it to every table of a public page.

Pure pandas/geopandas: the maps, the atlas and the exports share it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.attribution.zones import REPORT_ATTR, count_by_zone
from gupgeo.crs import to_work_crs
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

PROFILE_LABELS: dict[str, str] = {
    "interne": "interne — toutes les données, ne pas diffuser",
    "partenaires": "partenaires — champs personnels retirés, coordonnées et noms précédés "
    "d'une civilité masqués, sans constats ESSP (relire les textes libres)",
    "public": "public — données agrégées, petits effectifs couverts par le secret",
}

_PERSONAL_TOKENS = frozenset(
    {
        "prenom", "prenoms", "telephone", "tel", "portable", "mobile", "phone", "email",
        "mail", "courriel", "declarant", "declarante", "auteur", "auteure", "demandeur",
        "requerant", "signataire", "redacteur", "contact", "locataire", "habitant",
        "firstname", "lastname", "surname", "personne",
    }
)  # fmt: skip
_PERSONAL_NAMES = frozenset({"nom", "nom_prenom", "nom_agent", "agent", "identite", "name"})
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)\s?33[\s.-]?(?:\(0\)[\s.-]?)?[1-9]|\(0\)[\s.-]?[1-9]|0[1-9])"
    r"(?:[\s.-]?\d{2}){4}(?!\d)"
)
_PARTICLE = r"(?:(?:de\s+la|de|du|des)\s+|(?:de\s+l|d)['’]\s*)"
_NAME = r"[A-ZÀ-ÖØ-Þ][\w'’-]*"
_CIVILITE = re.compile(
    r"(?<![\w.])(?:M|MM|Mr|(?i:mme|mmes|mlle|mlles|monsieur|madame|mademoiselle))\.?\s+"
    rf"{_PARTICLE}?{_NAME}(?:\s+{_PARTICLE}?{_NAME})?"
)
_ESSP = re.compile(
    r"(?:^|_)(?:essp|e_s_s_p)(?:_|$)|surete_et_(?:de_)?securite|etude_(?:de_)?surete"
    r"|securite_publique"
)
_UNKNOWN = frozenset(
    {"", "nc", "na", "n_a", "nr", "nan", "none", "null", "inconnu", "inconnue", "non_renseigne",
     "non_renseignee", "non_precise", "non_precisee", "a_preciser"}
)  # fmt: skip


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


def scrub_text(values: pd.Series) -> pd.Series:
    """Mask e-mails, phone numbers and names after a civility in free text.

    Phones: French numbers, national or international (``+33 6…``, ``0033 6…``,
    ``+33 (0)6…``), with spaces, dots or dashes. Names: a capitalised word (or two),
    with a particle ``de``, ``du``, ``des``, ``de la``, ``d'`` allowed, after ``M``,
    ``M.``, ``MM.``, ``Mr``, ``Mme``, ``Mlle``, ``Monsieur``, ``Madame``,
    ``Mademoiselle``. A name without a civility ("Jean Dupont") is **not** detected:
    free text shared outside the team must still be read.

    Examples
    --------
    >>> scrub_text(pd.Series(["Appeler Mme Durand au 06 12 34 56 78 ou a.b@x.fr"])).iloc[0]
    'Appeler [nom masqué] au [téléphone masqué] ou [courriel masqué]'
    """
    text = values.astype("string")
    text = text.str.replace(_EMAIL, "[courriel masqué]", regex=True)
    text = text.str.replace(_PHONE, "[téléphone masqué]", regex=True)
    return text.str.replace(_CIVILITE, "[nom masqué]", regex=True)


def _demarche_key(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return re.sub(r"[^a-z0-9]+", "_", normalise_name(value)).strip("_")


def is_essp(demarche: pd.Series) -> pd.Series:
    """True where a finding comes from an ESSP (or its démarche is unknown).

    Examples
    --------
    >>> is_essp(pd.Series(["Étude de sûreté", "diagnostic en marchant", " "])).tolist()
    [True, False, True]
    """
    keys = [_demarche_key(v) for v in demarche.astype("object")]
    flags = [k in _UNKNOWN or bool(_ESSP.search(k)) for k in keys]
    return pd.Series(flags, index=demarche.index, dtype=bool)


def essp_mask(constats: pd.DataFrame) -> np.ndarray:
    """Rows of a ``constats`` layer that may not leave the team (the one ESSP rule).

    True where :func:`is_essp` says so, and on every row when the layer has no
    ``demarche`` column (an ESSP finding could not be told apart).
    """
    if "demarche" not in constats.columns:
        return np.ones(len(constats), dtype=bool)
    return is_essp(constats["demarche"]).to_numpy(dtype=bool)


def remove_personal_data(
    frame: pd.DataFrame, *, layer: str | None = None, keep_description: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Drop personal columns and mask contacts in the remaining text; return notes."""
    notes = []
    dropped = [
        c
        for c in frame.columns
        if c != _geometry_name(frame) and is_personal_column(c, layer=layer)
    ]
    if "description" in frame.columns and not keep_description:
        dropped.append("description")
    if layer == "arrets_agents" and "motif" in frame.columns:
        dropped.append("motif")
    out = frame.drop(columns=sorted(set(dropped)))
    if dropped:
        notes.append(f"{layer or 'couche'} : colonnes retirées : {', '.join(sorted(set(dropped)))}")
    for column in out.columns:
        if column != _geometry_name(out) and _is_text(out[column]):
            out[column] = scrub_text(out[column])
    return out, notes


def _geometry_name(frame: pd.DataFrame) -> str | None:
    return frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def apply_secret(counts: pd.Series, *, threshold: int = SECRET_THRESHOLD) -> pd.DataFrame:
    """Counts with statistical secrecy: ``effectif`` is <NA> and ``libelle`` "secret"
    wherever the count is below ``threshold`` (zero included).

    Examples
    --------
    >>> apply_secret(pd.Series([3, 25], index=["a", "b"]))["libelle"].tolist()
    ['secret', '25']
    """
    values = counts.astype("Int64")
    secret = (values < threshold).fillna(True).astype(bool)
    return pd.DataFrame(
        {
            "effectif": values.mask(secret),
            "secret": secret,
            "libelle": [
                SECRET_LABEL if s else str(int(v)) for v, s in zip(values, secret, strict=True)
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
    """Layers prepared for a profile, with notes (in French) of what was removed."""

    profile: str
    layers: dict[str, pd.DataFrame]
    notes: tuple[str, ...]
    secret_threshold: int
    aggregated: dict[str, str]

    @property
    def label(self) -> str:
        return PROFILE_LABELS[self.profile]


def layers_of(source: Any) -> dict[str, pd.DataFrame]:
    """The layers of a Territory (its ``.layers``) or of a plain mapping name → frame."""
    layers = getattr(source, "layers", source)
    if not isinstance(layers, Mapping):
        raise TypeError(
            f"couches : reçu {type(source).__name__} ; attendu un Territory ou un "
            "dictionnaire nom de couche → (Geo)DataFrame"
        )
    return dict(layers)


def publish(
    source: Any,
    profile: str = "interne",
    *,
    keep_description: bool = False,
    aggregate: Literal["grille", "quartier"] = "grille",
    cell_size_m: float = GRID_CELL_M,
    secret_threshold: int = SECRET_THRESHOLD,
) -> Publication:
    """Prepare every layer of a territory for a publication profile.

    Parameters
    ----------
    source
        A Territory or a mapping layer name → (Geo)DataFrame.
    profile
        ``"interne"``, ``"partenaires"`` or ``"public"``.
    keep_description
        Keep ``description`` columns (masked) in ``partenaires`` and ``public``.
    aggregate
        ``public`` only: ``"grille"`` (Lambert-93 squares of ``cell_size_m``) or
        ``"quartier"`` (needs a ``quartiers`` layer). Aggregated layers are named
        ``<layer>_agreges``.
    secret_threshold
        Counts below it are "secret" (``public`` only).
    """
    check_profile(profile)
    if secret_threshold < 1:
        raise ValueError(f"secret_threshold : {secret_threshold!r} ; attendu un entier ≥ 1")
    layers = layers_of(source)
    if profile == "interne":
        return Publication(profile, layers, (), secret_threshold, {})
    notes: list[str] = []
    out: dict[str, pd.DataFrame] = {}
    for name, frame in layers.items():
        cleaned, layer_notes = remove_personal_data(
            frame, layer=name, keep_description=keep_description
        )
        notes.extend(layer_notes)
        if name == "constats":
            if "demarche" in cleaned.columns:
                mask = essp_mask(cleaned)
                cleaned = cleaned.loc[~mask]
                notes.append(
                    f"constats : {int(mask.sum())} retiré(s) (ESSP ou démarche non renseignée)"
                )
            else:
                notes.append(
                    "constats : couche retirée (colonne demarche absente, ESSP non exclus)"
                )
                continue
        out[name] = cleaned
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
    return Publication(profile, out, tuple(notes), secret_threshold, aggregated)
