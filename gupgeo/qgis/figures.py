"""The key figures of each quartier, from the dashboard, as fields of the quartiers layer.

The QGIS atlas prints the very cells of :func:`gupgeo.dashboard.build_dashboard` built
from the publication, as the HTML atlas does: the same numbers, the same French writing
("n.c." when the data cannot say, never 0). In the ``public`` profile the cells the
dashboard's statistical secrecy hides read "secret".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from gupgeo.dashboard import Dashboard, build_dashboard
from gupgeo.french import quartier_names
from gupgeo.publication import Publication
from gupgeo.rendering.html import format_value, is_missing
from gupgeo.secrecy import SECRET


@dataclass(frozen=True)
class KeyFigure:
    """One figure of the atlas: dashboard cell, field written, French label and unit."""

    table: str
    column: str
    field: str
    label: str
    unit: str = "nombre"


KEY_FIGURES: tuple[KeyFigure, ...] = (
    KeyFigure("quartiers", "population", "chiffre_habitants", "Habitants"),
    KeyFigure("signalements", "nb_signalements", "chiffre_signalements", "Signalements"),
    KeyFigure(
        "signalements",
        "par_1000_habitants",
        "chiffre_taux",
        "Signalements pour 1 000 hab.",
        "pour 1 000 habitants",
    ),
    KeyFigure("degradations", "nb_degradations", "chiffre_degradations", "Dégradations"),
    KeyFigure(
        "signalements", "stock_fin_periode", "chiffre_stock", "Stock ouvert en fin de période"
    ),
    KeyFigure(
        "signalements", "delai_median_jours", "chiffre_delai", "Délai médian de clôture", "jours"
    ),
    KeyFigure("signalements", "evolution_pct", "chiffre_evolution", "Évolution sur un an", "%"),
    KeyFigure("actions", "nb_actions", "chiffre_actions", "Actions GUP"),
    KeyFigure("constats", "nb_ouverts_fin_periode", "chiffre_constats", "Constats ouverts"),
)
"""The figures of the HTML atlas's page header, in its order (the surface is left to the
map)."""

NAME_FIELD = "nom_affiche"
"""Quartier name as readers see it: the commune added to homonyms."""


def quartier_dashboard(publication: Publication, period: Any) -> Dashboard:
    """The dashboard of the publication for ``period``, as the HTML atlas builds it (in
    ``public``, with its statistical secrecy)."""
    return build_dashboard(publication, period=period, freq="year")


def figure_texts(
    db: Dashboard, codes: list[str], *, population: pd.Series | None = None
) -> pd.DataFrame:
    """One text column per :data:`KEY_FIGURES` (field names), indexed by ``code_qp``."""
    out = pd.DataFrame(index=pd.Index(codes, name="code_qp"))
    for fig in KEY_FIGURES:
        if fig.table == "quartiers":
            values = population.reindex(out.index) if population is not None else None
            out[fig.field] = [
                "n.c." if values is None else format_value(v, fig.unit)
                for v in (values if values is not None else codes)
            ]
            continue
        table = db.tables.get(fig.table)
        texts = []
        for code in codes:
            if table is None or fig.column not in table.columns or code not in table.index:
                texts.append("n.c.")
            elif _hidden(db, fig, code):
                texts.append(SECRET)
            else:
                value: Any = table.loc[code, fig.column]
                text = format_value(value, fig.unit)
                if fig.column == "evolution_pct" and not is_missing(value) and float(value) > 0:
                    text = "+" + text  # as the HTML atlas writes a rise
                texts.append(text)
        out[fig.field] = texts
    return out


def figure_label(fig: KeyFigure, period_kind: str) -> str:
    """The label the HTML atlas gives a figure ("Évolution" outside a yearly period)."""
    if fig.column == "evolution_pct" and period_kind != "year":
        return "Évolution"
    return fig.label


def _hidden(db: Dashboard, fig: KeyFigure, code: str) -> bool:
    """Whether the public dashboard's secrecy hides this cell."""
    mask = db.secret_mask(fig.table)
    return (
        mask is not None
        and fig.column in mask.columns
        and code in mask.index
        and bool(mask.at[code, fig.column])
    )


def with_figures(quartiers: pd.DataFrame, db: Dashboard) -> pd.DataFrame:
    """``quartiers`` plus :data:`NAME_FIELD` and the key-figure fields (text)."""
    out = quartiers.copy()
    codes = [str(c) for c in out["code_qp"]]
    out[NAME_FIELD] = quartier_names(out).to_numpy()  # the one naming rule
    population = (
        pd.Series(out["population"].to_numpy(), index=codes) if "population" in out else None
    )
    texts = figure_texts(db, codes, population=population)
    for column in texts.columns:
        out[column] = texts[column].to_numpy()
    return out
