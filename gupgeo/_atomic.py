"""Outputs replaced whole: written beside their target under a temporary name, then renamed.

A reader (or the next run) therefore sees either the previous file or the complete new
one, never half a file: ``os.replace`` is atomic within a folder. Temporary names are
hidden (leading dot) and carry the writer's process id, so a folder load skips them and
:func:`remove_stale` can clear those left by a process that was killed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TMP_TAG = ".gupgeo-tmp-"
"""Marks a temporary sibling: ``.<target name>.gupgeo-tmp-<pid>-<random><suffix>``."""

_PID = re.compile(r"(\d+)-")


def temporary_sibling(target: Path, *, suffix: str = "") -> Path:
    """A fresh hidden path in the folder of ``target`` (same file system, so renamable)."""
    token = secrets.token_hex(4)
    return target.with_name(f".{target.name}{TMP_TAG}{os.getpid()}-{token}{suffix}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale(target: Path) -> list[Path]:
    """Remove the temporary siblings of ``target`` whose writing process is gone.

    Returns the paths removed. A temporary of a live process (a concurrent save) is left
    alone.
    """
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    prefix = f".{target.name}{TMP_TAG}"
    for path in target.parent.iterdir():
        if not path.name.startswith(prefix):
            continue
        match = _PID.match(path.name[len(prefix) :])
        if match is None or _alive(int(match.group(1))):
            continue
        remove_path(path)
        removed.append(path)
    return removed


def remove_path(path: Path) -> None:
    """Remove a file or a folder tree; nothing when it does not exist."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    for side in ("-journal", "-wal", "-shm"):  # SQLite (GeoPackage) side files
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + side).unlink()


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@contextmanager
def replacing(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    The temporary path keeps the suffix of ``target`` (GDAL picks drivers by it). On
    any exception, including ``KeyboardInterrupt``, the temporary file is removed and
    ``target`` is left as it was.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with replacing(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("nouveau", encoding="utf-8")
    >>> (folder / "a.txt").read_text(encoding="utf-8"), sorted(p.name for p in folder.iterdir())
    ('nouveau', ['a.txt'])
    """
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(final)
    tmp = temporary_sibling(final, suffix=final.suffix)
    try:
        yield tmp
        _fsync(tmp)
        if final.is_file():  # a shared file keeps its permissions
            with contextlib.suppress(OSError):
                shutil.copymode(final, tmp)
        os.replace(tmp, final)
    except BaseException:
        remove_path(tmp)
        raise


def move_into(source: Path, target: Path) -> None:
    """Move the file ``source`` to ``target``, replacing it atomically.

    Across file systems (``target`` on a mounted folder), the file is first copied
    beside ``target``, then renamed over it.
    """
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        with replacing(target) as tmp:
            shutil.copy2(source, tmp)
        source.unlink()


def write_text(target: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically; return the path."""
    final = Path(target)
    with replacing(final) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return final


__all__ = [
    "move_into",
    "remove_path",
    "remove_stale",
    "replacing",
    "temporary_sibling",
    "write_text",
]
