"""Blind hold-out generator #5: two synthetic platforms with planted abuse rings.

Usage::

    .venv/bin/python bench/holdout5_platform.py OUT --platform {adnet,fundraise} \
        --events N --seed S

``N`` is the number of *organic* background events; planted rings (with their
camouflage) and organic look-alike groups ("negatives") come on top.  The same
arguments give byte-identical files.  Everything is drawn from seeded
``numpy.random.default_rng`` streams (one per purpose, keyed by a CRC of its
name), so nothing depends on hash ordering, time or environment.

Output files (in OUT): events.parquet, entities.parquet, truth.parquet,
ring_targets.parquet, negatives.parquet, labels.parquet, vocabulary.toml,
synth.json.  A node is the pair (type, id).  Ids are random draws from large
id spaces (hex, UUID-like, prefixed numbers, IPv4 blocks, upper-case codes),
so an id says nothing about when or why an entity was made.

Shared machinery
----------------
* Organic accounts have log-normal activity, log-normal ages (a share created
  inside the window; their activity is scaled by the time they are alive),
  and pick targets by Zipf popularity over a random permutation of ranks, with
  a preference for targets of their own market.
* Timestamps follow a per-market *local* daily rhythm and a weekly rhythm
  (rejection sampling in local time, then shifted to UTC).
* Ring variants (ring_id = 5 * variant + pattern_index):
  - ``burst`` (variant 0): 1-2 bursts of 1-5 h within 1-3 days; fresh
    accounts created 0.2-4 days before the first burst; no hijacked members.
  - ``slow`` (variant 1): 2-4 weeks on the organic daily rhythm, no bursts,
    older accounts, less shared infrastructure, ~20 % hijacked members.
  - ``waves`` (variant 2): 3-5 bursts over 1-3 weeks, ~30 % hijacked members,
    twice the camouflage.
  Hijacked members are active organic accounts that keep their organic
  history.  Every member also gets camouflage: organic-looking events on
  popular targets.  Ring sizes are log-uniform in
  [5, max(14, min(80, 80 * sqrt(N / 1e6)))].

Platform ``adnet`` -- a mobile ad network / install-attribution platform
-----------------------------------------------------------------------
Window: 5 weeks from 2024-09-02.  Markets (UTC offset): US (-5), BR (-3),
DE (+1), IN (+5.5), ID (+7).  Currency USD.

Entity types: ``adid`` (end-user advertising identity, UUID upper case;
account), ``publisher`` (``pub_NNNNNN``; account), ``studio`` (advertiser app
studio, ``stu-xxxxx``; account), ``campaign`` (``cmpNNNNNNNN``; item),
``storeapp`` (advertised app, ``app.xxxxxxxx``; item), ``placement`` (an ad
slot inside a publisher app, ``plc_xxxxxxxxxx``; content), ``offer``
(offerwall reward offer, ``ofr-NNNN``; coupon), ``handset`` (hardware
fingerprint, 16 hex; device), ``ipblock`` (``a.b.c.0/24``; device),
``bankacct`` (``BKNNNNNNNNNN``; payout_account).

Actions (role): ``adview`` adid->placement (view); ``adtap`` adid->campaign
(click); ``install`` adid->storeapp (purchase); ``iap`` adid->storeapp with
amount (purchase); ``app_open`` adid->storeapp (engagement); ``store_rating``
adid->storeapp, amount = stars (review); ``reward_claim`` adid->offer (claim);
``hw_ping`` adid->handset and ``net_ping`` adid->ipblock (login);
``postback`` publisher->campaign, amount = CPI credit (claim); ``cashout``
publisher->bankacct with amount (payout); ``slot_register``
publisher->placement (own); ``console_login`` publisher/studio->ipblock
(login); ``sub_refer`` publisher->publisher sub-affiliate referral (follow);
``app_publish`` studio->storeapp (own); ``campaign_launch`` studio->campaign
(own); ``budget_topup`` studio->campaign with amount (purchase).

Organic: adids view ads on Zipf-popular placements, tap campaigns (about 7 %
of taps convert into an install of the campaign's app a few minutes later,
with a ``postback`` by the publisher whose slot showed the ad), install apps
from the store, open installed apps for days, buy in-app, rate, claim
offerwall rewards and ping their handset (households share one) and ipblock
(carrier NAT blocks are shared by thousands).  Publishers cash out weekly,
register slots and log into the console; studios top up and launch
campaigns.

Rings (pattern_index, name: what it does -> signal):
0 ``device_farm``: adids with resettable ids on a few farm handsets and one
  farm ipblock tap 1-2 target campaigns and install their apps, opening them
  once or twice -> shared handsets/ipblock (slow: more handsets, a few
  organic carrier blocks instead of a farm block).  Targets: campaigns+apps.
1 ``sdk_spoof``: spoofed installs of 2-4 target apps with no tap or view
  before and no ``app_open`` after, each member on its own fresh handset ->
  nothing shared; only the abnormal share of opens-after-install on the
  target apps and install synchrony.  Targets: storeapps.
2 ``incent_offerwall``: members claim 1-2 target offers, install most of 3-6
  target apps and rate them 5 stars, opening each once -> dense
  account x app block with ratings + coupon claims.  Targets: offers+apps.
3 ``publisher_collusion``: mixed roles -- 2+ publishers (about a quarter of
  the ring) register fresh slots, refer each other, log into the console
  from one ipblock and cash out to 1-2 shared bank accounts; their fake
  adids (plus some real traffic) view those slots, tap the target campaigns
  and sometimes install,
  and the publishers file many postbacks on the target campaigns -> shared
  payout account (slow: 2 banks, no shared console block).  Targets:
  bankaccts+campaigns.
4 ``click_injection``: mixed roles -- 1-2 publishers plus adids (malware
  phones).  Adids flood target campaigns with taps (click spamming) and
  "inject" a tap 1-15 s before a few installs of those apps; the publishers
  file a postback seconds later -> no sharing; a tap->install ratio far
  below organic on the targets and tight tap/install/postback synchrony.
  Targets: campaigns.

Negatives (kind: innocent look-alike):
``store_feature`` (an app featured in the store: hundreds-thousands of
adids install it within hours, then keep opening it), ``campus_nat`` (a
campus behind one ipblock), ``qa_device_lab`` (a studio's QA lab: a few
handsets with many fresh test adids, repeated installs and $0.99 test
purchases of the studio's apps), ``retail_kiosk`` (demo phones in a retail
chain whose ad ids reset nightly), ``offerwall_audience`` (a legitimate
rewarded-video audience claiming one offer and installing its app over
weeks, with real retention), ``publisher_network`` (one company's many
publisher accounts cashing out to one finance bank account),
``household`` (2-5 adids sharing a handset), ``launch_blitz`` (a TV-spot
launch: hundreds of adids tap one new campaign within an hour).

Platform ``fundraise`` -- a crowdfunding / donation platform
-----------------------------------------------------------
Window: 9 weeks from 2024-10-07.  Markets: GB (0), US (-5), CA (-6),
AU (+10).  Currency GBP-like.

Entity types: ``supporter`` (``uNNNNNNNN``; account), ``organiser``
(``org-xxxxxx``; account), ``appeal`` (``ap_`` + 10 base32; item),
``paycard`` (card token ``tok_`` + 12 hex; payout_account), ``bank``
(``GB..``-style ``ba_XXXXNNNNNNNN``; payout_account), ``promo`` (upper-case
match code; coupon), ``fingerprint`` (browser/device fingerprint, UUID
lower case; device), ``netaddr`` (IPv4; device).

Actions (role): ``pageview`` ->appeal (view); ``pledge`` ->appeal with
amount (gift); ``tip_host`` ->organiser with amount (gift); ``wos_comment``
(words of support) and ``share_out`` ->appeal (engagement); ``follow_host``
->organiser (follow); ``vouch`` ->organiser, amount = stars (review);
``signin`` ->fingerprint and ``ip_hit`` ->netaddr (login); ``card_add``
->paycard (own); ``refund_claim`` and ``chargeback`` ->appeal with amount
(claim); ``code_redeem`` ->promo (claim); ``appeal_create`` and
``appeal_update`` organiser->appeal (own); ``withdraw`` organiser->bank with
amount (payout).

Organic: supporters browse Zipf-popular appeals (home market preferred),
pledge log-normal amounts (round numbers common), leave words of support,
share, follow and vouch for hosts, redeem promo codes, add 1-2 cards
(families share), sign in from their fingerprint (households share) and
from netaddrs (mobile carriers NAT thousands).  About 3 % of pledges are
later refunded, a few are charged back.  Organisers create and update
appeals and withdraw to their bank weekly.

Rings:
0 ``card_testing``: fresh supporters on 1-3 shared fingerprints and one
  netaddr add 3-8 stolen cards each (some cards on two accounts) and make
  many tiny pledges (0.50-3.00) to 1-2 obscure target appeals -> shared
  devices and cards, tiny amounts.  Targets: appeals.
1 ``organiser_bank_ring``: mixed roles -- organisers (about 30 %) each
  launch a fresh appeal that sock supporters fund with large pledges; the
  organisers withdraw to 1-2 shared banks and sign in from one fingerprint
  -> shared payout account (slow: 2 banks, no shared fingerprint).  A few
  innocent supporters also find the fresh appeals (camouflage).
  Targets: banks+appeals.
2 ``trend_boost``: sock supporters pledge small amounts, comment, share and
  follow the host of 1-2 fresh target appeals in tight synchrony -> dense
  block + synchrony, nothing shared; once trending, innocent supporters
  view, share and pledge too (counted as ring camouflage events).
  Targets: appeals + their organiser (a non-member host account).
3 ``promo_abuse``: members redeem 1-2 target match codes and pledge exactly
  the qualifying minimum to 2-4 target appeals -> shared coupon, identical
  amounts, dense block.  Targets: promos+appeals.
4 ``refund_abuse``: members pledge 20-150 to 2-5 target appeals and claim
  refunds or charge back most of them 1-10 days later -> unusual share of
  refund/chargeback on the targets, nothing shared.  Targets: appeals.

Negatives: ``disaster_relief`` (hundreds-thousands pledge to one fresh appeal
within hours), ``employer_match`` (colleagues redeem one employer match code
over 1-2 weeks), ``community_circle`` (a church/school's organisers pledging
to each other's appeals), ``family_shared`` (2-5 supporters sharing a card
and a tablet), ``charity_stream`` (a livestream marathon: small synchronous
pledges and comments), ``giving_day_code`` (one promo code redeemed by
hundreds-thousands on one day, pledges of exactly 10 or 25),
``recurring_donors`` (monthly direct-debit pledges of equal amounts billed
at the same minute), ``charity_payout_hub`` (a charity's team of organisers
all withdrawing to the charity's one bank account).

Negative groups number about 0.3 * (N / 1000) ** 0.8 (at least one of each
kind); they only contain innocent accounts.  labels.parquet marks about 10 %
of the members of 4 random rings as ``confirmed``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

US = 1_000_000
MINUTE = 60 * US
HOUR = 3600 * US
DAY = 24 * HOUR

SRC_ORGANIC, SRC_RING, SRC_CAMO, SRC_NEG = 0, 1, 2, 3
VARIANTS = ("burst", "slow", "waves")
HIJACK_FRAC = {"burst": 0.0, "slow": 0.2, "waves": 0.3}

FIRST_NAMES = (
    "Ana Ben Carla Dev Elif Femi Gita Hugo Ines Jon Kemal Lena Malik Nora Omar Priya Quinn "
    "Rosa Sam Tariq Uma Vera Wei Xena Yusuf Zoe Aiden Bea Chidi Dara Emil Farah Gus Hana "
    "Ivan Jade Kofi Lior Maya Nils Olu Pia Rhys Sara Theo Una Viktor Wren Yara Zane"
).split()
SURNAMES = (
    "Silva Okafor Schmidt Patel Nguyen Smith Garcia Kim Rossi Haddad Novak Sato Costa Brown "
    "Khan Lopez Meyer Singh Walsh Ahmed Fischer Jones Tanaka Moreau Ivanova Reid"
).split()
WORDS = (
    "pixel nova lumen orbit tiny bright hyper quest blitz pocket cloud ember frost jolly "
    "maple neon panda quill rocket solar tango ultra vivid whale zen arcade bubble candy"
).split()


def to_us(dt: datetime) -> int:
    return int(dt.replace(tzinfo=UTC).timestamp()) * US


def iso(t_us: int) -> str:
    return datetime.fromtimestamp(int(t_us) // US, tz=UTC).isoformat()


def stream(seed: int, platform: str, name: str) -> np.random.Generator:
    """An independent, reproducible random stream for one purpose."""
    return np.random.default_rng(
        [int(seed), zlib.crc32(platform.encode()), zlib.crc32(name.encode())]
    )


def log_uniform_int(rng: np.random.Generator, lo: float, hi: float) -> int:
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def zipf_weights(rng: np.random.Generator, n: int, s: float) -> np.ndarray:
    ranks = rng.permutation(n).astype(np.float64) + 1.0
    w = ranks ** (-s)
    return w / w.sum()


def split_counts(rng: np.random.Generator, total: int, n: int, lo: int = 0) -> np.ndarray:
    """Random non-negative integers (each >= lo) summing to total."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    extra = max(0, total - lo * n)
    return rng.multinomial(extra, np.full(n, 1.0 / n)).astype(np.int64) + lo


# ---------------------------------------------------------------- id formats
def _hex_from_bytes(rng: np.random.Generator, n: int, nbytes: int) -> list[str]:
    raw = rng.bytes(n * nbytes)
    return [raw[i * nbytes : (i + 1) * nbytes].hex() for i in range(n)]


