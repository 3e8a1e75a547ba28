"""TFPB abatement counterparts: amounts and actions per quartier, national axis and bailleur.

TFPB reporting is annual (column ``annee``): a period keeps the rows of every year
it touches (a quarter keeps its whole year, and the method notes say so). Each
row's ``axe`` is matched onto the 8 national axes (:data:`gupgeo.schemas.AXES_TFPB`)
by number ("3", "axe 3") or keywords; anything else is counted under
"axe non reconnu". Euros per dwelling use the ``logements`` given per bailleur and
quartier in the TFPB table, else the quartier's ``logements``; with several years
the denominator is dwellings × years, hence ``eur_par_logement_par_an``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from gupgeo.indicators.common import (
    Zones,
    attach_notes,
    bincount_by,
    label_counts,
    label_frame,
    labels_of,
    ratio,
    require,
    single,
    stacked,
    with_total,
    words,
    zone_of_layer,
    zones_from,
)
from gupgeo.periods import Period, parse_period
from gupgeo.schemas import AXES_TFPB

AXE_NON_RECONNU = "axe non reconnu"
SUMMARY_COLUMNS: tuple[str, ...] = (
    "nb_actions",
    "montant_eur",
    "logements",
    "eur_par_logement_par_an",
)
_AXIS_KEYWORDS: tuple[tuple[str, int], ...] = (
    ("formation", 1),
    ("soutien", 1),
    ("presence", 0),
    ("personnel de proximite", 0),
    ("sur entretien", 2),
    ("surentretien", 2),
    ("dechets", 3),
    ("encombrants", 3),
    ("epaves", 3),
    ("tranquillite", 4),
    ("concertation", 5),
    ("sensibilisation", 5),
    ("animation", 6),
    ("lien social", 6),
    ("vivre ensemble", 6),
    ("petits travaux", 7),
    ("qualite de service", 7),
)
_NUMBER = re.compile(r"^(?:axe\s*)?([1-8])\b")


def match_axis(raw: object) -> int | None:
    """Index of the national axis in :data:`AXES_TFPB` named by ``raw``, or ``None``.

    Examples
    --------
    >>> match_axis("Sur-entretien"), match_axis("axe 4"), match_axis("Tranquillité")
    (2, 3, 4)
    >>> match_axis("Jardinage") is None
    True
    """
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return None
    text = str(raw).strip()
    if m := _NUMBER.match(text.lower()):
        return int(m[1]) - 1
    norm = f"_{words(text)}_"
    for i, axis in enumerate(AXES_TFPB):
        if words(axis) == norm.strip("_"):
            return i
    for key, i in _AXIS_KEYWORDS:
        if f"_{words(key)}_" in norm:
            return i
    return None


def _years(period: Period) -> tuple[int, ...]:
    last = (period.end - pd.Timedelta(nanoseconds=1)).year
    return tuple(range(period.start.year, last + 1))


def tfpb_tables(
    tfpb: pd.DataFrame, zones: Zones, periods: Sequence[Period]
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """``tfpb``, ``tfpb_montant_par_axe``, ``tfpb_actions_par_axe``, ``tfpb_montant_par_bailleur``.

    One stacked frame per table, one block per period (each keeps the years it touches).
    """
    require(tfpb, ("code_qp", "annee", "axe", "montant_eur"), layer="tfpb")
    zone, notes = zone_of_layer(tfpb, zones, layer="tfpb")
    year = np.asarray(pd.to_numeric(tfpb["annee"], errors="coerce"), dtype="float64")
    amount = np.nan_to_num(pd.to_numeric(tfpb["montant_eur"], errors="coerce").to_numpy(float))
    raw_codes, raw_axes = labels_of(tfpb["axe"], empty="")
    matched = [match_axis(a) for a in raw_axes]
    unknown_axes = sorted({a for a, m in zip(raw_axes, matched, strict=True) if m is None})
    axes = [*AXES_TFPB, *([AXE_NON_RECONNU] if unknown_axes else [])]
    axis_table = np.array([len(AXES_TFPB) if m is None else m for m in matched] + [0])
    axis_codes = axis_table[raw_codes] if len(raw_codes) else raw_codes
    if unknown_axes:
        rows = int((axis_codes == len(AXES_TFPB)).sum())
        notes.append(
            f"tfpb : {len(unknown_axes)} libellé(s) d'axe non reconnu(s) parmi les 8 axes "
            f"nationaux ({rows} ligne(s)), comptés « {AXE_NON_RECONNU} »."
        )
    bailleur = tfpb["bailleur"] if "bailleur" in tfpb.columns else pd.Series([None] * len(tfpb))
    b_codes, bailleurs = labels_of(bailleur)
    dwellings = _dwellings(tfpb, zones, zone, year)
    # Rows of each period: years touched; a row may belong to several overlapping periods,
    # so each period is counted on its own (TFPB tables are small).
    blocks: dict[str, list[np.ndarray]] = {
        "nb_actions": [],
        "montant_eur": [],
        "logements": [],
        "eur_par_logement_par_an": [],
    }
    by_axis_n, by_axis_eur, by_bailleur = [], [], []
    z = zones.n + 1
    for p in periods:
        years = _years(p)
        index = np.where(np.isin(year, years), 0, -1)
        nb = with_total(bincount_by(index, zone, 1, z)[:, :, 0])[0]
        spent = with_total(bincount_by(index, zone, 1, z, weights=amount)[:, :, 0])[0]
        lodg = dwellings(years)
        per_dwelling = ratio(spent, lodg)
        # The total is only meaningful when every zone with an amount has dwellings.
        if np.any((spent[:-1] > 0) & ~np.isfinite(lodg[:-1])):
            per_dwelling[-1] = np.nan
        for name, values in zip(blocks, (nb, spent, lodg, per_dwelling), strict=True):
            blocks[name].append(values)
        by_axis_n.append(label_counts(zones, index, zone, 1, axis_codes, len(axes))[0])
        by_axis_eur.append(label_counts(zones, index, zone, 1, axis_codes, len(axes), amount)[0])
        by_bailleur.append(label_counts(zones, index, zone, 1, b_codes, len(bailleurs), amount)[0])
        if p.kind in ("quarter", "month") or (p.kind == "custom" and p.start.month != 1):
            notes.append(
                f"tfpb : données annuelles ; la période {p.label} retient les années "
                f"{', '.join(map(str, years))} entières."
            )
    data = {name: np.stack(values) for name, values in blocks.items()}
    return {
        "tfpb": stacked(zones, periods, data),
        "tfpb_montant_par_axe": label_frame(
            zones, periods, np.stack(by_axis_eur), axes, integer=False
        ),
        "tfpb_actions_par_axe": label_frame(
            zones, periods, np.stack(by_axis_n), axes, integer=True
        ),
        "tfpb_montant_par_bailleur": label_frame(
            zones, periods, np.stack(by_bailleur), bailleurs, integer=False
        ),
    }, notes


def _dwellings(
    tfpb: pd.DataFrame, zones: Zones, zone: np.ndarray, year: np.ndarray
) -> Callable[[tuple[int, ...]], np.ndarray]:
    """A function years → dwellings per zone (+ total), summed over bailleurs and years."""
    z = zones.n + 1
    if "logements" in tfpb.columns and tfpb["logements"].notna().any():
        frame = pd.DataFrame(
            {
                "zone": zone,
                "annee": year,
                "bailleur": tfpb["bailleur"].astype("object").to_numpy()
                if "bailleur" in tfpb.columns
                else None,
                "logements": pd.to_numeric(tfpb["logements"], errors="coerce").to_numpy(),
            }
        )
        # One figure per bailleur, quartier and year, repeated on each of its rows.
        per = (
            frame.groupby(["zone", "annee", "bailleur"], dropna=False)["logements"]
            .max()
            .reset_index()
        )

        def from_table(years: tuple[int, ...]) -> np.ndarray:
            sel = per[per["annee"].isin(years)]
            values = np.bincount(
                sel["zone"].to_numpy(np.int64),
                weights=sel["logements"].fillna(0).to_numpy(),
                minlength=z,
            ).astype("float64")  # an empty selection gives integers
            values[values == 0] = np.nan
            total = np.nansum(values) if np.isfinite(values).any() else np.nan
            return np.append(values, total)

        return from_table

    base = np.append(zones.logements, np.nan)

    def from_quartiers(years: tuple[int, ...]) -> np.ndarray:
        values = base * len(years)
        return np.append(values, np.nansum(values) if np.isfinite(values).any() else np.nan)

    return from_quartiers


def tfpb_summary(tfpb: pd.DataFrame, quartiers: pd.DataFrame, *, period: object) -> pd.DataFrame:
    """TFPB actions, amounts, dwellings and euros per dwelling per year, per quartier."""
    tables, notes = tfpb_tables(tfpb, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(tables["tfpb"]), notes)


def tfpb_amounts_by_axis(
    tfpb: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """TFPB amounts (€) per quartier and national axis (one column per axis)."""
    tables, notes = tfpb_tables(tfpb, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(tables["tfpb_montant_par_axe"]), notes)


def tfpb_actions_by_axis(
    tfpb: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """Number of TFPB actions per quartier and national axis (one column per axis)."""
    tables, notes = tfpb_tables(tfpb, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(tables["tfpb_actions_par_axe"]), notes)


def tfpb_by_bailleur(
    tfpb: pd.DataFrame, quartiers: pd.DataFrame, *, period: object
) -> pd.DataFrame:
    """TFPB amounts per quartier and bailleur (one column per bailleur)."""
    tables, notes = tfpb_tables(tfpb, zones_from(quartiers), (parse_period(period),))
    return attach_notes(single(tables["tfpb_montant_par_bailleur"]), notes)
