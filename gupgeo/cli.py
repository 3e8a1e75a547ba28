"""The ``gupgeo`` command: parses arguments, configures logging, calls the public API.

No domain logic lives here. Commands have French names (``valider``, ``tableau-de-bord``,
``carte``, ``rattacher``, ``atlas``, ``revue``, ``importer``, ``veille``, ``info``); the
English names (``validate``, ``dashboard``, ``map``, ``attribute``, ``review``, ``import``)
are kept as aliases. Exit codes: 0 success; 1 the data lose rows: a layer is
unusable (fatal problem), a layer rejects more than ``--max-rejets`` percent of its
rows (default 5), or an output would be empty while its input was not, or an import
has nothing to import (an empty export, every row rejected, whatever ``--max-rejets``)
— then the last line printed says ``ERREUR`` and nothing is written; 2 unusable
command line, manifest or unreadable input, or a territory still written by another
process after ``--attente`` seconds.

Everything printed goes through :func:`gupgeo.french.printable`: escape sequences and
control characters read from a file (a column name, a value) never reach the terminal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from gupgeo._lock import DEFAULT_WAIT_S
from gupgeo.attribution.report import DEFAULT_TOLERANCE_M
from gupgeo.errors import GupgeoError, SchemaError, ValidationError
from gupgeo.french import format_count, printable
from gupgeo.storage.loading import load_territory
from gupgeo.storage.postgis import is_postgis_url, parse_url
from gupgeo.territory import Territory
from gupgeo.validation.columns import parse_column_option
from gupgeo.validation.report import MAX_REJECTS_PCT, ValidationReport
from gupgeo.validation.values import parse_value_option

if TYPE_CHECKING:
    from gupgeo.publication import Publication

log = logging.getLogger("gupgeo")


class DataLossError(GupgeoError):
    """The data read would lose rows beyond what the command line accepts (exit code 1)."""


def _columns(args: argparse.Namespace, layer: str | None = None) -> dict[str, dict[str, str]]:
    """``--colonne`` options as ``load_territory(columns=…)``: by layer, ``"*"`` for any."""
    out: dict[str, dict[str, str]] = {}
    for text in getattr(args, "columns", None) or []:
        named, target, source = parse_column_option(text)
        out.setdefault(named or layer or "*", {})[target] = source
    return out


def _values(args: argparse.Namespace, layer: str | None = None) -> dict[str, dict[str, str]]:
    """``--valeur`` options as ``load_territory(values=…)``: by layer, ``"*"`` for any."""
    out: dict[str, dict[str, str]] = {}
    for text in getattr(args, "values", None) or []:
        named, target, value = parse_value_option(text)
        out.setdefault(named or layer or "*", {})[target] = value
    return out


def _file_columns(
    texts: Sequence[str] | None,
    layer: str | None,
    *,
    option: str,
    layer_option: str,
    file: str,
    parse: Callable[[str], tuple[str | None, str, str]] = parse_column_option,
) -> dict[str, str]:
    """``--colonne``-like options for one file read as one layer: ``CIBLE=SOURCE``, and
    ``couche.CIBLE=SOURCE`` when ``couche`` is the file's layer (never silently dropped).
    ``parse`` splits one option (``--valeur``: :func:`parse_value_option`)."""
    out: dict[str, str] = {}
    for text in texts or []:
        named, target, source = parse(text)
        if named is not None and layer is None:
            raise SchemaError(
                f"{option} {text} : vaut pour la couche « {named} » ; précisez la couche de "
                f"{file} : {layer_option} {named} (ou écrivez {option} {target}={source})"
            )
        if named is not None and named != layer:
            raise SchemaError(
                f"{option} {text} : vaut pour la couche « {named} », or {file} est lue comme "
                f"couche « {layer} » ({layer_option} {layer})"
            )
        out[target] = source
    return out


def _day_arg(text: str) -> dt.date:
    """A day on the command line: ``JJ/MM/AAAA`` (or ``AAAA-MM-JJ``)."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"date « {text} » illisible ; attendu JJ/MM/AAAA")


def _moment_arg(text: str) -> dt.datetime:
    """The date of an export: ``JJ/MM/AAAA``, or ISO ``AAAA-MM-JJ[THH:MM[:SS]]``."""
    try:
        if "/" in text:
            return dt.datetime.combine(_day_arg(text), dt.time())
        return dt.datetime.fromisoformat(text.strip())
    except (ValueError, argparse.ArgumentTypeError):
        raise SchemaError(
            f"--date « {text} » illisible ; attendu JJ/MM/AAAA ou AAAA-MM-JJ (heure "
            "facultative : AAAA-MM-JJTHH:MM)"
        ) from None


def _territory_arg(text: str) -> Path | str:
    """A territory on the command line: a path, or a PostGIS URL (``postgresql://…``)."""
    return text if is_postgis_url(text) else Path(text)


def _shown(paths: Sequence[Path | str]) -> str:
    """The territory as the user may type it again; a PostGIS URL without its password."""
    return " ".join(parse_url(str(p)).safe_url if is_postgis_url(p) else str(p) for p in paths)


def _load(paths: Sequence[Path | str], args: argparse.Namespace) -> Territory:
    """Load a territory; fail (exit 1, last line ERREUR) when the report does not pass."""
    territory = load_territory(
        *paths, columns=_columns(args), max_rejects_pct=args.max_rejects_pct, values=_values(args)
    )
    _warn_rejects(territory.report, paths)
    _refuse_losses(territory.report, paths)
    return territory


