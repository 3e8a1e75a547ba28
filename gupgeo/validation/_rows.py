"""What every rule of :mod:`gupgeo.validation.layer` shares: where a row is in its source,
the rows to reject with their reasons, the problems listed row by row, and the
parsing of numbers as a French file writes them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gupgeo.readers.raw import RawLayer
from gupgeo.validation.report import LayerReport

PREFETCH_ROWS = 100_000
"""From this many rows, the identifier check starts early on another core."""


class Labels:
    """Where rows are in their source, computed only for the rows a message names."""

    def __init__(self, raw: RawLayer) -> None:
        self._raw = raw

    def __getitem__(self, position: int | np.integer) -> str:
        return self._raw.label(int(position))


class Rejections:
    """Row positions to reject, each with one or more reasons."""

    def __init__(self, n: int) -> None:
        self.mask = np.zeros(n, dtype=bool)
        self.reasons: dict[int, list[str]] = {}

    def add(self, positions: np.ndarray, messages: list[str]) -> None:
        for pos, msg in zip(positions.tolist(), messages, strict=True):
            self.mask[pos] = True
            self.reasons.setdefault(pos, []).append(msg)


def list_issues(
    report: LayerReport,
    severity: str,
    positions: np.ndarray,
    messages: list[str],
    labels: Labels,
    kind: str,
    column: str | None = None,
) -> None:
    for p, msg in zip(positions.tolist(), messages, strict=True):
        report.add(severity, msg, row=labels[p], column=column, kind=kind)  # type: ignore[arg-type]


def reject_rows(
    report: LayerReport,
    rej: Rejections,
    labels: Labels,
    positions: np.ndarray,
    messages: list[str],
    kind: str,
    column: str | None = None,
) -> None:
    """Reject the rows at ``positions``, each for its message, and list them in the report."""
    rej.add(positions, messages)
    list_issues(report, "rejet", positions, messages, labels, kind, column)


def to_float(values: pd.Series, decimal_comma: bool) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip()
    if decimal_comma:
        text = text.str.replace(",", ".", regex=False)
    elif values.dtype == object:
        # A spreadsheet column mixing numbers and French text numbers ("0,69").
        french = text.str.fullmatch(r"[-+]?\d+,\d+").fillna(False)
        if french.any():
            text = text.where(~french, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce").astype("float64")


def has_decimal_comma(values: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(values):
        return False
    sample = values.dropna().astype("string").head(200)
    return bool(sample.str.fullmatch(r"-?\d+,\d+").any())


def blank_values(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.isna()
    return values.isna() | (values.astype("string").str.strip() == "")
