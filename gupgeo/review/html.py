"""HTML of an operation review: one file with its map, charts and static print map."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from gupgeo.french import format_long_date
from gupgeo.publication import GRID_CELL_M, PROFILE_LABELS, SECRET_THRESHOLD, Profil
from gupgeo.rendering.html import (
    Cell,
    Table,
    date_cell,
    format_number,
    is_missing,
    number_cell,
    render,
    static_text,
    text_cell,
)
from gupgeo.rendering.veille import SectionText, VeilleSection, compose_section
from gupgeo.review import data as rd
from gupgeo.review.charts import ZONE_COLORS, Secret, chart_context
from gupgeo.review.secrecy import BEFORE_AFTER, CATEGORIES, FIGURE_KEYS, FIGURES, secret_cells
from gupgeo.review.veille import COUNTS as VEILLE_COUNTS
from gupgeo.secrecy import secrecy_note

if TYPE_CHECKING:
    from gupgeo.review.model import OperationReview


def _secret_cell() -> Cell:
    return Cell("secret", "", True, css="gg-secret")


def _count(value: Any, key: Hashable, secret: Secret) -> Cell:
    return _secret_cell() if key in secret else number_cell(value)


def category_table(review: OperationReview, secret: Secret | None = None) -> Table:
    """Counts per category and zone; in ``public``, the ``secret`` cells (computed when
    not given) read "secret" and the change is not shown."""
    public = Profil.parse(review.publication).secret
    secret = secret_cells(review) if secret is None else secret
    rows = []
    for cat, r in review.signalements_by_category.iterrows():
        counts = [
            _count(r[c], (CATEGORIES, cat, c), secret)
            for c in (rd.PERIMETRE, rd.ABORDS, "total", "premiere_moitie", "seconde_moitie")
        ]
        change = number_cell(r["evolution_pct"], "%") if not public else Cell("", "", True)
        rows.append((text_cell(cat), *counts, change))
    w = review.windows
    middle = w.start + (w.end - w.start) / 2
    headers = (
        ("Catégorie", False),
        ("Périmètre", True),
        (f"Abords ({review.buffer_m:g} m)", True),
        ("Total", True),
        (f"Jusqu'au {middle:%d/%m/%Y}", True),
        (f"Depuis le {middle:%d/%m/%Y}", True),
        ("Évolution", True),
    )
    return Table(
        f"Signalements du {w.start:%d/%m/%Y} au {_last(w.end):%d/%m/%Y}, par catégorie",
        headers,
        tuple(rows),
        note="Évolution : seconde moitié de la fenêtre rapportée à la première (même durée).",
        attrs={"data-table": "categories"},
        empty="Aucun signalement dans le périmètre ni ses abords sur la fenêtre.",
    )


def _last(end: pd.Timestamp) -> pd.Timestamp:
    return end - pd.Timedelta(days=1)


def before_after_table(review: OperationReview, secret: Secret | None = None) -> Table | None:
    ba = review.before_after
    w = review.windows
    if ba is None or w.before is None or w.after is None:
        return None
    secret = secret_cells(review) if secret is None else secret
    rows = []
    for cat, r in ba.iterrows():
        label = "Total" if cat == "total" else str(cat)
        # A rate or a change next to a secret count would give the count back.
        before_secret = (BEFORE_AFTER, cat, "avant") in secret
        after_secret = (BEFORE_AFTER, cat, "apres") in secret
        rows.append(
            (
                text_cell(label),
                _secret_cell() if before_secret else number_cell(r["avant"]),
                _secret_cell() if before_secret else number_cell(r["avant_par_mois"], "par mois"),
                _secret_cell() if after_secret else number_cell(r["apres"]),
                _secret_cell() if after_secret else number_cell(r["apres_par_mois"], "par mois"),
                _secret_cell()
                if before_secret or after_secret
                else number_cell(r["evolution_pct"], "%"),
            )
        )
    headers = (
        ("Catégorie", False),
        (f"Avant ({w.before[0]:%d/%m/%Y} – {_last(w.before[1]):%d/%m/%Y})", True),
        ("par mois", True),
        (f"Après ({w.after[0]:%d/%m/%Y} – {_last(w.after[1]):%d/%m/%Y})", True),
        ("par mois", True),
        ("Évolution du rythme", True),
    )
    return Table(
        "Avant / après la livraison, dans le périmètre",
        headers,
        tuple(rows[:-1]),
        foot=tuple(rows[-1:]),
        attrs={"data-table": "avant-apres"},
        note="Rythme mensuel : nombre de signalements divisé par la durée de chaque fenêtre.",
    )


def constats_table(review: OperationReview) -> Table:
    rows = []
    for r in review.constats.drop(columns="geometry").to_dict("records"):
        g = r.get("gravite")
        rows.append(
            (
                date_cell(r.get("date")),
                text_cell(r.get("zone")),
                text_cell(r.get("demarche")),
                text_cell(r.get("theme")),
                Cell(
                    format_number(g) if not is_missing(g) else "non renseignée",
                    "" if is_missing(g) else str(int(g)),
                    True,
                    css=f"gg-gravite-{'' if is_missing(g) else int(g)}",
                ),
                text_cell(r.get("recommandation")),
                text_cell(r.get("statut")),
            )
        )
    headers = (
        ("Date", False),
        ("Zone", False),
        ("Démarche", False),
        ("Thème", False),
        ("Gravité", True),
        ("Recommandation", False),
        ("Suite donnée", False),
    )
    return Table(
        "Constats de prévention situationnelle",
        headers,
        tuple(rows),
        attrs={"data-table": "constats"},
        empty="Aucun constat communicable dans le périmètre ni ses abords.",
    )


def diagnostics_table(review: OperationReview) -> Table | None:
    """Constats of walks in the perimeter and abords, before and after the delivery, with
    their follow-up at the end of the window (:func:`followup_status`); None without any."""
    from gupgeo.indicators.diagnostics import followup_counts, followup_status

    w = review.windows
    status = followup_status(review.constats, as_of=_last(w.end))
    if not len(status):
        return None
    dates = pd.to_datetime(review.constats.loc[status.index, "date"])
    parts = [("Toute la fenêtre", np.ones(len(status), dtype=bool))]
    if w.delivery is not None:
        before = (dates < w.delivery).to_numpy()
        parts = [("Avant la livraison", before), ("Après la livraison", ~before), *parts]
    rows = []
    for label, mask in parts:
        c = followup_counts(status.loc[mask])
        rows.append(
            (
                text_cell(label),
                *(
                    number_cell(c[k])
                    for k in ("ouverts", "en_retard", "traites", "traites_dans_les_delais")
                ),
                number_cell(c["delai_median_jours"], "jours"),
            )
        )
    headers = (
        ("Constats", False),
        ("Ouverts", True),
        ("En retard", True),
        ("Traités", True),
        ("Traités dans les délais", True),
        ("Délai médian (jours)", True),
    )
    return Table(
        f"Diagnostics en marchant : suivi au {_last(w.end):%d/%m/%Y}",
        headers,
        tuple(rows),
        attrs={"data-table": "diagnostics"},
    )


def equipements_table(review: OperationReview) -> Table:
    eq = review.equipements
    if len(eq):
        eq = eq.assign(_z=(eq["zone"] != rd.PERIMETRE).astype(int)).sort_values(
            ["_z", "distance_m"], kind="stable"
        )
    rows = []
    for r in eq.drop(columns="geometry").to_dict("records"):
        rows.append(
            (
                text_cell(r.get("nom")),
                text_cell(r.get("type")),
                text_cell(r.get("gestionnaire")),
                text_cell(r.get("zone")),
                number_cell(r.get("distance_m"), "m"),
                text_cell(r.get("contrainte_gestion")),
            )
        )
    headers = (
        ("Équipement", False),
        ("Type", False),
        ("Gestionnaire", False),
        ("Zone", False),
        ("Distance (m)", True),
        ("Contrainte de gestion à intégrer", False),
    )
    return Table(
        "Équipements et contraintes de gestion",
        headers,
        tuple(rows),
        attrs={"data-table": "equipements"},
        empty="Aucun équipement dans le périmètre ni ses abords.",
    )


def garanties_table(review: OperationReview) -> Table:
    rows = [
        (
            date_cell(r.get("date")),
            text_cell(r.get("objet")),
            text_cell(r.get("objet_id")),
            text_cell(r.get("motif")),
            text_cell(r.get("moment")),
        )
        for r in review.garanties.to_dict("records")
    ]
    headers = (
        ("Date", False),
        ("Objet", False),
        ("Identifiant", False),
        ("Motif", False),
        ("Moment", False),
    )
    return Table(
        "Recours à la garantie",
        headers,
        tuple(rows),
        attrs={"data-table": "garanties"},
        empty="Aucun recours à la garantie sur l'opération ni sur les équipements "
        "de son périmètre.",
    )


def print_map(review: OperationReview) -> str:
    """Static map for print: abords, perimeter, signalement density, équipements, constats."""
    from gupgeo.palette import GRAVITE_COLORS
    from gupgeo.rendering.svg import (
        MISSING_COLOR,
        Frame,
        SvgMap,
        density_grid,
        published_cells,
    )

    geom = review.perimeter.geometry.iloc[0]
    ring = geom.buffer(review.buffer_m)
    frame = Frame.around(ring.bounds, width=720, height=460, margin_pct=5)
    svg = SvgMap(frame, title=f"Périmètre et abords : {review.name}", css_class="gg-printmap")
    svg.polygons([ring], fill="#fff3d6", stroke=ZONE_COLORS[rd.ABORDS], width=1.5, dash="6 3")
    sig = review.signalements
    if not Profil.parse(review.publication).locates:
        published_cells(svg, review.signalements_grid)  # never the points themselves
    elif len(sig):
        xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(sig.geometry.array)))
        boxes, colors, _ = density_grid(xy, frame, cell_m=25.0)
        svg.cells(boxes, colors)
    hatch = svg.hatch("gg-hatch-rev", ZONE_COLORS[rd.PERIMETRE])
    svg.polygons([geom], fill=hatch, stroke=ZONE_COLORS[rd.PERIMETRE], width=2)
    eq = review.equipements
    if len(eq):
        svg.points(
            shapely.get_coordinates(np.asarray(eq.geometry.array)),
            colors="#4d4d4d",
            radius=3,
            shape="square",
        )
    constats = review.constats
    if Profil.parse(review.publication).locates and len(constats):
        geoms = shapely.point_on_surface(np.asarray(constats.geometry.array))
        level = (
            pd.to_numeric(constats["gravite"], errors="coerce") if "gravite" in constats else None
        )
        colors = [
            GRAVITE_COLORS.get(int(v), MISSING_COLOR) if v == v else MISSING_COLOR
            for v in (level if level is not None else [np.nan] * len(constats))
        ]
        svg.points(shapely.get_coordinates(geoms), colors=colors, radius=4.5)
    svg.scale_bar()
    return svg.render()


def map_caption(review: OperationReview) -> str:
    """Caption of the print map (French), true to what the profile drew."""
    parts = ["Périmètre hachuré, abords en pointillés"]
    if not Profil.parse(review.publication).locates:
        parts.append(
            f"carreaux de {GRID_CELL_M:g} m : signalements de la fenêtre (gris : moins de "
            f"{SECRET_THRESHOLD} signalements, secret statistique)"
        )
        parts.append("carrés : équipements")
    else:
        parts.append("carreaux : densité des signalements de la fenêtre")
        parts.append("carrés : équipements")
        parts.append("ronds : constats (jaune, orange, rouge : gravité 1 à 3)")
    return " ; ".join(parts) + "."


REVIEW_LISTED = 20
"""Most repeated problems listed in a review (the others are counted)."""


def veille_section(review: OperationReview) -> VeilleSection | None:
    """The "Veille territoriale" section: what concentrates, emerges or comes back in the
    perimeter and its abords over the window (None without signalements)."""
    v = review.veille
    if v is None:
        return None
    labels = (
        "Problèmes signalés plusieurs fois",
        "Signalements de ces problèmes",
        "Problèmes encore ouverts",
    )
    counts = [
        (label, v.counts[c], f"revue:{c}") for label, c in zip(labels, VEILLE_COUNTS, strict=True)
    ]
    return compose_section(
        v.found,
        v.problems,
        _operation_text(review),
        counts=counts,
        rule_text=v.rule.text(),
        public=Profil.parse(review.publication).secret,
        threshold=SECRET_THRESHOLD,
        max_rows=REVIEW_LISTED,
        with_place=True,
    )


def _operation_text(review: OperationReview) -> SectionText:
    """What the section of a review says of the perimeter and its abords."""
    w, buffer = review.windows, f"{review.buffer_m:g}"
    return SectionText(
        lead=(
            f"Ce qui se concentre, émerge ou revient dans le périmètre et ses abords ({buffer} m), "
            f"du {w.start:%d/%m/%Y} au {_last(w.end):%d/%m/%Y} : "
            "de quoi alimenter le projet urbain."
        ),
        hot_title="Points chauds de la fenêtre",
        where="dans le périmètre ou ses abords",
        nowhere="dans le périmètre ni ses abords",
        span="la fenêtre",
        near=f"abords : à moins de {buffer} m du périmètre",
        listed=(
            "Problèmes dont le premier signalement est dans le périmètre ou ses abords, du plus "
            "signalé au moins signalé ; historique de chaque signalement sur la carte."
        ),
        none_repeated=(
            "Aucun problème signalé plusieurs fois dans le périmètre ni ses abords sur la fenêtre."
        ),
        caption="Problèmes signalés plusieurs fois autour de l'opération",
    )


def _delivery_fact(review: OperationReview, delivery: pd.Timestamp) -> tuple[str, str]:
    """The header's delivery line; delivered before the data begin, it says so there too."""
    w = review.windows
    delivered = delivery <= pd.Timestamp(review.build_date)
    state = "livrée" if w.delivery is not None or delivered else "prévue"
    when = f"{delivery:%d/%m/%Y}"
    if w.delivery is None and delivery <= w.data_start:
        when += ", avant le début des données : pas de comparaison avant/après"
    return f"Livraison ({state})", when


