"""The atlas folder: manifest, rebuild replacing the previous atlas, refusals, kill test.

Small builds of the bundled sample (one process, tiny stand-in map libraries from
tests.browser_support.write_fake_assets); the kill test runs ``python -m gupgeo.cli
atlas`` with two workers and SIGKILLs it once a page is done.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gupgeo
from gupgeo._atomic import TMP_TAG, remove_stale
from gupgeo.atlas import build_atlas
from gupgeo.atlas._output import COMPLETE, MANIFEST
from gupgeo.attribution import attributed
from gupgeo.cli import main
from gupgeo.errors import OutputExistsError
from gupgeo.territory import Territory

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
THREE = ["LOC-SANITAS", "LOC-RABIERE", "LOC-EUROPE"]
BUILD_DATE = "2025-01-15"


@pytest.fixture(scope="module")
def territory() -> Territory:
    """The sample with two quartiers named like the index's own files."""
    t = attributed(gupgeo.load_territory(SAMPLE))
    layers = dict(t.layers)
    q = layers["quartiers"].copy()
    q["nom_qp"] = q["nom_qp"].astype("object")
    q.loc[q["code_qp"] == "LOC-SANITAS", "nom_qp"] = "Ensemble"
    q.loc[q["code_qp"] == "LOC-RABIERE", "nom_qp"] = "index"
    layers["quartiers"] = q
    return t.with_layers(layers)


def manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in files(folder)}


def no_staging_beside(folder: Path) -> bool:
    return not any(TMP_TAG in p.name for p in folder.resolve().parent.iterdir())


def build(territory: Territory, out: Path, publication: str, codes: list[str]):
    return build_atlas(
        territory, out, period="2024", publication=publication, quartiers=codes, workers=1,
        progress=False, build_date=BUILD_DATE, basemap=None, file_name="{nom_qp}",
    )  # fmt: skip


def test_a_rebuild_replaces_the_previous_atlas(territory, fake_assets, tmp_path):
    out = tmp_path / "atlas"
    first = build(territory, out, "interne", THREE)
    assert first.ok
    listed = manifest(out)
    assert listed["etat"] == COMPLETE and listed["publication"] == "interne"
    assert sorted(listed["quartiers"]) == sorted(THREE) and listed["date"] == BUILD_DATE
    assert set(listed["fichiers"]) == files(out) - {MANIFEST}
    pages = {p.code_qp: p.href for p in first.pages}
    assert pages["LOC-SANITAS"] == "quartiers/ensemble-quartier.html"  # not the overview's stem
    assert pages["LOC-RABIERE"] == "quartiers/index-quartier.html"
    assert {"cartes/ensemble.html", "cartes/ensemble-quartier.html"} <= files(out)
    assert "Indicateur" in (out / "cartes" / "ensemble.html").read_text(encoding="utf-8")

    (out / "notes.txt").write_text("mes notes", encoding="utf-8")  # the user's own file
    second = build(territory, out, "public", ["LOC-EUROPE"])
    assert second.ok and second.index == out / "index.html"
    assert sorted(p.name for p in (out / "quartiers").iterdir()) == ["europe.html"]
    assert not any("ensemble-quartier" in f or "index-quartier" in f for f in files(out))
    listed = manifest(out)
    assert listed["publication"] == "public" and listed["quartiers"] == ["LOC-EUROPE"]
    assert set(listed["fichiers"]) == files(out) - {MANIFEST, "notes.txt"}
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mes notes"
    assert no_staging_beside(out)


def test_a_folder_gupgeo_did_not_create_is_refused(territory, fake_assets, tmp_path):
    out = tmp_path / "dossier"
    out.mkdir()
    (out / "notes.txt").write_text("mes notes", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"dossier non vide \(notes.txt\) et sans manif"):
        build(territory, out, "public", ["LOC-EUROPE"])
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mes notes"
    assert no_staging_beside(out)


def test_a_manifest_pointing_outside_is_refused(territory, fake_assets, tmp_path):
    out = tmp_path / "atlas"
    out.mkdir()
    victim = tmp_path / "precieux.txt"
    victim.write_text("à garder", encoding="utf-8")
    (out / MANIFEST).write_text(
        json.dumps({"etat": COMPLETE, "fichiers": ["../precieux.txt"]}), encoding="utf-8"
    )
    with pytest.raises(OutputExistsError, match=r"manifeste .* illisible .*hors du dossier"):
        build(territory, out, "public", ["LOC-EUROPE"])
    assert victim.read_text(encoding="utf-8") == "à garder"


def test_the_cli_refuses_a_foreign_folder(tmp_path, capsys):
    out = tmp_path / "dossier"
    out.mkdir()
    (out / "notes.txt").write_text("mes notes", encoding="utf-8")
    code = main(["atlas", str(SAMPLE), "-o", str(out), "--period", "2024"])
    assert code == 2
    assert "sans manifeste" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


# --- kill test -------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process from /proc, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def descendants(parent: int) -> set[int]:
    found: set[int] = set()
    frontier = {parent}
    while frontier:
        children = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (info := _stat(int(entry.name))) and info[1] in frontier:
                children.add(int(entry.name))
        frontier = children - found
        found |= children
    return found


def running(pid: int) -> bool:
    info = _stat(pid)
    return info is not None and info[0] not in ("Z", "X")


