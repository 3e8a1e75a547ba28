"""The Territory: validated layers plus where each came from.

A territory is loaded from a folder of files (one file per layer, named after
the layer: ``signalements.csv``, ``quartiers.geojson``…, or a GeoParquet folder
partitioned by year), from one GeoPackage (one table per layer) or from a PostGIS
schema, validated on the way in, and saved to one GeoPackage — the embedded default
store, which opens in QGIS —, to PostGIS, or to a folder of GeoParquet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gupgeo.coverage import coverage_frame, coverage_of
from gupgeo.errors import InputNotFoundError, SchemaError
from gupgeo.french import format_count, geometry_type
from gupgeo.manifest import MANIFEST_NAME, ReadingPlan
from gupgeo.readers import SIDE_CAR, SUPPORTED, RawLayer, is_dataset
from gupgeo.readers.walks import fill_walk_date
from gupgeo.schemas import (
    LAYER_NAMES,
    SCHEMAS,
    LayerSchema,
    header_key,
    normalise_name,
    schema_for,
)
from gupgeo.storage import parquet, postgis
from gupgeo.storage.geopackage import (
    HISTORY_TABLE,
    OWN_TABLES,
    PROVENANCE_TABLE,
    incomplete_save,
    save_tables,
)
from gupgeo.validation.indicator_tables import join_tables
from gupgeo.validation.layer import FAR_M, LayerResult, validate_raw
from gupgeo.validation.partenaires import check_responsables
from gupgeo.validation.report import MAX_REJECTS_PCT, LayerReport, ValidationReport

log = logging.getLogger(__name__)

OFFICIAL_2015 = re.compile(r"^QP\d{6}$")
OFFICIAL_2024 = re.compile(r"^QN\d{5,7}M?$")


@dataclass(frozen=True)
class Provenance:
    """Where a layer came from and what it is worth."""

    layer: str
    source: str
    format: str
    rows: int
    crs_source: str = ""
    file_date: str | None = None
    qpv_vintage: int | None = None
    perimeters: str | None = None

    def to_text(self) -> str:
        parts = [f"{self.source} ({self.format})"]
        if self.file_date:
            parts.append(f"fichier du {self.file_date}")
        if self.qpv_vintage:
            parts.append(f"géographie prioritaire {self.qpv_vintage}")
        if self.perimeters:
            parts.append(f"périmètres {self.perimeters}")
        return ", ".join(parts)


class Territory:
    """Validated layers of a territory, their provenance and the validation report.

    Layers are GeoDataFrames in Lambert-93 (EPSG:2154) for spatial layers and
    DataFrames for plain tables, with the canonical columns of
    :mod:`gupgeo.schemas`.

    Examples
    --------
    >>> t = load_territory("data/sample")
    >>> t["quartiers"].crs.to_epsg()
    2154
    >>> len(t["quartiers"])
    10
    >>> t.report.balanced
    True
    """

    def __init__(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        provenance: Mapping[str, Provenance] | None = None,
        report: ValidationReport | None = None,
    ) -> None:
        unknown = [name for name in layers if name not in SCHEMAS]
        if unknown:
            raise SchemaError(
                f"couche(s) inconnue(s) : {', '.join(unknown)} ; attendu : {', '.join(LAYER_NAMES)}"
            )
        self.layers: dict[str, pd.DataFrame] = {n: layers[n] for n in LAYER_NAMES if n in layers}
        self.provenance: dict[str, Provenance] = dict(provenance or {})
        self.report = report if report is not None else ValidationReport()
        self.attribution: dict[str, Any] = {}
        """Attribution reports by layer, filled by :func:`gupgeo.attribute_territory`."""
        self.attribution_settings: Any = None
        """How the layers were attributed (:class:`gupgeo.attribution.AttributionSettings`),
        or None when they were not: every product reads its counts from this one
        attribution and never attributes again with other settings."""

    def with_layers(self, layers: Mapping[str, pd.DataFrame]) -> Territory:
        """A copy whose layers are ``layers`` (others unchanged), keeping provenance,
        validation report and attribution (reports and settings)."""
        out = Territory({**self.layers, **layers}, provenance=self.provenance, report=self.report)
        out.attribution = dict(self.attribution)
        out.attribution_settings = self.attribution_settings
        return out

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(
                f"couche « {name} » absente du territoire ; couches présentes : "
                f"{', '.join(self.layers) or 'aucune'}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.layers

    def __iter__(self) -> Iterator[str]:
        return iter(self.layers)

    def get(self, name: str) -> pd.DataFrame | None:
        return self.layers.get(name)

    def validate(self) -> ValidationReport:
        """The validation report of the load (every layer, every row accounted for)."""
        return self.report

    def coverage(self) -> pd.DataFrame:
        """One row per dated layer: ``couche``, ``premiere_date``, ``derniere_date``.

        The days the data of each layer covers (see :mod:`gupgeo.coverage`): a period
        outside them has no figures ("n.c.") in the dashboard, never 0.

        Examples
        --------
        >>> t = load_territory("data/sample")
        >>> row = t.coverage().set_index("couche").loc["signalements"]
        >>> f"{row['premiere_date']:%d/%m/%Y} – {row['derniere_date']:%d/%m/%Y}"
        '01/01/2022 – 31/12/2024'
        """
        return coverage_frame(coverage_of(self.layers).values())

    def summary_frame(self) -> pd.DataFrame:
        """One row per layer: rows, geometry kinds, period covered, source."""
        rows = []
        coverages = coverage_of(self.layers)
        for name, frame in self.layers.items():
            schema = SCHEMAS[name]
            prov = self.provenance.get(name)
            period = ""
            cov = coverages.get(name)
            if cov is not None and cov.first is not None and cov.last is not None:
                period = f"{cov.first:%d/%m/%Y} – {cov.last:%d/%m/%Y}"
            for col in schema.date_columns if cov is None else ():
                if col in frame.columns and frame[col].notna().any():
                    period = f"{frame[col].min():%d/%m/%Y} – {frame[col].max():%d/%m/%Y}"
                    break
            kinds = ""
            if isinstance(frame, gpd.GeoDataFrame) and len(frame):
                kinds = ", ".join(
                    sorted(
                        geometry_type(str(k)) for k in frame.geometry.geom_type.dropna().unique()
                    )
                )
            rows.append(
                {
                    "couche": name,
                    "lignes": len(frame),
                    "géométries": kinds,
                    "période": period,
                    "source": prov.to_text() if prov else "",
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A French summary of the territory, as printed by ``gupgeo info``."""
        lines = ["Territoire gupgeo"]
        q = self.get("quartiers")
        if q is not None and len(q):
            surface = q.geometry.area.sum() / 10_000
            pop = q["population"].sum() if "population" in q.columns else None
            lines.append(
                f"  {len(q)} quartier(s), {format_count(round(surface))} ha"
                + (f", {format_count(int(pop))} habitants connus" if pop else "")
            )
            prov = self.provenance.get("quartiers")
            if prov and prov.perimeters:
                lines.append(f"  périmètres : {prov.perimeters}")
        for row in self.summary_frame().itertuples(index=False):
            detail = ", ".join(str(v) for v in (row[2], row[3]) if v)
            lines.append(
                f"  - {row[0]:<14} {format_count(row[1]):>9} ligne(s)"
                + (f"  [{detail}]" if detail else "")
            )
            if row[4]:
                lines.append(f"      source : {row[4]}")
        missing = [n for n in LAYER_NAMES if n not in self.layers]
        if missing:
            lines.append("  couches absentes : " + ", ".join(missing))
        return "\n".join(lines)

    def __repr__(self) -> str:
        inside = ", ".join(f"{n}={len(f)}" for n, f in self.layers.items())
        return f"Territory({inside})"

    def save(
        self,
        path: str | Path,
        *,
        rejects: bool = True,
        extra: Mapping[str, pd.DataFrame] | None = None,
        format: str | None = None,
    ) -> Path | str:
        """Write every layer into one GeoPackage (and the rejects beside it), safely.

        ``path`` may instead be a PostGIS URL (``postgresql://…?schema=tours``): the
        layers, and the rejected rows as tables ``rejets_<couche>``, are then written
        into that schema in one transaction (:mod:`gupgeo.storage.postgis`) and the URL
        is returned.

        With ``format="parquet"``, ``path`` is a folder of GeoParquet files
        (:mod:`gupgeo.storage.parquet`): the dated layers partitioned by year
        (``signalements/annee=2024/…``, what Dask reads), the others one file each,
        provenance and seal beside them, the rejects as ``rejets_<couche>.csv`` inside.
        ``extra`` tables are not written there (a GeoParquet folder holds no status
        history).

        The GeoPackage holds one table per layer, ``gupgeo_provenance`` and, written
        last, ``gupgeo_sauvegarde`` (the seal :func:`load_territory` checks); rejected
        rows are written as ``rejets_<couche>.csv`` in the same folder.

        Nothing is destroyed: the file is written under a temporary name beside
        ``path`` and renamed over it at the end, so an interrupted save leaves the
        previous file whole. The other tables of an existing ``path`` (a layer of your
        own, QGIS styles…) are kept as they were; only gupgeo's tables are replaced.
        A file gupgeo did not save that already holds a table named like one of the
        layers is refused (:class:`~gupgeo.errors.OutputExistsError`) rather than
        overwritten.

        ``extra`` tables (the status history of :mod:`gupgeo.storage.importer`) are
        written with the layers, in the same file or transaction.

        Raises
        ------
        ValueError
            When ``path`` does not end with ``.gpkg`` (and ``format`` is not
            ``"parquet"``), or ``format`` is neither ``"gpkg"`` nor ``"parquet"``.
        OutputExistsError
            When ``path`` exists and is not a GeoPackage, or holds a table named like a
            layer that gupgeo did not write.
        """
        if format not in (None, "gpkg", "parquet"):
            raise ValueError(f"format : attendu 'gpkg' ou 'parquet', reçu {format!r}")
        if postgis.is_postgis_url(path):
            return self._save_postgis(str(path), extra, rejects=rejects)
        target = Path(path)
        if format == "parquet":
            return self._save_parquet(target, extra, rejects=rejects)
        if target.suffix.lower() != ".gpkg":
            raise ValueError(f"{target} : attendu un chemin se terminant par .gpkg")
        layers = {name: _for_gpkg(frame) for name, frame in self.layers.items()}
        kept = save_tables(target, layers, self._provenance_table(), extra=extra)
        if kept:
            log.info("%s : tables conservées telles quelles : %s", target, ", ".join(kept))
        if rejects:
            self.report.write_rejects(str(target.parent))
        return target

    def _provenance_table(self) -> pd.DataFrame:
        prov = pd.DataFrame(
            [{**asdict(p), "layer": name} for name, p in self.provenance.items()]
            or [{"layer": None}]
        )
        prov["saved_at"] = dt.datetime.now().isoformat(timespec="seconds")
        return prov.astype("string")

    def _save_parquet(
        self, target: Path, extra: Mapping[str, pd.DataFrame] | None, *, rejects: bool
    ) -> Path:
        if extra:
            raise ValueError(
                f"{target} : un dossier GeoParquet ne garde pas les tables "
                f"{', '.join(extra)} ; enregistrez le territoire en GeoPackage ou dans PostGIS"
            )
        kept = parquet.save_tables(target, self.layers, self._provenance_table())
        if kept:
            log.info("%s : fichiers conservés tels quels : %s", target, ", ".join(kept))
        if rejects:
            self.report.write_rejects(str(target))
        return target

    def _save_postgis(
        self, url: str, extra: Mapping[str, pd.DataFrame] | None, *, rejects: bool
    ) -> str:
        tables = dict(extra or {})
        if rejects:
            tables |= postgis.rejects_tables(self.report.rejects)
        kept = postgis.save_tables(url, self.layers, self._provenance_table(), extra=tables)
        if kept:
            log.info("%s : tables conservées telles quelles : %s", url, ", ".join(kept))
        return url


