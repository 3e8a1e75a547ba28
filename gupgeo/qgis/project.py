"""The QGIS project (``.qgz``): layers, groups, CRS, metadata and the atlas layout.

Written as XML by hand and zipped — no QGIS needed to make it. Layers read either the
published GeoPackage written beside the project (relative paths: the folder can be moved
or zipped whole) or the PostGIS tables of a published territory (connection parameters
without any password: a ``service=`` of ``pg_service.conf`` or a QGIS authentication
configuration is named instead when given).
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import pyproj

from gupgeo.qgis import _xml as x
from gupgeo.qgis.figures import NAME_FIELD
from gupgeo.qgis.layers import GROUPS, ProjectLayer

EPSG = 2154
PROJ_L93 = (
    "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 "
    "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
)


@dataclass(frozen=True)
class PostgisSource:
    """Where QGIS finds the published tables: a PostGIS schema, never a password.

    ``service`` names a ``pg_service.conf`` entry, ``authcfg`` a QGIS authentication
    configuration; otherwise host, port, database and user come from the URL.
    """

    url: str
    schema: str
    service: str | None = None
    authcfg: str | None = None

    @property
    def save_url(self) -> str:
        """The URL gupgeo saves the published layers to (password kept, never written
        into the project)."""
        return f"{self.url}{'&' if '?' in self.url else '?'}{urlencode([('schema', self.schema)])}"

    def conninfo(self) -> str:
        """The QGIS ``postgres`` provider's connection part (no password, ever)."""
        if self.service:
            parts = [f"service='{self.service}'"]
        else:
            url = urlsplit(self.url)
            parts = []
            if url.path.strip("/"):
                parts.append(f"dbname='{unquote(url.path.strip('/'))}'")
            if url.hostname:
                parts.append(f"host={url.hostname}")
            if url.port:
                parts.append(f"port={url.port}")
            if url.username:
                parts.append(f"user='{unquote(url.username)}'")
            for key, value in parse_qsl(url.query):
                if key in ("sslmode", "host", "port", "dbname", "user"):
                    parts.append(f"{key}='{value}'")
        if self.authcfg:
            parts.append(f"authcfg={self.authcfg}")
        return " ".join(parts)


def datasource(layer: ProjectLayer, *, gpkg_name: str, postgis: PostgisSource | None) -> str:
    """The layer's QGIS data source (relative GeoPackage path, or PostGIS table)."""
    if postgis is None:
        source = f"./{gpkg_name}|layername={layer.table}"
        return f"{source}|geometrytype={layer.geometry}" if layer.split else source
    kind = f" type={layer.wkb_type}" if layer.split else ""
    return (
        f"{postgis.conninfo()} srid={EPSG}{kind} checkPrimaryKeyUnicity='0' "
        f'table="{postgis.schema}"."{layer.table}" (geometry)'
    )


@functools.cache
def _wkt() -> str:
    """Lambert-93 in WKT2 (what QGIS 3 reads first), from pyproj's own database."""
    return str(pyproj.CRS.from_epsg(EPSG).to_wkt(version="WKT2_2019"))


def _srs(parent: ET.Element) -> None:
    srs = x.sub(parent, "spatialrefsys")
    x.sub(srs, "wkt", _wkt())
    x.sub(srs, "proj4", PROJ_L93)
    x.sub(srs, "srid", str(EPSG))
    x.sub(srs, "authid", f"EPSG:{EPSG}")
    x.sub(srs, "description", "RGF93 v1 / Lambert-93")
    x.sub(srs, "projectionacronym", "lcc")
    x.sub(srs, "ellipsoidacronym", "EPSG:7019")
    x.sub(srs, "geographicflag", "false")


def _extent(parent: ET.Element, tag: str, bounds: Sequence[float]) -> None:
    node = x.sub(parent, tag)
    for key, value in zip(("xmin", "ymin", "xmax", "ymax"), bounds, strict=True):
        x.sub(node, key, repr(float(value)))


