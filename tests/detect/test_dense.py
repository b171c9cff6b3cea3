"""FRAUDAR peeling: exact agreement with a plain-Python reference, planted blocks, errors."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringlens.detect.dense import (
    DenseBlock,
    DenseBlocks,
    column_weights,
    fraudar,
    peel_backend,
    trim_block,
)
from ringlens.exceptions import ConfigError, InputError

from ._fresh import fresh_closed_group

BACKENDS = ["python"] + (["c"] if peel_backend("auto") == "c" else [])


# --------------------------------------------------------------------------------------
# reference: recompute every priority from scratch at each step (O(V * E) per step)


def _reference_one(csr: sp.csr_matrix, weighting: str, min_rows: int, min_cols: int):
    m, n = csr.shape
    cw = column_weights(np.asarray(csr.sum(axis=0)).ravel(), weighting)
    coo = csr.tocoo()
    w = coo.data * cw[coo.col]
    total = float(w.sum())
    if total <= 0:
        return None
    scale = math.ldexp(1.0, 61 - math.frexp(total)[1])
    edges = [
        (int(i), int(j), round(float(x) * scale))
        for i, j, x in zip(coo.row, coo.col, w, strict=True)
    ]
    alive_r, alive_c = set(range(m)), set(range(n))

    def state():
        f = sum(q for i, j, q in edges if i in alive_r and j in alive_c)
        return f, len(alive_r), len(alive_c)

    best = None  # (g, f, rows, cols)
    while True:
        f, nr, nc = state()
        if nr >= min_rows and nc >= min_cols and nr + nc > 0:
            g = Fraction(f, nr + nc)
            if best is None or g > best[0]:
                best = (g, f, sorted(alive_r), sorted(alive_c))
        if not alive_r or not alive_c:
            break
        prio = {}
        for v in alive_r:
            prio[v] = sum(q for i, j, q in edges if i == v and j in alive_c)
        for v in alive_c:
            prio[m + v] = sum(q for i, j, q in edges if j == v and i in alive_r)
        v = min(prio, key=lambda u: (prio[u], u))  # rows (ids < m) win ties
        if v < m:
            alive_r.discard(v)
        else:
            alive_c.discard(v - m)
    if best is None:
        return None
    g, f, rows, cols = best
    return rows, cols, (f / scale) / (len(rows) + len(cols))


def reference_fraudar(matrix, *, n_blocks=1, column_weighting="log", min_rows=1, min_cols=1):
    cur = sp.csr_matrix(matrix, dtype=np.float64)
    cur.sum_duplicates()
    cur.eliminate_zeros()
    out = []
    for _ in range(n_blocks):
        if cur.nnz == 0:
            break
        res = _reference_one(cur, column_weighting, min_rows, min_cols)
        if res is None:
            break
        rows, cols, score = res
        out.append(res)
        dense = cur.toarray()
        dense[np.ix_(rows, cols)] = 0
        cur = sp.csr_matrix(dense)
        cur.sum_duplicates()
    return out


def assert_same(result: DenseBlocks, expected, matrix=None) -> None:
    assert len(result) == len(expected)
    for blk, (rows, cols, score) in zip(result, expected, strict=True):
        assert blk.rows.tolist() == rows
        assert blk.cols.tolist() == cols
        assert blk.score == pytest.approx(score, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------------------
# random matrices


@st.composite
def matrices(draw):
    m = draw(st.integers(1, 9))
    n = draw(st.integers(1, 9))
    kind = draw(st.sampled_from(["binary", "counts", "float", "dups"]))
    n_entries = draw(st.integers(0, m * n * (3 if kind == "dups" else 1)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "dups":  # many repeated coordinates, summed by scipy
        r = rng.integers(0, m, n_entries)
        c = rng.integers(0, max(1, n // 2), n_entries)
        data = np.ones(n_entries)
    else:
        flat = rng.choice(m * n, size=min(n_entries, m * n), replace=False)
        r, c = flat // n, flat % n
        if kind == "binary":
            data = np.ones(r.size)
        elif kind == "counts":
            data = rng.integers(1, 4, r.size).astype(float)
        else:
            data = rng.uniform(0.05, 3.0, r.size)
    return sp.coo_matrix((data, (r, c)), shape=(m, n))


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    matrix=matrices(),
    weighting=st.sampled_from(["log", "sqrt", "none"]),
    n_blocks=st.integers(1, 3),
    min_rows=st.integers(1, 3),
    min_cols=st.integers(1, 2),
)
def test_matches_reference(matrix, weighting, n_blocks, min_rows, min_cols, backend):
    got = fraudar(
        matrix,
        n_blocks=n_blocks,
        column_weighting=weighting,
        min_rows=min_rows,
        min_cols=min_cols,
        backend=backend,
    )
    want = reference_fraudar(
        matrix,
        n_blocks=n_blocks,
        column_weighting=weighting,
        min_rows=min_rows,
        min_cols=min_cols,
    )
    assert_same(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", range(6))
def test_matches_reference_medium_seeded(seed, backend):
    """Larger sparse matrices (ties everywhere with unit weights)."""
    rng = np.random.default_rng(seed)
    m, n = rng.integers(10, 25, 2)
    mat = sp.random(m, n, density=0.15, random_state=rng, format="csr")
    if seed % 2:
        mat.data[:] = 1.0
    weighting = ["log", "none", "sqrt"][seed % 3]
    got = fraudar(mat, n_blocks=2, column_weighting=weighting, backend=backend)
    assert_same(got, reference_fraudar(mat, n_blocks=2, column_weighting=weighting))


@pytest.mark.parametrize("backend", BACKENDS)
def test_backends_agree_on_larger_matrix(backend):
    rng = np.random.default_rng(7)
    m, n, e = 3000, 400, 20000
    rows = (rng.pareto(1.5, e) * 50).astype(int) % m
    cols = (rng.pareto(1.2, e) * 20).astype(int) % n
    mat = sp.csr_matrix((np.ones(e), (rows, cols)), shape=(m, n))
    a = fraudar(mat, n_blocks=2, backend=backend)
    b = fraudar(mat, n_blocks=2, backend="python")
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.rows, y.rows)
        assert np.array_equal(x.cols, y.cols)
        assert x.score == y.score


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_canonical_csr_input_is_not_modified(backend):
    """Unsorted indices, duplicates and explicit zeros; the caller's arrays stay intact."""
    indptr = np.array([0, 3, 5, 7])
    indices = np.array([2, 0, 2, 1, 0, 0, 2])
    data = np.array([1.0, 2.0, 1.0, 0.0, 3.0, 1.0, 2.0])
    mat = sp.csr_matrix((data.copy(), indices.copy(), indptr.copy()), shape=(3, 3))
    got = fraudar(mat, n_blocks=2, backend=backend)
    assert np.array_equal(mat.data, data) and np.array_equal(mat.indices, indices)
    assert_same(got, reference_fraudar(mat.copy(), n_blocks=2))


