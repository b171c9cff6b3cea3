"""Personalised PageRank from the confirmed labels: accounts close to confirmed-bad ones."""

from __future__ import annotations

import logging

import polars as pl

from ringlens.detect.centrality import personalized_pagerank
from ringlens.pipeline.registry import DetectInput, Detector, Family, Found, register
from ringlens.pipeline.signals import (
    ACCOUNT_TYPES,
    SIGNAL_SCHEMA,
    account_keys,
    confirmed_seeds,
    near_confirmed_bad,
)

log = logging.getLogger(__name__)

__all__ = ["NearConfirmedBad"]


@register
class NearConfirmedBad(Detector):
    """``near_confirmed_bad``: personalised PageRank from the confirmed labels
    (:func:`ringlens.pipeline.signals.near_confirmed_bad`). In a part of a larger run the
    signals ranked over the whole run come in the context."""

    name = "near_confirmed_bad"
    order = 30
    reasons = ("near_confirmed_bad",)

    def families(self, inp: DetectInput) -> list[Family]:
        return [Family()] if confirmed_seeds(inp.labels, nodes=inp.graph.nodes) else []

    def detect(self, inp: DetectInput) -> Found:
        parts = []
        seeds = confirmed_seeds(inp.labels, nodes=inp.graph.nodes)
        if (
            inp.labels is not None
            and not seeds
            and inp.labels.filter(pl.col("label") == "confirmed").height
        ):
            log.info(
                "labels: no confirmed entity appears in these events; no near_confirmed_bad signal"
            )
        if seeds:
            with inp.timer("personalised pagerank"):
                ppr = personalized_pagerank(inp.graph, seeds=seeds)
            accounts = inp.roles.types("account") or ACCOUNT_TYPES
            ranked = ppr.filter(account_keys(accounts) & ~pl.col("is_seed"))
            near = near_confirmed_bad(ranked, n_accounts=ranked.height)
            parts.append(Found(signals=near, counts={"near_confirmed_bad": near.height}))
        ctx = inp.context
        if ctx is not None and ctx.near_signals is not None and ctx.near_signals.height:
            parts.append(Found(signals=ctx.near_signals.select(SIGNAL_SCHEMA.names())))
        return Found.concat(parts)
