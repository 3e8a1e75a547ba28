"""The veille bulletin of a period: what is new, per quartier, and the files behind it.

:func:`build_bulletin` takes a :class:`~gupgeo.publication.Publication` (the one
publication step, :func:`gupgeo.publication.publish`), then reads the cells of the period
(:func:`gupgeo.veille.cells.period_cells`: hot spots of the period's signalements,
emerging hot spots over every period up to the end of it) and the repeated problems of
the period (:func:`gupgeo.indicators.problems.repeated_problems`), and summarises them
per quartier. :meth:`VeilleBulletin.save` writes ``veille.gpkg`` (layers ``carreaux``
and ``problemes_repetes``), CSV tables, one self-contained HTML bulletin in French
(rendered by the autoescaped Jinja environment of :mod:`gupgeo.rendering.html`) and
``carte.html``, an offline map of the hot spots, the emerging categories and the
repeated problems with the history of their reports (:mod:`gupgeo.maps.veille`).

Publication profiles apply (:mod:`gupgeo.publication`): the history shows only what
the published signalements hold (``partenaires``: no free text, and no report
identifier); with ``public``, a cell with fewer than ``SECRET_THRESHOLD`` signalements
is never shown as a hot spot (its class becomes "secret statistique" and its count is
withheld, :func:`gupgeo.veille.cells.publish_cells`), repeated problems (point
locations) are left out, and per-quartier counts below the threshold are withheld.
An analysis that cannot be run (too few signalements, too few periods) is reported in
the bulletin's notes instead of stopping the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from gupgeo.errors import OutputExistsError, SchemaError
from gupgeo.indicators import Period
from gupgeo.indicators.problems import RepeatedProblems, RepeatRule, repeated_problems
from gupgeo.publication import SECRET_THRESHOLD, Profil, Publication, Source, as_publication
from gupgeo.veille.cells import SECRET_CLASS, period_cells, publish_cells
from gupgeo.veille.grids import HORS_QPV

if TYPE_CHECKING:
    from gupgeo.maps.base import TerritoryMap

__all__ = ["NEW_KINDS", "SECRET_CLASS", "SUMMARY_COLUMNS", "VeilleBulletin", "build_bulletin"]

NEW_KINDS = ("nouveau point chaud", "point chaud consécutif", "point chaud en intensification")
"""Emerging categories the bulletin lists as new this period."""
SUMMARY_COLUMNS = (
    "nom_qp", "nb_signalements", "nb_problemes", "nb_problemes_repetes", "carreaux_chauds",
    "carreaux_nouveaux", "carreaux_intensification",
)  # fmt: skip
OUTPUT_NAMES = ("veille.gpkg", "carreaux.csv", "quartiers.csv", "bulletin.html", "carte.html")


@dataclass(frozen=True)
class VeilleBulletin:
    """The veille of one period: cells, repeated problems and their history, summary.

    ``quartiers`` are the published quartiers (drawn on the map); ``history`` holds one
    row per report of a repeated problem (:attr:`RepeatedProblems.history`).
    """

    period: Period
    publication: Profil
    cells: gpd.GeoDataFrame
    repeated: gpd.GeoDataFrame
    summary: pd.DataFrame
    notes: tuple[str, ...]
    history: pd.DataFrame
    quartiers: gpd.GeoDataFrame
    secret_threshold: int = SECRET_THRESHOLD

    def html(self) -> str:
        """The bulletin as one self-contained HTML page (French, no external resource)."""
        from gupgeo.rendering.html import render, static_text

        new = self.cells[self.cells["categorie"].isin(NEW_KINDS)]
        top = self.repeated.head(15)
        return render(
            "veille.html",
            title=f"Veille territoriale — {self.period.label}",
            inline_css=static_text("atlas.css"),
            period=self.period.label,
            publication=self.publication,
            threshold=self.secret_threshold,
            summary=self.summary.reset_index().to_dict("records"),
            new_cells=new.drop(columns="geometry").to_dict("records"),
            repeated=top.drop(columns="geometry").to_dict("records"),
            notes=list(self.notes),
        )

    def map(self, *, basemap: str | None = "plan-ign") -> TerritoryMap:
        """The map of the bulletin: quartiers, hot spots, emerging categories and the
        repeated problems with the history of their reports (offline once saved)."""
        from gupgeo.maps import add_quartiers, base_map
        from gupgeo.maps.veille import add_emerging, add_hotspots, add_repeated

        m = base_map(
            basemap=basemap, title=f"Veille territoriale — {self.period.label}",
            subtitle="Points chauds, tendances et problèmes signalés plusieurs fois",
            sources="signalements du territoire", publication=self.publication,
        )  # fmt: skip
        add_quartiers(m, self.quartiers)
        add_hotspots(m, self.cells)
        add_emerging(m, self.cells)
        if len(self.repeated):
            add_repeated(m, self.repeated, self.history)
        return m

    def save(self, output: str | Path, *, basemap: str | None = "plan-ign") -> list[Path]:
        """Write ``veille.gpkg``, ``carreaux.csv``, ``quartiers.csv``, ``bulletin.html``
        and ``carte.html`` (the map, libraries inlined: it opens offline).

        Existing files are never replaced: choose a new folder for each bulletin.
        """
        from gupgeo.maps import save_map

        out = Path(output)
        present = [n for n in OUTPUT_NAMES if (out / n).exists()]
        if present:
            raise OutputExistsError(
                f"le dossier {out} contient déjà {', '.join(present)} : choisir un autre dossier "
                "de sortie (un bulletin n'en remplace jamais un autre)"
            )
        out.mkdir(parents=True, exist_ok=True)
        gpkg = out / "veille.gpkg"
        self.cells.to_file(gpkg, layer="carreaux", driver="GPKG")
        if len(self.repeated):
            frame = self.repeated.copy()
            for column in ("premier", "dernier"):
                frame[column] = frame[column].dt.strftime("%Y-%m-%d")
            frame.to_file(gpkg, layer="problemes_repetes", driver="GPKG")
        for name, table in (
            ("carreaux.csv", self.cells.drop(columns="geometry")),
            ("quartiers.csv", self.summary),
        ):
            table.to_csv(
                out / name, sep=";", decimal=",", encoding="utf-8-sig",
                index=name == "quartiers.csv",
            )  # fmt: skip
        (out / "bulletin.html").write_text(self.html(), encoding="utf-8")
        save_map(self.map(basemap=basemap), out / "carte.html")
        return [out / name for name in OUTPUT_NAMES]


def _summary(
    problems: RepeatedProblems, cells: gpd.GeoDataFrame, quartiers: gpd.GeoDataFrame
) -> pd.DataFrame:
    """One row per quartier and hors QPV: reports, problems, hot and new cells."""
    names = quartiers.set_index(quartiers["code_qp"].astype(str))["nom_qp"]
    codes = [*names.index, HORS_QPV]
    summary = problems.table.reindex(codes)
    summary["nom_qp"] = names.reindex(codes).fillna("hors quartiers").to_numpy()
    by_qp = cells.groupby("code_qp")
    summary["carreaux_chauds"] = (
        by_qp["classe"]
        .agg(lambda c: c.isin(["point chaud 99 %", "point chaud 95 %"]).sum())
        .reindex(codes, fill_value=0)
    )
    summary["carreaux_nouveaux"] = (
        by_qp["categorie"].agg(lambda c: c.isin(NEW_KINDS[:2]).sum()).reindex(codes, fill_value=0)
    )
    summary["carreaux_intensification"] = (
        by_qp["categorie"].agg(lambda c: (c == NEW_KINDS[2]).sum()).reindex(codes, fill_value=0)
    )
    return summary[list(SUMMARY_COLUMNS)]


def _published(
    summary: pd.DataFrame, problems: RepeatedProblems, pub: Publication
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, pd.DataFrame, list[str]]:
    """Summary, repeated problems and history as the profile may show them, with notes."""
    repeated, history = problems.groups, problems.history
    if pub.secret:
        threshold = pub.secret_threshold
        summary = summary.copy()
        for column in ("nb_signalements", "nb_problemes", "nb_problemes_repetes"):
            summary[column] = summary[column].astype("Int64").mask(summary[column] < threshold)
        note = (
            f"Profil public : carreaux et effectifs de moins de {threshold} signalements "
            "non diffusés (secret statistique) ; signalements répétés non localisés."
        )
        return summary, repeated.iloc[0:0], history.iloc[0:0], [note]
    if pub.masks:
        repeated = repeated.drop(columns="ids")
        history = history.drop(columns=["id"], errors="ignore")
    return summary, repeated, history, []


def build_bulletin(
    source: Publication | Source,
    *,
    period: object,
    cell_m: float = 200.0,
    freq: str = "month",
    radius_m: float = 20.0,
    days: float = 30.0,
    publication: Profil | str | None = None,
    seed: int = 0,
) -> VeilleBulletin:
    """The veille bulletin of ``period`` for an attributed territory.

    Parameters
    ----------
    source
        A :class:`~gupgeo.publication.Publication` with ``quartiers`` and attributed
        ``signalements``; or a territory (attributed or not) or a mapping of layers,
        published here, at the door, for ``publication`` (default ``partenaires``).
    period
        The period of the bulletin (``"2024-T4"``, ``"2024-11"``, a range…).
    cell_m, freq
        Cell side in metres; length of a period of the emerging analysis.
    radius_m, days, publication, seed
        Repeated-report bounds (:class:`gupgeo.indicators.problems.RepeatRule`),
        publication profile, seed of the permutations.
    """
    rule = RepeatRule(radius_m=radius_m, days=days)
    pub = as_publication(source, publication)
    layers = pub.layers
    if "signalements" not in layers or "quartiers" not in layers:
        raise SchemaError("veille : le territoire doit avoir les couches quartiers et signalements")
    if "code_qp" not in layers["signalements"].columns:
        raise SchemaError(
            "veille : signalements non rattachés (gupgeo.attribute_territory d'abord)"
        )
    signalements, quartiers = layers["signalements"], layers["quartiers"]
    found = period_cells(
        signalements, quartiers, period=period, cell_m=cell_m, freq=freq, seed=seed
    )
    problems = repeated_problems(signalements, quartiers, period=found.period, rule=rule)
    summary = _summary(problems, found.cells, quartiers)
    summary, repeated, history, notes = _published(summary, problems, pub)
    notes.append(f"Signalements répétés : {rule.text()} (pas d'enchaînement de proche en proche).")
    cells = publish_cells(found.cells, pub.profil, threshold=pub.secret_threshold)
    return VeilleBulletin(
        found.period, pub.profil, cells, repeated, summary, (*found.notes, *notes), history,
        quartiers, pub.secret_threshold,
    )  # fmt: skip
