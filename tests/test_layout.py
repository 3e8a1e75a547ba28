"""The package's shape: modules named after what a planner names, no import cycle.

The import graph is read from the source (every ``import`` anywhere in a module, lazy
ones included; ``if TYPE_CHECKING:`` blocks excluded since they never run), so a cycle
hidden inside a function is found too.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gupgeo"
TOP_LEVEL_HELPERS = {
    "__init__",
    "__main__",
    "_atomic",  # atomic writes: territory, reports, exports, atlas all write through it
    "_lock",  # one writer at a time: GeoPackage and PostGIS saves, importer, atlas folders
    "_spreadsheet",  # formula-safe CSV/XLSX cells: dashboard, attribution, rejects
    "_xlsx",  # the XLSX parts written from the values, for _spreadsheet.write_sheets
}
"""The only private modules allowed at the package top: small cross-cutting helpers."""


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    nodes: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        nodes.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return nodes


def imports_of(path: Path, modules: set[str], package: Path = PACKAGE) -> set[str]:
    """The gupgeo modules ``path`` imports at run time (submodules resolved)."""
    here = module_name(path, package)
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if candidate in modules:
                    found.add(candidate)
                elif node.module in modules:
                    found.add(node.module)
    found.discard(here)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    paths = sorted(package.rglob("*.py"))
    modules = {module_name(p, package) for p in paths}
    return {module_name(p, package): imports_of(p, modules, package) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            # A package's __init__ re-exporting its submodules is not a cycle.
            if node.startswith(nxt + ".") or nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_is_read():
    graph = import_graph()
    assert "gupgeo.dashboard.export" in graph["gupgeo.dashboard"]
    assert "gupgeo.review.html" in graph["gupgeo.review.build"]


def test_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_a_cycle_would_be_found():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_models_do_not_import_their_renderers():
    graph = import_graph()
    assert not graph["gupgeo.dashboard.model"] & {
        "gupgeo.dashboard.export",
        "gupgeo.dashboard.charts",
    }
    assert "gupgeo.review.html" not in graph["gupgeo.review.model"]


def test_no_private_module_at_the_package_top():
    loose = [p.stem for p in PACKAGE.glob("_*.py") if p.stem not in TOP_LEVEL_HELPERS]
    assert loose == []


FLOW: list[tuple[str, tuple[str, ...]]] = [
    (
        "cross-cutting",
        (
            "errors",
            "crs",
            "schemas",
            "french",
            "palette",
            "dates",
            "periods",
            "coverage",
            "secrecy",
            "_atomic",
            "_lock",
            "_spreadsheet",
            "_xlsx",
            "optional",
        ),
    ),
    ("read", ("readers",)),
    ("validate", ("validation", "manifest")),
    ("store", ("territory", "storage")),
    ("attribute", ("attribution",)),
    ("indicators", ("indicators",)),
    ("publish", ("publication",)),
    ("veille", ("veille",)),
    ("render", ("rendering",)),
    ("products", ("dashboard", "maps", "atlas", "review", "qgis", "diagnostics", "bulletin")),
    ("command line", ("cli", "__main__", "__init__")),
]
"""The steps of the data flow, in order, and the modules or packages of each (the table of
CONTRIBUTING.md "The flow"): a module imports only from its own step or an earlier one."""


def step_of(module: str) -> int:
    """The index in :data:`FLOW` of a ``gupgeo`` module (``gupgeo`` itself: ``__init__``)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    found = [i for i, (_, names) in enumerate(FLOW) if top in names]
    assert len(found) == 1, f"{module} : déclarez son étape dans FLOW (une seule)"
    return found[0]


