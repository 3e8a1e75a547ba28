"""Which published layers enter the QGIS project, under which French name, group and style.

One :class:`ProjectLayer` per layer of the project. A published layer mixing points,
lines and polygons (constats) becomes one project layer per kind of geometry, on the same
table (QGIS draws one kind per layer). Names and groups are those of the HTML map.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.qgis import _xml as x
from gupgeo.qgis.figures import NAME_FIELD
from gupgeo.qgis.styles import (
    LayerStyle,
    categories_style,
    choropleth_style,
    constats_style,
    operations_style,
    quartiers_style,
)

GROUPS: tuple[str, ...] = (
    "Signalements",
    "Prévention situationnelle",
    "Équipements",
    "Territoire",
    "Autres couches",
)
"""Groups of the layer tree, top to bottom (the top one is drawn over the others)."""

FAMILIES = {
    "Point": ("Point", "marker", "points"),
    "MultiPoint": ("Point", "marker", "points"),
    "LineString": ("LineString", "line", "tracés"),
    "MultiLineString": ("LineString", "line", "tracés"),
    "Polygon": ("Polygon", "fill", "zones"),
    "MultiPolygon": ("Polygon", "fill", "zones"),
}
"""Geometry type → (QGIS geometry filter, symbol kind, French plural)."""

RATE_FIELD = "taux_signalements"
RATE_PER_HABITANTS = 1000


@dataclass(frozen=True)
class ProjectLayer:
    """A layer of the project: the table it reads, its name, group, style and counts."""

    layer_id: str
    name: str
    group: str
    table: str
    geometry: str
    """``Point``, ``LineString`` or ``Polygon`` (the QGIS geometry filter)."""
    wkb_type: str
    style: LayerStyle
    feature_count: int
    split: bool = False
    """Whether the table holds other kinds of geometry (then filtered by ``geometry``)."""
    visible: bool = True
    primary: bool = True
    """Whether its style is the table's own (stored in ``layer_styles``)."""
    fields: tuple[str, ...] = ()
    title_field: str = ""

    @property
    def kind(self) -> str:
        return {"Point": "point", "LineString": "line", "Polygon": "polygon"}[self.geometry]


def geometry_families(gdf: gpd.GeoDataFrame) -> dict[str, int]:
    """QGIS geometry filter → number of rows of that kind (empty geometries left out)."""
    types = gdf.geometry.geom_type.dropna()
    out: dict[str, int] = {}
    for geom_type, count in types.value_counts().items():
        family = FAMILIES.get(str(geom_type))
        if family is not None:
            out[family[0]] = out.get(family[0], 0) + int(count)
    return out


def _wkb(gdf: gpd.GeoDataFrame, family: str) -> str:
    multi = gdf.geometry.geom_type.fillna("").str.startswith("Multi").any()
    return f"Multi{family}" if multi else family


def _fields(frame: pd.DataFrame) -> tuple[str, ...]:
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return tuple(str(c) for c in frame.columns if c != geometry)


def _title(frame: pd.DataFrame, *candidates: str) -> str:
    return next((c for c in candidates if c in frame.columns), "")


def project_layers(
    layers: dict[str, pd.DataFrame], aggregated: dict[str, str]
) -> list[ProjectLayer]:
    """The project layers of published ``layers`` (``aggregated``: event → counts layer)."""
    counted = {v: k for k, v in aggregated.items()}
    out: list[ProjectLayer] = []
    for table, frame in layers.items():
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
            continue
        families = geometry_families(frame)
        for family, count in families.items():
            kind = FAMILIES[family][1]
            split = len(families) > 1
            name, group, style, visible = _describe(table, frame, kind, counted)
            if split:
                name = f"{name} — {FAMILIES[family][2]}"
                mask = frame.geometry.geom_type.map(
                    lambda t, f=family: FAMILIES.get(t, ("",))[0] == f
                )
                style = _describe(table, frame.loc[mask.fillna(False).to_numpy()], kind, counted)[2]
            out.append(
                ProjectLayer(
                    layer_id=f"{table}_{family.lower()}",
                    name=name,
                    group=group,
                    table=table,
                    geometry=family,
                    wkb_type=_wkb(frame, family),
                    style=style,
                    feature_count=count if split else len(frame),
                    split=split,
                    visible=visible,
                    fields=_fields(frame),
                    title_field=_title(
                        frame, NAME_FIELD, "nom", "theme", "categorie", "carreau", "code_qp"
                    ),
                )
            )
        if table == "quartiers" and RATE_FIELD in frame.columns:
            out.append(_rate_layer(frame))
    return sorted(
        out, key=lambda layer: (GROUPS.index(layer.group), layer.layer_id == "quartiers_taux")
    )


