"""Exports of a :class:`~gupgeo.dashboard.Dashboard`: CSV, XLSX and a tidy long table.

:func:`export_dashboard` writes them all (and the charts of
:mod:`gupgeo.dashboard.charts`) into one folder.

- CSV: one file per table (``<table>.csv``) and per series
  (``<table>_par_mois.csv``…), plus ``indicateurs_long.csv``; the French option uses
  ``;``, a decimal comma and UTF-8 with BOM so Excel opens it right. The tables are
  rounded for reading, by unit (:func:`gupgeo.french.csv_decimals`: counts 0
  decimals, % and days 1, rates and euros 2); ``indicateurs_long.csv`` keeps the raw
  values, written with the shortest exact representation, so reading it back gives
  the same values.
- XLSX: one sheet per table and per series with French headers, and a
  "sources et méthode" sheet (period, sources, coverage of each dated layer, method
  notes, reconciliation, definitions of every column).
- Long table: ``code_qp, indicateur, periode, valeur, unite`` where ``indicateur``
  is ``<table>.<column>``; :func:`tables_from_long` turns it back into the tables.

Spreadsheet safety: in every CSV and in the XLSX, text starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return (a quartier, category, theme or bailleur
name, headers included) is written as text, never as a formula (XLSX: text cell;
CSV: prefixed with ``'``), see :mod:`gupgeo._spreadsheet`. ``indicateurs_long.csv``
alone keeps raw values: it is the machine-read export (BI tools,
:func:`read_long_csv`); its only free text is ``code_qp``, the other columns are
written by gupgeo (``indicateur`` always starts with a table name). The
"sources et méthode" sheet and ``sources_et_methode.txt`` say so.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from gupgeo import _atomic, _spreadsheet
from gupgeo._spreadsheet import NEUTRALISED_NOTE, Worksheet
from gupgeo._xlsx import Column, column_letter
from gupgeo.coverage import STATUS_WORDS, coverage_lines
from gupgeo.french import csv_decimals, format_count, format_csv_number, format_date
from gupgeo.indicators.catalog import TABLE_INFO, column_label, column_unit
from gupgeo.periods import FREQ_LABELS
from gupgeo.publication import SECRET_LABEL

if TYPE_CHECKING:
    from gupgeo.dashboard.model import Dashboard

logger = logging.getLogger(__name__)

LONG_COLUMNS: tuple[str, ...] = ("code_qp", "indicateur", "periode", "valeur", "unite")
METHOD_SHEET = "sources et méthode"
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
_FREQ_FILE = {"month": "mois", "quarter": "trimestre", "year": "annee"}
_KEYS = ("code_qp", "nom_qp", "periode")


def _melt(table: str, frame: pd.DataFrame, periodes: np.ndarray) -> pd.DataFrame:
    codes = np.asarray(frame.index.get_level_values("code_qp"), dtype=object)
    n_rows, n_cols = frame.shape
    columns = [str(c) for c in frame.columns]
    return pd.DataFrame(
        {
            "code_qp": np.repeat(codes, n_cols),
            "indicateur": np.tile(np.array([f"{table}.{c}" for c in columns], object), n_rows),
            "periode": np.repeat(periodes, n_cols),
            "valeur": frame.to_numpy(dtype="float64", na_value=np.nan).reshape(-1),
            "unite": np.tile(np.array([column_unit(table, c) for c in columns], object), n_rows),
        }
    )


def long_table(db: Dashboard) -> pd.DataFrame:
    """The dashboard as one tidy table (whole period, then each sub-period of the series).

    Examples
    --------
    >>> import pandas as pd
    >>> from gupgeo.dashboard.model import build_dashboard
    >>> q = pd.DataFrame({"code_qp": ["QP-A"], "population": [2000]})
    >>> a = pd.DataFrame({"id": ["a1"], "code_qp": ["QP-A"], "theme": ["Propreté"],
    ...                   "date": pd.to_datetime(["2024-03-01"])})
    >>> db = build_dashboard({"quartiers": q, "actions": a}, period="2024", freq="year")
    >>> long_table(db).iloc[0].to_dict()
    {'code_qp': 'QP-A', 'indicateur': 'actions.nb_actions', 'periode': '2024', 'valeur': 1.0,
     'unite': 'nombre'}
    """
    pieces = [_melt(name, frame, periodes) for name, frame, periodes in _long_pieces(db)]
    if not pieces:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in LONG_COLUMNS})
    out = pd.concat(pieces, ignore_index=True)
    for col in ("code_qp", "indicateur", "periode", "unite"):
        out[col] = out[col].astype("str")
    return out


def tables_from_long(long: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rebuild the tables from a long table: name → frame indexed by (code_qp, periode).

    Rows and columns keep their order of first appearance; values are floats.
    """
    missing = [c for c in LONG_COLUMNS if c not in long.columns]
    if missing:
        from gupgeo.errors import SchemaError

        raise SchemaError(f"table longue : colonnes {missing} absentes ; attendu {LONG_COLUMNS}")
    parts = long["indicateur"].astype("str").str.split(".", n=1, expand=True)
    work = long.assign(_table=parts[0], _col=parts[1], code_qp=long["code_qp"].astype("str"))
    work = work.assign(periode=work["periode"].astype("str"))
    out: dict[str, pd.DataFrame] = {}
    for table, group in work.groupby("_table", sort=False):
        wide = group.pivot(index=["code_qp", "periode"], columns="_col", values="valeur")
        rows = pd.MultiIndex.from_frame(
            group[["code_qp", "periode"]].drop_duplicates(), names=["code_qp", "periode"]
        )
        cols = pd.unique(group["_col"])
        wide = wide.reindex(index=rows, columns=cols)
        wide.columns.name = None
        out[str(table)] = wide.astype("float64")
    return out