def map_tip(layer: ProjectLayer, labels: Mapping[str, str]) -> str:
    """An HTML popup of the layer's fields (QGIS map tip, Lizmap's popup)."""
    rows = [
        f"<tr><th>{labels.get(f, f)}</th><td>[% {x.quote_field(f)} %]</td></tr>"
        for f in layer.fields
        if not f.startswith("_") and f != "fid"
    ]
    title = f"<h3>[% {x.quote_field(layer.title_field)} %]</h3>" if layer.title_field else ""
    return f"{title}<table>{''.join(rows)}</table>"


def map_layer(
    layer: ProjectLayer,
    *,
    source: str,
    provider: str,
    bounds: Sequence[float],
    provenance: str,
    labels: Mapping[str, str],
) -> ET.Element:
    """The ``<maplayer>`` of a project layer: source, CRS, style, popup and metadata."""
    node = ET.Element(
        "maplayer",
        type="vector",
        geometry=layer.kind.capitalize(),
        wkbType=layer.wkb_type,
        labelsEnabled="1" if layer.style.labeling is not None else "0",
        styleCategories="AllStyleCategories",
        hasScaleBasedVisibilityFlag="0",
        minScale="100000000",
        maxScale="0",
        readOnly="0",
        autoRefreshEnabled="0",
        simplifyDrawingHints="1",
        simplifyDrawingTol="1",
        simplifyLocal="1",
        simplifyAlgorithm="0",
        simplifyMaxScale="1",
    )
    _extent(node, "extent", bounds)
    x.sub(node, "id", layer.layer_id)
    x.sub(node, "datasource", source)
    x.sub(node, "layername", layer.name)
    _srs(x.sub(node, "srs"))
    meta = x.sub(node, "resourceMetadata")
    x.sub(meta, "identifier", layer.table)
    x.sub(meta, "type", "dataset")
    x.sub(meta, "title", layer.name)
    x.sub(meta, "abstract", provenance)
    x.sub(meta, "language", "fra")
    x.sub(node, "provider", provider, encoding="UTF-8")
    for child in layer.style.nodes():
        node.append(child)
    x.sub(node, "mapTip", map_tip(layer, labels))
    if layer.title_field:
        x.sub(node, "previewExpression", x.quote_field(layer.title_field))
    return node


def _tree(
    parent: ET.Element, layers: Sequence[ProjectLayer], sources: Mapping[str, str], provider: str
) -> None:
    root = x.sub(parent, "layer-tree-group")
    x.sub(root, "customproperties")
    for group in GROUPS:
        members = [layer for layer in layers if layer.group == group]
        if not members:
            continue
        node = x.sub(root, "layer-tree-group", name=group, checked="Qt::Checked", expanded=1)
        x.sub(node, "customproperties")
        for layer in members:
            leaf = x.sub(
                node,
                "layer-tree-layer",
                id=layer.layer_id,
                name=layer.name,
                source=sources[layer.layer_id],
                providerKey=provider,
                expanded=1,
                checked="Qt::Checked" if layer.visible else "Qt::Unchecked",
            )
            x.sub(leaf, "customproperties")
    custom = x.sub(root, "custom-order", enabled=1)
    for layer in render_order(layers):
        x.sub(custom, "item", layer.layer_id)


def render_order(layers: Sequence[ProjectLayer]) -> list[ProjectLayer]:
    """Drawing order, top first, as the HTML map's panes: équipements and points over
    lines, over perimeters, over count cells and classes (which never hide a point)."""

    def rank(layer: ProjectLayer) -> int:
        if layer.table == "equipements":
            return 0
        if layer.geometry != "Polygon":
            return 1 if layer.geometry == "Point" else 2
        return 3 if layer.table in ("quartiers", "operations") and layer.primary else 4

    return sorted(layers, key=rank)


def _properties(parent: ET.Element, entries: Mapping[str, Mapping[str, str]]) -> None:
    props = x.sub(parent, "properties")
    for scope, values in entries.items():
        node = x.sub(props, scope)
        for key, value in values.items():
            kind = {"Absolute": "bool", "ProjectionsEnabled": "int"}.get(key, "QString")
            x.sub(node, key, value, type=kind)


