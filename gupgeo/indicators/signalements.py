"""Signalement indicators: counts, rates, share closed, delays, backlog by age, change.

The layer is prepared once (:func:`prepare_signalements`: zones, dates as integers,
canonical statuses, delays sorted once) and then cut by any sorted list of disjoint
periods in a few vectorised passes, so a 36-month series costs about as much as
one period. Definitions (also written in the dashboard's method notes):

- a signalement belongs to the period containing its ``date_signalement``;
- it is *clos* at the end of the period when its ``date_cloture`` is before that end,
  or when its status is closed (résolu, clos autre) and it has no closing date;
- closing delays (median, 90th percentile, linear interpolation as numpy) are over
  the signalements *closed during the period*, in days from report to closing;
- the backlog (*stock*) at the end of the period counts those reported before the end
  and not closed at that instant, by age: ≤ 28 days, 29–56 days, more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gupgeo.indicators.common import (
    DAY_NS,
    NO_DAY,
    Zones,
    assign,
    attach_notes,
    change,
    count_le,
    dates_ns,
    days_of,
    label_frame,
    labels_of,
    period_days,
    rates,
    ratio,
    require,
    single,
    stacked,
    undated_note,
    unknown_codes_note,
    with_total,
    zones_from,
)
from gupgeo.indicators.distributed import gather_signalements
from gupgeo.periods import Period, parse_period
from gupgeo.schemas import STATUTS, STATUTS_CLOS
from gupgeo.validation.statuses import canonical_status

STATUT_INCONNU = "inconnu"
STATUS_COLUMNS: tuple[str, ...] = (*STATUTS, STATUT_INCONNU)
AGE_BUCKETS_DAYS: tuple[int, int] = (28, 56)
AGE_COLUMNS: tuple[str, ...] = (
    "stock_4_semaines_ou_moins",
    "stock_4_a_8_semaines",
    "stock_plus_8_semaines",
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "nb_signalements",
    "par_1000_habitants",
    "par_ha",
    "nb_clos",
    "part_clos_pct",
    "nb_clotures_periode",
    "delai_median_jours",
    "delai_p90_jours",
    "stock_fin_periode",
    *AGE_COLUMNS,
    "nb_periode_precedente",
    "evolution_nb",
    "evolution_pct",
)


@dataclass(frozen=True)
class PreparedSignalements:
    """A signalements layer turned into arrays once, ready to be cut by periods.

    ``created`` and ``closed`` are day numbers (:data:`NO_DAY` when missing);
    ``delay_days`` is exact (from the timestamps), NaN when unknown or negative, and
    ``delay_order`` lists the rows with a delay sorted by it.
    """

    frame: pd.DataFrame
    zones: Zones
    zone: np.ndarray
    created: np.ndarray
    closed: np.ndarray
    closed_nodate: np.ndarray
    status: np.ndarray
    lifecycle_known: bool
    delays_known: bool
    delay_days: np.ndarray
    delay_order: np.ndarray
    notes: tuple[str, ...]
    _cache: dict[object, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        return len(self.zone)

    def labels(self, column: str, *, empty: str = "non renseigné") -> tuple[np.ndarray, list[str]]:
        """Codes and sorted labels of a text column (computed once per column)."""
        key = ("labels", column, empty)
        if key not in self._cache:
            if column in self.frame.columns:
                self._cache[key] = labels_of(self.frame[column], empty=empty)
            else:
                self._cache[key] = (np.zeros(self.n_rows, dtype=np.int64), [empty])
        return self._cache[key]

    def cached(self, key: object, compute: Callable[[], Any]) -> Any:
        """Compute once per prepared layer (label codes, dégradation codes, backlogs)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def categories(self) -> list[str]:
        return self.labels("categorie")[1]


