"""Charts: files written, A4 size, French labels in the SVG text, honest empty states,
month labels that never collide."""

from __future__ import annotations

import html
import itertools
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from gupgeo.dashboard import chart_data
from gupgeo.dashboard._font import text_width
from gupgeo.dashboard._periods_axis import GAP_PT
from gupgeo.dashboard._svg import TICK_PT
from gupgeo.dashboard.chart_data import ChartData
from gupgeo.dashboard.charts import (
    A4_TEXT_WIDTH_IN,
    DPI,
    MONTHS_FR,
    chart_backlog_age,
    chart_quartiers_comparison,
    chart_series_by_category,
    chart_tfpb_axes,
    draw_series_by_category,
    french_number,
    period_tick,
    render_dashboard_charts,
    save_figure,
)
from gupgeo.dashboard.model import Dashboard, build_dashboard
from gupgeo.rendering.html import chart_table
from tests._dashboard_fixtures import layers


@pytest.fixture(scope="module")
def db() -> Dashboard:
    return build_dashboard(layers(), period="2024-T1", freq="month")


def png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def svg_text(fig: object, tmp_path: Path, name: str) -> str:
    (path,) = save_figure(fig, tmp_path / name, formats=("svg",))  # type: ignore[arg-type]
    return path.read_text(encoding="utf-8")


def test_png_is_a4_text_width(db: Dashboard, tmp_path: Path) -> None:
    (path,) = save_figure(chart_series_by_category(db, "QP-A"), tmp_path / "a", formats=("png",))
    width, height = png_size(path)
    assert abs(width - A4_TEXT_WIDTH_IN * DPI) <= 1  # 17 cm at 200 dpi
    assert 0.4 < height / width < 0.7


def test_series_chart_french_labels(db: Dashboard, tmp_path: Path) -> None:
    svg = svg_text(chart_series_by_category(db, "QP-A"), tmp_path, "series")
    assert "Signalements par mois et catégorie — Les Acacias" in svg
    assert "Nombre de signalements" in svg
    for month in ("janv.", "févr.", "mars"):
        assert month in svg
    assert "Tags" in svg  # the main category of QP-A is in the legend


def test_backlog_chart_and_dansmarue_message(db: Dashboard, tmp_path: Path) -> None:
    svg = svg_text(chart_backlog_age(db, "QP-B"), tmp_path, "stock")
    for label in ("≤ 4 semaines", "4 à 8 semaines", "plus de 8 semaines", "Ancienneté"):
        assert label in svg
    data = layers()
    data["signalements"] = data["signalements"].drop(
        columns=["statut", "statut_brut", "date_cloture"]
    )
    dmr = build_dashboard(data, period="2024-T1", freq="month")
    assert "Stock non calculable" in svg_text(chart_backlog_age(dmr, "QP-A"), tmp_path, "dmr")


def test_tfpb_chart_lists_the_national_axes(db: Dashboard, tmp_path: Path) -> None:
    svg = svg_text(chart_tfpb_axes(db, "QP-A"), tmp_path, "tfpb")
    assert "Sur-entretien" in svg
    assert "Tranquillité résidentielle" in svg
    assert "2\u00a0000 €" in svg  # French thousands separator and euro sign
    assert "Axe non reconnu" not in svg  # QP-A has none


def test_comparison_chart_uses_quartier_names(db: Dashboard, tmp_path: Path) -> None:
    svg = svg_text(chart_quartiers_comparison(db), tmp_path, "cmp")
    assert "Les Acacias" in svg and "Le Bocage" in svg
    assert "6,0" in svg  # QP-B: 3 signalements for 500 inhabitants


