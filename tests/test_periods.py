"""Reporting periods: parsing, predecessors, splitting by frequency."""

from __future__ import annotations

import pandas as pd
import pytest

from gupgeo.indicators import Period, PeriodError, parse_freq, parse_period


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2024", "2024", "2024-01-01", "2025-01-01"),
        (2023, "2023", "2023-01-01", "2024-01-01"),
        ("2024-Q2", "2024-T2", "2024-04-01", "2024-07-01"),
        ("2024-T4", "2024-T4", "2024-10-01", "2025-01-01"),
        ("T1 2024", "2024-T1", "2024-01-01", "2024-04-01"),
        ("2024q3", "2024-T3", "2024-07-01", "2024-10-01"),
        ("2024-03", "2024-03", "2024-03-01", "2024-04-01"),
        ("2024-02", "2024-02", "2024-02-01", "2024-03-01"),
        ("2024-01-15/2024-06-30", "2024-01-15/2024-06-30", "2024-01-15", "2024-07-01"),
        ("15/01/2024..30/06/2024", "2024-01-15/2024-06-30", "2024-01-15", "2024-07-01"),
        ("du 15/01/2024 au 30/06/2024", "2024-01-15/2024-06-30", "2024-01-15", "2024-07-01"),
        (("2024-01-15", "2024-06-30"), "2024-01-15/2024-06-30", "2024-01-15", "2024-07-01"),
    ],
)
def test_parse_period(text: object, label: str, start: str, end: str) -> None:
    p = parse_period(text)
    assert (p.label, p.start, p.end) == (label, pd.Timestamp(start), pd.Timestamp(end))


def test_previous_periods() -> None:
    assert parse_period("2024").previous().label == "2023"
    assert parse_period("2024-T1").previous().label == "2023-T4"
    assert parse_period("2024-03").previous().label == "2024-02"
    assert parse_period("2024-01").previous().label == "2023-12"
    custom = parse_period(("2024-01-15", "2024-01-31"))  # 17 days
    assert custom.previous().label == "2023-12-29/2024-01-14"
    assert custom.previous().days == custom.days == 17


def test_split_by_frequency() -> None:
    year = parse_period("2024")
    assert [p.label for p in year.split("quarter")] == ["2024-T1", "2024-T2", "2024-T3", "2024-T4"]
    months = year.split("mois")
    assert len(months) == 12 and months[1].label == "2024-02"
    assert year.split("year") == (year,)
    assert parse_period("2024-03").split("year") == (parse_period("2024-03"),)
    clipped = parse_period(("2024-01-15", "2024-03-10")).split("month")
    assert [p.label for p in clipped] == [
        "2024-01-15/2024-01-31",
        "2024-02",
        "2024-03-01/2024-03-10",
    ]
    three_years = parse_period(("2022-01-01", "2024-12-31")).split("month")
    assert len(three_years) == 36


@pytest.mark.parametrize(
    "bad", ["2024-13", "24", "2024-Q5", "demain", ("2024-05-01", "2024-04-01")]
)
def test_bad_periods_say_what_is_expected(bad: object) -> None:
    with pytest.raises(PeriodError, match=r"attendu|précéder"):
        parse_period(bad)


def test_frequencies() -> None:
    assert parse_freq("Mois") == "month"
    assert parse_freq("trimestre") == "quarter"
    assert parse_freq("année") == "year"
    with pytest.raises(PeriodError, match="'month'"):
        parse_freq("semaine")


def test_bounds_must_be_midnights() -> None:
    with pytest.raises(PeriodError, match="minuit"):
        Period(pd.Timestamp("2024-01-01 12:00"), pd.Timestamp("2024-02-01"), "x")
