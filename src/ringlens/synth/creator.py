"""The ``creator`` platform: a creator economy (ringlens' own vocabulary, the default).

Organic background:

* **power-law popularity** — creator, content and product popularity follow Zipf-like
  weights, buyer activity a Pareto distribution, so a few hubs get most engagement;
* **niche communities** — creators, buyers and products belong to niches (each niche is
  a market), and 80 % of a buyer's activity stays in its niche;
* **households** — 2–4 buyers sharing one device, and a few creators sharing a payout
  account with a partner or agency.

Planted rings: ``mutual_boost`` (creators liking, commenting, sharing and following each
other's content in bursts), ``brushing`` (fake buyers ordering and reviewing one seller's
products from a few shared devices; the seller is a member), ``affiliate_fraud`` (fake
buyers clicking one creator's affiliate links and ordering what it promotes; the creator is
a member), ``sock_puppet_farm`` (creators logging in from the same few devices and paying
out to the same one or two payout accounts).

With ``negatives`` on, organic structure that must not become rings is planted from a
separate random stream: a viral post, premieres (hundreds of followers reacting to a post
in the same minutes), fandoms and flash sales. The default settings reproduce the files of
earlier versions byte for byte (``graphs/demo``).
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
    Sim,
    add_camouflage,
    households,
    sample_grouped,
    shared_groups,
    top_groups,
    weighted,
    zipf_weights,
)
from ringlens.synth.data import Platform, SynthConfig

__all__ = ["PLATFORM", "simulate"]

TYPES: tuple[str, ...] = ("creator", "buyer", "seller", "product", "content", "device", "payment")
ACTIONS: tuple[str, ...] = (
    "like",
    "comment",
    "share",
    "follow",
    "order",
    "review",
    "affiliate_click",
)
ACTIONS += ("list", "post", "promote", "login", "payout_to")
PATTERNS = ("mutual_boost", "brushing", "affiliate_fraud", "sock_puppet_farm")
BUYER_KINDS = ("like", "comment", "share", "follow", "order", "review", "affiliate_click")


@dataclass
class _World:
    """The organic creator economy (indices and popularity of every organic entity)."""

    n_niches: int
    creator_niche: np.ndarray
    buyer_niche: np.ndarray
    seller_niche: np.ndarray
    product_seller: np.ndarray
    product_niche: np.ndarray
    creator_w: np.ndarray
    product_w: np.ndarray
    content_creator: np.ndarray
    content_niche: np.ndarray
    content_w: np.ndarray
    buyer_activity: np.ndarray
    household: np.ndarray | None = None
    creator_payment: np.ndarray | None = None
    hijack: HijackPool | None = None


def _world(sim: Sim) -> _World:
    rng, n = sim.rng, sim.cfg.n_events
    n_creators, n_buyers = max(100, n // 400), max(500, n // 20)
    n_sellers = max(25, n_creators // 4)
    n_products, n_content = n_sellers * 6, n_creators * 5
    n_niches = max(8, n_creators // 50)
    creator_niche = rng.integers(0, n_niches, n_creators)
    buyer_niche = rng.integers(0, n_niches, n_buyers)
    seller_niche = rng.integers(0, n_niches, n_sellers)
    product_seller = np.sort(rng.integers(0, n_sellers, n_products))
    creator_w = zipf_weights(n_creators, rng, 1.1)
    product_w = zipf_weights(n_products, rng, 1.0)
    content_creator = weighted(rng, creator_w**0.5, n_content)
    content_creator[:n_creators] = np.arange(n_creators)  # every creator posts at least once
    content_w = creator_w[content_creator] * rng.lognormal(0, 0.7, n_content)
    for kind, count in (("product", n_products), ("content", n_content)):
        sim.pop.counts[kind] = count
    return _World(
        n_niches=n_niches,
        creator_niche=creator_niche,
        buyer_niche=buyer_niche,
        seller_niche=seller_niche,
        product_seller=product_seller,
        product_niche=seller_niche[product_seller],
        creator_w=creator_w,
        product_w=product_w,
        content_creator=content_creator,
        content_niche=creator_niche[content_creator],
        content_w=content_w,
        buyer_activity=rng.pareto(1.6, n_buyers) + 1.0,
    )


def _listings_and_posts(sim: Sim, w: _World) -> None:
    """Sellers list products (before the period), creators post and promote."""
    rng, log, clock = sim.rng, sim.log, sim.clock
    n_products, n_content = len(w.product_w), len(w.content_w)
    listed = sim.t0 - rng.uniform(0, 365 * DAY, n_products)
    log.add("seller", w.product_seller, "list", "product", np.arange(n_products), listed)
    log.add(
        "creator",
        w.content_creator,
        "post",
        "content",
        np.arange(n_content),
        clock.uniform(n_content),
    )
    # creators promote products in their niche (3 each on average, popular ones more likely)
    n_prom = len(w.creator_w) * 3
    prom_creator = rng.integers(0, len(w.creator_w), n_prom)
    prom_product = sample_grouped(w.creator_niche[prom_creator], w.product_niche, w.product_w, rng)
    log.add("creator", prom_creator, "promote", "product", prom_product, clock.uniform(n_prom))


def _buyer_engagement(sim: Sim, w: _World) -> None:
    """Buyers like, comment, share, follow, order, review and click, 80 % in their niche."""
    rng, log = sim.rng, sim.log
    n_eng = int(sim.cfg.n_events * 0.78)
    actor = weighted(rng, w.buyer_activity, n_eng)
    kind = rng.choice(len(BUYER_KINDS), size=n_eng, p=[0.42, 0.1, 0.05, 0.06, 0.2, 0.06, 0.11])
    in_niche = rng.random(n_eng) < 0.8
    niche = np.where(in_niche, w.buyer_niche[actor], rng.integers(0, w.n_niches, n_eng))
    ts = sim.clock.uniform(n_eng)
    for k, name in enumerate(BUYER_KINDS):
        m = kind == k
        a, nn, tt = actor[m], niche[m], ts[m]
        if name in ("like", "comment", "share"):
            tgt = sample_grouped(nn, w.content_niche, w.content_w, rng)
            log.add("buyer", a, name, "content", tgt, tt)
        elif name in ("follow", "affiliate_click"):
            tgt = sample_grouped(nn, w.creator_niche, w.creator_w, rng)
            log.add("buyer", a, name, "creator", tgt, tt)
        else:
            tgt = sample_grouped(nn, w.product_niche, w.product_w, rng)
            amt = np.round(rng.lognormal(3.2, 0.9, len(a)), 2) if name == "order" else None
            log.add("buyer", a, name, "product", tgt, tt, amt)


def _creator_engagement(sim: Sim, w: _World) -> None:
    """Creators engage with other creators' content a little."""
    rng = sim.rng
    n_cc = int(sim.cfg.n_events * 0.04)
    cc_actor = weighted(rng, w.creator_w**0.3, n_cc)
    cc_target = sample_grouped(w.creator_niche[cc_actor], w.content_niche, w.content_w, rng)
    acts = sim.log.codes(("like", "comment"))[rng.choice(2, n_cc, p=[0.8, 0.2])]
    sim.log.add("creator", cc_actor, acts, "content", cc_target, sim.clock.uniform(n_cc))


