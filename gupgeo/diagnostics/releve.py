"""The relevé de conclusions of one diagnostic en marchant, sent to every partner.

Built from a :class:`~gupgeo.publication.Publication` (``partenaires`` by default: ESSP
findings withheld, personal and free-text columns out): the participants, the constats
numbered on a static map (SVG: opens offline, prints), the counts by theme and gravité,
and one table per responsable with the échéances. Written as one self-contained HTML
file (styles inline), an XLSX workbook and, with WeasyPrint, an A4 PDF. Every text from
the data is escaped (Jinja2 autoescaping, SVG ``escape``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from gupgeo.crs import to_work_crs
from gupgeo.diagnostics.model import own_notes, publish_diagnostics, zone_labels
from gupgeo.errors import SchemaError
from gupgeo.french import format_date
from gupgeo.indicators.diagnostics import PARTICIPANT_COLUMNS, followup_status
from gupgeo.palette import GRAVITE_COLORS, GRAVITE_LABELS
from gupgeo.publication import Profil, Publication
from gupgeo.publication.model import Source
from gupgeo.rendering.classes import MISSING_COLOR
from gupgeo.rendering.html import Table, date_cell, number_cell, render, static_text, text_cell

PARTICIPANT_LABELS = {
    "habitants": "Habitants",
    "agents_proximite": "Agents de proximité",
    "bailleurs": "Bailleurs",
    "ville": "Ville",
    "autres": "Autres",
}
PARTNER_COLUMNS = (
    ("numero", "N°", "nombre"),
    ("theme", "Thème", "texte"),
    ("gravite", "Gravité", "nombre"),
    ("recommandation", "Recommandation", "texte"),
    ("echeance", "Échéance", "date"),
    ("suivi", "Suivi", "texte"),
)


@dataclass(frozen=True)
class Releve:
    """The relevé of one diagnostic: its row, its numbered constats, the published notes."""

    diagnostic: dict[str, Any]
    constats: pd.DataFrame
    quartier: Any
    nom_qp: str
    profil: str
    notes: tuple[str, ...]

    def counts_by_theme(self) -> pd.DataFrame:
        """Constats per theme (rows) and gravité (columns 1, 2, 3, « non renseignée »)."""
        gravite = self.constats.get("gravite", pd.Series(np.nan, index=self.constats.index))
        g = pd.to_numeric(pd.Series(gravite), errors="coerce")
        labels = g.map({1: "gravité 1", 2: "gravité 2", 3: "gravité 3"}).fillna("non renseignée")
        theme = self.constats["theme"].fillna("non renseigné").astype(str)
        table = pd.crosstab(theme, labels)
        for col in ("gravité 1", "gravité 2", "gravité 3", "non renseignée"):
            if col not in table.columns:
                table[col] = 0
        table = table[["gravité 1", "gravité 2", "gravité 3", "non renseignée"]]
        table["total"] = table.sum(axis=1)
        return table

    def per_partner(self) -> dict[str, pd.DataFrame]:
        """The numbered constats of each responsable (« non attribué » last)."""
        if not len(self.constats):
            return {}
        return {str(k): v for k, v in self.constats.groupby("responsable_releve", sort=True)}


def build_releve(
    source: Publication | Source,
    diagnostic_id: str,
    *,
    publication: Profil | str | None = None,
    as_of: object = None,
) -> Releve:
    """The relevé of ``diagnostic_id``: its published constats numbered west to east.

    ``as_of`` (default: the day of the diagnostic) dates the follow-up column.

    Raises
    ------
    SchemaError
        When the territory has no such diagnostic (the known ones are listed).
    """
    pub = publish_diagnostics(source, publication)
    diagnostics = pub.layers.get("diagnostics")
    if diagnostics is None or diagnostic_id not in set(diagnostics["id"].astype(str)):
        known = [] if diagnostics is None else sorted(diagnostics["id"].astype(str))
        raise SchemaError(
            f"diagnostic « {diagnostic_id} » introuvable (profil {pub.profile}) ; diagnostics "
            f"connus : {', '.join(known) or 'aucun'}"
        )
    row = diagnostics.loc[diagnostics["id"].astype(str) == diagnostic_id].iloc[0]
    constats = pub.layers.get("constats")
    mine = (
        constats.loc[
            constats.get("diagnostic_id", pd.Series(dtype=object)).astype(str) == diagnostic_id
        ]
        if constats is not None and "diagnostic_id" in constats.columns
        else pd.DataFrame()
    )
    day = pd.Timestamp(str(as_of)) if as_of is not None else pd.Timestamp(row["date"])
    mine = _numbered(mine, day, pub.layers.get("quartiers"))
    code = str(row.get("code_qp") or (mine["code_qp"].mode().iat[0] if len(mine) else ""))
    quartiers = pub.layers.get("quartiers")
    q = quartiers.loc[quartiers["code_qp"] == code] if quartiers is not None else None
    nom = str(q["nom_qp"].iat[0]) if q is not None and len(q) else code or "hors QPV"
    geom = to_work_crs(q, name="quartiers").geometry.iat[0] if q is not None and len(q) else None
    return Releve(dict(row), mine, geom, nom, pub.profile, tuple(own_notes(pub)))


def _numbered(constats: pd.DataFrame, day: pd.Timestamp, quartiers: Any) -> pd.DataFrame:
    if not len(constats):
        return constats
    c = to_work_crs(constats, name="constats")
    points = shapely.point_on_surface(np.asarray(c.geometry.array))
    order = np.lexsort((shapely.get_y(points), shapely.get_x(points)))
    c = c.iloc[order].copy()
    c["numero"] = np.arange(1, len(c) + 1)
    status = followup_status(c, as_of=day)
    c["responsable_releve"] = status["responsable"].reindex(c.index).fillna("non attribué")
    text = status["etat"].where(~status["en_retard"], "en retard")
    text = text.where(~status["sans_echeance"], "ouvert, sans échéance")
    c["suivi"] = text.reindex(c.index).fillna("inconnu")
    c["code_qp"] = zone_labels(c, quartiers)
    return c


def releve_svg(releve: Releve, *, width: int = 720, height: int = 460) -> str:
    """The static map: quartier, route, numbered constats coloured by gravité."""
    from gupgeo.rendering.svg import Frame, SvgMap

    parts = [g for g in [releve.quartier, _route(releve)] if g is not None]
    if len(releve.constats):
        parts.append(shapely.union_all(np.asarray(releve.constats.geometry.array)))
    bounds = shapely.total_bounds(np.asarray(parts, dtype=object)) if parts else (0, 0, 1, 1)
    frame = Frame.around(bounds, width=width, height=height, margin_pct=8)
    svg = SvgMap(frame, title=f"Constats numérotés du diagnostic {releve.diagnostic['id']}")
    if releve.quartier is not None:
        svg.polygons([releve.quartier], fill="#dfe6f3", stroke="#2c3e8f", titles=[releve.nom_qp])
    route = _route(releve)
    if route is not None:
        svg.lines([route], colors=["#1f78b4"], width=3)
    if len(releve.constats):
        pts = shapely.point_on_surface(np.asarray(releve.constats.geometry.array))
        xy = shapely.get_coordinates(pts)
        svg.numbered(xy, [str(n) for n in releve.constats["numero"]], colors=gravite_colors(releve))
    svg.scale_bar()
    return svg.render()


GRAVITE_LEGEND: tuple[tuple[str, str], ...] = (
    *((f"gravité {k} — {label}", GRAVITE_COLORS[k]) for k, label in GRAVITE_LABELS.items()),
    ("gravité non renseignée", MISSING_COLOR),
)
"""What the colour of a finding's number says, in the order of the legend."""


