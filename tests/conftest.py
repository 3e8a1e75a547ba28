"""Shared fixtures: tiny hand-built Lambert-93 geometries with exact expectations.

Two 100 m squares side by side near Tours (Lambert-93 coordinates), and a
few points inside, on the edge, outside; plus helpers writing small files in
every format gupgeo reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from tests.postgis_support import pg_url, postgis_server  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Lower-left corner of the squares: a point in Tours (Lambert-93).
X0, Y0 = 525_000.0, 6_702_000.0


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    """Two adjacent 100 m × 100 m quartiers, A (west) and B (east), in EPSG:2154."""
    return gpd.GeoDataFrame(
        {
            "code_qp": ["LOC-A", "LOC-B"],
            "nom_qp": ["Quartier A", "Quartier de l'Alouette"],
            "commune": ["Tours", "Tours"],
            "insee_com": ["37261", "37261"],
            "population": [1000, 250],
        },
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
        crs="EPSG:2154",
    )


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    """Four signalements: in A, in B, 10 m outside A, far outside."""
    return gpd.GeoDataFrame(
        {
            "id": ["S1", "S2", "S3", "S4"],
            "date_signalement": ["2024-01-05", "05/02/2024", "45357", "2024-03-01"],
            "categorie": ["propreté", "éclairage", "tags", "voirie"],
            "statut": ["Nouveau", "Clôturé", "En cours", "closed"],
            "description": ["Rue de l'Alouette", "<b>lampadaire</b>", None, "ok"],
        },
        geometry=[
            Point(X0 + 50, Y0 + 50),
            Point(X0 + 150, Y0 + 50),
            Point(X0 - 10, Y0 + 50),
            Point(X0 + 5_000, Y0 + 5_000),
        ],
        crs="EPSG:2154",
    )


def require_sample() -> Path:
    """The bundled sample folder; a missing sample fails (it is committed)."""
    if not (SAMPLE / "signalements.csv").exists():
        pytest.fail(f"échantillon absent : {SAMPLE} (régénérer avec `make sample`)")
    return SAMPLE


@pytest.fixture(scope="module")
def fake_assets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tiny stand-ins for the npm map assets, set as ``GUPGEO_ASSETS_DIR`` for the module
    (HTML-level tests; the browser tests use the real files)."""
    from tests.browser_support import write_fake_assets

    patch = pytest.MonkeyPatch()
    directory = write_fake_assets(tmp_path_factory.mktemp("assets"))
    patch.setenv("GUPGEO_ASSETS_DIR", str(directory))
    yield directory
    patch.undo()
