"""Everything the pages need, computed once in the main process and cut per quartier.

The publication is made first (:func:`gupgeo.publication.publish`): the
dashboard, the veille (:mod:`gupgeo.atlas._veille`), the page names, the lists and the
maps are all computed from the published territory, so no raw label reaches a shared
page. Each page then receives a small picklable
:class:`QuartierTask` holding only its rows (its dashboard row, the features inside
its map frame, its constats, actions, operations), so pages can be built in
parallel with any process start method.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gupgeo.atlas._veille import AtlasVeille, QuartierVeille, atlas_veille, quartier_veille
from gupgeo.atlas.naming import apply_pattern, distinct_stems, safe_stem
from gupgeo.atlas.options import AtlasOptions, resolve_indicator, select_quartiers
from gupgeo.coverage import OUTSIDE
from gupgeo.dashboard.model import Dashboard, DashboardConfig, build_dashboard
from gupgeo.french import quartier_names
from gupgeo.periods import Period, parse_period
from gupgeo.publication import GRID_CELL_M, Profil, Publication, source_label
from gupgeo.rendering.svg import Frame
from gupgeo.schemas import SCHEMAS, STATUTS_CLOS
from gupgeo.secrecy import secrecy_note
from gupgeo.territory import Territory

MAP_PX = (720, 480)
"""Pixel size of the printed quartier map (about 19 × 12.7 cm at 96 dpi)."""
LOCATOR_PX = (260, 190)
MAP_COLUMNS: dict[str, tuple[str, ...]] = {
    "quartiers": ("code_qp", "nom_qp", "commune", "population", "surface_ha", "logements"),
    "operations": ("id", "nom", "code_qp", "date_debut", "date_livraison", "montant_eur"),
    "equipements": ("id", "nom", "type", "gestionnaire", "date_mise_en_service"),
    "signalements": (
        "id",
        "code_qp",
        "date_signalement",
        "categorie",
        "sous_categorie",
        "statut",
        "date_cloture",
        "source",
        "adresse",
        "description",
    ),
    "constats": (
        "id",
        "date",
        "demarche",
        "theme",
        "gravite",
        "recommandation",
        "statut",
        "description",
    ),
}
"""Columns the maps show, per layer: the rest never travels to the workers (signalements
keep ``code_qp``: a page's map tells the quartier's own from those around it)."""
MAP_LAYERS = tuple(MAP_COLUMNS)


@dataclass(frozen=True)
class PageRef:
    """A page of the atlas: its quartier, title and file (relative to the atlas root)."""

    code_qp: str
    title: str
    stem: str

    @property
    def href(self) -> str:
        return f"quartiers/{self.stem}.html"


@dataclass(frozen=True)
class QuartierTask:
    """What one worker needs to write one quartier's page (picklable)."""

    page: PageRef
    index: int
    n_pages: int
    previous: PageRef | None
    next: PageRef | None
    quartier: dict[str, Any]
    geometry: shapely.Geometry
    frame: Frame
    locator_frame: Frame
    locator: gpd.GeoDataFrame
    map_layers: Publication
    """The publication cut to the page's map frame (rows already published)."""
    veille: QuartierVeille | None
    constats: pd.DataFrame
    actions: pd.DataFrame
    tfpb: pd.DataFrame
    operations: pd.DataFrame
    db: Dashboard
    settings: AtlasSettings


@dataclass(frozen=True)
class AtlasSettings:
    """Choices shared by every page (picklable)."""

    root: Path
    period: Period
    publication: Profil
    publication_label: str
    publication_notes: tuple[str, ...]
    build_date: pd.Timestamp
    sources: str
    options: AtlasOptions
    secret_threshold: int
    indicator: str


@dataclass(frozen=True)
class AtlasData:
    """The whole atlas before the pages are written."""

    territory: Territory
    selected: gpd.GeoDataFrame
    pages: tuple[PageRef, ...]
    db: Dashboard
    publication: Publication
    veille: AtlasVeille | None
    settings: AtlasSettings
    frames: tuple[Frame, ...]


