"""Review of an aménagement operation against what is known on and around its site.

The contrat de ville asks to integrate uses, management constraints and situational
prevention upstream of every operation, and to check that investments last.
:func:`review_operation` gathers, for an operation of the territory or any polygon:

- the signalements inside the perimeter and in its surroundings (``buffer_m``), by
  category and by quarter over ``months`` months, and for a delivered operation the
  monthly rate before and after the delivery date;
- the constats (prévention situationnelle) with their gravité and recommendations;
- the équipements concerned, with the management constraint each brings (PAVE,
  play areas, lighting, schools…);
- the guarantee calls on the operation and on the équipements of its perimeter;
- the veille around it (:mod:`gupgeo.review.veille`): significant hot spots, emerging
  categories and problems reported several times in the perimeter and its abords —
  what "alimenter le projet urbain" asks;
- a map.

Everything goes into one HTML file (:meth:`OperationReview.save`) that opens
offline. The publication profile applies (``partenaires`` by default: no personal
data, no ESSP findings): the review takes a :class:`~gupgeo.publication.Publication`
(:func:`gupgeo.publication.publish`) and every table, title and map is built from it.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.crs import to_work_crs
from gupgeo.errors import SchemaError
from gupgeo.french import quartier_names
from gupgeo.publication import (
    GRID_CELL_M,
    MAX_TEXT_CHARS,
    Profil,
    Publication,
    Source,
    aggregate_to_grid,
    as_publication,
    scrub_text,
)
from gupgeo.review import data as rd
from gupgeo.review.html import render_review
from gupgeo.review.model import OperationReview
from gupgeo.review.veille import review_veille
from gupgeo.territory import Territory

logger = logging.getLogger(__name__)


def review_operation(
    source: Publication | Source,
    operation: Any,
    *,
    buffer_m: float = 200.0,
    months: int = 24,
    publication: Profil | str | None = None,
    basemap: str | None = "plan-ign",
    build_date: Any = None,
) -> OperationReview:
    """Review an aménagement operation (or any polygon) against the territory's data.

    Parameters
    ----------
    source
        A :class:`~gupgeo.publication.Publication`; or an attributed territory, a
        Territory or a mapping layer name → (Geo)DataFrame, published here, at the
        door, for ``publication``.
    operation
        An ``id`` of the ``operations`` layer (``"OP-03"``), a polygon file (GeoJSON,
        GeoPackage, Shapefile… with a CRS) or a GeoDataFrame of polygons.
    buffer_m
        Width in metres of the surroundings (*abords*) studied around the perimeter.
    months
        Length of the window, in months: before and after the delivery date for a
        delivered operation, else the last ``months`` months of the data.
    publication
        Profile of a ``source`` that is not yet a Publication: ``"partenaires"``
        (default), ``"interne"`` or ``"public"``.
    basemap
        Basemap of the map (``None``: plain background).
    build_date
        Date written on the report (default today).

    Returns
    -------
    OperationReview
        Call ``.save("revue.html")`` to write the report.

    Examples
    --------
    >>> import gupgeo
    >>> t = gupgeo.load_territory("data/sample")
    >>> review = review_operation(t, "OP-03", basemap=None)  # doctest: +SKIP
    >>> review.windows.delivery is not None  # doctest: +SKIP
    True
    """
    whole_pub = as_publication(source, publication)
    publication = whole_pub.profil
    _check_options(buffer_m, months)
    raw = whole_pub.territory()  # published rows: the review never reads unpublished ones
    located = rd.resolve_perimeter(raw, operation)
    data_start, data_end = _data_span(raw)
    pub = whole_pub.restricted(_around(raw, located.geometry, buffer_m).layers)
    t = pub.territory()
    perimeter = rd.resolve_perimeter(t, operation)
    if pub.masks:  # a perimeter file brings its own name
        name = scrub_text(pd.Series([perimeter.name]), max_chars=MAX_TEXT_CHARS).iloc[0]
        perimeter = dataclasses.replace(perimeter, name=str(name))
    sig_layer = t["signalements"]
    w = rd.windows(perimeter, data_start, data_end, int(months))
    notes = [*pub.notes, *rd.coverage_notes(raw.layers, w)]

    sig = rd.layer_near(sig_layer, perimeter.geometry, buffer_m)
    sig = sig.assign(date_signalement=pd.to_datetime(sig["date_signalement"], errors="coerce"))
    by_cat = rd.by_category(sig, w)
    by_quarter = rd.by_quarter(sig, w)
    ba = rd.before_after(sig[(sig["zone"] == rd.PERIMETRE).to_numpy()], w)
    constats = _constats(pub.layers.get("constats") if pub.locates else None, perimeter, buffer_m)
    if pub.secret:
        notes.extend(_public_notes(pub.secret_threshold))
    equipements = _equipements_near(pub.layers.get("equipements"), perimeter, buffer_m)
    garanties = rd.guarantee_calls(pub.layers, perimeter, equipements, w)
    notes.extend(_perimeter_notes(perimeter))
    notes.extend(_window_notes(w, months, perimeter))
    veille = review_veille(
        raw.get("signalements"),
        sig_layer,
        t["quartiers"],
        perimeter=perimeter.geometry,
        buffer_m=buffer_m,
        window=w,
        publication=publication,
    )
    when = (
        pd.Timestamp(build_date).normalize()
        if build_date is not None
        else pd.Timestamp.now().normalize()
    )
    perimeter_gdf = gpd.GeoDataFrame(
        {"nom": [perimeter.name], "id": [perimeter.operation_id or ""]},
        geometry=[perimeter.geometry],
        crs="EPSG:2154",
    )
    map_html, grid = _review_map(
        pub, t, perimeter, perimeter_gdf, w, buffer_m, when, basemap=basemap, veille=veille
    )
    review = OperationReview(
        name=perimeter.name,
        operation_id=perimeter.operation_id,
        source=perimeter.source,
        perimeter=perimeter_gdf,
        buffer_m=float(buffer_m),
        months=int(months),
        windows=w,
        publication=publication,
        signalements_by_category=by_cat,
        signalements_by_quarter=by_quarter,
        before_after=ba,
        signalements=sig[
            ((sig["date_signalement"] >= w.start) & (sig["date_signalement"] < w.end)).to_numpy()
        ],
        constats=constats,
        equipements=equipements,
        garanties=garanties,
        record=perimeter.record,
        notes=tuple(notes),
        map_html=map_html,
        build_date=when,
        quartier_name=_quartier_name(t, perimeter.record.get("code_qp")),
        signalements_grid=grid,
        veille=veille,
    )
    return replace(review, html=render_review(review))


def _review_map(
    pub: Publication,
    t: Territory,
    perimeter: rd.Perimeter,
    perimeter_gdf: gpd.GeoDataFrame,
    w: rd.Windows,
    buffer_m: float,
    when: pd.Timestamp,
    *,
    basemap: str | None,
    veille: Any,
) -> tuple[str, pd.DataFrame | None]:
    """The review's map (self-contained HTML) and, in ``public``, its grid of counts."""
    from gupgeo.maps.caption import Caption
    from gupgeo.maps.pages import review_map

    sig_layer = t["signalements"]
    map_layers = _map_layers(t, perimeter, buffer_m, w)
    window_dates = pd.to_datetime(sig_layer["date_signalement"], errors="coerce")
    in_window = sig_layer[((window_dates >= w.start) & (window_dates < w.end)).to_numpy()]
    grid = None
    if pub.secret:
        area = perimeter.geometry.buffer(buffer_m * 1.5)
        map_layers["signalements"] = _whole_cells(in_window, area)
        grid = aggregate_to_grid(
            map_layers["signalements"], cell_size_m=GRID_CELL_M, threshold=pub.secret_threshold
        )
    ring = gpd.GeoDataFrame(
        {"code_qp": ["abords"], "nom_qp": [f"Abords ({buffer_m:g} m)"]},
        geometry=[perimeter.geometry.buffer(buffer_m).difference(perimeter.geometry)],
        crs="EPSG:2154",
    )
    map_html = review_map(
        pub.restricted(map_layers),
        perimeter_gdf,
        ring,
        caption=Caption(
            f"Revue : {perimeter.name}",
            f"Périmètre et abords de {buffer_m:g} m",
            "territoire GUP",
            when,
        ),
        publication=pub.profil,
        basemap=basemap,
        veille=veille,
    )
    return map_html, grid


