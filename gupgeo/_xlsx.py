"""The parts of an XLSX workbook written straight from the values (no object per cell).

:func:`gupgeo._spreadsheet.write_sheets` zips them. A worksheet is given column by
column (:class:`Worksheet`); its XML is joined from one short string per cell, a NumPy
column of numbers in one comprehension. Text goes to the shared strings table once per
distinct value; text a spreadsheet could take for a formula (see
:func:`gupgeo._spreadsheet.is_formula_like`) is a text cell whose style says "quote
prefix", never a formula element. Styles are made on demand: number format, bold, the
header fill, quote prefix.

In the XML, ``&``, ``<`` and ``>`` are entities, a carriage return is ``&#13;`` (a raw
one would read back as a line feed), and the characters XML 1.0 cannot hold (control
characters, lone surrogates) are Excel's ``_xHHHH_`` escapes; a text that already looks
like such an escape is protected as ``_x005F_xHHHH_``, so Excel shows it as typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

import numpy as np
import pandas as pd

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_FORMULA_STARTS = frozenset("=+-@\t\r")
_HEADER_FILL = "FFDDE4EE"
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}
_DATE_FORMAT = "dd/mm/yyyy"
_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_EPOCH = dt.datetime(1899, 12, 30)
_ESCAPED = re.compile(
    r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", '"': "&quot;"}


Column = Sequence[Any] | np.ndarray
"""The cells of a column: a NumPy array or any sequence."""


@dataclass(frozen=True)
class Worksheet:
    """One worksheet, given column by column.

    Attributes
    ----------
    title
        Sheet name: at most 31 characters, none of ``[]:*?/\\``, unique in the book
        (the caller's choice).
    columns
        The cells of each column below the header, top to bottom: a NumPy array (the
        fast path for numbers) or any sequence. ``None``, NaN, NaT, ``pd.NA`` and
        infinities are empty cells; columns may differ in length.
    header
        The first row (bold, on a blue-grey fill); empty: no header row.
    number_formats
        Excel number format of each column's cells below the header (``None``:
        General); dates and times get ``dd/mm/yyyy`` and ``dd/mm/yyyy hh:mm``.
    widths
        Width of each column in characters (``None``: Excel's default).
    bold_rows
        Further rows (1-based) written in bold.
    freeze
        The top-left cell of the part that scrolls: ``"C2"`` keeps row 1 and columns
        A-B in view; ``None`` freezes nothing.
    """

    title: str
    columns: Sequence[Column]
    header: Sequence[Any] = ()
    number_formats: Sequence[str | None] = ()
    widths: Sequence[float | None] = ()
    bold_rows: frozenset[int] = frozenset()
    freeze: str | None = None


def xml_text(text: str) -> str:
    """``text`` as XML character data that reads back as ``text`` (see the module notes).

    Examples
    --------
    >>> xml_text('a < b & "c"\\r'), xml_text("\\x01"), xml_text("_x0041_")
    ('a &lt; b &amp; "c"&#13;', '_x0001_', '_x005F_x0041_')
    """
    if _ESCAPED.search(text) is None:
        return text
    return _ESCAPED.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    found = match.group()
    if len(found) > 1:
        return "_x005F" + found
    return _ENTITIES.get(found) or f"_x{ord(found):04X}_"


def _attr(text: str) -> str:
    return xml_text(text).replace('"', "&quot;")


def column_letter(index: int) -> str:
    """Excel's letters of the 1-based column ``index``.

    Examples
    --------
    >>> column_letter(1), column_letter(26), column_letter(27), column_letter(703)
    ('A', 'Z', 'AA', 'AAA')
    """
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_Look = tuple[str, bool, bool]
"""A cell's look: number format, bold, header fill."""


class Book:
    """The shared strings and the styles of one workbook, filled as its sheets are written.

    ``formula_like`` tells which text a spreadsheet could read as a formula
    (:func:`gupgeo._spreadsheet.is_formula_like`).
    """

    def __init__(self, formula_like: Callable[[str], bool]) -> None:
        self.formula_like = formula_like
        self.strings: dict[str, tuple[int, bool]] = {}
        self.string_count = 0
        self.formats: dict[str, int] = {}
        self.xfs: dict[tuple[int, bool, bool, bool], int] = {(0, False, False, False): 0}

    def style(self, look: _Look, *, quote: bool = False) -> int:
        """The index of the cell style with ``look`` (and "quote prefix" if ``quote``)."""
        number_format, bold, fill = look
        fmt_id = _BUILTIN_FORMATS.get(number_format)
        if fmt_id is None:
            fmt_id = self.formats.setdefault(number_format, 164 + len(self.formats))
        return self.xfs.setdefault((fmt_id, bold, fill, quote), len(self.xfs))

    def string(self, text: str) -> tuple[int, bool]:
        """The shared-string index of ``text`` and whether it is formula-like."""
        self.string_count += 1
        found = self.strings.get(text)
        if found is None:
            formula = text[:1] in _FORMULA_STARTS and self.formula_like(text)
            found = self.strings[text] = (len(self.strings), formula)
        return found

    def cells(self, values: Column, letter: str, first_row: int, look: _Look) -> list[str]:
        """The ``<c>`` elements of a column's ``values`` from row ``first_row`` down."""
        style = self.style(look)
        s = f' s="{style}"' if style else ""
        rows = range(first_row, first_row + len(values))
        if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
            numbers = values.tolist()
            # x - x == 0 only for finite numbers: NaN and infinities are empty cells
            return [
                f'<c r="{letter}{r}"{s}><v>{repr(x).removesuffix(".0")}</v></c>'
                if x - x == 0
                else (f'<c r="{letter}{r}"{s}/>' if s else "")
                for r, x in zip(rows, numbers, strict=True)
            ]
        out = []
        tails: dict[tuple[type, Any], str] = {}  # one tail per distinct value of the column
        for r, value in zip(rows, values, strict=True):
            try:
                key = (value.__class__, value)
                tail = tails.get(key)
            except TypeError:  # not hashable
                key, tail = None, None
            if tail is None:
                tail = self.tail(value, look)
                if key is not None:
                    tails[key] = tail
            elif value.__class__ is str:
                self.string_count += 1
            out.append(f'<c r="{letter}{r}"{tail}' if tail else "")
        return out

    def cell(self, ref: str, value: Any, look: _Look) -> str:
        """One ``<c>`` element (empty string: no element)."""
        tail = self.tail(value, look)
        return f'<c r="{ref}"{tail}' if tail else ""

    def tail(self, value: Any, look: _Look) -> str:
        """A ``<c>`` element after its reference (empty string: no element)."""
        if isinstance(value, str):
            index, formula = self.string(value)
            style = self.style(look, quote=formula)
            return (f' s="{style}"' if style else "") + f' t="s"><v>{index}</v></c>'
        if isinstance(value, bool | np.bool_):
            return f'{self._s(look)} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int | np.integer):
            return f"{self._s(look)}><v>{int(value)}</v></c>"
        if isinstance(value, float | np.floating) and value - value == 0:
            return f"{self._s(look)}><v>{repr(float(value)).removesuffix('.0')}</v></c>"
        if isinstance(value, dt.date | np.datetime64) and not pd.isna(value):
            serial, timed = _serial(value)
            fmt = _DATETIME_FORMAT if timed else _DATE_FORMAT
            return f"{self._s((fmt, *look[1:]))}><v>{serial!r}</v></c>"
        if (
            value is None
            or isinstance(value, float | np.floating)
            or (pd.api.types.is_scalar(value) and pd.isna(value))
        ):
            # empty, NaN, NaT, pd.NA and infinities
            s = self._s(look)
            return f"{s}/>" if s else ""
        return self.tail(str(value), look)

    def _s(self, look: _Look) -> str:
        style = self.style(look)
        return f' s="{style}"' if style else ""

    def sheet_xml(self, sheet: Worksheet) -> bytes:
        """The worksheet part of ``sheet``."""
        n_cols = max(len(sheet.columns), len(sheet.header))
        letters = [column_letter(j) for j in range(1, n_cols + 1)]
        formats = [*sheet.number_formats, *[None] * n_cols][:n_cols]
        top = 2 if sheet.header else 1
        columns = []
        for j, letter in enumerate(letters):
            cells = []
            if sheet.header:
                value = sheet.header[j] if j < len(sheet.header) else None
                cells.append(self.cell(f"{letter}1", value, ("General", True, True)))
            values = sheet.columns[j] if j < len(sheet.columns) else ()
            cells += self.cells(values, letter, top, (formats[j] or "General", False, False))
            for r in sheet.bold_rows:
                if top <= r < top + len(values) and values[r - top] is not None:
                    look = (formats[j] or "General", True, False)
                    cells[r - 1] = self.cell(f"{letter}{r}", values[r - top], look)
            columns.append(cells)
        rows = [
            f'<row r="{r}">{"".join(cells)}</row>'
            for r, cells in enumerate(zip_longest(*columns, fillvalue=""), start=1)
            if any(cells)
        ]
        n_rows = max((len(c) for c in columns), default=0)
        span = f"A1:{letters[-1]}{n_rows}" if n_cols and n_rows else "A1"
        return "".join(
            (
                _HEAD,
                f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{span}"/>',
                _views(sheet.freeze),
                '<sheetFormatPr defaultRowHeight="15"/>',
                _cols(sheet.widths),
                "<sheetData>",
                *rows,
                "</sheetData>",
                '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5"'
                ' footer="0.5"/></worksheet>',
            )
        ).encode("utf-8")

    def styles_xml(self) -> bytes:
        """The styles part: the number formats, fonts, fills and cell styles used."""
        formats = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>'
            for code, i in self.formats.items()
        )
        font = '<sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/>'
        fills = (
            '<fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            f'<fill><patternFill patternType="solid"><fgColor rgb="{_HEADER_FILL}"/>'
            '<bgColor indexed="64"/></patternFill></fill>'
        )
        xfs = "".join(
            f'<xf numFmtId="{fmt}" fontId="{int(bold)}" fillId="{2 if fill else 0}" '
            f'borderId="0" xfId="0"'
            + (' applyNumberFormat="1"' if fmt else "")
            + (' applyFont="1"' if bold else "")
            + (' applyFill="1"' if fill else "")
            + (' quotePrefix="1"' if quote else "")
            + "/>"
            for fmt, bold, fill, quote in self.xfs
        )
        return (
            f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
            + (f'<numFmts count="{len(self.formats)}">{formats}</numFmts>' if formats else "")
            + f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            + f'<fills count="3">{fills}</fills>'
            + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            + '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            + f'borderId="0"/></cellStyleXfs><cellXfs count="{len(self.xfs)}">{xfs}</cellXfs>'
            + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            + "</cellStyles></styleSheet>"
        ).encode("utf-8")

    def strings_xml(self) -> bytes:
        """The shared strings part."""
        items = "".join(
            f'<si><t xml:space="preserve">{xml_text(text)}</t></si>' for text in self.strings
        )
        return (
            f'{_HEAD}<sst xmlns="{_MAIN}" count="{self.string_count}" '
            f'uniqueCount="{len(self.strings)}">{items}</sst>'
        ).encode()


