"""Repeated problems: the same problem reported several times, counted once, per quartier.

A *problem* is a group of signalements of :mod:`gupgeo.veille.repeated` — same category,
within ``radius_m`` metres and ``days`` days of the first report of the group, with no
chaining from report to report (:class:`RepeatRule`). It belongs to the quartier of its
first report. Only the signalements of the period are grouped: a problem never spans
two periods.

:func:`problem_counts` is the indicator table (one row per quartier, then ``hors QPV``
and ``total``, columns :data:`PROBLEM_COLUMNS`); :func:`repeated_problems` returns it
with the problems reported at least twice (where, how many reports, since when,
open or closed) and the history of each (every report: date, status, closing date).
The atlas, the operation review and ``gupgeo veille`` read these: one grouping, one
count per figure. Recurring spots of earlier atlases are these problems.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point, box
>>> q = gpd.GeoDataFrame({"code_qp": ["QP1"]}, geometry=[box(0, 0, 100, 100)], crs=2154)
>>> s = gpd.GeoDataFrame(
...     {"categorie": ["tags"] * 3, "code_qp": ["QP1"] * 3, "statut": ["résolu"] * 3,
...      "date_signalement": pd.to_datetime(["2024-01-02", "2024-01-09", "2024-05-01"])},
...     geometry=[Point(50, 50), Point(55, 50), Point(50, 50)], crs=2154)
>>> problem_counts(s, q, period="2024").loc["QP1"].to_dict()
{'nb_signalements': 3, 'nb_problemes': 2, 'nb_problemes_repetes': 1,
 'nb_signalements_repetes': 2, 'nb_problemes_repetes_ouverts': 0}
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from gupgeo.errors import SchemaError
from gupgeo.french import format_number
from gupgeo.indicators.common import HORS_QPV, TOTAL, Zones, zones_from
from gupgeo.periods import Period, parse_period
from gupgeo.validation import canonical_statuses
from gupgeo.veille.repeated import (
    check_bounds,
    problems_by_quartier,
    repeated_reports,
    report_groups,
)

PROBLEM_COLUMNS = (
    "nb_signalements",
    "nb_problemes",
    "nb_problemes_repetes",
    "nb_signalements_repetes",
    "nb_problemes_repetes_ouverts",
)
"""Signalements of the period (in their own quartier); distinct problems; those reported
at least twice; their reports; those still open (a report neither résolu nor clos autre).
A problem counts in the quartier of its first report."""
HISTORY_COLUMNS = (
    "id",
    "date_signalement",
    "statut",
    "date_cloture",
    "source",
    "description",
)
"""Columns of a problem's history, when the signalements have them."""


def _fr(value: float) -> str:
    return format_number(value, 0 if float(value) == int(value) else 1)


@dataclass(frozen=True)
class RepeatRule:
    """When two signalements are the same problem (see :mod:`gupgeo.veille.repeated`).

    Parameters
    ----------
    radius_m
        Largest distance from the first report of a problem to any other, in metres.
    days
        Largest delay after the first report of a problem, in days.
    by
        Column whose values are never grouped together (``None``: all together).
    """

    radius_m: float = 20.0
    days: float = 30.0
    by: str | None = "categorie"

    def __post_init__(self) -> None:
        check_bounds(float(self.radius_m), float(self.days))

    def text(self) -> str:
        """The rule in French, for a method note."""
        bounds = (
            f"à moins de {_fr(self.radius_m)} m et {_fr(self.days)} jours du premier "
            "signalement du problème"
        )
        if self.by is None:
            return bounds
        same = "même catégorie" if self.by == "categorie" else f"même valeur de {self.by}"
        return f"{same}, {bounds}"


