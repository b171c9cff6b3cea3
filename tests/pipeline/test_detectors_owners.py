"""The owner-projection communities in a run: a karma farm becomes a ring on its posts."""

from __future__ import annotations

import polars as pl
from tests.detect.test_communities import _forum

from ringlens.pipeline import score


def test_a_run_turns_a_karma_farm_into_a_ring_on_the_posts_it_voted() -> None:
    # no vocabulary: "write" is ownership by the data's shape (one author per post, the
    # post's first event); the farm's ring is proposed by the owner communities, its
    # targets are the farm's posts (what its members touched), and no organic member is
    # in a ring
    res = score(_forum())
    farm = {f"member:f{i}" for i in range(16)}
    rings = res.rings.filter(pl.col("detectors").list.contains("owner_communities"))
    assert rings.height == 1
    ring = rings.row(0, named=True)
    assert set(ring["members"]) <= farm and len(ring["members"]) >= 12
    assert ring["targets"] and all(t.startswith("post:f") for t in ring["targets"])
    in_rings = set(res.membership["key"].to_list())
    assert in_rings <= farm
    reasons = res.entities.filter(pl.col("key") == "member:f0")["reasons"].item().to_list()
    assert "owner_community" in reasons
    assert res.report["counts"]["candidates"]["owner_communities"] >= 1
