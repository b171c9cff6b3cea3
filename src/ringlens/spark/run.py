"""``ringlens score --engine spark``: read, score on Spark, write the same run folder,
queue sinks and database as :func:`ringlens.pipeline.run` (a thin engine over the run
contract in :mod:`ringlens.pipeline`)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from ringlens.config import Config
from ringlens.export import redact_secrets
from ringlens.graph.roles import normalised
from ringlens.io import InputOptions, scan_events
from ringlens.pipeline import RunResult
from ringlens.pipeline.drift import check_previous, input_health
from ringlens.pipeline.engine import checked_catalogue
from ringlens.pipeline.inputs import fingerprint, resolve_run_inputs, run_id_for
from ringlens.pipeline.outputs import check_outputs, write_outputs
from ringlens.pipeline.timing import Progress
from ringlens.risk.policy import Policy, load_policy
from ringlens.spark.pipeline import score_spark, view_graph
from ringlens.spark.session import get_session

__all__ = ["MAX_HASHED_BYTES", "run_spark"]

#: Input folders larger than this get a metadata fingerprint (names, sizes, mtimes) instead
#: of the content hash ``ringlens.pipeline.run`` reads every byte for.
MAX_HASHED_BYTES = 2 << 30


def _fingerprint(files: Sequence[Path]) -> str:
    return fingerprint(files, content=sum(f.stat().st_size for f in files) <= MAX_HASHED_BYTES)


def _input_health(
    files: Sequence[Path],
    source: Any,
    cfg: Config,
    run_id: str,
    out_dir: str | os.PathLike[str],
    previous: Sequence[str | os.PathLike[str]],
) -> dict[str, Any]:
    """``input_profile``, ``input_history``, ``input_drift`` as the local run writes them
    (:func:`ringlens.pipeline.drift.input_health`), from a lazy scan of local event files
    (one pass, grouped by action and market; action names normalised as the graph does).
    Inputs only Spark can read (a table, a remote path) get no drift check, and the report
    says so."""
    if source is not None or not files:
        return {"input_drift": {"ok": True, "alerts": [], "skipped": "inputs not local files"}}
    lf = scan_events(
        files, columns=dict(cfg.input.columns), options=InputOptions.from_settings(cfg)
    )
    lf = lf.with_columns(normalised(pl.col("action").cast(pl.String)).alias("action"))
    return input_health(
        lf,
        run_id=run_id,
        out_dir=out_dir,
        previous=previous,
        drop=cfg.calibrate.drift_drop,
        min_events=cfg.calibrate.drift_min_events,
    )


def run_spark(
    events: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    out_dir: str | os.PathLike[str],
    entities: str | os.PathLike[str] | None = None,
    labels: str | os.PathLike[str] | None = None,
    config: Config | None = None,
    policy: str | os.PathLike[str] | Policy | None = None,
    database: str | None = None,
    master: str = "local[2]",
    spark: Any = None,
    progress: Progress | None = None,
    max_component_events: int = 20_000_000,
    previous: Sequence[str | os.PathLike[str]] = (),
) -> RunResult:
    """Like :func:`ringlens.pipeline.run`, on Spark: returns a
    :class:`ringlens.pipeline.RunResult` (its ``graph`` holds the events around the top
    rings, for the views).

    The run id is the local run's (same input fingerprint, config and policy), so re-runs
    on either engine update the same queue items.

    Examples
    --------
    >>> res = run_spark("graphs/demo", out_dir="out/demo-spark")  # doctest: +SKIP
    """
    cfg = config or Config()
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    check_outputs(cfg, database=database, out_dir=out_dir)
    check_previous(previous)
    checked_catalogue(cfg)
    t = time.perf_counter()
    inputs = resolve_run_inputs(events, entities=entities, labels=labels, remote=True)
    files = list(inputs.events)
    fp = _fingerprint(files) if files else None
    session = spark or get_session(master=master)
    res = score_spark(
        inputs.source if inputs.source is not None else [str(f) for f in files],
        spark=session,
        entities=None if inputs.entities is None else [str(f) for f in inputs.entities],
        labels=None if inputs.labels is None else [str(f) for f in inputs.labels],
        config=cfg,
        policy=pol,
        run_id=run_id_for(config=cfg, policy=pol, fingerprint=fp, tables=inputs.tables())
        if fp
        else None,
        max_component_events=max_component_events,
    )
    report = {
        **res.report,
        "inputs": inputs.to_dict(fp),
        "config": redact_secrets(cfg.to_dict()),
        "config_sources": list(cfg.sources),
        "engine": {"name": "spark", "master": master},
    }
    report.update(_input_health(files, inputs.source, cfg, report["run_id"], out_dir, previous))
    graph = view_graph(res, config=cfg) if cfg.viz.enabled and res.rings.height else None
    result = replace(res.to_run_result(view_graph=graph), report=report)
    if graph is None:
        cfg = replace(cfg, viz=replace(cfg.viz, enabled=False))
    # write_outputs times its parts ("write files", "views", "database")
    out = write_outputs(result, out_dir=out_dir, config=cfg, database=database, progress=progress)
    timings = {**out.report["timings"], "total": round(time.perf_counter() - t, 3)}
    return replace(out, report={**out.report, "timings": timings})
