"""Ring injection: shapes, truth, camouflage amounts and bias, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from ringlens.eval.inject import inject_block
from ringlens.exceptions import ConfigError


def _background(seed=0, m=500, n=80, e=2000):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, m, e)
    cols = (rng.pareto(1.0, e) * 3).astype(int) % n  # skewed column popularity
    mat = sp.csr_matrix((np.ones(e), (rows, cols)), shape=(m, n))
    mat.data[:] = 1.0
    return mat


def test_new_rows_no_camouflage():
    bg = _background()
    inj = inject_block(bg, n_rows=20, n_cols=10, density=0.5, seed=3)
    assert inj.matrix.shape == (520, 80)
    assert inj.fraud_rows.tolist() == list(range(500, 520))
    assert inj.fraud_cols.size == 10
    assert inj.camouflage_edges == 0
    block = inj.matrix[inj.fraud_rows]
    assert block.nnz == inj.fraud_edges
    assert set(block.indices.tolist()) <= set(inj.fraud_cols.tolist())
    assert 60 < inj.fraud_edges < 140  # ~ 0.5 * 200
    # the background is untouched
    assert (inj.matrix[:500] != bg).nnz == 0


@pytest.mark.parametrize("kind", ["random", "biased"])
def test_camouflage_matches_fraud_edges(kind):
    bg = _background()
    inj = inject_block(bg, n_rows=30, n_cols=10, density=0.6, camouflage=kind, seed=1)
    block = inj.matrix[inj.fraud_rows]
    in_target = np.isin(block.indices, inj.fraud_cols)
    assert in_target.sum() == inj.fraud_edges
    assert (~in_target).sum() == inj.camouflage_edges == inj.fraud_edges
    # per row: as many camouflage edges as fraud edges
    per_row_fraud = np.add.reduceat(in_target, block.indptr[:-1])
    per_row_all = np.diff(block.indptr)
    assert np.array_equal(per_row_all, 2 * per_row_fraud)


def test_biased_camouflage_prefers_popular_columns():
    bg = _background(m=2000, e=8000)
    deg = np.bincount(bg.indices, minlength=80)
    mean_deg = {}
    for kind in ("random", "biased"):
        inj = inject_block(bg, n_rows=100, n_cols=10, density=0.5, camouflage=kind, seed=2)
        block = inj.matrix[inj.fraud_rows]
        camo = block.indices[~np.isin(block.indices, inj.fraud_cols)]
        mean_deg[kind] = deg[camo].mean()
    assert mean_deg["biased"] > 2 * mean_deg["random"]


@pytest.mark.parametrize("hijack", ["random", "busiest"])
def test_hijacked_rows_keep_their_edges(hijack):
    bg = _background()
    inj = inject_block(bg, n_rows=15, n_cols=8, density=1.0, hijacked=True, hijack=hijack, seed=4)
    assert inj.matrix.shape == bg.shape
    assert inj.fraud_rows.max() < 500
    assert np.all(np.diff(bg.indptr)[inj.fraud_rows] > 0)
    # old edges are still there, every target is now connected
    assert (bg.multiply(inj.matrix) != bg).nnz == 0
    assert inj.matrix[inj.fraud_rows][:, inj.fraud_cols].nnz == 15 * 8
    if hijack == "busiest":
        deg = np.diff(bg.indptr)
        assert deg[inj.fraud_rows].min() >= np.sort(deg)[-15]


def test_deterministic_and_seed_sensitive():
    bg = _background()
    a = inject_block(bg, n_rows=10, n_cols=5, density=0.7, camouflage="biased", seed=9)
    b = inject_block(bg, n_rows=10, n_cols=5, density=0.7, camouflage="biased", seed=9)
    c = inject_block(bg, n_rows=10, n_cols=5, density=0.7, camouflage="biased", seed=10)
    assert (a.matrix != b.matrix).nnz == 0
    assert np.array_equal(a.fraud_cols, b.fraud_cols)
    assert (a.matrix != c.matrix).nnz > 0


def test_edge_list_input():
    inj = inject_block(([0, 1, 2], [0, 1, 1]), n_rows=2, n_cols=2, density=1.0, seed=0)
    assert inj.matrix.shape == (5, 2)
    assert inj.fraud_edges == 4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_rows": 0}, "n_rows"),
        ({"n_cols": 100}, "n_cols"),
        ({"density": 0.0}, "density"),
        ({"density": 1.5}, "density"),
        ({"camouflage": "smart"}, "camouflage"),
        ({"hijack": "oldest", "hijacked": True}, "hijack"),
    ],
)
def test_bad_parameters(kwargs, match):
    params = {"n_rows": 5, "n_cols": 5, "density": 0.5} | kwargs
    with pytest.raises(ConfigError, match=match):
        inject_block(_background(), seed=0, **params)
