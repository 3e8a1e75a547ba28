"""Outputs replaced whole: written beside their target under a temporary name, then renamed.

A reader (or the next run) therefore sees either the previous file or the complete new
one, never half a file: ``os.replace`` is atomic within a folder. Temporary names are
hidden (leading dot) and carry the writer's process id, so a folder load skips them and
:func:`remove_stale` can clear those left by a process that was killed (or older than
:data:`STALE_AGE_S`, should the process id have been reused). A temporary GeoPackage is
named without the ``.gpkg`` suffix, so nothing ever takes it for a territory.

On failure the temporary file is removed, ``SIGTERM`` included (turned into
``SystemExit`` while a file is written from the main thread); only ``SIGKILL`` or a
power cut leave one, which the next write of the same target sweeps.

:func:`inside` checks that a path written into an output folder stays inside it and
crosses no symbolic link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from gupgeo.errors import OutputExistsError

TMP_TAG = ".gupgeo-tmp-"
"""Marks a temporary sibling: ``.<target name>.gupgeo-tmp-<pid>-<random><suffix>``."""

STALE_AGE_S = 6 * 3600.0
"""A temporary file older than this is stale even if its process id is alive (reused)."""
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


def remove_stale(target: Path, *, locked: bool = False) -> list[Path]:
    """Remove the temporary siblings of ``target`` whose writing process is gone.

    Returns the paths removed. A temporary of a live process (a concurrent save) is left
    alone, unless it is older than :data:`STALE_AGE_S` or ``locked`` says the caller
    holds the target's lock (:mod:`gupgeo._lock`): then no other writer can be at work
    and every temporary sibling but this process's own is stale.
    """
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    prefix = f".{target.name}{TMP_TAG}"
    for path in target.parent.iterdir():
        if not path.name.startswith(prefix):
            continue
        match = _PID.match(path.name[len(prefix) :])
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or not (locked or not _alive(pid) or _old(path)):
            continue
        remove_path(path)
        removed.append(path)
    return removed


def _old(path: Path) -> bool:
    try:
        return time.time() - path.lstat().st_mtime > STALE_AGE_S
    except FileNotFoundError:
        return False


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


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """While the block runs, ``SIGTERM`` raises ``SystemExit`` so ``finally`` clauses run.

    Only from the main thread, and only when no handler of the program's own is set.
    """
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def replacing(
    target: str | Path, *, suffix: str | None = None, locked: bool = False
) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    The temporary path keeps the suffix of ``target`` unless ``suffix`` is given
    (``""`` for a GeoPackage: its temporary must never pass for one). On any exception,
    including ``KeyboardInterrupt`` and ``SIGTERM``, the temporary file is removed and
    ``target`` is left as it was. ``locked``: the caller holds the target's lock, so
    every temporary sibling left by another process is swept (:func:`remove_stale`).

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
    remove_stale(final, locked=locked)
    tmp = temporary_sibling(final, suffix=final.suffix if suffix is None else suffix)
    with sigterm_as_exit():
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


def inside(root: Path, relative: str | Path) -> Path:
    """``root / relative``, checked to stay inside ``root`` without crossing a symbolic link.

    ``root`` itself may be a link (the user chose it); nothing under it may be: a link
    there would make gupgeo write or delete outside the output folder.

    Raises
    ------
    OutputExistsError
        When ``relative`` leaves ``root`` (absolute, ``..``) or crosses a symbolic link.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> inside(root, "quartiers/a.html") == root / "quartiers" / "a.html"
    True
    >>> (root / "cartes").symlink_to(tempfile.mkdtemp())
    >>> inside(root, "cartes/a.html")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gupgeo.errors.OutputExistsError: .../cartes est un lien symbolique ...
    """
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise OutputExistsError(
            f"{relative} : chemin hors du dossier de sortie {root} ; gupgeo n'écrit que dedans"
        )
    path = root
    for part in rel.parts:
        path = path / part
        if path.is_symlink():
            raise OutputExistsError(
                f"{path} est un lien symbolique ; gupgeo n'écrit ni ne supprime rien à "
                "travers un lien, qui mènerait hors du dossier de sortie : remplacez-le par "
                "un vrai dossier ou choisissez un autre dossier de sortie"
            )
    if not path.resolve().is_relative_to(root.resolve()):
        raise OutputExistsError(f"{path} : hors du dossier de sortie {root}")
    return path


__all__ = [
    "STALE_AGE_S",
    "inside",
    "move_into",
    "remove_path",
    "remove_stale",
    "replacing",
    "sigterm_as_exit",
    "temporary_sibling",
    "write_text",
]
