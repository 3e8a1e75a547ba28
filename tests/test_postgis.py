"""The PostGIS store: a whole territory round trip, one transaction, no SQL injection.

Needs a PostGIS server (tests/postgis_support.py: the one ``.ci/run`` starts, or a
throwaway cluster from Debian's binaries); each test writes into a fresh schema of its
own. The round trip uses the bundled sample territory, attributed.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gupgeo import Territory, load_territory
from gupgeo.attribution.territory import attribute_territory
from gupgeo.errors import InputFileError, OutputExistsError
from gupgeo.storage.postgis import Location, connect, parse_url, read_table, write_table
from tests.conftest import SAMPLE
from tests.postgis_support import require_postgis, with_schema

HOSTILE = "x'); DROP TABLE signalements; --"


def tables(url: str) -> dict[str, int]:
    """Rows of every table of the schema of ``url``."""
    from psycopg import sql

    location = parse_url(url)
    with connect(location) as conn:
        names = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            [location.schema],
        ).fetchall()
        return {
            n: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(location.schema, n))
            ).fetchone()[0]
            for (n,) in names
        }


def test_a_url_names_its_schema_and_hides_its_password() -> None:
    location = parse_url("postgresql://gup:secret@db:5433/sig?schema=tours&sslmode=require")
    assert location == Location("postgresql://gup:secret@db:5433/sig?sslmode=require", "tours")
    assert "secret" not in location.label and "tours" in location.label
    assert parse_url("postgresql://", schema="rabiere") == Location("postgresql://", "rabiere")
    assert parse_url("postgres://?sslmode=disable").conninfo == "postgres://?sslmode=disable"
    assert parse_url("postgresql:///sig") == Location("postgresql:///sig", "gupgeo")
    with pytest.raises(InputFileError, match="postgresql://"):
        parse_url("territoire.gpkg")


@pytest.fixture(scope="module")
def attributed() -> Territory:
    return attribute_territory(load_territory(SAMPLE))


def test_the_sample_territory_round_trips(attributed: Territory, pg_url: str) -> None:
    assert attributed.save(pg_url) == pg_url
    back = load_territory(pg_url)
    assert not back.report.fatal and back.report.balanced
    assert list(back.layers) == list(attributed.layers)
    for name, frame in attributed.layers.items():
        got = back[name]
        assert len(got) == len(frame), name
        assert list(got.columns) == list(frame.columns), name
        assert [str(t) for t in got.dtypes] == [str(t) for t in frame.dtypes], name
        plain = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
        pd.testing.assert_frame_equal(
            pd.DataFrame(got).drop(columns="geometry", errors="ignore"),
            plain,
            check_categorical=False,
        )
        if isinstance(frame, gpd.GeoDataFrame):
            assert isinstance(got, gpd.GeoDataFrame) and got.crs == frame.crs
            a, b = frame.geometry.array, got.geometry.array
            assert (shapely.is_missing(a) == shapely.is_missing(b)).all(), name
            present = ~shapely.is_missing(a)
            assert shapely.equals_exact(a[present], b[present], tolerance=1e-6).all(), name
    assert back.provenance == attributed.provenance
    counts = tables(pg_url)
    assert counts["signalements"] == 21_900
    assert {"gupgeo_provenance", "gupgeo_sauvegarde", "gupgeo_colonnes"} <= set(counts)


def test_columns_are_typed_and_geometries_indexed(squares, points, pg_url: str) -> None:
    Territory({"quartiers": squares, "signalements": load_points(points)}).save(pg_url)
    location = parse_url(pg_url)
    with connect(location) as conn:
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = 'signalements'",
                [location.schema],
            ).fetchall()
        )
        geo = conn.execute(
            "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = %s "
            "ORDER BY 1",
            [location.schema],
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s", [location.schema]
        ).fetchall()
    assert types["date_signalement"] == "timestamp without time zone"
    assert types["id"] == "text" and types["geometry"] == "USER-DEFINED"
    assert geo == [("quartiers", "POLYGON", 2154), ("signalements", "POINT", 2154)]
    assert sum("USING gist" in d for (d,) in indexes) == 2


def load_points(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The fixture's signalements with real dates (as validation leaves them)."""
    return points.assign(date_signalement=pd.to_datetime(["2024-01-05"] * len(points)))


def test_a_save_is_all_or_nothing(squares, points, pg_url: str) -> None:
    first = Territory({"quartiers": squares, "signalements": points})
    first.save(pg_url)
    before = tables(pg_url)
    broken = points.to_crs(4326)  # refused by the store, after quartiers were rewritten
    with pytest.raises(InputFileError, match="Lambert-93"):
        Territory({"quartiers": squares.iloc[:1], "signalements": broken}).save(pg_url)
    assert tables(pg_url) == before