def gravite_colors(releve: Releve) -> list[str]:
    """The fill of each finding's number: its gravité, grey when not given (never a level)."""
    level = pd.to_numeric(
        pd.Series(releve.constats.get("gravite", np.nan), index=releve.constats.index),
        errors="coerce",
    )
    return [GRAVITE_COLORS.get(int(v), MISSING_COLOR) if v == v else MISSING_COLOR for v in level]


def _route(releve: Releve) -> Any:
    """The walk's route (published layers are in Lambert-93), None when it has none."""
    geom = releve.diagnostic.get("geometry")
    return None if geom is None or getattr(geom, "is_empty", True) else geom


def _tables(releve: Releve) -> tuple[Table, Table, list[Table]]:
    d = releve.diagnostic
    participants = Table(
        caption="Participants par catégorie",
        headers=(("Catégorie", False), ("Nombre", True)),
        rows=tuple(
            (text_cell(PARTICIPANT_LABELS[k]), number_cell(d.get(k))) for k in PARTICIPANT_COLUMNS
        ),
    )
    counts = releve.counts_by_theme()
    by_theme = Table(
        caption="Constats par thème et gravité",
        headers=(("Thème", False), *((str(c).capitalize(), True) for c in counts.columns)),
        rows=tuple(
            (text_cell(theme), *(number_cell(v) for v in row))
            for theme, row in zip(counts.index, counts.to_numpy().tolist(), strict=True)
        ),
        foot=((text_cell("Total"), *(number_cell(v) for v in counts.sum().tolist())),),
        empty="Aucun constat publiable.",
    )
    per_partner = []
    for name, group in releve.per_partner().items():
        rows = []
        for rec in group.to_dict("records"):
            rows.append(
                (
                    number_cell(rec["numero"]),
                    text_cell(rec.get("theme")),
                    number_cell(rec.get("gravite")),
                    text_cell(rec.get("recommandation")),
                    date_cell(rec.get("echeance"))
                    if pd.notna(rec.get("echeance"))
                    else text_cell("sans échéance"),
                    text_cell(rec.get("suivi")),
                )
            )
        per_partner.append(
            Table(
                caption=f"{name} — {len(rows)} constat(s)",
                headers=tuple((h, k == "nombre") for _, h, k in PARTNER_COLUMNS),
                rows=tuple(rows),
                attrs={"data-responsable": str(name)},
            )
        )
    return participants, by_theme, per_partner


