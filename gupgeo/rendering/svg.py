"""Static SVG maps: locator insets, printable quartier maps and the clickable overview.

Drawn straight from Lambert-93 geometries (north up, metres to pixels), with no
JavaScript and no network: they print on A4, open in any browser and go into the
PDF. Every text from data is XML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import shapely

from gupgeo.rendering.classes import text_color_on
from gupgeo.rendering.html import format_number

MISSING_COLOR = "#bdbdbd"
DENSITY_COLORS = ("#fde0c5", "#facba6", "#f59e72", "#e05c3b")
SECRET_COLOR = "#c9c9d3"
"""Fill of the published grid cells whose count is secret (``public`` profile)."""


@dataclass(frozen=True)
class Frame:
    """A Lambert-93 window drawn into ``width`` × ``height`` pixels (same scale on both axes)."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: int
    height: int

    @classmethod
    def around(
        cls, bounds: Sequence[float], *, width: int, height: int, margin_pct: float = 0.0
    ) -> Frame:
        """The smallest window of the pixel ratio holding ``bounds`` plus a margin."""
        minx, miny, maxx, maxy = (float(v) for v in bounds)
        w = max(maxx - minx, 1.0)
        h = max(maxy - miny, 1.0)
        w, h = w * (1 + 2 * margin_pct / 100), h * (1 + 2 * margin_pct / 100)
        ratio = width / height
        if w / h < ratio:
            w = h * ratio
        else:
            h = w / ratio
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        return cls(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, width, height)

    @property
    def scale(self) -> float:
        """Pixels per metre."""
        return self.width / (self.x1 - self.x0)

    @property
    def box(self) -> shapely.Polygon:
        return shapely.box(self.x0, self.y0, self.x1, self.y1)

    def px(self, xy: np.ndarray) -> np.ndarray:
        out = np.empty_like(xy, dtype="float64")
        out[:, 0] = (xy[:, 0] - self.x0) * self.scale
        out[:, 1] = (self.y1 - xy[:, 1]) * self.scale
        return np.round(out, 1)


def _ring(frame: Frame, coords: np.ndarray, close: bool) -> str:
    pts = frame.px(np.asarray(coords)[:, :2])
    if len(pts) == 0:
        return ""
    body = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
    return f"M{body}{'Z' if close else ''}"


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def path_data(frame: Frame, geom: shapely.Geometry) -> str:
    """SVG path data of a (multi)polygon or (multi)line, clipped to the frame."""
    if geom is None or geom.is_empty:
        return ""
    tolerance = 0.6 / frame.scale
    geom = shapely.simplify(shapely.clip_by_rect(geom, *_padded(frame)), tolerance)
    parts: list[str] = []
    for part in getattr(geom, "geoms", [geom]):
        if isinstance(part, shapely.Polygon):
            parts.append(_ring(frame, np.asarray(part.exterior.coords), True))
            parts.extend(_ring(frame, np.asarray(r.coords), True) for r in part.interiors)
        elif isinstance(part, shapely.LineString):
            parts.append(_ring(frame, np.asarray(part.coords), False))
        elif isinstance(part, shapely.GeometryCollection | shapely.MultiPolygon):
            parts.append(path_data(frame, part))
    return "".join(p for p in parts if p)


def _tiny(frame: Frame, geom: shapely.Geometry, min_px: float) -> bool:
    if geom is None or shapely.is_empty(geom):
        return False
    minx, miny, maxx, maxy = shapely.bounds(geom)
    return bool(max(maxx - minx, maxy - miny) * frame.scale < min_px)


def _padded(frame: Frame) -> tuple[float, float, float, float]:
    pad = (frame.x1 - frame.x0) * 0.02
    return frame.x0 - pad, frame.y0 - pad, frame.x1 + pad, frame.y1 + pad