def _serial(value: dt.date | np.datetime64) -> tuple[float, bool]:
    """Excel's serial day number of a date or time, and whether it has a time of day."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    days = (stamp.to_pydatetime() - _EPOCH) / dt.timedelta(days=1)
    timed = not isinstance(value, dt.date) or isinstance(value, dt.datetime)
    return days, timed and days != int(days)


def _views(freeze: str | None) -> str:
    if freeze is None:
        return '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    letters = freeze.rstrip("0123456789")
    x_split = sum((ord(c) - 64) * 26**i for i, c in enumerate(reversed(letters))) - 1
    y_split = int(freeze[len(letters) :]) - 1
    pane = {(True, True): "bottomRight", (True, False): "topRight"}.get(
        (x_split > 0, y_split > 0), "bottomLeft"
    )
    splits = (f' xSplit="{x_split}"' if x_split else "") + (
        f' ySplit="{y_split}"' if y_split else ""
    )
    return (
        f'<sheetViews><sheetView workbookViewId="0"><pane{splits} topLeftCell="{freeze}" '
        f'activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{freeze}" '
        f'sqref="{freeze}"/></sheetView></sheetViews>'
    )


def _cols(widths: Sequence[float | None]) -> str:
    cols = "".join(
        f'<col min="{j}" max="{j}" width="{w}" customWidth="1"/>'
        for j, w in enumerate(widths, start=1)
        if w is not None
    )
    return f"<cols>{cols}</cols>" if cols else ""


def package_parts(titles: Sequence[str], book: Book) -> Iterator[tuple[str, bytes]]:
    """The workbook's parts other than the sheets (call after writing every sheet)."""
    n = len(titles)
    sheet_ct = f"{_CT}.worksheet+xml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_ct}"/>'
        for i in range(1, n + 1)
    )
    yield (
        "[Content_Types].xml",
        (
            f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            f"{overrides}</Types>"
        ).encode(),
    )
    yield (
        "_rels/.rels",
        (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
    )
    sheets = "".join(
        f'<sheet name="{_attr(t)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, t in enumerate(titles, start=1)
    )
    yield (
        "xl/workbook.xml",
        (
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews>'
            f'<workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets></workbook>'
        ).encode(),
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    yield (
        "xl/_rels/workbook.xml.rels",
        (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{rels}'
            f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>'
        ).encode(),
    )
    yield "xl/styles.xml", book.styles_xml()
    yield "xl/sharedStrings.xml", book.strings_xml()
