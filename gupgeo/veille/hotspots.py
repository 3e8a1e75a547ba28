"""Hot spots: where signalements concentrate more than chance would give.

:func:`hotspots` counts signalements on the INSEE-aligned grid of
:mod:`gupgeo.veille.grids` and runs a local statistic from PySAL's ``esda`` on every cell
of the study area (empty cells included — they are what a concentration stands out
from):

``gi_star``
    Getis-Ord Gi* (``esda.G_Local(star=True)``) with binary Queen contiguity (the cell
    and its 8 neighbours, ``transform="B"``), as ArcGIS's *Hot Spot Analysis* with a
    contiguity neighbourhood. ``z_score`` is esda's analytic ``Zs``.
``local_moran``
    Local Moran's I (``esda.Moran_Local``, row-standardised Queen weights);
    ``z_score`` is esda's ``z_sim`` (from the permutations), and the class follows the
    quadrant: high among high is a hot spot, low among low a cold spot, the two
    mixed quadrants are outliers ("valeur atypique").

Inference. With ``permutations > 0`` the p-value is two-sided and comes from esda's
conditional permutations through their normal approximation (``2 × p_z_sim``: the
observed statistic against the mean and spread of the permuted ones). esda's pseudo
p-value ``p_sim`` is not used: it cannot go below ``1 / (permutations + 1)``, and with
false-discovery-rate control over thousands of cells that floor hides every small
cluster. With ``permutations=0`` (Gi* only) the p-value is the two-sided normal one of
the analytic z-score, as in ArcGIS. esda's conditional randomisation currently warns
that its default one-sided alternative will change; the p-values here are made
two-sided explicitly, so that warning is silenced.

Classes follow ArcGIS's bins: a cell is "point chaud 99 %" when its p-value passes the
1 % threshold and its z-score is positive, else 95 %, else 90 %; "point froid …" for
negative z-scores. With ``fdr=True`` each threshold (10 %, 5 %, 1 %) is replaced by its
Benjamini-Hochberg cut-off over all the cells, so that among the cells called hot or cold
at 95 %, at most 5 % are expected to be false discoveries.

Rate mode. Given ``population`` (inhabitants per cell, e.g. INSEE Filosofi's ``Ind``
keyed by the same ``id_carreau``), the statistic runs on signalements per 1 000
inhabitants over the cells that have inhabitants, so that a dense quartier is not a hot
spot merely for being dense; cells without inhabitants are left out (class
"sans habitant").
"""

from __future__ import annotations

import warnings
from typing import Literal

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from gupgeo.errors import AnalysisError
from gupgeo.veille.grids import count_in_cells, points_grid, queen_weights, square_grid, work_xy

Method = Literal["gi_star", "local_moran"]
LEVELS = (0.01, 0.05, 0.10)
"""Significance levels of the bins, strictest first (99 %, 95 %, 90 %)."""
NON_SIGNIFICATIF = "non significatif"
SANS_HABITANT = "sans habitant"
MIN_EVENTS = 30
"""Fewer signalements than this in the study area: no hot spot analysis."""
MIN_CELLS = 30
"""Fewer cells than this: no hot spot analysis (too few neighbours to compare)."""
HOTSPOT_COLUMNS = (
    "id_carreau",
    "code_qp",
    "nb_signalements",
    "valeur",
    "z_score",
    "p_value",
    "niveau",
    "classe",
    "geometry",
)


def hot_class(level: float, positive: bool) -> str:
    """The French bin label: ``hot_class(0.05, True)`` → ``"point chaud 95 %"``."""
    confidence = round(100 * (1 - level))
    return f"{'point chaud' if positive else 'point froid'} {confidence} %"


def bh_threshold(p_values: np.ndarray, alpha: float) -> float:
    """Benjamini-Hochberg cut-off: the largest ``p_(k)`` with ``p_(k) ≤ k·alpha/n`` (0 if none).

    Examples
    --------
    >>> bh_threshold(np.array([0.001, 0.02, 0.04, 0.5]), 0.05)
    0.02
    """
    p = np.sort(np.asarray(p_values, dtype="float64")[np.isfinite(p_values)])
    if len(p) == 0:
        return 0.0
    ok = np.flatnonzero(p <= alpha * np.arange(1, len(p) + 1) / len(p))
    return float(p[ok[-1]]) if len(ok) else 0.0


