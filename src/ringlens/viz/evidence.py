"""Evidence for investigators: a ring's neighbourhood, ego networks, and the run's views.

This module prepares the data (Polars frames of nodes, edges and an evidence table) from
the event graph and the scores; :mod:`ringlens.viz` renders it.

A ring's neighbourhood holds the members, the targets at least two members share (the
products, content, creators, devices and payout accounts the ring works through), the
seller or creator that owns the shared products/content, and a bounded sample of each
member's camouflage (its ``camouflage_per_member`` heaviest other targets), so a
reviewer sees both the ring and how much else its members do.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from ringlens.config import effective_threads
from ringlens.detect.lockstep import lockstep
from ringlens.exceptions import InputError, SchemaError, check_int
from ringlens.export import diff_runs, resolve_run
from ringlens.graph import EventGraph, split_key
from ringlens.viz._common import require_columns, require_frame, ring_filename
from ringlens.viz.ego import ego_subgraph, ego_view
from ringlens.viz.report import write_run_report
from ringlens.viz.ring import RingView, ring_view
from ringlens.viz.timeline import ring_timeline

if TYPE_CHECKING:  # pragma: no cover
    from ringlens.config import Config

log = logging.getLogger(__name__)

__all__ = [
    "ScoredRun",
    "ring_neighbourhood",
    "ring_evidence",
    "ego_network",
    "view_ring",
    "ring_page",
    "RunFolder",
    "read_run",
    "ego_frames",
    "bursts_of",
    "bursts_with_members",
    "normalise_bursts",
    "BURSTS_SCHEMA",
    "lockstep_spans",
    "write_run_views",
    "ring_events",
    "ego_events",
    "ring_bursts",
    "ring_actions",
    "ring_members",
    "lockstep_families",
    "KEY_TARGET_SHARE",
]

#: A target hit by at least this share of a ring's members (and by two of them) is one of
#: the ring's key targets (drawn emphasised); the share the expansion step uses too.
KEY_TARGET_SHARE = 0.3


#: Actions by which an actor owns a target (a seller lists a product, a creator posts content).
OWNER_ACTIONS = ("list", "post")


def _owner_edge() -> pl.Expr:
    """An edge (its ``actions`` list) by which ``src`` owns ``dst``."""
    return pl.any_horizontal([pl.col("actions").list.contains(a) for a in OWNER_ACTIONS])


def _actor_key() -> pl.Expr:
    return pl.concat_str([pl.col("actor_type"), pl.lit(":"), pl.col("actor_id")])


def _target_key() -> pl.Expr:
    return pl.concat_str([pl.col("target_type"), pl.lit(":"), pl.col("target_id")])


def _in(expr: pl.Expr, keys: pl.Series | list[str]) -> pl.Expr:
    return expr.is_in(pl.Series(keys, dtype=pl.String).implode())


def _keys(frame: pl.DataFrame, expr: pl.Expr) -> pl.Series:
    return frame.select(expr.alias("key"))["key"].unique()


def _split_keys(keys: pl.Series | list[str], type_col: str, id_col: str) -> pl.DataFrame:
    """Node keys ``type:id`` as a frame of two columns (for semi-joins on the events)."""
    parts = pl.Series(keys, dtype=pl.String).str.splitn(":", 2).struct
    return pl.DataFrame({type_col: parts.field("field_0"), id_col: parts.field("field_1")})


_KEY_COLUMNS = ("actor_type", "actor_id", "target_type", "target_id")


def ring_events(events: pl.LazyFrame | pl.DataFrame, members: list[str]) -> pl.DataFrame:
    """The events :func:`ring_neighbourhood` and :func:`ring_evidence` need, read with three
    filtered scans (semi-joins on the type and id columns) instead of building the whole
    graph.

    1. the members' events (as actors): their targets ``T``;
    2. the events on ``T``: the actors that list or post one of them (owner candidates);
    3. every event by a member, on a target in ``T``, or between two nodes of
       ``K`` = members ∪ ``T`` ∪ owner candidates.

    Both functions only look at the members' edges, the edges into shared targets and the
    edges among the nodes they keep (all inside ``K``), and every event of an included
    (actor, target) pair is included, so on the graph of these events they return what
    they return on the whole graph (tested). This is what makes ``ringlens explore`` take
    seconds on a large run instead of rebuilding the graph. The rows come back in the
    order of ``events``. Run on the events of several rings together (a file of the
    events around a run's rings), it returns for one ring what it returns on all events:
    each step only grows with more members.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> ev = pl.DataFrame({"actor_id": ["1", "2", "2", "9"], "actor_type": "buyer",
    ...     "target_id": ["p", "p", "z", "q"], "target_type": "product", "action": "order",
    ...     "ts": datetime(2024, 1, 1, tzinfo=timezone.utc)})
    >>> ring_events(ev, ["buyer:1", "buyer:2"])["actor_id"].to_list()
    ['1', '2', '2']
    """
    base = events.lazy()
    schema = base.collect_schema()
    names = schema.names()
    lf = base.with_row_index("_row").with_columns(
        pl.col(c).cast(pl.String) for c in _KEY_COLUMNS if c in names
    )
    actor, target = ["actor_type", "actor_id"], ["target_type", "target_id"]
    mem = _split_keys(members, *actor)
    first = lf.join(mem.lazy(), on=actor, how="semi").collect()
    if first.height == 0:
        raise InputError("ring has no member in the events")
    targets = first.select(target).unique()
    on_targets = lf.join(targets.lazy(), on=target, how="semi").collect()
    owners = on_targets.filter(pl.col("action").is_in(OWNER_ACTIONS)).select(actor).unique()
    keep = pl.concat([mem, targets.rename(dict(zip(target, actor, strict=True))), owners])
    keep = keep.unique()
    among = (
        lf.join(keep.lazy(), on=actor, how="semi")
        .join(keep.rename(dict(zip(actor, target, strict=True))).lazy(), on=target, how="semi")
        .collect()
    )
    out = pl.concat([first, on_targets, among]).unique("_row").sort("_row").drop("_row")
    # the key columns as the events had them
    return out.select(names).cast({c: schema[c] for c in _KEY_COLUMNS if c in names})


def ego_events(events: pl.LazyFrame | pl.DataFrame, center: str, *, hops: int) -> pl.DataFrame:
    """The events :func:`ego_network` needs for ``center`` and ``hops``: every event between
    two nodes within ``hops`` of ``center`` (a breadth-first search of ``hops`` filtered
    scans, then one scan that reads them).

    The ego view keeps nodes by distance, by their heaviest edge towards the centre and by
    risk, and counts the edges it leaves out among the nodes within ``hops``: all of that is
    decided by these events, so the view equals the one drawn from the whole graph.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> ev = pl.DataFrame({"actor_id": ["1", "1", "2", "3"], "actor_type": "buyer",
    ...     "target_id": ["p", "q", "p", "z"], "target_type": "product", "action": "order",
    ...     "ts": datetime(2024, 1, 1, tzinfo=timezone.utc)})
    >>> ego_events(ev, "product:p", hops=1)["actor_id"].to_list()
    ['1', '2']
    >>> ego_events(ev, "buyer:7", hops=1)
    Traceback (most recent call last):
    ringlens.exceptions.InputError: unknown entity 'buyer:7': not in this run's events
    """
    split_key(center)  # clear error for a malformed key
    lf = events.lazy()
    seen = pl.Series("key", [center], dtype=pl.String)
    inner = seen.clear()  # nodes whose every event is needed: within hops - 1
    frontier = seen
    for _ in range(max(hops, 1)):  # hops 0 still needs one scan: the centre's own node
        hit = lf.filter(_in(_actor_key(), frontier) | _in(_target_key(), frontier)).collect()
        if hit.height == 0 and inner.len() == 0:
            raise InputError(f"unknown entity {center!r}: not in this run's events")
        inner = pl.concat([inner, frontier])
        ends = pl.concat([_keys(hit, _actor_key()), _keys(hit, _target_key())]).unique()
        frontier = ends.filter(~ends.is_in(seen.implode()))
        seen = pl.concat([seen, frontier])
    out = lf.filter(
        _in(_actor_key(), inner)
        | _in(_target_key(), inner)
        | (_in(_actor_key(), seen) & _in(_target_key(), seen))
    ).collect()
    if out.height == 0:
        raise InputError(f"unknown entity {center!r}: not in this run's events")
    return out


def _node_frame(
    nodes: pl.DataFrame, scored: pl.DataFrame | None, members: set[str] | None
) -> pl.DataFrame:
    """The viz node contract from graph node rows (``key``, ``node_type``, ``node_id``).

    ``members``: the ring's members (a ring view); None marks every member of any ring of
    the run (an ego view). ``ring_id`` is the ring each scored entity belongs to."""
    out = nodes.select("key", "node_type", "node_id")
    if scored is not None and scored.height:
        cols = ["key", "risk_score", "reasons"] + [
            c for c in ("display_name", "market", "ring_id") if c in scored.columns
        ]
        out = out.join(scored.select(cols), on="key", how="left")
    for c, dt in (
        ("risk_score", pl.Float64),
        ("reasons", pl.List(pl.String)),
        ("display_name", pl.String),
        ("market", pl.String),
        ("ring_id", pl.String),
    ):
        if c not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=dt).alias(c))
    in_ring = (
        pl.col("ring_id").is_not_null()
        if members is None
        else pl.col("key").is_in(pl.Series(list(members), dtype=pl.String).implode())
    )
    return out.with_columns(
        pl.coalesce("display_name", "node_id").alias("label"),
        in_ring.alias("in_ring"),
        pl.col("reasons").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    ).select(
        "key",
        "node_type",
        "node_id",
        "label",
        "risk_score",
        "reasons",
        "in_ring",
        "ring_id",
        "market",
    )


def _view_edges(graph: EventGraph, edges: pl.DataFrame) -> pl.DataFrame:
    """Edges in the viz contract: src/dst as node keys, weight = event count."""
    keys = graph.nodes.select("node", "key")
    return (
        edges.join(keys.rename({"node": "src", "key": "src_key"}), on="src")
        .join(keys.rename({"node": "dst", "key": "dst_key"}), on="dst")
        .select(
            pl.col("src_key").alias("src"),
            pl.col("dst_key").alias("dst"),
            pl.col("count").cast(pl.Float64).alias("weight"),
            "actions",
            "first_ts",
            "last_ts",
        )
    )


def ring_neighbourhood(
    graph: EventGraph,
    members: list[str],
    *,
    scored: pl.DataFrame | None = None,
    camouflage_per_member: int = 3,
    max_nodes: int = 2000,
    targets: Sequence[str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, str | None]:
    """Nodes and edges of a ring's neighbourhood for :func:`ringlens.viz.ring_view`.

    Returns ``(nodes, edges, note)``; ``note`` says what was left out when the cap bit.
    The nodes' ``key_target`` marks the ring's key targets: ``targets`` (the ring's
    targets as the run's detectors found them, ``rings.parquet``'s ``targets``) when
    given and not empty, else the shared targets at least 30 % of the members (and two)
    acted on (:data:`KEY_TARGET_SHARE`).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"actor_id": ["1", "2", "2"], "actor_type": "buyer",
    ...     "target_id": ["p", "p", "z"], "target_type": "product", "action": "order", "ts": t})
    >>> nodes, edges, note = ring_neighbourhood(build_graph(ev), ["buyer:1", "buyer:2"])
    >>> sorted(nodes["key"].to_list()), edges.height, note
    (['buyer:1', 'buyer:2', 'product:p', 'product:z'], 3, None)
    """
    check_int("camouflage_per_member", camouflage_per_member, 0)
    check_int("max_nodes", max_nodes, 1)
    mem = graph.nodes.filter(pl.col("key").is_in(members)).select("node", "key")
    if mem.height == 0:
        raise InputError("ring has no member in the events")
    e = graph.edges.join(mem.select(pl.col("node").alias("src")), on="src", how="semi")
    shared = (
        e.group_by("dst")
        .agg(pl.col("src").n_unique().alias("m"))
        .filter(pl.col("m") >= 2)
        .select("dst")
    )
    # (Polars' group_by().head(0) yields a null row per group: 0 is handled before it)
    camo = (
        e.join(shared, on="dst", how="anti")
        .sort(["src", "count", "dst"], descending=[False, True, False])
        .group_by("src", maintain_order=True)
        .head(camouflage_per_member)
        .select("dst")
        if camouflage_per_member > 0
        else shared.clear()
    )
    # owners of shared products/content (the seller listing them, the creator posting them)
    owners = (
        graph.edges.join(shared.rename({"dst": "dst"}), on="dst", how="semi")
        .filter(_owner_edge())
        .select(pl.col("src").alias("dst"))
    )
    # members, shared targets and owners first, camouflage last: the cap cuts from the end
    core = pl.concat([mem.select(pl.col("node").alias("dst")), shared, owners]).unique(
        maintain_order=True
    )
    node_ids = pl.concat([core, camo]).unique(maintain_order=True)
    total = node_ids.height
    note = None
    if total > max_nodes:
        cut_core = max(0, core.height - max_nodes)
        cut_camo = total - max_nodes - cut_core
        what = " and ".join(
            [f"{cut_camo:,} camouflage targets"] * (cut_camo > 0)
            + [f"{cut_core:,} members, shared targets or owners"] * (cut_core > 0)
        )
        note = f"showing {max_nodes:,} of {total:,} nodes; {what} left out"
        node_ids = node_ids.head(max_nodes)
    keep = node_ids.rename({"dst": "node"})
    edges = graph.edges.join(keep.rename({"node": "src"}), on="src", how="semi").join(
        keep.rename({"node": "dst"}), on="dst", how="semi"
    )
    edges = _view_edges(graph, edges).sort("src", "dst")
    # node ids are row numbers of the node table: gather the few rows instead of joining
    # the whole table on its string keys once per ring
    nodes = graph.nodes[keep["node"].cast(pl.Int64).to_numpy()].sort("key")
    if targets is not None and len(targets):
        key_t = pl.Series("key", list(targets), dtype=pl.String)
    else:
        need = max(2, -(-len(set(members)) * 3 // 10))  # ceil(30 % of the members), >= 2
        key_t = graph.nodes[
            shared.join(e.group_by("dst").agg(pl.col("src").n_unique().alias("m")), on="dst")
            .filter(pl.col("m") >= need)["dst"]
            .cast(pl.Int64)
            .to_numpy()
        ]["key"]
    frame = _node_frame(nodes, scored, set(members)).with_columns(
        pl.col("key").is_in(key_t.implode()).alias("key_target")
    )
    return frame, edges, note


def ring_evidence(
    graph: EventGraph, members: list[str], *, bursts: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The targets members share, with how many members hit each, when, and in how many
    detected bursts.

    Columns: ``target``, ``members``, ``events``, ``actions``, ``first``, ``last``,
    ``span_hours`` (last − first member event on the target: a long span is not evidence
    against a ring, it may work in several short bursts), then, with ``bursts`` (see
    :func:`ring_bursts`), ``bursts`` (detected lockstep bursts on the target),
    ``longest_burst_hours`` and ``burst_accounts`` (most accounts in one burst) — sorted
    by members, then events (most shared first).
    """
    mem = graph.nodes.filter(pl.col("key").is_in(members)).select(pl.col("node").alias("src"))
    e = graph.edges.join(mem, on="src", how="semi")
    g = (
        e.group_by("dst")
        .agg(
            pl.col("src").n_unique().alias("members"),
            pl.col("count").sum().alias("events"),
            pl.col("actions").explode().unique().sort().alias("actions"),
            pl.col("first_ts").min().alias("first"),
            pl.col("last_ts").max().alias("last"),
        )
        .filter(pl.col("members") >= 2)
    )
    keys = graph.nodes.select(pl.col("node").alias("dst"), pl.col("key").alias("target"))
    out = (
        g.join(keys, on="dst")
        .with_columns(
            ((pl.col("last") - pl.col("first")).dt.total_seconds() / 3600)
            .round(1)
            .alias("span_hours"),
            pl.col("actions").list.join(", "),
            pl.col("first").dt.strftime("%Y-%m-%d %H:%M"),
            pl.col("last").dt.strftime("%Y-%m-%d %H:%M"),
        )
        .select("target", "members", "events", "actions", "first", "last", "span_hours")
    )
    if bursts is not None:
        per = bursts.group_by("target").agg(
            pl.len().cast(pl.Int64).alias("bursts"),
            ((pl.col("end") - pl.col("start")).dt.total_seconds() / 3600)
            .max()
            .round(1)
            .alias("longest_burst_hours"),
            pl.col("n_actors").max().alias("burst_accounts"),
        )
        out = out.join(per, on="target", how="left").with_columns(pl.col("bursts").fill_null(0))
    return out.sort(["members", "events", "target"], descending=[True, True, False])


