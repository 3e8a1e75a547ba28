"""The key figures of each quartier, from the dashboard, as fields of the quartiers layer.

The QGIS atlas prints the very cells of :func:`gupgeo.dashboard.build_dashboard` built
on the published territory with the configuration of the HTML atlas (ESSP constats
excluded outside ``interne``): the same numbers, the same French writing ("n.c." when the
data cannot say, never 0). In the ``public`` profile a quartier whose count is below the
secrecy threshold reads "secret" for every figure computed from it (count, rate, stock,
delay, change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from gupgeo.dashboard import Dashboard, DashboardConfig, build_dashboard
from gupgeo.french import display_names
from gupgeo.publication import Publication
from gupgeo.rendering.html import format_value, is_missing
from gupgeo.territory import Territory

SECRET = "secret"


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
    KeyFigure("signalements", "par_1000_habitants", "chiffre_taux", "Signalements pour 1 000 hab.",
              "pour 1 000 habitants"),
    KeyFigure("degradations", "nb_degradations", "chiffre_degradations", "Dégradations"),
    KeyFigure("signalements", "stock_fin_periode", "chiffre_stock",
              "Stock ouvert en fin de période"),
    KeyFigure("signalements", "delai_median_jours", "chiffre_delai", "Délai médian de clôture",
              "jours"),
    KeyFigure("actions", "nb_actions", "chiffre_actions", "Actions GUP"),
    KeyFigure("constats", "nb_ouverts_fin_periode", "chiffre_constats", "Constats ouverts"),
)  # fmt: skip
"""The figures of the HTML atlas's page header, in its order (the surface is left to the
map)."""

NAME_FIELD = "nom_affiche"
"""Quartier name as readers see it: the commune added to homonyms."""


def quartier_dashboard(source: Any, period: Any, *, profile: str) -> Dashboard:
    """The dashboard of a published territory, configured as the HTML atlas's.

    ``source`` is the territory the HTML atlas counts from: the sanitised one
    (:func:`gupgeo.publication.sanitise`), whose events are not yet aggregated. Given a
    :class:`Publication` whose events were aggregated (``public``), only its other layers
    are used, and the figures of the aggregated layers read "n.c.".
    """
    if isinstance(source, Publication):
        counts = set(source.aggregated.values())
        source = Territory(
            {k: v for k, v in source.layers.items() if k not in counts},
            provenance=dict(source.provenance),
        )
    config = DashboardConfig(exclure_essp=profile != "interne")
    return build_dashboard(source, period=period, freq="year", config=config)


def figure_texts(
    db: Dashboard,
    codes: list[str],
    *,
    profile: str,
    threshold: int,
    population: pd.Series | None = None,
) -> pd.DataFrame:
    """One text column per :data:`KEY_FIGURES` (field names), indexed by ``code_qp``."""
    out = pd.DataFrame(index=pd.Index(codes, name="code_qp"))
    secret = pd.Series(False, index=out.index)
    if profile == "public" and "signalements" in db.tables:
        counts = db.tables["signalements"]["nb_signalements"].reindex(out.index)
        secret = pd.Series(
            [not is_missing(v) and float(v) < threshold for v in counts], index=out.index
        )
    for fig in KEY_FIGURES:
        if fig.table == "quartiers":
            values = population.reindex(out.index) if population is not None else None
            out[fig.field] = [
                "n.c." if values is None else format_value(v, fig.unit) for v in
                (values if values is not None else codes)
            ]  # fmt: skip
            continue
        table = db.tables.get(fig.table)
        texts = []
        for code in codes:
            if table is None or fig.column not in table.columns or code not in table.index:
                texts.append("n.c.")
            elif secret[code] and fig.table == "signalements":
                texts.append(SECRET)
            else:
                texts.append(format_value(table.loc[code, fig.column], fig.unit))
        out[fig.field] = texts
    return out


def with_figures(
    quartiers: pd.DataFrame, db: Dashboard, *, profile: str, threshold: int
) -> pd.DataFrame:
    """``quartiers`` plus :data:`NAME_FIELD` and the key-figure fields (text)."""
    out = quartiers.copy()
    codes = [str(c) for c in out["code_qp"]]
    out[NAME_FIELD] = display_names(
        out["nom_qp"].tolist() if "nom_qp" in out else codes,
        out["commune"].tolist() if "commune" in out else None,
        codes,
    )
    population = (
        pd.Series(out["population"].to_numpy(), index=codes) if "population" in out else None
    )
    texts = figure_texts(db, codes, profile=profile, threshold=threshold, population=population)
    for column in texts.columns:
        out[column] = texts[column].to_numpy()
    return out