def releve_html(releve: Releve) -> str:
    """The relevé as one self-contained HTML page (styles inline, no script, no CDN)."""
    from gupgeo.publication import PROFILE_LABELS

    participants, by_theme, per_partner = _tables(releve)
    d = releve.diagnostic
    objet = d.get("objet") if isinstance(d.get("objet"), str) else "Diagnostic en marchant"
    return render(
        "releve.html",
        title=f"Relevé de conclusions — {objet}",
        subtitle=f"{releve.nom_qp}, {format_date(d.get('date')) or 'date n.c.'} — "
        f"diagnostic {d['id']}, {len(releve.constats)} constat(s)",
        profil_label=PROFILE_LABELS[releve.profil],
        participants=participants,
        by_theme=by_theme,
        per_partner=per_partner,
        svg=releve_svg(releve),
        legend=GRAVITE_LEGEND,
        notes=list(releve.notes),
        inline_css=static_text("atlas.css"),
        root="",
    )


def releve_workbook(releve: Releve, path: Path) -> Path:
    """The relevé as XLSX: one sheet per responsable, then « thèmes » and « participants »."""
    from openpyxl import Workbook

    from gupgeo._spreadsheet import write_workbook

    wb = Workbook()
    if wb.active is not None:
        wb.remove(wb.active)
    used: set[str] = set()
    for name, group in releve.per_partner().items():
        title = _sheet_title(name, used)
        ws = wb.create_sheet(title)
        ws.append([h for _, h, _ in PARTNER_COLUMNS] + ["Responsable"])
        for rec in group.to_dict("records"):
            due = rec.get("echeance")
            ws.append(
                [
                    int(rec["numero"]),
                    _plain(rec.get("theme")),
                    _plain(rec.get("gravite")),
                    _plain(rec.get("recommandation")),
                    pd.Timestamp(due).date() if pd.notna(due) else "sans échéance",
                    _plain(rec.get("suivi")),
                    str(name),
                ]
            )
    counts = releve.counts_by_theme()
    ws = wb.create_sheet(_sheet_title("thèmes et gravité", used))
    ws.append(["Thème", *counts.columns])
    for theme, row in zip(counts.index, counts.to_numpy().tolist(), strict=True):
        ws.append([str(theme), *(int(v) for v in row)])
    ws = wb.create_sheet(_sheet_title("participants", used))
    ws.append(["Catégorie", "Nombre"])
    for k in PARTICIPANT_COLUMNS:
        value = releve.diagnostic.get(k)
        ws.append([PARTICIPANT_LABELS[k], int(value) if pd.notna(value) else "n.c."])
    return write_workbook(wb, path)


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _sheet_title(name: str, used: set[str]) -> str:
    base = "".join(ch for ch in str(name) if ch not in "[]:*?/\\")[:28] or "feuille"
    title, k = base, 2
    while title.lower() in used:
        title, k = f"{base[:26]}-{k}", k + 1
    used.add(title.lower())
    return title


def write_releve(releve: Releve, folder: str | Path, *, pdf: bool = True) -> list[Path]:
    """Write ``releve_<id>.html``, ``.xlsx`` and (WeasyPrint) ``.pdf`` into ``folder``."""
    from gupgeo._atomic import write_text
    from gupgeo.schemas import normalise_name

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    stem = f"releve_{normalise_name(str(releve.diagnostic['id']))}"
    html = releve_html(releve)
    written = [write_text(target / f"{stem}.html", html)]
    written.append(releve_workbook(releve, target / f"{stem}.xlsx"))
    if pdf:
        from gupgeo.atlas.pdf import PDF_OPTIONS, _weasyprint

        document = _weasyprint().HTML(string=html, base_url=str(target)).render()
        document.write_pdf(str(target / f"{stem}.pdf"), **PDF_OPTIONS)
        written.append(target / f"{stem}.pdf")
    return written


__all__ = ["Releve", "build_releve", "releve_html", "releve_svg", "write_releve"]
