"""The Publication: one profile's whole policy applied once to an attributed territory.

``publish(attributed, profil)`` is the only way to a :class:`Publication`, and every
shared product (dashboard, map, atlas, review, veille, QGIS project) takes one. Outside
``interne`` it has, once and for all:

1. withheld every ESSP finding and every row citing one
   (:mod:`gupgeo.publication.withholding`);
2. kept only each layer's allowed columns, masked every text kept
   (:mod:`gupgeo.publication.columns`);
3. grouped rare category values into « autre »
   (:mod:`gupgeo.publication.vocabulary`);
4. in ``public``: withheld the layers about people (arrêts des agents); it says
   ``secret`` to its products, which apply statistical secrecy to every count table they
   show (the dashboard in :mod:`gupgeo.dashboard.secrecy`, the atlas and the review with
   their own lines; a new table through :meth:`Publication.protect_counts`), and it
   aggregates points for maps (:func:`aggregate_events`).

The notes (French) say what was removed, with counts and masked column names, never
a raw value.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd

from gupgeo.attribution import AttributedTerritory, AttributionSettings, attributed
from gupgeo.publication._masking import shared_provenance
from gupgeo.publication.columns import MAX_TEXT_CHARS, KeepColumns, remove_personal_data
from gupgeo.publication.distributed import publish_dask_layer
from gupgeo.publication.profile import Profil
from gupgeo.publication.secret import (
    EVENT_LAYERS,
    GRID_CELL_M,
    SECRET_THRESHOLD,
    aggregate_to_grid,
    aggregate_to_zones,
    protect_table,
)
from gupgeo.publication.vocabulary import restrict_vocabulary
from gupgeo.publication.withholding import withhold_essp
from gupgeo.storage.loading import as_territory
from gupgeo.storage.parquet import is_dask
from gupgeo.territory import Territory

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

PEOPLE_LAYERS: tuple[str, ...] = ("arrets_agents",)
"""Layers about identifiable people (agents' sick leaves): never in ``public``."""
MIN_COUNT = 5
"""A category value met fewer times leaves only if the schema knows it (else « autre »)."""


@dataclass(frozen=True)
class PublicationPolicy:
    """The choices a publication is made with (validated)."""

    keep_columns: KeepColumns = None
    """Free-text columns to keep (masked): a list for every layer or layer → list."""
    keep_description: bool = False
    max_chars: int = MAX_TEXT_CHARS
    min_count: int = MIN_COUNT
    secret_threshold: int = SECRET_THRESHOLD

    def __post_init__(self) -> None:
        if self.max_chars < 1:
            raise ValueError(f"max_chars : {self.max_chars!r} ; attendu un entier ≥ 1")
        if self.min_count < 1:
            raise ValueError(f"min_count : {self.min_count!r} ; attendu un entier ≥ 1")
        if self.secret_threshold < 1:
            raise ValueError(
                f"secret_threshold : {self.secret_threshold!r} ; attendu un entier ≥ 1"
            )


@dataclass(frozen=True)
class Publication:
    """Layers published for one profile, with notes (French) of what was removed.

    Immutable; made by :func:`publish` (or cut from another by :meth:`restricted`).
    Products read :attr:`layers` and ask what the profile shows through
    :attr:`locates`, :attr:`masks` and :attr:`secret`.
    """

    profil: Profil
    layers: Mapping[str, pd.DataFrame]
    notes: tuple[str, ...] = ()
    policy: PublicationPolicy = field(default_factory=PublicationPolicy)
    withheld: Mapping[str, int] = field(default_factory=dict)
    """Rows withheld per layer (ESSP, rows citing one, layers about people)."""
    provenance: Mapping[str, Any] = field(default_factory=dict)
    attribution_settings: AttributionSettings | None = None
    """The attribution of the territory it was published from (products never attribute
    the published rows again)."""
    aggregated: Mapping[str, str] = field(default_factory=dict)
    """``public`` maps only: event layer → its counts layer (:func:`aggregate_events`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", dict(self.layers))  # a copy: picklable

    @property
    def profile(self) -> str:
        """The profile's name (``"partenaires"``…)."""
        return self.profil.value

    @property
    def label(self) -> str:
        return self.profil.label

    @property
    def secret_threshold(self) -> int:
        return self.policy.secret_threshold

    @property
    def locates(self) -> bool:
        """Whether rows and points are shown one by one (not in ``public``)."""
        return self.profil.locates

    @property
    def masks(self) -> bool:
        """Whether texts were masked and columns restricted (not in ``interne``)."""
        return self.profil.masks

    @property
    def secret(self) -> bool:
        """Whether counts shown are under statistical secrecy (``public``)."""
        return self.profil.secret

    def get(self, name: str) -> pd.DataFrame | None:
        return self.layers.get(name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(
                f"couche « {name} » absente de la publication ; couches publiées : "
                f"{', '.join(self.layers) or 'aucune'}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.layers

    def territory(self) -> AttributedTerritory | Territory:
        """The published layers as a territory (with the attribution settings)."""
        if self.attribution_settings is None:
            return Territory(dict(self.layers), provenance=dict(self.provenance))
        source = Territory(dict(self.layers), provenance=dict(self.provenance))
        return AttributedTerritory(
            self.layers, settings=self.attribution_settings, reports={}, source=source
        )

    def restricted(self, layers: Mapping[str, pd.DataFrame]) -> Publication:
        """The same publication with ``layers`` cut from its own (a page, a perimeter):
        nothing is masked again, and nothing unpublished can come in."""
        unknown = [n for n in layers if n not in self.layers and n not in self.aggregated.values()]
        if unknown:
            raise ValueError(
                f"publication : couche(s) {', '.join(unknown)} absente(s) de la publication"
            )
        return dataclasses.replace(self, layers=dict(layers))

    def protect_counts(
        self,
        counts: pd.DataFrame,
        *,
        total_row: Hashable | None = None,
        total_column: Hashable | None = None,
    ) -> pd.DataFrame:
        """A count table as this publication may show it: in ``public`` every count
        from 1 to the threshold − 1 reads « secret », with complementary suppression
        (:func:`gupgeo.publication.secret.protect_table`); unchanged otherwise."""
        if not self.secret:
            return counts
        return protect_table(
            counts,
            threshold=self.secret_threshold,
            total_row=total_row,
            total_column=total_column,
        )

    def method_notes(self) -> tuple[str, ...]:
        """The notes, for a "sources et méthode" section (profile first)."""
        attribution = self.attribution_settings
        described = (f"{attribution.describe()}.",) if attribution is not None else ()
        return (f"Profil de diffusion : {self.label}.", *described, *self.notes)


Source = AttributedTerritory | Territory | Mapping[str, pd.DataFrame]
"""What :func:`publish` takes: an attributed territory (or one to attribute at the door)."""


def _attributed_source(source: Source) -> Territory:
    """The attributed territory to publish; one without quartiers is published as is."""
    if isinstance(source, AttributedTerritory):
        return source
    territory = as_territory(source)
    if "quartiers" in territory:
        return attributed(territory)
    return territory


def publish(
    source: Source | Publication,
    profil: Profil | str = Profil.PARTENAIRES,
    *,
    keep_columns: KeepColumns = None,
    keep_description: bool = False,
    max_chars: int = MAX_TEXT_CHARS,
    min_count: int = MIN_COUNT,
    secret_threshold: int = SECRET_THRESHOLD,
) -> Publication:
    """Publish an attributed territory for a profile: the one step before any product.

    Parameters
    ----------
    source
        An :class:`~gupgeo.attribution.AttributedTerritory`; a Territory (or a mapping
        layer name → frame) with a ``quartiers`` layer is attributed here, at the door,
        with the default settings. A :class:`Publication` of the same profile is
        returned as is (another profile: ``ValueError``).
    profil
        A :class:`Profil` or its name: ``"interne"``, ``"partenaires"`` (default) or
        ``"public"``.
    keep_columns, keep_description
        Free-text columns to keep (masked) outside ``interne``: a list for every layer,
        or a mapping layer → list (``{"signalements": ["observations"]}``);
        ``keep_description`` keeps ``description``. Personal columns are never kept.
    max_chars
        Longest text kept; longer ones are cut with "…".
    min_count
        A category value met fewer times than this leaves as « autre » unless the schema
        knows it.
    secret_threshold
        ``public``: counts from 1 to this − 1 read « secret ».

    Examples
    --------
    >>> con = pd.DataFrame({"id": ["C1", "C2"], "demarche": ["marche exploratoire", "étude"],
    ...                     "observations": ["Vu avec M. Dupont", "RAS"]})
    >>> pub = publish({"constats": con}, "partenaires")
    >>> pub.layers["constats"].columns.tolist(), dict(pub.withheld)
    (['id', 'demarche'], {'constats': 1})
    """
    profil = Profil.parse(profil)
    if isinstance(source, Publication):
        if source.profil is not profil:
            raise ValueError(
                f"publication : déjà publiée pour « {source.profil} », demandée pour "
                f"« {profil} » ; publier le territoire rattaché pour ce profil"
            )
        return source
    policy = PublicationPolicy(
        keep_columns=keep_columns,
        keep_description=keep_description,
        max_chars=max_chars,
        min_count=min_count,
        secret_threshold=secret_threshold,
    )
    territory = _attributed_source(source)
    settings = territory.attribution_settings
    layers = dict(territory.layers)
    provenance = dict(territory.provenance)
    if not profil.masks:
        return Publication(profil, layers, (), policy, {}, provenance, settings)
    # Citations are read in the whole text, not only in the part that leaves: a row citing
    # an ESSP finding anywhere may describe it in the part that does leave.
    kept, withheld, notes, ids = withhold_essp(layers)
    options: dict[str, Any] = {
        "keep_columns": keep_columns,
        "keep_description": keep_description,
        "max_chars": max_chars,
    }
    out: dict[str, pd.DataFrame] = {}
    for name, frame in kept.items():
        if frame is None:
            continue
        if not profil.locates and name in PEOPLE_LAYERS:
            withheld[name] = len(frame)
            notes.append(
                f"{name} : non publiés dans le profil public (données de santé de "
                "personnes identifiables)"
            )
            continue
        if is_dask(frame):
            out[name], layer_notes, n_cited = publish_dask_layer(
                frame, layer=name, ids=ids, min_count=min_count, **options
            )
            notes.extend(layer_notes)
            if n_cited:
                withheld[name] = withheld.get(name, 0) + n_cited
            continue
        cleaned, layer_notes = remove_personal_data(frame, layer=name, **options)
        cleaned, vocabulary_notes = restrict_vocabulary(
            cleaned, layer=name, min_count=min_count, known=_territory_vocabulary(layers)
        )
        notes.extend([*layer_notes, *vocabulary_notes])
        out[name] = cleaned
    for note in notes:
        logger.info("publication %s : %s", profil, note)
    return Publication(
        profil, out, tuple(notes), policy, withheld, shared_provenance(provenance), settings
    )


def _territory_vocabulary(layers: Mapping[str, pd.DataFrame]) -> dict[str, list[object]]:
    """Values the territory itself declares: its partners' names are known responsables."""
    partenaires = layers.get("partenaires")
    if partenaires is None or "nom" not in partenaires.columns:
        return {}
    return {"responsable": partenaires["nom"].dropna().tolist()}


def as_publication(
    source: Publication | Source, profil: Profil | str | None = None, **options: Any
) -> Publication:
    """The publication a product is built from: ``source`` if it is one (of ``profil``
    when given), else ``source`` published for ``profil`` (default ``partenaires``)
    with ``options`` (those of :func:`publish`) — the door of every product.

    Examples
    --------
    >>> pub = publish({}, "public")
    >>> as_publication(pub) is pub
    True
    >>> as_publication(pub, "interne")
    Traceback (most recent call last):
    ...
    ValueError: publication : reçu une publication « public », demandé « interne »
    """
    if isinstance(source, Publication):
        if profil is not None and Profil.parse(profil) is not source.profil:
            raise ValueError(
                f"publication : reçu une publication « {source.profil} », demandé "
                f"« {Profil.parse(profil)} »"
            )
        return source
    return publish(source, Profil.PARTENAIRES if profil is None else profil, **options)


def aggregate_events(
    publication: Publication,
    *,
    aggregate: Literal["grille", "quartier"] = "grille",
    cell_size_m: float = GRID_CELL_M,
) -> Publication:
    """A ``public`` publication whose event layers (signalements, constats, actions) are
    replaced by counts — ``<layer>_agreges`` — on a Lambert-93 grid of ``cell_size_m``
    or per quartier, small counts secret; no point survives. Other profiles, and a
    publication already aggregated, are returned as they are."""
    if not publication.secret or publication.aggregated:
        return publication
    out = dict(publication.layers)
    notes = list(publication.notes)
    aggregated: dict[str, str] = {}
    threshold = publication.secret_threshold
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
            out[key], outside = aggregate_to_zones(events, zones, threshold=threshold)
            notes.append(f"{name} : agrégés par quartier ({outside} hors quartier non représentés)")
        else:
            out[key] = aggregate_to_grid(events, cell_size_m=cell_size_m, threshold=threshold)
            notes.append(f"{name} : agrégés en carreaux de {cell_size_m:g} m")
        aggregated[name] = key
    return dataclasses.replace(publication, layers=out, notes=tuple(notes), aggregated=aggregated)
