"""Publication profiles: nothing personal nor ESSP leaves for partners, nothing small for the public."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gupgeo.errors import SchemaError
from gupgeo.publication import (
    aggregate_events,
    aggregate_to_grid,
    aggregate_to_zones,
    apply_secret,
    cites_essp,
    essp_mask,
    is_essp,
    is_personal_column,
    publish,
    scrub_text,
)
from tests.browser_support import X0, Y0, territory

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.\w+")
PHONE = re.compile(r"(?:\+33|0)[1-9](?:[\s.-]?\d{2}){4}")


@pytest.fixture
def layers() -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = dict(territory(40))
    sig = out["signalements"].copy()
    sig["nom_declarant"] = "Jean Dupont"
    sig["Téléphone"] = "06 12 34 56 78"
    sig["email"] = "jean.dupont@example.org"
    sig["adresse"] = "12 rue de l'Alouette, voir Mme Martin ou écrire à voisin@exemple.fr"
    sig["nom"] = "Dupont"
    out["signalements"] = sig
    con = out["constats"].copy()
    con["statut"] = ["à faire, contact M. Bernard 02.47.00.00.00", "fait", "fait", "à faire"]
    con["auteur"] = ["A. Moreau"] * 4
    extra = con.iloc[[0, 1]].copy()
    extra["id"] = ["C5", "C6"]
    extra["demarche"] = ["Étude de sûreté et de sécurité publique", None]
    out["constats"] = gpd.GeoDataFrame(pd.concat([con, extra]), crs=con.crs)
    out["arrets_agents"] = pd.DataFrame(
        {
            "code_qp": ["LOC-SANITAS"],
            "date_debut": pd.to_datetime(["2024-01-03"]),
            "motif": ["maladie"],
        }
    )
    return out


def all_text(frame: pd.DataFrame) -> str:
    cells = (
        frame.drop(columns=frame.geometry.name) if isinstance(frame, gpd.GeoDataFrame) else frame
    )
    return (
        " ".join(map(str, cells.astype(str).to_numpy().ravel()))
        + " "
        + " ".join(map(str, frame.columns))
    )


def test_interne_keeps_everything(layers):
    pub = publish(layers, "interne")
    assert pub.notes == () and pub.aggregated == {} and not pub.masks and pub.locates
    for name, frame in layers.items():  # every row and column (attributed at the door)
        assert len(pub.layers[name]) == len(frame)
        assert set(frame.columns) <= set(pub.layers[name].columns) | {"code_qp"}


def test_partenaires_removes_personal_fields_and_contacts_in_free_text(layers):
    pub = publish(layers, "partenaires")
    sig = pub.layers["signalements"]
    assert {"nom_declarant", "Téléphone", "email", "nom", "description"}.isdisjoint(sig.columns)
    assert {"id", "categorie", "statut", "adresse"} <= set(sig.columns)
    for name, frame in pub.layers.items():
        text = all_text(frame)
        assert not EMAIL.search(text), name
        assert not PHONE.search(text), name
        for person in ("Dupont", "Martin", "Bernard", "Moreau"):
            assert person not in text, (name, person)
    assert (
        sig["adresse"].iloc[0]
        == "12 rue de l'Alouette, voir [nom masqué] ou écrire à [courriel masqué]"
    )
    assert "motif" not in pub.layers["arrets_agents"].columns
    assert "auteur" not in pub.layers["constats"].columns
    # names of places are not personal
    assert pub.layers["equipements"]["nom"].tolist() == layers["equipements"]["nom"].tolist()


def test_partenaires_removes_every_essp_finding_and_unknown_demarche(layers):
    pub = publish(layers, "partenaires")
    kept = pub.layers["constats"]
    assert kept["id"].tolist() == ["C1", "C2", "C4"]
    assert not is_essp(kept["demarche"]).any()
    assert any("3 retiré(s)" in note for note in pub.notes)


def test_partenaires_without_demarche_column_withholds_constats(layers):
    layers["constats"] = layers["constats"].drop(columns="demarche")
    pub = publish(layers, "partenaires")
    assert "constats" not in pub.layers
    assert any("couche retirée" in note for note in pub.notes)


def test_keep_description_keeps_it_masked(layers):
    layers["signalements"].loc[2, "description"] = "appeler le 0612345678 ou x@y.fr"
    pub = publish(layers, "partenaires", keep_description=True)
    assert pub.layers["signalements"]["description"].iloc[2] == (
        "appeler le [téléphone masqué] ou [courriel masqué]"
    )


@pytest.mark.parametrize(
    ("column", "layer", "personal"),
    [
        ("nom_declarant", "signalements", True),
        ("Prénom", None, True),
        ("TEL", None, True),
        ("courriel_contact", None, True),
        ("nom", "signalements", True),
        ("nom", "equipements", False),
        ("nom_qp", "quartiers", False),
        ("categorie", "signalements", False),
        ("gestionnaire", "equipements", False),
    ],
)
def test_is_personal_column(column, layer, personal):
    assert is_personal_column(column, layer=layer) is personal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tel +33 6 12 34 56 78.", "tel [téléphone masqué]."),
        ("06.12.34.56.78", "[téléphone masqué]"),
        ("Écrire à prenom.nom+gup@tours-metropole.fr", "Écrire à [courriel masqué]"),
        ("Vu avec Madame Anne Durand hier", "Vu avec [nom masqué] hier"),
        ("Madame la Maire", "Madame la Maire"),
        ("Lampadaire 12 rue Nationale", "Lampadaire 12 rue Nationale"),
    ],
)
def test_scrub_text(text, expected):
    assert scrub_text(pd.Series([text])).iloc[0] == expected


def test_is_essp_variants():
    values = pd.Series(
        [
            "ESSP",
            "essp 2023",
            "Étude de sûreté et de sécurité publique",
            "diagnostic en marchant",
            None,
        ]
    )
    assert is_essp(values).tolist() == [True, True, True, False, True]


def test_public_has_no_point_coordinates_and_no_small_count(layers):
    many = territory(400)["signalements"]
    layers["signalements"] = many
    pub = aggregate_events(publish(layers, "public"))
    assert set(pub.aggregated) == {"signalements", "constats"}
    assert "signalements" not in pub.layers and "constats" not in pub.layers
    for key in pub.aggregated.values():
        cells = pub.layers[key]
        assert set(cells.geometry.geom_type) == {"Polygon"}
        shown = cells["effectif"].dropna()
        assert (shown >= 11).all()
        assert (cells.loc[cells["secret"], "libelle"] == "secret").all()
        assert cells.loc[cells["secret"], "effectif"].isna().all()
        assert "0" not in cells["libelle"].tolist()
    total = aggregate_to_grid(many, threshold=0)["effectif"].sum()
    assert total == len(many)


def test_grid_cells_are_anchored_200m_squares_with_stable_ids():
    pts = gpd.GeoDataFrame(
        geometry=[
            shapely.Point(525_010, 6_701_010),
            shapely.Point(525_190, 6_701_190),
            shapely.Point(525_210, 6_701_010),
            shapely.LineString([(525_000, 6_701_300), (525_100, 6_701_300)]),
        ],
        crs=2154,
    )
    cells = aggregate_to_grid(pts, threshold=2)
    assert cells["carreau"].tolist() == [
        "L93_200m_E525000_N6701000",
        "L93_200m_E525000_N6701200",
        "L93_200m_E525200_N6701000",
    ]
    assert cells["libelle"].tolist() == ["2", "secret", "secret"]
    assert cells.geometry.area.tolist() == [40_000.0] * 3
    with pytest.raises(ValueError, match="cell_size_m"):
        aggregate_to_grid(pts, cell_size_m=10)


def test_aggregate_to_quartiers_lists_every_zone_and_counts_outside():
    zones = gpd.GeoDataFrame(
        {"code_qp": ["A", "B"], "nom_qp": ["A", "B"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 100, Y0 + 100),
            shapely.box(X0 + 200, Y0, X0 + 300, Y0 + 100),
        ],
        crs=2154,
    )
    xs = [X0 + 10] * 12 + [X0 + 250] + [X0 + 1000]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, [Y0 + 50] * len(xs)), crs=2154).to_crs(
        4326
    )
    counts, outside = aggregate_to_zones(pts, zones)
    assert counts["libelle"].tolist() == ["12", "secret"]
    assert counts["effectif"].tolist()[0] == 12 and pd.isna(counts["effectif"].tolist()[1])
    assert outside == 1


def test_public_by_quartier(layers):
    pub = aggregate_events(publish(layers, "public", secret_threshold=5), aggregate="quartier")
    sig = pub.layers["signalements_agreges"]
    assert sig["code_qp"].tolist() == ["LOC-SANITAS", "LOC-RABIERE", "LOC-ALOUETTE"]
    assert sig["libelle"].tolist() == ["40", "secret", "secret"]


def test_apply_secret_zero_is_secret_never_zero():
    table = apply_secret(pd.Series([0, 10, 11, np.nan]))
    assert table["libelle"].tolist() == ["secret", "secret", "11", "secret"]
    assert table["secret"].tolist() == [True, True, False, True]
    assert apply_secret(pd.Series([0, 3]), threshold=0)["libelle"].tolist() == ["0", "3"]


def test_bad_profile_and_threshold(layers):
    with pytest.raises(ValueError, match="publication : 'presse' inconnu ; attendu l'un de"):
        publish(layers, "presse")
    with pytest.raises(ValueError, match="secret_threshold"):
        publish(layers, "public", secret_threshold=0)
    with pytest.raises(SchemaError, match="attendu un Territory"):
        publish([1, 2], "public")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tel +33 (0)6 12 34 56 78", "tel [téléphone masqué]"),
        ("+33(0)612345678", "[téléphone masqué]"),
        ("0033 6 12 34 56 78", "[téléphone masqué]"),
        ("+33 6-12-34-56-78", "[téléphone masqué]"),
        ("le 2024 06 12 34 56", "le 2024 06 12 34 56"),  # not a phone: 5 pairs after a year
        ("Vu Mme de la Tour hier", "Vu [nom masqué] hier"),
        ("M Dupont a appelé", "[nom masqué] a appelé"),
        ("Mr Dupont a appelé", "[nom masqué] a appelé"),
        ("M. du Bellay", "[nom masqué]"),
        ("Monsieur d'Artagnan", "[nom masqué]"),
        ("Mlle Le Gall", "[nom masqué]"),
        ("Madame de Villiers-Martin, gardienne", "[nom masqué], gardienne"),
        ("mme Durand", "[nom masqué]"),
        ("Madame la Maire", "Madame la Maire"),
        ("Bâtiment M, escalier 2", "Bâtiment M, escalier 2"),
        ("Jean Dupont", "Jean Dupont"),  # no civility: not detected, documented as such
    ],
)
def test_scrub_text_wider_patterns(text, expected):
    assert scrub_text(pd.Series([text])).iloc[0] == expected


def test_scrub_text_docstring_and_labels_do_not_over_promise():
    from gupgeo import publication

    assert "not** detected" in (scrub_text.__doc__ or "")
    assert "sans données personnelles" not in publication.PROFILE_LABELS["partenaires"]
    assert "relire les textes" in publication.PROFILE_LABELS["partenaires"]


@pytest.mark.parametrize(
    ("demarche", "essp"),
    [
        ("Étude de sûreté", True),
        ("étude de sûreté (ESSP)", True),
        ("(ESSP)", True),
        ("E.S.S.P.", True),
        ("Etude de surete et securite publique", True),
        ("   ", True),
        ("NC", True),
        ("non renseigné", True),
        (np.nan, True),
        ("marche exploratoire", False),
        ("diagnostic sécurité des cheminements", False),
    ],
)
def test_is_essp_one_rule(demarche, essp):
    assert is_essp(pd.Series([demarche], dtype="object")).tolist() == [essp]
    frame = pd.DataFrame({"demarche": pd.Series([demarche], dtype="object")})
    assert essp_mask(frame).tolist() == [essp]
    assert essp_mask(frame.drop(columns="demarche")).tolist() == [True]


# --- free-text columns, ESSP rows, sources -------------------------------------------------


def test_free_text_columns_are_dropped_unless_listed(layers):
    sig = layers["signalements"]
    sig["observations"] = "vu avec la gardienne, rappeler le 06 98 76 54 32"
    sig["categorie"] = "Plainte de Jean Zorglub (06 98 76 54 32)"
    sig["nb_passages"] = 3
    sig["commentaire_libre"] = pd.Categorical(["Mme Durand"] * len(sig))
    pub = publish(layers, "partenaires")
    shown = pub.layers["signalements"]
    assert {"observations", "commentaire_libre", "description"}.isdisjoint(shown.columns)
    assert "nb_passages" not in shown.columns  # not in the allow-list: dropped, numbers too
    assert set(shown["categorie"]) == {"Plainte de [nom masqué] ([téléphone masqué])"}
    assert any(
        "observations" in n and "nb_passages" in n and "colonnes non diffusées" in n
        for n in pub.notes
    )
    kept = publish(layers, "partenaires", keep_columns={"signalements": ["observations", "email"]})
    observations = kept.layers["signalements"]["observations"]
    assert set(observations) == {"vu avec la gardienne, rappeler le [téléphone masqué]"}
    assert "email" not in kept.layers["signalements"].columns  # personal: never kept
    flat = aggregate_events(
        publish(layers, "public", keep_columns=["observations"]), aggregate="quartier"
    )
    assert "signalements_agreges" in flat.layers  # points still aggregated


def test_every_label_column_is_masked(layers):
    layers["operations"] = layers["operations"].assign(
        nom="Résidentialisation, M. Dupont 0698765432"
    )
    layers["quartiers"] = layers["quartiers"].assign(commune="Tours (contact jean@x.fr)")
    pub = publish(layers, "partenaires")
    assert pub.layers["operations"]["nom"].iloc[0] == (
        "Résidentialisation, [nom masqué] [téléphone masqué]"
    )
    assert set(pub.layers["quartiers"]["commune"]) == {"Tours (contact [courriel masqué])"}
    assert pub.layers["quartiers"]["code_qp"].tolist() == layers["quartiers"]["code_qp"].tolist()


def test_long_texts_are_cut_in_shared_outputs(layers):
    layers["signalements"] = layers["signalements"].assign(adresse="rue " + "x" * 5000)
    pub = publish(layers, "partenaires", max_chars=200)
    adresse = pub.layers["signalements"]["adresse"]
    assert (adresse.str.len() == 200).all() and adresse.str.endswith("…").all()
    assert any("coupé" in n for n in pub.notes)
    assert publish(layers, "interne").layers["signalements"]["adresse"].str.len().max() > 5000


def test_open311_service_columns_leave_masked_and_grouped(layers):
    sig = layers["signalements"].copy()
    n = len(sig)
    sig["service_responsable"] = ["Direction de la propreté"] * (n - 1) + ["Mme Durand 0612345678"]
    sig["code_service"] = ["DS"] * (n - 1) + ["tel 06 12 34 56 78"]
    layers["signalements"] = sig
    out = publish(layers, "partenaires").layers["signalements"]
    assert {"service_responsable", "code_service"} <= set(out.columns)
    assert out["service_responsable"].tolist() == ["Direction de la propreté"] * (n - 1) + ["autre"]
    assert out["code_service"].tolist() == ["DS"] * (n - 1) + ["tel [téléphone masqué]"]


def test_a_citation_is_read_in_the_whole_text_not_only_where_it_leaves(layers):
    con = layers["constats"].iloc[[0, 1]].copy()
    con["id"], con["demarche"] = ["CST-7", "CST-8"], ["ESSP", "marche exploratoire"]
    layers["constats"] = gpd.GeoDataFrame(con, crs=con.crs)
    """A signalement citing an ESSP finding past the cut may describe it before the cut."""
    sig = layers["signalements"].iloc[:4].copy()
    sig["adresse"] = [
        "suite CST-7 " + "x" * 5000,  # cited in the part that leaves: withheld
        "x" * 150 + " suite CST-7",  # past the cut: withheld
        "x" * 5000 + " suite CST-7",  # far past the cut: still a citation, withheld
        "x" * 5000,  # cites nothing: kept
    ]
    layers["signalements"] = gpd.GeoDataFrame(sig, crs=sig.crs)
    pub = publish(layers, "partenaires", max_chars=100)
    kept = pub.layers["signalements"]
    assert kept["id"].tolist() == [sig["id"].iloc[3]]
    assert pub.withheld["signalements"] == 3


def test_essp_is_recognised_by_demarche_identifier_and_wording(layers):
    con = layers["constats"].iloc[[0, 1, 3, 0, 1, 3]].copy()
    con["id"] = ["K1", "K2", "K3", "K4", "K5", "K6"]
    con["demarche"] = [
        "diagnostic en marchant",
        "étude",
        "marche exploratoire",
        "ESSPs",
        "diagnostic en marchant",
        "diagnostic en marchant",
    ]
    con["id_demarche"] = ["DEM-01", "DEM-02", "ESSP-03", "DEM-04", "DEM-05", "DEM-06"]
    con["recommandation"] = [
        "élaguer",
        "éclairer",
        "grille",
        "x",
        "reprendre l'audit de sûreté",
        "RAS",
    ]
    con["observations"] = ["", "", "", "", "", "cf. Diagnostic Sûreté 2023"]
    layers["constats"] = gpd.GeoDataFrame(con, crs=con.crs)
    actions = pd.DataFrame(
        {
            "id": ["A1", "A2", "A3"],
            "code_qp": ["LOC-SANITAS"] * 3,
            "date": pd.to_datetime(["2024-02-01"] * 3),
            "intitule": ["Mise en œuvre de l'ESSP-01", "Nettoyage", "Grilles"],
            "theme": ["sûreté", "propreté", "étude de sûreté et de sécurité publique"],
        }
    )
    layers["actions"] = actions
    pub = publish(layers, "partenaires")
    assert pub.layers["constats"]["id"].tolist() == ["K1"]
    assert pub.layers["actions"]["id"].tolist() == ["A2"]
    assert pub.withheld == {"constats": 5, "actions": 2}
    assert any("constats : 5 retiré(s)" in n for n in pub.notes)
    assert any("actions : 2 retiré(s)" in n for n in pub.notes)
    assert essp_mask(layers["constats"]).tolist() == [False, True, True, True, True, True]
    assert cites_essp(actions).tolist() == [True, False, True]


def test_dashboard_drops_actions_citing_an_essp():
    from gupgeo.dashboard import build_dashboard

    q = pd.DataFrame({"code_qp": ["QP-A"], "population": [1000]})
    a = pd.DataFrame(
        {
            "id": ["a1", "a2"],
            "code_qp": ["QP-A"] * 2,
            "theme": ["ESSP-02 : grilles", "propreté"],
            "date": pd.to_datetime(["2024-03-01"] * 2),
        }
    )
    db = build_dashboard({"quartiers": q, "actions": a}, period="2024", freq="year")
    assert db["actions"].loc["QP-A", "nb_actions"] == 1
    assert "ESSP-02 : grilles" not in db["actions_par_theme"].columns


def test_shared_provenance_keeps_file_names_only():
    import gupgeo

    t = gupgeo.load_territory(SAMPLE)
    pub = publish(t, "partenaires")
    assert pub.provenance["signalements"].source == "signalements.csv"
    assert "data" not in str(pub.territory().provenance)
    assert (
        publish(t, "interne")
        .provenance["signalements"]
        .source.endswith("data/sample/signalements.csv")
    )


def test_a_publication_is_published_once_and_only_for_its_profile(layers):
    many = territory(400)["signalements"].assign(adresse="voir Mme Durand")
    layers["signalements"] = many
    once = publish(layers, "partenaires")
    assert publish(once, "partenaires") is once
    with pytest.raises(ValueError, match="déjà publiée pour « partenaires »"):
        publish(once, "public")
    cut = once.restricted({"signalements": once.layers["signalements"].iloc[:10]})
    assert cut.profil == "partenaires" and cut.notes == once.notes
    with pytest.raises(ValueError, match="absente"):
        once.restricted({"inconnue": many})
    public = aggregate_events(publish(layers, "public"))
    assert "signalements" not in public.layers and "signalements_agreges" in public.layers


def test_a_sentence_typed_as_a_study_id_is_matched_whole():
    from gupgeo.publication.withholding import withhold_essp

    sentence = "étude " + "x" * 5000 + " 12"  # too long to look for inside texts
    layers = {
        "constats": pd.DataFrame(
            {"id": ["C-1"], "demarche": ["ESSP"], "diagnostic_id": [sentence]}
        ),
        "actions": pd.DataFrame(
            {"id": ["A-1", "A-2"], "diagnostic_id": [sentence, "D-2"], "intitule": ["a", "b"]}
        ),
    }
    kept, withheld, _, _ = withhold_essp(layers)
    assert kept["actions"]["id"].tolist() == ["A-2"] and withheld == {"constats": 1, "actions": 1}
