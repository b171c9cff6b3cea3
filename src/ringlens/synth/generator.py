"""A seeded generator of a creator economy with planted abuse rings.

The organic background has what makes ring detection hard in real data:

* **power-law popularity** — creator, content and product popularity follow Zipf-like
  weights, buyer activity a Pareto distribution, so a few hubs get most engagement;
* **niche communities** — creators, buyers and products belong to niches (each niche is
  a market), and 80 % of a buyer's activity stays in its niche: organic dense-ish
  communities that a naive community detector would flag;
* **households** — 2–4 buyers sharing one device, and a few creators sharing a payout
  account with a partner or agency: organic shared attributes.

Planted rings, four patterns:

``mutual_boost``
    creators liking, commenting, sharing and following each other's content in bursts.
``brushing``
    fake buyers placing orders (and reviews) on one seller's products in bursts, from a
    small pool of shared devices; the seller is a member.
``affiliate_fraud``
    fake buyers clicking one creator's affiliate links and ordering the products it
    promotes, in bursts, from shared devices; the creator is a member.
``sock_puppet_farm``
    creator accounts logging in from the same few devices and paying out to the same one
    or two payout accounts.

Each ring may carry **camouflage**: its members also act like normal users
(``camouflage`` × their ring activity, targets chosen uniformly — ``random`` — or by
popularity — ``biased``), and a share of fake buyers are **hijacked** old, legitimate
accounts that keep their organic history.

Everything is vectorised with numpy; a given :class:`SynthConfig` (seed included) always
produces identical files.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ringlens.exceptions import ConfigError

log = logging.getLogger(__name__)

__all__ = ["PATTERNS", "SynthConfig", "SynthData", "generate", "write_synth"]

PATTERNS = ("mutual_boost", "brushing", "affiliate_fraud", "sock_puppet_farm")
MARKETS = ("US", "GB", "ID", "TH", "VN", "MY", "PH", "DE")
_PREFIX = {
    "creator": "cr",
    "buyer": "bu",
    "seller": "se",
    "product": "pr",
    "content": "co",
    "device": "dv",
    "payment": "pa",
}
_ADJ = np.array(
    [
        "sunny",
        "lucky",
        "happy",
        "urban",
        "cosy",
        "bold",
        "quiet",
        "wild",
        "fresh",
        "tiny",
        "royal",
        "swift",
    ]
)
_NOUN = np.array(
    [
        "fox",
        "chef",
        "studio",
        "deals",
        "life",
        "mama",
        "gamer",
        "style",
        "garden",
        "beauty",
        "tech",
        "vibes",
    ]
)


@dataclass(frozen=True)
class SynthConfig:
    """Parameters of a synthetic data set.

    Parameters
    ----------
    n_events
        Approximate number of organic events (planted rings add a few percent).
    rings_per_pattern
        Planted rings of each of the four patterns.
    camouflage
        Camouflage events per ring event for each member (0 = none).
    camouflage_kind
        ``"random"`` (uniform targets) or ``"biased"`` (popularity-weighted targets).
    hijacked_share
        Share of fake buyers that are existing organic accounts.
    days
        Length of the period.
    start
        Start of the period (UTC), ISO date.
    seed
        Seed of the random generator.
    """

    n_events: int = 200_000
    rings_per_pattern: int = 3
    camouflage: float = 0.5
    camouflage_kind: str = "biased"
    hijacked_share: float = 0.2
    days: int = 30
    start: str = "2026-10-01"
    seed: int = 7

    def __post_init__(self) -> None:
        if self.n_events < 1000:
            raise ConfigError(f"synth: n_events must be >= 1000, got {self.n_events}")
        if self.rings_per_pattern < 0:
            raise ConfigError(
                f"synth: rings_per_pattern must be >= 0, got {self.rings_per_pattern}"
            )
        if self.camouflage < 0:
            raise ConfigError(f"synth: camouflage must be >= 0, got {self.camouflage}")
        if self.camouflage_kind not in ("random", "biased"):
            raise ConfigError(
                f"synth: camouflage_kind must be 'random' or 'biased', got {self.camouflage_kind!r}"
            )
        if not 0 <= self.hijacked_share <= 1:
            raise ConfigError(
                f"synth: hijacked_share must be within [0, 1], got {self.hijacked_share}"
            )
        if self.days < 1:
            raise ConfigError(f"synth: days must be >= 1, got {self.days}")
        try:
            datetime.fromisoformat(self.start)
        except ValueError:
            raise ConfigError(
                f"synth: start must be an ISO date like 2026-10-01, got {self.start!r}"
            ) from None


@dataclass
class SynthData:
    """Generated tables: ``events``, ``entities``, ``truth`` (ring_id, pattern, entity_type,
    entity_id, hijacked) and ``labels`` (a few confirmed ring members and cleared accounts)."""

    events: pl.DataFrame
    entities: pl.DataFrame
    truth: pl.DataFrame
    labels: pl.DataFrame
    config: SynthConfig = field(default_factory=SynthConfig)


class _Builder:
    """Accumulates events as integer-coded numpy arrays; ids are assigned at the end."""

    def __init__(self, rng: np.random.Generator, t0: float, span: float) -> None:
        self.rng = rng
        self.t0 = t0
        self.span = span
        self.parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        actor_type: str,
        actor: np.ndarray,
        action: str | np.ndarray,
        target_type: str,
        target: np.ndarray,
        ts: np.ndarray,
        amount: np.ndarray | None = None,
    ) -> None:
        n = len(actor)
        if n == 0:
            return
        self.parts.append(
            {
                "actor_type": np.full(n, actor_type),
                "actor": np.asarray(actor, dtype=np.int64),
                "action": np.full(n, action) if isinstance(action, str) else np.asarray(action),
                "target_type": np.full(n, target_type),
                "target": np.asarray(target, dtype=np.int64),
                "ts": np.asarray(ts, dtype=np.float64),
                "amount": np.full(n, np.nan)
                if amount is None
                else np.asarray(amount, dtype=np.float64),
            }
        )

    def uniform_ts(self, n: int) -> np.ndarray:
        # diurnal: more activity in the evening (hour weights peak around 20:00)
        day = self.rng.integers(0, int(self.span // 86400), n)
        hour_w = 1.0 + np.sin((np.arange(24) - 14) / 24 * 2 * np.pi)
        hour = self.rng.choice(24, size=n, p=hour_w / hour_w.sum())
        sec = self.rng.uniform(0, 3600, n)
        return self.t0 + day * 86400.0 + hour * 3600.0 + sec


def _zipf_weights(n: int, rng: np.random.Generator, a: float = 1.0) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** a
    rng.shuffle(w)
    return w


def _sample_grouped(
    groups_of_draws: np.ndarray,
    item_group: np.ndarray,
    item_weight: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """For each draw, sample an item from the draw's group with probability ∝ weight."""
    order = np.lexsort((np.arange(len(item_group)), item_group))
    g_sorted = item_group[order]
    cum = np.cumsum(item_weight[order])
    n_groups = int(max(item_group.max(), groups_of_draws.max())) + 1
    starts = np.searchsorted(g_sorted, np.arange(n_groups), side="left")
    ends = np.searchsorted(g_sorted, np.arange(n_groups), side="right")
    lo = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    hi = cum[np.maximum(ends - 1, 0)]
    g = groups_of_draws
    empty = ends[g] <= starts[g]
    u = lo[g] + rng.random(len(g)) * (hi[g] - lo[g])
    pos = np.searchsorted(cum, u, side="right")
    pos = np.clip(pos, starts[g], np.maximum(ends[g] - 1, starts[g]))
    out = order[np.minimum(pos, len(order) - 1)]
    if empty.any():  # group without items: fall back to a global draw
        out[empty] = rng.choice(
            len(item_weight), size=int(empty.sum()), p=item_weight / item_weight.sum()
        )
    return out


