"""Nothing lost, ever: tried as a team works (issue 19), with real processes.

- two ``gupgeo importer`` processes of different exports at once, on a GeoPackage and on
  PostGIS: the test holds the territory's lock while both start, so both really wait,
  then releases it; both exports' rows and status histories must remain;
- a GeoPackage re-save keeps what is not gupgeo's (a QGIS project and styles, a plain
  table, views, a trigger, ``gpkg_extensions``/``gpkg_metadata`` rows), compared row by
  row, and a project written by QGIS itself still opens with its layers and styles;
- a save killed with ``SIGKILL`` mid-write: its temporary file is never taken for a
  territory and the next save sweeps it; a save stopped with ``SIGTERM`` cleans up;
- output folders: one atlas build at a time per folder, one chart per quartier code,
  no chart written through a symbolic link (the atlas's links and page names:
  ``tests/test_atlas_output.py``);
- exit codes: nothing importable fails whatever ``--max-rejets``; control characters
  read from a file never reach the terminal.

The territory: the sample's quartiers and 120 of its signalements (fast processes).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest

from gupgeo import Territory, load_territory
from gupgeo._lock import file_lock
from gupgeo.cli import main
from gupgeo.errors import OutputExistsError
from gupgeo.storage import postgis
from gupgeo.storage.importer import read_history
from tests.conftest import SAMPLE
from tests.postgis_support import IN_CI

REPO = Path(__file__).resolve().parents[1]
GUPGEO = [sys.executable, "-m", "gupgeo"]
SOURCE = pd.read_csv(SAMPLE / "signalements.csv", sep=";", encoding="utf-8-sig", dtype=str)
BASE = SOURCE.iloc[:120].assign(statut="Nouveau", date_cloture="")


def write_csv(path: Path, rows: pd.DataFrame) -> Path:
    rows.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Territory:
    folder = tmp_path_factory.mktemp("petit")
    return load_territory(
        layers={
            "quartiers": SAMPLE / "quartiers.geojson",
            "signalements": write_csv(folder / "signalements.csv", BASE),
        }
    )


def monthly(prefix: str, changed: slice, folder: Path) -> Path:
    """An export: 15 new signalements ``<prefix>-i`` and the rows ``changed`` closed."""
    fresh = SOURCE.iloc[200:215].assign(id=[f"{prefix}-{i}" for i in range(15)])
    fresh = fresh.assign(statut="Nouveau", date_cloture="")
    known = BASE.iloc[changed].assign(statut="Résolu", date_cloture="28/04/2024")
    return write_csv(folder / f"signalements_{prefix}.csv", pd.concat([known, fresh]))


def start_import(export: Path, store: str, date: str, *extra: str) -> subprocess.Popen[str]:
    cmd = [*GUPGEO, "importer", str(export), "--territoire", store, "--date", date, *extra]
    return subprocess.Popen(
        cmd, cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def wait_for_line(proc: subprocess.Popen[str], word: str) -> str:
    """Read the process's standard error until a line holds ``word`` (fail at its end)."""
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if word in line:
            return line
    out = proc.stdout.read() if proc.stdout else ""
    raise AssertionError(f"« {word} » jamais écrit ; stderr={''.join(seen)!r} stdout={out!r}")


