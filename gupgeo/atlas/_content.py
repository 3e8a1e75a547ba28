"""Dashboard rows and layer extracts turned into the tables and figures of a page.

Every figure comes from the dashboard table it names (``data-indicator="table:column"``
with the raw value in ``data-value``), so a page always says what the dashboard says:
a card and the table beside it read the same cell, both "n.c." when it is not
computable, and both say why when the reason is the data's coverage.
In the ``public`` profile, counts below the secrecy threshold read "secret", and so do
the counts that would give them back by subtraction and the rates and delays computed
from a secret count (:mod:`gupgeo.atlas._secrecy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.atlas._secrecy import KEEP_ZERO_ROWS, PageCell, hidden_cells
from gupgeo.coverage import OUTSIDE, PARTIAL, change_reason, period_reason
from gupgeo.dashboard.model import Dashboard
from gupgeo.indicators.catalog import TABLE_INFO, column_label, column_unit
from gupgeo.indicators.common import EVOLUTION_COLUMNS
from gupgeo.rendering.html import (
    MISSING,
    Cell,
    Figure,
    Table,
    date_cell,
    format_value,
    is_missing,
    number_cell,
    raw_value,
    text_cell,
    to_float,
)
from gupgeo.schemas import AXES_TFPB
from gupgeo.secrecy import SECRET

GRAVITE_LABELS = {1: "1 — faible", 2: "2 — moyenne", 3: "3 — forte"}


@dataclass(frozen=True)
class Secrecy:
    """Statistical secrecy of the ``public`` profile (off for the other profiles).

    A quartier's secret cells, primary and secondary, are computed once per dashboard
    (:func:`gupgeo.atlas._secrecy.hidden_cells`), so its page, the index and the
    overview map hide the same ones.
    """

    active: bool
    threshold: int
    _pages: dict[str, tuple[Dashboard, frozenset[PageCell]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def hides(self, db: Dashboard, table: str, column: str, code: str) -> bool:
        if not self.active or table not in db.tables or code not in db.tables[table].index:
            return False
        mask = db.secret_mask(table)  # the public dashboard's own secrecy
        if mask is not None and column in mask.columns and bool(mask.at[code, column]):
            return True
        known = self._pages.get(code)
        if known is None or known[0] is not db:
            known = (db, hidden_cells(db, code, threshold=self.threshold))
            self._pages[code] = known
        return (table, column) in known[1]


def indicator_cell(db: Dashboard, table: str, column: str, code: str, secrecy: Secrecy) -> Cell:
    """The dashboard value of ``table[code, column]`` as a table cell."""
    frame = db.tables.get(table)
    if frame is None or column not in frame.columns or code not in frame.index:
        return Cell(text="n.c.", value="", numeric=True, indicator=f"{table}:{column}")
    if secrecy.hides(db, table, column, code):
        return Cell(
            text=SECRET, value="", numeric=True, indicator=f"{table}:{column}", css="gg-secret"
        )
    value = frame.loc[code, column]
    return number_cell(value, column_unit(table, column), indicator=f"{table}:{column}")


def key_figures(
    db: Dashboard, code: str, quartier: dict[str, Any], secrecy: Secrecy
) -> list[Figure]:
    """The key figures of a quartier, in the order of the page's header."""
    out = [
        Figure(
            "Habitants",
            format_value(quartier.get("population"), "nombre"),
            raw_value(quartier.get("population")),
            "quartiers:population",
        ),
        Figure(
            "Surface",
            format_value(quartier.get("surface_ha"), "ha") + "\u202fha",
            raw_value(quartier.get("surface_ha")),
            "quartiers:surface_ha",
        ),
    ]
    wanted = (
        ("signalements", "nb_signalements", "Signalements", ""),
        ("signalements", "par_1000_habitants", "Signalements pour 1 000 hab.", ""),
        ("degradations", "nb_degradations", "Dégradations", ""),
        ("signalements", "stock_fin_periode", "Stock ouvert en fin de période", ""),
        ("signalements", "delai_median_jours", "Délai médian de clôture", ""),
        (
            "signalements",
            "evolution_pct",
            "Évolution sur un an",
            "par rapport à la période précédente",
        ),
        ("actions", "nb_actions", "Actions GUP", ""),
        ("constats", "nb_ouverts_fin_periode", "Constats ouverts", "fin de période"),
    )
    for table, column, label, hint in wanted:
        if table not in db.tables:
            continue
        cell = indicator_cell(db, table, column, code, secrecy)
        text = cell.text
        if column == "evolution_pct" and cell.value and float(cell.value) > 0:
            text = "+" + text
        if column == "evolution_pct":
            label = "Évolution" if db.period.kind != "year" else label
        if text == MISSING and (reason := db.missing_reason(table, column)):
            hint = f"n.c. : {reason}"
        out.append(Figure(label, text, cell.value, f"{table}:{column}", hint))
    return out


