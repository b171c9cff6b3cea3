"""The ``marketplace`` platform: a marketplace with star ratings, with its own vocabulary.

Accounts are ``shopper`` and ``merchant``; merchants ``publish`` a ``listing``,
``create_promo`` a ``promo`` and ``settle_to`` a ``bank`` account; shoppers ``browse``
listings in sessions, ``wishlist`` and ``buy`` them (price in ``amount``), ``rate`` them
(stars 1–5 in ``amount``), ``bookmark`` and ``ask`` merchants, ``redeem`` promos,
``auth`` on a device ``fingerprint`` and ``add_card`` a payment ``card``.

Organic background: heavy-tailed shopper activity, merchants with a heavy-tailed number
of listings, Zipf listing popularity, categories tied to markets, browsing sessions
(one shopper, a few listings of one category within minutes) that end in a purchase or
not, J-shaped honest ratings days after the purchase, local-time evening peaks and a
weekly rhythm, households sharing a fingerprint and sometimes a card, fingerprint
collisions (a few fingerprints shared by many unrelated shoppers: popular phone models
with default settings), payment facilitators settling several merchants to one bank.

With ``negatives`` on (the default) a separate random stream also plants flash sales
(hundreds buying one listing within ten minutes), a viral listing, platform promo
campaigns redeemed by thousands over a week (a third of them new accounts) and loyal
customers who buy and rate many listings of one niche merchant.

Planted rings: ``review_ring`` (accounts rating client merchants' listings five stars,
some after a cheap purchase, some also one-starring a competitor; the clients are
members), ``brushing`` (a merchant's fake shoppers buying its new listings for almost
nothing and rating them, paying with a few shared cards), ``sock_puppet_farm`` (merchant
accounts on a few fingerprints settling to one or two banks, each listing near-duplicate
items) and ``coupon_abuse`` (new accounts on a few fingerprints redeeming the same promos
and buying cheap listings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ringlens.synth.core import (
    DAY,
    MARKETS,
    Channel,
    Clock,
    HijackPool,
    RingTime,
    Sim,
    add_camouflage,
    device_farm,
    draw,
    farm_size,
    households,
    loguniform_int,
    own_devices,
    ring_accounts,
    sample_grouped,
    shared_groups,
    some_of_each,
    top_groups,
    unique,
    zipf_weights,
)
from ringlens.synth.data import Platform, SynthConfig

__all__ = ["PLATFORM", "simulate"]

TYPES: tuple[str, ...] = ("shopper", "merchant", "listing", "fingerprint", "card", "bank", "promo")
ACTIONS: tuple[str, ...] = (
    "browse",
    "wishlist",
    "buy",
    "rate",
    "bookmark",
    "ask",
    "redeem",
    "auth",
)
ACTIONS += ("add_card", "publish", "create_promo", "settle_to")
PATTERNS = ("review_ring", "brushing", "sock_puppet_farm", "coupon_abuse")
STARS = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
HONEST_STARS = np.array([0.58, 0.2, 0.08, 0.04, 0.1])
_SHOPPER_AUTH = ("shopper", "auth", "fingerprint")


@dataclass
class _World:
    """The organic marketplace."""

    n_niches: int
    shopper_niche: np.ndarray  # (n_shoppers, 2): main and second category
    shopper_activity: np.ndarray
    merchant_niche: np.ndarray
    merchant_w: np.ndarray
    listing_merchant: np.ndarray
    listing_niche: np.ndarray
    listing_w: np.ndarray
    listing_price: np.ndarray
    promo_merchant: np.ndarray
    # browse events (shopper, listing, time): purchases hang off them
    browse: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    household: np.ndarray | None = None
    fingerprint: np.ndarray | None = None
    card: np.ndarray | None = None
    merchant_bank: np.ndarray | None = None
    campaigns: np.ndarray | None = None
    hijack: HijackPool | None = None

    def __post_init__(self) -> None:
        self.campaigns = np.zeros(0, dtype=np.int64)


def _world(sim: Sim) -> _World:
    rng, n = sim.rng, sim.cfg.n_events
    n_merchants, n_shoppers = max(50, n // 700), max(1000, n // 14)
    n_niches = max(6, n_merchants // 25)
    merchant_niche = rng.integers(0, n_niches, n_merchants)
    merchant_w = zipf_weights(n_merchants, rng, 1.1)
    per = np.minimum(1 + (rng.pareto(1.2, n_merchants) * 4).astype(np.int64), 300)
    listing_merchant = np.repeat(np.arange(n_merchants), per)
    n_listings = len(listing_merchant)
    listing_w = merchant_w[listing_merchant] ** 0.7 * rng.lognormal(0, 1.0, n_listings)
    niche = rng.integers(0, n_niches, (n_shoppers, 2))
    niche[:, 1] = np.where(rng.random(n_shoppers) < 0.5, niche[:, 1], niche[:, 0])
    has_promo = rng.random(n_merchants) < 0.3
    promo_merchant = np.repeat(np.arange(n_merchants), has_promo * rng.integers(1, 3, n_merchants))
    sim.pop.counts["listing"] = n_listings
    sim.pop.counts["promo"] = len(promo_merchant)
    return _World(
        n_niches=n_niches,
        shopper_niche=niche,
        shopper_activity=np.minimum(rng.pareto(1.5, n_shoppers) + 1.0, 300.0),
        merchant_niche=merchant_niche,
        merchant_w=merchant_w,
        listing_merchant=listing_merchant,
        listing_niche=merchant_niche[listing_merchant],
        listing_w=listing_w,
        listing_price=np.round(rng.lognormal(3.0, 1.0, n_listings), 2),
        promo_merchant=promo_merchant,
    )


def _accounts(sim: Sim, w: _World) -> None:
    """Creation times (8 % of accounts under 45 days old) and markets."""
    rng, t0 = sim.rng, sim.t0
    for kind, niche, lo, hi in (
        ("shopper", w.shopper_niche[:, 0], 30, 5 * 365),
        ("merchant", w.merchant_niche, 60, 6 * 365),
    ):
        c = len(niche)
        created = t0 - rng.uniform(lo, hi, c) * DAY
        fresh = rng.random(c) < 0.08
        created[fresh] = t0 - rng.uniform(1, 45, int(fresh.sum())) * DAY
        market = np.where(rng.random(c) < 0.85, niche % len(MARKETS), rng.integers(0, 8, c))
        sim.pop.accounts(kind, created, market)


def _catalogue(sim: Sim, w: _World) -> None:
    """Merchants publish listings (a tenth during the period) and create promos."""
    rng, t0, days, pop = sim.rng, sim.t0, sim.clock.days, sim.pop
    n_listings, n_promos = len(w.listing_merchant), len(w.promo_merchant)
    age = np.where(
        rng.random(n_listings) < 0.9,
        rng.uniform(0, 400, n_listings),
        -rng.uniform(0, days * 0.8, n_listings),
    )
    published = pop.after_created("merchant", w.listing_merchant, t0 - age * DAY)
    sim.log.add(
        "merchant", w.listing_merchant, "publish", "listing", np.arange(n_listings), published
    )
    issued = t0 + rng.uniform(-30, days * 0.7, n_promos) * DAY
    issued = pop.after_created("merchant", w.promo_merchant, issued)
    sim.log.add("merchant", w.promo_merchant, "create_promo", "promo", np.arange(n_promos), issued)


def _sessions(sim: Sim, w: _World) -> None:
    """Browsing sessions: one shopper, one category, a few listings within minutes."""
    rng = sim.rng
    n = int(sim.cfg.n_events * 0.5)
    length = rng.geometric(0.15, int(n / 6.7) + 1)
    length = length[: np.searchsorted(np.cumsum(length), n) + 1]
    n_s = len(length)
    shopper = draw(rng, w.shopper_activity, n_s)
    pick = rng.choice(3, n_s, p=[0.7, 0.2, 0.1])
    niche = np.where(
        pick < 2, w.shopper_niche[shopper, np.minimum(pick, 1)], rng.integers(0, w.n_niches, n_s)
    )
    start = sim.clock.local(sim.pop.market["shopper"][shopper])
    sess = np.repeat(np.arange(n_s), length)
    first = np.concatenate([[0], np.cumsum(length)[:-1]])
    gap = rng.exponential(45, len(sess))
    gap[first] = 0.0
    cum = np.cumsum(gap)
    ts = start[sess] + cum - cum[first][sess]
    listing = sample_grouped(niche[sess], w.listing_niche, w.listing_w, rng)
    inside = ts < sim.t0 + sim.clock.span  # a session running past the end is cut there
    w.browse = (shopper[sess][inside], listing[inside], ts[inside])
    sim.log.add("shopper", *w.browse[:1], "browse", "listing", *w.browse[1:])


def _purchases(sim: Sim, w: _World) -> None:
    """Some browsed listings are wishlisted or bought (a few with a promo of the
    merchant); a share of purchases are rated days later; buyers bookmark merchants."""
    assert w.browse is not None
    rng, log, n = sim.rng, sim.log, sim.cfg.n_events
    shopper, listing, ts = w.browse
    k = int(n * 0.06)
    pick = rng.integers(0, len(shopper), k)
    wt = ts[pick] + rng.uniform(5, 60, k)
    sim.add_visible("shopper", shopper[pick], "wishlist", "listing", listing[pick], wt)
    k = int(n * 0.13)
    pick = rng.integers(0, len(shopper), k)
    who, what = shopper[pick], listing[pick]
    bt = np.minimum(ts[pick] + rng.exponential(300, k), sim.t0 + sim.clock.span - 1)
    qty = rng.choice([1, 2, 3], k, p=[0.85, 0.12, 0.03])
    log.add("shopper", who, "buy", "listing", what, bt, np.round(w.listing_price[what] * qty, 2))
    _ratings(sim, who, what, bt, share=0.3, rng=rng)
    first_promo = np.searchsorted(w.promo_merchant, w.listing_merchant[what])
    has = (first_promo < len(w.promo_merchant)) & (
        w.promo_merchant[np.minimum(first_promo, len(w.promo_merchant) - 1)]
        == w.listing_merchant[what]
    )
    use = np.flatnonzero(has & (rng.random(k) < 0.15))
    _, once = np.unique(who[use] * len(w.promo_merchant) + first_promo[use], return_index=True)
    use = use[once]  # a shopper redeems a promo once
    sim.add_visible("shopper", who[use], "redeem", "promo", first_promo[use], bt[use] - 30)
    merchant = w.listing_merchant[what]
    pair = unique(who * len(w.merchant_w) + merchant)
    fav = pair[rng.random(len(pair)) < 0.1]
    fs, fm = fav // len(w.merchant_w), fav % len(w.merchant_w)
    log.add(
        "shopper", fs, "bookmark", "merchant", fm, sim.clock.local(sim.pop.market["shopper"][fs])
    )
    k = int(n * 0.015)
    pick = rng.integers(0, len(shopper), k)
    sim.add_visible(
        "shopper",
        shopper[pick],
        "ask",
        "merchant",
        w.listing_merchant[listing[pick]],
        ts[pick] + rng.uniform(10, 120, k),
    )


def _ratings(
    sim: Sim,
    who: np.ndarray,
    what: np.ndarray,
    t: np.ndarray,
    *,
    share: float,
    rng: np.random.Generator,
) -> None:
    """A ``share`` of purchases rated 2–14 days later with honest, J-shaped stars."""
    r = rng.random(len(who)) < share
    rt = t[r] + rng.uniform(2, 14, int(r.sum())) * DAY
    keep = rt < sim.t0 + sim.clock.span
    stars = STARS[rng.choice(5, int(keep.sum()), p=HONEST_STARS)]
    sim.log.add("shopper", who[r][keep], "rate", "listing", what[r][keep], rt[keep], stars)


def _devices_cards_banks(sim: Sim, w: _World) -> None:
    """Households share a fingerprint (and a third of them a card); a few fingerprints
    collide across many unrelated shoppers; payment facilitators settle several merchants
    to one bank; merchants have fingerprints of their own."""
    rng, log, clock, pop = sim.rng, sim.log, sim.clock, sim.pop
    n_shoppers, n_merchants = len(w.shopper_activity), len(w.merchant_w)
    w.household = households(rng, n_shoppers)
    n_hh = int(w.household.max()) + 1
    common = n_hh + rng.integers(0, 5, n_shoppers)  # fingerprint collisions
    w.fingerprint = np.where(rng.random(n_shoppers) < 0.005, common, w.household)
    who = np.repeat(
        np.arange(n_shoppers), 1 + np.minimum(rng.poisson(w.shopper_activity**0.5 - 1), 5)
    )
    log.add(
        "shopper",
        who,
        "auth",
        "fingerprint",
        w.fingerprint[who],
        clock.local(pop.market["shopper"][who]),
    )
    family = rng.random(n_hh) < 0.33
    w.card = np.where(family[w.household], w.household, n_hh + np.arange(n_shoppers))
    who = np.repeat(np.arange(n_shoppers), 1 + (rng.random(n_shoppers) < 0.3))
    log.add("shopper", who, "add_card", "card", w.card[who], clock.uniform(len(who)))
    facilitator = rng.random(n_merchants) < 0.1
    w.merchant_bank = np.where(
        facilitator,
        n_merchants + rng.integers(0, max(1, n_merchants // 50), n_merchants),
        np.arange(n_merchants),
    )
    who = np.repeat(np.arange(n_merchants), rng.integers(1, 5, n_merchants))
    log.add(
        "merchant",
        who,
        "settle_to",
        "bank",
        w.merchant_bank[who],
        clock.uniform(len(who)),
        np.round(rng.lognormal(7, 1.5, len(who)), 2),
    )
    mfp = n_hh + 5 + np.arange(n_merchants)
    who = np.repeat(np.arange(n_merchants), rng.integers(1, 4, n_merchants))
    log.add("merchant", who, "auth", "fingerprint", mfp[who], clock.uniform(len(who)))
    pop.counts["fingerprint"] = n_hh + 5 + n_merchants
    pop.counts["card"] = n_hh + n_shoppers
    pop.counts["bank"] = n_merchants + max(1, n_merchants // 50)


# ---- organic structure planted from a separate stream (negatives) -------------------------


def _flash_sales(sim: Sim, w: _World, aux: np.random.Generator) -> None:
    """A popular listing on sale for ten minutes: hundreds browse and buy it at once."""
    n, log, plant = sim.cfg.n_events, sim.log, sim.plant
    top = np.argsort(-w.listing_w, kind="stable")[:50]
    for listing in aux.choice(top, 2 + sim.clock.days // 15, replace=False):
        who = unique(draw(aux, w.shopper_activity, int(0.002 * n) + 150))
        t0 = sim.t0 + aux.uniform(0, sim.clock.span - 3600)
        bt = t0 + aux.uniform(0, 600, len(who))
        same = np.full(len(who), listing)
        log.add("shopper", who, "browse", "listing", same, bt - aux.uniform(5, 60, len(who)))
        log.add(
            "shopper",
            who,
            "buy",
            "listing",
            same,
            bt,
            np.full(len(who), round(w.listing_price[listing] * 0.6, 2)),
        )
        g = plant.negative("flash_sale", "shopper", who)
        plant.negative("flash_sale", "listing", [listing], group=g)


def _viral(sim: Sim, w: _World, aux: np.random.Generator, clock: Clock) -> None:
    """A mid-popular listing sells to thousands in two days, then fades."""
    order = np.argsort(-w.listing_w, kind="stable")
    listing = int(aux.choice(order[len(order) // 50 : len(order) // 5]))
    who = unique(draw(aux, w.shopper_activity, int(0.004 * sim.cfg.n_events) + 50))
    t = clock.decay(len(who), sim.t0 + aux.uniform(0.1, 0.7) * sim.clock.span, 10 * 3600)
    same = np.full(len(who), listing)
    sim.log.add("shopper", who, "browse", "listing", same, t - aux.uniform(10, 300, len(who)))
    sim.log.add(
        "shopper", who, "buy", "listing", same, t, np.full(len(who), w.listing_price[listing])
    )
    _ratings(sim, who, same, t, share=0.25, rng=aux)
    g = sim.plant.negative("viral_burst", "shopper", who)
    sim.plant.negative("viral_burst", "listing", [listing], group=g)


def _campaigns(sim: Sim, w: _World, aux: np.random.Generator, clock: Clock) -> None:
    """Platform promos redeemed by thousands over a week, a third of them new accounts
    signing up for it (own fingerprints); most buy something."""
    n, pop, log, plant = sim.cfg.n_events, sim.pop, sim.log, sim.plant
    official = int(np.argmax(w.merchant_w))
    out = []
    for _ in range(1 + sim.clock.days // 15):
        promo = pop.new("promo", 1)
        d0 = int(aux.integers(0, max(1, sim.clock.days - 7)))
        launch = sim.t0 + d0 * DAY + aux.uniform(0, DAY)
        launch = float(pop.after_created("merchant", [official], np.array([launch]))[0])
        log.add(
            "merchant", np.array([official]), "create_promo", "promo", promo, np.array([launch])
        )
        k = int(0.004 * n) + 300
        old = unique(draw(aux, w.shopper_activity**0.7, int(k * 0.7)))
        t_old = np.maximum(launch, clock.local(pop.market["shopper"][old], first_day=d0, n_days=7))
        n_new = int(k * 0.3)
        end = sim.t0 + sim.clock.span - 1
        t_new = np.minimum(
            np.minimum(launch + aux.exponential(1.5 * DAY, n_new), launch + 7 * DAY), end
        )
        created = t_new - aux.uniform(60, 3600, n_new)
        new = pop.grow(
            "shopper", n_new, created=created, market=aux.integers(0, len(MARKETS), n_new)
        )
        fp = pop.new("fingerprint", n_new)
        log.add("shopper", new, "auth", "fingerprint", fp, created + aux.uniform(0, 50, n_new))
        who, t = np.concatenate([old, new]), np.concatenate([t_old, t_new])
        log.add("shopper", who, "redeem", "promo", np.full(len(who), promo[0]), t)
        buy = aux.random(len(who)) < 0.6
        listing = draw(aux, w.listing_w, int(buy.sum()))
        bt = np.minimum(t[buy] + aux.exponential(1800, len(listing)), end)
        log.add(
            "shopper",
            who[buy],
            "buy",
            "listing",
            listing,
            bt,
            np.round(w.listing_price[listing] * 0.85, 2),
        )
        g = plant.negative("coupon_campaign", "shopper", who)
        plant.negative("coupon_campaign", "promo", promo, group=g)
        out.append(promo[0])
    w.campaigns = np.array(out, dtype=np.int64)


def _loyal_customers(sim: Sim, w: _World, aux: np.random.Generator, clock: Clock) -> None:
    """Niche merchants with a loyal base: dozens of shoppers of the category buy several
    of its listings over the month and rate most of them (honest stars)."""
    size = np.bincount(w.listing_merchant)
    cand = np.flatnonzero(size >= 15)
    if len(cand) == 0:
        return
    for m in aux.choice(cand, min(5, len(cand)), replace=False):
        listings = np.flatnonzero(w.listing_merchant == m)
        in_niche = (w.shopper_niche[:, 0] == w.merchant_niche[m]) & (
            sim.pop.created["shopper"][: len(w.shopper_activity)] < sim.t0 - 60 * DAY
        )
        pool = np.flatnonzero(in_niche)
        loyal = aux.choice(pool, min(len(pool), int(aux.integers(20, 81))), replace=False)
        who = np.repeat(loyal, aux.integers(2, 7, len(loyal)))
        what = aux.choice(listings, len(who))
        t = clock.local(sim.pop.market["shopper"][who])
        sim.log.add("shopper", who, "buy", "listing", what, t, w.listing_price[what])
        _ratings(sim, who, what, t, share=0.7, rng=aux)
        g = sim.plant.negative("fandom", "shopper", loyal)
        sim.plant.negative("fandom", "merchant", [m], group=g)


def _planted_negatives(sim: Sim, w: _World) -> None:
    aux = np.random.default_rng([sim.cfg.seed, 303])
    clock = Clock(aux, sim.t0, sim.clock.span)
    _flash_sales(sim, w, aux)
    _viral(sim, w, aux, clock)
    _campaigns(sim, w, aux, clock)
    _loyal_customers(sim, w, aux, clock)


# ---- planted rings -----------------------------------------------------------------------


def _shoppers(
    sim: Sim, w: _World, k: int, *, market: int | None, fresh: bool
) -> tuple[np.ndarray, np.ndarray]:
    assert w.hijack is not None
    return ring_accounts(sim, w.hijack, "shopper", k, market=market, fresh=fresh)


def _fingerprints(
    sim: Sim, members: np.ndarray, hijacked: np.ndarray, n: int, when: RingTime
) -> np.ndarray | None:
    """A pool of ``n`` shared fingerprints, or (``n`` = 0) one of their own each."""
    if n:
        return device_farm(sim, members, n, when, names=_SHOPPER_AUTH)
    own_devices(sim, members[~hijacked], names=_SHOPPER_AUTH)
    return None


def _review_ring(sim: Sim, w: _World) -> None:
    """Accounts rating client merchants' listings five stars (some after a cheap
    purchase); a quarter also one-star a competitor. Clients are members."""
    rng, log, plant = sim.rng, sim.log, sim.plant
    rid, when = sim.new_ring("review_ring")
    k = loguniform_int(rng, 8, 60)
    big_enough = np.where(np.bincount(w.listing_merchant) >= 3, w.merchant_w**0.2, 0.0)
    clients = unique(draw(rng, big_enough, int(rng.integers(1, 5))))
    listings = some_of_each(rng, w.listing_merchant, clients, int(rng.integers(3, 9)))
    members, hijacked = _shoppers(sim, w, k, market=None, fresh=bool(rng.random() < 0.4))
    mi, lj = np.nonzero(rng.random((k, len(listings))) < rng.uniform(0.4, 0.9))
    rt = when(len(mi), int(rng.integers(3, 8)), 4 * 3600)
    bought = rng.random(len(mi)) < 0.4
    price = np.round(
        w.listing_price[listings[lj[bought]]] * rng.uniform(0.1, 1, int(bought.sum())), 2
    )
    before = rt[bought] - rng.uniform(1, 3, int(bought.sum())) * DAY
    sim.add_visible(
        "shopper", members[mi[bought]], "buy", "listing", listings[lj[bought]], before, price
    )
    log.add(
        "shopper",
        members[mi],
        "rate",
        "listing",
        listings[lj],
        rt,
        np.where(rng.random(len(mi)) < 0.93, 5.0, 4.0),
    )
    plant.target(rid, "listing", listings)
    n_events = 2 * len(mi)
    if rng.random() < 0.25:  # one-star a competitor of the first client
        plant.info[rid]["variant"] = "with_bombing"
        niche = w.merchant_niche[clients[0]]
        rivals = np.flatnonzero(
            (w.merchant_niche == niche) & ~np.isin(np.arange(len(w.merchant_w)), clients)
        )
        rival = int(rng.choice(rivals)) if len(rivals) else int(rng.integers(0, len(w.merchant_w)))
        theirs = np.flatnonzero(w.listing_merchant == rival)
        theirs = rng.choice(theirs, min(len(theirs), int(rng.integers(2, 6))), replace=False)
        bi, bj = np.nonzero(rng.random((k, len(theirs))) < 0.6)
        log.add(
            "shopper",
            members[bi],
            "rate",
            "listing",
            theirs[bj],
            when(len(bi), 2, 4 * 3600),
            np.ones(len(bi)),
        )
        plant.target(rid, "listing", theirs)
        n_events += len(bi)
    pool = _fingerprints(sim, members, hijacked, farm_size(rng, k) * (rng.random() < 0.6), when)
    if pool is not None:
        plant.target(rid, "fingerprint", pool)
    plant.member(rid, "review_ring", "merchant", clients)
    plant.member(rid, "review_ring", "shopper", members, hijacked)
    plant.camouflage("shopper", members, rid, n_events // k + 1)


def _brushing(sim: Sim, w: _World) -> None:
    """A merchant's fake shoppers buying its new listings for almost nothing and rating
    them, paying with a few shared cards from a few fingerprints."""
    rng, log, plant, pop = sim.rng, sim.log, sim.plant, sim.pop
    rid, when = sim.new_ring("brushing")
    k = loguniform_int(rng, 10, 50)
    mk = int(rng.integers(0, len(MARKETS)))
    merchant = pop.new("merchant", 1, fresh=bool(rng.random() < 0.6), market=mk)
    listings = pop.new("listing", int(rng.integers(3, 9)))
    log.add(
        "merchant",
        np.repeat(merchant, len(listings)),
        "publish",
        "listing",
        listings,
        pop.after_created(
            "merchant",
            np.repeat(merchant, len(listings)),
            sim.t0 - rng.uniform(1, 30, len(listings)) * DAY,
        ),
    )
    members, hijacked = _shoppers(sim, w, k, market=mk, fresh=True)
    bi, lj = np.nonzero(rng.random((k, len(listings))) < rng.uniform(0.4, 0.8))
    bt = when(len(bi), int(rng.integers(3, 7)), 3 * 3600)
    token = rng.random() < 0.6  # token amounts; otherwise list prices returned offline
    plant.info[rid]["variant"] = "token_amounts" if token else "refunded_offline"
    amount = np.round(
        rng.uniform(0.5, 3.0, len(bi)) if token else rng.lognormal(3.0, 0.3, len(bi)), 2
    )
    log.add("shopper", members[bi], "buy", "listing", listings[lj], bt, amount)
    r = rng.random(len(bi)) < 0.8
    lag = rng.uniform(1, 3, int(r.sum())) * DAY * (1 if when.slow else 0.05)
    five = np.full(int(r.sum()), 5.0)
    sim.add_visible(
        "shopper", members[bi[r]], "rate", "listing", listings[lj[r]], bt[r] + lag, five
    )
    cards = pop.new("card", int(rng.integers(1, 4)))
    log.add("shopper", members, "add_card", "card", rng.choice(cards, k), when(k, 2, 3600))
    pool = _fingerprints(sim, members, hijacked, farm_size(rng, k), when)
    plant.member(rid, "brushing", "merchant", merchant)
    plant.member(rid, "brushing", "shopper", members, hijacked)
    plant.target(rid, "listing", listings)
    plant.target(rid, "card", cards)
    if pool is not None:
        plant.target(rid, "fingerprint", pool)
    plant.camouflage("shopper", members, rid, (len(bi) + int(r.sum())) // k + 1)


def _sock_puppet_farm(sim: Sim, w: _World) -> None:
    """Merchant accounts on a few fingerprints settling to one or two banks, each
    publishing near-duplicate listings that a few real shoppers buy."""
    rng, log, plant, pop = sim.rng, sim.log, sim.plant, sim.pop
    rid, when = sim.new_ring("sock_puppet_farm")
    k = int(rng.integers(6, 21))
    mk = int(rng.integers(0, len(MARKETS)))
    members = pop.new("merchant", k, fresh=True, market=mk)
    fps = pop.new("fingerprint", int(rng.integers(1, 4)))
    banks = pop.new("bank", int(rng.integers(1, 3)))
    mi, fj = np.nonzero(rng.random((k, len(fps))) < 0.85)
    reps = rng.integers(1, 4, len(mi))
    log.add(
        "merchant",
        np.repeat(members[mi], reps),
        "auth",
        "fingerprint",
        np.repeat(fps[fj], reps),
        when(int(reps.sum()), 4, 3 * 3600),
    )
    st = np.repeat(members, rng.integers(1, 4, k))
    log.add(
        "merchant",
        st,
        "settle_to",
        "bank",
        rng.choice(banks, len(st)),
        when(len(st), 3, 3600),
        np.round(rng.lognormal(6, 1, len(st)), 2),
    )
    owner = np.repeat(members, rng.integers(3, 11, k))
    listings = pop.new("listing", len(owner))
    log.add("merchant", owner, "publish", "listing", listings, sim.clock.uniform(len(owner)))
    buyers = draw(rng, w.shopper_activity, int(rng.integers(5, 30)))
    sold = rng.choice(listings, len(buyers))
    log.add(
        "shopper",
        buyers,
        "buy",
        "listing",
        sold,
        sim.clock.uniform(len(buyers)),
        np.round(rng.lognormal(3.0, 0.5, len(buyers)), 2),
    )
    plant.member(rid, "sock_puppet_farm", "merchant", members)
    plant.target(rid, "fingerprint", fps)
    plant.target(rid, "bank", banks)
    plant.camouflage("merchant", members, rid, (int(reps.sum()) + len(st) + len(owner)) // k)


def _coupon_abuse(sim: Sim, w: _World) -> None:
    """New accounts on a few fingerprints redeeming the same promos (a merchant's, and a
    platform campaign's when there is one) and buying that merchant's cheapest listings."""
    rng, log, plant = sim.rng, sim.log, sim.plant
    rid, when = sim.new_ring("coupon_abuse")
    k = loguniform_int(rng, 10, 60)
    with_promo = unique(w.promo_merchant)
    merchant = int(rng.choice(with_promo))
    own = np.flatnonzero(w.promo_merchant == merchant)
    promos = rng.choice(own, min(len(own), int(rng.integers(1, 3))), replace=False)
    assert w.campaigns is not None
    if len(w.campaigns) and rng.random() < 0.5:
        promos = np.append(promos, rng.choice(w.campaigns))
        plant.info[rid]["variant"] = "with_campaign"
    members, hijacked = _shoppers(
        sim, w, k, market=int(sim.pop.market["merchant"][merchant]), fresh=True
    )
    mi, pj = np.nonzero(rng.random((k, len(promos))) < rng.uniform(0.6, 1.0))
    rt = when(len(mi), int(rng.integers(1, 3)), 2 * 3600)
    log.add("shopper", members[mi], "redeem", "promo", promos[pj], rt)
    buy = rng.random(len(mi)) < 0.8
    mine = np.flatnonzero(w.listing_merchant == merchant)
    cheap = mine[np.argsort(w.listing_price[mine], kind="stable")[: int(rng.integers(1, 4))]]
    listing = rng.choice(cheap, int(buy.sum()))
    log.add(
        "shopper",
        members[mi[buy]],
        "buy",
        "listing",
        listing,
        rt[buy] + rng.uniform(30, 1800, len(listing)),
        np.round(w.listing_price[listing] * 0.3, 2),
    )
    pool = _fingerprints(sim, members, hijacked, farm_size(rng, k), when)
    plant.member(rid, "coupon_abuse", "shopper", members, hijacked)
    plant.target(rid, "promo", promos)
    plant.target(rid, "listing", unique(listing))
    if pool is not None:
        plant.target(rid, "fingerprint", pool)
    plant.camouflage("shopper", members, rid, (len(mi) + int(buy.sum())) // k + 1)


RINGS = (_review_ring, _brushing, _sock_puppet_farm, _coupon_abuse)


# ---- camouflage, recorded negatives, the platform ----------------------------------------


def _camouflage(sim: Sim, w: _World) -> None:
    def price(r: np.random.Generator, k: int) -> np.ndarray:
        return np.round(r.lognormal(3.0, 1.0, k), 2)

    channels = {
        "browse": Channel("browse", "listing", w.listing_w),
        "wishlist": Channel("wishlist", "listing", w.listing_w),
        "buy": Channel("buy", "listing", w.listing_w, amount=price),
        "bookmark": Channel("bookmark", "merchant", w.merchant_w),
    }
    mix = {
        "shopper": (("browse", "wishlist", "buy", "bookmark"), (0.5, 0.15, 0.25, 0.1)),
        "merchant": (("browse", "bookmark"), (0.8, 0.2)),
    }
    add_camouflage(
        sim.log,
        sim.clock,
        sim.plant,
        share=sim.cfg.camouflage,
        kind=sim.cfg.camouflage_kind,
        mix=mix,
        channels=channels,
    )


def _recorded_negatives(sim: Sim, w: _World) -> None:
    """Households (fingerprint), family cards, fingerprint collisions, payment
    facilitators, power users and the most popular listings and merchants."""
    assert w.fingerprint is not None and w.card is not None and w.merchant_bank is not None
    plant = sim.plant
    hh = w.fingerprint == w.household
    home = np.flatnonzero(hh)
    shared_groups(plant, "household", ("shopper", "fingerprint"), w.fingerprint[home], owners=home)
    shared_groups(plant, "household", ("shopper", "card"), w.card)
    idx = np.flatnonzero(~hh)
    labels, groups = plant.negative_groups("common_device", "shopper", w.fingerprint[idx], idx)
    plant.negatives.append(("common_device", "fingerprint", groups, labels))
    shared_groups(plant, "agency", ("merchant", "bank"), w.merchant_bank)
    top_groups(
        plant, "power_user", "shopper", w.shopper_activity, max(5, len(w.shopper_activity) // 500)
    )
    top_groups(plant, "popular_target", "listing", w.listing_w, 5)
    top_groups(plant, "popular_target", "merchant", w.merchant_w, 5)


def simulate(cfg: SynthConfig) -> Sim:
    """Simulate one period of the marketplace described by ``cfg``."""
    sim = Sim.start(cfg, types=TYPES, actions=ACTIONS)
    w = _world(sim)
    _accounts(sim, w)
    _catalogue(sim, w)
    _sessions(sim, w)
    _purchases(sim, w)
    _devices_cards_banks(sim, w)
    if cfg.negatives:
        _planted_negatives(sim, w)
    organic = sim.pop.created["shopper"][: len(w.shopper_activity)]
    old_accounts = np.flatnonzero(organic < sim.t0 - 90 * DAY)  # with a history to hide in
    w.hijack = HijackPool(sim.rng, len(old_accounts), old_accounts)
    for _ in range(cfg.rings_per_pattern):
        for ring in RINGS:
            ring(sim, w)
    if cfg.camouflage > 0:
        _camouflage(sim, w)
    _recorded_negatives(sim, w)
    return sim


PLATFORM = Platform(
    name="marketplace",
    patterns=PATTERNS,
    types=TYPES,
    accounts=("shopper", "merchant"),
    actions=ACTIONS,
    prefixes={
        "shopper": "sp",
        "merchant": "mc",
        "listing": "li",
        "fingerprint": "fp",
        "card": "cd",
        "bank": "bk",
        "promo": "pm",
    },
    vocabulary={
        "actions": {
            "engagement": ("wishlist", "ask"),
            "purchase": ("buy",),
            "review": ("rate",),
            "follow": ("bookmark",),
            "claim": ("redeem",),
            "login": ("auth",),
            "payout": ("add_card", "settle_to"),
            "own": ("publish", "create_promo"),
            "view": ("browse",),
        },
        "entities": {
            "account": ("shopper", "merchant"),
            "item": ("listing",),
            "device": ("fingerprint",),
            "payout_account": ("card", "bank"),
            "coupon": ("promo",),
        },
    },
    simulate=simulate,
)
