"""Measured quality from reviewers' verdicts: precision with Wilson intervals, recall from
labels the run missed, reviewer agreement, time to verdict, ageing and re-opened dismissals.

Every rate comes with its counts and a Wilson score interval (Wilson, *Probable inference,
the law of succession, and statistical inference*, JASA 1927), which stays inside [0, 1]
and is honest for small samples where the normal approximation is not: 3 of 3 confirmed is
a precision of 1.0 with a 95 % interval of 0.44–1.0. Rows with fewer verdicts than
``min_verdicts`` are flagged ``small_sample``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from ringlens.calibrate.runs import RunRecord
from ringlens.calibrate.verdicts import check_items, latest_verdicts, verdict_events
from ringlens.exceptions import check_float, check_int

__all__ = [
    "Z95",
    "QualityReport",
    "judged_items",
    "measure_quality",
    "open_item_ageing",
    "precision_table",
    "rate_row",
    "recall_from_labels",
    "reopened_dismissals",
    "reviewer_agreement",
    "time_to_verdict",
    "wilson_exprs",
    "wilson_interval",
]

#: The normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054
#: Ageing buckets of open items (upper bounds in hours).
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 1 day", 24.0),
    ("1–3 days", 72.0),
    ("3–7 days", 168.0),
    ("7–30 days", 720.0),
    ("> 30 days", math.inf),
)
_UNKNOWN = "(unknown)"


def wilson_interval(successes: int, trials: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson 1927); ``(nan, nan)`` for 0 trials.

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(5, 10)]
    [0.2366, 0.7634]
    >>> [round(x, 4) for x in wilson_interval(0, 10)]
    [0.0, 0.2775]
    >>> wilson_interval(3, 2)
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: successes must be an integer from 0 to trials (2), got 3
    """
    n = check_int("trials", trials, 0)
    k = check_int("successes", successes, 0)
    assert n is not None and k is not None
    if k > n:
        from ringlens.exceptions import ConfigError

        raise ConfigError(f"successes must be an integer from 0 to trials ({n}), got {k}")
    check_float("z", z, low=0.0, low_open=True)
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def wilson_exprs(
    successes: str = "confirmed", trials: str = "n", *, z: float = Z95, prefix: str = ""
) -> list[pl.Expr]:
    """Polars expressions for the rate and its Wilson interval (``rate``, ``lo``, ``hi``,
    each with ``prefix``) from two count columns; null where there are no trials.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"confirmed": [5], "n": [10]}).with_columns(wilson_exprs()).select(
    ...     pl.col("lo", "hi").round(4)).row(0)
    (0.2366, 0.7634)
    """
    k = pl.col(successes).cast(pl.Float64)
    n = pl.col(trials).cast(pl.Float64)
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt()
    ok = n > 0
    return [
        pl.when(ok).then(p).alias(f"{prefix}rate"),
        pl.when(ok).then((centre - half).clip(0.0, 1.0)).alias(f"{prefix}lo"),
        pl.when(ok).then((centre + half).clip(0.0, 1.0)).alias(f"{prefix}hi"),
    ]


def rate_row(successes: int, trials: int, *, min_n: int = 1) -> dict[str, Any]:
    """``{n, successes, rate, lo, hi, small_sample}`` for a report (rates None when n = 0).

    Examples
    --------
    >>> rate_row(3, 3, min_n=20)["small_sample"], round(rate_row(3, 3)["lo"], 3)
    (True, 0.439)
    """
    lo, hi = wilson_interval(successes, trials)
    return {
        "n": trials,
        "successes": successes,
        "rate": successes / trials if trials else None,
        "lo": None if math.isnan(lo) else lo,
        "hi": None if math.isnan(hi) else hi,
        "small_sample": trials < min_n,
    }