def _devices_and_payouts(sim: Sim, w: _World) -> None:
    """Households share a device; creators have their own device and payout account."""
    rng, log, clock = sim.rng, sim.log, sim.clock
    n_buyers, n_creators = len(w.buyer_activity), len(w.creator_w)
    w.household = households(rng, n_buyers)
    n_devices = int(w.household.max()) + 1
    la = np.repeat(np.arange(n_buyers), rng.integers(1, 4, n_buyers))
    log.add("buyer", la, "login", "device", w.household[la], clock.uniform(len(la)))
    creator_device = n_devices + np.arange(n_creators)
    cl = np.repeat(np.arange(n_creators), rng.integers(2, 6, n_creators))
    log.add("creator", cl, "login", "device", creator_device[cl], clock.uniform(len(cl)))
    payment = np.arange(n_creators)
    # 3 % of creators pay out to a partner's or an agency's account
    shared = rng.random(n_creators) < 0.03
    payment[shared] = rng.integers(0, n_creators, int(shared.sum()))
    w.creator_payment = payment
    cp = np.repeat(np.arange(n_creators), rng.integers(1, 4, n_creators))
    log.add("creator", cp, "payout_to", "payment", payment[cp], clock.uniform(len(cp)))
    sim.pop.counts["device"] = n_devices + n_creators
    sim.pop.counts["payment"] = n_creators


