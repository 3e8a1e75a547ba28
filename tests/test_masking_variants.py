"""More spellings of what masking must find, and of what it must leave alone.

Found in review of issue 18 after the first text-safety work: lowercase plates glued or
spaced (``ab123cd``, ``ab 123 cd``), phones written with commas or mixed separators,
"E.  S.  S.  P" with double spaces, and a false positive to avoid: plain lists of
numbers, buildings or years are not phone numbers. Every class also has variants
invented here (accents, tabs, "+33 (0)" with commas, Corsican NIR, lowercase IBAN…).
"""

from __future__ import annotations

import pytest

from gupgeo.publication._essp import mentions_essp
from gupgeo.publication._masking import mask

PHONE, PLATE = "[téléphone masqué]", "[plaque masquée]"
NBSP, THIN = "\u00a0", "\u2009"


@pytest.mark.parametrize(
    "phone",
    [
        "06,98,76,54,31",
        "06,98,76,54,31.",
        "06 98,76.54-31",
        "06.98-76/54 31",
        "06/98.76 54-31",
        "06,98 76,54 31",
        "+33 (0)6,98,76,54,31",
        "+33 6,98,76,54,31",
        "0033 6,98,76,54,31",
        "+33(0)698765431",
        "+33 (0)6.98.76.54.31",
        "0033(0)6 98 76 54 31",
        f"06{NBSP}98,76{THIN}54,31",
        "07,11,22,33,44",
    ],
)
def test_phones_with_commas_or_mixed_separators(phone):
    assert mask(f"tél {phone} merci").replace(".", "") == f"tél {PHONE} merci"


@pytest.mark.parametrize(
    "text",
    [
        "lots 1, 2, 3, 4 et 5",
        "lots 1,2,3,4,5,6,7,8,9,10",
        "bâtiments 12 14 16",
        "bâtiments 12, 14, 16 et 18",
        "2021 2022 2023",
        "années 2019, 2020, 2021, 2022 et 2023",
        "de 2019 à 2023 : 2019, 2020, 2021",
        "lots 1 2 3 4 5 6 7 8 9 10",
        "n° 12 14 16 18 20",
        "codes 37000 37100 37200",
        "entre 2021 2022 2023 2024 2025",
        "0,50 1,20 3,40 5,60 €",
        "lots 01, 02, 03, 04 et 05",
        "escaliers 1, 2 et 3 du 12 au 18",
        "3,5 m, 12,5 m, 20,75 m",
        "les 10, 11, 12, 13 et 14 mars",
    ],
)
def test_digit_lists_are_not_phones(text):
    assert mask(text) == text


@pytest.mark.parametrize(
    "plate",
    [
        "ab123cd",
        "ab-123-cd",
        "ab 123 cd",
        "ab  123  cd",
        "ab.123.cd",
        "Ab-123-Cd",
        "AB123CD",
        "ab-123 cd",
        "fg 456 hj",
        "ab\u2013123\u2013cd",
    ],
)
def test_plates_in_lowercase_or_mixed_case(plate):
    assert mask(f"voiture {plate} garée") == f"voiture {PLATE} garée"


@pytest.mark.parametrize(
    "text",
    [
        "le 123 de la rue",
        "se 123 et",
        "de 123 en 2024",
        "page 123 de",
        "la 123 me",
        "ex. 123 ce",
    ],
)
def test_two_letter_words_around_a_number_are_not_plates(text):
    assert mask(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "E.  S.  S.  P",
        "E.  S.  S.  P.",
        "E . S . S . P",
        "e. s. s. p.",
        "E SSP",
        "ES SP",
        "E\tS\tS\tP",
        "E/S/S/P",
        "ÉSSP",
        "É.S.S.P.",
        "l'ESSP",
        "(ESSP)",
        "ESSP:",
        "essp_2024_03",
        "ESSP#3",
        "E.D.S.P.",
        "E.  S.  P.",
        "Étude de Sûreté & de Sécurité Publique",
        "diag. sûreté",
        "audit surete",
    ],
)
def test_essp_spellings(text):
    assert mentions_essp(text), text
    assert "[étude masquée]" in mask(f"voir {text} ici")


