"""A hostile territory: the bundled sample with texts written the way real staff write.

:func:`build_hostile_territory` copies ``data/sample`` into a folder, then plants
:data:`MARKERS` — unique, greppable strings — in its files, spelled the way staff
and residents really type them: civilities glued to names (``Mme.Zorglubian``,
``MmeKwazimodo``, ``Melle Brouchard``), "signalé par la famille …", phones with
slashes, en dashes, thin spaces, fullwidth digits or odd groupings, e-mails written
"at … dot" or with a fullwidth ``＠``, IBAN/NIR/plates with dots or double spaces,
extra columns (``nom_plaignant``, ``tel_contact``, ``Téléphone``, an unknown
``divers``), a category value that is a complaint by name and occurs once, and ESSP
findings whose démarche or identifier is written otherwise ("Étude de prévention
situationnelle", "ESP", "E S S P", "E.S.S.P.", a zero-width space inside "ESSP",
"surêté", ``ESSP03B`` glued), plus actions and a meeting citing a withheld ESSP by its
identifier. Each ESSP row carries its own marker, so a leaked finding is found.

Every marker is planted where every product can show it (quartier LOC-SANITAS,
around operation OP-03, in 2024 and mostly in its last quarter, so the atlas, the
review of OP-03, the veille of 2024-T4, the map and the dashboard all read it). No
marker may appear in any ``partenaires`` or ``public`` output
(:attr:`Marker.forbidden_in`).

Searching: :func:`haystack_views` normalises a text the way a reader (or a script)
would read it — JSON ``\\uXXXX`` escapes and HTML entities decoded, NFKC (fullwidth
digits and ``＠``, thin and no-break spaces), zero-width characters and soft hyphens
removed, case folded, accents stripped — and gives three views: the text, the text
with separators inside digit runs removed (``06/98/76/54/31``, ``(06) 98;76``…) and
the text reduced to letters and digits (``ZQ.482.WX`` → ``zq482wx``).
:func:`found_markers` looks for every needle of every marker in those views.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SEED = 18
"""Seed of the choice of host rows (issue 18)."""
QUARTIER = "LOC-SANITAS"
"""Quartier of every planted row (the atlas builds it; OP-03 lies in it)."""
OPERATION = "OP-03"
"""Operation whose surroundings hold the planted signalements (its review reads them)."""
VEILLE_PERIOD = "2024-T4"
SHARED_PROFILES = ("partenaires", "public")


@dataclass(frozen=True)
class Marker:
    """One planted string.

    ``planted`` is the text written in the data; ``needles`` the lower-case, accent-free
    strings whose presence in an output means a leak (a name, the digits of a phone, a
    plate without separators…); ``where`` says where it was planted (``layer.column``)
    and ``kind`` what it stands for.
    """

    name: str
    kind: str
    where: str
    planted: str
    needles: tuple[str, ...]
    forbidden_in: tuple[str, ...] = SHARED_PROFILES


def _m(name: str, kind: str, where: str, planted: str, *needles: str) -> Marker:
    return Marker(name, kind, where, planted, needles or (name,))


# --- personal data in signalements (text columns, planted on several rows each) -------
SIGNALEMENT_MARKERS: tuple[Marker, ...] = (
    _m("zorglubian", "nom", "signalements.adresse", "12 rue des Lilas, Mme.Zorglubian"),
    _m("kwazimodo", "nom", "signalements.adresse", "hall B, appeler MmeKwazimodo"),
    _m("brouchard", "nom", "signalements.adresse", "3 allée Verte (Melle Brouchard)"),
    _m(
        "trifouillis",
        "nom",
        "signalements.adresse",
        "face au 8, signalé par la famille Trifouillis",
    ),
    _m("pataquesse", "nom", "signalements.adresse", "M.Pataquesse 5e étage"),
    _m("gribouillard", "nom", "signalements.adresse", "porte de monsieur gribouillard"),
    _m("bouzigouille", "nom", "signalements.adresse", "2 rue Haute chez Bouzigouille"),
    _m("fripouillette", "nom", "signalements.adresse", "Mlle.Fripouillette, bât. C"),
    _m("tartanpion", "nom", "signalements.adresse", "M. et Mme Tartanpion, 14 rue Basse"),
    _m("zigomar", "nom", "signalements.adresse", "Mme Gertrude Zigomar, rez-de-chaussée"),
    _m("gigouill", "nom", "signalements.adresse", "MME DE LA GIGOUILLÈRE porte 4"),
    _m("tel-slashes", "téléphone", "signalements.adresse", "tel 06/98/76/54/31", "0698765431"),
    _m("tel-endash", "téléphone", "signalements.adresse", "06–98–76–54–34", "0698765434"),
    _m("tel-groups", "téléphone", "signalements.adresse", "rappeler 0698 765 436", "0698765436"),
    _m(
        "tel-thin",
        "téléphone",
        "signalements.adresse",
        "tél.\u00a006\u200998\u200976\u200954\u200937",
        "0698765437",
    ),
    _m("tel-fullwidth", "téléphone", "signalements.adresse", "０６９８７６５４３８", "0698765438"),
    _m("tel-plus33", "téléphone", "signalements.adresse", "+33 (0)6.98.76.54.39", "698765439"),
    _m("tel-odd", "téléphone", "signalements.adresse", "portable 06 987 654 29", "0698765429"),
    _m("quetzalcoatl", "courriel", "signalements.adresse", "quetzalcoatl at gmail dot com"),
    _m("bidouillard", "courriel", "signalements.adresse", "écrire à bidouillard＠orange.fr"),
    _m("moulinsart", "courriel", "signalements.adresse", "jean.moulinsart (at) free (dot) fr"),
    _m("tintinnabule", "courriel", "signalements.adresse", "tintinnabule @ laposte . net"),
    _m(
        "iban-dots",
        "IBAN",
        "signalements.adresse",
        "RIB FR76.3000.4000.0312.3456.7890.143",
        "7630004000031234567890143",
    ),
    _m(
        "iban-spaces",
        "IBAN",
        "signalements.adresse",
        "FR14  2004  1010  0505  0001  3M02  606",
        "20041010050500013m02606",
    ),
    _m(
        "nir-spaces",
        "NIR",
        "signalements.adresse",
        "NIR 2  84  12  75  123  456  78",
        "284127512345678",
    ),
    _m("nir-dots", "NIR", "signalements.adresse", "sécu 1.93.05.69.012.345.67", "193056901234567"),
    _m("plate-dots", "plaque", "signalements.adresse", "épave AB.123.CD ZQ.482.WX", "zq482wx"),
    _m("plate-spaces", "plaque", "signalements.adresse", "voiture ZR  731  KY", "zr731ky"),
    _m("rondouillard", "nom", "signalements.description", "Vu avec Mme Rondouillard hier"),
    # invented in the fourth session
    _m(
        "tel-brackets",
        "téléphone",
        "signalements.adresse",
        "rappeler (06) 98 76 54 45",
        "0698765445",
    ),
    _m("tel-semicolons", "téléphone", "signalements.adresse", "tel 06;98;76;54;46", "0698765446"),
    _m("tel-pipes", "téléphone", "signalements.adresse", "06|98|76|54|47", "0698765447"),
    _m("plate-underscore", "plaque", "signalements.adresse", "épave KT_482_PZ", "kt482pz"),
    _m("plate-slash", "plaque", "signalements.adresse", "voiture HN/517/QW", "hn517qw"),
    _m("zigouigoui", "nom", "signalements.adresse", "les époux Zigouigoui, bât. D"),
    _m("berlingotte", "nom", "signalements.adresse", "fam. Berlingotte au 2e"),
    _m("galopinette", "nom", "signalements.description", "Vve Galopinette a rappelé"),
    _m("carabistouille", "courriel", "signalements.adresse", "carabistouille@@free.fr"),
)
"""Planted in ``adresse`` (a text column shown, masked) or ``description`` (free text)."""

EXTRA_COLUMN_MARKERS: tuple[Marker, ...] = (
    _m("ratatouillard", "nom", "signalements.nom_plaignant", "Ratatouillard"),
    _m("tel-contact", "téléphone", "signalements.tel_contact", "06 98 76 54 40", "0698765440"),
    _m("tel-column", "téléphone", "signalements.Téléphone", "0698765441", "0698765441"),
    _m("crapouillot", "nom", "signalements.divers", "vu avec Crapouillot le voisin"),
    _m("galipette", "nom", "constats.divers", "relevé avec Galipette"),
)
"""Columns a real export carries beside the schema's (one unknown to every list)."""

