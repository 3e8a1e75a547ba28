"""Emerging hot spots: which concentrations are new, growing, lasting or fading.

:func:`emerging_hotspots` builds a space-time cube — signalements per cell of the
INSEE-aligned grid (:mod:`gupgeo.veille.grids`) and per period (month, quarter or year) —
and, following ArcGIS's *Emerging Hot Spot Analysis*:

1. runs Getis-Ord Gi* (``esda.G_Local(star=True)``, binary Queen weights: the cell and
   its 8 neighbours) on each period separately. Simplification: the neighbourhood is
   spatial only (ArcGIS can add the same cells at previous time steps). A cell is a
   significant hot (cold) spot in a period when its two-sided normal p-value passes
   ``alpha`` after Benjamini-Hochberg control over the cells of that period (``fdr``),
   with a positive (negative) z-score;
2. runs a Mann-Kendall trend test (:func:`mann_kendall`, with the tie correction) on
   each cell's series of Gi* z-scores: a trend is an increase or decrease of the
   intensity of clustering, significant at ``trend_alpha``;
3. names each cell with ArcGIS's definitions, for hot spots (cold spots mirror them,
   "point froid …"), ``share`` being the share of periods where the cell is a hot spot:

   - **nouveau point chaud**: hot in the final period, never before;
   - **point chaud consécutif**: one uninterrupted run of at least two hot periods
     ending with the final one, never hot before it, share < 90 %;
   - **point chaud en intensification**: share ≥ 90 %, hot in the final period,
     significant upward trend;
   - **point chaud persistant**: share ≥ 90 %, hot in the final period, no significant
     trend;
   - **point chaud en diminution**: share ≥ 90 %, hot in the final period, significant
     downward trend;
   - **point chaud historique**: share ≥ 90 % but not hot in the final period;
   - **point chaud oscillant**: hot in the final period, share < 90 %, and a
     significant cold spot in some earlier period;
   - **point chaud sporadique**: on-again off-again hot spot, share < 90 %, never a
     cold spot;
   - **aucune tendance**: none of the above (never significant, or both hot and cold
     in the past and neither in the final period).

   A cell that is hot in the final period takes its hot category, one cold in the
   final period its cold category; otherwise the hot history wins over the cold one.
"""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from gupgeo.errors import AnalysisError
from gupgeo.periods import FREQ_LABELS, parse_freq
from gupgeo.veille.grids import count_in_cells, points_grid, queen_weights, square_grid, work_xy
from gupgeo.veille.hotspots import bh_threshold, check_enough

AUCUNE_TENDANCE = "aucune tendance"
MIN_PERIODS = 6
"""Fewer periods than this: no trend can be significant, the analysis is refused."""
_PERSISTENT_SHARE = 0.9
_EMERGING = "points chauds émergents"
_PANDAS_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}
EMERGING_COLUMNS = (
    "id_carreau",
    "code_qp",
    "nb_signalements",
    "nb_periodes_chaud",
    "nb_periodes_froid",
    "chaud_fin",
    "froid_fin",
    "tendance_z",
    "tendance_p",
    "categorie",
    "geometry",
)
CATEGORIES = (
    "nouveau",
    "consécutif",
    "en intensification",
    "persistant",
    "en diminution",
    "historique",
    "oscillant",
    "sporadique",
)
"""Emerging categories, prefixed by ``point chaud`` / ``point froid`` (``nouveau point …``)."""


