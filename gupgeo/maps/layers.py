"""Layer builders for the territory's reference layers and findings.

Each ``add_*`` function adds one themed layer to a map made by :func:`base_map` (or
:func:`map_territory`) and returns its group; each can be used alone in a notebook::

    m = base_map(title="Sanitas")
    add_quartiers(m, quartiers)
    add_equipements(m, equipements)
    m
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gupgeo.crs import to_work_crs
from gupgeo.french import quartier_names
from gupgeo.maps._elements import ThemedGroup
from gupgeo.maps._format import format_number_fr
from gupgeo.maps._vector import (
    MIN_VISIBLE_PX,
    MISSING_COLOR,
    SECRET_COLOR,
    Field,
    add_vector_layer,
    category_classes,
    check_layer,
    classify,
    legend_entries,
    missing_entry,
    scheme_label,
    text_color_on,
)
from gupgeo.maps.base import TerritoryMap
from gupgeo.palette import GRAVITE_COLORS, OPERATION_COLOR, QUARTIER_COLOR
from gupgeo.schemas import normalise_name

GRAVITE = {
    k: (label, GRAVITE_COLORS[k]) for k, label in ((1, "faible"), (2, "moyenne"), (3, "forte"))
}
_GLYPHS = {
    "ecole": "É",
    "groupe_scolaire": "É",
    "college": "Co",
    "lycee": "L",
    "creche": "Cr",
    "centre_social": "CS",
    "maison_de_projets": "MP",
    "maison_des_projets": "MP",
    "pave": "PAV",
    "point_d_apport_volontaire": "PAV",
    "aire_de_jeux": "J",
    "gymnase": "G",
    "stade": "S",
    "bibliotheque": "B",
    "mediatheque": "B",
    "mairie": "M",
    "mairie_annexe": "M",
    "poste": "P",
    "bureau_de_poste": "P",
    "local_associatif": "A",
    "maison_de_sante": "+",
}
_STOP = {"de", "des", "du", "la", "le", "les", "d", "l", "et", "a", "au", "aux"}


def glyph_for(type_label: str) -> str:
    """A short text glyph for an équipement type (no icon font needed).

    Examples
    --------
    >>> glyph_for("École"), glyph_for("Maison de projets"), glyph_for("Jardin partagé")
    ('É', 'MP', 'JP')
    """
    key = normalise_name(type_label)
    if key in _GLYPHS:
        return _GLYPHS[key]
    words = [w for w in key.split("_") if w and w not in _STOP]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def add_quartiers(
    m: TerritoryMap,
    quartiers: gpd.GeoDataFrame,
    *,
    name: str = "Quartiers prioritaires",
    theme: str = "Territoire",
    indicators: pd.DataFrame | None = None,
    show: bool = True,
) -> ThemedGroup:
    """Quartier outlines with their names, and key figures in the tooltip.

    ``indicators`` (indexed by ``code_qp``, one column per figure, columns named as they
    should read) adds figures such as the number of signalements; text values are shown
    as given, numbers French-formatted.
    """
    check_layer(quartiers, name="quartiers", required=("code_qp", "nom_qp"))
    gdf = quartiers.copy()
    # One naming rule everywhere: homonyms (« Centre Ville » ×11) get their commune.
    gdf["_nom"] = quartier_names(gdf).to_numpy()
    if "surface_ha" not in gdf.columns:
        gdf["surface_ha"] = to_work_crs(gdf, name="quartiers").geometry.area / 10_000
    fields = [
        Field("code_qp", "Code"),
        Field("commune", "Commune"),
        Field("population", "Habitants", "integer"),
        Field("surface_ha", "Surface (ha)", "decimal"),
        Field("logements", "Logements", "integer"),
    ]
    fields = [f for f in fields if f.column in gdf.columns]
    if indicators is not None:
        for i, column in enumerate(indicators.columns):
            key = f"_ind{i}"
            values = indicators[column].reindex(gdf["code_qp"].to_numpy())
            numeric = pd.api.types.is_numeric_dtype(values)
            gdf[key] = values.to_numpy()
            fields.append(Field(key, str(column), "integer" if numeric else "text"))
    style = {
        "color": QUARTIER_COLOR,
        "weight": 2.5,
        "fillColor": QUARTIER_COLOR,
        "fillOpacity": 0.06,
        "className": "gupgeo-quartiers",
    }
    legend = {
        "title": name,
        "entries": [
            {"label": "périmètre du quartier", "color": QUARTIER_COLOR, "shape": "outline"}
        ],
    }
    return add_vector_layer(
        m,
        gdf,
        name=name,
        theme=theme,
        kind="quartiers",
        styles=[style],
        classes=np.zeros(len(gdf), dtype="int64"),
        title="_nom",
        tooltip=fields,
        popup=None,
        label="_nom",
        show=show,
        legend=legend,
    )


def add_operations(
    m: TerritoryMap,
    operations: gpd.GeoDataFrame,
    *,
    name: str = "Opérations d'aménagement",
    theme: str = "Territoire",
    show: bool = True,
) -> ThemedGroup:
    """Hatched perimeters of aménagement operations, with their dates and amount."""
    check_layer(operations, name="operations", required=("nom",))
    style = {
        "color": OPERATION_COLOR,
        "weight": 2,
        "dashArray": "6 4",
        "hatch": "gupgeo-hatch-operations",
        "className": "gupgeo-operations",
    }
    popup = [
        Field("id", "Identifiant"),
        Field("code_qp", "Quartier"),
        Field("date_debut", "Début des travaux", "date"),
        Field("date_livraison", "Livraison", "date"),
        Field("montant_eur", "Montant", "money"),
    ]
    legend = {
        "title": name,
        "entries": [{"label": "périmètre d'opération", "color": OPERATION_COLOR, "shape": "hatch"}],
    }
    return add_vector_layer(
        m,
        operations,
        name=name,
        theme=theme,
        kind="operations",
        styles=[style],
        classes=np.zeros(len(operations), dtype="int64"),
        title="nom",
        tooltip=[],
        popup=[f for f in popup if f.column in operations.columns],
        show=show,
        legend=legend,
    )


def add_equipements(
    m: TerritoryMap,
    equipements: gpd.GeoDataFrame,
    *,
    name: str = "Équipements",
    theme: str = "Équipements",
    type_column: str = "type",
    show: bool = True,
) -> ThemedGroup:
    """Équipements by type: each type its colour and glyph, and its legend entry."""
    check_layer(equipements, name="equipements", required=("nom", type_column))
    labels, index, colors, counts = category_classes(equipements[type_column])
    glyphs = [glyph_for(t) for t in labels]
    styles = [
        {"fillColor": c, "glyph": g, "textColor": text_color_on(c)}
        for c, g in zip(colors, glyphs, strict=True)
    ]
    styles.append(
        {"fillColor": MISSING_COLOR, "glyph": "?", "textColor": text_color_on(MISSING_COLOR)}
    )
    classes = np.where(index < 0, len(labels), index)
    entries = legend_entries(labels, colors, shape="badge", counts=counts, glyphs=glyphs)
    n_missing = int((index < 0).sum())
    if n_missing:
        entries.append(
            {
                **missing_entry(n_missing, shape="badge"),
                "glyph": "?",
                "textColor": text_color_on(MISSING_COLOR),
            }
        )
    popup = [
        Field(type_column, "Type"),
        Field("gestionnaire", "Gestionnaire"),
        Field("date_mise_en_service", "Mise en service", "date"),
    ]
    return add_vector_layer(
        m,
        equipements,
        name=name,
        theme=theme,
        kind="equipements",
        styles=styles,
        classes=classes,
        title="nom",
        tooltip=[Field(type_column, "Type")],
        popup=[f for f in popup if f.column in equipements.columns],
        badges=True,
        show=show,
        legend={"title": name, "entries": entries},
    )


def add_constats(
    m: TerritoryMap,
    constats: gpd.GeoDataFrame,
    *,
    name: str = "Constats",
    theme: str = "Prévention situationnelle",
    show: bool = True,
) -> ThemedGroup:
    """Findings (points, lines and polygons) coloured by gravité, recommendations in the popup.

    A missing or out-of-range gravité is drawn grey as "non renseignée", never as a level.
    """
    check_layer(constats, name="constats", required=("theme",))
    gdf = constats.copy()
    level = (
        pd.to_numeric(gdf["gravite"], errors="coerce")
        if "gravite" in gdf
        else pd.Series(np.nan, index=gdf.index)
    )
    valid = level.isin(list(GRAVITE))
    classes = np.where(valid, level.fillna(0).astype("int64") - 1, len(GRAVITE))
    gdf["_gravite"] = [
        f"{int(v)} — {GRAVITE[int(v)][0]}" if ok else None
        for v, ok in zip(level, valid, strict=True)
    ]
    styles: list[dict[str, Any]] = [
        {
            "color": color,
            "fillColor": color,
            "weight": 4,
            "fillOpacity": 0.45,
            "radius": 7,
            "className": "gupgeo-constats",
        }
        for _, color in GRAVITE.values()
    ]
    styles.append({**styles[0], "color": MISSING_COLOR, "fillColor": MISSING_COLOR})
    counts = [int((classes == i).sum()) for i in range(len(GRAVITE) + 1)]
    entries = legend_entries(
        [f"gravité {k} — {label}" for k, (label, _) in GRAVITE.items()],
        [color for _, color in GRAVITE.values()],
        shape="circle",
        counts=counts[:-1],
    )
    if counts[-1]:
        entries.append(
            {**missing_entry(counts[-1], shape="circle"), "label": "gravité non renseignée"}
        )
    popup = [
        Field("date", "Date", "date"),
        Field("demarche", "Démarche"),
        Field("_gravite", "Gravité"),
        Field("recommandation", "Recommandation"),
        Field("statut", "Suite donnée"),
        Field("description", "Observation"),
        Field("id", "Identifiant"),
    ]
    return add_vector_layer(
        m,
        gdf,
        name=name,
        theme=theme,
        kind="constats",
        styles=styles,
        classes=classes,
        title="theme",
        tooltip=[Field("_gravite", "Gravité")],
        popup=[f for f in popup if f.column in gdf.columns],
        show=show,
        legend={"title": name, "entries": entries, "note": "points, tracés et zones"},
    )


def add_choropleth(
    m: TerritoryMap,
    zones: gpd.GeoDataFrame,
    values: pd.Series,
    *,
    name: str,
    value_label: str,
    theme: str = "Indicateurs",
    id_column: str = "code_qp",
    title_column: str | None = "nom_qp",
    scheme: str = "NaturalBreaks",
    k: int = 5,
    decimals: int = 1,
    secret: pd.Series | None = None,
    extra: pd.DataFrame | None = None,
    show: bool = True,
    zoom_range: tuple[int | None, int | None] | None = None,
    min_px: float | None = MIN_VISIBLE_PX,
) -> ThemedGroup:
    """Zones coloured by a value in mapclassify classes, with a legend of the intervals.

    ``values`` and ``secret`` (booleans) are indexed by ``id_column``. A missing value is
    drawn light grey ("non renseigné"); a secret one hatched grey ("secret"), never as a
    class. ``extra`` (same index) adds columns to the tooltip.
    """
    check_layer(zones, name=name, required=(id_column,))
    gdf = zones.copy()
    ids = gdf[id_column].to_numpy()
    value = pd.to_numeric(values.reindex(ids), errors="coerce").astype("float64")
    hidden = (
        secret.reindex(ids).fillna(False).astype(bool).to_numpy()
        if secret is not None
        else np.zeros(len(gdf), dtype=bool)
    )
    value = value.mask(hidden)
    index, labels, colors = classify(value, scheme=scheme, k=k, decimals=decimals)
    n = len(labels)
    classes = np.where(hidden, n + 1, np.where(index < 0, n, index))
    gdf["_valeur"] = [
        "secret" if h else (None if np.isnan(v) else format_number_fr(v, decimals=decimals))
        for v, h in zip(value.to_numpy(), hidden, strict=True)
    ]
    tooltip = [Field("_valeur", value_label)]
    if extra is not None:
        for i, column in enumerate(extra.columns):
            gdf[f"_x{i}"] = extra[column].reindex(ids).to_numpy()
            tooltip.append(Field(f"_x{i}", str(column)))
    base = {"color": "#555555", "weight": 1, "fillOpacity": 0.75, "className": "gupgeo-choropleth"}
    styles: list[dict[str, Any]] = [{**base, "fillColor": c} for c in colors]
    styles.append({**base, "fillColor": MISSING_COLOR, "fillOpacity": 0.35})
    styles.append({**base, "hatch": "gupgeo-hatch-secret", "color": SECRET_COLOR})
    counts = np.bincount(classes, minlength=n + 2)
    entries = legend_entries(labels, colors, shape="square", counts=counts[:n].tolist())
    if counts[n]:
        entries.append(missing_entry(int(counts[n])))
    if counts[n + 1]:
        entries.append(
            {
                "label": "secret (petit effectif)",
                "color": SECRET_COLOR,
                "shape": "secret",
                "count": format_number_fr(int(counts[n + 1])),
            }
        )
    title = title_column if title_column in gdf.columns else id_column
    return add_vector_layer(
        m,
        gdf,
        name=name,
        theme=theme,
        kind="choropleth",
        styles=styles,
        classes=classes,
        title=title,
        tooltip=tooltip,
        popup=None,
        show=show,
        fill_pane=True,
        zoom_range=zoom_range,
        min_px=min_px,
        legend={
            "title": f"{name} — {value_label}",
            "entries": entries,
            "note": f"classes : {scheme_label(scheme)}, effectifs = nombre de zones",
        },
    )
