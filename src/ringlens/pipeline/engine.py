"""The whole job: events → graph → detectors → rings → scores → policy → queue → outputs.

:func:`detect` runs the registry's graph-stage detectors and returns ring candidates and
entity signals; :func:`score` does everything in memory and returns a
:class:`~ringlens.pipeline.result.RunResult`; :func:`run` also writes the run folder
(all-or-nothing), the queue database (one transaction, reviewers' work kept) and the
investigator views.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import polars as pl

from ringlens.config import Config, effective_threads
from ringlens.export import redact_secrets
from ringlens.graph import EventGraph, build_graph
from ringlens.graph.roles import Roles
from ringlens.io import (
    IngestReport,
    InputOptions,
    load_entities,
    load_events,
    load_labels,
    scan_events,
)
from ringlens.io.events import entities_frame, labels_frame
from ringlens.pipeline.context import RunContext
from ringlens.pipeline.coverage import coverage, family_roles
from ringlens.pipeline.drift import check_previous, input_health
from ringlens.pipeline.inputs import (
    fingerprint,
    frame_fingerprint,
    resolve_run_inputs,
    run_id_for,
    use_streaming,
)
from ringlens.pipeline.outputs import check_outputs, evidence_links, write_outputs
from ringlens.pipeline.registry import DetectInput, Detector, Family, Found, Task, registered
from ringlens.pipeline.result import DROPPED, Detections, RunResult, build_report, ring_output
from ringlens.pipeline.signals import run_new_accounts
from ringlens.pipeline.timing import Progress, Timer
from ringlens.pipeline.vocabulary import Vocabulary, graph_roles
from ringlens.rings.core import NEW_ACCOUNT_APART, build_rings
from ringlens.rings.expand import expand_candidates, split_candidates
from ringlens.rings.patterns import Catalogue, classify, load_catalogue
from ringlens.risk.model import SIGNAL_SCHEMA, resolve_weights, score_entities, score_rings
from ringlens.risk.policy import Policy, apply_policy, load_policy

log = logging.getLogger(__name__)

__all__ = ["Timer", "detect", "run", "score"]


def detect(
    graph: EventGraph,
    *,
    config: Config | None = None,
    entities: pl.DataFrame | None = None,
    labels: pl.DataFrame | None = None,
    timer: Callable[[str], Any] | None = None,
    context: RunContext | None = None,
) -> Detections:
    """Run every graph-stage detector of the registry; return ring candidates and entity
    signals (see :mod:`ringlens.pipeline.registry` and :mod:`ringlens.risk`).

    With a ``context`` (``graph`` is part of a larger run) the run-wide quantities it
    carries replace the ones this part would compute from its own events.

    Examples
    --------
    >>> from ringlens.synth import SynthConfig, generate
    >>> data = generate(SynthConfig(n_events=20_000, rings_per_pattern=1, seed=11))
    >>> det = detect(build_graph(data.events), entities=data.entities)
    >>> det.candidates.columns
    ['detector', 'candidate', 'key', 'strength']
    >>> sorted(r for r in det.signals["reason"].unique() if r.startswith("lockstep"))
    ['lockstep_click', 'lockstep_follow', 'lockstep_purchase']
    """
    entities, labels = _contract_tables(entities, labels)
    return _detect(
        graph, config=config, entities=entities, labels=labels, timer=timer, context=context
    )


def _contract_tables(
    entities: pl.DataFrame | None, labels: pl.DataFrame | None
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """A caller's entities and labels tables in the contract's columns and types
    (:func:`ringlens.io.entities_frame`, :func:`ringlens.io.labels_frame`)."""
    return (
        None if entities is None else entities_frame(entities),
        None if labels is None else labels_frame(labels),
    )


def _detect(
    graph: EventGraph,
    *,
    config: Config | None,
    entities: pl.DataFrame | None,
    labels: pl.DataFrame | None,
    timer: Callable[[str], Any] | None,
    context: RunContext | None,
) -> Detections:
    """:func:`detect` on entities and labels already in the contract's shape."""
    cfg = config or Config()
    vocab = Vocabulary.from_settings(cfg.vocabulary)
    if context is not None and context.families is not None:
        families = context.families  # the run's: a part's shape would give other roles
    else:
        families = family_roles(graph.families(), vocab)
    inp = DetectInput(
        graph=graph,
        config=cfg,
        vocabulary=vocab,
        families=families,
        roles=graph_roles(families),
        entities=entities,
        labels=labels,
        context=context,
    )
    if timer is not None and not isinstance(timer, Timer):
        inp = replace(inp, timer=timer)
    graph_stage = list(registered("graph", disable=cfg.detect.disable))
    assert inp.families is not None
    consumed = [(d.name, fam) for d in graph_stage for fam in d.families(inp)]
    if inp.roles.owner_actions:  # who owns what: ring features and the views read it
        consumed.append(("ring_features", Family(actions=inp.roles.owner_actions)))
    cov = coverage(inp.families, vocabulary=vocab, consumed=consumed, roles=inp.roles)
    if cfg.vocabulary.strict:
        cov.check_strict()
    for line in cov.summary():
        log.warning("coverage: %s", line)
    found = Found.concat(_run_detectors(graph_stage, inp, threads=cfg.run.threads, timer=timer))
    signals = (
        found.signals.group_by("key", "reason").agg(pl.col("strength").max()).sort("key", "reason")
    )
    return Detections(
        candidates=found.candidates,
        signals=signals,
        counts=dict(found.counts),
        coverage=cov,
        roles=inp.roles,
        targets=found.targets,
        bursts=found.bursts,
    )


