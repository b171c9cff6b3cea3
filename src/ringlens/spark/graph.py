"""The event graph in Spark: node keys, aggregated edges, projections, connected components,
and the cut of giant components into partitions.

Node ids are ``xxhash64("type:id")``: no shuffle to number nodes. Two keys with the same
hash only merge their components (a partition then holds both), which never changes a
result, since partitions are scored as unions of whole components.

Connected components
--------------------
GraphFrames' ``connectedComponents`` when its JAR is on the cluster (checked at run time;
the ``graphframes-py`` wheel does not carry the JAR), otherwise the DataFrame-only
large-star / small-star algorithm (Kiveris, Lattanzi, Mirrokni, Rastogi & Vassilvitskii,
"Connected Components in MapReduce and Beyond", SoCC 2014) that GraphFrames itself uses:
O(log² n) rounds of joins and group-bys, no RDD or JVM call, so it also runs over Spark
Connect.

Cutting giant components
------------------------
A partition must fit one Python worker. Components with more than ``max_component_events``
events are cut, by this rule:

1. **Hub removal at the detectors' cap.** A target is a *hub* when more than
   ``graph.max_target_degree`` distinct actors hit it (with ``families``, in every one of
   them that reaches it too). Detection runs on every event before the cut (by family
   unit, :mod:`ringlens.spark.partition`) and candidate expansion leaves such targets out,
   so their events are dropped from the cut component for the rings stage and its
   components are recomputed: ring features that count members' events on hubs
   (camouflage share) may change.
2. **Lower caps.** Pieces still too large are cut again with the cap halved (down to
   ``min_cut_degree``); targets between the caps are then lost to detection in those
   pieces (logged with their counts).
3. A piece still too large after that is scored whole (with a warning): it needs an
   executor with memory for it (see docs/scaling.md).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ringlens.exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger(__name__)

__all__ = [
    "with_keys",
    "aggregate_edges",
    "project",
    "connected_components",
    "graphframes_available",
    "assign_partitions",
]


def _F() -> Any:
    from pyspark.sql import functions as F

    return F


def with_keys(events: DataFrame) -> DataFrame:
    """Add ``akey``/``tkey`` (node keys ``type:id``) and ``aid``/``tid`` (64-bit node ids)."""
    F = _F()
    return (
        events.withColumn("akey", F.concat_ws(":", "actor_type", "actor_id"))
        .withColumn("tkey", F.concat_ws(":", "target_type", "target_id"))
        .withColumn("aid", F.xxhash64("akey"))
        .withColumn("tid", F.xxhash64("tkey"))
    )


def _order_key(t: str, i: str) -> Column:
    """Node-id order of the local graph: (type, id) with a NUL separator."""
    F = _F()
    return F.concat(F.col(t), F.lit("\x00"), F.col(i))


def aggregate_edges(events: DataFrame) -> DataFrame:
    """One row per (actor, target): ``src, dst`` (node keys), ``count``, ``first_ts``,
    ``last_ts``, ``actions`` (sorted distinct), ``amount_sum`` — ``EventGraph.edges_frame()``.

    Examples
    --------
    >>> from ringlens.spark import read_events
    >>> aggregate_edges(read_events(spark, "graphs/demo")).count()  # as many as EventGraph.edges
    154937
    """
    F = _F()
    ev = with_keys(events)
    return ev.groupBy(F.col("akey").alias("src"), F.col("tkey").alias("dst")).agg(
        F.count(F.lit(1)).alias("count"),
        F.min("ts").alias("first_ts"),
        F.max("ts").alias("last_ts"),
        F.array_sort(F.collect_set("action")).alias("actions"),
        F.coalesce(F.sum("amount"), F.lit(0.0)).alias("amount_sum"),
    )


def _filtered(
    ev: DataFrame,
    *,
    actions: list[str] | None,
    actor_types: list[str] | None,
    target_types: list[str] | None,
) -> DataFrame:
    F = _F()
    if actions is not None:
        ev = ev.filter(F.col("action").isin(list(actions)))
    if actor_types is not None:
        ev = ev.filter(F.col("actor_type").isin(list(actor_types)))
    if target_types is not None:
        ev = ev.filter(F.col("target_type").isin(list(target_types)))
    return ev


def project(
    events: DataFrame,
    *,
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    target_types: list[str] | None = None,
    window: timedelta | None = None,
    max_target_degree: int = 1000,
    min_weight: int = 1,
) -> DataFrame:
    """Actor–actor projection in Spark: ``a, b`` (node keys, ``a`` first in node order),
    ``weight`` (distinct shared targets) — :meth:`ringlens.graph.EventGraph.project` then
    ``Projection.to_frame()``, with the same target-degree cap and time window.

    The quadratic step (pairs of actors per target) runs in Spark: targets above
    ``max_target_degree`` are left out first, and with a ``window`` only actors whose first
    hits fall in the same or the next window bucket are paired.
    """
    F = _F()
    if max_target_degree < 0:
        raise ConfigError(f"max_target_degree must be >= 0, got {max_target_degree}")
    if min_weight < 1:
        raise ConfigError(f"min_weight must be >= 1, got {min_weight}")
    if window is not None and window <= timedelta(0):
        raise ConfigError(f"window must be a positive duration, got {window}")
    ev = _filtered(events, actions=actions, actor_types=actor_types, target_types=target_types)
    at = ev.groupBy("actor_type", "actor_id", "target_type", "target_id").agg(
        F.min("ts").alias("ts")
    )
    at = at.withColumn("o", _order_key("actor_type", "actor_id")).withColumn(
        "akey", F.concat_ws(":", "actor_type", "actor_id")
    )
    at = at.withColumn("dst", F.concat_ws(":", "target_type", "target_id")).select(
        "o", "akey", "dst", "ts"
    )
    deg = at.groupBy("dst").agg(F.count(F.lit(1)).alias("degree"))
    keep = deg.filter(F.col("degree") >= 2)
    if max_target_degree:
        keep = keep.filter(F.col("degree") <= max_target_degree)
    at = at.join(keep.select("dst"), "dst", "left_semi")
    r = at.select(
        F.col("o").alias("o_r"), F.col("akey").alias("akey_r"), "dst", F.col("ts").alias("ts_r")
    )
    if window is None:
        pairs = at.join(r, "dst").filter(F.col("o") < F.col("o_r"))
    else:
        w_us = int(window / timedelta(microseconds=1))
        at = at.withColumn("bucket", F.floor(F.unix_micros("ts") / F.lit(w_us)).cast("long"))
        r = r.withColumn(
            "bucket",
            F.explode(
                F.array(
                    F.floor(F.unix_micros("ts_r") / F.lit(w_us)).cast("long"),
                    F.floor(F.unix_micros("ts_r") / F.lit(w_us)).cast("long") + 1,
                )
            ),
        )
        diff = F.abs(F.unix_micros("ts") - F.unix_micros("ts_r"))
        pairs = (
            at.join(r, ["dst", "bucket"])
            .filter((F.col("o") != F.col("o_r")) & (diff <= F.lit(w_us)))
            .select(
                F.when(F.col("o") < F.col("o_r"), F.col("o")).otherwise(F.col("o_r")).alias("o"),
                F.when(F.col("o") < F.col("o_r"), F.col("akey"))
                .otherwise(F.col("akey_r"))
                .alias("akey"),
                F.when(F.col("o") < F.col("o_r"), F.col("akey_r"))
                .otherwise(F.col("akey"))
                .alias("akey_r"),
                F.when(F.col("o") < F.col("o_r"), F.col("o_r")).otherwise(F.col("o")).alias("o_r"),
                "dst",
            )
            .distinct()
        )
    return (
        pairs.groupBy("o", "o_r", F.col("akey").alias("a"), F.col("akey_r").alias("b"))
        .agg(F.count(F.lit(1)).alias("weight"))
        .filter(F.col("weight") >= min_weight)
        .orderBy("o", "o_r")
        .select("a", "b", "weight")
    )


# ------------------------------------------------------------------ connected components


def graphframes_available(spark: SparkSession) -> bool:
    """Whether GraphFrames' JAR is on the cluster's classpath (False over Spark Connect)."""
    from ringlens.spark.session import is_connect

    if is_connect(spark):
        return False
    try:
        import graphframes  # noqa: F401
    except ImportError:
        return False
    try:
        jvm: Any = spark.sparkContext._jvm
        loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
        loader.loadClass("org.graphframes.GraphFrame")
        return True
    except Exception:  # noqa: BLE001 - py4j raises its own errors for a missing class
        return False


def _checkpoint(df: DataFrame) -> DataFrame:
    try:
        return df.localCheckpoint(eager=True)
    except Exception:  # noqa: BLE001 - a backend without checkpoints: cache instead
        df = df.cache()
        df.count()
        return df


def _large_star(e: DataFrame) -> DataFrame:
    F = _F()
    sym = e.select("a", "b").unionByName(e.select(F.col("b").alias("a"), F.col("a").alias("b")))
    m = sym.groupBy("a").agg(F.least(F.min("b"), F.col("a")).alias("m"))
    return (
        sym.join(m, "a")
        .filter(F.col("b") > F.col("a"))
        .select(F.col("b").alias("a"), F.col("m").alias("b"))
        .filter(F.col("a") != F.col("b"))
        .distinct()
    )


def _small_star(e: DataFrame) -> DataFrame:
    F = _F()
    n = e.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v"))
    m = n.groupBy("u").agg(F.min("v").alias("m"))
    out = (
        n.join(m, "u")
        .select(F.col("v").alias("a"), F.col("m").alias("b"))
        .unionByName(m.select(F.col("u").alias("a"), F.col("m").alias("b")))
    )
    return (
        out.filter(F.col("a") != F.col("b"))
        .select(F.greatest("a", "b").alias("a"), F.least("a", "b").alias("b"))
        .distinct()
    )


def connected_components(
    edges: DataFrame,
    *,
    nodes: DataFrame | None = None,
    method: str = "auto",
    max_iterations: int = 100,
) -> DataFrame:
    """Connected components of an undirected graph: ``id`` → ``component`` (the smallest
    node id of the component).

    Parameters
    ----------
    edges
        ``a``, ``b`` (long node ids).
    nodes
        ``id`` of every node (nodes without an edge are their own component); default:
        the edges' endpoints.
    method
        ``"auto"`` (GraphFrames if its JAR is there, else large-star/small-star),
        ``"graphframes"`` or ``"star"``.

    Examples
    --------
    >>> e = spark.createDataFrame([(1, 2), (2, 3), (7, 8)], "a long, b long")
    >>> sorted(connected_components(e, method="star").collect())
    [Row(id=1, component=1), Row(id=2, component=1), Row(id=3, component=1), Row(id=7, component=7), Row(id=8, component=7)]
    """
    F = _F()
    spark = edges.sparkSession
    if method not in ("auto", "graphframes", "star"):
        raise ConfigError(f"method must be 'auto', 'graphframes' or 'star', got {method!r}")
    e = edges.select(F.col("a").cast("long"), F.col("b").cast("long")).filter(
        F.col("a") != F.col("b")
    )
    if nodes is None:
        nodes = e.select(F.col("a").alias("id")).unionByName(e.select(F.col("b").alias("id")))
    nodes = nodes.select(F.col("id").cast("long")).distinct()
    use_gf = method == "graphframes" or (method == "auto" and graphframes_available(spark))
    if method == "graphframes" and not graphframes_available(spark):
        raise ConfigError(
            "components: method 'graphframes' needs the GraphFrames JAR on the cluster "
            "(spark.jars.packages=graphframes:graphframes:…); use method 'star' or 'auto'"
        )
    if use_gf:
        from graphframes import GraphFrame

        sc = spark.sparkContext
        if sc.getCheckpointDir() is None:
            import tempfile

            sc.setCheckpointDir(tempfile.mkdtemp(prefix="ringlens-gf-"))
        g = GraphFrame(nodes, e.select(F.col("a").alias("src"), F.col("b").alias("dst")))
        log.info("components: GraphFrames connectedComponents")
        return g.connectedComponents().select("id", "component")
    cur = _checkpoint(
        e.select(F.greatest("a", "b").alias("a"), F.least("a", "b").alias("b")).distinct()
    )
    for i in range(max_iterations):
        nxt = _checkpoint(_small_star(_large_star(cur)))
        # converged when every edge points at a root: no edge's smaller end is another's larger end
        roots = nxt.select(F.col("b").alias("x")).distinct()
        inner = nxt.select(F.col("a").alias("x")).distinct()
        if roots.join(inner, "x").isEmpty():
            cur = nxt
            log.info("components: large-star/small-star converged in %d rounds", i + 1)
            break
        cur = nxt
    else:
        log.warning("components: no convergence in %d rounds", max_iterations)
    label = cur.select(F.col("a").alias("id"), F.col("b").alias("component"))
    return nodes.join(label, "id", "left").select(
        "id", F.coalesce("component", "id").alias("component")
    )


# ------------------------------------------------------------------ partitions


def _hubs(ev: DataFrame, *, cap: int, families: list[dict[str, Any]]) -> DataFrame:
    """Targets (``tid``) with more than ``cap`` distinct actors overall and in every
    family (filters ``actions``, ``actor_types``, ``target_types``) that reaches them."""
    F = _F()
    deg = ev.groupBy("tid").agg(F.countDistinct("aid").alias("d"))
    hub = deg.filter(F.col("d") > cap).select("tid")
    for fam in families:
        fe = _filtered(
            ev,
            actions=fam["actions"],
            actor_types=fam["actor_types"],
            target_types=fam["target_types"],
        )
        small = fe.groupBy("tid").agg(F.countDistinct("aid").alias("d")).filter(F.col("d") <= cap)
        hub = hub.join(small.select("tid"), "tid", "left_anti")
    return hub


def assign_partitions(
    events: DataFrame,
    *,
    max_component_events: int = 20_000_000,
    max_target_degree: int = 1000,
    min_cut_degree: int = 50,
    families: list[dict[str, Any]] | None = None,
    method: str = "auto",
) -> tuple[DataFrame, dict[str, Any]]:
    """Give every event the ``part`` (a component id) it is scored in; cut giant components.

    Parameters
    ----------
    events
        :func:`with_keys` events.
    max_component_events
        Largest component scored whole (see the module docstring for the cut rule).

    Returns
    -------
    (events, report)
        The events with a ``part`` column (events dropped by a cut are gone) and a report:
        ``components``, ``largest_component_events``, ``cut`` (per cap: pieces, hubs,
        dropped events).
    """
    F = _F()
    fams = families or []
    pairs = events.select(F.col("aid").alias("a"), F.col("tid").alias("b")).distinct()
    comp = connected_components(pairs, method=method)
    comp = _checkpoint(comp)
    ev = events.join(comp.select(F.col("id").alias("aid"), F.col("component").alias("part")), "aid")
    sizes = ev.groupBy("part").agg(F.count(F.lit(1)).alias("n"))
    stats = sizes.agg(F.count(F.lit(1)), F.max("n")).collect()[0]
    report: dict[str, Any] = {
        "components": int(stats[0] or 0),
        "largest_component_events": int(stats[1] or 0),
        "cut": [],
    }
    cap = max_target_degree or max(min_cut_degree, 1000)
    big = sizes.filter(F.col("n") > max_component_events).select("part")
    while not big.isEmpty():
        if cap < min_cut_degree:
            n_big = big.count()
            log.warning(
                "partitions: %d piece(s) above %d events remain after cutting at degree %d: "
                "scored whole",
                n_big,
                max_component_events,
                min_cut_degree,
            )
            report["uncut_pieces"] = n_big
            break
        inside = ev.join(big, "part", "left_semi")
        hubs = _hubs(inside, cap=cap, families=fams)
        kept = inside.join(hubs, "tid", "left_anti")
        dropped = inside.count() - kept.count()
        sub = connected_components(
            kept.select(F.col("aid").alias("a"), F.col("tid").alias("b")).distinct(), method=method
        )
        sub = _checkpoint(sub)
        kept = kept.drop("part").join(
            sub.select(F.col("id").alias("aid"), F.col("component").alias("part")), "aid"
        )
        ev = _checkpoint(ev.join(big, "part", "left_anti").unionByName(kept))
        sizes = kept.groupBy("part").agg(F.count(F.lit(1)).alias("n"))
        st = sizes.agg(F.count(F.lit(1)), F.max("n")).collect()[0]
        report["cut"].append(
            {
                "cap": cap,
                "hubs": hubs.count(),
                "dropped_events": int(dropped),
                "pieces": int(st[0] or 0),
                "largest_piece_events": int(st[1] or 0),
            }
        )
        log.info("partitions: cut at degree %d: %s", cap, report["cut"][-1])
        big = sizes.filter(F.col("n") > max_component_events).select("part")
        cap //= 2
    return ev, report
