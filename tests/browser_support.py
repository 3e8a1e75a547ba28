"""Shared helpers for map tests: a tiny Lambert-93 territory, assets and a real Chromium.

The browser is Debian's Chromium (``apt-get install chromium``) driven by Playwright with
``executable_path`` — never ``playwright install``. Every non-``file://`` request is
aborted, so a map that needs the network fails its test. When ``CI`` is set, missing
assets or Chromium fail the tests with the command that installs them; elsewhere the
browser tests are skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gupgeo.maps._assets import FETCH_COMMAND, default_assets_dir

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>alert(1)</script>"
X0, Y0 = 525_000.0, 6_701_000.0


def missing(what: str) -> NoReturn:
    """Fail in CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"CI : {what}", pytrace=False)
    pytest.skip(what)


def require_assets() -> Path:
    """The build-time Leaflet assets, or fail/skip with the command that fetches them."""
    directory = default_assets_dir()
    if not (directory / "dist" / "manifest.json").is_file():
        missing(f"assets Leaflet absents de {directory} : lancez `{FETCH_COMMAND}`")
    return directory


def require_chromium() -> str:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        missing("Chromium absent : `apt-get install -y chromium chromium-driver`")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing(
            "Playwright absent : `.venv/bin/pip install playwright` (sans `playwright install`)"
        )
    return CHROMIUM


def territory(n_signalements: int = 60, *, seed: int = 0) -> dict[str, gpd.GeoDataFrame]:
    """A small territory in Lambert-93 with hostile strings where users type text."""
    rng = np.random.default_rng(seed)
    quartiers = gpd.GeoDataFrame(
        {
            "code_qp": ["LOC-SANITAS", "LOC-RABIERE", "LOC-ALOUETTE"],
            "nom_qp": ["Sanitas", "La Rabière", "Rue de l'Alouette"],
            "commune": ["Tours", "Joué-lès-Tours", "Tours"],
            "population": [9000, 4000, np.nan],
        },
        geometry=[
            shapely.box(X0, Y0, X0 + 1500, Y0 + 1200),
            shapely.box(X0 + 2000, Y0 - 500, X0 + 3000, Y0 + 600),
            shapely.box(X0 - 1800, Y0 + 300, X0 - 600, Y0 + 1400),
        ],
        crs=2154,
    )
    operations = gpd.GeoDataFrame(
        {
            "id": ["OP1"],
            "nom": ["Requalification de l'îlot Saint-Paul"],
            "code_qp": ["LOC-SANITAS"],
            "date_debut": pd.to_datetime(["2024-03-01"]),
            "date_livraison": [pd.NaT],
            "montant_eur": [1_234_567.0],
        },
        geometry=[shapely.box(X0 + 200, Y0 + 200, X0 + 700, Y0 + 600)],
        crs=2154,
    )
    equipements = gpd.GeoDataFrame(
        {
            "id": ["E1", "E2", "E3", "E4", "E5"],
            "nom": ["École Jean Moulin", "Maison de l'Habitat", XSS_SCRIPT, "PAVE rue X", "Aire"],
            "type": ["école", "centre social", "école", "PAVE", None],
            "gestionnaire": ["Ville", "Ville", None, "Métropole", "Ville"],
        },
        geometry=gpd.points_from_xy(
            [X0 + 100, X0 + 400, X0 + 900, X0 + 1200, X0 + 1400],
            [Y0 + 100, Y0 + 900, Y0 + 300, Y0 + 1000, Y0 + 700],
        ),
        crs=2154,
    )
    n = n_signalements
    descriptions = ["RAS"] * n
    descriptions[0], descriptions[1] = XSS_IMG, XSS_SCRIPT
    signalements = gpd.GeoDataFrame(
        {
            "id": [f"S{i}" for i in range(n)],
            "date_signalement": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "categorie": rng.choice(["propreté", "éclairage", "encombrants"], n),
            "statut": rng.choice(["nouveau", "en cours", "résolu"], n),
            "description": descriptions,
            "poids": rng.integers(1, 4, n),
        },
        geometry=gpd.points_from_xy(X0 + rng.uniform(0, 1500, n), Y0 + rng.uniform(0, 1200, n)),
        crs=2154,
    )
    constats = gpd.GeoDataFrame(
        {
            "id": ["C1", "C2", "C3", "C4"],
            "date": pd.to_datetime(["2024-05-02", "2024-05-02", "2024-06-10", "2024-06-11"]),
            "demarche": [
                "diagnostic en marchant",
                "marche exploratoire",
                "ESSP",
                "diagnostic en marchant",
            ],
            "theme": ["éclairage", "recoin", "visibilité", "cheminement"],
            "gravite": [3, 2, 1, np.nan],
            "recommandation": [
                "Ajouter un candélabre rue de l'Alouette",
                "Élaguer",
                "Confidentiel",
                XSS_IMG,
            ],
        },
        geometry=[
            shapely.Point(X0 + 300, Y0 + 300),
            shapely.LineString([(X0 + 400, Y0 + 800), (X0 + 900, Y0 + 900)]),
            shapely.Point(X0 + 800, Y0 + 100),
            shapely.box(X0 + 1000, Y0 + 200, X0 + 1200, Y0 + 350),
        ],
        crs=2154,
    )
    return {
        "quartiers": quartiers,
        "operations": operations,
        "equipements": equipements,
        "signalements": signalements,
        "constats": constats,
    }


