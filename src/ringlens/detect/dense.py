"""Dense-block detection: FRAUDAR greedy peeling, camouflage-resistant.

FRAUDAR (Hooi, Song, Beutel, Shah, Shin, Faloutsos, "FRAUDAR: Bounding Graph Fraud in
the Face of Camouflage", KDD 2016) looks for a set of actors (rows) and targets
(columns) of a bipartite matrix whose *density*

    g(S) = f(S) / |S|,    f(S) = sum of the (column-weighted) edge weights inside S,

is high. It starts from the whole matrix and greedily removes, one node at a time, the
row or column whose removal lowers ``f`` least (its current weighted degree, its
*priority*); the prefix of this peeling with the best ``g`` is the block. Edges into a
column ``j`` are down-weighted by ``1 / log(d_j + 5)`` (``d_j`` = the column's weighted
degree in the matrix being peeled), so that edges into very popular targets — which
honest and camouflaging accounts alike create — count less. The greedy block has a
density within a factor 2 of the optimum, and camouflage (extra edges from fraud rows to
honest columns) cannot lower the score of a fraud block.

Several blocks per family (:func:`dense_blocks`)
------------------------------------------------

The family's events become a binary actor × target matrix (one entry per distinct pair).
Then, repeatedly:

1. :func:`fraudar` (log column weighting by default) peels the densest block of what is
   left, with at least 2 actors and 2 targets;
2. :func:`trim_block` refines it (drops popular camouflage targets and busy honest
   accounts, adds members the peeling missed);
3. each connected part of it (a peel can join two rings that share nothing) is tested
   with :func:`ringlens.detect.significance.block_significance`: against the bipartite
   configuration model and against two contrasts that tell a ring from the dense core of
   an organic community, each corrected for the search by a union bound over all blocks
   of its shape (a closed island of accounts acting on each other — most of its targets
   its own accounts, most of each other's audience and activity — against the
   configuration model's rates instead: the contrasts' references would be its own
   members the search left out; and, with ``new_accounts``, a block that only the target
   contrast fails when its accounts are fresh: below). A part is **reported** when its
   p-value is at most ``alpha`` and its actors act *together*: a pair of them shares, on
   average, at least ``min_shared`` of its targets (coordination as in CopyCatch, where every pair of a group shares targets;
   the heavy users at the core of an organic niche share 0.2–0.8, the planted rings of
   :mod:`ringlens.synth` 1.6–11, a 200 × 30 block at density 0.6 10.8);
4. the block's pairs are removed from the matrix that is peeled (a reported part's also
   from the matrix later parts are tested on), and the loop goes on.

It stops after ``max_blocks`` reported blocks, after ``patience`` peels in a row that
report nothing (by default the first: "until the next block is not significant"), or
when nothing is left. These two are budgets, not statistical settings: every reported
block is tested against the null of the whole matrix (minus the blocks already
reported), so on data from the null the chance of reporting any block is at most
``alpha`` whatever they are. ``patience`` > 1 looks behind a denser organic block that
fails the test, at the cost of one more peel each (on the three synthetic platforms at
1M events, 2 found 25 of 72 planted rings instead of 24, and 22 organic blocks instead of
14). A family in which no target has two actors, or no actor two targets, has no block
and is not peeled.

The target contrast and fresh accounts
--------------------------------------
The target contrast (:mod:`ringlens.detect.significance`, test 3) tells a closed
organic community, whose members' other targets are as much theirs as the block's, from
a ring; it pays for choosing the block's accounts among all the family's. A tall,
narrow block can never pay that: fifteen accounts on two products of a family of ten
thousand accounts cost about 48 decimal orders, and two targets give fewer. With
``new_accounts`` and ``new_rate`` (the run passes the accounts created less than
``NEW_ACCOUNT_DAYS`` before its first event and the platform's share of them), a block
that the configuration model and the actor contrast find and only the target contrast
fails is reported when its accounts are new beyond the platform's rate
(:func:`~ringlens.detect.significance.fresh_beyond_chance`: a lift of at least
``NEW_ACCOUNT_APART`` above the rate and a binomial tail at ``alpha``), with the
significance of the other two tests: a closed group of accounts made for it is no
organic community. The audience blocks (:func:`ringlens.detect.audience_blocks`) take
the same rule, and the ring stage asks the same of the rings that structure alone
proposes (:mod:`ringlens.rings.core`). Newness plays no part in the search (FRAUDAR and
the three tests see the matrix only), so it is tested once on each block that reaches
it; an organic crowd that is a closed block (a stadium's riders, a concert's buyers)
stays out unless its accounts are fresh.

Exactness and determinism
-------------------------
Edge weights are converted to **fixed point** (int64, ``round(w * 2**e)`` with the largest
power of two ``2**e`` that keeps the total below ``2**61``) before peeling, so priorities
are updated exactly: the result does not depend on summation order, and the same input
always gives the same blocks. The relative rounding error is below ``1e-15`` of the
matrix total, far below anything that changes a score. Ties between equal priorities are
broken by node index, rows before columns, as in the reference code; the densest prefix
is chosen with exact integer comparisons (the earliest of equal densities wins).

Speed
-----
Two interchangeable backends compute the same peeling and the same blocks:

* ``"c"`` (the default) — the C extension module ``ringlens.detect._peel``, compiled by
  ``pip install`` when a C compiler is present (an *optional* extension: installing
  succeeds without one) and called through :mod:`ctypes`. It does the fixed-point
  conversion, the CSC copy, the peeling and the choice of the densest prefix in one call,
  ``O(E + V)`` plus ``O(log V)`` per priority decrease: each side keeps the nodes
  whose priority never changed in a list radix-sorted once, and only the nodes whose
  priority dropped in an indexed 4-ary heap. 0.05–0.1 s for a million edges,
  0.8–1.2 s for ten million (2-core AMD EPYC; ``docs/benchmarks.md``).
* ``"python"`` — the fallback when the extension is not built: a heap with lazy deletion
  in pure Python over lists made from the CSR/CSC arrays (unchanged nodes again come from
  a presorted list). It loops in Python over the edges of every removed node, so it is
  some 25–50× slower than ``"c"``, though as fast as or up to 1.7× faster than a plain ``heapq``
  FRAUDAR; fine for tests and small graphs, not for batch jobs. ``"numpy"`` is accepted as
  an alias.

``backend="auto"`` (the default) uses the extension when it is importable and logs once,
at INFO, when it falls back to ``"python"``.
"""

from __future__ import annotations

import ctypes
import heapq
import importlib
import importlib.util
import logging
import math
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl
import scipy.sparse as sp

from ringlens.detect._common import TargetGroups, check_float, check_str_list
from ringlens.exceptions import ConfigError, InputError

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable, Sequence

    from ringlens.graph import Biadjacency, EventGraph

log = logging.getLogger(__name__)

__all__ = [
    "DenseBlock",
    "DenseBlocks",
    "DenseBlockGroups",
    "dense_blocks",
    "family_pairs",
    "fraudar",
    "column_weights",
    "trim_block",
    "peel_backend",
]

ColumnWeighting = Literal["log", "sqrt", "none"]
#: a reported block: rows, columns, FRAUDAR score, its BlockTest, shared targets
_Found = tuple[np.ndarray, np.ndarray, float, Any, float]
Backend = Literal["auto", "c", "python", "numpy"]
_WEIGHTINGS = ("log", "sqrt", "none")
_BACKENDS = ("auto", "c", "python", "numpy")
_INT32_MAX = np.iinfo(np.int32).max

# ---------------------------------------------------------------------------------------
# results


@dataclass(frozen=True, eq=False)
class DenseBlock:
    """One dense block: row and column indices (sorted ascending) and its density.

    Attributes
    ----------
    rows, cols : numpy.ndarray
        int64 indices into the rows (actors) and columns (targets) of the matrix.
    score : float
        The density ``g = f / (|rows| + |cols|)`` of the block, ``f`` being the sum of the
        column-weighted edge weights inside it (in the matrix the block was peeled from).
    """

    rows: np.ndarray
    cols: np.ndarray
    score: float

    @property
    def shape(self) -> tuple[int, int]:
        """``(number of rows, number of columns)``."""
        return (int(self.rows.size), int(self.cols.size))

    def __repr__(self) -> str:
        return f"DenseBlock(rows={self.rows.size}, cols={self.cols.size}, score={self.score:.6g})"