def check_both_imports(
    store: str, holder: AbstractContextManager[object], folder: Path, *, named: str
) -> None:
    """Two importer processes started while ``holder`` holds ``store``; ``named``: how
    their waiting message names the holder."""
    before = len(load_territory(store)["signalements"])
    may, june = monthly("MAI", slice(0, 10), folder), monthly("JUIN", slice(10, 20), folder)
    with holder:  # another writer holds the territory: both imports must wait for it
        procs = [
            start_import(may, store, "2024-05-01", "--attente", "300"),
            start_import(june, store, "2024-06-01", "--attente", "300"),
        ]
        for proc in procs:
            line = wait_for_line(proc, "attente")
            assert "en cours d'écriture par un autre processus" in line and named in line
    results = [proc.communicate(timeout=600) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, (out, err)
        assert "15 ajoutée(s) + 10 mise(s) à jour" in out
    after = load_territory(store)["signalements"].set_index("id")
    assert len(after) == before + 30
    assert {f"MAI-{i}" for i in range(15)} | {f"JUIN-{i}" for i in range(15)} <= set(after.index)
    assert (after.loc[BASE["id"].iloc[:20], "statut"] == "résolu").all()
    history = read_history(store)
    for day, changed in ((pd.Timestamp("2024-05-01"), 0), (pd.Timestamp("2024-06-01"), 10)):
        rows = history[history["vu_le"] == day]
        assert len(rows) == 25  # 15 first seen + 10 closed, from each export
        closed = rows.dropna(subset=["statut_avant"])
        assert sorted(closed["id"]) == sorted(BASE["id"].iloc[changed : changed + 10])
        assert set(closed["statut_apres"]) == {"résolu"}


def test_two_concurrent_imports_into_a_geopackage(small: Territory, tmp_path: Path) -> None:
    store = tmp_path / "territoire.gpkg"
    small.save(store, rejects=False)
    check_both_imports(str(store), file_lock(store), tmp_path, named=f"(pid {os.getpid()})")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_two_concurrent_imports_into_postgis(small: Territory, tmp_path: Path, pg_url: str):
    small.save(pg_url, rejects=False)
    check_both_imports(pg_url, postgis.schema_lock(pg_url), tmp_path, named="(pid serveur ")


def test_a_writer_gives_up_after_its_wait_saying_so(small: Territory, tmp_path: Path) -> None:
    store = tmp_path / "territoire.gpkg"
    small.save(store, rejects=False)
    before = store.read_bytes()
    with file_lock(store):
        proc = start_import(monthly("MAI", slice(0, 10), tmp_path), str(store), "2024-05-01",
                            "--attente", "1")  # fmt: skip
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, (out, err)
    assert "toujours en cours d'écriture par un autre processus" in err
    assert f"(pid {os.getpid()})" in err and "rien n'a été écrit" in err
    assert store.read_bytes() == before


# ---------------------------------------------------------------- what is not ours

FOREIGN = """
CREATE TABLE qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB);
CREATE TABLE layer_styles(
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT '2024-05-01T10:00:00Z');
INSERT INTO layer_styles(f_table_catalog, f_table_schema, f_table_name, f_geometry_column,
  styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) VALUES
  ('', '', 'signalements', 'geom', 'par statut', '<qgis><renderer-v2 attr="statut"/></qgis>',
   '<StyledLayerDescriptor/>', 1, 'style de l''équipe', 'sig', NULL),
  ('', '', 'mes_notes', NULL, 'notes', '<qgis/>', '', 0, '', 'sig', NULL);
CREATE TABLE mes_notes(id INTEGER PRIMARY KEY, texte TEXT, modifie TEXT);
INSERT INTO mes_notes(texte) VALUES ('Réunion d''équipe'), ('banc'), (NULL);
CREATE TRIGGER mes_notes_modifiees AFTER UPDATE OF texte ON mes_notes
  BEGIN UPDATE mes_notes SET modifie = 'oui' WHERE id = NEW.id; END;
CREATE VIEW notes_longues AS SELECT id, texte FROM mes_notes WHERE length(texte) > 5;
CREATE VIEW signalements_ouverts AS SELECT id, statut FROM signalements WHERE statut = 'nouveau';
CREATE TABLE IF NOT EXISTS gpkg_extensions(table_name TEXT, column_name TEXT,
  extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL);
INSERT INTO gpkg_extensions VALUES ('mes_notes', NULL, 'equipe_horodatage',
  'https://exemple.fr/horodatage', 'read-write');
CREATE TABLE IF NOT EXISTS gpkg_metadata(id INTEGER PRIMARY KEY AUTOINCREMENT,
  md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '');
INSERT INTO gpkg_metadata(md_scope, md_standard_uri, mime_type, metadata)
  VALUES ('dataset', 'http://www.isotc211.org/2005/gmd', 'text/xml', '<gmd:MD_Metadata/>');
"""
FOREIGN_OBJECTS = (
    "qgis_projects", "layer_styles", "mes_notes", "notes_longues", "mes_notes_modifiees",
    "signalements_ouverts",
)  # fmt: skip


def project_zip() -> bytes:
    """A .qgz as QGIS stores it in ``qgis_projects.content``: a zip holding the .qgs."""
    qgs = (
        '<qgis projectname="suivi"><projectlayers>'
        "<maplayer><datasource>./territoire.gpkg|layername=signalements</datasource></maplayer>"
        "<maplayer><datasource>./territoire.gpkg|layername=quartiers</datasource></maplayer>"
        "</projectlayers></qgis>"
    )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("suivi.qgs", qgs)
    return buffer.getvalue()


def snapshot(path: Path) -> dict[str, object]:
    """Definitions and rows of the foreign objects, foreign extension and metadata rows."""
    with sqlite3.connect(path) as conn:
        out: dict[str, object] = {
            name: conn.execute(
                "SELECT type, sql FROM sqlite_master WHERE name = ?", [name]
            ).fetchall()
            for name in FOREIGN_OBJECTS
        }
        for table in ("qgis_projects", "layer_styles", "mes_notes", "notes_longues"):
            out[f"rows:{table}"] = conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        out["ext"] = conn.execute(
            "SELECT * FROM gpkg_extensions WHERE table_name = 'mes_notes'"
        ).fetchall()
        out["meta"] = conn.execute("SELECT * FROM gpkg_metadata ORDER BY id").fetchall()
    return out


def test_a_resave_keeps_every_object_that_is_not_gupgeos(small: Territory, tmp_path: Path):
    path = tmp_path / "territoire.gpkg"
    small.save(path, rejects=False)
    with sqlite3.connect(path) as conn:
        conn.executescript(FOREIGN)
        conn.execute("INSERT INTO qgis_projects VALUES (?, ?, ?)",
                     ["suivi", b'{"last_modified_time": "2024"}', project_zip()])  # fmt: skip
    before = snapshot(path)
    assert all(before[name] for name in FOREIGN_OBJECTS)
    changed = small.with_layers({"signalements": small["signalements"].iloc[:100]})
    changed.save(path, rejects=False)
    after = snapshot(path)
    assert after == before
    with sqlite3.connect(path) as conn:  # the view on gupgeo's layer reads the new layer
        assert conn.execute("SELECT count(*) FROM signalements_ouverts").fetchone()[0] == 100
        conn.execute("UPDATE mes_notes SET texte = 'Bancs' WHERE id = 2")  # trigger still on
        assert conn.execute("SELECT modifie FROM mes_notes WHERE id = 2").fetchone()[0] == "oui"
        project = conn.execute("SELECT content FROM qgis_projects").fetchone()[0]
    qgs = zipfile.ZipFile(BytesIO(project)).read("suivi.qgs").decode()
    listed = [part.split("layername=")[1].split("<")[0] for part in qgs.split("<datasource>")[1:]]
    assert listed == ["signalements", "quartiers"]
    again = load_territory(path)
    assert not again.report.fatal and set(again.layers) == {"quartiers", "signalements"}
    assert len(again["signalements"]) == 100


QGIS_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from qgis.core import QgsApplication, QgsProject, QgsVectorLayer
    app = QgsApplication([], False)
    app.initQgis()
    path, mode = sys.argv[1], sys.argv[2]
    uri = f"geopackage:{path}?projectName=suivi_gup"
    project = QgsProject.instance()
    if mode == "write":
        for name in ("quartiers", "signalements"):
            layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
            project.addMapLayer(layer)
            layer.saveStyleToDatabase(f"style {name}", "style GUP", True, "")
        print(json.dumps({"ok": project.write(uri)}))
    else:
        ok = project.read(uri)
        layers = {l.name(): l.isValid() for l in project.mapLayers().values()}
        styles = {l.name(): sorted(l.listStylesInDatabase()[2])
                  for l in project.mapLayers().values()}
        print(json.dumps({"ok": ok, "layers": layers, "styles": styles}))
    app.exitQgis()
    """
)


def qgis(path: Path, mode: str) -> dict[str, object]:
    python = Path("/usr/bin/python3")
    probe = subprocess.run([str(python), "-c", "import qgis.core"], capture_output=True)
    if probe.returncode:
        message = "python3-qgis absent : apt-get install python3-qgis"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([str(python), "-c", QGIS_SCRIPT, str(path), mode], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_project_and_styles_saved_by_qgis_survive_a_resave(small: Territory, tmp_path: Path):
    path = tmp_path / "territoire.gpkg"
    small.save(path, rejects=False)
    assert qgis(path, "write")["ok"] is True
    small.save(path, rejects=False)
    opened = qgis(path, "read")
    assert opened["ok"] is True
    assert opened["layers"] == {"quartiers": True, "signalements": True}
    styles = ["style quartiers", "style signalements"]
    assert opened["styles"] == {"quartiers": styles, "signalements": styles}


# ---------------------------------------------------------------- temporary files

SAVE_BIG = """
import sys
import geopandas as gpd, numpy as np, pandas as pd, shapely
from gupgeo.territory import Territory
n = int(sys.argv[2])
rng = np.random.default_rng(0)
q = gpd.GeoDataFrame({"code_qp": ["QP-A"], "nom_qp": ["A"]},
                     geometry=[shapely.box(525000, 6702000, 526000, 6703000)], crs=2154)
x, y = 525000 + rng.random(n) * 1000, 6702000 + rng.random(n) * 1000
sig = gpd.GeoDataFrame({"id": np.arange(n).astype(str), "categorie": "propreté",
                        "description": "texte libre " * 8,
                        "date_signalement": pd.Timestamp("2024-01-01")},
                       geometry=shapely.points(x, y), crs=2154)
Territory({"quartiers": q, "signalements": sig}).save(sys.argv[1], rejects=False)
"""


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if ".gupgeo-tmp-" in p.name]


def start_big_save(path: Path) -> subprocess.Popen[bytes]:
    """A save of 300,000 points, returned once its temporary file is being written."""
    proc = subprocess.Popen([sys.executable, "-c", SAVE_BIG, str(path), "300000"], cwd=REPO)
    deadline = time.monotonic() + 300
    while not any(p.stat().st_size for p in temporaries(path.parent) if p.exists()):
        assert proc.poll() is None, "l'enregistrement a fini avant d'être interrompu"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return proc


def test_a_killed_save_leaves_nothing_taken_for_a_territory(small: Territory, tmp_path: Path):
    path = tmp_path / "territoire.gpkg"
    small.save(path, rejects=False)
    before = path.read_bytes()
    proc = start_big_save(path)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert path.read_bytes() == before
    (left,) = [
        p for p in temporaries(tmp_path) if not p.name.endswith(("-wal", "-shm", "-journal"))
    ]
    assert left.name.startswith(".territoire.gpkg.gupgeo-tmp-") and left.suffix != ".gpkg"
    shown = subprocess.run([*GUPGEO, "validate", str(tmp_path)], cwd=REPO, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert shown.returncode == 0, shown
    assert "gupgeo-tmp" not in shown.stdout + shown.stderr
    assert "Fichier ignoré" not in shown.stdout  # not even listed as something skipped
    assert "Bilan : 2 couche(s), 130 lignes lues" in shown.stdout  # the territory alone
    named = subprocess.run([*GUPGEO, "validate", str(left)], cwd=REPO, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert named.returncode == 2 and "non pris en charge" in named.stderr
    small.save(path, rejects=False)  # the next save sweeps what the killed one left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["territoire.gpkg"]


def test_a_save_stopped_by_sigterm_removes_its_temporary_file(small: Territory, tmp_path: Path):
    path = tmp_path / "territoire.gpkg"
    small.save(path, rejects=False)
    before = path.read_bytes()
    proc = start_big_save(path)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=300) == 128 + signal.SIGTERM
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["territoire.gpkg"]


# ---------------------------------------------------------------- output folders


HOLD_ATLAS = """
import sys, time
from pathlib import Path
from gupgeo.atlas import _output
with _output.building(Path(sys.argv[1])):
    print("pret", flush=True)
    time.sleep(120)
"""


def test_a_second_atlas_build_says_another_one_holds_the_folder(small: Territory, tmp_path):
    from gupgeo.atlas import build_atlas

    out = tmp_path / "atlas"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_ATLAS, str(out)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "pret"
        with pytest.raises(OutputExistsError) as caught:
            build_atlas(small, out, period="2024", progress=False, workers=1)
        message = str(caught.value)
        assert "un autre assemblage de l'atlas est en cours dans ce dossier" in message
        assert f"processus {holder.pid}" in message and "pas été écrit" not in message
    finally:
        holder.kill()
        holder.wait()
    assert not out.exists()


def test_dotted_quartier_codes_get_one_chart_each(tmp_path: Path) -> None:
    from gupgeo.dashboard.charts import render_dashboard_charts
    from gupgeo.dashboard.model import build_dashboard
    from tests._dashboard_fixtures import layers

    codes = {"QP-A": "QP037.SANITAS", "QP-B": "QP037.EUROPE"}
    renamed = {
        name: frame.assign(code_qp=frame["code_qp"].replace(codes))
        if "code_qp" in frame.columns
        else frame
        for name, frame in layers().items()
    }
    db = build_dashboard(renamed, period="2024-T1", freq="month")
    written = render_dashboard_charts(
        db, tmp_path, formats=("png",), quartiers=list(codes.values())
    )
    names = sorted(p.name for p in written)
    assert len(names) == len(set(names)) == 9  # 3 charts for each quartier + 3 comparisons
    assert {"QP037_SANITAS_signalements.png", "QP037_EUROPE_signalements.png"} <= set(names)
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    (tmp_path / "QP037_SANITAS_stock.png").unlink()
    (tmp_path / "QP037_SANITAS_stock.png").symlink_to(tmp_path.parent / "ailleurs.png")
    with pytest.raises(OutputExistsError, match="lien symbolique"):
        render_dashboard_charts(db, tmp_path, formats=("png",), quartiers=["QP037.SANITAS"])
    assert not (tmp_path.parent / "ailleurs.png").exists()


# ---------------------------------------------------------------- exit codes


@pytest.fixture
def store(small: Territory, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "territoire.gpkg"
    small.save(path, rejects=False)
    yield path


def test_an_empty_export_says_0_ligne_and_fails(store: Path, tmp_path: Path, capsys) -> None:
    before = store.read_bytes()
    empty = tmp_path / "signalements_vide.csv"
    empty.write_text(";".join(SOURCE.columns) + "\n", encoding="utf-8-sig")
    assert main(["importer", str(empty), "--territoire", str(store), "--max-rejets", "100"]) == 1
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last.startswith("ERREUR") and "0 ligne lue" in last
    assert "aucune ligne à importer" in last and "gardé tel quel" in last
    assert store.read_bytes() == before


def test_nothing_importable_fails_whatever_max_rejets(store: Path, tmp_path: Path, capsys):
    before = store.read_bytes()
    bad = write_csv(tmp_path / "signalements_juin.csv",
                    SOURCE.iloc[300:310].assign(date_signalement="pas une date"))  # fmt: skip
    assert main(["importer", str(bad), "--territoire", str(store), "--max-rejets", "100"]) == 1
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last.startswith("ERREUR") and "aucune ligne importable" in last and "10 ligne" in last
    assert store.read_bytes() == before
    saved = tmp_path / "valide.gpkg"
    assert main(["validate", str(bad), "--max-rejets", "100", "-o", str(saved)]) == 1
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last.startswith("ERREUR") and "aucune ligne conservée sur 10" in last
    assert not saved.exists()


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    hostile = "\x1b[2J\x1b]0;piège\x07\x9b31m\r"
    rows = SOURCE.iloc[:5].rename(columns={"date_signalement": f"jour{hostile}"})
    folder = tmp_path / "entrees"
    folder.mkdir()
    write_csv(folder / f"signalements{hostile}.csv", rows.assign(categorie=f"x{hostile}"))
    done = subprocess.run([*GUPGEO, "validate", str(folder)], cwd=REPO, capture_output=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 1
    shown = done.stdout + done.stderr
    assert b"entrees/signalements.csv" in shown  # named, the sequences (a title…) dropped
    assert b'--colonne date_signalement="jour' in shown
    for control in (b"\x1b", b"\x07", b"\r", "\x9b".encode()):
        assert control not in shown
    report = load_territory(folder).report.to_text()
    assert "entrees/signalements.csv" in report and "\x1b" not in report


def test_a_lock_is_reentrant_and_shared_with_threads_one_at_a_time(tmp_path: Path) -> None:
    from gupgeo.errors import BusyError

    target = tmp_path / "territoire.gpkg"
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with file_lock(target, wait_s=0.2):
                pass
        except BusyError as exc:
            errors.append(exc)

    with file_lock(target), file_lock(target):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(errors) == 1 and "ce même processus" in str(errors[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # the lock file goes with it
