"""Significance of dense blocks and rings against a degree-preserving null, and ring structure.

A block (a set ``R`` of actors and a set ``C`` of targets) found by searching a graph is
always "dense" compared with a random block: the search picked it *because* it is dense.
A tail probability of its own edges alone is therefore anti-conservative. Here a block is
tested against a degree-preserving null **with a correction for the selection**, and
against two contrasts that tell a ring from the dense core of an organic community.

The three tests
---------------

All three are computed on the binary actor × target matrix of a family (``m`` distinct
actor–target pairs, ``M`` actors and ``N`` targets with at least one pair, degrees ``d``;
for an actor, ``k`` = its pairs into ``C``; for a target, ``l`` = its pairs from ``R``).

1. **Configuration model** (``sig_null``). In the bipartite configuration model (stub
   matching with the observed degrees; Newman, Strogatz & Watts 2001) the number of the
   ``d(R)`` actor stubs of ``R`` that land on the ``d(C)`` target stubs of ``C`` is
   hypergeometric with mean ``d(R) d(C) / m`` (``expected_edges``). Its upper tail is
   bounded by the Chernoff–Hoeffding bound ``exp(-d(R) KL(e / d(R) || d(C) / m))``
   (Hoeffding 1963; Chvátal 1979 for the hypergeometric), ``e`` being the block's edges.
   Two more valid versions condition on how the block's actors (targets) came to touch
   ``C`` (``R``): only the hits beyond each one's first count, ``Σ (k - 1)`` out of
   ``Σ (d - 1)`` at the rate ``d(C) / m``, and ``R`` is then chosen among the actors
   touching ``C`` only (symmetrically for targets). The best of the three is kept, with a
   Bonferroni factor 3.
2. **Actor contrast** (``sig_actors``): do the block's actors come back to ``C`` more than
   ``C``'s other users do? The block's ``Σ (k - 1)`` out of ``Σ (d - 1)`` is tested
   against a reference rate: the larger of (a) the same rate over ``C``'s other users and
   (b) ``Σ (k - 2) / Σ (d - 2)`` over its other *repeat* users (``k >= 2``: the rate
   beyond the two hits that made them repeat users, so that chance repeats do not
   inflate it), each with one pseudo-trial at ``d(C) / m`` (so that it is the
   configuration model's rate when ``C`` has no other users). The heavy fans of a niche
   are no more drawn to it than its other fans, so this fails for them; ring members
   keep hitting targets that organic users touch in passing. A *ring* (the ring stage's
   :func:`ring_significance` and :func:`member_contrast`) that is more than
   :data:`OWN_AUDIENCE` of ``C``'s audience is the heavy core of no wider audience: its
   few other users are mostly members its detector left out (a karma farm's own
   threads), who come back as often as it does, so its reference is the configuration
   model's rate. A detector's block (:func:`block_significance`) keeps the contrast:
   an organic closed group (drivers queued at one airport zone) is most of its targets'
   audience too, and the detectors are what keeps it from becoming a candidate. The one
   exception is a closed island of accounts acting on *each other*
   (:func:`ringlens.detect.dense.dense_blocks`: most of its targets are its own
   accounts, and they are most of each other's audience and activity): its other users
   and other targets are its own accounts the search left out, so both contrasts take
   the configuration model's rates; the ring stage still asks an island of old accounts
   for its target contrast.
3. **Target contrast** (``sig_targets``): the same with the roles swapped: are ``C``'s
   audiences made of ``R`` more than the audiences of ``R``'s *other* targets are? For a
   closed community (every target's audience inside it) its members' other targets are
   as much theirs as ``C`` is, and this fails; a ring's camouflage or organic history
   goes to targets that the whole platform uses.

Each bound is turned into a p-value **corrected for the search** with a union bound over
every block that could have been chosen, as in the LAS score of Shabalin et al. (2009):
``C(M, |R|) C(N, |C|)`` blocks of that shape (``C(N, |C|) C(|N(C)|, |R|)`` when only the
hits beyond each actor's first count and ``R`` is drawn from ``C``'s audience ``N(C)``;
symmetrically for targets) and ``M N`` shapes, e.g.

    p = min(1, bound × C(M, |R|) × C(N, |C|) × M × N).

This holds whatever procedure chose the block (FRAUDAR, trimming, another detector), so
on data drawn from the configuration model no block reaches ``p <= alpha`` with
probability above ``alpha``: the family-wise error is controlled by construction. A block
is significant only if all three tests are (an intersection–union test, Berger 1982):
its p-value is the largest of the three and ``significance = -log10 p`` (0 = not
significant, capped at :data:`SIGNIFICANCE_CAP` so that ``p_value = 10 ** -significance``
stays a normal float). The contrasts only ever remove blocks; the guarantee comes from
the first test.

The union bound makes the test conservative for small blocks: about
``|R| log10(e |N(C)| / |R|)`` decimal orders are needed just to pay for choosing the
actors. A 20 × 5 block with 56 pairs in a million-event family is significant (59 decimal
orders beyond it on the synthetic review family); the same shape at half the density
(30 pairs, 1.5 per account) is weak evidence of anything, and no density detector should
claim it (see ``docs/evaluation.md``).

What the tests cannot do: tell a ring from an organic community whose core *is* most of
it (the heavy fans of a niche whose other users only pass by). Such a core is
significant, but its members do not act together: two of them share a fraction of one
target, where ring members share several. :func:`ringlens.detect.dense_blocks` therefore
also requires ``shared_targets >= 1`` (reported here as a feature).

Ring structure
--------------

:func:`ring_structure` adds the features investigators read as "core members" and
"brokers": each member's coreness (Batagelj & Zaversnik 2003) inside its ring's own
member × target graph, sampled betweenness (Brandes & Pich 2007) in the graph of all
rings, and a broker flag for members adjacent to another ring's members or targets.

References
----------
.. [1] M. E. J. Newman, S. H. Strogatz, D. J. Watts, "Random graphs with arbitrary degree
   distributions and their applications", Phys. Rev. E 64, 026118 (2001).
.. [2] W. Hoeffding, "Probability inequalities for sums of bounded random variables",
   JASA 58 (1963); V. Chvátal, "The tail of the hypergeometric distribution", Discrete
   Mathematics 25 (1979).
.. [3] A. A. Shabalin, V. J. Weigman, C. M. Perou, A. B. Nobel, "Finding large average
   submatrices in high dimensional data", Annals of Applied Statistics 3(3) (2009).
.. [4] R. L. Berger, "Multiparameter hypothesis testing and acceptance sampling",
   Technometrics 24(4) (1982).
.. [5] V. Batagelj, M. Zaversnik, "An O(m) algorithm for cores decomposition of networks"
   (2003); U. Brandes, C. Pich, "Centrality estimation in large networks", Int. J.
   Bifurcation and Chaos 17(7) (2007).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import polars as pl
import scipy.sparse as sp

from ringlens.detect._common import check_int, check_str_list
from ringlens.exceptions import InputError
from ringlens.graph.core import unique_sorted

if TYPE_CHECKING:  # pragma: no cover
    from ringlens.graph import EventGraph

log = logging.getLogger(__name__)

__all__ = [
    "SIGNIFICANCE_CAP",
    "NEW_ACCOUNT_APART",
    "BlockTest",
    "binomial_log10_sf",
    "fresh_beyond_chance",
    "block_significance",
    "ring_significance",
    "member_contrast",
    "targets_beyond_chance",
    "RingStructure",
    "ring_structure",
]

#: Largest reported significance (``-log10 p``): ``10 ** -300`` is still a normal float.
SIGNIFICANCE_CAP = 300.0


def binomial_log10_sf(
    k: np.ndarray | Sequence[int], n: np.ndarray | Sequence[int], p: float | np.ndarray
) -> np.ndarray:
    """``log10 P(X >= k)`` for ``X ~ Binomial(n, p)``, vectorised (``p`` one rate or one
    per ``k``): 0 where ``k <= 0``, never below ``-SIGNIFICANCE_CAP`` (``p`` is kept
    inside ``[1e-9, 1 - 1e-9]``, ``n`` at least ``k``).

    Examples
    --------
    >>> np.round(binomial_log10_sf([0, 1, 2], [6, 6, 6], 0.05), 2).tolist()
    [0.0, -0.58, -1.48]
    >>> float(binomial_log10_sf([40], [40], 1e-12)[0])
    -300.0
    """
    from scipy.special import bdtrc

    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    rate = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1.0 - 1e-9)
    tail = np.where(k > 0, bdtrc(np.maximum(k - 1, 0), np.maximum(n, k), rate), 1.0)
    return np.log10(np.maximum(tail, 10.0**-SIGNIFICANCE_CAP))


#: A group's members are new beyond the platform's rate when their ``new_account_lift``
#: (the share of new accounts above the platform's, over the room above it) is at least
#: this (a random group of accounts sits at 0): the ring stage's rule
#: (:mod:`ringlens.rings.core`) and the dense blocks' stand-in for the target contrast.
NEW_ACCOUNT_APART = 0.1


def fresh_beyond_chance(new: int, known: int, rate: float, threshold: float) -> bool:
    """Whether a group with ``new`` new accounts among ``known`` is new beyond the
    platform's ``rate``: by :data:`NEW_ACCOUNT_APART` of the room above it, and more new
    accounts than ``Binomial(known, rate)`` gives at ``-log10 p >= threshold``.

    Examples
    --------
    >>> fresh_beyond_chance(9, 12, 0.1, 2.0), fresh_beyond_chance(2, 12, 0.1, 2.0)
    (True, False)
    """
    if known <= 0 or rate >= 1.0:
        return False
    lift = (new / known - rate) / (1.0 - rate)
    sig = -float(binomial_log10_sf([new], [known], rate)[0])
    return lift >= NEW_ACCOUNT_APART and sig >= threshold


#: A block that is more than this share of its targets' audience has no audience around
#: it to be the core of: the actor contrast's reference is the configuration model's rate.
OWN_AUDIENCE = 0.5
_LN10 = math.log(10.0)


# ---------------------------------------------------------------------------------------
# the statistics, vectorised over blocks


def _log10_comb(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``log10 C(n, k)`` (0 where ``k <= 0`` or ``k >= n``)."""
    from scipy.special import gammaln

    n = np.asarray(n, dtype=np.float64)
    k = np.clip(np.asarray(k, dtype=np.float64), 0.0, n)
    return (gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)) / _LN10


