"""The veille of a period on the grid: each cell's hot spot class and emerging category.

:func:`period_cells` runs, on one INSEE-aligned grid of the quartiers and their
surroundings, the hot spots of the period's signalements
(:func:`gupgeo.veille.hotspots.hotspots`) and the emerging hot spots of every period up
to the end of it (:func:`gupgeo.veille.emerging.emerging_hotspots`). An analysis that
cannot be run (too few signalements, too few periods) is said in French
(:attr:`PeriodCells.hot_error`, :attr:`PeriodCells.trend_error`) instead of stopping
the other: a page can then say *why* nothing is significant.

:func:`publish_cells` applies a publication profile (``public``: a cell with fewer than
the secrecy threshold's signalements is never shown as a hot spot nor with its count);
:func:`cells_near` keeps the cells around a place. The bulletin, the atlas and the
operation review all read these, so a cell has one class in every product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.crs import to_work_crs
from gupgeo.errors import AnalysisError
from gupgeo.french import MONTHS
from gupgeo.periods import Period, parse_freq, parse_period
from gupgeo.publication import SECRET_THRESHOLD, check_profile
from gupgeo.veille.emerging import AUCUNE_TENDANCE, emerging_hotspots
from gupgeo.veille.grids import square_grid
from gupgeo.veille.hotspots import NON_SIGNIFICATIF, hotspots

CELL_COLUMNS = (
    "id_carreau",
    "code_qp",
    "nb_signalements",
    "z_score",
    "p_value",
    "classe",
    "categorie",
    "tendance_z",
    "nb_signalements_historique",
    "geometry",
)
NOT_COMPUTED = "non calculé"
"""Class or category of every cell when its analysis could not be run."""
SECRET_CLASS = "secret statistique"
"""Class or category of a cell withheld by the ``public`` profile."""
HOT_CLASSES = ("point chaud 99 %", "point chaud 95 %", "point chaud 90 %")
"""Hot spot bins, most confident first."""
_PERIOD_WORDS = {"month": "mois", "quarter": "trimestres", "year": "années"}
_PANDAS_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_PANDAS_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def period_words(label: str) -> str:
    """A period of the emerging analysis as a reader writes it (pandas labels them
    ``2024Q1``, ``2024-03``, ``2024``).

    Examples
    --------
    >>> period_words("2016Q1"), period_words("2024-03"), period_words("2024")
    ('T1 2016', 'mars 2024', '2024')
    """
    if m := _PANDAS_QUARTER.match(label):
        return f"T{m[2]} {m[1]}"
    if m := _PANDAS_MONTH.match(label):
        return f"{MONTHS[int(m[2]) - 1]} {m[1]}"
    return label


@dataclass(frozen=True)
class PeriodCells:
    """Every cell of the study area with its findings for one period.

    Attributes
    ----------
    cells
        Columns :data:`CELL_COLUMNS` (EPSG:2154): ``nb_signalements``, ``classe`` of
        the period; ``categorie`` (emerging), ``nb_signalements_historique`` of the
        periods analysed up to its end.
    hot_error, trend_error
        Why the hot spots / the emerging categories were not computed (French), or "".
    periods
        Labels of the periods of the emerging analysis (the final one last).
    """

    period: Period
    cells: gpd.GeoDataFrame
    hot_error: str
    trend_error: str
    periods: tuple[str, ...]
    freq: str
    cell_m: float

    @property
    def trend_span(self) -> str:
        """``36 mois, de janvier 2022 à décembre 2024`` (empty when not computed)."""
        if not self.periods:
            return ""
        words = _PERIOD_WORDS.get(self.freq, "périodes")
        first, last = period_words(self.periods[0]), period_words(self.periods[-1])
        return f"{len(self.periods)} {words}, de {first} à {last}"

    @property
    def notes(self) -> tuple[str, ...]:
        """What was computed, on what, or why not (French)."""
        notes = []
        if self.hot_error:
            notes.append(f"Points chauds de la période non calculés : {self.hot_error}")
        if self.trend_error:
            notes.append(f"Points chauds émergents non calculés : {self.trend_error}")
        else:
            notes.append(f"Tendances calculées sur {self.trend_span}.")
        return tuple(notes)


def _hot_columns(
    cells: gpd.GeoDataFrame, current: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, seed: int
) -> str:
    """Add the period's hot spot columns to ``cells``; the French reason when impossible."""
    try:
        hot = hotspots(current, grid=grid, seed=seed)
    except AnalysisError as exc:
        cells["nb_signalements"] = 0
        cells["z_score"] = np.nan
        cells["p_value"] = np.nan
        cells["classe"] = NOT_COMPUTED
        return exc.reason
    for column in ("nb_signalements", "z_score", "p_value", "classe"):
        cells[column] = hot[column].to_numpy()
    return ""


def _trend_columns(
    cells: gpd.GeoDataFrame, history: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, freq: str
) -> tuple[str, tuple[str, ...]]:
    """Add the emerging columns to ``cells``; (the reason when impossible, the periods)."""
    try:
        emerging = emerging_hotspots(history, grid=grid, freq=freq)
    except AnalysisError as exc:
        cells["categorie"] = NOT_COMPUTED
        cells["tendance_z"] = np.nan
        cells["nb_signalements_historique"] = 0
        return exc.reason, ()
    cells["categorie"] = emerging["categorie"].to_numpy()
    cells["tendance_z"] = emerging["tendance_z"].to_numpy()
    cells["nb_signalements_historique"] = emerging["nb_signalements"].to_numpy()
    return "", tuple(emerging.attrs["periodes"])


