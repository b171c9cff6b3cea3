"""Rings on platforms ringlens was not written for, through ``ringlens score`` with no vocabulary.

Each case is a small platform with its own words (no ``ringlens.toml``, nothing mapped),
an organic background drawn from heavy-tailed activity and popularity over three to six
weeks of diurnal times, and one planted ring whose accounts are the truth:

* ``c1_follow``: ``profile -subscribe-> profile`` (20,000 profiles, ~100,000 follows); a
  follower farm of 40 new profiles follows all 10 clients (mid-popularity profiles) within
  six days, each other (every pair) just before, and a few popular profiles as cover.
* ``c1b_follow_noinner``: the same farm without the inner follows, each client followed
  with probability 0.8 over three weeks, ten cover follows each.
* ``c2_int_german``: a German marketplace with int64 ids that overlap across types
  (``kunde -ansehen/kaufen/bewerten-> artikel``, ``verkaeufer -anbieten-> artikel``,
  amounts); 15 new kunden view, buy and rate 5 stars the 8 fresh articles of one new
  seller (density 0.85) over two weeks, and browse a dozen popular articles.
* ``c3_video_boost``: ``user -watch/repost/upload-> clip``; 20 existing users watch 70% of
  a new creator's 30 clips hours to days after each upload (half of them reposted), no
  bursts.
* ``c4_money_cycle`` / ``c4_money_mesh``: ``wallet -tip/transfer-> wallet`` with amounts;
  8 wallets pass about 1,000 around a cycle (or along a random 35% of their pairs) once a
  day for a month, among 120,000 organic tips and transfers between neighbours.
* ``c5_clickfarm``: ``visitor -impression/ad_click-> ad``; 25 new visitors see and click
  10 of the same 40 ads within five minutes, every six hours for two weeks.
* ``c6_markets_dense`` / ``c6_markets_sparse``: lodging in six markets (``guest
  -book/rate-> listing`` with amounts and 1-10 ratings, ``host -manage-> listing``,
  ``market``); 12 existing guests of the smallest market (PT) book and rate 10/10 the 15
  listings of one host with density 0.5 (or 0.3) over four weeks.
* ``c8_sockpuppets``: ``member -sign_in-> handset``, ``member -withdraw_to-> iban``,
  ``member -upvote/answer-> thread`` and no entities table; households of one to four
  members share one or two handsets (60% of members also have their own), a quarter of
  the members withdraw to their own iban (a tenth to a partner's); 30 new members, first
  seen a third into the window, sign in on 3 handsets, withdraw to 2 ibans and upvote or
  answer popular threads.
* ``c9_referral_plain`` / ``c9_referral_withdevice``: grocery delivery (``shopper
  -checkout-> store_item`` with amounts, ``shopper -apply_code-> promo_code``), 30 public
  campaign codes and 4,000 personal referral codes used by one to three friends each; 40
  new shoppers apply one referrer's code and make one small checkout each over ten days
  (``withdevice``: every shopper opens the app on a phone, the 40 on 3 shared phones).
* ``c10_pod``: ``account -publish/heart/remark-> photo``; an engagement pod of 20
  accounts: 25 times over three weeks 8 of them heart (and 60% remark on) one member's
  new photo within ten minutes of its publishing, among organic hearts on the same photos.

Every case is generated from its own seeded generator (``--seed``), written to
``OUT/<case>/data/events.parquet`` and scored in a fresh process, default settings
(``python -m ringlens -q score DATA --out OUT/<case>/run --no-views``, ``RINGLENS_*``
variables removed, run from an empty folder so that no ``ringlens.toml`` is read). The
reported rings (``rings.parquet``, by risk) are compared with the planted accounts by id
(the part of a member key after the first ``:``): ``found`` when the best one holds at
least half of them (Jaccard at least 0.5, as ``ringlens eval`` counts ring recall), with
that ring's Jaccard, pattern, risk and rank; ``organic rings`` the rings with no planted
member (the background is organic: each is a false ring).

    .venv/bin/python bench/unseen_shapes.py [--out /tmp/unseen] [--seed 5]
        [--cases c4_money_cycle c10_pod] [--json rows.json]

Prints a Markdown table and ``found N of M cases; organic rings: K``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

DAY = 86_400
#: the window's first day (epoch seconds)
T0 = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
Case = tuple[pl.DataFrame, set[str]]


# --------------------------------------------------------------------------- helpers


def powerlaw_choice(rng: np.random.Generator, n_items: int, size: int, alpha: float) -> np.ndarray:
    """``size`` draws of ``0..n_items-1`` by a Zipf law of exponent ``alpha`` over a random
    ranking of the items (a new ranking at every call)."""
    w = 1.0 / np.arange(1, n_items + 1) ** alpha
    w /= w.sum()
    return rng.permutation(n_items)[rng.choice(n_items, size=size, p=w)]


def organic_times(
    rng: np.random.Generator, size: int, *, start: int = T0, days: int = 28
) -> np.ndarray:
    """Diurnal times (epoch seconds) over ``days`` days from ``start``, peaking in the evening."""
    day = rng.integers(0, days, size)
    hour = np.clip(rng.normal(19, 4, size), 0, 23.999)
    return start + (day * DAY + hour * 3600 + rng.uniform(0, 60, size)).astype(np.int64)


def frame(
    actor: Any,
    actor_type: str | np.ndarray,
    target: Any,
    target_type: str | np.ndarray,
    action: str | np.ndarray,
    ts: Any,
    amount: Any = None,
    market: Any = None,
) -> pl.DataFrame:
    """A part of a case's events: arrays or scalars (broadcast), ``ts`` in epoch seconds."""
    cols = {
        "actor_id": actor,
        "actor_type": actor_type,
        "target_id": target,
        "target_type": target_type,
        "action": action,
        "ts": ts,
        "amount": amount,
        "market": market,
    }
    arrays = {k: v for k, v in cols.items() if isinstance(v, np.ndarray | pl.Series | list)}
    lits = {k: pl.lit(v) for k, v in cols.items() if k not in arrays}
    out = pl.DataFrame(arrays).with_columns(**lits).select(list(cols))
    return out.cast({"ts": pl.Int64, "amount": pl.Float64, "market": pl.String})


