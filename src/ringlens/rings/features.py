"""The features of a ring, all vectorised in Polars over the event graph.

Every feature is computed for all rings at once from the members' events; what the
platform's names mean comes from a :class:`~ringlens.graph.roles.Roles` (which actions are
ownership or engagement, which node types are shared attributes such as devices), so the
same code describes rings on any platform.

``size``, ``member_types``
    member count and ``type:count`` summary.
``n_targets``, ``targets``
    the ring's targets (their count and sorted node keys): the nodes acted on by at least
    two members and by at least 30 % of them that the detectors saw the members work on (a
    dense block's columns, a lockstep group's burst targets, a community's shared
    targets), or all such nodes for a ring no detector named targets of (shared
    attributes — devices, payout accounts, coupons — excluded either way); and, for a
    ring not only co-interaction structure proposed, the ``beyond_targets``.
``beyond_targets``
    the targets that only :func:`~ringlens.detect.significance.targets_beyond_chance`
    made the ring's (for a ring some detector besides co-interaction structure proposed
    most of: its members hit them far beyond chance, at least 30 % as often as its most
    hit target, though under 30 % of the members do). They are among ``targets`` and
    count in ``n_targets``; every other feature is over the other targets (the named
    ones; over these where none is named: a sparse ring's products, each under the 30 %
    line) but the block's tests, which take the stronger of the two blocks (below), and
    :func:`ringlens.rings.build_rings` finds no owners by them and merges two rings by
    them only where together they are a quarter of one's audience (not by the likeness
    of their target sets).
``density``, ``density_ratio``
    share of member × ring-target pairs that have an edge, and that share divided by the
    background density of the graph.
``synchrony``, ``synchrony_null``, ``synchrony_excess``
    share of members' events on ring targets that fall in a window (``burst_window``) in
    which at least three members act on ring targets; that share if each member's active
    windows fell at random over the ring's span on the platform's daily rhythm (a large
    group active every day fills every window by its number alone); and the share of
    the events out of step by chance that are in step (0 = no more in step than its
    size and activity explain, 1 = every such event in step). The ring reason
    ``synchronised_activity`` is the excess. A ring a time detector found at a longer
    scale (``scales``: lockstep's best window for its group) is measured there too, and
    the three are those of the window where the excess is larger, where chance is far
    from that many events in step (:data:`SCALE_SIGNIFICANCE`).
``schedule_share``
    share of members' events on ring targets that are charges (they carry an amount)
    repeating, or repeated by, the same member's charge with the same action and amount
    on the same target a whole number of days later, a week or more, at the same time of
    day (within half an hour), where those charges are not all one price: a standing
    order — a monthly donation charged on the 2nd at 09:00 — repeats what its account
    pledged, and the accounts of one charity's billing run are in step with their own
    past, not with each other; a script striking every week at the same minute repeats
    one price for every account (0). A ring of accounts that are not new
    (``new_account_lift`` below :data:`NEW_ACCOUNT_APART`) with ``schedule_share`` at
    least :data:`SCHEDULED` keeps a schedule, and its ``synchrony_excess`` is 0.
``camouflage_share``
    share of members' events that go to neither ring targets nor other members.
``shared_device_share``, ``shared_payout_account_share``, ``shared_coupon_share``
    share of members that use a device / payout account / coupon that another member uses.
``reciprocity``, ``inner_engagements``, ``inner_engagement_rate``
    among member pairs where one engaged the other (its owned content, or itself), the
    share where it went both ways; how many such engagements; per member.
``share_<role>``
    share of the ring's events on its targets by action role (engagement, purchase,
    review, click, follow, gift, claim, view; ``share_unmapped`` for actions without one).
``owner_concentration``, ``effective_owners``
    share of the ring's events on its targets that go to targets of one owner (the seller
    of all the brushed products, the creator of all the boosted content; an account that
    is itself a target is its own owner); how many owners outside the ring those events
    go to, counted as ``1 / sum(share ** 2)`` over them (2 for two owners with half the
    events each; events on targets without an owner or owned by members make it larger;
    0 when no target has an outside owner).
``value_lift``
    the amounts of the ring's events on its targets over what the same actions carry on
    the platform on average (``sum amount / sum mean_amount(action)``; 1 = an ordinary
    spender, 0 where those actions carry no amounts): a laundering ring gifts or pays
    many times what the rest of the platform does.
``significance``, ``sig_null``, ``sig_actors``, ``sig_targets``, ``audience_share``, ``activity_share``, ``shared_targets``
    the ring's members × targets against the bipartite configuration model
    (:func:`ringlens.detect.significance.ring_significance`, on the interactions: not
    ownership, device use or payouts): ``-log10 p`` corrected for choosing the block, 0 for
    organic clusters that popularity and activity explain (the smallest of its three
    tests: the configuration model, the actor contrast, the target contrast, each
    reported); the share of the targets' audiences the members make up; the share of the
    members' activity on the targets; targets a pair of members shares on average. For a
    ring with ``beyond_targets`` the four tests are those of the stronger block, on its
    named targets or on all of them, each less ``log10 2`` for the two tried (a ring
    lockstep named on the four small products where its burst stood out, and that
    reviews six popular ones as hard, is a block on all ten); the three shares stay those
    of the named targets.
``sig_beyond``
    for a ring some detector besides co-interaction structure proposed (shared
    attributes, timing), the highest significance among the targets its members hit
    beyond chance (:func:`~ringlens.detect.significance.targets_beyond_chance`) and make
    at least :data:`OWN_TARGET` of the audience of, 0 for none: whether accounts found
    together by their phone or card also act together on targets of their own. Shared
    attributes are left out (they are what linked the members), and so are popular
    targets the members are a sliver of (colleagues favour their city's hotel, fans
    their star). Co-interaction structure chose its rings by what they hit, so for them
    this would confirm the selection: 0.
``beyond_share``
    the share of the ring's members on the target that sets ``sig_beyond`` (0 without
    one): a farm's accounts all book its listing; a campus's three hundred accounts
    found together by its network are over-represented at some listing near it, fifteen
    of them.
``structure_alone`` (added by :func:`ringlens.rings.core.build_rings`)
    true for a ring that only co-interaction structure shows: the structure detectors
    proposed it and no other but lockstep, its members' ages are known and not new
    beyond the platform's rate, it moves ordinary value, and its ``synchrony_excess`` is
    not clearly beyond chance. The risk counts its structural and lockstep reasons once
    (:data:`ringlens.risk.model.ALONE_REASONS`).
``sig_owners`` (added by :func:`ringlens.rings.core.build_rings`)
    for a ring a detector on the targets' owners proposed (the owner communities), its
    block on the owner projection (:func:`ring_owner_significance`); null for others.
``new_account_share``, ``new_account_lift``, ``new_account_sig``, ``prior_violations``, ``market``
    from the entities table (members created less than ``new_account_days`` before the
    first event; null when no member's creation time is known); the lift is that share
    above the platform's own rate of new accounts, ``(share - base) / (1 - base)`` in
    [0, 1] (a platform where a third of the accounts are new is not suspicious for it);
    ``new_account_sig`` is ``-log10`` of the chance that as many of the members whose
    creation time is known are new at that rate (:func:`new_account_significance`).
``arrival_share``, ``arrival_lift``, ``arrival_sig``
    for a ring none of whose members' creation times is known, the same three measures
    of its members' first events in the data: the share first seen after the first
    :data:`ARRIVAL_MARGIN` of the data's span (:func:`arrivals`), its lift above the
    share of the run's accounts first seen then, and the binomial ``-log10 p``; null
    (share) or 0 where a member's creation time is known. A farm made for the run's
    weeks arrives in them; a family, an office or a campus was there from the first days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from ringlens.detect.significance import (
    NEW_ACCOUNT_APART,
    SIGNIFICANCE_CAP,
    binomial_log10_sf,
    member_contrast,
    ring_significance,
    targets_beyond_chance,
)
from ringlens.graph import EventGraph, node_key
from ringlens.graph.core import unique_sorted
from ringlens.graph.roles import INTERACTION_ROLES, SHAREABLE_ROLES, Roles

__all__ = [
    "ARRIVAL_MARGIN",
    "INTERACTION_ROLES",
    "action_values",
    "arrival_cutoff",
    "arrivals",
    "hourly_rhythm",
    "interaction_actions",
    "new_account_base_rate",
    "new_account_lift",
    "new_account_rate",
    "new_account_significance",
    "new_accounts",
    "OwnerGraph",
    "owner_graph",
    "owner_totals",
    "ring_features",
    "ring_member_contrast",
    "ring_owner_significance",
    "rhythm_crowding",
    "rhythm_shares",
    "ring_owners",
]

#: A target beyond chance is a ring's own (``sig_beyond``) when its members are at least
#: this share of the accounts on it, also the share at which two groups on one target are
#: one case (:data:`ringlens.rings.core.ONE_TARGET_AUDIENCE`): a farm's listing, a
#: self-hiring ring's freelancer; not the popular hotel a company's travellers favour.
OWN_TARGET = 0.25
#: A ring of accounts that are not new (``new_account_lift`` below
#: :data:`NEW_ACCOUNT_APART`) whose events on its targets are at least this share
#: repetitions of each member's own (``schedule_share``) keeps a schedule: its
#: ``synchrony_excess`` is 0.
SCHEDULED = 0.9
#: Two charges of a member repeat each other when they are a whole number of days apart,
#: at least :data:`_SCHEDULE_PERIOD_DAYS` (a week: standing orders run weekly, monthly or
#: yearly; a bot striking every few nights at four is no billing run), to within this
#: many microseconds (half an hour)
_SCHEDULE_SLACK_US = 30 * 60 * 1_000_000
_SCHEDULE_PERIOD_DAYS = 7
_DAY_US = 24 * 3600 * 1_000_000


def background_density(n_pairs: int, n_actors: int, n_targets: int) -> float:
    """Share of all actor × target cells that hold an edge (the density a ring is compared to).

    Examples
    --------
    >>> background_density(6, 3, 4)
    0.5
    """
    return n_pairs / max(1.0, float(n_actors) * float(n_targets))


def _sizes(mem: pl.DataFrame) -> pl.DataFrame:
    size = mem.group_by("ring_id").agg(
        pl.len().alias("size"), pl.col("node_type").value_counts(sort=True).alias("_vc")
    )
    label = pl.concat_str(
        pl.element().struct.field("node_type"),
        pl.lit(":"),
        pl.element().struct.field("count").cast(pl.String),
    )
    return size.with_columns(
        pl.col("_vc").list.eval(label).list.sort().list.join(",").alias("member_types")
    ).drop("_vc")


def _ring_targets(
    graph: EventGraph,
    mev: pl.DataFrame,
    size: pl.DataFrame,
    given: pl.DataFrame | None,
    beyond: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``ring_id, dst, n_members, beyond``: the nodes hit by >= 2 members and >= 30 % of
    them that the detectors saw the ring work on (``given``: ``ring_id, key``; camouflage
    on popular targets is not what a dense block or a lockstep burst names), or all such
    nodes for a ring no detector named a target of; and the nodes its members hit beyond
    chance (``beyond``: ``ring_id, dst`` from
    :func:`~ringlens.detect.significance.targets_beyond_chance`) at least 30 % as often as
    its most hit node, whatever share of the ring hits them and whichever detector named
    them: a sparse ring's products, each reviewed by a fifth of it (``beyond`` True).
    The ring's own members that other members hit (an endorsement ring endorsing itself)
    are targets from two hits: they are no camouflage, and a member left out would become
    the reference that the ring's contrasts measure it against."""
    hits = (
        mev.filter(~pl.col("_attr"))
        .group_by("ring_id", "dst")
        .agg(pl.col("src").n_unique().alias("n_members"))
        .filter(pl.col("n_members") >= 2)
    )
    own = mev.select("ring_id", pl.col("src").alias("dst"), pl.lit(True).alias("_own")).unique()
    rule = (
        hits.join(size.select("ring_id", "size"), on="ring_id")
        .join(own, on=["ring_id", "dst"], how="left")
        .filter((pl.col("n_members") >= 0.3 * pl.col("size")) | pl.col("_own").fill_null(False))
        .drop("_own")
    )
    if given is not None and given.height:
        nodes = graph.nodes.select(pl.col("key"), pl.col("node").alias("dst"))
        named = rule.join(
            given.join(nodes, on="key").select("ring_id", "dst"), on=["ring_id", "dst"]
        )
        rest = rule.join(named.select("ring_id").unique(), on="ring_id", how="anti")
        rule = pl.concat([named, rest], how="diagonal_relaxed")
    out = rule.select("ring_id", "dst", "n_members", pl.lit(False).alias("beyond"))
    if beyond is not None and beyond.height:
        # ... that the ring works at least 30 % as hard as its main target: camouflage
        # spread at random over every product hits small ones beyond their popularity
        # too, but each by a sliver of the ring
        main = pl.col("n_members") >= 0.3 * pl.col("n_members").max().over("ring_id")
        extra = (
            hits.filter(main)
            .join(
                beyond.select("ring_id", pl.col("dst").cast(hits.schema["dst"])),
                on=["ring_id", "dst"],
                how="semi",
            )
            .join(out, on=["ring_id", "dst"], how="anti")
        )
        out = pl.concat(
            [out, extra.select("ring_id", "dst", "n_members", pl.lit(True).alias("beyond"))]
        )
    return out


