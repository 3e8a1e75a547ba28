"""The veille of the atlas: computed once for the territory, then cut per quartier.

Hot spots, emerging categories (:func:`gupgeo.veille.cells.period_cells`, published
for the profile) and repeated problems
(:func:`gupgeo.veille.problems.repeated_problems`) are computed once, on the
published territory and the whole study area (every quartier, whatever the pages
selected: a cell has the same class on every page). Each page then receives the
cells of its quartier and of ``NEAR_M`` metres around, the cells of its map frame,
and its own problems (those whose first report lies in the quartier, numbered from 1).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.periods import Period
from gupgeo.publication import Profil
from gupgeo.rendering.veille import LIEU, SectionText, VeilleSection, compose_section
from gupgeo.veille.cells import (
    HOT_CLASSES,
    PeriodCells,
    cells_near,
    most_cited_address,
    period_cells,
    publish_cells,
)
from gupgeo.veille.problems import RepeatedProblems, RepeatRule, repeated_problems

NEAR_M = 200.0
"""Cells within this distance of a quartier are shown on its page ("à proximité")."""
INSIDE, NEAR = "dans le quartier", "à proximité"
FIGURES = (
    ("Problèmes signalés plusieurs fois", "nb_problemes_repetes"),
    ("Signalements de ces problèmes", "nb_signalements_repetes"),
    ("Problèmes encore ouverts", "nb_problemes_repetes_ouverts"),
)
"""Key figures of the section: label, column of the indicator table ``problemes_repetes``."""
INDICATOR = "problemes_repetes"
LISTED = 20
"""Most problems listed on a page (and numbered on its maps); the others are counted."""


@dataclass(frozen=True)
class AtlasVeille:
    """The veille of the whole atlas (cells already published for the profile).

    ``signalements``: those of the period, to name the hot cells by their most cited
    address (None in ``public``, whose pages give no address).
    """

    found: PeriodCells
    problems: RepeatedProblems
    signalements: gpd.GeoDataFrame | None


@dataclass(frozen=True)
class QuartierVeille:
    """One page's share of the veille (picklable)."""

    found: PeriodCells
    """The cells of the quartier and around (column ``lieu``)."""
    map_cells: gpd.GeoDataFrame
    """The cells of the page's map frame."""
    problems: RepeatedProblems
    """The quartier's row and problems (``rang`` from 1)."""


def atlas_veille(
    territory: Any, period: Period, *, options: Any, publication: str, threshold: int
) -> AtlasVeille | None:
    """The veille of the published ``territory`` (None without point signalements)."""
    sig = territory.get("signalements")
    quartiers = territory["quartiers"]
    if not isinstance(sig, gpd.GeoDataFrame) or "code_qp" not in sig.columns:
        return None
    found = period_cells(
        sig, quartiers, period=period, cell_m=options.veille_cell_m, freq=options.veille_freq
    )
    found = dataclasses.replace(
        found, cells=publish_cells(found.cells, publication, threshold=threshold)
    )
    rule = RepeatRule(radius_m=options.repeat_radius_m, days=options.repeat_days)
    problems = repeated_problems(sig, quartiers, period=period, rule=rule)
    dates = pd.to_datetime(sig["date_signalement"], errors="coerce")
    current = sig[((dates >= period.start) & (dates < period.end)).to_numpy()]
    return AtlasVeille(found, problems, current if Profil.parse(publication).locates else None)


def quartier_veille(
    veille: AtlasVeille, code: str, geometry: shapely.Geometry, frame: shapely.Geometry
) -> QuartierVeille:
    """The page of ``code``: its cells (``lieu``), its map frame's cells, its problems."""
    cells = veille.found.cells
    near = cells_near(cells, geometry, distance_m=NEAR_M).copy()
    inside = (near["code_qp"].astype("object") == code).to_numpy()
    near[LIEU] = np.where(inside, INSIDE, NEAR)
    if veille.signalements is not None:
        hot = near["classe"].isin(HOT_CLASSES).to_numpy()
        near["adresse"] = None
        near.loc[hot, "adresse"] = most_cited_address(near[hot], veille.signalements)
    in_frame = cells.iloc[np.sort(cells.sindex.query(frame, predicate="intersects"))]
    found = dataclasses.replace(veille.found, cells=near)
    return QuartierVeille(found, in_frame, veille.problems.of_quartier(code))


def quartier_section(
    page: QuartierVeille,
    code: str,
    *,
    publication: str,
    threshold: int,
    max_rows: int,
    uncovered: str = "",
) -> VeilleSection:
    """The "Veille territoriale" section of the quartier's page.

    ``uncovered``: why the signalements do not cover the period (its figures then read
    "n.c.", never 0).
    """
    public = not Profil.parse(publication).locates
    found, problems = page.found, page.problems
    row = problems.table.loc[code] if code in problems.table.index else None
    counts = [
        (label, None if row is None else row[column], f"{INDICATOR}:{column}")
        for label, column in FIGURES
    ]
    return compose_section(
        found,
        problems.groups,
        _quartier_text(found),
        counts=counts,
        rule_text=problems.rule.text(),
        public=public,
        threshold=threshold,
        max_rows=min(max_rows, LISTED),
        uncovered=uncovered,
    )


def _quartier_text(found: PeriodCells) -> SectionText:
    """What the section of a quartier's page says of the quartier and its surroundings."""
    return SectionText(
        lead=(
            f"Ce qui se concentre, émerge ou revient dans le quartier et à moins de "
            f"{NEAR_M:g} m, période {found.period.label}."
        ),
        hot_title="Points chauds de la période",
        where=f"dans le quartier ou à moins de {NEAR_M:g} m",
        nowhere=f"dans le quartier ni à moins de {NEAR_M:g} m",
        span="la période",
        near=f"« à proximité » : à moins de {NEAR_M:g} m du quartier",
        listed=(
            "Problèmes dont le premier signalement est dans le quartier, du plus signalé au "
            "moins signalé ; numéros reportés sur la carte imprimée, historique de chaque "
            "signalement sur la carte interactive."
        ),
        none_repeated=(
            "Aucun problème signalé plusieurs fois dont le premier signalement est dans le "
            "quartier."
        ),
        caption="Problèmes signalés plusieurs fois",
    )
