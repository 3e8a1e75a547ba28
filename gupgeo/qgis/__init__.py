"""The QGIS project of a publication: styled like the HTML maps, with its atlas.

:func:`write_qgis_project` writes, for a :class:`~gupgeo.publication.Publication`:

- ``<name>.gpkg`` beside the project — the published layers (gupgeo's safe save, which
  keeps every other table of an existing file) with the quartiers' key figures as
  fields, and their styles in ``layer_styles`` so each layer opens styled on its own;
  or, with ``postgis=``, layers reading the tables of a territory published to PostGIS;
- ``<name>.qgz`` — layers named in French and grouped by theme, styles equal to the HTML
  map's (:mod:`gupgeo.qgis.styles`), project CRS Lambert-93, provenance and publication
  notes in the project metadata, and an A4 atlas on the quartiers
  (:mod:`gupgeo.qgis.layout`);
- optionally ``<name>.qgs.cfg`` — a Lizmap configuration (atlas and popups).

No QGIS is needed to write it; ``tests/qgis_check.py`` opens it in the real QGIS.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gupgeo._lock import file_lock
from gupgeo.french import format_date
from gupgeo.indicators import Period
from gupgeo.publication import (
    PROFILE_LABELS,
    Profil,
    Publication,
    Source,
    aggregate_events,
    as_publication,
)
from gupgeo.qgis.figures import quartier_dashboard, with_figures
from gupgeo.qgis.geopackage import write_layers, write_styles
from gupgeo.qgis.layers import RATE_FIELD, ProjectLayer, project_layers, signalement_rates
from gupgeo.qgis.layout import LAYOUT_NAME, atlas_layout
from gupgeo.qgis.lizmap import lizmap_config
from gupgeo.qgis.project import (
    FIELD_LABELS,
    PostgisSource,
    datasource,
    project_document,
    write_qgz,
)

__all__ = ["PostgisSource", "QgisProject", "write_qgis_project"]


@dataclass(frozen=True)
class QgisProject:
    """What :func:`write_qgis_project` wrote: files, layers and their expected counts."""

    path: Path
    data: str
    """The GeoPackage written beside the project, or the PostGIS schema read."""
    layers: tuple[ProjectLayer, ...]
    profile: str
    period: str
    lizmap: Path | None = None
    figures: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The quartiers' key-figure fields, indexed by ``code_qp``."""

    def summary(self) -> str:
        """French lines for the CLI."""
        rows = [
            f"Projet QGIS écrit : {self.path} (diffusion « {self.profile} », période "
            f"{self.period})",
            f"Données : {self.data}",
        ]
        rows += [
            f"  {layer.group} / {layer.name} : {layer.feature_count} objet(s)"
            for layer in self.layers
        ]
        if self.lizmap is not None:
            rows.append(f"Configuration Lizmap : {self.lizmap}")
        return "\n".join(rows)


def write_qgis_project(
    source: Publication | Source,
    path: str | Path,
    *,
    period: Any,
    publication: Profil | str | None = None,
    sources: str = "",
    title: str | None = None,
    postgis: PostgisSource | None = None,
    lizmap: bool = False,
    date: Any = None,
) -> QgisProject:
    """Write the QGIS project of ``publication`` (and its GeoPackage) at ``path``.

    Parameters
    ----------
    source
        A :class:`~gupgeo.publication.Publication` (:func:`gupgeo.publication.publish`),
        whose layers, notes and provenance are written as they are — nothing is masked
        again; or a territory, published here for ``publication`` (default
        ``partenaires``). In ``public`` the event layers are written as counts
        (:func:`gupgeo.publication.aggregate_events`), never points.
    path
        The ``.qgz`` to write; the GeoPackage is ``<stem>.gpkg`` beside it.
    period
        The period of the key figures (``"2024"``, ``"2024-T2"``…), as the HTML atlas.
    postgis
        Save the published layers into this PostGIS schema (gupgeo's transactional save,
        which keeps the schema's other tables) and read them from there, instead of a
        GeoPackage. The project names the server, base and user, or the ``service`` /
        ``authcfg`` given, never a password.
    lizmap
        Also write ``<name>.qgs.cfg``, the Lizmap configuration (atlas, popups).

    Examples
    --------
    >>> import gupgeo, tempfile
    >>> from gupgeo.publication import publish
    >>> pub = publish(gupgeo.load_territory("data/sample"), "partenaires")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     project = write_qgis_project(pub, f"{d}/t.qgz", period="2024")
    ...     list(dict.fromkeys(layer.group for layer in project.layers))
    ['Signalements', 'Prévention situationnelle', 'Équipements', 'Territoire', 'Autres couches']
    """
    target = Path(path)
    if target.suffix.lower() != ".qgz":
        raise ValueError(f"{target} : attendu un chemin se terminant par .qgz")
    target.parent.mkdir(parents=True, exist_ok=True)
    pub = as_publication(source, publication)
    db = quartier_dashboard(pub, period)
    published = aggregate_events(pub)  # public: counts, never points
    layers = dict(published.layers)
    quartiers = layers.get("quartiers")
    if not isinstance(quartiers, gpd.GeoDataFrame):
        raise ValueError("publication : une couche quartiers (polygones) est nécessaire à l'atlas")
    quartiers = with_figures(quartiers, db)
    quartiers["periode"] = db.period.label
    rate = signalement_rates(quartiers, layers.get("signalements"))
    if rate is not None:
        quartiers[RATE_FIELD] = rate
    layers["quartiers"] = quartiers
    layers = {name: _in_lambert93(frame) for name, frame in layers.items()}
    chosen = project_layers(layers, dict(published.aggregated))
    gpkg = target.with_suffix(".gpkg")
    if postgis is None:
        write_layers(gpkg, layers, dict(published.aggregated), dict(published.provenance))
        with file_lock(gpkg, what="le GeoPackage du projet QGIS"):  # one writer at a time
            write_styles(gpkg, chosen)
    else:
        saved = postgis.save_url
        write_layers(saved, layers, dict(published.aggregated), dict(published.provenance))
    when = pd.Timestamp.now() if date is None else pd.Timestamp(date)
    document = _document(
        published, chosen, layers, target, gpkg.name, postgis, sources, title, when, db.period
    )
    write_qgz(document, target)
    cfg = None
    if lizmap:
        cfg = target.with_name(f"{target.stem}.qgs.cfg")
        config = lizmap_config(
            chosen,
            title=title or "Territoire GUP",
            layout=LAYOUT_NAME,
            extent=_bounds(layers["quartiers"]),
        )
        cfg.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    figures = quartiers.set_index("code_qp")[
        [c for c in quartiers.columns if str(c).startswith("chiffre_")]
    ]
    data = str(gpkg) if postgis is None else f"PostGIS, schéma {postgis.schema}"
    return QgisProject(
        target, data, tuple(chosen), published.profile, db.period.label, cfg, pd.DataFrame(figures)
    )