def fmt_hex(prefix: str, nhex: int, upper: bool = False):
    def make(rng: np.random.Generator, n: int) -> list[str]:
        out = [prefix + h[:nhex] for h in _hex_from_bytes(rng, n, (nhex + 1) // 2)]
        return [o.upper() for o in out] if upper else out

    return make


def fmt_uuid(upper: bool):
    def make(rng: np.random.Generator, n: int) -> list[str]:
        out = []
        for h in _hex_from_bytes(rng, n, 16):
            s = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"
            out.append(s.upper() if upper else s)
        return out

    return make


def fmt_num(prefix: str, ndig: int):
    def make(rng: np.random.Generator, n: int) -> list[str]:
        vals = rng.integers(10 ** (ndig - 1), 10**ndig, size=n)
        return [f"{prefix}{v}" for v in vals.tolist()]

    return make


def fmt_chars(prefix: str, nchar: int, alphabet: str):
    def make(rng: np.random.Generator, n: int) -> list[str]:
        codes = rng.integers(0, len(alphabet), size=(n, nchar))
        alpha = np.array(list(alphabet))
        return [prefix + "".join(row) for row in alpha[codes].tolist()]

    return make


def fmt_ipv4(block: bool):
    def make(rng: np.random.Generator, n: int) -> list[str]:
        a = rng.integers(1, 224, size=n)
        a = np.where((a == 10) | (a == 127), a + 1, a)
        b = rng.integers(0, 256, size=(n, 3))
        if block:
            return [
                f"{x}.{y}.{z}.0/24"
                for x, y, z in zip(a.tolist(), *b[:, :2].T.tolist(), strict=True)
            ]
        return [f"{x}.{y}.{z}.{w}" for x, y, z, w in zip(a.tolist(), *b.T.tolist(), strict=True)]

    return make


class IdMaker:
    """Unique random ids of one type; the draw order says nothing about the entity."""

    def __init__(self, rng: np.random.Generator, fmt) -> None:
        self.rng, self.fmt, self.used = rng, fmt, set()

    def take(self, n: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            for c in self.fmt(self.rng, n - len(out)):
                if c not in self.used:
                    self.used.add(c)
                    out.append(c)
        return out


# ------------------------------------------------------------- node registry
class Nodes:
    """All entities (accounts and targets) as rows of growing numpy arrays."""

    def __init__(self, type_names: list[str], seed: int, platform: str, formats: dict) -> None:
        self.type_names = list(type_names)
        self.tcode_of = {t: i for i, t in enumerate(self.type_names)}
        self.makers = {
            t: IdMaker(stream(seed, platform, "ids:" + t), formats[t]) for t in type_names
        }
        self.n = 0
        self._cap = 0
        self.tcode = np.zeros(0, dtype=np.int16)
        self.created = np.zeros(0, dtype=np.int64)
        self.market = np.zeros(0, dtype=np.int16)
        self.viol = np.zeros(0, dtype=np.int64)
        self.home_dev = np.zeros(0, dtype=np.int64)
        self.home_net = np.zeros(0, dtype=np.int64)
        self.ids: list[str] = []
        self.names: list[str] = []

    def _ensure(self, extra: int) -> None:
        need = self.n + extra
        if need <= self._cap:
            return
        cap = max(need, 2 * self._cap, 1024)
        for name, fill in (
            ("tcode", 0),
            ("created", 0),
            ("market", 0),
            ("viol", 0),
            ("home_dev", -1),
            ("home_net", -1),
        ):
            old = getattr(self, name)
            new = np.full(cap, fill, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self._cap = cap

    def add(
        self, tname: str, n: int, created, market, names: list[str] | None = None, viol=0
    ) -> np.ndarray:
        n = int(n)
        if n <= 0:
            return np.zeros(0, dtype=np.int64)
        self._ensure(n)
        sl = slice(self.n, self.n + n)
        self.tcode[sl] = self.tcode_of[tname]
        self.created[sl] = np.broadcast_to(np.asarray(created, dtype=np.int64), n)
        self.market[sl] = np.broadcast_to(np.asarray(market, dtype=np.int16), n)
        self.viol[sl] = np.broadcast_to(np.asarray(viol, dtype=np.int64), n)
        self.ids.extend(self.makers[tname].take(n))
        self.names.extend(names if names is not None else [""] * n)
        idx = np.arange(self.n, self.n + n, dtype=np.int64)
        self.n += n
        return idx

    def of_type(self, tname: str) -> np.ndarray:
        return np.flatnonzero(self.tcode[: self.n] == self.tcode_of[tname])


# ----------------------------------------------------------------- event log
class Events:
    """Event chunks with integer node references; strings are made only at the end."""

    def __init__(self, actions: list[str]) -> None:
        self.names = list(actions)
        self.code = {a: i for i, a in enumerate(self.names)}
        self.chunks: list[tuple] = []

    def add(
        self, actor, target, action: str, ts, amount=None, src: int = SRC_ORGANIC, sid: int = -1
    ) -> None:
        ts = np.asarray(ts, dtype=np.int64).ravel()
        n = ts.size
        if n == 0:
            return
        if action not in self.code:  # reported by the self-check as unmapped
            self.code[action] = len(self.names)
            self.names.append(action)
        a = np.broadcast_to(np.asarray(actor, dtype=np.int64), n).copy()
        t = np.broadcast_to(np.asarray(target, dtype=np.int64), n).copy()
        if amount is None:
            amt = np.full(n, np.nan)
        else:
            amt = np.broadcast_to(np.asarray(amount, dtype=np.float64), n).copy()
        code = np.full(n, self.code[action], dtype=np.int16)
        self.chunks.append(
            (
                a,
                t,
                code,
                ts.copy(),
                amt,
                np.full(n, src, dtype=np.int8),
                np.full(n, sid, dtype=np.int32),
            )
        )

    def count(self, src: int | None = None) -> int:
        return int(sum(c[0].size for c in self.chunks if src is None or c[5][0] == src))

    def arrays(self) -> list[np.ndarray]:
        return [np.concatenate([c[i] for c in self.chunks]) for i in range(7)]


# ------------------------------------------------------------------- context
@dataclass
class Ring:
    ring_id: int
    pattern: str
    pattern_index: int
    variant: int
    market: int
    members: list[int] = field(default_factory=list)
    hijacked: list[bool] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    bursts: list[tuple[int, int]] = field(default_factory=list)
    shares: list[str] = field(default_factory=list)
    t0: int = 0
    t1: int = 0

    @property
    def vname(self) -> str:
        return VARIANTS[self.variant]


@dataclass
class Ctx:
    platform: str
    seed: int
    n_events: int
    start: int
    days: int
    markets: list[str]
    offsets: np.ndarray
    market_w: np.ndarray
    hour_w: np.ndarray
    dow_w: np.ndarray
    nodes: Nodes
    events: Events
    namers: dict
    pools: dict = field(default_factory=dict)
    pop: dict = field(default_factory=dict)
    activity: dict = field(default_factory=dict)
    rings: list = field(default_factory=list)
    negatives: list = field(default_factory=list)
    used: set = field(default_factory=set)
    extra: dict = field(default_factory=dict)

    @property
    def end(self) -> int:
        return self.start + self.days * DAY

    def rng(self, name: str) -> np.random.Generator:
        return stream(self.seed, self.platform, name)

    def size_max(self) -> float:
        return max(14.0, min(80.0, 80.0 * math.sqrt(self.n_events / 1e6)))

    def rhythm(self, rng: np.random.Generator, lo, hi, market, n: int | None = None) -> np.ndarray:
        """Timestamps in [lo, hi) following the local daily and weekly rhythm."""
        lo = np.asarray(lo, dtype=np.int64)
        hi = np.asarray(hi, dtype=np.int64)
        market = np.asarray(market, dtype=np.int64)
        n = max(lo.size, hi.size, market.size) if n is None else n
        lo = np.broadcast_to(lo, n)
        span = np.maximum(np.broadcast_to(hi, n) - lo, 1)
        off = (self.offsets[np.broadcast_to(market, n)] * HOUR).astype(np.int64)
        hw = np.r_[self.hour_w, self.hour_w[:1]]
        out = np.empty(n, dtype=np.int64)
        todo = np.arange(n)
        for _ in range(80):
            if todo.size == 0:
                break
            t = lo[todo] + (rng.random(todo.size) * span[todo]).astype(np.int64)
            loc = t + off[todo]
            hour = (loc % DAY) / HOUR
            dow = ((loc // DAY) + 3) % 7
            p = np.interp(hour, np.arange(25), hw) * self.dow_w[dow]
            ok = rng.random(todo.size) < p
            out[todo[ok]] = t[ok]
            todo = todo[~ok]
        if todo.size:
            out[todo] = lo[todo] + (rng.random(todo.size) * span[todo]).astype(np.int64)
        return out

    def pick(
        self, rng: np.random.Generator, tname: str, n: int, market=None, local: float = 3.0
    ) -> np.ndarray:
        """Zipf-popular targets of one type; a target of the actor's market is preferred."""
        pool, w = self.pools[tname], self.pop[tname]
        if market is None or local <= 0:
            return pool[rng.choice(pool.size, size=n, p=w)]
        market = np.broadcast_to(np.asarray(market), n)
        out = np.empty(n, dtype=np.int64)
        tm = self.nodes.market[pool]
        for m in range(len(self.markets)):
            sel = np.flatnonzero(market == m)
            if sel.size:
                p = w * (1.0 + local * (tm == m))
                out[sel] = pool[rng.choice(pool.size, size=sel.size, p=p / p.sum())]
        return out

    def pick_accounts(
        self,
        rng: np.random.Generator,
        tname: str,
        n: int,
        market=None,
        active: bool = False,
        before: int | None = None,
    ) -> np.ndarray:
        """Innocent organic accounts (never a ring member), for negatives."""
        pool = self.pools[tname]
        ok = np.ones(pool.size, dtype=bool)
        if market is not None:
            ok &= self.nodes.market[pool] == market
        if active:
            ok &= self.activity[tname] >= np.median(self.activity[tname])
        if before is not None:
            ok &= self.nodes.created[pool] < before
        if self.used:
            ok &= ~np.isin(pool, np.fromiter(self.used, dtype=np.int64))
        cand = pool[ok]
        n = min(n, cand.size)
        return np.sort(rng.choice(cand, size=n, replace=False)) if n else cand[:0]

    def add_negative(self, kind: str, members) -> None:
        members = np.unique(np.asarray(members, dtype=np.int64))
        if members.size >= 2:
            k = sum(1 for g in self.negatives if g[1] == kind)
            self.negatives.append((f"{kind}-{k + 1:03d}", kind, members))


# ------------------------------------------------------------ ring machinery
def plan_schedule(ctx: Ctx, rng: np.random.Generator, ring: Ring) -> None:
    days = ctx.days
    if ring.vname == "burst":
        b0 = ctx.start + int(rng.uniform(3.0, days - 4.0) * DAY)
        starts = [b0]
        if rng.random() < 0.5:
            starts.append(b0 + int(rng.uniform(0.6, 2.5) * DAY))
        ring.bursts = [(s, s + int(rng.uniform(1.0, 5.0) * HOUR)) for s in starts]
    elif ring.vname == "slow":
        dur = rng.uniform(14.0, min(28.0, days - 3.0))
        t0 = ctx.start + int(rng.uniform(0.5, days - dur - 0.5) * DAY)
        ring.t0, ring.t1 = t0, t0 + int(dur * DAY)
        return
    else:
        nb = int(rng.integers(3, 6))
        span = rng.uniform(7.0, min(21.0, days - 5.0))
        t0 = ctx.start + int(rng.uniform(1.0, days - span - 2.0) * DAY)
        gaps = rng.dirichlet(np.ones(nb - 1)) * (span - 0.5 * (nb - 1)) + 0.5
        starts = t0 + np.r_[0.0, np.cumsum(gaps)] * DAY
        ring.bursts = [(int(s), int(s + rng.uniform(1.0, 4.0) * HOUR)) for s in starts]
    ring.t0, ring.t1 = ring.bursts[0][0], ring.bursts[-1][1]


def ring_ts(ctx: Ctx, rng: np.random.Generator, ring: Ring, n: int) -> np.ndarray:
    """n timestamps on the ring's schedule (inside bursts, or on the daily rhythm)."""
    if not ring.bursts:
        return ctx.rhythm(rng, np.full(n, ring.t0, dtype=np.int64), ring.t1, ring.market)
    b = np.array(ring.bursts, dtype=np.int64)
    which = rng.integers(0, len(b), size=n)
    frac = rng.beta(1.4, 2.2, size=n)
    return b[which, 0] + (frac * (b[which, 1] - b[which, 0])).astype(np.int64)


def recruit(
    ctx: Ctx, rng: np.random.Generator, ring: Ring, tname: str, n: int, hijack: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """n ring members of one account type: hijacked organic accounts plus fresh ones."""
    frac = HIJACK_FRAC[ring.vname] if hijack is None else hijack
    h = int(round(n * frac))
    if frac > 0 and n >= 3:
        h = max(1, h)
    hij = np.zeros(0, dtype=np.int64)
    if h:
        pool = ctx.pools[tname]
        act = ctx.activity[tname]
        ok = (ctx.nodes.created[pool] < ring.t0 - 30 * DAY) & (act >= np.median(act))
        if ctx.used:
            ok &= ~np.isin(pool, np.fromiter(ctx.used, dtype=np.int64))
        local = ok & (ctx.nodes.market[pool] == ring.market)
        cand = pool[local] if local.sum() >= h else pool[ok]
        hij = rng.choice(cand, size=min(h, cand.size), replace=False)
    nf = n - hij.size
    if ring.vname == "burst":
        created = ring.t0 - (rng.uniform(0.2, 4.0, size=nf) * DAY).astype(np.int64)
    elif ring.vname == "waves":
        created = ring.t0 - (rng.uniform(1.0, 20.0, size=nf) * DAY).astype(np.int64)
    else:
        age = np.maximum(rng.lognormal(math.log(120.0), 0.7, size=nf), 25.0)
        created = ring.t0 - (age * DAY).astype(np.int64)
    viol = (rng.random(nf) < 0.06).astype(np.int64)
    fresh = ctx.nodes.add(tname, nf, created, ring.market, ctx.namers[tname](rng, nf, True), viol)
    members = np.r_[hij, fresh].astype(np.int64)
    mask = np.r_[np.ones(hij.size, dtype=bool), np.zeros(nf, dtype=bool)]
    ring.members.extend(members.tolist())
    ring.hijacked.extend(mask.tolist())
    ctx.used.update(members.tolist())
    return members, mask


def camouflage(ctx: Ctx, rng: np.random.Generator, ring: Ring, organic_like) -> None:
    """Organic-looking events of every member on popular targets."""
    members = np.asarray(ring.members, dtype=np.int64)
    hij = np.asarray(ring.hijacked, dtype=bool)
    mean = 20.0 if ring.vname == "waves" else 10.0
    k = rng.poisson(mean, size=members.size) + 3
    created = ctx.nodes.created[members]
    lo = np.maximum(created + 5 * MINUTE, ctx.start)
    hi = np.where(hij, ctx.end, np.minimum(ctx.end, np.maximum(ring.t1 + 5 * DAY, lo + 7 * DAY)))
    actors = np.repeat(members, k)
    ts = ctx.rhythm(rng, np.repeat(lo, k), np.repeat(hi, k), ctx.nodes.market[actors])
    organic_like(ctx, rng, actors, ts, SRC_CAMO, ring.ring_id)


def new_ring(
    ctx: Ctx, pattern: str, pattern_index: int, variant: int
) -> tuple[Ring, np.random.Generator]:
    ring_id = 5 * variant + pattern_index
    rng = ctx.rng(f"ring:{ring_id}")
    market = int(rng.choice(len(ctx.markets), p=ctx.market_w))
    ring = Ring(ring_id, pattern, pattern_index, variant, market)
    plan_schedule(ctx, rng, ring)
    ctx.rings.append(ring)
    return ring, rng


def ring_size(ctx: Ctx, rng: np.random.Generator) -> int:
    return max(5, log_uniform_int(rng, 5.0, ctx.size_max()))


# ============================================================== adnet: setup
ADNET_ACTIONS = {
    "adview": "view",
    "adtap": "click",
    "install": "purchase",
    "iap": "purchase",
    "app_open": "engagement",
    "store_rating": "review",
    "reward_claim": "claim",
    "hw_ping": "login",
    "net_ping": "login",
    "postback": "claim",
    "cashout": "payout",
    "slot_register": "own",
    "console_login": "login",
    "sub_refer": "follow",
    "app_publish": "own",
    "campaign_launch": "own",
    "budget_topup": "purchase",
}
ADNET_ENTITIES = {
    "adid": "account",
    "publisher": "account",
    "studio": "account",
    "campaign": "item",
    "storeapp": "item",
    "placement": "content",
    "offer": "coupon",
    "handset": "device",
    "ipblock": "device",
    "bankacct": "payout_account",
}
DEVICE_MODELS = (
    "Galaxy A14|Galaxy S23|Redmi Note 12|iPhone 13|iPhone 15|Pixel 7|Moto G54|Oppo A78|"
    "Vivo Y36|Realme C55|Infinix Hot 30|Tecno Spark 10|iPhone SE|Galaxy A54|Redmi 12C"
).split("|")
CHEAP_MODELS = ("Redmi 9A", "Galaxy A03", "Tecno Pop 5", "Itel A58", "Redmi 12C")


def _adnet_namers() -> dict:
    def adid(rng, n, fresh=False):
        models = CHEAP_MODELS + tuple(DEVICE_MODELS[:4]) if fresh else DEVICE_MODELS
        return [models[i] for i in rng.integers(0, len(models), size=n).tolist()]

    def publisher(rng, n, fresh=False):
        w = rng.integers(0, len(WORDS), size=(n, 2)).tolist()
        suf = ("Media", "Apps", "Mobile", "Labs", "Interactive")
        s = rng.integers(0, len(suf), size=n).tolist()
        num = rng.integers(10, 9999, size=n).tolist()
        handle = rng.random(n) < (0.5 if fresh else 0.2)
        return [
            f"{WORDS[a[0]]}{num[i]} {suf[s[i]]}"
            if handle[i]
            else f"{WORDS[a[0]].title()} {WORDS[a[1]].title()} {suf[s[i]]}"
            for i, a in enumerate(w)
        ]

    def studio(rng, n, fresh=False):
        w = rng.integers(0, len(WORDS), size=(n, 2)).tolist()
        return [f"{WORDS[a[0]].title()}{WORDS[a[1]]} Games" for a in w]

    def blank(rng, n, fresh=False):
        return [""] * n

    names = {t: blank for t in ADNET_ENTITIES}
    names.update(adid=adid, publisher=publisher, studio=studio)
    return names


def adnet_ctx(n_events: int, seed: int) -> Ctx:
    formats = {
        "adid": fmt_uuid(True),
        "publisher": fmt_num("pub_", 6),
        "studio": fmt_hex("stu-", 5),
        "campaign": fmt_num("cmp", 8),
        "storeapp": fmt_hex("app.", 8),
        "placement": fmt_hex("plc_", 10),
        "offer": fmt_num("ofr-", 4),
        "handset": fmt_hex("", 16),
        "ipblock": fmt_ipv4(True),
        "bankacct": fmt_num("BK", 10),
    }
    hour = np.array(
        [
            0.35,
            0.22,
            0.15,
            0.12,
            0.12,
            0.18,
            0.35,
            0.55,
            0.65,
            0.62,
            0.60,
            0.62,
            0.70,
            0.68,
            0.62,
            0.62,
            0.66,
            0.75,
            0.85,
            0.95,
            1.00,
            0.98,
            0.82,
            0.55,
        ]
    )
    dow = np.array([0.86, 0.85, 0.86, 0.88, 0.93, 1.00, 0.98])
    return Ctx(
        platform="adnet",
        seed=seed,
        n_events=n_events,
        start=to_us(datetime(2024, 9, 2)),
        days=35,
        markets=["US", "BR", "DE", "IN", "ID"],
        offsets=np.array([-5.0, -3.0, 1.0, 5.5, 7.0]),
        market_w=np.array([0.30, 0.18, 0.17, 0.20, 0.15]),
        hour_w=hour,
        dow_w=dow,
        nodes=Nodes(list(ADNET_ENTITIES), seed, "adnet", formats),
        events=Events(list(ADNET_ACTIONS)),
        namers=_adnet_namers(),
    )


def _ages(
    rng: np.random.Generator, ctx: Ctx, n: int, median_days: float, sigma: float, inside: float
) -> np.ndarray:
    """Creation times: log-normal ages before the window, a share created inside it."""
    age = np.minimum(rng.lognormal(math.log(median_days), sigma, size=n), 8 * median_days) + 1.0
    created = ctx.start - (age * DAY).astype(np.int64)
    late = rng.random(n) < inside
    created[late] = ctx.start + (rng.uniform(0.0, ctx.days - 1.0, size=late.sum()) * DAY).astype(
        np.int64
    )
    return created


def _alive_lo(ctx: Ctx, actors: np.ndarray) -> np.ndarray:
    return np.maximum(ctx.nodes.created[actors] + MINUTE, ctx.start)


def after_target(
    ctx: Ctx, rng: np.random.Generator, actors: np.ndarray, targets: np.ndarray, ts: np.ndarray
) -> np.ndarray:
    """Move events on targets created inside the window to after the target's creation."""
    tc = ctx.nodes.created[targets]
    bad = ts < tc + MINUTE
    if not bad.any():
        return ts
    ts = ts.copy()
    lo = np.maximum(tc[bad] + MINUTE, _alive_lo(ctx, actors[bad]))
    ts[bad] = ctx.rhythm(rng, lo, np.maximum(ctx.end, lo + HOUR), ctx.nodes.market[actors[bad]])
    return ts


def _draw_actors(
    ctx: Ctx, rng: np.random.Generator, tname: str, n: int, power: float = 1.0
) -> np.ndarray:
    w = ctx.activity[tname] ** power
    return ctx.pools[tname][rng.choice(w.size, size=n, p=w / w.sum())]


def _activity(ctx: Ctx, rng: np.random.Generator, pool: np.ndarray, sigma: float) -> np.ndarray:
    act = rng.lognormal(0.0, sigma, size=pool.size)
    alive = (ctx.end - np.maximum(ctx.nodes.created[pool], ctx.start)) / (ctx.days * DAY)
    return act * np.clip(alive, 0.01, 1.0)


def adnet_setup(ctx: Ctx) -> None:
    rng = ctx.rng("adnet:setup")
    nd, N, M = ctx.nodes, ctx.n_events, len(ctx.markets)
    n_adid = max(2000, N // 9)
    n_pub = max(60, N // 2500)
    n_studio = max(25, N // 8000)
    mk = lambda n: rng.choice(M, size=n, p=ctx.market_w)  # noqa: E731
    studios = nd.add(
        "studio",
        n_studio,
        _ages(rng, ctx, n_studio, 700, 0.7, 0.0),
        mk(n_studio),
        ctx.namers["studio"](rng, n_studio),
    )
    apps_per = rng.integers(1, 6, size=n_studio)
    app_owner = np.repeat(studios, apps_per)
    n_app = app_owner.size
    app_created = np.maximum(_ages(rng, ctx, n_app, 300, 1.0, 0.08), nd.created[app_owner] + DAY)
    apps = nd.add("storeapp", n_app, app_created, nd.market[app_owner])
    n_cmp = max(40, int(round(n_app * 1.5)))
    cmp_app = apps[rng.integers(0, n_app, size=n_cmp)]
    cmp_created = np.maximum(_ages(rng, ctx, n_cmp, 40, 0.8, 0.25), nd.created[cmp_app] + HOUR)
    campaigns = nd.add("campaign", n_cmp, cmp_created, mk(n_cmp))
    pubs = nd.add(
        "publisher",
        n_pub,
        _ages(rng, ctx, n_pub, 400, 0.8, 0.05),
        mk(n_pub),
        ctx.namers["publisher"](rng, n_pub),
        (rng.random(n_pub) < 0.04).astype(int),
    )
    banks = nd.add("bankacct", n_pub, nd.created[pubs] - DAY, nd.market[pubs])
    slots_per = rng.integers(1, 7, size=n_pub)
    slot_owner = np.repeat(pubs, slots_per)
    slot_created = np.maximum(
        _ages(rng, ctx, slot_owner.size, 200, 1.0, 0.06), nd.created[slot_owner] + HOUR
    )
    slots = nd.add("placement", slot_owner.size, slot_created, nd.market[slot_owner])
    n_offer = max(12, N // 20000)
    offers = nd.add("offer", n_offer, _ages(rng, ctx, n_offer, 60, 0.6, 0.2), mk(n_offer))
    adm = mk(n_adid)
    adids = nd.add(
        "adid",
        n_adid,
        _ages(rng, ctx, n_adid, 200, 1.0, 0.12),
        adm,
        ctx.namers["adid"](rng, n_adid),
        (rng.random(n_adid) < 0.01).astype(int),
    )
    # infrastructure: households share handsets, carriers NAT thousands behind one block
    n_hw = int(n_adid * 0.93)
    hw = nd.add("handset", n_hw, nd.created[adids].min() - DAY, 0)
    home = np.r_[rng.permutation(n_hw), rng.integers(0, n_hw, size=n_adid - n_hw)]
    nd.home_dev[adids] = hw[rng.permutation(home)]
    nd.market[nd.home_dev[adids]] = adm
    nd.created[nd.home_dev[adids]] = nd.created[adids] - DAY
    n_nat = max(3, n_adid // 4000)
    nat = {m: nd.add("ipblock", n_nat, ctx.start - 1500 * DAY, m) for m in range(M)}
    nat_w = {m: zipf_weights(rng, n_nat, 1.1) for m in range(M)}
    n_homeblk = max(50, n_adid // 12)
    homeblk = nd.add("ipblock", n_homeblk, ctx.start - 1500 * DAY, mk(n_homeblk))
    on_nat = rng.random(n_adid) < 0.45
    hn = homeblk[rng.integers(0, n_homeblk, size=n_adid)]
    for m in range(M):
        sel = np.flatnonzero(on_nat & (adm == m))
        hn[sel] = nat[m][rng.choice(n_nat, size=sel.size, p=nat_w[m])]
    nd.home_net[adids] = hn
    offices = nd.add(
        "ipblock",
        n_pub + n_studio,
        ctx.start - 1500 * DAY,
        np.r_[nd.market[pubs], nd.market[studios]],
    )
    nd.home_net[pubs] = offices[:n_pub]
    nd.home_net[studios] = offices[n_pub:]
    link = np.full(nd.n + 10, -1, dtype=np.int64)
    link[campaigns], link[apps], link[slots], link[pubs] = cmp_app, app_owner, slot_owner, banks
    bid = np.zeros(nd.n + 10)
    bid[campaigns] = np.round(rng.lognormal(math.log(1.2), 0.6, size=n_cmp), 2)
    ctx.extra.update(link=link, bid=bid, nat=nat, nat_w=nat_w, banks=banks)
    ctx.pools.update(
        adid=adids,
        publisher=pubs,
        studio=studios,
        campaign=campaigns,
        storeapp=apps,
        placement=slots,
        offer=offers,
        handset=hw,
    )
    for t, s in (("campaign", 1.0), ("storeapp", 1.05), ("placement", 0.95), ("offer", 0.9)):
        ctx.pop[t] = zipf_weights(rng, ctx.pools[t].size, s)
    ctx.activity["adid"] = _activity(ctx, rng, adids, 1.2)
    ctx.activity["publisher"] = _activity(ctx, rng, pubs, 1.0)
    ctx.activity["studio"] = _activity(ctx, rng, studios, 0.8)


def _weekly(ctx: Ctx, rng: np.random.Generator, actors: np.ndarray, p: float) -> tuple:
    """One event per actor and week (with probability p), inside the actor's lifetime."""
    weeks = int(math.ceil(ctx.days / 7))
    a = np.repeat(actors, weeks)
    w = np.tile(np.arange(weeks), actors.size)
    lo = np.maximum(ctx.start + w * 7 * DAY, ctx.nodes.created[a] + HOUR)
    hi = np.minimum(ctx.start + (w + 1) * 7 * DAY, ctx.end)
    keep = (rng.random(a.size) < p) & (lo < hi)
    a, lo, hi = a[keep], lo[keep], hi[keep]
    return a, ctx.rhythm(rng, lo, hi, ctx.nodes.market[a])


def _nat_of(ctx: Ctx, rng: np.random.Generator, actors: np.ndarray) -> np.ndarray:
    out = np.empty(actors.size, dtype=np.int64)
    mkt = ctx.nodes.market[actors]
    for m, blocks in ctx.extra["nat"].items():
        sel = np.flatnonzero(mkt == m)
        out[sel] = blocks[rng.choice(blocks.size, size=sel.size, p=ctx.extra["nat_w"][m])]
    return out


def adnet_organic(ctx: Ctx) -> None:
    rng = ctx.rng("adnet:organic")
    nd, ev, N, end = ctx.nodes, ctx.events, ctx.n_events, ctx.end
    link, bid = ctx.extra["link"], ctx.extra["bid"]

    def base(tname: str, n: int, power: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        a = _draw_actors(ctx, rng, tname, n, power)
        return a, ctx.rhythm(rng, _alive_lo(ctx, a), end, nd.market[a])

    n_tap = int(0.10 * N)
    a, ts = base("adid", n_tap)
    cmp_ = ctx.pick(rng, "campaign", n_tap, nd.market[a])
    ts = after_target(ctx, rng, a, cmp_, ts)
    ev.add(a, cmp_, "adtap", ts)
    conv = rng.random(n_tap) < 0.07
    ia, ic = a[conv], cmp_[conv]
    its = ts[conv] + (rng.lognormal(math.log(240.0), 0.9, size=ia.size) * US).astype(np.int64)
    keep = its < end - 2 * MINUTE
    ia, ic, its = ia[keep], ic[keep], its[keep]
    iapp = link[ic]
    ev.add(ia, iapp, "install", its)
    slots = ctx.pools["placement"]
    old = nd.created[slots] < ctx.start
    w = ctx.pop["placement"] * old
    shown = slots[rng.choice(slots.size, size=ia.size, p=w / w.sum())]
    pts = its + (rng.uniform(2.0, 90.0, size=ia.size) * US).astype(np.int64)
    ev.add(link[shown], ic, "postback", pts, bid[ic])
    n_si = int(0.035 * N)
    sa, sts = base("adid", n_si)
    sapp = ctx.pick(rng, "storeapp", n_si, nd.market[sa])
    sts = after_target(ctx, rng, sa, sapp, sts)
    ev.add(sa, sapp, "install", sts)
    all_a, all_app, all_ts = np.r_[ia, sa], np.r_[iapp, sapp], np.r_[its, sts]
    k = rng.poisson(2.2, size=all_a.size)
    oa, oapp = np.repeat(all_a, k), np.repeat(all_app, k)
    ots = (
        np.repeat(all_ts, k) + (rng.exponential(3.0, size=oa.size) * DAY).astype(np.int64) + 30 * US
    )
    keep = ots < end
    ev.add(oa[keep], oapp[keep], "app_open", ots[keep])
    n_io = int(0.14 * N)
    a, ts = base("adid", n_io)
    app = ctx.pick(rng, "storeapp", n_io, nd.market[a])
    ev.add(a, app, "app_open", after_target(ctx, rng, a, app, ts))
    n_iap = int(0.012 * N)
    a, ts = base("adid", n_iap, 1.4)
    prices = np.array([0.99, 1.99, 4.99, 9.99, 19.99, 49.99])
    amt = prices[rng.choice(6, size=n_iap, p=[0.38, 0.22, 0.2, 0.11, 0.06, 0.03])]
    app = ctx.pick(rng, "storeapp", n_iap, nd.market[a])
    ev.add(a, app, "iap", after_target(ctx, rng, a, app, ts), amt)
    n_rate = int(0.005 * N)
    a, ts = base("adid", n_rate)
    stars = rng.choice(np.arange(1.0, 6.0), size=n_rate, p=[0.08, 0.05, 0.1, 0.25, 0.52])
    app = ctx.pick(rng, "storeapp", n_rate, nd.market[a])
    ev.add(a, app, "store_rating", after_target(ctx, rng, a, app, ts), stars)
    n_rw = int(0.008 * N)
    a, ts = base("adid", n_rw)
    ev.add(a, ctx.pick(rng, "offer", n_rw, nd.market[a], 1.0), "reward_claim", ts)
    n_hw = int(0.07 * N)
    a, ts = base("adid", n_hw)
    dev = np.where(
        rng.random(n_hw) < 0.96,
        nd.home_dev[a],
        ctx.pools["handset"][rng.integers(0, ctx.pools["handset"].size, size=n_hw)],
    )
    ev.add(a, dev, "hw_ping", ts)
    n_net = int(0.06 * N)
    a, ts = base("adid", n_net)
    net = np.where(rng.random(n_net) < 0.75, nd.home_net[a], _nat_of(ctx, rng, a))
    ev.add(a, net, "net_ping", ts)
    # publishers
    pubs = ctx.pools["publisher"]
    a, ts = _weekly(ctx, rng, pubs, 0.8)
    amt = np.round(rng.lognormal(math.log(350.0), 1.1, size=a.size), 2)
    ev.add(a, link[a], "cashout", ts, amt)
    k = rng.poisson(ctx.days / 3.0 * np.sqrt(ctx.activity["publisher"]))
    a = np.repeat(pubs, k)
    ev.add(
        a, nd.home_net[a], "console_login", ctx.rhythm(rng, _alive_lo(ctx, a), end, nd.market[a])
    )
    new_slots = slots[nd.created[slots] >= ctx.start]
    owner = link[new_slots]
    ev.add(
        owner,
        new_slots,
        "slot_register",
        np.maximum(nd.created[new_slots], nd.created[owner] + MINUTE),
    )
    n_ref = int(rng.poisson(0.15 * pubs.size))
    a = pubs[rng.integers(0, pubs.size, size=n_ref)]
    b = pubs[rng.integers(0, pubs.size, size=n_ref)]
    a, b = a[a != b], b[a != b]
    ev.add(a, b, "sub_refer", ctx.rhythm(rng, _alive_lo(ctx, a), end, nd.market[a]))
    # studios
    apps, cmps, studios = ctx.pools["storeapp"], ctx.pools["campaign"], ctx.pools["studio"]
    new_apps = apps[nd.created[apps] >= ctx.start]
    ev.add(link[new_apps], new_apps, "app_publish", nd.created[new_apps])
    new_cmp = cmps[nd.created[cmps] >= ctx.start]
    ev.add(
        link[link[new_cmp]],
        new_cmp,
        "campaign_launch",
        np.maximum(nd.created[new_cmp], nd.created[link[link[new_cmp]]] + MINUTE),
    )
    k = rng.poisson(ctx.days / 10.0, size=cmps.size)
    c = np.repeat(cmps, k)
    st = link[link[c]]
    lo = np.maximum(np.maximum(nd.created[c], nd.created[st]) + HOUR, ctx.start)
    keep = lo < end - HOUR
    c, st, lo = c[keep], st[keep], lo[keep]
    amt = np.round(rng.lognormal(math.log(1500.0), 0.9, size=c.size) / 50.0) * 50.0 + 50.0
    ev.add(st, c, "budget_topup", ctx.rhythm(rng, lo, end, nd.market[st]), amt)
    k = rng.poisson(ctx.days / 4.0, size=studios.size)
    a = np.repeat(studios, k)
    ev.add(
        a, nd.home_net[a], "console_login", ctx.rhythm(rng, _alive_lo(ctx, a), end, nd.market[a])
    )
    # the rest: ad views on Zipf-popular placements
    n_view = N - ev.count(SRC_ORGANIC)
    if n_view < 0:
        raise SystemExit(f"adnet: organic plan exceeds N by {-n_view} events")
    a, ts = base("adid", n_view)
    slot = ctx.pick(rng, "placement", n_view, nd.market[a])
    ev.add(a, slot, "adview", after_target(ctx, rng, a, slot, ts))


def adnet_like(
    ctx: Ctx, rng: np.random.Generator, actors: np.ndarray, ts: np.ndarray, src: int, sid: int
) -> None:
    """Organic-looking events for given actors and times (camouflage, background)."""
    nd, ev = ctx.nodes, ctx.events
    ty = nd.tcode[actors]
    is_ad = ty == nd.tcode_of["adid"]
    a, t = actors[is_ad], ts[is_ad]
    r = rng.random(a.size)
    cuts = np.cumsum([0.45, 0.24, 0.12, 0.08, 0.07, 0.04])
    kind = np.searchsorted(cuts, r * cuts[-1], side="right")
    hw_ok = nd.home_dev[a] >= 0
    kind = np.where((kind == 3) & ~hw_ok, 0, kind)
    m = nd.market[a]
    for code, action, tname in (
        (0, "adview", "placement"),
        (1, "app_open", "storeapp"),
        (2, "adtap", "campaign"),
        (5, "install", "storeapp"),
    ):
        s = kind == code
        tg = ctx.pick(rng, tname, int(s.sum()), m[s])
        ev.add(a[s], tg, action, after_target(ctx, rng, a[s], tg, t[s]), src=src, sid=sid)
    s = kind == 3
    ev.add(a[s], nd.home_dev[a[s]], "hw_ping", t[s], src=src, sid=sid)
    s = kind == 4
    net = np.where(nd.home_net[a[s]] >= 0, nd.home_net[a[s]], _nat_of(ctx, rng, a[s]))
    ev.add(a[s], net, "net_ping", t[s], src=src, sid=sid)
    other = ~is_ad
    a, t = actors[other], ts[other]
    is_pub = nd.tcode[a] == nd.tcode_of["publisher"]
    login = (rng.random(a.size) < 0.35) | ~is_pub
    net = np.where(nd.home_net[a] >= 0, nd.home_net[a], _nat_of(ctx, rng, a))
    ev.add(a[login], net[login], "console_login", t[login], src=src, sid=sid)
    s = ~login
    c = ctx.pick(rng, "campaign", int(s.sum()), nd.market[a[s]])
    ev.add(a[s], c, "postback", t[s], ctx.extra["bid"][c], src=src, sid=sid)


# ============================================================== adnet: rings
def emit(
    ctx: Ctx, ring: Ring, actor, target, action: str, ts, amount=None, src: int = SRC_RING
) -> None:
    """Ring events (dropping any that would fall after the window)."""
    ts = np.asarray(ts, dtype=np.int64).ravel()
    n = ts.size
    keep = ts < ctx.end
    actor = np.broadcast_to(np.asarray(actor, dtype=np.int64), n)[keep]
    target = np.broadcast_to(np.asarray(target, dtype=np.int64), n)[keep]
    if amount is not None:
        amount = np.broadcast_to(np.asarray(amount, dtype=np.float64), n)[keep]
    ctx.events.add(actor, target, action, ts[keep], amount, src=src, sid=ring.ring_id)


def choose_targets(
    ctx: Ctx,
    rng: np.random.Generator,
    tname: str,
    k: int,
    before: int,
    market: int | None = None,
    alpha: float = 1.0,
) -> np.ndarray:
    """k distinct existing targets; alpha=1 popular, 0.5 mid-popular, 0 mostly obscure."""
    pool = ctx.pools[tname]
    w = ctx.pop[tname] ** alpha * (ctx.nodes.created[pool] < before)
    if market is not None:
        w = w * (1.0 + 3.0 * (ctx.nodes.market[pool] == market))
    k = min(k, int((w > 0).sum()))
    return rng.choice(pool, size=k, replace=False, p=w / w.sum())


def _jitter(rng: np.random.Generator, n: int, lo_s: float, hi_s: float) -> np.ndarray:
    return (rng.uniform(lo_s, hi_s, size=n) * US).astype(np.int64)


def _equip_adids(
    ctx: Ctx,
    rng: np.random.Generator,
    ring: Ring,
    ads: np.ndarray,
    hij: np.ndarray,
    own_device: bool = True,
) -> None:
    nd = ctx.nodes
    fresh = ads[~hij]
    if own_device:
        dev = nd.add("handset", fresh.size, nd.created[fresh] - HOUR, ring.market)
        nd.home_dev[fresh] = dev
    nd.home_net[fresh] = _nat_of(ctx, rng, fresh)


def _equip_pubs(
    ctx: Ctx,
    rng: np.random.Generator,
    ring: Ring,
    pubs: np.ndarray,
    hij: np.ndarray,
    office: int | None = None,
) -> np.ndarray:
    """Console blocks for fresh publishers; returns each publisher's own bank account."""
    nd = ctx.nodes
    fresh = pubs[~hij]
    if office is None:
        nd.home_net[fresh] = nd.add("ipblock", fresh.size, nd.created[fresh] - DAY, ring.market)
    else:
        nd.home_net[fresh] = office
    banks = ctx.extra["link"][np.minimum(pubs, ctx.extra["link"].size - 1)].copy()
    new_bank = nd.add("bankacct", fresh.size, nd.created[fresh], ring.market)
    banks[~hij] = new_bank
    return banks


def _an_device_farm(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    nd = ctx.nodes
    s = ring_size(ctx, rng)
    ads, hij = recruit(ctx, rng, ring, "adid", s)
    slow = ring.vname == "slow"
    n_hw = max(2, int(round(s / (4.0 if slow else 8.0))))
    farm = nd.add("handset", n_hw, ring.t0 - int(rng.uniform(5, 60) * DAY), ring.market)
    dev = farm[rng.permutation(np.arange(s) % n_hw)]
    if slow:
        blocks = ctx.extra["nat"][ring.market][:3]
        net = blocks[rng.integers(0, blocks.size, size=s)]
        ring.shares = ["handset"]
    else:
        n_ip = 2 if ring.vname == "waves" else 1
        ips = nd.add("ipblock", n_ip, ring.t0 - 30 * DAY, ring.market)
        net = ips[rng.integers(0, n_ip, size=s)]
        ring.shares = ["handset", "ipblock"]
    nd.home_dev[ads[~hij]] = dev[~hij]
    nd.home_net[ads[~hij]] = net[~hij]
    cmps = choose_targets(ctx, rng, "campaign", int(rng.integers(1, 3)), ring.t0, ring.market, 0.6)
    apps = np.unique(ctx.extra["link"][cmps])
    ring.targets = cmps.tolist() + apps.tolist()
    sessions = 1 + rng.poisson(2.0 if slow else 1.0, size=s)
    who = np.repeat(np.arange(s), sessions)
    a = ads[who]
    t = ring_ts(ctx, rng, ring, who.size)
    c = cmps[rng.integers(0, cmps.size, size=who.size)]
    emit(ctx, ring, a, dev[who], "hw_ping", t)
    emit(ctx, ring, a, net[who], "net_ping", t + _jitter(rng, who.size, 1, 20))
    emit(ctx, ring, a, c, "adtap", t + _jitter(rng, who.size, 20, 90))
    ti = t + _jitter(rng, who.size, 100, 600)
    emit(ctx, ring, a, ctx.extra["link"][c], "install", ti)
    k = rng.integers(0, 3, size=who.size)
    emit(
        ctx,
        ring,
        np.repeat(a, k),
        np.repeat(ctx.extra["link"][c], k),
        "app_open",
        np.repeat(ti, k) + _jitter(rng, int(k.sum()), 60, 1800),
    )


def _an_sdk_spoof(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    s = ring_size(ctx, rng)
    ads, hij = recruit(ctx, rng, ring, "adid", s)
    _equip_adids(ctx, rng, ring, ads, hij)
    cmps = choose_targets(ctx, rng, "campaign", 8, ring.t0, ring.market, 0.25)
    apps = np.unique(ctx.extra["link"][cmps])[: int(rng.integers(2, 5))]
    ring.targets = apps.tolist()
    ring.shares = []
    k = rng.integers(1, min(3, apps.size) + 1, size=s)
    who = np.repeat(np.arange(s), k)
    app = np.concatenate([rng.choice(apps, size=j, replace=False) for j in k])
    t = ring_ts(ctx, rng, ring, who.size)
    emit(ctx, ring, ads[who], app, "install", t)
    first = np.r_[0, np.cumsum(k)[:-1]]
    emit(ctx, ring, ads, ctx.nodes.home_dev[ads], "hw_ping", t[first] - _jitter(rng, s, 2, 10))


def _an_incent(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    s = ring_size(ctx, rng)
    ads, hij = recruit(ctx, rng, ring, "adid", s)
    _equip_adids(ctx, rng, ring, ads, hij)
    offers = choose_targets(ctx, rng, "offer", int(rng.integers(1, 3)), ring.t0, ring.market, 0.3)
    apps = choose_targets(ctx, rng, "storeapp", int(rng.integers(3, 7)), ring.t0, ring.market, 0.2)
    ring.targets = offers.tolist() + apps.tolist()
    ring.shares = []
    k = rng.integers(1, 3, size=s * offers.size)
    who = np.repeat(np.tile(np.arange(s), offers.size), k)
    off = np.repeat(np.repeat(offers, s), k)
    emit(ctx, ring, ads[who], off, "reward_claim", ring_ts(ctx, rng, ring, who.size))
    m_i, a_i = np.nonzero(rng.random((s, apps.size)) < 0.8)
    t = ring_ts(ctx, rng, ring, m_i.size)
    emit(ctx, ring, ads[m_i], apps[a_i], "install", t)
    emit(ctx, ring, ads[m_i], apps[a_i], "app_open", t + _jitter(rng, m_i.size, 60, 1200))
    rate = rng.random(m_i.size) < (0.5 if ring.vname == "slow" else 0.7)
    emit(
        ctx,
        ring,
        ads[m_i[rate]],
        apps[a_i[rate]],
        "store_rating",
        t[rate] + _jitter(rng, int(rate.sum()), 120, 3600),
        5.0,
    )


def _an_pub_collusion(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    nd, link, bid = ctx.nodes, ctx.extra["link"], ctx.extra["bid"]
    s = ring_size(ctx, rng)
    n_pub = max(2, int(round(s * 0.25)))
    pubs, hij_p = recruit(ctx, rng, ring, "publisher", n_pub)
    ads, hij_a = recruit(ctx, rng, ring, "adid", s - n_pub)
    _equip_adids(ctx, rng, ring, ads, hij_a)
    slow = ring.vname == "slow"
    office = None
    if not slow:
        office = int(nd.add("ipblock", 1, ring.t0 - 60 * DAY, ring.market)[0])
    _equip_pubs(ctx, rng, ring, pubs, hij_p, office)
    banks = nd.add("bankacct", 2 if slow else 1, ring.t0 - 20 * DAY, ring.market)
    cmps = choose_targets(ctx, rng, "campaign", int(rng.integers(2, 5)), ring.t0, ring.market, 0.5)
    ring.targets = banks.tolist() + cmps.tolist()
    ring.shares = ["bankacct"] + ([] if slow else ["ipblock"])
    n_slot = rng.integers(1, 3, size=n_pub)
    owner = np.repeat(pubs, n_slot)
    reg = nd.created[owner] + (
        (ring.t0 - nd.created[owner]) * rng.uniform(0.3, 0.9, owner.size)
    ).astype(np.int64)
    reg = np.maximum(np.maximum(reg, ring.t0 - 10 * DAY), ctx.start) + _jitter(
        rng, owner.size, 60, 900
    )
    slots = nd.add("placement", owner.size, reg, ring.market)
    emit(ctx, ring, owner, slots, "slot_register", reg)
    k = rng.poisson(20.0, size=slots.size)  # some real traffic through the colluders' slots
    sl = np.repeat(slots, k)
    viewers = ctx.pick_accounts(rng, "adid", sl.size, ring.market, before=ring.t0)
    sl = sl[: viewers.size]
    viewers = rng.permutation(viewers)
    emit(
        ctx,
        ring,
        viewers,
        sl,
        "adview",
        ctx.rhythm(
            rng,
            np.maximum(nd.created[sl] + HOUR, _alive_lo(ctx, viewers)),
            ctx.end,
            ring.market,
            sl.size,
        ),
        src=SRC_CAMO,
    )
    ref_b = np.roll(pubs, 1)
    first_reg = reg[np.r_[0, np.cumsum(n_slot)[:-1]]]
    emit(ctx, ring, pubs, ref_b, "sub_refer", np.maximum(first_reg, nd.created[ref_b]) + HOUR)
    k = rng.integers(3, 11, size=ads.size)
    who = np.repeat(ads, k)
    emit(
        ctx,
        ring,
        who,
        slots[rng.integers(0, slots.size, size=who.size)],
        "adview",
        ring_ts(ctx, rng, ring, who.size),
    )
    k = rng.integers(1, 4, size=ads.size)
    who = np.repeat(ads, k)
    t = ring_ts(ctx, rng, ring, who.size)
    c = cmps[rng.integers(0, cmps.size, size=who.size)]
    emit(ctx, ring, who, c, "adtap", t)
    inst = rng.random(who.size) < 0.4
    emit(
        ctx,
        ring,
        who[inst],
        link[c[inst]],
        "install",
        t[inst] + _jitter(rng, int(inst.sum()), 60, 900),
    )
    n_pb = rng.poisson(3.0 * ads.size / n_pub + 4.0, size=n_pub)
    pb = np.repeat(pubs, n_pb)
    c = cmps[rng.integers(0, cmps.size, size=pb.size)]
    emit(ctx, ring, pb, c, "postback", ring_ts(ctx, rng, ring, pb.size), bid[c])
    n_co = rng.integers(1, 5, size=n_pub)
    co = np.repeat(pubs, n_co)
    emit(
        ctx,
        ring,
        co,
        banks[rng.integers(0, banks.size, size=co.size)],
        "cashout",
        ring_ts(ctx, rng, ring, co.size) + _jitter(rng, co.size, 3600, 6 * 3600),
        np.round(rng.lognormal(math.log(600.0), 0.6, size=co.size), 2),
    )
    emit(ctx, ring, pubs, nd.home_net[pubs], "console_login", ring_ts(ctx, rng, ring, n_pub))


def _an_click_injection(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    nd, link, bid = ctx.nodes, ctx.extra["link"], ctx.extra["bid"]
    s = ring_size(ctx, rng)
    n_pub = 1 if s < 20 else 2
    pubs, hij_p = recruit(ctx, rng, ring, "publisher", n_pub, hijack=0.0)
    ads, hij_a = recruit(ctx, rng, ring, "adid", s - n_pub)
    _equip_adids(ctx, rng, ring, ads, hij_a)
    own_bank = _equip_pubs(ctx, rng, ring, pubs, hij_p)
    cmps = choose_targets(ctx, rng, "campaign", int(rng.integers(2, 4)), ring.t0, None, 0.6)
    ring.targets = cmps.tolist()
    ring.shares = []
    sess = rng.integers(1, 4, size=ads.size)
    s_who = np.repeat(ads, sess)
    s_t = ring_ts(ctx, rng, ring, s_who.size)
    k = rng.integers(3, 12, size=s_who.size)
    who = np.repeat(s_who, k)
    t = np.repeat(s_t, k) + _jitter(rng, who.size, 0, 300)
    emit(ctx, ring, who, cmps[rng.integers(0, cmps.size, size=who.size)], "adtap", t)
    n_inj = rng.integers(1, 3, size=ads.size)
    who = np.repeat(ads, n_inj)
    ti = ring_ts(ctx, rng, ring, who.size)
    c = cmps[rng.integers(0, cmps.size, size=who.size)]
    emit(ctx, ring, who, c, "adtap", ti - _jitter(rng, who.size, 1, 15))
    emit(ctx, ring, who, link[c], "install", ti)
    pub = pubs[rng.integers(0, n_pub, size=who.size)]
    emit(ctx, ring, pub, c, "postback", ti + _jitter(rng, who.size, 1, 5), bid[c])
    extra = int(rng.poisson(0.5 * ads.size))
    c = cmps[rng.integers(0, cmps.size, size=extra)]
    emit(
        ctx,
        ring,
        pubs[rng.integers(0, n_pub, size=extra)],
        c,
        "postback",
        ring_ts(ctx, rng, ring, extra),
        bid[c],
    )
    t = ring_ts(ctx, rng, ring, n_pub) + _jitter(rng, n_pub, 3600, 12 * 3600)
    emit(
        ctx,
        ring,
        pubs,
        own_bank,
        "cashout",
        t,
        np.round(rng.lognormal(math.log(900.0), 0.5, size=n_pub), 2),
    )
    emit(ctx, ring, pubs, nd.home_net[pubs], "console_login", ring_ts(ctx, rng, ring, n_pub))


ADNET_PATTERNS = (
    ("device_farm", _an_device_farm),
    ("sdk_spoof", _an_sdk_spoof),
    ("incent_offerwall", _an_incent),
    ("publisher_collusion", _an_pub_collusion),
    ("click_injection", _an_click_injection),
)


def adnet_rings(ctx: Ctx) -> None:
    for variant in range(3):
        for pi, (name, fn) in enumerate(ADNET_PATTERNS):
            ring, rng = new_ring(ctx, name, pi, variant)
            fn(ctx, ring, rng)
            camouflage(ctx, rng, ring, adnet_like)


# ========================================================== negatives (both)
def group_counts(ctx: Ctx, rng: np.random.Generator, weights: list[float]) -> np.ndarray:
    """Number of look-alike groups per kind: about 0.3 * (N/1000)**0.8, at least 1 each."""
    k = len(weights)
    total = max(k, int(round(0.3 * (ctx.n_events / 1000.0) ** 0.8)))
    w = np.asarray(weights, dtype=np.float64)
    return 1 + rng.multinomial(total - k, w / w.sum())


def nemit(ctx: Ctx, kind_idx: int, actor, target, action: str, ts, amount=None) -> None:
    ts = np.asarray(ts, dtype=np.int64).ravel()
    n = ts.size
    keep = (ts < ctx.end) & (ts >= ctx.start)
    actor = np.broadcast_to(np.asarray(actor, dtype=np.int64), n)[keep]
    target = np.broadcast_to(np.asarray(target, dtype=np.int64), n)[keep]
    if amount is not None:
        amount = np.broadcast_to(np.asarray(amount, dtype=np.float64), n)[keep]
    ctx.events.add(actor, target, action, ts[keep], amount, src=SRC_NEG, sid=kind_idx)


def scaled(ctx: Ctx, rng: np.random.Generator, per: float, lo: int, hi: int) -> int:
    """A group size growing with N: about N/per, jittered, clipped to [lo, hi]."""
    return int(np.clip(ctx.n_events / per * rng.uniform(0.5, 1.5), lo, hi))


def _day_at(
    ctx: Ctx, rng: np.random.Generator, market: int, lo_day: float, hi_day: float, local_hour: float
) -> int:
    """A UTC instant at a given local hour on a random day of the window."""
    d = int(rng.uniform(lo_day, hi_day))
    return ctx.start + d * DAY + int((local_hour - ctx.offsets[market]) * HOUR)


# ========================================================= adnet: negatives
def _ng_store_feature(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    m = int(rng.choice(len(ctx.markets), p=ctx.market_w))
    t_f = _day_at(ctx, rng, m, 2, ctx.days - 5, rng.uniform(8, 12))
    app = choose_targets(ctx, rng, "storeapp", 1, t_f - 30 * DAY, m, 0.5)[0]
    ads = ctx.pick_accounts(rng, "adid", scaled(ctx, rng, 400, 80, 3000), m, before=t_f)
    t = t_f + (rng.gamma(1.5, 1.5, size=ads.size) * HOUR).astype(np.int64)
    nemit(ctx, ki, ads, app, "install", t)
    k = rng.poisson(4.0, size=ads.size)
    nemit(
        ctx,
        ki,
        np.repeat(ads, k),
        app,
        "app_open",
        np.repeat(t, k) + (rng.exponential(2.0, size=int(k.sum())) * DAY).astype(np.int64),
    )
    ctx.add_negative("store_feature", ads)


def _ng_campus_nat(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    m = int(rng.choice(len(ctx.markets), p=ctx.market_w))
    block = ctx.nodes.add("ipblock", 1, ctx.start - 2000 * DAY, m)[0]
    ads = ctx.pick_accounts(rng, "adid", scaled(ctx, rng, 5000, 20, 400), m, active=True)
    k = rng.poisson(8.0, size=ads.size) + 2
    a = np.repeat(ads, k)
    nemit(ctx, ki, a, block, "net_ping", ctx.rhythm(rng, _alive_lo(ctx, a), ctx.end, m))
    ctx.add_negative("campus_nat", ads)


def _ng_qa_lab(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd, link = ctx.nodes, ctx.extra["link"]
    apps = ctx.pools["storeapp"]
    studio = link[apps[rng.integers(0, apps.size)]]
    own = apps[link[apps] == studio]
    m = int(nd.market[studio])
    n_dev = int(rng.integers(3, 9))
    n_ad = int(rng.integers(10, 41))
    created = ctx.start + (rng.uniform(0, ctx.days - 6, size=n_ad) * DAY).astype(np.int64)
    devs = nd.add("handset", n_dev, ctx.start - 200 * DAY, m)
    ads = nd.add("adid", n_ad, created, m, ctx.namers["adid"](rng, n_ad))
    nd.home_dev[ads] = devs[np.arange(n_ad) % n_dev]
    nd.home_net[ads] = nd.home_net[studio]
    k = rng.integers(6, 25, size=n_ad)
    a = np.repeat(ads, k)
    lo = nd.created[a] + MINUTE
    t = ctx.rhythm(rng, lo, lo + (rng.uniform(1, 5, size=a.size) * DAY).astype(np.int64), m)
    kind = rng.integers(0, 6, size=a.size)
    app = own[rng.integers(0, own.size, size=a.size)]
    nemit(ctx, ki, a[kind == 0], nd.home_dev[a[kind == 0]], "hw_ping", t[kind == 0])
    nemit(ctx, ki, a[kind == 1], nd.home_net[a[kind == 1]], "net_ping", t[kind == 1])
    nemit(ctx, ki, a[kind == 2], app[kind == 2], "install", t[kind == 2])
    s = kind >= 3
    nemit(ctx, ki, a[s], app[s], "app_open", t[s])
    s = kind == 5
    nemit(ctx, ki, a[s], app[s], "iap", t[s] + 30 * US, 0.99)
    ctx.add_negative("qa_device_lab", ads)


def _ng_retail_kiosk(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd = ctx.nodes
    m = int(rng.choice(len(ctx.markets), p=ctx.market_w))
    n_dev = int(rng.integers(5, 21))
    devs = nd.add("handset", n_dev, ctx.start - 100 * DAY, m)
    store_ip = nd.add("ipblock", 1, ctx.start - 1000 * DAY, m)[0]
    demo_apps = choose_targets(ctx, rng, "storeapp", int(rng.integers(3, 6)), ctx.start, m, 1.0)
    members = []
    for dev in devs.tolist():
        days = np.sort(rng.choice(ctx.days - 1, size=int(rng.integers(3, 11)), replace=False))
        opening = ctx.start + days * DAY + int((9.5 - ctx.offsets[m]) * HOUR)
        ads = nd.add("adid", days.size, opening, m, ctx.namers["adid"](rng, 1) * days.size)
        nd.home_dev[ads] = dev
        nd.home_net[ads] = store_ip
        k = rng.integers(4, 15, size=ads.size)
        a = np.repeat(ads, k)
        t = np.repeat(opening, k) + (rng.uniform(0.05, 10.5, size=a.size) * HOUR).astype(np.int64)
        kind = rng.integers(0, 4, size=a.size)
        nemit(ctx, ki, a[kind == 0], dev, "hw_ping", t[kind == 0])
        nemit(ctx, ki, a[kind == 1], store_ip, "net_ping", t[kind == 1])
        s = kind >= 2
        nemit(
            ctx,
            ki,
            a[s],
            demo_apps[rng.integers(0, demo_apps.size, size=int(s.sum()))],
            "app_open",
            t[s],
        )
        members.append(ads)
    ctx.add_negative("retail_kiosk", np.concatenate(members))


def _ng_offerwall(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    m = int(rng.choice(len(ctx.markets), p=ctx.market_w))
    offer = choose_targets(ctx, rng, "offer", 1, ctx.start, m, 1.0)[0]
    app = choose_targets(ctx, rng, "storeapp", 1, ctx.start, m, 0.5)[0]
    ads = ctx.pick_accounts(rng, "adid", scaled(ctx, rng, 4000, 20, 300), m)
    t0 = ctx.start + int(rng.uniform(0, ctx.days - 22) * DAY)
    t = ctx.rhythm(rng, np.maximum(_alive_lo(ctx, ads), t0), t0 + int(rng.uniform(7, 21) * DAY), m)
    nemit(ctx, ki, ads, offer, "reward_claim", t)
    ti = t + (rng.uniform(1, 30, size=ads.size) * MINUTE).astype(np.int64)
    nemit(ctx, ki, ads, app, "install", ti)
    k = rng.poisson(6.0, size=ads.size)
    nemit(
        ctx,
        ki,
        np.repeat(ads, k),
        app,
        "app_open",
        np.repeat(ti, k) + (rng.exponential(4.0, size=int(k.sum())) * DAY).astype(np.int64),
    )
    ctx.add_negative("offerwall_audience", ads)


def _ng_pub_network(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd = ctx.nodes
    m = int(rng.choice(len(ctx.markets), p=ctx.market_w))
    n = int(rng.integers(4, 16))
    created = ctx.start - (rng.lognormal(math.log(500), 0.5, size=n) * DAY).astype(np.int64)
    pubs = nd.add("publisher", n, created, m, ctx.namers["publisher"](rng, n))
    bank = nd.add("bankacct", 1, created.min(), m)[0]
    hq = nd.add("ipblock", 1, created.min(), m)[0]
    nd.home_net[pubs] = hq
    owner = np.repeat(pubs, rng.integers(1, 5, size=n))
    slots = nd.add("placement", owner.size, nd.created[owner] + DAY, m)
    k = rng.poisson(25.0, size=slots.size)
    slot = np.repeat(slots, k)
    viewers = ctx.pools["adid"][rng.integers(0, ctx.pools["adid"].size, size=slot.size)]
    nemit(
        ctx,
        ki,
        viewers,
        slot,
        "adview",
        ctx.rhythm(rng, _alive_lo(ctx, viewers), ctx.end, nd.market[viewers]),
    )
    a, t = _weekly(ctx, rng, pubs, 0.9)
    nemit(
        ctx, ki, a, bank, "cashout", t, np.round(rng.lognormal(math.log(500), 0.8, size=a.size), 2)
    )
    k = rng.poisson(ctx.days / 3.0, size=n)
    a = np.repeat(pubs, k)
    nemit(ctx, ki, a, hq, "console_login", ctx.rhythm(rng, ctx.start, ctx.end, m, a.size))
    k = rng.poisson(6.0, size=n)
    a = np.repeat(pubs, k)
    c = ctx.pick(rng, "campaign", a.size, m)
    nemit(
        ctx,
        ki,
        a,
        c,
        "postback",
        ctx.rhythm(rng, ctx.start, ctx.end, m, a.size),
        ctx.extra["bid"][c],
    )
    ctx.add_negative("publisher_network", pubs)


def _ng_household(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd = ctx.nodes
    m = int(rng.choice(len(ctx.markets), p=ctx.market_w))
    ads = ctx.pick_accounts(rng, "adid", int(rng.integers(2, 6)), m)
    tablet = nd.add("handset", 1, ctx.start - 300 * DAY, m)[0]
    wifi = nd.add("ipblock", 1, ctx.start - 900 * DAY, m)[0]
    k = rng.poisson(6.0, size=ads.size) + 1
    a = np.repeat(ads, k)
    t = ctx.rhythm(rng, _alive_lo(ctx, a), ctx.end, m)
    wifi_hit = rng.random(a.size) < 0.5
    nemit(ctx, ki, a[~wifi_hit], tablet, "hw_ping", t[~wifi_hit])
    nemit(ctx, ki, a[wifi_hit], wifi, "net_ping", t[wifi_hit])
    ctx.add_negative("household", ads)


def _ng_launch_blitz(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd = ctx.nodes
    m = int(rng.choice(len(ctx.markets), p=ctx.market_w))
    t_l = _day_at(ctx, rng, m, 2, ctx.days - 3, rng.uniform(19, 22))
    app = choose_targets(ctx, rng, "storeapp", 1, t_l - 30 * DAY, m, 0.7)[0]
    studio = ctx.extra["link"][app]
    cmp_ = nd.add("campaign", 1, t_l - 20 * MINUTE, m)[0]
    nemit(ctx, ki, studio, cmp_, "campaign_launch", t_l - 20 * MINUTE)
    nemit(ctx, ki, studio, cmp_, "budget_topup", t_l - 15 * MINUTE, 25000.0)
    ads = ctx.pick_accounts(rng, "adid", scaled(ctx, rng, 2000, 30, 800), m, before=t_l)
    t = t_l + (rng.exponential(12.0, size=ads.size) * MINUTE).astype(np.int64)
    nemit(ctx, ki, ads, cmp_, "adtap", t)
    inst = rng.random(ads.size) < 0.1
    nemit(
        ctx,
        ki,
        ads[inst],
        app,
        "install",
        t[inst] + (rng.uniform(2, 10, int(inst.sum())) * MINUTE).astype(np.int64),
    )
    ctx.add_negative("launch_blitz", ads)


ADNET_NEGATIVES = (
    ("store_feature", 1.0, _ng_store_feature),
    ("campus_nat", 1.5, _ng_campus_nat),
    ("qa_device_lab", 1.0, _ng_qa_lab),
    ("retail_kiosk", 1.0, _ng_retail_kiosk),
    ("offerwall_audience", 1.5, _ng_offerwall),
    ("publisher_network", 1.0, _ng_pub_network),
    ("household", 6.0, _ng_household),
    ("launch_blitz", 1.0, _ng_launch_blitz),
)


def run_negatives(ctx: Ctx, kinds: tuple) -> None:
    rng = ctx.rng("negatives")
    counts = group_counts(ctx, rng, [w for _, w, _ in kinds])
    for ki, ((_, _, fn), c) in enumerate(zip(kinds, counts.tolist(), strict=True)):
        for _ in range(c):
            fn(ctx, rng, ki)


# ================================================================== output
def _vocabulary_toml(
    actions: dict, entities: dict, used_actions: list[str], used_types: list[str]
) -> str:
    lines = [
        "# action and entity-type names of this platform, mapped to roles",
        "[vocabulary.actions]",
    ]
    roles: dict[str, list[str]] = {}
    for a in used_actions:
        if a in actions:
            roles.setdefault(actions[a], []).append(a)
    for role in sorted(roles):
        lines.append(f"{role} = [{', '.join(json.dumps(a) for a in roles[role])}]")
    lines.append("")
    lines.append("[vocabulary.entities]")
    eroles: dict[str, list[str]] = {}
    for t in used_types:
        if t in entities:
            eroles.setdefault(entities[t], []).append(t)
    for role in sorted(eroles):
        lines.append(f"{role} = [{', '.join(json.dumps(t) for t in eroles[role])}]")
    return "\n".join(lines) + "\n"


def finish(ctx: Ctx, out: Path, actions: dict, entities: dict, kinds: list[str]) -> dict:
    """Write every output file; returns the counts for the summary line."""
    out.mkdir(parents=True, exist_ok=True)
    nd, ev = ctx.nodes, ctx.events
    n = nd.n
    actor, target, code, ts, amt, src, sid = ev.arrays()
    order = np.lexsort((code, target, actor, ts))
    actor, target, code, ts, amt, src, sid = (
        x[order] for x in (actor, target, code, ts, amt, src, sid)
    )
    ids = pl.Series("id", nd.ids[:n], dtype=pl.Utf8)
    tnames = pl.Series("t", nd.type_names, dtype=pl.Utf8)
    mnames = pl.Series("m", ctx.markets, dtype=pl.Utf8)
    tcode, market = nd.tcode[:n].astype(np.int64), nd.market[:n].astype(np.int64)

    def when(x: np.ndarray) -> pl.Series:
        return pl.Series(x.astype(np.int64)).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")

    events = pl.DataFrame(
        {
            "actor_id": ids.gather(actor),
            "actor_type": tnames.gather(tcode[actor]),
            "target_id": ids.gather(target),
            "target_type": tnames.gather(tcode[target]),
            "action": pl.Series(ev.names, dtype=pl.Utf8).gather(code.astype(np.int64)),
            "ts": when(ts),
            "amount": pl.Series(amt, dtype=pl.Float64).fill_nan(None),
            "market": mnames.gather(market[actor]),
        }
    )
    events.write_parquet(out / "events.parquet")
    del events
    is_account = np.isin(tcode, [nd.tcode_of[t] for t, r in entities.items() if r == "account"])
    seen = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(seen, target, ts)
    np.minimum.at(seen, actor, ts)
    created = nd.created[:n].copy()
    created = np.where(is_account, created, np.minimum(created, seen))
    pl.DataFrame(
        {
            "entity_type": tnames.gather(tcode),
            "entity_id": ids,
            "created_at": when(created),
            "market": mnames.gather(market),
            "display_name": pl.Series(nd.names[:n], dtype=pl.Utf8),
            "prior_violations": pl.Series(nd.viol[:n], dtype=pl.Int64),
        }
    ).write_parquet(out / "entities.parquet")

    problems: list[str] = []
    used_codes = np.unique(code)
    unmapped = [ev.names[c] for c in used_codes.tolist() if ev.names[c] not in actions]
    if unmapped:
        problems.append(f"unmapped actions: {unmapped}")
    used_types = [nd.type_names[t] for t in np.unique(tcode).tolist()]
    if [t for t in used_types if t not in entities]:
        problems.append("unmapped entity types")
    early = ts < nd.created[actor]
    if early.any():
        problems.append(f"{int(early.sum())} events act before the actor's created_at")
    if not is_account[actor].all():
        problems.append("non-account entities act")
    neg_members = set()
    for _, _, mem in ctx.negatives:
        neg_members.update(mem.tolist())
    ring_members = set()
    for r in ctx.rings:
        ring_members.update(r.members)
        if len(set(r.members)) < 5 or not r.targets:
            problems.append(
                f"ring {r.ring_id} has {len(set(r.members))} members, {len(r.targets)} targets"
            )
        if not is_account[np.asarray(r.members)].all():
            problems.append(f"ring {r.ring_id} has non-account members")
    if ring_members & neg_members:
        problems.append(f"{len(ring_members & neg_members)} ring members in negatives")

    rows = [
        (r.ring_id, r.pattern, m, h)
        for r in ctx.rings
        for m, h in zip(r.members, r.hijacked, strict=True)
    ]
    mem = np.array([x[2] for x in rows], dtype=np.int64)
    truth = pl.DataFrame(
        {
            "ring_id": pl.Series([x[0] for x in rows], dtype=pl.Int64),
            "pattern": pl.Series([x[1] for x in rows], dtype=pl.Utf8),
            "entity_type": tnames.gather(tcode[mem]),
            "entity_id": ids.gather(mem),
            "hijacked": pl.Series([x[3] for x in rows], dtype=pl.Boolean),
        }
    )
    if truth.select(["ring_id", "entity_type", "entity_id"]).is_duplicated().any():
        problems.append("duplicate truth rows")
    truth.write_parquet(out / "truth.parquet")
    tg = [(r.ring_id, t) for r in ctx.rings for t in r.targets]
    tgi = np.array([x[1] for x in tg], dtype=np.int64)
    pl.DataFrame(
        {
            "ring_id": pl.Series([x[0] for x in tg], dtype=pl.Int64),
            "entity_type": tnames.gather(tcode[tgi]),
            "entity_id": ids.gather(tgi),
        }
    ).write_parquet(out / "ring_targets.parquet")
    ng = [(g, k, m) for g, k, mem_ in ctx.negatives for m in mem_.tolist()]
    ngi = np.array([x[2] for x in ng], dtype=np.int64)
    pl.DataFrame(
        {
            "group_id": pl.Series([x[0] for x in ng], dtype=pl.Utf8),
            "kind": pl.Series([x[1] for x in ng], dtype=pl.Utf8),
            "entity_type": tnames.gather(tcode[ngi]),
            "entity_id": ids.gather(ngi),
        }
    ).write_parquet(out / "negatives.parquet")
    lrng = ctx.rng("labels")
    lab: list[int] = []
    for ri in sorted(lrng.choice(len(ctx.rings), size=4, replace=False).tolist()):
        mems = np.unique(np.asarray(ctx.rings[ri].members, dtype=np.int64))
        k = max(1, int(round(0.1 * mems.size)))
        lab.extend(np.sort(lrng.choice(mems, size=k, replace=False)).tolist())
    lab_i = np.array(lab, dtype=np.int64)
    pl.DataFrame(
        {
            "entity_type": tnames.gather(tcode[lab_i]),
            "entity_id": ids.gather(lab_i),
            "label": pl.Series(["confirmed"] * lab_i.size, dtype=pl.Utf8),
        }
    ).write_parquet(out / "labels.parquet")
    (out / "vocabulary.toml").write_text(
        _vocabulary_toml(actions, entities, [ev.names[c] for c in used_codes.tolist()], used_types)
    )

    ring_list = []
    for r in ctx.rings:
        sel = (src == SRC_RING) & (sid == r.ring_id)
        w = [iso(ts[sel].min()), iso(ts[sel].max())] if sel.any() else [iso(r.t0), iso(r.t1)]
        ring_list.append(
            {
                "id": r.ring_id,
                "pattern": r.pattern,
                "pattern_index": r.pattern_index,
                "variant": r.variant,
                "variant_name": r.vname,
                "size": len(set(r.members)),
                "slow": r.vname == "slow",
                "members": len(r.members),
                "hijacked": int(sum(r.hijacked)),
                "targets": len(r.targets),
                "market": ctx.markets[r.market],
                "bursts": len(r.bursts),
                "shares": r.shares,
                "window": w,
            }
        )
    neg_kinds: dict[str, int] = {}
    for _, k, _ in ctx.negatives:
        neg_kinds[k] = neg_kinds.get(k, 0) + 1
    neg_ev = {k: int(((src == SRC_NEG) & (sid == i)).sum()) for i, k in enumerate(kinds)}
    counts = {
        "events": int(ts.size),
        "organic_events": int((src == SRC_ORGANIC).sum()),
        "negative_events": int((src == SRC_NEG).sum()),
        "ring_events": int(((src == SRC_RING) | (src == SRC_CAMO)).sum()),
        "accounts": int(is_account.sum()),
        "ring_members": len(ring_members),
        "hijacked": int(sum(sum(r.hijacked) for r in ctx.rings)),
        "ring_targets": len(tg),
        "negative_groups": len(ctx.negatives),
        "negative_accounts": len(neg_members),
        "labels": int(lab_i.size),
    }
    synth = {
        "settings": {
            "platform": ctx.platform,
            "events": ctx.n_events,
            "seed": ctx.seed,
            "start": iso(ctx.start),
            "end": iso(ctx.end),
            "days": ctx.days,
            "markets": {
                m: float(o) for m, o in zip(ctx.markets, ctx.offsets.tolist(), strict=True)
            },
            "generator": "bench/holdout5_platform.py",
        },
        "counts": counts,
        "rings": ring_list,
        "negative_kinds": neg_kinds,
        "negative_events_by_kind": neg_ev,
        "problems": problems,
    }
    (out / "synth.json").write_text(json.dumps(synth, indent=2) + "\n")
    for p in problems:
        print(f"holdout5 {ctx.platform}: PROBLEM: {p}", file=sys.stderr)
    return counts


# ========================================================== fundraise: setup
FUND_ACTIONS = {
    "pageview": "view",
    "pledge": "gift",
    "tip_host": "gift",
    "wos_comment": "engagement",
    "share_out": "engagement",
    "follow_host": "follow",
    "vouch": "review",
    "signin": "login",
    "ip_hit": "login",
    "card_add": "own",
    "refund_claim": "claim",
    "chargeback": "claim",
    "code_redeem": "claim",
    "appeal_create": "own",
    "appeal_update": "own",
    "withdraw": "payout",
}
FUND_ENTITIES = {
    "supporter": "account",
    "organiser": "account",
    "appeal": "item",
    "paycard": "payout_account",
    "bank": "payout_account",
    "promo": "coupon",
    "fingerprint": "device",
    "netaddr": "device",
}
ROUND_GIFTS = np.array([5.0, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250, 500, 1000])


def _fund_namers() -> dict:
    def person(rng, n, fresh=False):
        f = rng.integers(0, len(FIRST_NAMES), size=n).tolist()
        s = rng.integers(0, len(SURNAMES), size=n).tolist()
        d = rng.integers(10, 999, size=n).tolist()
        r = rng.random(n)
        handle, initial, anon = (0.35, 0.6, 0.65) if fresh else (0.12, 0.25, 0.33)
        out = []
        for i, a in enumerate(f):
            if r[i] < handle:
                out.append(f"{FIRST_NAMES[a].lower()}{d[i]}")
            elif r[i] < initial:
                out.append(f"{FIRST_NAMES[a]} {SURNAMES[s[i]][0]}.")
            elif r[i] < anon:
                out.append("Anonymous")
            else:
                out.append(f"{FIRST_NAMES[a]} {SURNAMES[s[i]]}")
        return out

    def blank(rng, n, fresh=False):
        return [""] * n

    names = {t: blank for t in FUND_ENTITIES}
    names.update(supporter=person, organiser=person)
    return names


def fundraise_ctx(n_events: int, seed: int) -> Ctx:
    formats = {
        "supporter": fmt_num("u", 8),
        "organiser": fmt_hex("org-", 6),
        "appeal": fmt_chars("ap_", 10, "abcdefghijkmnpqrstuvwxyz23456789"),
        "paycard": fmt_hex("tok_", 12),
        "bank": fmt_chars("ba_", 12, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"),
        "promo": fmt_chars("", 7, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"),
        "fingerprint": fmt_uuid(False),
        "netaddr": fmt_ipv4(False),
    }
    hour = np.array(
        [
            0.20,
            0.12,
            0.08,
            0.06,
            0.06,
            0.10,
            0.25,
            0.45,
            0.60,
            0.65,
            0.68,
            0.75,
            0.85,
            0.80,
            0.70,
            0.68,
            0.70,
            0.78,
            0.90,
            1.00,
            0.98,
            0.85,
            0.60,
            0.35,
        ]
    )
    dow = np.array([0.95, 1.00, 0.93, 0.92, 0.85, 0.80, 0.90])
    return Ctx(
        platform="fundraise",
        seed=seed,
        n_events=n_events,
        start=to_us(datetime(2024, 10, 7)),
        days=63,
        markets=["GB", "US", "CA", "AU"],
        offsets=np.array([0.0, -5.0, -6.0, 10.0]),
        market_w=np.array([0.40, 0.30, 0.12, 0.18]),
        hour_w=hour,
        dow_w=dow,
        nodes=Nodes(list(FUND_ENTITIES), seed, "fundraise", formats),
        events=Events(list(FUND_ACTIONS)),
        namers=_fund_namers(),
    )


def gift_amounts(
    rng: np.random.Generator, n: int, median: float = 30.0, sigma: float = 0.9
) -> np.ndarray:
    raw = rng.lognormal(math.log(median), sigma, size=n)
    near = ROUND_GIFTS[np.clip(np.searchsorted(ROUND_GIFTS, raw), 0, ROUND_GIFTS.size - 1)]
    return np.where(rng.random(n) < 0.6, near, np.maximum(np.round(raw), 2.0))


def fundraise_setup(ctx: Ctx) -> None:
    rng = ctx.rng("fundraise:setup")
    nd, N, M = ctx.nodes, ctx.n_events, len(ctx.markets)
    mk = lambda n: rng.choice(M, size=n, p=ctx.market_w)  # noqa: E731
    n_sup, n_org = max(2000, N // 8), max(80, N // 300)
    orgs = nd.add(
        "organiser",
        n_org,
        _ages(rng, ctx, n_org, 500, 1.0, 0.08),
        mk(n_org),
        ctx.namers["organiser"](rng, n_org),
        (rng.random(n_org) < 0.03).astype(int),
    )
    banks = nd.add("bank", n_org, nd.created[orgs] - DAY, nd.market[orgs])
    owner = np.repeat(orgs, 1 + rng.poisson(0.5, size=n_org))
    ap_created = np.maximum(_ages(rng, ctx, owner.size, 60, 1.0, 0.25), nd.created[owner] + HOUR)
    appeals = nd.add("appeal", owner.size, ap_created, nd.market[owner])
    n_promo = max(10, N // 25000)
    promos = nd.add("promo", n_promo, _ages(rng, ctx, n_promo, 30, 0.7, 0.3), mk(n_promo))
    sm = mk(n_sup)
    sups = nd.add(
        "supporter",
        n_sup,
        _ages(rng, ctx, n_sup, 400, 1.1, 0.10),
        sm,
        ctx.namers["supporter"](rng, n_sup),
        (rng.random(n_sup) < 0.005).astype(int),
    )
    accts = np.r_[sups, orgs]
    n_acc = accts.size
    n_fp = int(n_acc * 0.92)
    fps = nd.add("fingerprint", n_fp, 0, 0)
    home = np.r_[rng.permutation(n_fp), rng.integers(0, n_fp, size=n_acc - n_fp)]
    nd.home_dev[accts] = fps[rng.permutation(home)]
    nd.market[nd.home_dev[accts]] = nd.market[accts]
    nd.created[nd.home_dev[accts]] = nd.created[accts] - HOUR
    n_nat = max(3, n_acc // 5000)
    nat = {m: nd.add("netaddr", n_nat, ctx.start - 1200 * DAY, m) for m in range(M)}
    nat_w = {m: zipf_weights(rng, n_nat, 1.1) for m in range(M)}
    n_home = max(50, n_acc // 3)
    homes = nd.add("netaddr", n_home, ctx.start - 1200 * DAY, mk(n_home))
    hn = homes[rng.integers(0, n_home, size=n_acc)]
    on_nat = rng.random(n_acc) < 0.4
    am = nd.market[accts]
    for m in range(M):
        sel = np.flatnonzero(on_nat & (am == m))
        hn[sel] = nat[m][rng.choice(n_nat, size=sel.size, p=nat_w[m])]
    nd.home_net[accts] = hn
    two = rng.random(n_sup) < 0.2
    card_owner = np.r_[sups, sups[two]]
    cards = nd.add("paycard", card_owner.size, nd.created[card_owner] - HOUR, nd.market[card_owner])
    link = np.full(nd.n + 10, -1, dtype=np.int64)
    link[appeals], link[orgs], link[sups] = owner, banks, cards[:n_sup]
    ctx.extra.update(link=link, nat=nat, nat_w=nat_w, card_owner=card_owner, cards=cards)
    ctx.pools.update(supporter=sups, organiser=orgs, appeal=appeals, promo=promos, paycard=cards)
    ctx.pop["appeal"] = zipf_weights(rng, appeals.size, 1.05)
    ctx.pop["promo"] = zipf_weights(rng, n_promo, 1.0)
    ctx.activity["supporter"] = _activity(ctx, rng, sups, 1.1)
    ctx.activity["organiser"] = _activity(ctx, rng, orgs, 0.9)


def fundraise_organic(ctx: Ctx) -> None:
    rng = ctx.rng("fundraise:organic")
    nd, ev, N, end = ctx.nodes, ctx.events, ctx.n_events, ctx.end
    link = ctx.extra["link"]

    def base(tname: str, n: int, target: str | None = None, power: float = 1.0):
        a = _draw_actors(ctx, rng, tname, n, power)
        ts = ctx.rhythm(rng, _alive_lo(ctx, a), end, nd.market[a])
        if target is None:
            return a, ts, None
        tg = ctx.pick(rng, target, n, nd.market[a])
        return a, after_target(ctx, rng, a, tg, ts), tg

    n_pl = int(0.13 * N)
    pa, pts, pap = base("supporter", n_pl, "appeal")
    amt = gift_amounts(rng, n_pl)
    ev.add(pa, pap, "pledge", pts, amt)
    for action, p, lo, hi in (("wos_comment", 0.3, 20, 900), ("share_out", 0.2, 30, 3600)):
        s = rng.random(n_pl) < p
        t = pts[s] + _jitter(rng, int(s.sum()), lo, hi)
        ev.add(pa[s][t < end], pap[s][t < end], action, t[t < end])
    s = rng.random(n_pl) < 0.025
    t = pts[s] + (rng.exponential(3.0, size=int(s.sum())) * DAY).astype(np.int64) + HOUR
    k = t < end
    ev.add(pa[s][k], pap[s][k], "refund_claim", t[k], amt[s][k])
    s = rng.random(n_pl) < 0.003
    t = pts[s] + (rng.uniform(10, 40, size=int(s.sum())) * DAY).astype(np.int64)
    k = t < end
    ev.add(pa[s][k], pap[s][k], "chargeback", t[k], amt[s][k])
    for action, frac in (("wos_comment", 0.012), ("share_out", 0.02)):
        a, ts, ap = base("supporter", int(frac * N), "appeal")
        ev.add(a, ap, action, ts)
    n_f = int(0.02 * N)
    a, ts, ap = base("supporter", n_f, "appeal")
    ev.add(a, link[ap], "follow_host", ts)
    n_v = int(0.006 * N)
    a, ts, ap = base("supporter", n_v, "appeal")
    stars = rng.choice(np.arange(1.0, 6.0), size=n_v, p=[0.04, 0.03, 0.08, 0.25, 0.60])
    ev.add(a, link[ap], "vouch", ts, stars)
    n_t = int(0.004 * N)
    a, ts, ap = base("supporter", n_t, "appeal")
    ev.add(a, link[ap], "tip_host", ts, np.round(rng.uniform(2, 20, size=n_t)))
    n_r = int(0.006 * N)
    a, ts, pr = base("supporter", n_r, "promo")
    ev.add(a, pr, "code_redeem", ts)
    ap = ctx.pick(rng, "appeal", n_r, nd.market[a])
    t = after_target(ctx, rng, a, ap, ts + _jitter(rng, n_r, 60, 600))
    k = t < end
    ev.add(a[k], ap[k], "pledge", t[k], np.maximum(gift_amounts(rng, n_r), 10.0)[k])
    for action, frac, tname in (
        ("signin", 0.12, "supporter"),
        ("ip_hit", 0.07, "supporter"),
        ("signin", 0.01, "organiser"),
        ("ip_hit", 0.006, "organiser"),
    ):
        a, ts, _ = base(tname, int(frac * N))
        if action == "signin":
            tg = nd.home_dev[a]
        else:
            tg = np.where(rng.random(a.size) < 0.7, nd.home_net[a], _nat_of(ctx, rng, a))
        ev.add(a, tg, action, ts)
    co, cards = ctx.extra["card_owner"], ctx.extra["cards"]
    new = nd.created[co] >= ctx.start
    ev.add(
        co[new],
        cards[new],
        "card_add",
        nd.created[co[new]] + _jitter(rng, int(new.sum()), 60, 1800),
    )
    n_c = int(0.004 * N)
    i = rng.integers(0, co.size, size=n_c)
    ev.add(
        co[i], cards[i], "card_add", ctx.rhythm(rng, _alive_lo(ctx, co[i]), end, nd.market[co[i]])
    )
    # organisers
    appeals = ctx.pools["appeal"]
    new = appeals[nd.created[appeals] >= ctx.start]
    ev.add(link[new], new, "appeal_create", nd.created[new])
    k = rng.poisson(ctx.days / 10.0, size=appeals.size)
    ap = np.repeat(appeals, k)
    lo = np.maximum(nd.created[ap] + HOUR, ctx.start)
    ev.add(link[ap], ap, "appeal_update", ctx.rhythm(rng, lo, end, nd.market[ap]))
    orgs = ctx.pools["organiser"]
    a, ts = _weekly(ctx, rng, orgs, 0.6)
    ev.add(
        a, link[a], "withdraw", ts, np.round(rng.lognormal(math.log(800.0), 1.2, size=a.size), 2)
    )
    a, ts, ap = base("organiser", int(0.002 * N), "appeal")
    ev.add(a, ap, "pledge", ts, gift_amounts(rng, a.size))
    n_view = N - ev.count(SRC_ORGANIC)
    if n_view < 0:
        raise SystemExit(f"fundraise: organic plan exceeds N by {-n_view} events")
    a, ts, ap = base("supporter", n_view, "appeal")
    ev.add(a, ap, "pageview", ts)


def fundraise_like(
    ctx: Ctx, rng: np.random.Generator, actors: np.ndarray, ts: np.ndarray, src: int, sid: int
) -> None:
    """Organic-looking events for given actors and times (camouflage, background)."""
    nd, ev, link = ctx.nodes, ctx.events, ctx.extra["link"]
    is_sup = nd.tcode[actors] == nd.tcode_of["supporter"]
    cuts_s = np.cumsum([0.46, 0.10, 0.07, 0.06, 0.14, 0.10, 0.04])
    cuts_o = np.cumsum([0.40, 0.0, 0.0, 0.0, 0.40, 0.0, 0.20])
    r = rng.random(actors.size)
    kind = np.where(
        is_sup,
        np.searchsorted(cuts_s, r * cuts_s[-1], side="right"),
        np.searchsorted(cuts_o, r * cuts_o[-1], side="right"),
    )
    kind = np.where((kind == 4) & (nd.home_dev[actors] < 0), 5, kind)
    ap = ctx.pick(rng, "appeal", actors.size, nd.market[actors])
    ts = after_target(ctx, rng, actors, ap, ts)
    for code, action in ((0, "pageview"), (2, "wos_comment"), (3, "share_out")):
        s = kind == code
        ev.add(actors[s], ap[s], action, ts[s], src=src, sid=sid)
    s = kind == 1
    ev.add(actors[s], ap[s], "pledge", ts[s], gift_amounts(rng, int(s.sum())), src=src, sid=sid)
    s = kind == 6
    ev.add(actors[s], link[ap[s]], "follow_host", ts[s], src=src, sid=sid)
    s = kind == 4
    ev.add(actors[s], nd.home_dev[actors[s]], "signin", ts[s], src=src, sid=sid)
    s = kind == 5
    net = np.where(
        nd.home_net[actors[s]] >= 0, nd.home_net[actors[s]], _nat_of(ctx, rng, actors[s])
    )
    ev.add(actors[s], net, "ip_hit", ts[s], src=src, sid=sid)


# ========================================================== fundraise: rings
def _equip_people(
    ctx: Ctx,
    rng: np.random.Generator,
    ring: Ring,
    acc: np.ndarray,
    hij: np.ndarray,
    device=None,
    net=None,
    card: bool = True,
) -> None:
    """Devices, network and (for supporters) an own card for fresh ring accounts."""
    nd = ctx.nodes
    fresh = acc[~hij]
    if device is None:
        nd.home_dev[fresh] = nd.add(
            "fingerprint", fresh.size, nd.created[fresh] - HOUR, ring.market
        )
    else:
        nd.home_dev[fresh] = device
    nd.home_net[fresh] = _nat_of(ctx, rng, fresh) if net is None else net
    sup = fresh[nd.tcode[fresh] == nd.tcode_of["supporter"]]
    if card and sup.size:
        cards = nd.add("paycard", sup.size, nd.created[sup], ring.market)
        t = nd.created[sup] + _jitter(rng, sup.size, 60, 3600)
        k = t >= ctx.start
        emit(ctx, ring, sup[k], cards[k], "card_add", t[k], src=SRC_CAMO)


def spillover(
    ctx: Ctx, rng: np.random.Generator, ring: Ring, appeals: np.ndarray, per_appeal: float
) -> None:
    """Innocent supporters who find a ring's fresh appeals (trending, shares): camouflage."""
    nd = ctx.nodes
    k = rng.poisson(per_appeal, size=appeals.size)
    ap = np.repeat(appeals, k)
    who = ctx.pick_accounts(rng, "supporter", ap.size, ring.market, before=ring.t0)
    ap = ap[: who.size]
    who = rng.permutation(who)
    t = ctx.rhythm(rng, np.maximum(nd.created[ap], ring.t0) + HOUR, ctx.end, ring.market, ap.size)
    r = rng.random(ap.size)
    for action, sel in (("pageview", r < 0.7), ("share_out", (r >= 0.7) & (r < 0.8))):
        emit(ctx, ring, who[sel], ap[sel], action, t[sel], src=SRC_CAMO)
    sel = r >= 0.8
    emit(
        ctx,
        ring,
        who[sel],
        ap[sel],
        "pledge",
        t[sel],
        gift_amounts(rng, int(sel.sum())),
        src=SRC_CAMO,
    )


def _fr_card_testing(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    nd = ctx.nodes
    s = ring_size(ctx, rng)
    sups, hij = recruit(ctx, rng, ring, "supporter", s)
    slow = ring.vname == "slow"
    n_fp = max(2, s // 4) if slow else int(min(3, max(1, s // 10)))
    fps = nd.add("fingerprint", n_fp, ring.t0 - int(rng.uniform(3, 40) * DAY), ring.market)
    dev = fps[np.arange(s) % n_fp]
    if slow:
        net = _nat_of(ctx, rng, sups)
        ring.shares = ["fingerprint", "paycard"]
    else:
        net = np.full(s, nd.add("netaddr", 1, ring.t0 - 100 * DAY, ring.market)[0])
        ring.shares = ["fingerprint", "netaddr", "paycard"]
    nd.home_dev[sups[~hij]] = dev[~hij]
    nd.home_net[sups[~hij]] = net[~hij]
    ring.targets = choose_targets(
        ctx, rng, "appeal", int(rng.integers(1, 3)), ring.t0, None, 0.0
    ).tolist()
    tg = np.asarray(ring.targets)
    n_cards = rng.integers(3, 9, size=s)
    holder = np.repeat(np.arange(s), n_cards)
    cards = nd.add(
        "paycard", holder.size, ring.t0 - 60 * DAY, rng.integers(0, len(ctx.markets), holder.size)
    )
    second = rng.random(holder.size) < 0.15
    holder2 = (holder[second] + rng.integers(1, s, size=int(second.sum()))) % s
    c_all = np.r_[cards, cards[second]]
    h_all = np.r_[holder, holder2]
    t = ring_ts(ctx, rng, ring, c_all.size)
    a = sups[h_all]
    emit(ctx, ring, a, dev[h_all], "signin", t - _jitter(rng, a.size, 5, 120))
    emit(ctx, ring, a, net[h_all], "ip_hit", t - _jitter(rng, a.size, 5, 120))
    emit(ctx, ring, a, c_all, "card_add", t)
    k = rng.integers(1, 5, size=a.size)
    pa = np.repeat(a, k)
    amt = np.where(rng.random(pa.size) < 0.4, 1.0, np.round(rng.uniform(0.5, 3.0, size=pa.size), 2))
    emit(
        ctx,
        ring,
        pa,
        tg[rng.integers(0, tg.size, size=pa.size)],
        "pledge",
        np.repeat(t, k) + _jitter(rng, pa.size, 5, 120),
        amt,
    )


def _fr_bank_ring(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    nd = ctx.nodes
    s = ring_size(ctx, rng)
    n_org = max(2, int(round(s * 0.3)))
    orgs, hij_o = recruit(ctx, rng, ring, "organiser", n_org)
    socks, hij_s = recruit(ctx, rng, ring, "supporter", s - n_org)
    slow = ring.vname == "slow"
    shared = None if slow else nd.add("fingerprint", 1, ring.t0 - 90 * DAY, ring.market)[0]
    _equip_people(ctx, rng, ring, orgs, hij_o, device=shared)
    if shared is not None:
        nd.home_dev[orgs] = shared
    _equip_people(ctx, rng, ring, socks, hij_s)
    banks = nd.add("bank", 2 if slow else int(rng.integers(1, 3)), ring.t0 - 30 * DAY, ring.market)
    t_ap = np.maximum(nd.created[orgs] + HOUR, np.maximum(ctx.start, ring.t0 - 5 * DAY))
    t_ap = t_ap + _jitter(rng, n_org, 60, 12 * 3600)
    appeals = nd.add("appeal", n_org, t_ap, ring.market)
    emit(ctx, ring, orgs, appeals, "appeal_create", t_ap)
    spillover(ctx, rng, ring, appeals, 8.0)
    ring.targets = banks.tolist() + appeals.tolist()
    ring.shares = ["bank"] + ([] if slow else ["fingerprint"])
    k = rng.integers(1, 4, size=socks.size)
    pa = np.repeat(socks, k)
    tgt = appeals[rng.integers(0, n_org, size=pa.size)]
    t = np.maximum(ring_ts(ctx, rng, ring, pa.size), nd.created[tgt] + HOUR)
    emit(
        ctx,
        ring,
        pa,
        tgt,
        "pledge",
        t,
        np.round(rng.lognormal(math.log(180.0), 0.6, size=pa.size), -1) + 10,
    )
    k = rng.integers(1, 4, size=n_org)
    o = np.repeat(np.arange(n_org), k)
    emit(
        ctx,
        ring,
        orgs[o],
        appeals[o],
        "appeal_update",
        np.maximum(ring_ts(ctx, rng, ring, o.size), t_ap[o] + HOUR),
    )
    emit(
        ctx,
        ring,
        orgs[o],
        nd.home_dev[orgs[o]],
        "signin",
        np.maximum(ring_ts(ctx, rng, ring, o.size), t_ap[o]),
    )
    k = rng.integers(1, 5, size=n_org)
    o = np.repeat(np.arange(n_org), k)
    tw = np.maximum(
        ring_ts(ctx, rng, ring, o.size) + _jitter(rng, o.size, 3600, 8 * 3600), t_ap[o] + DAY
    )
    emit(
        ctx,
        ring,
        orgs[o],
        banks[rng.integers(0, banks.size, size=o.size)],
        "withdraw",
        tw,
        np.round(rng.lognormal(math.log(700.0), 0.5, size=o.size), 2),
    )


def _fr_trend_boost(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    nd = ctx.nodes
    s = ring_size(ctx, rng)
    socks, hij = recruit(ctx, rng, ring, "supporter", s)
    _equip_people(ctx, rng, ring, socks, hij)
    host_created = ring.t0 - int(rng.uniform(3, 20) * DAY)
    host = nd.add("organiser", 1, host_created, ring.market, ctx.namers["organiser"](rng, 1))[0]
    nd.home_dev[host] = nd.add("fingerprint", 1, host_created, ring.market)[0]
    n_ap = int(rng.integers(1, 3))
    t_ap = np.maximum(
        ctx.start, ring.t0 - (rng.uniform(0.3, 2.0, size=n_ap) * DAY).astype(np.int64)
    )
    t_ap = np.maximum(t_ap, host_created + HOUR)
    appeals = nd.add("appeal", n_ap, t_ap, ring.market)
    emit(ctx, ring, host, appeals, "appeal_create", t_ap)
    spillover(ctx, rng, ring, appeals, 1.5 * s)
    ring.targets = appeals.tolist() + [int(host)]
    ring.shares = []
    sess = rng.integers(1, 3, size=s)
    a = np.repeat(socks, sess)
    ap = appeals[rng.integers(0, n_ap, size=a.size)]
    t = np.maximum(ring_ts(ctx, rng, ring, a.size), nd.created[ap] + HOUR)
    emit(ctx, ring, a, ap, "pageview", t)
    emit(
        ctx,
        ring,
        a,
        ap,
        "pledge",
        t + _jitter(rng, a.size, 20, 240),
        rng.integers(5, 16, size=a.size).astype(np.float64),
    )
    c = rng.random(a.size) < 0.8
    emit(ctx, ring, a[c], ap[c], "wos_comment", t[c] + _jitter(rng, int(c.sum()), 60, 600))
    c = rng.random(a.size) < 0.7
    emit(ctx, ring, a[c], ap[c], "share_out", t[c] + _jitter(rng, int(c.sum()), 60, 900))
    emit(
        ctx,
        ring,
        socks,
        host,
        "follow_host",
        np.maximum(ring_ts(ctx, rng, ring, s), t_ap.min() + HOUR),
    )


def _fr_promo_abuse(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    s = ring_size(ctx, rng)
    sups, hij = recruit(ctx, rng, ring, "supporter", s)
    _equip_people(ctx, rng, ring, sups, hij)
    promos = choose_targets(ctx, rng, "promo", int(rng.integers(1, 3)), ring.t0, ring.market, 0.5)
    appeals = choose_targets(ctx, rng, "appeal", int(rng.integers(2, 5)), ring.t0, ring.market, 0.3)
    ring.targets = promos.tolist() + appeals.tolist()
    ring.shares = []
    minimum = float(rng.choice([10.0, 20.0, 25.0]))
    k = rng.integers(1, 5, size=s)
    a = np.repeat(sups, k)
    t = ring_ts(ctx, rng, ring, a.size)
    emit(ctx, ring, a, promos[rng.integers(0, promos.size, size=a.size)], "code_redeem", t)
    emit(
        ctx,
        ring,
        a,
        appeals[rng.integers(0, appeals.size, size=a.size)],
        "pledge",
        t + _jitter(rng, a.size, 30, 300),
        minimum,
    )


def _fr_refund_abuse(ctx: Ctx, ring: Ring, rng: np.random.Generator) -> None:
    s = ring_size(ctx, rng)
    sups, hij = recruit(ctx, rng, ring, "supporter", s)
    _equip_people(ctx, rng, ring, sups, hij)
    appeals = choose_targets(ctx, rng, "appeal", int(rng.integers(2, 6)), ring.t0, ring.market, 0.5)
    ring.targets = appeals.tolist()
    ring.shares = []
    k = rng.integers(2, 6, size=s)
    a = np.repeat(sups, k)
    ap = appeals[rng.integers(0, appeals.size, size=a.size)]
    t = ring_ts(ctx, rng, ring, a.size)
    amt = np.clip(gift_amounts(rng, a.size, 60.0, 0.5), 20.0, 150.0)
    emit(ctx, ring, a, ap, "pledge", t, amt)
    c = rng.random(a.size) < 0.3
    emit(ctx, ring, a[c], ap[c], "wos_comment", t[c] + _jitter(rng, int(c.sum()), 30, 600))
    r = rng.random(a.size)
    back = t + (rng.uniform(1.0, 10.0, size=a.size) * DAY).astype(np.int64)
    s1, s2 = r < 0.65, (r >= 0.65) & (r < 0.85)
    emit(ctx, ring, a[s1], ap[s1], "refund_claim", back[s1], amt[s1])
    emit(ctx, ring, a[s2], ap[s2], "chargeback", back[s2], amt[s2])


FUND_PATTERNS = (
    ("card_testing", _fr_card_testing),
    ("organiser_bank_ring", _fr_bank_ring),
    ("trend_boost", _fr_trend_boost),
    ("promo_abuse", _fr_promo_abuse),
    ("refund_abuse", _fr_refund_abuse),
)


def fundraise_rings(ctx: Ctx) -> None:
    for variant in range(3):
        for pi, (name, fn) in enumerate(FUND_PATTERNS):
            ring, rng = new_ring(ctx, name, pi, variant)
            fn(ctx, ring, rng)
            camouflage(ctx, rng, ring, fundraise_like)


# ====================================================== fundraise: negatives
def _rand_market(ctx: Ctx, rng: np.random.Generator) -> int:
    return int(rng.choice(len(ctx.markets), p=ctx.market_w))


def _nf_disaster(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd = ctx.nodes
    m = _rand_market(ctx, rng)
    t_d = _day_at(ctx, rng, m, 1, ctx.days - 4, rng.uniform(6, 20))
    org = ctx.pick_accounts(rng, "organiser", 1, m, before=t_d - 30 * DAY)
    if org.size == 0:
        return
    ap = nd.add("appeal", 1, t_d, m)[0]
    nemit(ctx, ki, org, ap, "appeal_create", t_d)
    n = scaled(ctx, rng, 300, 100, 5000)
    sups = np.r_[
        ctx.pick_accounts(rng, "supporter", int(n * 0.7), m, before=t_d),
        ctx.pick_accounts(rng, "supporter", int(n * 0.3), None, before=t_d),
    ]
    sups = np.unique(sups)
    t = t_d + (rng.gamma(1.3, 3.0, size=sups.size) * HOUR).astype(np.int64) + 5 * MINUTE
    nemit(ctx, ki, sups, ap, "pledge", t, gift_amounts(rng, sups.size, 25.0))
    for action, p in (("wos_comment", 0.3), ("share_out", 0.25)):
        s = rng.random(sups.size) < p
        nemit(ctx, ki, sups[s], ap, action, t[s] + _jitter(rng, int(s.sum()), 30, 1800))
    ctx.add_negative("disaster_relief", sups)


def _nf_employer(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd = ctx.nodes
    m = _rand_market(ctx, rng)
    t0 = _day_at(ctx, rng, m, 0, ctx.days - 15, 9.0)
    code = nd.add("promo", 1, t0 - DAY, m)[0]
    sups = ctx.pick_accounts(rng, "supporter", scaled(ctx, rng, 4000, 20, 300), m, before=t0)
    t = ctx.rhythm(rng, np.full(sups.size, t0), t0 + int(rng.uniform(7, 14) * DAY), m)
    nemit(ctx, ki, sups, code, "code_redeem", t)
    ap = ctx.pick(rng, "appeal", sups.size, m)
    tp = after_target(ctx, rng, sups, ap, t + _jitter(rng, sups.size, 60, 900))
    nemit(ctx, ki, sups, ap, "pledge", tp, gift_amounts(rng, sups.size, 50.0))
    ctx.add_negative("employer_match", sups)


def _nf_community(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    link = ctx.extra["link"]
    m = _rand_market(ctx, rng)
    orgs = ctx.pick_accounts(rng, "organiser", int(rng.integers(6, 26)), m)
    apps = ctx.pools["appeal"]
    own = {o: apps[link[apps] == o] for o in orgs.tolist()}
    rows_a, rows_t = [], []
    for o in orgs.tolist():
        others = [x for x in orgs.tolist() if x != o]
        for p in rng.choice(
            others, size=min(len(others), int(rng.integers(3, 9))), replace=False
        ).tolist():
            rows_a.append(o)
            rows_t.append(int(rng.choice(own[p])))
    a, tg = np.array(rows_a, dtype=np.int64), np.array(rows_t, dtype=np.int64)
    t = after_target(ctx, rng, a, tg, ctx.rhythm(rng, _alive_lo(ctx, a), ctx.end, m))
    nemit(ctx, ki, a, tg, "pledge", t, np.round(rng.uniform(10, 100, size=a.size)))
    c = rng.random(a.size) < 0.5
    nemit(ctx, ki, a[c], tg[c], "wos_comment", t[c] + _jitter(rng, int(c.sum()), 30, 900))
    ctx.add_negative("community_circle", orgs)


def _nf_family(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd = ctx.nodes
    m = _rand_market(ctx, rng)
    fam = ctx.pick_accounts(rng, "supporter", int(rng.integers(2, 6)), m)
    if fam.size < 2:
        return
    card = nd.add("paycard", 1, ctx.start - 200 * DAY, m)[0]
    tablet = nd.add("fingerprint", 1, ctx.start - 300 * DAY, m)[0]
    nemit(ctx, ki, fam, card, "card_add", ctx.rhythm(rng, _alive_lo(ctx, fam), ctx.end, m))
    k = rng.poisson(5.0, size=fam.size) + 1
    a = np.repeat(fam, k)
    nemit(ctx, ki, a, tablet, "signin", ctx.rhythm(rng, _alive_lo(ctx, a), ctx.end, m))
    aps = ctx.pick(rng, "appeal", 2, m)
    k = rng.integers(1, 3, size=fam.size)
    a = np.repeat(fam, k)
    ap = aps[rng.integers(0, 2, size=a.size)]
    t = after_target(ctx, rng, a, ap, ctx.rhythm(rng, _alive_lo(ctx, a), ctx.end, m))
    nemit(ctx, ki, a, ap, "pledge", t, gift_amounts(rng, a.size, 20.0))
    ctx.add_negative("family_shared", fam)


def _nf_stream(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    m = _rand_market(ctx, rng)
    t_s = _day_at(ctx, rng, m, 1, ctx.days - 2, 18.0)
    ap = choose_targets(ctx, rng, "appeal", 1, t_s - DAY, m, 0.7)[0]
    dur = rng.uniform(4, 10) * HOUR
    sups = ctx.pick_accounts(rng, "supporter", scaled(ctx, rng, 1000, 40, 1500), m, before=t_s)
    k = rng.integers(1, 4, size=sups.size)
    a = np.repeat(sups, k)
    t = t_s + (rng.random(a.size) * dur).astype(np.int64)
    nemit(ctx, ki, a, ap, "pledge", t, rng.integers(2, 21, size=a.size).astype(np.float64))
    k = rng.integers(0, 5, size=sups.size)
    a = np.repeat(sups, k)
    nemit(ctx, ki, a, ap, "wos_comment", t_s + (rng.random(a.size) * dur).astype(np.int64))
    ctx.add_negative("charity_stream", sups)


def _nf_giving_day(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd = ctx.nodes
    first = not any(g[1] == "giving_day_code" for g in ctx.negatives)
    m = 1 if first else _rand_market(ctx, rng)
    if first:  # Giving Tuesday, 3 December 2024
        day0 = to_us(datetime(2024, 12, 3)) - int(ctx.offsets[m] * HOUR)
    else:
        day0 = _day_at(ctx, rng, m, 1, ctx.days - 2, 0.0)
    code = nd.add("promo", 1, day0 - 2 * DAY, m)[0]
    sups = ctx.pick_accounts(rng, "supporter", scaled(ctx, rng, 500, 80, 3000), m, before=day0)
    t = ctx.rhythm(rng, np.full(sups.size, day0), day0 + DAY, m)
    nemit(ctx, ki, sups, code, "code_redeem", t)
    ap = ctx.pick(rng, "appeal", sups.size, m)
    tp = after_target(ctx, rng, sups, ap, t + _jitter(rng, sups.size, 30, 600))
    amt = np.where(
        rng.random(sups.size) < 0.6,
        rng.choice([10.0, 25.0], size=sups.size),
        gift_amounts(rng, sups.size),
    )
    nemit(ctx, ki, sups, ap, "pledge", tp, amt)
    ctx.add_negative("giving_day_code", sups)


def _nf_recurring(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    m = _rand_market(ctx, rng)
    ap = choose_targets(ctx, rng, "appeal", 1, ctx.start - 60 * DAY, m, 0.8)[0]
    sups = ctx.pick_accounts(
        rng, "supporter", int(rng.integers(10, 81)), m, before=ctx.start - 30 * DAY
    )
    dom = int(rng.integers(1, 29))
    bills = [to_us(datetime(2024, mo, dom, 9)) for mo in (10, 11, 12)]
    bills = [b for b in bills if ctx.start <= b < ctx.end]
    amt = rng.choice([5.0, 10.0, 20.0, 25.0], size=sups.size)
    for b in bills:
        nemit(ctx, ki, sups, ap, "pledge", b + _jitter(rng, sups.size, 0, 50), amt)
    ctx.add_negative("recurring_donors", sups)


def _nf_payout_hub(ctx: Ctx, rng: np.random.Generator, ki: int) -> None:
    nd = ctx.nodes
    m = _rand_market(ctx, rng)
    n = int(rng.integers(5, 21))
    created = ctx.start - (rng.lognormal(math.log(200), 0.8, size=n) * DAY).astype(np.int64)
    orgs = nd.add("organiser", n, created, m, ctx.namers["organiser"](rng, n))
    nd.home_dev[orgs] = nd.add("fingerprint", n, created, m)
    nd.home_net[orgs] = _nat_of(ctx, rng, orgs)
    bank = nd.add("bank", 1, created.min() - 100 * DAY, m)[0]
    t_ap = ctx.start + (rng.uniform(0, ctx.days - 14, size=n) * DAY).astype(np.int64)
    appeals = nd.add("appeal", n, t_ap, m)
    nemit(ctx, ki, orgs, appeals, "appeal_create", t_ap)
    k = rng.poisson(15.0, size=n)
    ap = np.repeat(appeals, k)
    donors = ctx.pools["supporter"][rng.integers(0, ctx.pools["supporter"].size, size=ap.size)]
    t = ctx.rhythm(rng, np.maximum(_alive_lo(ctx, donors), nd.created[ap] + HOUR), ctx.end, m)
    nemit(ctx, ki, donors, ap, "pledge", t, gift_amounts(rng, ap.size))
    k = rng.integers(1, 4, size=n)
    o = np.repeat(np.arange(n), k)
    t = ctx.rhythm(rng, t_ap[o] + DAY, ctx.end, m)
    nemit(
        ctx,
        ki,
        orgs[o],
        bank,
        "withdraw",
        t,
        np.round(rng.lognormal(math.log(400), 0.7, size=o.size), 2),
    )
    nemit(ctx, ki, orgs[o], nd.home_dev[orgs[o]], "signin", t - _jitter(rng, o.size, 60, 600))
    ctx.add_negative("charity_payout_hub", orgs)


FUND_NEGATIVES = (
    ("disaster_relief", 1.0, _nf_disaster),
    ("employer_match", 1.2, _nf_employer),
    ("community_circle", 1.5, _nf_community),
    ("family_shared", 6.0, _nf_family),
    ("charity_stream", 1.0, _nf_stream),
    ("giving_day_code", 1.0, _nf_giving_day),
    ("recurring_donors", 1.5, _nf_recurring),
    ("charity_payout_hub", 1.0, _nf_payout_hub),
)


# ==================================================================== main
PLATFORMS = {
    "adnet": (
        adnet_ctx,
        adnet_setup,
        adnet_organic,
        adnet_rings,
        ADNET_NEGATIVES,
        ADNET_ACTIONS,
        ADNET_ENTITIES,
    ),
    "fundraise": (
        fundraise_ctx,
        fundraise_setup,
        fundraise_organic,
        fundraise_rings,
        FUND_NEGATIVES,
        FUND_ACTIONS,
        FUND_ENTITIES,
    ),
}


def generate(out: Path, platform: str, n_events: int, seed: int) -> dict:
    make_ctx, setup, organic, rings, negatives, actions, entities = PLATFORMS[platform]
    ctx = make_ctx(n_events, seed)
    setup(ctx)
    organic(ctx)
    rings(ctx)
    run_negatives(ctx, negatives)
    return finish(ctx, out, actions, entities, [k for k, _, _ in negatives])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="output directory")
    ap.add_argument("--platform", choices=sorted(PLATFORMS), required=True)
    ap.add_argument("--events", type=int, default=300_000, help="organic background events")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.events < 10_000:
        ap.error("--events must be at least 10000")
    t0 = time.perf_counter()
    c = generate(args.out, args.platform, args.events, args.seed)
    print(
        f"holdout5 {args.platform}: events={c['events']} accounts={c['accounts']} rings=15 "
        f"ring_members={c['ring_members']} negative_groups={c['negative_groups']} "
        f"seconds={time.perf_counter() - t0:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