def _weighted(rng: np.random.Generator, w: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(w), size=n, p=w / w.sum())


def generate(config: SynthConfig | None = None) -> SynthData:
    """Generate a synthetic creator economy with planted rings.

    Examples
    --------
    >>> data = generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=1))
    >>> sorted(data.truth["pattern"].unique().to_list())
    ['affiliate_fraud', 'brushing', 'mutual_boost', 'sock_puppet_farm']
    >>> data.events.columns
    ['actor_id', 'actor_type', 'target_id', 'target_type', 'action', 'ts', 'amount', 'market']
    >>> generate(SynthConfig(n_events=5_000, seed=1)).events.equals(
    ...     generate(SynthConfig(n_events=5_000, seed=1)).events)
    True
    """
    cfg = config or SynthConfig()
    rng = np.random.default_rng(cfg.seed)
    start = datetime.fromisoformat(cfg.start).replace(tzinfo=timezone.utc)
    t0 = start.timestamp()
    span = cfg.days * 86400.0
    b = _Builder(rng, t0, span)
    n = cfg.n_events

    # ---- organic population -------------------------------------------------------
    n_creators = max(100, n // 400)
    n_buyers = max(500, n // 20)
    n_sellers = max(25, n_creators // 4)
    n_products = n_sellers * 6
    n_content = n_creators * 5
    n_niches = max(8, n_creators // 50)

    creator_niche = rng.integers(0, n_niches, n_creators)
    buyer_niche = rng.integers(0, n_niches, n_buyers)
    seller_niche = rng.integers(0, n_niches, n_sellers)
    product_seller = np.sort(rng.integers(0, n_sellers, n_products))
    product_niche = seller_niche[product_seller]
    creator_w = _zipf_weights(n_creators, rng, 1.1)
    product_w = _zipf_weights(n_products, rng, 1.0)
    content_creator = _weighted(rng, creator_w**0.5, n_content)
    content_creator[:n_creators] = np.arange(n_creators)  # every creator posts at least once
    content_niche = creator_niche[content_creator]
    content_w = creator_w[content_creator] * rng.lognormal(0, 0.7, n_content)
    buyer_activity = rng.pareto(1.6, n_buyers) + 1.0

    # sellers list their products; creators post their content
    b.add(
        "seller",
        product_seller,
        "list",
        "product",
        np.arange(n_products),
        t0 - rng.uniform(0, 365 * 86400, n_products),
    )
    b.add(
        "creator", content_creator, "post", "content", np.arange(n_content), b.uniform_ts(n_content)
    )

    # creators promote products in their niche (3 each on average, popular ones more likely)
    n_prom = n_creators * 3
    prom_creator = rng.integers(0, n_creators, n_prom)
    prom_product = _sample_grouped(creator_niche[prom_creator], product_niche, product_w, rng)
    b.add("creator", prom_creator, "promote", "product", prom_product, b.uniform_ts(n_prom))

    # buyer engagement
    n_eng = int(n * 0.78)
    actor = _weighted(rng, buyer_activity, n_eng)
    kinds = np.array(["like", "comment", "share", "follow", "order", "review", "affiliate_click"])
    kind: Any = rng.choice(len(kinds), size=n_eng, p=[0.42, 0.1, 0.05, 0.06, 0.2, 0.06, 0.11])
    in_niche = rng.random(n_eng) < 0.8
    niche = np.where(in_niche, buyer_niche[actor], rng.integers(0, n_niches, n_eng))
    ts = b.uniform_ts(n_eng)
    for k in range(len(kinds)):
        m = kind == k
        a, nn, tt = actor[m], niche[m], ts[m]
        name = str(kinds[k])
        if name in ("like", "comment", "share"):
            b.add(
                "buyer", a, name, "content", _sample_grouped(nn, content_niche, content_w, rng), tt
            )
        elif name in ("follow", "affiliate_click"):
            b.add(
                "buyer", a, name, "creator", _sample_grouped(nn, creator_niche, creator_w, rng), tt
            )
        else:
            tgt = _sample_grouped(nn, product_niche, product_w, rng)
            amt = np.round(rng.lognormal(3.2, 0.9, len(a)), 2) if name == "order" else None
            b.add("buyer", a, name, "product", tgt, tt, amt)

    # creators engage with other creators' content a little
    n_cc = int(n * 0.04)
    cc_actor = _weighted(rng, creator_w**0.3, n_cc)
    cc_target = _sample_grouped(creator_niche[cc_actor], content_niche, content_w, rng)
    b.add(
        "creator",
        cc_actor,
        rng.choice(["like", "comment"], n_cc, p=[0.8, 0.2]),
        "content",
        cc_target,
        b.uniform_ts(n_cc),
    )

    # households share a device; creators have their own device and payout account
    sizes = rng.choice([1, 2, 3, 4], size=n_buyers, p=[0.7, 0.2, 0.07, 0.03])
    household = np.repeat(np.arange(n_buyers), sizes)[:n_buyers]
    n_devices = int(household.max()) + 1
    logins = rng.integers(1, 4, n_buyers)
    la = np.repeat(np.arange(n_buyers), logins)
    b.add("buyer", la, "login", "device", household[la], b.uniform_ts(len(la)))
    creator_device = n_devices + np.arange(n_creators)
    n_devices += n_creators
    cl = np.repeat(np.arange(n_creators), rng.integers(2, 6, n_creators))
    b.add("creator", cl, "login", "device", creator_device[cl], b.uniform_ts(len(cl)))
    creator_payment = np.arange(n_creators)
    # 3 % of creators pay out to a partner's or an agency's account
    shared = rng.random(n_creators) < 0.03
    creator_payment[shared] = rng.integers(0, n_creators, int(shared.sum()))
    n_payments = n_creators
    cp = np.repeat(np.arange(n_creators), rng.integers(1, 4, n_creators))
    b.add("creator", cp, "payout_to", "payment", creator_payment[cp], b.uniform_ts(len(cp)))

    counts = {
        "creator": n_creators,
        "buyer": n_buyers,
        "seller": n_sellers,
        "product": n_products,
        "content": n_content,
        "device": n_devices,
        "payment": n_payments,
    }
    created = {
        "creator": list(t0 - rng.uniform(60, 3 * 365, n_creators) * 86400),
        "buyer": list(t0 - rng.uniform(60, 3 * 365, n_buyers) * 86400),
        "seller": list(t0 - rng.uniform(90, 4 * 365, n_sellers) * 86400),
    }
    # a platform signs up new users all the time: 8 % of organic accounts are < 45 days
    # old (a separate stream, so the rest of the data does not move with this choice)
    age_rng = np.random.default_rng([cfg.seed, 45])
    for kind in created:
        arr = np.asarray(created[kind])
        fresh = age_rng.random(len(arr)) < 0.08
        arr[fresh] = t0 - age_rng.uniform(1, 45, int(fresh.sum())) * 86400
        created[kind] = list(arr)
    market_of = {
        "creator": list(creator_niche % len(MARKETS)),
        "buyer": list(buyer_niche % len(MARKETS)),
        "seller": list(seller_niche % len(MARKETS)),
    }

    def new(kind: str, k: int, *, fresh: bool = True, market: int | None = None) -> np.ndarray:
        ids = np.arange(counts[kind], counts[kind] + k)
        counts[kind] += k
        if kind in created:
            if fresh:
                created[kind].extend(t0 - rng.uniform(1, 45, k) * 86400)
            else:
                created[kind].extend(t0 - rng.uniform(200, 900, k) * 86400)
            mk = rng.integers(0, len(MARKETS), k) if market is None else np.full(k, market)
            market_of[kind].extend(mk)
        return ids

    def bursts(k: int, n_bursts: int, width: float) -> np.ndarray:
        centers = t0 + rng.uniform(0, span - width, n_bursts)
        return centers[rng.integers(0, n_bursts, k)] + rng.uniform(0, width, k)

    used_hijacked: set[int] = set()

    def take_hijacked(k: int) -> np.ndarray:
        """Old organic buyers taken over by a ring; never the same account in two rings."""
        pick = rng.choice(n_buyers, k, replace=False)
        while used_hijacked.intersection(pick.tolist()):  # rare: redraw only on a clash
            pick = rng.choice(n_buyers, k, replace=False)
        used_hijacked.update(pick.tolist())
        return pick

    truth_rows: list[tuple[str, str, str, int, bool]] = []
    ring_events: list[
        tuple[str, np.ndarray, str, int]
    ] = []  # (actor_type, members, ring_id, n ring events)
    ring_no = 0

    def ring_id() -> str:
        nonlocal ring_no
        ring_no += 1
        return f"R{ring_no:03d}"

    for _ in range(cfg.rings_per_pattern):
        # ---- mutual boost ----
        rid = ring_id()
        k = int(rng.integers(8, 17))
        mk = int(rng.integers(0, len(MARKETS)))
        members = new("creator", k, fresh=rng.random() < 0.7, market=mk)
        n_posts = rng.integers(3, 7, k)
        owner = np.repeat(members, n_posts)
        posts = new("content", len(owner))
        b.add("creator", owner, "post", "content", posts, b.uniform_ts(len(owner)))
        ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        ii, jj = ii[ii != jj], jj[ii != jj]
        keep = rng.random(len(ii)) < 0.85
        ii, jj = ii[keep], jj[keep]
        reps = rng.integers(1, 4, len(ii))
        src = np.repeat(members[ii], reps)
        dst_member = np.repeat(jj, reps)
        # pick a random post of the target member
        post_start = np.concatenate([[0], np.cumsum(n_posts)[:-1]])
        post_pick = post_start[dst_member] + (
            rng.random(len(dst_member)) * n_posts[dst_member]
        ).astype(np.int64)
        acts = rng.choice(["like", "comment", "share"], len(src), p=[0.6, 0.25, 0.15])
        b.add(
            "creator",
            src,
            acts,
            "content",
            posts[post_pick],
            bursts(len(src), int(rng.integers(4, 9)), 7200),
        )
        fi, fj = np.meshgrid(members, members, indexing="ij")
        fmask = (fi != fj) & (rng.random(fi.shape) < 0.9)
        b.add(
            "creator", fi[fmask], "follow", "creator", fj[fmask], bursts(int(fmask.sum()), 2, 7200)
        )
        truth_rows += [(rid, "mutual_boost", "creator", int(m), False) for m in members]
        per_member = np.bincount(np.searchsorted(members, src), minlength=k)
        ring_events.append(("creator", members, rid, int(per_member.mean())))

        # ---- brushing ----
        rid = ring_id()
        k = int(rng.integers(15, 36))
        mk = int(rng.integers(0, len(MARKETS)))
        seller = new("seller", 1, fresh=True, market=mk)
        prods = new("product", int(rng.integers(3, 6)))
        b.add(
            "seller",
            np.repeat(seller, len(prods)),
            "list",
            "product",
            prods,
            t0 - rng.uniform(1, 20, len(prods)) * 86400,
        )
        n_hij = int(round(k * cfg.hijacked_share))
        hijacked = take_hijacked(n_hij)
        buyers = np.concatenate([new("buyer", k - n_hij, market=mk), hijacked])
        bi, pj = np.meshgrid(buyers, prods, indexing="ij")
        m = rng.random(bi.shape) < 0.75
        reps = rng.integers(1, 3, int(m.sum()))
        ob, op = np.repeat(bi[m], reps), np.repeat(pj[m], reps)
        ots = bursts(len(ob), int(rng.integers(3, 7)), 3 * 3600)
        b.add(
            "buyer", ob, "order", "product", op, ots, np.round(rng.lognormal(2.3, 0.3, len(ob)), 2)
        )
        r = rng.random(len(ob)) < 0.6
        b.add(
            "buyer",
            ob[r],
            "review",
            "product",
            op[r],
            ots[r] + rng.uniform(600, 7200, int(r.sum())),
        )
        pool = new("device", int(rng.integers(2, 5)))
        dl = np.repeat(buyers, rng.integers(1, 3, k))
        b.add(
            "buyer", dl, "login", "device", rng.choice(pool, len(dl)), bursts(len(dl), 3, 3 * 3600)
        )
        truth_rows += [(rid, "brushing", "seller", int(seller[0]), False)]
        truth_rows += [
            (rid, "brushing", "buyer", int(x), bool(i >= k - n_hij)) for i, x in enumerate(buyers)
        ]
        ring_events.append(("buyer", buyers, rid, int(len(ob) * 1.6 / k)))

        # ---- affiliate fraud ----
        rid = ring_id()
        k = int(rng.integers(15, 36))
        mk = int(rng.integers(0, len(MARKETS)))
        creator = new("creator", 1, fresh=True, market=mk)
        cposts = new("content", int(rng.integers(3, 7)))
        b.add(
            "creator",
            np.repeat(creator, len(cposts)),
            "post",
            "content",
            cposts,
            b.uniform_ts(len(cposts)),
        )
        cprods = _weighted(rng, product_w, int(rng.integers(3, 6)))
        b.add(
            "creator",
            np.repeat(creator, len(cprods)),
            "promote",
            "product",
            cprods,
            b.uniform_ts(len(cprods)),
        )
        n_hij = int(round(k * cfg.hijacked_share))
        hijacked = take_hijacked(n_hij)
        buyers = np.concatenate([new("buyer", k - n_hij, market=mk), hijacked])
        clicks = np.repeat(buyers, rng.integers(2, 5, k))
        cts = bursts(len(clicks), int(rng.integers(3, 7)), 3 * 3600)
        b.add("buyer", clicks, "affiliate_click", "creator", np.repeat(creator, len(clicks)), cts)
        ob = np.repeat(buyers, rng.integers(1, 4, k))
        b.add(
            "buyer",
            ob,
            "order",
            "product",
            rng.choice(cprods, len(ob)),
            bursts(len(ob), int(rng.integers(3, 7)), 3 * 3600),
            np.round(rng.lognormal(3.0, 0.4, len(ob)), 2),
        )
        pool = new("device", int(rng.integers(2, 5)))
        dl = np.repeat(buyers, rng.integers(1, 3, k))
        b.add(
            "buyer", dl, "login", "device", rng.choice(pool, len(dl)), bursts(len(dl), 3, 3 * 3600)
        )
        truth_rows += [(rid, "affiliate_fraud", "creator", int(creator[0]), False)]
        truth_rows += [
            (rid, "affiliate_fraud", "buyer", int(x), bool(i >= k - n_hij))
            for i, x in enumerate(buyers)
        ]
        ring_events.append(("buyer", buyers, rid, int((len(clicks) + len(ob)) * 1.5 / k)))

        # ---- sock-puppet farm ----
        rid = ring_id()
        k = int(rng.integers(6, 15))
        mk = int(rng.integers(0, len(MARKETS)))
        members = new("creator", k, fresh=True, market=mk)
        devs = new("device", int(rng.integers(1, 4)))
        pays = new("payment", int(rng.integers(1, 3)))
        mi, dj = np.meshgrid(members, devs, indexing="ij")
        m = rng.random(mi.shape) < 0.85
        lg = rng.integers(1, 4, int(m.sum()))
        b.add(
            "creator",
            np.repeat(mi[m], lg),
            "login",
            "device",
            np.repeat(dj[m], lg),
            b.uniform_ts(int(lg.sum())),
        )
        pm = np.repeat(members, rng.integers(1, 4, k))
        b.add(
            "creator", pm, "payout_to", "payment", rng.choice(pays, len(pm)), b.uniform_ts(len(pm))
        )
        n_posts = rng.integers(2, 6, k)
        owner = np.repeat(members, n_posts)
        posts = new("content", len(owner))
        b.add("creator", owner, "post", "content", posts, b.uniform_ts(len(owner)))
        farm_prods = _weighted(rng, product_w, int(rng.integers(2, 5)))
        pr = np.repeat(members, rng.integers(1, 4, k))
        b.add(
            "creator",
            pr,
            "promote",
            "product",
            rng.choice(farm_prods, len(pr)),
            b.uniform_ts(len(pr)),
        )
        lk = rng.integers(0, len(owner), k * 3)
        lk_actor = rng.choice(members, k * 3)
        b.add("creator", lk_actor, "like", "content", posts[lk], bursts(k * 3, 3, 3600))
        truth_rows += [(rid, "sock_puppet_farm", "creator", int(m_), False) for m_ in members]
        ring_events.append(
            ("creator", members, rid, int((lg.sum() + len(pm) + len(owner) + len(pr)) / k))
        )

    # ---- camouflage: ring members also act like normal users --------------------------
    if cfg.camouflage > 0:
        for actor_type, members, _rid, per in ring_events:
            n_c = int(round(cfg.camouflage * per)) * len(members)
            if n_c == 0:
                continue
            a = np.repeat(members, n_c // len(members))
            if actor_type == "buyer":
                kinds_c = rng.choice(["like", "order", "follow"], len(a), p=[0.5, 0.35, 0.15])
            else:
                kinds_c = rng.choice(["like", "comment", "follow"], len(a), p=[0.6, 0.2, 0.2])
            for kc in np.unique(kinds_c):
                m = kinds_c == kc
                if kc in ("like", "comment"):
                    w = content_w if cfg.camouflage_kind == "biased" else np.ones(n_content)
                    b.add(
                        actor_type,
                        a[m],
                        str(kc),
                        "content",
                        _weighted(rng, w, int(m.sum())),
                        b.uniform_ts(int(m.sum())),
                    )
                elif kc == "follow":
                    w = creator_w if cfg.camouflage_kind == "biased" else np.ones(n_creators)
                    b.add(
                        actor_type,
                        a[m],
                        "follow",
                        "creator",
                        _weighted(rng, w, int(m.sum())),
                        b.uniform_ts(int(m.sum())),
                    )
                else:
                    w = product_w if cfg.camouflage_kind == "biased" else np.ones(n_products)
                    b.add(
                        actor_type,
                        a[m],
                        "order",
                        "product",
                        _weighted(rng, w, int(m.sum())),
                        b.uniform_ts(int(m.sum())),
                        np.round(rng.lognormal(3.2, 0.9, int(m.sum())), 2),
                    )

    # ---- ids: a random permutation per type, so an id says nothing about a ring -----------
    perms = {kind: rng.permutation(c) for kind, c in counts.items()}
    width = {kind: max(5, len(str(c))) for kind, c in counts.items()}

    def to_ids(kind_arr: np.ndarray, idx: np.ndarray) -> np.ndarray:
        out = np.empty(len(idx), dtype=object)
        for kind in np.unique(kind_arr):
            m = kind_arr == kind
            num = perms[str(kind)][idx[m]]
            out[m] = np.char.add(
                _PREFIX[str(kind)], np.char.zfill(num.astype(str), width[str(kind)])
            )
        return out

    cat = {k: np.concatenate([p[k] for p in b.parts]) for k in b.parts[0]}
    ts_us = (cat["ts"] * 1e6).astype(np.int64)
    actor_market = np.full(len(cat["actor"]), -1)
    for kind in ("creator", "buyer", "seller"):
        m = cat["actor_type"] == kind
        actor_market[m] = np.asarray(market_of[kind])[cat["actor"][m]]
    events = pl.DataFrame(
        {
            "actor_id": to_ids(cat["actor_type"], cat["actor"]).astype(str),
            "actor_type": cat["actor_type"].astype(str),
            "target_id": to_ids(cat["target_type"], cat["target"]).astype(str),
            "target_type": cat["target_type"].astype(str),
            "action": cat["action"].astype(str),
            "ts": pl.Series(ts_us).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            "amount": pl.Series(cat["amount"]).fill_nan(None),
            "market": pl.Series(actor_market).replace_strict(
                dict(enumerate(MARKETS)), default=None, return_dtype=pl.String
            ),
        }
    ).sort("ts", "actor_type", "actor_id", "action", "target_type", "target_id")

    ent_parts = []
    for kind in ("creator", "buyer", "seller"):
        c = counts[kind]
        idx = np.arange(c)
        names = np.char.add(
            np.char.add(_ADJ[rng.integers(0, len(_ADJ), c)], "_"),
            _NOUN[rng.integers(0, len(_NOUN), c)],
        )
        names = np.char.add(names, rng.integers(1, 999, c).astype(str))
        ent_parts.append(
            pl.DataFrame(
                {
                    "entity_type": np.full(c, kind),
                    "entity_id": to_ids(np.full(c, kind), idx).astype(str),
                    "created_at": pl.Series((np.asarray(created[kind]) * 1e6).astype(np.int64))
                    .cast(pl.Datetime("us"))
                    .dt.replace_time_zone("UTC"),
                    "market": [MARKETS[int(x)] for x in market_of[kind]],
                    "display_name": names.astype(str),
                    "prior_violations": rng.poisson(0.05, c).astype(np.int64),
                }
            )
        )
    entities = pl.concat(ent_parts).sort("entity_type", "entity_id")
    tr = pl.DataFrame(
        truth_rows,
        schema={
            "ring_id": pl.String,
            "pattern": pl.String,
            "entity_type": pl.String,
            "_idx": pl.Int64,
            "hijacked": pl.Boolean,
        },
        orient="row",
    )
    truth = (
        tr.with_columns(
            pl.Series(
                "entity_id",
                to_ids(tr["entity_type"].to_numpy(), tr["_idx"].to_numpy()).astype(str),
                dtype=pl.String,
            )
        )
        .select("ring_id", "pattern", "entity_type", "entity_id", "hijacked")
        .sort("ring_id", "entity_type", "entity_id")
    )
    # labels: one confirmed member in every other ring, and some cleared organic accounts
    firsts = truth.filter(~pl.col("hijacked")).group_by("ring_id", maintain_order=True).first()
    confirmed = firsts.gather_every(2).select(
        "entity_type", "entity_id", pl.lit("confirmed").alias("label")
    )
    organic = entities.join(
        truth.select("entity_type", "entity_id"), on=["entity_type", "entity_id"], how="anti"
    )
    cleared = organic.sample(n=min(20, organic.height), seed=cfg.seed).select(
        "entity_type", "entity_id", pl.lit("cleared").alias("label")
    )
    labels = pl.concat([confirmed, cleared]).sort("entity_type", "entity_id")
    log.info(
        "synth: %d events, %d entities, %d planted rings", events.height, entities.height, ring_no
    )
    return SynthData(events=events, entities=entities, truth=truth, labels=labels, config=cfg)


def write_synth(
    data: SynthData, out_dir: str | os.PathLike[str], *, fmt: str = "parquet"
) -> dict[str, Path]:
    """Write ``events``, ``entities``, ``truth`` and ``labels`` (+ ``synth.json``) into ``out_dir``.

    ``fmt`` is ``parquet``, ``csv`` or ``ndjson`` for the events; the other tables are Parquet.
    Files are written to a temporary name and renamed, so a crash never leaves half a file.
    """
    import json

    if fmt not in ("parquet", "csv", "ndjson"):
        raise ConfigError(f"synth: format must be parquet, csv or ndjson, got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}

    def atomic(path: Path, write) -> None:  # type: ignore[no-untyped-def]
        tmp = path.with_name(f".{path.name}.tmp")
        write(tmp)
        os.replace(tmp, path)
        paths[path.stem] = path

    ev_path = out / f"events.{fmt}"
    if fmt == "parquet":
        atomic(ev_path, lambda p: data.events.write_parquet(p, compression="zstd", statistics=True))
    elif fmt == "csv":
        atomic(ev_path, lambda p: data.events.write_csv(p))
    else:
        atomic(ev_path, lambda p: data.events.write_ndjson(p))
    for name in ("entities", "truth", "labels"):
        frame = getattr(data, name)
        atomic(out / f"{name}.parquet", lambda p, f=frame: f.write_parquet(p, compression="zstd"))
    info = {
        "generator": "ringlens.synth",
        "config": asdict(data.config),
        "events": data.events.height,
    }
    atomic(
        out / "synth.json",
        lambda p: p.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n"),
    )
    return paths


_ = timedelta  # re-exported type used in docs
