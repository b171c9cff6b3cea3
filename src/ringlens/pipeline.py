"""The whole job: events → graph → detectors → rings → scores → policy → queue → outputs.

:func:`detect` runs every detector and returns ring candidates and entity signals;
:func:`score` does everything in memory and returns a :class:`RunResult`;
:func:`run` also writes the run folder (all-or-nothing), the queue database (one
transaction, reviewers' work kept) and the investigator views.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from ringlens import __version__
from ringlens._memory import rss_bytes
from ringlens.config import Config, load_config, parse_duration
from ringlens.context import RunContext
from ringlens.exceptions import InputError
from ringlens.graph import EventGraph, build_graph
from ringlens.rings.core import CANDIDATE_SCHEMA, build_rings
from ringlens.rings.expand import dense_cores, expand_candidates, split_candidates
from ringlens.risk.model import SIGNAL_SCHEMA, score_entities, score_rings
from ringlens.risk.policy import Policy, apply_policy, load_policy

log = logging.getLogger(__name__)

__all__ = ["Detections", "RunResult", "detect", "score", "run", "LOCKSTEP_FAMILIES"]

#: Lockstep runs separately per family: reason code → the lockstep preset it uses
#: (actions, actor and target types; see ringlens.detect.lockstep.LOCKSTEP_PRESETS).
LOCKSTEP_FAMILIES: tuple[tuple[str, str], ...] = (
    ("lockstep_orders", "brushing"),
    ("lockstep_clicks", "affiliate_fraud"),
    ("lockstep_engagement", "mutual_boost"),
)
ACCOUNT_TYPES = ("creator", "buyer", "seller")

Progress = Callable[[str], Any]


@dataclass
class Detections:
    """What the detectors found: ring candidates and per-entity signals."""

    candidates: pl.DataFrame
    signals: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class RunResult:
    """A scored run.

    Attributes
    ----------
    rings, entities, queue : polars.DataFrame
        Scored rings, scored entities, the enforcement queue.
    report : dict
        Counts, timings, policy report, settings (what goes into ``run.json``).
    graph : EventGraph
        The event graph (for views and notebooks).
    """

    rings: pl.DataFrame
    entities: pl.DataFrame
    queue: pl.DataFrame
    report: dict[str, Any]
    graph: EventGraph
    membership: pl.DataFrame
    run_dir: Path | None = None

    def to_frame(self) -> pl.DataFrame:
        return self.queue


class _Timer:
    """Seconds per step, and the resident memory after it (MiB), for run.json."""

    def __init__(self, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self.memory: dict[str, int] = {}
        self.progress = progress

    @contextmanager
    def __call__(self, name: str, *, show: bool = True) -> Iterator[None]:
        """Time the block as step ``name`` (shown by ``progress`` unless not ``show``)."""
        t = time.perf_counter()
        if self.progress is not None and show:
            with self.progress(name):
                yield
        else:
            yield
        self.timings[name] = round(time.perf_counter() - t, 3)
        self.memory[name] = rss_bytes() // 2**20
        log.info("step %s: %.2fs, %d MiB resident", name, self.timings[name], self.memory[name])


def _candidates_from(groups: pl.DataFrame, detector: str) -> pl.DataFrame:
    return groups.select(
        pl.lit(detector).alias("detector"),
        pl.col("candidate").cast(pl.String),
        pl.col("key").cast(pl.String),
        pl.col("strength").cast(pl.Float64).clip(0.0, 1.0),
    )


def lockstep_presets(config: Config) -> list[tuple[str, dict[str, Any]]]:
    """``(reason, lockstep keyword arguments)`` of each lockstep run of :func:`detect`:
    the family's preset with the configured thresholds (the Spark engine reads the event
    filters from here too).

    Examples
    --------
    >>> [(r, p["actions"]) for r, p in lockstep_presets(load_config(env={}))][2]
    ('lockstep_engagement', ['like', 'comment', 'share', 'follow'])
    """
    from ringlens.detect.lockstep import LOCKSTEP_PRESETS

    d = config["detect"]
    out = []
    for reason, preset_name in LOCKSTEP_FAMILIES:
        preset = dict(LOCKSTEP_PRESETS[preset_name])
        preset.update(min_targets=d["lockstep_min_targets"], min_bursts=d["lockstep_min_bursts"])
        if preset_name == "mutual_boost":
            # follows in the same bursts are part of boosting (creators following each other)
            preset.update(
                actions=["like", "comment", "share", "follow"], target_types=["content", "creator"]
            )
        out.append((reason, preset))
    return out


def detect(
    graph: EventGraph,
    *,
    config: Config | None = None,
    entities: pl.DataFrame | None = None,
    labels: pl.DataFrame | None = None,
    timer: Callable[[str], Any] | None = None,
    context: RunContext | None = None,
) -> Detections:
    """Run every detector; return ring candidates and entity signals (see ringlens.risk).

    Detectors: lockstep per action family (orders, affiliate clicks, engagement),
    shared devices and payout accounts, personalised PageRank from confirmed labels, and
    account age / prior violations from the entities table. Dense-block peeling runs per
    ring in :func:`ringlens.rings.expand.dense_cores`. With a ``context`` (``graph`` is
    part of a larger run) the lockstep data periods and the first event time are the
    run's, and its ``near_confirmed_bad`` signals are added.
    """
    from ringlens.context import family_key
    from ringlens.detect.centrality import personalized_pagerank
    from ringlens.detect.lockstep import lockstep
    from ringlens.detect.shared import shared_attributes

    cfg = config or load_config(env={})
    d = cfg["detect"]
    window = parse_duration(d["lockstep_window"], key="detect.lockstep_window")
    t = timer or (lambda name: _nullcontext())
    cands: list[pl.DataFrame] = []
    sigs: list[pl.DataFrame] = []
    counts: dict[str, int] = {}
    for reason, preset in lockstep_presets(cfg):
        span = (
            context.lockstep_spans.get(
                family_key(
                    preset.get("actions"), preset.get("actor_types"), preset.get("target_types")
                )
            )
            if context is not None
            else None
        )
        with t(f"lockstep ({reason.removeprefix('lockstep_')})"):
            res = lockstep(
                graph,
                window=window,
                min_actors=d["lockstep_min_actors"],
                max_target_degree=cfg.get("graph.max_target_degree"),
                span_us=span,
                **preset,
            )
        members = res.to_frame().filter(pl.col("role") == "actor")
        grp = members.join(res.groups.select("group", "synchrony"), on="group").select(
            pl.col("group").alias("candidate"), "key", pl.col("synchrony").alias("strength")
        )
        counts[reason] = res.groups.height
        cands.append(_candidates_from(grp, reason))
        sigs.append(grp.select("key", pl.lit(reason).alias("reason"), "strength"))
    with t("shared attributes"):
        sh = shared_attributes(
            graph,
            max_household=d["shared_max_household"],
            min_group=d["shared_min_group"],
        )
    counts["shared_attributes"] = sh.groups.height
    actors = (
        sh.to_frame()
        .filter(pl.col("role") == "actor")
        .join(sh.groups.select("group", "score", "attribute_types"), on="group")
    )
    cands.append(
        _candidates_from(
            actors.select(
                pl.col("group").alias("candidate"), "key", pl.col("score").alias("strength")
            ),
            "shared",
        )
    )
    kinds = actors.select("key", "score", "attribute_types").explode("attribute_types")
    sigs.append(
        kinds.select(
            "key",
            pl.when(pl.col("attribute_types") == "payment")
            .then(pl.lit("shared_payout"))
            .otherwise(pl.lit("shared_device"))
            .alias("reason"),
            pl.col("score").cast(pl.Float64).clip(0.0, 1.0).alias("strength"),
        )
    )
    # labels may name entities that are not in this batch of events: use the ones that are
    seeds = (
        labels.filter(pl.col("label") == "confirmed")
        .select(pl.concat_str("entity_type", pl.lit(":"), "entity_id").alias("key"))
        .join(graph.nodes.select("key"), on="key", how="semi")["key"]
        .to_list()
        if labels is not None
        else []
    )
    if labels is not None and not seeds and labels.filter(pl.col("label") == "confirmed").height:
        log.info(
            "labels: no confirmed entity appears in these events; no near_confirmed_bad signal"
        )
    if seeds:
        with t("personalised pagerank"):
            ppr = personalized_pagerank(graph, seeds=seeds)
        ranked = ppr.filter(
            pl.col("key").str.contains(f"^({'|'.join(ACCOUNT_TYPES)}):") & ~pl.col("is_seed")
        ).with_columns((pl.col("ppr").rank("average") / pl.len()).alias("pct"))
        near = ranked.filter((pl.col("pct") >= 0.99) & (pl.col("ppr_lift") > 1.0))
        sigs.append(
            near.select(
                "key",
                pl.lit("near_confirmed_bad").alias("reason"),
                ((pl.col("pct") - 0.99) / 0.01).clip(0.2, 1.0).alias("strength"),
            )
        )
        counts["near_confirmed_bad"] = near.height
    if context is not None and context.near_signals is not None and context.near_signals.height:
        sigs.append(context.near_signals.select(SIGNAL_SCHEMA.names()))
    if entities is not None and entities.height:
        first: Any = (
            context.first_ts
            if context is not None and context.first_ts is not None
            else graph.events["ts"].min()
        )
        ent = entities.select(
            pl.concat_str("entity_type", pl.lit(":"), "entity_id").alias("key"),
            "created_at",
            "prior_violations",
        )
        seen = graph.nodes.select("key")
        ent = ent.join(seen, on="key", how="semi")
        new = ent.filter(pl.col("created_at") >= first - timedelta(days=60))
        sigs.append(
            new.select("key", pl.lit("new_account").alias("reason"), pl.lit(1.0).alias("strength"))
        )
        pv = ent.filter(pl.col("prior_violations") > 0)
        sigs.append(
            pv.select(
                "key",
                pl.lit("prior_violations").alias("reason"),
                (1.0 - pl.lit(0.5).pow(pl.col("prior_violations").cast(pl.Float64))).alias(
                    "strength"
                ),
            )
        )
    candidates = (
        pl.concat([c.cast(CANDIDATE_SCHEMA) for c in cands])
        if cands
        else pl.DataFrame(schema=CANDIDATE_SCHEMA)
    )
    signals = (
        pl.concat([s.cast(SIGNAL_SCHEMA) for s in sigs])
        if sigs
        else pl.DataFrame(schema=SIGNAL_SCHEMA)
    )
    signals = signals.group_by("key", "reason").agg(pl.col("strength").max()).sort("key", "reason")
    return Detections(
        candidates=candidates.sort("detector", "candidate", "key"), signals=signals, counts=counts
    )


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield


def _fingerprint(paths: Sequence[Path], *, content: bool = True) -> str:
    """Hash of the input files: of every byte, or (``content=False``, what the Spark engine
    uses for inputs too large to read twice) of names, sizes and mtimes, prefixed ``meta-``."""
    h = hashlib.blake2b(digest_size=16)
    if not content:
        for p in paths:
            st = p.stat()
            h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return "meta-" + h.hexdigest()
    for p in paths:
        h.update(p.name.encode())
        with p.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
    return h.hexdigest()


def run_id_for(
    *,
    config: Config,
    policy: Policy,
    n_nodes: int = 0,
    n_edges: int = 0,
    n_events: int = 0,
    fingerprint: str | None = None,
) -> str:
    """The run id of a run, for both engines: from the input files' fingerprint (``run``),
    or, when the input is a frame (``score``), from the graph sizes."""
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


def _same_inputs(paths: Sequence[Path], fingerprint: str | None) -> bool:
    """Do ``paths`` still have the ``fingerprint`` a run recorded (of either kind)?"""
    if not fingerprint:
        return False
    return _fingerprint(paths, content=not fingerprint.startswith("meta-")) == fingerprint


def score(
    events: pl.DataFrame | pl.LazyFrame | EventGraph,
    *,
    entities: pl.DataFrame | None = None,
    labels: pl.DataFrame | None = None,
    config: Config | None = None,
    policy: Policy | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
    context: RunContext | None = None,
) -> RunResult:
    """Score events in memory: rings, entities and the queue (nothing is written).

    ``context`` is for scoring part of a larger run (the Spark engine's partitions): the
    run-wide quantities it carries replace the ones this part would compute from its own
    events (see :mod:`ringlens.context`).

    Examples
    --------
    >>> from ringlens.synth import SynthConfig, generate
    >>> data = generate(SynthConfig(n_events=20_000, rings_per_pattern=1, seed=11))
    >>> res = score(data.events, entities=data.entities, labels=data.labels)
    >>> res.rings.height > 0 and res.queue.columns[:3] == ["queue_item_id", "entity_type", "entity_id"]
    True
    """
    cfg = config or load_config(env={})
    pol = policy or load_policy()
    timer = _Timer(progress)
    if isinstance(events, EventGraph):
        graph = events
    else:
        with timer("build graph"):
            graph = build_graph(events)
    det = detect(graph, config=cfg, entities=entities, labels=labels, timer=timer, context=context)
    d = cfg["detect"]
    window = parse_duration(d["lockstep_window"], key="detect.lockstep_window")
    with timer("expand candidates"):
        cands = split_candidates(graph, det.candidates, min_size=d["min_ring_size"])
        cands = expand_candidates(
            graph,
            cands,
            window=window,
            max_target_degree=cfg.get("graph.max_target_degree"),
        )
    with timer("rings"):
        rings = build_rings(
            graph,
            cands,
            entities=entities,
            min_size=d["min_ring_size"],
            burst_window=window,
            context=context,
        )
    with timer("dense blocks"):
        cores = dense_cores(graph, rings.membership, min_rows=d["dense_min_rows"])
    signals = pl.concat(
        [
            det.signals,
            cores.select("key", pl.lit("dense_block").alias("reason"), "strength").cast(
                SIGNAL_SCHEMA
            ),
        ]
    )
    weights = cfg.get("score.weights")
    with timer("score"):
        rings_scored = score_rings(rings.rings, rings.membership, signals, weights=weights)
        ents = score_entities(
            signals,
            rings=rings_scored,
            membership=rings.membership,
            weights=weights,
            nodes=graph.nodes,
        )
        if entities is not None and entities.height:
            ents = ents.join(
                entities.select("entity_type", "entity_id", "market", "display_name"),
                on=["entity_type", "entity_id"],
                how="left",
            )
        else:
            ents = ents.with_columns(
                pl.lit(None, dtype=pl.String).alias("market"),
                pl.lit(None, dtype=pl.String).alias("display_name"),
            )
    rid = run_id or run_id_for(
        config=cfg,
        policy=pol,
        n_nodes=graph.n_nodes,
        n_edges=graph.n_edges,
        n_events=graph.events.height,
    )
    with timer("policy"):
        queue, qreport = apply_policy(ents, rings_scored, pol, run_id=rid, labels=labels)
    report = {
        "run_id": rid,
        "version": __version__,
        "seed": d["seed"],
        "counts": {
            "events": graph.events.height,
            "nodes": graph.n_nodes,
            "edges": graph.n_edges,
            "candidates": {k: v for k, v in sorted(det.counts.items())},
            "rings": rings_scored.height,
            "rings_by_pattern": dict(sorted(rings_scored.group_by("pattern").len().iter_rows()))
            if rings_scored.height
            else {},
            "scored_entities": ents.height,
            "queue": queue.height,
        },
        "policy": {"source": pol.source, **qreport},
        "timings": timer.timings,
        "memory_mib": timer.memory,
    }
    return RunResult(
        rings=_ring_output(rings_scored),
        entities=ents,
        queue=queue,
        report=report,
        graph=graph,
        membership=rings.membership,
    )


def _ring_output(rings: pl.DataFrame) -> pl.DataFrame:
    """rings.parquet: ring_id, pattern, risk_score, size, members, reasons, contributions, features."""
    if rings.height == 0:
        return rings
    first = [
        "ring_id",
        "pattern",
        "risk_score",
        "size",
        "members",
        "reasons",
        "contributions",
        "detectors",
        "market",
    ]
    feats = [c for c in rings.columns if c not in first]
    return rings.select(
        *first[:3],
        pl.col("size").cast(pl.Int64),
        *first[4:],
        pl.struct(feats).alias("features"),
        *feats,
    )


def run(
    events: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    out_dir: str | os.PathLike[str],
    entities: str | os.PathLike[str] | None = None,
    labels: str | os.PathLike[str] | None = None,
    config: Config | None = None,
    policy: str | os.PathLike[str] | Policy | None = None,
    database: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Read inputs, score, and write the run folder, queue sinks, database and views.

    ``entities`` and ``labels`` default to ``entities.*`` / ``labels.*`` next to the events
    when ``events`` is a folder that holds them (as ``ringlens synth`` writes).
    """
    from ringlens.io import load_entities, load_events, load_labels, resolve_inputs, scan_events

    cfg = config or load_config()
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    timer = _Timer(progress)
    with timer("ingest"):
        files = resolve_inputs(events, table="events")
        streaming = _use_streaming(files, cfg)
        if streaming:
            lf: pl.DataFrame | pl.LazyFrame = scan_events(files, columns=cfg.get("input.columns"))
        else:
            lf = load_events(files, columns=cfg.get("input.columns"))
        folder = (
            Path(events)
            if isinstance(events, str | os.PathLike) and Path(events).is_dir()
            else None
        )
        ent_src = entities if entities is not None else _beside(folder, "entities")
        lab_src = labels if labels is not None else _beside(folder, "labels")
        ent_df = load_entities(ent_src) if ent_src is not None else None
        lab_df = load_labels(lab_src) if lab_src is not None else None
        fingerprint = _fingerprint(files)
    with timer("build graph"):
        graph = build_graph(lf, streaming=streaming)
    run_id = run_id_for(config=cfg, policy=pol, fingerprint=fingerprint)
    res = score(
        graph,
        entities=ent_df,
        labels=lab_df,
        config=cfg,
        policy=pol,
        run_id=run_id,
        progress=progress,
    )
    res.report["timings"] = {**timer.timings, **res.report["timings"]}
    res.report["memory_mib"] = {**timer.memory, **res.report["memory_mib"]}
    res.report["inputs"] = {
        "events": [str(p) for p in files],
        "entities": None if ent_src is None else str(ent_src),
        "labels": None if lab_src is None else str(lab_src),
        "fingerprint": fingerprint,
    }
    res.report["config"] = cfg.to_dict()
    res.report["config_sources"] = cfg.sources
    with timer("export"):
        res.run_dir = write_outputs(
            res, out_dir=out_dir, config=cfg, database=database, progress=progress
        )
    # "export" is shown as one step; run.json times its parts without overlap: "write
    # files", "views", and (only in the returned report: it runs after run.json is
    # committed) "database"
    timer.timings.pop("export", None)
    timer.memory.pop("export", None)
    res.report["timings"].update(timer.timings)
    return res


def _use_streaming(files: Sequence[Path], cfg: Config) -> bool:
    """Stream the input (several passes, small memory) or read it once into memory?

    ``run.streaming`` = ``always`` / ``never`` decide; ``auto`` streams when the input
    files total more than ``run.streaming_threshold_mb``, or when a memory ceiling is set
    and the in-memory path would need more than half of it. The in-memory path peaks at
    about 40× the Parquet size (12× a CSV's): raw id strings, keys and joins.
    """
    mode = cfg.get("run.streaming")
    if mode not in ("auto", "always", "never"):
        raise InputError(f"run.streaming: expected auto, always or never, got {mode!r}")
    if mode != "auto":
        return bool(mode == "always")
    size = 0.0
    need = 0.0
    for f in files:
        b = f.stat().st_size
        size += b
        need += b * (40 if f.suffix.lower() in (".parquet", ".pq") else 12)
    limit = float(cfg.get("run.memory_limit_gb")) * 2**30
    streaming = size > float(cfg.get("run.streaming_threshold_mb")) * 2**20 or (
        limit > 0 and need > limit / 2
    )
    log.info(
        "ingest: %.0f MB of input, %s path", size / 2**20, "streaming" if streaming else "in-memory"
    )
    return streaming


def _beside(folder: Path | None, name: str) -> Path | None:
    if folder is None:
        return None
    for ext in ("parquet", "csv", "ndjson", "jsonl"):
        p = folder / f"{name}.{ext}"
        if p.is_file():
            return p
    return None


def write_outputs(
    res: RunResult,
    *,
    out_dir: str | os.PathLike[str],
    config: Config,
    database: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the run folder (all-or-nothing), then upsert the queue database."""
    from ringlens.export import RunWriter, open_queue_store
    from ringlens.export._queue_schema import QUEUE_COLUMNS

    out = Path(out_dir)
    sinks = set(config.get("export.sinks"))
    unknown = sinks - {"parquet", "csv", "jsonl", "sqlite", "postgres"}
    if unknown:
        raise InputError(
            f"export.sinks: unknown sink {sorted(unknown)[0]!r} (expected parquet, csv, jsonl, sqlite, postgres)"
        )
    # evidence links only to views that exist: the riskiest viz.max_ring_views rings
    with_view: list[str] = (
        res.rings.head(int(config.get("viz.max_ring_views")))["ring_id"].to_list()
        if config.get("viz.enabled")
        else []
    )
    res.queue = res.queue.with_columns(
        pl.when(pl.col("ring_id").is_in(with_view))
        .then(pl.col("evidence"))
        .otherwise(None)
        .alias("evidence")
    )
    # the caller shows "export" as one step; its parts are timed here (the views shown too)
    timer = _Timer(progress)

    def record() -> None:
        res.report.setdefault("timings", {}).update(timer.timings)
        res.report.setdefault("memory_mib", {}).update(timer.memory)

    with RunWriter(out, run_id=res.report["run_id"]) as stage:
        with timer("write files", show=False):
            stage.write("rings.parquet", res.rings)
            stage.write("entities.parquet", res.entities)
            stage.write("queue.parquet", res.queue)
            if "csv" in sinks:
                stage.write("queue.csv", res.queue)
            if "jsonl" in sinks:
                stage.write("queue.jsonl", res.queue)
        if config.get("viz.enabled"):
            with timer("views"):
                n_views = write_views(res, stage.path / "viz", config=config, previous=out)
            res.report["counts"]["views"] = n_views
        record()
        stage.write("run.json", _jsonable(res.report))
    db = database or os.environ.get("RINGLENS_DATABASE_URL") or config.get("export.database")
    if db and ("sqlite" in sinks or "postgres" in sinks or database):
        target = db if "://" in db or os.path.isabs(db) or database else str(out / db)
        with timer("database", show=False), open_queue_store(target) as store:
            up = store.upsert(
                res.queue.select(QUEUE_COLUMNS),
                run_id=res.report["run_id"],
                requeue_margin=config.get("export.requeue_margin"),
            )
        res.report["database"] = {"target": _redact(target), **up.as_dict()}
        record()  # after run.json was committed: in the returned report only
    return out


def _redact(target: str) -> str:
    from ringlens.export import redact_url

    return redact_url(target)


def write_views(
    res: RunResult, viz_dir: Path, *, config: Config, previous: Path | None = None
) -> int:
    """Ring views for the top rings and the run report, into ``viz_dir``."""
    from ringlens import evidence

    return evidence.write_run_views(res, viz_dir, config=config, previous=previous)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
