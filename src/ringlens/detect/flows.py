"""Value passed round a loop: accounts that pay one another, each pair far more often than
the two accounts' activity explains, in pairs that close into a cycle.

Eight wallets that pass a thousand coins round a loop once a day (to inflate volume, to
launder a balance, to farm a reward per transfer) make no dense block: each wallet pays one
and is paid by one, and a block of eight by eight with eight cells filled is sparse. What
gives them away is that every one of their pairs repeats — thirty transfers from a wallet
to the next, where the platform's pairs meet once or twice — and that the repeated pairs
close: what leaves a wallet comes back to it.

The test, per family of events from accounts to accounts (the actions that move value
between one payer type and one payee type, together; the vocabulary's or the data's own
accounts on both ends):

1. each directed pair ``(a, b)`` with ``n`` events is tested against the Poisson of ``a``'s
   outgoing and ``b``'s incoming events spread as the family's totals say (expected
   ``out_a · in_b / m``); a pair is *repeated* when its ``-log10 p``, Bonferroni-corrected
   over the family's pairs, is beyond ``alpha`` and it holds at least ``min_events``
   events (two friends who tip each other now and then are ordinary);
2. a repeated pair whose reverse repeats too is an exchange, not a flow: friends who
   trade with one another, each pair both ways, pass nothing round (three friends
   trading skins form a loop of exchanges); those pairs are set aside;
3. the one-way repeated pairs form a directed graph; each of its strongly connected
   components of at least ``min_size`` accounts is a group: every member reaches every
   other through repeated pairs and back. Repeated pairs in a one-way chain (a payroll, a
   subscription, a mule's path to a cash-out) bring nothing back: no group;
4. a group's significance is the lowest of its repeated pairs' (a loop is as certain as
   its weakest link), capped at :data:`~ringlens.detect.significance.SIGNIFICANCE_CAP`.

The run reads only families whose amounts are value (present on most events, not a
rating scale): a conversation's messages repeat and close into loops by nature
(:class:`ringlens.pipeline.detectors.flows.FlowCycles`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ringlens.detect._common import (
    TargetGroups,
    check_float,
    check_int,
    check_str_list,
    filtered_events,
)
from ringlens.detect.significance import SIGNIFICANCE_CAP

if TYPE_CHECKING:
    from ringlens.graph import EventGraph

__all__ = ["FlowCycleGroups", "flow_cycles", "moves_value"]

_GROUPS_SCHEMA = {
    "group": pl.Int64,
    "n_actors": pl.Int64,
    "n_pairs": pl.Int64,
    "events": pl.Int64,
    "significance": pl.Float64,
}
_MEMBERS_SCHEMA = {"group": pl.Int64, "key": pl.String, "role": pl.String, "hits": pl.Int64}


@dataclass(frozen=True)
class FlowCycleGroups(TargetGroups):
    """Accounts whose repeated pairs close into a loop (:func:`flow_cycles`).

    Attributes
    ----------
    groups : polars.DataFrame
        One row per group (a strongly connected component of repeated pairs): ``group``
        (Int64, from 0, by first member key), ``n_actors``, ``n_pairs`` (its repeated
        pairs), ``events`` (theirs) and ``significance`` (the lowest ``-log10 p`` of its
        repeated pairs, after the correction).
    members : polars.DataFrame
        ``group``, ``key``, ``role`` (``"actor"`` as payer and ``"target"`` as payee: each
        member is both), ``hits`` (its events on the group's repeated pairs, sent or
        received). Sorted by group, role, key.
    params : dict
        The run's parameters and the family's pairs tested (``pairs_tested``), found
        repeated (``pairs_repeated``) and repeated one way only (``pairs_one_way``).
    """

    groups: pl.DataFrame
    members: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


def flow_cycles(
    graph: EventGraph,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    alpha: float = 0.01,
    min_events: int = 3,
    min_size: int = 3,
) -> FlowCycleGroups:
    """Groups of accounts whose pairs repeat beyond chance and close into a loop (see the
    module documentation).

    Parameters
    ----------
    graph : EventGraph
        The events.
    actions, actor_types, target_types : list of str, optional
        The family (the platform's own names; None = all). Events from a node to itself
        are not pairs.
    alpha : float
        Significance level of a pair, Bonferroni-corrected over the family's pairs.
    min_events : int
        Fewest events a repeated pair holds.
    min_size : int
        Fewest accounts in a group.

    Examples
    --------
    Eight wallets pass coins round a loop thirty times among 3,000 random transfers:

    >>> import numpy as np, polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rng = np.random.default_rng(0)
    >>> rows = [(f"w{a}", f"w{b}") for a, b in rng.integers(0, 500, (3000, 2)) if a != b]
    >>> rows += [(f"loop{i}", f"loop{(i + 1) % 8}") for i in range(8) for _ in range(30)]
    >>> ev = pl.DataFrame(rows, schema=["actor_id", "target_id"], orient="row").with_columns(
    ...     actor_type=pl.lit("wallet"), target_type=pl.lit("wallet"),
    ...     action=pl.lit("transfer"), ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)))
    >>> res = flow_cycles(build_graph(ev))
    >>> res.groups.select("group", "n_actors", "n_pairs", "events").rows()
    [(0, 8, 8, 240)]
    >>> res.actors(0)[:3]
    ['wallet:loop0', 'wallet:loop1', 'wallet:loop2']
    """
    acts = check_str_list("actions", actions)
    actor_t = check_str_list("actor_types", actor_types)
    target_t = check_str_list("target_types", target_types)
    a = check_float("alpha", alpha, low=0.0, high=1.0, low_open=True)
    least = int(check_int("min_events", min_events, 1) or 1)
    size = int(check_int("min_size", min_size, 2) or 2)
    ev = filtered_events(graph, actions=acts, actor_types=actor_t, target_types=target_t).filter(
        pl.col("src") != pl.col("dst")
    )
    repeated = _repeated_pairs(ev, a, least)
    back = repeated.select(pl.col("dst").alias("src"), pl.col("src").alias("dst"))
    one_way = repeated.join(back, on=["src", "dst"], how="anti")  # exchanges: step 2
    params: dict[str, Any] = {
        "actions": acts,
        "actor_types": actor_t,
        "target_types": target_t,
        "alpha": a,
        "min_events": least,
        "min_size": size,
        "pairs_tested": int(ev.select("src", "dst").n_unique()) if ev.height else 0,
        "pairs_repeated": repeated.height,
        "pairs_one_way": one_way.height,
    }
    groups, members = _loops(graph, one_way, size)
    return FlowCycleGroups(groups=groups, members=members, params=params)


def moves_value(
    graph: EventGraph,
    action: str,
    *,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
) -> bool:
    """Whether one action's amounts (in the families of these types) are value: present and
    not 0 on at least :data:`~ringlens.detect.ratings.RATED_SHARE` of its events, not one
    constant, and no rating scale (:func:`~ringlens.detect.ratings.rating_scale`).
    Messages carry none (or an export's 0); ratings between drivers and riders are a
    scale.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> ev = pl.DataFrame({"actor_id": ["a", "c", "b", "c"], "actor_type": "member",
    ...     "target_id": ["b", "a", "c", "a"], "target_type": "member",
    ...     "action": ["tip", "tip", "rate", "message"], "amount": [12.5, 3.0, 4.0, None],
    ...     "ts": datetime(2024, 1, 1, tzinfo=timezone.utc)})
    >>> g = build_graph(ev)
    >>> moves_value(g, "tip"), moves_value(g, "message")
    (True, False)
    """
    from ringlens.detect.ratings import RATED_SHARE, rating_scale

    ev = filtered_events(
        graph,
        actions=[action],
        actor_types=actor_types,
        target_types=target_types,
        extra=("amount",),
    )
    if "amount" not in ev.columns or ev.height == 0:
        return False
    amounts = ev["amount"]
    present = amounts.drop_nulls().drop_nans()
    if present.len() < RATED_SHARE * amounts.len() or present.n_unique() < 2:
        return False  # an export's 0 (or one constant) for events that move nothing
    nonzero = int((present != 0).sum())
    return nonzero >= RATED_SHARE * present.len() and rating_scale(amounts) is None


def _repeated_pairs(ev: pl.DataFrame, alpha: float, min_events: int) -> pl.DataFrame:
    """``src, dst, n, significance``: the directed pairs beyond the Poisson of their ends'
    activity (module documentation, step 1)."""
    from scipy.special import pdtrc

    schema = {"src": pl.UInt32, "dst": pl.UInt32, "n": pl.Int64, "significance": pl.Float64}
    if ev.height == 0:
        return pl.DataFrame(schema=schema)
    m = ev.height
    pairs = (
        ev.group_by("src", "dst")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .with_columns(
            pl.col("n").sum().over("src").alias("_out"),
            pl.col("n").sum().over("dst").alias("_in"),
        )
    )
    tests = pairs.height
    heavy = pairs.filter(pl.col("n") >= min_events)
    if heavy.height == 0:
        return pl.DataFrame(schema=schema)
    mu = (heavy["_out"].cast(pl.Float64) * heavy["_in"].cast(pl.Float64) / m).to_numpy()
    with np.errstate(divide="ignore"):
        p = pdtrc(heavy["n"].to_numpy() - 1, mu)  # P(X >= n)
        sig = -np.log10(p) - math.log10(tests)  # Bonferroni over the family's pairs
    sig = np.clip(np.nan_to_num(sig, posinf=SIGNIFICANCE_CAP), 0.0, SIGNIFICANCE_CAP)
    return (
        heavy.select(
            pl.col("src").cast(pl.UInt32),
            pl.col("dst").cast(pl.UInt32),
            "n",
            pl.Series("significance", sig, dtype=pl.Float64),
        )
        .filter(pl.col("significance") >= -math.log10(alpha))
        .sort("src", "dst")
    )


def _loops(
    graph: EventGraph, repeated: pl.DataFrame, min_size: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The groups and members of the strongly connected components of ``repeated`` with at
    least ``min_size`` accounts (module documentation, steps 3 and 4)."""
    import igraph as ig

    empty = pl.DataFrame(schema=_GROUPS_SCHEMA), pl.DataFrame(schema=_MEMBERS_SCHEMA)
    if repeated.height < min_size:
        return empty
    nodes = np.unique(np.concatenate([repeated["src"].to_numpy(), repeated["dst"].to_numpy()]))
    src = np.searchsorted(nodes, repeated["src"].to_numpy())
    dst = np.searchsorted(nodes, repeated["dst"].to_numpy())
    g = ig.Graph(n=len(nodes), edges=np.column_stack([src, dst]).tolist(), directed=True)
    label = np.asarray(g.connected_components(mode="strong").membership)
    comp = pl.DataFrame({"node": nodes.astype(np.uint32), "comp": label})
    inside = (
        repeated.join(comp.rename({"node": "src"}), on="src")
        .join(comp.rename({"node": "dst", "comp": "_c"}), on="dst")
        .filter(pl.col("comp") == pl.col("_c"))
    )
    keys = graph.nodes.select(pl.col("node").cast(pl.UInt32), "key")
    sent = inside.select("comp", pl.col("src").alias("node"), "n")
    got = inside.select("comp", pl.col("dst").alias("node"), "n")
    hits = (
        pl.concat([sent, got])
        .group_by("comp", "node")
        .agg(pl.col("n").sum().alias("hits"))
        .join(keys, on="node")
        .filter(pl.len().over("comp") >= min_size)
    )
    if hits.height == 0:
        return empty
    order = (
        hits.group_by("comp")
        .agg(pl.col("key").min().alias("_first"))
        .sort("_first")
        .with_row_index("group")
        .select(pl.col("group").cast(pl.Int64), "comp")
    )
    groups = (
        inside.join(order, on="comp")
        .group_by("group")
        .agg(
            pl.len().cast(pl.Int64).alias("n_pairs"),
            pl.col("n").sum().cast(pl.Int64).alias("events"),
            pl.col("significance").min().alias("significance"),
        )
        .join(
            hits.join(order, on="comp")
            .group_by("group")
            .agg(pl.len().cast(pl.Int64).alias("n_actors")),
            on="group",
        )
        .select(list(_GROUPS_SCHEMA))
        .sort("group")
    )
    one = hits.join(order, on="comp").select("group", "key", pl.col("hits").cast(pl.Int64))
    members = (
        pl.concat(
            [
                one.with_columns(pl.lit("actor").alias("role")),
                one.with_columns(pl.lit("target").alias("role")),
            ]
        )
        .select(list(_MEMBERS_SCHEMA))
        .sort("group", "role", "key")
    )
    return groups, members
