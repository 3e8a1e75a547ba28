"""Write tests/README.md: one line per test file, from its module docstring.

Usage: ``.venv/bin/python scripts/tests_readme.py`` (``tests/test_layout.py`` checks that
every test file is listed).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
HEADER = """# The tests

`make check` runs the fast ones (no browser, database, QGIS nor long end-to-end run);
`make test` runs them all, as CI does. Tiny hand-built Lambert-93 geometries give exact
expectations (`conftest.py`); the bundled synthetic sample (`data/sample`) gives end-to-end
checks. Browser tests drive Debian's `/usr/bin/chromium` (Playwright), database tests a real
PostGIS (`postgis_support.py`), the QGIS tests the system's QGIS 3.22 (`qgis_check.py`, run by
`/usr/bin/python3`). With `CI=true` none of them skips.

| file | what it guards |
|---|---|
"""


def main() -> None:
    rows = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name == "__init__.py":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        first = " ".join(doc.strip().split("\n\n")[0].split()) if doc else "(helper)"
        rows.append(f"| `{path.name}` | {first.replace('|', '/')} |")
    (TESTS / "README.md").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