def test_foreign_tables_are_kept_and_never_replaced(squares, pg_url: str) -> None:
    location = parse_url(pg_url)
    with connect(location) as conn:
        conn.execute(f'CREATE SCHEMA "{location.schema}"')
        conn.execute(f'CREATE TABLE "{location.schema}".quartiers (nom text)')
        conn.execute(f'CREATE TABLE "{location.schema}".mes_arbres (essence text)')
    with pytest.raises(OutputExistsError, match=r"quartiers.*pas été écrites par gupgeo"):
        Territory({"quartiers": squares}).save(pg_url)
    other = with_schema(pg_url.split("?")[0])
    Territory({"quartiers": squares}).save(other)
    location = parse_url(other)
    with connect(location) as conn:
        conn.execute(f'CREATE TABLE "{location.schema}".mes_arbres (essence text)')
    Territory({"quartiers": squares}).save(other)
    assert tables(other)["mes_arbres"] == 0 and tables(other)["quartiers"] == 2


def test_no_sql_injection(squares, points, postgis_server: str | None) -> None:
    base = require_postgis(postgis_server)
    hostile = points.copy()
    hostile[HOSTILE] = HOSTILE
    hostile["description"] = [HOSTILE, "l'Alouette; --", '"; DROP SCHEMA public; --', "\\'"]
    hostile["categorie"] = HOSTILE
    victim = with_schema(base)  # a territory next door must survive
    Territory({"quartiers": squares, "signalements": points}).save(victim)
    url = with_schema(base, HOSTILE)
    Territory({"quartiers": squares, "signalements": hostile}).save(url)
    back = load_territory(url)
    assert back["signalements"][HOSTILE].tolist() == [HOSTILE] * 4
    assert back["signalements"]["description"].tolist() == hostile["description"].tolist()
    assert back["signalements"]["categorie"].tolist() == [HOSTILE] * 4
    assert tables(victim)["signalements"] == 4
    assert tables(url)["signalements"] == 4
    assert parse_url(url).schema == HOSTILE


def test_rejected_rows_are_stored_beside_the_layers(tmp_path, pg_url: str) -> None:
    (tmp_path / "signalements.csv").write_text(
        "id;date_signalement;categorie;longitude;latitude\n"
        "1;hier;=1+1;0,69;47,39\n2;01/02/2024;voirie;0,69;47,39\n",
        encoding="utf-8",
    )
    territory = load_territory(tmp_path)
    territory.save(pg_url)
    assert tables(pg_url)["rejets_signalements"] == 1 and tables(pg_url)["signalements"] == 1
    Territory(territory.layers, provenance=territory.provenance).save(pg_url)
    assert "rejets_signalements" not in tables(pg_url)  # the rejects of the last save only


def test_a_hostile_table_name_is_only_a_name(pg_url: str) -> None:
    location = parse_url(pg_url)
    frame = gpd.GeoDataFrame(
        {HOSTILE: [HOSTILE, None], "n": [1, 2]},
        geometry=[shapely.Point(525_000, 6_702_000), None],
        crs=2154,
    )
    with connect(location) as conn:
        conn.execute(f'CREATE SCHEMA "{location.schema}"')
        write_table(conn, location.schema, HOSTILE, frame)
        back = read_table(conn, location.schema, HOSTILE)
    assert back[HOSTILE].iloc[0] == HOSTILE and back[HOSTILE].isna().iloc[1]
    assert back.crs == frame.crs and back.geometry.isna().tolist() == [False, True]
    assert tables(pg_url) == {HOSTILE: 2}


def test_the_users_views_on_gupgeo_tables_survive_a_save(squares, points, pg_url: str) -> None:
    """A view (and a view on it, and a materialized one) over a layer: kept across saves."""
    Territory({"quartiers": squares, "signalements": points}).save(pg_url)
    location = parse_url(pg_url)
    s = f'"{location.schema}"'
    with connect(location) as conn:
        conn.execute(f"CREATE VIEW {s}.mes_points AS SELECT id, geometry FROM {s}.signalements")
        conn.execute(
            f"CREATE VIEW {s}.mes_points_compte AS SELECT count(*) AS n FROM {s}.mes_points"
        )
        conn.execute(f"CREATE MATERIALIZED VIEW {s}.mes_quartiers AS SELECT * FROM {s}.quartiers")
    Territory({"quartiers": squares.iloc[:1], "signalements": points.iloc[:2]}).save(pg_url)
    with connect(location) as conn:
        count = conn.execute(f"SELECT n FROM {s}.mes_points_compte").fetchone()[0]
        materialized = conn.execute(f"SELECT count(*) FROM {s}.mes_quartiers").fetchone()[0]
    assert (count, materialized) == (2, 1)  # the views read the new tables


