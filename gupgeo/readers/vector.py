"""Vector files: GeoJSON, GeoPackage, Shapefile, FlatGeobuf, GeoParquet, KML, GPX.

Bulk reads go through pyogrio (fast, columnar). Fiona is used where its
record-level access helps: listing layers and salvaging the readable features
of a damaged file, each unreadable feature being reported rather than lost
silently.
"""

from __future__ import annotations

import logging
import warnings
import zipfile
from pathlib import Path

import fiona
import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gupgeo.errors import InputFileError
from gupgeo.readers.bulk import gc_paused
from gupgeo.readers.parquet import read_parquet
from gupgeo.readers.raw import RawLayer

log = logging.getLogger(__name__)

VECTOR_FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".zip": "Shapefile (zip)",
    ".fgb": "FlatGeobuf",
    ".kml": "KML",
    ".gpx": "GPX",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
}
GPX_LAYERS = ("waypoints", "tracks", "routes")
PARIS = "Europe/Paris"


def list_layers(path: Path) -> list[str]:
    """Names of the layers of a multi-layer source (GeoPackage, KML, GPX…)."""
    try:
        return [str(name) for name in fiona.listlayers(_gdal_path(path))]
    except Exception as exc:
        raise InputFileError(
            f"{path} : impossible de lister les couches ({exc}) ; le fichier est-il un "
            f"{VECTOR_FORMATS.get(path.suffix.lower(), 'fichier SIG')} valide ?"
        ) from exc


MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
"""Most a zip may expand to: a territory's shapefiles are a few megabytes."""
MAX_ZIP_RATIO = 100
"""Largest expansion ratio accepted: beyond it the archive is a zip bomb, not data."""
RATIO_CHECKED_FROM = 20 * 1024 * 1024
"""Expanded size from which the ratio is checked."""


def check_archive(path: Path) -> None:
    """Refuse a zip that is unreadable or would expand beyond the bounds, before GDAL opens it."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(f"{path} : archive zip illisible ({exc})") from exc
    expanded = sum(e.file_size for e in entries)
    packed = max(sum(e.compress_size for e in entries), 1)
    mb = 1024 * 1024
    # The ratio only matters once the expansion is large: a small dbf compresses well too.
    bomb = expanded > RATIO_CHECKED_FROM and expanded / packed > MAX_ZIP_RATIO
    if expanded > MAX_UNZIPPED_BYTES or bomb:
        raise InputFileError(
            f"{path} : archive refusée : {packed / mb:.1f} Mo compressés se décompresseraient "
            f"en {expanded / mb:.0f} Mo (rapport {expanded / packed:.0f}) ; limites : "
            f"{MAX_UNZIPPED_BYTES // mb} Mo décompressés et un rapport de {MAX_ZIP_RATIO}. "
            "Décompressez l'archive vous-même et donnez les fichiers utiles"
        )


def _gdal_path(path: Path) -> str:
    return f"zip://{path}" if path.suffix.lower() == ".zip" else str(path)


def read_vector(path: Path, *, layer: str | None = None) -> RawLayer:
    """Read one layer of a vector file into a :class:`RawLayer`."""
    suffix = path.suffix.lower()
    fmt = VECTOR_FORMATS.get(suffix, "fichier SIG")
    if suffix in (".parquet", ".geoparquet"):
        return read_parquet(path)
    if suffix == ".gpx" or (suffix == ".kml" and layer is None):
        return read_walk(path)[0]
    gdf, unreadable, gdal_warnings = _read_with_salvage(path, layer)
    gdf, zones = local_wall_clock(gdf)
    raw = _to_raw(gdf, path, fmt, layer)
    raw.notes.extend(zones)
    raw.unreadable = unreadable
    raw.notes.extend(dict.fromkeys(gdal_warnings))
    if fmt == "Shapefile" and raw.crs is None:
        raw.notes.append("aucun fichier .prj à côté du .shp : le CRS n'est pas déclaré")
    return raw


def _to_raw(gdf: pd.DataFrame, path: Path, fmt: str, layer: str | None) -> RawLayer:
    if not isinstance(gdf, gpd.GeoDataFrame):
        # A plain attribute table (e.g. a GeoPackage table without geometry).
        return RawLayer(frame=pd.DataFrame(gdf), source=str(path), format=fmt, layer=layer)
    crs = CRS.from_user_input(gdf.crs) if gdf.crs is not None else None
    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    frame["geometry"] = gdf.geometry.array
    raw = RawLayer(frame=frame, source=str(path), format=fmt, layer=layer, crs=crs)
    if crs is not None:
        raw.crs_note = f"{crs.name} (EPSG:{crs.to_epsg()}) déclaré par le fichier"
    return raw


def _read_with_salvage(
    path: Path, layer: str | None
) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]], list[str]]:
    """Bulk read with pyogrio; on failure, salvage feature by feature with Fiona.

    Returns the frame, the unreadable features, and GDAL's own warnings (which
    name problems such as malformed coordinates) so they reach the report.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with gc_paused():  # one shapely object per feature (see readers._bulk)
                frame = pyogrio.read_dataframe(_gdal_path(path), layer=layer)
        return frame, [], [f"GDAL : {w.message}" for w in caught]
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, …
        first_error = exc
    log.info("lecture groupée impossible (%s), récupération entité par entité", first_error)
    try:
        return (*_salvage(path, layer), [])
    except Exception as exc:
        raise InputFileError(
            f"{path} : fichier illisible ({first_error}) ; attendu un fichier "
            f"{VECTOR_FORMATS.get(path.suffix.lower(), 'SIG')} valide"
        ) from exc


