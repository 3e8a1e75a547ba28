"""The review of one perimeter, as data: what :func:`gupgeo.review.review_operation`
found, and the report rendered from it. The model imports none of its renderers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gupgeo.review import data as rd
from gupgeo.review.veille import ReviewVeille

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OperationReview:
    """The review of one perimeter: tables (DataFrames), notes, map, and its HTML.

    Attributes
    ----------
    name, operation_id, source
        What was reviewed (``operation_id`` is None for a perimeter from a file).
    perimeter
        The perimeter (Lambert-93) and ``buffer_m``, the width of the surroundings.
    windows
        Time windows (whole window; before/after delivery when delivered).
    signalements_by_category, signalements_by_quarter, before_after
        Counts per category and zone, per quarter and zone, and per month before/after
        the delivery (None when not delivered).
    signalements, constats, equipements
        The features near the perimeter (Lambert-93, with ``zone``): signalements of
        the window, constats allowed by the profile, équipements with
        ``contrainte_gestion`` and ``distance_m``.
    garanties
        Guarantee calls on the operation and on the équipements of its perimeter.
    signalements_grid
        ``public`` only: the published grid (:func:`gupgeo.publication.aggregate_to_grid`)
        of the window's signalements, whole cells around the perimeter — the only
        signalement geography a public report draws.
    veille
        Hot spots, emerging categories and repeated problems of the window in the
        perimeter and its abords (:class:`gupgeo.review.veille.ReviewVeille`; None
        without signalements).
    """

    name: str
    operation_id: str | None
    source: str
    perimeter: gpd.GeoDataFrame
    buffer_m: float
    months: int
    windows: rd.Windows
    publication: str
    signalements_by_category: pd.DataFrame
    signalements_by_quarter: pd.DataFrame
    before_after: pd.DataFrame | None
    signalements: gpd.GeoDataFrame
    constats: gpd.GeoDataFrame
    equipements: gpd.GeoDataFrame
    garanties: pd.DataFrame
    record: dict[str, Any]
    notes: tuple[str, ...]
    map_html: str
    build_date: pd.Timestamp
    quartier_name: str | None = None
    signalements_grid: gpd.GeoDataFrame | None = None
    veille: ReviewVeille | None = None
    html: str = ""
    """The rendered report (:func:`gupgeo.review.html.render_review`), set by
    :func:`gupgeo.review.review_operation`."""

    def to_html(self) -> str:
        """The report as one self-contained HTML document (French)."""
        return self.html

    def save(self, path: str | Path) -> Path:
        """Write the report (one HTML file, offline) and return its path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.to_html(), encoding="utf-8")
        logger.info("revue de l'opération %s écrite : %s", self.name, target)
        return target

    def _repr_html_(self) -> str:
        return self.to_html()
