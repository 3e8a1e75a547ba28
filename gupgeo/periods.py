"""Reporting periods: parse ``"2024"``, ``"2024-T2"``, ``"2024-03"`` or a range; split by frequency.

A :class:`Period` is a half-open interval ``[start, end)`` of naive timestamps with a
French label (``"2024"``, ``"2024-T2"``, ``"2024-03"``, ``"2024-01-15/2024-06-30"``).
Calendar periods know their predecessor (2024-T2 → 2024-T1); an explicit range's
predecessor is the range of the same length just before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gupgeo.errors import PeriodError
from gupgeo.french import MONTHS

Freq = Literal["month", "quarter", "year"]
PeriodKind = Literal["month", "quarter", "year", "custom"]

FREQ_ALIASES: dict[str, Freq] = {
    "month": "month",
    "mois": "month",
    "m": "month",
    "mensuel": "month",
    "quarter": "quarter",
    "trimestre": "quarter",
    "q": "quarter",
    "t": "quarter",
    "trimestriel": "quarter",
    "year": "year",
    "annee": "year",
    "année": "year",
    "an": "year",
    "y": "year",
    "a": "year",
    "annuel": "year",
}
FREQ_LABELS: dict[str, str] = {"month": "mois", "quarter": "trimestre", "year": "année"}
_ORDER = {"month": 0, "quarter": 1, "year": 2}

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*[-_ ]?\s*[QT]([1-4])$", re.IGNORECASE)
_QUARTER_FIRST = re.compile(r"^[QT]([1-4])\s*[-_ ]?\s*(\d{4})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_RANGE_WORDS = re.compile(r"^(?:du\s+)?(\S+)\s+(?:au|à)\s+(\S+)$", re.IGNORECASE)
_ONE_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A half-open interval ``[start, end)`` with a French label.

    Examples
    --------
    >>> p = parse_period("2024-Q2")
    >>> p.label, str(p.start.date()), str(p.end.date())
    ('2024-T2', '2024-04-01', '2024-07-01')
    >>> p.previous().label
    '2024-T1'
    >>> [q.label for q in parse_period("2024").split("quarter")]
    ['2024-T1', '2024-T2', '2024-T3', '2024-T4']
    """

    start: pd.Timestamp
    end: pd.Timestamp
    label: str
    kind: PeriodKind = "custom"

    def __post_init__(self) -> None:
        for bound in (self.start, self.end):
            if bound != bound.normalize():
                raise PeriodError(
                    f"période {self.label!r} : les bornes doivent être des dates à minuit ; "
                    f"reçu {bound}"
                )
        if not self.start < self.end:
            raise PeriodError(
                f"période {self.label!r} : la date de début ({self.start.date()}) doit "
                f"précéder la date de fin ({self.end.date()})"
            )

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> float:
        """Length of the period in days."""
        return (self.end - self.start) / _ONE_DAY

    @property
    def start_ns(self) -> int:
        return int(self.start.as_unit("ns").value)

    @property
    def end_ns(self) -> int:
        return int(self.end.as_unit("ns").value)

    def previous(self) -> Period:
        """The period just before: previous calendar unit, or same length for a range."""
        if self.kind != "custom":
            return _calendar(self.kind, self.start - _ONE_DAY)
        length = self.end - self.start
        return _custom(self.start - length, self.start)

    def split(self, freq: str) -> tuple[Period, ...]:
        """Cut the period into calendar months, quarters or years (clipped at its bounds)."""
        unit = parse_freq(freq)
        out: list[Period] = []
        t = self.start
        while t < self.end:
            cal = _calendar(unit, t)
            start, end = max(cal.start, self.start), min(cal.end, self.end)
            if (start, end) == (cal.start, cal.end):
                out.append(cal)
            elif (start, end) == (self.start, self.end):
                out.append(self)
            else:
                out.append(_custom(start, end))
            t = end
        return tuple(out)


def parse_freq(freq: str) -> Freq:
    """Normalise a frequency (``month``/``mois``, ``quarter``/``trimestre``, ``year``/``année``).

    Examples
    --------
    >>> parse_freq("Trimestre")
    'quarter'
    """
    key = str(freq).strip().lower()
    if key not in FREQ_ALIASES:
        raise PeriodError(
            f"fréquence {freq!r} inconnue ; attendu 'month' (mois), 'quarter' (trimestre) "
            "ou 'year' (année)"
        )
    return FREQ_ALIASES[key]


