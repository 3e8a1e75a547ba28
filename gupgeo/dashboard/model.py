"""The GUP dashboard: every indicator table for a period, its series, sources and exports.

>>> import pandas as pd
>>> quartiers = pd.DataFrame({"code_qp": ["QP-A"], "nom_qp": ["A"], "population": [1000]})
>>> signalements = pd.DataFrame({
...     "id": ["1", "2"], "categorie": ["Tags", "Propreté"], "code_qp": ["QP-A", None],
...     "date_signalement": pd.to_datetime(["2024-02-03", "2024-05-06"]),
... })
>>> db = build_dashboard({"quartiers": quartiers, "signalements": signalements},
...                period="2024", freq="quarter")
>>> db["signalements"].loc[:, "nb_signalements"].to_dict()
{'QP-A': 1, 'hors QPV': 1, 'total': 2}
>>> db["degradations"].loc["QP-A", "tags et graffitis"]
np.int64(1)
>>> db.reconciliation()["ok"].all()
np.True_
"""

from __future__ import annotations

import dataclasses
import html
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from gupgeo.coverage import (
    OUTSIDE,
    LayerCoverage,
    Status,
    change_reason,
    coverage_frame,
    coverage_of,
    period_reason,
)
from gupgeo.dashboard._coverage import apply_coverage
from gupgeo.errors import SchemaError
from gupgeo.french import quartier_names
from gupgeo.indicators import actions as _actions
from gupgeo.indicators import agents as _agents
from gupgeo.indicators import constats as _constats
from gupgeo.indicators import degradations as _degradations
from gupgeo.indicators import diagnostics as _diagnostics
from gupgeo.indicators import signalements as _signalements
from gupgeo.indicators import tfpb as _tfpb
from gupgeo.indicators.agents import ProximitySources
from gupgeo.indicators.catalog import METHOD, TABLE_INFO, TABLES
from gupgeo.indicators.common import (
    EVOLUTION_COLUMNS,
    HORS_QPV,
    NAT_NS,
    TOTAL,
    Zones,
    dates_ns,
    single,
    zones_from,
)
from gupgeo.indicators.degradations import DegradationConfig
from gupgeo.indicators.distributed import gather_layers
from gupgeo.periods import FREQ_LABELS, Freq, Period, parse_freq, parse_period
from gupgeo.publication import Profil, Publication, Source, as_publication
from gupgeo.schemas import DATE_COLUMNS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DashboardConfig:
    """Choices behind the dashboard, passed down from the CLI or a notebook.

    ESSP findings (legally not communicable) are withheld by the publication the dashboard
    is built from (:func:`gupgeo.publication.publish`), never by the dashboard itself.
    ``attribuer``: a Dask layer without ``code_qp`` is attributed when its columns are
    gathered (:func:`gupgeo.indicators.distributed.gather_layers`).
    ``couverture`` declares the days a layer covers, ``{"garanties": ("2022-01-01",
    "2024-12-31")}`` (both included), replacing the span of its dates: for rare events
    whose last date is not the end of the data (see :mod:`gupgeo.coverage`).
    """

    degradations: DegradationConfig = field(default_factory=DegradationConfig)
    sources_proximite: ProximitySources = field(default_factory=ProximitySources)
    attribuer: bool = True
    couverture: Mapping[str, tuple[object, object]] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Dashboard:
    """Indicator tables of a territory for one period, with their series by ``freq``.

    Attributes
    ----------
    period, freq, subperiods
        The period, the frequency of the series and the sub-periods it yields.
    tables
        Table name → DataFrame indexed by ``code_qp`` for the whole period.
    series
        Table name → DataFrame indexed by (``code_qp``, ``periode``), one row per
        zone and sub-period; empty when ``freq`` does not cut the period.
    names
        ``code_qp`` → quartier name (plus "hors QPV" and "total").
    sources
        One row per layer used: rows, rows in the period, provenance.
    notes
        Method notes in French (definitions, what could not be computed and why).
    input_counts
        Layer → rows of the input dated within the period (for reconciliation).
    coverages
        Dated layer → the days its data covers (:class:`gupgeo.coverage.LayerCoverage`);
        figures of periods it does not cover are NaN ("n.c."), see :attr:`coverage`.
    """

    period: Period
    freq: Freq
    subperiods: tuple[Period, ...]
    tables: Mapping[str, pd.DataFrame]
    series: Mapping[str, pd.DataFrame]
    names: Mapping[str, str]
    sources: pd.DataFrame
    notes: tuple[str, ...]
    input_counts: Mapping[str, int]
    coverages: Mapping[str, LayerCoverage] = field(default_factory=dict)
    profil: Profil = Profil.INTERNE
    """The profile of the publication it was built from."""
    secret_threshold: int | None = None
    """``public``: counts from 1 to this − 1 read « secret »; None elsewhere."""
    checked: pd.DataFrame | None = None
    """``public``: the reconciliation made on the counts before secrecy hid some."""
    secret: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    """``public``: table name (``<name>@series`` for a series) → booleans, True where a
    NaN cell reads « secret » rather than « n.c. »
    (:mod:`gupgeo.dashboard.secrecy`)."""

    def secret_mask(self, name: str, *, series: bool = False) -> pd.DataFrame | None:
        """Where the cells of a table (or its series) read « secret » (None: nowhere)."""
        return self.secret.get(f"{name}@series" if series else name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(
                f"tableau {name!r} absent ; tableaux disponibles : {', '.join(self.tables)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __repr__(self) -> str:
        return (
            f"<Dashboard {self.period.label} ({FREQ_LABELS[self.freq]}) : "
            f"{len(self.tables)} tableaux, {len(self.names) - 2} quartiers>"
        )

    def _repr_html_(self) -> str:
        head = self.tables.get("signalements")
        body = head.to_html(float_format=lambda v: f"{v:.1f}") if head is not None else ""
        return f"<p><b>{html.escape(repr(self))}</b></p>{body}"

    @property
    def quartiers(self) -> tuple[str, ...]:
        """The quartier codes, in the order of the ``quartiers`` layer."""
        return tuple(c for c in self.names if c not in (HORS_QPV, TOTAL))

    @property
    def coverage(self) -> pd.DataFrame:
        """One row per dated layer: ``couche``, ``premiere_date``, ``derniere_date``,
        ``origine`` and ``couverture_periode`` (couverte, partielle, non couverte)."""
        return coverage_frame(self.coverages.values(), self.period)

    def period_coverage(self, layer: str) -> Status | None:
        """How the data of ``layer`` covers the period (None: layer without dates)."""
        cov = self.coverages.get(layer)
        return cov.status(self.period) if cov is not None else None

    def missing_reason(self, table: str, column: str) -> str | None:
        """Why ``table.column`` is n.c. because of the data's coverage (French), else None.

        The whole period outside the layer's coverage, or, for a change against the
        previous period, either period not entirely covered.
        """
        info = TABLE_INFO.get(table)
        cov = self.coverages.get(info.layer) if info is not None else None
        if cov is None:
            return None
        if cov.status(self.period) == OUTSIDE:
            return period_reason(cov, self.period)
        return change_reason(cov, self.period) if column in EVOLUTION_COLUMNS else None

    def reconciliation(self) -> pd.DataFrame:
        """For each count column: sum over quartiers + hors QPV, total, input rows.

        ``ok`` is true when the three agree. Every table is also checked for its
        total row being the sum of the other rows (count tables only). A period the
        layer does not cover has no counts (NaN): it is ``ok`` when no input row falls
        in it. A public dashboard gives the check made before secrecy (its ``ok``
        column; the counts themselves are not shown).
        """
        if self.checked is not None:
            return self.checked
        rows = []
        for info in TABLES:
            if info.name not in self.tables or info.count is None:
                continue
            frame = self.tables[info.name]
            col = frame[info.count]
            parts = float(col.drop(TOTAL).sum(min_count=1))
            total = float(col.loc[TOTAL])
            expected = self.input_counts.get(info.layer, np.nan)
            blank = np.isnan(parts) and np.isnan(total) and expected == 0
            rows.append(
                {
                    "tableau": info.name,
                    "colonne": info.count,
                    "quartiers_et_hors_qpv": parts,
                    "total": total,
                    "lignes_en_entree": expected,
                    "ok": blank or parts == total == expected,
                }
            )
        return pd.DataFrame(rows)


Computed = tuple[Mapping[str, pd.DataFrame] | pd.DataFrame, list[str]]


def _named(
    result: Mapping[str, pd.DataFrame] | pd.DataFrame, name: str
) -> Mapping[str, pd.DataFrame]:
    return {name: result} if isinstance(result, pd.DataFrame) else result


def _in_period(frame: pd.DataFrame, column: str, period: Period, layer: str) -> int:
    d = dates_ns(frame, column, layer=layer)
    return int(((d >= period.start_ns) & (d < period.end_ns) & (d != NAT_NS)).sum())


def build_dashboard(
    source: Publication | Source,
    *,
    period: object,
    freq: str = "month",
    config: DashboardConfig | None = None,
    publication: Profil | str | None = None,
) -> Dashboard:
    """Compute every GUP indicator of a publication for ``period``, with series by ``freq``.

    Parameters
    ----------
    source
        A :class:`~gupgeo.publication.Publication`; or, published here at the door for
        ``publication``, an attributed territory, a ``Territory`` or a mapping layer
        name → (Geo)DataFrame of validated layers (``code_qp`` on signalements and
        constats, or attributed here). ``quartiers`` is required; every other layer is
        optional. The signalements may be a Dask GeoDataFrame (attributed on a cluster
        by :func:`gupgeo.attribute_territory`): the columns the indicators read are
        gathered from it, and every table is the one of the in-memory path.
    publication
        The profile of a ``source`` that is not yet a Publication (default
        ``"partenaires"``): ESSP constats withheld, rare labels grouped; ``"public"``
        also applies statistical secrecy to every count
        (:mod:`gupgeo.dashboard.secrecy`).
    period
        ``"2024"``, ``"2024-T2"``/``"2024-Q2"``, ``"2024-03"``, a range
        (``"2024-01-15/2024-06-30"``, both dates included) or a ``Period``.
    freq
        ``"month"``, ``"quarter"`` or ``"year"`` (French names accepted): the step of
        the series (monthly counts by category, backlog by age…).
    config
        Dégradation mapping, proximity sources, ESSP exclusion, declared coverage.

    Returns
    -------
    Dashboard
        Figures of a period (or sub-period) that a layer's data does not cover are NaN
        ("n.c."), never 0, and so is every change against a previous period not
        entirely covered; the notes say why (:mod:`gupgeo.coverage`).
    """
    cfg = config or DashboardConfig()
    pub = as_publication(source, publication)
    layers, provenance = dict(pub.layers), pub.provenance
    if layers.get("quartiers") is None:
        raise SchemaError(
            "dashboard : la couche « quartiers » est nécessaire ; couches reçues : "
            f"{', '.join(layers) or 'aucune'}"
        )
    p = parse_period(period)
    f = parse_freq(freq)
    subs = p.split(f)
    zones = zones_from(layers["quartiers"])
    used = {k: v for k, v in layers.items() if v is not None}
    notes: list[str] = []
    notes.extend(gather_layers(used, attribuer=cfg.attribuer, fields=cfg.degradations.fields))
    # Coverage is read before the ESSP exclusion: it describes the data collected, and a
    # covered period without any communicable constat counts 0.
    declared = {name: LayerCoverage.declare(name, *span) for name, span in cfg.couverture.items()}
    coverages = coverage_of(used, declared)

    built = apply_coverage(_tables(used, zones, p, f, cfg, notes), coverages, p, subs, notes)
    counts = _input_counts(used, p)
    sources = _sources(used, counts, provenance)
    order = [t.name for t in TABLES if t.name in built]
    db = Dashboard(
        period=p,
        freq=f,
        subperiods=subs,
        tables={t: built[t][0] for t in order},
        series={t: s for t in order if (s := built[t][1]) is not None},
        names=_names(layers["quartiers"], zones),
        sources=sources,
        notes=tuple(dict.fromkeys([*METHOD, *pub.method_notes(), *notes])),
        input_counts=counts,
        coverages=coverages,
        profil=pub.profil,
        secret_threshold=pub.secret_threshold if pub.secret else None,
    )
    if not pub.secret:
        return db
    from gupgeo.dashboard.secrecy import protect_dashboard

    checked = db.reconciliation()
    checked = checked.assign(
        quartiers_et_hors_qpv=np.nan, total=np.nan, lignes_en_entree=np.nan
    )  # the check stands; its counts are not published
    return dataclasses.replace(
        protect_dashboard(db, threshold=pub.secret_threshold), checked=checked
    )


def _tables(
    used: Mapping[str, pd.DataFrame],
    zones: Zones,
    period: Period,
    freq: Freq,
    cfg: DashboardConfig,
    notes: list[str],
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame | None]]:
    """Every table of the layers present: (whole period, series by ``freq`` or None)."""
    subs = period.split(freq)
    built: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]] = {}
    if "signalements" in used:
        built.update(_signalement_tables(used["signalements"], zones, period, subs, cfg, notes))
    for name, compute, series_ok in _small_layers(used, zones, freq):
        result, layer_notes = compute((period,))
        notes.extend(layer_notes)
        parts = _named(compute(subs)[0], name) if len(subs) > 1 and series_ok else {}
        for table, whole in _named(result, name).items():
            built[table] = (single(whole), parts.get(table))
    for layer in dict.fromkeys(t.layer for t in TABLES if t.layer not in used):
        notes.append(f"couche « {layer} » absente : ses tableaux ne sont pas produits.")
    return built


