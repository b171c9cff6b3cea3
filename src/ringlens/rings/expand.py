"""Grow candidate rings to their full membership, and peel each ring for its dense core.

Detectors working on pairs (lockstep) see a ring's core: the members that happened to hit
two targets in the same window as another member. :func:`expand_candidates` adds the
members they missed, time-aware and camouflage-resistant:

1. the candidate's **targets** are the nodes that at least ``max(2, 30 %)`` of its members
   hit, skipping hubs hit by more than ``max_target_degree`` distinct actors;
2. an outside actor joins when it hit at least ``min_coverage`` (50 %) of those targets
   (and at least two), each **close in time to a member's hit on the same target** — in
   the same or a neighbouring ``window``-long time bucket, so less than two windows apart
   (a bucket join, not a product of all hits: linear in the events), in a bucket where
   the members are more than half of the accounts acting on that target (the ring's
   moment: in a flash sale's hour a member's purchase is one of hundreds) — for targets
   that are the candidate's own (members are more than half of everyone who ever acted
   on them: a slow ring's private promo code, a farm's phones and payout accounts), any
   time counts. A device or network that is not the candidate's own is timed like any
   target: forty farm accounts behind a carrier's address block shared by 850 others
   say nothing about those others. One target is enough when it is one of the
   candidate's own and the hit falls in the members' moment on it (the same buckets):
   a paid rater who rated one of the two apps a boost made its own, in the boost's
   hours — not the app's organic rater ten days later;
3. its strength is the candidate's strength × its coverage;
4. an outside actor on one of the candidate's **own personal attributes** — a device or
   payout account (of a type that each account has about its own of) used by two or
   more members, whose accounts are at least half members — joins too, with that share
   as its coverage: the farm phone's accounts that only ever logged in. Once the
   joiners of 2–4 are in, the attributes that have become the candidate's own count
   the same way (one more pass: a farm phone the detector saw three of nine accounts
   on, six of which joined through their hits).

A member's other activity (camouflage) does not count against it, with one exception:
an outside account's hits must be beyond what its volume explains (``max_chance``, a
Poisson test: a power user who buys hundreds of listings hits a ring's listings in its
hour in passing). All of it is one set of Polars joins over every
candidate at once.

:func:`dense_cores` runs FRAUDAR (:func:`ringlens.detect.dense.fraudar`) on each ring's own
member × target matrix and returns the members in the densest block with the block's fill
as strength: the ``dense_block`` signal. Peeling a ring's neighbourhood rather than the
whole graph is what makes dense-block detection work on rings of 10–40 accounts, which a
global peel ranks below blocks of heavy organic users.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import timedelta

import numpy as np
import polars as pl

from ringlens.graph import EventGraph
from ringlens.rings.features import (
    new_account_base_rate,
    new_account_lift,
    new_account_significance,
)

log = logging.getLogger(__name__)

__all__ = ["WHOLE", "split_candidates", "expand_candidates", "dense_cores", "type_edges"]


#: A target more than this share of whose actors are a candidate's members is the
#: candidate's own: a hit on it counts at any time (a slow ring's private promo code).
OWN_SHARE = 0.5


def _member_nodes(graph: EventGraph, candidates: pl.DataFrame) -> pl.DataFrame:
    """Candidates with one ``cand`` id per (detector, candidate) and each member's graph
    ``node`` (members not in the graph are dropped)."""
    return candidates.with_columns(
        pl.concat_str("detector", pl.lit("\x1f"), "candidate").alias("cand")
    ).join(graph.named_nodes(candidates["key"]), on="key", how="inner")


def _in_degree(graph: EventGraph) -> pl.DataFrame:
    """``dst``, ``deg``: each target's distinct actors (its edges: edges are distinct pairs),
    by counting node ids."""
    count = np.bincount(graph.edges["dst"].to_numpy(), minlength=graph.n_nodes)
    nz = np.flatnonzero(count)
    return pl.DataFrame(
        {"dst": pl.Series(nz, dtype=pl.UInt32), "deg": pl.Series(count[nz], dtype=pl.UInt32)}
    )


def type_edges(graph: EventGraph) -> dict[str, int]:
    """Node type → the edges (distinct actor-target pairs) into the nodes of that type:
    the baseline of the expansion's chance test (:func:`_beyond_chance`), a run-wide
    quantity (:class:`ringlens.pipeline.context.RunContext`'s ``type_edges``).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> ev = pl.DataFrame({"actor_id": ["a", "a", "b"], "target_id": ["p", "p", "q"],
    ...     "ts": [datetime(2024, 1, d, tzinfo=timezone.utc) for d in (1, 2, 3)]}).with_columns(
    ...     actor_type=pl.lit("buyer"), target_type=pl.lit("product"), action=pl.lit("order"))
    >>> from ringlens.graph import build_graph
    >>> type_edges(build_graph(ev))
    {'product': 2}
    """
    deg = _in_degree(graph)
    types = graph.nodes.select(pl.col("node").alias("dst"), pl.col("node_type").cast(pl.String))
    per = deg.join(types, on="dst").group_by("node_type").agg(pl.col("deg").sum()).sort("node_type")
    return {str(t): int(n) for t, n in per.iter_rows()}


def _candidate_targets(
    graph: EventGraph, cand: pl.DataFrame, *, max_target_degree: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(core events on the candidate's targets, the targets with their type and ``deg``:
    their distinct actors)."""
    ev = graph.events
    size = cand.group_by("cand").agg(pl.len().alias("n"))
    # only the members' events go into the join (a boolean lookup per event first)
    is_member = np.zeros(graph.n_nodes, dtype=bool)
    is_member[cand["node"].to_numpy()] = True
    mine = ev.filter(pl.Series(is_member[ev["src"].to_numpy()]))
    core = mine.join(cand.select("cand", pl.col("node").alias("src")), on="src")
    deg = _in_degree(graph)
    types = graph.nodes.select(pl.col("node").alias("dst"), pl.col("node_type").alias("dst_type"))
    targets = (
        core.group_by("cand", "dst")
        .agg(pl.col("src").n_unique().alias("hits"))
        .join(size, on="cand")
        .filter((pl.col("hits") >= 2) & (pl.col("hits") >= 0.3 * pl.col("n")))
        .join(deg, on="dst")
        .filter((pl.col("deg") <= max_target_degree) | (max_target_degree == 0))
        .join(types, on="dst")
        # the candidate's own: more than half of everyone who ever acted on it is a member
        .select(
            "cand",
            "dst",
            "dst_type",
            (pl.col("hits") > OWN_SHARE * pl.col("deg")).alias("own"),
            "deg",
        )
    )
    core_hits = core.join(targets, on=["cand", "dst"]).select(
        "cand", "dst", "dst_type", "own", pl.col("ts").alias("ts_core"), pl.col("src").alias("m")
    )
    return core_hits, targets


