#!/usr/bin/env python
"""Hold-out platform generator #3: a short-term home-rental marketplace and a
royalty-paying music-streaming service, with organised fraud rings hidden in
a realistic organic background and organic look-alike groups that resemble rings.

Usage
-----
    python bench/holdout3_platform.py OUT --platform {rentals,music} --events N --seed S

N is the number of ORGANIC events requested (approximately; 50k to 2M). Rings,
their camouflage and the look-alike groups come on top. The same seed gives
byte-identical files. Everything is vectorised numpy/polars: about 1 s per
300k events on a laptop, about 5 s for 1M. One summary line goes to stdout.

Common mechanics (both platforms)
---------------------------------
* Accounts were created over years (log-normal age, median ~1.8-4 years by type). About
  3-4 % of organic accounts are created inside the window, and nobody acts
  before creation. About 7 % have no display name and ~8 % auto-generated
  names ("guest48213377", "user_…"). About 3 % have prior violations. New ring
  accounts have 15 % no name, 27 % auto names and 12 % prior violations.
* Ids are a type prefix plus 7 digits (TRV0001234), numbered per type in
  creation order. Shared infrastructure (handsets, netblocks, cards) is
  numbered by first use.
* Activity per account is log-normal and split into sessions of a few events.
  Session starts follow the local hour-of-day and day-of-week rhythm of the
  account's market (fixed UTC offsets). Targets come from Zipf popularity,
  mostly within the market, weighted per day: nothing is used before it is
  created, and new items get a decaying boost.
* Shared infrastructure is noisy on purpose: residential netblocks are shared
  by ~2 accounts, and 3 carrier (CGNAT) ranges per market by thousands.
* Rings: 15 per platform, 5 patterns x 3 variants, ring_id = 5*variant +
  pattern_index. Planned size is log-uniform in [5, min(80, 80*sqrt(N/1e6))]
  (at least 14 at the top). Five rings per platform are "slow": spread over
  14-28 days on the organic daily rhythm of each member's market. The others
  run in 1-3 bursts of 2-6 h on different days within a 4-21 day stretch. Bot
  bursts start at any hour; human-run bursts start at rhythm-weighted hours.
  ~20 % of worker accounts are hijacked organic accounts that keep their whole
  organic history. The exceptions are stated per variant (account-takeover
  rings 50-60 %, some thin-spread rings 30 %). Fresh workers are created 1 h
  to 5 days before their first burst. "aged" workers are 1.5-24 months old
  with no history; "signup" workers are created inside the burst. Every new
  (not hijacked) ring account also adds camouflage: Poisson(0.5 x its ring
  events) ordinary events on popular targets, half near the ring's activity
  and half spread from its creation to the window end. Where it makes sense the
  ring includes the account it works for (host, artist, imprint, referrer,
  reseller). Each ring's synth.json entry lists what it shares ("shares":
  handsets/players, netblocks/netranges, cards, or nothing but behaviour).
* Look-alike groups ("negatives"): organic groups built to look like rings
  (shared cards/IPs/devices, bursts, repeated 5-star reviews, heavy single-artist
  streaming, referral bursts). Their events are tagged "negative" in
  synth.json counts. They are ordinary users, mostly existing accounts that
  keep their history, plus some new sign-ups. The number of groups grows like
  N^0.8.

Platform "rentals" (8 weeks from 2024-03-04 UTC)
------------------------------------------------
Markets (UTC offset): PT-LIS (+0), ES-BCN (+1), US-NYC (-4), MX-CUN (-5),
TH-BKK (+7), AU-SYD (+11). Travellers browse their home market in 55 % of
sessions and other markets otherwise. An event's market is the listing's or
host's market when one is the target, otherwise the actor's.

Entity types -> roles
  traveler (TRV, guest account), host (HST, 1-3 listings), propmgr (PMG,
  property manager, 6-140 listings, office netblock): account
  listing (LST): item
  handset (HND, phone/browser fingerprint), netblock (NBK, IP range): device
  paycard (CRD, guest card), bankacct (BNK, host payout account): payout_account
  promo (PRM, 14 campaign codes + personal referral codes): coupon
Actions -> roles (amount)
  scan_listing view; heart_listing engagement (wishlist); tap_ad click
  (promoted listing); ask_host engagement (traveler->host message);
  reply_guest engagement (host->traveler); follow_host follow;
  reserve purchase (nightly price x nights); card_charge purchase
  (traveler->paycard, same amount); vault_card own (traveler->paycard);
  rate_stay review (traveler->listing, 1-5 stars); rate_guest review
  (host->traveler, stars); request_refund claim (traveler->listing, amount);
  file_claim claim (host->traveler damage claim, amount); dispute_charge claim
  (traveler->paycard chargeback, amount); redeem_credit claim (traveler->promo,
  credit); list_property / edit_listing own (host->listing); withdraw payout
  (host->bankacct, amount); sign_in login (any account->handset/netblock).
What a booking leads to: card charge, a stay 1-45 days later, a guest review
in 62 % of cases, a host review of the guest in 55 %, a host payout about a day
after check-in in 80 %, a refund request in 2 %, a damage claim in 0.4 %. Three
out of four messages get a reply.

Rentals rings (pattern: variants)
  0 review_ring
    v0 boost_new_listing: burst, at least 2 bursts. 1-night bookings on a
       host's new listings in the first burst, then 5 stars (92 %) in a later
       one, and the host rates the guests 5 stars back. 2-4 farm handsets and
       1 netblock are shared, and the host logs in on one of the handsets.
    v1 aged_slow_boost: slow. Aged and hijacked accounts in several markets
       make real-looking short stays at 2-4 listings of a property manager,
       then review 4-5 stars. Nothing is shared.
    v2 rival_bombing: at least 2 bursts. A competitor's top listings get cheap
       bookings, then 1-2 star reviews, refund requests and messages to the
       host. The rival host who benefits is a member and shares the VPN
       netblock. Targets are the victim host and listings.
  1 wash_booking (self-booking to rank listings)
    v0 self_booking_card: burst. Long stays on the host's listings paid with
       1-2 shared cards, 60 % refunded. The host withdraws. Handsets shared.
    v1 click_pump: at least 2 bursts and no bookings. Each worker makes 8-25
       scans, 3-10 promoted-ad taps, hearts and follows. Workers are in many
       markets and share nothing.
    v2 slow_wash: slow. Stays with 5 stars both ways and payouts. Part of the
       sign-ins come from the host's own netblock.
  2 claim_collusion (host-guest)
    v0 damage_claims: at least 2 bursts. Guests book, then the host files
       damage claims of 300-3000 in a later burst. 2-3 shared cards, and
       handsets are shared with the host.
    v1 refund_claims: slow. Guests book and ask for near-full refunds 0.5-3
       days later. The host rates them 5 stars. Nothing is shared.
    v2 chargebacks: burst. Each card is vaulted by 2 guests. Bookings are
       disputed (dispute_charge) hours later. Shared netblock.
  3 referral_farm
    v0 single_code_farm: accounts sign up during the burst, redeem one
       referrer's code and make tiny bookings at a member host's listing.
       1-3 handsets and 1 netblock are shared.
    v1 chain_codes: a referral tree in which each new account redeems the code
       of a recent member. 3 proxy netblocks, each account has its own
       handset. Targets are the codes.
    v2 slow_drip: slow. Sign-ups spread over weeks each redeem one code soon
       after creation, and 40 % make a normal booking. Only the code is
       shared.
  4 account_takeover (booking sprees on stolen cards; beneficiary is a fresh
    colluding host whose listings also get some organic browsing)
    v0 takeover_spree: 60 % hijacked. Sign-ins from the attacker's
       handsets/netblock. A new stolen card per account, then 1-3 expensive
       bookings within minutes. The host withdraws the same day.
    v1 stolen_card_accounts: fresh accounts vault 2-4 cards from a shared
       stolen pool and make many charges, 60 % of them bookings. 2 netblocks.
    v2 credit_drain: slow, 50 % hijacked. Campaign credits are redeemed, then
       stays are booked at the host. Nothing is shared.
Rentals look-alike kinds
  family_trip: 3-8 relatives, some newly signed up, share the home netblock
    and a tablet. They browse and heart one listing, the organiser books it,
    and several of them review it.
  corporate_travel: 8-40 employees vault one company card, sign in from the
    office netblock and book team off-sites at 3 listings.
  property_manager_team: a manager plus 3-8 co-hosts share the office
    netblock, 2 handsets and one bank account. They make mass listing edits,
    publish new listings in a burst and reply to guests.
  festival_week: 30-150 travellers book a city's listings within hours of a
    line-up announcement, stay during the festival and review afterwards.
  coliving_shared_wifi: 12-50 residents on one netblock and a kiosk handset.
  loyal_regulars: 4-15 repeat guests book one host 1-3 times each with 5
    stars, follow the host and message them.
  friends_first_guests: a new host's friends (40 % new accounts) book and
    review the first listing 5 stars within days, some from the host's home
    netblock.
  campus_ambassador: 15-60 students, 60 % new accounts on the campus
    netblock, redeem an ambassador's referral code within 2 days.
  storm_cancellations: 20-70 guests with bookings in one market request
    refunds within hours of a storm.

Platform "music" (6 weeks from 2024-09-02 UTC)
----------------------------------------------
Markets (UTC offset): BR (-3), DE (+2), US (-5), JP (+9), IN (+5:30),
NG (+1). The event market is the actor's market.

Entity types -> roles
  listener (LSN), artist (ART), imprint (IMP, label/distributor): account
  track (TRK), record (REC, single/EP/album, new ones released Fridays 00:00
  local): item
  crate (CRT, playlist: editorial crates without owner, user crates): content
  liveroom (LVR, artist live listening session): live
  player (PLY, phone or smart speaker), netrange (NRG, IP range): device
  billcard (BCD, subscription card), royaltybank (RBK): payout_account
  giftcode (GFT): coupon
Actions -> roles (amount)
  play engagement (seconds played); skip view (seconds < 30); stash engagement
  (save); crate_add engagement (->track, added to a playlist); crate_spin
  engagement (->crate); crate_follow follow (->crate); fan follow (->artist);
  beam engagement (share ->track); tap_beam click (opened a shared link);
  peek_record view; buy_record purchase (price); enroll purchase
  (->billcard, plan price 10.99/14.99/5.99/16.99, monthly renewals charged at
  night); add_card own; join_household own (member -> family plan's
  billcard); gift_buy gift (->giftcode, value); gift_redeem claim (value);
  tip gift (->artist, amount); tune_in view (->liveroom); go_live own
  (artist->liveroom); drop own (artist->new track); ship_record own
  (imprint->record); cash_out payout (->royaltybank, amount); sign_in login
  (->player/netrange).
Organic listening: sessions of ~9 events. 30 % of plays go to one of the
listener's two favourite artists. 70 % of track choices are market-local.
New releases get a boost x(1+6e^(-age/4 days)). Full plays happen 58 % of the
time.

Music rings (pattern: variants)
  0 stream_farm (the artist is a member, their mid-popularity tracks are the
    targets, and the artist cashes out)
    v0 device_farm: bots, with bursts starting at any hour. 2-5 shared players
       and 1 netrange. 31-60 s plays of 4-12 tracks.
    v1 proxy_phones: each bot has its own phone, with 4-8 rotating netranges.
       31-90 s plays, 28 % of them on popular tracks, plus stashes.
    v2 thin_spread: slow, 30 % hijacked. Aged accounts play the tracks a few
       times a day on the organic rhythm. Nothing is shared.
  1 playlist_stuffing (the beneficiary is an imprint; targets are tracks of its
    least popular artists)
    v0 curator_stuffing: each curator's crate gets 8-25 of the tracks.
       Curators follow each other's crates and play the tracks 31-60 s. Shared
       netrange. Targets include the crates.
    v1 crate_follow_boost: at least 2 bursts. The imprint builds a crate the
       day before, and workers follow it, spin it and play it. Players and
       netrange are shared.
    v2 slow_curation: slow. Aged and hijacked curators mix the tracks 1:2 with
       popular tracks in their own crates. Nothing is shared.
  2 follower_farm
    v0 follow_burst: fresh accounts fan one artist, stash 2-5 tracks and play
       1-3. Players and netrange are shared.
    v1 follow_circle: at least 2 bursts. 3-8 small artists from different
       markets fan each other, and sock listeners fan all of them. Shared
       netrange.
    v2 slow_follow_drip: slow. Aged and hijacked accounts fan, stash, beam and
       open each other's beams. Nothing is shared.
  3 royalty_laundering (the artist is a member and cashes out)
    v0 giftcode_wash: at least 2 bursts. 1-3 buyers add 3-6 stolen billcards and buy
       gift codes. The others each redeem one code in a later burst and
       stream the artist at full length. Shared netrange. Targets include the
       codes.
    v1 tip_wash: each billcard is shared by 2 accounts, and every account tips
       the artist 3-10 times (5-100 each). 2 netranges.
    v2 record_buyback: slow. The artist's records are bought repeatedly and
       played in full. The artist cashes out to a second, new royaltybank.
  4 family_plan_abuse
    v0 slot_resale: 1-2 reseller heads enrol family plans on several cards.
       Strangers, 85 % of them from other markets, join up to 5 per card and
       listen normally. Targets are the cards.
    v1 stolen_card_households: at least 2 bursts. Fresh heads enrol with
       stolen cards, members join, and all of them farm-play one artist for
       31-60 s on shared players.
    v2 ghost_members: slow. One aged head has 2-4 family cards. Aged and
       hijacked members join and stream one artist thinly.
Music look-alike kinds
  release_day: 80-300 fans open a new record within hours of release, play it
    in full, stash it and fan the artist.
  family_plan: a head plus 1-5 members (half of them new) on one card, one
    smart speaker and the home netrange.
  venue_speaker: café/gym/office staff start one speaker at opening time every
    day and loop a fixed playlist at full length on the venue netrange.
  fan_club: 20-80 fans stream one popular artist heavily for weeks, beam and
    tap each other's shares, and join a live room and tip.
  radio_crate: 40-200 listeners spin one editorial crate and play its tracks
    in order.
  campus_network: 40-200 students on one campus netrange, 25 % of them new
    with student plans.
  corporate_gifts: one buyer buys 10-40 gift codes on one card within seconds,
    and employees redeem them over the following days.
  sleep_sounds_loop: 10-40 listeners play one ambient artist's long tracks at
    full length every night from 22:00.
  indie_collective: 4-9 small artists fan each other and add each other's
    tracks to their crates, with a shared studio netrange and local fans.
  label_showcase: an imprint's staff add its tracks to their crates in a
    release-day burst from the office netrange.

Files written into OUT
----------------------
events.parquet      actor_id, actor_type, target_id, target_type, action,
                    ts (Datetime us UTC), amount (Float64, null when none),
                    market. Sorted by ts.
entities.parquet    entity_type, entity_id, created_at, market, display_name
                    (nullable), prior_violations. Every account that appears
                    in the events.
labels.parquet      entity_type, entity_id, label: "confirmed" for one worker
                    of each even-numbered ring, and "cleared" for 20 organic
                    accounts (12 from look-alike groups).
truth.parquet       ring_id, pattern, entity_type, entity_id, hijacked: ring
                    member accounts, including the beneficiaries.
ring_targets.parquet ring_id, entity_type, entity_id: what each ring works on
                    (listings/hosts, tracks/artists/imprints, crates, codes,
                    billcards).
negatives.parquet   group_id, kind, entity_type, entity_id: look-alike group
                    accounts and their shared targets, minus ring members and
                    ring targets.
vocabulary.toml     [vocabulary.actions] and [vocabulary.entities]: each role
                    mapped to this platform's names (only names that occur).
synth.json          settings (platform, organic_events_requested, seed,
                    start, end, markets), counts (events, organic / ring /
                    camouflage / negative events, accounts, rings, ...),
                    rings (id, pattern, variant, variant_name, size, slow,
                    members, hijacked, targets, market, bursts, shares,
                    window) and negative_kinds (groups, accounts, entities).
"""

import argparse
import json
import os
import time
from datetime import datetime, timezone

import numpy as np
import polars as pl

US = 1_000_000
MIN = 60 * US
HOUR = 3600 * US
DAY = 86400 * US
ORG, RING, CAMO, NEG = 0, 1, 2, 3
SRC_NAMES = ("organic", "ring", "camouflage", "negative")


# ----------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------
def _cdf(w):
    c = np.cumsum(np.asarray(w, float))
    return c / c[-1]


def _draw(rng, cdf, n):
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def _zipf(rng, n, a):
    return (rng.permutation(n) + 1.0) ** (-a)


def _i64(x, n=None):
    a = np.atleast_1d(np.asarray(x, dtype=np.int64))
    if n is not None and a.size != n:
        a = np.broadcast_to(a, (n,))
    return a


class Store:
    """Entity table (all entity types), indices are global ints."""

    ICOLS = (
        "owner",
        "parent",
        "dev",
        "dev2",
        "net",
        "card",
        "card2",
        "bank",
        "code",
        "used",
        "orgn",
        "plan",
    )
    FCOLS = ("price", "pop", "tlen")

    def __init__(self, types):
        self.tnames = [t[0] for t in types]
        self.prefix = [t[1] for t in types]
        self.role = [t[2] for t in types]
        self.code = {n: i for i, n in enumerate(self.tnames)}
        self.n = 0
        self.cap = 0
        self.etype = np.zeros(0, np.int16)
        self.created = np.zeros(0, np.int64)
        self.market = np.zeros(0, np.int16)
        self.viol = np.zeros(0, np.int64)
        self.I = {k: np.zeros(0, np.int64) for k in self.ICOLS}
        self.F = {k: np.zeros(0, float) for k in self.FCOLS}
        self.names = []  # (start, array or None, k)

    def _grow(self, need):
        if need <= self.cap:
            return
        cap = max(need, 2 * self.cap, 4096)

        def g(a, fill):
            b = np.full(cap, fill, a.dtype)
            b[: self.n] = a[: self.n]
            return b

        self.etype = g(self.etype, -1)
        self.created = g(self.created, 0)
        self.market = g(self.market, 0)
        self.viol = g(self.viol, 0)
        self.I = {k: g(v, -1) for k, v in self.I.items()}
        self.F = {k: g(v, 0.0) for k, v in self.F.items()}
        self.cap = cap

    def add(self, tname, created, market, names=None, viol=0, **cols):
        created = np.atleast_1d(np.asarray(created, np.int64))
        k = created.size
        self._grow(self.n + k)
        sl = slice(self.n, self.n + k)
        self.etype[sl] = self.code[tname]
        self.created[sl] = created
        self.market[sl] = market
        self.viol[sl] = viol
        for c, v in cols.items():
            (self.I if c in self.I else self.F)[c][sl] = v
        self.names.append((self.n, names, k))
        idx = np.arange(self.n, self.n + k, dtype=np.int64)
        self.n += k
        return idx

    def is_type(self, idx, tname):
        return self.etype[idx] == self.code[tname]


class Pool:
    """Per-market pools of entity indices (e.g. residential netblocks)."""

    def __init__(self, lists):
        self.flat = np.concatenate(lists).astype(np.int64)
        self.cnt = np.array([len(x) for x in lists], np.int64)
        self.off = np.cumsum(self.cnt) - self.cnt

    def pick(self, rng, mk):
        mk = np.atleast_1d(np.asarray(mk, np.int64))
        return self.flat[self.off[mk] + (rng.random(mk.size) * self.cnt[mk]).astype(np.int64)]


