"""The atlas controls, in the manner of QGIS Atlas: coverage filter, order, names, extent.

:class:`AtlasOptions` is frozen and validated once; :func:`select_quartiers` applies
the filter and the order to the ``quartiers`` layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

import pandas as pd

from gupgeo.atlas.naming import check_pattern
from gupgeo.errors import SchemaError
from gupgeo.periods import parse_freq
from gupgeo.veille.problems import RepeatRule

Extent = Literal["auto", "fixed"]
INDICATORS: dict[str, tuple[str, str, str]] = {
    "signalements_par_1000": ("signalements", "par_1000_habitants", "Signalements pour 1 000 hab."),
    "signalements_par_ha": ("signalements", "par_ha", "Signalements par hectare"),
    "signalements": ("signalements", "nb_signalements", "Signalements"),
    "degradations_par_1000": ("degradations", "par_1000_habitants", "Dégradations pour 1 000 hab."),
    "degradations": ("degradations", "nb_degradations", "Dégradations"),
    "stock": ("signalements", "stock_fin_periode", "Stock ouvert en fin de période"),
    "delai_median": ("signalements", "delai_median_jours", "Délai médian de clôture (jours)"),
    "actions": ("actions", "nb_actions", "Actions GUP"),
}
"""Indicators the overview map can show: key → (dashboard table, column, French label)."""


@dataclass(frozen=True)
class AtlasOptions:
    """How the atlas is cut, named and drawn.

    Parameters
    ----------
    quartiers
        Codes (``code_qp``) of the quartiers to build, in any order; ``None``: all.
    filter
        A pandas query over the ``quartiers`` layer (``"commune == 'Tours'"``) or a
        function of the layer returning a boolean Series — the coverage filter.
    order_by
        Column of the ``quartiers`` layer sorting the pages (default: layer order);
        ``descending`` reverses it.
    page_name, file_name
        Patterns over the columns of ``quartiers`` (``"{nom_qp} ({commune})"``): plain
        ``{column}`` fields only, no ``.``, ``[ ]``, ``!`` or ``:`` inside the braces;
        the file name is then made safe (see :mod:`gupgeo.atlas.naming`). Defaults:
        pages named ``{nom_qp}`` — the commune is added where two quartiers share a
        name, then the code if needed — and files named after ``{code_qp}``, stable
        from one run to the next whatever the names.
    extent
        ``"auto"``: each map fits its quartier plus ``margin_pct`` % on each side;
        ``"fixed"``: every map has the same size on the ground (``fixed_size_m`` metres
        wide, default the largest quartier plus its margin), centred on its quartier.
    indicator
        Indicator of the overview choropleth, a key of :data:`INDICATORS`; ``"auto"``:
        signalements per 1,000 inhabitants when every quartier's population is known,
        else per hectare.
    basemap
        Basemap of the interactive maps (``"plan-ign"``, ``"osm"``, ``"ortho-ign"``, None).
    freq
        Step of the charts' series: ``"month"``, ``"quarter"`` or ``"year"``.
    repeat_radius_m, repeat_days
        Two signalements of one category are the same problem when the later lies
        within ``repeat_radius_m`` metres and ``repeat_days`` days of the first report
        of the problem (:class:`gupgeo.veille.problems.RepeatRule`); the "Veille"
        section lists the problems reported several times.
    veille_cell_m, veille_freq
        Side (metres) of the INSEE-aligned cells of the hot spots, and length of a
        period of the emerging hot spots (``"month"``, ``"quarter"``, ``"year"``).
    max_rows
        Longest list printed per section (constats, actions, operations); the rest is
        counted, never silently dropped.
    title
        Title of the atlas.
    pdf
        Also write ``atlas.pdf`` and one PDF per quartier (needs WeasyPrint).
    """

    quartiers: tuple[str, ...] | None = None
    filter: str | Callable[[pd.DataFrame], Any] | None = None
    order_by: str | None = None
    descending: bool = False
    page_name: str = "{nom_qp}"
    file_name: str = "{code_qp}"
    extent: Extent = "auto"
    margin_pct: float = 10.0
    fixed_size_m: float | None = None
    indicator: str = "auto"
    basemap: str | None = "plan-ign"
    freq: str = "month"
    repeat_radius_m: float = 20.0
    repeat_days: float = 30.0
    veille_cell_m: float = 200.0
    veille_freq: str = "month"
    max_rows: int = 60
    title: str = "Atlas des quartiers"
    pdf: bool = False

    def __post_init__(self) -> None:
        if self.quartiers is not None:
            if isinstance(self.quartiers, str):
                object.__setattr__(self, "quartiers", (self.quartiers,))
            else:
                object.__setattr__(self, "quartiers", tuple(str(q) for q in self.quartiers))
        if self.extent not in ("auto", "fixed"):
            raise ValueError(f"extent : {self.extent!r} ; attendu 'auto' ou 'fixed'")
        if not (math.isfinite(self.margin_pct) and 0 <= self.margin_pct <= 200):
            raise ValueError(f"margin_pct : {self.margin_pct!r} ; attendu entre 0 et 200 (%)")
        if self.fixed_size_m is not None and not self.fixed_size_m > 0:
            raise ValueError(
                f"fixed_size_m : {self.fixed_size_m!r} ; attendu un nombre de mètres > 0"
            )
        if self.indicator != "auto" and self.indicator not in INDICATORS:
            raise ValueError(
                f"indicator : {self.indicator!r} inconnu ; attendu l'un de {sorted(INDICATORS)}"
            )
        RepeatRule(radius_m=self.repeat_radius_m, days=self.repeat_days)  # French errors
        if not (math.isfinite(self.veille_cell_m) and 50 <= self.veille_cell_m <= 5000):
            raise ValueError(
                f"veille_cell_m : {self.veille_cell_m!r} ; attendu un côté de carreau entre "
                "50 et 5000 mètres"
            )
        parse_freq(self.veille_freq)
        if self.max_rows < 1:
            raise ValueError(f"max_rows : {self.max_rows!r} ; attendu ≥ 1")

    @classmethod
    def from_controls(cls, options: AtlasOptions | None, controls: dict[str, Any]) -> AtlasOptions:
        """``options`` with the keyword ``controls`` of :func:`build_atlas` applied."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(controls) - known)
        if unknown:
            raise TypeError(
                f"build_atlas : option(s) inconnue(s) {unknown} ; options possibles : "
                f"{sorted(known)}"
            )
        base = options or cls()
        if not controls:
            return base
        values = {f.name: getattr(base, f.name) for f in fields(cls)}
        values.update(controls)
        return cls(**values)