#: The start of the id of a candidate that :func:`split_candidates` keeps whole and
#: :func:`expand_candidates` leaves as it is: its members are linked by what its detector
#: tested and no member owns (families of shared cards meeting on a rare app,
#: :func:`ringlens.detect.shared.shared_targets` step 5; the extreme ratings of a
#: skewed-ratings group, :func:`ringlens.detect.ratings.skewed_ratings`), not by
#: targets of its own, so neither those targets nor the times of the members' hits on
#: them say who else is in it.
WHOLE = "whole."

#: A candidate a time detector found in step at this scale or longer (seconds) is no
#: daily rhythm: commutes, class timetables and lunch rushes meet within hours, every
#: day; at a scale of days a day's rhythm averages out (:func:`split_candidates`).
SLOW_SCALE = 86_400.0


def split_candidates(
    graph: EventGraph,
    candidates: pl.DataFrame,
    *,
    min_share: float = 1 / 3,
    min_size: int = 3,
    timing: Collection[str] = (),
    new_accounts: tuple[pl.Series, float] | None = None,
    min_new_lift: float = 0.1,
    min_new_sig: float = 2.0,
    scales: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Split each candidate along the targets that really are its own.

    A detector can chain two rings through a target they both touch only as camouflage
    (ring accounts liking the same viral video at the same hour). A ring's own targets
    are those that at least two members hit and where the members make up at least
    ``min_share`` of everyone who ever hit the target — the brushing ring's products, the
    boosted creators' posts, the affiliate's links, the farm's devices. Members are
    connected through those targets only; each connected part becomes its own candidate
    (``candidate`` gets a ``.<part>`` suffix when a split happens), parts smaller than
    ``min_size`` are dropped, and members with no own target are dropped too (the
    expansion step can bring them back through the part's targets).

    A candidate of a ``timing`` detector whose own targets hold no part of ``min_size``
    has nothing to split along: every target its members share is shared with many
    others (drivers in step on busy zones, riders on a commuter route). Being in step on
    public targets is what a commute or a class timetable does too, so such a candidate
    is kept whole only when
    its members are new accounts beyond the platform's rate: ``new_accounts`` (the new
    accounts' node keys and their share among the platform's accounts:
    :func:`ringlens.rings.features.new_accounts`) gives both, and the members' share
    must exceed the platform's by ``min_new_lift`` of what is left above it (the ring
    stage's ``new_account_lift``) and be beyond chance for their number: ``-log10`` of
    the binomial tail at least ``min_new_sig``
    (:func:`ringlens.rings.features.new_account_significance`); or when the detector
    found it in step at a scale of :data:`SLOW_SCALE` or longer (``scales``: ``detector,
    candidate, window`` in seconds, the candidate targets' windows,
    :data:`ringlens.pipeline.registry.TARGET_SCHEMA`): a commute or a timetable meets
    within hours every day, a campaign of fake reviews on popular restaurants over two
    weeks is in step at the scale of days. The ring stage then asks whether it is in step
    beyond chance at that scale (:func:`ringlens.rings.core.build_rings`). Without
    either such candidates are dropped, and so are other detectors' candidates
    without a part (a community or block found by what its members hit has no own target
    only when it is a slice of a larger audience). One with a :data:`WHOLE` id is kept.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> rows = [(a, p) for a in "abc" for p in ("p1", "p2")] + [(a, p) for a in "xyz" for p in ("q1", "q2")]
    >>> rows += [(a, "viral") for a in "abcxyz"] + [(str(i), "viral") for i in range(30)]
    >>> ev = pl.DataFrame(rows, schema=["actor_id", "target_id"], orient="row").with_columns(
    ...     actor_type=pl.lit("buyer"), target_type=pl.lit("product"), action=pl.lit("order"), ts=pl.lit(t))
    >>> c = pl.DataFrame({"detector": "lockstep", "candidate": "0",
    ...     "key": [f"buyer:{a}" for a in "abcxyz"], "strength": 1.0})
    >>> split_candidates(build_graph(ev), c).group_by("candidate").agg(pl.col("key").sort()).sort("candidate").rows()
    [('0.0', ['buyer:a', 'buyer:b', 'buyer:c']), ('0.1', ['buyer:x', 'buyer:y', 'buyer:z'])]
    """
    whole, candidates = _whole_apart(candidates)
    if candidates.height == 0:
        return whole
    c = _member_nodes(graph, candidates)
    members, parts = _own_parts(graph, c, min_share=min_share, min_size=min_size)
    out = (
        c.join(members, on=["cand", "node"])
        .join(parts, on=["cand", "comp"])
        .with_columns(
            pl.when(pl.col("n_parts") > 1)
            .then(pl.concat_str("candidate", pl.lit("."), pl.col("part").cast(pl.String)))
            .otherwise(pl.col("candidate"))
            .alias("candidate")
        )
        .select("detector", "candidate", "key", "strength")
    )
    timed = c.filter(pl.col("detector").is_in(list(timing)))
    timed_whole = _kept_whole(
        timed, parts, min_size, new_accounts, (min_new_lift, min_new_sig), _slow(scales)
    )
    out = pl.concat([out, timed_whole, whole]).sort("detector", "candidate", "key")
    split = parts.filter(pl.col("n_parts") > 1)["cand"].n_unique()
    if split:
        log.info("split %d candidates along their own targets", split)
    return out


def _own_parts(
    graph: EventGraph, c: pl.DataFrame, *, min_share: float, min_size: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(cand, node, comp)`` of each candidate's members (``c``: :func:`_member_nodes`)
    linked through the targets that are its own (:func:`split_candidates`), and the
    parts of at least ``min_size`` members: ``cand, comp, size, part, n_parts``."""
    from ringlens.graph.core import component_labels

    deg = _in_degree(graph)
    own = (
        graph.edges.select("src", "dst")
        .join(c.select("cand", pl.col("node").alias("src")), on="src")
        .group_by("cand", "dst")
        .agg(pl.col("src").alias("members"), pl.len().alias("m"))
        .join(deg, on="dst")
        .filter((pl.col("m") >= 2) & (pl.col("m") >= min_share * pl.col("deg")))
        .explode("members")
        .rename({"members": "src"})
        .select("cand", "src", "dst")
    )
    # vertices: (cand, member) and (cand, target) pairs; edges: member -- own target
    mv = own.select("cand", pl.col("src").alias("n"), pl.lit(0, pl.Int8).alias("side"))
    tv = own.select("cand", pl.col("dst").alias("n"), pl.lit(1, pl.Int8).alias("side"))
    verts = pl.concat([mv, tv]).unique().sort("cand", "side", "n").with_row_index("v")
    e = own.join(
        verts.filter(pl.col("side") == 0).select(
            "cand", pl.col("n").alias("src"), pl.col("v").alias("a")
        ),
        on=["cand", "src"],
    ).join(
        verts.filter(pl.col("side") == 1).select(
            "cand", pl.col("n").alias("dst"), pl.col("v").alias("b")
        ),
        on=["cand", "dst"],
    )
    comp = component_labels(verts.height, e["a"].to_numpy(), e["b"].to_numpy())
    members = (
        verts.with_columns(pl.Series("comp", comp))
        .filter(pl.col("side") == 0)
        .select("cand", pl.col("n").alias("node"), "comp")
    )
    sizes = (
        members.group_by("cand", "comp")
        .agg(pl.len().alias("size"))
        .filter(pl.col("size") >= min_size)
    )
    parts = sizes.sort("cand", "comp").with_columns(
        pl.int_range(0, pl.len()).over("cand").alias("part"), pl.len().over("cand").alias("n_parts")
    )
    return members, parts


def _whole_apart(candidates: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The candidates whose id starts with :data:`WHOLE` (in the candidates' columns
    ``detector, candidate, key, strength``), and the others."""
    kept = pl.col("candidate").str.starts_with(WHOLE)
    cols = ("detector", "candidate", "key", "strength")
    return candidates.filter(kept).select(cols), candidates.filter(~kept)


def _slow(scales: pl.DataFrame | None) -> pl.DataFrame | None:
    """``detector, candidate`` of the candidates found in step at :data:`SLOW_SCALE` or
    longer (``scales``: ``detector, candidate, window``)."""
    if scales is None or "window" not in scales.columns:
        return None
    return (
        scales.filter(pl.col("window") >= SLOW_SCALE)
        .select("detector", "candidate")
        .unique()
        .sort("detector", "candidate")
    )


def _kept_whole(
    c: pl.DataFrame,
    parts: pl.DataFrame,
    min_size: int,
    new_accounts: tuple[pl.Series, float] | None,
    min_new: tuple[float, float],
    slow: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The candidates of ``c`` without a part (:func:`split_candidates`) whose members are
    new accounts beyond the platform's rate (``min_new``: the least lift and
    significance) or that ``slow`` names (found in step at a scale of days), whole."""
    cols = ("detector", "candidate", "key", "strength")
    alone = c.join(parts.select("cand").unique(), on="cand", how="anti")
    per = (
        alone.group_by("cand", "detector", "candidate")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= min_size)
        .sort("cand")
    )
    kept = per.clear().select("cand")
    if slow is not None:
        kept = per.join(slow, on=["detector", "candidate"], how="semi").select("cand")
    if new_accounts is not None:
        keys, base = new_accounts
        base = new_account_base_rate(base)
        new = alone.group_by("cand").agg(pl.col("key").is_in(keys.implode()).sum().alias("x"))
        per = per.join(new, on="cand")
        sig = new_account_significance(per["x"].to_numpy(), per["n"].to_numpy(), base)
        lift = new_account_lift(pl.col("x") / pl.col("n"), base)
        fresh = per.filter((lift >= min_new[0]) & pl.Series(sig >= min_new[1]))
        kept = pl.concat([kept, fresh.select("cand")]).unique()
    return alone.join(kept, on="cand").select(cols)


def _any_time() -> pl.Expr:
    """Targets on which a hit counts at any time: the candidate's own."""
    return pl.col("own")


def _bucket(ts: str, w_us: int) -> pl.Expr:
    """The ``window``-long time bucket of the timestamps in column ``ts``."""
    return (pl.col(ts).dt.epoch("us") // w_us).alias("bucket")


def _core_buckets(
    graph: EventGraph, core_hits: pl.DataFrame, *, w_us: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``cand, dst, bucket`` of the members' moments: the bucket of a member's hit on a
    target and its two neighbours (within < 2 windows), when the members are more than
    :data:`OWN_SHARE` of the accounts acting on the target in that bucket — the ring's
    moment, not a crowd's (a flash sale's hour on a listing, a live's peak, where a
    member's hit is one of hundreds). Two frames from one pass over the events: the timed
    targets' (the only buckets in which an outside hit on them counts) and the own
    targets' (those in which one hit on them is enough: :func:`_covering`)."""
    hits = core_hits.select("cand", "dst", "own", _bucket("ts_core", w_us), "m")
    members = hits.group_by("cand", "dst", "own", "bucket").agg(
        pl.col("m").n_unique().alias("members")
    )
    moments = members.select("dst", "bucket").unique()
    actors = (
        graph.events.select("src", "dst", "ts")
        .join(moments.select("dst").unique(), on="dst", how="semi")
        .with_columns(_bucket("ts", w_us))
        .join(moments, on=["dst", "bucket"], how="semi")
        .group_by("dst", "bucket")
        .agg(pl.col("src").n_unique().alias("actors"))
    )
    moment = (
        members.join(actors, on=["dst", "bucket"])
        .filter(pl.col("members") > OWN_SHARE * pl.col("actors"))
        .select("cand", "dst", "own", "bucket")
        .with_columns(
            pl.concat_list(pl.col("bucket") - 1, pl.col("bucket"), pl.col("bucket") + 1).alias(
                "bucket"
            )
        )
        .explode("bucket")
        .unique()
    )
    own = _any_time()
    return moment.filter(~own).drop("own"), moment.filter(own).drop("own")


def _outside_hits(
    core_buckets: pl.DataFrame,
    outside: pl.DataFrame,
    *,
    w_us: int,
    own_buckets: pl.DataFrame,
) -> pl.DataFrame:
    """The outside actors' hits ``(cand, src, dst, moment)`` that count: on a target of
    the candidate's own at any time, on another target near a member's hit on it (in one
    of its ``core_buckets``: :func:`_core_buckets`). ``moment``: the hit is near a
    member's (always, on the other targets; on the own targets, in one of
    ``own_buckets``, the same rule's buckets of the own targets)."""
    # time check without a product of hits: bucket time by the window; a hit counts when a
    # member hit the same target in the same or a neighbouring bucket (within < 2 windows)
    any_time = _any_time()
    timed = (
        outside.filter(~any_time)
        .with_columns(_bucket("ts", w_us))
        .join(core_buckets, on=["cand", "dst", "bucket"], how="semi")
        .select("cand", "src", "dst", pl.lit(True).alias("moment"))
    )
    near = own_buckets.select("cand", "dst", "bucket", pl.lit(True).alias("moment"))
    untimed = (
        outside.filter(any_time)
        .with_columns(_bucket("ts", w_us))
        .join(near, on=["cand", "dst", "bucket"], how="left")
        .select("cand", "src", "dst", pl.col("moment").fill_null(False))
    )
    return pl.concat([timed, untimed])


def _near_core_hits(
    graph: EventGraph,
    core_buckets: pl.DataFrame,
    targets: pl.DataFrame,
    *,
    w_us: int,
) -> pl.DataFrame:
    """The events ``(src, dst, ts)`` that :func:`_outside_hits` can count for some
    candidate: every event on a target that counts at any time for one, and the others
    only in a bucket where some candidate's hits count (``core_buckets``).

    Filtering before pairing events with candidates keeps the expansion linear: a target
    that many candidates share (the same rings bursting month after month) is otherwise
    paired with every one of its events once per candidate (100M events: hundreds of
    millions of rows). The result is the same: each candidate still checks its own buckets.
    """
    anytime = targets.filter(_any_time()).select("dst").unique()
    near = core_buckets.select("dst", "bucket").unique()
    ev = graph.events.select("src", "dst", "ts").join(
        targets.select("dst").unique(), on="dst", how="semi"
    )
    on_anytime = ev.join(anytime, on="dst", how="semi")
    timed = (
        ev.join(anytime, on="dst", how="anti")
        .with_columns(_bucket("ts", w_us))
        .join(near, on=["dst", "bucket"], how="semi")
        .drop("bucket")
    )
    return pl.concat([on_anytime, timed])


def _covering(found: pl.DataFrame, targets: pl.DataFrame, *, min_coverage: float) -> pl.DataFrame:
    """``cand, src, hit, n_targets, coverage``: the outside actors whose hits (``found``:
    ``cand, src, dst, moment``) cover ``min_coverage`` of the candidate's targets and at
    least two of them, or one of its own in the candidate's moment (a paid rater who
    rated one of the two apps a boost made its own, in the boost's hours; not a shop's
    regular who buys there on another day)."""
    n_targets = targets.group_by("cand").agg(pl.len().alias("n_targets"))
    own = targets.filter(_any_time()).select("cand", "dst", pl.lit(True).alias("_own"))
    return (
        found.join(own, on=["cand", "dst"], how="left")
        .group_by("cand", "src")
        .agg(
            pl.col("dst").n_unique().alias("hit"),
            (pl.col("_own").fill_null(False) & pl.col("moment")).any().alias("_in_moment"),
        )
        .join(n_targets, on="cand")
        .with_columns((pl.col("hit") / pl.col("n_targets")).alias("coverage"))
        .filter(
            ((pl.col("hit") >= 2) | pl.col("_in_moment")) & (pl.col("coverage") >= min_coverage)
        )
        .drop("_in_moment")
    )


def _crowds(hits: pl.DataFrame, cand: pl.DataFrame, *, max_growth: float) -> pl.DataFrame:
    """``cand``: the candidates whose outside hits would take in more than ``max_growth``
    times their own size (what many accounts hit at the same times is a crowd)."""
    core = cand.group_by("cand").agg(pl.len().alias("core"))
    return (
        hits.group_by("cand")
        .agg(pl.len().alias("joined"))
        .join(core, on="cand")
        .filter(pl.col("joined") > max_growth * pl.col("core"))
        .select("cand")
    )


def _moment_share(
    graph: EventGraph,
    near: pl.DataFrame,
    buckets: pl.DataFrame,
    targets: pl.DataFrame,
    *,
    w_us: int,
) -> pl.DataFrame:
    """``cand, dst, dst_type, deg, q``: the share of the events on each of the candidate's
    targets that fall where an outside hit counts (1 for the targets that count at any
    time; for the others the events in the candidate's ``buckets``, from ``near``: the
    events of :func:`_near_core_hits`)."""
    per_dst = (
        graph.edges.join(targets.select("dst").unique(), on="dst", how="semi")
        .group_by("dst")
        .agg(pl.col("count").sum().cast(pl.Float64).alias("n"))
    )
    any_time = _any_time()
    timed = targets.filter(~any_time)
    inside = (
        near.join(timed.select("dst").unique(), on="dst", how="semi")
        .with_columns(_bucket("ts", w_us))
        .join(buckets, on=["dst", "bucket"])
        .join(timed.select("cand", "dst"), on=["cand", "dst"], how="semi")
        .group_by("cand", "dst")
        .agg(pl.len().cast(pl.Float64).alias("k"))
    )
    return (
        targets.join(inside, on=["cand", "dst"], how="left")
        .join(per_dst, on="dst", how="left")
        .select(
            "cand",
            "dst",
            "dst_type",
            "deg",
            pl.when(any_time)
            .then(1.0)
            .otherwise((pl.col("k").fill_null(0.0) / pl.col("n")).clip(0.0, 1.0))
            .alias("q"),
        )
    )


def _beyond_chance(
    graph: EventGraph,
    hits: pl.DataFrame,
    moments: pl.DataFrame,
    *,
    max_chance: float,
    per_type: Mapping[str, int] | None = None,
) -> pl.DataFrame:
    """The ``hits`` (``cand, src, hit, ...``) of outside actors whose hits are more than
    their volume explains: ``P(Poisson(mu) >= hit) <= max_chance``.

    ``mu`` is the number of the candidate's targets an actor would hit where a hit counts
    at random: for each target, the actor's distinct targets of that type times the
    target's share of all edges into that type (a popular target is hit by more accounts
    in passing) times the share of the target's events that fall in the candidate's
    moments (1 for the targets that count at any time; ``moments``:
    :func:`_moment_share`). A buyer of a few items who buys two of a ring's listings
    minutes after its members is far beyond chance; a power user who buys hundreds of
    listings hits a ring's listings, and its moments, in passing."""
    if max_chance >= 1.0 or hits.height == 0:
        return hits
    from scipy.special import pdtrc  # poisson.sf's own kernel, without scipy.stats' 0.5 s import

    types = graph.nodes.select(pl.col("node").alias("dst"), pl.col("node_type").alias("dst_type"))
    edges = type_edges(graph) if per_type is None else per_type
    totals = pl.DataFrame(
        {"dst_type": list(edges), "e": [float(v) for v in edges.values()]},
        schema={"dst_type": pl.String, "e": pl.Float64},
    )
    pull = (
        moments.with_columns(pl.col("dst_type").cast(pl.String))
        .join(totals, on="dst_type")
        .group_by("cand", "dst_type")
        .agg((pl.col("deg") / pl.col("e") * pl.col("q")).sum().alias("pull"))
    )
    reach = (
        graph.edges.select("src", "dst")
        .join(hits.select("src").unique(), on="src", how="semi")
        .join(types.with_columns(pl.col("dst_type").cast(pl.String)), on="dst")
        .group_by("src", "dst_type")
        .agg(pl.len().cast(pl.Float64).alias("d"))
    )
    mu = (
        hits.select("cand", "src")
        .join(pull, on="cand")
        .join(reach, on=["src", "dst_type"])
        .group_by("cand", "src")
        .agg((pl.col("pull") * pl.col("d")).sum().alias("mu"))
    )
    scored = hits.join(mu, on=["cand", "src"], how="left").with_columns(pl.col("mu").fill_null(0.0))
    p = pdtrc(scored["hit"].to_numpy() - 1.0, scored["mu"].to_numpy())  # P(X >= hit)
    keep = scored.with_columns(pl.Series("p_chance", p)).filter(pl.col("p_chance") <= max_chance)
    if keep.height < hits.height:
        log.info(
            "expansion: %d outside actors' hits explained by their volume (not added)",
            hits.height - keep.height,
        )
    return keep.select(hits.columns)


def _personal_edges(
    graph: EventGraph, attribute_types: tuple[str, ...]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The edges ``src, dst`` onto attributes of ``attribute_types`` that are personal by
    their shape — at least half as many of them as accounts using them (each account has
    about its own phone or wallet; a coupon type fails that: a shop's voucher is claimed
    by many) — and each such attribute's accounts, ``dst, deg``."""
    typed = graph.nodes.filter(pl.col("node_type").is_in(list(attribute_types))).select(
        pl.col("node").alias("dst"), pl.col("node_type").cast(pl.String)
    )
    on_attr = graph.edges.select("src", "dst").join(typed, on="dst")
    personal = (
        on_attr.group_by("node_type")
        .agg(pl.col("dst").n_unique().alias("n"), pl.col("src").n_unique().alias("users"))
        .filter(pl.col("n") >= 0.5 * pl.col("users"))
        .select("node_type")
    )
    edges = on_attr.join(personal, on="node_type", how="semi").select("src", "dst")
    return edges, edges.group_by("dst").agg(pl.len().alias("deg"))


def _attribute_users(
    graph: EventGraph,
    cand: pl.DataFrame,
    personal: tuple[pl.DataFrame, pl.DataFrame],
    *,
    min_share: float,
) -> pl.DataFrame:
    """``cand, src, share``: outside accounts on the candidate's own attributes — the
    personal ones (``personal``: :func:`_personal_edges`) that two or more members use
    and whose accounts are at least ``min_share`` members (``share``: the members'
    share). A ring claiming most of a small voucher says nothing about the voucher's
    other claimers: vouchers are not personal."""
    edges, deg = personal
    members = cand.select("cand", pl.col("node").alias("src")).unique()
    own = (
        edges.join(members, on="src")
        .group_by("cand", "dst")
        .agg(pl.len().alias("m"))
        .join(deg, on="dst")
        .filter((pl.col("m") >= 2) & (pl.col("m") >= min_share * pl.col("deg")))
        .select("cand", "dst", (pl.col("m") / pl.col("deg")).alias("share"))
    )
    return (
        edges.join(own, on="dst")
        .join(members, on=["cand", "src"], how="anti")
        .select("cand", "src", "share")
        .cast({"cand": pl.String, "src": graph.edges.schema["src"], "share": pl.Float64})
    )


def _joiners(
    graph: EventGraph,
    cand: pl.DataFrame,
    hits: pl.DataFrame,
    crowd: pl.DataFrame,
    attribute_types: tuple[str, ...],
    *,
    min_share: float,
) -> pl.DataFrame:
    """``cand, src, share``: the outside actors that join — through their hits, through
    the candidate's own personal attributes, and then through the attributes that are
    the candidate's own once those have joined (a farm phone whose accounts the detector
    saw too few of to call it the ring's, but which the joiners fill)."""
    by_hits = hits.select("cand", "src", pl.col("coverage").clip(0.0, 1.0).alias("share"))
    if not attribute_types:
        return by_hits
    personal = _personal_edges(graph, attribute_types)
    first = pl.concat([by_hits, _attribute_users(graph, cand, personal, min_share=min_share)]).join(
        crowd, on="cand", how="anti"
    )
    grown = pl.concat(
        [cand.select("cand", "node"), first.select("cand", pl.col("src").alias("node"))]
    ).unique()
    again = _attribute_users(graph, grown, personal, min_share=min_share)
    return pl.concat([first, again.join(crowd, on="cand", how="anti")])


def expand_candidates(
    graph: EventGraph,
    candidates: pl.DataFrame,
    *,
    window: timedelta = timedelta(hours=3),
    min_coverage: float = 0.5,
    max_target_degree: int = 1000,
    attribute_types: tuple[str, ...] = (),
    max_growth: float = 2.0,
    min_attribute_share: float = 0.5,
    max_chance: float = 0.01,
    type_edges: Mapping[str, int] | None = None,
) -> pl.DataFrame:
    """Add to each candidate the outside actors that hit its targets in its time windows,
    and those on its own shared attributes (a candidate whose id starts with
    :data:`WHOLE` stays as it is).

    Parameters
    ----------
    graph
        The event graph.
    candidates
        ``detector, candidate, key, strength``.
    window
        How close in time an outside hit must be to a member's hit on the same target.
    min_coverage
        Share of the candidate's targets an outside actor must hit to join (two targets
        at least, or one of its own in the members' moment).
    max_target_degree
        Targets hit by more actors are not used (0 = no limit).
    attribute_types
        Node types of shared attributes (devices, payout accounts, coupons:
        :attr:`ringlens.graph.roles.Roles.shareable_types`), for ``min_attribute_share``.
        A hit on one counts at any time only when it is the candidate's own, like any
        target.
    max_growth
        A candidate that would take in more than ``max_growth`` times its own size is a
        crowd, not a ring: its targets are what many accounts hit at the same times (a
        flash sale, a viral post). It is dropped, not expanded.
    min_attribute_share
        An outside actor on a shared attribute (of ``attribute_types``) that two or more
        members use, and whose accounts are at least this share members, joins with
        that share as its coverage: the farm phone's accounts that never did more than
        log in are the farm's. (A member's family tablet has one member on it.)
    max_chance
        An outside actor joins through its hits only when they are less likely than
        this by chance given its volume (:func:`_beyond_chance`; ``1``: no test).
    type_edges
        The run's edges into each node type (:func:`type_edges`; default: this graph's).

    Returns
    -------
    polars.DataFrame
        The candidates with the new members appended (same schema).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timedelta, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> rows = [(a, p, t + timedelta(minutes=m)) for a, m in (("1", 0), ("2", 5), ("3", 9))
    ...         for p in ("p", "q")] + [("4", "p", t + timedelta(days=3)), ("4", "q", t + timedelta(days=3))]
    >>> rows += [(f"o{i}", f"x{i}", t + timedelta(days=1)) for i in range(200)]  # the shop's others
    >>> ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "ts"], orient="row").with_columns(
    ...     actor_type=pl.lit("buyer"), target_type=pl.lit("product"), action=pl.lit("order"))
    >>> c = pl.DataFrame({"detector": "lockstep", "candidate": "0", "key": ["buyer:1", "buyer:2"], "strength": 1.0})
    >>> expand_candidates(build_graph(ev), c)["key"].to_list()  # 3 joins, 4 came days later
    ['buyer:1', 'buyer:2', 'buyer:3']
    """
    whole, candidates = _whole_apart(candidates)
    if candidates.height == 0:
        return whole
    c = _member_nodes(graph, candidates)
    core_hits, targets = _candidate_targets(graph, c, max_target_degree=max_target_degree)
    w_us = max(1, int(window / timedelta(microseconds=1)))
    buckets, own_buckets = _core_buckets(graph, core_hits, w_us=w_us)
    ev = _near_core_hits(graph, buckets, targets, w_us=w_us)
    outside = ev.join(targets, on="dst").join(
        c.select("cand", pl.col("node").alias("src")), on=["cand", "src"], how="anti"
    )
    found = _outside_hits(buckets, outside, w_us=w_us, own_buckets=own_buckets)
    hits = _covering(found, targets, min_coverage=min_coverage)
    crowd = _crowds(hits, c, max_growth=max_growth)
    if crowd.height:
        log.info("expansion: %d candidates are crowds (dropped)", crowd.height)
        hits = hits.join(crowd, on="cand", how="anti")
        dropped = c.join(crowd, on="cand", how="semi").select("detector", "candidate").unique()
        candidates = candidates.join(dropped, on=["detector", "candidate"], how="anti")
    hits = _beyond_chance(
        graph,
        hits,
        _moment_share(graph, ev, buckets, targets, w_us=w_us),
        max_chance=max_chance,
        per_type=type_edges,
    )
    joined = _joiners(graph, c, hits, crowd, attribute_types, min_share=min_attribute_share)
    strength = c.group_by("cand", "detector", "candidate").agg(pl.col("strength").max().alias("cs"))
    added = (
        joined.group_by("cand", "src")
        .agg(pl.col("share").max())
        .join(strength, on="cand")
        .join(graph.nodes.select("key", pl.col("node").alias("src")), on="src")
        .select("detector", "candidate", "key", (pl.col("cs") * pl.col("share")).alias("strength"))
    )
    if added.height:
        log.info(
            "expansion added %d memberships to %d candidates",
            added.height,
            added["candidate"].n_unique(),
        )
    return pl.concat([candidates.select(whole.columns), added, whole]).sort(
        "detector", "candidate", "key"
    )


def dense_cores(
    graph: EventGraph,
    membership: pl.DataFrame,
    *,
    min_rows: int = 3,
    column_weighting: str = "log",
) -> pl.DataFrame:
    """FRAUDAR on each ring's member × target matrix: the densest block's members.

    Returns ``key, ring_id, strength`` (the block's fill: edges / (rows × cols)) for the
    members in the block. One peel per ring (a loop over rings, not over edges).
    """
    import scipy.sparse as sp

    from ringlens.detect.dense import fraudar, trim_block

    out_schema = {"key": pl.String, "ring_id": pl.String, "strength": pl.Float64}
    if membership.height == 0:
        return pl.DataFrame(schema=out_schema)
    mem = membership.select("key", "ring_id").join(
        graph.nodes.select("key", pl.col("node").alias("src")), on="key"
    )
    pairs = graph.edges.select("src", "dst").join(mem, on="src")
    # targets shared by >= 2 members only: a one-off hit is camouflage, not ring structure
    shared = pairs.group_by("ring_id", "dst").agg(pl.len().alias("m")).filter(pl.col("m") >= 2)
    pairs = pairs.join(shared.select("ring_id", "dst"), on=["ring_id", "dst"]).sort(
        "ring_id", "src", "dst"
    )
    parts = []
    for (rid,), grp in pairs.group_by(["ring_id"], maintain_order=True):
        rows, ri = np.unique(grp["src"].to_numpy(), return_inverse=True)
        cols, ci = np.unique(grp["dst"].to_numpy(), return_inverse=True)
        if len(rows) < min_rows:
            continue
        m = sp.csr_matrix((np.ones(len(ri)), (ri, ci)), shape=(len(rows), len(cols)))
        blocks = fraudar(m, n_blocks=1, column_weighting=column_weighting)  # type: ignore[arg-type]
        if not blocks.blocks:
            continue
        b = trim_block(m, blocks.blocks[0])
        if len(b.rows) < min_rows:
            continue
        fill = float(m[b.rows][:, b.cols].sum()) / max(1, len(b.rows) * len(b.cols))
        parts.append(
            pl.DataFrame(
                {"key": graph.keys(rows[b.rows]), "ring_id": rid, "strength": min(1.0, fill)},
                schema=out_schema,
            )
        )
    if not parts:
        return pl.DataFrame(schema=out_schema)
    return pl.concat(parts).sort("ring_id", "key")
