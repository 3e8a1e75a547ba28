"""The "Veille territoriale" section of an atlas page and of an operation review.

Around one place (a quartier, an operation's perimeter and its abords), three findings
of the period, each readable when there is nothing to report and saying why:

- the significant hot spots among the cells of the place (class, signalements);
- the emerging categories of those cells (nouveau, en intensification…), over the
  periods analysed up to the end of the period;
- the problems reported several times (key figures, and in ``interne`` and
  ``partenaires`` the list of them: where, how many reports, since when, open or
  closed).

The cells come published (:func:`gupgeo.veille.cells.publish_cells`): in ``public`` a
cell of fewer than the threshold's signalements is "secret statistique", never listed
as a hot spot; the key figures below the threshold read "secret" and the problems are
not listed (their points are a few reports each). Everything is rendered by the
``_veille.html`` macros, autoescaped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.french import format_number
from gupgeo.rendering.html import (
    Cell,
    Figure,
    Table,
    date_cell,
    number_cell,
    raw_value,
    text_cell,
    to_float,
)
from gupgeo.veille.cells import HOT_CLASSES, NOT_COMPUTED, SECRET_CLASS, PeriodCells
from gupgeo.veille.emerging import CATEGORIES, category_label

LIEU = "lieu"
"""Column of the cells (and problems) saying where they are relative to the place."""
TREND_ORDER = (
    *(category_label(k, True) for k in CATEGORIES),
    *(category_label(k, False) for k in CATEGORIES),
    SECRET_CLASS,
)
"""Emerging categories, in the order a reader scans them (hot first, new first)."""
SECRET_TREND = "tendance non publiée (secret statistique)"
"""How a trend withheld by the ``public`` profile reads."""
FEW_SIGNALEMENTS = 30
"""Below this many signalements in the place's cells, "nothing significant" is said to be
expected from so few events."""


@dataclass(frozen=True)
class VeilleSection:
    """What the ``_veille.html`` macro renders (every text in French)."""

    lead: str
    hot_title: str
    hot_text: str
    hot: Table | None
    trend_text: str
    trends: Table | None
    figures: tuple[Figure, ...]
    repeated_text: str
    repeated: Table | None
    repeated_more: int
    method: tuple[str, ...]


def _count_text(n: int, singular: str, plural: str) -> str:
    return f"{format_number(n)} {singular if n == 1 else plural}"


def _hot_rows(cells: pd.DataFrame) -> pd.DataFrame:
    hot = cells[cells["classe"].isin(HOT_CLASSES).to_numpy()].copy()
    hot["_rang"] = hot["classe"].map({c: i for i, c in enumerate(HOT_CLASSES)})
    hot["_n"] = pd.to_numeric(hot["nb_signalements"], errors="coerce").fillna(0)
    return hot.sort_values(["_rang", "_n", "id_carreau"], ascending=[True, False, True])


def hot_spots(
    cells: pd.DataFrame,
    found: PeriodCells,
    *,
    where: str,
    nowhere: str,
    public: bool,
    threshold: int,
    span: str = "la période",
) -> tuple[str, Table | None]:
    """The sentence and the table of the significant hot spots among ``cells``.

    ``where`` ends the sentence listing them ("dans le quartier ou à moins de 200 m"),
    ``nowhere`` the one saying there is none ("dans le quartier ni à moins de 200 m");
    ``span`` names the time studied ("la période", "la fenêtre").
    """
    if found.hot_error:
        return f"Points chauds non calculés pour {span} : {found.hot_error}.", None
    hot = _hot_rows(cells)
    cold = int(cells["classe"].astype(str).str.startswith("point froid").sum())
    secret = int((cells["classe"] == SECRET_CLASS).sum())
    notes = []
    if cold:
        notes.append(
            _count_text(cold, "point froid", "points froids")
            + " (moins de signalements qu'alentour)"
        )
    if secret:
        notes.append(
            _count_text(secret, "carreau significatif", "carreaux significatifs")
            + f" de moins de {threshold} signalements, "
            + ("non publié" if secret == 1 else "non publiés")
            + " (secret statistique)"
        )
    extra = f" Par ailleurs : {' ; '.join(notes)}." if notes else ""
    if hot.empty:
        return _nothing_hot(cells, nowhere=f"{nowhere} sur {span}", public=public) + extra, None
    text = (
        _count_text(len(hot), "carreau", "carreaux")
        + f" en point chaud significatif {where} sur {span}.{extra}"
    )
    named = "adresse" in hot.columns and bool(hot["adresse"].notna().any())
    rows = tuple(
        (
            text_cell(r[LIEU]),
            *((text_cell(r["adresse"]),) if named else ()),
            text_cell(r["classe"]),
            number_cell(r["nb_signalements"]),
            text_cell(r["id_carreau"]),
        )
        for r in hot.to_dict("records")
    )
    headers = (
        ("Lieu", False),
        *((("Adresse la plus citée", False),) if named else ()),
        ("Classe", False),
        ("Signalements de la période", True),
        ("Carreau (INSEE)", False),
    )
    table = Table(
        "Points chauds significatifs", headers, rows, attrs={"data-list": "veille-chauds"}
    )
    return text, table


def _nothing_hot(cells: pd.DataFrame, *, nowhere: str, public: bool) -> str:
    """Why no cell of the place is a hot spot, in one French sentence."""
    base = f"Aucun point chaud significatif {nowhere}"
    if public:
        return base + " : les signalements n'y sont pas plus concentrés qu'ailleurs."
    n = int(pd.to_numeric(cells["nb_signalements"], errors="coerce").fillna(0).sum())
    if n < FEW_SIGNALEMENTS:
        return (
            f"{base} : trop peu de signalements ({format_number(n)} dans ces carreaux) pour "
            "qu'une concentration y soit significative."
        )
    return (
        f"{base} : les {format_number(n)} signalements de ces carreaux n'y sont pas plus "
        "concentrés que dans le reste de la zone d'étude."
    )


def trends(cells: pd.DataFrame, found: PeriodCells, *, nowhere: str) -> tuple[str, Table | None]:
    """The sentence and the table of the emerging categories among ``cells``."""
    if found.trend_error:
        return f"Tendances non calculées : {found.trend_error}.", None
    shown = cells[cells["categorie"].isin(TREND_ORDER).to_numpy()]
    span = f"sur {found.trend_span}"
    if shown.empty:
        return f"Aucune tendance significative {nowhere} {span}.", None
    rows = []
    for category in TREND_ORDER:
        these = shown[(shown["categorie"] == category).to_numpy()]
        if these.empty:
            continue
        places = sorted(set(these[LIEU].astype(str)))
        label = SECRET_TREND if category == SECRET_CLASS else category
        rows.append((text_cell(label), number_cell(len(these)), text_cell(", ".join(places))))
    headers = (("Catégorie", False), ("Carreaux", True), ("Lieu", False))
    table = Table(
        "Tendances des carreaux", headers, tuple(rows), attrs={"data-list": "veille-tendances"}
    )
    return f"Tendances {span} (Gi* par période et test de Mann-Kendall) :", table


def figures(
    values: Sequence[tuple[str, object, str]], *, public: bool, threshold: int
) -> tuple[Figure, ...]:
    """Key figures ``(label, count, indicator)``; in ``public`` counts below the threshold
    read "secret"."""
    out = []
    for label, value, indicator in values:
        number = to_float(value)
        if public and not np.isnan(number) and number < threshold:
            out.append(Figure(label, "secret", "", indicator))
        else:
            out.append(Figure(label, format_number(number), raw_value(value), indicator))
    return tuple(out)


def repeated_table(
    groups: pd.DataFrame, *, caption: str, max_rows: int, with_place: bool = False
) -> tuple[Table, int]:
    """The problems reported several times: n°, what, where, how many, since when, state."""
    show_address = "adresse" in groups.columns and bool(groups["adresse"].notna().any())
    rows = []
    for r in groups.head(max_rows).to_dict("records"):
        cells: list[Cell] = [number_cell(r["rang"]), text_cell(r.get("categorie"))]
        if with_place:
            cells.append(text_cell(r.get(LIEU)))
        if show_address:
            cells.append(text_cell(r.get("adresse")))
        cells += [
            number_cell(r["nb_signalements"]),
            date_cell(r["premier"]),
            date_cell(r["dernier"]),
            text_cell(_status_text(r)),
            number_cell(r["nb_ouverts"]),
        ]
        rows.append(tuple(cells))
    headers = [("N°", True), ("Catégorie", False)]
    if with_place:
        headers.append(("Lieu", False))
    if show_address:
        headers.append(("Adresse la plus citée", False))
    headers += [
        ("Signalements", True),
        ("Premier", False),
        ("Dernier", False),
        ("Statut du dernier", False),
        ("Encore ouverts", True),
    ]
    table = Table(
        caption,
        tuple(headers),
        tuple(rows),
        attrs={"data-list": "veille-repetes"},
        empty="Aucun problème signalé plusieurs fois sur la période.",
    )
    return table, max(0, len(groups) - max_rows)


def _status_text(problem: Mapping[Hashable, Any]) -> object:
    """The latest report's status; « statut inconnu » when the source gives none."""
    status = problem.get("statut")
    return "statut inconnu" if status is None or status is pd.NA or status != status else status


