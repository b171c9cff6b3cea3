"""Skewed follow-ups: a target on which most of the accounts that took one action also
took a rarer one that follows it, beyond what targets of its popularity get.

Seven guests book a listing and ask for a near-full refund a day or two later; the host
rates them five stars. Nothing is shared, the bookings are weeks apart and one listing is
no block, so no pair of accounts, block or lockstep window shows them. What gives it away
is the share of the listing's bookers who came back for a refund: seven of nine, where
two in a hundred do on the platform. The same test sees a seller's buyers who all file a
return, a creator's viewers who all tip, a stream's watchers who all send gifts.

The test, per actor type and target type and per ordered pair of actions on them, a
*lead* and its *follow-up* — a follow-up is an action whose (account, target) pairs are
almost all (:data:`FOLLOW_SHARE`) pairs of the lead too, and at most half as many (a
refund follows a booking, a review follows an order, a tip follows a finished job; two
actions that everyone takes together are twins, not a lead and its follow-up):

1. a target's ``n`` accounts that took the lead on it, ``k`` of them the follow-up too;
2. the share ``k / n`` varies between targets, and with their popularity (the top streams
   turn more of their watchers into gifters than a quiet one does; a best-seller more of
   its browsers into buyers), so ``k`` is tested against the **beta-binomial** of targets
   of the same popularity: the targets with ``n`` in the same power of two, and the one
   below and above (at least :data:`FIT_MIN_TARGETS` of them, with at least
   :data:`FIT_MIN_ACTORS` accounts each; fewer, and a target is not tested — the few most
   popular targets of a platform have no peers, and a ring is too small a share of them to
   move it), mean and overdispersion by the method of moments, each target one
   observation (:func:`ringlens.detect.ratings.skewed_ratings`' fit), **without the target
   under test** (a ring's own share of seven in nine would widen the spread it is tested
   against);
3. accounts that came to a target in the same hour (:data:`MOMENT`) share that moment
   and are not independent draws: a host's call for gifts reaches every viewer present,
   and eighty of a live's hundred viewers answering it are one answer. A target's
   accounts and follow-ups are counted by the moments its lead events fall in (at most
   its accounts; the follow-ups scaled to keep its share), which leaves a listing's
   guests, booking weeks apart, as they are and a one-hour live's audience one or two
   draws. Synchronous groups are lockstep's to judge, against the target's own active
   period;
4. a target whose share is under :data:`MIN_LIFT` times its peers' is not tested: most of
   its follow-ups are what its peers' share gives anyway, and the group of everyone who
   followed up would be mostly ordinary accounts (fifteen bombers among a popular app's
   sixty raters lift its share of raters from a half to seven tenths: the app is beyond
   chance, its raters are not a ring — the bombers' ratings show them);
5. targets with at least ``min_actors`` follow-ups (so counted) are tested, Bonferroni
   over every target that could have been (``min_actors`` accounts or more, and peers to
   fit) and over the pairs of actions tested; a target significant at ``alpha`` is a
   group: the target and the accounts that took both actions on it — one group per
   target and follow-up, its most significant lead's (a tip follows both grading a job
   and paying for it).

Only the high side is tested: a target nobody follows up on is a dull one, not a ring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ringlens.detect._common import (
    TargetGroups,
    check_float,
    check_int,
    check_str_list,
    filtered_events,
    one_target_members,
)
from ringlens.detect.ratings import _MEMBERS_SCHEMA, _beta_shape, _log10_tail, _overdispersion
from ringlens.detect.significance import SIGNIFICANCE_CAP

if TYPE_CHECKING:
    from ringlens.graph import EventGraph

__all__ = ["FollowUpGroups", "follow_up_pairs", "skewed_follow_ups"]

#: Share of a follow-up's (account, target) pairs that must be pairs of its lead too.
FOLLOW_SHARE = 0.9
#: A follow-up has at most this share of its lead's (account, target) pairs.
FOLLOW_MAX_RATIO = 0.5
#: Accounts that took the lead on a target within one such bucket of time share a moment
#: (a host's call for gifts reaches everyone present) and count as one draw.
MOMENT = timedelta(hours=1)
#: A target's share of follow-ups must be at least this many times its peers' mean share:
#: half of a group at least is beyond what the target's peers would have followed up.
MIN_LIFT = 2.0
#: Fewest accounts a target needs to count in the fit of its peers' shares.
FIT_MIN_ACTORS = 5
#: Fewest peer targets a fit needs (fewer: the target is not tested).
FIT_MIN_TARGETS = 20

_GROUPS_SCHEMA = {
    "group": pl.Int64,
    "lead": pl.String,
    "follow": pl.String,
    "n_lead": pl.Int64,
    "n_actors": pl.Int64,
    "n_targets": pl.Int64,
    "significance": pl.Float64,
}


@dataclass(frozen=True)
class FollowUpGroups(TargetGroups):
    """Targets whose accounts took a follow-up beyond their peers (:func:`skewed_follow_ups`).

    Attributes
    ----------
    groups : polars.DataFrame
        One row per group (a target and a pair of actions): ``group`` (Int64, from 0, by
        lead, follow-up and target key), ``lead`` and ``follow`` (the actions),
        ``n_lead`` (the target's accounts that took the lead), ``n_actors`` (those that
        took the follow-up too), ``n_targets`` (1) and ``significance`` (``-log10 p``
        after the correction, at least ``-log10 alpha``).
    members : polars.DataFrame
        ``group``, ``key``, ``role`` (``"actor"``: an account that took both actions;
        ``"target"``), ``hits`` (the account's events on the target; the target's: its
        actors' sum). Sorted by group, role, key.
    params : dict
        The run's parameters and, per pair tested (``pairs``: ``"lead>follow"``), the
        family's mean share, the targets that could have been tested and those tested.
    """

    groups: pl.DataFrame
    members: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


def _pair_keys(ev: pl.DataFrame) -> dict[str, np.ndarray]:
    """Per action, its sorted distinct (account, target) pairs as ``src << 32 | dst``
    (Polars' parallel unique, then a sort: numpy's ``unique`` of millions of keys is
    several times slower, ``bench/bench_follow_ups.py``)."""
    keyed = ev.select(
        "action",
        (pl.col("src").cast(pl.UInt64) * (1 << 32) + pl.col("dst").cast(pl.UInt64)).alias("k"),
    )
    return {
        str(action): np.sort(g["k"].unique().to_numpy())
        for (action,), g in keyed.group_by("action")
    }


def _contained(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """Which of the sorted ``inner`` keys are in the sorted ``outer``."""
    if outer.size == 0:
        return np.zeros(inner.size, dtype=bool)
    pos = np.minimum(np.searchsorted(outer, inner), outer.size - 1)
    return outer[pos] == inner


def follow_up_pairs(keys: dict[str, np.ndarray]) -> list[tuple[str, str]]:
    """The ordered ``(lead, follow)`` pairs of actions (``keys``: per action, its sorted
    distinct pair keys) where the follow-up's pairs are almost all the lead's
    (:data:`FOLLOW_SHARE`) and at most :data:`FOLLOW_MAX_RATIO` as many, sorted.

    Examples
    --------
    >>> import numpy as np
    >>> keys = {"book": np.arange(100), "refund": np.arange(0, 100, 10), "view": np.arange(50, 400)}
    >>> follow_up_pairs(keys)
    [('book', 'refund')]
    """
    out = []
    for lead in sorted(keys):
        for follow in sorted(keys):
            a, b = keys[lead], keys[follow]
            if lead == follow or b.size == 0 or b.size > FOLLOW_MAX_RATIO * a.size:
                continue
            if _contained(b, a).sum() >= FOLLOW_SHARE * b.size:
                out.append((lead, follow))
    return out


def skewed_follow_ups(
    graph: EventGraph,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    alpha: float = 0.01,
    min_actors: int = 5,
) -> FollowUpGroups:
    """Targets on which the accounts that took one action took a follow-up far more often
    than on targets of the same popularity (see the module documentation).

    Parameters
    ----------
    graph : EventGraph
        The events.
    actions, actor_types, target_types : list of str, optional
        The events looked at (the platform's own names; None = all): every ordered pair of
        their actions is a candidate lead and follow-up. Give one actor type and one
        target type: a target's accounts are counted over the types given.
    alpha : float, default 0.01
        Significance of a reported group, after Bonferroni over the targets and pairs.
    min_actors : int, default 5
        Fewest accounts taking the follow-up on a target for it to be tested.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rows = []
    >>> for t in range(60):  # sixty listings, ten bookings each, one in ten refunded
    ...     for i in range(10):
    ...         rows.append((f"g{t}_{i}", f"l{t}", "book"))
    ...         if (t + i) % 10 == 0:
    ...             rows.append((f"g{t}_{i}", f"l{t}", "refund"))
    >>> for i in range(9):  # nine guests book one listing, eight ask for a refund
    ...     rows += [(f"r{i}", "claimed", "book")] + [(f"r{i}", "claimed", "refund")] * (i < 8)
    >>> ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "action"], orient="row")
    >>> hours = pl.int_range(pl.len()).cast(pl.Int64) * 3_600_000_000  # an event an hour
    >>> ev = ev.with_columns(actor_type=pl.lit("guest"), target_type=pl.lit("listing"),
    ...     ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)) + pl.duration(microseconds=hours))
    >>> res = skewed_follow_ups(build_graph(ev))
    >>> res.groups.select("lead", "follow", "n_lead", "n_actors").rows()
    [('book', 'refund', 9, 8)]
    >>> res.targets(0)
    ['listing:claimed']
    """
    actions = check_str_list("actions", actions)
    actor_types = check_str_list("actor_types", actor_types)
    target_types = check_str_list("target_types", target_types)
    alpha = check_float("alpha", alpha, low=0.0, high=1.0, low_open=True)
    min_actors = int(check_int("min_actors", min_actors, 2) or 2)
    params: dict[str, Any] = {
        "actions": actions,
        "actor_types": actor_types,
        "target_types": target_types,
        "alpha": alpha,
        "min_actors": min_actors,
        "pairs": {},
    }
    ev = filtered_events(graph, actions=actions, actor_types=actor_types, target_types=target_types)
    keys = _pair_keys(ev)
    pairs = follow_up_pairs(keys)
    moments = _moments(ev, sorted({lead for lead, _ in pairs}))
    # per pair, the lead's (account, target) pairs that the follow-up was taken on too
    both = {(lead, f): keys[lead][_contained(keys[lead], keys[f])] for lead, f in pairs}
    found = []
    for lead, follow in pairs:
        name = f"{lead}>{follow}"
        hits = _tested(
            keys[lead], both[lead, follow], moments[lead], min_actors, params["pairs"], name
        )
        found.append(hits.with_columns(pl.lit(lead).alias("lead"), pl.lit(follow).alias("follow")))
    if not found:
        return _empty(params)
    hits = (
        pl.concat(found)
        .with_columns(pl.col("significance") - np.log10(len(pairs)))  # over the pairs too
        .filter(pl.col("significance") >= -np.log10(alpha))
        # a follow-up of two leads (a tip after grading a job and after paying for it) on
        # one target is one group: its most significant lead's
        .sort(["follow", "dst", "significance", "lead"], descending=[False, False, True, False])
        .unique(["follow", "dst"], keep="first", maintain_order=True)
    )
    if hits.height == 0:
        return _empty(params)
    return _groups(graph, ev, both, hits, params)


def _moments(ev: pl.DataFrame, leads: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per lead action, its targets (sorted node ids) and the number of distinct
    :data:`MOMENT` buckets their lead events fall in."""
    bucket = MOMENT.total_seconds()
    rows = (
        ev.filter(pl.col("action").is_in(leads))
        .select(
            "action",
            pl.col("dst").cast(pl.Int64),
            (pl.col("ts").dt.epoch("s") // int(bucket)).alias("m"),
        )
        .unique()
        .group_by("action", "dst")
        .agg(pl.len().alias("moments"))
        .sort("action", "dst")
    )
    return {
        str(a): (g["dst"].to_numpy(), g["moments"].to_numpy().astype(np.int64))
        for (a,), g in rows.group_by("action")
    }


def _tested(
    lead: np.ndarray,
    both: np.ndarray,
    moments: tuple[np.ndarray, np.ndarray],
    min_actors: int,
    fits: dict[str, Any],
    name: str,
) -> pl.DataFrame:
    """``dst, n, k, significance`` of the targets with ``min_actors`` follow-ups (counted
    by moments), tested against the beta-binomial of their peers (module documentation,
    2.), Bonferroni over the targets that could have been tested (not yet over the
    pairs; ``both``: the ``lead`` keys that the follow-up was taken on too)."""
    dst, n = np.unique((lead & 0xFFFFFFFF).astype(np.int64), return_counts=True)
    k = np.zeros(dst.size, dtype=np.int64)
    bd, bk = np.unique((both & 0xFFFFFFFF).astype(np.int64), return_counts=True)
    k[np.searchsorted(dst, bd)] = bk
    ok = n >= FIT_MIN_ACTORS
    share = np.where(ok, k / np.maximum(n, 1), 0.0)
    # accounts that came in one moment are one draw: the target's accounts and follow-ups
    # counted by its moments (at most its accounts), its share kept
    mdst, mcount = moments
    n_eff = np.minimum(n, mcount[np.searchsorted(mdst, dst)])
    k_eff = np.floor(k * n_eff / np.maximum(n, 1) + 0.5).astype(np.int64)
    level = np.floor(np.log2(np.maximum(n, 1))).astype(np.int64)
    top = int(level.max()) + 2 if level.size else 2
    # per power of two of n: targets, sum of shares, of squared shares and of 1/n_eff
    sums = [
        np.bincount(level[ok], weights=w[ok], minlength=top + 1)
        for w in (np.ones(n.size), share, share**2, 1.0 / np.maximum(n_eff, 1))
    ]
    window = [np.convolve(s, np.ones(3), mode="same") for s in sums]  # level - 1 .. + 1
    cand = np.flatnonzero(ok & (k_eff >= min_actors))
    peers = [w[level[cand]] for w in window]
    own = [np.ones(cand.size), share[cand], share[cand] ** 2, 1.0 / n_eff[cand]]
    count, s1, s2, si = (p - o for p, o in zip(peers, own, strict=True))  # without itself
    fit_ok = count >= FIT_MIN_TARGETS
    could = int(np.sum(window[0][level[ok & (n >= min_actors)]] - 1 >= FIT_MIN_TARGETS))
    safe = np.maximum(count, 1.0)
    mu = s1 / safe
    fit_ok &= (mu > 0.0) & (mu < 1.0)
    mu = np.clip(mu, 1e-9, 1 - 1e-9)
    rho = _overdispersion((s2 / safe - mu**2) / (mu * (1.0 - mu)), si / safe)
    # a group mostly made of what its peers' share gives anyway names no ring: its
    # follow-ups must be at least MIN_LIFT times the peers' share
    fit_ok &= share[cand] >= MIN_LIFT * mu
    cand, mu, rho = cand[fit_ok], mu[fit_ok], rho[fit_ok]
    fits[name] = {
        "share": float(share[ok].mean()) if ok.any() else 0.0,
        "could": could,
        "tested": int(cand.size),
    }
    if cand.size == 0 or could == 0:
        return pl.DataFrame(
            schema={"dst": pl.UInt32, "n": pl.Int64, "k": pl.Int64, "significance": pl.Float64}
        )
    a, b = _beta_shape(mu, rho)
    logp = _log10_tail(k_eff[cand], n_eff[cand], a, b)
    sig = np.nan_to_num(-(logp + np.log10(could)), nan=0.0, posinf=SIGNIFICANCE_CAP)
    return pl.DataFrame(
        {
            "dst": dst[cand].astype(np.uint32),
            "n": n[cand],
            "k": k[cand],
            "significance": np.minimum(sig, SIGNIFICANCE_CAP),
        }
    )


def _groups(
    graph: EventGraph,
    ev: pl.DataFrame,
    both: dict[tuple[str, str], np.ndarray],
    hits: pl.DataFrame,
    params: dict[str, Any],
) -> FollowUpGroups:
    """Groups and members of the significant targets (``hits``: ``dst, n, k,
    significance, lead, follow``; ``both``: per pair, the keys of its accounts' follow-ups)."""
    names = graph.nodes.select("node", "key")
    hits = (
        hits.join(names.rename({"node": "dst", "key": "target"}), on="dst")
        .sort("lead", "follow", "target")
        .with_row_index("group")
        .with_columns(pl.col("group").cast(pl.Int64))
    )
    rows = []
    for (lead, follow), h in hits.group_by("lead", "follow", maintain_order=True):
        keys = both[str(lead), str(follow)]
        pair = pl.DataFrame(
            {
                "src": (keys >> 32).astype(np.uint32),
                "dst": (keys & 0xFFFFFFFF).astype(np.uint32),
            }
        )
        rows.append(pair.join(h.select("group", pl.col("dst").cast(pl.UInt32)), on="dst"))
    pairs = pl.concat(rows).select("group", "src", "dst")
    counts = ev.join(pairs.select("src", "dst").unique(), on=["src", "dst"], how="semi")
    counts = counts.group_by("src", "dst").agg(pl.len().cast(pl.Int64).alias("hits"))
    actors = (
        pairs.join(counts, on=["src", "dst"])
        .join(names.rename({"node": "src"}), on="src")
        .select("group", "key", pl.lit("actor").alias("role"), "hits")
    )
    members = one_target_members(actors, hits)
    groups = hits.select(
        "group",
        "lead",
        "follow",
        pl.col("n").alias("n_lead"),
        pl.col("k").alias("n_actors"),
        pl.lit(1).alias("n_targets"),
        "significance",
    )
    return FollowUpGroups(
        groups=groups.cast(_GROUPS_SCHEMA),  # type: ignore[arg-type]
        members=members.sort("group", "role", "key").cast(_MEMBERS_SCHEMA),  # type: ignore[arg-type]
        params=params,
    )


def _empty(params: dict[str, Any]) -> FollowUpGroups:
    return FollowUpGroups(
        groups=pl.DataFrame(schema=_GROUPS_SCHEMA),
        members=pl.DataFrame(schema=_MEMBERS_SCHEMA),
        params=params,
    )