def precision_table(
    judged: pl.DataFrame, by: str | Sequence[str], *, min_verdicts: int = 20
) -> pl.DataFrame:
    """Precision (share ``confirmed``) of judged items per group, with counts and intervals.

    ``judged`` has a ``label`` column (``confirmed`` / ``cleared``) and the ``by`` columns;
    a list column (``reasons``) counts an item once for each of its values. Returns the
    ``by`` columns, ``n``, ``confirmed``, ``precision``, ``lo``, ``hi``, ``small_sample``,
    largest groups first.

    Examples
    --------
    >>> import polars as pl
    >>> j = pl.DataFrame({"pattern": ["a", "a", "b"], "label": ["confirmed", "cleared", "confirmed"]})
    >>> precision_table(j, "pattern", min_verdicts=2).select("pattern", "n", "precision", "small_sample").rows()
    [('a', 2, 0.5, False), ('b', 1, 1.0, True)]
    """
    cols = [by] if isinstance(by, str) else list(by)
    frame = judged
    for c in cols:
        if isinstance(frame.schema[c], pl.List):
            frame = frame.explode(c)
        if not frame.schema[c].is_numeric():
            frame = frame.with_columns(pl.col(c).cast(pl.String).fill_null(_UNKNOWN))
    out = (
        frame.group_by(cols)
        .agg(
            pl.len().cast(pl.Int64).alias("n"),
            (pl.col("label") == "confirmed").sum().cast(pl.Int64).alias("confirmed"),
        )
        .with_columns(wilson_exprs())
        .rename({"rate": "precision"})
        .with_columns((pl.col("n") < min_verdicts).alias("small_sample"))
    )
    return out.sort(["n", *cols], descending=[True, *([False] * len(cols))])


def judged_items(
    items: pl.DataFrame,
    history: pl.DataFrame | None,
    runs: Sequence[RunRecord] = (),
) -> pl.DataFrame:
    """The last verdict per (item, run), with what that run said about the item.

    Columns: ``queue_item_id``, ``entity_type``, ``entity_id``, ``run_id``, ``label``,
    ``verdict``, ``actor``, ``decided_at``, ``source``, and from the run's
    ``queue.parquet`` (or, for runs not given, the database row) ``pattern``, ``market``,
    ``queue``, ``rule``, ``risk_score``, ``reasons``; ``run_index`` is the run's position
    in ``runs`` (null for runs not given).
    """
    items = check_items(items)
    latest = latest_verdicts(verdict_events(items, history))
    run_rows = [
        r.queue.select(
            "queue_item_id",
            pl.lit(r.run_id).alias("run_id"),
            pl.lit(i, dtype=pl.Int64).alias("run_index"),
            "pattern",
            "market",
            "queue",
            pl.col("rule").cast(pl.String),
            "risk_score",
            pl.col("reasons").cast(pl.List(pl.String))
            if "reasons" in r.queue.columns
            else pl.lit(None, pl.List(pl.String)).alias("reasons"),
        )
        for i, r in enumerate(runs)
    ]
    schema = pl.Schema(
        {
            "queue_item_id": pl.String(),
            "run_id": pl.String(),
            "run_index": pl.Int64(),
            "pattern": pl.String(),
            "market": pl.String(),
            "queue": pl.String(),
            "rule": pl.String(),
            "risk_score": pl.Float64(),
            "reasons": pl.List(pl.String()),
        }
    )
    from_runs = (
        pl.concat([f.cast(schema) for f in run_rows]) if run_rows else pl.DataFrame(schema=schema)
    )
    store_cols = items.select(
        "queue_item_id",
        pl.col("pattern").alias("_pattern"),
        pl.col("market").alias("_market"),
        pl.col("queue").alias("_queue"),
        pl.col("risk_score").alias("_risk"),
        (
            pl.col("reasons").cast(pl.List(pl.String))
            if "reasons" in items.columns
            else pl.lit(None, pl.List(pl.String))
        ).alias("_reasons"),
    )
    out = (
        latest.join(from_runs, on=["queue_item_id", "run_id"], how="left")
        .join(store_cols, on="queue_item_id", how="left")
        .with_columns(
            pl.coalesce("pattern", "_pattern").alias("pattern"),
            pl.coalesce("market", "_market").alias("market"),
            pl.coalesce("queue", "_queue").alias("queue"),
            pl.coalesce("risk_score", "_risk").alias("risk_score"),
            pl.coalesce("reasons", "_reasons").alias("reasons"),
        )
        .drop("_pattern", "_market", "_queue", "_risk", "_reasons")
    )
    return out.sort(["run_index", "run_id", "queue_item_id"], nulls_last=True)


