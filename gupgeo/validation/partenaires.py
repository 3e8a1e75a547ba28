"""Responsables of constats checked against the territory's ``partenaires``, spelled one way.

A partner is named many ways in the field: « Tours Habitat », « TOURS HABITAT »,
« tours-habitat », « TH ». The ``partenaires`` table gives each partner its one name
(``nom``), its kind (``type``: bailleur, ville, métropole, État, régie…) and, in
``alias``, other spellings separated by ``;`` or ``|``. A responsable matching a name or
an alias — case, accents, spaces and punctuation aside — is rewritten with the
partner's name; one matching nothing is **kept as written** and reported (a warning
naming the closest partners). Nothing is rejected: a finding without a known partner is
still a finding.
"""

from __future__ import annotations

import difflib
from collections.abc import MutableMapping

import pandas as pd

from gupgeo.schemas import normalise_name
from gupgeo.validation.report import LayerReport, ValidationReport


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def partner_key(name: object) -> str:
    """The key a partner's name is matched under.

    Examples
    --------
    >>> partner_key(" TOURS-Habitat ") == partner_key("tours habitat")
    True
    >>> partner_key("Métropole") == partner_key("metropole")
    True
    """
    return "" if _missing(name) else normalise_name(str(name))


def partner_names(partenaires: pd.DataFrame) -> dict[str, str]:
    """Key of every name and alias → the partner's one name.

    Examples
    --------
    >>> p = pd.DataFrame({"nom": ["Tours Habitat"], "type": ["bailleur"], "alias": ["TH; OPH"]})
    >>> partner_names(p)["th"], partner_names(p)["tours_habitat"]
    ('Tours Habitat', 'Tours Habitat')
    """
    out: dict[str, str] = {}
    for row in partenaires.to_dict("records"):
        name = row.get("nom")
        if _missing(name):
            continue
        out.setdefault(partner_key(name), str(name))
        alias = row.get("alias")
        if not _missing(alias):
            for text in str(alias).replace("|", ";").split(";"):
                if text.strip():
                    out.setdefault(partner_key(text), str(name))
    return out


def normalise_responsables(
    responsables: pd.Series, partenaires: pd.DataFrame
) -> tuple[pd.Series, dict[str, int]]:
    """Responsables rewritten with the partners' names, and the unknown ones with counts.

    Examples
    --------
    >>> p = pd.DataFrame({"nom": ["Ville de Tours"], "type": ["ville"], "alias": ["Tours"]})
    >>> out, unknown = normalise_responsables(
    ...     pd.Series(["tours", "VILLE DE TOURS", "Régie X", None]), p)
    >>> out.tolist(), unknown
    (['Ville de Tours', 'Ville de Tours', 'Régie X', nan], {'Régie X': 1})
    """
    names = partner_names(partenaires)
    out = responsables.astype(object).copy()
    unknown: dict[str, int] = {}
    for i, value in responsables.items():
        if _missing(value) or not str(value).strip():
            continue
        found = names.get(partner_key(value))
        if found is None:
            unknown[str(value)] = unknown.get(str(value), 0) + 1
        else:
            out.at[i] = found
    return out, unknown


def check_responsables(frames: MutableMapping[str, pd.DataFrame], report: ValidationReport) -> None:
    """Spell the constats' responsables as the ``partenaires`` do; report unknown ones.

    Does nothing when either layer or the column is absent. The constats' report gets a
    note of how many were respelled and a warning per unknown responsable.
    """
    constats, partenaires = frames.get("constats"), frames.get("partenaires")
    if constats is None or partenaires is None or "responsable" not in constats.columns:
        return
    before = constats["responsable"]
    after, unknown = normalise_responsables(before, partenaires)
    changed = int((before.notna() & (before.astype(object) != after)).sum())
    constats = constats.copy()
    constats["responsable"] = after
    frames["constats"] = constats
    target = _constats_report(report)
    if changed:
        target.notes.append(
            f"responsables : {changed} écrit(s) comme dans la table des partenaires "
            "(majuscules, accents ou alias)"
        )
    known = sorted(partenaires["nom"].dropna().astype(str))
    for name, n in sorted(unknown.items()):
        close = difflib.get_close_matches(name, known, n=2, cutoff=0.5)
        hint = f" ; proche de : {', '.join(close)}" if close else ""
        target.add(
            "avertissement",
            f"responsable « {name} » absent de la table des partenaires ({n} constat(s), "
            f"gardé(s) tel quel){hint} ; ajoutez-le (ou un alias) à partenaires",
            column="responsable",
            kind="responsable inconnu",
        )


def _constats_report(report: ValidationReport) -> LayerReport:
    for layer in report.layers:
        if layer.layer == "constats":
            return layer
    layer = LayerReport(layer="constats", source="partenaires")
    report.layers.append(layer)
    return layer


__all__ = ["check_responsables", "normalise_responsables", "partner_key", "partner_names"]