def prepare(
    pub: Publication,
    out_dir: Path,
    *,
    period: Any,
    options: AtlasOptions,
    build_date: Any,
    dashboard_config: DashboardConfig | None,
) -> AtlasData:
    """From a publication: the dashboard and the veille, the pages named."""
    publication = pub.profil
    territory = pub.territory()
    quartiers = territory["quartiers"]
    if not isinstance(quartiers, gpd.GeoDataFrame):
        raise TypeError("quartiers : une couche de polygones (GeoDataFrame) est attendue")
    p = parse_period(period)
    selected = select_quartiers(quartiers, options)
    db = build_dashboard(pub, period=p, freq=options.freq, config=dashboard_config)
    veille = atlas_veille(
        territory, p, options=options, publication=publication, threshold=pub.secret_threshold
    )
    records = [
        {str(k): v for k, v in r.items()}
        for r in selected.drop(columns="geometry").to_dict("records")
    ]
    codes = [str(c) for c in selected["code_qp"]]
    titles = _page_titles(quartiers, options.page_name).reindex(codes).tolist()
    stems = distinct_stems(
        [safe_stem(apply_pattern(options.file_name, r, name="file_name")) for r in records],
        codes,
    )
    pages = tuple(
        PageRef(code, title or code, stem)
        for code, title, stem in zip(codes, titles, stems, strict=True)
    )
    settings = AtlasSettings(
        root=out_dir,
        period=p,
        publication=publication,
        publication_label=pub.label,
        publication_notes=(
            *pub.notes,
            *_aggregation_note(pub),
            *((secrecy_note(pub.secret_threshold),) if pub.secret else ()),
        ),
        build_date=pd.Timestamp(build_date).normalize()
        if build_date is not None
        else pd.Timestamp.now().normalize(),
        sources=_sources_text(territory, shared=pub.masks),
        options=options,
        secret_threshold=pub.secret_threshold,
        indicator=resolve_indicator(options.indicator, selected),
    )
    frames = tuple(_frames(selected, options))
    return AtlasData(territory, selected, pages, db, pub, veille, settings, frames)


def _page_titles(quartiers: pd.DataFrame, pattern: str) -> pd.Series:
    """Page titles by ``code_qp``, homonyms decided on the whole territory (not only the
    quartiers of this atlas): the rule of the maps, the bulletin and the dashboard."""
    whole = [
        {str(k): v for k, v in r.items()}
        for r in pd.DataFrame(quartiers.drop(columns="geometry")).to_dict("records")
    ]
    named = quartier_names(
        quartiers, names=[apply_pattern(pattern, r, name="page_name") for r in whole]
    )
    named.index = [str(c) for c in named.index]
    return named


def _aggregation_note(pub: Publication) -> tuple[str, ...]:
    if pub.locates:
        return ()
    threshold = pub.secret_threshold
    return (
        f"signalements, constats et actions : publiés en nombres (carreaux de {GRID_CELL_M:g} m "
        f"ou quartiers), effectifs inférieurs à {threshold} couverts par le secret",
    )


def _sources_text(territory: Territory, *, shared: bool) -> str:
    """The sources line of the pages: the folder inside the team, file names outside."""
    provenance = territory.provenance
    layers = len(territory.layers)
    if shared:
        files = sorted({source_label(p.source) for p in provenance.values() if p.source})
        if 0 < len(files) <= 3:
            return f"données du territoire ({', '.join(files)}, {layers} couches)"
        return f"données du territoire ({layers} couches, détail en fin de sommaire)"
    folders = sorted({str(Path(p.source).parent) for p in provenance.values() if p.source})
    if len(folders) == 1:
        return f"données du territoire ({folders[0]}, {layers} couches)"
    return f"données du territoire ({layers} couches, détail en fin de sommaire)"


def _frames(selected: gpd.GeoDataFrame, options: AtlasOptions) -> list[Frame]:
    width, height = MAP_PX
    bounds = shapely.bounds(np.asarray(selected.geometry.array))
    if options.extent == "auto":
        return [
            Frame.around(b, width=width, height=height, margin_pct=options.margin_pct)
            for b in bounds
        ]
    size = options.fixed_size_m
    if size is None:
        spans = np.maximum(
            bounds[:, 2] - bounds[:, 0], (bounds[:, 3] - bounds[:, 1]) * width / height
        )
        size = float(spans.max()) * (1 + 2 * options.margin_pct / 100)
    out = []
    for minx, miny, maxx, maxy in bounds:
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        h = size * height / width
        out.append(Frame(cx - size / 2, cy - h / 2, cx + size / 2, cy + h / 2, width, height))
    return out


def _in_boxes(frame: pd.DataFrame | None, boxes: list[shapely.Geometry]) -> list[np.ndarray]:
    """Row positions of ``frame`` intersecting each box (empty when no geometry)."""
    if not isinstance(frame, gpd.GeoDataFrame) or len(frame) == 0:
        return [np.empty(0, dtype="int64") for _ in boxes]
    box_idx, rows = frame.sindex.query(np.asarray(boxes), predicate="intersects")
    order = np.lexsort((rows, box_idx))
    box_idx, rows = box_idx[order], rows[order]
    splits = np.searchsorted(box_idx, np.arange(1, len(boxes)))
    return list(np.split(rows, splits))


