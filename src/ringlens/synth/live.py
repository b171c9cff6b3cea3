"""The ``live`` platform: live commerce, with its own vocabulary.

Accounts are ``viewer``, ``host`` and ``shop``; hosts go live (``go_live`` a ``stream``)
and ``pin`` a shop's ``sku``; viewers ``watch`` streams, ``chat``, ``heart`` and
``send_gift`` (coins in ``amount``), ``subscribe`` to hosts, ``grab_voucher`` a shop's
``voucher``, ``checkout`` skus (price in ``amount``) and leave ``feedback`` (stars 1–5 in
``amount``); accounts ``sign_in`` on a ``handset``; hosts ``cash_out`` to a ``wallet``;
shops ``stock`` skus and ``issue`` vouchers.

Organic background: heavy-tailed viewer activity (Pareto) and gifting (a few whales),
Zipf host and sku popularity, niches tied to markets, local-time evening peaks and a weekly
rhythm, viewers with favourite hosts (fandoms attending many lives), joins front-loaded at
a stream's start, voucher drops during lives (hundreds claiming in the same minute),
households sharing a handset, agencies whose hosts share a wallet and a studio handset.

With ``negatives`` on (the default) a separate random stream also plants gift rushes in
the biggest lives (hundreds gifting in the same minute), a viral sku, a host whose
subscriptions explode for a day, and platform voucher campaigns claimed by thousands over
a week, a third of them brand-new accounts.

Planted rings: ``gift_ring`` (accounts gifting one or a few new hosts' lives: reward farms
from shared handsets, or launderers with huge gifts and one shared wallet; the hosts are
members), ``follower_farm`` (fresh accounts on a few handsets subscribing to a set of
client hosts, delivered in bursts or drip-fed over weeks), ``coupon_abuse`` (many new
accounts on few handsets claiming the same vouchers and checking out), ``review_ring``
(accounts buying and rating a shop's skus five stars; own shop or several client shops).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

TYPES: tuple[str, ...] = ("viewer", "host", "shop", "stream", "sku", "voucher", "handset", "wallet")
ACTIONS: tuple[str, ...] = (
    "watch",
    "chat",
    "heart",
    "send_gift",
    "subscribe",
    "grab_voucher",
    "checkout",
)
ACTIONS += ("feedback", "go_live", "pin", "stock", "issue", "sign_in", "cash_out")
PATTERNS = ("gift_ring", "follower_farm", "coupon_abuse", "review_ring")
#: Local hour at which hosts go live: lunch and, mostly, the evening.
LIVE_CURVE = np.array(
    [0.3, 0.15, 0.05, 0.02, 0.02, 0.03, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9]
    + [1.2, 1.1, 0.9, 0.9, 1.0, 1.2, 1.6, 2.2, 2.8, 3.0, 2.4, 1.2]
)
GIFT_VALUES = np.array([1, 5, 10, 30, 99, 199, 499, 999, 2999], dtype=np.float64)
GIFT_P = np.array([0.35, 0.22, 0.15, 0.1, 0.08, 0.05, 0.03, 0.015, 0.005])
STARS = np.array([5.0, 4.0, 3.0, 2.0, 1.0])


@dataclass
class _World:
    """The organic platform: niches, popularity, streams, pins and vouchers."""

    n_niches: int
    viewer_niche: np.ndarray
    viewer_activity: np.ndarray
    viewer_gifting: np.ndarray
    fav: np.ndarray  # two favourite hosts per viewer, shape (n_viewers, 2)
    host_niche: np.ndarray
    host_w: np.ndarray
    host_shop: np.ndarray
    shop_niche: np.ndarray
    shop_w: np.ndarray
    sku_shop: np.ndarray
    sku_niche: np.ndarray
    sku_w: np.ndarray
    sku_price: np.ndarray
    voucher_shop: np.ndarray
    # streams, sorted by host
    stream_host: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    stream_start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stream_dur: np.ndarray = field(default_factory=lambda: np.zeros(0))
    host_first_stream: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    host_n_streams: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pin_first: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pin_count: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pin_sku: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # watch events (viewer, stream, time): engagement hangs off them
    watch: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    household: np.ndarray | None = None
    host_wallet: np.ndarray | None = None
    host_handset: np.ndarray | None = None
    campaigns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    hijack: HijackPool | None = None

    def stream_of(self, host: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A stream of each ``host`` (``u`` uniform in [0, 1) picks which)."""
        return self.host_first_stream[host] + (u * self.host_n_streams[host]).astype(np.int64)

    def during(self, stream: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A time inside each ``stream`` (``u`` = fraction of its duration)."""
        return self.stream_start[stream] + u * self.stream_dur[stream]

    def stream_end(self, stream: np.ndarray) -> np.ndarray:
        return self.stream_start[stream] + self.stream_dur[stream]


def _world(sim: Sim) -> _World:
    rng, n = sim.rng, sim.cfg.n_events
    n_hosts, n_viewers = max(60, n // 1500), max(1000, n // 16)
    n_shops = max(30, n_hosts // 2)
    n_skus = n_shops * 12
    n_niches = max(6, n_hosts // 20)
    host_niche = rng.integers(0, n_niches, n_hosts)
    viewer_niche = rng.integers(0, n_niches, n_viewers)
    shop_niche = rng.integers(0, n_niches, n_shops)
    host_w = zipf_weights(n_hosts, rng, 1.2)
    shop_w = zipf_weights(n_shops, rng, 0.9)
    sku_shop = np.sort(draw(rng, shop_w**0.5, n_skus))
    sku_w = zipf_weights(n_skus, rng, 1.0) * shop_w[sku_shop] ** 0.5
    fav = np.stack([sample_grouped(viewer_niche, host_niche, host_w, rng) for _ in range(2)], 1)
    voucher_shop = np.repeat(np.arange(n_shops), rng.integers(1, 4, n_shops))
    for kind, count in (("sku", n_skus), ("voucher", len(voucher_shop))):
        sim.pop.counts[kind] = count
    return _World(
        n_niches=n_niches,
        viewer_niche=viewer_niche,
        viewer_activity=np.minimum(rng.pareto(1.4, n_viewers) + 1.0, 400.0),
        viewer_gifting=rng.lognormal(0, 1.5, n_viewers),
        fav=fav,
        host_niche=host_niche,
        host_w=host_w,
        host_shop=sample_grouped(host_niche, shop_niche, shop_w, rng),
        shop_niche=shop_niche,
        shop_w=shop_w,
        sku_shop=sku_shop,
        sku_niche=shop_niche[sku_shop],
        sku_w=sku_w,
        sku_price=np.round(rng.lognormal(2.8, 0.8, n_skus), 2),
        voucher_shop=voucher_shop,
    )


def _accounts(sim: Sim, w: _World) -> None:
    """Creation times (8 % of accounts under 45 days old) and markets (mostly the
    niche's market)."""
    rng, t0 = sim.rng, sim.t0
    for kind, niche, lo, hi in (
        ("viewer", w.viewer_niche, 30, 4 * 365),
        ("host", w.host_niche, 60, 3 * 365),
        ("shop", None, 90, 5 * 365),
    ):
        c = len(w.shop_w) if niche is None else len(niche)
        created = t0 - rng.uniform(lo, hi, c) * DAY
        fresh = rng.random(c) < 0.08
        created[fresh] = t0 - rng.uniform(1, 45, int(fresh.sum())) * DAY
        home = rng.integers(0, len(MARKETS), c) if niche is None else niche % len(MARKETS)
        market = np.where(rng.random(c) < 0.9, home, rng.integers(0, len(MARKETS), c))
        sim.pop.accounts(kind, created, market)


def _streams(sim: Sim, w: _World) -> None:
    """Hosts go live (popular hosts more often) and pin skus of their partner shop."""
    rng, log = sim.rng, sim.log
    n_hosts = len(w.host_w)
    rate = 0.15 + 1.2 * (w.host_w / w.host_w.max()) ** 0.35  # lives per day
    per_host = np.maximum(1, rng.poisson(rate * sim.clock.days))
    w.stream_host = np.repeat(np.arange(n_hosts), per_host)
    w.host_n_streams = per_host
    w.host_first_stream = np.concatenate([[0], np.cumsum(per_host)[:-1]])
    n_streams = len(w.stream_host)
    dur = np.clip(rng.lognormal(np.log(5400), 0.5, n_streams), 900, 6 * 3600)
    start = sim.clock.local(sim.pop.market["host"][w.stream_host], curve=LIVE_CURVE)
    w.stream_start = np.minimum(start, sim.t0 + sim.clock.span - dur)
    w.stream_dur = dur
    sim.pop.counts["stream"] = n_streams
    log.add("host", w.stream_host, "go_live", "stream", np.arange(n_streams), w.stream_start)
    w.pin_count = rng.integers(2, 9, n_streams)
    w.pin_first = np.concatenate([[0], np.cumsum(w.pin_count)[:-1]])
    pin_stream = np.repeat(np.arange(n_streams), w.pin_count)
    shop = w.host_shop[w.stream_host[pin_stream]]
    own = sample_grouped(shop, w.sku_shop, w.sku_w, rng)
    other = sample_grouped(w.host_niche[w.stream_host[pin_stream]], w.sku_niche, w.sku_w, rng)
    w.pin_sku = np.where(rng.random(len(pin_stream)) < 0.75, own, other)
    pin_ts = w.stream_start[pin_stream] + rng.uniform(0, 600, len(pin_stream))
    log.add("host", w.stream_host[pin_stream], "pin", "sku", w.pin_sku, pin_ts)


def _catalogue(sim: Sim, w: _World) -> None:
    """Shops stock skus and issue vouchers before or during the period."""
    rng, t0, pop = sim.rng, sim.t0, sim.pop
    n_skus, n_vouchers = len(w.sku_shop), len(w.voucher_shop)
    stocked = pop.after_created("shop", w.sku_shop, t0 - rng.uniform(0, 200, n_skus) * DAY)
    sim.log.add("shop", w.sku_shop, "stock", "sku", np.arange(n_skus), stocked)
    issued = t0 + rng.uniform(-20, sim.clock.days * 0.5, n_vouchers) * DAY
    issued = pop.after_created("shop", w.voucher_shop, issued)
    sim.log.add("shop", w.voucher_shop, "issue", "voucher", np.arange(n_vouchers), issued)


def _watch(sim: Sim, w: _World) -> None:
    """Viewers join lives: favourite hosts, their niche, or anything popular; joins
    crowd a live's first minutes."""
    rng = sim.rng
    n = int(sim.cfg.n_events * 0.40)
    viewer = draw(rng, w.viewer_activity, n)
    how = rng.choice(3, n, p=[0.4, 0.45, 0.15])
    host = np.where(
        how == 0,
        w.fav[viewer, rng.integers(0, 2, n)],
        np.where(
            how == 1,
            sample_grouped(w.viewer_niche[viewer], w.host_niche, w.host_w, rng),
            draw(rng, w.host_w, n),
        ),
    )
    stream = w.stream_of(host, rng.random(n))
    frac = np.minimum(rng.exponential(0.25, n), 0.95)
    ts = w.during(stream, frac)
    w.watch = (viewer, stream, ts)
    sim.log.add("viewer", viewer, "watch", "stream", stream, ts)


def _live_engagement(sim: Sim, w: _World) -> None:
    """Chats, hearts and gifts by viewers who joined, later in the same live."""
    assert w.watch is not None
    rng, log, n = sim.rng, sim.log, sim.cfg.n_events
    viewer, stream, ts = w.watch
    for action, share, propensity in (
        ("chat", 0.16, w.viewer_activity**0.3),
        ("heart", 0.14, w.viewer_activity**0.2),
        ("send_gift", 0.05, w.viewer_gifting),
    ):
        k = int(n * share)
        pick = draw(rng, propensity[viewer], k)
        end = w.stream_end(stream[pick])
        t = ts[pick] + (end - ts[pick]) * rng.random(k) ** 2
        amount = None
        if action == "send_gift":
            amount = GIFT_VALUES[rng.choice(len(GIFT_VALUES), k, p=GIFT_P)]
        log.add("viewer", viewer[pick], action, "stream", stream[pick], t, amount)


def _subscriptions(sim: Sim, w: _World) -> None:
    """Viewers subscribe to favourite hosts and to hosts of their niche, once each."""
    rng = sim.rng
    k = int(sim.cfg.n_events * 0.03)
    viewer = draw(rng, w.viewer_activity**0.5, k)
    host = np.where(
        rng.random(k) < 0.5,
        w.fav[viewer, 0],
        sample_grouped(w.viewer_niche[viewer], w.host_niche, w.host_w, rng),
    )
    pair = unique(viewer * len(w.host_w) + host)
    viewer, host = pair // len(w.host_w), pair % len(w.host_w)
    ts = sim.clock.local(sim.pop.market["viewer"][viewer])
    sim.log.add("viewer", viewer, "subscribe", "host", host, ts)


def _purchases(sim: Sim, w: _World) -> None:
    """Checkouts of pinned skus during lives and from shop windows; some feedback."""
    assert w.watch is not None
    rng, n = sim.rng, sim.cfg.n_events
    viewer, stream, ts = w.watch
    k_live = int(n * 0.035)
    pick = draw(rng, w.viewer_activity[viewer] ** 0.5, k_live)
    s = stream[pick]
    sku_live = w.pin_sku[w.pin_first[s] + (rng.random(k_live) * w.pin_count[s]).astype(np.int64)]
    t_live = ts[pick] + (w.stream_end(s) - ts[pick]) * rng.random(k_live)
    k_off = int(n * 0.02)
    v_off = draw(rng, w.viewer_activity, k_off)
    sku_off = sample_grouped(w.viewer_niche[v_off], w.sku_niche, w.sku_w, rng)
    buyer = np.concatenate([viewer[pick], v_off])
    sku = np.concatenate([sku_live, sku_off])
    t = np.concatenate([t_live, sim.clock.local(sim.pop.market["viewer"][v_off])])
    qty = rng.choice([1, 2, 3], len(sku), p=[0.85, 0.12, 0.03])
    sim.log.add("viewer", buyer, "checkout", "sku", sku, t, np.round(w.sku_price[sku] * qty, 2))
    _feedback(sim, buyer, sku, t, share=0.3)


def _feedback(
    sim: Sim,
    buyer: np.ndarray,
    sku: np.ndarray,
    t: np.ndarray,
    *,
    share: float,
    rng: np.random.Generator | None = None,
) -> None:
    """A share of buyers rate what they bought 1–10 days later (J-shaped stars)."""
    rng = rng or sim.rng
    r = rng.random(len(buyer)) < share
    ft = t[r] + rng.uniform(1, 10, int(r.sum())) * DAY
    keep = ft < sim.t0 + sim.clock.span
    stars = STARS[rng.choice(5, int(keep.sum()), p=[0.62, 0.18, 0.07, 0.04, 0.09])]
    sim.log.add("viewer", buyer[r][keep], "feedback", "sku", sku[r][keep], ft[keep], stars)


def _vouchers(sim: Sim, w: _World) -> None:
    """Voucher drops in lives (viewers present claim within a minute or two) and
    claims from shop pages."""
    assert w.watch is not None
    rng, log, plant = sim.rng, sim.log, sim.plant
    viewer, stream, ts = w.watch
    n_streams = len(w.stream_host)
    drop = rng.random(n_streams) < 0.25
    first_v = np.searchsorted(w.voucher_shop, np.arange(len(w.shop_w)))
    drop_voucher = first_v[w.host_shop[w.stream_host]]
    drop_t = w.during(np.arange(n_streams), rng.uniform(0.1, 0.8, n_streams))
    claim = drop[stream] & (ts < drop_t[stream]) & (rng.random(len(stream)) < 0.35)
    cv, cs = viewer[claim], stream[claim]
    ct = np.minimum(drop_t[cs] + rng.exponential(45, len(cs)), w.stream_end(cs))
    n_vouchers = len(w.voucher_shop)
    _, first = np.unique(cv * n_vouchers + drop_voucher[cs], return_index=True)  # once each
    cv, cs, ct = cv[first], cs[first], ct[first]
    log.add("viewer", cv, "grab_voucher", "voucher", drop_voucher[cs], ct)
    size = np.bincount(cs, minlength=n_streams)
    big = size[cs] >= 25
    labels, groups = plant.negative_groups("live_audience", "viewer", cs[big], cv[big])
    plant.negatives.append(("live_audience", "stream", groups, labels))
    k = int(sim.cfg.n_events * 0.01)
    v = draw(rng, w.viewer_activity, k)
    shop = sample_grouped(w.viewer_niche[v], w.shop_niche, w.shop_w, rng)
    per_shop = np.bincount(w.voucher_shop, minlength=len(w.shop_w))
    vouchers = first_v[shop] + (rng.random(k) * per_shop[shop]).astype(np.int64)
    claimed = unique(cv * n_vouchers + drop_voucher[cs])
    pair = v * n_vouchers + vouchers
    _, first = np.unique(pair, return_index=True)
    first = first[~np.isin(pair[first], claimed)]  # an account claims a voucher once
    t = sim.clock.local(sim.pop.market["viewer"][v[first]])
    log.add("viewer", v[first], "grab_voucher", "voucher", vouchers[first], t)


def _devices_and_wallets(sim: Sim, w: _World) -> None:
    """Households share handsets; agencies' hosts share a wallet and often a studio
    handset; every shop signs in on its own handset."""
    rng, log, clock, pop = sim.rng, sim.log, sim.clock, sim.pop
    n_viewers, n_hosts, n_shops = len(w.viewer_niche), len(w.host_w), len(w.shop_w)
    w.household = households(rng, n_viewers, (0.72, 0.18, 0.07, 0.03))
    n_hh = int(w.household.max()) + 1
    sv = np.repeat(np.arange(n_viewers), rng.integers(1, 3, n_viewers))
    log.add(
        "viewer", sv, "sign_in", "handset", w.household[sv], clock.local(pop.market["viewer"][sv])
    )
    agency = np.where(
        rng.random(n_hosts) < 0.12, rng.integers(0, max(1, n_hosts // 40), n_hosts), -1
    )
    wallet = np.where(agency >= 0, n_hosts + agency, np.arange(n_hosts))
    studio = (agency >= 0) & (rng.random(n_hosts) < 0.5)
    handset = np.where(studio, n_hh + n_hosts + agency, n_hh + np.arange(n_hosts))
    w.host_wallet, w.host_handset = wallet, handset
    sh = np.repeat(np.arange(n_hosts), rng.integers(2, 6, n_hosts))
    log.add("host", sh, "sign_in", "handset", handset[sh], clock.uniform(len(sh)))
    co = np.repeat(np.arange(n_hosts), rng.integers(1, 5, n_hosts))
    amount = np.round(rng.lognormal(5, 1.2, len(co)), 2)
    log.add("host", co, "cash_out", "wallet", wallet[co], clock.uniform(len(co)), amount)
    shop_handset = n_hh + n_hosts + max(1, n_hosts // 40) + np.arange(n_shops)
    ss = np.repeat(np.arange(n_shops), rng.integers(1, 4, n_shops))
    log.add("shop", ss, "sign_in", "handset", shop_handset[ss], clock.uniform(len(ss)))
    pop.counts["handset"] = int(shop_handset[-1]) + 1
    pop.counts["wallet"] = n_hosts + max(1, n_hosts // 40)


# ---- organic structure planted from a separate stream (negatives) -------------------------


def _gift_rushes(sim: Sim, w: _World, aux: np.random.Generator) -> None:
    """In the biggest lives, half of the viewers present gift within the same minute."""
    assert w.watch is not None
    viewer, stream, ts = w.watch
    n_streams = len(w.stream_host)
    size = np.bincount(stream, minlength=n_streams)
    top = np.argsort(-size, kind="stable")[: max(3, n_streams // 100)]
    rush = np.full(n_streams, -np.inf)  # no rush: nobody is "present" before it
    rush[top] = w.during(top, aux.uniform(0.3, 0.8, len(top)))
    present = (ts < rush[stream]) & (aux.random(len(stream)) < 0.5)
    _, first = np.unique(viewer[present] * n_streams + stream[present], return_index=True)
    gv, gs = viewer[present][first], stream[present][first]
    gt = rush[gs] + aux.uniform(0, 60, len(gs))
    amount = GIFT_VALUES[aux.choice(len(GIFT_VALUES), len(gs), p=GIFT_P)]
    sim.log.add("viewer", gv, "send_gift", "stream", gs, gt, amount)
    sim.log.add("viewer", gv, "heart", "stream", gs, gt + aux.uniform(0, 30, len(gs)))
    labels, groups = sim.plant.negative_groups("live_audience", "viewer", gs, gv)
    sim.plant.negatives.append(("live_audience", "stream", groups, labels))


def _viral(sim: Sim, w: _World, aux: np.random.Generator, clock: Clock) -> None:
    """A mid-popular sku sells to thousands in two days; a mid host's subscriptions
    explode for a day after a clip goes viral."""
    n, plant, span = sim.cfg.n_events, sim.plant, sim.clock.span
    order = np.argsort(-w.sku_w, kind="stable")
    sku = int(aux.choice(order[len(order) // 50 : len(order) // 5]))
    buyers = unique(draw(aux, w.viewer_activity, int(0.004 * n) + 50))
    t = clock.decay(len(buyers), sim.t0 + aux.uniform(0.1, 0.7) * span, 10 * 3600)
    skus = np.full(len(buyers), sku)
    sim.log.add(
        "viewer", buyers, "checkout", "sku", skus, t, np.full(len(buyers), w.sku_price[sku])
    )
    _feedback(sim, buyers, skus, t, share=0.2, rng=aux)
    g = plant.negative("viral_burst", "viewer", buyers)
    plant.negative("viral_burst", "sku", [sku], group=g)
    order = np.argsort(-w.host_w, kind="stable")
    host = int(aux.choice(order[len(order) // 20 : max(len(order) // 3, len(order) // 20 + 1)]))
    subs = unique(draw(aux, w.viewer_activity**0.5, int(0.003 * n) + 50))
    t = clock.decay(len(subs), sim.t0 + aux.uniform(0.1, 0.7) * span, 6 * 3600)
    sim.log.add("viewer", subs, "subscribe", "host", np.full(len(subs), host), t)
    watch = subs[aux.random(len(subs)) < 0.5]
    s = w.stream_of(np.full(len(watch), host), aux.random(len(watch)))
    sim.log.add("viewer", watch, "watch", "stream", s, w.during(s, aux.uniform(0, 0.5, len(s))))
    g = plant.negative("viral_burst", "viewer", subs)
    plant.negative("viral_burst", "host", [host], group=g)


def _campaigns(sim: Sim, w: _World, aux: np.random.Generator, clock: Clock) -> None:
    """Platform voucher campaigns: thousands claim over a week, a third of them new
    accounts signing up for it (own handsets, some shared at home); most check out."""
    n, pop, log, plant = sim.cfg.n_events, sim.pop, sim.log, sim.plant
    official = int(np.argmax(w.shop_w))
    campaigns = []
    for _ in range(1 + sim.clock.days // 15):
        voucher = pop.new("voucher", 1)
        d0 = int(aux.integers(0, max(1, sim.clock.days - 7)))
        launch = sim.t0 + d0 * DAY + aux.uniform(0, DAY)
        launch = float(pop.after_created("shop", [official], np.array([launch]))[0])
        log.add("shop", np.array([official]), "issue", "voucher", voucher, np.array([launch]))
        k = int(0.004 * n) + 300
        old = unique(draw(aux, w.viewer_activity**0.7, int(k * 0.7)))
        t_old = np.maximum(launch, clock.local(pop.market["viewer"][old], first_day=d0, n_days=7))
        n_new = int(k * 0.3)
        t_new = np.minimum(launch + aux.exponential(1.5 * DAY, n_new), launch + 7 * DAY)
        t_new = np.minimum(t_new, sim.t0 + sim.clock.span - 1)
        created = t_new - aux.uniform(60, 3600, n_new)
        new = pop.grow(
            "viewer", n_new, created=created, market=aux.integers(0, len(MARKETS), n_new)
        )
        handset = pop.new("handset", n_new)
        share = aux.random(n_new) < 0.1
        handset[1:][share[1:]] = handset[:-1][share[1:]]
        log.add("viewer", new, "sign_in", "handset", handset, created + aux.uniform(0, 50, n_new))
        who, t = np.concatenate([old, new]), np.concatenate([t_old, t_new])
        log.add("viewer", who, "grab_voucher", "voucher", np.full(len(who), voucher[0]), t)
        buy = aux.random(len(who)) < 0.6
        sku = draw(aux, w.sku_w, int(buy.sum()))
        bt = np.minimum(t[buy] + aux.exponential(3 * 3600, len(sku)), sim.t0 + sim.clock.span - 1)
        log.add("viewer", who[buy], "checkout", "sku", sku, bt, np.round(w.sku_price[sku] * 0.8, 2))
        g = plant.negative("coupon_campaign", "viewer", who)
        plant.negative("coupon_campaign", "voucher", voucher, group=g)
        campaigns.append(voucher[0])
    w.campaigns = np.array(campaigns, dtype=np.int64)


def _planted_negatives(sim: Sim, w: _World) -> None:
    aux = np.random.default_rng([sim.cfg.seed, 303])
    clock = Clock(aux, sim.t0, sim.clock.span)
    _gift_rushes(sim, w, aux)
    _viral(sim, w, aux, clock)
    _campaigns(sim, w, aux, clock)


# ---- planted rings -----------------------------------------------------------------------


_VIEWER_LOGIN = ("viewer", "sign_in", "handset")


def _ring_viewers(
    sim: Sim, w: _World, k: int, *, market: int | None, fresh: bool
) -> tuple[np.ndarray, np.ndarray]:
    assert w.hijack is not None
    return ring_accounts(sim, w.hijack, "viewer", k, market=market, fresh=fresh)


def _handset_farm(sim: Sim, members: np.ndarray, n_handsets: int, when: RingTime) -> np.ndarray:
    return device_farm(sim, members, n_handsets, when, names=_VIEWER_LOGIN)


def _own_handsets(sim: Sim, actor_type: str, accounts: np.ndarray) -> None:
    own_devices(sim, accounts, names=(actor_type, "sign_in", "handset"))


def _ring_streams(
    sim: Sim, hosts: np.ndarray, per_host: int, market: int, when: RingTime
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New lives of ring hosts (inside a slow ring's window): ids, starts, durations."""
    rng, n = sim.rng, len(hosts) * per_host
    streams = sim.pop.new("stream", n)
    owner = np.repeat(hosts, per_host)
    window = {"first_day": when.first_day, "n_days": when.n_days} if when.slow else {}
    start = sim.clock.local(np.full(n, market), curve=LIVE_CURVE, **window)
    dur = np.clip(rng.lognormal(np.log(3600), 0.4, n), 900, 4 * 3600)
    start = np.minimum(start, sim.t0 + sim.clock.span - dur)
    sim.log.add("host", owner, "go_live", "stream", streams, start)
    return streams, start, dur


def _gifts(
    sim: Sim,
    members: np.ndarray,
    streams: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    launder: bool,
    slow: bool,
) -> int:
    """Members attend most lives and gift; fast rings join and gift in the first minutes
    together, slow ones anywhere in the live. Returns the ring events per member."""
    rng, log = sim.rng, sim.log
    sid, start, dur = streams
    att = rng.random((len(members), len(sid))) < rng.uniform(0.5, 0.95)
    mi, sj = np.nonzero(att)
    lag = rng.uniform(0, 0.85, len(mi)) * dur[sj] if slow else rng.uniform(0, 180, len(mi))
    join = start[sj] + lag
    log.add("viewer", members[mi], "watch", "stream", sid[sj], join)
    gi = np.repeat(np.arange(len(mi)), rng.integers(1, 3 if launder else 5, len(mi)))
    end = start[sj[gi]] + dur[sj[gi]]
    gap = rng.random(len(gi)) * (end - join[gi]) if slow else rng.uniform(0, 120, len(gi))
    if launder:
        value = rng.choice([999.0, 2999.0], len(gi), p=[0.6, 0.4])
    else:
        usual = rng.choice([99.0, 199.0, 499.0])
        value = np.where(
            rng.random(len(gi)) < 0.8,
            usual,
            GIFT_VALUES[rng.choice(len(GIFT_VALUES), len(gi), p=GIFT_P)],
        )
    log.add("viewer", members[mi[gi]], "send_gift", "stream", sid[sj[gi]], join[gi] + gap, value)
    n_events = len(mi) + len(gi)
    if not launder:
        hi = np.repeat(np.arange(len(mi)), rng.integers(0, 4, len(mi)))
        log.add(
            "viewer",
            members[mi[hi]],
            "heart",
            "stream",
            sid[sj[hi]],
            join[hi] + rng.uniform(0, 300, len(hi)),
        )
        n_events += len(hi)
    return n_events // len(members)


def _bystanders(
    sim: Sim, w: _World, streams: np.ndarray, start: np.ndarray, dur: np.ndarray
) -> None:
    """A few organic viewers wander into the ring's lives."""
    rng = sim.rng
    k = int(rng.integers(5, 40))
    who = draw(rng, w.viewer_activity, k)
    pick = rng.integers(0, len(streams), k)
    t = start[pick] + rng.random(k) * dur[pick]
    sim.log.add("viewer", who, "watch", "stream", streams[pick], t)


def _gift_ring(sim: Sim, w: _World) -> None:
    """Accounts gifting one new host's lives to farm rewards (shared handsets), or a few
    hosts' lives with huge gifts to launder money (one wallet); the hosts are members."""
    rng, log, plant = sim.rng, sim.log, sim.plant
    rid, when = sim.new_ring("gift_ring")
    launder = bool(rng.random() < 0.4)
    plant.info[rid]["variant"] = "launder" if launder else "reward_farm"
    k = loguniform_int(rng, 8, 20 if launder else 60)
    mk = int(rng.integers(0, len(MARKETS)))
    hosts = sim.pop.new(
        "host", int(rng.integers(1, 4)) if launder else 1, fresh=bool(rng.random() < 0.7), market=mk
    )
    streams = _ring_streams(sim, hosts, int(rng.integers(6, 16)), mk, when)
    members, hijacked = _ring_viewers(sim, w, k, market=mk, fresh=not launder)
    per = _gifts(sim, members, streams, launder=launder, slow=when.slow)
    _bystanders(sim, w, *streams)
    wallets = sim.pop.new("wallet", 1 if launder else len(hosts))
    co = np.repeat(np.arange(len(hosts)), rng.integers(2, 7, len(hosts)))
    amount = np.round(rng.lognormal(8 if launder else 6, 0.5, len(co)), 2)
    log.add(
        "host",
        hosts[co],
        "cash_out",
        "wallet",
        wallets[np.minimum(co, len(wallets) - 1)],
        when(len(co), 3, 3600),
        amount,
    )
    _own_handsets(sim, "host", hosts)
    if launder:
        _own_handsets(sim, "viewer", members[~hijacked])
    else:
        plant.target(
            rid, "handset", _handset_farm(sim, members, farm_size(rng, len(members)), when)
        )
    plant.member(rid, "gift_ring", "host", hosts)
    plant.member(rid, "gift_ring", "viewer", members, hijacked)
    plant.target(rid, "stream", streams[0])
    if launder:
        plant.target(rid, "wallet", wallets)
    plant.camouflage("viewer", members, rid, per)


def _follower_farm(sim: Sim, w: _World) -> None:
    """Fresh accounts on a few handsets subscribing to a set of client hosts: each order
    delivered in a burst of hours, or drip-fed over weeks by slow farms."""
    rng, log, plant = sim.rng, sim.log, sim.plant
    rid, when = sim.new_ring("follower_farm")
    k = loguniform_int(rng, 20, 60)
    n_hosts = len(w.host_w)
    lesser = np.where(w.host_w < np.quantile(w.host_w, 0.95), w.host_w**-0.5, 0.0)
    clients = rng.choice(n_hosts, int(rng.integers(3, 16)), replace=False, p=lesser / lesser.sum())
    members, hijacked = _ring_viewers(sim, w, k, market=None, fresh=True)
    mi, cj = np.nonzero(rng.random((k, len(clients))) < rng.uniform(0.7, 1.0))
    ts = np.zeros(len(mi))
    for c in range(len(clients)):  # one delivery per client
        m = cj == c
        ts[m] = when(int(m.sum()), 1, rng.uniform(2, 8) * 3600)
    log.add("viewer", members[mi], "subscribe", "host", clients[cj], ts)
    look = rng.random(len(mi)) < 0.5
    s = w.stream_of(clients[cj[look]], rng.random(int(look.sum())))
    wt = w.during(s, rng.uniform(0, 0.3, len(s)))
    log.add("viewer", members[mi[look]], "watch", "stream", s, wt)
    if rng.random() < 0.4:  # engagement bots also tap hearts
        plant.info[rid]["variant"] = "engagement_bots"
        log.add("viewer", members[mi[look]], "heart", "stream", s, wt + rng.uniform(5, 120, len(s)))
    pool = _handset_farm(sim, members, farm_size(rng, len(members)), when)
    plant.member(rid, "follower_farm", "viewer", members, hijacked)
    plant.target(rid, "host", clients)
    plant.target(rid, "handset", pool)
    plant.camouflage("viewer", members, rid, (len(mi) + 2 * int(look.sum())) // k)


def _coupon_abuse(sim: Sim, w: _World) -> None:
    """Many new accounts on few handsets claiming the same vouchers of one shop (and a
    platform campaign's, when there is one) and checking out cheap skus."""
    rng, log, plant = sim.rng, sim.log, sim.plant
    rid, when = sim.new_ring("coupon_abuse")
    k = loguniform_int(rng, 10, 60)
    shop = int(draw(rng, w.shop_w**0.5, 1)[0])
    own = np.flatnonzero(w.voucher_shop == shop)
    vouchers = rng.choice(own, min(len(own), int(rng.integers(1, 3))), replace=False)
    if len(w.campaigns) and rng.random() < 0.5:
        vouchers = np.append(vouchers, rng.choice(w.campaigns))
        plant.info[rid]["variant"] = "with_campaign"
    members, hijacked = _ring_viewers(
        sim, w, k, market=int(sim.pop.market["shop"][shop]), fresh=True
    )
    mi, vj = np.nonzero(rng.random((k, len(vouchers))) < rng.uniform(0.6, 1.0))
    ct = when(len(mi), int(rng.integers(1, 3)), 2 * 3600)
    log.add("viewer", members[mi], "grab_voucher", "voucher", vouchers[vj], ct)
    buy = rng.random(len(mi)) < 0.8
    skus = np.flatnonzero(w.sku_shop == shop)
    cheap = skus[np.argsort(w.sku_price[skus], kind="stable")[: max(1, int(rng.integers(1, 4)))]]
    sku = rng.choice(cheap, int(buy.sum()))
    amount = np.round(w.sku_price[sku] * 0.5, 2)
    log.add(
        "viewer",
        members[mi[buy]],
        "checkout",
        "sku",
        sku,
        ct[buy] + rng.uniform(60, 3600, len(sku)),
        amount,
    )
    pool = _handset_farm(sim, members, farm_size(rng, len(members)), when)
    plant.member(rid, "coupon_abuse", "viewer", members, hijacked)
    plant.target(rid, "voucher", vouchers)
    plant.target(rid, "sku", unique(sku))
    plant.target(rid, "handset", pool)
    plant.camouflage("viewer", members, rid, (len(mi) + int(buy.sum())) // k + 1)


def _review_ring(sim: Sim, w: _World) -> None:
    """Accounts buying a shop's skus cheaply and rating them five stars: a new shop's own
    ring, or a ring for hire serving a few established shops (the shops are members)."""
    rng, log, plant, pop = sim.rng, sim.log, sim.plant, sim.pop
    rid, when = sim.new_ring("review_ring")
    k = loguniform_int(rng, 8, 40)
    mk = int(rng.integers(0, len(MARKETS)))
    own_shop = bool(rng.random() < 0.5)
    plant.info[rid]["variant"] = "own_shop" if own_shop else "for_hire"
    if own_shop:
        shops = pop.new("shop", 1, fresh=True, market=mk)
        skus = pop.new("sku", int(rng.integers(3, 9)))
        price = np.round(rng.lognormal(2.5, 0.5, len(skus)), 2)
        log.add(
            "shop",
            np.repeat(shops, len(skus)),
            "stock",
            "sku",
            skus,
            pop.after_created(
                "shop", np.repeat(shops, len(skus)), sim.t0 - rng.uniform(1, 30, len(skus)) * DAY
            ),
        )
    else:
        shops = unique(draw(rng, w.shop_w**0.3, int(rng.integers(2, 5))))
        skus = some_of_each(rng, w.sku_shop, shops, int(rng.integers(2, 6)))
        price = w.sku_price[skus]
    members, hijacked = _ring_viewers(sim, w, k, market=mk, fresh=bool(rng.random() < 0.5))
    mi, sj = np.nonzero(rng.random((k, len(skus))) < rng.uniform(0.5, 0.9))
    bt = when(len(mi), int(rng.integers(3, 7)), 3 * 3600)
    log.add(
        "viewer",
        members[mi],
        "checkout",
        "sku",
        skus[sj],
        bt,
        np.round(price[sj] * rng.uniform(0.2, 1.0, len(mi)), 2),
    )
    lag = rng.uniform(1, 5, len(mi)) * DAY if when.slow else rng.uniform(600, 7200, len(mi))
    stars = np.where(rng.random(len(mi)) < 0.95, 5.0, 4.0)
    sim.add_visible("viewer", members[mi], "feedback", "sku", skus[sj], bt + lag, stars)
    if rng.random() < 0.5:
        plant.target(
            rid, "handset", _handset_farm(sim, members, farm_size(rng, len(members)), when)
        )
    else:
        _own_handsets(sim, "viewer", members[~hijacked])
    plant.member(rid, "review_ring", "shop", shops)
    plant.member(rid, "review_ring", "viewer", members, hijacked)
    plant.target(rid, "sku", skus)
    plant.camouflage("viewer", members, rid, 2 * len(mi) // k + 1)


RINGS = (_gift_ring, _follower_farm, _coupon_abuse, _review_ring)


# ---- camouflage, recorded negatives, the platform ----------------------------------------


def _camouflage(sim: Sim, w: _World) -> None:
    rng = sim.rng
    stream_w = w.host_w[w.stream_host]

    def in_live(s: np.ndarray) -> np.ndarray:
        return w.during(s, rng.random(len(s)))

    def price(r: np.random.Generator, k: int) -> np.ndarray:
        return np.round(r.lognormal(2.8, 0.8, k), 2)

    channels = {
        "watch": Channel("watch", "stream", stream_w, ts=in_live),
        "heart": Channel("heart", "stream", stream_w, ts=in_live),
        "subscribe": Channel("subscribe", "host", w.host_w),
        "checkout": Channel("checkout", "sku", w.sku_w, amount=price),
    }
    mix = {"viewer": (("watch", "heart", "subscribe", "checkout"), (0.45, 0.2, 0.15, 0.2))}
    add_camouflage(
        sim.log,
        sim.clock,
        sim.plant,
        share=sim.cfg.camouflage,
        kind=sim.cfg.camouflage_kind,
        mix=mix,
        channels=channels,
    )


def _fandoms(sim: Sim, w: _World, n_top: int = 8) -> None:
    """Fans of the biggest hosts who attended many of their lives (≥ 30 %, ≥ 4)."""
    assert w.watch is not None
    viewer, stream, _ = w.watch
    n_streams, n_hosts = len(w.stream_host), len(w.host_w)
    vs = unique(viewer * n_streams + stream)
    v, h = vs // n_streams, w.stream_host[vs % n_streams]
    top = np.argsort(-w.host_w, kind="stable")[:n_top]
    sel = np.isin(h, top)
    vh, count = np.unique(v[sel] * n_hosts + h[sel], return_counts=True)
    fan, host = vh // n_hosts, vh % n_hosts
    keep = count >= np.maximum(4, 0.3 * w.host_n_streams[host])
    labels, groups = sim.plant.negative_groups("fandom", "viewer", host[keep], fan[keep])
    sim.plant.negatives.append(("fandom", "host", groups, labels))


def _recorded_negatives(sim: Sim, w: _World) -> None:
    """Households, agencies (shared wallet or studio handset), fandoms, power users and
    the most popular hosts, lives and skus."""
    assert w.household is not None and w.host_wallet is not None and w.host_handset is not None
    assert w.watch is not None
    plant = sim.plant
    shared_groups(plant, "household", ("viewer", "handset"), w.household)
    shared_groups(plant, "agency", ("host", "wallet"), w.host_wallet)
    shared_groups(plant, "agency", ("host", "handset"), w.host_handset)
    _fandoms(sim, w)
    top_groups(
        plant, "power_user", "viewer", w.viewer_activity, max(5, len(w.viewer_activity) // 500)
    )
    top_groups(plant, "popular_target", "host", w.host_w, 5)
    top_groups(plant, "popular_target", "sku", w.sku_w, 5)
    watched = np.bincount(w.watch[1], minlength=len(w.stream_host)).astype(np.float64)
    top_groups(plant, "popular_target", "stream", watched, 5)


def simulate(cfg: SynthConfig) -> Sim:
    """Simulate one period of the live-commerce platform described by ``cfg``."""
    sim = Sim.start(cfg, types=TYPES, actions=ACTIONS)
    w = _world(sim)
    _accounts(sim, w)
    _streams(sim, w)
    _catalogue(sim, w)
    _watch(sim, w)
    _live_engagement(sim, w)
    _subscriptions(sim, w)
    _purchases(sim, w)
    _vouchers(sim, w)
    _devices_and_wallets(sim, w)
    if cfg.negatives:
        _planted_negatives(sim, w)
    organic = sim.pop.created["viewer"][: len(w.viewer_niche)]
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
    name="live",
    patterns=PATTERNS,
    types=TYPES,
    accounts=("viewer", "host", "shop"),
    actions=ACTIONS,
    prefixes={
        "viewer": "vw",
        "host": "ho",
        "shop": "sh",
        "stream": "st",
        "sku": "sk",
        "voucher": "vc",
        "handset": "hd",
        "wallet": "wl",
    },
    vocabulary={
        "actions": {
            "engagement": ("chat", "heart"),
            "purchase": ("checkout",),
            "review": ("feedback",),
            "follow": ("subscribe",),
            "gift": ("send_gift",),
            "claim": ("grab_voucher",),
            "login": ("sign_in",),
            "payout": ("cash_out",),
            "own": ("go_live", "pin", "stock", "issue"),
            "view": ("watch",),
        },
        "entities": {
            "account": ("viewer", "host", "shop"),
            "item": ("sku",),
            "live": ("stream",),
            "device": ("handset",),
            "payout_account": ("wallet",),
            "coupon": ("voucher",),
        },
    },
    simulate=simulate,
)