def _for_gpkg(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if col != "geometry" and out[col].dtype == object:
            out[col] = out[col].astype("string")
    return out


def guess_layer(raw: RawLayer, path: Path) -> LayerSchema | None:
    """Which layer a raw source holds: its table name, the reader's hint, or the file name."""
    if raw.layer:
        try:
            return schema_for(raw.layer)
        except SchemaError:
            pass
    if raw.suggested_layer:
        return SCHEMAS[raw.suggested_layer]
    parts = normalise_name(path.stem).split("_")
    for end in range(len(parts), 0, -1):
        try:
            found = schema_for("_".join(parts[:end]))
        except SchemaError:
            continue
        return _constats_named_diagnostics(found, raw)
    cols = {normalise_name(c) for c in raw.frame.columns}
    if {"code_qp", "nom_qp"} <= cols or {"code_qp", "lib_qp"} <= cols:
        return SCHEMAS["quartiers"]
    return None


def _constats_named_diagnostics(schema: LayerSchema, raw: RawLayer) -> LayerSchema:
    """A file named ``diagnostic…`` holding findings (a theme per row) is a constats file,
    as it was before the ``diagnostics`` layer existed."""
    if schema.name != "diagnostics":
        return schema
    constats = SCHEMAS["constats"]
    aliases = constats.alias_map()
    keys = {aliases.get(header_key(str(c))) for c in raw.frame.columns}
    return constats if "theme" in keys else schema


def _sources(paths: Iterable[str | Path], skipped: list[str]) -> list[Path]:
    """Files to read; a folder's files in no format read are listed in ``skipped``."""
    found: list[Path] = []
    for item in paths:
        p = Path(item)
        if not p.exists():
            raise InputNotFoundError(f"{p} : fichier ou dossier introuvable")
        if p.is_dir() and not is_dataset(p):
            for f in sorted(p.iterdir()):
                if f.is_dir() and not f.name.startswith(".") and is_dataset(f):
                    found.append(f)  # a partitioned GeoParquet layer
                    continue
                if (
                    not f.is_file()
                    or f.suffix.lower() in SIDE_CAR
                    or f.name.startswith((".", "rejets_"))
                    or f.name == MANIFEST_NAME
                    or (f.suffix.lower() == ".parquet" and f.stem in OWN_TABLES)
                ):
                    continue
                if f.suffix.lower() not in SUPPORTED:
                    skipped.append(
                        f"{f} : format « {f.suffix or 'sans extension'} » non lu, fichier ignoré "
                        f"(formats lus : {', '.join(SUPPORTED)})"
                    )
                    continue
                found.append(f)
        else:
            found.append(p)
    return found


def _file_date(path: Path) -> str:
    return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()


def _quartiers_provenance(frame: pd.DataFrame, raw: RawLayer) -> tuple[int | None, str | None]:
    codes = frame["code_qp"].dropna().astype(str) if "code_qp" in frame.columns else pd.Series([])
    vintage: int | None = None
    if len(codes) and codes.str.match(OFFICIAL_2015).all():
        vintage = 2015
    elif len(codes) and codes.str.match(OFFICIAL_2024).all():
        vintage = 2024
    for key in ("millesime", "qpv_vintage", "vintage"):
        if key in frame.columns and frame[key].notna().any():
            with contextlib.suppress(ValueError):
                vintage = int(str(frame[key].dropna().iloc[0])[:4])
    declared = None
    if "perimetre" in frame.columns and frame["perimetre"].notna().any():
        declared = str(frame["perimetre"].dropna().iloc[0])
    if declared and "approx" in declared.lower():
        return vintage, "approximatifs (non officiels)"
    if vintage is not None:
        return vintage, "officiels (codes ANCT)"
    return vintage, declared or "d'origine non précisée"


def _saved_provenance(path: Path) -> dict[str, dict[str, str]]:
    if path.suffix.lower() == ".parquet" or is_dataset(path):
        return parquet.saved_provenance(path.parent)
    if path.suffix.lower() != ".gpkg":
        return {}
    names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    if PROVENANCE_TABLE not in names:
        return {}
    table = pyogrio.read_dataframe(path, layer=PROVENANCE_TABLE)
    return {
        str(r["layer"]): {k: v for k, v in r.items() if isinstance(v, str)}
        for r in table.to_dict("records")
        if isinstance(r.get("layer"), str)
    }


def load_territory(
    *paths: str | Path,
    layers: Mapping[str, str | Path] | None = None,
    far_m: float = FAR_M,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    max_rejects_pct: float = MAX_REJECTS_PCT,
    values: Mapping[str, Mapping[str, str]] | None = None,
    walk_date: dt.date | None = None,
) -> Territory:
    """Load and validate a territory from folders, GeoPackages or files.

    Parameters
    ----------
    *paths
        Folders (every file inside whose name starts with a layer name or alias),
        GeoPackages (every table named after a layer) or single files.
    layers
        Explicit ``{layer name: file}`` for files whose names say nothing.
    far_m
        Distance in metres from the quartiers beyond which features are flagged.
    columns
        Column mapping by layer: ``{layer: {schema column: file column}}``, e.g.
        ``{"signalements": {"date_signalement": "date_mutation"}}``; the key ``"*"``
        is any layer (what ``--colonne CIBLE=SOURCE`` does). An entry applies to each
        file of the layer that has the file column, and an entry no file can use is
        a :class:`~gupgeo.errors.SchemaError` naming the closest columns. It wins over a folder's
        ``gupgeo.toml`` manifest (:mod:`gupgeo.manifest`), itself read for every
        folder given and for the folder of every file given.
    max_rejects_pct
        Above this share of rejected rows in a layer (percent), the report fails
        (``territory.report.ok`` is false, its last line says ERREUR).
    values
        Constant columns by layer, ``{layer: {schema column: text}}`` (``"*"``: any layer
        with that column), e.g. ``{"equipements": {"type": "corbeille"}}`` — what
        ``--valeur CIBLE=TEXTE`` and ``valeurs`` in ``gupgeo.toml`` do.
    walk_date
        The day of a walk whose file has no dates (``--date JJ/MM/AAAA``): given to the
        rows of ``constats`` and ``diagnostics`` sources that have none, said in the report.

    Returns
    -------
    Territory
        With ``territory.report`` accounting for every row read. A walk file (GPX, KML)
        gives its findings to ``constats`` and its route to ``diagnostics``
        (:mod:`gupgeo.readers.walks`); responsables are checked against the
        ``partenaires`` (:mod:`gupgeo.validation.partenaires`).

    Examples
    --------
    >>> t = load_territory(
    ...     "data/sample/apporter/signalements_mairie.csv",
    ...     columns={"*": {"date_signalement": "Jour", "categorie": "Nature"}},
    ... )
    >>> t.report.ok, len(t["signalements"])
    (True, 12)
    """
    if len(paths) == 1 and postgis.is_postgis_url(paths[0]) and not layers:
        if any(columns.values() if columns else ()):
            raise SchemaError(
                f"{postgis.parse_url(str(paths[0])).label} : une correspondance de colonnes "
                "(columns=…, --colonne) ne s'applique pas à un territoire PostGIS, dont les "
                "colonnes sont déjà celles de gupgeo"
            )
        return _load_postgis(str(paths[0]), far_m=far_m, max_rejects_pct=max_rejects_pct)
    report = ValidationReport(max_rejects_pct=max_rejects_pct)
    plan = ReadingPlan(columns, values)
    raws, seen = _collect_raws(paths, layers, plan, report)
    if walk_date is not None:
        for schema, raw, _ in raws:
            if schema.name in ("constats", "diagnostics"):
                fill_walk_date(raw, schema, walk_date)
    results = _validate_all(raws, plan, report, far_m)
    frames, provenance = _assemble(results, report)
    frames = join_tables(frames, plan.indicator_tables, report.layers)
    check_responsables(frames, report)
    _check_saves(seen, report)
    return Territory(frames, provenance=provenance, report=report)


_Found = list[tuple[LayerSchema, RawLayer, Path]]
_Validated = dict[str, list[tuple[LayerResult, RawLayer, Path]]]


def _collect_raws(
    paths: Sequence[str | Path],
    layers: Mapping[str, str | Path] | None,
    plan: ReadingPlan,
    report: ValidationReport,
) -> tuple[_Found, set[Path]]:
    """Read every source once and match each table to a layer (or list it as skipped)."""
    raws: _Found = []
    explicit = {Path(p).resolve(): schema_for(name) for name, p in (layers or {}).items()}
    seen: set[Path] = set()
    for source in [*_sources(paths, report.skipped), *[Path(p) for p in (layers or {}).values()]]:
        if source.resolve() in seen:
            continue  # the same file named twice (a folder and one of its files…)
        seen.add(source.resolve())
        settings = plan.settings(source)
        for raw in _explicit_tables(
            plan.read(source, settings), explicit.get(source.resolve()), source
        ):
            if raw.layer in (*OWN_TABLES, HISTORY_TABLE):
                continue
            if source.resolve() not in explicit and plan.take_indicator_table(
                raw, source, settings
            ):
                continue  # joined onto the quartiers once they are validated
            walk = raw.metadata.get("walk") is not None and raw.layer is not None
            schema = (
                schema_for(str(raw.layer))
                if walk  # a walk's route stays a diagnostic whatever the file is declared
                else explicit.get(source.resolve()) or plan.declared_layer(settings)
            )
            guessed = schema is None
            schema = schema or guess_layer(raw, source)
            if guessed and schema is not None:
                plan.guessed[id(raw)] = "couche déduite du nom ou du contenu du fichier"
            if schema is None:
                report.skipped.append(
                    f"{source}{' (' + raw.layer + ')' if raw.layer else ''} : couche non reconnue "
                    f"(le nom du fichier doit commencer par l'une de : {', '.join(LAYER_NAMES)})"
                )
                continue
            raws.append((schema, raw, source))
    plan.check_shared([(s, r) for s, r, _ in raws])
    plan.check_values([s for s, _, _ in raws])
    return raws, seen


def _validate_all(
    raws: _Found, plan: ReadingPlan, report: ValidationReport, far_m: float
) -> _Validated:
    """Validate every table, quartiers first: they define the territory used to flag
    far-away features."""
    raws = sorted(raws, key=lambda item: LAYER_NAMES.index(item[0].name))
    results: _Validated = {}
    territory_area: shapely.Geometry | None = None
    for schema, raw, source in raws:
        settings = plan.settings(source)
        result = validate_raw(
            raw,
            schema,
            territory=territory_area,
            far_m=far_m,
            columns=plan.columns_for(schema, raw, settings),
            statuses=settings.statuses if settings else None,
            values=plan.values_for(schema, settings),
        )
        plan.describe(result.report, raw, settings)
        report.layers.append(result.report)
        results.setdefault(schema.name, []).append((result, raw, source))
        if schema.name == "quartiers" and len(result.data):
            territory_area = shapely.union_all(result.data.geometry.array)
    return results


def _assemble(
    results: _Validated, report: ValidationReport
) -> tuple[dict[str, pd.DataFrame], dict[str, Provenance]]:
    """One frame and one provenance per layer (files of the same layer concatenated)."""
    frames: dict[str, pd.DataFrame] = {}
    provenance: dict[str, Provenance] = {}
    saved: dict[str, dict[str, str]] = {}
    for name, items in results.items():
        parts = [r.data for r, _, _ in items]
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        if isinstance(parts[0], gpd.GeoDataFrame) and not isinstance(frame, gpd.GeoDataFrame):
            frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=parts[0].crs)
        frames[name] = frame
        rejects = [r.rejects for r, _, _ in items if not r.rejects.empty]
        if rejects:
            report.rejects[name] = pd.concat(rejects, ignore_index=True)
        first_result, first_raw, first_source = items[0]
        saved = saved or _saved_provenance(first_source)
        vintage, perimeters = (None, None)
        if name == "quartiers":
            vintage, perimeters = _quartiers_provenance(frame, first_raw)
        restored = saved.get(name, {})
        provenance[name] = Provenance(
            layer=name,
            source=restored.get("source") or " + ".join(str(s) for _, _, s in items),
            format=restored.get("format") or first_raw.format,
            rows=len(frame),
            crs_source=first_result.report.crs_source,
            file_date=restored.get("file_date") or _file_date(first_source),
            qpv_vintage=vintage or _int_or_none(restored.get("qpv_vintage")),
            perimeters=restored.get("perimeters") or perimeters,
        )
        if len(items) > 1:
            frames[name] = _reject_cross_file_duplicates(name, frame, items, report)
            provenance[name] = replace(provenance[name], rows=len(frames[name]))
    return frames, provenance


