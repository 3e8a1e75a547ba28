"""Constant columns (``--valeur``) and fallbacks for descriptive fields.

Real open-data layers have gaps: a layer of street bins has no name, no type column
(every row is a bin), many empty fields. Two rules let such a layer in without losing
a row:

- a **constant** given by the team, ``--valeur type=corbeille`` (or ``valeurs`` in
  ``gupgeo.toml``), sets a column for every row (:func:`apply_constants`);
- a **descriptive** field (the ``nom`` of an équipement or of an operation) is never a
  reason to reject a row: when it is absent or blank, a fallback built from the row's
  type and identifier is used (``corbeille 17``) and counted in the report
  (:func:`fill_descriptive`). Columns a figure needs (dates, geometry, the type of an
  équipement, the code of a quartier) stay required.

Examples
--------
>>> import pandas as pd
>>> from gupgeo.validation.report import LayerReport
>>> report = LayerReport(layer="equipements", source="corbeilles.csv")
>>> frame = apply_constants(pd.DataFrame({"id": ["7", "8"]}), {"type": "corbeille"}, report)
>>> frame = fill_descriptive(frame.assign(nom=["Square", None]), "equipements", report)
>>> frame["nom"].tolist()
['Square', 'corbeille 8']
>>> print("\\n".join(report.notes))
type = « corbeille » pour toutes les lignes (valeur donnée par --valeur ou gupgeo.toml)
nom vide ou absent : 1 ligne(s) sur 2 nommée(s) « type identifiant » (ex. « corbeille 8 »)
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from gupgeo.errors import SchemaError
from gupgeo.french import format_count
from gupgeo.schemas import LayerSchema
from gupgeo.validation.report import LayerReport

DESCRIPTIVE_FALLBACKS: dict[str, dict[str, tuple[str, ...]]] = {
    "equipements": {"nom": ("type", "id")},
    "operations": {"nom": ("id",)},
}
"""Per layer, descriptive column → the columns whose values name a row without it."""
_PREFIX = {"operations": "opération"}
_LABELS = {"equipements": "type identifiant", "operations": "opération identifiant"}


def parse_value_option(text: str) -> tuple[str | None, str, str]:
    """Split one ``--valeur`` into ``(layer or None, target, text)``.

    Examples
    --------
    >>> parse_value_option("type=corbeille")
    (None, 'type', 'corbeille')
    >>> parse_value_option('equipements.gestionnaire="Tours Métropole"')
    ('equipements', 'gestionnaire', 'Tours Métropole')
    """
    target, sep, value = text.partition("=")
    target, value = target.strip(), value.strip().strip('"').strip("'")
    if not sep or not target or not value:
        raise SchemaError(
            f"--valeur {text!r} : attendu CIBLE=TEXTE, par exemple --valeur type=corbeille"
        )
    layer, dot, name = target.partition(".")
    return (layer, name, value) if dot else (None, target, value)


def check_values(values: Mapping[str, str], schema: LayerSchema, *, where: str) -> None:
    """Every constant must name a column of the layer (else an error listing them)."""
    names = [c.name for c in schema.columns]
    unknown = [t for t in values if t not in names]
    if unknown:
        raise SchemaError(
            f"{where} : --valeur {unknown[0]}=… : la couche « {schema.name} » n'a pas de "
            f"colonne « {unknown[0]} » ; colonnes possibles : {', '.join(names)}"
        )


def apply_constants(
    frame: pd.DataFrame, values: Mapping[str, str], report: LayerReport
) -> pd.DataFrame:
    """``frame`` with each ``values`` column set to its text on every row, said in the report."""
    if not values:
        return frame
    frame = frame.copy()
    for target, text in values.items():
        replaced = target in frame.columns and bool(frame[target].notna().any())
        frame[target] = pd.Series(text, index=frame.index, dtype="object")
        report.notes.append(
            f"{target} = « {text} » pour toutes les lignes (valeur donnée par --valeur ou "
            "gupgeo.toml)" + (" ; la colonne du fichier est remplacée" if replaced else "")
        )
    return frame


def fill_descriptive(frame: pd.DataFrame, layer: str, report: LayerReport) -> pd.DataFrame:
    """Blank descriptive fields (:data:`DESCRIPTIVE_FALLBACKS`) named from type and id."""
    fallbacks = DESCRIPTIVE_FALLBACKS.get(layer, {})
    for column, parts in fallbacks.items():
        current = (
            frame[column].astype("object")
            if column in frame.columns
            else pd.Series(None, index=frame.index, dtype="object")
        )
        blank = current.isna() | (current.astype("string").str.strip() == "").fillna(True)
        if not blank.any():
            continue
        words = [frame[p].astype("string") for p in parts if p in frame.columns]
        if layer in _PREFIX:
            words.insert(0, pd.Series(_PREFIX[layer], index=frame.index, dtype="string"))
        named = words[0].fillna("") if words else pd.Series("", index=frame.index)
        for w in words[1:]:
            named = named.str.cat(w.fillna(""), sep=" ")
        named = named.str.strip().replace("", f"{layer} sans nom")
        frame = frame.copy()
        frame[column] = current.where(~blank, named.astype("object"))
        example = str(frame.loc[blank, column].iloc[0])
        report.notes.append(
            f"{column} vide ou absent : {format_count(int(blank.sum()))} ligne(s) sur "
            f"{format_count(len(frame))} nommée(s) « {_LABELS[layer]} » (ex. « {example} »)"
        )
    return frame


__all__ = [
    "DESCRIPTIVE_FALLBACKS",
    "apply_constants",
    "check_values",
    "fill_descriptive",
    "parse_value_option",
]
