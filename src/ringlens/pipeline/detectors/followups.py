"""Skewed follow-ups per actor type and target type: a target on which most of the accounts
that took one action came back for a rarer one (a refund after a booking, a review after
an order), beyond targets of its popularity."""

from __future__ import annotations

import polars as pl

from ringlens.detect.followups import skewed_follow_ups
from ringlens.pipeline.detectors._families import (
    interaction_families,
    pooled_by_types,
    significance_strength,
)
from ringlens.pipeline.registry import DetectInput, Detector, Family, Found, group_found, register
from ringlens.rings.expand import WHOLE

__all__ = ["SkewedFollowUps"]


@register
class SkewedFollowUps(Detector):
    """Targets whose accounts took a follow-up of one of their actions far more often than
    targets of the same popularity (:func:`ringlens.detect.followups.skewed_follow_ups`),
    for every actor type and target type with two families of interactions or more: seven
    guests who book a listing and ask for a refund days later share nothing, act weeks
    apart and make no block, but seven refunds among nine bookings is beyond any listing's
    peers. What links a group is the one target the test saw (a listing has other guests),
    so its candidates are kept whole (:data:`ringlens.rings.expand.WHOLE`)."""

    name = "skewed_follow_ups"
    order = 35
    reasons = ("skewed_follow_ups",)
    proposes_rings = True

    def families(self, inp: DetectInput) -> list[Family]:
        """One family per (actor type, target type) holding two families of interactions
        or more (on no shared attribute): all their actions, whose pairs the detector
        reads as a lead and its follow-up."""
        return [f for f in pooled_by_types(interaction_families(inp)) if len(f.actions or ()) >= 2]

    def detect(self, inp: DetectInput) -> Found:
        parts = []
        n = 0
        d = inp.config.detect
        with inp.timer("skewed follow-ups (families)"):
            for i, fam in enumerate(self.families(inp)):
                res = skewed_follow_ups(
                    inp.graph,
                    actions=list(fam.actions or ()),
                    actor_types=list(fam.actor_types or ()),
                    target_types=list(fam.target_types or ()),
                    min_actors=d.lockstep_min_actors,
                )
                n += len(res)
                parts.append(
                    group_found(
                        res,
                        self.name,
                        f"{WHOLE}f{i}/",
                        significance_strength(pl.col("significance")),
                        "skewed_follow_ups",
                    )
                )
        return Found.concat([*parts, Found(counts={self.name: n})])