def _publication(
    paths: Sequence[Path | str],
    args: argparse.Namespace,
    *,
    covering: tuple[str, Sequence[str] | None] | None = None,
    **options: Any,
) -> Publication:
    """Load, attribute once (``--tolerance-m`` where the command has it) and publish for
    ``--publication``: the one door of every product command. ``covering`` is
    ``(period, layers)``: refuse (exit 1) a period none of those dated layers reaches."""
    from gupgeo.attribution.territory import attribute_territory
    from gupgeo.publication import publish

    tolerance_m = getattr(args, "tolerance_m", None)
    loaded = _load(paths, args)
    if covering is not None:
        _refuse_uncovered(loaded, covering[0], layers=covering[1])
    territory = attribute_territory(
        loaded,
        tolerance_m=DEFAULT_TOLERANCE_M if tolerance_m is None else tolerance_m,
    )
    return publish(territory, args.publication, **options)


def _refuse_losses(
    report: ValidationReport, paths: Sequence[Path | str], *, option: str = "--colonne"
) -> None:
    """Fail (exit 1, last line ERREUR) when the report does not pass; ``option`` is how
    this file's columns are mapped."""
    if report.ok:
        return
    where = _shown(paths)
    accept = ""
    if not report.fatal:
        worst = max(r.rejected_pct for r in report.too_many_rejects)
        accept = f" ; pour accepter ces rejets : --max-rejets {math.ceil(worst)}"
    raise DataLossError(
        report.verdict().replace("--colonne ", f"{option} ")
        + f" Rien n'a été écrit ; détail : gupgeo valider {where}{accept}"
    )


def _refuse_uncovered(
    territory: Territory, period: str, *, layers: Sequence[str] | None = None
) -> None:
    """Fail (exit 1, last line ERREUR) when no dated layer's data reach ``period``: its
    figures would all be n.c., and writing them would look like zeros."""
    from gupgeo.coverage import OUTSIDE, coverage_of, coverage_words, period_words
    from gupgeo.indicators import parse_period

    wanted = parse_period(period)
    frames = {n: territory.get(n) for n in (layers or territory.layers)}
    coverages = [c for c in coverage_of(frames).values() if c.known]
    if not coverages or any(c.status(wanted) != OUTSIDE for c in coverages):
        return
    raise DataLossError(
        f"ERREUR : période {period_words(wanted)} non couverte par les données "
        f"({coverage_words(coverages)}) : tous les chiffres seraient n.c. ; rien n'a été "
        "écrit. Choisissez une période dans ces dates."
    )


def _warn_rejects(
    report: ValidationReport, paths: Sequence[Path | str], *, option: str = "--colonne"
) -> None:
    """Say on stderr what a read lost; ``option`` is how this file's columns are mapped."""
    where = _shown(paths)
    for layer in report.layers:
        if layer.fatal:
            message = layer.issues_of("fatal")[0].message
            print(
                f"Attention : couche « {layer.layer} » ({layer.source}) inutilisable : "
                + message.replace("--colonne ", f"{option} "),
                file=sys.stderr,
            )
        elif layer.rows_rejected:
            print(
                f"Attention : {format_count(layer.rows_rejected)} ligne(s) rejetée(s) à la "
                f"lecture de {layer.source} (couche « {layer.layer} ») ; détail et fichier "
                f"des rejets : gupgeo valider {where} --dossier-rejets DOSSIER",
                file=sys.stderr,
            )


def _cmd_validate(args: argparse.Namespace) -> int:
    from gupgeo.manifest import propose_manifest

    layers = {args.layer: args.paths[0]} if args.layer else None
    paths = [] if args.layer else args.paths
    territory = load_territory(
        *paths,
        layers=layers,
        far_m=args.far_m,
        columns=_columns(args, args.layer),
        max_rejects_pct=args.max_rejects_pct,
        walk_date=args.walk_date,
        values=_values(args, args.layer),
    )
    report = territory.report
    if args.propose_manifest:
        proposal = propose_manifest(report)
        print(proposal or "# rien à proposer : aucun fichier n'a demandé de deviner")
    if args.rejects_dir is not None:
        written = report.write_rejects(str(args.rejects_dir))
        for path in written:
            print(f"Rejets écrits : {path}")
    # Whatever --max-rejets: a layer that keeps none of its rows is a loss.
    emptied = [r for r in report.layers if r.rows_read and not r.rows_kept]
    if args.output is not None and report.ok and not emptied:
        saved = territory.save(args.output)
        print(f"Territoire validé enregistré : {_shown([saved])}")
    elif args.output is not None:
        print(
            f"Territoire non enregistré dans {_shown([args.output])} : le rapport signale "
            "des pertes."
        )
    print(report.to_text())
    for layer in emptied:
        print(
            f"ERREUR : couche « {layer.layer} » ({layer.source}) : aucune ligne conservée sur "
            f"{format_count(layer.rows_read)} lue(s)."
        )
    return 0 if report.ok and not emptied else 1


