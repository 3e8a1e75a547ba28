"""The numbers of an operation review: perimeter, zones, windows, tables.

Pure pandas/shapely (no HTML): :mod:`gupgeo.review.build` renders them. Distances are
measured in Lambert-93; a feature is in the *périmètre* when it touches the
operation's polygon, in the *abords* when it lies within ``buffer_m`` metres of it
without touching it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gupgeo.coverage import COVERED, LayerCoverage, coverage_of, coverage_words
from gupgeo.crs import WORK_CRS, to_work_crs
from gupgeo.errors import InputFileError, InputNotFoundError, SchemaError
from gupgeo.schemas import normalise_name
from gupgeo.territory import Territory

PERIMETRE = "périmètre"
ABORDS = "abords"
ZONES = (PERIMETRE, ABORDS)
REVIEWED_LAYERS = ("signalements", "constats", "garanties")
"""The dated layers a review reads: their coverage is written in its method."""

CONSTRAINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("pave", "point_d_apport", "conteneur", "colonne"),
        "collecte des déchets : garder l'accès des camions de collecte et des habitants, "
        "prévoir la gestion des dépôts au pied",
    ),
    (
        ("aire_de_jeux", "jeux"),
        "aire de jeux : contrôles réglementaires et entretien, visibilité depuis l'espace public",
    ),
    (
        ("eclairage", "candelabre", "lampadaire"),
        "éclairage : continuité de l'éclairage des cheminements pendant et après les travaux",
    ),
    (
        ("local_gardien", "loge", "gardien"),
        "présence de proximité : accès et visibilité du local gardien, circuits des agents",
    ),
    (
        ("ecole", "groupe_scolaire", "college", "lycee", "creche"),
        "établissement scolaire : sécurité des abords et des cheminements aux heures "
        "d'entrée et de sortie",
    ),
    (
        ("city_stade", "gymnase", "stade", "terrain"),
        "équipement sportif : usages en soirée (bruit, éclairage), accès des secours",
    ),
    (("jardin",), "jardin partagé : accès à l'eau et gestion associative à préserver"),
    (
        (
            "centre_social",
            "maison_de_projets",
            "maison_des_projets",
            "bibliotheque",
            "mediatheque",
            "mairie",
        ),
        "équipement recevant du public : accès, stationnement et signalétique pendant les travaux",
    ),
)
"""Management constraints by équipement type (keywords of the normalised type)."""


def constraint_for(type_label: Any) -> str:
    """The management constraint of an équipement type, or empty text.

    Examples
    --------
    >>> constraint_for("PAVE").split(" :")[0]
    'collecte des déchets'
    >>> constraint_for("Kiosque")
    ''
    """
    if not isinstance(type_label, str):
        return ""
    key = normalise_name(type_label)
    for words, text in CONSTRAINTS:
        if any(w in key for w in words):
            return text
    return ""


@dataclass(frozen=True)
class Perimeter:
    """The polygon reviewed, in Lambert-93, with what it is."""

    geometry: shapely.Geometry
    name: str
    operation_id: str | None
    record: dict[str, Any]
    source: str
    missing: tuple[str, ...] = ()
    """Attributes a perimeter file did not give (``date_livraison``, ``nom``…)."""

    @property
    def surface_ha(self) -> float:
        return float(self.geometry.area) / 10_000


def resolve_perimeter(territory: Territory, operation: Any) -> Perimeter:
    """An operation id of the territory, a polygon file, or polygons → :class:`Perimeter`."""
    operations = territory.get("operations")
    ids: list[str] = []
    if isinstance(operations, gpd.GeoDataFrame) and "id" in operations.columns:
        ids = [str(i) for i in operations["id"]]
    if isinstance(operation, str) and isinstance(operations, gpd.GeoDataFrame) and operation in ids:
        row = operations.iloc[ids.index(operation)]
        record = {k: (None if _isna(v) else v) for k, v in row.drop(labels="geometry").items()}
        geom = to_work_crs(operations.iloc[[ids.index(operation)]], name="operations").geometry
        return Perimeter(
            _polygonal(geom.iloc[0], f"opération {operation}"),
            str(record.get("nom") or operation),
            operation,
            record,
            "couche operations du territoire",
        )
    if isinstance(operation, gpd.GeoDataFrame | gpd.GeoSeries):
        frame = gpd.GeoDataFrame(
            geometry=operation.geometry if isinstance(operation, gpd.GeoDataFrame) else operation
        )
        return _from_frame(frame, "périmètre fourni", "périmètre fourni (GeoDataFrame)")
    if isinstance(operation, shapely.Geometry):
        raise SchemaError(
            "operation : géométrie shapely sans système de coordonnées ; passez un "
            "GeoDataFrame avec son CRS (par exemple EPSG:2154)"
        )
    if isinstance(operation, str | Path):
        path = Path(operation)
        if path.is_file():
            try:
                frame = pyogrio.read_dataframe(path)
            except Exception as exc:
                raise InputFileError(f"{path} : périmètre illisible ({exc})") from exc
            record = perimeter_record(frame)
            name = str(record.get("nom") or _name_from(frame) or path.stem)
            found = _from_frame(frame, name, f"fichier {path.name}")
            missing = tuple(c for c in PERIMETER_FIELDS if record.get(c) is None)
            return dataclasses.replace(
                found, record=record, operation_id=_text(record.get("id")), missing=missing
            )
        known = ", ".join(ids) if ids else "aucune opération dans le territoire"
        raise InputNotFoundError(
            f"operation : « {operation} » n'est ni un identifiant d'opération du territoire "
            f"({known}) ni un fichier de périmètre existant"
        )
    raise SchemaError(
        f"operation : reçu {type(operation).__name__} ; attendu un identifiant d'opération, "
        "un chemin de fichier (GeoJSON, GeoPackage, Shapefile…) ou un GeoDataFrame de polygones"
    )


PERIMETER_FIELDS = ("nom", "date_livraison")
"""What a review reads from a perimeter file: its name, and the delivery that splits
before and after (without it, the window is the last months of the data)."""
_PERIMETER_DATES = ("date_debut", "date_livraison")
_PERIMETER_ALIASES = {
    "name": "nom",
    "libelle": "nom",
    "intitule": "nom",
    "nom_operation": "nom",
    "livraison": "date_livraison",
    "date_de_livraison": "date_livraison",
    "debut": "date_debut",
    "date_de_debut": "date_debut",
    "montant": "montant_eur",
    "identifiant": "id",
    "id_operation": "id",
}


def perimeter_record(frame: pd.DataFrame) -> dict[str, Any]:
    """The operation's attributes carried by a perimeter file (every feature agreeing).

    Column names are normalised (``DATE_LIVRAISON``, ``Date de livraison`` →
    ``date_livraison``); dates are read like any layer's (ISO, ``dd/mm/yyyy``, Excel
    serials); a column whose features disagree is left out.

    Examples
    --------
    >>> frame = pd.DataFrame({"NOM": ["Place de l'Alouette"], "Date de livraison": ["15/07/2023"]})
    >>> perimeter_record(frame)
    {'nom': "Place de l'Alouette", 'date_livraison': Timestamp('2023-07-15 00:00:00')}
    """
    from gupgeo.dates import parse_dates

    record: dict[str, Any] = {}
    for column in frame.columns:
        if column == getattr(frame, "_geometry_column_name", "geometry"):
            continue
        key = normalise_name(str(column), drop_small_words=True)
        key = _PERIMETER_ALIASES.get(key, key)
        values = frame[column]
        if key in _PERIMETER_DATES:
            values, _ = parse_dates(values)
        distinct = values.dropna().unique()
        if len(distinct) == 1 and key not in record:
            value = distinct[0]
            record[key] = pd.Timestamp(value) if key in _PERIMETER_DATES else _plain(value)
    return record


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _name_from(frame: pd.DataFrame) -> str | None:
    for column in ("nom", "name", "libelle", "intitule"):
        if column in frame.columns and frame[column].notna().any():
            return str(frame[column].dropna().iloc[0])
    return None


def _from_frame(frame: gpd.GeoDataFrame, name: str, source: str) -> Perimeter:
    if frame.crs is None:
        raise SchemaError(
            f"{source} : aucun système de coordonnées ; attendu un CRS déclaré "
            "(EPSG:2154 ou EPSG:4326)"
        )
    work = to_work_crs(frame, name=source)
    geom = shapely.union_all(np.asarray(work.geometry.array))
    return Perimeter(_polygonal(geom, source), name, None, {}, source)


def _polygonal(geom: shapely.Geometry, what: str) -> shapely.Geometry:
    if geom is None or geom.is_empty:
        raise SchemaError(f"{what} : géométrie vide ; attendu un polygone")
    geom = shapely.make_valid(geom)
    polys = [
        g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon")
    ]
    if not polys:
        raise SchemaError(f"{what} : géométrie {geom.geom_type} ; attendu un polygone")
    return shapely.union_all(polys)


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def zone_of(frame: gpd.GeoDataFrame, perimeter: shapely.Geometry, buffer_m: float) -> np.ndarray:
    """``"périmètre"``, ``"abords"`` or ``""`` (farther) for each feature."""
    if len(frame) == 0:
        return np.array([], dtype=object)
    geoms = np.asarray(to_work_crs(frame, name="couche").geometry.array)
    shapely.prepare(perimeter)
    inside = shapely.intersects(geoms, perimeter)
    near = shapely.dwithin(geoms, perimeter, buffer_m)
    out = np.full(len(geoms), "", dtype=object)
    out[near] = ABORDS
    out[inside] = PERIMETRE
    return out


def distance_m(frame: gpd.GeoDataFrame, perimeter: shapely.Geometry) -> np.ndarray:
    geoms = np.asarray(to_work_crs(frame, name="couche").geometry.array)
    return np.round(shapely.distance(geoms, perimeter), 0)


@dataclass(frozen=True)
class Windows:
    """The review's time windows: the whole window, and before/after a delivery."""

    start: pd.Timestamp
    end: pd.Timestamp
    delivery: pd.Timestamp | None
    before: tuple[pd.Timestamp, pd.Timestamp] | None
    after: tuple[pd.Timestamp, pd.Timestamp] | None
    data_end: pd.Timestamp
    data_start: pd.Timestamp


