"""Repeated reports: signalements that are the same problem reported again.

DansMaRue analysts merge repeated reports with DBSCAN at 10–20 m per sub-type; DBSCAN
chains: a line of reports 15 m apart becomes one "problem" hundreds of metres long.
Here groups have a bounded size, by construction:

1. within each value of ``by`` (``categorie``), signalements are taken in date order;
2. the earliest signalement not yet grouped is a **seed**; its group is every
   signalement not yet grouped, of the same ``by`` value, within ``radius_m`` metres of
   the seed and dated from the seed's day to ``days`` days after it;
3. repeat until every signalement belongs to a group (a lone one is a group of one).

Every member is within ``radius_m`` of the seed, so two members are at most
``2 × radius_m`` apart, and within ``days`` days of each other: no transitive chaining.
The result depends on the order (the seed is the earliest report, as a field agent
would see the first one as "the" problem). Signalements without a date or a location
are groups of one.

The dashboard can then count problems as well as reports (:func:`problems_by_quartier`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from gupgeo.crs import WORK_CRS
from gupgeo.errors import SchemaError
from gupgeo.schemas import STATUTS_CLOS
from gupgeo.validation import canonical_statuses
from gupgeo.veille.grids import HORS_QPV, work_xy

REPEATED_COLUMNS = (
    "id_probleme",
    "code_qp",
    "nb_signalements",
    "premier",
    "dernier",
    "duree_jours",
    "statut",
    "nb_ouverts",
    "ids",
    "geometry",
)
_NS_PER_DAY = 86_400 * 10**9


def check_bounds(radius_m: float, days: float) -> None:
    """Refuse, in French, a radius or a delay that cannot bound a group."""
    if not np.isfinite(radius_m) or radius_m <= 0:
        raise ValueError(f"radius_m doit être une distance positive en mètres ; reçu {radius_m!r}")
    if not np.isfinite(days) or days < 0:
        raise ValueError(f"days doit être un nombre de jours positif ou nul ; reçu {days!r}")


def _seed_groups(order: np.ndarray, indptr: np.ndarray, targets: np.ndarray, n: int) -> np.ndarray:
    """Greedy grouping: walk ``order``; an ungrouped row seeds a group of its free targets."""
    group = np.full(n, -1, dtype="int64")
    isolated = np.diff(indptr) == 0
    next_id = 0
    for i in order.tolist():
        if group[i] >= 0:
            continue
        group[i] = next_id
        if not isolated[i]:
            members = targets[indptr[i] : indptr[i + 1]]
            free = members[group[members] < 0]
            group[free] = next_id
        next_id += 1
    return group


def report_groups(
    signalements: gpd.GeoDataFrame,
    *,
    radius_m: float = 20.0,
    days: float = 30.0,
    by: str | None = "categorie",
) -> pd.Series:
    """The problem each signalement belongs to (see the module docstring for the rule).

    Returns
    -------
    Series
        ``id_probleme`` (0, 1, … numbered in seed order), aligned on ``signalements``.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> s = gpd.GeoDataFrame(
    ...     {"categorie": ["tags"] * 4,
    ...      "date_signalement": ["2024-01-01", "2024-01-05", "2024-01-09", "2024-01-02"]},
    ...     geometry=[Point(0, 0), Point(15, 0), Point(30, 0), Point(500, 0)], crs=2154)
    >>> report_groups(s, radius_m=20, days=30).tolist()
    [0, 0, 2, 1]
    """
    check_bounds(radius_m, days)
    n = len(signalements)
    if n == 0:
        return pd.Series([], index=signalements.index, dtype="int64", name="id_probleme")
    x, y = work_xy(signalements)
    if "date_signalement" not in signalements.columns:
        raise SchemaError("colonne date_signalement absente des signalements")
    dates = pd.to_datetime(signalements["date_signalement"], errors="coerce").to_numpy(
        "datetime64[ns]"
    )
    ns = dates.astype("int64")
    usable = np.isfinite(x) & np.isfinite(y) & ~np.isnat(dates)
    if by is None:
        cat = np.zeros(n, dtype="int64")
    elif by not in signalements.columns:
        raise SchemaError(f"colonne {by!r} absente des signalements (by={by!r})")
    else:
        values = signalements[by].astype(object)
        cat = pd.factorize(values.where(values.notna(), "non renseigné").astype(str), sort=True)[0]
    order = np.lexsort((np.arange(n), ns, cat))
    rank = np.empty(n, dtype="int64")
    rank[order] = np.arange(n)
    rows = np.flatnonzero(usable)
    pairs = np.empty((0, 2), dtype="int64")
    if len(rows) > 1:
        # Categories are put far apart so one tree never pairs two of them.
        spread = max(np.nanmax(x) - np.nanmin(x), np.nanmax(y) - np.nanmin(y)) + 10 * radius_m
        px = x[rows] - np.nanmin(x) + cat[rows] * spread
        tree = cKDTree(np.column_stack([px, y[rows]]))
        pairs = rows[tree.query_pairs(radius_m, output_type="ndarray")]
    if len(pairs):
        # Direct each pair from the earlier to the later signalement (rank = date order).
        swap = rank[pairs[:, 0]] > rank[pairs[:, 1]]
        pairs[swap] = pairs[swap][:, ::-1]
        close = (ns[pairs[:, 1]] - ns[pairs[:, 0]]) <= days * _NS_PER_DAY
        pairs = pairs[close]
    src, dst = pairs[:, 0], pairs[:, 1]
    sort = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype="int64")
    np.add.at(indptr, src + 1, 1)
    indptr = np.cumsum(indptr)
    group = _seed_groups(order, indptr, dst[sort], n)
    return pd.Series(group, index=signalements.index, name="id_probleme")


def repeated_reports(
    signalements: gpd.GeoDataFrame,
    *,
    radius_m: float = 20.0,
    days: float = 30.0,
    by: str | None = "categorie",
    min_reports: int = 2,
    groups: pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Problems reported at least ``min_reports`` times, one row per problem.

    Parameters
    ----------
    signalements
        Point layer with a CRS, ``date_signalement``; ``by``, ``code_qp``, ``statut`` and
        ``id`` are used when present.
    radius_m
        Largest distance from the first report of a problem to any other, in metres.
    days
        Largest delay after the first report of a problem, in days.
    by
        Column whose values are never grouped together (``None``: all together).
    min_reports
        Smallest group kept (1 keeps every problem).
    groups
        Precomputed :func:`report_groups`, to reuse one grouping.

    Returns
    -------
    GeoDataFrame
        Columns :data:`REPEATED_COLUMNS` plus ``by``; the geometry is the first report's
        point (EPSG:2154); ``statut`` the canonical status of the latest report;
        ``nb_ouverts`` the reports still open (``<NA>``, « statut inconnu », when none
        of its reports has a status); ``ids`` the report ids, comma-separated.
    """
    if groups is None:
        groups = report_groups(signalements, radius_m=radius_m, days=days, by=by)
    gid = groups.to_numpy()
    dates = pd.to_datetime(signalements["date_signalement"], errors="coerce")
    frame = pd.DataFrame({"id_probleme": gid, "date": dates.to_numpy(), "pos": np.arange(len(gid))})
    if "statut" in signalements.columns:
        statut = canonical_statuses(signalements["statut"]).to_numpy()
    else:
        statut = np.full(len(gid), None, dtype=object)
    frame["statut"] = statut
    frame["ouvert"] = ~pd.Series(statut).isin(STATUTS_CLOS).to_numpy() & pd.notna(statut)
    frame["connu"] = pd.notna(statut)
    frame["ids"] = (
        signalements["id"].astype(str).to_numpy()
        if "id" in signalements.columns
        else signalements.index.astype(str).to_numpy()
    )
    sizes = np.bincount(gid, minlength=int(gid.max()) + 1 if len(gid) else 0)
    frame = frame[sizes[gid] >= min_reports].sort_values(["id_probleme", "date", "pos"])
    grouped = frame.groupby("id_probleme", sort=True)
    first = grouped["pos"].first().to_numpy()
    out = pd.DataFrame(
        {
            "id_probleme": grouped.size().index.to_numpy(),
            "nb_signalements": grouped.size().to_numpy(),
            "premier": grouped["date"].min().to_numpy(),
            "dernier": grouped["date"].max().to_numpy(),
            "statut": grouped["statut"].last().to_numpy(),
            "nb_ouverts": pd.array(grouped["ouvert"].sum().to_numpy(), dtype="Int64"),
            "ids": grouped["ids"].agg(", ".join).to_numpy(),
        }
    )
    # No report of the problem has a status (DansMaRue, property sales…): open or closed
    # cannot be told, and 0 open would read « tous clos ».
    out.loc[~grouped["connu"].any().to_numpy(), "nb_ouverts"] = pd.NA
    out["duree_jours"] = (out["dernier"] - out["premier"]).dt.days
    out["code_qp"] = (
        signalements["code_qp"].to_numpy()[first] if "code_qp" in signalements.columns else None
    )
    if by is not None:
        out[by] = signalements[by].to_numpy()[first]
    geoms = np.asarray(signalements.to_crs(WORK_CRS).geometry.array)[first] if len(first) else []
    columns = [*REPEATED_COLUMNS[:-1], *([by] if by is not None else []), "geometry"]
    result = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=WORK_CRS), crs=WORK_CRS)
    result = result.sort_values(["nb_signalements", "premier"], ascending=[False, True])
    return result[columns].reset_index(drop=True)


