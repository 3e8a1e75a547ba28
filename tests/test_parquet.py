"""GeoParquet: layers partitioned by year (hive style), read back through validation.

The round trip uses the bundled sample territory, attributed; the rules use the tiny
Lambert-93 squares and points of conftest, and hand-made partitioned folders (as another
tool would write them) for what the reader must repair and report.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gupgeo import Territory, load_territory, read_layer
from gupgeo._lock import file_lock
from gupgeo.attribution import attribute_territory
from gupgeo.errors import BusyError, InputFileError, OutputExistsError, SchemaError
from gupgeo.readers.parquet import HIVE_NULL, is_dataset
from gupgeo.storage import parquet
from gupgeo.storage.parquet import read_layer_dask, write_layer_parquet
from tests.conftest import X0, Y0, require_sample

PROVENANCE = pd.DataFrame({"layer": ["quartiers"]}, dtype="string")


@pytest.fixture(scope="module")
def attributed() -> Territory:
    return attribute_territory(load_territory(require_sample()))


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    key = "id" if "id" in frame.columns else frame.columns[0]
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def assert_same_layer(got: pd.DataFrame, expected: pd.DataFrame, name: str) -> None:
    assert len(got) == len(expected), name
    plain = [c for c in expected.columns if c != "geometry"]
    assert [c for c in got.columns if c != "geometry"] == plain, name
    a, b = by_id(pd.DataFrame(got)), by_id(pd.DataFrame(expected))
    pd.testing.assert_frame_equal(
        a.drop(columns="geometry", errors="ignore"),
        b.drop(columns="geometry", errors="ignore"),
        check_categorical=False,
        check_dtype=False,
        obj=name,
    )
    if isinstance(expected, gpd.GeoDataFrame):
        assert isinstance(got, gpd.GeoDataFrame) and got.crs == expected.crs, name
        ga, gb = a.geometry.array, b.geometry.array
        assert (shapely.is_missing(ga) == shapely.is_missing(gb)).all(), name
        present = ~shapely.is_missing(gb)
        assert shapely.equals_exact(ga[present], gb[present]).all(), name


def test_the_sample_territory_round_trips(attributed: Territory, tmp_path: Path) -> None:
    target = tmp_path / "territoire"
    assert attributed.save(target, format="parquet") == target
    assert is_dataset(target / "signalements") and not is_dataset(target)
    years = sorted(p.name for p in (target / "signalements").iterdir() if p.is_dir())
    assert years == ["annee=2022", "annee=2023", "annee=2024"]
    assert (target / "quartiers.parquet").is_file()  # zones keep their order: one file
    back = load_territory(target)
    assert not back.report.fatal and back.report.balanced
    assert back.report.rows_read == sum(len(f) for f in attributed.layers.values())
    assert list(back.layers) == list(attributed.layers)
    for name, frame in attributed.layers.items():
        assert_same_layer(back[name], frame, name)
    assert back["quartiers"]["code_qp"].tolist() == attributed["quartiers"]["code_qp"].tolist()
    assert back["signalements"].crs.to_epsg() == 2154
    for name, saved in attributed.provenance.items():
        got = back.provenance[name]
        assert (got.source, got.format, got.file_date) == (
            saved.source, saved.format, saved.file_date), name  # fmt: skip
        assert (got.qpv_vintage, got.perimeters) == (saved.qpv_vintage, saved.perimeters), name


def test_years_undated_rows_and_file_size(points: gpd.GeoDataFrame, tmp_path: Path) -> None:
    layer = points.assign(
        date=pd.to_datetime(["2023-12-31", "2024-01-01", None, "2024-06-30"]),
        demarche="diagnostic en marchant",
        theme="éclairage",
    )
    out = write_layer_parquet(layer, tmp_path / "constats", layer="constats", rows_per_file=1)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.parquet"))
    assert files == [
        "annee=2023/part-00000.parquet",
        "annee=2024/part-00000.parquet",
        "annee=2024/part-00001.parquet",
        f"annee={HIVE_NULL}/part-00000.parquet",
    ]
    assert json.loads((out / "_gupgeo.json").read_text(encoding="utf-8")) == {
        "couche": "constats", "partition": "annee", "colonne_date": "date"}  # fmt: skip
    back = read_layer(out, "constats", max_rejects_pct=50)
    report = back.attrs["rapport"]
    # The undated row is read back from its partition, then rejected (a constat needs
    # its date), with its reason: counts in = counts out.
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (4, 3, 1)
    assert report.rejects["constats"]["id"].tolist() == ["S3"]
    assert "annee" not in back.columns  # derived from the date: not a column of its own
    assert sorted(back["id"]) == ["S1", "S2", "S4"]


def test_a_foreign_partitioned_folder_is_validated(squares: gpd.GeoDataFrame, tmp_path: Path):
    """Another tool's folder: partition columns kept, bad geometry repaired and said,
    an unreadable date rejected with its reason; counts in = counts out."""
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    rows = {
        "id": ["C1", "C2", "C3"],
        "date": ["2024-03-01", "pas une date", "2024-04-02"],
        "demarche": ["marche exploratoire"] * 3,
        "theme": ["éclairage", "propreté", "accès"],
    }
    geoms = [bowtie, shapely.Point(X0 + 5, Y0 + 5), shapely.Point(X0 + 50, Y0 + 50)]
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=2154)
    root = tmp_path / "constats_ville"
    for commune, part in (("tours", frame.iloc[:2]), ("joue", frame.iloc[2:])):
        (root / f"commune={commune}").mkdir(parents=True)
        part.to_parquet(root / f"commune={commune}" / "part-0.parquet", index=False)
    back = read_layer(root, "constats", max_rejects_pct=50)
    report = back.attrs["rapport"]
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (3, 2, 1)
    assert back.set_index("id")["commune"].to_dict() == {"C1": "tours", "C3": "joue"}
    text = report.to_text()
    assert "répar" in text and "pas une date" in text and "partitionné" in text
    assert back.geometry.is_valid.all()


def test_a_folder_gupgeo_did_not_write_is_never_replaced(
    squares: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    target = tmp_path / "dossier"
    target.mkdir()
    (target / "notes.txt").write_text("à garder", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="pas été écrit par gupgeo"):
        Territory({"quartiers": squares}).save(target, format="parquet")
    assert (target / "notes.txt").read_text(encoding="utf-8") == "à garder"


def test_a_resave_keeps_the_users_files_and_replaces_gupgeo_ones(
    squares: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    target = tmp_path / "territoire"
    Territory({"quartiers": squares}).save(target, format="parquet")
    (target / "mes_notes.txt").write_text("à garder", encoding="utf-8")
    Territory({"quartiers": squares.iloc[:1]}).save(target, format="parquet")
    assert (target / "mes_notes.txt").read_text(encoding="utf-8") == "à garder"
    assert len(load_territory(target)["quartiers"]) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_a_save_without_its_seal_is_fatal(squares: gpd.GeoDataFrame, tmp_path: Path) -> None:
    target = tmp_path / "territoire"
    Territory({"quartiers": squares}).save(target, format="parquet")
    (target / "gupgeo_sauvegarde.parquet").unlink()
    report = load_territory(target).report
    assert report.fatal and "sauvegarde incomplète" in report.to_text()


def test_wrong_arguments_say_what_is_expected(points: gpd.GeoDataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="partition_by"):
        write_layer_parquet(points, tmp_path / "x", partition_by="commune")
    with pytest.raises(SchemaError, match="date_column"):
        write_layer_parquet(points, tmp_path / "x", layer="quartiers")
    with pytest.raises(SchemaError, match="datetime64"):
        write_layer_parquet(points, tmp_path / "x", date_column="date_signalement")
    with pytest.raises(ValueError, match="format"):
        Territory({"signalements": points}).save(tmp_path / "t", format="csv")
    with pytest.raises(InputFileError, match="écrit par gupgeo"):
        read_layer_dask(tmp_path)


def test_a_single_file_keeps_its_rows_in_order(squares: gpd.GeoDataFrame, tmp_path: Path):
    path = write_layer_parquet(squares, tmp_path / "quartiers.parquet", partition_by=None)
    back = read_layer(path, "quartiers")
    assert back["code_qp"].tolist() == ["LOC-A", "LOC-B"] and back.crs.to_epsg() == 2154


def test_one_writer_at_a_time_on_a_folder(squares: gpd.GeoDataFrame, tmp_path: Path) -> None:
    """A second save of the same folder waits for the first, then gives up saying so."""
    target = tmp_path / "territoire"
    Territory({"quartiers": squares}).save(target, format="parquet")
    failures: list[BaseException] = []

    def second_writer() -> None:
        try:
            parquet.save_tables(target, {"quartiers": squares.iloc[:1]}, PROVENANCE, wait_s=0.3)
        except BaseException as exc:
            failures.append(exc)

    with file_lock(target):
        writer = threading.Thread(target=second_writer)
        writer.start()
        writer.join(timeout=60)
    assert len(failures) == 1 and isinstance(failures[0], BusyError)
    assert "rien n'a été écrit" in str(failures[0])
    assert len(load_territory(target)["quartiers"]) == len(squares)  # the first one's rows
    parquet.save_tables(target, {"quartiers": squares.iloc[:1]}, PROVENANCE, wait_s=0.3)
    assert len(load_territory(target)["quartiers"]) == 1  # free again once released
