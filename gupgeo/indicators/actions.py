"""GUP actions carried out per quartier and theme: the programme's realisation indicator.

An action belongs to the period containing its ``date``. It counts as *réalisée*
when its ``statut`` says so (réalisé, terminé, fait, clos…); when the layer has no
``statut`` the number realised is left empty rather than assumed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gupgeo.indicators.common import (
    NON_RENSEIGNE,
    Zones,
    assign,
    attach_notes,
    bincount_by,
    dates_ns,
    days_of,
    label_counts,
    label_frame,
    labels_of,
    require,
    single,
    stacked,
    undated_note,
    with_total,
    zone_of_layer,
    zones_from,
)
from gupgeo.periods import Period, parse_period
from gupgeo.schemas import normalise_name

DONE_STATUSES: frozenset[str] = frozenset(
    {
        "realise",
        "realisee",
        "realisees",
        "realises",
        "termine",
        "terminee",
        "fait",
        "faite",
        "acheve",
        "achevee",
        "clos",
        "close",
        "cloture",
        "cloturee",
        "solde",
        "soldee",
        "resolu",
        "livre",
        "livree",
        "done",
        "completed",
    }
)
SUMMARY_COLUMNS: tuple[str, ...] = ("nb_actions", "nb_actions_realisees", "cout_eur")


def action_tables(
    actions: pd.DataFrame, zones: Zones, periods: Sequence[Period]
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """``actions`` and ``actions_par_theme`` for sorted, disjoint periods (stacked), and notes."""
    require(actions, ("date",), layer="actions")
    zone, notes = zone_of_layer(actions, zones, layer="actions")
    days = days_of(dates_ns(actions, "date", layer="actions"))
    notes += undated_note("actions", days)
    index = assign(days, periods)
    k, z = len(periods), zones.n + 1
    nb = with_total(bincount_by(index, zone, k, z)[:, :, 0])
    nan = np.full(nb.shape, np.nan)
    data: dict[str, np.ndarray] = {"nb_actions": nb, "nb_actions_realisees": nan, "cout_eur": nan}
    if "statut" in actions.columns and actions["statut"].notna().any():
        codes, labels = labels_of(actions["statut"], empty="")
        done = np.array([normalise_name(x) in DONE_STATUSES for x in labels])[codes]
        realised = bincount_by(index, zone, k, z, weights=done * 1.0)[:, :, 0]
        data["nb_actions_realisees"] = np.rint(with_total(realised)).astype(np.int64)
    else:
        notes.append("actions : pas de statut ; le nombre d'actions réalisées n'est pas calculé.")
    if "cout_eur" in actions.columns:
        cost = np.nan_to_num(pd.to_numeric(actions["cout_eur"], errors="coerce").to_numpy(float))
        data["cout_eur"] = with_total(bincount_by(index, zone, k, z, weights=cost)[:, :, 0])
    if "theme" in actions.columns:
        theme_codes, themes = labels_of(actions["theme"])
    else:
        theme_codes, themes = np.zeros(len(actions), dtype=np.int64), [NON_RENSEIGNE]
    per_theme = label_counts(zones, index, zone, k, theme_codes, len(themes))
    return {
        "actions": stacked(zones, periods, data),
        "actions_par_theme": label_frame(zones, periods, per_theme, themes, integer=True),
    }, notes


def action_counts(
    actions: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Number of GUP actions, actions realised and their cost per quartier.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code_qp``; columns ``nb_actions``, ``nb_actions_realisees``,
        ``cout_eur``.
    """
    tables, notes = action_tables(actions, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(tables["actions"]), notes)


def actions_by_theme(
    actions: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Number of GUP actions per quartier and ``theme`` (one column per theme)."""
    tables, notes = action_tables(actions, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(tables["actions_par_theme"]), notes)