@dataclass(frozen=True, eq=False)
class DenseBlocks:
    """The blocks :func:`fraudar` found, strongest (first found) first.

    Attributes
    ----------
    blocks : list of DenseBlock
    column_weighting : str
        The column weighting the blocks were scored with.
    """

    blocks: list[DenseBlock] = field(default_factory=list)
    column_weighting: str = "log"

    def __len__(self) -> int:
        return len(self.blocks)

    def __iter__(self):  # noqa: ANN204 - simple delegation
        return iter(self.blocks)

    def __getitem__(self, i: int) -> DenseBlock:
        return self.blocks[i]

    def to_frame(
        self,
        row_keys: Sequence[str] | np.ndarray | pl.Series | None = None,
        col_keys: Sequence[str] | np.ndarray | pl.Series | None = None,
    ) -> pl.DataFrame:
        """One row per block member.

        Parameters
        ----------
        row_keys, col_keys : sequence of str, optional
            Node keys of the matrix rows and columns (e.g. ``Biadjacency.row_keys``). When
            either is given, a ``key`` column is added (null for a side without keys).

        Returns
        -------
        polars.DataFrame
            Columns ``block`` (Int64, 0 = first block), ``side`` (``"row"``/``"col"``),
            ``index`` (Int64), ``key`` (String, only when keys are given), ``score``
            (Float64, the block's density).

        Examples
        --------
        >>> import numpy as np
        >>> blocks = DenseBlocks([DenseBlock(np.array([0, 2]), np.array([1]), 0.5)])
        >>> blocks.to_frame(row_keys=["buyer:a", "buyer:b", "buyer:c"],
        ...                 col_keys=["product:x", "product:y"])["key"].to_list()
        ['buyer:a', 'buyer:c', 'product:y']
        """
        parts_block: list[np.ndarray] = []
        parts_side: list[np.ndarray] = []
        parts_index: list[np.ndarray] = []
        parts_score: list[np.ndarray] = []
        for b, blk in enumerate(self.blocks):
            for side, idx in (("row", blk.rows), ("col", blk.cols)):
                parts_block.append(np.full(idx.size, b, dtype=np.int64))
                parts_side.append(np.full(idx.size, side, dtype=object))
                parts_index.append(np.asarray(idx, dtype=np.int64))
                parts_score.append(np.full(idx.size, blk.score, dtype=np.float64))

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

        index = cat(parts_index, np.int64)
        sides = cat(parts_side, object)
        frame = pl.DataFrame(
            {
                "block": pl.Series(cat(parts_block, np.int64), dtype=pl.Int64),
                "side": pl.Series(sides.tolist(), dtype=pl.String),
                "index": pl.Series(index, dtype=pl.Int64),
            }
        )
        if row_keys is not None or col_keys is not None:
            keys: list[str | None] = [None] * index.size
            for name, side_name, lookup in (
                ("row_keys", "row", row_keys),
                ("col_keys", "col", col_keys),
            ):
                if lookup is None:
                    continue
                arr = np.asarray(
                    lookup.to_list() if isinstance(lookup, pl.Series) else lookup, dtype=object
                )
                pos = np.flatnonzero(sides == side_name)
                if pos.size and int(index[pos].max()) >= arr.size:
                    raise ConfigError(
                        f"{name} has {arr.size} entries but a block refers to {side_name} "
                        f"index {int(index[pos].max())}; pass the keys of the same matrix"
                    )
                for p, k in zip(pos.tolist(), arr[index[pos]].tolist(), strict=True):
                    keys[p] = str(k)
            frame = frame.with_columns(pl.Series("key", keys, dtype=pl.String))
        return frame.with_columns(pl.Series("score", cat(parts_score, np.float64)))


# ---------------------------------------------------------------------------------------
# parameters and preprocessing


def column_weights(col_degree: np.ndarray, column_weighting: str = "log") -> np.ndarray:
    """Per-column suspiciousness weights.

    ``"log"``: ``1 / log(d + 5)`` (FRAUDAR's default); ``"sqrt"``: ``1 / sqrt(d + 5)``;
    ``"none"``: 1.

    Examples
    --------
    >>> column_weights(np.array([0.0, 10.0]), "log").round(4)
    array([0.6213, 0.3693])
    >>> column_weights(np.array([4.0]), "sqrt")
    array([0.33333333])
    """
    _check_weighting(column_weighting)
    d = np.asarray(col_degree, dtype=np.float64)
    if column_weighting == "log":
        return 1.0 / np.log(d + 5.0)
    if column_weighting == "sqrt":
        return 1.0 / np.sqrt(d + 5.0)
    return np.ones_like(d)


def _check_weighting(column_weighting: object) -> None:
    if column_weighting not in _WEIGHTINGS:
        raise ConfigError(
            f"column_weighting must be one of {', '.join(map(repr, _WEIGHTINGS))}; "
            f"got {column_weighting!r}"
        )


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _as_csr(matrix: object, *, copy: bool = True) -> sp.csr_matrix:
    """Validated canonical float64 CSR (duplicates summed, no explicit zeros).

    With ``copy=False`` the arrays of a canonical float64 CSR input are shared, not copied;
    the caller must then not modify them.
    """
    if sp.issparse(matrix):
        csr = sp.csr_matrix(matrix, dtype=np.float64, copy=copy)
    elif isinstance(matrix, np.ndarray) and matrix.ndim == 2:
        csr = sp.csr_matrix(matrix.astype(np.float64))
    else:
        raise InputError(
            f"matrix must be a 2-D scipy.sparse matrix or numpy array; got {type(matrix).__name__}"
        )
    if not csr.has_canonical_format:
        if not copy:
            csr = csr.copy()
            copy = True
        csr.sum_duplicates()
    if csr.nnz:
        low, high = csr.data.min(), csr.data.max()
        if not (np.isfinite(low) and np.isfinite(high)):
            raise InputError(
                "matrix has non-finite entries (NaN or inf); edge weights must be finite"
            )
        if low < 0:
            raise InputError("matrix has negative entries; edge weights must be >= 0")
        if low == 0:
            if not copy:
                csr = csr.copy()
            csr.eliminate_zeros()
    return csr


def _scale_for(total: float) -> float:
    """The fixed-point scale: the power of two that brings ``total`` just below 2**61."""
    if total <= 0.0:
        return 1.0
    _, exp = math.frexp(total)  # total < 2**exp
    return math.ldexp(1.0, 61 - exp)


def _fixed_point(weighted: sp.csr_matrix) -> tuple[np.ndarray, float]:
    """int64 fixed-point copy of the weights and the scale used (a power of two)."""
    scale = _scale_for(float(weighted.data.sum()))
    return np.rint(weighted.data * scale).astype(np.int64), scale


# ---------------------------------------------------------------------------------------
# C extension

_c_lock = threading.Lock()
_c_state: dict[str, object] = {}


def _load_extension() -> Callable[..., int] | None:
    """``ringlens_fraudar`` from the built extension module, or None when it is not built."""
    with _c_lock:
        if "fn" in _c_state:
            return _c_state["fn"]  # type: ignore[return-value]
        fn = None
        try:
            spec = importlib.util.find_spec("ringlens.detect._peel")
            if spec is None or not spec.origin:
                raise ImportError("ringlens.detect._peel is not built")
            importlib.import_module("ringlens.detect._peel")  # checks that it loads
            lib = ctypes.CDLL(spec.origin)
            fn = lib.ringlens_fraudar
            i64p = np.ctypeslib.ndpointer(np.int64, ndim=1, flags="C_CONTIGUOUS")
            i32p = np.ctypeslib.ndpointer(np.int32, ndim=1, flags="C_CONTIGUOUS")
            f64p = np.ctypeslib.ndpointer(np.float64, ndim=1, flags="C_CONTIGUOUS")
            i64 = ctypes.c_int64
            fn.restype = i64
            f64 = ctypes.c_double
            fn.argtypes = [i64, i64, i64p, i32p, f64p, f64p, f64, i64, i64, i64p, i64p]
        except (ImportError, OSError, AttributeError) as exc:
            fn = None
            log.info(
                "FRAUDAR C extension unavailable (%s); using the pure-Python peeling, "
                "which is much slower (reinstall ringlens with a C compiler present)",
                exc,
            )
        _c_state["fn"] = fn
        return fn


