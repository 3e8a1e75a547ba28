"""The bundled data: approximate quartiers (data/quartiers.geojson) and the synthetic sample.

The CSVs are read with plain pandas (French dialect: ``;``, decimal comma, UTF-8 BOM) so these
tests check the files themselves, independently of gupgeo's readers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from gupgeo.crs import WORK_CRS
from gupgeo.schemas import AXES_TFPB

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SAMPLE = DATA / "sample"
QUARTIERS = DATA / "quartiers.geojson"
SEED = "2024"
PUBLISHED_HA = {
    "LOC-SANITAS": 45.0,
    "LOC-MARYSE-BASTIE": 10.0,
    "LOC-RABATERIE": 34.0,
    "LOC-RABIERE": 35.0,
}
BINARY_SUFFIXES = {".shp", ".shx", ".dbf", ".xlsx"}


def read_french_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"id": str})


def run_script(*args: str) -> None:
    subprocess.run([sys.executable, *args], check=True, cwd=ROOT, capture_output=True)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Quartiers and sample regenerated once for the module, with the committed seed."""
    out = tmp_path_factory.mktemp("regen")
    run_script("scripts/make_quartiers.py", "--out", str(out / "quartiers.geojson"), "--seed", SEED)
    run_script(
        "scripts/make_sample_territory.py",
        "--out", str(out / "sample"),
        "--seed", SEED,
        "--quartiers", str(out / "quartiers.geojson"),
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def quartiers() -> gpd.GeoDataFrame:
    return gpd.read_file(QUARTIERS).to_crs(WORK_CRS)


@pytest.fixture(scope="module")
def signalements() -> pd.DataFrame:
    return read_french_csv(SAMPLE / "signalements.csv")


def _files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


# --- regeneration ---------------------------------------------------------------------------


def test_quartiers_regenerate_byte_identical(regenerated: Path) -> None:
    assert (regenerated / "quartiers.geojson").read_bytes() == QUARTIERS.read_bytes()


def test_sample_regenerates_the_same_files(regenerated: Path) -> None:
    assert _files(regenerated / "sample") == _files(SAMPLE)


def test_sample_text_files_regenerate_byte_identical(regenerated: Path) -> None:
    texts = [p for p in _files(SAMPLE) if p.suffix not in BINARY_SUFFIXES]
    assert len(texts) > 15
    different = [
        str(p)
        for p in texts
        if (regenerated / "sample" / p).read_bytes() != (SAMPLE / p).read_bytes()
    ]
    assert different == []


def test_sample_shapefile_regenerates_same_content(regenerated: Path) -> None:
    name = "dirty/equipements_sans_crs.shp"
    new = gpd.read_file(regenerated / "sample" / name)
    old = gpd.read_file(SAMPLE / name)
    pd.testing.assert_frame_equal(pd.DataFrame(new), pd.DataFrame(old), check_exact=True)


# --- data/quartiers.geojson -----------------------------------------------------------------


def test_quartiers_are_ten_valid_polygons(quartiers: gpd.GeoDataFrame) -> None:
    assert len(quartiers) == 10
    assert set(quartiers.geom_type) == {"Polygon"}
    assert quartiers.is_valid.all()
    assert quartiers["code_qp"].is_unique
    assert quartiers["code_qp"].str.startswith("LOC-").all()
    assert not quartiers["code_qp"].str.contains("QP0", regex=False).any()
    assert "LOC-TOURETTES" not in set(quartiers["code_qp"])


def test_quartiers_do_not_overlap(quartiers: gpd.GeoDataFrame) -> None:
    pairs = [
        (a.code_qp, b.code_qp)
        for a, b in combinations(quartiers.itertuples(), 2)
        if a.geometry.intersects(b.geometry)
    ]
    assert pairs == []


def test_quartier_areas_match_published_surfaces(quartiers: gpd.GeoDataFrame) -> None:
    area_ha = pd.Series(quartiers.area.to_numpy() / 10_000, index=quartiers["code_qp"])
    for code, published in PUBLISHED_HA.items():
        assert area_ha[code] == pytest.approx(published, rel=0.05)
    assert area_ha.between(8, 50).all()
    surface = quartiers.set_index("code_qp")["surface_ha"]
    assert (surface - area_ha).abs().max() < 0.05


def test_quartiers_attributes(quartiers: gpd.GeoDataFrame) -> None:
    q = quartiers.set_index("code_qp")
    assert q.loc["LOC-SANITAS", "population"] == 8227
    assert q.loc["LOC-RABIERE", "insee_com"] == "37122"
    assert q.loc["LOC-RABATERIE", "commune"] == "Saint-Pierre-des-Corps"
    assert q["population"].isna().sum() == 6
    assert (q["perimetre"] == "approximatif").all()
    assert q["source"].str.contains("pas le périmètre officiel").all()


def test_quartiers_metadata_says_approximate() -> None:
    raw = json.loads(QUARTIERS.read_text(encoding="utf-8"))
    assert raw["type"] == "FeatureCollection"
    assert "approximati" in raw["metadata"]["perimetre"]
    assert "APPROXIMATIFS" in raw["description"]
    coords = raw["features"][0]["geometry"]["coordinates"][0]
    assert all(len(str(c).split(".")[1]) <= 6 for xy in coords for c in xy)


# --- data/sample ----------------------------------------------------------------------------


def test_signalements_size_and_period(signalements: pd.DataFrame) -> None:
    assert len(signalements) >= 20_000
    assert signalements["id"].is_unique
    dates = pd.to_datetime(signalements["date_signalement"], format="%d/%m/%Y")
    assert dates.min() >= pd.Timestamp("2022-01-01")
    assert dates.max() <= pd.Timestamp("2024-12-31")
    assert set(dates.dt.year) == {2022, 2023, 2024}


def test_signalements_closing_dates(signalements: pd.DataFrame) -> None:
    opened = pd.to_datetime(signalements["date_signalement"], format="%d/%m/%Y")
    closed = pd.to_datetime(signalements["date_cloture"], format="%d/%m/%Y")
    assert (closed.dropna() >= opened[closed.notna()]).all()
    assert 5 <= (closed - opened).dt.days.median() <= 15
    open_raw = {"Nouveau", "Pris en compte", "Programmé", "En cours", "open"}
    assert closed[signalements["statut"].isin(open_raw)].isna().all()
    assert {"Doublon", "Hors compétence", "closed", "open", "Résolu"} <= set(signalements["statut"])


def test_signalements_seasonality(signalements: pd.DataFrame) -> None:
    month = pd.to_datetime(signalements["date_signalement"], format="%d/%m/%Y").dt.month
    winter = month.isin([12, 1, 2])
    summer = month.isin([6, 7, 8])
    eclairage = signalements["categorie"] == "éclairage"
    depots = signalements["categorie"] == "dépôts sauvages"
    assert (eclairage & winter).sum() > 2 * (eclairage & summer).sum()
    assert (depots & summer).sum() > 1.5 * (depots & winter).sum()


def test_signalements_about_ten_percent_outside(
    signalements: pd.DataFrame, quartiers: gpd.GeoDataFrame
) -> None:
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(signalements["longitude"], signalements["latitude"]),
        crs="EPSG:4326",
    ).to_crs(WORK_CRS)
    inside = points.within(quartiers.union_all())
    assert 0.08 <= 1 - inside.mean() <= 0.12