def _accounts(sim: Sim, w: _World) -> None:
    """Creation times (8 % of accounts under 45 days old) and markets (niche → market)."""
    rng, t0 = sim.rng, sim.t0
    created = {
        "creator": t0 - rng.uniform(60, 3 * 365, len(w.creator_w)) * DAY,
        "buyer": t0 - rng.uniform(60, 3 * 365, len(w.buyer_activity)) * DAY,
        "seller": t0 - rng.uniform(90, 4 * 365, len(w.seller_niche)) * DAY,
    }
    # a separate stream, so the rest of the data does not move with this choice
    age_rng = np.random.default_rng([sim.cfg.seed, 45])
    for arr in created.values():
        fresh = age_rng.random(len(arr)) < 0.08
        arr[fresh] = t0 - age_rng.uniform(1, 45, int(fresh.sum())) * DAY
    niches = {"creator": w.creator_niche, "buyer": w.buyer_niche, "seller": w.seller_niche}
    for kind, arr in created.items():
        sim.pop.accounts(kind, arr, niches[kind] % len(MARKETS))


def _mutual_boost(sim: Sim, w: _World) -> None:
    """Creators liking, commenting, sharing and following each other's posts."""
    rng, log, plant = sim.rng, sim.log, sim.plant
    rid, when = sim.new_ring("mutual_boost")
    k = int(rng.integers(8, 17))
    mk = int(rng.integers(0, len(MARKETS)))
    members = sim.pop.new("creator", k, fresh=rng.random() < 0.7, market=mk)
    n_posts = rng.integers(3, 7, k)
    owner = np.repeat(members, n_posts)
    posts = sim.pop.new("content", len(owner))
    log.add("creator", owner, "post", "content", posts, sim.clock.uniform(len(owner)))
    ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    ii, jj = ii[ii != jj], jj[ii != jj]
    keep = rng.random(len(ii)) < 0.85
    ii, jj = ii[keep], jj[keep]
    reps = rng.integers(1, 4, len(ii))
    src, dst = np.repeat(members[ii], reps), np.repeat(jj, reps)
    # a random post of the target member
    post_start = np.concatenate([[0], np.cumsum(n_posts)[:-1]])
    pick = post_start[dst] + (rng.random(len(dst)) * n_posts[dst]).astype(np.int64)
    acts = log.codes(("like", "comment", "share"))[rng.choice(3, len(src), p=[0.6, 0.25, 0.15])]
    log.add(
        "creator", src, acts, "content", posts[pick], when(len(src), int(rng.integers(4, 9)), 7200)
    )
    fi, fj = np.meshgrid(members, members, indexing="ij")
    fmask = (fi != fj) & (rng.random(fi.shape) < 0.9)
    log.add("creator", fi[fmask], "follow", "creator", fj[fmask], when(int(fmask.sum()), 2, 7200))
    plant.member(rid, "mutual_boost", "creator", members)
    plant.target(rid, "content", posts)
    per_member = np.bincount(np.searchsorted(members, src), minlength=k)
    plant.camouflage("creator", members, rid, int(per_member.mean()))


