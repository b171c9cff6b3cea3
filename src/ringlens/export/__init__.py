"""Export: file sinks, all-or-nothing run folders, the queue database, run diff.

* :mod:`~ringlens.export.sinks` - atomic Parquet (deterministic), spreadsheet-safe
  CSV, JSON Lines and JSON writers.
* :mod:`~ringlens.export.run` - :class:`RunWriter` / :func:`write_run`: a run folder
  shows the previous complete run or the new one, never a mix.
* :mod:`~ringlens.export.store` - :func:`open_queue_store`: the reviewers' queue in
  SQLite (default) or PostgreSQL; re-runs never overwrite reviewers' work.
* :mod:`~ringlens.export.diff` - :func:`diff_runs`: what changed between two runs.
* :func:`validate_queue` - refuse, before anything is published, a queue frame that a
  sink would refuse or store differently (duplicate ids, a non-finite risk, NUL in text,
  wrong types).

See docs/queue.md.
"""

from __future__ import annotations

from ringlens.export._queue_schema import QUEUE_COLUMNS, QUEUE_SCHEMA, STATUSES, validate_queue
from ringlens.export.diff import RING_CHANGES, RunDiff, diff_runs
from ringlens.export.run import RUN_OUTPUTS, RunWriter, resolve_run, write_run
from ringlens.export.sinks import (
    atomic_file,
    csv_safe,
    write_csv,
    write_json,
    write_jsonl,
    write_parquet,
)
from ringlens.export.store import (
    AUDIT_SCHEMA,
    DEFAULT_QUEUE_DB,
    QueueConflictError,
    QueueFilter,
    QueueStore,
    ReviewResult,
    UpsertResult,
    check_queue_target,
    open_queue_store,
    redact_secrets,
    redact_url,
)

__all__ = [
    "AUDIT_SCHEMA",
    "DEFAULT_QUEUE_DB",
    "QUEUE_COLUMNS",
    "QUEUE_SCHEMA",
    "RING_CHANGES",
    "RUN_OUTPUTS",
    "STATUSES",
    "QueueConflictError",
    "QueueFilter",
    "QueueStore",
    "ReviewResult",
    "RunDiff",
    "RunWriter",
    "UpsertResult",
    "atomic_file",
    "csv_safe",
    "diff_runs",
    "check_queue_target",
    "open_queue_store",
    "redact_secrets",
    "redact_url",
    "resolve_run",
    "validate_queue",
    "write_csv",
    "write_json",
    "write_jsonl",
    "write_parquet",
    "write_run",
]
