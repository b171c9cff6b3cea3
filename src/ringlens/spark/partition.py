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

:class:`GlobalContext` carries the first four, computed once over all events (in Spark, or
by :func:`context_from_graph` on one machine); :func:`score_partition` runs
:func:`ringlens.pipeline.score` with them and :func:`finish` merges the partitions and
applies the policy once, globally. Until :func:`ringlens.pipeline.score` takes such a
context itself, :func:`score_partition` injects it by wrapping three functions for the
duration of the call (``pipeline.detect``, ``pipeline.build_rings`` and
``detect.lockstep._target_bursts``); the wrappers call the original code and only replace
the global quantities, so every detector and score is the single-machine implementation.

Personalised PageRank splits exactly over components: with restarts at the seeds only,
a component holds ``|seeds in it| / |seeds|`` of the mass, and global PageRank gives a
component ``|its nodes| / |nodes|`` of the mass (the event graph has no dangling node), so
:func:`ppr_partition` rescales a partition's values to the global ones and
:func:`near_confirmed_bad` ranks them over every account, as ``detect`` does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from ringlens.config import Config, load_config
from ringlens.graph import EventGraph
from ringlens.score.model import SIGNAL_SCHEMA
from ringlens.score.policy import Policy, apply_policy, load_policy

log = logging.getLogger(__name__)

__all__ = [
    "ACCOUNT_PATTERN",
    "GlobalContext",
    "PartitionResult",
    "context_from_graph",
    "finish",
    "lockstep_families",
    "near_confirmed_bad",
    "ppr_partition",
    "run_id_for",
    "score_partition",
]

#: Accounts ranked by personalised PageRank in ``ringlens.pipeline.detect``.
ACCOUNT_PATTERN = "^(creator|buyer|seller):"
NEW_ACCOUNT_DAYS = 60  # ringlens.pipeline.detect and ringlens.rings.core.ring_features
_PHANTOM = np.iinfo(np.uint32).max
_PATCH_LOCK = threading.RLock()


@dataclass(frozen=True)
class GlobalContext:
    """Whole-run quantities that a partition cannot compute from its own events.

    Attributes
    ----------
    first_ts : datetime or None
        Earliest event time of the run.
    n_pairs, n_actors, n_targets : int
        Distinct (actor, target) pairs, distinct actors and distinct targets of all events;
        the background density is ``n_pairs / max(1, n_actors * n_targets)``.
    lockstep_spans : dict
        Lockstep family key (see :func:`lockstep_families`) → ``(min, max)`` event time in
        epoch microseconds over the family's events (after the target-degree cap).
    near_signals : polars.DataFrame or None
        ``key, reason, strength`` rows of the ``near_confirmed_bad`` signal for the
        partition's accounts (computed globally by :func:`near_confirmed_bad`).
    """

    first_ts: datetime | None
    n_pairs: int
    n_actors: int
    n_targets: int
    lockstep_spans: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    near_signals: pl.DataFrame | None = None

    @property
    def background(self) -> float:
        """Background density, computed exactly as ``ring_features`` does."""
        return self.n_pairs / max(1.0, float(self.n_actors) * float(self.n_targets))

    def with_near(self, near: pl.DataFrame | None) -> GlobalContext:
        """The same context with the partition's ``near_confirmed_bad`` signals."""
        return GlobalContext(
            first_ts=self.first_ts,
            n_pairs=self.n_pairs,
            n_actors=self.n_actors,
            n_targets=self.n_targets,
            lockstep_spans=dict(self.lockstep_spans),
            near_signals=near,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_ts": None if self.first_ts is None else self.first_ts.isoformat(),
            "n_pairs": self.n_pairs,
            "n_actors": self.n_actors,
            "n_targets": self.n_targets,
            "background": self.background,
            "lockstep_spans": {"|".join(map(str, k)): v for k, v in self.lockstep_spans.items()},
        }


