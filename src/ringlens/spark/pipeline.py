"""The whole job on Spark: the same rings, scores and queue as :func:`ringlens.pipeline.score`.

1. **Ingest** (:mod:`ringlens.spark.ingest`): read and validate in Spark, local errors.
2. **Global quantities** (Spark aggregations): event and node counts, first event time,
   background density, each lockstep family's data period
   (:class:`~ringlens.pipeline.context.RunContext`).
3. **Partitions** (:func:`~ringlens.spark.graph.assign_partitions`): connected components,
   giant ones cut by the documented rule; events are shuffled so that each Spark partition
   holds whole components.
4. **Personalised PageRank** (only with confirmed labels): per partition inside
   ``mapInArrow``, rescaled to the whole graph, ranked globally in Spark
   (:func:`~ringlens.spark.partition.near_confirmed_bad`).
5. **Detection and scoring**: :func:`ringlens.spark.partition.score_partition` (that is
   :func:`ringlens.pipeline.score`) per partition inside ``mapInArrow`` (Arrow → Polars →
   igraph), with the partition's entities and ``near_confirmed_bad`` signals shipped
   alongside its events.
6. **Merge and policy** on the driver (:func:`~ringlens.spark.partition.finish`): the
   queue's priorities and capacities need one global sort.
"""

from __future__ import annotations

import io
import json
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from ringlens.config import Config
from ringlens.exceptions import ConfigError
from ringlens.io.events import ENTITY_COLUMNS, EVENT_COLUMNS
from ringlens.pipeline.context import RunContext
from ringlens.pipeline.result import RunResult
from ringlens.pipeline.signals import near_confirmed_bad
from ringlens.risk.policy import Policy, load_policy
from ringlens.spark.partition import (
    ACCOUNT_PATTERN,
    PartitionResult,
    finish,
    lockstep_families,
    run_id_for,
)

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession


log = logging.getLogger(__name__)

__all__ = ["SparkResult", "score_spark", "global_context", "view_graph"]

_NO_ENTITY = "\x00ringlens:no-entity"
_PAYLOAD_SCHEMA = "kind string, payload binary"
_PPR_SCHEMA = "key string, ppr double, ppr_lift double"


@dataclass
class SparkResult:
    """A run scored on Spark.

    Attributes
    ----------
    rings, entities, queue, membership : polars.DataFrame
        As in :class:`ringlens.pipeline.RunResult` (same columns, same order).
    report : dict
        Counts, policy report, timings, and ``spark`` (partitions, components, cuts).
    spark : SparkSession
        The session (for the ``*_df`` accessors).
    """

    rings: pl.DataFrame
    entities: pl.DataFrame
    queue: pl.DataFrame
    membership: pl.DataFrame
    report: dict[str, Any]
    spark: Any = None
    events: Any = None
    context: RunContext | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def _df(self, frame: pl.DataFrame) -> DataFrame:
        return self.spark.createDataFrame(frame.to_arrow())

    def rings_df(self) -> DataFrame:
        """Rings as a Spark DataFrame."""
        return self._df(self.rings)

    def entities_df(self) -> DataFrame:
        """Scored entities as a Spark DataFrame."""
        return self._df(self.entities)

    def queue_df(self) -> DataFrame:
        """The enforcement queue as a Spark DataFrame."""
        return self._df(self.queue)

    def to_run_result(self, *, view_graph: Any = None) -> RunResult:
        """A :class:`ringlens.pipeline.RunResult` for the local writers and views.

        ``view_graph`` is the event graph the ring views are drawn from (default:
        :func:`view_graph`, the events around the top rings' members).
        """
        return RunResult(
            rings=self.rings,
            entities=self.entities,
            queue=self.queue,
            report=self.report,
            graph=view_graph,
            membership=self.membership,
        )


