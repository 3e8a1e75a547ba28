"""Recurring spots: places where signalements of one category keep coming back.

Signalements are snapped to a ``radius_m`` Lambert-93 grid per category; each
occupied cell gets the count of its 3 × 3 neighbourhood (about ``3 × radius_m``
metres across). The densest neighbourhoods are taken greedily, each excluding the
neighbourhoods that would overlap it, so a signalement belongs to one spot at most.
A spot is kept when it gathers at least ``min_count`` signalements over at least
``min_months`` distinct months — recurrence, not a one-day burst.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gupgeo.schemas import STATUTS_CLOS

SPOT_COLUMNS = (
    "rang", "categorie", "code_qp", "x", "y", "nb_signalements", "nb_mois", "premier",
    "dernier", "nb_ouverts", "adresse",
)  # fmt: skip
_OFFSETS = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def recurring_spots(
    signalements: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    radius_m: float = 25.0,
    min_count: int = 5,
    min_months: int = 3,
) -> pd.DataFrame:
    """Recurring spots of the signalements reported in ``[start, end)``.

    Parameters
    ----------
    signalements
        Attributed signalements in Lambert-93 (``categorie``, ``date_signalement``,
        ``code_qp``; ``statut`` and ``adresse`` used when present).
    start, end
        The period (end excluded).

    Returns
    -------
    DataFrame
        One row per spot, columns :data:`SPOT_COLUMNS`, the densest first; ``x``/``y``
        is the mean position of its signalements, ``adresse`` the most frequent one.
    """
    empty = pd.DataFrame({c: [] for c in SPOT_COLUMNS})
    if len(signalements) == 0 or "categorie" not in signalements.columns:
        return empty
    dates = pd.to_datetime(signalements["date_signalement"], errors="coerce")
    geoms = np.asarray(signalements.geometry.array)
    ok = (
        (dates >= start).to_numpy() & (dates < end).to_numpy()
        & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        & signalements["categorie"].notna().to_numpy()
    )  # fmt: skip
    rows = np.flatnonzero(ok)
    if len(rows) < min_count:
        return empty
    pts = shapely.point_on_surface(geoms[rows])
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    cat_codes, cats = pd.factorize(signalements["categorie"].iloc[rows], sort=True)
    ix = np.floor(x / radius_m).astype("int64")
    iy = np.floor(y / radius_m).astype("int64")
    ix -= ix.min() - 2
    iy -= iy.min() - 2
    span = int(max(ix.max(), iy.max())) + 3
    key = (cat_codes.astype("int64") * span + ix) * span + iy
    cells, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    centres = _centres(cells, counts, span, min_count)
    if not centres:
        return empty
    centre_keys = cells[centres]
    spot_of_cell = np.full(len(cells), -1, dtype="int64")
    for dx, dy in _OFFSETS:
        neighbour = centre_keys + dx * span + dy
        pos = np.minimum(np.searchsorted(cells, neighbour), len(cells) - 1)
        hit = cells[pos] == neighbour
        spot_of_cell[pos[hit]] = np.flatnonzero(hit)
    spot = spot_of_cell[inverse]
    member = spot >= 0
    frame = signalements.iloc[rows[member]]
    table = pd.DataFrame(
        {
            "spot": spot[member],
            "x": x[member],
            "y": y[member],
            "mois": dates.iloc[rows[member]].dt.strftime("%Y-%m").to_numpy(),
            "date": dates.iloc[rows[member]].to_numpy(),
            "ouvert": _open(frame),
            "code_qp": _text(frame, "code_qp"),
            "adresse": _text(frame, "adresse"),
        }
    )
    out = _summary(table)
    centre_cats = (centre_keys // (span * span)).astype("int64")
    out["categorie"] = [str(cats[c]) for c in centre_cats[out.index.to_numpy()]]
    out = out[(out["nb_signalements"] >= min_count) & (out["nb_mois"] >= min_months)]
    out = out.sort_values(
        ["nb_signalements", "nb_mois", "categorie", "x"],
        ascending=[False, False, True, True],
        kind="stable",
    ).reset_index(drop=True)
    out["rang"] = np.arange(1, len(out) + 1)
    return out[list(SPOT_COLUMNS)]


def _centres(cells: np.ndarray, counts: np.ndarray, span: int, min_count: int) -> list[int]:
    """Cells whose 3 × 3 window holds ``min_count`` reports, busiest first, no two centres
    closer than 3 cells (greedy)."""
    window = np.zeros(len(cells), dtype="int64")
    for dx, dy in _OFFSETS:
        pos = np.searchsorted(cells, cells + dx * span + dy)
        pos = np.minimum(pos, len(cells) - 1)
        found = cells[pos] == cells + dx * span + dy
        window += np.where(found, counts[pos], 0)
    candidates = np.flatnonzero(window >= min_count)
    order = candidates[np.lexsort((cells[candidates], -window[candidates]))]
    taken: set[int] = set()
    centres: list[int] = []
    for c in order.tolist():
        k = int(cells[c])
        if k in taken:
            continue
        centres.append(c)
        for dx in range(-2, 3):
            for dy in range(-2, 3):
                taken.add(k + dx * span + dy)
    return centres


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per spot: centre, counts, months, first/last date, open reports, place."""
    grouped = table.groupby("spot", sort=True)
    return pd.DataFrame(
        {
            "x": grouped["x"].mean(),
            "y": grouped["y"].mean(),
            "nb_signalements": grouped.size(),
            "nb_mois": grouped["mois"].nunique(),
            "premier": grouped["date"].min(),
            "dernier": grouped["date"].max(),
            "nb_ouverts": grouped["ouvert"].sum().astype("int64"),
            "code_qp": grouped["code_qp"].agg(_mode),
            "adresse": grouped["adresse"].agg(_mode),
        }
    )


def _open(frame: pd.DataFrame) -> np.ndarray:
    if "statut" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    status = frame["statut"].astype("object")
    closed = status.isin(list(STATUTS_CLOS)).to_numpy()
    if "date_cloture" in frame.columns:
        closed = closed | frame["date_cloture"].notna().to_numpy()
    return ~closed & status.notna().to_numpy()


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    values = frame[column].astype("object")
    return values.where(values.notna(), None).to_numpy()


def _mode(values: pd.Series) -> object:
    clean = values.dropna()
    if clean.empty:
        return None
    counts = clean.value_counts(sort=False)
    best = counts.max()
    return sorted(str(v) for v in counts.index[counts == best])[0]