@dataclass(frozen=True)
class RepeatedProblems:
    """The problems of a period: counts per quartier, repeated problems, their history.

    Attributes
    ----------
    table
        Indexed by ``code_qp`` (quartiers, ``hors QPV``, ``total``), columns
        :data:`PROBLEM_COLUMNS`.
    groups
        One row per problem reported at least twice, the largest first: the columns
        of :func:`gupgeo.veille.repeated.repeated_reports` plus ``adresse`` (the most
        cited, when known); the point is the first report's (EPSG:2154).
    history
        One row per report of those problems: ``id_probleme`` and the
        :data:`HISTORY_COLUMNS` present, in the order of ``groups`` then by date.
    """

    period: Period
    rule: RepeatRule
    table: pd.DataFrame
    groups: gpd.GeoDataFrame
    history: pd.DataFrame

    def history_of(self, problem: int) -> pd.DataFrame:
        """The reports of one problem (``id_probleme``), oldest first."""
        return self.history[self.history["id_probleme"] == problem].reset_index(drop=True)

    def of_quartier(self, code: str) -> RepeatedProblems:
        """The quartier's row and problems, numbered from 1 (``rang``) in the same order."""
        mine = self.groups[(self.groups["code_qp"].astype("object") == code).to_numpy()]
        mine = mine.reset_index(drop=True)
        mine.insert(0, "rang", np.arange(1, len(mine) + 1))
        history = self.history[self.history["id_probleme"].isin(mine["id_probleme"])]
        table = self.table.loc[[c for c in (code,) if c in self.table.index]]
        return dataclasses.replace(
            self, table=table, groups=mine, history=history.reset_index(drop=True)
        )


def _zone_codes(codes: pd.Series, zones: Zones) -> np.ndarray:
    """Each row's quartier code, ``hors QPV`` for an empty or unknown one."""
    known = set(zones.codes)
    text = codes.astype("object")
    return np.array(
        [str(c) if isinstance(c, str) and c in known else HORS_QPV for c in text], dtype=object
    )


def _table(per_qp: pd.DataFrame, repeated: gpd.GeoDataFrame, zones: Zones) -> pd.DataFrame:
    """The indicator table from the grouping's counts (per quartier code)."""
    rows = [*zones.codes, HORS_QPV]
    by_zone = per_qp.groupby(_zone_codes(pd.Series(per_qp.index, dtype="object"), zones)).sum()
    where = _zone_codes(repeated["code_qp"], zones)
    frame = pd.DataFrame(
        {
            "nb_signalements": by_zone["nb_signalements"].reindex(rows, fill_value=0),
            "nb_problemes": by_zone["nb_problemes"].reindex(rows, fill_value=0),
            "nb_problemes_repetes": pd.Series(1, index=where).groupby(level=0).sum(),
            "nb_signalements_repetes": pd.Series(
                repeated["nb_signalements"].to_numpy(), index=where
            )
            .groupby(level=0)
            .sum(),
        }
    )
    frame = frame.reindex(rows).fillna(0).astype("int64")
    frame.loc[TOTAL] = frame.sum(axis=0)
    frame["nb_problemes_repetes_ouverts"] = _open_problems(repeated, where, [*rows, TOTAL])
    frame.index.name = "code_qp"
    return frame[list(PROBLEM_COLUMNS)]


def _open_problems(repeated: pd.DataFrame, where: np.ndarray, rows: list[str]) -> pd.Series:
    """Repeated problems still open per quartier (``Int64``); ``<NA>`` (« statut inconnu »)
    where the quartier has repeated problems and none of them has a status."""
    open_ = pd.Series(repeated["nb_ouverts"].to_numpy(), index=where, dtype="Int64")
    known = open_.notna()
    counts = (open_[known] > 0).astype("int64").groupby(level=0).sum()
    has_known = known.groupby(level=0).any()
    out = counts.reindex(rows[:-1], fill_value=0).astype("Int64")
    unknown = has_known.reindex(rows[:-1], fill_value=True)
    out = out.mask(~unknown.to_numpy(dtype=bool))
    total = pd.NA if len(open_) and not known.any() else int(counts.sum())
    return pd.concat([out, pd.Series([total], index=rows[-1:], dtype="Int64")])


