"""The typed graph: node index, edge aggregation, biadjacency, projections, conversions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import networkx as nx
import numpy as np
import polars as pl
import pytest

from ringlens.exceptions import ConfigError, InputError
from ringlens.graph import build_graph
from ringlens.graph.roles import normalise_name

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def ev(rows: list[tuple[str, str, str, str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "actor_type": [r[0] for r in rows],
            "actor_id": [r[1] for r in rows],
            "target_type": [r[2] for r in rows],
            "target_id": [r[3] for r in rows],
            "action": [r[4] for r in rows],
            "ts": [T0 + timedelta(minutes=r[5]) for r in rows],
        }
    )


def test_typed_nodes_are_distinct_and_sorted() -> None:
    g = build_graph(
        ev(
            [
                ("creator", "42", "buyer", "42", "follow", 0),
                ("buyer", "42", "creator", "42", "like", 1),
            ]
        )
    )
    assert g.nodes["key"].to_list() == ["buyer:42", "creator:42"]
    assert g.nodes["node"].to_list() == [0, 1]


def test_node_index_follows_type_then_id_in_code_point_order() -> None:
    """Node ids are the rank of (type, id) compared as strings, type first: types that are
    prefixes of one another, non-ASCII, ids with ':' or upper case; in memory and streamed.
    Types are compared case-insensitively (``Buyer`` is ``buyer``), ids exactly."""
    rng = np.random.default_rng(5)
    types = ["buyer", "buyers", "Buyer", "buy", "buy-2", "produit-é", "prod", "x"]
    ids = ["1", "10", "2", "a:b", "A", "é", "ß", "z", ""]
    rows = [
        (
            types[rng.integers(len(types))],
            ids[rng.integers(len(ids))] + str(rng.integers(3)),
            types[rng.integers(len(types))],
            ids[rng.integers(len(ids))],
            "view",
            int(i),
        )
        for i in range(300)
    ]
    frame = ev(rows)
    expected = sorted(
        {(normalise_name(r[0]), r[1]) for r in rows} | {(normalise_name(r[2]), r[3]) for r in rows}
    )
    assert any(t == "Buyer" for t, *_ in rows) and ("buyer", "A0") in expected
    for g in (build_graph(frame), build_graph(frame.lazy(), streaming=True)):
        assert g.nodes.select("node_type", "node_id").rows() == expected
        assert g.nodes["node"].to_list() == list(range(len(expected)))


def test_node_index_is_independent_of_row_order(small_synth) -> None:
    a = build_graph(small_synth.events)
    b = build_graph(small_synth.events.sample(fraction=1.0, shuffle=True, seed=3))
    assert a.nodes.equals(b.nodes)
    assert a.edges.equals(b.edges)


def test_event_table_total_order_with_ties_is_independent_of_row_order() -> None:
    """Many events share actor, target and timestamp: the table must still come out in one
    order, the full (src, dst, ts, action, amount, market) sort, whatever the row order."""
    rng = np.random.default_rng(0)
    n = 5_000
    amount = pl.Series(rng.integers(0, 3, n).astype(float)).scatter(
        np.flatnonzero(rng.random(n) < 0.3), None
    )
    df = pl.DataFrame(
        {
            "actor_type": "buyer",
            "actor_id": rng.integers(0, 8, n).astype(str),
            "target_type": "product",
            "target_id": rng.integers(0, 8, n).astype(str),
            "action": rng.choice(["order", "review", "like"], n),
            "ts": [T0 + timedelta(seconds=int(s)) for s in rng.integers(0, 5, n)],
            "amount": amount,
            "market": [m or None for m in rng.choice(["US", "GB", ""], n).tolist()],
        }
    )
    g = build_graph(df)
    full = g.events.sort("src", "dst", "ts", "action", "amount", "market", nulls_last=True)
    assert g.events.equals(full)
    for seed in (1, 2):
        other = build_graph(df.sample(fraction=1.0, shuffle=True, seed=seed))
        assert other.events.equals(g.events) and other.edges.equals(g.edges)
        # in time order (as event logs usually arrive), ties shuffled: the stable-sort path
        timed = build_graph(df.sample(fraction=1.0, shuffle=True, seed=seed).sort("ts"))
        assert timed.events.equals(g.events) and timed.edges.equals(g.edges)


@pytest.mark.parametrize("column", ["actor_id", "target_type", "action", "ts"])
def test_null_in_a_required_column_is_a_clear_error(column) -> None:
    """A frame that skipped ringlens.io's validation: a null id must not become a node."""
    df = ev(
        [("buyer", "1", "product", "p", "order", 0), ("buyer", "2", "product", "p", "order", 1)]
    )
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col(column)).alias(column)
    )
    with pytest.raises(InputError, match=f"row 2, column '{column}': null value"):
        build_graph(df)