@pytest.mark.parametrize("seed", range(20))
def test_scale_from_column_sums_matches_entry_sum(seed):
    from ringlens.detect import dense

    rng = np.random.default_rng(seed)
    mat = sp.random(30, 12, density=0.3, random_state=rng, format="csr")
    if seed % 2:
        mat.data[:] = 1.0  # integer totals, often a power of two
    for weighting in ("log", "none"):
        colsum = np.asarray(mat.sum(axis=0)).ravel()
        cw = column_weights(colsum, weighting)
        want = dense._fixed_point(
            sp.csr_matrix((mat.data * cw[mat.indices], mat.indices, mat.indptr), shape=mat.shape)
        )[1]
        assert dense._scale_of(mat, cw, colsum) == want


def test_backend_names_and_fallback_log(monkeypatch, caplog):
    import logging

    from ringlens.detect import dense

    assert peel_backend("python") == peel_backend("numpy") == "python"
    monkeypatch.setattr(dense, "_c_state", {})
    monkeypatch.setattr(dense.importlib.util, "find_spec", lambda name: None)
    with caplog.at_level(logging.INFO, logger="ringlens.detect.dense"):
        assert peel_backend("auto") == "python"
    assert "C extension unavailable" in caplog.text
    with pytest.raises(ConfigError, match="C compiler"):
        peel_backend("c")
    mat = sp.csr_matrix(np.ones((3, 2)))
    assert fraudar(mat)[0].rows.tolist() == [0, 1, 2]