RARE_VALUE_MARKERS: tuple[Marker, ...] = (
    _m("grabuchon", "nom", "signalements.categorie", "Plainte Grabuchon (voisin du 3e)"),
    _m("crapahut", "nom", "signalements.sous_categorie", "voisin Crapahut"),
    _m("tournicoti", "nom", "signalements.source", "Mme Tournicoti (voisine)"),
    _m("fanfreluche", "nom", "constats.theme", "Plainte M. Fanfreluche"),
)
"""Category-like values that occur once and are personal (no civility for some)."""

OTHER_LAYER_MARKERS: tuple[Marker, ...] = (
    _m("pimprenelle", "nom", "equipements.nom", "Local associatif (clé chez Mme.Pimprenelle)"),
    _m("guignolet", "nom", "actions.porteur", "MmeGuignolet"),
    _m("pipelette", "nom", "tfpb.action", "Rencontre locataire M.Pipelette 06 98 76 54 42"),
    _m("tel-tfpb", "téléphone", "tfpb.action", "(même ligne)", "0698765442"),
    _m("croquignol", "nom", "reunions.objet", "réunion avec la famille Croquignol"),
    _m("filochard", "nom", "garanties.motif", "infiltration chez Mme Filochard"),
    _m("ribouldingue", "santé", "arrets_agents.motif", "burn-out de Mme Ribouldingue"),
    _m("boudinnet", "nom", "operations.nom", "Réaménagement de la place (référent Mr.Boudinnet)"),
    _m("cornichonne", "nom", "constats.recommandation", "Voir avec Mme.Cornichonne"),
)

