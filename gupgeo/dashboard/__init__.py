"""The GUP dashboard: indicators of a territory for a period, their exports and charts.

- :mod:`gupgeo.dashboard.model` — :func:`build_dashboard` and the :class:`Dashboard`
  it returns (tables indexed by ``code_qp``, with "hors QPV" and "total"); the model
  imports none of its renderers.
- :mod:`gupgeo.dashboard.export` — CSV, XLSX, long table (:func:`export_dashboard`).
- :mod:`gupgeo.dashboard.charts` — A4 charts of the tables and series.
"""

from __future__ import annotations

from gupgeo.dashboard.export import export_dashboard, long_table, write_csv, write_xlsx
from gupgeo.dashboard.model import Dashboard, DashboardConfig, build_dashboard

__all__ = [
    "Dashboard",
    "DashboardConfig",
    "build_dashboard",
    "export_dashboard",
    "long_table",
    "write_csv",
    "write_xlsx",
]