class DaySampler:
    """Popularity sampling per (market, day): Zipf base popularity, nothing
    before its creation day, extra decaying boost for items new in the window."""

    def __init__(self, items, mkt, pop, cday, M, boost=0.0, tau=7.0):
        self.items = np.asarray(items, np.int64)
        self.mkt = np.asarray(mkt, np.int64)
        self.pop = np.asarray(pop, float)
        self.cday = np.asarray(cday, float)
        self.boost, self.tau = boost, tau
        self.sel = {m: np.flatnonzero(self.mkt == m) for m in range(M)}
        self.sel[-1] = np.arange(len(self.items))
        self.cache = {}

    def _w(self, m, d):
        key = (m, d)
        if key not in self.cache:
            sel = self.sel[m] if len(self.sel.get(m, [])) else self.sel[-1]
            age = d + 0.5 - self.cday[sel]
            w = (
                self.pop[sel]
                * (age > 0)
                * (1.0 + self.boost * np.exp(-np.clip(age, 0, None) / self.tau))
            )
            if w.sum() <= 0:
                w = self.pop[sel].copy()
            self.cache[key] = (sel, np.cumsum(w))
        return self.cache[key]

    def sample(self, rng, m_arr, d_arr):
        n = len(d_arr)
        m_arr = np.broadcast_to(np.asarray(m_arr, np.int64), (n,))
        key = (m_arr + 1) * 10000 + np.asarray(d_arr, np.int64)
        order = np.argsort(key, kind="stable")
        ks = key[order]
        out = np.empty(n, np.int64)
        u = rng.random(n)
        if n == 0:
            return out
        b = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        e = np.r_[b[1:], n]
        for s0, s1 in zip(b, e, strict=False):
            k = int(ks[s0])
            sel, cdf = self._w(k // 10000 - 1, k % 10000)
            pos = np.minimum(np.searchsorted(cdf, u[s0:s1] * cdf[-1], side="right"), len(sel) - 1)
            out[order[s0:s1]] = self.items[sel[pos]]
        return out


class Ring:
    def __init__(self, rid, pidx, pname, var, vname, slow):
        self.id, self.pidx, self.pattern, self.variant, self.vname, self.slow = (
            rid,
            pidx,
            pname,
            var,
            vname,
            slow,
        )
        self.members, self.hij, self.targets = [], [], []
        self.benef = []
        self.bursts = []
        self.s0 = self.s1 = 0
        self.market = 0
        self.size = 0
        self.shares = []

    def add(self, idx, hij=False, benef=False):
        idx = np.atleast_1d(np.asarray(idx, np.int64))
        for i in idx:
            self.members.append(int(i))
            self.hij.append(bool(hij))
            if benef:
                self.benef.append(int(i))

    def target(self, idx):
        for i in np.atleast_1d(np.asarray(idx, np.int64)):
            if int(i) not in self.targets:
                self.targets.append(int(i))

    def first_ts(self):
        return self.bursts[0][0] if self.bursts else self.s0


# name material ---------------------------------------------------------------
FIRST = {
    "PT-LIS": "Ana João Mariana Tiago Inês Rui Beatriz Miguel Sofia Duarte Carolina Nuno Leonor Pedro",
    "ES-BCN": "Laia Jordi Marta Pau Núria Marc Carla Sergi Elena Arnau Lucía Pablo Montse Álex",
    "US-NYC": "Emily Michael Jessica David Ashley Chris Sarah Jason Megan Kevin Rachel Brian Lauren Tyler",
    "MX-CUN": "Sofía Diego Valeria Luis Fernanda Jorge Daniela Carlos Ximena Andrés Paola Iván Regina Emilio",
    "TH-BKK": "Somchai Nicha Anan Ploy Kittisak Mali Tanawat Pim Arthit Siriporn Chaiwat Kanya Narong Dao",
    "AU-SYD": "Jack Chloe Liam Olivia Lachlan Mia Cooper Isla Harrison Zoe Riley Matilda Hamish Ruby",
    "BR": "Gabriel Larissa Matheus Camila Lucas Juliana Rafael Bianca Felipe Thaís Gustavo Letícia Bruno Yasmin",
    "DE": "Lukas Lena Jonas Hannah Felix Lea Maximilian Anna Paul Marie Leon Sophie Tim Laura",
    "US": "Madison Ethan Brittany Josh Amber Ryan Kayla Brandon Taylor Justin Hailey Austin Morgan Dylan",
    "JP": "Haruto Yui Sota Hina Riku Aoi Yuto Sakura Ren Mei Kaito Rin Daiki Yuna",
    "IN": "Aarav Ananya Rohan Priya Arjun Diya Vihaan Isha Kabir Sneha Aditya Kavya Rahul Neha",
    "NG": "Chinedu Amaka Tunde Ngozi Emeka Funmi Segun Chioma Ifeanyi Aisha Kelechi Yetunde Obinna Zainab",
}
BIZ_WORDS = np.array(
    "Blue Harbor Sol Casa Urban Palm Coral Oak Nova Luna Stone Tide Echo Velvet Amber North".split()
)
INITIALS = np.array(list("ABCDEFGHIJKLMNOPRSTVW"))


class Base:
    PLATFORM = ""
    SALT = 0
    MARKETS = []
    START = ""
    DAYS = 0
    TYPES = []
    ACTIONS = []
    HOUR_WD = HOUR_WE = DOW = None
    DEV = NET = CARD = None
    AUTO = ("user",)
    PATTERNS = []

    def __init__(self, n_events, seed):
        self.N = int(n_events)
        self.seed = int(seed)
        self.rng = np.random.default_rng([self.seed, self.SALT])
        self.S = Store(self.TYPES)
        self.chunks = []
        st = datetime.fromisoformat(self.START).replace(tzinfo=timezone.utc)
        self.start = int(st.timestamp()) * US
        self.end = self.start + self.DAYS * DAY
        self.M = len(self.MARKETS)
        self.mcodes = [m[0] for m in self.MARKETS]
        self.moff = np.array([m[1] for m in self.MARKETS], np.int64)
        self.mw = np.array([m[2] for m in self.MARKETS], float)
        self.mw /= self.mw.sum()
        self.act = {a[0]: i for i, a in enumerate(self.ACTIONS)}
        self.hwd = _cdf(self.HOUR_WD)
        self.hwe = _cdf(self.HOUR_WE)
        d = np.asarray(self.DOW, float)
        self.dow_acc = d / d.max()
        self.rings = []
        self.dsrc = ORG  # default source tag of emitted events
        self.groups = []  # (gid, kind, accounts, targets)
        self.scale = float(np.clip((self.N / 1e6) ** 0.5, 0.2, 1.5))
        self.gscale = min(1.0, self.scale)  # look-alike group sizes
        fl = [np.array(FIRST[c].split()) for c in self.mcodes]
        self.fn_flat = np.concatenate(fl)
        self.fn_cnt = np.array([len(x) for x in fl])
        self.fn_off = np.cumsum(self.fn_cnt) - self.fn_cnt

    # -- generic helpers -----------------------------------------------------
    def emit(self, actor, target, action, ts, amount=None, src=None):
        ts = np.atleast_1d(np.asarray(ts, np.int64))
        n = max(ts.size, np.size(actor), np.size(target))
        if ts.size == 0 or np.size(actor) == 0 or np.size(target) == 0:
            return
        ts = np.broadcast_to(ts, (n,))
        a = np.broadcast_to(np.asarray(actor, np.int64), (n,)).copy()
        t = np.broadcast_to(np.asarray(target, np.int64), (n,)).copy()
        if isinstance(action, str):
            c = np.full(n, self.act[action], np.int16)
        else:
            c = np.broadcast_to(np.asarray(action, np.int16), (n,)).copy()
        if amount is None:
            am = np.full(n, np.nan)
        else:
            am = np.broadcast_to(np.asarray(amount, float), (n,)).astype(float)
        src = self.dsrc if src is None else src
        self.chunks.append((a, t, c, ts.copy(), am, np.full(n, src, np.int8)))

    def day(self, ts):
        return np.clip((np.asarray(ts) - self.start) // DAY, 0, self.DAYS - 1)

    def rts(self, n, lo, hi, mk):
        """Timestamps following the local daily/weekly rhythm within [lo, hi)."""
        rng = self.rng
        lo = _i64(lo, n).copy()
        hi = np.maximum(_i64(hi, n), lo + HOUR)
        off = self.moff[_i64(mk, n)] * MIN
        llo, lhi = lo + off, hi + off
        d0 = llo // DAY
        nd = (lhi - 1) // DAY - d0 + 1
        out = np.empty(n, np.int64)
        todo = np.arange(n)
        for _ in range(10):
            m = todo.size
            if m == 0:
                break
            d = d0[todo] + (rng.random(m) * nd[todo]).astype(np.int64)
            dow = (d + 3) % 7
            ok = rng.random(m) < self.dow_acc[dow]
            h = np.where(dow >= 5, _draw(rng, self.hwe, m), _draw(rng, self.hwd, m))
            tl = d * DAY + h * HOUR + (rng.random(m) * HOUR).astype(np.int64)
            ok &= (tl >= llo[todo]) & (tl < lhi[todo])
            sel = todo[ok]
            out[sel] = tl[ok] - off[sel]
            todo = todo[~ok]
        if todo.size:
            out[todo] = lo[todo] + (rng.random(todo.size) * (hi[todo] - lo[todo])).astype(np.int64)
        return out

    def uts(self, n, lo, hi):
        lo = _i64(lo, n)
        hi = _i64(hi, n)
        return lo + (self.rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)

    def created_org(self, n, frac_in, med_days):
        rng = self.rng
        age = np.clip(np.exp(rng.normal(np.log(med_days), 0.85, n)), 4, 4500)
        c = self.start - (age * DAY).astype(np.int64) - rng.integers(0, DAY, n)
        inw = rng.random(n) < frac_in
        c[inw] = self.start + (
            rng.random(int(inw.sum())) * (self.end - self.start - 5 * DAY)
        ).astype(np.int64)
        return c

    def make_names(self, mk, ring=False, kind="person"):
        rng = self.rng
        mk = np.atleast_1d(np.asarray(mk, np.int64))
        n = mk.size
        fn = self.fn_flat[self.fn_off[mk] + (rng.random(n) * self.fn_cnt[mk]).astype(np.int64)]
        ini = INITIALS[rng.integers(0, len(INITIALS), n)]
        num = rng.integers(2, 99999, n).astype(str)
        if kind == "person":
            sty = rng.random(n)
            out = np.where(
                sty < 0.5,
                np.char.add(np.char.add(fn, " "), np.char.add(ini, ".")),
                np.where(sty < 0.78, fn, np.char.add(np.char.lower(fn), num)),
            )
        else:
            w = BIZ_WORDS[rng.integers(0, len(BIZ_WORDS), n)]
            suf = np.array(self.BIZ_SUFFIX[kind])[rng.integers(0, len(self.BIZ_SUFFIX[kind]), n)]
            sty = rng.random(n)
            out = np.where(
                sty < 0.55,
                np.char.add(np.char.add(w, " "), suf),
                np.char.add(np.char.add(fn, " "), suf),
            )
        p_none, p_auto = (0.15, 0.27) if ring else (0.07, 0.08)
        if kind != "person":
            p_none, p_auto = p_none / 2, p_auto / 3
        u = rng.random(n)
        auto = np.char.add(
            np.array(self.AUTO)[rng.integers(0, len(self.AUTO), n)],
            rng.integers(100000, 99999999, n).astype(str),
        )
        out = np.where(u < p_none + p_auto, auto, out).astype(object)
        out[u < p_none] = None
        return out

    def make_viol(self, n, rate):
        rng = self.rng
        v = (rng.random(n) < rate).astype(np.int64)
        return v * (1 + rng.poisson(0.35, n))

    def new_acc(self, tname, created, mk, ring=False, kind="person"):
        S, rng = self.S, self.rng
        created = np.atleast_1d(np.asarray(created, np.int64))
        n = created.size
        mk = _i64(mk, n)
        idx = S.add(
            tname,
            created,
            mk,
            self.make_names(mk, ring, kind),
            self.make_viol(n, 0.12 if ring else 0.03),
        )
        dev = S.add(self.DEV, created, mk)
        S.I["dev"][idx] = dev
        S.I["net"][idx] = self.res.pick(rng, mk)
        if ring:
            S.I["used"][idx] = 1
        return idx

    def new_infra(self, tname, k, mk, created=None):
        if created is None:
            created = self.start - 30 * DAY
        return self.S.add(tname, np.full(int(k), created, np.int64), mk)

    def cards_of(self, acc):
        """own payment card for each account (created lazily)."""
        S = self.S
        acc = np.atleast_1d(np.asarray(acc, np.int64))
        u = np.unique(acc)
        miss = u[S.I["card"][u] < 0]
        if miss.size:
            S.I["card"][miss] = S.add(self.CARD, S.created[miss], S.market[miss])
        return S.I["card"][acc]

    def bank_of(self, acc):
        S = self.S
        acc = np.atleast_1d(np.asarray(acc, np.int64))
        u = np.unique(acc)
        miss = u[S.I["bank"][u] < 0]
        if miss.size:
            S.I["bank"][miss] = S.add(self.BANK, S.created[miss], S.market[miss])
        return S.I["bank"][acc]

    def pick_org(self, tname, n, market=None, min_ev=3, local=0.7, old=True, mark=True):
        S, rng = self.S, self.rng
        n = int(n)
        if n <= 0:
            return np.zeros(0, np.int64)
        nn = S.n
        base = (S.etype[:nn] == S.code[tname]) & (S.I["used"][:nn] != 1)
        ok = base & (S.I["orgn"][:nn] >= min_ev)
        if old:
            ok &= S.created[:nn] < self.start
        cand = np.flatnonzero(ok)
        if cand.size < n:
            cand = np.flatnonzero(base)
        n = min(n, cand.size)
        if market is not None and local > 0:
            loc = cand[S.market[cand] == market]
            k = min(loc.size, int(round(n * local)))
            a = rng.choice(loc, k, replace=False) if k else np.zeros(0, np.int64)
            rest = np.setdiff1d(cand, a)
            b = rng.choice(rest, n - k, replace=False) if n - k > 0 else np.zeros(0, np.int64)
            out = np.r_[a, b].astype(np.int64)
        else:
            out = rng.choice(cand, n, replace=False).astype(np.int64)
        if mark:
            S.I["used"][out] = 1
        return out

    def act_weights(self, acc):
        """organic activity counts of accounts (for weighted choices)."""
        return np.maximum(self.S.I["orgn"][acc], 0) + 1.0

    # -- rings -----------------------------------------------------------------
    def ring_size(self):
        hi = float(np.clip(80 * (self.N / 1e6) ** 0.5, 14, 80))
        return int(round(np.exp(self.rng.uniform(np.log(5), np.log(hi)))))

    def plan(self, r, lo=None, min_bursts=1, max_bursts=3, bots=False):
        rng = self.rng
        lo = self.start + 2 * DAY if lo is None else int(max(lo, self.start + DAY))
        lo = min(lo, self.end - 12 * DAY)
        if r.slow:
            L = int(rng.uniform(14, 28) * DAY)
            L = min(L, self.end - lo - DAY)
            r.s0 = int(lo + rng.random() * max(self.end - DAY - lo - L, 0))
            r.s1 = r.s0 + L
            return
        k = int(rng.integers(min_bursts, max_bursts + 1))
        navail = int((self.end - 2 * DAY - lo) // DAY)
        span = min(navail, int(rng.integers(4, 22)))
        k = min(k, span)
        anchor = int(rng.integers(0, navail - span + 1))
        ds = anchor + np.sort(rng.choice(span, k, replace=False))
        off = int(self.moff[r.market]) * MIN
        for d in ds:
            t = lo + int(d) * DAY
            mid = ((t + off) // DAY) * DAY - off
            hr = int(rng.integers(0, 24)) if bots else int(_draw(rng, self.hwd, 1)[0])
            b0 = mid + hr * HOUR + int(rng.random() * HOUR)
            if b0 < lo:
                b0 += DAY
            dur = int(rng.uniform(2.0, 6.0) * HOUR)
            r.bursts.append((b0, min(b0 + dur, self.end - HOUR)))

    def rt(self, r, mem, phase=None):
        rng, S = self.rng, self.S
        mem = np.atleast_1d(np.asarray(mem, np.int64))
        n = mem.size
        cr = S.created[mem] + MIN + (rng.random(n) * 20 * MIN).astype(np.int64)
        if r.slow:
            lo = np.maximum(r.s0, cr)
            return self.rts(n, lo, np.maximum(r.s1, lo + 2 * HOUR), S.market[mem])
        B = np.array(r.bursts, np.int64)
        nb = len(B)
        if phase is None:
            bi = rng.integers(0, nb, n)
        elif phase == "first":
            bi = np.zeros(n, np.int64)
        elif phase == "last":
            bi = np.full(n, nb - 1)
        elif phase == "notfirst":
            bi = rng.integers(min(1, nb - 1), nb, n)
        else:
            bi = np.full(n, min(int(phase), nb - 1))
        ts = B[bi, 0] + (rng.random(n) * (B[bi, 1] - B[bi, 0])).astype(np.int64)
        return np.maximum(ts, cr)

    def after(self, r, mem, ts0, lo_gap, hi_gap, phase="last"):
        """a follow-up time after ts0: in a later burst, or days later when slow."""
        rng = self.rng
        n = len(ts0)
        if r.slow or len(r.bursts) < 2:
            return ts0 + (rng.uniform(lo_gap, hi_gap, n) * DAY).astype(np.int64)
        t = self.rt(r, mem, phase)
        return np.maximum(t, ts0 + 30 * MIN)

    def ring_workers(
        self, r, n, tname, hij_frac=0.2, mode="fresh", spread_markets=0.25, kind="person"
    ):
        rng, _S = self.rng, self.S
        n = int(max(n, 1))
        nh = int(rng.binomial(n, hij_frac))
        if n >= 5 and hij_frac > 0:
            nh = max(nh, 1)
        hij = self.pick_org(tname, nh, r.market, min_ev=5)
        nn = n - hij.size
        mk = np.where(rng.random(nn) < spread_markets, rng.choice(self.M, nn, p=self.mw), r.market)
        f = r.first_ts()
        if mode == "fresh":
            cr = f - (rng.uniform(0.05, 5.0, nn) * DAY).astype(np.int64)
        elif mode == "signup":
            if r.slow:
                cr = self.uts(nn, r.s0, r.s1 - 2 * DAY)
            else:
                B = np.array(r.bursts)
                bi = rng.integers(0, len(B), nn)
                cr = B[bi, 0] + (rng.random(nn) * (B[bi, 1] - B[bi, 0])).astype(np.int64) - 20 * MIN
        elif mode == "aged":
            cr = self.start - (rng.uniform(45, 720, nn) * DAY).astype(np.int64)
        else:  # spread (slow rings)
            cr = self.uts(nn, r.s0 - 10 * DAY, r.s0 + (r.s1 - r.s0) // 2)
        new = self.new_acc(tname, cr, mk, ring=True, kind=kind)
        r.add(hij, hij=True)
        r.add(new)
        return hij, new

    def logins(
        self, r, mem, k_lo, k_hi, dev_pool=None, net_pool=None, src=None, phase=None, p_dev=0.5
    ):
        rng, S = self.rng, self.S
        mem = np.atleast_1d(np.asarray(mem, np.int64))
        if mem.size == 0:
            return
        cnt = rng.integers(k_lo, k_hi + 1, mem.size)
        a = np.repeat(mem, cnt)
        ts = self.rt(r, a, phase)
        n = a.size
        dev = (
            S.I["dev"][a]
            if dev_pool is None
            else np.asarray(dev_pool)[rng.integers(0, len(dev_pool), n)]
        )
        net = (
            S.I["net"][a]
            if net_pool is None
            else np.asarray(net_pool)[rng.integers(0, len(net_pool), n)]
        )
        tgt = np.where(rng.random(n) < p_dev, dev, net)
        self.emit(a, tgt, "sign_in", ts, src=src)

    def camouflage(self, r, c0):
        rng, S = self.rng, self.S
        acts = [c[0][c[5] == RING] for c in self.chunks[c0:]]
        acts = np.concatenate(acts) if acts else np.zeros(0, np.int64)
        mem = np.array(r.members, np.int64)
        hij = np.array(r.hij, bool)
        ben = np.isin(mem, np.array(r.benef, np.int64))
        newm = mem[~hij & ~ben]
        if newm.size == 0 or acts.size == 0:
            return
        u, c = np.unique(acts, return_counts=True)
        cnt = np.zeros(newm.size)
        pos = np.searchsorted(u, newm)
        pos = np.minimum(pos, len(u) - 1)
        hit = u[pos] == newm
        cnt[hit] = c[pos[hit]]
        k = rng.poisson(0.5 * cnt)
        a = np.repeat(newm, k)
        if a.size == 0:
            return
        near = rng.random(a.size) < 0.5
        ts = np.empty(a.size, np.int64)
        ts[near] = self.rt(r, a[near])
        far = ~near
        lo = np.maximum(S.created[a[far]] + HOUR, self.start)
        ts[far] = self.rts(int(far.sum()), lo, self.end, S.market[a[far]])
        self.camo_events(a, ts)

    def run_rings(self):
        for v in range(3):
            for p, (pname, variants) in enumerate(self.PATTERNS):
                vname, slow = variants[v]
                r = Ring(5 * v + p, p, pname, v, vname, slow)
                r.size = self.ring_size()
                r.market = int(self.rng.choice(self.M, p=self.mw))
                c0 = len(self.chunks)
                self.dsrc = RING
                getattr(self, "ring_" + pname)(r)
                self.dsrc = ORG
                self.camouflage(r, c0)
                self.rings.append(r)

    def group(self, kind, accounts, targets=()):
        gid = f"{kind}-{sum(1 for g in self.groups if g[1] == kind):03d}"
        self.groups.append(
            (
                gid,
                kind,
                np.unique(np.asarray(accounts, np.int64)),
                np.unique(np.asarray(list(targets), np.int64)),
            )
        )

    def n_groups(self, base):
        return int(max(1, round(base * (self.N / 1e6) ** 0.8)))

    # -- output ----------------------------------------------------------------
    def finalize(self, out):
        rng, S = self.rng, self.S
        a = np.concatenate([c[0] for c in self.chunks])
        t = np.concatenate([c[1] for c in self.chunks])
        ac = np.concatenate([c[2] for c in self.chunks])
        ts = np.concatenate([c[3] for c in self.chunks])
        am = np.concatenate([c[4] for c in self.chunks])
        src = np.concatenate([c[5] for c in self.chunks])
        nE = S.n
        et = S.etype[:nE]
        created = S.created[:nE].copy()
        roles = np.array(S.role)
        trole = roles[et[t]]
        lo = created[a]
        strict = np.isin(trole, ["account", "item", "content", "live", "coupon"])
        lo = np.where(strict, np.maximum(lo, created[t]), lo)
        bad = ts < lo
        ts[bad] = lo[bad] + MIN + (rng.random(int(bad.sum())) * 90 * MIN).astype(np.int64)
        keep = (ts >= self.start) & (ts < self.end)
        a, t, ac, ts, am, src = a[keep], t[keep], ac[keep], ts[keep], am[keep], src[keep]
        order = np.argsort(ts, kind="stable")
        a, t, ac, ts, am, src = a[order], t[order], ac[order], ts[order], am[order], src[order]
        # infra entities are "created" at their first use at the latest
        first = np.full(nE, np.iinfo(np.int64).max)
        np.minimum.at(first, t, ts)
        weak = ~np.isin(roles[et], ["account", "item", "content", "live", "coupon"])
        created = np.where(weak & (first < created), first - 5 * MIN, created)
        # ids numbered per type in creation order
        o = np.lexsort((np.arange(nE), created, et))
        ets = et[o]
        startpos = np.flatnonzero(np.r_[True, ets[1:] != ets[:-1]])
        grp = np.cumsum(np.r_[True, ets[1:] != ets[:-1]]) - 1
        rank = np.arange(nE) - startpos[grp] + 1
        num = np.empty(nE, np.int64)
        num[o] = rank
        pref = pl.Series(S.prefix).gather(pl.Series(et.astype(np.int64)))
        ids = (pref + pl.Series(num).cast(pl.Utf8).str.zfill(7)).alias("id")
        tn = pl.Series(S.tnames)
        mk = pl.Series(self.mcodes)
        emk = self.event_market(a, t)
        actions = pl.Series([x[0] for x in self.ACTIONS])
        ev = pl.DataFrame(
            {
                "actor_id": ids.gather(a),
                "actor_type": tn.gather(et[a].astype(np.int64)),
                "target_id": ids.gather(t),
                "target_type": tn.gather(et[t].astype(np.int64)),
                "action": actions.gather(ac.astype(np.int64)),
                "ts": pl.Series(ts).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
                "amount": pl.Series(am).fill_nan(None).cast(pl.Float64),
                "market": mk.gather(emk.astype(np.int64)),
            }
        )
        os.makedirs(out, exist_ok=True)
        ev.write_parquet(os.path.join(out, "events.parquet"), compression="zstd", statistics=True)
        # entities: accounts seen in events
        acct = roles[et] == "account"
        seen = np.zeros(nE, bool)
        seen[a] = True
        seen[t] = True
        ent = np.flatnonzero(seen & acct)
        names = np.empty(nE, object)
        for s0, arr, k in S.names:
            if arr is not None:
                names[s0 : s0 + k] = arr
        ent = ent[np.lexsort((num[ent], et[ent]))]
        edf = pl.DataFrame(
            {
                "entity_type": tn.gather(et[ent].astype(np.int64)),
                "entity_id": ids.gather(ent),
                "created_at": pl.Series(created[ent])
                .cast(pl.Datetime("us"))
                .dt.replace_time_zone("UTC"),
                "market": mk.gather(S.market[ent].astype(np.int64)),
                "display_name": pl.Series(names[ent].tolist(), dtype=pl.Utf8),
                "prior_violations": pl.Series(S.viol[ent].astype(np.int64), dtype=pl.Int64),
            }
        )
        edf.write_parquet(os.path.join(out, "entities.parquet"), compression="zstd")
        # truth / targets
        seen_actor = np.zeros(nE, bool)
        seen_actor[a] = True
        tr = {"ring_id": [], "pattern": [], "e": [], "hijacked": []}
        rt_ = {"ring_id": [], "e": []}
        ring_mem = set()
        ring_tgt = set()
        for r in self.rings:
            mem = np.array(r.members, np.int64)
            hj = np.array(r.hij, bool)
            ok = seen_actor[mem]
            mem, hj = mem[ok], hj[ok]
            _, first_i = np.unique(mem, return_index=True)
            mem, hj = mem[np.sort(first_i)], hj[np.sort(first_i)]
            r.n_members = int(mem.size)
            tr["ring_id"] += [r.id] * mem.size
            tr["pattern"] += [r.pattern] * mem.size
            tr["e"] += mem.tolist()
            tr["hijacked"] += hj.tolist()
            ring_mem.update(mem.tolist())
            tg = np.array(r.targets, np.int64)
            tg = tg[seen[tg]] if tg.size else tg
            r.n_targets = int(tg.size)
            rt_["ring_id"] += [r.id] * tg.size
            rt_["e"] += tg.tolist()
            ring_tgt.update(tg.tolist())
        te = np.array(tr["e"], np.int64)
        pl.DataFrame(
            {
                "ring_id": pl.Series(tr["ring_id"], dtype=pl.Int64),
                "pattern": pl.Series(tr["pattern"], dtype=pl.Utf8),
                "entity_type": tn.gather(et[te].astype(np.int64)),
                "entity_id": ids.gather(te),
                "hijacked": pl.Series(tr["hijacked"], dtype=pl.Boolean),
            }
        ).write_parquet(os.path.join(out, "truth.parquet"))
        tt = np.array(rt_["e"], np.int64)
        pl.DataFrame(
            {
                "ring_id": pl.Series(rt_["ring_id"], dtype=pl.Int64),
                "entity_type": tn.gather(et[tt].astype(np.int64)),
                "entity_id": ids.gather(tt),
            }
        ).write_parquet(os.path.join(out, "ring_targets.parquet"))
        # negatives
        excl = np.array(sorted(ring_mem | ring_tgt), np.int64)
        ng = {"g": [], "k": [], "e": []}
        kinds = {}
        for gid, kind, accs, tg in self.groups:
            ents = np.r_[accs[seen_actor[accs]], tg[seen[tg]] if tg.size else tg].astype(np.int64)
            ents = ents[~np.isin(ents, excl)]
            if ents.size == 0:
                continue
            ng["g"] += [gid] * ents.size
            ng["k"] += [kind] * ents.size
            ng["e"] += ents.tolist()
            kd = kinds.setdefault(kind, {"groups": 0, "accounts": 0, "entities": 0})
            kd["groups"] += 1
            kd["accounts"] += int(np.sum(roles[et[ents]] == "account"))
            kd["entities"] += int(ents.size)
        ne = np.array(ng["e"], np.int64)
        pl.DataFrame(
            {
                "group_id": pl.Series(ng["g"], dtype=pl.Utf8),
                "kind": pl.Series(ng["k"], dtype=pl.Utf8),
                "entity_type": tn.gather(et[ne].astype(np.int64)),
                "entity_id": ids.gather(ne),
            }
        ).write_parquet(os.path.join(out, "negatives.parquet"))
        # labels
        lab_e, lab_l = [], []
        for r in self.rings:
            if r.id % 2 == 0:
                mem = [
                    m
                    for m, h in zip(r.members, r.hij, strict=False)
                    if m not in r.benef and seen_actor[m]
                ]
                if not mem:
                    mem = [m for m in r.members if seen_actor[m]]
                if mem:
                    lab_e.append(int(mem[int(rng.integers(0, len(mem)))]))
                    lab_l.append("confirmed")
        neg_acc = np.unique(ne[roles[et[ne]] == "account"]) if ne.size else np.zeros(0, np.int64)
        neg_acc = neg_acc[~np.isin(neg_acc, excl)]
        k1 = min(12, neg_acc.size)
        c1 = rng.choice(neg_acc, k1, replace=False) if k1 else np.zeros(0, np.int64)
        orgacc = np.flatnonzero(
            acct & seen_actor & (S.I["orgn"][:nE] >= 5) & (S.I["used"][:nE] != 1)
        )
        orgacc = orgacc[~np.isin(orgacc, excl) & ~np.isin(orgacc, c1)]
        c2 = rng.choice(orgacc, 20 - k1, replace=False)
        for e in np.r_[c1, c2].astype(np.int64):
            lab_e.append(int(e))
            lab_l.append("cleared")
        le = np.array(lab_e, np.int64)
        pl.DataFrame(
            {
                "entity_type": tn.gather(et[le].astype(np.int64)),
                "entity_id": ids.gather(le),
                "label": pl.Series(lab_l, dtype=pl.Utf8),
            }
        ).write_parquet(os.path.join(out, "labels.parquet"))
        # vocabulary
        used_actions = set(actions.gather(np.unique(ac).astype(np.int64)).to_list())
        lines = ["[vocabulary.actions]"]
        for role in (
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
        ):
            names_ = [x[0] for x in self.ACTIONS if x[1] == role and x[0] in used_actions]
            if names_:
                lines.append("{} = [{}]".format(role, ", ".join(f'"{x}"' for x in names_)))
        lines.append("")
        lines.append("[vocabulary.entities]")
        used_types = set(np.unique(np.r_[et[a], et[t]]).tolist())
        for role in ("account", "item", "content", "live", "device", "payout_account", "coupon"):
            names_ = [
                S.tnames[i] for i in range(len(S.tnames)) if S.role[i] == role and i in used_types
            ]
            if names_:
                lines.append("{} = [{}]".format(role, ", ".join(f'"{x}"' for x in names_)))
        with open(os.path.join(out, "vocabulary.toml"), "w") as f:
            f.write("\n".join(lines) + "\n")
        counts = {
            "events": int(ts.size),
            "organic_events": int(np.sum(src == ORG)),
            "ring_events": int(np.sum(src == RING)),
            "camouflage_events": int(np.sum(src == CAMO)),
            "negative_events": int(np.sum(src == NEG)),
            "accounts": int(ent.size),
            "entities_total": int(nE),
            "rings": len(self.rings),
            "ring_members": int(len(ring_mem)),
            "ring_targets": int(len(ring_tgt)),
            "negative_groups": len(set(ng["g"])),
            "negative_entities": int(ne.size),
        }
        rings = []
        for r in self.rings:
            rings.append(
                {
                    "id": r.id,
                    "pattern": r.pattern,
                    "pattern_index": r.pidx,
                    "variant": r.variant,
                    "variant_name": r.vname,
                    "size": r.size,
                    "slow": bool(r.slow),
                    "members": r.n_members,
                    "hijacked": int(sum(r.hij)),
                    "targets": r.n_targets,
                    "market": self.mcodes[r.market],
                    "bursts": len(r.bursts),
                    "shares": r.shares,
                    "window": [
                        _iso(r.s0 if r.slow else r.bursts[0][0]),
                        _iso(r.s1 if r.slow else r.bursts[-1][1]),
                    ],
                }
            )
        synth = {
            "settings": {
                "platform": self.PLATFORM,
                "organic_events_requested": self.N,
                "seed": self.seed,
                "start": _iso(self.start),
                "end": _iso(self.end),
                "markets": [{"code": m[0], "utc_offset_minutes": m[1]} for m in self.MARKETS],
                "generator": "bench/holdout3_platform.py",
            },
            "counts": counts,
            "rings": rings,
            "negative_kinds": kinds,
        }
        with open(os.path.join(out, "synth.json"), "w") as f:
            json.dump(synth, f, indent=2, sort_keys=False)
        return counts

    def event_market(self, a, t):
        return self.S.market[a]

    def generate(self, out):
        self.organic()
        S = self.S
        acts = np.concatenate([c[0] for c in self.chunks])
        S.I["orgn"][: S.n] = np.bincount(acts, minlength=S.n)[: S.n]
        self.run_rings()
        self.dsrc = NEG
        self.negatives()
        self.dsrc = ORG
        return self.finalize(out)


def _iso(us):
    return datetime.fromtimestamp(int(us) / US, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ============================================================================
# rentals
# ============================================================================
class Rentals(Base):
    PLATFORM = "rentals"
    SALT = 3101
    MARKETS = [
        ("PT-LIS", 0, 0.13),
        ("ES-BCN", 60, 0.17),
        ("US-NYC", -240, 0.26),
        ("MX-CUN", -300, 0.13),
        ("TH-BKK", 420, 0.12),
        ("AU-SYD", 660, 0.19),
    ]
    START = "2024-03-04T00:00:00"
    DAYS = 56
    TYPES = [
        ("traveler", "TRV", "account"),
        ("host", "HST", "account"),
        ("propmgr", "PMG", "account"),
        ("listing", "LST", "item"),
        ("handset", "HND", "device"),
        ("netblock", "NBK", "device"),
        ("paycard", "CRD", "payout_account"),
        ("bankacct", "BNK", "payout_account"),
        ("promo", "PRM", "coupon"),
    ]
    ACTIONS = [
        ("scan_listing", "view"),
        ("heart_listing", "engagement"),
        ("tap_ad", "click"),
        ("ask_host", "engagement"),
        ("reply_guest", "engagement"),
        ("follow_host", "follow"),
        ("reserve", "purchase"),
        ("card_charge", "purchase"),
        ("vault_card", "own"),
        ("rate_stay", "review"),
        ("rate_guest", "review"),
        ("request_refund", "claim"),
        ("file_claim", "claim"),
        ("dispute_charge", "claim"),
        ("redeem_credit", "claim"),
        ("list_property", "own"),
        ("edit_listing", "own"),
        ("withdraw", "payout"),
        ("sign_in", "login"),
    ]
    HOUR_WD = [
        1.0,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1.2,
        2.2,
        3.0,
        3.4,
        3.6,
        3.8,
        4.2,
        4.4,
        4.0,
        3.8,
        3.8,
        4.2,
        4.8,
        5.6,
        6.2,
        6.0,
        4.6,
        2.6,
    ]
    HOUR_WE = [
        1.8,
        1.1,
        0.7,
        0.5,
        0.4,
        0.5,
        0.8,
        1.4,
        2.4,
        3.4,
        4.2,
        4.6,
        4.6,
        4.4,
        4.2,
        4.2,
        4.4,
        4.6,
        4.8,
        5.2,
        5.6,
        5.4,
        4.4,
        2.8,
    ]
    DOW = [1.15, 1.05, 1.0, 0.97, 0.88, 0.85, 1.12]
    DEV, NET, CARD, BANK = "handset", "netblock", "paycard", "bankacct"
    AUTO = ("guest", "user_", "Traveler ", "airguest")
    BIZ_SUFFIX = {
        "propmgr": ["Stays", "Homes", "Rentals", "Living", "Suites", "Property Co"],
        "host": ["Retreat", "Guesthouse", "Loft", "Casita"],
    }
    BASE_PRICE = np.array([95.0, 120.0, 210.0, 140.0, 55.0, 180.0])
    SUPPLY = np.array([0.15, 0.2, 0.2, 0.16, 0.14, 0.15])
    PATTERNS = [
        (
            "review_ring",
            [("boost_new_listing", False), ("aged_slow_boost", True), ("rival_bombing", False)],
        ),
        (
            "wash_booking",
            [("self_booking_card", False), ("click_pump", False), ("slow_wash", True)],
        ),
        (
            "claim_collusion",
            [("damage_claims", False), ("refund_claims", True), ("chargebacks", False)],
        ),
        (
            "referral_farm",
            [("single_code_farm", False), ("chain_codes", False), ("slow_drip", True)],
        ),
        (
            "account_takeover",
            [("takeover_spree", False), ("stolen_card_accounts", False), ("credit_drain", True)],
        ),
    ]
    STARS = _cdf([0.02, 0.03, 0.07, 0.2, 0.68])

    def event_market(self, a, t):
        S = self.S
        lt = np.isin(S.etype[t], [S.code["listing"], S.code["host"], S.code["propmgr"]])
        return np.where(lt, S.market[t], S.market[a])

    def stars(self, n, good=True):
        s = _draw(self.rng, self.STARS, n) + 1.0
        return s

    # -- organic ------------------------------------------------------------------
    def organic(self):
        rng, S, N, M = self.rng, self.S, self.N, self.M
        n_t, n_h, n_p = max(1500, N // 14), max(80, N // 280), max(6, N // 9000)
        exp_acc = n_t * self.mw + (n_h + n_p) * self.SUPPLY
        self.res = Pool(
            [
                self.new_infra("netblock", max(8, int(x / 1.8)), m, self.start - 3000 * DAY)
                for m, x in enumerate(exp_acc)
            ]
        )
        self.car = [self.new_infra("netblock", 3, m, self.start - 3000 * DAY) for m in range(M)]
        tm = rng.choice(M, n_t, p=self.mw)
        trv = self.new_acc("traveler", self.created_org(n_t, 0.04, 650), tm)
        hm = rng.choice(M, n_h, p=self.SUPPLY / self.SUPPLY.sum())
        hst = self.new_acc("host", self.created_org(n_h, 0.03, 1100), hm, kind="person")
        pmm = rng.choice(M, n_p, p=self.SUPPLY / self.SUPPLY.sum())
        pmg = self.new_acc("propmgr", self.created_org(n_p, 0.0, 1500), pmm, kind="propmgr")
        S.I["net"][pmg] = [self.new_infra("netblock", 1, m)[0] for m in pmm]  # office
        self.trv, self.hst, self.pmg = trv, hst, pmg
        # second handsets, cards, banks, referral codes
        two = trv[rng.random(n_t) < 0.25]
        S.I["dev2"][two] = S.add("handset", S.created[two], S.market[two])
        S.I["card"][trv] = S.add("paycard", S.created[trv], S.market[trv])
        c2 = trv[rng.random(n_t) < 0.18]
        S.I["card2"][c2] = S.add(
            "paycard", S.created[c2] + DAY * rng.integers(1, 300, c2.size), S.market[c2]
        )
        hp = np.r_[hst, pmg]
        S.I["bank"][hp] = S.add("bankacct", S.created[hp], S.market[hp])
        rc = trv[rng.random(n_t) < 0.25]
        S.I["code"][rc] = S.add("promo", S.created[rc] + HOUR, S.market[rc], owner=rc)
        self.campaign = S.add(
            "promo", self.start - DAY * rng.integers(5, 200, 14), rng.integers(0, M, 14)
        )
        camp_pop = _zipf(rng, 14, 1.1)
        # listings
        k_h = 1 + rng.poisson(0.55, n_h)
        k_p = np.clip(np.exp(rng.normal(np.log(22), 0.6, n_p)), 6, 140).astype(np.int64)
        owners = np.r_[np.repeat(hst, k_h), np.repeat(pmg, k_p)]
        nl = owners.size
        om, oc = S.market[owners], S.created[owners]
        base = np.maximum(oc, self.start)
        newl = (rng.random(nl) < 0.08) | (oc >= self.start)
        lc = np.where(
            newl,
            base + (rng.random(nl) * np.maximum(self.end - 10 * DAY - base, DAY)).astype(np.int64),
            oc + (rng.random(nl) * np.maximum(self.start - oc, HOUR)).astype(np.int64),
        )
        price = np.round(self.BASE_PRICE[om] * np.exp(rng.normal(0, 0.45, nl)), 0)
        lst = S.add("listing", lc, om, owner=owners, price=price)
        pop = _zipf(rng, nl, 0.85) * np.exp(rng.normal(0, 0.6, nl))
        cday = (lc - self.start) / DAY
        S.F["pop"][lst] = pop
        self.lst = lst
        self.ls = DaySampler(lst, om, pop, cday, M, boost=2.5, tau=6.0)
        prom = rng.random(nl) < 0.12
        self.ads = DaySampler(lst[prom], om[prom], pop[prom] ** 0.3, cday[prom], M)
        # ---- traveler sessions -----------------------------------------------
        P = int(N * 0.82)
        cr = S.created[trv]
        alive = (self.end - np.maximum(cr, self.start)) / (self.end - self.start)
        w = np.exp(rng.normal(0, 1.15, n_t)) * alive
        cnt = rng.multinomial(P, w / w.sum())
        act = cnt > 0
        acc, c = trv[act], cnt[act]
        ns = np.maximum(1, np.round(c / (4.5 * np.exp(rng.normal(0, 0.35, c.size))))).astype(
            np.int64
        )
        ns = np.minimum(ns, c)
        s_acc = np.repeat(acc, ns)
        s_off = np.cumsum(ns) - ns
        s_start = self.rts(
            s_acc.size, np.maximum(self.start, S.created[s_acc] + HOUR), self.end, S.market[s_acc]
        )
        s_dest = np.where(
            rng.random(s_acc.size) < 0.55, S.market[s_acc], rng.choice(M, s_acc.size, p=self.mw)
        )
        e_loc = np.repeat(np.arange(acc.size), c)
        e_sess = s_off[e_loc] + (rng.random(e_loc.size) * ns[e_loc]).astype(np.int64)
        order = np.argsort(e_sess, kind="stable")
        e_sess = e_sess[order]
        gaps = rng.exponential(100.0, e_sess.size) * US
        cs = np.cumsum(gaps)
        firstm = np.r_[True, e_sess[1:] != e_sess[:-1]]
        gi = np.cumsum(firstm) - 1
        offs = (cs - cs[firstm][gi]).astype(np.int64)
        ts = s_start[e_sess] + offs
        ea = s_acc[e_sess]
        dest = s_dest[e_sess]
        keep = ts < self.end
        ts, ea, dest = ts[keep], ea[keep], dest[keep]
        n = ts.size
        names = [
            "scan_listing",
            "heart_listing",
            "tap_ad",
            "ask_host",
            "follow_host",
            "reserve",
            "sign_in",
            "redeem_credit",
            "vault_card",
        ]
        mix = [0.55, 0.11, 0.045, 0.07, 0.012, 0.045, 0.15, 0.012, 0.004]
        k = _draw(rng, _cdf(mix), n)
        d = self.day(ts)
        L = self.ls.sample(rng, dest, d)
        tgt = L.copy()
        amt = np.full(n, np.nan)
        m = k == 2
        tgt[m] = self.ads.sample(rng, dest[m], d[m])
        m = (k == 3) | (k == 4)
        tgt[m] = S.I["owner"][L[m]]
        m = k == 6
        dev = np.where(
            (S.I["dev2"][ea] >= 0) & (rng.random(n) < 0.35), S.I["dev2"][ea], S.I["dev"][ea]
        )
        u = rng.random(n)
        net = np.where(
            u < 0.55,
            S.I["net"][ea],
            np.where(u < 0.85, self.car_pick(S.market[ea]), self.car_pick(dest)),
        )
        tgt[m] = np.where(rng.random(n) < 0.5, dev, net)[m]
        m = k == 7
        friend = self.trv_with_code(S.market[ea])
        usecamp = rng.random(n) < 0.8
        tgt[m] = np.where(
            usecamp, self.campaign[_draw(rng, _cdf(camp_pop), n)], S.I["code"][friend]
        )[m]
        amt[m] = np.where(usecamp, rng.choice([25.0, 40.0, 50.0], n), 35.0)[m]
        m = k == 8
        tgt[m] = self.cards_of(ea[m])
        acodes = np.array([self.act[x] for x in names], np.int16)
        res = k == 5
        self.emit(ea[~res], tgt[~res], acodes[k[~res]], ts[~res], amt[~res])
        # reserves with their consequences
        ra, rl, rts = ea[res], tgt[res], ts[res]
        self.stay_chain(ra, rl, rts, src=ORG)
        # ask_host -> replies
        m = k == 3
        qa, qh, qt = ea[m], tgt[m], ts[m]
        rep = rng.random(qa.size) < 0.75
        self.emit(
            qh[rep],
            qa[rep],
            "reply_guest",
            qt[rep] + (np.exp(rng.normal(np.log(40), 1.2, int(rep.sum()))) * MIN).astype(np.int64),
        )
        # hosts: listing creation, edits, sign-ins
        newl_idx = lst[lc >= self.start]
        self.emit(S.I["owner"][newl_idx], newl_idx, "list_property", S.created[newl_idx] + 2 * MIN)
        ke = rng.poisson(2.0, nl)
        la = np.repeat(lst, ke)
        lo = np.maximum(S.created[la] + HOUR, self.start)
        self.emit(
            S.I["owner"][la], la, "edit_listing", self.rts(la.size, lo, self.end, S.market[la])
        )
        hp_k = np.r_[rng.poisson(6, n_h), rng.poisson(35, n_p)]
        ha = np.repeat(hp, hp_k)
        lo = np.maximum(S.created[ha] + HOUR, self.start)
        hts = self.rts(ha.size, lo, self.end, S.market[ha])
        tg = np.where(rng.random(ha.size) < 0.5, S.I["dev"][ha], S.I["net"][ha])
        self.emit(ha, tg, "sign_in", hts)

    def car_pick(self, mk):
        mk = np.asarray(mk, np.int64)
        C = np.array(self.car)
        return C[mk, self.rng.integers(0, 3, mk.size)]

    def trv_with_code(self, mk):
        S = self.S
        if not hasattr(self, "_codepool"):
            wc = self.trv[S.I["code"][self.trv] >= 0]
            self._codepool = Pool(
                [wc[S.market[wc] == m] if np.any(S.market[wc] == m) else wc for m in range(self.M)]
            )
        return self._codepool.pick(self.rng, mk)

    def stay_chain(
        self,
        ra,
        rl,
        rts,
        src=None,
        p_rate=0.62,
        p_guest=0.55,
        stars=None,
        cards=None,
        nights=None,
        p_refund=0.02,
        p_claim=0.004,
        lead=None,
        p_payout=0.8,
    ):
        """reserve + card charge + (review, host review, payout, refund, damage claim)."""
        rng, S = self.rng, self.S
        n = ra.size
        if n == 0:
            return None
        if nights is None:
            nights = np.minimum(rng.geometric(0.38, n), 14)
        amt = np.round(S.F["price"][rl] * nights, 2)
        self.emit(ra, rl, "reserve", rts, amt, src)
        card = (
            cards
            if cards is not None
            else np.where(
                (S.I["card2"][ra] >= 0) & (rng.random(n) < 0.25),
                S.I["card2"][ra],
                self.cards_of(ra),
            )
        )
        self.emit(ra, card, "card_charge", rts + rng.integers(3, 90, n) * US, amt, src)
        if lead is None:
            lead = np.exp(rng.normal(np.log(12), 0.9, n)) * DAY
        cin = rts + lead.astype(np.int64)
        cout = cin + nights * DAY
        host = S.I["owner"][rl]
        m = rng.random(n) < p_rate
        st = self.stars(int(m.sum())) if stars is None else np.broadcast_to(stars, (n,))[m]
        self.emit(
            ra[m],
            rl[m],
            "rate_stay",
            cout[m] + (rng.uniform(0.2, 10, int(m.sum())) * DAY).astype(np.int64),
            st,
            src,
        )
        m = rng.random(n) < p_guest
        gs = np.where(rng.random(n) < 0.85, 5.0, 4.0)[m]
        self.emit(
            host[m],
            ra[m],
            "rate_guest",
            cout[m] + (rng.uniform(0.1, 7, int(m.sum())) * DAY).astype(np.int64),
            gs,
            src,
        )
        m = rng.random(n) < p_payout
        self.emit(
            host[m],
            self.bank_of(host[m]),
            "withdraw",
            cin[m] + (rng.uniform(1, 2, int(m.sum())) * DAY).astype(np.int64),
            np.round(amt[m] * 0.86, 2),
            src,
        )
        m = rng.random(n) < p_refund
        self.emit(
            ra[m],
            rl[m],
            "request_refund",
            rts[m] + (rng.uniform(0.1, 10, int(m.sum())) * DAY).astype(np.int64),
            np.round(amt[m] * rng.uniform(0.3, 1, int(m.sum())), 2),
            src,
        )
        m = rng.random(n) < p_claim
        self.emit(
            host[m],
            ra[m],
            "file_claim",
            cout[m] + (rng.uniform(0.5, 10, int(m.sum())) * DAY).astype(np.int64),
            np.round(np.exp(rng.normal(np.log(300), 0.8, int(m.sum()))), 2),
            src,
        )
        return amt, cin, cout

    def camo_events(self, a, ts):
        rng, S = self.rng, self.S
        n = a.size
        names = ["scan_listing", "heart_listing", "sign_in", "tap_ad", "follow_host", "ask_host"]
        k = _draw(rng, _cdf([0.55, 0.15, 0.17, 0.06, 0.03, 0.04]), n)
        d = self.day(ts)
        m_ = np.where(rng.random(n) < 0.5, S.market[a], rng.choice(self.M, n, p=self.mw))
        L = self.ls.sample(rng, m_, d)
        tgt = L.copy()
        tgt[k >= 4] = S.I["owner"][L[k >= 4]]
        tgt[k == 2] = np.where(rng.random(n) < 0.5, S.I["dev"][a], S.I["net"][a])[k == 2]
        tgt[k == 3] = self.ads.sample(rng, m_[k == 3], d[k == 3])
        self.emit(a, tgt, np.array([self.act[x] for x in names], np.int16)[k], ts, src=CAMO)

    # -- ring helpers -------------------------------------------------------------
    def pick_host(self, r, tname="host", need_new=False, min_listings=1, mark=True, market=None):
        S, rng = self.S, self.rng
        market = r.market if market is None else market
        own = S.I["owner"][self.lst]
        lc = S.created[self.lst]
        if need_new:
            ok = (lc >= self.start + 2 * DAY) & (lc < self.end - 24 * DAY)
        else:
            ok = lc < self.start
        cnt = np.bincount(own[ok], minlength=S.n)
        cand = np.flatnonzero(
            (cnt >= min_listings) & (S.etype[: S.n] == S.code[tname]) & (S.I["used"][: S.n] != 1)
        )
        loc = cand[S.market[cand] == market]
        cand = loc if loc.size else cand
        h = int(rng.choice(cand))
        if mark:
            S.I["used"][h] = 1
        L = self.lst[(own == h) & ok]
        return h, L

    def fraud_host(self, r, n_list=2):
        """a recently created host account with fresh listings (colluding)."""
        S, rng = self.S, self.rng
        f = r.first_ts()
        cr = f - int(rng.uniform(20, 60) * DAY)
        h = self.new_acc("host", [cr], r.market, ring=True)
        lc = cr + (rng.uniform(1, 10, n_list) * DAY).astype(np.int64)
        price = np.round(self.BASE_PRICE[r.market] * rng.uniform(1.2, 2.5, n_list), 0)
        L = S.add("listing", lc, r.market, owner=h[0], price=price)
        m = lc >= self.start
        self.emit(np.full(int(m.sum()), h[0]), L[m], "list_property", lc[m] + 2 * MIN)
        # ordinary travellers still browse the fresh listings (organic background)
        k = int(rng.poisson(25 * max(self.scale, 0.3)))
        v = self.pick_org("traveler", k, r.market, min_ev=1, local=0.5, mark=False)
        lv = L[rng.integers(0, L.size, v.size)]
        tv = self.rts(v.size, np.maximum(S.created[lv] + HOUR, self.start), self.end, S.market[v])
        acts = np.array([self.act["scan_listing"], self.act["heart_listing"]], np.int16)[
            (rng.random(v.size) < 0.2).astype(int)
        ]
        self.emit(v, lv, acts, tv, src=ORG)
        return int(h[0]), L

    def rev(self, actors, listings, ts, stars):
        self.emit(actors, listings, "rate_stay", ts, stars, RING)

    # -- patterns -----------------------------------------------------------------
    def ring_review_ring(self, r):
        rng, S = self.rng, self.S
        v = r.variant
        if v == 0:
            h, L = self.pick_host(r, need_new=True)
            if L.size == 0:
                h, L = self.pick_host(r)
            L = L[:3]
            self.plan(r, lo=int(S.created[L].max()) + DAY, min_bursts=2)
            r.add(h, benef=True)
            r.target(h)
            r.target(L)
            hij, new = self.ring_workers(r, r.size - 1, "traveler", mode="fresh")
            w = np.r_[hij, new]
            devs = self.new_infra("handset", rng.integers(2, 5), r.market)
            nets = self.new_infra("netblock", 1, r.market)
            r.shares = ["handsets", "netblock"]
            self.logins(r, w, 1, 3, devs, nets)
            self.logins(r, [h], 2, 4, devs[:1], None)
            a = np.repeat(w, rng.integers(1, 4, w.size))
            self.emit(a, L[rng.integers(0, L.size, a.size)], "scan_listing", self.rt(r, a, "first"))
            hh = w[rng.random(w.size) < 0.4]
            self.emit(
                hh, L[rng.integers(0, L.size, hh.size)], "heart_listing", self.rt(r, hh, "first")
            )
            ll = L[rng.integers(0, L.size, w.size)]
            t0 = self.rt(r, w, "first")
            nights = np.ones(w.size, np.int64)
            amt = np.round(S.F["price"][ll] * nights, 2)
            self.emit(w, ll, "reserve", t0, amt)
            self.emit(
                w, self.cards_of(w), "card_charge", t0 + rng.integers(5, 60, w.size) * US, amt
            )
            t1 = self.after(r, w, t0, 2, 5)
            st = np.where(rng.random(w.size) < 0.92, 5.0, 4.0)
            self.rev(w, ll, t1, st)
            self.emit(np.full(w.size, h), w, "rate_guest", self.after(r, w, t0, 2, 5), 5.0)
            self.emit(
                [h],
                self.bank_of([h]),
                "withdraw",
                self.rt(r, [h], "last") + 2 * DAY,
                float(amt.sum() * 0.86),
            )
        elif v == 1:
            h, L = self.pick_host(r, tname="propmgr", min_listings=3)
            L = rng.choice(L, min(L.size, int(rng.integers(2, 5))), replace=False)
            self.plan(r)
            r.add(h, benef=True)
            r.target(h)
            r.target(L)
            hij, new = self.ring_workers(r, r.size - 1, "traveler", mode="aged", spread_markets=0.4)
            w = np.r_[hij, new]
            r.shares = []
            self.logins(r, w, 2, 5)
            a = np.repeat(w, rng.integers(2, 7, w.size))
            self.emit(a, L[rng.integers(0, L.size, a.size)], "scan_listing", self.rt(r, a))
            a = np.repeat(w, rng.integers(1, 3, w.size))
            ll = L[rng.integers(0, L.size, a.size)]
            t0 = self.rt(r, a)
            amt, cin, cout = self.stay_chain(
                a,
                ll,
                t0,
                src=RING,
                p_rate=0.0,
                p_guest=0.0,
                p_refund=0,
                p_claim=0,
                lead=rng.uniform(1, 4, a.size) * DAY,
                nights=rng.integers(1, 4, a.size),
            )
            st = np.where(rng.random(a.size) < 0.75, 5.0, 4.0)
            self.rev(a, ll, cout + (rng.uniform(0.3, 3, a.size) * DAY).astype(np.int64), st)
            self.emit(
                np.full(a.size, h),
                a,
                "rate_guest",
                cout + (rng.uniform(0.2, 2, a.size) * DAY).astype(np.int64),
                5.0,
            )
        else:
            victim, VL = self.pick_host(r, min_listings=1, mark=False)
            VL = VL[np.argsort(-S.F["pop"][VL])][:3]
            h, _ = self.pick_host(r, market=r.market)
            self.plan(r, min_bursts=2)
            r.add(h, benef=True)
            r.target(victim)
            r.target(VL)
            hij, new = self.ring_workers(
                r, r.size - 1, "traveler", mode="fresh", spread_markets=0.5
            )
            w = np.r_[hij, new]
            nets = self.new_infra("netblock", rng.integers(1, 3), r.market)
            r.shares = ["netblock"]
            self.logins(r, w, 1, 3, None, nets, p_dev=0.4)
            self.logins(r, [h], 2, 4, None, nets[:1])
            a = np.repeat(w, rng.integers(1, 4, w.size))
            self.emit(
                a, VL[rng.integers(0, VL.size, a.size)], "scan_listing", self.rt(r, a, "first")
            )
            q = w[rng.random(w.size) < 0.5]
            self.emit(q, np.full(q.size, victim), "ask_host", self.rt(r, q, "first"))
            ll = VL[rng.integers(0, VL.size, w.size)]
            t0 = self.rt(r, w, "first")
            amt = np.round(S.F["price"][ll], 2)
            self.emit(w, ll, "reserve", t0, amt)
            self.emit(
                w, self.cards_of(w), "card_charge", t0 + rng.integers(5, 60, w.size) * US, amt
            )
            t1 = self.after(r, w, t0, 1, 4)
            self.rev(w, ll, t1, np.where(rng.random(w.size) < 0.7, 1.0, 2.0))
            m = rng.random(w.size) < 0.5
            self.emit(
                w[m],
                ll[m],
                "request_refund",
                t1[m] + rng.integers(1, 30, int(m.sum())) * MIN,
                amt[m],
            )

    def ring_wash_booking(self, r):
        rng, S = self.rng, self.S
        v = r.variant
        tname = "propmgr" if (v == 2 and rng.random() < 0.5) else "host"
        h, L = self.pick_host(r, tname=tname, min_listings=1)
        L = L[:4]
        self.plan(r, min_bursts=1 if v != 1 else 2)
        r.add(h, benef=True)
        r.target(h)
        r.target(L)
        if v == 0:
            hij, new = self.ring_workers(r, r.size - 1, "traveler", mode="fresh")
            w = np.r_[hij, new]
            cards = self.new_infra("paycard", rng.integers(1, 3), r.market)
            devs = self.new_infra("handset", rng.integers(2, 4), r.market)
            r.shares = ["paycards", "handsets"]
            self.logins(r, w, 1, 3, devs, None)
            self.logins(r, [h], 2, 3, devs[:1], None)
            self.emit(
                w, cards[rng.integers(0, cards.size, w.size)], "vault_card", self.rt(r, w, "first")
            )
            a = np.repeat(w, rng.integers(1, 4, w.size))
            self.emit(a, L[rng.integers(0, L.size, a.size)], "heart_listing", self.rt(r, a))
            a = np.repeat(w, rng.integers(1, 3, w.size))
            ll = L[rng.integers(0, L.size, a.size)]
            t0 = self.rt(r, a)
            nights = rng.integers(3, 8, a.size)
            amt = np.round(S.F["price"][ll] * nights, 2)
            cc = cards[rng.integers(0, cards.size, a.size)]
            self.emit(a, ll, "reserve", t0, amt)
            self.emit(a, cc, "card_charge", t0 + rng.integers(5, 40, a.size) * US, amt)
            m = rng.random(a.size) < 0.6
            self.emit(
                a[m],
                ll[m],
                "request_refund",
                t0[m] + (rng.uniform(1, 20, int(m.sum())) * HOUR).astype(np.int64),
                amt[m],
            )
            self.emit(
                np.full(3, h),
                self.bank_of([h])[[0, 0, 0]],
                "withdraw",
                self.rt(r, [h, h, h]) + DAY,
                np.round(amt.sum() * 0.86 / 3, 2),
            )
        elif v == 1:
            hij, new = self.ring_workers(
                r, r.size - 1, "traveler", mode="fresh", spread_markets=0.6
            )
            w = np.r_[hij, new]
            r.shares = []
            self.logins(r, w, 1, 2)
            a = np.repeat(w, rng.integers(8, 26, w.size))
            self.emit(a, L[rng.integers(0, L.size, a.size)], "scan_listing", self.rt(r, a))
            a = np.repeat(w, rng.integers(3, 11, w.size))
            self.emit(a, L[rng.integers(0, L.size, a.size)], "tap_ad", self.rt(r, a))
            a = np.repeat(w, rng.integers(1, 4, w.size))
            self.emit(a, L[rng.integers(0, L.size, a.size)], "heart_listing", self.rt(r, a))
            f = w[rng.random(w.size) < 0.5]
            self.emit(f, np.full(f.size, h), "follow_host", self.rt(r, f))
        else:
            hij, new = self.ring_workers(
                r, r.size - 1, "traveler", mode="spread", spread_markets=0.3
            )
            w = np.r_[hij, new]
            r.shares = ["netblock(partial)"]
            self.logins(r, w, 2, 5, None, [S.I["net"][h]], p_dev=0.5)
            self.logins(r, w, 1, 3)
            a = np.repeat(w, rng.integers(1, 4, w.size))
            ll = L[rng.integers(0, L.size, a.size)]
            t0 = self.rt(r, a)
            self.stay_chain(
                a,
                ll,
                t0,
                src=RING,
                p_rate=0.8,
                p_guest=0.9,
                stars=5.0,
                p_refund=0.1,
                p_claim=0,
                lead=rng.uniform(0.5, 6, a.size) * DAY,
                nights=rng.integers(1, 4, a.size),
                p_payout=1.0,
            )
            a = np.repeat(w, rng.integers(2, 6, w.size))
            self.emit(a, L[rng.integers(0, L.size, a.size)], "scan_listing", self.rt(r, a))

    def ring_claim_collusion(self, r):
        rng, S = self.rng, self.S
        v = r.variant
        h, L = self.pick_host(r, min_listings=1)
        L = L[:3]
        self.plan(r, min_bursts=2 if v == 0 else 1)
        r.add(h, benef=True)
        r.target(h)
        r.target(L)
        hij, new = self.ring_workers(
            r, r.size - 1, "traveler", mode="fresh" if v != 1 else "spread"
        )
        w = np.r_[hij, new]
        if v == 0:
            cards = self.new_infra("paycard", rng.integers(2, 4), r.market)
            devs = self.new_infra("handset", 2, r.market)
            r.shares = ["paycards", "handsets(with host)"]
            self.logins(r, w, 1, 3, devs, None)
            self.logins(r, [h], 2, 5, devs, None)
            ll = L[rng.integers(0, L.size, w.size)]
            t0 = self.rt(r, w, "first")
            nights = rng.integers(1, 3, w.size)
            amt = np.round(S.F["price"][ll] * nights, 2)
            self.emit(w, ll, "reserve", t0, amt)
            self.emit(
                w,
                cards[rng.integers(0, cards.size, w.size)],
                "card_charge",
                t0 + rng.integers(5, 60, w.size) * US,
                amt,
            )
            t1 = self.after(r, w, t0, 3, 8)
            claim = np.round(np.exp(rng.normal(np.log(900), 0.6, w.size)), 2)
            self.emit(np.full(w.size, h), w, "file_claim", t1, claim)
            m = rng.random(w.size) < 0.5
            self.rev(
                w[m],
                ll[m],
                t1[m] - rng.integers(1, 12, int(m.sum())) * HOUR,
                np.where(rng.random(int(m.sum())) < 0.7, 5.0, 4.0),
            )
            self.emit(
                [h, h],
                self.bank_of([h, h]),
                "withdraw",
                np.sort(self.rt(r, [h, h], "last")) + DAY,
                np.round(claim.sum() / 2, 2),
            )
        elif v == 1:
            r.shares = []
            self.logins(r, w, 2, 4)
            a = np.repeat(w, rng.integers(1, 3, w.size))
            ll = L[rng.integers(0, L.size, a.size)]
            t0 = self.rt(r, a)
            res = self.stay_chain(
                a,
                ll,
                t0,
                src=RING,
                p_rate=0.3,
                p_guest=0.8,
                stars=5.0,
                p_refund=0,
                p_claim=0,
                lead=rng.uniform(2, 8, a.size) * DAY,
                nights=rng.integers(2, 6, a.size),
                p_payout=1.0,
            )
            amt = res[0]
            self.emit(
                a,
                ll,
                "request_refund",
                t0 + (rng.uniform(0.5, 3, a.size) * DAY).astype(np.int64),
                np.round(amt * rng.uniform(0.8, 1, a.size), 2),
            )
        else:
            cards = self.new_infra("paycard", max(2, w.size // 2), r.market)
            nets = self.new_infra("netblock", rng.integers(1, 3), r.market)
            r.shares = ["paycards(pairs)", "netblock"]
            self.logins(r, w, 1, 3, None, nets)
            self.logins(r, [h], 1, 3, None, nets)
            mycard = cards[np.arange(w.size) % cards.size]
            self.emit(w, mycard, "vault_card", self.rt(r, w, "first"))
            a_i = np.repeat(np.arange(w.size), rng.integers(1, 4, w.size))
            a = w[a_i]
            ll = L[rng.integers(0, L.size, a.size)]
            t0 = self.rt(r, a)
            amt = np.round(S.F["price"][ll] * rng.integers(2, 6, a.size), 2)
            self.emit(a, ll, "reserve", t0, amt)
            self.emit(a, mycard[a_i], "card_charge", t0 + rng.integers(5, 60, a.size) * US, amt)
            self.emit(
                a,
                mycard[a_i],
                "dispute_charge",
                t0 + (rng.uniform(2, 30, a.size) * HOUR).astype(np.int64),
                amt,
            )
            self.emit(
                [h],
                self.bank_of([h]),
                "withdraw",
                self.rt(r, [h], "last") + DAY,
                np.round(amt.sum() * 0.86, 2),
            )

    def ring_referral_farm(self, r):
        rng, S = self.rng, self.S
        v = r.variant
        self.plan(r, min_bursts=1)
        if v == 0:
            ref = self.pick_org("traveler", 1, r.market, min_ev=3)
            code = self.S.I["code"][ref]
            if code[0] < 0:
                code = S.add("promo", S.created[ref] + HOUR, S.market[ref], owner=ref)
                S.I["code"][ref] = code
            h, L = self.pick_host(r)
            L = L[:2]
            r.add(ref, hij=False, benef=True)
            r.add(h, benef=True)
            r.target(code)
            r.target(L)
            hij, new = self.ring_workers(
                r, r.size - 2, "traveler", mode="signup", spread_markets=0.1
            )
            w = np.r_[hij, new]
            devs = self.new_infra("handset", rng.integers(1, 4), r.market)
            nets = self.new_infra("netblock", 1, r.market)
            r.shares = ["handsets", "netblock", "promo code"]
            self.logins(r, w, 1, 2, devs, nets)
            self.logins(r, ref, 1, 3, devs[:1], None)
            t0 = self.rt(r, w)
            self.emit(w, np.full(w.size, code[0]), "redeem_credit", t0, 35.0)
            a = np.repeat(w, rng.integers(1, 3, w.size))
            self.emit(a, L[rng.integers(0, L.size, a.size)], "scan_listing", self.rt(r, a))
            b = w[rng.random(w.size) < 0.7]
            ll = L[rng.integers(0, L.size, b.size)]
            tb = self.rt(r, b) + 30 * MIN
            amt = np.round(np.minimum(S.F["price"][ll], 45.0), 2)
            self.emit(b, ll, "reserve", tb, amt)
            self.emit(b, self.cards_of(b), "card_charge", tb + 20 * US, np.round(amt * 0.2, 2))
            self.emit(
                [h],
                self.bank_of([h]),
                "withdraw",
                self.rt(r, [h], "last") + DAY,
                np.round(amt.sum() * 0.86, 2),
            )
        elif v == 1:
            hij, new = self.ring_workers(r, r.size, "traveler", mode="signup", spread_markets=0.3)
            w = np.r_[hij, new]
            codes = np.where(S.I["code"][w] >= 0, S.I["code"][w], -1)
            miss = codes < 0
            codes[miss] = S.add(
                "promo", S.created[w[miss]] + 5 * MIN, S.market[w[miss]], owner=w[miss]
            )
            S.I["code"][w] = codes
            nets = self.new_infra("netblock", 3, r.market)
            r.shares = ["netblocks(proxy)", "referral tree"]
            self.logins(r, w, 1, 3, None, nets, p_dev=0.5)
            # chain/tree: member i redeems the code of an earlier member
            order = np.argsort(S.created[w], kind="stable")
            w = w[order]
            codes = codes[order]
            par = np.array(
                [0] + [int(rng.integers(max(0, i - 4), i)) for i in range(1, w.size)], np.int64
            )
            t0 = np.maximum(self.rt(r, w[1:]), S.created[w[par[1:]]] + 10 * MIN)
            self.emit(w[1:], codes[par[1:]], "redeem_credit", t0, 35.0)
            r.target(codes[np.unique(par[1:])])
            a = np.repeat(w, rng.integers(1, 4, w.size))
            d = self.day(self.rt(r, a))
            self.emit(a, self.ls.sample(rng, -1, d), "scan_listing", self.rt(r, a))
        else:
            ref = self.pick_org("traveler", 1, r.market, min_ev=3)
            code = S.I["code"][ref]
            if code[0] < 0:
                code = S.add("promo", S.created[ref] + HOUR, S.market[ref], owner=ref)
                S.I["code"][ref] = code
            r.add(ref, benef=True)
            r.target(code)
            hij, new = self.ring_workers(
                r, r.size - 1, "traveler", mode="spread", spread_markets=0.5
            )
            w = np.r_[hij, new]
            r.shares = ["promo code"]
            self.logins(r, w, 1, 4)
            t0 = np.maximum(
                self.rt(r, w), S.created[w] + (rng.uniform(5, 180, w.size) * MIN).astype(np.int64)
            )
            self.emit(w, np.full(w.size, code[0]), "redeem_credit", t0, 35.0)
            a = np.repeat(w, rng.integers(1, 4, w.size))
            ta = self.rt(r, a)
            self.emit(a, self.ls.sample(rng, S.market[a], self.day(ta)), "scan_listing", ta)
            b = w[rng.random(w.size) < 0.4]
            tb = self.rt(r, b)
            self.stay_chain(
                b,
                self.ls.sample(rng, S.market[b], self.day(tb)),
                tb,
                src=RING,
                p_refund=0,
                p_claim=0,
            )

    def ring_account_takeover(self, r):
        rng, S = self.rng, self.S
        v = r.variant
        self.plan(r, lo=self.start + 10 * DAY if not r.slow else None, min_bursts=1)
        h, L = self.fraud_host(r, n_list=int(rng.integers(1, 4)))
        r.add(h, benef=True)
        r.target(h)
        r.target(L)
        if v == 0:
            hij, new = self.ring_workers(
                r, r.size - 1, "traveler", hij_frac=0.6, mode="aged", spread_markets=0.3
            )
            w = np.r_[hij, new]
            devs = self.new_infra("handset", rng.integers(1, 3), r.market)
            nets = self.new_infra("netblock", 1, r.market)
            r.shares = ["handsets", "netblock"]
            self.logins(r, w, 1, 3, devs, nets, phase="first")
            self.logins(r, [h], 1, 3, None, nets)
            cards = self.new_infra("paycard", w.size, rng.integers(0, self.M, w.size))
            t0 = self.rt(r, w, "first")
            self.emit(w, cards, "vault_card", t0)
            k = rng.integers(1, 4, w.size)
            a_i = np.repeat(np.arange(w.size), k)
            a = w[a_i]
            ll = L[rng.integers(0, L.size, a.size)]
            tb = t0[a_i] + rng.integers(2, 40, a.size) * MIN
            amt = np.round(S.F["price"][ll] * rng.integers(3, 9, a.size), 2)
            self.emit(a, ll, "reserve", tb, amt)
            self.emit(a, cards[a_i], "card_charge", tb + 15 * US, amt)
            self.emit(
                np.full(2, h),
                self.bank_of([h, h]),
                "withdraw",
                np.sort(self.rt(r, [h, h], "last")) + 6 * HOUR,
                np.round(amt.sum() * 0.43, 2),
            )
        elif v == 1:
            hij, new = self.ring_workers(
                r, r.size - 1, "traveler", mode="fresh", spread_markets=0.4
            )
            w = np.r_[hij, new]
            nets = self.new_infra("netblock", 2, r.market)
            r.shares = ["netblocks", "paycards(stolen, reused)"]
            self.logins(r, w, 1, 3, None, nets)
            cards = self.new_infra(
                "paycard",
                max(2, int(w.size * 1.5)),
                rng.integers(0, self.M, max(2, int(w.size * 1.5))),
            )
            k = rng.integers(2, 5, w.size)
            a = np.repeat(w, k)
            cc = cards[rng.integers(0, cards.size, a.size)]
            t0 = self.rt(r, a)
            self.emit(a, cc, "vault_card", t0)
            amt = np.round(rng.uniform(30, 400, a.size), 2)
            self.emit(a, cc, "card_charge", t0 + rng.integers(1, 30, a.size) * MIN, amt)
            ll = L[rng.integers(0, L.size, a.size)]
            m = rng.random(a.size) < 0.6
            self.emit(
                a[m], ll[m], "reserve", t0[m] + rng.integers(1, 30, int(m.sum())) * MIN, amt[m]
            )
            self.emit(
                [h],
                self.bank_of([h]),
                "withdraw",
                self.rt(r, [h], "last") + 12 * HOUR,
                np.round(amt[m].sum() * 0.86, 2),
            )
        else:
            hij, new = self.ring_workers(
                r, r.size - 1, "traveler", hij_frac=0.5, mode="aged", spread_markets=0.5
            )
            w = np.r_[hij, new]
            r.shares = []
            self.logins(r, w, 2, 4)
            t0 = self.rt(r, w)
            self.emit(
                w,
                self.campaign[rng.integers(0, self.campaign.size, w.size)],
                "redeem_credit",
                t0,
                rng.choice([40.0, 50.0], w.size),
            )
            ll = L[rng.integers(0, L.size, w.size)]
            tb = t0 + rng.integers(5, 240, w.size) * MIN
            self.stay_chain(
                w,
                ll,
                tb,
                src=RING,
                p_rate=0.2,
                p_guest=0.6,
                stars=5.0,
                p_refund=0,
                p_claim=0,
                lead=rng.uniform(1, 5, w.size) * DAY,
                nights=rng.integers(1, 3, w.size),
                p_payout=1.0,
            )
            a = np.repeat(w, rng.integers(1, 4, w.size))
            ta = self.rt(r, a)
            self.emit(a, self.ls.sample(rng, S.market[a], self.day(ta)), "scan_listing", ta)

    # -- negatives ---------------------------------------------------------------
    def negatives(self):
        _rng, _S = self.rng, self.S
        for _ in range(self.n_groups(45)):
            self.neg_family_trip()
        for _ in range(self.n_groups(8)):
            self.neg_corporate()
        for _ in range(self.n_groups(6)):
            self.neg_pm_team()
        for _ in range(self.n_groups(3)):
            self.neg_festival()
        for _ in range(self.n_groups(6)):
            self.neg_coliving()
        for _ in range(self.n_groups(14)):
            self.neg_loyal()
        for _ in range(self.n_groups(10)):
            self.neg_friends_launch()
        for _ in range(self.n_groups(4)):
            self.neg_campus()
        for _ in range(self.n_groups(2)):
            self.neg_storm()

    def _win_rt(self, acc, lo, hi):
        acc = np.atleast_1d(acc)
        lo = np.maximum(_i64(lo, acc.size), self.S.created[acc] + HOUR)
        return self.rts(
            acc.size, lo, np.maximum(_i64(hi, acc.size), lo + 2 * HOUR), self.S.market[acc]
        )

    def neg_family_trip(self):
        rng, S = self.rng, self.S
        org = self.pick_org("traveler", 1, min_ev=2)
        m = int(S.market[org[0]])
        k = int(rng.integers(2, 8))
        ex = self.pick_org("traveler", int(round(k * 0.6)), m, min_ev=1, local=1.0)
        t0 = self.start + int(rng.uniform(0, self.DAYS - 12) * DAY)
        newm = self.new_acc(
            "traveler", t0 - (rng.uniform(0, 5, k - ex.size) * DAY).astype(np.int64), m
        )
        S.I["used"][newm] = 1
        fam = np.r_[org, ex, newm]
        S.I["net"][newm] = S.I["net"][org[0]]
        home = S.I["net"][org[0]]
        shared_dev = S.I["dev"][org[0]]
        a = np.repeat(fam, rng.integers(1, 5, fam.size))
        ts = self._win_rt(a, t0, t0 + 4 * DAY)
        self.emit(
            a,
            np.where(
                rng.random(a.size) < 0.6,
                home,
                np.where(rng.random(a.size) < 0.3, shared_dev, S.I["dev"][a]),
            ),
            "sign_in",
            ts,
            src=NEG,
        )
        dest = int(rng.choice(self.M, p=self.mw))
        L = self.ls.sample(rng, np.full(3, dest), self.day(np.full(3, t0)))
        a = np.repeat(fam, rng.integers(1, 5, fam.size))
        self.emit(
            a,
            L[rng.integers(0, 3, a.size)],
            "scan_listing",
            self._win_rt(a, t0, t0 + 4 * DAY),
            src=NEG,
        )
        a = fam[rng.random(fam.size) < 0.5]
        self.emit(
            a, np.full(a.size, L[0]), "heart_listing", self._win_rt(a, t0, t0 + 4 * DAY), src=NEG
        )
        tb = self._win_rt(org, t0 + 2 * DAY, t0 + 5 * DAY)
        nights = int(rng.integers(2, 8))
        amt, cin, cout = self.stay_chain(
            org,
            L[:1],
            tb,
            src=NEG,
            p_rate=1.0,
            p_guest=0.9,
            stars=5.0,
            nights=np.array([nights]),
            p_refund=0,
            p_claim=0,
        )
        rv = fam[1:][rng.random(fam.size - 1) < 0.35]
        self.emit(
            rv,
            np.full(rv.size, L[0]),
            "rate_stay",
            cout[0] + (rng.uniform(0.2, 6, rv.size) * DAY).astype(np.int64),
            np.where(rng.random(rv.size) < 0.8, 5.0, 4.0),
            NEG,
        )
        self.group("family_trip", fam, [home, shared_dev, L[0]])

    def neg_corporate(self):
        rng, _S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        k = int(rng.integers(8, 41))
        emp = self.pick_org("traveler", k, m, min_ev=1, local=0.9)
        card = self.new_infra("paycard", 1, m, self.start - 200 * DAY)
        net = self.new_infra("netblock", 1, m)
        self.emit(
            emp,
            np.full(emp.size, card[0]),
            "vault_card",
            self._win_rt(emp, self.start, self.start + 10 * DAY),
            src=NEG,
        )
        a = np.repeat(emp, rng.integers(2, 8, emp.size))
        self.emit(
            a, np.full(a.size, net[0]), "sign_in", self._win_rt(a, self.start, self.end), src=NEG
        )
        dest = rng.choice(self.M, 2, p=self.mw)
        off_t = self.start + int(rng.uniform(5, self.DAYS - 15) * DAY)
        team = emp[rng.random(emp.size) < 0.5]
        hotel = self.ls.sample(rng, np.full(3, dest[0]), self.day(np.full(3, off_t)))
        tb = self._win_rt(team, off_t, off_t + DAY)
        self.stay_chain(
            team,
            hotel[rng.integers(0, 3, team.size)],
            tb,
            src=NEG,
            cards=np.full(team.size, card[0]),
            nights=np.full(team.size, 3),
            lead=np.full(team.size, 14.0 * DAY),
            p_rate=0.4,
            p_refund=0.01,
        )
        a = np.repeat(emp, rng.integers(1, 3, emp.size))
        ta = self._win_rt(a, self.start, self.end - 5 * DAY)
        la = self.ls.sample(rng, dest[rng.integers(0, 2, a.size)], self.day(ta))
        self.stay_chain(a, la, ta, src=NEG, cards=np.full(a.size, card[0]), p_rate=0.3)
        self.group("corporate_travel", emp, [card[0], net[0]])

    def neg_pm_team(self):
        rng, S = self.rng, self.S
        own = S.I["owner"][self.lst]
        pms = self.pmg[S.I["used"][self.pmg] != 1]
        if pms.size == 0:
            return
        p = int(rng.choice(pms))
        S.I["used"][p] = 1
        m = int(S.market[p])
        k = int(rng.integers(3, 9))
        co = self.pick_org("host", k // 2, m, min_ev=1, local=1.0)
        newc = self.new_acc(
            "host", self.start - (rng.uniform(10, 400, k - co.size) * DAY).astype(np.int64), m
        )
        S.I["used"][newc] = 1
        team = np.r_[co, newc]
        office = S.I["net"][p]
        devs = self.new_infra("handset", 2, m)
        L = self.lst[own == p]
        a = np.repeat(team, rng.integers(5, 20, team.size))
        self.emit(
            a,
            np.where(rng.random(a.size) < 0.7, office, devs[rng.integers(0, 2, a.size)]),
            "sign_in",
            self._win_rt(a, self.start, self.end),
            src=NEG,
        )
        a = np.repeat(team, rng.integers(5, 25, team.size))
        self.emit(
            a,
            L[rng.integers(0, L.size, a.size)],
            "edit_listing",
            self._win_rt(a, self.start, self.end),
            src=NEG,
        )
        nl = int(rng.integers(2, 8))
        ta = self.start + int(rng.uniform(3, self.DAYS - 10) * DAY)
        NL = S.add(
            "listing",
            ta + rng.integers(0, 6 * HOUR, nl),
            m,
            owner=p,
            price=np.round(self.BASE_PRICE[m] * rng.uniform(0.7, 1.4, nl), 0),
        )
        cre = team[rng.integers(0, team.size, nl)]
        self.emit(cre, NL, "list_property", S.created[NL] + MIN, src=NEG)
        g = self.pick_org("traveler", int(rng.integers(10, 40)), m, min_ev=1, mark=False)
        a = team[rng.integers(0, team.size, g.size)]
        self.emit(a, g, "reply_guest", self._win_rt(a, self.start, self.end), src=NEG)
        bank = self.bank_of([p])[0]
        a = team[rng.integers(0, team.size, 6)]
        self.emit(
            a,
            np.full(6, bank),
            "withdraw",
            self._win_rt(a, self.start, self.end),
            np.round(rng.uniform(800, 6000, 6), 2),
            NEG,
        )
        self.group("property_manager_team", np.r_[p, team], [office, bank, *devs])

    def neg_festival(self):
        rng, S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        k = int(rng.integers(30, 151) * max(0.4, self.gscale))
        fans = self.pick_org("traveler", k, m, min_ev=1, local=0.4)
        t0 = self.start + int(rng.uniform(3, self.DAYS - 25) * DAY)
        t0 = ((t0 + self.moff[m] * MIN) // DAY) * DAY - self.moff[m] * MIN + 10 * HOUR
        fest = t0 + int(rng.uniform(10, 20) * DAY)
        tb = np.maximum(
            t0 + (rng.exponential(1.5, fans.size) * HOUR).astype(np.int64), S.created[fans] + HOUR
        )
        pool = self.ls.sample(rng, np.full(60, m), self.day(np.full(60, t0)))
        ll = pool[rng.integers(0, pool.size, fans.size)]
        a = np.repeat(fans, 3)
        self.emit(
            a,
            pool[rng.integers(0, pool.size, a.size)],
            "scan_listing",
            np.repeat(tb, 3) - rng.integers(1, 40, a.size) * MIN,
            src=NEG,
        )
        self.stay_chain(
            fans,
            ll,
            tb,
            src=NEG,
            lead=(fest - tb).astype(float) + rng.uniform(0, 1, fans.size) * DAY,
            nights=rng.integers(2, 5, fans.size),
            p_rate=0.55,
        )
        self.group("festival_week", fans, np.unique(ll))

    def neg_coliving(self):
        rng, S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        k = int(rng.integers(12, 51))
        res = self.pick_org("traveler", k, m, min_ev=1, local=0.5)
        net = self.new_infra("netblock", 1, m)
        kiosk = self.new_infra("handset", 1, m)
        a = np.repeat(res, rng.integers(3, 15, res.size))
        u = rng.random(a.size)
        self.emit(
            a,
            np.where(u < 0.75, net[0], np.where(u < 0.85, kiosk[0], S.I["dev"][a])),
            "sign_in",
            self._win_rt(a, self.start, self.end),
            src=NEG,
        )
        a = np.repeat(res, rng.integers(2, 10, res.size))
        ta = self._win_rt(a, self.start, self.end)
        self.emit(
            a,
            self.ls.sample(rng, rng.choice(self.M, a.size, p=self.mw), self.day(ta)),
            "scan_listing",
            ta,
            src=NEG,
        )
        self.group("coliving_shared_wifi", res, [net[0], kiosk[0]])

    def neg_loyal(self):
        rng, _S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        h, L = self.pick_host(Ring(0, 0, "", 0, "", True), market=m)
        k = int(rng.integers(4, 16))
        g = self.pick_org("traveler", k, None, min_ev=1)
        a = np.repeat(g, rng.integers(1, 4, g.size))
        ta = self._win_rt(a, self.start, self.end - 10 * DAY)
        self.stay_chain(
            a,
            L[rng.integers(0, L.size, a.size)],
            ta,
            src=NEG,
            p_rate=0.85,
            p_guest=0.95,
            stars=np.where(rng.random(a.size) < 0.9, 5.0, 4.0),
            p_refund=0,
            p_claim=0,
        )
        f = g[rng.random(g.size) < 0.6]
        self.emit(
            f, np.full(f.size, h), "follow_host", self._win_rt(f, self.start, self.end), src=NEG
        )
        q = np.repeat(g, rng.integers(0, 4, g.size))
        tq = self._win_rt(q, self.start, self.end)
        self.emit(q, np.full(q.size, h), "ask_host", tq, src=NEG)
        self.emit(
            np.full(q.size, h), q, "reply_guest", tq + rng.integers(5, 300, q.size) * MIN, src=NEG
        )
        self.group("loyal_regulars", np.r_[h, g], L)

    def neg_friends_launch(self):
        rng, S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        lc = self.start + int(rng.uniform(1, self.DAYS - 25) * DAY)
        h = self.new_acc("host", [lc - int(rng.uniform(1, 60) * DAY)], m)
        S.I["used"][h] = 1
        L = S.add(
            "listing",
            [lc],
            m,
            owner=h[0],
            price=np.round(self.BASE_PRICE[m] * rng.uniform(0.8, 1.3), 0),
        )
        self.emit(h, L, "list_property", [lc + MIN], src=NEG)
        k = int(rng.integers(5, 15))
        ex = self.pick_org("traveler", int(round(k * 0.6)), m, min_ev=1, local=0.85)
        nw = self.new_acc(
            "traveler", lc + (rng.uniform(-3, 7, k - ex.size) * DAY).astype(np.int64), m
        )
        S.I["used"][nw] = 1
        fr = np.r_[ex, nw]
        a = np.repeat(fr, rng.integers(1, 4, fr.size))
        self.emit(
            a, np.full(a.size, L[0]), "scan_listing", self._win_rt(a, lc, lc + 5 * DAY), src=NEG
        )
        hn = S.I["net"][h[0]]
        v = fr[rng.random(fr.size) < 0.35]
        self.emit(v, np.full(v.size, hn), "sign_in", self._win_rt(v, lc, lc + 20 * DAY), src=NEG)
        b = fr[rng.random(fr.size) < 0.7]
        tb = self._win_rt(b, lc, lc + 8 * DAY)
        self.stay_chain(
            b,
            np.full(b.size, L[0]),
            tb,
            src=NEG,
            p_rate=0.9,
            p_guest=1.0,
            stars=5.0,
            lead=rng.uniform(1, 7, b.size) * DAY,
            nights=rng.integers(1, 4, b.size),
            p_refund=0,
            p_claim=0,
        )
        hs = np.repeat(h, 4)
        self.emit(
            hs,
            np.where(rng.random(4) < 0.5, S.I["dev"][hs], hn),
            "sign_in",
            self._win_rt(hs, lc - DAY, lc + 20 * DAY),
            src=NEG,
        )
        self.group("friends_first_guests", np.r_[h, fr], [L[0], hn])

    def neg_campus(self):
        rng, S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        amb = self.pick_org("traveler", 1, m, min_ev=2)
        code = S.I["code"][amb]
        if code[0] < 0:
            code = S.add("promo", S.created[amb] + HOUR, m, owner=amb)
            S.I["code"][amb] = code
        net = self.new_infra("netblock", 1, m)
        t0 = self.start + int(rng.uniform(2, self.DAYS - 10) * DAY)
        t0 = ((t0 + self.moff[m] * MIN) // DAY) * DAY - self.moff[m] * MIN + 11 * HOUR
        k = int(rng.integers(15, 61) * max(0.5, self.gscale))
        nn = int(k * 0.6)
        nw = self.new_acc("traveler", t0 + (rng.uniform(0, 2 * DAY, nn)).astype(np.int64), m)
        S.I["used"][nw] = 1
        S.I["net"][nw] = net[0]
        ex = self.pick_org("traveler", k - nn, m, min_ev=1, local=1.0)
        st = np.r_[ex, nw]
        tr = np.maximum(S.created[st] + (rng.uniform(2, 60, st.size) * MIN).astype(np.int64), t0)
        self.emit(st, np.full(st.size, code[0]), "redeem_credit", tr, 35.0, NEG)
        self.emit(
            st,
            np.where(rng.random(st.size) < 0.8, net[0], S.I["dev"][st]),
            "sign_in",
            tr - 2 * MIN,
            src=NEG,
        )
        a = np.repeat(st, rng.integers(1, 6, st.size))
        ta = self._win_rt(a, t0, self.end)
        self.emit(
            a,
            self.ls.sample(rng, rng.choice(self.M, a.size, p=self.mw), self.day(ta)),
            "scan_listing",
            ta,
            src=NEG,
        )
        b = st[rng.random(st.size) < 0.2]
        tb = self._win_rt(b, t0, self.end)
        self.stay_chain(b, self.ls.sample(rng, S.market[b], self.day(tb)), tb, src=NEG)
        self.group("campus_ambassador", np.r_[amb, st], [code[0], net[0]])

    def neg_storm(self):
        rng, _S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        k = int(rng.integers(20, 71) * max(0.5, self.gscale))
        g = self.pick_org("traveler", k, m, min_ev=1, local=0.3)
        storm = self.start + int(rng.uniform(20, self.DAYS - 4) * DAY)
        tb = self._win_rt(g, self.start, storm - 3 * DAY)
        ll = self.ls.sample(rng, np.full(g.size, m), self.day(tb))
        amt, cin, cout = self.stay_chain(
            g,
            ll,
            tb,
            src=NEG,
            p_rate=0,
            p_guest=0,
            p_refund=0,
            p_claim=0,
            p_payout=0,
            lead=(storm - tb + rng.uniform(0, 2, g.size) * DAY).astype(float),
        )
        tr = storm + (rng.exponential(8, g.size) * HOUR).astype(np.int64)
        self.emit(g, ll, "request_refund", tr, amt, NEG)
        self.group("storm_cancellations", g, np.unique(ll))


# ============================================================================
# music
# ============================================================================
class Music(Base):
    PLATFORM = "music"
    SALT = 4202
    MARKETS = [
        ("BR", -180, 0.22),
        ("DE", 120, 0.16),
        ("US", -300, 0.28),
        ("JP", 540, 0.12),
        ("IN", 330, 0.14),
        ("NG", 60, 0.08),
    ]
    START = "2024-09-02T00:00:00"
    DAYS = 42
    TYPES = [
        ("listener", "LSN", "account"),
        ("artist", "ART", "account"),
        ("imprint", "IMP", "account"),
        ("track", "TRK", "item"),
        ("record", "REC", "item"),
        ("crate", "CRT", "content"),
        ("liveroom", "LVR", "live"),
        ("player", "PLY", "device"),
        ("netrange", "NRG", "device"),
        ("billcard", "BCD", "payout_account"),
        ("royaltybank", "RBK", "payout_account"),
        ("giftcode", "GFT", "coupon"),
    ]
    ACTIONS = [
        ("play", "engagement"),
        ("skip", "view"),
        ("stash", "engagement"),
        ("crate_add", "engagement"),
        ("crate_spin", "engagement"),
        ("crate_follow", "follow"),
        ("fan", "follow"),
        ("beam", "engagement"),
        ("tap_beam", "click"),
        ("peek_record", "view"),
        ("buy_record", "purchase"),
        ("enroll", "purchase"),
        ("add_card", "own"),
        ("join_household", "own"),
        ("gift_buy", "gift"),
        ("gift_redeem", "claim"),
        ("tip", "gift"),
        ("tune_in", "view"),
        ("go_live", "own"),
        ("drop", "own"),
        ("ship_record", "own"),
        ("cash_out", "payout"),
        ("sign_in", "login"),
    ]
    HOUR_WD = [
        1.6,
        1.0,
        0.6,
        0.4,
        0.4,
        0.7,
        1.8,
        3.6,
        4.6,
        3.8,
        3.2,
        3.2,
        3.6,
        3.4,
        3.2,
        3.4,
        3.8,
        4.6,
        5.0,
        4.6,
        4.4,
        4.2,
        3.6,
        2.6,
    ]
    HOUR_WE = [
        2.6,
        2.0,
        1.4,
        0.9,
        0.6,
        0.6,
        0.8,
        1.4,
        2.2,
        3.0,
        3.6,
        4.0,
        4.2,
        4.2,
        4.2,
        4.2,
        4.2,
        4.4,
        4.6,
        4.6,
        4.6,
        4.4,
        4.0,
        3.4,
    ]
    DOW = [1.0, 1.0, 1.0, 1.02, 1.12, 1.08, 0.95]
    DEV, NET, CARD, BANK = "player", "netrange", "billcard", "royaltybank"
    AUTO = ("user", "listener_", "spotter", "fan")
    BIZ_SUFFIX = {
        "imprint": ["Records", "Music", "Sound", "Audio", "Tunes", "Label Group", "Distribution"],
        "artist": ["Beats", "Collective", "Trio", "Sound System", "Project", "& Friends"],
    }
    PLANS = np.array([10.99, 14.99, 5.99, 16.99])
    PATTERNS = [
        ("stream_farm", [("device_farm", False), ("proxy_phones", False), ("thin_spread", True)]),
        (
            "playlist_stuffing",
            [("curator_stuffing", False), ("crate_follow_boost", False), ("slow_curation", True)],
        ),
        (
            "follower_farm",
            [("follow_burst", False), ("follow_circle", False), ("slow_follow_drip", True)],
        ),
        (
            "royalty_laundering",
            [("giftcode_wash", False), ("tip_wash", False), ("record_buyback", True)],
        ),
        (
            "family_plan_abuse",
            [("slot_resale", False), ("stolen_card_households", False), ("ghost_members", True)],
        ),
    ]

    # -- organic -------------------------------------------------------------------
    def organic(self):
        rng, S, N, M = self.rng, self.S, self.N, self.M
        n_l, n_a, n_i = max(2000, N // 42), max(120, N // 420), max(8, N // 25000)
        exp_acc = (n_l + n_a) * self.mw
        self.res = Pool(
            [
                self.new_infra("netrange", max(8, int(x / 2.2)), m, self.start - 3000 * DAY)
                for m, x in enumerate(exp_acc)
            ]
        )
        self.car = np.array(
            [self.new_infra("netrange", 3, m, self.start - 3000 * DAY) for m in range(M)]
        )
        lm = rng.choice(M, n_l, p=self.mw)
        lsn = self.new_acc("listener", self.created_org(n_l, 0.032, 900), lm)
        am = np.where(rng.random(n_a) < 0.25, 2, rng.choice(M, n_a, p=self.mw))
        art = self.new_acc("artist", self.created_org(n_a, 0.01, 1500), am, kind="artist")
        im = rng.choice(M, n_i, p=self.mw)
        imp = self.new_acc("imprint", self.created_org(n_i, 0.0, 3000), im, kind="imprint")
        S.I["net"][imp] = [self.new_infra("netrange", 1, m)[0] for m in im]
        S.I["parent"][art] = imp[_draw(rng, _cdf(_zipf(rng, n_i, 1.0)), n_a)]
        self.lsn, self.art, self.imp = lsn, art, imp
        spk = lsn[rng.random(n_l) < 0.28]
        S.I["dev2"][spk] = S.add("player", S.created[spk], S.market[spk])
        sub = lsn[rng.random(n_l) < 0.52]
        S.I["card"][sub] = S.add("billcard", S.created[sub], S.market[sub])
        S.I["plan"][sub] = _draw(rng, _cdf([0.7, 0.08, 0.12, 0.1]), sub.size)
        ab = np.r_[art, imp]
        S.I["bank"][ab] = S.add("royaltybank", S.created[ab], S.market[ab])
        # catalogue
        apop = np.exp(rng.normal(0, 1.6, n_a))
        S.F["pop"][art] = apop
        nrec = 1 + rng.poisson(1.3 + 2.0 * (apop > 1), n_a)
        r_art = np.repeat(art, nrec)
        nr = r_art.size
        rtype = _draw(rng, _cdf([0.45, 0.25, 0.3]), nr)
        ntr = np.where(
            rtype == 0, 1, np.where(rtype == 1, rng.integers(4, 7, nr), rng.integers(8, 16, nr))
        )
        ac = S.created[r_art]
        newr = (rng.random(nr) < 0.05) & (ac < self.end - 7 * DAY)
        fri_w = rng.integers(0, self.DAYS // 7, nr)
        off = self.moff[S.market[r_art]] * MIN
        rel = self.start + (4 + 7 * fri_w) * DAY - off + rng.integers(0, 10, nr) * MIN
        oldc = ac + (rng.random(nr) * np.maximum(self.start - ac, DAY)).astype(np.int64)
        rc = np.where(newr, np.maximum(rel, ac + DAY), oldc)
        rec = S.add(
            "record", rc, S.market[r_art], owner=r_art, price=np.where(ntr == 1, 1.29, 9.99)
        )
        t_rec = np.repeat(rec, ntr)
        t_art = np.repeat(r_art, ntr)
        nt = t_rec.size
        tlen = np.clip(np.exp(rng.normal(np.log(205), 0.22, nt)), 90, 480).round()
        trk = S.add(
            "track", S.created[t_rec], S.market[t_art], owner=t_art, parent=t_rec, tlen=tlen
        )
        # within-artist zipf ranks
        o = np.lexsort((rng.random(nt), t_art))
        ta_sorted = t_art[o]
        startpos = np.flatnonzero(np.r_[True, ta_sorted[1:] != ta_sorted[:-1]])
        grp = np.cumsum(np.r_[True, ta_sorted[1:] != ta_sorted[:-1]]) - 1
        rank = np.empty(nt)
        rank[o] = np.arange(nt) - startpos[grp] + 1
        tpop = apop[t_art - art[0]] * rank**-0.9 * np.exp(rng.normal(0, 0.5, nt))
        S.F["pop"][trk] = tpop
        self.trk, self.rec = trk, rec
        cday = (S.created[trk] - self.start) / DAY
        self.ts_ = DaySampler(trk, S.market[trk], tpop, cday, M, boost=6.0, tau=4.0)
        # artist -> tracks sorted by pop (for favourites)
        o2 = np.lexsort((-tpop, t_art))
        self.a_trk = trk[o2]
        cnt = np.bincount(t_art - art[0], minlength=n_a)
        self.a_cnt = cnt
        self.a_off = np.cumsum(cnt) - cnt
        # crates: editorial + user
        ne = max(15, N // 50000)
        ed = S.add("crate", np.full(ne, self.start - 400 * DAY), rng.integers(0, M, ne))
        uo = lsn[rng.random(n_l) < 0.12]
        uc = S.add("crate", S.created[uo] + DAY, S.market[uo], owner=uo)
        S.I["code"][uo] = uc
        crates = np.r_[ed, uc]
        cpop = np.r_[_zipf(rng, ne, 1.0) * 40, np.exp(rng.normal(-1, 1, uc.size))]
        S.F["pop"][crates] = cpop
        self.editorial = ed
        self.cs = DaySampler(
            crates, S.market[crates], cpop, (S.created[crates] - self.start) / DAY, M
        )
        # favourites
        apc = _cdf(apop**0.8)
        self.fav = art[_draw(rng, apc, 2 * n_l)].reshape(n_l, 2)
        loc = rng.random((n_l, 2)) < 0.5
        art_by_m = Pool(
            [art[S.market[art] == m] if np.any(S.market[art] == m) else art for m in range(M)]
        )
        self.art_by_m = art_by_m
        self.fav[loc] = art_by_m.pick(rng, np.repeat(lm, 2).reshape(n_l, 2)[loc])
        # ---- listener sessions ------------------------------------------------------
        P = int(N * 0.93)
        cr = S.created[lsn]
        alive = (self.end - np.maximum(cr, self.start)) / (self.end - self.start)
        w = np.exp(rng.normal(0, 1.3, n_l)) * alive
        self.lw = w
        cnt = rng.multinomial(P, w / w.sum())
        act = cnt > 0
        acc, c = lsn[act], cnt[act]
        ns = np.maximum(1, np.round(c / (9 * np.exp(rng.normal(0, 0.4, c.size))))).astype(np.int64)
        ns = np.minimum(ns, c)
        s_acc = np.repeat(acc, ns)
        s_off = np.cumsum(ns) - ns
        s_start = self.rts(
            s_acc.size, np.maximum(self.start, S.created[s_acc] + HOUR), self.end, S.market[s_acc]
        )
        e_loc = np.repeat(np.arange(acc.size), c)
        e_sess = np.sort(s_off[e_loc] + (rng.random(e_loc.size) * ns[e_loc]).astype(np.int64))
        gaps = rng.exponential(170.0, e_sess.size) * US
        cs = np.cumsum(gaps)
        firstm = np.r_[True, e_sess[1:] != e_sess[:-1]]
        gi = np.cumsum(firstm) - 1
        ts = s_start[e_sess] + (cs - cs[firstm][gi]).astype(np.int64)
        ea = s_acc[e_sess]
        keep = ts < self.end
        ts, ea = ts[keep], ea[keep]
        n = ts.size
        names = [
            "play",
            "skip",
            "stash",
            "crate_add",
            "crate_spin",
            "crate_follow",
            "fan",
            "beam",
            "tap_beam",
            "peek_record",
            "buy_record",
            "sign_in",
            "tip",
        ]
        mix = [
            0.60,
            0.17,
            0.035,
            0.012,
            0.03,
            0.006,
            0.012,
            0.006,
            0.006,
            0.028,
            0.0015,
            0.07,
            0.0008,
        ]
        k = _draw(rng, _cdf(mix), n)
        d = self.day(ts)
        mk = np.where(rng.random(n) < 0.7, S.market[ea], -1)
        T = self.ts_.sample(rng, mk, d)
        # favourites
        li = ea - lsn[0]
        fa = self.fav[li, rng.integers(0, 2, n)]
        fi = fa - art[0]
        ok = self.a_cnt[fi] > 0
        ft = self.a_trk[
            self.a_off[fi]
            + np.minimum(
                (rng.random(n) ** 2.5 * self.a_cnt[fi]).astype(np.int64),
                np.maximum(self.a_cnt[fi] - 1, 0),
            )
        ]
        usef = ok & (rng.random(n) < 0.3) & (S.created[ft] < ts)
        T = np.where(usef, ft, T)
        tgt = T.copy()
        amt = np.full(n, np.nan)
        L = S.F["tlen"][T]
        m = k == 0
        amt[m] = np.where(rng.random(n) < 0.58, L, rng.uniform(30, np.maximum(L, 31)))[m].round()
        m = k == 1
        amt[m] = (1 + 28 * rng.random(n) ** 1.5)[m].round()
        m = (k == 4) | (k == 5)
        tgt[m] = self.cs.sample(
            rng, np.where(rng.random(int(m.sum())) < 0.5, -1, S.market[ea[m]]), d[m]
        )
        m = (k == 6) | (k == 12)
        tgt[m] = np.where(rng.random(n) < 0.5, fa, S.I["owner"][T])[m]
        amt[k == 12] = np.round(np.exp(rng.normal(np.log(5), 0.6, int((k == 12).sum()))), 0)
        m = (k == 9) | (k == 10)
        tgt[m] = S.I["parent"][T[m]]
        amt[k == 10] = S.F["price"][tgt[k == 10]]
        m = k == 11
        u = rng.random(n)
        dev = np.where(
            (S.I["dev2"][ea] >= 0) & (rng.random(n) < 0.4), S.I["dev2"][ea], S.I["dev"][ea]
        )
        net = np.where(u < 0.6, S.I["net"][ea], self.car[S.market[ea], rng.integers(0, 3, n)])
        tgt[m] = np.where(rng.random(n) < 0.6, dev, net)[m]
        acodes = np.array([self.act[x] for x in names], np.int16)
        self.emit(ea, tgt, acodes[k], ts, amt)
        # ---- subscriptions --------------------------------------------------------------
        sub = lsn[S.I["card"][lsn] >= 0]
        dom = rng.integers(1, 29, sub.size)
        off = self.moff[S.market[sub]] * MIN
        for mon in (
            datetime(2024, 9, 1, tzinfo=timezone.utc),
            datetime(2024, 10, 1, tzinfo=timezone.utc),
        ):
            t = (
                int(mon.timestamp()) * US
                + (dom - 1) * DAY
                - off
                + rng.integers(1 * HOUR, 5 * HOUR, sub.size)
            )
            ok = (t >= self.start) & (t < self.end) & (t > S.created[sub])
            self.emit(
                sub[ok], S.I["card"][sub[ok]], "enroll", t[ok], self.PLANS[S.I["plan"][sub[ok]]]
            )
        nw = sub[S.created[sub] >= self.start]
        self.emit(
            nw,
            S.I["card"][nw],
            "add_card",
            S.created[nw] + rng.integers(10 * MIN, 3 * DAY, nw.size),
        )
        cc = sub[rng.random(sub.size) < 0.02]
        self.emit(cc, S.I["card"][cc], "add_card", self._win_rt(cc, self.start, self.end))
        # ---- gifts ------------------------------------------------------------------------
        gb = lsn[rng.random(n_l) < 0.006]
        gb = np.repeat(gb, rng.integers(1, 3, gb.size))
        tg = self._win_rt(gb, self.start, self.end - DAY)
        codes = S.add("giftcode", tg - MIN, S.market[gb])
        gamt = rng.choice([10.0, 25.0, 50.0], gb.size)
        self.emit(gb, codes, "gift_buy", tg, gamt)
        red = rng.random(gb.size) < 0.7
        rcv = self.lsn_pick(S.market[gb[red]])
        self.emit(
            rcv,
            codes[red],
            "gift_redeem",
            tg[red] + (rng.uniform(0.05, 12, int(red.sum())) * DAY).astype(np.int64),
            gamt[red],
        )
        # ---- live rooms --------------------------------------------------------------------
        nrm = max(8, N // 3000)
        ra = art[_draw(rng, _cdf(apop**0.8), nrm)]
        rs = self._win_rt(ra, self.start, self.end - 3 * HOUR)
        dur = rng.uniform(30, 120, nrm) * MIN
        rooms = S.add("liveroom", rs - MIN, S.market[ra], owner=ra)
        self.emit(ra, rooms, "go_live", rs)
        tot = int(N * 0.012)
        rw = S.F["pop"][ra] ** 0.8 * np.exp(rng.normal(0, 0.6, nrm))
        rc_ = rng.multinomial(tot, rw / rw.sum())
        ri = np.repeat(np.arange(nrm), rc_)
        who = self.lsn_pick(
            np.where(rng.random(ri.size) < 0.8, S.market[ra[ri]], rng.choice(M, ri.size, p=self.mw))
        )
        self.emit(
            who, rooms[ri], "tune_in", rs[ri] + (rng.random(ri.size) * dur[ri]).astype(np.int64)
        )
        # ---- artists & imprints --------------------------------------------------------------
        newt = trk[S.created[trk] >= self.start]
        self.emit(
            S.I["owner"][newt], newt, "drop", S.created[newt] + rng.integers(0, 120, newt.size) * US
        )
        newr_i = rec[S.created[rec] >= self.start]
        ip = S.I["parent"][S.I["owner"][newr_i]]
        self.emit(
            ip,
            newr_i,
            "ship_record",
            S.created[newr_i] - (rng.uniform(1, 7, newr_i.size) * DAY).astype(np.int64),
        )
        q = np.argsort(np.argsort(apop)) / n_a
        k_co = np.where(q > 0.5, 1 + (q > 0.9), 0)
        ca = np.repeat(art, k_co)
        self.emit(
            ca,
            S.I["bank"][ca],
            "cash_out",
            self._win_rt(ca, self.start, self.end),
            np.round(S.F["pop"][ca] * 120 * np.exp(rng.normal(0, 0.4, ca.size)), 2),
        )
        ci = np.repeat(imp, rng.poisson(2, n_i))
        self.emit(
            ci,
            S.I["bank"][ci],
            "cash_out",
            self._win_rt(ci, self.start, self.end),
            np.round(np.exp(rng.normal(np.log(8000), 1, ci.size)), 2),
        )
        sa = np.r_[np.repeat(art, rng.poisson(4, n_a)), np.repeat(imp, rng.poisson(18, n_i))]
        self.emit(
            sa,
            np.where(rng.random(sa.size) < 0.5, S.I["dev"][sa], S.I["net"][sa]),
            "sign_in",
            self._win_rt(sa, self.start, self.end),
        )
        fa_ = np.repeat(art, rng.poisson(0.4, n_a))
        self.emit(
            fa_, art[_draw(rng, apc, fa_.size)], "fan", self._win_rt(fa_, self.start, self.end)
        )

    def lsn_pick(self, mk):
        S = self.S
        if not hasattr(self, "_lsn_cdf"):
            self._lsn_cdf = []
            for m in range(self.M):
                sel = self.lsn[S.market[self.lsn] == m]
                self._lsn_cdf.append((sel, _cdf(self.lw[sel - self.lsn[0]] + 1e-3)))
        mk = np.atleast_1d(np.asarray(mk, np.int64))
        out = np.empty(mk.size, np.int64)
        for m in range(self.M):
            i = np.flatnonzero(mk == m)
            sel, cdf = self._lsn_cdf[m]
            out[i] = sel[_draw(self.rng, cdf, i.size)]
        return out

    def _win_rt(self, acc, lo, hi):
        acc = np.atleast_1d(acc)
        lo = np.maximum(_i64(lo, acc.size), self.S.created[acc] + HOUR)
        return self.rts(
            acc.size, lo, np.maximum(_i64(hi, acc.size), lo + 2 * HOUR), self.S.market[acc]
        )

    def plays(self, a, t, ts, mode="organic", src=None):
        rng, S = self.rng, self.S
        L = S.F["tlen"][t]
        n = a.size
        if mode == "farm":
            amt = rng.integers(31, 61, n).astype(float)
        elif mode == "farm90":
            amt = rng.integers(31, 91, n).astype(float)
        elif mode == "full":
            amt = np.where(rng.random(n) < 0.9, L, rng.uniform(60, np.maximum(L, 61))).round()
        else:
            amt = np.where(rng.random(n) < 0.58, L, rng.uniform(30, np.maximum(L, 31))).round()
        self.emit(a, t, "play", ts, np.minimum(amt, L), src)

    def camo_events(self, a, ts):
        rng, S = self.rng, self.S
        n = a.size
        names = ["play", "skip", "stash", "fan", "crate_spin", "sign_in"]
        k = _draw(rng, _cdf([0.6, 0.18, 0.07, 0.03, 0.06, 0.06]), n)
        d = self.day(ts)
        T = self.ts_.sample(rng, np.where(rng.random(n) < 0.5, S.market[a], -1), d)
        tgt = T.copy()
        L = S.F["tlen"][T]
        amt = np.full(n, np.nan)
        amt[k == 0] = np.where(rng.random(n) < 0.55, L, rng.uniform(30, np.maximum(L, 31)))[
            k == 0
        ].round()
        amt[k == 1] = rng.integers(1, 30, n)[k == 1]
        tgt[k == 3] = S.I["owner"][T[k == 3]]
        m = k == 4
        tgt[m] = self.cs.sample(rng, -1, d[m])
        tgt[k == 5] = np.where(rng.random(n) < 0.5, S.I["dev"][a], S.I["net"][a])[k == 5]
        self.emit(a, tgt, np.array([self.act[x] for x in names], np.int16)[k], ts, amt, CAMO)

    # -- ring helpers -----------------------------------------------------------------
    def pick_artist(self, r, lo=0.35, hi=0.9, min_tracks=3, market=None, mark=True):
        S, rng = self.S, self.rng
        art = self.art
        q = np.argsort(np.argsort(S.F["pop"][art])) / art.size
        old_cnt = np.bincount(
            S.I["owner"][self.trk[S.created[self.trk] < self.start]] - art[0], minlength=art.size
        )
        ok = (q >= lo) & (q <= hi) & (old_cnt >= min_tracks) & (S.I["used"][art] != 1)
        cand = art[ok]
        if cand.size == 0:
            cand = art[(S.I["used"][art] != 1) & (old_cnt >= 1)]
        mk = r.market if market is None else market
        loc = cand[S.market[cand] == mk]
        a = int(rng.choice(loc if loc.size else cand))
        if mark:
            S.I["used"][a] = 1
        return a

    def artist_tracks(self, a, k, old=True):
        S = self.S
        i = a - self.art[0]
        T = self.a_trk[self.a_off[i] : self.a_off[i] + self.a_cnt[i]]
        if old:
            T = T[S.created[T] < self.start]
        return T[:k]

    # -- patterns -------------------------------------------------------------------------
    def ring_stream_farm(self, r):
        rng, S = self.rng, self.S
        v = r.variant
        self.plan(r, bots=(v == 0), min_bursts=1)
        A = self.pick_artist(r)
        T = self.artist_tracks(A, int(rng.integers(4, 13)))
        r.add(A, benef=True)
        r.target(A)
        r.target(T)
        sc = float(np.clip((self.N / 1e6) ** 0.3, 0.45, 1.2))
        if v == 0:
            hij, new = self.ring_workers(
                r, r.size - 1, "listener", mode="fresh", spread_markets=0.15
            )
            w = np.r_[hij, new]
            devs = self.new_infra("player", rng.integers(2, 6), r.market)
            nets = self.new_infra("netrange", 1, r.market)
            r.shares = ["players", "netrange"]
            self.logins(r, w, 1, 3, devs, nets)
            self.logins(r, [A], 1, 2, None, nets)
            a = np.repeat(
                w, (rng.integers(40, 120, w.size) * sc * len(r.bursts) / 2).astype(np.int64) + 5
            )
            self.plays(a, T[rng.integers(0, T.size, a.size)], self.rt(r, a), "farm")
        elif v == 1:
            hij, new = self.ring_workers(
                r, r.size - 1, "listener", mode="fresh", spread_markets=0.35
            )
            w = np.r_[hij, new]
            nets = self.new_infra("netrange", rng.integers(4, 9), r.market)
            r.shares = ["netranges(rotating)"]
            self.logins(r, w, 2, 4, None, nets, p_dev=0.4)
            a = np.repeat(w, (rng.integers(30, 90, w.size) * sc).astype(np.int64) + 5)
            ta = self.rt(r, a)
            mine = rng.random(a.size) < 0.72
            pop = self.ts_.sample(rng, -1, self.day(ta))
            tt = np.where(mine, T[rng.integers(0, T.size, a.size)], pop)
            self.plays(a, tt, ta, "farm90")
            s = np.repeat(w, rng.integers(1, 4, w.size))
            self.emit(s, T[rng.integers(0, T.size, s.size)], "stash", self.rt(r, s))
        else:
            hij, new = self.ring_workers(
                r, r.size - 1, "listener", hij_frac=0.3, mode="aged", spread_markets=0.5
            )
            w = np.r_[hij, new]
            r.shares = []
            self.logins(r, w, 2, 6)
            a = np.repeat(w, (rng.integers(25, 70, w.size) * sc).astype(np.int64) + 3)
            ta = self.rt(r, a)
            mode = rng.random(a.size) < 0.7
            tt = T[rng.integers(0, T.size, a.size)]
            self.plays(a[mode], tt[mode], ta[mode], "farm")
            self.plays(a[~mode], tt[~mode], ta[~mode], "organic")
        self.emit(
            [A],
            S.I["bank"][[A]],
            "cash_out",
            (r.s1 if r.slow else r.bursts[-1][1]) + 3 * DAY,
            np.round(rng.uniform(200, 2000), 2),
        )

    def ring_playlist_stuffing(self, r):
        rng, S = self.rng, self.S
        v = r.variant
        self.plan(r, min_bursts=1 if v != 1 else 2)
        ims = self.imp[S.I["used"][self.imp] != 1]
        Lb = int(rng.choice(ims if ims.size else self.imp))
        S.I["used"][Lb] = 1
        r.add(Lb, benef=True)
        r.target(Lb)
        arts = self.art[(S.I["parent"][self.art] == Lb) & (S.I["used"][self.art] != 1)]
        if arts.size == 0:
            arts = np.array([self.pick_artist(r, mark=False)])
        arts = arts[np.argsort(S.F["pop"][arts])][: max(2, arts.size // 2)]
        T = np.concatenate([self.artist_tracks(a, 6) for a in arts[:8]])
        if T.size == 0:
            T = self.artist_tracks(self.pick_artist(r), 6)
        T = T[:30]
        r.target(T)
        if v == 0:
            hij, new = self.ring_workers(
                r, r.size - 1, "listener", mode="fresh", spread_markets=0.3
            )
            w = np.r_[hij, new]
            crates = np.where(S.I["code"][w] >= 0, S.I["code"][w], -1)
            miss = crates < 0
            crates[miss] = S.add(
                "crate", self.rt(r, w[miss], "first") - 10 * MIN, S.market[w[miss]], owner=w[miss]
            )
            S.I["code"][w] = crates
            r.target(crates)
            nets = self.new_infra("netrange", 1, r.market)
            r.shares = ["netrange"]
            self.logins(r, w, 1, 3, None, nets)
            a = np.repeat(w, rng.integers(8, 26, w.size))
            self.emit(a, T[rng.integers(0, T.size, a.size)], "crate_add", self.rt(r, a))
            f = np.repeat(w, rng.integers(3, 7, w.size))
            self.emit(
                f, crates[rng.integers(0, crates.size, f.size)], "crate_follow", self.rt(r, f)
            )
            p = np.repeat(w, rng.integers(5, 20, w.size))
            self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p), "farm")
        elif v == 1:
            C = S.add("crate", [r.bursts[0][0] - DAY], S.market[Lb], owner=Lb)
            r.target(C)
            self.emit(
                np.full(T.size, Lb),
                T,
                "crate_add",
                r.bursts[0][0] - DAY + rng.integers(1, 60, T.size) * MIN,
            )
            hij, new = self.ring_workers(
                r, r.size - 1, "listener", mode="fresh", spread_markets=0.2
            )
            w = np.r_[hij, new]
            devs = self.new_infra("player", 3, r.market)
            nets = self.new_infra("netrange", 1, r.market)
            r.shares = ["players", "netrange"]
            self.logins(r, w, 1, 3, devs, nets)
            self.emit(w, np.full(w.size, C[0]), "crate_follow", self.rt(r, w, "first"))
            s = np.repeat(w, rng.integers(3, 11, w.size))
            self.emit(s, np.full(s.size, C[0]), "crate_spin", self.rt(r, s))
            p = np.repeat(w, rng.integers(10, 30, w.size))
            self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p), "farm")
        else:
            hij, new = self.ring_workers(r, r.size - 1, "listener", mode="aged", spread_markets=0.4)
            w = np.r_[hij, new]
            crates = np.where(S.I["code"][w] >= 0, S.I["code"][w], -1)
            miss = crates < 0
            crates[miss] = S.add(
                "crate", S.created[w[miss]] + DAY, S.market[w[miss]], owner=w[miss]
            )
            S.I["code"][w] = crates
            r.target(crates)
            r.shares = []
            self.logins(r, w, 2, 5)
            a = np.repeat(w, rng.integers(4, 12, w.size))
            self.emit(a, T[rng.integers(0, T.size, a.size)], "crate_add", self.rt(r, a))
            b = np.repeat(w, rng.integers(6, 20, w.size))
            tb = self.rt(r, b)
            self.emit(b, self.ts_.sample(rng, -1, self.day(tb)), "crate_add", tb)
            s = np.repeat(w, rng.integers(2, 8, w.size))
            self.emit(s, S.I["code"][s], "crate_spin", self.rt(r, s))
            p = np.repeat(w, rng.integers(5, 15, w.size))
            self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p), "organic")
        self.emit(
            [Lb],
            S.I["bank"][[Lb]],
            "cash_out",
            (r.s1 if r.slow else r.bursts[-1][1]) + 2 * DAY,
            np.round(rng.uniform(1000, 9000), 2),
        )

    def ring_follower_farm(self, r):
        rng, _S = self.rng, self.S
        v = r.variant
        self.plan(r, min_bursts=1 if v != 1 else 2)
        if v == 1:
            na = int(min(max(3, r.size // 5), 8))
            arts = np.array(
                [
                    self.pick_artist(
                        r, lo=0.1, hi=0.7, min_tracks=1, market=int(rng.choice(self.M, p=self.mw))
                    )
                    for _ in range(na)
                ]
            )
            r.add(arts, benef=True)
            r.target(arts)
            T = np.concatenate([self.artist_tracks(a, 3) for a in arts])
            r.target(T)
            hij, new = self.ring_workers(
                r, max(2, r.size - na), "listener", mode="fresh", spread_markets=0.5
            )
            w = np.r_[hij, new]
            nets = self.new_infra("netrange", rng.integers(1, 3), r.market)
            r.shares = ["netrange", "mutual fans"]
            self.logins(r, w, 1, 3, None, nets)
            self.logins(r, arts, 1, 3, None, nets)
            aa = np.repeat(arts, na)
            bb = np.tile(arts, na)
            m = aa != bb
            self.emit(aa[m], bb[m], "fan", self.rt(r, aa[m]))
            a = np.repeat(w, na)
            self.emit(a, np.tile(arts, w.size), "fan", self.rt(r, a))
            s = np.repeat(w, rng.integers(2, 6, w.size))
            self.emit(s, T[rng.integers(0, T.size, s.size)], "stash", self.rt(r, s))
            p = np.repeat(w, rng.integers(2, 8, w.size))
            self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p), "farm90")
            return
        A = self.pick_artist(r, lo=0.2, hi=0.8)
        T = self.artist_tracks(A, 6)
        r.add(A, benef=True)
        r.target(A)
        r.target(T)
        if v == 0:
            hij, new = self.ring_workers(
                r, r.size - 1, "listener", mode="fresh", spread_markets=0.2
            )
            w = np.r_[hij, new]
            devs = self.new_infra("player", rng.integers(2, 5), r.market)
            nets = self.new_infra("netrange", 1, r.market)
            r.shares = ["players", "netrange"]
            self.logins(r, w, 1, 2, devs, nets)
            self.emit(w, np.full(w.size, A), "fan", self.rt(r, w))
            s = np.repeat(w, rng.integers(2, 6, w.size))
            self.emit(s, T[rng.integers(0, T.size, s.size)], "stash", self.rt(r, s))
            p = np.repeat(w, rng.integers(1, 4, w.size))
            self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p), "farm")
        else:
            hij, new = self.ring_workers(r, r.size - 1, "listener", mode="aged", spread_markets=0.5)
            w = np.r_[hij, new]
            r.shares = []
            self.logins(r, w, 1, 4)
            self.emit(w, np.full(w.size, A), "fan", self.rt(r, w))
            s = np.repeat(w, rng.integers(1, 4, w.size))
            self.emit(s, T[rng.integers(0, T.size, s.size)], "stash", self.rt(r, s))
            b = np.repeat(w, rng.integers(0, 3, w.size))
            tb = self.rt(r, b)
            bt = T[rng.integers(0, T.size, b.size)]
            self.emit(b, bt, "beam", tb)
            c = w[rng.integers(0, w.size, b.size)]
            self.emit(c, bt, "tap_beam", tb + rng.integers(5, 600, b.size) * MIN)
            p = np.repeat(w, rng.integers(3, 10, w.size))
            self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p), "organic")

    def ring_royalty_laundering(self, r):
        rng, S = self.rng, self.S
        v = r.variant
        self.plan(r, min_bursts=2 if v == 0 else 1)
        A = self.pick_artist(r, lo=0.05, hi=0.6, min_tracks=2)
        T = self.artist_tracks(A, 8)
        r.add(A, benef=True)
        r.target(A)
        r.target(T)
        bank = S.I["bank"][A]
        if v == 0:
            nb = int(np.clip(r.size // 8, 1, 3))
            hij, new = self.ring_workers(
                r, r.size - 1, "listener", mode="fresh", spread_markets=0.3
            )
            w = np.r_[new, hij]
            buyers, red = w[:nb], w[nb:]
            if red.size == 0:
                red = buyers
            cards = self.new_infra("billcard", rng.integers(3, 7), rng.integers(0, self.M, 6)[:1])
            nets = self.new_infra("netrange", 1, r.market)
            devs = self.new_infra("player", 1, r.market)
            r.shares = ["netrange", "billcards(stolen)", "player(buyers)"]
            self.logins(r, buyers, 2, 4, devs, nets, phase="first")
            self.logins(r, red, 1, 3, None, nets)
            bc = buyers[rng.integers(0, nb, cards.size)]
            self.emit(bc, cards, "add_card", self.rt(r, bc, "first"))
            codes = S.add("giftcode", np.full(red.size, r.bursts[0][0]), r.market)
            gb = buyers[rng.integers(0, nb, red.size)]
            tg = self.rt(r, gb, "first")
            gamt = rng.choice([25.0, 50.0, 100.0], red.size)
            self.emit(gb, codes, "gift_buy", tg, gamt)
            tr = np.maximum(self.rt(r, red, "last"), tg + 10 * MIN)
            self.emit(red, codes, "gift_redeem", tr, gamt)
            p = np.repeat(red, rng.integers(15, 50, red.size))
            self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p, "last"), "full")
            r.target(codes)
            self.emit(
                [A, A],
                [bank, bank],
                "cash_out",
                np.array([r.bursts[-1][1] + DAY, r.bursts[-1][1] + 4 * DAY]),
                np.round(gamt.sum() * np.array([0.3, 0.35]), 2),
            )
        elif v == 1:
            hij, new = self.ring_workers(
                r, r.size - 1, "listener", mode="fresh", spread_markets=0.3
            )
            w = np.r_[hij, new]
            cards = self.new_infra("billcard", max(2, w.size // 2), r.market)
            nets = self.new_infra("netrange", 2, r.market)
            r.shares = ["netranges", "billcards(shared by 2-3)"]
            self.logins(r, w, 1, 3, None, nets)
            mc = cards[np.arange(w.size) % cards.size]
            self.emit(w, mc, "add_card", self.rt(r, w, "first"))
            a_i = np.repeat(np.arange(w.size), rng.integers(3, 11, w.size))
            ta = self.rt(r, w[a_i])
            amt = np.round(np.exp(rng.normal(np.log(20), 0.8, a_i.size)).clip(5, 100), 0)
            self.emit(w[a_i], np.full(a_i.size, A), "tip", ta, amt)
            p = np.repeat(w, rng.integers(3, 10, w.size))
            self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p), "full")
            self.emit(
                [A], [bank], "cash_out", [r.bursts[-1][1] + DAY], [np.round(amt.sum() * 0.9, 2)]
            )
        else:
            hij, new = self.ring_workers(
                r, r.size - 1, "listener", mode="spread", spread_markets=0.5
            )
            w = np.r_[hij, new]
            r.shares = []
            self.logins(r, w, 1, 4)
            self.emit(new, self.cards_of(new), "add_card", self.rt(r, new))
            R = np.unique(S.I["parent"][T])
            a = np.repeat(w, rng.integers(1, 5, w.size))
            rr = R[rng.integers(0, R.size, a.size)]
            ta = self.rt(r, a)
            self.emit(a, rr, "peek_record", ta - rng.integers(1, 20, a.size) * MIN)
            self.emit(a, rr, "buy_record", ta, S.F["price"][rr])
            p = np.repeat(w, rng.integers(5, 20, w.size))
            self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p), "full")
            b2 = self.bank_of([A])[0]
            extra = S.add("royaltybank", [r.s0], S.market[A])
            self.emit(
                [A, A, A],
                [b2, extra[0], extra[0]],
                "cash_out",
                np.sort(self.rt(r, [A, A, A])),
                np.round(rng.uniform(150, 900, 3), 2),
            )

    def ring_family_plan_abuse(self, r):
        rng, S = self.rng, self.S
        v = r.variant
        self.plan(r, min_bursts=1 if v != 1 else 2)
        if v == 0:
            nh = int(np.clip(r.size // 12, 1, 2))
            heads = self.ring_workers(
                r, nh, "listener", hij_frac=0, mode="fresh", spread_markets=0
            )[1]
            for h in heads:
                r.benef.append(int(h))
            ncard = max(1, (r.size - nh + 4) // 5)
            cards = self.new_infra("billcard", ncard, r.market)
            r.target(cards)
            ch = heads[np.arange(ncard) % nh]
            tc = self.rt(r, ch, "first")
            self.emit(ch, cards, "add_card", tc - 5 * MIN)
            self.emit(ch, cards, "enroll", tc, 16.99)
            hij, new = self.ring_workers(
                r, r.size - nh, "listener", mode="fresh", spread_markets=0.85
            )
            w = np.r_[hij, new]
            r.shares = ["billcards(family plans)"]
            mc = cards[np.arange(w.size) % ncard]
            self.emit(
                w,
                mc,
                "join_household",
                np.maximum(self.rt(r, w), tc[np.arange(w.size) % ncard] + 5 * MIN),
            )
            self.logins(r, np.r_[heads, w], 1, 3)
            p = np.repeat(w, rng.integers(5, 25, w.size))
            tp = self.rt(r, p)
            self.plays(p, self.ts_.sample(rng, S.market[p], self.day(tp)), tp, "organic")
        else:
            A = self.pick_artist(r)
            T = self.artist_tracks(A, 8)
            r.add(A, benef=True)
            r.target(A)
            r.target(T)
            if v == 1:
                hij, new = self.ring_workers(
                    r, r.size - 1, "listener", mode="fresh", spread_markets=0.3
                )
                w = np.r_[new, hij]
                nh = max(1, w.size // 5)
                heads = w[:nh]
                cards = self.new_infra("billcard", nh, rng.integers(0, self.M, nh))
                r.target(cards)
                tc = self.rt(r, heads, "first")
                self.emit(heads, cards, "add_card", tc - 3 * MIN)
                self.emit(heads, cards, "enroll", tc, 16.99)
                mem = w[nh:]
                mc_i = np.arange(mem.size) % nh
                self.emit(
                    mem,
                    cards[mc_i],
                    "join_household",
                    np.maximum(self.rt(r, mem, "first"), tc[mc_i] + 5 * MIN),
                )
                devs = self.new_infra("player", rng.integers(2, 5), r.market)
                r.shares = ["billcards(stolen)", "players"]
                self.logins(r, w, 1, 3, devs, None)
                p = np.repeat(w, rng.integers(20, 60, w.size))
                self.plays(p, T[rng.integers(0, T.size, p.size)], self.rt(r, p, "notfirst"), "farm")
            else:
                hd = self.ring_workers(r, 1, "listener", hij_frac=0, mode="aged", spread_markets=0)[
                    1
                ]
                r.benef.append(int(hd[0]))
                nc = int(rng.integers(2, 5))
                cards = self.new_infra("billcard", nc, r.market)
                r.target(cards)
                self.emit(
                    np.full(nc, hd[0]), cards, "enroll", self.rt(r, np.full(nc, hd[0])), 16.99
                )
                hij, new = self.ring_workers(
                    r, r.size - 2, "listener", hij_frac=0.3, mode="aged", spread_markets=0.5
                )
                w = np.r_[hij, new]
                r.shares = ["billcards(family plans)"]
                self.emit(w, cards[np.arange(w.size) % nc], "join_household", self.rt(r, w) + DAY)
                self.logins(r, w, 2, 5)
                p = np.repeat(w, rng.integers(8, 30, w.size))
                tp = self.rt(r, p) + DAY
                self.plays(p, T[rng.integers(0, T.size, p.size)], tp, "farm")

    # -- negatives ------------------------------------------------------------------------
    def negatives(self):
        for _ in range(self.n_groups(6)):
            self.neg_release_day()
        for _ in range(self.n_groups(35)):
            self.neg_family()
        for _ in range(self.n_groups(8)):
            self.neg_venue()
        for _ in range(self.n_groups(6)):
            self.neg_fan_club()
        for _ in range(self.n_groups(3)):
            self.neg_radio_crate()
        for _ in range(self.n_groups(3)):
            self.neg_campus()
        for _ in range(self.n_groups(3)):
            self.neg_corporate_gifts()
        for _ in range(self.n_groups(5)):
            self.neg_sleep_loop()
        for _ in range(self.n_groups(3)):
            self.neg_collective()
        for _ in range(self.n_groups(3)):
            self.neg_label_showcase()

    def neg_release_day(self):
        rng, S = self.rng, self.S
        newrec = self.rec[
            (S.created[self.rec] >= self.start) & (S.created[self.rec] < self.end - 5 * DAY)
        ]
        ow = S.I["owner"][newrec]
        ok = newrec[(S.I["used"][ow] != 1)]
        if ok.size == 0:
            return
        R = int(ok[np.argmax(S.F["pop"][S.I["owner"][ok]] * rng.random(ok.size))])
        A = int(S.I["owner"][R])
        S.I["used"][A] = 1
        T = self.trk[S.I["parent"][self.trk] == R]
        k = int(rng.integers(80, 300) * max(0.35, self.gscale))
        fans = self.pick_org("listener", k, int(S.market[A]), min_ev=2, local=0.6)
        rel = S.created[R]
        first = rel + (rng.exponential(2.5, fans.size) * HOUR).astype(np.int64)
        first = np.maximum(first, S.created[fans] + HOUR)
        self.emit(fans, np.full(fans.size, R), "peek_record", first, src=NEG)
        a_i = np.repeat(np.arange(fans.size), rng.integers(3, 25, fans.size))
        tp = first[a_i] + (rng.exponential(18, a_i.size) * HOUR).astype(np.int64)
        self.plays(fans[a_i], T[rng.integers(0, T.size, a_i.size)], tp, "full", src=NEG)
        f = fans[rng.random(fans.size) < 0.4]
        self.emit(
            f,
            np.full(f.size, A),
            "fan",
            rel + (rng.exponential(6, f.size) * HOUR).astype(np.int64),
            src=NEG,
        )
        s = np.repeat(fans, rng.integers(0, 3, fans.size))
        self.emit(
            s,
            T[rng.integers(0, T.size, s.size)],
            "stash",
            rel + (rng.exponential(10, s.size) * HOUR).astype(np.int64),
            src=NEG,
        )
        self.group("release_day", np.r_[A, fans], np.r_[R, T])

    def neg_family(self):
        rng, S = self.rng, self.S
        head = self.pick_org("listener", 1, min_ev=2)
        m = int(S.market[head[0]])
        k = int(rng.integers(1, 6))
        ex = self.pick_org("listener", k // 2, m, min_ev=1, local=1.0)
        t0 = self.start + int(rng.uniform(0, self.DAYS - 5) * DAY)
        nw = self.new_acc(
            "listener", t0 + (rng.uniform(0, 2, k - ex.size) * DAY).astype(np.int64), m
        )
        S.I["used"][nw] = 1
        mem = np.r_[ex, nw]
        card = self.new_infra("billcard", 1, m, t0 - DAY)
        spk = S.I["dev2"][head[0]]
        if spk < 0:
            spk = S.add("player", [S.created[head[0]]], m)[0]
            S.I["dev2"][head[0]] = spk
        home = S.I["net"][head[0]]
        S.I["net"][nw] = home
        self.emit(head, card, "add_card", [max(t0 - 10 * MIN, S.created[head[0]] + HOUR)], src=NEG)
        self.emit(head, card, "enroll", [t0], 16.99, NEG)
        tj = np.maximum(
            t0 + (rng.uniform(0.1, 3, mem.size) * DAY).astype(np.int64), S.created[mem] + 10 * MIN
        )
        self.emit(mem, np.full(mem.size, card[0]), "join_household", tj, src=NEG)
        allm = np.r_[head, mem]
        a = np.repeat(allm, rng.integers(3, 12, allm.size))
        u = rng.random(a.size)
        self.emit(
            a,
            np.where(u < 0.45, spk, np.where(u < 0.8, home, S.I["dev"][a])),
            "sign_in",
            self._win_rt(a, t0, self.end),
            src=NEG,
        )
        p = np.repeat(allm, rng.integers(10, 40, allm.size))
        tp = self._win_rt(p, t0, self.end)
        fam_art = self.fav[head[0] - self.lsn[0]]
        tt = np.where(
            rng.random(p.size) < 0.4,
            self.a_trk[
                self.a_off[fam_art[0] - self.art[0]]
                + rng.integers(0, max(1, self.a_cnt[fam_art[0] - self.art[0]]), p.size)
            ],
            self.ts_.sample(rng, m, self.day(tp)),
        )
        self.plays(p, tt, tp, "organic", NEG)
        self.group("family_plan", allm, [card[0], spk, home])

    def neg_venue(self):
        rng, S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        k = int(rng.integers(3, 13))
        staff = self.pick_org("listener", k, m, min_ev=1, local=1.0)
        spk = self.new_infra("player", 1, m)
        net = self.new_infra("netrange", 1, m)
        crate = self.editorial[rng.integers(0, self.editorial.size)]
        pl_tr = self.ts_.sample(rng, np.full(40, m), np.zeros(40, np.int64))
        days = np.arange(self.DAYS)
        opening = rng.integers(7, 11)
        sh = rng.integers(0, staff.size, self.DAYS)
        day0 = ((self.start + days * DAY + self.moff[m] * MIN) // DAY) * DAY - self.moff[m] * MIN
        t_open = day0 + opening * HOUR
        self.emit(staff[sh], np.full(self.DAYS, spk[0]), "sign_in", t_open, src=NEG)
        self.emit(staff[sh], np.full(self.DAYS, net[0]), "sign_in", t_open + MIN, src=NEG)
        self.emit(staff[sh], np.full(self.DAYS, crate), "crate_spin", t_open + 2 * MIN, src=NEG)
        per = int(rng.integers(8, 30) * max(0.4, min(1.0, self.scale)))
        d_i = np.repeat(days, per)
        seq = np.tile(np.arange(per), self.DAYS)
        L = S.F["tlen"][pl_tr]
        tt = pl_tr[(seq + d_i) % pl_tr.size]
        tp = t_open[d_i] + 3 * MIN + (seq * (np.mean(L) + 5) * US).astype(np.int64)
        self.plays(staff[sh[d_i]], tt, tp, "full", NEG)
        self.group("venue_speaker", staff, [spk[0], net[0]])

    def neg_fan_club(self):
        rng, S = self.rng, self.S
        r0 = Ring(0, 0, "", 0, "", True)
        r0.market = int(rng.choice(self.M, p=self.mw))
        A = self.pick_artist(r0, lo=0.5, hi=0.97)
        T = self.artist_tracks(A, 12, old=False)
        k = int(rng.integers(20, 80) * max(0.4, self.gscale))
        fans = self.pick_org("listener", k, int(S.market[A]), min_ev=3, local=0.5)
        p = np.repeat(fans, rng.integers(20, 90, fans.size))
        tp = self._win_rt(p, self.start, self.end)
        tt = T[np.minimum((rng.random(p.size) ** 2 * T.size).astype(np.int64), T.size - 1)]
        ok = S.created[tt] < tp
        self.plays(p[ok], tt[ok], tp[ok], "organic", NEG)
        self.emit(
            fans, np.full(fans.size, A), "fan", self._win_rt(fans, self.start, self.end), src=NEG
        )
        b = np.repeat(fans, rng.integers(0, 4, fans.size))
        tb = self._win_rt(b, self.start, self.end)
        bt = T[rng.integers(0, T.size, b.size)]
        ok = S.created[bt] < tb
        self.emit(b[ok], bt[ok], "beam", tb[ok], src=NEG)
        c = fans[rng.integers(0, fans.size, int(ok.sum()))]
        self.emit(c, bt[ok], "tap_beam", tb[ok] + rng.integers(2, 300, c.size) * MIN, src=NEG)
        rs = self._win_rt(np.array([A]), self.start + 5 * DAY, self.end - DAY)
        room = S.add("liveroom", rs - MIN, S.market[A], owner=A)
        self.emit([A], room, "go_live", rs, src=NEG)
        tu = fans[rng.random(fans.size) < 0.6]
        self.emit(
            tu,
            np.full(tu.size, room[0]),
            "tune_in",
            rs[0] + rng.integers(0, 60, tu.size) * MIN,
            src=NEG,
        )
        tp = tu[rng.random(tu.size) < 0.2]
        self.emit(
            tp,
            np.full(tp.size, A),
            "tip",
            rs[0] + rng.integers(5, 60, tp.size) * MIN,
            rng.choice([2.0, 5.0, 10.0], tp.size),
            NEG,
        )
        self.group("fan_club", np.r_[A, fans], np.r_[T, room])

    def neg_radio_crate(self):
        rng, _S = self.rng, self.S
        C = int(self.editorial[rng.integers(0, self.editorial.size)])
        m = int(rng.choice(self.M, p=self.mw))
        tr = self.ts_.sample(rng, np.full(40, m), np.zeros(40, np.int64))
        k = int(rng.integers(40, 200) * max(0.35, self.gscale))
        ls = self.pick_org("listener", k, m, min_ev=2, local=0.7)
        s_i = np.repeat(np.arange(ls.size), rng.integers(2, 11, ls.size))
        ts = self._win_rt(ls[s_i], self.start, self.end)
        self.emit(ls[s_i], np.full(s_i.size, C), "crate_spin", ts, src=NEG)
        per = 8
        p_i = np.repeat(np.arange(s_i.size), per)
        pos = (
            np.repeat(rng.integers(0, 40, s_i.size), per) + np.tile(np.arange(per), s_i.size)
        ) % 40
        tp = ts[p_i] + np.tile(np.arange(per), s_i.size) * 200 * US + MIN
        self.plays(ls[s_i[p_i]], tr[pos], tp, "organic", NEG)
        f = ls[rng.random(ls.size) < 0.5]
        self.emit(
            f, np.full(f.size, C), "crate_follow", self._win_rt(f, self.start, self.end), src=NEG
        )
        self.group("radio_crate", ls, np.r_[C, np.unique(tr)])

    def neg_campus(self):
        rng, S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        net = self.new_infra("netrange", 1, m)
        k = int(rng.integers(40, 200) * max(0.3, self.gscale))
        nn = int(k * 0.25)
        t0 = self.start + int(rng.uniform(0, 10) * DAY)
        nw = self.new_acc("listener", t0 + (rng.uniform(0, 6, nn) * DAY).astype(np.int64), m)
        S.I["used"][nw] = 1
        S.I["net"][nw] = net[0]
        ex = self.pick_org("listener", k - nn, m, min_ev=1, local=1.0)
        st = np.r_[ex, nw]
        cards = self.cards_of(nw)
        tc = S.created[nw] + rng.integers(10, 600, nw.size) * MIN
        self.emit(nw, cards, "add_card", tc, src=NEG)
        self.emit(nw, cards, "enroll", tc + MIN, 5.99, NEG)
        a = np.repeat(st, rng.integers(4, 20, st.size))
        self.emit(
            a,
            np.where(rng.random(a.size) < 0.7, net[0], S.I["dev"][a]),
            "sign_in",
            self._win_rt(a, t0, self.end),
            src=NEG,
        )
        p = np.repeat(st, rng.integers(10, 40, st.size))
        tp = self._win_rt(p, t0, self.end)
        self.plays(
            p,
            self.ts_.sample(rng, np.where(rng.random(p.size) < 0.6, m, -1), self.day(tp)),
            tp,
            "organic",
            NEG,
        )
        self.group("campus_network", st, [net[0]])

    def neg_corporate_gifts(self):
        rng, S = self.rng, self.S
        m = int(rng.choice(self.M, p=self.mw))
        buyer = self.pick_org("listener", 1, m, min_ev=2)
        card = self.new_infra("billcard", 1, m)
        k = int(rng.integers(10, 41) * max(0.5, self.gscale))
        emp = self.pick_org("listener", k, m, min_ev=1, local=0.9)
        t0 = self._win_rt(buyer, self.start + 2 * DAY, self.end - 8 * DAY)[0]
        self.emit(buyer, card, "add_card", [t0 - 5 * MIN], src=NEG)
        codes = S.add("giftcode", np.full(emp.size, t0 - MIN), m)
        amt = float(rng.choice([25.0, 50.0]))
        self.emit(
            np.full(emp.size, buyer[0]),
            codes,
            "gift_buy",
            t0 + np.arange(emp.size) * 20 * US,
            amt,
            NEG,
        )
        red = rng.random(emp.size) < 0.85
        tr = np.maximum(
            t0 + (rng.exponential(2, emp.size) * DAY).astype(np.int64), S.created[emp] + HOUR
        )
        self.emit(emp[red], codes[red], "gift_redeem", tr[red], amt, NEG)
        self.group("corporate_gifts", np.r_[buyer, emp], np.r_[card, codes])

    def neg_sleep_loop(self):
        rng, S = self.rng, self.S
        r0 = Ring(0, 0, "", 0, "", True)
        r0.market = int(rng.choice(self.M, p=self.mw))
        A = self.pick_artist(r0, lo=0.3, hi=0.95, min_tracks=2)
        T = self.artist_tracks(A, 10)
        S.F["tlen"][T] = np.maximum(S.F["tlen"][T], rng.uniform(280, 600, T.size).round())
        k = int(rng.integers(10, 40) * max(0.25, self.gscale))
        ls = self.pick_org("listener", k, None, min_ev=2)
        nights = np.repeat(ls, rng.integers(3, 16, ls.size))
        off = self.moff[S.market[nights]] * MIN
        d = rng.integers(0, self.DAYS - 1, nights.size)
        base = (
            ((self.start + d * DAY + off) // DAY) * DAY
            - off
            + 22 * HOUR
            + rng.integers(0, 2 * HOUR, nights.size)
        )
        per = int(rng.integers(6, 13))
        p_i = np.repeat(np.arange(nights.size), per)
        j = np.tile(np.arange(per), nights.size)
        tt = T[(j + rng.integers(0, T.size, nights.size)[p_i]) % T.size]
        tp = base[p_i] + j * 330 * US + rng.integers(0, 60, p_i.size) * US
        ok = tp > S.created[nights[p_i]]
        self.plays(nights[p_i][ok], tt[ok], tp[ok], "full", NEG)
        self.group("sleep_sounds_loop", ls, np.r_[A, T])

    def neg_collective(self):
        rng, _S = self.rng, self.S
        r0 = Ring(0, 0, "", 0, "", True)
        r0.market = int(rng.choice(self.M, p=self.mw))
        na = int(rng.integers(4, 10))
        arts = np.array([self.pick_artist(r0, lo=0.05, hi=0.6, min_tracks=1) for _ in range(na)])
        T = np.concatenate([self.artist_tracks(a, 3) for a in arts])
        aa, bb = np.repeat(arts, na), np.tile(arts, na)
        m = (aa != bb) & (rng.random(aa.size) < 0.8)
        self.emit(aa[m], bb[m], "fan", self._win_rt(aa[m], self.start, self.end), src=NEG)
        c = np.repeat(arts, rng.integers(2, 6, na))
        self.emit(
            c,
            T[rng.integers(0, T.size, c.size)],
            "crate_add",
            self._win_rt(c, self.start, self.end),
            src=NEG,
        )
        studio = self.new_infra("netrange", 1, r0.market)
        s = np.repeat(arts, rng.integers(1, 5, na))
        self.emit(
            s, np.full(s.size, studio[0]), "sign_in", self._win_rt(s, self.start, self.end), src=NEG
        )
        k = int(rng.integers(15, 50) * max(0.4, self.gscale))
        fans = self.pick_org("listener", k, r0.market, min_ev=1, local=0.9)
        f = np.repeat(fans, rng.integers(1, na + 1, fans.size))
        self.emit(
            f,
            arts[rng.integers(0, na, f.size)],
            "fan",
            self._win_rt(f, self.start, self.end),
            src=NEG,
        )
        p = np.repeat(fans, rng.integers(5, 25, fans.size))
        self.plays(
            p,
            T[rng.integers(0, T.size, p.size)],
            self._win_rt(p, self.start, self.end),
            "organic",
            NEG,
        )
        self.group("indie_collective", np.r_[arts, fans], np.r_[T, studio])

    def neg_label_showcase(self):
        rng, S = self.rng, self.S
        ims = self.imp[S.I["used"][self.imp] != 1]
        if ims.size == 0:
            return
        Lb = int(rng.choice(ims))
        S.I["used"][Lb] = 1
        m = int(S.market[Lb])
        arts = self.art[S.I["parent"][self.art] == Lb]
        if arts.size == 0:
            return
        T = np.concatenate([self.artist_tracks(a, 4) for a in arts[:10]])
        if T.size == 0:
            return
        staff = self.pick_org("listener", int(rng.integers(3, 9)), m, min_ev=1, local=1.0)
        office = S.I["net"][Lb]
        crates = S.add("crate", S.created[staff] + DAY, m, owner=staff)
        t0 = self._win_rt(np.array([Lb]), self.start + DAY, self.end - 10 * DAY)[0]
        a_i = np.repeat(np.arange(staff.size), rng.integers(6, 20, staff.size))
        self.emit(
            staff[a_i],
            T[rng.integers(0, T.size, a_i.size)],
            "crate_add",
            t0 + (rng.uniform(0, 5, a_i.size) * HOUR).astype(np.int64),
            src=NEG,
        )
        self.emit(staff, crates, "crate_spin", t0 + 6 * HOUR, src=NEG)
        s = np.repeat(staff, rng.integers(5, 20, staff.size))
        self.emit(
            s, np.full(s.size, office), "sign_in", self._win_rt(s, self.start, self.end), src=NEG
        )
        p = np.repeat(staff, rng.integers(10, 30, staff.size))
        self.plays(
            p, T[rng.integers(0, T.size, p.size)], self._win_rt(p, t0, self.end), "organic", NEG
        )
        self.group("label_showcase", np.r_[Lb, staff], np.r_[office, crates, T])


PLATFORMS = {"rentals": Rentals, "music": Music}


def main(argv=None):
    ap = argparse.ArgumentParser(description="hold-out platform generator #3 (rentals / music)")
    ap.add_argument("out")
    ap.add_argument("--platform", choices=sorted(PLATFORMS), required=True)
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.time()
    g = PLATFORMS[args.platform](args.events, args.seed)
    c = g.generate(args.out)
    print(
        f"holdout3 {args.platform} seed={args.seed}: {c['events']} events (organic "
        f"{c['organic_events']}, ring {c['ring_events']}, camouflage {c['camouflage_events']}, "
        f"negative {c['negative_events']}), {c['accounts']} accounts, {c['rings']} rings, "
        f"{c['negative_groups']} negative groups -> {args.out} [{time.time() - t0:.1f}s]"
    )


if __name__ == "__main__":
    main()