def _target_keys(graph: EventGraph, tgt: pl.DataFrame) -> pl.DataFrame:
    """``ring_id, targets, beyond_targets, n_targets``: each ring's target keys, those of
    them that only the test beyond chance made targets (sorted), and their count."""
    keys = graph.nodes.select(pl.col("node").alias("dst"), "key")
    return (
        tgt.join(keys, on="dst")
        .group_by("ring_id")
        .agg(
            pl.col("key").sort().alias("targets"),
            pl.col("key").filter(pl.col("beyond")).sort().alias("beyond_targets"),
            pl.len().alias("n_targets"),
        )
    )


def _density(size: pl.DataFrame, tgt: pl.DataFrame, background: float) -> pl.DataFrame:
    n_t = tgt.group_by("ring_id").agg(
        pl.len().alias("n_targets"), pl.col("n_members").sum().alias("_pairs")
    )
    dens = (
        pl.when(pl.col("n_targets") > 0)
        .then(pl.col("_pairs") / (pl.col("size") * pl.col("n_targets")))
        .otherwise(0.0)
    )
    return (
        size.select("ring_id", "size")
        .join(n_t, on="ring_id", how="left")
        .with_columns(pl.col("n_targets", "_pairs").fill_null(0))
        .with_columns(dens.alias("density"))
        .with_columns(
            # no background (no edges at all): no ratio to speak of, never x/0
            (pl.col("density") / background if background > 0 else pl.lit(0.0)).alias(
                "density_ratio"
            )
        )
        .drop("_pairs", "size")
    )


def hourly_rhythm(graph: EventGraph) -> tuple[float, ...]:
    """The share of the run's events in each hour of the day (UTC, 24 values summing to
    1, twelve significant digits so that engines summing in another order agree): the
    platform's daily rhythm, which the null model of ``synchrony_excess`` respects.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> ev = pl.DataFrame({"actor_id": ["a", "b", "c", "d"], "actor_type": "viewer",
    ...     "target_id": "s", "target_type": "live", "action": "watch",
    ...     "ts": [datetime(2024, 1, 1, h, tzinfo=timezone.utc) for h in (20, 20, 21, 9)]})
    >>> r = hourly_rhythm(build_graph(ev))
    >>> r[9], r[20], r[21], sum(r)
    (0.25, 0.5, 0.25, 1.0)
    """
    hours = graph.events.select(_utc_hour(pl.col("ts"), graph.events.schema["ts"]).alias("h"))
    return rhythm_shares(dict(hours.group_by("h").len().iter_rows()))


_PER_HOUR = {"ns": 3_600_000_000_000, "us": 3_600_000_000, "ms": 3_600_000}