def _focus(graph: EventGraph, members: list[str], *, target_events: bool = True) -> EventGraph:
    """The part of ``graph`` that the views of rings with these members (together) read.

    The edge-table version of :func:`ring_events`: edges from a member, edges into a target
    of a member, and edges between two nodes of members ∪ their targets ∪ the actors that
    list or post one of those targets. :func:`ring_neighbourhood` and :func:`ring_evidence`
    of each ring only look at edges inside that set (tested), so drawing a run's ring views
    from it gives the same pages while each view filters a small table instead of every
    edge of the run. Its events are the members' and, with ``target_events``, every event
    on their targets (what finding the bursts again needs; the pages themselves read only
    the members' events, so with the run's bursts at hand they are left out: at 100M
    events they were 56M rows that every page filtered).
    """
    mem = graph.nodes.filter(pl.col("key").is_in(members)).select(pl.col("node").alias("src"))
    own = graph.edges.join(mem, on="src", how="semi")
    targets = own.select("dst").unique()
    into = graph.edges.join(targets, on="dst", how="semi")
    owners = into.filter(_owner_edge()).select(pl.col("src").alias("dst"))
    keep = pl.concat([mem.rename({"src": "dst"}), targets, owners]).unique()
    among = graph.edges.join(keep.rename({"dst": "src"}), on="src", how="semi").join(
        keep, on="dst", how="semi"
    )
    edges = pl.concat([own, into, among]).unique(subset=["src", "dst"]).sort("src", "dst")
    # the members' events and the events on their targets: what the lockstep bursts of
    # the timelines are found in (every event on a target, so its burst rate is the run's)
    mine = pl.col("src").is_in(mem["src"].implode())
    if target_events:
        mine = mine | pl.col("dst").is_in(targets["dst"].implode())
    return EventGraph(nodes=graph.nodes, edges=edges, events=graph.events.filter(mine))


