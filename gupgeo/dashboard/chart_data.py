"""What each dashboard chart shows, as data and as words: its values and its text alternative.

Every chart of :mod:`gupgeo.dashboard.charts` is drawn from a :class:`ChartData` built
here, and the atlas and the review print the same object beside the image, so that a
reader who cannot see the chart (screen reader, colour vision, print in grey) has the
same information (RGAA 1.2 / WCAG 1.1.1):

- :attr:`ChartData.summary` — the image's text alternative: what the chart shows, for
  which period, and its key figures (total, highest and lowest sub-period, main
  categories…), in French;
- :attr:`ChartData.values` — the values drawn, one row per bar group (sub-period, axis,
  quartier) and one column per series, printed as a table under the chart.

Pure pandas: nothing here draws or imports matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from gupgeo.coverage import period_words
from gupgeo.french import format_number
from gupgeo.indicators.catalog import TABLE_INFO, column_label
from gupgeo.indicators.signalements import AGE_COLUMNS
from gupgeo.periods import FREQ_LABELS, period_name, span_words
from gupgeo.schemas import AXES_TFPB

if TYPE_CHECKING:
    from gupgeo.dashboard.model import Dashboard

OTHERS = "autres catégories"
TOP_CATEGORIES = 6
"""Categories drawn one by one on a series chart; the others are summed in :data:`OTHERS`."""
AGE_LABELS = ("≤ 4 semaines", "4 à 8 semaines", "plus de 8 semaines")
LABEL_MAX_CHARS = 40
"""Longest category or quartier name drawn on a chart: longer ones end with "…" (the
tables beside the chart carry the whole text)."""


@dataclass(frozen=True, eq=False)
class ChartData:
    """The values of one chart, its title and its text alternative.

    ``values`` is empty when no chart can be drawn; ``message`` then says why (and is
    drawn in the chart's place). ``blank`` flags rows the data does not cover (n.c.),
    ``hidden`` the cells withheld by statistical secrecy (``public`` profile).
    """

    title: str
    values: pd.DataFrame
    row_header: str
    summary: str
    unit: str = "nombre"
    message: str = ""
    blank: tuple[bool, ...] = ()
    hidden: pd.DataFrame | None = None
    stacked: bool = False
    names: dict[str, str] = field(default_factory=dict)
    """Full names of the rows or columns shortened on the chart (tables show them whole)."""


def short_label(text: object, max_chars: int = LABEL_MAX_CHARS) -> str:
    r"""A label that fits a chart, and that matplotlib draws as typed (no mathtext).

    Examples
    --------
    >>> short_label("Dépôts sauvages")
    'Dépôts sauvages'
    >>> short_label("x" * 50)[-3:], len(short_label("x" * 50))
    ('xx…', 40)
    >>> short_label("coût $5$") == r"coût \$5\$"
    True
    """
    value = str(text)
    if len(value) > max_chars:
        value = value[: max_chars - 1].rstrip() + "…"
    return value.replace("$", r"\$")


def number(value: float, unit: str = "nombre", *, decimals: int | None = None) -> str:
    """A figure of a summary, French-formatted, with its unit (decimals only if needed).

    Examples
    --------
    >>> number(1698.0), number(206.43), number(2000, "€"), number(6.0, decimals=1)
    ('1\u202f698', '206,4', '2\u202f000\u202f€', '6,0')
    """
    if unit == "€":
        return f"{format_number(value, 0)}\u202f€"
    if decimals is None:
        decimals = 0 if float(value) == round(float(value)) else 1
    return format_number(value, decimals)


def _name(db: Dashboard, code_qp: str) -> str:
    return str(db.names.get(code_qp, code_qp))


def check_zone(db: Dashboard, code_qp: str) -> None:
    """Raise a clear ``KeyError`` for a quartier the dashboard does not know."""
    if code_qp not in db.names:
        raise KeyError(f"quartier {code_qp!r} inconnu ; attendu l'un de : {', '.join(db.names)}")


def _rows(series: pd.DataFrame, code_qp: str) -> pd.DataFrame:
    """The sub-period rows of one zone of a stacked series, indexed by ``periode``."""
    try:  # the index's hash table: no pass over every row for each quartier
        return cast(pd.DataFrame, series.xs(code_qp, level="code_qp"))
    except KeyError:  # a zone without rows
        return series.iloc[:0].droplevel("code_qp")


def _uncovered(db: Dashboard, table: str) -> str:
    """The message of a chart whose period the data does not cover."""
    reason = db.missing_reason(table, "")
    return f"Non calculable (n.c.) : {reason}." if reason else "Non calculable (n.c.)."


def _empty(title: str, message: str, row_header: str = "Période") -> ChartData:
    return ChartData(title, pd.DataFrame(), row_header, f"{title} : {message}", message=message)


def _extremes(totals: pd.Series, at: str = "en") -> str:
    """``maximum 132 en mars 2024, minimum 41 en août 2024`` over the covered rows."""
    covered = totals.dropna()
    if len(covered) < 2:
        return ""
    high, low = int(np.argmax(covered.to_numpy())), int(np.argmin(covered.to_numpy()))
    return (
        f"maximum {number(covered.iloc[high])} {at} {period_name(str(covered.index[high]))}, "
        f"minimum {number(covered.iloc[low])} {at} {period_name(str(covered.index[low]))}"
    )


def _blank_words(blank: np.ndarray, db: Dashboard) -> str:
    n = int(blank.sum())
    if not n:
        return ""
    return f"{n} {FREQ_LABELS[db.freq]}(s) non couvert(s) par les données (n.c.)"


def series_by_category(db: Dashboard, code_qp: str, *, top: int = TOP_CATEGORIES) -> ChartData:
    """Signalements of a quartier per sub-period by category (top ``top`` + autres)."""
    check_zone(db, code_qp)
    title = f"Signalements par {FREQ_LABELS[db.freq]} et catégorie — {_name(db, code_qp)}"
    series = db.series.get("signalements_par_categorie")
    if series is None:
        table = db.tables.get("signalements_par_categorie")
        if table is None:
            return _empty(title, "pas de signalements dans ce territoire.")
        frame = table.loc[[code_qp]].set_axis([db.period.label])
    else:
        frame = _rows(series, code_qp)
    blank = frame.isna().all(axis=1).to_numpy()
    if blank.all():
        return _empty(title, _uncovered(db, "signalements_par_categorie"))
    totals = frame.sum(axis=0).sort_values(ascending=False, kind="stable")
    keep = [c for c in totals.index[:top] if totals[c] > 0]
    rest = [c for c in frame.columns if c not in keep]
    data = frame[keep].copy()
    others = frame[rest] if rest else None
    if others is not None and np.nansum(others.to_numpy(dtype=float)) > 0:
        data[OTHERS] = others.sum(axis=1, min_count=1)
    if np.nansum(data.to_numpy(dtype=float)) == 0:
        return _empty(title, "aucun signalement sur la période.")
    data.index = [str(i) for i in data.index]
    per_row = data.sum(axis=1, min_count=1).mask(blank)
    by_category = totals[keep].astype(float)
    main = ", ".join(f"{c} ({number(v)})" for c, v in by_category.head(3).items())
    parts = [
        f"{number(float(np.nansum(per_row)))} signalements",
        _extremes(per_row),
        f"catégories les plus fréquentes : {main}" if main else "",
        _blank_words(blank, db),
    ]
    summary = f"{title}, {span_words(list(data.index))} : " + " ; ".join(p for p in parts if p)
    return ChartData(
        title,
        data,
        FREQ_LABELS[db.freq].capitalize(),
        summary + ".",
        blank=tuple(blank),
        stacked=True,
    )


def backlog_age(db: Dashboard, code_qp: str) -> ChartData:
    """Open signalements of a quartier at the end of each sub-period, by age."""
    check_zone(db, code_qp)
    title = f"Stock de signalements ouverts par ancienneté — {_name(db, code_qp)}"
    table = db.series.get("signalements")
    if table is None and "signalements" in db.tables:
        frame = db.tables["signalements"].loc[[code_qp]].set_axis([db.period.label])
    elif table is not None:
        frame = _rows(table, code_qp)
    else:
        return _empty(title, "pas de signalements dans ce territoire.")
    ages = frame[list(AGE_COLUMNS)]
    blank = frame["nb_signalements"].isna().to_numpy()
    if blank.all():
        return _empty(title, _uncovered(db, "signalements"))
    if ages.isna().all().all():
        return _empty(title, "stock non calculable : la source n'a ni statut ni date de clôture.")
    values = ages.set_axis(list(AGE_LABELS), axis=1)
    values.index = [str(i) for i in values.index]
    stock = values.sum(axis=1, min_count=1).mask(blank)
    covered = stock.dropna()
    parts = []
    if len(covered):
        last = covered.index[-1]
        old = values.loc[last, AGE_LABELS[-1]]
        parts.append(
            f"en fin de {period_name(last)}, {number(covered[last])} ouverts dont "
            f"{number(0 if pd.isna(old) else old)} depuis plus de 8 semaines"
        )
    parts += [_extremes(stock, "en fin de"), _blank_words(blank, db)]
    summary = f"{title}, fin de chaque {FREQ_LABELS[db.freq]}, {span_words(list(values.index))} : "
    summary += " ; ".join(p for p in parts if p) + "."
    return ChartData(
        title,
        values,
        f"Fin de {FREQ_LABELS[db.freq]}",
        summary,
        blank=tuple(blank),
        stacked=True,
    )


def tfpb_axes(db: Dashboard, code_qp: str) -> ChartData:
    """TFPB amounts of a quartier along the 8 national axes (€)."""
    check_zone(db, code_qp)
    first, last = db.period.start.year, (db.period.end - pd.Timedelta(days=1)).year
    years = str(first) if first == last else f"{first}–{last}"
    title = f"TFPB {years} par axe national — {_name(db, code_qp)}"
    table = db.tables.get("tfpb_montant_par_axe")
    if table is None:
        return _empty(title, "pas de données TFPB dans ce territoire.", "Axe")
    row = table.loc[code_qp]
    axes = [a for a in table.columns if a in AXES_TFPB or row[a] > 0]
    amounts = row[axes].astype(float)
    values = pd.DataFrame({"Montant valorisé (€)": amounts.to_numpy()}, index=axes)
    parts = [f"{number(float(np.nansum(amounts)), '€')} au total"]
    if len(amounts) and amounts.max() > 0:
        top = int(np.nanargmax(amounts.to_numpy()))
        amount = number(float(amounts.to_numpy()[top]), "€")
        parts.append(f"montant le plus élevé : {amounts.index[top]} ({amount})")
    if zero := int(np.sum(amounts.fillna(0).to_numpy() == 0)):
        parts.append(f"{zero} axe(s) sans montant")
    summary = f"{title} : " + " ; ".join(parts) + "."
    return ChartData(title, values, "Axe national", summary, unit="€")


def quartiers_comparison(
    db: Dashboard, table: str = "signalements", column: str = "par_1000_habitants"
) -> ChartData:
    """One indicator compared across the quartiers, sorted from the highest."""
    frame = db.tables.get(table)
    label = column_label(column)
    if column in ("par_1000_habitants", "par_ha"):
        what = TABLE_INFO[table].title if table in TABLE_INFO else table
        label = f"{what} {label.lower()}"
    title = f"{label} par quartier, {period_words(db.period)}"
    if frame is None or column not in frame.columns:
        return _empty(title, "indicateur non disponible.", "Quartier")
    codes = list(db.quartiers)
    raw = frame.loc[codes, column].astype(float)
    values = pd.DataFrame({label: raw.to_numpy()}, index=[_name(db, c) for c in codes])
    values = values.sort_values(label, ascending=False, na_position="last", kind="stable")
    shown = values[label].dropna()
    decimals = 0 if bool(np.allclose(shown % 1, 0)) else 1
    parts = []
    if len(shown):
        high = number(float(shown.iloc[0]), decimals=decimals)
        parts.append(f"le plus élevé : {shown.index[0]} ({high})")
    if len(shown) > 1:
        low = number(float(shown.iloc[-1]), decimals=decimals)
        parts.append(f"le plus bas : {shown.index[-1]} ({low})")
    if missing := int(values[label].isna().sum()):
        parts.append(f"non calculable pour {missing} quartier(s)")
    summary = f"{title}, {len(values)} quartiers : " + " ; ".join(parts) + "."
    return ChartData(title, values, "Quartier", summary)


__all__ = [
    "AGE_LABELS",
    "OTHERS",
    "TOP_CATEGORIES",
    "ChartData",
    "backlog_age",
    "check_zone",
    "quartiers_comparison",
    "series_by_category",
    "short_label",
    "tfpb_axes",
]
