"""Significant communities per family: Leiden on a surprise-weighted co-interaction backbone,
kept only when the community is improbable under a degree-preserving null."""

from __future__ import annotations

import polars as pl

from ringlens.detect.communities import significant_communities
from ringlens.pipeline.detectors._families import interaction_families, significance_strength
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    group_found,
    register,
)

__all__ = ["Communities"]


@register
class Communities(Detector):
    """Communities of accounts that co-interact far beyond what popularity and activity
    explain (:func:`ringlens.detect.communities.significant_communities`)."""

    name = "communities"
    order = 30
    reasons = ("community",)
    proposes_rings = True

    def families(self, inp: DetectInput) -> list[Family]:
        return interaction_families(inp)

    def detect(self, inp: DetectInput) -> Found:
        parts = []
        n = 0
        seed = inp.config.detect.seed
        with inp.timer("communities"):
            for i, fam in enumerate(interaction_families(inp)):
                res = significant_communities(
                    inp.graph,
                    actions=list(fam.actions or ()),
                    actor_types=list(fam.actor_types or ()),
                    target_types=list(fam.target_types or ()),
                    seed=seed,
                )
                n += res.groups.height
                strength = significance_strength(pl.col("significance"))
                parts.append(group_found(res, "communities", f"f{i}/", strength, "community"))
        return Found.concat([*parts, Found(counts={"communities": n})])