def lockstep_families(
    config: Config | None = None, *, actions: Sequence[str] = ()
) -> list[tuple[str, dict[str, Any]]]:
    """``(family, lockstep keyword arguments)`` for the timelines' burst shading when the
    run did not persist its bursts: one family per action (the graph's own names), with
    the run's lockstep window and thresholds (default settings when ``config`` is None).
    """
    from ringlens.config import Config

    cfg = config or Config()
    return [
        (
            str(a),
            {
                "actions": [str(a)],
                "window": cfg.detect.window,
                "min_actors": cfg.detect.lockstep_min_actors,
                "min_targets": cfg.detect.lockstep_min_targets,
                "min_bursts": cfg.detect.lockstep_min_bursts,
                "max_target_degree": cfg.graph.max_target_degree,
            },
        )
        for a in sorted(set(actions))
    ]


def _actions(graph: EventGraph) -> list[str]:
    """The action names of a graph's events."""
    return graph.events["action"].unique().cast(pl.String).to_list()


def lockstep_spans(
    events: EventGraph | pl.LazyFrame | pl.DataFrame,
    families: Sequence[tuple[str, Mapping[str, Any]]],
) -> dict[str, tuple[int, int]]:
    """The data period (first, last event time in epoch µs) of each lockstep family's
    actions over the whole run: the period :func:`ringlens.detect.lockstep.lockstep` takes
    its expected burst rate from (``span_us``), so bursts found in a part of the run are
    the run's. ``events`` is the run's graph or its events (the data contract's columns).
    Only the family's actions filter here (not its actor and target types).
    """
    out: dict[str, tuple[int, int]] = {}
    for reason, kwargs in families:
        actions = list(kwargs.get("actions") or [])
        if isinstance(events, EventGraph):
            ev = events.events.lazy().select("action", "ts")
            act = pl.col("action").cast(pl.String)
        else:
            ev = events.lazy().select("action", "ts")
            act = pl.col("action")
        if actions:
            ev = ev.filter(act.is_in(actions))
        row = ev.select(
            pl.col("ts").min().dt.epoch("us").alias("lo"),
            pl.col("ts").max().dt.epoch("us").alias("hi"),
        ).collect()
        lo, hi = row.row(0)
        if lo is not None and hi is not None:
            out[reason] = (int(lo), int(hi))
    return out