def reviewer_agreement(verdicts: pl.DataFrame) -> dict[str, Any]:
    """Agreement between reviewers on items that got two verdicts.

    An item got two verdicts when two different actors set a verdict status on it (the
    first verdict of each of its first two actors is compared). Returns ``items`` (such
    items), ``agreed``, ``agreement`` (share, with Wilson ``lo`` / ``hi``) and Cohen's
    kappa (Cohen 1960), which discounts the agreement two reviewers reach by chance;
    kappa is None when it is undefined (every verdict the same).

    A second reviewer who agrees sets the status the item already has:
    :meth:`ringlens.export.QueueStore.review` records that as a confirmation (a ``status``
    row whose old and new value are the same verdict, by an actor other than the one who
    set it), and :func:`~ringlens.calibrate.simulate.simulate_reviewers`' history has them
    too, so agreements and disagreements both show up here as pairs.

    Examples
    --------
    >>> import polars as pl
    >>> v = pl.DataFrame({"queue_item_id": ["a", "a", "b", "b"], "actor": ["x", "y", "x", "y"],
    ...     "label": ["confirmed", "confirmed", "confirmed", "cleared"],
    ...     "decided_at": [1, 2, 3, 4]})
    >>> r = reviewer_agreement(v)
    >>> r["items"], r["agreed"], r["agreement"]
    (2, 1, 0.5)
    """
    firsts = (
        verdicts.filter(pl.col("actor").is_not_null())
        .sort("decided_at", maintain_order=True)
        .group_by("queue_item_id", "actor", maintain_order=True)
        .first()
        .group_by("queue_item_id", maintain_order=True)
        .head(2)
    )
    pairs = (
        firsts.group_by("queue_item_id", maintain_order=True)
        .agg(pl.col("label"))
        .filter(pl.col("label").list.len() == 2)
        .select(
            pl.col("label").list.get(0).alias("a"),
            pl.col("label").list.get(1).alias("b"),
        )
    )
    n = pairs.height
    agreed = int((pairs["a"] == pairs["b"]).sum()) if n else 0
    row = rate_row(agreed, n)
    kappa = None
    if n:
        pa = (pairs["a"] == "confirmed").mean()
        pb = (pairs["b"] == "confirmed").mean()
        assert isinstance(pa, float) and isinstance(pb, float)
        pe = pa * pb + (1 - pa) * (1 - pb)
        kappa = None if pe >= 1.0 else (agreed / n - pe) / (1 - pe)
    return {
        "items": n,
        "agreed": agreed,
        "agreement": row["rate"],
        "lo": row["lo"],
        "hi": row["hi"],
        "cohen_kappa": kappa,
    }


def time_to_verdict(items: pl.DataFrame, verdicts: pl.DataFrame) -> pl.DataFrame:
    """Hours from an item's first appearance in the queue to its first verdict, per queue
    and overall (``queue`` = ``(all)``): ``items``, ``median_hours``, ``p90_hours``,
    ``max_hours``."""
    first = verdicts.group_by("queue_item_id").agg(pl.col("decided_at").min())
    t = (
        items.select("queue_item_id", "queue", "first_seen_at")
        .join(first, on="queue_item_id", how="inner")
        .with_columns(
            ((pl.col("decided_at") - pl.col("first_seen_at")).dt.total_microseconds() / 3.6e9)
            .clip(0.0, None)
            .alias("hours"),
            pl.col("queue").fill_null(_UNKNOWN),
        )
        .drop_nulls("hours")
    )
    aggs = [
        pl.len().cast(pl.Int64).alias("items"),
        pl.col("hours").median().alias("median_hours"),
        pl.col("hours").quantile(0.9, "linear").alias("p90_hours"),
        pl.col("hours").max().alias("max_hours"),
    ]
    per_queue = t.group_by("queue").agg(aggs).sort("queue")
    overall = t.select(pl.lit("(all)").alias("queue"), *aggs)
    return pl.concat([overall, per_queue], how="vertical_relaxed")


