"""Rings on platforms ringlens was not written for, through ``ringlens score`` with no vocabulary.

Each case is a small platform with its own words (no ``ringlens.toml``, nothing mapped),
an organic background drawn from heavy-tailed activity and popularity over three to six
weeks (a year for ``c11``) of diurnal times, and one planted ring whose accounts are the
truth (none for the organic-only ``c18``-``c20``):

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
* ``c11_trust_farm``: a signed trust network like Bitcoin-OTC (``trader -rating-> trader``,
  amount -10..+10, over a year; ratings mostly between neighbours, 45% rated back in
  kind); a reputation farm of 15 new traders rates each other +10 (every pair) within
  three weeks, two outside clients +10 and a few traders +1..+3 as cover.
* ``c12_review_bomb``: an eatery guide (``diner -checkin/grade-> eatery``, grades 1-5
  J-shaped by the eatery's quality, ``proprietor -operate-> eatery``); 30 accounts (18 new,
  12 dormant) grade 80% of a rival proprietor's 6 established eateries 1 (or 2) star
  within two days.
* ``c13_boost_botnet``: a microblog (``handle -compose/boost/reply-> note``) with viral
  cascades (thousands of organic boosts of one note within minutes); 50 new bots boost
  80% of the 40 notes of 5 source handles within 60 s of each, and 15 viral notes each
  as cover.
* ``c14_wash_trade``: a collectibles market (``wallet -ask/buy-> token``, prices in ETH,
  the buyer of a token asks next); 6 new wallets pass 10 tokens round among themselves
  8-13 times each over four weeks at prices rising 4-10% a trade, and buy 3 tokens each.
* ``c15_install_farm``: no accounts, the actor an advertising id (``adid
  -install/launch/uninstall-> app``, hex ids); 120 emulated ids in 10 waves over 12 days
  each install 2-4 of one campaign's 8 apps within 20 minutes, launch once, and uninstall
  60% within a day.
* ``c16_fraudar_camo``: books (``reader -shelve/finish-> title``, two months); a
  FRAUDAR-style block of 150 new readers x 25 titles at density 0.3 at diurnal times over
  the two months, with biased camouflage (as many popular titles each).
* ``c17_multi_low``: recipes (``cook -publish/view/save/forward-> recipe``); 20 existing
  cooks push one author's 12 new recipes a little in each action (view 0.3, save 0.15,
  forward 0.1 of the pairs) over 23 days, among organic traffic on the same recipes.
* ``c18_flash_sale``, ``c19_campus``, ``c20_stream_cheer``: organic only, no ring planted
  (every reported ring is a false one). A deals app (``member -browse/grab-> deal``)
  where 1,500-2,500 members, deal hunters each week, grab 1-3 of 6 deals within the
  same minute of a weekly noon sale; a university (``learner -connect_from-> netaddr``,
  ``-submit-> assignment``, ``-open-> lecture``): 3,000 students, 70% behind 8 dorm NAT
  addresses, all on 2 library ones, 3-5 courses each of 16 to 1,400 students, submitting
  5 assignments in the hours before each deadline; a streaming site (``viewer
  -tune_in/chat/cheer-> channel``) where a big channel's audience (about 1,200 a stream) cheers
  in waves of a minute at 3-5 hype moments a stream, its core fans at most of them.

Every case is generated from its own seeded generator (``--seed``), written to
``OUT/<case>/data/events.parquet`` and scored in a fresh process, default settings
(``python -m ringlens -q score DATA --out OUT/<case>/run --no-views``, ``RINGLENS_*``
variables removed, run from an empty folder so that no ``ringlens.toml`` is read). The
reported rings (``rings.parquet``, by risk) are compared with the planted accounts by id
(the part of a member key after the first ``:``): ``found`` when the best one holds at
least half of them (Jaccard at least 0.5, as ``ringlens eval`` counts ring recall), with
that ring's Jaccard, pattern, risk and rank; ``organic rings`` the rings with no planted
member (the background is organic: each is a false ring). A case that plants no ring
(``c18``-``c20``) has no ``found`` (``n/a``) and counts by its organic rings alone.

    .venv/bin/python bench/unseen_shapes.py [--out /tmp/unseen] [--seed 5]
        [--cases c4_money_cycle c10_pod] [--json rows.json]

Prints a Markdown table and ``found N of M cases; organic rings: K`` (M: the cases that
plant a ring; with ring-free cases, how many of the K are theirs).
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


def trust_farm(rng: np.random.Generator) -> Case:
    """``trader -rating-> trader`` over a year (-10..+10): a reputation farm of 15 traders."""
    n_traders, n_ev = 5_800, 36_000
    rater = powerlaw_choice(rng, n_traders, n_ev, 0.9)
    near = rng.random(n_ev) < 0.7  # trade partners: mostly neighbours in id space
    ratee = np.where(
        near,
        (rater + rng.integers(-40, 41, n_ev)) % n_traders,
        powerlaw_choice(rng, n_traders, n_ev, 1.1),
    )
    values = np.array([-10, -5, -3, -2, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    p = [0.05, 0.01, 0.01, 0.01, 0.02, 0.45, 0.18, 0.09, 0.04, 0.04, 0.02, 0.02, 0.02, 0.01, 0.03]
    score = rng.choice(values, n_ev, p=p)
    ts = organic_times(rng, n_ev, days=365)
    back = rng.random(n_ev) < 0.45  # the partner rates back within days, in kind
    back_score = np.clip(score[back] + rng.integers(-1, 2, back.sum()), -10, 10)
    back_score[back_score == 0] = 1
    organic = (
        pl.DataFrame(
            {
                "a": np.concatenate([rater, ratee[back]]),
                "t": np.concatenate([ratee, rater[back]]),
                "ts": np.concatenate([ts, ts[back] + rng.integers(3600, 5 * DAY, back.sum())]),
                "v": np.concatenate([score, back_score]),
            }
        )
        .filter(pl.col("a") != pl.col("t"))
        .sort("ts")
        .unique(["a", "t"], keep="first", maintain_order=True)
    )
    parts = [
        frame(organic["a"], "trader", organic["t"], "trader", "rating", organic["ts"], organic["v"])
    ]
    farm = np.arange(n_traders, n_traders + 15)
    t_farm = T0 + 200 * DAY
    ia, it = np.repeat(farm, farm.size), np.tile(farm, farm.size)
    keep = ia != it
    ia, it = ia[keep], it[keep]
    parts.append(
        frame(
            ia, "trader", it, "trader", "rating", t_farm + rng.integers(0, 21 * DAY, ia.size), 10.0
        )
    )
    # two outside clients rated +10 by every farm trader; a few small ratings as cover
    clients = rng.choice(organic["t"].to_numpy(), 2)
    ca, ct = np.repeat(farm, 2), np.tile(clients, farm.size)
    parts.append(
        frame(
            ca,
            "trader",
            ct,
            "trader",
            "rating",
            t_farm + rng.integers(14 * DAY, 30 * DAY, ca.size),
            10.0,
        )
    )
    n_cover = rng.integers(2, 5, farm.size)
    cover_t = rng.choice(organic["t"].to_numpy(), n_cover.sum())
    parts.append(
        frame(
            np.repeat(farm, n_cover),
            "trader",
            cover_t,
            "trader",
            "rating",
            t_farm + rng.integers(-10 * DAY, 40 * DAY, cover_t.size),
            rng.choice([1.0, 2.0, 3.0], cover_t.size),
        )
    )
    return finish(parts, prefix=("otc", "otc")), {f"otc{x}" for x in farm}


def review_bomb(rng: np.random.Generator) -> Case:
    """``diner -grade/checkin-> eatery``: 30 accounts grade one rival's 6 eateries 1 star."""
    n_diners, n_eateries, n_props = 22_000, 3_000, 900
    parts = [
        frame(
            powerlaw_choice(rng, n_props, n_eateries, 0.8),  # chains own many
            "proprietor",
            np.arange(n_eateries),
            "eatery",
            "operate",
            T0 - rng.integers(30 * DAY, 900 * DAY, n_eateries),
        )
    ]
    quality = rng.normal(0, 0.7, n_eateries + 6)
    n_ci, n_gr = 70_000, 28_000
    parts.append(
        frame(
            powerlaw_choice(rng, n_diners, n_ci, 0.7),
            "diner",
            powerlaw_choice(rng, n_eateries, n_ci, 1.0),
            "eatery",
            "checkin",
            organic_times(rng, n_ci, days=42),
        )
    )

    def stars(e: np.ndarray) -> np.ndarray:  # J-shaped: mostly 4-5, a bump of angry 1s
        s = np.clip(np.round(4.1 + quality[e] + rng.normal(0, 1.1, e.size)), 1, 5)
        return np.where(rng.random(e.size) < 0.06, 1.0, s)

    eat = powerlaw_choice(rng, n_eateries, n_gr, 1.0)
    parts.append(
        frame(
            powerlaw_choice(rng, n_diners, n_gr, 0.7),
            "diner",
            eat,
            "eatery",
            "grade",
            organic_times(rng, n_gr, days=42),
            stars(eat),
        )
    )
    # the rival: a proprietor with 6 established eateries and their own organic guests
    rival, rival_e = n_props + 1, np.arange(n_eateries, n_eateries + 6)
    quality[rival_e] = 0.5
    parts.append(frame(rival, "proprietor", rival_e, "eatery", "operate", T0 - 400 * DAY))
    for action, per in (("checkin", 60), ("grade", 18)):
        e = np.repeat(rival_e, rng.poisson(per, rival_e.size))
        d = powerlaw_choice(rng, n_diners, e.size, 0.7)
        amount = stars(e) if action == "grade" else None
        parts.append(
            frame(d, "diner", e, "eatery", action, organic_times(rng, e.size, days=42), amount)
        )
    # the bomb: 18 new accounts and 12 dormant ones, within two days, 1-2 stars
    bombers = np.concatenate(
        [
            np.arange(n_diners, n_diners + 18),
            rng.choice(np.arange(5000, n_diners), 12, replace=False),
        ]
    )
    b, e = np.repeat(bombers, rival_e.size), np.tile(rival_e, bombers.size)
    keep = rng.random(b.size) < 0.8
    b, e = b[keep], e[keep]
    t = T0 + 30 * DAY + rng.integers(0, 2 * DAY, b.size)
    parts.append(
        frame(b, "diner", e, "eatery", "grade", t, np.where(rng.random(b.size) < 0.9, 1.0, 2.0))
    )
    ev = finish(
        [p.with_columns(pl.format("{}", "actor_id"), pl.format("E{}", "target_id")) for p in parts]
    ).with_columns(
        pl.when(pl.col("actor_type") == "proprietor")
        .then(pl.format("P{}", "actor_id"))
        .otherwise(pl.format("D{}", "actor_id"))
        .alias("actor_id")
    )
    return ev, {f"D{x}" for x in bombers}


