"""Loading a :class:`~gupgeo.territory.Territory`, validated on the way in: from a folder
of files (one per layer, or GeoParquet partitioned by year), a GeoPackage or a PostGIS
schema. :mod:`gupgeo.storage.saving` writes it back."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gupgeo.errors import InputNotFoundError, SchemaError
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
)
from gupgeo.territory import Provenance, Territory
from gupgeo.validation.indicator_tables import OFFICIAL_2015, OFFICIAL_2024, join_tables
from gupgeo.validation.layer import FAR_M, LayerResult, validate_raw
from gupgeo.validation.partenaires import check_responsables
from gupgeo.validation.report import MAX_REJECTS_PCT, LayerReport, ValidationReport

log = logging.getLogger(__name__)


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


__all__ = ["as_territory", "guess_layer", "load_territory", "read_layer", "validate"]


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