# --------------------------------------------------------------------------------------
# special shapes


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(0, 0), (4, 0), (0, 3), (5, 7)])
def test_empty_matrix_gives_no_blocks(shape, backend):
    res = fraudar(sp.csr_matrix(shape), n_blocks=3, backend=backend)
    assert len(res) == 0
    frame = res.to_frame()
    assert frame.height == 0
    assert frame.columns == ["block", "side", "index", "score"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_single_row(backend):
    mat = sp.csr_matrix(np.array([[1.0, 0.0, 2.0, 1.0]]))
    got = fraudar(mat, backend=backend)
    assert_same(got, reference_fraudar(mat))
    assert got[0].rows.tolist() == [0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_disconnected_components(backend):
    a = np.ones((3, 3))
    b = np.ones((2, 2))
    mat = sp.block_diag([a, b, np.ones((1, 1))], format="csr")
    got = fraudar(mat, n_blocks=3, column_weighting="none", backend=backend)
    assert_same(got, reference_fraudar(mat, n_blocks=3, column_weighting="none"))
    assert got[0].rows.tolist() == [0, 1, 2]
    assert got[1].rows.tolist() == [3, 4]


def test_dense_numpy_input_and_duplicates_summed():
    coo = sp.coo_matrix(([1.0, 1.0, 1.0], ([0, 0, 1], [0, 0, 1])), shape=(2, 2))
    a = fraudar(coo, column_weighting="none")
    b = fraudar(np.array([[2.0, 0.0], [0.0, 1.0]]), column_weighting="none")
    assert a[0].rows.tolist() == b[0].rows.tolist() == [0]
    assert a[0].score == b[0].score == 1.0


# --------------------------------------------------------------------------------------
# planted blocks


def _noise_with_blocks(seed, blocks, m=2000, n=300, noise_edges=6000):
    rng = np.random.default_rng(seed)
    r = [rng.integers(0, m, noise_edges)]
    c = [rng.integers(0, n, noise_edges)]
    truth = []
    for nr, nc, dens in blocks:
        rows = rng.choice(m, nr, replace=False)
        cols = rng.choice(n, nc, replace=False)
        mask = rng.random((nr, nc)) < dens
        rr, cc = np.nonzero(mask)
        r.append(rows[rr])
        c.append(cols[cc])
        truth.append((set(rows.tolist()), set(cols.tolist())))
    r, c = np.concatenate(r), np.concatenate(c)
    mat = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(m, n))
    mat.data[:] = 1.0
    return mat, truth


@pytest.mark.parametrize("backend", BACKENDS)
def test_planted_block_is_found(backend):
    mat, [(rows, cols)] = _noise_with_blocks(1, [(40, 15, 0.8)])
    blk = fraudar(mat, backend=backend)[0]
    found_r, found_c = set(blk.rows.tolist()), set(blk.cols.tolist())
    assert len(found_r & rows) / len(found_r | rows) > 0.9
    assert len(found_c & cols) / len(found_c | cols) > 0.9


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_planted_blocks(backend):
    mat, truth = _noise_with_blocks(2, [(40, 15, 0.8), (25, 10, 0.9)])
    res = fraudar(mat, n_blocks=2, backend=backend)
    assert len(res) == 2
    for rows, cols in truth:  # each planted block is (nearly) one of the two found
        jac = [len(set(b.rows.tolist()) & rows) / len(set(b.rows.tolist()) | rows) for b in res]
        blk = res[int(np.argmax(jac))]
        assert max(jac) > 0.8
        assert len(set(blk.rows.tolist()) & rows) >= 0.85 * len(rows)
        assert cols <= set(blk.cols.tolist())
    assert {len(set(b.cols.tolist())) for b in res} != {0}


def test_trim_block_drops_popular_camouflage_column():
    mat, [(rows, cols)] = _noise_with_blocks(3, [(40, 15, 0.7)])
    mat = mat.tolil()
    popular = next(j for j in range(300) if j not in cols)
    for i in list(rows)[:12]:  # a popular column touched by some fraud rows
        mat[i, popular] = 1.0
    raw = DenseBlock(np.array(sorted(rows)), np.array(sorted(cols | {popular})), 0.0)
    trimmed = trim_block(mat.tocsr(), raw)
    assert set(trimmed.cols.tolist()) == cols
    assert set(trimmed.rows.tolist()) == rows
    assert 0.6 < trimmed.score <= 1.0


def test_to_frame_with_keys():
    res = DenseBlocks(
        [
            DenseBlock(np.array([1]), np.array([0, 2]), 2.5),
            DenseBlock(np.array([0]), np.array([1]), 1.0),
        ]
    )
    frame = res.to_frame(row_keys=["u:a", "u:b"], col_keys=pl.Series(["p:x", "p:y", "p:z"]))
    assert frame.columns == ["block", "side", "index", "key", "score"]
    assert frame["key"].to_list() == ["u:b", "p:x", "p:z", "u:a", "p:y"]
    assert frame["side"].to_list() == ["row", "col", "col", "row", "col"]
    assert frame["block"].to_list() == [0, 0, 0, 1, 1]
    assert frame.schema["index"] == pl.Int64
    only_rows = res.to_frame(row_keys=["u:a", "u:b"])
    assert only_rows["key"].to_list() == ["u:b", None, None, "u:a", None]
    with pytest.raises(ConfigError, match="row_keys"):
        res.to_frame(row_keys=["u:a"])


# --------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_blocks": 0}, "n_blocks"),
        ({"n_blocks": 1.5}, "n_blocks"),
        ({"n_blocks": True}, "n_blocks"),
        ({"column_weighting": "linear"}, "column_weighting"),
        ({"min_rows": 0}, "min_rows"),
        ({"min_cols": -1}, "min_cols"),
        ({"backend": "gpu"}, "backend"),
    ],
)
def test_bad_parameters_raise_config_error(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        fraudar(sp.csr_matrix(np.ones((2, 2))), **kwargs)


def test_bad_matrix_raises_input_error():
    with pytest.raises(InputError, match="negative"):
        fraudar(sp.csr_matrix(np.array([[1.0, -1.0]])))
    with pytest.raises(InputError, match="non-finite"):
        fraudar(sp.csr_matrix(np.array([[1.0, np.nan]])))
    with pytest.raises(InputError, match="2-D"):
        fraudar([[1, 2]])


def test_trim_block_bad_ratio():
    with pytest.raises(ConfigError, match="min_ratio"):
        trim_block(np.ones((2, 2)), DenseBlock(np.arange(2), np.arange(2), 1.0), min_ratio=0)


def test_trim_block_recovers_block_under_biased_camouflage():
    from ringlens.eval import inject_block, precision_recall_f1

    rng = np.random.default_rng(5)
    m, n, e = 6000, 150, 12000
    pop = 1.0 / np.arange(1, n + 1) ** 0.9
    cols = rng.choice(n, e, p=pop / pop.sum())
    bg = sp.csr_matrix((np.ones(e), (rng.integers(0, m, e), cols)), shape=(m, n))
    bg.data[:] = 1.0
    inj = inject_block(bg, n_rows=80, n_cols=15, density=0.6, camouflage="biased", seed=1)
    raw = fraudar(inj.matrix)[0]
    trimmed = trim_block(inj.matrix, raw)
    raw_cols = precision_recall_f1(raw.cols.tolist(), inj.fraud_cols.tolist()).f1
    assert precision_recall_f1(trimmed.rows.tolist(), inj.fraud_rows.tolist()).f1 >= 0.95
    assert precision_recall_f1(trimmed.cols.tolist(), inj.fraud_cols.tolist()).f1 >= 0.9
    assert raw_cols < 0.8  # the raw block pulled in popular columns
    kept = trim_block(inj.matrix, raw, expand=False)
    assert set(kept.rows.tolist()) <= set(raw.rows.tolist())


# --------------------------------------------------------------------------------------
# dense_blocks: several significant blocks per family of events

T0 = __import__("datetime").datetime(2024, 1, 1, tzinfo=__import__("datetime").timezone.utc)


def _null(seed: int, n_rows: int = 20_000, n_cols: int = 2_000) -> sp.csr_matrix:
    """Configuration-model background: Pareto row activity, Zipf column popularity."""
    rng = np.random.default_rng(seed)
    deg = np.minimum(rng.pareto(1.5, n_rows) + 1.0, n_cols // 4).astype(np.int64)
    rows = np.repeat(np.arange(n_rows), deg)
    pop = rng.permutation(1.0 / np.arange(1, n_cols + 1) ** 0.9)
    cols = rng.choice(n_cols, rows.size, p=pop / pop.sum())
    mat = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_rows, n_cols))
    mat.data[:] = 1.0
    return mat