def _signalement_tables(
    sig: pd.DataFrame,
    zones: Zones,
    period: Period,
    subs: tuple[Period, ...],
    cfg: DashboardConfig,
    notes: list[str],
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame | None]]:
    """Every table drawn from the signalements, for the period and its sub-periods."""
    prep = _signalements.prepare_signalements(sig, zones)
    notes.extend(prep.notes)
    many = len(subs) > 1
    # Sub-periods first: the whole period's backlog is then read from their last end.
    cuts = [_signalements.cut(prep, subs)] if many else []
    cuts.append(_signalements.cut(prep, (period,)))
    built: list[dict[str, pd.DataFrame]] = []
    proximity_notes: list[str] = []
    for c in cuts:
        proximity, proximity_notes = _agents.proximity_table(prep, c, cfg.sources_proximite)
        built.append(
            {
                "signalements": _signalements.summary_table(prep, c),
                "signalements_par_categorie": _signalements.category_table(prep, c),
                "signalements_par_statut": _signalements.status_table(prep, c),
                "degradations": _degradations.degradation_table(prep, c, cfg.degradations),
                "signalements_proximite": proximity,
            }
        )
    notes.extend(proximity_notes)
    whole, parts = built[-1], built[0] if many else None
    return {name: (single(frame), parts[name] if parts else None) for name, frame in whole.items()}


