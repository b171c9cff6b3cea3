"""Skewed follow-ups: a target on which most accounts that took one action took a rarer
follow-up, beyond targets of its popularity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from ringlens.detect.followups import follow_up_pairs, skewed_follow_ups
from ringlens.exceptions import RinglensError
from ringlens.graph import build_graph

T = datetime(2026, 3, 1, tzinfo=UTC)


def _rentals(seed: int = 3, ring: int = 7, refund: float = 0.02) -> pl.DataFrame:
    """300 listings booked by 3-60 guests each (popularity by a power law), each booking
    refunded with probability ``refund``; guests also view listings. With ``ring`` > 0,
    ``ring`` guests book one quiet listing a week apart each and all ask for a refund."""
    rng = np.random.default_rng(seed)
    rows = []
    guest = 0
    for li in range(300):
        n = int(np.clip(3 + rng.pareto(1.5) * 4, 3, 60))
        for _ in range(n):
            g = f"g{guest}"
            guest += 1
            t = T + timedelta(hours=float(rng.uniform(0, 24 * 60)))
            rows.append((g, f"l{li}", "view", t))
            rows.append((g, f"l{li}", "book", t + timedelta(minutes=5)))
            if rng.random() < refund:
                rows.append((g, f"l{li}", "refund", t + timedelta(days=2)))
    for i in range(ring):
        t = T + timedelta(days=7 * i)
        rows.append((f"ring{i}", "quiet", "view", t))
        rows.append((f"ring{i}", "quiet", "book", t + timedelta(minutes=5)))
        rows.append((f"ring{i}", "quiet", "refund", t + timedelta(days=1)))
    for i in range(2):  # two ordinary guests of the quiet listing
        rows.append((f"ok{i}", "quiet", "view", T + timedelta(days=3 + i)))
        rows.append((f"ok{i}", "quiet", "book", T + timedelta(days=3 + i, minutes=5)))
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "action", "ts"], orient="row")
    return ev.with_columns(actor_type=pl.lit("guest"), target_type=pl.lit("listing"))


def test_refunds_on_most_bookings_of_a_quiet_listing_are_a_group() -> None:
    res = skewed_follow_ups(build_graph(_rentals()))
    assert res.groups.select("lead", "follow", "n_lead", "n_actors").rows() == [
        ("book", "refund", 9, 7)
    ]
    assert res.targets(0) == ["listing:quiet"]
    assert res.actors(0) == sorted(f"guest:ring{i}" for i in range(7))
    assert res.groups["significance"][0] >= 2.0
    # each member's events on the listing: a view, a booking and a refund
    assert res.to_frame().filter(pl.col("role") == "actor")["hits"].unique().to_list() == [3]


def test_the_platform_without_the_ring_has_no_group() -> None:
    assert len(skewed_follow_ups(build_graph(_rentals(ring=0)))) == 0


def test_views_are_no_follow_up_of_bookings() -> None:
    # every booking has its view: a twin, not a lead and its follow-up; and a view is no
    # follow-up of a booking either (as many of them, not at most half)
    res = skewed_follow_ups(build_graph(_rentals()))
    assert res.params["pairs"].keys() == {"book>refund", "view>refund"}


def _streams(seed: int = 5, ring: bool = True, rush: bool = False, keen: int = 0) -> pl.DataFrame:
    """400 streams watched by 5-400 viewers; a stream's share of viewers who send a gift
    grows with its audience (10 % on a quiet one, half on the most watched: their fans
    came for them). With ``ring``, ten accounts watch one quiet stream and all gift."""
    rng = np.random.default_rng(seed)
    rows = []
    viewer = 0
    for s in range(400):
        n = int(np.clip(5 * (1 + rng.pareto(1.1)), 5, 400))
        share = 0.1 + 0.4 * np.log(n / 5) / np.log(80)
        for _ in range(n):
            v = f"v{viewer}"
            viewer += 1
            t = T + timedelta(hours=float(rng.uniform(0, 24 * 30)))
            rows.append((v, f"s{s}", "watch", t))
            if rng.random() < share:
                rows.append((v, f"s{s}", "gift", t + timedelta(minutes=10)))
    if ring:
        for i in range(10):
            t = T + timedelta(days=i)
            rows.append((f"ring{i}", "quiet", "watch", t))
            rows.append((f"ring{i}", "quiet", "gift", t + timedelta(minutes=3)))
        for i in range(3):
            rows.append((f"ok{i}", "quiet", "watch", T + timedelta(days=2, hours=i)))
    if keen:  # a stream of 200 viewers over a month, ``keen`` of whom gift
        for i in range(200):
            t = T + timedelta(hours=float(rng.uniform(0, 24 * 30)))
            rows.append((f"keen{i}", "big", "watch", t))
            if i < keen:
                rows.append((f"keen{i}", "big", "gift", t + timedelta(minutes=10)))
    if rush:  # a live of one hour: a hundred viewers, and the host's call for gifts
        for i in range(100):
            t = T + timedelta(days=20, minutes=float(rng.uniform(0, 50)))
            rows.append((f"fan{i}", "live", "watch", t))
            if i < 80:
                rows.append((f"fan{i}", "live", "gift", T + timedelta(days=20, minutes=55)))
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "action", "ts"], orient="row")
    return ev.with_columns(actor_type=pl.lit("viewer"), target_type=pl.lit("stream"))


def test_popular_targets_are_judged_against_their_peers() -> None:
    # the most watched streams turn half their viewers into gifters, a quiet one a tenth:
    # against the platform's mean share every top stream would be beyond chance
    res = skewed_follow_ups(build_graph(_streams()))
    assert [res.targets(g)[0] for g in res.groups["group"]] == ["stream:quiet"]
    assert res.groups["n_actors"].to_list() == [10]
    assert len(skewed_follow_ups(build_graph(_streams(ring=False)))) == 0


def test_a_live_whose_viewers_gift_at_the_host_s_call_is_one_moment() -> None:
    # eighty of a hundred viewers gift in one hour where streams of that size get a
    # third: they answered one call together, one draw, not eighty
    res = skewed_follow_ups(build_graph(_streams(ring=False, rush=True)))
    assert len(res) == 0


def test_a_group_mostly_of_what_its_peers_would_follow_up_is_none() -> None:
    # streams of two hundred viewers turn some four in ten into gifters: 160 of 200 is
    # beyond chance, but half of them are what such a stream gets anyway (under twice
    # its peers' share): everyone who gifted would be mostly ordinary viewers
    assert len(skewed_follow_ups(build_graph(_streams(ring=False, keen=160)))) == 0
    # at 190 of 200, most of the gifts are beyond the peers'
    res = skewed_follow_ups(build_graph(_streams(ring=False, keen=190)))
    assert [res.targets(g)[0] for g in res.groups["group"]] == ["stream:big"]


def test_follow_up_pairs_need_containment_and_at_most_half() -> None:
    keys = {
        "order": np.arange(100, dtype=np.uint64),
        "review": np.arange(0, 100, 4, dtype=np.uint64),  # 25 of the orders' pairs
        "return": np.arange(90, 130, dtype=np.uint64),  # 40 pairs, 30 of them new
    }
    assert follow_up_pairs(keys) == [("order", "review")]


def test_bad_parameters_are_named() -> None:
    g = build_graph(_rentals(ring=0))
    with pytest.raises(RinglensError, match="alpha"):
        skewed_follow_ups(g, alpha=0.0)
    with pytest.raises(RinglensError, match="min_actors"):
        skewed_follow_ups(g, min_actors=1)