def _wait_for_line(proc: subprocess.Popen, prefix: str, timeout_s: float) -> list[str]:
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 1.0)
        if not ready:
            continue
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(prefix):
            return seen
    proc.kill()
    pytest.fail(f"« {prefix} » jamais écrit ; sortie : {''.join(seen)[-2000:]}")


def _start_atlas(out: Path, assets: Path) -> subprocess.Popen:
    """``gupgeo atlas`` of six quartiers with two workers, returned once a page is done."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gupgeo.cli", "atlas", str(SAMPLE), "-o", str(out),
         "--period", "2024", "--workers", "2", "--fond", "aucun", "--quartiers",
         "LOC-SANITAS", "LOC-RABIERE", "LOC-MARYSE-BASTIE", "LOC-ROCHEPINARD",
         "LOC-FONTAINES", "LOC-RABATERIE"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=REPO,
        env={**os.environ, "GUPGEO_ASSETS_DIR": str(assets)},
    )  # fmt: skip
    _wait_for_line(proc, "Atlas 1/6", timeout_s=240)
    return proc


def _gone_within(pids: set[int], seconds: float) -> list[int]:
    """The processes of ``pids`` still running after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(running(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if running(p)]


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@pytest.mark.slow
@needs_proc
def test_killing_the_atlas_leaves_no_worker_and_the_previous_atlas(
    territory, fake_assets, tmp_path
):
    out = tmp_path / "atlas"
    build(territory, out, "public", ["LOC-EUROPE"])
    before = snapshot(out)
    proc = _start_atlas(out, fake_assets)
    try:
        workers = descendants(proc.pid)
        assert len(workers) >= 2, "les processus de calcul n'ont pas été vus"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not _gone_within(workers, 5), "processus de calcul orphelins"
    # Either the previous complete atlas, untouched, or a complete new one.
    listed = manifest(out)
    assert listed["etat"] == COMPLETE
    if snapshot(out) != before:
        assert set(listed["fichiers"]) == files(out) - {MANIFEST}
        pytest.fail("l'atlas a fini avant d'être interrompu : test à recalibrer")
    stale = [p for p in out.resolve().parent.iterdir() if TMP_TAG in p.name]
    assert stale, "le dossier de construction devait rester, à nettoyer au prochain passage"
    assert sorted(remove_stale(out.resolve())) == sorted(stale)
    assert no_staging_beside(out)


@pytest.mark.slow
@needs_proc
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_or_ctrl_c_terminates_the_workers_and_cleans_up(
    fake_assets, tmp_path, signum, code
):
    out = tmp_path / "atlas"
    proc = _start_atlas(out, fake_assets)
    try:
        workers = descendants(proc.pid)
        assert len(workers) >= 2, "les processus de calcul n'ont pas été vus"
        proc.send_signal(signum)
        assert proc.wait(timeout=60) == code
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not _gone_within(workers, 2), "processus de calcul encore vivants"
    assert not out.exists() or not any(out.iterdir())  # no half atlas
    assert no_staging_beside(out)


def test_the_atlas_never_writes_nor_deletes_through_a_link(tmp_path: Path) -> None:
    from gupgeo.atlas import _output

    out, elsewhere = tmp_path / "atlas", tmp_path / "ailleurs"
    first = tmp_path / "build1"
    (first / "quartiers").mkdir(parents=True)
    (first / "quartiers" / "ancien.html").write_text("ancien", encoding="utf-8")
    (first / "index.html").write_text("index", encoding="utf-8")
    _output.install(first, out, None, {})
    elsewhere.mkdir()
    (elsewhere / "ancien.html").write_text("à moi", encoding="utf-8")
    (elsewhere / "notes.txt").write_text("à moi aussi", encoding="utf-8")
    for name in ("ancien.html",):
        (out / "quartiers" / name).unlink()
    (out / "quartiers").rmdir()
    (out / "quartiers").symlink_to(elsewhere)  # someone links quartiers/ elsewhere
    second = tmp_path / "build2"
    (second / "quartiers").mkdir(parents=True)
    (second / "quartiers" / "nouveau.html").write_text("nouveau", encoding="utf-8")
    (second / "index.html").write_text("index 2", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"quartiers est un lien symbolique"):
        _output.install(second, out, _output.read_manifest(out), {})
    assert sorted(p.name for p in elsewhere.iterdir()) == ["ancien.html", "notes.txt"]
    assert (elsewhere / "ancien.html").read_text(encoding="utf-8") == "à moi"
    assert (out / "index.html").read_text(encoding="utf-8") == "index"


def test_atlas_page_names_are_stable_and_distinct() -> None:
    from gupgeo.atlas.naming import distinct_stems

    codes = ["QP037.SANITAS", "QP037.EUROPE", "QP037001"]
    assert distinct_stems(["tours", "tours", "rabiere"], codes) == [
        "tours-qp037-sanitas", "tours-qp037-europe", "rabiere"]  # fmt: skip
    # the same pages, one quartier fewer and reordered: the names do not move
    assert distinct_stems(["tours", "tours"], codes[1::-1]) == [
        "tours-qp037-europe", "tours-qp037-sanitas"]  # fmt: skip
    alike = distinct_stems(["a", "a"], ["QP037.A", "QP037-A"])  # codes slugged alike
    assert len(set(alike)) == 2 and all(s.startswith("a-") and len(s) == 8 for s in alike)
