"""The Territory: validated layers plus where each came from, in memory.

A territory is loaded from a folder of files, a GeoPackage or a PostGIS schema by
:mod:`gupgeo.storage.loading` (validated on the way in) and saved by
:mod:`gupgeo.storage.saving`; this module is the container alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gupgeo.coverage import coverage_frame, coverage_of
from gupgeo.errors import SchemaError
from gupgeo.french import format_count, geometry_type
from gupgeo.schemas import LAYER_NAMES, SCHEMAS
from gupgeo.validation.report import ValidationReport


@dataclass(frozen=True)
class Provenance:
    """Where a layer came from and what it is worth."""

    layer: str
    source: str
    format: str
    rows: int
    crs_source: str = ""
    file_date: str | None = None
    qpv_vintage: int | None = None
    perimeters: str | None = None

    def to_text(self) -> str:
        parts = [f"{self.source} ({self.format})"]
        if self.file_date:
            parts.append(f"fichier du {self.file_date}")
        if self.qpv_vintage:
            parts.append(f"géographie prioritaire {self.qpv_vintage}")
        if self.perimeters:
            parts.append(f"périmètres {self.perimeters}")
        return ", ".join(parts)


class Territory:
    """Validated layers of a territory, their provenance and the validation report.

    Layers are GeoDataFrames in Lambert-93 (EPSG:2154) for spatial layers and
    DataFrames for plain tables, with the canonical columns of
    :mod:`gupgeo.schemas`.

    Examples
    --------
    >>> from gupgeo import load_territory
    >>> t = load_territory("data/sample")
    >>> t["quartiers"].crs.to_epsg()
    2154
    >>> len(t["quartiers"])
    10
    >>> t.report.balanced
    True
    """

    def __init__(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        provenance: Mapping[str, Provenance] | None = None,
        report: ValidationReport | None = None,
    ) -> None:
        unknown = [name for name in layers if name not in SCHEMAS]
        if unknown:
            raise SchemaError(
                f"couche(s) inconnue(s) : {', '.join(unknown)} ; attendu : {', '.join(LAYER_NAMES)}"
            )
        self.layers: dict[str, pd.DataFrame] = {n: layers[n] for n in LAYER_NAMES if n in layers}
        self.provenance: dict[str, Provenance] = dict(provenance or {})
        self.report = report if report is not None else ValidationReport()
        self.attribution: dict[str, Any] = {}
        """Attribution reports by layer, filled by :func:`gupgeo.attribute_territory`."""
        self.attribution_settings: Any = None
        """How the layers were attributed (:class:`gupgeo.attribution.AttributionSettings`),
        or None when they were not: every product reads its counts from this one
        attribution and never attributes again with other settings."""

    def with_layers(self, layers: Mapping[str, pd.DataFrame]) -> Territory:
        """A copy whose layers are ``layers`` (others unchanged), keeping provenance,
        validation report and attribution (reports and settings)."""
        out = Territory({**self.layers, **layers}, provenance=self.provenance, report=self.report)
        out.attribution = dict(self.attribution)
        out.attribution_settings = self.attribution_settings
        return out

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(
                f"couche « {name} » absente du territoire ; couches présentes : "
                f"{', '.join(self.layers) or 'aucune'}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.layers

    def __iter__(self) -> Iterator[str]:
        return iter(self.layers)

    def get(self, name: str) -> pd.DataFrame | None:
        return self.layers.get(name)

    def validate(self) -> ValidationReport:
        """The validation report of the load (every layer, every row accounted for)."""
        return self.report

    def coverage(self) -> pd.DataFrame:
        """One row per dated layer: ``couche``, ``premiere_date``, ``derniere_date``.

            The days the data of each layer covers (see :mod:`gupgeo.coverage`): a period
            outside them has no figures ("n.c.") in the dashboard, never 0.

            Examples
            --------
            >>> from gupgeo import load_territory
        >>> t = load_territory("data/sample")
            >>> row = t.coverage().set_index("couche").loc["signalements"]
            >>> f"{row['premiere_date']:%d/%m/%Y} – {row['derniere_date']:%d/%m/%Y}"
            '01/01/2022 – 31/12/2024'
        """
        return coverage_frame(coverage_of(self.layers).values())

    def summary_frame(self) -> pd.DataFrame:
        """One row per layer: rows, geometry kinds, period covered, source."""
        rows = []
        coverages = coverage_of(self.layers)
        for name, frame in self.layers.items():
            schema = SCHEMAS[name]
            prov = self.provenance.get(name)
            period = ""
            cov = coverages.get(name)
            if cov is not None and cov.first is not None and cov.last is not None:
                period = f"{cov.first:%d/%m/%Y} – {cov.last:%d/%m/%Y}"
            for col in schema.date_columns if cov is None else ():
                if col in frame.columns and frame[col].notna().any():
                    period = f"{frame[col].min():%d/%m/%Y} – {frame[col].max():%d/%m/%Y}"
                    break
            kinds = ""
            if isinstance(frame, gpd.GeoDataFrame) and len(frame):
                kinds = ", ".join(
                    sorted(
                        geometry_type(str(k)) for k in frame.geometry.geom_type.dropna().unique()
                    )
                )
            rows.append(
                {
                    "couche": name,
                    "lignes": len(frame),
                    "géométries": kinds,
                    "période": period,
                    "source": prov.to_text() if prov else "",
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A French summary of the territory, as printed by ``gupgeo info``."""
        lines = ["Territoire gupgeo"]
        q = self.get("quartiers")
        if q is not None and len(q):
            surface = q.geometry.area.sum() / 10_000
            pop = q["population"].sum() if "population" in q.columns else None
            lines.append(
                f"  {len(q)} quartier(s), {format_count(round(surface))} ha"
                + (f", {format_count(int(pop))} habitants connus" if pop else "")
            )
            prov = self.provenance.get("quartiers")
            if prov and prov.perimeters:
                lines.append(f"  périmètres : {prov.perimeters}")
        for row in self.summary_frame().itertuples(index=False):
            detail = ", ".join(str(v) for v in (row[2], row[3]) if v)
            lines.append(
                f"  - {row[0]:<14} {format_count(row[1]):>9} ligne(s)"
                + (f"  [{detail}]" if detail else "")
            )
            if row[4]:
                lines.append(f"      source : {row[4]}")
        missing = [n for n in LAYER_NAMES if n not in self.layers]
        if missing:
            lines.append("  couches absentes : " + ", ".join(missing))
        return "\n".join(lines)

    def __repr__(self) -> str:
        inside = ", ".join(f"{n}={len(f)}" for n, f in self.layers.items())
        return f"Territory({inside})"

    def save(
        self,
        path: str | Path,
        *,
        rejects: bool = True,
        extra: Mapping[str, pd.DataFrame] | None = None,
        format: str | None = None,
    ) -> Path | str:
        """Write every layer into one GeoPackage (and the rejects beside it), safely;
        or into a PostGIS schema (``path`` a ``postgresql://`` URL), or a GeoParquet
        folder (``format="parquet"``): see :func:`gupgeo.storage.saving.save_territory`.
        """
        from gupgeo.storage.saving import save_territory

        return save_territory(self, path, rejects=rejects, extra=extra, format=format)


__all__ = ["Provenance", "Territory"]
