"""GUP indicators: pure functions from attributed layers to tables indexed by ``code_qp``.

Every table has one row per quartier, then ``"hors QPV"`` and ``"total"``; columns
carry their unit in their name (``par_1000_habitants``, ``par_ha``, ``_jours``,
``_pct``, ``_eur``). Method notes (French) are in ``table.attrs["notes"]``.

Repeated problems (reported several times, counted once) are counted in
:mod:`gupgeo.veille.problems`, beside the grouping of :mod:`gupgeo.veille` (esda
and libpysal stay out of the indicators).
"""

from __future__ import annotations

from gupgeo.indicators.actions import action_counts, actions_by_theme
from gupgeo.indicators.agents import (
    ProximitySources,
    agent_meetings,
    agent_stoppages,
    guarantee_uses,
    guarantees_by_object,
    signalements_by_proximity_agents,
)
from gupgeo.indicators.common import HORS_QPV, TOTAL
from gupgeo.indicators.constats import constat_summary, constats_by_theme
from gupgeo.indicators.degradations import DegradationConfig, degradation_counts
from gupgeo.indicators.diagnostics import diagnostic_summary, followup_status
from gupgeo.indicators.signalements import (
    signalement_summary,
    signalements_by_category,
    signalements_by_status,
)
from gupgeo.indicators.tfpb import (
    tfpb_actions_by_axis,
    tfpb_amounts_by_axis,
    tfpb_by_bailleur,
    tfpb_summary,
)
from gupgeo.periods import Period, PeriodError, parse_freq, parse_period

__all__ = [
    "HORS_QPV",
    "TOTAL",
    "DegradationConfig",
    "Period",
    "PeriodError",
    "ProximitySources",
    "action_counts",
    "actions_by_theme",
    "agent_meetings",
    "agent_stoppages",
    "constat_summary",
    "constats_by_theme",
    "degradation_counts",
    "diagnostic_summary",
    "followup_status",
    "guarantee_uses",
    "guarantees_by_object",
    "parse_freq",
    "parse_period",
    "signalement_summary",
    "signalements_by_category",
    "signalements_by_proximity_agents",
    "signalements_by_status",
    "tfpb_actions_by_axis",
    "tfpb_amounts_by_axis",
    "tfpb_by_bailleur",
    "tfpb_summary",
]