def category_label(kind: str, hot: bool) -> str:
    """``category_label("nouveau", True)`` → ``"nouveau point chaud"``."""
    spot = "point chaud" if hot else "point froid"
    return f"nouveau {spot}" if kind == "nouveau" else f"{spot} {kind}"


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on each row of ``series``: ``(z, two-sided p-value)``.

    ``S = Σ_{i<j} sign(x_j − x_i)``; its variance is ``(n(n−1)(2n+5) − Σ t(t−1)(2t+5)) / 18``
    with ``t`` the sizes of groups of tied values; ``z = (S − sign(S)) / √var`` (continuity
    correction), 0 when the variance is 0 (a constant series).

    Examples
    --------
    >>> z, p = mann_kendall(np.array([[1, 2, 3, 4, 5, 6], [3, 3, 3, 3, 3, 3]]))
    >>> [round(float(v), 3) for v in z], [round(float(v), 4) for v in p]
    ([2.63, 0.0], [0.0085, 1.0])
    """
    x = np.atleast_2d(np.asarray(series, dtype="float64"))
    n_rows, n = x.shape
    s = np.zeros(n_rows)
    for lag in range(1, n):
        s += np.sign(x[:, lag:] - x[:, :-lag]).sum(axis=1)
    ordered = np.sort(np.round(x, 9), axis=1)
    starts = np.ones((n_rows, n), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(starts, axis=1) - 1 + (np.arange(n_rows) * n)[:, None]
    t = np.bincount(group.ravel(), minlength=n_rows * n).reshape(n_rows, n).astype("float64")
    var = (n * (n - 1) * (2 * n + 5) - (t * (t - 1) * (2 * t + 5)).sum(axis=1)) / 18.0
    safe = np.where(var > 0, var, 1.0)
    z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(safe), 0.0)
    return z, 2.0 * stats.norm.sf(np.abs(z))


def gi_star_by_period(counts: np.ndarray, w: object) -> np.ndarray:
    """Analytic Gi* z-scores of each column of ``counts`` (0 where a period is empty)."""
    z = np.zeros(counts.shape, dtype="float64")
    for t in range(counts.shape[1]):
        y = counts[:, t].astype("float64")
        if y.sum() == 0 or np.all(y == y[0]):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            g = esda.G_Local(y, w, transform="B", star=True, permutations=0)
        z[:, t] = np.nan_to_num(np.asarray(g.Zs, dtype="float64"))
    return z


def _significant(z: np.ndarray, *, alpha: float, fdr: bool) -> tuple[np.ndarray, np.ndarray]:
    p = 2.0 * stats.norm.sf(np.abs(z))
    sig = np.zeros(z.shape, dtype=bool)
    for t in range(z.shape[1]):
        cut = bh_threshold(p[:, t], alpha) if fdr else alpha
        sig[:, t] = p[:, t] <= cut
    return sig & (z > 0), sig & (z < 0)


def _kinds(
    same: np.ndarray,
    other: np.ndarray,
    trend_z: np.ndarray,
    trend_p: np.ndarray,
    trend_alpha: float,
) -> np.ndarray:
    """ArcGIS's category of each row for one side (``same`` hot, ``other`` cold, or the reverse)."""
    n_rows, n = same.shape
    share = same.mean(axis=1)
    final = same[:, -1]
    before = same[:, :-1].sum(axis=1)
    # Length of the run of significant periods ending with the final one.
    run = np.zeros(n_rows, dtype="int64")
    alive = np.ones(n_rows, dtype=bool)
    for t in range(n - 1, -1, -1):
        alive &= same[:, t]
        run += alive
    up = (trend_p <= trend_alpha) & (trend_z > 0)
    down = (trend_p <= trend_alpha) & (trend_z < 0)
    ever_other = other.any(axis=1)
    lasting = share >= _PERSISTENT_SHARE
    kinds = np.select(
        [
            ~same.any(axis=1),
            lasting & final & up,
            lasting & final & down,
            lasting & final,
            lasting,
            final & (before == 0),
            final & (run >= 2) & (before == run - 1),
            final & ever_other,
            ~ever_other,
        ],
        [
            "",
            "en intensification",
            "en diminution",
            "persistant",
            "historique",
            "nouveau",
            "consécutif",
            "oscillant",
            "sporadique",
        ],
        default="",
    )
    return kinds


def classify_trends(
    z: np.ndarray,
    *,
    alpha: float = 0.05,
    fdr: bool = True,
    trend_alpha: float = 0.05,
) -> pd.DataFrame:
    """Emerging categories from a cells × periods matrix of Gi* z-scores.

    Returns
    -------
    DataFrame
        One row per cell: ``nb_periodes_chaud``, ``nb_periodes_froid``, ``chaud_fin``,
        ``froid_fin``, ``tendance_z``, ``tendance_p`` (Mann-Kendall on the z-scores) and
        ``categorie``.
    """
    hot, cold = _significant(z, alpha=alpha, fdr=fdr)
    trend_z, trend_p = mann_kendall(z)
    hot_kind = _kinds(hot, cold, trend_z, trend_p, trend_alpha)
    cold_kind = _kinds(cold, hot, -trend_z, trend_p, trend_alpha)
    labels = np.full(len(z), AUCUNE_TENDANCE, dtype=object)
    use_cold = (cold[:, -1] & ~hot[:, -1]) | ((hot_kind == "") & (cold_kind != ""))
    for i in range(len(z)):
        if use_cold[i] and cold_kind[i]:
            labels[i] = category_label(str(cold_kind[i]), hot=False)
        elif hot_kind[i]:
            labels[i] = category_label(str(hot_kind[i]), hot=True)
    return pd.DataFrame(
        {
            "nb_periodes_chaud": hot.sum(axis=1),
            "nb_periodes_froid": cold.sum(axis=1),
            "chaud_fin": hot[:, -1],
            "froid_fin": cold[:, -1],
            "tendance_z": trend_z,
            "tendance_p": trend_p,
            "categorie": labels,
        }
    )


