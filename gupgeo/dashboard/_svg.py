"""The pieces every dashboard chart is drawn with, written straight to SVG text.

A :class:`Canvas` collects shapes and text in points (1/72 in, as in print), with the
shared styling of every chart in one ``<style>`` element (font, sizes, greys); the
helpers lay out an axis (:func:`nice_ticks`), the bars and the legend. Text widths come
from the metrics of DejaVu Sans (:mod:`gupgeo.dashboard._font`), so labels can be placed,
thinned or wrapped without drawing them first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from gupgeo.dashboard._font import text_width

FONT_FAMILY = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif"
TITLE_PT = 10.5
LABEL_PT = 9.0
TICK_PT = 8.5
VALUE_PT = 8.0
NOTE_PT = 7.5
NC_PT = 7.0
GRID_COLOR = "#d9d9d9"
NOTE_COLOR = "#666666"
MESSAGE_COLOR = "#555555"
CSS = (
    f"text{{font-family:{FONT_FAMILY};font-size:{LABEL_PT}px;fill:#000}}"
    f".t{{font-size:{TITLE_PT}px;font-weight:bold}}"
    f".k{{font-size:{TICK_PT}px}}"
    f".v{{font-size:{VALUE_PT}px}}"
    f".n{{font-size:{NOTE_PT}px;fill:{NOTE_COLOR}}}"
    f".c{{font-size:{NC_PT}px;fill:{NOTE_COLOR}}}"
    f".m{{fill:{MESSAGE_COLOR}}}"
    ".e{text-anchor:end}.mid{text-anchor:middle}"
    f".g{{stroke:{GRID_COLOR};stroke-width:0.6}}"
    ".a{stroke:#000;stroke-width:0.8}"
)
"""The shared styling: one class per kind of text or line (font sizes in points)."""
_NBSP = "\u00a0"
BAR_EDGE = 'stroke="#fff" stroke-width="0.6"'
"""White separators between stacked bars (and the colour of the hatches)."""
_HATCH_SHAPES = {
    "...": '<circle cx="1.5" cy="1.5" r="0.7" fill="#fff"/>',
    "\\\\\\": '<path d="M0 0L4 4M-1 3L1 5M3 -1L5 1" stroke="#fff" stroke-width="0.7"/>',
    "///": '<path d="M0 4L4 0M-1 1L1 -1M3 5L5 3" stroke="#fff" stroke-width="0.7"/>',
}


def french_number(value: float, *, decimals: int = 0) -> str:
    """``12500.5`` → ``"12 500"`` (non-breaking space, decimal comma).

    Examples
    --------
    >>> french_number(12500.5, decimals=1)
    '12\\xa0500,5'
    """
    text = f"{value:,.{decimals}f}"
    return text.replace(",", _NBSP).replace(".", ",")


def tick_label(value: float) -> str:
    """Axis tick in French, with only the decimals it needs: ``0.8`` → ``"0,8"``.

    Examples
    --------
    >>> tick_label(2500.0), tick_label(0.25)
    ('2\xa0500', '0,25')
    """
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    text = "0" if text in ("-0", "") else text
    return text.replace(",", _NBSP).replace(".", ",")


def fmt(value: float) -> str:
    """A coordinate with two decimals at most: ``12.5`` → ``"12.5"``, ``3.0`` → ``"3"``."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass
