"""The whole job on Spark: the same rings, scores and queue as :func:`ringlens.pipeline.score`.

The split is :mod:`ringlens.spark.partition`'s (read it first); Spark moves the data:

1. **Ingest** (:mod:`ringlens.spark.ingest`): read and validate in Spark with the local
   checks; action and type names normalised as the local graph stores them.
2. **Run-wide quantities** (Spark aggregations, :func:`run_context`): counts, first event
   time, the families with their roles, background density, the interaction matrix, the
   share of new accounts (:class:`~ringlens.pipeline.context.RunContext`).
3. **Detection by family unit** (:func:`detect_units`): the driver plans the units
   (:func:`~ringlens.spark.partition.plan_units`); each unit's events are selected in
   Spark (with joins for a unit that reaches its accounts' other targets), shuffled to one
   worker, and detected there with the local detector inside ``mapInArrow``
   (:func:`~ringlens.spark.partition.detect_unit`); the driver merges the findings
   (:func:`~ringlens.spark.partition.merge_units`).
4. **Partitions** (:func:`~ringlens.spark.graph.assign_partitions`): connected components,
   giant ones cut by the documented rule; events are shuffled so that each Spark partition
   holds whole components.
5. **Personalised PageRank** (only with confirmed labels): per partition inside
   ``mapInArrow``, rescaled to the whole graph, ranked over every account on the driver.
6. **Rings and scores**: :func:`~ringlens.spark.partition.score_partition` (that is
   :func:`ringlens.pipeline.score` with the context) per partition inside ``mapInArrow``,
   with the partition's entities and ``near_confirmed_bad`` signals shipped alongside its
   events and its share of the units' findings.
7. **Merge and policy** on the driver (:func:`~ringlens.spark.partition.finish`): the
   queue's priorities and capacities need one global sort.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from ringlens.config import Config
from ringlens.exceptions import InputError
from ringlens.graph.roles import normalised
from ringlens.io import ENTITY_COLUMNS, EVENT_COLUMNS, InputOptions
from ringlens.pipeline.context import RunContext
from ringlens.pipeline.engine import checked_catalogue
from ringlens.pipeline.inputs import frame_fingerprint, run_id_for
from ringlens.pipeline.registry import DetectInput, Found
from ringlens.pipeline.result import RunResult
from ringlens.pipeline.signals import NEW_ACCOUNT_DAYS, SIGNAL_SCHEMA
from ringlens.rings.features import arrival_cutoff, rhythm_shares
from ringlens.risk.policy import Policy, load_policy
from ringlens.spark.partition import (
    FamilyUnit,
    PartitionResult,
    account_types,
    detect_unit,
    family_input,
    finish,
    merge_units,
    near_confirmed_bad,
    part_found,
    plan_units,
    ppr_partition,
    run_coverage,
    score_partition,
    with_run_entities,
)

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession


log = logging.getLogger(__name__)

__all__ = ["SparkResult", "detect_units", "run_context", "score_spark", "view_graph"]

_NO_ENTITY = "\x00ringlens:no-entity"
_PAYLOAD_SCHEMA = "kind string, part long, payload binary"
_PPR_SCHEMA = "key string, ppr double, ppr_lift double"
_EVENT_TYPES = ("string", "string", "string", "string", "string", "timestamp", "double", "string")
_ENTITY_TYPES = ("string", "string", "timestamp", "string", "string", "long")
_NAMES = ("action", "actor_type", "target_type")


@dataclass
class SparkResult:
    """A run scored on Spark.

    Attributes
    ----------
    rings, entities, queue, membership, bursts : polars.DataFrame
        As in :class:`ringlens.pipeline.RunResult` (same columns, same order).
    report : dict
        Counts, policy report, coverage, timings, and ``spark`` (partitions, components,
        units, cuts).
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
    #: the time-based detectors' bursts (``bursts.parquet``), as the local run finds them
    bursts: pl.DataFrame | None = None

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
            bursts=self.bursts,
        )


# ------------------------------------------------------------------ Arrow helpers


