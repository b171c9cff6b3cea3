"""Dense blocks per family: FRAUDAR with trimming, several blocks, each significant."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from ringlens.detect.dense import dense_blocks
from ringlens.pipeline.detectors._families import interaction_families, significance_strength
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    group_found,
    register,
)

__all__ = ["MIN_DENSITY", "DenseBlocks"]

#: A block whose accounts each touch less than this share of its targets is a slice of a
#: market (a niche browsing its category), however improbable: not a ring, whose accounts
#: work most of its targets. Blocks above it count with a strength that grows with fill.
MIN_DENSITY = 0.2


@register
class DenseBlocks(Detector):
    """Blocks of accounts × targets far denser than the configuration model allows
    (:func:`ringlens.detect.dense.dense_blocks`), in every family of interactions: the
    detector that finds slow rings that never burst."""

    name = "dense_blocks"
    order = 20
    reasons = ("dense_block",)
    proposes_rings = True

    def families(self, inp: DetectInput) -> list[Family]:
        return interaction_families(inp)

    def detect(self, inp: DetectInput) -> Found:
        parts = []
        n = 0
        with inp.timer("dense blocks (families)"):
            for i, fam in enumerate(interaction_families(inp)):
                res = dense_blocks(
                    inp.graph,
                    actions=list(fam.actions or ()),
                    actor_types=list(fam.actor_types or ()),
                    target_types=list(fam.target_types or ()),
                )
                blocks = res.groups.filter(pl.col("density") >= MIN_DENSITY)
                n += blocks.height
                strength = significance_strength(pl.col("significance")) * (
                    pl.col("density") / 0.5
                ).clip(0.0, 1.0)
                kept = replace(res, groups=blocks)
                parts.append(group_found(kept, "dense_blocks", f"f{i}/", strength, "dense_block"))
        return Found.concat([*parts, Found(counts={"dense_blocks": n})])
