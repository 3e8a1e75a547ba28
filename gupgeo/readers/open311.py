"""Open311 GeoReport v2 service requests (JSON), the international standard.

Fields follow the GeoReport v2 specification: ``service_request_id``,
``status`` (open/closed), ``status_notes``, ``service_name``, ``service_code``,
``description``, ``agency_responsible``, ``requested_datetime``,
``updated_datetime``, ``address``, ``lat``, ``long`` (WGS84 by the standard).

Mapped by meaning: ``service_name`` (what the resident chose) is the ``categorie``;
``service_code`` is the service's code in the city's catalogue — an identifier, not a
sous-catégorie — kept as ``code_service`` beside it (the sous-catégorie stays empty: the
standard has none); ``agency_responsible`` is the service in charge of the request, not
who reported it, kept as ``service_responsable`` (``source``, the channel, stays empty:
the standard does not say it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from gupgeo.crs import DISPLAY_CRS
from gupgeo.errors import InputFileError
from gupgeo.readers.raw import RawLayer

MEANINGS = {"service_code": "code_service", "agency_responsible": "service_responsable"}
"""GeoReport v2 fields kept under the name of what they are (never a sous-catégorie or a
source)."""
OPEN311_KEYS = frozenset({"service_request_id", "requested_datetime", "service_code"})
DATETIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")
_OFFSET = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})$"
)


def local_wall_clock(values: pd.Series) -> tuple[pd.Series, str]:
    """Datetimes with their offset removed, keeping the local time and day; and what was found.

    GeoReport v2 servers write the local time of the city with its offset
    (``2014-05-09T19:02:21-05:00``). Converting to UTC (or to Paris time) would move
    evening requests to the next day; the local wall-clock time is what the city
    lived, so it is kept and the offsets found are said.

    Examples
    --------
    >>> times = ["2014-05-09T23:02:21-05:00", "2014-05-10T01:00:00-05:00"]
    >>> s, note = local_wall_clock(pd.Series(times, name="requested_datetime"))
    >>> s.tolist()
    ['2014-05-09T23:02:21', '2014-05-10T01:00:00']
    >>> print(note)
    requested_datetime : heures locales avec décalage -05:00 (2) conservées telles quelles
    (jour et heure du lieu, non convertis en UTC)
    """
    text = values.astype("string")
    parts = text.str.extract(_OFFSET)
    has_offset = parts[0].notna()
    if not has_offset.any():
        return values, ""
    offsets = parts[1][has_offset].str.replace(r"^([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)
    counts = offsets.replace({"Z": "Z (UTC)"}).value_counts()
    found = ", ".join(f"{zone} ({n})" for zone, n in counts.items())
    out = values.astype(object).where(~has_offset, parts[0])
    name = values.name if values.name is not None else "date"
    return out, (
        f"{name} : heures locales avec décalage {found} conservées telles quelles "
        "(jour et heure du lieu, non convertis en UTC)"
    )


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
    frame = frame.rename(columns={"long": "longitude", "lat": "latitude", **MEANINGS})
    zone_notes = []
    for column in DATETIME_FIELDS:
        if column in frame.columns:
            frame[column], note = local_wall_clock(frame[column])
            zone_notes.extend([note] if note else [])
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
            "(la norme ne publie pas de date de clôture)",
            "Open311 : service_name → categorie ; service_code conservé dans code_service "
            "(code du service, pas une sous-catégorie) ; agency_responsible → "
            "service_responsable (service en charge, pas l'origine du signalement)",
            *zone_notes,
        ],
    )
    return raw