def _run_detectors(
    detectors: Sequence[Detector],
    inp: DetectInput,
    *,
    threads: int,
    timer: Callable[[str], Any] | None,
) -> list[Found]:
    """Every detector's findings, in registry order whatever order they finish in.

    The detectors are independent reads of one graph, so with more than one thread they run
    side by side: Polars, scipy's sparse products and the dense-block peel release the
    GIL, and each detector's result depends only on its input (igraph's seeded random
    number generator is locked per block), so the findings are the same bits as one by
    one. A :class:`Timer` shows them as one step, ``detectors``, and keeps each
    detector's own steps (which overlap) in ``Timer.parts["detectors"]``; any other
    ``timer`` is called from the worker threads.
    """
    n = min(effective_threads(threads), len(detectors))
    if not isinstance(timer, Timer):  # none, or the caller's own: set on ``inp`` already
        return _detect_all(detectors, inp, n)
    sub = Timer()
    with timer("detectors"):
        found = _detect_all(detectors, replace(inp, timer=sub), n)
    timer.parts["detectors"] = dict(sorted(sub.timings.items()))
    return found


def _detect_all(detectors: Sequence[Detector], inp: DetectInput, threads: int) -> list[Found]:
    """The detectors' findings in their order, their tasks run in ``threads`` threads.

    Every detector's :meth:`~ringlens.pipeline.registry.Detector.tasks` go into one pool:
    the costed ones first, largest first (lockstep's role with the most events starts at
    once instead of after the smaller roles), then the others in run order. Each
    detector combines its tasks' findings in their own order, so the result does not
    depend on the threads."""
    tasks = [_tasks(d, inp) for d in detectors]
    if threads <= 1:
        return [d.combine([t.run() for t in ts]) for d, ts in zip(detectors, tasks, strict=True)]
    flat = [(i, j, t) for i, ts in enumerate(tasks) for j, t in enumerate(ts)]
    start = sorted(range(len(flat)), key=lambda k: (-flat[k][2].cost, k))
    with ThreadPoolExecutor(threads, thread_name_prefix="ringlens-detect") as pool:
        futures = {k: pool.submit(flat[k][2].run) for k in start}
        try:
            done = [futures[k].result() for k in range(len(flat))]
        except BaseException:  # the first failure (or Ctrl-C) ends the stage: the
            for f in futures.values():  # tasks not started yet never start
                f.cancel()
            raise
    parts: list[list[Found]] = [[] for _ in detectors]
    for (i, _, _), found in zip(flat, done, strict=True):
        parts[i].append(found)
    return [d.combine(p) for d, p in zip(detectors, parts, strict=True)]


def _tasks(detector: Detector, inp: DetectInput) -> list[Task]:
    """The detector's tasks: one that returns its findings from the context when it ran
    once over the whole run."""
    ctx = inp.context
    if ctx is not None and detector.name in ctx.found:
        return [Task(run=lambda: ctx.found[detector.name])]
    return detector.tasks(inp)


#: The detectors that propose accounts for acting in step (their candidates are judged
#: by time: :func:`ringlens.rings.expand.split_candidates`, ``build_rings(timing=)``).
TIMING = ("lockstep",)


