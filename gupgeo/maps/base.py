"""The map itself: an offline folium map with French controls, and its HTML export.

:func:`base_map` creates a :class:`TerritoryMap` (a ``folium.Map`` whose JS/CSS are set per
instance: Leaflet and plugins are inlined from the files fetched at build time, jQuery,
Bootstrap and Font Awesome are not loaded at all). :func:`save_map` writes one HTML file
that opens with no network; :func:`size_report` says where its bytes go.

With tiles unreachable (offline, proxy) the map keeps a plain light background and still
shows perimeters, labels and data: the basemap is decoration, never a dependency.

Notebooks: a ``TerritoryMap`` displays inline through folium's ``_repr_html_`` (an iframe
whose ``srcdoc`` carries the whole page, assets included, so it also works offline).
Jupyter does not run HTML/JS outputs of an *untrusted* notebook (the map then shows
"Make this Notebook Trusted…"): trust the notebook (File → Trust Notebook, or
``jupyter trust carnet.ipynb``), or save the map with :func:`save_map` and open the file,
or show it with ``IPython.display.IFrame("carte.html", width="100%", height=600)``.
"""

from __future__ import annotations

import html
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Unpack

import folium
from folium.template import Template

from gupgeo.errors import GupgeoError
from gupgeo.french import format_count, format_number
from gupgeo.maps._assets import AssetBundle, copy_assets
from gupgeo.maps._elements import DataLayer, DataSafeElement, ThemedGroup, own_assets
from gupgeo.maps.caption import Caption, CaptionWords, caption_of, caption_payload
from gupgeo.maps.controls import attach_controls
from gupgeo.publication import Profil

logger = logging.getLogger(__name__)

TOURS_CENTER = (47.39, 0.69)

BASEMAPS: dict[str, dict[str, Any]] = {
    "plan-ign": {
        "name": "Plan IGN",
        "tiles": "https://data.geopf.fr/wmts?REQUEST=GetTile&SERVICE=WMTS&VERSION=1.0.0"
        "&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png"
        "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
        "attr": "© IGN – Géoplateforme, Plan IGN",
        "max_zoom": 19,
    },
    "ortho-ign": {
        "name": "Photographies aériennes IGN",
        "tiles": "https://data.geopf.fr/wmts?REQUEST=GetTile&SERVICE=WMTS&VERSION=1.0.0"
        "&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/jpeg"
        "&LAYER=ORTHOIMAGERY.ORTHOPHOTOS&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
        "attr": "© IGN – Géoplateforme, photographies aériennes",
        "max_zoom": 19,
    },
    "osm": {
        "name": "OpenStreetMap",
        "tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "© contributeurs OpenStreetMap",
        "max_zoom": 19,
    },
}


