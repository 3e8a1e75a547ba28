"""Leaflet and its plugins, inlined into every map from the files fetched at build time.

:mod:`gupgeo.maps._fetch` installs the npm packages pinned in
``gupgeo/assets/package-lock.json`` and copies the needed files with their licences into an
assets folder's ``dist/`` with a ``manifest.json`` of sha256 digests: inside the package for
a wheel (``setup.py``), into ``build/assets`` for a checkout (``make assets``). This module
finds that folder, checks every digest, rewrites CSS ``url(...)`` references into ``data:``
URIs and emits either inline ``<script>``/``<style>`` blocks (one self-contained file) or
``<script src>``/``<link>`` tags pointing to a shared local folder (atlas mode). No remote
URL is ever written for code, styles or icons.
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import os
import re
from dataclasses import dataclass
from pathlib import Path

from folium.elements import CssLink, Element, JavascriptLink

from gupgeo.errors import GupgeoError
from gupgeo.maps._fetch import IN_PACKAGE_DIR, MANIFEST, sha256_file

logger = logging.getLogger(__name__)

PACKAGE_ASSETS = Path(__file__).resolve().parents[1] / "assets"
"""Our own map modules (``map_*.js``/``map_*.css``, one per element kind) and the npm
manifest, shipped with the package."""

ENV_VAR = "GUPGEO_ASSETS_DIR"
FETCH_COMMAND = ".venv/bin/python scripts/fetch_assets.py"
ASSET_ORDER = ("leaflet", "fullscreen", "heat", "groupedlayercontrol", "markercluster", "gupgeo")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|#|https?:)([^'\")]+)\1\s*\)")


class AssetsMissingError(GupgeoError, FileNotFoundError):
    """The Leaflet files fetched at build time are absent or altered."""


IN_PACKAGE_ASSETS = Path(__file__).resolve().parents[2].joinpath(*IN_PACKAGE_DIR)
"""The copy a wheel carries (built by ``setup.py``); absent from a source checkout."""

CHECKOUT_ASSETS = Path(__file__).resolve().parents[2] / "build" / "assets"
"""The copy ``make assets`` writes beside the sources, read by an editable install."""


def default_assets_dir() -> Path:
    """Where the Leaflet files are looked up when no folder is given.

    ``$GUPGEO_ASSETS_DIR`` if set (and then only there); else the copy built into the
    installed package; else ``build/assets`` of an editable checkout — also returned when
    neither holds a manifest, so that the error names the command that fills it.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    for candidate in (IN_PACKAGE_ASSETS, CHECKOUT_ASSETS):
        if (candidate / "dist" / MANIFEST).is_file():
            return candidate
    return CHECKOUT_ASSETS


@dataclass(frozen=True)
class Asset:
    """One inlinable asset: JS and CSS text (CSS already self-contained) and its licence."""

    name: str
    version: str
    licence_text: str
    js: tuple[tuple[str, str], ...]
    css: tuple[tuple[str, str], ...]
    source_files: tuple[Path, ...]


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".svg":
        mime = "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css_urls(css: str, base: Path) -> str:
    def repl(match: re.Match[str]) -> str:
        target = (base / match.group(2)).resolve()
        if not target.is_file():
            raise AssetsMissingError(f"feuille de style : image référencée absente : {target}")
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(repl, css)


def _script_safe(js: str) -> str:
    js = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", js)
    return js.replace("</script", "<\\/script").replace("<!--", "<\\!--")


OWN_PACKAGE = "gupgeo"
"""The pseudo-package of gupgeo's own map modules (``gupgeo/assets/map_*.js|css``)."""

FOLIUM_NAMES: dict[str, tuple[str, str, int]] = {
    "leaflet": ("leaflet", "js", 0),
    "leaflet_css": ("leaflet", "css", 0),
    "Control.Fullscreen.js": ("fullscreen", "js", 0),
    "Control.FullScreen.css": ("fullscreen", "css", 0),
    "leaflet-heat.js": ("heat", "js", 0),
    "leaflet.groupedlayercontrol.min.js": ("groupedlayercontrol", "js", 0),
    "leaflet.groupedlayercontrol.min.css": ("groupedlayercontrol", "css", 0),
}
"""folium's asset names (the first item of ``default_js``/``default_css`` in ``folium.Map``
and ``folium.plugins``) → the npm package fetched at build time, and which of its files."""


def own_modules() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """gupgeo's own map modules: (JS file names, CSS file names)."""
    js = tuple(sorted(p.name for p in PACKAGE_ASSETS.glob("map_*.js")))
    css = tuple(sorted(p.name for p in PACKAGE_ASSETS.glob("map_*.css")))
    return js, css


