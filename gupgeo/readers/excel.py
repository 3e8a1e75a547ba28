"""Excel workbooks (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``) as planners export them.

Real exports put a title, an extraction date and blank rows above the header,
and merge header cells (a group label over several columns, a label spanning
two header rows). The header row is therefore found, not assumed: it is the
first of the top rows whose cells name at least :data:`MIN_KNOWN` known columns
(any layer's column names and aliases, or coordinate names). A header cell left
empty by a vertical merge takes the label of the cell above it.

Reading goes through the Rust ``calamine`` library (package ``python-calamine``,
the engine pandas itself names ``"calamine"``), called directly: it reads a
30,000-row sheet about ten times faster than openpyxl, which parses the sheet's
XML in Python and builds a cell object per value (pandas' own calamine wrapper
adds a per-cell conversion that doubles the time; the two conversions that
matter are done here). Calamine also reads ``.xls`` and ``.ods`` with one code path.
openpyxl stays a dependency for *writing* workbooks only
(:mod:`gupgeo._spreadsheet`).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from gupgeo.errors import InputFileError
from gupgeo.readers.raw import RawLayer
from gupgeo.readers.tabular import (
    LAT_NAMES,
    LATLON_NAMES,
    LON_NAMES,
    SHAPE_NAMES,
    WKT_NAMES,
    X_NAMES,
    Y_NAMES,
    locate_coordinates,
)
from gupgeo.schemas import SCHEMAS, normalise_name

HEADER_SEARCH_ROWS = 30
"""How many top rows may hold titles before the header."""
MIN_KNOWN = 2
"""Known column names a row needs to be taken as the header."""


@functools.cache
def known_names() -> frozenset[str]:
    """Every normalised column name or alias of every layer, and the coordinate names."""
    names = {alias for schema in SCHEMAS.values() for alias in schema.alias_map()}
    for group in (LON_NAMES, LAT_NAMES, X_NAMES, Y_NAMES, LATLON_NAMES, WKT_NAMES, SHAPE_NAMES):
        names.update(group)
    return frozenset(names)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def find_header_row(rows: list[list[object]]) -> int:
    """Position of the header among the top ``rows``: the first naming enough known columns.

    Examples
    --------
    >>> find_header_row([["Export GUP"], [], ["Date", "Catégorie", "Longitude"], [1, 2, 3]])
    2
    >>> find_header_row([["a", "b"], [1, 2]])
    0
    """
    known = known_names()
    first_filled = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [_cell_text(v) for v in row]
        if first_filled is None and any(cells):
            first_filled = i
        if sum(normalise_name(c) in known for c in cells if c) >= MIN_KNOWN:
            return i
    return first_filled or 0


def _header(grid: pd.DataFrame, at: int) -> list[str]:
    """Header labels at row ``at``; an empty cell takes the label above it (vertical merge)."""
    names = []
    for j in range(grid.shape[1]):
        name = _cell_text(grid.iat[at, j])
        if not name and at > 0:
            name = _cell_text(grid.iat[at - 1, j])
        names.append(name or f"colonne_{j + 1}")
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return unique


def read_excel(path: Path, *, sheet: str | None = None) -> RawLayer:
    """Read one sheet of a workbook (the first unless ``sheet`` is given), finding its header.

    Rows are labelled by their Excel row number (``"ligne 7"``); blank rows are
    skipped and titles above the header are said in the notes.
    """
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets = [str(s) for s in book.sheet_names]
        chosen = sheet if sheet is not None else sheets[0]
        if chosen not in sheets:
            raise InputFileError(
                f"{path} : feuille {chosen!r} absente ; feuilles disponibles : {', '.join(sheets)}"
            )
        cells = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except InputFileError:
        raise
    except Exception as exc:  # calamine raises its own error kinds (CalamineError, ZipError…)
        raise InputFileError(
            f"{path} : classeur Excel illisible ({exc}) ; attendu un fichier .xlsx, .xls ou .ods"
        ) from exc
    # Calamine hands numbers as floats and empty cells as "": whole numbers become ints
    # (an identifier 12 stays "12", not "12.0"), empty cells missing values.
    grid = pd.DataFrame(
        [
            [None if v == "" else int(v) if type(v) is float and v.is_integer() else v for v in row]
            for row in cells
        ],
        dtype=object,
    )
    notes = [f"feuille « {chosen} »" + (f" (sur {len(sheets)})" if len(sheets) > 1 else "")]
    if grid.empty:
        raise InputFileError(
            f"{path} : feuille « {chosen} » vide ; attendu un en-tête puis des lignes"
        )
    top = grid.head(HEADER_SEARCH_ROWS).to_numpy(dtype=object).tolist()
    at = find_header_row(top)
    if at > 0:
        notes.append(
            f"en-tête trouvé ligne {at + 1} (ligne(s) de titre au-dessus ignorées : "
            + " / ".join(
                t for t in (" ".join(filter(None, map(_cell_text, r))) for r in top[:at]) if t
            )[:200]
            + ")"
        )
    columns = _header(grid, at)
    frame = grid.iloc[at + 1 :]
    frame.columns = columns
    frame = frame.dropna(how="all")
    labels = [f"ligne {int(i) + 1}" for i in frame.index]
    frame = frame.reset_index(drop=True)
    raw = RawLayer(
        frame=frame,
        source=str(path),
        format="Excel",
        layer=chosen,
        row_labels=labels,
        notes=notes,
    )
    locate_coordinates(raw)
    return raw
