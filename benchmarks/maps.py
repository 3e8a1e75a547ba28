"""Benchmark: 1k / 10k / 100k signalements on a map, ours against folium's best options.

For each size and each builder, in the same run and the same headless Chromium (Debian's,
network blocked, every library inlined from the npm files of ``scripts/fetch_assets.py``):

- ``html_mb``: size of the saved HTML file;
- ``save_s``: Python time to build and save the map;
- ``drawn_ms``: from navigation start until the page has loaded and painted twice
  (``load`` event, then for gupgeo pages ``gupgeo.ready``: packed point layers inflated
  and drawn, then two animation frames);
- ``zoom_ms``: median time of one zoom step (``setZoom(z + 1, {animate: false})`` then two
  animation frames), over four successive steps into zoom levels not visited before;
- under each gupgeo row, where the page's time goes (its ``performance.measure`` entries:
  base64, inflating, decoding the coordinates, grouping every zoom level, each draw) and
  when the HTML was parsed (``domInteractive``).

Builders: ``gupgeo`` (:func:`gupgeo.maps.add_signalements`, grid clusters on a compact
payload, packed binary columns from 20,000 points), ``gupgeo_json`` (the same with the
payload's integers as plain JSON, as before packing: the same-run peer of the packing), ``fast_marker_cluster`` (folium ``FastMarkerCluster``), ``geojson_canvas``
(folium ``GeoJson`` of circle markers with ``prefer_canvas=True``) and ``explore``
(geopandas ``GeoDataFrame.explore(column="categorie")``).

Usage::

    .venv/bin/python benchmarks/maps.py                 # 1k and 10k
    .venv/bin/python benchmarks/maps.py --sizes 1000 10000 100000
    .venv/bin/python benchmarks/maps.py --skip explore --sizes 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.plugins import FastMarkerCluster

from gupgeo.maps import add_signalements, base_map, save_map
from gupgeo.maps._assets import inline_packages
from gupgeo.maps._elements import VerbatimText

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CENTRES_L93 = [
    (525_600, 6_701_900),
    (524_100, 6_702_700),
    (527_300, 6_699_800),
    (521_900, 6_700_400),
    (529_000, 6_703_100),
    (523_400, 6_697_900),
    (526_800, 6_704_600),
    (530_500, 6_699_000),
    (520_500, 6_703_800),
    (528_200, 6_696_900),
]
CATEGORIES = [
    "propreté",
    "encombrants",
    "éclairage",
    "voirie",
    "tags",
    "espaces verts",
    "stationnement",
    "mobilier urbain",
]


def signalements(n: int, *, seed: int = 1) -> gpd.GeoDataFrame:
    """Synthetic signalements around ten Tours quartiers (Lambert-93)."""
    rng = np.random.default_rng(seed)
    centre = rng.integers(0, len(CENTRES_L93), n)
    xy = np.asarray(CENTRES_L93, dtype="float64")[centre] + rng.normal(0, 450, (n, 2))
    noise = rng.random(n) < 0.15
    xy[noise] = np.column_stack(
        [rng.uniform(518_000, 533_000, noise.sum()), rng.uniform(6_695_000, 6_706_000, noise.sum())]
    )
    return gpd.GeoDataFrame(
        {
            "id": [f"S{i:06d}" for i in range(n)],
            "date_signalement": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 730, n), unit="D"),
            "categorie": rng.choice(CATEGORIES, n),
            "statut": rng.choice(["nouveau", "en cours", "résolu"], n),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=2154,
    )


def _offline(m: folium.Map, names: tuple[str, ...]) -> None:
    """Give a plain folium map the same inlined npm assets as ours, no CDN link."""
    m.default_js, m.default_css = [], []
    stack = list(m._children.values())
    while stack:
        child = stack.pop()
        if hasattr(child, "default_js"):
            child.default_js, child.default_css = [], []
        stack.extend(child._children.values())
    m.get_root().header.add_child(
        VerbatimText(inline_packages(names)), name="bench_assets", index=1
    )


def _bounds(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    w, s, e, n = gdf.to_crs(4326).total_bounds
    return [[s, w], [n, e]]


def build_gupgeo(gdf: gpd.GeoDataFrame, path: Path) -> None:
    m = base_map(basemap=None, title="Benchmark")
    add_signalements(m, gdf)
    save_map(m, path)


# folium's default callback needs Leaflet.awesome-markers; a plain marker is lighter.
_PLAIN_MARKER = "function (row) { return L.marker(new L.LatLng(row[0], row[1])); }"


def build_gupgeo_json(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """gupgeo with its point integers as plain JSON (the payload before packing)."""
    import gupgeo.maps.signalements as module

    packer = module.pack_point_spec
    module.pack_point_spec = lambda spec: spec  # type: ignore[assignment]
    try:
        build_gupgeo(gdf, path)
    finally:
        module.pack_point_spec = packer


def build_fast_marker_cluster(gdf: gpd.GeoDataFrame, path: Path) -> None:
    shown = gdf.to_crs(4326)
    m = folium.Map(tiles=None, max_zoom=19, **{"maxZoom": 19})
    FastMarkerCluster(
        np.column_stack([shown.geometry.y, shown.geometry.x]).tolist(), callback=_PLAIN_MARKER
    ).add_to(m)
    m.fit_bounds(_bounds(gdf))
    _offline(m, ("leaflet", "markercluster"))
    m.save(str(path))


def build_geojson_canvas(gdf: gpd.GeoDataFrame, path: Path) -> None:
    m = folium.Map(tiles=None, prefer_canvas=True, **{"maxZoom": 19})
    folium.GeoJson(
        gdf.to_crs(4326)[["categorie", "geometry"]],
        marker=folium.CircleMarker(radius=4, fill=True, weight=1),
    ).add_to(m)
    m.fit_bounds(_bounds(gdf))
    _offline(m, ("leaflet",))
    m.save(str(path))


def build_explore(gdf: gpd.GeoDataFrame, path: Path) -> None:
    # legend=False: explore's categorical legend needs jQuery, which we do not inline.
    m = gdf.explore(column="categorie", tiles=None, legend=False, map_kwds={"maxZoom": 19})
    _offline(m, ("leaflet",))
    m.save(str(path))


BUILDERS: dict[str, Callable[[gpd.GeoDataFrame, Path], None]] = {
    "gupgeo": build_gupgeo,
    "gupgeo_json": build_gupgeo_json,
    "fast_marker_cluster": build_fast_marker_cluster,
    "geojson_canvas": build_geojson_canvas,
    "explore": build_explore,
}

_FIND_MAP = """() => Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map)"""
_DRAWN = """() => new Promise(resolve => {
  const frames = () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())));
  // gupgeo pages: wait for gupgeo.ready (set once packed point layers are inflated and drawn)
  const go = () => {
    if (!window.gupgeo || window.gupgeo.ready === true) { frames(); return; }
    const poll = () => (window.gupgeo.ready === true ? frames() : requestAnimationFrame(poll));
    poll();
  };
  if (document.readyState === 'complete') go(); else addEventListener('load', go);
})"""
_MEASURES = """() => performance.getEntriesByType('measure')
  .filter(m => m.name.startsWith('gupgeo'))
  .map(m => [m.name, m.duration])"""
_PAINT = """() => {
  const t = performance.getEntriesByType('navigation')[0];
  return {parsed: t ? t.domInteractive : null, loaded: t ? t.loadEventEnd : null};
}"""
_ZOOM = """() => new Promise(resolve => {
  const map = Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map);
  const t0 = performance.now();
  map.setZoom(map.getZoom() + 1, {animate: false});
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
})"""


def measure(
    browser: Any,
    path: Path,
    *,
    repeat: int,
    timeout_s: float,
    zoom_steps: int = 4,
    steps: dict[str, list[float]] | None = None,
) -> tuple[float | None, float | None, list[str]]:
    """Median over ``repeat`` fresh pages of the draw time and of the median zoom step;
    ``None`` when the page did not load within ``timeout_s``. ``steps`` collects the
    page's own performance measures (gupgeo pages: base64, inflating, decoding, grouping,
    each draw) and the HTML parsing time, one list per name."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    errors: list[str] = []
    drawn, zooms = [], []
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.route("**/*", _block_network)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(path.as_uri(), timeout=timeout_s * 1000)
            drawn.append(page.evaluate(_DRAWN))
            zooms.append(statistics.median(page.evaluate(_ZOOM) for _ in range(zoom_steps)))
            if steps is not None:
                timing = page.evaluate(_PAINT)
                steps.setdefault("HTML lu (domInteractive)", []).append(timing["parsed"] or 0)
                for name, ms in page.evaluate(_MEASURES):
                    key = "gupgeo : dessin (chaque zoom)" if "dessin au zoom" in name else name
                    steps.setdefault(key, []).append(ms)
        except PlaywrightTimeout:
            context.close()
            return None, None, errors
        context.close()
    return statistics.median(drawn), statistics.median(zooms), errors