def test_a_saved_view_keeps_its_owner_grants_comments_options_and_indexes(
    squares, points, pg_url: str
) -> None:
    """What makes a view the user's comes back with it: not only its definition."""
    Territory({"quartiers": squares, "signalements": points}).save(pg_url)
    location = parse_url(pg_url)
    s = f'"{location.schema}"'
    reader, owner = "gupgeo_test_lecteur", "gupgeo_test_proprietaire"
    with connect(location) as conn:
        for role in (reader, owner):
            conn.execute(
                f"DO $$ BEGIN CREATE ROLE {role}; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
        conn.execute(f"GRANT ALL ON SCHEMA {s} TO {owner}")
        conn.execute(
            f"CREATE VIEW {s}.mes_points WITH (security_barrier = true) AS "
            f"SELECT id, geometry FROM {s}.signalements"
        )
        conn.execute(f"COMMENT ON VIEW {s}.mes_points IS 'Pour l''équipe SIG'")
        conn.execute(f"COMMENT ON COLUMN {s}.mes_points.id IS 'identifiant'")
        conn.execute(f"GRANT SELECT ON {s}.mes_points TO {reader} WITH GRANT OPTION")
        conn.execute(f"GRANT SELECT ON {s}.mes_points TO PUBLIC")
        conn.execute(f"ALTER VIEW {s}.mes_points OWNER TO {owner}")
        conn.execute(
            f"CREATE MATERIALIZED VIEW {s}.mes_quartiers AS SELECT * FROM {s}.quartiers "
            "WITH NO DATA"
        )
        conn.execute(f"CREATE INDEX mes_quartiers_geom ON {s}.mes_quartiers USING gist (geometry)")
    query = """
        SELECT c.relname, pg_get_userbyid(c.relowner), c.reloptions,
               obj_description(c.oid, 'pg_class'), col_description(c.oid, 1),
               (SELECT array_agg(a ORDER BY a) FROM unnest(c.relacl::text[]) a),
               c.relispopulated,
               (SELECT array_agg(ic.relname::text) FROM pg_index i
                JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('v', 'm') ORDER BY 1
    """

    def state() -> list:
        with connect(location) as conn:
            return conn.execute(query, [location.schema]).fetchall()

    before = state()
    Territory({"quartiers": squares.iloc[:1], "signalements": points.iloc[:2]}).save(pg_url)
    after = state()
    assert after == before
    view = after[0]
    assert view[1:5] == (owner, ["security_barrier=true"], "Pour l'équipe SIG", "identifiant")
    assert f"{reader}=r*/{owner}" in view[5] and f"=r/{owner}" in view[5]
    assert after[1][6:] == (False, ["mes_quartiers_geom"])  # still unpopulated, index kept


def test_a_view_that_no_longer_fits_stops_the_save_in_french(squares, points, pg_url: str) -> None:
    Territory({"quartiers": squares, "signalements": points}).save(pg_url)
    location = parse_url(pg_url)
    s = f'"{location.schema}"'
    with connect(location) as conn:
        conn.execute(f"CREATE VIEW {s}.mes_categories AS SELECT description FROM {s}.signalements")
    before = tables(pg_url)
    without = points.drop(columns="description")
    with pytest.raises(OutputExistsError, match=r"la vue .*mes_categories.*rien n'a été écrit"):
        Territory({"quartiers": squares, "signalements": without}).save(pg_url)
    assert tables(pg_url) == before


def test_every_column_kind_goes_through_the_binary_copy(pg_url: str) -> None:
    """The rows are written as one binary COPY assembled with numpy: missing values of
    every kind become NULL, texts keep their accents, tabs, quotes and empty strings,
    timestamps their microseconds (before 2000 too) and time zone, geometries their
    kind, and a text column holding numbers and lists is written as text."""
    location = parse_url(pg_url)
    stamps = pd.to_datetime(["1999-12-31 23:59:59.000001", None, "2024-02-29 12:00:00.5"])
    frame = gpd.GeoDataFrame(
        {
            "texte": ['é\tà "q" \\n', "", None],
            "entier": pd.array([1, None, -(2**40)], dtype="Int64"),
            "reel": [0.5, float("nan"), -1e300],
            "vrai": pd.array([True, None, False], dtype="boolean"),
            "quand": stamps,
            "quand_tz": stamps.tz_localize("Europe/Paris"),
            "categorie": pd.Categorical(["a", None, "b"]),
            "melange": [1, [2, 3], None],
        },
        geometry=[shapely.Point(525_000, 6_702_000), None, shapely.Point(525_001.25, 6_702_002)],
        crs=2154,
    )
    with connect(location) as conn:
        conn.execute(f'CREATE SCHEMA "{location.schema}"')
        write_table(conn, location.schema, "essai", frame)
        back = read_table(conn, location.schema, "essai")
    assert back["texte"].tolist()[:2] == ['é\tà "q" \\n', ""] and pd.isna(back["texte"][2])
    assert back["entier"].tolist()[0] == 1 and back["entier"].tolist()[2] == -(2**40)
    assert pd.isna(back["entier"][1]) and pd.isna(back["reel"][1])
    assert back["reel"][2] == -1e300 and back["vrai"].tolist()[0] is True
    assert pd.isna(back["vrai"][1]) and back["vrai"].tolist()[2] is False
    assert pd.Timestamp(back["quand"][0]) == stamps[0] and pd.isna(back["quand"][1])
    assert pd.Timestamp(back["quand_tz"][2]) == stamps.tz_localize("Europe/Paris")[2]
    assert back["categorie"].tolist()[0] == "a" and pd.isna(back["categorie"][1])
    assert back["melange"].tolist()[:2] == ["1", "[2, 3]"] and pd.isna(back["melange"][2])
    assert back.geometry.isna().tolist() == [False, True, False]
    assert back.geometry[2].equals(frame.geometry[2])
