"""DansMaRue exports (Paris): the older CSV headers and the open-data API fields.

CSV headers: ``ID DECLARATION``, ``TYPE DECLARATION``, ``SOUS TYPE DECLARATION``,
``DATE DECLARATION``, ``geo_point_2d`` ("lat, lon"). API fields: ``id_dmr``,
``type``, ``soustype``, ``datedecl``, ``intervenant``, ``geo_point_2d``.
DansMaRue publishes neither status nor closing date, so delays cannot be
computed from it: the reader says so instead of inventing them.
"""

from __future__ import annotations

from gupgeo.readers._raw import RawLayer
from gupgeo.schemas import normalise_name

CSV_MARKERS = frozenset({"id_declaration", "type_declaration"})
API_MARKERS = frozenset({"id_dmr", "datedecl"})
NO_STATUS_NOTE = (
    "DansMaRue : l'export ne contient ni statut ni date de clôture ; les délais de "
    "traitement ne peuvent pas être calculés à partir de cette source"
)


def looks_like_dansmarue(columns: list[str]) -> bool:
    norm = {normalise_name(c) for c in columns}
    return norm >= CSV_MARKERS or norm >= API_MARKERS


def adapt_dansmarue(raw: RawLayer) -> RawLayer:
    """Mark a table read from a DansMaRue export and note what it lacks."""
    raw.format = "DansMaRue (" + raw.format + ")"
    raw.suggested_layer = "signalements"
    raw.notes.append(NO_STATUS_NOTE)
    raw.metadata["sans_statut"] = True
    return raw