def parse_period(period: object) -> Period:
    """Read a period: ``2024``, ``"2024-Q2"``/``"2024-T2"``, ``"2024-03"``, or a range.

    A range is a pair ``(start, end)`` or a string ``"start/end"``, ``"start..end"`` or
    ``"du start au end"``; both dates are inclusive and may be ISO (``2024-01-15``) or
    French (``15/01/2024``).

    Examples
    --------
    >>> parse_period(2023).label
    '2023'
    >>> parse_period("2024-03").previous().label
    '2024-02'
    >>> r = parse_period(("15/01/2024", "2024-01-31"))
    >>> r.label, r.previous().label
    ('2024-01-15/2024-01-31', '2023-12-29/2024-01-14')
    """
    if isinstance(period, Period):
        return period
    if isinstance(period, (int, np.integer)) and not isinstance(period, bool):
        return _calendar("year", pd.Timestamp(int(period), 1, 1))
    if isinstance(period, (tuple, list)) and len(period) == 2:
        start, end = (_parse_date(v, period) for v in period)
        return _custom(start, end + _ONE_DAY)
    if not isinstance(period, str):
        raise PeriodError(_bad_period(period))
    text = period.strip()
    if m := _YEAR.match(text):
        return _calendar("year", pd.Timestamp(int(m[1]), 1, 1))
    if m := _QUARTER.match(text):
        return _calendar("quarter", pd.Timestamp(int(m[1]), 3 * int(m[2]) - 2, 1))
    if m := _QUARTER_FIRST.match(text):
        return _calendar("quarter", pd.Timestamp(int(m[2]), 3 * int(m[1]) - 2, 1))
    if m := _MONTH.match(text):
        if not 1 <= int(m[2]) <= 12:
            raise PeriodError(_bad_period(period))
        return _calendar("month", pd.Timestamp(int(m[1]), int(m[2]), 1))
    parts = _split_range(text)
    if parts is not None:
        return parse_period(parts)
    raise PeriodError(_bad_period(period))


def _split_range(text: str) -> tuple[str, str] | None:
    if m := _RANGE_WORDS.match(text):
        return m[1].strip(), m[2].strip()
    if ".." in text:
        a, b = text.split("..", 1)
        return a.strip(), b.strip()
    if text.count("/") == 1:
        a, b = text.split("/")
        return a.strip(), b.strip()
    if text.count("/") == 5:  # 15/01/2024/30/06/2024
        bits = text.split("/")
        return "/".join(bits[:3]), "/".join(bits[3:])
    return None


def _parse_date(value: object, whole: object) -> pd.Timestamp:
    try:
        if isinstance(value, str) and (m := _FRENCH_DATE.match(value.strip())):
            ts = pd.Timestamp(int(m[3]), int(m[2]), int(m[1]))
        else:
            ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise PeriodError(_bad_period(whole)) from exc
    if ts is pd.NaT or pd.isna(ts):
        raise PeriodError(_bad_period(whole))
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize().as_unit("ns")


def _bad_period(value: object) -> str:
    return (
        f"période {value!r} non comprise ; attendu une année ('2024'), un trimestre "
        "('2024-T2' ou '2024-Q2'), un mois ('2024-03') ou un intervalle de dates incluses "
        "('2024-01-15/2024-06-30', '15/01/2024..30/06/2024' ou un couple (début, fin))"
    )


def _calendar(kind: str, ts: pd.Timestamp) -> Period:
    y, m = ts.year, ts.month
    if kind == "year":
        return Period(pd.Timestamp(y, 1, 1), pd.Timestamp(y + 1, 1, 1), f"{y}", "year")
    if kind == "quarter":
        q = (m - 1) // 3 + 1
        start = pd.Timestamp(y, 3 * q - 2, 1)
        return Period(start, start + pd.DateOffset(months=3), f"{y}-T{q}", "quarter")
    if kind == "month":
        start = pd.Timestamp(y, m, 1)
        return Period(start, start + pd.DateOffset(months=1), f"{y}-{m:02d}", "month")
    raise PeriodError(f"type de période {kind!r} inconnu")


def _custom(start: pd.Timestamp, end: pd.Timestamp) -> Period:
    label = f"{start.date().isoformat()}/{(end - _ONE_DAY).date().isoformat()}"
    return Period(start.as_unit("ns"), end.as_unit("ns"), label, "custom")


_MONTH_LABEL = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_LABEL = re.compile(r"^(\d{4})-T([1-4])$")


def period_name(label: str) -> str:
    """A sub-period label in words: ``"2024-03"`` → ``"mars 2024"``, ``"2024-T2"`` →
    ``"T2 2024"``; other labels unchanged.

    Examples
    --------
    >>> period_name("2024-03"), period_name("2024-T2"), period_name("2024")
    ('mars 2024', 'T2 2024', '2024')
    """
    if m := _MONTH_LABEL.match(label):
        return f"{MONTHS[int(m[2]) - 1]} {m[1]}"
    if m := _QUARTER_LABEL.match(label):
        return f"T{m[2]} {m[1]}"
    return label


def span_words(labels: list[str]) -> str:
    """The sub-periods of a series in words: ``janvier–décembre 2024``, ``T1 2023–T4 2024``.

    Examples
    --------
    >>> span_words(["2024-01", "2024-02", "2024-12"]), span_words(["2023-T1", "2024-T4"])
    ('janvier–décembre 2024', 'T1 2023–T4 2024')
    """
    if not labels:
        return ""
    first, last = period_name(labels[0]), period_name(labels[-1])
    if first == last:
        return first
    same_year = labels[0][:4] == labels[-1][:4] and bool(_MONTH_LABEL.match(labels[0]))
    if same_year:
        return f"{first.rsplit(' ', 1)[0]}–{last}"
    return f"{first}–{last}"