def recurring_places(groups: pd.DataFrame) -> str:
    """`` Le même lieu revient : … (13 problèmes, 89 signalements).`` when an address comes
    back in several problems, else empty."""
    if "adresse" not in groups.columns:
        return ""
    by_address = groups.dropna(subset=["adresse"]).groupby("adresse")["nb_signalements"]
    table = pd.DataFrame({"n": by_address.size(), "reports": by_address.sum()})
    table = table[table["n"] >= 2]
    if table.empty:
        return ""
    table = table.reset_index().sort_values(
        ["n", "reports", "adresse"], ascending=[False, False, True]
    )
    top = table.iloc[0]
    return (
        f" Le même lieu revient : {top['adresse']} ({format_number(top['n'])} problèmes, "
        f"{format_number(top['reports'])} signalements)."
    )


def method_notes(found: PeriodCells, *, rule_text: str, near: str) -> tuple[str, ...]:
    """How the section was computed (French)."""
    return (
        f"Carreaux de {found.cell_m:g} m du carroyage INSEE ; {near}.",
        "Points chauds : Gi* de Getis-Ord (carreau et ses 8 voisins) sur la zone d'étude "
        "(quartiers et 500 m autour), taux de fausses découvertes contrôlé ; « point chaud "
        "95 % » : concentration significative à 95 %.",
        "Tendances : Gi* de chaque période puis test de Mann-Kendall, catégories d'ArcGIS "
        "(« Emerging Hot Spot Analysis »).",
        f"Problèmes signalés plusieurs fois : {rule_text}, sans enchaînement de proche en "
        "proche ; un problème compte au lieu de son premier signalement.",
    )


