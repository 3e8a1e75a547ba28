"""The ``gupgeo`` command: parses arguments, configures logging, calls the public API.

No domain logic lives here. Exit codes: 0 success, 1 fatal problems found in the
data, 2 unusable command line or unreadable input.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from gupgeo.errors import GupgeoError
from gupgeo.territory import load_territory

log = logging.getLogger("gupgeo")


def _cmd_validate(args: argparse.Namespace) -> int:
    layers = {args.layer: args.paths[0]} if args.layer else None
    paths = [] if args.layer else args.paths
    territory = load_territory(*paths, layers=layers, far_m=args.far_m)
    report = territory.report
    print(report.to_text())
    if args.rejects_dir is not None:
        written = report.write_rejects(str(args.rejects_dir))
        for path in written:
            print(f"Rejets écrits : {path}")
    if args.output is not None:
        saved = territory.save(args.output)
        print(f"Territoire validé enregistré : {saved}")
    return 1 if report.fatal else 0


def _cmd_info(args: argparse.Namespace) -> int:
    territory = load_territory(*args.paths)
    print(territory.summary())
    if territory.report.fatal:
        print(
            "\nAttention : des erreurs bloquantes ont été trouvées (gupgeo validate pour le détail)."
        )
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gupgeo",
        description="Outils SIG pour la gestion urbaine de proximité (GUP) des quartiers prioritaires.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="messages détaillés")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    p_val = sub.add_parser(
        "validate",
        help="valider des fichiers ou un territoire et afficher le rapport",
        description="Valide chaque fichier (ou dossier, ou GeoPackage) et affiche le rapport : "
        "lignes lues = conservées + rejetées, avec le motif de chaque rejet.",
    )
    p_val.add_argument("paths", nargs="+", type=Path, metavar="CHEMIN")
    p_val.add_argument("--layer", help="couche du fichier (si son nom ne l'indique pas)")
    p_val.add_argument("--rejects-dir", type=Path, help="dossier où écrire rejets_<couche>.csv")
    p_val.add_argument(
        "-o", "--output", type=Path, help="GeoPackage où enregistrer le territoire validé"
    )
    p_val.add_argument(
        "--far-m",
        type=float,
        default=20_000.0,
        help="distance (m) au-delà de laquelle signaler un objet",
    )
    p_val.set_defaults(func=_cmd_validate)

    p_info = sub.add_parser("info", help="résumer un territoire (dossier ou GeoPackage)")
    p_info.add_argument("paths", nargs="+", type=Path, metavar="CHEMIN")
    p_info.set_defaults(func=_cmd_info)
    # Further commands register below.
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s : %(message)s",
    )
    if getattr(args, "layer", None) and len(args.paths) != 1:
        parser.error("--layer s'applique à un seul fichier")
    try:
        code: int = args.func(args)
    except GupgeoError as exc:
        print(f"gupgeo : erreur : {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