def finish(parts: list[pl.DataFrame], *, prefix: tuple[str, str] | None = None) -> pl.DataFrame:
    """Concatenate a case's parts: ids as ``prefix + number`` (or kept as they are), times
    as UTC datetimes, sorted by time; ``amount`` and ``market`` only where some are set."""
    ev = pl.concat(parts, how="vertical_relaxed")
    if prefix is not None:
        ev = ev.with_columns(
            pl.format(f"{prefix[0]}{{}}", "actor_id").alias("actor_id"),
            pl.format(f"{prefix[1]}{{}}", "target_id").alias("target_id"),
        )
    ev = ev.with_columns(pl.from_epoch("ts", "s").dt.replace_time_zone("UTC")).sort("ts")
    return ev.drop([c for c in ("amount", "market") if ev[c].null_count() == ev.height])


# --------------------------------------------------------------------------- the cases


def follow_farm(rng: np.random.Generator, *, inner: bool) -> Case:
    """``profile -subscribe-> profile``: a follower farm selling follows to 10 clients."""
    n_users, n_ev = 20_000, 120_000
    organic = (
        pl.DataFrame(
            {
                "a": powerlaw_choice(rng, n_users, n_ev, 0.8),
                "t": powerlaw_choice(rng, n_users, n_ev, 1.05),
                "ts": organic_times(rng, n_ev, days=35),
            }
        )
        .filter(pl.col("a") != pl.col("t"))
        .unique(["a", "t"], keep="first", maintain_order=True)
    )
    farm = np.arange(n_users, n_users + 40)
    clients = rng.choice(np.arange(200, 3000), 10, replace=False)
    t_farm = T0 + 19 * DAY
    pairs_a, pairs_t = np.repeat(farm, clients.size), np.tile(clients, farm.size)
    if inner:  # every client within six days, every other farm profile just before
        ts = t_farm + rng.integers(0, 6 * DAY, pairs_a.size)
        ia, it = np.repeat(farm, farm.size), np.tile(farm, farm.size)
        keep = ia != it
        pairs_a = np.concatenate([pairs_a, ia[keep]])
        pairs_t = np.concatenate([pairs_t, it[keep]])
        ts = np.concatenate([ts, t_farm - 3 * DAY + rng.integers(0, 3 * DAY, keep.sum())])
        n_cover = 5
    else:  # 80% of the clients over three weeks, no inner follows
        keep = rng.random(pairs_a.size) < 0.8
        pairs_a, pairs_t = pairs_a[keep], pairs_t[keep]
        ts = t_farm - 10 * DAY + rng.integers(0, 21 * DAY, pairs_a.size)
        n_cover = 10
    # cover: a few popular profiles each, as organic followers pick them
    cover_t = rng.choice(organic["t"].to_numpy(), farm.size * n_cover)
    cover_ts = t_farm + rng.integers(-10 * DAY, 10 * DAY, cover_t.size)
    parts = [
        frame(organic["a"], "profile", organic["t"], "profile", "subscribe", organic["ts"]),
        frame(pairs_a, "profile", pairs_t, "profile", "subscribe", ts),
        frame(np.repeat(farm, n_cover), "profile", cover_t, "profile", "subscribe", cover_ts),
    ]
    return finish(parts, prefix=("u", "u")), {f"u{x}" for x in farm}


