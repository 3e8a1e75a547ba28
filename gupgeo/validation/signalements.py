"""Rules of the signalements layer: statuses mapped onto one lifecycle (the raw value
kept), closing dates before the report date flagged."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from gupgeo.readers.raw import RawLayer
from gupgeo.validation.report import LayerReport
from gupgeo.validation.statuses import canonical_statuses


def signalement_rules(
    frame: pd.DataFrame,
    raw: RawLayer,
    report: LayerReport,
    statuses: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    if "statut" in frame.columns:
        if "statut_brut" in frame.columns:  # a territory saved by gupgeo: the raw value stays
            frame["statut"] = frame["statut_brut"].where(
                frame["statut_brut"].notna(), frame["statut"]
            )
        frame["statut_brut"] = frame["statut"]
        frame["statut"] = canonical_statuses(frame["statut_brut"], statuses)
        unknown = frame["statut_brut"].notna() & frame["statut"].isna()
        if unknown.any():
            counts = frame.loc[unknown, "statut_brut"].value_counts()
            for value, count in counts.items():
                report.add(
                    "avertissement",
                    f"statut inconnu « {value} » ({count} ligne(s)) : "
                    "statut canonique laissé vide, valeur d'origine conservée dans statut_brut",
                    column="statut",
                    kind="statut inconnu",
                )
    elif raw.metadata.get("sans_statut"):
        frame["statut"] = pd.Series(None, index=frame.index, dtype="object")
    if "date_cloture" in frame.columns and "date_signalement" in frame.columns:
        before = frame["date_cloture"] < frame["date_signalement"]
        if before.any():
            report.add(
                "avertissement",
                f"{int(before.sum())} date(s) de clôture antérieure(s) à la date de signalement",
                kind="clôture avant signalement",
            )
    return frame
