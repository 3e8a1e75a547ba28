"""QGIS styles equal to the HTML maps: same palette, same classes, same labels.

Each ``*_style`` function returns a :class:`LayerStyle` — the ``<renderer-v2>`` and
``<labeling>`` elements of a QGIS layer plus the legend it should show (label, colour),
which ``tests/test_qgis.py`` compares with what QGIS reads back. The classes come from
:mod:`gupgeo.rendering.classes`, the very functions the HTML maps call:

- signalements and équipements: categories by decreasing frequency, Okabe–Ito colours
  (:mod:`gupgeo.palette`), "autres" grey beyond eight, missing light grey;
- constats: gravité 1–3 in :data:`gupgeo.palette.GRAVITE_COLORS`, missing grey;
- counts of the ``public`` profile: mapclassify quantiles (4 classes) in YlOrRd, secret
  cells hatched grey, never a class;
- rates per 1,000 habitants: natural breaks (5 classes), as the map's "taux" layer;
- quartiers: the outline and pale fill of the map, labelled with their names (the
  commune added to homonyms).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gupgeo.maps.layers import GRAVITE, glyph_for
from gupgeo.palette import OPERATION_COLOR, QUARTIER_COLOR
from gupgeo.qgis import _xml as x
from gupgeo.rendering.classes import (
    MISSING_COLOR,
    MISSING_LABEL,
    SECRET_COLOR,
    category_classes,
    classify,
    text_color_on,
)


@dataclass(frozen=True)
class LayerStyle:
    """A layer's renderer and labelling, and the legend it draws: (label, colour) rows."""

    renderer: ET.Element
    labeling: ET.Element | None = None
    legend: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def qml(self, *, name: str) -> str:
        """The style as a QML document (what ``layer_styles.styleQML`` holds)."""
        root = ET.Element(
            "qgis",
            version=x.QGIS_VERSION,
            styleCategories="AllStyleCategories",
            labelsEnabled="1" if self.labeling is not None else "0",
        )
        for node in self.nodes():
            root.append(node)
        return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + x.to_text(root)

    def nodes(self) -> list[ET.Element]:
        """The elements a ``<maplayer>`` or a QML document carries."""
        out = [self.renderer]
        if self.labeling is not None:
            out.append(self.labeling)
        blend = ET.Element("blendMode")
        blend.text = "0"
        opacity = ET.Element("layerOpacity")
        opacity.text = "1"
        return [*out, blend, opacity]


def _geometry_symbol(kind: str, color: str, *, alpha: int = 115) -> ET.Element:
    """A constat's symbol for its geometry: dot, thick line or translucent zone."""
    if kind == "marker":
        return x.symbol("marker", [x.marker(color, size_mm=3.6)])
    if kind == "line":
        return x.symbol("line", [x.line(color, width_mm=1.1)])
    return x.symbol("fill", [x.fill(color, fill_alpha=alpha, outline=color, outline_width_mm=1.0)])


def quartiers_style(*, label_field: str = "nom_affiche") -> LayerStyle:
    """Quartier perimeters: blue outline, 6 % fill, labelled with their display name."""
    sym = x.symbol(
        "fill",
        [x.fill(QUARTIER_COLOR, fill_alpha=15, outline=QUARTIER_COLOR, outline_width_mm=0.7)],
    )
    return LayerStyle(
        x.single(sym),
        x.labeling(x.quote_field(label_field), color=QUARTIER_COLOR, size_pt=10),
        (("périmètre du quartier", QUARTIER_COLOR),),
    )


def operations_style() -> LayerStyle:
    """Aménagement operations: hatched perimeters with a dashed outline."""
    sym = x.hatch_symbol(
        OPERATION_COLOR, OPERATION_COLOR, outline_width_mm=0.55, outline_style="dash"
    )
    return LayerStyle(x.single(sym), None, (("périmètre d'opération", OPERATION_COLOR),))


