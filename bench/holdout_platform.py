"""Blind held-out test platforms with planted abuse rings (independent of ``ringlens.synth``).

Two platforms unlike the ones the detectors were tuned on, written without reading the
library, so that a detector's numbers on them say whether it generalises:

* ``appstore`` -- an app store. Users ``install`` and ``launch`` apps, give a
  ``star_rating`` (stars in ``amount``) or a text ``write_up`` (stars in ``amount``), make
  in-app purchases (``iap``, price in ``amount``), ``track`` developers, ``apply_code`` on
  invite codes, ``attach_instrument`` a ``pay_token`` and ``session_start`` on a
  ``hardware_id``. Developers ``release`` and ``update_build`` apps, ``mint_code`` invite
  codes and ``withdraw_to`` an ``iban``.
* ``gig`` -- a freelance marketplace. Clients ``open_job``, ``shortlist`` and ``hire``
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
developers, jobs and freelancers), ``fan_group`` (100-300 accounts tracking / shortlisting /
endorsing the same 3-5 top developers or freelancers over weeks), ``viral_burst`` (an app
installed, or a famous client's job visited, by thousands within hours), ``promo_campaign``
(a platform code redeemed by thousands in a week, a third of them brand-new accounts),
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
        "shortlist": "follow",
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
ROLES = ("engagement", "purchase", "review", "follow", "claim", "login", "payout", "own", "view")
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
    age = np.where(new, rng.uniform(0.5, 60.0, n), 60.0 + np.minimum(rng.gamma(1.4, 420.0, n), 3200))
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
        self.clip: tuple[int, int] | None = None

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
        if self.clip is not None:
            ts = np.clip(ts, *self.clip)
        amt = np.full(n, np.nan) if amount is None else np.broadcast_to(amount, (n,)) * 1.0
        code = np.full(n, self.acode[action], np.int16)
        self.chunks.append((actor, target, code, ts, amt.astype(np.float64), np.full(n, self.tag, np.int8)))

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
        nu=nu, nd=nd, na=na, users=users, u_mk=u_mk, u_cat=u_cat, u_act=u_act, u_hw=u_hw,
        u_hw2=u_hw2, devs=devs, d_mk=d_mk, d_cat=d_cat, d_hw=ctx.new_device(nd), payee=payee,
        apps=apps, a_dev=a_dev, a_cat=a_cat, a_mk=a_mk, a_pop=zipf_weights(rng, na, 1.08),
        a_new=a_new, a_rel=a_rel, a_paid=rng.random(na) < 0.35, u_tok=g.add("pay_token", nu),
        agencies=agencies,
    )  # fmt: skip


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
    n_pairs = int(0.70 * ctx.n_events / 3.05)
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
    k = np.floor(rng.lognormal(0.45, 1.05, n_pairs)).astype(np.int64)
    rep = np.repeat(np.arange(n_pairs), k)
    g.emit(user[rep], app[rep], "launch", ctx.times(rng, ref[rep], ctx.end, mk[rep]))
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
    ctx.logins(rng, w["users"], hw, ctx.start, ctx.end, 0.22 * n_u)
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
        nc=nc, nf=nf, clients=clients, c_mk=c_mk, c_cat=rng.choice(C, nc, p=cat_p),
        c_act=np.minimum(rng.pareto(1.25, nc) + 1.0, 3000.0), c_fund=g.add("funding_src", nc),
        c_mc=ctx.new_device(nc), freelancers=freelancers, f_mk=f_mk,
        f_cat=rng.choice(C, nf, p=cat_p), f_act=np.minimum(rng.pareto(1.4, nf) + 1.0, 3000.0),
        f_rep=f_rep, f_mc=ctx.new_device(nf), f_mc2=np.where(rng.random(nf) < 0.15, ctx.new_device(nf), -1),
        payee=payee, agencies=agencies,
    )  # fmt: skip


def gig_jobs(ctx: Ctx, rng) -> dict:
    """Job posts, visits, applications and shortlists; returns the hires."""
    w, g, C = ctx.w, ctx.g, ctx.C
    nj = int(0.78 * ctx.n_events / 21.0)
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
    g.emit(client[rj[sl]], fl[sl], "shortlist", t)
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
    g.emit(fl[gf], client[gf], "grade", t, stars(rng, int(gf.sum()), (0.03, 0.02, 0.05, 0.15, 0.75)))
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
    ctx.logins(rng, cl, w["c_mc"], ctx.start, ctx.end, 0.3 * acts[cl])
    two = w["f_mc2"] >= 0
    mc = np.where(two & (rng.random(w["nf"]) < 0.4), w["f_mc2"], w["f_mc"])
    ctx.logins(rng, fl, mc, ctx.start, ctx.end, 1.5 + 0.25 * acts[fl])
    ctx.logins(rng, fl[two], w["f_mc2"][two], ctx.start, ctx.end, 1.0)
    # earnings from release_funds
    rel = g.acode["release_funds"]
    parts = [(c[1], c[4]) for c in g.chunks if c[2][0] == rel]
    tgt = np.concatenate([p[0] for p in parts])
    amt = np.concatenate([p[1] for p in parts])
    earn = np.bincount(tgt, weights=amt, minlength=g.n)[fl]
    k = np.where(earn > 0, 1 + rng.poisson(np.minimum(earn / 400.0, 5.0)), (rng.random(w["nf"]) < 0.15) * 1)
    rep = np.repeat(np.arange(w["nf"]), k)
    amount = np.round(np.maximum(earn[rep] * 0.88 / k[rep], 15.0) * rng.uniform(0.7, 1.3, rep.size), 2)
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