def _family_key(
    actions: Sequence[str] | None,
    actor_types: Sequence[str] | None,
    target_types: Sequence[str] | None,
) -> tuple[Any, ...]:
    def norm(v: Sequence[str] | str | None) -> tuple[str, ...] | None:
        if v is None:
            return None
        return (v,) if isinstance(v, str) else tuple(sorted(v))

    return (norm(actions), norm(actor_types), norm(target_types))


def lockstep_families(config: Config | None = None) -> list[dict[str, Any]]:
    """The lockstep runs of :func:`ringlens.pipeline.detect`: ``reason``, ``key``,
    ``actions``, ``actor_types``, ``target_types``, ``max_target_degree``.

    Mirrors the loop over ``LOCKSTEP_FAMILIES`` in ``detect`` (including its override of
    the ``mutual_boost`` preset); ``tests/spark`` checks it against the calls ``detect``
    really makes.

    Examples
    --------
    >>> [f["reason"] for f in lockstep_families()]
    ['lockstep_orders', 'lockstep_clicks', 'lockstep_engagement']
    """
    from ringlens.detect.lockstep import LOCKSTEP_PRESETS
    from ringlens.pipeline import LOCKSTEP_FAMILIES

    cfg = config or load_config(env={})
    out = []
    for reason, preset_name in LOCKSTEP_FAMILIES:
        preset = dict(LOCKSTEP_PRESETS[preset_name])
        if preset_name == "mutual_boost":
            preset.update(
                actions=["like", "comment", "share", "follow"], target_types=["content", "creator"]
            )
        actions = preset.get("actions")
        actor_types = preset.get("actor_types")
        target_types = preset.get("target_types")
        out.append(
            {
                "reason": reason,
                "key": _family_key(actions, actor_types, target_types),
                "actions": actions,
                "actor_types": actor_types,
                "target_types": target_types,
                "max_target_degree": int(cfg.get("graph.max_target_degree")),
            }
        )
    return out


