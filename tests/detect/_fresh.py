"""A closed group of accounts on two targets that only the target contrast fails (shared by
the dense-block and audience-block tests)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ringlens.graph import Biadjacency


def fresh_closed_group() -> tuple[Biadjacency, list[str], list[str]]:
    """10,000 accounts rating one of 1,000 products each; fifteen more rating the same two
    products (and two others each), which two organic accounts each also rate. Returns the
    matrix, the fifteen's keys and a tenth of the organic accounts' (the platform's new)."""
    rng = np.random.default_rng(2)
    rows = list(range(10_000))
    cols = rng.integers(0, 1_000, 10_000).tolist()
    for i in range(15):
        rows += [10_000 + i] * 4
        cols += [1_000, 1_001, *rng.choice(1_000, 2, replace=False).tolist()]
    for j in (1_000, 1_001):
        rows += rng.choice(10_000, 2, replace=False).tolist()
        cols += [j] * 2
    mat = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(10_015, 1_002))
    mat.sum_duplicates()
    mat.data[:] = 1.0
    keys = [f"user:u{a}" for a in range(10_000)] + [f"user:f{i}" for i in range(15)]
    bi = Biadjacency(
        matrix=mat,
        row_nodes=np.arange(mat.shape[0]),
        col_nodes=np.arange(mat.shape[1]),
        row_keys=keys,
        col_keys=[f"product:p{j}" for j in range(1_002)],
    )
    organic_new = [f"user:u{a}" for a in rng.choice(10_000, 1_000, replace=False)]
    return bi, keys[10_000:], organic_new
