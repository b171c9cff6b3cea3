"""Inject a fraud block (with or without camouflage) into a real rows × cols graph.

Follows the injection protocol of FRAUDAR (Hooi et al., "FRAUDAR: Bounding Graph Fraud in
the Face of Camouflage", KDD 2016, Sec. 5): ``n_rows`` fraud accounts each connect to
the ``n_cols`` target columns with probability ``density``; with camouflage, every fraud
row also gets as many edges to *other* columns as it has fraud edges, chosen uniformly
(``"random"``) or with probability proportional to the column's degree (``"biased"``,
i.e. camouflage on popular targets). With ``hijacked=True`` the fraud rows are existing
accounts (their existing edges act as extra camouflage) instead of new ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from ringlens.exceptions import ConfigError, InputError

log = logging.getLogger(__name__)

__all__ = ["Injection", "inject_block"]

Camouflage = Literal["none", "random", "biased"]
Hijack = Literal["random", "busiest"]


@dataclass(frozen=True, eq=False)
class Injection:
    """The graph with the injected block, and the truth.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Original matrix (``hijacked``) or original plus ``n_rows`` new rows at the bottom,
        with the injected edges (weight 1; an existing edge keeps its larger weight).
    fraud_rows, fraud_cols : numpy.ndarray
        Sorted int64 indices of the fraud rows and the target columns.
    fraud_edges, camouflage_edges : int
        Number of injected fraud and camouflage edges.
    seed : int
    """

    matrix: sp.csr_matrix
    fraud_rows: np.ndarray
    fraud_cols: np.ndarray
    fraud_edges: int
    camouflage_edges: int
    seed: int


def _to_csr(matrix_or_edges: object) -> sp.csr_matrix:
    if sp.issparse(matrix_or_edges):
        csr = sp.csr_matrix(matrix_or_edges, dtype=np.float64, copy=True)
    elif isinstance(matrix_or_edges, tuple) and len(matrix_or_edges) in (2, 3):
        rows = np.asarray(matrix_or_edges[0], dtype=np.int64)
        cols = np.asarray(matrix_or_edges[1], dtype=np.int64)
        if rows.shape != cols.shape or rows.ndim != 1:
            raise InputError("edges must be two 1-D integer arrays of the same length")
        if rows.size and (rows.min() < 0 or cols.min() < 0):
            raise InputError("edge indices must be >= 0")
        shape = (
            matrix_or_edges[2]
            if len(matrix_or_edges) == 3
            else (int(rows.max(initial=-1)) + 1, int(cols.max(initial=-1)) + 1)
        )
        csr = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=shape)
        csr.data[:] = 1.0  # duplicates count once
    else:
        raise InputError(
            "matrix_or_edges must be a scipy.sparse matrix or a (rows, cols[, shape]) tuple "
            f"of index arrays; got {type(matrix_or_edges).__name__}"
        )
    csr.sum_duplicates()
    csr.eliminate_zeros()
    return csr


def _fraud_rows(
    rng: np.random.Generator,
    row_deg: np.ndarray,
    n: int,
    n_rows: int,
    *,
    hijacked: bool,
    hijack: Hijack,
) -> tuple[np.ndarray, tuple[int, int]]:
    """The fraud rows (hijacked rows with edges, or new rows under the ``m`` × ``n``
    matrix of row degrees ``row_deg``) and the shape of the matrix with them."""
    m = int(row_deg.size)
    if hijacked:
        active = np.flatnonzero(row_deg > 0)
        if n_rows > active.size:
            raise ConfigError(f"n_rows={n_rows} but only {active.size} rows have edges")
        if hijack == "random":
            fraud_rows = np.sort(rng.choice(active, n_rows, replace=False))
        else:
            order = np.lexsort((np.arange(m), -row_deg))
            fraud_rows = np.sort(order[:n_rows])
        return fraud_rows, (m, n)
    return np.arange(m, m + n_rows, dtype=np.int64), (m + n_rows, n)


def _camouflage(
    rng: np.random.Generator,
    mask: np.ndarray,
    fraud_rows: np.ndarray,
    fraud_cols: np.ndarray,
    col_deg: np.ndarray,
    *,
    biased: bool,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Camouflage: each fraud row also hits as many other columns as it has fraud edges,
    uniformly or (``biased``) in proportion to their degree; row and column parts."""
    others = np.setdiff1d(np.arange(col_deg.size), fraud_cols)
    if biased:
        p = col_deg[others]
        p = p / p.sum() if p.sum() > 0 else None
    else:
        p = None
    r_parts: list[np.ndarray] = []
    c_parts: list[np.ndarray] = []
    per_row = mask.sum(axis=1)
    for i, k in enumerate(per_row.tolist()):  # a loop over fraud rows, not edges
        k = min(k, others.size if p is None else int(np.count_nonzero(p)))
        if k == 0:
            continue
        picked = rng.choice(others, k, replace=False, p=p)
        r_parts.append(np.full(k, fraud_rows[i], dtype=np.int64))
        c_parts.append(picked)
    return r_parts, c_parts


