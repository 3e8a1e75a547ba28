"""Build the quartier atlas of a territory, the way a planner would script it each quarter.

Usage::

    .venv/bin/python scripts/build_atlas.py                      # bundled sample, 2024
    .venv/bin/python scripts/build_atlas.py data/sample -o out/atlas --period 2024-T4 \\
        --quartiers LOC-SANITAS LOC-RABIERE --publication partenaires
"""

from __future__ import annotations

import argparse
import logging
import sys

import gupgeo
from gupgeo.atlas import build_atlas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Atlas des quartiers (une page par quartier).")
    parser.add_argument("territoire", nargs="?", default="data/sample")
    parser.add_argument("-o", "--out", default="out/atlas")
    parser.add_argument("--period", default="2024", help="2024, 2024-T2, 2024-03…")
    parser.add_argument("--publication", default="partenaires",
                        choices=["partenaires", "public", "interne"])  # fmt: skip
    parser.add_argument("--quartiers", nargs="*", help="codes des quartiers (défaut : tous)")
    parser.add_argument("--pdf", action="store_true", help="écrire aussi les PDF")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    territory = gupgeo.load_territory(args.territoire)
    result = build_atlas(
        territory, args.out, period=args.period, publication=args.publication,
        quartiers=args.quartiers or None, pdf=args.pdf,
    )  # fmt: skip
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
