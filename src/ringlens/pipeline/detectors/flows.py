"""Value passed round a loop per payer and payee type (both accounts), over the actions
whose amounts are value: repeated pairs that close into a cycle."""

from __future__ import annotations

import polars as pl

from ringlens.detect.flows import flow_cycles, moves_value
from ringlens.pipeline.detectors._families import (
    interaction_families,
    pooled_by_types,
    significance_strength,
)
from ringlens.pipeline.registry import DetectInput, Detector, Family, Found, group_found, register
from ringlens.rings.expand import WHOLE

__all__ = ["FlowCycles", "VALUE_ROLES"]

#: The action roles that move value between accounts when mapped (unmapped actions may
#: too, when their amounts are value).
VALUE_ROLES = ("gift",)


@register
class FlowCycles(Detector):
    """Accounts that pay one another round a loop, each pair far more often than their
    activity explains (:func:`ringlens.detect.flows.flow_cycles`), over the interactions
    from accounts to accounts whose amounts are value — present on most events
    (:func:`ringlens.detect.flows.moves_value`) and no rating scale — of each payer
    and payee type together. Coins
    passed round eight wallets make no block and no burst; their pairs repeat and close.
    A conversation's messages or a vote's endorsements carry no value and repeat in loops
    by nature; ratings between accounts (drivers and riders) are a scale, not value. What
    links a group is its loop, so its candidates are kept whole
    (:data:`ringlens.rings.expand.WHOLE`)."""

    name = "flow_cycles"
    order = 35
    reasons = ("flow_cycle",)
    proposes_rings = True

    def families(self, inp: DetectInput) -> list[Family]:
        """One family per payer type and payee type (both accounts) holding interactions
        that move value when mapped (:data:`VALUE_ROLES`) or are unmapped: all those
        actions, since value is value whichever action moved it (a loop that pays one hop
        as a tip and the next as a transfer is one loop); whether each one's amounts are
        value is seen in its events."""
        roles, types = inp.roles.action_role, inp.roles.type_role
        return pooled_by_types(
            [
                f
                for f in interaction_families(inp)
                if all(types.get(t) == "account" for t in f.target_types or ())
                and all(roles.get(a) in (None, *VALUE_ROLES) for a in f.actions or ())
            ]
        )

    def detect(self, inp: DetectInput) -> Found:
        parts = []
        n = 0
        with inp.timer("flow cycles (families)"):
            for i, fam in enumerate(self.families(inp)):
                at, tt = list(fam.actor_types or ()), list(fam.target_types or ())
                value = [
                    a
                    for a in fam.actions or ()
                    if moves_value(inp.graph, a, actor_types=at, target_types=tt)
                ]
                if not value:
                    continue
                res = flow_cycles(
                    inp.graph,
                    actions=value,
                    actor_types=at,
                    target_types=tt,
                    min_size=inp.config.detect.min_ring_size,
                )
                n += len(res)
                parts.append(
                    group_found(
                        res,
                        self.name,
                        f"{WHOLE}c{i}/",
                        significance_strength(pl.col("significance")),
                        "flow_cycle",
                    )
                )
        return Found.concat([*parts, Found(counts={self.name: n})])