def _block_network(route: Any) -> None:
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        route.abort()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--skip", nargs="*", default=[], choices=sorted(BUILDERS))
    parser.add_argument("--repeat", type=int, default=3, help="page loads per measure (median)")
    parser.add_argument(
        "--timeout-s", type=float, default=60.0, help="give up loading a page after"
    )
    parser.add_argument("--out", type=Path, default=None, help="keep the HTML files here")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    out = args.out or Path(tempfile.mkdtemp(prefix="gupgeo-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        print(
            f"Chromium {browser.version}, folium {folium.__version__}, "
            f"geopandas {gpd.__version__}, numpy {np.__version__}, pandas {pd.__version__}, "
            f"charge {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
        for n in args.sizes:
            gdf = signalements(n)
            for name, build in BUILDERS.items():
                if name in args.skip:
                    continue
                path = out / f"{name}_{n}.html"
                t0 = time.perf_counter()
                build(gdf, path)
                save_s = time.perf_counter() - t0
                steps: dict[str, list[float]] = {}
                drawn, zoom, errors = measure(
                    browser, path, repeat=args.repeat, timeout_s=args.timeout_s, steps=steps
                )
                rows.append(
                    Row(n, name, path.stat().st_size / 1e6, save_s, drawn, zoom, len(errors))
                )
                print(rows[-1].line(args.timeout_s), flush=True)
                for step, values in steps.items():
                    print(f"    {step} : médiane {statistics.median(values):.0f} ms")
        browser.close()
    print("\n| points | builder | HTML (MB) | build+save (s) | drawn (ms) | zoom step (ms) |")
    print("|---:|---|---:|---:|---:|---:|")
    for row in rows:
        print(row.markdown(args.timeout_s))
    for n in args.sizes:
        ours = next((r for r in rows if r.n == n and r.builder == "gupgeo"), None)
        fmc = next((r for r in rows if r.n == n and r.builder == "fast_marker_cluster"), None)
        if ours and fmc and ours.drawn_ms and fmc.drawn_ms and ours.zoom_ms and fmc.zoom_ms:
            print(
                f"{n:,} points: drawn {fmc.drawn_ms / ours.drawn_ms:.1f}× faster than "
                f"FastMarkerCluster, zoom step {fmc.zoom_ms / ours.zoom_ms:.1f}× faster"
            )
    print(f"charge en fin de mesure : {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"\nHTML files in {out}")
    return 0


@dataclass(frozen=True)
class Row:
    n: int
    builder: str
    html_mb: float
    save_s: float
    drawn_ms: float | None
    zoom_ms: float | None
    js_errors: int

    def _ms(self, value: float | None, timeout_s: float) -> str:
        return f"> {timeout_s:.0f} s (not loaded)" if value is None else f"{value:.0f}"

    def line(self, timeout_s: float) -> str:
        return (
            f"{self.n:>7} {self.builder:<20} {self.html_mb:7.2f} MB {self.save_s:7.2f} s "
            f"drawn {self._ms(self.drawn_ms, timeout_s)} ms, zoom {self._ms(self.zoom_ms, timeout_s)} ms, "
            f"JS errors: {self.js_errors}"
        )

    def markdown(self, timeout_s: float) -> str:
        return (
            f"| {self.n:,} | {self.builder} | {self.html_mb:.2f} | {self.save_s:.2f} | "
            f"{self._ms(self.drawn_ms, timeout_s)} | {self._ms(self.zoom_ms, timeout_s)} |"
        )


if __name__ == "__main__":
    sys.exit(main())