def _cmd_info(args: argparse.Namespace) -> int:
    territory = load_territory(
        *args.paths,
        columns=_columns(args),
        max_rejects_pct=args.max_rejects_pct,
        values=_values(args),
    )
    _warn_rejects(territory.report, args.paths)
    print(territory.summary())
    print(territory.report.verdict())
    return 0 if territory.report.ok else 1


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from gupgeo.coverage import COVERED, coverage_lines
    from gupgeo.dashboard import build_dashboard, export_dashboard
    from gupgeo.periods import FREQ_LABELS, parse_freq

    # The one publication step, before any figure or label is computed.
    db = build_dashboard(
        _publication(args.paths, args, covering=(args.period, None)),
        period=args.period,
        freq=args.freq,
    )
    written = export_dashboard(
        db,
        args.output,
        french=not args.csv_international,
        charts=not args.no_charts,
        chart_formats=("svg", "png") if args.png else ("svg",),
    )
    print(
        f"Tableau de bord {db.period.label} (séries par {FREQ_LABELS[parse_freq(args.freq)]}, "
        f"diffusion « {args.publication} ») : {len(db.tables)} tableaux, "
        f"{len(written)} fichiers écrits dans {args.output}"
    )
    for cov in db.coverages.values():
        if cov.status(db.period) != COVERED:
            print(f"Attention : {coverage_lines([cov], db.period)[0]}.")
    check = db.reconciliation()
    for row in check[~check["ok"]].itertuples(index=False):
        print(f"Attention : {row.tableau}.{row.colonne} ne se réconcilie pas avec les entrées.")
    return 0 if check["ok"].all() else 1


def _cmd_carte(args: argparse.Namespace) -> int:
    from gupgeo.maps import map_territory, save_map

    m = map_territory(
        _publication(args.paths, args),
        basemap=None if args.basemap == "aucun" else args.basemap,
        title=args.title,
        subtitle=args.subtitle,
        sources=args.sources,
    )
    report = save_map(m, args.output)
    print(f"Carte enregistrée : {args.output} (profil « {args.publication} »)")
    print(report)
    return 0


def _cmd_attribute(args: argparse.Namespace) -> int:
    """Attribute and write; when the output is also ENTREE or ZONES (a layer added to
    the GeoPackage it was read from), its lock is held from the read to the write, so a
    concurrent writer cannot slip a change in between that the write would then lose."""
    from gupgeo._lock import file_lock

    output = Path(args.output).resolve()
    if output in {Path(args.input).resolve(), Path(args.zones).resolve()}:
        with file_lock(output, what=str(args.output)):
            return _attribute_and_write(args)
    return _attribute_and_write(args)


def _attribute_and_write(args: argparse.Namespace) -> int:
    from gupgeo.attribution.zones import attribute, attribution_report, write_attribution
    from gupgeo.storage.loading import read_layer

    print(f"Lecture de {args.input}…", file=sys.stderr)
    columns = _file_columns(
        args.columns, args.layer, option="--colonne", layer_option="--couche", file="ENTREE"
    )
    zone_columns = _file_columns(
        args.zone_columns,
        args.zones_layer,
        option="--colonne-zones",
        layer_option="--couche-zones",
        file="ZONES",
    )
    values = _file_columns(
        args.values,
        args.layer,
        option="--valeur",
        layer_option="--couche",
        file="ENTREE",
        parse=parse_value_option,
    )
    features = read_layer(
        args.input,
        args.layer,
        columns=columns,
        max_rejects_pct=args.max_rejects_pct,
        values=values,
    )
    _warn_rejects(features.attrs["rapport"], [args.input])
    _refuse_losses(features.attrs["rapport"], [args.input])
    zones = read_layer(
        args.zones, args.zones_layer, columns=zone_columns, max_rejects_pct=args.max_rejects_pct
    )
    _warn_rejects(zones.attrs["rapport"], [args.zones], option="--colonne-zones")
    _refuse_losses(zones.attrs["rapport"], [args.zones], option="--colonne-zones")
    if features.empty and features.attrs["rapport"].rows_read:
        raise DataLossError(
            f"ERREUR : aucune entité lisible dans {args.input} "
            f"({format_count(features.attrs['rapport'].rows_read)} ligne(s) lue(s)) ; "
            "rien n'a été écrit."
        )
    print(
        f"Rattachement de {format_count(len(features))} entités aux {len(zones)} zones "
        f"(clé « {args.key} », tolérance {args.tolerance_m:g} m)…",
        file=sys.stderr,
    )
    result = attribute(
        features,
        zones,
        key=args.key,
        predicate=args.predicate,
        tolerance_m=args.tolerance_m,
        multiple=_MULTIPLE.get(args.multiple, args.multiple),
    )
    if len(features) and not len(result):
        raise DataLossError(
            f"ERREUR : le rattachement de {format_count(len(features))} entité(s) ne donne "
            f"aucune ligne ; {args.output} n'a pas été écrit."
        )
    report_path = write_attribution(result, args.output)
    print(attribution_report(result).to_text())
    print(f"Couche écrite : {args.output} ; rapport : {report_path}")
    return 0


def _cmd_atlas(args: argparse.Namespace) -> int:
    from gupgeo.atlas import build_atlas

    result = build_atlas(
        _publication(args.paths, args, covering=(args.period, None)),
        args.output,
        period=args.period,
        quartiers=args.quartiers or None,
        filter=args.filter,
        order_by=args.order_by,
        page_name=args.page_name,
        file_name=args.file_name,
        extent=_EXTENT.get(args.extent, args.extent),
        margin_pct=args.margin_pct,
        pdf=args.pdf,
        workers=args.workers,
        basemap=None if args.basemap == "aucun" else args.basemap,
        progress=not args.quiet,
    )
    print(result.summary())
    return 0 if result.ok else 1