def select_quartiers(quartiers: pd.DataFrame, options: AtlasOptions) -> pd.DataFrame:
    """The quartiers kept by the filter and codes, in page order (QGIS *coverage layer*)."""
    columns = [str(c) for c in quartiers.columns if c != "geometry"]
    check_pattern(options.page_name, columns, name="page_name")
    check_pattern(options.file_name, columns, name="file_name")
    selected = quartiers
    if options.quartiers is not None:
        codes = quartiers["code_qp"].astype("object").map(str)
        unknown = sorted(set(options.quartiers) - set(codes))
        if unknown:
            raise SchemaError(
                f"quartiers : code(s) {unknown} absent(s) de la couche quartiers ; codes "
                f"disponibles : {', '.join(codes)}"
            )
        selected = selected[codes.isin(options.quartiers).to_numpy()]
    if options.filter is not None:
        selected = _apply_filter(selected, options.filter)
    if options.order_by is not None:
        if options.order_by not in columns:
            raise SchemaError(
                f"order_by : colonne {options.order_by!r} absente ; colonnes : {', '.join(columns)}"
            )
        selected = selected.sort_values(
            options.order_by, ascending=not options.descending, kind="stable", na_position="last"
        )
    elif options.descending:
        selected = selected.iloc[::-1]
    if selected.empty:
        raise ValueError("atlas : aucun quartier ne passe le filtre ; aucune page à produire")
    return selected


def _apply_filter(frame: pd.DataFrame, rule: Any) -> pd.DataFrame:
    if callable(rule):
        mask = rule(frame)
    else:
        try:
            mask = frame.eval(str(rule))
        except Exception as exc:
            raise ValueError(
                f"filter : expression {rule!r} non comprise ({exc}) ; exemple attendu : "
                "\"commune == 'Tours' and population > 2000\""
            ) from exc
    mask = pd.Series(mask, index=frame.index) if not isinstance(mask, pd.Series) else mask
    if mask.dtype != bool:
        mask = mask.astype("boolean").fillna(False).astype(bool)
    return frame[mask.to_numpy()]


def resolve_indicator(indicator: str, selected: pd.DataFrame) -> str:
    """The overview indicator: ``indicator``, or for ``"auto"`` the best-known rate."""
    if indicator != "auto":
        return indicator
    population = (
        pd.to_numeric(selected["population"], errors="coerce")
        if "population" in selected.columns
        else pd.Series(dtype="float64")
    )
    known = (
        len(population) == len(selected)
        and bool(population.notna().all())
        and bool((population.fillna(0) > 0).all())
    )
    return "signalements_par_1000" if known else "signalements_par_ha"
