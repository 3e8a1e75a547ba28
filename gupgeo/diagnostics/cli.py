"""The ``gupgeo diagnostic`` commands: arguments only, the work is in the package.

``preparer`` (the walk sheet), ``suivi`` (follow-up as of ``--date``), ``releve`` (relevé
de conclusions of one walk),
``rattacher`` (attach a walk file to a known diagnostic, through the importer).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _cmd_suivi(args: argparse.Namespace) -> int:
    from gupgeo.diagnostics.suivi import suivi_command

    territory = args.load([args.territoire], args)
    suivi = suivi_command(
        territory, as_of=args.date, output=args.output, publication=args.publication
    )
    total = suivi.total()
    print(
        f"Suivi au {suivi.as_of:%d/%m/%Y} écrit dans {args.output} : {int(total['ouverts'])} "
        f"ouvert(s) dont {int(total['en_retard'])} en retard, {int(total['traites'])} traité(s) "
        f"dont {int(total['traites_dans_les_delais'])} dans les délais"
    )
    return 0


def _cmd_releve(args: argparse.Namespace) -> int:
    from gupgeo.diagnostics.releve import build_releve, write_releve

    territory = args.load([args.territoire], args)
    releve = build_releve(territory, args.diagnostic, publication=args.publication, as_of=args.date)
    for path in write_releve(releve, args.output, pdf=not args.sans_pdf):
        print(f"Relevé écrit : {path}")
    return 0


def _cmd_preparer(args: argparse.Namespace) -> int:
    from gupgeo.diagnostics.sheet import build_sheet, write_sheet

    territory = args.load([args.territoire], args)
    sheet = build_sheet(
        territory, args.quartier, day=args.date, months=args.mois, publication=args.publication
    )
    for path in write_sheet(sheet, args.output, pdf=not args.sans_pdf):
        print(f"Fiche de marche écrite : {path}")
    print(
        f"{len(sheet.open_constats)} constat(s) ouvert(s) à vérifier, "
        f"{len(sheet.repeated)} problème(s) signalé(s) plusieurs fois le long du parcours"
    )
    return 0


def _cmd_rattacher(args: argparse.Namespace) -> int:
    from gupgeo.errors import ValidationError
    from gupgeo.storage.importer import import_export

    try:
        report = import_export(
            args.fichier,
            args.territoire,
            walk_date=args.date,
            diagnostic_id=args.diagnostic,
            max_rejects_pct=args.max_rejects_pct,
        )
    except ValidationError as exc:
        raise args.data_loss(str(exc)) from exc
    print(report.to_text())
    return 0 if report.balanced else 1


def add_diagnostic(
    sub: Any, *, day: Any, territory: Any, reading: Any, load: Any, data_loss: Any
) -> None:
    """The ``diagnostic`` command group; ``day``, ``territory`` and ``reading`` are the
    CLI's own date type, territory type and reading options, ``load`` its territory
    loader (exit 1 on losses) and ``data_loss`` its exception for exit code 1 (passed
    in: this module never imports :mod:`gupgeo.cli`)."""
    p = sub.add_parser(
        "diagnostic",
        help="diagnostics en marchant : relevé de conclusions, suivi des constats, "
        "rattachement d'un fichier de marche",
    )
    group = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    p.set_defaults(load=load, data_loss=data_loss)
    publication = {
        "default": "partenaires",
        "choices": ["interne", "partenaires"],
        "help": "profil de diffusion (défaut : partenaires : ESSP retirées, données "
        "personnelles exclues)",
    }

    p_suivi = group.add_parser("suivi", help="suivi par partenaire et quartier (suivi.csv)")
    p_suivi.add_argument("territoire", type=territory, metavar="TERRITOIRE")
    p_suivi.add_argument(
        "--date",
        type=day,
        required=True,
        metavar="JJ/MM/AAAA",
        help="jour du suivi (retards comptés à cette date)",
    )
    p_suivi.add_argument("-o", "--output", type=Path, required=True, metavar="DOSSIER")
    p_suivi.add_argument("--publication", **publication)
    reading(p_suivi)
    p_suivi.set_defaults(func=_cmd_suivi)

    p_prep = group.add_parser("preparer", help="fiche de marche d'un quartier (HTML, PDF A4)")
    p_prep.add_argument("quartier", metavar="QUARTIER", help="code ou nom du quartier")
    p_prep.add_argument("--territoire", type=territory, required=True, metavar="TERRITOIRE")
    p_prep.add_argument(
        "--date", type=day, required=True, metavar="JJ/MM/AAAA", help="jour de la marche"
    )
    p_prep.add_argument("-o", "--output", type=Path, required=True, metavar="DOSSIER")
    p_prep.add_argument(
        "--mois", type=int, default=6, help="veille des N derniers mois (défaut : 6)"
    )
    p_prep.add_argument("--publication", **publication)
    p_prep.add_argument("--sans-pdf", action="store_true", help="ne pas écrire le PDF")
    reading(p_prep)
    p_prep.set_defaults(func=_cmd_preparer)

    p_rel = group.add_parser("releve", help="relevé de conclusions d'un diagnostic")
    p_rel.add_argument("diagnostic", metavar="DIAGNOSTIC_ID")
    p_rel.add_argument("--territoire", type=territory, required=True, metavar="TERRITOIRE")
    p_rel.add_argument("-o", "--output", type=Path, required=True, metavar="DOSSIER")
    p_rel.add_argument(
        "--date",
        type=day,
        metavar="JJ/MM/AAAA",
        help="jour du suivi indiqué (défaut : jour du diagnostic)",
    )
    p_rel.add_argument("--publication", **publication)
    p_rel.add_argument("--sans-pdf", action="store_true", help="ne pas écrire le PDF")
    reading(p_rel)
    p_rel.set_defaults(func=_cmd_releve)

    p_att = group.add_parser("rattacher", help="rattacher un fichier de marche à un diagnostic")
    p_att.add_argument("fichier", type=Path, metavar="FICHIER")
    p_att.add_argument("--diagnostic", required=True, metavar="ID")
    p_att.add_argument("--territoire", required=True, metavar="URL|GPKG")
    p_att.add_argument(
        "--date", type=day, metavar="JJ/MM/AAAA", help="jour de la marche si le fichier n'en a pas"
    )
    reading(p_att)
    p_att.set_defaults(func=_cmd_rattacher)


__all__ = ["add_diagnostic"]
