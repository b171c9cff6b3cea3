"""Rings: candidates from every detector merged into rings, with features and a pattern."""

from __future__ import annotations

from ringlens.rings.core import (
    CANDIDATE_SCHEMA,
    Rings,
    build_rings,
    merge_candidates,
    ring_features,
)
from ringlens.rings.features import INTERACTION_ROLES
from ringlens.rings.patterns import Catalogue, classify, load_catalogue

__all__ = [
    "CANDIDATE_SCHEMA",
    "Rings",
    "build_rings",
    "merge_candidates",
    "ring_features",
    "Catalogue",
    "INTERACTION_ROLES",
    "classify",
    "load_catalogue",
]
