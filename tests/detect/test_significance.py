"""Significance of blocks and rings against a degree-preserving null; ring coreness and brokers."""

from __future__ import annotations

from datetime import datetime, timezone

import igraph as ig
import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from ringlens.detect.dense import family_pairs, fraudar, trim_block
from ringlens.detect.significance import (
    SIGNIFICANCE_CAP,
    BlockTest,
    _log10_tail,
    block_significance,
    member_contrast,
    ring_significance,
    ring_structure,
)
from ringlens.exceptions import ConfigError, InputError
from ringlens.graph import build_graph

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


# --------------------------------------------------------------------------------------
# backgrounds


def null_matrix(
    seed: int,
    n_rows: int = 20_000,
    n_cols: int = 2_000,
    *,
    communities: int = 0,
    in_share: float = 0.8,
) -> sp.csr_matrix:
    """A bipartite configuration-model graph: Pareto row activity, Zipf column popularity,
    stubs matched at random, repeated pairs erased. With ``communities``, rows and columns
    belong to communities and ``in_share`` of a row's stubs go to its own community's
    columns (organic structure that a degree-only null does not explain)."""
    rng = np.random.default_rng(seed)
    deg = np.minimum(rng.pareto(1.5, n_rows) + 1.0, n_cols // 4).astype(np.int64)
    rows = np.repeat(np.arange(n_rows), deg)
    pop = 1.0 / np.arange(1, n_cols + 1) ** 0.9
    pop = rng.permutation(pop / pop.sum())
    cols = rng.choice(n_cols, rows.size, p=pop)
    if communities:
        row_comm = rng.integers(0, communities, n_rows)
        col_comm = rng.integers(0, communities, n_cols)
        inside = rng.random(rows.size) < in_share
        by_comm = [np.flatnonzero(col_comm == c) for c in range(communities)]
        for c in range(communities):
            pick = inside & (row_comm[rows] == c)
            p = pop[by_comm[c]] / pop[by_comm[c]].sum()
            cols[pick] = by_comm[c][rng.choice(by_comm[c].size, int(pick.sum()), p=p)]
    mat = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_rows, n_cols))
    mat.data[:] = 1.0
    return mat


