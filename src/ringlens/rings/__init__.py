"""Rings: candidates from every detector merged into rings, with features and a pattern."""

from __future__ import annotations

from ringlens.rings.core import (
    CANDIDATE_SCHEMA,
    PATTERNS,
    Rings,
    build_rings,
    merge_candidates,
    ring_features,
)

__all__ = [
    "CANDIDATE_SCHEMA",
    "PATTERNS",
    "Rings",
    "build_rings",
    "merge_candidates",
    "ring_features",
]