def _salvage(path: Path, layer: str | None) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    """Read feature by feature with Fiona, keeping what can be read."""
    records: list[dict[str, object]] = []
    unreadable: list[tuple[str, str]] = []
    with fiona.open(_gdal_path(path), layer=layer) as src:
        crs = src.crs.to_wkt() if src.crs else None
        iterator = iter(src)
        position = 0
        while True:
            position += 1
            try:
                feature = next(iterator)
            except StopIteration:
                break
            except Exception as exc:
                unreadable.append((f"entité {position}", f"entité illisible : {exc}"))
                if len(unreadable) > 10_000:
                    break
                continue
            props = dict(feature.properties or {})
            geom = feature.geometry
            props["geometry"] = shapely.geometry.shape(geom) if geom is not None else None
            records.append(props)
    if not records and unreadable:
        raise InputFileError(f"{path} : aucune entité lisible")
    gdf = gpd.GeoDataFrame(records, geometry="geometry", crs=crs)
    return gdf, unreadable


def _read_all_layers(path: Path, fmt: str) -> RawLayer:
    parts = []
    notes: list[str] = []
    unreadable: list[tuple[str, str]] = []
    # pyogrio's own layer names: Fiona may name an unnamed KML folder differently.
    for name in [str(n) for n in pyogrio.list_layers(str(path))[:, 0]]:
        gdf, lost, _ = _read_with_salvage(path, name)
        gdf, zones = local_wall_clock(gdf)
        notes.extend(zones)
        unreadable.extend((f"{name} : {label}", msg) for label, msg in lost)
        if len(gdf):
            gdf["couche_source"] = name
            parts.append(gdf)
    if not parts:
        raise InputFileError(f"{path} : aucune entité dans le fichier {fmt}")
    merged = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    raw = _to_raw(merged, path, fmt, None)
    raw.unreadable = unreadable
    raw.notes.append(f"{len(parts)} dossier(s) {fmt} réunis")
    raw.notes.extend(dict.fromkeys(notes))
    return raw


def read_walk(path: Path) -> list[RawLayer]:
    """A GPX or KML walk file: its constats, then its diagnostic (see :mod:`.walks`)."""
    from gupgeo.readers.walks import split_walk

    whole = read_gpx(path) if path.suffix.lower() == ".gpx" else _read_all_layers(path, "KML")
    parts = split_walk(whole, path)
    _walk_defaults(parts[0])
    return parts