@dataclass(frozen=True)
class Cut:
    """Rows of a prepared layer assigned to sorted, disjoint periods.

    ``index`` is each row's period (``-1``: outside); ``rows`` lists the rows inside
    a period and ``key`` their ``period × zones + zone`` bin, reused by every count.
    """

    periods: tuple[Period, ...]
    index: np.ndarray
    rows: np.ndarray
    key: np.ndarray

    @property
    def k(self) -> int:
        return len(self.periods)


def prepare_signalements(
    signalements: pd.DataFrame, quartiers: pd.DataFrame | Zones
) -> PreparedSignalements:
    """Turn the attributed signalements into arrays (one pass, reused for every period).

    A Dask layer is first gathered: the columns the indicators read, brought back from
    the cluster (:func:`gupgeo.indicators.distributed.gather_signalements`).
    """
    signalements = gather_signalements(signalements)
    require(signalements, ("date_signalement", "categorie"), layer="signalements")
    zones = quartiers if isinstance(quartiers, Zones) else zones_from(quartiers)
    n = len(signalements)
    code_qp = signalements["code_qp"] if "code_qp" in signalements.columns else None
    zone, unknown, n_unknown = zones.locate(code_qp, n)
    created_ns = dates_ns(signalements, "date_signalement", layer="signalements")
    closed_ns = dates_ns(signalements, "date_cloture", layer="signalements")
    created, closed = days_of(created_ns), days_of(closed_ns)
    status, status_known = _status_codes(signalements)

    has_close = bool((closed != NO_DAY).any())
    lifecycle_known = status_known or has_close
    closed_status = np.isin(status, [STATUS_COLUMNS.index(s) for s in STATUTS_CLOS])
    closed_nodate = closed_status & (closed == NO_DAY)
    valid = (created != NO_DAY) & (closed != NO_DAY)
    delay = np.full(n, np.nan)
    delay[valid] = (closed_ns[valid] - created_ns[valid]) / DAY_NS
    negative = valid & (delay < 0)
    delay[negative] = np.nan
    finite = np.flatnonzero(np.isfinite(delay))
    order = finite[np.argsort(delay[finite])]  # ties need no order: quantiles only

    notes = undated_note("signalements", created)
    if not lifecycle_known:
        notes.append(
            "signalements : la source n'a ni statut ni date de clôture (cas de DansMaRue) ; "
            "part close, délais de clôture et stock ne sont pas calculables (cellules vides)."
        )
    elif not has_close:
        notes.append(
            "signalements : aucune date de clôture dans la source ; les délais de clôture "
            "ne sont pas calculables (cellules vides)."
        )
    if has_close and closed_nodate.any():
        notes.append(
            f"signalements : {int(closed_nodate.sum())} signalement(s) clos sans date de "
            "clôture : comptés clos à toute date (stock possiblement sous-estimé), hors délais."
        )
    if negative.any():
        notes.append(
            f"signalements : {int(negative.sum())} date(s) de clôture antérieure(s) au "
            "signalement : exclue(s) des délais."
        )
    n_unknown_status = int((status == len(STATUTS)).sum())
    if status_known and n_unknown_status:
        notes.append(
            f"signalements : {n_unknown_status} statut(s) vide(s) ou non reconnu(s), "
            f"comptés « {STATUT_INCONNU} »."
        )
    notes += unknown_codes_note("signalements", unknown, n_unknown)
    return PreparedSignalements(
        frame=signalements,
        zones=zones,
        zone=zone,
        created=created,
        closed=closed,
        closed_nodate=closed_nodate,
        status=status,
        lifecycle_known=lifecycle_known,
        delays_known=has_close,
        delay_days=delay,
        delay_order=order,
        notes=tuple(notes),
    )