class MapFigure(folium.Figure):
    """The page of a map: a French document (``lang="fr"``) with its title."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n'
        "<head>\n"
        "{% if this.title %}<title>{{ this.title }}</title>{% endif %}"
        "    {{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        "<body>\n"
        "    {{ this.html.render(**kwargs) }}\n"
        "</body>\n"
        "<script>\n"
        "    {{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        "</html>\n"
    )


class TerritoryMap(folium.Map, DataSafeElement):
    """A ``folium.Map`` carrying gupgeo's assets, caption, precision settings and extent.

    Use :func:`base_map` to create one; the layer builders of :mod:`gupgeo.maps` add to it.
    Its page lets readers zoom (no ``user-scalable=no``); its controls are attached when
    it is rendered (:func:`gupgeo.maps.controls.attach_controls`).
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <meta name="viewport" content="width=device-width, initial-scale=1.0" />
            <style>
                html, body, .gupgeo-main { width: 100%; height: 100%; margin: 0; padding: 0; }
                #{{ this.get_name() }} { position: relative; width: 100%; height: 100%; }
            </style>
        {% endmacro %}

        {% macro html(this, kwargs) %}
            <main class="gupgeo-main">
            <h1 class="gupgeo-sr-only">{{ this.heading() }}</h1>
            <div class="folium-map" id={{ this.get_name()|tojson }}></div>
            </main>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map({{ this.get_name()|tojson }}, {
                center: {{ this.location|tojson }},
                crs: L.CRS.{{ this.crs }},
                ...{{ this.options|tojavascript }}
            });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        caption: dict[str, Any],
        precision: int,
        simplify_tolerance_m: float,
        max_zoom: int = 19,
    ) -> None:
        super().__init__(
            location=TOURS_CENTER,
            zoom_start=13,
            tiles=None,
            zoom_control=False,
            control_scale=False,
            prefer_canvas=False,
        )
        MapFigure().add_child(self)
        self.options["max_zoom"] = max_zoom
        self.options["min_zoom"] = 3
        # Per-instance lists: folium's class-level defaults (CDN links) are never used
        # and never mutated. Leaflet itself is resolved to the local copy by name.
        self.default_js: list[tuple[str, str]] = [("leaflet", "leaflet/dist/leaflet.js")]
        self.default_css: list[tuple[str, str]] = [
            ("leaflet_css", "leaflet/dist/leaflet.css"),
            *own_assets("map_core.css"),
        ]
        self.assets = AssetBundle()
        self.caption = caption
        self.precision = precision
        self.simplify_tolerance_m = simplify_tolerance_m
        self.bounds: list[list[float]] | None = None
        self.fit_max_zoom = 17

    def heading(self) -> str:
        """The page's one heading (read by screen readers, not drawn): the map's title."""
        return html.escape(self.caption.get("title") or "Carte gupgeo")

    def include_bounds(self, west: float, south: float, east: float, north: float) -> None:
        """Grow the initial extent to cover a layer (WGS84 degrees)."""
        if not all(math.isfinite(v) for v in (west, south, east, north)):
            return
        if self.bounds is None:
            self.bounds = [[south, west], [north, east]]
        else:
            (s, w), (n, e) = self.bounds
            self.bounds = [[min(s, south), min(w, west)], [max(n, north), max(e, east)]]

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if not isinstance(figure, folium.Figure):
            raise TypeError("la carte doit appartenir à une figure folium pour être rendue")
        figure.title = html.escape(self.caption.get("title") or "Carte gupgeo")
        attach_controls(self)
        number_elements(figure)
        super().render(**kwargs)
        self.assets.localise(figure.header)


def number_elements(root: Any) -> None:
    """Give every element of the tree a deterministic id (its rank in document order).

    branca names elements with random UUIDs; numbered ids make two renders of the same
    map byte-identical (atlas rebuilds, tests) without rewriting the HTML afterwards.
    """
    stack = [root]
    rank = 0
    while stack:
        element = stack.pop()
        rank += 1
        element._id = f"{rank:032x}"
        stack.extend(reversed(list(element._children.values())))


def base_map(
    *,
    basemap: str | None = "plan-ign",
    caption: Caption | None = None,
    publication: Profil | str = Profil.INTERNE,
    precision: int = 5,
    simplify_tolerance_m: float = 1.0,
    **words: Unpack[CaptionWords],
) -> TerritoryMap:
    """An empty offline map with a French caption, ready for the layer builders.

    Parameters
    ----------
    basemap
        ``"plan-ign"``, ``"ortho-ign"``, ``"osm"`` or ``None`` (plain background). The other
        two are offered as alternatives in the layer control.
    caption
        Title, subtitle, sources and date of the map (:class:`~gupgeo.maps.caption.Caption`);
        ``title=``, ``subtitle=``, ``sources=``, ``date=`` keywords replace its fields.
    publication
        Profile written on the map: ``"interne"``, ``"partenaires"`` or ``"public"``. The
        builders do not filter data: use :func:`gupgeo.publication.publish` or
        :func:`map_territory`, which does.
    precision
        Decimals kept on WGS84 coordinates (5 ≈ 1 m).
    simplify_tolerance_m
        Douglas–Peucker tolerance for lines and polygons, in Lambert-93 metres (0: none).
    """
    publication = Profil.parse(publication)  # the label written on the map
    if basemap is not None and basemap not in BASEMAPS:
        raise ValueError(
            f"basemap : {basemap!r} inconnu ; attendu l'un de {sorted(BASEMAPS)} ou None"
        )
    if not 0 <= precision <= 8:
        raise ValueError(f"precision : {precision!r} ; attendu un entier entre 0 et 8")
    m = TerritoryMap(
        caption=caption_payload(caption_of(caption, words), publication),
        precision=precision,
        simplify_tolerance_m=simplify_tolerance_m,
    )
    if basemap is not None:
        order = [basemap, *[b for b in BASEMAPS if b != basemap]]
        for i, key in enumerate(order):
            spec = BASEMAPS[key]
            folium.TileLayer(
                tiles=spec["tiles"],
                attr=spec["attr"],
                name=spec["name"],
                max_zoom=spec["max_zoom"],
                overlay=False,
                control=True,
                show=i == 0,
            ).add_to(m)
    return m


