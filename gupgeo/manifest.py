"""The ``gupgeo.toml`` manifest: how each file of a territory folder is read, said once.

A monthly export is configured once and re-read identically: the manifest says,
per file (a name or a pattern such as ``export_*.csv``), its layer, the mapping
of its columns, its CRS, encoding, separator, sheet and status vocabulary::

    [fichiers."export_*.csv"]
    couche = "signalements"
    encodage = "cp1252"
    separateur = ";"
    crs = "EPSG:2154"

    [fichiers."export_*.csv".colonnes]
    date_signalement = "Date de création"

    [fichiers."export_*.csv".statuts]
    "Attente régie" = "programmé"

Keys are French because planners write the file; an unknown key is an error naming
the file and the key. ``gupgeo validate --proposer-manifeste`` prints the manifest
for the files gupgeo had to guess about (:func:`propose_manifest`).
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from gupgeo.errors import ManifestError, SchemaError
from gupgeo.readers import RawLayer, read_source
from gupgeo.readers.tabular import COORDINATE_TARGETS, SEPARATORS
from gupgeo.schemas import LAYER_NAMES, SCHEMAS, STATUTS, LayerSchema, header_key, schema_for
from gupgeo.validation.indicator_tables import INDICATOR_LAYER, is_indicator_file
from gupgeo.validation.report import LayerReport, ValidationReport
from gupgeo.validation.values import check_values

MANIFEST_NAME = "gupgeo.toml"
"""The manifest's file name, in the territory folder."""

FILE_KEYS = {
    "couche": "layer",
    "colonnes": "columns",
    "crs": "crs",
    "encodage": "encoding",
    "separateur": "separator",
    "feuille": "sheet",
    "statuts": "statuses",
    "valeurs": "values",
}
"""Keys of a file's table in the manifest → :class:`FileSettings` fields."""

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")


@dataclass(frozen=True)
class FileSettings:
    """How one file (or every file matching ``pattern``) is read."""

    pattern: str
    layer: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    crs: str | None = None
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    statuses: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)
    """Constant columns (``type = "corbeille"``), as ``--valeur`` sets them."""

    def matches(self, path: Path) -> bool:
        """Whether ``path``'s file name is this entry's name or matches its pattern."""
        return path.name == self.pattern or fnmatch.fnmatchcase(path.name, self.pattern)


@dataclass(frozen=True)
class Manifest:
    """The settings of a folder's files, read from its ``gupgeo.toml``."""

    path: Path
    files: tuple[FileSettings, ...] = ()

    def settings_for(self, path: Path) -> FileSettings | None:
        """The entry for ``path`` (an exact name wins over a pattern), or None."""
        exact = [f for f in self.files if f.pattern == path.name]
        if exact:
            return exact[0]
        return next((f for f in self.files if f.matches(path)), None)


def find_manifest(folder: str | Path) -> Manifest | None:
    """The manifest of ``folder`` (``folder/gupgeo.toml``), or None when there is none."""
    path = Path(folder) / MANIFEST_NAME
    return read_manifest(path) if path.is_file() else None


