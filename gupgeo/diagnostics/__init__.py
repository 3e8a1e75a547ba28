"""Diagnostics en marchant: the walk sheet, the relevé de conclusions, the follow-up.

- :func:`build_suivi` / :func:`write_suivi`: follow-up per partner and quartier as of a
  day (``suivi.csv``, ``en_retard.csv``);
- :func:`build_releve` / :func:`write_releve`: the relevé de conclusions of one walk
  (HTML offline, XLSX, PDF);
- :func:`build_sheet` / :func:`write_sheet`: the walk sheet of a quartier (HTML for a
  tablet, A4 PDF).

Every product starts from a :class:`~gupgeo.publication.Publication` (``partenaires`` by
default) and reads its follow-up figures from
:func:`gupgeo.indicators.diagnostics.followup_status`.
"""

from __future__ import annotations

from gupgeo.diagnostics.model import Suivi, build_suivi, publish_diagnostics
from gupgeo.diagnostics.releve import Releve, build_releve, write_releve
from gupgeo.diagnostics.sheet import Sheet, build_sheet, write_sheet
from gupgeo.diagnostics.suivi import write_suivi

__all__ = [
    "Releve",
    "Sheet",
    "Suivi",
    "build_releve",
    "build_sheet",
    "build_suivi",
    "publish_diagnostics",
    "write_releve",
    "write_sheet",
    "write_suivi",
]
