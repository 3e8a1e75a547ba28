"""Proximity agents: stoppages, meetings, guarantee uses, and the signalements they raise.

Effect indicators of the GUP programme:

- ``arrets_agents``: stoppages starting in the period (``nb_arrets``) and days of
  stoppage falling inside the period (``jours_arret``, end date inclusive; an
  open-ended stoppage runs to the end of the period);
- ``reunions``: meetings in the period, those with at least one proximity agent,
  and the number of agents present (sum of ``agents_proximite``);
- ``garanties``: uses of the guarantee on investments in the period; the quartier
  is that of the operation or equipment named by ``objet_id`` (hors QPV if unknown);
- ``signalements_proximite``: signalements whose ``source`` names a gardien or a
  proximity agent, and their share of all signalements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gupgeo.errors import SchemaError
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
    words,
    zone_of_layer,
    zones_from,
)
from gupgeo.indicators.signalements import Cut, PreparedSignalements, counts, cut
from gupgeo.indicators.signalements import prepare_signalements as _prepare
from gupgeo.periods import Period, parse_period


@dataclass(frozen=True)
class ProximitySources:
    """Keywords of the ``source`` values that mean a gardien or a proximity agent.

    Examples
    --------
    >>> ProximitySources().matches("Gardien d'immeuble"), ProximitySources().matches("Habitant")
    (True, False)
    """

    keywords: tuple[str, ...] = (
        "gardien",
        "gardienne",
        "gardiens",
        "agent de proximite",
        "agents de proximite",
        "agent proximite",
        "personnel de proximite",
    )

    def __post_init__(self) -> None:
        if not self.keywords or not all(isinstance(k, str) and k.strip() for k in self.keywords):
            raise SchemaError(
                f"sources de proximité : attendu des mots-clés non vides ; reçu {self.keywords!r}"
            )

    def matches(self, source: object) -> bool:
        if source is None or (isinstance(source, float) and np.isnan(source)):
            return False
        text = f"_{words(str(source))}_"
        return any(f"_{words(k)}_" in text for k in self.keywords)


def stoppage_tables(
    arrets: pd.DataFrame, zones: Zones, periods: Sequence[Period]
) -> tuple[pd.DataFrame, list[str]]:
    """The ``arrets_agents`` table (``nb_arrets``, ``jours_arret``) for sorted periods."""
    require(arrets, ("date_debut",), layer="arrets_agents")
    zone, notes = zone_of_layer(arrets, zones, layer="arrets_agents")
    start = days_of(dates_ns(arrets, "date_debut", layer="arrets_agents"))
    end = days_of(dates_ns(arrets, "date_fin", layer="arrets_agents"))
    notes += undated_note("arrets_agents", start)
    open_ended = (end == NO_DAY) & (start != NO_DAY)
    if open_ended.any():
        notes.append(
            f"arrets_agents : {int(open_ended.sum())} arrêt(s) sans date de fin, comptés "
            "jusqu'à la fin de la période."
        )
    k, z = len(periods), zones.n + 1
    nb = with_total(bincount_by(assign(start, periods), zone, k, z)[:, :, 0])
    starts, ends = period_days(periods)
    days = np.zeros((k, z))
    for i in range(k):
        stop = np.where(open_ended, ends[i], end + 1)  # date_fin is included
        overlap = np.minimum(stop, ends[i]) - np.maximum(start, starts[i])
        overlap = np.where((start != NO_DAY) & (overlap > 0), overlap, 0)
        days[i] = np.bincount(zone, weights=overlap.astype(float), minlength=z)
    data = {"nb_arrets": nb, "jours_arret": with_total(days)}
    return stacked(zones, periods, data), notes


def meeting_tables(
    reunions: pd.DataFrame, zones: Zones, periods: Sequence[Period]
) -> tuple[pd.DataFrame, list[str]]:
    """The ``reunions`` table for sorted, disjoint periods (stacked)."""
    require(reunions, ("date", "agents_proximite"), layer="reunions")
    zone, notes = zone_of_layer(reunions, zones, layer="reunions")
    days = days_of(dates_ns(reunions, "date", layer="reunions"))
    notes += undated_note("reunions", days)
    agents = np.asarray(pd.to_numeric(reunions["agents_proximite"], errors="coerce"), "float64")
    if np.isnan(agents).any():
        notes.append(
            f"reunions : {int(np.isnan(agents).sum())} réunion(s) sans nombre d'agents de "
            "proximité, comptées sans agent."
        )
    agents = np.nan_to_num(agents)
    index = assign(days, periods)
    k, z = len(periods), zones.n + 1

    def per(weights: np.ndarray | None = None) -> np.ndarray:
        counted = bincount_by(index, zone, k, z, weights=weights)[:, :, 0]
        return np.rint(with_total(counted)).astype(np.int64)

    data = {
        "nb_reunions": per(),
        "nb_reunions_avec_agents": per((agents > 0) * 1.0),
        "nb_presences_agents": per(agents),
    }
    return stacked(zones, periods, data), notes


def guarantee_tables(
    garanties: pd.DataFrame,
    zones: Zones,
    periods: Sequence[Period],
    objets: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """``garanties`` (``nb_recours``, ``nb_objets``) and ``garanties_par_objet`` (stacked).

    ``objets`` maps layer names (``operations``, ``equipements``) to frames with
    ``id``, ``nom`` and ``code_qp``; it gives each guarantee use its quartier unless
    the ``garanties`` table already has a ``code_qp``.
    """
    require(garanties, ("objet_id", "date"), layer="garanties")
    notes: list[str] = []
    where, names = _objects(objets or {})
    ids = garanties["objet_id"].astype("object").map(lambda v: None if pd.isna(v) else str(v))
    frame = garanties
    if "code_qp" not in garanties.columns or garanties["code_qp"].isna().all():
        frame = garanties.assign(code_qp=ids.map(where))
        missing = int(frame["code_qp"].isna().sum())
        if missing:
            notes.append(
                f"garanties : {missing} recours (toutes dates) dont l'objet n'a pas de quartier "
                "connu (opération ou équipement absent ou hors QPV) : comptés « hors QPV »."
            )
    zone, unknown = zone_of_layer(frame, zones, layer="garanties")
    notes += unknown
    days = days_of(dates_ns(frame, "date", layer="garanties"))
    notes += undated_note("garanties", days)
    labelled = ids.map(lambda v: v if v is None or v not in names else f"{names[v]} ({v})")
    obj_codes, obj_labels = labels_of(labelled)
    index = assign(days, periods)
    k = len(periods)
    per_object = label_counts(zones, index, zone, k, obj_codes, len(obj_labels))
    nb = per_object.sum(axis=2)
    n_objects = (per_object > 0).sum(axis=2)
    # The total counts distinct objects, which is the sum unless an object spans zones.
    n_objects[:, -1] = (per_object[:, -1, :] > 0).sum(axis=1)
    data = {"nb_recours": nb, "nb_objets": n_objects}
    return {
        "garanties": stacked(zones, periods, data),
        "garanties_par_objet": label_frame(zones, periods, per_object, obj_labels, integer=True),
    }, notes


def _objects(objets: Mapping[str, pd.DataFrame]) -> tuple[dict[str, object], dict[str, str]]:
    where: dict[str, object] = {}
    names: dict[str, str] = {}
    for frame in objets.values():
        if frame is None or "id" not in frame.columns:
            continue
        ids = frame["id"].astype("object").map(str)
        if "code_qp" in frame.columns:
            known = frame["code_qp"].notna().to_numpy()
            codes = frame["code_qp"].astype("object")[known].map(str)
            where.update(dict(zip(ids[known], codes, strict=True)))
        if "nom" in frame.columns:
            names.update(dict(zip(ids, frame["nom"].astype("object").map(str), strict=True)))
    return where, names


def proximity_note(n_values: int, sources: ProximitySources) -> str:
    """How the share of agents and gardiens was counted, in French: the number of
    ``source`` values counted and the keywords, never the values themselves (a source
    typed by hand may hold a name or a phone number).

    Examples
    --------
    >>> proximity_note(2, ProximitySources(("gardien", "agent de proximite")))
    'signalements : 2 valeurs de « source » comptées « agents et gardiens » (mots-clés :
    gardien, agent de proximite).'
    """
    values = {0: "aucune valeur", 1: "1 valeur"}.get(n_values, f"{n_values} valeurs")
    counted = "comptées" if n_values > 1 else "comptée"
    return (
        f"signalements : {values} de « source » {counted} « agents et gardiens » "
        f"(mots-clés : {', '.join(sources.keywords)})."
    )


def proximity_table(
    prep: PreparedSignalements, c: Cut, sources: ProximitySources
) -> tuple[pd.DataFrame, list[str]]:
    """The ``signalements_proximite`` table for every period of the cut (stacked)."""
    nb = with_total(counts(prep, c)[:, :, 0])
    if "source" not in prep.frame.columns or prep.frame["source"].isna().all():
        nan = np.full(nb.shape, np.nan)
        data = {"nb_signalements": nb, "nb_agents_gardiens": nan, "part_agents_gardiens_pct": nan}
        note = "signalements : pas de colonne « source » ; part des agents et gardiens inconnue."
        return stacked(prep.zones, c.periods, data), [note]
    codes, labels = prep.labels("source", empty="")
    flags = np.array([sources.matches(x) for x in labels], dtype=np.int64)
    by_agents = with_total(counts(prep, c, flags[codes], 2)[:, :, 1])
    data = {
        "nb_signalements": nb,
        "nb_agents_gardiens": by_agents,
        "part_agents_gardiens_pct": ratio(by_agents, nb, scale=100.0),
    }
    note = proximity_note(int(flags.sum()), sources)
    return stacked(prep.zones, c.periods, data), [note]


def agent_stoppages(
    arrets_agents: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Stoppages of proximity agents per quartier: ``nb_arrets``, ``jours_arret``."""
    frame, notes = stoppage_tables(arrets_agents, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(frame), notes)


