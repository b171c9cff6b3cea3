"""Helpers shared by the detectors: input coercion, igraph's global RNG, parameter checks."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ringlens.exceptions import ConfigError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import igraph

__all__ = [
    "GroupMembers",
    "as_igraph",
    "seeded_igraph",
    "check_int",
    "check_float",
    "filtered_events",
]


class GroupMembers:
    """Accessors shared by the group results of the detectors (lockstep, shared attributes):
    a ``groups`` frame, one row per group, and a ``members`` frame (``group``, ``key``,
    ``role``, …) sorted by group, role, key."""

    groups: pl.DataFrame
    members: pl.DataFrame

    def __len__(self) -> int:
        return self.groups.height

    def to_frame(self) -> pl.DataFrame:
        """The :attr:`members` frame (``group``, ``key``, ``role`` and the per-member count)."""
        return self.members

    def _keys(self, group: int, role: str) -> list[str]:
        return self.members.filter((pl.col("group") == group) & (pl.col("role") == role))[
            "key"
        ].to_list()

    def actors(self, group: int) -> list[str]:
        """Sorted actor keys of one group."""
        return self._keys(group, "actor")


@contextlib.contextmanager
def seeded_igraph(seed: int) -> Iterator[None]:
    """Run igraph's randomised code with a private ``random.Random(seed)``.

    igraph's random number generator is global to the process; it is set to a fresh
    generator seeded with ``seed`` for the duration of the block and then restored to
    igraph's default (the :mod:`random` module), so the same input and seed give the same
    result whatever ran before, and the caller's :mod:`random` state is left alone.
    """
    import igraph as ig

    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def check_int(name: str, value: object, minimum: int, *, allow_none: bool = False) -> int | None:
    """Validate an integer parameter; raise :class:`ConfigError` naming it."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        extra = " or None" if allow_none else ""
        raise ConfigError(f"{name} must be an integer >= {minimum}{extra}, got {value!r}")
    return int(value)


def check_float(
    name: str, value: object, *, low: float, high: float | None = None, low_open: bool = False
) -> float:
    """Validate a float parameter within ``[low, high]`` (``(low, high]`` if ``low_open``)."""
    ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if ok:
        v = float(value)  # type: ignore[arg-type]
        ok = np.isfinite(v) and (v > low if low_open else v >= low) and (high is None or v <= high)
    if not ok:
        lo = f"> {low}" if low_open else f">= {low}"
        hi = "" if high is None else f" and <= {high}"
        raise ConfigError(f"{name} must be a number {lo}{hi}, got {value!r}")
    return float(value)  # type: ignore[arg-type]


def as_igraph(graph: Any, *, directed: bool = False, mutable: bool = False) -> igraph.Graph:
    """An igraph graph with a ``name`` vertex attribute (node keys) and a ``weight`` edge attribute.

    Accepts a :class:`~ringlens.graph.Projection` (undirected, weight = shared targets), an
    :class:`~ringlens.graph.EventGraph` (weight = event count; undirected unless
    ``directed``, with the two directions of a pair summed into one edge) or an
    ``igraph.Graph`` that has a ``name`` vertex attribute (edges without a ``weight``
    attribute count 1). The graph passed in is never modified: an ``igraph.Graph`` that
    already has both attributes (and the wanted direction) is returned as it is, to be
    read, not changed (copying 750k edges with their attributes costs 0.09 s, an eighth
    of a Louvain run); a caller that changes the result passes ``mutable=True`` and gets a
    copy.
    """
    import igraph as ig

    from ringlens.graph import EventGraph, Projection

    if isinstance(graph, Projection):
        g = graph.to_igraph()
        return g.as_directed(mode="mutual") if directed else g
    if isinstance(graph, EventGraph):
        return graph.to_igraph(directed=directed)
    if isinstance(graph, ig.Graph):
        if graph.vcount() and "name" not in graph.vs.attributes():
            raise InputError(
                "igraph.Graph input needs a 'name' vertex attribute holding node keys ('type:id')"
            )
        named = "name" in graph.vs.attributes()  # only an empty graph may lack it (above)
        weighted = "weight" in graph.es.attributes()
        collapse = graph.is_directed() and not directed
        if named and weighted and not collapse and not mutable:
            return graph
        g = graph.copy()
        if not named:
            g.vs["name"] = []
        if not weighted:
            g.es["weight"] = [1.0] * g.ecount()
        if collapse:
            g = g.as_undirected(mode="collapse", combine_edges={"weight": "sum"})
        return g
    raise InputError(
        f"expected an EventGraph, a Projection or an igraph.Graph, got {type(graph).__name__}"
    )


def filtered_events(
    graph: Any,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
) -> pl.DataFrame:
    """The graph's events (``src``, ``dst``, ``action``, ``ts``) restricted by action and types."""
    ev = graph.events.select("src", "dst", "action", "ts")
    if actions is not None:
        ev = ev.filter(pl.col("action").is_in(list(actions)))
    types = graph.nodes.select("node", "node_type")
    if actor_types is not None:
        keep = types.filter(pl.col("node_type").is_in(list(actor_types))).select(
            pl.col("node").alias("src")
        )
        ev = ev.join(keep, on="src", how="semi")
    if target_types is not None:
        keep = types.filter(pl.col("node_type").is_in(list(target_types))).select(
            pl.col("node").alias("dst")
        )
        ev = ev.join(keep, on="dst", how="semi")
    return ev


def check_str_list(name: str, value: object) -> list[str] | None:
    """``None`` or a non-empty list/tuple of strings (a bare string is one item)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{name} must be None or a non-empty list of strings, got {value!r}")
