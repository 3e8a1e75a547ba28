"""Saving a territory never destroys: foreign tables kept, atomic rename, a seal written last.

Tiny hand-built layers (the ``squares``/``points`` fixtures of conftest) for the rules; one
kill test saves a territory of 200,000 signalements in a subprocess (about two seconds) and
SIGKILLs it mid-write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fiona
import geopandas as gpd
import pyogrio
import pytest
import shapely

from gupgeo import Territory, load_territory
from gupgeo.cli import main
from gupgeo.errors import OutputExistsError
from gupgeo.storage.geopackage import PROVENANCE_TABLE, SEAL_TABLE

REPO = Path(__file__).resolve().parents[1]


def counts(path: Path) -> dict[str, int]:
    """Rows of every table of a GeoPackage."""
    return {
        str(name): int(pyogrio.read_info(path, layer=str(name))["features"])
        for name in pyogrio.list_layers(path)[:, 0]
    }


def trees() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"essence": ["tilleul", "platane", "érable"]},
        geometry=[shapely.Point(525_010 + i, 6_702_010) for i in range(3)],
        crs=2154,
    )


@pytest.fixture
def territory(squares: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> Territory:
    return Territory({"quartiers": squares, "signalements": points.iloc[:2]})


def test_a_foreign_layer_survives_a_save(territory: Territory, tmp_path: Path) -> None:
    path = tmp_path / "territoire.gpkg"
    territory.save(path)
    pyogrio.write_dataframe(trees(), path, layer="mes_arbres", driver="GPKG")  # QGIS, later
    territory.save(path)
    saved = counts(path)
    assert saved["mes_arbres"] == 3 and saved["quartiers"] == 2 and saved["signalements"] == 2
    assert pyogrio.read_dataframe(path, layer="mes_arbres")["essence"].tolist() == [
        "tilleul", "platane", "érable"]  # fmt: skip
    again = load_territory(path)
    assert not again.report.fatal
    assert any("mes_arbres" in s for s in again.report.skipped)
    assert not any(PROVENANCE_TABLE in s or SEAL_TABLE in s for s in again.report.skipped)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["territoire.gpkg"]  # no temporary


def test_a_users_geopackage_keeps_its_layers(territory: Territory, tmp_path: Path) -> None:
    path = tmp_path / "mes_donnees.gpkg"
    pyogrio.write_dataframe(trees(), path, layer="mes_arbres", driver="GPKG")
    territory.save(path)
    assert counts(path)["mes_arbres"] == 3
    assert {"quartiers", "signalements", PROVENANCE_TABLE, SEAL_TABLE} <= set(counts(path))


def test_a_stale_gupgeo_layer_goes_a_foreign_one_stays(territory: Territory, tmp_path: Path):
    path = tmp_path / "territoire.gpkg"
    territory.save(path)
    pyogrio.write_dataframe(trees(), path, layer="mes_arbres", driver="GPKG")
    Territory({"quartiers": territory["quartiers"]}).save(path)
    assert set(counts(path)) == {"quartiers", "mes_arbres", PROVENANCE_TABLE, SEAL_TABLE}


def test_a_table_gupgeo_did_not_write_is_never_replaced(territory: Territory, tmp_path: Path):
    path = tmp_path / "mes_donnees.gpkg"
    pyogrio.write_dataframe(trees(), path, layer="signalements", driver="GPKG")
    before = path.read_bytes()
    with pytest.raises(OutputExistsError, match=r"signalements.*pas été écrites par gupgeo"):
        territory.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mes_donnees.gpkg"]


def test_a_file_that_is_not_a_geopackage_is_refused(territory: Territory, tmp_path: Path):
    path = tmp_path / "notes.gpkg"
    path.write_text("mes notes", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="n'est pas un GeoPackage lisible"):
        territory.save(path)
    assert path.read_text(encoding="utf-8") == "mes notes"


def test_a_save_without_its_seal_is_fatal(territory: Territory, tmp_path: Path, capsys) -> None:
    path = tmp_path / "territoire.gpkg"
    territory.save(path)
    fiona.remove(str(path), layer=SEAL_TABLE, driver="GPKG")  # as if killed before the end
    report = load_territory(path).report
    assert report.fatal
    assert "sauvegarde incomplète" in report.to_text()
    assert main(["validate", str(path)]) == 1
    assert "sauvegarde incomplète" in capsys.readouterr().out


def test_a_seal_listing_a_missing_layer_is_fatal(territory: Territory, tmp_path: Path) -> None:
    path = tmp_path / "territoire.gpkg"
    territory.save(path)
    fiona.remove(str(path), layer="signalements", driver="GPKG")
    report = load_territory(path).report
    assert report.fatal
    assert "annonce la ou les couches signalements" in report.to_text()


SAVE_BIG = """
import sys
import numpy as np, pandas as pd, geopandas as gpd, shapely
from gupgeo.territory import Territory
n = int(sys.argv[2])
rng = np.random.default_rng(0)
q = gpd.GeoDataFrame({"code_qp": ["QP-A"], "nom_qp": ["A"]},
                     geometry=[shapely.box(525000, 6702000, 526000, 6703000)], crs=2154)