def _events(mat: sp.csr_matrix, *, action: str = "review", prefix: str = "") -> pl.DataFrame:
    coo = mat.tocoo()
    return pl.DataFrame(
        {
            "actor_id": np.char.add(prefix, coo.row.astype(str)),
            "actor_type": "user",
            "target_id": coo.col.astype(str),
            "target_type": "product",
            "action": action,
            "ts": T0,
        }
    )


def _with_blocks(mat, blocks, seed=0):
    """Append new rows forming blocks (n_rows, n_cols, density, camouflage per row)."""
    from ringlens.eval import inject_block

    truth = []
    for i, (r, c, d, camo) in enumerate(blocks):
        inj = inject_block(mat, n_rows=r, n_cols=c, density=d, camouflage=camo, seed=seed + i)
        mat = inj.matrix
        truth.append((inj.fraud_rows, inj.fraud_cols))
    return mat, truth


def _keys(prefix: str, idx) -> set[str]:
    return {f"{prefix}:{i}" for i in np.asarray(idx).tolist()}


def test_dense_blocks_finds_planted_blocks_in_order():
    from ringlens.detect import DenseBlockGroups, dense_blocks
    from ringlens.graph import build_graph

    mat, truth = _with_blocks(_null(1), [(120, 20, 0.6, "biased"), (100, 12, 0.7, "none")])
    res = dense_blocks(build_graph(_events(mat)), actions=["review"])
    assert isinstance(res, DenseBlockGroups)
    assert res.groups.columns == [
        "group",
        "n_actors",
        "n_targets",
        "edges",
        "expected_edges",
        "density",
        "shared_targets",
        "activity_share",
        "audience_share",
        "score",
        "p_value",
        "significance",
    ]
    assert res.to_frame().columns == ["group", "key", "role", "hits"]
    assert len(res) == 2
    for g, (rows, cols) in enumerate(truth):
        got, want = set(res.actors(g)), _keys("user", rows)
        assert len(got & want) >= 0.95 * len(want) and len(got - want) <= 0.05 * len(want)
        assert set(res.targets(g)) == _keys("product", cols)
    assert res.groups["significance"].min() >= 2.0
    assert (res.groups["p_value"] <= 0.01).all()
    # the first block found is the densest in FRAUDAR's sense
    assert res.groups["score"][0] >= res.groups["score"][1]
    # hits: an actor's pairs inside its block
    first = res.members.filter((pl.col("group") == 0) & (pl.col("role") == "actor"))
    assert first["hits"].sum() == res.groups["edges"][0]
    tested = res.tested
    assert tested["reported"].sum() == 2
    assert tested.filter(pl.col("reported"))["group"].to_list() == [0, 1]
    # stopped at the first peel that reported nothing (patience 1)
    assert tested["reported"].to_list() == [True, True, False]
    more = dense_blocks(build_graph(_events(mat)), actions=["review"], patience=3)
    assert more.groups.equals(res.groups)
    assert more.tested["peel"].max() == 4  # three peels in a row reported nothing