def period_cells(
    signalements: gpd.GeoDataFrame,
    quartiers: gpd.GeoDataFrame,
    *,
    period: object,
    cell_m: float = 200.0,
    freq: str = "month",
    seed: int = 0,
) -> PeriodCells:
    """Hot spots of ``period`` and emerging categories up to its end, on one grid.

    Parameters
    ----------
    signalements
        Point layer with a CRS and ``date_signalement`` (every date: the emerging
        analysis reads the periods before ``period`` too).
    quartiers
        The quartiers: the study area is their union plus 500 m.
    period
        ``"2024"``, ``"2024-T4"``, a range or a :class:`Period`.
    cell_m, freq, seed
        Cell side in metres, length of a period of the emerging analysis, seed of the
        permutations (the same seed gives the same classes).
    """
    p = parse_period(period)
    grid = square_grid(cell_m=cell_m, quartiers=quartiers)
    dates = pd.to_datetime(signalements["date_signalement"], errors="coerce")
    current = signalements[((dates >= p.start) & (dates < p.end)).to_numpy()]
    history = signalements[(dates < p.end).to_numpy()]
    cells = grid[["id_carreau", "code_qp", "geometry"]].copy()
    hot_error = _hot_columns(cells, current, grid, seed)
    trend_error, periods = _trend_columns(cells, history, grid, freq)
    cells = cells[list(CELL_COLUMNS)].reset_index(drop=True)
    return PeriodCells(p, cells, hot_error, trend_error, periods, parse_freq(freq), cell_m)


def publish_cells(
    cells: gpd.GeoDataFrame, publication: str, *, threshold: int = SECRET_THRESHOLD
) -> gpd.GeoDataFrame:
    """The cells as ``publication`` may show them.

    ``public``: a cell with fewer than ``threshold`` signalements in the period is never
    a hot or cold spot (its class becomes :data:`SECRET_CLASS` unless non significant)
    and its count is withheld; the same for the emerging category and the count of the
    periods analysed; z-scores and p-values are dropped (they would give counts back).
    Other profiles: unchanged.
    """
    if not check_profile(publication).secret:
        return cells
    cells = cells.copy()
    small = (cells["nb_signalements"] < threshold).to_numpy()
    shown = cells["classe"].isin([NON_SIGNIFICATIF, NOT_COMPUTED]).to_numpy()
    cells.loc[small & ~shown, "classe"] = SECRET_CLASS
    cells["nb_signalements"] = cells["nb_signalements"].astype("Int64").mask(small)
    small_history = (cells["nb_signalements_historique"] < threshold).to_numpy()
    no_trend = cells["categorie"].isin([AUCUNE_TENDANCE, NOT_COMPUTED]).to_numpy()
    cells.loc[small_history & ~no_trend, "categorie"] = SECRET_CLASS
    cells["nb_signalements_historique"] = (
        cells["nb_signalements_historique"].astype("Int64").mask(small_history)
    )
    return cells.drop(columns=["z_score", "p_value", "tendance_z"])


def most_cited_address(
    cells: gpd.GeoDataFrame, signalements: gpd.GeoDataFrame, *, column: str = "adresse"
) -> pd.Series:
    """The most cited ``column`` of the signalements in each cell (ties: the first
    alphabetically; None when the cell holds none), aligned on ``cells``.

    Pass the signalements of the period and only the cells to describe (the hot
    ones): the points are matched to the cells' polygons.
    """
    named = np.full(len(cells), None, dtype=object)
    out = pd.Series(named, index=cells.index, dtype="object")
    if column not in signalements.columns or len(cells) == 0 or len(signalements) == 0:
        return out
    points = to_work_crs(signalements, name="signalements")
    cell_pos, point_pos = points.sindex.query(
        np.asarray(cells.geometry.array), predicate="intersects"
    )
    values = points[column].astype("object").to_numpy()[point_pos]
    frame = pd.DataFrame({"cell": cell_pos, "value": values}).dropna()
    if frame.empty:
        return out
    counts = frame.groupby(["cell", "value"]).size().reset_index(name="n")
    counts = counts.sort_values(["cell", "n", "value"], ascending=[True, False, True])
    best = counts.drop_duplicates("cell")
    named[best["cell"].to_numpy()] = best["value"].to_numpy()
    return pd.Series(named, index=cells.index, dtype="object")


def cells_near(
    cells: gpd.GeoDataFrame, geometry: shapely.Geometry, *, distance_m: float
) -> gpd.GeoDataFrame:
    """The cells within ``distance_m`` metres of ``geometry`` (Lambert-93), in grid order."""
    area = shapely.buffer(geometry, distance_m) if distance_m > 0 else geometry
    rows = np.sort(cells.sindex.query(area, predicate="intersects"))
    return cells.iloc[rows]


__all__ = [
    "CELL_COLUMNS",
    "HOT_CLASSES",
    "NOT_COMPUTED",
    "SECRET_CLASS",
    "PeriodCells",
    "cells_near",
    "most_cited_address",
    "period_cells",
    "publish_cells",
]
