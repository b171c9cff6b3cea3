"""Skewed follow-ups in a run: guests who all ask a quiet listing for refunds become a ring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from ringlens.pipeline import score

T = datetime(2026, 2, 1, tzinfo=UTC)
RING = [f"claim{i}" for i in range(8)]


def _rentals(seed: int = 6, ring: bool = True) -> pl.DataFrame:
    """A rentals platform in its own words: 3,000 travellers browse listings ("peek"),
    book some ("reserve", paid with their own card: "pay_with") and rate some stays; two
    in a hundred ask for a refund ("claim_back"). Eight old accounts book one quiet
    listing weeks apart, as ordinary guests do, and each asks for a refund days later."""
    rng = np.random.default_rng(seed)
    listings = [f"L{i}" for i in range(250)]
    pop = 1.0 / np.arange(1, len(listings) + 1) ** 0.8
    pop /= pop.sum()
    rows = []
    for u in range(3000):
        who = f"t{u}"
        t0 = T + timedelta(hours=float(rng.uniform(0, 24 * 50)))
        card = f"c{u}"
        for j, li in enumerate(rng.choice(len(listings), size=int(rng.integers(2, 7)), p=pop)):
            t = t0 + timedelta(days=3 * j)
            rows.append(("traveler", who, "peek", "listing", listings[li], t, None))
            if rng.random() < 0.6:
                rows.append(("traveler", who, "reserve", "listing", listings[li], t, 120.0))
                rows.append(("traveler", who, "pay_with", "card", card, t, 120.0))
                if rng.random() < 0.02:
                    back = t + timedelta(days=2)
                    rows.append(
                        ("traveler", who, "claim_back", "listing", listings[li], back, 110.0)
                    )
                elif rng.random() < 0.5:
                    stars = float(rng.choice([3, 4, 5], p=[0.1, 0.3, 0.6]))
                    rows.append(("traveler", who, "rate_stay", "listing", listings[li], t, stars))
    if ring:
        for i, who in enumerate(RING):
            t = T + timedelta(days=4 * i, hours=i)
            rows.append(("traveler", who, "peek", "listing", "L200", t, None))
            rows.append(("traveler", who, "reserve", "listing", "L200", t, 95.0))
            rows.append(("traveler", who, "pay_with", "card", f"cc{i}", t, 95.0))
            rows.append(
                ("traveler", who, "claim_back", "listing", "L200", t + timedelta(days=1), 90.0)
            )
            for li in rng.choice(len(listings), size=3, replace=False, p=pop):  # camouflage
                rows.append(("traveler", who, "peek", "listing", listings[li], t, None))
    return pl.DataFrame(
        rows,
        schema=["actor_type", "actor_id", "action", "target_type", "target_id", "ts", "amount"],
        orient="row",
    )


def test_a_run_turns_refunds_on_a_quiet_listing_into_a_ring() -> None:
    # no vocabulary: "claim_back" is a follow-up of "reserve" by the data's shape
    res = score(_rentals())
    rings = res.rings.filter(pl.col("detectors").list.contains("skewed_follow_ups"))
    assert rings.height == 1
    ring = rings.row(0, named=True)
    # the ring, and the listing's own guests who asked it for a refund too (the test sees
    # what they did, not who they are); none of its other guests
    ev = _rentals()
    claimed = ev.filter((pl.col("action") == "claim_back") & (pl.col("target_id") == "L200"))
    assert set(ring["members"]) == {f"traveler:{w}" for w in claimed["actor_id"]}
    assert {f"traveler:{w}" for w in RING} <= set(ring["members"])
    assert len(ring["members"]) <= len(RING) + 2
    assert ring["pattern"] == "follow_up_ring"  # no role says more without a vocabulary
    assert "listing:L200" in ring["targets"]
    reasons = res.entities.filter(pl.col("key") == "traveler:claim0")["reasons"].item().to_list()
    assert "skewed_follow_ups" in reasons
    assert res.report["counts"]["candidates"]["skewed_follow_ups"] >= 1


def test_the_platform_without_the_claims_has_no_ring() -> None:
    assert score(_rentals(ring=False)).rings.height == 0