def _load_postgis(url: str, *, far_m: float, max_rejects_pct: float) -> Territory:
    """A territory saved in PostGIS, validated like any source, its saved types restored."""
    stored = postgis.read_tables(url)
    saved = {
        str(r["layer"]): {k: v for k, v in r.items() if isinstance(v, str)}
        for r in stored.provenance.to_dict("records")
        if isinstance(r.get("layer"), str)
    }
    report = ValidationReport(max_rejects_pct=max_rejects_pct)
    frames: dict[str, pd.DataFrame] = {}
    provenance: dict[str, Provenance] = {}
    territory_area: shapely.Geometry | None = None
    for name, table in stored.layers.items():
        source = f"{stored.location.label}, table {name}"
        crs = table.crs if isinstance(table, gpd.GeoDataFrame) else None
        raw = RawLayer(
            frame=pd.DataFrame(table), source=source, format="PostGIS", layer=name, crs=crs
        )
        result = validate_raw(raw, SCHEMAS[name], territory=territory_area, far_m=far_m)
        report.layers.append(result.report)
        if stored.problem:
            result.report.add("fatal", stored.problem, kind="sauvegarde incomplète")
        if not result.rejects.empty:
            report.rejects[name] = result.rejects
        frame = result.data
        dtypes = stored.dtypes.get(name, {})
        for col, dtype in dtypes.items():
            if col in frame.columns and col != "geometry":
                frame[col] = postgis.restore_dtype(frame[col], dtype)
        frames[name] = frame[
            [*(c for c in dtypes if c in frame), *(c for c in frame if c not in dtypes)]
        ]
        if name == "quartiers" and len(frame):
            territory_area = shapely.union_all(frame.geometry.array)
        restored = saved.get(name, {})
        provenance[name] = Provenance(
            layer=name,
            source=restored.get("source") or source,
            format=restored.get("format") or "PostGIS",
            rows=len(frame),
            crs_source=restored.get("crs_source") or result.report.crs_source,
            file_date=restored.get("file_date"),
            qpv_vintage=_int_or_none(restored.get("qpv_vintage")),
            perimeters=restored.get("perimeters"),
        )
    return Territory(frames, provenance=provenance, report=report)


