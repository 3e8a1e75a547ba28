"""Readers: one small module per family of formats, one entry point.

:func:`read_source` looks at a path (suffix first, then content) and returns
the :class:`RawLayer` objects it holds, untouched but for the reader's notes;
validation (``gupgeo.validation.layer``) turns them into clean layers.
"""

from __future__ import annotations

import json
from pathlib import Path

from gupgeo.errors import InputFileError, InputNotFoundError
from gupgeo.readers.dansmarue import adapt_dansmarue, json_records, looks_like_dansmarue
from gupgeo.readers.excel import read_excel
from gupgeo.readers.open311 import looks_like_open311, read_open311
from gupgeo.readers.parquet import is_dataset, read_parquet
from gupgeo.readers.raw import RawLayer
from gupgeo.readers.tabular import locate_coordinates, read_csv
from gupgeo.readers.vector import (
    VECTOR_FORMATS,
    check_archive,
    list_layers,
    read_vector,
    read_walk,
)

TABULAR = {
    ".csv": "CSV",
    ".txt": "CSV",
    ".tsv": "CSV",
    ".xlsx": "Excel",
    ".xls": "Excel",
    ".xlsm": "Excel",
    ".ods": "Excel",
}
SUPPORTED = sorted({*VECTOR_FORMATS, *TABULAR})
SIDE_CAR = {".shx", ".dbf", ".prj", ".cpg", ".qmd", ".qix", ".sbn", ".sbx", ".md", ".xml"}


def read_source(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    separator: str | None = None,
) -> list[RawLayer]:
    """Read every layer of a file (or the named ``layer``) as raw layers.

    A GeoPackage gives one raw layer per table, a zip one per shapefile; other
    files give one, and so does a partitioned GeoParquet folder
    (:mod:`gupgeo.readers.parquet`). ``layer`` is the sheet of a workbook; ``encoding`` and
    ``separator`` override what is detected in a CSV.

    Raises
    ------
    InputNotFoundError
        When ``path`` does not exist.
    InputFileError
        When the format is unknown or the file cannot be read; the message names
        the file and what was expected.
    """
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{p} : fichier introuvable")
    if p.is_dir():
        if is_dataset(p):
            return [read_parquet(p)]
        raise InputFileError(
            f"{p} : dossier qui n'est pas une couche GeoParquet partitionnée (sous-dossiers "
            "annee=…) ; donnez ses fichiers, ou le dossier à load_territory"
        )
    suffix = p.suffix.lower()
    if suffix == ".zip":
        check_archive(p)
    if suffix in TABULAR:
        raw = (
            read_excel(p, sheet=layer)
            if TABULAR[suffix] == "Excel"
            else read_csv(p, encoding=encoding, separator=separator)
        )
        if looks_like_dansmarue(list(raw.frame.columns)):
            adapt_dansmarue(raw)
        return [raw]
    if suffix == ".json" or suffix == ".geojson":
        payload = _peek_json(p)
        if looks_like_open311(payload):
            return [read_open311(p, payload)]
        records = json_records(payload)
        if records is not None and looks_like_dansmarue(list(records.columns)):
            raw = RawLayer(
                frame=records, source=str(p), format="JSON", label_prefix="enregistrement"
            )
            locate_coordinates(raw)
            return [adapt_dansmarue(raw)]
    if suffix == ".gpx" or (suffix == ".kml" and layer is None):
        return read_walk(p)  # the findings (constats), then the walk (diagnostics)
    if suffix in (".gpkg", ".zip") and layer is None:
        # Every table of a GeoPackage, every shapefile of a zip: none left out unsaid.
        return [read_vector(p, layer=name) for name in list_layers(p)]
    if suffix in VECTOR_FORMATS:
        return [read_vector(p, layer=layer)]
    raise InputFileError(
        f"{p} : format « {suffix or 'sans extension'} » non pris en charge ; formats lus : "
        + ", ".join(SUPPORTED)
    )


def _peek_json(path: Path) -> object:
    """Parse small JSON files to sniff Open311; big GeoJSON goes straight to pyogrio."""
    if path.stat().st_size > 50_000_000:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    except RecursionError as exc:
        raise InputFileError(
            f"{path} : JSON imbriqué trop profondément (des milliers de niveaux de [ ou {{) ; "
            "attendu un GeoJSON (FeatureCollection) ou un tableau de demandes Open311"
        ) from exc


__all__ = ["SUPPORTED", "RawLayer", "is_dataset", "list_layers", "read_source"]
