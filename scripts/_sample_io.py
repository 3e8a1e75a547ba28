"""Deterministic writers and small helpers shared by the sample-territory generator.

Everything here writes text byte-identically for the same input: hand-serialised
GeoJSON (one feature per line, WGS84 rounded to 6 decimals) and French CSV
(``;`` separator, decimal comma, UTF-8 with BOM, ``dd/mm/yyyy`` dates).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from gupgeo.crs import DISPLAY_CRS, WORK_CRS

_TO_WGS = Transformer.from_crs(WORK_CRS, DISPLAY_CRS, always_xy=True)
_TO_L93 = Transformer.from_crs(DISPLAY_CRS, WORK_CRS, always_xy=True)

START = dt.date(2022, 1, 1)
END = dt.date(2024, 12, 31)
"""The period covered by the sample (also its extraction date)."""


def child_rng(seed: int, name: str) -> np.random.Generator:
    """An independent generator per part, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def l93_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lambert-93 metres to WGS84 degrees rounded to 6 decimals."""
    lon, lat = _TO_WGS.transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, 6), np.round(lat, 6)


def lonlat_to_l93(lon: float, lat: float) -> tuple[float, float]:
    """One WGS84 point to Lambert-93."""
    x, y = _TO_L93.transform(lon, lat)
    return float(x), float(y)


def geom_to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    """A Lambert-93 geometry in WGS84, rounded to 6 decimals, rings counter-clockwise."""

    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = _TO_WGS.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), 6)

    return shapely.orient_polygons(shapely.transform(geom, project), exterior_cw=False)


def feature(properties: dict[str, object], geom_l93: BaseGeometry | None) -> dict[str, object]:
    """A GeoJSON feature from properties and a Lambert-93 geometry."""
    geometry = None if geom_l93 is None else mapping(geom_to_wgs84(geom_l93))
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write_geojson(
    path: Path,
    features: Sequence[dict[str, object]],
    *,
    name: str,
    description: str,
) -> None:
    """Write a FeatureCollection, one feature per line, with ``name``/``description`` members."""
    head = {"type": "FeatureCollection", "name": name, "description": description}
    head_json = json.dumps(head, ensure_ascii=False)[:-1]
    body = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    path.write_text(head_json + ', "features": [\n' + body + "\n]}\n", encoding="utf-8")


def fr_date(d: dt.date | None) -> str:
    """``dd/mm/yyyy``, or an empty cell."""
    return "" if d is None else d.strftime("%d/%m/%Y")


def fr_number(value: float | None, decimals: int) -> str:
    """A number with a decimal comma and no thousands separator, or an empty cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return f"{value:.{decimals}f}".replace(".", ",")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], *, sep: str = ";") -> str:
    """CSV text with minimal quoting and ``\\n`` line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def write_french_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """French CSV: ``;`` separator, UTF-8 with BOM (values already formatted)."""
    path.write_text(csv_text(header, rows), encoding="utf-8-sig", newline="")


def day_from_index(i: int | np.integer) -> dt.date:
    """The date ``i`` days after :data:`START`."""
    return START + dt.timedelta(days=int(i))


def n_days() -> int:
    """Number of days in the sample period (inclusive)."""
    return (END - START).days + 1


def points_in(
    area: BaseGeometry, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform random points inside ``area`` (rejection sampling, vectorised)."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    got = 0
    while got < n:
        k = max(64, 2 * (n - got))
        x = rng.uniform(minx, maxx, k)
        y = rng.uniform(miny, maxy, k)
        ok = shapely.contains_xy(area, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]
