"""Skewed ratings per family: a target whose raters all gave it the top (or bottom) of the
rating scale, beyond what the platform's targets get."""

from __future__ import annotations

import polars as pl

from ringlens.detect.ratings import skewed_ratings
from ringlens.pipeline.detectors._families import (
    interaction_families,
    significance_strength,
    with_owner_events,
)
from ringlens.pipeline.registry import DetectInput, Detector, Family, Found, group_found, register
from ringlens.rings.expand import WHOLE

__all__ = ["RATED_ROLES", "SkewedRatings"]

#: The action roles whose amounts may be ratings (an unmapped action may be too, when its
#: amounts are a rating scale); a purchase's amounts of a few sizes are quantities.
RATED_ROLES = ("review",)


@register
class SkewedRatings(Detector):
    """Targets whose raters gave one extreme of a rating scale far beyond the family's
    beta-binomial (:func:`ringlens.detect.ratings.skewed_ratings`), in every family of
    interactions whose amounts are a rating scale: a star push or a rating bomb on one
    target, which no pair of accounts and no block shows, the dense blocks of each
    extreme's ratings, and the bursts of an extreme in a window beyond a target's own
    share (a bomb in one evening of a popular kitchen). What links a group is the
    ratings the test saw, not targets it owns (a bombed app has thousands of other users)
    nor the times of its hits, so its candidates are kept whole
    (:data:`ringlens.rings.expand.WHOLE`)."""

    name = "skewed_ratings"
    order = 35
    reasons = ("skewed_ratings",)
    proposes_rings = True

    def families(self, inp: DetectInput) -> list[Family]:
        """The rated families (:func:`_rated`), each with the ownership events of its
        target type by any account (the owners' test reads who owns what: the Spark
        engine's unit of a family holds its owners)."""
        owners = tuple(inp.roles.owner_actions)
        return with_owner_events(_rated(inp), owners) if owners else _rated(inp)

    def detect(self, inp: DetectInput) -> Found:
        parts = []
        n = 0
        d = inp.config.detect
        owners = list(inp.roles.owner_actions) or None
        with inp.timer("skewed ratings (families)"):
            for i, fam in enumerate(_rated(inp)):
                res = skewed_ratings(
                    inp.graph,
                    actions=list(fam.actions or ()),
                    actor_types=list(fam.actor_types or ()),
                    target_types=list(fam.target_types or ()),
                    min_raters=d.lockstep_min_actors,
                    # a host's listings, each rated by a few of one ring: tested together
                    owner_actions=owners,
                )
                n += len(res)
                parts.append(
                    group_found(
                        res,
                        self.name,
                        f"{WHOLE}r{i}/",
                        significance_strength(pl.col("significance")),
                        "skewed_ratings",
                    )
                )
        return Found.concat([*parts, Found(counts={self.name: n})])


def _rated(inp: DetectInput) -> list[Family]:
    """The families of interactions whose action may carry ratings (mapped to
    :data:`RATED_ROLES`, or unmapped): whether their amounts are a rating scale is seen
    in their events."""
    roles = inp.roles.action_role
    return [
        f
        for f in interaction_families(inp)
        if all(roles.get(a) in (None, *RATED_ROLES) for a in f.actions or ())
    ]
