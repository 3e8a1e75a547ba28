"""Time the shared profiles against ``interne`` on a territory of 10,000-character texts.

A hostile territory once took 253 s to map in ``partenaires`` against 8.6 s in
``interne`` (review: 501 s against 7.3 s): the e-mail pattern of the masking was
quadratic. This script builds, in the same run and for each profile (``interne``,
``partenaires``, ``public``):

- ``carte``: :func:`gupgeo.maps.map_territory` of the whole territory, saved with
  :func:`gupgeo.maps.save_map` (Leaflet assets of ``$GUPGEO_ASSETS_DIR``);
- ``revue``: :func:`gupgeo.review.review_operation` of OP-03, saved.

The territory is the bundled sample (attributed once, outside the timings), its
signalements cut to ``--signalements`` rows, where every text column but keys and
controlled vocabularies is lengthened to ``--chars`` characters: labels (categories,
names, themes) with one long text per distinct value, free text (descriptions,
addresses, recommendations, titles, and an added ``observations`` column) with one
per row. The padding mixes French words with what masking looks for and what used to
make it slow: long letter runs before an "@", e-mails, phone numbers, civilities,
digit runs. No ESSP wording: ``partenaires`` would then withhold rows and look cheaper.

Each profile runs ``--repeat`` times, interleaved; the medians and the ratios to
``interne`` are printed (target: ≤ 1.5×). ``OMP_NUM_THREADS`` defaults to 1: the
k-means of the rate choropleth (mapclassify, scikit-learn) otherwise spends seconds
waiting for threads on a busy 2-core machine, in every profile alike.

Usage::

    .venv/bin/python benchmarks/publication.py                       # 2,000 signalements
    .venv/bin/python benchmarks/publication.py --signalements 500 --repeat 1
    .venv/bin/python benchmarks/publication.py --signalements 21900 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
PROFILES = ("interne", "partenaires", "public")
KEYS = {"id", "code_qp", "operation_id", "objet_id", "statut", "statut_brut", "demarche",
        "id_demarche", "code_qp_declare", "insee_com", "perimetre"}  # fmt: skip
LABELS = {"categorie", "sous_categorie", "theme", "nom", "nom_qp", "type", "gestionnaire",
          "commune", "source", "bailleur", "axe", "porteur"}  # fmt: skip
WORDS = (
    "dépôt", "sauvage", "au", "pied", "de", "l'immeuble", "encombrants", "rue", "des",
    "Tilleuls", "éclairage", "en", "panne", "depuis", "trois", "semaines", "gardien",
    "prévenu", "le", "12/03/2024", "montant", "1 234,50 €", "bâtiment", "B", "escalier",
)  # fmt: skip
HOSTILE = (
    "a" * 400 + "@", "contact jean.dupont@example.org", "rappeler le 06 98 76 54 32",
    "voir Mme Durand", "signalé par Jean Martin", "0" * 300, "M.Dupont", " " * 200,
    "plaque AB-123-CD", "a." * 150,
)  # fmt: skip


def long_text(rng: np.random.Generator, n_chars: int) -> str:
    parts: list[str] = []
    size = 0
    while size < n_chars:
        piece = (
            HOSTILE[int(rng.integers(len(HOSTILE)))]
            if rng.random() < 0.08
            else " ".join(rng.choice(WORDS, 12))
        )
        parts.append(piece)
        size += len(piece) + 1
    return " ".join(parts)[:n_chars]


def lengthen(frame: pd.DataFrame, pool: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Long labels (one per distinct value) and long free text (one per row: a row number
    before a text of the pool, so that no two cells are equal)."""
    frame = frame.copy()
    geometry = getattr(frame, "_geometry_column_name", None)
    for column in frame.columns:
        values = frame[column]
        if column in KEYS or column == geometry:
            continue
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        text = values.astype("object")
        picks = rng.integers(len(pool), size=len(frame))
        if column in LABELS:
            pads = {
                v: f"{v} {pool[i]}" for v, i in zip(pd.unique(text.dropna()), picks, strict=False)
            }
            frame[column] = text.map(lambda v, p=pads: p.get(v, v))
        else:
            frame[column] = [f"n° {r} {pool[i]}" for r, i in enumerate(picks)]
    return frame


def territory(n_signalements: int, n_chars: int) -> object:
    import gupgeo
    from gupgeo.attribution import attribute_territory

    t = attribute_territory(gupgeo.load_territory(REPO / "data" / "sample"))
    rng = np.random.default_rng(7)
    layers = dict(t.layers)
    sig = layers["signalements"]
    keep = np.sort(rng.choice(len(sig), min(n_signalements, len(sig)), replace=False))
    sig = sig.iloc[keep].copy()
    sig["observations"] = ""
    layers["signalements"] = sig
    pool = [long_text(rng, n_chars) for _ in range(200)]
    layers = {name: lengthen(frame, pool, rng) for name, frame in layers.items()}
    return t.with_layers(layers)


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``run`` (CPU time leaves out the waits for other
    jobs of a shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - start, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signalements", type=int, default=2000)
    parser.add_argument("--chars", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)

    import gupgeo.maps.pages  # noqa: F401  (imports paid before the clock, not by interne)
    from gupgeo.maps import map_territory, save_map
    from gupgeo.maps._assets import default_assets_dir
    from gupgeo.review import review_operation

    if not (default_assets_dir() / "dist" / "manifest.json").is_file():
        print(f"assets Leaflet absents de {default_assets_dir()} : GUPGEO_ASSETS_DIR ?")
        return 2
    start = time.perf_counter()
    t = territory(args.signalements, args.chars)
    n_text = sum(
        int(f[c].map(lambda v: isinstance(v, str) and len(v) >= args.chars).sum())
        for f in t.layers.values()  # type: ignore[attr-defined]
        for c in f.columns
        if c != "geometry"
    )
    print(
        f"territoire : {args.signalements} signalements, {n_text} textes de {args.chars} "
        f"caractères ({time.perf_counter() - start:.1f} s de préparation)"
    )
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for _ in range(args.repeat):
            for profile in PROFILES:

                def carte(p: str = profile) -> None:
                    save_map(map_territory(t, basemap=None, publication=p), out / f"c_{p}.html")

                def revue(p: str = profile) -> None:
                    review_operation(
                        t, "OP-03", months=18, publication=p, basemap=None, build_date="2025-01-15"
                    ).save(out / f"r_{p}.html")

                for product, run in (("carte", carte), ("revue", revue)):
                    wall, cpu = timed(run)
                    times.setdefault((product, profile), []).append((wall, cpu))
                    print(f"  {product:6} {profile:12} {wall:7.2f} s (CPU {cpu:.2f} s)", flush=True)
    print()
    print(
        f"{'produit':8} {'profil':12} {'médiane':>9} {'× interne':>10} {'CPU':>9} {'× interne':>10}"
    )
    worst = 0.0
    for product in ("carte", "revue"):
        base = [statistics.median(v) for v in zip(*times[(product, "interne")], strict=True)]
        for profile in PROFILES:
            wall, cpu = (statistics.median(v) for v in zip(*times[(product, profile)], strict=True))
            if profile != "interne":
                worst = max(worst, wall / base[0], cpu / base[1])
            print(
                f"{product:8} {profile:12} {wall:8.2f} s {wall / base[0]:9.2f}× "
                f"{cpu:8.2f} s {cpu / base[1]:9.2f}×"
            )
    print(f"\npire rapport partenaires/public : {worst:.2f}× (objectif ≤ 1,5×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
