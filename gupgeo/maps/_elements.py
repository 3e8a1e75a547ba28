"""The folium elements gupgeo adds to a map: themed layer groups and runtime calls.

Each element emits one call to the gupgeo runtime (``gupgeo_map.js``) with its data as
script-safe JSON (:func:`gupgeo.maps._format.js_literal`); the runtime builds every visible
text with ``textContent``. Styles are one small table per layer, looked up by class index
in the browser, never a per-feature ``switch``.

Data is never compiled as a template. branca's ``MacroElement.render`` wraps the output
of each macro in ``Element(text)``, which compiles ``text`` as a Jinja2 template a second
time: with user data inside, ``{{ … }}`` in a resident's report would run on the machine
building the map. Every element here that carries data renders through
:class:`DataSafeElement`, whose macro outputs are placed in the page verbatim.
"""

from __future__ import annotations

from typing import Any

import folium
from folium.elements import Element, Figure, MacroElement
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


class ThemedGroup(folium.FeatureGroup, DataSafeElement):
    """A layer group with a theme (its heading in the layer control) and a legend section."""

    def __init__(self, name: str, *, theme: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self.theme = theme
        self.legend: dict[str, Any] | None = None


class RuntimeCall(DataSafeElement):
    """``var <name> = gupgeo.<function>(<parent group>, <spec>, <options>);``"""

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
        function: str,
        spec: dict[str, Any],
        options: dict[str, Any] | None = None,
        *,
        feature_count: int = 0,
    ) -> None:
        super().__init__()
        self.feature_count = feature_count
        self._name = f"gupgeo_{function}"
        self.function = function
        self.spec_js = js_literal(spec)
        self.options_js = js_literal(options or {})

    @property
    def payload_bytes(self) -> int:
        """Size of the data this element writes into the page."""
        return len(self.spec_js.encode("utf-8")) + len(self.options_js.encode("utf-8"))


class MapSetup(DataSafeElement):
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


class MapFinish(DataSafeElement):
    """Controls added once every layer exists: zoom, fullscreen, scale, caption, legend,
    layer control grouped by theme. Rendered last by ``TerritoryMap``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        gupgeo.finish({{ this._parent.get_name() }}, {{ this.options_js(this._parent) }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "gupgeo_finish"

    def options_js(self, m: Any) -> str:
        groups: dict[str, list[str]] = {}
        legend: list[str] = []
        bases: list[str] = []
        for child in m._children.values():
            if isinstance(child, ThemedGroup):
                groups.setdefault(child.theme, []).append(
                    f"[{js_literal(child.layer_name)}, {child.get_name()}]"
                )
                if child.legend:
                    legend.append(
                        "{" + f"layer: {child.get_name()}, " + js_literal(child.legend)[1:]
                    )
            elif isinstance(child, folium.TileLayer):
                bases.append(f"[{js_literal(child.layer_name)}, {child.get_name()}]")
        group_js = ", ".join(
            f"[{js_literal(theme)}, [{', '.join(items)}]]" for theme, items in groups.items()
        )
        return (
            "{"
            f"caption: {js_literal(m.caption)}, "
            f"bases: [{', '.join(bases)}], "
            f"groups: [{group_js}], "
            f"legend: [{', '.join(legend)}]"
            "}"
        )