def _rings(
    graph: EventGraph,
    det: Detections,
    *,
    cfg: Config,
    entities: pl.DataFrame | None,
    context: RunContext | None,
    timer: Timer,
    catalogue: Catalogue,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, Mapping[str, int]]:
    """Candidates → rings; returns the rings, their membership, the ring-stage signals and
    the accounts each ring-stage rule left out (:attr:`ringlens.rings.core.Rings.dropped`)."""
    d = cfg.detect
    roles = det.roles or Roles()
    fresh = run_new_accounts(graph, entities, context)  # the split's and the features' base
    with timer("expand candidates"):
        split = split_candidates(
            graph,
            det.candidates,
            min_size=d.min_ring_size,
            timing=TIMING,
            new_accounts=fresh,
            min_new_lift=NEW_ACCOUNT_APART,
            scales=det.targets,
        )
        cands = expand_candidates(
            graph,
            split,
            window=d.window,
            max_target_degree=cfg.graph.max_target_degree,
            attribute_types=roles.shareable_types,
            type_edges=None if context is None else context.type_edges,
        )
    with timer("rings"):
        rings = build_rings(
            graph,
            cands,
            roles=roles,
            catalogue=catalogue,
            candidate_targets=det.targets,
            entities=entities,
            min_size=d.min_ring_size,
            burst_window=d.window,
            background=None if context is None else context.background,
            first_ts=None if context is None else context.first_ts,
            new_account_base=(
                fresh[1] if fresh else None if context is None else context.new_account_base
            ),
            structure_only=("communities", "dense_blocks", "owner_communities"),
            through_owners=("owner_communities",),
            owner_totals=None if context is None else context.owner_totals,
            attribute_only=("shared_targets",),
            timing=TIMING,
            interactions=None if context is None else context.interactions,
            values=None if context is None else context.action_values,
            rhythm=None if context is None else context.hourly_rhythm,
            arrival=None if context is None else context.arrival,
        )
    inp = DetectInput(
        graph=graph,
        config=cfg,
        roles=roles,
        entities=entities,
        membership=rings.membership,
        rings=rings.rings,
        ring_targets=rings.named_targets,
        timer=timer,
    )
    stage = registered("rings", disable=cfg.detect.disable)
    found = Found.concat([x.detect(inp) for x in stage])
    out = rings.rings
    if found.ring_features is not None and out.height:
        extra = found.ring_features
        # the patterns again, now that the ring stage's features are there
        out = classify(out.join(extra, on="ring_id", how="left"), catalogue)
    signals = pl.concat(
        [found.signals.cast(SIGNAL_SCHEMA), joiner_signals(split, cands, rings.membership)]
    )
    if "owners" in out.columns:  # why an account that never acted is in a ring
        owned = out.select(pl.col("owners").alias("key")).explode("key").drop_nulls()
        if owned.height:
            signals = pl.concat(
                [
                    signals,
                    owned.select(
                        "key", pl.lit("ring_owner").alias("reason"), pl.lit(1.0).alias("strength")
                    ),
                ]
            )
    return out, rings.membership, signals, rings.dropped


