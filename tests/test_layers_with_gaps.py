"""Layers with gaps: ``--valeur`` constants, descriptive fields that never reject a row.

The street-bins layer is SYNTHETIC (tests/_street_bins.py, seeded): 2,464 points, no
name, 548 without address, no type column, many empty fields.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from gupgeo import load_territory
from gupgeo.cli import main
from gupgeo.errors import ManifestError, SchemaError
from gupgeo.manifest import manifest_entry, read_manifest
from tests._street_bins import N_BINS, N_WITHOUT_ADDRESS, write_street_bins


@pytest.fixture()
def bins(tmp_path: Path) -> Path:
    return write_street_bins(tmp_path / "corbeilles_de_rue.csv")


def test_street_bins_load_completely_with_one_valeur(bins, tmp_path, capsys):
    code = main(["validate", str(bins), "--layer", "equipements", "--valeur", "type=corbeille",
                 "-o", str(tmp_path / "t.gpkg")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert (
        f"lignes lues {N_BINS:,} = conservées {N_BINS:,} + rejetées 0".replace(",", "\u202f") in out
    )
    assert "type = « corbeille » pour toutes les lignes" in out
    assert (
        "nom vide ou absent : 2\u202f464 ligne(s) sur 2\u202f464 nommée(s) « type identifiant »"
        in out
    )
    saved = gpd.read_file(tmp_path / "t.gpkg", layer="equipements")
    assert len(saved) == N_BINS and (saved["type"] == "corbeille").all()
    assert saved["nom"].iloc[0] == "corbeille CORB-00001"
    assert int((saved["adresse"].isna()).sum()) == N_WITHOUT_ADDRESS


def test_without_the_type_the_layer_says_which_option_fixes_it(bins, capsys):
    code = main(["validate", str(bins), "--layer", "equipements"])
    out = capsys.readouterr().out
    assert code == 1
    # « modele » (a bin model, 80 % empty) is no type: the constant is proposed.
    assert "ajoutez : --valeur type=TEXTE." in out
    assert out.rstrip().endswith("aucune ligne conservée sur 2\u202f464 lue(s).")  # exit 1 says why


def test_valeurs_in_the_manifest_do_the_same(bins):
    (bins.parent / "gupgeo.toml").write_text(
        '[fichiers."corbeilles_de_rue.csv"]\ncouche = "equipements"\n\n'
        '[fichiers."corbeilles_de_rue.csv".valeurs]\ntype = "corbeille"\n'
        'gestionnaire = "Tours Métropole"\n',
        encoding="utf-8",
    )
    t = load_territory(bins)
    e = t["equipements"]
    assert len(e) == N_BINS and t.report.ok
    assert set(e["gestionnaire"]) == {"Tours Métropole"}
    assert read_manifest(bins.parent / "gupgeo.toml").files[0].values["type"] == "corbeille"
    entry = manifest_entry(t.report.layers[0])
    assert '[fichiers."corbeilles_de_rue.csv".valeurs]\ntype = "corbeille"' in entry


def test_a_valeur_for_an_unknown_column_names_the_columns(bins):
    with pytest.raises(SchemaError, match="colonnes possibles : id, nom, type"):
        load_territory(layers={"equipements": bins}, values={"equipements": {"couleur": "vert"}})
    with pytest.raises(SchemaError, match="aucune couche lue"):
        load_territory(layers={"equipements": bins}, values={"*": {"couleur": "vert"}})


def test_a_manifest_valeur_needs_its_layer(tmp_path):
    (tmp_path / "gupgeo.toml").write_text(
        '[fichiers."x.csv".valeurs]\ntype = "corbeille"\n', encoding="utf-8"
    )
    with pytest.raises(ManifestError, match="précisez aussi la couche"):
        read_manifest(tmp_path / "gupgeo.toml")


def test_an_operation_without_name_is_named_after_its_id(tmp_path):
    gpd.GeoDataFrame(
        {"id": ["OP-1", "OP-2"], "nom": ["Place de l'Alouette", None]},
        geometry=[shapely.box(525_000, 6_701_000, 525_100, 6_701_100)] * 2, crs=2154,
    ).to_file(tmp_path / "operations.geojson")  # fmt: skip
    t = load_territory(tmp_path / "operations.geojson")
    assert t["operations"]["nom"].tolist() == ["Place de l'Alouette", "opération OP-2"]
    assert "nom vide ou absent : 1 ligne(s) sur 2" in t.report.to_text()