class SvgMap:
    """An SVG drawing in a :class:`Frame`, built layer by layer."""

    def __init__(self, frame: Frame, *, title: str, css_class: str = "gg-svgmap") -> None:
        self.frame = frame
        self.title = title
        self.css_class = css_class
        self.parts: list[str] = []
        self.defs: list[str] = []
        self.has_links = False

    def polygons(
        self,
        geoms: Iterable[shapely.Geometry],
        *,
        fill: str | Sequence[str] = "none",
        stroke: str = "#2c3e8f",
        width: float = 1.0,
        opacity: float = 1.0,
        titles: Sequence[str] | None = None,
        links: Sequence[str | None] | None = None,
        dash: str | None = None,
        min_px: float | None = None,
    ) -> None:
        """Draw polygons; one smaller than ``min_px`` pixels on the page is drawn as a
        circle of that diameter at its inner point (same colours, title and link), so no
        quartier shrinks to an invisible speck."""
        geoms = list(geoms)
        fills = [fill] * len(geoms) if isinstance(fill, str) else list(fill)
        for i, geom in enumerate(geoms):
            extra = f' stroke-dasharray="{dash}"' if dash else ""
            if min_px and _tiny(self.frame, geom, min_px):
                ((x, y),) = self.frame.px(shapely.get_coordinates(shapely.point_on_surface(geom)))
                shape = (
                    f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(min_px / 2)}" fill="{fills[i]}" '
                    f'fill-opacity="{opacity}" stroke="{stroke}" stroke-width="{width}"{extra}>'
                )
                tag = "circle"
            else:
                d = path_data(self.frame, geom)
                if not d:
                    continue
                shape = (
                    f'<path d="{d}" fill="{fills[i]}" fill-opacity="{opacity}" '
                    f'stroke="{stroke}" stroke-width="{width}" fill-rule="evenodd"{extra}>'
                )
                tag = "path"
            shape += f"<title>{escape(titles[i])}</title></{tag}>" if titles else f"</{tag}>"
            link = links[i] if links else None
            if link:
                label = f" aria-label={quoteattr(titles[i])}" if titles else ""
                shape = f"<a href={quoteattr(link)}{label}>{shape}</a>"
                self.has_links = True
            self.parts.append(shape)

    def lines(self, geoms: Iterable[shapely.Geometry], *, colors: Sequence[str], width: float = 3):
        for geom, color in zip(geoms, colors, strict=True):
            d = path_data(self.frame, geom)
            if d:
                self.parts.append(
                    f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{width}" '
                    'stroke-linecap="round"/>'
                )

    def points(
        self,
        xy: np.ndarray,
        *,
        colors: Sequence[str] | str,
        radius: float = 3.0,
        stroke: str = "#ffffff",
        shape: str = "circle",
    ) -> None:
        if len(xy) == 0:
            return
        pts = self.frame.px(np.asarray(xy, dtype="float64"))
        palette = [colors] * len(pts) if isinstance(colors, str) else list(colors)
        for (x, y), color in zip(pts, palette, strict=True):
            if not (-radius <= x <= self.frame.width + radius):
                continue
            if not (-radius <= y <= self.frame.height + radius):
                continue
            if shape == "square":
                self.parts.append(
                    f'<rect x="{_n(x - radius)}" y="{_n(y - radius)}" width="{_n(2 * radius)}" '
                    f'height="{_n(2 * radius)}" fill="{color}" stroke="{stroke}" '
                    'stroke-width="0.8"/>'
                )
            else:
                self.parts.append(
                    f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(radius)}" fill="{color}" '
                    f'stroke="{stroke}" stroke-width="1"/>'
                )

    def numbered(
        self,
        xy: np.ndarray,
        labels: Sequence[str],
        *,
        color: str = "#b2182b",
        colors: Sequence[str] | None = None,
    ) -> None:
        """Numbered markers (the repeated problems listed on a page, a walk's findings).

        ``colors``: one fill per marker (else ``color`` for all); each number is written
        in the colour that reads best on its fill.
        """
        pts: Any = self.frame.px(np.asarray(xy, dtype="float64")) if len(xy) else []
        fills = list(colors) if colors is not None else [color] * len(pts)
        for (x, y), label, fill in zip(pts, labels, fills, strict=True):
            self.parts.append(
                f'<g class="gg-spot"><circle cx="{_n(x)}" cy="{_n(y)}" r="9" '
                f'fill="{escape(fill)}" stroke="#fff" stroke-width="1.5"/>'
                f'<text x="{_n(x)}" y="{_n(y + 3.5)}" text-anchor="middle" font-size="10" '
                f'font-weight="bold" fill="{text_color_on(fill)}">{escape(label)}</text></g>'
            )

    def cells(self, boxes: np.ndarray, colors: Sequence[str]) -> None:
        """Filled squares from ``(n, 4)`` Lambert-93 bounds (density grids)."""
        for (minx, miny, maxx, maxy), color in zip(boxes, colors, strict=True):
            (x, y2), (x2, y) = self.frame.px(np.array([[minx, miny], [maxx, maxy]]))
            self.parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(x2 - x)}" height="{_n(y2 - y)}" '
                f'fill="{color}" fill-opacity="0.8"/>'
            )

    def labels(self, xy: np.ndarray, texts: Sequence[str], *, size: int = 11) -> None:
        """Bold labels on a white halo (drawn as a second text: ``paint-order`` is not
        understood by every renderer)."""
        pts: Any = self.frame.px(np.asarray(xy, dtype="float64")) if len(xy) else []
        for (x, y), text in zip(pts, texts, strict=True):
            common = (
                f'x="{_n(x)}" y="{_n(y)}" text-anchor="middle" font-size="{size}" '
                'font-weight="bold"'
            )
            self.parts.append(
                f'<text {common} fill="#fff" stroke="#fff" stroke-width="3" '
                f'stroke-linejoin="round">{escape(text)}</text>'
                f'<text {common} fill="#222">{escape(text)}</text>'
            )

    def hatch(self, pattern_id: str, color: str) -> str:
        self.defs.append(
            f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="8" height="8" '
            f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" '
            f'stroke="{color}" stroke-width="2"/></pattern>'
        )
        return f"url(#{pattern_id})"

    def scale_bar(self) -> None:
        metres = _nice_length(self.frame.width * 0.22 / self.frame.scale)
        length = metres * self.frame.scale
        x, y = 12, self.frame.height - 14
        label = f"{format_number(metres / 1000, 1)} km" if metres >= 1000 else f"{metres:g} m"
        self.parts.append(
            f'<g class="gg-scale"><rect x="{x - 4}" y="{y - 14}" width="{_n(length + 8)}" '
            'height="22" fill="#fff" fill-opacity="0.8"/>'
            f'<path d="M{x},{y - 4}V{y}H{_n(x + length)}V{y - 4}" fill="none" stroke="#222" '
            f'stroke-width="1.5"/><text x="{x}" y="{y - 6}" font-size="10">{escape(label)}</text>'
            "</g>"
        )

    def render(self) -> str:
        w, h = self.frame.width, self.frame.height
        defs = f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""
        # A drawing with links is a group of links (an image holds no control).
        role = "group" if self.has_links else "img"
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{self.css_class}" '
            f'viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="{role}" '
            f"aria-label={quoteattr(self.title)} "
            'font-family="Helvetica, Arial, sans-serif">'
            f"<title>{escape(self.title)}</title>{defs}"
            f'<rect width="{w}" height="{h}" fill="#f4f4ef"/>'
            f"{''.join(self.parts)}</svg>"
        )


