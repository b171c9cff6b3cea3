"""Each ring's structure: its core members and the brokers between rings."""

from __future__ import annotations

import polars as pl

from ringlens.detect.significance import ring_structure
from ringlens.pipeline.registry import DetectInput, Detector, Found, register

__all__ = ["RingStructureDetector"]


@register
class RingStructureDetector(Detector):
    """``ring_broker``: a member adjacent to a member or target of another ring (the
    account that connects two rings is where an investigator looks first); the rings get
    ``max_coreness``, ``core_share`` and ``n_brokers`` as features
    (:func:`ringlens.detect.significance.ring_structure`: k-cores inside each ring's own
    member × target graph, Batagelj & Zaversnik 2003).

    Betweenness is left out of the run's outputs: sampled over the graph of all rings it
    depends on the other rings, and a part of a run (the Spark engine) must give the same
    features as the whole."""

    name = "ring_structure"
    stage = "rings"
    order = 20
    reasons = ("ring_broker",)

    def detect(self, inp: DetectInput) -> Found:
        assert inp.membership is not None
        if inp.membership.height == 0 or inp.rings is None:
            return Found()
        # the targets the ring's detectors named: a target only the test beyond chance
        # added is reported, not followed (a popular item is not a bridge between rings)
        if inp.ring_targets is not None:
            targets = inp.ring_targets.select("ring_id", "key")
        elif "targets" in inp.rings.columns:
            targets = (
                inp.rings.select("ring_id", pl.col("targets").alias("key"))
                .explode("key")
                .drop_nulls()
            )
        else:
            targets = None
        with inp.timer("ring structure"):
            s = ring_structure(
                inp.graph,
                inp.membership.select("key", "ring_id"),
                targets,
                seed=inp.config.detect.seed,
            )
        brokers = s.members.filter(pl.col("broker")).select(
            "key", pl.lit("ring_broker").alias("reason"), pl.lit(1.0).alias("strength")
        )
        return Found(
            signals=brokers,
            ring_features=s.rings.select("ring_id", "max_coreness", "core_share", "n_brokers"),
        )