def test_dense_blocks_nothing_on_null_backgrounds():
    # degree-only backgrounds with heavy users: the selection-corrected test reports no
    # block (the theory bounds the chance of any at alpha = 1 % per family)
    from ringlens.detect import dense_blocks
    from ringlens.graph import Biadjacency

    for seed in range(8):
        mat = _null(100 + seed, 30_000, 3_000)
        bi = Biadjacency(
            matrix=mat,
            row_nodes=np.arange(mat.shape[0]),
            col_nodes=np.arange(mat.shape[1]),
            row_keys=[f"user:{i}" for i in range(mat.shape[0])],
            col_keys=[f"product:{j}" for j in range(mat.shape[1])],
        )
        res = dense_blocks(bi)
        assert len(res) == 0, seed
        assert res.tested.height == 1 and not res.tested["reported"].any()


def test_dense_blocks_family_filters():
    from ringlens.detect import dense_blocks
    from ringlens.graph import build_graph

    mat, truth = _with_blocks(_null(2, 8000, 800), [(80, 12, 0.7, "none")])
    reviews = _events(mat)
    likes = _events(_null(3, 8000, 800), action="like")
    sellers = _events(mat, prefix="s").with_columns(actor_type=pl.lit("seller"))
    g = build_graph(pl.concat([reviews, likes, sellers]))
    on_reviews = dense_blocks(g, actions=["review"], actor_types=["user"])
    assert len(on_reviews) == 1
    assert len(set(on_reviews.actors(0)) & _keys("user", truth[0][0])) >= 0.9 * 80
    assert len(dense_blocks(g, actions=["like"])) == 0
    assert dense_blocks(g, actions=["nothing"]).groups.height == 0
    sellers_only = dense_blocks(g, actor_types=["seller"])
    assert all(k.startswith("seller:") for k in sellers_only.actors(0))
    # a union of actions (reviews and likes of users) still holds the block
    both = dense_blocks(g, actions=["review", "like"], actor_types=["user"], patience=2)
    assert len(both) == 1 and set(both.actors(0)) == set(on_reviews.actors(0))