@pytest.mark.parametrize(
    "text",
    ["espace", "les spots", "des sportifs", "e-sport", "ES Sports", "respect", "l'espoir"],
)
def test_words_near_essp_are_not_essp(text):
    assert not mentions_essp(text)
    assert mask(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mme. Durand a appelé", "[nom masqué] a appelé"),
        ("MME DURAND a appelé", "[nom masqué] a appelé"),
        ("Mlle.Martin a appelé", "[nom masqué] a appelé"),
        ("Mr.Dupont a appelé", "[nom masqué] a appelé"),
        ("Madame Le Gall a appelé", "[nom masqué] a appelé"),
        ("Monsieur X a appelé", "[nom masqué] a appelé"),
        ("Mademoiselle Martin a appelé", "[nom masqué] a appelé"),
        (f"Mme{NBSP}N'Diaye a appelé", "[nom masqué] a appelé"),
        ("signalée par Mme Durand", "signalée par [nom masqué]"),
        ("Signalé par : Anne Martin", "Signalé par : [nom masqué]"),
        ("famille DURAND relogée", "famille [nom masqué] relogée"),
        ("chez Mme Martin", "chez [nom masqué]"),
        ("plainte de M. Dupont", "plainte de [nom masqué]"),
    ],
)
def test_more_civilities_and_triggers(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("jean_dupont@sub.domaine.fr", "[courriel masqué]"),
        ("JEAN.DUPONT@EXAMPLE.FR", "[courriel masqué]"),
        ("jean . dupont @ example . org", "[courriel masqué]"),
        ("jean[@]example.org", "[courriel masqué]"),
        ("jean\tat\tfree\tdot\tfr", "[courriel masqué]"),
        ("jean arobase example point fr", "[courriel masqué]"),
        ("fr7630006000011234567890189", "[IBAN masqué]"),
        ("FR76/3000/6000/0112/3456/7890/189", "[IBAN masqué]"),
        ("FR76 3000 6000 0112 3456 7890 189", "[IBAN masqué]"),
        ("GB29 NWBK 6016 1331 9268 19", "[IBAN masqué]"),
        ("2 69 05 2A 123 456 78", "[NIR masqué]"),
        ("1 85 05 78 006 084", "[NIR masqué]"),
        ("1/85/05/78/006/084/36", "[NIR masqué]"),
    ],
)
def test_more_e_mails_iban_and_nir(text, token):
    assert mask(f"voir {text} ici") == f"voir {token} ici"


# Invented in the fourth session, by trying to get strings past the masking: separators
# staff use in spreadsheets (";", "|", ":", "~"), the area code in brackets, plates written
# with "_" or "/", a doubled at-sign, and name markers beyond civilities.


@pytest.mark.parametrize(
    "phone",
    [
        "(06) 98 76 54 31",
        "(06)98765431",
        "06;98;76;54;31",
        "06|98|76|54|31",
        "06:98:76:54:31",
        "06~98~76~54~31",
        "06 ; 98 ; 76 ; 54 ; 31",
        "(+33) 6 98 76 54 31",
        "(0033) 6 98 76 54 31",
    ],
)
def test_phones_with_spreadsheet_separators_or_brackets(phone):
    out = mask(f"rappeler au {phone} svp")
    assert PHONE in out and sum(c.isdigit() for c in out) == 0, out


@pytest.mark.parametrize("plate", ["AB_123_CD", "AB/123/CD", "ab_123_cd", "AB/123-CD"])
def test_plates_with_underscores_or_slashes(plate):
    assert mask(f"voiture {plate} garée") == f"voiture {PLATE} garée"


@pytest.mark.parametrize(
    "text",
    ["jean.dupont@@gmail.com", "jean.dupont@ @gmail.com", "jean.dupont (@) free.fr"],
)
def test_e_mails_with_a_doubled_or_bracketed_at_sign(text):
    out = mask(f"écrire à {text} merci")
    assert "dupont" not in out and "[courriel masqué]" in out, out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("les époux Nguyen ont appelé", "les époux [nom masqué] ont appelé"),
        ("les epoux NGUYEN ont appelé", "les epoux [nom masqué] ont appelé"),
        ("fam. Nguyen relogée", "fam. [nom masqué] relogée"),
        ("Fam Nguyen relogée", "Fam [nom masqué] relogée"),
        ("Vve Martin a appelé", "Vve [nom masqué] a appelé"),
        ("l'épouse Martin a appelé", "l'épouse [nom masqué] a appelé"),
    ],
)
def test_name_markers_beyond_civilities(text, expected):
    assert mask(text) == expected
    assert "Martin" not in mask("Mme veuve Martin a appelé")


@pytest.mark.parametrize(
    "text",
    [
        "réunion de 10:30 à 12:00",
        "lots 12;14;16",
        "bâtiments A|B|C",
        "fam. de produits",
        "les époux ont appelé",
        "le bus 12 (ligne 2) passe",
        "voir pièce 2023/145/AB",
    ],
)
def test_ordinary_text_with_those_characters_stays(text):
    assert mask(text) == text
