"""The follow-up files: ``suivi.csv`` per partner and quartier, ``en_retard.csv``.

French CSV (``;``, decimal comma, UTF-8 with BOM), formula-like text neutralised
(:mod:`gupgeo._spreadsheet`); a median that cannot be computed reads « n.c. », never 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from gupgeo._atomic import write_text
from gupgeo._spreadsheet import write_csv
from gupgeo.diagnostics.model import Suivi, build_suivi
from gupgeo.french import format_date, format_number

SUIVI_FILE = "suivi.csv"
OVERDUE_FILE = "en_retard.csv"
NOTES_FILE = "suivi_notes.txt"


def suivi_csv_frame(suivi: Suivi) -> pd.DataFrame:
    """``suivi.table`` as written: counts as integers, the median with a comma or « n.c. »."""
    out = suivi.table.copy()
    for col in out.columns[2:]:
        if col == "delai_median_jours":
            out[col] = [format_number(v, 1) for v in out[col]]
        else:
            out[col] = out[col].astype("int64")
    return out


def overdue_csv_frame(suivi: Suivi) -> pd.DataFrame:
    """``suivi.overdue`` as written: dates ``dd/mm/yyyy``."""
    out = suivi.overdue.copy()
    for col in ("date", "echeance"):
        out[col] = [format_date(v) for v in out[col]]
    return out


def write_suivi(suivi: Suivi, folder: str | Path) -> list[Path]:
    """Write ``suivi.csv``, ``en_retard.csv`` and the notes into ``folder``."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {"sep": ";", "encoding": "utf-8-sig"}
    written = [
        write_csv(suivi_csv_frame(suivi), target / SUIVI_FILE, **options),
        write_csv(overdue_csv_frame(suivi), target / OVERDUE_FILE, **options),
    ]
    header = (
        f"Suivi des constats des diagnostics en marchant au {suivi.as_of:%d/%m/%Y} "
        f"(profil {suivi.profil})"
    )
    written.append(write_text(target / NOTES_FILE, "\n".join([header, *suivi.notes]) + "\n"))
    return written


def suivi_command(source: Any, *, as_of: object, output: str | Path, publication: str) -> Suivi:
    """What ``gupgeo diagnostic suivi`` does: build the follow-up and write its files."""
    suivi = build_suivi(source, as_of=as_of, publication=publication)
    write_suivi(suivi, output)
    return suivi


__all__ = ["OVERDUE_FILE", "SUIVI_FILE", "overdue_csv_frame", "suivi_csv_frame", "write_suivi"]