def _frame_bytes(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_ipc(buf)
    return buf.getvalue()


def _frame_from(b: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(b))


def _collect_partition(batches: Iterator[pa.RecordBatch]) -> pl.DataFrame | None:
    tables = [pl.from_arrow(b) for b in batches if b.num_rows]
    if not tables:
        return None
    return pl.concat(tables, how="vertical_relaxed")  # type: ignore[arg-type,type-var,return-value]


_EVENT_COLS = EVENT_COLUMNS
_ENTITY_COLS = ENTITY_COLUMNS


def _ppr_batches(
    batches: Iterator[pa.RecordBatch], *, seeds: list[str], n_seeds: int, n_nodes: int
) -> Iterator[pa.RecordBatch]:
    from ringlens.graph import build_graph
    from ringlens.spark.partition import ppr_partition

    df = _collect_partition(batches)
    if df is None:
        return
    g = build_graph(df.select(_EVENT_COLS))
    p = ppr_partition(g, seeds=seeds, n_seeds=n_seeds, n_nodes=n_nodes)
    out = p.filter(
        pl.col("key").str.contains(ACCOUNT_PATTERN) & ~pl.col("is_seed") & (pl.col("ppr") > 0)
    ).select("key", "ppr", "ppr_lift")
    yield from out.to_arrow().to_batches()


def _score_batches(
    batches: Iterator[pa.RecordBatch],
    *,
    context: RunContext,
    config: Config,
    policy: Policy,
    with_entities: bool,
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    from ringlens.spark.partition import score_partition

    df = _collect_partition(batches)
    if df is None:
        return
    t = time.perf_counter()
    events = df.filter(pl.col("_kind") == 0).select(_EVENT_COLS)
    if events.height == 0:
        return
    ents = None
    if with_entities:
        ents = df.filter(pl.col("_kind") == 1).select(
            *[pl.col(f"e_{c}").alias(c) for c in _ENTITY_COLS]
        )
        if ents.height == 0:  # the local run passes a table without these entities
            ents = pl.DataFrame(
                {"entity_type": [_NO_ENTITY], "entity_id": [_NO_ENTITY]}
            ).with_columns(
                pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("created_at"),
                pl.lit(None, dtype=pl.String).alias("market"),
                pl.lit(None, dtype=pl.String).alias("display_name"),
                pl.lit(None, dtype=pl.Int64).alias("prior_violations"),
            )
    near = df.filter(pl.col("_kind") == 2).select(
        pl.col("s_key").alias("key"),
        pl.lit("near_confirmed_bad").alias("reason"),
        pl.col("s_strength").alias("strength"),
    )
    res = score_partition(
        events, context=context.with_near(near), entities=ents, config=config, policy=policy
    )
    res.timings["partition_total"] = round(time.perf_counter() - t, 3)
    meta = json.dumps({"counts": res.counts, "timings": res.timings}).encode()
    kinds = ["rings", "entities", "membership", "meta"]
    payloads = [
        _frame_bytes(res.rings),
        _frame_bytes(res.entities),
        _frame_bytes(res.membership),
        meta,
    ]
    yield pa.RecordBatch.from_pydict(
        {"kind": kinds, "payload": payloads},
        schema=pa.schema([("kind", pa.string()), ("payload", pa.binary())]),
    )


def global_context(events: DataFrame, *, config: Config) -> tuple[RunContext, dict[str, int]]:
    """The run-wide quantities (see :class:`RunContext`) and counts, from keyed events
    (:func:`ringlens.spark.graph.with_keys`)."""
    from pyspark.sql import functions as F

    from ringlens.spark.graph import _filtered

    row = events.agg(
        F.count(F.lit(1)),
        F.min("ts"),
        F.countDistinct("akey"),
        F.countDistinct("tkey"),
        F.countDistinct("akey", "tkey"),
    ).collect()[0]
    n_events, first_ts = int(row[0]), row[1]
    n_actors, n_targets, n_pairs = int(row[2]), int(row[3]), int(row[4])
    n_nodes = (
        events.select(F.col("akey").alias("k"))
        .unionByName(events.select(F.col("tkey").alias("k")))
        .distinct()
        .count()
    )
    # every lockstep family in one job: its events, the degree cap, the time range
    fams = lockstep_families(config)
    tagged = None
    for i, fam in enumerate(fams):
        fe = _filtered(
            events,
            actions=fam["actions"],
            actor_types=fam["actor_types"],
            target_types=fam["target_types"],
        ).select(F.lit(i).alias("fam"), "akey", "tkey", F.unix_micros("ts").alias("us"))
        tagged = fe if tagged is None else tagged.unionByName(fe)
    spans: dict[tuple[Any, ...], tuple[int, int]] = {}
    if tagged is not None:
        cap = fams[0]["max_target_degree"]
        if cap:
            deg = tagged.groupBy("fam", "tkey").agg(F.countDistinct("akey").alias("d"))
            tagged = tagged.join(
                deg.filter(F.col("d") <= cap).select("fam", "tkey"), ["fam", "tkey"], "left_semi"
            )
        for r in tagged.groupBy("fam").agg(F.min("us"), F.max("us")).collect():
            spans[fams[int(r[0])]["key"]] = (int(r[1]), int(r[2]))
    if first_ts is not None and first_ts.tzinfo is None:
        from datetime import UTC

        first_ts = first_ts.replace(tzinfo=UTC)
    ctx = RunContext(
        first_ts=first_ts,
        n_pairs=n_pairs,
        n_actors=n_actors,
        n_targets=n_targets,
        lockstep_spans=spans,
    )
    counts = {"events": n_events, "nodes": n_nodes, "edges": n_pairs}
    return ctx, counts


def score_spark(
    events: Any,
    *,
    spark: SparkSession | None = None,
    entities: Any = None,
    labels: Any = None,
    config: Config | None = None,
    policy: Policy | None = None,
    run_id: str | None = None,
    fingerprint: str | None = None,
    partitions: int | None = None,
    max_component_events: int = 20_000_000,
    components: str = "auto",
    validate: bool = True,
) -> SparkResult:
    """Score events on Spark: the rings, entities and queue of :func:`ringlens.pipeline.score`.

    Parameters
    ----------
    events
        A Spark DataFrame, ``"table:db.name"`` or paths Spark reads (see
        :func:`ringlens.spark.read_events`); validated like the local path.
    spark
        The session (default: :func:`ringlens.spark.get_session`).
    entities
        Entities: a Spark DataFrame, a table or paths (optional).
    labels
        Labels: a Polars or Spark DataFrame or paths (optional; collected to the driver).
    run_id, fingerprint
        The run id, or the input fingerprint it is derived from as in
        :func:`ringlens.pipeline.run` (default: from the config and graph sizes, as
        :func:`ringlens.pipeline.score` does).
    partitions
        Spark partitions for scoring (default: one per 500k events, at least the shuffle
        partitions' count when smaller than that).
    max_component_events
        Components above this are cut (:func:`ringlens.spark.graph.assign_partitions`).
    components
        ``"auto"``, ``"graphframes"`` or ``"star"`` (connected components method).

    Returns
    -------
    SparkResult

    Examples
    --------
    >>> import pathlib, tempfile, ringlens
    >>> from ringlens.synth import SynthConfig, generate
    >>> data = generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=3))
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "events.parquet"
    >>> data.events.write_parquet(src)
    >>> res = score_spark(str(src), spark=spark)
    >>> local = ringlens.score(data.events)
    >>> res.rings.height > 0 and res.rings.equals(local.rings) and res.queue.equals(local.queue)
    True
    """
    from pyspark.sql import functions as F

    from ringlens.spark.graph import assign_partitions, with_keys
    from ringlens.spark.ingest import read_entities, read_events, read_labels
    from ringlens.spark.session import get_session

    cfg = config or Config()
    pol = policy or load_policy()
    if spark is None:
        spark = get_session()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        timings[name] = round(time.perf_counter() - t0, 3)
        log.info("spark step %s: %.2fs", name, timings[name])
        t0 = time.perf_counter()

    ev = read_events(spark, events, columns=dict(cfg.input.columns), validate=validate)
    ent_df = read_entities(spark, entities) if entities is not None else None
    lab = None
    if labels is not None:
        lab = labels if isinstance(labels, pl.DataFrame) else read_labels(spark, labels)
    lap("ingest")
    ev = with_keys(ev).persist()
    ctx, counts = global_context(ev, config=cfg)
    if counts["events"] == 0:
        from ringlens.exceptions import InputError

        raise InputError("events: no rows (expected at least one event)")
    lap("global context")
    evp, part_report = assign_partitions(
        ev,
        max_component_events=max_component_events,
        max_target_degree=int(cfg.graph.max_target_degree),
        families=lockstep_families(cfg),
        method=components,
    )
    shuffle = int(spark.conf.get("spark.sql.shuffle.partitions") or 4)
    n_parts = partitions or max(1, min(shuffle, math.ceil(counts["events"] / 500_000)))
    evp = evp.persist()
    # nodes → part (entities and signals travel with their partition)
    node_part = (
        evp.select(F.col("akey").alias("key"), "part")
        .unionByName(evp.select(F.col("tkey").alias("key"), "part"))
        .distinct()
        .persist()
    )
    lap("components")
    near = pl.DataFrame(schema={"key": pl.String, "reason": pl.String, "strength": pl.Float64})
    n_near = None
    if lab is not None and lab.filter(pl.col("label") == "confirmed").height:
        seeds = (
            lab.filter(pl.col("label") == "confirmed")
            .select(pl.concat_str("entity_type", pl.lit(":"), "entity_id"))
            .to_series()
            .unique()
            .to_list()
        )
        seed_df = spark.createDataFrame([(s,) for s in seeds], "key string")
        nodes = node_part.select("key").distinct()
        present = nodes.join(seed_df, "key", "left_semi").select("key")
        n_seeds = present.count()
        if n_seeds == 0:
            raise ConfigError(
                "seeds: none of the given seeds is a node of the graph "
                f"({len(seeds)} given; expected node keys like 'buyer:42' or labels with label == 'confirmed')"
            )
        n_accounts = (
            nodes.filter(F.col("key").rlike(ACCOUNT_PATTERN))
            .join(present, "key", "left_anti")
            .count()
        )
        import functools

        fn = functools.partial(_ppr_batches, seeds=seeds, n_seeds=n_seeds, n_nodes=counts["nodes"])
        ppr = (
            evp.select(*_EVENT_COLS, "part")
            .repartition(n_parts, "part")
            .mapInArrow(fn, _PPR_SCHEMA)
            .persist()
        )
        k = int(math.ceil(0.01 * n_accounts)) + 1
        cut = ppr.orderBy(F.desc("ppr")).limit(k).agg(F.min("ppr")).collect()[0][0]
        if cut is not None:
            top = pl.from_arrow(ppr.filter(F.col("ppr") >= cut).toArrow())
            assert isinstance(top, pl.DataFrame)
            near = near_confirmed_bad(top, n_accounts=n_accounts)
        ppr.unpersist()
        n_near = near.height
        lap("personalised pagerank")
    # one frame per partition: events (kind 0), entities (1), near signals (2)
    cols: list[Any] = [F.col("part"), F.lit(0).cast("int").alias("_kind")]
    cols += [F.col(c) for c in _EVENT_COLS]
    null_ent = [
        F.lit(None).cast(t).alias(f"e_{c}")
        for c, t in zip(
            _ENTITY_COLS, ("string", "string", "timestamp", "string", "string", "long"), strict=True
        )
    ]
    null_sig = [
        F.lit(None).cast("string").alias("s_key"),
        F.lit(None).cast("double").alias("s_strength"),
    ]
    union = evp.select(*cols, *null_ent, *null_sig)
    null_ev = [
        F.lit(None).cast(t).alias(c)
        for c, t in zip(
            _EVENT_COLS,
            ("string", "string", "string", "string", "string", "timestamp", "double", "string"),
            strict=True,
        )
    ]
    if ent_df is not None:
        e = ent_df.withColumn("key", F.concat_ws(":", "entity_type", "entity_id")).join(
            node_part, "key"
        )
        union = union.unionByName(
            e.select(
                "part",
                F.lit(1).cast("int").alias("_kind"),
                *null_ev,
                *[F.col(c).alias(f"e_{c}") for c in _ENTITY_COLS],
                *null_sig,
            )
        )
    if near.height:
        s = spark.createDataFrame(near.select("key", "strength").to_arrow()).join(node_part, "key")
        union = union.unionByName(
            s.select(
                "part",
                F.lit(2).cast("int").alias("_kind"),
                *null_ev,
                *null_ent,
                F.col("key").alias("s_key"),
                F.col("strength").alias("s_strength"),
            )
        )
    import functools

    fn = functools.partial(
        _score_batches,
        context=ctx,
        config=cfg,
        policy=pol,
        with_entities=ent_df is not None,
    )
    rows = union.repartition(n_parts, "part").mapInArrow(fn, _PAYLOAD_SCHEMA).collect()
    lap("detect and score")
    parts: list[PartitionResult] = []
    by_kind: dict[str, list[bytes]] = {}
    for r in rows:
        by_kind.setdefault(r[0], []).append(bytes(r[1]))
    for rb, eb, mb, meta in zip(
        by_kind.get("rings", []),
        by_kind.get("entities", []),
        by_kind.get("membership", []),
        by_kind.get("meta", []),
        strict=True,
    ):
        m = json.loads(meta)
        parts.append(
            PartitionResult(
                rings=_frame_from(rb),
                entities=_frame_from(eb),
                membership=_frame_from(mb),
                counts=m["counts"],
                timings=m["timings"],
            )
        )
    rid = run_id or run_id_for(
        config=cfg,
        policy=pol,
        n_nodes=counts["nodes"],
        n_edges=counts["edges"],
        n_events=counts["events"],
        fingerprint=fingerprint,
    )
    extra: dict[str, Any] = dict(counts)
    if n_near is not None:
        extra["near_confirmed_bad"] = n_near
    rings, ents, queue, memb, report = finish(
        parts, run_id=rid, config=cfg, policy=pol, labels=lab, counts=extra
    )
    lap("merge and policy")
    report["timings"] = dict(timings)
    report["spark"] = {
        "version": spark.version,
        "partitions": n_parts,
        "scored_partitions": len(parts),
        "max_partition_seconds": max(
            (p.timings.get("partition_total", 0.0) for p in parts), default=0.0
        ),
        **part_report,
        "context": ctx.to_dict(),
    }
    ev.unpersist()
    node_part.unpersist()
    return SparkResult(
        rings=rings,
        entities=ents,
        queue=queue,
        membership=memb,
        report=report,
        spark=spark,
        events=evp,
        context=ctx,
        timings=timings,
    )


def view_graph(result: SparkResult, *, config: Config, max_target_degree: int | None = None) -> Any:
    """The event graph the ring views need, collected from Spark: every event of the top
    rings' members, and every event on the targets they hit (targets hit by more than
    ``max_target_degree`` actors excepted: their other actors are left out of the views)."""
    from pyspark.sql import functions as F

    from ringlens.graph import build_graph

    limit = int(config.viz.max_ring_views)
    top = result.rings.head(limit)
    members = top["members"].explode().unique().to_list() if top.height else []
    if not members:
        return None
    spark = result.spark
    cap = max_target_degree or int(config.graph.max_target_degree) or 1000
    ev = result.events
    m = spark.createDataFrame([(k,) for k in members], "akey string")
    mine = ev.join(m, "akey", "left_semi")
    targets = mine.select("tkey").distinct()
    deg = (
        ev.join(targets, "tkey", "left_semi")
        .groupBy("tkey")
        .agg(F.countDistinct("akey").alias("d"))
        .filter(F.col("d") <= cap)
        .select("tkey")
    )
    around = ev.join(deg, "tkey", "left_semi")
    sel = mine.unionByName(around).distinct().select(*_EVENT_COLS)
    df = pl.from_arrow(sel.toArrow())
    assert isinstance(df, pl.DataFrame)
    return build_graph(df)
