"""The notebooks in notebooks/ run top to bottom on the bundled sample, in a real kernel.

They are executed the way planners run them: by a Jupyter kernel (ipykernel, through
nbclient, both in the ``dev`` extras), cell after cell, outputs displayed — not by
``exec`` in the test process. A cell raising fails the test with the notebook and the
cell; maps left in a notebook display inline, with their libraries embedded (no CDN).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .conftest import REPO

# A script or stylesheet loaded from the network, in plain or iframe-escaped HTML.
REMOTE = re.compile(
    r"(?:<|&lt;)(?:script|link)\s(?:[^<>&]|&quot;)*?(?:src|href)=(?:\\?[\"']|&quot;)https?://",
    re.IGNORECASE,
)

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
TIMEOUT_S = 600
"""Longest a cell may run."""
SHOWS_A_MAP = {"02_rattacher_compter_cartographier.ipynb", "04_veille.ipynb"}
"""Notebooks whose cells end with a map, displayed inline by the kernel."""


def _html_outputs(nb: nbformat.NotebookNode) -> list[str]:
    return [
        "".join(output["data"]["text/html"])
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "text/html" in output.get("data", {})
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_in_a_kernel(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    assert any(c.cell_type == "code" for c in nb.cells), f"{path.name} has no code cell"
    client = NotebookClient(
        nb, timeout=TIMEOUT_S, kernel_name="python3",
        resources={"metadata": {"path": str(REPO / "notebooks")}},
    )  # fmt: skip
    try:
        client.execute()
    except CellExecutionError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{path.name} : {exc}")
    executed = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in executed if c.source.strip()), path.name
    errors = [o for c in executed for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, path.name
    maps = [html for html in _html_outputs(nb) if "<iframe" in html]
    assert bool(maps) == (path.name in SHOWS_A_MAP), path.name
    for html in maps:
        assert not REMOTE.search(html), path.name