def peel_backend(backend: str = "auto") -> str:
    """The backend :func:`fraudar` uses for ``backend`` (``"c"`` or ``"python"``).

    Examples
    --------
    >>> peel_backend("python")
    'python'
    >>> peel_backend("auto") in ("c", "python")
    True
    """
    if backend not in _BACKENDS:
        raise ConfigError(
            f"backend must be one of {', '.join(map(repr, _BACKENDS))}; got {backend!r}"
        )
    if backend in ("python", "numpy"):
        return "python"
    if _load_extension() is not None:
        return "c"
    if backend == "c":
        raise ConfigError(
            "backend='c' needs the C extension ringlens.detect._peel, which pip builds when "
            "a C compiler (gcc/cc) is present at install time; reinstall ringlens with one, "
            "or use backend='auto' or 'python'"
        )
    return "python"


# ---------------------------------------------------------------------------------------
# peeling: one block of a canonical CSR matrix


def _weighted_entries(csr: sp.csr_matrix, cw: np.ndarray) -> np.ndarray:
    """Column-weighted entries, CSR order."""
    wd = cw[csr.indices]
    wd *= csr.data
    return wd


def _scale_of(csr: sp.csr_matrix, cw: np.ndarray, colsum: np.ndarray) -> float:
    """:func:`_scale_for` of the weighted entries' total, without forming them when possible.

    The scale depends only on the binary exponent of the total. The total computed from the
    column sums differs from ``_weighted_entries(...).sum()`` by far less than ``tol``
    (relative; both sum non-negative terms), so unless it lies within ``tol`` of a power of
    two it has the same exponent, and the sum over all entries is skipped.
    """
    approx = float(np.dot(cw, colsum))
    tol = 1e-15 * (csr.nnz + cw.size + 16)
    if approx > 0.0 and tol < 1e-3:
        mant, _ = math.frexp(approx)  # in [0.5, 1)
        if 0.5 * (1.0 + tol) < mant < 1.0 - tol:
            return _scale_for(approx)
    return _scale_for(float(_weighted_entries(csr, cw).sum()))


def _block_c(
    fn: Callable[..., int],
    csr: sp.csr_matrix,
    cw: np.ndarray,
    colsum: np.ndarray,
    min_rows: int,
    min_cols: int,
) -> tuple[np.ndarray, int, int, float] | None:
    m, n = csr.shape
    scale = _scale_of(csr, cw, colsum)
    order = np.empty(m + n, dtype=np.int64)
    out = np.zeros(4, dtype=np.int64)
    rc = fn(
        m,
        n,
        np.ascontiguousarray(csr.indptr, dtype=np.int64),
        np.ascontiguousarray(csr.indices, dtype=np.int32),
        np.ascontiguousarray(csr.data, dtype=np.float64),
        np.ascontiguousarray(cw, dtype=np.float64),
        scale,
        min_rows,
        min_cols,
        order,
        out,
    )
    if rc == -1:
        raise MemoryError(f"FRAUDAR peeling of a {m} x {n} matrix with {csr.nnz} entries")
    if rc != 0:
        raise RuntimeError(f"FRAUDAR C extension failed (code {rc})")
    removals, best_k, best_f = int(out[0]), int(out[1]), int(out[2])
    if best_k < 0:
        return None
    return order[:removals], best_k, best_f, scale


@dataclass
class _Adjacency:
    m: int
    n: int
    rptr: np.ndarray  # int64, CSR row pointers
    rind: np.ndarray  # int64, column of each row edge
    rw: np.ndarray  # int64 fixed-point weights (CSR order)
    cptr: np.ndarray  # int64, CSC column pointers
    cind: np.ndarray  # int64, row of each column edge
    cw: np.ndarray  # int64 (CSC order)

    def initial_priorities(self) -> np.ndarray:
        """Weighted degrees (exact int64 sums): rows then cols."""
        prio = np.empty(self.m + self.n, dtype=np.int64)
        prio[: self.m] = _segment_sums(self.rw, self.rptr)
        prio[self.m :] = _segment_sums(self.cw, self.cptr)
        return prio


def _adjacency(csr: sp.csr_matrix, q: np.ndarray) -> _Adjacency:
    m, n = csr.shape
    rind = csr.indices.astype(np.int64)
    srt = np.argsort(rind, kind="stable")  # CSC order: by column, rows ascending
    rows = np.repeat(np.arange(m, dtype=np.int64), np.diff(csr.indptr))
    cptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rind, minlength=n), out=cptr[1:])
    return _Adjacency(
        m=m,
        n=n,
        rptr=csr.indptr.astype(np.int64),
        rind=rind,
        rw=q,
        cptr=cptr,
        cind=rows[srt],
        cw=q[srt],
    )


