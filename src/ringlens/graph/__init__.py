"""Typed graphs built from events: node index, aggregated edges, bipartite matrix, projections."""

from __future__ import annotations

from ringlens.graph.core import (
    Biadjacency,
    EventGraph,
    Projection,
    build_graph,
    node_key,
    split_key,
)

__all__ = ["EventGraph", "Biadjacency", "Projection", "build_graph", "node_key", "split_key"]
