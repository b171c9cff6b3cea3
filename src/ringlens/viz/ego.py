"""Ego views: the neighbourhood of one entity, found by a breadth-first search in Polars."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import polars as pl

from ringlens.exceptions import ConfigError, InputError
from ringlens.viz._common import require_columns, require_frame
from ringlens.viz.ring import RingView, _build_view

__all__ = ["ego_view", "ego_subgraph"]

logger = logging.getLogger(__name__)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def ego_subgraph(
    nodes: pl.DataFrame,
    edges: pl.DataFrame,
    *,
    center: str,
    hops: int = 2,
    max_nodes: int = 500,
) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """The capped neighbourhood of ``center``: its nodes, its edges and a note line.

    A breadth-first search over ``edges`` (both directions), one Polars join per hop.
    When more than ``max_nodes`` nodes lie within ``hops``, the nearest are kept first,
    then those joined by the heaviest edge, then the riskiest, then by key; the edges are
    those between kept nodes.

    Parameters
    ----------
    nodes, edges : polars.DataFrame
        As for :func:`ringlens.viz.ring_view` (``key``; ``src``, ``dst``, optional ``weight``).
    center : str
        Node key to start from.
    hops : int
        Largest distance from ``center``, 0 or more.
    max_nodes : int
        Most nodes kept, 1 or more (``center`` is always kept).

    Returns
    -------
    (nodes, edges, note)
        Rows of the input frames (all their columns, plus ``hop`` on the nodes) and a line
        saying what was left out.

    Examples
    --------
    >>> import polars as pl
    >>> nodes = pl.DataFrame({"key": ["a:1", "a:2", "a:3", "a:4"]})
    >>> edges = pl.DataFrame({"src": ["a:1", "a:2", "a:3"], "dst": ["a:2", "a:3", "a:4"]})
    >>> n, e, note = ego_subgraph(nodes, edges, center="a:2", hops=1)
    >>> sorted(n["key"].to_list()), e.height
    (['a:1', 'a:2', 'a:3'], 2)
    >>> note
    '3 nodes within 1 hop of a:2'
    """
    nodes = require_frame(nodes, "nodes")
    edges = require_frame(edges, "edges")
    require_columns(nodes, "nodes", ["key"])
    require_columns(edges, "edges", ["src", "dst"])
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise ConfigError(f"ego_view: hops must be an int >= 0, got {hops!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ConfigError(f"ego_view: max_nodes must be an int >= 1, got {max_nodes!r}")
    if not isinstance(center, str):
        raise InputError(f"ego_view: center must be a node key string, got {center!r}")
    nodes = nodes.with_columns(pl.col("key").cast(pl.String))
    edges = edges.with_columns(pl.col("src").cast(pl.String), pl.col("dst").cast(pl.String))
    if not nodes["key"].eq(center).any():
        raise InputError(f"ego_view: center {center!r} is not a node key in the nodes frame")

    visited = _reach(_undirected(edges), center, hops)
    risk = (
        nodes.select(
            pl.col("key").cast(pl.String),
            pl.col("risk_score").cast(pl.Float64, strict=False).alias("_r"),
        )
        if "risk_score" in nodes.columns
        else nodes.select(pl.col("key").cast(pl.String), pl.lit(None, pl.Float64).alias("_r"))
    )
    ranked = visited.join(
        risk, on="key", how="inner"
    ).sort(  # edges may name keys without a node row
        ["hop", "w", "_r", "key"],
        descending=[False, True, True, False],
        nulls_last=True,
    )
    total_nodes = ranked.height
    kept = ranked.head(max_nodes).select("key", "hop")
    within = ranked.select("key")
    reach_edges = edges.join(within.rename({"key": "src"}), on="src", how="semi").join(
        within.rename({"key": "dst"}), on="dst", how="semi"
    )
    kept_keys = kept.select("key")
    out_edges = reach_edges.join(kept_keys.rename({"key": "src"}), on="src", how="semi").join(
        kept_keys.rename({"key": "dst"}), on="dst", how="semi"
    )
    out_nodes = nodes.drop("hop", strict=False).join(
        kept, on="key", how="inner", maintain_order="right"
    )
    note = _ego_note(
        center,
        hops=hops,
        max_nodes=max_nodes,
        shown_nodes=out_nodes.height,
        total_nodes=total_nodes,
        left_edges=reach_edges.height - out_edges.height,
    )
    logger.debug("ego subgraph of %s: %s", center, note)
    return out_nodes, out_edges, note


def _undirected(edges: pl.DataFrame) -> pl.DataFrame:
    """The edges both ways, ``(a, b, w)`` with ``|weight|`` (1 when missing), no loops."""
    weight = (
        pl.col("weight").cast(pl.Float64, strict=False).fill_nan(None).fill_null(1.0).abs()
        if "weight" in edges.columns
        else pl.lit(1.0)
    )
    pairs = edges.select(
        pl.col("src").cast(pl.String).alias("a"),
        pl.col("dst").cast(pl.String).alias("b"),
        weight.alias("w"),
    ).drop_nulls(["a", "b"])
    return pl.concat([pairs, pairs.select(a="b", b="a", w="w")]).filter(pl.col("a") != pl.col("b"))


def _reach(und: pl.DataFrame, center: str, hops: int) -> pl.DataFrame:
    """Breadth-first search from ``center``, one join per hop: ``(key, hop, w)`` of every
    node within ``hops``, ``w`` the heaviest edge it was reached by."""
    visited = pl.DataFrame(
        {"key": [center], "hop": [0], "w": [float("inf")]},
        schema={"key": pl.String, "hop": pl.Int64, "w": pl.Float64},
    )
    frontier = visited.select("key")
    for hop in range(1, hops + 1):
        reached = (
            frontier.join(und, left_on="key", right_on="a")
            .group_by("b")
            .agg(pl.col("w").max())
            .rename({"b": "key"})
            .join(visited, on="key", how="anti")
            .select("key", pl.lit(hop, pl.Int64).alias("hop"), "w")
        )
        if reached.height == 0:
            break
        visited = pl.concat([visited, reached])
        frontier = reached.select("key")
    return visited


def _ego_note(
    center: str,
    *,
    hops: int,
    max_nodes: int,
    shown_nodes: int,
    total_nodes: int,
    left_edges: int,
) -> str:
    """The line under an ego view: what is shown and what the cap left out."""
    left_nodes = total_nodes - shown_nodes
    within_txt = f"within {_plural(hops, 'hop')} of {center}"
    if left_nodes or left_edges:
        return (
            f"showing {shown_nodes:,} of {_plural(total_nodes, 'node')} {within_txt}; "
            f"{_plural(left_nodes, 'node')} and {_plural(left_edges, 'edge')} left out "
            f"(cap {max_nodes:,}, nearest first)"
        )
    return f"{_plural(total_nodes, 'node')} {within_txt}"


def ego_view(
    nodes: pl.DataFrame,
    edges: pl.DataFrame,
    *,
    center: str,
    hops: int = 2,
    max_nodes: int = 500,
    title: str | None = None,
    evidence: pl.DataFrame | None = None,
    physics: bool = False,
    seed: int = 0,
    ring_links: Mapping[str, str] | None = None,
    report_href: str | None = None,
) -> RingView:
    """View of the neighbourhood of one entity, at most ``max_nodes`` nodes.

    Breadth-first search from ``center`` up to ``hops`` over ``edges`` (in both
    directions, vectorised: one Polars join per hop). When the neighbourhood is larger
    than ``max_nodes``, nearer nodes are kept first, then those with the heaviest edge
    towards the centre, then the riskiest; the page's note says how many nodes and edges
    were left out. The centre is drawn as a star and selected.

    Parameters
    ----------
    nodes, edges : polars.DataFrame
        The whole graph (or any part of it), as for :func:`ringlens.viz.ring_view`.
    center : str
        Node key, e.g. ``"creator:42"``.
    hops : int
        Largest distance from ``center`` (default 2).
    max_nodes : int
        Node cap (default 500).
    title : str, optional
        Defaults to ``"Neighbourhood of <center>"``.
    evidence : polars.DataFrame, optional
        Table shown under the graph.
    physics : bool
        Start with physics on.
    seed : int
        Layout seed.
    ring_links, report_href
        As for :func:`ringlens.viz.ring_view` (links to ring views and to the report).

    Returns
    -------
    RingView
        Its nodes frame gains a ``hop`` column (distance from ``center``), shown in tooltips.

    Raises
    ------
    ringlens.exceptions.InputError
        ``center`` is not a key of ``nodes``.
    ringlens.exceptions.ConfigError
        ``hops`` < 0 or ``max_nodes`` < 1.

    Examples
    --------
    >>> import polars as pl
    >>> nodes = pl.DataFrame({"key": [f"buyer:{i}" for i in range(6)]})
    >>> edges = pl.DataFrame({"src": ["buyer:0"] * 5, "dst": [f"buyer:{i}" for i in range(1, 6)],
    ...                       "weight": [5.0, 4.0, 3.0, 2.0, 1.0]})
    >>> view = ego_view(nodes, edges, center="buyer:0", hops=1, max_nodes=3)
    >>> view.n_nodes, view.n_edges
    (3, 2)
    >>> "3 nodes and 3 edges left out" in view.html()
    True
    >>> ego_view(nodes, edges, center="buyer:99")
    Traceback (most recent call last):
    ...
    ringlens.exceptions.InputError: ego_view: center 'buyer:99' is not a node key in the nodes frame
    """
    sub_nodes, sub_edges, note = ego_subgraph(
        nodes, edges, center=center, hops=hops, max_nodes=max_nodes
    )
    return _build_view(
        sub_nodes,
        sub_edges,
        title=title if title is not None else f"Neighbourhood of {center}",
        evidence=evidence,
        note=note,
        physics=physics,
        seed=seed,
        center=center,
        ring_links=ring_links,
        report_href=report_href,
    )
