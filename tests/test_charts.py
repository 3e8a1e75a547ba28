"""Charts: files written, A4 size, French labels in the SVG text, honest empty states."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from gupgeo.dashboard.charts import (
    A4_TEXT_WIDTH_IN,
    DPI,
    chart_backlog_age,
    chart_quartiers_comparison,
    chart_series_by_category,
    chart_tfpb_axes,
    french_number,
    period_tick,
    render_dashboard_charts,
    save_figure,
)
from gupgeo.dashboard.model import Dashboard, build_dashboard
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