def context_from_graph(graph: EventGraph, *, config: Config | None = None) -> GlobalContext:
    """The :class:`GlobalContext` of a whole event graph (single machine; for tests and for
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
    from ringlens.detect._common import filtered_events

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
    return GlobalContext(
        first_ts=ev["ts"].min(),  # type: ignore[arg-type]
        n_pairs=ev.select("src", "dst").unique().height,
        n_actors=ev.select("src").n_unique(),
        n_targets=ev.select("dst").n_unique(),
        lockstep_spans=spans,
    )


# --------------------------------------------------------------------------- injection


_state = threading.local()


@contextlib.contextmanager
def _injected(context: GlobalContext) -> Iterator[None]:
    """Run ``pipeline.score`` with the global quantities of ``context`` (see module doc)."""
    import importlib

    # ``ringlens.detect`` re-exports the function ``lockstep`` under the module's name
    ls_mod = importlib.import_module("ringlens.detect.lockstep")
    pipe_mod = importlib.import_module("ringlens.pipeline")

    with _PATCH_LOCK:
        orig_lockstep = ls_mod.lockstep
        orig_bursts = ls_mod._target_bursts
        orig_detect = pipe_mod.detect
        orig_build = pipe_mod.build_rings

        def lockstep(graph: EventGraph, **kw: Any) -> Any:
            key = _family_key(kw.get("actions"), kw.get("actor_types"), kw.get("target_types"))
            _state.span = context.lockstep_spans.get(key)
            try:
                return orig_lockstep(graph, **kw)
            finally:
                _state.span = None

        def target_bursts(ev: pl.DataFrame, w_us: int, *args: Any) -> pl.DataFrame:
            span = getattr(_state, "span", None)
            if span is None or ev.height == 0:
                return orig_bursts(ev, w_us, *args)
            # two events on a phantom target at the run's first and last time: the target
            # is its own window group (every step is `over("dst")`), only the data period
            # the Poisson rate is computed from becomes the run's
            phantom = pl.DataFrame(
                {"src": [_PHANTOM, _PHANTOM], "dst": [_PHANTOM, _PHANTOM], "ts_us": list(span)},
                schema=ev.schema,
            )
            out = orig_bursts(pl.concat([ev, phantom]), w_us, *args)
            return out.filter(pl.col("dst") != _PHANTOM)

        def detect(graph: EventGraph, **kw: Any) -> Any:
            det = orig_detect(graph, **kw)
            entities = kw.get("entities")
            sigs = det.signals
            parts = [sigs.filter(pl.col("reason") != "new_account")]
            if entities is not None and entities.height and context.first_ts is not None:
                ent = entities.select(
                    pl.concat_str("entity_type", pl.lit(":"), "entity_id").alias("key"),
                    "created_at",
                ).join(graph.nodes.select("key"), on="key", how="semi")
                new = ent.filter(
                    pl.col("created_at") >= context.first_ts - timedelta(days=NEW_ACCOUNT_DAYS)
                )
                parts.append(
                    new.select(
                        "key", pl.lit("new_account").alias("reason"), pl.lit(1.0).alias("strength")
                    ).cast(SIGNAL_SCHEMA)
                )
            if context.near_signals is not None and context.near_signals.height:
                parts.append(context.near_signals.select(SIGNAL_SCHEMA.names()).cast(SIGNAL_SCHEMA))
            det.signals = (
                pl.concat(parts)
                .group_by("key", "reason")
                .agg(pl.col("strength").max())
                .sort("key", "reason")
            )
            return det

        def build_rings(graph: EventGraph, candidates: pl.DataFrame, **kw: Any) -> Any:
            res = orig_build(graph, candidates, **kw)
            if res.rings.height == 0:
                return res
            rings = res.rings.with_columns(
                (pl.col("density") / context.background).alias("density_ratio")
            )
            entities = kw.get("entities")
            if entities is not None and entities.height and context.first_ts is not None:
                cutoff = context.first_ts - timedelta(days=NEW_ACCOUNT_DAYS)
                ent = entities.select(
                    pl.concat_str("entity_type", pl.lit(":"), "entity_id").alias("key"),
                    "created_at",
                )
                share = (
                    res.membership.select("key", "ring_id")
                    .join(ent, on="key", how="left")
                    .group_by("ring_id")
                    .agg(
                        (
                            (pl.col("created_at") >= cutoff).sum()
                            / pl.col("created_at").is_not_null().sum()
                        ).alias("_nas")
                    )
                )
                rings = (
                    rings.join(share, on="ring_id", how="left", maintain_order="left")
                    .with_columns(pl.col("_nas").alias("new_account_share"))
                    .drop("_nas")
                )
            res.rings = rings
            return res

        ls_mod.lockstep = lockstep  # type: ignore[assignment,attr-defined]
        ls_mod._target_bursts = target_bursts  # type: ignore[assignment,attr-defined]
        pipe_mod.detect = detect  # type: ignore[assignment,attr-defined]
        pipe_mod.build_rings = build_rings  # type: ignore[assignment,attr-defined]
        try:
            yield
        finally:
            ls_mod.lockstep = orig_lockstep  # type: ignore[assignment,attr-defined]
            ls_mod._target_bursts = orig_bursts  # type: ignore[assignment,attr-defined]
            pipe_mod.detect = orig_detect  # type: ignore[assignment,attr-defined]
            pipe_mod.build_rings = orig_build  # type: ignore[assignment,attr-defined]


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
    context: GlobalContext,
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
        Run-wide quantities (see :class:`GlobalContext`), with the partition's
        ``near_confirmed_bad`` signals.
    entities
        The entities table (rows for other partitions are ignored).

    Returns
    -------
    PartitionResult
    """
    from ringlens.graph import build_graph
    from ringlens.pipeline import score

    graph = events if isinstance(events, EventGraph) else build_graph(events)
    with _injected(context):
        res = score(
            graph,
            entities=entities,
            labels=None,  # PageRank is global (context.near_signals); cleared labels: finish()
            config=config,
            policy=policy,
            run_id="partition",
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
    from ringlens.detect.centrality import pagerank, personalized_pagerank

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


def near_confirmed_bad(top: pl.DataFrame, *, n_accounts: int) -> pl.DataFrame:
    """The ``near_confirmed_bad`` signal from the highest-ranked accounts.

    ``detect`` ranks the personalised PageRank of every non-seed account
    (``rank("average") / n``) and flags the top 1 % with ``ppr_lift > 1``. Only the top of
    the ranking matters, so ``top`` need only hold the accounts whose ``ppr`` is at least
    some threshold (every account at or above it, with ``key, ppr, ppr_lift``); the
    average rank of a value ``v`` is ``n - (#values >= v) + (#values == v + 1) / 2``.

    Examples
    --------
    >>> import polars as pl
    >>> top = pl.DataFrame({"key": ["buyer:1", "buyer:2"], "ppr": [0.5, 0.2], "ppr_lift": [3.0, 2.0]})
    >>> [(k, round(s, 6)) for k, _, s in near_confirmed_bad(top, n_accounts=200).rows()]
    [('buyer:1', 1.0), ('buyer:2', 0.5)]
    """
    if top.height == 0 or n_accounts == 0:
        return pl.DataFrame(schema=SIGNAL_SCHEMA)
    ge = top.group_by("ppr").agg(pl.len().alias("_eq")).sort("ppr", descending=True)
    ge = ge.with_columns(pl.col("_eq").cum_sum().alias("_ge"))
    ranked = top.join(ge, on="ppr").with_columns(
        (
            (pl.lit(n_accounts, dtype=pl.Float64) - pl.col("_ge").cast(pl.Float64))
            + (pl.col("_eq").cast(pl.Float64) + 1.0) / 2.0
        ).alias("_rank")
    )
    pct = pl.col("_rank") / float(n_accounts)
    near = ranked.with_columns(pct.alias("pct")).filter(
        (pl.col("pct") >= 0.99) & (pl.col("ppr_lift") > 1.0)
    )
    return near.select(
        "key",
        pl.lit("near_confirmed_bad").alias("reason"),
        ((pl.col("pct") - 0.99) / 0.01).clip(0.2, 1.0).alias("strength"),
    ).sort("key")


def run_id_for(
    *,
    config: Config,
    policy: Policy,
    n_nodes: int,
    n_edges: int,
    n_events: int,
    fingerprint: str | None = None,
) -> str:
    """The run id ``ringlens.pipeline`` gives: from the input files' fingerprint (``run``),
    or from the graph sizes when the input is a frame (``score``)."""
    if fingerprint is not None:
        part = json.dumps(
            [fingerprint, config.to_dict(), policy.to_dict()], sort_keys=True, default=str
        )
    else:
        part = json.dumps(
            [config.to_dict(), policy.to_dict(), n_nodes, n_edges, n_events],
            sort_keys=True,
            default=str,
        )
    return "run_" + hashlib.blake2b(part.encode(), digest_size=8).hexdigest()


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
    from ringlens import __version__

    cfg = config or load_config(env={})
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
    queue, qreport = apply_policy(ents, ring_cols, pol, run_id=run_id, labels=labels)
    c: dict[str, Any] = {}
    for p in parts:
        for k, v in p.counts.items():
            c[k] = c.get(k, 0) + v
    if counts:
        c.update(counts)
    cand = {k: v for k, v in c.items() if k.startswith(("lockstep_", "shared_", "near_"))}
    d = cfg["detect"]
    report = {
        "run_id": run_id,
        "version": __version__,
        "seed": d["seed"],
        "counts": {
            "events": c.get("events", 0),
            "nodes": c.get("nodes", 0),
            "edges": c.get("edges", 0),
            "candidates": dict(sorted(cand.items())),
            "rings": rings.height,
            "rings_by_pattern": dict(sorted(rings.group_by("pattern").len().iter_rows()))
            if rings.height
            else {},
            "scored_entities": ents.height,
            "queue": queue.height,
        },
        "policy": {"source": pol.source, **qreport},
        "timings": {},
    }
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
