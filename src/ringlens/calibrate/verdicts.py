"""Reviewer verdicts: the history frame of the queue database and the verdicts in it.

The queue database's audit table (``QueueStore.history()``, docs/queue.md) has one row per
changed reviewer field. A **verdict** is a ``status`` change to ``actioned`` (abuse
confirmed → label ``confirmed``) or ``dismissed`` (→ ``cleared``) made by a reviewer (an
actor that is not ``ringlens:<run_id>``, a run's own re-open). Each verdict belongs to the
run whose scores the reviewer saw: the history row's ``run_id``.

Without a history (a database written before the audit table existed) the items' current
status is the only verdict, dated ``status_updated_at`` and assigned to the item's
``last_seen_run`` — an approximation that the calibration report names (``source =
"status"``).
"""

from __future__ import annotations

import polars as pl

from ringlens.exceptions import SchemaError

__all__ = [
    "HISTORY_SCHEMA",
    "ITEM_COLUMNS",
    "VERDICT_LABELS",
    "VERDICT_SCHEMA",
    "check_history",
    "check_items",
    "empty_history",
    "latest_verdicts",
    "verdict_events",
]

#: The audit-table frame (``QueueStore.history()``), column by column.
HISTORY_SCHEMA = pl.Schema(
    {
        "audit_id": pl.Int64(),
        "queue_item_id": pl.String(),
        "changed_at": pl.Datetime("us", "UTC"),
        "actor": pl.String(),
        "field": pl.String(),
        "old_value": pl.String(),
        "new_value": pl.String(),
        "note": pl.String(),
        "run_id": pl.String(),
    }
)

#: Verdict statuses and the label each one means.
VERDICT_LABELS: dict[str, str] = {"actioned": "confirmed", "dismissed": "cleared"}

#: Columns of the queue items frame (``QueueStore.read()``) that calibration reads.
ITEM_COLUMNS: dict[str, pl.DataType] = {
    "queue_item_id": pl.String(),
    "entity_type": pl.String(),
    "entity_id": pl.String(),
    "pattern": pl.String(),
    "risk_score": pl.Float64(),
    "queue": pl.String(),
    "market": pl.String(),
    "status": pl.String(),
    "first_seen_run": pl.String(),
    "last_seen_run": pl.String(),
    "first_seen_at": pl.Datetime("us", "UTC"),
    "status_updated_at": pl.Datetime("us", "UTC"),
}

#: One row per verdict (see :func:`verdict_events`).
VERDICT_SCHEMA = pl.Schema(
    {
        "queue_item_id": pl.String(),
        "entity_type": pl.String(),
        "entity_id": pl.String(),
        "verdict": pl.String(),
        "label": pl.String(),
        "actor": pl.String(),
        "decided_at": pl.Datetime("us", "UTC"),
        "run_id": pl.String(),
        "source": pl.String(),
    }
)

_RUN_ACTOR = "ringlens:"


def empty_history() -> pl.DataFrame:
    """An empty history frame with :data:`HISTORY_SCHEMA` (a store without an audit table).

    Examples
    --------
    >>> empty_history().columns[:3]
    ['audit_id', 'queue_item_id', 'changed_at']
    """
    return pl.DataFrame(schema=HISTORY_SCHEMA)


def _check(frame: object, what: str, schema: dict[str, pl.DataType] | pl.Schema) -> pl.DataFrame:
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        raise SchemaError(f"{what} must be a polars DataFrame, got {type(frame).__name__}")
    for name, dtype in schema.items():
        if name not in frame.columns:
            raise SchemaError(
                f"{what} has no column {name!r} (expected {dtype}; it has: "
                f"{', '.join(frame.columns) or 'none'})"
            )
    casts = []
    for name, dtype in schema.items():
        have = frame.schema[name]
        if have == dtype:
            casts.append(pl.col(name))
        elif have == pl.Null:
            casts.append(pl.col(name).cast(dtype))
        elif isinstance(dtype, pl.Datetime) and isinstance(have, pl.Datetime):
            tz = pl.col(name)
            if have.time_zone is None:  # type: ignore[union-attr]
                tz = tz.dt.replace_time_zone("UTC")
            casts.append(tz.dt.convert_time_zone("UTC").dt.cast_time_unit("us"))
        elif dtype.is_numeric() and have.is_numeric():
            casts.append(pl.col(name).cast(dtype))
        elif dtype == pl.String and isinstance(have, pl.Categorical | pl.Enum):
            casts.append(pl.col(name).cast(pl.String))
        else:
            raise SchemaError(f"{what}: column {name!r} has type {have}, expected {dtype}")
    return frame.with_columns(casts)