def _cmd_review(args: argparse.Namespace) -> int:
    from gupgeo.review.build import review_operation

    review = review_operation(
        _publication(args.territory, args),
        args.operation,
        buffer_m=args.buffer_m,
        months=args.months,
    )
    print(f"Revue de « {review.name} » écrite : {review.save(args.output)}")
    return 0


def _cmd_importer(args: argparse.Namespace) -> int:
    from gupgeo.storage.importer import import_export

    seen_at = _moment_arg(args.date) if args.date else None
    columns = _file_columns(
        args.columns, args.couche, option="--colonne", layer_option="--couche", file="EXPORT"
    )
    values = _file_columns(
        args.values,
        args.couche,
        option="--valeur",
        layer_option="--couche",
        file="EXPORT",
        parse=parse_value_option,
    )
    try:
        report = import_export(
            args.export,
            args.territoire,
            layer=args.couche,
            seen_at=seen_at,
            columns=columns,
            max_rejects_pct=args.max_rejects_pct,
            walk_date=seen_at.date() if seen_at else None,
            wait_s=args.wait_s,
            values=values,
        )
    except ValidationError as exc:  # the data would lose rows: exit 1, last line ERREUR
        raise DataLossError(str(exc)) from exc
    print(report.to_text())
    return 0 if report.balanced else 1


def _cmd_veille(args: argparse.Namespace) -> int:
    from gupgeo.bulletin.build import build_bulletin

    bulletin = build_bulletin(
        _publication(args.paths, args, covering=(args.period, ["signalements"])),
        period=args.period,
        cell_m=args.cell_m,
        freq=args.freq,
        radius_m=args.radius_m,
        days=args.days,
        seed=args.seed,
    )
    written = bulletin.save(args.output, basemap=None if args.basemap == "aucun" else args.basemap)
    print(
        f"Veille {bulletin.period.label} (profil « {bulletin.publication} ») : "
        f"{len(written)} fichiers écrits dans {args.output} ({', '.join(p.name for p in written)})"
    )
    for note in bulletin.notes:
        print(f"  {note}")
    return 0


_ARGPARSE_FR = (
    ("the following arguments are required", "arguments obligatoires manquants"),
    ("unrecognized arguments", "arguments inconnus"),
    ("invalid choice", "choix invalide"),
    ("choose from", "valeurs possibles"),
    ("expected one argument", "une valeur est attendue"),
    ("expected at least one argument", "au moins une valeur est attendue"),
    ("invalid float value", "nombre invalide"),
    ("invalid int value", "nombre entier invalide"),
    ("argument ", "option "),
)


_METAVARS = {
    "period": "PERIODE",
    "output": "SORTIE",
    "filter": "EXPRESSION",
    "order_by": "COLONNE",
    "page_name": "MODELE",
    "file_name": "MODELE",
    "margin_pct": "POURCENT",
    "workers": "N",
    "buffer_m": "METRES",
    "months": "MOIS",
    "tolerance_m": "METRES",
    "far_m": "METRES",
    "layer": "COUCHE",
    "zones_layer": "COUCHE",
    "rejects_dir": "DOSSIER",
    "zones": "ZONES",
    "key": "COLONNE",
    "title": "TITRE",
    "subtitle": "SOUS_TITRE",
    "sources": "SOURCES",
    "cell_m": "METRES",
    "radius_m": "METRES",
    "days": "JOURS",
    "seed": "N",
}
"""French placeholders of the options' values in the help (argparse writes the
destination in capitals: PERIOD, OUTPUT…)."""
_LEVELS = {
    "DEBUG": "détail",
    "INFO": "info",
    "WARNING": "attention",
    "ERROR": "erreur",
    "CRITICAL": "erreur grave",
}
_EXTENT = {"fixe": "fixed"}
_TOLERANCE_HELP = (
    f"rattacher à la zone la plus proche une entité hors zone à moins de N m "
    f"(défaut : {DEFAULT_TOLERANCE_M:g}, le même pour toutes les commandes)"
)
_MULTIPLE = {"premiere": "first", "plus-grande": "largest", "toutes": "all"}


class _FrenchFormatter(argparse.HelpFormatter):
    """argparse's help in French: "utilisation :" rather than "usage:", French
    placeholders (PERIODE, SORTIE…) rather than the English destinations."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(
            usage, actions, groups, prefix="utilisation : " if prefix is None else prefix
        )

    def _get_default_metavar_for_optional(self, action: argparse.Action) -> str:
        return _METAVARS.get(action.dest, action.dest.upper())


class _FrenchLogFormatter(logging.Formatter):
    """Log lines with French level names (attention, erreur…)."""

    def format(self, record: logging.LogRecord) -> str:
        copy = logging.makeLogRecord(record.__dict__)  # other handlers keep the original
        copy.levelname = _LEVELS.get(record.levelname, record.levelname)
        return super().format(copy)


def log_handler(stream: TextIO | None = None) -> logging.Handler:
    """The command line's log lines: ``gupgeo : attention : …`` on stderr, in French,
    never the name of the module that logged (a reader has no use for it)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_FrenchLogFormatter("gupgeo : %(levelname)s : %(message)s"))
    return handler


