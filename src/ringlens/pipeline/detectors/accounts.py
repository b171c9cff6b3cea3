"""Account facts from the entities table: new accounts and prior violations."""

from __future__ import annotations

from typing import Any

from ringlens.pipeline.registry import DetectInput, Detector, Found, register
from ringlens.pipeline.signals import new_account, prior_violations

__all__ = ["AccountFacts"]


@register
class AccountFacts(Detector):
    """``new_account`` and ``prior_violations`` (:mod:`ringlens.pipeline.signals`)."""

    name = "account_facts"
    order = 40
    reasons = ("new_account", "prior_violations")

    def detect(self, inp: DetectInput) -> Found:
        ent = inp.entities
        if ent is None or ent.height == 0:
            return Found()
        ctx = inp.context
        first: Any = (
            ctx.first_ts
            if ctx is not None and ctx.first_ts is not None
            else inp.graph.events["ts"].min()
        )
        nodes = inp.graph.nodes
        return Found.concat(
            [
                Found(signals=new_account(ent, nodes=nodes, first_ts=first)),
                Found(signals=prior_violations(ent, nodes=nodes)),
            ]
        )
