"""XLSX parts written from the values: read back by openpyxl, cell by cell, as the data.

:func:`gupgeo._spreadsheet.write_sheets` (parts from :mod:`gupgeo._xlsx`) on hand-made
columns holding every kind of value (numbers, NaN and infinities, text that looks like a
formula, carriage returns, control characters, dates), then the dashboard's XLSX against
the dashboard's own tables.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from gupgeo._spreadsheet import Worksheet, is_formula_like, write_sheets
from gupgeo._xlsx import column_letter, xml_text
from gupgeo.dashboard.export import METHOD_SHEET, write_xlsx
from gupgeo.dashboard.model import build_dashboard
from gupgeo.indicators.catalog import column_unit
from gupgeo.publication import SECRET_LABEL
from tests._dashboard_fixtures import layers

TEXTS = [
    "Les Acacias",
    '=HYPERLINK("http://evil","x")',
    "+33 6 12",
    "-2+3",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "a\r\nb",
    "<b>&amp;</b>",
    "-12,5",
    "  espaces  ",
    "é€ — ü",
    "_x0041_",
]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    numbers = np.array([1.5, np.nan, -300.0, np.inf, 12.0, 0.1 + 0.2, 1e-7, -np.inf])
    counts = np.array([3, 0, -1, 7, 2**40, 5, 6, 8], dtype="int64")
    mixed = [2.5, SECRET_LABEL, None, 4, np.float64(1.25), np.int64(9), pd.NA, True]
    dates = [
        dt.date(2024, 3, 1),
        pd.Timestamp("2024-03-01 13:30"),
        pd.NaT,
        np.datetime64("2023-12-31"),
        dt.datetime(2024, 1, 1),
    ]
    sheets = [
        Worksheet(
            "données",
            [TEXTS, numbers, counts, mixed, dates],
            header=["=nom", "valeur", "nombre", "mêlé", "date"],
            number_formats=[None, "0.0", "#,##0", '#,##0" €"', None],
            widths=[20, 12.5, None, 9, 14],
            freeze="B2",
        ),
        Worksheet(
            "notes & <méthode>",
            [["Titre", None, "Sous-titre", "texte"], [None, None, None, 3]],
            widths=[30],
            bold_rows=frozenset({1, 3}),
        ),
        Worksheet("vide", []),
    ]
    return write_sheets(sheets, tmp_path_factory.mktemp("xlsx") / "t.xlsx")


def test_cells_read_back_as_written(book: Path) -> None:
    ws = load_workbook(book)["données"]
    assert [c.value for c in ws[1]] == ["=nom", "valeur", "nombre", "mêlé", "date"]
    assert [c.value for c in ws["A"][1:]] == TEXTS  # exact text: CR, tab, spaces, entities
    assert [c.value for c in ws["B"][1:9]] == [1.5, None, -300, None, 12, 0.1 + 0.2, 1e-7, None]
    assert [c.value for c in ws["C"][1:9]] == [3, 0, -1, 7, 2**40, 5, 6, 8]
    assert [c.value for c in ws["D"][1:9]] == [2.5, SECRET_LABEL, None, 4, 1.25, 9, None, True]
    assert [c.value for c in ws["E"][1:6]] == [
        dt.datetime(2024, 3, 1),
        dt.datetime(2024, 3, 1, 13, 30),
        None,
        dt.datetime(2023, 12, 31),
        dt.datetime(2024, 1, 1),
    ]
    assert ws.max_row == len(TEXTS) + 1 and ws.max_column == 5


def test_formats_widths_freeze_and_header_style(book: Path) -> None:
    ws = load_workbook(book)["données"]
    assert ws.freeze_panes == "B2"
    assert {c: ws.column_dimensions[c].width for c in "ABDE"} == {
        "A": 20,
        "B": 12.5,
        "D": 9,
        "E": 14,
    }
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("DDE4EE") for c in ws[1])
    assert not any(c.font.b for row in ws.iter_rows(min_row=2) for c in row)
    assert {ws.cell(r, 2).number_format for r in range(2, 10)} == {"0.0"}
    assert ws["C2"].number_format == "#,##0"
    assert ws["D2"].number_format == ws["D3"].number_format == '#,##0" €"'
    assert [ws.cell(r, 5).number_format for r in (2, 3, 5)] == [
        "dd/mm/yyyy",
        "dd/mm/yyyy hh:mm",
        "dd/mm/yyyy",
    ]


def test_formula_like_text_is_text_with_quote_prefix(book: Path) -> None:
    cells = [c for ws in load_workbook(book).worksheets for row in ws.iter_rows() for c in row]
    texts = [c for c in cells if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in texts)
    flagged = {c.value for c in texts if c.quotePrefix}
    expected = {t for t in [*TEXTS, "=nom"] if is_formula_like(t)}
    assert flagged == expected and "-12,5" not in flagged and len(flagged) == 7
    with zipfile.ZipFile(book) as z:
        for name in z.namelist():
            assert not re.search(r"<(\w+:)?f[ >/]", z.read(name).decode("utf-8")), name


def test_bold_rows_titles_and_empty_sheet(book: Path) -> None:
    wb = load_workbook(book)
    assert wb.sheetnames == ["données", "notes & <méthode>", "vide"]
    ws = wb["notes & <méthode>"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["Titre", None],
        [None, None],
        ["Sous-titre", None],
        ["texte", 3],
    ]
    assert ws["A1"].font.b and ws["A3"].font.b and not ws["A4"].font.b
    assert ws.freeze_panes is None and ws.column_dimensions["A"].width == 30
    assert wb["vide"].max_row == 1 and wb["vide"]["A1"].value is None


def test_xml_text_and_column_letters() -> None:
    assert xml_text("\x01\x0b") == "_x0001__x000B_"
    assert xml_text("a\tb\nc") == "a\tb\nc"
    assert [column_letter(i) for i in (1, 2, 26, 27, 52, 53, 702, 703)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


@pytest.mark.parametrize("profil", ["interne", "public"])
def test_dashboard_sheets_hold_the_tables(tmp_path: Path, profil: str) -> None:
    db = build_dashboard(layers(), period="2024-T1", freq="month", publication=profil)
    wb = load_workbook(write_xlsx(db, tmp_path / "t.xlsx"))
    frames = [*((n, f, False) for n, f in db.tables.items())]
    frames += [(n, f, True) for n, f in db.series.items()]
    assert len(wb.sheetnames) == len(frames) + 1 and wb.sheetnames[-1] == METHOD_SHEET
    secret_seen = 0
    for ws, (name, frame, series) in zip(wb.worksheets, frames, strict=False):
        n_keys = 3 if series else 2
        assert ws.max_row == len(frame) + 1, ws.title
        assert ws.max_column == n_keys + frame.shape[1], ws.title
        assert ws.freeze_panes == f"{column_letter(n_keys + 1)}2"
        assert all(c.font.b for c in ws[1])
        codes = [c.value for c in ws["A"][1:]]
        assert codes == [str(k) for k in frame.index.get_level_values("code_qp")]
        if series:
            periods = [c.value for c in ws["C"][1:]]
            assert periods == [str(p) for p in frame.index.get_level_values("periode")]
        hidden = db.secret_mask(name, series=series)
        for j, col in enumerate(frame.columns, start=n_keys + 1):
            cells = ws[column_letter(j)][1:]
            unit = column_unit(name, str(col))
            for k, (cell, value) in enumerate(zip(cells, frame[col].tolist(), strict=True)):
                if hidden is not None and col in hidden and bool(hidden[col].iloc[k]):
                    assert cell.value == SECRET_LABEL
                    secret_seen += 1
                elif pd.isna(value):
                    assert cell.value is None, (ws.title, cell.coordinate)
                else:
                    assert cell.value == pytest.approx(value, rel=1e-15), cell.coordinate
                    assert cell.data_type == "n"
                if unit in ("nombre", "logements"):
                    assert cell.number_format == "#,##0"
    assert (secret_seen > 0) == (profil == "public")
