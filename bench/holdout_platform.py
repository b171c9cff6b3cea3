"""Blind held-out test platforms with planted abuse rings (independent of ``ringlens.synth``).

Two platforms unlike the ones the detectors were tuned on, written without reading the
library, so that a detector's numbers on them say whether it generalises:

* ``appstore`` -- an app store. Users ``install`` and ``launch`` apps, give a
  ``star_rating`` (stars in ``amount``) or a text ``write_up`` (stars in ``amount``), make
  in-app purchases (``iap``, price in ``amount``), ``track`` developers, ``apply_code`` on
  invite codes, ``attach_instrument`` a ``pay_token`` and ``session_start`` on a
  ``hardware_id``. Developers ``release`` and ``update_build`` apps, ``mint_code`` invite
  codes and ``withdraw_to`` an ``iban``.
* ``gig`` -- a freelance marketplace. Clients ``open_job``, ``favorite`` and ``hire``
  freelancers (contract value in ``amount``), ``fund_with`` a ``funding_src``,
  ``release_funds``, ``tip`` and ``use_bonus`` codes; freelancers ``visit`` and ``apply`` to
  jobs, ``deliver``, ``withdraw_to`` a ``remit_id``; both sides ``message``, ``grade`` (stars
  in ``amount``), ``endorse`` and ``log_on`` a ``machine_id``. Freelancers can hire
  freelancers (subcontracting).

Organic background: heavy-tailed (Pareto, lognormal) activity, Zipf popularity, categories
and 5-6 markets with their own time zones, a daily and a weekly rhythm (weekends busy on
the app store, quiet on the gig market), accounts created over years (8 % under 60 days
old), nobody acting before being created; appstore: installs with later launches, J-shaped
ratings, a few paid apps; gig: job posts, applications, one hire per filled job, messages,
delivery, payment, two-sided grades and tips, withdrawals.

Organic negatives (``negatives.parquet``, must not be flagged): ``household`` (2-4 accounts
on one device), ``school_lab`` / ``internet_cafe`` (10-40 unrelated accounts on 2-5 shared
devices on weekdays), ``power_user`` (busiest 0.2 %), ``popular_target`` (top-5 apps and
developers, jobs and freelancers), ``fan_group`` (100-300 accounts tracking / favoriting /
endorsing the same 3-5 top developers or freelancers over weeks), ``viral_burst`` (an app
installed, or a famous client's job visited, by thousands within hours), ``promo_campaign``
(a platform code redeemed by thousands in a week, 30 % of them brand-new accounts),
``agency`` (developers or freelancers withdrawing to one agency account) and, on ``gig``,
``tight_team`` (5-10 freelancers subcontracting each other on one client's big project,
endorsing and grading each other).

Planted rings (15 per platform, 5 patterns x 3, sizes log-uniform 5-80, about 30 % slow:
spread over 2-4 weeks with the daily rhythm; the rest in bursts of hours; 20 % of each
ring's accounts are hijacked organic accounts that keep their history; the others add
camouflage on popular targets, about half as many events as their ring events):

* appstore: ``rating_inflation`` (*own_apps*: a new developer's 2-6 new apps; *paid_boost*:
  1-2 small developers' apps; install + 4-5 stars, some text; a device pool or none),
  ``install_farm`` (emulator hardware ids with 5-20 accounts each install and launch a
  client's 1-4 apps daily for days), ``referral_abuse`` (brand-new accounts redeem a
  developer's invite codes 3-10 times each from a few devices and install its app),
  ``rating_bombing`` (1-2 stars on a same-category competitor's apps; *with_boost*: also 5
  stars on the beneficiary's), ``iap_fraud`` (stolen pay tokens attached by many accounts
  that buy expensive in-app items in a developer's apps; the developer cashes out).
* gig: ``self_hiring`` (sock-puppet clients post tiny jobs, hire the freelancer(s), pay
  from shared funding sources, grade 5), ``endorsement_ring`` (freelancers endorse each
  other reciprocally; *with_grades*: also hire and grade each other), ``tip_laundering``
  (clients tip 1-2 freelancers round sums from stolen funding sources; they withdraw to a
  shared remit id), ``account_farm`` (fresh freelancer accounts on a few machines spam
  applications and withdraw to 1-2 remit ids), ``bonus_farming`` (brand-new clients use a
  bonus code and spend it hiring the farmer).

Files written to OUT: ``events.parquet`` (actor_id, actor_type, target_id, target_type,
action, ts in UTC microseconds, amount, market), ``entities.parquet`` (every account seen in
the events), ``labels.parquet`` (one ``confirmed`` member of rings 0, 2, 4, ... and 20
``cleared`` organic accounts), ``truth.parquet`` (ring members, with ``hijacked``; the
developer or freelancer a ring works for is a member), ``ring_targets.parquet`` (boosted,
bombed or farmed apps, ring-made jobs, shared devices, pay tokens, funding sources, remit
ids, ibans, codes; an endorsement ring's targets are its members' profiles),
``negatives.parquet`` (group_id, kind and the group's accounts and shared targets, less any
ring member or target), ``vocabulary.toml`` (names by role) and ``synth.json`` (settings,
counts and every ring's pattern, variant, size, pace, window, fill and event counts).

Ids are a prefix plus a random permutation number per type (``us004217``). The same seed
gives byte-identical files; ``--events`` (organic events, approximately) works from 50,000
to 2,000,000 (below 250,000 ring sizes shrink so rings stay a few percent of events).

    .venv/bin/python bench/holdout_platform.py OUT --platform {gig,appstore} --events 300000 --seed 1
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

US = 1_000_000
MIN = 60 * US
HOUR = 60 * MIN
DAY = 24 * HOUR
NO_TIME = np.iinfo(np.int64).min // 4
ORGANIC, NEGATIVE, RING, CAMO = 0, 1, 2, 3

APPSTORE = {
    "start": (2027, 3, 1),
    "days": 36,
    "markets": (("US", -5.0), ("BR", -3.0), ("DE", 1.0), ("IN", 5.5), ("JP", 9.0)),
    "share": (0.27, 0.17, 0.14, 0.30, 0.12),
    "hours": (
        *(0.30, 0.18, 0.10, 0.07, 0.07, 0.12, 0.30, 0.55, 0.70, 0.62, 0.58, 0.62),
        *(0.75, 0.70, 0.64, 0.64, 0.70, 0.80, 0.90, 1.00, 1.00, 0.95, 0.78, 0.50),
    ),
    "week": (0.95, 0.92, 0.93, 0.97, 1.08, 1.30, 1.35),
    "categories": (0.26, 0.16, 0.12, 0.11, 0.10, 0.09, 0.08, 0.08),
    "types": {
        "user": ("account", "us"),
        "developer": ("account", "dv"),
        "app": ("item", "ap"),
        "hardware_id": ("device", "hw"),
        "iban": ("payout_account", "ib"),
        "pay_token": ("payout_account", "pt"),
        "invite_code": ("coupon", "ic"),
    },
    "actions": {
        "install": "engagement",
        "launch": "view",
        "star_rating": "review",
        "write_up": "review",
        "iap": "purchase",
        "track": "follow",
        "apply_code": "claim",
        "session_start": "login",
        "attach_instrument": "payout",
        "withdraw_to": "payout",
        "release": "own",
        "update_build": "own",
        "mint_code": "own",
    },
    "patterns": (
        "rating_inflation",
        "install_farm",
        "referral_abuse",
        "rating_bombing",
        "iap_fraud",
    ),
}

GIG = {
    "start": (2027, 1, 11),
    "days": 42,
    "markets": (("US", -5.0), ("GB", 0.0), ("IN", 5.5), ("PH", 8.0), ("UA", 2.0), ("NG", 1.0)),
    "share": (0.40, 0.17, 0.12, 0.08, 0.10, 0.13),
    "fl_share": (0.12, 0.06, 0.28, 0.24, 0.14, 0.16),
    "hours": (
        *(0.20, 0.12, 0.08, 0.06, 0.06, 0.10, 0.25, 0.50, 0.80, 0.95, 1.00, 0.95),
        *(0.80, 0.90, 0.95, 0.90, 0.85, 0.75, 0.60, 0.55, 0.55, 0.50, 0.40, 0.30),
    ),
    "week": (1.15, 1.15, 1.10, 1.05, 0.95, 0.60, 0.55),
    "categories": (0.22, 0.16, 0.15, 0.12, 0.11, 0.09, 0.08, 0.07),
    "types": {
        "client": ("account", "cl"),
        "freelancer": ("account", "fl"),
        "job": ("item", "jb"),
        "machine_id": ("device", "mc"),
        "remit_id": ("payout_account", "rm"),
        "funding_src": ("payout_account", "fs"),
        "bonus_code": ("coupon", "bc"),
    },
    "actions": {
        "open_job": "own",
        "visit": "view",
        "apply": "engagement",
        "message": "engagement",
        "deliver": "engagement",
        "hire": "purchase",
        "release_funds": "purchase",
        "grade": "review",
        "endorse": "review",
        "favorite": "follow",
        "tip": "gift",
        "use_bonus": "claim",
        "log_on": "login",
        "withdraw_to": "payout",
        "fund_with": "payout",
    },
    "patterns": (
        "self_hiring",
        "endorsement_ring",
        "tip_laundering",
        "account_farm",
        "bonus_farming",
    ),
}
SPECS = {"appstore": APPSTORE, "gig": GIG}
ROLES = (
    "engagement",
    "purchase",
    "review",
    "follow",
    "claim",
    "login",
    "payout",
    "own",
    "view",
    "gift",
)
TYPE_ROLES = ("account", "item", "content", "device", "payout_account", "coupon")
SYLLABLES = np.array(
    "ka lo mi ren ta vu sol bri dan ek fa gor hil iv jun ko lum ne or pa qui ra si tor ul vin "
    "wen xa yo zed ar be ce do el fi ga ho in ja".split()
)


def loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def zipf_weights(rng: np.random.Generator, n: int, s: float) -> np.ndarray:
    """Zipf weights 1/rank**s with the ranks in random order."""
    return 1.0 / (rng.permutation(n) + 1.0) ** s


def created_times(rng: np.random.Generator, n: int, start: int, new_share: float) -> np.ndarray:
    """Creation times: ``new_share`` within 60 days before ``start``, the rest over years."""
    new = rng.random(n) < new_share
    age = np.where(
        new, rng.uniform(0.5, 60.0, n), 60.0 + np.minimum(rng.gamma(1.4, 420.0, n), 3200)
    )
    return start - (age * DAY).astype(np.int64)


def stars(rng: np.random.Generator, n: int, p: tuple[float, ...]) -> np.ndarray:
    """Star values 1..5 with probabilities ``p`` (1 star first)."""
    return rng.choice(np.arange(1, 6, dtype=np.float64), n, p=np.asarray(p) / sum(p))


def grouped_choice(rng, ev_group, pool_group, pool_w, n_groups) -> np.ndarray:
    """For each event, an index into the pool drawn by weight among the pool rows of its group.

    Every group that events ask for must have pool rows.
    """
    order = np.lexsort((np.arange(len(pool_group)), pool_group))
    g = pool_group[order]
    w = np.asarray(pool_w, np.float64)[order]
    tot = np.bincount(g, weights=w, minlength=n_groups)
    before = np.cumsum(tot) - tot
    cw = g + (np.cumsum(w) - before[g]) / np.where(tot[g] > 0, tot[g], 1.0)
    last = np.r_[g[1:] != g[:-1], True]
    cw[last] = g[last] + 1.0
    u = np.asarray(ev_group, np.float64) + rng.random(len(ev_group))
    pos = np.minimum(np.searchsorted(cw, u, side="right"), len(cw) - 1)
    return order[pos]


def first_per_group(keys: np.ndarray) -> np.ndarray:
    """Positions of the first row of each run of equal (sorted) keys."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else keys


