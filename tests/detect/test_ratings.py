"""Skewed ratings: one extreme of a rating scale on a target, beyond the platform's spread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from ringlens.detect.ratings import rating_scale, skewed_ratings
from ringlens.exceptions import ConfigError
from ringlens.graph import build_graph

T = datetime(2026, 3, 1, tzinfo=UTC)
#: an ordinary platform's share of each star, 1 to 5
STARS = np.array([0.08, 0.06, 0.12, 0.24, 0.50])


def _platform(seed: int = 0, *, shops: int = 150) -> list[tuple[str, str, float]]:
    """``shops`` shops rated by 8-60 raters each; each shop's quality moves its stars (a
    good shop gets more fives, a poor one more ones): the shops' shares of fives spread
    about as much again as binomial draws do (overdispersion about 0.03)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(shops):
        tilt = rng.normal(0.0, 0.2)
        p = STARS * np.exp(tilt * np.arange(-2, 3))
        p /= p.sum()
        n = int(rng.integers(8, 60))
        stars = rng.choice(np.arange(1, 6), size=n, p=p)
        rows += [(f"u{s}_{i}", f"shop{s}", float(v)) for i, v in enumerate(stars)]
    return rows


def _events(rows: list[tuple[str, str, float]], action: str = "rate") -> pl.DataFrame:
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "amount"], orient="row", strict=False)
    return ev.with_columns(
        actor_type=pl.lit("user"),
        target_type=pl.lit("shop"),
        action=pl.lit(action),
        ts=pl.Series([T + timedelta(minutes=i) for i in range(ev.height)]),
    )


def _found(rows: list[tuple[str, str, float]]) -> list[tuple[str, float, list[str]]]:
    """``(kind, value, sorted actor ids)`` of each group."""
    res = skewed_ratings(build_graph(_events(rows)))
    return [
        (kind, value, sorted(k.split(":", 1)[1] for k in res.actors(g)))
        for g, kind, value in res.groups.select("group", "kind", "value").iter_rows()
    ]


def test_rating_scale_is_a_run_of_a_few_integers():
    assert rating_scale(pl.Series([1.0, 2.0, 3.0, 4.0, 5.0, 5.0])) == (1.0, 5.0)
    assert rating_scale(pl.Series([float(v) for v in range(11)])) == (0.0, 10.0)
    assert rating_scale(pl.Series([3.0, 4.0, 5.0, None])) is None  # a quarter without amount
    assert rating_scale(pl.Series([1.0, 2.0, 3.0, 5.0])) is None  # promo values: 4 missing
    assert rating_scale(pl.Series([0.99, 1.99, 2.99, 4.99])) is None  # prices
    assert rating_scale(pl.Series([0.0, 1.0, 0.0])) is None  # thumbs: two values
    assert rating_scale(pl.Series([15.0, 25.0, 40.0])) is None  # quest rewards
    assert rating_scale(pl.Series([], dtype=pl.Float64)) is None


def test_a_star_push_on_one_target_is_a_group_and_the_platform_alone_is_not():
    rows = _platform()
    assert _found(rows) == []
    pushed = rows + [(f"push{i}", "new_kitchen", 5.0) for i in range(30)]
    assert _found(pushed) == [("target", 5.0, sorted(f"push{i}" for i in range(30)))]


def test_a_beloved_target_is_judged_by_the_spread_of_targets():
    """A shop that nine raters in ten give five stars is beyond a platform whose shops
    are all middling, and one of many where a tenth of the shops are that loved."""
    rng = np.random.default_rng(5)

    def loved(name: str, n: int) -> list[tuple[str, str, float]]:
        stars = rng.choice([4.0, 5.0], size=n, p=[0.12, 0.88])
        return [(f"{name}_fan{i}", name, float(v)) for i, v in enumerate(stars)]

    middling = _platform(1)
    assert [(k, v) for k, v, _ in _found(middling + loved("loved", 200))] == [("target", 5.0)]
    spread = middling + [r for s in range(15) for r in loved(f"fav{s}", int(rng.integers(20, 80)))]
    assert _found(spread + loved("loved", 200)) == []


