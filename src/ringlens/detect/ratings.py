"""Skewed ratings: accounts that all give one target the top (or bottom) of a rating scale,
beyond what the platform's targets get.

A star push — forty-five accounts giving a new kitchen five stars in three bursts — or a
rating bomb — nineteen accounts giving a rival's app one star — is one target and its
raters. No block, community or lockstep pair shows it (one target, so no pair of accounts
shares two), and old, hijacked accounts carry no new-account signal. What gives it away is
the ratings themselves: organic raters of a target disagree, some four stars among the
fives, while a ring gives one extreme value (BIRDNEST, Hooi et al., SDM 2016, scores the
same thing from the accounts' side).

The test, per family (one action of one actor type on one target type) whose amounts are a
**rating scale** — present on almost every event, integers, three to eleven consecutive
values (1–5 stars, 0–10 scores; not prices, quantities of a few sizes or promo values, whose
values are not a run of integers) — and per extreme of the scale (its lowest and highest
value):

1. each account's rating of a target is its mean over its ratings of it; a target's ``n``
   raters give it ``k`` extreme ratings;
2. the share of extreme ratings varies between targets (a good kitchen gets more fives
   than a poor one), so ``k`` is tested against the **beta-binomial** whose mean and
   overdispersion are the family's (method of moments over the targets with at least
   :data:`FIT_MIN_RATERS` raters, each target one observation: their mean share of
   extreme ratings, and how much more their shares vary than binomial draws would). Where
   a tenth of the kitchens are loved, a beloved kitchen's ninety fives among a hundred
   ratings is one of them; where kitchens are middling, it is beyond the spread, and so
   are forty-five fives among forty-five. A family whose targets' shares hardly vary is
   tested at their mean share; one where most targets get one value only (the "rating" is
   a property of the target) leaves nothing beyond chance;
3. the targets with at least ``min_raters`` extreme ratings are tested, Bonferroni over
   every target that could have been (``min_raters`` raters or more: five one-star
   ratings are rare, but among a thousand drivers a few get them); a target significant
   at ``alpha`` is a group: the target and the accounts that gave it the extreme value;
3b. with ``owner_actions`` (who lists or posts each target), the same test per
   **owner**: a host's fifteen listings, each rated by three or four of twelve guests,
   are below ``min_raters`` one by one, but their twelve raters giving all of them the
   top score is far beyond the family's hosts. An account's rating of an owner is its
   mean over the owner's targets it rated; only owners with two rated targets or more
   are tested (one target is step 3), against the beta-binomial fitted over the owners
   as in 2., Bonferroni over every owner that could have been tested. A significant owner
   is a group: the accounts that gave the extreme to everything of its they rated, two
   targets or more (a critic of one listing says nothing about the host), when they are
   ``min_raters`` or more, and those targets;
4. a ring that spreads its ratings over a few targets among organic ones (nineteen
   accounts giving three apps one star each, among thirty others rating them well) moves
   no target's share far enough; but among the extreme ratings alone it is a block: the
   family's account × target matrix of the ratings at that extreme (each account's
   rating of a target as in 1.) goes to the dense-block search
   (:func:`ringlens.detect.dense.dense_blocks`: FRAUDAR with trimming, each block tested
   against the configuration model of that matrix and the actor contrast). A grumpy
   account gives one star here and there; nineteen accounts giving the same three apps
   one star are far beyond the one-star degrees of the accounts and the apps, and come
   back to those apps more than the apps' other one-star raters do. The target contrast
   is not asked: the rows hold nothing but extreme ratings, so it measures little beyond
   the search over every set of accounts, which a tall, narrow block — fifteen accounts
   on three apps — never pays for; a niche's fans giving its apps five stars fail the
   actor contrast (its other fans come back as often).

5. a bomb hidden in a popular target's ratings — sixteen accounts giving a kitchen of
   eight hundred raters one star in one evening — moves neither its share nor a block;
   it is a **burst**: in a window, more of the extreme than the target's own share
   predicts. Per window of the family's lockstep time scales
   (:func:`ringlens.detect.lockstep.lockstep_windows`) of an hour or more, each on two
   grids half a window apart (a burst across one grid's edge is inside the other's
   window), a target's ``n`` raters there, ``k`` of them giving the extreme, are tested
   against the beta-binomial of the target's own share: the family's beta (2.) updated
   by the target's ratings outside the window (a short history keeps the family's
   spread: a new target is judged as in 3.), its mean raised, never lowered, by the
   window's mood (the family's share of the extreme in the window against its share
   overall: an outage's evening of ones for every kitchen). Bonferroni over every
   (target, window) with ``min_raters`` raters, over the scales and grids. A window where
   the target's *other* ratings also rose beyond their own rate (a Poisson test at
   ``alpha`` against the target's other ratings outside it, times the family's rhythm)
   is attention — a viral evening brings harsher customers and more of every rating —
   and is not a burst: a ring adds its value only. Each target not significant as a
   whole (3.) with a burst gives one group: the target and the raters who gave the
   extreme in its most significant window.

The result is a :class:`SkewedRatingGroups`: the targets of 3., the owners of 3b., the
blocks of 4., then the bursts of 5.
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
    poisson_log10_sf,
)
from ringlens.detect.dense import dense_blocks
from ringlens.detect.significance import SIGNIFICANCE_CAP

if TYPE_CHECKING:
    from ringlens.graph import EventGraph

__all__ = ["FIT_MIN_RATERS", "SkewedRatingGroups", "rating_scale", "skewed_ratings"]

#: Fewest raters a target needs to count in the fit of the family's spread of extreme shares.
FIT_MIN_RATERS = 5
#: Fewest targets with :data:`FIT_MIN_RATERS` raters the fit needs (fewer: nothing tested).
FIT_MIN_TARGETS = 20
#: Share of a family's events that must carry an amount for it to be a rating scale.
RATED_SHARE = 0.9
#: Shortest window a burst of extreme ratings is looked for in (one within minutes is in
#: that hour's window too).
BURST_MIN_WINDOW = timedelta(hours=1)
#: Fewest and most distinct values of a rating scale.
SCALE_VALUES = (3, 11)

_GROUPS_SCHEMA = {
    "group": pl.Int64,
    "kind": pl.String,
    "value": pl.Float64,
    "n_actors": pl.Int64,
    "n_targets": pl.Int64,
    "significance": pl.Float64,
}
_MEMBERS_SCHEMA = {"group": pl.Int64, "key": pl.String, "role": pl.String, "hits": pl.Int64}


@dataclass(frozen=True)
class SkewedRatingGroups(TargetGroups):
    """Targets whose raters gave one extreme value beyond chance (:func:`skewed_ratings`).

    Attributes
    ----------
    groups : polars.DataFrame
        One row per group: ``group`` (Int64, from 0: the targets by key and value, then
        the owners by key and value, the blocks by value, in the order found, then the
        bursts by value and target),
        ``kind`` (``"target"``: one target beyond the beta-binomial; ``"owner"``: one
        owner's targets beyond the owners' beta-binomial; ``"block"``: a dense
        block of the extreme ratings; ``"burst"``: one target's raters in a window beyond
        its own share),
        ``value`` (the extreme of the scale), ``n_actors`` (the accounts that gave it),
        ``n_targets`` and ``significance`` (``-log10 p`` after the correction for the
        search, at least ``-log10 alpha``).
    members : polars.DataFrame
        ``group``, ``key``, ``role`` (``"actor"``: a rater who gave the value;
        ``"target"``), ``hits`` (the member's ratings in the group). Sorted by group,
        role, key.
    params : dict
        The run's parameters, the scale (``scale``: its lowest and highest value, or None
        when the family's amounts are no rating scale), the fit of each extreme
        (``fits``: value → share, overdispersion, targets fitted, tested, and that could
        have been tested; ``owner_fits``: the same over the owners) and the bursts'
        windows (``windows``, in seconds).
    """

    groups: pl.DataFrame
    members: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


def rating_scale(amounts: pl.Series) -> tuple[float, float] | None:
    """``(lowest, highest)`` value when ``amounts`` (one family's) look like a rating scale:
    at least :data:`RATED_SHARE` of them present, all integers, and
    :data:`SCALE_VALUES` distinct values in a consecutive run; else None.

    Examples
    --------
    >>> import polars as pl
    >>> rating_scale(pl.Series([5.0, 4.0, 1.0, 3.0, 2.0, 5.0]))
    (1.0, 5.0)
    >>> rating_scale(pl.Series([1.0, 2.0, 3.0, 5.0])) is None  # promo values: 4 missing
    True
    >>> rating_scale(pl.Series([0.99, 1.99, 2.99])) is None  # prices
    True
    """
    if amounts.len() == 0 or not amounts.dtype.is_numeric():
        return None
    present = amounts.cast(pl.Float64).drop_nulls().drop_nans()
    if present.len() < RATED_SHARE * amounts.len():
        return None
    # cheapest first: a family of prices fails the integer check, one pass without a sort
    if not (present == present.round()).all():
        return None
    lo, hi = float(present.min()), float(present.max())  # type: ignore[arg-type]
    lo_n, hi_n = SCALE_VALUES
    if not lo_n <= hi - lo + 1 <= hi_n or present.n_unique() != hi - lo + 1:
        return None
    return lo, hi


def skewed_ratings(
    graph: EventGraph,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    alpha: float = 0.01,
    min_raters: int = 5,
    owner_actions: list[str] | None = None,
) -> SkewedRatingGroups:
    """Targets of one family whose raters gave one extreme of the rating scale far more
    often than the family's targets get it (see the module documentation).

    Parameters
    ----------
    graph : EventGraph
        The events (their ``amount`` is the rating).
    actions, actor_types, target_types : list of str, optional
        The family (the platform's own names; None = all).
    alpha : float, default 0.01
        Significance of a reported group, after Bonferroni over the targets tested.
    min_raters : int, default 5
        Fewest accounts giving the extreme value for a target to be tested.
    owner_actions : list of str, optional
        The actions by which an account owns a target (lists, posts): each owner's
        targets are tested together too (step 3b; None: not).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rows = []
    >>> for t in range(60):  # sixty ordinary targets, ten raters each, stars 1-5
    ...     rows += [(f"u{t}_{i}", f"t{t}", float(1 + (t + i * 3) % 5)) for i in range(10)]
    >>> rows += [(f"ring{i}", "pushed", 5.0) for i in range(12)]  # twelve fives on one
    >>> ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "amount"], orient="row")
    >>> ev = ev.with_columns(actor_type=pl.lit("user"), target_type=pl.lit("shop"),
    ...     action=pl.lit("rate"), ts=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> res = skewed_ratings(build_graph(ev))
    >>> res.groups.select("kind", "value", "n_actors").rows()
    [('target', 5.0, 12)]
    >>> res.targets(0)
    ['shop:pushed']
    """
    actions = check_str_list("actions", actions)
    actor_types = check_str_list("actor_types", actor_types)
    target_types = check_str_list("target_types", target_types)
    alpha = check_float("alpha", alpha, low=0.0, high=1.0, low_open=True)
    min_raters = int(check_int("min_raters", min_raters, 2) or 2)
    owner_actions = check_str_list("owner_actions", owner_actions)
    params: dict[str, Any] = {
        "actions": actions,
        "actor_types": actor_types,
        "target_types": target_types,
        "alpha": alpha,
        "min_raters": min_raters,
        "owner_actions": owner_actions,
        "scale": None,
        "fits": {},
        "owner_fits": {},
    }
    ev = filtered_events(
        graph,
        actions=actions,
        actor_types=actor_types,
        target_types=target_types,
        extra=("amount",),
    )
    scale = rating_scale(ev["amount"]) if "amount" in ev.columns else None
    if scale is None:
        return _empty(params)
    params["scale"] = scale
    rated = (
        ev.drop_nulls("amount")
        .group_by("src", "dst")
        .agg(pl.col("amount").cast(pl.Float64).mean().alias("v"), pl.len().alias("hits"))
    )
    # each target's raters, and those who gave it each extreme, in one pass
    per = rated.group_by("dst").agg(
        pl.len().alias("n"),
        *(
            (pl.col("v") == value).sum().cast(pl.Int64).alias(f"k{i}")
            for i, value in enumerate(scale)
        ),
    )
    keys = graph.nodes.select("node", "key")
    fitted, hits = [], []  # per extreme: the family's fit, the targets beyond it
    for i, value in enumerate(scale):
        at = per.select("dst", "n", pl.col(f"k{i}").alias("k"))
        fitted.append(_beta_fit(at))
        hits.append(_significant(at, fitted[i], value, alpha, min_raters, params["fits"]))
    found = [
        h.with_columns(pl.lit(v).alias("value"))
        for h, v in zip(hits, scale, strict=True)
        if h.height
    ]
    groups, members = _target_groups(keys, rated, found)
    if owner_actions:
        owned = _owner_ratings(graph, owner_actions, rated)
        groups, members = _with_owners(
            groups, members, keys, owned, scale, alpha, min_raters, params["owner_fits"]
        )
    for value in scale:
        groups, members = _with_blocks(groups, members, graph, rated, value, alpha)
    windows = _burst_windows(graph, actions, actor_types, target_types)
    params["windows"] = [w.total_seconds() for w in windows]
    grids = _burst_grids(ev, scale, windows)
    for i, value in enumerate(scale):
        done = hits[i].select("dst")  # significant as a whole: no burst asked of them
        bursts = _bursts(grids, i, value, fitted[i], alpha, min_raters, done)
        groups, members = _with_bursts(groups, members, keys, bursts, value)
    return SkewedRatingGroups(
        groups=groups.cast(_GROUPS_SCHEMA),  # type: ignore[arg-type]
        members=members.sort("group", "role", "key").cast(_MEMBERS_SCHEMA),  # type: ignore[arg-type]
        params=params,
    )


def _significant(
    per: pl.DataFrame,
    fitted: tuple[float, float, int] | None,
    value: float,
    alpha: float,
    min_raters: int,
    fits: dict[float, Any],
) -> pl.DataFrame:
    """``dst, n, k, significance`` of the targets (``per``: ``dst``, ``n`` raters, ``k``
    of them rating ``value``) whose ``k`` is beyond the family's beta-binomial at
    ``alpha`` (``fitted``: :func:`_beta_fit` of ``per``; Bonferroni over every target that
    could have been tested)."""
    tested = per.filter(pl.col("k") >= min_raters).sort("dst")
    if fitted is None or tested.height == 0:
        return tested.clear()
    mu, rho, n_fit = fitted
    a, b = _beta_shape(mu, rho)
    logp = _log10_tail(tested["k"].to_numpy(), tested["n"].to_numpy(), a, b)
    # every target with min_raters raters could have been tested: the correction is for
    # all of them, not only those the rare extreme happened to reach min_raters times on
    could = per.filter(pl.col("n") >= min_raters).height
    sig = np.minimum(-(logp + np.log10(could)), SIGNIFICANCE_CAP)
    fits[value] = {
        "share": mu,
        "overdispersion": rho,
        "fitted": n_fit,
        "tested": tested.height,
        "could": could,
    }
    return tested.with_columns(
        pl.Series("significance", np.nan_to_num(sig, nan=0.0, posinf=SIGNIFICANCE_CAP)),
    ).filter(pl.col("significance") >= -np.log10(alpha))


def _beta_fit(per: pl.DataFrame) -> tuple[float, float, int] | None:
    """The family's mean share of one extreme and its overdispersion, ``(mu, rho,
    targets fitted)``, by the method of moments over the targets (``per``: ``dst``,
    ``n`` raters, ``k`` of them giving the extreme) with :data:`FIT_MIN_RATERS` raters;
    None with fewer than :data:`FIT_MIN_TARGETS` such targets or a share of 0 or 1."""
    fit = per.filter(pl.col("n") >= FIT_MIN_RATERS).sort("dst")  # one order: the same sums
    if fit.height < FIT_MIN_TARGETS:
        return None
    n = fit["n"].to_numpy().astype(np.float64)
    k = fit["k"].to_numpy().astype(np.float64)
    # every target one observation (a popular target weighted by its raters would set the
    # spread it is tested against): E[(k/n - mu)^2] = mu (1 - mu) (rho + (1 - rho) / n)
    share = k / n
    mu = float(share.mean())
    if not 0.0 < mu < 1.0:
        return None
    spread = float(np.mean((share - mu) ** 2)) / (mu * (1.0 - mu))
    inv_n = float(np.mean(1.0 / n))
    return mu, float(_overdispersion(spread, inv_n)), fit.height


def _overdispersion(spread: Any, inv_n: Any) -> Any:
    """The beta-binomial's overdispersion ``rho`` from the shares' spread (their variance
    over ``mu (1 - mu)``) and the mean of ``1 / n`` (what binomial draws alone give),
    clipped to ``[1e-4, 0.999]``: per family (:func:`_beta_fit`) or per target's peers
    (arrays: :func:`ringlens.detect.followups.skewed_follow_ups`)."""
    return np.clip((spread - inv_n) / np.maximum(1.0 - inv_n, 1e-9), 1e-4, 0.999)


def _beta_shape(mu: float, rho: float) -> tuple[float, float]:
    """The beta's ``(a, b)`` of mean ``mu`` and overdispersion ``rho`` (:func:`_beta_fit`)."""
    return mu * (1.0 - rho) / rho, (1.0 - mu) * (1.0 - rho) / rho


def _log10_tail(
    k: np.ndarray, n: np.ndarray, a: float | np.ndarray, b: float | np.ndarray
) -> np.ndarray:
    """``log10 P(X >= k)`` for ``X ~ BetaBinomial(n, a, b)``, per pair of ``k`` and ``n``
    (``a`` and ``b`` one pair, or one per pair): the log-sum of the tail's terms (``1 -
    cdf`` loses the far tail to rounding, and with it the last digits of a significance,
    run to run).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import betabinom
    >>> bool(np.allclose(_log10_tail(np.array([3, 10]), np.array([10, 10]), 2.0, 5.0),
    ...     np.log10(betabinom.sf(np.array([2, 9]), 10, 2.0, 5.0))))
    True
    """
    from scipy.stats import betabinom

    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    if k.size == 0:
        return np.zeros(0)
    length = np.maximum(n - k + 1, 1)  # the terms k..n of each tail, laid end to end
    first = np.cumsum(length) - length
    j = np.repeat(k, length) + (np.arange(int(length.sum())) - np.repeat(first, length))
    a, b = (
        np.repeat(np.broadcast_to(np.asarray(x, dtype=np.float64), k.shape), length) for x in (a, b)
    )
    terms = betabinom.logpmf(j, np.repeat(n, length), a, b)
    top = np.maximum.reduceat(terms, first)
    total = np.add.reduceat(np.exp(terms - np.repeat(top, length)), first)
    return np.minimum((top + np.log(total)) / np.log(10.0), 0.0)


def _target_groups(
    keys: pl.DataFrame, rated: pl.DataFrame, found: list[pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Groups and members of the significant targets (``found``: ``dst, n, k,
    significance, value`` per extreme)."""
    if not found:
        return pl.DataFrame(schema=_GROUPS_SCHEMA), pl.DataFrame(schema=_MEMBERS_SCHEMA)
    hits = (
        pl.concat(found)
        .join(keys.rename({"node": "dst", "key": "target"}), on="dst")
        .sort("target", "value")
        .with_row_index("group")
        .with_columns(pl.col("group").cast(pl.Int64))
    )
    groups = hits.select(
        "group",
        pl.lit("target").alias("kind"),
        "value",
        pl.col("k").cast(pl.Int64).alias("n_actors"),
        pl.lit(1, dtype=pl.Int64).alias("n_targets"),
        "significance",
    )
    actors = (
        rated.join(hits.select("group", "dst", "value"), on="dst")
        .filter(pl.col("v") == pl.col("value"))
        .join(keys.rename({"node": "src"}), on="src")
        .select("group", "key", pl.lit("actor").alias("role"), pl.col("hits").cast(pl.Int64))
    )
    members = one_target_members(actors, hits)
    return groups.cast(_GROUPS_SCHEMA), members.cast(_MEMBERS_SCHEMA)  # type: ignore[arg-type]


def _owner_ratings(
    graph: EventGraph, owner_actions: list[str], rated: pl.DataFrame
) -> pl.DataFrame:
    """``src, dst, owner, v, hits``: the ratings (``rated``: each account's mean rating
    of a target) of owned targets by accounts other than their owner, each with the
    account's rating of the owner (``v``: its mean over the owner's targets it rated)."""
    from ringlens.detect.communities import target_owners

    owners = target_owners(graph, owner_actions)
    on = rated.join(owners, on="dst").filter(pl.col("src") != pl.col("owner"))
    return on.with_columns(pl.col("v").mean().over("src", "owner"))


def _with_owners(
    groups: pl.DataFrame,
    members: pl.DataFrame,
    keys: pl.DataFrame,
    owned: pl.DataFrame,
    scale: tuple[float, float],
    alpha: float,
    min_raters: int,
    fits: dict[float, Any],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``groups`` and ``members`` with the owners (step 3b) whose raters gave one
    extreme beyond the owners' beta-binomial: the raters who gave it to every target of
    the owner's they rated, two or more, and those targets."""
    if owned.height == 0:
        return groups, members
    acc = owned.group_by("src", "owner").agg(pl.col("v").first())
    per = (
        acc.group_by("owner")
        .agg(
            pl.len().alias("n"),
            *(
                (pl.col("v") == value).sum().cast(pl.Int64).alias(f"k{i}")
                for i, value in enumerate(scale)
            ),
        )
        # one rated target is the per-target test's (step 3)
        .join(owned.group_by("owner").agg(pl.col("dst").n_unique().alias("t")), on="owner")
        .rename({"owner": "dst"})
    )
    found = []
    for i, value in enumerate(scale):
        at = per.select("dst", "n", pl.col(f"k{i}").alias("k"), "t")
        # fitted over every owner, tested (and corrected) over those of two targets or more
        several = at.filter(pl.col("t") >= 2).drop("t")
        hit = _significant(several, _beta_fit(at.drop("t")), value, alpha, min_raters, fits)
        if hit.height:
            found.append(hit.with_columns(pl.lit(value).alias("value")))
    if not found:
        return groups, members
    hit = pl.concat(found).rename({"dst": "owner"})
    # the group: the raters who gave the extreme to two of the owner's targets or more
    # (one target's organic critics say nothing about the owner), at least min_raters
    rows = owned.join(hit.select("owner", "value"), on="owner").filter(
        pl.col("v") == pl.col("value")
    )
    back = (
        rows.group_by("owner", "value", "src")
        .agg(pl.len().alias("t"))
        .filter(pl.col("t") >= 2)
        .with_columns(pl.len().over("owner", "value").alias("m"))
        .filter(pl.col("m") >= min_raters)
    )
    if back.height == 0:
        return groups, members
    hit = (
        hit.join(back.select("owner", "value", "m").unique(), on=["owner", "value"])
        .join(keys.rename({"node": "owner", "key": "owner_key"}), on="owner")
        .sort("owner_key", "value")
        .with_row_index("group", offset=groups.height)
        .with_columns(pl.col("group").cast(pl.Int64))
    )
    rows = rows.join(back.select("owner", "value", "src"), on=["owner", "value", "src"]).join(
        hit.select("group", "owner", "value"), on=["owner", "value"]
    )
    actors = (
        rows.group_by("group", "src")
        .agg(pl.col("hits").sum())
        .join(keys.rename({"node": "src"}), on="src")
        .select("group", "key", pl.lit("actor").alias("role"), pl.col("hits").cast(pl.Int64))
    )
    targets = (
        rows.group_by("group", "dst")
        .agg(pl.col("hits").sum())
        .join(keys.rename({"node": "dst"}), on="dst")
        .select("group", "key", pl.lit("target").alias("role"), pl.col("hits").cast(pl.Int64))
    )
    new = hit.select(
        "group",
        pl.lit("owner").alias("kind"),
        "value",
        pl.col("m").cast(pl.Int64).alias("n_actors"),
        "significance",
    ).join(targets.group_by("group").agg(pl.len().cast(pl.Int64).alias("n_targets")), on="group")
    return (
        pl.concat([groups, new.select(list(_GROUPS_SCHEMA)).cast(_GROUPS_SCHEMA)]),  # type: ignore[arg-type]
        pl.concat([members, pl.concat([actors, targets]).cast(_MEMBERS_SCHEMA)]),  # type: ignore[arg-type]
    )


def _with_blocks(
    groups: pl.DataFrame,
    members: pl.DataFrame,
    graph: EventGraph,
    rated: pl.DataFrame,
    value: float,
    alpha: float,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``groups`` and ``members`` with the dense blocks of the ratings of ``value``
    (numbered after the groups so far)."""
    at = rated.filter(pl.col("v") == value)
    if at.height == 0:
        return groups, members
    bi = graph.pair_biadjacency(at["src"].to_numpy(), at["dst"].to_numpy())
    res = dense_blocks(bi, alpha=alpha, target_contrast=False)
    if res.groups.height == 0:
        return groups, members
    offset = groups.height
    new = res.groups.select(
        (pl.col("group") + offset).alias("group"),
        pl.lit("block").alias("kind"),
        pl.lit(value).alias("value"),
        "n_actors",
        "n_targets",
        "significance",
    )
    mem = res.members.select((pl.col("group") + offset).alias("group"), "key", "role", "hits")
    return (
        pl.concat([groups, new.cast(_GROUPS_SCHEMA)]),  # type: ignore[arg-type]
        pl.concat([members, mem.cast(_MEMBERS_SCHEMA)]),  # type: ignore[arg-type]
    )


def _burst_windows(
    graph: EventGraph,
    actions: list[str] | None,
    actor_types: list[str] | None,
    target_types: list[str] | None,
) -> list[timedelta]:
    """The windows bursts are looked for in: the family's lockstep time scales
    (:func:`ringlens.detect.lockstep.lockstep_windows`) of at least
    :data:`BURST_MIN_WINDOW` (the longest one when none is that long)."""
    from ringlens.detect.lockstep import lockstep_windows

    ladder = lockstep_windows(
        graph, actions=actions, actor_types=actor_types, target_types=target_types
    )
    return [w for w in ladder if w >= BURST_MIN_WINDOW] or ladder[-1:]


def _burst_grids(
    ev: pl.DataFrame, scale: tuple[float, float], windows: list[timedelta]
) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """Per window and grid (each window on two grids half a window apart, so that a burst
    across one grid's edge is inside the other's window), ``rows``: each rater's mean
    rating ``v`` of a target in a window (``w``: the window's number) and its ``hits``,
    in target, window and rater order; and ``unit``: per target and window, its raters
    ``n`` and those giving the scale's lowest and highest value (``k0``, ``k1``), with
    the target's (``nt``, ``kt0``, ``kt1``), the window's (``nw``, ``kw0``, ``kw1``) and
    the family's (``N``, ``K0``, ``K1``) totals. Computed once for both extremes, by run
    lengths over the ratings in target, rater and time order (no hash group-by)."""
    timed = (
        ev.drop_nulls("amount")
        .select(
            pl.col("dst").cast(pl.Int64),
            pl.col("src").cast(pl.Int64),
            pl.col("ts").dt.epoch("us").alias("us"),
            pl.col("amount").cast(pl.Float64).alias("v"),
        )
        .sort("dst", "src", "us")
    )
    dst, src = timed["dst"].to_numpy(), timed["src"].to_numpy()
    us, v = timed["us"].to_numpy(), timed["v"].to_numpy()
    pair = np.ones(dst.size, dtype=bool)  # where a rater's ratings of a target begin
    pair[1:] = (dst[1:] != dst[:-1]) | (src[1:] != src[:-1])
    out = []
    for window, shifted in ((w, h) for w in windows for h in (False, True)):
        width = max(int(window / timedelta(microseconds=1)), 1)
        w = (us + (width // 2 if shifted else 0)) // width
        start = pair.copy()
        start[1:] |= w[1:] != w[:-1]  # time order within a pair: its windows are runs
        g = np.cumsum(start) - 1
        first = np.flatnonzero(start)
        hits = np.bincount(g)
        mean = np.bincount(g, weights=v) / hits
        r_w = w[first]
        span = int(r_w.max() - r_w.min()) + 1 if r_w.size else 1
        # target, then window order (one integer key; stable: raters stay in order)
        order = np.argsort(dst[first] * span + (r_w - r_w.min(initial=0)), kind="stable")
        rows = pl.DataFrame(
            {
                "src": src[first][order],
                "dst": dst[first][order],
                "w": r_w[order],
                "v": mean[order],
                "hits": hits[order].astype(np.int64),
            }
        )
        out.append((rows, _unit_counts(rows, scale)))
    return out


def _unit_counts(rows: pl.DataFrame, scale: tuple[float, float]) -> pl.DataFrame:
    """The ``unit`` frame of :func:`_burst_grids` for ``rows`` sorted by target and window:
    each run of one target and window is a unit."""
    dst = rows["dst"].to_numpy()
    w = rows["w"].to_numpy()
    v = rows["v"].to_numpy()
    if dst.size == 0:
        names = (
            "dst",
            "w",
            "n",
            "k0",
            "k1",
            "nt",
            "kt0",
            "kt1",
            "nw",
            "kw0",
            "kw1",
            "N",
            "K0",
            "K1",
        )
        return pl.DataFrame(schema=dict.fromkeys(names, pl.Int64))
    start = np.ones(dst.size, dtype=bool)
    start[1:] = (dst[1:] != dst[:-1]) | (w[1:] != w[:-1])
    unit = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    n = np.bincount(unit).astype(np.int64)
    ks = [np.bincount(unit, weights=(v == x)).astype(np.int64) for x in scale]
    u_dst, u_w = dst[first], w[first]
    t_of = np.concatenate([[True], u_dst[1:] != u_dst[:-1]]).cumsum() - 1  # units by target
    w_lo = int(u_w.min())
    w_of = u_w - w_lo
    cols: dict[str, Any] = {"dst": u_dst.astype(np.int64), "w": u_w.astype(np.int64), "n": n}
    for name, counts in (("n", n), ("k0", ks[0]), ("k1", ks[1])):
        if name != "n":
            cols[name] = counts
        cols[f"{name[0]}t{name[1:]}"] = np.bincount(t_of, weights=counts).astype(np.int64)[t_of]
        cols[f"{name[0]}w{name[1:]}"] = np.bincount(w_of, weights=counts).astype(np.int64)[w_of]
        cols[name.upper()] = np.full(n.size, int(counts.sum()), dtype=np.int64)
    return pl.DataFrame(cols)


def _bursts(
    grids: list[tuple[pl.DataFrame, pl.DataFrame]],
    extreme: int,
    value: float,
    fitted: tuple[float, float, int] | None,
    alpha: float,
    min_raters: int,
    done: pl.DataFrame,
) -> pl.DataFrame:
    """``src, dst, hits, significance``: the raters who gave ``value`` (the scale's
    lowest when ``extreme`` is 0, its highest when 1) in the most significant burst on a
    target beyond its own share (step 5 of the module documentation), for the targets
    not in ``done`` (``dst``: significant as a whole); ``grids`` are
    :func:`_burst_grids`', ``fitted`` the family's :func:`_beta_fit` of ``value``."""
    out = pl.DataFrame(
        schema={"src": pl.Int64, "dst": pl.Int64, "hits": pl.Int64, "significance": pl.Float64}
    )
    if fitted is None or not grids:
        return out
    a, b = _beta_shape(*fitted[:2])
    i = extreme
    units = [
        unit.select(
            "dst",
            "w",
            "n",
            "nt",
            "nw",
            "N",
            pl.col(f"k{i}").alias("k"),
            pl.col(f"kt{i}").alias("kt"),
            pl.col(f"kw{i}").alias("kw"),
            pl.col(f"K{i}").alias("K"),
        )
        .filter(pl.col("n") >= min_raters)
        .with_columns(pl.lit(grid).alias("s"))
        for grid, (_, unit) in enumerate(grids)
    ]
    could = sum(u.height for u in units)  # every unit that could have been tested
    u = pl.concat(units).filter(pl.col("k") >= min_raters).join(done, on="dst", how="anti")
    if u.height == 0:
        return out
    n, k = u["n"].to_numpy(), u["k"].to_numpy()
    # the target's own share: the family's beta updated by the target's ratings outside
    # the window (a short history leaves the family's spread), its mean raised by the
    # window's mood (the family's share in it against its share overall: a bad evening
    # for every kitchen), never lowered (a window of few other ratings says little)
    seen = (u["nt"].to_numpy() - n).astype(np.float64)
    conc = a + b + seen
    own = (u["kt"].to_numpy() - k + a) / conc
    kw, nw = u["kw"].to_numpy() - k, u["nw"].to_numpy() - n
    mood = np.maximum(((kw + 1.0) / (nw + 2.0)) / (u["K"].to_numpy() / u["N"].to_numpy()), 1.0)
    mean = np.clip(own * mood, 1e-9, 1.0 - 1e-9)
    # the target's other ratings in the window against their rate outside it (the
    # family's other ratings in the window against theirs outside it: its rhythm)
    o = n - k
    ot = u["nt"].to_numpy() - u["kt"].to_numpy()
    ow = u["nw"].to_numpy() - u["kw"].to_numpy()
    rest = np.maximum(u["N"].to_numpy() - u["K"].to_numpy() - ot - ow + o, 1)
    surge = (o > 0) & (poisson_log10_sf(o, (ot - o) * (ow - o) / rest) <= np.log10(alpha))
    # a burst is more of the value than the window's expectation, in a window without a
    # surge: only those are worth the tail's terms (most windows are at their pace)
    sig = np.zeros(n.size)
    todo = ~surge & (k > n * mean)
    sig[todo] = -(
        _log10_tail(k[todo], n[todo], (mean * conc)[todo], ((1.0 - mean) * conc)[todo])
        + np.log10(could)
    )
    good = u.with_columns(pl.Series("significance", np.minimum(sig, SIGNIFICANCE_CAP))).filter(
        pl.col("significance") >= -np.log10(alpha)
    )
    # each target's most significant burst (the shortest, then the earliest, of equals)
    best = good.sort(["dst", "significance", "s", "w"], descending=[False, True, False, False])
    best = best.unique("dst", keep="first", maintain_order=True)
    # its raters of the value, read from the grid of that burst only
    parts = [out]
    for g, (rows, _) in enumerate(grids):
        at = best.filter(pl.col("s") == g).select("dst", "w", "significance")
        if at.height:
            hit = rows.join(at, on=["dst", "w"]).filter(pl.col("v") == value)
            parts.append(hit.select(out.columns).cast(out.schema))
    return pl.concat(parts).sort("dst", "src")


def _with_bursts(
    groups: pl.DataFrame,
    members: pl.DataFrame,
    keys: pl.DataFrame,
    bursts: pl.DataFrame,
    value: float,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``groups`` and ``members`` with one group per target of ``bursts`` (numbered after
    the groups so far, by target key): the target and its raters in its most significant
    burst."""
    if bursts.height == 0:
        return groups, members
    named = bursts.join(keys.rename({"node": "dst", "key": "target"}), on="dst").join(
        keys.rename({"node": "src"}), on="src"
    )
    per = (
        named.group_by("target")
        .agg(pl.len().cast(pl.Int64).alias("n_actors"), pl.col("significance").max())
        .sort("target")
        .with_row_index("group", offset=groups.height)
        .with_columns(pl.col("group").cast(pl.Int64))
    )
    new = per.select(
        "group",
        pl.lit("burst").alias("kind"),
        pl.lit(value).alias("value"),
        "n_actors",
        pl.lit(1, dtype=pl.Int64).alias("n_targets"),
        "significance",
    )
    named = named.join(per.select("target", "group"), on="target")
    actors = named.select("group", "key", pl.lit("actor").alias("role"), "hits")
    mem = one_target_members(actors, per.select("group", "target"))
    return (
        pl.concat([groups, new.cast(_GROUPS_SCHEMA)]),  # type: ignore[arg-type]
        pl.concat([members, mem.cast(_MEMBERS_SCHEMA)]),  # type: ignore[arg-type]
    )


def _empty(params: dict[str, Any]) -> SkewedRatingGroups:
    return SkewedRatingGroups(
        groups=pl.DataFrame(schema=_GROUPS_SCHEMA),
        members=pl.DataFrame(schema=_MEMBERS_SCHEMA),
        params=params,
    )