ESSP_MARKERS: tuple[Marker, ...] = (
    _m(
        "alambix",
        "ESSP",
        "constats (démarche « Étude de prévention situationnelle »)",
        "Étude de prévention situationnelle",
    ),
    _m("bromurix", "ESSP", "constats (démarche « ESP »)", "ESP"),
    _m("cacofonix", "ESSP", "constats (démarche « E S S P »)", "E S S P"),
    _m("doublepolix", "ESSP", "constats (démarche « E.S.S.P. »)", "E.S.S.P."),
    _m("falbalix", "ESSP", "constats (démarche « ES\\u200bSP »)", "ES\u200bSP"),
    _m("gaulix", "ESSP", "constats (démarche « étude de surêté »)", "étude de surêté"),
    _m("hydromelix", "ESSP", "constats (id_demarche « ESSP03B »)", "marche exploratoire"),
    _m(
        "ipomix",
        "ESSP",
        "constats (démarche sans accents)",
        "Etude de surete et de securite publique",
    ),
    _m(
        "jolitorax",
        "ESSP",
        "actions.intitule (cite ESSP03B)",
        "Suite étude ESSP03B : grille du local Jolitorax",
    ),
    _m(
        "kiravix",
        "ESSP",
        "actions.intitule (cite SURV-77, une ESSP retirée)",
        "Mise en œuvre de la préconisation SURV-77 : éclairage Kiravix",
    ),
    _m(
        "zebulix",
        "ESSP",
        "actions.intitule (cite le constat CST-9101, retiré)",
        "Reprise du constat CST-9101 : passage Zebulix",
    ),
    _m(
        "assurancetourix",
        "ESSP",
        "reunions.objet (cite SURV-77)",
        "restitution SURV-77 Assurancetourix",
    ),
)
"""ESSP findings written otherwise, and rows citing a withheld ESSP identifier."""

_ESSP_VARIANTS: tuple[tuple[str, str, str, str], ...] = (
    # (marker, démarche, id_demarche, row id)
    ("alambix", "Étude de prévention situationnelle", "SURV-77", "CST-9101"),
    ("bromurix", "ESP", "DEM-91", "CST-9102"),
    ("cacofonix", "E S S P", "DEM-92", "CST-9103"),
    ("doublepolix", "E.S.S.P.", "DEM-93", "CST-9104"),
    ("falbalix", "ES\u200bSP", "DEM-94", "CST-9105"),
    ("gaulix", "étude de surêté", "DEM-95", "CST-9106"),
    ("hydromelix", "marche exploratoire", "ESSP03B", "CST-9107"),
    ("ipomix", "Etude de surete et de securite publique", "DEM-97", "CST-9108"),
)


def sample_essp_markers() -> tuple[Marker, ...]:
    """One marker per ESSP row of the bundled sample (its recommandation gets it)."""
    features = json.loads((SAMPLE / "constats.geojson").read_text(encoding="utf-8"))["features"]
    ids = [f["properties"]["id"] for f in features if f["properties"]["demarche"] == "ESSP"]
    letters = "abcdefghijklmnopqrstuvwxyz"
    return tuple(
        _m(
            f"quorum{letters[i // 26]}{letters[i % 26]}ix",
            "ESSP",
            f"constats.{row} (ESSP)",
            f"ESSP {row}",
        )
        for i, row in enumerate(ids)
    )


def all_markers() -> tuple[Marker, ...]:
    """Every marker planted by :func:`build_hostile_territory` (30 and more)."""
    return (
        *SIGNALEMENT_MARKERS, *EXTRA_COLUMN_MARKERS, *RARE_VALUE_MARKERS, *OTHER_LAYER_MARKERS,
        *ESSP_MARKERS, *sample_essp_markers(),
    )  # fmt: skip