def categories_style(
    values: pd.Series, *, attribute: str, kind: str, glyphs: bool = False
) -> LayerStyle:
    """Categories of ``values`` as the HTML map colours them (:func:`category_classes`)."""
    labels, index, colors, counts = category_classes(values)
    cats: list[x.Category] = []
    for label, color, count in zip(labels, colors, counts, strict=True):
        cats.append(x.Category(label, f"{label} ({count})", _point(color, label, kind, glyphs)))
    n_missing = int((index < 0).sum())
    cats.append(
        x.Category("", f"{MISSING_LABEL} ({n_missing})", _point(MISSING_COLOR, None, kind, glyphs))
    )
    legend = tuple((c.label, col) for c, col in zip(cats, [*colors, MISSING_COLOR], strict=True))
    return LayerStyle(x.categorized(x.quote_field(attribute), cats), None, legend)


def _point(color: str, label: str | None, kind: str, glyphs: bool) -> ET.Element:
    if kind != "marker":
        return _geometry_symbol(kind, color)
    if not glyphs:
        return x.symbol("marker", [x.marker(color, size_mm=2.6)])
    text = "?" if label is None else glyph_for(label)
    return x.symbol(
        "marker",
        [
            x.marker(color, shape="circle", size_mm=5.2),
            x.glyph(text, color=text_color_on(color), size_mm=2.4 if len(text) < 3 else 1.8),
        ],
    )


def constats_style(gravite: pd.Series, *, kind: str) -> LayerStyle:
    """Constats coloured by gravité (1–3); missing or out of range grey."""
    level = pd.to_numeric(gravite, errors="coerce")
    cats = [
        x.Category(
            str(k),
            f"gravité {k} — {label} ({int((level == k).sum())})",
            _geometry_symbol(kind, color),
        )
        for k, (label, color) in GRAVITE.items()
    ]
    n_missing = int((~level.isin(list(GRAVITE))).sum())
    cats.append(
        x.Category(
            "", f"gravité non renseignée ({n_missing})", _geometry_symbol(kind, MISSING_COLOR)
        )
    )
    colors = [c for _, c in GRAVITE.values()] + [MISSING_COLOR]
    # gravité may be stored as a real (2.0): the expression compares whole numbers
    expression = 'to_int("gravite")'
    legend = tuple((c.label, col) for c, col in zip(cats, colors, strict=True))
    return LayerStyle(x.categorized(expression, cats), None, legend)


def choropleth_style(
    values: pd.Series,
    *,
    attribute: str,
    scheme: str,
    k: int,
    decimals: int,
    secret: pd.Series | None = None,
    secret_attribute: str | None = None,
) -> LayerStyle:
    """Classes of ``values`` (:func:`classify`, the map's breaks) as rules on
    ``attribute``; secret rows hatched, missing ones light grey."""
    hidden = (
        secret.fillna(False).astype(bool).to_numpy()
        if secret is not None
        else np.zeros(len(values), dtype=bool)
    )
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").mask(hidden)
    index, labels, colors = classify(numbers, scheme=scheme, k=k, decimals=decimals)
    y = numbers.to_numpy()
    field_ = x.quote_field(attribute)
    # a boolean field: tested as such (QGIS compares false and 0 as texts)
    is_secret = f"coalesce({x.quote_field(secret_attribute or '')}, false)"
    not_secret = f"NOT {is_secret} AND " if secret_attribute else ""
    rules: list[x.Rule] = []
    for i, (label, color) in enumerate(zip(labels, colors, strict=True)):
        members = y[index == i]
        lo, hi = float(members.min()), float(members.max())
        rules.append(
            x.Rule(
                f"{not_secret}{field_} >= {lo!r} AND {field_} <= {hi!r}",
                f"{label} ({len(members)})",
                x.symbol("fill", [x.fill(color, fill_alpha=191, outline="#555555")]),
            )
        )
    n_missing = int(((index < 0) & ~hidden).sum())
    rules.append(
        x.Rule(
            f"{not_secret}{field_} IS NULL",
            f"{MISSING_LABEL} ({n_missing})",
            x.symbol("fill", [x.fill(MISSING_COLOR, fill_alpha=89, outline="#555555")]),
        )
    )
    legend = [(r.label, c) for r, c in zip(rules, [*colors, MISSING_COLOR], strict=True)]
    if secret_attribute:
        n_secret = int(hidden.sum())
        label = f"secret (petit effectif) ({n_secret})"
        rules.append(x.Rule(is_secret, label, x.hatch_symbol(SECRET_COLOR, SECRET_COLOR)))
        legend.append((label, SECRET_COLOR))
    return LayerStyle(x.rule_based(rules), None, tuple(legend))