def _check_saves(sources: Iterable[Path], report: ValidationReport) -> None:
    """A fatal problem for every layer read from an incomplete gupgeo save (a GeoPackage,
    or a GeoParquet folder: its files and partitioned layers)."""
    sources = list(sources)
    folders = {s.parent for s in sources if s.suffix.lower() == ".parquet" or is_dataset(s)}
    for source in [*sources, *sorted(folders)]:
        problem = incomplete_save(source) if source.is_file() else parquet.incomplete_save(source)
        if problem is None:
            continue
        reports = [
            r
            for r in report.layers
            if source in (Path(r.source).resolve(), Path(r.source).resolve().parent)
        ]
        if not reports:
            fmt = "GeoParquet" if source.is_dir() else "GeoPackage"
            reports = [LayerReport(layer="territoire", source=str(source), format=fmt)]
            report.layers.extend(reports)
        for layer_report in reports:
            layer_report.add("fatal", problem, kind="sauvegarde incomplète")


def _explicit_tables(
    raws: list[RawLayer], schema: LayerSchema | None, source: Path
) -> list[RawLayer]:
    """With ``layers={name: file}``, keep the one table of a multi-table file that is that layer."""
    if schema is None or len(raws) <= 1:
        return raws
    named = [
        r
        for r in raws
        if r.layer and normalise_name(r.layer) in (schema.name, *schema.file_aliases)
    ]
    if len(named) == 1:
        return named
    tables = ", ".join(str(r.layer) for r in raws)
    raise SchemaError(
        f"{source} : plusieurs tables ({tables}) et aucune ne s'appelle « {schema.name} » ; "
        "attendu une table nommée comme la couche, ou un fichier d'une seule table"
    )


