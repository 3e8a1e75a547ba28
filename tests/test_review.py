"""Review of an aménagement operation: zones, windows, before/after, constats, guarantee.

A hand-built Lambert-93 territory gives exact expectations: operation OP-A (a 200 m
square, delivered on 1 July 2023), OP-B (not delivered), signalements inside, in the
200 m surroundings and farther, constats (one from an ESSP), équipements and guarantee
calls. Map libraries are tiny stand-ins (tests.browser_support.write_fake_assets).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import gupgeo
from gupgeo.errors import InputNotFoundError, SchemaError
from gupgeo.review.build import OperationReview, review_operation
from tests._html_parse import is_remote, parse, squash
from tests.browser_support import XSS_SCRIPT, write_fake_assets

X0, Y0 = 525_000.0, 6_701_000.0
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module", autouse=True)
def fake_assets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    patch = pytest.MonkeyPatch()
    directory = write_fake_assets(tmp_path_factory.mktemp("assets"))
    patch.setenv("GUPGEO_ASSETS_DIR", str(directory))
    yield directory
    patch.undo()


def pt(dx: float, dy: float) -> shapely.Point:
    return shapely.Point(X0 + dx, Y0 + dy)


def layers() -> dict[str, Any]:
    quartiers = gpd.GeoDataFrame(
        {"code_qp": ["LOC-TEST"], "nom_qp": ["Quartier de l'Essai"], "population": [2000]},
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=2154,
    )  # fmt: skip
    operations = gpd.GeoDataFrame(
        {
            "id": ["OP-A", "OP-B"],
            "nom": ["Place de l'Alouette", "Îlot Nord"],
            "code_qp": ["LOC-TEST", "LOC-TEST"],
            "date_debut": pd.to_datetime(["2022-09-01", "2025-03-01"]),
            "date_livraison": pd.to_datetime(["2023-07-01", "2026-01-01"]),
            "montant_eur": [1_000_000.0, 500_000.0],
        },
        geometry=[
            shapely.box(X0 + 400, Y0 + 400, X0 + 600, Y0 + 600),
            shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200),
        ],
        crs=2154,
    )
    rows = [
        # (date, categorie, where)
        ("2023-01-15", "tags", pt(500, 500)),
        ("2023-02-15", "tags", pt(500, 500)),
        ("2023-03-15", "tags", pt(500, 500)),
        ("2023-04-15", "tags", pt(500, 500)),
        ("2023-09-15", "tags", pt(500, 500)),
        ("2023-10-15", "propreté", pt(510, 490)),
        ("2024-01-15", "propreté", pt(510, 490)),
        ("2023-05-01", "propreté", pt(650, 500)),  # abords, 50 m away
        ("2023-08-01", "propreté", pt(650, 500)),
        ("2024-02-01", "propreté", pt(650, 500)),
        ("2023-06-01", "tags", pt(900, 900)),  # 424 m away
        ("2023-07-15", "tags", pt(900, 900)),
        ("2022-01-01", "voirie", pt(950, 950)),  # first date of the data
        ("2024-12-31", "voirie", pt(950, 950)),  # last date of the data
    ]
    signalements = gpd.GeoDataFrame(
        {
            "id": [f"S{i}" for i in range(len(rows))],
            "date_signalement": pd.to_datetime([r[0] for r in rows]),
            "categorie": [r[1] for r in rows],
            "statut": ["résolu"] * len(rows),
            "description": ["appeler le 06 12 34 56 78"] * len(rows),
        },
        geometry=[r[2] for r in rows],
        crs=2154,
    )
    constats = gpd.GeoDataFrame(
        {
            "id": ["C1", "C2", "C3", "C4"],
            "date": pd.to_datetime(["2022-10-01", "2022-10-01", "2023-03-01", "2023-03-01"]),
            "demarche": [
                "diagnostic en marchant",
                "ESSP",
                "marche exploratoire",
                "diagnostic en marchant",
            ],
            "theme": ["éclairage", "visibilité", "cheminements", "recoins"],
            "gravite": [3, 2, 1, 3],
            "recommandation": [
                "Ajouter un candélabre rue de l'Alouette",
                "Confidentiel",
                XSS_SCRIPT,
                "Loin",
            ],
            "statut": ["ouvert", "ouvert", "traité", "ouvert"],
        },
        geometry=[
            pt(450, 550),
            pt(550, 450),
            shapely.LineString([(X0 + 620, Y0 + 300), (X0 + 700, Y0 + 300)]),
            pt(980, 20),
        ],
        crs=2154,
    )
    equipements = gpd.GeoDataFrame(
        {
            "id": ["E1", "E2", "E3"],
            "nom": ["PAVE de l'Alouette", "Aire de jeux du Parc", "École Jean Moulin"],
            "type": ["PAVE", "aire de jeux", "école"],
            "gestionnaire": ["Métropole", "Ville", "Ville"],
        },
        geometry=[pt(450, 450), pt(700, 500), pt(950, 50)],
        crs=2154,
    )
    garanties = pd.DataFrame(
        {
            "objet_id": ["OP-A", "E1", "E3", "OP-B"],
            "date": pd.to_datetime(["2023-11-01", "2023-05-01", "2024-01-01", "2024-01-01"]),
            "motif": ["infiltrations", "malfaçon de l'éclairage", "toiture", "fissures"],
        }
    )
    return {
        "quartiers": quartiers, "operations": operations, "signalements": signalements,
        "constats": constats, "equipements": equipements, "garanties": garanties,
    }  # fmt: skip


@pytest.fixture(scope="module")
def review() -> OperationReview:
    return review_operation(layers(), "OP-A", months=12, basemap=None, build_date="2025-01-15")


def test_windows_around_the_delivery(review: OperationReview):
    w = review.windows
    assert w.delivery == pd.Timestamp("2023-07-01")
    assert w.before == (pd.Timestamp("2022-07-01"), pd.Timestamp("2023-07-01"))
    assert w.after == (pd.Timestamp("2023-07-01"), pd.Timestamp("2024-07-01"))
    assert (w.start, w.end) == (pd.Timestamp("2022-07-01"), pd.Timestamp("2024-07-01"))
    assert w.data_end == pd.Timestamp("2025-01-01")


def test_signalements_by_category_zone_and_half(review: OperationReview):
    t = review.signalements_by_category
    assert t.loc["tags", ["périmètre", "abords", "total"]].tolist() == [5, 0, 5]
    assert t.loc["propreté", ["périmètre", "abords", "total"]].tolist() == [2, 3, 5]
    assert "voirie" not in t.index  # only outside the window and far away
    assert t.loc["tags", ["premiere_moitie", "seconde_moitie"]].tolist() == [4, 1]
    assert t.loc["propreté", ["premiere_moitie", "seconde_moitie"]].tolist() == [1, 4]
    assert t.loc["tags", "evolution_pct"] == pytest.approx(-75.0)
    assert t.loc["propreté", "evolution_pct"] == pytest.approx(300.0)
    q = review.signalements_by_quarter
    assert q.index[0] == "2022-T3" and q.index[-1] == "2024-T2" and len(q) == 8
    assert int(q["total"].sum()) == 10
    assert q.loc["2023-T1", "périmètre"] == 3


def test_before_after_per_month_in_the_perimeter(review: OperationReview):
    ba = review.before_after
    assert ba is not None
    before, after = 365 / 30.4375, 366 / 30.4375  # 2024 is a leap year
    assert ba.loc["tags", ["avant", "apres"]].tolist() == [4, 1]
    assert ba.loc["tags", "avant_par_mois"] == pytest.approx(4 / before)
    assert ba.loc["tags", "apres_par_mois"] == pytest.approx(1 / after)
    assert ba.loc["tags", "evolution_pct"] == pytest.approx((before / after / 4 - 1) * 100)
    assert ba.loc["propreté", ["avant", "apres"]].tolist() == [0, 2]
    assert np.isnan(ba.loc["propreté", "evolution_pct"])
    assert ba.loc["total", ["avant", "apres"]].tolist() == [4, 3]
    assert ba.loc["total", "evolution_pct"] == pytest.approx((3 * before / after / 4 - 1) * 100)


def test_constats_exclude_essp_and_come_most_serious_first(review: OperationReview):
    c = review.constats
    assert c["id"].tolist() == ["C1", "C3"]
    assert c["zone"].tolist() == ["périmètre", "abords"]
    interne = review_operation(layers(), "OP-A", months=12, basemap=None, publication="interne")
    assert interne.constats["id"].tolist() == ["C1", "C2", "C3"]


def test_equipements_carry_their_management_constraint(review: OperationReview):
    e = review.equipements.set_index("id")
    assert sorted(e.index) == ["E1", "E2"]
    assert e.loc["E1", "zone"] == "périmètre" and e.loc["E1", "distance_m"] == 0
    assert e.loc["E2", "zone"] == "abords" and e.loc["E2", "distance_m"] == 100
    assert e.loc["E1", "contrainte_gestion"].startswith("collecte des déchets")
    assert e.loc["E2", "contrainte_gestion"].startswith("aire de jeux")


def test_guarantee_calls_on_the_operation_and_its_equipements(review: OperationReview):
    g = review.garanties
    assert g["objet_id"].tolist() == ["E1", "OP-A"]
    assert g["moment"].tolist() == ["avant livraison", "après livraison"]
    assert g["objet"].tolist() == ["PAVE de l'Alouette", "Place de l'Alouette"]


def test_operation_not_delivered_uses_the_last_months():
    r = review_operation(layers(), "OP-B", months=12, basemap=None)
    assert r.windows.delivery is None and r.before_after is None
    assert (r.windows.start, r.windows.end) == (
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2025-01-01"),
    )
    assert any("non livrée" in n for n in r.notes)
    assert r.garanties["objet_id"].tolist() == ["OP-B"]  # its own call; E1 is not inside
    assert r.garanties["moment"].tolist() == [""]
    assert r.veille is not None and set(r.veille.counts.values()) == {0}
    assert "Aucun problème signalé plusieurs fois dans le périmètre ni ses abords" in r.to_html()


def test_perimeter_from_a_file_in_wgs84(tmp_path: Path, review: OperationReview):
    op = layers()["operations"].iloc[[0]][["nom", "geometry"]].to_crs(4326)
    path = tmp_path / "périmètre d'étude.geojson"
    op.to_file(path, driver="GeoJSON")
    r = review_operation(layers(), str(path), months=24, basemap=None)
    assert r.name == "Place de l'Alouette" and r.operation_id is None
    assert r.source == "fichier périmètre d'étude.geojson"
    assert r.perimeter.geometry.area.iloc[0] == pytest.approx(40_000, rel=1e-4)
    # Same zones as the operation itself over the same window.
    again = review_operation(layers(), op, months=24, basemap=None)
    pd.testing.assert_frame_equal(r.signalements_by_category, again.signalements_by_category)
    assert (r.windows.start, r.windows.end) == (
        pd.Timestamp("2023-01-01"),
        pd.Timestamp("2025-01-01"),
    )
    assert r.signalements_by_category.loc["propreté", "abords"] == 3


def test_errors_say_what_was_expected(tmp_path: Path):
    with pytest.raises(InputNotFoundError, match=r"« OP-Z » n'est ni un identifiant.*OP-A, OP-B"):
        review_operation(layers(), "OP-Z")
    bare = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(SchemaError, match="aucun système de coordonnées"):
        review_operation(layers(), bare)
    points = gpd.GeoDataFrame(geometry=[pt(1, 1)], crs=2154)
    with pytest.raises(SchemaError, match="attendu un polygone"):
        review_operation(layers(), points)
    with pytest.raises(ValueError, match="buffer_m : -5"):
        review_operation(layers(), "OP-A", buffer_m=-5)
    with pytest.raises(ValueError, match="publication : 'tous' inconnu"):
        review_operation(layers(), "OP-A", publication="tous")


def test_html_report_is_one_offline_french_file(review: OperationReview, tmp_path: Path):
    path = review.save(tmp_path / "revue.html")
    text = path.read_text(encoding="utf-8")
    page = parse(path)
    assert page.h1 == "Place de l'Alouette"
    assert page.title == "Revue de l'opération : Place de l'Alouette"
    figures = {ind: value for ind, value, _ in page.indicators}
    assert figures["revue:perimetre"] == "7" and figures["revue:abords"] == "3"
    assert figures["revue:garanties"] == "2"
    for tag, url in page.links:
        assert not is_remote(url), url
        assert tag != "link" and not (tag == "script" and url), "rien n'est chargé à part"
    assert 'srcdoc="' in text and "window.fake_leaflet" in text  # the map, inlined
    assert XSS_SCRIPT not in text and "Confidentiel" not in text
    assert "06 12 34 56 78" not in text
    assert "Avant / après la livraison, dans le périmètre" in page.text
    assert page.tables["avant-apres"][-1][0] == "Total"
    assert 'class="gg-printmap"' in text
    assert "Diffusion : partenaires" in page.text


def test_sample_operation_review():
    t = gupgeo.load_territory(SAMPLE)
    r = review_operation(t, "OP-03", basemap=None, build_date="2025-01-15")
    assert r.windows.delivery == pd.Timestamp("2023-07-30")
    assert "OP-03" in r.garanties["objet_id"].tolist()
    assert r.signalements_by_category["périmètre"].sum() > 0
    assert "ESSP" not in set(r.constats["demarche"])


# --- what a shared review may show (review of "safe to share") ---------------------------------


def _cell_rects(svg: str) -> list[tuple[float, str]]:
    cells = re.findall(
        r'<rect x="[^"]+" y="[^"]+" width="([^"]+)" height="[^"]+" fill="([^"]+)" '
        r'fill-opacity="0.8"/>',
        svg,
    )
    return [(float(w), fill) for w, fill in cells if fill != "#fff"]  # not the scale bar


@pytest.fixture(scope="module")
def public_review() -> OperationReview:
    return review_operation(
        layers(), "OP-A", months=12, basemap=None, build_date="2025-01-15", publication="public"
    )


def test_public_print_map_shows_the_published_grid_not_the_points(public_review: OperationReview):
    from gupgeo.rendering.svg import SECRET_COLOR
    from gupgeo.review.html import print_map

    grid = public_review.signalements_grid
    assert grid is not None and grid["secret"].all()  # 10 signalements in the window
    assert grid["carreau"].str.startswith("L93_200m_").all()
    cells = _cell_rects(print_map(public_review))
    assert len(cells) == len(grid) > 0
    assert {fill for _, fill in cells} == {SECRET_COLOR}
    widths = {w for w, _ in cells}
    assert max(widths) - min(widths) <= 0.2 and min(widths) > 100  # 200 m, never 25 m
    text = public_review.to_html()
    assert "carreaux de 200 m" in text and "secret statistique" in text
    interne = review_operation(layers(), "OP-A", months=12, basemap=None, publication="interne")
    assert interne.signalements_grid is None
    assert all(w < 50 for w, _ in _cell_rects(print_map(interne)))  # 25 m density inside


def test_public_before_after_hides_rate_and_change_of_secret_counts(
    public_review: OperationReview, tmp_path: Path
):
    page = parse(public_review.save(tmp_path / "revue.html"))
    rows = page.tables["avant-apres"]
    assert rows and all(len(r) == 6 for r in rows)
    for label, before, before_rate, after, after_rate, change in rows:
        if before == "secret":
            assert before_rate == "secret" and change == "secret", label
        if after == "secret":
            assert after_rate == "secret" and change == "secret", label
    assert all(r[1] == "secret" for r in rows)  # every count is below 11 here


def test_public_quarter_chart_draws_no_secret_count(public_review: OperationReview):
    from gupgeo.review.charts import quarter_chart

    interne = review_operation(layers(), "OP-A", months=12, basemap=None, publication="interne")
    table = interne.signalements_by_quarter
    secret_bars = int((table[["périmètre", "abords"]] < 11).to_numpy().sum())
    public_svg, interne_svg = quarter_chart(public_review), quarter_chart(interne)
    bars = re.compile(r'<g id="patch_\d+">')
    assert len(bars.findall(interne_svg)) - len(bars.findall(public_svg)) == secret_bars == 16
    assert "ne sont pas représentés (secret statistique)" in public_svg
    assert "secret statistique" not in interne_svg


def test_partenaires_review_masks_guarantee_reasons_and_equipements():
    data = layers()
    data["garanties"] = data["garanties"].assign(
        motif=["appeler M. Dupont au +33 (0)6 12 34 56 78", "voir Mme de la Tour", "toit", "x"]
    )
    eq = data["equipements"].copy()
    eq["gestionnaire"] = ["Métropole, Mr Martin 06 11 22 33 44", "Ville", "Ville"]
    data["equipements"] = eq
    r = review_operation(data, "OP-A", months=12, basemap=None, build_date="2025-01-15")
    assert r.publication == "partenaires"
    shown = " ".join(
        map(str, [*r.garanties["motif"], *r.equipements["gestionnaire"], *r.garanties["objet"]])
    )
    for secret in ("Dupont", "de la Tour", "Martin", "06 12 34 56 78", "06 11 22 33 44"):
        assert secret not in shown
        assert secret not in r.to_html()
    assert "autre" in shown  # rare labels leave as « autre » (known ones are masked)


def test_the_review_says_the_coverage_and_the_partial_quarters(
    review: OperationReview, tmp_path: Path
):
    text = squash(parse(review.save(tmp_path / "revue.html")).text)
    assert "Couverture des données : signalements du 01/01/2022 au 31/12/2024" in text
    assert "constats du 01/10/2022 au 01/03/2023 ; garanties du 01/05/2023 au 01/01/2024" in text
    assert "barres partielles" not in text  # 2022-T3 … 2024-T2: whole quarters
    seven = review_operation(layers(), "OP-B", months=7, basemap=None)
    assert (seven.windows.start, seven.windows.end) == (
        pd.Timestamp("2024-06-01"),
        pd.Timestamp("2025-01-01"),
    )
    assert any(
        n.startswith("Signalements par trimestre : 2024-T2 en partie seulement dans la fenêtre")
        for n in seven.notes
    ), seven.notes


# --- veille around the operation ---------------------------------------------------------------


def test_veille_says_why_no_hot_spot_and_lists_the_repeated_problem(
    review: OperationReview, tmp_path: Path
):
    v = review.veille
    assert v is not None
    reason = (
        "12 signalements dans la zone d'étude (au moins "
        "30) — élargir la période ou la zone, ou prendre des carreaux plus grands"
    )
    assert v.found.hot_error == reason
    # Tags at the centre on 15 Feb and 15 Mar 2023 (28 days): one problem; 15 Jan and
    # 15 Apr are 31 days from it, each alone.
    assert v.counts == {"nb_problemes_repetes": 1, "nb_signalements_repetes": 2,
                        "nb_problemes_repetes_ouverts": 0}  # fmt: skip
    page = parse(review.save(tmp_path / "revue.html"))
    assert f"Points chauds non calculés pour la fenêtre : {reason}." in page.text
    assert "Points chauds de la fenêtre" in page.text
    assert "Tendances non calculées : 13 signalements dans la zone d'étude" in page.text
    assert page.tables["veille-repetes"] == [
        ["1", "tags", "périmètre", "2", "15/02/2023", "15/03/2023", "résolu", "0"]
    ]
    figures = {k: v for k, v, _ in page.indicators if k.startswith("revue:nb_")}
    assert figures == {"revue:nb_problemes_repetes": "1", "revue:nb_signalements_repetes": "2",
                       "revue:nb_problemes_repetes_ouverts": "0"}  # fmt: skip
    assert "Problèmes signalés plusieurs fois" in review.map_html
    assert "15/02/2023 : résolu" in review.map_html  # the history, in the map's popup data


def test_public_veille_counts_the_problems_without_locating_them(
    public_review: OperationReview, tmp_path: Path
):
    page = parse(public_review.save(tmp_path / "revue.html"))
    assert "veille-repetes" not in page.tables
    assert "ne sont pas localisés" in page.text
    figures = {k: t for k, _, t in page.indicators if k.startswith("revue:nb_")}
    assert set(figures.values()) == {"secret"}  # 1, 2 and 0: below 11
    assert "15/02/2023" not in public_review.map_html


def test_sample_review_veille_is_the_indicator_around_the_perimeter():
    """The problems a review counts are those of the whole territory's grouping whose first
    report lies in the perimeter or its abords (the review reads only its surroundings)."""
    from gupgeo.attribution.territory import attributed
    from gupgeo.publication import publish
    from gupgeo.review.data import layer_near
    from gupgeo.review.veille import window_period
    from gupgeo.veille.problems import repeated_problems

    t = attributed(gupgeo.load_territory(SAMPLE))
    r = review_operation(t, "OP-03", months=18, basemap=None, build_date="2025-01-15")
    assert r.veille is not None
    published = publish(t, "partenaires").territory()
    whole = repeated_problems(
        published["signalements"], published["quartiers"], period=window_period(r.windows)
    )
    around = layer_near(whole.groups, r.perimeter.geometry.iloc[0], r.buffer_m)
    assert r.veille.counts["nb_problemes_repetes"] == len(around) > 20
    assert r.veille.counts["nb_signalements_repetes"] == around["nb_signalements"].sum()
    assert len(r.veille.problems) == len(around)
    hot = r.veille.found.cells
    assert (hot["classe"] == "point chaud 99 %").any() and set(hot["lieu"]) == {
        "périmètre",
        "abords",
    }
