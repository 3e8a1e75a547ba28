"""Incremental imports: new rows appended, changed statuses updated and dated, nothing twice.

The comparison is tested on hand-built frames (no database); the whole path on the
GeoPackage store and, when a server is available (tests/postgis_support.py), on PostGIS:
a territory saved from the bundled sample, then two small monthly exports written as
French CSV (``;``, dd/mm/yyyy, decimal comma) drawn from the sample's own signalements.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from gupgeo import load_territory
from gupgeo.cli import main
from gupgeo.storage.importer import compare, import_export, read_history
from tests.conftest import SAMPLE

MAY, JUNE = dt.datetime(2024, 5, 1), dt.datetime(2024, 6, 1)
SOURCE = pd.read_csv(SAMPLE / "signalements.csv", sep=";", encoding="utf-8-sig", dtype=str)


def test_compare_inserts_updates_and_dates_each_status() -> None:
    old = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "statut": ["nouveau", "en cours", None],
            "date_cloture": pd.to_datetime([None, None, None]),
        }
    )
    new = pd.DataFrame(
        {
            "id": ["b", "c", "d", "a"],
            "statut": ["résolu", None, "nouveau", "nouveau"],
            "date_cloture": pd.to_datetime(["2024-04-30", None, None, None]),
        }
    )
    diff = compare(old, new, seen_at=MAY)
    assert (diff.inserted, diff.updated, diff.unchanged) == (1, 1, 2)
    assert diff.merged["id"].tolist() == ["a", "b", "c", "d"]
    assert diff.merged["statut"].tolist()[:2] == ["nouveau", "résolu"]
    assert diff.merged["date_cloture"].iloc[1] == pd.Timestamp("2024-04-30")
    assert diff.merged["date_cloture"].dtype == old["date_cloture"].dtype
    assert diff.history[["id", "statut_avant", "statut_apres"]].astype(object).where(
        diff.history[["id", "statut_avant", "statut_apres"]].notna(), None
    ).values.tolist() == [["b", "en cours", "résolu"], ["d", None, "nouveau"]]
    assert (diff.history["vu_le"] == MAY).all()
    again = compare(diff.merged, new, seen_at=JUNE)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert again.history.empty and len(again.merged) == 4


def test_a_closing_date_alone_updates_without_a_status_change() -> None:
    old = pd.DataFrame({"id": ["a"], "statut": ["résolu"], "date_cloture": pd.to_datetime([None])})
    new = old.assign(date_cloture=pd.to_datetime(["2024-05-02"]))
    diff = compare(old, new, seen_at=MAY)
    assert diff.updated == 1 and diff.history.empty


def export(path: Path, rows: pd.DataFrame) -> Path:
    rows.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return path


@pytest.fixture(scope="module")
def months() -> tuple[pd.DataFrame, pd.DataFrame]:
    """May: 40 known signalements (statuses reset to « Nouveau ») + 10 new ones and a bad
    row; June: the same with 5 statuses closed."""
    known = SOURCE.iloc[:40].assign(statut="Nouveau", date_cloture="")
    fresh = SOURCE.iloc[:10].assign(id=[f"NEW-{i}" for i in range(10)])
    broken = SOURCE.iloc[:1].assign(id="NEW-X", date_signalement="pas une date")
    may = pd.concat([known, fresh, broken], ignore_index=True)
    june = may.copy()
    june.loc[:4, "statut"] = "Résolu"
    june.loc[:4, "date_cloture"] = "30/05/2024"
    return may, june


def check_two_imports(store: str | Path, tmp_path: Path, months) -> None:
    may, june = months
    before = len(load_territory(store)["signalements"])
    first = import_export(export(tmp_path / "signalements_2024-05.csv", may), store, seen_at=MAY)
    assert first.balanced and first.read == 51 and first.rejected == 1
    assert (first.inserted, first.updated) == (10, 40)  # the sample's statuses were not « Nouveau »
    after_may = load_territory(store)
    assert len(after_may["signalements"]) == before + 10
    assert not after_may.report.fatal
    second = import_export(tmp_path / "signalements_2024-05.csv", store, seen_at=JUNE)
    assert (second.inserted, second.updated, second.unchanged, second.rejected) == (0, 0, 50, 1)
    assert len(load_territory(store)["signalements"]) == before + 10
    third = import_export(export(tmp_path / "signalements_2024-06.csv", june), store, seen_at=JUNE)
    assert (third.inserted, third.updated, third.unchanged) == (0, 5, 45) and third.balanced
    sig = load_territory(store)["signalements"].set_index("id")
    closed = june["id"].iloc[:5]
    assert (sig.loc[closed, "statut"] == "résolu").all()
    assert (sig.loc[closed, "date_cloture"] == pd.Timestamp("2024-05-30")).all()
    history = read_history(store)
    june_rows = history[history["vu_le"] == JUNE]
    assert sorted(june_rows["id"]) == sorted(closed)
    assert set(june_rows["statut_avant"]) == {"nouveau"}
    assert set(june_rows["statut_apres"]) == {"résolu"}
    may_rows = history[history["vu_le"] == MAY]  # 10 first seen, statuses set back to new
    assert may_rows["statut_avant"].isna().sum() == 10
    changed = may_rows.dropna(subset=["statut_avant"])
    assert 30 <= len(changed) <= 40 and (changed["statut_avant"] != "nouveau").all()
    assert set(changed["statut_apres"]) == {"nouveau"}
    assert len(history) == len(may_rows) + 5


def test_two_imports_into_a_geopackage(tmp_path: Path, months) -> None:
    store = tmp_path / "territoire.gpkg"
    load_territory(SAMPLE).save(store, rejects=False)
    check_two_imports(store, tmp_path, months)


def test_two_imports_into_postgis(tmp_path: Path, months, pg_url: str) -> None:
    load_territory(SAMPLE).save(pg_url)
    check_two_imports(pg_url, tmp_path, months)


def test_the_importer_command(tmp_path: Path, months, capsys) -> None:
    store = tmp_path / "territoire.gpkg"
    load_territory(SAMPLE).save(store, rejects=False)
    path = export(tmp_path / "mai.csv", months[0])
    args = ["importer", str(path), "--territoire", str(store), "--date", "2024-05-01"]
    assert main(args) == 2
    assert "--couche signalements" in capsys.readouterr().err
    assert main([*args, "--couche", "signalements"]) == 0
    out = capsys.readouterr().out
    assert "51 ligne(s) lue(s) = 10 ajoutée(s) + 40 mise(s) à jour" in out
    assert "1 rejetée(s) (équilibré)" in out


def test_an_incomplete_store_is_refused(tmp_path: Path, months) -> None:
    import fiona

    from gupgeo.errors import ValidationError
    from gupgeo.storage.geopackage import SEAL_TABLE

    store = tmp_path / "territoire.gpkg"
    load_territory(SAMPLE).save(store, rejects=False)
    fiona.remove(str(store), layer=SEAL_TABLE, driver="GPKG")
    before = store.read_bytes()
    with pytest.raises(ValidationError, match=r"import refusé.*sauvegarde incomplète"):
        import_export(export(tmp_path / "signalements_2024-05.csv", months[0]), store)
    assert store.read_bytes() == before


def test_importer_maps_columns_and_refuses_what_would_lose_rows(
    tmp_path: Path, months, capsys
) -> None:
    store = tmp_path / "territoire.gpkg"
    load_territory(SAMPLE).save(store, rejects=False)
    before = len(load_territory(store)["signalements"])
    may, _ = months
    path = export(tmp_path / "export_mai.csv", may.rename(columns={"date_signalement": "Jour"}))
    args = ["importer", str(path), "--territoire", str(store), "--couche", "signalements"]
    assert main(args) == 1  # no date column: nothing imported, last line ERREUR
    out = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert out.startswith("ERREUR") and "date_signalement" in out
    assert len(load_territory(store)["signalements"]) == before
    assert main([*args, "--colonne", "date_signalement=Jour"]) == 0
    assert "51 ligne(s) lue(s) = 10 ajoutée(s)" in capsys.readouterr().out
    dates = ["pas une date"] * 11 + may["date_signalement"].iloc[11:].tolist()
    june = export(tmp_path / "signalements_juin.csv", may.assign(date_signalement=dates))
    args = ["importer", str(june), "--territoire", str(store)]
    assert main(args) == 1  # 12 of 51 rows rejected (24 %): refused, nothing written
    out = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert out.startswith("ERREUR") and "--max-rejets" in out
    assert len(load_territory(store)["signalements"]) == before + 10
    assert main([*args, "--max-rejets", "25"]) == 0
