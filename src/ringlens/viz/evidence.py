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

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from ringlens.exceptions import InputError, check_int
from ringlens.export import diff_runs
from ringlens.graph import EventGraph, split_key
from ringlens.viz._common import ring_filename
from ringlens.viz.ego import ego_view
from ringlens.viz.report import write_run_report
from ringlens.viz.ring import RingView, ring_view

log = logging.getLogger(__name__)

__all__ = [
    "ScoredRun",
    "ring_neighbourhood",
    "ring_evidence",
    "ego_network",
    "view_ring",
    "write_run_views",
    "ring_events",
    "ego_events",
]


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


def ring_events(events: pl.LazyFrame | pl.DataFrame, members: list[str]) -> pl.DataFrame:
    """The events :func:`ring_neighbourhood` and :func:`ring_evidence` need, read with three
    filtered scans instead of building the whole graph.

    1. the members' events (as actors): their targets ``T``;
    2. the events on ``T``: the actors that list or post one of them (owner candidates);
    3. every event by a member, on a target in ``T``, or between two nodes of
       ``K`` = members ∪ ``T`` ∪ owner candidates.

    Both functions only look at the members' edges, the edges into shared targets and the
    edges among the nodes they keep (all inside ``K``), and every event of an included
    (actor, target) pair is included, so on the graph of these events they return what
    they return on the whole graph (tested). This is what makes ``ringlens explore`` take
    seconds on a large run instead of rebuilding the graph.

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
    lf = events.lazy()
    first = lf.filter(_in(_actor_key(), members)).collect()
    if first.height == 0:
        raise InputError("ring has no member in the events")
    targets = _keys(first, _target_key())
    on_targets = lf.filter(_in(_target_key(), targets)).collect()
    owners = _keys(on_targets.filter(pl.col("action").is_in(OWNER_ACTIONS)), _actor_key())
    keep = pl.concat([pl.Series(members, dtype=pl.String), targets, owners]).unique()
    return lf.filter(
        _in(_actor_key(), members)
        | _in(_target_key(), targets)
        | (_in(_actor_key(), keep) & _in(_target_key(), keep))
    ).collect()


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
    nodes: pl.DataFrame, scored: pl.DataFrame | None, members: set[str]
) -> pl.DataFrame:
    """The viz node contract from graph node rows (``key``, ``node_type``, ``node_id``)."""
    out = nodes.select("key", "node_type", "node_id")
    if scored is not None and scored.height:
        cols = ["key", "risk_score", "reasons"] + [
            c for c in ("display_name", "market") if c in scored.columns
        ]
        out = out.join(scored.select(cols), on="key", how="left")
    for c, dt in (
        ("risk_score", pl.Float64),
        ("reasons", pl.List(pl.String)),
        ("display_name", pl.String),
        ("market", pl.String),
    ):
        if c not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=dt).alias(c))
    return out.with_columns(
        pl.coalesce("display_name", "node_id").alias("label"),
        pl.col("key").is_in(list(members)).alias("in_ring"),
        pl.col("reasons").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    ).select("key", "node_type", "node_id", "label", "risk_score", "reasons", "in_ring", "market")


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
) -> tuple[pl.DataFrame, pl.DataFrame, str | None]:
    """Nodes and edges of a ring's neighbourhood for :func:`ringlens.viz.ring_view`.

    Returns ``(nodes, edges, note)``; ``note`` says what was left out when the cap bit.

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
    return _node_frame(nodes, scored, set(members)), edges, note


def ring_evidence(graph: EventGraph, members: list[str]) -> pl.DataFrame:
    """The targets members share, with how many members hit each and when.

    Columns: ``target``, ``members``, ``events``, ``actions``, ``first``, ``last``,
    ``burst_hours`` — sorted by members, then events (most shared first).
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
    return (
        g.join(keys, on="dst")
        .with_columns(
            ((pl.col("last") - pl.col("first")).dt.total_seconds() / 3600)
            .round(1)
            .alias("burst_hours"),
            pl.col("actions").list.join(", "),
            pl.col("first").dt.strftime("%Y-%m-%d %H:%M"),
            pl.col("last").dt.strftime("%Y-%m-%d %H:%M"),
        )
        .select("target", "members", "events", "actions", "first", "last", "burst_hours")
        .sort(["members", "events", "target"], descending=[True, True, False])
    )


def _focus(graph: EventGraph, members: list[str]) -> EventGraph:
    """The part of ``graph`` that the views of rings with these members (together) read.

    The edge-table version of :func:`ring_events`: edges from a member, edges into a target
    of a member, and edges between two nodes of members ∪ their targets ∪ the actors that
    list or post one of those targets. :func:`ring_neighbourhood` and :func:`ring_evidence`
    of each ring only look at edges inside that set (tested), so drawing a run's ring views
    from it gives the same pages while each view filters a small table instead of every
    edge of the run.
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
    return EventGraph(nodes=graph.nodes, edges=edges, events=graph.events.clear())


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
    ``graph``); ``graph`` defaults to the run's graph (any part of it holding the ring's
    neighbourhood gives the same view).
    """
    g = result.graph if graph is None else graph
    if g is None:
        raise InputError("this run holds no event graph: pass graph=")
    return _ring_page(result.rings, result.entities, g, ring_id, seed=seed)


def _ring_page(
    rings: pl.DataFrame, scored: pl.DataFrame, graph: EventGraph, ring_id: str, *, seed: int
) -> RingView:
    row = rings.filter(pl.col("ring_id") == ring_id)
    if row.height == 0:
        raise InputError(f"no ring {ring_id!r} in this run")
    r = row.row(0, named=True)
    members = list(r["members"])
    nodes, edges, note = ring_neighbourhood(graph, members, scored=scored)
    title = f"{r['pattern']} ring {ring_id} · risk {r['risk_score']:.0f} · {len(members)} members"
    reasons = ", ".join(r["reasons"][:5]) if r.get("reasons") is not None else ""
    note = "; ".join(x for x in (f"reasons: {reasons}" if reasons else None, note) if x) or None
    return ring_view(
        nodes,
        edges,
        title=title,
        evidence=ring_evidence(graph, members),
        note=note,
        seed=seed,
    )


def ego_network(
    graph: EventGraph,
    center: str,
    *,
    hops: int = 2,
    max_nodes: int = 500,
    scored: pl.DataFrame | None = None,
    seed: int = 0,
) -> RingView:
    """Ego view of any entity: everything within ``hops``, capped at ``max_nodes``."""
    split_key(center)  # clear error for a malformed key
    if graph.nodes.filter(pl.col("key") == center).height == 0:
        raise InputError(f"unknown entity {center!r}: not in this run's events")
    edges = _view_edges(graph, graph.edges)
    nodes = _node_frame(graph.nodes, scored, set())
    return ego_view(nodes, edges, center=center, hops=hops, max_nodes=max_nodes, seed=seed)


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
) -> int:
    """Write ``ring_<id>.html`` for the ``limit`` riskiest rings and ``index.html`` (the run
    report) into ``viz_dir``; ``previous`` is the run folder being replaced (the report
    shows what changed). Returns the number of ring views."""
    viz_dir.mkdir(parents=True, exist_ok=True)
    top = rings.head(limit)
    if top.height:
        # one pass over the run's edges for all views, then each view reads a small table
        focus = _focus(graph, top["members"].explode().unique().to_list())
    for ring_id in top["ring_id"].to_list():
        _ring_page(rings, entities, focus, ring_id, seed=seed).save(
            viz_dir / ring_filename(ring_id)
        )
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