def boost_botnet(rng: np.random.Generator) -> Case:
    """``handle -compose/boost/reply-> note``: 50 bots boost 5 handles' notes within a minute."""
    n_handles, n_posts = 40_000, 25_000
    author = powerlaw_choice(rng, n_handles, n_posts, 0.9)
    post_ts = organic_times(rng, n_posts, days=21)
    parts = [frame(author, "handle", np.arange(n_posts), "note", "compose", post_ts)]
    for action, n, mu in (("boost", 100_000, 7.5), ("reply", 15_000, 8.0)):
        post = powerlaw_choice(rng, n_posts, n, 1.1)  # viral cascades: thousands in minutes
        who = powerlaw_choice(rng, n_handles, n, 0.7)
        ts = post_ts[post] + rng.lognormal(mu, 1.6, n).astype(np.int64) + 5
        keep = who != author[post]
        parts.append(frame(who[keep], "handle", post[keep], "note", action, ts[keep]))
    # the botnet: 50 new handles boost every post of 5 source handles within 60 s
    sources = rng.choice(np.arange(2000, 20000), 5, replace=False)
    bots = np.arange(n_handles, n_handles + 50)
    pids = np.arange(n_posts, n_posts + 40)
    p_author = rng.choice(sources, pids.size)
    p_ts = np.sort(organic_times(rng, pids.size, days=21))
    parts.append(frame(p_author, "handle", pids, "note", "compose", p_ts))
    b, k = np.repeat(bots, pids.size), np.tile(np.arange(pids.size), bots.size)
    keep = rng.random(b.size) < 0.8
    b, k = b[keep], k[keep]
    parts.append(
        frame(b, "handle", pids[k], "note", "boost", p_ts[k] + rng.integers(5, 60, b.size))
    )
    # organic boosts of the source posts, and each bot boosts 15 viral posts as cover
    n_org = rng.integers(5, 30, pids.size)
    k = np.repeat(np.arange(pids.size), n_org)
    parts.append(
        frame(
            powerlaw_choice(rng, n_handles, k.size, 0.7),
            "handle",
            pids[k],
            "note",
            "boost",
            p_ts[k] + rng.lognormal(7.5, 1.6, k.size).astype(np.int64),
        )
    )
    cover = rng.choice(parts[1]["target_id"].to_numpy(), bots.size * 15)
    parts.append(
        frame(
            np.repeat(bots, 15),
            "handle",
            cover,
            "note",
            "boost",
            post_ts[cover] + rng.lognormal(8.5, 1.2, cover.size).astype(np.int64),
        )
    )
    ev = finish(parts, prefix=("@h", "note/"))
    ev = ev.unique(["actor_id", "target_id", "action"], keep="first", maintain_order=True)
    return ev, {f"@h{x}" for x in bots}


