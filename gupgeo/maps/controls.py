"""The map's controls, each a folium element: setup, French zoom and scale, fullscreen,
the "données de la carte" tables, caption, legend, grouped layer control, and the "ready"
flag.

:func:`attach_controls` adds them to a :class:`~gupgeo.maps.base.TerritoryMap` when it is
rendered, once every layer exists, in the order a reader meets them. Plugins come from
``folium.plugins`` where one fits (``Fullscreen``, ``GroupedLayerControl``); their
libraries are inlined from the files fetched at build time, like Leaflet's. Layer and
theme names are HTML-escaped before they reach the layer control, whose library writes
them with ``innerHTML``.
"""

from __future__ import annotations

import html
from typing import Any

import folium
from folium.plugins import Fullscreen, GroupedLayerControl
from folium.template import Template

from gupgeo.maps._elements import DataSafeElement, GupgeoElement, ThemedGroup, own_assets
from gupgeo.maps._format import js_literal

BASE_GROUP = "Fond de carte"


class MapSetup(GupgeoElement):
    """Right after the map is created: gupgeo's panes, and the extent of the data, fitted
    before any layer is drawn (no animation, no second drawing)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gupgeo.prepare({{ this._parent.get_name() }});
        {% if this._parent.bounds %}
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds_js(this._parent) }},
            {padding: [10, 10], maxZoom: {{ this._parent.fit_max_zoom }}, animate: false});
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "gupgeo_setup"

    def bounds_js(self, m: Any) -> str:
        return js_literal(m.bounds)


class FrenchControls(GupgeoElement):
    """Zoom buttons titled in French and a metric scale."""

    default_js = own_assets("map_core.js", "map_controls.js")
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gupgeo.frenchControls({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


class FullscreenButton(Fullscreen, DataSafeElement):
    """``folium.plugins.Fullscreen`` with French titles."""

    def __init__(self) -> None:
        super().__init__(
            position="topleft",
            title="Plein écran",
            title_cancel="Quitter le plein écran",
            force_separate_button=True,
        )


class DataPanel(GupgeoElement):
    """ "Données de la carte": a button among the controls and a skip link first in the page
    open one table per layer shown, listing what is in view; each row opens its popup (or
    zooms on a group of points) as a click would — the map for a keyboard or a screen
    reader (``map_datatable.js``)."""

    default_js = own_assets("map_core.js", "map_datatable.js")
    default_css = own_assets("map_core.css", "map_datatable.css")
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        new gupgeo.DataPanel().addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


class CaptionControl(GupgeoElement):
    """Title, subtitle, sources, date and publication profile, bottom left."""

    default_js = own_assets("map_core.js", "map_caption.js")
    default_css = own_assets("map_core.css", "map_caption.css")
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        new gupgeo.Caption({{ this.caption_js }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, caption: dict[str, Any]) -> None:
        super().__init__()
        self.caption_js = js_literal(caption)


class LegendControl(GupgeoElement):
    """One section per layer that has a legend, shown while its layer is on the map."""

    default_js = own_assets("map_core.js", "map_legend.js")
    default_css = own_assets("map_core.css", "map_legend.css")
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {% if this.groups %}
        new gupgeo.Legend({{ this.sections_js() }}).addTo({{ this._parent.get_name() }});
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, groups: list[ThemedGroup]) -> None:
        super().__init__()
        self.groups = [g for g in groups if g.legend]

    def sections_js(self) -> str:
        sections = [
            "{" + f"layer: {g.get_name()}, " + js_literal(g.legend)[1:] for g in self.groups
        ]
        return "[" + ", ".join(sections) + "]"


class LayerControl(GroupedLayerControl, DataSafeElement):
    """``folium.plugins.GroupedLayerControl``: base maps as radio buttons under "Fond de
    carte", overlays as check boxes under their theme; always open."""

    default_css = [*GroupedLayerControl.default_css, *own_assets("map_layers.css")]  # noqa: RUF012

    def __init__(self, bases: list[folium.TileLayer], groups: list[ThemedGroup]) -> None:
        themes: dict[str, list[Any]] = {}
        if len(bases) > 1:
            themes[BASE_GROUP] = list(bases)
        for group in groups:
            themes.setdefault(group.theme, []).append(group)
        super().__init__(themes, exclusive_groups=False, collapsed=False, position="topright")
        self._themes = themes
        if len(bases) > 1:
            self.options["exclusiveGroups"] = [html.escape(BASE_GROUP)]

    def render(self, **kwargs: Any) -> Any:
        # Variable names are read now, once every element has its final id. The library
        # writes names with innerHTML: hand it escaped text.
        self.grouped_overlays = {
            html.escape(theme): {html.escape(e.layer_name): e.get_name() for e in elements}
            for theme, elements in self._themes.items()
        }
        self.layers_untoggle = {
            e.get_name() for elements in self._themes.values() for e in elements if not e.show
        }
        return super().render(**kwargs)


class MapReady(GupgeoElement):
    """Last: ``window.gupgeo.map`` and ``window.gupgeo.ready`` (for tests and benchmarks)."""

    default_js = own_assets("map_core.js", "map_controls.js")
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gupgeo.done({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def attach_controls(m: Any) -> None:
    """(Re)attach the controls to ``m``, after its layers and in reading order.

    Idempotent: each control has a fixed name, so a second render replaces it.
    """
    groups = [c for c in m._children.values() if isinstance(c, ThemedGroup)]
    bases = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    m.add_child(MapSetup(), name="gupgeo_setup")
    m._children.move_to_end("gupgeo_setup", last=False)
    controls: list[tuple[str, Any]] = [
        ("gupgeo_zoom", FrenchControls()),
        ("gupgeo_fullscreen", FullscreenButton()),
        ("gupgeo_data", DataPanel()),
        ("gupgeo_caption", CaptionControl(m.caption)),
        ("gupgeo_legend", LegendControl(groups)),
        ("gupgeo_layers", LayerControl(bases, groups)),
        ("gupgeo_ready", MapReady()),
    ]
    for name, control in controls:
        m.add_child(control, name=name)
        m._children.move_to_end(name)