def _number_formatter(french: bool) -> Callable[[object], str]:
    def fmt(value: object) -> str:
        text = repr(float(cast(float, value)))
        if text.endswith(".0"):
            text = text[:-2]
        return text.replace(".", ",") if french else text

    return fmt


def _csv(frame: pd.DataFrame, path: Path, *, french: bool, raw: bool = False) -> Path:
    """Write a CSV; ``raw`` (the long table): text as is and numbers exact."""
    return _spreadsheet.write_csv(
        frame,
        path,
        raw=raw,
        sep=";" if french else ",",
        encoding="utf-8-sig" if french else "utf-8",
        float_format=_number_formatter(french)
        if raw
        else partial(format_csv_number, french=french),
        lineterminator="\n",
    )


def _rounded(table: str, flat: pd.DataFrame) -> pd.DataFrame:
    """The numbers of a wide table rounded for display, by the unit of each column."""
    out = flat.copy()
    for column in flat.columns:
        if column in _KEYS or not pd.api.types.is_float_dtype(flat[column]):
            continue
        out[column] = flat[column].round(csv_decimals(column_unit(table, str(column))))
    return out


def _with_names(db: Dashboard, frame: pd.DataFrame) -> pd.DataFrame:
    flat = frame.reset_index()
    flat.insert(1, "nom_qp", flat["code_qp"].map(db.names))
    return flat


def _secret_cells(
    db: Dashboard, name: str, flat: pd.DataFrame, *, french: bool | None, series: bool = False
) -> pd.DataFrame:
    """``flat`` with « secret » where statistical secrecy hid a cell (public); numbers
    of those columns formatted here (``french=None``: kept as numbers, for the XLSX)."""
    mask = db.secret_mask(name, series=series)
    if mask is None or not bool(mask.to_numpy().any()):
        return flat
    out = flat.copy()
    hidden = mask.reset_index(drop=True)
    for column in hidden.columns:
        where = hidden[column].to_numpy(dtype=bool)
        if column not in out.columns or not where.any():
            continue
        values = out[column].tolist()
        out[column] = [
            SECRET_LABEL if hide else (v if french is None else format_csv_number(v, french=french))
            for v, hide in zip(values, where, strict=True)
        ]
    return out