def wash_trade(rng: np.random.Generator) -> Case:
    """``wallet -ask/buy-> token`` (prices in ETH): 6 wallets trade 10 tokens among themselves."""
    n_wallets, n_tokens, n_sales = 15_000, 12_000, 35_000
    tok = np.sort(powerlaw_choice(rng, n_tokens, n_sales, 1.0))
    ts = T0 + rng.integers(0, 42 * DAY, n_sales)
    order = np.lexsort((ts, tok))
    tok, ts = tok[order], ts[order]
    buyer = powerlaw_choice(rng, n_wallets, n_sales, 0.8)
    first = np.r_[True, tok[1:] != tok[:-1]]
    seller = np.where(first, powerlaw_choice(rng, n_wallets, n_sales, 0.6), np.roll(buyer, 1))
    buyer = np.where(buyer == seller, (buyer + 1) % n_wallets, buyer)
    seller = np.where(first, seller, np.roll(buyer, 1))  # the holder sells on
    floor = rng.lognormal(-2.5, 1.0, n_tokens)
    price = np.round(floor[tok] * rng.lognormal(0, 0.3, n_sales), 4)
    ask_ts = ts - rng.exponential(2 * DAY, n_sales).astype(np.int64) - 60
    n_stale = 15_000  # asks that never sell
    st = powerlaw_choice(rng, n_tokens, n_stale, 1.0)
    parts = [
        frame(seller, "wallet", tok, "token", "ask", ask_ts, np.round(price * 1.05, 4)),
        frame(buyer, "wallet", tok, "token", "buy", ts, price),
        frame(
            powerlaw_choice(rng, n_wallets, n_stale, 0.8),
            "wallet",
            st,
            "token",
            "ask",
            organic_times(rng, n_stale, days=42),
            np.round(floor[st] * rng.lognormal(0.3, 0.4, n_stale), 4),
        ),
    ]
    # the wash: 6 fresh wallets pass 10 tokens round at rising prices for four weeks
    ring = np.arange(n_wallets, n_wallets + 6)
    tokens = np.arange(n_tokens, n_tokens + 10)
    rows: list[tuple[int, int, str, int, float]] = []
    for tk in tokens:
        holder, p = int(rng.choice(ring)), float(rng.uniform(0.15, 0.4))
        for t in np.sort(T0 + 7 * DAY + rng.integers(0, 28 * DAY, int(rng.integers(8, 14)))):
            nxt = int(rng.choice(ring[ring != holder]))
            p *= float(rng.uniform(1.04, 1.10))
            rows.append((holder, int(tk), "ask", int(t), round(p, 4)))
            rows.append((nxt, int(tk), "buy", int(t) + int(rng.integers(30, 600)), round(p, 4)))
            holder = nxt
    a, tk, act, t, p = (np.array(c) for c in zip(*rows, strict=True))
    parts.append(frame(a, "wallet", tk, "token", act, t, p))
    cover = rng.choice(tok, ring.size * 3)
    parts.append(
        frame(
            np.repeat(ring, 3),
            "wallet",
            cover,
            "token",
            "buy",
            T0 + rng.integers(0, 42 * DAY, cover.size),
            np.round(floor[cover], 4),
        )
    )
    return finish(parts, prefix=("0x", "tok#")), {f"0x{x}" for x in ring}


