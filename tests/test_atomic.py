"""Outputs replaced whole: the previous file survives a failure, temporaries are cleared."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gupgeo import _atomic
from gupgeo._atomic import TMP_TAG, move_into, remove_stale, replacing, write_text


def test_a_failed_write_leaves_the_previous_file(tmp_path: Path) -> None:
    target = write_text(tmp_path / "a.csv", "ancien")
    with pytest.raises(KeyboardInterrupt), replacing(target) as tmp:
        tmp.write_text("nouv", encoding="utf-8")
        raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "ancien"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = write_text(tmp_path / "a.csv", "ancien")
    target.chmod(0o640)
    write_text(target, "nouveau")
    assert target.stat().st_mode & 0o777 == 0o640


def test_only_the_temporaries_of_dead_processes_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "t.gpkg"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = tmp_path / f".t.gpkg{TMP_TAG}{dead.stdout.strip()}-00000000.gpkg"
    stale.write_bytes(b"x")
    (tmp_path / f"{stale.name}-journal").write_bytes(b"x")
    live = tmp_path / f".t.gpkg{TMP_TAG}{os.getpid()}-00000000.gpkg"
    live.write_bytes(b"x")
    other = tmp_path / f".autre.gpkg{TMP_TAG}1-00000000.gpkg"
    other.write_bytes(b"x")
    assert stale in remove_stale(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_a_move_across_file_systems_copies_then_renames(tmp_path, monkeypatch) -> None:
    source = tmp_path / "build" / "page.html"
    source.parent.mkdir()
    source.write_text("page", encoding="utf-8")
    target = write_text(tmp_path / "atlas" / "page.html", "ancienne")
    real_replace = os.replace

    def cross_device(src: object, dst: object) -> None:
        if Path(str(src)) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(_atomic.os, "replace", cross_device)
    move_into(source, target)
    assert target.read_text(encoding="utf-8") == "page" and not source.exists()
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]
