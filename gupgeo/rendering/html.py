"""HTML reports shared by the atlas and the review: templates, French formats, tables.

Templates live in ``gupgeo/templates`` and are rendered by Jinja2 with autoescaping:
every value coming from data (names, recommendations, addresses) is escaped, never
trusted as HTML. Numbers are French-formatted (narrow no-break space for thousands,
decimal comma) and every numeric cell keeps its raw value in ``data-value`` so tables
sort correctly and tests can compare them with the dashboard.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd

from gupgeo.french import NNBSP, format_number, is_missing
from gupgeo.french import format_date as _format_date

if TYPE_CHECKING:
    from gupgeo.dashboard.chart_data import ChartData

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
MISSING = "n.c."
"""How a value that cannot be computed reads in a table (non calculable)."""


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of gupgeo's templates (autoescaped, strict undefined)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["nombre"] = format_number
    env.filters["date_fr"] = format_date
    return env


def render(template: str, **context: Any) -> str:
    """Render one template of ``gupgeo/templates`` with ``context``."""
    return environment().get_template(template).render(**context)


def static_text(name: str) -> str:
    """A static file of ``gupgeo/templates`` (stylesheet, script) as text."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


def format_date(value: Any) -> str:
    """A date as ``jj/mm/aaaa`` (empty when missing), for tables."""
    return _format_date(value) or ""


def to_float(value: Any) -> float:
    """``value`` as a float; NaN when missing or not a number."""
    if is_missing(value):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


UNIT_DECIMALS = {
    "nombre": 0,
    "%": 1,
    "€": 0,
    "logements": 0,
    "m": 0,
    "pour 1 000 habitants": 1,
    "par mois": 1,
}


def format_value(value: Any, unit: str) -> str:
    """A value with its unit, French-formatted (``"12 %"``, ``"1 200 €"``, ``"9 j"``).

    Examples
    --------
    >>> format_value(9.0, "jours"), format_value(9.5, "jours"), format_value(12.345, "%")
    ('9\u202fj', '9,5\u202fj', '12,3\u202f%')
    """
    if is_missing(value):
        return MISSING
    if unit == "jours":
        decimals = 0 if float(value) == round(float(value)) else 1
    else:
        decimals = UNIT_DECIMALS.get(unit, 1)
    text = format_number(value, decimals)
    if unit == "%":
        return f"{text}{NNBSP}%"
    if unit == "jours":
        return f"{text}{NNBSP}j"
    if "€" in unit:
        return f"{text}{NNBSP}€"
    return text


def raw_value(value: Any) -> str:
    """The value written in ``data-value`` (empty when missing; numbers as Python repr)."""
    if is_missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(int(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number == int(number) else repr(number)
    return str(value)


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown, the value sorted on, and optional link."""

    text: str
    value: str = ""
    numeric: bool = False
    href: str | None = None
    indicator: str | None = None
    css: str = ""


@dataclass(frozen=True)
class Figure:
    """A key figure: label, French text shown, the raw value, the indicator it comes from
    (``table:column``) and an optional hint (why it is "n.c.", what it counts)."""

    label: str
    text: str
    value: str
    indicator: str
    hint: str = ""


@dataclass(frozen=True)
class Table:
    """A table ready for the ``table`` macro of ``_macros.html``."""

    caption: str
    headers: tuple[tuple[str, bool], ...]
    rows: tuple[tuple[Cell, ...], ...]
    foot: tuple[tuple[Cell, ...], ...] = ()
    note: str = ""
    sortable: bool = False
    css_id: str = ""
    empty: str = "Aucune donnée pour cette période."
    attrs: dict[str, str] = field(default_factory=dict)


def text_cell(value: Any, *, href: str | None = None) -> Cell:
    text = "" if is_missing(value) else str(value)
    return Cell(text=text, value=text, href=href)


def number_cell(value: Any, unit: str = "nombre", *, indicator: str | None = None) -> Cell:
    return Cell(
        text=format_value(value, unit), value=raw_value(value), numeric=True, indicator=indicator
    )


def date_cell(value: Any) -> Cell:
    if is_missing(value):
        return Cell(text="", value="")
    return Cell(text=format_date(value), value=f"{pd.Timestamp(value):%Y-%m-%d}")


def frame_table(
    frame: pd.DataFrame,
    *,
    caption: str,
    columns: Sequence[tuple[str, str, str]],
    note: str = "",
    sortable: bool = False,
    empty: str = "Aucune donnée pour cette période.",
) -> Table:
    """A :class:`Table` from ``frame``: ``columns`` lists (column, header, kind).

    ``kind`` is ``"texte"``, ``"date"`` or a unit of :func:`format_value`.
    """
    headers = tuple((header, kind not in ("texte", "date")) for _, header, kind in columns)
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for column, _, kind in columns:
            value = record.get(column)
            if kind == "texte":
                cells.append(text_cell(value))
            elif kind == "date":
                cells.append(date_cell(value))
            else:
                cells.append(number_cell(value, kind))
        rows.append(tuple(cells))
    return Table(
        caption=caption,
        headers=headers,
        rows=tuple(rows),
        note=note,
        sortable=sortable,
        empty=empty,
    )


def chart_table(data: ChartData) -> Table | None:
    """The values a chart draws, as the table printed under it (None when it draws none).

    Rows keep their whole names (the chart may shorten them); sub-periods read in words
    (``mars 2024``); a stacked chart gets a total column; sub-periods the data does not
    cover read ``n.c.`` and cells withheld by statistical secrecy ``secret``.
    """
    from gupgeo.periods import period_name

    values = data.values
    if values.empty:
        return None
    columns = [str(c) for c in values.columns]
    headers = [(data.row_header, False), *((c, True) for c in columns)]
    if data.stacked:
        headers.append(("Total", True))
    blank = data.blank or (False,) * len(values)
    rows = []
    for i, (label, record) in enumerate(zip(values.index, values.to_numpy(), strict=True)):
        cells = [Cell(period_name(str(label)), str(label))]
        for j, value in enumerate(record):
            if data.hidden is not None and bool(data.hidden.iat[i, j]):
                cells.append(Cell("secret", "", True, css="gg-secret"))
            else:
                cells.append(number_cell(math.nan if blank[i] else value, data.unit))
        if data.stacked and data.hidden is not None and bool(data.hidden.iloc[i].any()):
            cells.append(Cell("secret", "", True, css="gg-secret"))
        elif data.stacked:
            total = math.nan if blank[i] else float(np.nansum(record.astype(float)))
            cells.append(number_cell(total, data.unit))
        rows.append(tuple(cells))
    return Table(f"Données du graphique : {data.title}", tuple(headers), tuple(rows))


def svg_data_uri(svg: str) -> str:
    """An SVG document as a ``data:`` URI (for one-file reports)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def today() -> dt.date:
    return dt.date.today()


def join_fr(items: Iterable[str]) -> str:
    """``["a", "b", "c"]`` → ``"a, b et c"``."""
    values = [str(i) for i in items]
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " et " + values[-1]
