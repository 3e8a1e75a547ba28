"""DansMaRue exports (Paris): the older CSV headers and the open-data API fields.

CSV headers: ``ID DECLARATION``, ``TYPE DECLARATION``, ``SOUS TYPE DECLARATION``,
``DATE DECLARATION``, ``geo_point_2d`` ("lat, lon"). API fields (opendata.paris.fr
"dans-ma-rue", Opendatasoft): ``id_dmr``, ``numero``, ``prefixe``, ``type``,
``soustype``, ``datedecl``, ``intervenant``, ``adresse``, ``arrondissement``,
``geo_point_2d`` ("lat, lon", ``{"lon": …, "lat": …}`` or its Python-literal
re-export) and ``geo_shape`` (a GeoJSON point, used when ``geo_point_2d`` is
empty or unreadable).

What the API fields mean, and where they go:

- ``id_dmr``: the report's unique identifier → ``id``. ``numero`` is the
  number shown to residents, reused across years: not unique, never the
  identifier; with its letter ``prefixe`` it is kept as ``numero_dansmarue``;
- ``type`` / ``soustype``: the category the resident chose → ``categorie`` /
  ``sous_categorie``;
- ``intervenant``: the service in charge of the repair (a City directorate or
  a contractor), not where the report came from → kept as ``intervenant``;
  ``source`` is "DansMaRue" (the channel of every row).

DansMaRue publishes neither status nor closing date, so delays cannot be
computed from it: the reader says so instead of inventing them.
"""

from __future__ import annotations

import pandas as pd

from gupgeo.readers.raw import RawLayer
from gupgeo.schemas import normalise_name

CSV_MARKERS = frozenset({"id_declaration", "type_declaration"})
API_MARKERS = frozenset({"id_dmr", "datedecl"})
API_COLUMNS = {
    "id_dmr": "id",
    "type": "categorie",
    "soustype": "sous_categorie",
    "datedecl": "date_signalement",
    "intervenant": "intervenant",
}
"""Open-data API fields (normalised) and the signalements column each one is."""
NO_STATUS_NOTE = (
    "DansMaRue : l'export ne contient ni statut ni date de clôture ; les délais de "
    "traitement ne peuvent pas être calculés à partir de cette source"
)


def looks_like_dansmarue(columns: list[str]) -> bool:
    norm = {normalise_name(c) for c in columns}
    return norm >= CSV_MARKERS or norm >= API_MARKERS


def json_records(payload: object) -> pd.DataFrame | None:
    """The records of an open-data JSON export (a list, or ``results``/``records``), or None."""
    if isinstance(payload, dict):
        payload = payload.get("results", payload.get("records"))
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], dict):
        return None
    rows = [r.get("fields", r) if isinstance(r, dict) else {} for r in payload]
    return pd.DataFrame.from_records(rows)


def adapt_dansmarue(raw: RawLayer) -> RawLayer:
    """Mark a table read from a DansMaRue export, name its API fields, note what it lacks."""
    raw.format = "DansMaRue (" + raw.format + ")"
    raw.suggested_layer = "signalements"
    frame = raw.frame
    by_norm = {normalise_name(c): c for c in frame.columns}
    if set(by_norm) >= API_MARKERS:
        renames = {
            by_norm[api]: ours
            for api, ours in API_COLUMNS.items()
            if api in by_norm and by_norm[api] != ours and ours not in frame.columns
        }
        frame = frame.rename(columns=renames)
        if "numero" in by_norm:
            numero = frame.pop(by_norm["numero"]).astype("string")
            prefix = frame[by_norm["prefixe"]].astype("string") if "prefixe" in by_norm else None
            frame["numero_dansmarue"] = numero if prefix is None else prefix.fillna("") + numero
        if "source" not in frame.columns:
            frame["source"] = pd.Series("DansMaRue", index=frame.index, dtype="string")
        raw.frame = frame
        shown = ", ".join(f"{a} → {b}" for a, b in renames.items())
        raw.notes.append(
            f"DansMaRue (champs de l'API open data) : {shown} ; identifiant = id_dmr "
            "(numero n'est pas unique : conservé dans numero_dansmarue) ; intervenant = "
            "service chargé de l'intervention ; source = DansMaRue"
        )
    raw.notes.append(NO_STATUS_NOTE)
    raw.metadata["sans_statut"] = True
    return raw