def _status_codes(frame: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """Canonical status code per row (index in STATUS_COLUMNS) and whether any is known.

    ``statut`` is used when filled; where it is empty, ``statut_brut`` is mapped with
    :func:`gupgeo.validation.statuses.canonical_status`. Non-canonical values in ``statut`` are
    mapped the same way.
    """
    unknown = len(STATUTS)
    codes = np.full(len(frame), unknown, dtype=np.int64)
    known = False
    for column in ("statut", "statut_brut"):
        if column not in frame.columns or not (codes == unknown).any():
            continue
        values = frame[column] if column == "statut" else frame[column].where(codes == unknown)
        raw_codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) == 0:
            continue
        known = True
        table = np.array(
            [STATUS_COLUMNS.index(_canonical(u)) for u in uniques] + [unknown], dtype=np.int64
        )
        codes = np.where(codes == unknown, table[raw_codes], codes)
    return codes, known


def _canonical(value: object) -> str:
    text = str(value).strip()
    if text in STATUTS:
        return text
    return canonical_status(text) or STATUT_INCONNU


def cut(prep: PreparedSignalements, periods: tuple[Period, ...]) -> Cut:
    """Assign each row to one of ``periods`` (sorted, disjoint) by its report date."""
    index = assign(prep.created, periods)
    rows = np.flatnonzero(index >= 0)
    key = index[rows] * (prep.zones.n + 1) + prep.zone[rows]
    return Cut(periods=periods, index=index, rows=rows, key=key)


def counts(
    prep: PreparedSignalements,
    c: Cut,
    codes: np.ndarray | None = None,
    n_codes: int = 1,
    weights: np.ndarray | None = None,
    *,
    on_rows: bool = False,
) -> np.ndarray:
    """Row counts (or weight sums) per period, zone and code: ``(k, zones + 1, n_codes)``.

    ``codes`` and ``weights`` are per row of the layer, or per row of ``c.rows``
    when ``on_rows`` is true.
    """
    key = c.key
    if codes is not None:
        key = key * n_codes + (codes if on_rows else codes[c.rows])
    w = None if weights is None else (weights if on_rows else weights[c.rows])
    out = np.bincount(key, weights=w, minlength=c.k * (prep.zones.n + 1) * n_codes)
    return out.reshape(c.k, prep.zones.n + 1, n_codes)


def previous_counts(
    prep: PreparedSignalements, periods: tuple[Period, ...], mask: np.ndarray | None = None
) -> np.ndarray:
    """Rows per zone (+ total) in the period before each of ``periods``: ``(k, R)``.

    Previous periods may overlap (the predecessor of a partial month), so rows are
    counted per elementary interval between all bounds, then summed per period.
    """
    previous = [p.previous() for p in periods]
    starts, ends = period_days(previous)
    edges = np.unique(np.concatenate([starts, ends]))
    z = prep.zones.n + 1
    slot = count_le(edges, prep.created) - 1
    sel = (slot >= 0) & (slot < len(edges) - 1)
    if mask is not None:
        sel &= mask
    per_slot = np.bincount(slot[sel] * z + prep.zone[sel], minlength=(len(edges) - 1) * z).reshape(
        len(edges) - 1, z
    )
    cum = np.vstack([np.zeros((1, z), dtype=np.int64), np.cumsum(per_slot, axis=0)])
    out = cum[np.searchsorted(edges, ends)] - cum[np.searchsorted(edges, starts)]
    return with_total(out)


def grouped_quantiles(
    order: np.ndarray, values: np.ndarray, keys: np.ndarray, n_groups: int, qs: tuple[float, ...]
) -> np.ndarray:
    """Quantiles (numpy's linear method) of ``values`` per group: ``(n_groups, len(qs))``.

    ``order`` lists the rows to use sorted by value; ``keys`` gives each row's group
    (``-1`` to skip). A stable radix sort by group keeps the value order inside groups.
    """
    k = keys[order]
    keep = k >= 0
    o, k = order[keep], k[keep]
    if n_groups > 1:
        small = np.int16 if n_groups < np.iinfo(np.int16).max else np.int64
        o = o[np.argsort(k.astype(small), kind="stable")]
    v = values[o]
    size = np.bincount(k, minlength=n_groups)
    start = np.cumsum(size) - size
    out = np.full((n_groups, len(qs)), np.nan)
    has = size > 0
    for j, q in enumerate(qs):
        pos = q * (size[has] - 1)
        lo = np.floor(pos).astype(np.int64)
        t = pos - lo
        hi = np.minimum(lo + 1, size[has] - 1)
        a, b = v[start[has] + lo], v[start[has] + hi]
        diff = b - a
        out[has, j] = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    return out


