"""Diagnostics en marchant and the follow-up of their constats, as of a day.

A constat is *followed up* when it belongs to a diagnostic (``diagnostic_id``) or was
given to a partner (``responsable``). As of a day ``D`` (a command's ``--date``, or the
end of a dashboard period), among the constats dated on or before ``D``:

- **traité**: a ``date_traitement`` on or before ``D``; or no ``date_traitement`` and a
  closed ``statut`` (traité, levé, résolu…: :func:`gupgeo.indicators.constats.is_resolved`);
- **inconnu**: neither a ``date_traitement`` nor a ``statut`` — never counted open nor
  treated, shown « inconnu »;
- **ouvert**: the others (a ``date_traitement`` after ``D`` means still open on ``D``);
- **en retard**: open with an ``echeance`` before ``D``; open without échéance is
  « sans échéance », never overdue;
- **traité dans les délais**: treated with ``date_traitement`` ≤ ``echeance`` (both known);
- **délai de traitement**: days from ``date`` to ``date_traitement``; the median over the
  treated constats that have both dates, « n.c. » when none has.

These figures are the same in ``suivi.csv``, the dashboard, the relevé de conclusions and
the atlas (one function, :func:`followup_status`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gupgeo.indicators.common import (
    Zones,
    attach_notes,
    single,
    stacked,
    zone_of_layer,
    zones_from,
)
from gupgeo.indicators.constats import is_resolved
from gupgeo.periods import Period, parse_period

TRAITE, OUVERT, INCONNU = "traité", "ouvert", "inconnu"
SANS_RESPONSABLE = "non attribué"
PARTICIPANT_COLUMNS: tuple[str, ...] = (
    "habitants",
    "agents_proximite",
    "bailleurs",
    "ville",
    "autres",
)
FOLLOWUP_COLUMNS: tuple[str, ...] = (
    "ouverts",
    "en_retard",
    "traites",
    "traites_dans_les_delais",
    "delai_median_jours",
)
"""The columns of ``suivi.csv`` after ``responsable`` and ``code_qp``."""
SUMMARY_COLUMNS: tuple[str, ...] = (
    "nb_diagnostics",
    "nb_diagnostics_avec_agents",
    "nb_participants",
    "nb_participants_habitants",
    "nb_constats_suivis",
    "nb_constats_traites",
    "nb_traites_dans_les_delais",
    "part_traites_dans_les_delais_pct",
    "delai_median_traitement_jours",
    "nb_constats_en_retard",
)


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[column], errors="coerce")


def followed_up(constats: pd.DataFrame) -> pd.Series:
    """Whether each constat is followed up (has a diagnostic or a responsable)."""
    mask = pd.Series(False, index=constats.index)
    for col in ("diagnostic_id", "responsable"):
        if col in constats.columns:
            values = constats[col]
            mask |= values.notna() & (values.astype(str).str.strip() != "")
    return mask


def followup_status(constats: pd.DataFrame, *, as_of: object) -> pd.DataFrame:
    """The follow-up of each followed-up constat dated on or before ``as_of``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``constats`` (the rows kept); columns ``etat`` (traité, ouvert,
        inconnu), ``en_retard``, ``sans_echeance``, ``dans_les_delais`` (booleans) and
        ``delai_jours`` (NaN when unknown), ``responsable`` (« non attribué » when empty).

    Examples
    --------
    >>> c = pd.DataFrame({
    ...     "id": ["a", "b", "c", "d"], "diagnostic_id": ["D1"] * 4,
    ...     "date": pd.to_datetime(["2024-01-10"] * 4),
    ...     "statut": ["traité", "ouvert", None, "en cours"],
    ...     "echeance": pd.to_datetime(["2024-02-01", "2024-02-01", None, None]),
    ...     "date_traitement": pd.to_datetime(["2024-01-20", None, None, None]),
    ... })
    >>> s = followup_status(c, as_of="2024-03-01")
    >>> s["etat"].tolist(), s["en_retard"].tolist(), s["sans_echeance"].tolist()
    (['traité', 'ouvert', 'inconnu', 'ouvert'], [False, True, False, False],
     [False, False, False, True])
    >>> s["dans_les_delais"].tolist(), s["delai_jours"].tolist()[:1]
    ([True, False, False, False], [10.0])
    """
    day = pd.Timestamp(str(as_of)).normalize()
    next_day = day + pd.Timedelta(days=1)
    date = _dates(constats, "date")
    keep = followed_up(constats) & (date.isna() | (date < next_day))
    c = constats.loc[keep]
    date = date.loc[keep]
    done_on = _dates(c, "date_traitement")
    due = _dates(c, "echeance")
    statut = c["statut"] if "statut" in c.columns else pd.Series(None, index=c.index)
    no_status = statut.isna() | (statut.astype(str).str.strip() == "")
    closed = statut.map(is_resolved).astype(bool)
    treated = (done_on.notna() & (done_on < next_day)) | (done_on.isna() & closed)
    unknown = ~treated & done_on.isna() & no_status
    etat = np.where(treated, TRAITE, np.where(unknown, INCONNU, OUVERT))
    is_open = etat == OUVERT
    responsable = (
        c["responsable"].astype(object)
        if "responsable" in c.columns
        else pd.Series(None, index=c.index)
    )
    responsable = responsable.where(
        responsable.notna() & (responsable.astype(str).str.strip() != ""), SANS_RESPONSABLE
    )
    delay = (done_on - date).dt.days.astype("float64").where(treated & done_on.notna())
    return pd.DataFrame(
        {
            "etat": etat,
            "en_retard": is_open & due.notna().to_numpy() & (due < day).to_numpy(),
            "sans_echeance": is_open & due.isna().to_numpy(),
            "dans_les_delais": (
                treated & done_on.notna() & due.notna() & (done_on <= due)
            ).to_numpy(),
            "delai_jours": delay.to_numpy(),
            "responsable": responsable.astype(str).to_numpy(),
        },
        index=c.index,
    )


def followup_counts(status: pd.DataFrame) -> dict[str, float]:
    """The figures of a group of constats (one row of ``suivi.csv``)."""
    delays = status["delai_jours"].dropna()
    return {
        "ouverts": int((status["etat"] == OUVERT).sum()),
        "en_retard": int(status["en_retard"].sum()),
        "traites": int((status["etat"] == TRAITE).sum()),
        "traites_dans_les_delais": int(status["dans_les_delais"].sum()),
        "delai_median_jours": float(delays.median()) if len(delays) else np.nan,
        "statut_inconnu": int((status["etat"] == INCONNU).sum()),
        "sans_echeance": int(status["sans_echeance"].sum()),
    }


def participants(diagnostics: pd.DataFrame) -> pd.Series:
    """Participants of each diagnostic (sum of the kinds present; NaN when none is known)."""
    cols = [c for c in PARTICIPANT_COLUMNS if c in diagnostics.columns]
    if not cols:
        return pd.Series(np.nan, index=diagnostics.index)
    values = diagnostics[cols].apply(pd.to_numeric, errors="coerce")
    return values.sum(axis=1, min_count=1)


def with_agents(diagnostics: pd.DataFrame) -> pd.Series:
    """Whether agents de proximité took part (NaN when the column is absent or empty)."""
    if "agents_proximite" not in diagnostics.columns:
        return pd.Series(np.nan, index=diagnostics.index)
    agents = pd.to_numeric(diagnostics["agents_proximite"], errors="coerce")
    return (agents > 0).astype("float64").where(agents.notna())


def diagnostic_tables(
    diagnostics: pd.DataFrame,
    constats: pd.DataFrame | None,
    zones: Zones,
    periods: Sequence[Period],
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The ``diagnostics`` table for sorted, disjoint periods (stacked), and notes.

    Walks belong to the period of their ``date`` and to their ``code_qp``; the
    follow-up counts the constats dated in the period, as of the period's last day.
    """
    notes: list[str] = []
    zone, zone_notes = zone_of_layer(diagnostics, zones, layer="diagnostics")
    notes += zone_notes
    dates = _dates(diagnostics, "date")
    n_rows = zones.n + 1
    k = len(periods)
    data = {c: np.full((k, n_rows + 1), np.nan) for c in SUMMARY_COLUMNS}
    people = participants(diagnostics).to_numpy()
    agents = with_agents(diagnostics).to_numpy()
    habitants = (
        pd.to_numeric(diagnostics["habitants"], errors="coerce").to_numpy()
        if "habitants" in diagnostics.columns
        else np.full(len(diagnostics), np.nan)
    )
    if constats is not None and len(constats):
        c_zone, c_notes = zone_of_layer(constats, zones, layer="constats")
        notes += c_notes
        c_dates = _dates(constats, "date")
    for i, p in enumerate(periods):
        inside = ((dates >= p.start) & (dates < p.end)).to_numpy()
        data["nb_diagnostics"][i] = _with_total(np.bincount(zone[inside], minlength=n_rows))
        for name, values in (
            ("nb_diagnostics_avec_agents", agents),
            ("nb_participants", people),
            ("nb_participants_habitants", habitants),
        ):
            data[name][i] = _sum_known(values, inside, zone, n_rows)
        if constats is None or not len(constats):
            continue
        last_day = p.end - pd.Timedelta(days=1)
        in_period = ((c_dates >= p.start) & (c_dates < p.end)).to_numpy()
        status = followup_status(constats.loc[in_period], as_of=last_day)
        where = pd.Series(c_zone, index=constats.index).loc[status.index].to_numpy()
        _followup_row(data, i, status, where, n_rows)
    notes.append(
        "diagnostics : un constat suivi (rattaché à un diagnostic ou à un responsable) est "
        "traité s'il a une date de traitement au plus tard le dernier jour de la période "
        "(ou, sans date, un statut clos) ; en retard s'il est ouvert après son échéance ; "
        "sans statut ni date de traitement, il est « inconnu » (ni ouvert ni traité)."
    )
    return {"diagnostics": stacked(zones, periods, data)}, notes


