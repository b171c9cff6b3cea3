"""Simulated reviewers: verdicts on a run's queue from ground truth, with errors and capacity.

For tests and demos of the feedback loop on synthetic data (``ringlens synth`` writes the
truth): reviewers work through the open items of a run, riskiest first, up to their
capacity; each verdict is the truth, flipped with probability ``error_rate``; a share of
the items gets a second, independent verdict from another reviewer (reviewer agreement).
The result is a verdict frame and the audit rows a reviewers' tool would have written
(:data:`~ringlens.calibrate.verdicts.HISTORY_SCHEMA`), and :meth:`SimulatedReview.apply`
records the verdicts in a queue database.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from ringlens.calibrate.verdicts import HISTORY_SCHEMA, VERDICT_LABELS
from ringlens.exceptions import ConfigError, SchemaError, check_float, check_int

log = logging.getLogger(__name__)

__all__ = [
    "ID_COLUMNS",
    "SimulatedReview",
    "platform_series",
    "prefix_ids",
    "prefix_table",
    "simulate_reviewers",
]

_LABEL_OF = {v: k for k, v in VERDICT_LABELS.items()}  # confirmed -> actioned


@dataclass(frozen=True)
class SimulatedReview:
    """Verdicts of simulated reviewers (see :func:`simulate_reviewers`).

    Attributes
    ----------
    verdicts : polars.DataFrame
        One row per verdict, in time order: ``queue_item_id``, ``entity_type``,
        ``entity_id``, ``run_id``, ``actor``, ``decided_at``, ``truth`` (``confirmed`` /
        ``cleared``), ``verdict`` (``actioned`` / ``dismissed``), ``label``, ``correct``.
    history : polars.DataFrame
        The audit rows for these verdicts (status and assignee changes).
    """

    verdicts: pl.DataFrame
    history: pl.DataFrame

    @property
    def error_share(self) -> float:
        """Share of verdicts that disagree with the truth."""
        if not self.verdicts.height:
            return 0.0
        return float(self.verdicts.select((~pl.col("correct")).mean()).item())

    def labels(self) -> pl.DataFrame:
        """The final verdict per entity as labels (``confirmed`` if any item was actioned)."""
        final = self.verdicts.group_by("queue_item_id", maintain_order=True).last()
        return (
            final.group_by("entity_type", "entity_id")
            .agg((pl.col("label") == "confirmed").any().alias("_c"))
            .select(
                "entity_type",
                "entity_id",
                pl.when("_c").then(pl.lit("confirmed")).otherwise(pl.lit("cleared")).alias("label"),
            )
            .sort("entity_type", "entity_id")
        )

    def apply(self, store: Any) -> int:
        """Record the verdicts in a queue database (``QueueStore.set_status``, which writes
        its audit rows at the time of the call), in time order; returns the number of status
        changes written."""
        n = 0
        for qid, verdict, actor in self.verdicts.select(
            "queue_item_id", "verdict", "actor"
        ).iter_rows():
            # the database's audit table records the change under the reviewer's name
            store.set_status(qid, verdict, assignee=actor, actor=actor)
            n += 1
        return n


def _truth_labels(truth: pl.DataFrame) -> pl.DataFrame:
    for c in ("entity_type", "entity_id"):
        if c not in truth.columns:
            raise SchemaError(f"truth has no column {c!r} (expected entity_type, entity_id)")
    if "label" in truth.columns:
        t = truth.select(
            pl.col("entity_type").cast(pl.String),
            pl.col("entity_id").cast(pl.String),
            pl.col("label").cast(pl.String),
        )
        bad = t.filter(~pl.col("label").is_in(list(_LABEL_OF)))
        if bad.height:
            raise SchemaError(
                f"truth: column 'label': {bad['label'][0]!r} is not a label, "
                "expected confirmed or cleared"
            )
        return t.unique(subset=["entity_type", "entity_id"], keep="last", maintain_order=True)
    return (
        truth.select(pl.col("entity_type").cast(pl.String), pl.col("entity_id").cast(pl.String))
        .unique()
        .with_columns(pl.lit("confirmed").alias("label"))
    )


def _open_items(items: pl.DataFrame, run_id: str | None) -> tuple[pl.DataFrame, str]:
    need = ("queue_item_id", "entity_type", "entity_id", "risk_score", "queue")
    for c in need:
        if c not in items.columns:
            raise SchemaError(f"queue items have no column {c!r} (expected {', '.join(need)})")
    run_col = "last_seen_run" if "last_seen_run" in items.columns else "run_id"
    if run_col not in items.columns:
        raise SchemaError("queue items have no column 'last_seen_run' or 'run_id'")
    status = pl.col("status") if "status" in items.columns else pl.lit("open")
    df = items.with_columns(status.alias("_status"), pl.col(run_col).alias("_run"))
    rid = run_id
    if rid is None:
        if "first_seen_at" in df.columns and df.height:
            rid = df.sort("updated_at" if "updated_at" in df.columns else "first_seen_at")["_run"][
                -1
            ]
        elif df.height:
            rid = df["_run"][0]
        else:
            rid = ""
    df = df.filter((pl.col("_run") == rid) & pl.col("_status").is_in(["open", "in_review"]))
    return df, str(rid)


def simulate_reviewers(
    items: pl.DataFrame,
    truth: pl.DataFrame,
    *,
    run_id: str | None = None,
    error_rate: float = 0.1,
    capacity: int | Mapping[str, int] | None = None,
    double_review: float = 0.0,
    reviewers: Sequence[str] = ("reviewer_1", "reviewer_2", "reviewer_3"),
    start: datetime | None = None,
    end: datetime | None = None,
    seed: int = 0,
    first_audit_id: int = 1,
) -> SimulatedReview:
    """Play reviewers over the open items of one run, using the synthetic truth.

    Parameters
    ----------
    items
        Queue items: ``QueueStore.read()`` (open items of the run are reviewed) or a run's
        ``queue.parquet`` (every item is open).
    truth
        ``entity_type, entity_id`` of the abusive entities (``truth.parquet`` of
        ``ringlens synth``), or with a ``label`` column (``confirmed`` / ``cleared``).
        Entities not in it are innocent.
    run_id
        The run whose items are reviewed (default: the latest run in ``items``).
    error_rate
        Probability that a verdict is the opposite of the truth (label noise).
    capacity
        Items reviewed: a total (riskiest first across queues) or per queue name (the
        queue's first items by priority); None reviews every open item.
    double_review
        Share of the reviewed items that a second reviewer judges again, independently.
    reviewers
        Reviewer names (items are dealt round-robin in review order).
    start, end
        The review period: verdicts are spread evenly over it in review order (default:
        from the latest ``first_seen_at`` / ``updated_at`` of the items to now).
    seed
        Seed of the errors and of the choice of double-reviewed items.
    first_audit_id
        ``audit_id`` of the first audit row (continue an existing history).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> q = pl.DataFrame({"queue_item_id": [f"q{i}" for i in range(100)], "entity_type": "buyer",
    ...     "entity_id": [str(i) for i in range(100)], "risk_score": 50.0, "queue": "review",
    ...     "priority": list(range(1, 101)), "run_id": "r1"})
    >>> truth = pl.DataFrame({"entity_type": "buyer", "entity_id": [str(i) for i in range(50)]})
    >>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> sim = simulate_reviewers(q, truth, error_rate=0.1, capacity=80, seed=1,
    ...                          start=t0, end=datetime(2026, 1, 2, tzinfo=timezone.utc))
    >>> sim.verdicts.height, 0.0 < sim.error_share < 0.25
    (80, True)
    """
    rate = check_float("error_rate", error_rate, low=0.0, high=1.0)
    dbl = check_float("double_review", double_review, low=0.0, high=1.0)
    check_int("seed", seed, 0)
    check_int("first_audit_id", first_audit_id, 1)
    names = [str(r) for r in reviewers]
    if not names or len(set(names)) != len(names):
        raise ConfigError("reviewers must be a non-empty list of distinct names")
    if dbl > 0 and len(names) < 2:
        raise ConfigError("double_review needs at least two reviewers")
    todo, rid = _open_items(items, run_id)
    todo = _to_review(todo, capacity).join(
        _truth_labels(truth), on=["entity_type", "entity_id"], how="left", maintain_order="left"
    )
    n = todo.height
    if start is None:
        cols = [c for c in ("updated_at", "first_seen_at") if c in todo.columns]
        s = todo.select(pl.max_horizontal(cols).max()).item() if cols and n else None
        start = s if isinstance(s, datetime) else datetime.now(UTC)
    if end is None or end <= start:
        end = max(datetime.now(UTC), start + timedelta(seconds=n + 1))
    v = _verdicts(todo, rid, names, rate=rate, double=dbl, seed=seed, start=start, end=end)
    return SimulatedReview(verdicts=v, history=_history(v, first_audit_id))


def _to_review(todo: pl.DataFrame, capacity: int | Mapping[str, int] | None) -> pl.DataFrame:
    """The items reviewers get to, in review order (riskiest first), within capacity."""
    prio = pl.col("priority") if "priority" in todo.columns else pl.lit(0)
    order = (["risk_score", "_prio", "queue_item_id"], [True, False, False])
    todo = todo.with_columns(prio.alias("_prio")).sort(order[0], descending=order[1])
    if isinstance(capacity, Mapping):
        caps = pl.DataFrame(
            {
                "queue": list(capacity),
                "_cap": [check_int(f"capacity[{k}]", v, 0) for k, v in capacity.items()],
            },
            schema={"queue": pl.String, "_cap": pl.Int64},
        )
        return (
            todo.sort(["queue", "_prio", "queue_item_id"])
            .with_columns(pl.int_range(1, pl.len() + 1).over("queue").alias("_n"))
            .join(caps, on="queue", how="left")
            .filter(pl.col("_n") <= pl.col("_cap").fill_null(0))
            .sort(order[0], descending=order[1])
        )
    if capacity is not None:
        return todo.head(check_int("capacity", capacity, 0) or 0)
    return todo


def _verdicts(
    todo: pl.DataFrame,
    run_id: str,
    names: Sequence[str],
    *,
    rate: float,
    double: float,
    seed: int,
    start: datetime,
    end: datetime,
) -> pl.DataFrame:
    """One row per verdict (vectorised): item ``i`` goes to reviewer ``i mod k`` at the
    ``i``-th step of the period; a double-reviewed item to the next reviewer half a step
    later; each verdict the truth, flipped with probability ``rate``."""
    n = todo.height
    rng = np.random.default_rng(seed)
    flip, second, flip2 = rng.random(n) < rate, rng.random(n) < double, rng.random(n) < rate
    truth = todo["label"].fill_null("cleared").to_numpy()
    is_conf = truth == "confirmed"
    step_us = int((end - start).total_seconds() * 1e6 / (n + 1))
    idx = np.arange(n)
    base = todo.select("queue_item_id", "entity_type", "entity_id").with_columns(
        pl.Series("truth", truth.astype(str), dtype=pl.String),
        pl.Series("_i", idx),
    )
    first = base.with_columns(
        pl.Series("_r", idx % len(names)),
        pl.Series("_t", (idx + 1) * step_us),
        pl.Series("conf", np.where(flip, ~is_conf, is_conf)),
        pl.lit(0).alias("_pass"),
    )
    again = base.with_columns(
        pl.Series("_r", (idx + 1) % len(names)),
        pl.Series("_t", (idx + 1) * step_us + step_us // 2),
        pl.Series("conf", np.where(flip2, ~is_conf, is_conf)),
        pl.lit(1).alias("_pass"),
    ).filter(pl.Series(second))
    who = pl.DataFrame({"_r": list(range(len(names))), "actor": list(names)})
    v = (
        pl.concat([first, again])
        .sort("_i", "_pass")
        .join(who, on="_r", how="left", maintain_order="left")
        .select(
            "queue_item_id",
            "entity_type",
            "entity_id",
            pl.lit(run_id, dtype=pl.String).alias("run_id"),
            pl.col("actor").cast(pl.String),
            (
                pl.lit(start).cast(pl.Datetime("us", "UTC"))
                + pl.duration(microseconds=pl.col("_t"))
            ).alias("decided_at"),
            "truth",
            pl.col("conf").cast(pl.Boolean),
        )
    )
    return (
        v.with_columns(
            pl.when("conf")
            .then(pl.lit("actioned"))
            .otherwise(pl.lit("dismissed"))
            .alias("verdict"),
            pl.when("conf").then(pl.lit("confirmed")).otherwise(pl.lit("cleared")).alias("label"),
        )
        .with_columns((pl.col("label") == pl.col("truth")).alias("correct"))
        .drop("conf")
    )


def _history(v: pl.DataFrame, first_id: int) -> pl.DataFrame:
    """Audit rows for the verdicts: the status change, and the assignee when it changes."""
    prev = pl.col("verdict").shift(1).over("queue_item_id")
    prev_actor = pl.col("actor").shift(1).over("queue_item_id")
    status = v.select(
        "queue_item_id",
        "decided_at",
        "actor",
        pl.lit("status").alias("field"),
        prev.fill_null("open").alias("old_value"),
        pl.col("verdict").alias("new_value"),
        "run_id",
        pl.lit(0).alias("_k"),
    )
    assignee = v.select(
        "queue_item_id",
        "decided_at",
        "actor",
        pl.lit("assignee").alias("field"),
        prev_actor.alias("old_value"),
        pl.col("actor").alias("new_value"),
        "run_id",
        pl.lit(1).alias("_k"),
    )
    h = (
        pl.concat([status, assignee])
        .with_row_index("_r")
        .sort(["decided_at", "_k", "_r"])
        .drop("_r", "_k")
    )
    return h.select(
        (pl.int_range(0, pl.len(), dtype=pl.Int64) + first_id).alias("audit_id"),
        "queue_item_id",
        pl.col("decided_at").alias("changed_at"),
        "actor",
        "field",
        "old_value",
        "new_value",
        pl.lit(None, dtype=pl.String).alias("note"),
        "run_id",
    ).cast(HISTORY_SCHEMA)


def platform_series(n_runs: int, *, events: int = 150_000, seed: int = 0) -> list[Any]:
    """Configurations of a changing synthetic platform, one per run (for demos and tests).

    Run ``k`` has its own seed; traffic grows by a sixth of ``events`` a run while the
    window shrinks from 7 to 3 days (denser activity: more organic coincidences), the ring
    mix alternates between 2 and 4 rings per pattern, camouflage rises from 0.5 to 1.0, a
    growing share of fake buyers are hijacked old accounts, and the organic structures that
    must not become rings (households, fan crowds, flash sales: ``negatives``) are on.

    Examples
    --------
    >>> [(c.days, c.rings_per_pattern) for c in platform_series(3, events=30_000)]
    [(7, 2), (6, 4), (5, 2)]
    """
    from ringlens.synth import SynthConfig

    n = check_int("n_runs", n_runs, 1) or 1
    check_int("events", events, 1000)
    out = []
    for k in range(n):
        out.append(
            SynthConfig(
                n_events=int(events * (1 + k / 6)),
                rings_per_pattern=2 if k % 2 == 0 else 4,
                camouflage=round(min(1.0, 0.5 + 0.1 * k), 2),
                camouflage_kind="biased",
                hijacked_share=round(min(0.6, 0.2 + 0.05 * k), 2),
                days=max(3, 7 - k),
                start=(datetime(2026, 10, 1) + timedelta(days=7 * k)).date().isoformat(),
                seed=seed * 1000 + k + 1,
                negatives=True,
            )
        )
    return out


#: The id columns of each table of a synthetic data set (``ringlens synth`` or a held-out
#: platform's generator) that :func:`prefix_ids` and :func:`prefix_table` prefix.
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("actor_id", "target_id"),
    "entities": ("entity_id",),
    "truth": ("entity_id", "ring_id"),
    "labels": ("entity_id",),
    "ring_targets": ("ring_id", "entity_id"),
    "negatives": ("group_id", "entity_id"),
    "rings": ("ring_id",),
}


def prefix_table(frame: pl.DataFrame, table: str, prefix: str) -> pl.DataFrame:
    """``frame`` (the table ``table`` of :data:`ID_COLUMNS`) with its ids prefixed."""
    return frame.with_columns(
        (pl.lit(prefix) + pl.col(c).cast(pl.String)).alias(c)
        for c in ID_COLUMNS.get(table, ())
        if c in frame.columns
    )


def prefix_ids(data: Any, prefix: str) -> Any:
    """The synthetic data with every id prefixed (``prefix`` + id), in every table: the
    accounts of one run of :func:`platform_series` are then distinct from the other runs'."""
    from dataclasses import replace

    changes = {
        name: prefix_table(frame, name, prefix)
        for name in ID_COLUMNS
        if isinstance(frame := getattr(data, name, None), pl.DataFrame)
    }
    return replace(data, **changes)