def _utc_hour(ts: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The hour of the day (Int64) of timestamps of type ``dtype``: read off the integer
    time itself when it counts from midnight UTC (UTC or naive: six times faster than
    ``dt.hour``, which goes through the calendar), else by ``dt.hour``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> s = pl.Series([datetime(1969, 12, 31, 23, 30, tzinfo=timezone.utc),
    ...                datetime(2024, 1, 1, 13, tzinfo=timezone.utc)])
    >>> pl.select(_utc_hour(pl.lit(s), s.dtype)).to_series().to_list()
    [23, 13]
    """
    if isinstance(dtype, pl.Datetime) and dtype.time_zone in (None, "UTC"):
        return (ts.to_physical() // _PER_HOUR[dtype.time_unit or "us"]) % 24
    return ts.dt.hour().cast(pl.Int64)


def rhythm_shares(counts: Mapping[int, int]) -> tuple[float, ...]:
    """Events per hour of the day (``hour -> count``) as the 24 shares of
    :func:`hourly_rhythm` (a flat day where there are no events).

    Examples
    --------
    >>> rhythm_shares({0: 3, 12: 1})[:1], rhythm_shares({})[0] == 1 / 24
    ((0.75,), True)
    """
    n = [0] * 24
    for h, c in counts.items():
        n[int(h)] = int(c)
    total = sum(n)
    if total == 0:
        return tuple([1.0 / 24] * 24)
    return tuple(float(f"{c / total:.12g}") for c in n)


def rhythm_crowding(rhythm: Sequence[float] | None, w_us: int) -> float:
    """How much more often two events drawn from the platform's daily ``rhythm`` share a
    window of ``w_us`` microseconds than two drawn uniformly: ``sum(share_b ** 2) /
    sum(len_b ** 2)`` over the day's windows ``b`` (1 without a rhythm or for windows of
    a day and longer; about 1.5 for one market's evening peak in three-hour windows).

    Examples
    --------
    >>> rhythm_crowding([1 / 24] * 24, 3 * 3600 * 10**6)
    1.0
    >>> round(rhythm_crowding([0.0] * 12 + [1 / 12] * 12, 3 * 3600 * 10**6), 3)
    2.0
    """
    if not rhythm or len(rhythm) != 24 or sum(rhythm) <= 0:
        return 1.0
    hours = w_us / 3_600_000_000
    if hours >= 24:
        return 1.0
    g = max(1, round(hours))
    total = float(sum(rhythm))
    shares = [sum(rhythm[i : i + g]) / total for i in range(0, 24, g)]
    lengths = [min(g, 24 - i) / 24 for i in range(0, 24, g)]
    # twelve significant digits: the same value whatever the order of the sums
    return round(float(sum(s * s for s in shares) / sum(x * x for x in lengths)), 12)


def _others_on_targets(
    graph: EventGraph, on_t: pl.DataFrame, w_us: int, whole: bool = False
) -> pl.DataFrame:
    """``ring_id, dst, bucket, c``: the events of the accounts *outside* each ring on its
    targets, per window of ``w_us``, within the ring's span of windows (``whole``: all of
    them) (for the synchrony null of :func:`_synchrony`)."""
    bucket = (pl.col("ts").dt.epoch("us") // w_us).alias("bucket")
    mine = on_t.select("ring_id", "dst", bucket)
    per_member = mine.group_by("ring_id", "dst", "bucket").agg(pl.len().alias("_m"))
    everyone = (
        graph.events.select("dst", "ts")
        .join(mine.select("dst").unique(), on="dst", how="semi")
        .select("dst", bucket)
        .group_by("dst", "bucket")
        .agg(pl.len().alias("_all"))
    )
    on_theirs = mine.select("ring_id", "dst").unique().join(everyone, on="dst")
    if not whole:
        spans = mine.group_by("ring_id").agg(
            pl.col("bucket").min().alias("_b0"), pl.col("bucket").max().alias("_b1")
        )
        on_theirs = on_theirs.join(spans, on="ring_id").filter(
            pl.col("bucket").is_between(pl.col("_b0"), pl.col("_b1"))
        )
    return (
        on_theirs.join(per_member, on=["ring_id", "dst", "bucket"], how="left")
        .select(
            "ring_id",
            "dst",
            "bucket",
            (pl.col("_all") - pl.col("_m").fill_null(0)).cast(pl.Float64).alias("c"),
        )
        .filter(pl.col("c") > 0)
    )


def _synchrony_null(
    on_t: pl.DataFrame, spans: pl.DataFrame, crowding: float, others: pl.DataFrame | None
) -> pl.DataFrame:
    """``ring_id, synchrony_null`` for :func:`_synchrony` (``on_t`` with its ``bucket``,
    ``spans``: ``ring_id, _span``, the windows the members are placed over, and
    ``_ring_span``, those of the ring's own span: the even part holds one event per
    window of the ring's own span, spread over ``_span``)."""
    # each member's active windows (``a``), spread over the targets as its activity is
    active = (
        on_t.group_by("ring_id", "src", "dst")
        .agg(pl.col("bucket").n_unique().cast(pl.Float64).alias("_at"))
        .join(
            on_t.group_by("ring_id", "src").agg(
                pl.col("bucket").n_unique().cast(pl.Float64).alias("_a")
            ),
            on=["ring_id", "src"],
        )
        .sort("ring_id", "src", "dst")  # every sum below in one order: the same bits every run
        .with_columns(
            (pl.col("_a") * pl.col("_at") / pl.col("_at").sum().over("ring_id", "src")).alias("_a")
        )
    )
    if others is None:
        others = pl.DataFrame(
            schema={"ring_id": pl.String, "dst": pl.UInt32, "bucket": pl.Int64, "c": pl.Float64}
        )
    others = others.sort("ring_id", "dst", "bucket")
    weights = (
        active.group_by("ring_id", "dst", maintain_order=True)
        .agg(pl.col("_a").sum().alias("_A"))
        .join(
            others.group_by("ring_id", "dst").agg(pl.col("c").sum().alias("_N")),
            on=["ring_id", "dst"],
            how="left",
        )
        .join(spans, on="ring_id")
        .with_columns(
            (pl.col("_A") / (pl.col("_N").fill_null(0.0) + pl.col("_ring_span"))).alias("_w")
        )
        .sort("ring_id", "dst")
    )
    # every window's even part, and each window's share of the others' events
    even = weights.group_by("ring_id", maintain_order=True).agg(
        (
            pl.col("_w").sum() * crowding * (pl.col("_ring_span").first() / pl.col("_span").first())
        ).alias("_even")
    )
    crowd = (
        others.join(weights.select("ring_id", "dst", "_w"), on=["ring_id", "dst"])
        .sort("ring_id", "bucket", "dst")
        .group_by("ring_id", "bucket", maintain_order=True)
        .agg((pl.col("_w") * pl.col("c")).sum().alias("_crowd"))
    )
    own = (
        active.group_by("ring_id", "src", maintain_order=True)
        .agg(pl.col("_a").sum())
        .with_columns((pl.col("_a") / pl.col("_a").sum().over("ring_id")).alias("_own"))
    )
    mu = (pl.col("_even") + pl.col("_crowd").fill_null(0.0)) * (1.0 - pl.col("_own"))
    q = (
        on_t.select("ring_id", "src", "bucket")
        .join(even, on="ring_id")
        .join(crowd, on=["ring_id", "bucket"], how="left")
        .join(own.select("ring_id", "src", "_own"), on=["ring_id", "src"])
        .with_columns((1.0 - (-mu).exp() * (1.0 + mu)).alias("_q"))
    )
    null = (
        q.sort("ring_id", "src", "bucket", "_q")  # sums in one order: the same bits every run
        .group_by("ring_id", maintain_order=True)
        .agg(pl.col("_q").mean().round_sig_figs(12).alias("synchrony_null"))
    )
    return null


def _synchrony(
    on_t: pl.DataFrame,
    w_us: int,
    crowding: float = 1.0,
    graph: EventGraph | None = None,
    counted: bool = False,
) -> pl.DataFrame:
    """``synchrony``, ``synchrony_null`` and ``synchrony_excess`` of every ring.

    The null: each member keeps how many windows it is active in on each of the ring's
    targets (``a_t``), placed at random over the ring's span of ``B`` windows (where that
    leaves less than one event out of step by chance, or :data:`SATURATED` of them in step
    in a span that is :data:`BRIEF` beside its targets', over the span its targets are
    used in: :func:`_one_strike_null`) independently of the others, window ``b`` of
    target ``t`` with the chance the *other* accounts on that target give it (from
    ``graph``: their events ``c_tb``, ``N_t`` in all, as ``(c_tb + 1) / (N_t + B)``: the
    target's own moments where others use it, even where they do not; the platform's
    daily rhythm, ``crowding``, weighs the even part). An event of a member in window
    ``b`` then has about ``mu_b`` other members beside it (the others' ``a_t`` times those chances,
    summed) and at least two with probability ``1 - e^-mu (1 + mu)`` (Poisson). A fan
    club of seventy playing every evening for a month fills every window by its number
    alone; a release-day crowd plays the new tracks the day everyone else does and a
    live's viewers gift in the minutes the other viewers do — the targets' moments,
    which their other accounts share (null near 1); a ring of thirty striking in three
    bursts over two weeks shares windows no chance placement explains, on its own
    targets or at hours the others on them are not there (null near 0.1).
    ``synchrony_excess`` is the share of the events out of step by chance that are in
    step, ``(S - N null) / (N (1 - null))`` clipped to [0, 1], and 0 where fewer than
    one event is expected out of step (nothing is left to tell). ``counted``: with ``_n``,
    the ``N`` events measured.
    """
    on_t = on_t.with_columns((pl.col("ts").dt.epoch("us") // w_us).alias("bucket"))
    busy = on_t.group_by("ring_id", "bucket").agg(pl.col("src").n_unique().alias("active"))
    obs = (
        on_t.join(busy, on=["ring_id", "bucket"])
        .group_by("ring_id")
        .agg(
            ((pl.col("active") >= 3).sum() / pl.len()).alias("synchrony"),
            pl.len().alias("_n"),
            (pl.col("bucket").max() - pl.col("bucket").min() + 1).cast(pl.Float64).alias("_span"),
        )
    )
    others = None if graph is None else _others_on_targets(graph, on_t, w_us)
    spans = obs.select("ring_id", "_span", pl.col("_span").alias("_ring_span"))
    null = _synchrony_null(on_t, spans, crowding, others)
    if graph is not None:
        null = _one_strike_null(graph, on_t, w_us, crowding, obs.join(null, on="ring_id"), null)
    out_of_step = pl.col("_n") * (1.0 - pl.col("synchrony_null"))
    excess = (
        pl.when(out_of_step >= 1.0)
        .then(
            ((pl.col("synchrony") - pl.col("synchrony_null")) * pl.col("_n") / out_of_step).clip(
                0.0, 1.0
            )
        )
        .otherwise(0.0)
    )
    return (
        obs.join(null, on="ring_id")
        .with_columns(excess.alias("synchrony_excess"))
        .select(
            "ring_id",
            "synchrony",
            "synchrony_null",
            "synchrony_excess",
            *(["_n"] if counted else []),
        )
    )


def _synchrony_at_scales(
    on_t: pl.DataFrame,
    w_us: int,
    rhythm: Sequence[float] | None,
    graph: EventGraph,
    scales: pl.DataFrame | None,
) -> pl.DataFrame:
    """:func:`_synchrony` of every ring at ``w_us``, and of the rings in ``scales`` (``ring_id,
    window`` in seconds) at their own window where it is longer; each ring keeps the
    window where more of the events that chance leaves out of step are in step
    (``synchrony_excess``; the shorter window on a tie).

    Lockstep finds a slow ring at the scale of its strikes: forty accounts reviewing ten
    products over two weeks, on products that others review all year, are in step at the
    scale of days and not at the scale of hours, where two weeks of reviews are as spread
    as chance places them. Measured at the scale it was found at, against the same null
    (the targets' other accounts and the ring's own activity, over the span the targets
    are used in where the ring's own leaves nothing out of step), the ring is in step
    beyond chance; a release day's crowd, whose targets' other accounts come the same
    days, is not. A launch's first reviewers, whose targets' later reviewers come after
    them, are: lockstep's own tests are what keep them out.
    """
    out = _synchrony(on_t, w_us, rhythm_crowding(rhythm, w_us), graph)
    if scales is None or scales.height == 0:
        return out
    longer = scales.with_columns(
        (pl.col("window") * 1e6).round().cast(pl.Int64).alias("_w")
    ).filter(pl.col("_w") > w_us)
    for w in sorted(set(longer["_w"].to_list())):
        rings = longer.filter(pl.col("_w") == w).select("ring_id")
        sub = on_t.join(rings, on="ring_id", how="semi")
        at = _synchrony(sub, w, rhythm_crowding(rhythm, w), graph, counted=True)
        at = at.filter(pl.Series(_in_step_beyond_chance(at) >= SCALE_SIGNIFICANCE))
        better = (
            at.drop("_n")
            .join(out.select("ring_id", pl.col("synchrony_excess").alias("_base")), on="ring_id")
            .filter(pl.col("synchrony_excess") > pl.col("_base"))
        )
        out = pl.concat([out.join(better, on="ring_id", how="anti"), better.drop("_base")])
    return out.sort("ring_id")


#: A ring is in step at its own, longer scale only where that many decimal orders of
#: chance are against as many of its events in step (:func:`_in_step_beyond_chance`): in
#: windows of days the null leaves most events in step, and a share of the rest in step
#: is a few events (thirty organic reviewers of eight products over a year: 0.65 in step
#: against 0.54 at a week, an excess of 0.24 from a dozen events).
SCALE_SIGNIFICANCE = 2.0


def _in_step_beyond_chance(at: pl.DataFrame) -> np.ndarray:
    """``-log10 P(X >= S N)``, ``X ~ Binomial(N, null)``: how far chance is from putting as
    many of a ring's ``N`` events (``_n``) in step (``synchrony``: ``S``) as it has, its
    ``synchrony_null`` the chance of each (the events taken as independent)."""
    n = at["_n"].cast(pl.Int64).to_numpy()
    k = np.rint(at["synchrony"].to_numpy() * n).astype(np.int64)
    return -binomial_log10_sf(k, n, at["synchrony_null"].to_numpy()) + 0.0


def _schedule(on_t: pl.DataFrame) -> pl.DataFrame:
    """``ring_id, schedule_share``: the share of each ring's events on its targets that
    are charges repeating, or repeated by, the member's own charge with the same action
    and amount on the same target a whole number of days (a week or more) later, at the
    same time of day; 0 where those charges are all one price (module docstring)."""
    keys = ["ring_id", "src", "dst", "action", "amount"]
    ev = on_t.select(*keys, pl.col("ts").dt.epoch("us").alias("_t")).sort(
        [*keys, "_t"], nulls_last=True
    )
    # a null amount is never equal to the one before: only charges repeat
    same = pl.all_horizontal([pl.col(k) == pl.col(k).shift(1) for k in keys])
    lag = pl.col("_t") - pl.col("_t").shift(1)
    off = (lag - (lag + _DAY_US // 2) // _DAY_US * _DAY_US).abs()
    period = _SCHEDULE_PERIOD_DAYS * _DAY_US - _SCHEDULE_SLACK_US
    repeats = (same & (lag >= period) & (off <= _SCHEDULE_SLACK_US)).fill_null(False)
    ev = ev.with_columns(repeats.alias("_r"))
    chained = pl.col("_r") | pl.col("_r").shift(-1).fill_null(False)
    # each account its own amount: one price repeated is a script's, not an instruction's
    prices = pl.col("amount").filter(chained).n_unique()
    share = pl.when(prices >= 2).then(chained.mean()).otherwise(0.0)
    return ev.group_by("ring_id").agg(share.alias("schedule_share"))


#: A ring whose null over its own span is at least this (four in five of its events in
#: step by any placement within it) has little left to tell there: it is measured over the
#: span its targets are used in (:func:`_one_strike_null`) ...
SATURATED = 0.8
#: ... when its own span is at most this share of theirs (two weeks of a year's reviews).
BRIEF = 0.1


def _one_strike_null(
    graph: EventGraph,
    on_t: pl.DataFrame,
    w_us: int,
    crowding: float,
    obs: pl.DataFrame,
    null: pl.DataFrame,
) -> pl.DataFrame:
    """``null`` with the rings whose own span leaves less than one event out of step by
    chance (``obs``: ``_n`` and ``synchrony_null``), or whose own span the null fills
    (:data:`SATURATED`) while it is a brief part of their targets' (:data:`BRIEF`),
    measured over the span their targets are used in (the first to the last event on
    them, anyone's): a crew that strikes two appeals once, in two hours, is in step by any
    placement within those two hours, and in step beyond chance within the weeks the
    appeals live, where others come now and then; two hundred accounts reviewing thirty
    products in two weeks fill every day of their two weeks by their number, and no
    chance placement puts them there within the year the products are reviewed in. A
    crowd at its targets' moment (a disaster appeal's first hour) stays in step by it: the
    others on its targets come then too; a crowd that fills a third of its tracks' weeks
    is no brief strike, and is measured where it is. The even part keeps one event per
    window of the ring's own span, spread thin."""
    out_of_step = pl.col("_n") * (1.0 - pl.col("synchrony_null"))
    strike = out_of_step < 1.0
    tried = obs.filter(strike | (pl.col("synchrony_null") >= SATURATED))
    if tried.height == 0:
        return null
    sub = on_t.join(tried.select("ring_id"), on="ring_id", how="semi")
    others = _others_on_targets(graph, sub, w_us, whole=True)
    own = tried.select("ring_id", pl.col("_span").alias("_ring_span"), strike.alias("_strike"))
    theirs = (
        pl.concat([sub.select("ring_id", "bucket"), others.select("ring_id", "bucket")])
        .group_by("ring_id")
        .agg((pl.col("bucket").max() - pl.col("bucket").min() + 1).cast(pl.Float64).alias("_span"))
    )
    spans = (
        own.join(theirs, on="ring_id")
        .filter(pl.col("_strike") | (pl.col("_ring_span") <= BRIEF * pl.col("_span")))
        .drop("_strike")
    )
    if spans.height == 0:
        return null
    sub = sub.join(spans.select("ring_id"), on="ring_id", how="semi")
    others = others.join(spans.select("ring_id"), on="ring_id", how="semi")
    wide = _synchrony_null(sub, spans, crowding, others)
    return null.join(wide, on="ring_id", how="left", suffix="_wide").select(
        "ring_id",
        pl.coalesce("synchrony_null_wide", "synchrony_null").alias("synchrony_null"),
    )


def _camouflage(mev: pl.DataFrame, tgt: pl.DataFrame, mem: pl.DataFrame) -> pl.DataFrame:
    """Share of members' events (on non-attributes) to neither ring targets nor members."""
    mem_nodes = mem.select(pl.col("src").alias("dst"), "ring_id", pl.lit(True).alias("_m"))
    return (
        mev.filter(~pl.col("_attr"))
        .join(
            tgt.select("ring_id", "dst", pl.lit(True).alias("_t")),
            on=["ring_id", "dst"],
            how="left",
        )
        .join(mem_nodes, on=["ring_id", "dst"], how="left")
        .group_by("ring_id")
        .agg((pl.col("_t").is_null() & pl.col("_m").is_null()).mean().alias("camouflage_share"))
    )


def _sharing(mev: pl.DataFrame, size: pl.DataFrame) -> pl.DataFrame:
    """``shared_<role>_share``: members using an attribute another member uses."""
    attr = mev.filter(pl.col("_attr")).select("ring_id", "src", "dst", "_role").unique()
    users = attr.group_by("ring_id", "dst").agg(pl.col("src").n_unique().alias("users"))
    shared = (
        attr.join(users.filter(pl.col("users") >= 2), on=["ring_id", "dst"])
        .group_by("ring_id", "_role")
        .agg(pl.col("src").n_unique().alias("n"))
        .join(size.select("ring_id", "size"), on="ring_id")
    )
    cols = [
        (pl.col("n").filter(pl.col("_role") == r).sum() / pl.col("size").first())
        .cast(pl.Float64)
        .alias(f"shared_{r}_share")
        for r in SHAREABLE_ROLES
    ]
    return shared.group_by("ring_id").agg(cols)


def _reciprocity(
    ev: pl.DataFrame, mev: pl.DataFrame, mem: pl.DataFrame, roles: Roles
) -> pl.DataFrame:
    """Member i engaged member j (j's owned content or item, or j itself): both ways?"""
    owner = (
        ev.filter(pl.col("action").cast(pl.String).is_in(list(roles.owner_actions)))
        .select(pl.col("dst").alias("content"), pl.col("src").alias("owner"))
        .unique(subset="content", keep="first")
    )
    eng = mev.filter(pl.col("action").cast(pl.String).is_in(list(roles.engagement_actions)))
    eng = eng.select("ring_id", "src", "dst")
    via_content = eng.join(owner, left_on="dst", right_on="content").select(
        "ring_id", "src", pl.col("owner").alias("to")
    )
    direct = eng.select("ring_id", "src", pl.col("dst").alias("to"))
    inner = (
        pl.concat([via_content, direct])
        .join(mem.select(pl.col("src").alias("to"), "ring_id"), on=["ring_id", "to"])
        .filter(pl.col("src") != pl.col("to"))
        .unique()
    )
    back = inner.rename({"src": "to", "to": "src"}).with_columns(pl.lit(True).alias("_back"))
    return (
        inner.join(back, on=["ring_id", "src", "to"], how="left")
        .group_by("ring_id")
        .agg(
            pl.col("_back").is_not_null().mean().alias("reciprocity"),
            pl.len().alias("inner_engagements"),
        )
    )


def _mean_amount() -> pl.Expr:
    """The mean amount per event (missing: 0) to twelve significant digits: engines that
    sum in another order (Spark) get the same baseline."""
    return pl.col("amount").fill_null(0.0).mean().round_sig_figs(12)


def action_values(graph: EventGraph) -> dict[str, float]:
    """Every action's mean amount per event (missing amounts count as 0): the platform's
    baseline of ``value_lift``.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> ev = pl.DataFrame({"actor_id": ["a", "b", "c"], "actor_type": "viewer",
    ...     "target_id": "s", "target_type": "live", "action": ["gift", "gift", "watch"],
    ...     "ts": datetime(2024, 1, 1, tzinfo=timezone.utc), "amount": [10.0, None, None]})
    >>> action_values(build_graph(ev))
    {'gift': 5.0, 'watch': 0.0}
    """
    per = _per_action_means(graph.events)
    return dict(sorted(zip(per["action"], per["_mean_amount"], strict=True)))


def _per_action_means(ev: pl.DataFrame) -> pl.DataFrame:
    """``action`` (String), ``_mean_amount``: each action's mean amount per event."""
    return (
        ev.group_by("action")
        .agg(_mean_amount().alias("_mean_amount"))
        .with_columns(pl.col("action").cast(pl.String))
    )


def _action_mix(
    on_t: pl.DataFrame,
    ev: pl.DataFrame,
    roles: Roles,
    values: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """``share_<role>`` of the ring's events on its targets, ``owner_concentration`` and
    ``value_lift`` (against ``values``, the run's :func:`action_values`; None: the
    graph's own)."""
    role = (
        pl.col("action")
        .cast(pl.String)
        .replace_strict(dict(roles.action_role), default=None, return_dtype=pl.String)
    )
    on_t = on_t.with_columns(role.alias("_arole"))
    shares = [(pl.col("_arole") == r).mean().alias(f"share_{r}") for r in INTERACTION_ROLES]
    shares.append(pl.col("_arole").is_null().mean().alias("share_unmapped"))
    mix = on_t.group_by("ring_id").agg(*shares, pl.len().alias("ring_events"))
    # value moved against what the same actions carry on the platform on average
    per_action = _per_action_means(ev)
    if values is not None:  # the whole run's, for a part of it; the part's for the rest
        run = pl.DataFrame(
            {"action": list(values), "_run": list(values.values())},
            schema={"action": pl.String, "_run": pl.Float64},
        )
        per_action = per_action.join(run, on="action", how="left").select(
            "action", pl.coalesce("_run", "_mean_amount").alias("_mean_amount")
        )
    value = (
        on_t.with_columns(pl.col("action").cast(pl.String))
        .join(per_action, on="action", how="left")
        .group_by("ring_id")
        .agg(
            pl.col("amount").fill_null(0.0).sum().alias("_value"),
            pl.col("_mean_amount").fill_null(0.0).sum().alias("_expected_value"),
        )
        .select(
            "ring_id",
            pl.when(pl.col("_expected_value") > 0)
            .then(pl.col("_value") / pl.col("_expected_value"))
            .otherwise(None)
            .cast(pl.Float64)
            .alias("value_lift"),
        )
    )
    mix = mix.join(value, on="ring_id", how="left")
    owned = (
        ev.filter(pl.col("action").cast(pl.String).is_in(list(roles.owner_actions)))
        .select(pl.col("dst"), pl.col("src").alias("_owner"))
        .unique(subset="dst", keep="first")
    )
    # an account that is itself a target (followed, endorsed, tipped) is its own owner:
    # its followers are its audience as a creator's viewers are hers
    accounts = (
        on_t.select("dst")
        .unique()
        .join(ev.select("src").unique(), left_on="dst", right_on="src", how="semi")
        .join(owned, on="dst", how="anti")
        .select("dst", pl.col("dst").alias("_owner"))
    )
    owners = pl.concat([owned, accounts.cast(owned.schema)])
    by_owner = (
        on_t.join(owners, on="dst", how="left")
        .group_by("ring_id", "_owner")
        .agg(pl.len().alias("n"))
        .with_columns(pl.col("n").sum().over("ring_id").alias("_all"))
        .filter(pl.col("_owner").is_not_null())
        .with_columns((pl.col("n") / pl.col("_all")).alias("_p"))
    )
    conc = by_owner.group_by("ring_id").agg(pl.col("_p").max().alias("owner_concentration"))
    # outside owners only: a ring that works on its own members' targets boosts itself
    members = on_t.select("ring_id", pl.col("src").alias("_owner")).unique()
    outside = (
        by_owner.join(members, on=["ring_id", "_owner"], how="anti")
        .group_by("ring_id")
        # order-free sum: the same float whatever order the groups arrive in
        .agg((1.0 / (pl.col("_p") ** 2).sort().sum()).alias("effective_owners"))
    )
    return mix.join(conc, on="ring_id", how="left").join(outside, on="ring_id", how="left")


def interaction_actions(graph: EventGraph, roles: Roles) -> list[str] | None:
    """The graph's action names that are interactions (not ownership, device use or
    payouts: :meth:`ringlens.graph.roles.Roles.structural_actions`), sorted; None when it
    has none (then every event counts)."""
    return roles.interaction_actions(graph.families(counts=False)) or None


def _significance(
    graph: EventGraph,
    mem: pl.DataFrame,
    tgt: pl.DataFrame,
    actions: list[str] | None,
    totals: tuple[int, int, int] | None,
) -> pl.DataFrame:
    """The ring's block against the configuration model of the interactions
    (:func:`_interactions`: their action names, and the whole run's matrix totals when
    given)."""
    sig = ring_significance(
        graph,
        mem.select("key", "ring_id"),
        _keyed_targets(graph, tgt),
        actions=actions,
        totals=totals,
    )
    return sig.select(
        "ring_id",
        "significance",
        "sig_null",
        "sig_actors",
        "sig_targets",
        "audience_share",
        "activity_share",
        "shared_targets",
    )


#: The four tests of a ring's block (:func:`_significance`), replaced together by
#: :func:`_with_beyond_block` when the block with the targets beyond chance is stronger.
_BLOCK_TESTS = ("significance", "sig_null", "sig_actors", "sig_targets")
#: The significance that trying two blocks costs (Bonferroni: twice the p-value).
_LOG10_2 = math.log10(2.0)


def _with_beyond_block(
    graph: EventGraph,
    mem: pl.DataFrame,
    tgt: pl.DataFrame,
    listed: pl.DataFrame,
    actions: list[str] | None,
    totals: tuple[int, int, int] | None,
) -> pl.DataFrame:
    """Each ring's block's tests (:func:`_significance`) on its named targets (``tgt``),
    and for a ring with targets beyond chance among ``listed`` (:func:`_ring_targets`)
    those of the stronger of two blocks: its named targets alone, or all of its targets,
    at ``log10 2`` for having tried two.

    A ring that lockstep found on the few products where its reviews were a burst (four
    small ones, the ring most of their audience) also works six popular ones, each hit by
    half of it two weeks running: on the named four alone its members are busier
    elsewhere than there and the target contrast fails; on all ten the block is what it
    is, 23 decimal orders beyond chance. The test is corrected for choosing the block
    whatever chose it (:mod:`ringlens.detect.significance`), so the targets' origin does
    not bias it; trying two blocks costs a factor 2. The shares (``audience_share``,
    ``activity_share``, ``shared_targets``) stay those of the named targets."""
    named = _significance(graph, mem, tgt, actions, totals)
    wide_targets = listed.filter(pl.col("beyond").any().over("ring_id"))
    if wide_targets.height == 0:
        return named
    rings = wide_targets.select("ring_id").unique()
    wide = _significance(
        graph, mem.join(rings, on="ring_id", how="semi"), wide_targets, actions, totals
    )
    tests = list(_BLOCK_TESTS)
    alt = wide.select("ring_id", *[pl.col(c).alias(f"_{c}") for c in tests])
    both = named.join(alt, on="ring_id", how="left")
    pick = pl.col("_significance") > pl.col("significance")
    tried = pl.col("_significance").is_not_null()
    return both.with_columns(
        pl.when(tried)
        .then(_less_two(pl.when(pick).then(pl.col(f"_{c}")).otherwise(pl.col(c))))
        .otherwise(pl.col(c))
        .alias(c)
        for c in tests
    ).drop([f"_{c}" for c in tests])


def _of_rings(frame: pl.DataFrame, ring_ids: pl.Series | None) -> pl.DataFrame:
    """The rows of ``frame`` of the rings ``ring_ids`` (None: all of them)."""
    return frame if ring_ids is None else frame.filter(pl.col("ring_id").is_in(ring_ids.implode()))


def _less_two(sig: pl.Expr) -> pl.Expr:
    """``-log10`` of twice the p-value (the better of two tests), at least 0; a capped
    significance stays capped (its p-value is any amount below the cap's)."""
    return pl.when(sig >= SIGNIFICANCE_CAP).then(sig).otherwise((sig - _LOG10_2).clip(0.0, None))


def _interactions(
    graph: EventGraph,
    roles: Roles,
    interactions: tuple[Sequence[str] | None, tuple[int, int, int]] | None,
) -> tuple[list[str] | None, tuple[int, int, int] | None]:
    """The interaction action names and the whole run's matrix totals (None: the graph's)."""
    if interactions is None:
        return interaction_actions(graph, roles), None
    names, totals = interactions
    return (None if names is None else list(names)), totals


def _keyed_targets(graph: EventGraph, tgt: pl.DataFrame) -> pl.DataFrame:
    """``ring_id, key`` for the ``ring_id, dst`` rows of :func:`_ring_targets`."""
    keys = graph.nodes.select(pl.col("node").alias("dst"), "key")
    return tgt.join(keys, on="dst").select("ring_id", "key")


def ring_member_contrast(
    graph: EventGraph,
    membership: pl.DataFrame,
    *,
    roles: Roles | None = None,
    targets: pl.DataFrame | None = None,
    interactions: tuple[Sequence[str] | None, tuple[int, int, int]] | None = None,
) -> pl.DataFrame:
    """Each member's pull towards its ring's targets
    (:func:`ringlens.detect.significance.member_contrast`), on the targets and interactions
    that the ring's ``significance`` is computed on (:func:`ring_features`' arguments of
    the same names).

    Returns ``ring_id, key, hits, degree, reference_rate, significance``, one row per
    member that is a node of the graph.
    """
    roles = roles or Roles()
    mem, mev = _members_events(graph, membership, roles)
    tgt = _ring_targets(graph, mev, _sizes(mem), targets)
    actions, totals = _interactions(graph, roles, interactions)
    return member_contrast(
        graph,
        mem.select("key", "ring_id"),
        _keyed_targets(graph, tgt),
        actions=actions,
        totals=totals,
    )


@dataclass(frozen=True)
class OwnerGraph:
    """The owner projection around some accounts (:func:`owner_graph`): ``graph`` holds
    the projected events of the accounts that matter for them, ``totals`` the actors,
    owners and account-owner pairs of the whole projection (what a ring test needs of
    the rest)."""

    graph: EventGraph
    totals: tuple[int, int, int]


def _owner_pairs(graph: EventGraph, roles: Roles) -> tuple[np.ndarray, np.ndarray] | None:
    """``src, owner`` node ids of every interaction with a target another account owns
    (its first owner: :func:`ringlens.detect.communities.target_owners`), as arrays;
    None when there is none."""
    from ringlens.detect.communities import target_owners

    if not roles.owner_actions:
        return None
    owner = target_owners(graph, list(roles.owner_actions))
    if owner.height == 0:
        return None
    owner_of = np.full(graph.n_nodes, -1, dtype=np.int64)
    owner_of[owner["dst"].to_numpy()] = owner["owner"].to_numpy()
    rows = graph.family_rows(actions=interaction_actions(graph, roles))
    src = graph.events["src"].to_numpy().astype(np.int64)
    dst = graph.events["dst"].to_numpy()
    if rows is not None:
        src, dst = src[rows], dst[rows]
    own = owner_of[dst]
    on = (own >= 0) & (own != src)
    return (src[on], own[on]) if on.any() else None


def _marks(n: int, ids: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[ids] = True
    return out


def _pair_totals(n: int, src: np.ndarray, own: np.ndarray) -> tuple[int, int, int]:
    """The distinct accounts, owners and account-owner pairs of :func:`_owner_pairs`."""
    return (
        int(_marks(n, src).sum()),
        int(_marks(n, own).sum()),
        pl.Series(src * n + own).n_unique(),
    )


def owner_totals(graph: EventGraph, roles: Roles) -> tuple[int, int, int] | None:
    """The owner projection's accounts, owners and distinct account-owner pairs (the
    run-wide totals a part of a run measures its owner communities' rings against:
    :attr:`ringlens.pipeline.context.RunContext.owner_totals`); None when nothing is
    owned."""
    pairs = _owner_pairs(graph, roles)
    return None if pairs is None else _pair_totals(graph.n_nodes, *pairs)


def owner_graph(
    graph: EventGraph,
    roles: Roles,
    accounts: pl.Series,
    totals: tuple[int, int, int] | None = None,
) -> OwnerGraph | None:
    """The graph's interactions read as interactions with the targets' owners
    (:func:`ringlens.detect.communities.owner_projection`: one event per account and
    owner) for the ring tests of ``accounts`` (node keys): their own projected events
    and those of every account that engaged an owner they engaged (the owners' other
    users, who set their reference), with the whole projection's totals (``totals``
    when given: a part of a larger run). None when nothing is owned."""
    from ringlens.graph import EventGraph

    pairs = _owner_pairs(graph, roles)
    if pairs is None:
        return None
    src, own = pairs
    n = graph.n_nodes
    if totals is None:
        totals = _pair_totals(n, src, own)
    # the accounts' owners and those owners' users: whose pairs the ring tests read
    mine = _marks(n, graph.node_ids(accounts).astype(np.int64))
    users = _marks(n, src[_marks(n, own[mine[src]])[own]])
    users |= mine
    key = unique_sorted((src * n + own)[users[src]])
    # the tests read who engaged whom: one event per pair, on the run's first instant
    events = pl.DataFrame(
        {
            "src": pl.Series(key // n, dtype=pl.UInt32),
            "dst": pl.Series(key % n, dtype=pl.UInt32),
        }
    ).with_columns(
        pl.lit(str(graph.events["action"][0])).cast(graph.events.schema["action"]).alias("action"),
        pl.lit(graph.events["ts"].min(), dtype=graph.events.schema["ts"]).alias("ts"),
    )
    edges = events.select("src", "dst", pl.lit(1, dtype=pl.Int64).alias("count"))
    return OwnerGraph(
        graph=EventGraph(nodes=graph.nodes, edges=edges, events=events), totals=totals
    )


def ring_owner_significance(
    owners: OwnerGraph, membership: pl.DataFrame, *, roles: Roles | None = None
) -> pl.DataFrame:
    """``ring_id, sig_owners``: each ring's block on the owner projection (``owners``,
    :func:`owner_graph`) against the configuration model, as ``significance`` is on the
    targets: the ring's targets there are the accounts that two members and 30 % of the
    ring engaged through what they own (:func:`_ring_targets`). A karma farm votes once
    on each of its members' ever-new replies, so no reply is a block's column, but every
    member's author is."""
    roles = roles or Roles()
    g = owners.graph
    mem, mev = _members_events(g, membership, roles)
    tgt = _ring_targets(g, mev, _sizes(mem), None)
    sig = ring_significance(
        g, mem.select("key", "ring_id"), _keyed_targets(g, tgt), totals=owners.totals
    )
    return sig.select("ring_id", pl.col("significance").alias("sig_owners"))


#: An account joins a ring as its owner when it first owned at least this many of the
#: ring's targets ...
OWNED_TARGETS = 2
#: ... and the ring's members bring at least this share of the interactions on them (a
#: shop whose listings a review ring works on: 4–97 % on the synthetic platforms; a
#: popular creator three of whose posts a ring passed by: 0.5 %)
OWNER_PULL = 0.02
#: ... and the owner's targets take at least this share of the members' interactions on
#: all the ring's targets (a ring works for a few owners: the planted ones take 23–56 %;
#: a busy group passing by the posts of dozens of creators gives each a few per cent)
OWNER_SHARE = 0.1

_OWNERS_SCHEMA = {"ring_id": pl.String, "key": pl.String, "owned": pl.UInt32, "pull": pl.Float64}


def ring_owners(
    graph: EventGraph,
    rings: pl.DataFrame,
    membership: pl.DataFrame,
    *,
    roles: Roles | None = None,
    interactions: tuple[Sequence[str] | None, tuple[int, int, int]] | None = None,
    values: Mapping[str, float] | None = None,
    min_owned: int = OWNED_TARGETS,
    min_pull: float = OWNER_PULL,
    min_share: float = OWNER_SHARE,
) -> pl.DataFrame:
    """The accounts behind each ring's targets: who the ring works for.

    A review ring rates a few shops' listings, a brushing ring orders one seller's
    products, a gift ring tips one host's lives; the shop, the seller and the host profit
    and are part of the case, but they never act on their own targets, so no detector that
    reads interactions proposes them. An account is a ring's **owner** when it is the
    first owner (the earliest ownership event: who listed the item, posted the content,
    went live) of at least ``min_owned`` of the ring's targets, those targets take at
    least ``min_share`` of the members' interactions on all the ring's targets, and the
    ring's members bring at least ``min_pull`` of the interactions on those targets, without rating them
    below the platform's average rating with the same actions (``values``: the run's
    :func:`action_values`; None: the graph's own). A host who later pins a shop's item
    owns it second; a popular creator three of whose posts the ring passed by draws its
    audience from everyone else; a competitor whose listings a review ring one-stars is
    its victim, and so is an account whose coupons the ring's members claim (it pays for
    their discounts, whatever they buy from it). Targets that are shared attributes
    (devices, payout accounts, coupons) have no owner who profits from them: a coupon's
    issuer pays for the claims. An account already in a ring stays there, and an owner
    of several rings' targets joins the one it owns most targets of (then the one that
    pulls it most, then the smaller ring id).

    ``rings`` holds ``ring_id, targets`` (target node keys), ``membership``
    ``key, ring_id``; ``roles`` says which actions are ownership (none: no owners) and
    ``interactions`` which actions are interactions (:func:`ring_features`' argument).
    Returns ``ring_id, key, owned, pull``, one row per owner, sorted.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timedelta, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> rows = [("s1", "shop", "list", "p"), ("s1", "shop", "list", "q")]
    >>> rows += [(b, "buyer", "rate", x) for b in ("1", "2", "3") for x in ("p", "q")]
    >>> ev = pl.DataFrame({"actor_id": [r[0] for r in rows], "actor_type": [r[1] for r in rows],
    ...     "action": [r[2] for r in rows], "target_id": [r[3] for r in rows],
    ...     "target_type": "item", "ts": [t + timedelta(hours=i) for i in range(len(rows))]})
    >>> ring = pl.DataFrame({"ring_id": ["r"], "targets": [["item:p", "item:q"]]})
    >>> mem = pl.DataFrame({"key": ["buyer:1", "buyer:2", "buyer:3"], "ring_id": "r"})
    >>> ring_owners(build_graph(ev), ring, mem, roles=Roles(action_role={"list": "own"})).rows()
    [('r', 'shop:s1', 2, 1.0)]
    """
    roles = roles or Roles()
    empty = pl.DataFrame(schema=_OWNERS_SCHEMA)
    if not roles.owner_actions or rings.height == 0 or membership.height == 0:
        return empty
    nodes = graph.nodes.select("node", "key", "node_type")
    tgt = (
        rings.select("ring_id", pl.col("targets").alias("key"))
        .explode("key")
        .drop_nulls("key")
        .join(nodes, on="key")
        .filter(~pl.col("node_type").is_in(list(roles.shareable_types)))
        .select("ring_id", pl.col("node").alias("dst"))
    )
    members = membership.select("key", "ring_id").join(nodes.select("key", "node"), on="key")
    cand = tgt.join(_first_owners(graph, roles, tgt["dst"]), on="dst").filter(
        ~pl.col("owner").is_in(members["node"].implode())
    )
    cand = cand.join(_coupon_issuers(graph, members, roles), on=["ring_id", "owner"], how="anti")
    owned = (
        cand.group_by("ring_id", "owner")
        .agg(pl.len().alias("owned"))
        .filter(pl.col("owned") >= min_owned)
    )
    if owned.height == 0:
        return empty
    cand = cand.join(owned.select("ring_id", "owner"), on=["ring_id", "owner"], how="semi")
    pull = _owner_pull(graph, tgt, cand, members, roles, interactions, values)
    found = (
        owned.join(pull, on=["ring_id", "owner"])
        .filter(
            (pl.col("pull") >= min_pull)
            & (pl.col("share") >= min_share)
            & ((pl.col("_expected") <= 0) | (pl.col("_rating") >= pl.col("_expected")))
        )
        .sort(["owner", "owned", "pull", "ring_id"], descending=[False, True, True, False])
        .unique(subset="owner", keep="first", maintain_order=True)
        .join(nodes.select(pl.col("node").alias("owner"), "key"), on="owner")
    )
    return found.select(
        "ring_id", "key", pl.col("owned").cast(pl.UInt32), pl.col("pull").cast(pl.Float64)
    ).sort("ring_id", "key")


def _first_owners(graph: EventGraph, roles: Roles, targets: pl.Series) -> pl.DataFrame:
    """``dst, owner``: the account of each target's earliest ownership event (ties: the
    smaller node id), for the ``targets`` (node ids) anyone owns."""
    rows = graph.family_rows(actions=list(roles.owner_actions))
    own = graph.events if rows is None else graph.events[rows]
    return (
        own.select("src", "dst", "ts")
        .filter(pl.col("dst").is_in(targets.unique().implode()))
        .sort("dst", "ts", "src")
        .unique(subset="dst", keep="first", maintain_order=True)
        .select("dst", pl.col("src").alias("owner"))
    )


def _coupon_issuers(graph: EventGraph, members: pl.DataFrame, roles: Roles) -> pl.DataFrame:
    """``ring_id, owner``: the first owners of coupons that at least two of the ring's
    members (``key, ring_id, node``) claimed — the accounts paying for the ring's
    discounts."""
    coupons = list(roles.types("coupon"))
    if not coupons:
        return pl.DataFrame(schema={"ring_id": pl.String, "owner": graph.events.schema["src"]})
    rows = graph.family_rows(target_types=coupons)
    used = graph.events if rows is None else graph.events[rows]
    claimed = (
        used.select("src", "dst")
        .join(members.select(pl.col("node").alias("src"), "ring_id"), on="src")
        .group_by("ring_id", "dst")
        .agg(pl.col("src").n_unique().alias("_n"))
        .filter(pl.col("_n") >= 2)
    )
    issued = _first_owners(graph, roles, claimed["dst"])
    return claimed.join(issued, on="dst").select("ring_id", "owner").unique()


def _owner_pull(
    graph: EventGraph,
    tgt: pl.DataFrame,
    cand: pl.DataFrame,
    members: pl.DataFrame,
    roles: Roles,
    interactions: tuple[Sequence[str] | None, tuple[int, int, int]] | None,
    values: Mapping[str, float] | None,
) -> pl.DataFrame:
    """``ring_id, owner, pull, share, _rating, _expected`` for the candidate owners
    (``ring_id, dst, owner``; ``tgt``: every ``ring_id, dst`` target): the members' share
    of the interactions on the owner's targets, the owner's targets' share of the
    members' interactions on all the ring's targets, and the members' ratings of the
    owner's targets against the platform's average rating with the same actions — above
    it they promote the owner, below it they bomb a competitor (who is the ring's victim,
    not its owner)."""
    actions, _ = _interactions(graph, roles, interactions)
    rows = graph.family_rows(actions=actions) if actions is not None else None
    inter = graph.events if rows is None else graph.events[rows]
    member_of = members.select(pl.col("node").alias("src"), "ring_id")
    on_ring = (
        inter.select("src", "dst")
        .filter(pl.col("dst").is_in(tgt["dst"].unique().implode()))
        .join(tgt, on="dst")
        .join(member_of, on=["src", "ring_id"], how="semi")
        .group_by("ring_id")
        .agg(pl.len().alias("_ring_events"))
    )
    review = list(roles.actions("review"))
    means = dict(values) if values is not None else (action_values(graph) if review else {})
    expected = (
        pl.col("action")
        .cast(pl.String)
        .replace_strict(
            {a: means.get(a, 0.0) for a in review}, default=0.0, return_dtype=pl.Float64
        )
    )
    rated = pl.col("action").cast(pl.String).is_in(review) & pl.col("_m")
    return (
        inter.select("src", "dst", "action", "amount")
        .filter(pl.col("dst").is_in(cand["dst"].unique().implode()))
        .join(cand, on="dst")
        .join(
            members.select(pl.col("node").alias("src"), "ring_id", pl.lit(True).alias("_m")),
            on=["src", "ring_id"],
            how="left",
        )
        .with_columns(pl.col("_m").fill_null(False))
        .group_by("ring_id", "owner")
        .agg(
            pl.col("_m").mean().alias("pull"),
            pl.col("_m").sum().alias("_on_owner"),
            pl.col("amount").fill_null(0.0).filter(rated).sum().alias("_rating"),
            expected.filter(rated).sum().alias("_expected"),
        )
        .join(on_ring, on="ring_id", how="left")
        .with_columns((pl.col("_on_owner") / pl.col("_ring_events").clip(1, None)).alias("share"))
    )


def _accounts(
    mem: pl.DataFrame,
    entities: pl.DataFrame | None,
    first_ts: Any,
    new_account_days: int,
) -> pl.DataFrame:
    """``new_account_share`` (null when no member's creation time is known),
    ``prior_violations`` and the members' ``market``."""
    if entities is None or entities.height == 0:
        return (
            mem.select("ring_id")
            .unique()
            .with_columns(
                pl.lit(None, dtype=pl.Float64).alias("new_account_share"),
                pl.lit(0, dtype=pl.Int64).alias("_new"),
                pl.lit(0, dtype=pl.Int64).alias("_known"),
                pl.lit(0, dtype=pl.Int64).alias("prior_violations"),
                pl.lit(None, dtype=pl.String).alias("market"),
            )
        )
    ent = entities.select(
        node_key("entity_type", "entity_id"), "created_at", "prior_violations", "market"
    )
    em = mem.select("key", "ring_id").join(ent, on="key", how="left")
    cutoff = first_ts - timedelta(days=new_account_days) if first_ts is not None else None
    known = pl.col("created_at").is_not_null().sum()
    return em.group_by("ring_id").agg(
        # members without a created_at are not counted; none known -> null, not 0/0
        pl.when(known > 0)
        .then((pl.col("created_at") >= cutoff).sum() / known)
        .otherwise(None)
        .cast(pl.Float64)
        .alias("new_account_share"),
        (pl.col("created_at") >= cutoff).sum().cast(pl.Int64).alias("_new"),
        known.cast(pl.Int64).alias("_known"),
        pl.col("prior_violations").fill_null(0).sum().cast(pl.Int64).alias("prior_violations"),
        pl.col("market").drop_nulls().mode().sort().first().alias("market"),
    )


def _members_events(
    graph: EventGraph, membership: pl.DataFrame, roles: Roles
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The members (``key, ring_id, src, node_type``) and their events, each tagged with
    whether its target is a shared attribute (``_attr``) and that attribute's role."""
    nodes = graph.nodes.select("node", "key", "node_type")
    mem = membership.select("key", "ring_id").join(nodes, on="key").rename({"node": "src"})
    type_role = pl.col("node_type").replace_strict(
        dict(roles.type_role), default=None, return_dtype=pl.String
    )
    attrs = nodes.select(
        pl.col("node").alias("dst"),
        type_role.alias("_role"),
    ).with_columns(pl.col("_role").is_in(list(SHAREABLE_ROLES)).fill_null(False).alias("_attr"))
    mev = graph.events.join(mem.select("src", "ring_id"), on="src").join(attrs, on="dst")
    return mem, mev


def _own_beyond(mev: pl.DataFrame, beyond: pl.DataFrame, size: pl.DataFrame) -> pl.DataFrame:
    """``ring_id, sig_beyond, beyond_share``: the highest significance of the targets in
    ``beyond`` (from :func:`~ringlens.detect.significance.targets_beyond_chance`) that are
    no shared attribute and that the ring is at least :data:`OWN_TARGET` of the audience
    of, and the share of the ring's members (``size``) on that target (ties: the one
    more of them hit)."""
    acted = mev.filter(~pl.col("_attr")).select("ring_id", pl.col("dst").cast(pl.UInt32)).unique()
    return (
        beyond.filter(pl.col("hits") >= OWN_TARGET * pl.col("audience"))
        .join(acted, on=["ring_id", "dst"], how="semi")
        .sort("ring_id", "significance", "hits", "dst", descending=[False, True, True, False])
        .group_by("ring_id", maintain_order=True)
        .agg(pl.col("significance").first().alias("sig_beyond"), pl.col("hits").first())
        .join(size.select("ring_id", "size"), on="ring_id")
        .select(
            "ring_id",
            "sig_beyond",
            (pl.col("hits") / pl.col("size")).clip(0.0, 1.0).alias("beyond_share"),
        )
    )


def ring_features(
    graph: EventGraph,
    membership: pl.DataFrame,
    *,
    roles: Roles | None = None,
    targets: pl.DataFrame | None = None,
    entities: pl.DataFrame | None = None,
    burst_window: timedelta = timedelta(hours=3),
    new_account_days: int = 60,
    background: float | None = None,
    first_ts: datetime | None = None,
    new_account_base: float | None = None,
    interactions: tuple[Sequence[str] | None, tuple[int, int, int]] | None = None,
    values: Mapping[str, float] | None = None,
    beyond_chance: pl.Series | None = None,
    rhythm: Sequence[float] | None = None,
    wide_block: pl.Series | None = None,
    scales: pl.DataFrame | None = None,
    arrival: tuple[datetime, float] | None = None,
) -> pl.DataFrame:
    """The features of every ring (see the module docstring), one row per ``ring_id``.

    Parameters
    ----------
    graph
        The event graph.
    membership
        ``key``, ``ring_id``.
    roles
        What the graph's names mean (default: nothing known; role features are 0).
    targets
        ``ring_id, key``: the targets the detectors saw each ring work on (a ring not in it
        gets the nodes most of its members hit).
    entities
        Optional entities table (account age, prior violations, market).
    burst_window
        The window of ``synchrony``.
    background, first_ts, new_account_base
        Whole-run quantities when ``graph`` is part of a larger run (the Spark engine's
        partitions): the background density, the first event time and the share of new
        accounts (:func:`new_account_base`) of the whole run replace the part's own.
    interactions
        Likewise, the whole run's interaction action names (:func:`interaction_actions`)
        and its interaction matrix's ``(actors, targets, distinct pairs)``, which ring
        ``significance`` is tested against.
    values
        Likewise, the whole run's mean amount per event of each action
        (:func:`action_values`), the baseline of ``value_lift``.
    beyond_chance, wide_block
        The ``ring_id`` of the rings whose targets include what their members hit beyond
        chance (:func:`~ringlens.detect.significance.targets_beyond_chance`), and of those
        whose block's tests (``significance``) take all their targets where that block is
        the stronger; None: every ring's. A ring only co-interaction structure proposed was
        chosen for what its members hit together (the test would confirm its selection);
        accounts on one card hit their office's canteen beyond chance
        (:func:`ringlens.rings.build_rings` chooses both).
    rhythm
        Likewise, the whole run's :func:`hourly_rhythm` (None: the graph's own), which
        the null of ``synchrony_excess`` follows.
    scales
        ``ring_id, window`` (seconds): the time scale at which a time detector found each
        ring in step; a ring's synchrony is measured at ``burst_window`` and at its own
        scale where that is longer, and the features are those of the window where its
        events are further in step beyond chance (:func:`_synchrony_at_scales`).
    arrival
        Likewise, the whole run's :func:`arrivals` (None: the graph's own).
    """
    roles = roles or Roles()
    mem, mev = _members_events(graph, membership, roles)
    ring_ids = mem.select("ring_id").unique().sort("ring_id")
    if ring_ids.height == 0:
        return pl.DataFrame(schema={"ring_id": pl.String})
    if background is None:
        e = graph.edges
        background = background_density(e.height, e["src"].n_unique(), e["dst"].n_unique())
    if first_ts is None:
        first_ts = graph.events["ts"].min()  # type: ignore[assignment]
    if new_account_base is None:
        new_account_base = new_account_rate(
            graph, entities, first_ts=first_ts, days=new_account_days
        )
    size = _sizes(mem)
    actions, totals = _interactions(graph, roles, interactions)
    tested = _of_rings(mem, beyond_chance).select("key", "ring_id")
    beyond = targets_beyond_chance(graph, tested, actions=actions, totals=totals)
    listed = _ring_targets(graph, mev, size, targets, beyond)
    # the features are those of the named targets (the ones added beyond chance are only
    # reported: ``targets``), or the added ones of a ring none of whose targets is named
    tgt = listed.filter(~pl.col("beyond") | pl.col("beyond").all().over("ring_id"))
    on_t = mev.join(tgt.select("ring_id", "dst"), on=["ring_id", "dst"])
    w_us = max(1, int(burst_window / timedelta(microseconds=1)))
    if rhythm is None:
        rhythm = hourly_rhythm(graph)
    parts = [
        size,
        _target_keys(graph, listed),
        _density(size, tgt, background).drop("n_targets"),
        _synchrony_at_scales(on_t, w_us, rhythm, graph, scales),
        _schedule(on_t),
        _camouflage(mev, tgt, mem),
        _sharing(mev, size),
        _reciprocity(graph.events, mev, mem, roles),
        _action_mix(on_t, graph.events, roles, values),
        _with_beyond_block(graph, mem, tgt, _of_rings(listed, wide_block), actions, totals),
        _accounts(mem, entities, first_ts, new_account_days),
        _own_beyond(mev, beyond, size),
    ]
    feats = ring_ids
    for p in parts:
        feats = feats.join(p, on="ring_id", how="left")
    feats = _with_event_market(feats, mev)
    base = new_account_base_rate(new_account_base)
    lift = new_account_lift(pl.col("new_account_share"), base)
    new = feats["_new"].fill_null(0).to_numpy()
    known = feats["_known"].fill_null(0).to_numpy()
    sig = pl.Series("new_account_sig", new_account_significance(new, known, base))
    feats = feats.with_columns(lift.alias("new_account_lift"), sig)
    feats = _with_arrivals(feats, mem, graph, arrival).drop("_new", "_known")
    return _finish(feats.with_columns(_scheduled_excess()))


#: Without account ages, a member *arrived* in the run when its first event falls after
#: this share of the data's span (:func:`arrivals`): an account active from the first days
#: may be years old, one first seen later is new to the data, or rarely active.
ARRIVAL_MARGIN = 0.1


def arrival_cutoff(first_ts: datetime, last_ts: datetime) -> datetime:
    """The time after which an account's first event counts as an arrival
    (:data:`ARRIVAL_MARGIN` of the span from ``first_ts`` to ``last_ts``).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2024, 6, 1, tzinfo=timezone.utc)
    >>> arrival_cutoff(t, datetime(2024, 7, 1, tzinfo=timezone.utc)).isoformat()
    '2024-06-04T00:00:00+00:00'
    """
    return first_ts + (last_ts - first_ts) * ARRIVAL_MARGIN


def arrivals(graph: EventGraph) -> tuple[datetime, float] | None:
    """The run's :func:`arrival_cutoff` and the share of its accounts (the nodes that act)
    whose first event falls after it: the platform's own rate of arrivals, the base of
    ``arrival_lift`` (None for a graph without events or whose events all share one
    time: a batch of one instant has no arrivals).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timedelta, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 6, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"actor_id": ["1", "2", "1", "3"], "actor_type": "buyer",
    ...     "target_id": "p", "target_type": "product", "action": "order",
    ...     "ts": [t, t + timedelta(days=5), t + timedelta(days=9), t + timedelta(days=10)]})
    >>> cutoff, share = arrivals(build_graph(ev))
    >>> cutoff.isoformat(), round(share, 3)
    ('2024-06-02T00:00:00+00:00', 0.667)
    """
    ev = graph.events
    if ev.height == 0:
        return None
    first_ts, last_ts = ev["ts"].min(), ev["ts"].max()
    if first_ts == last_ts:
        return None
    cutoff = arrival_cutoff(first_ts, last_ts)  # type: ignore[arg-type]
    first = ev.group_by("src").agg(pl.col("ts").min())
    return cutoff, float((first["ts"] >= cutoff).mean())  # type: ignore[arg-type]


def _with_arrivals(
    feats: pl.DataFrame,
    mem: pl.DataFrame,
    graph: EventGraph,
    arrival: tuple[datetime, float] | None,
) -> pl.DataFrame:
    """``feats`` with ``arrival_share``, ``arrival_lift`` and ``arrival_sig`` for the
    rings none of whose members' creation times is known (module docstring)."""
    unknown = feats.filter(pl.col("_known").fill_null(0) == 0).select("ring_id")
    if unknown.height and arrival is None:
        arrival = arrivals(graph)
    if unknown.height == 0 or arrival is None:
        return feats.with_columns(
            pl.lit(None, pl.Float64).alias("arrival_share"),
            pl.lit(0.0).alias("arrival_lift"),
            pl.lit(0.0).alias("arrival_sig"),
        )
    cutoff, rate = arrival
    m = mem.join(unknown, on="ring_id").select("ring_id", "src").unique()
    first = (
        graph.events.filter(pl.col("src").is_in(m["src"].unique().implode()))
        .group_by("src")
        .agg(pl.col("ts").min().alias("_first"))
    )
    per = (
        m.join(first, on="src")
        .group_by("ring_id")
        .agg((pl.col("_first") >= cutoff).sum().alias("_in"), pl.len().alias("_n"))
        .sort("ring_id")
    )
    base = new_account_base_rate(rate)
    sig = new_account_significance(per["_in"].to_numpy(), per["_n"].to_numpy(), base)
    per = per.with_columns(
        (pl.col("_in") / pl.col("_n")).cast(pl.Float64).alias("arrival_share"),
        pl.Series("arrival_sig", sig, dtype=pl.Float64),
    ).with_columns(new_account_lift(pl.col("arrival_share"), base).alias("arrival_lift"))
    return feats.join(
        per.select("ring_id", "arrival_share", "arrival_lift", "arrival_sig"),
        on="ring_id",
        how="left",
    )


def _with_event_market(feats: pl.DataFrame, mev: pl.DataFrame) -> pl.DataFrame:
    """``feats`` with ``market`` the members' accounts' market, else the most common
    market of their events (the first of a tie)."""
    ev_market = (
        mev.filter(pl.col("market").is_not_null())
        .group_by("ring_id")
        .agg(pl.col("market").mode().sort().first().alias("_ev_market"))
    )
    return (
        feats.join(ev_market, on="ring_id", how="left")
        .with_columns(pl.coalesce("market", "_ev_market").alias("market"))
        .drop("_ev_market")
    )


def _scheduled_excess() -> pl.Expr:
    """``synchrony_excess``, 0 for a ring of accounts that are not new keeping a schedule
    (``schedule_share`` at least :data:`SCHEDULED`; module docstring)."""
    scheduled = (pl.col("schedule_share").fill_null(0.0) >= SCHEDULED) & (
        pl.col("new_account_lift").fill_null(0.0) < NEW_ACCOUNT_APART
    )
    return (
        pl.when(scheduled).then(0.0).otherwise(pl.col("synchrony_excess")).alias("synchrony_excess")
    )


def new_account_base_rate(base: float | None) -> float:
    """The platform's rate of new accounts as :func:`new_account_lift` and
    :func:`new_account_significance` take it: unknown counts as 0, and it is at most 0.99
    (on a platform of nothing but new accounts a group can be no newer).

    Examples
    --------
    >>> [new_account_base_rate(b) for b in (None, -0.1, 0.05, 1.0)]
    [0.0, 0.0, 0.05, 0.99]
    """
    return min(max(float(base or 0.0), 0.0), 0.99)


def new_account_lift(share: pl.Expr, base: float) -> pl.Expr:
    """A group's share of new accounts above the platform's rate ``base`` (below 1),
    ``(share - base) / (1 - base)`` in [0, 1]: ``new_account_lift``.

    Examples
    --------
    >>> shares = pl.DataFrame({"share": [0.75, 0.5, 0.25]})
    >>> shares.select(new_account_lift(pl.col("share"), 0.5)).to_series().to_list()
    [0.5, 0.0, 0.0]
    """
    return ((share - base) / (1.0 - base)).clip(0.0, 1.0)


def new_account_significance(
    new: np.ndarray | Sequence[int], known: np.ndarray | Sequence[int], base: float
) -> np.ndarray:
    """``-log10 P(X >= new)``, ``X ~ Binomial(known, base)``: how far beyond the
    platform's rate of new accounts (``base``) a group's ``new`` accounts among its
    ``known`` (those whose creation time is known) are; 0 where none is new, at most 300.

    A share alone says little for a small group: one new account in six is a lift of
    0.12 above a platform where one in twenty is new, and chance does that to one group
    in four.

    Examples
    --------
    >>> new_account_significance([1, 5, 0], [6, 6, 6], 0.05).round(2).tolist()
    [0.58, 5.75, 0.0]
    """
    return -binomial_log10_sf(new, known, base) + 0.0


def new_account_rate(
    graph: EventGraph, entities: pl.DataFrame | None, *, first_ts: Any, days: int = 60
) -> float | None:
    """The share of the graph's accounts (entities with a known creation time) created less
    than ``days`` before ``first_ts``: the platform's own rate of new accounts.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 6, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"actor_id": ["1", "2"], "actor_type": "buyer", "target_id": "p",
    ...     "target_type": "product", "action": "order", "ts": t})
    >>> ent = pl.DataFrame({"entity_type": "buyer", "entity_id": ["1", "2"],
    ...     "created_at": [datetime(2024, 5, 20, tzinfo=timezone.utc), datetime(2020, 1, 1, tzinfo=timezone.utc)]})
    >>> new_account_rate(build_graph(ev), ent, first_ts=t)
    0.5
    """
    found = new_accounts(graph, entities, first_ts=first_ts, days=days)
    return None if found is None else found[1]


def new_accounts(
    graph: EventGraph, entities: pl.DataFrame | None, *, first_ts: Any, days: int = 60
) -> tuple[pl.Series, float] | None:
    """The node keys of the graph's accounts created less than ``days`` before
    ``first_ts`` (or after it), and their share among the graph's accounts whose creation
    time is known (:func:`new_account_rate`); None when no account's is.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 6, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"actor_id": ["1", "2"], "actor_type": "buyer", "target_id": "p",
    ...     "target_type": "product", "action": "order", "ts": t})
    >>> ent = pl.DataFrame({"entity_type": "buyer", "entity_id": ["1", "2"],
    ...     "created_at": [datetime(2024, 5, 20, tzinfo=timezone.utc), datetime(2020, 1, 1, tzinfo=timezone.utc)]})
    >>> keys, share = new_accounts(build_graph(ev), ent, first_ts=t)
    >>> keys.to_list(), share
    (['buyer:1'], 0.5)
    """
    if entities is None or entities.height == 0 or first_ts is None:
        return None
    known = (
        entities.select(node_key("entity_type", "entity_id"), "created_at")
        .join(graph.nodes.select("key"), on="key", how="semi")
        .drop_nulls("created_at")
    )
    if known.height == 0:
        return None
    new = known.filter(pl.col("created_at") >= first_ts - timedelta(days=days))["key"]
    return new, new.len() / known.height


def _finish(feats: pl.DataFrame) -> pl.DataFrame:
    """Fill the gaps (0 where a ring has no such events) and add the per-member rates."""
    counts = ["n_targets", "ring_events", "inner_engagements"]
    floats = [
        c
        for c, t in feats.schema.items()
        if t.is_float() and c not in ("new_account_share", "arrival_share")
    ]
    return (
        feats.with_columns(
            [pl.col(c).cast(pl.Float64).fill_null(0.0).fill_nan(0.0) for c in floats]
            + [pl.col(counts).fill_null(0).cast(pl.Int64)]
            + [pl.col("targets", "beyond_targets").fill_null(pl.lit([], dtype=pl.List(pl.String)))]
        )
        .with_columns(
            (pl.col("inner_engagements") / pl.col("size"))
            .cast(pl.Float64)
            .alias("inner_engagement_rate")
        )
        .sort("ring_id")
    )
