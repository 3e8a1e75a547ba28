"""What is emerging around an operation: the veille of its perimeter and abords.

"Alimenter le projet urbain": the review of an operation says, for its window, which
cells of the perimeter and its abords are significant hot spots, which are new,
intensifying or persistent over the months up to the end of the window, and which
problems were reported several times there.

- The cells come from the whole study area (every quartier and 500 m around,
  :func:`gupgeo.veille.cells.period_cells`), so a cell has the class it has in the
  atlas for the same period; they are then cut to those touching the perimeter
  buffered by ``buffer_m`` and published for the profile.
- Repeated problems (:func:`gupgeo.veille.problems.repeated_problems`) are those
  whose first report lies in the perimeter or its abords (the rule of
  :func:`gupgeo.review.data.layer_near`), grouped among the published signalements
  the review reads (the perimeter plus a margin wider than any group).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.periods import parse_period
from gupgeo.publication import Profil
from gupgeo.rendering.veille import LIEU
from gupgeo.review import data as rd
from gupgeo.veille.cells import (
    HOT_CLASSES,
    PeriodCells,
    cells_near,
    most_cited_address,
    period_cells,
    publish_cells,
)
from gupgeo.veille.problems import RepeatedProblems, RepeatRule, repeated_problems

COUNTS = ("nb_problemes_repetes", "nb_signalements_repetes", "nb_problemes_repetes_ouverts")


@dataclass(frozen=True)
class ReviewVeille:
    """The veille of a review's window around its perimeter (published).

    ``found.cells`` are the cells touching the perimeter or its abords (``lieu``);
    ``problems`` the repeated problems whose first report lies there (``rang``,
    ``lieu``), ``history`` their reports; ``counts`` their figures
    (:data:`COUNTS`).
    """

    found: PeriodCells
    problems: gpd.GeoDataFrame
    history: pd.DataFrame
    rule: RepeatRule
    counts: dict[str, float]


def window_period(w: rd.Windows) -> object:
    """The review's window as a period (both days included)."""
    last = w.end - pd.Timedelta(days=1)
    return parse_period(f"{w.start:%Y-%m-%d}/{last:%Y-%m-%d}")


def _cells(
    found: PeriodCells,
    perimeter: shapely.Geometry,
    buffer_m: float,
    published: gpd.GeoDataFrame,
    publication: str,
) -> PeriodCells:
    """The published cells of the perimeter and its abords, hot ones named by address."""
    near = cells_near(publish_cells(found.cells, publication), perimeter, distance_m=buffer_m)
    near = near.copy()
    touches = shapely.intersects(np.asarray(near.geometry.array), perimeter)
    near[LIEU] = np.where(touches, rd.PERIMETRE, rd.ABORDS)
    if Profil.parse(publication).locates:
        hot = near["classe"].isin(HOT_CLASSES).to_numpy()
        near["adresse"] = None
        near.loc[hot, "adresse"] = most_cited_address(near[hot], published)
    return dataclasses.replace(found, cells=near)


def _problems_around(
    problems: RepeatedProblems, perimeter: shapely.Geometry, buffer_m: float
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, float]]:
    """The repeated problems first reported in the perimeter or its abords; the count of
    open ones is NaN (« n.c. ») when none of them has a status."""
    groups = problems.groups
    near = rd.layer_near(groups, perimeter, buffer_m) if len(groups) else groups.assign(zone="")
    near = near.rename(columns={"zone": LIEU}).reset_index(drop=True)
    near.insert(0, "rang", np.arange(1, len(near) + 1))
    history = problems.history[problems.history["id_probleme"].isin(near["id_probleme"])]
    known = near["nb_ouverts"].notna().to_numpy(dtype=bool) if len(near) else np.zeros(0, bool)
    counts: dict[str, float] = {
        "nb_problemes_repetes": len(near),
        "nb_signalements_repetes": int(near["nb_signalements"].sum()) if len(near) else 0,
        # Problems whose reports have no status at all (DansMaRue…): n.c., never 0 open.
        "nb_problemes_repetes_ouverts": (
            int((near.loc[known, "nb_ouverts"] > 0).sum())
            if known.any() or not len(near)
            else float("nan")
        ),
    }
    return near, history.reset_index(drop=True), counts


def review_veille(
    whole: gpd.GeoDataFrame | None,
    published: gpd.GeoDataFrame | None,
    quartiers: gpd.GeoDataFrame,
    *,
    perimeter: shapely.Geometry,
    buffer_m: float,
    window: rd.Windows,
    publication: str,
    rule: RepeatRule | None = None,
) -> ReviewVeille | None:
    """The veille around ``perimeter`` for the review's window (None without signalements).

    Parameters
    ----------
    whole
        Every signalement of the territory (for the cells of the whole study area).
    published
        The published signalements the review reads (texts as the profile shows them).
    quartiers
        The quartiers (the study area of the cells).
    """
    if not isinstance(whole, gpd.GeoDataFrame) or not isinstance(published, gpd.GeoDataFrame):
        return None
    period = window_period(window)
    found = period_cells(whole, quartiers, period=period)
    dates = pd.to_datetime(published["date_signalement"], errors="coerce")
    in_window = published[((dates >= window.start) & (dates < window.end)).to_numpy()]
    cells = _cells(found, perimeter, buffer_m, in_window, publication)
    rule = rule or RepeatRule()
    problems = repeated_problems(published, quartiers, period=period, rule=rule)
    near, history, counts = _problems_around(problems, perimeter, buffer_m)
    if not Profil.parse(publication).locates:  # counted, never located
        near, history = near.iloc[0:0], history.iloc[0:0]
    return ReviewVeille(cells, near, history, rule, counts)


__all__ = ["COUNTS", "LIEU", "ReviewVeille", "review_veille", "window_period"]