def against_the_flow(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a later step, as ``module (step) -> imported (step)``."""
    found = []
    for module, imported in sorted(graph.items()):
        here = step_of(module)
        for target in sorted(imported):
            if (there := step_of(target)) > here:
                found.append(f"{module} ({FLOW[here][0]}) -> {target} ({FLOW[there][0]})")
    return found


def test_every_module_has_one_step():
    for module in import_graph():
        step_of(module)


def test_data_flows_one_way():
    """No module imports from a later step, lazy imports included."""
    assert against_the_flow(import_graph()) == []


def test_the_flow_check_would_catch_a_lazy_import(tmp_path: Path):
    package = tmp_path / "gupgeo"
    (package / "readers").mkdir(parents=True)
    (package / "maps").mkdir()
    for init in ("__init__.py", "readers/__init__.py", "maps/__init__.py"):
        (package / init).write_text("")
    (package / "maps" / "base.py").write_text("def base_map():\n    return None\n")
    (package / "readers" / "probe.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from gupgeo.maps import base\n"  # never runs: allowed
        "def f():\n    from gupgeo.maps.base import base_map\n"
    )
    assert against_the_flow(import_graph(package)) == [
        "gupgeo.readers.probe (read) -> gupgeo.maps.base (products)"
    ]


def _flow_table() -> list[tuple[str, tuple[str, ...]]]:
    text = (PACKAGE.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## The flow", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            names = re.findall(r"`([^`]+)`", cells[2])
            rows.append((cells[1], tuple(n.removesuffix(".py").rstrip("/") for n in names)))
    return rows


def test_contributing_shows_the_declared_flow():
    assert _flow_table() == FLOW


def external_imports(path: Path) -> set[str]:
    """The top-level names of the modules ``path`` imports at run time, lazily or not."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_indicators_load_neither_maps_nor_spatial_statistics():
    """The indicators are pure tables: no folium, no esda or libpysal (the veille's)."""
    for path in sorted((PACKAGE / "indicators").rglob("*.py")):
        assert not external_imports(path) & {"folium", "esda", "libpysal"}, path.name


def private_package(module: str) -> str | None:
    """The package a private module belongs to (``gupgeo.atlas`` for
    ``gupgeo.atlas._build``), or None when the module is public."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and part not in ("__init__", "__main__"):
            return ".".join(parts[:i])
    return None


def private_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a private module from outside its package."""
    found = []
    for module, imported in sorted(graph.items()):
        for target in sorted(imported):
            owner = private_package(target)
            if owner is not None and module != owner and not module.startswith(owner + "."):
                found.append(f"{module} -> {target}")
    return found


def test_no_private_module_is_used_across_packages():
    assert private_imports(import_graph()) == []


def test_the_private_check_would_catch_a_borrowed_module():
    graph = {
        "gupgeo.review.html": {"gupgeo.atlas._svg", "gupgeo._atomic"},
        "gupgeo.atlas._build": {"gupgeo.atlas._svg"},
    }
    assert private_imports(graph) == ["gupgeo.review.html -> gupgeo.atlas._svg"]


@pytest.mark.parametrize(
    "name", ["gupgeo.validation", "gupgeo.attribution", "gupgeo.dashboard", "gupgeo.review"]
)
def test_subpackages_are_modules(name: str):
    assert isinstance(importlib.import_module(name), types.ModuleType)


def test_top_level_names_do_not_hide_modules():
    import gupgeo

    assert isinstance(gupgeo.dashboard, types.ModuleType)
    assert callable(gupgeo.build_dashboard)


def test_lazy_public_names_are_listed_and_load():
    """Names loaded on first use (maps, atlas, bulletin…) show in ``dir(gupgeo)`` and load."""
    import gupgeo

    lazy = gupgeo._LAZY
    assert {"build_bulletin", "build_atlas", "map_territory"} <= set(lazy)
    assert set(lazy) <= set(dir(gupgeo))
    assert all(callable(getattr(gupgeo, name)) for name in lazy)


def test_python_m_gupgeo_runs_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "gupgeo", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "validate" in done.stdout


MAX_FUNCTION_LINES = 80
"""Longest function body (docstring excluded) before it must be split into named steps."""


def long_functions() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            if body and body[-1].end_lineno is not None:
                length = body[-1].end_lineno - body[0].lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{module_name(path)}.{node.name} ({length} lignes)")
    return found


def test_no_function_over_80_lines():
    assert long_functions() == []


PRODUCT_ENTRIES = {
    "gupgeo.dashboard.model": "build_dashboard",
    "gupgeo.maps.compose": "map_territory",
    "gupgeo.atlas._build": "build_atlas",
    "gupgeo.review.build": "review_operation",
    "gupgeo.bulletin.build": "build_bulletin",
    "gupgeo.qgis": "write_qgis_project",
    "gupgeo.diagnostics.model": "build_suivi",
    "gupgeo.diagnostics.releve": "build_releve",
    "gupgeo.diagnostics.sheet": "build_sheet",
}
"""Every shared product's entry point: it takes a Publication."""
PRODUCT_PACKAGES = (
    "gupgeo.dashboard",
    "gupgeo.maps",
    "gupgeo.atlas",
    "gupgeo.review",
    "gupgeo.qgis",
    "gupgeo.diagnostics",
    "gupgeo.bulletin",
)
RAW_DOORS = {
    "gupgeo.attribution.territory.attributed",
    "gupgeo.attribution.territory.attribute_territory",
    "gupgeo.attribution.attributed",
    "gupgeo.attribution.attribute_territory",
    "gupgeo.storage.loading.as_territory",
    "gupgeo.storage.loading.load_territory",
    "gupgeo.publication.profile.check_profile",
    "gupgeo.publication.check_profile",
}
"""What a product must not call: it would read unpublished layers or re-decide the profile."""


@pytest.mark.parametrize(("module", "function"), sorted(PRODUCT_ENTRIES.items()))
def test_every_product_takes_a_publication(module: str, function: str):
    import inspect

    entry = getattr(importlib.import_module(module), function)
    first = next(iter(inspect.signature(entry).parameters.values()))
    assert "Publication" in str(first.annotation) and "Any" not in str(first.annotation)
    profile = inspect.signature(entry).parameters.get("publication")
    assert profile is not None and profile.default is None  # a Publication keeps its own


def _imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_no_product_reads_raw_layers_or_decides_the_profile():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        if module.startswith(PRODUCT_PACKAGES) and (found := _imported_names(path) & RAW_DOORS):
            offenders.append(f"{module}: {sorted(found)}")
    assert offenders == []


def test_the_layout_check_would_find_a_raw_door(tmp_path: Path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from gupgeo.storage.loading import load_territory\n")
    assert _imported_names(probe) & RAW_DOORS == {"gupgeo.storage.loading.load_territory"}


def _names_a_profile(node: ast.AST) -> bool:
    """A profile's name (``"public"``), a ``Profil`` member, or a tuple/list/set of them."""
    from gupgeo.publication import PROFILES

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.strip().lower() in PROFILES
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id == "Profil" and node.attr.isupper()
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_a_profile(e) for e in node.elts)
    return False


def profile_branches(path: Path) -> list[str]:
    """Comparisons (``==``, ``!=``, ``is``, ``in``…) of a value to a profile name or a
    ``Profil`` member in a module: ``file:line`` of each."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(_names_a_profile(o) for o in (node.left, *node.comparators))
    ]


def test_no_product_branches_on_the_profile_name():
    """Products ask the Publication what it shows (``locates``, ``masks``, ``secret``)."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        if module.startswith(PRODUCT_PACKAGES) or module == "gupgeo.veille.bulletin":
            offenders += [f"{module} {where}" for where in profile_branches(path)]
    assert offenders == []


def test_the_profile_check_would_find_a_branch(tmp_path: Path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f(pub, s):\n"
        "    if pub.profil is Profil.PUBLIC:\n"
        "        return 1\n"
        "    if s.publication != 'public' and pub.locates:\n"
        "        return 2\n"
        "    x = 3 if s.profile in ('interne', 'partenaires') else 4\n"
        "    return pub.secret and Profil.parse(s.publication).masks\n"
    )
    assert profile_branches(probe) == ["probe.py:2", "probe.py:4", "probe.py:6"]


def test_every_test_file_is_described_in_tests_readme():
    readme = (Path(__file__).parent / "README.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in Path(__file__).parent.glob("*.py") if p.name != "__init__.py")
    assert [f for f in files if f"`{f}`" not in readme] == []


# One name, one thing: a class or a constant is defined in one module, which the others
# import. Two modules defining the same class name, or the same constant with the same
# value, are twins that drift apart.

NAMED_TWINS = ("LayerReport", "STATUTS", "HORS_QPV", "Zones", "Figure", "words", "_words")
"""Names the issue "A house the next engineer can take over" found defined twice."""

KNOWN_TWINS: set[str] = set()
"""Twins tolerated by the check: none (a name defined twice gets one home)."""


def top_level_definitions(root: Path) -> dict[str, list[tuple[str, str]]]:
    """Every top-level class, function and upper-case constant: name → [(module, value)]."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                found.setdefault(node.name, []).append((module, type(node).__name__))
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id.lstrip("_").isupper():
                        value = ast.dump(node.value)
                        found.setdefault(target.id, []).append((module, value))
    return found


def twins(root: Path) -> list[str]:
    """Classes defined in two modules, constants defined twice with one value, and the
    :data:`NAMED_TWINS` defined more than once."""
    out = []
    for name, places in top_level_definitions(root).items():
        modules = sorted({m for m, _ in places})
        if len(modules) < 2:
            continue
        kinds = [v for _, v in places]
        same_class = kinds.count("ClassDef") >= 2
        same_value = any(kinds.count(v) >= 2 for v in kinds if v not in ("FunctionDef",))
        if same_class or same_value or name in NAMED_TWINS:
            out.append(f"{name} : {', '.join(modules)}")
    return out


def test_no_twin_definitions():
    found = [t for t in twins(PACKAGE) if t.split(" : ")[0] not in KNOWN_TWINS]
    assert found == []


def test_the_twin_check_would_find_one(tmp_path: Path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text('class Figure:\n    pass\n\nHORS = "hors QPV"\nLIMIT = 3\n')
    (pkg / "b.py").write_text('class Figure:\n    pass\n\nHORS = "hors QPV"\nLIMIT = 4\n')
    assert twins(pkg) == ["Figure : pkg.a, pkg.b", "HORS : pkg.a, pkg.b"]


# Functions are kept under 80 lines by splitting them into named steps, never by packing
# statements on a line ruff would have split: no ``fmt: skip``, no line over 100 columns.

MAX_LINE_COLUMNS = 100
PACKED_FILES: set[str] = set()
"""Files other work was changing when this check was written; the lead empties the set once
they are formatted (``ruff format``) and split where a function then grows too long."""


def packed_lines(root: Path) -> list[str]:
    """``path:line`` of every ``fmt: skip`` and every line over :data:`MAX_LINE_COLUMNS`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root.parent).as_posix()
        if name in PACKED_FILES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "fmt: " + "skip" in line or len(line) > MAX_LINE_COLUMNS:
                found.append(f"{name}:{number}")
    return found


def test_no_line_packed_to_fit_a_limit():
    assert packed_lines(PACKAGE) == []


def test_the_packing_check_would_find_a_skip(tmp_path: Path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\ny = (1,\n     2)  # fmt: " + "skip\nz = '" + "a" * 99 + "'\n")
    assert packed_lines(pkg) == ["pkg/a.py:3", "pkg/a.py:4"]


MAX_MODULE_LINES = 600
"""Longest module before it must be cut along its seams (the CLI, a list of commands, aside)."""


def test_no_module_over_600_lines():
    long = [
        f"{path.relative_to(PACKAGE.parent).as_posix()} ({n} lignes)"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "cli.py" or path.parent != PACKAGE
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []
