"""Hold-out platform #2: a food-delivery marketplace and a Q&A forum with planted abuse rings.

An adversarial test-data generator, written without looking at the detector, for measuring
whether a fraud-ring detector generalises to platforms it has never seen::

    python bench/holdout2_platform.py OUT --platform {delivery,forum} --events N --seed S

N is the number of organic events (approximately; 50,000 to 2,000,000); the rings, their
camouflage and the organic look-alike groups come on top. The same seed gives byte-identical
files. Only numpy, polars and the standard library are used.

Platforms
---------
``delivery`` (6 weeks from Mon 2024-09-02, markets nl-ams, br-sao, in-blr, au-syd, us-sea).
Eaters browse kitchens and peek at dishes, add dishes to a basket, place the basket at a
kitchen (amount = basket value), charge a card, redeem promo codes and friends' invite codes,
tip riders, rate kitchens and riders (amount = stars), save favourite kitchens and file refund
claims. Kitchens list dishes and cash out to bank accounts. Riders accept runs at kitchens,
complete drops at eaters, and cash out. Everybody unlocks the app on handsets and joins Wi-Fi
netblocks; 12 % of eaters and 30 % of riders sit behind carrier-grade NAT blocks shared by
thousands, and a few % share a phone or home network with an (unlisted) partner.

``forum`` (8 weeks from Mon 2024-10-07, markets us, gb, de, jp, br). Members and brand orgs
start threads and post replies, read threads, vote up (+1) and down (-1), bookmark, flag, award
coins to threads and replies (amount = coins), tip members in coins, buy coin packs, follow
members and orgs, join topics, sign in from browser fingerprints and IP blocks; creators
withdraw earnings to wallets; moderators remove posts. 12 % of members are behind carrier NAT
blocks, a few % share a browser or home IP block with a partner.

Organic background: lognormal activity per account, Zipf popularity of kitchens, dishes,
threads and topics (mostly market-local), favourite kitchens, engagement that decays after a
thread is posted, lunch/dinner (delivery) or evening (forum) rhythms in each market's own time
zone, a weekly rhythm, accounts created over six years (3-5 % inside the window), nobody acting
before creation, entity ids numbered in creation order, 7 % of accounts without a display name
and 4 % with auto-generated ones like the farms use, ~3 % with prior violations (~12 % of new
ring accounts).

Rings
-----
15 per platform: 5 patterns x 3 variants, ring id = 5 * variant + pattern (so the labelled
rings 0, 2, 4, ... cover every pattern). Sizes are log-uniform 5-80 accounts (shrunk below
250k events), 4-5 of the 15 are slow (2-4 weeks on the daily rhythm), the rest act in 1-3
bursts of a few hours. About 20 % of each ring's accounts are hijacked organic accounts that
keep their history; the new accounts add camouflage on popular targets (~half as many events
as their ring events). Members include the account the ring works for (the colluding kitchen,
the sponsor, the cash-out member, the brand).

delivery
  promo_farm   farm_code | invite_chain | code_hopping: batch-made accounts on a few farm
               handsets redeem one leaked promo code, or the invite codes of 1-3 lead
               accounts, or (each on its own emulator behind one proxy netblock) several
               promo codes; one cheap basket per claim on a handful of prepaid cards.
  brushing     new_kitchen | twin_kitchens | dish_push: a kitchen's fake eaters buy its
               boosted dishes again and again with 2-4 shared cards, pickup only, 5 stars.
  star_push    inflate | bomb_rival | chain_inflate: bought aged accounts give a kitchen
               5 stars; or 1-star and refund-claim a popular rival; or inflate a 3-kitchen
               chain that cashes out to one bank account, from a click-farm netblock.
  ghost_drops  refund_loop | phantom_runs | rider_pack: a kitchen, 2-6 colluding riders and
               fresh eaters on stolen cards; the riders "deliver" the fake baskets for big tips,
               then refunds / extra ghost runs and cash-outs / riders on one handset and bank.
  refund_mill  spread | focused | card_cycle: aged accounts behind VPN netblocks order from
               many popular / 2-3 / a few kitchens and refund-claim three quarters of it;
               card_cycle tests every stolen card with a tiny charge first.

forum
  vote_ring    clique | sparse_mesh | mutual_follow: members upvote each other's threads
               (everyone / a few peers each / reciprocal follows plus coins).
  brigade      downvote_victim | boost_sponsor | mass_report: batch-made socks on shared
               browser fingerprints and one IP block downvote a victim's threads, or boost a
               sponsor's threads, or flag the victim's threads en masse.
  coin_wash    direct_awards | two_hop | member_tips: funders buy coins and award them to a
               cash-out member's threads (directly, through mules, or as member tips); the
               cash-out member withdraws to a wallet.
  karma_farm   reply_chain | seed_poster | topic_squat: new accounts reply to and upvote each
               other in a chain / under one seed poster / inside a topic they squat.
  astroturf    brand_boost | competitor_smear | aged_shills: shills follow a brand org,
               upvote, reply to and award its threads and each other's testimonials, and
               downvote a competitor org's threads.

Organic look-alikes (negatives.parquet: a good detector leaves them alone)
--------------------------------------------------------------------------
delivery: household_handset (2-5 eaters on one phone, some on a family card), campus_netblock
(dozens of students behind one netblock ordering late), rush_hour (hundreds to thousands of
baskets at 1-3 popular kitchens within 75 minutes on a match night), loyal_regulars (weekly
5-star regulars of one kitchen), hub_shift (riders of one hub on the hub Wi-Fi at shift start),
office_card (a team on one corporate card, and an office manager's big team orders),
promo_blast (a campaign code claimed by thousands in 3 days, 30 % brand-new accounts) and
viral_invite (an influencer's invite code entered by hundreds, 40 % new accounts).
forum: household_browser, campus_nat (dozens to hundreds on one IP block), ama_thread (a
thread upvoted by thousands within hours), niche_community (a topic whose members upvote each
other's threads a lot), fan_club (fans of 1-3 popular posters), moderators, power_users and
giveaway (an org awards coins to hundreds of members' threads in a day).

Files in OUT
------------
events.parquet (actor_id, actor_type, target_id, target_type, action, ts, amount, market),
entities.parquet (every account seen in the events), labels.parquet (one confirmed member of
each even ring, 20 cleared organic accounts), truth.parquet (ring members), ring_targets.parquet
(the codes, devices, cards, kitchens, dishes and threads a ring works on), negatives.parquet
(the look-alike groups' accounts and shared targets, minus ring members and targets),
vocabulary.toml (platform names -> roles) and synth.json (settings, counts, every ring).
"""

from __future__ import annotations

import argparse
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

US = 1_000_000
MINUTE = 60 * US
HOUR = 60 * MINUTE
DAY = 24 * HOUR
ID_DIGITS = 7
ORGANIC, RING, CAMOUFLAGE, NEGATIVE = range(4)
ACTION_ROLES = (
    "engagement",
    "purchase",
    "review",
    "click",
    "follow",
    "gift",
    "claim",
    "login",
    "payout",
    "own",
    "view",
)
ENTITY_ROLES = ("account", "item", "content", "live", "device", "payout_account", "coupon")


@dataclass(frozen=True)
class Platform:
    name: str
    start: str  # a Monday, midnight UTC
    weeks: int
    markets: tuple[tuple[str, int, float, float], ...]  # code, UTC offset (min), share, prices
    hours: tuple[float, ...]  # weight of each local hour
    weekdays: tuple[float, ...]  # weight of Monday .. Sunday
    entities: dict[str, tuple[str, str]]  # entity type -> (id prefix, role)
    actions: dict[str, str]  # action -> role

    @property
    def accounts(self) -> list[str]:
        return [t for t, (_, role) in self.entities.items() if role == "account"]


DELIVERY = Platform(
    name="delivery",
    start="2024-09-02",
    weeks=6,
    markets=(
        ("nl-ams", 120, 0.22, 1.0),
        ("br-sao", -180, 0.26, 0.55),
        ("in-blr", 330, 0.20, 0.3),
        ("au-syd", 600, 0.12, 1.15),
        ("us-sea", -420, 0.20, 1.25),
    ),
    hours=(0.6, 0.3, 0.15, 0.1, 0.1, 0.15, 0.4, 0.9, 1.2, 1.0, 1.3, 3.2)
    + (4.6, 3.0, 1.4, 1.1, 1.5, 2.8, 4.8, 5.2, 3.6, 2.2, 1.5, 1.0),
    weekdays=(0.9, 0.9, 0.95, 1.0, 1.25, 1.35, 1.2),
    entities={
        "eater": ("ea", "account"),
        "kitchen": ("kt", "account"),
        "rider": ("rd", "account"),
        "dish": ("ds", "item"),
        "handset": ("hs", "device"),
        "netblock": ("nb", "device"),
        "card": ("cd", "payout_account"),
        "bank_acct": ("ba", "payout_account"),
        "promo_code": ("pc", "coupon"),
        "invite_code": ("ic", "coupon"),
    },
    actions={
        "browse_menu": "view",
        "peek_dish": "view",
        "add_to_basket": "click",
        "place_basket": "purchase",
        "charge_card": "payout",
        "redeem_promo": "claim",
        "enter_invite": "claim",
        "mint_invite": "own",
        "tip_rider": "gift",
        "rate_kitchen": "review",
        "rate_rider": "review",
        "file_refund": "claim",
        "save_kitchen": "follow",
        "list_dish": "own",
        "kitchen_cashout": "payout",
        "rider_cashout": "payout",
        "app_unlock": "login",
        "wifi_session": "login",
        "accept_run": "engagement",
        "complete_drop": "engagement",
    },
)

FORUM = Platform(
    name="forum",
    start="2024-10-07",
    weeks=8,
    markets=(
        ("us", -300, 0.38, 1.0),
        ("gb", 0, 0.14, 0.9),
        ("de", 60, 0.14, 0.95),
        ("jp", 540, 0.16, 0.8),
        ("br", -180, 0.18, 0.5),
    ),
    hours=(1.6, 1.1, 0.7, 0.45, 0.35, 0.4, 0.7, 1.2, 1.6, 1.8, 1.9, 2.0)
    + (2.2, 2.1, 2.0, 2.0, 2.1, 2.3, 2.6, 3.0, 3.3, 3.2, 2.8, 2.2),
    weekdays=(1.05, 1.05, 1.05, 1.0, 0.95, 0.9, 1.0),
    entities={
        "member": ("mb", "account"),
        "org": ("og", "account"),
        "thread": ("th", "content"),
        "reply": ("rp", "content"),
        "topic": ("tp", "item"),
        "coin_pack": ("cp", "item"),
        "browser_fp": ("bf", "device"),
        "ip_block": ("ip", "device"),
        "wallet": ("wl", "payout_account"),
    },
    actions={
        "start_thread": "own",
        "post_reply": "own",
        "reply_to": "engagement",
        "read_thread": "view",
        "vote_up": "engagement",
        "vote_down": "review",
        "award_coins": "gift",
        "tip_member": "gift",
        "buy_coins": "purchase",
        "follow_member": "follow",
        "join_topic": "follow",
        "bookmark": "click",
        "flag_post": "review",
        "mod_remove": "review",
        "sign_in": "login",
        "net_session": "login",
        "withdraw_earnings": "payout",
    },
)

PLATFORMS = {"delivery": DELIVERY, "forum": FORUM}

NAMES = {
    "person": (
        ("Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jun", "Kofi")
        + ("Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma")
        + ("Vik", "Wen", "Ximena", "Yusuf", "Zoe", "Lucas", "Marta", "Aiko", "Bruno", "Carla"),
        tuple("ABCDEFGHIJKLMNOPRSTVWZ"),
    ),
    "kitchen": (
        ("Golden", "Little", "Happy", "Urban", "Spicy", "Green", "Lucky", "Royal", "Corner")
        + ("Fresh", "Blue", "Old Town", "Rapid", "Mama's", "Night", "Sunny", "Casa"),
        ("Noodle", "Taco", "Curry", "Pizza", "Sushi", "Burger", "Pho", "Falafel", "Dumpling")
        + ("Grill", "Bowl", "Bakery", "Kebab", "Ramen", "Salad", "Biryani", "Poke"),
    ),
    "handle": (
        ("quiet", "lazy", "pixel", "rusty", "cosmic", "tiny", "bold", "mellow", "silver")
        + ("frosty", "atomic", "gentle", "odd", "clever", "wild", "sunny", "night", "retro"),
        ("otter", "falcon", "coder", "baker", "walrus", "panda", "wizard", "nomad", "gecko")
        + ("lynx", "sparrow", "moose", "owl", "badger", "koala", "heron", "fox", "yak"),
    ),
    "brand": (
        ("Nimbus", "Vertex", "Lumen", "Orbit", "Kestrel", "Parabola", "Quanta", "Solace")
        + ("Tidal", "Zephyr", "Arbor", "Helix", "Juniper", "Cobalt"),
        ("Official", "Labs", "HQ", "Support", "Team", "Studio"),
    ),
}
NAME_KIND = {"eater": "person", "rider": "person", "kitchen": "kitchen", "member": "handle"}
FARM_STEMS = ("dealz", "freefood", "promo_king", "user", "hungry", "xx_fast", "bonus", "win_big")
FARM_STEMS += ("coupon", "guest", "newbie", "real_fan", "helper", "vibe", "acct")


# ----------------------------------------------------------------------------- sampling


def stream(seed: int, *names: object) -> np.random.Generator:
    """An independent random stream per component, so that no component shifts another."""
    key = zlib.crc32("/".join(str(n) for n in names).encode())
    return np.random.default_rng([seed, key])


def pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """n indices drawn with replacement, proportional to weights."""
    n = int(n)
    if n <= 0:
        return np.empty(0, np.int64)
    cum = np.cumsum(np.asarray(weights, np.float64))
    j = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    return np.minimum(j, cum.size - 1).astype(np.int64)


def pick_local(rng, market, pool_market, weight, local: float) -> np.ndarray:
    """A pool entry per row: in the row's market with probability `local`, else anywhere."""
    market = np.asarray(market)
    out = np.empty(market.size, np.int64)
    anywhere = rng.random(market.size) >= local
    out[anywhere] = pick(rng, weight, anywhere.sum())
    for m in np.unique(market[~anywhere]):
        rows = np.flatnonzero(~anywhere & (market == m))
        ids = np.flatnonzero(pool_market == m)
        ids = ids if ids.size else np.arange(pool_market.size)
        out[rows] = ids[pick(rng, weight[ids], rows.size)]
    return out


def top_k(rng, candidates: np.ndarray, weights, k: int) -> np.ndarray:
    """k distinct candidates, drawn with probability ~ weights (Gumbel top-k)."""
    k = int(min(k, candidates.size))
    if k <= 0:
        return np.empty(0, np.int64)
    w = np.maximum(np.broadcast_to(np.asarray(weights, np.float64), candidates.shape), 1e-300)
    keys = np.log(w) + rng.gumbel(size=candidates.size)
    sel = np.argpartition(-keys, k - 1)[:k]
    return candidates[sel[np.argsort(-keys[sel], kind="stable")]].astype(np.int64)


def deal(rng, pool: np.ndarray, n: int) -> np.ndarray:
    """n draws from a ring's pool that use every entry at least once when n >= pool size."""
    return pool[rng.permutation(np.arange(int(n)) % pool.size)]


def jitter(rng, ts, lo_min: float, hi_min: float) -> np.ndarray:
    """Each time moved by a random lo..hi minutes."""
    ts = np.asarray(ts, np.int64)
    return ts + rng.integers(int(lo_min * MINUTE), int(hi_min * MINUTE), ts.size)


def loguniform(rng, lo: float, hi: float, size=None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def zipf_weights(rng, n: int, a: float) -> np.ndarray:
    return 1.0 / (rng.permutation(n) + 1.0) ** a


def position_in_run(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each run of np.repeat(x, counts)."""
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum())) - starts


def organic_stars(rng, n: int) -> np.ndarray:
    return rng.choice(np.arange(1.0, 6.0), int(n), p=[0.04, 0.04, 0.1, 0.27, 0.55])


def coins(rng, n: int) -> np.ndarray:
    values = np.array([50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0])
    return rng.choice(values, int(n), p=[0.35, 0.3, 0.15, 0.1, 0.07, 0.03])


# ----------------------------------------------------------------------------- state


class World:
    """Every entity made so far: per type its creation time, market and display-name style.

    Style 0 = an ordinary name, 1 = no name, k >= 2 = a farm name with stem k - 2.
    Indices below `organic[type]` are the organic population (frozen before the rings).
    """

    def __init__(self, platform: Platform):
        self.types = list(platform.entities)
        self.code = {t: i for i, t in enumerate(self.types)}
        self._chunks: dict[str, list[tuple[np.ndarray, ...]]] = {t: [] for t in self.types}
        self._cache: dict[str, tuple[np.ndarray, ...]] = {}
        self.organic: dict[str, int] = {}

    def add(self, etype: str, created, market, style=0) -> np.ndarray:
        created = np.atleast_1d(np.array(created, np.int64))
        n = created.size
        market = np.broadcast_to(np.array(market, np.int16), (n,)).copy()
        style = np.broadcast_to(np.array(style, np.int16), (n,)).copy()
        first = self.count(etype)
        self._chunks[etype].append((created, market, style))
        self._cache.pop(etype, None)
        return np.arange(first, first + n, dtype=np.int64)

    def count(self, etype: str) -> int:
        return sum(c[0].size for c in self._chunks[etype])

    def _columns(self, etype: str) -> tuple[np.ndarray, ...]:
        if etype not in self._cache:
            chunks = self._chunks[etype] or [
                (np.empty(0, np.int64),) + (np.empty(0, np.int16),) * 2
            ]
            self._cache[etype] = tuple(np.concatenate(c) for c in zip(*chunks, strict=True))
        return self._cache[etype]

    def created(self, etype: str) -> np.ndarray:
        return self._columns(etype)[0]

    def market(self, etype: str) -> np.ndarray:
        return self._columns(etype)[1]

    def style(self, etype: str) -> np.ndarray:
        return self._columns(etype)[2]


class Events:
    """Event chunks; each chunk has one source, tag (ring or group), actor type and action."""

    def __init__(self, platform: Platform, world: World):
        self.platform = platform
        self.world = world
        self.action_code = {a: i for i, a in enumerate(platform.actions)}
        self.chunks: list[tuple] = []

    def add(self, source, tag, actor_type, actor, action, target_type, target, ts, amount):
        ts = np.array(ts, np.int64).ravel()
        n = ts.size
        if n == 0:
            return 0
        assert self.platform.entities[actor_type][1] == "account", actor_type
        amount = None if amount is None else np.broadcast_to(np.array(amount, np.float64), n)
        self.chunks.append(
            (
                source,
                tag,
                self.world.code[actor_type],
                np.broadcast_to(np.array(actor, np.int64), n),
                self.action_code[action],
                self.world.code[target_type],
                np.broadcast_to(np.array(target, np.int64), n),
                ts,
                amount,
            )
        )
        return n

    def arrays(self) -> dict[str, np.ndarray]:
        ch = self.chunks
        lens = np.array([c[7].size for c in ch], np.int64)

        def per_chunk(k: int, dtype) -> np.ndarray:
            return np.repeat(np.array([c[k] for c in ch], dtype), lens)

        amounts = [np.full(c[7].size, np.nan) if c[8] is None else c[8] for c in ch]
        return {
            "source": per_chunk(0, np.int8),
            "tag": per_chunk(1, np.int32),
            "atype": per_chunk(2, np.int16),
            "actor": np.concatenate([c[3] for c in ch]),
            "action": per_chunk(4, np.int16),
            "ttype": per_chunk(5, np.int16),
            "target": np.concatenate([c[6] for c in ch]),
            "ts": np.concatenate([c[7] for c in ch]),
            "amount": np.concatenate(amounts),
        }


class Emitter:
    """Adds events of one source (and ring or group tag); optionally remembers the actors."""

    def __init__(self, events: Events, source: int, tag: int = -1, track: bool = False):
        self.events, self.source, self.tag, self.track = events, source, tag, track
        self.acts: list[tuple[str, np.ndarray]] = []

    def __call__(self, actor_type, actor, action, target_type, target, ts, amount=None):
        n = self.events.add(
            self.source, self.tag, actor_type, actor, action, target_type, target, ts, amount
        )
        if self.track and n:
            self.acts.append((actor_type, np.broadcast_to(np.array(actor, np.int64), n)))


@dataclass
class Ring:
    """One planted ring: its plan, its members (type, indices, hijacked) and its targets."""

    rid: int
    pattern: str
    variant: str
    pace: str
    size: int
    market: int
    lo: int
    hi: int
    bursts: list[tuple[int, int]]
    emit: Emitter
    camo: Emitter
    members: list[tuple[str, np.ndarray, np.ndarray]] = field(default_factory=list)
    targets: list[tuple[str, np.ndarray]] = field(default_factory=list)

    def target(self, etype: str, idx) -> None:
        self.targets.append((etype, np.atleast_1d(np.array(idx, np.int64))))


@dataclass
class Group:
    """One organic look-alike group: its accounts and the targets they share."""

    gid: str
    kind: str
    emit: Emitter
    entities: list[tuple[str, np.ndarray]] = field(default_factory=list)

    def add(self, etype: str, idx) -> None:
        self.entities.append((etype, np.atleast_1d(np.array(idx, np.int64))))


class Ctx:
    """The generation state of one platform: clock, world, events, pools, rings and groups."""

    def __init__(self, platform: Platform, n_events: int, seed: int):
        self.p, self.n, self.seed = platform, int(n_events), int(seed)
        start = datetime.fromisoformat(platform.start).replace(tzinfo=UTC)
        self.start = int(start.timestamp()) * US
        self.days = platform.weeks * 7
        self.end = self.start + self.days * DAY
        self.offset = np.array([m[1] for m in platform.markets], np.int64) * MINUTE
        self.market_share = np.array([m[2] for m in platform.markets])
        self.price_level = np.array([m[3] for m in platform.markets])
        self.hours = np.array(platform.hours, np.float64)
        self.weekdays = np.array(platform.weekdays, np.float64)
        self.world = World(platform)
        self.events = Events(platform, self.world)
        self.organic = Emitter(self.events, ORGANIC)
        self.activity: dict[str, np.ndarray] = {}  # account type -> organic activity
        self.pop: dict[str, np.ndarray] = {}  # entity type -> organic popularity
        self.kit: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.used: dict[str, np.ndarray] = {}  # account type -> taken by a ring
        self.extra: dict[str, object] = {}
        self.rings: list[Ring] = []
        self.groups: list[Group] = []

    def rng(self, *names: object) -> np.random.Generator:
        return stream(self.seed, self.p.name, *names)

    # -- clock ---------------------------------------------------------------------------

    def rhythm(self, rng, market, lo=None, hi=None, hours=None) -> np.ndarray:
        """Timestamps in [lo, hi) following the weekly and the local daily rhythm."""
        market = np.asarray(market, np.int64)
        lo = self.start if lo is None else int(lo)
        hi = self.end if hi is None else int(hi)
        prof = self.hours if hours is None else np.asarray(hours, np.float64)
        days = np.arange((lo - self.start) // DAY - 1, -(-(hi - self.start) // DAY) + 1)
        day_w = self.weekdays[days % 7]
        ts = np.empty(market.size, np.int64)
        todo = np.arange(market.size)
        for _ in range(5):
            k = todo.size
            if k == 0:
                break
            day = days[pick(rng, day_w, k)]
            hour = pick(rng, prof, k) + rng.random(k)
            local = self.start + day * DAY + (hour * HOUR).astype(np.int64)
            ts[todo] = local - self.offset[market[todo]]
            todo = todo[(ts[todo] < lo) | (ts[todo] >= hi)]
        ts[todo] = lo + (rng.random(todo.size) * (hi - lo)).astype(np.int64)
        return ts

    def rhythm_after(self, rng, market, base, max_days: int) -> np.ndarray:
        """A time 0..max_days local days after base, at an hour drawn from the daily rhythm."""
        base = np.asarray(base, np.int64)
        off = self.offset[np.asarray(market, np.int64)]
        midnight = (base + off) // DAY * DAY - off
        hour = pick(rng, self.hours, base.size) + rng.random(base.size)
        t = midnight + rng.integers(0, max_days + 1, base.size) * DAY
        t = t + (hour * HOUR).astype(np.int64)
        return np.where(t <= base, t + DAY, t)

    def after(self, rng, ts: np.ndarray, floor) -> np.ndarray:
        """Move times before `floor` (+1 min) later by whole days, keeping the hour of day."""
        ts = np.array(ts, np.int64)
        floor = np.broadcast_to(np.asarray(floor, np.int64) + MINUTE, ts.shape)
        bad = np.flatnonzero(ts < floor)
        if bad.size:
            f, t = floor[bad], ts[bad]
            k = -(-(f - t) // DAY)
            room = np.maximum((self.end - 1 - (t + k * DAY)) // DAY, 0)
            new = t + (k + (rng.random(bad.size) * (room + 1)).astype(np.int64)) * DAY
            over = new >= self.end
            span = np.maximum(self.end - f[over], MINUTE)
            new[over] = f[over] + (rng.random(over.sum()) * span).astype(np.int64)
            ts[bad] = new
        return ts

    def ring_times(self, rng, ring: Ring, n: int) -> np.ndarray:
        n = int(n)
        if ring.pace == "slow":
            return self.rhythm(rng, np.full(n, ring.market), ring.lo, ring.hi)
        b = np.asarray(ring.bursts, np.int64)
        j = rng.integers(0, len(b), n)
        return b[j, 0] + (rng.beta(2.0, 2.0, n) * (b[j, 1] - b[j, 0])).astype(np.int64)

    def react(self, rng, ring: Ring, base) -> np.ndarray:
        """When a ring member reacts to something at `base`: minutes (fast) or days (slow)."""
        base = np.asarray(base, np.int64)
        if ring.pace == "fast":
            t = base + rng.lognormal(np.log(15 * MINUTE), 0.9, base.size).astype(np.int64)
        else:
            t = self.rhythm_after(rng, np.full(base.size, ring.market), base, 2)
        return np.minimum(t, self.end - MINUTE)

    def active(self, rng, etype: str, n: int, hours=None):
        """n organic (actor, market, ts) triples, actors by activity, times on the rhythm."""
        actor = pick(rng, self.activity[etype], n)
        market = self.world.market(etype)[actor]
        ts = self.rhythm(rng, market, hours=hours)
        return actor, market, self.after(rng, ts, self.world.created(etype)[actor])

    # -- pools ---------------------------------------------------------------------------

    def pool_market(self, etype: str) -> np.ndarray:
        """Markets of the organic pool of a type (aligned with its popularity weights)."""
        return self.world.market(etype)[: self.pop[etype].size]

    def popular(self, rng, etype: str, market, local: float = 1.0, sharp: float = 1.0):
        """An organic entity per row, of the row's market (mostly), by popularity ** sharp."""
        weight = self.pop[etype] ** sharp
        return pick_local(rng, np.asarray(market), self.pool_market(etype), weight, local)

    def weight(self, etype: str, by: str) -> np.ndarray:
        return self.activity[etype] if by == "activity" else self.pop[etype]

    def candidates(self, etype: str, market=None, min_age_days: float = 0) -> np.ndarray:
        """Organic entities (accounts not taken by a ring), optionally of a market and age."""
        n = self.world.organic[etype]
        ok = ~self.used[etype] if etype in self.used else np.ones(n, bool)
        if market is not None:
            ok &= self.world.market(etype)[:n] == market
        if min_age_days:
            ok &= self.world.created(etype)[:n] < self.start - int(min_age_days * DAY)
        return np.flatnonzero(ok)

    def band(self, etype: str, market, band: str, by: str = "pop", min_age_days=30):
        """Organic entities of a market in a popularity band (low / mid / high)."""
        c = self.candidates(etype, market, min_age_days)
        if c.size < 4:
            c = self.candidates(etype, None, min_age_days)
        w = self.weight(etype, by)[c]
        rank = np.argsort(np.argsort(w, kind="stable"), kind="stable") / max(c.size - 1, 1)
        lo, hi = {"low": (0.1, 0.5), "mid": (0.5, 0.9), "high": (0.95, 1.01), "any": (0.0, 1.01)}[
            band
        ]
        sel = c[(rank >= lo) & (rank < hi)]
        return sel if sel.size else c

    def choose(self, rng, etype: str, k: int, market, band: str, by: str = "pop"):
        """k organic targets of a band, by weight (not taken out of the population)."""
        c = self.band(etype, market, band, by)
        return np.sort(top_k(rng, c, self.weight(etype, by)[c], k))

    def take(self, rng, ring: Ring, etype: str, k: int, band: str, by: str = "pop"):
        """Organic accounts that join a ring as its beneficiaries (not hijacked)."""
        c = self.band(etype, ring.market, band, by, min_age_days=60)
        idx = np.sort(top_k(rng, c, np.ones(c.size), k))
        self.used[etype][idx] = True
        ring.members.append((etype, idx, np.zeros(idx.size, bool)))
        return idx

    def hijack(self, rng, etype: str, k: int, market: int) -> np.ndarray:
        """Organic accounts with history that a ring takes over (marked used)."""
        c = self.candidates(etype, market, 60)
        if c.size < k:
            c = self.candidates(etype, None, 60)
        idx = np.sort(top_k(rng, c, np.sqrt(self.activity[etype][c]), k))
        self.used[etype][idx] = True
        return idx

    def pick_organic(self, rng, etype: str, k: int, market=None, by="activity", min_age=0):
        """k distinct organic accounts (never ring members) for a look-alike group."""
        c = self.candidates(etype, market, min_age)
        if c.size < k and market is not None:
            c = self.candidates(etype, None, min_age)
        return np.sort(top_k(rng, c, self.weight(etype, by)[c], k))

    def kit_pick(self, rng, owner: str, kit: str, idx) -> np.ndarray:
        """The owner's own handset / card / netblock / bank (sometimes the spare one)."""
        first, second = self.kit[(owner, kit)]
        idx = np.asarray(idx, np.int64)
        out = first[idx].copy()
        alt = second[idx]
        use = (alt >= 0) & (rng.random(idx.size) < 0.3)
        out[use] = alt[use]
        return out

    def price(self, rng, market, median: float = 24.0, sigma: float = 0.5) -> np.ndarray:
        market = np.asarray(market, np.int64)
        value = rng.lognormal(np.log(median), sigma, market.size) * self.price_level[market]
        return np.round(value, 2)

    def market_pick(self, rng) -> int:
        return int(pick(rng, self.market_share, 1)[0])

    # -- look-alike groups -----------------------------------------------------------------

    def group(self, kind: str) -> Group:
        k = sum(g.kind == kind for g in self.groups)
        g = Group(f"{kind}-{k:03d}", kind, Emitter(self.events, NEGATIVE, len(self.groups)))
        self.groups.append(g)
        return g

    def gcount(self, per_million: float, minimum: int = 1) -> int:
        return max(minimum, int(round(per_million * self.n / 1e6)))

    @property
    def heavy(self) -> float:
        """How big look-alike groups are, relative to a 1M-event platform (0.1 .. 1)."""
        return float(np.clip((self.n / 1e6) ** 0.6, 0.1, 1.0))

    def gsize(self, rng, lo: float, hi: float) -> int:
        return max(2, int(loguniform(rng, lo, hi) * self.heavy))


# ----------------------------------------------------------------------------- shared parts


def populate_accounts(ctx: Ctx, etype: str, n: int, sigma: float, new_share: float, age: float):
    """Organic accounts: markets, creation over years (a few % in the window), activity."""
    rng = ctx.rng("accounts", etype)
    market = pick(rng, ctx.market_share, n)
    days = np.minimum(rng.lognormal(np.log(age), 0.9, n), 6 * 365)
    created = ctx.start - (days * DAY).astype(np.int64)
    new = rng.random(n) < new_share
    span = ctx.end - ctx.start - 2 * DAY
    created[new] = ctx.start + (rng.random(new.sum()) * span).astype(np.int64)
    u = rng.random(n)
    style = np.where(u < 0.07, 1, np.where(u < 0.11, 2 + rng.integers(0, len(FARM_STEMS), n), 0))
    ctx.world.add(etype, created, market, style)
    alive = (ctx.end - np.maximum(created, ctx.start)) / (ctx.end - ctx.start)
    ctx.activity[etype] = rng.lognormal(0.0, sigma, n) * alive


def personal(ctx: Ctx, rng, owner: str, kit: str, second=0.0, nat=None, partner=0.0) -> None:
    """One kit entity per organic owner; a `second` share owns a spare, a `partner` share uses
    the kit of another owner of its market (an unlisted household). With nat=(pool size per
    market, share), that share sits behind a carrier NAT shared by thousands."""
    w = ctx.world
    n = w.count(owner)
    created, market = w.created(owner), w.market(owner)
    first = np.empty(n, np.int64)
    own = np.ones(n, bool)
    if nat is not None:
        size, share = nat
        key = f"nat/{kit}"
        if key not in ctx.extra:
            n_m = len(ctx.p.markets)
            old = ctx.start - 3000 * DAY
            ctx.extra[key] = w.add(kit, np.full(size * n_m, old), np.repeat(np.arange(n_m), size))
        pool = ctx.extra[key]
        own = rng.random(n) >= share
        j = pick(rng, 1.0 / np.arange(1, size + 1), (~own).sum())
        first[~own] = pool[market[~own] * size + j]
    first[own] = w.add(kit, created[own], market[own])
    shares = np.flatnonzero(own & (rng.random(n) < partner))
    first[shares] = first[pick_local(rng, market[shares], market, np.ones(n), 1.0)]
    spare = np.full(n, -1, np.int64)
    has = rng.random(n) < second
    spare[has] = w.add(kit, created[has] + rng.integers(0, 90 * DAY, has.sum()), market[has])
    ctx.kit[(owner, kit)] = (first, spare)


def freeze_organic(ctx: Ctx) -> None:
    """Everything made so far is the organic population."""
    for t in ctx.world.types:
        ctx.world.organic[t] = ctx.world.count(t)
    for t in ctx.p.accounts:
        ctx.used[t] = np.zeros(ctx.world.organic[t], bool)


def sessions(ctx: Ctx, emit, rng, etype, actors, action, ttype, target, k_lo, k_hi, **when):
    """k_lo..k_hi logins (or visits) per actor on the rhythm, after each actor's creation."""
    actors = np.asarray(actors, np.int64)
    k = rng.integers(k_lo, k_hi + 1, actors.size)
    a = np.repeat(actors, k)
    tgt = np.repeat(np.broadcast_to(np.asarray(target, np.int64), actors.shape), k)
    ts = ctx.rhythm(rng, ctx.world.market(etype)[a], **when)
    ts = ctx.after(rng, ts, ctx.world.created(etype)[a])
    emit(etype, a, action, ttype, tgt, ts)
    return a, ts


def recruit(ctx: Ctx, ring: Ring, rng, etype: str, n: int, age: str, hijack: bool = True):
    """Ring accounts: hijacked organic ones (20 % of the ring) plus new ones of an age:
    batch (made in one sitting days before), fresh (days to weeks before), aged (months)."""
    n = max(int(n), 1)
    n_hijacked = min(n, int(round(0.2 * ring.size))) if hijack else 0
    taken = ctx.hijack(rng, etype, n_hijacked, ring.market)
    k = n - taken.size
    if age == "batch":
        base = ring.lo - int(loguniform(rng, 0.3, 6.0) * DAY)
        created = base + rng.integers(0, 3 * HOUR, k)
    elif age == "fresh":
        created = ring.lo - (loguniform(rng, 0.5, 25.0, k) * DAY).astype(np.int64)
    else:
        created = ctx.start - (rng.uniform(60, 900, k) * DAY).astype(np.int64)
    if age == "batch" or (age == "fresh" and rng.random() < 0.5):
        style = np.where(rng.random(k) < 0.85, ring.rid + 2, 0)
    else:
        style = (rng.random(k) < 0.1).astype(np.int16)
    new = ctx.world.add(etype, created, ring.market, style)
    if etype == "kitchen":
        add_menu(ctx, rng, new, ctx.world.created("kitchen")[new] + 2 * HOUR)
    idx = np.concatenate([taken, new])
    ring.members.append((etype, idx, np.r_[np.ones(taken.size, bool), np.zeros(k, bool)]))
    return idx


def new_kit(ctx: Ctx, kit: str, n: int, ring: Ring, days_before=(5.0, 60.0)) -> np.ndarray:
    """n new devices / cards / accounts-to-pay-into that a ring brings along."""
    rng = ctx.rng("kit", ring.rid, kit, ctx.world.count(kit))
    created = ring.lo - (rng.uniform(*days_before, max(int(n), 1)) * DAY).astype(np.int64)
    return ctx.world.add(kit, created, ring.market)


# ----------------------------------------------------------------------------- delivery


def add_menu(ctx: Ctx, rng, kitchens: np.ndarray, horizon) -> np.ndarray:
    """Dishes for newly made kitchens (contiguous at the end): first dish with the kitchen,
    the others between the kitchen's creation and `horizon`."""
    first = ctx.extra.setdefault("menu_first", np.empty(0, np.int64))
    assert kitchens.size == 0 or kitchens[0] == first.size
    kc = ctx.world.created("kitchen")[kitchens]
    size = np.clip(rng.lognormal(np.log(20), 0.5, kitchens.size), 6, 90).astype(np.int64)
    owner_c = np.repeat(kc, size)
    horizon = np.repeat(np.broadcast_to(np.asarray(horizon, np.int64), kc.shape), size)
    owner_c = owner_c + 2 * MINUTE  # listed just after the kitchen signs up
    created = owner_c + (rng.random(owner_c.size) * (horizon - owner_c)).astype(np.int64)
    created[np.cumsum(size) - size] = kc + 2 * MINUTE
    km = ctx.world.market("kitchen")[kitchens]
    dishes = ctx.world.add("dish", created, np.repeat(km, size))
    ctx.extra["menu_first"] = np.r_[first, dishes[0] + np.cumsum(size) - size]
    ctx.extra["menu_size"] = np.r_[ctx.extra.get("menu_size", np.empty(0, np.int64)), size]
    return dishes


def menu_dish(ctx: Ctx, rng, kitchen: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """A dish of each kitchen, favouring the top of the menu, that exists at ts."""
    first, size = ctx.extra["menu_first"][kitchen], ctx.extra["menu_size"][kitchen]
    dish = first + (size * rng.random(kitchen.size) ** 2).astype(np.int64)
    return np.where(ctx.world.created("dish")[dish] > ts, first, dish)


@dataclass(frozen=True)
class Habits:
    """What goes with a basket. riders: None = organic riders of the kitchen's market, False =
    pickup, or one given rider per basket; dish: None = from the menu, or one per basket."""

    riders: np.ndarray | bool | None = None
    dish: np.ndarray | None = None
    p_browse: float = 0.55
    p_tip: float = 0.3
    tip: tuple[float, float] = (1.0, 6.0)
    p_rate: float = 0.22
    stars: tuple[int, int] | None = None
    p_refund: float = 0.012
    refund: tuple[float, float] = (0.3, 1.0)
    p_promo: float = 0.0


def organic_riders(ctx: Ctx, rng, market: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Busy riders of each basket's market who had signed up by then."""
    rider = ctx.popular(rng, "rider", market)
    late = np.flatnonzero(ctx.world.created("rider")[rider] > ts - HOUR)
    settled = ctx.pop["rider"] * (ctx.world.created("rider")[: ctx.pop["rider"].size] < ctx.start)
    rider[late] = pick_local(rng, market[late], ctx.pool_market("rider"), settled, 1.0)
    return rider


def deliver(ctx: Ctx, emit, rng, eater, kitchen, ts, card, amount, how: Habits | None = None):
    """One basket per row: browse, add dishes, place, pay, the rider's run and drop, tip,
    ratings, refund claim. kitchen, card and amount may be one value for all rows."""
    how = how or Habits()
    eater, ts = np.asarray(eater, np.int64), np.asarray(ts, np.int64)
    n = eater.size
    if n == 0:
        return
    kitchen = np.broadcast_to(np.asarray(kitchen, np.int64), (n,)).copy()
    amount = np.broadcast_to(np.asarray(amount, np.float64), (n,))
    km = ctx.world.market("kitchen")[kitchen]
    dish = menu_dish(ctx, rng, kitchen, ts) if how.dish is None else how.dish
    b = rng.random(n) < how.p_browse
    emit("eater", eater[b], "browse_menu", "kitchen", kitchen[b], jitter(rng, ts[b], -25, -2))
    emit("eater", eater, "add_to_basket", "dish", dish, jitter(rng, ts, -8, -1))
    b = rng.random(n) < 0.4
    side = menu_dish(ctx, rng, kitchen[b], ts[b])
    emit("eater", eater[b], "add_to_basket", "dish", side, jitter(rng, ts[b], -6, -1))
    if how.p_promo:
        b = rng.random(n) < how.p_promo
        code = ctx.popular(rng, "promo_code", km[b], 0.9)
        emit("eater", eater[b], "redeem_promo", "promo_code", code, ts[b] - 30 * US)
    emit("eater", eater, "place_basket", "kitchen", kitchen, ts, amount)
    emit("eater", eater, "charge_card", "card", card, jitter(rng, ts, 0.1, 1), amount)
    done = jitter(rng, ts, 18, 55)
    if how.riders is not False:
        rider = organic_riders(ctx, rng, km, ts) if how.riders is None else how.riders
        emit("rider", rider, "accept_run", "kitchen", kitchen, jitter(rng, ts, 2, 12))
        emit("rider", rider, "complete_drop", "eater", eater, done)
        b = rng.random(n) < how.p_tip
        tips = np.round(rng.uniform(*how.tip, b.sum()) * ctx.price_level[km[b]], 2)
        emit("eater", eater[b], "tip_rider", "rider", rider[b], jitter(rng, done[b], 1, 180), tips)
        b = rng.random(n) < how.p_rate * 0.5
        stars = organic_stars(rng, b.sum())
        emit(
            "eater", eater[b], "rate_rider", "rider", rider[b], jitter(rng, done[b], 5, 360), stars
        )
    b = rng.random(n) < how.p_rate
    if how.stars is None:
        stars = organic_stars(rng, b.sum())
    else:
        stars = rng.integers(how.stars[0], how.stars[1] + 1, b.sum()).astype(np.float64)
    t = jitter(rng, done[b], 10, 1200)
    emit("eater", eater[b], "rate_kitchen", "kitchen", kitchen[b], t, stars)
    b = rng.random(n) < how.p_refund
    claim = np.round(amount[b] * rng.uniform(*how.refund, b.sum()), 2)
    t = jitter(rng, done[b], 20, 2880)
    emit("eater", eater[b], "file_refund", "kitchen", kitchen[b], t, claim)


def delivery_population(ctx: Ctx) -> None:
    """Eaters, kitchens with menus, riders, promo codes and everybody's own kit."""
    rng = ctx.rng("population")
    w, n = ctx.world, ctx.n
    populate_accounts(ctx, "eater", max(1500, n // 22), 1.1, 0.035, 420)
    populate_accounts(ctx, "kitchen", max(60, n // 420), 0.6, 0.02, 700)
    populate_accounts(ctx, "rider", max(40, n // 260), 0.7, 0.05, 260)
    n_k = w.count("kitchen")
    ctx.pop["kitchen"] = zipf_weights(rng, n_k, 0.95) * ctx.activity["kitchen"]
    ctx.pop["rider"] = ctx.activity["rider"]
    add_menu(ctx, rng, np.arange(n_k), ctx.end)
    sizes = ctx.extra["menu_size"]
    ctx.pop["dish"] = np.repeat(ctx.pop["kitchen"], sizes) * rng.lognormal(0, 0.7, sizes.sum())
    n_m = len(ctx.p.markets)
    created = ctx.start - (rng.uniform(1, 120, 8 * n_m) * DAY).astype(np.int64)
    w.add("promo_code", created, np.repeat(np.arange(n_m), 8))
    ctx.pop["promo_code"] = np.tile(1.0 / np.arange(1, 9) ** 1.2, n_m)
    for owner, spare, partner in (("eater", 0.12, 0.03), ("rider", 0.2, 0.01), ("kitchen", 0.3, 0)):
        personal(ctx, rng, owner, "handset", spare, partner=partner)
    personal(ctx, rng, "eater", "netblock", 0.3, nat=(10, 0.12), partner=0.06)
    personal(ctx, rng, "rider", "netblock", 0.1, nat=(10, 0.3))
    personal(ctx, rng, "kitchen", "netblock")
    personal(ctx, rng, "eater", "card", 0.25)
    personal(ctx, rng, "kitchen", "bank_acct")
    personal(ctx, rng, "rider", "bank_acct")
    em = np.repeat(w.market("eater"), 3)
    fav = pick_local(rng, em, w.market("kitchen"), ctx.pop["kitchen"], 0.99)
    ctx.extra["favourites"] = fav.reshape(-1, 3)


def delivery_baskets(ctx: Ctx) -> None:
    """The organic baskets (about 70 % of the organic events); 45 % at a favourite kitchen."""
    rng = ctx.rng("organic", "baskets")
    w = ctx.world
    n = int(ctx.n * 0.70 / 7.1)
    eater = pick(rng, ctx.activity["eater"], n)
    m = w.market("eater")[eater]
    kitchen = ctx.popular(rng, "kitchen", m, 0.97)
    loyal = rng.random(n) < 0.45
    kitchen[loyal] = ctx.extra["favourites"][eater[loyal], rng.integers(0, 3, loyal.sum())]
    ts = ctx.rhythm(rng, m)
    ts = ctx.after(rng, ts, np.maximum(w.created("eater")[eater], w.created("kitchen")[kitchen]))
    card = ctx.kit_pick(rng, "eater", "card", eater)
    deliver(
        ctx, ctx.organic, rng, eater, kitchen, ts, card, ctx.price(rng, m), Habits(p_promo=0.07)
    )


def delivery_background(ctx: Ctx) -> None:
    """Organic logins, browsing, saves, invites, dish listings and weekly cash-outs."""
    rng = ctx.rng("organic", "background")
    w, emit, n = ctx.world, ctx.organic, ctx.n
    for etype, share, kit, action in (
        ("eater", 0.07, "handset", "app_unlock"),
        ("rider", 0.03, "handset", "app_unlock"),
        ("kitchen", 0.006, "handset", "app_unlock"),
        ("eater", 0.035, "netblock", "wifi_session"),
        ("rider", 0.015, "netblock", "wifi_session"),
        ("kitchen", 0.004, "netblock", "wifi_session"),
    ):
        actor, _, ts = ctx.active(rng, etype, int(n * share))
        emit(etype, actor, action, kit, ctx.kit_pick(rng, etype, kit, actor), ts)
    for action, share, ttype in (
        ("browse_menu", 0.06, "kitchen"),
        ("peek_dish", 0.035, "dish"),
        ("save_kitchen", 0.006, "kitchen"),
    ):
        actor, m, ts = ctx.active(rng, "eater", int(n * share))
        target = pick_local(rng, m, w.market(ttype), ctx.pop[ttype], 0.96)
        ts = ctx.after(rng, ts, w.created(ttype)[target])
        emit("eater", actor, action, ttype, target, ts)
    delivery_invites(ctx, rng)
    dish = np.flatnonzero(w.created("dish") >= ctx.start)
    owner = np.searchsorted(ctx.extra["menu_first"], dish, side="right") - 1
    emit("kitchen", owner, "list_dish", "dish", dish, w.created("dish")[dish])
    weekly_cashouts(ctx, rng, "kitchen", "kitchen_cashout", 1, 0.85, 1400.0)
    weekly_cashouts(ctx, rng, "rider", "rider_cashout", 2, 0.6, 160.0)


def delivery_invites(ctx: Ctx, rng) -> None:
    """Invite codes of 2.5 % of eaters, entered mostly by brand-new eaters."""
    w, emit = ctx.world, ctx.organic
    n_e = w.count("eater")
    inviter = np.sort(top_k(rng, np.arange(n_e), ctx.activity["eater"], max(20, n_e // 40)))
    ec = w.created("eater")[inviter]
    created = np.maximum(ec, ctx.start - (rng.uniform(0, 400, inviter.size) * DAY).astype(np.int64))
    created = ctx.after(rng, created, ec)
    codes = w.add("invite_code", created, w.market("eater")[inviter])
    fresh = created >= ctx.start
    emit("eater", inviter[fresh], "mint_invite", "invite_code", codes[fresh], created[fresh])
    k = int(ctx.n * 0.003)
    code = pick(rng, rng.pareto(1.2, codes.size) + 1.0, k)
    new_ones = np.flatnonzero(w.created("eater") >= ctx.start)
    invitee = pick(rng, ctx.activity["eater"], k)
    is_new = (rng.random(k) < 0.6) & (new_ones.size > 0)
    invitee[is_new] = new_ones[rng.integers(0, max(new_ones.size, 1), is_new.sum())]
    ts = w.created("eater")[invitee] + rng.integers(5 * MINUTE, 2 * DAY, k)
    ts[~is_new] = ctx.rhythm(rng, w.market("eater")[invitee[~is_new]])
    ts = ctx.after(rng, ts, np.maximum(w.created("eater")[invitee], created[code]))
    emit("eater", invitee, "enter_invite", "invite_code", codes[code], ts)


def weekly_cashouts(ctx: Ctx, rng, etype: str, action: str, per_week: int, p: float, median):
    """Each organic account cashes out per_week times a week with probability p."""
    n = ctx.activity[etype].size
    slots = ctx.p.weeks * per_week
    grid = rng.random((n, slots)) < p * np.minimum(1.0, ctx.activity[etype] * 2)[:, None]
    acct, slot = np.nonzero(grid)
    m = ctx.world.market(etype)[acct]
    day = slot * (7 // per_week) + rng.integers(0, 7 // per_week, acct.size)
    local = ctx.start + day * DAY + 8 * HOUR + rng.integers(0, 4 * HOUR, acct.size)
    ts = ctx.after(rng, local - ctx.offset[m], ctx.world.created(etype)[acct])
    bank = ctx.kit[(etype, "bank_acct")][0][acct]
    scale = ctx.activity[etype][acct] ** 0.5 * ctx.price_level[m]
    amount = np.round(rng.lognormal(np.log(median), 0.6, acct.size) * scale, 2)
    ctx.organic(etype, acct, action, "bank_acct", bank, ts, amount)


def delivery_organic(ctx: Ctx) -> None:
    delivery_population(ctx)
    delivery_baskets(ctx)
    delivery_background(ctx)


def ring_cashouts(ctx: Ctx, ring: Ring, rng, etype: str, accounts, banks, k, median) -> None:
    """Each ring account cashes out k[0]..k[1] times into its bank (or one shared bank)."""
    who = np.repeat(np.arange(accounts.size), rng.integers(k[0], k[1] + 1, accounts.size))
    bank = np.broadcast_to(np.asarray(banks), accounts.shape)[who]
    when = ctx.react(rng, ring, ctx.ring_times(rng, ring, who.size) + DAY)
    paid = ctx.price(rng, np.full(who.size, ring.market), median, 0.3)
    action = "kitchen_cashout" if etype == "kitchen" else "rider_cashout"
    ring.emit(etype, accounts[who], action, "bank_acct", bank, when, paid)


def d_promo_farm(ctx: Ctx, ring: Ring, rng) -> None:
    """Farm accounts claim codes (one cheap basket each) from shared handsets or a proxy."""
    w, e, var = ctx.world, ring.emit, ring.variant
    leads = np.empty(0, np.int64)
    if var == "invite_chain":
        leads = recruit(ctx, ring, rng, "eater", int(rng.integers(1, 4)), "aged", hijack=False)
    farm = recruit(ctx, ring, rng, "eater", ring.size - leads.size, "batch")
    n = farm.size
    if var == "code_hopping":  # an emulator per account behind one proxy, several codes each
        phones = w.add("handset", w.created("eater")[farm] + 10 * MINUTE, ring.market)
        proxy = new_kit(ctx, "netblock", 1, ring)
        ring.target("netblock", proxy)
        code_type = "promo_code"
        pool = ctx.choose(rng, code_type, int(rng.integers(3, 6)), ring.market, "any")
        per = rng.integers(2, pool.size + 1, n)
    else:  # a few farm phones; one leaked promo code, or the leads' invite codes
        farm_phones = new_kit(ctx, "handset", max(1, n // int(rng.integers(4, 9))), ring)
        ring.target("handset", farm_phones)
        phones = deal(rng, farm_phones, n)
        per = np.ones(n, np.int64)
        if var == "farm_code":
            code_type, pool = "promo_code", ctx.choose(rng, "promo_code", 1, ring.market, "mid")
        else:
            minted = ring.lo - rng.integers(HOUR, 2 * DAY, leads.size)
            code_type, pool = "invite_code", w.add("invite_code", minted, ring.market)
            e("eater", leads, "mint_invite", "invite_code", pool, minted)
    ring.target(code_type, pool)
    cards = new_kit(ctx, "card", max(1, n // 3), ring)
    ring.target("card", cards)
    card_of = deal(rng, cards, n)
    t0 = ctx.ring_times(rng, ring, n)
    who, pos = np.repeat(np.arange(n), per), position_in_run(per)
    ts = t0[who] + pos * rng.integers(5 * MINUTE, 40 * MINUTE, who.size)
    e("eater", farm, "app_unlock", "handset", phones, jitter(rng, t0, -6, -2))
    e("eater", farm[who], "app_unlock", "handset", phones[who], ts - 90 * US)
    if var == "code_hopping":
        e("eater", farm, "wifi_session", "netblock", proxy[0], t0 - 7 * MINUTE)
    code = pool[(pos + rng.integers(0, pool.size, n)[who]) % pool.size]
    action = "enter_invite" if code_type == "invite_code" else "redeem_promo"
    e("eater", farm[who], action, code_type, code, ts - MINUTE)
    kitchens = ctx.choose(rng, "kitchen", int(rng.integers(1, 4)), ring.market, "mid")
    amount = ctx.price(rng, np.full(who.size, ring.market), 9.0, 0.25)
    how = Habits(p_tip=0.03, p_rate=0.05)
    deliver(ctx, e, rng, farm[who], deal(rng, kitchens, who.size), ts, card_of[who], amount, how)
    if leads.size:  # the leads spend their referral credit
        k = rng.integers(4, 11, leads.size)
        lead_cards = new_kit(ctx, "card", leads.size, ring, (100, 300))
        t = ctx.react(rng, ring, ctx.ring_times(rng, ring, k.sum()) + 6 * HOUR)
        amount = ctx.price(rng, np.full(k.sum(), ring.market))
        lk = deal(rng, kitchens, k.sum())
        deliver(ctx, e, rng, np.repeat(leads, k), lk, t, np.repeat(lead_cards, k), amount)


def d_brushing(ctx: Ctx, ring: Ring, rng) -> None:
    """A kitchen's own fake eaters buy its boosted dishes repeatedly, pickup, 5 stars."""
    w, e, var = ctx.world, ring.emit, ring.variant
    if var == "new_kitchen":  # a brand-new kitchen pushing its first dishes up the ranking
        kitchens = recruit(ctx, ring, rng, "kitchen", 1, "fresh", hijack=False)
        first = ctx.extra["menu_first"][kitchens[0]]
        menu = first + np.arange(ctx.extra["menu_size"][kitchens[0]])
        boosted = menu[None, :3]
        listed = menu[w.created("dish")[menu] >= ctx.start]
        e("kitchen", kitchens[0], "list_dish", "dish", listed, w.created("dish")[listed])
    elif var == "twin_kitchens":  # two small kitchens of one owner, one bank account
        kitchens = ctx.take(rng, ring, "kitchen", 2, "low")
        boosted = ctx.extra["menu_first"][kitchens][:, None] + np.arange(2)[None, :]
    else:  # an established kitchen pushing a few new dishes
        kitchens = ctx.take(rng, ring, "kitchen", 1, "mid")
        listed_at = ring.lo - rng.integers(2 * HOUR, 24 * HOUR, int(rng.integers(2, 5)))
        boosted = w.add("dish", listed_at, ring.market)[None, :]
        e("kitchen", kitchens[0], "list_dish", "dish", boosted[0], listed_at)
    ring.target("kitchen", kitchens)
    ring.target("dish", boosted.ravel())
    age = "aged" if var == "twin_kitchens" else "fresh"
    buyers = recruit(ctx, ring, rng, "eater", ring.size - kitchens.size, age)
    cards = new_kit(ctx, "card", int(rng.integers(2, 5)), ring)
    ring.target("card", cards)
    buyer = np.repeat(buyers, rng.integers(2, 7 if ring.pace == "fast" else 10, buyers.size))
    ts = ctx.ring_times(rng, ring, buyer.size)
    kk = deal(rng, np.arange(kitchens.size), buyer.size)
    dish = boosted[kk, rng.integers(0, boosted.shape[1], buyer.size)]
    amount = ctx.price(rng, np.full(buyer.size, ring.market), 26.0, 0.3)
    how = Habits(riders=False, dish=dish, p_browse=0.5, p_tip=0.0, p_rate=0.55, stars=(5, 5))
    deliver(ctx, e, rng, buyer, kitchens[kk], ts, deal(rng, cards, buyer.size), amount, how)
    saver = buyers[rng.random(buyers.size) < 0.6]
    t = ctx.ring_times(rng, ring, saver.size)
    e("eater", saver, "save_kitchen", "kitchen", deal(rng, kitchens, saver.size), t)
    if var == "twin_kitchens":  # both kitchens pay out into one account
        bank = new_kit(ctx, "bank_acct", 1, ring)
        ring.target("bank_acct", bank)
    elif var == "new_kitchen":
        bank = new_kit(ctx, "bank_acct", 1, ring, (0.2, 0.4))
    else:
        bank = ctx.kit[("kitchen", "bank_acct")][0][kitchens]
    ring_cashouts(ctx, ring, rng, "kitchen", kitchens, bank, (2, 4), 900.0)


def d_star_push(ctx: Ctx, ring: Ring, rng) -> None:
    """Bought aged accounts inflate a kitchen (or a chain), or bomb a popular rival."""
    w, e, var = ctx.world, ring.emit, ring.variant
    if var == "chain_inflate":
        bens = recruit(ctx, ring, rng, "kitchen", 3, "aged", hijack=False)
    else:
        bens = ctx.take(rng, ring, "kitchen", 1, "low" if var == "inflate" else "mid")
    ring.target("kitchen", bens)
    raters = recruit(ctx, ring, rng, "eater", ring.size - bens.size, "aged")
    n = raters.size
    t0 = ctx.ring_times(rng, ring, n)
    t1 = ctx.react(rng, ring, t0 + HOUR)
    cards = w.add("card", w.created("eater")[raters] + DAY, ring.market)
    quiet = Habits(p_tip=0.1, p_rate=0.0, p_refund=0.0)
    if var == "inflate":
        o = rng.random(n) < 0.8
        small = ctx.price(rng, np.full(o.sum(), ring.market), 14.0, 0.3)
        deliver(ctx, e, rng, raters[o], bens[0], t0[o], cards[o], small, quiet)
        e("eater", raters, "rate_kitchen", "kitchen", bens[0], t1, 5.0)
        s = rng.random(n) < 0.5
        e("eater", raters[s], "save_kitchen", "kitchen", bens[0], t1[s] + 2 * MINUTE)
    elif var == "bomb_rival":
        rival = ctx.choose(rng, "kitchen", 1, ring.market, "high")
        ring.target("kitchen", rival)
        o = rng.random(n) < 0.5
        angry = Habits(p_tip=0.0, p_rate=0.0, p_refund=0.45, refund=(0.5, 1.0))
        amount = ctx.price(rng, np.full(o.sum(), ring.market))
        deliver(ctx, e, rng, raters[o], rival[0], t0[o], cards[o], amount, angry)
        stars = np.where(rng.random(n) < 0.8, 1.0, 2.0)
        e("eater", raters, "rate_kitchen", "kitchen", rival[0], t1, stars)
        b = rng.random(n) < 0.5
        e("eater", raters[b], "rate_kitchen", "kitchen", bens[0], t1[b] + HOUR, 5.0)
    else:  # a click farm behind one or two netblocks rates a three-kitchen chain
        farm_net = new_kit(ctx, "netblock", int(rng.integers(1, 3)), ring)
        ring.target("netblock", farm_net)
        e("eater", raters, "wifi_session", "netblock", deal(rng, farm_net, n), t0 - 5 * MINUTE)
        for kitchen in bens:
            o = rng.random(n) < 0.5
            amount = ctx.price(rng, np.full(o.sum(), ring.market))
            deliver(ctx, e, rng, raters[o], kitchen, t0[o] + 20 * MINUTE, cards[o], amount, quiet)
            r = rng.random(n) < 0.9
            t = jitter(rng, t1[r], 60, 180)
            e("eater", raters[r], "rate_kitchen", "kitchen", kitchen, t, 5.0)
        bank = new_kit(ctx, "bank_acct", 1, ring)
        ring.target("bank_acct", bank)
        ring_cashouts(ctx, ring, rng, "kitchen", bens, bank, (2, 2), 1200.0)


def d_ghost_drops(ctx: Ctx, ring: Ring, rng) -> None:
    """A kitchen, colluding riders and fake eaters on stolen cards fake baskets and runs."""
    e, var = ring.emit, ring.variant
    kitchen = ctx.take(rng, ring, "kitchen", 1, "low")
    ring.target("kitchen", kitchen)
    n_r = int(np.clip(ring.size // 6, 2, 6))
    riders = recruit(ctx, ring, rng, "rider", n_r, "aged", hijack=False)
    eaters = recruit(ctx, ring, rng, "eater", ring.size - 1 - n_r, "fresh")
    cards = new_kit(ctx, "card", max(2, eaters.size // 3), ring, (1, 10))
    ring.target("card", cards)
    eater = np.repeat(eaters, rng.integers(2, 9, eaters.size))
    ts = ctx.ring_times(rng, ring, eater.size)
    amount = ctx.price(rng, np.full(eater.size, ring.market), 38.0, 0.3)
    refunds = 0.8 if var == "refund_loop" else 0.05
    fake = deal(rng, riders, eater.size)
    how = Habits(riders=fake, p_tip=0.6, tip=(6.0, 20.0), p_rate=0.4, stars=(5, 5))
    how = replace(how, p_refund=refunds, refund=(0.8, 1.0))
    deliver(ctx, e, rng, eater, kitchen[0], ts, deal(rng, cards, eater.size), amount, how)
    bank = ctx.kit[("kitchen", "bank_acct")][0][kitchen]
    ring_cashouts(ctx, ring, rng, "kitchen", kitchen, bank, (2, 2), 1500.0)
    if var == "phantom_runs":  # extra runs with no basket behind them
        ghost = deal(rng, riders, eater.size)
        t = ctx.ring_times(rng, ring, ghost.size)
        e("rider", ghost, "accept_run", "kitchen", kitchen[0], t)
        banks = new_kit(ctx, "bank_acct", n_r, ring, (100, 400))
        ring_cashouts(ctx, ring, rng, "rider", riders, banks, (2, 4), 300.0)
    elif var == "rider_pack":  # the riders share one phone and one bank account
        phone, bank = new_kit(ctx, "handset", 1, ring), new_kit(ctx, "bank_acct", 1, ring)
        ring.target("handset", phone)
        ring.target("bank_acct", bank)
        who = np.repeat(riders, rng.integers(3, 9, n_r))
        t = ctx.ring_times(rng, ring, who.size) - 20 * MINUTE
        e("rider", who, "app_unlock", "handset", phone[0], t)
        ring_cashouts(ctx, ring, rng, "rider", riders, bank, (2, 4), 300.0)


def d_refund_mill(ctx: Ctx, ring: Ring, rng) -> None:
    """Aged accounts behind VPN netblocks order real food and refund-claim most of it."""
    e, var = ring.emit, ring.variant
    eaters = recruit(ctx, ring, rng, "eater", ring.size, "aged")
    n = eaters.size
    n_k, band = {"spread": (25, "high"), "focused": (3, "mid"), "card_cycle": (8, "mid")}[var]
    k = int(rng.integers(n_k // 3 + 1, n_k + 1))
    kitchens = ctx.choose(rng, "kitchen", k, ring.market, band)
    vpn = new_kit(ctx, "netblock", int(rng.integers(1, 4)), ring)
    ring.target("kitchen", kitchens)
    ring.target("netblock", vpn)
    who = np.repeat(np.arange(n), rng.integers(3, 11, n))
    ts = ctx.ring_times(rng, ring, who.size)
    exit_of = deal(rng, vpn, n)
    e("eater", eaters[who], "wifi_session", "netblock", exit_of[who], ts - 4 * MINUTE)
    if var == "spread":  # a card per account
        cards = new_kit(ctx, "card", n, ring)
        card = cards[who]
    elif var == "focused":  # two shared cards
        cards = new_kit(ctx, "card", 2, ring)
        card = deal(rng, cards, who.size)
    else:  # a fresh stolen card per basket, tested with a tiny charge first
        cards = card = new_kit(ctx, "card", who.size, ring, (0.1, 2))
        test = np.round(rng.uniform(0.5, 2.0, who.size), 2)
        e("eater", eaters[who], "charge_card", "card", card, jitter(rng, ts, -180, -10), test)
    ring.target("card", cards)
    amount = ctx.price(rng, np.full(who.size, ring.market), 55.0, 0.35)
    how = Habits(p_tip=0.0, p_rate=0.3, stars=(1, 2), p_refund=0.75, refund=(0.6, 1.0))
    deliver(ctx, e, rng, eaters[who], deal(rng, kitchens, who.size), ts, card, amount, how)


def delivery_camouflage(ctx: Ctx, emit, rng, etype: str, actor: np.ndarray, ts: np.ndarray):
    """Ring accounts looking normal: browsing, peeking and saving popular kitchens."""
    m = ctx.world.market(etype)[actor]
    kitchen = ctx.popular(rng, "kitchen", m, 0.95, sharp=1.5)
    if etype == "rider":
        emit("rider", actor, "accept_run", "kitchen", kitchen, ts)
        return
    u = rng.random(actor.size)
    a, b, c = u < 0.55, (u >= 0.55) & (u < 0.9), u >= 0.9
    emit(etype, actor[a], "browse_menu", "kitchen", kitchen[a], ts[a])
    emit(etype, actor[b], "peek_dish", "dish", menu_dish(ctx, rng, kitchen[b], ts[b]), ts[b])
    emit(etype, actor[c], "save_kitchen", "kitchen", kitchen[c], ts[c])


# ----------------------------------------------------------------------------- forum


def forum_population(ctx: Ctx) -> None:
    """Members, brand orgs, topics, coin packs, devices, wallets and the thread pool."""
    rng = ctx.rng("population")
    w, n = ctx.world, ctx.n
    populate_accounts(ctx, "member", max(1500, n // 28), 1.35, 0.04, 600)
    populate_accounts(ctx, "org", max(12, n // 25_000), 0.5, 0.0, 900)
    n_mb, n_org = w.count("member"), w.count("org")
    ctx.pop["member"] = rng.lognormal(0, 1.5, n_mb) * ctx.activity["member"] ** 0.4
    ctx.pop["org"] = rng.lognormal(1.5, 0.8, n_org)
    n_t = max(30, n // 5000)
    created = ctx.start - (rng.uniform(100, 2500, n_t) * DAY).astype(np.int64)
    w.add("topic", created, pick(rng, ctx.market_share, n_t))
    ctx.pop["topic"] = zipf_weights(rng, n_t, 1.1)
    n_m = len(ctx.p.markets)
    w.add("coin_pack", np.full(5 * n_m, ctx.start - 1500 * DAY), np.repeat(np.arange(n_m), 5))
    personal(ctx, rng, "member", "browser_fp", 0.3, partner=0.02)
    personal(ctx, rng, "member", "ip_block", 0.2, nat=(8, 0.12), partner=0.06)
    personal(ctx, rng, "org", "browser_fp", 0.5)
    personal(ctx, rng, "org", "ip_block")
    creator = ctx.pop["member"] >= np.quantile(ctx.pop["member"], 0.85)
    wallet = np.full(n_mb, -1, np.int64)
    wallet[creator] = w.add("wallet", w.created("member")[creator], w.market("member")[creator])
    ctx.kit[("member", "wallet")] = (wallet, np.full(n_mb, -1, np.int64))
    org_wallet = w.add("wallet", w.created("org"), w.market("org"))
    ctx.kit[("org", "wallet")] = (org_wallet, np.full(n_org, -1, np.int64))
    forum_threads(ctx, rng)


def forum_threads(ctx: Ctx, rng) -> None:
    """Threads posted in the window and a backlog from the 60 days before (less popular)."""
    w = ctx.world
    n_new = int(ctx.n * 0.012)
    total = 2 * n_new
    is_org = rng.random(total) < 0.06
    author = pick(rng, ctx.activity["member"] * ctx.pop["member"] ** 0.5, total)
    author[is_org] = pick(rng, ctx.pop["org"], is_org.sum())
    market, a_created, fame = (np.empty(total, dt) for dt in (np.int64, np.int64, np.float64))
    for flag, etype in ((True, "org"), (False, "member")):
        sel = is_org == flag
        market[sel] = w.market(etype)[author[sel]]
        a_created[sel] = w.created(etype)[author[sel]]
        fame[sel] = ctx.pop[etype][author[sel]]
    created = ctx.start - (rng.uniform(0, 60, total) * DAY).astype(np.int64)
    created[:n_new] = ctx.rhythm(rng, market[:n_new])
    created = ctx.after(rng, created, a_created)
    pop = fame * (rng.pareto(1.3, total) + 1.0) * np.where(created < ctx.start, 0.3, 1.0)
    threads = w.add("thread", created, market)
    ctx.extra["threads"] = {"idx": threads, "is_org": is_org, "author": author}
    ctx.extra["threads"].update(created=created, market=market, pop=pop)
    inside = created >= ctx.start
    for flag, etype in ((True, "org"), (False, "member")):
        sel = inside & (is_org == flag)
        ctx.organic(etype, author[sel], "start_thread", "thread", threads[sel], created[sel])


def engage(ctx: Ctx, rng, n: int, pool: dict, local: float = 0.85, median_h: float = 6.0):
    """n organic (member, pool entry, ts): mostly soon after posting, backlog on the rhythm."""
    w = ctx.world
    actor = pick(rng, ctx.activity["member"], n)
    m = w.market("member")[actor]
    j = pick_local(rng, m, pool["market"], pool["pop"], local)
    created = pool["created"][j]
    delay = rng.lognormal(np.log(median_h * HOUR), 1.5, j.size).astype(np.int64)
    ts = created + delay
    slow = delay > 2 * HOUR
    ts[slow] = ctx.rhythm_after(rng, m[slow], created[slow] + delay[slow] // 2, 0)
    old = created < ctx.start
    ts[old] = ctx.rhythm(rng, m[old])
    late = ts >= ctx.end
    ts[late] = created[late] + (rng.random(late.sum()) * (ctx.end - created[late])).astype(np.int64)
    ts = ctx.after(rng, ts, np.maximum(w.created("member")[actor], created))
    return actor, j, ts


def post_threads(ctx: Ctx, emit, atype: str, author, ts) -> np.ndarray:
    author, ts = np.asarray(author, np.int64), np.asarray(ts, np.int64)
    threads = ctx.world.add("thread", ts, ctx.world.market(atype)[author])
    emit(atype, author, "start_thread", "thread", threads, ts)
    return threads


def post_replies(ctx: Ctx, emit, rng, author, thread, ts, atype: str = "member") -> np.ndarray:
    author, thread, ts = (np.asarray(x, np.int64) for x in (author, thread, ts))
    replies = ctx.world.add("reply", ts, ctx.world.market(atype)[author])
    emit(atype, author, "post_reply", "reply", replies, ts)
    emit(atype, author, "reply_to", "thread", thread, ts + rng.integers(US, 20 * US, ts.size))
    return replies


def forum_engagement(ctx: Ctx) -> None:
    """Organic replies, reads, votes, bookmarks, flags and coin awards."""
    rng = ctx.rng("organic", "engagement")
    w, emit, n = ctx.world, ctx.organic, ctx.n
    th = ctx.extra["threads"]
    actor, j, ts = engage(ctx, rng, int(n * 0.045), th)
    replies = post_replies(ctx, emit, rng, actor, th["idx"][j], ts)
    ctx.extra["replies"] = {
        "idx": replies,
        "thread": j,
        "author": actor,
        "created": ts,
        "market": w.market("member")[actor],
        "pop": th["pop"][j] * rng.lognormal(0, 1, j.size) * 0.3,
    }
    rp = ctx.extra["replies"]
    for action, share, pool, ttype, amount in (
        ("read_thread", 0.38, th, "thread", None),
        ("vote_up", 0.16, th, "thread", 1.0),
        ("vote_down", 0.014, th, "thread", -1.0),
        ("bookmark", 0.015, th, "thread", None),
        ("flag_post", 0.003, th, "thread", None),
        ("award_coins", 0.003, th, "thread", "coins"),
        ("vote_up", 0.08, rp, "reply", 1.0),
        ("vote_down", 0.01, rp, "reply", -1.0),
        ("flag_post", 0.001, rp, "reply", None),
        ("award_coins", 0.001, rp, "reply", "coins"),
    ):
        actor, j, ts = engage(ctx, rng, int(n * share), pool)
        value = coins(rng, j.size) if amount == "coins" else amount
        emit("member", actor, action, ttype, pool["idx"][j], ts, value)


def forum_background(ctx: Ctx) -> None:
    """Organic sign-ins, follows, topics, tips, coin purchases and creator withdrawals."""
    rng = ctx.rng("organic", "background")
    w, emit, n = ctx.world, ctx.organic, ctx.n
    for etype, share, kit, action in (
        ("member", 0.085, "browser_fp", "sign_in"),
        ("org", 0.003, "browser_fp", "sign_in"),
        ("member", 0.05, "ip_block", "net_session"),
    ):
        actor, _, ts = ctx.active(rng, etype, int(n * share))
        emit(etype, actor, action, kit, ctx.kit_pick(rng, etype, kit, actor), ts)
    for action, share, ttype, local in (
        ("follow_member", 0.016, "member", 0.8),
        ("follow_member", 0.002, "org", 0.8),
        ("tip_member", 0.0015, "member", 0.8),
        ("join_topic", 0.008, "topic", 0.7),
    ):
        actor, m, ts = ctx.active(rng, "member", int(n * share))
        target = ctx.popular(rng, ttype, m, local)
        ts = ctx.after(rng, ts, w.created(ttype)[target])
        value = coins(rng, actor.size) if action == "tip_member" else None
        emit("member", actor, action, ttype, target, ts, value)
    buyer = pick(rng, ctx.activity["member"] ** 1.5, int(n * 0.003))
    m = w.market("member")[buyer]
    tier = pick(rng, np.array([0.35, 0.3, 0.2, 0.1, 0.05]), buyer.size)
    price = np.round(np.array([1.99, 4.99, 9.99, 24.99, 49.99])[tier] * ctx.price_level[m], 2)
    ts = ctx.after(rng, ctx.rhythm(rng, m), w.created("member")[buyer])
    emit("member", buyer, "buy_coins", "coin_pack", m * 5 + tier, ts, price)
    forum_withdrawals(ctx, rng)


def forum_withdrawals(ctx: Ctx, rng) -> None:
    """Creators (top 15 % by fame) and orgs withdraw earnings now and then."""
    w = ctx.world
    for etype, p in (("member", 0.3), ("org", 0.5)):
        wallet = ctx.kit[(etype, "wallet")][0]
        owners = np.flatnonzero(wallet >= 0)
        grid = rng.random((owners.size, ctx.p.weeks)) < p
        o, week = np.nonzero(grid)
        acct = owners[o]
        m = w.market(etype)[acct]
        lo = ctx.start + week * 7 * DAY
        ts = lo + (rng.random(acct.size) * 7 * DAY).astype(np.int64)
        ts = ctx.after(rng, ts, w.created(etype)[acct])
        amount = np.round(rng.lognormal(np.log(70), 1.0, acct.size) * ctx.price_level[m], 2)
        ctx.organic(etype, acct, "withdraw_earnings", "wallet", wallet[acct], ts, amount)


def forum_organic(ctx: Ctx) -> None:
    forum_population(ctx)
    forum_engagement(ctx)
    forum_background(ctx)


def forum_threads_of(ctx: Ctx, ring: Ring, rng, etype: str, author: int, k: int) -> np.ndarray:
    """Up to k organic threads of an author posted before the ring starts."""
    th = ctx.extra["threads"]
    own = (th["author"] == author) & (th["is_org"] == (etype == "org"))
    own &= th["created"] < ring.lo - HOUR
    return np.sort(top_k(rng, np.flatnonzero(own), th["pop"][own], k))


def victim_thread(ctx: Ctx, ring: Ring, rng, exclude: np.ndarray) -> tuple[int, np.ndarray]:
    """A popular member thread of the ring's market and up to 3 more by the same author."""
    th = ctx.extra["threads"]
    ok = (~th["is_org"]) & (th["market"] == ring.market) & (th["created"] < ring.lo - 2 * HOUR)
    ok &= ~ctx.used["member"][np.where(th["is_org"], 0, th["author"])]
    ok &= ~np.isin(th["author"], exclude)
    c = np.flatnonzero(ok)
    c = c[th["pop"][c] >= np.quantile(th["pop"][c], 0.9)] if c.size > 10 else c
    first = int(top_k(rng, c, th["pop"][c], 1)[0])
    author = int(th["author"][first])
    more = forum_threads_of(ctx, ring, rng, "member", author, 4)
    return author, np.unique(np.r_[first, more])


def f_vote_ring(ctx: Ctx, ring: Ring, rng) -> None:
    """Members upvote each other's threads: everyone, a few peers each, or mutual follows."""
    e, var = ring.emit, ring.variant
    age = {"clique": "aged", "sparse_mesh": "fresh", "mutual_follow": "aged"}[var]
    mem = recruit(ctx, ring, rng, "member", ring.size, age)
    n = mem.size
    author = np.repeat(np.arange(n), rng.integers(1, 4, n))
    post_ts = ctx.ring_times(rng, ring, author.size)
    posts = post_threads(ctx, e, "member", mem[author], post_ts)
    ring.target("thread", posts)
    voter, voted, peers_of = [], [], []
    for i in range(n):
        peers = np.delete(np.arange(n), i)
        if var != "clique":
            peers = rng.choice(peers, min(n - 1, int(rng.integers(3, 7))), replace=False)
        peers_of.append(peers)
        cand = np.flatnonzero(np.isin(author, peers))
        cand = rng.choice(cand, min(cand.size, 30), replace=False)
        voter.append(np.full(cand.size, i))
        voted.append(cand)
    v, p = np.concatenate(voter), np.concatenate(voted)
    when = ctx.react(rng, ring, post_ts[p])
    e("member", mem[v], "vote_up", "thread", posts[p], when, 1.0)
    r = rng.random(v.size) < 0.5
    e("member", mem[v[r]], "read_thread", "thread", posts[p[r]], when[r] - MINUTE)
    if var == "mutual_follow":
        a = np.concatenate([np.full(x.size, i) for i, x in enumerate(peers_of)])
        pairs = np.unique(np.sort(np.c_[a, np.concatenate(peers_of)], axis=1), axis=0)
        src, dst = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
        t = ctx.ring_times(rng, ring, src.size)
        e("member", mem[src], "follow_member", "member", mem[dst], t)
        g = rng.random(v.size) < 0.15
        e("member", mem[v[g]], "award_coins", "thread", posts[p[g]], when[g] + MINUTE, 100.0)


def f_brigade(ctx: Ctx, ring: Ring, rng) -> None:
    """Socks on shared fingerprints and one IP block hit a victim or boost a sponsor."""
    e, var = ring.emit, ring.variant
    sponsor = ctx.take(rng, ring, "member", 1, "mid")
    socks = recruit(ctx, ring, rng, "member", ring.size - 1, "batch")
    n = socks.size
    fps = new_kit(ctx, "browser_fp", max(1, n // int(rng.integers(3, 8))), ring)
    ip = new_kit(ctx, "ip_block", 1, ring)
    ring.target("browser_fp", fps)
    ring.target("ip_block", ip)
    visits = rng.integers(1, 4, n)
    sock = np.repeat(np.arange(n), visits)
    t_visit = ctx.ring_times(rng, ring, sock.size)
    fp = deal(rng, fps, n)[sock]
    e("member", socks[sock], "sign_in", "browser_fp", fp, t_visit - 12 * MINUTE)
    e("member", socks[sock], "net_session", "ip_block", ip[0], t_visit - 11 * MINUTE)
    k_sp = int(rng.integers(2, 5)) if var == "boost_sponsor" else 1
    sp_ts = ring.lo - rng.integers(HOUR, 5 * HOUR, k_sp)
    sp_posts = post_threads(ctx, e, "member", np.repeat(sponsor, k_sp), sp_ts)
    ring.target("thread", sp_posts)
    if var == "boost_sponsor":
        hits, action, value = sp_posts, "vote_up", 1.0
    else:
        _, hits = victim_thread(ctx, ring, rng, sponsor)
        action, value = "vote_down", -1.0
        ring.target("thread", hits)
    t0 = ctx.ring_times(rng, ring, n)
    s = np.repeat(np.arange(n), hits.size)
    tgt = np.tile(hits, n)
    when = t0[s] + rng.integers(MINUTE, 30 * MINUTE, s.size)
    e("member", socks[s], "read_thread", "thread", tgt, when - MINUTE)
    hit = rng.random(s.size) < (0.6 if var == "mass_report" else 0.92)
    e("member", socks[s[hit]], action, "thread", tgt[hit], when[hit], value)
    if var == "mass_report":
        e("member", socks[s], "flag_post", "thread", tgt, when + MINUTE)
    if var != "boost_sponsor":
        e("member", socks, "vote_up", "thread", sp_posts[0], ctx.react(rng, ring, t0), 1.0)
        return
    r = np.flatnonzero(rng.random(n) < 0.6)
    post_replies(ctx, e, rng, socks[r], deal(rng, sp_posts, r.size), t0[r] + 5 * MINUTE)
    g = np.flatnonzero(rng.random(n) < 0.25)
    packs = ring.market * 5 + rng.integers(0, 2, g.size)
    price = np.round(rng.uniform(2, 5, g.size), 2)
    e("member", socks[g], "buy_coins", "coin_pack", packs, t0[g], price)
    awarded = deal(rng, sp_posts, g.size)
    e("member", socks[g], "award_coins", "thread", awarded, t0[g] + 3 * MINUTE, 100.0)


def f_coin_wash(ctx: Ctx, ring: Ring, rng) -> None:
    """Funders move coins to a cash-out member's threads (or tips); it withdraws to a wallet."""
    w, e, var = ctx.world, ring.emit, ring.variant
    cash = recruit(ctx, ring, rng, "member", int(rng.integers(1, 3)), "fresh", hijack=False)
    age = "batch" if var == "two_hop" else "fresh"
    funders = recruit(ctx, ring, rng, "member", ring.size - cash.size, age)
    poster = np.repeat(cash, rng.integers(2, 6, cash.size))
    posted = ring.lo - rng.integers(HOUR, DAY, poster.size)
    posted = np.maximum(posted, ctx.world.created("member")[poster] + HOUR)
    posts = post_threads(ctx, e, "member", poster, posted)
    wallets = w.add("wallet", w.created("member")[cash] + HOUR, ring.market)
    ring.target("thread", posts)
    ring.target("wallet", wallets)
    n_mule = max(1, funders.size // 4) if var == "two_hop" else 0
    mules, payers = funders[:n_mule], funders[n_mule:]
    payer = np.repeat(payers, rng.integers(2, 6, payers.size))
    t = ctx.ring_times(rng, ring, payer.size)
    pack = ring.market * 5 + rng.integers(2, 5, payer.size)
    price = np.round(rng.uniform(20, 100, payer.size), 2)
    e("member", payer, "buy_coins", "coin_pack", pack, t - 5 * MINUTE, price)
    value = np.round(loguniform(rng, 400, 5000, payer.size) / 50) * 50
    if var == "direct_awards":
        post = deal(rng, posts, payer.size)
        e("member", payer, "read_thread", "thread", post, t - MINUTE)
        e("member", payer, "award_coins", "thread", post, t, value)
    elif var == "member_tips":
        first = ctx.ring_times(rng, ring, payers.size) - HOUR
        e("member", payers, "follow_member", "member", deal(rng, cash, payers.size), first)
        e("member", payer, "tip_member", "member", deal(rng, cash, payer.size), t, value)
    else:
        e("member", payer, "tip_member", "member", deal(rng, mules, payer.size), t, value)
        hop = np.repeat(mules, rng.integers(3, 8, mules.size))
        when = ctx.react(rng, ring, ctx.ring_times(rng, ring, hop.size) + HOUR)
        big = np.round(loguniform(rng, 2000, 12000, hop.size) / 100) * 100
        e("member", hop, "award_coins", "thread", deal(rng, posts, hop.size), when, big)
    up = np.flatnonzero(rng.random(payer.size) < 0.4)
    e("member", payer[up], "vote_up", "thread", deal(rng, posts, up.size), t[up] + MINUTE, 1.0)
    who = np.repeat(np.arange(cash.size), rng.integers(2, 7, cash.size))
    when = ctx.react(rng, ring, ctx.ring_times(rng, ring, who.size) + 6 * HOUR)
    paid = np.round(loguniform(rng, 80, 900, who.size) * ctx.price_level[ring.market], 2)
    e("member", cash[who], "withdraw_earnings", "wallet", wallets[who], when, paid)


def f_karma_farm(ctx: Ctx, ring: Ring, rng) -> None:
    """New accounts reply to and upvote each other: a chain, a seed poster, a squatted topic."""
    w, e, var = ctx.world, ring.emit, ring.variant
    mem = recruit(ctx, ring, rng, "member", ring.size, "batch" if var == "topic_squat" else "fresh")
    n = mem.size
    if var == "seed_poster":
        owners = np.zeros(int(rng.integers(1, 3)), np.int64)
    else:
        owners = np.repeat(np.arange(n), rng.integers(1, 3, n))
    post_ts = ctx.ring_times(rng, ring, owners.size) - 2 * HOUR
    posts = post_threads(ctx, e, "member", mem[owners], post_ts)
    ring.target("thread", posts)
    if var == "topic_squat":
        topic = w.add("topic", ring.lo - 3 * DAY, ring.market)
        ring.target("topic", topic)
        e("member", mem, "join_topic", "topic", topic[0], ctx.ring_times(rng, ring, n) - 3 * HOUR)
    k = rng.integers(2, 6, n)
    writer = np.repeat(np.arange(n), k)
    if var == "reply_chain":  # member i answers members i+1 .. i+3
        owner = (writer + position_in_run(k) % 3 + 1) % n
        post = np.array([rng.choice(np.flatnonzero(owners == o)) for o in owner], np.int64)
    else:
        post = rng.integers(0, posts.size, writer.size)
        post = np.where(owners[post] == writer, (post + 1) % posts.size, post)
    ts = np.maximum(ctx.ring_times(rng, ring, writer.size), post_ts[post] + MINUTE)
    replies = post_replies(ctx, e, rng, mem[writer], posts[post], ts)
    voter, rep = rng.integers(0, n, replies.size * 2), np.tile(np.arange(replies.size), 2)
    keep = voter != writer[rep]
    voter, rep = voter[keep], rep[keep]
    e("member", mem[voter], "vote_up", "reply", replies[rep], ctx.react(rng, ring, ts[rep]), 1.0)
    up = rng.random(writer.size) < 0.6
    e("member", mem[writer[up]], "vote_up", "thread", posts[post[up]], ts[up] + 30 * US, 1.0)


def f_astroturf(ctx: Ctx, ring: Ring, rng) -> None:
    """Shills follow and boost a brand org, post testimonials, smear a competitor."""
    e, var = ring.emit, ring.variant
    if var == "competitor_smear":
        brand = ctx.take(rng, ring, "org", 1, "low")
    else:
        age = "fresh" if var == "brand_boost" else "aged"
        brand = recruit(ctx, ring, rng, "org", 1, age, hijack=False)
    k = int(rng.integers(3, 9))
    brand_ts = ctx.ring_times(rng, ring, k) - HOUR
    brand_posts = post_threads(ctx, e, "org", np.repeat(brand, k), brand_ts)
    ring.target("thread", brand_posts)
    age = "aged" if var == "aged_shills" else "fresh"
    shills = recruit(ctx, ring, rng, "member", ring.size - 1, age)
    n = shills.size
    e("member", shills, "follow_member", "org", brand[0], ctx.ring_times(rng, ring, n))
    s, p = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
    seen = rng.random(s.size) < 0.9
    s, p = s[seen], p[seen]
    when = ctx.react(rng, ring, brand_ts[p])
    e("member", shills[s], "read_thread", "thread", brand_posts[p], when - MINUTE)
    vote = rng.random(s.size) < 0.85
    e("member", shills[s[vote]], "vote_up", "thread", brand_posts[p[vote]], when[vote], 1.0)
    r = rng.random(s.size) < 0.2
    post_replies(ctx, e, rng, shills[s[r]], brand_posts[p[r]], when[r] + 2 * MINUTE)
    g = rng.random(s.size) < 0.05
    e("member", shills[s[g]], "award_coins", "thread", brand_posts[p[g]], when[g], 100.0)
    t = np.flatnonzero(rng.random(n) < 0.3)
    if t.size:
        t_ts = ctx.ring_times(rng, ring, t.size)
        testimonials = post_threads(ctx, e, "member", shills[t], t_ts)
        ring.target("thread", testimonials)
        which = np.repeat(np.arange(t.size), rng.integers(3, 7, t.size))
        voter = shills[rng.integers(0, n, which.size)]
        up_ts = ctx.react(rng, ring, t_ts[which])
        e("member", voter, "vote_up", "thread", testimonials[which], up_ts, 1.0)
    if var == "competitor_smear":
        rival = ctx.choose(rng, "org", 1, ring.market, "high")
        rival_posts = forum_threads_of(ctx, ring, rng, "org", int(rival[0]), 4)
        if rival_posts.size:
            ring.target("thread", rival_posts)
            s, q = np.repeat(np.arange(n), rival_posts.size), np.tile(rival_posts, n)
            d = rng.random(s.size) < 0.7
            when = ctx.ring_times(rng, ring, d.sum())
            e("member", shills[s[d]], "vote_down", "thread", q[d], when, -1.0)


def forum_camouflage(ctx: Ctx, emit, rng, etype: str, actor: np.ndarray, ts: np.ndarray):
    """Ring accounts looking normal: reading and upvoting hot threads, topics, follows."""
    th = ctx.extra["threads"]
    m = ctx.world.market(etype)[actor]
    j = pick_local(rng, m, th["market"], th["pop"] ** 1.5, 0.9)
    ts = ctx.after(rng, ts, th["created"][j])
    u = rng.random(actor.size)
    read, up = u < 0.5, (u >= 0.5) & (u < 0.8)
    emit(etype, actor[read], "read_thread", "thread", th["idx"][j[read]], ts[read])
    if etype != "member":
        return
    emit(etype, actor[up], "vote_up", "thread", th["idx"][j[up]], ts[up], 1.0)
    tp, f = (u >= 0.8) & (u < 0.88), u >= 0.88
    topic = ctx.popular(rng, "topic", m[tp], 0.8, sharp=1.5)
    emit(etype, actor[tp], "join_topic", "topic", topic, ts[tp])
    star = ctx.popular(rng, "member", m[f], 0.8, sharp=1.5)
    emit(etype, actor[f], "follow_member", "member", star, ts[f])


# ----------------------------------------------------------------------------- rings


PATTERNS: dict[str, tuple[tuple[str, tuple[str, str, str], Callable], ...]] = {
    "delivery": (
        ("promo_farm", ("farm_code", "invite_chain", "code_hopping"), d_promo_farm),
        ("brushing", ("new_kitchen", "twin_kitchens", "dish_push"), d_brushing),
        ("star_push", ("inflate", "bomb_rival", "chain_inflate"), d_star_push),
        ("ghost_drops", ("refund_loop", "phantom_runs", "rider_pack"), d_ghost_drops),
        ("refund_mill", ("spread", "focused", "card_cycle"), d_refund_mill),
    ),
    "forum": (
        ("vote_ring", ("clique", "sparse_mesh", "mutual_follow"), f_vote_ring),
        ("brigade", ("downvote_victim", "boost_sponsor", "mass_report"), f_brigade),
        ("coin_wash", ("direct_awards", "two_hop", "member_tips"), f_coin_wash),
        ("karma_farm", ("reply_chain", "seed_poster", "topic_squat"), f_karma_farm),
        ("astroturf", ("brand_boost", "competitor_smear", "aged_shills"), f_astroturf),
    ),
}
CAMOUFLAGE_FN = {"delivery": delivery_camouflage, "forum": forum_camouflage}


def plan_ring(ctx: Ctx, rng, rid: int, slow: bool) -> Ring:
    """Pattern, variant, size, market and activity window of ring `rid`."""
    variant_no, pattern_no = divmod(rid, 5)
    pattern, variants, _ = PATTERNS[ctx.p.name][pattern_no]
    shrink = min(1.0, ctx.n / 250_000) ** 0.8
    size = max(4, int(round(loguniform(rng, 5, 80) * shrink)))
    if slow:  # 2-4 weeks on the daily rhythm
        span = int(rng.uniform(14, 28) * DAY)
        lo = ctx.start + DAY + int(rng.random() * (ctx.end - ctx.start - span - 2 * DAY))
        hi, bursts = lo + span, []
    else:  # 1-3 bursts of 1-6 hours, 8-40 hours apart
        t = ctx.start + int(rng.uniform(3, ctx.days - 5) * DAY)
        bursts = []
        for _ in range(int(rng.integers(1, 4))):
            length = int(rng.uniform(1, 6) * HOUR)
            bursts.append((t, t + length))
            t += length + int(rng.uniform(8, 40) * HOUR)
        lo, hi = bursts[0][0], bursts[-1][1]
    emit, camo = Emitter(ctx.events, RING, rid, track=True), Emitter(ctx.events, CAMOUFLAGE, rid)
    pace, market = "slow" if slow else "fast", ctx.market_pick(rng)
    return Ring(rid, pattern, variants[variant_no], pace, size, market, lo, hi, bursts, emit, camo)


def camouflage(ctx: Ctx, ring: Ring) -> None:
    """Each new ring account adds ~half its ring events as activity on popular targets."""
    rng = ctx.rng("camouflage", ring.rid)
    w = ctx.world
    for etype, members, hijacked in ring.members:
        acted = [a for t, a in ring.emit.acts if t == etype]
        if not acted or etype == "kitchen":
            continue
        fresh = members[~hijacked]
        counts = np.bincount(np.concatenate(acted), minlength=w.count(etype))[fresh]
        actor = np.repeat(fresh, rng.poisson(0.5 * counts))
        if actor.size == 0:
            continue
        lo, hi = max(ctx.start, ring.lo - 5 * DAY), min(ctx.end, ring.hi + 5 * DAY)
        ts = ctx.rhythm(rng, w.market(etype)[actor], lo, hi)
        ts = ctx.after(rng, ts, w.created(etype)[actor] + HOUR)
        CAMOUFLAGE_FN[ctx.p.name](ctx, ring.camo, rng, etype, actor, ts)


def make_rings(ctx: Ctx) -> None:
    rng = ctx.rng("rings", "plan")
    slow = set(rng.choice(15, 4 + int(rng.random() < 0.5), replace=False).tolist())
    for rid in range(15):
        ring = plan_ring(ctx, rng, rid, rid in slow)
        PATTERNS[ctx.p.name][rid % 5][2](ctx, ring, ctx.rng("ring", rid))
        camouflage(ctx, ring)
        ctx.rings.append(ring)


# ----------------------------------------------------------------------------- look-alikes


def neg_households(ctx: Ctx, rng, kind: str, acct: str, device: str, action: str) -> None:
    """2-5 people of one home on one phone / browser; some delivery homes share a card."""
    w = ctx.world
    for _ in range(ctx.gcount(30, 3)):
        g, m = ctx.group(kind), ctx.market_pick(rng)
        people = ctx.pick_organic(rng, acct, int(rng.integers(2, 6)), m)
        home = w.created(acct)[people].min()
        dev = w.add(device, home, m)
        g.add(acct, people)
        g.add(device, dev)
        sessions(ctx, g.emit, rng, acct, people, action, device, dev[0], 4, 16)
        if acct != "eater" or rng.random() < 0.5:
            continue
        card = w.add("card", home, m)  # the family card
        g.add("card", card)
        eater = np.repeat(people, rng.integers(1, 5, people.size))
        ts = ctx.after(rng, ctx.rhythm(rng, np.full(eater.size, m)), w.created(acct)[eater])
        kitchen = ctx.extra["favourites"][people[0], rng.integers(0, 3, eater.size)]
        amount = ctx.price(rng, np.full(eater.size, m), 40.0)
        deliver(ctx, g.emit, rng, eater, kitchen, ts, card[0], amount)


def neg_campus(ctx: Ctx, rng, kind: str, acct: str, device: str, action: str) -> None:
    """Dozens to hundreds of students behind one campus network block, busy at night."""
    w = ctx.world
    night = ctx.hours * np.r_[np.full(2, 2.0), np.ones(15), np.full(7, 3.0)]
    for _ in range(ctx.gcount(4)):
        g, m = ctx.group(kind), ctx.market_pick(rng)
        people = ctx.pick_organic(rng, acct, ctx.gsize(rng, 40, 260), m)
        net = w.add(device, ctx.start - 2000 * DAY, m)
        g.add(acct, people)
        g.add(device, net)
        sessions(ctx, g.emit, rng, acct, people, action, device, net[0], 2, 10, hours=night)
        if acct == "member":  # a campus topic some of them join
            topic = ctx.choose(rng, "topic", 1, m, "low")
            g.add("topic", topic)
            joined = people[rng.random(people.size) < 0.4]
            sessions(ctx, g.emit, rng, acct, joined, "join_topic", "topic", topic[0], 1, 1)
            continue
        kitchens = ctx.choose(rng, "kitchen", int(rng.integers(3, 7)), m, "mid")
        g.add("kitchen", kitchens)
        eater = np.repeat(people, rng.integers(1, 4, people.size))
        ts = ctx.after(
            rng, ctx.rhythm(rng, np.full(eater.size, m), hours=night), w.created(acct)[eater]
        )
        card = ctx.kit_pick(rng, "eater", "card", eater)
        amount = ctx.price(rng, np.full(eater.size, m), 14.0)
        kitchen = kitchens[rng.integers(0, kitchens.size, eater.size)]
        deliver(ctx, g.emit, rng, eater, kitchen, ts, card, amount)


def neg_rush_hour(ctx: Ctx, rng) -> None:
    """A match night: hundreds to thousands of baskets at 1-3 popular kitchens in 75 minutes."""
    days = np.arange(2, ctx.days - 1)
    for _ in range(ctx.gcount(2)):
        g, m = ctx.group("rush_hour"), ctx.market_pick(rng)
        kitchens = ctx.choose(rng, "kitchen", int(rng.integers(1, 4)), m, "high")
        eaters = ctx.pick_organic(rng, "eater", ctx.gsize(rng, 300, 2000), m, min_age=1)
        day = int(rng.choice(days[days % 7 >= 4]))  # a Friday or the weekend
        kick_off = ctx.start + day * DAY + 19 * HOUR - ctx.offset[m]
        ts = kick_off + (rng.beta(2, 3, eaters.size) * 75 * MINUTE).astype(np.int64)
        kitchen = kitchens[pick(rng, np.arange(kitchens.size, 0, -1), eaters.size)]
        card = ctx.kit_pick(rng, "eater", "card", eaters)
        amount = ctx.price(rng, np.full(eaters.size, m), 32.0)
        deliver(ctx, g.emit, rng, eaters, kitchen, ts, card, amount, Habits(p_tip=0.35))
        g.add("eater", eaters)
        g.add("kitchen", kitchens)


def neg_loyal_regulars(ctx: Ctx, rng) -> None:
    """Regulars of one neighbourhood kitchen: weekly orders, 4-5 stars, saved."""
    for _ in range(ctx.gcount(10, 2)):
        g, m = ctx.group("loyal_regulars"), ctx.market_pick(rng)
        kitchen = ctx.choose(rng, "kitchen", 1, m, "mid")
        eaters = ctx.pick_organic(rng, "eater", ctx.gsize(rng, 15, 60), m, min_age=60)
        eater = np.repeat(eaters, rng.integers(2, 7, eaters.size))
        ts = ctx.rhythm(rng, np.full(eater.size, m))
        card = ctx.kit_pick(rng, "eater", "card", eater)
        amount, happy = ctx.price(rng, np.full(eater.size, m)), Habits(p_rate=0.5, stars=(4, 5))
        deliver(ctx, g.emit, rng, eater, kitchen[0], ts, card, amount, happy)
        saver = eaters[rng.random(eaters.size) < 0.7]
        sessions(ctx, g.emit, rng, "eater", saver, "save_kitchen", "kitchen", kitchen[0], 1, 1)
        g.add("eater", eaters)
        g.add("kitchen", kitchen)


def neg_hub_shift(ctx: Ctx, rng) -> None:
    """Riders of one hub join the hub Wi-Fi and unlock the app at the same shift start."""
    for _ in range(ctx.gcount(4)):
        g, m = ctx.group("hub_shift"), ctx.market_pick(rng)
        riders = ctx.pick_organic(rng, "rider", ctx.gsize(rng, 15, 60), m, min_age=10)
        hub = ctx.world.add("netblock", ctx.start - 400 * DAY, m)
        kitchens = ctx.choose(rng, "kitchen", int(rng.integers(4, 9)), m, "high")
        r, day, late = np.nonzero(rng.random((riders.size, ctx.days, 2)) < 0.2)
        t = ctx.start + day * DAY + np.where(late, 17, 10) * HOUR - ctx.offset[m]
        t = t + rng.normal(0, 4 * MINUTE, r.size).astype(np.int64)
        rider, run = riders[r], kitchens[rng.integers(0, kitchens.size, r.size)]
        phone = ctx.kit_pick(rng, "rider", "handset", rider)
        g.emit("rider", rider, "wifi_session", "netblock", hub[0], t)
        g.emit("rider", rider, "app_unlock", "handset", phone, jitter(rng, t, 0, 5))
        g.emit("rider", rider, "accept_run", "kitchen", run, jitter(rng, t, 10, 90))
        g.add("rider", riders)
        g.add("netblock", hub)


def neg_office_card(ctx: Ctx, rng) -> None:
    """A team on one corporate card at weekday lunch, and the office manager's team orders."""
    lunch = np.zeros(24)
    lunch[11:13] = (1.0, 1.6)
    weekday = np.arange(ctx.days) % 7 < 5
    for _ in range(ctx.gcount(5)):
        g, m = ctx.group("office_card"), ctx.market_pick(rng)
        team = ctx.pick_organic(rng, "eater", ctx.gsize(rng, 8, 40) + 1, m, min_age=30)
        card = ctx.world.add("card", ctx.start - 300 * DAY, m)
        kitchens = ctx.choose(rng, "kitchen", int(rng.integers(3, 7)), m, "mid")
        who, day = np.nonzero((rng.random((team.size, ctx.days)) < 0.3) & weekday)
        hour = pick(rng, lunch, who.size) + rng.random(who.size)
        ts = ctx.start + day * DAY + (hour * HOUR).astype(np.int64) - ctx.offset[m]
        amount = ctx.price(rng, np.full(who.size, m), 16.0)
        kitchen = kitchens[rng.integers(0, kitchens.size, who.size)]
        deliver(ctx, g.emit, rng, team[who], kitchen, ts, card[0], amount)
        week = np.repeat(np.arange(ctx.p.weeks), rng.integers(2, 4, ctx.p.weeks))
        day = week * 7 + rng.integers(0, 5, week.size)
        ts = jitter(rng, ctx.start + day * DAY + 11 * HOUR - ctx.offset[m], 0, 60)
        big = ctx.price(rng, np.full(week.size, m), 320.0, 0.3)
        kitchen = kitchens[rng.integers(0, kitchens.size, week.size)]
        deliver(ctx, g.emit, rng, np.full(week.size, team[0]), kitchen, ts, card[0], big)
        g.add("eater", team)
        g.add("card", card)


def campaign_crowd(ctx: Ctx, emit, rng, m: int, ts: np.ndarray, new_share: float):
    """Eaters answering a campaign at ts: existing ones, and brand-new ones who sign up
    minutes before, each with their own phone and card. Returns (eaters, cards)."""
    w = ctx.world
    old = ctx.pick_organic(rng, "eater", int(round(ts.size * (1 - new_share))), m, min_age=1)
    new = np.ones(ts.size, bool)
    new[rng.permutation(ts.size)[: old.size]] = False
    eaters, cards = np.empty(ts.size, np.int64), np.empty(ts.size, np.int64)
    eaters[~new], cards[~new] = old, ctx.kit_pick(rng, "eater", "card", old)
    created = jitter(rng, ts[new], -60, -30)
    eaters[new] = w.add("eater", created, m, (rng.random(new.sum()) < 0.1).astype(np.int16))
    cards[new] = w.add("card", created + MINUTE, m)
    phones = w.add("handset", created, m)
    emit("eater", eaters[new], "app_unlock", "handset", phones, jitter(rng, created, 1, 3))
    return eaters, cards


def neg_promo_blast(ctx: Ctx, rng) -> None:
    """A campaign code claimed by thousands within 3 days, 30 % brand-new accounts."""
    for _ in range(ctx.gcount(2)):
        g, m = ctx.group("promo_blast"), ctx.market_pick(rng)
        t0 = ctx.start + int(rng.integers(3, ctx.days - 4)) * DAY
        code = ctx.world.add("promo_code", t0 - DAY, m)
        k = ctx.gsize(rng, 400, 2500)
        ts = ctx.rhythm(rng, np.full(k, m), t0, t0 + 3 * DAY)
        eaters, cards = campaign_crowd(ctx, g.emit, rng, m, ts, 0.3)
        g.emit("eater", eaters, "redeem_promo", "promo_code", code[0], ts - MINUTE)
        kitchen = ctx.popular(rng, "kitchen", np.full(k, m))
        deliver(ctx, g.emit, rng, eaters, kitchen, ts, cards, ctx.price(rng, np.full(k, m), 20.0))
        g.add("eater", eaters)
        g.add("promo_code", code)


def neg_viral_invite(ctx: Ctx, rng) -> None:
    """An influencer's invite code entered by hundreds of followers, 40 % brand-new."""
    for _ in range(ctx.gcount(3)):
        g, m = ctx.group("viral_invite"), ctx.market_pick(rng)
        host = ctx.pick_organic(rng, "eater", 1, m, min_age=100)
        t0 = ctx.start + int(rng.integers(1, ctx.days - 5)) * DAY + 18 * HOUR - ctx.offset[m]
        code = ctx.world.add("invite_code", t0, m)
        g.emit("eater", host, "mint_invite", "invite_code", code[0], np.array([t0]))
        k = ctx.gsize(rng, 80, 600)
        ts = t0 + MINUTE + rng.exponential(20 * HOUR, k).astype(np.int64)
        ts = np.minimum(ts, ctx.end - HOUR)
        eaters, cards = campaign_crowd(ctx, g.emit, rng, m, ts, 0.4)
        g.emit("eater", eaters, "enter_invite", "invite_code", code[0], ts)
        o = rng.random(k) < 0.8
        kitchen = ctx.popular(rng, "kitchen", np.full(o.sum(), m))
        amount = ctx.price(rng, np.full(o.sum(), m))
        deliver(ctx, g.emit, rng, eaters[o], kitchen, ts[o] + 5 * MINUTE, cards[o], amount)
        g.add("eater", np.r_[host, eaters])
        g.add("invite_code", code)


def neg_ama(ctx: Ctx, rng) -> None:
    """An AMA / viral thread: thousands read and upvote within hours, some reply and award."""
    w = ctx.world
    for _ in range(ctx.gcount(3)):
        g, m = ctx.group("ama_thread"), ctx.market_pick(rng)
        host = ctx.pick_organic(rng, "member", 1, m, by="pop", min_age=200)
        t0 = ctx.start + int(rng.integers(2, ctx.days - 3)) * DAY + 17 * HOUR - ctx.offset[m]
        thread = post_threads(ctx, g.emit, "member", host, np.array([t0]))
        fans = ctx.pick_organic(rng, "member", ctx.gsize(rng, 500, 5000), min_age=1)
        ts = t0 + rng.lognormal(np.log(1.5 * HOUR), 1.0, fans.size).astype(np.int64)
        ts = np.minimum(ts, ctx.end - HOUR)
        g.emit("member", fans, "read_thread", "thread", thread[0], jitter(rng, ts, -10, -1))
        up = rng.random(fans.size) < 0.85
        g.emit("member", fans[up], "vote_up", "thread", thread[0], ts[up], 1.0)
        a = rng.random(fans.size) < 0.03
        gift = coins(rng, a.sum())
        g.emit("member", fans[a], "award_coins", "thread", thread[0], ts[a] + MINUTE, gift)
        r = rng.random(fans.size) < 0.12
        replies = post_replies(ctx, g.emit, rng, fans[r], thread[0], ts[r] + MINUTE)
        answered = replies[rng.random(replies.size) < 0.4]
        t = jitter(rng, w.created("reply")[answered], 2, 40)
        post_replies(ctx, g.emit, rng, np.full(t.size, host[0]), thread[0], t)
        g.add("member", np.r_[host, fans])
        g.add("thread", thread)


def neg_niche_community(ctx: Ctx, rng) -> None:
    """A real niche topic: members post all along and upvote each other's threads a lot."""
    w = ctx.world
    for _ in range(ctx.gcount(8, 2)):
        g = ctx.group("niche_community")
        m = ctx.market_pick(rng)
        topic = ctx.choose(rng, "topic", 1, m, "low")
        people = ctx.pick_organic(rng, "member", ctx.gsize(rng, 15, 60), m, min_age=90)
        joined = people[rng.random(people.size) < 0.25]
        sessions(ctx, g.emit, rng, "member", joined, "join_topic", "topic", topic[0], 1, 1)
        author = np.repeat(people, rng.integers(1, 5, people.size))
        post_ts = ctx.after(
            rng, ctx.rhythm(rng, np.full(author.size, m)), w.created("member")[author]
        )
        posts = post_threads(ctx, g.emit, "member", author, post_ts)
        voter = np.repeat(people, posts.size)
        post = np.tile(np.arange(posts.size), people.size)
        keep = (voter != author[post]) & (rng.random(voter.size) < 0.35)
        voter, post = voter[keep], post[keep]
        ts = np.minimum(
            ctx.rhythm_after(rng, np.full(post.size, m), post_ts[post], 3), ctx.end - MINUTE
        )
        g.emit("member", voter, "read_thread", "thread", posts[post], ts - 2 * MINUTE)
        g.emit("member", voter, "vote_up", "thread", posts[post], ts, 1.0)
        r = rng.random(voter.size) < 0.25
        post_replies(ctx, g.emit, rng, voter[r], posts[post[r]], ts[r] + MINUTE)
        g.add("member", people)
        g.add("topic", topic)


def neg_fan_club(ctx: Ctx, rng) -> None:
    """Fans of 1-3 popular posters follow them and upvote their new threads."""
    for _ in range(ctx.gcount(4)):
        g, m = ctx.group("fan_club"), ctx.market_pick(rng)
        stars = ctx.pick_organic(rng, "member", int(rng.integers(1, 4)), m, by="pop", min_age=200)
        fans = ctx.pick_organic(rng, "member", ctx.gsize(rng, 80, 800), m, min_age=1)
        author = np.repeat(stars, rng.integers(3, 9, stars.size))
        post_ts = ctx.rhythm(rng, np.full(author.size, m))
        posts = post_threads(ctx, g.emit, "member", author, post_ts)
        fan, post = np.repeat(fans, posts.size), np.tile(np.arange(posts.size), fans.size)
        keep = rng.random(fan.size) < 0.35
        fan, post = fan[keep], post[keep]
        ts = post_ts[post] + rng.lognormal(np.log(4 * HOUR), 1.2, post.size).astype(np.int64)
        ts = np.minimum(ts, ctx.end - MINUTE)
        g.emit("member", fan, "read_thread", "thread", posts[post], ts - MINUTE)
        g.emit("member", fan, "vote_up", "thread", posts[post], ts, 1.0)
        a = rng.random(fan.size) < 0.03
        gift = coins(rng, a.sum())
        g.emit("member", fan[a], "award_coins", "thread", posts[post[a]], ts[a] + MINUTE, gift)
        follower = fans[rng.random(fans.size) < 0.3]
        followed = stars[rng.integers(0, stars.size, follower.size)]
        sessions(ctx, g.emit, rng, "member", follower, "follow_member", "member", followed, 1, 1)
        g.add("member", np.r_[stars, fans])


def neg_moderators(ctx: Ctx, rng) -> None:
    """Moderators of a topic flag and remove hundreds of posts, and read a lot."""
    th = ctx.extra["threads"]
    for _ in range(ctx.gcount(3)):
        g = ctx.group("moderators")
        m = ctx.market_pick(rng)
        topic = ctx.choose(rng, "topic", 1, m, "high")
        mods = ctx.pick_organic(rng, "member", int(rng.integers(4, 13)), m, min_age=300)
        sessions(ctx, g.emit, rng, "member", mods[:1], "join_topic", "topic", topic[0], 1, 1)
        for action, lo, hi in (
            ("flag_post", 30, 150),
            ("mod_remove", 10, 80),
            ("read_thread", 60, 250),
        ):
            mod = np.repeat(mods, (rng.integers(lo, hi, mods.size) * ctx.heavy).astype(int))
            local = np.flatnonzero(th["market"] == m)
            j = local[rng.integers(0, local.size, mod.size)]
            ts = ctx.after(rng, ctx.rhythm(rng, np.full(mod.size, m)), th["created"][j])
            g.emit("member", mod, action, "thread", th["idx"][j], ts)
        g.add("member", mods)
        g.add("topic", topic)


def neg_power_users(ctx: Ctx, rng) -> None:
    """Very heavy readers and voters spread over popular threads all the time."""
    th = ctx.extra["threads"]
    for _ in range(ctx.gcount(2)):
        g = ctx.group("power_users")
        people = ctx.pick_organic(
            rng, "member", int(rng.integers(8, 26)), by="activity", min_age=100
        )
        who = np.repeat(people, (rng.integers(100, 600, people.size) * ctx.heavy).astype(int))
        m = ctx.world.market("member")[who]
        j = pick_local(rng, m, th["market"], th["pop"], 0.8)
        ts = ctx.after(rng, ctx.rhythm(rng, m), th["created"][j])
        up = rng.random(who.size) < 0.35
        g.emit("member", who[~up], "read_thread", "thread", th["idx"][j[~up]], ts[~up])
        g.emit("member", who[up], "vote_up", "thread", th["idx"][j[up]], ts[up], 1.0)
        g.add("member", people)


def neg_giveaway(ctx: Ctx, rng) -> None:
    """An org awards coins to hundreds of members' recent threads within one day."""
    th = ctx.extra["threads"]
    for _ in range(ctx.gcount(2)):
        g, m = ctx.group("giveaway"), ctx.market_pick(rng)
        org = ctx.pick_organic(rng, "org", 1, m, by="pop")
        t0 = ctx.start + int(rng.integers(7, ctx.days - 1)) * DAY + 15 * HOUR - ctx.offset[m]
        recent = (th["created"] < t0) & (th["created"] > t0 - 7 * DAY)
        ok = np.flatnonzero(~th["is_org"] & (th["market"] == m) & recent)
        j = np.sort(top_k(rng, ok, th["pop"][ok] ** 0.3, ctx.gsize(rng, 100, 500)))
        ts = t0 + (rng.random(j.size) * 20 * HOUR).astype(np.int64)
        g.emit(
            "org", org[0], "buy_coins", "coin_pack", m * 5 + 4, t0 - np.arange(1, 4) * HOUR, 49.99
        )
        g.emit("org", org[0], "read_thread", "thread", th["idx"][j], ts - MINUTE)
        g.emit("org", org[0], "award_coins", "thread", th["idx"][j], ts, 250.0)
        g.add("org", org)
        g.add("member", np.unique(th["author"][j]))


def make_negatives(ctx: Ctx) -> None:
    """The organic look-alike groups, each kind from its own random stream."""
    if ctx.p.name == "delivery":
        kinds = [
            (neg_households, "household_handset", "eater", "handset", "app_unlock"),
            (neg_campus, "campus_netblock", "eater", "netblock", "wifi_session"),
            (neg_rush_hour,),
            (neg_loyal_regulars,),
            (neg_hub_shift,),
            (neg_office_card,),
            (neg_promo_blast,),
            (neg_viral_invite,),
        ]
    else:
        kinds = [
            (neg_households, "household_browser", "member", "browser_fp", "sign_in"),
            (neg_campus, "campus_nat", "member", "ip_block", "net_session"),
            (neg_ama,),
            (neg_niche_community,),
            (neg_fan_club,),
            (neg_moderators,),
            (neg_power_users,),
            (neg_giveaway,),
        ]
    for fn, *args in kinds:
        fn(ctx, ctx.rng("negatives", fn.__name__, *args[:1]), *args)


# ----------------------------------------------------------------------------- output


def display_names(ctx: Ctx, etype: str) -> pl.Series:
    """Names by style: ordinary (person, kitchen, handle, brand), none, or farm-patterned."""
    rng = ctx.rng("names", etype)
    style = ctx.world.style(etype).astype(np.int64)
    n = style.size
    first, second = NAMES[NAME_KIND.get(etype, "brand")]
    a = pl.Series(first).gather(rng.integers(0, len(first), n))
    b = pl.Series(second).gather(rng.integers(0, len(second), n))
    digits = pl.Series(rng.integers(0, 100, n)).cast(pl.String)
    stem = pl.Series(FARM_STEMS).gather(np.maximum(style - 2, 0) % len(FARM_STEMS))
    farm_no = pl.Series(rng.integers(0, 10_000, n)).cast(pl.String).str.zfill(4)
    df = pl.DataFrame({"a": a, "b": b, "d": digits, "stem": stem, "no": farm_no, "style": style})
    kind = NAME_KIND.get(etype, "brand")
    ordinary = {
        "person": pl.concat_str([pl.col("a"), pl.lit(" "), pl.col("b"), pl.lit(".")]),
        "kitchen": pl.concat_str([pl.col("a"), pl.lit(" "), pl.col("b")]),
        "handle": pl.concat_str([pl.col("a"), pl.lit("_"), pl.col("b"), pl.col("d")]),
        "brand": pl.concat_str([pl.col("a"), pl.lit(" "), pl.col("b")]),
    }[kind]
    farm = pl.concat_str([pl.col("stem"), pl.lit("_"), pl.col("no")])
    expr = pl.when(pl.col("style") == 1).then(None).when(pl.col("style") >= 2).then(farm)
    return df.select(expr.otherwise(ordinary).alias("display_name")).to_series()


class Ids:
    """Entity ids: type prefix + number, numbered in creation order within each type."""

    def __init__(self, ctx: Ctx):
        w = ctx.world
        self.prefix = pl.Series([ctx.p.entities[t][0] for t in w.types])
        self.names = pl.Series(w.types)
        ranks, self.base = [], np.zeros(len(w.types), np.int64)
        for i, t in enumerate(w.types):
            order = np.argsort(w.created(t), kind="stable")
            rank = np.empty(order.size, np.int64)
            rank[order] = np.arange(1, order.size + 1)
            self.base[i] = sum(r.size for r in ranks)
            ranks.append(rank)
        self.rank = np.concatenate(ranks)

    def ids(self, codes, idx) -> pl.Series:
        codes, idx = np.asarray(codes, np.int64), np.asarray(idx, np.int64)
        num = pl.Series(self.rank[self.base[codes] + idx]).cast(pl.String).str.zfill(ID_DIGITS)
        return pl.select(pl.concat_str([self.prefix.gather(codes), num])).to_series()

    def frame(self, ctx: Ctx, rows: list[tuple[str, np.ndarray]], **extra) -> pl.DataFrame:
        """entity_type / entity_id rows for (type, indices) pairs, plus constant columns."""
        codes = np.concatenate([np.full(i.size, ctx.world.code[t]) for t, i in rows] or [[]])
        idx = np.concatenate([i for _, i in rows] or [[]]).astype(np.int64)
        df = pl.DataFrame(
            {
                "entity_type": self.names.gather(codes.astype(np.int64)),
                "entity_id": self.ids(codes, idx),
            }
        )
        for name, values in extra.items():
            df = df.with_columns(pl.Series(name, values))
        return df


def final_events(ctx: Ctx) -> dict[str, np.ndarray]:
    """All events with everybody acting after creation, inside the window."""
    ev = ctx.events.arrays()
    w = ctx.world
    rng = ctx.rng("final")
    created = np.zeros(ev["ts"].size, np.int64)
    for t in ctx.p.accounts:
        sel = ev["atype"] == w.code[t]
        created[sel] = w.created(t)[ev["actor"][sel]]
    ev["ts"] = ctx.after(rng, ev["ts"], created)
    keep = (ev["ts"] >= ctx.start) & (ev["ts"] < ctx.end)
    ev = {k: v[keep] for k, v in ev.items()}
    market = np.zeros(ev["ts"].size, np.int64)
    for t in ctx.p.accounts:
        sel = ev["atype"] == w.code[t]
        market[sel] = w.market(t)[ev["actor"][sel]]
    market[rng.random(market.size) < 0.002] = -1  # geo lookup failed
    ev["market"] = market
    return ev


def events_frame(ctx: Ctx, ids: Ids, ev: dict[str, np.ndarray]) -> pl.DataFrame:
    markets = pl.Series([m[0] for m in ctx.p.markets])
    df = pl.DataFrame(
        {
            "actor_id": ids.ids(ev["atype"], ev["actor"]),
            "actor_type": ids.names.gather(ev["atype"].astype(np.int64)),
            "target_id": ids.ids(ev["ttype"], ev["target"]),
            "target_type": ids.names.gather(ev["ttype"].astype(np.int64)),
            "action": pl.Series(list(ctx.p.actions)).gather(ev["action"].astype(np.int64)),
            "ts": pl.Series(ev["ts"]).cast(pl.Datetime("us", "UTC")),
            "amount": pl.Series(ev["amount"], dtype=pl.Float64).fill_nan(None),
            "market": markets.gather(np.maximum(ev["market"], 0)),
            "_null_market": ev["market"] < 0,
        }
    )
    df = df.with_columns(
        pl.when(pl.col("_null_market")).then(None).otherwise(pl.col("market")).alias("market")
    ).drop("_null_market")
    return df.sort(["ts", "actor_id", "action", "target_id"], maintain_order=True)


def entities_frame(ctx: Ctx, ids: Ids, ev: dict[str, np.ndarray], violations) -> pl.DataFrame:
    """Every account seen in the events (as actor or target)."""
    w = ctx.world
    frames = []
    markets = pl.Series([m[0] for m in ctx.p.markets])
    for t in ctx.p.accounts:
        c = w.code[t]
        seen = np.unique(np.r_[ev["actor"][ev["atype"] == c], ev["target"][ev["ttype"] == c]])
        df = ids.frame(ctx, [(t, seen)])
        frames.append(
            df.with_columns(
                pl.Series("created_at", w.created(t)[seen]).cast(pl.Datetime("us", "UTC")),
                markets.gather(w.market(t)[seen].astype(np.int64)).alias("market"),
                display_names(ctx, t).gather(seen).alias("display_name"),
                pl.Series("prior_violations", violations[t][seen], dtype=pl.Int64),
            )
        )
    return pl.concat(frames).sort(["entity_type", "entity_id"])


def prior_violations(ctx: Ctx) -> dict[str, np.ndarray]:
    """~3 % of organic accounts have prior violations; ~12 % of new ring accounts."""
    rng = ctx.rng("violations")
    out = {}
    for t in ctx.p.accounts:
        n = ctx.world.count(t)
        u = rng.random(n)
        v = np.where(u < 0.006, rng.integers(2, 5, n), np.where(u < 0.03, 1, 0))
        out[t] = v.astype(np.int64)
    for ring in ctx.rings:
        for t, idx, hijacked in ring.members:
            fresh = idx[~hijacked]
            hit = rng.random(fresh.size) < 0.12
            out[t][fresh[hit]] = rng.integers(1, 4, hit.sum())
    return out


def label_rows(ctx: Ctx) -> list[tuple[str, np.ndarray, str]]:
    """One confirmed member of every even ring and 20 cleared organic accounts."""
    rng = ctx.rng("labels")
    rows = []
    for ring in ctx.rings[::2]:
        t, idx, _ = max(ring.members, key=lambda m: m[1].size)
        rows.append((t, idx[rng.integers(0, idx.size, 1)], "confirmed"))
    cleared: list[tuple[str, int]] = []
    for g in ctx.groups[:: max(1, len(ctx.groups) // 10)]:
        t, idx = next((t, i) for t, i in g.entities if t in ctx.p.accounts)
        organic = idx[idx < ctx.world.organic[t]]
        if organic.size:
            cleared.append((t, int(organic[rng.integers(0, organic.size)])))
    main = ctx.p.accounts[0]
    cleared += [(main, int(i)) for i in ctx.pick_organic(rng, main, 40, min_age=30)]
    unique = [c for k, c in enumerate(cleared) if c not in cleared[:k] and not ctx.used[c[0]][c[1]]]
    rows += [(t, np.array([i]), "cleared") for t, i in unique[:20]]
    return rows


def vocabulary_toml(p: Platform) -> str:
    lines = ["[vocabulary.actions]"]
    for role in ACTION_ROLES:
        names = [a for a, r in p.actions.items() if r == role]
        if names:
            lines.append(f"{role} = [{', '.join(json.dumps(a) for a in names)}]")
    lines += ["", "[vocabulary.entities]"]
    for role in ENTITY_ROLES:
        names = [t for t, (_, r) in p.entities.items() if r == role]
        if names:
            lines.append(f"{role} = [{', '.join(json.dumps(t) for t in names)}]")
    return "\n".join(lines) + "\n"


def iso(us: int) -> str:
    return datetime.fromtimestamp(int(us) / US, UTC).isoformat().replace("+00:00", "Z")


def table(ctx: Ctx, ids: Ids, rows: list[tuple[str, np.ndarray, dict]], cols: list) -> pl.DataFrame:
    """(entity type, indices, {column: value or per-row values}) rows as one frame."""
    frames = [
        ids.frame(
            ctx, [(t, i)], **{k: np.broadcast_to(np.asarray(v), i.shape) for k, v in x.items()}
        )
        for t, i, x in rows
    ]
    return pl.concat(frames).select(cols).unique(maintain_order=True)


def write_outputs(ctx: Ctx, out: Path) -> dict:
    """Write the eight files; return the counts for the summary line."""
    out.mkdir(parents=True, exist_ok=True)
    ev = final_events(ctx)
    ids = Ids(ctx)
    events = events_frame(ctx, ids, ev)
    events.write_parquet(out / "events.parquet")
    entities = entities_frame(ctx, ids, ev, prior_violations(ctx))
    entities.write_parquet(out / "entities.parquet")
    key = ["entity_type", "entity_id"]
    seen = pl.concat(
        [
            events.select(pl.col("actor_type").alias(key[0]), pl.col("actor_id").alias(key[1])),
            events.select(pl.col("target_type").alias(key[0]), pl.col("target_id").alias(key[1])),
        ]
    ).unique()
    ring_id = pl.col("ring_id").cast(pl.Int64)
    rows = [
        (t, i, {"ring_id": r.rid, "pattern": r.pattern, "hijacked": h})
        for r in ctx.rings
        for t, i, h in r.members
    ]
    truth = table(ctx, ids, rows, [ring_id, "pattern", *key, pl.col("hijacked").cast(pl.Boolean)])
    truth.write_parquet(out / "truth.parquet")
    rows = [(t, i, {"ring_id": r.rid}) for r in ctx.rings for t, i in r.targets]
    targets = table(ctx, ids, rows, [ring_id, *key])
    targets = targets.join(seen, on=key, how="semi", maintain_order="left")
    targets.write_parquet(out / "ring_targets.parquet")
    rows = [(t, i, {"group_id": g.gid, "kind": g.kind}) for g in ctx.groups for t, i in g.entities]
    negatives = table(ctx, ids, rows, ["group_id", "kind", *key])
    ring_side = pl.concat([truth.select(key), targets.select(key)]).unique()
    negatives = negatives.join(ring_side, on=key, how="anti", maintain_order="left")
    negatives = negatives.join(seen, on=key, how="semi", maintain_order="left")
    negatives.write_parquet(out / "negatives.parquet")
    rows = [(t, i, {"label": lab}) for t, i, lab in label_rows(ctx)]
    table(ctx, ids, rows, [*key, "label"]).write_parquet(out / "labels.parquet")
    (out / "vocabulary.toml").write_text(vocabulary_toml(ctx.p))
    counts = summary_counts(ctx, ev, entities, truth, negatives)
    (out / "synth.json").write_text(json.dumps(synth_record(ctx, ev, counts), indent=2) + "\n")
    return counts


def summary_counts(ctx, ev, entities, truth, negatives) -> dict:
    src = np.bincount(ev["source"], minlength=4)
    return {
        "events": int(ev["ts"].size),
        "organic_events": int(src[ORGANIC]),
        "ring_events": int(src[RING]),
        "camouflage_events": int(src[CAMOUFLAGE]),
        "negative_events": int(src[NEGATIVE]),
        "accounts": entities.height,
        "rings": len(ctx.rings),
        "ring_members": truth.height,
        "hijacked_members": int(truth["hijacked"].sum()),
        "negative_groups": negatives["group_id"].n_unique(),
        "negative_entities": negatives.height,
    }


def synth_record(ctx: Ctx, ev: dict[str, np.ndarray], counts: dict) -> dict:
    rings = []
    for r in ctx.rings:
        own = ev["tag"] == r.rid
        rings.append(
            {
                "ring_id": r.rid,
                "pattern": r.pattern,
                "variant": r.variant,
                "pace": r.pace,
                "size": int(sum(i.size for _, i, _ in r.members)),
                "hijacked": int(sum(h.sum() for _, _, h in r.members)),
                "members_by_type": {t: int(i.size) for t, i, _ in r.members},
                "market": ctx.p.markets[r.market][0],
                "window": [iso(r.lo), iso(r.hi)],
                "bursts": [[iso(a), iso(b)] for a, b in r.bursts],
                "ring_events": int((own & (ev["source"] == RING)).sum()),
                "camouflage_events": int((own & (ev["source"] == CAMOUFLAGE)).sum()),
                "targets": int(sum(i.size for _, i in r.targets)),
            }
        )
    per_group = np.bincount(ev["tag"][ev["source"] == NEGATIVE], minlength=len(ctx.groups))
    groups: dict[str, dict[str, int]] = {}
    for i, g in enumerate(ctx.groups):
        kind = groups.setdefault(g.kind, {"groups": 0, "entities": 0, "events": 0})
        kind["groups"] += 1
        kind["entities"] += int(sum(idx.size for _, idx in g.entities))
        kind["events"] += int(per_group[i])
    return {
        "generator": "bench/holdout2_platform.py",
        "settings": {
            "platform": ctx.p.name,
            "organic_events_requested": ctx.n,
            "seed": ctx.seed,
            "start": iso(ctx.start),
            "end": iso(ctx.end),
            "weeks": ctx.p.weeks,
            "markets": [{"code": c, "utc_offset_min": o} for c, o, _, _ in ctx.p.markets],
        },
        "counts": counts,
        "rings": rings,
        "negative_kinds": groups,
    }


def generate(platform: str, n_events: int, seed: int, out: Path) -> dict:
    ctx = Ctx(PLATFORMS[platform], n_events, seed)
    (delivery_organic if platform == "delivery" else forum_organic)(ctx)
    freeze_organic(ctx)
    make_rings(ctx)
    make_negatives(ctx)
    return write_outputs(ctx, out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="output directory")
    ap.add_argument("--platform", choices=sorted(PLATFORMS), required=True)
    ap.add_argument("--events", type=int, default=300_000, help="organic events (approx.)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    c = generate(args.platform, args.events, args.seed, args.out)
    print(
        f"{args.platform}: {c['events']:,} events ({c['ring_events']:,} ring, "
        f"{c['camouflage_events']:,} camouflage, {c['negative_events']:,} negative), "
        f"{c['accounts']:,} accounts, {c['rings']} rings / {c['ring_members']:,} members, "
        f"{c['negative_groups']} negative groups -> {args.out} in {time.perf_counter() - t0:.1f}s"
    )


if __name__ == "__main__":
    main()