@dataclass
class OfflinePage:
    """A page whose network is blocked, recording what it tried and what went wrong."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.gupgeo && window.gupgeo.ready === true", timeout=15_000)

    def js_errors(self, *, allowed_hosts: tuple[str, ...] = ()) -> list[str]:
        """Uncaught exceptions and console errors, except blocked loads from allowed hosts."""
        out = list(self.page_errors)
        for text, url in self.console_errors:
            if text.startswith("Failed to load resource") and any(h in url for h in allowed_hosts):
                continue
            out.append(f"{text} ({url})")
        return out


@contextmanager
def launch_browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (fails in CI, skips elsewhere when absent)."""
    require_assets()
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@contextmanager
def offline_page(browser: Any) -> Iterator[OfflinePage]:
    """A fresh page of ``browser`` with all network but ``file://`` aborted."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    state = OfflinePage(page)

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            state.blocked.append(r.request.url)
            r.abort()

    def on_dialog(d: Any) -> None:
        state.dialogs.append(d.message)
        d.dismiss()

    context.route("**/*", route)
    page.on("pageerror", lambda e: state.page_errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            state.console_errors.append((m.text, m.location.get("url", "")))
            if m.type == "error"
            else None
        ),
    )
    page.on("dialog", on_dialog)
    try:
        yield state
    finally:
        context.close()


def write_fake_assets(directory: Path) -> Path:
    """Tiny stand-ins for the npm assets, with a valid manifest (for unit tests).

    They let HTML-level tests run without npm; the browser tests use the real files.
    """
    import hashlib
    import json

    spec = {
        "leaflet": (["dist/leaflet.js"], ["dist/leaflet.css"], ["dist/images/layers.png"]),
        "fullscreen": (["Control.FullScreen.js"], ["Control.FullScreen.css"], []),
        "heat": (["dist/leaflet-heat.js"], [], []),
        "groupedlayercontrol": (
            ["src/leaflet.groupedlayercontrol.js"],
            ["src/leaflet.groupedlayercontrol.css"],
            [],
        ),
        "markercluster": (["dist/leaflet.markercluster.js"], ["dist/MarkerCluster.css"], []),
    }
    dist = directory / "dist"
    manifest: dict[str, Any] = {"lock_sha256": "test", "assets": {}}
    for name, (js, css, extra) in spec.items():
        files = {}
        contents = {rel: f"/* fake {name} {rel} */ window.fake_{name} = 1;\n" for rel in js}
        contents.update({rel: f".fake-{name} {{ color: red; }}\n" for rel in css})
        contents.update({rel: "PNG" for rel in extra})
        contents["LICENSE"] = f"Fake licence of {name}\n"
        if name == "leaflet":
            contents["dist/leaflet.css"] = (
                ".leaflet-control-layers-toggle { background-image: url(images/layers.png); }\n"
            )
        for rel, text in contents.items():
            path = dist / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest["assets"][name] = {
            "package": name,
            "version": "0.0.0",
            "integrity": "sha512-test",
            "licence_id": "MIT",
            "licence": "LICENSE",
            "js": js,
            "css": css,
            "files": files,
        }
    (dist / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory
