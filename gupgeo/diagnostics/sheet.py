"""The walk sheet (fiche de marche): what to check on site, for a tablet or on paper.

For a quartier and a day: the route of the last walk there (or the quartier's outline),
the constats of earlier walks still open (numbered, with their responsable and
échéance), the problems reported several times and the hot spots of the last months
along the way (:mod:`gupgeo.veille`), the équipements, and a blank table for the new
findings. Built from a ``partenaires`` publication; written as one HTML file (styles
inline, no script: opens offline on a tablet) and an A4 PDF (WeasyPrint).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.crs import to_work_crs
from gupgeo.diagnostics.model import publish_diagnostics
from gupgeo.errors import GupgeoError, SchemaError
from gupgeo.indicators.diagnostics import OUVERT, followup_status
from gupgeo.publication import Profil, Publication
from gupgeo.publication.model import Source
from gupgeo.rendering.html import (
    Cell,
    Table,
    date_cell,
    number_cell,
    render,
    static_text,
    text_cell,
)
from gupgeo.schemas import normalise_name

logger = logging.getLogger(__name__)
ALONG_M = 100.0
"""Distance from the route (or the quartier) within which veille findings are listed."""


@dataclass(frozen=True)
class Sheet:
    """What the sheet of one walk shows (Lambert-93 geometries)."""

    code_qp: str
    nom_qp: str
    day: pd.Timestamp
    months: int
    quartier: Any
    route: Any
    open_constats: pd.DataFrame
    repeated: pd.DataFrame
    hot_cells: pd.DataFrame
    equipements: pd.DataFrame
    profil: str
    notes: list[str] = field(default_factory=list)


def _quartier(quartiers: pd.DataFrame, wanted: str) -> pd.Series:
    key = normalise_name(wanted)
    match = quartiers.loc[
        (quartiers["code_qp"].astype(str).map(normalise_name) == key)
        | (quartiers["nom_qp"].astype(str).map(normalise_name) == key)
    ]
    if not len(match):
        known = ", ".join(
            f"{c} ({n})" for c, n in zip(quartiers["code_qp"], quartiers["nom_qp"], strict=True)
        )
        raise SchemaError(f"quartier « {wanted} » inconnu ; quartiers : {known}")
    return match.iloc[0]


def build_sheet(
    source: Publication | Source,
    quartier: str,
    *,
    day: object,
    months: int = 6,
    publication: Profil | str | None = None,
) -> Sheet:
    """The walk sheet of ``quartier`` (code or name) for the walk of ``day``."""
    pub = publish_diagnostics(source, publication)
    quartiers = to_work_crs(pub.layers["quartiers"], name="quartiers")
    q = _quartier(quartiers, quartier)
    code, geom = str(q["code_qp"]), q.geometry
    when = pd.Timestamp(str(day)).normalize()
    notes: list[str] = []
    route = _last_route(pub.layers.get("diagnostics"), code, when, notes)
    area = (route if route is not None else geom).buffer(ALONG_M)
    constats = pub.layers.get("constats")
    open_c = pd.DataFrame()
    if constats is not None and len(constats):
        c = to_work_crs(constats, name="constats")
        inside = c.geometry.intersects(geom.buffer(ALONG_M)).to_numpy()
        status = followup_status(c.loc[inside], as_of=when)
        still = status.index[(status["etat"] == OUVERT) | (status["etat"] == "inconnu")]
        open_c = c.loc[still].assign(
            en_retard=status.loc[still, "en_retard"],
            responsable_suivi=status.loc[still, "responsable"],
        )
        open_c = open_c.sort_values(["date", "id"]).reset_index(drop=True)
        open_c["numero"] = np.arange(1, len(open_c) + 1)
    sig = pub.layers.get("signalements")
    repeated, hot = _veille(sig, quartiers, area, when, months, notes)
    eq = pub.layers.get("equipements")
    equipements = pd.DataFrame()
    if eq is not None and len(eq):
        e = to_work_crs(eq, name="equipements")
        equipements = e.loc[e.geometry.intersects(area).to_numpy()].sort_values(["type", "nom"])
    return Sheet(
        code,
        str(q["nom_qp"]),
        when,
        months,
        geom,
        route,
        open_c,
        repeated,
        hot,
        equipements,
        pub.profile,
        notes,
    )


def _last_route(diagnostics: Any, code: str, when: pd.Timestamp, notes: list[str]) -> Any:
    if diagnostics is None or "code_qp" not in diagnostics.columns:
        return None
    d = to_work_crs(diagnostics, name="diagnostics")
    earlier = d.loc[(d["code_qp"] == code) & (pd.to_datetime(d["date"]) <= when)]
    earlier = earlier.loc[earlier.geometry.notna() & ~earlier.geometry.is_empty]
    if not len(earlier):
        notes.append("aucun parcours connu dans ce quartier : la carte montre le quartier entier")
        return None
    last = earlier.sort_values("date").iloc[-1]
    notes.append(f"parcours de la marche {last['id']} du {pd.Timestamp(last['date']):%d/%m/%Y}")
    return last.geometry


def _veille(
    sig: Any,
    quartiers: gpd.GeoDataFrame,
    area: Any,
    when: pd.Timestamp,
    months: int,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    from gupgeo.veille.hotspots import hotspots
    from gupgeo.veille.repeated import repeated_reports

    if sig is None or not len(sig):
        notes.append("pas de signalements : ni problèmes répétés ni points chauds")
        return pd.DataFrame(), pd.DataFrame()
    s = to_work_crs(sig, name="signalements")
    dates = pd.to_datetime(s["date_signalement"])
    recent = s.loc[((dates > when - pd.DateOffset(months=months)) & (dates <= when)).to_numpy()]
    repeated = repeated_reports(recent)
    repeated = repeated.loc[repeated.geometry.intersects(area).to_numpy()]
    repeated = repeated.sort_values(["nb_signalements", "premier"], ascending=[False, True]).head(
        15
    )
    try:
        cells = hotspots(recent, quartiers=quartiers, permutations=199, seed=0)
    except GupgeoError as exc:
        notes.append(f"points chauds non calculés : {exc}")
        return repeated.reset_index(drop=True), pd.DataFrame()
    hot = cells.loc[cells["classe"].astype(str).str.startswith("point chaud").to_numpy()]
    return repeated.reset_index(drop=True), hot.loc[hot.geometry.intersects(area).to_numpy()]


def sheet_svg(sheet: Sheet, *, width: int = 720, height: int = 480) -> str:
    """Quartier, route, hot cells (hatched), repeated problems (A, B…), open constats (1, 2…)."""
    from gupgeo.rendering.svg import Frame, SvgMap

    target = sheet.route.buffer(ALONG_M) if sheet.route is not None else sheet.quartier
    frame = Frame.around(target.bounds, width=width, height=height, margin_pct=6)
    svg = SvgMap(frame, title=f"Fiche de marche, {sheet.nom_qp}")
    svg.polygons([sheet.quartier], fill="#eef1f7", stroke="#2c3e8f", titles=[sheet.nom_qp])
    if len(sheet.hot_cells):
        svg.polygons(
            list(sheet.hot_cells.geometry),
            fill=svg.hatch("chaud", "#d7301f"),
            stroke="#d7301f",
            width=0.8,
        )
    if sheet.route is not None:
        svg.lines([sheet.route], colors=["#1f78b4"], width=3)
    if len(sheet.repeated):
        xy = shapely.get_coordinates(np.asarray(sheet.repeated.geometry.array))
        svg.numbered(xy, _letters(len(sheet.repeated)), color="#54278f")
    if len(sheet.open_constats):
        pts = shapely.point_on_surface(np.asarray(sheet.open_constats.geometry.array))
        svg.numbered(shapely.get_coordinates(pts), [str(n) for n in sheet.open_constats["numero"]])
    svg.scale_bar()
    return svg.render()


def _letters(n: int) -> list[str]:
    return [chr(ord("A") + i) if i < 26 else f"A{i}" for i in range(n)]


def _tables(sheet: Sheet) -> dict[str, Table]:
    return {
        "open_table": _open_table(sheet),
        "repeated_table": _repeated_table(sheet),
        "equipment_table": Table(
            "Équipements",
            (("Type", False), ("Nom", False), ("Gestionnaire", False)),
            tuple(
                (
                    text_cell(r.get("type")),
                    text_cell(r.get("nom")),
                    text_cell(r.get("gestionnaire")),
                )
                for r in sheet.equipements.to_dict("records")
            ),
            empty="Aucun équipement le long du parcours.",
        ),
        "blank_table": Table(
            "À remplir pendant la marche",
            (
                ("N°", False),
                ("Lieu", False),
                ("Thème", False),
                ("Gravité", False),
                ("Responsable", False),
                ("Échéance", False),
            ),
            tuple(tuple(text_cell("") for _ in range(6)) for _ in range(8)),
            attrs={"data-table": "nouveaux"},
        ),
    }


def _open_table(sheet: Sheet) -> Table:
    """The open constats of earlier walks, each with a box to tick on the spot."""
    check = Cell(text="☐ traité   ☐ toujours là")
    rows = tuple(
        (
            number_cell(r["numero"]),
            text_cell(r.get("theme")),
            number_cell(r.get("gravite")),
            text_cell(r.get("responsable_suivi")),
            date_cell(r.get("echeance"))
            if pd.notna(r.get("echeance"))
            else text_cell("sans échéance"),
            text_cell(
                "en retard"
                if r.get("en_retard")
                else ("inconnu" if pd.isna(r.get("statut")) else "ouvert")
            ),
            check,
        )
        for r in sheet.open_constats.to_dict("records")
    )
    headers = (
        ("N°", True),
        ("Thème", False),
        ("Gravité", True),
        ("Responsable", False),
        ("Échéance", False),
        ("Suivi", False),
        ("Sur place", False),
    )
    return Table(
        "Constats ouverts à vérifier",
        headers,
        rows,
        empty="Aucun constat ouvert des marches précédentes.",
    )


def _repeated_table(sheet: Sheet) -> Table:
    """The problems reported several times along the route, by their letter on the map."""
    rows = tuple(
        (
            text_cell(letter),
            text_cell(r.get("categorie")),
            number_cell(r.get("nb_signalements")),
            date_cell(r.get("premier")),
            date_cell(r.get("dernier")),
            number_cell(r.get("nb_ouverts")),
        )
        for letter, r in zip(
            _letters(len(sheet.repeated)), sheet.repeated.to_dict("records"), strict=True
        )
    )
    headers = (
        ("Repère", False),
        ("Catégorie", False),
        ("Signalements", True),
        ("Premier", False),
        ("Dernier", False),
        ("Encore ouverts", True),
    )
    return Table(
        "Problèmes signalés plusieurs fois",
        headers,
        rows,
        empty="Aucun problème signalé plusieurs fois le long du parcours.",
    )


def sheet_html(sheet: Sheet) -> str:
    """The sheet as one self-contained HTML page (styles inline, no script)."""
    from gupgeo.publication import PROFILE_LABELS

    hot = len(sheet.hot_cells)
    return render(
        "fiche_marche.html",
        title=f"Fiche de marche — {sheet.nom_qp}",
        subtitle=f"Diagnostic en marchant du {sheet.day:%d/%m/%Y} ({sheet.code_qp})",
        profil_label=PROFILE_LABELS[sheet.profil],
        svg=sheet_svg(sheet),
        legend="Parcours en bleu ; numéros rouges : constats ouverts ; lettres violettes : "
        "problèmes signalés plusieurs fois ; carreaux hachurés : points chauds.",
        months=sheet.months,
        hot_text=f"{hot} carreau(x) de 200 m en point chaud (Getis-Ord Gi*, significatif) "
        "le long du parcours."
        if hot
        else "Aucun point chaud significatif le long du parcours.",
        notes=sheet.notes,
        inline_css=static_text("atlas.css"),
        root="",
        **_tables(sheet),
    )


def write_sheet(sheet: Sheet, folder: str | Path, *, pdf: bool = True) -> list[Path]:
    """Write ``fiche_<quartier>_<date>.html`` and (WeasyPrint) ``.pdf`` into ``folder``."""
    from gupgeo._atomic import write_text

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    stem = f"fiche_{normalise_name(sheet.code_qp)}_{sheet.day:%Y-%m-%d}"
    html = sheet_html(sheet)
    written = [write_text(target / f"{stem}.html", html)]
    if pdf:
        from gupgeo.atlas.pdf import PDF_OPTIONS, _weasyprint

        _weasyprint().HTML(string=html, base_url=str(target)).render().write_pdf(
            str(target / f"{stem}.pdf"), **PDF_OPTIONS
        )
        written.append(target / f"{stem}.pdf")
    return written


__all__ = ["Sheet", "build_sheet", "sheet_html", "write_sheet"]
