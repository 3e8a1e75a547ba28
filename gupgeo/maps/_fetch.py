"""Fetch, check and lay out the pinned Leaflet assets: the one build-time step of the maps.

Used by ``scripts/fetch_assets.py`` (``make assets``: into ``build/assets`` of a checkout)
and by ``setup.py`` (into the package inside every wheel). Runs ``npm ci`` against
``gupgeo/assets/package-lock.json`` — npm checks every tarball against the lock's sha512
integrity —, checks the installed versions, then copies the files listed in
``gupgeo/assets/assets.json`` with each package's licence into ``<dest>/dist/`` and writes
``<dest>/dist/manifest.json`` (version, licence, lock integrity and the sha256 of every
copied file). :mod:`gupgeo.maps._assets` reads that manifest and refuses files whose sha256
changed. Nothing fetched is committed; nothing is fetched when a map is viewed.

``assets.json``'s ``test_assets`` (axe-core, an npm devDependency of the same lock) are
copied the same way under the manifest's ``test_assets`` key when asked (a checkout's
``make assets``, for the accessibility tests); a wheel is built with ``npm ci --omit=dev``
and never holds them.

Standard library only, and no ``gupgeo`` import: ``setup.py`` loads this file by its path
in an isolated build environment where gupgeo's dependencies are absent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SPEC_DIR = Path(__file__).resolve().parents[1] / "assets"
"""``package.json``, ``package-lock.json`` (the pins) and ``assets.json`` (which files)."""

IN_PACKAGE_DIR = ("gupgeo", "maps", "vendor")
"""Where a wheel carries the assets, relative to the installation root (``site-packages``)."""

MANIFEST = "manifest.json"


class AssetsFetchError(RuntimeError):
    """npm is missing, or what it installed does not match the lock or ``assets.json``."""


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock_digest(spec_dir: Path = SPEC_DIR) -> str:
    """The sha256 of ``package-lock.json``, written in the manifest to spot stale copies."""
    return sha256_file(spec_dir / "package-lock.json")


def files_intact(dist: Path, manifest: dict[str, Any]) -> bool:
    """Whether every file listed in ``manifest`` lies in ``dist`` with its sha256."""
    for name, entry in [*manifest["assets"].items(), *manifest.get("test_assets", {}).items()]:
        files = entry.get("files")
        if not isinstance(files, dict):
            return False
        for rel, digest in files.items():
            path = dist / name / rel
            if not path.is_file() or sha256_file(path) != digest:
                return False
    return True


def fetch(
    dest: Path,
    *,
    work_dir: Path | None = None,
    force: bool = False,
    spec_dir: Path = SPEC_DIR,
    test_assets: bool = False,
) -> Path:
    """Install, check and copy the assets into ``dest / "dist"``; return the manifest path.

    Parameters
    ----------
    dest
        The assets folder (the one ``$GUPGEO_ASSETS_DIR`` names); ``dist/`` is created in it.
    work_dir
        Where ``npm ci`` installs the packages; default ``dest / "npm"``, kept to speed up
        the next run. Nothing from it but the listed files reaches ``dist/``.
    force
        Reinstall even when ``dist/`` already holds intact files for the current lock.
    spec_dir
        The folder holding ``package.json``, ``package-lock.json`` and ``assets.json``.
    test_assets
        Also install the lock's devDependencies and copy ``assets.json``'s ``test_assets``
        (for the tests of a checkout); otherwise ``npm ci --omit=dev``.

    Raises
    ------
    AssetsFetchError
        When npm is absent or an installed package does not match the lock or the list.
    """
    dist = dest / "dist"
    manifest_path = dist / MANIFEST
    if manifest_path.exists() and not force:
        current = json.loads(manifest_path.read_text(encoding="utf-8"))
        if (
            current.get("lock_sha256") == lock_digest(spec_dir)
            and files_intact(dist, current)
            and (not test_assets or "test_assets" in current)
        ):
            logger.info("assets à jour : %s", manifest_path)
            return manifest_path
    npm_dir = work_dir if work_dir is not None else dest / "npm"
    _npm_ci(spec_dir, npm_dir, dev=test_assets)
    lock = json.loads((spec_dir / "package-lock.json").read_text(encoding="utf-8"))
    spec = json.loads((spec_dir / "assets.json").read_text(encoding="utf-8"))
    if dist.exists():
        shutil.rmtree(dist)
    manifest: dict[str, Any] = {"lock_sha256": lock_digest(spec_dir)}
    for section in ("assets", "test_assets") if test_assets else ("assets",):
        manifest[section] = {
            name: _copy_package(name, entry, lock, npm_dir / "node_modules", dist)
            for name, entry in spec[section].items()
        }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    logger.info("assets copiés et vérifiés : %s", manifest_path)
    return manifest_path


def fetch_into_package(build_lib: Path) -> Path:
    """Fetch into ``build_lib``'s copy of the package (a wheel build); npm works in a temp dir."""
    dest = build_lib.joinpath(*IN_PACKAGE_DIR)
    with tempfile.TemporaryDirectory(prefix="gupgeo-npm-") as work:
        return fetch(dest, work_dir=Path(work))


def _npm_ci(spec_dir: Path, npm_dir: Path, *, dev: bool) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsFetchError(
            "npm introuvable : installez Node.js 20 (paquets Debian nodejs et npm) ; il récupère "
            "Leaflet, épinglé par gupgeo/assets/package-lock.json."
        )
    npm_dir.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(spec_dir / name, npm_dir / name)
    cmd = [npm, "ci", "--prefix", str(npm_dir), "--ignore-scripts", "--no-audit", "--no-fund"]
    if not dev:
        cmd.append("--omit=dev")
    logger.info("+ %s", " ".join(cmd))
    subprocess.run(cmd, check=True)


def _copy_package(
    name: str, entry: dict[str, Any], lock: dict[str, Any], node_modules: Path, dist: Path
) -> dict[str, Any]:
    """Copy one package's listed files and licence into ``dist / name``; its manifest entry."""
    package = entry["package"]
    locked = lock["packages"][f"node_modules/{package}"]
    pkg_dir = node_modules / package
    installed = json.loads((pkg_dir / "package.json").read_text(encoding="utf-8"))
    if installed["version"] != locked["version"]:
        raise AssetsFetchError(
            f"{package} : version installée {installed['version']}, "
            f"attendue {locked['version']} (package-lock.json)"
        )
    files: dict[str, str] = {}
    for rel in [*entry["js"], *entry["css"], *entry["extra"], entry["licence"]]:
        src = pkg_dir / rel
        if not src.is_file():
            raise AssetsFetchError(
                f"{package} {locked['version']} : fichier attendu absent : {rel}"
            )
        target = dist / name / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        files[rel] = sha256_file(target)
    return {
        "package": package,
        "version": locked["version"],
        "integrity": locked["integrity"],
        "licence_id": locked.get("license") or installed.get("license") or "voir licence",
        "licence": entry["licence"],
        "js": entry["js"],
        "css": entry["css"],
        "files": files,
    }