def windows(
    perimeter: Perimeter, data_start: pd.Timestamp, data_end: pd.Timestamp, months: int
) -> Windows:
    """Windows of ``months`` months: before and after delivery when delivered, else the last.

    Windows never reach outside the data (``[data_start, data_end)``), so a rate per
    month is never diluted by months without data.
    """
    delivery = perimeter.record.get("date_livraison")
    d = pd.Timestamp(delivery).normalize() if delivery is not None else None
    if d is not None and data_start < d <= data_end:
        before = (max(d - pd.DateOffset(months=months), data_start), d)
        after = (d, min(d + pd.DateOffset(months=months), data_end))
        return Windows(before[0], after[1], d, before, after, data_end, data_start)
    start = max(data_end - pd.DateOffset(months=months), data_start)
    return Windows(start, data_end, None, None, None, data_end, data_start)


def coverage_notes(layers: Mapping[str, pd.DataFrame], w: Windows) -> list[str]:
    """What the data covers (French): each dated layer's first and last date, and the
    quarters of the chart the window only partly covers (their bars are partial)."""
    from gupgeo.periods import parse_period

    covered = [c for c in coverage_of(layers).values() if c.layer in REVIEWED_LAYERS]
    notes = [f"Couverture des données : {coverage_words(covered)}."] if covered else []
    window = LayerCoverage("fenêtre", w.start, w.end - pd.Timedelta(days=1))
    quarters = pd.period_range(w.start, w.end - pd.Timedelta(days=1), freq="Q")
    labels = [f"{q.year}-T{q.quarter}" for q in quarters]
    partial = [lab for lab in labels if window.status(parse_period(lab)) != COVERED]
    if partial:
        notes.append(
            f"Signalements par trimestre : {', '.join(partial)} en partie seulement dans la "
            f"fenêtre (du {w.start:%d/%m/%Y} au {w.end - pd.Timedelta(days=1):%d/%m/%Y}) : "
            "barres partielles."
        )
    return notes