def int_german(rng: np.random.Generator) -> Case:
    """A German marketplace with int64 ids overlapping across types; a brushing ring."""
    n_kunden, n_artikel, n_verkaeufer = 15_000, 5_000, 400
    parts = [
        frame(
            rng.integers(1, n_verkaeufer + 1, n_artikel),
            "verkaeufer",
            np.arange(1, n_artikel + 1),
            "artikel",
            "anbieten",
            T0 - rng.integers(1, 60 * DAY, n_artikel),
        )
    ]
    stars = rng.choice([1, 2, 3, 4, 5], 9_000, p=[0.08, 0.05, 0.1, 0.27, 0.5]).astype(float)
    for action, n, amount in (
        ("ansehen", 90_000, None),
        ("kaufen", 25_000, np.round(rng.lognormal(3, 1, 25_000), 2)),
        ("bewerten", 9_000, stars),
    ):
        kunde = powerlaw_choice(rng, n_kunden, n, 0.7) + 1
        artikel = powerlaw_choice(rng, n_artikel, n, 1.0) + 1
        ts = organic_times(rng, n, days=35)
        parts.append(frame(kunde, "kunde", artikel, "artikel", action, ts, amount))
    seller, arts = n_verkaeufer + 1, np.arange(n_artikel + 1, n_artikel + 9)
    parts.append(frame(seller, "verkaeufer", arts, "artikel", "anbieten", T0 + 5 * DAY))
    ring = np.arange(n_kunden + 1, n_kunden + 16)
    k, a = np.repeat(ring, arts.size), np.tile(arts, ring.size)
    keep = rng.random(k.size) < 0.85
    k, a = k[keep], a[keep]
    t = T0 + 7 * DAY + rng.integers(0, 14 * DAY, k.size)
    price = np.round(rng.uniform(15, 40, k.size), 2)
    parts += [
        frame(k, "kunde", a, "artikel", "ansehen", t - 60),
        frame(k, "kunde", a, "artikel", "kaufen", t, price),
        frame(k, "kunde", a, "artikel", "bewerten", t + rng.integers(DAY, 3 * DAY, k.size), 5.0),
    ]
    # cover: a dozen popular articles viewed by each
    viewed = parts[1]["target_id"].to_numpy()
    cover = rng.choice(viewed, ring.size * 12)
    cover_ts = T0 + rng.integers(0, 35 * DAY, cover.size)
    parts.append(frame(np.repeat(ring, 12), "kunde", cover, "artikel", "ansehen", cover_ts))
    ev = finish([p.cast({"actor_id": pl.Int64, "target_id": pl.Int64}) for p in parts])
    return ev, {str(x) for x in ring}


def video_boost(rng: np.random.Generator) -> Case:
    """``user -watch/repost/upload-> clip``: 20 users boost a new creator's 30 clips."""
    n_users, n_creators, n_clips = 30_000, 2_000, 40_000
    creators = rng.choice(n_users, n_creators, replace=False)
    owner = creators[powerlaw_choice(rng, n_creators, n_clips, 0.9)]
    up_ts = T0 - 20 * DAY + rng.integers(0, 40 * DAY, n_clips)
    parts = [frame(owner, "user", np.arange(n_clips), "clip", "upload", up_ts)]
    for action, n in (("watch", 130_000), ("repost", 22_000)):
        user = powerlaw_choice(rng, n_users, n, 0.7)
        clip = powerlaw_choice(rng, n_clips, n, 1.05)
        parts.append(frame(user, "user", clip, "clip", action, organic_times(rng, n, days=28)))
    ring = rng.choice(n_users, 20, replace=False)
    boss, clips = n_users + 7, np.arange(n_clips, n_clips + 30)
    uploaded = T0 + np.sort(rng.integers(0, 21 * DAY, clips.size))
    parts.append(frame(boss, "user", clips, "clip", "upload", uploaded))
    u, c = np.repeat(ring, clips.size), np.tile(np.arange(clips.size), ring.size)
    keep = rng.random(u.size) < 0.7
    u, c = u[keep], c[keep]
    t = uploaded[c] + rng.integers(3600, 4 * DAY, u.size)  # within days, not in bursts
    rep = rng.random(u.size) < 0.5
    parts += [
        frame(u, "user", clips[c], "clip", "watch", t),
        frame(
            u[rep],
            "user",
            clips[c][rep],
            "clip",
            "repost",
            t[rep] + rng.integers(60, 7200, rep.sum()),
        ),
    ]
    return finish(parts, prefix=("usr_", "clip_")), {f"usr_{x}" for x in ring}