def test_a_bomb_spread_over_three_targets_is_a_block_of_the_extreme_ratings():
    """Fifteen accounts give three well-rated shops one star each, among forty organic
    raters of each: no shop's share of ones is beyond the spread, but fifteen accounts
    giving the same three shops one star is a block no grumpy rater makes."""
    rows = _platform(2)
    rng = np.random.default_rng(9)
    for s in ("rival_a", "rival_b", "rival_c"):
        good = rng.choice(np.arange(1, 6), size=40, p=[0.04, 0.04, 0.1, 0.3, 0.52])
        rows += [(f"{s}_fan{i}", s, float(v)) for i, v in enumerate(good)]
        rows += [(f"bomb{i}", s, 1.0) for i in range(15)]
    found = _found(rows)
    blocks = [(v, who) for kind, v, who in found if kind == "block"]
    assert blocks == [(1.0, sorted(f"bomb{i}" for i in range(15)))]


def test_amounts_that_are_no_rating_scale_give_nothing():
    """A promo whose every redeemer gets the same value is a property of the promo."""
    rows = [
        (f"u{p}_{i}", f"promo{p}", float([1, 2, 3, 5][p % 4])) for p in range(60) for i in range(30)
    ]
    assert _found(rows) == []
    res = skewed_ratings(build_graph(_events(rows)))
    assert res.params["scale"] is None


def test_targets_that_each_get_one_value_leave_nothing_beyond_chance():
    """A "rating" that is the target's own (every rater of a tier gives its level) varies
    between targets only: a target of thirty fives is one of many."""
    rows = [(f"u{t}_{i}", f"tier{t}", float(1 + t % 5)) for t in range(100) for i in range(30)]
    assert _found(rows) == []


def test_bad_parameters_are_refused_by_name():
    g = build_graph(_events(_platform()))
    with pytest.raises(ConfigError, match="alpha"):
        skewed_ratings(g, alpha=0.0)
    with pytest.raises(ConfigError, match="min_raters"):
        skewed_ratings(g, min_raters=1)


def test_a_tall_narrow_block_of_extreme_ratings_needs_no_target_contrast():
    """The app store's one-star ratings: fifteen accounts giving the same three apps one
    star among 420 accounts giving one star to one to three apps. The configuration model
    and the actor contrast see the block; the target contrast pays for choosing 15 of 435
    accounts and does not."""
    from tests.pipeline.test_detectors_ratings import BOMBERS, _store

    from ringlens.detect.dense import dense_blocks

    ev = _store().filter((pl.col("action") == "rate") & (pl.col("amount") == 1.0))
    g = build_graph(ev)
    assert len(dense_blocks(g)) == 0
    res = dense_blocks(g, target_contrast=False)
    assert len(res) == 1
    assert sorted(res.actors(0)) == sorted(f"user:{b}" for b in BOMBERS)
    with pytest.raises(ConfigError, match="target_contrast"):
        dense_blocks(g, target_contrast="no")  # type: ignore[arg-type]


DAY = timedelta(days=1)


def _month(seed: int = 0) -> list[tuple[str, str, float, datetime]]:
    """Sixty shops rated over thirty days at random times, and a popular one (600 raters,
    one star from about one in twelve): ``(rater, shop, stars, time)``."""
    rng = np.random.default_rng(seed)
    rows = []
    for s, name in enumerate([f"shop{s}" for s in range(60)] + ["popular"]):
        n = 600 if name == "popular" else int(rng.integers(8, 60))
        stars = rng.choice(np.arange(1, 6), size=n, p=STARS)
        at = rng.integers(0, 30 * 86_400, size=n)
        rows += [
            (f"u{s}_{i}", name, float(v), T + timedelta(seconds=int(t)))
            for i, (v, t) in enumerate(zip(stars, at, strict=True))
        ]
    return rows


def _bursts_found(rows: list[tuple[str, str, float, datetime]]) -> list[tuple[float, list[str]]]:
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "amount", "ts"], orient="row")
    ev = ev.with_columns(
        actor_type=pl.lit("user"), target_type=pl.lit("shop"), action=pl.lit("rate")
    )
    res = skewed_ratings(build_graph(ev))
    return [
        (value, sorted(k.split(":", 1)[1] for k in res.actors(g)))
        for g, kind, value in res.groups.select("group", "kind", "value").iter_rows()
        if kind == "burst"
    ]


#: twelve accounts giving the popular shop one star within fifty minutes on day 20
BOMB = [(f"bomb{i}", "popular", 1.0, T + 20 * DAY + timedelta(minutes=4 * i)) for i in range(12)]


