"""Dense-block peeling inside each ring: the camouflage-resistant core of its members."""

from __future__ import annotations

import polars as pl

from ringlens.pipeline.registry import DetectInput, Detector, Found, register
from ringlens.rings.expand import dense_cores

__all__ = ["DenseCores"]


@register
class DenseCores(Detector):
    """``dense_block``: FRAUDAR on each ring's member × shared-target matrix
    (:func:`ringlens.rings.expand.dense_cores`)."""

    name = "dense_cores"
    stage = "rings"
    order = 10
    reasons = ("dense_block",)

    def detect(self, inp: DetectInput) -> Found:
        assert inp.membership is not None
        with inp.timer("dense blocks"):
            cores = dense_cores(
                inp.graph, inp.membership, min_rows=inp.config.detect.dense_min_rows
            )
        return Found(signals=cores.select("key", pl.lit("dense_block").alias("reason"), "strength"))
