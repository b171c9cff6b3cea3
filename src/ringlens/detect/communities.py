"""Community detection on actor projections: Leiden, Louvain, weak components, and the
communities that are rings rather than organic niches (:func:`significant_communities`).

Every function takes a :class:`~ringlens.graph.Projection` (its ``to_igraph()``: weight =
number of shared targets), an :class:`~ringlens.graph.EventGraph` (undirected, weight =
event count) or an ``igraph.Graph`` with a ``name`` vertex attribute, and returns a
:class:`Communities` keyed by node key. Community ids are renumbered deterministically:
``0`` is the largest community, ties broken by the smallest member key, so ids do not
depend on igraph's vertex order.

igraph's ``community_leiden`` defaults to the CPM objective with unit weights; here the
objective and the weights are always passed explicitly (default: modularity, weighted).
igraph's random number generator is global: it is set from ``seed`` for the call and
restored afterwards (see :func:`ringlens.detect._common.seeded_igraph`).

Significant communities
-----------------------

:func:`significant_communities` keeps only the communities that are rings rather than
organic structure. References: Neal, "The backbone of bipartite projections: Inferring
relationships from co-authorship, co-sponsorship, co-attendance and other co-behaviors",
Social Networks 39, 2014; Traag, Waltman & van Eck, "From Louvain to Leiden: guaranteeing
well-connected communities", Scientific Reports 9, 5233, 2019; Radicchi, Castellano,
Cecconi, Loreto & Parisi, "Defining and identifying communities in networks", PNAS 101,
2004; Chung & Lu, "Connected components in random graphs with given expected degree
sequences", Annals of Combinatorics 6, 2002; Kulldorff, "A spatial scan statistic",
Communications in Statistics 26, 1997.

1. **Cells.** The family's distinct (account, target) pairs.
2. **Hub cap, bounded pairs.** A target with audience ``d`` links ``d (d - 1) / 2``
   pairs: a product everyone buys would link everyone. Targets above
   ``max_target_actors`` accounts contribute nothing (a ring is then a small part of
   their audience: its own targets are not those). By default the cap is the largest
   audience at which the pairs to count (among accounts with ``min_shared`` targets
   or more) stay within ``max_pairs``, by default four per cell: the work is linear
   in the data whatever its skew. The cap used is in ``params``.
3. **Surprise over popularity.** Two accounts ``a``, ``b`` that share ``c >=
   min_shared`` targets are compared with the configuration model that keeps every
   account's activity ``k`` and every target's audience ``d``: it expects
   ``E = (k_b D_a + k_a D_b) / (2 M)`` shared targets (``D_a`` the summed audience,
   less ``a``, of ``a``'s targets; ``M`` the cells), so heavy users of popular
   targets are expected to share many. With ``P = P(X >= c)``, ``X ~ Poisson(E)``,
   the pair is *linked* when ``P <= edge_alpha``, and is a *backbone edge*, weighted by
   its surprise ``-log10 P``, when ``P <= edge_alpha / n_pairs`` (Bonferroni over the
   pairs tested, as Neal recommends for backbones). Pairs are counted in C when the
   extension is built (:func:`~ringlens.detect._common.cohit_counts`).
4. **Leiden** (modularity, the surprise weights, ``resolution``, ``seed``) on the
   backbone. The correction keeps the backbone small (a niche's heavy users sharing
   two popular items are linked but no edge) and lets a ring's members, who share
   many targets, stand apart from the niche they hide in. Each community of
   ``min_actors`` or more then takes in the accounts linked to at least half of its
   members that are in no such community (a ring member who shares two of its targets
   with each of the others is linked to them without being an edge). Communities of
   ``min_actors`` or more whose shared targets (two members or more on them) are mostly
   the same (Jaccard at least :data:`SAME_TARGETS`) are parts of one group that Leiden
   cut where member pairs lack an edge, and are joined before the tests: each part has
   the others in its targets' audience and would fail exclusivity.
5. **Tests.** For each community of ``min_actors`` or more, with ``x_t`` members on
   target ``t`` (audience ``d_t``), its targets being those with ``x_t >= 2``:

   * ``n_targets >= min_targets`` (one shared target is a shared interest;
     coordination on one target is lockstep's to find);
   * **pair density** ``>= min_pair_density``: the share of member pairs that are
     linked. A ring's members each share several of its targets with most other
     members; a niche (a market, an interest group) or a fandom holds many members who
     touch a few of its many targets, most pairs sharing none;
   * **exclusivity** ``= sum x_t (x_t - 1) (x_t - 1) / (d_t - 1) / sum x_t (x_t - 1)``
     ``>= min_exclusivity``: over the members' co-interactions, the share of the
     target's other users who are members (0.5: more inside than outside, Radicchi's
     weak community). Power users of popular items, the loyal core of a big host's
     audience, heavy users of a niche share many targets whose audiences are mostly
     other people;
   * **significance**: the block's cells ``e = sum x_t`` against the configuration
     expectation ``mu = K D / M_ctx`` (``K`` the members' activity, ``D`` the targets'
     audience), ``P(X >= e)`` for ``X ~ Poisson(mu)`` times the number of blocks of
     the same shape in the context (``C(accounts, n) C(targets, n_targets)``), at most
     ``alpha``. The context is the group's *market*: the accounts on its targets and
     every target they use, so the bestsellers of a closed niche, which every creator
     of the niche promotes, are compared with that niche. A group that holds half its
     market's cells or more is a world of its own and is compared with the whole data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from ringlens.detect._common import (
    TargetGroups,
    as_igraph,
    check_float,
    check_int,
    check_str_list,
    cohit_counts,
    family_cells,
    filtered_events,
    group_order,
    pair_budget_cap,
    poisson_log10_sf,
    scan_log10_pvalue,
    seeded_igraph,
)
from ringlens.exceptions import ConfigError, InputError
from ringlens.graph.core import alike_sets, compact, component_labels, unique_sorted

if TYPE_CHECKING:  # pragma: no cover
    import igraph

    from ringlens.graph import EventGraph, Projection

log = logging.getLogger(__name__)

__all__ = [
    "Communities",
    "SignificantCommunities",
    "leiden",
    "louvain",
    "connected_components",
    "significant_communities",
    "owned_events",
    "owner_projection",
]


@dataclass(frozen=True)
class Communities:
    """A partition of the nodes of a graph.

    Attributes
    ----------
    membership : polars.DataFrame
        ``key`` (str), ``community`` (Int64): one row per node, sorted by community then key.
        Community ``0`` is the largest; ties are broken by the smallest member key.
    modularity : float
        Newman–Girvan modularity of the partition (weighted if the run was weighted; with
        the run's resolution for ``objective="modularity"``, with resolution 1 otherwise).
    params : dict
        Algorithm and parameters (``algorithm``, ``objective``, ``resolution``,
        ``weights``, ``n_iterations``, ``seed``).
    """

    membership: pl.DataFrame
    modularity: float
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n_communities(self) -> int:
        """Number of communities (singletons included)."""
        return int(self.membership["community"].n_unique()) if self.membership.height else 0

    def to_frame(self) -> pl.DataFrame:
        """``key``, ``community`` (the :attr:`membership` frame)."""
        return self.membership

    def sizes(self) -> pl.DataFrame:
        """``community``, ``size``, sorted by community id (that is, by size descending)."""
        return (
            self.membership.group_by("community")
            .agg(pl.len().cast(pl.Int64).alias("size"))
            .sort("community")
        )

    def members(self, community: int) -> list[str]:
        """Sorted node keys of one community."""
        return self.membership.filter(pl.col("community") == community)["key"].to_list()


def _renumber(keys: list[str], raw: list[int] | np.ndarray) -> pl.DataFrame:
    """Membership frame with ids ordered by size desc, then smallest member key."""
    f = pl.DataFrame(
        {"key": pl.Series(keys, dtype=pl.String), "raw": pl.Series(np.asarray(raw, dtype=np.int64))}
    )
    order = (
        f.group_by("raw")
        .agg(pl.len().alias("size"), pl.col("key").min().alias("first"))
        .sort(["size", "first"], descending=[True, False])
        .with_row_index("community")
        .select("raw", pl.col("community").cast(pl.Int64))
    )
    return f.join(order, on="raw").select("key", "community").sort("community", "key")


def _result(
    g: igraph.Graph, raw: list[int], *, weighted: bool, resolution: float, params: dict[str, Any]
) -> Communities:
    membership = _renumber(g.vs["name"], raw)
    q = float("nan")
    if g.ecount():
        q = float(g.modularity(raw, weights="weight" if weighted else None, resolution=resolution))
    return Communities(membership=membership, modularity=q, params=params)


def leiden(
    graph: Projection | EventGraph | igraph.Graph,
    *,
    objective: Literal["modularity", "cpm"] = "modularity",
    resolution: float = 1.0,
    weights: bool = True,
    n_iterations: int = -1,
    beta: float = 0.01,
    seed: int = 0,
) -> Communities:
    """Communities by the Leiden algorithm.

    Leiden (Traag, Waltman & van Eck, "From Louvain to Leiden: guaranteeing
    well-connected communities", Scientific Reports 9, 5233, 2019) refines Louvain so that
    every community is internally connected.

    Parameters
    ----------
    graph
        A projection, an event graph (taken as undirected) or an ``igraph.Graph`` with a
        ``name`` vertex attribute.
    objective
        ``"modularity"`` (default) or ``"cpm"`` (Constant Potts Model: a community must have
        an internal edge density above ``resolution``; with weights, a weighted density).
    resolution
        Resolution parameter (> 0): higher gives more, smaller communities.
    weights
        Use the ``weight`` edge attribute (shared targets / event counts); else every edge
        counts 1.
    n_iterations
        Leiden iterations; negative runs until an iteration no longer improves the partition.
    beta
        Randomness of the refinement step.
    seed
        Seeds igraph's (global) random number generator for the call; restored afterwards.

    Returns
    -------
    Communities

    Examples
    --------
    >>> import igraph as ig
    >>> g = ig.Graph.Full(4) + ig.Graph.Full(4)
    >>> _ = g.add_edge(0, 4)
    >>> g.vs["name"] = [f"creator:{i}" for i in range(8)]
    >>> c = leiden(g, seed=1)
    >>> c.sizes().rows()
    [(0, 4), (1, 4)]
    >>> c.members(0)
    ['creator:0', 'creator:1', 'creator:2', 'creator:3']
    """
    if objective not in ("modularity", "cpm"):
        raise ConfigError(f"objective must be 'modularity' or 'cpm', got {objective!r}")
    resolution = check_float("resolution", resolution, low=0.0, low_open=True)
    n_iterations = check_int("n_iterations", n_iterations, -(2**31))  # type: ignore[assignment]
    if n_iterations == 0:
        raise ConfigError("n_iterations must be negative (until stable) or >= 1, got 0")
    beta = check_float("beta", beta, low=0.0, low_open=True)
    seed = check_int("seed", seed, 0)  # type: ignore[assignment]
    g = as_igraph(graph)
    params = {
        "algorithm": "leiden",
        "objective": objective,
        "resolution": resolution,
        "weights": bool(weights),
        "n_iterations": n_iterations,
        "beta": beta,
        "seed": seed,
    }
    if g.vcount() == 0:
        return _result(g, [], weighted=weights, resolution=resolution, params=params)
    with seeded_igraph(seed):
        cl = g.community_leiden(
            objective_function="modularity" if objective == "modularity" else "CPM",
            weights="weight" if weights else None,
            resolution=resolution,
            beta=beta,
            n_iterations=n_iterations,
        )
    log.info("leiden: %d nodes, %d edges -> %d communities", g.vcount(), g.ecount(), len(cl))
    return _result(
        g,
        cl.membership,
        weighted=weights,
        resolution=resolution if objective == "modularity" else 1.0,
        params=params,
    )


def louvain(
    graph: Projection | EventGraph | igraph.Graph,
    *,
    resolution: float = 1.0,
    weights: bool = True,
    seed: int = 0,
) -> Communities:
    """Communities by the Louvain (multilevel modularity) algorithm.

    Blondel, Guillaume, Lambiotte & Lefebvre, "Fast unfolding of communities in large
    networks", J. Stat. Mech. P10008 (2008). Prefer :func:`leiden`: Louvain can return
    internally disconnected communities.

    Parameters
    ----------
    graph
        A projection, an event graph (taken as undirected) or an ``igraph.Graph`` with a
        ``name`` vertex attribute.
    resolution
        Modularity resolution (> 0).
    weights
        Use the ``weight`` edge attribute.
    seed
        Seeds igraph's random number generator (vertex order) for the call.

    Examples
    --------
    >>> import igraph as ig
    >>> g = ig.Graph.Full(4) + ig.Graph.Full(4)
    >>> _ = g.add_edge(0, 4)
    >>> g.vs["name"] = [f"creator:{i}" for i in range(8)]
    >>> louvain(g).sizes()["size"].to_list()
    [4, 4]
    """
    resolution = check_float("resolution", resolution, low=0.0, low_open=True)
    seed = check_int("seed", seed, 0)  # type: ignore[assignment]
    g = as_igraph(graph)
    params = {
        "algorithm": "louvain",
        "resolution": resolution,
        "weights": bool(weights),
        "seed": seed,
    }
    if g.vcount() == 0:
        return _result(g, [], weighted=weights, resolution=resolution, params=params)
    with seeded_igraph(seed):
        cl = g.community_multilevel(weights="weight" if weights else None, resolution=resolution)
    log.info("louvain: %d nodes, %d edges -> %d communities", g.vcount(), g.ecount(), len(cl))
    return _result(g, cl.membership, weighted=weights, resolution=resolution, params=params)


def connected_components(graph: Projection | EventGraph | igraph.Graph) -> Communities:
    """Weakly connected components (edge direction ignored); deterministic, no seed.

    Examples
    --------
    >>> import igraph as ig
    >>> g = ig.Graph([(0, 1), (1, 2), (3, 4)])
    >>> g.vs["name"] = ["buyer:a", "buyer:b", "buyer:c", "buyer:d", "buyer:e"]
    >>> connected_components(g).to_frame().rows()
    [('buyer:a', 0), ('buyer:b', 0), ('buyer:c', 0), ('buyer:d', 1), ('buyer:e', 1)]
    """
    g = as_igraph(graph)
    params: dict[str, Any] = {"algorithm": "connected_components"}
    if g.vcount() == 0:
        return _result(g, [], weighted=True, resolution=1.0, params=params)
    cl = g.connected_components(mode="weak")
    return _result(g, cl.membership, weighted=True, resolution=1.0, params=params)


# ---- significant communities: rings, not niches --------------------------------------------


@dataclass(frozen=True)
class SignificantCommunities(TargetGroups):
    """Communities that pass the tests of :func:`significant_communities`.

    Attributes
    ----------
    groups : polars.DataFrame
        One row per significant community: ``group`` (Int64; 0 = most actors, ties by the
        smallest actor key), ``n_actors``, ``n_targets`` (Int64: targets hit by two members
        or more), then Float64: ``pair_density`` (share of the member pairs whose
        co-interaction is significant on its own), ``exclusivity`` (share of the group's
        targets' audience that is the group, over the members' co-interactions),
        ``cohesion`` (mean number of targets a pair of members shares), ``density`` (share
        of the actor × target cells hit), ``lift`` (the block's interactions over their
        configuration-model expectation), ``log10_pvalue`` (corrected for the search, see
        :func:`~ringlens.detect._common.scan_log10_pvalue`) and ``significance``
        (``-log10_pvalue``).
    members : polars.DataFrame
        ``group``, ``key``, ``role`` (``"actor"`` / ``"target"``), ``hits`` (Int64: for an
        actor, the group's targets it hit; for a target, the members that hit it). Sorted
        by group, role, key.
    tested : polars.DataFrame
        Every community of ``min_actors`` or more that was tested: ``community`` (Int64, an
        internal id), the statistics above, ``significant`` (Boolean) and ``rejected``
        (String: the first test it failed, null if none), so that a reader sees which
        organic structures were found and why they were let go.
    params : dict
        The parameters of the run, with the hub cap used (``max_target_actors``) and the
        sizes of the projection (``n_cells``, ``n_pairs``: pairs sharing ``min_shared``
        targets, ``n_edges``: those that are significant).
    """

    groups: pl.DataFrame
    members: pl.DataFrame
    tested: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


_STATS = {
    "n_actors": pl.Int64,
    "n_targets": pl.Int64,
    "pair_density": pl.Float64,
    "exclusivity": pl.Float64,
    "cohesion": pl.Float64,
    "density": pl.Float64,
    "lift": pl.Float64,
    "log10_pvalue": pl.Float64,
}
_TESTED = {
    "community": pl.Int64,
    **_STATS,
    "ctx_actors": pl.Int64,
    "significant": pl.Boolean,
    "rejected": pl.String,
}


def _empty_significant(
    params: dict[str, Any], tested: pl.DataFrame | None = None
) -> SignificantCommunities:
    return SignificantCommunities(
        groups=pl.DataFrame(schema={"group": pl.Int64, **_STATS, "significance": pl.Float64}),
        members=pl.DataFrame(
            schema={"group": pl.Int64, "key": pl.String, "role": pl.String, "hits": pl.Int64}
        ),
        tested=pl.DataFrame(schema=_TESTED) if tested is None else tested,
        params=params,
    )


def significant_communities(
    graph: EventGraph,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    max_target_actors: int | None = None,
    max_pairs: int | None = None,
    min_shared: int = 2,
    edge_alpha: float = 0.01,
    min_actors: int = 5,
    min_targets: int = 2,
    min_pair_density: float = 0.5,
    min_exclusivity: float = 0.5,
    alpha: float = 0.01,
    resolution: float = 1.0,
    seed: int = 0,
) -> SignificantCommunities:
    """Communities of accounts that co-interact far beyond what popularity and activity
    explain: rings, not organic niches.

    A surprise-weighted backbone of the bipartite projection (Neal, Social Networks 39,
    2014), Leiden communities on it (Traag, Waltman & van Eck, Scientific Reports 9, 5233,
    2019), and tests per community: a quasi-clique of linked pairs, a community in
    Radicchi's sense on its own targets (Radicchi et al., PNAS 101, 2004), and a block
    improbable under the configuration model of its market (Chung & Lu, Annals of
    Combinatorics 6, 2002) after paying for the search. The method, step by step, and the
    full references are in the module documentation (*Significant communities*).

    Parameters
    ----------
    graph
        The event graph.
    actions, actor_types, target_types
        The family (lists of the platform's own names; None = all).
    max_target_actors, max_pairs
        Hub cap (targets with a larger audience are left out); None = the largest audience
        whose pairs fit ``max_pairs`` (None = four per cell of the family).
    min_shared, edge_alpha
        Targets two accounts must share, and the tail probability under which they are
        linked (Bonferroni-corrected for a backbone edge).
    min_actors, min_targets, min_pair_density, min_exclusivity, alpha
        The tests: smallest group (>= 2), fewest shared targets, smallest share of member
        pairs that are linked, smallest exclusivity, significance level after the search.
    resolution, seed
        Leiden's modularity resolution (> 0) and the seed of igraph's generator (restored).

    Returns
    -------
    SignificantCommunities

    Examples
    --------
    Twelve accounts buy most of the same five new products; two thousand organic buyers buy a
    few items each from a popular catalogue:

    >>> import numpy as np, polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rng = np.random.default_rng(0)
    >>> ring = [(f"r{i}", f"new{j}") for i in range(12) for j in range(5) if rng.random() < 0.8]
    >>> pop = 1.0 / np.arange(1, 1001)
    >>> organic = [(f"u{i}", f"item{j}") for i in range(2000)
    ...            for j in rng.choice(1000, 5, replace=False, p=pop / pop.sum())]
    >>> ev = pl.DataFrame(ring + organic, schema=["actor_id", "target_id"], orient="row")
    >>> ev = ev.with_columns(actor_type=pl.lit("shopper"), target_type=pl.lit("sku"),
    ...     action=pl.lit("buy"), ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)))
    >>> res = significant_communities(build_graph(ev), actions=["buy"])
    >>> res.groups.select("group", "n_actors", "n_targets").rows()
    [(0, 12, 5)]
    >>> res.targets(0)
    ['sku:new0', 'sku:new1', 'sku:new2', 'sku:new3', 'sku:new4']
    >>> all(k.startswith("shopper:r") for k in res.actors(0))
    True
    >>> bool(res.groups["significance"][0] > 5)
    True
    """
    from ringlens.graph import EventGraph

    if not isinstance(graph, EventGraph):
        raise InputError(f"significant_communities needs an EventGraph, got {type(graph).__name__}")
    p = _significant_params(
        actions=actions,
        actor_types=actor_types,
        target_types=target_types,
        max_target_actors=max_target_actors,
        max_pairs=max_pairs,
        min_shared=min_shared,
        edge_alpha=edge_alpha,
        min_actors=min_actors,
        min_targets=min_targets,
        min_pair_density=min_pair_density,
        min_exclusivity=min_exclusivity,
        alpha=alpha,
        resolution=resolution,
        seed=seed,
    )
    src, dst = family_cells(
        graph, actions=p["actions"], actor_types=p["actor_types"], target_types=p["target_types"]
    )
    bb = _backbone(src, dst, graph.n_nodes, p) if src.size else None
    if bb is None:
        return _empty_significant(p)
    actors, targets, ai, ti, audience, k, pairs, (a, b, w) = bb
    used = unique_sorted(np.concatenate([a, b]))
    la, lb = np.searchsorted(used, a), np.searchsorted(used, b)
    comm = leiden_labels(used.size, la, lb, w, resolution=p["resolution"], seed=p["seed"])
    core_of = np.full(actors.size, -1, dtype=np.int64)
    core_of[used] = comm
    member_of = _expand(core_of, pairs, min_actors=p["min_actors"])
    member_of, core_of = _joined_on_targets(member_of, core_of, ai, ti, min_actors=p["min_actors"])
    tested, cells_in = _community_tests(
        ai, ti, member_of, core_of, pairs, k=k, audience=audience, p=p
    )
    return _significant_result(graph, actors, targets, tested, cells_in, p)


def _significant_params(**kw: Any) -> dict[str, Any]:
    """The validated parameters of :func:`significant_communities` (and the sizes it fills)."""
    p: dict[str, Any] = {
        "actions": check_str_list("actions", kw["actions"]),
        "actor_types": check_str_list("actor_types", kw["actor_types"]),
        "target_types": check_str_list("target_types", kw["target_types"]),
        "max_target_actors": check_int(
            "max_target_actors", kw["max_target_actors"], 2, allow_none=True
        ),
        "max_pairs": check_int("max_pairs", kw["max_pairs"], 1, allow_none=True),
        "min_shared": check_int("min_shared", kw["min_shared"], 1),
        "edge_alpha": check_float("edge_alpha", kw["edge_alpha"], low=0.0, high=1.0, low_open=True),
        "min_actors": check_int("min_actors", kw["min_actors"], 2),
        "min_targets": check_int("min_targets", kw["min_targets"], 1),
        "min_pair_density": check_float(
            "min_pair_density", kw["min_pair_density"], low=0.0, high=1.0
        ),
        "min_exclusivity": check_float("min_exclusivity", kw["min_exclusivity"], low=0.0, high=1.0),
        "alpha": check_float("alpha", kw["alpha"], low=0.0, high=1.0, low_open=True),
        "resolution": check_float("resolution", kw["resolution"], low=0.0, low_open=True),
        "seed": check_int("seed", kw["seed"], 0),
    }
    p.update(n_cells=0, n_pairs=0, n_edges=0)
    return p


def _backbone(
    src: np.ndarray, dst: np.ndarray, n_nodes: int, params: dict[str, Any]
) -> tuple[Any, ...] | None:
    """Steps 2 and 3 of :func:`significant_communities`: the hub cap, the pairs, the linked
    pairs and the backbone edges (``params`` records the cap and the sizes)."""
    max_target_actors, max_pairs = params["max_target_actors"], params["max_pairs"]
    min_shared, edge_alpha = params["min_shared"], params["edge_alpha"]
    actors, ai = compact(src, n_nodes)
    targets, ti = compact(dst, n_nodes)
    audience = np.bincount(ti, minlength=targets.size)
    cap = max_target_actors
    if cap is None:
        # pairs come only from accounts with min_shared targets or more: size the cap on them
        k_all = np.bincount(ai, minlength=actors.size)
        work = np.bincount(ti[k_all[ai] >= min_shared], minlength=targets.size)
        budget = max_pairs if max_pairs is not None else 4 * src.size
        cap = pair_budget_cap(audience, budget, work=work)
    params["max_target_actors"] = int(cap)
    dropped = int(np.count_nonzero(audience > cap))
    if dropped:
        log.info(
            "significant_communities: %d targets above %d accounts left out (hub cap)",
            dropped,
            cap,
        )
    kept = audience[ti] <= cap
    ai, ti = ai[kept], ti[kept]
    params["n_cells"] = int(ai.size)
    if ai.size == 0:
        return None
    k = np.bincount(ai, minlength=actors.size)

    # pairs sharing >= min_shared targets, against the configuration model
    gen = (audience[ti] >= 2) & (k[ai] >= min_shared)
    a, b, c = cohit_counts(ai[gen], ti[gen], actors.size, targets.size, min_shared=min_shared)
    params["n_pairs"] = int(a.size)
    summed = np.bincount(ai, weights=(audience[ti] - 1).astype(np.float64), minlength=actors.size)
    expected = (k[b] * summed[a] + k[a] * summed[b]) / (2.0 * ai.size)
    lp = poisson_log10_sf(c, expected)
    # linked pairs count in the pair-density test; the backbone Leiden partitions holds the
    # pairs significant on their own (Bonferroni over the pairs tested)
    linked = lp <= np.log10(edge_alpha)
    pairs = (a[linked], b[linked])
    strict = lp <= np.log10(edge_alpha) - np.log10(max(a.size, 1))
    a, b, w = a[strict], b[strict], -lp[strict]
    params["n_edges"] = int(a.size)
    log.info(
        "significant_communities: %d cells, hub cap %d, %d pairs, %d linked, %d backbone edges",
        ai.size,
        cap,
        params["n_pairs"],
        pairs[0].size,
        a.size,
    )
    if a.size == 0:
        return None

    return actors, targets, ai, ti, audience, k, pairs, (a, b, w)


def _expand(
    member_of: np.ndarray, pairs: tuple[np.ndarray, np.ndarray], *, min_actors: int
) -> np.ndarray:
    """Add to each community of ``min_actors`` or more the accounts linked to at least
    half of its members that are in no such community. The backbone holds only pairs
    significant on their own; a ring member who shares two of the ring's targets with each
    of the others is linked to them without being an edge, and a part of a ring has the
    ring's other members in its targets' audience (its exclusivity would be halved)."""
    sizes = np.bincount(member_of[member_of >= 0]) if (member_of >= 0).any() else np.zeros(0)
    big = sizes >= min_actors
    if not big.any():
        return member_of
    a = np.concatenate([pairs[0], pairs[1]])
    b = np.concatenate([pairs[1], pairs[0]])
    ca = member_of[a]
    free = (member_of[b] < 0) | ~big[np.maximum(member_of[b], 0)]
    sel = (ca >= 0) & free
    sel[sel] &= big[ca[sel]]
    if not sel.any():
        return member_of
    votes = (
        pl.DataFrame({"b": b[sel], "community": ca[sel]})
        .group_by("b", "community")
        .agg(pl.len().alias("n"))
    )
    votes = (
        votes.with_columns(pl.Series("size", sizes[votes["community"].to_numpy()]))
        .filter(pl.col("n") * 2 >= pl.col("size"))
        .sort("b", "n", "community", descending=[False, True, False])
        .group_by("b", maintain_order=True)
        .first()
    )
    out = member_of.copy()
    out[votes["b"].to_numpy()] = votes["community"].to_numpy()
    return out


#: Two communities whose shared targets (two members or more on them) are mostly the same
#: (Jaccard at least this, two or more in common) are parts of one group.
SAME_TARGETS = 0.5


def _joined_on_targets(
    member_of: np.ndarray,
    core_of: np.ndarray,
    ai: np.ndarray,
    ti: np.ndarray,
    *,
    min_actors: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Communities (and their cores) of ``min_actors`` or more that work on mostly the same
    targets (:data:`SAME_TARGETS`) joined under the smallest label of each connected set.

    Leiden can cut one block in parts: thirty accounts rating the same ten fresh
    listings, sixty percent of the pairs each, leave some member pairs without a
    backbone edge, and the cut falls there. Each part then has the others in its
    targets' audience, its exclusivity a third or a half, and none is tested whole. Joined,
    the group is tested as it is: two organic niches that merely share their targets
    still fail the pair density (their members across the niches are not linked)."""
    placed = member_of >= 0
    if not placed.any():
        return member_of, core_of
    sizes = np.bincount(member_of[placed])
    comm = member_of[ai]
    keep = comm >= 0
    keep[keep] &= sizes[comm[keep]] >= min_actors
    targets = (
        pl.DataFrame({"c": comm[keep], "t": ti[keep]})
        .group_by("c", "t")
        .agg(pl.len().alias("x"))
        .filter(pl.col("x") >= 2)
        .select("c", "t")
    )
    pairs = alike_sets(targets, "c", "t", min_jaccard=SAME_TARGETS)
    if pairs.height == 0:
        return member_of, core_of
    n = int(max(sizes.size, core_of.max(initial=-1) + 1))  # a core may have been taken in
    comp = component_labels(n, pairs["c"].to_numpy(), pairs["c_b"].to_numpy())
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, comp, np.arange(n))  # the smallest label of each joined set
    label = first[comp]
    log.debug("significant_communities: %d communities joined on their targets", pairs.height)

    def relabel(x: np.ndarray) -> np.ndarray:
        out = x.copy()
        on = x >= 0
        out[on] = label[x[on]]
        return out

    return relabel(member_of), relabel(core_of)


def leiden_labels(
    n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, *, resolution: float, seed: int
) -> np.ndarray:
    """Leiden (modularity, explicit weights) on an edge list; the community of each vertex."""
    import igraph as ig

    g = ig.Graph(n=n, edges=zip(a.tolist(), b.tolist(), strict=True), directed=False)
    with seeded_igraph(seed):
        cl = g.community_leiden(
            objective_function="modularity",
            weights=np.asarray(w, dtype=np.float64).tolist(),
            resolution=resolution,
            n_iterations=-1,
        )
    return np.asarray(cl.membership, dtype=np.int64)


def _contexts(
    ai: np.ndarray, ti: np.ndarray, audience: np.ndarray, per_target: pl.DataFrame, big: np.ndarray
) -> pl.DataFrame:
    """Per community in ``big``: the cells, accounts and targets of its market.

    The market of a group is what the people who use the group's targets do: the
    accounts on its targets (``ctx_actors``), every shared target they use
    (``ctx_targets``) and the cells on those (``ctx_cells``). Two sparse products."""
    import scipy.sparse as sp

    shared = audience[ti] >= 2
    n_a, n_t = int(ai.max()) + 1, int(audience.size)
    b = sp.csr_matrix(
        (np.ones(int(shared.sum()), dtype=np.float32), (ai[shared], ti[shared])), shape=(n_a, n_t)
    )
    row = np.searchsorted(big, per_target["community"].to_numpy())
    group_targets = sp.csr_matrix(
        (np.ones(row.size, dtype=np.float32), (row, per_target["t"].to_numpy())),
        shape=(big.size, n_t),
    )
    users = group_targets @ b.T  # communities x accounts on their targets
    users.data[:] = 1.0
    market = users @ b  # communities x targets those accounts use
    market.data[:] = 1.0
    return pl.DataFrame(
        {
            "community": big.astype(np.int64),
            "ctx_cells": np.rint(market @ audience.astype(np.float64)).astype(np.int64),
            "ctx_actors": np.diff(users.indptr).astype(np.int64),
            "ctx_targets": np.diff(market.indptr).astype(np.int64),
        }
    )


def _community_tests(
    ai: np.ndarray,
    ti: np.ndarray,
    member_of: np.ndarray,
    core_of: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray],
    *,
    k: np.ndarray,
    audience: np.ndarray,
    p: dict[str, Any],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The tests of :func:`significant_communities` on the communities of ``min_actors`` or
    more members: (tested, their cells)."""
    min_actors = p["min_actors"]
    placed = member_of >= 0
    sizes = np.bincount(member_of[placed])
    big = np.flatnonzero(sizes >= min_actors)
    if big.size == 0:
        return pl.DataFrame(schema=_TESTED), pl.DataFrame(
            schema={"community": pl.Int64, "a": pl.Int64, "t": pl.Int64}
        )
    # activity and context count the cells on shared targets (audience >= 2) only
    on_shared = audience[ti] >= 2
    k = np.bincount(ai[on_shared], minlength=member_of.size)
    whole = (int(on_shared.sum()), int(np.count_nonzero(k)), int(np.count_nonzero(audience >= 2)))
    ma, mb = member_of[pairs[0]], member_of[pairs[1]]
    same = (ma == mb) & (ma >= 0)
    internal = (
        pl.DataFrame({"community": ma[same]})
        .group_by("community")
        .agg(pl.len().cast(pl.Float64).alias("edges_in"))
    )
    comm = member_of[ai]
    inside = np.isin(comm, big)
    cells = pl.DataFrame({"community": comm[inside], "a": ai[inside], "t": ti[inside]})
    per_target = (
        cells.group_by("community", "t")
        .agg(pl.len().cast(pl.Int64).alias("x"))
        .filter(pl.col("x") >= 2)
    )
    per_target = per_target.with_columns(
        pl.Series("d", audience[per_target["t"].to_numpy()], dtype=pl.Float64)
    )
    # the market is the core's (the Leiden community before it took in linked accounts):
    # a niche's core is a small part of its niche, which the grown group must not become
    core = core_of[ai]
    in_core = np.isin(core, big)
    core_targets = (
        pl.DataFrame({"community": core[in_core], "t": ti[in_core]})
        .group_by("community", "t")
        .agg(pl.len().cast(pl.Float64).alias("x"))
        .filter(pl.col("x") >= 2)
    )
    ctx = (
        _contexts(ai, ti, audience, core_targets, big)
        .with_columns(pl.Series("n_actors", sizes[big].astype(np.int64)))
        .join(
            core_targets.group_by("community").agg(pl.col("x").sum().alias("e_core")),
            on="community",
            how="left",
        )
        .with_columns(pl.col("e_core").fill_null(0.0))
    )
    x = pl.col("x").cast(pl.Float64)
    block = per_target.group_by("community").agg(
        pl.len().cast(pl.Int64).alias("n_targets"),
        (x * (x - 1)).sum().alias("pairs_in"),
        (x * (x - 1) * (x - 1) / (pl.col("d") - 1)).sum().alias("excl_num"),
        x.sum().alias("e"),
        pl.col("d").sum().alias("D"),
    )
    act = np.bincount(member_of[placed], weights=k[placed].astype(np.float64))
    stats = (
        ctx.with_columns(pl.Series("K", act[big], dtype=pl.Float64))
        .join(internal, on="community", how="left")
        .join(block, on="community", how="left")
        .with_columns(
            pl.col("edges_in").fill_null(0.0),
            pl.col("n_targets").fill_null(0),
            pl.col("pairs_in", "excl_num", "e", "D").fill_null(0.0),
        )
    )
    # a community whose core holds at least half of its market's cells is a world of its
    # own: it can only be compared with the whole data
    closed = pl.col("e_core") * 2 >= pl.col("ctx_cells")
    stats = stats.with_columns(
        pl.when(closed).then(pl.lit(whole[0])).otherwise(pl.col("ctx_cells")).alias("ctx_cells"),
        pl.when(closed).then(pl.lit(whole[1])).otherwise(pl.col("ctx_actors")).alias("ctx_actors"),
        pl.when(closed)
        .then(pl.lit(whole[2]))
        .otherwise(pl.col("ctx_targets"))
        .alias("ctx_targets"),
    )
    n = pl.col("n_actors").cast(pl.Float64)
    stats = stats.with_columns(
        (pl.col("edges_in") / (n * (n - 1) / 2)).alias("pair_density"),
        pl.when(pl.col("pairs_in") > 0)
        .then(pl.col("excl_num") / pl.col("pairs_in"))
        .otherwise(0.0)
        .alias("exclusivity"),
        (pl.col("pairs_in") / (n * (n - 1))).alias("cohesion"),
        pl.when(pl.col("n_targets") > 0)
        .then(pl.col("e") / (n * pl.col("n_targets")))
        .otherwise(0.0)
        .alias("density"),
        (pl.col("K") * pl.col("D") / pl.col("ctx_cells").cast(pl.Float64)).alias("mu"),
    ).with_columns(
        pl.when(pl.col("mu") > 0).then(pl.col("e") / pl.col("mu")).otherwise(0.0).alias("lift")
    )
    lp = scan_log10_pvalue(
        stats["e"].to_numpy(),
        stats["mu"].to_numpy(),
        stats["n_actors"].to_numpy(),
        stats["n_targets"].to_numpy(),
        stats["ctx_actors"].to_numpy(),
        stats["ctx_targets"].to_numpy(),
    )
    stats = stats.with_columns(pl.Series("log10_pvalue", lp, dtype=pl.Float64))
    return _verdicts(stats, p), cells


def _verdicts(stats: pl.DataFrame, p: dict[str, Any]) -> pl.DataFrame:
    """The ``tested`` frame: each community's statistics, its first failed test or none."""
    rejected = (
        pl.when(pl.col("n_targets") < p["min_targets"])
        .then(pl.lit("n_targets"))
        .when(pl.col("pair_density") < p["min_pair_density"])
        .then(pl.lit("pair_density"))
        .when(pl.col("exclusivity") < p["min_exclusivity"])
        .then(pl.lit("exclusivity"))
        .when(pl.col("log10_pvalue") > np.log10(p["alpha"]))
        .then(pl.lit("significance"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return (
        stats.with_columns(rejected.alias("rejected"))
        .with_columns(pl.col("rejected").is_null().alias("significant"))
        .select(*_TESTED)
        .sort("community")
    )


def _significant_result(
    graph: EventGraph,
    actors: np.ndarray,
    targets: np.ndarray,
    tested: pl.DataFrame,
    cells: pl.DataFrame,
    params: dict[str, Any],
) -> SignificantCommunities:
    good = tested.filter(pl.col("significant")).select("community")
    log.info(
        "significant_communities: %d of %d communities significant", good.height, tested.height
    )
    if good.height == 0:
        return _empty_significant(params, tested)
    keys = graph.nodes["key"]
    actor_key = keys.gather(pl.Series(actors, dtype=pl.Int64))
    target_key = keys.gather(pl.Series(targets, dtype=pl.Int64))
    cells = cells.join(good, on="community", how="semi")
    core = (
        cells.group_by("community", "t")
        .agg(pl.len().cast(pl.Int64).alias("hits"))
        .filter(pl.col("hits") >= 2)
    )
    hits = (
        cells.join(core.select("community", "t"), on=["community", "t"], how="semi")
        .group_by("community", "a")
        .agg(pl.len().cast(pl.Int64).alias("hits"))
    )
    actor_rows = (
        cells.select("community", "a")
        .unique()
        .join(hits, on=["community", "a"], how="left")
        .with_columns(pl.col("hits").fill_null(0))
    )
    actor_rows = actor_rows.with_columns(actor_key.gather(actor_rows["a"]).alias("key"))
    core = core.with_columns(target_key.gather(core["t"]).alias("key"))
    order = group_order(actor_rows.select(pl.col("community").alias("comp"), "key")).rename(
        {"comp": "community"}
    )
    members = (
        pl.concat(
            [
                actor_rows.select("community", "key", pl.lit("actor").alias("role"), "hits"),
                core.select("community", "key", pl.lit("target").alias("role"), "hits"),
            ]
        )
        .join(order, on="community")
        .select("group", "key", "role", "hits")
        .sort("group", "role", "key")
    )
    groups = (
        tested.join(order, on="community")
        .select("group", *_STATS, (-pl.col("log10_pvalue")).alias("significance"))
        .sort("group")
    )
    return SignificantCommunities(groups=groups, members=members, tested=tested, params=params)


def owned_events(
    graph: EventGraph,
    owner_actions: list[str],
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
) -> pl.DataFrame:
    """A family's events on targets another account owns, with that owner: ``src, dst,
    action, ts, owner`` (node ids).

    A target's owner is the account of its first ownership event (``owner_actions``: the
    post of a reply, the listing of an item; earliest first, then the smallest node id).
    Interactions by the owner itself are left out, and so are those on targets nobody
    owns.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"actor_id": ["a", "b", "a", "b"], "actor_type": "user",
    ...     "target_id": ["p1", "p2", "p2", "p1"], "target_type": "post",
    ...     "action": ["write", "write", "upvote", "upvote"], "ts": t})
    >>> g = build_graph(ev)
    >>> owned = owned_events(g, ["write"], actions=["upvote"])
    >>> [g.keys(list(r)) for r in owned.select("src", "owner", "dst").sort("src").rows()]
    [['user:a', 'user:b', 'post:p2'], ['user:b', 'user:a', 'post:p1']]
    """
    fam = filtered_events(
        graph, actions=actions, actor_types=actor_types, target_types=target_types
    ).select("src", "dst", "action", "ts")
    owner = target_owners(graph, owner_actions)
    if owner.height == 0 or fam.height == 0:
        return fam.clear().with_columns(pl.lit(None, dtype=pl.UInt32).alias("owner"))
    return fam.join(owner, on="dst").filter(pl.col("src") != pl.col("owner"))


def target_owners(graph: EventGraph, owner_actions: list[str]) -> pl.DataFrame:
    """``dst, owner`` (node ids): each owned target's owner, the account of its first
    ownership event (earliest first, then the smallest node id; see :func:`owned_events`)."""
    owned = filtered_events(graph, actions=list(owner_actions)) if owner_actions else None
    if owned is None or owned.height == 0:
        return pl.DataFrame(schema={"dst": graph.events.schema["dst"], "owner": pl.UInt32})
    return (
        owned.select("src", "dst", "ts")
        .sort("ts", "src")
        .unique("dst", keep="first", maintain_order=True)
        .select("dst", pl.col("src").cast(pl.UInt32).alias("owner"))
    )


def owner_projection(graph: EventGraph, owned: pl.DataFrame) -> EventGraph:
    """The :func:`owned_events` of ``graph`` with each target replaced by its owner.

    Accounts that vote on each other's replies share few replies but the same few
    authors: on this account × owner graph a karma farm is a dense block, which
    :func:`significant_communities` finds as it finds any other. The projection is an
    :class:`~ringlens.graph.EventGraph` on the same nodes with one event per account and
    owner (the first; the communities read only who touched whom); ``owned`` says which
    targets a pair went through.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"actor_id": ["a", "b", "a", "b"], "actor_type": "user",
    ...     "target_id": ["p1", "p2", "p2", "p1"], "target_type": "post",
    ...     "action": ["write", "write", "upvote", "upvote"], "ts": t})
    >>> g = build_graph(ev)
    >>> proj = owner_projection(g, owned_events(g, ["write"], actions=["upvote"]))
    >>> [g.keys([s, d]) for s, d in proj.events.select("src", "dst").rows()]
    [['user:a', 'user:b'], ['user:b', 'user:a']]
    """
    from ringlens.graph import EventGraph

    schema = graph.events.select("src", "dst", "action", "ts").schema
    ordered = owned.sort("src", "owner", "ts", pl.col("action").cast(pl.String))
    # each (account, owner) pair's first row: the starts of the sorted pairs' runs
    src, own = ordered["src"].to_numpy(), ordered["owner"].to_numpy()
    first = np.ones(src.size, dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (own[1:] != own[:-1])
    events = (
        ordered.filter(pl.Series(first))
        .select("src", pl.col("owner").alias("dst"), "action", "ts")
        .cast(schema)
    )
    edges = events.select("src", "dst", pl.lit(1, dtype=pl.Int64).alias("count"))
    return EventGraph(nodes=graph.nodes, edges=edges, events=events)
