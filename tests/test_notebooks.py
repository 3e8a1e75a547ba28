"""The notebooks in notebooks/ run top to bottom on the bundled sample (code cells only)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from .conftest import REPO

# A script or stylesheet loaded from the network, in plain or iframe-escaped HTML.
REMOTE = re.compile(
    r"(?:<|&lt;)(?:script|link)\s(?:[^<>&]|&quot;)*?(?:src|href)=(?:\\?[\"']|&quot;)https?://",
    re.IGNORECASE,
)

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO / "notebooks")
    os.environ.setdefault("MPLBACKEND", "Agg")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [("".join(c["source"])) for c in cells if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cell"
    namespace: dict[str, object] = {"__name__": "__notebook__"}
    for i, source in enumerate(code):
        try:
            exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"{path.name}, cellule de code {i} : {type(exc).__name__}: {exc}")
    # Maps left in the notebook display inline, with their libraries embedded (no CDN).
    for name, value in namespace.items():
        if type(value).__name__ == "TerritoryMap":
            html = value._repr_html_()
            assert "<iframe" in html, name
            assert not REMOTE.search(html), name
