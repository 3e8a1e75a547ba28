"""Signalements (and any point events) at any size: groups, dots, heat, rates, counts.

How points reach the page, and when each mode is used
-----------------------------------------------------
All point modes share one **compact payload**: coordinates rounded to 1e-5 degree (≈1 m)
written as integers (latitudes sorted and delta-encoded), plus one small integer per
point and per shown field (category index, days since the first date). About 15 bytes a
point as JSON, so 100,000 signalements weigh ≈1.6 MB, against ≈11 MB as GeoJSON and ≈48 MB
as one folium marker each. From ``PACK_MIN_POINTS`` (20,000) points these integers travel
as typed binary columns, deflated and in base64 (:func:`gupgeo.maps._format.pack_point_spec`),
inflated by the browser's own ``DecompressionStream``: about 3 times smaller again, still
one offline file. No per-feature style, no per-point Leaflet object.

``mode="clusters"`` (default, any size)
    **Aggregation by zoom, computed in the browser**: at each zoom the points are grouped
    in 64-pixel grid cells (one pass over typed arrays, cached per zoom); a cell holding
    several points is drawn as a numbered bubble at their centroid, a cell holding one is
    drawn as a dot in its category colour; from ``cluster_max_zoom`` (17) every point is a
    dot. Everything is painted on one canvas. Clicking a bubble zooms on its points,
    clicking a dot opens its popup. This is the mode for 1,000 to 100,000+ points.
``mode="points"``
    **Canvas rendering** of every point as a dot at every zoom — for up to ~20,000 points
    when the spread itself is the message.
:func:`add_signalements_heatmap`
    Weighted heat (leaflet.heat) from the same payload; weights honoured, with a legend.
:func:`add_signalements_rate`
    Choropleth of signalements per 1,000 habitants per quartier (mapclassify classes).
:func:`add_counts`
    Counts on a grid or per quartier (the ``public`` profile's only form: no point
    coordinates at all), small counts shown as "secret".

Free-text fields (``id``, ``adresse``, ``description``) are sent only up to
``DETAIL_MAX_POINTS`` points unless asked with ``text_fields``: they cost tens of bytes a
point. They are shown as text, never HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gupgeo.crs import to_work_crs
from gupgeo.maps._elements import HeatLayer, PointLayer, ThemedGroup
from gupgeo.maps._format import (
    MISSING_LABEL,
    compact_points,
    format_number_fr,
    lonlat_points,
    pack_point_spec,
    to_json_value,
)
from gupgeo.maps._vector import (
    MIN_VISIBLE_PX,
    MISSING_COLOR,
    category_classes,
    category_legend,
    check_layer,
)
from gupgeo.maps.base import TerritoryMap, require_map
from gupgeo.maps.layers import add_choropleth
from gupgeo.publication import aggregate_to_zones

logger = logging.getLogger(__name__)

DETAIL_MAX_POINTS = 5_000
CATEGORY_FIELDS = (
    ("sous_categorie", "Sous-catégorie"),
    ("statut", "Statut"),
    ("source", "Source"),
)
DATE_FIELDS = (("date_signalement", "Date"), ("date_cloture", "Clôture"))
TEXT_FIELDS = (("id", "Identifiant"), ("adresse", "Adresse"), ("description", "Description"))
HEAT_GRADIENT = {"0.3": "#2c7bb6", "0.55": "#abd9e9", "0.75": "#fdae61", "1": "#d7191c"}


def _cat_field(values: pd.Series, label: str) -> dict[str, Any]:
    labels, index, _, _ = category_classes(values)
    return {"label": label, "t": "cat", "labels": labels, "v": index}


def _date_field(values: pd.Series, label: str) -> dict[str, Any]:
    dates = pd.to_datetime(values, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
    days = (dates.dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    base = int(days.min()) if days.notna().any() else 0
    return {
        "label": label,
        "t": "date",
        "base": base,
        "v": (days - base).fillna(-1).astype("int64").to_numpy(),
    }


def _points_payload(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    category_column: str,
    text_fields: Sequence[str] | None,
    precision: int,
) -> tuple[dict[str, Any], list[str], list[str], list[int]]:
    """Compact spec of a point layer: coordinates, fields (sorted), colours."""
    lon, lat = lonlat_points(gdf, name=name)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.all():
        logger.warning("%s : %d point(s) sans géométrie non dessiné(s)", name, int((~ok).sum()))
    frame = gdf.loc[ok]
    payload, order = compact_points(lon[ok], lat[ok], precision=min(precision, 5))
    fields = [_cat_field(frame[category_column], "Catégorie")]
    labels, _, colors, counts = category_classes(frame[category_column])
    fields += [_cat_field(frame[c], lab) for c, lab in CATEGORY_FIELDS if c in frame.columns]
    fields += [_date_field(frame[c], lab) for c, lab in DATE_FIELDS if c in frame.columns]
    if text_fields is None:
        text_fields = [c for c, _ in TEXT_FIELDS] if len(frame) <= DETAIL_MAX_POINTS else []
    text_labels = dict(TEXT_FIELDS)
    for column in text_fields:
        if column in frame.columns:
            values = [to_json_value(v) for v in frame[column].tolist()]
            fields.append({"label": text_labels.get(column, column), "t": "text", "v": values})
    for f in fields:
        f["v"] = (
            [f["v"][i] for i in order] if f["t"] == "text" else np.asarray(f["v"])[order].tolist()
        )
    spec = {
        "name": name,
        "unit": "signalements",
        "payload": payload,
        "fields": fields,
        "colorField": 0,
        "titleField": 0,
        "colors": colors,
        "missingColor": MISSING_COLOR,
    }
    return spec, labels, colors, counts


def _new_group(m: TerritoryMap, name: str, theme: str, show: bool) -> ThemedGroup:
    group = ThemedGroup(name, theme=theme, show=show)
    group.add_to(m)
    return group


def _include(m: TerritoryMap, payload: dict[str, Any]) -> None:
    if payload["n"]:
        s = payload["scale"]
        north = (payload["y0"] + sum(payload["dy"])) / s
        west = payload["x0"] / s
        east = (payload["x0"] + max(payload["x"])) / s
        m.include_bounds(west, payload["y0"] / s, east, north)


def add_signalements(
    m: TerritoryMap,
    signalements: gpd.GeoDataFrame,
    *,
    mode: str = "clusters",
    name: str = "Signalements",
    theme: str = "Signalements",
    category_column: str = "categorie",
    text_fields: Sequence[str] | None = None,
    cluster_max_zoom: int = 17,
    show: bool = True,
) -> ThemedGroup:
    """Signalements as grid clusters (default) or dots, coloured by category.

    See the module docstring for when each mode is used. Missing categories are grey
    ("non renseigné"); the legend lists each category with its count.
    """
    m = require_map(m)
    if mode not in ("clusters", "points"):
        raise ValueError(f"mode : {mode!r} ; attendu 'clusters' ou 'points'")
    check_layer(signalements, name=name, required=(category_column,))
    spec, labels, colors, counts = _points_payload(
        signalements,
        name=name,
        category_column=category_column,
        text_fields=text_fields,
        precision=m.precision,
    )
    group = _new_group(m, name, theme, show)
    entries = category_legend(labels, colors, counts, shape="circle")
    n_missing = spec["payload"]["n"] - sum(counts)
    if n_missing:
        entries.append(
            {
                "label": MISSING_LABEL,
                "color": MISSING_COLOR,
                "shape": "circle",
                "count": format_number_fr(n_missing),
            }
        )
    if mode == "clusters":
        entries.append(
            {"label": "groupe de signalements (nombre)", "color": "#f18017", "shape": "cluster"}
        )
    group.legend = {"title": name, "entries": entries}
    options = {"clusterMaxZoom": cluster_max_zoom if mode == "clusters" else 0}
    packed = pack_point_spec(spec)
    group.add_child(PointLayer(packed, options, feature_count=spec["payload"]["n"]))
    _include(m, spec["payload"])
    return group


def add_signalements_heatmap(
    m: TerritoryMap,
    signalements: gpd.GeoDataFrame,
    *,
    weight: str | None = None,
    name: str = "Densité des signalements",
    theme: str = "Signalements",
    radius_px: int = 18,
    show: bool = False,
) -> ThemedGroup:
    """A heatmap of signalements; ``weight`` names a numeric column (missing → 0).

    Intensities are scaled so that the 95th percentile of weighted counts on a 150 m grid
    reaches the top of the gradient: hot means "among the densest 5 %".
    """
    m = require_map(m)
    check_layer(signalements, name=name)
    lon, lat = lonlat_points(signalements, name=name)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if weight is None:
        w = np.ones(int(ok.sum()))
    else:
        if weight not in signalements.columns:
            raise ValueError(
                f"weight : colonne {weight!r} absente ; colonnes : {list(signalements.columns)}"
            )
        raw = pd.to_numeric(signalements[weight], errors="coerce").to_numpy(dtype="float64")[ok]
        if (raw < 0).any():
            raise ValueError(f"weight : la colonne {weight!r} contient des poids négatifs")
        w = np.nan_to_num(raw, nan=0.0)
    payload, order = compact_points(lon[ok], lat[ok], precision=4)
    weights = np.round(w[order], 3)
    work = to_work_crs(signalements.loc[ok], name=name).geometry.representative_point()
    cells = (
        pd.Series(w)
        .groupby(
            [(work.x.to_numpy() // 150).astype("int64"), (work.y.to_numpy() // 150).astype("int64")]
        )
        .sum()
    )
    top = float(np.quantile(cells.to_numpy(), 0.95)) if len(cells) else 1.0
    spec = {
        "name": name,
        "payload": payload,
        "weights": None if weight is None else weights.tolist(),
    }
    options = {
        "radius": radius_px,
        "blur": 15,
        "maxZoom": 16,
        "max": max(top, 1e-9),
        "minOpacity": 0.25,
        "gradient": HEAT_GRADIENT,
    }
    group = _new_group(m, name, theme, show)
    label = "densité" if weight is None else f"densité pondérée par « {weight} »"
    group.legend = {
        "title": name,
        "entries": [
            {
                "label": f"{label} : faible → forte",
                "shape": "gradient",
                "colors": list(HEAT_GRADIENT.values()),
            }
        ],
        "note": f"{format_number_fr(len(weights))} signalements ; le rouge marque les 5 % "
        "de secteurs les plus denses",
    }
    group.add_child(HeatLayer(pack_point_spec(spec), options, feature_count=len(weights)))
    _include(m, payload)
    return group


def add_signalements_rate(
    m: TerritoryMap,
    signalements: gpd.GeoDataFrame,
    quartiers: gpd.GeoDataFrame,
    *,
    per_habitants: int = 1000,
    scheme: str = "NaturalBreaks",
    k: int = 5,
    secret_threshold: int | None = None,
    name: str = "Taux de signalements",
    theme: str = "Signalements",
    show: bool = False,
) -> ThemedGroup:
    """Choropleth of signalements per ``per_habitants`` habitants in each quartier.

    A quartier without population is "non renseigné"; with ``secret_threshold`` a quartier
    counting fewer signalements is "secret" (count and rate hidden).
    """
    check_layer(quartiers, name="quartiers", required=("code_qp", "population"))
    check_layer(signalements, name=name)
    counts, outside = aggregate_to_zones(signalements, quartiers, threshold=secret_threshold or 0)
    counts = counts.set_index("code_qp")
    population = pd.to_numeric(quartiers.set_index("code_qp")["population"], errors="coerce")
    population = population.where(population > 0)
    rate = counts["effectif"].astype("Float64") / population.reindex(counts.index) * per_habitants
    label = f"signalements pour {format_number_fr(per_habitants)} habitants"
    extra = pd.DataFrame({"Signalements": counts["libelle"]}, index=counts.index)
    if outside:
        logger.info("%s : %d signalement(s) hors quartier non compté(s)", name, outside)
    return add_choropleth(
        m,
        quartiers,
        rate,
        name=name,
        value_label=label,
        theme=theme,
        scheme=scheme,
        k=k,
        secret=counts["secret"],
        extra=extra,
        show=show,
    )


def add_counts(
    m: TerritoryMap,
    counts: gpd.GeoDataFrame,
    *,
    name: str,
    unit: str = "Signalements",
    theme: str = "Signalements",
    scheme: str = "Quantiles",
    k: int = 4,
    show: bool = True,
    zoom_range: tuple[int | None, int | None] | None = None,
) -> ThemedGroup:
    """Counts per grid cell or zone, as made by :mod:`gupgeo.publication` (``effectif``,
    ``secret``): classes of the counts, secret cells hatched and labelled "secret".
    ``zoom_range`` (min, max) limits the zoom levels where they are drawn."""
    check_layer(counts, name=name, required=("effectif", "secret"))
    id_column = "carreau" if "carreau" in counts.columns else "code_qp"
    ids = counts[id_column]
    values = pd.Series(pd.to_numeric(counts["effectif"], errors="coerce").to_numpy(), index=ids)
    secret = pd.Series(counts["secret"].astype(bool).to_numpy(), index=ids)
    return add_choropleth(
        m,
        counts,
        values,
        name=name,
        value_label=unit,
        theme=theme,
        id_column=id_column,
        title_column="nom_qp" if "nom_qp" in counts.columns else id_column,
        scheme=scheme,
        k=k,
        decimals=0,
        secret=secret,
        show=show,
        zoom_range=zoom_range,
        min_px=None if id_column == "carreau" else MIN_VISIBLE_PX,
    )