def test_render_all_for_one_quartier(db: Dashboard, tmp_path: Path) -> None:
    written = render_dashboard_charts(db, tmp_path, formats=("png",), quartiers=["QP-A"])
    names = sorted(p.name for p in written)
    assert names == [
        "QP-A_signalements.png",
        "QP-A_stock.png",
        "QP-A_tfpb.png",
        "comparaison_actions_nb_actions.png",
        "comparaison_degradations_par_1000_habitants.png",
        "comparaison_signalements_par_1000_habitants.png",
    ]
    assert all(p.stat().st_size > 10_000 for p in written)


def test_unknown_quartier(db: Dashboard) -> None:
    with pytest.raises(KeyError, match="QP-A"):
        chart_backlog_age(db, "QP-Z")


def test_formatting_helpers() -> None:
    assert french_number(1234567) == "1\u00a0234\u00a0567"
    assert french_number(2.25, decimals=1) == "2,2"
    assert period_tick("2024-03") == "mars 24"
    assert period_tick("2024-T2") == "2024-T2"


def test_series_text_alternative_gives_the_period_and_key_figures(db: Dashboard) -> None:
    data = chart_data.series_by_category(db, "QP-A")
    # QP-A in 2024-T1: January 2 (Tags, Propreté), February 1 (Éclairage), March 2 (Tags ×2).
    assert data.summary == (
        "Signalements par mois et catégorie — Les Acacias, janvier–mars 2024 : 5 signalements"
        " ; maximum 2 en janvier 2024, minimum 1 en février 2024 ; catégories les plus "
        "fréquentes : Tags (3), Éclairage (1), Propreté (1)."
    )
    table = chart_table(data)
    assert table is not None
    assert [h for h, _ in table.headers] == ["Mois", "Tags", "Éclairage", "Propreté", "Total"]
    assert [row[0].text for row in table.rows] == ["janvier 2024", "février 2024", "mars 2024"]
    assert [row[-1].value for row in table.rows] == ["2", "1", "2"]


def test_backlog_tfpb_and_comparison_alternatives(db: Dashboard) -> None:
    backlog = chart_data.backlog_age(db, "QP-B").summary
    assert "en fin de mars 2024, 3 ouverts dont 1 depuis plus de 8 semaines" in backlog
    tfpb = chart_data.tfpb_axes(db, "QP-A").summary
    assert (
        "3\u202f500\u202f€ au total" in tfpb
        and "tranquillité résidentielle (2\u202f000\u202f€)" in tfpb
    )
    comparison = chart_data.quartiers_comparison(db)
    assert "le plus élevé : Le Bocage (6,0) ; le plus bas : Les Acacias (2,5)" in comparison.summary
    assert list(comparison.values.index) == ["Le Bocage", "Les Acacias"]


def test_chart_table_says_nc_and_secret_never_the_value() -> None:
    values = pd.DataFrame(
        {"périmètre": [4.0, 15.0], "abords": [30.0, 25.0]}, index=["2024-T1", "2024-T2"]
    )
    hidden = pd.DataFrame(
        {"périmètre": [True, False], "abords": [False, False]}, index=values.index
    )
    data = chart_data.ChartData(
        "Titre", values, "Trimestre", "résumé", hidden=hidden, blank=(False, True)
    )
    table = chart_table(data)
    assert table is not None
    first, second = table.rows
    assert [c.text for c in first] == ["T1 2024", "secret", "30"]
    assert first[1].value == "" and "4" not in first[1].text
    assert [c.text for c in second] == ["T2 2024", "n.c.", "n.c."]
    assert table.caption == "Données du graphique : Titre"


# --- SVG written from the data: accessible, and month labels that never collide ----------


def _monthly(n_months: int, start: str = "2022-01", *, blank: int | None = None) -> ChartData:
    months = pd.period_range(start, periods=n_months, freq="M").strftime("%Y-%m")
    values = pd.DataFrame(
        {"Tags": [float(1 + i % 7) for i in range(n_months)], "Propreté": 2.0}, index=months
    )
    flags = tuple(i == blank for i in range(n_months))
    if blank is not None:
        values.iloc[blank] = float("nan")
    return ChartData("Titre — Les Acacias", values, "Mois", "Résumé du graphique.", blank=flags)


