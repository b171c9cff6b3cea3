"""Score one partition of the event graph with the single-machine code (no Spark here).

The Spark path (:mod:`ringlens.spark.pipeline`) cuts the event graph into partitions that
each hold whole connected components (rings never span components), and scores every
partition with :func:`ringlens.pipeline.score` inside ``mapInArrow``. A few quantities of
the single-machine run are *global* — they look at every event, not only the partition's:

================================  ==========================================================
quantity                          where the local path computes it
================================  ==========================================================
first event time                  ``detect`` (``new_account`` signal) and
                                  ``ring_features`` (``new_account_share``)
background density                ``ring_features`` (``density_ratio`` = density / background)
lockstep data period (per family) ``lockstep._target_bursts`` (Poisson rate per window)
personalised PageRank percentile  ``detect`` (``near_confirmed_bad``: top 1 % of accounts)
run id, counts                    ``score`` (hash of the config and graph sizes)
queue priorities and capacity     ``apply_policy`` (a sort over every scored entity)
================================  ==========================================================

:class:`~ringlens.pipeline.context.RunContext` carries the first four, computed once over
all events (in Spark, or by :func:`context_from_graph` on one machine); :func:`score_partition` runs
:func:`ringlens.pipeline.score` with them and :func:`finish` merges the partitions and
applies the policy once, globally. ``score`` takes the context as a keyword argument and
hands each quantity to the function that uses it (``detect``, ``lockstep``,
``build_rings``), so every detector and score is the single-machine implementation and
nothing is patched (an earlier version swapped those functions process-wide for the
duration of the call).

Personalised PageRank splits exactly over components: with restarts at the seeds only,
a component holds ``|seeds in it| / |seeds|`` of the mass, and global PageRank gives a
component ``|its nodes| / |nodes|`` of the mass (the event graph has no dangling node), so
:func:`ppr_partition` rescales a partition's values to the global ones and
:func:`near_confirmed_bad` ranks them over every account, as ``detect`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ringlens.config import Config
from ringlens.detect import filtered_events
from ringlens.detect.centrality import pagerank, personalized_pagerank
from ringlens.graph import EventGraph, build_graph
from ringlens.pipeline.context import RunContext, family_key
from ringlens.pipeline.detectors.lockstep import lockstep_presets
from ringlens.pipeline.engine import score
from ringlens.pipeline.inputs import run_id_for
from ringlens.pipeline.outputs import evidence_links
from ringlens.pipeline.result import build_report
from ringlens.pipeline.signals import ACCOUNT_TYPES, near_confirmed_bad
from ringlens.risk.policy import Policy, apply_policy, load_policy

log = logging.getLogger(__name__)

__all__ = [
    "ACCOUNT_PATTERN",
    "PartitionResult",
    "context_from_graph",
    "finish",
    "lockstep_families",
    "near_confirmed_bad",
    "ppr_partition",
    "run_id_for",
    "score_partition",
]

#: Accounts ranked by personalised PageRank (:data:`ringlens.pipeline.signals.ACCOUNT_TYPES`).
ACCOUNT_PATTERN = f"^({'|'.join(ACCOUNT_TYPES)}):"


def lockstep_families(config: Config | None = None) -> list[dict[str, Any]]:
    """The lockstep runs of :func:`ringlens.pipeline.detect`: ``reason``, ``key``,
    ``actions``, ``actor_types``, ``target_types``, ``max_target_degree``.

    The event filters come from
    :func:`ringlens.pipeline.detectors.lockstep.lockstep_presets`, the presets ``detect``
    runs; ``tests/spark`` checks them against the calls ``detect`` really makes.

    Examples
    --------
    >>> [f["reason"] for f in lockstep_families()]
    ['lockstep_orders', 'lockstep_clicks', 'lockstep_engagement']
    """
    cfg = config or Config()
    out = []
    for reason, preset in lockstep_presets(cfg):
        actions = preset.get("actions")
        actor_types = preset.get("actor_types")
        target_types = preset.get("target_types")
        out.append(
            {
                "reason": reason,
                "key": family_key(actions, actor_types, target_types),
                "actions": actions,
                "actor_types": actor_types,
                "target_types": target_types,
                "max_target_degree": int(cfg.graph.max_target_degree),
            }
        )
    return out


def context_from_graph(graph: EventGraph, *, config: Config | None = None) -> RunContext:
    """The :class:`~ringlens.pipeline.context.RunContext` of a whole event graph (single machine; for tests and for
    checking the Spark aggregation).

    Examples
    --------
    >>> from ringlens.synth import SynthConfig, generate
    >>> from ringlens.graph import build_graph
    >>> g = build_graph(generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=3)).events)
    >>> ctx = context_from_graph(g)
    >>> 0 < ctx.background < 1, len(ctx.lockstep_spans)
    (True, 3)
    """
    ev = graph.events
    spans: dict[tuple[Any, ...], tuple[int, int]] = {}
    for fam in lockstep_families(config):
        fe = filtered_events(
            graph,
            actions=fam["actions"],
            actor_types=fam["actor_types"],
            target_types=fam["target_types"],
        ).select("src", "dst", pl.col("ts").dt.epoch("us").alias("ts_us"))
        cap = fam["max_target_degree"]
        if cap:
            deg = fe.group_by("dst").agg(pl.col("src").n_unique().alias("d"))
            fe = fe.join(deg.filter(pl.col("d") <= cap).select("dst"), on="dst", how="semi")
        if fe.height:
            spans[fam["key"]] = (int(fe["ts_us"].min()), int(fe["ts_us"].max()))  # type: ignore[arg-type]
    return RunContext(
        first_ts=ev["ts"].min(),  # type: ignore[arg-type]
        n_pairs=ev.select("src", "dst").unique().height,
        n_actors=ev.select("src").n_unique(),
        n_targets=ev.select("dst").n_unique(),
        lockstep_spans=spans,
    )


@dataclass
class PartitionResult:
    """What one partition contributes: rings (output layout), scored entities (before the
    policy), ring membership and detector counts."""

    rings: pl.DataFrame
    entities: pl.DataFrame
    membership: pl.DataFrame
    counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)


def score_partition(
    events: pl.DataFrame | EventGraph,
    *,
    context: RunContext,
    entities: pl.DataFrame | None = None,
    config: Config | None = None,
    policy: Policy | None = None,
) -> PartitionResult:
    """Score the events of whole connected components with :func:`ringlens.pipeline.score`.

    Parameters
    ----------
    events
        Validated events (the data contract) of one or more whole connected components,
        or their :class:`~ringlens.graph.EventGraph`.
    context
        Run-wide quantities (see :class:`~ringlens.pipeline.context.RunContext`), with the partition's
        ``near_confirmed_bad`` signals.
    entities
        The entities table (rows for other partitions are ignored).

    Returns
    -------
    PartitionResult
    """
    graph = events if isinstance(events, EventGraph) else build_graph(events)
    res = score(
        graph,
        entities=entities,
        labels=None,  # PageRank is global (context.near_signals); cleared labels: finish()
        config=config,
        policy=policy,
        run_id="partition",
        context=context,
    )
    counts = dict(res.report["counts"]["candidates"])
    counts.pop("near_confirmed_bad", None)
    counts.update(
        events=graph.events.height, nodes=graph.n_nodes, edges=graph.n_edges, partitions=1
    )
    return PartitionResult(
        rings=res.rings,
        entities=res.entities,
        membership=res.membership,
        counts=counts,
        timings=dict(res.report["timings"]),
    )


def ppr_partition(
    graph: EventGraph,
    *,
    seeds: Sequence[str],
    n_seeds: int,
    n_nodes: int,
) -> pl.DataFrame:
    """Personalised PageRank of one partition, rescaled to the whole graph.

    Parameters
    ----------
    graph
        The partition's event graph (whole components).
    seeds
        Confirmed-bad node keys (any; those not in ``graph`` are ignored).
    n_seeds
        Seeds present in the whole graph.
    n_nodes
        Nodes of the whole graph.

    Returns
    -------
    polars.DataFrame
        ``key, ppr, ppr_lift, is_seed`` for the partition's nodes, as
        :func:`ringlens.detect.centrality.personalized_pagerank` would return them on the
        whole graph (zero mass where the partition has no seed).
    """
    schema = {"key": pl.String, "ppr": pl.Float64, "ppr_lift": pl.Float64, "is_seed": pl.Boolean}
    present = graph.nodes.join(
        pl.DataFrame({"key": pl.Series(list(seeds), dtype=pl.String)}), on="key", how="semi"
    )["key"]
    if present.len() == 0:
        return pl.DataFrame(
            {"key": graph.nodes["key"], "ppr": 0.0, "ppr_lift": 0.0, "is_seed": False},
            schema=schema,
        )
    p = personalized_pagerank(graph, seeds=present.to_list())
    pr = pagerank(graph)
    f = p.join(pr, on="key").with_columns(
        (pl.col("ppr") * (present.len() / n_seeds)).alias("ppr"),
        (pl.col("pagerank") * (graph.n_nodes / n_nodes)).alias("pagerank"),
    )
    ppr = f["ppr"].to_numpy()
    prv = f["pagerank"].to_numpy()
    lift = np.divide(ppr, prv, out=np.zeros_like(ppr), where=prv > 0)
    return f.select("key", "ppr", pl.Series("ppr_lift", lift, dtype=pl.Float64), "is_seed").cast(
        schema  # type: ignore[arg-type]
    )


def finish(
    parts: Sequence[PartitionResult],
    *,
    run_id: str,
    config: Config | None = None,
    policy: Policy | None = None,
    labels: pl.DataFrame | None = None,
    counts: Mapping[str, Any] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Merge partitions and apply the policy over all of them.

    Returns
    -------
    (rings, entities, queue, membership, report)
        Frames in the order :func:`ringlens.pipeline.score` gives them; ``report`` has the
        same keys as ``RunResult.report`` (``counts`` come from ``counts`` where given).
    """
    cfg = config or Config()
    pol = policy or load_policy()
    nonempty = [p for p in parts if p.rings.height]
    rings = (
        pl.concat([p.rings for p in nonempty], how="vertical_relaxed")
        if nonempty
        else (parts[0].rings if parts else pl.DataFrame())
    )
    if rings.height:
        rings = rings.sort(["risk_score", "ring_id"], descending=[True, False])
    ents = pl.concat([p.entities for p in parts], how="vertical_relaxed").sort(
        ["risk_score", "key"], descending=[True, False]
    )
    membership = pl.concat([p.membership for p in parts], how="vertical_relaxed").sort(
        "ring_id", "key"
    )
    ring_cols = rings if rings.height else _empty_scored_rings()
    queue, qreport = apply_policy(
        ents,
        ring_cols,
        pol,
        run_id=run_id,
        labels=labels,
        evidence=evidence_links(ring_cols, cfg),
    )
    c: dict[str, Any] = {}
    for p in parts:
        for k, v in p.counts.items():
            c[k] = c.get(k, 0) + v
    if counts:
        c.update(counts)
    cand = {k: v for k, v in c.items() if k.startswith(("lockstep_", "shared_", "near_"))}
    report = build_report(
        run_id=run_id,
        seed=cfg.detect.seed,
        counts=c,
        candidates=cand,
        rings=rings,
        entities=ents,
        queue=queue,
        policy_source=pol.source,
        policy_report=qreport,
    )
    return rings, ents, queue, membership, report


def _empty_scored_rings() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "ring_id": pl.String,
            "pattern": pl.String,
            "risk_score": pl.Float64,
            "market": pl.String,
        }
    )