def test_signalements_fake_personal_data(signalements: pd.DataFrame) -> None:
    personal = signalements["description"].str.contains("example.org|06 12 34 56 78", regex=True)
    assert 0.005 <= personal.mean() <= 0.02
    assert signalements["description"].str.contains("'").any()
    assert signalements["adresse"].str.contains("'").any()


def test_constats_walks_and_geometries() -> None:
    constats = gpd.read_file(SAMPLE / "constats.geojson")
    walks = constats[constats["demarche"] != "ESSP"]["id_demarche"].nunique()
    assert walks >= 6
    assert set(constats["demarche"]) == {"diagnostic en marchant", "marche exploratoire", "ESSP"}
    assert {"Point", "LineString", "Polygon"} <= set(constats.geom_type)
    assert constats["gravite"].between(1, 3).all()


def test_equipements_names_with_apostrophes() -> None:
    equipements = gpd.read_file(SAMPLE / "equipements.geojson")
    assert len(equipements) == 150
    assert equipements["id"].is_unique
    assert {"Maison de l'Habitat", "Aire de jeux de l'Alouette"} <= set(equipements["nom"])
    assert {"école", "PAVE", "aire de jeux", "maison de projets"} <= set(equipements["type"])


def test_tfpb_axes_are_the_national_ones() -> None:
    tfpb = read_french_csv(SAMPLE / "tfpb.csv")
    assert set(tfpb["axe"]) <= set(AXES_TFPB)
    assert set(tfpb["annee"]) == {2022, 2023, 2024}


def test_tables_refer_to_known_ids(quartiers: gpd.GeoDataFrame) -> None:
    codes = set(quartiers["code_qp"])
    for name in ("actions", "tfpb", "arrets_agents", "reunions"):
        assert set(read_french_csv(SAMPLE / f"{name}.csv")["code_qp"]) <= codes, name
    ops = set(gpd.read_file(SAMPLE / "operations.geojson")["id"])
    eqs = set(gpd.read_file(SAMPLE / "equipements.geojson")["id"])
    assert set(read_french_csv(SAMPLE / "garanties.csv")["objet_id"]) <= ops | eqs


# --- data/sample/dirty: the problems the README promises ------------------------------------

DIRTY = SAMPLE / "dirty"


def test_dirty_windows1252_is_not_utf8() -> None:
    raw = (DIRTY / "signalements_windows1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert text.splitlines()[0].split(";")[-2:] == ["x", "y"]
    assert all(ch in text for ch in "éèçœ’")


def test_dirty_swapped_coordinates() -> None:
    df = pd.read_csv(DIRTY / "signalements_coordonnees_inversees.csv")
    assert ((df["lat"] < 10) & (df["lon"] > 40)).sum() == 7


def test_dirty_invalid_dates() -> None:
    df = read_french_csv(DIRTY / "signalements_dates_invalides.csv")
    raw = df["date_signalement"].fillna("").astype(str)
    ok = (
        raw.str.fullmatch(r"\d{5}")
        | pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce").notna()
        | pd.to_datetime(raw, format="%d/%m/%Y", errors="coerce").notna()
    )
    assert sorted(raw[~ok]) == sorted(["31/02/2024", "hier", "", "2024-13-01"])


def test_dirty_duplicates() -> None:
    df = read_french_csv(DIRTY / "signalements_doublons.csv")
    assert df["id"].duplicated().sum() == 3
    assert df["id"].nunique() == 40


def test_dirty_bow_tie_and_missing_prj() -> None:
    q = gpd.read_file(DIRTY / "quartiers_autointersection.geojson")
    assert list(q.loc[~q.is_valid, "code_qp"]) == ["LOC-MARYSE-BASTIE"]
    shp = gpd.read_file(DIRTY / "equipements_sans_crs.shp")
    assert shp.crs is None
    assert not (DIRTY / "equipements_sans_crs.prj").exists()
    assert shp.geometry.x.between(500_000, 560_000).all()
