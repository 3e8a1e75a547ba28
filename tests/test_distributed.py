"""Dask: attribution and signalement indicators on a dask.distributed cluster, identical
to the in-memory path.

A ``LocalCluster`` of two worker processes for the module. The data: the bundled sample
territory, and a synthetic national-like set (``tests/_scale_synthetic.py``: 400
quartiers in towns, 150,000 points around, on and just outside their perimeters, some
without geometry), each written as partitioned GeoParquet and read back with
:func:`gupgeo.storage.parquet.read_layer_dask`. dask is part of the ``dev`` extra: these
tests run in CI, never skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from gupgeo import Territory, attribute, build_dashboard, load_territory
from gupgeo.attribution import attribute_territory, attribution_report
from gupgeo.attribution.distributed import partitions_report
from gupgeo.attribution.report import AttributionReport
from gupgeo.indicators import degradation_counts, signalement_summary
from gupgeo.storage.parquet import read_layer_dask, write_layer_parquet
from tests._scale_synthetic import synthetic_quartiers, synthetic_signalements
from tests.conftest import require_sample

SIGNALEMENT_TABLES = (
    "signalements",
    "signalements_par_categorie",
    "signalements_par_statut",
    "degradations",
    "signalements_proximite",
)
ZONE_COLUMNS = ("code_qp", "operation_id")


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def sample() -> Territory:
    return load_territory(require_sample())


@pytest.fixture(scope="module")
def sample_parquet(sample: Territory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample") / "signalements"
    return write_layer_parquet(
        sample["signalements"], folder, layer="signalements", rows_per_file=4_000
    )


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Territory, Path]:
    quartiers = synthetic_quartiers(400, seed=3)
    signalements = synthetic_signalements(quartiers, 150_000, seed=3, missing=25)
    folder = tmp_path_factory.mktemp("synthetique") / "signalements"
    write_layer_parquet(signalements, folder, layer="signalements", rows_per_file=20_000)
    return Territory({"quartiers": quartiers, "signalements": signalements}), folder


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(frame).sort_values("id", kind="stable").reset_index(drop=True)
    return out


def assert_same_attribution(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    columns = [c for c in expected.columns if c.startswith(ZONE_COLUMNS)]
    assert columns and [c for c in got.columns if c.startswith(ZONE_COLUMNS)] == columns
    pd.testing.assert_frame_equal(by_id(got)[columns], by_id(expected)[columns])


def assert_same_report(got: AttributionReport, expected: AttributionReport) -> None:
    assert (got.n_features, got.n_rows) == (expected.n_features, expected.n_rows)
    assert len(got.layers) == len(expected.layers)
    for a, b in zip(got.layers, expected.layers, strict=True):
        pd.testing.assert_series_equal(a.per_zone, b.per_zone)
        fields = [f for f in vars(b) if f != "per_zone"]
        assert {f: getattr(a, f) for f in fields} == {f: getattr(b, f) for f in fields}
    assert got.to_text() == expected.to_text()


def assert_same_tables(got: object, expected: object) -> None:
    for name in SIGNALEMENT_TABLES:
        pd.testing.assert_frame_equal(got.tables[name], expected.tables[name], obj=name)
        a, b = got.series.get(name), expected.series.get(name)
        assert (a is None) == (b is None), name
        if b is not None:
            pd.testing.assert_frame_equal(a, b, obj=f"{name} (série)")
    assert got.notes == expected.notes
    assert got.input_counts == expected.input_counts


def test_the_sample_is_attributed_and_counted_identically(
    client: Client, sample: Territory, sample_parquet: Path
) -> None:
    lazy = read_layer_dask(sample_parquet, layer="signalements")
    assert lazy.npartitions == 6  # 2022, 2023, 2024 in files of at most 4,000 rows
    in_memory = attribute_territory(sample)
    on_cluster = attribute_territory(sample.with_layers({"signalements": lazy}))
    got = on_cluster["signalements"].compute()
    assert len(got) == len(sample["signalements"])
    assert_same_attribution(got, in_memory["signalements"])
    assert_same_report(
        on_cluster.attribution["signalements"], in_memory.attribution["signalements"]
    )
    for period, freq in (("2024", "month"), ("2023-T2", "quarter")):
        assert_same_tables(
            build_dashboard(on_cluster, period=period, freq=freq),
            build_dashboard(in_memory, period=period, freq=freq),
        )


def test_a_bigger_synthetic_set_is_identical(
    client: Client, synthetic: tuple[Territory, Path]
) -> None:
    territory, folder = synthetic
    lazy = read_layer_dask(folder)
    assert lazy.npartitions >= 8
    in_memory = attribute_territory(territory)
    on_cluster = attribute_territory(territory.with_layers({"signalements": lazy}))
    report = in_memory.attribution["signalements"]["code_qp"]
    # The set exercises every outcome: overlapping quartiers, tolerance, hors zone, none.
    assert min(report.n_several, report.n_tolerance, report.n_outside, report.n_no_geometry) > 0
    assert_same_attribution(on_cluster["signalements"].compute(), in_memory["signalements"])
    assert_same_report(
        on_cluster.attribution["signalements"], in_memory.attribution["signalements"]
    )
    assert_same_tables(
        build_dashboard(on_cluster, period="2024", freq="quarter"),
        build_dashboard(in_memory, period="2024", freq="quarter"),
    )
    quartiers = territory["quartiers"]
    pd.testing.assert_frame_equal(
        signalement_summary(on_cluster["signalements"], quartiers, period="2023"),
        signalement_summary(in_memory["signalements"], quartiers, period="2023"),
    )
    pd.testing.assert_frame_equal(
        degradation_counts(on_cluster["signalements"], quartiers, period="2024-03"),
        degradation_counts(in_memory["signalements"], quartiers, period="2024-03"),
    )


def test_attribute_takes_a_dask_layer(client: Client, synthetic: tuple[Territory, Path]) -> None:
    territory, folder = synthetic
    quartiers = territory["quartiers"]
    lazy = read_layer_dask(folder)
    options = {"tolerance_m": 15.0, "multiple": "first", "predicate": "within"}
    on_cluster = attribute(lazy, quartiers, **options)
    expected = attribute(territory["signalements"], quartiers, **options)
    assert_same_attribution(on_cluster.compute(), expected)
    assert_same_report(
        partitions_report(on_cluster, quartiers, **options), attribution_report(expected)
    )
    with pytest.raises(ValueError, match="partitions_report"):
        attribution_report(on_cluster)
    with pytest.raises(ValueError, match="multiple='all'"):
        attribute(lazy, quartiers, multiple="all")


def test_a_dashboard_of_unattributed_dask_signalements(
    client: Client, sample: Territory, sample_parquet: Path
) -> None:
    """Signalements without code_qp: attributed on the cluster (at the publication's door),
    same tables as in memory."""
    lazy = read_layer_dask(sample_parquet)
    layers = {"quartiers": sample["quartiers"]}
    on_cluster = build_dashboard({**layers, "signalements": lazy}, period="2024", freq="quarter")
    in_memory = build_dashboard(
        {**layers, "signalements": sample["signalements"]}, period="2024", freq="quarter"
    )
    for name in SIGNALEMENT_TABLES:
        pd.testing.assert_frame_equal(on_cluster.tables[name], in_memory.tables[name], obj=name)
    assert any("rattachement spatial" in note for note in on_cluster.notes)
    total = on_cluster.tables["signalements"].loc["total", "nb_signalements"]
    dates = sample["signalements"]["date_signalement"]
    assert total == int((dates.dt.year == 2024).sum())


def test_only_the_indicators_columns_come_back(
    client: Client, sample: Territory, sample_parquet: Path
) -> None:
    from gupgeo.indicators.distributed import gather_signalements

    lazy = attribute(read_layer_dask(sample_parquet), sample["quartiers"])
    gathered = gather_signalements(lazy)
    assert not isinstance(gathered, gpd.GeoDataFrame)
    assert "geometry" not in gathered.columns and "description" not in gathered.columns
    assert len(gathered) == len(sample["signalements"])
    assert np.array_equal(gathered.index, np.arange(len(gathered)))


def test_the_log_says_where_dask_computes(client: Client) -> None:
    from gupgeo.attribution.distributed import running_on

    assert running_on() == f"le cluster Dask {client.scheduler.address}"