def install_farm(rng: np.random.Generator) -> Case:
    """``adid -install/launch/uninstall-> app``, no accounts: 120 emulated ids install 8 apps."""
    n_ids, n_apps, n_inst = 60_000, 4_000, 36_000
    inst = pl.DataFrame(
        {
            "d": powerlaw_choice(rng, n_ids, n_inst, 0.5),
            "a": powerlaw_choice(rng, n_apps, n_inst, 1.1),
            "ts": organic_times(rng, n_inst, days=28),
        }
    ).unique(["d", "a"], keep="first", maintain_order=True)
    d, a, ts = (inst[c].to_numpy() for c in ("d", "a", "ts"))
    n_open = rng.geometric(0.35, d.size) - 1
    o = np.repeat(np.arange(d.size), n_open)
    gone = rng.random(d.size) < 0.2
    parts = [
        frame(d, "adid", a, "app", "install", ts),
        frame(
            d[o],
            "adid",
            a[o],
            "app",
            "launch",
            ts[o] + rng.exponential(3 * DAY, o.size).astype(np.int64),
        ),
        frame(
            d[gone],
            "adid",
            a[gone],
            "app",
            "uninstall",
            ts[gone] + rng.exponential(5 * DAY, gone.sum()).astype(np.int64) + 600,
        ),
    ]
    # the farm: 10 waves over 12 days; each wave most of 120 ids install 2-4 of 8 apps
    farm = np.arange(n_ids, n_ids + 120)
    camp = rng.choice(np.arange(500, n_apps), 8, replace=False)
    fd, fa, ft = [], [], []
    for w in range(10):
        base = T0 + 8 * DAY + int(w * 1.2 * DAY) + int(rng.integers(0, 6 * 3600))
        present = farm[rng.random(farm.size) < 0.65]
        k = rng.integers(2, 5, present.size)
        fd.append(np.repeat(present, k))
        fa.append(np.concatenate([rng.choice(camp, x, replace=False) for x in k]))
        ft.append(base + rng.integers(0, 1200, k.sum()))
    d2, a2, t2 = np.concatenate(fd), np.concatenate(fa), np.concatenate(ft)
    un = rng.random(d2.size) < 0.6
    parts += [
        frame(d2, "adid", a2, "app", "install", t2),
        frame(d2, "adid", a2, "app", "launch", t2 + rng.integers(30, 120, d2.size)),
        frame(
            d2[un],
            "adid",
            a2[un],
            "app",
            "uninstall",
            t2[un] + rng.integers(2 * 3600, 20 * 3600, un.sum()),
        ),
    ]
    ev = finish(parts)
    hexid = np.array([f"{x:016x}" for x in rng.integers(2**60, 2**63, n_ids + farm.size)])
    ev = ev.with_columns(
        actor_id=pl.Series(hexid[ev["actor_id"].to_numpy()]),
        target_id=pl.format("com.studio{}.app", "target_id"),
    )
    return ev, {str(hexid[x]) for x in farm}