_BURST_SCHEMA = pl.Schema(
    {
        "family": pl.String(),
        "group": pl.Int64(),
        "target": pl.String(),
        "start": pl.Datetime("us", "UTC"),
        "end": pl.Datetime("us", "UTC"),
        "n_actors": pl.Int64(),
        "group_actors": pl.List(pl.String),
    }
)

#: The columns of a run's ``bursts.parquet``: one row per lockstep burst the run's
#: lockstep detector found (:attr:`ringlens.detect.lockstep.LockstepGroups.bursts` of
#: each family, with the family's reason code). When a run folder has it, the views shade
#: these bursts instead of finding them again in the events.
BURSTS_SCHEMA: dict[str, pl.DataType] = {
    "family": pl.String(),
    "group": pl.Int64(),
    "key": pl.String(),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "n_actors": pl.Int64(),
}


def normalise_bursts(bursts: pl.DataFrame, *, what: str = "bursts") -> pl.DataFrame:
    """Bursts as the views read them, from either form: a run's ``bursts.parquet``
    (:data:`BURSTS_SCHEMA`, the target in ``key``) or :func:`ring_bursts` (``target``).

    Returns ``family``, ``group``, ``target``, ``start``, ``end``, ``n_actors`` (and
    ``group_actors`` when given), sorted by target, start, family.

    Raises
    ------
    SchemaError
        A column is missing, cannot be read as its type, or ``end`` precedes ``start``
        (the message names ``what``, e.g. the file, the column and the row).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> b = pl.DataFrame({"family": ["lockstep_orders"], "group": [0], "key": ["product:p"],
    ...                   "start": [t], "end": [t], "n_actors": [5]})
    >>> normalise_bursts(b).columns
    ['family', 'group', 'target', 'start', 'end', 'n_actors']
    >>> normalise_bursts(b.drop("start"), what="out/bursts.parquet")
    Traceback (most recent call last):
    ringlens.exceptions.SchemaError: out/bursts.parquet has no column 'start' (it has: family, group, key, end, n_actors)
    """
    frame = require_frame(bursts, what)
    tcol = "target" if "target" in frame.columns else "key"
    require_columns(frame, what, ["family", "group", tcol, "start", "end", "n_actors"])
    if tcol == "key":
        frame = frame.rename({"key": "target"})
    need = ["family", "group", "target", "start", "end", "n_actors"]
    types = {**{k: v for k, v in BURSTS_SCHEMA.items() if k != "key"}, "target": pl.String()}
    exprs = []
    for c in need:
        dtype = types[c]
        if frame.schema[c] == dtype:
            exprs.append(pl.col(c))
            continue
        src = frame.schema[c]
        ok = (
            (dtype == pl.String() and src in (pl.String, pl.Categorical, pl.Enum))
            or (dtype == pl.Int64() and src.is_integer())
            or (isinstance(dtype, pl.Datetime) and isinstance(src, pl.Datetime))
        )
        if not ok:
            raise SchemaError(f"{what}: column {c!r} is {src}, expected {dtype}")
        if isinstance(dtype, pl.Datetime):
            tz = getattr(src, "time_zone", None)
            e = pl.col(c) if tz else pl.col(c).dt.replace_time_zone("UTC")
            exprs.append(e.dt.convert_time_zone("UTC").cast(dtype))
        else:
            exprs.append(pl.col(c).cast(dtype))
    extra = ["group_actors"] if "group_actors" in frame.columns else []
    out = frame.select(*exprs, *extra)
    for c in ("target", "start", "end"):
        nulls = out[c].null_count()
        if nulls:
            row = out.with_row_index("row").filter(pl.col(c).is_null())["row"][0]
            raise SchemaError(f"{what}: row {row}, column {c!r} is empty (expected a value)")
    bad = out.with_row_index("row").filter(pl.col("end") < pl.col("start"))
    if bad.height:
        raise SchemaError(
            f"{what}: row {bad['row'][0]}, column 'end' is before 'start' (expected start <= end)"
        )
    return out.sort("target", "start", "family")