def open_item_ageing(items: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    """Open (``open`` or ``in_review``) items per queue and age bucket, counted from when
    they were last put in front of reviewers (``status_updated_at`` for a re-opened item,
    else ``first_seen_at``): ``queue``, ``bucket``, ``items``, ``oldest_hours``."""
    labels = [b for b, _ in AGE_BUCKETS]
    bounds = [h for _, h in AGE_BUCKETS]
    since = pl.coalesce("status_updated_at", "first_seen_at")
    op = items.filter(pl.col("status").is_in(["open", "in_review"])).with_columns(
        ((pl.lit(now) - since).dt.total_microseconds() / 3.6e9).clip(0.0, None).alias("hours"),
        pl.col("queue").fill_null(_UNKNOWN),
    )
    bucket = pl.lit(labels[-1])
    for lab, hi in reversed(list(zip(labels[:-1], bounds[:-1], strict=True))):
        bucket = pl.when(pl.col("hours") < hi).then(pl.lit(lab)).otherwise(bucket)
    order = pl.DataFrame({"bucket": labels, "_o": list(range(len(labels)))})
    return (
        op.with_columns(bucket.alias("bucket"))
        .group_by("queue", "bucket")
        .agg(pl.len().cast(pl.Int64).alias("items"), pl.col("hours").max().alias("oldest_hours"))
        .join(order, on="bucket")
        .sort("queue", "_o")
        .drop("_o")
    )


def reopened_dismissals(items: pl.DataFrame, history: pl.DataFrame | None) -> dict[str, Any]:
    """Share of dismissed items that a later run re-opened (its risk rose by the margin).

    With a history: items with a ``dismissed`` verdict, and among them those a run
    (actor ``ringlens:<run_id>``) later set back to ``open``. Without: items dismissed now
    or re-opened once (``requeue_count`` > 0).
    """
    if history is not None and history.height:
        st = history.filter(pl.col("field") == "status")
        dismissed = (
            st.filter(pl.col("new_value") == "dismissed")
            .group_by("queue_item_id")
            .agg(pl.col("changed_at").min().alias("_d"))
        )
        reopened = (
            st.filter(
                pl.col("actor").fill_null("").str.starts_with("ringlens:")
                & (pl.col("old_value") == "dismissed")
            )
            .join(dismissed, on="queue_item_id")
            .filter(pl.col("changed_at") >= pl.col("_d"))
            .select("queue_item_id")
            .unique()
        )
        n, k = dismissed.height, reopened.height
    else:
        rq = pl.col("requeue_count").fill_null(0) if "requeue_count" in items.columns else pl.lit(0)
        ever = items.filter((pl.col("status") == "dismissed") | (rq > 0))
        n = ever.height
        k = ever.filter(rq > 0).height
    row = rate_row(k, n)
    return {
        "dismissed": n,
        "reopened": k,
        "share": row["rate"],
        "lo": row["lo"],
        "hi": row["hi"],
        "source": "history" if history is not None and history.height else "requeue_count",
    }


def recall_from_labels(
    labels: pl.DataFrame, runs: Sequence[RunRecord], *, min_verdicts: int = 20
) -> pl.DataFrame:
    """Recall estimated from entities confirmed by other means (chargebacks, user reports,
    investigations): the share of them that any of the ``runs`` queued, overall and per
    pattern and market.

    A label's ``pattern`` / ``market`` come from the labels table when it has those
    columns, else from the latest run that scored the entity (its ring's pattern, its
    market); entities no run scored count as ``(not scored)``. Labels derived from the
    queue's own verdicts would make this trivially 1: pass labels from other sources.

    Returns ``dimension`` (overall / pattern / market), ``value``, ``n`` (confirmed
    labels), ``queued``, ``recall``, ``lo``, ``hi``, ``small_sample``.
    """
    conf = labels.filter(pl.col("label") == "confirmed").select(
        "entity_type",
        "entity_id",
        *[c for c in ("pattern", "market") if c in labels.columns],
    )
    conf = conf.unique(subset=["entity_type", "entity_id"], keep="last", maintain_order=True)
    keys = ["entity_type", "entity_id"]
    queued = (
        pl.concat([r.queue.select(keys) for r in runs]).unique()
        if runs
        else pl.DataFrame(schema={"entity_type": pl.String, "entity_id": pl.String})
    ).with_columns(pl.lit(True).alias("queued"))
    seen_parts = []
    for i, r in enumerate(runs):
        ring_pattern = r.rings.select("ring_id", pl.col("pattern").alias("_rp"))
        seen_parts.append(
            r.entities.select(*keys, "ring_id", pl.col("market").cast(pl.String).alias("_m"))
            .join(ring_pattern, on="ring_id", how="left")
            .select(
                *keys,
                pl.col("_rp").fill_null("(not in a ring)").alias("_p"),
                "_m",
                pl.lit(i).alias("_i"),
            )
        )
    seen = (
        pl.concat(seen_parts).sort("_i").group_by(keys).last().drop("_i")
        if seen_parts
        else pl.DataFrame(
            schema={
                "entity_type": pl.String,
                "entity_id": pl.String,
                "_p": pl.String,
                "_m": pl.String,
            }
        )
    )
    df = conf.join(seen, on=keys, how="left").join(queued, on=keys, how="left")
    pattern = pl.col("_p").fill_null("(not scored)")
    market = pl.col("_m").fill_null(_UNKNOWN)
    if "pattern" in df.columns:
        pattern = pl.coalesce(pl.col("pattern").cast(pl.String), pattern)
    if "market" in df.columns:
        market = pl.coalesce(pl.col("market").cast(pl.String), market)
    df = df.select(
        pattern.alias("pattern"),
        market.alias("market"),
        pl.col("queued").fill_null(False).cast(pl.Int64).alias("hit"),
    )
    parts = [df.select(pl.lit("overall").alias("dimension"), pl.lit("(all)").alias("value"), "hit")]
    for dim in ("pattern", "market"):
        parts.append(df.select(pl.lit(dim).alias("dimension"), pl.col(dim).alias("value"), "hit"))
    order = {"overall": 0, "pattern": 1, "market": 2}
    return (
        pl.concat(parts)
        .group_by("dimension", "value")
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("hit").sum().cast(pl.Int64).alias("queued"))
        .with_columns(wilson_exprs("queued", "n"))
        .rename({"rate": "recall"})
        .with_columns((pl.col("n") < min_verdicts).alias("small_sample"))
        .sort(
            pl.col("dimension").replace_strict(order, return_dtype=pl.Int64),
            pl.col("n"),
            pl.col("value"),
            descending=[False, True, False],
        )
    )


