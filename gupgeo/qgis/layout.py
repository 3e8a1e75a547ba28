"""The A4 atlas layout on the quartiers: one page per quartier, as the HTML atlas.

Each page: the quartier's name (homonyms with their commune) and code, a map centred on
the quartier (atlas-driven, 10 % margin), its key figures — the fields written from the
dashboard (:mod:`gupgeo.qgis.figures`) —, the legend, the sources, the date and the
publication profile. Layout items are QGIS 3 ``<LayoutItem>`` elements (types from
``QgsLayoutItemRegistry``: page 65638, map 65639, label 65641, legend 65642).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from gupgeo.qgis import _xml as x
from gupgeo.qgis.figures import KEY_FIGURES, NAME_FIELD, figure_label

LAYOUT_NAME = "Atlas des quartiers"
PAGE_MM = (210, 297)
ITEM_PAGE, ITEM_MAP, ITEM_LABEL, ITEM_LEGEND = 65638, 65639, 65641, 65642
MAP_UUID = "{6a1c0c1e-0000-4000-8000-67757067656f}"


def _font(size_pt: float, *, bold: bool = False) -> str:
    """A ``QFont.toString()`` description (family, size, …, weight)."""
    return f"DejaVu Sans,{size_pt:g},-1,5,{75 if bold else 50},0,0,0,0,0"


def _item(
    parent: ET.Element,
    kind: int,
    uuid: str,
    x_mm: float,
    y_mm: float,
    w_mm: float,
    h_mm: float,
    *,
    z: int,
    item_id: str,
    **attrs: object,
) -> ET.Element:
    base: dict[str, object] = dict(
        type=kind,
        uuid=uuid,
        templateUuid=uuid,
        id=item_id,
        position=f"{x_mm:g},{y_mm:g},mm",
        positionOnPage=f"{x_mm:g},{y_mm:g},mm",
        size=f"{w_mm:g},{h_mm:g},mm",
        zValue=z,
        visibility=1,
        opacity=1,
        blendMode=0,
        frame="false",
        background="false",
        positionLock="false",
        referencePoint=0,
        itemRotation=0,
        excludeFromExports=0,
        groupUuid="",
        outlineWidthM="0.3,mm",
        frameJoinStyle="miter",
    )
    node = x.sub(parent, "LayoutItem", **(base | attrs))
    x.sub(node, "FrameColor", red=0, green=0, blue=0, alpha=255)
    x.sub(node, "BackgroundColor", red=255, green=255, blue=255, alpha=255)
    obj = x.sub(node, "LayoutObject")
    x.sub(obj, "dataDefinedProperties")
    x.sub(obj, "customproperties")
    return node


def _label(
    parent: ET.Element,
    n: int,
    text: str,
    box: tuple[float, float, float, float],
    *,
    size_pt: float,
    bold: bool = False,
    item_id: str = "",
    color: str = "#1b1b1b",
) -> None:
    node = _item(
        parent,
        ITEM_LABEL,
        f"{{6a1c0c1e-0000-4000-8000-0000000000{n:02d}}}",
        *box,
        z=10 + n,
        item_id=item_id,
        labelText=text,
        htmlState=0,
        marginX=0,
        marginY=0,
        halign=1,
        valign=32,
    )
    x.sub(node, "LabelFont", style="", description=_font(size_pt, bold=bold))
    r, g, b, _ = (int(v) for v in x.rgba(color).split(","))
    x.sub(node, "FontColor", red=r, green=g, blue=b, alpha=255)


def _fitted(bounds: Sequence[float], ratio: float) -> list[float]:
    """``bounds`` grown to the width/height ``ratio`` of the map item, same centre."""
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    width, height = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    if width / height < ratio:
        width = height * ratio
    else:
        height = width / ratio
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return [cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2]


def figures_text(period_kind: str = "year") -> str:
    """The key figures block: one line per figure, the field's text as written."""
    rows = ['Chiffres clés de la période [% "periode" %]']
    rows += [
        f"{figure_label(fig, period_kind)} : [% coalesce({x.quote_field(fig.field)}, 'n.c.') %]"
        for fig in KEY_FIGURES
    ]
    return "\n".join(rows)


def atlas_layout(
    *,
    coverage_layer_id: str,
    coverage_name: str,
    coverage_source: str,
    coverage_provider: str,
    legend_layer_ids: Sequence[str],
    sources: str,
    produced_on: str,
    profile_label: str,
    extent: Sequence[float],
    period_kind: str = "year",
) -> ET.Element:
    """The ``<Layout>`` element of the atlas (A4 portrait, coverage: the quartiers)."""
    layout = ET.Element(
        "Layout", name=LAYOUT_NAME, units="mm", printResolution="300", worldFileMap=""
    )
    _pages_and_titles(layout)
    _map_item(layout, extent)
    _label(layout, 3, figures_text(period_kind), (10, 178, 64, 80), size_pt=9, item_id="chiffres")
    _legend_item(layout, legend_layer_ids)
    _footer(layout, sources=sources, produced_on=produced_on, profile_label=profile_label)
    x.sub(layout, "customproperties")
    _atlas_settings(
        layout,
        coverage_layer_id=coverage_layer_id,
        coverage_name=coverage_name,
        coverage_source=coverage_source,
        coverage_provider=coverage_provider,
    )
    return layout