class Clock:
    """Rhythm sampler: market-local hour of day and day of week, by rejection."""

    def __init__(self, spec: dict):
        self.offset = (np.array([m[1] for m in spec["markets"]]) * HOUR).astype(np.int64)
        h = np.asarray(spec["hours"], np.float64)
        w = np.asarray(spec["week"], np.float64)
        self.weight = (w[:, None] / w.max()) * (h[None, :] / h.max())

    def sample(self, rng, lo, hi, market) -> np.ndarray:
        lo, hi, market = np.broadcast_arrays(
            np.asarray(lo, np.int64), np.asarray(hi, np.int64), np.asarray(market, np.int64)
        )
        lo, market = lo.ravel(), market.ravel()
        hi = np.maximum(hi.ravel(), lo + MIN)
        out = np.empty(lo.size, np.int64)
        todo = np.arange(lo.size)
        for _ in range(60):
            if not todo.size:
                break
            t = lo[todo] + (rng.random(todo.size) * (hi[todo] - lo[todo])).astype(np.int64)
            local = t + self.offset[market[todo]]
            day = local // DAY
            ok = rng.random(todo.size) < self.weight[(day + 3) % 7, (local - day * DAY) // HOUR]
            out[todo[ok]] = t[ok]
            todo = todo[~ok]
        out[todo] = lo[todo]
        return out


class Graph:
    """Nodes (typed, with market and creation time) and event chunks, all by integer index."""

    def __init__(self, spec: dict):
        self.types = list(spec["types"])
        self.tcode = {t: i for i, t in enumerate(self.types)}
        self.actions = list(spec["actions"])
        self.acode = {a: i for i, a in enumerate(self.actions)}
        self.n = 0
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.chunks: list[tuple[np.ndarray, ...]] = []
        self.tag = ORGANIC

    def add(self, typ: str, n: int, market=-1, created=NO_TIME) -> np.ndarray:
        idx = np.arange(self.n, self.n + n, dtype=np.int64)
        self.n += n
        self._parts.append(
            (
                np.full(n, self.tcode[typ], np.int16),
                np.broadcast_to(np.asarray(market, np.int16), (n,)).copy(),
                np.broadcast_to(np.asarray(created, np.int64), (n,)).copy(),
            )
        )
        self._cache = None
        return idx

    def attrs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(type code, market, created) of every node."""
        if self._cache is None:
            self._cache = tuple(np.concatenate(c) for c in zip(*self._parts, strict=True))
        return self._cache

    def emit(self, actor, target, action: str, ts, amount=None) -> None:
        actor = np.asarray(actor, np.int64).ravel()
        n = actor.size
        if n == 0:
            return
        target = np.broadcast_to(np.asarray(target, np.int64), (n,)).copy()
        ts = np.broadcast_to(np.asarray(ts, np.int64), (n,)).copy()
        amt = np.full(n, np.nan) if amount is None else np.broadcast_to(amount, (n,)) * 1.0
        code = np.full(n, self.acode[action], np.int16)
        self.chunks.append(
            (actor, target, code, ts, amt.astype(np.float64), np.full(n, self.tag, np.int8))
        )

    def count(self, *, actors: bool, tags=(ORGANIC,)) -> np.ndarray:
        """Events per node as actor (or as target) among chunks with the given tags."""
        col = 0 if actors else 1
        parts = [c[col] for c in self.chunks if c[5][0] in tags]
        return np.bincount(np.concatenate(parts), minlength=self.n)


@dataclass
class Ring:
    ring_id: int
    pattern: str
    slow: bool
    size: int
    market: int
    t0: int = 0
    t1: int = 0
    variant: str = ""
    members: list = field(default_factory=list)
    hijacked: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    info: dict = field(default_factory=dict)
    bursts: tuple = ()


class Ctx:
    """Everything a generator step needs: settings, clock, graph, world, protected nodes."""

    def __init__(self, platform: str, n_events: int, seed: int):
        self.platform = platform
        self.spec = SPECS[platform]
        self.n_events = n_events
        self.seed = seed
        y, m, d = self.spec["start"]
        self.start = int(datetime(y, m, d, tzinfo=UTC).timestamp()) * US
        self.days = self.spec["days"]
        self.end = self.start + self.days * DAY
        self.clock = Clock(self.spec)
        self.g = Graph(self.spec)
        self.M = len(self.spec["markets"])
        self.C = len(self.spec["categories"])
        self.w: dict = {}
        self.negatives: list[tuple[str, str, np.ndarray]] = []
        self.taken = np.zeros(0, bool)
        self.pools: dict[str, np.ndarray] = {}
        self.rings: list[Ring] = []

    def times(self, rng, lo, hi, market) -> np.ndarray:
        return self.clock.sample(rng, lo, hi, market)

    def market_of(self, idx) -> np.ndarray:
        return self.g.attrs()[1][np.asarray(idx, np.int64)].astype(np.int64)

    def created_of(self, idx) -> np.ndarray:
        return self.g.attrs()[2][np.asarray(idx, np.int64)]

    def new_device(self, n: int) -> np.ndarray:
        return self.g.add("hardware_id" if self.platform == "appstore" else "machine_id", n)

    def logins(self, rng, accounts, devices, lo, hi, per: float) -> None:
        """``per`` logins (Poisson, at least one) of each account on its device, with rhythm."""
        accounts = np.asarray(accounts, np.int64)
        k = 1 + rng.poisson(per, accounts.size)
        rep = np.repeat(np.arange(accounts.size), k)
        lo = np.broadcast_to(lo, accounts.shape)[rep]
        hi = np.broadcast_to(hi, accounts.shape)[rep]
        ts = self.times(rng, lo, hi, self.market_of(accounts[rep]))
        act = "session_start" if self.platform == "appstore" else "log_on"
        self.g.emit(accounts[rep], np.broadcast_to(devices, accounts.shape)[rep], act, ts)


# ----------------------------------------------------------------------------- appstore


def appstore_world(ctx: Ctx, rng) -> None:
    """Users, developers, apps, devices, ibans, pay tokens; agencies share an iban."""
    n, g, M, C = ctx.n_events, ctx.g, ctx.M, ctx.C
    nu, nd, na = max(1500, n // 21), max(60, n // 950), max(200, n // 230)
    cat_p = np.asarray(ctx.spec["categories"])
    u_mk = rng.choice(M, nu, p=ctx.spec["share"])
    u_cat = rng.choice(C, nu, p=cat_p)
    u_act = np.minimum(rng.pareto(1.35, nu) + 1.0, 4000.0)
    users = g.add("user", nu, u_mk, created_times(rng, nu, ctx.start, 0.08))
    d_mk = rng.choice(M, nd, p=ctx.spec["share"])
    d_cat = rng.choice(C, nd, p=cat_p)
    devs = g.add("developer", nd, d_mk, created_times(rng, nd, ctx.start, 0.04))
    d_size = rng.pareto(1.1, nd) + 1.0
    a_dev = rng.permutation(np.r_[np.arange(nd), rng.choice(nd, na - nd, p=d_size / d_size.sum())])
    a_cat = np.where(rng.random(na) < 0.85, d_cat[a_dev], rng.choice(C, na, p=cat_p))
    a_cat[:C] = np.arange(C)
    a_new = rng.random(na) < 0.06
    a_mk = d_mk[a_dev]
    a_rel = np.where(a_new, ctx.times(rng, ctx.start, ctx.end - 5 * DAY, a_mk), NO_TIME)
    apps = g.add("app", na)
    u_hw = ctx.new_device(nu)
    u_hw2 = np.where(rng.random(nu) < 0.12, ctx.new_device(nu), -1)
    d_iban = g.add("iban", nd)
    payee = d_iban.copy()
    agencies = []
    small = rng.permutation(np.flatnonzero(d_size < np.quantile(d_size, 0.8)))
    pos = 0
    for _ in range(max(3, nd // 70)):
        k = int(rng.integers(3, 9))
        members = np.sort(small[pos : pos + k])
        pos += k
        iban = g.add("iban", 1)[0]
        payee[members] = iban
        agencies.append((devs[members], iban))
    ctx.w.update(
        nu=nu,
        nd=nd,
        na=na,
        users=users,
        u_mk=u_mk,
        u_cat=u_cat,
        u_act=u_act,
        u_hw=u_hw,
        u_hw2=u_hw2,
        devs=devs,
        d_mk=d_mk,
        d_iban=d_iban,
        d_cat=d_cat,
        d_hw=ctx.new_device(nd),
        payee=payee,
        apps=apps,
        a_dev=a_dev,
        a_cat=a_cat,
        a_mk=a_mk,
        a_pop=zipf_weights(rng, na, 1.08),
        a_new=a_new,
        a_rel=a_rel,
        a_paid=rng.random(na) < 0.35,
        u_tok=g.add("pay_token", nu),
        agencies=agencies,
    )


def app_pool(ctx: Ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sampling pool of apps: groups (category, market) then (any category, market)."""
    w, M, C = ctx.w, ctx.M, ctx.C
    na = w["na"]
    pm = np.repeat(np.arange(M), na)
    wt = np.tile(w["a_pop"], M) * np.where(np.tile(w["a_mk"], M) == pm, 4.0, 1.0)
    grp = np.r_[np.tile(w["a_cat"], M) * M + pm, C * M + pm]
    return grp, np.r_[wt, wt], np.r_[np.tile(np.arange(na), M), np.tile(np.arange(na), M)]


def appstore_usage(ctx: Ctx, rng) -> None:
    """User-app pairs: installs in the window, launches, ratings, text, purchases, tracking."""
    w, g, M, C = ctx.w, ctx.g, ctx.M, ctx.C
    n_pairs = int(0.70 * ctx.n_events / 1.55)
    uu = rng.choice(w["nu"], n_pairs, p=w["u_act"] / w["u_act"].sum())
    own = rng.random(n_pairs) < 0.7
    grp = np.where(own, w["u_cat"][uu] * M + w["u_mk"][uu], C * M + w["u_mk"][uu])
    pg, pw, pid = app_pool(ctx)
    aa = pid[grouped_choice(rng, grp, pg, pw, C * M + M)]
    _, first = np.unique(uu * w["na"] + aa, return_index=True)
    uu, aa = uu[first], aa[first]
    n_pairs = uu.size
    user, app, mk = w["users"][uu], w["apps"][aa], w["u_mk"][uu]
    new_app = w["a_new"][aa]
    lo = np.where(new_app, w["a_rel"][aa] + 10 * MIN, ctx.start)
    fresh = ctx.created_of(user) > ctx.start - 30 * DAY
    inst = new_app | (rng.random(n_pairs) < np.where(fresh, 0.6, 0.22))
    t_in = ctx.times(rng, lo, ctx.end, mk)
    g.emit(user[inst], app[inst], "install", t_in[inst])
    ref = np.where(inst, t_in, lo)
    # pairs installed earlier churn at some point as others arrive: usage stays level
    churn = ~inst & (rng.random(n_pairs) < inst.mean())
    stop = np.where(churn, ctx.times(rng, ref, ctx.end, mk), ctx.end)
    active = (stop - ref) / (ctx.end - ctx.start)
    k = rng.binomial(
        np.floor(rng.lognormal(0.75, 1.05, n_pairs)).astype(np.int64), np.clip(active, 0, 1)
    )
    rep = np.repeat(np.arange(n_pairs), k)
    g.emit(user[rep], app[rep], "launch", ctx.times(rng, ref[rep], stop[rep], mk[rep]))
    j_shape = (0.12, 0.05, 0.08, 0.20, 0.55)
    for action, p_in, p_old in (("star_rating", 0.15, 0.05), ("write_up", 0.035, 0.01)):
        r = np.flatnonzero(rng.random(n_pairs) < np.where(inst, p_in, p_old))
        t = ctx.times(rng, ref[r] + 15 * MIN, np.minimum(ref[r] + 6 * DAY, ctx.end), mk[r])
        g.emit(user[r], app[r], action, t, stars(rng, r.size, j_shape))
    buy = np.flatnonzero(w["a_paid"][aa] & (rng.random(n_pairs) < 0.09))
    nb = rng.geometric(0.55, buy.size)
    rep = np.repeat(buy, nb)
    prices = np.array([0.99, 1.99, 2.99, 4.99, 9.99, 19.99, 49.99, 99.99])
    price = rng.choice(prices, rep.size, p=[0.3, 0.2, 0.12, 0.17, 0.11, 0.06, 0.03, 0.01])
    t_buy = ctx.times(rng, ref[rep] + 5 * MIN, ctx.end, mk[rep])
    g.emit(user[rep], app[rep], "iap", t_buy, price)
    order = np.lexsort((t_buy, uu[rep]))
    fb = order[first_per_group(uu[rep][order])]
    att = fb[rng.random(fb.size) < 0.3]
    t_att = t_buy[att] - (rng.uniform(1, 30, att.size) * MIN).astype(np.int64)
    g.emit(user[rep][att], w["u_tok"][uu[rep][att]], "attach_instrument", t_att)
    tr = np.flatnonzero(rng.random(n_pairs) < 0.03)
    dev = w["devs"][w["a_dev"][aa[tr]]]
    g.emit(user[tr], dev, "track", ctx.times(rng, ref[tr], ctx.end, mk[tr]))


def appstore_accounts(ctx: Ctx, rng) -> None:
    """Logins, developer releases, updates, withdrawals and organic invite codes."""
    w, g = ctx.w, ctx.g
    acts = g.count(actors=True)
    n_u = acts[w["users"]]
    dev2 = w["u_hw2"] >= 0
    hw = np.where(dev2 & (rng.random(w["nu"]) < 0.35), w["u_hw2"], w["u_hw"])
    ctx.logins(rng, w["users"], hw, ctx.start, ctx.end, 0.12 * n_u)
    two = np.flatnonzero(dev2)
    ctx.logins(rng, w["users"][two], w["u_hw2"][two], ctx.start, ctx.end, 0.08 * n_u[two])
    devs, a_dev = w["devs"], w["a_dev"]
    new = np.flatnonzero(w["a_new"])
    g.emit(devs[a_dev[new]], w["apps"][new], "release", w["a_rel"][new])
    recv = g.count(actors=False)[w["apps"]]
    k = rng.poisson(0.5 + np.minimum(recv / 400.0, 4.0))
    rep = np.repeat(np.arange(w["na"]), k)
    lo = np.where(w["a_new"][rep], w["a_rel"][rep] + DAY, ctx.start)
    t = ctx.times(rng, lo, ctx.end, w["a_mk"][rep])
    g.emit(devs[a_dev[rep]], w["apps"][rep], "update_build", t)
    ctx.logins(rng, devs, w["d_hw"], ctx.start, ctx.end, 7.0)
    rev = np.bincount(a_dev, weights=recv, minlength=w["nd"])
    k = rng.poisson(1.0 + np.minimum(rev / 800.0, 3.0))
    k = np.maximum(k, w["payee"] != w["d_iban"])
    rep = np.repeat(np.arange(w["nd"]), k)
    amt = np.round(rng.lognormal(np.log(40 + rev[rep]), 0.7), 2)
    t = ctx.times(rng, ctx.start, ctx.end, w["d_mk"][rep])
    g.emit(devs[rep], w["payee"][rep], "withdraw_to", t, amt)
    coders = np.flatnonzero(rng.random(w["nd"]) < 0.12)
    nc = rng.integers(1, 4, coders.size)
    cdev = np.repeat(coders, nc)
    codes = g.add("invite_code", cdev.size)
    t_mint = ctx.times(rng, ctx.start - 12 * DAY, ctx.end - 3 * DAY, w["d_mk"][cdev])
    g.emit(devs[cdev], codes, "mint_code", t_mint)
    nr = np.minimum(np.floor(rng.lognormal(1.0, 0.9, codes.size)).astype(np.int64), 40)
    rc = np.repeat(np.arange(codes.size), nr)
    grp = w["d_mk"][cdev[rc]]
    red = grouped_choice(rng, grp, w["u_mk"], w["u_act"] ** 0.5, ctx.M)
    lo = np.maximum(t_mint[rc], ctx.start)
    t = ctx.times(rng, lo, np.minimum(lo + 12 * DAY, ctx.end), grp)
    g.emit(w["users"][red], codes[rc], "apply_code", t)


# ----------------------------------------------------------------------------- gig


def gig_world(ctx: Ctx, rng) -> None:
    """Clients, freelancers, machines, remit ids, funding sources; agencies share a remit."""
    n, g, M, C = ctx.n_events, ctx.g, ctx.M, ctx.C
    nc, nf = max(800, n // 55), max(1500, n // 26)
    cat_p = np.asarray(ctx.spec["categories"])
    c_mk = rng.choice(M, nc, p=ctx.spec["share"])
    clients = g.add("client", nc, c_mk, created_times(rng, nc, ctx.start, 0.08))
    f_mk = rng.choice(M, nf, p=ctx.spec["fl_share"])
    freelancers = g.add("freelancer", nf, f_mk, created_times(rng, nf, ctx.start, 0.08))
    f_remit = g.add("remit_id", nf)
    payee = f_remit.copy()
    f_rep = rng.lognormal(0.0, 1.0, nf)
    agencies = []
    perm = rng.permutation(nf)
    pos = 0
    for _ in range(max(3, nf // 900)):
        k = int(rng.integers(3, 9))
        members = np.sort(perm[pos : pos + k])
        pos += k
        remit = g.add("remit_id", 1)[0]
        payee[members] = remit
        agencies.append((freelancers[members], remit))
    ctx.w.update(
        nc=nc,
        nf=nf,
        clients=clients,
        c_mk=c_mk,
        c_cat=rng.choice(C, nc, p=cat_p),
        c_act=np.minimum(rng.pareto(1.25, nc) + 1.0, 3000.0),
        c_fund=g.add("funding_src", nc),
        c_mc=ctx.new_device(nc),
        freelancers=freelancers,
        f_mk=f_mk,
        f_cat=rng.choice(C, nf, p=cat_p),
        f_act=np.minimum(rng.pareto(1.4, nf) + 1.0, 3000.0),
        f_rep=f_rep,
        f_mc=ctx.new_device(nf),
        f_mc2=np.where(rng.random(nf) < 0.15, ctx.new_device(nf), -1),
        payee=payee,
        f_remit=f_remit,
        agencies=agencies,
    )


def gig_jobs(ctx: Ctx, rng) -> dict:
    """Job posts, visits, applications and favorites; returns the hires."""
    w, g, C = ctx.w, ctx.g, ctx.C
    nj = int(0.78 * ctx.n_events / 23.0)
    jc = rng.choice(w["nc"], nj, p=w["c_act"] / w["c_act"].sum())
    j_cat = np.where(rng.random(nj) < 0.8, w["c_cat"][jc], rng.choice(C, nj))
    j_mk = w["c_mk"][jc]
    t_post = ctx.times(rng, ctx.start - 10 * DAY, ctx.end - DAY, j_mk)
    jobs = g.add("job", nj)
    client = w["clients"][jc]
    g.emit(client, jobs, "open_job", t_post)
    ka = 1 + rng.negative_binomial(1.1, 1.1 / (1.1 + 4.2), nj)
    rj = np.repeat(np.arange(nj), ka)
    rf = grouped_choice(rng, j_cat[rj], w["f_cat"], w["f_act"], C)
    _, first = np.unique(rj * w["nf"] + rf, return_index=True)
    rj, rf = rj[first], rf[first]
    fl, f_mk = w["freelancers"][rf], w["f_mk"][rf]
    t_app = ctx.times(rng, t_post[rj] + 5 * MIN, t_post[rj] + 4 * DAY, f_mk)
    g.emit(fl, jobs[rj], "visit", t_app - (rng.uniform(1, 40, rj.size) * MIN).astype(np.int64))
    g.emit(fl, jobs[rj], "apply", t_app)
    kv = rng.poisson(1.6 * ka)
    vj = np.repeat(np.arange(nj), kv)
    vf = grouped_choice(rng, j_cat[vj], w["f_cat"], w["f_act"] ** 0.7, C)
    t = ctx.times(rng, t_post[vj], t_post[vj] + 6 * DAY, w["f_mk"][vf])
    g.emit(w["freelancers"][vf], jobs[vj], "visit", t)
    sl = rng.random(rj.size) < 0.12
    t = ctx.times(rng, t_app[sl] + 10 * MIN, t_app[sl] + DAY, j_mk[rj[sl]])
    g.emit(client[rj[sl]], fl[sl], "favorite", t)
    score = np.log(w["f_rep"][rf]) + rng.gumbel(size=rj.size)
    order = np.lexsort((-score, rj))
    win = order[first_per_group(rj[order])]
    win = win[rng.random(win.size) < 0.58]
    ctx.w.update(jobs=jobs, j_cat=j_cat, j_mk=j_mk, t_post=t_post, j_client=jc)
    return {"job": rj[win], "f": rf[win], "t_app": t_app[win]}


def gig_contract(ctx, rng, client, fl, job, t_hire, amount, fund=None, p_grade=(0.85, 0.7)):
    """Events of contracts: hire, funding, messages, delivery, payment, grades, tips.

    ``client`` may be a freelancer (subcontracting); returns the payment times.
    """
    g = ctx.g
    n = client.size
    c_mk, f_mk = ctx.market_of(client), ctx.market_of(fl)
    g.emit(client, fl, "hire", t_hire, amount)
    if fund is not None:
        t = t_hire - (rng.uniform(1, 20, n) * MIN).astype(np.int64)
        g.emit(client, fund, "fund_with", t, amount)
    dur = (rng.lognormal(np.log(3.5), 0.9, n) * DAY).astype(np.int64)
    t_del = ctx.times(rng, t_hire + dur, t_hire + dur + 12 * HOUR, f_mk)
    g.emit(fl, job, "deliver", t_del)
    rep = np.repeat(np.arange(n), rng.geometric(0.2, n))
    span = t_del[rep] - t_hire[rep] + 12 * HOUR
    t = t_hire[rep] - 12 * HOUR + (rng.random(rep.size) * span).astype(np.int64)
    to_f = rng.random(rep.size) < 0.5
    g.emit(np.where(to_f, client[rep], fl[rep]), np.where(to_f, fl[rep], client[rep]), "message", t)
    t_rel = ctx.times(rng, t_del + 10 * MIN, t_del + 2 * DAY, c_mk)
    g.emit(client, fl, "release_funds", t_rel, amount)
    st = stars(rng, n, (0.06, 0.02, 0.05, 0.15, 0.72))
    gc = rng.random(n) < p_grade[0]
    t_gc = ctx.times(rng, t_rel + 10 * MIN, t_rel + 4 * DAY, c_mk)
    g.emit(client[gc], fl[gc], "grade", t_gc[gc], st[gc])
    gf = rng.random(n) < p_grade[1]
    t = ctx.times(rng, t_rel[gf] + 10 * MIN, t_rel[gf] + 4 * DAY, f_mk[gf])
    g.emit(
        fl[gf], client[gf], "grade", t, stars(rng, int(gf.sum()), (0.03, 0.02, 0.05, 0.15, 0.75))
    )
    tp = gc & (st == 5) & (rng.random(n) < 0.08)
    round_tip = rng.choice([5.0, 10.0, 20.0, 50.0], n)
    tip = np.where(rng.random(n) < 0.6, round_tip, np.round(rng.lognormal(2.4, 0.8, n), 2))
    g.emit(client[tp], fl[tp], "tip", t_gc[tp] + MIN, tip[tp])
    en = gc & (st == 5) & (rng.random(n) < 0.08)
    g.emit(client[en], fl[en], "endorse", t_gc[en] + 3 * MIN)
    return t_rel


def gig_contracts(ctx: Ctx, rng, hires: dict) -> None:
    w = ctx.w
    j, f = hires["job"], hires["f"]
    jc = w["j_client"][j]
    t_hire = ctx.times(rng, hires["t_app"] + HOUR, hires["t_app"] + 3 * DAY, w["c_mk"][jc])
    amount = np.round(rng.lognormal(np.log(120.0), 1.15, j.size), 0) + 5.0
    client, fl, job = w["clients"][jc], w["freelancers"][f], w["jobs"][j]
    gig_contract(ctx, rng, client, fl, job, t_hire, amount, fund=w["c_fund"][jc])


def gig_accounts(ctx: Ctx, rng) -> None:
    """Logins, withdrawals, organic endorsements and small partner bonus codes."""
    w, g = ctx.w, ctx.g
    acts = g.count(actors=True)
    cl, fl = w["clients"], w["freelancers"]
    ctx.logins(rng, cl, w["c_mc"], ctx.start, ctx.end, 0.15 * acts[cl])
    two = w["f_mc2"] >= 0
    mc = np.where(two & (rng.random(w["nf"]) < 0.4), w["f_mc2"], w["f_mc"])
    ctx.logins(rng, fl, mc, ctx.start, ctx.end, 1.0 + 0.1 * acts[fl])
    ctx.logins(rng, fl[two], w["f_mc2"][two], ctx.start, ctx.end, 1.0)
    # earnings from release_funds
    rel = g.acode["release_funds"]
    parts = [(c[1], c[4]) for c in g.chunks if c[2][0] == rel]
    tgt = np.concatenate([p[0] for p in parts])
    amt = np.concatenate([p[1] for p in parts])
    earn = np.bincount(tgt, weights=amt, minlength=g.n)[fl]
    k = np.where(
        earn > 0, 1 + rng.poisson(np.minimum(earn / 400.0, 5.0)), (rng.random(w["nf"]) < 0.15) * 1
    )
    k = np.maximum(k, w["payee"] != w["f_remit"])
    rep = np.repeat(np.arange(w["nf"]), k)
    amount = np.round(
        np.maximum(earn[rep] * 0.88 / k[rep], 15.0) * rng.uniform(0.7, 1.3, rep.size), 2
    )
    t = ctx.times(rng, ctx.start + DAY, ctx.end, w["f_mk"][rep])
    g.emit(fl[rep], w["payee"][rep], "withdraw_to", t, amount)
    ke = rng.poisson(0.35, w["nf"])
    src = np.repeat(np.arange(w["nf"]), ke)
    dst = grouped_choice(rng, w["f_cat"][src], w["f_cat"], w["f_rep"], ctx.C)
    ok = src != dst
    src, dst = src[ok], dst[ok]
    t = ctx.times(rng, ctx.start, ctx.end - 2 * DAY, w["f_mk"][src])
    g.emit(fl[src], fl[dst], "endorse", t)
    back = rng.random(src.size) < 0.25
    t2 = ctx.times(rng, t[back] + HOUR, t[back] + 5 * DAY, w["f_mk"][dst[back]])
    g.emit(fl[dst[back]], fl[src[back]], "endorse", t2)
    codes = g.add("bonus_code", int(rng.integers(4, 9)))
    kr = rng.integers(8, 60, codes.size)
    rc = np.repeat(np.arange(codes.size), kr)
    who = rng.choice(w["nc"], rc.size)
    t = ctx.times(rng, ctx.start, ctx.end, w["c_mk"][who])
    g.emit(cl[who], codes[rc], "use_bonus", t)
    ctx.w["bonus_codes"] = codes


# ----------------------------------------------------------------------------- negatives


def add_negative(ctx: Ctx, kind: str, idx) -> None:
    i = sum(1 for n in ctx.negatives if n[1] == kind)
    ctx.negatives.append((f"{kind}-{i:03d}", kind, np.unique(np.asarray(idx, np.int64))))


def free_accounts(ctx: Ctx, accounts: np.ndarray, used: np.ndarray) -> np.ndarray:
    return accounts[~used[accounts]]


def weekday_hours(ctx: Ctx, rng, market: np.ndarray, h0: float, h1: float) -> np.ndarray:
    """Times on weekdays between local hours h0 and h1."""
    n = market.size
    day = rng.integers(0, ctx.days, n)
    dow = (ctx.start // DAY + day + 3) % 7
    day = np.where(dow >= 5, day - (dow - 4), day)
    day = np.where(day < 0, day + 7, day)
    hour = rng.uniform(h0, h1, n)
    return ctx.start + day * DAY + (hour * HOUR).astype(np.int64) - ctx.clock.offset[market]


def neg_shared_devices(ctx: Ctx, rng, accounts: np.ndarray, used: np.ndarray) -> None:
    """Households (2-4 accounts, one device) and venues (10-40 accounts, 2-5 devices)."""
    mk = ctx.market_of(accounts)
    venue = "school_lab" if ctx.platform == "appstore" else "internet_cafe"
    n_house = max(6, int(0.012 * accounts.size))
    n_venue = max(3, accounts.size // 3000)
    plan = [("household", 2, 5, 1, 2)] * n_house + [(venue, 10, 41, 2, 6)] * n_venue
    acc_l, dev_l, ts_l = [], [], []
    for kind, lo, hi, d_lo, d_hi in plan:
        m = rng.choice(ctx.M, p=ctx.spec["share"])
        cand = np.flatnonzero((mk == m) & ~used[accounts])
        k = min(int(rng.integers(lo, hi)), cand.size)
        members = accounts[rng.choice(cand, k, replace=False)]
        used[members] = True
        devices = ctx.new_device(int(rng.integers(d_lo, d_hi)))
        per = 1 + rng.poisson(4.0, k)
        rep = np.repeat(members, per)
        dev = devices[rng.integers(0, devices.size, rep.size)]
        if kind == "household":
            t = ctx.times(rng, ctx.start, ctx.end, np.full(rep.size, m))
        else:
            t = weekday_hours(ctx, rng, np.full(rep.size, m), 8.0, 17.5)
        acc_l.append(rep)
        dev_l.append(dev)
        ts_l.append(t)
        add_negative(ctx, kind, np.r_[members, devices])
    act = "session_start" if ctx.platform == "appstore" else "log_on"
    ctx.g.emit(np.concatenate(acc_l), np.concatenate(dev_l), act, np.concatenate(ts_l))


def neg_top(ctx: Ctx, accounts: list[np.ndarray], targets: list[np.ndarray], used) -> None:
    """Power users (busiest 0.2 % as actors) and popular targets (top-5 by events received)."""
    acts = ctx.g.count(actors=True, tags=(ORGANIC, NEGATIVE))
    recv = ctx.g.count(actors=False, tags=(ORGANIC, NEGATIVE))
    for acc in accounts:
        k = max(2, int(round(0.002 * acc.size)))
        top = acc[np.lexsort((acc, -acts[acc]))[:k]]
        used[top] = True
        for a in top:
            add_negative(ctx, "power_user", [a])
    for tgt in targets:
        top = tgt[np.lexsort((tgt, -recv[tgt]))[:5]]
        used[top] = True
        for a in top:
            add_negative(ctx, "popular_target", [a])


def burst_times(ctx: Ctx, rng, t0: int, n: int, half_life_h: float, window_d: float) -> np.ndarray:
    """A news-like spike: exponential decay from ``t0``, cut at ``window_d`` days."""
    dt = rng.exponential(half_life_h / math.log(2), n) % (window_d * 24)
    return np.minimum(t0 + (dt * HOUR).astype(np.int64), ctx.end - MIN)


def campaign_redeemers(ctx: Ctx, rng, typ: str, pool: np.ndarray, weight, used) -> tuple:
    """Redeemers of a platform code over a week: existing accounts and brand-new ones."""
    n = int(0.005 * ctx.n_events + 500)
    t0 = ctx.start + int(rng.uniform(4, ctx.days - 9) * DAY)
    free = ~used[pool]
    n_new = int(0.3 * n)
    p = weight[free] / weight[free].sum()
    old = rng.choice(pool[free], min(n - n_new, int(free.sum()) // 2), replace=False, p=p)
    used[old] = True
    n = old.size + n_new
    mk_new = rng.choice(ctx.M, n_new, p=ctx.spec["share"])
    front = rng.random(n) < 0.45
    t = np.where(
        front,
        burst_times(ctx, rng, t0, n, 10.0, 7.0),
        ctx.times(rng, t0, t0 + 7 * DAY, np.r_[ctx.market_of(old), mk_new]),
    )
    t_new = t[old.size : old.size + n_new]
    created = t_new - (rng.uniform(2, 180, n_new) * MIN).astype(np.int64)
    new = ctx.g.add(typ, n_new, mk_new, created)
    devices = ctx.new_device(n_new)
    ctx.logins(rng, new, devices, created + MIN, np.minimum(created + 10 * MIN, ctx.end - MIN), 0.5)
    ctx.logins(rng, new, devices, t_new, ctx.end, 1.5)
    return np.r_[old, new], t, new, t_new


def appstore_negatives(ctx: Ctx, rng) -> None:
    w, g = ctx.w, ctx.g
    used = np.zeros(g.n, bool)
    users = w["users"]
    neg_top(ctx, [users], [w["apps"], w["devs"]], used)
    neg_shared_devices(ctx, rng, users, used)
    for _, iban in w["agencies"]:
        add_negative(ctx, "agency", np.r_[w["devs"][np.flatnonzero(w["payee"] == iban)], iban])
    recv = g.count(actors=False)
    rev = np.bincount(w["a_dev"], weights=recv[w["apps"]], minlength=w["nd"])
    top_devs = np.argsort(-rev, kind="stable")[:25]
    for _ in range(2 + (ctx.n_events >= 500_000)):
        devs = rng.choice(top_devs, int(rng.integers(3, 6)), replace=False)
        cand = free_accounts(ctx, users, used)
        fans = rng.choice(cand, int(rng.integers(100, 301)), replace=False)
        used[fans] = True
        pairs = rng.random((fans.size, devs.size)) < rng.uniform(0.6, 1.0)
        fi, di = np.nonzero(pairs)
        mk = ctx.market_of(fans[fi])
        g.emit(fans[fi], w["devs"][devs[di]], "track", ctx.times(rng, ctx.start, ctx.end, mk))
        dev_apps = [np.flatnonzero(w["a_dev"] == d) for d in devs]
        app = np.array([rng.choice(dev_apps[d]) for d in di])
        k = rng.integers(1, 5, fi.size)
        rep = np.repeat(np.arange(fi.size), k)
        t = ctx.times(rng, ctx.start, ctx.end, mk[rep])
        g.emit(fans[fi][rep], w["apps"][app[rep]], "launch", t)
        r = rng.random(fi.size) < 0.3
        t = ctx.times(rng, ctx.start, ctx.end, mk[r])
        g.emit(
            fans[fi][r],
            w["apps"][app[r]],
            "star_rating",
            t,
            stars(rng, int(r.sum()), (0.02, 0.01, 0.04, 0.25, 0.68)),
        )
        add_negative(ctx, "fan_group", np.r_[fans, w["devs"][devs]])
    appstore_viral(ctx, rng, used)
    code = g.add("invite_code", 1)[0]
    acc, t, new, t_new = campaign_redeemers(ctx, rng, "user", users, w["u_act"] ** 0.5, used)
    g.emit(acc, code, "apply_code", t)
    pg, pw, pid = app_pool(ctx)
    mk_new = ctx.market_of(new)
    rep = np.repeat(np.arange(new.size), rng.integers(1, 4, new.size))
    app = w["apps"][
        pid[grouped_choice(rng, ctx.C * ctx.M + mk_new[rep], pg, pw, ctx.C * ctx.M + ctx.M)]
    ]
    ti = ctx.times(
        rng, t_new[rep] + 2 * MIN, np.minimum(t_new[rep] + 2 * DAY, ctx.end), mk_new[rep]
    )
    g.emit(new[rep], app, "install", ti)
    g.emit(new[rep], app, "launch", ctx.times(rng, ti + MIN, ctx.end, mk_new[rep]))
    add_negative(ctx, "promo_campaign", np.r_[acc, code])
    ctx.taken = np.zeros(g.n, bool)
    for _, _, idx in ctx.negatives:
        ctx.taken[idx] = True


def appstore_viral(ctx: Ctx, rng, used: np.ndarray) -> None:
    """An app installed by thousands within hours after a news spike."""
    w, g = ctx.w, ctx.g
    recv = g.count(actors=False)[w["apps"]]
    order = np.argsort(-recv, kind="stable")
    cand = order[30:300]
    cand = cand[~used[w["apps"][cand]] & ~w["a_new"][cand]]
    app_i = int(rng.choice(cand))
    app = w["apps"][app_i]
    used[app] = True
    t0 = ctx.times(rng, ctx.start + 8 * DAY, ctx.end - 8 * DAY, w["a_mk"][app_i])[0]
    n = min(int(0.008 * ctx.n_events + 500), w["nu"] // 3)
    free = ~used[w["users"]]
    wt = np.where(w["u_mk"] == w["a_mk"][app_i], 3.0, 1.0) * w["u_act"] ** 0.3 * free
    who = w["users"][rng.choice(w["nu"], n, replace=False, p=wt / wt.sum())]
    used[who] = True
    t = burst_times(ctx, rng, t0, n, 5.0, 4.0)
    g.emit(who, app, "install", t)
    rep = np.repeat(np.arange(n), rng.integers(0, 4, n) * (rng.random(n) < 0.5))
    mk = ctx.market_of(who[rep])
    g.emit(
        who[rep],
        app,
        "launch",
        ctx.times(rng, t[rep] + MIN, np.minimum(t[rep] + 5 * DAY, ctx.end), mk),
    )
    r = np.flatnonzero(rng.random(n) < 0.1)
    tr = ctx.times(rng, t[r] + 10 * MIN, np.minimum(t[r] + 2 * DAY, ctx.end), ctx.market_of(who[r]))
    g.emit(who[r], app, "star_rating", tr, stars(rng, r.size, (0.2, 0.07, 0.1, 0.18, 0.45)))
    add_negative(ctx, "viral_burst", np.r_[who, app])


def gig_negatives(ctx: Ctx, rng) -> None:
    w, g = ctx.w, ctx.g
    used = np.zeros(g.n, bool)
    cl, fl = w["clients"], w["freelancers"]
    neg_top(ctx, [cl, fl], [w["jobs"], fl], used)
    neg_shared_devices(ctx, rng, np.r_[cl, fl], used)
    for members, remit in w["agencies"]:
        add_negative(ctx, "agency", np.r_[members, remit])
    recv = g.count(actors=False)[fl]
    top = np.argsort(-recv, kind="stable")[:25]
    for _ in range(2 + (ctx.n_events >= 500_000)):
        stars_ = fl[rng.choice(top, int(rng.integers(3, 6)), replace=False)]
        n = int(rng.integers(100, 301))
        fans = np.r_[
            rng.choice(free_accounts(ctx, cl, used), int(0.7 * n), replace=False),
            rng.choice(
                free_accounts(ctx, fl[~np.isin(fl, stars_)], used), n - int(0.7 * n), replace=False
            ),
        ]
        used[fans] = True
        fi, si = np.nonzero(rng.random((fans.size, stars_.size)) < rng.uniform(0.6, 1.0))
        is_cl = fi < int(0.7 * n)
        mk = ctx.market_of(fans[fi])
        t = ctx.times(rng, ctx.start, ctx.end, mk)
        g.emit(fans[fi][is_cl], stars_[si][is_cl], "favorite", t[is_cl])
        en = ~is_cl & (rng.random(fi.size) < 0.5)
        g.emit(fans[fi][en], stars_[si][en], "endorse", t[en])
        rep = np.repeat(np.arange(fi.size), rng.integers(0, 4, fi.size))
        t = ctx.times(rng, ctx.start, ctx.end, mk[rep])
        g.emit(fans[fi][rep], stars_[si][rep], "message", t)
        add_negative(ctx, "fan_group", np.r_[fans, stars_])
    gig_viral(ctx, rng, used)
    code = g.add("bonus_code", 1)[0]
    acc, t, new, t_new = campaign_redeemers(ctx, rng, "client", cl, w["c_act"] ** 0.5, used)
    g.emit(acc, code, "use_bonus", t)
    post = rng.random(new.size) < 0.5
    jobs = g.add("job", int(post.sum()))
    tj = ctx.times(
        rng,
        t_new[post] + 5 * MIN,
        np.minimum(t_new[post] + 3 * DAY, ctx.end),
        ctx.market_of(new[post]),
    )
    g.emit(new[post], jobs, "open_job", tj)
    add_negative(ctx, "promo_campaign", np.r_[acc, code])
    for _ in range(2 + (ctx.n_events >= 500_000)):
        gig_team(ctx, rng, used)
    ctx.taken = np.zeros(g.n, bool)
    for _, _, idx in ctx.negatives:
        ctx.taken[idx] = True


def gig_viral(ctx: Ctx, rng, used: np.ndarray) -> None:
    """A famous client's job visited by thousands of freelancers within hours."""
    w, g = ctx.w, ctx.g
    c = int(rng.choice(np.flatnonzero(~used[w["clients"]])))
    client = w["clients"][c]
    used[client] = True
    t0 = ctx.times(rng, ctx.start + 6 * DAY, ctx.end - 8 * DAY, w["c_mk"][c])[0]
    job = g.add("job", 1)[0]
    g.emit(client, job, "open_job", t0)
    n = min(int(0.008 * ctx.n_events + 500), w["nf"] // 3)
    free = ~used[w["freelancers"]]
    wt = w["f_act"] ** 0.5 * free
    who = w["freelancers"][rng.choice(w["nf"], n, replace=False, p=wt / wt.sum())]
    used[who] = True
    t = burst_times(ctx, rng, t0 + 10 * MIN, n, 4.0, 5.0)
    g.emit(who, job, "visit", t)
    ap = np.flatnonzero(rng.random(n) < 0.15)
    g.emit(who[ap], job, "apply", t[ap] + (rng.uniform(3, 90, ap.size) * MIN).astype(np.int64))
    sl = rng.choice(ap, min(25, ap.size), replace=False)
    g.emit(
        np.full(sl.size, client),
        who[sl],
        "favorite",
        ctx.times(rng, t[sl] + 2 * HOUR, t[sl] + 2 * DAY, w["c_mk"][c]),
    )
    add_negative(ctx, "viral_burst", np.r_[who, job, client])


def gig_team(ctx: Ctx, rng, used: np.ndarray) -> None:
    """5-10 freelancers subcontracting each other on one client's big project."""
    w, g = ctx.w, ctx.g
    cat = int(rng.choice(ctx.C, p=ctx.spec["categories"]))
    cand = np.flatnonzero((w["f_cat"] == cat) & ~used[w["freelancers"]])
    team = w["freelancers"][rng.choice(cand, int(rng.integers(5, 11)), replace=False)]
    c = int(rng.choice(np.flatnonzero(~used[w["clients"]])))
    client = w["clients"][c]
    used[team] = True
    used[client] = True
    t0 = ctx.times(rng, ctx.start + DAY, ctx.start + 6 * DAY, w["c_mk"][c])[0]
    job = g.add("job", 1)[0]
    g.emit(client, job, "open_job", t0)
    lead = team[:1]
    t_h = ctx.times(rng, t0 + 6 * HOUR, t0 + 2 * DAY, w["c_mk"][c])
    ms = int(rng.integers(3, 6))
    gaps = (rng.uniform(3, 8, ms) * DAY).astype(np.int64)
    t_m = np.minimum(t_h[0] + np.cumsum(gaps), ctx.end - DAY - np.arange(ms)[::-1] * HOUR)
    amt = np.round(rng.uniform(800, 4000, ms), 0)
    g.emit(np.full(ms, client), np.repeat(lead, ms), "hire", np.r_[t_h, t_m[:-1]], amt)
    g.emit(np.repeat(lead, ms), job, "deliver", t_m - 6 * HOUR)
    g.emit(np.full(ms, client), np.repeat(lead, ms), "release_funds", t_m, amt)
    sub = np.repeat(team[1:], rng.integers(2, 5, team.size - 1))
    t_s = ctx.times(rng, t_h[0] + DAY, ctx.end - 5 * DAY, ctx.market_of(lead).repeat(sub.size))
    amount = np.round(rng.uniform(150, 1500, sub.size), 0)
    gig_contract(
        ctx,
        rng,
        np.repeat(lead, sub.size),
        sub,
        np.full(sub.size, job),
        t_s,
        amount,
        p_grade=(0.95, 0.9),
    )
    i, j = np.nonzero(rng.random((team.size, team.size)) < 0.7)
    ok = i != j
    i, j = team[i[ok]], team[j[ok]]
    g.emit(i, j, "endorse", ctx.times(rng, t0 + 2 * DAY, ctx.end, ctx.market_of(i)))
    rep = np.repeat(np.arange(i.size), rng.poisson(4.0, i.size))
    g.emit(i[rep], j[rep], "message", ctx.times(rng, t0, ctx.end, ctx.market_of(i[rep])))
    g.emit(
        np.repeat(client, team.size),
        team,
        "message",
        ctx.times(rng, t0, ctx.end, np.full(team.size, w["c_mk"][c])),
    )
    add_negative(ctx, "tight_team", np.r_[team, client, job])


# ----------------------------------------------------------------------------- ring helpers


def ring_window(ctx: Ctx, rng, ring: Ring) -> None:
    """Slow rings act over 14-28 days with the daily rhythm; fast ones in 2-6 bursts of hours."""
    span = rng.uniform(14, 28) if ring.slow else rng.uniform(1.5, 8)
    t0 = ctx.start + int(rng.uniform(1.5, ctx.days - span - 2.0) * DAY)
    ring.t0, ring.t1 = t0, t0 + int(span * DAY)
    if not ring.slow:
        k = int(rng.integers(2, 7))
        starts = np.sort(ctx.times(rng, np.full(k, t0), ring.t1 - 5 * HOUR, ring.market))
        ring.bursts = (starts, (rng.uniform(1, 5, k) * HOUR).astype(np.int64))


def ring_times(ctx: Ctx, rng, ring: Ring, n: int) -> np.ndarray:
    if ring.slow:
        return ctx.times(rng, np.full(n, ring.t0), ring.t1, ring.market)
    starts, lens = ring.bursts
    b = rng.integers(0, starts.size, n)
    return starts[b] + (rng.random(n) * lens[b]).astype(np.int64)


def delay(rng, ring: Ring, n: int, fast: tuple, slow: tuple) -> np.ndarray:
    """A follow-up delay in minutes: short in bursts, longer for slow rings."""
    lo, hi = slow if ring.slow else fast
    return (rng.uniform(lo, hi, n) * MIN).astype(np.int64)


def n_hijacked(n: int) -> int:
    return int(round(0.2 * n))


def ring_accounts(ctx: Ctx, rng, ring: Ring, typ: str, n: int, style: str, created=None):
    """``n`` ring accounts: 20 % hijacked organic accounts, the rest new (fresh or aged)."""
    n_h = n_hijacked(n)
    pool = ctx.pools[typ]
    pool = pool[~ctx.taken[pool]]
    hij = np.sort(rng.choice(pool, n_h, replace=False))
    ctx.taken[hij] = True
    n_new = n - n_h
    mk = np.where(
        rng.random(n_new) < 0.85, ring.market, rng.choice(ctx.M, n_new, p=ctx.spec["share"])
    )
    if created is None and style == "fresh":
        created = ring.t0 - (rng.uniform(0.3, 45, n_new) * DAY).astype(np.int64)
    elif created is None:
        created = ctx.start - (rng.uniform(200, 1800, n_new) * DAY).astype(np.int64)
    new = ctx.g.add(typ, n_new, mk, created)
    ring.members.append(new)
    ring.hijacked.append(np.zeros(n_new, bool))
    ring.members.append(hij)
    ring.hijacked.append(np.ones(n_h, bool))
    return np.r_[new, hij]


def add_members(ring: Ring, idx) -> None:
    idx = np.atleast_1d(np.asarray(idx, np.int64))
    ring.members.append(idx)
    ring.hijacked.append(np.zeros(idx.size, bool))


def pick_free(ctx: Ctx, rng, cand: np.ndarray, k: int) -> np.ndarray:
    cand = cand[~ctx.taken[cand]]
    out = np.sort(rng.choice(cand, min(k, cand.size), replace=False))
    ctx.taken[out] = True
    return out


def ring_devices(
    ctx: Ctx, rng, ring: Ring, members: np.ndarray, mode: str, per_dev=(5, 15), t=None
):
    """Shared devices (``pool``: 5-15 accounts each, logins around ring activity) or none.

    With ``none`` every new account logs in from a device of its own over its lifetime.
    """
    n = members.size
    hij = np.isin(
        members, np.concatenate([m[h] for m, h in zip(ring.members, ring.hijacked, strict=True)])
    )
    if mode == "none":
        new = members[~hij]
        lo = np.maximum(ctx.created_of(new) + MIN, ctx.start)
        ctx.logins(rng, new, ctx.new_device(new.size), lo, ctx.end, 3.0)
        return None
    n_dev = max(1, int(math.ceil(n / rng.uniform(*per_dev))))
    devices = ctx.new_device(n_dev)
    assign = devices[rng.permutation(np.arange(n) % n_dev)]
    k = 1 + rng.poisson(2.0, n)
    rep = np.repeat(np.arange(n), k)
    base = ring_times(ctx, rng, ring, rep.size) if t is None else t[rep]
    ts = np.maximum(
        base - (rng.uniform(1, 30, rep.size) * MIN).astype(np.int64),
        ctx.created_of(members[rep]) + MIN,
    )
    act = "session_start" if ctx.platform == "appstore" else "log_on"
    ctx.g.emit(members[rep], assign[rep], act, ts)
    ring.targets.append(devices)
    ring.info["shared_devices"] = ring.info.get("shared_devices", 0) + int(n_dev)
    return assign


def fill_matrix(rng, ring: Ring, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each member hits a share ``fill`` (40-100 %) of the ring's ``k`` targets, at least one."""
    fill = float(rng.uniform(0.4, 1.0))
    ring.info["fill"] = round(fill, 3)
    hits = rng.random((n, k)) < fill
    hits[np.arange(n), rng.integers(0, k, n)] = True
    return np.nonzero(hits)


def camouflage(ctx: Ctx, rng, ring: Ring, first_chunk: int) -> None:
    """New ring accounts add ordinary events on popular targets, about half their ring events."""
    members = np.concatenate(ring.members)
    hij = np.concatenate(ring.hijacked)
    types = ctx.g.attrs()[0]
    ok = ~hij & np.isin(types[members], [ctx.g.tcode[t] for t in ctx.camo_types])
    members = members[ok]
    counts = np.bincount(
        np.concatenate([c[0] for c in ctx.g.chunks[first_chunk:]]), minlength=ctx.g.n
    )
    k = rng.poisson(0.5 * counts[members] * rng.uniform(0.6, 1.4, members.size))
    rep = np.repeat(members, k)
    if rep.size == 0:
        return
    lo = np.maximum(ctx.created_of(rep) + 5 * MIN, ctx.start)
    t = ctx.times(rng, lo, ctx.end, ctx.market_of(rep))
    tag = ctx.g.tag
    ctx.g.tag = CAMO
    if ctx.platform == "appstore":
        appstore_camouflage(ctx, rng, rep, t)
    else:
        gig_camouflage(ctx, rng, rep, t)
    ctx.g.tag = tag


def appstore_camouflage(ctx: Ctx, rng, rep: np.ndarray, t: np.ndarray) -> None:
    w, g = ctx.w, ctx.g
    pg, pw, pid = app_pool(ctx)
    mk = ctx.market_of(rep)
    a = pid[grouped_choice(rng, ctx.C * ctx.M + mk, pg, pw, ctx.C * ctx.M + ctx.M)]
    t = np.maximum(t, np.where(w["a_new"][a], w["a_rel"][a] + HOUR, 0))
    u = rng.random(rep.size)
    for action, lo, hi in (("install", 0, 0.3), ("launch", 0.3, 0.82), ("star_rating", 0.82, 0.93)):
        s = (u >= lo) & (u < hi)
        amount = (
            stars(rng, int(s.sum()), (0.12, 0.05, 0.08, 0.2, 0.55))
            if action == "star_rating"
            else None
        )
        g.emit(rep[s], w["apps"][a[s]], action, t[s], amount)
    s = u >= 0.93
    g.emit(rep[s], w["devs"][w["a_dev"][a[s]]], "track", t[s])


def gig_camouflage(ctx: Ctx, rng, rep: np.ndarray, t: np.ndarray) -> None:
    w, g = ctx.w, ctx.g
    recv = ctx.recv
    jw = recv[w["jobs"]] + 1.0
    j = rng.choice(w["jobs"].size, rep.size, p=jw / jw.sum())
    tj = np.maximum(t, w["t_post"][j] + 10 * MIN)
    fw = recv[w["freelancers"]] + 1.0
    f = w["freelancers"][rng.choice(w["nf"], rep.size, p=fw / fw.sum())]
    is_cl = ctx.g.attrs()[0][rep] == ctx.g.tcode["client"]
    u = rng.random(rep.size)
    plan = (
        (is_cl & (u < 0.5), f, "favorite", t),
        (is_cl & (u >= 0.5) & (u < 0.7), f, "message", t),
        (is_cl & (u >= 0.7), w["jobs"][j], "visit", tj),
        (~is_cl & (u < 0.5), w["jobs"][j], "visit", tj),
        (~is_cl & (u >= 0.5) & (u < 0.85), w["jobs"][j], "apply", tj),
        (~is_cl & (u >= 0.85) & (f != rep), f, "endorse", t),
    )
    for s, tgt, action, ts in plan:
        g.emit(rep[s], tgt[s], action, ts[s])


# ----------------------------------------------------------------------------- appstore rings


def new_developer(ctx: Ctx, rng, ring: Ring, n_apps: int):
    """A fresh developer account (a ring member) releasing ``n_apps`` new apps before the ring."""
    created = ring.t0 - int(rng.uniform(20, 150) * DAY)
    dev = ctx.g.add("developer", 1, ring.market, created)
    apps = ctx.g.add("app", n_apps)
    early = max(ctx.start + HOUR, created + HOUR)
    t_rel = np.maximum(ring.t0 - (rng.uniform(1, 48, n_apps) * HOUR).astype(np.int64), early)
    ctx.g.emit(np.repeat(dev, n_apps), apps, "release", t_rel)
    ctx.logins(rng, dev, ctx.new_device(1), max(created, ctx.start), ctx.end, 6.0)
    add_members(ring, dev)
    return dev[0], apps, t_rel


def small_developer(
    ctx: Ctx, rng, ring: Ring, n_apps: int, cat: int | None = None, min_apps: int = 1
):
    """An organic small developer (not in an agency) who pays for the ring; a ring member."""
    w = ctx.w
    recv = ctx.recv[w["apps"]]
    rev = np.bincount(w["a_dev"], weights=recv, minlength=w["nd"])
    n_own = np.bincount(w["a_dev"], weights=~ctx.taken[w["apps"]], minlength=w["nd"])
    _, inv, cnt = np.unique(w["payee"], return_inverse=True, return_counts=True)
    free = ~ctx.taken[w["devs"]] & (cnt[inv] == 1)
    ok = free & (n_own >= min_apps) & (rev < np.quantile(rev, 0.6))
    if not ok.any():
        ok = (
            free & (n_own >= min_apps)
            if (free & (n_own >= min_apps)).any()
            else free & (n_own >= 1)
        )
    if cat is not None and (ok & (w["d_cat"] == cat)).any():
        ok &= w["d_cat"] == cat
    d = int(pick_free(ctx, rng, w["devs"][ok], 1)[0] - w["devs"][0])
    mine = np.flatnonzero((w["a_dev"] == d) & ~ctx.taken[w["apps"]])
    mine = mine[np.argsort(recv[mine], kind="stable")][:n_apps]
    add_members(ring, w["devs"][d])
    ring.info["client_developer_existing"] = True
    return d, w["apps"][mine]


def beneficiary(ctx: Ctx, rng, ring: Ring, n_apps: int):
    """New developer with new apps or a small organic developer with its own apps."""
    if rng.random() < 0.5:
        _, apps, t_rel = new_developer(ctx, rng, ring, n_apps)
        return apps, t_rel
    _, apps = small_developer(ctx, rng, ring, n_apps)
    return apps, np.full(apps.size, ctx.start)


def cash_out(ctx: Ctx, rng, ring: Ring, account: int, payee: int, total: float) -> None:
    k = int(rng.integers(1, 4))
    lo = min(ring.t1 + 2 * HOUR, ctx.end - 2 * DAY)
    t = ctx.times(rng, np.full(k, lo), min(lo + 3 * DAY, ctx.end - HOUR), ctx.market_of(account))
    ctx.g.emit(
        np.full(k, account),
        payee,
        "withdraw_to",
        t,
        np.round(total / k * rng.uniform(0.8, 1.2, k), 2),
    )
    ring.targets.append(np.atleast_1d(payee))


def ring_rating_inflation(ctx: Ctx, rng, ring: Ring) -> None:
    g = ctx.g
    n_apps = int(rng.integers(2, 7))
    own = rng.random() < 0.5
    ring.variant = "own_apps" if own else "paid_boost"
    if own:
        _, apps, t_rel = new_developer(ctx, rng, ring, n_apps)
    else:
        for _ in range(int(rng.integers(1, 3))):
            _, a = small_developer(ctx, rng, ring, n_apps, min_apps=2)
            ring.targets.append(a)
        apps = np.concatenate(ring.targets)
        ring.targets = []
        t_rel = np.full(apps.size, ctx.start)
    n_dev = sum(m.size for m in ring.members)
    users = ring_accounts(
        ctx, rng, ring, "user", max(3, ring.size - n_dev), str(rng.choice(["fresh", "aged"]))
    )
    ui, ai = fill_matrix(rng, ring, users.size, apps.size)
    t = np.maximum(ring_times(ctx, rng, ring, ui.size), t_rel[ai] + 30 * MIN)
    g.emit(users[ui], apps[ai], "install", t)
    tr = t + delay(rng, ring, ui.size, (2, 120), (60, 4320))
    g.emit(users[ui], apps[ai], "star_rating", tr, np.where(rng.random(ui.size) < 0.88, 5.0, 4.0))
    s = rng.random(ui.size) < rng.uniform(0.1, 0.5)
    tw = tr[s] + delay(rng, ring, int(s.sum()), (1, 30), (5, 600))
    g.emit(users[ui][s], apps[ai][s], "write_up", tw, 5.0)
    rep = np.repeat(np.arange(ui.size), rng.integers(0, 3, ui.size))
    g.emit(
        users[ui][rep],
        apps[ai][rep],
        "launch",
        t[rep] + delay(rng, ring, rep.size, (5, 1440), (60, 7200)),
    )
    ring_devices(ctx, rng, ring, users, "pool" if rng.random() < 0.5 else "none")
    ring.targets.append(apps)


def ring_install_farm(ctx: Ctx, rng, ring: Ring) -> None:
    g = ctx.g
    apps, t_rel = beneficiary(ctx, rng, ring, int(rng.integers(1, 5)))
    ring.variant = "new_client" if t_rel[0] > ctx.start else "small_client"
    n = max(3, ring.size - 1)
    n_new = n - n_hijacked(n)
    created = ring.t0 - (rng.uniform(0.2, 10, n_new) * DAY).astype(np.int64)
    users = ring_accounts(ctx, rng, ring, "user", n, "batch", created=created)
    ui, ai = fill_matrix(rng, ring, n, apps.size)
    t = np.maximum(ring_times(ctx, rng, ring, ui.size), t_rel[ai] + 30 * MIN)
    g.emit(users[ui], apps[ai], "install", t)
    days = int(rng.integers(2, 8))
    ring.info["retention_days"] = days
    rep = np.repeat(np.arange(ui.size), days)
    j = np.tile(np.arange(days), ui.size)
    tl = t[rep] + j * DAY + (rng.normal(0, 40, rep.size) * MIN).astype(np.int64) + 3 * MIN
    tl = np.maximum(tl, t[rep] + MIN)
    g.emit(users[ui][rep], apps[ai][rep], "launch", tl)
    r = rng.random(ui.size) < 0.1
    g.emit(
        users[ui][r],
        apps[ai][r],
        "star_rating",
        t[r] + delay(rng, ring, int(r.sum()), (5, 120), (30, 600)),
        5.0,
    )
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, ui, t)
    ring_devices(ctx, rng, ring, users, "pool", per_dev=(5, 20), t=first)
    ring.targets.append(apps)


def ring_referral_abuse(ctx: Ctx, rng, ring: Ring) -> None:
    g = ctx.g
    if rng.random() < 0.5:
        dev, apps, t_rel = new_developer(ctx, rng, ring, 1)
        ring.variant = "new_dev"
    else:
        d, apps = small_developer(ctx, rng, ring, 1)
        dev, t_rel = ctx.w["devs"][d], np.full(1, ctx.start)
        ring.variant = "established_dev"
    n = max(3, ring.size - 1)
    t = np.maximum(ring_times(ctx, rng, ring, n), t_rel[0] + HOUR)
    n_new = n - n_hijacked(n)
    created = t[:n_new] - (rng.uniform(5, 180, n_new) * MIN).astype(np.int64)
    users = ring_accounts(ctx, rng, ring, "user", n, "brand_new", created=created)
    n_codes = max(1, int(math.ceil(n / rng.uniform(3, 10))))
    codes = g.add("invite_code", n_codes)
    t_mint = np.maximum(
        ring.t0 - (rng.uniform(1, 24, n_codes) * HOUR).astype(np.int64), ctx.start + MIN
    )
    g.emit(np.full(n_codes, dev), codes, "mint_code", np.maximum(t_mint, ctx.created_of(dev) + MIN))
    code_of = codes[rng.permutation(np.arange(n) % n_codes)]
    ring_devices(ctx, rng, ring, users, "pool", per_dev=(3, 12), t=t)
    g.emit(users, code_of, "apply_code", t)
    two = np.flatnonzero(rng.random(n) < 0.25)
    g.emit(
        users[two],
        codes[rng.integers(0, n_codes, two.size)],
        "apply_code",
        t[two] + delay(rng, ring, two.size, (10, 240), (60, 2880)),
    )
    ti = t + delay(rng, ring, n, (2, 30), (2, 120))
    g.emit(users, apps[0], "install", ti)
    rep = np.repeat(np.arange(n), rng.integers(1, 3, n))
    g.emit(
        users[rep], apps[0], "launch", ti[rep] + delay(rng, ring, rep.size, (1, 1440), (10, 2880))
    )
    ring.info["codes"] = int(n_codes)
    ring.targets += [codes, apps]


def ring_rating_bombing(ctx: Ctx, rng, ring: Ring) -> None:
    w, g = ctx.w, ctx.g
    recv = ctx.recv[w["apps"]]
    order = np.argsort(-recv, kind="stable")[20:150]
    order = order[~ctx.taken[w["apps"][order]] & ~w["a_new"][order]]
    v = int(rng.choice(order))
    mine = np.flatnonzero((w["a_dev"] == w["a_dev"][v]) & ~ctx.taken[w["apps"]] & ~w["a_new"])
    mine = mine[np.argsort(-recv[mine], kind="stable")][: int(rng.integers(1, 4))]
    victims = w["apps"][np.unique(np.r_[v, mine])]
    ctx.taken[victims] = True
    ctx.taken[w["devs"][w["a_dev"][v]]] = True
    boost = rng.random() < 0.5
    ring.variant = "with_boost" if boost else "pure"
    boosted = (
        small_developer(ctx, rng, ring, int(rng.integers(1, 3)), cat=int(w["a_cat"][v]))[1]
        if boost
        else np.zeros(0, np.int64)
    )
    n = max(3, ring.size - int(boost))
    users = ring_accounts(ctx, rng, ring, "user", n, "aged" if rng.random() < 0.7 else "fresh")
    ui, ai = fill_matrix(rng, ring, n, victims.size)
    t = ring_times(ctx, rng, ring, ui.size)
    inst = rng.random(ui.size) < 0.6
    g.emit(
        users[ui][inst],
        victims[ai][inst],
        "install",
        t[inst] - delay(rng, ring, int(inst.sum()), (5, 60), (60, 1440)),
    )
    g.emit(users[ui], victims[ai], "star_rating", t, np.where(rng.random(ui.size) < 0.8, 1.0, 2.0))
    s = rng.random(ui.size) < rng.uniform(0.2, 0.6)
    g.emit(
        users[ui][s],
        victims[ai][s],
        "write_up",
        t[s] + delay(rng, ring, int(s.sum()), (1, 20), (5, 300)),
        1.0,
    )
    if boost and boosted.size:
        b = np.flatnonzero(rng.random(n) < 0.7)
        tb = ring_times(ctx, rng, ring, b.size)
        ab = boosted[rng.integers(0, boosted.size, b.size)]
        g.emit(users[b], ab, "install", tb - 10 * MIN)
        g.emit(users[b], ab, "star_rating", tb, 5.0)
        ring.targets.append(boosted)
    ring_devices(ctx, rng, ring, users, "pool" if rng.random() < 0.25 else "none")
    ring.targets.append(victims)


def ring_iap_fraud(ctx: Ctx, rng, ring: Ring) -> None:
    g = ctx.g
    apps, t_rel = beneficiary(ctx, rng, ring, int(rng.integers(1, 3)))
    ring.variant = "new_dev" if t_rel[0] > ctx.start else "small_dev"
    dev = ring.members[0][0]
    n = max(3, ring.size - 1)
    users = ring_accounts(ctx, rng, ring, "user", n, "fresh")
    tokens = g.add("pay_token", min(n, int(rng.integers(2, 6))))
    t = np.maximum(ring_times(ctx, rng, ring, n), t_rel.max() + 30 * MIN)
    app = apps[rng.integers(0, apps.size, n)]
    g.emit(users, app, "install", t)
    k = 1 + (rng.random(n) < 0.3)
    rep = np.repeat(np.arange(n), k)
    g.emit(
        users[rep],
        tokens[rng.permutation(np.arange(rep.size) % tokens.size)],
        "attach_instrument",
        t[rep] + delay(rng, ring, rep.size, (1, 10), (1, 60)),
    )
    rep = np.repeat(np.arange(n), rng.integers(1, 7, n))
    amount = rng.choice([19.99, 49.99, 99.99], rep.size, p=[0.3, 0.4, 0.3])
    g.emit(
        users[rep],
        app[rep],
        "iap",
        t[rep] + delay(rng, ring, rep.size, (12, 180), (30, 4320)),
        amount,
    )
    payee = (
        g.add("iban", 1)[0]
        if ring.variant == "new_dev"
        else ctx.w["payee"][int(dev - ctx.w["devs"][0])]
    )
    cash_out(ctx, rng, ring, dev, payee, 0.7 * float(amount.sum()))
    ring_devices(
        ctx, rng, ring, users, "pool" if rng.random() < 0.5 else "none", per_dev=(4, 12), t=t
    )
    ring.targets += [tokens, apps]


# ----------------------------------------------------------------------------- gig rings


def tiny_contract(
    ctx: Ctx, rng, ring: Ring, client, fl, t_post, amount, fund=None, back=0.7, tip=0.0
):
    """A ring's micro-contract: post, apply, hire, deliver, pay and five stars within hours.

    Slow rings stretch each step over hours to days. Returns the jobs and payment times.
    """
    g = ctx.g
    n = client.size
    jobs = g.add("job", n)
    g.emit(client, jobs, "open_job", t_post)
    ta = t_post + delay(rng, ring, n, (5, 120), (60, 2880))
    g.emit(fl, jobs, "visit", ta - delay(rng, ring, n, (1, 4), (2, 30)))
    g.emit(fl, jobs, "apply", ta)
    th = ta + delay(rng, ring, n, (5, 90), (30, 1440))
    g.emit(client, fl, "hire", th, amount)
    if fund is not None:
        g.emit(client, fund, "fund_with", th - MIN, amount)
    td = th + delay(rng, ring, n, (60, 600), (240, 4320))
    rep = np.repeat(np.arange(n), rng.integers(1, 4, n))
    tm = th[rep] + (rng.random(rep.size) * (td[rep] - th[rep])).astype(np.int64)
    to_f = rng.random(rep.size) < 0.5
    g.emit(
        np.where(to_f, client[rep], fl[rep]), np.where(to_f, fl[rep], client[rep]), "message", tm
    )
    g.emit(fl, jobs, "deliver", td)
    tr = td + delay(rng, ring, n, (5, 60), (30, 1440))
    g.emit(client, fl, "release_funds", tr, amount)
    tg = tr + delay(rng, ring, n, (2, 60), (30, 2880))
    g.emit(client, fl, "grade", tg, np.where(rng.random(n) < 0.95, 5.0, 4.0))
    b = rng.random(n) < back
    g.emit(
        fl[b], client[b], "grade", tg[b] + delay(rng, ring, int(b.sum()), (1, 60), (10, 1440)), 5.0
    )
    t = rng.random(n) < tip
    g.emit(client[t], fl[t], "tip", tg[t] + MIN, rng.choice([5.0, 10.0], int(t.sum())))
    return jobs, tr


def ring_self_hiring(ctx: Ctx, rng, ring: Ring) -> None:
    g = ctx.g
    n_fl = 1 if rng.random() < 0.6 else int(rng.integers(2, 4))
    ring.variant = "single" if n_fl == 1 else "shared_puppets"
    fls = ring_accounts(ctx, rng, ring, "freelancer", n_fl, "fresh")
    n_cl = max(3, ring.size - n_fl)
    clients = ring_accounts(ctx, rng, ring, "client", n_cl, str(rng.choice(["fresh", "aged"])))
    funds = g.add("funding_src", int(rng.integers(1, 4)))
    fund_of = funds[rng.permutation(np.arange(n_cl) % funds.size)]
    ci, fi = fill_matrix(rng, ring, n_cl, n_fl)
    rep = np.repeat(np.arange(ci.size), 1 + (rng.random(ci.size) < 0.3))
    c = ci[rep]
    amount = rng.choice([5.0, 10.0, 15.0, 20.0, 25.0, 30.0], rep.size)
    t = ring_times(ctx, rng, ring, rep.size)
    jobs, _ = tiny_contract(
        ctx, rng, ring, clients[c], fls[fi[rep]], t, amount, fund_of[c], 0.7, 0.2
    )
    ring_devices(ctx, rng, ring, clients, "pool" if rng.random() < 0.6 else "none", per_dev=(3, 10))
    ring_devices(ctx, rng, ring, fls, "none")
    ring.targets += [funds, jobs]


def ring_endorsement(ctx: Ctx, rng, ring: Ring) -> None:
    g = ctx.g
    n = ring.size
    members = ring_accounts(ctx, rng, ring, "freelancer", n, str(rng.choice(["fresh", "aged"])))
    fill = float(rng.uniform(0.4, 1.0))
    p = min(fill, 8.0 / (n - 1))
    ring.info["fill"] = round(p, 3)
    i, j = np.triu_indices(n, 1)
    keep = rng.random(i.size) < p
    lonely = np.setdiff1d(np.arange(n), np.r_[i[keep], j[keep]])
    other = (lonely + rng.integers(1, n, lonely.size)) % n
    i, j = np.r_[i[keep], lonely], np.r_[j[keep], other]
    t = ring_times(ctx, rng, ring, i.size)
    g.emit(members[i], members[j], "endorse", t)
    b = rng.random(i.size) < 0.9
    g.emit(
        members[j[b]],
        members[i[b]],
        "endorse",
        t[b] + delay(rng, ring, int(b.sum()), (2, 180), (60, 4320)),
    )
    rep = np.repeat(np.arange(i.size), rng.integers(1, 4, i.size))
    fw = rng.random(rep.size) < 0.5
    src, dst = np.where(fw, i[rep], j[rep]), np.where(fw, j[rep], i[rep])
    g.emit(members[src], members[dst], "message", ring_times(ctx, rng, ring, rep.size))
    ring.variant = "with_grades" if rng.random() < 0.5 else "plain"
    if ring.variant == "with_grades":
        c = np.flatnonzero(rng.random(i.size) < 0.3)
        amount = rng.choice([10.0, 15.0, 20.0, 30.0, 40.0], c.size)
        jobs, _ = tiny_contract(
            ctx,
            rng,
            ring,
            members[i[c]],
            members[j[c]],
            ring_times(ctx, rng, ring, c.size),
            amount,
            None,
            0.9,
        )
        ring.targets.append(jobs)
    ring_devices(ctx, rng, ring, members, "pool" if rng.random() < 0.2 else "none")
    ring.targets.append(members)


def ring_tip_laundering(ctx: Ctx, rng, ring: Ring) -> None:
    g = ctx.g
    n_fl = int(rng.integers(1, 3))
    fls = ring_accounts(ctx, rng, ring, "freelancer", n_fl, "fresh")
    n_cl = max(3, ring.size - n_fl)
    tippers = ring_accounts(
        ctx, rng, ring, "client", n_cl, "aged" if rng.random() < 0.6 else "fresh"
    )
    funds = g.add("funding_src", int(rng.integers(1, 4)))
    fund_of = funds[rng.permutation(np.arange(n_cl) % funds.size)]
    remit = g.add("remit_id", 1)[0]
    ci, fi = fill_matrix(rng, ring, n_cl, n_fl)
    t0 = ring_times(ctx, rng, ring, ci.size)
    ring.variant = "with_contracts" if rng.random() < 0.5 else "bare"
    if ring.variant == "with_contracts":
        amount = rng.choice([10.0, 15.0, 20.0], ci.size)
        jobs, t0 = tiny_contract(ctx, rng, ring, tippers[ci], fls[fi], t0, amount, fund_of[ci], 0.5)
        ring.targets.append(jobs)
    g.emit(tippers[ci], fls[fi], "message", t0 + delay(rng, ring, ci.size, (1, 20), (10, 600)))
    rep = np.repeat(np.arange(ci.size), rng.integers(1, 4, ci.size))
    t = np.maximum(ring_times(ctx, rng, ring, rep.size), t0[rep] + 30 * MIN)
    amount = rng.choice([50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 500.0], rep.size)
    g.emit(
        tippers[ci[rep]],
        fund_of[ci[rep]],
        "fund_with",
        t - delay(rng, ring, rep.size, (1, 10), (1, 60)),
        amount,
    )
    g.emit(tippers[ci[rep]], fls[fi[rep]], "tip", t, amount)
    for k, f in enumerate(fls):
        cash_out(ctx, rng, ring, f, remit, 0.95 * float(amount[fi[rep] == k].sum()))
    ring_devices(ctx, rng, ring, tippers, "pool" if rng.random() < 0.3 else "none", per_dev=(4, 12))
    ring_devices(ctx, rng, ring, fls, "none")
    ring.targets.append(funds)


def ring_account_farm(ctx: Ctx, rng, ring: Ring) -> None:
    w, g = ctx.w, ctx.g
    n = ring.size
    n_new = n - n_hijacked(n)
    created = ring.t0 - (rng.uniform(0.5, 8, n_new) * DAY).astype(np.int64)
    members = ring_accounts(ctx, rng, ring, "freelancer", n, "batch", created=created)
    cat = int(rng.choice(ctx.C, p=ctx.spec["categories"]))
    ok = (w["j_cat"] == cat) & (w["t_post"] > ring.t0 - 5 * DAY) & (w["t_post"] < ring.t1 - HOUR)
    cand = np.flatnonzero(ok & ~ctx.taken[w["jobs"]])
    k = rng.integers(3, 16, n)
    rep = np.repeat(np.arange(n), k)
    job = rng.choice(cand, rep.size)
    t = np.maximum(ring_times(ctx, rng, ring, rep.size), w["t_post"][job] + 10 * MIN)
    g.emit(members[rep], w["jobs"][job], "visit", t - delay(rng, ring, rep.size, (1, 10), (1, 30)))
    g.emit(members[rep], w["jobs"][job], "apply", t)
    hired = first_per_group(rep)
    hired = hired[rng.random(hired.size) < 0.25]
    jc = w["j_client"][job[hired]]
    t_h = ctx.times(rng, t[hired] + HOUR, t[hired] + 2 * DAY, w["c_mk"][jc])
    amount = np.round(rng.lognormal(np.log(60.0), 0.6, hired.size), 0)
    gig_contract(
        ctx,
        rng,
        w["clients"][jc],
        members[rep[hired]],
        w["jobs"][job[hired]],
        t_h,
        amount,
        fund=w["c_fund"][jc],
    )
    ring_devices(ctx, rng, ring, members, "pool", per_dev=(5, 15))
    remits = g.add("remit_id", int(rng.integers(1, 3)))
    rw = np.repeat(np.arange(n), rng.integers(1, 4, n))
    tw = ring_times(ctx, rng, ring, rw.size) + delay(rng, ring, rw.size, (30, 1440), (60, 2880))
    g.emit(
        members[rw],
        remits[rw % remits.size],
        "withdraw_to",
        tw,
        np.round(rng.uniform(20, 200, rw.size), 2),
    )
    ring.variant = "spam_apply"
    ring.targets.append(remits)


def ring_bonus_farming(ctx: Ctx, rng, ring: Ring) -> None:
    w, g = ctx.w, ctx.g
    n_fl = 1 if rng.random() < 0.7 else 2
    ring.variant = "single_farmer" if n_fl == 1 else "farmer_pair"
    fls = ring_accounts(ctx, rng, ring, "freelancer", n_fl, "fresh")
    code = g.add("bonus_code", 1)[0]
    value = float(rng.choice([20.0, 25.0, 50.0]))
    n = max(3, ring.size - n_fl)
    t = ring_times(ctx, rng, ring, n)
    n_new = n - n_hijacked(n)
    created = t[:n_new] - (rng.uniform(5, 180, n_new) * MIN).astype(np.int64)
    clients = ring_accounts(ctx, rng, ring, "client", n, "brand_new", created=created)
    ring_devices(ctx, rng, ring, clients, "pool", per_dev=(3, 12), t=t)
    ring_devices(ctx, rng, ring, fls, "none")
    g.emit(clients, code, "use_bonus", t)
    fl = fls[rng.integers(0, n_fl, n)]
    jobs, _ = tiny_contract(
        ctx, rng, ring, clients, fl, t + delay(rng, ring, n, (2, 30), (5, 240)), value, None, 0.3
    )
    org = pick_free(ctx, rng, w["clients"], int(rng.integers(3, 16)))
    ctx.taken[org] = False
    g.emit(org, code, "use_bonus", ctx.times(rng, ctx.start, ctx.end, ctx.market_of(org)))
    remit = g.add("remit_id", 1)[0]
    for f in fls:
        cash_out(ctx, rng, ring, f, remit, 0.9 * value * float((fl == f).sum()))
    ring.targets += [np.atleast_1d(code), jobs]


RING_FUNCS = {
    "rating_inflation": ring_rating_inflation,
    "install_farm": ring_install_farm,
    "referral_abuse": ring_referral_abuse,
    "rating_bombing": ring_rating_bombing,
    "iap_fraud": ring_iap_fraud,
    "self_hiring": ring_self_hiring,
    "endorsement_ring": ring_endorsement,
    "tip_laundering": ring_tip_laundering,
    "account_farm": ring_account_farm,
    "bonus_farming": ring_bonus_farming,
}


def plant_rings(ctx: Ctx, rng, per_pattern: int = 3) -> None:
    """Rings of every pattern in shuffled order; ~30 % slow; sizes log-uniform 5-80."""
    g = ctx.g
    patterns = ctx.spec["patterns"]
    order = rng.permutation(np.repeat(np.arange(len(patterns)), per_pattern))
    slow = np.zeros(order.size, bool)
    slow[rng.permutation(order.size)[: int(math.ceil(0.3 * order.size))]] = True
    smax = 80.0 if ctx.n_events >= 250_000 else max(10.0, 80.0 * (ctx.n_events / 250_000) ** 1.3)
    ctx.recv = g.count(actors=False, tags=(ORGANIC, NEGATIVE))
    acts = g.count(actors=True, tags=(ORGANIC, NEGATIVE))
    types, _, created = g.attrs()
    for t in ctx.camo_types:
        ok = (types == g.tcode[t]) & (created < ctx.start - 90 * DAY) & (acts >= 3)
        ctx.pools[t] = np.flatnonzero(ok[: ctx.taken.size] & ~ctx.taken)
    for rid, p in enumerate(order):
        ring = Ring(
            rid,
            patterns[p],
            bool(slow[rid]),
            int(round(loguniform(rng, 5, smax))),
            int(rng.choice(ctx.M, p=ctx.spec["share"])),
        )
        ring_window(ctx, rng, ring)
        first = len(g.chunks)
        g.tag = RING
        RING_FUNCS[ring.pattern](ctx, rng, ring)
        ctx.taken = np.r_[ctx.taken, np.zeros(g.n - ctx.taken.size, bool)]
        members = np.concatenate(ring.members)
        ctx.taken[members] = True
        ctx.taken[np.concatenate(ring.targets)] = True
        mid = len(g.chunks)
        camouflage(ctx, rng, ring, first)
        ring.info["ring_events"] = int(sum(c[0].size for c in g.chunks[first:mid]))
        ring.info["camouflage_events"] = int(sum(c[0].size for c in g.chunks[mid:]))
        g.tag = ORGANIC
        ctx.rings.append(ring)


# ----------------------------------------------------------------------------- output


def node_ids(ctx: Ctx, rng) -> pl.Series:
    """Prefix plus a random permutation number per type (``us004217``)."""
    types = ctx.g.attrs()[0]
    num = np.zeros(ctx.g.n, np.int64)
    counts = np.bincount(types, minlength=len(ctx.g.types))
    for code, k in enumerate(counts):
        num[types == code] = rng.permutation(k)
    width = max(6, len(str(int(counts.max()))))
    prefix = np.array([ctx.spec["types"][t][1] for t in ctx.g.types])[types]
    return pl.Series(prefix) + pl.Series(num).cast(pl.Utf8).str.zfill(width)


def events_frame(ctx: Ctx, ids: pl.Series) -> tuple[pl.DataFrame, dict, np.ndarray]:
    g = ctx.g
    actor, target, code, ts, amount, tag = (np.concatenate(c) for c in zip(*g.chunks, strict=True))
    types, market, created = g.attrs()
    window = (ts >= ctx.start) & (ts < ctx.end)
    keep = window & (ts >= created[actor])
    stats = {"dropped_before_creation": int((window & ~keep).sum())}
    for name, t in (
        ("organic", ORGANIC),
        ("negative", NEGATIVE),
        ("ring", RING),
        ("camouflage", CAMO),
    ):
        stats[f"{name}_events"] = int((keep & (tag == t)).sum())
    actor, target, code, ts, amount = actor[keep], target[keep], code[keep], ts[keep], amount[keep]
    tnames = pl.Series(g.types)
    df = pl.DataFrame(
        {
            "actor_id": ids.gather(actor),
            "actor_type": tnames.gather(types[actor]),
            "target_id": ids.gather(target),
            "target_type": tnames.gather(types[target]),
            "action": pl.Series(g.actions).gather(code),
            "ts": pl.Series(ts).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            "amount": pl.Series(amount, dtype=pl.Float64).fill_nan(None),
            "market": pl.Series([m[0] for m in ctx.spec["markets"]]).gather(market[actor]),
        }
    )
    seen = np.zeros(g.n, bool)
    seen[actor] = True
    seen[target] = True
    return df.sort(df.columns, nulls_last=True), stats, seen


def entities_frame(ctx: Ctx, rng, ids: pl.Series, seen: np.ndarray) -> pl.DataFrame:
    types, market, created = ctx.g.attrs()
    acc = np.isin(
        types, [ctx.g.tcode[t] for t, r in ctx.spec["types"].items() if r[0] == "account"]
    )
    n = ctx.g.n
    syl = SYLLABLES[rng.integers(0, SYLLABLES.size, (3, n))]
    style = rng.random(n)
    name = np.char.add(np.char.capitalize(syl[0]), syl[1])
    name = np.where(style < 0.4, np.char.add(name, syl[2]), name)
    digits = np.char.add("_", rng.integers(1, 9999, n).astype(str))
    name = np.where(style > 0.6, np.char.add(name, digits), name)
    viol = rng.choice(4, n, p=[0.965, 0.025, 0.007, 0.003])
    idx = np.flatnonzero(acc & seen)
    df = pl.DataFrame(
        {
            "entity_type": pl.Series(ctx.g.types).gather(types[idx]),
            "entity_id": ids.gather(idx),
            "created_at": pl.Series(created[idx])
            .cast(pl.Datetime("us"))
            .dt.replace_time_zone("UTC"),
            "market": pl.Series([m[0] for m in ctx.spec["markets"]]).gather(market[idx]),
            "display_name": pl.Series(name[idx]),
            "prior_violations": pl.Series(viol[idx], dtype=pl.Int64),
        }
    )
    return df.sort("entity_type", "entity_id")


def typed(ctx: Ctx, ids: pl.Series, idx: np.ndarray, **cols) -> pl.DataFrame:
    idx = np.asarray(idx, np.int64)
    types = ctx.g.attrs()[0]
    data = {k: v for k, v in cols.items() if k != "after"}
    data["entity_type"] = pl.Series(ctx.g.types).gather(types[idx])
    data["entity_id"] = ids.gather(idx)
    for k, v in cols.get("after", {}).items():
        data[k] = v
    return pl.DataFrame(data)


def truth_frames(ctx: Ctx, ids: pl.Series, seen: np.ndarray) -> tuple[pl.DataFrame, ...]:
    """Truth (ring members), ring targets, negatives less any ring member or target."""
    t_parts, r_parts, n_parts = [], [], []
    in_ring = np.zeros(ctx.g.n, bool)
    for r in ctx.rings:
        m, first = np.unique(np.concatenate(r.members), return_index=True)
        h = np.concatenate(r.hijacked)[first]
        t_parts.append(
            typed(
                ctx,
                ids,
                m,
                ring_id=np.full(m.size, r.ring_id),
                pattern=[r.pattern] * m.size,
                after={"hijacked": h},
            )
        )
        tg = np.unique(np.concatenate(r.targets))
        tg = tg[seen[tg]]
        r_parts.append(typed(ctx, ids, tg, ring_id=np.full(tg.size, r.ring_id)))
        in_ring[m] = True
        in_ring[tg] = True
    for gid, kind, idx in ctx.negatives:
        idx = idx[~in_ring[idx] & seen[idx]]
        if idx.size:
            n_parts.append(typed(ctx, ids, idx, group_id=[gid] * idx.size, kind=[kind] * idx.size))
    truth = (
        pl.concat(t_parts).cast({"ring_id": pl.Int64}).sort("ring_id", "entity_type", "entity_id")
    )
    targets = (
        pl.concat(r_parts).cast({"ring_id": pl.Int64}).sort("ring_id", "entity_type", "entity_id")
    )
    negs = pl.concat(n_parts).sort("group_id", "entity_type", "entity_id")
    return truth, targets, negs


def labels_frame(ctx: Ctx, rng, ids: pl.Series, n_organic: int, seen: np.ndarray) -> pl.DataFrame:
    types = ctx.g.attrs()[0]
    main = np.isin(types, [ctx.g.tcode[t] for t in ctx.camo_types])
    conf = []
    for r in ctx.rings[::2]:
        m, h = np.concatenate(r.members), np.concatenate(r.hijacked)
        pick = m[~h & main[m]]
        conf.append(int(rng.choice(pick if pick.size else m)))
    taken = np.r_[ctx.taken, np.zeros(ctx.g.n - ctx.taken.size, bool)]
    cand = np.flatnonzero(main & ~taken & seen & (np.arange(ctx.g.n) < n_organic))
    cleared = np.sort(rng.choice(cand, 20, replace=False))
    idx = np.r_[conf, cleared]
    lab = ["confirmed"] * len(conf) + ["cleared"] * 20
    return typed(ctx, ids, idx, after={"label": lab}).sort("label", "entity_type", "entity_id")


def vocabulary_toml(ctx: Ctx) -> str:
    lines = ["[vocabulary.actions]"]
    for role in ROLES:
        names = [a for a, r in ctx.spec["actions"].items() if r == role]
        if names:
            lines.append(f"{role} = {json.dumps(names)}")
    lines.append("[vocabulary.entities]")
    for role in TYPE_ROLES:
        names = [t for t, r in ctx.spec["types"].items() if r[0] == role]
        if names:
            lines.append(f"{role} = {json.dumps(names)}")
    return "\n".join(lines) + "\n"


def ring_record(r: Ring) -> dict:
    hij = np.concatenate(r.hijacked)
    return {
        "ring_id": r.ring_id,
        "pattern": r.pattern,
        "variant": r.variant,
        "size": int(np.unique(np.concatenate(r.members)).size),
        "planned_size": r.size,
        "hijacked": int(hij.sum()),
        "pace": "slow" if r.slow else "burst",
        "slow": r.slow,
        "window": [
            datetime.fromtimestamp(r.t0 / US, UTC).isoformat(),
            datetime.fromtimestamp(r.t1 / US, UTC).isoformat(),
        ],
        "bursts": int(r.bursts[0].size) if r.bursts else 0,
        "targets": int(np.unique(np.concatenate(r.targets)).size),
        **r.info,
    }


# ----------------------------------------------------------------------------- main


def generate(platform: str, n_events: int, seed: int) -> tuple[Ctx, dict]:
    ctx = Ctx(platform, n_events, seed)
    ctx.camo_types = ("user",) if platform == "appstore" else ("client", "freelancer")
    world, organic, neg, rings, ids_rng, out_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)
    )
    if platform == "appstore":
        appstore_world(ctx, world)
        appstore_usage(ctx, organic)
        appstore_accounts(ctx, organic)
        ctx.g.tag = NEGATIVE
        appstore_negatives(ctx, neg)
    else:
        gig_world(ctx, world)
        gig_contracts(ctx, organic, gig_jobs(ctx, organic))
        gig_accounts(ctx, organic)
        ctx.g.tag = NEGATIVE
        gig_negatives(ctx, neg)
    ctx.g.tag = ORGANIC
    n_organic = ctx.g.n
    plant_rings(ctx, rings)
    ids = node_ids(ctx, ids_rng)
    events, stats, seen = events_frame(ctx, ids)
    tables = {"events": events, "entities": entities_frame(ctx, out_rng, ids, seen)}
    tables["truth"], tables["ring_targets"], tables["negatives"] = truth_frames(ctx, ids, seen)
    tables["labels"] = labels_frame(ctx, out_rng, ids, n_organic, seen)
    return ctx, {"tables": tables, "stats": stats}


def write(ctx: Ctx, result: dict, out: Path, elapsed: float) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    tables = result["tables"]
    for name, df in tables.items():
        df.write_parquet(out / f"{name}.parquet")
    (out / "vocabulary.toml").write_text(vocabulary_toml(ctx))
    negs = tables["negatives"]
    summary = {
        "settings": {
            "platform": ctx.platform,
            "n_events": ctx.n_events,
            "seed": ctx.seed,
            "start": datetime.fromtimestamp(ctx.start / US, UTC).isoformat(),
            "days": ctx.days,
            "markets": [m[0] for m in ctx.spec["markets"]],
            "rings_per_pattern": 3,
            "camouflage": 0.5,
            "hijacked_share": 0.2,
            "slow_share": 0.3,
        },
        "platform": ctx.platform,
        "events": tables["events"].height,
        "counts": {
            **result["stats"],
            "accounts": tables["entities"].height,
            "rings": len(ctx.rings),
            "ring_members": tables["truth"].height,
            "ring_targets": tables["ring_targets"].height,
            "negative_groups": negs["group_id"].n_unique(),
            "negative_rows": negs.height,
            "negative_groups_by_kind": dict(
                negs.group_by("kind").agg(pl.col("group_id").n_unique()).sort("kind").iter_rows()
            ),
        },
        "rings": [ring_record(r) for r in ctx.rings],
    }
    (out / "synth.json").write_text(json.dumps(summary, indent=2) + "\n")
    summary["seconds"] = round(elapsed, 2)
    return summary


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--platform", choices=sorted(SPECS), default="appstore")
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    ctx, result = generate(args.platform, args.events, args.seed)
    summary = write(ctx, result, args.out, time.perf_counter() - t0)
    c = summary["counts"]
    print(
        f"{args.platform}: {summary['events']:,} events ({c['ring_events']:,} ring, "
        f"{c['camouflage_events']:,} camouflage, {c['negative_events']:,} negative), "
        f"{c['accounts']:,} accounts, {c['rings']} rings / {c['ring_members']} members, "
        f"{c['negative_groups']} negative groups -> {args.out} in {time.perf_counter() - t0:.1f}s"
    )


if __name__ == "__main__":
    main()
