"""Community detection on actor projections: Leiden, Louvain, weak components.

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
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from ringlens.detect._common import as_igraph, check_float, check_int, seeded_igraph
from ringlens.exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import igraph

    from ringlens.graph import EventGraph, Projection

log = logging.getLogger(__name__)

__all__ = ["Communities", "leiden", "louvain", "connected_components"]


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
