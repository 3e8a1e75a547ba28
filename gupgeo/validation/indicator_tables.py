"""Indicator tables: a non-spatial table keyed by ``code_qp`` joined onto the quartiers.

The national per-QPV files (population, logements, income deciles…) come without
geometry: they are not a second ``quartiers`` layer but columns of the quartiers. A
table is one when its file name starts with ``indicateurs`` (``indicateurs_qpv_2024.csv``)
or when the folder's ``gupgeo.toml`` gives it ``couche = "indicateurs"``, it has no
geometry and it has a quartier code column (``code_qp``, ``CODE_QP``, ``code_quartier``…).

:func:`join_indicators` joins it by code: numeric columns become columns of the
quartiers (a value the quartiers already hold is kept; the table fills the gaps), and
the join is accounted for in a :class:`~gupgeo.validation.report.LayerReport`: rows
read = rows kept (the table is never cut), quartiers matched, quartiers without a row,
codes of the table outside the territory (listed for the territory's départements), and
2015 codes (``QP037xxx``) told apart from 2024 codes (``QN037xxx``), which never match
each other.

Examples
--------
>>> import pandas as pd
>>> quartiers = pd.DataFrame({"code_qp": ["QN03701M", "QN03702M"], "nom_qp": ["A", "B"]})
>>> table = pd.DataFrame({"CODE_QP": ["QN03701M", "QN07501M"], "Population": ["1 234", "900"]})
>>> joined, report = join_indicators(quartiers, table, source="indicateurs.csv")
>>> joined["population"].tolist()
[1234.0, nan]
>>> report.rows_read, report.rows_kept, report.rows_rejected
(2, 2, 0)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from gupgeo.schemas import SCHEMAS, header_key, normalise_name
from gupgeo.validation.report import LayerReport

INDICATOR_LAYER = "indicateurs"
"""The name of an indicator table (file names, ``couche`` in ``gupgeo.toml``)."""
CODE_ALIASES = ("code_qp", "code_quartier", "codeqp", "code_qpv", "qp", "qpv")
"""Headers (normalised) that hold the quartier code of an indicator table."""
CODE_KEYS = frozenset(
    {
        "dep",
        "departement",
        "reg",
        "region",
        "com",
        "depcom",
        "id",
        "annee",
        "millesime",
        "insee_com",
    }
)
"""Headers of identifier columns never joined as indicators (with any ``code…``)."""
LISTED_CODES = 20
"""Codes listed by name in the report before the rest is counted."""
OFFICIAL_2015 = re.compile(r"^QP\d{6}$")
"""Quartier codes of the 2015 geography (``QP037005``)."""
OFFICIAL_2024 = re.compile(r"^QN\d{5,7}M?$")
"""Quartier codes of the 2024 geography (``QN03701M``)."""
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def is_indicator_file(path: str | Path, declared_layer: str | None = None) -> bool:
    """Whether ``path`` is an indicator table by its name or its manifest entry.

    Examples
    --------
    >>> is_indicator_file("indicateurs_qpv_2024.csv"), is_indicator_file("quartiers.geojson")
    (True, False)
    """
    if declared_layer is not None:
        return declared_layer == INDICATOR_LAYER
    return normalise_name(Path(path).stem).startswith(INDICATOR_LAYER)


def code_column(frame: pd.DataFrame) -> str | None:
    """The column of ``frame`` holding quartier codes, or None."""
    keys = {header_key(str(c)): c for c in frame.columns}
    return next((str(keys[k]) for k in CODE_ALIASES if k in keys), None)


def _numbers(values: pd.Series) -> pd.Series | None:
    """``values`` as numbers (French thousands spaces, decimal comma), or None if not numeric."""
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    if text.str.match(r"^0\d").any():  # "037", "01234": a code, not a number
        return None
    text = text.mask(text.isin(["", "n.c.", "nc", "NA", "s", "secret"]))
    filled = text.dropna()
    if filled.empty or not filled.str.match(_NUMBER).all():
        return None
    return pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")


NATIONAL_ALIASES = {
    "pop_mun": "population",
    "pop_municipale": "population",
    "population_municipale": "population",
    "pop_tot": "population",
    "nb_log": "logements",
    "log": "logements",
}
"""Headers of the national per-QPV files (year suffix removed) → quartiers columns."""


def _schema_names() -> dict[str, str]:
    """Header keys of the quartiers' columns and aliases → column name."""
    out: dict[str, str] = dict(NATIONAL_ALIASES)
    for column in SCHEMAS["quartiers"].columns:
        for name in (column.name, *column.aliases):
            out.setdefault(header_key(name), column.name)
    return out


def indicator_columns(table: pd.DataFrame) -> dict[str, pd.Series]:
    """The numeric columns of ``table`` under their gupgeo names (snake case, aliases)."""
    names = _schema_names()
    code = code_column(table)
    out: dict[str, pd.Series] = {}
    for column in table.columns:
        if column in (code, "geometry"):
            continue
        values = _numbers(table[column])
        if values is None:
            continue
        if header_key(str(column)) in CODE_KEYS or header_key(str(column)).startswith("code"):
            continue  # département, commune, région codes: identifiers, not indicators
        key = re.sub(r"_(?:19|20)\d\d$", "", header_key(str(column)))  # POP_MUN_2020
        out.setdefault(names.get(key, key), values)
    return out


def _vintage(codes: Iterable[str]) -> str:
    """``"2015"``, ``"2024"``, ``"mélangés"`` or ``"autres"`` for a set of codes."""
    codes = list(codes)
    v2015 = sum(bool(re.match(OFFICIAL_2015, c)) for c in codes)
    v2024 = sum(bool(re.match(OFFICIAL_2024, c)) for c in codes)
    if codes and v2015 == len(codes):
        return "2015"
    if codes and v2024 == len(codes):
        return "2024"
    return "mélangés" if v2015 and v2024 else "autres"