def fraudar_camo(rng: np.random.Generator) -> Case:
    """``reader -shelve/finish-> title``: 150 fakes x 25 titles at 0.3 with biased camouflage."""
    n_readers, n_titles, n_sh = 35_000, 9_000, 110_000
    sh = pl.DataFrame(
        {
            "r": powerlaw_choice(rng, n_readers, n_sh, 0.6),
            "t": powerlaw_choice(rng, n_titles, n_sh, 1.0),
            "ts": organic_times(rng, n_sh, days=60),
        }
    ).unique(["r", "t"], keep="first", maintain_order=True)
    fakes = np.arange(n_readers, n_readers + 150)
    targets = rng.choice(np.arange(3000, n_titles), 25, replace=False)
    fr, ft = np.repeat(fakes, targets.size), np.tile(targets, fakes.size)
    keep = rng.random(fr.size) < 0.3
    fr, ft = fr[keep], ft[keep]
    n_camo = rng.poisson(7.5, fakes.size)  # biased camouflage: as many popular titles
    cr = np.repeat(fakes, n_camo)
    ct = rng.choice(sh["t"].to_numpy(), cr.size)
    r = np.concatenate([sh["r"].to_numpy(), fr, cr])
    t = np.concatenate([sh["t"].to_numpy(), ft, ct])
    ts = np.concatenate([sh["ts"].to_numpy(), organic_times(rng, fr.size + cr.size, days=60)])
    done = rng.random(r.size) < 0.35
    parts = [
        frame(r, "reader", t, "title", "shelve", ts),
        frame(
            r[done],
            "reader",
            t[done],
            "title",
            "finish",
            ts[done] + rng.integers(2 * DAY, 20 * DAY, done.sum()),
        ),
    ]
    return finish(parts, prefix=("rd", "isbn")), {f"rd{x}" for x in fakes}