# --- reading and writing the sample's files in their own dialect ---------------------


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep=";", encoding="utf-8-sig", index=False)


def _read_geojson(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write_geojson(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _operation_area(folder: Path, buffer_m: float) -> object:
    ops = gpd.read_file(folder / "operations.geojson").to_crs(2154)
    return ops.loc[ops["id"] == OPERATION].geometry.iloc[0].buffer(buffer_m)


def _host_signalements(sig: pd.DataFrame, folder: Path, n: int) -> np.ndarray:
    """Positions of ``n`` signalements of 2024-T4 within 150 m of OP-03 (seeded)."""
    lon = pd.to_numeric(sig["longitude"].str.replace(",", "."), errors="coerce")
    lat = pd.to_numeric(sig["latitude"].str.replace(",", "."), errors="coerce")
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(2154)
    dates = pd.to_datetime(sig["date_signalement"], format="%d/%m/%Y", errors="coerce")
    near = points.within(_operation_area(folder, 150.0)).to_numpy()
    late = ((dates >= "2024-10-01") & (dates <= "2024-12-31")).to_numpy()
    candidates = np.flatnonzero(near & late)
    if len(candidates) < n:
        raise RuntimeError(f"{len(candidates)} signalements hôtes seulement, {n} demandés")
    rng = np.random.default_rng(SEED)
    return np.sort(rng.choice(candidates, size=n, replace=False))


def _plant_signalements(folder: Path) -> None:
    path = folder / "signalements.csv"
    sig = _read_csv(path)
    per_marker = 3
    text = SIGNALEMENT_MARKERS
    n_extra = 6
    hosts = _host_signalements(sig, folder, per_marker * len(text) + n_extra + 3)
    for column in ("nom_plaignant", "tel_contact", "Téléphone", "divers"):
        sig[column] = ""
    for i, marker in enumerate(text):
        rows = hosts[i * per_marker : (i + 1) * per_marker]
        column = marker.where.split(".", 1)[1]
        sig.loc[rows, column] = marker.planted
    rest = hosts[per_marker * len(text) :]
    extra = rest[:n_extra]
    for marker in EXTRA_COLUMN_MARKERS:
        layer, column = marker.where.split(".", 1)
        if layer == "signalements":
            sig.loc[extra, column] = marker.planted
    rare = rest[n_extra:]
    for row, marker in zip(rare, RARE_VALUE_MARKERS[:3], strict=True):
        sig.loc[row, marker.where.split(".", 1)[1]] = marker.planted
    _write_csv(sig, path)


def _plant_constats(folder: Path) -> None:
    path = folder / "constats.geojson"
    data = _read_geojson(path)
    features = data["features"]
    essp = {m.planted: m for m in sample_essp_markers()}
    for f in features:
        p = f["properties"]
        p["divers"] = ""
        if p["demarche"] == "ESSP":
            marker = essp[f"ESSP {p['id']}"]
            p["recommandation"] = f"{p['recommandation']} ({marker.name.capitalize()})"
    plain = [
        f for f in features
        if f["properties"]["demarche"] != "ESSP" and f["properties"]["code_qp"] == QUARTIER
    ]  # fmt: skip
    needed = len(_ESSP_VARIANTS) + 3
    if len(plain) < needed:
        raise RuntimeError(f"{len(plain)} constats hôtes seulement, {needed} demandés")
    hosts = plain[:needed]
    for f, (marker, demarche, id_demarche, row_id) in zip(hosts, _ESSP_VARIANTS, strict=False):
        p = f["properties"]
        p.update(id=row_id, demarche=demarche, id_demarche=id_demarche, date="2024-11-05")
        p["recommandation"] = f"Caméra et grille du local {marker.capitalize()}"
        p["description"] = f"Constat confidentiel {marker.capitalize()}"
    spare = hosts[len(_ESSP_VARIANTS) :]
    spare[0]["properties"].update(recommandation="Voir avec Mme.Cornichonne", date="2024-11-06")
    spare[1]["properties"].update(theme="Plainte M. Fanfreluche", date="2024-11-06")
    spare[2]["properties"].update(divers="relevé avec Galipette", date="2024-11-06")
    _write_geojson(data, path)


def _plant_actions(folder: Path) -> None:
    path = folder / "actions.csv"
    actions = _read_csv(path)
    rows = np.flatnonzero(
        (actions["code_qp"] == QUARTIER).to_numpy()
        & actions["date"].str.endswith("/2024").to_numpy()
    )[:4]
    texts = [m.planted for m in ESSP_MARKERS if m.where.startswith("actions.")]
    for row, text in zip(rows, texts, strict=False):
        actions.loc[row, "intitule"] = text
    actions.loc[rows[3], "porteur"] = "MmeGuignolet"
    _write_csv(actions, path)


def _plant_other_layers(folder: Path) -> None:
    tfpb = _read_csv(folder / "tfpb.csv")
    row = np.flatnonzero(((tfpb["code_qp"] == QUARTIER) & (tfpb["annee"] == "2024")).to_numpy())[0]
    tfpb.loc[row, "action"] = "Rencontre locataire M.Pipelette 06 98 76 54 42"
    _write_csv(tfpb, folder / "tfpb.csv")

    reunions = _read_csv(folder / "reunions.csv")
    rows = np.flatnonzero(
        (reunions["code_qp"] == QUARTIER).to_numpy() & reunions["date"].str.endswith("/2024")
    )
    reunions.loc[rows[0], "objet"] = "réunion avec la famille Croquignol"
    reunions.loc[rows[1], "objet"] = "restitution SURV-77 Assurancetourix"
    _write_csv(reunions, folder / "reunions.csv")

    garanties = _read_csv(folder / "garanties.csv")
    garanties.loc[len(garanties)] = {
        "objet_id": OPERATION, "date": "15/11/2024", "motif": "infiltration chez Mme Filochard"
    }  # fmt: skip
    _write_csv(garanties, folder / "garanties.csv")

    arrets = _read_csv(folder / "arrets_agents.csv")
    arrets.loc[len(arrets)] = {
        "code_qp": QUARTIER, "date_debut": "04/11/2024", "date_fin": "29/11/2024",
        "motif": "burn-out de Mme Ribouldingue",
    }  # fmt: skip
    _write_csv(arrets, folder / "arrets_agents.csv")

    equipements = _read_geojson(folder / "equipements.geojson")
    area = _operation_area(folder, 300.0)
    for f in equipements["features"]:
        point = gpd.GeoSeries.from_xy([f["geometry"]["coordinates"][0]],
                                      [f["geometry"]["coordinates"][1]], crs=4326)  # fmt: skip
        if point.to_crs(2154).within(area).iloc[0]:
            f["properties"]["nom"] = "Local associatif (clé chez Mme.Pimprenelle)"
            break
    else:
        raise RuntimeError("aucun équipement près de OP-03")
    _write_geojson(equipements, folder / "equipements.geojson")

    operations = _read_geojson(folder / "operations.geojson")
    for f in operations["features"]:
        if f["properties"]["id"] == OPERATION:
            f["properties"]["nom"] = "Réaménagement de la place (référent Mr.Boudinnet)"
    _write_geojson(operations, folder / "operations.geojson")


def build_hostile_territory(folder: Path) -> Path:
    """Copy the sample into ``folder`` (created) and plant every marker; return it."""
    shutil.copytree(
        SAMPLE, folder, ignore=shutil.ignore_patterns("dirty", "apporter", "README*", "*.md")
    )
    _plant_signalements(folder)
    _plant_constats(folder)
    _plant_actions(folder)
    _plant_other_layers(folder)
    return folder


# --- searching ----------------------------------------------------------------------

_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")
_DIGIT_SEPARATORS = re.compile(r"(?<=\d)[\s.\-\u2010-\u2015\u2212/_·•;:|~()]+(?=\d)")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def readable(text: str) -> str:
    """``text`` as read: escapes and entities decoded, NFKC, no zero-width, folded."""
    for _ in range(2):  # escapes inside entities, entities inside JSON…
        text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
        text = html.unescape(text).replace("\\/", "/")
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    return _strip_accents(text.casefold())


def haystack_views(text: str) -> tuple[str, str, str]:
    """(readable text, digit runs joined, letters and digits only)."""
    shown = readable(text)
    return shown, _DIGIT_SEPARATORS.sub("", shown), _NOT_ALNUM.sub("", shown)


def found_markers(text: str, markers: Iterable[Marker]) -> list[Marker]:
    """Markers any needle of which is in ``text`` (in one of :func:`haystack_views`).

    A needle made of digits only is not looked for in the letters-and-digits view: that
    view joins neighbouring cells of a table, and digits of counts could meet there.
    """
    shown, digits, squashed = haystack_views(text)
    out = []
    for marker in markers:
        for needle in marker.needles:
            views = (shown, digits) if needle.isdigit() else (shown, digits, squashed)
            if any(needle in view for view in views):
                out.append(marker)
                break
    return out