def money(rng: np.random.Generator, *, mode: str) -> Case:
    """``wallet -tip/transfer-> wallet``: 8 wallets move money around a cycle or a mesh."""
    n_wallets, n_tip, n_transfer = 20_000, 80_000, 40_000
    parts = [
        frame(
            powerlaw_choice(rng, n_wallets, n_tip, 0.8),
            "wallet",
            powerlaw_choice(rng, n_wallets, n_tip, 1.2),
            "wallet",
            "tip",
            organic_times(rng, n_tip, days=28),
            np.round(rng.lognormal(1.2, 0.8, n_tip), 2),
        )
    ]
    # transfers among friends: partners near in id space
    a = powerlaw_choice(rng, n_wallets, n_transfer, 0.6)
    t = (a + rng.integers(-30, 30, n_transfer)) % n_wallets
    ts = organic_times(rng, n_transfer, days=28)
    amount = np.round(rng.lognormal(3, 1.1, n_transfer), 2)
    parts.append(frame(a, "wallet", t, "wallet", "transfer", ts, amount))
    ring = rng.choice(n_wallets, 8, replace=False)
    rows: list[tuple[int, int, int, float]] = []
    for rnd in range(30):
        base = T0 + rnd * int(0.9 * DAY) + int(rng.integers(0, 3600))
        amt = round(float(rng.uniform(900, 1100)), 2)
        if mode == "cycle":
            pairs = [(ring[i], ring[(i + 1) % 8]) for i in range(8)]
        else:
            pairs = [
                (ring[i], ring[j])
                for i in range(8)
                for j in range(8)
                if i != j and rng.random() < 0.35
            ]
        for k, (x, y) in enumerate(pairs):
            rows.append((int(x), int(y), base + k * int(rng.integers(60, 900)), amt * 0.98**k))
    x, y, ts_r, amt_r = (np.array(c) for c in zip(*rows, strict=True))
    parts.append(frame(x, "wallet", y, "wallet", "transfer", ts_r, amt_r))
    ev = finish(
        [p.filter(pl.col("actor_id") != pl.col("target_id")) for p in parts], prefix=("w", "w")
    )
    return ev, {f"w{x}" for x in ring}


def clickfarm(rng: np.random.Generator) -> Case:
    """``visitor -impression/ad_click-> ad``: 25 visitors click the same ads every 6 hours."""
    n_visitors, n_ads = 30_000, 3_000
    parts = []
    for action, n, alpha in (("impression", 110_000, 1.0), ("ad_click", 25_000, 1.1)):
        v = powerlaw_choice(rng, n_visitors, n, 0.7)
        ad = powerlaw_choice(rng, n_ads, n, alpha)
        parts.append(frame(v, "visitor", ad, "ad", action, organic_times(rng, n, days=21)))
    ring = np.arange(n_visitors, n_visitors + 25)
    ads = rng.choice(n_ads, 40, replace=False)
    vs, adv, tv = [], [], []
    for s in range(56):  # a session every ~6 h for two weeks
        base = T0 + 3 * DAY + s * 6 * 3600 + int(rng.integers(0, 1800))
        sub = rng.choice(ads, 10, replace=False)
        present = ring[rng.random(ring.size) < 0.8]
        vs.append(np.repeat(present, sub.size))
        adv.append(np.tile(sub, present.size))
        tv.append(base + rng.integers(0, 300, present.size * sub.size))
    v, ad, t = np.concatenate(vs), np.concatenate(adv), np.concatenate(tv)
    parts += [
        frame(v, "visitor", ad, "ad", "impression", t - 5),
        frame(v, "visitor", ad, "ad", "ad_click", t),
    ]
    return finish(parts, prefix=("v", "ad")), {f"v{x}" for x in ring}