def load_assets(names: tuple[str, ...], *, assets_dir: Path | None = None) -> list[Asset]:
    """Read and check the named assets, in load order.

    Raises
    ------
    AssetsMissingError
        When the build-time files are absent or their sha256 differ from the manifest,
        with the command that fetches them.
    """
    wanted = [n for n in ASSET_ORDER if n in names]
    unknown = sorted(set(names) - set(ASSET_ORDER))
    if unknown:
        raise AssetsMissingError(f"assets inconnus : {unknown} ; connus : {list(ASSET_ORDER)}")
    out: list[Asset] = []
    npm_names = [n for n in wanted if n != OWN_PACKAGE]
    if npm_names:
        out.extend(_load_npm_assets(npm_names, assets_dir or default_assets_dir()))
    if OWN_PACKAGE in wanted:
        js_names, css_names = own_modules()
        paths = [PACKAGE_ASSETS / n for n in (*js_names, *css_names)]
        out.append(
            Asset(
                name=OWN_PACKAGE,
                version="",
                licence_text="",
                js=tuple(
                    (n, _script_safe((PACKAGE_ASSETS / n).read_text(encoding="utf-8")))
                    for n in js_names
                ),
                css=tuple((n, (PACKAGE_ASSETS / n).read_text(encoding="utf-8")) for n in css_names),
                source_files=tuple(paths),
            )
        )
    return out


def _load_npm_assets(names: list[str], assets_dir: Path) -> list[Asset]:
    dist = assets_dir / "dist"
    manifest_path = dist / MANIFEST
    if not manifest_path.is_file():
        raise AssetsMissingError(_missing_message(manifest_path))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))["assets"]
    out = []
    for name in names:
        if name not in manifest:
            raise AssetsMissingError(
                f"asset {name!r} absent de {manifest_path} ; relancez : {FETCH_COMMAND} --force"
            )
        entry = manifest[name]
        base = dist / name
        for rel, digest in entry["files"].items():
            path = base / rel
            if not path.is_file() or sha256_file(path) != digest:
                raise AssetsMissingError(
                    f"{entry['package']} {entry['version']} : {path} absent ou modifié "
                    f"(sha256 différent du manifeste) ; relancez : {FETCH_COMMAND} --force"
                )
        licence = (base / entry["licence"]).read_text(encoding="utf-8")
        js = tuple(
            (rel, _script_safe((base / rel).read_text(encoding="utf-8"))) for rel in entry["js"]
        )
        css = tuple(
            (rel, _inline_css_urls((base / rel).read_text(encoding="utf-8"), (base / rel).parent))
            for rel in entry["css"]
        )
        out.append(
            Asset(
                name=name,
                version=entry["version"],
                licence_text=licence,
                js=js,
                css=css,
                source_files=tuple(base / rel for rel in entry["files"]),
            )
        )
    return out


def _missing_message(manifest_path: Path) -> str:
    where = f"{manifest_path} introuvable"
    if manifest_path.parent.parent == CHECKOUT_ASSETS and not os.environ.get(ENV_VAR):
        where += f", ni {IN_PACKAGE_ASSETS / 'dist' / MANIFEST} dans le paquet installé"
    return (
        f"carte hors ligne impossible : les fichiers Leaflet sont absents ({where}). "
        f"Dans un dépôt gupgeo, lancez d'abord : {FETCH_COMMAND} (ou make assets) ; "
        f"sinon installez gupgeo depuis une roue (pip install .), qui les contient, "
        f"ou définissez {ENV_VAR}."
    )


def _licence_comment(asset: Asset, package: str) -> str:
    text = asset.licence_text.replace("*/", "* /").strip()
    return f"/*! {package} {asset.version} — licence :\n{text}\n*/\n"


def _default_icon_script(leaflet: Asset) -> str:
    """Point Leaflet's default marker icon at inlined images instead of a guessed path."""
    images = {}
    for path in leaflet.source_files:
        if path.name in {"marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"}:
            images[path.name] = _data_uri(path)
    if len(images) < 3:
        return ""
    return (
        "L.Icon.Default.imagePath = '';\n"
        "L.Icon.Default.mergeOptions({"
        f"iconUrl: {json.dumps(images['marker-icon.png'])}, "
        f"iconRetinaUrl: {json.dumps(images['marker-icon-2x.png'])}, "
        f"shadowUrl: {json.dumps(images['marker-shadow.png'])}}});\n"
    )