def period_label(period: pd.Period) -> str:
    """A pandas period as a French reader names it: ``2016-T1`` (not ``2016Q1``), ``2016-03``.

    Examples
    --------
    >>> period_label(pd.Period("2016Q1")), period_label(pd.Period("2016-03", "M"))
    ('2016-T1', '2016-03')
    """
    if period.freqstr.startswith("Q"):
        return f"{period.year}-T{period.quarter}"
    return str(period)


def emerging_hotspots(
    signalements: gpd.GeoDataFrame,
    *,
    quartiers: gpd.GeoDataFrame | None = None,
    grid: gpd.GeoDataFrame | None = None,
    cell_m: float = 200.0,
    buffer_m: float = 500.0,
    freq: str = "month",
    window: int | None = None,
    alpha: float = 0.05,
    fdr: bool = True,
    trend_alpha: float = 0.05,
) -> gpd.GeoDataFrame:
    """Emerging hot spot category of every cell (new, intensifying, persistent…).

    Parameters
    ----------
    signalements
        Point layer with a CRS and a ``date_signalement`` column.
    quartiers, grid, cell_m, buffer_m
        The study area and its cells, as in :func:`gupgeo.veille.hotspots.hotspots`.
    freq
        Length of a period: ``"month"``, ``"quarter"`` or ``"year"`` (French names too).
    window
        Number of most recent periods analysed (all periods from the first to the last
        signalement by default); at least :data:`MIN_PERIODS`.
    alpha
        Significance of a hot or cold spot in one period (FDR-controlled if ``fdr``).
    trend_alpha
        Significance of the Mann-Kendall trend.

    Returns
    -------
    GeoDataFrame
        One row per cell, columns :data:`EMERGING_COLUMNS`, EPSG:2154; ``attrs["periodes"]``
        lists the period labels analysed (the final one last).

    Raises
    ------
    AnalysisError
        Fewer than :data:`MIN_PERIODS` periods, or too few signalements or cells.
    """
    code = _PANDAS_FREQ[parse_freq(freq)]
    if "date_signalement" not in signalements.columns:
        raise AnalysisError("colonne date_signalement absente", subject=_EMERGING)
    dates = pd.to_datetime(signalements["date_signalement"], errors="coerce")
    if dates.notna().sum() == 0:
        raise AnalysisError("aucun signalement daté", subject=_EMERGING)
    periods = pd.period_range(dates.min(), dates.max(), freq=code)
    if window is not None:
        periods = periods[-int(window) :]
    if len(periods) < MIN_PERIODS:
        raise AnalysisError(
            f"{len(periods)} période(s) analysée(s), au moins {MIN_PERIODS} sont nécessaires "
            f"pour une tendance (pas : {FREQ_LABELS[parse_freq(freq)]}"
            + (f", fenêtre : {int(window)} dernières périodes" if window is not None else "")
            + ")",
            subject=f"{_EMERGING} impossibles",
        )
    if grid is None:
        if quartiers is not None:
            grid = square_grid(cell_m=cell_m, quartiers=quartiers, buffer_m=buffer_m)
        else:
            grid = points_grid(*work_xy(signalements), cell_m=cell_m)
    labels = [str(p) for p in periods]
    in_window = (dates >= periods[0].start_time) & (dates <= periods[-1].end_time)
    cube = count_in_cells(grid, signalements[in_window.to_numpy()], freq=freq)
    cube = cube.reindex(columns=labels, fill_value=0)
    counts = cube.to_numpy(dtype="int64")
    check_enough(counts.sum(axis=1))
    w = queen_weights(grid.reset_index(drop=True), self_weight=True)
    z = gi_star_by_period(counts, w)
    table = classify_trends(z, alpha=alpha, fdr=fdr, trend_alpha=trend_alpha)
    out = grid[["id_carreau", "code_qp", "geometry"]].reset_index(drop=True).copy()
    out["nb_signalements"] = counts.sum(axis=1)
    for column in table.columns:
        out[column] = table[column].to_numpy()
    out = out[list(EMERGING_COLUMNS)]
    out.attrs.update(
        periodes=[period_label(p) for p in periods],
        freq=parse_freq(freq),
        hors_zone=cube.attrs.get("hors_zone", 0),
    )
    return out
