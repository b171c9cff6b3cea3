"""Run folders as calibration reads them: one :class:`RunRecord` per run, oldest first."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ringlens.exceptions import ConfigError, InputError, SchemaError
from ringlens.export import resolve_run
from ringlens.risk.model import resolve_weights
from ringlens.risk.policy import Policy, load_policy

log = logging.getLogger(__name__)

__all__ = ["RunRecord", "load_run", "load_runs", "order_runs", "write_text"]

_QUEUE_COLS: dict[str, Any] = {
    "queue_item_id": pl.String,
    "entity_type": pl.String,
    "entity_id": pl.String,
    "pattern": pl.String,
    "risk_score": pl.Float64,
    "priority": pl.Int64,
    "queue": pl.String,
    "market": pl.String,
}
_ENTITY_COLS: dict[str, Any] = {
    "key": pl.String,
    "entity_type": pl.String,
    "entity_id": pl.String,
    "risk_score": pl.Float64,
    "ring_id": pl.String,
    "reasons": pl.List(pl.String),
    "contributions": pl.List(pl.Float64),
}
_RING_COLS: dict[str, Any] = {
    "ring_id": pl.String,
    "pattern": pl.String,
    "risk_score": pl.Float64,
    "reasons": pl.List(pl.String),
    "contributions": pl.List(pl.Float64),
}


@dataclass(frozen=True)
class RunRecord:
    """One run folder, read once.

    Attributes
    ----------
    run_dir : Path
        The folder given.
    run_id : str
        From ``run.json``.
    report : dict
        ``run.json``.
    queue, entities, rings : polars.DataFrame
        ``queue.parquet``, ``entities.parquet``, ``rings.parquet`` (``rule`` is null in
        queues written before policies named their rules).
    weights : dict
        The reason weights the run scored with (defaults + ``score.weights``).
    policy : Policy or None
        The run's policy when ``run.json`` names one that can be read (the shipped
        default or a file that still exists).
    labels : polars.DataFrame or None
        The labels the run read, when the file named in ``run.json`` can still be read.
    """

    run_dir: Path
    run_id: str
    report: Mapping[str, Any]
    queue: pl.DataFrame
    entities: pl.DataFrame
    rings: pl.DataFrame
    weights: Mapping[str, float] = field(default_factory=dict)
    policy: Policy | None = None
    labels: pl.DataFrame | None = None

    @property
    def market_column(self) -> bool:
        """Whether the run's entities carry a market."""
        return "market" in self.entities.columns


def _read_frame(base: Path, gen: Path, name: str, cols: Mapping[str, Any]) -> pl.DataFrame:
    path = gen / name
    if not path.is_file():
        raise InputError(f"run folder {base} has no {name} (expected a run written by ringlens)")
    try:
        df = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(f"cannot read {base / name}: {' '.join(str(exc).split())[:200]}") from exc
    for col, dtype in cols.items():
        if col not in df.columns:
            if df.height == 0:
                df = df.with_columns(pl.lit(None, dtype=dtype).alias(col))
                continue
            raise SchemaError(f"{base / name} lacks column {col!r} (expected {dtype})")
        try:
            df = df.with_columns(pl.col(col).cast(dtype, strict=True))
        except Exception as exc:  # noqa: BLE001 - a failed cast is a schema problem
            raise SchemaError(
                f"{base / name}: column {col!r} has type {df.schema[col]}, expected {dtype}"
            ) from exc
    return df


def _run_policy(report: Mapping[str, Any], fallback: Policy | None) -> Policy | None:
    source = (report.get("policy") or {}).get("source")
    if source == "default policy":
        return load_policy()
    if isinstance(source, str) and source and Path(source).is_file():
        try:
            return load_policy(source)
        except ConfigError:
            log.warning("policy %s named in run.json no longer parses", source)
    return fallback


