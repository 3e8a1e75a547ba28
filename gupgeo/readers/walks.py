"""Walk files from the field (GPX, KML): waypoints are constats, a track is the route.

A diagnostic en marchant recorded with a phone gives waypoints (the findings, often
without times) and the walked track. The waypoints become ``constats``; the tracks
(and GPX routes) become the route of **one** ``diagnostics`` row — never a constat, so
never a rejected one. Both carry the same diagnostic identifier, taken from the file
when it names one, else from the file name. Photo references (GPX ``<link>``) are kept
as links in ``photos``; nothing is embedded.

The day of the walk comes from the file (track or waypoint times); when the file has
none, :func:`fill_walk_date` gives it (``--date JJ/MM/AAAA`` on the command line).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.readers.raw import RawLayer
from gupgeo.schemas import LayerSchema, header_key, normalise_name

ROUTE_SOURCES = frozenset({"tracks", "routes"})
"""GPX layers that hold the walked (or planned) route."""
ROUTE_WORDS = re.compile(
    r"(?:^|_)(?:trace|traces|track|tracks|parcours|itineraire|trajet|route)(?:_|$)"
)
"""Names of a KML line (or its folder) that mark it as the walk's route."""
WALK_DEMARCHE = "diagnostic en marchant"


def walk_id(path: Path) -> str:
    """The diagnostic identifier a walk file gives when it names none: its file name.

    Examples
    --------
    >>> walk_id(Path("Marche Rabière 14-05.gpx"))
    'marche_rabiere_14_05'
    """
    return normalise_name(path.stem) or "marche"


def _route_mask(frame: pd.DataFrame) -> np.ndarray:
    """Rows of a walk file that are its route rather than findings."""
    kinds = shapely.get_type_id(np.asarray(frame.geometry.array if "geometry" in frame else []))
    is_line = np.isin(kinds, [1, 5])  # LineString, MultiLineString
    source = frame.get("couche_source", pd.Series("", index=frame.index)).astype(str)
    by_layer = source.isin(ROUTE_SOURCES).to_numpy()
    words = pd.Series(False, index=frame.index)
    for col in ("couche_source", "name", "Name", "type"):
        if col in frame.columns:
            keys = frame[col].fillna("").astype(str).map(normalise_name)
            words |= keys.str.contains(ROUTE_WORDS)
    return by_layer | (is_line & words.to_numpy())


def split_walk(raw: RawLayer, path: Path) -> list[RawLayer]:
    """The constats and, when the file holds a route or findings, the diagnostic of a walk.

    ``raw`` is a GPX or KML file read whole (waypoints and tracks together, a
    ``couche_source`` column saying which). Returns the constats (``layer="constats"``)
    and one diagnostic (``layer="diagnostics"``): its ``id``, its ``date`` (first time
    of the route, else of the findings), its ``objet`` (the track's name) and its route
    (every track and route of the file as one multi-line).
    """
    frame = raw.frame
    route = _route_mask(frame)
    constats = frame.loc[~route].reset_index(drop=True)
    lines = frame.loc[route]
    ids = _declared_ids(constats)
    diagnostic = ids[0] if len(ids) == 1 else walk_id(path)
    notes: list[str] = []
    if route.any():
        notes.append(
            f"{int(route.sum())} trace(s) lue(s) comme le parcours du diagnostic "
            f"« {diagnostic} » (couche diagnostics), pas comme des constats"
        )
    if not ids:
        constats["diagnostic_id"] = diagnostic
    if "id" not in {c.lower() for c in constats.columns if constats[c].notna().any()}:
        constats["id"] = [f"{diagnostic}-{k + 1:02d}" for k in range(len(constats))]
        notes.append(f"identifiants des constats : « {diagnostic}-01 », « {diagnostic}-02 »…")
    if not any(header_key(c) in ("demarche", "type_demarche") for c in constats.columns):
        constats["demarche"] = WALK_DEMARCHE
        notes.append(f"démarche ← « {WALK_DEMARCHE} » (fichier de marche)")
    out = RawLayer(
        frame=gpd.GeoDataFrame(constats, geometry="geometry", crs=getattr(frame, "crs", None))
        if "geometry" in constats.columns
        else constats,
        source=raw.source,
        format=raw.format,
        layer="constats",
        crs=raw.crs,
        crs_note=raw.crs_note,
        notes=[*raw.notes, *notes],
        unreadable=raw.unreadable,
        metadata={**raw.metadata, "walk": diagnostic},
    )
    if route.any():
        kept = np.flatnonzero(~route)
        out.row_labels = [raw.label(int(i)) for i in kept]
    diag = _diagnostic_row(lines, constats, diagnostic, raw)
    return [out, diag]


