"""Follow-up of the constats, relevé de conclusions, the ``gupgeo diagnostic`` commands.

Rules checked on tiny hand-built frames; the one-truth test checks that ``suivi.csv``,
the dashboard's ``diagnostics`` table and the relevés give the same numbers on the
bundled sample.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

import gupgeo
from gupgeo.cli import main
from gupgeo.dashboard.model import build_dashboard
from gupgeo.diagnostics import build_releve, build_suivi
from gupgeo.diagnostics.releve import releve_html, releve_svg
from gupgeo.errors import SchemaError
from gupgeo.indicators.diagnostics import followup_status
from gupgeo.palette import GRAVITE_COLORS
from gupgeo.rendering.classes import MISSING_COLOR

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SUIVI_HEADER = (
    "responsable;code_qp;ouverts;en_retard;traites;traites_dans_les_delais;delai_median_jours"
)


def _tiny() -> dict[str, gpd.GeoDataFrame]:
    quartiers = gpd.GeoDataFrame(
        {"code_qp": ["QA"], "nom_qp": ["Quartier de l'Alouette"]},
        geometry=[box(0, 0, 1000, 1000)],
        crs="EPSG:2154",
    )
    constats = gpd.GeoDataFrame(
        {
            "id": ["c1", "c2", "c3", "c4", "c5"],
            "diagnostic_id": ["D1"] * 5,
            "date": pd.to_datetime(["2024-03-01"] * 5),
            "demarche": ["diagnostic en marchant"] * 5,
            "theme": ["éclairage", "propreté", "recoins", "accès", "éclairage"],
            "gravite": [3, 2, 1, 2, 3],
            "recommandation": ["<script>alert('x')</script>", "Nettoyer", None, None, None],
            "statut": ["traité", "ouvert", None, "en cours", "traité"],
            "responsable": ["Ville d'Ici", "Ville d'Ici", None, "Bailleur", "Bailleur"],
            "echeance": pd.to_datetime(["2024-04-01", "2024-04-01", None, None, "2024-03-10"]),
            "date_traitement": pd.to_datetime(["2024-03-21", None, None, None, "2024-03-31"]),
            "code_qp": ["QA"] * 5,
        },
        geometry=[Point(100 * k, 500) for k in range(1, 6)],
        crs="EPSG:2154",
    )
    diagnostics = gpd.GeoDataFrame(
        {
            "id": ["D1"],
            "date": pd.to_datetime(["2024-03-01"]),
            "code_qp": ["QA"],
            "objet": ["Marche de l'Alouette"],
            "demarche": ["diagnostic en marchant"],
            "habitants": [7],
            "agents_proximite": [2],
        },
        geometry=[LineString([(50, 500), (600, 500)])],
        crs="EPSG:2154",
    )
    partenaires = pd.DataFrame({"nom": ["Ville d'Ici", "Bailleur"], "type": ["ville", "bailleur"]})
    return {
        "quartiers": quartiers,
        "constats": constats,
        "diagnostics": diagnostics,
        "partenaires": partenaires,
    }


def test_followup_rules_overdue_no_deadline_unknown() -> None:
    s = followup_status(_tiny()["constats"], as_of="2024-05-01")
    assert s["etat"].tolist() == ["traité", "ouvert", "inconnu", "ouvert", "traité"]
    assert s["en_retard"].tolist() == [False, True, False, False, False]
    assert s["sans_echeance"].tolist() == [False, False, False, True, False]
    assert s["dans_les_delais"].tolist() == [True, False, False, False, False]
    assert s["delai_jours"].tolist()[0] == 20 and s["delai_jours"].tolist()[4] == 30
    # Before the treatment date, the constat was still open (and overdue after its échéance).
    early = followup_status(_tiny()["constats"], as_of="2024-03-25")
    assert early["etat"].tolist()[4] == "ouvert" and early["en_retard"].tolist()[4]


def test_suivi_per_partner_with_unknown_status_counted_apart() -> None:
    s = build_suivi(_tiny(), as_of="2024-05-01")
    t = s.table.set_index("responsable")
    assert t.loc["Bailleur", "traites"] == 1 and t.loc["Bailleur", "ouverts"] == 1
    assert t.loc["Bailleur", "sans_echeance"] == 1
    assert t.loc["non attribué", "statut_inconnu"] == 1
    assert t.loc["total", "delai_median_jours"] == 25.0
    assert s.overdue["id"].tolist() == ["c2"] and s.overdue["jours_de_retard"].iat[0] == 30


def test_releve_escapes_text_and_numbers_constats() -> None:
    r = build_releve(_tiny(), "D1")
    page = releve_html(r)
    assert "<script>alert" not in page
    assert html.escape("<script>alert('x')</script>") in page or "&lt;script&gt;" in page
    assert "Ville d&#39;Ici" in page and "sans échéance" in page
    assert sorted(r.constats["numero"]) == [1, 2, 3, 4, 5]
    assert 'src="http' not in page and "<link" not in page  # offline: styles inline
    with pytest.raises(SchemaError, match="diagnostics connus : D1"):
        build_releve(_tiny(), "D9")


@pytest.fixture(scope="module")
def sample() -> gupgeo.Territory:
    return gupgeo.attribute_territory(gupgeo.load_territory(SAMPLE))


def test_suivi_dashboard_and_releves_give_the_same_numbers(sample: gupgeo.Territory) -> None:
    day = "2024-12-31"
    suivi = build_suivi(sample, as_of=day).total()
    db = build_dashboard(sample, period="2022-01-01/2024-12-31", freq="year")
    row = db["diagnostics"].loc["total"]
    assert row["nb_constats_traites"] == suivi["traites"]
    assert row["nb_traites_dans_les_delais"] == suivi["traites_dans_les_delais"]
    assert row["nb_constats_en_retard"] == suivi["en_retard"]
    assert row["delai_median_traitement_jours"] == suivi["delai_median_jours"]
    followed = suivi["ouverts"] + suivi["traites"] + suivi["statut_inconnu"]
    assert row["nb_constats_suivis"] == followed
    releves = [build_releve(sample, d, as_of=day) for d in sample["diagnostics"]["id"]]
    assert sum(len(r.constats) for r in releves) == followed
    suivis = pd.concat([r.constats["suivi"] for r in releves])
    assert int((suivis == "en retard").sum()) == suivi["en_retard"]
    assert int((suivis == "traité").sum()) == suivi["traites"]
    agents = sample["diagnostics"]["agents_proximite"]
    assert row["nb_diagnostics_avec_agents"] == int((agents > 0).sum())
    assert row["nb_participants"] == int(
        sample["diagnostics"][["habitants", "agents_proximite", "bailleurs", "ville", "autres"]]
        .sum()
        .sum()
    )
    assert not np.isnan(row["delai_median_traitement_jours"])


def test_cli_suivi_writes_the_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "suivi"
    assert main(["diagnostic", "suivi", str(SAMPLE), "--date", "31/12/2024", "-o", str(out)]) == 0
    text = (out / "suivi.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith(SUIVI_HEADER)
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    total = rows[-1]
    assert total["responsable"] == "total"
    assert int(total["en_retard"]) == len((out / "en_retard.csv").read_text().splitlines()) - 1
    assert "en retard" in capsys.readouterr().out
    # Partners spelled one way (the sample writes some "TOURS HABITAT", "TMVL"…).
    assert {"TOURS HABITAT", "TMVL", "tours-habitat"}.isdisjoint(r["responsable"] for r in rows)


def test_cli_releve_html_and_xlsx(tmp_path: Path) -> None:
    args = ["diagnostic", "releve", "DEM-07", "--territoire", str(SAMPLE), "-o", str(tmp_path)]
    assert main([*args, "--sans-pdf"]) == 0
    page = (tmp_path / "releve_dem_07.html").read_text(encoding="utf-8")
    assert "Relevé de conclusions" in page and "Participants" in page
    assert (tmp_path / "releve_dem_07.xlsx").stat().st_size > 0


def test_cli_preparer_lists_open_constats_of_earlier_walks(tmp_path: Path) -> None:
    args = ["diagnostic", "preparer", "Sanitas", "--territoire", str(SAMPLE), "--date",
            "20/06/2024", "-o", str(tmp_path), "--sans-pdf"]  # fmt: skip
    assert main(args) == 0
    page = (tmp_path / "fiche_loc_sanitas_2024-06-20.html").read_text(encoding="utf-8")
    assert "Constats ouverts des marches précédentes" in page
    assert "Problèmes signalés plusieurs fois" in page and "Équipements" in page
    assert "<script" not in page and "<link" not in page
    assert main([*args[:2], "Nulle-Part", *args[3:]]) == 2


def test_atlas_section_gives_the_suivi_numbers(
    sample: gupgeo.Territory, fake_assets: Path, tmp_path: Path
) -> None:
    import re

    from gupgeo.atlas import build_atlas

    build_atlas(sample, tmp_path, period="2022-01-01/2024-12-31", quartiers=["LOC-EUROPE"],
                workers=1)  # fmt: skip
    [page] = sorted((tmp_path / "quartiers").glob("*.html"))
    text = page.read_text(encoding="utf-8")
    section = text[text.index('data-section="diagnostics"') :]
    values: dict[str, float] = {}
    for value, name in re.findall(
        r'data-value="([^"]+)" data-indicator="diagnostics:(\w+)"', section
    ):
        values[name] = float(value)
    suivi = build_suivi(sample, as_of="2024-12-31").table
    europe = suivi.loc[suivi["code_qp"] == "LOC-EUROPE"]
    assert values["nb_constats_traites"] == europe["traites"].sum()
    assert values["nb_constats_en_retard"] == europe["en_retard"].sum()
    assert values["nb_traites_dans_les_delais"] == europe["traites_dans_les_delais"].sum()
    followed = europe[["ouverts", "traites", "statut_inconnu"]].to_numpy().sum()
    assert values["nb_constats_suivis"] == followed


def test_review_section_splits_walk_constats_around_the_delivery(tmp_path: Path) -> None:
    from gupgeo.review.build import review_operation

    review = review_operation(gupgeo.load_territory(SAMPLE), "OP-03", months=18,
                              publication="partenaires")  # fmt: skip
    text = review.save(tmp_path / "revue.html").read_text(encoding="utf-8")
    section = text[text.index('data-section="diagnostics"') :]
    assert "Avant la livraison" in section and "Après la livraison" in section
    assert "Toute la fenêtre" in section


def test_releve_numbers_are_coloured_by_gravite_with_their_legend() -> None:
    frames = _tiny()
    frames["constats"].loc[2, "gravite"] = np.nan  # a finding without gravité: grey, no level
    r = build_releve(frames, "D1")
    svg = releve_svg(r)
    found = re.findall(r'fill="(#[0-9a-f]{6})"[^>]*/><text[^>]*>(\d+)</text>', svg)
    by_number = dict(zip(r.constats["numero"], r.constats["gravite"], strict=True))
    expected = {
        str(n): GRAVITE_COLORS[int(g)] if g == g else MISSING_COLOR for n, g in by_number.items()
    }
    assert {num: color for color, num in found} == expected and len(found) == 5
    page = releve_html(r)
    for label in ("gravité 1 — faible", "gravité 3 — forte", "gravité non renseignée"):
        assert label in page