def _describe(
    table: str, frame: gpd.GeoDataFrame, kind: str, counted: dict[str, str]
) -> tuple[str, str, LayerStyle, bool]:
    """French name, group, style and visibility of a published table."""
    if table == "quartiers":
        return "Quartiers prioritaires", "Territoire", quartiers_style(label_field=NAME_FIELD), True
    if table == "operations":
        return "Opérations d'aménagement", "Territoire", operations_style(), True
    if table == "equipements" and "type" in frame.columns:
        style = categories_style(frame["type"], attribute="type", kind=kind, glyphs=True)
        return "Équipements", "Équipements", style, True
    if table == "signalements" and "categorie" in frame.columns:
        style = categories_style(frame["categorie"], attribute="categorie", kind=kind)
        return "Signalements", "Signalements", style, True
    if table == "constats":
        gravite = frame["gravite"] if "gravite" in frame.columns else pd.Series(np.nan, frame.index)
        return "Constats", "Prévention situationnelle", constats_style(gravite, kind=kind), True
    if table in counted and {"effectif", "secret"} <= set(frame.columns):
        event = counted[table]
        unit = "carreau" if "carreau" in frame.columns else "quartier"
        name = {
            "signalements": f"Signalements par {unit}",
            "constats": "Constats agrégés",
        }.get(event, f"{event.capitalize()} par {unit}")
        group = "Prévention situationnelle" if event == "constats" else "Signalements"
        shown = event in ("signalements", "constats")
        style = choropleth_style(
            frame["effectif"],
            attribute="effectif",
            scheme="Quantiles",
            k=4,
            decimals=0,
            secret=frame["secret"],
            secret_attribute="secret",
        )
        return name, group if shown else "Autres couches", style, shown
    color = "#5f5f5f"
    sym = {
        "marker": x.symbol("marker", [x.marker(color)]),
        "line": x.symbol("line", [x.line(color)]),
        "fill": x.symbol("fill", [x.fill(color, fill_alpha=60, outline=color)]),
    }[kind]
    name = {"actions": "Actions GUP"}.get(table, table.replace("_", " ").capitalize())
    return name, "Autres couches", LayerStyle(x.single(sym)), False


def _rate_layer(quartiers: gpd.GeoDataFrame) -> ProjectLayer:
    """Signalements per 1,000 habitants on the quartiers (the HTML map's "taux" layer)."""
    style = choropleth_style(
        quartiers[RATE_FIELD], attribute=RATE_FIELD, scheme="NaturalBreaks", k=5, decimals=1
    )
    family = "Polygon"
    return ProjectLayer(
        layer_id="quartiers_taux",
        name="Taux de signalements",
        group="Signalements",
        table="quartiers",
        geometry=family,
        wkb_type=_wkb(quartiers, family),
        style=style,
        feature_count=len(quartiers),
        visible=False,
        primary=False,
        fields=_fields(quartiers),
        title_field=NAME_FIELD,
    )


def signalement_rates(
    quartiers: gpd.GeoDataFrame, signalements: pd.DataFrame | None
) -> pd.Series | None:
    """Signalements per 1,000 habitants of each quartier, as the map's rate layer counts
    them (every attributed signalement, quartiers without population missing)."""
    if signalements is None or "code_qp" not in signalements.columns:
        return None
    if "population" not in quartiers.columns:
        return None
    counts = signalements["code_qp"].value_counts().reindex(quartiers["code_qp"], fill_value=0)
    population = pd.to_numeric(quartiers["population"], errors="coerce")
    population = population.where(population > 0).to_numpy()
    rate = counts.to_numpy(dtype="float64") / population * RATE_PER_HABITANTS
    return pd.Series(rate, index=quartiers.index, name=RATE_FIELD)


def empty_geometries(frame: gpd.GeoDataFrame) -> int:
    """Rows without a geometry (kept in the table, drawn by no layer)."""
    geoms = frame.geometry.to_numpy()
    return int((shapely.is_missing(geoms) | shapely.is_empty(geoms)).sum())