def bursts_with_members(
    bursts: pl.DataFrame, actions: pl.DataFrame, *, min_members: int = 2
) -> pl.DataFrame:
    """The bursts a ring took part in: those on a target where at least ``min_members``
    of its members acted between the burst's ``start`` and ``end``.

    ``bursts`` as :func:`normalise_bursts` returns them (the run's, or found again with
    :func:`ring_bursts`); ``actions`` the ring's actions (:func:`ring_actions`:
    ``target``, ``actor``, ``ts``). One range join in Polars, no loop over bursts.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2024, 1, 1, h, tzinfo=timezone.utc) for h in range(6)]
    >>> b = pl.DataFrame({"family": ["f", "f"], "group": [0, 1], "target": ["p:1", "p:1"],
    ...                   "start": [t[0], t[4]], "end": [t[1], t[5]], "n_actors": [3, 3]})
    >>> a = pl.DataFrame({"target": ["p:1"] * 3, "actor": ["b:1", "b:2", "b:3"],
    ...                   "ts": [t[0], t[1], t[4]]})
    >>> bursts_with_members(b, a)["group"].to_list()
    [0]
    """
    if bursts.height == 0 or actions.height == 0:
        return bursts.clear()
    indexed = bursts.with_row_index("_burst")
    took_part = (
        indexed.select("_burst", "target", "start", "end")
        .join(actions.select("target", "actor", "ts"), on="target")
        .filter((pl.col("ts") >= pl.col("start")) & (pl.col("ts") <= pl.col("end")))
        .group_by("_burst")
        .agg(pl.col("actor").n_unique().alias("_m"))
        .filter(pl.col("_m") >= min_members)
    )
    return indexed.join(took_part.select("_burst"), on="_burst", how="semi").drop("_burst")


