"""Constats (prévention situationnelle, diagnostics en marchant): themes, gravity, follow-up.

A constat belongs to the period containing its ``date``. It is *résolu* when its
``statut`` maps onto a closed status (résolu, levé, traité, réalisé…). Constats
carry no closing date, so the open ones at the end of the period are those dated
before that end whose *current* status is not closed (the notes say so); the
oldest of them gives ``anciennete_max_ouvert_jours``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gupgeo.indicators.common import (
    NO_DAY,
    Zones,
    assign,
    attach_notes,
    bincount_by,
    dates_ns,
    days_of,
    label_counts,
    label_frame,
    labels_of,
    period_days,
    ratio,
    require,
    single,
    stacked,
    undated_note,
    with_total,
    zone_of_layer,
    zones_from,
)
from gupgeo.periods import Period, parse_period
from gupgeo.schemas import STATUTS_CLOS, normalise_name
from gupgeo.validation.statuses import canonical_status

EXTRA_RESOLVED: frozenset[str] = frozenset(
    {"leve", "levee", "fait", "faite", "realisee", "traitee", "corrige", "corrigee", "repare"}
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "nb_constats",
    "nb_gravite_1",
    "nb_gravite_2",
    "nb_gravite_3",
    "nb_gravite_inconnue",
    "nb_resolus",
    "part_resolus_pct",
    "nb_ouverts_fin_periode",
    "anciennete_max_ouvert_jours",
)


def is_resolved(status: object) -> bool:
    """Whether a constat's status means it was dealt with.

    Examples
    --------
    >>> is_resolved("Levé"), is_resolved("Traité"), is_resolved("à étudier")
    (True, True, False)
    """
    if status is None or (isinstance(status, float) and np.isnan(status)):
        return False
    text = str(status).strip()
    if text in STATUTS_CLOS or normalise_name(text) in EXTRA_RESOLVED:
        return True
    return canonical_status(text) in STATUTS_CLOS


def constat_tables(
    constats: pd.DataFrame, zones: Zones, periods: Sequence[Period]
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """``constats`` and ``constats_par_theme`` for sorted, disjoint periods (stacked)."""
    require(constats, ("date",), layer="constats")
    zone, notes = zone_of_layer(constats, zones, layer="constats")
    days = days_of(dates_ns(constats, "date", layer="constats"))
    notes += undated_note("constats", days)
    gravity = (
        np.asarray(pd.to_numeric(constats["gravite"], errors="coerce"), "float64")
        if "gravite" in constats.columns
        else np.full(len(constats), np.nan)
    )
    gravity_code = np.select([gravity == 1, gravity == 2, gravity == 3], [0, 1, 2], 3)
    index = assign(days, periods)
    k, z = len(periods), zones.n + 1
    by_gravity = label_counts(zones, index, zone, k, gravity_code, 4)
    nb = by_gravity.sum(axis=2)
    data: dict[str, np.ndarray] = {"nb_constats": nb}
    for j, name in enumerate(
        ("nb_gravite_1", "nb_gravite_2", "nb_gravite_3", "nb_gravite_inconnue")
    ):
        data[name] = by_gravity[:, :, j]
    if "statut" in constats.columns and constats["statut"].notna().any():
        codes, labels = labels_of(constats["statut"], empty="")
        resolved = np.array([is_resolved(x) for x in labels])[codes]
        res = with_total(bincount_by(index, zone, k, z, weights=resolved * 1.0)[:, :, 0])
        data["nb_resolus"] = np.rint(res).astype(np.int64)
        data["part_resolus_pct"] = ratio(res, nb, scale=100.0)
        _, ends = period_days(periods)
        n_open = np.zeros((k, z))
        oldest = np.full((k, z), np.nan)
        for i, end in enumerate(ends):
            is_open = (days != NO_DAY) & (days < end) & ~resolved
            n_open[i] = np.bincount(zone[is_open], minlength=z)
            np.fmax.at(oldest[i], zone[is_open], (end - days[is_open]).astype(float))
        data["nb_ouverts_fin_periode"] = np.rint(with_total(n_open)).astype(np.int64)
        total_oldest = np.where(np.isfinite(oldest), oldest, -np.inf).max(axis=1)
        total_oldest[np.isinf(total_oldest)] = np.nan
        data["anciennete_max_ouvert_jours"] = np.column_stack([oldest, total_oldest])
        notes.append(
            "constats : pas de date de résolution ; « ouverts en fin de période » et leur "
            "ancienneté reposent sur le statut actuel."
        )
    else:
        nan = np.full(nb.shape, np.nan)
        for name in SUMMARY_COLUMNS[5:]:
            data[name] = nan
        notes.append("constats : pas de statut ; part résolue et constats ouverts non calculés.")
    theme = constats["theme"] if "theme" in constats.columns else pd.Series([None] * len(constats))
    theme_codes, themes = labels_of(theme)
    per_theme = label_counts(zones, index, zone, k, theme_codes, len(themes))
    return {
        "constats": stacked(zones, periods, {c: data[c] for c in SUMMARY_COLUMNS}),
        "constats_par_theme": label_frame(zones, periods, per_theme, themes, integer=True),
    }, notes


def constat_summary(
    constats: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Constats per quartier: count by gravity, share resolved, open ones and the oldest.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code_qp``; columns :data:`SUMMARY_COLUMNS`.
    """
    tables, notes = constat_tables(constats, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(tables["constats"]), notes)


def constats_by_theme(
    constats: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Number of constats per quartier and ``theme`` (one column per theme)."""
    tables, notes = constat_tables(constats, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(tables["constats_par_theme"]), notes)
