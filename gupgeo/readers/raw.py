"""The raw result of reading a file, before validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from geopandas.array import GeometryDtype
from pyproj import CRS


@dataclass
class RawLayer:
    """Rows as found in a source, with what the reader learnt about them.

    ``frame`` holds the source's own columns. Spatial sources carry a
    ``geometry`` column of shapely geometries (``frame`` is then a
    GeoDataFrame); tabular sources instead name their coordinate columns in
    ``x_column``/``y_column``, or one ``xy_column`` read as ``xy_order`` says:
    ``"yx"`` for a combined ``"lat, lon"`` field (or its ``{"lon", "lat"}``
    object), ``"wkt"`` for WKT, ``"geojson"`` for GeoJSON geometries.
    :meth:`label` says where a row is in the source (``"ligne 12"``,
    ``"entité 3"``) so messages point at the right place: ``label_prefix`` and
    ``label_offset`` compute it from the row position, unless explicit
    ``row_labels`` are given (e.g. a spreadsheet whose blank rows were skipped).
    """

    frame: pd.DataFrame
    source: str
    format: str
    row_labels: list[str] | None = None
    label_prefix: str = "entité"
    label_offset: int = 1
    lazy_labels: Callable[[], list[str] | None] | None = None
    layer: str | None = None
    crs: CRS | None = None
    crs_note: str = ""
    x_column: str | None = None
    y_column: str | None = None
    xy_column: str | None = None
    xy_order: str = "xy"
    decimal_comma: bool = False
    notes: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    suggested_layer: str | None = None
    metadata: dict[str, object] = field(default_factory=dict)

    def label(self, position: int) -> str:
        """Where the row at ``position`` (0-based) is in the source."""
        if self.lazy_labels is not None:
            # Computed on the first message only: a clean file never pays for it.
            self.row_labels, self.lazy_labels = self.lazy_labels(), None
        if self.row_labels is not None:
            return self.row_labels[position]
        return f"{self.label_prefix} {position + self.label_offset}"

    @property
    def has_geometry(self) -> bool:
        """Whether the reader built geometries (a ``geometry`` column of text is WKT to parse)."""
        return "geometry" in self.frame.columns and isinstance(
            self.frame["geometry"].dtype, GeometryDtype
        )
