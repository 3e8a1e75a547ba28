"""Which column of a file is which column of a layer.

Three ways a file's column becomes a schema column, in this order:

1. an explicit mapping ``{target: source}`` (``read_layer(columns=…)``,
   ``--colonne CIBLE=SOURCE``, or the ``colonnes`` table of a ``gupgeo.toml``
   manifest) — always wins;
2. the identifier: among the columns that could be it (``numero``, ``id_dmr``…)
   the first whose values are unique; with none, identifiers are made from the
   source line numbers (``ligne-12``);
3. header matching: names and aliases compared by :func:`gupgeo.schemas.header_key`
   (case, accents, spaces, punctuation and small words do not matter).

Everything decided is said in the layer's report. A required column still missing
gets a message listing the closest columns found and the ``--colonne`` line to add.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from gupgeo.crs import DISPLAY_CRS
from gupgeo.errors import SchemaError
from gupgeo.readers.raw import RawLayer
from gupgeo.readers.tabular import COORDINATE_TARGETS, DEGREE_TARGETS, coordinate_partner
from gupgeo.schemas import LayerSchema, header_key, normalise_name
from gupgeo.validation.suggestions import candidates


@dataclass
class ColumnMatch:
    """The outcome of matching a file's columns to a schema.

    ``frame`` has the schema's names; ``mapped`` says, for each schema column
    found, the file's column it came from (only when the names differ);
    ``problems`` are fatal messages (a mapping naming an absent column…).
    """

    frame: pd.DataFrame
    mapped: dict[str, str] = field(default_factory=dict)
    explicit: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


def parse_column_option(text: str) -> tuple[str | None, str, str]:
    """Split one ``--colonne`` value into ``(layer or None, target, source)``.

    ``CIBLE=SOURCE`` applies to every layer that has the column ``CIBLE`` and
    whose file has ``SOURCE``; ``couche.CIBLE=SOURCE`` to one layer only.

    Raises
    ------
    SchemaError
        When the text has no ``=`` or an empty side.

    Examples
    --------
    >>> parse_column_option("date_signalement=Date de création")
    (None, 'date_signalement', 'Date de création')
    >>> parse_column_option("signalements.id=N° fiche")
    ('signalements', 'id', 'N° fiche')
    """
    target, sep, source = text.partition("=")
    target, source = target.strip(), source.strip().strip('"').strip("'")
    if not sep or not target or not source:
        raise SchemaError(
            f"--colonne {text!r} : attendu CIBLE=SOURCE, par exemple "
            '--colonne date_signalement="Date de création"'
        )
    layer, dot, name = target.partition(".")
    return (layer, name, source) if dot else (None, target, source)


def column_option(target: str, source: str) -> str:
    """The ``--colonne`` argument mapping ``source`` onto ``target``, quoted for a shell.

    Examples
    --------
    >>> column_option("date_signalement", "Date de création")
    '--colonne date_signalement="Date de création"'
    >>> column_option("id", "numero")
    '--colonne id=numero'
    """
    plain = all(ch.isalnum() or ch in "_-." for ch in source)
    return f"--colonne {target}={source}" if plain else f'--colonne {target}="{source}"'


def closest_columns(wanted: str, found: list[str], *, n: int = 3) -> list[str]:
    """The columns of ``found`` whose names are closest to ``wanted`` (difflib).

    Examples
    --------
    >>> closest_columns("date_signalement", ["Date de création", "Signalé le", "Rue"])
    ['Signalé le', 'Date de création']
    """
    keys = {header_key(c): c for c in found}
    near = difflib.get_close_matches(header_key(wanted), list(keys), n=n, cutoff=0.4)
    return [keys[k] for k in near]


def missing_column_message(
    column: str,
    schema: LayerSchema,
    found: list[str],
    frame: pd.DataFrame | None = None,
    *,
    taken: Iterable[str] = (),
) -> str:
    """What a planner reads when a required column is absent, with the fix to apply.

    With ``frame``, the columns proposed are those whose values fit the column
    (:func:`gupgeo.validation.suggestions.candidates`: dates that parse, numbers in
    range, a few distinct texts for a category), closest names first, never one
    already read as another column (``taken``); without, the closest names.
    """
    accepted = ", ".join((column, *schema.column(column).aliases))
    free = [c for c in found if c not in set(taken)]
    if frame is not None:
        near = candidates(schema.column(column), frame, free, schema=schema)
    else:
        near = closest_columns(column, free)
    message = (
        f"colonne obligatoire « {column} » absente ; "
        + (
            f"colonnes les plus proches (d'après leurs valeurs) : {', '.join(near)} ; "
            if near
            else ""
        )
        + f"colonnes trouvées : {', '.join(found) or 'aucune'} ; noms reconnus : {accepted} ; "
    )
    if near:
        message += (
            f"si « {near[0]} » est bien cette colonne, ajoutez : {column_option(column, near[0])}"
        )
    else:
        message += "aucune colonne du fichier n'a des valeurs de ce type"
        if schema.column(column).kind == "text" and column != schema.id_column:
            message += (
                f" ; si toutes les lignes ont la même valeur, ajoutez : --valeur {column}=TEXTE"
            )
    return message


def suggested_columns(
    schema: LayerSchema,
    missing: Iterable[str],
    frame: pd.DataFrame,
    found: list[str],
    *,
    taken: Iterable[str] = (),
) -> dict[str, str]:
    """For each missing column, the file column whose values fit it best (if any), each
    file column proposed once: what ``--proposer-manifeste`` writes."""
    out: dict[str, str] = {}
    used = set(taken)
    for column in missing:
        near = [
            c
            for c in candidates(schema.column(column), frame, found, schema=schema)
            if c not in used
        ]
        if near:
            out[column] = near[0]
            used.add(near[0])
    return out


def match_columns(
    frame: pd.DataFrame,
    schema: LayerSchema,
    *,
    columns: Mapping[str, str] | None = None,
    line_ids: Callable[[], list[str]] | None = None,
    reserved: frozenset[str] = frozenset(),
    file: str = "",
) -> ColumnMatch:
    """Rename a file's columns to the schema's names.

    Parameters
    ----------
    frame
        The rows as read, with the file's own column names.
    schema
        The layer's schema.
    columns
        Explicit ``{schema column: file column}``; a file column is found by its
        exact name, else by :func:`~gupgeo.schemas.header_key`.
    line_ids
        Identifiers made from where each row is in its source (``ligne-12``), used
        when the layer needs an identifier and no column can be one.
    reserved
        File columns already taken (the coordinates a mapping names): never renamed.
    file
        The file read, named in messages.
    """
    match = ColumnMatch(frame=frame)
    found = [str(c) for c in frame.columns if c != "geometry"]
    by_key = _by_key(found)
    renames: dict[str, str] = {}
    for target, source in (columns or {}).items():
        if target not in {c.name for c in schema.columns}:
            match.problems.append(
                (
                    "colonne cible inconnue",
                    f"colonne cible « {target} » (← « {source} ») inconnue pour la couche "
                    f"« {schema.name} » ; attendu l'une de : "
                    + ", ".join(c.name for c in schema.columns),
                )
            )
            continue
        actual = source if source in found else by_key.get(header_key(source))
        if actual is None:
            match.problems.append(
                ("colonne source absente", absent_source_message(source, target, found, file))
            )
            continue
        renames[actual] = target
        match.explicit[target] = actual
    taken = set(renames.values())
    used = set(renames) | set(reserved)
    _choose_identifier(match, schema, found, renames, taken, used, line_ids)
    aliases = schema.alias_map()
    for col in found:
        if col in used:
            continue
        alias_of = aliases.get(header_key(col))
        if alias_of is None or alias_of in taken:
            continue
        if alias_of != col and alias_of in found and alias_of not in used:
            continue  # the canonical column is there too: it wins, this one stays as is
        renames[col] = alias_of
        taken.add(alias_of)
        used.add(col)
    # A file column named like a schema column that another column now fills keeps its
    # value under another name rather than being overwritten.
    clashes = {c: f"{c} (fichier)" for c in found if c in taken and c not in used}
    match.frame = match.frame.rename(columns={**clashes, **renames})
    match.mapped.update({t: s for s, t in renames.items() if s != t})
    if clashes:
        match.notes.append(
            "colonnes du fichier remplacées par une correspondance et conservées sous un autre "
            "nom : " + ", ".join(f"{a} → {b}" for a, b in clashes.items())
        )
    renamed = {s: t for s, t in renames.items() if s != t}
    if renamed:
        match.notes.insert(
            0, "colonnes renommées : " + ", ".join(f"{a} → {b}" for a, b in renamed.items())
        )
    return match


def _by_key(found: list[str]) -> dict[str, str]:
    by_key: dict[str, str] = {}
    for c in found:
        by_key.setdefault(header_key(c), c)
    return by_key


def absent_source_message(source: str, target: str, found: list[str], file: str = "") -> str:
    """What a planner reads when a mapping names a column the file does not have.

    Examples
    --------
    >>> absent_source_message("Longitude", "x", ["Coord X", "Coord Y"], "export.csv")
    'colonne « Longitude » (pour « x ») absente du fichier export.csv ; colonnes trouvées :
    Coord X, Coord Y'
    """
    near = closest_columns(source, found)
    return (
        f"colonne « {source} » (pour « {target} ») absente du fichier"
        f"{' ' + file if file else ''} ; "
        + (f"colonnes les plus proches : {', '.join(near)} ; " if near else "")
        + f"colonnes trouvées : {', '.join(found) or 'aucune'}"
    )


_X_WORDS = frozenset({"x", "lon", "long", "lng", "longitude", "abscisse", "easting"})
_Y_WORDS = frozenset({"y", "lat", "latitude", "ordonnee", "northing"})


def coordinate_hint(found: list[str]) -> str:
    """The ``--colonne`` options to add when no coordinate column was recognised, naming the
    columns whose words look like coordinates (``LONG_WGS84``, ``Coord X``…).

    Examples
    --------
    >>> coordinate_hint(["Identifiant", "LONG_WGS84", "LAT_WGS84"])
    'si les coordonnées sont dans des colonnes au nom inhabituel, ajoutez : --colonne
    x=LONG_WGS84 --colonne y=LAT_WGS84 (ou lon=/lat= pour des degrés, geo_point_2d= pour
    « latitude, longitude » dans une colonne, wkt= pour du WKT)'
    """
    guess = {}
    for role, words in (("x", _X_WORDS), ("y", _Y_WORDS)):
        near = [c for c in found if words & set(normalise_name(c).split("_"))]
        guess[role] = near[0] if near else "NOM DE LA COLONNE"
    return (
        "si les coordonnées sont dans des colonnes au nom inhabituel, ajoutez : "
        f"{column_option('x', guess['x'])} {column_option('y', guess['y'])} (ou lon=/lat= pour "
        "des degrés, geo_point_2d= pour « latitude, longitude » dans une colonne, wkt= pour du "
        "WKT)"
    )


@dataclass
class CoordinateMatch:
    """Where a table's coordinates are, as a mapping says (:func:`map_coordinates`).

    ``raw`` is a copy of the raw layer pointing at the mapped columns; ``mapped`` is
    ``{target: file column}``, as in :attr:`ColumnMatch.mapped`.
    """

    raw: RawLayer
    mapped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


def map_coordinates(
    raw: RawLayer, schema: LayerSchema, mapping: Mapping[str, str]
) -> CoordinateMatch:
    """Point ``raw`` at the coordinate columns ``mapping`` names (targets of
    :data:`~gupgeo.readers.tabular.COORDINATE_TARGETS`: ``x``/``y``, ``lon``/``lat``,
    ``longitude``/``latitude``, ``geo_point_2d``, ``wkt``).

    ``lon``/``lat`` and ``geo_point_2d`` say WGS84, unless the file or the manifest
    declares a CRS; ``x``/``y`` and ``wkt`` leave the CRS to be declared or deduced.
    One of ``x``/``y`` alone takes its partner from the columns named like it. Problems
    (a column absent, two columns for one coordinate, a file with its own geometries)
    are returned, never raised: they make the layer fatal.
    """
    match = CoordinateMatch(raw=raw)
    if not mapping:
        return match
    found = [str(c) for c in raw.frame.columns if c != "geometry"]
    shown = ", ".join(f"{t}={s}" for t, s in mapping.items())
    if not schema.is_spatial or raw.has_geometry:
        why = (
            f"la couche « {schema.name} » n'a pas de géométrie"
            if not schema.is_spatial
            else f"le fichier a déjà des géométries ({raw.format})"
        )
        match.problems.append(
            (
                "colonnes de coordonnées sans objet",
                f"{raw.source} : {why} ; correspondance "
                f"de coordonnées {shown} inutilisable (elle vaut pour les tableaux CSV ou Excel)",
            )
        )
        return match
    roles = _coordinate_roles(raw, mapping, found, match)
    if match.problems:
        return match
    if ("x" in roles or "y" in roles) and not _complete_xy(raw, roles, found, match):
        return match
    match.raw = _placed(raw, roles, match)
    match.mapped = {target: column for target, column in roles.values()}
    return match


def _coordinate_roles(
    raw: RawLayer, mapping: Mapping[str, str], found: list[str], match: CoordinateMatch
) -> dict[str, tuple[str, str]]:
    """``{role: (target, file column)}`` for each mapped coordinate; problems on ``match``."""
    by_key = _by_key(found)
    roles: dict[str, tuple[str, str]] = {}
    for target, source in mapping.items():
        actual = source if source in found else by_key.get(header_key(source))
        if actual is None:
            match.problems.append(
                (
                    "colonne source absente",
                    absent_source_message(source, target, found, raw.source),
                )
            )
            continue
        role = COORDINATE_TARGETS[target]
        if role in roles:
            match.problems.append(
                (
                    "coordonnée désignée deux fois",
                    f"« {roles[role][0]} » et « {target} » désignent la même coordonnée ({role}) "
                    f"de {raw.source} ; attendu une seule colonne par coordonnée",
                )
            )
            continue
        roles[role] = (target, actual)
    kinds = {"x/y" if r in ("x", "y") else r for r in roles}
    if len(kinds) > 1:
        match.problems.append(
            (
                "coordonnées désignées deux fois",
                f"{raw.source} : "
                + ", ".join(f"« {t} »" for t, _ in roles.values())
                + " décrivent la position de deux façons ; attendu x et y, ou une colonne "
                "geo_point_2d, ou une colonne wkt",
            )
        )
    return roles


def _complete_xy(
    raw: RawLayer, roles: dict[str, tuple[str, str]], found: list[str], match: CoordinateMatch
) -> bool:
    """Find the partner of a lone ``x`` or ``y`` by its name; a problem if there is none."""
    for role in ("x", "y"):
        if role in roles:
            continue
        taken = {column for _, column in roles.values()}
        partner, degrees = coordinate_partner([c for c in found if c not in taken], role)
        if partner is None:
            match.problems.append(
                (
                    "coordonnée absente",
                    f"{raw.source} : colonne de la coordonnée {role} non indiquée et non "
                    f"reconnue ; colonnes trouvées : {', '.join(found)} ; ajoutez : "
                    + column_option(role, "NOM DE LA COLONNE"),
                )
            )
            return False
        roles[role] = ({"x": "longitude", "y": "latitude"}[role] if degrees else role, partner)
        match.notes.append(f"« {partner} » prise comme coordonnée {role} (nom reconnu)")
    return True


def _placed(raw: RawLayer, roles: dict[str, tuple[str, str]], match: CoordinateMatch) -> RawLayer:
    """A copy of ``raw`` reading its coordinates where ``roles`` say."""
    declared = raw.crs is not None and not raw.metadata.get("crs_from_names")
    degrees = any(target in DEGREE_TARGETS for target, _ in roles.values())
    metadata = {k: v for k, v in raw.metadata.items() if k not in ("crs_from_names", "geo_shape")}
    x: str | None = None
    y: str | None = None
    combined: str | None = None
    if "latlon" in roles:
        combined, order = roles["latlon"][1], "yx"
        columns_said = f"colonne « {combined} » au format « latitude, longitude »"
    elif "wkt" in roles:
        combined, order = roles["wkt"][1], "wkt"
        columns_said = f"colonne « {combined} » en WKT"
    else:
        x, y, order = roles["x"][1], roles["y"][1], "xy"
        columns_said = f"colonnes « {x} » (x) / « {y} » (y)"
    match.notes.append(f"coordonnées : {columns_said}, désignées par la correspondance de colonnes")
    crs, note = (raw.crs, raw.crs_note) if declared else (None, "")
    if not declared and degrees:
        crs, note = DISPLAY_CRS, f"WGS84 (EPSG:4326) : {columns_said}, en degrés d'après leur nom"
    return replace(
        raw,
        x_column=x,
        y_column=y,
        xy_column=combined,
        xy_order=order,
        crs=crs,
        crs_note=note,
        metadata=metadata,
        notes=list(raw.notes),
    )


def _choose_identifier(
    match: ColumnMatch,
    schema: LayerSchema,
    found: list[str],
    renames: dict[str, str],
    taken: set[str],
    used: set[str],
    line_ids: Callable[[], list[str]] | None,
) -> None:
    """Pick the identifier column (unique values win) or make identifiers from line numbers."""
    id_col = schema.id_column
    if id_col is None or id_col in taken:
        return
    order = schema.id_candidates()
    candidates = sorted(
        (c for c in found if c not in used and header_key(c) in order),
        key=lambda c: order.index(header_key(c)),
    )
    if not candidates:
        if line_ids is not None and schema.column(id_col).required and schema.ids_from_lines:
            ids = line_ids()
            match.frame = match.frame.assign(**{id_col: ids})
            match.notes.append(
                f"aucune colonne identifiant ({', '.join(order)}) : identifiants fabriqués à "
                f"partir des numéros de ligne du fichier (« {ids[0] if ids else 'ligne-2'} »…)"
            )
            taken.add(id_col)
        return
    chosen = candidates[0]
    if len(candidates) > 1:
        duplicates = {c: _duplicates(match.frame[c]) for c in candidates}
        unique = [c for c in candidates if duplicates[c] == 0]
        chosen = unique[0] if unique else candidates[0]
        others = ", ".join(
            f"« {c} » ({duplicates[c]} valeur(s) en double)"
            if duplicates[c]
            else f"« {c} » (valeurs uniques aussi)"
            for c in candidates
            if c != chosen
        )
        why = "ses valeurs sont uniques" if unique else "aucune n'a des valeurs uniques"
        match.notes.append(
            f"plusieurs colonnes peuvent servir d'identifiant : « {chosen} » retenue ({why}) ; "
            f"écartée(s) : {others} ; pour en choisir une autre : "
            + column_option(id_col, candidates[1] if chosen == candidates[0] else candidates[0])
        )
    if chosen != id_col:
        renames[chosen] = id_col
    taken.add(id_col)
    used.add(chosen)


def _date_like(frame: pd.DataFrame, found: list[str]) -> list[str]:
    """Columns whose first non-empty values all read as dates."""
    from gupgeo.dates import parse_dates

    out = []
    for c in found:
        sample = frame[c].dropna().head(20)
        if len(sample) and not pd.api.types.is_numeric_dtype(sample):
            _, bad = parse_dates(sample)
            if not bad.any():
                out.append(c)
    return out


def _duplicates(values: pd.Series) -> int:
    present = values.dropna()
    return int(present.duplicated().sum())