def write_csv(db: Dashboard, out_dir: Path, *, french: bool = True) -> list[Path]:
    """Write every table, every series and the long table as CSV into ``out_dir``.

    Tables and series are rounded for display by unit; formula-like text is
    neutralised in every file but ``indicateurs_long.csv``, which keeps raw values
    (see the module docstring).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in db.tables.items():
        flat = _secret_cells(db, name, _rounded(name, _with_names(db, frame)), french=french)
        written.append(_csv(flat, out_dir / f"{name}.csv", french=french))
    suffix = _FREQ_FILE[db.freq]
    for name, frame in db.series.items():
        path = out_dir / f"{name}_par_{suffix}.csv"
        flat = _rounded(name, _with_names(db, frame))
        flat = _secret_cells(db, name, flat, french=french, series=True)
        written.append(_csv(flat, path, french=french))
    written.append(_long_csv(db, out_dir / "indicateurs_long.csv", french=french))
    method = out_dir / "sources_et_methode.txt"
    written.append(_atomic.write_text(method, "\n".join(_method_lines(db)) + "\n"))
    return written


def _long_pieces(db: Dashboard) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    """Each table and series of the long table with the ``periode`` of its rows."""
    pieces = []
    for name, frame in db.tables.items():
        pieces.append((name, frame, np.full(len(frame), db.period.label, dtype=object)))
    for name, frame in db.series.items():
        periodes = np.asarray(frame.index.get_level_values("periode"), dtype=object)
        pieces.append((name, frame, periodes))
    return pieces


def _long_csv(db: Dashboard, path: Path, *, french: bool) -> Path:
    """``indicateurs_long.csv`` joined straight from the tables: the bytes of
    :func:`long_table` through :func:`_csv` (raw), without building the long frame."""
    sep = ";" if french else ","
    blocks = []
    for table, frame, periodes in _long_pieces(db):
        columns = [str(c) for c in frame.columns]
        blocks.append(
            (
                [_text(c) for c in frame.index.get_level_values("code_qp")],
                [f"{table}.{c}" for c in columns],
                [_text(p) for p in periodes],
                frame.to_numpy(dtype="float64", na_value=np.nan).tolist(),
                [column_unit(table, c) for c in columns],
            )
        )
    texts = {t for c, n, p, _, u in blocks for t in (*c, *n, *p, *u)}
    # as pandas' to_csv: a CR in a cell ends lines with CRLF so that the cell is quoted
    end = "\r\n" if any("\r" in t for t in texts) else "\n"
    field = _csv_fields(texts, sep, end)
    with (
        _atomic.replacing(path) as tmp,
        tmp.open("w", encoding="utf-8-sig" if french else "utf-8", newline="") as out,
    ):
        out.write(sep.join(LONG_COLUMNS) + end)
        for codes, names, labels, values, units in blocks:
            left = [field[c] for c in codes]
            middle = [f"{sep}{field[n]}{sep}" for n in names]
            right = [f"{field[p]}{sep}" for p in labels]
            tail = [f"{sep}{field[u]}{end}" for u in units]
            out.write(
                "".join(
                    f"{lft}{mid}{rgt}{_long_number(v, french)}{tl}"
                    for lft, rgt, row in zip(left, right, values, strict=True)
                    for mid, v, tl in zip(middle, row, tail, strict=True)
                )
            )
    return path


def _long_number(value: float, french: bool) -> str:
    """A value of the long table: shortest exact text, empty when missing."""
    if value != value:
        return ""
    text = repr(value).removesuffix(".0")
    return text.replace(".", ",") if french else text


def _csv_fields(texts: set[str], sep: str, end: str) -> dict[str, str]:
    """Each text as a CSV field, quoted as Python's csv module (and pandas) quote it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=end)
    out = {}
    for text in texts:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow((text, ""))
        out[text] = buffer.getvalue()[: -len(sep) - len(end)]
    return out


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def read_long_csv(path: str | Path, *, french: bool = True) -> pd.DataFrame:
    """Read back ``indicateurs_long.csv`` with the types of :func:`long_table`."""
    frame = pd.read_csv(
        path,
        sep=";" if french else ",",
        decimal="," if french else ".",
        encoding="utf-8-sig" if french else "utf-8",
        dtype={"code_qp": "str", "indicateur": "str", "periode": "str", "unite": "str"},
        keep_default_na=False,
        na_values={"valeur": [""]},
    )
    frame["valeur"] = frame["valeur"].astype("float64")
    return frame


