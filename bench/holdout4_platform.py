"""Blind hold-out generator #4: a ride-hailing platform and an online-game platform.

Usage::

    holdout4_platform.py OUT --platform {ridehail,gaming} --events N --seed S

``N`` is the number of organic background events (50k-2M); planted rings and organic
look-alike groups ("negatives") come on top.  The same seed gives byte-identical files.

Window and rhythm
=================
7 weeks (2024-03-04 00:00 UTC .. 2024-04-22).  Every organic timestamp is drawn in the
*local* time of the account's market (hour-of-day and day-of-week profile of the platform)
and converted to UTC.  Accounts have log-normal ages (median ~760 days, sigma 1.45, capped
at the platform's age): ~3 % are created inside the window and nobody acts before creation
(their activity is squeezed into [created, end]).  Activity per account is log-normal
(sigma 1.2-1.3); targets have shuffled Zipf popularity; items released inside the window get
a decaying boost (their events follow the release with an exponential delay).  Shared
infrastructure is noisy: household handsets/rigs shared by pairs (~10 %), residential
addresses shared by ~2 accounts, carrier CGNAT addresses shared by thousands.

Files: events / entities / truth / ring_targets / negatives / labels (.parquet), synth.json,
vocabulary.toml.  Ids are a type prefix and 7 digits, assigned by a random permutation per
type (an id says nothing about when or why the entity was made).

Platform ``ridehail``
=====================
Markets (UTC offset): br_sao (-3), mx_cdmx (-6), ng_lagos (+1), in_blr (+5.5), id_jkt (+7).
Hour profile with commute peaks (08, 18 local) and a Friday/Saturday night tail.

Entities: rider (RDR, account), driver (DRV, account), zone (ZON, pickup zone, content;
each market has an airport and a stadium zone), promo (PRM, coupon; per market a WELCOME
code and a dozen city codes), quest (QST, weekly driver incentive, coupon), handset (HND,
device), netaddr (NET, device: residential or carrier CGNAT), bank (BNK, driver payout
account), paycard (PCD, rider payment instrument, payout_account), vehicle (VEH, item).

Actions: rider ``check_fare``->zone (view), ``hail``->zone (click), ``board``->driver
(purchase, fare), ``charge_to``->paycard (payout, fare), ``rate_driver``->driver (review,
stars), ``tip``->driver (gift), ``redeem_promo``->promo (claim), ``refer``->rider (follow);
driver ``rate_rider``->rider (review), ``queue_at``->zone (engagement), ``claim_quest``->quest
(claim, bonus), ``cash_out``->bank (payout); both ``unlock``->handset and ``ping_from``->
netaddr (login); ownership: ``enroll_handset`` (handset), ``register_card`` (paycard),
``link_bank`` (bank), ``register_vehicle`` (vehicle) (own).

Organic: trips (hail, board, charge, sometimes fare check, ratings both ways, tips, promos),
driver shifts (unlock, ping, 1-4 zone queues), weekly quest claims, weekly cash-outs,
sign-ups (ownership events, 40 % referred by an existing rider, WELCOME promo).

Rings (5 patterns x 3 variants, ring_id = 5*variant + pattern_index):

0. ``ghost_trips`` - GPS-spoofed fake trips: ~1/6 drivers (beneficiaries, >= 1) + riders.
   Riders board the ring drivers 3-10 times each from a low-traffic zone, high fares, always
   5 stars both ways, 50 % redeem a city promo; drivers cash out.  Targets: ring drivers and
   the promo.  Shares: rider handsets (1 per ~4 riders), drivers' bank (variant 0/2).
1. ``promo_farm`` - a referrer refers fresh riders, who enroll on a few emulator handsets
   (1 per 5-8), redeem WELCOME plus a city promo, and take 1-2 short trips with one
   colluding driver.  Targets: the two promos.  Shares: handsets, netaddr (variant 0/2).
2. ``driver_multi_account`` - account rental: driver accounts operated on a few handsets (1 per
   3-4) paying out to 1-2 banks; real organic riders board them; queue in the same zones.
   Targets: the shared banks.  Shares: handset, bank.
3. ``rating_farm`` - riders take cheap short trips with 2-4 beneficiary drivers (members) and
   rate them 5 stars, small tips.  Targets: the beneficiary drivers.  Shares: netaddr (v0/2).
4. ``surge_collusion`` - incentive gaming: drivers queue at one zone in lockstep (same minutes,
   the "go offline / come back at surge" trick) and claim the same quest together; 2-3
   banks.  Targets: the zone and the quest.  Shares: bank (variant 0/2), none in variant 1.

Variants: 0 ``blitz`` (1-2 bursts within 1-3 days, fresh accounts created 0-4 days before,
~12 % hijacked), 1 ``slow`` (2-4 weeks on the organic daily rhythm, no bursts, accounts made
1-45 days before, ~20 % hijacked, less sharing), 2 ``waves`` (3-5 bursts over 1-3 weeks, ~30 %
hijacked, heavier camouflage).  Hijacked members are active organic accounts of the ring's
market with their organic history.  Every member has camouflage (ordinary trips with popular
drivers / queues at popular zones).  Sizes are log-uniform in [5, max(14, min(80,
80*sqrt(N/1e6)))], the largest ring at the maximum.  Labels: ~10 % of the members of 4 rings.

Negatives (groups grow ~N^0.8): ``airport_queue`` (20-150 drivers queuing at an airport zone
within minutes of flight waves, for weeks, then boarding arriving riders),
``commuter_carpool`` (one driver, 2-5 riders, same zone every weekday 08:00 and 18:00),
``corporate_account`` (15-150 riders charging weekday trips to one company paycard),
``family_handset`` (3-5 riders on one handset and home address, half share a paycard),
``stadium_surge`` (200-3000 riders hailing a stadium zone within an hour after a match),
``citywide_promo`` (500-5000 riders, ~5 % new sign-ups, redeeming one new promo in 2 days),
``fleet_partner`` (5-25 drivers paid into one fleet bank, all cash-outs at the same minute
on Mondays), ``quest_deadline`` (100-800 drivers claiming one quest in the last 40 minutes).

Platform ``gaming``
===================
Markets: na_east (-5), eu_west (+1), br (-3), kr (+9), sea (+8); evening peak, weekend heavy.

Entities: player (PLR, account), rig (RIG, device), netaddr (NET, device), skin (SKN, item),
mod (MOD, workshop content), dungeon (DNG, content), clan (CLN, content), lobby (LBY, one per
match, live), giftcard (GFC, coupon), wallet (WLT, payout_account).

Actions: ``boot_up``->rig and ``connect_via``->netaddr (login), ``pair_rig``->rig (own),
``join_lobby``->lobby (engagement), ``spectate``->lobby (view), ``grind``->dungeon
(engagement), ``rally``->clan (engagement), ``enlist``->clan (follow), ``befriend``->player
(follow), ``commend``->player (review), ``upvote``->mod (review), ``subscribe``->mod
(engagement), ``preview_mod``->mod (view), ``publish_mod``->mod (own), ``inspect``->skin
(view), ``browse_market``->skin (click), ``buy_listing``->skin (purchase), ``list_skin``->skin
(own), ``stash``->skin (own, receiving an item), ``gift_skin``->player (gift, item value),
``send_gems``->player (gift), ``redeem_code``->giftcard (claim), ``bind_wallet``->wallet
(own), ``withdraw_to``->wallet (payout).

Organic: sessions (boot, connect, 1-6 activities), 10-player matches (one lobby each, 20 %
commend a lobby-mate), marketplace buying/listing, giftcard top-ups, wallet withdrawals by
sellers, mod publishing, clan rallies, friend requests, occasional skin gifts.

Rings:

0. ``bot_farm`` - gold farming: bots on few rigs (1 per 8; 1 per 3 in variant 1) and 1-2
   datacenter addresses grind 2 low-traffic dungeons in step (same minutes), send gems to 1-2
   collectors (members) who list skins and withdraw to a wallet.  Targets: the dungeons.
1. ``skin_laundering`` - real-money trading: expensive skins leave source accounts (mostly
   hijacked) and pass through 2-4 mule hops (gift_skin + stash) to 1-2 buyers who list them;
   mules share proxy addresses.  Targets: the laundered skins.
2. ``win_trading`` - the same group fills both teams of many lobbies (6-10 members per lobby,
   joins within the same minute), commends each other; 1-2 boosted members are in every lobby.
   Targets: the ring lobbies.  Shares: netaddr (variant 0/2).
3. ``giftcard_carding`` - redeemers redeem 2-4 stolen giftcards each, buy a seller-member's
   junk skins at inflated prices; the seller withdraws to a wallet; proxies shared.  Targets:
   the giftcards and the junk skins.
4. ``workshop_brigade`` - a creator-member publishes 1-3 mods; the brigade previews,
   subscribes and upvotes them.  Targets: the mods.  Shares: netaddr (variant 0/2).

Variants, hijacking, camouflage (inspecting / buying popular skins, grinding popular
dungeons, previewing popular mods), sizes and labels as for ridehail.

Negatives: ``clan_night`` (8-30 clan mates, 5-stacks in the same lobbies most evenings,
commends), ``tournament_bracket`` (32-128 players in bracket lobbies on one Saturday),
``streamer_giveaway`` (300-3000 players redeem one drop code within ~20 minutes, 30 %
subscribe to the streamer's mod), ``lan_cafe`` (20-80 players on 4-12 rigs behind one
address, evenings), ``school_lab`` (15-40 players, 10-20 rigs, one address, weekday
afternoons), ``season_launch`` (1000-8000 players buy the new season skin within hours),
``friends_trade`` (3-8 friends gifting skins to each other over weeks), ``mod_hype``
(500-4000 players subscribe to and upvote a popular creator's new mod within a day).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

US = 1_000_000
MIN = 60 * US
HOUR = 60 * MIN
DAY = 24 * HOUR
DAYS = 49
T0 = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp()) * US
T1 = T0 + DAYS * DAY
ANCIENT = T0 - 4000 * DAY

FIRST = np.array(
    "ana bruno carla diego enzo fatima gabriel hana ines joao kemi lucas maria nadia omar "
    "pedro quynh rafael sofia tunde uma vitor wei xavier yara zainab arjun bayo chen dewi "
    "emeka farah gita hiro ivan jin kavya leo mei nico oluwa priya ravi siti taro ulla "
    "vera wale yusuf zoe".split()
)
LAST = np.array(list("abcdefghijklmnoprstuvwyz"))


def _norm(w):
    w = np.asarray(w, float)
    return w / w.sum()


class Pool:
    """Weighted draw of entity indices, per market (or one global part)."""

    def __init__(self, idx, w, market=None, n_markets=1):
        idx = np.asarray(idx, np.int64)
        w = np.asarray(w, float)
        self.parts = []
        for m in range(n_markets):
            s = np.ones(len(idx), bool) if market is None else (market == m)
            if not s.any():
                s = np.ones(len(idx), bool)
            ii, ww = idx[s], w[s]
            order = np.argsort(-ww, kind="stable")
            self.parts.append((ii, np.cumsum(ww) / ww.sum(), ii[order], ww / ww.sum()))

    def draw(self, rng, m):
        m = np.asarray(m, np.int64)
        out = np.empty(m.shape, np.int64)
        for k, (idx, cdf, _, _) in enumerate(self.parts):
            s = m == k
            c = int(s.sum())
            if c:
                j = np.searchsorted(cdf, rng.random(c))
                out[s] = idx[np.minimum(j, len(idx) - 1)]
        return out

    def top(self, m, k):
        return self.parts[m][2][:k]

    def sample_unique(self, rng, m, k, ok=None):
        idx, _, _, w = self.parts[m]
        if ok is not None:
            s = ok[idx]
            idx, w = idx[s], w[s]
        k = min(k, len(idx))
        if k <= 0:
            return np.zeros(0, np.int64)
        return rng.choice(idx, k, replace=False, p=w / w.sum())


class World:
    def __init__(self, seed, markets, hour_p, dow, cap_days):
        self.rng = np.random.default_rng(seed)
        self.mk_names = [m[0] for m in markets]
        self.mk_off = np.array([m[1] for m in markets], float)
        self.mk_w = _norm([m[2] for m in markets])
        self.nm = len(markets)
        self.hour_p = _norm(hour_p)
        self.dow = np.asarray(dow, float)
        self.cap_days = cap_days
        self.t_name, self.t_prefix, self.t_acct = [], [], []
        self._cre, self._mkt, self._digit, self._prior = [], [], [], []
        self._cache = {}
        self.actions = {}
        self.chunks = []

    # entities ---------------------------------------------------------------------------
    def etype(self, name, prefix, account=False):
        self.t_name.append(name)
        self.t_prefix.append(prefix)
        self.t_acct.append(account)
        for lst in (self._cre, self._mkt, self._digit, self._prior):
            lst.append([])
        return len(self.t_name) - 1

    def count(self, t):
        return sum(len(a) for a in self._cre[t])

    def add(self, t, created, market=0, digit_p=0.3, prior=None):
        created = np.atleast_1d(np.asarray(created, np.int64))
        n = len(created)
        start = self.count(t)
        self._cre[t].append(created.copy())
        self._mkt[t].append(np.broadcast_to(np.asarray(market, np.int64), (n,)).copy())
        self._digit[t].append(self.rng.random(n) < digit_p)
        if prior is None:
            prior = np.where(self.rng.random(n) < 0.04, self.rng.integers(1, 4, n), 0)
        self._prior[t].append(np.broadcast_to(np.asarray(prior, np.int64), (n,)).copy())
        self._cache.pop(t, None)
        return np.arange(start, start + n, dtype=np.int64)

    def _get(self, t):
        if t not in self._cache:
            self._cache[t] = tuple(
                np.concatenate(lst[t]) if lst[t] else np.zeros(0, np.int64)
                for lst in (self._cre, self._mkt, self._digit, self._prior)
            )
        return self._cache[t]

    def created(self, t):
        return self._get(t)[0]

    def market(self, t):
        return self._get(t)[1]

    def accounts(self, t, n):
        rng = self.rng
        age = np.exp(rng.normal(np.log(760), 1.45, n))
        over = age > self.cap_days
        age[over] = rng.uniform(200, self.cap_days, int(over.sum()))
        created = T1 - (age * DAY).astype(np.int64)
        market = rng.choice(self.nm, n, p=self.mk_w)
        return self.add(t, created, market)

    # time -------------------------------------------------------------------------------
    def local(self, n, market, d0=0, d1=DAYS, hour_p=None, dow=None):
        rng = self.rng
        days = np.arange(d0, d1)
        dw = (self.dow if dow is None else np.asarray(dow, float))[days % 7]
        day = rng.choice(days, n, p=dw / dw.sum())
        hour = rng.choice(24, n, p=self.hour_p if hour_p is None else _norm(hour_p))
        off = (self.mk_off[np.asarray(market, np.int64)] * HOUR).astype(np.int64)
        t = T0 + day * DAY + hour * HOUR + rng.integers(0, HOUR, n) - off
        return T0 + (t - T0) % (T1 - T0)

    def at_local(self, market, day, hour):
        off = (self.mk_off[np.asarray(market, np.int64)] * HOUR).astype(np.int64)
        return (T0 + np.asarray(day) * DAY + (np.asarray(hour) * HOUR)).astype(np.int64) - off

    @staticmethod
    def after(ts, c):
        ts = np.asarray(ts, np.int64)
        c = np.broadcast_to(np.asarray(c, np.int64), ts.shape)
        late = ts < c
        if late.any():
            cc = c[late]
            frac = (ts[late] - T0) / (T1 - T0)
            ts = ts.copy()
            ts[late] = cc + (np.clip(frac, 0, 1) * (T1 - 1 - cc)).astype(np.int64)
        return ts

    # events -----------------------------------------------------------------------------
    def emit(self, at, a, action, tt, b, ts, amount=None):
        ts = np.atleast_1d(np.asarray(ts, np.int64))
        n = ts.size
        if n == 0:
            return
        a = np.broadcast_to(np.asarray(a, np.int64), (n,)).copy()
        b = np.broadcast_to(np.asarray(b, np.int64), (n,)).copy()
        code = self.actions.setdefault(action, len(self.actions))
        if amount is None:
            amt = np.full(n, np.nan)
        else:
            amt = np.round(np.broadcast_to(np.asarray(amount, float), (n,)), 2).copy()
        keep = (ts >= T0) & (ts < T1)
        if not keep.all():
            a, b, ts, amt = a[keep], b[keep], ts[keep], amt[keep]
            if ts.size == 0:
                return
        self.chunks.append((at, a, code, tt, b, ts, amt))

    def ts_range(self, c0, c1):
        ts = [c[5] for c in self.chunks[c0:c1]]
        if not ts:
            return T0, T0
        return min(int(t.min()) for t in ts), max(int(t.max()) for t in ts)

    def touches(self, c0, c1, members, targets):
        """members (set of (t, i)) that have at least one event on targets in chunks."""
        tg = {}
        for t, i in targets:
            tg.setdefault(t, set()).add(int(i))
        mem = {}
        for t, i in members:
            mem.setdefault(t, set()).add(int(i))
        hit = set()
        for at, a, _, tt, b, _, _ in self.chunks[c0:c1]:
            if tt in tg:
                s = np.isin(b, np.fromiter(tg[tt], np.int64))
                hit.update((at, int(x)) for x in np.unique(a[s]))
            if tt in tg and tt in mem and at in mem:
                # a member that is itself a target, reached by another member
                s = np.isin(b, np.fromiter(tg[tt] & mem[tt], np.int64))
                s &= np.isin(a, np.fromiter(mem[at], np.int64))
                hit.update((tt, int(x)) for x in np.unique(b[s]))
        return {m for m in members if m in hit}

    # output -----------------------------------------------------------------------------
    def id_maps(self):
        maps = []
        for t in range(len(self.t_name)):
            n = max(self.count(t), 1)
            stride = max(1, 10_000_000 // n)
            maps.append(self.rng.permutation(n) * stride + self.rng.integers(0, stride, n))
        return maps

    def ids(self, maps, t, idx):
        num = maps[t][np.asarray(idx, np.int64)]
        return [f"{self.t_prefix[t]}{x:07d}" for x in num]


def _lookup(col, names):
    return pl.col(col).replace_strict(dict(enumerate(names)), return_dtype=pl.Utf8)


def _id_col(prefix_col, num_col):
    return pl.concat_str([prefix_col, num_col.cast(pl.Utf8).str.zfill(7)])


# --------------------------------------------------------------------------------------
# ring scaffolding
# --------------------------------------------------------------------------------------
VARIANTS = ["blitz", "slow", "waves"]
HIJACK = [0.12, 0.2, 0.3]


class Ring:
    pass


def plan_rings(W, N, patterns):
    rng = W.rng
    hi = max(14.0, min(80.0, 80.0 * math.sqrt(N / 1e6)))
    sizes = np.exp(rng.uniform(np.log(5), np.log(hi), 15))
    sizes[rng.integers(0, 15)] = hi
    rings = []
    for v in range(3):
        for p, name in enumerate(patterns):
            r = Ring()
            r.id, r.p, r.v, r.pattern = 5 * v + p, p, v, name
            r.n = int(round(sizes[5 * v + p]))
            r.slow = v == 1
            r.m = int(rng.choice(W.nm, p=W.mk_w))
            if v == 1:
                length = int(rng.integers(14, 29))
                r.d0 = int(rng.integers(1, DAYS - length))
                r.d1 = r.d0 + length
                r.centers = np.zeros(0, np.int64)
            else:
                nb = int(rng.integers(1, 3)) if v == 0 else int(rng.integers(3, 6))
                span = int(rng.integers(1, 4)) if v == 0 else int(rng.integers(7, 22))
                r.d0 = int(rng.integers(2, DAYS - span - 2))
                r.d1 = r.d0 + span
                days = rng.integers(r.d0, r.d1, nb)
                hours = rng.uniform(9, 23.5, nb)
                r.centers = np.sort(W.at_local(r.m, days, hours))
            r.start = W.at_local(r.m, r.d0, 0) if r.slow else int(r.centers.min())
            r.members, r.targets, r.shares = [], [], []
            rings.append(r)
    return rings


def ring_times(W, r, n, spread_min=25.0):
    """Timestamps for n ring actions: organic rhythm (slow) or around the burst centers."""
    rng = W.rng
    if r.slow:
        return W.local(n, np.full(n, r.m), r.d0, r.d1)
    k = rng.integers(0, len(r.centers), n)
    return r.centers[k] + (np.abs(rng.normal(0, spread_min, n)) * MIN).astype(np.int64)


def ring_moments(W, r, k):
    """k moments at which the whole ring acts together."""
    rng = W.rng
    if r.slow:
        return np.sort(W.local(k, np.full(k, r.m), r.d0, r.d1))
    c = r.centers[rng.integers(0, len(r.centers), k)]
    return np.sort(c + rng.integers(0, 6 * HOUR, k))


def recruit(W, r, t, n, pool, used, add_fn):
    """n members of type t: ~hijack share from active organic accounts, the rest fresh."""
    rng = W.rng
    h = int(rng.binomial(n, HIJACK[r.v]))
    cre = W.created(t)
    ok = cre < r.start - 30 * DAY
    ok &= ~np.isin(np.arange(len(cre)), np.fromiter(used, np.int64, len(used)))
    hij = pool.sample_unique(rng, r.m, h, ok)
    used.update(int(x) for x in hij)
    nf = n - len(hij)
    lo, hi = [(0.2, 4), (1, 45), (0.5, 10)][r.v]
    created = r.start - (rng.uniform(lo, hi, nf) * DAY).astype(np.int64)
    fresh = add_fn(nf, created, r.m, 0.55) if nf else np.zeros(0, np.int64)
    for i in hij:
        r.members.append((t, int(i), True))
    for i in fresh:
        r.members.append((t, int(i), False))
    idx = np.concatenate([hij, fresh]).astype(np.int64)
    rng.shuffle(idx)
    return idx


def spread_assign(W, n, k):
    """Assign n things to k groups, every group non-empty when n >= k."""
    a = np.arange(n) % max(k, 1)
    W.rng.shuffle(a)
    return a


# --------------------------------------------------------------------------------------
# ridehail
# --------------------------------------------------------------------------------------
RH_MARKETS = [
    ("br_sao", -3, 0.24),
    ("mx_cdmx", -6, 0.2),
    ("ng_lagos", 1, 0.12),
    ("in_blr", 5.5, 0.24),
    ("id_jkt", 7, 0.2),
]
RH_HOURS = [
    3,
    2,
    1.5,
    1,
    1,
    1.5,
    3,
    6,
    8,
    6,
    4,
    4,
    4.5,
    4.5,
    4,
    4.5,
    5.5,
    7.5,
    8,
    6,
    4.5,
    4,
    4,
    3.5,
]
RH_DRIVER_HOURS = [2, 1.5, 1, 1, 1.5, 3, 5, 7, 7, 6, 5, 5, 5, 5, 5, 5.5, 6, 7, 7, 6, 5, 4, 3, 2.5]
RH_DOW = [1.0, 1.0, 1.0, 1.02, 1.15, 1.05, 0.8]

RH_VOCAB = {
    "actions": {
        "engagement": ["queue_at"],
        "purchase": ["board"],
        "review": ["rate_driver", "rate_rider"],
        "click": ["hail"],
        "follow": ["refer"],
        "gift": ["tip"],
        "claim": ["redeem_promo", "claim_quest"],
        "login": ["unlock", "ping_from"],
        "payout": ["cash_out", "charge_to"],
        "own": ["enroll_handset", "register_card", "link_bank", "register_vehicle"],
        "view": ["check_fare"],
    },
    "entities": {
        "account": ["rider", "driver"],
        "item": ["vehicle"],
        "content": ["zone"],
        "device": ["handset", "netaddr"],
        "payout_account": ["bank", "paycard"],
        "coupon": ["promo", "quest"],
    },
}


class RideHail:
    patterns = [
        "ghost_trips",
        "promo_farm",
        "driver_multi_account",
        "rating_farm",
        "surge_collusion",
    ]

    def __init__(self, W, N):
        self.W, self.N = W, N
        rng = W.rng
        nm = W.nm
        self.R = W.etype("rider", "RDR", True)
        self.D = W.etype("driver", "DRV", True)
        self.Z = W.etype("zone", "ZON")
        self.P = W.etype("promo", "PRM")
        self.Q = W.etype("quest", "QST")
        self.H = W.etype("handset", "HND")
        self.NA = W.etype("netaddr", "NET")
        self.B = W.etype("bank", "BNK")
        self.C = W.etype("paycard", "PCD")
        self.V = W.etype("vehicle", "VEH")
        self.r_hand = np.zeros(0, np.int64)
        self.r_home = np.zeros(0, np.int64)
        self.r_card = np.zeros(0, np.int64)
        self.d_hand = np.zeros(0, np.int64)
        self.d_home = np.zeros(0, np.int64)
        self.d_bank = np.zeros(0, np.int64)
        self.d_veh = np.zeros(0, np.int64)
        # static things
        nz = 25 + N // 25000
        zm = np.repeat(np.arange(nm), nz)
        self.zones = W.add(self.Z, np.full(nm * nz, ANCIENT), zm)
        zw = np.concatenate([1 / np.arange(1, nz + 1) ** 1.05 for _ in range(nm)])
        for m in range(nm):
            s = slice(m * nz, (m + 1) * nz)
            w = zw[s].copy()
            rng.shuffle(w[3:])
            zw[s] = w
        self.airport = self.zones[np.arange(nm) * nz]  # 1st most popular
        self.stadium = self.zones[np.arange(nm) * nz + 5]
        self.zpool = Pool(self.zones, zw, zm, nm)
        self.zw = zw
        npm = 13
        pm = np.repeat(np.arange(nm), npm)
        self.promos = W.add(self.P, np.full(nm * npm, T0 - 90 * DAY), pm)
        self.welcome = self.promos[np.arange(nm) * npm]
        city = np.setdiff1d(self.promos, self.welcome)
        self.ppool = Pool(city, 1 / np.arange(1, len(city) + 1) ** 0.8, pm[city], nm)
        # weekly quests: 3 per market per week, created at the local Monday
        self.quests = np.zeros((7, nm, 3), np.int64)
        for w in range(7):
            for m in range(nm):
                self.quests[w, m] = W.add(self.Q, np.full(3, W.at_local(m, 7 * w, 0)), m)
        self.cgnat = [W.add(self.NA, np.full(10, ANCIENT), m) for m in range(nm)]
        # accounts
        self.new_riders(max(1500, N // 25), None, None)
        self.new_drivers(max(200, N // 180), None, None)
        nr, nd = W.count(self.R), W.count(self.D)
        self.r_act = rng.lognormal(0, 1.3, nr)
        self.d_act = rng.lognormal(0, 0.9, nd)
        self.rpool = Pool(np.arange(nr), self.r_act, W.market(self.R), nm)
        self.dpool = Pool(np.arange(nd), self.d_act, W.market(self.D), nm)
        self.used_r, self.used_d = set(), set()

    # account creation with infrastructure ------------------------------------------------
    def _households(self, n, share):
        """device index per account: pairs of consecutive accounts share with p=share."""
        rng = self.W.rng
        pair = rng.random(n) < share
        own = np.arange(n)
        own[1:][pair[1:]] = own[:-1][pair[1:]]
        uniq, inv = np.unique(own, return_inverse=True)
        return inv, len(uniq)

    def new_riders(self, n, created, market, digit_p=0.3):
        W = self.W
        if created is None:
            idx = W.accounts(self.R, n)
        else:
            idx = W.add(self.R, created, market, digit_p)
        cre = W.created(self.R)[idx]
        inv, k = self._households(n, 0.1 if created is None else 0.0)
        hands = W.add(self.H, np.minimum(cre, T0), W.market(self.R)[idx])[:k][inv]
        homes_inv = np.arange(n) // 2
        homes = W.add(self.NA, np.full(homes_inv.max() + 1, ANCIENT))[homes_inv]
        cards = W.add(self.C, cre)
        self.r_hand = np.concatenate([self.r_hand, hands])
        self.r_home = np.concatenate([self.r_home, homes])
        self.r_card = np.concatenate([self.r_card, cards])
        return idx

    def new_drivers(self, n, created, market, digit_p=0.3):
        W = self.W
        if created is None:
            idx = W.accounts(self.D, n)
        else:
            idx = W.add(self.D, created, market, digit_p)
        cre = W.created(self.D)[idx]
        inv, k = self._households(n, 0.04 if created is None else 0.0)
        self.d_hand = np.concatenate([self.d_hand, W.add(self.H, cre)])
        homes = W.add(self.NA, np.full(n // 2 + 1, ANCIENT))[np.arange(n) // 2]
        self.d_home = np.concatenate([self.d_home, homes])
        self.d_bank = np.concatenate([self.d_bank, W.add(self.B, cre[:k])[inv]])
        self.d_veh = np.concatenate([self.d_veh, W.add(self.V, cre)])
        return idx

    # event builders ------------------------------------------------------------------------
    def trips(self, rider, driver, zone, ts, fare=None, p_unlock=0.7, p_net=0.5, p_fare=0.5,
              card=None, p_charge=0.9, p_rate=0.45, stars=None, p_rrate=0.35, p_tip=0.1,
              promo=None, p_promo=0.05, hand=None):  # fmt: skip
        W, rng = self.W, self.W.rng
        n = len(rider)
        if n == 0:
            return
        R, D = self.R, self.D
        mk = W.market(R)[rider]
        ts = W.after(ts, np.maximum(W.created(R)[rider], W.created(D)[driver]) + 2 * MIN)

        def sub(p):
            return rng.random(n) < p

        s = sub(p_unlock)
        h = self.r_hand[rider] if hand is None else hand
        W.emit(R, rider[s], "unlock", self.H, h[s], ts[s] - rng.integers(60, 400, s.sum()) * US)
        s = sub(p_net)
        home = rng.random(n) < 0.35
        net = np.where(home, self.r_home[rider], 0)
        cg = np.array([self.cgnat[m][0] for m in range(W.nm)])[mk] + rng.integers(0, 10, n)
        net = np.where(home, net, cg)
        W.emit(
            R, rider[s], "ping_from", self.NA, net[s], ts[s] - rng.integers(30, 300, s.sum()) * US
        )
        s = sub(p_fare)
        W.emit(
            R, rider[s], "check_fare", self.Z, zone[s], ts[s] - rng.integers(20, 200, s.sum()) * US
        )
        W.emit(R, rider, "hail", self.Z, zone, ts)
        tb = ts + rng.integers(2 * 60, 12 * 60, n) * US
        if fare is None:
            fare = rng.lognormal(np.log(9), 0.55, n)
        W.emit(R, rider, "board", D, driver, tb, fare)
        te = tb + rng.integers(8 * 60, 45 * 60, n) * US
        s = sub(p_charge)
        c = self.r_card[rider] if card is None else np.broadcast_to(card, (n,))
        W.emit(R, rider[s], "charge_to", self.C, c[s], te[s], np.broadcast_to(fare, (n,))[s])
        s = sub(p_rate)
        if stars is None:
            st = rng.choice([5.0, 4.0, 3.0, 2.0, 1.0], n, p=[0.78, 0.14, 0.04, 0.02, 0.02])
        else:
            st = np.full(n, float(stars))
        W.emit(
            R,
            rider[s],
            "rate_driver",
            D,
            driver[s],
            te[s] + rng.integers(30, 3600, s.sum()) * US,
            st[s],
        )
        s = sub(p_rrate)
        W.emit(D, driver[s], "rate_rider", R, rider[s], te[s] + rng.integers(10, 600, s.sum()) * US,
               rng.choice([5.0, 4.0, 3.0], s.sum(), p=[0.85, 0.12, 0.03]) if stars is None else 5.0)  # fmt: skip
        s = sub(p_tip)
        W.emit(R, rider[s], "tip", D, driver[s], te[s] + rng.integers(60, 7200, s.sum()) * US,
               rng.lognormal(np.log(1.5), 0.5, s.sum()))  # fmt: skip
        s = sub(p_promo)
        pr = self.ppool.draw(rng, mk[s]) if promo is None else np.broadcast_to(promo, (n,))[s]
        W.emit(R, rider[s], "redeem_promo", self.P, pr, ts[s] - rng.integers(10, 120, s.sum()) * US,
               rng.choice([1.0, 2.0, 3.0, 5.0], s.sum()))  # fmt: skip

    def shifts(self, driver, ts, nq_mean=1.5, zone=None):
        W, rng = self.W, self.W.rng
        n = len(driver)
        if n == 0:
            return
        D = self.D
        mk = W.market(D)[driver]
        ts = W.after(ts, W.created(D)[driver] + MIN)
        W.emit(D, driver, "unlock", self.H, self.d_hand[driver], ts)
        s = rng.random(n) < 0.85
        cg = np.array([self.cgnat[m][0] for m in range(W.nm)])[mk] + rng.integers(0, 10, n)
        net = np.where(rng.random(n) < 0.8, cg, self.d_home[driver])
        W.emit(
            D, driver[s], "ping_from", self.NA, net[s], ts[s] + rng.integers(5, 60, s.sum()) * US
        )
        k = 1 + rng.poisson(nq_mean, n)
        rep = np.repeat(np.arange(n), k)
        if zone is None:
            z = self.zpool.draw(rng, mk[rep])
        elif np.ndim(zone):
            z = np.asarray(zone)[rep]
        else:
            z = np.full(len(rep), zone)
        tq = ts[rep] + rng.integers(60, 8 * 3600, len(rep)) * US
        W.emit(D, driver[rep], "queue_at", self.Z, z, tq)

    def camo(self, t, idx, r, k_mean):
        W, rng = self.W, self.W.rng
        r.camo_at = min(getattr(r, "camo_at", len(W.chunks)), len(W.chunks))
        k = rng.poisson(k_mean, len(idx)) + 1
        rep = np.repeat(idx, k)
        n = len(rep)
        ts = W.local(n, np.full(n, r.m), max(0, r.d0 - 10), min(DAYS, r.d1 + 10))
        if t == self.R:
            drv = rng.choice(self.dpool.top(r.m, 25), n)
            zone = rng.choice(self.zpool.top(r.m, 6), n)
            self.trips(rep, drv, zone, ts, p_unlock=0.0, p_net=0.0, p_rate=0.3, p_tip=0.05)
        else:
            self.shifts(rep, ts, 1.0, rng.choice(self.zpool.top(r.m, 4), n))

    # organic --------------------------------------------------------------------------
    def organic(self):
        W, rng, N = self.W, self.W.rng, self.N
        R, D = self.R, self.D
        nr, nd = W.count(R), W.count(D)
        rm, dm = W.market(R), W.market(D)
        T = int(0.70 * N / 5.6)
        rider = Pool(np.arange(nr), self.r_act).draw(rng, np.zeros(T, np.int64))
        mk = rm[rider]
        drv = self.dpool.draw(rng, mk)
        zone = self.zpool.draw(rng, mk)
        self.trips(rider, drv, zone, W.local(T, mk))
        S = int(0.25 * N / 4.4)
        d = Pool(np.arange(nd), self.d_act).draw(rng, np.zeros(S, np.int64))
        self.shifts(d, W.local(S, dm[d], hour_p=RH_DRIVER_HOURS))
        # quests
        nq = int(0.015 * N)
        d = Pool(np.arange(nd), np.sqrt(self.d_act)).draw(rng, np.zeros(nq, np.int64))
        wk = rng.integers(0, 7, nq)
        q = self.quests[wk, dm[d], rng.integers(0, 3, nq)]
        tq = W.at_local(dm[d], 7 * wk + rng.integers(2, 7, nq), rng.uniform(6, 24, nq))
        tq = W.after(tq, W.created(D)[d])
        W.emit(D, d, "claim_quest", self.Q, q, tq, rng.choice([15.0, 25.0, 40.0], nq))
        # weekly cash-outs
        nc = int(0.02 * N)
        d = Pool(np.arange(nd), np.sqrt(self.d_act)).draw(rng, np.zeros(nc, np.int64))
        tc = W.after(W.local(nc, dm[d]), W.created(D)[d])
        W.emit(D, d, "cash_out", self.B, self.d_bank[d], tc, rng.lognormal(np.log(140), 0.7, nc))
        # sign-ups inside the window
        cr = W.created(R)
        new = np.flatnonzero(cr >= T0)
        tn = cr[new]
        W.emit(R, new, "enroll_handset", self.H, self.r_hand[new], tn + MIN)
        W.emit(R, new, "register_card", self.C, self.r_card[new], tn + 6 * MIN)
        s = rng.random(len(new)) < 0.4
        ref = self.rpool.draw(rng, rm[new[s]])
        W.emit(R, ref, "refer", R, new[s], tn[s])
        s = rng.random(len(new)) < 0.6
        W.emit(R, new[s], "redeem_promo", self.P, self.welcome[rm[new[s]]], tn[s] + 20 * MIN, 5.0)
        cd = W.created(D)
        new = np.flatnonzero(cd >= T0)
        tn = cd[new]
        W.emit(D, new, "enroll_handset", self.H, self.d_hand[new], tn + MIN)
        W.emit(D, new, "link_bank", self.B, self.d_bank[new], tn + 30 * MIN)
        W.emit(D, new, "register_vehicle", self.V, self.d_veh[new], tn + 40 * MIN)

    # negatives ------------------------------------------------------------------------
    def negatives(self):
        W, rng, N = self.W, self.W.rng, self.N
        R, D = self.R, self.D
        s = (N / 1e5) ** 0.8
        rm, dm = W.market(R), W.market(D)
        groups = []

        self.neg_spans = []
        last = [len(W.chunks)]

        def grp(kind, members):
            groups.append((kind, members))
            self.neg_spans.append((kind, last[0], len(W.chunks)))
            last[0] = len(W.chunks)

        def pick(pool, m, k, cond=None):
            return pool.sample_unique(rng, m, k, cond)

        old_r = W.created(R) < T0 - 60 * DAY
        old_d = W.created(D) < T0 - 60 * DAY
        # airport queues
        for m in range(W.nm):
            for _ in range(max(1, int(round(0.5 * s * W.mk_w[m] * W.nm)))):
                g = pick(self.dpool, m, int(rng.integers(20, 151)), old_d)
                days = np.flatnonzero(rng.random(DAYS) < rng.uniform(0.3, 0.6))
                waves = []
                for dd in days:
                    for h in rng.uniform(5, 23.5, int(rng.integers(2, 6))):
                        waves.append(W.at_local(m, dd, h))
                waves = np.array(waves, np.int64)
                k = rng.binomial(len(g), 0.22, len(waves))
                wv = np.repeat(np.arange(len(waves)), k)
                dr = g[rng.integers(0, len(g), len(wv))]
                tq = waves[wv] + rng.integers(-5 * 60, 5 * 60, len(wv)) * US
                W.emit(D, dr, "queue_at", self.Z, self.airport[m], tq)
                tk = rng.random(len(wv)) < 0.6
                rid = self.rpool.draw(rng, np.full(tk.sum(), m))
                self.trips(
                    rid,
                    dr[tk],
                    np.full(tk.sum(), self.airport[m]),
                    tq[tk] + rng.integers(10, 60, tk.sum()) * MIN,
                )
                grp("airport_queue", [(D, g)])
        # commuter carpools
        for _ in range(int(round(9 * s))):
            m = int(rng.choice(W.nm, p=W.mk_w))
            drv = pick(self.dpool, m, 1, old_d)
            rid = pick(self.rpool, m, int(rng.integers(2, 6)), old_r)
            z_home, z_work = self.zpool.draw(rng, np.array([m, m]))
            days = np.array([dd for dd in range(DAYS) if dd % 7 < 5 and rng.random() < 0.85])
            for z, h in ((z_home, 8.0), (z_work, 18.0)):
                tt = W.at_local(m, days, h) + rng.integers(-10, 10, len(days)) * MIN
                rr = np.tile(rid, len(tt))
                t2 = np.repeat(tt, len(rid)) + rng.integers(0, 240, len(rr)) * US
                self.trips(
                    rr, np.full(len(rr), drv[0]), np.full(len(rr), z), t2, p_rate=0.6, p_tip=0.05
                )
            grp("commuter_carpool", [(D, drv), (R, rid)])
        # corporate accounts
        for _ in range(max(1, int(round(4 * s)))):
            m = int(rng.choice(W.nm, p=W.mk_w))
            rid = pick(self.rpool, m, int(rng.integers(15, 151)), old_r)
            card = W.add(self.C, T0 - 200 * DAY, m)[0]
            k = rng.integers(2, 9, len(rid))
            rr = np.repeat(rid, k)
            dd = rng.integers(0, 5, len(rr)) + 7 * rng.integers(0, 7, len(rr))
            tt = W.at_local(m, dd, rng.uniform(8, 20, len(rr)))
            office = self.zpool.draw(rng, np.array([m]))[0]
            zz = np.where(
                rng.random(len(rr)) < 0.5, office, self.zpool.draw(rng, np.full(len(rr), m))
            )
            W.emit(
                R, rid, "register_card", self.C, card, W.local(len(rid), np.full(len(rid), m), 0, 5)
            )
            self.trips(
                rr,
                self.dpool.draw(rng, np.full(len(rr), m)),
                zz,
                tt,
                card=card,
                p_charge=1.0,
                p_tip=0.02,
            )
            grp("corporate_account", [(R, rid)])
        # family handsets
        for _ in range(int(round(15 * s))):
            m = int(rng.choice(W.nm, p=W.mk_w))
            rid = pick(self.rpool, m, int(rng.integers(3, 6)), old_r)
            h = W.add(self.H, ANCIENT, m)[0]
            home = self.r_home[rid[0]]
            k = rng.integers(5, 25, len(rid))
            rr = np.repeat(rid, k)
            tt = W.local(len(rr), np.full(len(rr), m))
            W.emit(R, rr, "unlock", self.H, h, tt)
            W.emit(R, rr, "ping_from", self.NA, home, tt + 30 * US)
            card = self.r_card[rid[0]] if rng.random() < 0.5 else None
            self.trips(rr, self.dpool.draw(rng, np.full(len(rr), m)), self.zpool.draw(rng, np.full(len(rr), m)),
                       tt + 2 * MIN, hand=np.full(len(rr), h), card=card)  # fmt: skip
            grp("family_handset", [(R, rid)])
        # stadium surges
        for _ in range(max(1, int(round(0.5 * s)))):
            m = int(rng.choice(W.nm, p=W.mk_w))
            nmk = int((rm == m).sum())
            k = int(min(max(200, 3000 * min(1, N / 1e6)), nmk // 4))
            rid = pick(self.rpool, m, k)
            end = W.at_local(m, int(rng.integers(0, DAYS)), rng.uniform(21, 23))
            tt = end + (rng.exponential(18, len(rid)) * MIN).astype(np.int64)
            drv = self.dpool.draw(rng, np.full(len(rid), m))
            self.trips(
                rid,
                drv,
                np.full(len(rid), self.stadium[m]),
                tt,
                p_fare=0.9,
                fare=rng.lognormal(np.log(16), 0.4, len(rid)),
            )
            grp("stadium_surge", [(R, rid), (D, np.unique(drv))])
        # city-wide promos
        for _ in range(max(1, int(round(0.4 * s)))):
            m = int(rng.choice(W.nm, p=W.mk_w))
            nmk = int((rm == m).sum())
            d0 = int(rng.integers(0, DAYS - 3))
            promo = W.add(self.P, W.at_local(m, d0, 0), m)[0]
            k = int(min(max(500, 5000 * min(1, N / 1e6)), nmk // 3))
            rid = pick(self.rpool, m, k)
            nnew = max(1, k // 20)
            cr = W.at_local(m, d0, 7) + rng.integers(0, 36 * 3600, nnew) * US
            fresh = self.new_riders(nnew, cr, m)
            W.emit(R, fresh, "enroll_handset", self.H, self.r_hand[fresh], cr + MIN)
            W.emit(R, fresh, "register_card", self.C, self.r_card[fresh], cr + 5 * MIN)
            allr = np.concatenate([rid, fresh])
            tt = W.at_local(m, d0, 7) + (rng.exponential(10, len(allr)) * HOUR).astype(np.int64)
            tt = np.maximum(tt, W.created(R)[allr] + 10 * MIN)
            self.trips(allr, self.dpool.draw(rng, np.full(len(allr), m)), self.zpool.draw(rng, np.full(len(allr), m)),
                       tt, promo=promo, p_promo=1.0)  # fmt: skip
            grp("citywide_promo", [(R, allr)])
        # fleet partners
        for _ in range(max(1, int(round(3 * s)))):
            m = int(rng.choice(W.nm, p=W.mk_w))
            drv = pick(self.dpool, m, int(rng.integers(5, 26)), old_d)
            bank = W.add(self.B, T0 - 300 * DAY, m)[0]
            mondays = np.arange(0, DAYS, 7)
            tt = W.at_local(m, mondays, 10.0)
            rr = np.tile(drv, len(tt))
            t2 = np.repeat(tt, len(drv)) + rng.integers(0, 50, len(rr)) * US
            W.emit(D, rr, "cash_out", self.B, bank, t2, rng.lognormal(np.log(220), 0.4, len(rr)))
            grp("fleet_partner", [(D, drv)])
        # quest deadline rush
        for _ in range(max(1, int(round(0.6 * s)))):
            m = int(rng.choice(W.nm, p=W.mk_w))
            wk = int(rng.integers(0, 6))
            nmk = int((dm == m).sum())
            drv = pick(self.dpool, m, int(min(rng.integers(100, 801), nmk // 2)))
            end = W.at_local(m, 7 * wk + 7, 0)
            tt = end - rng.integers(1, 40 * 60, len(drv)) * US
            W.emit(D, drv, "claim_quest", self.Q, self.quests[wk, m, 0], tt, 40.0)
            grp("quest_deadline", [(D, drv)])
        return groups

    # rings ----------------------------------------------------------------------------
    def ring(self, r):
        W, rng = self.W, self.W.rng
        R, D = self.R, self.D
        v = r.v
        n = r.n

        def riders(k):
            return recruit(W, r, R, k, self.rpool, self.used_r, self._fresh_r)

        def drivers(k):
            return recruit(W, r, D, k, self.dpool, self.used_d, self._fresh_d)

        def share_hand(t, idx, per):
            k = max(1, int(math.ceil(len(idx) / per)))
            hs = W.add(self.H, np.full(k, r.start - 5 * DAY), r.m)
            g = spread_assign(W, len(idx), k)
            ts = ring_times(W, r, len(idx))
            ts = np.maximum(ts, W.created(t)[idx] + MIN)
            W.emit(t, idx, "enroll_handset", self.H, hs[g], ts - 30 * MIN)
            r.shares.append("handset")
            return hs[g]

        def proxy(t, idx, k=2):
            return W.add(self.NA, np.full(k, r.start - 30 * DAY), r.m)

        def unlocks(t, idx, hand, times_per):
            rep = np.repeat(np.arange(len(idx)), times_per)
            ts = ring_times(W, r, len(rep))
            ts = np.maximum(ts, W.created(t)[idx[rep]] + MIN)
            W.emit(t, idx[rep], "unlock", self.H, hand[rep], ts)

        p = r.p
        if p == 0:  # ghost trips
            nd = max(1, n // 6)
            drv = drivers(nd)
            rid = riders(n - nd)
            zone = self.zpool.parts[r.m][2][-int(rng.integers(1, 6))]
            promo = self.ppool.draw(rng, np.array([r.m]))[0]
            hand = share_hand(R, rid, 4) if v != 1 else self.r_hand[rid]
            k = rng.integers(3, 11, len(rid))
            rr = np.repeat(rid, k)
            dd = drv[rng.integers(0, nd, len(rr))]
            tt = ring_times(W, r, len(rr), 40)
            self.trips(rr, dd, np.full(len(rr), zone), tt, fare=rng.lognormal(np.log(22), 0.3, len(rr)),
                       stars=5, p_rate=1.0, p_rrate=1.0, promo=promo, p_promo=0.5, p_tip=0.0,
                       hand=hand[np.repeat(np.arange(len(rid)), k)], p_unlock=0.9)  # fmt: skip
            if v != 1:
                bank = W.add(self.B, r.start - 10 * DAY, r.m)[0]
                W.emit(
                    D, drv, "link_bank", self.B, bank, r.start - 8 * DAY + rng.integers(0, DAY, nd)
                )
                r.shares.append("bank")
            else:
                bank = self.d_bank[drv]
            tc = ring_times(W, r, 2 * nd) + 12 * HOUR
            banks = np.tile(np.broadcast_to(bank, (nd,)), 2)
            W.emit(
                D,
                np.tile(drv, 2),
                "cash_out",
                self.B,
                banks,
                tc,
                rng.lognormal(np.log(300), 0.3, 2 * nd),
            )
            self.shifts(drv, ring_times(W, r, nd), 1.0, zone)
            r.targets += [(D, int(x)) for x in drv] + [(self.P, int(promo))]
            self.camo(R, rid, r, [2, 4, 7][v])
            self.camo(D, drv, r, 3)
        elif p == 1:  # promo farm
            ref = riders(1)
            drv = drivers(1)
            rid = riders(n - 2)
            per = int(rng.integers(5, 9))
            hand = share_hand(R, rid, per)
            if v != 1:
                nets = proxy(R, rid, 2)
                W.emit(
                    R,
                    rid,
                    "ping_from",
                    self.NA,
                    nets[rng.integers(0, 2, len(rid))],
                    ring_times(W, r, len(rid)),
                )
                r.shares.append("netaddr")
            tref = np.maximum(ring_times(W, r, len(rid)), W.created(R)[rid] + MIN)
            W.emit(R, ref[0], "refer", R, rid, tref)
            promo2 = self.ppool.draw(rng, np.array([r.m]))[0]
            W.emit(
                R,
                rid,
                "redeem_promo",
                self.P,
                self.welcome[r.m],
                tref + rng.integers(2, 30, len(rid)) * MIN,
                5.0,
            )
            k = rng.integers(1, 3, len(rid))
            rr = np.repeat(rid, k)
            self.trips(rr, np.full(len(rr), drv[0]), self.zpool.draw(rng, np.full(len(rr), r.m)),
                       np.repeat(tref, k) + rng.integers(40, 600, len(rr)) * MIN,
                       fare=rng.lognormal(np.log(4), 0.3, len(rr)), promo=promo2, p_promo=1.0,
                       hand=hand[np.repeat(np.arange(len(rid)), k)], p_unlock=1.0)  # fmt: skip
            W.emit(R, ref, "redeem_promo", self.P, self.welcome[r.m], tref[:1] + HOUR, 5.0)
            r.targets += [(self.P, int(self.welcome[r.m])), (self.P, int(promo2)), (D, int(drv[0]))]
            self.camo(R, np.concatenate([ref, rid]), r, [0.5, 2, 4][v])
            self.camo(D, drv, r, 3)
        elif p == 2:  # driver multi-account / rental
            drv = drivers(n)
            per = int(rng.integers(3, 5))
            hand = share_hand(D, drv, per)
            nb = 1 if n < 12 else 2
            banks = W.add(self.B, np.full(nb, r.start - 20 * DAY), r.m)
            g = spread_assign(W, n, nb)
            W.emit(
                D,
                drv,
                "link_bank",
                self.B,
                banks[g],
                np.maximum(ring_times(W, r, n) - DAY, W.created(D)[drv] + HOUR),
            )
            r.shares.append("bank")
            unlocks(D, drv, hand, rng.integers(3, 9, n))
            k = rng.integers(2, 6, n)
            rep = np.repeat(np.arange(n), k)
            W.emit(D, drv[rep], "cash_out", self.B, banks[g[rep]],
                   np.maximum(ring_times(W, r, len(rep)), W.created(D)[drv[rep]] + HOUR),
                   rng.lognormal(np.log(120), 0.5, len(rep)))  # fmt: skip
            zs = rng.choice(self.zpool.top(r.m, 10), 2, replace=False)
            k = rng.integers(4, 15, n)
            dd = np.repeat(drv, k)
            tt = ring_times(W, r, len(dd), 90)
            self.shifts(drv, ring_times(W, r, n), 2.0, zs[0])
            ok_r = W.created(R) < r.start - DAY
            rid = rng.choice(self.rpool.sample_unique(rng, r.m, 400, ok_r), len(dd))
            self.trips(rid, dd, np.full(len(dd), zs[1]), tt)
            r.targets += [(self.B, int(b)) for b in banks]
            self.camo(D, drv, r, [1, 2, 4][v])
        elif p == 3:  # rating farm
            nb = int(rng.integers(2, 5))
            ben = drivers(nb)
            rid = riders(n - nb)
            if v != 1:
                nets = proxy(R, rid, 2)
                tt = ring_times(W, r, len(rid))
                W.emit(R, rid, "ping_from", self.NA, nets[rng.integers(0, 2, len(rid))],
                       np.maximum(tt, W.created(R)[rid] + MIN))  # fmt: skip
                r.shares.append("netaddr")
            k = rng.integers(2, 6, len(rid))
            rr = np.repeat(rid, k)
            dd = ben[rng.integers(0, nb, len(rr))]
            self.trips(rr, dd, self.zpool.draw(rng, np.full(len(rr), r.m)), ring_times(W, r, len(rr), 60),
                       fare=rng.lognormal(np.log(3), 0.3, len(rr)), stars=5, p_rate=1.0, p_rrate=0.8,
                       p_tip=0.6)  # fmt: skip
            self.shifts(ben, ring_times(W, r, nb), 1.0)
            r.targets += [(D, int(x)) for x in ben]
            self.camo(R, rid, r, [1, 3, 6][v])
            self.camo(D, ben, r, 5)
        else:  # surge collusion
            drv = drivers(n)
            zone = rng.choice(self.zpool.top(r.m, 12)[2:], 1)[0]
            wk = min(6, int((r.d0 + r.d1) // 14))
            quest = self.quests[wk, r.m, int(rng.integers(0, 3))]
            mom = ring_moments(
                W, r, int(rng.integers(6, 16)) if not r.slow else int(rng.integers(10, 25))
            )
            part = rng.random((len(mom), n)) < (0.8 if not r.slow else 0.5)
            mi, di = np.nonzero(part)
            tq = mom[mi] + rng.integers(0, 180, len(mi)) * US
            tq = np.maximum(tq, W.created(D)[drv[di]] + MIN)
            W.emit(D, drv[di], "queue_at", self.Z, zone, tq)
            tq2 = tq + rng.integers(8 * 60, 14 * 60, len(mi)) * US
            W.emit(D, drv[di], "queue_at", self.Z, zone, tq2)
            tcl = np.maximum(
                W.at_local(r.m, 7 * wk + 6, 20.0) + rng.integers(0, 240, n) * US,
                W.created(D)[drv] + MIN,
            )
            W.emit(D, drv, "claim_quest", self.Q, quest, tcl, 40.0)
            if v != 1:
                nb = int(rng.integers(2, 4))
                banks = W.add(self.B, np.full(nb, r.start - 20 * DAY), r.m)
                g = spread_assign(W, n, nb)
                W.emit(D, drv, "cash_out", self.B, banks[g], tcl + rng.integers(1, 3 * 3600, n) * US,
                       rng.lognormal(np.log(180), 0.3, n))  # fmt: skip
                r.shares.append("bank")
            self.shifts(drv, ring_times(W, r, n), 1.0)
            r.targets += [(self.Z, int(zone)), (self.Q, int(quest))]
            self.camo(D, drv, r, [1, 2, 4][v])

    def _fresh_r(self, n, created, m, dp):
        idx = self.new_riders(n, created, m, dp)
        self.W.emit(self.R, idx, "enroll_handset", self.H, self.r_hand[idx], created + MIN)
        self.W.emit(self.R, idx, "register_card", self.C, self.r_card[idx], created + 5 * MIN)
        return idx

    def _fresh_d(self, n, created, m, dp):
        idx = self.new_drivers(n, created, m, dp)
        W = self.W
        W.emit(self.D, idx, "enroll_handset", self.H, self.d_hand[idx], created + MIN)
        W.emit(self.D, idx, "link_bank", self.B, self.d_bank[idx], created + 20 * MIN)
        W.emit(self.D, idx, "register_vehicle", self.V, self.d_veh[idx], created + 30 * MIN)
        return idx


# --------------------------------------------------------------------------------------
# gaming
# --------------------------------------------------------------------------------------
GM_MARKETS = [
    ("na_east", -5, 0.26),
    ("eu_west", 1, 0.3),
    ("br", -3, 0.14),
    ("kr", 9, 0.14),
    ("sea", 8, 0.16),
]
GM_HOURS = [
    3,
    2,
    1.2,
    0.8,
    0.6,
    0.5,
    0.6,
    1,
    1.5,
    2,
    2.5,
    3,
    3.5,
    3.5,
    3.5,
    4,
    4.5,
    5.5,
    6.5,
    7.5,
    8,
    8,
    7,
    5,
]
GM_DOW = [0.9, 0.9, 0.92, 0.95, 1.05, 1.3, 1.25]

GM_VOCAB = {
    "actions": {
        "engagement": ["join_lobby", "grind", "rally", "subscribe"],
        "purchase": ["buy_listing"],
        "review": ["commend", "upvote"],
        "click": ["browse_market"],
        "follow": ["enlist", "befriend"],
        "gift": ["gift_skin", "send_gems"],
        "claim": ["redeem_code"],
        "login": ["boot_up", "connect_via"],
        "payout": ["withdraw_to"],
        "own": ["pair_rig", "publish_mod", "list_skin", "stash", "bind_wallet"],
        "view": ["spectate", "preview_mod", "inspect"],
    },
    "entities": {
        "account": ["player"],
        "item": ["skin"],
        "content": ["mod", "dungeon", "clan"],
        "live": ["lobby"],
        "device": ["rig", "netaddr"],
        "payout_account": ["wallet"],
        "coupon": ["giftcard"],
    },
}


class Gaming:
    patterns = [
        "bot_farm",
        "skin_laundering",
        "win_trading",
        "giftcard_carding",
        "workshop_brigade",
    ]

    def __init__(self, W, N):
        self.W, self.N = W, N
        rng = W.rng
        nm = W.nm
        self.P = W.etype("player", "PLR", True)
        self.RG = W.etype("rig", "RIG")
        self.NA = W.etype("netaddr", "NET")
        self.S = W.etype("skin", "SKN")
        self.MD = W.etype("mod", "MOD")
        self.DG = W.etype("dungeon", "DNG")
        self.CL = W.etype("clan", "CLN")
        self.L = W.etype("lobby", "LBY")
        self.G = W.etype("giftcard", "GFC")
        self.WL = W.etype("wallet", "WLT")
        self.p_rig = np.zeros(0, np.int64)
        self.p_home = np.zeros(0, np.int64)
        self.cgnat = [W.add(self.NA, np.full(12, ANCIENT), m) for m in range(nm)]
        self.new_players(max(1500, N // 30), None, None)
        npl = W.count(self.P)
        self.act = rng.lognormal(0, 1.2, npl)
        self.pm = W.market(self.P)
        self.ppool = Pool(np.arange(npl), self.act, self.pm, nm)
        self.pglob = Pool(np.arange(npl), self.act)
        self.used = set()
        # skins: 85 % older, 15 % released inside the window
        ns = 300 + N // 2000
        nold = int(ns * 0.85)
        cre = np.concatenate(
            [np.full(nold, ANCIENT), T0 + rng.integers(0, DAYS - 3, ns - nold) * DAY]
        )
        self.skins = W.add(self.S, cre)
        self.old_skins = self.skins[:nold]
        self.new_skins = self.skins[nold:]
        self.price = rng.lognormal(np.log(4), 1.3, ns)
        w = 1 / np.arange(1, nold + 1) ** 1.05
        rng.shuffle(w)
        self.spool = Pool(self.old_skins, w)
        self.sw = w
        nd = 40
        self.dungeons = W.add(self.DG, np.full(nd, ANCIENT))
        w = 1 / np.arange(1, nd + 1) ** 1.1
        rng.shuffle(w)
        self.dpool = Pool(self.dungeons, w)
        nmod = 200 + N // 3000
        self.mods = W.add(self.MD, np.full(nmod, ANCIENT))
        w = 1 / np.arange(1, nmod + 1) ** 1.0
        rng.shuffle(w)
        self.mpool = Pool(self.mods, w)
        self.clans = W.add(self.CL, np.full(max(20, npl // 25), ANCIENT))
        self.clan_of = np.where(rng.random(npl) < 0.4, rng.choice(self.clans, npl), -1)

    def new_players(self, n, created, market, digit_p=0.3):
        W, rng = self.W, self.W.rng
        if created is None:
            idx = W.accounts(self.P, n)
        else:
            idx = W.add(self.P, created, market, digit_p)
        pair = rng.random(n) < (0.1 if created is None else 0.0)
        own = np.arange(n)
        own[1:][pair[1:]] = own[:-1][pair[1:]]
        uniq, inv = np.unique(own, return_inverse=True)
        cre = W.created(self.P)[idx]
        rigs = W.add(self.RG, np.minimum(cre, T0)[uniq])[inv]
        homes = W.add(self.NA, np.full(n // 2 + 1, ANCIENT))[np.arange(n) // 2]
        self.p_rig = np.concatenate([self.p_rig, rigs])
        self.p_home = np.concatenate([self.p_home, homes])
        return idx

    def _fresh(self, n, created, m, dp):
        idx = self.new_players(n, created, m, dp)
        self.W.emit(self.P, idx, "pair_rig", self.RG, self.p_rig[idx], created + MIN)
        return idx

    def login(self, p, ts, rig=None, net=None, p_net=0.9):
        W, rng = self.W, self.W.rng
        n = len(p)
        if n == 0:
            return
        rg = self.p_rig[p] if rig is None else np.broadcast_to(rig, (n,))
        W.emit(self.P, p, "boot_up", self.RG, rg, ts)
        s = rng.random(n) < p_net
        if net is None:
            mk = W.market(self.P)[p]
            cg = np.array([self.cgnat[m][0] for m in range(W.nm)])[mk] + rng.integers(0, 12, n)
            net = np.where(rng.random(n) < 0.75, self.p_home[p], cg)
        else:
            net = np.broadcast_to(net, (n,))
        W.emit(
            self.P, p[s], "connect_via", self.NA, net[s], ts[s] + rng.integers(1, 20, s.sum()) * US
        )

    def matches(self, groups_players, ts, market):
        """groups_players: (M, k) player matrix -> one new lobby per row."""
        W, rng = self.W, self.W.rng
        M, k = groups_players.shape
        if M == 0:
            return np.zeros(0, np.int64)
        lob = W.add(self.L, ts - MIN, market)
        pl_ = groups_players.reshape(-1)
        lb = np.repeat(lob, k)
        tj = np.repeat(ts, k) + rng.integers(0, 90, M * k) * US
        tj = W.after(tj, W.created(self.P)[pl_] + MIN)
        W.emit(self.P, pl_, "join_lobby", self.L, lb, tj)
        c = rng.random(M * k) < 0.2
        other = groups_players[
            np.repeat(np.arange(M), k), (np.tile(np.arange(k), M) + rng.integers(1, k, M * k)) % k
        ]
        W.emit(
            self.P, pl_[c], "commend", self.P, other[c], tj[c] + rng.integers(15, 45, c.sum()) * MIN
        )
        return lob

    def camo(self, idx, r, k_mean):
        W, rng = self.W, self.W.rng
        r.camo_at = min(getattr(r, "camo_at", len(W.chunks)), len(W.chunks))
        k = rng.poisson(k_mean, len(idx)) + 1
        rep = np.repeat(idx, k)
        n = len(rep)
        ts = W.local(n, np.full(n, r.m), max(0, r.d0 - 10), min(DAYS, r.d1 + 10))
        ts = W.after(ts, W.created(self.P)[rep] + MIN)
        kind = rng.integers(0, 4, n)
        for j, (act, tt, pool, top) in enumerate([
            ("inspect", self.S, self.spool, 20),
            ("grind", self.DG, self.dpool, 5),
            ("preview_mod", self.MD, self.mpool, 15),
            ("buy_listing", self.S, self.spool, 20),
        ]):  # fmt: skip
            s = kind == j
            tg = rng.choice(pool.top(0, top), s.sum())
            amt = self.price[tg] if act == "buy_listing" else None
            W.emit(self.P, rep[s], act, tt, tg, ts[s], amt)

    def organic(self):
        W, rng, N = self.W, self.W.rng, self.N
        P = self.P
        npl = W.count(P)
        # sessions with activities
        S = int(0.72 * N / 4.7)
        p = self.pglob.draw(rng, np.zeros(S, np.int64))
        ts = W.after(W.local(S, self.pm[p]), W.created(P)[p] + MIN)
        self.login(p, ts)
        k = rng.poisson(2.8, S)
        rep = np.repeat(np.arange(S), k)
        pa = p[rep]
        ta = ts[rep] + (rng.exponential(25, len(rep)) * MIN).astype(np.int64)
        kind = rng.choice(10, len(rep), p=_norm([28, 14, 12, 4, 2, 9, 2.5, 1.5, 5, 3]))
        n_new = 0
        for j in range(10):
            s = kind == j
            c = int(s.sum())
            a, t = pa[s], ta[s]
            if j == 0:
                W.emit(P, a, "grind", self.DG, self.dpool.draw(rng, np.zeros(c, np.int64)), t)
            elif j in (1, 2, 3):
                # skins: old Zipf or freshly released with exponential delay (decaying boost)
                newp = rng.random(c) < 0.2
                sk = self.spool.draw(rng, np.zeros(c, np.int64))
                nsk = rng.choice(self.new_skins, c)
                tnew = W.created(self.S)[nsk] + (rng.exponential(4, c) * DAY).astype(np.int64)
                sk = np.where(newp, nsk, sk)
                t = np.where(newp, np.maximum(t, tnew), t)
                act = ["inspect", "browse_market", "buy_listing"][j - 1]
                amt = self.price[sk] * rng.uniform(0.85, 1.15, c) if j == 3 else None
                W.emit(P, a, act, self.S, sk, t, amt)
            elif j == 4:
                sk = self.spool.draw(rng, np.zeros(c, np.int64))
                W.emit(P, a, "list_skin", self.S, sk, t, self.price[sk] * rng.uniform(0.9, 1.2, c))
            elif j in (5, 6, 7):
                md = self.mpool.draw(rng, np.zeros(c, np.int64))
                W.emit(P, a, ["preview_mod", "subscribe", "upvote"][j - 5], self.MD, md, t)
            elif j == 8:
                s2 = self.clan_of[a] >= 0
                W.emit(P, a[s2], "rally", self.CL, self.clan_of[a][s2], t[s2])
            else:
                n_new += c
                W.emit(P, a, "spectate", self.L, np.zeros(c, np.int64), t)
        # matches (10 players, same market)
        M = int(0.22 * N / 12)
        mk = rng.choice(W.nm, M, p=W.mk_w)
        grid = self.ppool.draw(rng, np.repeat(mk, 10)).reshape(M, 10)
        tm = W.local(M, mk)
        tm = np.maximum(tm, W.created(P)[grid].max(axis=1) + MIN)
        self.matches(grid, tm, mk)
        # marketplace extras: gifts, gems, befriend
        ng = int(0.01 * N)
        a = self.pglob.draw(rng, np.zeros(ng, np.int64))
        b = self.ppool.draw(rng, self.pm[a])
        tg = W.after(W.local(ng, self.pm[a]), np.maximum(W.created(P)[a], W.created(P)[b]) + MIN)
        sk = self.spool.draw(rng, np.zeros(ng, np.int64))
        kind = rng.integers(0, 3, ng)
        s = kind == 0
        W.emit(P, a[s], "gift_skin", P, b[s], tg[s], self.price[sk[s]])
        W.emit(P, b[s], "stash", self.S, sk[s], tg[s] + rng.integers(5, 600, s.sum()) * US)
        s = kind == 1
        W.emit(P, a[s], "send_gems", P, b[s], tg[s], rng.choice([100.0, 250.0, 500.0], s.sum()))
        s = kind == 2
        W.emit(P, a[s], "befriend", P, b[s], tg[s])
        # giftcard top-ups (one card each)
        nt = int(0.012 * N)
        a = self.pglob.draw(rng, np.zeros(nt, np.int64))
        tt = W.after(W.local(nt, self.pm[a]), W.created(P)[a] + MIN)
        cards = W.add(self.G, tt - (rng.exponential(20, nt) * DAY).astype(np.int64))
        W.emit(
            P,
            a,
            "redeem_code",
            self.G,
            cards,
            tt,
            rng.choice([10.0, 25.0, 50.0, 100.0], nt, p=[0.4, 0.3, 0.2, 0.1]),
        )
        # sellers: wallets and withdrawals
        sellers = np.flatnonzero(rng.random(npl) < 0.04)
        wal = W.add(self.WL, np.full(len(sellers), ANCIENT))
        k = rng.poisson(1.5, len(sellers))
        rep = np.repeat(np.arange(len(sellers)), k)
        tw = W.after(W.local(len(rep), self.pm[sellers[rep]]), W.created(P)[sellers[rep]] + DAY)
        W.emit(
            P,
            sellers[rep],
            "withdraw_to",
            self.WL,
            wal[rep],
            tw,
            rng.lognormal(np.log(40), 0.8, len(rep)),
        )
        newsel = W.created(P)[sellers] >= T0
        W.emit(
            P,
            sellers[newsel],
            "bind_wallet",
            self.WL,
            wal[newsel],
            W.created(P)[sellers[newsel]] + HOUR,
        )
        # mod publishing inside the window
        nmod = max(10, N // 20000)
        cre = T0 + rng.integers(0, DAYS - 2, nmod) * DAY + rng.integers(0, DAY, nmod)
        mods = W.add(self.MD, cre)
        creator = self.pglob.draw(rng, np.zeros(nmod, np.int64))
        W.emit(P, creator, "publish_mod", self.MD, mods, W.after(cre, W.created(P)[creator] + MIN))
        nsub = int(0.01 * N)
        a = self.pglob.draw(rng, np.zeros(nsub, np.int64))
        j = rng.integers(0, nmod, nsub)
        tt = cre[j] + (rng.exponential(3, nsub) * DAY).astype(np.int64)
        tt = np.maximum(tt, W.created(P)[a] + MIN)
        W.emit(P, a, "subscribe", self.MD, mods[j], tt)
        # new accounts: pair rig, enlist clan
        cr = W.created(P)
        new = np.flatnonzero(cr >= T0)
        W.emit(P, new, "pair_rig", self.RG, self.p_rig[new], cr[new] + MIN)
        s = self.clan_of[new] >= 0
        W.emit(
            P,
            new[s],
            "enlist",
            self.CL,
            self.clan_of[new[s]],
            cr[new[s]] + (rng.exponential(3, s.sum()) * DAY).astype(np.int64),
        )
        self._drop_spectate()

    def _drop_spectate(self):
        """spectate placeholders above point at lobby 0; re-point them at real lobbies."""
        W, rng = self.W, self.W.rng
        code = W.actions.get("spectate")
        nl = W.count(self.L)
        lc = W.created(self.L)
        order = np.argsort(lc, kind="stable")
        lcs = lc[order]
        for i, ch in enumerate(W.chunks):
            if ch[2] == code and ch[3] == self.L:
                ts = ch[5]
                j = np.searchsorted(lcs, ts) - 1 - rng.integers(0, 200, len(ts))
                j = np.clip(j, 0, nl - 1)
                b = order[j]
                ts2 = np.maximum(ts, lc[b] + MIN)
                W.chunks[i] = (ch[0], ch[1], ch[2], ch[3], b, np.clip(ts2, T0, T1 - 1), ch[6])

    def negatives(self):
        W, rng, N = self.W, self.W.rng, self.N
        P = self.P
        s = (N / 1e5) ** 0.8
        groups = []
        self.neg_spans = []
        last = [len(W.chunks)]

        def grp(kind, members):
            groups.append((kind, members))
            self.neg_spans.append((kind, last[0], len(W.chunks)))
            last[0] = len(W.chunks)

        old = W.created(P) < T0 - 60 * DAY

        def pick(m, k, cond=old):
            return self.ppool.sample_unique(rng, m, k, cond)

        def mkt():
            return int(rng.choice(W.nm, p=W.mk_w))

        # clan nights
        for _ in range(int(round(12 * s))):
            m = mkt()
            g = pick(m, int(rng.integers(8, 31)))
            clan = rng.choice(self.clans)
            days = np.flatnonzero(rng.random(DAYS) < 0.6)
            rows, tms = [], []
            for dd in days:
                for _ in range(int(rng.integers(2, 5))):
                    stack = rng.choice(g, 5, replace=False)
                    rnd = self.ppool.draw(rng, np.full(5, m))
                    rows.append(np.concatenate([stack, rnd]))
                    tms.append(W.at_local(m, dd, rng.uniform(19, 23.5)))
            grid = np.array(rows)
            tm = np.maximum(np.array(tms), W.created(P)[grid].max(axis=1) + MIN)
            self.matches(grid, tm, np.full(len(tm), m))
            W.emit(
                P,
                np.tile(g, 3),
                "rally",
                self.CL,
                clan,
                W.local(3 * len(g), np.full(3 * len(g), m)),
            )
            grp("clan_night", [(P, g)])
        # tournament brackets
        for _ in range(max(1, int(round(1.5 * s)))):
            m = mkt()
            k = int(2 ** rng.integers(5, 8))
            g = pick(m, k)
            k = len(g) // 10 * 10
            g = g[:k]
            day = 7 * int(rng.integers(0, 7)) + 5
            alive = g.copy()
            rnd = 0
            while len(alive) >= 10:
                rng.shuffle(alive)
                alive = alive[: len(alive) // 10 * 10]
                grid = alive.reshape(-1, 10)
                tm = (
                    np.full(len(grid), W.at_local(m, day, 14 + 1.2 * rnd))
                    + rng.integers(0, 300, len(grid)) * US
                )
                self.matches(grid, tm, np.full(len(grid), m))
                alive = grid[:, :5].reshape(-1)
                rnd += 1
            grp("tournament_bracket", [(P, g)])
        # streamer giveaways
        for _ in range(max(1, int(round(0.5 * s)))):
            m = mkt()
            k = int(max(300, 3000 * min(1.0, N / 1e6)))
            g = pick(m, k, None)
            t0 = W.at_local(m, int(rng.integers(0, DAYS)), rng.uniform(19, 22))
            code = W.add(self.G, t0 - HOUR, m)[0]
            tt = t0 + (rng.exponential(7, len(g)) * MIN).astype(np.int64)
            tt = np.maximum(tt, W.created(P)[g] + MIN)
            W.emit(P, g, "redeem_code", self.G, code, tt, 5.0)
            mod = rng.choice(self.mods)
            sb = rng.random(len(g)) < 0.3
            W.emit(
                P, g[sb], "subscribe", self.MD, mod, tt[sb] + rng.integers(1, 60, sb.sum()) * MIN
            )
            grp("streamer_giveaway", [(P, g)])
        # LAN cafés and school labs
        for kind, cnt, lo, hi, rlo, rhi, hp, dow in (
            ("lan_cafe", 3, 20, 81, 4, 13, (17, 24), [1, 1, 1, 1, 1.2, 1.5, 1.5]),
            ("school_lab", 2, 15, 41, 10, 21, (13, 16), [1, 1, 1, 1, 1, 0.0001, 0.0001]),
        ):
            for _ in range(max(1, int(round(cnt * s)))):
                m = int(rng.choice([1, 2, 3, 4])) if kind == "lan_cafe" else mkt()
                g = pick(m, int(rng.integers(lo, hi)))
                rigs = W.add(self.RG, np.full(int(rng.integers(rlo, rhi)), ANCIENT), m)
                net = W.add(self.NA, ANCIENT, m)[0]
                k = rng.integers(3, 15, len(g))
                rep = np.repeat(g, k)
                hours = np.zeros(24)
                hours[hp[0] : hp[1]] = 1
                tt = W.local(len(rep), np.full(len(rep), m), hour_p=hours, dow=dow)
                tt = np.maximum(tt, W.created(P)[rep] + MIN)
                self.login(rep, tt, rig=rng.choice(rigs, len(rep)), net=net, p_net=1.0)
                W.emit(
                    P,
                    rep,
                    "grind",
                    self.DG,
                    self.dpool.draw(rng, np.zeros(len(rep), np.int64)),
                    tt + 5 * MIN,
                )
                grp(kind, [(P, g)])
        # season launch
        for i in range(1 + int(N >= 500_000)):
            day = 7 * (1 + 3 * i)
            skin = W.add(self.S, T0 + day * DAY)[0]
            self.price = np.append(self.price, 12.0)
            k = int(min(max(1000, 8000 * min(1.0, N / 1e6)), W.count(P) // 3))
            g = self.pglob.sample_unique(rng, 0, k)
            tt = T0 + day * DAY + (rng.exponential(3, len(g)) * HOUR).astype(np.int64)
            tt = np.maximum(tt, W.created(P)[g] + MIN)
            W.emit(P, g, "inspect", self.S, skin, tt - rng.integers(1, 30, len(g)) * MIN)
            W.emit(P, g, "buy_listing", self.S, skin, tt, 12.0)
            grp("season_launch", [(P, g)])
        # friends trading
        for _ in range(int(round(10 * s))):
            m = mkt()
            g = pick(m, int(rng.integers(3, 9)))
            k = int(rng.integers(5, 21))
            a = rng.integers(0, len(g), k)
            b = (a + rng.integers(1, len(g), k)) % len(g)
            sk = self.spool.draw(rng, np.zeros(k, np.int64))
            tt = W.local(k, np.full(k, m))
            tt = np.maximum(tt, np.maximum(W.created(P)[g[a]], W.created(P)[g[b]]) + MIN)
            W.emit(P, g[a], "gift_skin", P, g[b], tt, self.price[sk])
            W.emit(P, g[b], "stash", self.S, sk, tt + rng.integers(5, 900, k) * US)
            grp("friends_trade", [(P, g)])
        # mod hype
        for _ in range(max(1, int(round(0.5 * s)))):
            t0 = T0 + int(rng.integers(0, DAYS - 2)) * DAY + int(rng.integers(0, DAY))
            mod = W.add(self.MD, t0)[0]
            creator = self.pglob.sample_unique(rng, 0, 1)
            W.emit(P, creator, "publish_mod", self.MD, mod, t0)
            k = int(max(500, 4000 * min(1.0, N / 1e6)))
            g = self.pglob.sample_unique(rng, 0, k)
            tt = t0 + (rng.exponential(5, len(g)) * HOUR).astype(np.int64)
            tt = np.maximum(tt, W.created(P)[g] + MIN)
            W.emit(P, g, "subscribe", self.MD, mod, tt)
            up = rng.random(len(g)) < 0.7
            W.emit(P, g[up], "upvote", self.MD, mod, tt[up] + rng.integers(1, 120, up.sum()) * MIN)
            grp("mod_hype", [(P, np.concatenate([creator, g]))])
        return groups

    def ring(self, r):
        W, rng = self.W, self.W.rng
        P = self.P
        v, n = r.v, r.n

        def players(k):
            return recruit(W, r, P, k, self.ppool, self.used, self._fresh)

        def proxies(k):
            r.shares.append("netaddr")
            return W.add(self.NA, np.full(k, r.start - 60 * DAY), r.m)

        def ok(idx, ts):
            return np.maximum(ts, W.created(P)[idx] + MIN)

        p = r.p
        if p == 0:  # bot farm
            nc = 1 if n < 15 else 2
            col = players(nc)
            bots = players(n - nc)
            per = 3 if v == 1 else 8
            rigs = W.add(self.RG, np.full(int(math.ceil(len(bots) / per)), r.start - 10 * DAY), r.m)
            rg = rigs[spread_assign(W, len(bots), len(rigs))]
            nets = proxies(int(rng.integers(1, 3)))
            r.shares.append("rig")
            W.emit(P, bots, "pair_rig", self.RG, rg, ok(bots, ring_times(W, r, len(bots)) - DAY))
            dg = self.dpool.parts[0][2][-int(rng.integers(3, 12)) :][:2]
            mom = ring_moments(
                W, r, int(rng.integers(8, 20)) if not r.slow else int(rng.integers(14, 28))
            )
            part = rng.random((len(mom), len(bots))) < (0.9 if not r.slow else 0.45)
            mi, bi = np.nonzero(part)
            ts = ok(bots[bi], mom[mi] + rng.integers(0, 40, len(mi)) * US)
            self.login(
                bots[bi], ts, rig=rg[bi], net=nets[rng.integers(0, len(nets), len(mi))], p_net=1.0
            )
            k = rng.integers(3, 9, len(mi))
            rep = np.repeat(np.arange(len(mi)), k)
            step = np.concatenate([np.arange(x) for x in k]) if len(k) else np.zeros(0, np.int64)
            tg = ts[rep] + (step * 9 + 2) * MIN + rng.integers(0, 30, len(rep)) * US
            W.emit(P, bots[bi][rep], "grind", self.DG, dg[rng.integers(0, 2, len(rep))], tg)
            tgm = ts + 80 * MIN
            W.emit(
                P,
                bots[bi],
                "send_gems",
                P,
                col[rng.integers(0, nc, len(mi))],
                tgm,
                rng.uniform(400, 900, len(mi)).round(),
            )
            wal = W.add(self.WL, r.start - 20 * DAY, r.m)[0]
            W.emit(P, col, "bind_wallet", self.WL, wal, ok(col, np.full(nc, r.start - 2 * DAY)))
            kk = 2 * len(mom)
            cc = col[rng.integers(0, nc, kk)]
            tl = ok(cc, ring_times(W, r, kk) + 3 * HOUR)
            sk = rng.choice(self.spool.top(0, 30), kk)
            W.emit(P, cc, "list_skin", self.S, sk, tl, self.price[sk])
            W.emit(P, col, "grind", self.DG, dg[0], ok(col, ring_times(W, r, nc)))
            W.emit(
                P,
                cc[: len(mom)],
                "withdraw_to",
                self.WL,
                wal,
                tl[: len(mom)] + DAY,
                rng.lognormal(np.log(300), 0.4, len(mom)),
            )
            r.targets += [(self.DG, int(x)) for x in dg]
            self.camo(np.concatenate([col, bots]), r, [0.5, 2, 4][v])
        elif p == 1:  # skin laundering
            nb = 1 if n < 12 else 2
            ns = max(1, n // 4)
            src = players(ns)
            buyers = players(nb)
            mules = players(n - ns - nb)
            nets = proxies(2)
            nsk = max(len(mules), int(rng.integers(6, 20)))
            sk = rng.choice(
                self.old_skins[np.argsort(-self.price[: len(self.old_skins)])[:60]], nsk
            )
            t0 = ring_times(W, r, nsk, 60)
            owner = src[spread_assign(W, nsk, ns)]
            W.emit(P, owner, "inspect", self.S, sk, ok(owner, t0 - 10 * MIN))
            W.emit(P, owner, "connect_via", self.NA, nets[0], ok(owner, t0 - 12 * MIN))
            cur, tcur = owner, ok(owner, t0)
            hops = rng.integers(2, 5, nsk)
            mq = rng.integers(0, len(mules), (nsk, 4))
            mq[:, 0] = spread_assign(W, nsk, len(mules))
            gap = 6 * HOUR if r.slow else 20 * MIN
            for h in range(4):
                act = hops > h
                nxt = np.where(h + 1 < hops, mules[mq[:, h]], buyers[rng.integers(0, nb, nsk)])
                a, b, t = (
                    cur[act],
                    nxt[act],
                    tcur[act] + (rng.exponential(1, act.sum()) * gap).astype(np.int64),
                )
                t = np.maximum(t, W.created(P)[b] + MIN)
                W.emit(P, a, "gift_skin", P, b, t, self.price[sk[act]])
                W.emit(P, b, "stash", self.S, sk[act], t + rng.integers(5, 120, act.sum()) * US)
                W.emit(
                    P, b, "connect_via", self.NA, nets[rng.integers(0, 2, act.sum())], t - 2 * MIN
                )
                cur = np.where(act, nxt, cur)
                tcur = tcur.copy()
                tcur[act] = t
            W.emit(P, cur, "list_skin", self.S, sk, tcur + HOUR, self.price[sk] * 0.7)
            r.targets += [(self.S, int(x)) for x in np.unique(sk)]
            self.camo(np.concatenate([src, mules, buyers]), r, [0.5, 2, 4][v])
        elif p == 2:  # win trading
            nboost = 1 if n < 10 else 2
            boost = players(nboost)
            rest = players(n - nboost)
            g = np.concatenate([boost, rest])
            nl = int(rng.integers(6, 14)) if not r.slow else int(rng.integers(12, 30))
            mom = ring_moments(W, r, nl)
            k = min(len(g), 10)
            rows = []
            cyc = np.concatenate([rng.permutation(rest) for _ in range(nl)])
            for j in range(nl):
                others = np.unique(cyc[j * (k - nboost) : (j + 1) * (k - nboost)])
                rows.append(np.concatenate([boost, others])[:k])
            lob = []
            for row, t_ in zip(rows, mom, strict=True):
                tm = max(int(t_), int(W.created(P)[row].max()) + MIN)
                lob.append(self.matches(row[None, :], np.array([tm]), np.array([r.m]))[0])
                c = rng.random(len(row)) < 0.6
                W.emit(P, row[c], "commend", P, boost[rng.integers(0, nboost, c.sum())],
                       tm + rng.integers(20, 40, c.sum()) * MIN)  # fmt: skip
            if v != 1:
                nets = proxies(1)
                W.emit(P, g, "connect_via", self.NA, nets[0], ok(g, ring_times(W, r, len(g))))
            r.targets += [(self.L, int(x)) for x in lob]
            self.camo(g, r, [1, 3, 5][v])
        elif p == 3:  # giftcard carding
            seller = players(1)
            cash = players(1) if n >= 8 else seller
            red = players(n - 1 - (n >= 8))
            nets = proxies(int(rng.integers(2, 4)))
            k = rng.integers(2, 5, len(red))
            rep = np.repeat(red, k)
            tt = ok(rep, ring_times(W, r, len(rep), 30))
            cards = W.add(self.G, tt - (rng.uniform(0.2, 3, len(rep)) * DAY).astype(np.int64))
            W.emit(
                P, rep, "connect_via", self.NA, nets[rng.integers(0, len(nets), len(rep))], tt - MIN
            )
            W.emit(P, rep, "redeem_code", self.G, cards, tt, rng.choice([50.0, 100.0], len(rep)))
            junk = self.spool.parts[0][2][-int(rng.integers(5, 40)) :][: int(rng.integers(3, 7))]
            W.emit(
                P,
                seller,
                "list_skin",
                self.S,
                junk,
                ok(seller, np.full(len(junk), max(T0 + MIN, r.start - HOUR))),
                95.0,
            )
            jb = junk[rng.integers(0, len(junk), len(rep))]
            W.emit(
                P,
                rep,
                "buy_listing",
                self.S,
                jb,
                tt + rng.integers(3, 40, len(rep)) * MIN,
                rng.uniform(80, 100, len(rep)).round(),
            )
            wal = W.add(self.WL, r.start - 5 * DAY, r.m)[0]
            W.emit(P, cash, "bind_wallet", self.WL, wal, ok(cash, np.array([r.start - DAY])))
            if n >= 8:
                W.emit(
                    P, seller, "send_gems", P, cash, ok(seller, ring_times(W, r, 3) + HOUR), 5000.0
                )
                W.emit(P, cash, "inspect", self.S, junk[:1], ok(cash, np.array([r.start])))
            W.emit(
                P,
                cash,
                "withdraw_to",
                self.WL,
                wal,
                ring_times(W, r, 4) + 2 * HOUR,
                rng.uniform(300, 900, 4).round(),
            )
            r.targets += [(self.G, int(x)) for x in cards] + [(self.S, int(x)) for x in junk]
            self.camo(
                np.concatenate([np.unique(np.concatenate([seller, cash])), red]), r, [0.5, 2, 4][v]
            )
        else:  # workshop brigade
            creator = players(1)
            bri = players(n - 1)
            nmods = int(rng.integers(1, 4))
            tpub = (
                ring_times(W, r, nmods) - 30 * MIN
                if not r.slow
                else W.at_local(r.m, np.full(nmods, r.d0), 12.0)
            )
            tpub = ok(np.repeat(creator, nmods), tpub)
            mods = W.add(self.MD, tpub - MIN, r.m)
            W.emit(P, np.repeat(creator, nmods), "publish_mod", self.MD, mods, tpub)
            rep = np.repeat(bri, nmods)
            mm = np.tile(mods, len(bri))
            tt = ok(rep, np.maximum(ring_times(W, r, len(rep), 20), np.tile(tpub, len(bri)) + MIN))
            W.emit(P, rep, "preview_mod", self.MD, mm, tt)
            W.emit(P, rep, "subscribe", self.MD, mm, tt + rng.integers(20, 200, len(rep)) * US)
            W.emit(P, rep, "upvote", self.MD, mm, tt + rng.integers(60, 400, len(rep)) * US)
            if v != 1:
                nets = proxies(2)
                W.emit(P, rep, "connect_via", self.NA, nets[rng.integers(0, 2, len(rep))], tt - MIN)
            r.targets += [(self.MD, int(x)) for x in mods]
            self.camo(np.concatenate([creator, bri]), r, [1, 3, 5][v])


# --------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------
def build(out: Path, platform: str, N: int, seed: int) -> str:
    t_start = time.time()
    if platform == "ridehail":
        W = World(seed, RH_MARKETS, RH_HOURS, RH_DOW, 4000)
        plat, vocab = RideHail(W, N), RH_VOCAB
    else:
        W = World(seed, GM_MARKETS, GM_HOURS, GM_DOW, 5500)
        plat, vocab = Gaming(W, N), GM_VOCAB
    rng = W.rng
    plat.organic()
    n_org_chunks = len(W.chunks)
    groups = plat.negatives()
    n_neg_chunks = len(W.chunks)
    neg_ev = {}
    for kind, c0, c1 in getattr(plat, "neg_spans", []):
        neg_ev[kind] = neg_ev.get(kind, 0) + sum(len(c[5]) for c in W.chunks[c0:c1])
    rings = plan_rings(W, N, plat.patterns)
    problems = []
    for r in rings:
        c0 = len(W.chunks)
        plat.ring(r)
        c1 = len(W.chunks)
        r.window = W.ts_range(c0, getattr(r, "camo_at", c1))
        mem = {(t, i) for t, i, _ in r.members}
        hit = W.touches(c0, c1, mem, r.targets)
        if len(hit) < len(mem):
            problems.append(f"ring {r.id}: {len(mem) - len(hit)} members without target events")

    # ---- events frame
    ch = W.chunks
    sizes = np.array([len(c[5]) for c in ch])
    at = np.repeat(np.array([c[0] for c in ch], np.int16), sizes)
    tt = np.repeat(np.array([c[3] for c in ch], np.int16), sizes)
    act = np.repeat(np.array([c[2] for c in ch], np.int16), sizes)
    a = np.concatenate([c[1] for c in ch])
    b = np.concatenate([c[4] for c in ch])
    ts = np.concatenate([c[5] for c in ch])
    amt = np.concatenate([c[6] for c in ch])
    # nobody acts before creation (actor or created target)
    cre = np.full(len(ts), np.iinfo(np.int64).min)
    for t in range(len(W.t_name)):
        c = W.created(t)
        s = at == t
        cre[s] = np.maximum(cre[s], c[a[s]])
        s = tt == t
        cre[s] = np.maximum(cre[s], c[b[s]])
    ts = np.clip(W.after(ts, cre), T0, T1 - 1)
    maps = W.id_maps()
    ntypes = len(W.t_name)
    base = np.cumsum([0] + [len(m) for m in maps])
    allnum = np.concatenate(maps)
    mk_actor = np.zeros(len(ts), np.int64)
    for t in range(ntypes):
        s = at == t
        if s.any():
            mk_actor[s] = W.market(t)[a[s]]
    act_names = sorted(W.actions, key=W.actions.get)
    ev = pl.DataFrame(
        {
            "at": at.astype(np.int32),
            "an": allnum[base[at] + a],
            "tt": tt.astype(np.int32),
            "tn": allnum[base[tt] + b],
            "ac": act.astype(np.int32),
            "ts": ts,
            "amount": amt,
            "mk": mk_actor,
        }
    )
    ev = ev.select(
        _id_col(_lookup("at", W.t_prefix), pl.col("an")).alias("actor_id"),
        _lookup("at", W.t_name).alias("actor_type"),
        _id_col(_lookup("tt", W.t_prefix), pl.col("tn")).alias("target_id"),
        _lookup("tt", W.t_name).alias("target_type"),
        _lookup("ac", act_names).alias("action"),
        pl.from_epoch(pl.col("ts"), time_unit="us").dt.replace_time_zone("UTC").alias("ts"),
        pl.col("amount").fill_nan(None),
        _lookup("mk", W.mk_names).alias("market"),
    )
    ev = ev.sort(
        ["ts", "actor_id", "action", "target_id", "amount"], nulls_last=True, maintain_order=True
    )
    out.mkdir(parents=True, exist_ok=True)
    ev.write_parquet(out / "events.parquet", statistics=True)

    # ---- entities: every account-like entity seen in events
    ent_parts = []
    for t in range(ntypes):
        if not W.t_acct[t]:
            continue
        seen = np.unique(np.concatenate([a[at == t], b[tt == t]]))
        cre_t, mk_t, dig_t, pri_t = W._get(t)
        k = len(seen)
        first = rng.choice(FIRST, k)
        last = rng.choice(LAST, k)
        digits = rng.integers(10, 9999, k)
        name = np.where(dig_t[seen], np.char.add(np.char.add(first, "_"), digits.astype(str)),
                        np.char.add(np.char.add(np.char.capitalize(first), " "), np.char.upper(last)))  # fmt: skip
        has_name = rng.random(k) > 0.08
        ent_parts.append(
            pl.DataFrame(
                {
                    "entity_type": [W.t_name[t]] * k,
                    "entity_id": W.ids(maps, t, seen),
                    "created_at": cre_t[seen],
                    "market": [W.mk_names[x] for x in mk_t[seen]],
                    "display_name": [
                        str(x) if h else None for x, h in zip(name, has_name, strict=True)
                    ],
                    "prior_violations": pri_t[seen],
                },
                schema_overrides={"display_name": pl.Utf8},
            )
        )
    ents = pl.concat(ent_parts).with_columns(
        pl.from_epoch(pl.col("created_at"), time_unit="us").dt.replace_time_zone("UTC")
    )
    ents = ents.sort(["entity_type", "entity_id"])
    ents.write_parquet(out / "entities.parquet")

    # ---- truth, targets, labels, negatives
    tr = {"ring_id": [], "pattern": [], "entity_type": [], "entity_id": [], "hijacked": []}
    tg = {"ring_id": [], "entity_type": [], "entity_id": []}
    for r in rings:
        for t, i, h in r.members:
            tr["ring_id"].append(r.id)
            tr["pattern"].append(r.pattern)
            tr["entity_type"].append(W.t_name[t])
            tr["entity_id"].append(W.ids(maps, t, [i])[0])
            tr["hijacked"].append(bool(h))
        for t, i in dict.fromkeys(r.targets):
            tg["ring_id"].append(r.id)
            tg["entity_type"].append(W.t_name[t])
            tg["entity_id"].append(W.ids(maps, t, [i])[0])
    truth = pl.DataFrame(tr, schema={"ring_id": pl.Int64, "pattern": pl.Utf8, "entity_type": pl.Utf8,
                                     "entity_id": pl.Utf8, "hijacked": pl.Boolean})  # fmt: skip
    truth = truth.unique(["ring_id", "entity_type", "entity_id"], keep="first", maintain_order=True)
    truth.write_parquet(out / "truth.parquet")
    pl.DataFrame(
        tg, schema={"ring_id": pl.Int64, "entity_type": pl.Utf8, "entity_id": pl.Utf8}
    ).write_parquet(out / "ring_targets.parquet")
    lab_rings = rng.choice(len(rings), 4, replace=False)
    lab = []
    for j in sorted(lab_rings):
        sub = truth.filter(pl.col("ring_id") == rings[j].id)
        k = max(1, int(round(0.1 * sub.height)))
        pick = np.sort(rng.choice(sub.height, k, replace=False))
        lab.append(sub[pick].select("entity_type", "entity_id"))
    labels = (
        pl.concat(lab).unique(maintain_order=True).with_columns(pl.lit("confirmed").alias("label"))
    )
    labels.write_parquet(out / "labels.parquet")
    ng = {"group_id": [], "kind": [], "entity_type": [], "entity_id": []}
    kinds = {}
    for gi, (kind, parts) in enumerate(groups):
        kinds[kind] = kinds.get(kind, 0) + 1
        gid = f"{kind}-{gi:04d}"
        for t, idx in parts:
            idx = np.unique(np.asarray(idx, np.int64))
            ids = W.ids(maps, t, idx)
            ng["group_id"] += [gid] * len(ids)
            ng["kind"] += [kind] * len(ids)
            ng["entity_type"] += [W.t_name[t]] * len(ids)
            ng["entity_id"] += ids
    pl.DataFrame(ng, schema={k: pl.Utf8 for k in ng}).write_parquet(out / "negatives.parquet")

    # ---- vocabulary and synth.json
    used = set(act_names)
    lines = ["[vocabulary.actions]"]
    for role, names in vocab["actions"].items():
        names = [x for x in names if x in used]
        if names:
            lines.append(f"{role} = {json.dumps(names)}")
    lines += ["", "[vocabulary.entities]"]
    for role, names in vocab["entities"].items():
        lines.append(f"{role} = {json.dumps(names)}")
    mapped = {x for v in vocab["actions"].values() for x in v}
    missing = used - mapped
    if missing:
        problems.append(f"unmapped actions: {sorted(missing)}")
    (out / "vocabulary.toml").write_text("\n".join(lines) + "\n")

    def iso(t):
        return datetime.fromtimestamp(t / US, tz=UTC).isoformat()

    ring_info = []
    for r in rings:
        ring_info.append(
            {
                "id": r.id,
                "pattern": r.pattern,
                "pattern_index": r.p,
                "variant": r.v,
                "variant_name": VARIANTS[r.v],
                "size": len({(t, i) for t, i, _ in r.members}),
                "slow": bool(r.slow),
                "members": len({(t, i) for t, i, _ in r.members}),
                "hijacked": int(sum(1 for _, _, h in r.members if h)),
                "targets": len(dict.fromkeys(r.targets)),
                "market": W.mk_names[r.m],
                "bursts": int(len(r.centers)),
                "shares": sorted(set(r.shares)),
                "window": [iso(r.window[0]), iso(r.window[1])],
            }
        )
    n_org = int(sizes[:n_org_chunks].sum())
    n_neg = int(sizes[n_org_chunks:n_neg_chunks].sum())
    counts = {
        "events": ev.height,
        "organic_events": n_org,
        "negative_events": n_neg,
        "ring_events": ev.height - n_org - n_neg,
        "accounts": ents.height,
        "ring_members": truth.height,
        "hijacked": int(truth["hijacked"].sum()),
        "ring_targets": len(tg["ring_id"]),
        "negative_groups": len(groups),
        "negative_accounts": len(set(zip(ng["entity_type"], ng["entity_id"], strict=True))),
        "labels": labels.height,
    }
    synth = {
        "settings": {
            "platform": platform,
            "events": N,
            "seed": seed,
            "start": iso(T0),
            "end": iso(T1),
            "days": DAYS,
            "markets": {
                name: off for name, off, _ in (RH_MARKETS if platform == "ridehail" else GM_MARKETS)
            },
            "generator": "bench/holdout4_platform.py",
        },
        "counts": counts,
        "rings": ring_info,
        "negative_kinds": kinds,
        "negative_events_by_kind": neg_ev,
        "problems": problems,
    }
    (out / "synth.json").write_text(json.dumps(synth, indent=1) + "\n")
    secs = time.time() - t_start
    line = (
        f"holdout4 {platform}: events={ev.height} accounts={ents.height} rings={len(rings)} "
        f"ring_members={truth.height} negative_groups={len(groups)} seconds={secs:.1f}"
    )
    for p_ in problems:
        print("warning:", p_, file=sys.stderr)
    return line


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--platform", choices=["ridehail", "gaming"], required=True)
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(build(args.out, args.platform, args.events, args.seed))


if __name__ == "__main__":
    main()
