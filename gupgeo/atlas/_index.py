"""The atlas index: overview map, sortable comparison table, table of contents, sources."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gupgeo.atlas import _content as content
from gupgeo.atlas._pages import PageResult, reproducible_svg
from gupgeo.atlas._prepare import AtlasData
from gupgeo.atlas.naming import COMPARISON_STEM, OVERVIEW_STEM
from gupgeo.atlas.options import INDICATORS
from gupgeo.coverage import period_words
from gupgeo.dashboard.model import Dashboard
from gupgeo.french import format_long_date
from gupgeo.indicators.catalog import column_unit
from gupgeo.publication import scrub_text
from gupgeo.rendering.html import Cell, Table, date_cell, number_cell, render, text_cell
from gupgeo.rendering.svg import Frame, SvgMap

COMPARISON: tuple[tuple[str, str, str], ...] = (
    ("signalements", "nb_signalements", "Signalements"),
    ("signalements", "par_1000_habitants", "Pour 1 000 hab."),
    ("degradations", "nb_degradations", "Dégradations"),
    ("signalements", "stock_fin_periode", "Stock ouvert"),
    ("signalements", "delai_median_jours", "Délai médian"),
    ("signalements", "evolution_pct", "Évolution"),
    ("actions", "nb_actions", "Actions GUP"),
    ("tfpb", "montant_eur", "TFPB valorisée"),
    ("constats", "nb_ouverts_fin_periode", "Constats ouverts"),
)
"""Columns of the comparison table: (dashboard table, column, header)."""

OVERVIEW_PX = (720, 520)


def comparison_table(
    data: AtlasData, results: Sequence[PageResult], secrecy: content.Secrecy
) -> Table:
    """One row per page (link, commune, population, key indicators), sortable."""
    db = data.db
    ok = {r.code_qp: r.ok for r in results}
    columns = [c for c in COMPARISON if c[0] in db.tables and c[1] in db.tables[c[0]].columns]
    headers = [("Quartier", False), ("Commune", False), ("Habitants", True)]
    headers += [(label, True) for _, _, label in columns]
    rows = []
    records = data.selected.drop(columns="geometry").to_dict("records")
    for page, record in zip(data.pages, records, strict=True):
        link = page.href if ok.get(page.code_qp) else None
        cells = [
            Cell(page.title, page.title, href=link),
            text_cell(record.get("commune")),
            number_cell(record.get("population"), indicator="quartiers:population"),
        ]
        cells += [
            content.indicator_cell(db, table, column, page.code_qp, secrecy)
            for table, column, _ in columns
        ]
        rows.append(tuple(cells))
    foot = []
    if not secrecy.active:
        for code, label in (("hors QPV", "Hors QPV"), ("total", "Total du territoire")):
            cells = [Cell(label, label), text_cell(""), text_cell("")]
            for table, column, _ in columns:
                frame = db.tables[table]
                cells.append(
                    number_cell(frame.loc[code, column], column_unit(table, column))
                    if code in frame.index
                    else Cell("n.c.", "", True)
                )
            foot.append(tuple(cells))
    note = (
        "Pour 1 000 hab. : signalements de la période rapportés à la population ; délai médian "
        "de clôture en jours ; évolution par rapport à la période précédente ; n.c. : non "
        "calculable (population inconnue, aucune clôture, période non couverte par les "
        "données…)."
    )
    if reason := db.missing_reason("signalements", "evolution_pct"):
        note += f" Évolution n.c. : {reason}."
    return Table(
        "Indicateurs clés par quartier",
        tuple(headers),
        tuple(rows),
        tuple(foot),
        note=note,
        sortable=True,
        attrs={"data-table": "comparaison"},
    )


def _indicator_values(data: AtlasData) -> tuple[pd.Series, str, str, str]:
    table, column, label = INDICATORS[data.settings.indicator]
    frame = data.db.tables.get(table)
    codes = [p.code_qp for p in data.pages]
    if frame is None or column not in frame.columns:
        return pd.Series(np.nan, index=codes), table, column, label
    return frame[column].reindex(codes).astype("float64"), table, column, label


MIN_PX = 9.0
"""Below this size on the plan (pixels) a quartier is drawn as a clickable disc."""


def overview_svg(
    data: AtlasData, results: Sequence[PageResult], secrecy: content.Secrecy
) -> tuple[str, list[dict[str, str]]]:
    """A clickable static choropleth of the selected quartiers, and its legend."""
    from gupgeo.maps.pages import classes

    values, table, column, label = _indicator_values(data)
    hidden = np.array([secrecy.hides(data.db, table, column, c) for c in values.index], dtype=bool)
    shown = values.mask(hidden)
    index, labels, colors = classes(shown)
    quartiers = data.selected
    frame = Frame.around(
        quartiers.total_bounds, width=OVERVIEW_PX[0], height=OVERVIEW_PX[1], margin_pct=4
    )
    svg = SvgMap(frame, title=f"Vue d'ensemble : {label}", css_class="gg-overview")
    others = data.territory["quartiers"]
    rest = ~others["code_qp"].astype("object").isin(values.index).to_numpy()
    svg.polygons(
        np.asarray(others.geometry.array)[rest], fill="#e6e6e6", stroke="#9a9a9a", min_px=5
    )
    ok = {r.code_qp: r.ok for r in results}
    fills = [
        "#cfcfcf" if h else (colors[i] if i >= 0 else "#f0f0f0")
        for i, h in zip(index, hidden, strict=True)
    ]
    titles = [
        f"{p.title} : {'secret' if h else content.format_value(v, column_unit(table, column))}"
        for p, v, h in zip(data.pages, shown, hidden, strict=True)
    ]
    links = [p.href if ok.get(p.code_qp) else None for p in data.pages]
    svg.polygons(
        np.asarray(quartiers.geometry.array),
        fill=fills,
        stroke="#444444",
        width=1.0,
        titles=titles,
        links=links,
        min_px=MIN_PX,
    )
    if len(data.pages) <= 40:
        points = gpd.GeoSeries(quartiers.geometry.array).representative_point()
        xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
        svg.labels(xy, [p.title for p in data.pages], size=11)
    svg.scale_bar()
    legend = [
        {"shape": "square", "color": c, "label": lab} for lab, c in zip(labels, colors, strict=True)
    ]
    if (index < 0).any():
        legend.append({"shape": "square", "color": "#f0f0f0", "label": "non calculable"})
    if hidden.any():
        legend.append({"shape": "square", "color": "#cfcfcf", "label": "secret (petit effectif)"})
    return svg.render(), legend


def write_index(
    data: AtlasData, results: Sequence[PageResult], *, comparison_chart: dict[str, Any] | None
) -> str:
    """Render ``index.html`` (the overview map file is written by the caller)."""
    s = data.settings
    secrecy = content.Secrecy(s.publication.secret, s.secret_threshold)
    overview, legend = overview_svg(data, results, secrecy)
    _, _, _, label = _indicator_values(data)
    ok = {r.code_qp: r for r in results}
    pages = [
        {
            "title": p.title,
            "href": p.href,
            "code_qp": p.code_qp,
            "ok": ok[p.code_qp].ok if p.code_qp in ok else False,
        }
        for p in data.pages
    ]
    failures = [r for r in results if not r.ok]
    if s.publication.masks:  # an error message may carry a local path or a label
        failures = [
            dataclasses.replace(r, error=scrub_text(pd.Series([r.error])).iloc[0]) for r in failures
        ]
    source_table = sources_table(data.db)
    context: dict[str, Any] = {
        "root": "",
        "title": s.options.title,
        "atlas_title": s.options.title,
        "period": _period_words_of(data),
        "publication": s.publication,
        "publication_label": s.publication_label,
        "publication_notes": s.publication_notes,
        "build_date": format_long_date(s.build_date),
        "pages": pages,
        "failures": failures,
        "map_href": f"cartes/{OVERVIEW_STEM}.html",
        "overview": overview,
        "overview_legend": legend,
        "indicator_label": label,
        "comparison": comparison_table(data, results, secrecy),
        "comparison_chart": comparison_chart,
        "sources": s.sources,
        "source_table": source_table,
        "notes": data.db.notes,
    }
    return render("atlas_index.html", **context)


def _period_words_of(data: AtlasData) -> str:
    return period_words(data.settings.period)


def sources_table(db: Dashboard) -> Table:
    """The layers used: rows, rows in the period, coverage (first and last date), source."""
    coverage = db.coverage.set_index("couche")
    rows = []
    for record in db.sources.to_dict("records"):
        layer = record.get("couche")
        known = layer in coverage.index
        cov = coverage.loc[layer] if known else None
        rows.append(
            (
                text_cell(layer),
                number_cell(record.get("lignes")),
                number_cell(record.get("lignes_dans_la_periode")),
                date_cell(cov["premiere_date"] if cov is not None else None),
                date_cell(cov["derniere_date"] if cov is not None else None),
                text_cell(cov["couverture_periode"] if cov is not None else "sans date"),
                text_cell(record.get("provenance")),
            )
        )
    headers = (
        ("Couche", False),
        ("Lignes", True),
        ("Dans la période", True),
        ("Première date", False),
        ("Dernière date", False),
        ("Période", False),
        ("Provenance", False),
    )
    note = (
        "Première et dernière date : la couverture des données de chaque couche. Une période "
        "non couverte a ses chiffres n.c. (non calculables), jamais 0 ; partiellement "
        "couverte, ses chiffres sont partiels."
    )
    return Table(
        "Couches utilisées", headers, tuple(rows), note=note, attrs={"data-table": "sources"}
    )


def comparison_chart(data: AtlasData, folder: Any) -> dict[str, Any] | None:
    """The bar chart comparing the selected quartiers on the overview indicator: its
    image, its text alternative (what and key figures) and its data table."""
    import dataclasses

    from gupgeo.dashboard.chart_data import quartiers_comparison
    from gupgeo.dashboard.charts import draw_quartiers_comparison, save_figure
    from gupgeo.rendering.html import chart_table

    if not data.settings.publication.locates:
        return None
    table, column, _ = INDICATORS[data.settings.indicator]
    if table not in data.db.tables:
        return None
    codes = [p.code_qp for p in data.pages]
    names = {c: t for c, t in zip(codes, [p.title for p in data.pages], strict=True)}
    names.update({k: v for k, v in data.db.names.items() if k in ("hors QPV", "total")})
    db = dataclasses.replace(data.db, names=names)
    values = quartiers_comparison(db, table, column)
    with reproducible_svg():
        fig = draw_quartiers_comparison(values, reason=db.missing_reason(table, column) or "")
        (path,) = save_figure(fig, folder / COMPARISON_STEM, formats=("svg",))
    return {"src": f"graphiques/{path.name}", "alt": values.summary, "table": chart_table(values)}


__all__ = ["comparison_chart", "comparison_table", "overview_svg", "write_index"]