x, y = 525000 + rng.random(n) * 1000, 6702000 + rng.random(n) * 1000
sig = gpd.GeoDataFrame({"id": np.arange(n).astype(str), "categorie": "propreté",
                        "date_signalement": pd.Timestamp("2024-01-01")},
                       geometry=shapely.points(x, y), crs=2154)
t = Territory({"quartiers": q, "signalements": sig})
print("debut", flush=True)
t.save(sys.argv[1])
print("fin", flush=True)
"""


@pytest.mark.slow
def test_a_save_killed_mid_write_leaves_the_previous_file(territory: Territory, tmp_path: Path):
    path = tmp_path / "territoire.gpkg"
    territory.save(path)
    pyogrio.write_dataframe(trees(), path, layer="mes_arbres", driver="GPKG")
    before = counts(path)
    proc = subprocess.Popen(
        [sys.executable, "-c", SAVE_BIG, str(path), "200000"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "debut"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    after = counts(path)
    complete = after.get("signalements") == 200_000 and "mes_arbres" in after
    assert after == before or complete, after
    assert not load_territory(path).report.fatal
    leftovers = [p for p in tmp_path.iterdir() if p.name != "territoire.gpkg"]
    if not complete:
        assert leftovers, "le test n'a pas interrompu l'écriture : rien à vérifier"
        # the temporary file, and the lock file (unlocked: the kernel released it)
        assert all(p.name.startswith(".territoire.gpkg.gupgeo-") for p in leftovers)
        assert not any(p.suffix == ".gpkg" for p in leftovers)
    territory.save(path)  # the next save clears what the dead process left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["territoire.gpkg"]
    assert counts(path)["mes_arbres"] == 3


def test_rejects_are_written_whole(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "signalements.csv").write_text(
        "id;date_signalement;categorie;longitude;latitude\n1;hier;=1+1;0,69;47,39\n",
        encoding="utf-8",
    )
    t = load_territory(tmp_path / "in")
    t.save(tmp_path / "out" / "t.gpkg")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["rejets_signalements.csv", "t.gpkg"]
    text = (tmp_path / "out" / "rejets_signalements.csv").read_text(encoding="utf-8-sig")
    assert ";'=1+1;" in text and os.linesep in text


def test_a_reload_keeps_the_raw_status(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "signalements.csv").write_text(
        "id;date_signalement;categorie;statut;longitude;latitude\n"
        "1;01/02/2024;voirie;Clôturé;0,69;47,39\n2;01/02/2024;voirie;;0,69;47,39\n",
        encoding="utf-8",
    )
    first = load_territory(tmp_path / "in")["signalements"]
    Territory({"signalements": first}).save(tmp_path / "t.gpkg")
    again = load_territory(tmp_path / "t.gpkg")["signalements"]
    assert again["statut_brut"].tolist() == first["statut_brut"].tolist()
    assert again["statut"].tolist() == first["statut"].tolist()