def multi_low(rng: np.random.Generator) -> Case:
    """``cook -view/save/forward-> recipe``: 20 cooks push one author's 12 recipes a little each."""
    n_cooks, n_recipes = 25_000, 15_000
    author = powerlaw_choice(rng, n_cooks, n_recipes, 0.9)
    parts = [
        frame(
            author,
            "cook",
            np.arange(n_recipes),
            "recipe",
            "publish",
            T0 - rng.integers(0, 300 * DAY, n_recipes),
        )
    ]
    for action, n in (("view", 90_000), ("save", 20_000), ("forward", 8_000)):
        parts.append(
            frame(
                powerlaw_choice(rng, n_cooks, n, 0.7),
                "cook",
                powerlaw_choice(rng, n_recipes, n, 1.0),
                "recipe",
                action,
                organic_times(rng, n, days=28),
            )
        )
    boss, recipes = int(rng.integers(1000, 5000)), np.arange(n_recipes, n_recipes + 12)
    parts.append(
        frame(boss, "cook", recipes, "recipe", "publish", T0 + rng.integers(0, 5 * DAY, 12))
    )
    ring = rng.choice(np.arange(1000, n_cooks), 20, replace=False)
    for action, dens, n_org in (("view", 0.3, 15), ("save", 0.15, 3), ("forward", 0.1, 1)):
        c, r = np.repeat(ring, recipes.size), np.tile(recipes, ring.size)
        keep = rng.random(c.size) < dens
        parts.append(
            frame(
                c[keep],
                "cook",
                r[keep],
                "recipe",
                action,
                organic_times(rng, keep.sum(), start=T0 + 5 * DAY, days=23),
            )
        )
        k = rng.poisson(n_org, recipes.size)  # organic traffic on the recipes too
        parts.append(
            frame(
                powerlaw_choice(rng, n_cooks, k.sum(), 0.7),
                "cook",
                np.repeat(recipes, k),
                "recipe",
                action,
                organic_times(rng, int(k.sum()), start=T0 + 5 * DAY, days=23),
            )
        )
    return finish(parts, prefix=("chef", "rcp")), {f"chef{x}" for x in ring}