@dataclass(frozen=True)
class SectionText:
    """What a veille section says of the place it looks at (every text in French).

    ``where`` ends the sentence listing the hot spots ("dans le quartier ou à moins de
    200 m"), ``nowhere`` the ones saying there is none; ``span`` names the time studied
    ("la période", "la fenêtre"); ``near`` is the method note on the place's edge;
    ``listed`` introduces the list of repeated problems, ``none_repeated`` says there is
    none, ``caption`` titles their table.
    """

    lead: str
    hot_title: str
    where: str
    nowhere: str
    span: str
    near: str
    listed: str
    none_repeated: str
    caption: str


PUBLIC_REPEATED = (
    "Profil public : les problèmes signalés plusieurs fois ne sont pas localisés "
    "(chacun ne désigne que quelques signalements)."
)
"""Why the ``public`` profile lists no repeated problem."""


def compose_section(
    found: PeriodCells,
    groups: pd.DataFrame,
    text: SectionText,
    *,
    counts: Sequence[tuple[str, object, str]],
    rule_text: str,
    public: bool,
    threshold: int,
    max_rows: int,
    with_place: bool = False,
    uncovered: str = "",
) -> VeilleSection:
    """The "Veille territoriale" section around one place (atlas page, operation review).

    Parameters
    ----------
    found
        The published cells of the place (column ``lieu``) and how they were computed.
    groups
        The repeated problems of the place (``rang`` from 1).
    text
        What the section says of the place.
    counts
        The key figures ``(label, count, indicator)``.
    rule_text
        The repeat rule, as the method notes say it.
    max_rows, with_place
        Most problems listed; whether their table has a ``lieu`` column.
    uncovered
        Why the signalements do not cover the period: the figures then read "n.c.",
        never 0.
    """
    hot_text, hot = hot_spots(
        found.cells,
        found,
        where=text.where,
        nowhere=text.nowhere,
        public=public,
        threshold=threshold,
        span=text.span,
    )
    trend_text, trend = trends(found.cells, found, nowhere=text.nowhere)
    shown = figures(counts, public=public, threshold=threshold)
    table, more = None, 0
    if uncovered:
        shown = tuple(dataclasses.replace(f, text="n.c.", value="") for f in shown)
        repeated_text = f"n.c. : {uncovered}."
    elif public:
        repeated_text = PUBLIC_REPEATED
    elif len(groups) == 0:
        repeated_text = text.none_repeated
    else:
        repeated_text = text.listed + recurring_places(groups)
        table, more = repeated_table(
            groups, caption=text.caption, max_rows=max_rows, with_place=with_place
        )
    return VeilleSection(
        lead=text.lead,
        hot_title=text.hot_title,
        hot_text=hot_text,
        hot=hot,
        trend_text=trend_text,
        trends=trend,
        figures=shown,
        repeated_text=repeated_text,
        repeated=table,
        repeated_more=more,
        method=method_notes(found, rule_text=rule_text, near=text.near),
    )


__all__ = [
    "LIEU",
    "NOT_COMPUTED",
    "PUBLIC_REPEATED",
    "Figure",
    "SectionText",
    "VeilleSection",
    "compose_section",
    "figures",
    "hot_spots",
    "method_notes",
    "recurring_places",
    "repeated_table",
    "trends",
]