def _small_layers(
    used: Mapping[str, pd.DataFrame], zones: Zones, freq: Freq
) -> list[tuple[str, Callable[[tuple[Period, ...]], Computed], bool]]:
    """(name, tables for given periods, whether series make sense) of each small layer."""
    out: list[tuple[str, Callable[[tuple[Period, ...]], Computed], bool]] = []
    if "actions" in used:
        out.append(("actions", partial(_actions.action_tables, used["actions"], zones), True))
    if "tfpb" in used:  # annual figures: series only by year
        out.append(("tfpb", partial(_tfpb.tfpb_tables, used["tfpb"], zones), freq == "year"))
    if "arrets_agents" in used:
        stoppages = partial(_agents.stoppage_tables, used["arrets_agents"], zones)
        out.append(("arrets_agents", stoppages, True))
    if "reunions" in used:
        out.append(("reunions", partial(_agents.meeting_tables, used["reunions"], zones), True))
    if "garanties" in used:
        objets = {k: used[k] for k in ("operations", "equipements") if k in used}
        guarantees = partial(_agents.guarantee_tables, used["garanties"], zones, objets=objets)
        out.append(("garanties", guarantees, True))
    if "constats" in used:
        out.append(("constats", partial(_constats.constat_tables, used["constats"], zones), True))
    if "diagnostics" in used:
        walks = partial(
            _diagnostics.diagnostic_tables, used["diagnostics"], used.get("constats"), zones
        )
        out.append(("diagnostics", walks, True))
    return out