def months_between(start: pd.Timestamp, end: pd.Timestamp) -> float:
    return max((end - start).days / 30.4375, 0.0)


def by_category(sig: pd.DataFrame, w: Windows) -> pd.DataFrame:
    """Signalements of the window per category and zone, with the change across halves.

    Columns ``périmètre``, ``abords``, ``total``, ``evolution_pct`` (second half of the
    window vs first half, per month), sorted by decreasing total.
    """
    dates = sig["date_signalement"]
    inside = sig[(dates >= w.start) & (dates < w.end)]
    table = (
        inside.groupby(["categorie", "zone"], observed=True).size().unstack("zone", fill_value=0)
        if len(inside)
        else pd.DataFrame(columns=list(ZONES))
    )
    for z in ZONES:
        if z not in table.columns:
            table[z] = 0
    table = table[list(ZONES)].astype("int64")
    table["total"] = table.sum(axis=1)
    middle = w.start + (w.end - w.start) / 2
    first = inside[inside["date_signalement"] < middle].groupby("categorie").size()
    second = inside[inside["date_signalement"] >= middle].groupby("categorie").size()
    n_first = first.reindex(table.index, fill_value=0).to_numpy(dtype="float64")
    n_second = second.reindex(table.index, fill_value=0).to_numpy(dtype="float64")
    table["premiere_moitie"] = n_first.astype("int64")
    table["seconde_moitie"] = n_second.astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        table["evolution_pct"] = np.where(n_first > 0, (n_second - n_first) / n_first * 100, np.nan)
    table = table.sort_values(["total"], ascending=False, kind="stable")
    table.index.name = "categorie"
    return table


