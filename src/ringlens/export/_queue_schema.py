"""The queue frame's contract (docs/internals.md) and its validation."""

from __future__ import annotations

import polars as pl

from ringlens.exceptions import ExportError

__all__ = ["QUEUE_COLUMNS", "QUEUE_SCHEMA", "STATUSES", "validate_queue_frame"]

#: Columns of the queue frame handed to the sinks, in order, with their Polars types.
QUEUE_SCHEMA: dict[str, pl.DataType] = {
    "queue_item_id": pl.String(),
    "entity_type": pl.String(),
    "entity_id": pl.String(),
    "ring_id": pl.String(),
    "pattern": pl.String(),
    "risk_score": pl.Float64(),
    "priority": pl.Int64(),
    "action": pl.String(),
    "queue": pl.String(),
    "reasons": pl.List(pl.String()),
    "evidence": pl.String(),
    "market": pl.String(),
    "run_id": pl.String(),
}
QUEUE_COLUMNS: tuple[str, ...] = tuple(QUEUE_SCHEMA)

#: Reviewer statuses, in lifecycle order.
STATUSES: tuple[str, ...] = ("open", "in_review", "actioned", "dismissed")

_NOT_NULL = ("queue_item_id", "entity_type", "entity_id", "risk_score", "run_id")


def validate_queue_frame(df: pl.DataFrame | pl.LazyFrame, *, where: str) -> pl.DataFrame:
    """Check ``df`` against the queue contract and return it cast to :data:`QUEUE_SCHEMA`.

    Parameters
    ----------
    df
        The queue frame.
    where
        The sink it is going to (named in error messages).

    Raises
    ------
    ExportError
        A column is missing or cannot be cast, a key column holds nulls, or
        ``queue_item_id`` is not unique.
    """
    if isinstance(df, pl.LazyFrame):
        df = df.collect()
    missing = [c for c in QUEUE_COLUMNS if c not in df.columns]
    if missing:
        raise ExportError(
            f"queue frame for {where} lacks column {missing[0]!r} "
            f"(expected columns: {', '.join(QUEUE_COLUMNS)})"
        )
    exprs = []
    for name, dtype in QUEUE_SCHEMA.items():
        have = df.schema[name]
        if have == dtype:
            exprs.append(pl.col(name))
        else:
            exprs.append(pl.col(name).cast(dtype, strict=True))
    try:
        out = df.select(exprs)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        bad = next(
            (c for c, t in QUEUE_SCHEMA.items() if not _castable(df[c], t)),
            "?",
        )
        raise ExportError(
            f"queue frame for {where}: column {bad!r} has type {df.schema.get(bad)}, "
            f"expected {QUEUE_SCHEMA.get(bad)}"
        ) from exc
    for name in _NOT_NULL:
        n_null = out[name].null_count()
        if n_null:
            raise ExportError(
                f"queue frame for {where}: column {name!r} has {n_null} null value(s), "
                "expected none"
            )
    if out.height and out["queue_item_id"].n_unique() != out.height:
        dup = out.filter(pl.col("queue_item_id").is_duplicated())["queue_item_id"][0]
        raise ExportError(
            f"queue frame for {where}: column 'queue_item_id' is not unique "
            f"(e.g. {dup!r} appears more than once)"
        )
    return out


def _castable(s: pl.Series, dtype: pl.DataType) -> bool:
    if s.dtype == dtype:
        return True
    try:
        s.cast(dtype, strict=True)
    except Exception:  # noqa: BLE001 - only probing which column failed
        return False
    return True
