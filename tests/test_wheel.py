"""The wheel, built and installed as a user would: it draws an offline map out of the box.

The sources (tracked and untracked-but-not-ignored files, as a fresh clone plus work in
progress) are copied to a temporary folder and built there with ``pip wheel`` — so
``setup.py`` runs ``npm ci`` and no ``build/`` or stale copy of the checkout can leak in.
The wheel is installed with its declared dependencies (from pip's cache or the registry) in
a new venv, then used from a folder outside the repository with ``GUPGEO_ASSETS_DIR``
unset. Needs npm and the package registry; with ``CI=true`` their absence fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser_support import missing

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 900
pytestmark = pytest.mark.slow  # 45-80 s on 2 shared cores: build, install ~1 GB, import, clean up

MAP_SCRIPT = """
import json, sys
import geopandas as gpd, shapely
import gupgeo
from gupgeo.maps._assets import default_assets_dir

x0, y0 = 525_000.0, 6_701_000.0
quartiers = gpd.GeoDataFrame(
    {"code_qp": ["LOC-A", "LOC-B"], "nom_qp": ["Sanitas", "La Rabière"],
     "commune": ["Tours", "Joué-lès-Tours"]},
    geometry=[shapely.box(x0, y0, x0 + 900, y0 + 700),
              shapely.box(x0 + 1000, y0, x0 + 1800, y0 + 600)],
    crs=2154,
)
equipements = gpd.GeoDataFrame(
    {"id": ["E1", "E2"], "nom": ["École Jean Moulin", "Maison de l'Habitat"],
     "type": ["école", "centre social"], "gestionnaire": ["Ville", "Ville"]},
    geometry=gpd.points_from_xy([x0 + 100, x0 + 1200], [y0 + 100, y0 + 300]),
    crs=2154,
)
m = gupgeo.map_territory({"quartiers": quartiers, "equipements": equipements})
report = gupgeo.save_map(m, sys.argv[1])
print(json.dumps({"gupgeo": gupgeo.__file__, "assets_dir": str(default_assets_dir()),
                  "assets_bytes": report.assets_bytes}))
"""


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path
    site_packages: Path
    env: dict[str, str]
    workdir: Path


def _run(
    cmd: list[str | Path], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run, and on failure show the command's own output rather than a bare exit code."""
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    if done.returncode != 0:
        pytest.fail(
            f"échec ({done.returncode}) : {' '.join(map(str, cmd))}\n"
            f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}",
            pytrace=False,
        )
    return done


def _copy_sources(target: Path) -> None:
    """The files a clone would hold, plus new files not yet committed (``.gitignore`` obeyed)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        missing("git ou le dépôt git absent : la roue est construite depuis les fichiers suivis")
    listed = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO
    ).stdout
    for rel in filter(None, listed.split("\0")):
        source = REPO / rel
        if source.is_file():  # a tracked file deleted in the working tree is skipped
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("GUPGEO_ASSETS_DIR", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def installed() -> Iterator[Installed]:
    """Build the wheel from a copy of the sources and install it in a new venv (~1 GB, removed)."""
    if shutil.which("npm") is None:
        missing("npm absent : il récupère Leaflet pendant la construction de la roue")
    with tempfile.TemporaryDirectory(prefix="gupgeo-wheel-") as tmp:
        root = Path(tmp)
        _copy_sources(root / "src")
        _run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", root / "dist", root / "src"],
            env=_clean_env(),
        )
        (wheel,) = (root / "dist").glob("gupgeo-*.whl")
        venv = root / "venv"
        _run([sys.executable, "-m", "venv", venv], env=_clean_env())
        python = venv / "bin" / "python"
        # --no-compile: byte-compiling ~900 MB of dependencies would double the install time
        # and proves nothing (Python compiles on import).
        _run([python, "-m", "pip", "install", "--no-compile", wheel], env=_clean_env())
        purelib = _run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
        ).stdout.strip()
        workdir = root / "ailleurs"
        workdir.mkdir()
        yield Installed(wheel, python, Path(purelib), _clean_env(), workdir)


def test_wheel_carries_the_checked_leaflet_assets_and_nothing_of_npm(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        prefix = "gupgeo/maps/vendor/dist/"
        manifest = json.loads(wheel.read(prefix + "manifest.json"))
        for name, entry in manifest["assets"].items():
            assert entry["integrity"].startswith("sha512-")
            assert f"{prefix}{name}/{entry['licence']}" in names
            for rel in entry["files"]:
                assert f"{prefix}{name}/{rel}" in names
    assert {"leaflet", "fullscreen", "heat", "markercluster"} <= set(manifest["assets"])
    assert not [n for n in names if "node_modules" in n or "/npm/" in n or n.startswith("tests/")]
    # axe-core is a test-only devDependency of the same lock: never packed into a wheel.
    assert "test_assets" not in manifest
    assert not [n for n in names if "axe" in n.lower()]


def test_installed_wheel_draws_an_offline_map_with_no_configuration(installed):
    script = installed.workdir / "carte.py"
    script.write_text(MAP_SCRIPT, encoding="utf-8")
    out = installed.workdir / "carte.html"
    done = _run(
        [installed.python, script, out], cwd=installed.workdir, env=installed.env
    ).stdout.splitlines()[-1]
    where = json.loads(done)
    # The installed copy answered, with the assets built into it — not the checkout's.
    assert Path(where["gupgeo"]).is_relative_to(installed.site_packages)
    assert Path(where["assets_dir"]) == installed.site_packages / "gupgeo" / "maps" / "vendor"
    html = out.read_text(encoding="utf-8")
    assert "Leaflet 1.9.4" in html and "Vladimir Agafonkin" in html  # inline, with its licence
    assert "L.map(" in html and "gupgeo.done(" in html
    assert "LOC-B" in html and "École Jean Moulin" in html
    assert not re.search(r"<script[^>]+src=[\"']?https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", html)
    assert where["assets_bytes"] > 100_000


def test_installed_wheel_runs_python_m_gupgeo(installed):
    done = _run(
        [installed.python, "-m", "gupgeo", "--help"], cwd=installed.workdir, env=installed.env
    )
    assert done.stdout.startswith("utilisation : gupgeo")
    assert "carte" in done.stdout and "atlas" in done.stdout
