"""Open311 GeoReport v2 service requests (JSON), the international standard.

Fields follow the GeoReport v2 specification: ``service_request_id``,
``status`` (open/closed), ``status_notes``, ``service_name``, ``service_code``,
``description``, ``agency_responsible``, ``requested_datetime``,
``updated_datetime``, ``address``, ``lat``, ``long`` (WGS84 by the standard).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gupgeo.crs import DISPLAY_CRS
from gupgeo.errors import InputFileError
from gupgeo.readers._raw import RawLayer

OPEN311_KEYS = frozenset({"service_request_id", "requested_datetime", "service_code"})


def looks_like_open311(payload: object) -> bool:
    """True for a JSON array of objects carrying Open311 keys."""
    if isinstance(payload, dict) and "service_requests" in payload:
        payload = payload["service_requests"]
    return (
        isinstance(payload, list)
        and bool(payload)
        and isinstance(payload[0], dict)
        and len(OPEN311_KEYS & set(payload[0])) >= 2
    )


def read_open311(path: Path, payload: object | None = None) -> RawLayer:
    """Read an Open311 GeoReport v2 ``requests.json`` into a raw signalements layer."""
    if payload is None:
        try:
            payload = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputFileError(f"{path} : JSON illisible ({exc})") from exc
    if isinstance(payload, dict) and "service_requests" in payload:
        payload = payload["service_requests"]
    if not isinstance(payload, list):
        raise InputFileError(
            f"{path} : attendu un tableau JSON de demandes Open311, trouvé {type(payload).__name__}"
        )
    frame = pd.DataFrame.from_records(payload)
    frame = frame.rename(columns={"long": "longitude", "lat": "latitude"})
    if "status" in frame.columns:
        status = frame["status"].astype("string").str.lower()
        # Open311 has no closing date: the last update of a closed request is the best proxy.
        if "updated_datetime" in frame.columns:
            frame["date_cloture"] = frame["updated_datetime"].where(status == "closed")
        frame["statut"] = frame["status"]
    frame = frame.drop(columns=[c for c in ("status", "updated_datetime") if c in frame.columns])
    raw = RawLayer(
        frame=frame,
        source=str(path),
        format="Open311 GeoReport v2",
        label_prefix="demande",
        crs=DISPLAY_CRS,
        crs_note="WGS84 (EPSG:4326), imposé par la norme Open311 (lat/long)",
        x_column="longitude" if "longitude" in frame.columns else None,
        y_column="latitude" if "latitude" in frame.columns else None,
        suggested_layer="signalements",
        notes=[
            "Open311 : date de clôture = updated_datetime des demandes « closed » "
            "(la norme ne publie pas de date de clôture)"
        ],
    )
    return raw
