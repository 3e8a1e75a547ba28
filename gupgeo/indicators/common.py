"""Helpers shared by the indicator modules: zones, dates as day numbers, stacked tables.

Every indicator table has one row per quartier (in the order of the ``quartiers``
layer), then ``"hors QPV"`` and ``"total"``; its index is named ``code_qp``. Rows
whose ``code_qp`` is empty or not a known quartier count as hors QPV.

Internally a measure for ``K`` periods is an array ``(K, R)`` with ``R`` = quartiers
+ hors QPV + total; :func:`stacked` turns a dict of such arrays into one DataFrame
indexed by (``code_qp``, ``periode``), so a 36-month series is a single frame.
Dates are handled as day numbers: period bounds are midnights, so the day of a
timestamp decides its period exactly, and a small lookup table replaces
``searchsorted`` over millions of rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from gupgeo.errors import SchemaError
from gupgeo.periods import Period, PeriodError
from gupgeo.schemas import HORS_QPV, normalise_name

TOTAL = "total"
NON_RENSEIGNE = "non renseigné"
NAT_NS = np.iinfo(np.int64).min
DAY_NS = 86_400 * 10**9
NO_DAY = NAT_NS // DAY_NS  # day number of a missing date: before any period
NOTES_ATTR = "notes"
_MAX_LOOKUP_DAYS = 400_000


@dataclass(frozen=True)
class Zones:
    """The quartiers of a territory with their denominators, plus the hors-QPV slot.

    Zone ``i < n`` is the i-th quartier; zone ``n`` is hors QPV; row ``n + 1`` of
    every table is the total.
    """

    codes: tuple[str, ...]
    population: np.ndarray
    surface_ha: np.ndarray
    logements: np.ndarray
    index: pd.Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = pd.Index([*self.codes, HORS_QPV, TOTAL], name="code_qp")
        object.__setattr__(self, "index", index)

    @property
    def n(self) -> int:
        return len(self.codes)

    def locate(self, code_qp: pd.Series | None, n_rows: int) -> tuple[np.ndarray, list[str], int]:
        """Zone of each row, the unknown non-empty codes, and how many rows carry them."""
        if code_qp is None:
            return np.full(n_rows, self.n, dtype=np.int64), [], 0
        codes, uniques = pd.factorize(code_qp, use_na_sentinel=True)
        position = {c: i for i, c in enumerate(self.codes)}
        values = [str(u) for u in uniques]
        table = np.array([position.get(v, self.n) for v in values] + [self.n], dtype=np.int64)
        zone = table[codes]
        unknown = [i for i, v in enumerate(values) if v not in position and v.strip()]
        n_unknown = int(np.isin(codes, unknown).sum()) if unknown else 0
        return zone, sorted(values[i] for i in unknown), n_unknown


def zones_from(quartiers: pd.DataFrame) -> Zones:
    """Build :class:`Zones` from the ``quartiers`` layer.

    ``surface_ha`` is taken from the column, else computed from the polygons in
    Lambert-93 when the layer is a GeoDataFrame with a CRS; missing denominators
    are NaN (the rates are then NaN, never guessed).
    """
    if "code_qp" not in quartiers.columns:
        raise SchemaError(
            f"quartiers : colonne 'code_qp' absente ; reçu les colonnes {list(quartiers.columns)}"
        )
    codes = quartiers["code_qp"].astype("object")
    if codes.isna().any():
        raise SchemaError("quartiers : certaines lignes n'ont pas de code_qp")
    dup = codes[codes.duplicated()].unique().tolist()
    if dup:
        raise SchemaError(f"quartiers : code_qp en double : {dup}")
    labels = tuple(str(c) for c in codes)
    clash = {HORS_QPV, TOTAL} & set(labels)
    if clash:
        raise SchemaError(f"quartiers : code_qp réservé utilisé : {sorted(clash)}")
    surface = _number(quartiers, "surface_ha")
    if np.isnan(surface).all() and _has_geometry(quartiers):
        from gupgeo.crs import to_work_crs

        gdf = to_work_crs(quartiers, name="quartiers")
        surface = np.asarray(gdf.geometry.area, dtype="float64") / 10_000.0
    return Zones(
        codes=labels,
        population=_number(quartiers, "population"),
        surface_ha=surface,
        logements=_number(quartiers, "logements"),
    )


def _has_geometry(frame: pd.DataFrame) -> bool:
    return getattr(frame, "crs", None) is not None and "geometry" in frame.columns


def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[column], errors="coerce"), dtype="float64")


def dates_ns(frame: pd.DataFrame, column: str, *, layer: str) -> np.ndarray:
    """A date column as int64 nanoseconds (NaT → :data:`NAT_NS`), naive local time."""
    if column not in frame.columns:
        return np.full(len(frame), NAT_NS, dtype=np.int64)
    s = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(s):
        if s.isna().all():
            return np.full(len(frame), NAT_NS, dtype=np.int64)
        raise SchemaError(
            f"{layer} : la colonne {column!r} doit contenir des dates (datetime64) ; "
            f"reçu le type {s.dtype}. Convertissez-la avec pandas.to_datetime."
        )
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
    return np.asarray(s.dt.as_unit("ns")).view(np.int64)


def days_of(ns: np.ndarray) -> np.ndarray:
    """Day numbers since 1970-01-01 (floor); missing dates get :data:`NO_DAY`."""
    return np.where(ns == NAT_NS, NO_DAY, ns // DAY_NS)


def count_le(edges_day: np.ndarray, days: np.ndarray) -> np.ndarray:
    """``searchsorted(edges_day, days, side="right")`` through a day lookup table."""
    if len(edges_day) == 0:
        return np.zeros(len(days), dtype=np.int64)
    lo, hi = int(edges_day[0]), int(edges_day[-1])
    if hi - lo > _MAX_LOOKUP_DAYS:
        return np.searchsorted(edges_day, days, side="right")
    table = np.concatenate(
        [[0], np.searchsorted(edges_day, np.arange(lo, hi + 1), side="right"), [len(edges_day)]]
    )
    return table[np.clip(days - lo, -1, hi - lo + 1) + 1]


def period_days(periods: Sequence[Period]) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) day numbers of each period."""
    starts = np.array([p.start_ns // DAY_NS for p in periods], dtype=np.int64)
    ends = np.array([p.end_ns // DAY_NS for p in periods], dtype=np.int64)
    return starts, ends


def assign(days: np.ndarray, periods: Sequence[Period]) -> np.ndarray:
    """Index of the period containing each day, ``-1`` outside (periods sorted, disjoint)."""
    starts, ends = period_days(periods)
    if len(periods) > 1 and not np.all(ends[:-1] <= starts[1:]):
        raise PeriodError("les sous-périodes doivent être triées et disjointes")
    idx = count_le(starts, days) - 1
    inside = (idx >= 0) & (days < ends[np.clip(idx, 0, None)])
    return np.where(inside, idx, -1)


def bincount_by(
    index: np.ndarray,
    zone: np.ndarray,
    k: int,
    n_zones: int,
    codes: np.ndarray | None = None,
    n_codes: int = 1,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Counts (or weight sums) per period, zone and code: ``(k, n_zones, n_codes)``.

    Rows with ``index < 0`` (outside every period) are ignored.
    """
    sel = index >= 0
    key = index[sel] * n_zones + zone[sel]
    if codes is not None:
        key = key * n_codes + codes[sel]
    w = None if weights is None else weights[sel]
    out = np.bincount(key, weights=w, minlength=k * n_zones * n_codes)
    return out.reshape(k, n_zones, n_codes)


def with_total(per_zone: np.ndarray) -> np.ndarray:
    """Append the total (sum over zones) along axis 1: ``(k, Z, …)`` → ``(k, Z + 1, …)``."""
    return np.concatenate([per_zone, per_zone.sum(axis=1, keepdims=True)], axis=1)


def stacked(
    zones: Zones, periods: Sequence[Period], columns: dict[str, np.ndarray]
) -> pd.DataFrame:
    """One frame indexed by (``code_qp``, ``periode``) from arrays ``(k, R)`` per column."""
    labels = pd.Index([p.label for p in periods])
    n_rows, k = len(zones.index), len(labels)
    index = pd.MultiIndex(  # built from codes: no factorisation of the labels
        levels=cast(Any, [zones.index, labels]),
        codes=cast(Any, [np.repeat(np.arange(n_rows), k), np.tile(np.arange(k), n_rows)]),
        names=["code_qp", "periode"],
        verify_integrity=False,
    )
    data = {name: np.asarray(a).T.reshape(-1) for name, a in columns.items()}
    return pd.DataFrame(data, index=index)


def single(frame: pd.DataFrame) -> pd.DataFrame:
    """The first (only) period of a stacked frame, indexed by ``code_qp``."""
    labels = frame.index.get_level_values("periode").unique()
    if len(labels) != 1:
        raise PeriodError(f"attendu une seule période, reçu {list(labels)}")
    return frame.droplevel("periode")


def require(frame: pd.DataFrame, columns: Iterable[str], *, layer: str) -> None:
    """Raise :class:`SchemaError` naming every missing column at once."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{layer} : colonne(s) {missing} absente(s) ; reçu {list(frame.columns)}")


def labels_of(values: pd.Series, *, empty: str = NON_RENSEIGNE) -> tuple[np.ndarray, list[str]]:
    """Factorise a text column into (codes, sorted labels); empty values get ``empty``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    names = [str(u).strip() or empty for u in uniques]
    has_na = bool((codes < 0).any())
    if has_na and empty not in names:
        names.append(empty)
    na_code = names.index(empty) if has_na else -1
    codes = np.where(codes < 0, na_code, codes)
    ordered = sorted(set(names), key=lambda s: (s == empty, _sort_key(s)))
    position = {name: i for i, name in enumerate(ordered)}
    remap = np.array([position[n] for n in names], dtype=np.int64)
    return (remap[codes] if len(remap) else codes.astype(np.int64)), ordered


def _sort_key(text: str) -> str:
    return normalise_name(text)


_NON_WORD = re.compile(r"[^a-z0-9]+")


def words(text: str) -> str:
    """Lower-case ASCII words joined by ``_`` ("Graffitis, tags…" → "graffitis_tags").

    How every keyword rule of the indicators compares a source's text with its keywords.
    """
    return _NON_WORD.sub("_", normalise_name(text)).strip("_")


def ratio(num: np.ndarray, den: np.ndarray, *, scale: float = 1.0) -> np.ndarray:
    """``num / den * scale`` with NaN where the denominator is missing or zero."""
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    num, den = np.broadcast_arrays(num, den)
    out = np.full(num.shape, np.nan)
    ok = np.isfinite(den) & (den > 0)
    np.divide(num * scale, den, out=out, where=ok)
    return out


def rates(zones: Zones, counts: np.ndarray) -> dict[str, np.ndarray]:
    """Per 1,000 inhabitants and per hectare for the quartier rows (NaN elsewhere)."""
    pop = np.append(zones.population, [np.nan, np.nan])
    area = np.append(zones.surface_ha, [np.nan, np.nan])
    return {
        "par_1000_habitants": ratio(counts, pop, scale=1000.0),
        "par_ha": ratio(counts, area),
    }


EVOLUTION_COLUMNS: tuple[str, ...] = ("nb_periode_precedente", "evolution_nb", "evolution_pct")
"""The columns :func:`change` adds: measured against the previous period."""


def change(current: np.ndarray, previous: np.ndarray) -> dict[str, np.ndarray]:
    """Previous count, difference and change in % (NaN when the previous count is 0)."""
    cur = np.asarray(current, dtype="float64")
    prev = np.asarray(previous, dtype="float64")
    values = (
        np.rint(prev).astype(np.int64),
        np.rint(cur - prev).astype(np.int64),
        ratio(cur - prev, prev, scale=100.0),
    )
    return dict(zip(EVOLUTION_COLUMNS, values, strict=True))


def attach_notes(frame: pd.DataFrame, notes: Iterable[str]) -> pd.DataFrame:
    """Store method notes (French) in ``frame.attrs['notes']`` and return the frame."""
    frame.attrs[NOTES_ATTR] = list(dict.fromkeys(notes))
    return frame


def notes_of(frame: pd.DataFrame) -> list[str]:
    """The method notes attached by :func:`attach_notes`."""
    return list(frame.attrs.get(NOTES_ATTR, []))


def unknown_codes_note(layer: str, unknown: list[str], n_rows: int) -> list[str]:
    if not unknown:
        return []
    shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
    return [
        f"{layer} : {n_rows} ligne(s) portent un code_qp qui n'est pas un quartier du "
        f"territoire ({shown}) ; elles sont comptées « {HORS_QPV} »."
    ]


def zone_of_layer(frame: pd.DataFrame, zones: Zones, *, layer: str) -> tuple[np.ndarray, list[str]]:
    """Zone per row of a layer and the note about unknown ``code_qp`` values."""
    code_qp = frame["code_qp"] if "code_qp" in frame.columns else None
    zone, unknown, n_unknown = zones.locate(code_qp, len(frame))
    return zone, unknown_codes_note(layer, unknown, n_unknown)


def undated_note(layer: str, days: np.ndarray) -> list[str]:
    missing = int((days == NO_DAY).sum())
    if not missing:
        return []
    return [f"{layer} : {missing} ligne(s) sans date, hors de toute période."]


def label_counts(
    zones: Zones,
    index: np.ndarray,
    zone: np.ndarray,
    k: int,
    codes: np.ndarray,
    n_labels: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Counts per period, row (with total) and label: ``(k, R, n_labels)``."""
    per = bincount_by(index, zone, k, zones.n + 1, codes, max(n_labels, 1), weights)
    return with_total(per[:, :, :n_labels])


def label_frame(
    zones: Zones, periods: Sequence[Period], per: np.ndarray, labels: list[str], *, integer: bool
) -> pd.DataFrame:
    """A stacked frame with one column per label from ``(k, R, n_labels)``."""
    values = np.rint(per).astype(np.int64) if integer else per
    return stacked(zones, periods, {lab: values[:, :, j] for j, lab in enumerate(labels)})
