"""Every CSV and XLSX file gupgeo writes: data stays data in a spreadsheet.

A category, a quartier name or a column header typed as ``=HYPERLINK("http://…")`` must
not become a live formula when a partner opens the file (CSV or formula injection,
OWASP). Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
therefore:

- XLSX: written as a text cell (inline string, never a ``<f>`` formula element), marked
  "quote prefix" so that Excel keeps it as text when the cell is edited; the cell reads
  back as the exact text;
- CSV: prefixed with a single quote ``'`` (OWASP's advice), headers included.

Numbers are never touched: numeric cells, and text that is a plain number such as
``-12,5`` (a spreadsheet reads it as that number, not as a formula). The one raw
output is the long table ``indicateurs_long.csv`` of the dashboard (see
:mod:`gupgeo.dashboard.export`), kept raw for BI tools and
:func:`gupgeo.dashboard.export.read_long_csv`.

Files are written atomically (:mod:`gupgeo._atomic`).
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gupgeo import _xlsx
from gupgeo._atomic import replacing
from gupgeo._xlsx import Worksheet

if TYPE_CHECKING:
    from openpyxl import Workbook

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""
CSV_PREFIX = "'"
NEUTRALISED_NOTE = (
    "Cellules de texte protégées : dans les fichiers XLSX et CSV, un texte commençant par "
    "=, +, -, @, une tabulation ou un retour chariot (nom de quartier, catégorie, thème, "
    "bailleur, en-tête…) est écrit comme du texte, jamais comme une formule (XLSX : "
    "cellule de texte ; CSV : précédé d'une apostrophe '). Les nombres ne sont pas "
    "modifiés. Seule la table longue indicateurs_long.csv garde les valeurs brutes, pour "
    "les outils de BI."
)
"""French note for the "sources et méthode" of exports."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula.

    Examples
    --------
    >>> [is_formula_like(t) for t in ("=1+1", "+33 6", "-2+3", "@SUM(A1)", "\\tx", "Tags")]
    [True, True, True, True, True, False]
    >>> is_formula_like("-12,5"), is_formula_like("+3")
    (False, False)
    """
    return text.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(text) is None


def csv_text(value: Any) -> Any:
    """``value`` as a CSV cell: formula-like text prefixed with ``'``, anything else as is.

    Examples
    --------
    >>> csv_text('=HYPERLINK("http://evil","x")'), csv_text(-3), csv_text("-3")
    ('\\'=HYPERLINK("http://evil","x")', -3, '-3')
    """
    if isinstance(value, str) and is_formula_like(value):
        return CSV_PREFIX + value
    return value


def _csv_column(values: pd.Series) -> pd.Series | None:
    """The column with formula-like text prefixed, or None when nothing changes."""
    if not (
        values.dtype == object or isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype)
    ):
        return None
    cells = values.astype(object).to_numpy()
    hits = [
        i
        for i, v in enumerate(cells)
        if isinstance(v, str) and v[:1] in FORMULA_STARTS and is_formula_like(v)
    ]
    if not hits:
        return None
    out = cells.copy()
    for i in hits:
        out[i] = CSV_PREFIX + out[i]
    return pd.Series(out, index=values.index, name=values.name, dtype=object)


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose formula-like text cells and headers are prefixed with ``'``.

    Examples
    --------
    >>> safe = csv_safe(pd.DataFrame({"=1+1": ["@SUM(A1)", "Tags"], "n": [-2, 3]}))
    >>> list(safe.columns), safe.iloc[:, 0].tolist(), safe["n"].tolist()
    (["'=1+1", 'n'], ["'@SUM(A1)", 'Tags'], [-2, 3])
    """
    columns = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        changed = _csv_column(column)
        columns[position] = column if changed is None else changed
    out = pd.DataFrame(columns, index=frame.index)
    out.columns = pd.Index([csv_text(c) for c in frame.columns], dtype=object)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, *, raw: bool = False, **options: Any) -> Path:
    """Write ``frame`` to ``path`` as CSV, formula-like text neutralised, atomically.

    Parameters
    ----------
    frame
        The table; its index is not written.
    path
        Target file, replaced whole.
    raw
        Keep text as it is (the dashboard's long table only): the caller states that
        the file is machine-read.
    **options
        Passed to :meth:`pandas.DataFrame.to_csv` (``sep``, ``encoding``, ``decimal``…).
        A table holding a carriage return in some text is written with ``\\r\\n`` line
        ends (RFC 4180), so that the cell is quoted and the row stays whole.
    """
    target = Path(path)
    table = frame if raw else csv_safe(frame)
    if "\r" not in options.get("lineterminator", os.linesep) and _holds_carriage_return(table):
        # Python's csv module quotes a cell holding a CR only when the line terminator
        # has one: without quotes the CR would end the row in a spreadsheet.
        options = {**options, "lineterminator": "\r\n"}
    with replacing(target) as tmp:
        table.to_csv(tmp, index=False, **options)
    return target


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    if any(isinstance(c, str) and "\r" in c for c in frame.columns):
        return True
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype | pd.CategoricalDtype):
            cells = column.astype(object).to_numpy()
            if any(isinstance(v, str) and "\r" in v for v in cells):
                return True
    return False


