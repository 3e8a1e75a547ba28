"""What ``pyproject.toml`` declares is what ``gupgeo/`` imports, no more, no less.

Every ``import X`` / ``from X import …`` of the package is read from the source (AST, so
imports inside functions count too); each third-party top-level module is mapped to the
distribution that provides it in this environment (``packages_distributions``, e.g.
``sklearn`` → scikit-learn, ``PIL`` → pillow) and must be a declared dependency — or, for
an optional feature (``pdf``), be imported only inside a function so that a plain install
still imports every module. Conversely each declared dependency must be imported somewhere:
an unused one is dropped. The wheel test (test_wheel.py) then runs a map in a venv holding
the declared dependencies only.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "gupgeo"
OPTIONAL_FEATURES = ("pdf", "postgis", "dask")
"""Extras that add a feature at run time (the others, dev and bench, serve the checkout)."""


@dataclass(frozen=True)
class Import:
    module: str
    where: str
    in_function: bool


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement strings (``"jinja2>=3.1"`` → ``jinja2``)."""
    return {_normalise(re.split(r"[\s\[<>=!~;@]", r.strip(), maxsplit=1)[0]) for r in requirements}


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    optional = set().union(*(_names(extras.get(f, [])) for f in OPTIONAL_FEATURES))
    return _names(project["dependencies"]), optional


def _imports_of(tree: ast.AST, where: str, in_function: bool = False) -> list[Import]:
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name.split(".")[0], where, in_function))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(Import(node.module.split(".")[0], where, in_function))
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        found.extend(_imports_of(node, where, inside))
    return found


def third_party_imports() -> list[Import]:
    """Every import of a module that is neither standard library nor gupgeo itself."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = str(path.relative_to(REPO))
        found.extend(_imports_of(ast.parse(path.read_text(encoding="utf-8")), where))
    return [i for i in found if i.module not in sys.stdlib_module_names and i.module != "gupgeo"]


@cache
def _providers() -> dict[str, list[str]]:
    return dict(packages_distributions())  # scans every installed distribution: once


def _distributions(module: str) -> set[str]:
    return {_normalise(d) for d in _providers().get(module, [])}


def test_every_third_party_import_is_declared():
    required, optional = _declared()
    problems = []
    for imp in third_party_imports():
        dists = _distributions(imp.module)
        if not dists:
            problems.append(f"{imp.where} : {imp.module} importé, fourni par aucune distribution")
        elif dists & required:
            continue
        elif dists & optional:
            if not imp.in_function:
                problems.append(
                    f"{imp.where} : {imp.module} (option {OPTIONAL_FEATURES}) importé au niveau "
                    "du module ; importez-le dans la fonction qui s'en sert"
                )
        else:
            problems.append(
                f"{imp.where} : {imp.module} (distribution {sorted(dists)}) non déclaré dans "
                "[project].dependencies de pyproject.toml"
            )
    assert not problems, "\n".join(problems)


def test_every_declared_dependency_is_imported():
    required, optional = _declared()
    used: defaultdict[str, list[str]] = defaultdict(list)
    for imp in third_party_imports():
        for dist in _distributions(imp.module):
            used[dist].append(imp.where)
    unused = sorted((required | optional) - set(used))
    assert not unused, f"déclarés mais jamais importés par gupgeo/ : {unused}"


def test_the_build_helper_needs_only_the_standard_library():
    """``setup.py`` loads it by path in an isolated build environment (no gupgeo, no deps)."""
    helper = PACKAGE / "maps" / "_fetch.py"
    modules = {i.module for i in _imports_of(ast.parse(helper.read_text(encoding="utf-8")), "")}
    assert modules <= set(sys.stdlib_module_names), modules
