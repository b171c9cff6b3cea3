"""Significant communities on the owner projection: accounts that engage the same few
accounts' content (each other's, in a karma farm) far beyond chance."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from ringlens.detect.communities import (
    owned_events,
    owner_projection,
    significant_communities,
)
from ringlens.pipeline.detectors._families import (
    role_groups,
    significance_strength,
    with_owner_events,
)
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    group_found,
    register,
)

__all__ = ["OwnerCommunities"]


@register
class OwnerCommunities(Detector):
    """:func:`ringlens.detect.communities.significant_communities` on each interaction
    role's events on owned targets, every target replaced by its owner
    (:func:`ringlens.detect.communities.owner_projection`).

    Accounts that vote on each other's replies share few replies — each reply is new —
    but the same few authors; the co-interaction detectors, which compare accounts by
    the targets they share, never see them. A community here is proposed with the owned
    targets its members engaged through the community's owners as its targets, so the
    ring's features measure the block on what the members touched."""

    name = "owner_communities"
    order = 35
    reasons = ("owner_community",)
    proposes_rings = True

    def families(self, inp: DetectInput) -> list[Family]:
        """Each role's interactions with the ownership events of the same target types,
        by any account (who owns what is part of what the detector reads: the Spark
        engine's unit of a role holds its owners)."""
        owners = tuple(inp.roles.owner_actions)
        if not owners:
            return []
        return with_owner_events([g.family for g in role_groups(inp)], owners)

    def detect(self, inp: DetectInput) -> Found:
        owners = list(inp.roles.owner_actions)
        parts = []
        n = 0
        if owners:
            with inp.timer("owner communities"):
                for i, g in enumerate(role_groups(inp)):
                    found, groups = _role(inp, g.family, owners, f"o{i}/")
                    n += groups
                    parts.append(found)
        return Found.concat([*parts, Found(counts={self.name: n})])


def _role(inp: DetectInput, fam: Family, owners: list[str], prefix: str) -> tuple[Found, int]:
    """The significant communities of one role's projection (and how many), their targets
    the owned targets the members engaged through the community's owners."""
    graph = inp.graph
    owned = owned_events(
        graph,
        owners,
        actions=list(fam.actions or ()) or None,
        actor_types=list(fam.actor_types or ()) or None,
        target_types=list(fam.target_types or ()) or None,
    )
    if owned.height == 0:
        return Found(), 0
    proj = owner_projection(graph, owned)
    owned = owned.select("src", "owner", "dst")  # what the targets need, while Leiden runs
    res = significant_communities(proj, seed=inp.config.detect.seed)
    if res.groups.height == 0:
        return Found(), 0
    strength = significance_strength(pl.col("significance"))
    found = group_found(res, "owner_communities", prefix, strength, "owner_community")
    members = res.to_frame()
    members = members.with_columns(pl.Series("node", graph.node_ids(members["key"])))
    actors = members.filter(pl.col("role") == "actor").select("group", pl.col("node").alias("src"))
    owned_by = members.filter(pl.col("role") == "target").select(
        "group", pl.col("node").alias("owner")
    )
    pairs = actors.join(owned_by, on="group").with_columns(pl.col("src", "owner").cast(pl.UInt32))
    went = pairs.join(owned, on=["src", "owner"])
    keys = graph.nodes.select(pl.col("node").alias("dst"), "key")
    targets = (
        went.select("group", "dst")
        .unique()
        .join(keys, on="dst")
        .select(
            pl.lit("owner_communities").alias("detector"),
            pl.concat_str(pl.lit(prefix), pl.col("group").cast(pl.String)).alias("candidate"),
            "key",
        )
        .sort("candidate", "key")
    )
    return replace(found, targets=targets), res.groups.height