def coverage_note(db: Dashboard, table: str) -> str:
    """What the layer's coverage means for a table: n.c., partial figures, n.c. change."""
    info = TABLE_INFO.get(table)
    cov = db.coverages.get(info.layer) if info is not None else None
    frame = db.tables.get(table)
    if cov is None or frame is None:
        return ""
    status = cov.status(db.period)
    if status == OUTSIDE:
        return f"n.c. : {period_reason(cov, db.period)} ({cov.text()})."
    notes = []
    if status == PARTIAL:
        notes.append(f"Chiffres partiels : {period_reason(cov, db.period)} ({cov.text()}).")
    reason = change_reason(cov, db.period)
    if reason and any(c in frame.columns for c in EVOLUTION_COLUMNS):
        notes.append(f"Évolution n.c. : {reason} ({cov.text()}).")
    return " ".join(notes)


def vertical_table(
    db: Dashboard,
    table: str,
    code: str,
    secrecy: Secrecy,
    *,
    caption: str | None = None,
    columns: Sequence[str] | None = None,
    sort: bool = False,
    skip_zero: bool = False,
    share_of: str | None = None,
) -> Table | None:
    """One dashboard table for one quartier: a row per column, the quartier and the total.

    ``sort`` orders rows by decreasing value; ``skip_zero`` drops zero rows (category
    tables); ``share_of`` adds the share of each row in the quartier's sum.
    """
    frame = db.tables.get(table)
    if frame is None or code not in frame.index:
        return None
    cols = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    values = [to_float(frame.loc[code, c]) for c in cols]
    if sort:
        order = np.nan_to_num(np.asarray(values, dtype="float64"), nan=-1.0)
        cols = [c for _, c in sorted(zip(-order, cols, strict=True), key=lambda t: t[0])]
    if skip_zero and not (secrecy.active and table in KEEP_ZERO_ROWS):
        mask = db.secret_mask(table)  # a secret cell is not a zero: its row stays
        cols = [
            c
            for c in cols
            if (mask is not None and c in mask.columns and bool(mask.at[code, c]))
            or (not is_missing(frame.loc[code, c]) and frame.loc[code, c] != 0)
        ]
    total_known = "total" in frame.index and not secrecy.active
    headers: list[tuple[str, bool]] = [("Indicateur", False), ("Quartier", True)]
    if share_of is not None:
        headers.append(("Part", True))
    if total_known:
        headers.append(("Territoire", True))
    quartier_sum = float(np.nansum([to_float(frame.loc[code, c]) for c in cols]))
    rows = []
    for column in cols:
        cells = [text_cell(column_label(column)), indicator_cell(db, table, column, code, secrecy)]
        if share_of is not None:
            value = to_float(frame.loc[code, column])
            share = value / quartier_sum * 100 if quartier_sum and not np.isnan(value) else np.nan
            hidden = cells[1].text == SECRET
            cells.append(Cell(SECRET, "", True) if hidden else number_cell(share, "%"))
        if total_known:
            cells.append(number_cell(frame.loc["total", column], column_unit(table, column)))
        rows.append(tuple(cells))
    title = caption or (TABLE_INFO[table].title if table in TABLE_INFO else table)
    return Table(
        caption=title,
        headers=tuple(headers),
        rows=tuple(rows),
        attrs={"data-table": table},
        note=coverage_note(db, table),
        empty="Aucune valeur non nulle pour ce quartier.",
    )


def _gravite(value: Any) -> str:
    if is_missing(value):
        return "non renseignée"
    try:
        return GRAVITE_LABELS.get(int(value), str(value))
    except (TypeError, ValueError):
        return str(value)


