"""Synthetic signalements: 3 years, seasonality, hot spots, ~10 % outside the quartiers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from _sample_io import (
    END,
    START,
    child_rng,
    day_from_index,
    fr_date,
    l93_to_lonlat,
    n_days,
    points_in,
)
from _sample_layers import Context
from _sample_vocab import (
    CATEGORIES,
    FAKE_PERSONAL,
    SOURCES,
    SOUS_CATEGORIES,
    STATUTS_CLOS_FR,
    STATUTS_OUVERTS_FR,
    STREETS,
    STREETS_OUTSIDE,
)

HEADER = (
    "id", "date_signalement", "categorie", "sous_categorie", "statut", "date_cloture",
    "source", "description", "adresse", "longitude", "latitude",
)  # fmt: skip

N_TOTAL = 21_900
SHARE_OUTSIDE = 0.10
HOT_SPOT_RADIUS_M = 28.0


@dataclass(frozen=True)
class HotSpot:
    """A place where the same problem is reported again and again."""

    code_qp: str
    categorie: str
    n: int


HOT_SPOTS: tuple[HotSpot, ...] = (
    HotSpot("LOC-SANITAS", "dépôts sauvages", 260),
    HotSpot("LOC-RABIERE", "encombrants", 190),
    HotSpot("LOC-RABATERIE", "tags", 150),
    HotSpot("LOC-EUROPE", "éclairage", 120),
    HotSpot("LOC-FONTAINES", "stationnement / épaves", 130),
)


def _day_weights(categorie: str) -> np.ndarray:
    """Relative weight of every day of the period for one category."""
    _, monthly, _ = CATEGORIES[categorie]
    days = [day_from_index(i) for i in range(n_days())]
    season = np.array([monthly[d.month - 1] for d in days])
    weekday = np.array(
        [0.55 if d.weekday() == 6 else 0.8 if d.weekday() == 5 else 1.0 for d in days]
    )
    trend = np.array([1.0 + 0.08 * (d.year - START.year) for d in days])
    w = season * weekday * trend
    return w / w.sum()


def _outside_area(ctx: Context) -> shapely.Geometry:
    union = ctx.quartiers.union_all()
    return union.buffer(1500).difference(union.buffer(30))


def _locations(
    ctx: Context, equipements: gpd.GeoDataFrame, cats: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Place the ordinary rows: outside, or in a quartier (dumping near a PAVE half the time)."""
    n = len(cats)
    code = np.empty(n, dtype=object)
    x = np.empty(n)
    y = np.empty(n)
    outside = rng.permutation(n) < round(SHARE_OUTSIDE * N_TOTAL)
    ox, oy = points_in(_outside_area(ctx), int(outside.sum()), rng)
    x[outside], y[outside] = ox, oy
    code[outside] = ""
    q = ctx.quartiers
    p = (q["weight"] / q["weight"].sum()).to_numpy()
    code[~outside] = rng.choice(q["code_qp"].to_numpy(), size=int((~outside).sum()), p=p)
    for c in ctx.codes:
        idx = np.flatnonzero(code == c)
        inner = ctx.polygon(c).buffer(-3)
        qx, qy = points_in(inner, len(idx), rng)
        paves = equipements[(equipements["type"] == "PAVE") & equipements.within(inner)]
        if len(paves):
            near = np.isin(cats[idx], ["dépôts sauvages", "PAVE"]) & (rng.random(len(idx)) < 0.5)
            pick = rng.integers(0, len(paves), int(near.sum()))
            px = paves.geometry.x.to_numpy()[pick] + rng.normal(0, 6, len(pick))
            py = paves.geometry.y.to_numpy()[pick] + rng.normal(0, 6, len(pick))
            ok = shapely.contains_xy(inner, px, py)
            qx[np.flatnonzero(near)[ok]] = px[ok]
            qy[np.flatnonzero(near)[ok]] = py[ok]
        x[idx], y[idx] = qx, qy
    return code, x, y