def _fake_buyers(sim: Sim, w: _World, k: int, mk: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` ring buyers: new accounts and a share of hijacked organic ones (last)."""
    assert w.hijack is not None
    n_hij = int(round(k * sim.cfg.hijacked_share))
    hijacked = w.hijack.take(n_hij)
    buyers = np.concatenate([sim.pop.new("buyer", k - n_hij, market=mk), hijacked])
    return buyers, np.arange(k) >= k - n_hij


def _device_pool(sim: Sim, buyers: np.ndarray, when) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Ring buyers log in from a small pool of shared devices."""
    rng = sim.rng
    pool = sim.pop.new("device", int(rng.integers(2, 5)))
    dl = np.repeat(buyers, rng.integers(1, 3, len(buyers)))
    sim.log.add(
        "buyer", dl, "login", "device", rng.choice(pool, len(dl)), when(len(dl), 3, 3 * 3600)
    )
    return pool


def _brushing(sim: Sim, w: _World) -> None:
    """Fake buyers ordering and reviewing one (member) seller's products."""
    rng, log, plant = sim.rng, sim.log, sim.plant
    rid, when = sim.new_ring("brushing")
    k = int(rng.integers(15, 36))
    mk = int(rng.integers(0, len(MARKETS)))
    seller = sim.pop.new("seller", 1, fresh=True, market=mk)
    prods = sim.pop.new("product", int(rng.integers(3, 6)))
    listed = sim.t0 - rng.uniform(1, 20, len(prods)) * DAY
    log.add("seller", np.repeat(seller, len(prods)), "list", "product", prods, listed)
    buyers, hijacked = _fake_buyers(sim, w, k, mk)
    bi, pj = np.meshgrid(buyers, prods, indexing="ij")
    m = rng.random(bi.shape) < 0.75
    reps = rng.integers(1, 3, int(m.sum()))
    ob, op = np.repeat(bi[m], reps), np.repeat(pj[m], reps)
    ots = when(len(ob), int(rng.integers(3, 7)), 3 * 3600)
    log.add("buyer", ob, "order", "product", op, ots, np.round(rng.lognormal(2.3, 0.3, len(ob)), 2))
    r = rng.random(len(ob)) < 0.6
    rts = ots[r] + rng.uniform(600, 7200, int(r.sum()))
    log.add("buyer", ob[r], "review", "product", op[r], rts)
    pool = _device_pool(sim, buyers, when)
    plant.member(rid, "brushing", "seller", seller)
    plant.member(rid, "brushing", "buyer", buyers, hijacked)
    plant.target(rid, "product", prods)
    plant.target(rid, "device", pool)
    plant.camouflage("buyer", buyers, rid, int(len(ob) * 1.6 / k))


def _affiliate_fraud(sim: Sim, w: _World) -> None:
    """Fake buyers clicking one (member) creator's links and ordering what it promotes."""
    rng, log, plant, clock = sim.rng, sim.log, sim.plant, sim.clock
    rid, when = sim.new_ring("affiliate_fraud")
    k = int(rng.integers(15, 36))
    mk = int(rng.integers(0, len(MARKETS)))
    creator = sim.pop.new("creator", 1, fresh=True, market=mk)
    cposts = sim.pop.new("content", int(rng.integers(3, 7)))
    log.add(
        "creator",
        np.repeat(creator, len(cposts)),
        "post",
        "content",
        cposts,
        clock.uniform(len(cposts)),
    )
    cprods = weighted(rng, w.product_w, int(rng.integers(3, 6)))
    log.add(
        "creator",
        np.repeat(creator, len(cprods)),
        "promote",
        "product",
        cprods,
        clock.uniform(len(cprods)),
    )
    buyers, hijacked = _fake_buyers(sim, w, k, mk)
    clicks = np.repeat(buyers, rng.integers(2, 5, k))
    cts = when(len(clicks), int(rng.integers(3, 7)), 3 * 3600)
    log.add("buyer", clicks, "affiliate_click", "creator", np.repeat(creator, len(clicks)), cts)
    ob = np.repeat(buyers, rng.integers(1, 4, k))
    op = rng.choice(cprods, len(ob))
    ots = when(len(ob), int(rng.integers(3, 7)), 3 * 3600)
    log.add("buyer", ob, "order", "product", op, ots, np.round(rng.lognormal(3.0, 0.4, len(ob)), 2))
    pool = _device_pool(sim, buyers, when)
    plant.member(rid, "affiliate_fraud", "creator", creator)
    plant.member(rid, "affiliate_fraud", "buyer", buyers, hijacked)
    plant.target(rid, "product", cprods)
    plant.target(rid, "device", pool)
    plant.camouflage("buyer", buyers, rid, int((len(clicks) + len(ob)) * 1.5 / k))


def _sock_puppet_farm(sim: Sim, w: _World) -> None:
    """Creators logging in from a few devices and paying out to one or two accounts."""
    rng, log, plant, clock = sim.rng, sim.log, sim.plant, sim.clock
    rid, when = sim.new_ring("sock_puppet_farm")
    k = int(rng.integers(6, 15))
    mk = int(rng.integers(0, len(MARKETS)))
    members = sim.pop.new("creator", k, fresh=True, market=mk)
    devs = sim.pop.new("device", int(rng.integers(1, 4)))
    pays = sim.pop.new("payment", int(rng.integers(1, 3)))
    mi, dj = np.meshgrid(members, devs, indexing="ij")
    m = rng.random(mi.shape) < 0.85
    lg = rng.integers(1, 4, int(m.sum()))
    log.add(
        "creator",
        np.repeat(mi[m], lg),
        "login",
        "device",
        np.repeat(dj[m], lg),
        clock.uniform(int(lg.sum())),
    )
    pm = np.repeat(members, rng.integers(1, 4, k))
    log.add(
        "creator", pm, "payout_to", "payment", rng.choice(pays, len(pm)), clock.uniform(len(pm))
    )
    owner = np.repeat(members, rng.integers(2, 6, k))
    posts = sim.pop.new("content", len(owner))
    log.add("creator", owner, "post", "content", posts, clock.uniform(len(owner)))
    farm_prods = weighted(rng, w.product_w, int(rng.integers(2, 5)))
    pr = np.repeat(members, rng.integers(1, 4, k))
    log.add(
        "creator", pr, "promote", "product", rng.choice(farm_prods, len(pr)), clock.uniform(len(pr))
    )
    lk = rng.integers(0, len(owner), k * 3)
    lk_actor = rng.choice(members, k * 3)
    log.add("creator", lk_actor, "like", "content", posts[lk], when(k * 3, 3, 3600))
    plant.member(rid, "sock_puppet_farm", "creator", members)
    plant.target(rid, "device", devs)
    plant.target(rid, "payment", pays)
    plant.camouflage("creator", members, rid, int((lg.sum() + len(pm) + len(owner) + len(pr)) / k))


def _camouflage(sim: Sim, w: _World) -> None:
    def order_amount(rng: np.random.Generator, k: int) -> np.ndarray:
        return np.round(rng.lognormal(3.2, 0.9, k), 2)

    channels = {
        "like": Channel("like", "content", w.content_w),
        "comment": Channel("comment", "content", w.content_w),
        "follow": Channel("follow", "creator", w.creator_w),
        "order": Channel("order", "product", w.product_w, amount=order_amount),
    }
    mix = {
        "buyer": (("like", "order", "follow"), (0.5, 0.35, 0.15)),
        "creator": (("like", "comment", "follow"), (0.6, 0.2, 0.2)),
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
    """Organic structure that exists on every run: households, partner payout accounts,
    the busiest buyers and the most popular creators, content and products."""
    assert w.household is not None and w.creator_payment is not None
    shared_groups(sim.plant, "household", ("buyer", "device"), w.household)
    shared_groups(sim.plant, "agency", ("creator", "payment"), w.creator_payment)
    top_groups(
        sim.plant, "power_user", "buyer", w.buyer_activity, max(5, len(w.buyer_activity) // 500)
    )
    for kind, wt in (("creator", w.creator_w), ("content", w.content_w), ("product", w.product_w)):
        top_groups(sim.plant, "popular_target", kind, wt, 5)


def _planted_negatives(sim: Sim, w: _World) -> None:
    """Viral posts, premieres, fandoms and flash sales, from a separate random stream."""
    aux = np.random.default_rng([sim.cfg.seed, 303])
    clock = Clock(aux, sim.t0, sim.clock.span)
    log, plant, n = sim.log, sim.plant, sim.cfg.n_events
    buyers = len(w.buyer_activity)

    def crowd(size: int, niche: int | None = None) -> np.ndarray:
        act = (
            w.buyer_activity
            if niche is None
            else w.buyer_activity * (1 + 9 * (w.buyer_niche == niche))
        )
        return np.unique(weighted(aux, act, min(size, buyers // 3)))

    mid = np.argsort(-w.content_w)[len(w.content_w) // 20 :]
    post = int(aux.choice(mid))  # viral: a mid-popular post explodes and decays
    fans = crowd(int(0.006 * n))
    log.add(
        "buyer",
        fans,
        "like",
        "content",
        np.full(len(fans), post),
        clock.decay(len(fans), sim.t0 + aux.uniform(0, sim.clock.span * 0.7), 8 * 3600),
    )
    plant.negative(
        "viral_burst", "content", [post], group=plant.negative("viral_burst", "buyer", fans)
    )
    for c in np.argsort(-w.creator_w)[:3]:  # premiere: followers react in the same minutes
        posts = np.flatnonzero(w.content_creator == c)
        aud = crowd(int(aux.integers(200, 600)), int(w.creator_niche[c]))
        t = sim.t0 + aux.uniform(0, sim.clock.span - 3600) + aux.exponential(120, len(aud))
        log.add("buyer", aud, "like", "content", np.full(len(aud), posts[0]), t)
        g = plant.negative("live_audience", "buyer", aud)
        plant.negative("live_audience", "content", posts[:1], group=g)
    for c in np.argsort(-w.creator_w)[3:6]:  # fandom: loyal buyers react to most posts
        posts = np.flatnonzero(w.content_creator == c)
        loyal = crowd(int(aux.integers(50, 150)), int(w.creator_niche[c]))
        li, pj = np.meshgrid(loyal, posts, indexing="ij")
        m = aux.random(li.shape) < 0.7
        log.add("buyer", li[m], "like", "content", pj[m], clock.uniform(int(m.sum())))
        g = plant.negative("fandom", "buyer", loyal)
        plant.negative("fandom", "creator", [c], group=g)
    prod = int(np.argsort(-w.product_w)[1])  # flash sale: one product, one hour
    shoppers = crowd(int(0.003 * n) + 100)
    t = sim.t0 + aux.uniform(0, sim.clock.span - 3600) + aux.uniform(0, 3600, len(shoppers))
    log.add(
        "buyer",
        shoppers,
        "order",
        "product",
        np.full(len(shoppers), prod),
        t,
        np.round(aux.lognormal(2.5, 0.2, len(shoppers)), 2),
    )
    g = plant.negative("flash_sale", "buyer", shoppers)
    plant.negative("flash_sale", "product", [prod], group=g)


RINGS = (_mutual_boost, _brushing, _affiliate_fraud, _sock_puppet_farm)


def simulate(cfg: SynthConfig) -> Sim:
    """Simulate one period of the creator economy described by ``cfg``."""
    sim = Sim.start(cfg, types=TYPES, actions=ACTIONS)
    w = _world(sim)
    _listings_and_posts(sim, w)
    _buyer_engagement(sim, w)
    _creator_engagement(sim, w)
    _devices_and_payouts(sim, w)
    _accounts(sim, w)
    w.hijack = HijackPool(sim.rng, len(w.buyer_activity))
    for _ in range(cfg.rings_per_pattern):
        for ring in RINGS:
            ring(sim, w)
    if cfg.camouflage > 0:
        _camouflage(sim, w)
    _recorded_negatives(sim, w)
    if cfg.negatives:
        _planted_negatives(sim, w)
    return sim


PLATFORM = Platform(
    name="creator",
    patterns=PATTERNS,
    types=TYPES,
    accounts=("creator", "buyer", "seller"),
    actions=ACTIONS,
    prefixes={
        "creator": "cr",
        "buyer": "bu",
        "seller": "se",
        "product": "pr",
        "content": "co",
        "device": "dv",
        "payment": "pa",
    },
    vocabulary={
        "actions": {
            "engagement": ("like", "comment", "share"),
            "purchase": ("order",),
            "review": ("review",),
            "click": ("affiliate_click",),
            "follow": ("follow",),
            "login": ("login",),
            "payout": ("payout_to",),
            "own": ("post", "list", "promote"),
        },
        "entities": {
            "account": ("creator", "buyer", "seller"),
            "item": ("product",),
            "content": ("content",),
            "device": ("device",),
            "payout_account": ("payment",),
        },
    },
    simulate=simulate,
)
