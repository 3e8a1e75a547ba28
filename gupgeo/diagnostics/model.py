"""What the diagnostic products share: the published layers and the follow-up figures.

Every product of a diagnostic en marchant (the walk sheet, the relevé de conclusions,
the follow-up) starts from a :class:`~gupgeo.publication.Publication` — ``partenaires``
by default: ESSP findings withheld, personal and free-text columns out — of the
attributed territory, so that they show the same constats as the dashboard and the
atlas. The follow-up figures come from one function,
:func:`gupgeo.indicators.diagnostics.followup_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.indicators.common import HORS_QPV, TOTAL
from gupgeo.indicators.diagnostics import (
    FOLLOWUP_COLUMNS,
    followup_counts,
    followup_status,
)
from gupgeo.publication import Profil, Publication, as_publication
from gupgeo.publication.model import Source

SUIVI_COLUMNS: tuple[str, ...] = (
    "responsable",
    "code_qp",
    *FOLLOWUP_COLUMNS,
    "statut_inconnu",
    "sans_echeance",
)
"""Columns of ``suivi.csv``: the seven asked for, then what no figure may hide (constats
without statut, open ones without échéance)."""


def publish_diagnostics(
    source: Publication | Source, publication: Profil | str | None = None
) -> Publication:
    """The publication the diagnostic products read: ``source`` if it is one, else
    ``source`` published at the door for ``publication`` (default ``partenaires``,
    :func:`gupgeo.publication.as_publication`).

    ``public`` is refused: these products list constats partner by partner, which the
    public profile only shows as counts.
    """
    wanted = Profil.parse(publication) if publication is not None else None
    if wanted is None and not isinstance(source, Publication):
        wanted = Profil.PARTENAIRES
    pub = as_publication(source, wanted)
    if not pub.locates:
        raise ValueError(
            "profil public : le relevé, la fiche et le suivi listent des constats par "
            "partenaire ; attendu « partenaires » (ou « interne » pour l'équipe)"
        )
    return pub


NOTE_LAYERS: tuple[str, ...] = ("constats", "diagnostics", "partenaires")
"""The layers whose publication notes the diagnostic products repeat."""


def own_notes(pub: Publication) -> list[str]:
    """The publication notes about the layers these products show."""
    return [n for n in pub.notes if n.split(" :", 1)[0] in NOTE_LAYERS]


def zone_labels(constats: pd.DataFrame, quartiers: pd.DataFrame | None) -> pd.Series:
    """``code_qp`` of each constat, « hors QPV » when empty or not a known quartier."""
    codes = constats["code_qp"] if "code_qp" in constats.columns else None
    if codes is None:
        return pd.Series(HORS_QPV, index=constats.index)
    known = set(quartiers["code_qp"].astype(str)) if quartiers is not None else None
    text = codes.astype(object).where(codes.notna(), None)
    ok = text.notna() & (text.map(lambda v: known is None or str(v) in known))
    return text.where(ok, HORS_QPV).astype(str)


@dataclass(frozen=True)
class Suivi:
    """The follow-up of the constats as of one day.

    Attributes
    ----------
    as_of
        The day of the follow-up (``--date``).
    table
        One row per (``responsable``, ``code_qp``), then a ``total`` row: the columns
        of :data:`SUIVI_COLUMNS`; ``delai_median_jours`` is NaN (« n.c. ») when no
        treated constat has both dates.
    overdue
        The overdue constats, most overdue first: ``id``, ``diagnostic_id``,
        ``code_qp``, ``responsable``, ``theme``, ``gravite``, ``date``, ``echeance``,
        ``jours_de_retard``, ``statut`` (« inconnu » when empty).
    notes
        What was left out and why (French).
    profil
        The publication profile the figures were computed from.
    """

    as_of: pd.Timestamp
    table: pd.DataFrame
    overdue: pd.DataFrame
    notes: tuple[str, ...]
    profil: str

    def total(self) -> dict[str, float]:
        """The ``total`` row as a dict."""
        row = self.table.iloc[-1]
        return {c: row[c] for c in SUIVI_COLUMNS[2:]}


def build_suivi(
    source: Publication | Source, *, as_of: object, publication: Profil | str | None = None
) -> Suivi:
    """Follow-up per partner and quartier of the constats dated on or before ``as_of``.

    Examples
    --------
    >>> s = build_suivi("data/sample", as_of="2024-12-31")
    >>> list(s.table.columns[:7])
    ['responsable', 'code_qp', 'ouverts', 'en_retard', 'traites', 'traites_dans_les_delais',
     'delai_median_jours']
    >>> s.table.iloc[-1]["responsable"]
    'total'
    """
    pub = publish_diagnostics(source, publication)
    day = pd.Timestamp(str(as_of)).normalize()
    constats = pub.layers.get("constats")
    notes = own_notes(pub)
    if constats is None or not len(constats):
        notes.append("aucun constat publiable : suivi vide")
        empty = pd.DataFrame(columns=list(SUIVI_COLUMNS))
        return Suivi(
            day, _with_total(empty), _overdue_frame(pd.DataFrame()), tuple(notes), pub.profile
        )
    status = followup_status(constats, as_of=day)
    left = len(constats) - len(status)
    if left:
        notes.append(
            f"{left} constat(s) hors suivi : sans diagnostic ni responsable, ou datés après "
            f"le {day:%d/%m/%Y}"
        )
    zone = zone_labels(constats, pub.layers.get("quartiers")).loc[status.index]
    rows = []
    for (resp, code), group in status.groupby([status["responsable"], zone], sort=True):
        rows.append({"responsable": resp, "code_qp": code, **followup_counts(group)})
    table = _with_total(pd.DataFrame(rows, columns=list(SUIVI_COLUMNS)), status)
    late = constats.loc[status.index[status["en_retard"].to_numpy()]]
    overdue = _overdue_frame(late.assign(responsable=status["responsable"]), day=day, zone=zone)
    return Suivi(day, table, overdue, tuple(dict.fromkeys(notes)), pub.profile)


def _with_total(table: pd.DataFrame, status: pd.DataFrame | None = None) -> pd.DataFrame:
    total: dict[str, Any] = {"responsable": TOTAL, "code_qp": TOTAL}
    if status is not None and len(status):
        total.update(followup_counts(status))
    else:
        total.update({c: 0 for c in SUIVI_COLUMNS[2:]})
        total["delai_median_jours"] = np.nan
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


OVERDUE_COLUMNS: tuple[str, ...] = (
    "id",
    "diagnostic_id",
    "code_qp",
    "responsable",
    "theme",
    "gravite",
    "date",
    "echeance",
    "jours_de_retard",
    "statut",
)


def _overdue_frame(
    late: pd.DataFrame, *, day: pd.Timestamp | None = None, zone: pd.Series | None = None
) -> pd.DataFrame:
    if not len(late) or day is None:
        return pd.DataFrame(columns=list(OVERDUE_COLUMNS))
    out = pd.DataFrame(index=late.index)
    for col in OVERDUE_COLUMNS:
        out[col] = late[col] if col in late.columns else None
    if zone is not None:
        out["code_qp"] = zone.loc[late.index]
    due = pd.to_datetime(late["echeance"])
    out["jours_de_retard"] = (day - due).dt.days
    statut = out["statut"].astype(object)
    out["statut"] = statut.where(statut.notna() & (statut.astype(str).str.strip() != ""), "inconnu")
    return out.sort_values(["jours_de_retard", "id"], ascending=[False, True]).reset_index(
        drop=True
    )


__all__ = ["SUIVI_COLUMNS", "Suivi", "build_suivi", "publish_diagnostics", "zone_labels"]