def _statuses(
    days: np.ndarray, cats: np.ndarray, sources: np.ndarray, rng: np.random.Generator
) -> tuple[list[str], list[dt.date | None]]:
    """Raw status (two vocabularies) and closing date (None while open at extraction)."""
    n = len(days)
    median = np.array([CATEGORIES[c][2] for c in cats])
    delay = np.ceil(np.exp(rng.normal(np.log(median), 1.0))).astype(int)
    kind = rng.choice(["normal", "doublon", "hors", "backlog"], size=n, p=[0.91, 0.04, 0.03, 0.02])
    delay[kind == "doublon"] = rng.integers(0, 4, int((kind == "doublon").sum()))
    delay[kind == "hors"] = rng.integers(1, 8, int((kind == "hors").sum()))
    end_index = (END - START).days
    closed = (days + delay <= end_index) & (kind != "backlog")
    statut: list[str] = []
    cloture: list[dt.date | None] = []
    for i in range(n):
        app = sources[i] == "application"
        if closed[i]:
            cloture.append(day_from_index(days[i] + delay[i]))
            if app:
                statut.append("closed")
            elif kind[i] == "doublon":
                statut.append("Doublon")
            elif kind[i] == "hors":
                statut.append("Hors compétence")
            else:
                statut.append(STATUTS_CLOS_FR[int(rng.random() < 0.35)])
            continue
        cloture.append(None)
        age = end_index - days[i]
        if app:
            statut.append("open")
        elif age < 3:
            statut.append(STATUTS_OUVERTS_FR[0])
        elif age < 10:
            statut.append(STATUTS_OUVERTS_FR[int(rng.integers(0, 2))])
        else:
            statut.append(STATUTS_OUVERTS_FR[int(rng.integers(1, 4))])
    return statut, cloture


def _sources(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reporting channel; the application gains ground over the three years."""
    years = days / 365.25
    app = 0.15 + 0.07 * years
    rest = np.array([0.34, 0.2, 0.2, 0.0, 0.04, 0.04, 0.18])
    rest = rest / rest.sum()
    u = rng.random(len(days))
    others = rng.choice(SOURCES, size=len(days), p=rest)
    return np.where(u < app, "application", others)


def make_signalements(
    ctx: Context, equipements: gpd.GeoDataFrame
) -> tuple[tuple[str, ...], list[list[str]], dict[str, int]]:
    """Return the CSV header, the formatted rows and a few counts for the README."""
    rng = child_rng(ctx.seed, "signalements")
    n_hot = sum(h.n for h in HOT_SPOTS)
    n_plain = N_TOTAL - n_hot
    names = list(CATEGORIES)
    shares = np.array([CATEGORIES[c][0] for c in names])
    cats = rng.choice(names, size=n_plain, p=shares / shares.sum())
    code, x, y = _locations(ctx, equipements, cats, rng)
    hot_addr: list[str] = [""] * n_plain
    for h in HOT_SPOTS:
        cx, cy = points_in(ctx.polygon(h.code_qp).buffer(-40), 1, rng)
        r = np.minimum(np.abs(rng.normal(0, 10, h.n)), HOT_SPOT_RADIUS_M)
        a = rng.uniform(0, 2 * np.pi, h.n)
        x = np.concatenate([x, cx[0] + r * np.cos(a)])
        y = np.concatenate([y, cy[0] + r * np.sin(a)])
        cats = np.concatenate([cats, np.full(h.n, h.categorie)])
        code = np.concatenate([code, np.full(h.n, h.code_qp, dtype=object)])
        number = int(rng.integers(1, 40))
        street = str(rng.choice(STREETS[h.code_qp]))
        hot_addr += [f"{number} {street}"] * h.n
    days = np.empty(N_TOTAL, dtype=int)
    for c in names:
        idx = np.flatnonzero(cats == c)
        days[idx] = rng.choice(n_days(), size=len(idx), p=_day_weights(c))
    order = np.lexsort((x, days))
    cats, code, x, y, days = cats[order], code[order], x[order], y[order], days[order]
    hot = [hot_addr[i] for i in order]
    sources = _sources(days, rng)
    statut, cloture = _statuses(days, cats, sources, rng)
    lon, lat = l93_to_lonlat(x, y)
    rows: list[list[str]] = []
    personal = rng.random(N_TOTAL) < 0.01
    for i in range(N_TOTAL):
        subs = SOUS_CATEGORIES[str(cats[i])]
        j = rng.choice(len(subs), p=[s[1] for s in subs])
        sous, _, texts = subs[j]
        text = texts[int(rng.integers(len(texts)))]
        if personal[i]:
            text += FAKE_PERSONAL[int(rng.integers(len(FAKE_PERSONAL)))]
        if hot[i]:
            adresse = hot[i]
        else:
            streets = STREETS[code[i]] if code[i] else STREETS_OUTSIDE
            adresse = f"{int(rng.integers(1, 120))} {streets[int(rng.integers(len(streets)))]}"
            if rng.random() < 0.08:
                adresse = "face au " + adresse
        rows.append(
            [
                f"SIG-{i + 1:06d}",
                day_from_index(days[i]).strftime("%d/%m/%Y"),
                str(cats[i]),
                sous,
                statut[i],
                fr_date(cloture[i]),
                str(sources[i]),
                text,
                adresse,
                f"{lon[i]:.6f}".replace(".", ","),
                f"{lat[i]:.6f}".replace(".", ","),
            ]
        )
    counts = {
        "total": N_TOTAL,
        "outside": int((code == "").sum()),
        "hot_spots": n_hot,
        "personal": int(personal.sum()),
        "closed": sum(c is not None for c in cloture),
    }
    return HEADER, rows, counts