def backlog_at(prep: PreparedSignalements, ends: np.ndarray) -> np.ndarray:
    """:func:`backlog`, reusing an earlier computation at a superset of ``ends``."""
    wanted = tuple(int(e) for e in ends)
    for key, value in prep._cache.items():
        if isinstance(key, tuple) and key[:1] == ("backlog",) and set(wanted) <= set(key[1]):
            position = {e: i for i, e in enumerate(key[1])}
            return value[[position[e] for e in wanted]]
    return prep.cached(("backlog", wanted), lambda: backlog(prep, ends))


def backlog(prep: PreparedSignalements, ends: np.ndarray) -> np.ndarray:
    """Open signalements per zone at each end day of ``ends`` (sorted), by age bucket.

    Returns ``(k, zones + 1, 3)``: ≤ 28 days, 29–56 days, older. A signalement is open
    at the instant ``t`` (a midnight) when reported before ``t`` and closed on or after
    the day of ``t`` (or not closed); its age is counted in days up to ``t``. Each row
    adds +1 where it enters a bucket and -1 where it leaves it; a cumulative sum over
    the ends gives the stock.
    """
    k = len(ends)
    z = prep.zones.n + 1
    ok = prep.created != NO_DAY
    created, zone = prep.created[ok], prep.zone[ok]
    closed, nodate = prep.closed[ok], prep.closed_nodate[ok]
    start = count_le(ends, created)
    stop = np.where(closed != NO_DAY, count_le(ends, closed), k)
    stop[nodate] = 0
    # Rows open at no end at all (closed before the first end they could reach) drop out.
    live = start < stop
    created, zone, start, stop = created[live], zone[live], start[live], stop[live]
    # age at t ≤ d days  ⟺  t ≤ report day + d (whole days: t is a midnight)
    limits = [start, *(count_le(ends, created + d) for d in AGE_BUCKETS_DAYS)]
    limits.append(np.full(len(created), k))
    base = zone * (k + 1)
    size = z * (k + 1)
    stock = np.empty((k, z, 3), dtype=np.int64)
    for b in range(3):
        lo = np.maximum(limits[b], start)
        hi = np.minimum(limits[b + 1], stop)
        keep = lo < hi
        enter = np.bincount((base + lo)[keep], minlength=size)
        leave = np.bincount((base + hi)[keep], minlength=size)
        diff = (enter - leave).reshape(z, k + 1)
        stock[:, :, b] = np.cumsum(diff, axis=1)[:, :k].T
    return stock


