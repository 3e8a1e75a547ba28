"""QGIS 3 XML pieces written by hand: colours, symbols, renderers, labels.

Symbol layer properties are written twice, as an ``<Option type="Map">`` (what QGIS 3.22+
writes) and as ``<prop k v>`` (what every QGIS 3 reads), so the style opens in any QGIS 3.
Nothing here needs QGIS; ``tests/qgis_check.py`` proves that QGIS reads it back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

QGIS_VERSION = "3.22.0-Białowieża"
"""The QGIS version written in the documents: the oldest LTR they are tested with."""


def rgba(color: str, alpha: int = 255) -> str:
    """QGIS colour text of a ``#rrggbb`` colour.

    Examples
    --------
    >>> rgba("#0072B2"), rgba("#ffffff", 40)
    ('0,114,178,255', '255,255,255,40')
    """
    value = color.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"couleur : {color!r} ; attendu #rrggbb")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def sub(parent: ET.Element, tag: str, text: str | None = None, /, **attrs: object) -> ET.Element:
    """Append a child element with string attributes (and text)."""
    child = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        child.text = text
    return child


def option_map(parent: ET.Element, values: Mapping[str, object]) -> ET.Element:
    """``<Option type="Map">`` of string values (QGIS' variant map)."""
    node = sub(parent, "Option", type="Map")
    for key, value in values.items():
        sub(node, "Option", type="QString", name=key, value=value)
    return node


@dataclass(frozen=True)
class SymbolLayer:
    """One QGIS symbol layer: its class (``SimpleMarker``, ``SimpleFill``…) and properties."""

    cls: str
    props: Mapping[str, object]


def symbol(kind: str, layers: Sequence[SymbolLayer], *, name: str = "0") -> ET.Element:
    """A ``<symbol>`` of ``kind`` (marker, line, fill) made of ``layers`` (bottom first)."""
    node = ET.Element("symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    for layer in layers:
        item = sub(node, "layer", **{"class": layer.cls, "enabled": 1, "locked": 0, "pass": 0})
        option_map(item, layer.props)
        for key, value in layer.props.items():
            sub(item, "prop", k=key, v=value)
    return node


def marker(color: str, *, shape: str = "circle", size_mm: float = 2.6) -> SymbolLayer:
    """A filled marker with a thin white outline (dots of the HTML map)."""
    return SymbolLayer(
        "SimpleMarker",
        {
            "name": shape,
            "color": rgba(color),
            "size": size_mm,
            "size_unit": "MM",
            "outline_color": "255,255,255,255",
            "outline_width": 0.3,
            "outline_width_unit": "MM",
            "outline_style": "solid",
            "angle": 0,
            "scale_method": "diameter",
            "horizontal_anchor_point": 1,
            "vertical_anchor_point": 1,
        },
    )


def glyph(text: str, *, color: str, size_mm: float) -> SymbolLayer:
    """A text glyph drawn over a marker (équipement badges: "É", "CS", "MP"…)."""
    return SymbolLayer(
        "FontMarker",
        {
            "chr": text,
            "font": "DejaVu Sans",
            "font_style": "Bold",
            "color": rgba(color),
            "size": size_mm,
            "size_unit": "MM",
            "outline_color": rgba(color, 0),
            "outline_width": 0,
            "angle": 0,
            "horizontal_anchor_point": 1,
            "vertical_anchor_point": 1,
            "joinstyle": "miter",
        },
    )


def fill(
    color: str | None,
    *,
    fill_alpha: int = 255,
    outline: str | None = None,
    outline_width_mm: float = 0.26,
    outline_style: str = "solid",
) -> SymbolLayer:
    """A simple fill (``color`` None: no fill) with an outline (None: none)."""
    return SymbolLayer(
        "SimpleFill",
        {
            "color": rgba(color or "#ffffff", fill_alpha if color else 0),
            "style": "solid" if color else "no",
            "outline_color": rgba(outline or "#000000"),
            "outline_style": outline_style if outline else "no",
            "outline_width": outline_width_mm,
            "outline_width_unit": "MM",
            "joinstyle": "miter",
        },
    )


def line(color: str, *, width_mm: float = 0.8, dash: str | None = None) -> SymbolLayer:
    """A simple line, dashed by ``dash`` (``"3;2"``, millimetres) when given."""
    props: dict[str, object] = {
        "line_color": rgba(color),
        "line_width": width_mm,
        "line_width_unit": "MM",
        "line_style": "solid",
        "capstyle": "round",
        "joinstyle": "round",
        "use_custom_dash": 1 if dash else 0,
        "customdash": dash or "5;2",
        "customdash_unit": "MM",
    }
    return SymbolLayer("SimpleLine", props)


def hatch(color: str, *, angle: float = 45, spacing_mm: float = 1.6) -> SymbolLayer:
    """Diagonal hatching (secret cells, operation perimeters of the HTML map)."""
    return SymbolLayer(
        "LinePatternFill",
        {
            "angle": angle,
            "distance": spacing_mm,
            "distance_unit": "MM",
            "line_width": 0.3,
            "line_width_unit": "MM",
            "color": rgba(color),
            "offset": 0,
            "offset_unit": "MM",
        },
    )


def hatch_symbol(
    color: str, outline: str, *, outline_width_mm: float = 0.3, outline_style: str = "solid"
) -> ET.Element:
    """A hatched fill symbol: the line pattern needs its own line sub-symbol."""
    border = fill(
        None, outline=outline, outline_width_mm=outline_width_mm, outline_style=outline_style
    )
    node = symbol("fill", [hatch(color), border])
    pattern = node.find("layer")
    if pattern is None:  # pragma: no cover - built just above
        raise RuntimeError("motif de hachures absent")
    pattern.append(symbol("line", [line(color, width_mm=0.3)], name="@0@0"))
    return node


@dataclass(frozen=True)
class Category:
    """One class of a categorised renderer: value (``""``: missing), label, symbol."""

    value: str
    label: str
    symbol: ET.Element


def categorized(attribute: str, categories: Sequence[Category]) -> ET.Element:
    """``<renderer-v2 type="categorizedSymbol">`` on ``attribute`` (a field or expression)."""
    node = ET.Element(
        "renderer-v2",
        type="categorizedSymbol",
        attr=attribute,
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    cats = sub(node, "categories")
    symbols = sub(node, "symbols")
    for i, cat in enumerate(categories):
        sub(cats, "category", value=cat.value, label=cat.label, symbol=i, render="true")
        cat.symbol.set("name", str(i))
        symbols.append(cat.symbol)
    return node


def single(sym: ET.Element) -> ET.Element:
    """``<renderer-v2 type="singleSymbol">``."""
    node = ET.Element(
        "renderer-v2",
        type="singleSymbol",
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    symbols = sub(node, "symbols")
    sym.set("name", "0")
    symbols.append(sym)
    return node


@dataclass(frozen=True)
class Rule:
    """One rule of a rule-based renderer: filter expression, label, symbol."""

    filter: str
    label: str
    symbol: ET.Element


def rule_based(rules: Sequence[Rule]) -> ET.Element:
    """``<renderer-v2 type="RuleRenderer">``: one rule per class, in legend order."""
    node = ET.Element(
        "renderer-v2",
        type="RuleRenderer",
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    root = sub(node, "rules", key="{gupgeo-racine}")
    symbols = sub(node, "symbols")
    for i, rule in enumerate(rules):
        sub(
            root,
            "rule",
            key=f"{{gupgeo-regle-{i}}}",
            filter=rule.filter,
            label=rule.label,
            symbol=i,
        )
        rule.symbol.set("name", str(i))
        symbols.append(rule.symbol)
    return node


def labeling(
    expression: str,
    *,
    color: str = "#1b1b1b",
    size_pt: float = 9,
    bold: bool = True,
    polygon: bool = True,
) -> ET.Element:
    """Simple labelling by an expression, with a white halo (the HTML map's labels)."""
    node = ET.Element("labeling", type="simple")
    settings = sub(node, "settings", calloutType="simple")
    style = sub(
        settings,
        "text-style",
        fieldName=expression,
        isExpression=1,
        fontFamily="DejaVu Sans",
        namedStyle="Bold" if bold else "Book",
        fontWeight=75 if bold else 50,
        fontSize=size_pt,
        fontSizeUnit="Point",
        textColor=rgba(color),
        textOpacity=1,
        multilineHeight=1,
        allowHtml=0,
        capitalization=0,
    )
    sub(
        style,
        "text-buffer",
        bufferDraw=1,
        bufferSize=1,
        bufferSizeUnits="MM",
        bufferColor="255,255,255,255",
        bufferOpacity=0.9,
        bufferNoFill=1,
        bufferJoinStyle=128,
    )
    sub(settings, "text-format", wrapChar="", autoWrapLength=18, multilineAlign=1)
    # placement 1 = "over point" / horizontal in the polygon (offset from centroid)
    sub(
        settings,
        "placement",
        placement=1 if polygon else 0,
        centroidInside=1,
        centroidWhole=0,
        fitInPolygonOnly=0,
        dist=0,
        priority=5,
    )
    sub(
        settings,
        "rendering",
        drawLabels=1,
        obstacle=1,
        displayAll=0,
        upsidedownLabels=0,
        limitNumLabels=0,
        scaleVisibility=0,
        labelPerPart=0,
        mergeLines=0,
    )
    return node


def quote_field(name: str) -> str:
    r"""A field name quoted for a QGIS expression.

    >>> quote_field('nb "x" ok')
    '"nb ""x"" ok"'
    """
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    r"""A string literal for a QGIS expression.

    >>> quote_text("Rue de l'Alouette")
    "'Rue de l''Alouette'"
    """
    return "'" + text.replace("'", "''") + "'"


def to_text(node: ET.Element) -> str:
    """An element as indented XML text (no declaration)."""
    ET.indent(node, space=" ")
    return ET.tostring(node, encoding="unicode")