def ring_bursts(
    graph: EventGraph,
    *,
    families: Sequence[tuple[str, Mapping[str, Any]]],
    spans: Mapping[str, tuple[int, int]] | None = None,
    members: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The lockstep bursts in ``graph``'s events, found with the detector's own rule
    (:func:`ringlens.detect.lockstep.lockstep` per family, the run's data period from
    ``spans``), optionally only those of groups with an actor among ``members``.

    ``graph`` may be the part of a run around some rings (:func:`ring_events`, or the
    focus of :func:`write_run_views`): every event on a ring's targets is there, so the
    per-target bursts are the run's.

    A run that persisted its detector's bursts (``bursts.parquet``, :data:`BURSTS_SCHEMA`)
    need not call this: :attr:`RunFolder.bursts` reads them.

    Returns
    -------
    polars.DataFrame
        ``family`` (reason code), ``group``, ``target``, ``start``, ``end``, ``n_actors``,
        ``group_actors`` (the lockstep group's actors), sorted by target and start.
    """
    parts = []
    for reason, kwargs in families:
        span = None if spans is None else spans.get(reason)
        args = dict(kwargs)
        window = args.pop("window", timedelta(hours=3))
        res = lockstep(graph, window=window, span_us=span, **args)
        if res.bursts.height == 0:
            continue
        actors = (
            res.members.filter(pl.col("role") == "actor")
            .group_by("group")
            .agg(pl.col("key").sort().alias("group_actors"))
        )
        parts.append(
            res.bursts.join(actors, on="group").select(
                pl.lit(reason).alias("family"),
                "group",
                pl.col("key").alias("target"),
                "start",
                "end",
                "n_actors",
                "group_actors",
            )
        )
    out = pl.concat(parts) if parts else pl.DataFrame(schema=_BURST_SCHEMA)
    if members is not None:
        out = bursts_of(out, members)
    return out.sort("target", "start", "family")


def bursts_of(bursts: pl.DataFrame, members: Sequence[str]) -> pl.DataFrame:
    """The bursts of lockstep groups that share an actor with ``members``."""
    mem = pl.Series(list(members), dtype=pl.String).implode()
    return bursts.filter(pl.col("group_actors").list.eval(pl.element().is_in(mem)).list.any())


def ring_actions(graph: EventGraph, members: Sequence[str]) -> pl.DataFrame:
    """The members' actions on the targets at least two of them hit (the timeline's
    data): ``target``, ``actor``, ``action``, ``ts``."""
    keys = graph.nodes.select("node", "key")
    mem = keys.filter(pl.col("key").is_in(pl.Series(list(members), dtype=pl.String).implode()))
    ev = graph.events.join(mem.select(pl.col("node").alias("src")), on="src", how="semi")
    shared = ev.group_by("dst").agg(pl.col("src").n_unique().alias("m")).filter(pl.col("m") >= 2)
    ev = ev.join(shared.select("dst"), on="dst", how="semi")
    return (
        ev.join(keys.rename({"node": "dst", "key": "target"}), on="dst")
        .join(keys.rename({"node": "src", "key": "actor"}), on="src")
        .select("target", "actor", pl.col("action").cast(pl.String), "ts")
        .sort("target", "ts", "actor")
    )


def ring_members(
    members: Sequence[str],
    *,
    scored: pl.DataFrame | None = None,
    accounts: pl.DataFrame | None = None,
    queue: pl.DataFrame | None = None,
    as_of: Any = None,
) -> pl.DataFrame:
    """The members table of a ring view: one row per member.

    Columns: ``member`` (node key), ``name`` (display name), ``account_age_days`` (at
    ``as_of``, from ``accounts.created_at``), ``market``, ``risk``, ``reasons`` (the three
    strongest), then from ``queue`` (any of) ``action``, ``status``, ``assignee``; sorted
    by risk, highest first.

    Parameters
    ----------
    members
        Node keys of the ring.
    scored
        Scored entities (``key``, ``risk_score``, ``reasons``, ``display_name``, ``market``).
    accounts
        The run's entities input (``entity_type``, ``entity_id``, ``created_at``, optional
        ``display_name``, ``market``).
    queue
        Queue rows (``entity_type``, ``entity_id`` and ``action``, ``status``, ``assignee``).
    as_of
        The time account ages are measured at (e.g. the ring's last action).
    """
    out = pl.DataFrame({"member": pl.Series(sorted(set(members)), dtype=pl.String)})
    out = out.with_columns(
        pl.col("member").str.splitn(":", 2).struct.field("field_0").alias("entity_type"),
        pl.col("member").str.splitn(":", 2).struct.field("field_1").alias("entity_id"),
    )
    if scored is not None and scored.height:
        cols = [
            c for c in ("risk_score", "reasons", "display_name", "market") if c in scored.columns
        ]
        out = out.join(scored.select(pl.col("key").alias("member"), *cols), on="member", how="left")
    if accounts is not None and accounts.height and "entity_id" in accounts.columns:
        mine = out.select("entity_type", "entity_id")
        acc = accounts.with_columns(
            pl.col("entity_type").cast(pl.String), pl.col("entity_id").cast(pl.String)
        ).join(mine, on=["entity_type", "entity_id"], how="semi")  # the members' rows only
        acc = acc.select(
            pl.col("entity_type"),
            pl.col("entity_id"),
            *[
                pl.col(c).alias(f"_acc_{c}")
                for c in ("created_at", "display_name", "market")
                if c in accounts.columns
            ],
        ).unique(["entity_type", "entity_id"], keep="first")
        out = out.join(acc, on=["entity_type", "entity_id"], how="left")
        for c in ("display_name", "market"):
            if f"_acc_{c}" in out.columns:
                base = pl.col(c) if c in out.columns else pl.lit(None, pl.String)
                out = out.with_columns(
                    pl.coalesce(base, pl.col(f"_acc_{c}").cast(pl.String)).alias(c)
                )
        if "_acc_created_at" in out.columns and as_of is not None:
            created = pl.col("_acc_created_at")
            if out.schema["_acc_created_at"] == pl.String:
                created = created.str.to_datetime(time_zone="UTC", strict=False)
            created = created.cast(pl.Datetime("us", "UTC"), strict=False)
            out = out.with_columns(
                ((pl.lit(as_of).cast(pl.Datetime("us", "UTC")) - created).dt.total_hours() / 24)
                .round(0)
                .cast(pl.Int64, strict=False)
                .alias("account_age_days")
            )
    for c, dt in (
        ("display_name", pl.String),
        ("market", pl.String),
        ("risk_score", pl.Float64),
        ("reasons", pl.List(pl.String)),
        ("account_age_days", pl.Int64),
    ):
        if c not in out.columns:
            out = out.with_columns(pl.lit(None, dt).alias(c))
    extra: list[str] = []
    if queue is not None and queue.height:
        qcols: list[str] = [c for c in ("action", "status", "assignee") if c in queue.columns]
        q = queue.select(
            pl.col("entity_type").cast(pl.String), pl.col("entity_id").cast(pl.String), *qcols
        ).unique(["entity_type", "entity_id"], keep="first")
        out = out.join(q, on=["entity_type", "entity_id"], how="left")
        extra = qcols
    return out.sort("risk_score", "member", descending=[True, False], nulls_last=True).select(
        "member",
        pl.col("display_name").alias("name"),
        "account_age_days",
        "market",
        pl.col("risk_score").round(1).alias("risk"),
        pl.col("reasons").list.head(3).list.join(", ").alias("reasons"),
        *extra,
    )


@dataclass(frozen=True)
class RunFolder:
    """A published run read after the fact (``ringlens explore``, ``ringlens serve``):
    its generation folder, ``run.json``, frames, and its input events as they are now.

    Use :func:`read_run`.
    """

    path: Path
    info: Mapping[str, Any]

    @property
    def run_id(self) -> str:
        return str(self.info.get("run_id", ""))

    @functools.cached_property
    def rings(self) -> pl.DataFrame:
        return pl.read_parquet(self.path / "rings.parquet")

    @functools.cached_property
    def entities(self) -> pl.DataFrame:
        return pl.read_parquet(self.path / "entities.parquet")

    @functools.cached_property
    def queue(self) -> pl.DataFrame:
        return pl.read_parquet(self.path / "queue.parquet")

    def events(self) -> pl.LazyFrame:
        """The run's events as they are now (validated again if they changed since the
        run; a missing input file is an :class:`InputError` naming it)."""
        from ringlens.io import InputOptions, scan_events

        files = [Path(p) for p in self.info["inputs"]["events"]]
        missing = [p for p in files if not p.is_file()]
        if missing:
            raise InputError(
                f"{missing[0]}: input of this run not found (run {self.run_id}; "
                "views read the run's events)"
            )
        same = _same_inputs_cached(files, self.info["inputs"].get("fingerprint"))
        if not same:
            log.warning("the input files changed since %s; showing them as they are now", self.path)
        section = self.info["config"]["input"]
        return scan_events(
            files,
            columns=section["columns"],
            validate=not same,
            options=InputOptions.from_settings(section),  # the run's separator, defaults, …
        )

    def ring_events(self) -> pl.LazyFrame | None:
        """The events around the run's rings, when the run wrote them
        (``ring_events.parquet``: :func:`ring_events` of all its rings' members, in the
        data contract's columns), else None (ring pages then read the input events).
        :func:`ring_events` of one ring on them equals it on all events."""
        path = self.path / "ring_events.parquet"
        if not path.is_file():
            return None
        try:
            lf = pl.scan_parquet(path)
            have = lf.collect_schema().names()
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise SchemaError(f"{path}: cannot be read as Parquet ({exc})") from None
        missing = [c for c in (*_KEY_COLUMNS, "action", "ts") if c not in have]
        if missing:
            raise SchemaError(
                f"{path} has no column {missing[0]!r} (expected the events' columns: "
                "actor_id, actor_type, target_id, target_type, action, ts)"
            )
        return lf

    @functools.cached_property
    def bursts(self) -> pl.DataFrame | None:
        """The lockstep bursts the run's detector found (``bursts.parquet``,
        :data:`BURSTS_SCHEMA`), or None when the run did not write them (the views then
        find them again in the events with :func:`ring_bursts`).

        Raises
        ------
        SchemaError
            The file is there but is not Parquet or lacks a column (names the file).
        """
        path = self.path / "bursts.parquet"
        if not path.is_file():
            return None
        try:
            frame = pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise SchemaError(f"{path}: cannot be read as Parquet ({exc})") from None
        return normalise_bursts(frame, what=str(path))

    @functools.cached_property
    def accounts(self) -> pl.DataFrame | None:
        """The run's entities input (account ages), if it is still there."""
        path = self.info.get("inputs", {}).get("entities")
        if not path or not Path(path).is_file():
            return None
        from ringlens.io import load_entities

        try:
            return load_entities(path)
        except Exception as exc:  # noqa: BLE001 - the views are still useful without ages
            log.warning("no account ages (%s)", exc)
            return None