def markets(rng: np.random.Generator, *, density: float) -> Case:
    """Lodging in six markets: 12 guests of PT book and rate 10/10 one host's 15 listings."""
    mk = np.array(["US", "DE", "FR", "BR", "JP", "PT"])
    share = np.array([0.4, 0.2, 0.15, 0.12, 0.1, 0.03])
    n_guests, n_listings, n_hosts = 25_000, 6_000, 1_500
    guest_home = rng.choice(mk, n_guests, p=share)
    list_mkt = rng.choice(mk, n_listings, p=share)
    list_host = rng.integers(0, n_hosts, n_listings)
    managed = T0 - rng.integers(30 * DAY, 400 * DAY, n_listings)
    parts = [
        frame(
            list_host, "host", np.arange(n_listings), "listing", "manage", managed, market=list_mkt
        ).with_columns(pl.format("h{}", "actor_id"), pl.format("L{}", "target_id"))
    ]
    n_bk = 60_000
    g = powerlaw_choice(rng, n_guests, n_bk, 0.6)
    # 40% stay at home; the rest travel by market share; then a listing by popularity
    lm = np.where(rng.random(n_bk) < 0.4, guest_home[g], rng.choice(mk, n_bk, p=share))
    pop = (1.0 / np.arange(1, n_listings + 1) ** 0.9)[rng.permutation(n_listings)]
    lst = np.empty(n_bk, dtype=np.int64)
    for m in mk:
        idx, cand = np.flatnonzero(lm == m), np.flatnonzero(list_mkt == m)
        lst[idx] = rng.choice(cand, idx.size, p=pop[cand] / pop[cand].sum())
    ts = organic_times(rng, n_bk, days=42)
    price = np.round(rng.lognormal(5, 0.6, n_bk), 2)
    rated = rng.random(n_bk) < 0.45
    score = np.clip(np.round(rng.normal(8.4, 1.4, rated.sum())), 1, 10)
    rate_ts = ts[rated] + rng.integers(2 * DAY, 10 * DAY, rated.sum())
    books = frame(g, "guest", lst, "listing", "book", ts, price, list_mkt[lst])
    rates = frame(
        g[rated], "guest", lst[rated], "listing", "rate", rate_ts, score, list_mkt[lst][rated]
    )
    ring_host, ring_lists = n_hosts + 1, np.arange(n_listings, n_listings + 15)
    ring = rng.choice(np.flatnonzero(guest_home == "PT"), 12, replace=False)
    rg, rl = np.repeat(ring, ring_lists.size), np.tile(ring_lists, ring.size)
    keep = rng.random(rg.size) < density
    rg, rl = rg[keep], rl[keep]
    t = T0 + rng.integers(0, 28 * DAY, rg.size)
    ring_price = np.round(rng.lognormal(4.5, 0.3, rg.size), 2)
    ring_rate = t + rng.integers(2 * DAY, 6 * DAY, rg.size)
    guests = [
        books,
        rates,
        frame(rg, "guest", rl, "listing", "book", t, ring_price, "PT"),
        frame(rg, "guest", rl, "listing", "rate", ring_rate, 10.0, "PT"),
    ]
    parts += [
        p.with_columns(pl.format("g{}", "actor_id"), pl.format("L{}", "target_id")) for p in guests
    ]
    parts.append(
        frame(
            f"h{ring_host}",
            "host",
            [f"L{x}" for x in ring_lists],
            "listing",
            "manage",
            T0 - 90 * DAY,
            market="PT",
        )
    )
    return finish(parts), {f"g{x}" for x in ring}


