"""Values typed by their schema column: dates, numbers, integers and text, each
unreadable value named with its row; a blank required value rejects its row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gupgeo.dates import EXPECTED_DATE, parse_dates
from gupgeo.schemas import Column, LayerSchema
from gupgeo.validation._rows import (
    Labels,
    Rejections,
    blank_values,
    has_decimal_comma,
    list_issues,
    reject_rows,
    to_float,
)
from gupgeo.validation.report import LayerReport

FREE_TEXT = frozenset({"description", "recommandation", "adresse", "objet", "motif", "intitule"})
"""Free-text columns: kept as written (only blank values become missing)."""


def type_columns(
    frame: pd.DataFrame,
    schema: LayerSchema,
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
    *,
    decimal_comma: bool,
) -> pd.DataFrame:
    """Type every column of the schema present (dates, numbers, text), naming each
    unreadable value; a blank required value rejects its row."""
    frame = frame.copy()
    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        values = frame[col.name]
        if col.kind == "date":
            typed, blank = _typed_dates(values, col, report, rej, labels)
        elif col.kind in ("integer", "number"):
            typed, blank = _typed_numbers(values, col, report, rej, labels, decimal_comma)
        else:
            typed = clean_text(values, strip=col.name not in FREE_TEXT)
            blank = typed.isna().to_numpy()
        frame[col.name] = typed
        if col.required:
            _reject_blank_required(blank, col, report, rej, labels)
    if "gravite" in frame.columns:
        frame["gravite"] = _gravite_in_range(frame["gravite"], report, labels)
    return frame


def _typed_dates(
    values: pd.Series, col: Column, report: LayerReport, rej: Rejections, labels: Labels
) -> tuple[pd.Series, np.ndarray]:
    """Parsed dates, and which values were blank (a date is missing iff blank or unreadable)."""
    parsed, bad = parse_dates(values)
    bad_arr = bad.to_numpy()
    _bad_values(
        values,
        bad_arr,
        col.name,
        col.required,
        f"attendu {EXPECTED_DATE}",
        "date illisible",
        report,
        rej,
        labels,
    )
    return parsed, parsed.isna().to_numpy() & ~bad_arr


def _typed_numbers(
    values: pd.Series,
    col: Column,
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
    decimal_comma: bool,
) -> tuple[pd.Series, np.ndarray]:
    """Parsed numbers, and which values were blank."""
    parsed_num = to_float(values, decimal_comma or has_decimal_comma(values))
    blank = blank_values(values).to_numpy()
    bad_arr = ~blank & parsed_num.isna().to_numpy()
    _bad_values(
        values,
        bad_arr,
        col.name,
        col.required,
        "attendu un nombre",
        "nombre illisible",
        report,
        rej,
        labels,
    )
    if col.kind != "integer":
        return parsed_num, blank
    frac = parsed_num.notna() & (parsed_num != parsed_num.round())
    if frac.any():
        _bad_values(
            values,
            frac.to_numpy(),
            col.name,
            col.required,
            "attendu un entier",
            "entier attendu",
            report,
            rej,
            labels,
        )
        parsed_num = parsed_num.where(~frac)
    return parsed_num.round().astype("Int64"), blank


def _reject_blank_required(
    blank_req: np.ndarray, col: Column, report: LayerReport, rej: Rejections, labels: Labels
) -> None:
    if blank_req.any():
        pos = np.flatnonzero(blank_req)
        msg = f"{col.name} vide (valeur obligatoire)"
        reject_rows(report, rej, labels, pos, [msg] * len(pos), "valeur obligatoire vide", col.name)


def _gravite_in_range(gravite: pd.Series, report: LayerReport, labels: Labels) -> pd.Series:
    """Gravité outside 1–3 is emptied, with a warning naming the row."""
    out_of_range = gravite.notna() & ~gravite.isin([1, 2, 3])
    if not out_of_range.any():
        return gravite
    for p in np.flatnonzero(out_of_range.to_numpy()):
        report.add(
            "avertissement",
            f"gravite {gravite.iloc[p]} hors de l'échelle 1–3 : vidée",
            row=labels[p],
            column="gravite",
            kind="gravité hors échelle",
        )
    return gravite.where(~out_of_range)


def clean_text(values: pd.Series, *, strip: bool = True) -> pd.Series:
    """Text with blanks as missing values and, unless ``strip`` is false, no surrounding spaces."""
    if not pd.api.types.is_string_dtype(values) or values.dtype == object:
        values = values.astype("string")
    text = values.str.strip() if strip else values
    blank = text == "" if strip else (text == "") | text.str.isspace()
    return text.where(~blank) if blank.any() else text


def _bad_values(
    values: pd.Series,
    bad: np.ndarray,
    name: str,
    required: bool,
    expected: str,
    kind: str,
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
) -> None:
    if not bad.any():
        return
    pos = np.flatnonzero(bad)
    msgs = [f"{name} illisible : {values.iloc[p]!r} ({expected})" for p in pos]
    if required:
        reject_rows(report, rej, labels, pos, msgs, kind, name)
    else:
        msgs = [m + " — valeur facultative vidée, ligne conservée" for m in msgs]
        list_issues(report, "avertissement", pos, msgs, labels, kind, name)
