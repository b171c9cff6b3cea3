"""The queue frame's contract (docs/internals.md) and its validation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ringlens.exceptions import ExportError

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = ["QUEUE_COLUMNS", "QUEUE_SCHEMA", "STATUSES", "validate_queue", "validate_queue_frame"]

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

    The check a database sink makes before it opens a transaction: what passes can be
    stored exactly, in SQLite and in PostgreSQL.

    Parameters
    ----------
    df
        The queue frame.
    where
        The sink it is going to (named in error messages).

    Raises
    ------
    ExportError
        A column is missing or cannot be cast, a key column holds nulls,
        ``queue_item_id`` is not unique, ``risk_score`` is NaN, infinite or outside
        0–100, or a text value holds a NUL character (SQLite would store it cut short
        at the NUL, PostgreSQL refuses it).
    """
    return _validate(df, prefix=f"queue frame for {where}")


def _validate(df: pl.DataFrame | pl.LazyFrame, *, prefix: str) -> pl.DataFrame:
    if isinstance(df, pl.LazyFrame):
        df = df.collect()
    missing = [c for c in QUEUE_COLUMNS if c not in df.columns]
    if missing:
        raise ExportError(
            f"{prefix} lacks column {missing[0]!r} (expected columns: {', '.join(QUEUE_COLUMNS)})"
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
            f"{prefix}: column {bad!r} has type {df.schema.get(bad)}, "
            f"expected {QUEUE_SCHEMA.get(bad)}"
        ) from exc
    for name in _NOT_NULL:
        n_null = out[name].null_count()
        if n_null:
            row = _first_row(out, pl.col(name).is_null())
            raise ExportError(
                f"{prefix}: column {name!r} has {n_null} null value(s) "
                f"(first at {_row_label(out, row)}), expected none"
            )
    _check_values(out, prefix=prefix)
    return out


def validate_queue(queue: pl.DataFrame | pl.LazyFrame, *, where: str = "queue") -> None:
    """Refuse a queue frame that a sink would refuse or store differently.

    Run it on the queue *before* anything is published (run folder, database): what
    passes is written by every sink — Parquet, spreadsheet-safe CSV, JSON Lines, SQLite
    and PostgreSQL — exactly and without error. Checks, each failure naming the row
    (position and ``queue_item_id``) and the column:

    * every column of :data:`QUEUE_SCHEMA` is present with exactly its type;
    * ``queue_item_id``, ``entity_type``, ``entity_id``, ``risk_score`` and ``run_id``
      hold no nulls, and ``queue_item_id`` is unique;
    * ``risk_score`` and every other float column are finite (not NaN, not ±inf), and
      ``risk_score`` lies within 0–100;
    * no text value (in any column, list elements of ``reasons`` included) holds a NUL
      character: SQLite would keep the value only up to the NUL and PostgreSQL refuses
      the whole upsert. (Lone surrogates cannot occur: a Polars string is valid UTF-8,
      a frame cannot be built with one.)

    Columns beyond the contract (such as ``rule``) are allowed; their text and floats
    are screened too, since they reach the files.

    Parameters
    ----------
    queue
        The queue frame (a LazyFrame is collected).
    where
        What the message calls the frame.

    Raises
    ------
    ExportError
        One line naming the row and the column, and what was expected.

    Examples
    --------
    >>> import polars as pl
    >>> from ringlens.export import QUEUE_SCHEMA
    >>> q = pl.DataFrame({"queue_item_id": ["q_1", "q_2"], "entity_type": "buyer",
    ...     "entity_id": ["a", "b"], "ring_id": "ring_1", "pattern": "brushing",
    ...     "risk_score": [61.0, float("nan")], "priority": [1, 2], "action": "suspend",
    ...     "queue": "review", "reasons": [["x"], ["y"]], "evidence": None,
    ...     "market": ["DE", "F\\x00R"], "run_id": "run_1"}, schema=QUEUE_SCHEMA)
    >>> validate_queue(q)
    Traceback (most recent call last):
    ringlens.exceptions.ExportError: queue: row 1 (queue_item_id 'q_2'), column 'risk_score': NaN is not a risk (expected a finite number from 0 to 100)
    >>> validate_queue(q.with_columns(risk_score=pl.lit(61.0)))
    Traceback (most recent call last):
    ringlens.exceptions.ExportError: queue: row 1 (queue_item_id 'q_2'), column 'market': 'F\\x00R' holds a NUL character (SQLite would cut the value short, PostgreSQL refuses it; expected text without U+0000)
    """
    if isinstance(queue, pl.LazyFrame):
        queue = queue.collect()
    for name, dtype in QUEUE_SCHEMA.items():
        if name in queue.columns and queue.schema[name] != dtype:
            raise ExportError(
                f"{where}: column {name!r} has type {queue.schema[name]}, expected {dtype}"
            )
    _validate(queue, prefix=where)
    _check_values(queue.select(pl.exclude(QUEUE_COLUMNS)), prefix=where, ids=queue)


