"""Text safety of the publication: personal data written the way people write it, ESSP
wording in every spelling, identifiers that cite an ESSP, and the category allow-list.

The variants come from issue 18 (texts typed by real staff and residents: civilities
glued to names, phones with slashes, en dashes, thin spaces or fullwidth digits, e-mails
"at … dot …", zero-width characters inside words, ESSP ids glued) and from variants
invented beyond it (letter O for a zero, Cyrillic letters, non-breaking hyphens,
bracketed dots, "(+33)", IBAN with a space after the country). Each class also has
its false positives: dates, amounts and ordinary French words stay as written.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gupgeo
from gupgeo.publication._essp import doubtful_demarche, mentions_essp
from gupgeo.publication._masking import mask, mask_series
from gupgeo.publication.citations import (
    cites_ids,
    essp_ids,
    essp_rows,
    is_id_column,
    normalise_id,
    withheld_rows,
)
from gupgeo.publication.normalise import detection_view, fold_key, normalise_for_detection
from gupgeo.publication.vocabulary import KNOWN_VALUES, LABEL_COLUMNS, restrict_vocabulary
from gupgeo.publication.vocabulary import OTHER as AUTRE
from gupgeo.schemas import SCHEMAS

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
ZW = "\u200b"  # zero-width space
SHY = "\u00ad"  # soft hyphen
THIN, NNBSP, NBSP = "\u2009", "\u202f", "\u00a0"


# --- the detection view ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("０６９８７６５４３２", "0698765432"),
        ("x＠free．fr", "x@free.fr"),
        (f"06{THIN}98{NNBSP}76{NBSP}54 32", "06 98 76 54 32"),
        ("06/98/76/54/31", "06 98 76 54 31"),
        ("06\u201398\u201476\u221254\u201132", "06 98 76 54 32"),
        (f"E{ZW}S\u200dS\u2060P\ufeff{SHY}", "ESSP"),
        ("a\u2010b", "a-b"),
        ("ЕSSP", "ESSP"),  # Cyrillic capital E
        ("le 12/03/2024", "le 12 03 2024"),
        ("1 234,50 €", "1 234,50 €"),
    ],
)
def test_normalise_for_detection(text, expected):
    assert normalise_for_detection(text) == expected


def test_detection_view_maps_spans_back_to_the_text():
    text = f"a{ZW}b…c"  # one character removed, one expanded ("…" → "...")
    view = detection_view(text)
    assert view.text == "ab...c" and len(view.digits) == len(view.text)
    assert view.span(0, 2) == (0, 3)  # "a", the zero-width space, "b"
    assert view.span(2, 5) == (3, 4)  # "..." is the one "…"
    assert view.span(5, 6) == (4, 5)
    assert fold_key("Étude SURÊTÉ") == "etude surete"


def test_masking_keeps_the_rest_of_the_text_as_written():
    text = f"Le 12/03/2024… appeler le 06{ZW}98{THIN}76 54 32 — 1 234,50 €"
    assert mask(text) == "Le 12/03/2024… appeler le [téléphone masqué] — 1 234,50 €"


# --- phones -------------------------------------------------------------------------------
PHONES = (
    "06/98/76/54/31",
    "06–98–76–54–34",
    "06—98—76—54—34",
    "06‑98‑76‑54‑34",  # non-breaking hyphens
    "06−98−76−54−34",  # minus signs
    "0698 765 436",
    "069 876 5436",
    f"06{THIN}98{THIN}76{THIN}54{THIN}32",
    f"06{NNBSP}98{NNBSP}76{NNBSP}54{NNBSP}32",
    f"06{NBSP}98{NBSP}76{NBSP}54{NBSP}32",
    "０６９８７６５４３２",
    "０６ ９８ ７６ ５４ ３２",
    "+33 (0)6 98 76 54 32",
    "+33 (0) 6 98 76 54 32",
    "+33698765432",
    "+33 6 98 76 54 32",
    "+33.6.98.76.54.32",
    "+33-6-98-76-54-32",
    "(+33) 6 98 76 54 32",
    "＋３３ ６ ９８ ７６ ５４ ３２",
    "0033 6 98 76 54 32",
    "00 33 6 98 76 54 32",
    "06.98.76.54.32",
    "06 98 76 54 3 2",
    "06 - 98 - 76 - 54 - 32",
    "06_98_76_54_32",
    f"06{ZW}98{ZW}76{ZW}54{ZW}32",
    f"069{SHY}876{SHY}5432",
    "O6 98 76 54 32",  # letter O for the zero
    "0 6 98 76 54 32",
    "06•98•76•54•32",
    "06 98 76 54 32",
    "01 47 20 00 01",
    "09.70.12.34.56",
)


@pytest.mark.parametrize("phone", PHONES)
def test_phones(phone):
    assert mask(f"rappeler au {phone} svp") == "rappeler au [téléphone masqué] svp"


def test_mailto_address_is_masked():
    assert mask("mailto:jean@example.org") == "mailto:[courriel masqué]"


def test_two_phones_and_a_phone_at_the_end_of_a_sentence():
    assert mask("06/98/76/54/31 ou 07 11 22 33 44.") == (
        "[téléphone masqué] ou [téléphone masqué]."
    )


# --- e-mails ------------------------------------------------------------------------------
EMAILS = (
    "x at gmail dot com",
    "x AT gmail DOT com",
    "jean.dupont at free.fr",
    "x (at) free (dot) fr",
    "x[at]free[.]fr",
    "x [at] free [dot] fr",
    "x{at}free{dot}fr",
    "x <at> free <dot> fr",
    "x(@)free(.)fr",
    "x arobase free point fr",
    "x Arobase free.fr",
    "x＠free.fr",
    "x﹫free.fr",
    "ｘ＠ｆｒｅｅ．ｆｒ",
    "x @ free . fr",
    f"jean{ZW}.dupont@fr{ZW}ee.fr",
    f"jean.dupont@free{SHY}.fr",
    "jean.dupont@gmail",
    "jean chez free.fr",
    "prenom.nom+gup@example.co.uk",
    "jean.dupont(a)free.fr",
    "jean dot dupont at free dot fr",
    "jean (point) dupont (at) free (point) fr",
)


@pytest.mark.parametrize("email", EMAILS)
def test_emails(email):
    out = mask(f"écrire à {email} merci")
    assert out == "écrire à [courriel masqué] merci", out


# --- names ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mme.Dupontel a appelé", "[nom masqué] a appelé"),
        ("MmeX a appelé", "[nom masqué] a appelé"),
        ("MmeDurand a appelé", "[nom masqué] a appelé"),
        ("Melle X a appelé", "[nom masqué] a appelé"),
        ("Mlle.Durand a appelé", "[nom masqué] a appelé"),
        ("mlle.durand a appelé", "[nom masqué] a appelé"),
        ("M.Dupont a appelé", "[nom masqué] a appelé"),
        ("M.DUPONT a appelé", "[nom masqué] a appelé"),
        ("Mr.Martin a appelé", "[nom masqué] a appelé"),
        ("MrMartin a appelé", "[nom masqué] a appelé"),
        ("Monsieur DURAND a appelé", "[nom masqué] a appelé"),
        ("mme durand a appelé", "[nom masqué] a appelé"),
        ("Madame Y a appelé", "[nom masqué] a appelé"),
        ("M. X a appelé", "[nom masqué] a appelé"),
        (f"Mme{NBSP}Durand a appelé", "[nom masqué] a appelé"),
        (f"Mme{ZW}Durand a appelé", "[nom masqué] a appelé"),
        (f"Mme Du{SHY}rand a appelé", "[nom masqué] a appelé"),
        ("Mme N'Diaye a appelé", "[nom masqué] a appelé"),
        ("Mr et Mme Durand", "Mr et [nom masqué]"),
        ("signalé par la famille X", "signalé par la famille [nom masqué]"),
        ("signalé par la famille Martin", "signalé par la famille [nom masqué]"),
        ("famille Martin relogée", "famille [nom masqué] relogée"),
        ("la Famille Le Gall", "la Famille [nom masqué]"),
        ("FAMILLE MARTIN", "FAMILLE [nom masqué]"),
        ("chez Dupont au 3e", "chez [nom masqué] au 3e"),
        ("chez M. X au 3e", "chez [nom masqué] au 3e"),
        ("de la part de X", "de la part de [nom masqué]"),
        ("de la part de Mme Durand", "de la part de [nom masqué]"),
        ("de la part d'Anne Martin", "de la part d'[nom masqué]"),
        ("signalé par X", "signalé par [nom masqué]"),
        ("nom : Durand", "nom : [nom masqué]"),
        ("Prénom: Anne", "Prénom: [nom masqué]"),
        ("locataire : Jean Durand", "locataire : [nom masqué]"),
        ("occupante: Anne Martin", "occupante: [nom masqué]"),
    ],
)
def test_names_glued_or_not(text, expected):
    assert mask(text) == expected


# --- IBAN, NIR, plates ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", "[IBAN masqué]"),
        ("FR76.3000.6000.0112.3456.7890.189", "[IBAN masqué]"),
        ("FR76-3000-6000-0112-3456-7890-189", "[IBAN masqué]"),
        ("FR76  3000  6000  0112  3456  7890  189", "[IBAN masqué]"),
        ("FR 76 3000 6000 0112 3456 7890 189", "[IBAN masqué]"),
        ("fr76 3000 6000 0112 3456 7890 189", "[IBAN masqué]"),
        ("FR14 2004 1010 0505 0001 3M02 606", "[IBAN masqué]"),
        ("ＦＲ７６３０００６００００１１２３４５６７８９０１８９", "[IBAN masqué]"),
        ("DE89 3704 0044 0532 0130 00", "[IBAN masqué]"),
        ("1 85 05 78 006 084 36", "[NIR masqué]"),
        ("185057800608436", "[NIR masqué]"),
        ("1.85.05.78.006.084.36", "[NIR masqué]"),
        ("1-85-05-78-006-084-36", "[NIR masqué]"),
        (f"1{THIN}85{THIN}05{THIN}78{THIN}006{THIN}084{THIN}36", "[NIR masqué]"),
        ("2 85 05 2A 006 084 36", "[NIR masqué]"),
        ("AB.123.CD", "[plaque masquée]"),
        ("AB  123  CD", "[plaque masquée]"),
        ("ab-123-cd", "[plaque masquée]"),
        ("ab.123.cd", "[plaque masquée]"),
        ("AB 123 CD", "[plaque masquée]"),
        ("AB–123–CD", "[plaque masquée]"),
        ("AB-123 CD", "[plaque masquée]"),
        ("ＡＢ-１２３-ＣＤ", "[plaque masquée]"),
        ("123 ABC 37", "[plaque masquée]"),
    ],
)
def test_identifiers_with_any_separators(text, token):
    assert mask(f"voir {text} ici") == f"voir {token} ici"


# --- false positives --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "le 12/03/2024",
        "le 12/03/2024 à 10:30",
        "le 01/03/2024 10:30",
        "du 01/02/2024 au 03/04/2024",
        "01/02/2024-03/04/2024",
        "le 12.03.2024 1030",
        "03/2024 12 34",
        "le 2024-03-12",
        "1 234,50 €",
        "1 234 567,89 €",
        "12 500 € TTC",
        "il me dit",
        "il m'a dit",
        "M2 de surface",
        "120 m2",
        "rue de la famille",
        "la famille nombreuse",
        "famille d'accueil",
        "Maison des familles",
        "chez moi",
        "chez le bailleur",
        "chez Tours Habitat",
        "une part de marché",
        "Madame la Maire",
        "Monsieur le Préfet",
        "Bâtiment M, escalier 2",
        "le bâtiment B au 3e étage",
        "espace vert",
        "LE 12 MARS 2024",
        "article L 123-4",
        "RN 10",
        "bus ligne 2, arrêt 14",
        "version 1.2.3",
        "de 10h à 12h",
        "at the end",
        "code postal 37000",
        "SIRET 123 456 789 00012",
    ],
)
def test_ordinary_text_dates_and_amounts_are_kept(text):
    assert mask(text) == text


# --- ESSP -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "ESSP",
        "E.S.S.P.",
        "E S S P",
        "E-S-S-P",
        "e.s.s.p",
        "E. S. S. P.",
        "E. S. P.",
        "ESSP03B",
        "ESSP-03B",
        "essp-03",
        "ESSP_3",
        "ESSP n°3",
        "ESSPs",
        f"ES{ZW}SP",
        f"E{SHY}SSP",
        "ЕSSP",  # Cyrillic E
        "ＥＳＳＰ",
        "EDSP",
        "Étude de prévention situationnelle",
        "étude prévention situationnelle",
        "étude de sûreté",
        "étude de surêté",
        "etude de surete",
        "ETUDE DE SURETE",
        "étude de sureté",
        f"étude de sû{ZW}reté",
        "études préalables de sûreté",
        "ESP",
        "E.S.P.",
        "ESP-03",
        "esp03",
        "sureté et sécurité publique",
        "sûreté publique",
        "étude de sécurité publique",
        "suite à l'ESSP du Sanitas",
    ],
)
def test_essp_mentions(text):
    assert mentions_essp(text), text
    assert doubtful_demarche(text)
    assert "[étude masquée]" in mask(f"voir {text} ici")


@pytest.mark.parametrize(
    "text",
    [
        "espace public",
        "espèce protégée",
        "despote",
        "ESPACE",
        "esp. verts",
        "Esp. vert",
        "les spots",
        "des spécialistes",
        "Desspo",
        "responsable",
        "prospection",
        "prévention situationnelle",
        "diagnostic en marchant",
        "marche exploratoire",
        "diagnostic sécurité des cheminements",
        "assurer la sécurité",
        "[étude masquée]",
    ],
)
def test_not_essp(text):
    assert not mentions_essp(text)
    assert mask(text) == text


@pytest.mark.parametrize(
    ("demarche", "doubtful"),
    [
        ("esp", True),
        ("ESP", True),
        ("E.S.P.", True),
        ("prévention situationnelle", True),
        ("Surêté", True),
        ("étude", True),
        ("n.c.", True),
        ("", True),
        (None, True),
        ("diagnostic en marchant", False),
        ("Marche exploratoire", False),
        ("espace public", False),
    ],
)
def test_doubtful_demarche(demarche, doubtful):
    assert doubtful_demarche(demarche) is doubtful


# --- identifiers citing an ESSP -----------------------------------------------------------------
def test_normalise_id_and_id_columns():
    variants = ("ESSP03B", "essp-03b", "ESSP-3-B", "ESSP_03.B", f"ES{ZW}SP-０３B", "Essp03b")
    assert {normalise_id(v) for v in variants} == {"essp3b"}
    assert normalise_id(f"DEM{ZW}-005") == "dem5"
    assert is_id_column("objet_id") and is_id_column("id_demarche") and not is_id_column("theme")


def test_essp_ids_and_the_rows_of_every_layer_citing_them():
    constats = pd.DataFrame(
        {
            "id": ["C-001", "C-002", "C-003", "C-004"],
            "id_demarche": ["DEM-01", "ESSP03B", "DEM-05", "DEM-01"],
            "demarche": [
                "diagnostic en marchant",
                "E S S P",
                "Étude de prévention situationnelle",
                "marche exploratoire",
            ],
        }
    )
    assert essp_rows(constats).tolist() == [False, True, True, False]
    ids = essp_ids(constats)
    assert ids == {"c2", "essp3b", "c3", "dem5"}
    actions = pd.DataFrame(
        {
            "id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7"],
            "intitule": [
                "suite au constat C-002",
                "grilles (essp-03b)",
                "suite DEM 05",
                "il y a 2 bancs",
                "reprise du constat C-001",
                "voir c003",
                "tags",
            ],
        }
    )
    assert cites_ids(actions, ids).tolist() == [True, True, True, False, False, True, False]
    garanties = pd.DataFrame({"objet_id": ["DEM-005", "OP-2", "C002"], "motif": ["a", "b", "c"]})
    assert cites_ids(garanties, ids).tolist() == [True, False, True]
    numeric = pd.DataFrame({"objet_id": [12, 13]})
    assert cites_ids(numeric, {"12"}).tolist() == [True, False]
    # a number alone cites only in identifier columns, never in free text
    assert cites_ids(pd.DataFrame({"texte": ["12 bancs"]}), {"12"}).tolist() == [False]
    assert cites_ids(actions, set()).tolist() == [False] * 7


def test_withheld_rows_follow_citations_across_layers():
    layers = {
        "constats": pd.DataFrame(
            {
                "id": ["C-1", "C-2", "ligne-3"],
                "id_demarche": ["DEM-07", "DEM-08", None],
                "demarche": ["surêté", "marche exploratoire", "N.C."],
            }
        ),
        "actions": pd.DataFrame(
            {
                "id": ["A-1", "A-2", "A-3", "A-4"],
                "intitule": ["suite dem-007", "bancs", "voir E\u200bSSP", "bus ligne 3"],
            }
        ),
        "garanties": pd.DataFrame({"objet_id": ["A-1", "A-3", "OP-3"], "motif": ["x", "y", "z"]}),
        "reunions": pd.DataFrame({"objet": ["point sur DEM 07", "ESSP", "comité"]}),
        "operations": pd.DataFrame({"id": ["OP-3"], "nom": ["Résidentialisation (ESSP)"]}),
    }
    out = withheld_rows(layers)
    assert out["constats"].tolist() == [True, False, True]
    assert out["actions"].tolist() == [True, False, True, False]  # "ligne 3" is no citation
    assert out["garanties"].tolist() == [True, True, False]  # cites withheld actions
    assert out["reunions"].tolist() == [True, False, False]  # wording is masked, not withheld
    assert out["operations"].tolist() == [False]
    exempt = withheld_rows(layers, exempt_layers=["garanties"])
    assert not exempt["garanties"].any() and exempt["actions"].tolist() == out["actions"].tolist()
    only_motif = withheld_rows(layers, columns={"garanties": ["motif"], "actions": ["id"]})
    assert not only_motif["garanties"].any() and not only_motif["actions"][0]
    assert cites_ids(layers["actions"], {"dem7"}, columns=["id"]).tolist() == [False] * 4
    no_demarche = withheld_rows({"constats": layers["constats"].drop(columns="demarche")})
    assert no_demarche["constats"].all()


# --- the vocabulary allow-list -------------------------------------------------------------------
def test_label_columns_are_schema_columns():
    # not in the schemas: the Open311 reader adds service_responsable
    extras = {
        ("constats", "responsable"),
        ("partenaires", "type"),
        ("signalements", "service_responsable"),
    }
    for layer, columns in LABEL_COLUMNS.items():
        declared = {c.name for c in SCHEMAS[layer].columns} if layer in SCHEMAS else set()
        assert {(layer, c) for c in columns} - extras <= {(layer, c) for c in declared}, layer
    labels = {c for columns in LABEL_COLUMNS.values() for c in columns}
    assert set(KNOWN_VALUES) - {"type"} <= labels | {"statut_brut"}
    # sentences and health data are not labels
    assert "reunions" not in LABEL_COLUMNS and "arrets_agents" not in LABEL_COLUMNS


def test_restrict_vocabulary_keeps_known_or_common_values_only():
    sig = pd.DataFrame(
        {
            "categorie": ["Propreté", "PROPRETE", "éclairage", "voisin bruyant M. Durand", None],
            "source": [
                "habitant",
                "contact 06 98 76 54 32",
                "Tours Habitat",
                "Tours Habitat",
                "application",
            ],
            "statut": ["Clôturé", "open", "en attente de M. X", "Résolu", "nouveau"],
            "description": ["Mme Durand"] * 5,
        }
    )
    out, notes = restrict_vocabulary(sig, layer="signalements", min_count=2)
    assert out["categorie"].tolist()[:4] == ["Propreté", "PROPRETE", "éclairage", AUTRE]
    assert pd.isna(out["categorie"].iloc[4])
    assert out["source"].tolist() == [
        "habitant",
        AUTRE,
        "Tours Habitat",
        "Tours Habitat",
        "application",
    ]
    assert out["statut"].tolist() == ["Clôturé", "open", AUTRE, "Résolu", "nouveau"]
    assert out["description"].tolist() == sig["description"].tolist()  # not a label
    assert sig["source"].iloc[1].startswith("contact")  # the input is not modified
    assert len(notes) == 3
    joined = " ".join(notes)
    assert "Durand" not in joined and "06" not in joined and "[" not in joined


def test_restrict_vocabulary_min_count_and_types():
    values = ["x"] * 4 + ["y"]
    frame = pd.DataFrame({"theme": values, "porteur": pd.array(values, dtype="string")})
    out, notes = restrict_vocabulary(frame, layer="actions", min_count=4)
    assert out["theme"].tolist() == ["x"] * 4 + [AUTRE]
    assert out["porteur"].tolist() == ["x"] * 4 + [AUTRE]
    assert len(notes) == 2
    same, none = restrict_vocabulary(frame, layer="actions", min_count=1)
    assert same is frame and none == []
    equipements = pd.DataFrame({"type": ["PAVE enterré", "aire de jeux 2-6 ans", "M. Durand"]})
    types = restrict_vocabulary(equipements, layer="equipements")[0]["type"].tolist()
    assert types == ["PAVE enterré", "aire de jeux 2-6 ans", AUTRE]


def test_restrict_vocabulary_on_the_sample_keeps_its_labels():
    from gupgeo.publication.model import _territory_vocabulary

    territory = gupgeo.load_territory(SAMPLE)
    known = _territory_vocabulary(territory.layers)  # partners' names, as publish passes them
    for layer, frame in territory.layers.items():
        out, notes = restrict_vocabulary(frame, layer=layer, known=known)
        for column in LABEL_COLUMNS.get(layer, ()):
            if column not in frame.columns:
                continue
            changed = (out[column] != frame[column]).fillna(False).to_numpy(dtype=bool)
            counts = frame[column].map(frame[column].value_counts())
            assert (counts[changed] < 5).all(), (layer, column)  # only rare labels go
            assert not changed.any() or (layer, column) == ("equipements", "gestionnaire")
        assert all(" : " in n for n in notes)


# --- linear time on hostile cells --------------------------------------------------------------
_ADVERSARIAL = textwrap.dedent(
    """
    from gupgeo.publication._masking import mask
    from gupgeo.publication._essp import mentions_essp
    n = 200_000
    cells = {
        "digits": "0" * n, "pairs": "06/" * (n // 3), "thin": "06\\u2009" * (n // 3),
        "at": "a" * n + "@", "at words": "x at " * (n // 5), "dots": "a [.] " * (n // 6),
        "civilities": "Mme." * (n // 4), "glued": "MmeX" * (n // 4),
        "famille": "famille " * (n // 8), "zero width": "E\\u200b" * (n // 2),
        "spelled": "E S " * (n // 4), "plates": "AB.123." * (n // 7),
        "iban": "FR76 " * (n // 5), "fullwidth": "\\uff10\\uff16" * (n // 2),
        "dashes": "0\\u2013" * (n // 2), "chez": "chez " * (n // 5),
    }
    for name, cell in cells.items():
        out = mask(cell + " tél 06/98/76/54/31")
        assert out.endswith(" tél [téléphone masqué]"), name
        mentions_essp(cell)
    print("ok", len(cells))
    """
)


def test_masking_200_kb_hostile_cells_completes():
    done = subprocess.run(
        [sys.executable, "-c", _ADVERSARIAL],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok 16"


def test_mask_series_on_hostile_columns():
    values = pd.Series([f"Mme{ZW}Durand", "０６９８７６５４３２", "ok", np.nan])
    out, cut = mask_series(values)
    assert out.tolist()[:3] == ["[nom masqué]", "[téléphone masqué]", "ok"] and cut == 0