def _axis_labels(svg: str) -> list[tuple[float, float, str]]:
    """The x-axis tick labels of a stacked chart: (x, first baseline, text) per line."""
    labels = []
    for group in re.findall(r'<text class="k mid">(.*?)</text>', svg):
        for x, y, text in re.findall(r'<tspan x="([\d.]+)" y="([\d.]+)">(.*?)</tspan>', group):
            labels.append((float(x), float(y), html.unescape(text)))
    return labels


@pytest.mark.parametrize(
    ("n_months", "start"),
    [
        (3, "2024-01"),
        (6, "2024-03"),
        (12, "2024-01"),
        (18, "2023-07"),
        (24, "2023-01"),
        (36, "2022-01"),
        (60, "2020-01"),
        (120, "2015-01"),
    ],
)
def test_month_labels_do_not_overlap(n_months: int, start: str) -> None:
    svg = draw_series_by_category(_monthly(n_months, start)).svg()
    labels = _axis_labels(svg)
    assert labels, "no month label drawn"
    by_line: dict[float, list[tuple[float, float]]] = {}
    for x, y, text in labels:
        half = text_width(text, TICK_PT) / 2
        by_line.setdefault(y, []).append((x - half, x + half))
    for boxes in by_line.values():
        boxes.sort()
        for (_, right), (left, _) in itertools.pairwise(boxes):
            assert right + GAP_PT <= left + 1e-6, (n_months, boxes)
    months = [t for _, _, t in labels if not t.isdigit()]
    # Labels sit on calendar boundaries: every 1, 2, 3, 6 or 12 months from January.
    indices = [MONTHS_FR.index(m) for m in months]
    step = indices[1] - indices[0] if len(indices) > 1 and indices[1] > indices[0] else 12
    assert all(i % step == 0 for i in indices) or n_months <= 12
    assert any(t.isdigit() for _, _, t in labels) or n_months <= 12  # the year is written


def test_single_year_axis_writes_the_year_once() -> None:
    svg = draw_series_by_category(_monthly(12, "2024-01")).svg()
    assert not any(t.isdigit() for _, _, t in _axis_labels(svg))
    assert svg.count(">2024</text>") == 1


def test_svg_carries_title_text_alternative_and_nc() -> None:
    svg = draw_series_by_category(_monthly(6, "2024-01", blank=2)).svg()
    assert '<title id="titre">Titre — Les Acacias</title>' in svg
    assert '<desc id="description">Résumé du graphique.</desc>' in svg
    assert 'role="img"' in svg and 'width="481.89pt"' in svg
    assert svg.count(">n.c.</text>") == 1  # the uncovered month, never a bar of 0
    assert "n.c. : sous-période non couverte par les données" in svg


def test_svg_escapes_names_and_writes_secret() -> None:
    values = pd.DataFrame({"Rue de l'<Alouette>": [4.0, 15.0]}, index=["2024-T1", "2024-T2"])
    hidden = pd.DataFrame({"Rue de l'<Alouette>": [True, False]}, index=values.index)
    data = ChartData("Titre", values, "Trimestre", "résumé", hidden=hidden, blank=(False, False))
    svg = draw_series_by_category(data).svg()
    assert "Rue de l&#x27;&lt;Alouette&gt;" in svg and "<Alouette>" not in svg
    assert svg.count(">secret</text>") == 1
    assert ET.fromstring(svg).tag.endswith("svg")  # well-formed XML


def test_default_export_writes_svg_only(db: Dashboard, tmp_path: Path) -> None:
    written = render_dashboard_charts(db, tmp_path, quartiers=["QP-A"])
    assert {p.suffix for p in written} == {".svg"}
    for path in written:
        ET.fromstring(path.read_text(encoding="utf-8"))
