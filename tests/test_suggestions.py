"""Suggestions from values, not names: a proposed column holds values of the target's type.

The export is hand-built like a real one: a ``code_departement`` column (name close to
``date_signalement``), ``latitude``/``longitude``, a text column of a few categories and a
column of real Excel dates (date cells in an .xlsx, and Excel serial numbers in a CSV),
none named like a gupgeo column.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from gupgeo import load_territory
from gupgeo.cli import main
from gupgeo.manifest import MANIFEST_NAME
from gupgeo.schemas import SCHEMAS
from gupgeo.validation.suggestions import candidates, fits


def export(n: int = 12) -> pd.DataFrame:
    first = dt.datetime(2024, 3, 1, 9, 30)
    return pd.DataFrame(
        {
            "numero": [f"R-{i}" for i in range(n)],
            "code_departement": ["37"] * n,
            "Reçu le": [first + dt.timedelta(days=3 * i) for i in range(n)],
            "Nature": ["tags", "voirie", "propreté"] * (n // 3),
            "Commentaire": [f"remarque {i}" for i in range(n)],
            "latitude": [47.39 + i / 1000 for i in range(n)],
            "longitude": [0.69 + i / 1000 for i in range(n)],
        }
    )


@pytest.fixture()
def xlsx(tmp_path: Path) -> Path:
    folder = tmp_path / "t"
    folder.mkdir()
    path = folder / "signalements_export.xlsx"
    export().to_excel(path, index=False)
    return path


def test_a_missing_date_proposes_the_excel_date_column_not_code_departement(xlsx, capsys):
    assert main(["validate", str(xlsx)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert '--colonne date_signalement="Reçu le"' in text
    assert "date_signalement=code_departement" not in text
    assert "--colonne categorie=Nature" in text
    assert "categorie=latitude" not in text and "categorie=longitude" not in text


def test_the_proposed_manifest_makes_the_file_load(xlsx, capsys):
    assert main(["validate", str(xlsx.parent), "--proposer-manifeste"]) == 1
    out = capsys.readouterr().out
    proposal = out[: out.index("Rapport de validation")]
    assert '[fichiers."signalements_export.xlsx"]' in proposal
    assert 'date_signalement = "Reçu le"  # proposé d\'après les valeurs' in proposal
    assert 'categorie = "Nature"' in proposal
    (xlsx.parent / MANIFEST_NAME).write_text(proposal, encoding="utf-8")
    t = load_territory(xlsx.parent)
    assert t.report.ok, t.report.to_text()
    s = t["signalements"]
    assert len(s) == 12 and s["date_signalement"].min() == pd.Timestamp("2024-03-01 09:30")
    assert set(s["categorie"]) == {"tags", "voirie", "propreté"}


def test_excel_serials_in_a_csv_are_dates_and_small_numbers_are_not(tmp_path):
    frame = export().assign(**{"Reçu le": [45352 + 3 * i for i in range(12)]})
    date = SCHEMAS["signalements"].column("date_signalement")
    assert fits(date, frame["Reçu le"])
    assert not fits(date, frame["code_departement"])
    assert not fits(date, pd.Series([37, 37, 41]))
    assert not fits(date, frame["latitude"])
    assert candidates(date, frame, list(frame.columns)) == ["Reçu le"]


def test_numbers_must_be_in_range_and_categories_few():
    gravite = SCHEMAS["constats"].column("gravite")
    assert fits(gravite, pd.Series(["1", "3", "2"])) and not fits(gravite, pd.Series([1, 7]))
    categorie = SCHEMAS["signalements"].column("categorie")
    assert not fits(categorie, pd.Series([f"texte libre {i}" for i in range(40)]))
    assert fits(categorie, pd.Series(["tags", "voirie"] * 20))
    assert not fits(categorie, pd.Series(["01/03/2024", "02/03/2024"] * 20))  # dates


def test_a_name_column_is_never_the_commune(tmp_path):
    nom = SCHEMAS["equipements"].column("nom")
    frame = pd.DataFrame({"commune": ["Tours", "Tours", "La Riche"], "Libellé": ["A", "B", "C"]})
    assert candidates(nom, frame, list(frame.columns)) == ["Libellé"]
