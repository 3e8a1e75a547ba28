"""Worker processes of the atlas live no longer than the process that started them.

- A worker asks Linux to kill it when its parent dies (``prctl(PR_SET_PDEATHSIG)``) and,
  on every system, watches its parent from a thread: a parent killed with ``SIGKILL``
  leaves no worker writing pages behind it.
- Workers ignore Ctrl-C: the parent decides, and on ``KeyboardInterrupt`` or ``SIGTERM``
  (turned into ``SystemExit`` while pages are built) it terminates the pool before
  giving up, instead of waiting for the running pages.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

PARENT_POLL_S = 0.5
"""How often a worker checks that its parent is alive (fallback of ``PR_SET_PDEATHSIG``)."""
_PR_SET_PDEATHSIG = 1


def _death_signal() -> None:
    """Linux: be sent SIGKILL when the parent thread dies (best effort elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)  # the process's own symbols, libc's included
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _watch(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)  # orphaned: stop now, write nothing more
        time.sleep(PARENT_POLL_S)


def die_with_parent(parent: int) -> None:
    """Pool initializer: end this worker as soon as process ``parent`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, if forked
    _death_signal()
    if os.getppid() != parent:  # died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="gupgeo-parent").start()


def new_pool(workers: int, context: Any) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )


def terminate(pool: ProcessPoolExecutor, *, timeout_s: float = 5.0) -> None:
    """Stop every worker of ``pool`` now (pending pages cancelled, running ones killed)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + timeout_s
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
    logger.warning("atlas : %d processus de calcul arrêté(s)", len(processes))


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """While pages are built, ``SIGTERM`` raises ``SystemExit`` so the pool is cleaned up.

    Only in the main thread and when ``SIGTERM`` has its default action (an application
    with its own handler keeps it).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


__all__ = ["die_with_parent", "new_pool", "sigterm_as_exit", "terminate"]