def test_dense_blocks_biadjacency_same_as_graph_and_deterministic():
    from ringlens.detect import dense_blocks
    from ringlens.graph import build_graph

    mat, _ = _with_blocks(_null(4, 8000, 800), [(50, 8, 0.8, "random")])
    ev = _events(mat)
    g = build_graph(ev)
    a = dense_blocks(g)
    b = dense_blocks(g.biadjacency())
    c = dense_blocks(build_graph(ev.sample(fraction=1.0, shuffle=True, seed=1)))
    for x in (b, c):
        assert a.groups.equals(x.groups)
        assert a.members.equals(x.members)
        assert a.tested.equals(x.tested)


def test_dense_blocks_max_blocks_trim_and_params():
    from ringlens.detect import dense_blocks
    from ringlens.graph import build_graph

    # three blocks on disjoint products (FRAUDAR peels blocks that share a target as one)
    base = _null(5, 8000, 800)
    rng = np.random.default_rng(0)
    targets = rng.permutation(800)
    parts = [base]
    for i, (r, c) in enumerate([(80, 12), (70, 11), (60, 10)]):
        ri, ci = np.nonzero(rng.random((r, c)) < 0.8)
        cols = targets[30 * i : 30 * i + c]
        parts.append(sp.csr_matrix((np.ones(ri.size), (ri, cols[ci])), shape=(r, 800)))
    mat = sp.vstack(parts).tocsr()
    g = build_graph(_events(mat))
    three = dense_blocks(g)
    assert three.groups["n_targets"].to_list() == [12, 11, 10]
    one = dense_blocks(g, max_blocks=1)
    assert len(one) == 1 and one.tested.height == 1
    # without column weighting the densest block is made of heavy users on popular
    # products, which the test rejects; patience=1 stops right there
    raw = dense_blocks(g, trim=False, column_weighting="none", patience=1)
    assert len(raw) == 0 and raw.tested["peel"].to_list() == [0]
    assert raw.params["trim"] is False and raw.params["n_pairs"] == mat.nnz
    assert raw.params["n_actors"] == mat.shape[0]


def test_dense_blocks_bad_parameters():
    from ringlens.detect import dense_blocks
    from ringlens.graph import build_graph

    g = build_graph(_events(_null(6, 300, 40)))
    for kw, msg in [
        ({"alpha": 0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"max_blocks": 0}, "max_blocks"),
        ({"patience": 0}, "patience"),
        ({"trim": "yes"}, "trim"),
        ({"column_weighting": "exp"}, "column_weighting"),
        ({"actions": []}, "actions"),
        ({"backend": "gpu"}, "backend"),
        ({"new_accounts": ["user:1"], "new_rate": 1.5}, "new_rate"),
    ]:
        with pytest.raises(ConfigError, match=msg):
            dense_blocks(g, **kw)
    with pytest.raises(ConfigError, match="already one family"):
        dense_blocks(g.biadjacency(), actions=["review"])
    with pytest.raises(InputError, match="EventGraph or a Biadjacency"):
        dense_blocks(sp.csr_matrix((2, 2)))


