"""Ring synchrony against its null: in step beyond what a group's size and activity explain."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from ringlens.graph import build_graph
from ringlens.rings.features import hourly_rhythm, rhythm_crowding, ring_features
from ringlens.risk import score_rings

T0 = datetime(2024, 3, 4, tzinfo=UTC)


def _events(rows: list[tuple[str, str, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "actor_id": [a for a, _, _ in rows],
            "actor_type": "listener",
            "target_id": [t for _, t, _ in rows],
            "target_type": "track",
            "action": "play",
            "ts": [ts for _, _, ts in rows],
        }
    )


def _fan_club(rng: np.random.Generator, n: int = 60, days: int = 28) -> list:
    """``n`` fans each playing the artist's five tracks on most evenings, at their own
    times: a group active every day, in step with nobody."""
    rows = []
    for i in range(n):
        for d in range(days):
            if rng.random() < 0.7:
                start = T0 + timedelta(days=d, hours=17 + 6 * rng.random())
                for k in range(int(rng.integers(1, 4))):
                    rows.append((f"f{i}", f"t{rng.integers(5)}", start + timedelta(minutes=4 * k)))
    return rows


def _burst_ring(rng: np.random.Generator, n: int = 15) -> list:
    """``n`` accounts that strike the same three tracks together three times in two weeks."""
    rows = []
    for burst in (
        T0 + timedelta(days=2, hours=3),
        T0 + timedelta(days=8, hours=11),
        T0 + timedelta(days=13, hours=20),
    ):
        for i in range(n):
            for k in range(3):
                rows.append(
                    (f"r{i}", f"x{k}", burst + timedelta(minutes=float(rng.uniform(0, 40))))
                )
    return rows


def _features() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    fans, ring = _fan_club(rng), _burst_ring(rng)
    g = build_graph(_events(fans + ring))
    members = pl.DataFrame(
        {
            "key": [f"listener:f{i}" for i in range(60)] + [f"listener:r{i}" for i in range(15)],
            "ring_id": ["fans"] * 60 + ["ring"] * 15,
        }
    )
    return ring_features(g, members).sort("ring_id")


def test_a_large_group_active_every_day_is_in_step_only_by_its_number() -> None:
    f = _features()
    fans = f.row(by_predicate=pl.col("ring_id") == "fans", named=True)
    ring = f.row(by_predicate=pl.col("ring_id") == "ring", named=True)
    # both look "synchronous" (three members in the same three hours) ...
    assert fans["synchrony"] > 0.9 and ring["synchrony"] > 0.9
    # ... but sixty fans every evening fill every window by chance, the ring does not
    assert fans["synchrony_null"] > 0.9 and fans["synchrony_excess"] < 0.2
    assert ring["synchrony_null"] < 0.5 and ring["synchrony_excess"] > 0.9


def test_the_synchronised_activity_reason_is_the_excess() -> None:
    f = _features().with_columns(pattern=pl.lit("other"), market=pl.lit(None, pl.String))
    members = pl.DataFrame({"key": ["a"], "ring_id": ["fans"]})
    empty = pl.DataFrame(schema={"key": pl.String, "reason": pl.String, "strength": pl.Float64})
    r = score_rings(f, members, empty)
    reasons = dict(zip(r["ring_id"], r["reasons"].to_list(), strict=True))
    assert "synchronised_activity" in reasons["ring"]
    assert "synchronised_activity" not in (reasons.get("fans") or [])


def test_the_null_follows_the_platforms_daily_rhythm() -> None:
    # everyone active in the same twelve hours of the day crowds them twice as much
    evening = [0.0] * 12 + [1 / 12] * 12
    assert rhythm_crowding(evening, 3 * 3600 * 10**6) == 2.0
    assert rhythm_crowding(evening, 24 * 3600 * 10**6) == 1.0
    assert rhythm_crowding(None, 3600 * 10**6) == 1.0
    g = build_graph(_events(_fan_club(np.random.default_rng(1), n=5, days=3)))
    r = hourly_rhythm(g)
    assert len(r) == 24 and abs(sum(r) - 1.0) < 1e-9 and sum(r[:17]) == 0.0
    members = pl.DataFrame({"key": [f"listener:f{i}" for i in range(5)], "ring_id": "x"})
    flat = ring_features(g, members, rhythm=[1 / 24] * 24)["synchrony_null"].item()
    own = ring_features(g, members)["synchrony_null"].item()
    assert own > flat


def test_the_daily_rhythm_counts_hours_in_utc_whatever_the_time_type() -> None:
    # the hour is read off the integer time for UTC and naive times, in any unit, and
    # before 1970; a frame built by hand with another zone keeps that zone's hours
    hours = [datetime(1969, 12, 31, 23, 30, tzinfo=UTC), T0 + timedelta(hours=5, minutes=59)]
    hours += [T0 + timedelta(days=40, hours=5), T0 + timedelta(hours=13)]
    g = build_graph(_events([(f"a{i}", "t", ts) for i, ts in enumerate(hours)]))
    for unit in ("ns", "us", "ms"):
        for zone in ("UTC", None, "Asia/Kolkata"):
            ev = g.events.with_columns(pl.col("ts").dt.cast_time_unit(unit))
            ev = ev.with_columns(
                pl.col("ts").dt.replace_time_zone(None)
                if zone is None
                else pl.col("ts").dt.convert_time_zone(zone)
            )
            want = dict(ev["ts"].dt.hour().value_counts().iter_rows())
            got = hourly_rhythm(replace(g, events=ev))
            assert {h: round(s * 4) for h, s in enumerate(got) if s} == want, (unit, zone)


def _release(rng: np.random.Generator) -> list:
    """An artist's four new tracks, out on day 3: 300 fans play two or three of them on
    release day at their own times and once more some day in the next four weeks; and
    twelve accounts that play the four together at four in the morning on five nights,
    when nobody else does."""
    out = T0 + timedelta(days=3)
    rows = []
    for i in range(300):
        for k in range(int(rng.integers(2, 4))):
            rows.append((f"fan{i}", f"new{k}", out + timedelta(hours=float(rng.uniform(8, 20)))))
        later = out + timedelta(days=float(rng.uniform(1, 28)))
        rows.append((f"fan{i}", f"new{int(rng.integers(4))}", later))
    for night in range(5):
        at = out + timedelta(days=2 + 4 * night, hours=4)
        for i in range(12):
            for k in range(4):
                rows.append(
                    (f"bot{i}", f"new{k}", at + timedelta(minutes=float(rng.uniform(0, 30))))
                )
    return rows


def test_a_crowd_in_step_with_everyone_else_on_its_targets_is_no_ring_moment() -> None:
    # forty of the fans, in step on release day as every other fan is: the targets'
    # moment, which their other accounts show; the twelve at four in the morning are in
    # step when nobody else on those tracks is
    g = build_graph(_events(_release(np.random.default_rng(3))))
    members = pl.DataFrame(
        {
            "key": [f"listener:fan{i}" for i in range(40)]
            + [f"listener:bot{i}" for i in range(12)],
            "ring_id": ["crowd"] * 40 + ["bots"] * 12,
        }
    )
    f = ring_features(g, members).sort("ring_id")
    crowd = f.row(by_predicate=pl.col("ring_id") == "crowd", named=True)
    bots = f.row(by_predicate=pl.col("ring_id") == "bots", named=True)
    assert crowd["synchrony"] > 0.5 and crowd["synchrony_excess"] <= 0.1
    assert bots["synchrony_excess"] > 0.9


def test_a_ring_that_strikes_once_is_in_step_against_its_targets_weeks() -> None:
    """Twenty accounts buy two appeals' match in one two-hour strike; others use the two
    appeals now and then for six weeks. Within the ring's own two hours every placement
    is in step; within the weeks its targets live, the strike is what chance never
    places. A crowd that comes in the one hour every other account on its target also
    comes (a disaster appeal's first hour) stays in step by the target's moment."""
    rng = np.random.default_rng(11)
    rows = []
    for k in ("a1", "a2"):
        rows += [
            (f"h{k}{i}", k, T0 + timedelta(hours=float(rng.uniform(0, 24 * 42)))) for i in range(40)
        ]
    strike = T0 + timedelta(days=20, hours=1)
    for i in range(20):
        for k in ("a1", "a2"):
            rows.append((f"r{i}", k, strike + timedelta(minutes=float(rng.uniform(0, 120)))))
    first_hour = T0 + timedelta(days=10)
    rows += [
        (f"d{i}", "relief", first_hour + timedelta(minutes=float(rng.uniform(0, 60))))
        for i in range(400)
    ]
    rows += [
        (f"late{i}", "relief", first_hour + timedelta(days=float(rng.uniform(1, 30))))
        for i in range(20)
    ]
    g = build_graph(_events(rows))
    members = pl.DataFrame(
        {
            "key": [f"listener:r{i}" for i in range(20)] + [f"listener:d{i}" for i in range(30)],
            "ring_id": ["strike"] * 20 + ["crowd"] * 30,
        }
    )
    f = ring_features(g, members)
    strike_row = f.row(by_predicate=pl.col("ring_id") == "strike", named=True)
    crowd = f.row(by_predicate=pl.col("ring_id") == "crowd", named=True)
    assert strike_row["synchrony"] > 0.9 and strike_row["synchrony_excess"] > 0.9
    assert crowd["synchrony"] > 0.9 and crowd["synchrony_excess"] <= 0.1


def _pledges(rows: list[tuple[str, str, datetime, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "actor_id": [a for a, _, _, _ in rows],
            "actor_type": "donor",
            "target_id": [t for _, t, _, _ in rows],
            "target_type": "appeal",
            "action": "pledge",
            "ts": [ts for _, _, ts, _ in rows],
            "amount": [x for _, _, _, x in rows],
        }
    )


def test_a_standing_order_is_in_step_with_its_own_past_not_with_each_other() -> None:
    """Forty donors' monthly donations, each its own amount, charged to one appeal by a
    billing run on the 2nd at 09:00: in step to the minute, and every charge repeats the
    donor's last one. Accounts that are not new keeping a schedule are not coordinating
    (excess 0); twenty accounts striking two appeals twice with the same 25.00, days and
    hours apart, repeat nothing; the same billing run's donors all created last week are
    left their excess (a batch of fresh accounts on a schedule is for other tests); so is
    a script of old accounts ordering one listing at one price every Monday at three."""
    rng = np.random.default_rng(5)
    rows = []
    amounts = rng.choice([5.0, 10.0, 20.0, 50.0], size=40)
    for month in (11, 12):
        run = datetime(2024, month, 2, 9, tzinfo=UTC)
        rows += [
            (f"m{i}", "shelter", run + timedelta(seconds=float(rng.uniform(0, 120))), amounts[i])
            for i in range(40)
        ]
    for strike in (datetime(2024, 11, 5, 2, tzinfo=UTC), datetime(2024, 11, 14, 16, tzinfo=UTC)):
        rows += [
            (f"s{i}", k, strike + timedelta(minutes=float(rng.uniform(0, 90))), 25.0)
            for i in range(20)
            for k in ("a1", "a2")
        ]
    # a script ordering one listing at 10.00 every Monday at three in the morning
    for week in range(4):
        run = datetime(2024, 11, 4, 3, tzinfo=UTC) + timedelta(weeks=week)
        rows += [(f"b{i}", "a1", run + timedelta(seconds=30 * i), 10.0) for i in range(15)]
    t = datetime(2024, 10, 1, tzinfo=UTC)
    rows += [
        (f"o{i}", k, t + timedelta(hours=float(rng.uniform(0, 24 * 90))), 15.0)
        for i in range(200)
        for k in ("shelter", "a1", "a2")
        if rng.random() < 0.3
    ]
    g = build_graph(_pledges(rows))
    members = pl.DataFrame(
        {
            "key": [f"donor:m{i}" for i in range(40)]
            + [f"donor:s{i}" for i in range(20)]
            + [f"donor:b{i}" for i in range(15)],
            "ring_id": ["billing"] * 40 + ["strike"] * 20 + ["script"] * 15,
        }
    )
    f = ring_features(g, members).sort("ring_id")
    billing, script, strike = f.rows(named=True)
    assert billing["schedule_share"] == 1.0 and billing["synchrony"] == 1.0
    assert billing["synchrony_excess"] == 0.0
    assert strike["schedule_share"] == 0.0 and strike["synchrony_excess"] > 0.9
    # the script repeats itself too, one price for every account: no standing order
    assert script["schedule_share"] == 0.0 and script["synchrony_excess"] > 0.9
    # the billing run's donors, all created the week before: excess as measured
    fresh = pl.DataFrame(
        {
            "entity_type": "donor",
            "entity_id": [f"m{i}" for i in range(40)] + [f"o{i}" for i in range(200)],
            "created_at": [t - timedelta(days=7)] * 40 + [t - timedelta(days=900)] * 200,
            "market": pl.Series([None] * 240, dtype=pl.String),
            "prior_violations": pl.Series([None] * 240, dtype=pl.Int64),
        }
    ).with_columns(pl.col("created_at").dt.cast_time_unit("us"))
    new = ring_features(g, members, entities=fresh).sort("ring_id").row(0, named=True)
    assert new["schedule_share"] == 1.0 and new["synchrony_excess"] > 0.9


def _slow_campaign(
    seed: int = 5,
) -> tuple[pl.DataFrame, list[str], list[str], list[str]]:
    """A year of reviews: 4,000 organic accounts (log-normal activity) review 200
    products of Zipf popularity at any time of the year; thirty accounts each review
    four of eight mid-catalogue products within two weeks (no hour-scale burst: about
    one review in nine hours) and eight popular products at any time (camouflage).
    Returns the events, the ring, its products and the thirty busiest organic reviewers
    of those products."""
    rng = np.random.default_rng(seed)
    w = 1.0 / np.arange(1, 201) ** 0.8
    w /= w.sum()
    rows: list[tuple[str, str, datetime]] = []
    for i in range(4000):
        for _ in range(int(np.clip(rng.lognormal(1.0, 1.0), 1, 60))):
            day = float(rng.uniform(0, 365))
            rows.append(
                (f"organic-{i:04d}", f"p{int(rng.choice(200, p=w)):03d}", T0 + timedelta(days=day))
            )
    products = [f"p{k:03d}" for k in range(20, 28)]
    ring = [f"ring-{i:02d}" for i in range(30)]
    for a in ring:
        for p in rng.choice(products, 4, replace=False):
            rows.append((a, str(p), T0 + timedelta(days=200 + float(rng.uniform(0, 14)))))
        for _ in range(8):
            day = float(rng.uniform(0, 365))
            rows.append((a, f"p{int(rng.integers(0, 10)):03d}", T0 + timedelta(days=day)))
    events = _events(rows)
    on = events.filter(
        pl.col("target_id").is_in(products) & pl.col("actor_id").str.starts_with("organic")
    )
    busiest = on.group_by("actor_id").len().sort(["len", "actor_id"], descending=[True, False])
    regulars = busiest.head(30)["actor_id"].to_list()
    return (
        events,
        [f"listener:{a}" for a in ring],
        [f"track:{p}" for p in products],
        [f"listener:{a}" for a in regulars],
    )


DAY = 86_400.0


def test_a_slow_ring_is_in_step_at_the_scale_lockstep_found_it() -> None:
    # two weeks of reviews on products others review all year: as spread as chance
    # places them in three-hour windows, in step beyond chance in windows of a day
    events, ring, products, regulars = _slow_campaign()
    g = build_graph(events)
    members = pl.DataFrame({"key": ring + regulars, "ring_id": ["ring"] * 30 + ["regulars"] * 30})
    targets = pl.DataFrame({"ring_id": ["ring"] * 8 + ["regulars"] * 8, "key": products + products})
    cols = ["ring_id", "synchrony", "synchrony_null", "synchrony_excess"]
    hours = ring_features(g, members, targets=targets).sort("ring_id").select(cols)
    assert (
        hours.row(by_predicate=pl.col("ring_id") == "ring", named=True)["synchrony_excess"] <= 0.1
    )
    for window in (DAY, 7 * DAY, 14 * DAY):
        scales = pl.DataFrame({"ring_id": ["ring", "regulars"], "window": [window, window]})
        f = ring_features(g, members, targets=targets, scales=scales).sort("ring_id").select(cols)
        at = {r["ring_id"]: r for r in f.iter_rows(named=True)}
        # the busiest organic reviewers of the same products, at their own times, are in
        # step by their number and activity at every scale (rings.core.SYNC_EXPLAINED):
        # in windows of two weeks 88 % of their events are in step against 83 % by chance,
        # an excess of 0.32 that chance is not far from (features.SCALE_SIGNIFICANCE)
        assert at["regulars"]["synchrony_excess"] <= 0.1
        assert at["ring"]["synchrony_excess"] >= 0.9


def test_a_slow_ring_lockstep_found_in_days_is_kept_for_its_time() -> None:
    # its block is no evidence (the members are busier on popular products), so it stands
    # or falls by time: in step at the scale of its lockstep group, it is a ring
    from ringlens.rings import build_rings

    events, ring, products, _ = _slow_campaign()
    g = build_graph(events)
    cand = pl.DataFrame({"detector": "lockstep", "candidate": "0", "key": ring, "strength": 1.0})

    def rings(window: float | None) -> pl.DataFrame:
        named = pl.DataFrame(
            {"detector": "lockstep", "candidate": "0", "key": products, "window": window},
            schema_overrides={"window": pl.Float64},
        )
        found = build_rings(
            g,
            cand,
            candidate_targets=named,
            structure_only=("communities",),
            timing=("lockstep",),
        )
        return found.rings

    assert rings(None).height == 0  # in step by its number at three hours: no evidence
    kept = rings(DAY)
    assert kept["members"].to_list() == [sorted(ring)]
    assert kept["synchrony_excess"].item() >= 0.9


def _reviewers_in_a_stretch(rng: np.random.Generator, n: int, days: int) -> list:
    """Eight products reviewed now and then for half a year by 1,500 accounts, and ``n``
    accounts (``r0``...) each reviewing three of them within ``days`` from the third month."""
    products = [f"p{j}" for j in range(8)]
    rows = [
        (f"h{i}", str(rng.choice(products)), T0 + timedelta(days=float(rng.uniform(0, 180))))
        for i in range(1500)
    ]
    start = T0 + timedelta(days=90)
    for i in range(n):
        for p in rng.choice(products, 3, replace=False):
            rows.append((f"r{i}", str(p), start + timedelta(days=float(rng.uniform(0, days)))))
    return rows


def test_a_ring_that_fills_its_own_weeks_is_in_step_against_its_targets_months() -> None:
    """Forty accounts each review three of eight products in two weeks; others review the
    same products now and then for half a year. Within the ring's own two weeks nearly
    every placement of forty accounts is in step (the null saturates); within the months
    its targets live, two weeks holding all their events is what chance never places. A
    crowd on shows everyone else also watches in those days (a season's premiere) stays
    in step by their moment."""
    rng = np.random.default_rng(5)
    rows = _reviewers_in_a_stretch(rng, 40, 14)
    # a season's premiere: six new shows that everyone watches in its first ten days
    shows = [f"s{j}" for j in range(6)]
    premiere = T0 + timedelta(days=30)
    for i in range(600):
        first = i < 500
        at = premiere + timedelta(days=float(rng.uniform(0, 10) if first else rng.uniform(0, 150)))
        for s in rng.choice(shows, 3, replace=False):
            rows.append((f"v{i}", str(s), at + timedelta(hours=float(rng.uniform(0, 48)))))
    g = build_graph(_events(rows))
    members = pl.DataFrame(
        {
            "key": [f"listener:r{i}" for i in range(40)] + [f"listener:v{i}" for i in range(90)],
            "ring_id": ["ring"] * 40 + ["premiere"] * 90,
        }
    )
    f = ring_features(g, members, burst_window=timedelta(days=1))
    ring = f.row(by_predicate=pl.col("ring_id") == "ring", named=True)
    crowd = f.row(by_predicate=pl.col("ring_id") == "premiere", named=True)
    assert ring["synchrony"] > 0.9 and ring["synchrony_excess"] > 0.9
    assert crowd["synchrony"] > 0.9 and crowd["synchrony_excess"] <= 0.1


def test_a_smaller_ring_whose_own_weeks_are_nearly_full_is_measured_against_its_targets() -> None:
    """Twenty accounts, three reviews each, in two weeks: within their own two weeks chance
    puts nearly nine in ten of their reviews in step (a 200-account YelpChi ring at
    density 0.15 with biased camouflage: 0.895), as many as they have, so there they show
    nothing; within the six months the products are reviewed in, they are a strike."""
    rows = _reviewers_in_a_stretch(np.random.default_rng(5), 20, 14)
    g = build_graph(_events(rows))
    members = pl.DataFrame({"key": [f"listener:r{i}" for i in range(20)], "ring_id": "ring"})
    ring = ring_features(g, members, burst_window=timedelta(days=1)).row(0, named=True)
    assert ring["synchrony"] > 0.75
    assert ring["synchrony_null"] < 0.1 and ring["synchrony_excess"] > 0.7


def test_a_crowd_filling_a_third_of_its_targets_months_is_measured_in_its_own_span() -> None:
    """A hundred and fifty accounts each reviewing three of eight products over two of the
    products' six months: in step by their number within their two months (the null
    saturates), and no brief strike: measured over the six months they would look like one
    (excess near 1), as a crowd of 96 listeners filling a third of its tracks' weeks did."""
    rows = _reviewers_in_a_stretch(np.random.default_rng(5), 150, 60)
    g = build_graph(_events(rows))
    members = pl.DataFrame({"key": [f"listener:r{i}" for i in range(150)], "ring_id": "crowd"})
    crowd = ring_features(g, members, burst_window=timedelta(days=1)).row(0, named=True)
    assert crowd["synchrony"] > 0.9 and crowd["synchrony_null"] > 0.9
    assert crowd["synchrony_excess"] <= 0.1
