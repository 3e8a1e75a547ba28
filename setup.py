"""Build hook: every wheel carries the pinned Leaflet assets. Metadata is in pyproject.toml.

Why a ``build_py`` subclass here rather than an in-tree build backend: ``cmdclass`` is
setuptools' documented extension point and needs no backend of our own; ``build_py`` runs
in every wheel build (``pip install .``, ``pip wheel .``, ``python -m build`` through the
sdist), and it writes into the build directory only, so the fetched files never enter the
source tree or git. Editable installs (``pip install -e .``) skip it: they read
``build/assets`` of the checkout, filled by ``make assets``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py

HELPER = Path(__file__).resolve().parent / "gupgeo" / "maps" / "_fetch.py"


def _load_helper() -> ModuleType:
    """``gupgeo.maps._fetch`` loaded by path: importing ``gupgeo`` would need its
    dependencies, absent from the isolated build environment (the helper needs none)."""
    spec = importlib.util.spec_from_file_location("_gupgeo_build_fetch", HELPER)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"module de construction introuvable : {HELPER}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class BuildPyWithAssets(build_py):
    """``build_py``, then ``npm ci`` and the checked copy into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        _load_helper().fetch_into_package(Path(self.build_lib))


setup(cmdclass={"build_py": BuildPyWithAssets})