def test_a_closed_group_of_fresh_accounts_is_a_block_though_the_target_contrast_fails():
    """Fifteen accounts on the same two products: the configuration model and the actor
    contrast find them, the target contrast cannot (choosing fifteen accounts among ten
    thousand costs more decimal orders than two targets give), so as old accounts they are
    no block. New beyond the platform's rate (one account in ten is new) they are one,
    on the other two tests; with two new accounts among them they are not."""
    from ringlens.detect import dense_blocks

    bi, ring, organic_new = fresh_closed_group()
    plain = dense_blocks(bi)
    assert len(plain) == 0
    t = plain.tested.row(0, named=True)
    assert t["n_targets"] == 2 and t["sig_null"] >= 2 and t["sig_actors"] >= 2
    assert t["sig_targets"] < 2

    fresh = dense_blocks(bi, new_accounts=ring + organic_new, new_rate=0.1)
    assert len(fresh) == 1
    assert set(ring) <= set(fresh.actors(0))
    assert fresh.groups["significance"][0] == pytest.approx(min(t["sig_null"], t["sig_actors"]))
    assert fresh.params["new_accounts"] == 1_015 and fresh.params["new_rate"] == 0.1

    few = dense_blocks(bi, new_accounts=ring[:2] + organic_new, new_rate=0.1)
    assert len(few) == 0
    # without the platform's rate newness says nothing
    assert len(dense_blocks(bi, new_accounts=ring)) == 0


def test_family_pairs_matches_biadjacency():
    from ringlens.detect.dense import family_pairs
    from ringlens.graph import EventGraph, build_graph

    rng = np.random.default_rng(0)
    n = 3000
    ev = pl.DataFrame(
        {
            "actor_id": rng.integers(0, 200, n).astype(str),
            "actor_type": rng.choice(["user", "seller"], n),
            "target_id": rng.integers(0, 60, n).astype(str),
            "target_type": rng.choice(["product", "content"], n),
            "action": rng.choice(["review", "like", "order"], n),
            "ts": T0,
        }
    )
    g = build_graph(ev)
    shuffled = EventGraph(
        nodes=g.nodes, edges=g.edges, events=g.events.sample(fraction=1.0, shuffle=True, seed=2)
    )
    for kw in [
        {},
        {"actions": ["review"]},
        {"actions": ["like", "order"], "actor_types": ["user"]},
        {"target_types": ["content"]},
        {"actions": ["none"]},
    ]:
        want = g.biadjacency(**kw)
        for graph in (g, shuffled):
            rows, cols, mat = family_pairs(graph, **kw)
            assert np.array_equal(rows, want.row_nodes) and np.array_equal(cols, want.col_nodes)
            assert np.array_equal(mat.toarray(), want.binary().toarray())
            assert mat.has_canonical_format


def test_drop_block_matches_dense():
    from ringlens.detect.dense import _drop_block

    rng = np.random.default_rng(0)
    for i in range(100):
        a = sp.random(40, 30, density=rng.uniform(0, 0.4), random_state=i, format="csr")
        r = np.sort(rng.choice(40, rng.integers(0, 12), replace=False))
        c = np.sort(rng.choice(30, rng.integers(0, 12), replace=False))
        out = _drop_block(a, r, c)
        ref = a.toarray()
        ref[np.ix_(r, c)] = 0
        assert np.array_equal(out.toarray(), ref)
        out.check_format(full_check=True)


