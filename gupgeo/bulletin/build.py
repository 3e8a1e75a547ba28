"""The veille bulletin of a period: what is new, per quartier, and the files behind it.

:func:`build_bulletin` takes a :class:`~gupgeo.publication.Publication` (the one
publication step, :func:`gupgeo.publication.publish`), then reads the cells of the period
(:func:`gupgeo.veille.cells.period_cells`: hot spots of the period's signalements,
emerging hot spots over every period up to the end of it) and the repeated problems of
the period (:func:`gupgeo.veille.problems.repeated_problems`), and summarises them
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

from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from gupgeo._atomic import replacing, write_text
from gupgeo._spreadsheet import write_csv
from gupgeo.coverage import COVERED, OUTSIDE, coverage_lines, layer_coverage, period_reason
from gupgeo.errors import OutputExistsError, SchemaError
from gupgeo.french import quartier_names
from gupgeo.indicators import Period
from gupgeo.publication import SECRET_THRESHOLD, Profil, Publication, Source, as_publication
from gupgeo.veille.cells import SECRET_CLASS, period_cells, publish_cells
from gupgeo.veille.grids import HORS_QPV
from gupgeo.veille.problems import RepeatedProblems, RepeatRule, repeated_problems

if TYPE_CHECKING:
    from gupgeo.maps.base import TerritoryMap

__all__ = ["NEW_KINDS", "SECRET_CLASS", "SUMMARY_COLUMNS", "VeilleBulletin", "build_bulletin"]

NEW_KINDS = ("nouveau point chaud", "point chaud consécutif", "point chaud en intensification")
"""Emerging categories the bulletin lists as new this period."""
SUMMARY_COLUMNS = (
    "nom_qp",
    "nb_signalements",
    "nb_problemes",
    "nb_problemes_repetes",
    "carreaux_chauds",
    "carreaux_nouveaux",
    "carreaux_intensification",
)
OUTPUT_NAMES = ("veille.gpkg", "carreaux.csv", "quartiers.csv", "bulletin.html", "carte.html")


@dataclass(frozen=True)
class VeilleBulletin:
    """The veille of one period: cells, repeated problems and their history, summary.

    ``quartiers`` are the published quartiers (drawn on the map); ``history`` holds one
    row per report of a repeated problem (:attr:`RepeatedProblems.history`).
    ``coverage`` is how the signalements' dates cover the period (``"couverte"``,
    ``"partielle"``, ``"non couverte"``, :mod:`gupgeo.coverage`): when not covered, every
    figure of the summary is ``<NA>`` (« n.c. ») and ``coverage_reason`` says why.
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
    coverage: str = COVERED
    coverage_reason: str | None = None

    @property
    def covered(self) -> bool:
        """Whether the signalements' dates reach the period at all (else every figure is n.c.)."""
        return self.coverage != OUTSIDE

    def html(self) -> str:
        """The bulletin as one self-contained HTML page (French, no external resource)."""
        from gupgeo.rendering.html import render, static_text

        new = self.cells[self.cells["categorie"].isin(NEW_KINDS)]
        top = self.repeated.head(15).copy()
        if "statut" in top.columns:  # a source without statuses: never « clos »
            top["statut"] = (
                top["statut"].astype("object").where(top["statut"].notna(), "statut inconnu")
            )
        return render(
            "veille.html",
            title=f"Veille territoriale — {self.period.label}",
            inline_css=static_text("atlas.css"),
            period=self.period.label,
            publication=self.publication,
            threshold=self.secret_threshold,
            summary=_records(self.summary.reset_index()),
            names={str(k): v for k, v in self.summary["nom_qp"].items()},
            new_cells=new.drop(columns="geometry").to_dict("records"),
            repeated=top.drop(columns="geometry").to_dict("records"),
            notes=list(self.notes),
            missing="secret" if self.covered else "n.c.",
            coverage_reason=self.coverage_reason,
        )

    def map(self, *, basemap: str | None = "plan-ign") -> TerritoryMap:
        """The map of the bulletin: quartiers, hot spots, emerging categories and the
        repeated problems with the history of their reports (offline once saved)."""
        from gupgeo.maps import add_quartiers, base_map
        from gupgeo.maps.veille import add_emerging, add_hotspots, add_repeated

        m = base_map(
            basemap=basemap,
            title=f"Veille territoriale — {self.period.label}",
            subtitle="Points chauds, tendances et problèmes signalés plusieurs fois",
            sources="signalements du territoire",
            publication=self.publication,
        )
        add_quartiers(m, self.quartiers)
        add_hotspots(m, self.cells)
        add_emerging(m, self.cells)
        if len(self.repeated):
            add_repeated(m, self.repeated, self.history)
        return m

    def save(self, output: str | Path, *, basemap: str | None = "plan-ign") -> list[Path]:
        """Write ``veille.gpkg``, ``carreaux.csv``, ``quartiers.csv``, ``bulletin.html``
        and ``carte.html`` (the map, libraries inlined: it opens offline).

        Existing files are never replaced: choose a new folder for each bulletin. Every
        file is written atomically (:mod:`gupgeo._atomic`: under a temporary name, then
        renamed), so an interrupted save leaves no half file; the CSV files are
        spreadsheet-safe (:mod:`gupgeo._spreadsheet`: a text starting with ``=``, ``+``,
        ``-`` or ``@`` is written as text, never as a live formula).
        """
        from gupgeo.maps import save_map

        out = Path(output)
        present = [n for n in OUTPUT_NAMES if (out / n).exists()]
        if present:
            raise OutputExistsError(
                f"le dossier {out} contient déjà {', '.join(present)} : choisir un autre dossier "
                "de sortie (un bulletin n'en remplace jamais un autre)"
            )
        page = self.html()  # rendered before anything is written
        the_map = self.map(basemap=basemap)
        out.mkdir(parents=True, exist_ok=True)
        with replacing(out / "veille.gpkg") as gpkg:
            self.cells.to_file(gpkg, layer="carreaux", driver="GPKG")
            if len(self.repeated):
                frame = self.repeated.copy()
                for column in ("premier", "dernier"):
                    frame[column] = frame[column].dt.strftime("%Y-%m-%d")
                frame.to_file(gpkg, layer="problemes_repetes", driver="GPKG")
        for name, table in (
            ("carreaux.csv", self.cells.drop(columns="geometry")),
            ("quartiers.csv", self.summary.reset_index()),
        ):
            write_csv(table, out / name, sep=";", decimal=",", encoding="utf-8-sig")
        write_text(out / "bulletin.html", page)
        with replacing(out / "carte.html") as carte:
            save_map(the_map, carte)
        return [out / name for name in OUTPUT_NAMES]


