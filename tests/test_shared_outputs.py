"""Shared outputs leak nothing: personal data, ESSP texts and local paths stay inside.

The bundled sample is copied into a folder whose absolute path is distinctive, loaded
from there, and seeded with personal data (a name after every kind of civility and
trigger, one phone number in every spelling, an e-mail, plates, an IBAN, a NIR) and
ESSP wordings in every text column of every layer: categories, an operation's name,
constat recommendations and démarches, action titles, identifiers (``ESSP-03``) and a
free ``observations`` column. The atlas, the review of OP-03, the territory map and the
dashboard exports (CSV, XLSX) built from the published territory are then searched,
in ``partenaires`` and ``public``, in their source, in their embedded JSON (``\\uXXXX``
escapes decoded) and in every text file they wrote. The ``interne`` map is searched
too: the seeds must be found there, or this test would prove nothing.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import gupgeo
from gupgeo.atlas import build_atlas
from gupgeo.dashboard import build_dashboard, export_dashboard
from gupgeo.maps import map_territory, save_map
from gupgeo.publication import publish
from gupgeo.review import review_operation
from gupgeo.territory import Territory

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
FOLDER = "dossier_zorglub_local"
PHONES = (
    "06 98 76 54 32", "06.98.76.54.32", "0698765432", "06-98-76-54-32", "+33 6 98 76 54 32",
    "+33 (0)6 98 76 54 32", "0033 6 98 76 54 32",
)  # fmt: skip
IBAN = "FR76 3000 6000 0112 3456 7890 189"
NIR = "1 85 05 78 006 084 36"
PERSONAL = (
    "zorglub", "98 76 54 32", "98.76.54.32", "98-76-54-32", "0698765432", "ab-123-cd",
    "gx 512 kt", "3000 6000 0112", "006 084 36", "185057800608436",
)  # fmt: skip
"""Searched case-insensitively: the name (also in the e-mail and the folder), each phone
spelling, the plates, the IBAN and the NIR."""
ESSP_TEXTS = (
    "essp-03", "essp-01", "essps", "edsp", "audit de sûreté", "diagnostic sûreté",
    "étude de sûreté", "caméra cachée", "local vélo secret",
)  # fmt: skip
PROFILES = ("partenaires", "public")


def _cycle(values: tuple[str, ...], n: int) -> list[str]:
    return [values[i % len(values)] for i in range(n)]


def seeded(t: Territory) -> Territory:
    """Personal data and ESSP wordings in every text column of every layer."""
    layers = {name: frame.copy() for name, frame in t.layers.items()}
    sig = layers["signalements"]
    every = np.arange(len(sig)) % 5 == 0
    seeds = {
        "categorie": "Plainte de Jean Zorglub (06 98 76 54 32)",
        "sous_categorie": "mme zorglub 06.98.76.54.32",
        "adresse": "12 rue X, M.Zorglub, +33 6 98 76 54 32, jz@mail-zorglub.fr",
        "source": "Dr Zorglub 0698765432 suite ESSP-03",
        "description": f"Me Zorglub AB-123-CD {IBAN} {NIR}",
    }
    for column, text in seeds.items():
        sig[column] = sig[column].astype("object").where(~every, text)
    sig["observations"] = _cycle(
        (f"signalé par Jean Zorglub, plaque GX 512 KT, {NIR}", "audit de sûreté", "RAS"), len(sig)
    )
    ops = layers["operations"]
    ops["nom"] = ops["nom"].astype("object")
    ops.loc[ops["id"] == "OP-03", "nom"] = (
        "Résidentialisation (Mme Zorglub 06 98 76 54 32, ESSP-03)"
    )
    q = layers["quartiers"]
    q["commune"] = q["commune"].astype("object") + " (contact zorglub@example.org)"
    eq = layers["equipements"]
    eq["nom"] = eq["nom"].astype("object") + " — Dr Zorglub 06-98-76-54-32"
    con = layers["constats"]
    for column in ("demarche", "diagnostic_id", "recommandation", "theme"):
        con[column] = con[column].astype("object")
    plain = (con["demarche"] != "ESSP").to_numpy()
    con.loc[plain, "recommandation"] = "Contacter Mme Zorglub au 06-98-76-54-32"
    disguised = np.flatnonzero(plain)[::4]
    variants = ("étude", "audit de sûreté", "diagnostic sûreté", "ESSPs", "EDSP")
    con.iloc[disguised, con.columns.get_loc("demarche")] = _cycle(variants, len(disguised))
    con.iloc[disguised[::2], con.columns.get_loc("diagnostic_id")] = "ESSP-03"  # id_demarche
    con.iloc[disguised, con.columns.get_loc("recommandation")] = "caméra cachée, local vélo secret"
    con.loc[~plain, "recommandation"] = "caméra cachée, local vélo secret"
    con.loc[~plain, "theme"] = "étude de sûreté et de sécurité publique"
    con["observations"] = "vu avec M. Zorglub"
    actions = layers["actions"]
    actions["intitule"] = actions["intitule"].astype("object")
    actions["porteur"] = actions["porteur"].astype("object")
    cite = np.arange(len(actions)) % 3 == 0
    actions.loc[cite, "intitule"] = "Suite de l'ESSP-01 : grille du local vélo secret"
    actions.loc[~cite, "porteur"] = "Réunion avec M. Zorglub (+33 (0)6 98 76 54 32)"
    layers["tfpb"]["action"] = "Rencontre Mme Zorglub 0033 6 98 76 54 32"
    layers["reunions"]["objet"] = "réunion avec mme zorglub, diagnostic sûreté"
    layers["garanties"]["motif"] = "signalé par Jean Zorglub"
    layers["arrets_agents"]["motif"] = "maladie de M. Zorglub"
    return t.with_layers(layers)


@pytest.fixture(scope="module")
def territory(tmp_path_factory: pytest.TempPathFactory) -> Territory:
    folder = tmp_path_factory.mktemp("local") / FOLDER
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("dirty", "README*"))
    t = gupgeo.load_territory(folder)
    assert str(folder) in str(t.provenance["signalements"].source)  # an absolute local path
    return seeded(t)


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def readable(text: str) -> str:
    """What a reader or a script sees: JSON escapes and HTML entities decoded, lower case."""
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(html.unescape(text)).replace("\\/", "/").lower()


def leaks(text: str, *, local: Path) -> list[str]:
    shown = readable(text)
    found = [s for s in (*PERSONAL, *ESSP_TEXTS) if s in shown]
    paths = (str(local).lower(), str(local.parent).lower(), "/tmp/", "/home/")
    return found + [p for p in paths if p in shown]


def text_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.suffix in {".html", ".svg", ".csv", ".txt", ".json"}
    )


def xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    cells = [ws.title for ws in book.worksheets]
    for ws in book.worksheets:
        cells += [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    return "\n".join(cells)


def local_folder(t: Territory) -> Path:
    return Path(t.provenance["signalements"].source).parent


def test_interne_shows_the_seeds_so_this_test_means_something(territory, fake_assets, tmp_path):
    save_map(map_territory(territory, basemap=None, publication="interne"), tmp_path / "c.html")
    found = leaks((tmp_path / "c.html").read_text(encoding="utf-8"), local=local_folder(territory))
    assert {"zorglub", "98 76 54 32", "essp-03", "caméra cachée", "local vélo secret"} <= set(found)


@pytest.mark.parametrize("profile", PROFILES)
def test_map_leaks_nothing(territory, fake_assets, tmp_path, profile):
    m = map_territory(territory, basemap=None, publication=profile, sources="territoire GUP")
    save_map(m, tmp_path / "carte.html")
    assert (
        leaks((tmp_path / "carte.html").read_text(encoding="utf-8"), local=local_folder(territory))
        == []
    )


@pytest.mark.parametrize("profile", PROFILES)
def test_atlas_leaks_nothing(territory, fake_assets, tmp_path, profile):
    result = build_atlas(
        territory, tmp_path / "atlas", period="2024", publication=profile,
        quartiers=["LOC-SANITAS"], workers=1, progress=False, build_date="2025-01-15",
    )  # fmt: skip
    assert result.ok, result.summary()
    files = text_files(tmp_path / "atlas")
    assert len(files) >= 4
    for path in files:
        assert leaks(path.read_text(encoding="utf-8"), local=local_folder(territory)) == [], path
    page = (tmp_path / "atlas" / result.pages[0].href).read_text(encoding="utf-8")
    assert "[nom masqué]" in readable(page) or profile == "public"
    assert "[téléphone masqué]" in readable(page) or profile == "public"


@pytest.mark.parametrize("profile", PROFILES)
def test_review_leaks_nothing(territory, fake_assets, tmp_path, profile):
    review = review_operation(
        territory, "OP-03", months=18, publication=profile, basemap=None,
        build_date="2025-01-15",
    )  # fmt: skip
    text = review.save(tmp_path / "revue.html").read_text(encoding="utf-8")
    assert leaks(text, local=local_folder(territory)) == []
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
    assert h1 is not None and "[téléphone masqué]" in readable(h1.group(1))
    assert "[étude masquée]" in readable(h1.group(1))


def test_diagnostic_products_leak_nothing(territory, tmp_path):
    """Relevé (HTML, XLSX), suivi files and walk sheet, in their default profile
    (partenaires): no personal data, no ESSP finding (issue 21)."""
    from gupgeo.diagnostics import (
        build_releve,
        build_sheet,
        build_suivi,
        write_releve,
        write_sheet,
        write_suivi,
    )  # fmt: skip

    written = write_releve(build_releve(territory, "DEM-01"), tmp_path, pdf=False)
    written += write_suivi(build_suivi(territory, as_of="2024-12-31"), tmp_path)
    written += write_sheet(build_sheet(territory, "LOC-SANITAS", day="2024-06-20"), tmp_path,
                           pdf=False)  # fmt: skip
    for path in written:
        is_xlsx = path.suffix == ".xlsx"
        text = xlsx_text(path) if is_xlsx else path.read_bytes().decode("utf-8-sig")
        assert leaks(text, local=local_folder(territory)) == [], path.name
    with pytest.raises(ValueError, match="public"):
        build_suivi(territory, as_of="2024-12-31", publication="public")


@pytest.mark.parametrize("profile", PROFILES)
def test_dashboard_exports_of_the_published_territory_leak_nothing(territory, tmp_path, profile):
    db = build_dashboard(publish(territory, profile), period="2024", freq="quarter")
    written = export_dashboard(db, tmp_path / "tableau", charts=False)
    assert any(p.suffix == ".xlsx" for p in written) and any(p.suffix == ".csv" for p in written)
    for path in written:
        is_xlsx = path.suffix == ".xlsx"
        text = xlsx_text(path) if is_xlsx else path.read_bytes().decode("utf-8-sig")
        assert leaks(text, local=local_folder(territory)) == [], path.name
    method = xlsx_text(next(p for p in written if p.suffix == ".xlsx"))
    assert "retiré(s)" in method and "colonnes non diffusées" in method


def test_the_publication_counts_what_it_withheld(territory):
    pub = publish(territory, "partenaires")
    essp_like = (territory["constats"]["demarche"] == "ESSP").sum()
    assert pub.withheld["constats"] > essp_like
    assert pub.withheld["actions"] == (np.arange(len(territory["actions"])) % 3 == 0).sum()
    assert any(n.startswith("constats :") and "retiré(s)" in n for n in pub.notes)
    assert "observations" not in pub.layers["signalements"].columns
    # the signalements whose source cites ESSP-03 (a withheld study) are withheld too
    assert (
        pub.withheld["signalements"] == (np.arange(len(territory["signalements"])) % 5 == 0).sum()
    )