def flash_sale(rng: np.random.Generator) -> Case:
    """Organic only: ``member -browse/grab-> deal``; thousands grab 6 deals in one minute."""
    n_members, n_deals = 30_000, 5_000
    price = np.round(rng.lognormal(3, 0.8, n_deals + 24), 2)
    parts = []
    for action, n in (("browse", 80_000), ("grab", 16_000)):
        deal = powerlaw_choice(rng, n_deals, n, 1.0)
        parts.append(
            frame(
                powerlaw_choice(rng, n_members, n, 0.7),
                "member",
                deal,
                "deal",
                action,
                organic_times(rng, n, days=28),
                price[deal] if action == "grab" else None,
            )
        )
    for s in range(4):  # a noon flash sale every week: deal hunters come back each time
        noon = T0 + (5 + 7 * s) * DAY + 12 * 3600
        deals = n_deals + 6 * s + np.arange(6)
        who = np.unique(powerlaw_choice(rng, n_members, int(rng.integers(1500, 2500)), 0.7))
        k = rng.integers(1, 4, who.size)
        m = np.repeat(who, k)
        d = np.concatenate([rng.choice(deals, x, replace=False) for x in k])
        parts += [
            frame(m, "member", d, "deal", "browse", noon - rng.integers(0, 600, m.size)),
            frame(
                m,
                "member",
                d,
                "deal",
                "grab",
                noon + rng.exponential(20, m.size).astype(np.int64),
                price[d],
            ),
        ]
    return finish(parts, prefix=("mb", "deal")), set()


def campus(rng: np.random.Generator) -> Case:
    """Organic only: 3,000 students on a few NAT'd campus addresses submit before deadlines."""
    n_students, n_courses = 3_000, 120
    # residence: 8 dorm buildings (one NAT address each) or off campus (a home address)
    dorm = np.where(rng.random(n_students) < 0.7, rng.integers(0, 8, n_students), -1)
    n_conn = rng.integers(4, 16, n_students)
    s = np.repeat(np.arange(n_students), n_conn)
    where = rng.random(s.size)
    home = np.where(dorm[s] >= 0, dorm[s], 100 + s)
    addr = np.where(where < 0.3, 8 + (where * 10).astype(np.int64) % 2, home)  # 2 library NATs
    addr_s = np.array(
        [
            f"10.{a // 256}.{a % 256}.1"
            if a < 100
            else f"84.{a % 200}.{a // 200 % 250}.{a % 7 + 2}"
            for a in addr
        ]
    )
    parts = [
        frame(s, "learner", addr_s, "netaddr", "connect_from", organic_times(rng, s.size, days=42))
    ]
    # enrolment: 3-5 courses each, by course size (intro courses of hundreds, seminars of 15)
    k = rng.integers(3, 6, n_students)
    es = np.repeat(np.arange(n_students), k)
    ec = powerlaw_choice(rng, n_courses, es.size, 0.9)
    enrol = pl.DataFrame({"s": es, "c": ec}).unique(maintain_order=True)
    es, ec = enrol["s"].to_numpy(), enrol["c"].to_numpy()
    for j in range(5):  # five assignments per course: most in the hours before the deadline
        deadline = (
            T0 + (6 + 7 * j) * DAY + rng.integers(0, 7, n_courses) * DAY + 23 * 3600 + 59 * 60
        )
        sub = rng.random(es.size) < 0.9
        lag = rng.lognormal(8.5, 1.5, sub.sum()).astype(np.int64)
        parts.append(
            frame(
                es[sub],
                "learner",
                [f"c{c}-a{j}" for c in ec[sub]],
                "assignment",
                "submit",
                deadline[ec[sub]] - np.minimum(lag, 6 * DAY),
            )
        )
    for j in range(8):  # lectures: opened in the days after release
        release = T0 + j * 5 * DAY + rng.integers(0, 3, n_courses) * DAY + 9 * 3600
        op = rng.random(es.size) < 0.45
        parts.append(
            frame(
                es[op],
                "learner",
                [f"c{c}-l{j}" for c in ec[op]],
                "lecture",
                "open",
                release[ec[op]] + rng.exponential(1.5 * DAY, op.sum()).astype(np.int64),
            )
        )
    ev = finish([p.with_columns(pl.format("st{}", "actor_id")) for p in parts])
    return ev, set()