def _declared_ids(constats: pd.DataFrame) -> list[str]:
    """The diagnostic identifiers the findings themselves carry (a KML's ExtendedData)."""
    for col in constats.columns:
        if header_key(col) in ("diagnostic_id", "id_diagnostic", "id_demarche"):
            return sorted({str(v) for v in constats[col].dropna() if str(v).strip()})
    return []


def _first_time(frame: pd.DataFrame) -> pd.Timestamp | None:
    for col in ("date", "time", "timestamp", "when", "begin"):
        if col in frame.columns:
            values = pd.to_datetime(frame[col], errors="coerce").dropna()
            if len(values):
                return pd.Timestamp(values.min())
    return None


def _diagnostic_row(
    lines: pd.DataFrame, constats: pd.DataFrame, diagnostic: str, raw: RawLayer
) -> RawLayer:
    """One diagnostic: the route (all lines merged), its date and name."""
    geoms = [g for g in lines.geometry if g is not None and not g.is_empty] if len(lines) else []
    route = (
        shapely.multilinestrings([part for g in geoms for part in getattr(g, "geoms", [g])])
        if geoms
        else None
    )
    date = _first_time(lines) if len(lines) else None
    how = "date ← première heure de la trace"
    if date is None:
        date, how = _first_time(constats), "date ← premier constat daté"
    names = [str(v) for v in lines.get("name", pd.Series(dtype=object)).dropna() if str(v)]
    row = {
        "id": diagnostic,
        "date": date.normalize() if date is not None else pd.NaT,
        "objet": names[0] if names else None,
        "demarche": WALK_DEMARCHE,
        "geometry": route,
    }
    frame = gpd.GeoDataFrame([row], geometry="geometry", crs="EPSG:4326")
    notes = [f"diagnostic « {diagnostic} » déduit du fichier de marche ({how if date else ''})"]
    if date is None:
        notes.append("aucune heure dans le fichier : donnez le jour de la marche avec --date")
    return RawLayer(
        frame=frame,
        source=raw.source,
        format=raw.format,
        layer="diagnostics",
        crs=raw.crs,
        crs_note=raw.crs_note,
        notes=notes,
        label_prefix="diagnostic",
        metadata={"walk": diagnostic},
    )


def fill_walk_date(raw: RawLayer, schema: LayerSchema, day: dt.date) -> int:
    """Give ``day`` to the rows of a constats or diagnostics source that have no date.

    The date column is the one the schema's aliases find (``date``, ``date_constat``…),
    created when absent. Returns the number of rows filled; a note says it.

    Examples
    --------
    >>> from gupgeo.schemas import SCHEMAS
    >>> raw = RawLayer(frame=pd.DataFrame({"theme": ["a", "b"], "Date": [None, "2024-05-02"]}),
    ...                source="x.csv", format="CSV")
    >>> fill_walk_date(raw, SCHEMAS["constats"], dt.date(2024, 5, 14))
    1
    >>> raw.frame["Date"].tolist()
    ['2024-05-14', '2024-05-02']
    """
    aliases = schema.alias_map()
    frame = raw.frame
    column = next((c for c in frame.columns if aliases.get(header_key(str(c))) == "date"), None)
    if column is None:
        column = "date"
        frame[column] = None
    values = frame[column]
    if pd.api.types.is_datetime64_any_dtype(values):
        missing = values.isna()
        frame.loc[missing, column] = pd.Timestamp(day)
    else:
        missing = values.isna() | (values.astype(str).str.strip() == "")
        frame[column] = values.astype(object).where(~missing, day.isoformat())
    n = int(missing.sum())
    if n:
        raw.notes.append(
            f"{n} ligne(s) sans date datée(s) du {day:%d/%m/%Y} (jour de la marche donné par "
            "--date)"
        )
    return n


__all__ = ["fill_walk_date", "split_walk", "walk_id"]
