"""Honest figures: what the data cannot say reads « n.c. » or « statut inconnu », never 0.

Tiny hand-built Lambert-93 territory: two quartiers (1 km squares) and signalements of
2024 without any status, as DansMaRue or property-sale exports come (repeated reports
at the same place, so that repeated problems exist). A bulletin for 2030 (outside the
data) must say n.c. with the reason; the CLI asked only for that period must refuse;
problems without status are « statut inconnu », never « tous clos »; a review built
from a perimeter file uses its ``date_livraison`` and says what it lacks.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gupgeo import attribute_territory
from gupgeo.bulletin.build import build_bulletin
from gupgeo.cli import main
from gupgeo.rendering.veille import repeated_table
from gupgeo.review.build import review_operation
from gupgeo.review.data import perimeter_record
from gupgeo.veille.problems import RepeatRule, repeated_problems
from tests.test_maps import legend

X0, Y0 = 525_000.0, 6_701_000.0


def quartiers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code_qp": ["QN03701M", "QN03702M"], "nom_qp": ["Les Essais", "Le Banc"],
         "commune": ["Tours", "Tours"], "population": [2000, 1500]},
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000),
                  shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
        crs=2154,
    )  # fmt: skip


def signalements(*, statut: bool = False) -> gpd.GeoDataFrame:
    """Two places reported every 10 days in 2024 (one per quartier), plus scattered ones."""
    dates = pd.date_range("2024-01-03", "2024-12-28", freq="10D")
    rows = [(d, "propreté", X0 + 500, Y0 + 500) for d in dates]
    rows += [(d + pd.Timedelta(days=3), "voirie", X0 + 1500, Y0 + 500) for d in dates]
    rows += [(d, "tags", X0 + 50 + 25 * i, Y0 + 900) for i, d in enumerate(dates[::3])]
    frame = gpd.GeoDataFrame(
        {
            "id": [f"D{i}" for i in range(len(rows))],
            "date_signalement": pd.to_datetime([r[0] for r in rows]),
            "categorie": [r[1] for r in rows],
        },
        geometry=gpd.points_from_xy([r[2] for r in rows], [r[3] for r in rows]),
        crs=2154,
    )
    if statut:
        frame["statut"] = "nouveau"
    return frame


@pytest.fixture(scope="module")
def territory():
    return attribute_territory({"quartiers": quartiers(), "signalements": signalements()})


def test_a_bulletin_outside_the_data_reads_nc_with_the_reason(territory, fake_assets, tmp_path):
    b = build_bulletin(territory, period="2030", freq="trimestre")
    assert b.coverage == "non couverte" and not b.covered
    assert b.coverage_reason == "période 2030 non couverte par les données"
    figures = b.summary.drop(columns="nom_qp")
    assert figures.isna().all().all()  # never 0
    assert any("signalements du 03/01/2024 au" in n for n in b.notes)
    assert not any("zone" in n for n in b.notes)  # the zone is not blamed
    html = b.html()
    assert "Période 2030 non couverte par les données" in html
    cells = html.split("<tbody>")[1].split("</tbody>")[0]
    assert cells.count(">n.c.</td>") == 6 * len(b.summary)
    assert ">0</td>" not in cells


def test_a_period_ending_before_the_data_gets_its_coverage_note(territory):
    b = build_bulletin(territory, period="2024-T2", freq="mois")
    assert b.covered and b.coverage == "couverte" and b.coverage_reason is None
    note = "Couverture : signalements du 03/01/2024 au 31/12/2024 — période couverte."
    assert note in b.notes
    assert int(b.summary["nb_signalements"].sum()) > 0


def test_problems_without_status_read_statut_inconnu_never_tous_clos(territory, fake_assets):
    problems = repeated_problems(
        territory["signalements"], territory["quartiers"], period="2024",
        rule=RepeatRule(radius_m=20, days=30),
    )  # fmt: skip
    assert len(problems.groups) >= 2
    assert problems.groups["nb_ouverts"].isna().all()
    assert problems.table["nb_problemes_repetes_ouverts"].loc[["QN03701M", "total"]].isna().all()
    b = build_bulletin(territory, period="2024", freq="trimestre")
    labels = [e["label"] for e in legend(b.map(basemap=None), "Problèmes signalés plusieurs fois")]
    assert labels == ["statut inconnu (la source n'en donne pas)"]
    assert "tous clos" not in b.html()
    assert "statut inconnu" in b.html()
    ranked = problems.groups.assign(rang=range(1, len(problems.groups) + 1))
    table, _ = repeated_table(ranked, caption="Problèmes", max_rows=5)
    assert all(row[-2].text == "statut inconnu" and row[-1].text == "n.c." for row in table.rows)


def test_a_review_without_statuses_counts_no_open_problem_as_zero(fake_assets):
    t = {"quartiers": quartiers(), "signalements": signalements()}
    box = shapely.box(X0 + 400, Y0 + 400, X0 + 600, Y0 + 600)
    review = review_operation(
        t, gpd.GeoDataFrame({"nom": ["Square"]}, geometry=[box], crs=2154), basemap=None
    )
    assert review.veille is not None and review.veille.counts["nb_problemes_repetes"] >= 1
    assert pd.isna(review.veille.counts["nb_problemes_repetes_ouverts"])
    opened = re.search(
        r'data-indicator="revue:nb_problemes_repetes_ouverts"[^>]*>([^<]*)<', review.html
    )
    assert opened is not None and opened.group(1) == "n.c."
    assert "tous clos" not in review.html


def test_known_statuses_still_count_open_problems():
    t = attribute_territory({"quartiers": quartiers(), "signalements": signalements(statut=True)})
    problems = repeated_problems(
        t["signalements"], t["quartiers"], period="2024", rule=RepeatRule(radius_m=20, days=30)
    )
    assert (problems.groups["nb_ouverts"] > 0).all()
    assert problems.table.loc["total", "nb_problemes_repetes_ouverts"] == len(problems.groups)


def write_folder(folder: Path) -> Path:
    folder.mkdir()
    quartiers().to_file(folder / "quartiers.geojson")
    sig = signalements()
    pts = sig.geometry
    pd.DataFrame(
        {"id": sig["id"], "date_signalement": sig["date_signalement"].dt.strftime("%d/%m/%Y"),
         "categorie": sig["categorie"], "x": pts.x, "y": pts.y}
    ).to_csv(folder / "signalements.csv", sep=";", index=False)  # fmt: skip
    return folder


def test_the_veille_command_refuses_a_period_the_data_do_not_cover(tmp_path, capsys):
    folder = write_folder(tmp_path / "t")
    code = main(["veille", str(folder), "--periode", "2030", "-o", str(tmp_path / "v")])
    out = capsys.readouterr().out
    assert code == 1
    assert "période 2030 non couverte par les données" in out
    assert "signalements du 03/01/2024 au" in out and "rien n'a été écrit" in out
    assert not (tmp_path / "v").exists()


def test_a_perimeter_file_brings_its_delivery_and_name(tmp_path, fake_assets):
    t = {"quartiers": quartiers(), "signalements": signalements()}
    box = shapely.box(X0 + 400, Y0 + 400, X0 + 600, Y0 + 600)
    path = tmp_path / "perimetre.geojson"
    gpd.GeoDataFrame(
        {"NOM": ["Square de l'Alouette"], "Date de livraison": ["01/07/2024"]},
        geometry=[box], crs=2154,
    ).to_file(path)  # fmt: skip
    review = review_operation(t, path, months=3, basemap=None)
    assert review.name == "Square de l'Alouette"
    assert review.windows.delivery == pd.Timestamp("2024-07-01")
    assert review.before_after is not None
    assert not any("non livrée" in n for n in review.notes)


def test_a_perimeter_file_without_delivery_says_so(tmp_path, fake_assets, caplog):
    t = {"quartiers": quartiers(), "signalements": signalements()}
    path = tmp_path / "zone_travaux.geojson"
    gpd.GeoDataFrame(
        {"commentaire": ["phase 1"]}, geometry=[shapely.box(X0, Y0, X0 + 300, Y0 + 300)], crs=2154
    ).to_file(path)
    with caplog.at_level("WARNING"):
        review = review_operation(t, path, months=3, basemap=None)
    assert review.windows.delivery is None
    missing = [n for n in review.notes if "attribut(s) absent(s)" in n]
    assert missing and "date_livraison" in missing[0] and "nom" in missing[0]
    assert any(n.startswith("date de livraison inconnue") for n in review.notes)
    assert not any("non livrée" in n for n in review.notes)
    assert "date_livraison" in caplog.text
    assert "date_livraison" in review.html


def test_a_delivery_before_the_data_is_delivered_without_before_after(tmp_path, fake_assets):
    t = {"quartiers": quartiers(), "signalements": signalements()}
    path = tmp_path / "perimetre_2015.geojson"
    gpd.GeoDataFrame(
        {"nom": ["Résidentialisation"], "date_livraison": ["2015-06-01"]},
        geometry=[shapely.box(X0 + 400, Y0 + 400, X0 + 600, Y0 + 600)],
        crs=2154,
    ).to_file(path)
    review = review_operation(t, path, months=6, basemap=None, build_date="2025-01-15")
    assert review.windows.delivery is None and review.before_after is None
    assert any("livrée le 01/06/2015, avant le début des données" in n for n in review.notes)
    assert "Livraison (livrée)" in review.html and "(prévue)" not in review.html
    assert "01/06/2015, avant le début des données : pas de comparaison avant/après" in review.html
    assert "Avant / après la livraison" not in review.html


def test_perimeter_record_keeps_only_agreed_values():
    frame = pd.DataFrame(
        {"id": ["OP-9", "OP-9"], "nom": ["A", "B"], "date_livraison": [45474, 45474]}
    )
    record = perimeter_record(frame)
    assert record == {"id": "OP-9", "date_livraison": pd.Timestamp("2024-07-01")}


def test_the_bulletin_names_homonyms_as_the_map_does(fake_assets):
    q = quartiers().assign(nom_qp="Centre Ville", commune=["Blois", "Vierzon"])
    t = attribute_territory({"quartiers": q, "signalements": signalements()})
    b = build_bulletin(t, period="2024-T2", freq="mois")
    names = b.summary["nom_qp"].drop("hors QPV").tolist()
    assert names == ["Centre Ville (Blois)", "Centre Ville (Vierzon)"]
    assert ">Centre Ville (Blois)</th>" in b.html()
