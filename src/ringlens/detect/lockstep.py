"""Lockstep behaviour: groups of actors that hit the same targets in the same time windows.

Follows CopyCatch (Beutel, Xu, Guruswami, Palow & Faloutsos, "CopyCatch: Stopping Group
Attacks by Spotting Lockstep Behavior in Social Networks", WWW 2013): a lockstep group is a
set of at least ``min_actors`` actors and a set of targets such that every actor hit at
least ``min_targets`` of those targets, each within a short window around the moment the
group hit that target. Honest users who share popular targets do so at unrelated times.

The rule, as implemented (all steps vectorised in Polars and scipy)
---------------------------------------------------------------------------

CopyCatch searches for the group and a centre time per target jointly. Here the time
windows are found first, per target, and the group second:

1. **Bursts per target.** Events are restricted to ``actions`` / ``actor_types`` /
   ``target_types``; targets with more than ``max_target_degree`` distinct actors are left
   out. For every event at time ``t`` on a target, the distinct actors in ``[t, t + window]``
   are counted (a rolling window). The window is a *burst* when it holds at least
   ``min_burst_actors`` actors, at least ``min_lift`` times the target's average per window
   (its events × ``window`` / the period of the data), and that count is improbable under
   a Poisson law with that average (``P(N >= n) <= alpha``). Events covered by a burst
   window, chained by gaps of at most ``window``, form numbered bursts of the target.
   A popular product bought all day long never bursts; a ring's product or post does.
2. **Candidates.** Two actors are linked when they were in the same burst on at least
   ``min_targets`` distinct targets; connected components are the candidate groups.
3. **Peeling (CopyCatch's constraint).** Within a candidate group, a burst counts only if
   at least ``min_burst_actors`` group members are in it. Members in fewer than
   ``min_targets`` distinct targets' or ``min_bursts`` such bursts are removed, the
   components are recomputed on the remaining actors, and this repeats until nothing
   changes. Groups with fewer than ``min_actors`` members are dropped.

With ``min_targets=2`` (the default) this is CopyCatch's "same m targets, each in lockstep".
Rings rarely put all members on every target at once — they work in several bursts with
part of the ring in each — so ``min_targets=1, min_bursts=2`` ("two lockstep bursts,
whatever the targets") finds more of each ring at no cost in precision on the synthetic
data; see :data:`LOCKSTEP_PRESETS`.

For each group: the actors, the targets with a group burst, the time span of those bursts
(``first_ts``, ``last_ts``), ``synchrony`` = the share of the members' events on the
group's targets that fall inside group bursts (1.0 = everything the group did on those
targets was done in lockstep), and ``density`` = the share of actor × target cells hit in
a burst.

Patterns are best run separately, each with its own actions: orders on products
(brushing), affiliate clicks on creators (affiliate fraud: the ring clicks one creator
again and again), likes / comments / shares on content (mutual boost).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ringlens.detect._common import (
    GroupMembers,
    check_float,
    check_int,
    check_str_list,
    filtered_events,
)
from ringlens.exceptions import ConfigError, InputError

if TYPE_CHECKING:  # pragma: no cover
    from ringlens.graph import EventGraph

log = logging.getLogger(__name__)

__all__ = ["LOCKSTEP_PRESETS", "LockstepGroups", "lockstep"]

#: Settings that recover the planted rings of :mod:`ringlens.synth` (50k events: brushing
#: 42/49 fake buyers, affiliate fraud 47/51, mutual boost 26/26 creators, no organic
#: account in any group); pass as ``lockstep(g, **LOCKSTEP_PRESETS["brushing"])``.
#: Rings work in several bursts with part of the ring in each, so "two bursts, any target"
#: (``min_targets=1, min_bursts=2``) is the better constraint than "two targets".
LOCKSTEP_PRESETS: dict[str, dict[str, Any]] = {
    "brushing": {
        "actions": ["order"],
        "target_types": ["product"],
        "min_targets": 1,
        "min_bursts": 2,
    },
    "affiliate_fraud": {
        "actions": ["affiliate_click"],
        "target_types": ["creator"],
        "min_targets": 1,
        "min_bursts": 2,
    },
    "mutual_boost": {
        "actions": ["like", "comment", "share"],
        "actor_types": ["creator"],
        "target_types": ["content"],
        "min_targets": 1,
        "min_bursts": 2,
    },
}

_MAX_ROUNDS = 100
_TS = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class LockstepGroups(GroupMembers):
    """Lockstep groups found by :func:`lockstep`.

    Attributes
    ----------
    groups : polars.DataFrame
        One row per group: ``group`` (Int64; 0 = most actors, ties by smallest actor key),
        ``n_actors``, ``n_targets``, ``n_bursts`` (Int64), ``first_ts``, ``last_ts``
        (datetime UTC: span of the lockstep bursts), ``synchrony`` (Float64 in [0, 1]),
        ``density`` (Float64: share of the actor × target cells hit inside a burst).
    members : polars.DataFrame
        ``group``, ``key``, ``role`` (``"actor"`` / ``"target"``), ``hits`` (Int64: for an
        actor, the group targets it hit inside lockstep bursts; for a target, the group
        actors that hit it inside lockstep bursts). Sorted by group, role, key.
    bursts : polars.DataFrame
        ``group``, ``key`` (target), ``start``, ``end`` (datetime UTC), ``n_actors``: the
        lockstep bursts themselves, the evidence for an investigator.
    params : dict
        The parameters of the run.
    """

    groups: pl.DataFrame
    members: pl.DataFrame
    bursts: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def targets(self, group: int) -> list[str]:
        """Sorted target keys of one group."""
        return self._keys(group, "target")


def _empty(params: dict[str, Any]) -> LockstepGroups:
    groups = pl.DataFrame(
        schema={
            "group": pl.Int64,
            "n_actors": pl.Int64,
            "n_targets": pl.Int64,
            "n_bursts": pl.Int64,
            "first_ts": _TS,
            "last_ts": _TS,
            "synchrony": pl.Float64,
            "density": pl.Float64,
        }
    )
    members = pl.DataFrame(
        schema={"group": pl.Int64, "key": pl.String, "role": pl.String, "hits": pl.Int64}
    )
    bursts = pl.DataFrame(
        schema={"group": pl.Int64, "key": pl.String, "start": _TS, "end": _TS, "n_actors": pl.Int64}
    )
    return LockstepGroups(groups=groups, members=members, bursts=bursts, params=params)


def _target_bursts(
    ev: pl.DataFrame,
    w_us: int,
    min_burst_actors: int,
    min_lift: float,
    alpha: float,
    span_us: tuple[int, int] | None = None,
) -> pl.DataFrame:
    """Events (src, dst, ts_us) tagged with ``burst`` (per-target burst number; null outside
    bursts). An event is in a burst when some window ``[t, t + w]`` containing it holds
    >= min_burst_actors distinct actors on the target and >= min_lift times the target's
    average number of events per window. The average is taken over the data period: the
    events' own, widened to ``span_us`` (epoch µs) when given (a part of a larger run)."""
    lo, hi = int(ev["ts_us"].min()), int(ev["ts_us"].max())  # type: ignore[arg-type]
    if span_us is not None:
        lo, hi = min(lo, int(span_us[0])), max(hi, int(span_us[1]))
    span = max(hi - lo, w_us)
    rows = ev.sort("dst", "ts_us", "src").with_columns(
        (pl.len().over("dst") * (w_us / span)).alias("_lam"),
        pl.col("src")
        .n_unique()
        .rolling(index_column="ts_us", period=f"{w_us + 1}i", offset="-1i")
        .over("dst")
        .alias("_n"),
    )
    from scipy.special import pdtrc  # scipy.stats.poisson.sf calls it (stats: 0.5 s import)

    # P(N >= n) = P(N > n - 1) for N ~ Poisson(expected events in a window on this target);
    # n >= 1 (the event itself), so n - 1 >= 0
    pval = pdtrc(rows["_n"].to_numpy() - 1, rows["_lam"].to_numpy())
    rows = rows.with_columns(pl.Series("_p", pval, dtype=pl.Float64))
    anchor = (
        (pl.col("_n") >= min_burst_actors)
        & (pl.col("_n") >= min_lift * pl.col("_lam"))
        & (pl.col("_p") <= alpha)
    ).cast(pl.Int8)
    behind = anchor.max().rolling(
        index_column="ts_us", period=f"{w_us + 1}i", offset=f"-{w_us + 1}i"
    )
    rows = rows.with_columns(behind.over("dst").cast(pl.Boolean).alias("_in")).drop(
        "_n", "_lam", "_p"
    )
    burst = (pl.col("ts_us").diff().fill_null(w_us + 1) > w_us).cum_sum().over("dst")
    inside = rows.filter(pl.col("_in")).with_columns(burst.cast(pl.Int64).alias("burst"))
    outside = rows.filter(~pl.col("_in")).with_columns(pl.lit(None, dtype=pl.Int64).alias("burst"))
    return pl.concat([inside, outside]).drop("_in")