_SAME_INPUTS: dict[tuple[Any, ...], bool] = {}


def _same_inputs_cached(files: Sequence[Path], recorded: str | None) -> bool:
    """:func:`ringlens.pipeline.inputs.same_inputs`, hashed again only when a file's size
    or modification time changed (a served run reads its events on every ring page)."""
    from ringlens.pipeline.inputs import same_inputs

    stats = []
    for f in files:
        st = f.stat()
        stats.append((str(f), st.st_size, st.st_mtime_ns))
    key = (recorded, tuple(stats))
    if key not in _SAME_INPUTS:
        if len(_SAME_INPUTS) > 256:
            _SAME_INPUTS.clear()
        _SAME_INPUTS[key] = same_inputs(files, recorded)
    return _SAME_INPUTS[key]


def read_run(run_dir: str | Path) -> RunFolder:
    """The published run of ``run_dir`` (its current generation, or ``run_dir`` itself for
    a generation folder or a folder written by other means).

    Raises
    ------
    InputError
        ``run_dir`` does not exist or holds no ``run.json``.
    """
    base = Path(run_dir)
    if not base.is_dir():
        raise InputError(
            f"run folder {base} does not exist (expected a folder written by `ringlens score`)"
        )
    rd = resolve_run(base)
    info_path = rd / "run.json"
    if not info_path.is_file():
        raise InputError(f"{base}: not a run folder (no run.json); run `ringlens score` first")
    try:
        info = json.loads(info_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{info_path}: cannot be read as JSON ({exc})") from exc
    return RunFolder(path=rd, info=info)


def ego_frames(
    graph: EventGraph,
    center: str,
    *,
    hops: int = 1,
    max_nodes: int = 500,
    scored: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """The nodes, edges and note of an ego view (what :func:`ego_network` draws), as
    frames: for an application that adds them to a view already drawn (expanding a
    node in ``ringlens serve``). Members of any ring are ``in_ring``, with their
    ``ring_id``."""
    split_key(center)
    if graph.nodes.filter(pl.col("key") == center).height == 0:
        raise InputError(f"unknown entity {center!r}: not in this run's events")
    return ego_subgraph(
        _node_frame(graph.nodes, scored, None),
        _view_edges(graph, graph.edges),
        center=center,
        hops=hops,
        max_nodes=max_nodes,
    )


class ScoredRun(Protocol):
    """What :func:`view_ring` reads of a scored run (a :class:`ringlens.RunResult`)."""

    rings: pl.DataFrame
    entities: pl.DataFrame
    graph: EventGraph | None


def view_ring(
    result: ScoredRun, ring_id: str, *, seed: int = 0, graph: EventGraph | None = None
) -> RingView:
    """The interactive view of one ring of a scored run (inline in Jupyter).

    ``result`` is a :class:`ringlens.RunResult` (anything with ``rings``, ``entities`` and
    ``graph``; its ``bursts``, when it has them, are the lockstep bursts shaded in the
    timeline, else they are found again in the graph); ``graph`` defaults to the run's
    graph (any part of it holding the ring's neighbourhood gives the same view).
    """
    g = result.graph if graph is None else graph
    if g is None:
        raise InputError("this run holds no event graph: pass graph=")
    bursts = getattr(result, "bursts", None)
    if bursts is None:
        families = lockstep_families(actions=_actions(g))
        bursts = ring_bursts(g, families=families, spans=lockstep_spans(g, families))
    return ring_page(result.rings, result.entities, g, ring_id, seed=seed, bursts=bursts)


def ring_page(
    rings: pl.DataFrame,
    scored: pl.DataFrame,
    graph: EventGraph,
    ring_id: str,
    *,
    seed: int = 0,
    bursts: pl.DataFrame | None = None,
    accounts: pl.DataFrame | None = None,
    queue: pl.DataFrame | None = None,
    report_href: str | None = None,
    ring_href: Any = None,
    **context: Any,
) -> RingView:
    """The view of one ring: graph (members, key targets, context), timeline with the
    detected bursts, members table, evidence table.

    Parameters
    ----------
    rings, scored
        The run's rings and scored entities.
    graph
        The run's graph, or the part of it around the ring (:func:`ring_events`).
    ring_id
        The ring.
    bursts
        Lockstep bursts: the run's (``bursts.parquet``, :data:`BURSTS_SCHEMA`) or found
        again (:func:`ring_bursts`). Those the ring took part in (two of its members
        acting on the target inside the burst, :func:`bursts_with_members`) are shaded in
        the timeline and counted in the evidence table.
    accounts, queue
        For the members table (:func:`ring_members`).
    report_href
        Link back to the run report.
    ring_href
        ``callable(ring_id) -> href or None``: links from context nodes to the other
        rings they belong to.
    context
        Passed to :func:`ringlens.viz.ring.ring_view_context` when given (``expand``):
        then the template context is returned instead of a view.
    """
    row = rings.filter(pl.col("ring_id") == ring_id)
    if row.height == 0:
        raise InputError(f"no ring {ring_id!r} in this run")
    r = row.row(0, named=True)
    members = list(r["members"])
    targets = r.get("targets")  # what the run's detectors saw the ring work on
    nodes, edges, note = ring_neighbourhood(
        graph, members, scored=scored, targets=None if targets is None else list(targets)
    )
    title = f"{r['pattern']} ring {ring_id} · risk {r['risk_score']:.0f} · {len(members)} members"
    reasons = ", ".join(r["reasons"][:5]) if r.get("reasons") is not None else ""
    note = "; ".join(x for x in (f"reasons: {reasons}" if reasons else None, note) if x) or None
    actions = ring_actions(graph, members)
    mine = None if bursts is None else bursts_with_members(normalise_bursts(bursts), actions)
    as_of = actions["ts"].max() if actions.height else None
    links: dict[str, str] = {}
    if ring_href is not None:
        for other in nodes["ring_id"].drop_nulls().unique().sort().to_list():
            href = ring_href(other)
            if href is not None:
                links[other] = href
    kwargs: dict[str, Any] = dict(
        title=title,
        evidence=ring_evidence(graph, members, bursts=mine),
        note=note,
        seed=seed,
        members=ring_members(members, scored=scored, accounts=accounts, queue=queue, as_of=as_of),
        timeline=ring_timeline(actions, mine),
        report_href=report_href,
        ring_links=links,
    )
    if context:
        from ringlens.viz.ring import ring_view_context

        return ring_view_context(nodes, edges, **kwargs, **context)  # type: ignore[return-value]
    return ring_view(nodes, edges, **kwargs)


def ego_network(
    graph: EventGraph,
    center: str,
    *,
    hops: int = 2,
    max_nodes: int = 500,
    scored: pl.DataFrame | None = None,
    seed: int = 0,
    ring_links: Mapping[str, str] | None = None,
    report_href: str | None = None,
    rings: pl.DataFrame | None = None,
) -> RingView:
    """Ego view of any entity: everything within ``hops``, capped at ``max_nodes``.

    Members of any ring of the run (``scored.ring_id``) are drawn as ring members and
    their tooltip names (and, through ``ring_links``, links) the ring; the note names the
    centre's ring and how many ring members the view holds (``rings`` adds each ring's
    pattern and risk).
    """
    split_key(center)  # clear error for a malformed key
    if graph.nodes.filter(pl.col("key") == center).height == 0:
        raise InputError(f"unknown entity {center!r}: not in this run's events")
    edges = _view_edges(graph, graph.edges)
    nodes = _node_frame(graph.nodes, scored, None)
    own = nodes.filter(pl.col("key") == center)["ring_id"].item()
    title = f"Neighbourhood of {center}"
    if own is not None:
        title += f" · member of {own}"
        if rings is not None and "ring_id" in rings.columns:
            hit = rings.filter(pl.col("ring_id") == own)
            if hit.height:
                rr = hit.row(0, named=True)
                title += f" ({rr.get('pattern')}, risk {float(rr.get('risk_score') or 0):.0f})"
    return ego_view(
        nodes,
        edges,
        center=center,
        hops=hops,
        max_nodes=max_nodes,
        seed=seed,
        title=title,
        ring_links=ring_links,
        report_href=report_href,
    )


def write_run_views(
    viz_dir: Path,
    *,
    rings: pl.DataFrame,
    entities: pl.DataFrame,
    queue: pl.DataFrame,
    graph: EventGraph,
    run_info: Mapping[str, Any],
    limit: int,
    seed: int = 0,
    previous: Path | None = None,
    config: Config | None = None,
    accounts: pl.DataFrame | None = None,
    bursts: pl.DataFrame | None = None,
) -> int:
    """Write ``ring_<id>.html`` for the ``limit`` riskiest rings and ``index.html`` (the run
    report) into ``viz_dir``; ``previous`` is the run folder being replaced (the report
    shows what changed, with ring ids). Each ring view has the ring's timeline with the
    lockstep bursts found by the run's settings (``config``), its members table (account
    ages from ``accounts``, the entities input, when given; the policy's action from
    ``queue``), a link back to the report and links to the other rings its context nodes
    belong to. ``bursts``: the lockstep bursts the run's detector found
    (:data:`BURSTS_SCHEMA`, what the run writes to ``bursts.parquet``); without them they
    are found again in the rings' events. Returns the number of ring views."""
    viz_dir.mkdir(parents=True, exist_ok=True)
    top = rings.head(limit)
    linked = set(top["ring_id"].to_list())
    if top.height:
        # one pass over the run's edges for all views, then each view reads a small table
        focus = _focus(
            graph, top["members"].explode().unique().to_list(), target_events=bursts is None
        )
        if bursts is None:
            families = lockstep_families(config, actions=_actions(graph))
            bursts = ring_bursts(focus, families=families, spans=lockstep_spans(graph, families))
        bursts = normalise_bursts(bursts)

    def page(ring_id: str) -> None:
        ring_page(
            rings,
            entities,
            focus,
            ring_id,
            seed=seed,
            bursts=bursts,
            accounts=accounts,
            queue=queue,
            report_href="index.html",
            ring_href=lambda rid: ring_filename(rid) if rid in linked else None,
        ).save(viz_dir / ring_filename(ring_id))

    # the pages are independent (each its own file; a layout's random draws are seeded per
    # page under igraph's lock) and mostly Polars work, which releases the GIL: side by side
    threads = min(effective_threads(config.run.threads if config else 0), max(top.height, 1))
    with ThreadPoolExecutor(threads, thread_name_prefix="ringlens-views") as pool:
        for done in [pool.submit(page, rid) for rid in top["ring_id"].to_list()]:
            done.result()  # the first failure is raised (the rest still finish: no half page)
    diff = None
    if previous is not None and (Path(previous) / "rings.parquet").is_file():
        diff = _diff_against(previous, viz_dir.parent)
    write_run_report(
        viz_dir / "index.html",
        rings=rings,
        queue=queue,
        entities=entities,
        diff=diff,
        run_info={**run_info, "views": top.height},
        linked_rings=top["ring_id"].to_list(),
    )
    return top.height


def _diff_against(previous: Path, staged: Path) -> dict[str, Any] | None:
    try:
        d = diff_runs(previous, staged)
    except Exception as exc:  # noqa: BLE001 - the report is still useful without it
        log.warning("no run diff in the report: %s", exc)
        return None
    return d.report_changes()