def _input_counts(used: Mapping[str, pd.DataFrame], period: Period) -> dict[str, int]:
    """Rows of each dated layer within the period (TFPB: rows of the years it touches)."""
    counts = {
        name: _in_period(frame, DATE_COLUMNS[name], period, name)
        for name, frame in used.items()
        if name in DATE_COLUMNS
    }
    if "tfpb" in used:
        years = range(period.start.year, (period.end - pd.Timedelta(nanoseconds=1)).year + 1)
        annee = pd.to_numeric(used["tfpb"]["annee"], errors="coerce")
        counts["tfpb"] = int(annee.isin(list(years)).sum())
    return counts


def _sources(
    used: Mapping[str, pd.DataFrame], counts: Mapping[str, int], provenance: Mapping[str, object]
) -> pd.DataFrame:
    """One row per layer used: rows, rows in the period, provenance."""
    return pd.DataFrame(
        [
            {
                "couche": name,
                "lignes": len(frame),
                "lignes_dans_la_periode": counts.get(name, np.nan),
                "provenance": _provenance(provenance.get(name)),
            }
            for name, frame in used.items()
        ]
    )


def _provenance(value: object) -> str:
    """The source of a layer in a few words (file and format when known)."""
    if value is None:
        return ""
    source = getattr(value, "source", None)
    if source is None:
        return str(value)
    fmt = getattr(value, "format", None)
    return f"{source} ({fmt})" if fmt else str(source)


def _names(quartiers: pd.DataFrame, zones: Zones) -> dict[str, str]:
    """Quartier names as a reader sees them (homonyms told apart by their commune)."""
    names = dict(zip(zones.codes, quartier_names(quartiers).tolist(), strict=True))
    names[HORS_QPV] = "Hors QPV"
    names[TOTAL] = "Total"
    return names


__all__ = ["Dashboard", "DashboardConfig", "build_dashboard"]
