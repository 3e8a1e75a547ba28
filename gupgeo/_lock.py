"""One writer at a time: exclusive locks shared by processes, re-entrant in a process.

A lock is a hidden sidecar file (``.<name>.gupgeo-verrou``, holding the holder's process
id) locked with ``flock``: the kernel releases it when its process ends, killed or not,
so a crash never leaves a territory locked. The holder removes the file before
releasing it; a process that was waiting on the removed file sees that the path no
longer names the file it locked, and starts again on a fresh one — so two writers are
never let in, and no lock file outlives the writes (but one of a killed process: it is
empty of meaning, locked by nobody, and reused by the next writer).

Inside one process the same lock may be taken again (the importer holds the
territory's lock across read, merge and save; the save takes it too): :func:`holding`
counts the nesting per thread and only the outermost level touches the file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from gupgeo.errors import BusyError

log = logging.getLogger(__name__)

LOCK_TAG = ".gupgeo-verrou"
"""Suffix of lock files: ``.<target name>.gupgeo-verrou``, hidden and never a layer."""
DEFAULT_WAIT_S = 60.0
"""How long a second writer waits for the first by default."""
POLL_S = 0.1

_GUARD = threading.Lock()
_THREAD_LOCKS: dict[str, threading.RLock] = {}
_DEPTH: dict[tuple[str, int], int] = {}


def lock_path(target: Path) -> Path:
    """The lock file of ``target``, beside it (hidden)."""
    return target.with_name(f".{target.name}{LOCK_TAG}")


def _try_flock(fh: IO[bytes]) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def holder(path: Path) -> str:
    """The process id written in the lock file ``path`` (« inconnu » when unreadable)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return "inconnu"
    return text if text.isdigit() else "inconnu"


@contextmanager
def holding(
    key: str,
    acquire: Callable[[], contextlib.AbstractContextManager[object]],
    *,
    wait_s: float,
    busy: Callable[[], str],
) -> Iterator[None]:
    """Run ``acquire()`` unless this thread already holds ``key``; count the nesting.

    Another thread of the process wanting ``key`` waits for this one up to ``wait_s``
    seconds (it never shares the lock taken by another thread), then raises
    :class:`~gupgeo.errors.BusyError` with ``busy()``.
    """
    me = threading.get_ident()
    with _GUARD:
        depth = _DEPTH.get((key, me), 0)
        rlock = _THREAD_LOCKS.setdefault(key, threading.RLock())
    if depth:
        _DEPTH[(key, me)] = depth + 1
        try:
            yield
        finally:
            _DEPTH[(key, me)] -= 1
        return
    if not rlock.acquire(timeout=max(wait_s, 0.0)):
        raise BusyError(busy())
    try:
        with acquire():
            _DEPTH[(key, me)] = 1
            try:
                yield
            finally:
                del _DEPTH[(key, me)]
    finally:
        rlock.release()


def wait_for(
    try_once: Callable[[], bool],
    *,
    wait_s: float,
    waiting: Callable[[], str],
    busy: Callable[[], str],
) -> None:
    """Call ``try_once`` until it returns True; log ``waiting()`` once, raise after ``wait_s``.

    Raises
    ------
    BusyError
        With the message ``busy()`` when ``wait_s`` seconds passed without the lock.
    """
    deadline = time.monotonic() + max(wait_s, 0.0)
    warned = False
    while not try_once():
        if time.monotonic() >= deadline:
            raise BusyError(busy())
        if not warned:
            log.warning("%s", waiting())
            warned = True
        time.sleep(POLL_S)


def _same_file(fh: IO[bytes], path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fh.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


@contextmanager
def _flocked(path: Path, *, wait_s: float, what: str, busy: str | None) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handles: list[IO[bytes]] = [open(path, "a+b")]  # noqa: SIM115 (closed below)

    def try_once() -> bool:
        if not _try_flock(handles[0]):
            return False
        if _same_file(handles[0], path):
            return True
        handles[0].close()  # locked a file its holder had removed: start again
        handles[0] = open(path, "a+b")  # noqa: SIM115
        return _try_flock(handles[0]) and _same_file(handles[0], path)

    try:
        wait_for(
            try_once,
            wait_s=wait_s,
            waiting=lambda: (
                f"{what} : en cours d'écriture par un autre processus (pid {holder(path)}) ; "
                f"attente de sa fin (au plus {wait_s:g} s)…"
            ),
            busy=lambda: busy_message(what, holder(path), wait_s, busy),
        )
        fh = handles[0]
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()).encode("ascii"))
        fh.flush()
        try:
            yield
        finally:
            # Still locked: a waiter on this file will see it gone and start afresh.
            # (Windows refuses to remove an open file: it then simply stays.)
            with contextlib.suppress(OSError):
                path.unlink()
    finally:
        handles[0].close()


def busy_message(what: str, pid: str, wait_s: float, busy: str | None = None) -> str:
    """Why a writer gave up (French): another process still holds ``what``."""
    if busy:
        return f"{busy} (processus {pid})"
    return (
        f"{what} : toujours en cours d'écriture par un autre processus (pid {pid}) après "
        f"{wait_s:g} s d'attente ; rien n'a été écrit. Relancez la commande quand il aura "
        "fini, ou attendez plus longtemps : --attente SECONDES"
    )


@contextmanager
def file_lock(
    target: str | Path,
    *,
    wait_s: float = DEFAULT_WAIT_S,
    what: str | None = None,
    busy: str | None = None,
) -> Iterator[None]:
    """Hold the exclusive lock of ``target`` (a file or folder) across the block.

    A second process waits up to ``wait_s`` seconds (saying so in the log), then raises
    :class:`~gupgeo.errors.BusyError` with ``busy`` (default: a message naming ``what``
    and the holder's process id). Re-entrant within a thread.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "territoire.gpkg"
    >>> with file_lock(target), file_lock(target):  # re-entrant
    ...     lock_path(target).name
    '.territoire.gpkg.gupgeo-verrou'
    """
    final = Path(target).resolve()
    path = lock_path(final)
    label = what or str(target)
    with holding(
        f"file:{path}",
        lambda: _flocked(path, wait_s=wait_s, what=label, busy=busy),
        wait_s=wait_s,
        busy=lambda: busy_message(label, f"{os.getpid()}, ce même processus", wait_s, busy),
    ):
        yield


__all__ = [
    "DEFAULT_WAIT_S",
    "LOCK_TAG",
    "busy_message",
    "file_lock",
    "holder",
    "holding",
    "lock_path",
    "wait_for",
]