def _run_labels(report: Mapping[str, Any]) -> pl.DataFrame | None:
    from ringlens.io import load_labels

    path = (report.get("inputs") or {}).get("labels")
    if not isinstance(path, str) or not Path(path).is_file():
        return None
    try:
        return load_labels(path)
    except InputError:
        log.warning("labels %s named in run.json cannot be read", path)
        return None


def load_run(run_dir: str | os.PathLike[str], *, policy: Policy | None = None) -> RunRecord:
    """Read a run folder written by ``ringlens score`` / :func:`ringlens.run`.

    ``policy`` is used when ``run.json`` names a policy file that no longer exists.

    Raises
    ------
    InputError
        The folder, ``run.json`` or a Parquet file is missing or unreadable.
    SchemaError
        A file lacks a column calibration needs.
    """
    base = Path(run_dir)
    if not base.is_dir():
        raise InputError(f"run folder {base} does not exist (expected a folder with run.json)")
    gen = resolve_run(base)
    rj = gen / "run.json"
    if not rj.is_file():
        raise InputError(f"run folder {base} has no run.json (expected a run written by ringlens)")
    try:
        report = json.loads(rj.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {base / 'run.json'}: {exc}") from exc
    if not isinstance(report, dict) or not isinstance(report.get("run_id"), str):
        raise SchemaError(f"{base / 'run.json'}: no 'run_id' (expected a run report)")
    queue = _read_frame(base, gen, "queue.parquet", _QUEUE_COLS)
    if "rule" not in queue.columns:
        queue = queue.with_columns(pl.lit(None, dtype=pl.String).alias("rule"))
    entities = _read_frame(base, gen, "entities.parquet", _ENTITY_COLS)
    if "market" not in entities.columns:
        entities = entities.with_columns(pl.lit(None, dtype=pl.String).alias("market"))
    rings = _read_frame(base, gen, "rings.parquet", _RING_COLS)
    try:
        weights = resolve_weights(((report.get("config") or {}).get("score") or {}).get("weights"))
    except ConfigError as exc:
        raise SchemaError(f"{base / 'run.json'}: config.score.weights: {exc}") from exc
    return RunRecord(
        run_dir=base,
        run_id=report["run_id"],
        report=report,
        queue=queue,
        entities=entities,
        rings=rings,
        weights=weights,
        policy=_run_policy(report, policy),
        labels=_run_labels(report),
    )


def order_runs(
    runs: Sequence[RunRecord], queue_runs: pl.DataFrame | None = None
) -> list[RunRecord]:
    """Runs oldest first: by their first upsert in ``queue_runs`` (``QueueStore.runs()``)
    when every run is there, else in the order given.

    Two folders holding the same run id are one run: a :class:`ConfigError` names them.
    """
    seen: dict[str, Path] = {}
    for r in runs:
        if r.run_id in seen:
            raise ConfigError(
                f"run folders {seen[r.run_id]} and {r.run_dir} hold the same run {r.run_id!r} "
                "(give each run once)"
            )
        seen[r.run_id] = r.run_dir
    if queue_runs is None or queue_runs.height == 0 or "run_id" not in queue_runs.columns:
        return list(runs)
    first = queue_runs.group_by("run_id").agg(pl.col("upserted_at").min())
    when = dict(first.iter_rows())
    if not all(r.run_id in when for r in runs):
        return list(runs)
    return sorted(runs, key=lambda r: (when[r.run_id], r.run_id))


def load_runs(
    run_dirs: Sequence[str | os.PathLike[str]],
    *,
    policy: Policy | None = None,
    queue_runs: pl.DataFrame | None = None,
) -> list[RunRecord]:
    """:func:`load_run` for each folder, oldest first (see :func:`order_runs`)."""
    if not run_dirs:
        raise ConfigError("no run folders given (expected at least one)")
    return order_runs([load_run(d, policy=policy) for d in run_dirs], queue_runs)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write a UTF-8 text file atomically (a reader sees the old file or the new one)."""
    from ringlens.export import atomic_file

    target = Path(path)
    with atomic_file(target, mode="w") as fh:
        fh.write(text)
    return target