def plant(
    mat: sp.csr_matrix, n_rows: int, n_cols: int, density: float, seed: int, camouflage: int = 0
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """New rows forming a block on random existing columns (+ ``camouflage`` random edges
    per row on popular columns)."""
    rng = np.random.default_rng(seed)
    m, n = mat.shape
    cols = np.sort(rng.choice(n, n_cols, replace=False))
    ri, ci = np.nonzero(rng.random((n_rows, n_cols)) < density)
    r = [m + ri]
    c = [cols[ci]]
    if camouflage:
        colsum = np.asarray(mat.sum(axis=0)).ravel()
        r.append(np.repeat(m + np.arange(n_rows), camouflage))
        c.append(rng.choice(n, n_rows * camouflage, p=colsum / colsum.sum()))
    extra = sp.csr_matrix(
        (np.ones(sum(x.size for x in r)), (np.concatenate(r), np.concatenate(c))),
        shape=(m + n_rows, n),
    )
    out = (sp.vstack([mat, sp.csr_matrix((n_rows, n))]) + extra).tocsr()
    out.data[:] = 1.0
    return out, np.arange(m, m + n_rows), cols


def island(
    mat: sp.csr_matrix, n_rows: int, n_cols: int, density: float, seed: int, camouflage: int
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """New rows on new columns of their own (nobody else uses them: a karma farm's own
    threads), + ``camouflage`` random edges per row on popular columns."""
    rng = np.random.default_rng(seed)
    m, n = mat.shape
    ri, ci = np.nonzero(rng.random((n_rows, n_cols)) < density)
    colsum = np.asarray(mat.sum(axis=0)).ravel()
    r = np.concatenate([m + ri, np.repeat(m + np.arange(n_rows), camouflage)])
    c = np.concatenate([n + ci, rng.choice(n, n_rows * camouflage, p=colsum / colsum.sum())])
    new = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(m + n_rows, n + n_cols))
    grown = sp.bmat([[mat, sp.csr_matrix((m, n_cols))], [sp.csr_matrix((n_rows, n)), None]])
    out = (grown.tocsr() + new).tocsr()
    out.data[:] = 1.0
    return out, np.arange(m, m + n_rows), np.arange(n, n + n_cols)


def events_from(mat: sp.csr_matrix, action: str = "review") -> pl.DataFrame:
    coo = mat.tocoo()
    return pl.DataFrame(
        {
            "actor_id": coo.row.astype(str),
            "actor_type": "user",
            "target_id": coo.col.astype(str),
            "target_type": "product",
            "action": action,
            "ts": T0,
        }
    )


# --------------------------------------------------------------------------------------
# block_significance


def test_planted_block_is_significant_and_components_reported() -> None:
    mat, rows, cols = plant(null_matrix(0), 25, 6, 0.7, seed=1, camouflage=5)
    t = block_significance(mat, rows, cols)
    assert isinstance(t, BlockTest)
    sub = mat[rows][:, cols]
    assert t.edges == sub.nnz
    deg_r = np.diff(mat.indptr)[rows].sum()
    deg_c = np.bincount(mat.indices, minlength=mat.shape[1])[cols].sum()
    assert t.expected_edges == pytest.approx(deg_r * deg_c / mat.nnz)
    assert t.activity_share == pytest.approx(t.edges / deg_r)
    assert t.audience_share == pytest.approx(t.edges / deg_c)
    assert min(t.sig_null, t.sig_actors, t.sig_targets) == t.significance
    assert t.significance > 20
    assert t.p_value == pytest.approx(10.0**-t.significance)


def test_the_found_block_of_a_null_graph_is_not_significant() -> None:
    # the densest block FRAUDAR finds in a degree-only background, trimmed, is what a
    # naive tail on its own edges would flag; the selection-corrected test does not
    for seed in range(6):
        mat = null_matrix(seed)
        blk = trim_block(mat, fraudar(mat, min_rows=2, min_cols=2)[0])
        t = block_significance(mat, blk.rows, blk.cols)
        deg_r = np.diff(mat.indptr)[blk.rows].sum()
        naive = -_log10_tail(t.edges, deg_r, t.expected_edges / deg_r)  # its own edges only
        assert naive > 5  # a naive tail calls the selected block significant...
        assert t.significance == 0.0  # ...the corrected test does not


def test_community_core_fails_the_contrasts() -> None:
    # heavy rows of a community x its popular columns: far denser than degrees predict,
    # but no denser than the rest of the community: a contrast test fails
    mat = null_matrix(3, 10_000, 1_000, communities=10, in_share=0.9)
    blk = trim_block(mat, fraudar(mat, min_rows=2, min_cols=2)[0])
    t = block_significance(mat, blk.rows, blk.cols)
    assert t.sig_null > 10
    assert t.significance == 0.0
    assert min(t.sig_actors, t.sig_targets) == 0.0


def test_a_ring_that_is_most_of_a_closed_islands_audience_is_significant() -> None:
    # 40 accounts on three threads only they use; a detector proposed 28 of them. The
    # threads' other users are the 12 it missed, who come back as often: no reference
    # for how drawn an audience is, so the ring is tested against the configuration model
    mat, rows, cols = island(null_matrix(6), 40, 3, 0.8, seed=4, camouflage=15)
    graph = build_graph(events_from(mat))
    members = pl.DataFrame({"key": [f"user:{r}" for r in rows[:28]], "ring_id": "r"})
    targets = pl.DataFrame({"ring_id": "r", "key": [f"product:{c}" for c in cols]})
    ring = ring_significance(graph, members, targets).row(0, named=True)
    assert ring["sig_actors"] > 10
    assert ring["significance"] >= 2.0
    # its members, one at a time: those on all three threads are drawn to them beyond
    # chance (the contrast lets no member go for the threads' other users)
    each = member_contrast(graph, members, targets)
    on_all = each.filter(pl.col("hits") == 3)
    assert on_all.height >= 10
    assert on_all["significance"].min() >= 2.0
    # a third of the island is a minority of the threads' audience: the others are its
    # reference, and they are as drawn as it is
    third = members.head(12)
    assert ring_significance(graph, third, targets)["sig_actors"].item() == 0.0
    # a detector's block keeps the contrast (an organic closed group, drivers queued at
    # an airport zone, is most of its targets' audience too): the ring stage relaxes it
    # only for a group that a detector's own tests proposed
    assert block_significance(mat, rows[:28], cols).sig_actors == 0.0


def test_more_edges_more_significance() -> None:
    base = null_matrix(4)
    sig = []
    for density in (0.3, 0.5, 0.8):
        mat, rows, cols = plant(base, 30, 8, density, seed=2)
        sig.append(block_significance(mat, rows, cols).significance)
    assert sig[0] < sig[1] < sig[2]


def test_significance_is_capped_and_finite() -> None:
    mat, rows, cols = plant(null_matrix(5), 300, 40, 0.9, seed=3)
    t = block_significance(mat, rows, cols)
    assert t.significance == SIGNIFICANCE_CAP
    assert 0.0 < t.p_value < 1e-299


def test_empty_and_bad_blocks() -> None:
    mat = null_matrix(6, 2000, 300)
    assert block_significance(mat, [], [1, 2]).significance == 0.0
    assert block_significance(mat, [1, 2], []).significance == 0.0
    with pytest.raises(InputError, match="rows must be in"):
        block_significance(mat, [5, 2000], [1])
    with pytest.raises(InputError, match="cols must be in"):
        block_significance(mat, [5], [-1])
    with pytest.raises(InputError, match="2-D"):
        block_significance([[1, 0]], [0], [0])  # type: ignore[arg-type]
    bad = mat.copy()
    bad.data[0] = -1.0
    with pytest.raises(InputError, match=">= 0"):
        block_significance(bad, [0], [0])


def test_weights_do_not_matter() -> None:
    mat, rows, cols = plant(null_matrix(7, 5000, 500), 20, 6, 0.8, seed=4)
    heavy = mat.copy()
    heavy.data = np.random.default_rng(0).integers(1, 9, heavy.nnz).astype(float)
    assert block_significance(mat, rows, cols) == block_significance(heavy, rows, cols)


# --------------------------------------------------------------------------------------
# ring_significance


def ring_frames(
    g, rings: list[tuple[list[int], list[int]]], rows: np.ndarray, cols: np.ndarray
) -> tuple[pl.DataFrame, pl.DataFrame]:
    members = pl.DataFrame(
        {
            "key": [k for r, _ in rings for k in g.keys(rows[r])],
            "ring_id": [f"ring{i}" for i, (r, _) in enumerate(rings) for _ in r],
        }
    )
    targets = pl.DataFrame(
        {
            "ring_id": [f"ring{i}" for i, (_, c) in enumerate(rings) for _ in c],
            "key": [k for _, c in rings for k in g.keys(cols[c])],
        }
    )
    return members, targets


def test_ring_significance_equals_block_significance() -> None:
    # the vectorised Polars path and the matrix path compute the same statistics
    mat, prow, pcol = plant(null_matrix(8, 6000, 600), 30, 8, 0.6, seed=5, camouflage=4)
    g = build_graph(events_from(mat))
    rows, cols, fam = family_pairs(g)
    node_row = {int(v): i for i, v in enumerate(rows)}
    node_col = {int(v): i for i, v in enumerate(cols)}
    planted_r = [node_row[int(v)] for v in g.node_ids([f"user:{i}" for i in prow])]
    planted_c = [node_col[int(v)] for v in g.node_ids([f"product:{j}" for j in pcol])]
    rng = np.random.default_rng(0)
    rings = [(planted_r, planted_c)]
    for size in (5, 40, 200):  # random groups, some touching nothing of their targets
        rings.append(
            (
                rng.choice(rows.size, size, replace=False).tolist(),
                rng.choice(cols.size, 7, replace=False).tolist(),
            )
        )
    blk = trim_block(fam, fraudar(fam, min_rows=2, min_cols=2)[0])
    rings.append((blk.rows.tolist(), blk.cols.tolist()))
    members, targets = ring_frames(g, rings, rows, cols)
    res = ring_significance(g, members, targets)
    assert res.columns == [
        "ring_id",
        "n_members",
        "n_targets",
        "observed_edges",
        "shared_targets",
        "activity_share",
        "audience_share",
        "expected_edges",
        "significance",
        "sig_null",
        "sig_actors",
        "sig_targets",
    ]
    for i, (r, c) in enumerate(rings):
        t = block_significance(fam, r, c)
        row = res.row(i, named=True)
        assert row["ring_id"] == f"ring{i}"
        assert (row["n_members"], row["n_targets"]) == (len(r), len(c))
        assert row["observed_edges"] == t.edges
        sub = fam[r][:, c]
        hits = np.bincount(sub.indices, minlength=len(c))
        assert row["shared_targets"] == pytest.approx(
            (hits * (hits - 1)).sum() / (len(r) * (len(r) - 1))
        )
        assert row["expected_edges"] == pytest.approx(t.expected_edges)
        assert row["activity_share"] == pytest.approx(t.activity_share)
        assert row["audience_share"] == pytest.approx(t.audience_share)
        for name in ("significance", "sig_null", "sig_actors", "sig_targets"):
            assert row[name] == pytest.approx(getattr(t, name), abs=1e-9), (i, name)
    assert res["significance"][0] > 20
    assert res["significance"][1:4].to_list() == [0.0, 0.0, 0.0]


def test_ring_significance_filters_and_non_acting_members() -> None:
    mat, prow, pcol = plant(null_matrix(9, 4000, 400), 25, 6, 0.8, seed=6)
    ev = events_from(mat)
    other = events_from(mat[:50], action="like")  # the same pairs again, another action
    g = build_graph(pl.concat([ev, other]))
    members = pl.DataFrame(
        {"key": [f"user:{i}" for i in prow] + ["product:0"], "ring_id": 1}
    )  # a product as a member: it never acts, so it is not counted
    targets = pl.DataFrame({"ring_id": 1, "key": [f"product:{j}" for j in pcol]})
    all_ev = ring_significance(g, members, targets)
    reviews = ring_significance(g, members, targets, actions=["review"])
    assert all_ev["n_members"].item() == 25
    assert all_ev["observed_edges"].item() == reviews["observed_edges"].item()
    assert reviews["significance"].item() > 10
    none = ring_significance(g, members, targets, actions=["like"])
    assert none.row(0, named=True)["observed_edges"] == 0
    assert none["significance"].item() == 0.0


def test_ring_significance_errors() -> None:
    g = build_graph(events_from(null_matrix(10, 500, 50)))
    good = pl.DataFrame({"key": ["user:1"], "ring_id": ["a"]})
    tgt = pl.DataFrame({"ring_id": ["a"], "key": ["product:1"]})
    with pytest.raises(InputError, match=r"members: row 1: key 'user:nobody'"):
        ring_significance(
            g, pl.DataFrame({"key": ["user:1", "user:nobody"], "ring_id": ["a", "a"]}), tgt
        )
    with pytest.raises(InputError, match="'ring_id' is missing"):
        ring_significance(g, pl.DataFrame({"key": ["user:1"]}), tgt)
    with pytest.raises(InputError, match="same 'ring_id' type"):
        ring_significance(g, good, pl.DataFrame({"ring_id": [1], "key": ["product:1"]}))
    with pytest.raises(InputError, match="EventGraph"):
        ring_significance(g.biadjacency(), good, tgt)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="actions"):
        ring_significance(g, good, tgt, actions=[])