def agent_meetings(
    reunions: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Meetings per quartier: ``nb_reunions``, ``nb_reunions_avec_agents``,
    ``nb_presences_agents``."""
    frame, notes = meeting_tables(reunions, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(frame), notes)


def guarantee_uses(
    garanties: pd.DataFrame,
    quartiers: pd.DataFrame,
    *,
    period: object,
    objets: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Uses of the guarantee on investments per quartier: ``nb_recours``, ``nb_objets``."""
    tables, notes = guarantee_tables(
        garanties, zones_from(quartiers), (parse_period(period),), objets
    )
    return attach_notes(single(tables["garanties"]), notes)


def guarantees_by_object(
    garanties: pd.DataFrame,
    quartiers: pd.DataFrame,
    *,
    period: object,
    objets: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Uses of the guarantee per quartier and object (one column per operation/equipment)."""
    tables, notes = guarantee_tables(
        garanties, zones_from(quartiers), (parse_period(period),), objets
    )
    return attach_notes(single(tables["garanties_par_objet"]), notes)


def signalements_by_proximity_agents(
    signalements: pd.DataFrame,
    quartiers: pd.DataFrame,
    *,
    period: object,
    sources: ProximitySources | None = None,
) -> pd.DataFrame:
    """Signalements raised by gardiens and proximity agents, and their share (%)."""
    prep = _prepare(signalements, quartiers)
    frame, notes = proximity_table(
        prep, cut(prep, (parse_period(period),)), sources or ProximitySources()
    )
    return attach_notes(single(frame), [*prep.notes, *notes])