def inject_block(
    matrix_or_edges: sp.spmatrix | sp.sparray | tuple,
    *,
    n_rows: int,
    n_cols: int,
    density: float,
    camouflage: Camouflage = "none",
    hijacked: bool = False,
    hijack: Hijack = "random",
    seed: int = 0,
) -> Injection:
    """Inject an ``n_rows`` × ``n_cols`` fraud block of the given density.

    Parameters
    ----------
    matrix_or_edges : scipy.sparse matrix or tuple
        The background graph, rows × cols; or ``(rows, cols)`` / ``(rows, cols, shape)``
        arrays of edge indices.
    n_rows, n_cols : int
        Fraud accounts and targeted columns (targets are drawn uniformly from the existing
        columns).
    density : float in (0, 1]
        Each (fraud row, target) pair becomes an edge with this probability.
    camouflage : {"none", "random", "biased"}
        Per fraud row, as many extra edges to non-target columns as it has fraud edges:
        uniform over those columns, or proportional to their degree in the background.
    hijacked : bool
        Use existing rows as the fraud accounts instead of adding new ones.
    hijack : {"random", "busiest"}
        With ``hijacked``: accounts drawn uniformly among rows that have at least one edge
        (as in the FRAUDAR paper), or the rows with the most edges (ties: lower index).
    seed : int
        Seed of the numpy generator; the same input and seed give the same injection.

    Returns
    -------
    Injection

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> bg = sp.random(100, 40, density=0.05, random_state=0, format="csr")
    >>> inj = inject_block(bg, n_rows=10, n_cols=5, density=1.0, camouflage="random", seed=1)
    >>> inj.matrix.shape, inj.fraud_rows.tolist()[:3], inj.fraud_cols.size
    ((110, 40), [100, 101, 102], 5)
    >>> inj.fraud_edges, inj.camouflage_edges
    (50, 50)
    """
    for name, value, minimum in (("n_rows", n_rows, 1), ("n_cols", n_cols, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ConfigError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if not isinstance(density, (int, float)) or not 0.0 < float(density) <= 1.0:
        raise ConfigError(f"density must be a number in (0, 1]; got {density!r}")
    if camouflage not in ("none", "random", "biased"):
        raise ConfigError(f"camouflage must be 'none', 'random' or 'biased'; got {camouflage!r}")
    if hijack not in ("random", "busiest"):
        raise ConfigError(f"hijack must be 'random' or 'busiest'; got {hijack!r}")
    csr = _to_csr(matrix_or_edges)
    m, n = csr.shape
    if n_cols > n:
        raise ConfigError(f"n_cols={n_cols} but the matrix has only {n} columns")
    rng = np.random.default_rng(seed)
    row_deg = np.diff(csr.indptr)
    col_deg = np.bincount(csr.indices, minlength=n).astype(np.float64)

    fraud_rows, shape = _fraud_rows(rng, row_deg, n, n_rows, hijacked=hijacked, hijack=hijack)
    fraud_cols = np.sort(rng.choice(n, n_cols, replace=False)).astype(np.int64)

    mask = rng.random((n_rows, n_cols)) < density
    fr, fc = np.nonzero(mask)
    r_parts = [fraud_rows[fr]]
    c_parts = [fraud_cols[fc]]
    n_camo = 0
    if camouflage != "none":
        camo_r, camo_c = _camouflage(
            rng, mask, fraud_rows, fraud_cols, col_deg, biased=camouflage == "biased"
        )
        r_parts += camo_r
        c_parts += camo_c
        n_camo = sum(int(x.size) for x in camo_r)
    r = np.concatenate(r_parts)
    c = np.concatenate(c_parts)
    injected = sp.csr_matrix((np.ones(r.size), (r, c)), shape=shape)
    injected.data[:] = 1.0
    base = csr if shape == (m, n) else sp.vstack([csr, sp.csr_matrix((n_rows, n))]).tocsr()
    out = base.maximum(injected).tocsr()
    out.sort_indices()
    log.debug(
        "injected %d fraud rows x %d cols: %d fraud + %d camouflage edges (seed %d)",
        n_rows,
        n_cols,
        int(fr.size),
        n_camo,
        seed,
    )
    return Injection(
        matrix=out,
        fraud_rows=fraud_rows.astype(np.int64),
        fraud_cols=fraud_cols,
        fraud_edges=int(fr.size),
        camouflage_edges=n_camo,
        seed=int(seed),
    )