def read_gpx(path: Path) -> RawLayer:
    """Read the waypoints and tracks of a GPX walk (diagnostic en marchant), together.

    Each track becomes one line, dated by its first track point;
    :func:`gupgeo.readers.walks.split_walk` then makes the waypoints constats and the
    tracks the walk's route.
    """
    parts = []
    notes: list[str] = []
    available = set(list_layers(path))
    for name in GPX_LAYERS:
        if name not in available:
            continue
        gdf = pyogrio.read_dataframe(str(path), layer=name)
        if not len(gdf):
            continue
        gdf["couche_source"] = name
        if name == "tracks" and "track_points" in available and "time" not in gdf.columns:
            points = pyogrio.read_dataframe(str(path), layer="track_points", read_geometry=False)
            points, zones = local_wall_clock(points)
            notes.extend(zones)
            if "time" in points.columns and "track_fid" in points.columns:
                first = points.groupby("track_fid")["time"].min()
                gdf["time"] = first.reindex(range(len(gdf))).to_numpy()
        gdf, zones = local_wall_clock(gdf)
        notes.extend(zones)
        parts.append(gdf)
    if not parts:
        raise InputFileError(f"{path} : le GPX ne contient ni point de passage ni trace")
    merged = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    merged = merged.dropna(axis=1, how="all")
    raw = _to_raw(merged, path, "GPX", None)
    raw.crs_note = "WGS84 (EPSG:4326), imposé par la norme GPX"
    counts = merged["couche_source"].value_counts()
    raw.notes.append(
        "GPX : "
        + ", ".join(f"{n} {'points' if k == 'waypoints' else k}" for k, n in counts.items())
    )
    raw.notes.extend(dict.fromkeys(notes))
    raw.suggested_layer = "constats"
    return raw


def local_wall_clock(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Time-zone-aware columns as naive French wall-clock times, with a note for each.

    GPX and KML carry UTC (``Z``) or offset times (``+02:00``); a walk in France is
    dated by the time on the walkers' watches, so every aware column is converted to
    Europe/Paris and the zone dropped — said in the report. Mixed zones (waypoints in
    ``+02:00``, track points in UTC) can then be combined without error.
    """
    notes = []
    for col in frame.columns:
        dtype = frame[col].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            zone = str(dtype.tz)
            frame[col] = frame[col].dt.tz_convert(PARIS).dt.tz_localize(None)
            notes.append(
                f"heures « {col} » avec fuseau ({zone}) converties en heure légale de Paris "
                "(heure locale des observations)"
            )
    return frame, notes


def _walk_defaults(raw: RawLayer) -> None:
    """Give walk observations (GPX, KML) the columns a constat needs, saying so."""
    frame = raw.frame
    cols = {c.lower(): c for c in frame.columns if frame[c].notna().any()}
    filled = []
    if "id" not in cols:
        prefix = frame.get("couche_source", pd.Series("obs", index=frame.index)).astype(str)
        frame["id"] = prefix.str.slice(0, 3).str.upper() + "-" + (frame.index + 1).astype(str)
        filled.append("id (position dans le fichier)")
    if "date" not in cols:
        # KML: TimeStamp/when (GDAL's "timestamp") first, else the start of a TimeSpan.
        sources = [cols[c] for c in ("time", "timestamp", "when", "begin") if c in cols]
        if sources:
            date = frame[sources[0]]
            for other in sources[1:]:
                date = date.where(date.notna(), frame[other])
            frame["date"] = date
            filled.append("date ← " + " puis ".join(sources))
    if "theme" not in cols:
        for candidate in ("type", "name"):
            if candidate in cols:
                frame["theme"] = frame[cols[candidate]]
                filled.append(f"theme ← {cols[candidate]}")
                break
    if "description" not in cols and "desc" in cols:
        frame["description"] = frame[cols["desc"]]
        filled.append("description ← desc")
    if filled:
        raw.notes.append("colonnes déduites : " + ", ".join(filled))
