"""Smoke test of ``benchmarks/scale.py`` on tiny data: it runs, checks its own answers,
prints its table. Figures are not looked at (tests never assert on time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.postgis_support import require_postgis, with_schema

REPO = Path(__file__).resolve().parents[1]


def test_the_scale_benchmark_runs_on_tiny_data(postgis_server: str | None, tmp_path: Path):
    url = with_schema(require_postgis(postgis_server))
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "scale.py"), "--points", "3000",
         "--zones", "30", "--postgis-points", "500", "--url", url, "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows[1:]] == ["memoire", "dask (2 workers)", "postgis"]
    assert "| 3,000 |" in rows[1] and "| 500 |" in rows[3]
    assert "réponses identiques : oui" in rows[3]
    assert "comptes par quartier identiques entre mémoire et dask (2 workers)" in done.stdout
