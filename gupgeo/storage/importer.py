"""Monthly exports merged into a stored territory: new rows added, changed ones updated.

An export (a CSV, DansMaRue or Open311 file of one layer, usually ``signalements``) is
read and validated like any source, then compared with the stored layer by identifier
(:func:`compare`, pure: no database): a row whose identifier is new is inserted, a row
whose status, raw status or closing date changed is updated, the rest is unchanged.
Importing the same export twice therefore changes nothing.

Every status seen is kept in ``gupgeo_historique_statuts`` (layer, id, previous
status, new status, closing date, date seen), so delays and backlogs can be recomputed
as of any date. The territory and its history are written together: one transaction
in PostGIS, one atomic file replacement in a GeoPackage (the seal and foreign-table
rules of :mod:`gupgeo.storage.geopackage` apply).

One writer at a time: the store's lock is held from reading the stored territory to
writing it back, so two imports run at once (two people, two exports) both land, the
second after the first; it waits up to ``wait_s`` seconds, saying so, then gives up
with :class:`~gupgeo.errors.BusyError` without writing anything.

An export from which nothing can be imported is refused whatever ``max_rejects_pct``:
an empty one (« 0 ligne ») and one whose every row is rejected.

The :class:`ImportReport` balances: rows read = inserted + updated + unchanged +
rejected.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from gupgeo._lock import DEFAULT_WAIT_S, file_lock
from gupgeo.errors import SchemaError, ValidationError
from gupgeo.french import printable
from gupgeo.schemas import SCHEMAS
from gupgeo.storage import postgis
from gupgeo.storage.geopackage import HISTORY_TABLE
from gupgeo.storage.loading import load_territory
from gupgeo.territory import Provenance, Territory
from gupgeo.validation.report import MAX_REJECTS_PCT

TRACKED = ("statut", "statut_brut", "date_cloture", "date_traitement", "echeance", "responsable")
"""The columns an export may change for a known identifier (the last three: constats)."""
HISTORY_COLUMNS = ("couche", "id", "statut_avant", "statut_apres", "date_cloture", "vu_le")


@dataclass(frozen=True)
class ImportReport:
    """How the rows of an export were used."""

    layer: str
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int

    @property
    def balanced(self) -> bool:
        return self.read == self.inserted + self.updated + self.unchanged + self.rejected

    def to_text(self) -> str:
        """The report in French, as printed by ``gupgeo importer``."""
        check = "équilibré" if self.balanced else "NON ÉQUILIBRÉ"
        return printable(
            f"Import « {self.layer} » : {self.read} ligne(s) lue(s) = {self.inserted} "
            f"ajoutée(s) + {self.updated} mise(s) à jour + {self.unchanged} inchangée(s) + "
            f"{self.rejected} rejetée(s) ({check})"
        )


@dataclass
class Diff:
    """What an export changes in a layer (see :func:`compare`)."""

    merged: pd.DataFrame
    inserted: int
    updated: int
    unchanged: int
    history: pd.DataFrame


def _same(a: Any, b: Any) -> bool:
    a_missing, b_missing = bool(pd.isna(a)), bool(pd.isna(b))
    return (a_missing and b_missing) or (not a_missing and not b_missing and bool(a == b))


def compare(
    current: pd.DataFrame,
    incoming: pd.DataFrame,
    *,
    layer: str = "signalements",
    seen_at: dt.datetime,
) -> Diff:
    """Merge ``incoming`` into ``current`` by the layer's identifier.

    Rows of ``incoming`` with an unknown identifier are appended; known ones whose
    tracked columns (``statut``, ``statut_brut``, ``date_cloture``) differ are updated
    in place; the others are counted unchanged. ``history`` holds one row per status
    seen for the first time or changed, dated ``seen_at``.

    Examples
    --------
    >>> old = pd.DataFrame({"id": ["a", "b"], "statut": ["nouveau", "en cours"]})
    >>> new = pd.DataFrame({"id": ["b", "c"], "statut": ["résolu", "nouveau"]})
    >>> d = compare(old, new, seen_at=dt.datetime(2024, 5, 1))
    >>> d.merged["statut"].tolist(), d.inserted, d.updated, d.unchanged
    (['nouveau', 'résolu', 'nouveau'], 1, 1, 0)
    >>> d.history["id"].tolist(), d.history["statut_apres"].tolist()
    (['b', 'c'], ['résolu', 'nouveau'])
    """
    id_col = SCHEMAS[layer].id_column
    if not id_col or id_col not in incoming.columns or id_col not in current.columns:
        raise SchemaError(
            f"couche « {layer} » : import incrémental impossible sans colonne d'identifiant "
            f"({id_col or 'aucune déclarée'}) dans l'export et dans le territoire"
        )
    tracked = [c for c in TRACKED if c in incoming.columns and c in current.columns]
    position = {v: i for i, v in enumerate(current[id_col].tolist())}
    merged = current.copy()
    history: list[dict[str, Any]] = []
    new_rows: list[int] = []
    updated = unchanged = 0
    for k, row in enumerate(incoming.to_dict("records")):
        key = row[id_col]
        if key not in position:
            new_rows.append(k)
            history.append(_history(layer, key, None, row, seen_at))
            continue
        i = position[key]
        changed = [c for c in tracked if not _same(merged[c].iat[i], row[c])]
        if not changed:
            unchanged += 1
            continue
        updated += 1
        before = merged["statut"].iat[i] if "statut" in merged.columns else None
        for c in changed:
            merged.iloc[i, merged.columns.get_loc(c)] = row[c]  # type: ignore[index]
        if "statut" in changed:
            history.append(_history(layer, key, before, row, seen_at))
    if new_rows:
        merged = _append(merged, incoming.iloc[new_rows])
    table = pd.DataFrame(history, columns=list(HISTORY_COLUMNS))
    return Diff(merged, len(new_rows), updated, unchanged, _typed_history(table))


def _history(
    layer: str, key: Any, before: Any, row: Mapping[Any, Any], seen_at: dt.datetime
) -> dict[str, Any]:
    return {
        "couche": layer,
        "id": str(key),
        "statut_avant": None if before is None or pd.isna(before) else str(before),
        "statut_apres": None if pd.isna(row.get("statut")) else str(row.get("statut")),
        "date_cloture": row.get("date_cloture", row.get("date_traitement")),
        "vu_le": seen_at,
    }


def _typed_history(table: pd.DataFrame) -> pd.DataFrame:
    out = table.astype({c: "string" for c in ("couche", "id", "statut_avant", "statut_apres")})
    out["date_cloture"] = pd.to_datetime(out["date_cloture"]).astype("datetime64[ns]")
    out["vu_le"] = pd.to_datetime(out["vu_le"]).astype("datetime64[ns]")
    return out


def _append(current: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``current`` then ``new`` (aligned on ``current``'s columns), dtypes kept."""
    new = new.reindex(columns=current.columns)
    if isinstance(current, gpd.GeoDataFrame) and isinstance(new, gpd.GeoDataFrame):
        new = new.set_crs(current.crs, allow_override=new.crs is None).to_crs(current.crs)
    both = pd.concat([pd.DataFrame(current), pd.DataFrame(new)], ignore_index=True)
    for col, dtype in current.dtypes.items():
        if col != "geometry" and both[col].dtype != dtype:
            with contextlib.suppress(TypeError, ValueError):
                both[col] = both[col].astype(dtype)
    if isinstance(current, gpd.GeoDataFrame):
        return gpd.GeoDataFrame(both, geometry=current.geometry.name, crs=current.crs)
    return both