class Canvas:
    """An SVG document being written: size in points, title and description (text alternative)."""

    width_pt: float
    height_pt: float
    title: str
    desc: str
    parts: list[str] = field(default_factory=list)
    patterns: dict[str, str] = field(default_factory=dict)

    def rect(self, x: float, y: float, w: float, h: float, fill: str, edge: str = "") -> None:
        """A rectangle; ``edge`` holds extra attributes (the bars' white separators)."""
        extra = f" {edge}" if edge else ""
        self.parts.append(
            f'<rect x="{fmt(x)}" y="{fmt(y)}" width="{fmt(w)}" height="{fmt(h)}" '
            f'fill="{fill}"{extra}/>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, css: str) -> None:
        """A line of class ``css`` (``g`` grid, ``a`` axis)."""
        self.parts.append(
            f'<line x1="{fmt(x1)}" y1="{fmt(y1)}" x2="{fmt(x2)}" y2="{fmt(y2)}" class="{css}"/>'
        )

    def text(self, x: float, y: float, text: str, css: str = "", *, rotate: bool = False) -> None:
        """``text`` with its baseline at ``y``; ``rotate`` turns it to read upwards."""
        cls = f' class="{css}"' if css else ""
        turn = f' transform="rotate(-90 {fmt(x)} {fmt(y)})"' if rotate else ""
        self.parts.append(f'<text x="{fmt(x)}" y="{fmt(y)}"{cls}{turn}>{escape(text)}</text>')

    def lines(self, x: float, y: float, texts: Sequence[str], css: str, step_pt: float) -> None:
        """Several lines of text, the first baseline at ``y``, ``step_pt`` apart."""
        spans = "".join(
            f'<tspan x="{fmt(x)}" y="{fmt(y + k * step_pt)}">{escape(t)}</tspan>'
            for k, t in enumerate(texts)
        )
        self.parts.append(f'<text class="{css}">{spans}</text>')

    def fill(self, color: str, hatch: str) -> str:
        """The ``fill`` of a bar: its colour, or a pattern of white hatches on it."""
        if not hatch:
            return color
        key = color + hatch
        if key not in self.patterns:
            pid = f"h{len(self.patterns)}"
            self.patterns[key] = (
                f'<pattern id="{pid}" width="4" height="4" patternUnits="userSpaceOnUse">'
                f'<rect width="4" height="4" fill="{color}"/>{_HATCH_SHAPES.get(hatch, "")}'
                "</pattern>"
            )
        return f"url(#{self.patterns[key].split(chr(34))[1]})"

    def render(self) -> str:
        """The SVG document: sized for print in points, its title and description first."""
        w, h = fmt(self.width_pt), fmt(self.height_pt)
        defs = "".join(self.patterns.values())
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
            f'width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}" role="img" '
            'aria-labelledby="titre description">'
            f'<title id="titre">{escape(self.title)}</title>'
            f'<desc id="description">{escape(self.desc)}</desc>'
            f"<defs><style>{CSS}</style>{defs}</defs>"
            f'<rect width="{w}" height="{h}" fill="#fff"/>' + "".join(self.parts) + "</svg>\n"
        )


def nice_ticks(top: float, *, integer: bool = False, most: int = 6) -> list[float]:
    """Ticks from 0 up to ``top`` at a round step (1, 2, 2.5 or 5 × 10ⁿ), at most ``most``.

    Examples
    --------
    >>> nice_ticks(13.0, integer=True)
    [0.0, 5.0, 10.0]
    >>> nice_ticks(0.9)
    [0.0, 0.2, 0.4, 0.6, 0.8]
    """
    if not top > 0 or not math.isfinite(top):
        return [0.0]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    factors = (1, 2, 5, 10) if integer and power < 10 else (1, 2, 2.5, 5, 10)
    step = next(m * power for m in factors if m * power >= raw)
    if integer:
        step = max(1.0, step)
    count = math.floor(top / step + 1e-9)
    return [float(round(k * step, 10)) for k in range(count + 1)]


def wrap(text: str, width_pt: float, size_pt: float) -> list[str]:
    """``text`` cut between words into lines no wider than ``width_pt`` (a word may be)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size_pt) > width_pt:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


@dataclass(frozen=True)
class Legend:
    """Legend entries (label, fill) drawn top to bottom, with an optional title."""

    entries: Sequence[tuple[str, str]]
    title: str = ""

    @property
    def width_pt(self) -> float:
        texts = [text_width(label, TICK_PT) + 17 for label, _ in self.entries]
        return max([*texts, text_width(self.title, TICK_PT)]) + 6

    def draw(self, canvas: Canvas, x: float, y: float) -> None:
        """Draw the legend with its top left corner at ``(x, y)``."""
        row = TICK_PT * 1.55
        if self.title:
            canvas.text(x + self.width_pt / 2 - 3, y + TICK_PT, self.title, "k mid")
            y += row
        for k, (label, fill) in enumerate(self.entries):
            top = y + k * row
            canvas.rect(x, top + 1.5, 12, 6.5, fill, BAR_EDGE)
            canvas.text(x + 17, top + TICK_PT * 0.95, label, "k")


__all__ = [
    "Canvas",
    "Legend",
    "fmt",
    "french_number",
    "nice_ticks",
    "text_width",
    "tick_label",
    "wrap",
]