# --------------------------------------------------------------------------------------
# ring_structure


def two_rings() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rows = [(f"a{i}", p) for i in range(5) for p in ("p1", "p2", "p3", "p4")]
    rows += [("a5", "p1")]  # a loosely attached member
    rows += [(f"b{i}", q) for i in range(4) for q in ("q1", "q2", "q3")]
    rows += [("a4", "q1"), ("h1", "p1"), ("h1", "x"), ("h2", "x")]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id"], orient="row").with_columns(
        actor_type=pl.lit("user"),
        target_type=pl.lit("product"),
        action=pl.lit("review"),
        ts=pl.lit(T0),
    )
    members = pl.DataFrame(
        {
            "key": [f"user:a{i}" for i in range(6)] + [f"user:b{i}" for i in range(4)],
            "ring_id": ["A"] * 6 + ["B"] * 4,
        }
    )
    targets = pl.DataFrame(
        {
            "ring_id": ["A"] * 4 + ["B"] * 3,
            "key": [f"product:p{j}" for j in range(1, 5)] + [f"product:q{j}" for j in (1, 2, 3)],
        }
    )
    return ev, members, targets


def test_ring_structure_cores_and_brokers() -> None:
    ev, members, targets = two_rings()
    s = ring_structure(build_graph(ev), members, targets)
    assert s.to_frame().columns == ["ring_id", "key", "coreness", "core", "betweenness", "broker"]
    a = {r["key"]: r for r in s.members.filter(pl.col("ring_id") == "A").iter_rows(named=True)}
    assert [a[f"user:a{i}"]["coreness"] for i in range(6)] == [4, 4, 4, 4, 4, 1]
    assert not a["user:a5"]["core"] and a["user:a0"]["core"]
    assert [k for k, r in a.items() if r["broker"]] == ["user:a4"]
    # a4 links the rings: the largest betweenness of ring A
    assert max(a.values(), key=lambda r: r["betweenness"])["key"] == "user:a4"
    rings = s.rings.rows(named=True)
    assert rings[0] == {
        "ring_id": "A",
        "n_members": 6,
        "max_coreness": 4,
        "core_share": pytest.approx(5 / 6),
        "n_brokers": 1,
        "max_betweenness": pytest.approx(a["user:a4"]["betweenness"]),
    }
    assert rings[1]["n_brokers"] == 0 and rings[1]["max_coreness"] == 3