def _with_total(per_zone: np.ndarray) -> np.ndarray:
    """One period's per-zone values followed by their total."""
    values = np.asarray(per_zone, dtype="float64")
    return np.append(values, values.sum())


def _sum_known(values: np.ndarray, inside: np.ndarray, zone: np.ndarray, n_rows: int) -> np.ndarray:
    """Per-zone sums of known values, NaN for a zone whose walks all lack the value."""
    known = inside & ~np.isnan(values)
    sums = np.bincount(zone[known], weights=values[known], minlength=n_rows)
    counts = np.bincount(zone[inside], minlength=n_rows)
    n_known = np.bincount(zone[known], minlength=n_rows)
    out = _with_total(sums)
    missing = _with_total(counts - n_known) > 0
    return np.where(missing, np.nan, out)


def _followup_row(
    data: dict[str, np.ndarray], i: int, status: pd.DataFrame, where: np.ndarray, n_rows: int
) -> None:
    treated = (status["etat"] == TRAITE).to_numpy()
    data["nb_constats_suivis"][i] = _with_total(np.bincount(where, minlength=n_rows))
    data["nb_constats_traites"][i] = _with_total(np.bincount(where[treated], minlength=n_rows))
    in_time = status["dans_les_delais"].to_numpy()
    data["nb_traites_dans_les_delais"][i] = _with_total(
        np.bincount(where[in_time], minlength=n_rows)
    )
    late = status["en_retard"].to_numpy()
    data["nb_constats_en_retard"][i] = _with_total(np.bincount(where[late], minlength=n_rows))
    traites = data["nb_constats_traites"][i]
    with np.errstate(invalid="ignore", divide="ignore"):
        data["part_traites_dans_les_delais_pct"][i] = np.where(
            traites > 0, 100.0 * data["nb_traites_dans_les_delais"][i] / traites, np.nan
        )
    delays = status["delai_jours"].to_numpy()
    medians = np.full(n_rows + 1, np.nan)
    for z in range(n_rows):
        d = delays[(where == z) & ~np.isnan(delays)]
        medians[z] = np.median(d) if len(d) else np.nan
    d = delays[~np.isnan(delays)]
    medians[n_rows] = np.median(d) if len(d) else np.nan
    data["delai_median_traitement_jours"][i] = medians


def diagnostic_summary(
    diagnostics: pd.DataFrame,
    quartiers: pd.DataFrame,
    *,
    period: object,
    constats: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Diagnostics en marchant per quartier, with the follow-up of their constats.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code_qp`` (quartiers, hors QPV, total); columns
        :data:`SUMMARY_COLUMNS`.
    """
    tables, notes = diagnostic_tables(
        diagnostics, constats, zones_from(quartiers), (parse_period(period),)
    )
    return attach_notes(single(tables["diagnostics"]), notes)


__all__ = [
    "FOLLOWUP_COLUMNS",
    "SANS_RESPONSABLE",
    "diagnostic_summary",
    "diagnostic_tables",
    "followed_up",
    "followup_counts",
    "followup_status",
    "participants",
    "with_agents",
]