def problems_by_quartier(
    signalements: gpd.GeoDataFrame,
    *,
    radius_m: float = 20.0,
    days: float = 30.0,
    by: str | None = "categorie",
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """Reports and distinct problems per quartier (a problem counts in its first report's quartier).

    Returns
    -------
    DataFrame
        Indexed by ``code_qp``: ``nb_signalements``, ``nb_problemes``,
        ``nb_problemes_repetes`` (reported at least twice) and
        ``signalements_par_probleme``.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> s = gpd.GeoDataFrame(
    ...     {"categorie": ["tags"] * 3, "code_qp": ["QP1", "QP1", "QP2"],
    ...      "date_signalement": ["2024-01-01", "2024-01-02", "2024-01-03"]},
    ...     geometry=[Point(0, 0), Point(5, 0), Point(900, 0)], crs=2154)
    >>> problems_by_quartier(s)[["nb_signalements", "nb_problemes"]].to_dict("index")
    {'QP1': {'nb_signalements': 2, 'nb_problemes': 1},
     'QP2': {'nb_signalements': 1, 'nb_problemes': 1}}
    """
    if "code_qp" not in signalements.columns:
        raise SchemaError(
            "colonne code_qp absente des signalements : les rattacher d'abord "
            "(gupgeo.attribute_territory)"
        )
    if groups is None:
        groups = report_groups(signalements, radius_m=radius_m, days=days, by=by)
    gid = groups.to_numpy()
    raw = signalements["code_qp"].astype(object)
    code = raw.where(raw.notna(), HORS_QPV).astype(str).to_numpy()
    n = int(gid.max()) + 1 if len(gid) else 0
    sizes = np.bincount(gid, minlength=n)
    seed_pos = np.full(n, -1, dtype="int64")
    dates = pd.to_datetime(signalements["date_signalement"], errors="coerce").to_numpy(
        "datetime64[ns]"
    )
    order = np.lexsort((np.arange(len(gid)), dates.astype("int64"), gid))
    starts = np.r_[True, gid[order][1:] != gid[order][:-1]] if len(gid) else np.array([], bool)
    seed_pos[gid[order][starts]] = order[starts]
    problems = pd.DataFrame({"code_qp": code[seed_pos], "taille": sizes})
    table = (
        pd.DataFrame(
            {
                "nb_signalements": pd.Series(code).value_counts(),
                "nb_problemes": problems["code_qp"].value_counts(),
                "nb_problemes_repetes": problems.loc[
                    problems["taille"] >= 2, "code_qp"
                ].value_counts(),
            }
        )
        .fillna(0)
        .astype("int64")
    )
    table.index.name = "code_qp"
    table["signalements_par_probleme"] = (table["nb_signalements"] / table["nb_problemes"]).round(2)
    return table.sort_index()