def test_a_bomb_in_one_evening_of_a_popular_target_is_a_burst():
    """Twelve one-star ratings among a popular shop's 600 move its month's share of ones
    from 8 % to 10 %, nothing beyond the spread of shops; in the hour they came they are
    twelve where the shop gets one star every day and a half."""
    rows = _month()
    assert _bursts_found(rows) == []
    assert _found([(a, t, v) for a, t, v, _ in rows + BOMB]) == []  # nothing as a whole
    assert _bursts_found(rows + BOMB) == [(1.0, sorted(a for a, *_ in BOMB))]


def test_a_surge_of_every_rating_is_no_burst():
    """A shop that goes viral for an evening gets more of every rating, and its new
    customers are harsher: 30 % of 200 ratings in that hour are ones, far beyond the
    shop's twelfth, but its other ratings rose as much: attention, not a ring."""
    rng = np.random.default_rng(4)
    stars = rng.choice(np.arange(1, 6), size=200, p=[0.3, 0.07, 0.12, 0.18, 0.33])
    crowd = [
        (f"crowd{i}", "popular", float(v), T + 20 * DAY + timedelta(seconds=int(s)))
        for i, (v, s) in enumerate(zip(stars, rng.integers(0, 3000, size=200), strict=True))
    ]
    assert _bursts_found(_month() + crowd) == []


def test_a_bad_evening_for_every_target_is_no_burst():
    """An outage: every shop gets one star from six accounts in the same hour. The
    family's share of ones that hour is the expectation, and the popular shop's twelve
    are within it."""
    outage = [
        (f"angry{s}_{i}", f"shop{s}", 1.0, T + 20 * DAY + timedelta(minutes=5 * i + s % 10))
        for s in range(60)
        for i in range(6)
    ]
    assert _bursts_found(_month() + outage + BOMB) == []


#: the stars of a lodging platform: fives a quarter of them
HOST_STARS = np.array([0.05, 0.10, 0.25, 0.35, 0.25])


def _hosts(seed: int = 0, *, ring: bool = True) -> pl.DataFrame:
    """300 hosts of 2-6 listings each, every listing rated by a few guests (a quarter of
    the stars are fives) with the host's quality tilting its stars; with ``ring``, twelve
    guests give five stars to three of the fifteen new listings of one host each (two or
    three raters a listing: no listing reaches ``min_raters`` fives, and the block of
    fives is too sparse to stand out)."""
    rng = np.random.default_rng(seed)
    rows, owns = [], []
    for h in range(300):
        tilt = rng.normal(0.0, 0.2)
        p = HOST_STARS * np.exp(tilt * np.arange(-2, 3))
        p /= p.sum()
        for j in range(int(rng.integers(2, 7))):
            owns.append((f"h{h}", f"L{h}_{j}"))
            n = int(rng.integers(3, 12))
            stars = rng.choice(np.arange(1, 6), size=n, p=p)
            rows += [(f"g{rng.integers(0, 5000)}", f"L{h}_{j}", float(v)) for v in stars]
    if ring:
        owns += [("h_ring", f"R{j}") for j in range(15)]
        for i in range(12):
            rows += [(f"ring{i}", f"R{j}", 5.0) for j in rng.choice(15, 3, replace=False)]
    rates = _events(rows).with_columns(target_type=pl.lit("listing"))
    manage = pl.DataFrame(owns, schema=["actor_id", "target_id"], orient="row").with_columns(
        actor_type=pl.lit("host"),
        target_type=pl.lit("listing"),
        action=pl.lit("manage"),
        amount=pl.lit(None, dtype=pl.Float64),
        ts=pl.lit(T - timedelta(days=90)),
    )
    return pl.concat([rates, manage.select(rates.columns)])


def test_one_hosts_listings_starred_by_a_ring_a_few_raters_each_are_an_owner_group():
    g = build_graph(_hosts())
    fam = {"actions": ["rate"], "target_types": ["listing"]}
    assert skewed_ratings(g, **fam).groups.height == 0  # no listing has five fives
    res = skewed_ratings(g, **fam, owner_actions=["manage"])
    assert res.groups.select("kind", "value", "n_actors").rows() == [("owner", 5.0, 12)]
    assert sorted(k.split(":")[1] for k in res.actors(0)) == sorted(f"ring{i}" for i in range(12))
    assert {k.split(":")[1][0] for k in res.targets(0)} == {"R"}  # the host's listings only
    assert res.params["owner_fits"][5.0]["fitted"] >= 250


def test_hosts_whose_guests_love_them_are_no_owner_group():
    res = skewed_ratings(
        build_graph(_hosts(1, ring=False)), actions=["rate"], owner_actions=["manage"]
    )
    assert res.groups.height == 0
