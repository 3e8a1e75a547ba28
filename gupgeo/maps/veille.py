"""Map layers of the veille: hot/cold spot bins and emerging hot spot categories.

Both take the cells returned by :func:`gupgeo.veille.hotspots` /
:func:`gupgeo.veille.emerging_hotspots` (or the bulletin's ``cells``) and draw only the
cells that carry a finding — the "non significatif" / "aucune tendance" cells would
cover the whole study area — with a legend counting every class, the undrawn ones
included. Colours follow ArcGIS's hot spot renderer (red hot, blue cold, lighter for
lower confidence); a cell withheld by the public profile is hatched grey ("secret").
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np

from gupgeo.maps._elements import ThemedGroup
from gupgeo.maps._format import format_number_fr
from gupgeo.maps._vector import SECRET_COLOR, Field, add_vector_layer, check_layer
from gupgeo.maps.base import TerritoryMap

HOT_COLORS = {
    "point chaud 99 %": "#d62f27",
    "point chaud 95 %": "#ed7551",
    "point chaud 90 %": "#fab984",
    "point froid 90 %": "#c0d4e8",
    "point froid 95 %": "#7b9ecf",
    "point froid 99 %": "#4575b5",
}
EMERGING_COLORS = {
    "nouveau point chaud": "#7a0177",
    "point chaud consécutif": "#c51b8a",
    "point chaud en intensification": "#d62f27",
    "point chaud persistant": "#ed7551",
    "point chaud en diminution": "#fab984",
    "point chaud sporadique": "#ffffb2",
    "point chaud oscillant": "#bcbddc",
    "point chaud historique": "#d9d9d9",
}
_SECRET = "secret statistique"


def _add_classes(
    m: TerritoryMap,
    cells: gpd.GeoDataFrame,
    *,
    column: str,
    colors: dict[str, str],
    name: str,
    undrawn: str,
    show: bool,
) -> ThemedGroup:
    check_layer(cells, name=name, required=(column, "id_carreau"))
    labels = [*colors, _SECRET]
    values = cells[column].astype(str)
    counts = values.value_counts()
    drawn = cells[values.isin(labels).to_numpy()].copy()
    lookup = {label: i for i, label in enumerate(labels)}
    classes = np.array([lookup[v] for v in drawn[column].astype(str)], dtype="int64")
    base = {"color": "#555555", "weight": 0.5, "fillOpacity": 0.7, "className": "gupgeo-choropleth"}
    styles: list[dict[str, Any]] = [{**base, "fillColor": c} for c in colors.values()]
    styles.append({**base, "hatch": "gupgeo-hatch-secret", "color": SECRET_COLOR})
    entries: list[dict[str, Any]] = [
        {"label": label, "color": color, "shape": "square",
         "count": format_number_fr(int(counts.get(label, 0)))}
        for label, color in colors.items()
        if counts.get(label, 0)
    ]  # fmt: skip
    if counts.get(_SECRET, 0):
        entries.append(
            {"label": "secret (petit effectif)", "color": SECRET_COLOR, "shape": "secret",
             "count": format_number_fr(int(counts[_SECRET]))}
        )  # fmt: skip
    others = int(len(cells) - values.isin(labels).sum())
    tooltip = [Field(column, "classe"), Field("code_qp", "quartier")]
    if "nb_signalements" in drawn.columns:
        tooltip.append(Field("nb_signalements", "signalements", "integer"))
    return add_vector_layer(
        m, drawn, name=name, theme="Veille", kind="choropleth", styles=styles, classes=classes,
        title="id_carreau", tooltip=tooltip, popup=None, show=show, fill_pane=True,
        legend={"title": name, "entries": entries,
                "note": f"{format_number_fr(others)} carreaux {undrawn} non dessinés"},
    )  # fmt: skip


def add_hotspots(
    m: TerritoryMap, cells: gpd.GeoDataFrame, *, name: str = "Points chauds", show: bool = True
) -> ThemedGroup:
    """Hot and cold spot cells by confidence bin (``classe`` of :func:`gupgeo.veille.hotspots`)."""
    return _add_classes(
        m, cells, column="classe", colors=HOT_COLORS, name=name, undrawn="non significatifs",
        show=show,
    )  # fmt: skip


def add_emerging(
    m: TerritoryMap,
    cells: gpd.GeoDataFrame,
    *,
    name: str = "Points chauds émergents",
    show: bool = False,
) -> ThemedGroup:
    """Emerging hot spot categories (``categorie`` of :func:`gupgeo.veille.emerging_hotspots`)."""
    return _add_classes(
        m, cells, column="categorie", colors=EMERGING_COLORS, name=name,
        undrawn="sans tendance (ou points froids)", show=show,
    )  # fmt: skip
