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


def _reply_farm() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A forum and its accounts: 600 authors, 2,000 voters, and twenty new accounts that
    vote on each other's replies, each reply new (written for the one vote it gets), so no
    farm member comes back to a reply it voted on, only to its authors."""
    from datetime import datetime, timezone

    import numpy as np

    rng = np.random.default_rng(3)
    rows = []
    for i in range(600):
        rows += [(f"a{i}", "write", f"a{i}-p{k}") for k in range(1 + i % 5)]
    posts = [r[2] for r in rows]
    for u in range(2000):
        rows += [(f"u{u}", "upvote", posts[p]) for p in rng.choice(len(posts), 4, replace=False)]
    farm = [f"f{i}" for i in range(20)]
    for a in farm:
        rows += [(a, "upvote", posts[p]) for p in rng.choice(len(posts), 4, replace=False)]
    n = 0
    for a in farm:
        for b in farm:
            if a != b and rng.random() < 0.8:
                rows += [(b, "write", f"{b}-r{n}"), (a, "upvote", f"{b}-r{n}")]
                n += 1
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_id"], orient="row")
    t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    ev = ev.with_columns(actor_type=pl.lit("member"), target_type=pl.lit("post"), ts=pl.lit(t))
    accounts = ev["actor_id"].unique().sort()
    old, new = (
        datetime(2019, 5, 1, tzinfo=timezone.utc),
        datetime(2023, 12, 28, tzinfo=timezone.utc),
    )
    entities = pl.DataFrame({"entity_type": "member", "entity_id": accounts}).with_columns(
        pl.when(pl.col("entity_id").str.starts_with("f"))
        .then(pl.lit(new))
        .otherwise(pl.lit(old))
        .alias("created_at")
    )
    return ev, entities


def test_a_farm_of_new_accounts_voting_on_each_others_new_replies_is_a_ring() -> None:
    # each farm reply gets one vote, so the members are not drawn to the same replies
    # (the actor contrast on the targets is empty) but to the same authors: the owner
    # community's significance is their test, and twenty accounts new beyond the
    # platform's rate make them a closed group of fresh accounts
    ev, entities = _reply_farm()
    res = score(ev, entities=entities)
    farm = {f"member:f{i}" for i in range(20)}
    rings = res.rings.filter(pl.col("detectors").list.contains("owner_communities"))
    assert rings.height == 1
    members = set(rings.row(0, named=True)["members"])
    assert members <= farm and len(members) >= 16
    assert set(res.membership["key"].to_list()) <= farm


def test_the_ring_tests_on_owners_read_the_projection_around_the_ring_as_the_whole() -> None:
    # the ring stage builds the owner projection only around the rings it judges (their
    # members, their owners' other users) with the whole projection's totals: the ring's
    # significance and each member's pull are those of the whole projection
    from ringlens.detect.communities import owned_events, owner_projection
    from ringlens.graph import build_graph
    from ringlens.pipeline.vocabulary import roles_for
    from ringlens.rings.features import (
        OwnerGraph,
        interaction_actions,
        owner_graph,
        ring_member_contrast,
        ring_owner_significance,
    )

    ev, _ = _reply_farm()
    g = build_graph(ev)
    roles = roles_for(g)
    farm = pl.Series([f"member:f{i}" for i in range(20)])
    members = pl.DataFrame({"key": farm, "ring_id": "r"})
    around = owner_graph(g, roles, farm)
    whole = owner_projection(
        g, owned_events(g, list(roles.owner_actions), actions=interaction_actions(g, roles))
    )
    pairs = whole.events.select("src", "dst").unique()
    full = OwnerGraph(whole, (pairs["src"].n_unique(), pairs["dst"].n_unique(), pairs.height))
    assert around is not None and around.totals == full.totals
    assert around.graph.events.height < whole.events.height
    sig = ring_owner_significance(around, members, roles=roles)
    assert sig.equals(ring_owner_significance(full, members, roles=roles))
    assert sig["sig_owners"].item() >= 2.0
    pull = ring_member_contrast(
        around.graph, members, roles=roles, interactions=(None, around.totals)
    )
    assert pull.equals(
        ring_member_contrast(whole, members, roles=roles, interactions=(None, full.totals))
    )