def sockpuppets(rng: np.random.Generator) -> Case:
    """Members, handsets and ibans: a sock-puppet farm on 3 handsets and 2 ibans."""
    n_members, n_threads = 7_000, 5_250
    # households of 1-4 members sharing 1-2 handsets; 60% of members also have their own
    sizes = rng.choice([1, 1, 1, 2, 2, 3, 4], n_members)
    n_hh = int(np.searchsorted(np.cumsum(sizes), n_members)) + 1
    sizes = sizes[:n_hh]
    sizes[-1] -= sizes.sum() - n_members
    home = np.repeat(np.arange(n_hh), sizes)
    n_hs = rng.choice([1, 2], n_hh)
    first = np.concatenate([[0], np.cumsum(n_hs)[:-1]])
    members = np.arange(n_members)
    two = n_hs[home] == 2
    own = rng.random(n_members) < 0.6
    dev_m = np.concatenate([members, members[two], members[own]])
    dev_h = np.concatenate(
        [first[home], first[home][two] + 1, n_hs.sum() + np.arange(own.sum())]
    ).astype(np.int64)
    n_sign = rng.integers(1, 15, dev_m.size)
    sign_ts = organic_times(rng, int(n_sign.sum()), days=28)
    parts = [
        frame(
            np.repeat(dev_m, n_sign),
            "member",
            np.repeat(dev_h, n_sign),
            "handset",
            "sign_in",
            sign_ts,
        ).with_columns(pl.format("hs{}", "target_id"))
    ]
    # payouts: a quarter of the members withdraw to their own iban (a tenth to a partner's)
    earners = rng.choice(n_members, n_members // 4, replace=False)
    partner = earners[np.maximum(np.arange(earners.size) - 1, 0)]
    iban = np.where(rng.random(earners.size) > 0.1, earners, partner)
    n_pay = rng.integers(1, 5, earners.size)
    pay_ts = organic_times(rng, int(n_pay.sum()), days=28)
    parts.append(
        frame(
            np.repeat(earners, n_pay),
            "member",
            np.repeat(iban, n_pay),
            "iban",
            "withdraw_to",
            pay_ts,
        ).with_columns(pl.format("DE{}", pl.col("target_id").cast(pl.String).str.zfill(8)))
    )
    for action, n in (("upvote", 31_500), ("answer", 5_250)):
        threads = powerlaw_choice(rng, n_threads, n, 1.0)
        parts.append(
            frame(
                powerlaw_choice(rng, n_members, n, 0.7),
                "member",
                threads,
                "thread",
                action,
                organic_times(rng, n, days=28),
            ).with_columns(pl.format("th{}", "target_id"))
        )
    # the farm: new members, first seen on 10 March (a third into the window)
    farm = np.arange(n_members, n_members + 30)
    start, pay_start = T0 + 9 * DAY, T0 + 14 * DAY
    n_s, n_w, n_t = (rng.integers(lo, hi, farm.size) for lo, hi in ((3, 10), (1, 4), (5, 20)))
    fh = np.array([f"hs_f{i}" for i in range(3)])
    fi = np.array([f"LT{i:010d}" for i in range(2)])
    popular = np.concatenate([p["target_id"].to_numpy() for p in parts[2:]])
    parts += [
        frame(
            np.repeat(farm, n_s),
            "member",
            fh[rng.integers(0, 3, n_s.sum())],
            "handset",
            "sign_in",
            organic_times(rng, int(n_s.sum()), start=start, days=18),
        ),
        frame(
            np.repeat(farm, n_w),
            "member",
            fi[rng.integers(0, 2, n_w.sum())],
            "iban",
            "withdraw_to",
            organic_times(rng, int(n_w.sum()), start=pay_start, days=13),
        ),
        frame(
            np.repeat(farm, n_t),
            "member",
            rng.choice(popular, n_t.sum()),
            "thread",
            rng.choice(["upvote", "answer"], n_t.sum(), p=[0.7, 0.3]),
            organic_times(rng, int(n_t.sum()), start=start, days=18),
        ),
    ]
    ev = finish([p.with_columns(pl.format("m{}", "actor_id")) for p in parts])
    return ev, {f"m{x}" for x in farm}


def referral(rng: np.random.Generator, *, device: bool) -> Case:
    """Grocery delivery: 40 new shoppers apply one referrer's code and check out once."""
    n_shoppers, n_items, n_co, n_campaign = 25_000, 4_000, 100_000, 12_000
    sku = powerlaw_choice(rng, n_items, n_co, 1.0)
    parts = [
        frame(
            powerlaw_choice(rng, n_shoppers, n_co, 0.6),
            "shopper",
            sku,
            "store_item",
            "checkout",
            organic_times(rng, n_co, days=30),
            np.round(rng.lognormal(3.3, 0.7, n_co), 2),
        ).with_columns(pl.format("sku{}", "target_id")),
        frame(
            rng.integers(0, n_shoppers, n_campaign),
            "shopper",
            powerlaw_choice(rng, 30, n_campaign, 1.0),
            "promo_code",
            "apply_code",
            organic_times(rng, n_campaign, days=30),
        ).with_columns(pl.format("SPRING{}", "target_id")),
    ]
    # personal referral codes, each used by 1-3 friends
    referrers = rng.choice(n_shoppers, 4_000, replace=False)
    n_friends = rng.integers(1, 4, referrers.size)
    friends = rng.integers(0, n_shoppers, n_friends.sum())
    parts.append(
        frame(
            friends,
            "shopper",
            np.repeat(referrers, n_friends),
            "promo_code",
            "apply_code",
            organic_times(rng, int(n_friends.sum()), days=30),
        ).with_columns(pl.format("REF-{}", pl.col("target_id").cast(pl.String).str.zfill(5)))
    )
    parts = [p.with_columns(pl.format("s{}", "actor_id")) for p in parts]
    farm = np.array([f"s{n_shoppers + i}" for i in range(40)])
    t = T0 + 11 * DAY + rng.integers(0, 10 * DAY, farm.size)
    basket = rng.choice(sku, farm.size)
    parts += [
        frame(farm, "shopper", "REF-99999", "promo_code", "apply_code", t),
        frame(
            farm,
            "shopper",
            [f"sku{x}" for x in basket],
            "store_item",
            "checkout",
            t + 120,
            np.round(rng.uniform(5, 9, farm.size), 2),
        ),
        frame("s123", "shopper", "REF-99999", "promo_code", "apply_code", T0 + 10 * DAY),
    ]
    if device:  # one phone per shopper; the 40 on 3 phones
        parts += [
            frame(
                farm,
                "shopper",
                [f"ph-{i % 3}" for i in range(farm.size)],
                "phone",
                "open_app",
                t - 300,
            ),
            frame(
                np.arange(n_shoppers),
                "shopper",
                np.arange(n_shoppers),
                "phone",
                "open_app",
                organic_times(rng, n_shoppers, days=30),
            ).with_columns(pl.format("s{}", "actor_id"), pl.format("ph{}", "target_id")),
        ]
    return finish(parts), set(farm.tolist())


def pod(rng: np.random.Generator) -> Case:
    """``account -publish/heart/remark-> photo``: an engagement pod of 20 accounts."""
    n_accounts, n_photos = 20_000, 30_000
    owner = powerlaw_choice(rng, n_accounts, n_photos, 0.9)
    pub_ts = T0 + rng.integers(0, 28 * DAY, n_photos)
    parts = [frame(owner, "account", np.arange(n_photos), "photo", "publish", pub_ts)]
    for action, n in (("heart", 120_000), ("remark", 20_000)):
        photo = powerlaw_choice(rng, n_photos, n, 1.0)
        ts = pub_ts[photo] + rng.exponential(2 * DAY, n).astype(np.int64)
        parts.append(
            frame(powerlaw_choice(rng, n_accounts, n, 0.7), "account", photo, "photo", action, ts)
        )
    hearts = parts[1]["actor_id"].to_numpy()
    members = rng.choice(np.arange(500, 5000), 20, replace=False)
    rows: list[tuple[int, int, str, int]] = []
    for b in range(25):
        poster = int(rng.choice(members))
        pid = n_photos + b
        tp = T0 + 2 * DAY + b * int(0.8 * DAY) + int(rng.integers(0, 3600))
        rows.append((poster, pid, "publish", tp))
        for m in rng.choice(members[members != poster], 8, replace=False):
            th = tp + int(rng.integers(30, 600))
            rows.append((int(m), pid, "heart", th))
            if rng.random() < 0.6:
                rows.append((int(m), pid, "remark", th + int(rng.integers(10, 120))))
        # organic hearts on pod photos too: the members are normal accounts with followers
        n = int(rng.integers(5, 40))
        for a in rng.choice(hearts, n):
            rows.append((int(a), pid, "heart", tp + int(rng.integers(3600, 3 * DAY))))
    a, p, act, ts_r = (np.array(c) for c in zip(*rows, strict=True))
    parts.append(frame(a, "account", p, "photo", act, ts_r))
    return finish(parts, prefix=("acc", "ph")), {f"acc{x}" for x in members}


#: name -> (probe seed, platform words, generator)
CASES: dict[str, tuple[int, str, Callable[[np.random.Generator], Case]]] = {
    "c1_follow": (1, "profile/subscribe", partial(follow_farm, inner=True)),
    "c1b_follow_noinner": (1, "profile/subscribe", partial(follow_farm, inner=False)),
    "c2_int_german": (2, "kunde/kaufen/bewerten, int64 ids", int_german),
    "c3_video_boost": (3, "user/watch/repost/clip", video_boost),
    "c4_money_cycle": (4, "wallet/tip/transfer, cycle", partial(money, mode="cycle")),
    "c4_money_mesh": (4, "wallet/tip/transfer, mesh", partial(money, mode="mesh")),
    "c5_clickfarm": (5, "visitor/impression/ad_click/ad", clickfarm),
    "c6_markets_dense": (
        6,
        "guest/book/rate/listing, 6 markets, 0.5",
        partial(markets, density=0.5),
    ),
    "c6_markets_sparse": (
        6,
        "guest/book/rate/listing, 6 markets, 0.3",
        partial(markets, density=0.3),
    ),
    "c8_sockpuppets": (8, "member/sign_in/handset/withdraw_to/iban", sockpuppets),
    "c9_referral_plain": (
        9,
        "shopper/checkout/apply_code/promo_code",
        partial(referral, device=False),
    ),
    "c9_referral_withdevice": (
        9,
        "shopper/checkout/apply_code/promo_code, shared phones",
        partial(referral, device=True),
    ),
    "c10_pod": (10, "account/heart/remark/photo", pod),
}


# --------------------------------------------------------------------------- scoring


def score(data: Path, run: Path) -> tuple[int, float, str]:
    """``ringlens -q score`` in a fresh process: return code, wall seconds, stderr's tail."""
    if run.exists():
        shutil.rmtree(run)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGLENS_")}
    cmd = [
        sys.executable,
        "-m",
        "ringlens",
        "-q",
        "score",
        str(data),
        "--out",
        str(run),
        "--no-views",
    ]
    with tempfile.TemporaryDirectory(prefix="ringlens-cwd-") as cwd:
        t = time.perf_counter()
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t
    return p.returncode, wall, p.stderr[-2000:]


def judge(rings: pl.DataFrame, planted: set[str]) -> dict[str, Any]:
    """The best reported ring (by Jaccard with the planted ids; the higher risk on ties)."""
    rings = rings.sort("risk_score", descending=True)
    best: dict[str, Any] = {"jaccard": 0.0, "pattern": None, "risk": None, "rank": None}
    organic = 0
    for rank, row in enumerate(rings.iter_rows(named=True), start=1):
        ids = {str(m).split(":", 1)[-1] for m in row["members"] or []}
        hits = len(ids & planted)
        organic += hits == 0
        jac = hits / len(ids | planted) if ids else 0.0
        if jac > best["jaccard"]:
            best = {
                "jaccard": jac,
                "pattern": row["pattern"],
                "risk": row["risk_score"],
                "rank": rank,
            }
    return {
        "found": best["jaccard"] >= 0.5,
        **best,
        "jaccard": round(best["jaccard"], 3),
        "risk": None if best["risk"] is None else round(best["risk"], 1),
        "organic_rings": organic,
        "rings": rings.height,
    }


def run_case(name: str, out: Path, seed: int) -> dict[str, Any]:
    probe, words, make = CASES[name]
    events, planted = make(np.random.default_rng([seed, probe]))
    data, run = out / name / "data", out / name / "run"
    data.mkdir(parents=True, exist_ok=True)
    events.write_parquet(data / "events.parquet")
    rc, wall, err = score(data, run)
    row: dict[str, Any] = {"case": name, "words": words, "planted": len(planted), "rc": rc}
    if rc == 0 and (run / "rings.parquet").is_file():
        row.update(judge(pl.read_parquet(run / "rings.parquet"), planted))
    else:
        print(f"{name}: ringlens exited {rc}\n{err}", file=sys.stderr)
        row.update(
            found=False, jaccard=0.0, pattern=None, risk=None, rank=None, organic_rings=0, rings=0
        )
    row.update(events=events.height, wall_s=round(wall, 1))
    return row


def table(rows: list[dict[str, Any]]) -> str:
    head = [
        "case",
        "platform words",
        "planted",
        "found",
        "Jaccard",
        "pattern",
        "risk",
        "rank",
        "organic rings",
        "rings",
        "events",
        "wall s",
    ]
    keys = [
        "case",
        "words",
        "planted",
        "found",
        "jaccard",
        "pattern",
        "risk",
        "rank",
        "organic_rings",
        "rings",
        "events",
        "wall_s",
    ]

    def cell(row: dict[str, Any], k: str) -> str:
        v = row[k]
        if k == "found":
            return "yes" if v else ("**no**" if row["rc"] == 0 else f"**error (rc {row['rc']})**")
        if v is None:
            return "-"
        return f"{v:,}" if k == "events" else str(v)

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(r, k) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", type=Path, default=None, help="folder for the cases (default: a temp dir)"
    )
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES), metavar="CASE")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows to this file")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="ringlens-unseen-"))
    rows = []
    for name in args.cases:
        rows.append(run_case(name, out, args.seed))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(table(rows))
    n_found = sum(r["found"] for r in rows)
    organic = sum(r["organic_rings"] for r in rows)
    print(f"\nfound {n_found} of {len(rows)} cases; organic rings: {organic}")
    print(f"(data and runs under {out})", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