class _FrenchParser(argparse.ArgumentParser):
    """argparse in French: error messages, section titles and the help option (the help
    texts themselves are written in French)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _FrenchFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument(
            "-h",
            "--help",
            action="help",
            default=argparse.SUPPRESS,
            help="afficher cette aide et quitter",
        )

    def error(self, message: str) -> NoReturn:
        for english, french in _ARGPARSE_FR:
            message = message.replace(english, french)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur : {message}\n")


PROFILES = ("partenaires", "public", "interne")
"""Values of ``--publication`` (default first)."""
BASEMAPS = ("plan-ign", "osm", "ortho-ign", "aucun")
"""Values of ``--fond``."""
FREQS = ("mois", "trimestre", "annee", "month", "quarter", "year")
"""Values of ``--freq``: French, and the English ones kept as aliases."""


def _reading_options(parser: argparse.ArgumentParser) -> None:
    """``--colonne``, ``--valeur`` and ``--max-rejets``: on every command that reads files."""
    parser.add_argument(
        "--colonne",
        dest="columns",
        action="append",
        metavar="CIBLE=SOURCE",
        help="lire la colonne SOURCE du fichier comme la colonne CIBLE de gupgeo, ex. "
        '--colonne date_signalement="Date de création" (répétable ; '
        "couche.CIBLE=SOURCE pour une seule couche) ; coordonnées : x=, y= (tout CRS), "
        "lon=, lat= (degrés WGS84), geo_point_2d= (« latitude, longitude »), wkt=",
    )
    parser.add_argument(
        "--valeur",
        dest="values",
        action="append",
        metavar="CIBLE=TEXTE",
        help="donner à la colonne CIBLE la valeur TEXTE pour toutes les lignes, ex. "
        "--valeur type=corbeille (répétable ; couche.CIBLE=TEXTE pour une seule couche ; "
        "dans gupgeo.toml : table valeurs)",
    )
    parser.add_argument(
        "--max-rejets",
        dest="max_rejects_pct",
        type=float,
        default=MAX_REJECTS_PCT,
        metavar="POURCENT",
        help="au-delà de ce pourcentage de lignes rejetées dans une couche, la commande "
        "échoue (code 1) sans rien écrire (défaut : 5)",
    )


def _territory_paths(parser: argparse.ArgumentParser, metavar: str = "TERRITOIRE") -> None:
    parser.add_argument("paths", nargs="+", type=_territory_arg, metavar=metavar)


def _period_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--periode", "--period", dest="period", required=True, help=help)


def _freq_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument(
        "--freq", default="mois", choices=FREQS, metavar="{mois,trimestre,annee}", help=help
    )


def _output_option(
    parser: argparse.ArgumentParser, help: str, *, default: Path | None = None, kind: Any = Path
) -> None:
    parser.add_argument(
        "-o",
        "--sortie",
        "--output",
        dest="output",
        type=kind,
        required=default is None and kind is Path,
        default=default,
        help=help,
    )


def _publication_option(
    parser: argparse.ArgumentParser, help: str = "profil de diffusion (défaut : partenaires)"
) -> None:
    parser.add_argument("--publication", choices=PROFILES, default=PROFILES[0], help=help)


def _basemap_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument(
        "--fond", "--basemap", dest="basemap", choices=BASEMAPS, default=BASEMAPS[0], help=help
    )


def _tolerance_option(parser: argparse.ArgumentParser, extra: str = "") -> None:
    parser.add_argument(
        "--tolerance-m", type=float, default=DEFAULT_TOLERANCE_M, help=_TOLERANCE_HELP + extra
    )


def _add_validate(sub: Any) -> None:
    """The ``valider`` command (alias ``validate``) and its options."""
    p = sub.add_parser(
        "valider",
        aliases=["validate"],
        help="valider des fichiers ou un territoire et afficher le rapport",
        description="Valide chaque fichier (ou dossier, ou GeoPackage) et affiche le rapport : "
        "lignes lues = conservées + rejetées, avec le motif de chaque rejet.",
    )
    _territory_paths(p, "CHEMIN")
    p.add_argument(
        "--couche", "--layer", dest="layer", help="couche du fichier (si son nom ne l'indique pas)"
    )
    p.add_argument(
        "--dossier-rejets",
        "--rejects-dir",
        dest="rejects_dir",
        type=Path,
        help="dossier où écrire rejets_<couche>.csv",
    )
    _output_option(
        p,
        "GeoPackage (ou URL postgresql://…) où enregistrer le territoire validé",
        kind=_territory_arg,
    )
    p.add_argument(
        "--loin-m",
        "--far-m",
        dest="far_m",
        type=float,
        default=20_000.0,
        help="distance (m) au quartier le plus proche au-delà de laquelle signaler un objet",
    )
    p.add_argument(
        "--proposer-manifeste",
        dest="propose_manifest",
        action="store_true",
        help="afficher le gupgeo.toml qui fixerait ce qui a été deviné (couche, encodage, "
        "séparateur, colonnes)",
    )
    p.add_argument(
        "--date",
        dest="walk_date",
        type=_day_arg,
        metavar="JJ/MM/AAAA",
        help="jour de la marche, pour les constats et diagnostics d'un fichier sans date "
        "(GPX ou KML de téléphone…)",
    )
    _reading_options(p)
    p.set_defaults(func=_cmd_validate)


def _add_info(sub: Any) -> None:
    """The ``info`` command and its options."""
    p = sub.add_parser("info", help="résumer un territoire (dossier ou GeoPackage)")
    _territory_paths(p, "CHEMIN")
    _reading_options(p)
    p.set_defaults(func=_cmd_info)


def _add_dashboard(sub: Any) -> None:
    """The ``tableau-de-bord`` command (alias ``dashboard``) and its options."""
    p = sub.add_parser(
        "tableau-de-bord",
        aliases=["dashboard"],
        help="tableau de bord GUP : indicateurs par quartier et période, CSV/XLSX, graphiques",
    )
    _territory_paths(p)
    _period_option(p, "2024, 2024-T2 (ou 2024-Q2), 2024-03, ou un intervalle 2024-01-15/2024-06-30")
    _freq_option(p, "pas des séries (défaut : mois)")
    _output_option(p, "dossier de sortie")
    p.add_argument(
        "--csv-international",
        action="store_true",
        help="CSV avec « , » et point décimal (défaut : « ; » et virgule décimale)",
    )
    p.add_argument(
        "--sans-graphiques",
        dest="no_charts",
        action="store_true",
        help="ne pas dessiner les graphiques",
    )
    p.add_argument(
        "--graphiques-png",
        dest="png",
        action="store_true",
        help="graphiques aussi en PNG (défaut : SVG seulement, plus rapide)",
    )
    _tolerance_option(p)
    _publication_option(
        p,
        "profil de diffusion des fichiers (défaut : partenaires : sans données "
        "personnelles ni ESSP, libellés masqués, noms de fichiers seulement)",
    )
    _reading_options(p)
    p.set_defaults(func=_cmd_dashboard)


def _add_carte(sub: Any) -> None:
    """The ``carte`` command (alias ``map``) and its options."""
    p = sub.add_parser(
        "carte",
        aliases=["map"],
        help="carte interactive du territoire en un fichier HTML lisible hors ligne",
    )
    _territory_paths(p)
    _output_option(p, "fichier HTML à écrire")
    _publication_option(
        p,
        "profil de diffusion (défaut : partenaires — champs personnels retirés, contacts "
        "masqués, sans constats ESSP)",
    )
    _basemap_option(p, "fond de carte (tuiles en ligne ; la carte reste lisible sans elles)")
    p.add_argument(
        "--titre", "--title", dest="title", default="Territoire GUP", help="titre de la carte"
    )
    p.add_argument("--sous-titre", "--subtitle", dest="subtitle", default="", help="sous-titre")
    p.add_argument("--sources", default="", help="sources citées dans la légende")
    _reading_options(p)
    p.set_defaults(func=_cmd_carte)


def _add_attribute(sub: Any) -> None:
    """The ``rattacher`` command (alias ``attribute``) and its options."""
    p = sub.add_parser(
        "rattacher",
        aliases=["attribute"],
        help="rattacher des points, lignes ou polygones aux quartiers (ou autres zones)",
        description="Ajoute à chaque entité l'identifiant de la zone où elle se trouve, avec "
        "son statut (dans la zone, plusieurs zones, tolérance, hors zone…), et écrit un "
        "rapport : entités en entrée = entités comptées en sortie.",
    )
    p.add_argument("input", type=Path, metavar="ENTREE")
    p.add_argument("--zones", type=Path, required=True, help="couche de zones (polygones)")
    p.add_argument(
        "--cle", "--key", dest="key", default="code_qp", help="colonne identifiant des zones"
    )
    _tolerance_option(p, " ; 0 : contenance stricte")
    p.add_argument(
        "--predicat",
        "--predicate",
        dest="predicate",
        choices=["covered_by", "within", "intersects"],
        default="covered_by",
        help="covered_by (défaut) : un point sur le périmètre est dans la zone ; within : non",
    )
    p.add_argument(
        "--multiple",
        choices=[*_MULTIPLE, *_MULTIPLE.values()],
        metavar="{premiere,plus-grande,toutes}",
        default="premiere",
        help="entité dans plusieurs zones : la première (défaut), la plus grande part, toutes",
    )
    p.add_argument(
        "--couche", "--layer", dest="layer", help="couche de ENTREE (si son nom ne l'indique pas)"
    )
    p.add_argument(
        "--couche-zones",
        "--zones-layer",
        dest="zones_layer",
        help="couche de ZONES (si son nom ne l'indique pas)",
    )
    p.add_argument(
        "--colonne-zones",
        dest="zone_columns",
        action="append",
        metavar="CIBLE=SOURCE",
        help="comme --colonne, pour le fichier ZONES, ex. --colonne-zones code_qp=IDENT_QP "
        "(répétable ; --colonne vaut pour ENTREE)",
    )
    _output_option(p, "fichier à écrire (.gpkg, .geojson, .fgb, .parquet, .csv) et son rapport")
    _reading_options(p)
    p.set_defaults(func=_cmd_attribute)


def _add_atlas(sub: Any) -> None:
    """The ``atlas`` command and its options."""
    p = sub.add_parser(
        "atlas", help="atlas des quartiers : une page par quartier et un sommaire, hors ligne"
    )
    _territory_paths(p)
    _output_option(p, "dossier de l'atlas (défaut : out/atlas)", default=Path("out/atlas"))
    _period_option(p, "2024, 2024-T2, 2024-03 ou 2024-01-15/2024-06-30")
    _publication_option(p)
    p.add_argument(
        "--quartiers", nargs="+", metavar="CODE_QP", help="quartiers à produire (défaut : tous)"
    )
    p.add_argument(
        "--filtre",
        dest="filter",
        help="expression sur la couche quartiers, ex. \"commune == 'Tours'\"",
    )
    p.add_argument("--ordre", dest="order_by", help="colonne des quartiers qui ordonne les pages")
    p.add_argument(
        "--nom-page",
        dest="page_name",
        default="{nom_qp}",
        help='titre des pages, ex. "{nom_qp} ({commune})" (défaut : {nom_qp} ; la commune '
        "est ajoutée aux homonymes du territoire)",
    )
    p.add_argument(
        "--nom-fichier",
        dest="file_name",
        default="{code_qp}",
        help="nom des fichiers des pages (défaut : {code_qp}, stable d'une fois à l'autre)",
    )
    p.add_argument(
        "--emprise",
        dest="extent",
        choices=["auto", *_EXTENT, *_EXTENT.values()],
        metavar="{auto,fixe}",
        default="auto",
        help="cadre des cartes : ajusté à chaque quartier (auto) ou même échelle (fixe)",
    )
    p.add_argument(
        "--marge", dest="margin_pct", type=float, default=10.0, help="marge autour du quartier (%%)"
    )
    _basemap_option(p, "fond de carte (défaut : plan-ign)")
    p.add_argument("--pdf", action="store_true", help="écrire aussi les PDF (WeasyPrint)")
    p.add_argument(
        "--processus", "--workers", dest="workers", type=int, help="processus en parallèle"
    )
    p.add_argument(
        "--silencieux",
        "--quiet",
        dest="quiet",
        action="store_true",
        help="sans barre de progression",
    )
    _reading_options(p)
    p.set_defaults(func=_cmd_atlas)


def _add_review(sub: Any) -> None:
    """The ``revue`` command (alias ``review``) and its options."""
    p = sub.add_parser(
        "revue",
        aliases=["review"],
        help="revue d'une opération d'aménagement (identifiant ou fichier de périmètre)",
    )
    p.add_argument("operation", metavar="OPERATION_ID|PERIMETRE")
    p.add_argument(
        "--territoire",
        "--territory",
        dest="territory",
        nargs="+",
        type=_territory_arg,
        required=True,
        metavar="TERRITOIRE",
        help="dossier, GeoPackage ou fichiers du territoire",
    )
    _output_option(
        p, "fichier HTML à écrire (défaut : out/revue.html)", default=Path("out/revue.html")
    )
    p.add_argument(
        "--abords-m",
        "--buffer-m",
        dest="buffer_m",
        type=float,
        default=200.0,
        help="largeur des abords étudiés autour du périmètre (m, défaut : 200)",
    )
    p.add_argument(
        "--mois",
        "--months",
        dest="months",
        type=int,
        default=24,
        help="mois avant/après la livraison (défaut : 24)",
    )
    _publication_option(p)
    _reading_options(p)
    p.set_defaults(func=_cmd_review)


def _add_importer(sub: Any) -> None:
    """The ``importer`` command (alias ``import``) and its options."""
    p = sub.add_parser(
        "importer",
        aliases=["import"],
        help="importer un export mensuel dans un territoire enregistré (sans doublons)",
    )
    p.add_argument("export", type=Path, metavar="EXPORT", help="fichier exporté (une couche)")
    p.add_argument(
        "--territoire",
        required=True,
        metavar="URL|GPKG",
        help="territoire enregistré : fichier .gpkg ou URL postgresql://…?schema=…",
    )
    p.add_argument("--couche", help="couche de l'export (défaut : d'après le nom du fichier)")
    p.add_argument(
        "--date",
        metavar="JJ/MM/AAAA",
        help="date de l'export (JJ/MM/AAAA ou AAAA-MM-JJ ; défaut : maintenant), et jour de "
        "la marche pour les constats d'un fichier sans date",
    )
    p.add_argument(
        "--attente",
        dest="wait_s",
        type=float,
        default=DEFAULT_WAIT_S,
        metavar="SECONDES",
        help="si un autre import ou enregistrement écrit le même territoire, l'attendre au "
        f"plus SECONDES avant d'abandonner sans rien écrire (défaut : {DEFAULT_WAIT_S:g})",
    )
    _reading_options(p)
    p.set_defaults(func=_cmd_importer)


def _add_veille(sub: Any) -> None:
    """The ``veille`` command and its options."""
    p = sub.add_parser(
        "veille",
        help="veille territoriale : points chauds, tendances, signalements répétés "
        "(GeoPackage, CSV, bulletin HTML, carte hors ligne)",
    )
    _territory_paths(p)
    _period_option(p, "période du bulletin : 2024, 2024-T4, 2024-11, ou un intervalle")
    _output_option(p, "dossier de sortie")
    _freq_option(p, "pas des tendances (défaut : mois)")
    p.add_argument(
        "--carreau-m",
        dest="cell_m",
        type=float,
        default=200.0,
        help="côté des carreaux en mètres, alignés sur le carroyage INSEE (défaut : 200)",
    )
    p.add_argument(
        "--rayon-m",
        dest="radius_m",
        type=float,
        default=20.0,
        help="signalements répétés : distance au premier signalement (défaut : 20 m)",
    )
    p.add_argument(
        "--jours",
        dest="days",
        type=float,
        default=30.0,
        help="signalements répétés : délai après le premier signalement (défaut : 30 jours)",
    )
    _publication_option(p)
    p.add_argument(
        "--graine", dest="seed", type=int, default=0, help="graine des permutations (défaut : 0)"
    )
    _basemap_option(p, "fond de la carte (tuiles en ligne ; lisible sans elles)")
    _tolerance_option(p)
    _reading_options(p)
    p.set_defaults(func=_cmd_veille)


def _check_optional(args: argparse.Namespace) -> None:
    """The optional dependencies the command line needs, checked before any work."""
    from gupgeo.optional import require

    if getattr(args, "pdf", False):
        require("pdf", why="l'option --pdf", load=True)
    given = [getattr(args, n, None) for n in ("paths", "territory", "output", "territoire")]
    urls = [
        str(p)
        for value in given
        for p in (value if isinstance(value, list) else [value])
        if p is not None and is_postgis_url(str(p))
    ]
    if urls:
        require("postgis", why=f"le territoire PostGIS {parse_url(urls[0]).safe_url}")


def _cmd_qgis(args: argparse.Namespace) -> int:
    from gupgeo.qgis import PostgisSource, write_qgis_project
    from gupgeo.storage.postgis import parse_url

    postgis = None
    if args.postgis:
        location = parse_url(args.postgis)
        postgis = PostgisSource(location.conninfo, location.schema, args.service, args.authcfg)
    project = write_qgis_project(
        _publication(args.paths, args),
        args.output,
        period=args.period,
        sources=args.sources,
        title=args.title,
        postgis=postgis,
        lizmap=args.lizmap,
    )
    print(project.summary())
    return 0


def _add_qgis(sub: Any) -> None:
    """The ``qgis`` command and its options."""
    p = sub.add_parser(
        "qgis",
        help="projet QGIS (.qgz) stylé comme la carte HTML, avec l'atlas des quartiers",
    )
    _territory_paths(p)
    _output_option(p, "projet .qgz à écrire (le GeoPackage publié est écrit à côté)")
    _publication_option(p)
    _period_option(p, "période des chiffres clés de l'atlas : 2024, 2024-T2, 2024-03…")
    p.add_argument("--titre", "--title", dest="title", default=None, help="titre du projet")
    p.add_argument("--sources", default="", help="sources citées sur les pages de l'atlas")
    p.add_argument(
        "--postgis",
        default=None,
        metavar="URL",
        help="lire les couches dans ce schéma PostGIS (où la publication est enregistrée) "
        "au lieu d'un GeoPackage ; aucun mot de passe n'est écrit",
    )
    p.add_argument("--service", default=None, help="service PostgreSQL (pg_service.conf)")
    p.add_argument("--authcfg", default=None, help="configuration d'authentification QGIS")
    p.add_argument(
        "--lizmap", action="store_true", help="écrire aussi la configuration Lizmap (.qgs.cfg)"
    )
    _reading_options(p)
    p.set_defaults(func=_cmd_qgis)


def build_parser() -> argparse.ArgumentParser:
    parser = _FrenchParser(
        prog="gupgeo",
        description="Outils SIG pour la gestion urbaine de proximité (GUP) des quartiers "
        "prioritaires.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="messages détaillés")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMANDE", parser_class=_FrenchParser
    )

    _add_validate(sub)
    _add_info(sub)
    _add_dashboard(sub)
    _add_carte(sub)
    _add_attribute(sub)
    _add_atlas(sub)
    _add_review(sub)
    _add_importer(sub)
    _add_veille(sub)
    _add_qgis(sub)

    from gupgeo.diagnostics.cli import add_diagnostic

    add_diagnostic(
        sub,
        day=_day_arg,
        territory=_territory_arg,
        reading=_reading_options,
        load=_load,
        data_loss=DataLossError,
    )
    return parser


class _Printable(io.TextIOBase):
    """A text stream that drops escape sequences and control characters (see
    :func:`gupgeo.french.printable`) before writing to ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(printable(text, keep_leading_return=True))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.stream, "encoding", "utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Printable(out), _Printable(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, handlers=[log_handler()]
    )
    if args.func is _cmd_validate and args.layer and len(args.paths) != 1:
        parser.error("--couche s'applique à un seul fichier")
    if args.func is _cmd_validate and args.layer and is_postgis_url(args.paths[0]):
        parser.error("--couche s'applique à un fichier, pas à un territoire PostGIS")
    try:
        _check_optional(args)
        code: int = args.func(args)
    except KeyboardInterrupt:
        print("gupgeo : interrompu (Ctrl-C)", file=sys.stderr)
        return 130
    except DataLossError as exc:
        print(exc if str(exc).startswith("ERREUR") else f"ERREUR : {exc}")
        return 1
    except GupgeoError as exc:
        print(f"gupgeo : erreur : {exc}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, OSError) as exc:
        # Library checks on parameters and files the user named: the message is the point,
        # not a traceback (run with -v to log the details).
        log.debug("détail de l'erreur", exc_info=True)
        if isinstance(exc, OSError) and exc.filename:
            message = f"fichier ou dossier « {exc.filename} » inaccessible ({exc.strerror})"
        elif isinstance(exc, KeyError) and exc.args:
            message = str(exc.args[0])
        else:
            message = str(exc)
        print(f"gupgeo : erreur : {message}", file=sys.stderr)
        return 2
    except Exception as exc:
        if not type(exc).__module__.startswith("psycopg"):
            raise
        # The server of a postgresql:// territory: unreachable, refused, no such base…
        log.debug("détail de l'erreur", exc_info=True)
        print(f"gupgeo : erreur PostGIS : {str(exc).strip()}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
