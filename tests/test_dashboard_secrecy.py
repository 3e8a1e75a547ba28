"""The public dashboard: no count from 1 to the threshold − 1, none recomputable."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gupgeo
from gupgeo.dashboard import build_dashboard, export_dashboard
from gupgeo.dashboard.secrecy import _table_lines, count_columns
from gupgeo.indicators import TOTAL
from gupgeo.publication import SECRET_LABEL, publish
from gupgeo.secrecy import recoverable_cells

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def attributed() -> gupgeo.AttributedTerritory:
    return gupgeo.attribute_territory(gupgeo.load_territory(SAMPLE))


@pytest.fixture(scope="module")
def public(attributed):
    return build_dashboard(publish(attributed, "public"), period="2024", freq="quarter")


def small_counts(db) -> list[str]:
    found = []
    for kind, frames in (("table", db.tables), ("series", db.series)):
        for name, frame in frames.items():
            for col in count_columns(name, frame):
                values = pd.to_numeric(frame[col], errors="coerce")
                n = int(((values >= 1) & (values < 11)).sum())
                if n:
                    found.append(f"{kind} {name}.{col}: {n}")
    return found


def test_public_dashboard_shows_no_small_count(public):
    assert public.profil == "public" and public.secret_threshold == 11
    assert small_counts(public) == []
    assert any(bool(mask.to_numpy().any()) for mask in public.secret.values())


def test_interne_dashboard_is_untouched(attributed):
    db = build_dashboard(publish(attributed, "interne"), period="2024", freq="quarter")
    assert db.secret == {} and small_counts(db)  # small counts exist in the sample


def test_no_secret_cell_can_be_recomputed_from_the_totals(public):
    tables = dict(public.tables)
    counts = {n: count_columns(n, f) for n, f in tables.items()}
    values = {
        (n, r, c): float(v)
        for n, f in tables.items()
        for c in counts[n]
        for r, v in pd.to_numeric(f[c], errors="coerce").items()
    }
    lines = _table_lines(tables, counts)
    hidden = {
        (n, r, str(c))
        for n, mask in public.secret.items()
        if "@" not in n
        for c in mask.columns
        for r, h in mask[c].items()
        if h and (n, r, str(c)) in values
    }
    unknown = {k for k, v in values.items() if math.isnan(v) and k not in hidden}
    assert hidden and not recoverable_cells(lines, hidden, unknown=unknown)


def test_rates_are_hidden_with_their_counts(public):
    mask = public.secret["signalements"]
    rows = mask[count_columns("signalements", public.tables["signalements"])].any(axis=1)
    assert rows.any()
    assert mask.loc[rows, "part_clos_pct"].all()
    assert public.tables["signalements"].loc[rows, "part_clos_pct"].isna().all()


def test_agents_sick_leaves_never_reach_public(public, attributed):
    pub = publish(attributed, "public")
    assert "arrets_agents" not in pub.layers and pub.withheld["arrets_agents"] > 0
    assert "arrets_agents" not in public.tables and "arrets_agents" not in public.series
    assert any("arrets_agents : non publiés" in n for n in public.notes)


def test_exports_write_secret_and_no_small_count(public, tmp_path):
    written = export_dashboard(public, tmp_path, charts=False)
    table = tmp_path / "constats.csv"
    rows = list(csv.reader(table.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    cells = [c for row in rows[1:] for c in row[2:]]
    assert SECRET_LABEL in cells
    numbers = [float(c.replace(",", ".")) for c in cells if c not in ("", SECRET_LABEL)]
    assert not [v for v in numbers if 1 <= v < 11]
    from openpyxl import load_workbook

    book = load_workbook(next(p for p in written if p.suffix == ".xlsx"), read_only=True)
    sheet = book["Constats"]
    shown = [v for row in sheet.iter_rows(min_row=2, values_only=True) for v in row[2:]]
    assert SECRET_LABEL in shown
    assert not [v for v in shown if isinstance(v, int | float) and 1 <= v < 11]


def test_totals_and_zero_are_shown(public):
    table = public.tables["signalements"]
    assert table.loc[TOTAL, "nb_signalements"] > 11
    zeros = public.tables["signalements_par_statut"].to_numpy(dtype=float)
    assert (np.nan_to_num(zeros, nan=-1) == 0).any()  # a zero reveals no one


def test_public_reconciliation_is_checked_before_secrecy_and_shows_no_count(public):
    check = public.reconciliation()
    assert check["ok"].all() and len(check)
    assert check[["quartiers_et_hors_qpv", "total", "lignes_en_entree"]].isna().all().all()
