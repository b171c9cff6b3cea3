"""The Spark engine (``local[2]``) against the single-machine path: same rings, scores,
queue and errors."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from ringlens.config import load_config
from ringlens.exceptions import InputError, SchemaError

pytestmark = pytest.mark.spark

DEMO = Path(__file__).resolve().parents[2] / "graphs" / "demo"


@pytest.fixture(scope="module")
def demo_runs(spark, tmp_path_factory):
    """The demo set scored by `ringlens.pipeline.run` and by `run_spark` (same seed)."""
    from ringlens.pipeline import run
    from ringlens.spark.run import run_spark

    local_out = tmp_path_factory.mktemp("local")
    spark_out = tmp_path_factory.mktemp("spark")
    cfg = load_config(env={}, cwd=False)
    local = run(DEMO, out_dir=local_out, config=cfg)
    remote = run_spark(DEMO, out_dir=spark_out, config=cfg, spark=spark)
    return local, remote, local_out, spark_out


@pytest.fixture(scope="module", params=["live", "marketplace"])
def platform_runs(request, spark, tmp_path_factory):
    """A synthetic platform (``ringlens synth --platform …``) scored by both engines: live
    with the vocabulary synth writes (mapped roles), marketplace without (every name
    unmapped, roles from the data's shape)."""
    from ringlens.pipeline import run
    from ringlens.spark.run import run_spark
    from ringlens.synth import SynthConfig, generate, write_synth

    platform = request.param
    src = tmp_path_factory.mktemp(platform)
    data = generate(SynthConfig(n_events=30_000, rings_per_pattern=1, seed=3, platform=platform))
    write_synth(data, src)
    vocab = src / "vocabulary.toml" if platform == "live" else None
    cfg = load_config(env={}, cwd=False, vocabulary=vocab)
    local_out = tmp_path_factory.mktemp(f"{platform}-local")
    spark_out = tmp_path_factory.mktemp(f"{platform}-spark")
    local = run(src, out_dir=local_out, config=cfg)
    remote = run_spark(src, out_dir=spark_out, config=cfg, spark=spark)
    return local, remote, local_out, spark_out


def _same_run_folder(local_out: Path, spark_out: Path) -> None:
    for name in ("rings.parquet", "entities.parquet", "queue.parquet", "bursts.parquet"):
        assert (spark_out / name).read_bytes() == (local_out / name).read_bytes(), name
    assert (spark_out / "queue.csv").read_bytes() == (local_out / "queue.csv").read_bytes()


def test_platforms_same_rings_scores_queue_and_coverage(platform_runs):
    local, remote, local_out, spark_out = platform_runs
    assert local.rings.height >= 3 and local.queue.height > 0
    assert local.report["counts"]["candidates"]["near_confirmed_bad"] > 0
    assert remote.rings.equals(local.rings)
    assert remote.entities.equals(local.entities)
    assert remote.queue.equals(local.queue)
    assert remote.membership.equals(local.membership)
    for key in ("run_id", "counts", "policy", "coverage", "input_profile", "input_drift"):
        assert remote.report[key] == local.report[key], key
    _same_run_folder(local_out, spark_out)
    spark_info = remote.report["spark"]
    assert spark_info["components"] > 1 and spark_info["units"] > 4


def test_demo_same_rings_scores_and_queue(demo_runs):
    local, remote, _, _ = demo_runs
    assert local.rings.height == 12
    assert remote.rings.equals(local.rings)
    assert remote.entities.equals(local.entities)
    assert remote.queue.equals(local.queue)
    assert remote.membership.equals(local.membership)
    assert remote.report["run_id"] == local.report["run_id"]
    assert remote.report["counts"] == local.report["counts"]
    assert remote.report["policy"] == local.report["policy"]
    assert remote.report["coverage"] == local.report["coverage"]


def test_demo_same_run_folder_and_queue_database(demo_runs):
    import sqlite3

    _, _, local_out, spark_out = demo_runs
    _same_run_folder(local_out, spark_out)
    assert (spark_out / "queue.jsonl").read_bytes() == (local_out / "queue.jsonl").read_bytes()
    q = "select queue_item_id, status from queue_items order by queue_item_id"
    with (
        sqlite3.connect(local_out / "queue.sqlite") as a,
        sqlite3.connect(spark_out / "queue.sqlite") as b,
    ):
        rows_local, rows_spark = a.execute(q).fetchall(), b.execute(q).fetchall()
    assert len(rows_local) == local_queue_rows(local_out) > 0
    assert rows_spark == rows_local
    info = json.loads((spark_out / "run.json").read_text())
    assert info["engine"]["name"] == "spark" and info["spark"]["components"] == 7
    assert (spark_out / "viz" / "index.html").is_file()


def local_queue_rows(out: Path) -> int:
    return pl.read_parquet(out / "queue.parquet").height


def test_spark_dataframe_outputs(demo_runs):
    _, remote, _, _ = demo_runs
    from ringlens.spark.pipeline import SparkResult

    assert isinstance(remote.report["spark"], dict)
    # the run result keeps the Spark accessors' inputs
    res = SparkResult(
        rings=remote.rings,
        entities=remote.entities,
        queue=remote.queue,
        membership=remote.membership,
        report=remote.report,
        spark=__import__("pyspark").sql.SparkSession.getActiveSession(),
    )
    q = res.queue_df()
    assert q.count() == remote.queue.height
    assert q.columns == remote.queue.columns


# ------------------------------------------------------------------ errors


def _local_error(fn, *args, **kw) -> str:
    with pytest.raises(InputError) as e:
        fn(*args, **kw)
    return str(e.value)


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


GOOD = "actor_id,actor_type,target_id,target_type,action,ts\n1,buyer,9,product,order,2024-05-01T10:00:00Z\n"


@pytest.mark.parametrize(
    "body",
    [
        GOOD + "2,buyer,,product,order,2024-05-01T11:00:00Z\n",  # empty id, row 2
        GOOD + "2,buyer,9,product,order,yesterday\n",  # unparseable ts
        "actor_id,actor_type,target_id,action,ts\n1,buyer,9,order,2024-05-01\n",  # no target_type
        "actor_id,actor_type,target_id,target_type,action,ts\n",  # header only
    ],
    ids=["empty-id", "bad-ts", "missing-column", "no-rows"],
)
def test_bad_csv_same_error_as_local(spark, tmp_path, body):
    from ringlens.io import load_events
    from ringlens.spark import read_events

    ok = _csv(tmp_path / "events-a.csv", GOOD)
    bad = _csv(tmp_path / "events-b.csv", body)
    expected = _local_error(load_events, tmp_path)
    assert str(bad) in expected and str(ok) not in expected
    with pytest.raises(InputError) as e:
        read_events(spark, tmp_path).count()
    assert str(e.value) == expected


def test_bad_parquet_value_and_mapping(spark, tmp_path):
    from ringlens.io import load_events
    from ringlens.spark import read_events

    ev = pl.read_parquet(DEMO / "events.parquet").head(500)
    p = tmp_path / "events.parquet"
    ev.with_columns(
        pl.when(pl.int_range(pl.len()) == 321)
        .then(None)
        .otherwise(pl.col("actor_id"))
        .alias("actor_id")
    ).write_parquet(p)
    expected = _local_error(load_events, p)
    assert "row 322" in expected
    with pytest.raises(SchemaError) as e:
        read_events(spark, p)
    assert str(e.value) == expected
    expected = _local_error(load_events, p, columns={"actor_id": "user"})
    with pytest.raises(SchemaError) as e:
        read_events(spark, p, columns={"actor_id": "user"})
    assert str(e.value) == expected


def test_bad_dataframe_names_column(spark):
    from ringlens.spark import read_events

    df = spark.createDataFrame(
        [
            ("1", "buyer", "9", "product", "order", "2024-05-01"),
            ("2", "buyer", "9", "product", "order", "soon"),
        ],
        "actor_id string, actor_type string, target_id string, target_type string, action string, ts string",
    )
    with pytest.raises(
        SchemaError, match=r"events \(Spark DataFrame\), column 'ts': cannot parse 'soon'"
    ):
        read_events(spark, df)
    ok = read_events(spark, df.limit(1)).collect()[0]
    assert ok["ts"].year == 2024 and ok["actor_id"] == "1"


# ------------------------------------------------------------------ graph in Spark


def test_connected_components_star(spark):
    import igraph as ig
    import numpy as np

    from ringlens.spark import connected_components, graphframes_available

    rng = np.random.default_rng(1)
    n = 300
    edges = [(int(a), int(b)) for a, b in rng.integers(0, n, size=(220, 2))] + [(5, 5)]
    df = spark.createDataFrame(edges, "a long, b long")
    nodes = spark.createDataFrame([(i,) for i in range(n)], "id long")
    got = {
        r["id"]: r["component"]
        for r in connected_components(df, nodes=nodes, method="star").collect()
    }
    g = ig.Graph(n=n, edges=[e for e in edges if e[0] != e[1]])
    for comp in g.connected_components():
        assert {got[v] for v in comp} == {min(comp)}
    from ringlens.exceptions import ConfigError

    # "auto" takes GraphFrames when its JAR is on the cluster, else large-star/small-star:
    # the same components either way; "graphframes" without the JAR is a clear error
    small = spark.createDataFrame([(1, 2), (2, 3), (7, 8), (9, 9)], "a long, b long")
    star = sorted(connected_components(small, method="star").collect())
    assert [tuple(r) for r in star] == [(1, 1), (2, 1), (3, 1), (7, 7), (8, 7)]
    assert sorted(connected_components(small, method="auto").collect()) == star
    if graphframes_available(spark):
        assert sorted(connected_components(small, method="graphframes").collect()) == star
    else:
        with pytest.raises(ConfigError, match="GraphFrames JAR"):
            connected_components(small, method="graphframes")


def test_edges_and_projections_match_local(spark, small_synth):
    from ringlens.graph import build_graph
    from ringlens.spark import aggregate_edges, project

    ev = small_synth.events
    g = build_graph(ev)
    sdf = spark.createDataFrame(ev.to_arrow())
    e_local = g.edges_frame().sort("src", "dst")
    e_spark = pl.from_arrow(aggregate_edges(sdf).toArrow()).sort("src", "dst")
    assert e_spark.select("src", "dst", "count", "actions").equals(
        e_local.select("src", "dst", "count", pl.col("actions").cast(pl.List(pl.String)))
    )
    assert (e_spark["amount_sum"] - e_local["amount_sum"]).abs().max() < 1e-6
    for kw in (
        {"actions": ["order"], "max_target_degree": 50},
        {"actions": ["order"], "window": timedelta(hours=3), "max_target_degree": 1000},
    ):
        local = g.project(**kw).to_frame()
        got = pl.from_arrow(project(sdf, **kw).toArrow())
        assert got.equals(local.with_columns(pl.col("weight").cast(pl.Int64))), kw


def test_a_policy_rule_that_never_matches_is_said_as_locally(spark, small_synth, tmp_path):
    """A rule keyed on a pattern the catalogue never gives: both engines say it once, in
    the report's notices, and queue the same."""
    import ringlens
    from ringlens.risk.policy import load_policy
    from ringlens.spark.pipeline import score_spark

    shipped = Path(ringlens.__file__).parent / "risk" / "default_policy.toml"
    policy = tmp_path / "policy.toml"
    policy.write_text(shipped.read_text().replace('"brushing"]', '"bruhsing"]', 1))
    pol = load_policy(policy)
    src = tmp_path / "events.parquet"
    small_synth.events.write_parquet(src)
    local = ringlens.score(small_synth.events, policy=pol)
    remote = score_spark(str(src), spark=spark, policy=pol)
    assert local.report["notices"] == remote.report["notices"]
    assert len(remote.report["notices"]) == 1 and "'bruhsing'" in remote.report["notices"][0]
    assert remote.queue.equals(local.queue)


def test_a_review_export_read_by_its_shape_is_the_same_ring_on_spark(spark, tmp_path):
    # a sampled review export with no vocabulary: the skus have a phone's shape but are
    # the platform's items (every other action would be device use), the users' phones
    # stay devices; both engines read them so and find the same ring
    from tests._background import own_phones, sampled_reviews

    from ringlens.pipeline import run
    from ringlens.spark.run import run_spark

    ev = sampled_reviews()
    phones = own_phones(ev)
    src = tmp_path / "in"
    src.mkdir()
    pl.concat([ev, phones]).write_parquet(src / "events.parquet")
    cfg = load_config(env={}, cwd=False)
    local = run(src, out_dir=tmp_path / "local", config=cfg)
    remote = run_spark(src, out_dir=tmp_path / "spark", config=cfg, spark=spark)
    assert local.report["coverage"]["types_by_shape"] == ["phone"]
    assert remote.report["coverage"] == local.report["coverage"]
    ring = {f"user:r{u}" for u in range(20)}
    assert set(local.rings.sort("risk_score", descending=True)["members"][0].to_list()) == ring
    assert remote.rings.equals(local.rings)
    _same_run_folder(tmp_path / "local", tmp_path / "spark")


def test_an_excel_export_without_types_reads_as_locally_on_spark(spark, tmp_path):
    # a ';' export with day-first Berlin times, decimal-comma amounts and no type or
    # action columns, beside a typed file of the users' phones whose header spells the
    # contract's names its own way: Spark reads it with the
    # same [input] settings (separator, format, zone, decimal comma, defaults per file)
    # and the run folder is byte-identical to the local one
    from tests._background import own_phones, sampled_reviews

    from ringlens.pipeline import run
    from ringlens.spark.run import run_spark

    ev = sampled_reviews()
    local_time = pl.col("ts").dt.convert_time_zone("Europe/Berlin").dt.strftime("%d/%m/%Y %H:%M")
    reviews = ev.select(
        "actor_id",
        "target_id",
        local_time.alias("ts"),
        pl.lit("12,5").alias("amount"),
    )
    # the phones' export spells the contract's names its own way (read by name)
    phones = own_phones(ev).select(
        pl.col("actor_id").alias("Actor_ID"),
        pl.col("actor_type").alias("Actor Type"),
        pl.col("target_id").alias("TARGET_ID"),
        pl.col("target_type").alias("targetType"),
        pl.col("action").alias("Action"),
        local_time.alias("TS"),
    )
    files = [tmp_path / "reviews.csv", tmp_path / "phones.csv"]
    reviews.write_csv(files[0], separator=";")
    phones.write_csv(files[1], separator=";")
    cfg = load_config(env={}, cwd=False).merged(
        {
            "input": {
                "separator": ";",
                "decimal_comma": True,
                "timestamp_format": "%d/%m/%Y %H:%M",
                "timezone": "Europe/Berlin",
                "defaults": {"actor_type": "user", "target_type": "sku", "action": "rate"},
            }
        },
        source="test",
    )
    local = run(files, out_dir=tmp_path / "local", config=cfg)
    remote = run_spark(files, out_dir=tmp_path / "spark", config=cfg, spark=spark)
    ring = {f"user:r{u}" for u in range(20)}
    assert set(local.rings.sort("risk_score", descending=True)["members"][0].to_list()) == ring
    assert local.report["coverage"]["types_by_shape"] == ["phone"]
    assert len(local.report["ingest"]["columns_by_name"]) == 6
    assert remote.report["coverage"] == local.report["coverage"]
    assert remote.report["input_profile"] == local.report["input_profile"]
    assert remote.rings.equals(local.rings)
    _same_run_folder(tmp_path / "local", tmp_path / "spark")
