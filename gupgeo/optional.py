"""Optional dependencies, checked before any work with the command that installs them.

WeasyPrint (atlas PDF), psycopg (territories in PostGIS) and dask (national scale) are
extras of the package: ``pip install 'gupgeo[pdf]'``, ``'gupgeo[postgis]'``,
``'gupgeo[dask]'``. A command or function that needs one calls :func:`require` first,
so that ``gupgeo atlas … --pdf`` without WeasyPrint stops at once with the hint, not
after building every page.

Examples
--------
>>> install_hint("pdf")
"pip install 'gupgeo[pdf]'"
>>> require("postgis", why="test")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.util

from gupgeo.errors import GupgeoError

EXTRAS: dict[str, tuple[str, ...]] = {
    "pdf": ("weasyprint",),
    "postgis": ("psycopg",),
    "dask": ("dask", "dask_geopandas", "distributed"),
}
"""Extra of the package → the modules it installs."""
_NATIVE = {
    "pdf": "sous Debian, WeasyPrint demande aussi : apt-get install libpango-1.0-0 "
    "libpangoft2-1.0-0"
}


class MissingDependencyError(GupgeoError, ImportError):
    """An optional dependency is missing; the message says how to install it."""


def install_hint(extra: str) -> str:
    """The command installing an extra: ``pip install 'gupgeo[pdf]'``."""
    return f"pip install 'gupgeo[{extra}]'"


def require(extra: str, *, why: str, load: bool = False) -> None:
    """Raise :class:`MissingDependencyError` unless the modules of ``extra`` are installed.

    ``why`` says what needs them (« l'option --pdf »); ``load`` imports them rather than
    only finding them (WeasyPrint fails at import when its native library is missing).
    """
    if extra not in EXTRAS:
        raise ValueError(f"extra inconnu « {extra} » ; attendu l'un de : {', '.join(EXTRAS)}")
    for module in EXTRAS[extra]:
        try:
            if load:
                importlib.import_module(module)
            elif importlib.util.find_spec(module) is None:
                raise ImportError(f"module {module} absent")
        except ImportError as exc:
            raise _missing(extra, module, why, "absent") from exc
        except (OSError, ValueError) as exc:  # a native library missing: its message helps
            raise _missing(extra, module, why, f"inutilisable ({exc})") from exc


def _missing(extra: str, module: str, why: str, state: str) -> MissingDependencyError:
    native = f" ; {_NATIVE[extra]}" if extra in _NATIVE else ""
    return MissingDependencyError(
        f"{why} demande {module}, {state} : installez-le avec "
        f"{install_hint(extra)}{native}. Rien n'a été fait."
    )


__all__ = ["EXTRAS", "MissingDependencyError", "install_hint", "require"]
