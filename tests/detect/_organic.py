"""A small live-commerce platform generated in code: organic structure that must not become
rings, and planted rings that must.

The vocabulary is this file's own (``viewer``, ``streamer``, ``stream``, ``sku``,
``handset``, ``wallet``, ``voucher``; ``watch``, ``send_gift``, ``buy``, ``rate``,
``subscribe``, ``grab_voucher``, ``sign_in``, ``withdraw_to``): nothing in ringlens knows
these words, so a detector that finds the rings here depends on no name.

Organic negatives (``NEGATIVES``): a live whose whole audience gifts in the same minute; a
fandom (a popular host, loyal fans of varying loyalty and many casual viewers, gifts
spread over each two-hour stream); households of two to four on one handset who shop
together; power users who buy hundreds of items; popular items and hosts everyone
touches; voucher campaigns claimed by a thousand viewers over a week (a third of the
claims in the first hours). Everything organic follows a daily rhythm (evenings busy,
mornings quiet).

Planted rings (``RINGS``): a gift ring (fresh accounts gifting three small hosts' streams
in bursts), a follower farm (fresh accounts subscribing to paying streamers in bursts), a
voucher ring (accounts grabbing restricted vouchers together, on shared handsets, cashing
out to one wallet), a review ring and a brushing ring (bursts of ratings and purchases
of new items), and a slow ring (purchases and ratings of new items at random times over
four weeks: no burst at any scale). Each ring is a small part of its family's events, as
on a real platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import polars as pl

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc).timestamp()
DAY = 86400.0
DAYS = 30

NEGATIVES = ("live", "fandom", "household", "power_user", "campaign")
RINGS = ("gift_ring", "follower_farm", "voucher_ring", "review_ring", "brushing", "slow_ring")


@dataclass
class Platform:
    events: pl.DataFrame
    rings: dict[str, set[str]]  # ring -> actor keys
    negatives: dict[str, set[str]]  # organic structure -> actor keys


class _Rows:
    def __init__(self) -> None:
        self.parts: list[pl.DataFrame] = []

    def add(
        self,
        actor_type: str,
        actors: np.ndarray,
        action: str,
        target_type: str,
        targets: np.ndarray,
        ts: np.ndarray,
    ) -> None:
        actors, targets, ts = np.broadcast_arrays(
            np.asarray(actors, dtype=object), np.asarray(targets, dtype=object), ts
        )
        self.parts.append(
            pl.DataFrame(
                {
                    "actor_id": actors.astype(str),
                    "actor_type": actor_type,
                    "target_id": targets.astype(str),
                    "target_type": target_type,
                    "action": action,
                    "ts": (np.asarray(ts) * 1e6).astype(np.int64),
                }
            )
        )

    def frame(self) -> pl.DataFrame:
        ev = pl.concat(self.parts)
        return ev.with_columns(
            pl.col("ts").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        ).sort("ts", "actor_id", "target_id", "action")


def _rhythm(rng: np.random.Generator, n: int) -> np.ndarray:
    """Organic times: a random day, an hour drawn from a daily rhythm (busy evenings,
    quiet mornings), a uniform second."""
    hour_w = 1.0 + np.sin((np.arange(24) - 14) / 24 * 2 * np.pi)
    hour = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    day = rng.integers(0, DAYS, n)
    return T0 + day * DAY + hour * 3600.0 + rng.uniform(0, 3600, n)


def _zipf(rng: np.random.Generator, n: int, a: float = 1.0) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** a
    return rng.permutation(w / w.sum())


def platform(seed: int = 0, *, rings: bool = True) -> Platform:
    """The platform (about 60,000 events); ``rings=False`` leaves the rings out."""
    rng = np.random.default_rng(seed)
    r = _Rows()
    neg: dict[str, set[str]] = {k: set() for k in NEGATIVES}
    out: dict[str, set[str]] = {}
    viewers = np.array([f"v{i:05d}" for i in range(4000)])
    activity = rng.pareto(1.5, viewers.size) + 1.0
    activity /= activity.sum()
    n_markets = 8
    market = rng.integers(0, n_markets, viewers.size)

    # catalogue: skus in markets, popularity Zipf within each market
    skus = np.array([f"s{i:04d}" for i in range(800)])
    sku_market = rng.integers(0, n_markets, skus.size)
    sku_pop = _zipf(rng, skus.size)

    def pick_skus(buyers: np.ndarray) -> np.ndarray:
        out_ = np.empty(buyers.size, dtype=object)
        for m in range(n_markets):
            sel = np.flatnonzero(market[buyers] == m)
            in_m = np.flatnonzero(sku_market == m)
            p = sku_pop[in_m] / sku_pop[in_m].sum()
            # four purchases in five stay in the buyer's market
            home = rng.random(sel.size) < 0.8
            out_[sel[home]] = skus[in_m[rng.choice(in_m.size, home.sum(), p=p)]]
            out_[sel[~home]] = skus[rng.choice(skus.size, (~home).sum(), p=sku_pop)]
        return out_

    n_buy = 24000
    buyers = rng.choice(viewers.size, n_buy, p=activity)
    r.add("viewer", viewers[buyers], "buy", "sku", pick_skus(buyers), _rhythm(rng, n_buy))
    n_rate = 6000
    raters = rng.choice(viewers.size, n_rate, p=activity)
    r.add("viewer", viewers[raters], "rate", "sku", pick_skus(raters), _rhythm(rng, n_rate))

    # power users: twenty accounts that buy hundreds of items (popular ones more often)
    power = viewers[rng.choice(viewers.size, 20, replace=False)]
    for v in power:
        k = int(rng.integers(150, 300))
        r.add("viewer", v, "buy", "sku", skus[rng.choice(skus.size, k, p=sku_pop)], _rhythm(rng, k))
    neg["power_user"] |= {f"viewer:{v}" for v in power}

    # streamers and their streams: popularity Zipf; every stream lasts about two hours
    streamers = np.array([f"h{i:03d}" for i in range(120)])
    host_pop = _zipf(rng, streamers.size, 1.2)
    stream_rows: list[tuple[str, str, float]] = []  # (stream, host, start)
    for h in streamers:
        for _ in range(int(rng.integers(4, 12))):
            stream_rows.append((f"st{len(stream_rows):05d}", h, float(_rhythm(rng, 1)[0])))
    st_ids = np.array([s for s, _, _ in stream_rows])
    st_host = np.array([h for _, h, _ in stream_rows])
    st_start = np.array([t for _, _, t in stream_rows])
    st_w = host_pop[np.searchsorted(streamers, st_host)]
    st_w = st_w / st_w.sum()
    n_watch = 14000
    who = rng.choice(viewers.size, n_watch, p=activity)
    which = rng.choice(st_ids.size, n_watch, p=st_w)
    when = st_start[which] + rng.uniform(0, 7200, n_watch)
    r.add("viewer", viewers[who], "watch", "stream", st_ids[which], when)
    gift = rng.random(n_watch) < 0.25
    r.add(
        "viewer",
        viewers[who[gift]],
        "send_gift",
        "stream",
        st_ids[which[gift]],
        when[gift] + rng.uniform(0, 1800, gift.sum()),
    )
    n_sub = 20000
    subs = rng.choice(viewers.size, n_sub, p=activity)
    r.add(
        "viewer",
        viewers[subs],
        "subscribe",
        "streamer",
        streamers[rng.choice(streamers.size, n_sub, p=host_pop)],
        _rhythm(rng, n_sub),
    )

    # a live: 300 viewers watch and gift in the same minute (the host's call to gift)
    live_start = T0 + 12 * DAY + 20 * 3600
    audience = viewers[rng.choice(viewers.size, 300, replace=False)]
    r.add("viewer", audience, "watch", "stream", "st_live", live_start + rng.uniform(0, 600, 300))
    r.add(
        "viewer",
        audience,
        "send_gift",
        "stream",
        "st_live",
        live_start + 900 + rng.uniform(0, 60, 300),
    )
    neg["live"] |= {f"viewer:{v}" for v in audience}

    # a fandom: a popular host's twenty streams; 250 loyal fans (loyalty varies) and
    # casual viewers who come once or twice; gifts spread over each stream
    fans = viewers[rng.choice(viewers.size, 250, replace=False)]
    loyalty = rng.beta(1.5, 3.0, fans.size)
    for j in range(20):
        start = T0 + (1.5 * j + 0.5) * DAY + 19 * 3600 + rng.uniform(0, 3600)
        sid = f"st_fan{j:02d}"
        came = fans[rng.random(fans.size) < loyalty]
        casual = viewers[rng.choice(viewers.size, int(rng.integers(150, 300)), replace=False)]
        crowd = np.concatenate([came, casual])
        r.add("viewer", crowd, "watch", "stream", sid, start + rng.uniform(0, 7200, crowd.size))
        gifting = crowd[rng.random(crowd.size) < 0.4]
        r.add(
            "viewer",
            gifting,
            "send_gift",
            "stream",
            sid,
            start + rng.uniform(0, 7200, gifting.size),
        )
    r.add("viewer", fans, "subscribe", "streamer", "h_star", _rhythm(rng, fans.size))
    neg["fandom"] |= {f"viewer:{v}" for v in fans}

    # households: 2-4 viewers on one handset, shopping from the same basket now and then
    start = 0
    for i in range(900):
        size = int(rng.choice([2, 3, 4], p=[0.6, 0.3, 0.1]))
        members = viewers[start : start + size]
        start += size
        r.add("viewer", members, "sign_in", "handset", f"hs_home{i:04d}", _rhythm(rng, size))
        basket = skus[rng.choice(skus.size, 3, p=sku_pop)]
        for m in members:
            r.add("viewer", m, "buy", "sku", basket, _rhythm(rng, 3))
        if size >= 3:
            neg["household"] |= {f"viewer:{v}" for v in members}
    # everyone else has a handset of their own
    rest = viewers[start:]
    r.add(
        "viewer",
        rest,
        "sign_in",
        "handset",
        np.char.add("hs_", rest.astype(str)),
        _rhythm(rng, rest.size),
    )
    # streamers cash out to their own wallets
    r.add(
        "streamer",
        streamers,
        "withdraw_to",
        "wallet",
        np.char.add("w_", streamers.astype(str)),
        _rhythm(rng, streamers.size),
    )

    # voucher campaigns: a thousand claimers each over a week, a third in the first hours
    for c in range(3):
        launch = T0 + (3 + 8 * c) * DAY + 10 * 3600
        claimers = viewers[rng.choice(viewers.size, 1000, replace=False, p=activity)]
        early = rng.random(claimers.size) < 1 / 3
        ts = np.where(
            early,
            launch + rng.uniform(0, 4 * 3600, claimers.size),
            launch + rng.uniform(0, 7 * DAY, claimers.size),
        )
        r.add("viewer", claimers, "grab_voucher", "voucher", f"vc_campaign{c}", ts)
        neg["campaign"] |= {f"viewer:{v}" for v in claimers}
    # small vouchers claimed by a few viewers each
    n_small = 3000
    r.add(
        "viewer",
        viewers[rng.choice(viewers.size, n_small, p=activity)],
        "grab_voucher",
        "voucher",
        np.char.add("vc_", rng.integers(0, 900, n_small).astype(str)),
        _rhythm(rng, n_small),
    )

    if rings:
        _plant_rings(rng, r, out, skus, sku_pop, st_ids, st_w, viewers, streamers)
    ev = r.frame()
    return Platform(events=ev, rings=out, negatives=neg)


def _bursts(rng: np.random.Generator, n: int, n_bursts: int, width: float) -> np.ndarray:
    centers = T0 + rng.uniform(1 * DAY, (DAYS - 1) * DAY, n_bursts)
    return centers[rng.integers(0, n_bursts, n)] + rng.uniform(0, width, n)


def _plant_rings(
    rng: np.random.Generator,
    r: _Rows,
    out: dict[str, set[str]],
    skus: np.ndarray,
    sku_pop: np.ndarray,
    st_ids: np.ndarray,
    st_w: np.ndarray,
    viewers: np.ndarray,
    streamers: np.ndarray,
) -> None:
    def camouflage(members: np.ndarray, per: int) -> None:
        """Members also act like anyone: purchases of popular items, some streams."""
        k = members.size * per
        who = np.repeat(members, per)
        r.add(
            "viewer", who, "buy", "sku", skus[rng.choice(skus.size, k, p=sku_pop)], _rhythm(rng, k)
        )
        who = np.repeat(members, 2)
        r.add(
            "viewer",
            who,
            "watch",
            "stream",
            st_ids[rng.choice(st_ids.size, who.size, p=st_w)],
            _rhythm(rng, who.size),
        )

    # gift ring: 15 fresh accounts gift three small hosts' streams (which also have a
    # small organic audience through their two hours), in bursts of minutes
    members = np.array([f"gr{i:02d}" for i in range(15)])
    for h in range(3):
        for j in range(6):
            start = T0 + rng.uniform(1, DAYS - 1) * DAY
            sid = f"st_ring{h}_{j}"
            came = members[rng.random(members.size) < 0.8]
            crowd = viewers[rng.choice(viewers.size, 12, replace=False)]
            r.add("viewer", crowd, "watch", "stream", sid, start + rng.uniform(0, 7200, crowd.size))
            r.add("viewer", crowd[:4], "send_gift", "stream", sid, start + rng.uniform(0, 7200, 4))
            r.add("viewer", came, "watch", "stream", sid, start + rng.uniform(0, 7200, came.size))
            r.add(
                "viewer",
                came,
                "send_gift",
                "stream",
                sid,
                start + 1800 + rng.uniform(0, 300, came.size),
            )
    camouflage(members, 4)
    out["gift_ring"] = {f"viewer:{v}" for v in members}

    # follower farm: 60 fresh accounts subscribe to 10 paying streamers (small existing
    # hosts with organic followers of their own), in bursts
    farm = np.array([f"ff{i:02d}" for i in range(60)])
    for c in streamers[-10:]:
        who = farm[rng.random(farm.size) < 0.7]
        start = T0 + rng.uniform(1, DAYS - 1) * DAY
        r.add("viewer", who, "subscribe", "streamer", c, start + rng.uniform(0, 1200, who.size))
    camouflage(farm, 2)
    out["follower_farm"] = {f"viewer:{v}" for v in farm}

    # voucher ring: 20 accounts grab three restricted vouchers within minutes, from three
    # handsets, and cash out to one wallet
    vr = np.array([f"vr{i:02d}" for i in range(20)])
    for v in range(3):
        who = vr[rng.random(vr.size) < 0.85]
        start = T0 + rng.uniform(1, DAYS - 1) * DAY
        r.add(
            "viewer",
            who,
            "grab_voucher",
            "voucher",
            f"vc_ring{v}",
            start + rng.uniform(0, 600, who.size),
        )
    r.add(
        "viewer",
        vr,
        "sign_in",
        "handset",
        np.array([f"hs_ring{i % 3}" for i in range(vr.size)]),
        _bursts(rng, vr.size, 3, 3600),
    )
    r.add("viewer", vr, "withdraw_to", "wallet", "w_ring", _bursts(rng, vr.size, 2, 3600))
    camouflage(vr, 3)
    out["voucher_ring"] = {f"viewer:{v}" for v in vr}

    # review ring: 18 accounts rate six new items in bursts
    rv = np.array([f"rv{i:02d}" for i in range(18)])
    items = np.array([f"s_rev{i}" for i in range(6)])
    ii, jj = np.meshgrid(np.arange(rv.size), np.arange(items.size), indexing="ij")
    m = rng.random(ii.shape) < 0.75
    r.add("viewer", rv[ii[m]], "rate", "sku", items[jj[m]], _bursts(rng, int(m.sum()), 4, 3 * 3600))
    camouflage(rv, 4)
    out["review_ring"] = {f"viewer:{v}" for v in rv}

    # brushing: 25 accounts buy a seller's four new items in bursts
    br = np.array([f"br{i:02d}" for i in range(25)])
    items = np.array([f"s_brush{i}" for i in range(4)])
    ii, jj = np.meshgrid(np.arange(br.size), np.arange(items.size), indexing="ij")
    m = rng.random(ii.shape) < 0.75
    r.add("viewer", br[ii[m]], "buy", "sku", items[jj[m]], _bursts(rng, int(m.sum()), 4, 3 * 3600))
    camouflage(br, 4)
    out["brushing"] = {f"viewer:{v}" for v in br}

    # slow ring: 20 accounts buy and rate five new items at random times over four weeks
    sl = np.array([f"sl{i:02d}" for i in range(20)])
    items = np.array([f"s_slow{i}" for i in range(5)])
    ii, jj = np.meshgrid(np.arange(sl.size), np.arange(items.size), indexing="ij")
    m = rng.random(ii.shape) < 0.8
    k = int(m.sum())
    r.add("viewer", sl[ii[m]], "buy", "sku", items[jj[m]], T0 + rng.uniform(1, DAYS - 1, k) * DAY)
    rated = rng.random(k) < 0.6
    r.add(
        "viewer",
        sl[ii[m]][rated],
        "rate",
        "sku",
        items[jj[m]][rated],
        T0 + rng.uniform(1, DAYS - 1, int(rated.sum())) * DAY,
    )
    camouflage(sl, 4)
    out["slow_ring"] = {f"viewer:{v}" for v in sl}