REVIEW_LAYERS = ("quartiers", "operations", "equipements", "signalements", "constats", "garanties")
"""The layers a review reads."""


def _around(t: Territory, perimeter: shapely.Geometry, buffer_m: float) -> Territory:
    """The layers a review reads, their points cut to what it can show: the abords drawn
    on its map (1.5 × ``buffer_m``) and the whole public grid cells around them."""
    reach = buffer_m * 1.5 + 2 * GRID_CELL_M
    minx, miny, maxx, maxy = perimeter.bounds
    box = shapely.box(minx - reach, miny - reach, maxx + reach, maxy + reach)
    layers: dict[str, pd.DataFrame] = {}
    for name in REVIEW_LAYERS:
        frame = t.get(name)
        if frame is None:
            continue
        if name in ("signalements", "constats", "equipements") and isinstance(
            frame, gpd.GeoDataFrame
        ):
            work = to_work_crs(frame, name=name)
            frame = frame.iloc[np.sort(work.sindex.query(box, predicate="intersects"))]
        layers[name] = frame
    return Territory(layers, provenance=t.provenance)


def _check_options(buffer_m: float, months: int) -> None:
    if not (np.isfinite(buffer_m) and 0 <= buffer_m <= 5000):
        raise ValueError(f"buffer_m : {buffer_m!r} ; attendu un nombre de mètres entre 0 et 5000")
    if not (isinstance(months, int | np.integer) and 1 <= months <= 240):
        raise ValueError(f"months : {months!r} ; attendu un nombre entier de mois entre 1 et 240")


