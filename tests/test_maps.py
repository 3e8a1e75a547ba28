"""Map builders, checked on the rendered HTML (the browser checks are in test_browser_maps.py).

Assets here are tiny stand-ins with a valid manifest (tests.browser_support.write_fake_assets),
so these tests need neither npm nor Chromium; one test checks the real npm files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gupgeo.errors import CRSError, SchemaError
from gupgeo.maps import (
    AssetsMissingError,
    Caption,
    add_choropleth,
    add_constats,
    add_equipements,
    add_operations,
    add_quartiers,
    add_signalements,
    add_signalements_heatmap,
    base_map,
    map_territory,
    save_map,
)
from gupgeo.maps._elements import DataLayer, ThemedGroup
from gupgeo.maps._format import PACK_MIN_POINTS, unpack_point_spec
from gupgeo.maps._vector import MISSING_COLOR
from gupgeo.palette import GRAVITE_COLORS
from tests.browser_support import XSS_IMG, XSS_SCRIPT, require_assets, territory, write_fake_assets


@pytest.fixture(autouse=True)
def fake_assets(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = write_fake_assets(tmp_path_factory.mktemp("assets"))
    monkeypatch.setenv("GUPGEO_ASSETS_DIR", str(directory))
    return directory


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return territory(40)


def specs(m: folium.Map) -> dict[str, dict]:
    """Layer name → the JSON spec its runtime call writes into the page."""
    out = {}
    for child in m._children.values():
        if isinstance(child, ThemedGroup):
            for element in child._children.values():
                if isinstance(element, DataLayer):
                    out[child.layer_name] = json.loads(element.spec_js)
    return out


def legend(m: folium.Map, name: str) -> list[dict]:
    return next(
        c.legend
        for c in m._children.values()
        if isinstance(c, ThemedGroup) and c.layer_name == name
    )["entries"]


def test_html_references_no_remote_code_and_folium_defaults_stay_untouched(layers):
    before_js, before_css = list(folium.Map.default_js), list(folium.Map.default_css)
    m = map_territory(layers, basemap="plan-ign")
    html = m.get_root().render()
    assert folium.Map.default_js == before_js and folium.Map.default_css == before_css
    assert not re.search(r"<script[^>]+src=\"?https?:", html)
    assert not re.search(r"<link[^>]+href=\"?https?:", html)
    for cdn in ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "unpkg.com", "fontawesome"):
        assert cdn not in html
    assert "window.fake_leaflet" in html and "window.fake_fullscreen" in html
    assert html.index("window.fake_leaflet") < html.index("gupgeo.vector(")
    # A later plain folium map still gets folium's own defaults: nothing leaked either way.
    assert "cdn.jsdelivr.net/npm/leaflet" in folium.Map().get_root().render()


def test_css_images_are_inlined_as_data_uris(layers):
    html = base_map(basemap=None).get_root().render()
    assert "url(images/layers.png)" not in html
    assert 'url("data:image/png;base64,' in html


def test_user_strings_reach_the_page_as_script_safe_json(layers):
    m = map_territory(layers, basemap=None)
    html = m.get_root().render()
    assert XSS_IMG not in html and XSS_SCRIPT not in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert "Rue de l\\u0027Alouette" in html
    # the runtime builds every text with textContent, never innerHTML
    modules = sorted((Path(__file__).parents[1] / "gupgeo" / "assets").glob("map_*.js"))
    assert len(modules) >= 5
    for module in modules:
        assert "innerHTML" not in module.read_text().replace("never innerHTML", ""), module


def test_document_title_is_escaped(layers):
    m = base_map(basemap=None, title="Carte <b>l'Alouette</b>")
    html = m.get_root().render()
    assert "<title>Carte &lt;b&gt;l&#x27;Alouette&lt;/b&gt;</title>" in html


def test_dates_nan_and_numpy_types_serialise_in_french(layers):
    ops = layers["operations"].copy()
    ops["montant_eur"] = np.float32(1_234_567)
    m = base_map(basemap=None)
    add_operations(m, ops)
    props = specs(m)["Opérations d'aménagement"]["data"]["features"][0]["properties"]
    assert props["date_debut"] == "01/03/2024"
    assert props["date_livraison"] is None
    assert props["montant_eur"] == "1\u202f234\u202f567\u202f€"


def test_homonym_quartiers_are_labelled_with_their_commune(layers):
    """The one naming rule (gupgeo.french.quartier_names): map labels as the bulletin."""
    q = layers["quartiers"].head(2).assign(nom_qp="Centre Ville", commune=["Blois", "Vierzon"])
    m = base_map(basemap=None)
    add_quartiers(m, q)
    features = specs(m)["Quartiers prioritaires"]["data"]["features"]
    labels = [f["properties"]["_nom"] for f in features]
    assert labels == ["Centre Ville (Blois)", "Centre Ville (Vierzon)"]


def test_quartier_tooltip_has_key_figures_and_labels(layers):
    m = base_map(basemap=None)
    indicators = pd.DataFrame(
        {"Signalements": [12, 0, 3]}, index=["LOC-SANITAS", "LOC-RABIERE", "LOC-ALOUETTE"]
    )
    add_quartiers(m, layers["quartiers"], indicators=indicators)
    spec = specs(m)["Quartiers prioritaires"]
    props = spec["data"]["features"][0]["properties"]
    assert spec["label"] == "_nom" and props["_nom"] == "Sanitas"
    assert props["population"] == "9\u202f000"
    assert props["surface_ha"] == "180,0"  # 1500 m × 1200 m
    assert [f[1] for f in spec["tooltip"]["fields"]][-1] == "Signalements"
    assert props[spec["tooltip"]["fields"][-1][0]] == "12"
    lat, lon = props["_at"]
    assert 47.0 < lat < 48.0 and 0.0 < lon < 1.5


def test_equipements_have_a_categorical_legend_entry_per_type(layers):
    m = base_map(basemap=None)
    add_equipements(m, layers["equipements"])
    entries = legend(m, "Équipements")
    assert [(e["label"], e["count"], e["glyph"]) for e in entries] == [
        ("école", "2", "É"),
        ("centre social", "1", "CS"),
        ("PAVE", "1", "PAV"),
        ("non renseigné", "1", "?"),
    ]
    spec = specs(m)["Équipements"]
    colours = {e["label"]: e["color"] for e in entries}
    assert len(set(colours.values())) == 4
    classes = [f["properties"]["_s"] for f in spec["data"]["features"]]
    assert [spec["styles"][c]["fillColor"] for c in classes] == [
        colours[t if isinstance(t, str) else "non renseigné"] for t in layers["equipements"]["type"]
    ]


def test_constats_coloured_by_gravite_missing_grey_all_geometry_kinds(layers):
    m = base_map(basemap=None)
    add_constats(m, layers["constats"])
    spec = specs(m)["Constats"]
    kinds = [f["geometry"]["type"] for f in spec["data"]["features"]]
    assert kinds == ["Point", "LineString", "Point", "Polygon"]
    styles = [spec["styles"][f["properties"]["_s"]]["color"] for f in spec["data"]["features"]]
    assert styles == [GRAVITE_COLORS[3], GRAVITE_COLORS[2], GRAVITE_COLORS[1], MISSING_COLOR]
    assert spec["data"]["features"][0]["properties"]["recommandation"].startswith("Ajouter")
    labels = [e["label"] for e in legend(m, "Constats")]
    assert labels[-1] == "gravité non renseignée"


def test_styles_are_looked_up_per_class_not_per_feature(layers):
    m = map_territory(territory(300), basemap=None)
    html = m.get_root().render()
    assert "switch" not in html.split("gupgeo.vector(", 1)[1]
    assert all(len(s["styles"]) <= 12 for s in specs(m).values() if "styles" in s)


def test_signalements_payload_is_compact_and_round_trips():
    gdf = territory(6_000)["signalements"]
    m = base_map(basemap=None)
    add_signalements(m, gdf)
    spec = specs(m)["Signalements"]
    p = spec["payload"]
    lat = (p["y0"] + np.cumsum(p["dy"])) / p["scale"]
    lon = (p["x0"] + np.asarray(p["x"])) / p["scale"]
    shown = gdf.to_crs(4326)
    expected = sorted(
        zip(np.round(shown.geometry.y, 5), np.round(shown.geometry.x, 5), strict=True)
    )
    assert sorted(zip(np.round(lat, 5), np.round(lon, 5), strict=True)) == expected
    category = spec["fields"][0]
    assert category["label"] == "Catégorie"
    counts = pd.Series([category["labels"][i] for i in category["v"]]).value_counts()
    assert counts.to_dict() == gdf["categorie"].value_counts().to_dict()
    # free text is not shipped for thousands of points unless asked
    assert "Description" not in [f["label"] for f in spec["fields"]]
    assert len(json.dumps(spec)) / len(gdf) < 40


def test_large_point_layers_travel_packed_and_unpack_to_the_same_values():
    gdf = territory(PACK_MIN_POINTS + 500)["signalements"]
    m = base_map(basemap=None)
    add_signalements(m, gdf)
    spec = specs(m)["Signalements"]
    assert "x" not in spec["payload"] and set(spec["packed"]) == {"data", "columns"}
    plain = unpack_point_spec(spec)
    assert plain["payload"]["n"] == len(gdf)
    lat = (plain["payload"]["y0"] + np.cumsum(plain["payload"]["dy"])) / plain["payload"]["scale"]
    shown = gdf.to_crs(4326)
    assert sorted(np.round(lat, 5)) == sorted(np.round(shown.geometry.y, 5))
    category = plain["fields"][0]
    counts = pd.Series([category["labels"][i] for i in category["v"]]).value_counts()
    assert counts.to_dict() == gdf["categorie"].value_counts().to_dict()
    # several times smaller than the same integers as JSON
    assert len(json.dumps(spec)) * 2.5 < len(json.dumps(plain, separators=(",", ":")))


def test_signalements_legend_counts_match_the_data(layers):
    m = base_map(basemap=None)
    add_signalements(m, layers["signalements"])
    entries = legend(m, "Signalements")
    counts = {e["label"]: int(e["count"]) for e in entries if "count" in e}
    assert counts == layers["signalements"]["categorie"].value_counts().to_dict()


def test_heatmap_honours_weights(layers):
    sig = layers["signalements"]
    m = base_map(basemap=None)
    add_signalements_heatmap(m, sig, weight="poids")
    spec = specs(m)["Densité des signalements"]
    assert sorted(spec["weights"]) == sorted(sig["poids"].astype(float))
    with pytest.raises(ValueError, match="colonne 'masse' absente"):
        add_signalements_heatmap(m, sig, weight="masse")


def test_choropleth_classes_legend_missing_and_secret():
    zones = gpd.GeoDataFrame(
        {"code_qp": list("ABCDEF"), "nom_qp": list("ABCDEF")},
        geometry=[
            shapely.box(525_000 + 100 * i, 6_701_000, 525_090 + 100 * i, 6_701_090)
            for i in range(6)
        ],
        crs=2154,
    )
    values = pd.Series([1.0, 2.0, 10.0, 11.0, np.nan, 30.0], index=list("ABCDEF"))
    secret = pd.Series([False, False, False, False, False, True], index=list("ABCDEF"))
    m = base_map(basemap=None)
    add_choropleth(m, zones, values, name="Taux", value_label="pour 1 000", k=2, secret=secret)
    entries = legend(m, "Taux")
    assert [e["label"] for e in entries] == [
        "1,0 – 2,0",
        "10,0 – 11,0",
        "non renseigné",
        "secret (petit effectif)",
    ]
    props = [f["properties"] for f in specs(m)["Taux"]["data"]["features"]]
    assert [p["_valeur"] for p in props] == ["1,0", "2,0", "10,0", "11,0", None, "secret"]
    assert "30" not in json.dumps(props)


def test_profile_is_written_on_the_map(layers):
    for profile, words in [
        ("interne", "ne pas diffuser"),
        ("partenaires", "ESSP"),
        ("public", "secret"),
    ]:
        m = map_territory(layers, basemap=None, publication=profile)
        assert m.caption["profileKey"] == profile
        assert words in m.caption["profile"]


def test_caption_object_and_keywords_write_the_same_caption(layers):
    caption = Caption("Revue GUP", "Tours", "échantillon", "2024-03-05")
    by_object = map_territory(layers, basemap=None, caption=caption).caption
    words = {"title": "Revue GUP", "subtitle": "Tours", "sources": "échantillon"}
    by_words = map_territory(layers, basemap=None, date="2024-03-05", **words).caption
    assert by_object == by_words
    assert by_object["title"] == "Revue GUP" and by_object["subtitle"] == "Tours"
    assert by_object["lines"] == ["Sources : échantillon", "Carte produite le 5 mars 2024"]
    replaced = map_territory(layers, basemap=None, caption=caption, title="Autre").caption
    assert (replaced["title"], replaced["subtitle"]) == ("Autre", "Tours")
    assert map_territory(layers, basemap=None).caption["title"] == "Territoire GUP"
    with pytest.raises(TypeError, match="titre"):
        map_territory(layers, basemap=None, titre="Revue")  # type: ignore[call-arg]


def test_partenaires_map_carries_no_personal_text_nor_essp(layers):
    m = map_territory(layers, basemap=None, publication="partenaires")
    html = m.get_root().render()
    points = specs(m)["Signalements"]
    assert "Description" not in [f["label"] for f in points["fields"]]
    assert "RAS" not in json.dumps(points)
    assert "Confidentiel" not in html and "visibilité" not in html  # the ESSP finding
    assert len(specs(m)["Constats"]["data"]["features"]) == 3


def test_public_map_has_no_point_coordinates(layers):
    m = map_territory(layers, basemap=None, publication="public")
    html = m.get_root().render()
    kinds = {s.get("kind") for s in specs(m).values()}
    assert "gupgeo.points(" not in html and "gupgeo.heat(" not in html
    assert kinds <= {"quartiers", "operations", "equipements", "choropleth"}
    shown = layers["signalements"].to_crs(4326)
    for x, y in zip(shown.geometry.x[:10], shown.geometry.y[:10], strict=True):
        assert f"{x:.5f}" not in html or f"{y:.5f}" not in html
    counts = [
        f["properties"]["_valeur"]
        for f in specs(m)["Signalements par carreau de 200 m"]["data"]["features"]
    ]
    assert all(v == "secret" or int(v) >= 11 for v in counts)


def test_precision_and_simplification_shrink_geometry():
    wiggly = shapely.Polygon(
        [(525_000 + i * 10, 6_701_000 + (i % 2) * 0.3) for i in range(100)]
        + [(526_000, 6_702_000), (525_000, 6_702_000)]
    )
    q = gpd.GeoDataFrame({"code_qp": ["A"], "nom_qp": ["A"]}, geometry=[wiggly], crs=2154)
    fine = base_map(basemap=None, precision=6, simplify_tolerance_m=0)
    add_quartiers(fine, q)
    coarse = base_map(basemap=None, precision=4, simplify_tolerance_m=1.0)
    add_quartiers(coarse, q)
    ring_fine = specs(fine)["Quartiers prioritaires"]["data"]["features"][0]["geometry"][
        "coordinates"
    ][0]
    ring = specs(coarse)["Quartiers prioritaires"]["data"]["features"][0]["geometry"][
        "coordinates"
    ][0]
    assert len(ring) < 10 < len(ring_fine)
    assert all(len(str(c).split(".")[-1]) <= 4 for pt in ring for c in pt)


def test_save_map_writes_one_file_and_reports_sizes(layers, tmp_path):
    m = map_territory(layers, basemap=None)
    report = save_map(m, tmp_path / "carte.html")
    assert report.total_bytes == (tmp_path / "carte.html").stat().st_size
    assert 0 < report.assets_bytes < report.total_bytes
    assert report.features["Signalements"] == len(layers["signalements"])
    assert "Taille totale" in str(report)
    assert list(tmp_path.iterdir()) == [tmp_path / "carte.html"]


def test_save_map_shared_assets_folder_for_atlases(layers, tmp_path):
    for name in ("a.html", "b.html"):
        save_map(map_territory(layers, basemap=None), tmp_path / name, self_contained=False)
    html = (tmp_path / "a.html").read_text()
    assert '<script src="gupgeo-assets/leaflet/dist/leaflet.js"></script>' in html
    assert "window.fake_leaflet" not in html
    assert (tmp_path / "gupgeo-assets" / "leaflet" / "LICENCE.txt").exists()
    assert (tmp_path / "gupgeo-assets" / "gupgeo" / "map_core.js").exists()
    # the map object is left in inline mode
    assert "window.fake_leaflet" in map_territory(layers, basemap=None).get_root().render()


def test_missing_or_altered_assets_say_how_to_fetch_them(
    layers, tmp_path, monkeypatch, fake_assets
):
    monkeypatch.setenv("GUPGEO_ASSETS_DIR", str(tmp_path / "vide"))
    with pytest.raises(AssetsMissingError, match=r"scripts/fetch_assets\.py"):
        save_map(base_map(basemap=None), tmp_path / "x.html")
    monkeypatch.setenv("GUPGEO_ASSETS_DIR", str(fake_assets))
    (fake_assets / "dist" / "leaflet" / "dist" / "leaflet.js").write_text("alert(1)")
    with pytest.raises(AssetsMissingError, match="modifié"):
        save_map(base_map(basemap=None), tmp_path / "x.html")


def test_assets_are_looked_up_in_the_variable_then_the_package_then_the_checkout(
    tmp_path, monkeypatch, fake_assets
):
    from gupgeo.maps import _assets

    in_package, checkout = tmp_path / "paquet", tmp_path / "depot"
    monkeypatch.setattr(_assets, "IN_PACKAGE_ASSETS", in_package)
    monkeypatch.setattr(_assets, "CHECKOUT_ASSETS", checkout)
    assert _assets.default_assets_dir() == fake_assets  # the variable, when set, decides
    monkeypatch.delenv("GUPGEO_ASSETS_DIR")
    assert _assets.default_assets_dir() == checkout  # nothing anywhere: the checkout's
    with pytest.raises(AssetsMissingError) as missing:
        save_map(base_map(basemap=None), tmp_path / "x.html")
    assert str(in_package) in str(missing.value) and str(checkout) in str(missing.value)
    assert "scripts/fetch_assets.py (ou make assets)" in str(missing.value)
    assert "pip install ." in str(missing.value)
    write_fake_assets(checkout)
    assert _assets.default_assets_dir() == checkout
    write_fake_assets(in_package)  # a wheel's copy wins over a checkout's
    assert _assets.default_assets_dir() == in_package
    assert "window.fake_leaflet" in base_map(basemap=None).get_root().render()


def test_notebook_display_is_an_inline_iframe(layers):
    m = map_territory(layers, basemap=None)
    out = m._repr_html_()
    assert out.count("<iframe srcdoc=") == 1
    assert "gupgeo.done(" in out and "window.fake_leaflet" in out


def test_basemaps_offer_the_others_as_alternatives():
    html = base_map(basemap="osm").get_root().render()
    assert html.index("tile.openstreetmap.org") < html.index("GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2")
    assert "ORTHOIMAGERY.ORTHOPHOTOS" in html
    assert "tile.openstreetmap" not in base_map(basemap=None).get_root().render()


def test_map_territory_accepts_a_territory_object(layers):
    from gupgeo.territory import Territory

    m = map_territory(Territory(layers), layers=["quartiers", "equipements"], basemap=None)
    assert set(specs(m)) == {"Quartiers prioritaires", "Équipements"}


def test_map_territory_refuses_a_look_alike(layers):
    class LookAlike:
        def __init__(self, layers):
            self.layers = layers

    with pytest.raises(SchemaError, match="attendu un Territory"):
        map_territory(LookAlike(layers), basemap=None)


def test_bad_inputs_get_clear_messages(layers):
    with pytest.raises(ValueError, match="basemap : 'google' inconnu"):
        base_map(basemap="google")
    with pytest.raises(ValueError, match="publication : 'presse' inconnu"):
        map_territory(layers, publication="presse")
    with pytest.raises(ValueError, match=r"layers : \['routes'\]"):
        map_territory(layers, layers=["routes"])
    with pytest.raises(SchemaError, match="attendu un GeoDataFrame"):
        add_quartiers(base_map(basemap=None), pd.DataFrame({"code_qp": ["A"]}))
    with pytest.raises(SchemaError, match="colonne\\(s\\) manquante\\(s\\) \\['nom_qp'\\]"):
        add_quartiers(base_map(basemap=None), layers["quartiers"].drop(columns="nom_qp"))
    with pytest.raises(CRSError, match="aucun système de coordonnées"):
        add_equipements(
            base_map(basemap=None), layers["equipements"].set_crs(None, allow_override=True)
        )
    with pytest.raises(TypeError, match="base_map"):
        add_signalements(folium.Map(), layers["signalements"])
    with pytest.raises(ValueError, match="mode : 'heat'"):
        add_signalements(base_map(basemap=None), layers["signalements"], mode="heat")


def test_real_npm_assets_are_inlined_with_their_licences(layers, tmp_path, monkeypatch):
    monkeypatch.delenv("GUPGEO_ASSETS_DIR")
    require_assets()
    report = save_map(map_territory(layers, basemap=None), tmp_path / "carte.html")
    html = (tmp_path / "carte.html").read_text()
    assert "Leaflet 1.9.4" in html and "Vladimir Agafonkin" in html
    assert "sourceMappingURL" not in html
    assert not re.search(r"url\((?!\"?data:|#)", html.split("<body>")[0])
    assert report.assets_bytes < 350_000


def test_timezone_aware_dates_are_shown_in_paris_time():
    sig = territory(3)["signalements"]
    sig["date_signalement"] = pd.to_datetime(
        ["2024-03-31 23:30", "2024-01-01 12:00", None], utc=True
    )
    m = base_map(basemap=None)
    add_signalements(m, sig)
    field = next(f for f in specs(m)["Signalements"]["fields"] if f["label"] == "Date")
    days = sorted(
        pd.Timestamp("1970-01-01") + pd.Timedelta(days=field["base"] + v)
        for v in field["v"]
        if v >= 0
    )
    assert days == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-04-01")]
    assert sorted(field["v"])[0] == -1


def test_two_renders_of_the_same_map_are_identical(layers, tmp_path):
    write_fake_assets(tmp_path / "assets")
    texts = []
    for i in range(2):
        m = map_territory(layers, basemap="osm", date="2025-01-15")
        report = save_map(m, tmp_path / f"carte{i}.html", assets_dir=tmp_path / "assets")
        texts.append(report.path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    assert texts[0] == texts[1]
    assert re.search(r"map_0{31}[0-9a-f]", texts[0]) or "map_0000" in texts[0]
