"""Fetch the Leaflet assets that gupgeo inlines in its offline HTML maps.

Build-time only: runs ``npm ci`` against ``gupgeo/assets/package-lock.json`` (npm checks
every tarball against the lock's sha512 integrity), checks the installed versions, then
copies the files listed in ``gupgeo/assets/assets.json`` with each package's licence into
``build/assets/dist/`` and writes ``build/assets/dist/manifest.json`` (version, licence,
lock integrity and the sha256 of every copied file). ``gupgeo.maps`` reads that manifest
and refuses files whose sha256 changed. Nothing here is committed; nothing is fetched when
a map is viewed.

Usage::

    .venv/bin/python scripts/fetch_assets.py            # into build/assets
    .venv/bin/python scripts/fetch_assets.py --dest DIR --force

Maps look for the assets in ``$GUPGEO_ASSETS_DIR`` or else in ``build/assets`` next to the
``gupgeo`` package (``--dest`` must be the same directory).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = ROOT / "gupgeo" / "assets"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lock_digest() -> str:
    return _sha256(SPEC_DIR / "package-lock.json")


def fetch(dest: Path, *, force: bool = False) -> Path:
    """Install, check and copy the assets into ``dest / "dist"``; return the manifest path."""
    dist = dest / "dist"
    manifest_path = dist / "manifest.json"
    if manifest_path.exists() and not force:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("lock_sha256") == _lock_digest() and _files_intact(dist, manifest):
            print(f"assets à jour : {manifest_path}")
            return manifest_path

    npm_dir = dest / "npm"
    npm_dir.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(SPEC_DIR / name, npm_dir / name)
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm introuvable : installez Node.js 20 (paquets Debian nodejs et npm).")
    cmd = [npm, "ci", "--prefix", str(npm_dir), "--ignore-scripts", "--no-audit", "--no-fund"]
    print("+", " ".join(cmd))
    subprocess.run(cmd, check=True)

    lock = json.loads((SPEC_DIR / "package-lock.json").read_text(encoding="utf-8"))
    spec = json.loads((SPEC_DIR / "assets.json").read_text(encoding="utf-8"))["assets"]
    if dist.exists():
        shutil.rmtree(dist)
    out: dict[str, dict[str, object]] = {}
    for name, entry in spec.items():
        package = entry["package"]
        locked = lock["packages"][f"node_modules/{package}"]
        pkg_dir = npm_dir / "node_modules" / package
        installed = json.loads((pkg_dir / "package.json").read_text(encoding="utf-8"))
        if installed["version"] != locked["version"]:
            sys.exit(
                f"{package} : version installée {installed['version']}, "
                f"attendue {locked['version']} (package-lock.json)"
            )
        files: dict[str, str] = {}
        for rel in [*entry["js"], *entry["css"], *entry["extra"], entry["licence"]]:
            src = pkg_dir / rel
            if not src.is_file():
                sys.exit(f"{package} {locked['version']} : fichier attendu absent : {rel}")
            target = dist / name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            files[rel] = _sha256(target)
        out[name] = {
            "package": package,
            "version": locked["version"],
            "integrity": locked["integrity"],
            "licence_id": locked.get("license") or installed.get("license") or "voir licence",
            "licence": entry["licence"],
            "js": entry["js"],
            "css": entry["css"],
            "files": files,
        }
    manifest = {"lock_sha256": _lock_digest(), "assets": out}
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"assets copiés et vérifiés : {manifest_path}")
    return manifest_path


def _files_intact(dist: Path, manifest: dict[str, dict[str, dict[str, object]]]) -> bool:
    for name, entry in manifest["assets"].items():
        files = entry["files"]
        if not isinstance(files, dict):
            return False
        for rel, digest in files.items():
            path = dist / name / rel
            if not path.is_file() or _sha256(path) != digest:
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=ROOT / "build" / "assets")
    parser.add_argument("--force", action="store_true", help="réinstaller même si à jour")
    args = parser.parse_args(argv)
    fetch(args.dest.resolve(), force=args.force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
