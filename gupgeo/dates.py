"""Date parsing for the formats met in real files.

Accepted: ISO 8601 (``2024-03-05``, ``2024-03-05T10:15:00+01:00``), French
``dd/mm/yyyy`` (optionally with ``hh:mm[:ss]``), ``dd-mm-yyyy``, and Excel serial
day numbers (1900 date system). Values are parsed once per distinct value, so a
million rows spanning three years cost about a thousand parses.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

EXPECTED_DATE = "AAAA-MM-JJ, JJ/MM/AAAA ou numéro de série Excel"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_RANGE = (1.0, 109_574.0)  # 1900-01-01 .. 2199-12-31


def _parse_unique(values: pd.Series) -> pd.Series:
    """Parse distinct string values; return naive datetimes (NaT where unparseable)."""
    text = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    french = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    out = out.fillna(french)
    todo = out.isna() & text.notna() & (text != "")
    if todo.any():
        sub = text[todo]
        for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y", "%d.%m.%Y"):
            parsed = pd.to_datetime(sub, format=fmt, errors="coerce")
            out.loc[parsed.index] = out.loc[parsed.index].fillna(parsed)
            sub = sub[parsed.isna()]
            if sub.empty:
                break
        if not sub.empty:
            iso = sub[sub.str.match(r"^\d{4}-\d{2}-\d{2}")]
            aware = iso.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
            naive_iso = iso[~aware]
            if not naive_iso.empty:
                out.loc[naive_iso.index] = pd.to_datetime(
                    naive_iso, format="ISO8601", errors="coerce"
                ).astype("datetime64[ns]")
            aware_iso = iso[aware]
            if not aware_iso.empty:
                # Keep wall-clock time in France: convert to Paris time, then drop the zone.
                parsed_iso = pd.to_datetime(aware_iso, format="ISO8601", errors="coerce", utc=True)
                parsed_iso = parsed_iso.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
                out.loc[aware_iso.index] = parsed_iso.astype("datetime64[ns]")
            sub = sub[out.loc[sub.index].isna()]
        if not sub.empty:
            serial = pd.to_numeric(sub.str.replace(",", ".", regex=False), errors="coerce")
            ok = serial.between(*_EXCEL_RANGE)
            if ok.any():
                days = serial[ok].astype("float64")
                out.loc[days.index] = _EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
    return out


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column of dates in any accepted format.

    Returns
    -------
    parsed, bad
        ``parsed`` is ``datetime64[ns]`` (naive, French wall-clock time); ``bad`` is
        a boolean mask of non-blank values that could not be parsed.

    Examples
    --------
    >>> s = pd.Series(["05/03/2024", "2024-03-06", "45357", "31/02/2024", None])
    >>> parsed, bad = parse_dates(s)
    >>> [d.date().isoformat() if not pd.isna(d) else None for d in parsed]
    ['2024-03-05', '2024-03-06', '2024-03-06', None, None]
    >>> bad.tolist()
    [False, False, False, True, False]
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
        if getattr(values.dt, "tz", None) is not None:
            parsed = values.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
        parsed = parsed.astype("datetime64[ns]")
        return parsed, pd.Series(False, index=values.index)
    if pd.api.types.is_numeric_dtype(values):
        serial = values.astype("float64")
        ok = serial.between(*_EXCEL_RANGE)
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        parsed[ok] = _EXCEL_EPOCH + pd.to_timedelta(serial[ok], unit="D")
        return parsed, serial.notna() & ~ok
    if isinstance(values.dtype, pd.StringDtype) or (values.dtype == object and _all_text(values)):
        codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
        is_ts = None
    else:
        # Excel readers hand back datetime objects mixed with strings and numbers.
        as_obj = values.astype("object")
        is_ts = as_obj.map(lambda v: isinstance(v, pd.Timestamp | np.datetime64 | dt.datetime))
        codes, uniques = pd.factorize(
            as_obj.where(~is_ts, None).map(_to_text), use_na_sentinel=True
        )
    unique_text = pd.Series(np.asarray(uniques, dtype=object), dtype="object")
    parsed_uniques = _parse_unique(unique_text).to_numpy()
    result = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    has = codes >= 0
    result[has] = parsed_uniques[codes[has]]
    parsed = pd.Series(result, index=values.index)
    if is_ts is not None and is_ts.any():
        parsed[is_ts] = pd.to_datetime(as_obj[is_ts]).astype("datetime64[ns]")
    blank_codes = np.flatnonzero(unique_text.astype(str).str.strip().to_numpy() == "")
    blank = (codes < 0) | np.isin(codes, blank_codes)
    bad = pd.Series(
        (~blank) & np.isnat(result) & (is_ts is None or ~is_ts.to_numpy()), index=values.index
    )
    return parsed, bad


def _all_text(values: pd.Series) -> bool:
    sample = values.dropna().head(1000)
    return bool(sample.map(lambda v: isinstance(v, str)).all())


def _to_text(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