def _pairs(memb: pl.DataFrame, min_targets: int) -> pl.DataFrame:
    """Actor pairs (a < b) present together in bursts of >= min_targets distinct targets."""
    right = memb.select(pl.col("src").alias("src_r"), "dst", "burst")
    return (
        memb.join(right, on=["dst", "burst"])
        .filter(pl.col("src") < pl.col("src_r"))
        .group_by(pl.col("src").alias("a"), pl.col("src_r").alias("b"))
        .agg(pl.col("dst").n_unique().alias("weight"))
        .filter(pl.col("weight") >= min_targets)
        .select("a", "b")
    )


def _components(pairs: pl.DataFrame, alive: pl.Series, min_actors: int) -> pl.DataFrame:
    """``src`` → ``comp`` for the alive actors in components of >= min_actors actors."""
    from ringlens.graph.core import component_labels

    nodes = alive.sort().to_numpy()
    live = pl.DataFrame({"a": alive})
    p = pairs.join(live, on="a", how="semi").join(live.rename({"a": "b"}), on="b", how="semi")
    if p.height == 0:
        return pl.DataFrame(schema={"src": alive.dtype, "comp": pl.Int64})
    a = np.searchsorted(nodes, p["a"].to_numpy())
    b = np.searchsorted(nodes, p["b"].to_numpy())
    memb = component_labels(len(nodes), a, b)
    comp = pl.DataFrame({"src": pl.Series(nodes, dtype=alive.dtype), "comp": memb})
    big = (
        comp.group_by("comp")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= min_actors)
        .select("comp")
    )
    return comp.join(big, on="comp", how="semi")