def test_ring_structure_betweenness_exact_and_sampled() -> None:
    ev, members, targets = two_rings()
    g = build_graph(ev)
    exact = ring_structure(g, members, targets, sample=None)
    # the graph of all rings: members and targets, with the pairs among them
    keys = sorted(set(members["key"]) | set(targets["key"]))
    pairs = ev.select(
        pl.concat_str([pl.lit("user:"), "actor_id"]).alias("a"),
        pl.concat_str([pl.lit("product:"), "target_id"]).alias("b"),
    ).filter(pl.col("a").is_in(keys) & pl.col("b").is_in(keys))
    h = ig.Graph()
    h.add_vertices(keys)
    h.add_edges(list(pairs.iter_rows()))
    n = h.vcount()
    norm = (n - 1) * (n - 2) / 2
    ref = dict(zip(keys, np.array(h.betweenness(directed=False)) / norm, strict=True))
    for row in exact.members.iter_rows(named=True):
        assert row["betweenness"] == pytest.approx(ref[row["key"]])
    a1 = ring_structure(g, members, targets, sample=5, seed=3)
    a2 = ring_structure(g, members, targets, sample=5, seed=3)
    assert a1.members.equals(a2.members)
    assert a1.params["sample"] == 5


def test_ring_structure_members_only_and_errors() -> None:
    ev, members, _ = two_rings()
    g = build_graph(ev)
    s = ring_structure(g, members)  # no targets: members never touch each other
    assert s.members["coreness"].to_list() == [0] * 10
    assert s.rings["n_brokers"].to_list() == [0, 0]
    with pytest.raises(ConfigError, match="sample"):
        ring_structure(g, members, sample=0)
    with pytest.raises(InputError, match="members: row 0"):
        ring_structure(g, pl.DataFrame({"key": ["user:zz"], "ring_id": ["A"]}))