def project_document(
    layers: Sequence[ProjectLayer],
    *,
    title: str,
    abstract: str,
    history: Sequence[str],
    keywords: Sequence[str],
    created: str,
    bounds: Mapping[str, Sequence[float]],
    extent: Sequence[float],
    gpkg_name: str,
    postgis: PostgisSource | None,
    labels: Mapping[str, str],
    provenance: Mapping[str, str],
    layout: ET.Element | None,
    custom: Mapping[str, str],
) -> ET.Element:
    """The whole ``<qgis>`` project document."""
    provider = "ogr" if postgis is None else "postgres"
    sources = {
        layer.layer_id: datasource(layer, gpkg_name=gpkg_name, postgis=postgis) for layer in layers
    }
    root = ET.Element(
        "qgis", version=x.QGIS_VERSION, projectname=title, saveUser="gupgeo", saveUserFull="gupgeo"
    )
    x.sub(root, "homePath", path="")
    x.sub(root, "title", title)
    _srs(x.sub(root, "projectCrs"))
    _tree(root, layers, sources, provider)
    canvas = x.sub(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    x.sub(canvas, "units", "meters")
    _extent(canvas, "extent", extent)
    x.sub(canvas, "rotation", "0")
    _srs(x.sub(canvas, "destinationsrs"))
    project_layers = x.sub(root, "projectlayers")
    for layer in layers:
        project_layers.append(
            map_layer(
                layer,
                source=sources[layer.layer_id],
                provider=provider,
                bounds=bounds[layer.layer_id],
                provenance=provenance.get(layer.table, ""),
                labels=labels,
            )
        )
    order = x.sub(root, "layerorder")
    for layer in render_order(layers):
        x.sub(order, "layer", id=layer.layer_id)
    _properties(
        root,
        {
            "Paths": {"Absolute": "false"},
            "SpatialRefSys": {"ProjectionsEnabled": "1"},
            "Measure": {"Ellipsoid": "EPSG:7019"},
            "gupgeo": dict(custom),
            "WMSServiceTitle": {},
        },
    )
    meta = x.sub(root, "projectMetadata")
    x.sub(meta, "identifier", "gupgeo")
    x.sub(meta, "language", "fra")
    x.sub(meta, "type", "project")
    x.sub(meta, "title", title)
    x.sub(meta, "abstract", abstract)
    words = x.sub(meta, "keywords", vocabulary="gupgeo")
    for word in keywords:
        x.sub(words, "keyword", word)
    for line in history:
        x.sub(meta, "history", line)
    x.sub(meta, "author", "gupgeo")
    x.sub(meta, "creation", created)
    layouts = x.sub(root, "Layouts")
    if layout is not None:
        layouts.append(layout)
    return root


def write_qgz(document: ET.Element, path: Path) -> Path:
    """Zip the project document as QGIS does (``<stem>.qgs`` inside ``<stem>.qgz``)."""
    text = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + x.to_text(document)
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{path.stem}.qgs", text.encode("utf-8"))
    tmp.replace(path)
    return path


FIELD_LABELS: dict[str, str] = {
    NAME_FIELD: "Quartier",
    "code_qp": "Code du quartier",
    "nom_qp": "Nom",
    "commune": "Commune",
    "population": "Habitants",
    "categorie": "Catégorie",
    "sous_categorie": "Sous-catégorie",
    "statut": "Statut",
    "date_signalement": "Date",
    "date_cloture": "Clôture",
    "type": "Type",
    "gestionnaire": "Gestionnaire",
    "gravite": "Gravité",
    "theme": "Thème",
    "demarche": "Démarche",
    "recommandation": "Recommandation",
    "effectif": "Effectif",
    "libelle": "Nombre",
    "carreau": "Carreau",
    "nom": "Nom",
    "montant_eur": "Montant (€)",
}
"""French labels of the fields shown in popups (the column name otherwise)."""
