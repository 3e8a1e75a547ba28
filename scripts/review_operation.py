"""Review an aménagement operation (or any perimeter file) against the territory's data.

Usage::

    .venv/bin/python scripts/review_operation.py OP-03             # bundled sample
    .venv/bin/python scripts/review_operation.py perimetre.geojson --territory data/sample \\
        -o out/revue.html --buffer-m 150 --months 36
"""

from __future__ import annotations

import argparse
import logging
import sys

import gupgeo
from gupgeo.review.build import review_operation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Revue d'une opération d'aménagement.")
    parser.add_argument("operation", help="identifiant d'opération (OP-03) ou fichier de périmètre")
    parser.add_argument("--territory", default="data/sample")
    parser.add_argument(
        "-o", "--out", default=None, help="fichier HTML (défaut : out/revue_<op>.html)"
    )
    parser.add_argument("--buffer-m", type=float, default=200.0)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--publication", default="partenaires",
                        choices=["partenaires", "public", "interne"])  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    territory = gupgeo.load_territory(args.territory)
    review = review_operation(
        territory, args.operation, buffer_m=args.buffer_m, months=args.months,
        publication=args.publication,
    )  # fmt: skip
    stem = gupgeo.atlas.safe_stem(review.operation_id or review.name)
    path = review.save(args.out or f"out/revue_{stem}.html")
    by_zone = review.signalements_by_category[["périmètre", "abords"]].sum()
    print(f"Revue de « {review.name} » écrite : {path}")
    print(f"  signalements : {by_zone['périmètre']} dans le périmètre, {by_zone['abords']} "
          f"dans les abords ({review.buffer_m:g} m)")  # fmt: skip
    print(f"  constats : {len(review.constats)} ; équipements : {len(review.equipements)} ; "
          f"recours à la garantie : {len(review.garanties)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