@dataclass(frozen=True)
class QualityReport:
    """What the verdicts say about the runs (see :func:`measure_quality`).

    Attributes
    ----------
    precision : polars.DataFrame
        ``dimension`` (overall, pattern, market, reason, rule, queue), ``value``, ``n``,
        ``confirmed``, ``precision``, ``lo``, ``hi``, ``small_sample``.
    precision_by_run : polars.DataFrame
        The same per run, for patterns and markets (``run_id``, ``run_index``).
    recall : polars.DataFrame or None
        :func:`recall_from_labels` (None without labels).
    agreement, reopened : dict
        :func:`reviewer_agreement`, :func:`reopened_dismissals`.
    time_to_verdict, ageing : polars.DataFrame
        :func:`time_to_verdict`, :func:`open_item_ageing`.
    verdicts : int
        Judged (item, run) pairs behind the precision.
    history_source : str
        ``history`` (audit table) or ``status`` (items' current status only).
    now : datetime or None
        The time ageing was counted at.
    """

    precision: pl.DataFrame
    precision_by_run: pl.DataFrame
    recall: pl.DataFrame | None
    agreement: Mapping[str, Any]
    reopened: Mapping[str, Any]
    time_to_verdict: pl.DataFrame
    ageing: pl.DataFrame
    verdicts: int
    history_source: str
    now: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pl.DataFrame:
        """The precision table (one row per dimension and value)."""
        return self.precision

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (tables as lists of rows)."""
        return {
            "verdicts": self.verdicts,
            "history_source": self.history_source,
            "now": None if self.now is None else self.now.isoformat(),
            "precision": self.precision.to_dicts(),
            "precision_by_run": self.precision_by_run.to_dicts(),
            "recall": None if self.recall is None else self.recall.to_dicts(),
            "agreement": dict(self.agreement),
            "reopened_dismissals": dict(self.reopened),
            "time_to_verdict": self.time_to_verdict.to_dicts(),
            "open_item_ageing": self.ageing.to_dicts(),
        }


def _now_of(items: pl.DataFrame, history: pl.DataFrame | None) -> datetime | None:
    cands = []
    for c in ("updated_at", "status_updated_at", "first_seen_at"):
        if c in items.columns:
            cands.append(items[c].max())
    if history is not None and history.height:
        cands.append(history["changed_at"].max())
    vals = [v for v in cands if isinstance(v, datetime)]
    return max(vals) if vals else None


def measure_quality(
    items: pl.DataFrame,
    history: pl.DataFrame | None = None,
    runs: Sequence[RunRecord] = (),
    *,
    labels: pl.DataFrame | None = None,
    min_verdicts: int = 20,
    now: datetime | None = None,
) -> QualityReport:
    """Measured quality of the queue from reviewers' verdicts (and labels from elsewhere).

    Parameters
    ----------
    items
        The queue items (``QueueStore.read()``).
    history
        The audit frame (``QueueStore.history()``); None or an empty frame when the
        database has no audit table (each item's current status is then its verdict).
    runs
        The run folders (:func:`~ringlens.calibrate.runs.load_runs`), oldest first: their
        queues give each verdict the pattern, market, rule and reasons the reviewer saw.
    labels
        Entities confirmed (or cleared) by other means, for the recall estimate.
    min_verdicts
        Rows with fewer verdicts are flagged ``small_sample``.
    now
        When to count the age of open items (default: the latest time in the database, so
        the same database gives the same report).
    """
    min_n = check_int("min_verdicts", min_verdicts, 1)
    assert min_n is not None
    items = check_items(items)
    judged = judged_items(items, history, runs)
    parts = [
        precision_table(
            judged.with_columns(pl.lit("(all)").alias("value")), "value", min_verdicts=min_n
        ).with_columns(pl.lit("overall").alias("dimension"))
    ]
    for dim in ("pattern", "market", "reasons", "rule", "queue"):
        t = precision_table(judged.rename({dim: "value"}), "value", min_verdicts=min_n)
        parts.append(t.with_columns(pl.lit(dim.rstrip("s")).alias("dimension")))
    precision = pl.concat([p.select("dimension", pl.exclude("dimension")) for p in parts])
    by_run = []
    for dim in ("pattern", "market"):
        t = precision_table(
            judged.filter(pl.col("run_index").is_not_null()).rename({dim: "value"}),
            ["run_index", "run_id", "value"],
            min_verdicts=min_n,
        )
        by_run.append(t.with_columns(pl.lit(dim).alias("dimension")))
    precision_by_run = pl.concat(by_run).sort("dimension", "run_index", "value")
    verdicts = verdict_events(items, history)
    when = now or _now_of(items, history)
    return QualityReport(
        precision=precision,
        precision_by_run=precision_by_run,
        recall=None if labels is None else recall_from_labels(labels, runs, min_verdicts=min_n),
        agreement=reviewer_agreement(verdicts),
        reopened=reopened_dismissals(items, history),
        time_to_verdict=time_to_verdict(items, verdicts),
        ageing=open_item_ageing(items, now=when) if when is not None else pl.DataFrame(),
        verdicts=judged.height,
        history_source="history" if history is not None and history.height else "status",
        now=when,
    )