def read_history(store: str | Path) -> pd.DataFrame:
    """The status history of a stored territory (empty when none was recorded)."""
    empty = _typed_history(pd.DataFrame(columns=list(HISTORY_COLUMNS)))
    if postgis.is_postgis_url(store):
        location = postgis.parse_url(str(store))
        with postgis.connect(location) as conn:
            if HISTORY_TABLE not in postgis.list_tables(conn, location.schema):
                return empty
            return _typed_history(postgis.read_table(conn, location.schema, HISTORY_TABLE))
    path = Path(store)
    if not path.exists() or HISTORY_TABLE not in pyogrio.list_layers(path)[:, 0]:
        return empty
    return _typed_history(pd.DataFrame(pyogrio.read_dataframe(path, layer=HISTORY_TABLE)))


def import_export(
    export: str | Path,
    store: str | Path,
    *,
    layer: str | None = None,
    seen_at: dt.datetime | None = None,
    columns: Mapping[str, str] | None = None,
    max_rejects_pct: float = MAX_REJECTS_PCT,
    walk_date: dt.date | None = None,
    diagnostic_id: str | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> ImportReport:
    """Merge the export file ``export`` into the territory stored at ``store``.

    ``store`` is a GeoPackage saved by gupgeo or a PostGIS URL. ``layer`` names the
    export's layer (default: deduced from the file name, as in a folder load).
    ``seen_at`` dates the status changes (default: now). ``columns`` maps the layer's
    columns onto the export's (as in :func:`gupgeo.read_layer`; the export's folder
    ``gupgeo.toml`` applies too). An export rejecting more than ``max_rejects_pct``
    percent of its rows is refused: nothing is written; so is an export with no row, or
    with every row rejected. The store's lock is held from reading to writing; another
    writer is waited for up to ``wait_s`` seconds. A walk file (GPX, KML) brings its
    constats and its diagnostic (the route); ``walk_date`` dates the rows that have no
    date; with ``diagnostic_id`` (``gupgeo diagnostic rattacher``), its constats are
    attached to that stored diagnostic (identifiers ``<id>-01``…) and its route given to
    the diagnostic when it has none.

    Raises
    ------
    SchemaError
        When the export holds no layer, or several, or a layer without identifier.
    ValidationError
        When the export or the stored territory has a fatal problem (an incomplete
        save…), the export rejects too many rows, or has none to import: nothing is
        written.
    BusyError
        When another process still writes the store after ``wait_s`` seconds.
    """
    seen_at = seen_at or dt.datetime.now().replace(microsecond=0)
    options: dict[str, Any] = {
        "columns": {(layer or "*"): dict(columns)} if columns else None,
        "max_rejects_pct": max_rejects_pct,
        "walk_date": walk_date,
    }
    source = (
        load_territory(layers={layer: export}, **options)
        if layer
        else load_territory(export, **options)
    )
    walk = set(source.layers) == {"constats", "diagnostics"}
    if len(source.layers) != 1 and not walk:
        found = ", ".join(source.layers) or "aucune"
        raise SchemaError(
            f"{export} : une couche attendue dans l'export, trouvé : {found} ; précisez-la "
            "(--couche signalements) ou nommez le fichier d'après elle (signalements_….csv)"
        )
    name = "constats" if walk else next(iter(source.layers))
    incoming = source[name]
    if diagnostic_id is not None:
        source = _attached(source, diagnostic_id, store)
        incoming = source["constats"]
    layer_reports = [r for r in source.report.layers if r.layer == name]
    read = sum(r.rows_read for r in layer_reports)
    rejected = sum(r.rows_rejected for r in layer_reports)
    _check_export(export, source, name, read, rejected)
    routes = source["diagnostics"] if "diagnostics" in source.layers and walk else None
    with _store_lock(store, wait_s=wait_s):
        return _merge(
            store,
            export,
            name,
            incoming,
            seen_at,
            read,
            rejected,
            routes=routes,
            attached=diagnostic_id is not None,
        )


def _refuse_fatal(where: str | Path, loaded: Territory) -> None:
    fatal = [i.message for r in loaded.report.layers for i in r.issues_of("fatal")]
    if fatal:
        raise ValidationError(
            f"{where} : import refusé, erreur bloquante : {fatal[0]} "
            f"(détail : gupgeo validate {where})",
            loaded.report,
        )


def _check_export(
    export: str | Path, source: Territory, name: str, read: int, rejected: int
) -> None:
    """Refuse an export with a fatal problem, nothing to import, or too many rejects."""
    _refuse_fatal(export, source)
    if read == rejected:
        raise ValidationError(_nothing_to_import(export, name, read), source.report)
    if not source.report.ok:  # too many rows rejected: importing the rest would lose them
        raise ValidationError(
            f"{export} : import refusé, {source.report.errors()[0]} ; rien n'a été écrit "
            f"(détail : gupgeo validate {export} ; pour accepter ces rejets : --max-rejets)",
            source.report,
        )


def _nothing_to_import(export: str | Path, layer: str, read: int) -> str:
    """Why an export brings nothing (French): no row at all, or every row rejected."""
    if read == 0:
        return (
            f"{export} : 0 ligne lue (en-tête seul) : aucune ligne à importer ; le territoire "
            f"est gardé tel quel, rien n'a été écrit (export incomplet ? couche « {layer} »)"
        )
    return (
        f"{export} : aucune ligne importable, les {read} ligne(s) lue(s) sont rejetées "
        f"(couche « {layer} ») ; le territoire est gardé tel quel, rien n'a été écrit "
        f"(détail : gupgeo validate {export})"
    )


@contextlib.contextmanager
def _store_lock(store: str | Path, *, wait_s: float) -> Iterator[None]:
    """The write lock of ``store`` (PostGIS schema or GeoPackage file)."""
    if postgis.is_postgis_url(store):
        with postgis.schema_lock(str(store), wait_s=wait_s):
            yield
    else:
        with file_lock(Path(store), wait_s=wait_s, what=str(store)):
            yield


def _merge(
    store: str | Path,
    export: str | Path,
    name: str,
    incoming: pd.DataFrame,
    seen_at: dt.datetime,
    read: int,
    rejected: int,
    *,
    routes: pd.DataFrame | None = None,
    attached: bool = False,
) -> ImportReport:
    """Read the stored territory, merge ``incoming``, write it back (lock held).

    ``routes`` is a walk file's diagnostic: added when new; with ``attached``
    (:func:`_attached`), the stored diagnostics with the walk's route given."""
    territory = load_territory(store)
    lost = sum(r.rows_rejected for r in territory.report.layers)
    if lost:  # rewriting the store would drop them
        raise ValidationError(
            f"{store} : import refusé, {lost} ligne(s) du territoire enregistré rejetée(s) à "
            f"la relecture (détail : gupgeo validate {store}) ; corrigez-les d'abord",
            territory.report,
        )
    _refuse_fatal(store, territory)
    current = territory[name] if name in territory.layers else incoming.iloc[:0]
    diff = compare(current, incoming, layer=name, seen_at=seen_at)
    history = pd.concat([read_history(store), diff.history], ignore_index=True)
    changed = {name: diff.merged}
    if routes is not None and attached:
        changed["diagnostics"] = routes  # the stored diagnostics, maybe with the route
    elif routes is not None:  # the walk's route: a new diagnostic added, a known one kept
        known = territory.layers.get("diagnostics", routes.iloc[:0])
        added = compare(known, routes, layer="diagnostics", seen_at=seen_at)
        if added.inserted:
            changed["diagnostics"] = added.merged
    if diff.inserted or diff.updated or len(changed) > 1:
        updated = territory.with_layers(changed)
        prov = _provenance(territory, name, export, len(diff.merged))
        if prov is not None:
            updated.provenance[name] = prov
        updated.save(store, rejects=False, extra={HISTORY_TABLE: _typed_history(history)})
    return ImportReport(name, read, diff.inserted, diff.updated, diff.unchanged, rejected)


def _attached(source: Territory, diagnostic_id: str, store: str | Path) -> Territory:
    """The walk's constats and route renamed after the stored diagnostic ``diagnostic_id``."""
    stored = load_territory(store)
    known = stored.layers.get("diagnostics")
    ids = [] if known is None else sorted(known["id"].astype(str))
    if diagnostic_id not in ids:
        raise SchemaError(
            f"diagnostic « {diagnostic_id} » absent de {store} ; diagnostics connus : "
            f"{', '.join(ids) or 'aucun'} (ajoutez-le à la couche diagnostics d'abord)"
        )
    if "constats" not in source.layers:
        raise SchemaError("le fichier ne contient aucun constat à rattacher")
    constats = source["constats"].copy()
    constats["diagnostic_id"] = diagnostic_id
    constats["id"] = [f"{diagnostic_id}-{k + 1:02d}" for k in range(len(constats))]
    route: Any = source.layers.get("diagnostics")
    updated: Any = known.copy() if known is not None else None
    if updated is not None and route is not None and len(route):
        position = int((updated["id"].astype(str) == diagnostic_id).to_numpy().argmax())
        column = updated.columns.get_loc("geometry")
        if updated.geometry.iloc[position] is None:
            updated.iloc[position, column] = route.to_crs(updated.crs).geometry.iat[0]
    layers = {"constats": constats}
    if updated is not None:
        layers["diagnostics"] = updated  # every stored diagnostic, the walk's route added
    return source.with_layers(layers)


def _provenance(
    territory: Territory, layer: str, export: str | Path, rows: int
) -> Provenance | None:
    prov = territory.provenance.get(layer)
    if prov is None:
        return None
    source = prov.source if str(export) in prov.source else f"{prov.source} + {export}"
    return replace(prov, rows=rows, source=source)


__all__ = ["HISTORY_TABLE", "Diff", "ImportReport", "compare", "import_export", "read_history"]