def _log10_tail(successes: np.ndarray, trials: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """``log10`` of the Chernoff–Hoeffding bound on ``P(X >= successes)``, ``X`` binomial or
    hypergeometric with ``trials`` draws and success ``rate``: ``-n KL(x/n || p) / ln 10``
    above the mean, 0 at or below it (and where there is nothing to test)."""
    from scipy.special import xlogy

    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    p = np.asarray(rate, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(n > 0, x / np.where(n > 0, n, 1.0), 0.0)
        a = np.clip(a, 0.0, 1.0)
        ok = (n > 0) & (a > p) & (p > 0) & (p < 1)
        ps = np.where(ok, p, 0.5)
        kl = xlogy(a, a / ps) + xlogy(1.0 - a, (1.0 - a) / (1.0 - ps))
    return np.where(ok, -n * kl / _LN10, 0.0)


def _shrunk(
    counts: tuple[np.ndarray, np.ndarray], weight: np.ndarray, prior: np.ndarray
) -> np.ndarray:
    """``(x + w p) / (n + w)``: the rate ``x / n`` with ``w`` pseudo-trials at the prior
    rate ``p`` (``p`` itself when there are no trials)."""
    x, n = (np.asarray(a, dtype=np.float64) for a in counts)
    w = np.asarray(weight, dtype=np.float64)
    p = np.asarray(prior, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n + w > 0, (x + w * p) / np.where(n + w > 0, n + w, 1.0), p)


def _reference_rate(
    out: tuple[np.ndarray, np.ndarray],
    fans: tuple[np.ndarray, np.ndarray],
    prior: np.ndarray,
    own: np.ndarray | None = None,
) -> np.ndarray:
    """A contrast's reference rate: the larger of the rate of the block's other users
    (``out``) and that of its other repeat users (``fans``), each with one pseudo-trial at
    the configuration model's rate ``prior`` (so that it is that rate when there are none);
    ``prior`` itself where ``own`` (the block is most of the audience: :func:`_own_audience`)."""
    one = np.ones_like(np.asarray(prior, dtype=np.float64))
    rate = np.maximum(_shrunk(out, one, prior), _shrunk(fans, one, prior))
    return rate if own is None else np.where(own, prior, rate)


def _own_audience(members: np.ndarray, touching: np.ndarray) -> np.ndarray:
    """Where the block's ``members`` are more than :data:`OWN_AUDIENCE` of the ``touching``
    actors (its targets' audience, members included): the few other users are no
    reference for how drawn an audience is (module docs, test 2)."""
    m = np.asarray(members, dtype=np.float64)
    return m > OWN_AUDIENCE * np.asarray(touching, dtype=np.float64)


def _fans(k: np.ndarray) -> np.ndarray:
    """Which of the rows touching C are its *fans* (repeat users): at least two pairs into
    C. Their rate beyond those two hits, ``Σ (k - 2) / Σ (d - 2)``, is the propensity of
    C's repeat users to keep coming back, free of the hits that made them repeat users."""
    return np.asarray(k) >= 2


def _tests(
    *,
    n_rows_total: np.ndarray,
    n_cols_total: np.ndarray,
    n_pairs: np.ndarray,
    r: np.ndarray,
    c: np.ndarray,
    edges: np.ndarray,
    deg_rows: np.ndarray,
    deg_cols: np.ndarray,
    row_in: tuple[np.ndarray, np.ndarray],
    row_out: tuple[np.ndarray, np.ndarray],
    col_in: tuple[np.ndarray, np.ndarray],
    col_out: tuple[np.ndarray, np.ndarray],
    row_fans: tuple[np.ndarray, np.ndarray],
    col_fans: tuple[np.ndarray, np.ndarray],
    rows_touching: np.ndarray,
    cols_touched: np.ndarray,
    own: np.ndarray | None = None,
    own_targets: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The three selection-corrected significances (see the module docs), vectorised.

    ``row_in`` = (Σ (k - 1), Σ (d - 1)) over the block's actors with k >= 1 hits in C;
    ``row_out`` the same over the other actors touching C; ``row_fans`` = (Σ (k - 2),
    Σ (d - 2)) over the other *fans* of C (actors outside R with k >= 2, see
    :func:`_fans`); ``col_*`` the same for targets and R. ``rows_touching`` = actors with a
    pair in C (|N(C)|), ``cols_touched`` = targets with a pair from R (|N(R)|). ``own``:
    where the actor contrast's reference is the configuration model's rate (rings that are
    most of their targets' audience: :func:`_own_audience`; for a detector's blocks, only
    closed islands: :meth:`_MatrixStats.test`); ``own_targets`` the same for the target
    contrast.
    """
    f64 = np.float64
    m = np.asarray(n_pairs, dtype=f64)
    dr = np.asarray(deg_rows, dtype=f64)
    dc = np.asarray(deg_cols, dtype=f64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_c = np.where(m > 0, dc / np.where(m > 0, m, 1.0), 0.0)
        p_r = np.where(m > 0, dr / np.where(m > 0, m, 1.0), 0.0)
    # the contrasts' reference rate: the larger of the rate of C's other users and that of
    # its other repeat users (each with one pseudo-trial at the configuration model's rate,
    # so that it is the configuration model's when there are none)
    q_rows = _reference_rate(row_out, row_fans, p_c, own)
    q_cols = _reference_rate(col_out, col_fans, p_r, own_targets)
    mt = np.asarray(n_rows_total, dtype=f64)
    nt = np.asarray(n_cols_total, dtype=f64)
    shapes = np.log10(np.maximum(mt, 1.0)) + np.log10(np.maximum(nt, 1.0))
    choose_r = _log10_comb(mt, r)
    choose_c = _log10_comb(nt, c)
    # given C (chosen among all targets), R is chosen among the actors touching C, and the
    # hits beyond each actor's first are tested; symmetrically for C given R
    r_in_nc = _log10_comb(np.maximum(rows_touching, r), r)
    c_in_nr = _log10_comb(np.maximum(cols_touched, c), c)
    null_all = -_log10_tail(edges, dr, p_c) - (choose_r + choose_c)
    null_rows = -_log10_tail(row_in[0], row_in[1], p_c) - (choose_c + r_in_nc)
    null_cols = -_log10_tail(col_in[0], col_in[1], p_r) - (choose_r + c_in_nr)
    raw = {
        # three valid tests of the configuration model: the best, Bonferroni for the three
        "sig_null": np.maximum(np.maximum(null_all, null_rows), null_cols)
        - shapes
        - math.log10(3.0),
        "sig_actors": -_log10_tail(row_in[0], row_in[1], q_rows) - (choose_c + r_in_nc + shapes),
        "sig_targets": -_log10_tail(col_in[0], col_in[1], q_cols) - (choose_r + c_in_nr + shapes),
    }
    out = {k: np.clip(v, 0.0, SIGNIFICANCE_CAP) for k, v in raw.items()}
    empty = (np.asarray(r) <= 0) | (np.asarray(c) <= 0)
    for v in out.values():
        v[empty] = 0.0
    out["significance"] = np.minimum(
        np.minimum(out["sig_null"], out["sig_actors"]), out["sig_targets"]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["expected_edges"] = np.where(m > 0, dr * dc / np.where(m > 0, m, 1.0), 0.0)
    return out


# ---------------------------------------------------------------------------------------
# one block of a matrix


@dataclass(frozen=True)
class BlockTest:
    """The significance of one block (see the module docs).

    Attributes
    ----------
    edges : int
        Distinct actor–target pairs inside the block.
    expected_edges : float
        ``d(R) d(C) / m``: the configuration model's mean.
    activity_share, audience_share : float
        ``edges / d(R)``: the share of the actors' pairs that fall in the block; and
        ``edges / d(C)``: the share of the targets' audiences that the actors make up
        (descriptive: a ring's targets are mostly its own, a fandom is a slice of a big
        audience).
    sig_null, sig_actors, sig_targets : float
        Selection-corrected ``-log10 p`` of the configuration-model test and of the two
        contrasts (0 = not significant at any level).
    significance : float
        The smallest of the three: ``-log10`` of the block's p-value, in
        ``[0, SIGNIFICANCE_CAP]``.
    """

    edges: int
    expected_edges: float
    activity_share: float
    audience_share: float
    sig_null: float
    sig_actors: float
    sig_targets: float
    significance: float

    @property
    def p_value(self) -> float:
        """``10 ** -significance``."""
        return float(10.0 ** (-self.significance))


def _binary_csr(matrix: object) -> sp.csr_matrix:
    if sp.issparse(matrix):
        csr = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    elif isinstance(matrix, np.ndarray) and matrix.ndim == 2:
        csr = sp.csr_matrix(matrix.astype(np.float64))
    else:
        raise InputError(
            f"matrix must be a 2-D scipy.sparse matrix or numpy array; got {type(matrix).__name__}"
        )
    csr.sum_duplicates()
    if csr.nnz and (not np.isfinite(csr.data).all() or csr.data.min() < 0):
        raise InputError("matrix entries must be finite and >= 0")
    csr.eliminate_zeros()
    csr.data[:] = 1.0
    return csr


class _MatrixStats:
    """Degrees and the CSC copy of a binary matrix, computed once for many block tests."""

    def __init__(self, binary: sp.csr_matrix) -> None:
        self.csr = binary
        self.csc = binary.tocsc()
        self.deg_r = np.diff(binary.indptr).astype(np.int64)
        self.deg_c = np.diff(self.csc.indptr).astype(np.int64)
        self.m = int(binary.nnz)
        self.n_rows = int(np.count_nonzero(self.deg_r))
        self.n_cols = int(np.count_nonzero(self.deg_c))

    def test(self, rows: np.ndarray, cols: np.ndarray, *, closed: bool = False) -> BlockTest:
        """The block's :class:`BlockTest`; ``closed``: the block is a closed island of
        accounts acting on each other (:func:`ringlens.detect.dense.dense_blocks`), whose
        few other users and other targets are its own accounts the search left out, so
        both contrasts' references are the configuration model's rates."""
        M, N = self.csr.shape
        rows = unique_sorted(np.asarray(rows, dtype=np.int64))
        cols = unique_sorted(np.asarray(cols, dtype=np.int64))
        if rows.size and (rows[0] < 0 or rows[-1] >= M):
            raise InputError(f"block rows must be in [0, {M}); got {rows[0]}..{rows[-1]}")
        if cols.size and (cols[0] < 0 or cols[-1] >= N):
            raise InputError(f"block cols must be in [0, {N}); got {cols[0]}..{cols[-1]}")
        in_r = np.zeros(M, dtype=bool)
        in_r[rows] = True
        in_c = np.zeros(N, dtype=bool)
        in_c[cols] = True
        # k: every row's pairs into C (only rows touching C matter); l: every column's from R
        sub_c = self.csc[:, cols]
        k = np.bincount(sub_c.indices, minlength=M)
        sub_r = self.csr[rows]
        l_ = np.bincount(sub_r.indices, minlength=N)
        e = int(k[rows].sum())
        touch = k > 0
        rin = touch & in_r
        hit = l_ > 0
        cin = hit & in_c
        rout = touch & ~in_r
        rfan = rout & _fans(k)
        cout = hit & ~in_c
        cfan = cout & _fans(l_)
        res = _tests(
            n_rows_total=np.array([self.n_rows]),
            n_cols_total=np.array([self.n_cols]),
            n_pairs=np.array([self.m]),
            r=np.array([rows.size]),
            c=np.array([cols.size]),
            edges=np.array([e]),
            deg_rows=np.array([self.deg_r[rows].sum()]),
            deg_cols=np.array([self.deg_c[cols].sum()]),
            row_in=(np.array([(k[rin] - 1).sum()]), np.array([(self.deg_r[rin] - 1).sum()])),
            row_out=(np.array([(k[rout] - 1).sum()]), np.array([(self.deg_r[rout] - 1).sum()])),
            row_fans=(np.array([(k[rfan] - 2).sum()]), np.array([(self.deg_r[rfan] - 2).sum()])),
            col_in=(np.array([(l_[cin] - 1).sum()]), np.array([(self.deg_c[cin] - 1).sum()])),
            col_out=(np.array([(l_[cout] - 1).sum()]), np.array([(self.deg_c[cout] - 1).sum()])),
            col_fans=(np.array([(l_[cfan] - 2).sum()]), np.array([(self.deg_c[cfan] - 2).sum()])),
            rows_touching=np.array([np.count_nonzero(touch)]),
            cols_touched=np.array([np.count_nonzero(hit)]),
            own=np.array([closed]),
            own_targets=np.array([closed]),
        )
        d_r = int(self.deg_r[rows].sum())
        d_c = int(self.deg_c[cols].sum())
        return BlockTest(
            edges=e,
            expected_edges=float(res["expected_edges"][0]),
            activity_share=e / d_r if d_r else 0.0,
            audience_share=e / d_c if d_c else 0.0,
            sig_null=float(res["sig_null"][0]),
            sig_actors=float(res["sig_actors"][0]),
            sig_targets=float(res["sig_targets"][0]),
            significance=float(res["significance"][0]),
        )


def block_significance(
    matrix: sp.spmatrix | sp.sparray | np.ndarray,
    rows: np.ndarray | list[int],
    cols: np.ndarray | list[int],
) -> BlockTest:
    """Significance of the block ``rows × cols`` of a bipartite matrix, corrected for search.

    The matrix is made binary (a stored entry = one actor–target pair). The block is tested
    against the bipartite configuration model and the two contrasts of the module docs;
    each p-value is multiplied by the number of blocks of the same shape, so the result is
    valid however the block was found.

    Parameters
    ----------
    matrix : scipy.sparse matrix or 2-D numpy array, shape (actors, targets)
    rows, cols : array-like of int
        The block's row and column indices.

    Returns
    -------
    BlockTest

    References
    ----------
    .. [1] A. A. Shabalin et al., "Finding large average submatrices in high dimensional
       data", Ann. Appl. Stat. 3(3) (2009) (the correction for the search).
    .. [2] V. Chvátal, "The tail of the hypergeometric distribution", Discrete Math. 25
       (1979) (the tail bound).

    Examples
    --------
    A 30 × 10 block at density 0.8 in a random background of 3,000 × 500 (two pairs per
    row on average):

    >>> import numpy as np, scipy.sparse as sp
    >>> rng = np.random.default_rng(0)
    >>> bg = sp.random(3000, 500, density=0.004, random_state=1, format="lil")
    >>> bg[:30, :10] = (rng.random((30, 10)) < 0.8).astype(float)
    >>> t = block_significance(bg, np.arange(30), np.arange(10))
    >>> t.edges, round(t.expected_edges, 1), round(t.significance, 1)
    (221, 15.3, 127.1)

    A block of the background is not significant, however it was chosen:

    >>> block_significance(bg, np.arange(100, 140), np.arange(50, 60)).significance
    0.0
    """
    stats = _MatrixStats(_binary_csr(matrix))
    return stats.test(np.asarray(rows), np.asarray(cols))


# ---------------------------------------------------------------------------------------
# rings of a run


def _pairs(
    graph: EventGraph,
    actions: list[str] | None,
    actor_types: list[str] | None,
    target_types: list[str] | None,
) -> pl.DataFrame:
    """Distinct ``src``, ``dst`` pairs of the (filtered) events (remembered with the graph:
    a run's member contrast and ring significance ask for the same ones in turn)."""
    from ringlens.detect.dense import family_pairs

    if actions is None and actor_types is None and target_types is None:
        return graph.edges.select("src", "dst")

    def compute() -> pl.DataFrame:
        rows, cols, mat = family_pairs(
            graph, actions=actions, actor_types=actor_types, target_types=target_types
        )
        return pl.DataFrame(
            {
                "src": pl.Series(np.repeat(rows, np.diff(mat.indptr)), dtype=pl.UInt32),
                "dst": pl.Series(cols[mat.indices], dtype=pl.UInt32),
            }
        )

    key = (
        "significance._pairs",
        *(None if x is None else tuple(x) for x in (actions, actor_types, target_types)),
    )
    pairs: pl.DataFrame = graph.remembered(key, compute)
    return pairs


def _node_ids(graph: EventGraph, frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """``ring_id``, ``node`` for a (``ring_id``, ``key``) frame; unknown keys raise."""
    for col in ("key", "ring_id"):
        if col not in frame.columns:
            raise InputError(f"{name} needs columns 'key' and 'ring_id'; '{col}' is missing")
    if frame.schema["key"] != pl.String:
        raise InputError(f"{name}: column 'key' must hold node keys as strings ('type:id')")
    keyed = frame.select("ring_id", "key").with_row_index("_row")
    found = keyed.join(graph.named_nodes(keyed["key"]), on="key", how="left")
    missing = found.filter(pl.col("node").is_null()).sort("_row")
    if missing.height:
        row = missing.row(0, named=True)
        raise InputError(
            f"{name}: row {row['_row']}: key {row['key']!r} is not a node of the graph "
            "(expected a key 'type:id' of an entity in the events)"
        )
    return found.select("ring_id", "node").unique()


def _check_frames(members: object, targets: object) -> None:
    for name, frame in (("members", members), ("targets", targets)):
        if not isinstance(frame, pl.DataFrame):
            raise InputError(f"{name} must be a polars DataFrame, got {type(frame).__name__}")
        for col in ("key", "ring_id"):
            if col not in frame.columns:
                raise InputError(f"{name} needs columns 'key' and 'ring_id'; '{col}' is missing")
    assert isinstance(members, pl.DataFrame) and isinstance(targets, pl.DataFrame)
    if members.schema.get("ring_id") != targets.schema.get("ring_id"):
        raise InputError(
            "members and targets must have the same 'ring_id' type; got "
            f"{members.schema.get('ring_id')} and {targets.schema.get('ring_id')}"
        )


def ring_significance(
    graph: EventGraph,
    members: pl.DataFrame,
    targets: pl.DataFrame,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    totals: tuple[int, int, int] | None = None,
) -> pl.DataFrame:
    """Significance of each ring's member × target interactions against a degree-preserving null.

    Each ring is the block (its members that act, its targets) of the binary actor × target
    matrix of the (filtered) events, and gets the three tests of the module docs: the
    bipartite configuration model and the two contrasts, each corrected for choosing a
    block of that shape among all actors and targets. Organic clusters of heavy users score
    0 (their concentration is what the degrees, or their community's other members,
    already show); real rings score high. Vectorised over all rings (Polars joins).

    Parameters
    ----------
    graph : EventGraph
    members : polars.DataFrame
        ``key`` (node key ``type:id``), ``ring_id`` (any type): one row per member.
    targets : polars.DataFrame
        ``ring_id``, ``key``: each ring's targets (e.g. what most of its members hit).
    actions, actor_types, target_types : list of str, optional
        Restrict the events (a family, as in :func:`ringlens.detect.lockstep`); by default
        all events count.
    totals : (int, int, int), optional
        The actors, targets and distinct pairs of the whole matrix when ``graph`` holds
        only part of it (whole connected components: a part of a larger run, see
        :class:`ringlens.pipeline.context.RunContext`); by default the graph's own.

    Returns
    -------
    polars.DataFrame
        One row per ring (sorted by ``ring_id``): ``ring_id``, ``n_members`` (members
        that act in the events), ``n_targets`` (targets that are acted on),
        ``observed_edges`` (distinct member–target pairs), ``shared_targets`` (mean
        number of the ring's targets that a pair of its acting members both hit: how much
        the members act together), ``activity_share`` (the share of the members' pairs
        that go to the ring's targets), ``audience_share`` (the share of the targets'
        audiences that the members make up), ``expected_edges`` (the configuration model's mean
        ``d(R) d(C) / m``), ``significance`` (``-log10 p``,
        finite, in ``[0, SIGNIFICANCE_CAP]``; the smallest of the next three),
        ``sig_null``, ``sig_actors``, ``sig_targets`` (Float64).

    Raises
    ------
    InputError
        A key that is not a node of the graph (naming the frame and row), a missing column.

    References
    ----------
    .. [1] M. E. J. Newman, S. H. Strogatz, D. J. Watts, Phys. Rev. E 64, 026118 (2001).
    .. [2] A. A. Shabalin et al., Ann. Appl. Stat. 3(3) (2009).

    Examples
    --------
    Twenty accounts that each review the same five products, in a background where 3,000
    accounts review 200 products at random; and a "ring" of four organic accounts:

    >>> import numpy as np, polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rng = np.random.default_rng(0)
    >>> bg = [(f"u{rng.integers(3000)}", f"p{rng.integers(200)}") for _ in range(9000)]
    >>> ring = [(f"f{i}", f"p{j}") for i in range(20) for j in range(5)]
    >>> ev = pl.DataFrame(bg + ring, schema=["actor_id", "target_id"], orient="row")
    >>> ev = ev.with_columns(actor_type=pl.lit("user"), target_type=pl.lit("product"),
    ...     action=pl.lit("review"), ts=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> g = build_graph(ev)
    >>> members = pl.DataFrame({"key": [f"user:f{i}" for i in range(20)]
    ...                         + ["user:u1", "user:u2", "user:u3", "user:u4"],
    ...                         "ring_id": ["fake"] * 20 + ["organic"] * 4})
    >>> targets = pl.DataFrame({"ring_id": ["fake"] * 5 + ["organic"] * 5,
    ...                         "key": [f"product:p{j}" for j in range(5)] * 2})
    >>> res = ring_significance(g, members, targets)
    >>> res.select("ring_id", "observed_edges", "significance").with_columns(
    ...     pl.col("significance").round(1)).rows()
    [('fake', 100, 47.2), ('organic', 0, 0.0)]
    """
    mem, tgt, pairs = _ring_inputs(graph, members, targets, actions, actor_types, target_types)
    table, (n_rows, n_cols, m), _, _ = _ring_counts(pairs, mem, tgt)
    if totals is not None:
        n_rows, n_cols, m = (int(x) for x in totals)

    res = _table_tests(table, n_rows, n_cols, m)
    out = _ring_frame(table).with_columns(
        pl.Series(name, res[name], dtype=pl.Float64)
        for name in ("expected_edges", "significance", "sig_null", "sig_actors", "sig_targets")
    )
    log.debug("ring_significance: %d rings, %d pairs", out.height, m)
    return out


def targets_beyond_chance(
    graph: EventGraph,
    members: pl.DataFrame,
    *,
    actions: list[str] | None = None,
    totals: tuple[int, int, int] | None = None,
    alpha: float = 0.01,
) -> pl.DataFrame:
    """The targets each ring's members hit far more often than their activity and the
    targets' popularity explain: the ring's own targets, whatever share of it hits each.

    A target ``t`` hit by ``k >= 2`` of a ring's members is tested against the
    configuration model of the (filtered) interactions: the members' ``d(R)`` distinct
    pairs fall on ``t`` ``d(R) d(t) / m`` times on average (``d(t)`` its audience, ``m``
    all distinct pairs), ``P(X >= k)`` for ``X ~ Poisson(d(R) d(t) / m)``, Bonferroni-
    corrected over the targets the ring's members hit twice or more, at most ``alpha``.
    A sparse ring — 200 accounts each reviewing a fifth of 30 products — hits each of its
    products 40 times where its activity explains two or three; camouflage on popular
    targets (proportional to their popularity) is what the null expects.

    Parameters
    ----------
    graph, actions, totals
        As in :func:`ring_significance` (``totals``: the whole run's matrix when ``graph``
        is a part of it; only its pair count is used).
    members : polars.DataFrame
        ``key`` (node key), ``ring_id``: one row per member.
    alpha : float, default 0.01

    Returns
    -------
    polars.DataFrame
        ``ring_id``, ``dst`` (target node id, UInt32), ``hits`` (members on it, Int64),
        ``audience`` (accounts on it, members included, Int64),
        ``expected`` and ``significance`` (``-log10`` of the corrected p-value, capped at
        :data:`SIGNIFICANCE_CAP`), the significant targets only, sorted by ring and target.

    Examples
    --------
    Twenty accounts, each reviewing two of ten products (so each product by four of
    them), in a background of 3,000 accounts reviewing 200 products at random:

    >>> import numpy as np, polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rng = np.random.default_rng(0)
    >>> bg = [(f"u{rng.integers(3000)}", f"p{rng.integers(200)}") for _ in range(9000)]
    >>> ring = [(f"f{i}", f"p{(i + j) % 10}") for i in range(20) for j in range(2)]
    >>> ev = pl.DataFrame(bg + ring, schema=["actor_id", "target_id"], orient="row")
    >>> ev = ev.with_columns(actor_type=pl.lit("user"), target_type=pl.lit("product"),
    ...     action=pl.lit("review"), ts=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> g = build_graph(ev)
    >>> found = targets_beyond_chance(g, pl.DataFrame({"key": [f"user:f{i}" for i in range(20)],
    ...     "ring_id": "r"}))
    >>> len(found), found["hits"].to_list() == [4] * 10
    (10, True)
    """
    from scipy.special import pdtrc

    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0.0 < alpha <= 1.0:
        raise InputError(f"alpha: expected a number in (0, 1], got {alpha!r}")
    schema = {
        "ring_id": members.schema.get("ring_id", pl.String),
        "dst": pl.UInt32,
        "hits": pl.Int64,
        "audience": pl.Int64,
        "expected": pl.Float64,
        "significance": pl.Float64,
    }
    empty = pl.DataFrame(schema=schema)
    actions = check_str_list("actions", actions)
    mem = _node_ids(graph, members.select("key", "ring_id"), "members").rename({"node": "src"})
    pairs = _pairs(graph, actions, None, None)
    if mem.height == 0 or pairs.height == 0:
        return empty
    src, dst, size, deg_r, deg_c = _pair_degrees(pairs)
    m = int(totals[2]) if totals is not None else pairs.height
    from_members = pairs.filter(pl.Series(_marked(mem["src"].to_numpy(), size)[src]))
    d_r = mem.join(deg_r, on="src").group_by("ring_id").agg(pl.col("d").sum().alias("dR"))
    hit = (
        _member_hits(from_members, mem, deg_c)
        .rename({"k": "hits"})
        .filter(pl.col("hits") >= 2)
        .join(d_r, on="ring_id")
        .with_columns(
            (pl.col("dR").cast(pl.Float64) * pl.col("d") / max(m, 1)).alias("expected"),
            pl.len().over("ring_id").alias("_tests"),
        )
    )
    if hit.height == 0:
        return empty
    k = hit["hits"].to_numpy().astype(np.float64)
    mu = hit["expected"].to_numpy()
    with np.errstate(divide="ignore"):
        log_p = np.log10(np.maximum(pdtrc(k - 1.0, mu), 1e-300))
    sig = np.clip(-(log_p + np.log10(hit["_tests"].to_numpy())), 0.0, SIGNIFICANCE_CAP)
    return (
        hit.with_columns(pl.Series("significance", sig, dtype=pl.Float64))
        .filter(pl.col("significance") >= -math.log10(alpha))
        .select(
            pl.col("ring_id"),
            pl.col("dst").cast(pl.UInt32),
            "hits",
            pl.col("d").alias("audience"),
            "expected",
            "significance",
        )
        .sort("ring_id", "dst")
    )


def _ring_inputs(
    graph: EventGraph,
    members: pl.DataFrame,
    targets: pl.DataFrame,
    actions: list[str] | None,
    actor_types: list[str] | None,
    target_types: list[str] | None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The checked inputs of a ring test: members (``ring_id, src``), targets
    (``ring_id, dst``) and the distinct pairs of the (filtered) events."""
    from ringlens.graph import EventGraph

    if not isinstance(graph, EventGraph):
        raise InputError(f"ring tests need an EventGraph, got {type(graph).__name__}")
    _check_frames(members, targets)
    actions = check_str_list("actions", actions)
    actor_types = check_str_list("actor_types", actor_types)
    target_types = check_str_list("target_types", target_types)
    mem = _node_ids(graph, members, "members").rename({"node": "src"})
    tgt = _node_ids(graph, targets, "targets").rename({"node": "dst"})
    return mem, tgt, _pairs(graph, actions, actor_types, target_types)


def member_contrast(
    graph: EventGraph,
    members: pl.DataFrame,
    targets: pl.DataFrame,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    totals: tuple[int, int, int] | None = None,
) -> pl.DataFrame:
    """The actor contrast of :func:`ring_significance`, one member at a time: is each member
    drawn to its ring's targets more than the targets' other users are?

    A member with ``k`` of its ``d`` distinct targets among the ring's targets ``C`` is
    tested as the ring is (module docs, test 2): its hits beyond the first, ``k - 1`` out
    of ``d - 1``, against the ring's reference rate (the rate at which ``C``'s other users,
    and its other repeat users, come back to ``C``), with the exact binomial tail. A ring
    member keeps coming back to the ring's targets; a busy account that a community or a
    block took in because it also passed by them (a heavy shopper who bought a few of a
    ring's listings among hundreds of others) is no more drawn to them than their other
    users, and one such member is enough to hide a ring's significance, which pools the
    members' hits.

    There is no correction for the search here: the test serves to let members go, not to
    claim them, so it errs on the side of keeping.

    Parameters
    ----------
    graph, members, targets, actions, actor_types, target_types, totals
        As in :func:`ring_significance`.

    Returns
    -------
    polars.DataFrame
        One row per member (sorted by ``ring_id``, ``key``): ``ring_id``, ``key``,
        ``hits`` (``k``: the member's distinct targets among the ring's, Int64),
        ``degree`` (``d``, Int64), ``reference_rate`` (Float64) and ``significance``
        (``-log10 P(X >= k - 1)``, ``X ~ Binomial(d - 1, reference_rate)``; 0 for a member
        with at most one hit, capped at :data:`SIGNIFICANCE_CAP`).

    Examples
    --------
    Twenty accounts that review the same five products, and a busy organic account that
    also reviewed three of them among 300 others, in a background of 3,000 accounts
    reviewing 400 products at random:

    >>> import numpy as np, polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rng = np.random.default_rng(0)
    >>> bg = [(f"u{rng.integers(3000)}", f"p{rng.integers(400)}") for _ in range(9000)]
    >>> ring = [(f"f{i}", f"p{j}") for i in range(20) for j in range(5)]
    >>> busy = [("busy", f"p{j}") for j in range(3)] + [("busy", f"p{j}") for j in range(100, 400)]
    >>> ev = pl.DataFrame(bg + ring + busy, schema=["actor_id", "target_id"], orient="row")
    >>> ev = ev.with_columns(actor_type=pl.lit("user"), target_type=pl.lit("product"),
    ...     action=pl.lit("review"), ts=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> members = pl.DataFrame({"key": [f"user:f{i}" for i in range(20)] + ["user:busy"],
    ...                         "ring_id": "r"})
    >>> targets = pl.DataFrame({"ring_id": "r", "key": [f"product:p{j}" for j in range(5)]})
    >>> res = member_contrast(build_graph(ev), members, targets)
    >>> res.head(2).select("key", "hits", "degree", pl.col("significance").round(1)).rows()
    [('user:busy', 3, 303, 0.2), ('user:f0', 5, 5, 8.6)]
    """
    from scipy.special import bdtrc

    mem, tgt, pairs = _ring_inputs(graph, members, targets, actions, actor_types, target_types)
    table, (_, _, m), actors, degrees = _ring_counts(pairs, mem, tgt)
    if totals is not None:
        m = int(totals[2])

    def col(name: str) -> np.ndarray:
        return table[name].to_numpy().astype(np.float64)

    prior = col("dC") / m if m > 0 else np.zeros(table.height)
    own = _own_audience(col("r"), col("a_touch"))
    rate = _reference_rate((col("a_xo"), col("a_no")), (col("a_xf"), col("a_nf")), prior, own)
    rates = pl.DataFrame(
        {"ring_id": table["ring_id"], "reference_rate": pl.Series(rate, dtype=pl.Float64)}
    )
    # the members among the actors touching their ring's targets: their pairs into them
    hits = actors.filter(pl.col("inside").fill_null(False)).select(
        "ring_id", "src", pl.col("k").alias("hits")
    )
    out = (
        mem.join(hits, on=["ring_id", "src"], how="left")
        .join(degrees.rename({"d": "degree"}), on="src", how="left")
        .join(rates, on="ring_id", how="left")
        .with_columns(pl.col("hits", "degree").fill_null(0).cast(pl.Int64))
        .join(graph.nodes.select(pl.col("node").alias("src"), "key"), on="src")
    )
    k = out["hits"].to_numpy().astype(np.float64)
    d = out["degree"].to_numpy().astype(np.float64)
    q = np.clip(out["reference_rate"].fill_null(0.0).to_numpy(), 0.0, 1.0)
    tested = (k >= 2) & (q > 0)
    # P(X >= k - 1) = P(X > k - 2); below the smallest float it is the cap
    trials = np.maximum(d - 1, 0).astype(np.int64)
    tail = np.where(tested, bdtrc(np.maximum(k - 2, 0).astype(np.int64), trials, q), 1.0)
    with np.errstate(divide="ignore"):
        sig = np.clip(-np.log10(tail), 0.0, SIGNIFICANCE_CAP) + 0.0  # no -0.0
    sig[(k >= 2) & (q <= 0)] = SIGNIFICANCE_CAP
    return (
        out.with_columns(pl.Series("significance", sig, dtype=pl.Float64))
        .select("ring_id", "key", "hits", "degree", "reference_rate", "significance")
        .sort("ring_id", "key")
    )


def _table_tests(table: pl.DataFrame, n_rows: int, n_cols: int, m: int) -> dict[str, np.ndarray]:
    """The three tests (:func:`_tests`) of every ring of :func:`_ring_counts`' table, in a
    matrix of ``n_rows`` actors, ``n_cols`` targets and ``m`` distinct pairs."""

    def col(name: str) -> np.ndarray:
        return table[name].to_numpy().astype(np.float64)

    return _tests(
        n_rows_total=np.full(table.height, float(n_rows)),
        n_cols_total=np.full(table.height, float(n_cols)),
        n_pairs=np.full(table.height, float(m)),
        r=col("r"),
        c=col("c"),
        edges=col("a_e"),
        deg_rows=col("dR"),
        deg_cols=col("dC"),
        row_in=(col("a_xi"), col("a_ni")),
        row_out=(col("a_xo"), col("a_no")),
        col_in=(col("t_xi"), col("t_ni")),
        col_out=(col("t_xo"), col("t_no")),
        row_fans=(col("a_xf"), col("a_nf")),
        col_fans=(col("t_xf"), col("t_nf")),
        rows_touching=col("a_touch"),
        cols_touched=col("t_touch"),
        own=_own_audience(col("r"), col("a_touch")),
    )


class _RingCounts(NamedTuple):
    """What :func:`_ring_counts` finds: the per-ring ``table`` of :func:`_tests`' sufficient
    statistics, the family's ``(actors, targets, pairs)``, the ``actors`` touching each
    ring's targets (``ring_id, src, k, d, inside``: their pairs into the ring's targets,
    their degree, whether they are members) and every actor's ``degrees`` (``src, d``)."""

    table: pl.DataFrame
    totals: tuple[int, int, int]
    actors: pl.DataFrame
    degrees: pl.DataFrame


def _ring_counts(pairs: pl.DataFrame, mem: pl.DataFrame, tgt: pl.DataFrame) -> _RingCounts:
    """Per ring, the sufficient statistics of :func:`_tests` (Polars joins over all rings at
    once), and the family's actors, targets and pairs."""
    # degrees by counting node ids (no hash group-by over the family's pairs), and each
    # join below sees only the pairs that touch a ring (a boolean lookup per pair first)
    src, dst, size, deg_r, deg_c = _pair_degrees(pairs)
    to_targets = pairs.filter(pl.Series(_marked(tgt["dst"].to_numpy(), size)[dst]))
    from_members = pairs.filter(pl.Series(_marked(mem["src"].to_numpy(), size)[src]))
    rings = pl.concat([mem.select("ring_id"), tgt.select("ring_id")]).unique().sort("ring_id")
    rows = (
        mem.join(deg_r, on="src")
        .group_by("ring_id")
        .agg(pl.len().alias("r"), pl.col("d").sum().alias("dR"))
    )
    cols = (
        tgt.join(deg_c, on="dst")
        .group_by("ring_id")
        .agg(pl.len().alias("c"), pl.col("d").sum().alias("dC"))
    )
    flag_m = mem.with_columns(pl.lit(True).alias("inside"))
    flag_t = tgt.with_columns(pl.lit(True).alias("inside"))
    # actors touching each ring's targets: k = their pairs into C
    k = (
        to_targets.join(tgt, on="dst")
        .group_by("ring_id", "src")
        .agg(pl.len().cast(pl.Int64).alias("k"))
        .join(deg_r, on="src")
        .join(flag_m, on=["ring_id", "src"], how="left")
    )
    # targets hit by each ring's members: l = their pairs from R (named k below too)
    l_ = _member_hits(from_members, mem, deg_c).join(flag_t, on=["ring_id", "dst"], how="left")
    table = (
        rings.join(rows, on="ring_id", how="left")
        .join(cols, on="ring_id", how="left")
        .join(_split(k, "a"), on="ring_id", how="left")
        .join(_split(l_, "t"), on="ring_id", how="left")
        .fill_null(0)
    )
    return _RingCounts(table, (deg_r.height, deg_c.height, pairs.height), k, deg_r)


def _pair_degrees(
    pairs: pl.DataFrame,
) -> tuple[np.ndarray, np.ndarray, int, pl.DataFrame, pl.DataFrame]:
    """``src``, ``dst`` (the pairs' node ids), the size of a node-id lookup table, and
    the actors' and targets' degrees (:func:`_degrees`, by counting node ids: no hash
    group-by over the family's pairs)."""
    src, dst = pairs["src"].to_numpy(), pairs["dst"].to_numpy()
    size = int(max(src.max(), dst.max())) + 1 if src.size else 1
    return src, dst, size, _degrees(src, size, "src"), _degrees(dst, size, "dst")


def _member_hits(
    from_members: pl.DataFrame, mem: pl.DataFrame, deg_c: pl.DataFrame
) -> pl.DataFrame:
    """``ring_id, dst, k, d``: each target the ring's members (``ring_id, src``) hit, with
    ``k`` its pairs from them (``from_members``: the pairs with a member's ``src``) and
    ``d`` its degree."""
    return (
        from_members.join(mem.select("src", "ring_id"), on="src")
        .group_by("ring_id", "dst")
        .agg(pl.len().cast(pl.Int64).alias("k"))
        .join(deg_c, on="dst")
    )


def _degrees(ids: np.ndarray, size: int, name: str) -> pl.DataFrame:
    """``name`` (each distinct id, as ``UInt32``), ``d`` (its count, ``Int64``)."""
    count = np.bincount(ids, minlength=size)
    nz = np.flatnonzero(count)
    return pl.DataFrame(
        {name: pl.Series(nz, dtype=pl.UInt32), "d": pl.Series(count[nz], dtype=pl.Int64)}
    )


def _marked(ids: np.ndarray, size: int) -> np.ndarray:
    """A boolean array of ``size`` that is True at ``ids`` (ids past the end ignored)."""
    out = np.zeros(size, dtype=bool)
    out[ids[ids < size]] = True
    return out


def _split(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """Inside / outside / fan sums of ``k - 1`` and ``d - 1`` per ring (see :func:`_tests`)."""
    inside = pl.col("inside").fill_null(False)
    fan = ~inside & (pl.col("k") >= 2)  # see _fans
    return frame.group_by("ring_id").agg(
        (pl.col("k") - 1).filter(inside).sum().alias(f"{prefix}_xi"),
        (pl.col("d") - 1).filter(inside).sum().alias(f"{prefix}_ni"),
        (pl.col("k") - 1).filter(~inside).sum().alias(f"{prefix}_xo"),
        (pl.col("d") - 1).filter(~inside).sum().alias(f"{prefix}_no"),
        (pl.col("k") - 2).filter(fan).sum().alias(f"{prefix}_xf"),
        (pl.col("d") - 2).filter(fan).sum().alias(f"{prefix}_nf"),
        pl.col("k").filter(inside).sum().alias(f"{prefix}_e"),
        (pl.col("k") * (pl.col("k") - 1)).filter(inside).sum().alias(f"{prefix}_pairs"),
        pl.len().alias(f"{prefix}_touch"),
    )


def _ring_frame(table: pl.DataFrame) -> pl.DataFrame:
    """The descriptive columns of :func:`ring_significance`."""

    def ratio(num: pl.Expr, den: pl.Expr, name: str) -> pl.Expr:
        return pl.when(den > 0).then(num / den).otherwise(0.0).cast(pl.Float64).alias(name)

    r = pl.col("r")
    return table.select(
        "ring_id",
        r.cast(pl.Int64).alias("n_members"),
        pl.col("c").cast(pl.Int64).alias("n_targets"),
        pl.col("a_e").cast(pl.Int64).alias("observed_edges"),
        ratio(pl.col("t_pairs"), r * (r - 1), "shared_targets"),
        ratio(pl.col("a_e"), pl.col("dR"), "activity_share"),
        ratio(pl.col("a_e"), pl.col("dC"), "audience_share"),
    )


# ---------------------------------------------------------------------------------------
# coreness and brokers


@dataclass(frozen=True)
class RingStructure:
    """Core members and brokers of the rings (see :func:`ring_structure`).

    Attributes
    ----------
    members : polars.DataFrame
        One row per (ring, member): ``ring_id``, ``key``, ``coreness`` (Int64: k-core
        number inside the ring's own member × target graph), ``core`` (Boolean: in the
        ring's innermost core, i.e. coreness equal to the ring's largest, when that is
        above 0), ``betweenness``
        (Float64: normalised shortest-path betweenness in the graph of all rings, sampled),
        ``broker`` (Boolean: adjacent to a member or target of another ring). Sorted by
        ``ring_id``, ``key``.
    rings : polars.DataFrame
        One row per ring: ``ring_id``, ``n_members``, ``max_coreness``, ``core_share``
        (share of members in the innermost core), ``n_brokers``, ``max_betweenness``.
    params : dict
    """

    members: pl.DataFrame
    rings: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pl.DataFrame:
        """The :attr:`members` frame."""
        return self.members


def ring_structure(
    graph: EventGraph,
    members: pl.DataFrame,
    targets: pl.DataFrame | None = None,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    sample: int | None = 256,
    cutoff: int | None = None,
    seed: int = 0,
) -> RingStructure:
    """Coreness, betweenness and brokers of ring members.

    * **Coreness** (Batagelj & Zaversnik 2003) of each member inside its ring's own graph
      (the ring's members and targets and the interactions among them, undirected); all
      rings are one igraph call on their disjoint union. The innermost core (``core``)
      holds the members that interact with most of the ring.
    * **Betweenness** in the graph of all rings together, from ``sample`` source vertices
      (Brandes & Pich 2007; exact when None or at least the number of vertices),
      normalised by ``(n - 1)(n - 2) / 2``; ``cutoff`` limits path lengths as in
      :func:`ringlens.detect.betweenness`; the same ``seed``, the same result.
    * **Broker**: a member adjacent to a member or target of another ring.

    ``members``: ``key, ring_id``; ``targets`` (``ring_id, key``) adds the rings' targets;
    the filters restrict the interactions. Returns a :class:`RingStructure`.

    References: Batagelj & Zaversnik, "An O(m) algorithm for cores decomposition of
    networks" (2003); Brandes & Pich, "Centrality estimation in large networks" (2007).

    Examples
    --------
    Two rings of four on their own products; ``a3`` also reviews one of ring B's:

    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rows = [(f"a{i}", p) for i in range(4) for p in ("p1", "p2", "p3")]
    >>> rows += [(f"b{i}", p) for i in range(4) for p in ("q1", "q2", "q3")]
    >>> rows += [("a3", "q1"), ("a0", "x"), ("h", "x")]
    >>> ev = pl.DataFrame(rows, schema=["actor_id", "target_id"], orient="row").with_columns(
    ...     actor_type=pl.lit("user"), target_type=pl.lit("product"), action=pl.lit("review"),
    ...     ts=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> members = pl.DataFrame({"key": [f"user:a{i}" for i in range(4)]
    ...     + [f"user:b{i}" for i in range(4)], "ring_id": ["A"] * 4 + ["B"] * 4})
    >>> targets = pl.DataFrame({"ring_id": ["A"] * 3 + ["B"] * 3,
    ...     "key": [f"product:{p}" for p in ("p1", "p2", "p3", "q1", "q2", "q3")]})
    >>> s = ring_structure(build_graph(ev), members, targets)
    >>> s.members.filter(pl.col("ring_id") == "A").select("key", "coreness", "broker").rows()
    [('user:a0', 3, False), ('user:a1', 3, False), ('user:a2', 3, False), ('user:a3', 3, True)]
    >>> s.rings.select("ring_id", "core_share", "n_brokers").rows()
    [('A', 1.0, 1), ('B', 1.0, 0)]
    """
    from ringlens.graph import EventGraph

    if not isinstance(graph, EventGraph):
        raise InputError(f"ring_structure needs an EventGraph, got {type(graph).__name__}")
    if targets is None:
        targets = (
            members.select("ring_id", "key").clear()
            if "ring_id" in members.columns
            else (pl.DataFrame(schema={"ring_id": pl.String, "key": pl.String}))
        )
    _check_frames(members, targets)
    params: dict[str, Any] = {
        "sample": check_int("sample", sample, 1, allow_none=True),
        "cutoff": check_int("cutoff", cutoff, 1, allow_none=True),
        "seed": check_int("seed", seed, 0),
        "actions": check_str_list("actions", actions),
        "actor_types": check_str_list("actor_types", actor_types),
        "target_types": check_str_list("target_types", target_types),
    }
    mem = _node_ids(graph, members, "members").with_columns(pl.lit(True).alias("member"))
    tgt = _node_ids(graph, targets, "targets").with_columns(pl.lit(False).alias("member"))
    # one row per (ring, node); a node that is both member and target counts as member
    ring_nodes = (
        pl.concat([mem, tgt])
        .group_by("ring_id", "node")
        .agg(pl.col("member").any())
        .sort("ring_id", "node")
        .with_row_index("local")
    )
    pairs = _pairs(graph, params["actions"], params["actor_types"], params["target_types"])
    nodes_any = ring_nodes.select("node").unique()
    sub = (
        pairs.join(nodes_any.rename({"node": "src"}), on="src", how="semi")
        .join(nodes_any.rename({"node": "dst"}), on="dst", how="semi")
        .filter(pl.col("src") != pl.col("dst"))
    )
    ring_nodes = _ring_coreness(ring_nodes, sub)
    btw = _ring_betweenness(graph, nodes_any, sub, params)
    out = (
        ring_nodes.filter(pl.col("member"))
        .join(btw, on="node", how="left")
        .join(_brokers(ring_nodes, sub), on=["ring_id", "node"], how="left")
        .with_columns(
            pl.col("broker").fill_null(False),
            pl.col("betweenness").fill_null(0.0),
            (
                (pl.col("coreness") == pl.col("coreness").max().over("ring_id"))
                & (pl.col("coreness") > 0)
            ).alias("core"),
        )
        .select("ring_id", "key", "coreness", "core", "betweenness", "broker")
        .sort("ring_id", "key")
    )
    rings = (
        out.group_by("ring_id")
        .agg(
            pl.len().cast(pl.Int64).alias("n_members"),
            pl.col("coreness").max().alias("max_coreness"),
            pl.col("core").mean().cast(pl.Float64).alias("core_share"),
            pl.col("broker").sum().cast(pl.Int64).alias("n_brokers"),
            pl.col("betweenness").max().alias("max_betweenness"),
        )
        .sort("ring_id")
    )
    return RingStructure(members=out, rings=rings, params=params)


def _ring_coreness(ring_nodes: pl.DataFrame, sub: pl.DataFrame) -> pl.DataFrame:
    """``coreness`` of every (ring, node) inside its own ring's graph: one igraph call on the
    disjoint union of the rings' graphs."""
    import igraph as ig

    rn = ring_nodes.select("ring_id", "node", "local")
    inner = sub.join(rn.rename({"node": "src", "local": "a"}), on="src").join(
        rn.rename({"node": "dst", "local": "b"}), on=["ring_id", "dst"]
    )
    g_in = ig.Graph(
        n=ring_nodes.height,
        edges=zip(inner["a"].to_list(), inner["b"].to_list(), strict=True),
        directed=False,
    )
    g_in.simplify(multiple=True, loops=True)
    return ring_nodes.with_columns(pl.Series("coreness", g_in.coreness(mode="all"), dtype=pl.Int64))


def _ring_betweenness(
    graph: EventGraph, nodes_any: pl.DataFrame, sub: pl.DataFrame, params: dict[str, Any]
) -> pl.DataFrame:
    """``node``, ``key``, normalised (sampled) ``betweenness`` in the graph of all rings."""
    import igraph as ig

    from ringlens.detect.centrality import betweenness

    union = nodes_any.sort("node").with_row_index("u")
    uedges = sub.join(union.rename({"node": "src", "u": "a"}), on="src").join(
        union.rename({"node": "dst", "u": "b"}), on="dst"
    )
    keys = graph.nodes["key"].gather(union["node"].cast(pl.Int64)).to_list()
    node_keys = union.with_columns(pl.Series("key", keys, dtype=pl.String)).select("node", "key")
    n = union.height
    if n == 0:
        return node_keys.with_columns(pl.lit(0.0).alias("betweenness"))
    g_all = ig.Graph(
        n=n, edges=zip(uedges["a"].to_list(), uedges["b"].to_list(), strict=True), directed=False
    )
    g_all.vs["name"] = keys
    btw = betweenness(g_all, cutoff=params["cutoff"], sample=params["sample"], seed=params["seed"])
    norm = (n - 1) * (n - 2) / 2.0
    btw = btw.with_columns(
        (pl.col("betweenness") / norm if norm > 0 else pl.lit(0.0)).alias("betweenness")
    )
    return node_keys.join(btw, on="key", how="left")


def _brokers(ring_nodes: pl.DataFrame, sub: pl.DataFrame) -> pl.DataFrame:
    """``ring_id``, ``node``, ``broker``: members adjacent to a node of another ring."""
    both = pl.concat(
        [
            sub.select(pl.col("src").alias("x"), pl.col("dst").alias("y")),
            sub.select(pl.col("dst").alias("x"), pl.col("src").alias("y")),
        ]
    ).unique()
    memb = ring_nodes.filter(pl.col("member")).select("ring_id", pl.col("node").alias("x"))
    other = ring_nodes.select(pl.col("ring_id").alias("ring_y"), pl.col("node").alias("y"))
    return (
        memb.join(both, on="x")
        .join(other, on="y")
        .filter(pl.col("ring_y") != pl.col("ring_id"))
        .select("ring_id", pl.col("x").alias("node"))
        .unique()
        .with_columns(pl.lit(True).alias("broker"))
    )