def significance_levels(p_values: np.ndarray, *, fdr: bool = True) -> np.ndarray:
    """The strictest level of :data:`LEVELS` each p-value passes, NaN if none."""
    p = np.asarray(p_values, dtype="float64")
    out = np.full(len(p), np.nan)
    for level in LEVELS[::-1]:
        cut = bh_threshold(p, level) if fdr else level
        out[np.isfinite(p) & (p <= cut)] = level
    return out


def local_statistic(
    values: np.ndarray,
    w: object,
    *,
    method: Method = "gi_star",
    permutations: int = 999,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """esda's local statistic on ``values``: ``(z_score, two-sided p-value, sign)``.

    ``sign`` is +1 for a high value among high ones (hot), -1 for low among low
    (cold), and for local Moran's outliers +2 (high among low) or -2 (low among high).
    """
    y = np.asarray(values, dtype="float64")
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="The alternative hypothesis", category=DeprecationWarning
        )
        return _local(y, w, method, permutations, seed)


def _local(
    y: np.ndarray, w: object, method: str, permutations: int, seed: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if method == "gi_star":
        g = esda.G_Local(
            y,
            w,
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            n_jobs=1,
            keep_simulations=True,
        )
        z = np.asarray(g.Zs, dtype="float64")
        if permutations:
            p = np.minimum(1.0, 2.0 * np.asarray(g.p_z_sim, dtype="float64"))
            p[~np.isfinite(p)] = 1.0
        else:
            p = 2.0 * stats.norm.sf(np.abs(z))
        return z, p, np.where(z >= 0, 1, -1)
    if method == "local_moran":
        if not permutations:
            raise ValueError(
                "local_moran : l'inférence se fait par permutations (permutations > 0)"
            )
        m = esda.Moran_Local(
            y,
            w,
            transformation="r",
            permutations=permutations,
            seed=seed,
            n_jobs=1,
            keep_simulations=True,
        )
        quadrant = np.asarray(m.q)  # 1 HH, 2 LH, 3 LL, 4 HL
        sign = np.select([quadrant == 1, quadrant == 3, quadrant == 4], [1, -1, 2], default=-2)
        p = np.minimum(1.0, 2.0 * np.asarray(m.p_z_sim, dtype="float64"))
        p[~np.isfinite(p)] = 1.0
        return np.asarray(m.z_sim, dtype="float64"), p, sign
    raise ValueError(f"method doit valoir 'gi_star' ou 'local_moran' ; reçu {method!r}")


def classify(levels: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """French classes from significance levels and signs (see :func:`local_statistic`)."""
    out = np.full(len(levels), NON_SIGNIFICATIF, dtype=object)
    for i, (level, s) in enumerate(zip(levels, sign, strict=True)):
        if np.isnan(level):
            continue
        confidence = round(100 * (1 - level))
        if abs(s) == 1:
            out[i] = hot_class(level, s > 0)
        else:
            kind = "haute" if s > 0 else "basse"
            out[i] = f"valeur atypique {kind} {confidence} %"
    return out


def check_enough(counts: np.ndarray, *, what: str = "signalements") -> None:
    """Refuse, in French, an analysis that could only give noise."""
    total, n = int(np.sum(counts)), len(counts)
    problems = []
    if n < MIN_CELLS:
        problems.append(f"{n} carreaux dans la zone d'étude (au moins {MIN_CELLS})")
    if total == 0:
        problems.append(f"aucun des {what} ne tombe dans la zone d'étude")
    elif total < MIN_EVENTS:
        problems.append(f"{total} {what} dans la zone d'étude (au moins {MIN_EVENTS})")
    elif np.count_nonzero(counts) < 2 or np.all(counts == counts[0]):
        problems.append(f"les {what} sont tous dans le même carreau ou également répartis")
    if problems:
        raise AnalysisError(
            " ; ".join(problems)
            + " — élargir la période ou la zone, ou prendre des carreaux plus grands",
            subject="analyse des points chauds impossible",
        )


def hotspots(
    signalements: gpd.GeoDataFrame,
    *,
    quartiers: gpd.GeoDataFrame | None = None,
    grid: gpd.GeoDataFrame | None = None,
    cell_m: float = 200.0,
    buffer_m: float = 500.0,
    method: Method = "gi_star",
    permutations: int = 999,
    fdr: bool = True,
    seed: int | None = None,
    population: pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Significant hot and cold spots of signalements on a grid.

    Parameters
    ----------
    signalements
        Point layer with a CRS (any; measured in Lambert-93).
    quartiers
        The quartiers: the study area is their union buffered by ``buffer_m`` metres
        and each cell gets the ``code_qp`` of its centre. Without quartiers nor
        ``grid``, the study area is the rectangle of cells holding every signalement
        (:func:`gupgeo.veille.grids.points_grid`).
    grid
        Cells from :func:`gupgeo.veille.grids.square_grid`, to reuse one grid.
    cell_m
        Cell side in metres (INSEE-aligned, see :mod:`gupgeo.veille.grids`).
    method
        ``"gi_star"`` (Getis-Ord Gi*) or ``"local_moran"``.
    permutations
        Conditional permutations of esda's inference (0: normal p-values, Gi* only).
    fdr
        Control the false discovery rate (Benjamini-Hochberg) at each level.
    seed
        Seed of the permutations, for a reproducible result.
    population
        Inhabitants per cell, indexed by ``id_carreau``: rate mode (signalements per
        1 000 inhabitants, cells without inhabitants left out).

    Returns
    -------
    GeoDataFrame
        One row per cell, columns :data:`HOTSPOT_COLUMNS` (``valeur`` is the count, or
        the rate per 1 000 inhabitants; ``niveau`` the level passed, NaN if none), in
        EPSG:2154. ``attrs`` holds ``method``, ``permutations``, ``fdr``, ``hors_zone``
        (signalements outside the study area) and the FDR cut-offs.

    Raises
    ------
    AnalysisError
        Too few signalements or cells, or none in the study area.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[rng.uniform(525_000, 527_000, 300), rng.normal(526_000, 60, 200)]
    >>> y = np.r_[rng.uniform(6_702_000, 6_704_000, 300), rng.normal(6_703_000, 60, 200)]
    >>> s = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=2154)
    >>> h = hotspots(s, seed=1)
    >>> h.sort_values("z_score").iloc[-1]["classe"]
    'point chaud 99 %'
    """
    if grid is None:
        if quartiers is None:
            grid = points_grid(*work_xy(signalements), cell_m=cell_m)
        else:
            grid = square_grid(cell_m=cell_m, quartiers=quartiers, buffer_m=buffer_m)
    counts_frame = count_in_cells(grid, signalements)
    counts = counts_frame["nb_signalements"].to_numpy()
    cells = grid.reset_index(drop=True)
    values = counts.astype("float64")
    if population is not None:
        pop = population.reindex(cells["id_carreau"]).to_numpy(dtype="float64")
        keep = np.isfinite(pop) & (pop > 0)
        values = np.where(keep, 1000.0 * counts / np.where(keep, pop, 1.0), np.nan)
    else:
        keep = np.ones(len(cells), dtype=bool)
    check_enough(counts[keep])
    sub = cells[keep].reset_index(drop=True)
    w = queen_weights(sub, self_weight=method == "gi_star")
    z, p, sign = local_statistic(
        values[keep], w, method=method, permutations=permutations, seed=seed
    )
    levels = significance_levels(p, fdr=fdr)
    out = cells[["id_carreau", "code_qp", "geometry"]].copy()
    out["nb_signalements"] = counts
    out["valeur"] = values
    for name, data in (("z_score", z), ("p_value", p), ("niveau", levels)):
        column = np.full(len(cells), np.nan)
        column[keep] = data
        out[name] = column
    classes = np.full(len(cells), SANS_HABITANT, dtype=object)
    classes[keep] = classify(levels, sign)
    out["classe"] = classes
    out = out[list(HOTSPOT_COLUMNS)]
    out.attrs.update(
        method=method,
        permutations=permutations,
        fdr=fdr,
        cell_m=float(grid.attrs.get("cell_m", cell_m)),
        hors_zone=counts_frame.attrs["hors_zone"],
        seuils={lvl: (bh_threshold(p, lvl) if fdr else lvl) for lvl in LEVELS},
        taux=population is not None,
    )
    return out