def text_cells(workbook: Workbook) -> int:
    """Make every formula-like cell of ``workbook`` a text cell; return how many changed.

    openpyxl turns any string starting with ``=`` into a formula; this undoes it for
    every cell of every sheet, headers included, and marks formula-like text "quote
    prefix" (text to be kept as typed when edited in Excel).
    """
    changed = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
                    continue
                if cell.data_type == "f":
                    cell.data_type = "s"
                if is_formula_like(value):
                    cell.quotePrefix = True
                    changed += 1
    return changed


def _keep_carriage_returns(path: Path) -> None:
    """Write raw carriage returns of the sheets as ``&#13;`` so they read back exactly.

    XML turns a raw CR inside text into a line feed when the file is read; a character
    reference survives.
    """
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]

    def xml(name: str) -> bool:
        return name.startswith("xl/") and name.endswith(".xml")

    if not any(b"\r" in data for info, data in entries if xml(info.filename)):
        return
    with zipfile.ZipFile(path, "w") as out:
        for info, data in entries:
            out.writestr(info, data.replace(b"\r", b"&#13;") if xml(info.filename) else data)


def write_workbook(workbook: Workbook, path: str | Path) -> Path:
    """Save ``workbook`` to ``path`` with every cell as data (:func:`text_cells`), atomically."""
    target = Path(path)
    text_cells(workbook)
    with replacing(target) as tmp:
        workbook.save(tmp)
        _keep_carriage_returns(tmp)
    return target


def write_sheets(sheets: Sequence[Worksheet], path: str | Path) -> Path:
    """Write ``sheets`` as an XLSX workbook at ``path``, every cell as data, atomically.

    The parts are written straight from the values (no object per cell): numbers as
    numbers, text as shared strings, formula-like text as text marked "quote prefix"
    (never a formula element), carriage returns kept, characters XML cannot hold
    written as Excel's ``_xHHHH_`` escapes.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from openpyxl import load_workbook
    >>> sheet = Worksheet("t", [["=1+1", "QP"], np.array([2.5, np.nan])], header=["nom", "n"],
    ...               number_formats=[None, "0.0"], freeze="A2")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ws = load_workbook(write_sheets([sheet], Path(tmp) / "t.xlsx"))["t"]
    ...     [[c.value for c in row] for row in ws.iter_rows()], ws["B2"].number_format
    ([['nom', 'n'], ['=1+1', 2.5], ['QP', None]], '0.0')
    >>> ws["A2"].data_type, ws["A2"].quotePrefix, ws.freeze_panes
    ('s', True, 'A2')
    """
    target = Path(path)
    book = _xlsx.Book(is_formula_like)
    parts = [(f"xl/worksheets/sheet{i}.xml", book.sheet_xml(s)) for i, s in enumerate(sheets, 1)]
    titles = [s.title for s in sheets]
    with replacing(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in (*_xlsx.package_parts(titles, book), *parts):
            out.writestr(name, data)
    return target


__all__ = [
    "FORMULA_STARTS",
    "NEUTRALISED_NOTE",
    "Worksheet",
    "csv_safe",
    "csv_text",
    "is_formula_like",
    "text_cells",
    "write_csv",
    "write_sheets",
    "write_workbook",
]