def _listed(codes: list[str]) -> str:
    shown = ", ".join(codes[:LISTED_CODES])
    more = len(codes) - LISTED_CODES
    return shown + (f" et {more} autre(s)" if more > 0 else "")


def _departement(code: str) -> str:
    """The département part of an official code (``QN037…`` → ``037``), else ''."""
    found = re.match(r"^Q[PN](\d[\dAB]\d)", code)
    return found.group(1) if found else ""


def join_indicators(
    quartiers: pd.DataFrame, table: pd.DataFrame, *, source: str
) -> tuple[pd.DataFrame, LayerReport]:
    """Join an indicator table onto the quartiers by ``code_qp``; the join's report.

    Parameters
    ----------
    quartiers
        The validated quartiers (``code_qp``).
    table
        The indicator table as read (its own headers: ``CODE_QP``, ``Population``…).
    source
        The table's file, for the report.

    Returns
    -------
    quartiers, report
        The quartiers with the table's numeric columns (the quartiers' own non-empty
        values win); a report whose notes say what matched and what did not.
    """
    report = LayerReport(layer=INDICATOR_LAYER, source=source, format="table d'indicateurs")
    report.rows_read = report.rows_kept = len(table)
    code = code_column(table)
    if code is None:
        report.add(
            "fatal",
            "table d'indicateurs sans colonne de code quartier ; attendu l'une de : "
            + ", ".join(CODE_ALIASES)
            + f" ; colonnes lues : {', '.join(map(str, table.columns))}",
            kind="colonne manquante",
        )
        report.rows_kept, report.rows_rejected = 0, len(table)
        return quartiers, report
    codes = table[code].astype("string").str.strip()
    columns = indicator_columns(table)
    if not columns:
        report.add("avertissement", "aucune colonne numérique à joindre", kind="table vide")
    values = pd.DataFrame(columns, index=table.index)
    values["code_qp"] = codes
    duplicated = values["code_qp"].duplicated(keep="first") & values["code_qp"].notna()
    if duplicated.any():
        report.add(
            "avertissement",
            f"{int(duplicated.sum())} code(s) en double : la première ligne est jointe "
            f"({_listed(sorted(set(values.loc[duplicated, 'code_qp'])))})",
            kind="doublon",
        )
    by_code = values[~duplicated & values["code_qp"].notna()].set_index("code_qp")
    own = quartiers["code_qp"].astype("string")
    matched = own[own.isin(by_code.index)]
    out = quartiers.copy()
    filled: list[str] = []
    for name in by_code.columns:
        joined = by_code[name].reindex(own.to_numpy()).to_numpy()
        if name in out.columns:
            current = pd.to_numeric(out[name], errors="coerce")
            gaps = current.isna().to_numpy() & ~np.isnan(joined)
            if gaps.any():
                out[name] = current.where(~gaps, joined)
                filled.append(name)
        else:
            out[name] = joined
            filled.append(name)
    report.notes.append(
        f"jointure sur code_qp : {len(matched)} quartier(s) sur {len(own)} appariés ; "
        f"colonnes jointes : {', '.join(filled) or 'aucune'}"
    )
    missing = sorted(set(own.dropna()) - set(by_code.index))
    if missing:
        report.add(
            "avertissement",
            f"{len(missing)} quartier(s) sans ligne dans la table : {_listed(missing)}",
            kind="quartier sans indicateur",
        )
    outside = sorted(set(by_code.index) - set(own.dropna()))
    ours = {_departement(c) for c in own.dropna()} - {""}
    near = [c for c in outside if _departement(c) in ours]
    if outside:
        report.notes.append(
            f"{len(outside)} code(s) de la table hors du territoire (lignes lues, non jointes)"
            + (f", dont {len(near)} du même département : {_listed(near)}" if near else "")
        )
    mine, theirs = _vintage(own.dropna()), _vintage(by_code.index)
    if {mine, theirs} == {"2015", "2024"}:
        report.add(
            "avertissement",
            f"codes de {theirs} dans la table ({'QP' if theirs == '2015' else 'QN'}…) et "
            f"quartiers de {mine} ({'QP' if mine == '2015' else 'QN'}…) : les géographies "
            "2015 et 2024 n'ont pas les mêmes codes, aucune correspondance automatique ; "
            f"fournir la table de la géographie {mine}",
            kind="millésime des codes",
        )
    return out, report


def join_tables(
    frames: dict[str, pd.DataFrame],
    tables: Iterable[tuple[pd.DataFrame, str, bool]],
    reports: list[LayerReport],
) -> dict[str, pd.DataFrame]:
    """Join every indicator table ``(frame, source, declared in gupgeo.toml)`` onto
    ``frames["quartiers"]``; one report each, appended to ``reports``."""
    for table, source, declared in tables:
        quartiers = frames.get("quartiers")
        if quartiers is None:
            report = LayerReport(layer=INDICATOR_LAYER, source=source, format="table d'indicateurs")
            report.rows_read = report.rows_rejected = len(table)
            report.add(
                "fatal",
                "table d'indicateurs sans couche quartiers à laquelle la joindre ; ajouter le "
                "fichier des quartiers (quartiers.geojson…)",
                kind="quartiers manquants",
            )
        else:
            frames["quartiers"], report = join_indicators(quartiers, table, source=source)
        if not declared:
            report.guessed = ["couche déduite du nom ou du contenu du fichier"]
        reports.append(report)
    return frames


__all__ = [
    "CODE_ALIASES",
    "INDICATOR_LAYER",
    "code_column",
    "indicator_columns",
    "is_indicator_file",
    "join_indicators",
    "join_tables",
]