def lockstep(
    graph: EventGraph,
    *,
    window: timedelta = timedelta(hours=3),
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    min_actors: int = 5,
    min_targets: int = 2,
    min_burst_actors: int = 3,
    min_bursts: int = 1,
    min_lift: float = 5.0,
    alpha: float = 1e-4,
    max_target_degree: int = 1000,
    span_us: tuple[int, int] | None = None,
) -> LockstepGroups:
    """Find groups of actors acting on the same targets in the same time windows (CopyCatch).

    Parameters
    ----------
    graph
        The event graph (its events, with timestamps, are used).
    window
        Two events are "at the same time" when at most ``window`` apart.
    actions, actor_types, target_types
        Restrict the events (e.g. ``actions=["order"], target_types=["product"]``).
    min_actors
        Smallest group (>= 2).
    min_targets
        Distinct targets each member must have hit inside lockstep bursts (>= 1).
    min_burst_actors
        Group members that must hit a target within one ``window`` for it to be a lockstep
        burst (>= 2). A ring rarely puts all its members on every target at once: it works
        in several bursts, each with part of the ring.
    max_target_degree
        Targets with more distinct actors are left out (0 keeps all).
    span_us
        ``(first, last)`` event time (epoch µs) of the whole run when ``graph`` holds only
        part of it (see :class:`ringlens.pipeline.context.RunContext`): the expected events per
        window are computed over the run's data period, not the part's.

    Returns
    -------
    LockstepGroups
        See the class for the frames. The method is deterministic: no seed.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timedelta, timezone
    >>> from ringlens.graph import build_graph
    >>> t = lambda d, h: datetime(2024, 1, d, h, tzinfo=timezone.utc)
    >>> ring = [(f"b{i}", p, t(1 + k, 10)) for i in range(5) for k, p in enumerate(["p1", "p2"])]
    >>> honest = [("h1", "p1", t(5, 3)), ("h1", "p2", t(9, 20)), ("h2", "p1", t(12, 1))]
    >>> ev = pl.DataFrame(ring + honest, schema=["actor_id", "target_id", "ts"], orient="row")
    >>> ev = ev.with_columns(actor_type=pl.lit("buyer"), target_type=pl.lit("product"),
    ...                      action=pl.lit("order"))
    >>> res = lockstep(build_graph(ev), window=timedelta(hours=1), min_actors=5, min_targets=2)
    >>> res.groups.select("group", "n_actors", "n_targets", "synchrony").rows()
    [(0, 5, 2, 1.0)]
    >>> res.targets(0)
    ['product:p1', 'product:p2']
    """
    from ringlens.graph import EventGraph

    if not isinstance(graph, EventGraph):
        raise InputError(f"lockstep needs an EventGraph (timestamps), got {type(graph).__name__}")
    if not isinstance(window, timedelta) or window <= timedelta(0):
        raise ConfigError(f"window must be a positive timedelta, got {window!r}")
    min_actors = check_int("min_actors", min_actors, 2)  # type: ignore[assignment]
    min_targets = check_int("min_targets", min_targets, 1)  # type: ignore[assignment]
    min_burst_actors = check_int("min_burst_actors", min_burst_actors, 2)  # type: ignore[assignment]
    min_bursts = check_int("min_bursts", min_bursts, 1)  # type: ignore[assignment]
    min_lift = check_float("min_lift", min_lift, low=0.0)
    alpha = check_float("alpha", alpha, low=0.0, high=1.0, low_open=True)
    max_target_degree = check_int("max_target_degree", max_target_degree, 0)  # type: ignore[assignment]
    actions = check_str_list("actions", actions)
    actor_types = check_str_list("actor_types", actor_types)
    target_types = check_str_list("target_types", target_types)
    w_us = int(window / timedelta(microseconds=1))
    params = {
        "window_seconds": window.total_seconds(),
        "actions": actions,
        "actor_types": actor_types,
        "target_types": target_types,
        "min_actors": min_actors,
        "min_targets": min_targets,
        "min_burst_actors": min_burst_actors,
        "min_bursts": min_bursts,
        "min_lift": min_lift,
        "alpha": alpha,
        "max_target_degree": max_target_degree,
    }

    ev = filtered_events(graph, actions=actions, actor_types=actor_types, target_types=target_types)
    ev = ev.select("src", "dst", pl.col("ts").dt.epoch("us").alias("ts_us"))
    if max_target_degree:
        deg = ev.group_by("dst").agg(pl.col("src").n_unique().alias("d"))
        ev = ev.join(
            deg.filter(pl.col("d") <= max_target_degree).select("dst"), on="dst", how="semi"
        )
    if ev.height == 0:
        return _empty(params)

    ev = ev.unique(["src", "dst", "ts_us"])
    tagged = _target_bursts(ev, w_us, min_burst_actors, min_lift, alpha, span_us)
    memb = tagged.filter(pl.col("burst").is_not_null()).select("src", "dst", "burst").unique()
    pairs = _pairs(memb, min_targets)
    alive = pl.concat([pairs["a"], pairs["b"]]).unique().sort()
    log.debug(
        "lockstep: %d bursty events, %d pairs over %d actors",
        memb.height,
        pairs.height,
        alive.len(),
    )
    good = pl.DataFrame()
    for _ in range(_MAX_ROUNDS):
        comp = _components(pairs, alive, min_actors)
        if comp.height == 0:
            return _empty(params)
        good = (
            memb.join(comp, on="src")
            .group_by("comp", "dst", "burst")
            .agg(pl.col("src").n_unique().alias("k"))
            .filter(pl.col("k") >= min_burst_actors)
            .select("comp", "dst", "burst")
        )
        ok = (
            memb.join(comp, on="src")
            .join(good, on=["comp", "dst", "burst"], how="semi")
            .group_by("comp", "src")
            .agg(
                pl.col("dst").n_unique().alias("n"),
                pl.struct("dst", "burst").n_unique().alias("nb"),
            )
            .filter((pl.col("n") >= min_targets) & (pl.col("nb") >= min_bursts))
        )
        ok = ok.join(
            ok.group_by("comp")
            .agg(pl.len().alias("k"))
            .filter(pl.col("k") >= min_actors)
            .select("comp"),
            on="comp",
            how="semi",
        )
        new_alive = ok["src"].sort()
        if new_alive.len() == comp.height and new_alive.equals(comp["src"].sort()):
            break
        alive = new_alive
    else:  # pragma: no cover - the alive set shrinks every round, so this cannot run out
        log.warning("lockstep: peeling did not converge in %d rounds", _MAX_ROUNDS)
    rows = (
        tagged.join(comp, on="src")
        .join(
            good.with_columns(pl.lit(True).alias("lockstep")),
            on=["comp", "dst", "burst"],
            how="left",
        )
        .with_columns(pl.col("lockstep").fill_null(False))
    )
    return _finish(graph, rows, params)


