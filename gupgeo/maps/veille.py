"""Map layers of the veille: hot/cold spot bins, emerging categories, repeated problems.

:func:`add_hotspots` and :func:`add_emerging` take the cells returned by
:func:`gupgeo.veille.hotspots` / :func:`gupgeo.veille.emerging_hotspots` (or the
bulletin's ``cells``) and draw only the cells that carry a finding — the "non
significatif" / "aucune tendance" cells would cover the whole study area — with a legend
counting every class, the undrawn ones included. Colours follow ArcGIS's hot spot
renderer (red hot, blue cold, lighter for lower confidence); a cell withheld by the
public profile is hatched grey ("secret").

:func:`add_repeated` draws the problems reported several times
(:func:`gupgeo.veille.problems.repeated_problems`) at their first report, red while
a report is still open, with the history of their reports in the popup — plain text
lines, shown through ``textContent`` like every value of the map runtime.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gupgeo.maps._elements import ThemedGroup
from gupgeo.maps._format import format_number_fr
from gupgeo.maps._vector import MISSING_COLOR, SECRET_COLOR, Field, add_vector_layer, check_layer
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
        {
            "label": label,
            "color": color,
            "shape": "square",
            "count": format_number_fr(int(counts.get(label, 0))),
        }
        for label, color in colors.items()
        if counts.get(label, 0)
    ]
    if counts.get(_SECRET, 0):
        entries.append(
            {
                "label": "secret (petit effectif)",
                "color": SECRET_COLOR,
                "shape": "secret",
                "count": format_number_fr(int(counts[_SECRET])),
            }
        )
    others = int(len(cells) - values.isin(labels).sum())
    tooltip = [Field(column, "classe"), Field("code_qp", "quartier")]
    if "nb_signalements" in drawn.columns:
        tooltip.append(Field("nb_signalements", "signalements", "integer"))
    return add_vector_layer(
        m,
        drawn,
        name=name,
        theme="Veille",
        kind="choropleth",
        styles=styles,
        classes=classes,
        title="id_carreau",
        tooltip=tooltip,
        popup=None,
        show=show,
        fill_pane=True,
        legend={
            "title": name,
            "entries": entries,
            "note": f"{format_number_fr(others)} carreaux {undrawn} non dessinés",
        },
    )


def add_hotspots(
    m: TerritoryMap, cells: gpd.GeoDataFrame, *, name: str = "Points chauds", show: bool = True
) -> ThemedGroup:
    """Hot and cold spot cells by confidence bin (``classe`` of :func:`gupgeo.veille.hotspots`)."""
    return _add_classes(
        m,
        cells,
        column="classe",
        colors=HOT_COLORS,
        name=name,
        undrawn="non significatifs",
        show=show,
    )


def add_emerging(
    m: TerritoryMap,
    cells: gpd.GeoDataFrame,
    *,
    name: str = "Points chauds émergents",
    show: bool = False,
) -> ThemedGroup:
    """Emerging hot spot categories (``categorie`` of :func:`gupgeo.veille.emerging_hotspots`)."""
    return _add_classes(
        m,
        cells,
        column="categorie",
        colors=EMERGING_COLORS,
        name=name,
        undrawn="sans tendance (ou points froids)",
        show=show,
    )


REPEATED_NAME = "Problèmes signalés plusieurs fois"
OPEN_COLOR = "#b2182b"
CLOSED_COLOR = "#4d4d4d"
UNKNOWN_STATUS_COLOR = MISSING_COLOR
"""Problems whose source gives no status (DansMaRue, property sales): « statut inconnu »."""
UNKNOWN_STATUS = "statut inconnu"
SIZE_BINS = ((2, 2, 5), (3, 5, 7), (6, None, 10))
"""(fewest reports, most reports or None, radius in pixels) of the circles."""
HISTORY_LINES = 10
"""Reports listed in a popup; the others are counted on a last line."""
DESCRIPTION_CHARS = 50


def _dates_fr(history: pd.DataFrame, column: str) -> list[str | None]:
    if column not in history.columns:
        return [None] * len(history)
    dates = pd.to_datetime(history[column], errors="coerce")
    return [None if pd.isna(d) else d.strftime("%d/%m/%Y") for d in dates]


def _history_line(date: str | None, status: object, closed: str | None, text: object) -> str:
    """``05/01/2024 : résolu le 08/01/2024 — description…`` (the description, when the
    published history holds one, cut at :data:`DESCRIPTION_CHARS`)."""
    line = date or "date inconnue"
    if isinstance(status, str) and status:
        line += f" : {status} le {closed}" if closed else f" : {status}"
    if isinstance(text, str) and text:
        if len(text) > DESCRIPTION_CHARS:
            text = text[: DESCRIPTION_CHARS - 1] + "…"
        line += f" — {text}"
    return line


def _history_lines(history: pd.DataFrame) -> list[str]:
    """One line per report of ``history``."""
    nothing = [None] * len(history)
    status = history["statut"].astype("object").tolist() if "statut" in history else nothing
    text = history["description"].astype("object").tolist() if "description" in history else nothing
    return [
        _history_line(*values)
        for values in zip(
            _dates_fr(history, "date_signalement"),
            status,
            _dates_fr(history, "date_cloture"),
            text,
            strict=True,
        )
    ]


def history_text(history: pd.DataFrame, *, max_lines: int = HISTORY_LINES) -> pd.Series:
    """One text per problem (``id_probleme``): a line per report, oldest first.

    ``history`` is :attr:`gupgeo.veille.problems.RepeatedProblems.history` (or any
    table with ``id_probleme``, ``date_signalement`` and optionally ``statut``,
    ``date_cloture``, ``description``). Beyond ``max_lines`` reports, a last line counts
    the others.
    """
    if history.empty:
        return pd.Series(dtype="object")
    ordered = history.sort_values(["id_probleme", "date_signalement"], kind="stable")
    ordered = ordered.reset_index(drop=True)
    position = ordered.groupby("id_probleme", sort=False).cumcount().to_numpy()
    sizes = ordered.groupby("id_probleme", sort=False).size()
    kept = ordered[position < max_lines]
    lines = (
        pd.Series(_history_lines(kept), dtype="object")
        .groupby(kept["id_probleme"].to_numpy(), sort=False)
        .agg("\n".join)
    )
    texts: dict[Any, str] = dict(lines.items())
    for problem, n in (sizes - max_lines)[sizes > max_lines].items():
        texts[problem] += f"\n… et {n} autres signalements"
    return pd.Series(texts, dtype="object")


def _repeated_classes(problems: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class of each problem: size bin, + 3 when all closed, + 6 when no status is known;
    whether it is open; whether its status is unknown)."""
    size = problems["nb_signalements"].to_numpy(dtype="int64")
    size_class = np.digitize(size, [low for low, _, _ in SIZE_BINS[1:]])
    open_ = pd.array(problems["nb_ouverts"], dtype="Int64")
    unknown = np.asarray(open_.isna(), dtype=bool)
    is_open = np.asarray(open_.fillna(0), dtype="int64") > 0
    state = np.where(unknown, 2, np.where(is_open, 0, 1))
    return size_class + state * len(SIZE_BINS), is_open, unknown


