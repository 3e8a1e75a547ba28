"""The folium elements gupgeo's layers are made of: themed groups and data layers.

Each element is a folium ``MacroElement`` that declares its own small JS/CSS modules
(``gupgeo/assets/map_*.js``) with folium's asset mechanism and emits one call with its
data as script-safe JSON (:func:`gupgeo.maps._format.js_literal`); the modules build every
visible text with ``textContent``. Styles are one small table per layer, looked up by
class index in the browser, never a per-feature ``switch``. The map's controls (caption,
legend, layer control, fullscreen) are in :mod:`gupgeo.maps.controls`.

Data is never compiled as a template. branca's ``MacroElement.render`` wraps the output
of each macro in ``Element(text)``, which compiles ``text`` as a Jinja2 template a second
time: with user data inside, ``{{ … }}`` in a resident's report would run on the machine
building the map. Every element here that carries data renders through
:class:`DataSafeElement`, whose macro outputs are placed in the page verbatim.
"""

from __future__ import annotations

from typing import Any

import folium
from folium.elements import Element, Figure, JSCSSMixin, MacroElement
from folium.plugins import HeatMap
from folium.template import Template

from gupgeo.maps._format import js_literal


class VerbatimText(Element):
    """Text placed in the page as it is: never compiled, never escaped again."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class DataSafeElement(MacroElement):
    """A ``MacroElement`` whose rendered macros are never compiled a second time.

    Same contract as branca's ``MacroElement.render`` (header, html and script macros,
    then the children), except that each macro's output is wrapped in
    :class:`VerbatimText` instead of ``Element``, so data inside it stays data.
    """

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("cet élément doit appartenir à une figure folium pour être rendu")
        sections = (("header", figure.header), ("html", figure.html), ("script", figure.script))
        for macro_name, section in sections:
            macro = self._template.module.__dict__.get(macro_name)
            if macro is not None:
                section.add_child(VerbatimText(str(macro(self, kwargs))), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)
        return ""


def own_assets(*files: str) -> list[tuple[str, str]]:
    """``default_js``/``default_css`` entries for gupgeo's own map modules.

    The name is the file name in ``gupgeo/assets`` (how :class:`~gupgeo.maps._assets.AssetBundle`
    finds it); the second item only says where it lives: the bundle inlines or links the
    local file, never a URL.
    """
    return [(name, f"gupgeo/assets/{name}") for name in files]


class GupgeoElement(JSCSSMixin, DataSafeElement):
    """A gupgeo map element: its own small JS/CSS modules declared with folium's asset
    mechanism (``default_js``/``default_css``, loaded once per page whatever the number
    of elements needing them), its data as script-safe JSON, never compiled as a template.
    """

    default_js = own_assets("map_core.js")
    default_css = own_assets("map_core.css")


class ThemedGroup(folium.FeatureGroup, DataSafeElement):
    """A layer group with a theme (its heading in the layer control) and a legend section."""

    def __init__(self, name: str, *, theme: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self.theme = theme
        self.legend: dict[str, Any] | None = None


class DataLayer(GupgeoElement):
    """A layer drawn by one gupgeo module from its JSON spec, inside its themed group:
    ``var <name> = gupgeo.<function>(<group>, <spec>, <options>);``."""

    function = ""
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = gupgeo.{{ this.function }}(
            {{ this._parent.get_name() }}, {{ this.spec_js }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        spec: dict[str, Any],
        options: dict[str, Any] | None = None,
        *,
        feature_count: int = 0,
    ) -> None:
        super().__init__()
        self.feature_count = feature_count
        self._name = f"gupgeo_{self.function}"
        self.spec_js = js_literal(spec)
        self.options_js = js_literal(options or {})

    @property
    def payload_bytes(self) -> int:
        """Size of the data this element writes into the page."""
        return len(self.spec_js.encode("utf-8")) + len(self.options_js.encode("utf-8"))


class VectorLayer(DataLayer):
    """Lines, polygons and points from GeoJSON, one style per class (``map_vector.js``):
    minimum visible size, zoom range and decluttered labels."""

    function = "vector"
    default_js = own_assets("map_core.js", "map_vector.js")


class PointLayer(DataLayer):
    """Any number of points on one canvas, grid clusters by zoom (``map_points.js``)."""

    function = "points"
    default_js = own_assets("map_core.js", "map_points.js")


class HeatLayer(DataLayer):
    """A heatmap drawn by the library of ``folium.plugins.HeatMap`` (leaflet.heat), fed
    from the compact point payload rather than folium's list of coordinates."""

    function = "heat"
    # folium's API: a mutable class attribute
    default_js = [*HeatMap.default_js, *own_assets("map_core.js", "map_heat.js")]  # noqa: RUF012