def summary_table(prep: PreparedSignalements, c: Cut) -> pd.DataFrame:
    """The ``signalements`` table for every period of the cut (stacked)."""
    k, z = c.k, prep.zones.n + 1
    nb = with_total(counts(prep, c)[:, :, 0])
    data: dict[str, np.ndarray] = {"nb_signalements": nb, **rates(prep.zones, nb)}
    nan = np.full(nb.shape, np.nan)
    _, ends = period_days(c.periods)
    if prep.lifecycle_known:
        closed = prep.closed[c.rows]
        by_end = (closed != NO_DAY) & (closed < ends[c.index[c.rows]]) | prep.closed_nodate[c.rows]
        clos = with_total(counts(prep, c, by_end.astype(np.int64), 2, on_rows=True)[:, :, 1])
        data["nb_clos"] = clos.astype(np.int64)
        data["part_clos_pct"] = ratio(clos, nb, scale=100.0)
    else:
        data["nb_clos"] = data["part_clos_pct"] = nan
    if prep.delays_known:
        closing = assign(np.where(np.isfinite(prep.delay_days), prep.closed, NO_DAY), c.periods)
        keys = np.where(closing >= 0, closing * z + prep.zone, -1)
        q_zone = grouped_quantiles(prep.delay_order, prep.delay_days, keys, k * z, (0.5, 0.9))
        q_total = grouped_quantiles(prep.delay_order, prep.delay_days, closing, k, (0.5, 0.9))
        q = np.concatenate([q_zone.reshape(k, z, 2), q_total.reshape(k, 1, 2)], axis=1)
        n_closing = np.bincount(keys[keys >= 0], minlength=k * z).reshape(k, z)
        data["nb_clotures_periode"] = with_total(n_closing)
        data["delai_median_jours"] = q[:, :, 0]
        data["delai_p90_jours"] = q[:, :, 1]
    else:
        data["nb_clotures_periode"] = data["delai_median_jours"] = data["delai_p90_jours"] = nan
    if prep.lifecycle_known:
        ages = with_total(backlog_at(prep, ends))
        data["stock_fin_periode"] = ages.sum(axis=2)
        for j, name in enumerate(AGE_COLUMNS):
            data[name] = ages[:, :, j]
    else:
        for name in ("stock_fin_periode", *AGE_COLUMNS):
            data[name] = nan
    data.update(change(nb, previous_counts(prep, c.periods)))
    return stacked(prep.zones, c.periods, {name: data[name] for name in SUMMARY_COLUMNS})


def category_table(prep: PreparedSignalements, c: Cut) -> pd.DataFrame:
    """The ``signalements_par_categorie`` table (one column per category), stacked."""
    codes, labels = prep.labels("categorie")
    per = with_total(counts(prep, c, codes, max(len(labels), 1))[:, :, : len(labels)])
    return label_frame(prep.zones, c.periods, per, labels, integer=True)


def status_table(prep: PreparedSignalements, c: Cut) -> pd.DataFrame:
    """The ``signalements_par_statut`` table (canonical lifecycle + inconnu), stacked."""
    per = with_total(counts(prep, c, prep.status, len(STATUS_COLUMNS)))
    return label_frame(prep.zones, c.periods, per, list(STATUS_COLUMNS), integer=True)


def _single(
    signalements: pd.DataFrame,
    quartiers: pd.DataFrame,
    period: object,
    build: Callable[[PreparedSignalements, Cut], pd.DataFrame],
) -> pd.DataFrame:
    prep = prepare_signalements(signalements, quartiers)
    frame = single(build(prep, cut(prep, (parse_period(period),))))
    return attach_notes(frame, prep.notes)


def signalement_summary(
    signalements: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Counts, rates, share closed, delays, backlog by age and change, per quartier.

    Parameters
    ----------
    signalements
        Attributed signalements (``date_signalement``, ``categorie``, ``code_qp``;
        ``statut``/``statut_brut`` and ``date_cloture`` when known); a Dask
        GeoDataFrame attributed on a cluster gives the same table.
    quartiers
        The quartiers layer (``code_qp``, ``population``, ``surface_ha`` or polygons).
    period
        ``"2024"``, ``"2024-T2"``, ``"2024-03"``, a range or a :class:`Period`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code_qp`` (quartiers, ``"hors QPV"``, ``"total"``), columns
        :data:`SUMMARY_COLUMNS`. Method notes are in ``.attrs["notes"]``.
    """
    return _single(signalements, quartiers, period, summary_table)


def signalements_by_category(
    signalements: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Number of signalements per quartier and ``categorie`` (one column per category)."""
    return _single(signalements, quartiers, period, category_table)


def signalements_by_status(
    signalements: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Number of signalements per quartier and canonical status (plus ``inconnu``)."""
    return _single(signalements, quartiers, period, status_table)