def _pages_and_titles(layout: ET.Element) -> None:
    """The A4 page, and the quartier's name and code at its top."""
    pages = x.sub(layout, "PageCollection")
    _item(
        pages,
        ITEM_PAGE,
        "{6a1c0c1e-0000-4000-8000-000000000001}",
        0,
        0,
        *PAGE_MM,
        z=0,
        item_id="",
        background="true",
    )
    x.sub(pages, "GuideCollection", visible=1)
    _label(
        layout,
        1,
        f'[% "{NAME_FIELD}" %]',
        (10, 8, 190, 11),
        size_pt=18,
        bold=True,
        item_id="titre",
        color="#2c3e8f",
    )
    _label(
        layout,
        2,
        'Quartier prioritaire [% "code_qp" %][% \' — \' || "commune" %]',
        (10, 19, 190, 7),
        size_pt=10,
        item_id="sous-titre",
    )


def _map_item(layout: ET.Element, extent: Sequence[float]) -> None:
    """The map, driven by the atlas (each page centred on its quartier)."""
    page_map = _item(
        layout,
        ITEM_MAP,
        MAP_UUID,
        10,
        28,
        190,
        145,
        z=2,
        item_id="carte",
        mapRotation=0,
        drawCanvasItems="true",
        keepLayerSet="false",
        followPreset="false",
        followPresetName="",
        mapFlags=0,
        isTemporal=0,
        labelMargin="0,mm",
        frame="true",
    )
    # QGIS sizes a map item after its extent's shape: give it the item's own (190 × 145)
    x.sub(
        page_map,
        "Extent",
        **dict(zip(("xmin", "ymin", "xmax", "ymax"), _fitted(extent, 190 / 145), strict=True)),
    )
    x.sub(page_map, "LayerSet")
    x.sub(page_map, "AtlasMap", atlasDriven=1, scalingMode=2, margin="0.1")


def _legend_item(layout: ET.Element, legend_layer_ids: Sequence[str]) -> None:
    """The legend, filtered by the atlas page, over the layers drawn in order."""
    legend = _item(
        layout,
        ITEM_LEGEND,
        "{6a1c0c1e-0000-4000-8000-000000000004}",
        78,
        178,
        122,
        94,
        z=4,
        item_id="legende",
        title="Légende",
        map_uuid=MAP_UUID,
        resizeToContents=0,
        legendFilterByAtlas=1,
        columnCount=2,
        symbolWidth=6,
        symbolHeight=4,
        wrapChar="",
        titleAlignment=1,
        boxSpace=1,
        columnSpace=2,
        lineSpacing=1,
        splitLayer=0,
        equalColumnWidth=0,
        rasterBorder=0,
        fontColor="#1b1b1b",
    )
    styles = x.sub(legend, "styles")
    for name, size, bold in (
        ("title", 10, True),
        ("group", 8, True),
        ("subgroup", 7, True),
        ("symbol", 7, False),
        ("symbolLabel", 6.5, False),
    ):
        style = x.sub(styles, "style", name=name, alignment=1, marginTop=1)
        x.sub(style, "styleFont", style="", description=_font(size, bold=bold))
    model = x.sub(legend, "layer-tree-group")  # its own tree: the layers drawn, in order
    x.sub(model, "customproperties")
    for layer_id in legend_layer_ids:
        x.sub(
            model,
            "layer-tree-layer",
            id=layer_id,
            name="",
            checked="Qt::Checked",
            expanded=1,
            providerKey="",
            source="",
        )


def _footer(layout: ET.Element, *, sources: str, produced_on: str, profile_label: str) -> None:
    """Sources, date, profile and the page number."""
    _label(
        layout,
        5,
        f"Sources : {sources}\nProduit par gupgeo le {produced_on} — diffusion : {profile_label}",
        (10, 276, 150, 14),
        size_pt=7,
        item_id="sources",
        color="#444444",
    )
    _label(
        layout,
        6,
        "Page [% @atlas_featurenumber %] / [% @atlas_totalfeatures %]",
        (165, 282, 35, 6),
        size_pt=7.5,
        item_id="page",
        color="#444444",
    )


def _atlas_settings(
    layout: ET.Element,
    *,
    coverage_layer_id: str,
    coverage_name: str,
    coverage_source: str,
    coverage_provider: str,
) -> None:
    """One page per quartier of the coverage layer, named and sorted by its name."""
    x.sub(
        layout,
        "Atlas",
        enabled=1,
        coverageLayer=coverage_layer_id,
        coverageLayerName=coverage_name,
        coverageLayerSource=coverage_source,
        coverageLayerProvider=coverage_provider,
        pageNameExpression=x.quote_field(NAME_FIELD),
        hideCoverage=0,
        filterFeatures=0,
        sortFeatures=1,
        sortAscending=1,
        sortKey=x.quote_field(NAME_FIELD),
        filenamePattern="'atlas_' || \"code_qp\"",
    )
