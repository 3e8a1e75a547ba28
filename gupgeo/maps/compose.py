"""``map_territory``: the whole territory on one map, filtered by a publication profile."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal, Unpack

import geopandas as gpd
import pandas as pd

from gupgeo.maps.base import TerritoryMap, base_map
from gupgeo.maps.caption import Caption, CaptionWords, caption_of
from gupgeo.maps.layers import add_constats, add_equipements, add_operations, add_quartiers
from gupgeo.maps.signalements import (
    DETAIL_MAX_POINTS,
    TEXT_FIELDS,
    add_counts,
    add_signalements,
    add_signalements_heatmap,
    add_signalements_rate,
)
from gupgeo.publication import (
    SECRET_THRESHOLD,
    KeepColumns,
    Profil,
    Publication,
    Source,
    aggregate_events,
    aggregate_to_zones,
    as_publication,
)

logger = logging.getLogger(__name__)

MAP_LAYERS: tuple[str, ...] = ("quartiers", "operations", "equipements", "signalements", "constats")
SIGNALEMENT_VIEWS: tuple[str, ...] = ("clusters", "heatmap", "taux")
GRID_MIN_ZOOM = 13
"""From this zoom a 200 m cell is about 10 pixels wide: below it, a public map draws
quartier totals instead of the grid."""


def map_territory(
    source: Publication | Source,
    *,
    layers: Sequence[str] | None = None,
    basemap: str | None = "plan-ign",
    caption: Caption | None = None,
    publication: Profil | str | None = None,
    signalements_views: Sequence[str] = SIGNALEMENT_VIEWS,
    heat_weight: str | None = None,
    keep_description: bool = False,
    keep_columns: KeepColumns = None,
    aggregate: Literal["grille", "quartier"] = "grille",
    cell_size_m: float = 200.0,
    secret_threshold: int = SECRET_THRESHOLD,
    precision: int = 5,
    simplify_tolerance_m: float = 1.0,
    **words: Unpack[CaptionWords],
) -> TerritoryMap:
    """Map a territory's layers, grouped by theme, for one publication profile.

    Parameters
    ----------
    source
        A :class:`~gupgeo.publication.Publication` (see :func:`gupgeo.publication.publish`);
        or an attributed territory, a Territory or a mapping layer name → GeoDataFrame,
        published here, at the door, for ``publication``.
    layers
        Layers to draw, among ``quartiers``, ``operations``, ``equipements``,
        ``signalements``, ``constats`` (default: those present).
    basemap
        ``"plan-ign"``, ``"osm"``, ``"ortho-ign"`` or ``None``.
    caption
        Title, subtitle, sources and date of the map (:class:`~gupgeo.maps.caption.Caption`;
        titled « Territoire GUP » by default); ``title=``, ``subtitle=``, ``sources=``,
        ``date=`` keywords replace its fields.
    publication
        Profile of a ``source`` that is not yet a Publication: ``"partenaires"`` (default),
        ``"public"`` or ``"interne"`` (see :mod:`gupgeo.publication`); written on the map.
    signalements_views
        Any of ``"clusters"`` (shown), ``"heatmap"`` and ``"taux"`` (offered, hidden). In
        ``public`` the points become counts per cell or quartier whatever is chosen.
    heat_weight
        Numeric column weighting the heatmap.
    keep_description, keep_columns, secret_threshold
        Options of the publication made at the door (see
        :func:`gupgeo.publication.publish`); a Publication keeps its own.
    aggregate, cell_size_m
        ``public``: signalements and constats drawn as counts per cell of
        ``cell_size_m`` (``"grille"``) or per quartier (``"quartier"``).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> q = gpd.GeoDataFrame({"code_qp": ["LOC-A"], "nom_qp": ["Quartier de l'Alouette"]},
    ...     geometry=[shapely.box(525_000, 6_702_000, 526_000, 6_703_000)], crs=2154)
    >>> m = map_territory({"quartiers": q}, basemap=None, publication="public")
    >>> type(m).__name__
    'TerritoryMap'
    """
    pub = as_publication(
        source,
        publication,
        keep_description=keep_description,
        keep_columns=keep_columns,
        secret_threshold=secret_threshold,
    )
    available = pub.layers
    wanted = [name for name in (layers or MAP_LAYERS) if name in available]
    unknown = [name for name in (layers or ()) if name not in MAP_LAYERS]
    if unknown:
        raise ValueError(f"layers : {unknown} inconnue(s) ; attendu parmi {list(MAP_LAYERS)}")
    bad_views = [v for v in signalements_views if v not in SIGNALEMENT_VIEWS]
    if bad_views:
        raise ValueError(
            f"signalements_views : {bad_views} ; attendu parmi {list(SIGNALEMENT_VIEWS)}"
        )
    chosen = {name: available[name] for name in wanted}
    sig = chosen.get("signalements")
    if pub.masks and sig is not None and len(sig) > DETAIL_MAX_POINTS:
        # above this size the map shows no text per point: none is shown
        chosen["signalements"] = sig.drop(columns=[c for c, _ in TEXT_FIELDS if c in sig.columns])
    shown_pub = aggregate_events(
        pub.restricted(chosen), aggregate=aggregate, cell_size_m=cell_size_m
    )
    shown = dict(shown_pub.layers)
    threshold = pub.secret_threshold if pub.secret else None
    m = base_map(
        basemap=basemap,
        caption=caption_of(caption, words, title="Territoire GUP"),
        publication=pub.profil,
        precision=precision,
        simplify_tolerance_m=simplify_tolerance_m,
    )
    quartiers = shown.get("quartiers")
    points = available.get("signalements") if "signalements" in wanted else None
    if isinstance(quartiers, gpd.GeoDataFrame):
        indicators = None
        if isinstance(points, gpd.GeoDataFrame):
            counts, _ = aggregate_to_zones(points, quartiers, threshold=threshold or 0)
            indicators = pd.DataFrame(
                {"Signalements": counts["libelle"].to_numpy()}, index=counts["code_qp"].to_numpy()
            )
        add_quartiers(m, quartiers, indicators=indicators)
    if isinstance(shown.get("operations"), gpd.GeoDataFrame):
        add_operations(m, shown["operations"])
    if isinstance(shown.get("equipements"), gpd.GeoDataFrame):
        add_equipements(m, shown["equipements"])
    _add_events(
        m,
        shown,
        dict(shown_pub.aggregated),
        quartiers,
        points,
        signalements_views,
        heat_weight,
        threshold,
        cell_size_m,
    )
    return m


def _add_events(
    m: TerritoryMap,
    shown: dict[str, pd.DataFrame],
    aggregated: dict[str, str],
    quartiers: Any,
    points: Any,
    views: Sequence[str],
    heat_weight: str | None,
    threshold: int | None,
    cell_size_m: float,
) -> None:
    """Signalements and constats: points and their views, or aggregated counts."""
    unit = f"carreau de {cell_size_m:g} m" if "signalements" in aggregated else ""
    if "signalements" in aggregated:
        counts = shown[aggregated["signalements"]]
        by_cell = "carreau" in counts.columns
        if (
            by_cell
            and isinstance(points, gpd.GeoDataFrame)
            and isinstance(quartiers, gpd.GeoDataFrame)
        ):
            # Far out, 200 m cells are specks: quartier totals (same secrecy) are drawn
            # instead, and the grid from the zoom where a cell is a few pixels wide.
            zones, _ = aggregate_to_zones(points, quartiers, threshold=threshold or 0)
            add_counts(
                m,
                zones,
                name="Signalements par quartier",
                zoom_range=(None, GRID_MIN_ZOOM - 1),
            )
        add_counts(
            m,
            counts,
            name=f"Signalements par {unit or 'zone'}",
            zoom_range=(GRID_MIN_ZOOM, None) if by_cell else None,
        )
    elif isinstance(shown.get("signalements"), gpd.GeoDataFrame):
        sig = shown["signalements"]
        if "clusters" in views:
            add_signalements(m, sig)
        if "heatmap" in views:
            add_signalements_heatmap(m, sig, weight=heat_weight, show="clusters" not in views)
    if (
        "taux" in views
        and isinstance(points, gpd.GeoDataFrame)
        and isinstance(quartiers, gpd.GeoDataFrame)
        and "population" in quartiers.columns
    ):
        add_signalements_rate(m, points, quartiers, secret_threshold=threshold)
    if "constats" in aggregated:
        add_counts(
            m,
            shown[aggregated["constats"]],
            name="Constats agrégés",
            unit="Constats",
            theme="Prévention situationnelle",
        )
    elif isinstance(shown.get("constats"), gpd.GeoDataFrame):
        add_constats(m, shown["constats"])
