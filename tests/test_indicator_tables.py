"""Indicator tables (national per-QPV CSV) joined onto the quartiers by ``code_qp``.

The table is tests/data/indicateurs_qpv_2024_synthetique.csv — SYNTHETIC, shaped like
the national files (scripts/make_indicateurs_synthetiques.py): 44 quartiers of five
départements, French CSV; the tiny territory's two quartiers are its first two codes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gupgeo import attribute_territory, load_territory
from gupgeo.dashboard import build_dashboard
from gupgeo.validation.indicator_tables import join_indicators
from tests.test_honest_figures import quartiers, write_folder

TABLE = Path(__file__).parent / "data" / "indicateurs_qpv_2024_synthetique.csv"


def national() -> pd.DataFrame:
    return pd.read_csv(TABLE, sep=";", dtype=str, encoding="utf-8-sig")


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    folder = write_folder(tmp_path / "t")
    quartiers().drop(columns="population").to_file(folder / "quartiers.geojson")
    (folder / "indicateurs_qpv_2024.csv").write_bytes(TABLE.read_bytes())
    return folder


def test_the_national_table_joins_onto_the_quartiers_not_a_second_layer(folder):
    t = load_territory(folder)
    assert t.report.ok, t.report.to_text()
    assert list(t) == ["quartiers", "signalements"]
    q = t["quartiers"].set_index("code_qp")
    table = national().set_index("CODE_QP")
    for code in ("QN03701M", "QN03702M"):
        assert q.loc[code, "population"] == int(table.loc[code, "POP_MUN_2020"])
        assert q.loc[code, "logements"] == int(table.loc[code, "NB_LOG_2020"])
        assert q.loc[code, "tx_pauv60"] == float(table.loc[code, "TX_PAUV60"].replace(",", "."))
        assert q.loc[code, "rev_med_disp"] == float(
            table.loc[code, "REV_MED_DISP"].replace(" ", "")
        )
    assert "dep" not in q.columns and "lib_com" not in q.columns  # codes and names stay out
    report = t.report.layer("indicateurs")
    assert report.rows_read == report.rows_kept == 44 and report.rows_rejected == 0
    text = report.to_text()
    assert "2 quartier(s) sur 2 appariés" in text
    assert "42 code(s) de la table hors du territoire" in text
    assert "dont 10 du même département : QN03703M" in text  # listed for the département


def test_rates_per_1000_inhabitants_then_work_in_the_dashboard(folder):
    t = attribute_territory(load_territory(folder))
    db = build_dashboard(t, period="2024")
    rates = db.tables["signalements"]["par_1000_habitants"]
    population = t["quartiers"].set_index("code_qp")["population"]
    counts = db.tables["signalements"]["nb_signalements"]
    for code in ("QN03701M", "QN03702M"):
        assert rates[code] == pytest.approx(counts[code] / population[code] * 1000)


def test_2015_codes_are_told_apart_from_2024_quartiers():
    table = national().head(3).assign(CODE_QP=["QP037001", "QP037002", "QP037003"])
    joined, report = join_indicators(quartiers(), table, source="indicateurs_2015.csv")
    assert joined["logements"].isna().all()
    text = report.to_text()
    assert "2 quartier(s) sans ligne dans la table : QN03701M, QN03702M" in text
    assert "codes de 2015 dans la table (QP…) et quartiers de 2024 (QN…)" in text
    assert "0 quartier(s) sur 2 appariés" in text


def test_the_quartiers_own_values_win_and_gaps_are_filled():
    q = quartiers().assign(population=[2000, None])
    joined, report = join_indicators(q, national().head(2), source="indicateurs.csv")
    assert joined["population"].tolist() == [2000, int(national().loc[1, "POP_MUN_2020"])]
    assert "colonnes jointes : population, logements" in report.to_text()


def test_a_manifest_declares_an_indicator_table_whatever_its_name(tmp_path):
    folder = write_folder(tmp_path / "t")
    quartiers().drop(columns="population").to_file(folder / "quartiers.geojson")
    (folder / "donnees_anct.csv").write_bytes(TABLE.read_bytes())
    (folder / "gupgeo.toml").write_text(
        '[fichiers."donnees_anct.csv"]\ncouche = "indicateurs"\n', encoding="utf-8"
    )
    t = load_territory(folder)
    assert t["quartiers"]["population"].notna().all()
    assert t.report.layer("indicateurs").rows_read == 44


def test_a_table_without_code_column_is_fatal_and_says_what_it_read():
    table = pd.DataFrame({"quartier": ["A"], "population": [12]})
    _, report = join_indicators(quartiers(), table, source="indicateurs.csv")
    assert report.fatal and "colonne de code quartier" in report.to_text()
