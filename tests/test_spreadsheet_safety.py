"""Spreadsheet-safe exports: no formula in any XLSX cell, CSV payloads neutralised.

The dashboard fixture of tests/_dashboard_fixtures.py with every category, theme,
bailleur and quartier name replaced by a formula-injection payload (OWASP's list of
leading characters), plus one negative amount that must stay a number.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from gupgeo._spreadsheet import csv_safe, is_formula_like, write_csv
from gupgeo.attribution.zones import attribute, write_attribution
from gupgeo.dashboard.export import METHOD_SHEET, export_dashboard, long_table, read_long_csv
from gupgeo.dashboard.model import Dashboard, build_dashboard
from gupgeo.validation.report import ValidationReport
from tests._dashboard_fixtures import layers

PAYLOADS = ('=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx")
LABELS = PAYLOADS[:4]
"""Payloads that stay whole as column labels (the indicators trim labels' whitespace)."""
NEGATIVE_EUR = -300.0


def _cycle(n: int) -> list[str]:
    return [PAYLOADS[i % len(PAYLOADS)] for i in range(n)]


def hostile_layers() -> dict[str, pd.DataFrame]:
    out = layers()
    q = out["quartiers"]
    extra = pd.DataFrame(
        {
            "code_qp": [f"QP-{c}" for c in "CDEF"],
            "population": 100,
            "surface_ha": 1.0,
            "logements": 10,
        }
    )
    q = pd.concat([q, extra], ignore_index=True)
    q["nom_qp"] = PAYLOADS
    out["quartiers"] = q.astype({"code_qp": "str", "nom_qp": "str"})
    sig = out["signalements"]
    out["signalements"] = sig.assign(categorie=_cycle(len(sig)))
    act = out["actions"]
    out["actions"] = act.assign(theme=_cycle(len(act)))
    tfpb = out["tfpb"]
    tfpb = tfpb.assign(bailleur=_cycle(len(tfpb)))
    tfpb.loc[3, "montant_eur"] = NEGATIVE_EUR  # QP-B, 2024: a correction, a real number
    out["tfpb"] = tfpb
    return out


@pytest.fixture(scope="module")
def db() -> Dashboard:
    # interne: the exporter itself must neutralise formulas (partenaires would already
    # have grouped these rare labels into « autre »)
    return build_dashboard(hostile_layers(), period="2024-T1", freq="month", publication="interne")


def test_partenaires_groups_formula_labels_into_autre():
    db = build_dashboard(hostile_layers(), period="2024-T1", freq="month")
    shown = set(db.tables["signalements_par_categorie"].columns)
    assert "autre" in shown and not [c for c in shown if str(c)[:1] in "=+-@"]


@pytest.fixture(scope="module")
def exported(db: Dashboard, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("tableau")
    return export_dashboard(db, out, charts=False)


def _xlsx(written: list[Path]) -> list[Path]:
    paths = [p for p in written if p.suffix == ".xlsx"]
    assert paths, "aucun XLSX écrit : le test ne vérifie plus rien"
    return paths


def test_no_formula_element_in_any_sheet(exported: list[Path]) -> None:
    for path in _xlsx(exported):
        with zipfile.ZipFile(path) as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
            assert sheets
            for name in sheets:
                xml = z.read(name).decode("utf-8")
                assert not re.search(r"<(\w+:)?f[ >/]", xml), f"formule dans {path.name}:{name}"


def test_xlsx_cells_and_headers_read_back_as_the_exact_text(exported: list[Path]) -> None:
    (path,) = _xlsx(exported)
    wb = load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for payload in PAYLOADS:
        assert payload in texts, f"{payload!r} absent ou altéré dans le XLSX"
    assert all(c.data_type != "f" for c in cells)
    categories = wb["Signalements par catégorie"]
    headers = [c.value for c in categories[1]]
    assert set(LABELS) <= set(headers)  # category names as headers, as typed
    names = [c.value for c in categories["B"][1:]]
    assert set(PAYLOADS) <= set(names)  # quartier names, as typed
    for cell in (c for c in cells if isinstance(c.value, str) and is_formula_like(c.value)):
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate


def test_xlsx_negative_amounts_stay_numbers(exported: list[Path]) -> None:
    (path,) = _xlsx(exported)
    ws = load_workbook(path)["TFPB montants par bailleur"]
    numbers = [c.value for row in ws.iter_rows(min_row=2) for c in row if c.data_type == "n"]
    assert NEGATIVE_EUR in numbers


def test_method_sheet_says_which_outputs_are_neutralised(exported: list[Path]) -> None:
    (path,) = _xlsx(exported)
    ws = load_workbook(path)[METHOD_SHEET]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "jamais comme une formule" in text and "indicateurs_long.csv" in text
    method = next(p for p in exported if p.name == "sources_et_methode.txt")
    assert "indicateurs_long.csv garde les valeurs brutes" in method.read_text(encoding="utf-8")


def _csv_rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _csv_cells(path: Path) -> list[str]:
    return [cell for row in _csv_rows(path) for cell in row]


def test_csv_payloads_are_prefixed_headers_included(exported: list[Path]) -> None:
    csvs = [p for p in exported if p.suffix == ".csv" and p.name != "indicateurs_long.csv"]
    assert len(csvs) > 5
    for path in csvs:
        cells = _csv_cells(path)
        hostile = [c for c in cells if is_formula_like(c)]
        assert not hostile, f"{path.name} : {hostile[:3]}"
    header, *rows = _csv_rows(next(p for p in csvs if p.name == "signalements_par_categorie.csv"))
    names = [row[1] for row in rows]
    for payload in PAYLOADS:  # quartier names
        assert "'" + payload in names, payload
    for label in LABELS:  # category names, in the header
        assert "'" + label in header, label


def test_csv_negative_numbers_are_untouched(exported: list[Path]) -> None:
    path = next(p for p in exported if p.name == "tfpb_montant_par_bailleur.csv")
    frame = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert (frame.select_dtypes("number") == NEGATIVE_EUR).any().any()
    assert "-300" in _csv_cells(path) and "'-300" not in _csv_cells(path)


def test_long_csv_keeps_raw_values(db: Dashboard, exported: list[Path]) -> None:
    path = next(p for p in exported if p.name == "indicateurs_long.csv")
    back = read_long_csv(path)
    pd.testing.assert_frame_equal(back, long_table(db), check_exact=True)
    for label in LABELS:
        assert f"signalements_par_categorie.{label}" in set(back["indicateur"])


def test_rejects_csv_is_neutralised(tmp_path: Path) -> None:
    report = ValidationReport()
    report.rejects["signalements"] = pd.DataFrame(
        {"ligne": ["ligne 2", "ligne 3"], "motif": ["=1+1", "ok"], "longitude": ["-1.5", "-2+3"]}
    )
    (path,) = report.write_rejects(str(tmp_path))
    back = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str)
    assert back["motif"].tolist() == ["'=1+1", "ok"]
    assert back["longitude"].tolist() == ["-1.5", "'-2+3"]  # a number stays a number
    assert [p.name for p in tmp_path.iterdir()] == ["rejets_signalements.csv"]  # no temp left


def test_attribution_csv_is_neutralised(squares, points, tmp_path: Path) -> None:
    hostile = points.assign(categorie=list(PAYLOADS[:4]))
    result = attribute(hostile, squares, key="code_qp", tolerance_m=20)
    write_attribution(result, tmp_path / "rattaches.csv")
    back = pd.read_csv(tmp_path / "rattaches.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert back["categorie"].tolist() == ["'" + p for p in PAYLOADS[:4]]
    assert back["code_qp_distance_m"].dtype == "float64"


def test_a_carriage_return_inside_a_cell_keeps_the_row_whole(tmp_path: Path) -> None:
    frame = pd.DataFrame({"nom": ["\rx", "a\rb", "c"], "n": [-1, 0, 1]})
    write_csv(frame, tmp_path / "a.csv", sep=";", lineterminator="\n")
    rows = _csv_rows(tmp_path / "a.csv")
    assert rows == [["nom", "n"], ["'\rx", "-1"], ["a\rb", "0"], ["c", "1"]]


def test_write_csv_leaves_numbers_and_plain_text_alone(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "n": [-1, 2],
            "f": [-0.5, 1.25],
            "texte": ["-4", "Tags"],
            "cat": pd.Categorical(["@x", None]),
        }
    )
    safe = csv_safe(frame)
    assert safe["n"].tolist() == [-1, 2] and safe["f"].tolist() == [-0.5, 1.25]
    assert safe["texte"].tolist() == ["-4", "Tags"]
    assert safe["cat"].iloc[0] == "'@x" and pd.isna(safe["cat"].iloc[1])
    write_csv(frame, tmp_path / "a.csv", sep=";")
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").splitlines() == [
        "n;f;texte;cat",
        "-1;-0.5;-4;'@x",
        "2;1.25;Tags;",
    ]