def joiner_signals(
    before: pl.DataFrame, after: pl.DataFrame, membership: pl.DataFrame
) -> pl.DataFrame:
    """``joined_ring``: the accounts the expansion added to a candidate (``before`` and
    ``after`` :func:`~ringlens.rings.expand.expand_candidates`) that are members of a ring
    holding that candidate's own members, with the strength the expansion gave them (the
    candidate's strength × their coverage of its targets or their share of its phone).
    A joiner carries no detector's reason of its own — the detector saw its ring without
    it — so without this its only reason is ``ring_member``; the signal says what put it
    there. Ring risk does not count it (a ring's joiners are not evidence about the ring).

    Examples
    --------
    >>> import polars as pl
    >>> before = pl.DataFrame({"detector": "lockstep", "candidate": "0",
    ...     "key": ["buyer:1", "buyer:2"], "strength": 0.8})
    >>> after = pl.concat([before, pl.DataFrame({"detector": "lockstep", "candidate": "0",
    ...     "key": ["buyer:3"], "strength": 0.4})])
    >>> mem = pl.DataFrame({"key": ["buyer:1", "buyer:2", "buyer:3"], "ring_id": "r1"})
    >>> joiner_signals(before, after, mem).rows()
    [('buyer:3', 'joined_ring', 0.4)]
    """
    cand = ["detector", "candidate"]
    added = after.join(before, on=[*cand, "key"], how="anti")
    if added.height == 0 or membership.height == 0:
        return pl.DataFrame(schema=SIGNAL_SCHEMA)
    ring = membership.select("key", "ring_id")
    # the rings that hold the candidate's own members
    home = before.join(ring, on="key").select(*cand, "ring_id").unique()
    return (
        added.join(ring, on="key")
        .join(home, on=[*cand, "ring_id"], how="semi")
        .group_by("key")
        .agg(pl.col("strength").max().clip(0.0, 1.0))
        .select("key", pl.lit("joined_ring").alias("reason"), "strength")
        .cast(SIGNAL_SCHEMA)
        .sort("key")
    )


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

    ``config`` defaults to the built-in settings (``Config()``; read a file and the
    environment with :func:`ringlens.load_config`), ``policy`` to the shipped policy.
    ``context`` is for scoring part of a larger run (the Spark engine's partitions): the
    run-wide quantities it carries replace the ones this part would compute from its own
    events (see :mod:`ringlens.pipeline.context`).

    Examples
    --------
    >>> from ringlens.synth import SynthConfig, generate
    >>> data = generate(SynthConfig(n_events=20_000, rings_per_pattern=1, seed=11))
    >>> res = score(data.events, entities=data.entities, labels=data.labels)
    >>> res.rings.height > 0 and res.queue.columns[:3] == ["queue_item_id", "entity_type", "entity_id"]
    True
    """
    cfg = config or Config()
    pol = policy or load_policy()
    entities, labels = _contract_tables(entities, labels)  # a notebook's tables
    weights = resolve_weights(cfg.score.weights)  # a misspelt reason fails before detection
    # and so do a misspelt detector and pattern feature; a rule that never matches is said
    # (once: by the whole run, not by each of its parts)
    catalogue, notices = checked_catalogue(cfg, pol if context is None else None)
    timer = Timer(progress)
    if isinstance(events, EventGraph):
        graph = events
    else:
        with timer("build graph"):
            graph = build_graph(events)
    det = _detect(graph, config=cfg, entities=entities, labels=labels, timer=timer, context=context)
    rings, membership, ring_signals, dropped = _rings(
        graph, det, cfg=cfg, entities=entities, context=context, timer=timer, catalogue=catalogue
    )
    # a group detector's reason counts for the members of the rings it led to: a group the
    # rings stage found organic (a crowd, structure popularity explains) accuses no one
    group = [r for d in registered("graph") if d.proposes_rings for r in d.reasons]
    kept = det.signals.filter(
        ~pl.col("reason").is_in(group) | pl.col("key").is_in(membership["key"].implode())
    )
    signals = pl.concat([kept, ring_signals.cast(SIGNAL_SCHEMA)])
    with timer("score"):
        rings_scored = score_rings(rings, membership, signals, weights=weights)
        ents = _scored_entities(signals, rings_scored, membership, graph, entities, weights)
    rid = run_id or run_id_for(
        config=cfg,
        policy=pol,
        n_nodes=graph.n_nodes,
        n_edges=graph.n_edges,
        n_events=graph.events.height,
        tables={"entities": frame_fingerprint(entities), "labels": frame_fingerprint(labels)},
    )
    with timer("policy"):
        queue, qreport = apply_policy(
            ents,
            rings_scored,
            pol,
            run_id=rid,
            labels=labels,
            evidence=evidence_links(rings_scored, cfg),
        )
    report = build_report(
        run_id=rid,
        seed=cfg.detect.seed,
        counts={"events": graph.events.height, "nodes": graph.n_nodes, "edges": graph.n_edges},
        candidates={**det.counts, **{DROPPED + k: v for k, v in dropped.items()}},
        rings=rings_scored,
        entities=ents,
        queue=queue,
        policy_source=pol.source,
        policy_report=qreport,
        timings=timer.timings,
        memory_mib=timer.memory,
        detector_timings=timer.parts.get("detectors"),
    )
    if det.coverage is not None:
        report["coverage"] = det.coverage.to_dict()
    if notices:
        report["notices"] = notices
    return RunResult(
        rings=ring_output(rings_scored),
        entities=ents,
        queue=queue,
        report=report,
        graph=graph,
        membership=membership,
        bursts=det.bursts,
    )


def checked_catalogue(cfg: Config, policy: Policy | None = None) -> tuple[Catalogue, list[str]]:
    """The run's pattern catalogue (``detect.patterns``), checked against the ring features
    and the registered detectors, once ``detect.disable`` names only registered detectors:
    a settings mistake fails before the events are read. With ``policy``, also a warning
    (logged, and returned for the report's ``notices``) for each pattern a rule names that
    the catalogue never gives."""
    names = [d.name for d in registered()]
    list(registered(disable=cfg.detect.disable))
    catalogue = load_catalogue(cfg.detect.patterns or None).check(detectors=names)
    notices = [] if policy is None else policy.unknown_patterns(catalogue.names)
    for line in notices:
        log.warning("%s", line)
    return catalogue, notices


def _scored_entities(
    signals: pl.DataFrame,
    rings: pl.DataFrame,
    membership: pl.DataFrame,
    graph: EventGraph,
    entities: pl.DataFrame | None,
    weights: dict[str, float],
) -> pl.DataFrame:
    """Scored entities with their market and display name from the entities table."""
    ents = score_entities(
        signals, rings=rings, membership=membership, weights=weights, nodes=graph.nodes
    )
    if entities is not None and entities.height:
        return ents.join(
            entities.select("entity_type", "entity_id", "market", "display_name"),
            on=["entity_type", "entity_id"],
            how="left",
        )
    return ents.with_columns(
        pl.lit(None, dtype=pl.String).alias("market"),
        pl.lit(None, dtype=pl.String).alias("display_name"),
    )


#: Modules the detectors import on first use (igraph alone takes 0.5-0.8 s, most of it
#: matplotlib, which igraph loads when it is installed).
_DETECTOR_MODULES = ("igraph", "scipy.sparse.linalg", "scipy.sparse.csgraph", "scipy.special")


def _warm_imports() -> None:
    """Import what the detectors will need, beside the ingest, so the detectors do not
    pay for it later."""
    for name in _DETECTOR_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - a missing module fails where it is used
            log.debug("warm import of %s failed", name)


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
    previous: Sequence[str | os.PathLike[str]] = (),
) -> RunResult:
    """Read inputs, score, and write the run folder, queue sinks, database and views.

    ``entities`` and ``labels`` default to ``entities.*`` / ``labels.*`` next to the events
    when ``events`` is a folder that holds them (as ``ringlens synth`` writes). ``config``
    defaults to the built-in settings (``Config()``), ``policy`` to the shipped policy,
    ``database`` to ``export.database``. The inputs are compared with the runs before
    (``previous`` run folders, else the run published in ``out_dir``; see
    :func:`ringlens.pipeline.drift.input_health`) in ``run.json``'s ``input_drift``.
    """
    cfg = config or Config()
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    check_outputs(cfg, database=database, out_dir=out_dir)  # before hours of work, not after
    check_previous(previous)
    checked_catalogue(cfg)  # a misspelt detector name or pattern feature, too
    timer = Timer(progress)
    with timer("ingest"), ThreadPoolExecutor(2, thread_name_prefix="ringlens-ingest") as pool:
        inputs = resolve_run_inputs(events, entities=entities, labels=labels)
        files = list(inputs.events)
        hashed = pool.submit(fingerprint, files)  # reads every byte again: beside the load
        pool.submit(_warm_imports)  # while Polars reads (it releases the GIL)
        streaming = use_streaming(files, cfg)
        read: dict[str, Any] = {
            "options": InputOptions.from_settings(cfg),
            "report": IngestReport(),
        }
        columns = dict(cfg.input.columns)
        lf: pl.DataFrame | pl.LazyFrame = (
            scan_events(files, columns=columns, **read)
            if streaming
            else load_events(files, columns=columns, **read)
        )
        ent_df = load_entities(inputs.entities, **read) if inputs.entities else None
        lab_df = load_labels(inputs.labels, **read) if inputs.labels else None
        fp = hashed.result()
    with timer("build graph"):
        graph = build_graph(lf, streaming=streaming)
    del lf  # the events' strings: the graph holds its own compact table (about 1 GB at 10M)
    res = score(
        graph,
        entities=ent_df,
        labels=lab_df,
        config=cfg,
        policy=pol,
        run_id=run_id_for(config=cfg, policy=pol, fingerprint=fp, tables=inputs.tables()),
        progress=progress,
    )
    report = dict(res.report)
    report["timings"] = {**timer.timings, **report["timings"]}
    report["memory_mib"] = {**timer.memory, **report["memory_mib"]}
    report["inputs"] = inputs.to_dict(fp)
    report["ingest"] = read["report"].to_dict()
    notice = read["report"].notice()
    if notice:
        report["notices"] = [notice, *report.get("notices", [])]
    report["config"] = redact_secrets(cfg.to_dict())
    report["config_sources"] = list(cfg.sources)
    with timer("input drift", show=False):
        report.update(
            input_health(
                graph,
                run_id=report["run_id"],
                out_dir=out_dir,
                previous=previous,
                drop=cfg.calibrate.drift_drop,
                min_events=cfg.calibrate.drift_min_events,
            )
        )
    # "export" is shown as one step; run.json times its parts without overlap: "write
    # files", "views", and (only in the returned report: it runs after run.json is
    # committed) "database"
    with timer("export"):
        return write_outputs(
            replace(res, report=report),
            out_dir=out_dir,
            config=cfg,
            database=database,
            progress=progress,
        )
