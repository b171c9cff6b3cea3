"""Shared devices and payout accounts beyond household size."""

from __future__ import annotations

import polars as pl

from ringlens.detect.shared import shared_attributes
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    candidates_from,
    register,
)

__all__ = ["SharedAttributes"]

#: attribute types the shared-attribute detector looks at
ATTRIBUTE_TYPES: tuple[str, ...] = ("device", "payment")


@register
class SharedAttributes(Detector):
    """Accounts linked through shared attributes
    (:func:`ringlens.detect.shared.shared_attributes`)."""

    name = "shared_attributes"
    order = 20
    reasons = ("shared_device", "shared_payout")

    def families(self, inp: DetectInput) -> list[Family]:
        return [Family(target_types=ATTRIBUTE_TYPES)]

    def detect(self, inp: DetectInput) -> Found:
        d = inp.config.detect
        with inp.timer("shared attributes"):
            sh = shared_attributes(
                inp.graph, max_household=d.shared_max_household, min_group=d.shared_min_group
            )
        actors = (
            sh.to_frame()
            .filter(pl.col("role") == "actor")
            .join(sh.groups.select("group", "score", "attribute_types"), on="group")
        )
        cands = candidates_from(
            actors.select(
                pl.col("group").alias("candidate"), "key", pl.col("score").alias("strength")
            ),
            "shared",
        )
        kinds = actors.select("key", "score", "attribute_types").explode("attribute_types")
        sigs = kinds.select(
            "key",
            pl.when(pl.col("attribute_types") == "payment")
            .then(pl.lit("shared_payout"))
            .otherwise(pl.lit("shared_device"))
            .alias("reason"),
            pl.col("score").cast(pl.Float64).clip(0.0, 1.0).alias("strength"),
        )
        return Found(candidates=cands, signals=sigs, counts={"shared_attributes": sh.groups.height})
