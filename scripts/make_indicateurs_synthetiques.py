"""Write tests/data/indicateurs_qpv_2024_synthetique.csv: a SYNTHETIC national indicator table.

Shaped like the national per-QPV files (one row per quartier of France, French CSV:
``;`` separator, decimal comma, UTF-8 with BOM; code, name, département, commune,
municipal population, housing, poverty rate, median income), with made-up values
(seeded): it is test data, not statistics. Codes are in the 2024 geography
(``QN0370xxM``); the first two are the quartiers of tests/test_indicator_tables.py.

Run: ``.venv/bin/python scripts/make_indicateurs_synthetiques.py``
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "indicateurs_qpv_2024_synthetique.csv"
)
DEPARTEMENTS = {"037": "Tours", "075": "Paris", "013": "Marseille", "059": "Lille", "069": "Lyon"}


def main() -> None:
    rng = np.random.default_rng(2024)
    rows = []
    for dep, commune in DEPARTEMENTS.items():
        for i in range(1, 13 if dep == "037" else 9):
            population = int(rng.integers(1_000, 12_000))
            rows.append({
                "CODE_QP": f"QN{dep}{i:02d}M",
                "LIB_QP": f"Quartier synthétique {dep}-{i}",
                "DEP": dep,
                "LIB_COM": commune,
                "POP_MUN_2020": population,
                "NB_LOG_2020": int(population * rng.uniform(0.4, 0.55)),
                "TX_PAUV60": f"{rng.uniform(25, 55):.1f}".replace(".", ","),
                "REV_MED_DISP": f"{int(rng.integers(9_000, 16_000)):,}".replace(",", " "),
                "SOURCE": "SYNTHÉTIQUE (tests gupgeo, pas des statistiques)",
            })  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(OUT, sep=";", index=False, encoding="utf-8-sig")
    print(f"{OUT} : {len(rows)} lignes")


if __name__ == "__main__":
    main()