def _history(current: gpd.GeoDataFrame, gid: np.ndarray, groups: pd.DataFrame) -> pd.DataFrame:
    """Every report of the repeated problems, in the order of ``groups`` then by date."""
    rank = pd.Series(np.arange(len(groups)), index=groups["id_probleme"].to_numpy())
    member = np.isin(gid, groups["id_probleme"].to_numpy())
    frame = pd.DataFrame({"id_probleme": gid[member]})
    rows = current.iloc[np.flatnonzero(member)]
    for column in HISTORY_COLUMNS:
        if column == "id" and column not in rows.columns:
            frame[column] = rows.index.astype(str).to_numpy()
        elif column in rows.columns:
            frame[column] = rows[column].to_numpy()
    if "statut" in frame.columns:
        frame["statut"] = canonical_statuses(frame["statut"]).to_numpy()
    frame["_rang"] = rank.reindex(frame["id_probleme"]).to_numpy()
    frame["_pos"] = np.arange(len(frame))
    frame = frame.sort_values(["_rang", "date_signalement", "_pos"], kind="stable")
    return frame.drop(columns=["_rang", "_pos"]).reset_index(drop=True)


def _most_cited(current: gpd.GeoDataFrame, gid: np.ndarray, problems: pd.Series) -> np.ndarray:
    """The most frequent ``adresse`` of each problem (ties: the first alphabetically)."""
    if "adresse" not in current.columns:
        return np.full(len(problems), None, dtype=object)
    frame = pd.DataFrame({"p": gid, "a": current["adresse"].astype("object").to_numpy()})
    frame = frame[frame["p"].isin(problems.to_numpy()) & frame["a"].notna()]
    counts = frame.groupby(["p", "a"]).size().reset_index(name="n")
    counts = counts.sort_values(["p", "n", "a"], ascending=[True, False, True], kind="stable")
    best = counts.drop_duplicates("p").set_index("p")["a"]
    return best.reindex(problems.to_numpy()).astype("object").to_numpy()


def repeated_problems(
    signalements: gpd.GeoDataFrame,
    quartiers: pd.DataFrame,
    *,
    period: object,
    rule: RepeatRule | None = None,
) -> RepeatedProblems:
    """The problems of ``period``: counts per quartier, the repeated ones, their history.

    Parameters
    ----------
    signalements
        Attributed signalements (``code_qp``, ``date_signalement``; ``categorie``,
        ``statut``, ``adresse``, ``id`` used when present), any CRS.
    quartiers
        The quartiers layer (``code_qp``): every quartier gets a row, zeros included.
    period
        ``"2024"``, ``"2024-T2"``, a range or a :class:`Period`.
    rule
        When two reports are the same problem (default :class:`RepeatRule`).
    """
    rule = rule or RepeatRule()
    if "code_qp" not in signalements.columns:
        raise SchemaError(
            "problèmes répétés : colonne code_qp absente des signalements ; les rattacher "
            "d'abord (gupgeo.attribute_territory)"
        )
    p = parse_period(period)
    zones = zones_from(quartiers)
    dates = pd.to_datetime(signalements["date_signalement"], errors="coerce")
    current = signalements[((dates >= p.start) & (dates < p.end)).to_numpy()]
    radius_m, days, by = rule.radius_m, rule.days, rule.by
    gid = report_groups(current, radius_m=radius_m, days=days, by=by)
    per_qp = problems_by_quartier(current, radius_m=radius_m, days=days, by=by, groups=gid)
    repeated = repeated_reports(current, radius_m=radius_m, days=days, by=by, groups=gid)
    table = _table(per_qp, repeated, zones)
    repeated.insert(
        len(repeated.columns) - 1,
        "adresse",
        _most_cited(current, gid.to_numpy(), repeated["id_probleme"]),
    )
    history = _history(current, gid.to_numpy(), repeated)
    return RepeatedProblems(p, rule, table, repeated, history)


def problem_counts(
    signalements: gpd.GeoDataFrame,
    quartiers: pd.DataFrame,
    *,
    period: object,
    rule: RepeatRule | None = None,
) -> pd.DataFrame:
    """Distinct and repeated problems per quartier (``hors QPV`` and ``total`` rows).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code_qp``, columns :data:`PROBLEM_COLUMNS` (the ``table`` of
        :func:`repeated_problems`).
    """
    return repeated_problems(signalements, quartiers, period=period, rule=rule).table


__all__ = [
    "HISTORY_COLUMNS",
    "PROBLEM_COLUMNS",
    "RepeatRule",
    "RepeatedProblems",
    "problem_counts",
    "repeated_problems",
]