def check_history(history: object) -> pl.DataFrame:
    """``history`` checked against :data:`HISTORY_SCHEMA` (times converted to UTC).

    Raises :class:`~ringlens.exceptions.SchemaError` naming the first missing or mistyped
    column.

    Examples
    --------
    >>> import polars as pl
    >>> check_history(pl.DataFrame({"audit_id": [1]}))
    Traceback (most recent call last):
    ringlens.exceptions.SchemaError: history has no column 'queue_item_id' (expected String; it has: audit_id)
    """
    return _check(history, "history", HISTORY_SCHEMA).select(HISTORY_SCHEMA.names())


def check_items(items: object) -> pl.DataFrame:
    """The queue items frame (``QueueStore.read()``) with the columns calibration reads.

    Raises :class:`~ringlens.exceptions.SchemaError` naming the first missing or mistyped
    column.
    """
    return _check(items, "queue items", ITEM_COLUMNS)


def verdict_events(items: pl.DataFrame, history: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every reviewer verdict, one row each (:data:`VERDICT_SCHEMA`), oldest first.

    From the history: ``status`` changes to a verdict status by an actor that is not a
    run (``ringlens:<run_id>``); ``run_id`` is the history row's. Items with a verdict
    status but no verdict in the history (no audit table, or a status written by another
    tool) add one row from their current status (``source = "status"``, dated
    ``status_updated_at``, run ``last_seen_run``).

    Parameters
    ----------
    items
        The queue items (``QueueStore.read()``).
    history
        The audit frame (``QueueStore.history()``); None or empty when there is none.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> items = pl.DataFrame({"queue_item_id": ["q1", "q2"], "entity_type": "buyer",
    ...     "entity_id": ["1", "2"], "pattern": "brushing", "risk_score": [80.0, 50.0],
    ...     "queue": "review", "market": "US", "status": ["actioned", "open"],
    ...     "first_seen_run": "r1", "last_seen_run": "r1", "first_seen_at": t,
    ...     "status_updated_at": t})
    >>> verdict_events(items).select("queue_item_id", "label", "run_id", "source").rows()
    [('q1', 'confirmed', 'r1', 'status')]
    """
    items = check_items(items)
    hist = empty_history() if history is None else check_history(history)
    info = items.select("queue_item_id", "entity_type", "entity_id")
    from_history = (
        hist.filter(
            (pl.col("field") == "status")
            & pl.col("new_value").is_in(list(VERDICT_LABELS))
            & ~pl.col("actor").fill_null("").str.starts_with(_RUN_ACTOR)
        )
        .join(info, on="queue_item_id", how="inner")
        .select(
            "queue_item_id",
            "entity_type",
            "entity_id",
            pl.col("new_value").alias("verdict"),
            pl.col("new_value").replace_strict(VERDICT_LABELS).alias("label"),
            "actor",
            pl.col("changed_at").alias("decided_at"),
            "run_id",
            pl.lit("history").alias("source"),
            "audit_id",
        )
    )
    judged = from_history.select("queue_item_id").unique()
    from_status = (
        items.filter(pl.col("status").is_in(list(VERDICT_LABELS)))
        .join(judged, on="queue_item_id", how="anti")
        .select(
            "queue_item_id",
            "entity_type",
            "entity_id",
            pl.col("status").alias("verdict"),
            pl.col("status").replace_strict(VERDICT_LABELS).alias("label"),
            (pl.col("assignee") if "assignee" in items.columns else pl.lit(None, pl.String))
            .cast(pl.String)
            .alias("actor"),
            pl.col("status_updated_at").alias("decided_at"),
            pl.col("last_seen_run").alias("run_id"),
            pl.lit("status").alias("source"),
            pl.lit(None, pl.Int64).alias("audit_id"),
        )
    )
    return (
        pl.concat([from_history, from_status], how="vertical_relaxed")
        .sort(["decided_at", "audit_id", "queue_item_id"], nulls_last=True)
        .drop("audit_id")
        .cast(VERDICT_SCHEMA)
    )


def latest_verdicts(verdicts: pl.DataFrame) -> pl.DataFrame:
    """The last verdict per (item, run): what the reviewers finally decided about the item
    as that run scored it.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (1, 2)]
    >>> v = pl.DataFrame({"queue_item_id": ["q1", "q1"], "entity_type": "buyer",
    ...     "entity_id": "1", "verdict": ["dismissed", "actioned"],
    ...     "label": ["cleared", "confirmed"], "actor": ["ann", "bob"], "decided_at": t,
    ...     "run_id": "r1", "source": "history"}, schema=VERDICT_SCHEMA)
    >>> latest_verdicts(v)["label"].to_list()
    ['confirmed']
    """
    return (
        verdicts.sort(["decided_at"], nulls_last=False, maintain_order=True)
        .group_by("queue_item_id", "run_id", maintain_order=True)
        .last()
        .sort(["run_id", "queue_item_id"])
    )
