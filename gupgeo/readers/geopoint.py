"""Points and shapes written as text in one field, as open-data portals export them.

Opendatasoft portals (Paris' DansMaRue among them) write ``geo_point_2d`` as
``"48.88, 2.33"`` (latitude first) in CSV, as a JSON object
``{"lon": 2.33, "lat": 48.88}`` in JSON exports, and re-exports through pandas
turn it into a Python literal ``{'lon': 2.33, 'lat': 48.88}``. ``geo_shape`` is a
GeoJSON geometry (or Feature), in either quoting. Everything here is parsed with
regular expressions and :func:`json.loads`, never ``eval``: a field is data.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import shapely

from gupgeo.readers.bulk import gc_paused

_NUMBER = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
_KEY_VALUE = r"""["']?{key}["']?\s*:\s*["']?""" + _NUMBER
_LON = re.compile(_KEY_VALUE.format(key="(?:lon|lng|long|longitude)"), re.IGNORECASE)
_LAT = re.compile(_KEY_VALUE.format(key="(?:lat|latitude)"), re.IGNORECASE)
_PAIR = re.compile(r"^\s*[\[(]?\s*" + _NUMBER + r"\s*[,;]\s*" + _NUMBER + r"\s*[\])]?\s*$")


def parse_lat_lon(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of a ``geo_point_2d``-like column (NaN where unreadable).

    A pair without keys is read latitude first (``"48.88, 2.33"``, the portals'
    order); an object names its keys (``lon``/``lat``), in any order and quoting.

    Examples
    --------
    >>> x, y = parse_lat_lon(
    ...     pd.Series(
    ...         ["48.88, 2.33", '{"lon": 2.34, "lat": 48.87}', "{'lat': 48.86, 'lon': 2.35}", "x"]
    ...     )
    ... )
    >>> x.tolist()[:3], y.tolist()[:3], bool(np.isnan(x[3]))
    ([2.33, 2.34, 2.35], [48.88, 48.87, 48.86], True)
    """
    if values.dtype == object:  # a JSON export hands objects, not text
        values = values.map(lambda v: json.dumps(v) if isinstance(v, dict | list) else v)
    text = values.astype("string")
    pair = text.str.extract(_PAIR)
    y = pd.to_numeric(pair[0], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    x = pd.to_numeric(pair[1], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    keyed = np.isnan(x) & text.str.contains("lat", case=False, regex=False).fillna(False).to_numpy(
        dtype=bool
    )
    if keyed.any():
        sub = text[keyed]
        lon = pd.to_numeric(sub.str.extract(_LON)[0], errors="coerce")
        lat = pd.to_numeric(sub.str.extract(_LAT)[0], errors="coerce")
        x[keyed] = lon.to_numpy(dtype="float64", na_value=np.nan)
        y[keyed] = lat.to_numpy(dtype="float64", na_value=np.nan)
    return x, y


def _geojson(value: object) -> shapely.Geometry | None:
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("{"):
            return None
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            try:  # a Python literal: single quotes around keys and geometry types only
                value = json.loads(text.replace("'", '"'))
            except (json.JSONDecodeError, RecursionError):
                return None
    if not isinstance(value, dict):
        return None
    if value.get("type") == "Feature":
        value = value.get("geometry")
    try:
        return shapely.geometry.shape(value)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException):
        return None


def parse_geojson(values: pd.Series) -> np.ndarray:
    """Geometries of a ``geo_shape``-like column of GeoJSON text (None where unreadable).

    Examples
    --------
    >>> point = '{"type": "Point", "coordinates": [2.33, 48.88]}'
    >>> g = parse_geojson(pd.Series([point, "{'x'", None]))
    >>> [None if v is None else v.wkt for v in g]
    ['POINT (2.33 48.88)', None, None]
    """
    with gc_paused():
        return np.array([_geojson(v) for v in values.tolist()], dtype=object)
