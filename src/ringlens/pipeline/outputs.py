"""Writing a run: the run folder (all-or-nothing), the views, then the queue database."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from ringlens.config import Config
from ringlens.exceptions import ExportError, InputError
from ringlens.export import (
    QUEUE_COLUMNS,
    RunWriter,
    check_queue_target,
    open_queue_store,
    redact_url,
    validate_queue,
)
from ringlens.pipeline.result import RunResult, jsonable
from ringlens.pipeline.timing import Progress, Timer
from ringlens.viz import ring_filename

__all__ = ["SINKS", "check_outputs", "evidence_links", "write_outputs"]

#: The queue sinks ``export.sinks`` may name.
SINKS = ("parquet", "csv", "jsonl", "sqlite", "postgres")


def evidence_links(rings: pl.DataFrame, config: Config) -> pl.DataFrame:
    """``ring_id, evidence``: the path of each ring's view in the run folder, for the rings
    that get one (the riskiest ``viz.max_ring_views`` when views are on). The one place
    the queue's ``evidence`` links are made.

    Examples
    --------
    >>> import polars as pl
    >>> evidence_links(pl.DataFrame({"ring_id": ["ring_ab", "ring_cd"]}), Config())["evidence"].to_list()
    ['viz/ring_ab.html', 'viz/ring_cd.html']
    """
    top = rings.head(config.viz.max_ring_views) if config.viz.enabled else rings.clear()
    ids = top["ring_id"].to_list()
    return pl.DataFrame(
        {"ring_id": ids, "evidence": ["viz/" + ring_filename(r) for r in ids]},
        schema={"ring_id": pl.String, "evidence": pl.String},
    )


def _is_url(db: str) -> bool:
    return "://" in db


def check_outputs(
    config: Config,
    *,
    database: str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
) -> None:
    """Refuse, before anything runs, outputs that cannot work: an unknown sink, the
    ``postgres`` sink without a ``postgresql://`` URL (``--database``,
    ``export.database``: it would otherwise write SQLite without a word), a database URL
    of another kind, a run folder that is (or sits under) a file."""
    if out_dir is not None:
        out = Path(out_dir)
        for p in (out, *out.parents):
            if p.exists() and not p.is_dir():
                raise ExportError(f"cannot create run folder {out}: {p} is a file, not a folder")
    sinks = set(config.export.sinks)
    unknown = sinks - set(SINKS)
    if unknown:
        raise InputError(
            f"export.sinks: unknown sink {sorted(unknown)[0]!r} (expected {', '.join(SINKS)})"
        )
    db = database or config.export.database
    if db and _is_url(db):
        check_queue_target(db)
    if "postgres" in sinks and not (db and db.startswith(("postgresql://", "postgres://"))):
        raise InputError(
            "export.sinks: 'postgres' needs a postgresql:// URL in --database, "
            f"RINGLENS_DATABASE_URL or export.database (got {redact_url(db) if db else 'none'!r})"
        )


def write_outputs(
    res: RunResult,
    *,
    out_dir: str | os.PathLike[str],
    config: Config,
    database: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Write the run folder (all-or-nothing), then upsert the queue database.

    Returns ``res`` with ``run_dir`` set and the writing steps' timings in its report.
    ``database`` (a SQLite path or a ``postgresql://`` URL) overrides ``export.database``.
    """
    out = Path(out_dir)
    check_outputs(config, database=database)
    sinks = set(config.export.sinks)
    # everything a sink would refuse is refused now, before the folder is published:
    # files and database move together or not at all
    validate_queue(res.queue)
    report: dict[str, Any] = {**res.report, "counts": dict(res.report["counts"])}
    timer = Timer(progress)

    def record() -> None:
        report["timings"] = {**report.get("timings", {}), **timer.timings}
        report["memory_mib"] = {**report.get("memory_mib", {}), **timer.memory}

    with RunWriter(out, run_id=report["run_id"]) as stage:
        with timer("write files", show=False):
            stage.write("rings.parquet", res.rings)
            stage.write("entities.parquet", res.entities)
            stage.write("queue.parquet", res.queue)
            if res.bursts is not None:
                stage.write("bursts.parquet", res.bursts)
            if "csv" in sinks:
                stage.write("queue.csv", res.queue)
            if "jsonl" in sinks:
                stage.write("queue.jsonl", res.queue)
        if config.viz.enabled:
            with timer("views"):
                report["counts"]["views"] = _views(res, report, stage.path / "viz", config, out)
        record()
        stage.write("run.json", jsonable(report))
    db = database or config.export.database
    if db and ("sqlite" in sinks or "postgres" in sinks or database):
        target = db if _is_url(db) or os.path.isabs(db) or database else str(out / db)
        with timer("database", show=False), open_queue_store(target) as store:
            up = store.upsert(
                res.queue.select(QUEUE_COLUMNS),
                run_id=report["run_id"],
                requeue_margin=config.export.requeue_margin,
            )
        report["database"] = {"target": redact_url(target), **up.as_dict()}
        record()  # after run.json was committed: in the returned report only
    return replace(res, report=report, run_dir=out)


def _views(
    res: RunResult, report: dict[str, Any], viz_dir: Path, config: Config, previous: Path
) -> int:
    """Ring views for the top rings and the run report, into ``viz_dir``."""
    from ringlens.viz.evidence import write_run_views  # pyvis and templates: only for views

    if res.graph is None:
        raise InputError("views need the run's event graph (viz.enabled with no graph)")
    info: dict[str, Any] = {
        "run_id": report.get("run_id"),
        "events": report["counts"]["events"],
        "rings": res.rings.height,
        "queue": res.queue.height,
    }
    drift = report.get("input_drift")
    if drift is not None:  # the nightly job's early warning, on the report's first screen
        n = drift.get("previous_runs", 0)
        info["input drift"] = (
            "; ".join(drift["alerts"])
            if drift.get("alerts")
            else (f"none against the {n} previous run(s)" if n else "no previous run to compare")
        )
    cov = report.get("coverage")
    if cov:
        info["coverage"] = (
            f"{cov['events_covered']:,} of {cov['events']:,} events reached a detector; "
            f"unmapped actions: {', '.join(cov['unmapped_actions']) or 'none'}; "
            f"uncovered actions: {', '.join(cov['uncovered_actions']) or 'none'}"
            + (
                f"; read as devices by their shape: {', '.join(cov['types_by_shape'])}"
                if cov.get("types_by_shape")
                else ""
            )
        )
    return write_run_views(
        viz_dir,
        rings=res.rings,
        entities=res.entities,
        queue=res.queue,
        graph=res.graph,
        run_info=info,
        limit=config.viz.max_ring_views,
        seed=config.detect.seed,
        previous=previous,
        config=config,
        bursts=res.bursts,
    )