def constats_table(constats: pd.DataFrame, *, max_rows: int) -> tuple[Table, int]:
    """Open constats, most serious first, with their recommendation."""
    frame = constats.copy()
    if frame.empty:
        frame = pd.DataFrame(columns=["date", "gravite"])
    gravite = (
        frame["gravite"] if "gravite" in frame.columns else pd.Series(np.nan, index=frame.index)
    )
    frame["_g"] = pd.to_numeric(gravite, errors="coerce").fillna(0)
    frame = frame.sort_values(["_g", "date"], ascending=[False, True], kind="stable")
    rows = []
    for record in frame.head(max_rows).to_dict("records"):
        rows.append(
            (
                date_cell(record.get("date")),
                text_cell(record.get("demarche")),
                text_cell(record.get("theme")),
                Cell(
                    _gravite(record.get("gravite")),
                    raw_value(record.get("gravite")),
                    True,
                    css=f"gg-gravite-{raw_value(record.get('gravite')) or 'nr'}",
                ),
                text_cell(record.get("recommandation")),
                text_cell(record.get("statut")),
            )
        )
    headers = (
        ("Date", False),
        ("Démarche", False),
        ("Thème", False),
        ("Gravité", True),
        ("Recommandation", False),
        ("Suite donnée", False),
    )
    table = Table(
        "Constats ouverts et recommandations",
        headers,
        tuple(rows),
        empty="Aucun constat ouvert pour ce quartier.",
        attrs={"data-list": "constats-ouverts"},
    )
    return table, max(0, len(frame) - max_rows)


def actions_table(actions: pd.DataFrame, *, max_rows: int) -> tuple[Table, int]:
    """GUP actions of the period, by theme then date."""
    frame = (
        actions.sort_values(
            [c for c in ("theme", "date", "id") if c in actions.columns], kind="stable"
        )
        if not actions.empty
        else actions
    )
    rows = []
    for record in frame.head(max_rows).to_dict("records"):
        rows.append(
            (
                text_cell(record.get("theme")),
                date_cell(record.get("date")),
                text_cell(record.get("intitule")),
                text_cell(record.get("porteur")),
                text_cell(record.get("statut")),
                number_cell(record.get("cout_eur"), "€"),
            )
        )
    headers = (
        ("Thème", False),
        ("Date", False),
        ("Action", False),
        ("Porteur", False),
        ("Statut", False),
        ("Coût", True),
    )
    table = Table(
        "Actions GUP de la période, par thème",
        headers,
        tuple(rows),
        empty="Aucune action GUP enregistrée pour ce quartier sur la période.",
        attrs={"data-list": "actions-liste"},
    )
    return table, max(0, len(frame) - max_rows)


def tfpb_table(tfpb: pd.DataFrame, *, max_rows: int) -> tuple[Table, int]:
    """TFPB counterpart actions of the period's years, by national axis."""
    frame = tfpb.copy()
    if not frame.empty:
        order = {axe: i for i, axe in enumerate(AXES_TFPB)}
        frame["_axe"] = frame["axe"].astype("object").map(lambda a: order.get(a, len(order)))
        frame = frame.sort_values(["_axe", "axe", "bailleur", "annee"], kind="stable")
    rows = []
    for record in frame.head(max_rows).to_dict("records"):
        rows.append(
            (
                text_cell(record.get("axe")),
                text_cell(record.get("bailleur")),
                text_cell(record.get("annee")),
                text_cell(record.get("action")),
                number_cell(record.get("montant_eur"), "€"),
            )
        )
    headers = (
        ("Axe national", False),
        ("Bailleur", False),
        ("Année", False),
        ("Action", False),
        ("Montant valorisé", True),
    )
    table = Table(
        "Actions TFPB par axe",
        headers,
        tuple(rows),
        empty="Aucune action TFPB déclarée pour ce quartier sur la période.",
        attrs={"data-list": "tfpb-liste"},
    )
    return table, max(0, len(frame) - max_rows)


def operation_state(record: dict[Any, Any], end: pd.Timestamp) -> str:
    start, delivered = record.get("date_debut"), record.get("date_livraison")
    if delivered is not None and not is_missing(delivered) and pd.Timestamp(delivered) < end:
        return "livrée"
    if start is not None and not is_missing(start) and pd.Timestamp(start) < end:
        return "en travaux"
    return "à venir"


def operations_table(operations: pd.DataFrame, end: pd.Timestamp) -> Table:
    frame = (
        operations.sort_values(
            [c for c in ("date_debut", "id") if c in operations.columns], kind="stable"
        )
        if not operations.empty
        else operations
    )
    rows = []
    for record in frame.to_dict("records"):
        rows.append(
            (
                text_cell(record.get("nom")),
                text_cell(record.get("id")),
                date_cell(record.get("date_debut")),
                date_cell(record.get("date_livraison")),
                text_cell(operation_state(record, end)),
                number_cell(record.get("montant_eur"), "€"),
            )
        )
    headers = (
        ("Opération", False),
        ("Identifiant", False),
        ("Début", False),
        ("Livraison", False),
        ("État en fin de période", False),
        ("Montant", True),
    )
    return Table(
        "Opérations d'aménagement",
        headers,
        tuple(rows),
        empty="Aucune opération d'aménagement sur ce quartier.",
        attrs={"data-list": "operations"},
    )