def _frame_bytes(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_ipc(buf)
    return buf.getvalue()


def _frame_from(b: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(b))


def _collect(batches: Iterator[pa.RecordBatch]) -> pl.DataFrame | None:
    tables = [pl.from_arrow(b) for b in batches if b.num_rows]
    if not tables:
        return None
    return pl.concat(tables, how="vertical_relaxed")  # type: ignore[arg-type,type-var,return-value]


def _payload(rows: Sequence[tuple[str, int, bytes]]) -> pa.RecordBatch:
    import pyarrow as pa

    kinds, parts, payloads = zip(*rows, strict=True) if rows else ((), (), ())
    return pa.RecordBatch.from_pydict(
        {"kind": list(kinds), "part": list(parts), "payload": list(payloads)},
        schema=pa.schema([("kind", pa.string()), ("part", pa.int64()), ("payload", pa.binary())]),
    )


def _normalise_names(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Action and type names as the local graph stores them (the same Polars code)."""
    for batch in batches:
        df = pl.from_arrow(batch)
        assert isinstance(df, pl.DataFrame)
        yield from df.with_columns(normalised(pl.col(c)) for c in _NAMES).to_arrow().to_batches()


def _keyed(events: DataFrame) -> DataFrame:
    """Validated events with normalised names and node keys (``akey``, ``tkey``, ``aid``,
    ``tid``: :func:`ringlens.spark.graph.with_keys`)."""
    from ringlens.spark.graph import with_keys
    from ringlens.spark.ingest import EVENT_SCHEMA

    return with_keys(events.select(*EVENT_COLUMNS).mapInArrow(_normalise_names, EVENT_SCHEMA))


# ------------------------------------------------------------------ run-wide quantities


def _families(events: DataFrame) -> pl.DataFrame:
    """:meth:`ringlens.graph.EventGraph.families` of keyed events, in Spark."""
    from pyspark.sql import functions as F

    agg = events.groupBy(*("actor_type", "action", "target_type")).agg(
        F.count(F.lit(1)).alias("events"),
        F.countDistinct("akey").alias("actors"),
        F.countDistinct("tkey").alias("targets"),
        F.countDistinct("akey", "tkey").alias("pairs"),
    )
    fam = pl.from_arrow(agg.toArrow())
    assert isinstance(fam, pl.DataFrame)
    fam = fam.with_columns(pl.col("events", "actors", "targets", "pairs").cast(pl.Int64))
    return _with_firsts(events, fam).sort(
        ["events", "actor_type", "action", "target_type"], descending=[True, False, False, False]
    )


def _with_firsts(events: DataFrame, fam: pl.DataFrame) -> pl.DataFrame:
    """``fam`` with ``firsts`` as :meth:`ringlens.graph.EventGraph.families` counts them:
    the events that are the first on their target, for the families of the actions that
    touch each target about once (:func:`ringlens.graph.core.touches_once`), null for the
    others."""
    from pyspark.sql import functions as F

    from ringlens.graph.core import touches_once

    names = ["actor_type", "action", "target_type"]
    chosen = fam.filter(
        pl.Series(
            touches_once(
                fam["action"].to_numpy(),
                fam["events"].to_numpy(),
                fam["targets"].to_numpy(),
                fam["actors"].to_numpy(),
            )
        )
    )
    if chosen.height == 0:
        return fam.with_columns(pl.lit(None, dtype=pl.Int64).alias("firsts"))
    on = events.where(F.col("target_type").isin(chosen["target_type"].unique().to_list()))
    first = on.groupBy("tkey").agg(F.min("ts").alias("_t0"))
    mine = on.join(
        F.broadcast(
            events.sparkSession.createDataFrame(
                chosen.select(names).rows(), "actor_type string, action string, target_type string"
            )
        ),
        names,
        "left_semi",
    )
    counts = (
        mine.join(first, "tkey")
        .where(F.col("ts") <= F.col("_t0"))
        .groupBy(*names)
        .agg(F.count(F.lit(1)).alias("firsts"))
    )
    got = pl.from_arrow(counts.toArrow())
    assert isinstance(got, pl.DataFrame)
    got = got.with_columns(pl.col("firsts").cast(pl.Int64))
    keyed = chosen.select(names).join(got, on=names, how="left")
    return fam.join(keyed.with_columns(pl.col("firsts").fill_null(0)), on=names, how="left")


def _new_account_base(events: DataFrame, entities: DataFrame | None, first_ts: Any) -> float | None:
    """:func:`ringlens.rings.features.new_account_rate` of the run, in Spark."""
    from pyspark.sql import functions as F

    if entities is None or first_ts is None:
        return None
    nodes = events.select(F.col("akey").alias("key")).unionByName(
        events.select(F.col("tkey").alias("key"))
    )
    known = (
        entities.withColumn("key", F.concat_ws(":", "entity_type", "entity_id"))
        .join(nodes.distinct(), "key", "left_semi")
        .filter(F.col("created_at").isNotNull())
    )
    cutoff = first_ts - timedelta(days=NEW_ACCOUNT_DAYS)
    row = known.agg(
        F.count(F.lit(1)), F.sum((F.col("created_at") >= F.lit(cutoff)).cast("long"))
    ).collect()[0]
    return None if not row[0] else float(int(row[1]) / int(row[0]))


def _arrivals(events: DataFrame, first_ts: Any, last_ts: Any) -> tuple[Any, float] | None:
    """:func:`ringlens.rings.features.arrivals` of the run, in Spark."""
    from pyspark.sql import functions as F

    if last_ts.tzinfo is None:  # collect() gives the driver's local time, naive
        last_ts = last_ts.astimezone(UTC)
    if first_ts == last_ts:
        return None
    cutoff = arrival_cutoff(first_ts, last_ts)
    firsts = events.groupBy("akey").agg(F.min("ts").alias("f"))
    row = firsts.agg(F.count(F.lit(1)), F.sum((F.col("f") >= F.lit(cutoff)).cast("long")))
    n, late = row.collect()[0]
    return cutoff, float(int(late) / int(n))


def _action_values(events: DataFrame) -> dict[str, float]:
    """:func:`ringlens.rings.features.action_values` of the run, in Spark."""
    from pyspark.sql import functions as F

    rows = (
        events.groupBy("action")
        .agg(F.avg(F.coalesce(F.col("amount").cast("double"), F.lit(0.0))).alias("v"))
        .collect()
    )
    # twelve significant digits, as ringlens.rings.features.action_values rounds them
    return dict(sorted((str(r["action"]), float(f"{float(r['v']):.12g}")) for r in rows))


def _hourly_rhythm(events: DataFrame) -> tuple[float, ...]:
    """:func:`ringlens.rings.features.hourly_rhythm` of the run, in Spark."""
    from pyspark.sql import functions as F

    rows = events.groupBy(F.hour(F.col("ts")).alias("h")).count().collect()
    return rhythm_shares({int(r["h"]): int(r["count"]) for r in rows})


def run_context(
    events: DataFrame, *, config: Config, entities: DataFrame | None = None
) -> tuple[RunContext, dict[str, int]]:
    """The run-wide quantities of keyed events (:class:`RunContext`, as
    :func:`ringlens.spark.partition.context_from_graph` computes them on one machine) and
    the run's ``events``, ``nodes`` and ``edges`` counts."""
    from pyspark.sql import functions as F

    row = events.agg(
        F.count(F.lit(1)),
        F.min("ts"),
        F.countDistinct("akey"),
        F.countDistinct("tkey"),
        F.countDistinct("akey", "tkey"),
        F.max("ts"),
    ).collect()[0]
    n_events, first_ts = int(row[0]), row[1]
    if n_events == 0:
        raise InputError("events: no rows (expected at least one event)")
    if first_ts.tzinfo is None:  # collect() gives the driver's local time, naive
        first_ts = first_ts.astimezone(UTC)
    n_actors, n_targets, n_pairs = int(row[2]), int(row[3]), int(row[4])
    keys = events.select(F.col("akey").alias("k")).unionByName(
        events.select(F.col("tkey").alias("k"))
    )
    n_nodes = keys.distinct().count()
    inp = family_input(_families(events), config=config)
    assert inp.families is not None
    actions = inp.roles.interaction_actions(inp.families) or None
    totals = (n_actors, n_targets, n_pairs)
    if actions is not None:
        r = (
            events.filter(F.col("action").isin(actions))
            .agg(F.countDistinct("akey"), F.countDistinct("tkey"), F.countDistinct("akey", "tkey"))
            .collect()[0]
        )
        totals = (int(r[0]), int(r[1]), int(r[2]))
    ctx = RunContext(
        first_ts=first_ts,
        n_pairs=n_pairs,
        n_actors=n_actors,
        n_targets=n_targets,
        families=inp.families,
        interactions=(None if actions is None else tuple(actions), totals),
        new_account_base=_new_account_base(events, entities, first_ts),
        action_values=_action_values(events),
        hourly_rhythm=_hourly_rhythm(events),
        type_edges=_type_edges(events),
        owner_totals=_owner_totals(events, list(inp.roles.owner_actions), actions),
        arrival=_arrivals(events, first_ts, row[5]),
    )
    return ctx, {"events": n_events, "nodes": n_nodes, "edges": n_pairs}


def _owner_totals(
    events: DataFrame, owner_actions: list[str], actions: list[str] | None
) -> tuple[int, int, int] | None:
    """:func:`ringlens.rings.features.owner_totals` of the run, in Spark: each owned
    target's first owner (earliest ownership event, then the smallest node: type, id),
    and the distinct accounts, owners and account-owner pairs of the interactions with
    targets another account owns."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if not owner_actions:
        return None
    first = Window.partitionBy("tkey").orderBy("ts", "actor_type", "actor_id")
    owners = (
        events.filter(F.col("action").isin(owner_actions))
        .withColumn("_r", F.row_number().over(first))
        .filter(F.col("_r") == 1)
        .select("tkey", F.col("akey").alias("okey"))
    )
    inter = events if actions is None else events.filter(F.col("action").isin(actions))
    r = (
        inter.select("akey", "tkey")
        .join(owners, on="tkey")
        .filter(F.col("akey") != F.col("okey"))
        .agg(F.countDistinct("akey"), F.countDistinct("okey"), F.countDistinct("akey", "okey"))
        .collect()[0]
    )
    return (int(r[0]), int(r[1]), int(r[2])) if int(r[2]) else None


def _type_edges(events: DataFrame) -> dict[str, int]:
    """:func:`ringlens.rings.expand.type_edges` of the run, in Spark."""
    from pyspark.sql import functions as F

    rows = events.groupBy("target_type").agg(F.countDistinct("akey", "tkey").alias("n")).collect()
    return {str(r["target_type"]): int(r["n"]) for r in sorted(rows, key=lambda r: r[0])}


# ------------------------------------------------------------------ family units


def _unit_frame(events: DataFrame, unit: FamilyUnit, index: int) -> DataFrame:
    """The unit's events (:func:`ringlens.spark.partition.unit_events`), tagged."""
    from pyspark.sql import functions as F

    cond = F.lit(False)
    for conds in unit.conditions():
        one = F.lit(True)
        for col, names in conds:
            one = one & F.col(col).isin(list(names))
        cond = cond | one
    own = events.filter(cond)
    if unit.reach:
        actors = own.select("akey").distinct()
        targets = events.join(actors, "akey", "left_semi").select("tkey").distinct()
        own = events.join(targets, "tkey", "left_semi")
    return own.select(F.lit(index).cast("long").alias("part"), *EVENT_COLUMNS)


def _unit_batches(
    batches: Iterator[pa.RecordBatch], *, units: Sequence[FamilyUnit], template: DetectInput
) -> Iterator[pa.RecordBatch]:
    """Detect each unit of the Spark partition on its own events (local detectors)."""
    df = _collect(batches)
    if df is None:
        return
    rows: list[tuple[str, int, bytes]] = []
    for (i,), ev in df.partition_by("part", as_dict=True).items():
        found = detect_unit(ev.drop("part"), unit=units[int(i)], template=template)  # type: ignore[call-overload]
        rows += [
            ("candidates", int(i), _frame_bytes(found.candidates)),  # type: ignore[call-overload]
            ("signals", int(i), _frame_bytes(found.signals)),  # type: ignore[call-overload]
            ("targets", int(i), _frame_bytes(found.targets)),  # type: ignore[call-overload]
            ("bursts", int(i), _frame_bytes(found.bursts)),  # type: ignore[call-overload]
            ("counts", int(i), json.dumps(found.counts).encode()),  # type: ignore[call-overload]
        ]
    yield _payload(rows)


def _unit_entities(entities: DataFrame, context: RunContext) -> pl.DataFrame:
    """The entities' rows the units need (:func:`ringlens.spark.partition.unit_entities`),
    selected in Spark and collected."""
    from pyspark.sql import functions as F

    cols = [c for c in ("created_at", "market") if c in entities.columns]
    keep = F.lit(False)
    if "created_at" in cols and context.first_ts is not None:
        cutoff = context.first_ts - timedelta(days=NEW_ACCOUNT_DAYS)
        keep = keep | (F.col("created_at") >= F.lit(cutoff))
    if "market" in cols and context.families is not None:
        types = context.families["actor_type"].unique().to_list()
        # the entity types as the graph stores names (ringlens.graph.roles.normalised)
        name = F.lower(F.trim(F.regexp_replace(F.col("entity_type"), r"[ \t\r\n]+", " ")))
        account = name.isin(types)
        keep = keep | (account & F.col("market").isNotNull())
    rows = entities.filter(F.coalesce(keep, F.lit(False))).select("entity_type", "entity_id", *cols)
    out = pl.from_arrow(rows.toArrow())
    assert isinstance(out, pl.DataFrame)
    if "created_at" in cols:
        out = out.with_columns(pl.col("created_at").dt.convert_time_zone("UTC"))
    return out


def detect_units(
    events: DataFrame,
    entities: DataFrame | None = None,
    *,
    context: RunContext,
    config: Config,
    partitions: int,
) -> tuple[dict[str, Found], dict[str, int], int]:
    """The family stage in Spark: every unit of the run's detectors detected on its own
    events on one worker, merged on the driver (:func:`ringlens.spark.partition.merge_units`).
    With ``entities``, the run's new accounts and the accounts' markets go to the units in
    the template (:func:`ringlens.spark.partition.with_run_entities`).

    Returns the findings per detector, the detectors' counts and the number of units."""
    assert context.families is not None
    template = family_input(context.families, config=config)
    if entities is not None:
        template = with_run_entities(
            template,
            _unit_entities(entities, context),
            first_ts=context.first_ts,
            rate=context.new_account_base,
        )
    units, names = plan_units(template)
    if not units:
        return merge_units([], names) + (0,)
    frames = [_unit_frame(events, u, i) for i, u in enumerate(units)]
    union = functools.reduce(lambda a, b: a.unionByName(b), frames)
    fn = functools.partial(_unit_batches, units=units, template=template)
    n = max(1, min(partitions, len(units)))
    rows = union.repartition(n, "part").mapInArrow(fn, _PAYLOAD_SCHEMA).collect()
    got: dict[int, dict[str, Any]] = {}
    for kind, i, payload in rows:
        raw = bytes(payload)
        got.setdefault(int(i), {})[kind] = json.loads(raw) if kind == "counts" else _frame_from(raw)
    found = [
        (
            units[i],
            Found(
                candidates=g["candidates"],
                signals=g["signals"],
                targets=g["targets"],
                counts=g["counts"],
                bursts=g["bursts"],
            ),
        )
        for i, g in sorted(got.items())
    ]
    merged, counts = merge_units(found, names)
    return merged, counts, len(units)


# ------------------------------------------------------------------ PageRank


def _ppr_batches(
    batches: Iterator[pa.RecordBatch],
    *,
    seeds: list[str],
    n_seeds: int,
    n_nodes: int,
    accounts: tuple[str, ...],
) -> Iterator[pa.RecordBatch]:
    from ringlens.graph import build_graph
    from ringlens.pipeline.signals import account_keys

    df = _collect(batches)
    if df is None:
        return
    g = build_graph(df.select(EVENT_COLUMNS))
    p = ppr_partition(g, seeds=seeds, n_seeds=n_seeds, n_nodes=n_nodes)
    out = p.filter(account_keys(accounts) & ~pl.col("is_seed")).select("key", "ppr", "ppr_lift")
    yield from out.to_arrow().to_batches()


def _near_signals(
    parted: DataFrame,
    *,
    labels: pl.DataFrame | None,
    context: RunContext,
    n_nodes: int,
    partitions: int,
) -> tuple[pl.DataFrame | None, list[str]]:
    """``near_confirmed_bad`` of the run (None without confirmed labels in the events)
    and the seeds present: PageRank per partition, ranked over every account."""
    from pyspark.sql import functions as F

    if labels is None:
        return None, []
    seeds = (
        labels.filter(pl.col("label") == "confirmed")
        .select(pl.concat_str("entity_type", pl.lit(":"), "entity_id"))
        .to_series()
        .unique()
        .sort()
        .to_list()
    )
    if not seeds:
        return None, []
    spark = parted.sparkSession
    seed_df = spark.createDataFrame([(s,) for s in seeds], "key string")
    present = sorted(
        r[0]
        for r in parted.select(F.col("akey").alias("key"))
        .unionByName(parted.select(F.col("tkey").alias("key")))
        .distinct()
        .join(seed_df, "key", "left_semi")
        .collect()
    )
    if not present:
        log.info(
            "labels: no confirmed entity appears in these events; no near_confirmed_bad signal"
        )
        return None, []
    assert context.families is not None
    fn = functools.partial(
        _ppr_batches,
        seeds=present,
        n_seeds=len(present),
        n_nodes=n_nodes,
        accounts=account_types(family_input(context.families).roles),
    )
    ppr = parted.select(*EVENT_COLUMNS, "part").repartition(partitions, "part")
    ppr = ppr.mapInArrow(fn, _PPR_SCHEMA).persist()
    n_accounts = ppr.count()
    k = int(math.ceil(0.01 * n_accounts)) + 1
    cut = ppr.orderBy(F.desc("ppr_lift")).limit(k).agg(F.min("ppr_lift")).collect()[0][0]
    near = pl.DataFrame(schema=SIGNAL_SCHEMA)
    if cut is not None:
        top = pl.from_arrow(ppr.filter(F.col("ppr_lift") >= cut).toArrow())
        assert isinstance(top, pl.DataFrame)
        near = near_confirmed_bad(top, n_accounts=n_accounts)
    ppr.unpersist()
    return near, present


# ------------------------------------------------------------------ rings and scores


def _part_entities(df: pl.DataFrame) -> pl.DataFrame:
    ents = df.filter(pl.col("_kind") == 1).select(
        *[pl.col(f"e_{c}").alias(c) for c in ENTITY_COLUMNS]
    )
    if ents.height:
        return ents
    # the local run passes a table without these entities: not the same as no table
    return pl.DataFrame({"entity_type": [_NO_ENTITY], "entity_id": [_NO_ENTITY]}).with_columns(
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("created_at"),
        pl.lit(None, dtype=pl.String).alias("market"),
        pl.lit(None, dtype=pl.String).alias("display_name"),
        pl.lit(None, dtype=pl.Int64).alias("prior_violations"),
    )


def _score_batches(
    batches: Iterator[pa.RecordBatch],
    *,
    context: RunContext,
    found: Mapping[str, Found],
    config: Config,
    policy: Policy,
    with_entities: bool,
) -> Iterator[pa.RecordBatch]:
    """Score the whole components of one Spark partition with the local code."""
    from ringlens.graph import build_graph

    df = _collect(batches)
    if df is None:
        return
    t = time.perf_counter()
    events = df.filter(pl.col("_kind") == 0).select(EVENT_COLUMNS)
    if events.height == 0:
        return
    graph = build_graph(events)
    keys = graph.nodes.select("key")
    near = df.filter(pl.col("_kind") == 2).select(
        pl.col("s_key").alias("key"),
        pl.lit("near_confirmed_bad").alias("reason"),
        pl.col("s_strength").alias("strength"),
    )
    ctx = context.with_found(part_found(found, keys)).with_near(near)
    res = score_partition(
        graph,
        context=ctx,
        entities=_part_entities(df) if with_entities else None,
        config=config,
        policy=policy,
    )
    res.timings["partition_total"] = round(time.perf_counter() - t, 3)
    meta = json.dumps({"counts": res.counts, "timings": res.timings}).encode()
    yield _payload(
        [
            ("rings", 0, _frame_bytes(res.rings)),
            ("entities", 0, _frame_bytes(res.entities)),
            ("membership", 0, _frame_bytes(res.membership)),
            ("meta", 0, meta),
        ]
    )


def _part_union(
    parted: DataFrame, node_part: DataFrame, entities: DataFrame | None, near: pl.DataFrame | None
) -> DataFrame:
    """One frame per partition: events (``_kind`` 0), entities (1), near signals (2)."""
    from pyspark.sql import functions as F

    def nulls(names: Sequence[str], types: Sequence[str], prefix: str = "") -> list[Any]:
        return [F.lit(None).cast(t).alias(prefix + c) for c, t in zip(names, types, strict=True)]

    null_ev = nulls(EVENT_COLUMNS, _EVENT_TYPES)
    null_ent = nulls(ENTITY_COLUMNS, _ENTITY_TYPES, "e_")
    null_sig = nulls(("s_key", "s_strength"), ("string", "double"))
    kind = F.lit(0).cast("int").alias("_kind")
    union = parted.select("part", kind, *EVENT_COLUMNS, *null_ent, *null_sig)
    if entities is not None:
        e = entities.withColumn("key", F.concat_ws(":", "entity_type", "entity_id"))
        e = e.join(node_part, "key").select(
            "part",
            F.lit(1).cast("int").alias("_kind"),
            *null_ev,
            *[F.col(c).alias(f"e_{c}") for c in ENTITY_COLUMNS],
            *null_sig,
        )
        union = union.unionByName(e)
    if near is not None and near.height:
        spark = parted.sparkSession
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
    return union


def _score_parts(
    union: DataFrame, fn: Callable[..., Any], partitions: int
) -> list[PartitionResult]:
    rows = union.repartition(partitions, "part").mapInArrow(fn, _PAYLOAD_SCHEMA).collect()
    by_kind: dict[str, list[bytes]] = {}
    for kind, _, payload in rows:
        by_kind.setdefault(kind, []).append(bytes(payload))
    parts = []
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
    return parts


# ------------------------------------------------------------------ the job


class _Laps:
    """Wall time of each step (``report["timings"]``), logged as it ends."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def __call__(self, name: str) -> None:
        self.timings[name] = round(time.perf_counter() - self._t, 3)
        log.info("spark step %s: %.2fs", name, self.timings[name])
        self._t = time.perf_counter()


def _read(
    spark: SparkSession, events: Any, entities: Any, labels: Any, cfg: Config, validate: bool
) -> tuple[DataFrame, DataFrame | None, pl.DataFrame | None]:
    from ringlens.spark.ingest import read_entities, read_events, read_labels

    opts = InputOptions.from_settings(cfg)
    ev = read_events(
        spark, events, columns=dict(cfg.input.columns), validate=validate, options=opts
    )
    ent = read_entities(spark, entities, options=opts) if entities is not None else None
    lab = None
    if labels is not None:
        lab = (
            labels if isinstance(labels, pl.DataFrame) else read_labels(spark, labels, options=opts)
        )
    return _keyed(ev).persist(), ent, lab


def _partitions(
    ev: DataFrame, *, cfg: Config, max_component_events: int, components: str
) -> tuple[DataFrame, DataFrame, dict[str, Any]]:
    """Events with their ``part`` (whole components), node key → part, the cut report."""
    from pyspark.sql import functions as F

    from ringlens.spark.graph import assign_partitions

    evp, report = assign_partitions(
        ev,
        max_component_events=max_component_events,
        max_target_degree=int(cfg.graph.max_target_degree),
        method=components,
    )
    evp = evp.persist()
    node_part = (
        evp.select(F.col("akey").alias("key"), "part")
        .unionByName(evp.select(F.col("tkey").alias("key"), "part"))
        .distinct()
        .persist()
    )
    return evp, node_part, report


def _parts_report(parts: Sequence[PartitionResult]) -> dict[str, Any]:
    return {
        "scored_partitions": len(parts),
        "max_partition_seconds": max((p.timings["partition_total"] for p in parts), default=0.0),
    }


def _run_id(
    cfg: Config,
    pol: Policy,
    counts: Mapping[str, int],
    fingerprint: str | None,
    entities: DataFrame | None,
    labels: pl.DataFrame | None,
) -> str:
    """The run id :func:`ringlens.pipeline.score` gives (graph sizes, or the input
    ``fingerprint`` as :func:`ringlens.pipeline.run`), with the tables' fingerprints:
    the labels' as ``score`` takes them, the entities' from a checksum of their rows in
    Spark (so the same events without an entities table get ``score``'s id)."""
    from pyspark.sql import functions as F

    ent = None
    if entities is not None:
        row = entities.agg(F.count(F.lit(1)), F.sum(F.xxhash64(*entities.columns))).collect()[0]
        ent = f"spark:{int(row[0])}:{int(row[1] or 0)}"
    return run_id_for(
        config=cfg,
        policy=pol,
        n_nodes=counts["nodes"],
        n_edges=counts["edges"],
        n_events=counts["events"],
        fingerprint=fingerprint,
        tables={"entities": ent, "labels": frame_fingerprint(labels)},
    )


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
        The run id, or the input fingerprint it comes from (:func:`ringlens.pipeline.run`;
        default: from the config, graph sizes and tables as :func:`ringlens.pipeline.score`
        does; an entities table in Spark has its own fingerprint, so that id differs).
    partitions
        Spark partitions for units and scoring (default: one per 500k events, at most
        the shuffle partitions' count).
    max_component_events
        Components above this are cut (:func:`ringlens.spark.graph.assign_partitions`;
        a cut changes results, see there).
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
    from ringlens.spark.session import get_session

    cfg = config or Config()
    pol = policy or load_policy()
    _, notices = checked_catalogue(cfg, pol)  # a settings mistake fails before the work
    spark = spark or get_session()
    lap = _Laps()
    ev, ent_df, lab = _read(spark, events, entities, labels, cfg, validate)
    lap("ingest")
    ctx, counts = run_context(ev, config=cfg, entities=ent_df)
    shuf = int(spark.conf.get("spark.sql.shuffle.partitions") or 4)
    n_parts = partitions or max(1, min(shuf, math.ceil(counts["events"] / 500_000)))
    lap("run context")
    found, cand_counts, n_units = detect_units(ev, ent_df, context=ctx, config=cfg, partitions=shuf)
    lap("detect (family units)")
    evp, node_part, part_report = _partitions(
        ev, cfg=cfg, max_component_events=max_component_events, components=components
    )
    lap("components")
    near, seeds = _near_signals(
        evp, labels=lab, context=ctx, n_nodes=counts["nodes"], partitions=n_parts
    )
    if near is not None:
        cand_counts["near_confirmed_bad"] = near.height
        lap("personalised pagerank")
    with_ent = ent_df is not None
    fn = functools.partial(
        _score_batches, context=ctx, found=found, config=cfg, policy=pol, with_entities=with_ent
    )
    parts = _score_parts(_part_union(evp, node_part, ent_df, near), fn, n_parts)
    lap("rings and scores")
    rid = run_id or _run_id(cfg, pol, counts, fingerprint, ent_df, lab)
    rings, ents, queue, memb, report = finish(
        parts, run_id=rid, config=cfg, policy=pol, labels=lab, counts=counts, candidates=cand_counts
    )
    assert ctx.families is not None
    cov = run_coverage(family_input(ctx.families, config=cfg, labels=lab), seeds=seeds)
    report.update(coverage=cov.to_dict(), **({"notices": notices} if notices else {}))
    lap("merge and policy")
    report["timings"] = dict(lap.timings)
    report["spark"] = {
        "version": spark.version,
        "partitions": n_parts,
        "units": n_units,
        **_parts_report(parts),
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
        timings=lap.timings,
        bursts=Found.concat(list(found.values())).bursts,
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
    sel = mine.unionByName(around).distinct().select(*EVENT_COLUMNS)
    df = pl.from_arrow(sel.toArrow())
    assert isinstance(df, pl.DataFrame)
    return build_graph(df)