class AssetBundle:
    """Where a map's scripts and styles come from: local files, never a remote URL.

    Every folium element lists what it needs in ``default_js``/``default_css`` (folium's
    asset mechanism: one header entry per name, so a library needed by ten elements loads
    once, in the order first needed). Before the page is written, :meth:`localise` swaps
    each entry for the file fetched at build time (npm packages) or shipped in the package
    (gupgeo's own modules): inline by default, linked to a local folder in atlas mode. A
    name with no local copy is an error, never a CDN link.
    """

    def __init__(self) -> None:
        self.assets_dir: Path | None = None
        self.link_prefix: str | None = None
        self.packages: list[str] = []
        self.rendered_bytes = 0
        self._loaded: dict[str, Asset] = {}
        self._licensed: set[str] = set()

    def localise(self, header: Element) -> None:
        """Replace folium's ``JavascriptLink``/``CssLink`` entries of ``header`` in place."""
        self.rendered_bytes = 0
        self._licensed = set()
        self._loaded = {}
        self.packages = []
        for name, child in list(header._children.items()):
            if isinstance(child, JavascriptLink | CssLink):
                kind = "js" if isinstance(child, JavascriptLink) else "css"
                package, rel = self._resolve(name, kind)
                header._children[name] = LocalAsset(self, package, kind, rel)

    def _resolve(self, name: str, kind: str) -> tuple[str, str]:
        if name.startswith("map_") and (PACKAGE_ASSETS / name).is_file():
            package, rel = OWN_PACKAGE, name
        elif name in FOLIUM_NAMES:
            package, expected, index = FOLIUM_NAMES[name]
            if expected != kind:
                raise AssetsMissingError(f"asset {name!r} : type {kind} ; attendu {expected}")
            files = getattr(self._asset(package), kind)
            rel = files[index][0]
        else:
            raise AssetsMissingError(
                f"l'élément de carte demande {name!r}, dont gupgeo n'a pas de copie locale : "
                "une carte hors ligne ne charge jamais de bibliothèque depuis internet "
                f"(connus : {sorted(FOLIUM_NAMES)} et gupgeo/assets/map_*)"
            )
        self._asset(package)
        if package not in self.packages:
            self.packages.append(package)
        return package, rel

    def _asset(self, package: str) -> Asset:
        if package not in self._loaded:
            (self._loaded[package],) = load_assets((package,), assets_dir=self.assets_dir)
        return self._loaded[package]

    def tag(self, package: str, kind: str, rel: str) -> str:
        """The ``<script>``/``<style>`` (inline) or ``<script src>``/``<link>`` of one file."""
        asset = self._asset(package)
        if self.link_prefix is not None:
            href = f"{self.link_prefix}{package}/{rel}"
            if kind == "css":
                return f'<link rel="stylesheet" href="{href}"/>'
            return f'<script src="{href}"></script>'
        text = dict(getattr(asset, kind))[rel]
        if kind == "css":
            out = f"<style>/* {package}: {rel} */\n{text}\n</style>"
        else:
            header = ""
            if asset.licence_text and package not in self._licensed:
                header = _licence_comment(asset, package)
                self._licensed.add(package)
            out = f"<script>{header}{text}\n</script>"
            if package == "leaflet":
                out += f"\n<script>{_default_icon_script(asset)}</script>"
        self.rendered_bytes += len(out.encode("utf-8"))
        return out


def inline_packages(names: tuple[str, ...], *, assets_dir: Path | None = None) -> str:
    """Every file of the named packages as inline tags, in load order (for a plain folium
    map that must open offline, e.g. the peers timed in ``benchmarks/maps.py``)."""
    bundle = AssetBundle()
    bundle.assets_dir = assets_dir
    parts = []
    for asset in load_assets(names, assets_dir=assets_dir):
        bundle._loaded[asset.name] = asset
        parts += [bundle.tag(asset.name, "css", rel) for rel, _ in asset.css]
        parts += [bundle.tag(asset.name, "js", rel) for rel, _ in asset.js]
    return "\n".join(parts)


class LocalAsset(Element):
    """One script or stylesheet of the page, from a local file (see :class:`AssetBundle`)."""

    def __init__(self, bundle: AssetBundle, package: str, kind: str, rel: str) -> None:
        super().__init__()
        self.bundle, self.package, self.kind, self.rel = bundle, package, kind, rel

    def render(self, **kwargs: object) -> str:
        return self.bundle.tag(self.package, self.kind, self.rel)


def copy_assets(
    names: tuple[str, ...], target: Path, *, assets_dir: Path | None = None
) -> list[Path]:
    """Copy the named assets (CSS made self-contained) and licences into ``target``."""
    written = []
    for asset in load_assets(names, assets_dir=assets_dir):
        folder = target / asset.name
        for rel, text in (*asset.js, *asset.css):
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
        if asset.licence_text:
            lic = folder / "LICENCE.txt"
            lic.write_text(asset.licence_text, encoding="utf-8")
            written.append(lic)
    logger.info("assets copiés dans %s (%d fichiers)", target, len(written))
    return written


__all__ = [
    "ENV_VAR",
    "FETCH_COMMAND",
    "AssetBundle",
    "AssetsMissingError",
    "copy_assets",
    "default_assets_dir",
    "inline_packages",
    "load_assets",
]