def _method_lines(db: Dashboard) -> list[str]:
    p = db.period
    last = (p.end - pd.Timedelta(days=1)).date()
    lines = [
        f"Tableau de bord GUP — période {p.label} (du {p.start.date():%d/%m/%Y} au "
        f"{last:%d/%m/%Y}), séries par {FREQ_LABELS[db.freq]}",
        f"Généré le {datetime.now():%d/%m/%Y %H:%M}",
        "",
        "Sources :",
    ]
    for row in _records(db.sources):
        n_in = row["lignes_dans_la_periode"]
        in_period = "" if pd.isna(n_in) else f", {_count_text(db, n_in)} dans la période"
        prov = f" — {row['provenance']}" if row["provenance"] else ""
        lines.append(
            f"- {row['couche']} : {_count_text(db, row['lignes'])} lignes{in_period}{prov}"
        )
    lines += ["", f"Couverture des données (période {p.label}) :"]
    lines += [f"- {line}" for line in coverage_lines(db.coverages.values(), p)]
    lines += ["", "Méthode et remarques :", *[f"- {n}" for n in db.notes]]
    lines += ["", "Fichiers tableurs :", f"- {NEUTRALISED_NOTE}"]
    return lines


def _count_text(db: Dashboard, value: object) -> str:
    """A count of the method notes: « secret » below the threshold in public."""
    number = int(cast(int, value))
    if db.secret_threshold is not None and 1 <= number < db.secret_threshold:
        return SECRET_LABEL
    return format_count(number)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _sheet_name(title: str, used: set[str]) -> str:
    base = title.translate(_SHEET_FORBIDDEN)[:31]
    name, i = base, 2
    while name.lower() in used:
        tail = f" {i}"
        name, i = base[: 31 - len(tail)] + tail, i + 1
    used.add(name.lower())
    return name


def _excel_format(unit: str) -> str:
    return {
        "nombre": "#,##0",
        "€": '#,##0" €"',
        "%": "0.0",
        "jours": "0.0",
        "pour 1 000 habitants": "0.00",
        "par hectare": "0.00",
        "logements": "#,##0",
        "€ par logement et par an": '#,##0.00" €"',
    }.get(unit, "General")


def write_xlsx(db: Dashboard, path: Path) -> Path:
    """Write the dashboard to ``path`` (one sheet per table and series + sources et méthode).

    Every cell is data: formula-like text is a text cell, never a formula. The parts are
    written straight from the tables (:func:`gupgeo._spreadsheet.write_sheets`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    sheets = []
    for name, frame in db.tables.items():
        title = _sheet_name(TABLE_INFO[name].title, used)
        sheets.append(_table_sheet(db, title, name, frame, series=False))
    label = FREQ_LABELS[db.freq]
    for name, frame in db.series.items():
        title = _sheet_name(f"{TABLE_INFO[name].series_title} par {label}", used)
        sheets.append(_table_sheet(db, title, name, frame, series=True))
    sheets.append(_method_sheet(_sheet_name(METHOD_SHEET, used), db))
    return _spreadsheet.write_sheets(sheets, path)


_HEADERS = {"code_qp": "Code QP", "nom_qp": "Quartier", "periode": "Période"}


def _table_sheet(
    db: Dashboard, title: str, table: str, frame: pd.DataFrame, *, series: bool
) -> Worksheet:
    """A table or a series as a sheet: keys, then one column per measure, in its format."""
    keys = ["code_qp", "nom_qp", "periode"] if series else ["code_qp", "nom_qp"]
    flat = _secret_cells(db, table, _with_names(db, frame), french=None, series=series)
    header = [_HEADERS.get(str(c), column_label(str(c))) for c in flat.columns]
    columns: list[Column] = []
    formats: list[str | None] = []
    widths: list[float | None] = []
    for position, col in enumerate(flat.columns):
        cells = _column_values(flat.iloc[:, position])
        columns.append(cells)
        width = max(len(str(header[position])), 8)
        if col in keys:
            width = max(width, *(len(str(v)) for v in cells)) if len(cells) else width
            formats.append(None)
        else:
            formats.append(_excel_format(column_unit(table, str(col))))
        widths.append(min(width + 2, 45))
    return Worksheet(
        title,
        columns,
        header=header,
        number_formats=formats,
        widths=widths,
        freeze=f"{column_letter(len(keys) + 1)}2",
    )


def _column_values(values: pd.Series) -> Column:
    """A column's cells: a NumPy array of numbers, or Python values (« secret » mixed in)."""
    if values.dtype.kind in "fiu":
        return values.to_numpy()
    return [_py(v) for v in values.astype(object).tolist()]