def _finish(graph: EventGraph, rows: pl.DataFrame, params: dict[str, Any]) -> LockstepGroups:
    keys = graph.nodes.select("node", "key")
    in_burst = rows.filter(pl.col("lockstep"))
    targets = in_burst.select("comp", "dst").unique()
    on_targets = rows.join(targets, on=["comp", "dst"], how="semi")
    # deterministic group ids: most actors first, then smallest actor key
    actor_keys = rows.select("comp", "src").unique().join(keys, left_on="src", right_on="node")
    order = (
        actor_keys.group_by("comp")
        .agg(pl.len().alias("n"), pl.col("key").min().alias("first"))
        .sort(["n", "first"], descending=[True, False])
        .with_row_index("group")
        .select("comp", pl.col("group").cast(pl.Int64))
    )
    cells = in_burst.select("comp", "src", "dst").unique()
    groups = (
        on_targets.group_by("comp")
        .agg(
            pl.col("src").n_unique().cast(pl.Int64).alias("n_actors"),
            pl.col("lockstep").mean().alias("synchrony"),
        )
        .join(
            in_burst.group_by("comp").agg(
                pl.col("dst").n_unique().cast(pl.Int64).alias("n_targets"),
                pl.struct("dst", "burst").n_unique().cast(pl.Int64).alias("n_bursts"),
                pl.col("ts_us").min().alias("first"),
                pl.col("ts_us").max().alias("last"),
            ),
            on="comp",
        )
        .join(cells.group_by("comp").agg(pl.len().alias("cells")), on="comp")
        .join(order, on="comp")
        .select(
            "group",
            "n_actors",
            "n_targets",
            "n_bursts",
            pl.from_epoch("first", time_unit="us").dt.replace_time_zone("UTC").alias("first_ts"),
            pl.from_epoch("last", time_unit="us").dt.replace_time_zone("UTC").alias("last_ts"),
            pl.col("synchrony").cast(pl.Float64),
            (pl.col("cells") / (pl.col("n_actors") * pl.col("n_targets")))
            .cast(pl.Float64)
            .alias("density"),
        )
        .sort("group")
    )
    actor_rows = cells.group_by("comp", pl.col("src").alias("node")).agg(
        pl.len().cast(pl.Int64).alias("hits")
    )
    target_rows = cells.group_by("comp", pl.col("dst").alias("node")).agg(
        pl.len().cast(pl.Int64).alias("hits")
    )
    members = (
        pl.concat(
            [
                actor_rows.with_columns(pl.lit("actor").alias("role")),
                target_rows.with_columns(pl.lit("target").alias("role")),
            ]
        )
        .join(keys, on="node")
        .join(order, on="comp")
        .select("group", "key", "role", "hits")
        .sort("group", "role", "key")
    )
    bursts = (
        in_burst.group_by("comp", "dst", "burst")
        .agg(
            pl.col("ts_us").min().alias("start"),
            pl.col("ts_us").max().alias("end"),
            pl.col("src").n_unique().cast(pl.Int64).alias("n_actors"),
        )
        .join(keys, left_on="dst", right_on="node")
        .join(order, on="comp")
        .select(
            "group",
            "key",
            pl.from_epoch("start", time_unit="us").dt.replace_time_zone("UTC").alias("start"),
            pl.from_epoch("end", time_unit="us").dt.replace_time_zone("UTC").alias("end"),
            "n_actors",
        )
        .sort("group", "key", "start")
    )
    log.info("lockstep: %d groups, %d actors", groups.height, actor_rows.height)
    return LockstepGroups(groups=groups, members=members, bursts=bursts, params=params)