def require_map(m: Any) -> TerritoryMap:
    """Return ``m`` if it is a gupgeo map, else raise a helpful ``TypeError``."""
    if not isinstance(m, TerritoryMap):
        raise TypeError(
            f"carte : reçu {type(m).__name__} ; attendu une carte créée par "
            "gupgeo.maps.base_map() ou gupgeo.map_territory()"
        )
    return m


@dataclass(frozen=True)
class MapSizeReport:
    """Where the bytes of a saved map go."""

    path: Path | None
    total_bytes: int
    assets_bytes: int
    layers: dict[str, int] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        def mb(n: int) -> str:
            return f"{format_number(n / 1e6, 2)} Mo"

        rows = [f"Taille totale : {mb(self.total_bytes)} (bibliothèques : {mb(self.assets_bytes)})"]
        for name, size in sorted(self.layers.items(), key=lambda kv: -kv[1]):
            count = format_count(self.features.get(name, 0))
            rows.append(f"  {name} : {mb(size)} ({count} objets)")
        return "\n".join(rows)


def size_report(
    m: TerritoryMap, html_text: str | None = None, *, path: Path | None = None
) -> MapSizeReport:
    """Measure the rendered map: total, inlined libraries, and data per layer."""
    require_map(m)
    if html_text is None:
        html_text = m.get_root().render()
    layers: dict[str, int] = {}
    features: dict[str, int] = {}
    for child in m._children.values():
        if not isinstance(child, ThemedGroup):
            continue
        for element in child._children.values():
            if isinstance(element, DataLayer):
                layers[child.layer_name] = layers.get(child.layer_name, 0) + element.payload_bytes
                features[child.layer_name] = features.get(child.layer_name, 0) + int(
                    getattr(element, "feature_count", 0)
                )
    return MapSizeReport(
        path=path,
        total_bytes=len(html_text.encode("utf-8")),
        assets_bytes=m.assets.rendered_bytes,
        layers=layers,
        features=features,
    )


class MapSaveError(GupgeoError, OSError):
    """The map could not be written."""


def save_map(
    m: TerritoryMap,
    path: str | Path,
    *,
    self_contained: bool = True,
    assets_folder: str = "gupgeo-assets",
    assets_dir: str | Path | None = None,
) -> MapSizeReport:
    """Write the map as HTML that opens with no network; return its size report.

    Parameters
    ----------
    self_contained
        ``True`` (default): one file carrying Leaflet, plugins, styles and icons inline
        (about 0.2 MB of libraries). ``False``: the libraries are copied once into
        ``assets_folder`` beside the file and linked relatively — for an atlas whose
        pages share them.
    assets_dir
        Where the build-time assets are (default: ``$GUPGEO_ASSETS_DIR``, else the copy in
        the installed package, else ``build/assets`` of a checkout).
    """
    m = require_map(m)
    target = Path(path)
    previous_dir = m.assets.assets_dir
    if assets_dir is not None:
        m.assets.assets_dir = Path(assets_dir)
    m.assets.link_prefix = None if self_contained else f"{assets_folder}/"
    try:
        html_text = m.get_root().render()
        if not self_contained:
            copy_assets(
                tuple(m.assets.packages),
                target.parent / assets_folder,
                assets_dir=m.assets.assets_dir,
            )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html_text, encoding="utf-8")
        except OSError as exc:
            raise MapSaveError(f"impossible d'écrire la carte {target} : {exc}") from exc
        report = size_report(m, html_text, path=target)
    finally:
        m.assets.link_prefix = None
        m.assets.assets_dir = previous_dir
    logger.info("carte écrite : %s\n%s", target, report)
    return report