def _dated(frame: pd.DataFrame, column: str, p: Period) -> np.ndarray:
    if column not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    d = pd.to_datetime(frame[column], errors="coerce")
    return ((d >= p.start) & (d < p.end)).fillna(False).to_numpy(dtype=bool)


def is_open(frame: pd.DataFrame) -> np.ndarray:
    """Constats still open: status neither résolu nor clos (unknown counts as open)."""
    if "statut" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    status = (
        frame["statut"]
        .astype("object")
        .map(lambda v: str(v).strip().lower() if isinstance(v, str) else "")
    )
    closed = status.isin([*STATUTS_CLOS, "clos", "clôturé", "levé", "traité", "réalisé"])
    return ~closed.to_numpy(dtype=bool)


def grid_box(frame: Frame, cell_m: float = GRID_CELL_M) -> shapely.Polygon:
    """The frame widened to whole ``cell_m`` grid cells (half-open on the top-right).

    Features are cut per page with it, so that every published grid cell touching the
    frame holds all its features: two pages never show the same cell with two counts.
    """
    x0 = np.floor(frame.x0 / cell_m) * cell_m
    y0 = np.floor(frame.y0 / cell_m) * cell_m
    x1 = np.ceil(frame.x1 / cell_m) * cell_m
    y1 = np.ceil(frame.y1 / cell_m) * cell_m
    return shapely.box(x0, y0, x1 - 1e-6, y1 - 1e-6)


def map_layers_of(data: AtlasData) -> dict[str, pd.DataFrame]:
    """The layers of the pages' maps: signalements of the period, constats open at its end.

    The territory is the published one (constats absent when the publication withheld
    them). A dated layer whose data does not cover the period at all is left out: its
    figures read n.c. on the page, and its map must not show an empty layer as "0".
    """
    t, p = data.territory, data.settings.period
    map_layers: dict[str, pd.DataFrame] = {}
    for name in MAP_LAYERS:
        if data.db.period_coverage(name) == OUTSIDE:
            continue
        frame = t.get(name)
        if not isinstance(frame, gpd.GeoDataFrame):
            continue
        if name == "signalements":
            frame = frame[_dated(frame, "date_signalement", p)]
        elif name == "constats":
            dated = (
                pd.to_datetime(frame["date"], errors="coerce") < p.end if "date" in frame else True
            )
            frame = frame[is_open(frame) & np.asarray(dated, dtype=bool)]
        keep = [c for c in MAP_COLUMNS[name] if c in frame.columns]
        map_layers[name] = frame[[*keep, frame.geometry.name]]
    return map_layers


def tasks(data: AtlasData) -> list[QuartierTask]:
    """One :class:`QuartierTask` per page, in page order."""
    p, pub = data.settings.period, data.publication
    boxes = [grid_box(f) for f in data.frames]
    map_layers = map_layers_of(data)
    t = data.territory
    positions = {name: _in_boxes(frame, boxes) for name, frame in map_layers.items()}
    quartiers = t["quartiers"]
    locator_frames = [locator_frame(quartiers, row) for _, row in data.selected.iterrows()]
    tol = 1.0 / max(f.scale for f in locator_frames)
    locator = gpd.GeoDataFrame(
        {"code_qp": quartiers["code_qp"].astype("object").map(str).to_numpy()},
        geometry=shapely.simplify(np.asarray(quartiers.geometry.array), tol),
        crs=quartiers.crs,
    )
    out = []
    for i, page in enumerate(data.pages):
        row = data.selected.iloc[i]
        subset = {name: frame.iloc[positions[name][i]] for name, frame in map_layers.items()}
        out.append(
            QuartierTask(
                page=page,
                index=i,
                n_pages=len(data.pages),
                previous=data.pages[i - 1] if i > 0 else None,
                next=data.pages[i + 1] if i + 1 < len(data.pages) else None,
                quartier=_record(row),
                geometry=row.geometry,
                frame=data.frames[i],
                locator_frame=locator_frames[i],
                locator=locator,
                map_layers=pub.restricted(subset),
                veille=quartier_veille(data.veille, page.code_qp, row.geometry, boxes[i])
                if data.veille is not None
                else None,
                constats=_for_quartier(pub.layers.get("constats"), page.code_qp, open_only=True),
                actions=_period_rows(
                    _for_quartier(pub.layers.get("actions"), page.code_qp), "date", p
                ),
                tfpb=_tfpb_rows(pub.layers.get("tfpb"), page.code_qp, p),
                operations=_operations(pub.layers.get("operations"), page.code_qp, row.geometry),
                db=slice_dashboard(data.db, page.code_qp),
                settings=data.settings,
            )
        )
    return out