def _first_row(df: pl.DataFrame, mask: pl.Expr) -> int:
    return int(df.select(mask.fill_null(False).arg_true().first()).item())


def _row_label(df: pl.DataFrame, row: int) -> str:
    if "queue_item_id" in df.columns:
        return f"row {row} (queue_item_id {df['queue_item_id'][row]!r})"
    return f"row {row}"


def _has_nul(expr: pl.Expr, dtype: PolarsDataType) -> pl.Expr | None:
    """Per row: does the value (or any text nested in it) hold a NUL? None: no text."""
    if dtype == pl.String:
        return expr.str.contains("\x00", literal=True)
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return expr.cast(pl.String).str.contains("\x00", literal=True)
    if isinstance(dtype, pl.List | pl.Array):
        inner = _has_nul(pl.element(), dtype.inner)
        if inner is None:
            return None
        lst = expr.arr.to_list() if isinstance(dtype, pl.Array) else expr
        return lst.list.eval(inner.fill_null(False)).list.any()
    if isinstance(dtype, pl.Struct):
        parts = [_has_nul(expr.struct.field(f.name), f.dtype) for f in dtype.fields]
        found = [p.fill_null(False) for p in parts if p is not None]
        return pl.any_horizontal(found) if found else None
    return None


def _check_values(df: pl.DataFrame, *, prefix: str, ids: pl.DataFrame | None = None) -> None:
    """Duplicate ids, non-finite floats, risks outside 0–100 and NUL in text of ``df``."""
    ids = df if ids is None else ids
    if "queue_item_id" in df.columns and df.height and df["queue_item_id"].n_unique() != df.height:
        row = _first_row(df, pl.col("queue_item_id").is_duplicated())
        raise ExportError(
            f"{prefix}: column 'queue_item_id' is not unique: {_row_label(df, row)} "
            "repeats an id of another row (expected one row per id)"
        )
    for name, dtype in df.schema.items():
        if dtype.is_float():
            col = pl.col(name)
            bad = col.is_nan() | col.is_infinite()
            if name == "risk_score":
                bad = bad | (col < 0) | (col > 100)
            if df.select(bad.fill_null(False).any()).item():
                row = _first_row(df, bad)
                value = df[name][row]
                shown = "NaN" if value != value else repr(value)
                what = (
                    f"{shown} is not a risk (expected a finite number from 0 to 100)"
                    if name == "risk_score"
                    else f"{shown} (expected a finite number)"
                )
                raise ExportError(f"{prefix}: {_row_label(ids, row)}, column {name!r}: {what}")
            continue
        nul = _has_nul(pl.col(name), dtype)
        if nul is not None and df.select(nul.fill_null(False).any()).item():
            row = _first_row(df, nul)
            raise ExportError(
                f"{prefix}: {_row_label(ids, row)}, column {name!r}: "
                f"{_short(df[name][row])} holds a NUL character (SQLite would cut the value "
                "short, PostgreSQL refuses it; expected text without U+0000)"
            )


def _short(value: object, limit: int = 60) -> str:
    text = repr(value.to_list() if isinstance(value, pl.Series) else value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _castable(s: pl.Series, dtype: pl.DataType) -> bool:
    if s.dtype == dtype:
        return True
    try:
        s.cast(dtype, strict=True)
    except Exception:  # noqa: BLE001 - only probing which column failed
        return False
    return True