def test_node_ids_survive_hash_collisions(small_synth, monkeypatch, caplog) -> None:
    """Node ids are found through a 64-bit hash of (type, id); ids crafted to collide (here:
    a hash that only sees the id's length) must cost time, never merge two nodes."""
    from ringlens.graph import core

    want = build_graph(small_synth.events)
    monkeypatch.setattr(
        core,
        "_pair_hash",
        lambda frame, t, i: frame.select(pl.col(i).str.len_bytes().cast(pl.UInt64)).to_series(),
    )
    with caplog.at_level("INFO", logger="ringlens.graph.core"):
        got = build_graph(small_synth.events)
    assert "hash collision" in caplog.text
    assert got.nodes.equals(want.nodes)
    assert got.edges.equals(want.edges) and got.events.equals(want.events)


def test_adjacency_is_the_edge_table_as_csr(small_synth) -> None:
    g = build_graph(small_synth.events)
    m = g.adjacency()
    assert m.shape == (g.n_nodes, g.n_nodes) and m.nnz == g.n_edges
    coo = m.tocoo()
    got = sorted(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    want = sorted(g.edges.select("src", "dst", pl.col("count").cast(pl.Float64)).rows())
    assert got == want
    keys, pm = g.project(actions=["like"], max_target_degree=100).adjacency()
    assert pm.shape == (len(keys), len(keys)) and keys == sorted(keys)


def test_undirected_igraph_sums_the_two_directions() -> None:
    g = build_graph(
        ev(
            [
                ("creator", "a", "creator", "b", "follow", 0),
                ("creator", "b", "creator", "a", "follow", 1),
                ("creator", "b", "creator", "a", "like", 2),
                ("creator", "a", "creator", "a", "like", 3),
            ]
        )
    )
    u = g.to_igraph(directed=False)
    assert sorted(zip(u.get_edgelist(), u.es["weight"], strict=True)) == [
        ((0, 0), 1.0),
        ((0, 1), 3.0),
    ]
    assert g.to_igraph().ecount() == 3


def test_edge_aggregation() -> None:
    df = ev(
        [
            ("buyer", "1", "product", "p", "order", 0),
            ("buyer", "1", "product", "p", "order", 5),
            ("buyer", "1", "product", "p", "review", 9),
        ]
    ).with_columns(pl.Series("amount", [10.0, 5.0, None]))
    g = build_graph(df)
    row = g.edges.row(0, named=True)
    assert row["count"] == 3
    assert row["first_ts"] == T0 and row["last_ts"] == T0 + timedelta(minutes=9)
    assert row["actions"] == ["order", "review"]
    assert row["amount_sum"] == 15.0


def test_self_interaction_kept() -> None:
    g = build_graph(ev([("creator", "1", "creator", "1", "like", 0)]))
    assert g.n_nodes == 1 and g.edges.select("src", "dst").row(0) == (0, 0)


def test_projection_counts_shared_targets_and_caps_degree() -> None:
    rows = [("buyer", str(i), "product", "viral", "order", i) for i in range(10)]
    rows += [("buyer", "0", "product", "a", "order", 0), ("buyer", "1", "product", "a", "order", 0)]
    rows += [("buyer", "0", "product", "b", "order", 0), ("buyer", "1", "product", "b", "order", 0)]
    g = build_graph(ev(rows))
    p = g.project(max_target_degree=5)
    assert p.to_frame().rows() == [("buyer:0", "buyer:1", 2)]
    assert p.dropped_targets.rows() == [("product:viral", 10)]
    full = g.project(max_target_degree=0)
    assert full.edges.height == 45  # 10 choose 2
    assert (
        full.to_frame().filter(pl.col("a") == "buyer:0", pl.col("b") == "buyer:1")["weight"].item()
        == 3
    )


def test_windowed_projection_matches_brute_force(small_synth) -> None:
    g = build_graph(small_synth.events)
    w = timedelta(hours=2)
    p = g.project(actions=["order"], window=w, max_target_degree=50)
    # brute force: pairs of actors whose first order on a shared target is within w
    at = g.events.filter(pl.col("action") == "order").group_by("src", "dst").agg(pl.col("ts").min())
    keep = at.group_by("dst").len().filter(pl.col("len").is_between(2, 50)).select("dst")
    at = at.join(keep, on="dst")
    pairs = (
        at.join(at, on="dst", suffix="_r")
        .filter(pl.col("src") < pl.col("src_r"), (pl.col("ts") - pl.col("ts_r")).abs() <= w)
        .group_by(pl.col("src").alias("a"), pl.col("src_r").alias("b"))
        .agg(pl.len().cast(pl.Int64).alias("weight"))
        .sort("a", "b")
    )
    assert p.edges.height > 0
    assert p.edges.equals(pairs)


def test_biadjacency_shape_and_values(small_synth) -> None:
    g = build_graph(small_synth.events)
    b = g.biadjacency(actions=["order"])
    assert b.matrix.shape == (len(b.row_keys), len(b.col_keys))
    assert int(b.matrix.sum()) == small_synth.events.filter(pl.col("action") == "order").height
    assert all(k.startswith("product:") for k in b.col_keys)
    assert np.all(b.binary().data == 1)


def test_igraph_and_networkx_roundtrip(small_synth) -> None:
    g = build_graph(small_synth.events)
    ig = g.to_igraph()
    assert ig.vcount() == g.n_nodes and ig.ecount() == g.n_edges
    assert ig.vs["name"] == g.nodes["key"].to_list()
    nxg = g.to_networkx()
    assert nxg.number_of_nodes() == g.n_nodes and nxg.number_of_edges() == g.n_edges
    proj = g.project(actions=["like"], max_target_degree=100)
    pg = proj.to_igraph()
    assert pg.ecount() == proj.edges.height
    assert sorted(pg.strength(weights="weight")) == sorted(
        dict(proj.to_networkx().degree(weight="weight")).values()
    )
    assert isinstance(proj.to_networkx(), nx.Graph)
    back = proj.to_frame()
    assert back.columns == ["a", "b", "weight"] and back.height == proj.edges.height


def test_bad_parameters_and_keys(small_synth) -> None:
    g = build_graph(small_synth.events)
    with pytest.raises(ConfigError, match="max_target_degree must be >= 0"):
        g.project(max_target_degree=-1)
    with pytest.raises(ConfigError, match="window must be a positive duration"):
        g.project(window=timedelta(0))
    with pytest.raises(InputError, match="unknown node key 'buyer:nobody'"):
        g.node_ids(["buyer:nobody"])
    with pytest.raises(InputError, match="no rows"):
        build_graph(small_synth.events.clear())


def test_stats_on_demo(demo_dir) -> None:
    from ringlens.io import scan_events

    g = build_graph(scan_events(demo_dir / "events.parquet"))
    st = g.stats(top=3)
    assert st["events"] == 195_339
    assert st["nodes_by_type"]["nodes"].sum() == st["nodes"]
    assert st["top_degree"].height == 3


def test_streaming_build_equals_in_memory(demo_dir) -> None:
    from ringlens.io import load_events, scan_events

    a = build_graph(load_events(demo_dir))
    b = build_graph(scan_events(demo_dir), streaming=True)
    assert a.nodes.equals(b.nodes)
    assert a.edges.equals(b.edges)
    assert a.events.equals(b.events)


def test_family_rows_and_families_agree_with_a_plain_filter(small_synth) -> None:
    """Detectors select a family's events through the graph's family index: the rows must
    be exactly those a filter on the names selects, in the table's order, and the family
    counts those of a group-by."""
    g = build_graph(small_synth.events)
    ev = g.events.with_row_index("_row").join(
        g.nodes.select(pl.col("node").alias("src"), pl.col("node_type").alias("_st")), on="src"
    )
    ev = ev.join(
        g.nodes.select(pl.col("node").alias("dst"), pl.col("node_type").alias("_tt")), on="dst"
    )
    ev = ev.with_columns(
        pl.col("action").cast(pl.String), pl.col("ts").min().over("dst").alias("_t0")
    )
    cases = [
        ({"actions": ["order"]}, pl.col("action") == "order"),
        ({"actions": ["Like ", "comment"]}, pl.col("action").is_in(["like", "comment"])),
        (
            {"actor_types": ["buyer"], "target_types": ["content"]},
            (pl.col("_st") == "buyer") & (pl.col("_tt") == "content"),
        ),
        ({"actions": ["no-such-action"]}, pl.lit(False)),
    ]
    for selection, expr in cases:
        want = ev.filter(expr).sort("_row")["_row"].to_numpy()
        got = g.family_rows(**selection)
        assert got is not None and np.array_equal(got, want), selection
        assert bool(np.all(np.diff(got) > 0))
    assert g.family_rows() is None
    fams = ev.group_by(
        pl.col("_st").alias("actor_type"), "action", pl.col("_tt").alias("target_type")
    ).agg(
        pl.len().cast(pl.Int64).alias("events"),
        pl.col("src").n_unique().cast(pl.Int64).alias("actors"),
        pl.col("dst").n_unique().cast(pl.Int64).alias("targets"),
        pl.struct("src", "dst").n_unique().cast(pl.Int64).alias("pairs"),
        (pl.col("ts") == pl.col("_t0")).sum().cast(pl.Int64).alias("firsts"),
    )
    # the first event on each target counts for the actions that touch targets once
    # (summed over their families): posting content and listing products here
    per_action = fams.group_by("action").agg(pl.col("events", "targets", "actors").sum())
    once = per_action.filter(
        (pl.col("events") <= 1.2 * pl.col("targets")) & (pl.col("targets") >= pl.col("actors"))
    )["action"]
    assert sorted(once.to_list()) == ["list", "post"]
    fams = fams.with_columns(
        pl.when(pl.col("action").is_in(once.implode())).then(pl.col("firsts")).alias("firsts")
    )
    key = ["actor_type", "action", "target_type"]
    assert g.families().sort(key).equals(fams.sort(key))
    # every listing is its product's first event (the synthetic posts' times are drawn
    # apart from their content's engagement: first on about a third of it)
    made = g.families().filter(pl.col("firsts").is_not_null()).sort("action")
    assert made["firsts"].to_list()[0] == made["events"].to_list()[0]
    assert (made["firsts"] > 0.2 * made["events"]).all()


def test_family_index_follows_a_replaced_event_table_and_is_not_pickled(small_synth) -> None:
    import pickle

    g = build_graph(small_synth.events)
    before = g.family_rows(actions=["order"])
    assert before is not None and before.size > 0
    g.events = g.events.filter(pl.col("action") != "order")
    assert g.family_rows(actions=["order"]).size == 0  # rebuilt for the new table
    copy = pickle.loads(pickle.dumps(g))
    assert copy._index is None and copy.events.equals(g.events)
    assert copy.family_rows(actions=["order"]).size == 0


def test_a_remembered_result_is_for_the_same_key_and_events_only(small_synth) -> None:
    import pickle

    g = build_graph(small_synth.events)
    calls: list[str] = []

    def compute(tag: str) -> object:
        calls.append(tag)
        return object()

    first = g.remembered("a", lambda: compute("a"))
    assert g.remembered("a", lambda: compute("a")) is first and calls == ["a"]
    g.remembered("b", lambda: compute("b"))  # one entry: "a" is forgotten
    assert g.remembered("a", lambda: compute("a")) is not first and calls == ["a", "b", "a"]
    g.events = g.events.head(10)  # a replaced event table forgets it too
    g.remembered("a", lambda: compute("a"))
    assert calls == ["a", "b", "a", "a"]
    assert pickle.loads(pickle.dumps(g))._memo is None
