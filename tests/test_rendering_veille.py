"""The "Veille territoriale" section (gupgeo.rendering.veille) on hand-made cells and problems.

Readable when there is nothing to report (and saying why), public secrets kept, the
section rendered by its macro with every value escaped.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd

from gupgeo.periods import parse_period
from gupgeo.rendering.html import environment
from gupgeo.rendering.veille import (
    LIEU,
    VeilleSection,
    figures,
    hot_spots,
    method_notes,
    recurring_places,
    repeated_table,
    trends,
)
from gupgeo.veille.cells import SECRET_CLASS, PeriodCells

WHERE = dict(where="dans le quartier ou à moins de 200 m", nowhere="dans le quartier ni à moins de 200 m")  # fmt: skip


def found(cells: pd.DataFrame, **kw: object) -> PeriodCells:
    base = PeriodCells(
        parse_period("2024"), gpd.GeoDataFrame(cells), "", "", ("2024Q1", "2024Q2", "2024Q3",
        "2024Q4", "2025Q1", "2025Q2"), "quarter", 200.0,
    )  # fmt: skip
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def cells(classes: list[str], counts: list[object], categories: list[str] | None = None):
    n = len(classes)
    return pd.DataFrame(
        {
            "id_carreau": [f"C{i}" for i in range(n)],
            LIEU: ["dans le quartier"] * (n - 1) + ["à proximité"],
            "classe": classes,
            "nb_signalements": counts,
            "categorie": categories or ["aucune tendance"] * n,
            "adresse": ["1 rue de l'Alouette"] + [None] * (n - 1),
        }
    )


def test_hot_spots_are_listed_most_confident_first_with_where_they_are():
    c = cells(["point chaud 90 %", "point chaud 99 %", "point froid 95 %", "non significatif"],
              [25, 80, 0, 12])  # fmt: skip
    text, table = hot_spots(c, found(c), public=False, threshold=11, **WHERE)
    assert text == (
        "2 carreaux en point chaud significatif dans le quartier ou à moins de 200 m sur la "
        "période. Par ailleurs : 1 point froid (moins de signalements qu'alentour)."
    )
    assert table is not None
    assert [h for h, _ in table.headers] == [
        "Lieu", "Adresse la plus citée", "Classe", "Signalements de la période", "Carreau (INSEE)"
    ]  # fmt: skip
    assert [[c.text for c in row] for row in table.rows] == [
        ["dans le quartier", "", "point chaud 99 %", "80", "C1"],
        ["dans le quartier", "1 rue de l'Alouette", "point chaud 90 %", "25", "C0"],
    ]


def test_nothing_significant_says_why():
    few = cells(["non significatif"] * 3, [3, 4, 2])
    text, table = hot_spots(few, found(few), public=False, threshold=11, **WHERE)
    assert table is None
    assert text == (
        "Aucun point chaud significatif dans le quartier ni à moins de 200 m sur la période : "
        "trop peu de signalements (9 dans ces carreaux) pour qu'une concentration y soit "
        "significative."
    )
    many = cells(["non significatif"] * 3, [30, 40, 20])
    text, _ = hot_spots(many, found(many), public=False, threshold=11, **WHERE)
    assert text.endswith(
        ": les 90 signalements de ces carreaux n'y sont pas plus concentrés que dans le reste "
        "de la zone d'étude."
    )
    error = "12 signalements dans la zone d'étude"
    text, table = hot_spots(many, found(many, hot_error=error), public=False, threshold=11,
                            **WHERE)  # fmt: skip
    assert (text, table) == (f"Points chauds non calculés pour la période : {error}.", None)


def test_public_secret_cells_are_counted_never_listed():
    c = cells([SECRET_CLASS, "point chaud 95 %", "non significatif"], [pd.NA, 14, pd.NA])
    text, table = hot_spots(c, found(c), public=True, threshold=11, **WHERE)
    assert table is not None and len(table.rows) == 1
    assert text.endswith(
        "Par ailleurs : 1 carreau significatif de moins de 11 signalements, non publié (secret "
        "statistique)."
    )
    nothing = cells([SECRET_CLASS, "non significatif"], [pd.NA, 30])
    text, table = hot_spots(nothing, found(nothing), public=True, threshold=11, **WHERE)
    assert table is None and "pas plus concentrés qu'ailleurs" in text and "30" not in text


def test_trends_by_category_hot_and_new_first():
    c = cells(["non significatif"] * 4, [1] * 4,
              ["point chaud sporadique", "nouveau point chaud", "aucune tendance",
               "point chaud sporadique"])  # fmt: skip
    text, table = trends(c, found(c), nowhere="dans le quartier ni à moins de 200 m")
    assert text == (
        "Tendances sur 6 trimestres, de T1 2024 à T2 2025 (Gi* par période et test de Mann-Kendall) :"
    )
    assert table is not None
    assert [[c.text for c in row] for row in table.rows] == [
        ["nouveau point chaud", "1", "dans le quartier"],
        ["point chaud sporadique", "2", "dans le quartier, à proximité"],
    ]
    none = cells(["non significatif"] * 2, [1, 1])
    text, table = trends(none, found(none), nowhere="autour du périmètre")
    assert table is None and text.startswith(
        "Aucune tendance significative autour du périmètre sur 6 trimestres"
    )
    secret = cells(["non significatif"] * 2, [1, 1], [SECRET_CLASS, "aucune tendance"])
    _, table = trends(secret, found(secret), nowhere="ici")
    assert table is not None
    assert [c.text for c in table.rows[0]] == [
        "tendance non publiée (secret statistique)",
        "1",
        "dans le quartier",
    ]
    text, _ = trends(none, found(none, trend_error="3 période(s)"), nowhere="ici")
    assert text == "Tendances non calculées : 3 période(s)."


def test_figures_keep_small_counts_secret_in_public():
    values = [("Problèmes", 12, "p:a"), ("Ouverts", 3, "p:b"), ("Inconnu", None, "p:c")]
    public = figures(values, public=True, threshold=11)
    assert [(f.text, f.value) for f in public] == [("12", "12"), ("secret", ""), ("n.c.", "")]
    assert [f.text for f in figures(values, public=False, threshold=11)] == ["12", "3", "n.c."]


def _problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rang": [1, 2, 3],
            "categorie": ["dépôts sauvages", "dépôts sauvages", "tags"],
            "adresse": ["7 rue de l'Alouette", "7 rue de l'Alouette", None],
            "nb_signalements": [11, 6, 2],
            "premier": pd.to_datetime(["2024-04-06", "2024-05-12", "2024-06-01"]),
            "dernier": pd.to_datetime(["2024-05-03", "2024-06-10", "2024-06-02"]),
            "statut": ["résolu", "nouveau", "résolu"],
            "nb_ouverts": [0, 1, 0],
        }
    )


def test_repeated_problems_table_and_the_place_that_comes_back():
    table, more = repeated_table(_problems(), caption="Problèmes", max_rows=2)
    assert more == 1
    assert [h for h, _ in table.headers] == [
        "N°", "Catégorie", "Adresse la plus citée", "Signalements", "Premier", "Dernier",
        "Statut du dernier", "Encore ouverts",
    ]  # fmt: skip
    assert [c.text for c in table.rows[1]] == [
        "2", "dépôts sauvages", "7 rue de l'Alouette", "6", "12/05/2024", "10/06/2024",
        "nouveau", "1",
    ]  # fmt: skip
    assert recurring_places(_problems()) == (
        " Le même lieu revient : 7 rue de l'Alouette (2 problèmes, 17 signalements)."
    )
    assert recurring_places(_problems().iloc[2:]) == ""


def test_the_section_renders_escaped_with_its_method():
    c = cells(["point chaud 99 %", "non significatif"], [40, 2])
    c.loc[0, "adresse"] = "<script>alert('x')</script>"
    f = found(c)
    text, hot = hot_spots(c, f, public=False, threshold=11, **WHERE)
    table, _ = repeated_table(_problems(), caption="Problèmes", max_rows=20)
    section = VeilleSection(
        lead="Ce qui se concentre…", hot_title="Points chauds de la période", hot_text=text, hot=hot, trend_text="Aucune tendance.",
        trends=None, figures=figures([("Problèmes", 3, "problemes_repetes:x")], public=False,
                                     threshold=11),
        repeated_text="Problèmes :", repeated=table, repeated_more=4,
        method=method_notes(f, rule_text="même catégorie", near="ici"),
    )  # fmt: skip
    macro = environment().from_string('{% import "_veille.html" as v %}{{ v.section(s) }}')
    html = macro.render(s=section)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)" in html
    assert 'data-indicator="problemes_repetes:x" data-value="3">3<' in html
    assert "… et 4 autre(s) problème(s)" in html
    assert "Carreaux de 200 m du carroyage INSEE ; ici." in html