def _nice_length(metres: float) -> float:
    if metres <= 0 or not math.isfinite(metres):
        return 100.0
    power = 10 ** math.floor(math.log10(metres))
    for step in (5, 2, 1):
        if step * power <= metres:
            return float(step * power)
    return float(power)


def density_grid(
    xy: np.ndarray, frame: Frame, *, cell_m: float = 50.0
) -> tuple[np.ndarray, list[str], list[tuple[int, int, str]]]:
    """Counts of points per ``cell_m`` square inside the frame, in 4 quantile shades.

    Returns the cell bounds, their colours and the legend classes (low, high, colour).
    """
    if len(xy) == 0:
        return np.empty((0, 4)), [], []
    ix = np.floor(xy[:, 0] / cell_m).astype("int64")
    iy = np.floor(xy[:, 1] / cell_m).astype("int64")
    cells, counts = np.unique(np.column_stack([ix, iy]), axis=0, return_counts=True)
    boxes = np.column_stack(
        [
            cells[:, 0] * cell_m,
            cells[:, 1] * cell_m,
            (cells[:, 0] + 1) * cell_m,
            (cells[:, 1] + 1) * cell_m,
        ]
    )
    colors, legend = count_colors(counts)
    return boxes, colors, legend


def published_cells(svg: SvgMap, grid: Any) -> None:
    """Draw a published grid of counts (:func:`gupgeo.publication.aggregate_to_grid`):
    shaded by count, secret cells in :data:`SECRET_COLOR`. Nothing but the published
    cells reaches the drawing."""
    if grid is None or len(grid) == 0:
        return
    boxes = shapely.bounds(np.asarray(grid.geometry.array))
    secret = np.asarray(grid["secret"], dtype=bool)
    svg.cells(boxes[secret], [SECRET_COLOR] * int(secret.sum()))
    counts = np.asarray(grid["effectif"].to_numpy()[~secret], dtype="int64")
    colors, _ = count_colors(counts)
    svg.cells(boxes[~secret], colors)


def count_colors(counts: np.ndarray) -> tuple[list[str], list[tuple[int, int, str]]]:
    """Colours of positive counts in 4 quantile shades, with the legend classes."""
    counts = np.asarray(counts, dtype="int64")
    if len(counts) == 0:
        return [], []
    edges = np.unique(np.quantile(counts, [0.5, 0.8, 0.95]).round())
    klass = np.searchsorted(edges, counts, side="left")
    klass = np.minimum(klass, len(DENSITY_COLORS) - 1)
    bounds = [1, *[int(e) + 1 for e in edges]]
    legend = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else int(counts.max())
        if high >= low and (klass == i).any():
            legend.append((low, high, DENSITY_COLORS[min(i, len(DENSITY_COLORS) - 1)]))
    colors = [DENSITY_COLORS[k] for k in klass]
    return colors, legend
