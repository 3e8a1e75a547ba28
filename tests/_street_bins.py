"""A SYNTHETIC street-bins layer shaped like a real open-data export (seeded).

Like the street-furniture layers of French metropoles published on Opendatasoft
portals: 2,464 bins as a French CSV (``;``), WGS84 points in ``geo_point_2d``
(« lat, lon »), an identifier, the commune, an address missing for 548 bins, no name,
no type column (every row is a bin) and many empty fields. Values are made up; only
the shape is real.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

N_BINS = 2_464
N_WITHOUT_ADDRESS = 548
COMMUNES = ("Tours", "Joué-lès-Tours", "Saint-Pierre-des-Corps", "La Riche", "Saint-Cyr-sur-Loire")


def street_bins(seed: int = 37) -> pd.DataFrame:
    """The layer as read from the export (every value text, blanks as empty strings)."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(47.36, 47.42, N_BINS)
    lon = rng.uniform(0.64, 0.73, N_BINS)
    streets = [f"{n} rue de l'Essai {i}" for i, n in enumerate(rng.integers(1, 120, N_BINS))]
    no_address = rng.choice(N_BINS, N_WITHOUT_ADDRESS, replace=False)
    address = np.array(streets, dtype=object)
    address[no_address] = ""
    sparse = rng.random(N_BINS) < 0.8
    return pd.DataFrame({
        "identifiant": [f"CORB-{i:05d}" for i in range(1, N_BINS + 1)],
        "commune": rng.choice(COMMUNES, N_BINS),
        "adresse": address,
        "modele": np.where(sparse, "", rng.choice(["Vigipirate", "Cybel", "Bagtop"], N_BINS)),
        "volume_l": np.where(rng.random(N_BINS) < 0.6, "", rng.choice(["50", "80", "110"], N_BINS)),
        "date_pose": np.where(sparse, "", "2019-06-01"),
        "observations": "",
        "geo_point_2d": [f"{a:.6f}, {b:.6f}" for a, b in zip(lat, lon, strict=True)],
    })  # fmt: skip


def write_street_bins(path: Path, seed: int = 37) -> Path:
    street_bins(seed).to_csv(path, sep=";", index=False, encoding="utf-8")
    return path
