"""Which figures of a quartier's atlas page read "secret" in ``public``.

A page prints one quartier's row of every dashboard table, several of them twice (key
figures, index). Its additive lines (:class:`gupgeo.secrecy.Line`):

- stock at the end of the period = its three age buckets;
- signalements = previous period + change in number (same for dégradations);
- signalements = the sum of the category table = the sum of the status table
  (``inconnu`` included) = the figure repeated in the agents' table;
- dégradations = the sum of their types (the first matching rule wins: a partition);
- constats = the sum of the gravités = the sum of the thèmes; actions = the sum of
  their thèmes; guarantee calls = the sum per object.

Counts (unit ``nombre``, the change in number excepted: it is a difference, not a
count) below the threshold are secret; :func:`gupgeo.secrecy.complementary_suppression`
adds what would give them back; then every rate, share, delay or change is hidden
with the counts it is computed from (:data:`RATE_INPUTS`). The index prints the same
cells, so it hides the same ones.
"""

from __future__ import annotations

import math

from gupgeo.dashboard.model import Dashboard
from gupgeo.indicators.catalog import COLUMN_LABELS, TABLE_INFO, column_unit
from gupgeo.indicators.signalements import AGE_COLUMNS
from gupgeo.rendering.html import to_float
from gupgeo.secrecy import Line, complementary_suppression

PageCell = tuple[str, str]
"""A page cell: (dashboard table, column), for the page's quartier."""

KEEP_ZERO_ROWS = frozenset(
    {
        "signalements_par_categorie",
        "signalements_par_statut",
        "actions_par_theme",
        "constats_par_theme",
    }
)
"""Tables whose zero rows stay on a ``public`` page, reading "secret": their rows are
the territory's categories, so a row left out would say 0 (a count below the
threshold) and an empty table would give its total."""
SKIPS_ZERO_ROWS = frozenset({"garanties_par_objet", "tfpb_montant_par_bailleur"})
"""Tables whose zero rows are left out of every page: their rows are objects or
bailleurs of other quartiers too (a zero there is structural)."""
DIFFERENCES = frozenset({"evolution_nb"})
"""``nombre`` columns that are differences of counts, not counts: secret only when
they would give a secret count back."""
RATE_UNITS = ("%", "jours", "pour 1 000 habitants", "par hectare")
MAIN_COUNT = {"degradations": "nb_degradations"}
"""The count of a table when :data:`gupgeo.indicators.catalog.TABLE_INFO` names none."""
RATE_INPUTS: dict[PageCell, tuple[str, ...]] = {
    ("signalements", "part_clos_pct"): ("nb_clos",),
    ("signalements", "evolution_pct"): ("nb_periode_precedente", "evolution_nb"),
    ("degradations", "evolution_pct"): ("nb_periode_precedente", "evolution_nb"),
    ("signalements_proximite", "part_agents_gardiens_pct"): ("nb_agents_gardiens",),
    ("constats", "part_resolus_pct"): ("nb_resolus",),
}
"""Counts a rate is computed from, besides its table's main count."""


def _columns(db: Dashboard, table: str) -> list[str]:
    frame = db.tables.get(table)
    return [] if frame is None else [str(c) for c in frame.columns]


def declared_lines(db: Dashboard) -> list[Line]:
    """The additive lines of a page, over every cell the dashboard has."""
    sig, deg = "signalements", "degradations"
    n = (sig, "nb_signalements")
    lines = [
        Line((sig, "stock_fin_periode"), tuple((sig, c) for c in AGE_COLUMNS)),
        Line(n, ((sig, "nb_periode_precedente"), (sig, "evolution_nb"))),
        Line((deg, "nb_degradations"), ((deg, "nb_periode_precedente"), (deg, "evolution_nb"))),
        Line(n, (("signalements_proximite", "nb_signalements"),)),
        Line(
            (deg, "nb_degradations"),
            tuple((deg, c) for c in _columns(db, deg) if c not in COLUMN_LABELS),
        ),
        Line(
            ("constats", "nb_constats"),
            tuple(("constats", f"nb_gravite_{g}") for g in ("1", "2", "3", "inconnue")),
        ),
    ]
    for total, table in (
        (n, "signalements_par_categorie"),
        (n, "signalements_par_statut"),
        (("constats", "nb_constats"), "constats_par_theme"),
        (("actions", "nb_actions"), "actions_par_theme"),
        (("garanties", "nb_recours"), "garanties_par_objet"),
    ):
        lines.append(Line(total, tuple((table, c) for c in _columns(db, table))))
    return lines


def page_values(db: Dashboard, code: str) -> dict[PageCell, float]:
    """The quartier's value of every cell the page can show (NaN: not calculable).

    Zero cells of the tables that list non-zero rows only (outside
    :data:`KEEP_ZERO_ROWS`) are left out: they are not on the page.
    """
    values: dict[PageCell, float] = {}
    for table, frame in db.tables.items():
        if code not in frame.index:
            continue
        for column in frame.columns:
            value = to_float(frame.loc[code, column])
            if value == 0 and table in SKIPS_ZERO_ROWS:
                continue
            values[(table, str(column))] = value
    return values


def is_count(table: str, column: str) -> bool:
    return column_unit(table, column) == "nombre" and column not in DIFFERENCES


def hidden_cells(db: Dashboard, code: str, *, threshold: int) -> frozenset[PageCell]:
    """The cells of quartier ``code`` that read "secret" on a ``public`` page."""
    values = page_values(db, code)
    lines = []
    for line in declared_lines(db):
        parts = tuple(c for c in line.parts if c in values)
        if line.total in values and parts:
            lines.append(Line(line.total, parts))
    primary = [c for c, v in values.items() if is_count(*c) and not math.isnan(v) and v < threshold]
    hidden = set(complementary_suppression(values, primary, lines))
    for table, column in values:
        if column_unit(table, column) not in RATE_UNITS:
            continue
        main = MAIN_COUNT.get(table) or (TABLE_INFO[table].count if table in TABLE_INFO else None)
        if main is None:
            continue
        inputs = [(table, c) for c in (main, *RATE_INPUTS.get((table, column), ()))]
        if math.isnan(values.get((table, main), math.nan)) or any(i in hidden for i in inputs):
            hidden.add((table, column))
    return frozenset(hidden)
