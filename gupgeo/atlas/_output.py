"""The atlas folder: built aside, swapped in, described by a manifest.

An atlas is built in a hidden sibling folder (``.<dossier>.gupgeo-tmp-<pid>-…``), then
its files are moved into the atlas folder, the files of the previous build that the
new one does not have are removed, and the manifest ``.gupgeo-atlas.json`` is written
last. Until then the folder holds the previous atlas untouched (or nothing): a build
that is interrupted or killed never leaves half an atlas under the manifest.

The manifest lists every file gupgeo wrote, with the profile, the period and the date
of the build. Only those files are ever removed: a folder that is not empty and has no
manifest is refused, and a file gupgeo did not write is never replaced.

Every path written or removed is checked to stay inside the atlas folder without
crossing a symbolic link (:func:`gupgeo._atomic.inside`): a ``quartiers/`` that links
elsewhere is refused, never followed. One build at a time per folder
(:func:`building`): a second one is refused at once, saying another build holds it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gupgeo import _atomic
from gupgeo._lock import file_lock
from gupgeo.errors import BusyError, OutputExistsError

MANIFEST = ".gupgeo-atlas.json"
FORMAT = "gupgeo-atlas/1"
COMPLETE = "complet"
SWAPPING = "remplacement en cours"
_LISTED = 5


@dataclass(frozen=True)
class AtlasManifest:
    """What a previous build wrote into the folder."""

    files: tuple[str, ...]
    state: str
    info: Mapping[str, Any]


def read_manifest(out_dir: Path) -> AtlasManifest | None:
    """The manifest of ``out_dir``; None when there is none.

    Raises
    ------
    OutputExistsError
        When the manifest cannot be read (gupgeo would not know which files are its own).
    """
    path = out_dir / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = tuple(str(f) for f in data["fichiers"])
        state = str(data["etat"])
        outside = [f for f in files if Path(f).is_absolute() or ".." in Path(f).parts]
        if outside:
            raise ValueError(f"chemins hors du dossier : {', '.join(outside[:_LISTED])}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OutputExistsError(
            f"{out_dir} : manifeste {MANIFEST} illisible ({exc}) ; gupgeo ne sait plus quels "
            "fichiers sont les siens et ne touche pas au dossier : supprimez-le ou choisissez "
            "un autre dossier"
        ) from exc
    return AtlasManifest(files, state, data)


@contextmanager
def building(out_dir: Path) -> Iterator[None]:
    """Hold the atlas folder ``out_dir`` for one build; refuse a second build at once.

    The lock is a hidden file beside the folder (``.<dossier>.gupgeo-verrou``), so the
    folder itself holds only the atlas.

    Raises
    ------
    OutputExistsError
        When another build (another process) holds the folder.
    """
    busy = (
        f"{out_dir} : un autre assemblage de l'atlas est en cours dans ce dossier ; "
        "attendez qu'il se termine, ou choisissez un autre dossier de sortie"
    )
    try:
        with file_lock(out_dir, wait_s=0, what=str(out_dir), busy=busy):
            yield
    except BusyError as exc:
        raise OutputExistsError(str(exc)) from exc


def check_folder(out_dir: Path) -> AtlasManifest | None:
    """The previous build of ``out_dir`` (None: absent or empty folder), or a refusal.

    Raises
    ------
    OutputExistsError
        When ``out_dir`` is a file, or a folder that is not empty and has no manifest.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{out_dir} : attendu un dossier pour l'atlas, c'est un fichier")
    previous = read_manifest(out_dir) if out_dir.is_dir() else None
    if previous is None and out_dir.is_dir():
        found = sorted(p.name for p in out_dir.iterdir())
        if found:
            shown = ", ".join(found[:_LISTED]) + (" …" if len(found) > _LISTED else "")
            raise OutputExistsError(
                f"{out_dir} : dossier non vide ({shown}) et sans manifeste {MANIFEST} : ce "
                "n'est pas un atlas écrit par gupgeo, qui ne supprime ni ne remplace des "
                "fichiers qu'il n'a pas créés ; choisissez un dossier vide ou nouveau"
            )
    return previous


def staging_folder(out_dir: Path) -> Path:
    """A fresh hidden folder beside ``out_dir`` to build into (stale ones cleared first).

    Called within :func:`building`: no other build is at work, so every staging folder
    of another process is stale (one left by ``kill -9``).
    """
    final = out_dir.resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    _atomic.remove_stale(final, locked=True)
    staging = _atomic.temporary_sibling(final)
    staging.mkdir()
    return staging


def files_of(folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted POSIX paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def install(
    staging: Path, out_dir: Path, previous: AtlasManifest | None, info: Mapping[str, Any]
) -> list[str]:
    """Move the build in ``staging`` into ``out_dir``; return the files of the new atlas.

    The files of ``previous`` that the new build does not have are removed; the
    manifest is written last. ``staging`` is removed.

    Raises
    ------
    OutputExistsError
        When a file of the new build would replace a file gupgeo did not write.
    """
    files = files_of(staging)
    old = set(previous.files) if previous else set()
    for name in sorted(set(files) | old):  # before anything moves: all or nothing
        _atomic.inside(out_dir, name)
    clashes = [f for f in files if f not in old and os.path.lexists(out_dir / f)]
    if clashes:
        raise OutputExistsError(
            f"{out_dir} : {', '.join(clashes[:_LISTED])} existe(nt) déjà sans avoir été écrit(s) "
            "par gupgeo ; l'atlas n'est pas installé, rien n'a été remplacé"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    # Should the swap itself be interrupted, every file is still known to be gupgeo's.
    _write_manifest(out_dir, sorted(old | set(files)), SWAPPING, info)
    for name in files:
        target = _atomic.inside(out_dir, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic.inside(out_dir, name)  # a link made meanwhile is refused too
        _atomic.move_into(staging / name, target)
    for name in sorted(old - set(files)):
        _atomic.remove_path(_atomic.inside(out_dir, name))
        _remove_empty_parents(out_dir / name, out_dir)
    _write_manifest(out_dir, files, COMPLETE, info)
    _atomic.remove_path(staging)
    return files


def _remove_empty_parents(path: Path, root: Path) -> None:
    folder = path.parent
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            return
        folder = folder.parent


def _write_manifest(
    out_dir: Path, files: Sequence[str], state: str, info: Mapping[str, Any]
) -> None:
    payload = {"format": FORMAT, "etat": state, **info, "fichiers": list(files)}
    text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    _atomic.write_text(out_dir / MANIFEST, text)


__all__ = [
    "MANIFEST",
    "AtlasManifest",
    "building",
    "check_folder",
    "install",
    "read_manifest",
    "staging_folder",
]