def _in_lambert93(frame: pd.DataFrame) -> pd.DataFrame:
    if (
        isinstance(frame, gpd.GeoDataFrame)
        and frame.crs is not None
        and frame.crs.to_epsg() != 2154
    ):
        return frame.to_crs(2154)
    return frame


def _bounds(frame: gpd.GeoDataFrame) -> list[float]:
    geoms = frame.geometry.dropna()
    if geoms.empty:
        return [0.0, 0.0, 1.0, 1.0]
    return [float(v) for v in geoms.total_bounds]


def _document(
    publication: Publication,
    chosen: list[ProjectLayer],
    layers: dict[str, pd.DataFrame],
    target: Path,
    gpkg_name: str,
    postgis: PostgisSource | None,
    sources: str,
    title: str | None,
    when: pd.Timestamp,
    period_of: Period,
) -> Any:
    period = period_of.label
    profile_label = PROFILE_LABELS[publication.profile]
    provenance = {name: _provenance_text(value) for name, value in publication.provenance.items()}
    shown = {layer.table for layer in chosen} | set(publication.aggregated)
    history = [f"{name} : {text}" for name, text in provenance.items() if text]
    history += [f"publication : {note}" for note in publication.notes]
    sources = (
        sources
        or ", ".join(sorted({t for n, t in provenance.items() if t and n in shown}))
        or "gupgeo"
    )
    quartiers_layer = next(layer for layer in chosen if layer.layer_id.startswith("quartiers_p"))
    layout = atlas_layout(
        coverage_layer_id=quartiers_layer.layer_id,
        coverage_name=quartiers_layer.name,
        coverage_source=datasource(quartiers_layer, gpkg_name=gpkg_name, postgis=postgis),
        coverage_provider="ogr" if postgis is None else "postgres",
        legend_layer_ids=[layer.layer_id for layer in chosen if layer.visible],
        sources=sources,
        produced_on=format_date(when) or "",
        profile_label=publication.profile,
        extent=_bounds(layers["quartiers"]),
        period_kind=period_of.kind,
    )
    name = title or "Territoire GUP"
    abstract = (
        f"Projet QGIS écrit par gupgeo le {format_date(when)} à partir du territoire publié "
        f"pour le profil « {profile_label} » ; chiffres clés de la période {period}, "
        "identiques au tableau de bord et à l'atlas HTML."
    )
    return project_document(
        chosen,
        title=name,
        abstract=abstract,
        history=history,
        keywords=["gupgeo", "GUP", "QPV", f"diffusion {publication.profile}"],
        created=dt.datetime.now().isoformat(timespec="seconds"),
        bounds={layer.layer_id: _bounds(layers[layer.table]) for layer in chosen},
        extent=_bounds(layers["quartiers"]),
        gpkg_name=gpkg_name,
        postgis=postgis,
        labels=FIELD_LABELS,
        provenance=provenance,
        layout=layout,
        custom={"profil": publication.profile, "periode": period, "projet": target.name},
    )


def _provenance_text(value: Any) -> str:
    source = getattr(value, "source", None)
    if source is None:
        return "" if value is None else str(value)
    fmt = getattr(value, "format", None)
    return f"{source} ({fmt})" if fmt else str(source)
