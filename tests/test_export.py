"""Exports: French CSV, XLSX with French headers and a sources sheet, long table round trip."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import gupgeo
from gupgeo.dashboard.export import (
    LONG_COLUMNS,
    METHOD_SHEET,
    export_dashboard,
    long_table,
    read_long_csv,
    tables_from_long,
    write_csv,
    write_xlsx,
)
from gupgeo.dashboard.model import Dashboard, build_dashboard
from gupgeo.french import csv_decimals
from gupgeo.indicators import TOTAL
from gupgeo.indicators.catalog import TABLE_INFO, column_unit
from tests._dashboard_fixtures import layers

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def db() -> Dashboard:
    return build_dashboard(layers(), period="2024-T1", freq="month")


def test_long_table_shape_and_units(db: Dashboard) -> None:
    long = long_table(db)
    assert tuple(long.columns) == LONG_COLUMNS
    row = long[
        (long["code_qp"] == "QP-A")
        & (long["indicateur"] == "signalements.delai_median_jours")
        & (long["periode"] == "2024-T1")
    ]
    assert row["valeur"].tolist() == [2.0]
    assert row["unite"].tolist() == ["jours"]
    units = dict(zip(long["indicateur"], long["unite"], strict=True))
    assert units["signalements.par_1000_habitants"] == "pour 1 000 habitants"
    assert units["signalements.part_clos_pct"] == "%"
    assert units["tfpb_montant_par_axe.sur-entretien"] == "€"
    assert units["signalements_par_categorie.Tags"] == "nombre"
    assert set(long["periode"]) == {"2024-T1", "2024-01", "2024-02", "2024-03"}


def test_long_table_round_trips_in_memory(db: Dashboard) -> None:
    back = tables_from_long(long_table(db))
    assert set(back) == set(db.tables)
    for name, table in db.tables.items():
        whole = back[name].xs("2024-T1", level="periode")
        pd.testing.assert_frame_equal(whole, table.astype("float64"), check_names=False)
    for name, series in db.series.items():
        months = back[name].drop(index="2024-T1", level="periode")
        pd.testing.assert_frame_equal(months, series.astype("float64"))


@pytest.mark.parametrize("french", [True, False])
def test_csv_files_and_long_csv_round_trip(db: Dashboard, tmp_path: Path, french: bool) -> None:
    written = write_csv(db, tmp_path, french=french)
    names = {p.name for p in written}
    assert {"signalements.csv", "signalements_par_mois.csv", "indicateurs_long.csv"} <= names
    assert "sources_et_methode.txt" in names
    raw = (tmp_path / "signalements.csv").read_bytes()
    if french:
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
        text = raw.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("code_qp;nom_qp;nb_signalements;")
        assert "QP-A;Les Acacias;5;2,5;0,5;" in text
    else:
        assert "QP-A,Les Acacias,5,2.5,0.5," in raw.decode("utf-8")
    back = read_long_csv(tmp_path / "indicateurs_long.csv", french=french)
    pd.testing.assert_frame_equal(back, long_table(db), check_exact=True)


def test_wide_csv_reads_back_rounded_by_unit(db: Dashboard, tmp_path: Path) -> None:
    write_csv(db, tmp_path, french=True)
    frame = pd.read_csv(
        tmp_path / "signalements.csv",
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        index_col="code_qp",
    )
    original = db["signalements"]
    assert frame["nom_qp"].tolist() == ["Les Acacias", "Le Bocage", "Hors QPV", "Total"]
    for column in original.columns:
        decimals = csv_decimals(column_unit("signalements", column))
        np.testing.assert_array_equal(
            frame[column].to_numpy(float), original[column].to_numpy(float).round(decimals)
        )
    # 200 / 9 = 22.22…% closed, 25.8 days: one decimal each; 9 signalements: none.
    assert frame.loc[TOTAL, "part_clos_pct"] == 22.2
    assert frame.loc[TOTAL, "delai_p90_jours"] == 25.8
    assert frame.loc[TOTAL, "nb_signalements"] == 9


WIDE_NUMBER = re.compile(r"^-?\d+(?:[.,](\d+))?$")


@pytest.mark.parametrize("french", [True, False])
def test_no_wide_csv_cell_has_more_than_two_decimals(tmp_path: Path, french: bool) -> None:
    sample = build_dashboard(gupgeo.load_territory(SAMPLE), period="2024", freq="quarter")
    written = write_csv(sample, tmp_path, french=french)
    wide = [p for p in written if p.suffix == ".csv" and p.name != "indicateurs_long.csv"]
    assert len(wide) == len(sample.tables) + len(sample.series)
    checked = 0
    for path in wide:
        text = path.read_text(encoding="utf-8-sig" if french else "utf-8")
        for row in csv.reader(io.StringIO(text), delimiter=";" if french else ","):
            for cell in row:
                if m := WIDE_NUMBER.match(cell):
                    assert len(m[1] or "") <= 2, (path.name, cell)
                    checked += 1
    assert checked > 1000
    # The long table keeps the raw values: some have many more digits.
    long = read_long_csv(tmp_path / "indicateurs_long.csv", french=french)
    raw = long["valeur"].dropna()
    assert (raw.round(2) != raw).any()


def test_xlsx_sheets_headers_and_method(db: Dashboard, tmp_path: Path) -> None:
    path = write_xlsx(db, tmp_path / "tableau.xlsx")
    wb = load_workbook(path, read_only=True)
    sheets = wb.sheetnames
    assert sheets[0] == "Signalements"
    assert sheets[-1] == METHOD_SHEET
    assert "Signalements par catégorie" in sheets
    assert "Signalements par mois" in sheets
    assert "Sig. catégories par mois" in sheets
    assert all(len(s) <= 31 for s in sheets)
    assert len(sheets) == len(set(sheets)) == len(db.tables) + len(db.series) + 1
    rows = list(wb["Signalements"].iter_rows(values_only=True))
    assert rows[0][:5] == (
        "Code QP",
        "Quartier",
        "Signalements",
        "Pour 1 000 habitants",
        "Par hectare",
    )
    assert rows[1][:3] == ("QP-A", "Les Acacias", 5)
    assert rows[-1][0] == TOTAL
    assert rows[3][rows[0].index("Délai médian de clôture (jours)")] == 18
    series = list(wb["Signalements par mois"].iter_rows(values_only=True))
    assert series[0][:3] == ("Code QP", "Quartier", "Période")
    assert series[1][2] == "2024-01"
    method = [r[0] for r in wb[METHOD_SHEET].iter_rows(values_only=True) if r and r[0]]
    assert method[0].startswith("Tableau de bord GUP — période 2024-T1")
    for heading in ("Sources", "Méthode et remarques", "Contrôle des totaux", "Définitions"):
        assert heading in method
    assert any("ESSP" in str(v) for v in method)
    checks = [r for r in wb[METHOD_SHEET].iter_rows(values_only=True) if r and r[-1] == "oui"]
    assert len(checks) == len(db.reconciliation())
    wb.close()


def test_sheet_titles_fit_excel() -> None:
    for info in TABLE_INFO.values():
        assert len(info.title) <= 31
        assert len(f"{info.series_title} par trimestre") <= 31, info.name


def test_export_writes_everything(db: Dashboard, tmp_path: Path) -> None:
    written = export_dashboard(db, tmp_path / "out", charts=False)
    assert (tmp_path / "out" / "tableau_de_bord_2024-T1.xlsx") in written
    assert all(p.exists() for p in written)
    custom = build_dashboard(layers(), period=("2024-01-01", "2024-03-31"), freq="month")
    paths = export_dashboard(custom, tmp_path / "custom", charts=False)
    assert any(p.name == "tableau_de_bord_2024-01-01_2024-03-31.xlsx" for p in paths)


def test_sources_and_method_say_the_coverage(tmp_path: Path) -> None:
    data = layers()
    db = build_dashboard(data, period="2024-T2", freq="month")
    write_csv(db, tmp_path)
    text = (tmp_path / "sources_et_methode.txt").read_text(encoding="utf-8")
    assert "Couverture des données (période 2024-T2) :" in text
    # The fixture's signalements end on 25 March 2024: 2024-T2 is outside them.
    assert (
        "- signalements du 15/11/2023 au 25/03/2024 — période non couverte : chiffres n.c."
    ) in text
    wb = load_workbook(write_xlsx(db, tmp_path / "t.xlsx"), read_only=True)
    rows = [r for r in wb[METHOD_SHEET].iter_rows(values_only=True) if r and r[0]]
    wb.close()
    heading = [r[0] for r in rows].index("Couverture des données (période 2024-T2)")
    assert rows[heading + 1][:5] == (
        "Couche",
        "Première date",
        "Dernière date",
        "Origine",
        "Période",
    )
    covered = {r[0]: r for r in rows[heading + 2 : heading + 2 + len(db.coverages)]}
    assert covered["signalements"][1:3] == ("15/11/2023", "25/03/2024")
    assert covered["signalements"][4].startswith("période non couverte")
    assert np.isnan(db["signalements"].loc["QP-A", "nb_signalements"])


@pytest.mark.parametrize("french", [True, False])
def test_long_csv_is_the_long_table_written_by_pandas(tmp_path: Path, french: bool) -> None:
    """indicateurs_long.csv is joined straight from the tables: byte for byte what
    pandas writes from long_table(), quoting, CRLF and BOM included."""
    data = layers()
    sig = data["signalements"]
    odd = ["a;b", 'guillemet "x"', "retour\rchariot", "virgule, point.", "Tags"]
    data["signalements"] = sig.assign(categorie=[odd[i % len(odd)] for i in range(len(sig))])
    db = build_dashboard(data, period="2024-T1", freq="month", publication="interne")
    assert {"a;b", "retour\rchariot"} <= set(db.tables["signalements_par_categorie"].columns)
    written = write_csv(db, tmp_path / "fast", french=french)
    fast = next(p for p in written if p.name == "indicateurs_long.csv").read_bytes()
    reference = tmp_path / "pandas.csv"
    long_table(db).to_csv(
        reference,
        index=False,
        sep=";" if french else ",",
        encoding="utf-8-sig" if french else "utf-8",
        float_format=lambda v: (
            repr(float(v)).removesuffix(".0").replace(".", "," if french else ".")
        ),
        lineterminator="\r\n",  # a CR in a cell: CRLF, so that the cell is quoted
    )
    assert fast == reference.read_bytes()
    assert b'"signalements_par_categorie.retour\rchariot"' in fast and b"\r\n" in fast
    back = read_long_csv(tmp_path / "fast" / "indicateurs_long.csv", french=french)
    pd.testing.assert_frame_equal(back, long_table(db))