def _segment_sums(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    csum = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    return csum[ptr[1:]] - csum[ptr[:-1]]


def _peel_python(adj: _Adjacency) -> tuple[np.ndarray, np.ndarray]:
    """Removal order (rows 0..m-1, columns m..) and each node's priority when removed.

    Pure Python. Node ids are global (columns offset by ``m``). Per side, the nodes whose
    priority never changed come from a list sorted by (priority, id); nodes whose priority
    dropped are pushed on a heap (lazy deletion: an entry is valid while its node is alive
    and its key is the node's current priority).
    """
    m, n = adj.m, adj.n
    nnz = int(adj.rptr[-1])
    first_np = adj.initial_priorities()
    big = 1 << 63  # sentinel key, above every priority
    srt_r = np.argsort(first_np[:m], kind="stable").tolist() + [m + n]
    srt_c = (np.argsort(first_np[m:], kind="stable") + m).tolist() + [m + n]
    ptr = np.concatenate((adj.rptr, adj.cptr[1:] + nnz)).tolist()
    nbr = np.concatenate((adj.rind + m, adj.cind)).tolist()
    wts = np.concatenate((adj.rw, adj.cw)).tolist()
    first = first_np.tolist() + [big]
    prio = list(first)
    alive = [True] * (m + n + 1)  # the sentinel m + n stays alive and unchanged
    heap_r: list[tuple[int, int]] = []
    heap_c: list[tuple[int, int]] = []
    heappush, heappop = heapq.heappush, heapq.heappop
    hr = hc = 0
    nr, nc = m, n
    order: list[int] = []
    delta: list[int] = []
    while nr and nc:
        v = srt_r[hr]
        while not alive[v] or prio[v] != first[v]:
            hr += 1
            v = srt_r[hr]
        rk, rv = first[v], v
        while heap_r:
            k, v = heap_r[0]
            if alive[v] and prio[v] == k:
                if k < rk or (k == rk and v < rv):
                    rk, rv = k, v
                break
            heappop(heap_r)
        v = srt_c[hc]
        while not alive[v] or prio[v] != first[v]:
            hc += 1
            v = srt_c[hc]
        ck, cv = first[v], v
        while heap_c:
            k, v = heap_c[0]
            if alive[v] and prio[v] == k:
                if k < ck or (k == ck and v < cv):
                    ck, cv = k, v
                break
            heappop(heap_c)
        if rk <= ck:  # rows win ties
            v, k, heap = rv, rk, heap_c
            nr -= 1
        else:
            v, k, heap = cv, ck, heap_r
            nc -= 1
        alive[v] = False
        order.append(v)
        delta.append(k)
        for e in range(ptr[v], ptr[v + 1]):
            u = nbr[e]
            if alive[u]:
                p = prio[u] - wts[e]
                prio[u] = p
                heappush(heap, (p, u))
    return np.array(order, dtype=np.int64), np.array(delta, dtype=np.int64)


def _block_python(
    csr: sp.csr_matrix, cw: np.ndarray, min_rows: int, min_cols: int
) -> tuple[np.ndarray, int, int, float] | None:
    m, n = csr.shape
    wd = _weighted_entries(csr, cw)
    scale = _scale_for(float(wd.sum()))
    q = np.rint(wd * scale).astype(np.int64)
    order, delta = _peel_python(_adjacency(csr, q))
    best = _best_prefix(
        order, delta, m=m, n=n, f0=int(q.sum()), min_rows=min_rows, min_cols=min_cols
    )
    if best is None:
        return None
    return order, best[0], best[1], scale


def _best_prefix(
    order: np.ndarray,
    delta: np.ndarray,
    *,
    m: int,
    n: int,
    f0: int,
    min_rows: int,
    min_cols: int,
) -> tuple[int, int] | None:
    """(number of removals, f) of the densest prefix, or None if no prefix qualifies."""
    k = np.arange(order.size + 1)
    f = f0 - np.concatenate(([0], np.cumsum(delta, dtype=np.int64)))
    is_row = order < m
    rows_left = m - np.concatenate(([0], np.cumsum(is_row)))
    cols_left = n - np.concatenate(([0], np.cumsum(~is_row)))
    size = rows_left + cols_left
    valid = (rows_left >= min_rows) & (cols_left >= min_cols) & (size > 0)
    if not valid.any():
        return None
    g = np.where(valid, f / np.maximum(size, 1), -np.inf)
    gmax = g.max()
    # resolve near-ties exactly (Python ints), earliest prefix wins as in the reference
    cand = np.flatnonzero(valid & (g >= gmax - abs(gmax) * 1e-12))
    best = int(cand[0])
    for c in cand[1:].tolist():
        if int(f[c]) * int(size[best]) > int(f[best]) * int(size[c]):
            best = c
    return int(k[best]), int(f[best])


def fraudar(
    matrix: sp.spmatrix | sp.sparray | np.ndarray,
    *,
    n_blocks: int = 1,
    column_weighting: ColumnWeighting = "log",
    min_rows: int = 1,
    min_cols: int = 1,
    backend: Backend = "auto",
) -> DenseBlocks:
    """Find dense blocks of a bipartite rows × cols matrix with FRAUDAR greedy peeling.

    Parameters
    ----------
    matrix : scipy.sparse matrix or 2-D numpy array, shape (n_rows, n_cols)
        Non-negative edge weights; rows are actors, columns are targets. Duplicate entries
        are summed, explicit zeros ignored.
    n_blocks : int, default 1
        How many blocks to find. After each block its edges are removed from the matrix
        and the peeling runs again (column weights recomputed on what is left), as in the
        reference code; fewer blocks are returned when no edge is left.
    column_weighting : {"log", "sqrt", "none"}, default "log"
        Weight of the edges into column ``j``: ``1 / log(d_j + 5)``, ``1 / sqrt(d_j + 5)``
        or 1, ``d_j`` being the column sum of the matrix being peeled.
    min_rows, min_cols : int, default 1
        Only prefixes of the peeling with at least this many rows / columns are
        candidates for a block.
    backend : {"auto", "c", "python"}, default "auto"
        Implementation of the peeling (identical results; ``"numpy"`` is an alias of
        ``"python"``); see the module docs.

    Returns
    -------
    DenseBlocks
        ``blocks[i].rows`` / ``.cols`` are sorted int64 indices, ``.score`` the density
        ``g = f / (|rows| + |cols|)`` with the column-weighted ``f``.

    Raises
    ------
    ConfigError
        On a bad parameter (``n_blocks < 1``, unknown ``column_weighting`` …).
    InputError
        If the matrix is not 2-D, or has negative or non-finite entries.

    Notes
    -----
    The raw greedy block maximises density, so under camouflage it can pull in popular
    columns and busy honest rows around the fraud core; :func:`trim_block` removes members
    whose density inside the block is far below the block's.

    References
    ----------
    .. [1] B. Hooi, H. A. Song, A. Beutel, N. Shah, K. Shin, C. Faloutsos, "FRAUDAR:
       Bounding Graph Fraud in the Face of Camouflage", KDD 2016.
       https://doi.org/10.1145/2939672.2939747

    Examples
    --------
    A 3 × 3 all-ones block (rows 0–2, columns 0–2) plus two stray edges:

    >>> import numpy as np, scipy.sparse as sp
    >>> dense = np.zeros((6, 5))
    >>> dense[:3, :3] = 1
    >>> dense[4, 4] = dense[5, 3] = 1
    >>> blocks = fraudar(sp.csr_matrix(dense), column_weighting="none")
    >>> blocks[0].rows, blocks[0].cols, blocks[0].score
    (array([0, 1, 2]), array([0, 1, 2]), 1.5)
    >>> blocks.to_frame().shape
    (6, 4)
    """
    n_blocks = _check_int("n_blocks", n_blocks, 1)
    min_rows = _check_int("min_rows", min_rows, 1)
    min_cols = _check_int("min_cols", min_cols, 1)
    _check_weighting(column_weighting)
    used = peel_backend(backend)
    current = _as_csr(matrix, copy=False)  # never modified in place below
    m, n = current.shape
    fn = _load_extension() if used == "c" else None
    if fn is not None and max(m, n) > _INT32_MAX:
        log.warning("matrix too large for the C extension (%d x %d); peeling in Python", m, n)
        fn = None
    blocks: list[DenseBlock] = []
    for b in range(n_blocks):
        if current.nnz == 0:
            break
        colsum = np.asarray(current.sum(axis=0)).ravel()
        cw = column_weights(colsum, column_weighting)
        if fn is not None:
            res = _block_c(fn, current, cw, colsum, min_rows, min_cols)
        else:
            res = _block_python(current, cw, min_rows, min_cols)
        if res is None:
            break
        order, k, f, scale = res
        keep = np.ones(m + n, dtype=bool)
        keep[order[:k]] = False
        rows = np.flatnonzero(keep[:m]).astype(np.int64)
        cols = np.flatnonzero(keep[m:]).astype(np.int64)
        score = (f / scale) / (rows.size + cols.size)
        blocks.append(DenseBlock(rows=rows, cols=cols, score=float(score)))
        log.debug("block %d: %d rows x %d cols, score %.6g", b, rows.size, cols.size, score)
        if b + 1 < n_blocks:
            current = _remove_block_edges(current, rows, cols)
    return DenseBlocks(blocks=blocks, column_weighting=column_weighting)


def _remove_block_edges(csr: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> sp.csr_matrix:
    m, n = csr.shape
    in_r = np.zeros(m, dtype=bool)
    in_r[rows] = True
    in_c = np.zeros(n, dtype=bool)
    in_c[cols] = True
    coo = csr.tocoo()
    drop = in_r[coo.row] & in_c[coo.col]
    out = sp.csr_matrix((coo.data[~drop], (coo.row[~drop], coo.col[~drop])), shape=(m, n))
    out.sum_duplicates()
    return out


# ---------------------------------------------------------------------------------------
# trimming


def trim_block(
    matrix: sp.spmatrix | sp.sparray | np.ndarray,
    block: DenseBlock,
    *,
    min_ratio: float = 0.5,
    popularity: bool = True,
    expand: bool = True,
    max_iter: int = 50,
) -> DenseBlock:
    """Refine a block: keep the members that are as connected inside it as the block is.

    FRAUDAR's block is the densest *prefix* of a greedy peeling. Under camouflage it also
    holds popular columns that fraud rows touch as camouflage (and busy honest rows that
    review those), and it misses fraud rows whose degree happens to be below the block's
    density. This applies one membership rule to every row and column, repeatedly, until
    nothing changes (columns first, then rows, in each round):

    * **fill**: a column's fill ``e(R, j) / |R|`` — a row's ``e(i, C) / |C|`` — must be at
      least ``min_ratio`` × the block's fill ``e(R, C) / (|R| |C|)``;
    * **excess over popularity** (``popularity=True``): a column must get more edges from
      the block's rows than their total degree spread in proportion to column degree would
      give, ``e(R, j) > deg(R) · d_j / E``; a row must send more edges into the block's
      columns than its degree spread in proportion to column degree would,
      ``e(i, C) > d_i · d(C) / E`` (a configuration-model null, as in modularity). This
      removes columns that block rows touch only because everybody touches them
      (popularity-biased camouflage) and honest heavy users.

    With ``expand=True`` rows and columns outside the block that satisfy the rule join it;
    otherwise the rule only removes members. ``e`` counts edges (non-zero entries,
    unweighted); ``d`` are degrees and ``E`` the number of edges in ``matrix``. Nothing
    here looks at labels: the rule is fixed by ``min_ratio`` (default one half) and the null
    model. The score of the result is its fill ``e(R, C) / (|R| |C|)``.

    Parameters
    ----------
    matrix : scipy.sparse matrix or 2-D array
        The matrix the block was found in.
    block : DenseBlock
        Typically ``fraudar(matrix)[0]``.
    min_ratio : float, default 0.5
        In (0, 1]: how far below the block's fill a member's fill may be.
    popularity : bool, default True
        Also require the excess over the popularity null.
    expand : bool, default True
        Let outside rows and columns join when they satisfy the rule.
    max_iter : int, default 50

    Returns
    -------
    DenseBlock
        May be empty (no rows or no columns) when no member satisfies the rule.

    Examples
    --------
    A 4 × 3 full block; a popular column that one block row also touches; a row that
    belongs to the block (2 of its 3 columns) although peeling left it out; background:

    >>> import numpy as np
    >>> dense = np.zeros((10, 8))
    >>> dense[:4, :3] = 1
    >>> dense[0, 3] = 1
    >>> dense[5, :2] = 1
    >>> dense[6:, 3] = 1
    >>> dense[6:, 4:] = np.eye(4)
    >>> raw = DenseBlock(np.arange(4), np.arange(4), 0.0)
    >>> t = trim_block(dense, raw)
    >>> t.rows, t.cols, round(t.score, 3)
    (array([0, 1, 2, 3, 5]), array([0, 1, 2]), 0.933)
    >>> trim_block(dense, raw, expand=False).rows
    array([0, 1, 2, 3])
    """
    if not (isinstance(min_ratio, (int, float)) and 0.0 < float(min_ratio) <= 1.0):
        raise ConfigError(f"min_ratio must be a number in (0, 1]; got {min_ratio!r}")
    max_iter = _check_int("max_iter", max_iter, 1)
    binary = _as_csr(matrix, copy=False)  # read only below
    if binary.nnz and not bool((binary.data == 1.0).all()):
        binary = binary.copy()
        binary.data[:] = 1.0
    m, n = binary.shape
    in_r = np.zeros(m, dtype=bool)
    in_r[np.asarray(block.rows, dtype=np.int64)] = True
    in_c = np.zeros(n, dtype=bool)
    in_c[np.asarray(block.cols, dtype=np.int64)] = True
    if binary.nnz == 0 or not in_r.any() or not in_c.any():
        return DenseBlock(np.flatnonzero(in_r), np.flatnonzero(in_c), 0.0)
    state = _Trim(binary, in_r, in_c, float(min_ratio), popularity, expand)
    for _ in range(max_iter):
        changed = state.update_cols()
        if not state.in_c.any():
            break
        changed = state.update_rows() or changed
        if not changed or not state.in_r.any():
            break
    else:
        log.warning("trim_block did not settle in %d rounds; returning the last state", max_iter)
    rows = np.flatnonzero(state.in_r).astype(np.int64)
    cols = np.flatnonzero(state.in_c).astype(np.int64)
    log.debug(
        "trim_block: %d x %d -> %d x %d", block.rows.size, block.cols.size, rows.size, cols.size
    )
    return DenseBlock(rows=rows, cols=cols, score=_fill(state.e_rc, rows.size, cols.size))


def _fill(e_rc: int, nr: int, nc: int) -> float:
    return e_rc / (nr * nc) if nr and nc else 0.0


class _Trim:
    """The state of :func:`trim_block`: the members and the counts ``e(R, j)`` for every
    column and ``e(i, C)`` for every row. The counts are integers from the rows of R
    (CSR) and the columns of C (CSC), kept up to date by adding the members that join and
    subtracting those that leave: after the first rounds only a few change, so a round
    costs the degrees of the changes, not nnz."""

    def __init__(
        self,
        binary: sp.csr_matrix,
        in_r: np.ndarray,
        in_c: np.ndarray,
        ratio: float,
        popularity: bool,
        expand: bool,
    ) -> None:
        self.binary, self.csc = binary, binary.tocsc()
        self.in_r, self.in_c = in_r, in_c
        self.ratio, self.popularity, self.expand = ratio, popularity, expand
        self.row_deg = np.diff(binary.indptr).astype(np.float64)
        self.col_deg = np.diff(self.csc.indptr).astype(np.float64)
        self.total = float(binary.nnz)
        self.e_col = self._e_cols(in_r)  # e(R, j) for the current R
        self.e_row: np.ndarray | None = None  # e(i, C) for the current C, once needed
        self.e_rc = int(self.e_col[in_c].sum())  # e(R, C)

    def _e_cols(self, in_rows: np.ndarray) -> np.ndarray:
        sub = self.binary[np.flatnonzero(in_rows)]
        return np.bincount(sub.indices, minlength=self.binary.shape[1])

    def _e_rows(self, in_cols: np.ndarray) -> np.ndarray:
        sub = self.csc[:, np.flatnonzero(in_cols)]
        return np.bincount(sub.indices, minlength=self.binary.shape[0])

    def update_cols(self) -> bool:
        """Columns, given the rows; True when they changed."""
        nr = int(self.in_r.sum())
        f = _fill(self.e_rc, nr, int(self.in_c.sum()))
        keep = self.e_col >= self.ratio * f * nr
        if self.popularity:
            keep &= self.e_col > self.row_deg[self.in_r].sum() * self.col_deg / self.total
        if not self.expand:
            keep &= self.in_c
        if np.array_equal(keep, self.in_c):
            return False
        if self.e_row is not None:
            self.e_row = self.e_row + self._e_rows(keep & ~self.in_c)
            self.e_row = self.e_row - self._e_rows(self.in_c & ~keep)
        self.in_c = keep
        self.e_rc = int(self.e_col[keep].sum())
        return True

    def update_rows(self) -> bool:
        """Rows, given the columns; True when they changed."""
        if self.e_row is None:
            self.e_row = self._e_rows(self.in_c)
        nc = int(self.in_c.sum())
        f = _fill(self.e_rc, int(self.in_r.sum()), nc)
        keep = self.e_row >= self.ratio * f * nc
        if self.popularity:
            keep &= self.e_row > self.row_deg * self.col_deg[self.in_c].sum() / self.total
        keep &= self.e_row > 0
        if not self.expand:
            keep &= self.in_r
        if np.array_equal(keep, self.in_r):
            return False
        self.e_col = self.e_col + self._e_cols(keep & ~self.in_r) - self._e_cols(self.in_r & ~keep)
        self.in_r = keep
        self.e_rc = int(self.e_row[keep].sum())
        return True


# ---------------------------------------------------------------------------------------
# several significant blocks of an event family


@dataclass(frozen=True)
class DenseBlockGroups(TargetGroups):
    """Dense blocks found by :func:`dense_blocks`, each significant against a null model.

    Attributes
    ----------
    groups : polars.DataFrame
        One row per reported block: ``group`` (Int64; 0 = the first block found, the
        densest), ``n_actors``, ``n_targets``, ``edges`` (Int64: distinct actor–target pairs
        inside the block), ``expected_edges`` (Float64: the configuration model's mean
        ``d(R) d(C) / m``), ``density`` (Float64: ``edges / (n_actors n_targets)``),
        ``shared_targets`` (Float64: mean number of the block's targets a pair of its
        actors both hit), ``activity_share`` and ``audience_share`` (Float64: the share of
        the actors' pairs inside the block, and the share of the targets' audiences the
        actors make up: a ring's targets are mostly its own, an organic fandom is a slice
        of a big audience), ``score`` (Float64: FRAUDAR's column-weighted density
        ``f / (|R| + |C|)`` of the peeled block), ``p_value`` and ``significance``
        (Float64: ``-log10 p_value``, in ``[-log10 alpha, SIGNIFICANCE_CAP]``).
    members : polars.DataFrame
        ``group``, ``key``, ``role`` (``"actor"`` / ``"target"``), ``hits`` (Int64: the
        member's pairs inside the block). Sorted by group, role, key.
    tested : polars.DataFrame
        Every block tested, reported or not, in the order found: ``block``, ``peel`` (the
        FRAUDAR peeling it came from: a peeled block is split into its connected parts),
        the columns of ``groups`` (but ``p_value``), the three components ``sig_null``,
        ``sig_actors``, ``sig_targets``, ``reported`` (Boolean) and ``group`` (null when
        not reported): the evidence for why a family yielded no block.
    params : dict
        The parameters of the run, with the family's size (``n_actors``, ``n_targets``,
        ``n_pairs``).
    """

    groups: pl.DataFrame
    members: pl.DataFrame
    tested: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


_TESTED_SCHEMA = {
    "block": pl.Int64,
    "peel": pl.Int64,
    "n_actors": pl.Int64,
    "n_targets": pl.Int64,
    "edges": pl.Int64,
    "expected_edges": pl.Float64,
    "density": pl.Float64,
    "shared_targets": pl.Float64,
    "activity_share": pl.Float64,
    "audience_share": pl.Float64,
    "score": pl.Float64,
    "sig_null": pl.Float64,
    "sig_actors": pl.Float64,
    "sig_targets": pl.Float64,
    "significance": pl.Float64,
    "reported": pl.Boolean,
    "group": pl.Int64,
}


def _family_matrix(
    graph: EventGraph | Biadjacency,
    actions: list[str] | None,
    actor_types: list[str] | None,
    target_types: list[str] | None,
) -> tuple[sp.csr_matrix, Callable[[np.ndarray], list[str]], Callable[[np.ndarray], list[str]]]:
    """The binary actor × target matrix of a family and key lookups for its rows and columns."""
    from ringlens.graph import Biadjacency, EventGraph

    if isinstance(graph, Biadjacency):
        if actions is not None or actor_types is not None or target_types is not None:
            raise ConfigError(
                "dense_blocks: actions / actor_types / target_types filter an EventGraph; "
                "a Biadjacency is already one family's matrix"
            )
        mat = sp.csr_matrix(graph.matrix, dtype=np.float64, copy=True)
        mat.sum_duplicates()
        mat.eliminate_zeros()
        mat.data[:] = 1.0
        rk = np.asarray(graph.row_keys, dtype=object)
        ck = np.asarray(graph.col_keys, dtype=object)
        return mat, (lambda i: rk[i].tolist()), (lambda j: ck[j].tolist())
    if not isinstance(graph, EventGraph):
        raise InputError(
            f"dense_blocks needs an EventGraph or a Biadjacency, got {type(graph).__name__}"
        )
    rows, cols, mat = family_pairs(
        graph, actions=actions, actor_types=actor_types, target_types=target_types
    )
    keys = graph.nodes["key"]

    def lookup(nodes: np.ndarray) -> Callable[[np.ndarray], list[str]]:
        return lambda idx: keys.gather(pl.Series(nodes[idx], dtype=pl.Int64)).to_list()

    return mat, lookup(rows), lookup(cols)


def family_pairs(
    graph: EventGraph,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """The binary actor × target matrix of one family of events, built without a sort.

    Events are selected with numpy masks (action names, and the node types of both
    ends); the graph's event table is sorted by ``(src, dst)``, so repeated pairs are
    adjacent and the matrix is laid out directly in CSR order. (When the table is not
    sorted, the pairs are sorted first.) Names are compared as the graph stores them,
    normalised: ``"Review "`` selects ``review``.

    Returns
    -------
    (row_nodes, col_nodes, matrix)
        Graph node ids of the rows (actors) and columns (targets), ascending, and the
        ``len(row_nodes) × len(col_nodes)`` CSR matrix with 1.0 per distinct pair.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> ev = pl.DataFrame({"actor_id": ["1", "1", "1", "2"], "actor_type": "buyer",
    ...     "target_id": ["p", "p", "q", "p"], "target_type": "product",
    ...     "action": ["order", "order", "like", "order"],
    ...     "ts": datetime(2024, 1, 1, tzinfo=timezone.utc)})
    >>> g = build_graph(ev)
    >>> rows, cols, m = family_pairs(g, actions=["order"])
    >>> g.keys(rows), g.keys(cols), m.toarray().tolist()
    (['buyer:1', 'buyer:2'], ['product:p'], [[1.0], [1.0]])
    """
    from ringlens.detect._common import family_cells

    # the graph's family index gives the family's rows (names compared normalised)
    s, d = family_cells(graph, actions=actions, actor_types=actor_types, target_types=target_types)
    # the rows are sorted: their distinct values and run starts give the CSR directly
    idx: type[np.signedinteger[Any]] = np.int32 if s.size < _INT32_MAX else np.int64
    if s.size:
        starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    else:
        starts = np.zeros(0, dtype=np.int64)
    rows = s[starts]
    indptr = np.append(starts, s.size).astype(idx)
    present = np.flatnonzero(np.bincount(d, minlength=graph.n_nodes))  # distinct targets
    where = np.zeros(graph.n_nodes, dtype=np.int64)
    where[present] = np.arange(present.size)
    cols, ci = present, where[d]
    mat = sp.csr_matrix((np.ones(s.size), ci.astype(idx), indptr), shape=(rows.size, cols.size))
    return rows, cols, mat


def _drop_block(csr: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> sp.csr_matrix:
    """``csr`` without its entries in ``rows × cols`` (a new matrix, or ``csr`` itself when
    nothing is dropped; sorted indices stay sorted). Only the block rows' entries are
    looked at, then one pass compresses the arrays."""
    m, n = csr.shape
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0 or np.size(cols) == 0 or csr.nnz == 0:
        return csr
    in_c = np.zeros(n, dtype=bool)
    in_c[cols] = True
    starts = csr.indptr[rows].astype(np.int64)
    lens = csr.indptr[rows + 1].astype(np.int64) - starts
    total = int(lens.sum())
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    pos = offsets + np.arange(total, dtype=np.int64)  # entries of the block's rows
    hit = in_c[csr.indices[pos]]
    if not hit.any():
        return csr
    drop = pos[hit]
    keep = np.ones(csr.nnz, dtype=bool)
    keep[drop] = False
    per_row = np.bincount(np.repeat(rows, lens)[hit], minlength=m)
    indptr = csr.indptr.astype(np.int64) - np.concatenate(([0], np.cumsum(per_row)))
    out = sp.csr_matrix(
        (csr.data[keep], csr.indices[keep], indptr.astype(csr.indptr.dtype)), shape=(m, n)
    )
    out.has_sorted_indices = csr.has_sorted_indices
    return out


def dense_blocks(
    graph: EventGraph | Biadjacency,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    alpha: float = 0.01,
    min_shared: float = 1.0,
    max_blocks: int = 10,
    patience: int = 1,
    column_weighting: ColumnWeighting = "log",
    trim: bool = True,
    backend: Backend = "auto",
    target_contrast: bool = True,
    new_accounts: list[str] | pl.Series | None = None,
    new_rate: float | None = None,
) -> DenseBlockGroups:
    """Significant dense blocks of a family's account × target matrix (FRAUDAR, repeated).

    The family's events (``actions`` / ``actor_types`` / ``target_types``, as in
    :func:`ringlens.detect.lockstep`) become a binary actor × target matrix; then
    :func:`fraudar` peels a block, :func:`trim_block` refines it, each connected part is
    tested against the configuration model and two contrasts
    (:mod:`ringlens.detect.significance`, corrected for the search) and reported when
    significant at ``alpha`` and coordinated (a pair of its actors shares at least
    ``min_shared`` targets on average); its pairs are removed and the peel repeats until
    ``patience`` peels in a row report nothing. See "Several blocks per family" in the
    module docs for the rules and why ``max_blocks`` and ``patience`` are budgets only.

    Parameters
    ----------
    graph : EventGraph or Biadjacency
        The events; or one family's matrix (then no filters).
    actions, actor_types, target_types : list of str, optional
        The family (the platform's own names; None = all).
    alpha : float, default 0.01
        Significance level (family-wise, for this call).
    min_shared : float, default 1.0
        Mean number of targets a pair of a block's actors must share (0: no such rule).
    max_blocks, patience : int, default 10, 1
        Most blocks reported; peels in a row that report nothing before stopping.
    column_weighting, backend
        FRAUDAR's column weighting and implementation (see :func:`fraudar`).
    trim : bool, default True
        Refine each peeled block with :func:`trim_block`.
    target_contrast : bool, default True
        Ask the target contrast too (False: see :func:`ringlens.detect.ratings`).
    new_accounts, new_rate : optional
        The new accounts' node keys and the platform's share of them: a block that only
        the target contrast fails counts when its actors are new beyond that rate (module
        docs, "The target contrast and fresh accounts").

    Returns
    -------
    DenseBlockGroups
        Deterministic: the same events give the same blocks. A bad parameter raises
        ``ConfigError``, a ``graph`` of another type ``InputError``.

    References
    ----------
    .. [1] B. Hooi et al., "FRAUDAR: Bounding Graph Fraud in the Face of Camouflage",
       KDD 2016. A. A. Shabalin et al., "Finding large average submatrices in high
       dimensional data", Ann. Appl. Stat. 3(3) (2009) (the correction for the search).

    Examples
    --------
    30 accounts reviewing 8 products (each pair with probability 0.7) among 2,000 accounts
    with Pareto activity over 300 products; and the same without them:

    >>> import numpy as np, polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rng = np.random.default_rng(1)
    >>> users = np.repeat(np.arange(2000), np.minimum(rng.pareto(1.5, 2000) + 1, 200).astype(int))
    >>> items = rng.choice(300, users.size, p=1 / np.arange(1, 301) / (1 / np.arange(1, 301)).sum())
    >>> bg = pl.DataFrame({"actor_id": users.astype(str), "target_id": items.astype(str)})
    >>> ri, ci = np.nonzero(rng.random((30, 8)) < 0.7)
    >>> ring = pl.DataFrame({"actor_id": [f"f{i}" for i in ri],
    ...                      "target_id": (rng.choice(300, 8, replace=False)[ci]).astype(str)})
    >>> kind = dict(actor_type=pl.lit("user"), target_type=pl.lit("product"),
    ...     action=pl.lit("review"), ts=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> res = dense_blocks(build_graph(pl.concat([bg, ring]).with_columns(**kind)))
    >>> res.groups.select("group", "n_targets", "significance").with_columns(
    ...     pl.col("significance") > 20).rows()
    [(0, 8, True)]
    >>> sum(key.startswith("user:f") for key in res.actors(0)), len(res.actors(0))
    (30, 32)
    >>> organic = dense_blocks(build_graph(bg.with_columns(**kind)))
    >>> len(organic), organic.tested.select("n_actors", "n_targets", "significance").rows()
    (0, [(37, 32, 0.0)])

    (Two organic heavy users review 3 of the 8 products and join the block; ``tested``
    shows the peeled blocks that failed the test.)
    """
    # every parameter but the graph (the first statement: locals() holds only them)
    params = _dense_params(**{k: v for k, v in locals().items() if k != "graph"})
    mat, row_keys, col_keys = _family_matrix(
        graph, params["actions"], params["actor_types"], params["target_types"]
    )
    params.update(n_actors=mat.shape[0], n_targets=mat.shape[1], n_pairs=int(mat.nnz))
    fresh = _freshness(new_accounts, params["new_rate"], row_keys)
    if not _can_hold_block(mat):
        log.info("dense_blocks: no target with two actors or actor with two targets")
        return _groups(mat, [], [], row_keys, col_keys, params)
    found, tested = _peel_family(
        mat,
        keys=(row_keys, col_keys),
        threshold=-math.log10(params["alpha"]),
        min_shared=params["min_shared"],
        max_blocks=params["max_blocks"],
        patience=params["patience"],
        column_weighting=column_weighting,
        trim=trim,
        backend=backend,
        target_contrast=params["target_contrast"],
        fresh=fresh,
    )
    log.info("dense_blocks: %d of %d blocks significant", len(found), len(tested))
    return _groups(mat, found, tested, row_keys, col_keys, params)


def _can_hold_block(mat: sp.csr_matrix) -> bool:
    """False when no target has two actors (a post and its author) or no actor two
    targets: no 2 x 2 block, nothing two actors share."""
    if mat.nnz == 0:
        return False
    col_deg = np.bincount(mat.indices, minlength=mat.shape[1])
    return bool(col_deg.max() >= 2 and np.diff(mat.indptr).max() >= 2)


def _dense_params(
    *,
    actions: object,
    actor_types: object,
    target_types: object,
    alpha: object,
    min_shared: object,
    max_blocks: object,
    patience: object,
    column_weighting: object,
    trim: object,
    backend: str,
    target_contrast: object = True,
    new_accounts: object = None,
    new_rate: object = None,
) -> dict[str, Any]:
    """The validated parameters of :func:`dense_blocks` (``ConfigError`` naming a bad one)."""
    from ringlens.detect.significance import SIGNIFICANCE_CAP

    _check_weighting(column_weighting)
    for name, flag in (("trim", trim), ("target_contrast", target_contrast)):
        if not isinstance(flag, bool):
            raise ConfigError(f"{name} must be True or False; got {flag!r}")
    peel_backend(backend)
    return {
        "actions": check_str_list("actions", actions),
        "actor_types": check_str_list("actor_types", actor_types),
        "target_types": check_str_list("target_types", target_types),
        "alpha": check_float("alpha", alpha, low=10.0**-SIGNIFICANCE_CAP, high=1.0),
        "min_shared": check_float("min_shared", min_shared, low=0.0),
        "max_blocks": _check_int("max_blocks", max_blocks, 1),
        "patience": _check_int("patience", patience, 1),
        "column_weighting": column_weighting,
        "trim": trim,
        "target_contrast": target_contrast,
        "new_accounts": None if new_accounts is None else len(new_accounts),  # type: ignore[arg-type]
        "new_rate": None
        if new_rate is None
        else check_float("new_rate", new_rate, low=0.0, high=1.0),
    }


def _block_pairs(
    csr: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of ``csr`` inside ``rows × cols`` as local (row, column) positions: only the
    block rows' entries are read (``csr[rows][:, cols]`` without building two matrices)."""
    rows = np.asarray(rows, dtype=np.int64)
    starts = csr.indptr[rows].astype(np.int64)
    lens = csr.indptr[rows + 1].astype(np.int64) - starts
    total = int(lens.sum())
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
    pos = offsets + np.arange(total, dtype=np.int64)
    where = np.full(csr.shape[1], -1, dtype=np.int64)
    where[np.asarray(cols, dtype=np.int64)] = np.arange(np.size(cols))
    local_c = where[csr.indices[pos]]
    inside = local_c >= 0
    local_r = np.repeat(np.arange(rows.size, dtype=np.int64), lens)
    return local_r[inside], local_c[inside]


def _closed_island(
    t: Any,
    rows: np.ndarray,
    cols: np.ndarray,
    keys: tuple[Callable[[np.ndarray], list[str]], Callable[[np.ndarray], list[str]]],
) -> bool:
    """Whether a block is a closed island of accounts acting on each other: most of its
    targets are its own accounts (endorsing, following, tipping each other), it is more
    than :data:`~ringlens.detect.significance.OWN_AUDIENCE` of their audience, and they
    take more than that share of its accounts' activity. Its few other users and other
    targets are then its own accounts the search left out, no reference for how drawn
    it is: an endorsement ring of 42 whose block kept 40 × 39 of it fails both contrasts
    against the two left out."""
    from ringlens.detect.significance import OWN_AUDIENCE

    if not (t.audience_share > OWN_AUDIENCE and t.activity_share > OWN_AUDIENCE):
        return False
    accounts = set(keys[0](rows))
    return sum(k in accounts for k in keys[1](cols)) > OWN_AUDIENCE * cols.size


def _peel_family(
    mat: sp.csr_matrix,
    *,
    keys: tuple[Callable[[np.ndarray], list[str]], Callable[[np.ndarray], list[str]]],
    threshold: float,
    min_shared: float,
    max_blocks: int,
    patience: int,
    column_weighting: ColumnWeighting,
    trim: bool,
    backend: Backend,
    target_contrast: bool = True,
    fresh: _Fresh | None = None,
) -> tuple[list[_Found], list[dict[str, Any]]]:
    """The peel–trim–test–remove loop of :func:`dense_blocks` (see the module docs)."""
    from ringlens.detect.significance import _MatrixStats

    stats = _MatrixStats(mat)  # the matrix blocks are tested on (reported blocks removed)
    peel = mat  # the matrix blocks are peeled from (every block removed)
    tested: list[dict[str, Any]] = []
    found: list[_Found] = []
    misses = 0
    n_peel = 0
    while peel.nnz and len(found) < max_blocks and misses < patience:
        res = fraudar(
            peel, column_weighting=column_weighting, min_rows=2, min_cols=2, backend=backend
        )
        if not len(res):
            break
        raw = res[0]
        blk = trim_block(peel, raw) if trim else raw
        parts = _components(peel, blk.rows, blk.cols)
        peel = _drop_block(_drop_block(peel, raw.rows, raw.cols), blk.rows, blk.cols)
        if not parts:  # nothing of 2 x 2 or more: keep a trace of the attempt
            parts = [(blk.rows, blk.cols)]
        hit = False
        for rows, cols in parts:
            if len(found) >= max_blocks:
                break
            row: dict[str, Any] = {
                "block": len(tested),
                "peel": n_peel,
                "n_actors": int(rows.size),
                "n_targets": int(cols.size),
                "score": raw.score,
                "reported": False,
                "group": None,
            }
            if rows.size < 2 or cols.size < 2:
                row.update(
                    edges=0,
                    expected_edges=0.0,
                    density=0.0,
                    shared_targets=0.0,
                    activity_share=0.0,
                    audience_share=0.0,
                    sig_null=0.0,
                    sig_actors=0.0,
                    sig_targets=0.0,
                    significance=0.0,
                )
                tested.append(row)
                continue
            t = _judged(stats, rows, cols, keys, threshold, target_contrast, fresh)
            shared = _shared_targets(stats.csr, rows, cols)
            row.update(_test_columns(t, rows, cols, shared))
            log.debug(
                "dense_blocks: peel %d, %d x %d, %d edges (%.1f expected), significance %.1f",
                n_peel,
                rows.size,
                cols.size,
                t.edges,
                t.expected_edges,
                t.significance,
            )
            if t.significance >= threshold and shared >= min_shared:
                row.update(reported=True, group=len(found))
                found.append((rows, cols, raw.score, t, shared))
                stats = _MatrixStats(_drop_block(stats.csr, rows, cols))
                hit = True
            tested.append(row)
        misses = 0 if hit else misses + 1
        n_peel += 1
    return found, tested


@dataclass(frozen=True)
class _Fresh:
    """The new accounts' keys and the platform's share of them, for the blocks that only
    the target contrast fails (few: the keys are looked up for those blocks' actors only)."""

    keys: pl.Series
    rate: float
    row_keys: Callable[[np.ndarray], list[str]]

    def passes(self, rows: np.ndarray, threshold: float) -> bool:
        """Whether the block's actors ``rows`` are new beyond the platform's rate (every
        actor counts as known: an unknown creation time is not new)."""
        from ringlens.detect.significance import fresh_beyond_chance

        names = pl.Series(self.row_keys(np.asarray(rows, dtype=np.int64)), dtype=pl.String)
        new = int(names.is_in(self.keys.implode()).sum())
        return fresh_beyond_chance(new, names.len(), self.rate, threshold)


def _freshness(
    new_accounts: list[str] | pl.Series | None,
    new_rate: float | None,
    row_keys: Callable[[np.ndarray], list[str]],
) -> _Fresh | None:
    """The rows' newness for :func:`dense_blocks`' ``new_accounts`` (None without them)."""
    if new_accounts is None or new_rate is None:
        return None
    return _Fresh(
        keys=pl.Series(new_accounts, dtype=pl.String), rate=float(new_rate), row_keys=row_keys
    )


def _judged(
    stats: Any,
    rows: np.ndarray,
    cols: np.ndarray,
    keys: tuple[Callable[[np.ndarray], list[str]], Callable[[np.ndarray], list[str]]],
    threshold: float,
    target_contrast: bool,
    fresh: _Fresh | None,
) -> Any:
    """A block's :class:`~ringlens.detect.significance.BlockTest`: a closed island's
    against the configuration model's rates, without the target contrast when it is not
    asked, or when only it fails and the actors are fresh (``fresh``; module docs)."""
    t = stats.test(rows, cols)
    if t.significance < threshold and _closed_island(t, rows, cols, keys):
        t = stats.test(rows, cols, closed=True)
    if not target_contrast:
        return replace(t, significance=min(t.sig_null, t.sig_actors))
    return _fresh_judged(t, rows, threshold, fresh)


def _fresh_judged(t: Any, rows: np.ndarray, threshold: float, fresh: _Fresh | None) -> Any:
    """``t``, or, when only its target contrast fails and the actors ``rows`` are fresh
    (``fresh``), ``t`` with the significance of the other two tests (module docs)."""
    others = min(t.sig_null, t.sig_actors)
    if (
        t.significance < threshold
        and others >= threshold
        and fresh is not None
        and fresh.passes(rows, threshold)
    ):
        return replace(t, significance=others)
    return t


def _test_columns(t: Any, rows: np.ndarray, cols: np.ndarray, shared: float) -> dict[str, Any]:
    """A tested block's test columns of ``tested`` (its :class:`BlockTest` ``t`` and the
    mean targets a pair of its actors shares)."""
    return {
        "edges": t.edges,
        "expected_edges": t.expected_edges,
        "density": t.edges / (rows.size * cols.size),
        "shared_targets": shared,
        "activity_share": t.activity_share,
        "audience_share": t.audience_share,
        "sig_null": t.sig_null,
        "sig_actors": t.sig_actors,
        "sig_targets": t.sig_targets,
        "significance": t.significance,
    }


def _shared_targets(csr: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> float:
    """Mean number of the block's targets that a pair of its actors both hit:
    ``Σ_j l_j (l_j - 1) / (r (r - 1))``, ``l_j`` = the block's actors on target ``j``."""
    r = rows.size
    if r < 2 or cols.size == 0:
        return 0.0
    _, local_c = _block_pairs(csr, rows, cols)
    hits = np.bincount(local_c, minlength=cols.size).astype(np.float64)
    return float((hits * (hits - 1.0)).sum() / (r * (r - 1.0)))


def _components(
    csr: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The connected parts (2 x 2 or larger) of the block ``rows × cols`` of ``csr``, largest
    (most pairs) first. A peeled block can be the union of two rings that share nothing,
    or share one popular target that trimming removed: each is reported on its own."""
    from scipy.sparse.csgraph import connected_components

    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if rows.size < 2 or cols.size < 2:
        return []
    lr, lc = _block_pairs(csr, rows, cols)
    r, c = rows.size, cols.size
    adj = sp.coo_matrix((np.ones(lr.size, dtype=np.int8), (lr, r + lc)), shape=(r + c, r + c))
    n_parts, label = connected_components(adj, directed=False)
    if n_parts == 1:
        return [(rows, cols)]
    size = np.bincount(label[lr], minlength=n_parts)  # pairs per part
    parts = []
    for lab in np.argsort(-size, kind="stable").tolist():
        pr = rows[label[:r] == lab]
        pc = cols[label[r:] == lab]
        if pr.size >= 2 and pc.size >= 2:
            parts.append((pr, pc))
    return parts


def _groups(
    mat: sp.csr_matrix,
    found: list[_Found],
    tested: list[dict[str, Any]],
    row_keys: Callable[[np.ndarray], list[str]],
    col_keys: Callable[[np.ndarray], list[str]],
    params: dict[str, Any],
) -> DenseBlockGroups:
    groups = pl.DataFrame(
        {
            "group": list(range(len(found))),
            "n_actors": [int(r.size) for r, _, _, _, _ in found],
            "n_targets": [int(c.size) for _, c, _, _, _ in found],
            "edges": [t.edges for _, _, _, t, _ in found],
            "expected_edges": [t.expected_edges for _, _, _, t, _ in found],
            "density": [t.edges / (r.size * c.size) for r, c, _, t, _ in found],
            "shared_targets": [x for _, _, _, _, x in found],
            "activity_share": [t.activity_share for _, _, _, t, _ in found],
            "audience_share": [t.audience_share for _, _, _, t, _ in found],
            "score": [s for _, _, s, _, _ in found],
            "p_value": [t.p_value for _, _, _, t, _ in found],
            "significance": [t.significance for _, _, _, t, _ in found],
        },
        schema={
            "group": pl.Int64,
            "n_actors": pl.Int64,
            "n_targets": pl.Int64,
            "edges": pl.Int64,
            "expected_edges": pl.Float64,
            "density": pl.Float64,
            "shared_targets": pl.Float64,
            "activity_share": pl.Float64,
            "audience_share": pl.Float64,
            "score": pl.Float64,
            "p_value": pl.Float64,
            "significance": pl.Float64,
        },
    )
    parts = []
    for g, (rows, cols, _, _, _) in enumerate(found):
        lr, lc = _block_pairs(mat, rows, cols)
        hits_r = np.bincount(lr, minlength=rows.size).astype(np.int64)
        hits_c = np.bincount(lc, minlength=cols.size).astype(np.int64)
        parts.append(
            pl.DataFrame(
                {
                    "group": np.full(rows.size + cols.size, g, dtype=np.int64),
                    "key": row_keys(rows) + col_keys(cols),
                    "role": ["actor"] * rows.size + ["target"] * cols.size,
                    "hits": np.concatenate([hits_r, hits_c]),
                },
                schema={"group": pl.Int64, "key": pl.String, "role": pl.String, "hits": pl.Int64},
            )
        )
    members = (
        pl.concat(parts).sort("group", "role", "key")
        if parts
        else pl.DataFrame(
            schema={"group": pl.Int64, "key": pl.String, "role": pl.String, "hits": pl.Int64}
        )
    )
    tested_frame = (
        pl.DataFrame(tested, schema=_TESTED_SCHEMA)
        if tested
        else pl.DataFrame(schema=_TESTED_SCHEMA)
    )
    return DenseBlockGroups(groups=groups, members=members, tested=tested_frame, params=params)
