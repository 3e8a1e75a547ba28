"""Fetch the Leaflet assets that gupgeo inlines in its offline HTML maps, for a checkout.

Build-time only (``make assets``): ``npm ci`` against ``gupgeo/assets/package-lock.json``
(sha512 integrity), then the listed files with their licences go into
``build/assets/dist/`` with a ``manifest.json`` of sha256 digests. The work is done by
:mod:`gupgeo.maps._fetch`, which ``setup.py`` also runs to build the same files into every
wheel; an installed wheel needs no fetch. A checkout also gets the test-only assets
(axe-core, for the accessibility tests), which a wheel never carries.

Usage::

    .venv/bin/python scripts/fetch_assets.py            # into build/assets
    .venv/bin/python scripts/fetch_assets.py --dest DIR --force

Maps look for the assets in ``$GUPGEO_ASSETS_DIR``, else in the copy built into the
installed package, else in ``build/assets`` next to the ``gupgeo`` package of an editable
checkout (another ``--dest`` must be named by ``$GUPGEO_ASSETS_DIR``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from gupgeo.maps._fetch import AssetsFetchError, fetch

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=ROOT / "build" / "assets")
    parser.add_argument("--force", action="store_true", help="réinstaller même si à jour")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        fetch(args.dest.resolve(), force=args.force, test_assets=True)
    except AssetsFetchError as exc:
        sys.exit(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