def by_quarter(sig: pd.DataFrame, w: Windows) -> pd.DataFrame:
    """Signalements per calendar quarter of the window and zone (empty quarters kept)."""
    dates = sig["date_signalement"]
    inside = sig[(dates >= w.start) & (dates < w.end)]
    quarters = pd.period_range(w.start, w.end - pd.Timedelta(days=1), freq="Q")
    labels = [f"{q.year}-T{q.quarter}" for q in quarters]
    table = pd.DataFrame(0, index=pd.Index(labels, name="trimestre"), columns=list(ZONES))
    if len(inside):
        q = inside["date_signalement"].dt.to_period("Q")
        key = [f"{p.year}-T{p.quarter}" for p in q]
        counts = pd.crosstab(pd.Series(key, index=inside.index), inside["zone"])
        for z in ZONES:
            if z in counts.columns:
                table[z] = counts[z].reindex(labels, fill_value=0).to_numpy()
    table["total"] = table[list(ZONES)].sum(axis=1)
    return table


def before_after(sig: pd.DataFrame, w: Windows) -> pd.DataFrame | None:
    """Per category: signalements per month before and after delivery, and the change."""
    if w.before is None or w.after is None:
        return None
    dates = sig["date_signalement"]
    b = sig[(dates >= w.before[0]) & (dates < w.before[1])]
    a = sig[(dates >= w.after[0]) & (dates < w.after[1])]
    mb, ma = months_between(*w.before), months_between(*w.after)
    cats = sorted(set(b["categorie"].dropna()) | set(a["categorie"].dropna()), key=str)
    table = pd.DataFrame(index=pd.Index(cats, name="categorie"))
    table["avant"] = b.groupby("categorie").size().reindex(cats, fill_value=0).astype("int64")
    table["apres"] = a.groupby("categorie").size().reindex(cats, fill_value=0).astype("int64")
    table["avant_par_mois"] = table["avant"] / mb if mb else np.nan
    table["apres_par_mois"] = table["apres"] / ma if ma else np.nan
    table["evolution_pct"] = (
        (table["apres_par_mois"] - table["avant_par_mois"]) / table["avant_par_mois"] * 100
    ).where(table["avant_par_mois"] > 0)
    total = pd.DataFrame(
        {
            "avant": [int(table["avant"].sum())],
            "apres": [int(table["apres"].sum())],
        },
        index=pd.Index(["total"], name="categorie"),
    )
    total["avant_par_mois"] = total["avant"] / mb if mb else np.nan
    total["apres_par_mois"] = total["apres"] / ma if ma else np.nan
    total["evolution_pct"] = (
        (total["apres_par_mois"] - total["avant_par_mois"]) / total["avant_par_mois"] * 100
    ).where(total["avant_par_mois"] > 0)
    table = table.sort_values("avant", ascending=False, kind="stable")
    return pd.concat([table, total])


def guarantee_calls(
    layers: Mapping[str, pd.DataFrame], perimeter: Perimeter, equipements: pd.DataFrame, w: Windows
) -> pd.DataFrame:
    """Uses of the guarantee on the operation itself or on équipements of its perimeter.

    ``layers`` are the *published* layers (free text already through the profile).
    """
    garanties = layers.get("garanties")
    if garanties is None or garanties.empty or "objet_id" not in garanties.columns:
        return pd.DataFrame(columns=["date", "objet_id", "objet", "motif", "moment"])
    objects: dict[str, str] = {}
    if perimeter.operation_id:
        objects[perimeter.operation_id] = perimeter.name
    if len(equipements) and "id" in equipements.columns:
        inside = equipements[equipements["zone"] == PERIMETRE]
        names = inside["nom"] if "nom" in inside.columns else inside["id"]
        objects.update({str(i): str(n) for i, n in zip(inside["id"], names, strict=True)})
    ids = garanties["objet_id"].astype("object").map(str)
    calls = pd.DataFrame(garanties[ids.isin(list(objects)).to_numpy()]).copy()
    calls["objet_id"] = calls["objet_id"].astype("object").map(str)
    calls["objet"] = calls["objet_id"].map(objects)
    if w.delivery is not None:
        calls["moment"] = np.where(calls["date"] < w.delivery, "avant livraison", "après livraison")
    else:
        calls["moment"] = ""
    cols = ["date", "objet_id", "objet", "motif", "moment"]
    return calls[[c for c in cols if c in calls.columns]].sort_values("date", kind="stable")


def layer_near(
    frame: pd.DataFrame | None, perimeter: shapely.Geometry, buffer_m: float
) -> gpd.GeoDataFrame:
    """Rows of a spatial layer within ``buffer_m`` of the perimeter, with ``zone``."""
    if not isinstance(frame, gpd.GeoDataFrame) or len(frame) == 0:
        return gpd.GeoDataFrame({"zone": []}, geometry=[], crs=WORK_CRS)
    work = to_work_crs(frame, name="couche")
    area = shapely.buffer(perimeter, buffer_m)
    candidates = work.sindex.query(area, predicate="intersects")
    candidates = np.sort(candidates)
    near = work.iloc[candidates].copy()
    near["zone"] = zone_of(near, perimeter, buffer_m)
    return near[(near["zone"] != "").to_numpy()]
