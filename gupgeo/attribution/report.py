"""The report attached to every attribution: what matched, how, and what did not.

Private to :mod:`gupgeo.attribution.zones`, which re-exports :class:`AttributionReport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from gupgeo.french import format_count as _n

# Status values written in the ``<column>_statut`` column (French: users read them).
DEFAULT_TOLERANCE_M = 15.0
"""The one default tolerance (metres) of every command and API: a feature up to this
distance outside every zone is attributed to the nearest (status « tolérance »), so a
signalement drawn on the kerb of a quartier's perimeter counts in it. ``attribute``,
``attribute_points``, ``count_in_zones``, ``attribute_territory``, the database and Dask
attributions, and every command (``--tolerance-m``) use it; pass ``tolerance_m=0`` for
strict containment."""

STATUT_DANS_ZONE = "dans la zone"
STATUT_PLUSIEURS_ZONES = "plusieurs zones"
STATUT_TOLERANCE = "tolérance"
STATUT_HORS_ZONE = "hors zone"
STATUT_SANS_GEOMETRIE = "sans géométrie"
STATUT_COORDONNEES_INVALIDES = "coordonnées invalides"

STATUTS_ATTRIBUTION = (
    STATUT_DANS_ZONE,
    STATUT_PLUSIEURS_ZONES,
    STATUT_TOLERANCE,
    STATUT_HORS_ZONE,
    STATUT_SANS_GEOMETRIE,
    STATUT_COORDONNEES_INVALIDES,
)
"""Every status, in the order of the status categorical (codes 0 to 5)."""

_PREDICATE_FR = {
    "covered_by": "point sur un périmètre compté dans la zone (covered_by)",
    "intersects": "point sur un périmètre compté dans la zone (intersects)",
    "within": "point sur un périmètre compté hors zone (within, intérieur strict)",
}
_MULTIPLE_FR = {
    "first": "la première zone dans l'ordre de la couche",
    "largest": "la zone de plus grande part (longueur ou surface)",
    "all": "une ligne par zone",
}


@dataclass(frozen=True)
class ZoneLayerReport:
    """Outcome of the attribution of the features to one zone layer.

    The six counts partition the input features (``balanced`` checks it):
    ``n_inside + n_several + n_tolerance + n_outside + n_no_geometry +
    n_invalid_coordinates == n_features``.

    Attributes
    ----------
    column
        Output column holding the zone identifier (e.g. ``code_qp``).
    id_column
        Column of the zone layer the identifiers come from.
    n_zones
        Number of zones (after merging rows sharing an identifier).
    predicate, tolerance_m, multiple
        The rules applied.
    n_features
        Input features.
    n_inside
        Features in exactly one zone.
    n_several
        Features in two zones or more (overlapping zones, or a line crossing two).
    n_tolerance
        Features outside every zone but within ``tolerance_m`` of one.
    n_outside
        Features attributed to no zone (``"hors zone"``).
    n_no_geometry
        Features with a missing or empty geometry.
    n_invalid_coordinates
        Points with NaN or infinite coordinates.
    per_zone
        Output rows attributed to each zone, every zone listed (zero included),
        indexed by zone identifier in the zone layer's order.
    repaired_zones
        Identifiers of invalid zone geometries repaired with ``make_valid``.
    empty_zones
        Identifiers of zones without geometry (they never match).
    merged_zones
        Identifiers shared by several rows, whose geometries were merged.
    """

    column: str
    id_column: str
    n_zones: int
    predicate: str
    tolerance_m: float
    multiple: str
    n_features: int
    n_inside: int
    n_several: int
    n_tolerance: int
    n_outside: int
    n_no_geometry: int
    n_invalid_coordinates: int
    per_zone: pd.Series
    repaired_zones: tuple[object, ...] = ()
    empty_zones: tuple[object, ...] = ()
    merged_zones: tuple[object, ...] = ()

    @property
    def n_matched(self) -> int:
        """Features attributed to at least one zone (tolerance included)."""
        return self.n_inside + self.n_several + self.n_tolerance

    @property
    def balanced(self) -> bool:
        """Whether every input feature is counted in exactly one outcome."""
        return self.n_features == (
            self.n_matched + self.n_outside + self.n_no_geometry + self.n_invalid_coordinates
        )

    def to_text(self) -> str:
        """The report in French, as printed by the command line."""
        width = max(len(str(z)) for z in self.per_zone.index) if len(self.per_zone) else 4
        lines = [
            f"Rattachement à « {self.column} » ({self.n_zones} zones, "
            f"identifiant « {self.id_column} », calcul en Lambert-93)",
            f"  règle : {_PREDICATE_FR.get(self.predicate, self.predicate)} ; "
            f"tolérance {self.tolerance_m:g} m ; zones multiples : "
            f"{_MULTIPLE_FR.get(self.multiple, self.multiple)}",
            f"  entités en entrée          : {_n(self.n_features)}",
            f"    dans une zone            : {_n(self.n_inside)}",
            f"    dans plusieurs zones     : {_n(self.n_several)}",
            f"    rattachées par tolérance : {_n(self.n_tolerance)}",
            f"    hors zone                : {_n(self.n_outside)}",
            f"    sans géométrie           : {_n(self.n_no_geometry)}",
            f"    coordonnées invalides    : {_n(self.n_invalid_coordinates)}",
        ]
        lines.append(
            "  bilan : toutes les entités sont comptées une fois"
            if self.balanced
            else "  bilan : ERREUR, les comptes ne correspondent pas à l'entrée"
        )
        for label, ids in (
            ("zones réparées (géométrie invalide)", self.repaired_zones),
            ("zones sans géométrie (jamais rattachées)", self.empty_zones),
            ("identifiants en double, géométries fusionnées", self.merged_zones),
        ):
            if ids:
                lines.append(f"  {label} : " + ", ".join(map(str, ids)))
        lines.append("  entités par zone :")
        lines += [f"    {z!s:<{width}}  {_n(int(c)):>9}" for z, c in self.per_zone.items()]
        return "\n".join(lines)


SOURCE_SUFFIX = "_source"
"""Suffix of the zone a source gave itself (``code_qp_source``), kept beside the spatial one."""
LISTED_DISAGREEMENTS = 10


@dataclass(frozen=True)
class SourceAgreement:
    """How a source's own zone column agrees with the spatial attribution.

    ``n_declared`` rows gave a zone; ``n_agree`` of them are where the geometry says;
    ``disagreements`` counts each (source zone, spatial zone) pair that differs.
    """

    column: str
    n_declared: int
    n_agree: int
    disagreements: pd.Series

    @classmethod
    def of(cls, column: str, declared: pd.Series, spatial: pd.Series) -> SourceAgreement:
        """Compare ``declared`` (the source's values) with ``spatial`` (the attribution's).

        Examples
        --------
        >>> a = SourceAgreement.of(
        ...     "code_qp", pd.Series(["A", "A", None]), pd.Series(["A", "B", "B"])
        ... )
        >>> print(a.to_text())
        code_qp donné par la source (code_qp_source) : 2 ligne(s), 1 d'accord avec le
        rattachement spatial (50,0 %), 1 en désaccord
          A (source) → B (spatial) : 1
        """
        given = declared.astype("object").where(declared.notna(), None).to_numpy()
        found = spatial.astype("object").where(spatial.notna(), None).to_numpy()
        has = pd.notna(given)
        same = has & (given == found)
        pairs = pd.Series(
            [
                f"{g} (source) → {f if f is not None else 'hors zone'} (spatial)"
                for g, f in zip(given[has & ~same], found[has & ~same], strict=True)
            ],
            dtype="object",
        )
        counts = pairs.value_counts() if len(pairs) else pd.Series(dtype="int64")
        return cls(column, int(has.sum()), int(same.sum()), counts)

    def to_text(self) -> str:
        """French lines for reports."""
        if not self.n_declared:
            return f"{self.column} donné par la source : aucune valeur"
        pct = f"{100 * self.n_agree / self.n_declared:.1f}".replace(".", ",")
        head = (
            f"{self.column} donné par la source ({self.column}{SOURCE_SUFFIX}) : "
            f"{_n(self.n_declared)} ligne(s), {_n(self.n_agree)} d'accord avec le rattachement "
            f"spatial ({pct} %), {_n(self.n_declared - self.n_agree)} en désaccord"
        )
        lines = [
            f"  {pair} : {_n(int(n))}"
            for pair, n in self.disagreements.head(LISTED_DISAGREEMENTS).items()
        ]
        return "\n".join([head, *lines])


@dataclass(frozen=True)
class AttributionReport:
    """Report of one call to :func:`gupgeo.attribution.attribute`.

    Attributes
    ----------
    n_features
        Features in the input.
    n_rows
        Rows in the output (more than ``n_features`` only with ``multiple="all"``).
    layers
        One :class:`ZoneLayerReport` per zone layer, in the order given.
    """

    n_features: int
    n_rows: int
    layers: tuple[ZoneLayerReport, ...] = field(default_factory=tuple)
    agreements: tuple[SourceAgreement, ...] = field(default_factory=tuple)
    """How the zone the source itself gave (``code_qp_source``) agrees with the spatial one."""

    def __getitem__(self, column: str) -> ZoneLayerReport:
        for layer in self.layers:
            if layer.column == column:
                return layer
        raise KeyError(column)

    @property
    def balanced(self) -> bool:
        """Whether every layer accounts for every input feature exactly once."""
        return all(layer.balanced and layer.n_features == self.n_features for layer in self.layers)

    def to_frame(self) -> pd.DataFrame:
        """Counts per zone, one row per (layer column, zone)."""
        frames = [
            pd.DataFrame(
                {
                    "colonne": layer.column,
                    "zone": layer.per_zone.index.astype(object),
                    "entites": layer.per_zone.to_numpy(),
                }
            )
            for layer in self.layers
        ]
        if not frames:
            return pd.DataFrame(columns=["colonne", "zone", "entites"])
        return pd.concat(frames, ignore_index=True)

    def to_text(self) -> str:
        """The whole report in French."""
        head = (
            f"Rattachement spatial : {_n(self.n_features)} entités en entrée, "
            f"{_n(self.n_rows)} lignes en sortie"
        )
        parts = [head, *(layer.to_text() for layer in self.layers)]
        return "\n\n".join([*parts, *(a.to_text() for a in self.agreements)])

    def __str__(self) -> str:
        return self.to_text()