LOCATOR_WHOLE_M = 30_000.0
"""Territories up to this size (metres) are shown whole in every page's situation map."""
LOCATOR_MIN_M = 10_000.0
"""Beyond it, the situation map frames the quartier's commune, at least this wide."""


def locator_frame(quartiers: gpd.GeoDataFrame, row: pd.Series) -> Frame:
    """The situation map's window: the whole territory when it is a metropole; for a
    region, the quartier's commune (its quartiers), at least ``LOCATOR_MIN_M`` wide, so
    the quartier is a shape rather than a speck among a hundred."""
    minx, miny, maxx, maxy = (float(v) for v in quartiers.total_bounds)
    if max(maxx - minx, maxy - miny) > LOCATOR_WHOLE_M:
        commune = row.get("commune")
        same = (
            (quartiers["commune"] == commune).to_numpy()
            if "commune" in quartiers.columns and not _isna(commune)
            else (quartiers["code_qp"] == row["code_qp"]).to_numpy()
        )
        minx, miny, maxx, maxy = (float(v) for v in quartiers[same].total_bounds)
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        half = max(maxx - minx, maxy - miny, LOCATOR_MIN_M) / 2
        minx, miny, maxx, maxy = cx - half, cy - half, cx + half, cy + half
    return Frame.around(
        (minx, miny, maxx, maxy), width=LOCATOR_PX[0], height=LOCATOR_PX[1], margin_pct=4
    )


def _record(row: pd.Series) -> dict[str, Any]:
    """The quartier's values for its page: every column of the schema present (None when
    the layer does not have it), so a layer with only the required columns builds."""
    out: dict[str, Any] = {column.name: None for column in SCHEMAS["quartiers"].columns}
    for key, value in row.drop(labels="geometry").items():
        out[str(key)] = None if _isna(value) else value
    if out.get("surface_ha") is None:
        out["surface_ha"] = float(row.geometry.area) / 10_000
    return out


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _for_quartier(
    frame: pd.DataFrame | None, code: str, *, open_only: bool = False
) -> pd.DataFrame:
    if frame is None or "code_qp" not in frame.columns:
        return pd.DataFrame()
    keep = (frame["code_qp"].astype("object") == code).to_numpy(dtype=bool)
    if open_only:
        keep = keep & is_open(frame)
    return pd.DataFrame(frame.loc[keep].drop(columns="geometry", errors="ignore"))


def _period_rows(frame: pd.DataFrame, column: str, p: Period) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[_dated(frame, column, p)]


def _tfpb_rows(frame: pd.DataFrame | None, code: str, p: Period) -> pd.DataFrame:
    if frame is None or frame.empty or "code_qp" not in frame.columns:
        return pd.DataFrame()
    years = range(p.start.year, (p.end - pd.Timedelta(nanoseconds=1)).year + 1)
    annee = pd.to_numeric(frame["annee"], errors="coerce")
    keep = (frame["code_qp"].astype("object") == code) & annee.isin(list(years))
    return pd.DataFrame(frame.loc[keep.to_numpy(dtype=bool)])


def _operations(frame: pd.DataFrame | None, code: str, geometry: shapely.Geometry) -> pd.DataFrame:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.empty:
        return pd.DataFrame()
    by_code = (
        (frame["code_qp"].astype("object") == code).to_numpy(dtype=bool)
        if "code_qp" in frame.columns
        else np.zeros(len(frame), dtype=bool)
    )
    touching = shapely.intersects(np.asarray(frame.geometry.array), geometry)
    return pd.DataFrame(frame.loc[by_code | touching].drop(columns="geometry"))


def slice_dashboard(db: Dashboard, code: str) -> Dashboard:
    """The dashboard reduced to one quartier's rows (plus the total), for one page."""
    keep = [code, "total"]
    tables = {n: t.loc[[c for c in keep if c in t.index]] for n, t in db.tables.items()}
    series = {n: s[s.index.get_level_values("code_qp") == code] for n, s in db.series.items()}
    return dataclasses.replace(db, tables=tables, series=series)
