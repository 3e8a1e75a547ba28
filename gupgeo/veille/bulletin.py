"""The veille bulletin of a period: what is new, per quartier, and the files behind it.

:func:`build_bulletin` runs the three analyses on a territory for one period —
hot spots of the period's signalements, emerging hot spots over every period up to the
end of it, repeated reports of the period — and summarises them per quartier.
:meth:`VeilleBulletin.save` writes ``veille.gpkg`` (layers ``carreaux`` and
``problemes_repetes``), CSV tables and one self-contained HTML bulletin in French
(rendered by the autoescaped Jinja environment of :mod:`gupgeo.rendering.html`).

Publication profiles apply (:mod:`gupgeo.publication`): with ``public``, a cell with
fewer than ``SECRET_THRESHOLD`` signalements is never shown as a hot spot (its class
becomes "secret statistique" and its count is withheld), repeated-report groups (point
locations) are left out, and per-quartier counts below the threshold are withheld.
An analysis that cannot be run (too few signalements, too few periods) is reported in
the bulletin's notes instead of stopping the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gupgeo.errors import AnalysisError, OutputExistsError, SchemaError
from gupgeo.indicators import Period, parse_period
from gupgeo.publication import SECRET_THRESHOLD, check_profile
from gupgeo.veille.emerging import emerging_hotspots
from gupgeo.veille.grids import HORS_QPV, square_grid
from gupgeo.veille.hotspots import hotspots
from gupgeo.veille.repeated import problems_by_quartier, repeated_reports, report_groups

SECRET_CLASS = "secret statistique"
NEW_KINDS = ("nouveau point chaud", "point chaud consécutif", "point chaud en intensification")
"""Emerging categories the bulletin lists as new this period."""
SUMMARY_COLUMNS = (
    "nom_qp", "nb_signalements", "nb_problemes", "nb_problemes_repetes", "carreaux_chauds",
    "carreaux_nouveaux", "carreaux_intensification",
)  # fmt: skip


@dataclass(frozen=True)
class VeilleBulletin:
    """The veille of one period: cells, repeated problems, per-quartier summary."""

    period: Period
    publication: str
    cells: gpd.GeoDataFrame
    repeated: gpd.GeoDataFrame
    summary: pd.DataFrame
    notes: tuple[str, ...]

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
            threshold=SECRET_THRESHOLD,
            summary=self.summary.reset_index().to_dict("records"),
            new_cells=new.drop(columns="geometry").to_dict("records"),
            repeated=top.drop(columns="geometry").to_dict("records"),
            notes=list(self.notes),
        )

    def save(self, output: str | Path) -> list[Path]:
        """Write ``veille.gpkg``, ``carreaux.csv``, ``quartiers.csv``, ``bulletin.html``.

        Existing files are never replaced: choose a new folder for each bulletin.
        """
        out = Path(output)
        names = ("veille.gpkg", "carreaux.csv", "quartiers.csv", "bulletin.html")
        present = [n for n in names if (out / n).exists()]
        if present:
            raise OutputExistsError(
                f"le dossier {out} contient déjà {', '.join(present)} : choisir un autre dossier "
                "de sortie (un bulletin n'en remplace jamais un autre)"
            )
        out.mkdir(parents=True, exist_ok=True)
        written = []
        gpkg = out / "veille.gpkg"
        self.cells.to_file(gpkg, layer="carreaux", driver="GPKG")
        if len(self.repeated):
            frame = self.repeated.copy()
            for column in ("premier", "dernier"):
                frame[column] = frame[column].dt.strftime("%Y-%m-%d")
            frame.to_file(gpkg, layer="problemes_repetes", driver="GPKG")
        written.append(gpkg)
        for name, table in (
            ("carreaux.csv", self.cells.drop(columns="geometry")),
            ("quartiers.csv", self.summary),
        ):
            table.to_csv(
                out / name,
                sep=";",
                decimal=",",
                encoding="utf-8-sig",
                index=name == "quartiers.csv",
            )
            written.append(out / name)
        (out / "bulletin.html").write_text(self.html(), encoding="utf-8")
        written.append(out / "bulletin.html")
        return written


def _grid_and_cells(
    signalements: gpd.GeoDataFrame,
    history: gpd.GeoDataFrame,
    quartiers: gpd.GeoDataFrame,
    *,
    cell_m: float,
    freq: str,
    seed: int,
    notes: list[str],
) -> gpd.GeoDataFrame:
    grid = square_grid(cell_m=cell_m, quartiers=quartiers)
    cells = grid[["id_carreau", "code_qp", "geometry"]].copy()
    try:
        hot = hotspots(signalements, grid=grid, seed=seed)
        for column in ("nb_signalements", "z_score", "p_value", "classe"):
            cells[column] = hot[column].to_numpy()
    except AnalysisError as exc:
        notes.append(f"Points chauds de la période non calculés : {exc}")
        cells["nb_signalements"] = 0
        cells["z_score"] = np.nan
        cells["p_value"] = np.nan
        cells["classe"] = "non calculé"
    try:
        emerging = emerging_hotspots(history, grid=grid, freq=freq)
        cells["categorie"] = emerging["categorie"].to_numpy()
        cells["tendance_z"] = emerging["tendance_z"].to_numpy()
        cells["nb_signalements_historique"] = emerging["nb_signalements"].to_numpy()
        periods = emerging.attrs["periodes"]
        notes.append(
            f"Tendances calculées sur {len(periods)} périodes, de {periods[0]} à {periods[-1]}."
        )
    except AnalysisError as exc:
        notes.append(f"Points chauds émergents non calculés : {exc}")
        cells["categorie"] = "non calculé"
        cells["tendance_z"] = np.nan
        cells["nb_signalements_historique"] = 0
    return cells


def _publish(
    cells: gpd.GeoDataFrame, summary: pd.DataFrame, publication: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    if publication != "public":
        return cells, summary
    cells = cells.copy()
    small = cells["nb_signalements"] < SECRET_THRESHOLD
    cells.loc[small & (cells["classe"] != "non significatif"), "classe"] = SECRET_CLASS
    cells["nb_signalements"] = cells["nb_signalements"].astype("Int64").mask(small)
    small_history = cells["nb_signalements_historique"] < SECRET_THRESHOLD
    cells.loc[small_history & (cells["categorie"] != "aucune tendance"), "categorie"] = SECRET_CLASS
    cells["nb_signalements_historique"] = (
        cells["nb_signalements_historique"].astype("Int64").mask(small_history)
    )
    cells = cells.drop(columns=["z_score", "p_value", "tendance_z"])
    summary = summary.copy()
    for column in ("nb_signalements", "nb_problemes", "nb_problemes_repetes"):
        summary[column] = summary[column].astype("Int64").mask(summary[column] < SECRET_THRESHOLD)
    return cells, summary


def build_bulletin(
    territory: object,
    *,
    period: object,
    cell_m: float = 200.0,
    freq: str = "month",
    radius_m: float = 20.0,
    days: float = 30.0,
    publication: str = "interne",
    seed: int = 0,
) -> VeilleBulletin:
    """The veille bulletin of ``period`` for an attributed territory.

    Parameters
    ----------
    territory
        A :class:`gupgeo.Territory` (or mapping of layers) with ``quartiers`` and
        attributed ``signalements`` (``code_qp``, see :func:`gupgeo.attribute_territory`).
    period
        The period of the bulletin (``"2024-T4"``, ``"2024-11"``, a range…).
    cell_m, freq
        Cell side in metres; length of a period of the emerging analysis.
    radius_m, days, publication, seed
        Repeated-report bounds, publication profile, seed of the permutations.
    """
    publication = check_profile(publication)
    layers = territory.layers if hasattr(territory, "layers") else territory
    if not isinstance(layers, dict) or "signalements" not in layers or "quartiers" not in layers:
        raise SchemaError("veille : le territoire doit avoir les couches quartiers et signalements")
    signalements, quartiers = layers["signalements"], layers["quartiers"]
    if "code_qp" not in signalements.columns:
        raise SchemaError(
            "veille : signalements non rattachés (gupgeo.attribute_territory d'abord)"
        )
    p = parse_period(period)
    dates = pd.to_datetime(signalements["date_signalement"], errors="coerce")
    current = signalements[((dates >= p.start) & (dates < p.end)).to_numpy()]
    history = signalements[(dates < p.end).to_numpy()]
    notes: list[str] = []
    cells = _grid_and_cells(
        current, history, quartiers, cell_m=cell_m, freq=freq, seed=seed, notes=notes
    )
    groups = report_groups(current, radius_m=radius_m, days=days)
    repeated = repeated_reports(current, radius_m=radius_m, days=days, groups=groups)
    problems = problems_by_quartier(current, groups=groups)
    names = quartiers.set_index(quartiers["code_qp"].astype(str))["nom_qp"]
    codes = [*names.index, HORS_QPV]
    summary = problems.reindex(codes, fill_value=0)
    summary.index.name = "code_qp"
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
    summary = summary[list(SUMMARY_COLUMNS)]
    cells, summary = _publish(cells, summary, publication)
    if publication == "public":
        repeated = repeated.iloc[0:0]
        notes.append(
            f"Profil public : carreaux et effectifs de moins de {SECRET_THRESHOLD} signalements "
            "non diffusés (secret statistique) ; signalements répétés non localisés."
        )
    elif publication == "partenaires":
        repeated = repeated.drop(columns="ids")
    notes.append(
        f"Signalements répétés : même catégorie, à moins de {radius_m:g} m et {days:g} jours du "
        "premier signalement du groupe (pas d'enchaînement de proche en proche)."
    )
    return VeilleBulletin(p, publication, cells, repeated, summary, tuple(notes))