def _data_span(raw: Territory) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First day of the signalements, and the day after their last."""
    raw_sig = raw.get("signalements")
    if not isinstance(raw_sig, gpd.GeoDataFrame):
        raise SchemaError("revue : la couche « signalements » (points) est nécessaire")
    dates = pd.to_datetime(raw_sig["date_signalement"], errors="coerce")
    if dates.isna().all():
        raise SchemaError("revue : aucun signalement daté dans le territoire")
    start = pd.Timestamp(dates.min()).normalize()
    return start, pd.Timestamp(dates.max()).normalize() + pd.Timedelta(days=1)


def _public_notes(threshold: int) -> list[str]:
    return [
        f"signalements : publiés en carreaux de {GRID_CELL_M:g} m, effectifs inférieurs à "
        f"{threshold} couverts par le secret.",
        "constats : profil public, seuls leurs nombres par thème sont publiés.",
    ]


def _equipements_near(
    equipements: pd.DataFrame | None, perimeter: Any, buffer_m: float
) -> gpd.GeoDataFrame:
    """The équipements of the perimeter and its surroundings, with distance and constraint."""
    near = rd.layer_near(equipements, perimeter.geometry, buffer_m)
    if len(near):
        near = near.assign(
            distance_m=rd.distance_m(near, perimeter.geometry),
            contrainte_gestion=[rd.constraint_for(v) for v in near.get("type", [])],
        )
    return near


def _perimeter_notes(perimeter: rd.Perimeter) -> list[str]:
    """What a perimeter file did not say (French), also logged as a warning."""
    if not perimeter.missing:
        return []
    said = {
        "nom": "nom (le nom du fichier est utilisé)",
        "date_livraison": "date_livraison (pas de comparaison avant/après)",
    }
    text = (
        f"{perimeter.source} : attribut(s) absent(s) : "
        + ", ".join(said.get(c, c) for c in perimeter.missing)
        + "."
    )
    logger.warning(text)
    return [text]


def _window_notes(w: rd.Windows, months: int, perimeter: rd.Perimeter) -> list[str]:
    """What the time window can and cannot compare, in French."""
    if w.delivery is None:
        last = f"{w.data_end - pd.Timedelta(days=1):%d/%m/%Y}"
        delivery = perimeter.record.get("date_livraison")
        if delivery is None:
            state = "date de livraison inconnue"
        elif pd.Timestamp(delivery) <= w.data_start:
            state = f"livrée le {pd.Timestamp(delivery):%d/%m/%Y}, avant le début des données"
        else:
            state = f"opération non livrée à la fin des données ({last})"
        return [f"{state} : fenêtre des {months} derniers mois, sans comparaison avant/après."]
    notes = []
    for label, span in (("avant", w.before), ("après", w.after)):
        if span is not None and rd.months_between(*span) < months - 0.5:
            notes.append(
                f"{label} livraison : {rd.months_between(*span):.1f} mois de données "
                f"seulement (sur {months} demandés) ; les comparaisons se font par mois.".replace(
                    ".", ",", 1
                )
            )
    return notes


def _constats(
    published: pd.DataFrame | None, perimeter: rd.Perimeter, buffer_m: float
) -> gpd.GeoDataFrame:
    """Constats allowed by the profile near the perimeter, most serious first."""
    source = published if isinstance(published, gpd.GeoDataFrame) else None
    near = rd.layer_near(source, perimeter.geometry, buffer_m)
    if len(near) == 0:
        return near
    gravite = near["gravite"] if "gravite" in near.columns else pd.Series(np.nan, index=near.index)
    near = near.assign(_g=pd.to_numeric(gravite, errors="coerce").fillna(0))
    order = [c for c in ("_g", "date") if c in near.columns]
    near = near.sort_values(order, ascending=[False, True][: len(order)], kind="stable")
    return near.drop(columns="_g")


def _whole_cells(points: gpd.GeoDataFrame, area: Any) -> gpd.GeoDataFrame:
    """The points lying in the public grid cells that touch ``area``, every such cell whole.

    Cutting points at a buffer would publish partial counts for the edge cells; two
    reviews could then show one cell with two counts, and their difference.
    """
    if len(points) == 0:
        return points
    xy = np.asarray(points.geometry.representative_point().get_coordinates())
    size = GRID_CELL_M
    x0, y0, x1, y1 = (np.floor(np.asarray(area.bounds) / size) * size).tolist()
    ix, iy = np.floor(xy[:, 0] / size) * size, np.floor(xy[:, 1] / size) * size
    keep = (ix >= x0) & (ix <= x1) & (iy >= y0) & (iy <= y1)
    return points[keep]


def _quartier_name(t: Any, code: Any) -> str | None:
    quartiers = t.get("quartiers")
    if code is None or quartiers is None or "nom_qp" not in quartiers.columns:
        return None
    names = quartier_names(quartiers)  # the one naming rule (commune for homonyms)
    return str(names[code]) if code in names.index else None


def _map_layers(
    t: Any, perimeter: rd.Perimeter, buffer_m: float, w: rd.Windows
) -> dict[str, pd.DataFrame]:
    layers: dict[str, pd.DataFrame] = {}
    for name in ("quartiers", "operations", "equipements", "signalements", "constats"):
        frame = t.get(name)
        if not isinstance(frame, gpd.GeoDataFrame):
            continue
        if name == "quartiers":
            layers[name] = frame
            continue
        near = rd.layer_near(frame, perimeter.geometry, buffer_m * 1.5)
        if name == "signalements":
            dates = pd.to_datetime(near["date_signalement"], errors="coerce")
            near = near[((dates >= w.start) & (dates < w.end)).to_numpy()]
        if len(near):  # an empty selection has no columns to draw
            layers[name] = near.drop(columns="zone")
    return layers


__all__ = ["OperationReview", "review_operation"]
