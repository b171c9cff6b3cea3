"""Risk scores with reasons, the learnt variant, and policies mapping risk to action."""

from __future__ import annotations

from ringlens.risk.model import (
    DEFAULT_WEIGHTS,
    SIGNAL_SCHEMA,
    RiskModel,
    score_entities,
    score_rings,
)
from ringlens.risk.policy import ACTIONS, Policy, apply_policy, load_policy, queue_item_id

__all__ = [
    "ACTIONS",
    "DEFAULT_WEIGHTS",
    "SIGNAL_SCHEMA",
    "Policy",
    "RiskModel",
    "apply_policy",
    "load_policy",
    "queue_item_id",
    "score_entities",
    "score_rings",
]