def read_manifest(path: str | Path) -> Manifest:
    """Read and check a ``gupgeo.toml`` manifest.

    Raises
    ------
    ManifestError
        When the file is not TOML, or a key, layer, column, CRS, encoding,
        separator or status is unknown; the message names the file and the key.

    Examples
    --------
    >>> m = read_manifest("data/sample/apporter/gupgeo.toml")
    >>> m.files[0].layer
    'signalements'
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{p} : manifeste illisible ({exc}) ; attendu un fichier TOML") from exc
    unknown = [k for k in data if k != "fichiers"]
    if unknown:
        raise ManifestError(
            f"{p} : clé inconnue « {unknown[0]} » ; attendu seulement des tables "
            '[fichiers."NOM_DU_FICHIER"]'
        )
    files = data.get("fichiers", {})
    if not isinstance(files, dict):
        raise ManifestError(f'{p} : « fichiers » doit être une table [fichiers."NOM"]')
    return Manifest(path=p, files=tuple(_file_settings(p, n, t) for n, t in files.items()))


def _file_settings(path: Path, name: str, table: object) -> FileSettings:
    where = f'{path}, [fichiers."{name}"]'
    if not isinstance(table, dict):
        raise ManifestError(f"{where} : attendu une table de réglages, trouvé {table!r}")
    unknown = [k for k in table if k not in FILE_KEYS]
    if unknown:
        raise ManifestError(
            f"{where} : clé inconnue « {unknown[0]} » ; clés possibles : {', '.join(FILE_KEYS)}"
        )
    values: dict[str, object] = {}
    for key, value in table.items():
        if key in ("colonnes", "statuts", "valeurs"):
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ManifestError(f"{where} : « {key} » doit être une table de textes")
        elif not isinstance(value, str):
            raise ManifestError(f"{where} : « {key} » doit être un texte, trouvé {value!r}")
        values[FILE_KEYS[key]] = value
    settings = FileSettings(pattern=name, **values)  # type: ignore[arg-type]
    _check(settings, where)
    return settings


def _check(settings: FileSettings, where: str) -> None:
    if settings.layer == INDICATOR_LAYER:  # a table joined onto the quartiers by code_qp
        return
    if settings.layer is not None:
        try:
            schema_for(settings.layer)
        except ValueError as exc:
            raise ManifestError(f"{where}, couche : {exc}") from exc
    if settings.values:
        if settings.layer is None:
            raise ManifestError(f'{where}, valeurs : précisez aussi la couche (couche = "…")')
        try:
            check_values(settings.values, schema_for(settings.layer), where="valeurs")
        except SchemaError as exc:
            raise ManifestError(f"{where}, {exc}") from exc
    if settings.columns:
        layer = schema_for(settings.layer) if settings.layer else None
        names = (
            {c.name for c in layer.columns}
            if layer
            else {c.name for s in SCHEMAS.values() for c in s.columns}
        )
        if layer is None or layer.is_spatial:
            names |= set(COORDINATE_TARGETS)
        for target in settings.columns:
            if target not in names:
                raise ManifestError(
                    f"{where}, colonnes : colonne cible inconnue « {target} » ; attendu l'une "
                    f"de : {', '.join(sorted(names))}"
                )
    for raw, status in settings.statuses.items():
        if status not in STATUTS:
            raise ManifestError(
                f"{where}, statuts : « {raw} » = « {status} » ; attendu l'un de : "
                + ", ".join(STATUTS)
            )
    if settings.crs is not None:
        try:
            CRS.from_user_input(settings.crs)
        except ProjCRSError as exc:
            raise ManifestError(
                f"{where}, crs : « {settings.crs} » inconnu ; attendu par exemple EPSG:2154"
            ) from exc
    if settings.encoding is not None and settings.encoding.lower() not in ENCODINGS:
        expected = ", ".join(ENCODINGS)
        raise ManifestError(
            f"{where}, encodage : « {settings.encoding} » ; attendu l'un de : {expected}"
        )
    if settings.separator is not None and settings.separator not in SEPARATORS:
        raise ManifestError(
            f"{where}, separateur : {settings.separator!r} ; attendu l'un de : "
            + " ".join(repr(s) for s in SEPARATORS)
        )


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _toml_key(key: str) -> str:
    bare = key and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in key)
    return key if bare else _toml_string(key)


def manifest_entry(report: LayerReport) -> str:
    """The manifest table that reads ``report``'s file the way it was just read.

    Examples
    --------
    >>> r = LayerReport(layer="signalements", source="data/export.csv",
    ...                 reading={"encodage": "cp1252", "separateur": ";"},
    ...                 columns_mapped={"date_signalement": "Date de création"})
    >>> print(manifest_entry(r))
    [fichiers."export.csv"]
    couche = "signalements"
    encodage = "cp1252"
    separateur = ";"
    <BLANKLINE>
    [fichiers."export.csv".colonnes]
    date_signalement = "Date de création"
    <BLANKLINE>
    """
    name = _toml_string(Path(report.source).name)
    lines = [f"[fichiers.{name}]", f"couche = {_toml_string(report.layer)}"]
    for key in ("encodage", "separateur", "feuille", "crs"):
        if report.reading.get(key):
            lines.append(f"{key} = {_toml_string(report.reading[key])}")
    lines.append("")
    missing = [i.column for i in report.issues if i.kind == "colonne obligatoire absente"]
    unmatched = [c for c in missing if c and c not in report.suggested]
    if report.columns_mapped or report.suggested or unmatched:
        lines.append(f"[fichiers.{name}.colonnes]")
        for target, source in report.columns_mapped.items():
            lines.append(f"{_toml_key(target)} = {_toml_string(source)}")
        for target, source in report.suggested.items():
            lines.append(
                f"{_toml_key(target)} = {_toml_string(source)}  "
                "# proposé d'après les valeurs de la colonne : à vérifier"
            )
        for target in unmatched:
            lines.append(
                f'# {_toml_key(target)} = "?"  # aucune colonne du fichier n\'a des valeurs '
                "de ce type ; sinon, une même valeur pour toutes les lignes : table valeurs"
            )
        lines.append("")
    if report.values:
        lines.append(f"[fichiers.{name}.valeurs]")
        for target, text in report.values.items():
            lines.append(f"{_toml_key(target)} = {_toml_string(text)}")
        lines.append("")
    return "\n".join(lines)


def propose_manifest(report: ValidationReport) -> str:
    """The ``gupgeo.toml`` of every file of ``report``, when gupgeo had to guess about one.

    Something was guessed when a file's layer was deduced from its name or content,
    its encoding or separator detected, its CRS deduced or its columns matched by
    alias — or when a file could not be read for a missing column: its section then
    maps the file columns whose values fit (:func:`gupgeo.validation.columns.suggested_columns`).
    Every file's section is written, so that the proposal is the folder's whole
    manifest; an empty string when nothing was guessed.
    """
    if not any(r.guessed or r.fatal for r in report.layers):
        return ""
    entries: list[str] = []
    seen: dict[str, str] = {}
    for r in report.layers:  # a walk file gives two layers (points and route): one section
        name = Path(r.source).name
        if name in seen:
            entries.append(
                f"# {_toml_string(name)} donne aussi la couche {r.layer} ({seen[name]} ci-dessus)\n"
            )
            continue
        seen[name] = r.layer
        entries.append(manifest_entry(r))
    guessed = sorted({g for r in report.layers if r.guessed for g in r.guessed})
    head = (
        f"# {MANIFEST_NAME} proposé par gupgeo (à relire, puis à enregistrer dans le dossier "
        "du territoire)\n"
        f"# deviné : {', '.join(guessed)}\n"
        f"# couches possibles : {', '.join([*LAYER_NAMES, INDICATOR_LAYER])}\n\n"
    )
    return head + "\n".join(entries)


_EXCEL = (".xlsx", ".xls", ".xlsm")


class ReadingPlan:
    """How each file of one load is read: its manifest entry and the column mappings.

    Built by :func:`gupgeo.load_territory` from its ``columns`` argument; finds the
    ``gupgeo.toml`` of each file's folder (read once per folder) and records what
    was guessed about each file for :func:`propose_manifest`.
    """

    def __init__(
        self,
        columns: Mapping[str, Mapping[str, str]] | None = None,
        values: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.columns = {k: dict(v) for k, v in (columns or {}).items()}
        self.values = {k: dict(v) for k, v in (values or {}).items()}
        unknown = [k for k in [*self.columns, *self.values] if k != "*" and k not in SCHEMAS]
        if unknown:
            raise ManifestError(
                f"columns : couche inconnue « {unknown[0]} » ; attendu « * » ou l'une de : "
                + ", ".join(LAYER_NAMES)
            )
        self._manifests: dict[Path, Manifest | None] = {}
        self.guessed: dict[int, str] = {}
        self.indicator_tables: list[tuple[pd.DataFrame, str, bool]] = []
        """Indicator tables met (frame, source, declared), joined onto the quartiers after
        validation."""
        self._shared_used: set[str] = set()

    def settings(self, source: Path) -> FileSettings | None:
        """The manifest entry for ``source``, from ``gupgeo.toml`` beside it."""
        folder = source.resolve().parent
        if folder not in self._manifests:
            self._manifests[folder] = find_manifest(folder)
        manifest = self._manifests[folder]
        return manifest.settings_for(source) if manifest else None

    def read(self, source: Path, settings: FileSettings | None) -> list[RawLayer]:
        """Read ``source`` with the manifest's encoding, separator, sheet and CRS."""
        if settings is None:
            return read_source(source)
        sheet = settings.sheet if source.suffix.lower() in _EXCEL else None
        raws = read_source(
            source, layer=sheet, encoding=settings.encoding, separator=settings.separator
        )
        if settings.crs is not None:
            crs = CRS.from_user_input(settings.crs)
            for raw in raws:
                raw.crs = crs
                raw.crs_note = f"{settings.crs} déclaré dans {MANIFEST_NAME}"
                raw.metadata.pop("crs_from_names", None)
        return raws

    @staticmethod
    def declared_layer(settings: FileSettings | None) -> LayerSchema | None:
        """The layer the manifest gives the file, if any."""
        if settings is None or settings.layer in (None, INDICATOR_LAYER):
            return None
        return schema_for(settings.layer)

    def take_indicator_table(
        self, raw: RawLayer, source: Path, settings: FileSettings | None
    ) -> bool:
        """Keep ``raw`` aside when it is an indicator table (name or manifest, no geometry)."""
        declared = settings.layer if settings else None
        spatial = raw.has_geometry or raw.x_column is not None or raw.xy_column is not None
        if spatial or not is_indicator_file(source, declared):
            return False
        self.indicator_tables.append((raw.frame, str(source), declared is not None))
        return True

    def _usable(self, key: str, schema: LayerSchema, raw: RawLayer) -> dict[str, str]:
        """The entries of ``columns[key]`` this file can use: its layer has the target, it has
        the source."""
        if key not in ("*", schema.name):
            return {}
        names = {c.name for c in schema.columns}
        if schema.is_spatial and not raw.has_geometry:  # a table: coordinates may be mapped
            names |= set(COORDINATE_TARGETS)
        present = {header_key(str(c)) for c in raw.frame.columns}
        return {
            t: s
            for t, s in self.columns.get(key, {}).items()
            if t in names and (s in raw.frame.columns or header_key(s) in present)
        }

    def check_shared(self, raws: list[tuple[LayerSchema, RawLayer]]) -> None:
        """A mapping entry that no file can use is an error naming the closest columns."""
        from gupgeo.validation.columns import closest_columns

        for key, mapping in self.columns.items():
            candidates = [(s, r) for s, r in raws if key in ("*", s.name)]
            used = {t for schema, raw in candidates for t in self._usable(key, schema, raw)}
            for target, source in mapping.items():
                if target in used:
                    continue
                found = sorted(
                    {str(c) for _, raw in candidates for c in raw.frame.columns} - {"geometry"}
                )
                near = closest_columns(source, found)
                where = "des fichiers lus" if key == "*" else f"des fichiers de la couche « {key} »"
                files = ", ".join(dict.fromkeys(raw.source for _, raw in candidates))
                layer_lacks = (
                    "leur couche n'a pas de géométrie ou ils en ont déjà"
                    if target in COORDINATE_TARGETS
                    else f"leur couche n'a pas de colonne « {target} »"
                )
                raise SchemaError(
                    f"--colonne {target}={source} : colonne « {source} » absente de tous les "
                    f"fichiers lus ({files or 'aucun'}), ou {layer_lacks} ; "
                    + (f"colonnes les plus proches : {', '.join(near)} ; " if near else "")
                    + f"colonnes {where} : {', '.join(found) or 'aucune'}"
                )

    def values_for(self, schema: LayerSchema, settings: FileSettings | None) -> dict[str, str]:
        """The constant columns of one file: manifest, then ``"*"`` (for a layer that has the
        column), then the layer's own (wins)."""
        names = {c.name for c in schema.columns}
        return {
            **(dict(settings.values) if settings else {}),
            **{t: v for t, v in self.values.get("*", {}).items() if t in names},
            **self.values.get(schema.name, {}),
        }

    def check_values(self, schemas: list[LayerSchema]) -> None:
        """A constant no layer read can take is an error naming the layers' columns."""
        for key, mapping in self.values.items():
            if key != "*":
                check_values(mapping, SCHEMAS[key], where=f"couche {key}")
                continue
            names = {c.name for s in schemas for c in s.columns}
            for target in mapping:
                if target not in names:
                    read = ", ".join(dict.fromkeys(s.name for s in schemas)) or "aucune"
                    raise SchemaError(
                        f"--valeur {target}=… : aucune couche lue ({read}) n'a de colonne "
                        f"« {target} » ; écrivez couche.{target}=TEXTE pour une couche précise"
                    )

    def columns_for(
        self, schema: LayerSchema, raw: RawLayer, settings: FileSettings | None
    ) -> dict[str, str]:
        """The mapping for one file: manifest, then ``"*"``, then the layer's own (wins).

        The manifest's entry is the file's own: a column it names must be there. The
        ``columns`` argument applies to each file where its source column is found.
        """
        return {
            **(dict(settings.columns) if settings else {}),
            **self._usable("*", schema, raw),
            **self._usable(schema.name, schema, raw),
        }

    def describe(self, report: LayerReport, raw: RawLayer, settings: FileSettings | None) -> None:
        """Record on ``report`` how the file was read and what had to be guessed."""
        reading: dict[str, str] = {}
        guessed: list[str] = []
        if id(raw) in self.guessed:
            guessed.append(self.guessed.pop(id(raw)))
        for key in ("encodage", "separateur"):
            value = raw.metadata.get(key)
            if isinstance(value, str):
                reading[key] = value
                declared = settings and getattr(
                    settings, "encoding" if key == "encodage" else "separator"
                )
                if not declared:
                    guessed.append(
                        "encodage détecté" if key == "encodage" else "séparateur détecté"
                    )
        if raw.format == "Excel" and raw.layer:
            reading["feuille"] = raw.layer
        epsg = _guessed_epsg(report)
        if settings and settings.crs:
            reading["crs"] = settings.crs
        elif epsg:
            reading["crs"] = epsg
            guessed.append("CRS déduit des coordonnées")
        if any(t not in (settings.columns if settings else {}) for t in report.columns_mapped):
            guessed.append("colonnes reconnues par leur nom")
        report.reading = reading
        report.guessed = guessed


def _guessed_epsg(report: LayerReport) -> str | None:
    if not report.crs_source.startswith("non déclaré"):
        return None
    found = re.search(r"EPSG:\d+", report.crs_source)
    return found.group(0) if found else None