def _summary(
    problems: RepeatedProblems, cells: gpd.GeoDataFrame, quartiers: gpd.GeoDataFrame
) -> pd.DataFrame:
    """One row per quartier and hors QPV: reports, problems, hot and new cells."""
    names = quartier_names(quartiers)  # the one naming rule (commune for homonyms)
    names.index = names.index.astype(str)
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
        Repeated-report bounds (:class:`gupgeo.veille.problems.RepeatRule`),
        publication profile (``"partenaires"`` by default, like every product),
        seed of the permutations.
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
    cov = layer_coverage(signalements, "signalements")
    found = period_cells(
        signalements, quartiers, period=period, cell_m=cell_m, freq=freq, seed=seed
    )
    problems = repeated_problems(signalements, quartiers, period=found.period, rule=rule)
    summary = _summary(problems, found.cells, quartiers)
    summary, repeated, history, notes = _published(summary, problems, pub)
    notes.append(f"Signalements répétés : {rule.text()} (pas d'enchaînement de proche en proche).")
    cells = publish_cells(found.cells, pub.profil, threshold=pub.secret_threshold)
    status = cov.status(found.period) if cov is not None else OUTSIDE
    reason = period_reason(cov, found.period) if cov is not None else None
    coverage_notes = coverage_lines([cov], found.period) if cov is not None else []
    analysis_notes = list(found.notes)
    if status == OUTSIDE:  # nothing can be said: n.c., never 0, and no blame on the zone
        summary = _not_computable(summary)
        analysis_notes = []
    return VeilleBulletin(
        found.period,
        pub.profil,
        cells,
        repeated,
        summary,
        (*(f"Couverture : {line}." for line in coverage_notes), *analysis_notes, *notes),
        history,
        quartiers,
        pub.secret_threshold,
        status,
        reason,
    )


def _records(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    """Rows for the template, missing values as None (``pd.NA`` has no truth value)."""
    return frame.astype("object").where(frame.notna(), None).to_dict("records")


def _not_computable(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary of a period the data do not cover: every figure ``<NA>`` (« n.c. »)."""
    out = summary.copy()
    for column in SUMMARY_COLUMNS[1:]:
        out[column] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out