def _reject_cross_file_duplicates(
    name: str,
    frame: pd.DataFrame,
    items: list[tuple[LayerResult, RawLayer, Path]],
    report: ValidationReport,
) -> pd.DataFrame:
    """Identifiers already seen in an earlier file of the layer: rejected, like within a file."""
    id_col = SCHEMAS[name].id_column
    if not id_col or id_col not in frame.columns:
        return frame
    ids = frame[id_col]
    dup = (ids.notna() & ids.duplicated(keep="first")).to_numpy()
    if not dup.any():
        return frame
    sizes = [len(r.data) for r, _, _ in items]
    part_of = np.repeat(np.arange(len(items)), sizes)
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    first_at = {v: p for p, v in zip(np.flatnonzero(~dup), ids[~dup], strict=True)}
    rows = []
    for pos in np.flatnonzero(dup).tolist():
        k = int(part_of[pos])
        result, _raw, source = items[k]
        label = result.kept_label(pos - int(offset[k]))
        first = first_at[ids.iloc[pos]]
        first_result, _, first_source = items[int(part_of[first])]
        first_label = first_result.kept_label(int(first) - int(offset[part_of[first]]))
        motif = f"identifiant « {ids.iloc[pos]} » déjà présent dans {first_source} ({first_label})"
        result.report.add("rejet", motif, row=label, column=id_col, kind="identifiant en double")
        result.report.rows_kept -= 1
        result.report.rows_rejected += 1
        values = frame.iloc[pos].drop(labels="geometry", errors="ignore").astype(str).to_dict()
        rows.append(
            {"couche": name, "fichier": str(source), "ligne": label, "motif": motif, **values}
        )
    extra = pd.DataFrame(rows)
    report.rejects[name] = pd.concat([report.rejects.get(name), extra], ignore_index=True)
    kept = frame.loc[~dup].reset_index(drop=True)
    if isinstance(frame, gpd.GeoDataFrame):
        kept = gpd.GeoDataFrame(kept, geometry="geometry", crs=frame.crs)
    return kept


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def read_layer(
    path: str | Path,
    layer: str | None = None,
    *,
    far_m: float = FAR_M,
    columns: Mapping[str, str] | None = None,
    max_rejects_pct: float = MAX_REJECTS_PCT,
    values: Mapping[str, str] | None = None,
    walk_date: dt.date | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read and validate one file as one layer; the report is in ``.attrs["rapport"]``.

    ``layer`` names the gupgeo layer (``"signalements"``…); by default it is
    deduced from the file name, the folder's ``gupgeo.toml`` or the content.
    ``columns`` maps the layer's columns onto the file's:
    ``{"date_signalement": "date_mutation"}``. Above ``max_rejects_pct`` percent of
    rows rejected, the report fails (``.attrs["rapport"].ok`` is false). ``values``
    sets constant columns: ``{"type": "corbeille"}``.

    Examples
    --------
    >>> s = read_layer(
    ...     "data/sample/apporter/signalements_mairie.csv",
    ...     "signalements",
    ...     columns={"date_signalement": "Jour", "categorie": "Nature"},
    ... )
    >>> len(s), s["date_signalement"].min().date().isoformat()
    (12, '2024-03-01')
    """
    p = Path(path)
    mapping = {(layer or "*"): dict(columns)} if columns else None
    options: dict[str, Any] = {
        "far_m": far_m,
        "columns": mapping,
        "max_rejects_pct": max_rejects_pct,
        "values": {(layer or "*"): dict(values)} if values else None,
        "walk_date": walk_date,
    }
    territory = (
        load_territory(layers={layer: p}, **options) if layer else load_territory(p, **options)
    )
    if set(territory.layers) == {"constats", "diagnostics"} and layer is None:
        frame = territory["constats"]  # a walk file: its findings (the route is a diagnostic)
        frame.attrs["rapport"] = territory.report
        return frame
    if len(territory.layers) != 1:
        found = ", ".join(territory.layers) or "aucune"
        raise SchemaError(
            f"{p} : une couche attendue, trouvé : {found} ; précisez layer=… "
            f"(l'une de {', '.join(LAYER_NAMES)})"
        )
    frame = next(iter(territory.layers.values()))
    frame.attrs["rapport"] = territory.report
    return frame


def validate(
    *paths: str | Path,
    layers: Mapping[str, str | Path] | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    max_rejects_pct: float = MAX_REJECTS_PCT,
    values: Mapping[str, Mapping[str, str]] | None = None,
    walk_date: dt.date | None = None,
) -> ValidationReport:
    """Validate files or folders and return the report (nothing is kept in memory).

    Parameters are those of :func:`load_territory`.

    Examples
    --------
    >>> report = validate("data/sample")
    >>> report.balanced, report.ok
    (True, True)
    """
    return load_territory(
        *paths,
        layers=layers,
        columns=columns,
        max_rejects_pct=max_rejects_pct,
        values=values,
        walk_date=walk_date,
    ).report


__all__ = ["Provenance", "Territory", "load_territory", "read_layer", "validate"]


def as_territory(source: Any) -> Territory:
    """The one conversion into a :class:`Territory` that every product starts from.

    ``source`` is a Territory (returned as is), a folder or file path (loaded and
    validated with :func:`load_territory`), or a mapping layer name → (Geo)DataFrame of
    already validated layers.

    Examples
    --------
    >>> as_territory("data/sample")["quartiers"].shape[0]
    10
    """
    if isinstance(source, Territory):
        return source
    if isinstance(source, str | Path):
        return load_territory(source)
    if isinstance(source, Mapping):
        return Territory(dict(source))
    raise SchemaError(
        f"territoire : reçu {type(source).__name__} ; attendu un Territory "
        "(gupgeo.load_territory), un dossier ou fichier, ou un dictionnaire "
        "nom de couche → (Geo)DataFrame"
    )