def _count_cell(db: Dashboard, value: object) -> object:
    """A count of the method sheet: « secret » below the threshold in public."""
    text = _count_text(db, value)
    return text if text == SECRET_LABEL else int(cast(int, value))


def _py(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _method_sheet(title: str, db: Dashboard) -> Worksheet:
    """Period, sources, coverage, notes, checks and definitions, one block under the other."""
    lines = _method_lines(db)
    rows: list[list[object]] = [[lines[0]], [lines[1]], []]
    bold = {1}

    def heading(text: str) -> None:
        rows.append([text])
        bold.add(len(rows))

    heading("Sources")
    rows.append(["Couche", "Lignes", "Lignes dans la période", "Provenance"])
    for row in _records(db.sources):
        n_in = row["lignes_dans_la_periode"]
        shown_in = None if pd.isna(n_in) else _count_cell(db, n_in)
        rows.append(
            [row["couche"], _count_cell(db, row["lignes"]), shown_in, row["provenance"] or None]
        )
    rows.append([])
    heading(f"Couverture des données (période {db.period.label})")
    rows.append(["Couche", "Première date", "Dernière date", "Origine", "Période"])
    for cov in _records(db.coverage):
        rows.append(
            [
                cov["couche"],
                format_date(cov["premiere_date"]),
                format_date(cov["derniere_date"]),
                cov["origine"],
                STATUS_WORDS[cov["couverture_periode"]],
            ]
        )
    rows.append([])
    heading("Méthode et remarques")
    rows += [[note] for note in db.notes]
    rows.append([])
    heading("Fichiers tableurs")
    rows += [[NEUTRALISED_NOTE], []]
    heading("Contrôle des totaux")
    rows += _checks_rows(db)
    rows.append([])
    heading("Définitions")
    rows.append(["Tableau", "Colonne", "Libellé", "Unité"])
    for name, frame in db.tables.items():
        for col in frame.columns:
            rows.append([name, str(col), column_label(str(col)), column_unit(name, str(col))])
    columns = [list(column) for column in zip_longest(*rows)]
    widths = (30, 34, 40, 18, 18, 8)
    return Worksheet(title, columns, widths=widths, bold_rows=frozenset(bold))


def _checks_rows(db: Dashboard) -> list[list[object]]:
    """The rows of the « Contrôle des totaux » block, under its heading."""
    rows: list[list[object]] = [
        ["Tableau", "Colonne", "Quartiers + hors QPV", "Total", "Lignes en entrée", "OK"]
    ]
    for r in _records(db.reconciliation()):
        expected = None if pd.isna(r["lignes_en_entree"]) else r["lignes_en_entree"]
        ok = "oui" if r["ok"] else "NON"
        rows.append(
            [r["tableau"], r["colonne"], r["quartiers_et_hors_qpv"], r["total"], expected, ok]
        )
    return rows


def export_dashboard(
    db: Dashboard,
    out_dir: str | Path,
    *,
    french: bool = True,
    charts: bool = True,
    chart_formats: Sequence[str] = ("svg",),
) -> list[Path]:
    """Write the CSVs, ``tableau_de_bord_<période>.xlsx`` and the charts into ``out_dir``.

    Charts are SVG (written from the data: they open in browsers, office suites and
    QGIS layouts, print sharp, and carry their title and text alternative); add
    ``"png"`` to ``chart_formats`` for software that takes only bitmaps (drawn by
    matplotlib in worker processes, several times slower).

    Examples
    --------
    >>> import gupgeo, tempfile
    >>> db = gupgeo.build_dashboard(gupgeo.load_territory("data/sample"), period="2024")
    >>> with tempfile.TemporaryDirectory() as out:
    ...     written = export_dashboard(db, out, charts=False)
    ...     sorted(p.suffix for p in written)[-1]
    '.xlsx'
    """
    from gupgeo.dashboard.charts import render_dashboard_charts

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = write_csv(db, out, french=french)
    safe = db.period.label.replace("/", "_")
    written.append(write_xlsx(db, out / f"tableau_de_bord_{safe}.xlsx"))
    if charts:
        written += render_dashboard_charts(db, out / "graphiques", formats=chart_formats)
    logger.info("tableau de bord %s : %d fichiers écrits dans %s", safe, len(written), out)
    return written