def test_dense_blocks_requires_actors_to_act_together():
    # 2,000 accounts that each hit 8 of the same 300 products: far denser than the degrees
    # explain, but two of them share 0.2 product on average: a community, not a ring
    from ringlens.detect import dense_blocks
    from ringlens.graph import build_graph

    base = _null(7, 20_000, 2_000)
    rng = np.random.default_rng(1)
    cols = rng.choice(2_000, 300, replace=False)
    picks = np.argsort(rng.random((2_000, 300)), axis=1)[:, :8]
    ri = np.repeat(np.arange(2_000), 8)
    diffuse = sp.csr_matrix((np.ones(ri.size), (ri, cols[picks.ravel()])), shape=(2_000, 2_000))
    g = build_graph(_events(sp.vstack([base, diffuse]).tocsr()))
    # the block sits behind a denser organic one that fails the test: look two peels on
    strict = dense_blocks(g, patience=2)
    loose = dense_blocks(g, min_shared=0.0, patience=2)
    assert len(strict) == 0
    assert len(loose) == 1
    assert loose.groups["shared_targets"][0] < 0.3
    assert loose.groups["n_actors"][0] >= 2_000
    assert loose.groups["significance"][0] > 2
    failed = strict.tested.filter(pl.col("significance") > 2)
    assert failed["shared_targets"].to_list() == loose.groups["shared_targets"].to_list()


def test_family_names_are_compared_as_the_graph_stores_them():
    from ringlens.detect import dense_blocks
    from ringlens.detect.dense import family_pairs
    from ringlens.graph import build_graph

    mat, _ = _with_blocks(_null(8, 4000, 400), [(60, 10, 0.8, "none")])
    ev = _events(mat).with_columns(action=pl.lit("Review"), actor_type=pl.lit(" User"))
    g = build_graph(ev)
    a = family_pairs(g, actions=["review"], actor_types=["user"])[2]
    b = family_pairs(g, actions=[" REVIEW  "], actor_types=["User"])[2]
    assert a.nnz == b.nnz == mat.nnz
    assert len(dense_blocks(g, actions=["Review"], actor_types=["USER"])) == 1


def _closed_island(self_targets: bool) -> tuple[pl.DataFrame, set[str]]:
    """3,000 users endorsing popular users at random, and 40 ring accounts each endorsing
    8 of the ring's own 40 (targets ``user``) — or, with ``self_targets`` False, 8 of 40
    products only the ring uses (a closed island that is not the accounts themselves)."""
    rng = np.random.default_rng(5)
    n = 3000
    pop = 1.0 / np.arange(1, n + 1) ** 0.9
    deg = np.minimum(rng.pareto(1.5, n) + 1.0, 60).astype(np.int64)
    src = np.repeat(np.arange(n), deg)
    dst = rng.choice(n, src.size, p=pop / pop.sum())
    rows = [(f"u{a}", "user", f"u{b}") for a, b in zip(src, dst, strict=True) if a != b]
    ring = [f"r{i}" for i in range(40)]
    kind = "user" if self_targets else "product"
    for i, a in enumerate(ring):
        for j in rng.choice([k for k in range(40) if k != i], 8, replace=False):
            rows.append((a, kind, ring[j] if self_targets else f"p{j}"))
    ev = pl.DataFrame(rows, schema=["actor_id", "target_type", "target_id"], orient="row")
    ev = ev.with_columns(actor_type=pl.lit("user"), action=pl.lit("endorse"), ts=pl.lit(T0))
    return ev, {f"user:{a}" for a in ring}


def test_dense_blocks_a_closed_island_of_accounts_on_each_other_is_a_block():
    # forty accounts endorsing only each other: the search keeps most of them, and the
    # few it leaves out are the only "other users" of the block's targets and its
    # members' only other targets, drawn to them as much as the block is. Their contrasts
    # are then no reference: the block is tested against the configuration model's rates
    from ringlens.detect import dense_blocks
    from ringlens.graph import build_graph

    ev, ring = _closed_island(self_targets=True)
    res = dense_blocks(build_graph(ev), actions=["endorse"])
    assert len(res) >= 1
    got = set(res.actors(0))
    assert len(got & ring) >= 0.9 * len(ring) and got <= ring
    # the same island on products only it uses is a closed community's core (drivers
    # queued at one airport's zones): the contrasts stand, and it is no block
    ev, ring = _closed_island(self_targets=False)
    res = dense_blocks(build_graph(ev), actions=["endorse"])
    assert not any(set(res.actors(g)) & ring for g in range(len(res)))