def render_review(review: OperationReview) -> str:
    w = review.windows
    public = Profil.parse(review.publication).secret
    r = review.record
    facts = [
        (
            "Surface du périmètre",
            f"{format_number(review.perimeter.to_crs(2154).area.sum() / 10_000, 1)}\u202fha",
        ),
        ("Abords étudiés", f"{review.buffer_m:g}\u202fm autour du périmètre"),
        ("Fenêtre étudiée", f"du {w.start:%d/%m/%Y} au {_last(w.end):%d/%m/%Y}"),
    ]
    if r.get("date_debut") is not None:
        facts.append(("Début des travaux", f"{pd.Timestamp(r['date_debut']):%d/%m/%Y}"))
    if r.get("date_livraison") is not None:
        facts.append(_delivery_fact(review, pd.Timestamp(r["date_livraison"])))
    if r.get("montant_eur") is not None:
        facts.append(("Montant", f"{format_number(r['montant_eur'])}\u202f€"))
    if r.get("code_qp"):
        facts.append(("Quartier", review.quartier_name or str(r["code_qp"])))
    cat = review.signalements_by_category
    figures = [
        (
            "Signalements dans le périmètre",
            int(cat[rd.PERIMETRE].sum()) if len(cat) else 0,
            "perimetre",
        ),
        ("Signalements dans les abords", int(cat[rd.ABORDS].sum()) if len(cat) else 0, "abords"),
        ("Constats", len(review.constats), "constats"),
        ("Équipements concernés", len(review.equipements), "equipements"),
        ("Recours à la garantie", len(review.garanties), "garanties"),
    ]
    secret = secret_cells(review)
    hidden = {key for _, key in FIGURE_KEYS.values() if (FIGURES, key) in secret}
    if public and len(review.constats) < SECRET_THRESHOLD:
        hidden.add("constats")
    figure_cells = []
    for label, value, key in figures:
        figure_cells.append(
            {
                "label": label,
                "text": "secret" if key in hidden else format_number(value),
                "value": "" if key in hidden else str(value),
                "key": key,
            }
        )
    context = {
        "title": f"Revue de l'opération : {review.name}",
        "name": review.name,
        "operation_id": review.operation_id,
        "source": review.source,
        "inline_css": static_text("atlas.css"),
        "root": "",
        "facts": facts,
        "figures": figure_cells,
        "publication": review.publication,
        "publication_label": PROFILE_LABELS[review.publication],
        "build_date": format_long_date(review.build_date),
        "categories": category_table(review, secret),
        "before_after": before_after_table(review, secret),
        "quarter_chart": chart_context(review, secret),
        "constats": constats_table(review) if not public else None,
        "diagnostics": diagnostics_table(review) if not public else None,
        "equipements": equipements_table(review),
        "garanties": garanties_table(review),
        "map_html": review.map_html,
        "print_map": print_map(review),
        "map_caption": map_caption(review),
        "notes": (*review.notes, secrecy_note(SECRET_THRESHOLD)) if public else review.notes,
        "delivered": w.delivery is not None,
        "veille": veille_section(review),
    }
    return render("review.html", **context)
