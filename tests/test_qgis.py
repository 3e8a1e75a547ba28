"""The QGIS project of a publication, written without QGIS and checked by the real QGIS.

The project is written by the project's Python (no QGIS there); ``tests/qgis_check.py``
then opens it with the *system* Python of Debian's ``python3-qgis`` (QGIS 3.22 LTR),
headless (``QT_QPA_PLATFORM=offscreen``) and, where ``unshare -n`` is allowed, with no
network at all, and reports what QGIS sees. Without QGIS these tests skip, except under
``CI=true`` where they fail (``.ci/run`` installs ``python3-qgis qgis-providers``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

import gupgeo
from gupgeo.cli import main
from gupgeo.maps.layers import GRAVITE
from gupgeo.palette import CATEGORY_COLORS, GRAVITE_COLORS, OPERATION_COLOR, QUARTIER_COLOR
from gupgeo.publication import aggregate_events, publish
from gupgeo.qgis import PostgisSource, write_qgis_project
from gupgeo.qgis.figures import KEY_FIGURES, quartier_dashboard
from gupgeo.rendering.classes import (
    MISSING_COLOR,
    SECRET_COLOR,
    YLORRD,
    category_classes,
    classify,
)
from tests.browser_support import IN_CI, write_fake_assets
from tests.postgis_support import require_postgis, with_schema

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
CHECK = ROOT / "tests" / "qgis_check.py"
SYSTEM_PYTHON = os.environ.get("GUPGEO_QGIS_PYTHON", "/usr/bin/python3")
INSTALL = "apt-get install -y --no-install-recommends python3-qgis qgis-providers"
PERIOD = "2024"


def qgis_python() -> str:
    """The system Python that imports ``qgis.core``; fail in CI, skip elsewhere."""
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True,
        env=_qgis_env(),
    ) if Path(SYSTEM_PYTHON).exists() else None  # fmt: skip
    if probe is None or probe.returncode != 0:
        why = f"QGIS introuvable pour {SYSTEM_PYTHON} ({INSTALL})"
        if IN_CI:
            pytest.fail(f"CI : {why}", pytrace=False)
        pytest.skip(why)
    return SYSTEM_PYTHON


def _qgis_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["XDG_RUNTIME_DIR"] = env.get("XDG_RUNTIME_DIR", "/tmp")
    return env


def _network_cut() -> list[str]:
    """``unshare -n`` (a network namespace with no interface up) when allowed."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def run_qgis(project: Path, out: Path, *, offline: bool = True) -> dict[str, Any]:
    """Open ``project`` in QGIS (``tests/qgis_check.py``) and return its report."""
    python = qgis_python()
    cmd = [*(_network_cut() if offline else []), python, str(CHECK), str(project), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=_qgis_env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads((out / "rapport.json").read_text(encoding="utf-8"))
    report["offline"] = bool(offline and _network_cut())
    return report


@pytest.fixture(scope="module")
def territory() -> Any:
    return gupgeo.attribute_territory(gupgeo.load_territory(SAMPLE))


@pytest.fixture(scope="module")
def partenaires(territory: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("qgis_partenaires")
    pub = publish(territory, "partenaires")
    project = write_qgis_project(pub, folder / "projet.qgz", period=PERIOD, lizmap=True)
    return {"pub": pub, "project": project, "folder": folder}


@pytest.fixture(scope="module")
def seen(partenaires: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    moved = tmp_path_factory.mktemp("deplace") / "dossier"
    shutil.copytree(partenaires["folder"], moved)  # relative paths: the folder moves whole
    return run_qgis(moved / "projet.qgz", tmp_path_factory.mktemp("qgis_vu"))


@pytest.fixture(scope="module")
def public(territory: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("qgis_public")
    project = write_qgis_project(
        territory, folder / "projet.qgz", publication="public", period=PERIOD
    )
    report = run_qgis(project.path, tmp_path_factory.mktemp("qgis_public_vu"))
    return {"pub": aggregate_events(publish(territory, "public")), "project": project,
            "report": report}  # fmt: skip


def _qgs_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"{path.stem}.qgs").decode("utf-8")


def test_generation_needs_no_qgis_and_stores_no_url_nor_absolute_path(partenaires):
    assert "qgis" not in sys.modules and "qgis.core" not in sys.modules
    project = partenaires["project"]
    text = _qgs_text(project.path)
    assert "./projet.gpkg|layername=signalements" in text
    assert str(partenaires["folder"]) not in text
    assert "http://" not in text.replace("http://mrcc.com/qgis.dtd", "")
    assert "https://" not in text
    assert (partenaires["folder"] / "projet.gpkg").exists()
    config = json.loads((partenaires["folder"] / "projet.qgs.cfg").read_text(encoding="utf-8"))
    assert config["atlas"]["layers"][0]["layer"] == "quartiers_polygon"
    assert config["layers"]["Signalements"]["popup"] == "True"


def test_every_layer_is_valid_with_the_publications_counts(seen, partenaires):
    pub = partenaires["pub"]
    assert seen["read"]
    if seen["offline"]:  # opened in a network namespace with no interface up
        assert seen["network"] is False
    assert {layer["provider"] for layer in seen["layers"].values()} == {"ogr"}  # no basemap
    assert seen["crs"] == "EPSG:2154"
    assert seen["urls"] == []
    by_table: dict[str, int] = {}
    for layer_id, layer in seen["layers"].items():
        assert layer["valid"], layer_id
        assert layer["crs"] == "EPSG:2154", layer_id
        if layer_id != "quartiers_taux":
            table = layer_id.rsplit("_", 1)[0]
            by_table[table] = by_table.get(table, 0) + layer["features"]
    spatial = {
        name: len(frame)
        for name, frame in pub.layers.items()
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().any()
    }
    assert by_table == spatial
    assert seen["groups"]["Territoire"] == ["Quartiers prioritaires", "Opérations d'aménagement"]
    assert seen["groups"]["Prévention situationnelle"][0].startswith("Constats")


def _classes(layer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c.get("value", c.get("filter")), c["color"]) for c in layer["renderer"]["classes"]]


def test_styles_are_the_html_maps(seen, partenaires):
    pub = partenaires["pub"]
    layers = seen["layers"]
    labels, _, colors, counts = category_classes(pub.layers["signalements"]["categorie"])
    expected = [(lab, col.lower()) for lab, col in zip(labels, colors, strict=True)]
    assert _classes(layers["signalements_point"]) == [*expected, ("", MISSING_COLOR)]
    assert [c["color"] for c in layers["signalements_point"]["renderer"]["classes"][:8]] == [
        c.lower() for c in CATEGORY_COLORS[: min(8, len(labels))]
    ]
    assert layers["signalements_point"]["renderer"]["classes"][0]["label"] == (
        f"{labels[0]} ({counts[0]})"
    )
    for layer_id in ("constats_point", "constats_linestring", "constats_polygon"):
        assert _classes(layers[layer_id]) == [
            *((str(k), GRAVITE_COLORS[k].lower()) for k in GRAVITE),
            ("", MISSING_COLOR),
        ]
    _, _, type_colors, _ = category_classes(pub.layers["equipements"]["type"])
    assert [c for _, c in _classes(layers["equipements_point"])][:-1] == [
        c.lower() for c in type_colors
    ]
    assert len(layers["equipements_point"]["renderer"]["classes"][0]["layers"]) == 2  # badge
    assert layers["quartiers_polygon"]["renderer"]["classes"][0]["color"] == QUARTIER_COLOR.lower()
    assert layers["quartiers_polygon"]["label_expression"] == '"nom_affiche"'
    assert layers["operations_polygon"]["renderer"]["classes"][0]["color"] == (
        OPERATION_COLOR.lower()
    )


def test_qgis_classes_read_as_the_html_maps_legend(seen, partenaires):
    """The HTML map's own legend (same publication): same labels, colours and breaks."""
    from gupgeo.maps import map_territory
    from gupgeo.maps._elements import ThemedGroup

    m = map_territory(partenaires["pub"], basemap=None)
    legends = {
        g.layer_name: [
            (e["label"], e["color"].lower()) for e in g.legend["entries"] if "color" in e
        ]
        for g in m._children.values()
        if isinstance(g, ThemedGroup) and g.legend
    }
    qgis_ids = {"Signalements": "signalements_point", "Équipements": "equipements_point",
                "Taux de signalements": "quartiers_taux"}  # fmt: skip
    for name, layer_id in qgis_ids.items():
        qgis = [(c["label"].rsplit(" (", 1)[0], c["color"]) for c in
                seen["layers"][layer_id]["renderer"]["classes"]]  # fmt: skip
        html = [row for row in legends[name] if not row[0].startswith(("autres", "groupe"))]
        assert qgis[: len(html)] == html, name
    assert len(legends["Taux de signalements"]) >= 2


def test_the_rate_layer_has_the_maps_breaks(seen, partenaires):
    quartiers = gpd.read_file(partenaires["folder"] / "projet.gpkg", layer="quartiers")
    _, labels, colors = classify(quartiers["taux_signalements"], scheme="NaturalBreaks", k=5)
    classes = seen["layers"]["quartiers_taux"]["renderer"]["classes"]
    assert [c["color"] for c in classes] == [*(c.lower() for c in colors), MISSING_COLOR]
    assert [c["label"].rsplit(" (", 1)[0] for c in classes[:-1]] == labels
    assert not seen["layers"]["quartiers_taux"]["visible"]


def test_layers_open_styled_alone_from_layer_styles(seen, partenaires):
    for layer_id, layer in seen["layers"].items():
        if layer_id != "quartiers_taux":
            assert layer["alone"]["type"] == layer["renderer"]["type"], layer_id
    assert (
        seen["layers"]["signalements_point"]["alone"]["classes"]
        == (seen["layers"]["signalements_point"]["renderer"]["classes"])
    )


def test_metadata_carries_the_provenance_and_the_profile(seen):
    assert seen["metadata"]["title"] == "Territoire GUP"
    assert any(
        line.startswith("signalements : signalements.csv") for line in seen["metadata"]["history"]
    )
    assert any(line.startswith("publication : constats") for line in seen["metadata"]["history"])
    assert seen["custom"] == {"profil": "partenaires", "periode": PERIOD, "projet": "projet.qgz"}
    assert "partenaires" in seen["metadata"]["abstract"]


def test_the_atlas_prints_one_page_per_quartier(seen, partenaires):
    codes = sorted(partenaires["pub"].layers["quartiers"]["code_qp"])
    layout = seen["layout"]
    assert layout["name"] == "Atlas des quartiers" and layout["atlas_enabled"]
    assert sorted(p["code_qp"] for p in layout["pages"]) == codes
    assert layout["pdfs_result"] == 0 and layout["pdf_result"] == 0
    assert layout["pdf_files"] == [f"atlas_{code}.pdf" for code in codes]  # one per quartier
    assert layout["pdf_pages"] == len(codes)  # and the whole atlas: one page each


def test_a_rendered_map_is_not_blank(seen):
    image = seen["image"]
    assert image["std"] > 20 and image["non_white_share"] > 0.05 and image["colors"] > 50


def test_public_draws_counts_with_secret_cells_hatched(public):
    pub, report = public["pub"], public["report"]
    layers = report["layers"]
    assert "signalements_point" not in layers
    cells = layers["signalements_agreges_polygon"]
    assert cells["valid"] and cells["features"] == len(pub.layers["signalements_agreges"])
    classes = cells["renderer"]["classes"]
    secret = classes[-1]
    assert secret["label"].startswith("secret") and secret["color"] == SECRET_COLOR
    assert len(secret["layers"]) == 2  # line pattern + outline: hatched
    effectif = pub.layers["signalements_agreges"]["effectif"]
    _, _, colors = classify(
        effectif.mask(pub.layers["signalements_agreges"]["secret"]), scheme="Quantiles", k=4,
        decimals=0,
    )  # fmt: skip
    assert [c["color"] for c in classes[:-2]] == [c.lower() for c in colors]
    assert tuple(colors) == YLORRD[len(colors)]
    assert report["layout"]["pdf_pages"] == len(pub.layers["quartiers"])
    assert report["urls"] == []


def test_same_figures_in_the_qgis_atlas_the_html_atlas_and_the_dashboard(
    seen, partenaires, territory, tmp_path, monkeypatch
):
    """One number per figure: the dashboard's cell, the HTML atlas card, the QGIS page."""
    from tests._html_parse import parse

    monkeypatch.setenv("GUPGEO_ASSETS_DIR", str(write_fake_assets(tmp_path / "assets")))
    codes = ["LOC-SANITAS", "LOC-EUROPE"]
    result = gupgeo.build_atlas(
        partenaires["pub"], tmp_path / "atlas", period=PERIOD, quartiers=codes, workers=1,
        progress=False, basemap=None,
    )  # fmt: skip
    assert result.ok, result.summary()
    db = quartier_dashboard(partenaires["pub"], PERIOD)
    qgis_pages = {p["code_qp"]: p["chiffres"] for p in seen["layout"]["pages"]}
    checked = 0
    for page in result.pages:
        html = parse(tmp_path / "atlas" / page.href)
        cards: dict[str, list[tuple[str, str]]] = {}
        for key, value, text in html.indicators:  # the header card, then the tables
            cards.setdefault(key, []).append((value, text.strip()))
        lines = dict(line.split(" : ", 1) for line in qgis_pages[page.code_qp].splitlines()[1:])
        for fig in KEY_FIGURES:
            key = f"{fig.table}:{fig.column}"
            if fig.table == "quartiers" or key not in cards:
                continue
            value, text = cards[key][0]  # the page's key figure
            truth = db.tables[fig.table].loc[page.code_qp, fig.column]
            if pd.notna(truth):
                assert float(value) == pytest.approx(float(truth)), (page.code_qp, key)
            assert lines[fig.label] == text, (page.code_qp, key, cards[key])
            checked += 1
    assert checked >= 10


def test_styles_are_kept_and_user_styles_respected_on_a_second_run(partenaires, tmp_path):
    folder = tmp_path / "encore"
    shutil.copytree(partenaires["folder"], folder)
    gpkg = folder / "projet.gpkg"
    with sqlite3.connect(gpkg) as conn:
        conn.execute(
            'INSERT INTO layer_styles (f_table_name, "styleName", "styleQML", "useAsDefault") '
            "VALUES ('equipements', 'mon style', '<qgis/>', 1)"
        )
    write_qgis_project(partenaires["pub"], folder / "projet.qgz", period=PERIOD)
    with sqlite3.connect(gpkg) as conn:
        rows = conn.execute(
            'SELECT f_table_name, "styleName", "useAsDefault" FROM layer_styles '
            "WHERE f_table_name IN ('equipements', 'signalements') ORDER BY 1, 2"
        ).fetchall()
    assert rows == [("equipements", "gupgeo", 0), ("equipements", "mon style", 1),
                    ("signalements", "gupgeo", 1)]  # fmt: skip


def test_cli_writes_the_project(tmp_path, capsys):
    target = tmp_path / "sortie" / "projet.qgz"
    code = main(["qgis", str(SAMPLE), "-o", str(target), "--period", PERIOD,
                 "--publication", "public", "--lizmap"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "Projet QGIS écrit" in out and "Signalements par carreau" in out
    assert target.exists() and target.with_suffix(".gpkg").exists()
    assert (target.parent / "projet.qgs.cfg").exists()


def test_homonyms_are_labelled_with_their_commune_and_public_cells_read_secret():
    import shapely

    from gupgeo.qgis.figures import NAME_FIELD, with_figures

    quartiers = gpd.GeoDataFrame(
        {"code_qp": ["QP-A", "QP-B", "QP-C"], "nom_qp": ["Centre", "Centre", "Gare"],
         "commune": ["Blois", "Vierzon", "Tours"], "population": [1200, None, 900]},
        geometry=[shapely.box(i * 1000, 0, i * 1000 + 900, 900) for i in range(3)], crs=2154,
    )  # fmt: skip
    signalements = gpd.GeoDataFrame(
        {"id": [str(i) for i in range(14)], "categorie": ["propreté"] * 14,
         "code_qp": ["QP-A"] * 12 + ["QP-C"] * 2,
         "date_signalement": pd.Timestamp("2024-03-01")},
        geometry=[shapely.Point(100, 100)] * 12 + [shapely.Point(2100, 100)] * 2, crs=2154,
    )  # fmt: skip
    layers = {"quartiers": quartiers, "signalements": signalements}
    pub = publish(layers, "public")
    out = with_figures(pub.layers["quartiers"], quartier_dashboard(pub, PERIOD)).set_index(
        "code_qp"
    )
    assert out[NAME_FIELD].tolist() == ["Centre (Blois)", "Centre (Vierzon)", "Gare"]
    assert out.loc["QP-C", "chiffre_signalements"] == "secret"  # 2 < 11
    assert out.loc["QP-B", "chiffre_habitants"] == "n.c."
    assert out.loc["QP-A", "chiffre_habitants"] == "1\u202f200"


def test_a_path_without_qgz_is_refused(partenaires, tmp_path):
    with pytest.raises(ValueError, match=r"\.qgz"):
        write_qgis_project(partenaires["pub"], tmp_path / "projet.qgs", period=PERIOD)


def test_postgis_layers_read_the_published_schema_without_password(
    postgis_server, partenaires, tmp_path
):
    from gupgeo.storage.postgis import parse_url

    url = with_schema(require_postgis(postgis_server))
    location = parse_url(url)
    pub = partenaires["pub"]
    source = PostgisSource(location.conninfo, location.schema)
    project = write_qgis_project(pub, tmp_path / "pg.qgz", period=PERIOD, postgis=source)
    assert not (tmp_path / "pg.gpkg").exists()
    text = _qgs_text(project.path)
    assert "password" not in text and f'table="{location.schema}"."signalements"' in text
    report = run_qgis(project.path, tmp_path / "vu", offline=False)  # the server is on TCP
    expected = {layer.layer_id: layer.feature_count for layer in project.layers}
    for layer_id, layer in report["layers"].items():
        assert layer["valid"] and layer["provider"] == "postgres", layer_id
        assert layer["features"] == expected[layer_id], layer_id
    assert expected["signalements_point"] == len(pub.layers["signalements"])
    assert report["layout"]["pdf_pages"] == len(pub.layers["quartiers"])


def test_a_service_or_authcfg_replaces_every_connection_detail():
    source = PostgisSource("postgresql://gup:motdepasse@db:5433/sig", "tours", service="gup")
    assert source.conninfo() == "service='gup'"
    plain = PostgisSource("postgresql://gup:motdepasse@db:5433/sig?sslmode=require", "tours",
                          authcfg="ab12cd3")  # fmt: skip
    assert (
        plain.conninfo()
        == "dbname='sig' host=db port=5433 user='gup' sslmode='require' authcfg=ab12cd3"
    )
    assert "motdepasse" not in plain.conninfo()