def stream_cheer(rng: np.random.Generator) -> Case:
    """Organic only: a big channel's live audience cheers in the same minute at hype moments."""
    n_viewers, n_channels = 40_000, 2_500
    parts = []
    for action, n in (("tune_in", 45_000), ("chat", 30_000), ("cheer", 8_000)):
        parts.append(
            frame(
                powerlaw_choice(rng, n_viewers, n, 0.7),
                "viewer",
                powerlaw_choice(rng, n_channels, n, 1.1) + 1,
                "channel",
                action,
                organic_times(rng, n, days=28),
                np.round(rng.lognormal(4, 1, n)) if action == "cheer" else None,
            )
        )
    fans = rng.choice(n_viewers, 8_000, replace=False)  # the big channel's fan base
    loyal = 1.0 / np.arange(1, fans.size + 1) ** 0.6
    loyal /= loyal.sum()
    rank = np.zeros(n_viewers, dtype=np.int64)
    rank[fans] = np.arange(fans.size)  # core fans (the first ranks) cheer at most moments
    for s in range(24):  # an evening stream most days
        start = T0 + int(s * 1.15 * DAY) + 20 * 3600
        aud = np.unique(rng.choice(fans, int(rng.integers(1000, 1800)), p=loyal))
        n_chat = rng.poisson(0.7, aud.size)
        parts += [
            frame(
                aud,
                "viewer",
                0,
                "channel",
                "tune_in",
                start + rng.exponential(1200, aud.size).astype(np.int64),
            ),
            frame(
                np.repeat(aud, n_chat),
                "viewer",
                0,
                "channel",
                "chat",
                start + rng.integers(0, 3 * 3600, n_chat.sum()),
            ),
        ]
        for _ in range(int(rng.integers(3, 6))):  # hype moments: a wave of cheers in a minute
            moment = start + int(rng.integers(1800, 3 * 3600))
            pick = aud[rng.random(aud.size) < 0.9 * (rank[aud] + 1.0) ** -0.6 + 0.08]
            parts.append(
                frame(
                    pick,
                    "viewer",
                    0,
                    "channel",
                    "cheer",
                    moment + rng.exponential(15, pick.size).astype(np.int64),
                    rng.choice([100.0, 100.0, 200.0, 500.0, 1000.0], pick.size),
                )
            )
    return finish(parts, prefix=("viewer_", "chan_")), set()


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
    "c11_trust_farm": (11, "trader/rating, -10..+10 over a year", trust_farm),
    "c12_review_bomb": (12, "diner/grade/checkin/eatery, proprietor/operate", review_bomb),
    "c13_boost_botnet": (13, "handle/compose/boost/reply/note", boost_botnet),
    "c14_wash_trade": (14, "wallet/ask/buy/token, ETH", wash_trade),
    "c15_install_farm": (15, "adid/install/launch/uninstall/app, no accounts", install_farm),
    "c16_fraudar_camo": (16, "reader/shelve/finish/title, camouflage", fraudar_camo),
    "c17_multi_low": (17, "cook/view/save/forward/recipe", multi_low),
    "c18_flash_sale": (18, "member/browse/grab/deal, no ring", flash_sale),
    "c19_campus": (19, "learner/connect_from/netaddr/submit/open, no ring", campus),
    "c20_stream_cheer": (20, "viewer/tune_in/chat/cheer/channel, no ring", stream_cheer),
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
        "found": best["jaccard"] >= 0.5 if planted else None,  # None: no ring was planted
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
            found=False if planted else None,
            jaccard=0.0,
            pattern=None,
            risk=None,
            rank=None,
            organic_rings=0,
            rings=0,
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
            if row["rc"] != 0:
                return f"**error (rc {row['rc']})**"
            return "n/a (no ring)" if v is None else ("yes" if v else "**no**")
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
    planting = [r for r in rows if r["planted"]]
    n_found = sum(bool(r["found"]) for r in planting)
    organic = sum(r["organic_rings"] for r in rows)
    print(f"\nfound {n_found} of {len(planting)} cases; organic rings: {organic}", end="")
    ring_free = [r for r in rows if not r["planted"]]
    if ring_free:  # organic-only cases: every ring they report is a false one
        n_false = sum(r["organic_rings"] for r in ring_free)
        print(f" ({n_false} of them in the {len(ring_free)} cases with no planted ring)", end="")
    print()
    print(f"(data and runs under {out})", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
