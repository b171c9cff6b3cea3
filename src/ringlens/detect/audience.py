"""Audience blocks: many accounts on a few targets whose audience they make up.

A ring of seventy accounts that each play the same eleven tracks a few times a day for
weeks is a block of density 0.98 that no burst reveals, and both density detectors are
blind to it:

* FRAUDAR (:func:`ringlens.detect.dense.dense_blocks`) maximises the average degree of a
  block, ``edges / (rows + columns)``, which for ``r`` accounts on ``c`` targets at fill
  ``ρ`` is about ``ρ · min(r, c)``: a block eleven targets wide scores at most eleven,
  and the dense core of any organic market with more columns scores higher. The peel
  stops at that core when it fails the test;
* the communities (:func:`ringlens.detect.communities.significant_communities`) pair the
  accounts of every target below a hub cap sized by the work budget; seventy accounts
  put each of their targets above it — the ring makes its own targets hubs.

This module looks from the other side. Two targets are linked when they share more
accounts than their audiences and the accounts' activity explain (Poisson tail of the
configuration model, Bonferroni over the pairs tested — the backbone of
:mod:`ringlens.detect.communities` with the roles of accounts and targets swapped: here
the *accounts* with the most targets are the hubs left out, and the cap is sized by the
same work budget). Leiden groups the linked targets; each group's block is the accounts
that hit at least half of its targets (and at least two), with the group's targets two of
them hit. A block is reported when

* its accounts make up at least half of its targets' audience (``min_audience_share``):
  the targets are theirs, as a ring's are; a genre's or an album's tracks share fans
  with everyone who listens to them;
* its fill is at least ``min_density``;
* it is significant at ``alpha`` by the block test dense blocks use
  (:class:`ringlens.detect.significance.BlockTest`: the configuration model and the two
  contrasts, corrected for the search over blocks of its shape; with ``new_accounts``, a
  block that only the target contrast fails counts when its accounts are fresh, as in
  dense blocks) and a pair of its accounts shares ``min_shared`` of its targets on
  average.

The result is a :class:`ringlens.detect.dense.DenseBlockGroups`, as dense blocks'.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ringlens.detect._common import (
    check_float,
    check_int,
    check_str_list,
    cohit_counts,
    pair_budget_cap,
    poisson_log10_sf,
)
from ringlens.detect.communities import leiden_labels
from ringlens.detect.dense import (
    DenseBlockGroups,
    _block_pairs,
    _family_matrix,
    _Fresh,
    _fresh_judged,
    _freshness,
    _groups,
    _shared_targets,
    _test_columns,
)
from ringlens.detect.significance import _MatrixStats
from ringlens.graph.core import unique_sorted

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from ringlens.graph import Biadjacency, EventGraph

log = logging.getLogger(__name__)

__all__ = ["audience_blocks"]


def audience_blocks(
    graph: EventGraph | Biadjacency,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    alpha: float = 0.01,
    edge_alpha: float = 0.01,
    min_shared: float = 1.0,
    min_actors: int = 5,
    min_density: float = 0.5,
    min_audience_share: float = 0.5,
    max_pairs: int | None = None,
    seed: int = 0,
    new_accounts: list[str] | pl.Series | None = None,
    new_rate: float | None = None,
) -> DenseBlockGroups:
    """Blocks of accounts that make up most of the audience of a few targets they share.

    See the module documentation for the method and why dense blocks and communities
    miss these blocks.

    Parameters
    ----------
    graph : EventGraph or Biadjacency
        The events; or one family's matrix (then no filters).
    actions, actor_types, target_types : list of str, optional
        The family (the platform's own names; None = all).
    alpha, edge_alpha : float, default 0.01
        Significance of a reported block (after the search) and of a link between two
        targets (before Bonferroni over the pairs tested).
    min_shared : float, default 1.0
        Mean number of targets a pair of a block's accounts must share.
    min_actors : int, default 5
        Fewest accounts in a block.
    min_density, min_audience_share : float, default 0.5
        Smallest fill of a block, and smallest share of its targets' audience (distinct
        accounts, summed over the targets) that its accounts make up.
    max_pairs : int, optional
        Work budget of target pairs (None: four per cell of the family); the accounts
        with the most targets are left out of the pairing to stay within it.
    seed : int, default 0
        Seed of Leiden (igraph's generator, restored).
    new_accounts, new_rate : optional
        As in :func:`~ringlens.detect.dense.dense_blocks`: a block that only the target
        contrast fails counts when its accounts are new beyond that rate.

    Returns
    -------
    DenseBlockGroups
        Deterministic: the same events give the same blocks.

    Examples
    --------
    Sixty accounts each play the same eight tracks, which ten organic listeners also play,
    among 3,000 listeners with Pareto activity over 2,000 tracks; and the same without
    them:

    >>> import numpy as np, polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rng = np.random.default_rng(2)
    >>> k = np.minimum(rng.pareto(1.2, 3000) + 2, 300).astype(int)
    >>> users = np.repeat(np.arange(3000), k)
    >>> pop = 1 / np.arange(1, 2001) ** 0.8
    >>> items = rng.choice(2000, users.size, p=pop / pop.sum())
    >>> bg = pl.DataFrame({"actor_id": users.astype(str), "target_id": items.astype(str)})
    >>> ring = pl.DataFrame({"actor_id": [f"r{i}" for i in range(60) for _ in range(8)],
    ...                      "target_id": [f"t{j}" for _ in range(60) for j in range(8)]})
    >>> fans = pl.DataFrame({"actor_id": [str(i) for i in range(10)],
    ...                      "target_id": [f"t{i % 8}" for i in range(10)]})
    >>> kind = dict(actor_type=pl.lit("user"), target_type=pl.lit("track"),
    ...     action=pl.lit("play"), ts=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> res = audience_blocks(build_graph(pl.concat([bg, ring, fans]).with_columns(**kind)))
    >>> res.groups.select("group", "n_actors", "n_targets").rows()
    [(0, 60, 8)]
    >>> all(key.startswith("user:r") for key in res.actors(0))
    True
    >>> len(audience_blocks(build_graph(bg.with_columns(**kind))))
    0
    """
    p = _params(
        actions=actions,
        actor_types=actor_types,
        target_types=target_types,
        alpha=alpha,
        edge_alpha=edge_alpha,
        min_shared=min_shared,
        min_actors=min_actors,
        min_density=min_density,
        min_audience_share=min_audience_share,
        max_pairs=max_pairs,
        seed=seed,
        new_rate=new_rate,
    )
    mat, row_keys, col_keys = _family_matrix(
        graph, p["actions"], p["actor_types"], p["target_types"]
    )
    p.update(n_actors=mat.shape[0], n_targets=mat.shape[1], n_pairs=int(mat.nnz))
    groups = _target_groups(mat, p)
    candidates = _blocks(mat, groups, p)
    found, tested = _test(mat, candidates, p, _freshness(new_accounts, p["new_rate"], row_keys))
    log.info("audience_blocks: %d of %d blocks significant", len(found), len(tested))
    return _groups(mat, found, tested, row_keys, col_keys, p)


def _params(**kw: Any) -> dict[str, Any]:
    return {
        "actions": check_str_list("actions", kw["actions"]),
        "actor_types": check_str_list("actor_types", kw["actor_types"]),
        "target_types": check_str_list("target_types", kw["target_types"]),
        "alpha": check_float("alpha", kw["alpha"], low=0.0, high=1.0, low_open=True),
        "edge_alpha": check_float("edge_alpha", kw["edge_alpha"], low=0.0, high=1.0, low_open=True),
        "min_shared": check_float("min_shared", kw["min_shared"], low=0.0),
        "min_actors": check_int("min_actors", kw["min_actors"], 2),
        "min_density": check_float("min_density", kw["min_density"], low=0.0, high=1.0),
        "min_audience_share": check_float(
            "min_audience_share", kw["min_audience_share"], low=0.0, high=1.0
        ),
        "max_pairs": check_int("max_pairs", kw["max_pairs"], 1, allow_none=True),
        "seed": check_int("seed", kw["seed"], 0),
        "new_rate": None
        if kw["new_rate"] is None
        else check_float("new_rate", kw["new_rate"], low=0.0, high=1.0),
    }


def _target_groups(mat: sp.csr_matrix, p: dict[str, Any]) -> np.ndarray:
    """Leiden's group of each target on the backbone of significantly co-used targets
    (-1: in no group of two or more)."""
    n_a, n_t = mat.shape
    group = np.full(n_t, -1, dtype=np.int64)
    if mat.nnz == 0:
        p.update(max_actor_targets=0, n_target_pairs=0, n_edges=0)
        return group
    coo = mat.T.tocsr().tocoo()  # target-major: cohit_counts needs no sort
    ti, ai = coo.row.astype(np.int64), coo.col.astype(np.int64)
    k = np.bincount(ai, minlength=n_a)  # targets per account
    d = np.bincount(ti, minlength=n_t)  # accounts per target
    # only accounts on two targets or more pair targets; the busiest are left out to fit
    budget = p["max_pairs"] if p["max_pairs"] is not None else 4 * int(mat.nnz)
    cap = pair_budget_cap(k, budget)
    p["max_actor_targets"] = int(cap)
    kept = (k[ai] <= cap) & (k[ai] >= 2) & (d[ti] >= 2)
    t1, t2, c = cohit_counts(ti[kept], ai[kept], n_t, n_a, min_shared=2)
    p["n_target_pairs"] = int(t1.size)
    if t1.size == 0:
        p["n_edges"] = 0
        return group
    # configuration model: a target's accounts each have (k - 1) other targets to hit
    summed = np.bincount(ti, weights=(k[ai] - 1).astype(np.float64), minlength=n_t)
    expected = (d[t2] * summed[t1] + d[t1] * summed[t2]) / (2.0 * mat.nnz)
    lp = poisson_log10_sf(c, expected)
    strict = lp <= math.log10(p["edge_alpha"]) - math.log10(t1.size)
    a, b, w = t1[strict], t2[strict], -lp[strict]
    p["n_edges"] = int(a.size)
    if a.size == 0:
        return group
    used = unique_sorted(np.concatenate([a, b]))
    labels = leiden_labels(
        used.size,
        np.searchsorted(used, a),
        np.searchsorted(used, b),
        w,
        resolution=1.0,
        seed=p["seed"],
    )
    sizes = np.bincount(labels)
    keep = sizes[labels] >= 2
    group[used[keep]] = labels[keep]
    return group


def _blocks(
    mat: sp.csr_matrix, group: np.ndarray, p: dict[str, Any]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each target group's block: the accounts on at least half of its targets (two or
    more) and the group's targets two of them hit; only blocks that can pass the fill
    and audience rules (checked here on the whole block, before the costlier test)."""
    in_group = np.flatnonzero(group >= 0)
    if in_group.size == 0:
        return []
    labels, g = np.unique(group[in_group], return_inverse=True)
    size = np.bincount(g, minlength=labels.size)
    ind = sp.csr_matrix((np.ones(in_group.size), (in_group, g)), shape=(mat.shape[1], labels.size))
    hits = (mat @ ind).tocsc()  # accounts × groups: the group's targets each account hits
    need = np.maximum(2, np.ceil(size / 2.0)).astype(np.int64)
    d = np.bincount(mat.indices, minlength=mat.shape[1])
    out = []
    for j in range(labels.size):
        col = slice(hits.indptr[j], hits.indptr[j + 1])
        rows = hits.indices[col][hits.data[col] >= need[j]]
        if rows.size < p["min_actors"]:
            continue
        cols = in_group[g == j]
        on = np.bincount(_block_pairs(mat, rows, cols)[1], minlength=cols.size)
        cols = cols[on >= 2]
        if cols.size < 2:
            continue
        e = int(on[on >= 2].sum())
        if e < p["min_density"] * rows.size * cols.size:
            continue
        if e < p["min_audience_share"] * d[cols].sum():
            continue
        out.append((np.sort(rows), np.sort(cols)))
    return out


def _test(
    mat: sp.csr_matrix,
    candidates: list[tuple[np.ndarray, np.ndarray]],
    p: dict[str, Any],
    fresh: _Fresh | None = None,
) -> tuple[list[Any], list[dict[str, Any]]]:
    stats = _MatrixStats(mat)
    threshold = -math.log10(p["alpha"])
    found: list[Any] = []
    tested: list[dict[str, Any]] = []
    for rows, cols in sorted(candidates, key=lambda rc: (-rc[0].size * rc[1].size, rc[1][0])):
        t = _fresh_judged(stats.test(rows, cols), rows, threshold, fresh)
        shared = _shared_targets(mat, rows, cols)
        score = t.edges / float(rows.size + cols.size)
        row = {
            "block": len(tested),
            "peel": len(tested),
            "n_actors": int(rows.size),
            "n_targets": int(cols.size),
            "score": score,
            **_test_columns(t, rows, cols, shared),
            "reported": False,
            "group": None,
        }
        if t.significance >= threshold and shared >= p["min_shared"]:
            row.update(reported=True, group=len(found))
            found.append((rows, cols, score, t, shared))
        tested.append(row)
    return found, tested