def add_repeated(
    m: TerritoryMap,
    problems: gpd.GeoDataFrame,
    history: pd.DataFrame | None = None,
    *,
    name: str = REPEATED_NAME,
    show: bool = True,
    max_history: int = HISTORY_LINES,
) -> ThemedGroup:
    """Problems reported several times, at their first report, with their history.

    ``problems`` is :attr:`gupgeo.veille.problems.RepeatedProblems.groups` (points,
    ``nb_signalements``, ``premier``, ``dernier``, ``nb_ouverts``; ``rang``,
    ``categorie``, ``statut``, ``adresse`` shown when present); ``history`` its
    ``history`` (already published: the popup shows what it holds). Red: a report is
    still open; grey: all closed; light grey: « statut inconnu » (no report has a
    status); the circle grows with the number of reports.
    """
    required = ("id_probleme", "nb_signalements", "premier", "dernier", "nb_ouverts")
    check_layer(problems, name=name, required=required)
    gdf = problems.copy()
    classes, is_open, unknown = _repeated_classes(gdf)
    gdf["statut"] = (
        gdf["statut"].astype("object").where(gdf["statut"].notna(), UNKNOWN_STATUS)
        if "statut" in gdf.columns
        else UNKNOWN_STATUS
    )
    styles: list[dict[str, Any]] = [
        {
            "color": "#ffffff",
            "weight": 1.5,
            "fillColor": color,
            "fillOpacity": 0.85,
            "radius": radius,
            "className": "gupgeo-repetes",
        }
        for color in (OPEN_COLOR, CLOSED_COLOR, UNKNOWN_STATUS_COLOR)
        for _, _, radius in SIZE_BINS
    ]
    nothing = [None] * len(gdf)
    categories = gdf["categorie"].astype("object").tolist() if "categorie" in gdf else nothing
    ranks = gdf["rang"].tolist() if "rang" in gdf else nothing
    gdf["_titre"] = [
        (f"n° {r} — " if r is not None else "") + ("problème" if pd.isna(c) else str(c))
        for r, c in zip(ranks, categories, strict=True)
    ]
    popup = [
        Field("nb_signalements", "Signalements", "integer"),
        Field("premier", "Premier", "date"),
        Field("dernier", "Dernier", "date"),
        Field("statut", "Statut du dernier"),
        Field("nb_ouverts", "Encore ouverts", "integer"),
        Field("adresse", "Adresse"),
    ]
    if history is not None and len(history):
        mine = history[history["id_probleme"].isin(gdf["id_probleme"]).to_numpy()]
        texts = history_text(mine, max_lines=max_history)
        gdf["_historique"] = texts.reindex(gdf["id_probleme"].to_numpy()).to_numpy()
        popup.append(Field("_historique", "Historique"))
    return add_vector_layer(
        m,
        gdf,
        name=name,
        theme="Veille",
        kind="repetes",
        styles=styles,
        classes=classes,
        title="_titre",
        tooltip=[Field("nb_signalements", "signalements", "integer")],
        popup=[f for f in popup if f.column in gdf.columns],
        show=show,
        legend={
            "title": name,
            "entries": _repeated_entries(is_open, unknown),
            "note": "au premier signalement ; taille : 2, 3 à 5, 6 signalements et plus",
        },
    )


def _repeated_entries(is_open: np.ndarray, unknown: np.ndarray) -> list[dict[str, Any]]:
    """The legend of the repeated problems: open, all closed, status unknown (counted)."""
    known = ~unknown
    entries = (
        [
            {
                "label": "au moins un signalement encore ouvert",
                "color": OPEN_COLOR,
                "shape": "circle",
                "count": format_number_fr(int(is_open.sum())),
            },
            {
                "label": "tous clos",
                "color": CLOSED_COLOR,
                "shape": "circle",
                "count": format_number_fr(int((known & ~is_open).sum())),
            },
        ]
        if known.any()
        else []
    )
    if unknown.any():  # a source without statuses: never counted open nor closed
        entries.append(
            {
                "label": f"{UNKNOWN_STATUS} (la source n'en donne pas)",
                "color": UNKNOWN_STATUS_COLOR,
                "shape": "circle",
                "count": format_number_fr(int(unknown.sum())),
            }
        )
    return entries
