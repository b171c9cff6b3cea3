"""Detectors: communities, centrality, dense blocks, lockstep, shared attributes.

Each detector takes an :class:`~ringlens.graph.EventGraph`, a
:class:`~ringlens.graph.Projection` or a matrix and returns Polars frames keyed by node key
(``type:id``); see ``docs/internals.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

from ringlens.detect._common import filtered_events, seeded_igraph
from ringlens.detect.centrality import (
    betweenness,
    coreness,
    degree,
    pagerank,
    personalized_pagerank,
)
from ringlens.detect.communities import (
    Communities,
    SignificantCommunities,
    connected_components,
    leiden,
    louvain,
    significant_communities,
)
from ringlens.detect.lockstep import (
    LOCKSTEP_PRESETS,
    LockstepGroups,
    MultiscaleLockstepGroups,
    lockstep,
    lockstep_multiscale,
    lockstep_windows,
)
from ringlens.detect.shared import (
    SharedAttributeGroups,
    SharedTargetGroups,
    shared_attributes,
    shared_targets,
)

__all__ = [
    "filtered_events",
    "seeded_igraph",
    # communities
    "Communities",
    "leiden",
    "louvain",
    "connected_components",
    "SignificantCommunities",
    "significant_communities",
    # centrality
    "degree",
    "pagerank",
    "personalized_pagerank",
    "coreness",
    "betweenness",
    # lockstep
    "LockstepGroups",
    "LOCKSTEP_PRESETS",
    "lockstep",
    "MultiscaleLockstepGroups",
    "lockstep_multiscale",
    "lockstep_windows",
    # shared attributes and targets
    "SharedAttributeGroups",
    "shared_attributes",
    "SharedTargetGroups",
    "shared_targets",
    # dense blocks (ringlens.detect.dense and .audience, imported on first use)
    "fraudar",
    "DenseBlock",
    "DenseBlocks",
    "dense_blocks",
    "DenseBlockGroups",
    "audience_blocks",
    # significance against a null model (ringlens.detect.significance, on first use)
    "block_significance",
    "ring_significance",
    "ring_structure",
]

_LAZY = {
    "fraudar": "ringlens.detect.dense",
    "DenseBlock": "ringlens.detect.dense",
    "DenseBlocks": "ringlens.detect.dense",
    "dense_blocks": "ringlens.detect.dense",
    "DenseBlockGroups": "ringlens.detect.dense",
    "audience_blocks": "ringlens.detect.audience",
    "block_significance": "ringlens.detect.significance",
    "ring_significance": "ringlens.detect.significance",
    "ring_structure": "ringlens.detect.significance",
}


def __getattr__(name: str) -> Any:
    """Import the dense-block and significance names on first access."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
