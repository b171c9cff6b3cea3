"""Measured quality: Wilson intervals, precision tables, verdicts from the history, agreement,
time to verdict, ageing, re-opened dismissals and recall from labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from ringlens.calibrate import (
    HISTORY_SCHEMA,
    empty_history,
    measure_quality,
    precision_table,
    verdict_events,
    wilson_interval,
)
from ringlens.calibrate.quality import (
    open_item_ageing,
    recall_from_labels,
    reopened_dismissals,
    reviewer_agreement,
    wilson_exprs,
)
from ringlens.calibrate.runs import load_runs
from ringlens.calibrate.verdicts import check_history, latest_verdicts
from ringlens.exceptions import ConfigError, SchemaError

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [  # Newcombe, Statistics in Medicine 17 (1998) 857-872, Table II, method 3 (Wilson)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
        (5, 10, 0.2366, 0.7634),
    ],
)
def test_wilson_known_answers(k: int, n: int, lo: float, hi: float) -> None:
    got = wilson_interval(k, n)
    assert got == pytest.approx((lo, hi), abs=5e-5)
    row = pl.DataFrame({"confirmed": [k], "n": [n]}).with_columns(wilson_exprs()).row(0, named=True)
    assert (row["lo"], row["hi"]) == pytest.approx(got, abs=1e-12)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ConfigError, match="successes must be an integer from 0 to trials"):
        wilson_interval(4, 3)
    with pytest.raises(ConfigError, match="trials must be an integer >= 0"):
        wilson_interval(0, -1)
    assert all(x != x for x in wilson_interval(0, 0))  # nan: no trials, no interval


def test_precision_table_counts_and_small_samples() -> None:
    judged = pl.DataFrame(
        {
            "pattern": ["a"] * 30 + ["b"] * 3,
            "reasons": [["x", "y"]] * 30 + [["x"]] * 3,
            "label": ["confirmed"] * 27 + ["cleared"] * 3 + ["confirmed"] * 3,
        }
    )
    t = precision_table(judged, "pattern", min_verdicts=20)
    a = t.filter(pl.col("pattern") == "a").row(0, named=True)
    b = t.filter(pl.col("pattern") == "b").row(0, named=True)
    assert (a["n"], a["confirmed"], a["precision"], a["small_sample"]) == (30, 27, 0.9, False)
    assert (b["n"], b["precision"], b["small_sample"]) == (3, 1.0, True)
    assert b["lo"] == pytest.approx(0.4385, abs=1e-4)  # 3 of 3 is not certainty
    r = precision_table(judged, "reasons").sort("reasons")
    assert r["n"].to_list() == [33, 30]  # a list column counts an item once per value


def _items(statuses: list[str], **cols: list[object]) -> pl.DataFrame:
    n = len(statuses)
    base = {
        "queue_item_id": [f"q{i}" for i in range(n)],
        "entity_type": ["buyer"] * n,
        "entity_id": [str(i) for i in range(n)],
        "pattern": ["brushing"] * n,
        "risk_score": [70.0] * n,
        "queue": ["review"] * n,
        "market": ["US"] * n,
        "status": statuses,
        "first_seen_run": ["r1"] * n,
        "last_seen_run": ["r1"] * n,
        "first_seen_at": [T0] * n,
        "status_updated_at": [T0 + timedelta(hours=5)] * n,
    }
    base.update(cols)
    return pl.DataFrame(base)


def _hist(rows: list[tuple[str, int, str, str, str, str]]) -> pl.DataFrame:
    """(item, hours after T0, actor, old, new, run)"""
    return pl.DataFrame(
        [
            {
                "audit_id": i + 1,
                "queue_item_id": q,
                "changed_at": T0 + timedelta(hours=h),
                "actor": actor,
                "field": "status",
                "old_value": old,
                "new_value": new,
                "note": None,
                "run_id": run,
            }
            for i, (q, h, actor, old, new, run) in enumerate(rows)
        ],
        schema=HISTORY_SCHEMA,
    )


def test_verdicts_come_from_the_history_and_runs_reopens_are_not_verdicts() -> None:
    items = _items(["actioned", "open", "dismissed"])
    hist = _hist(
        [
            ("q0", 2, "ann", "open", "dismissed", "r1"),
            ("q0", 3, "bob", "dismissed", "actioned", "r1"),
            ("q1", 2, "ann", "open", "dismissed", "r1"),
            ("q1", 30, "ringlens:r2", "dismissed", "open", "r2"),  # a run re-opened it
        ]
    )
    v = verdict_events(items, hist)
    # q2 has no verdict in the history: its status counts, marked as such
    assert v.select("queue_item_id", "label", "actor", "source").rows() == [
        ("q0", "cleared", "ann", "history"),
        ("q1", "cleared", "ann", "history"),
        ("q0", "confirmed", "bob", "history"),
        ("q2", "cleared", None, "status"),
    ]
    last = latest_verdicts(v)
    assert dict(last.select("queue_item_id", "label").iter_rows()) == {
        "q0": "confirmed",
        "q1": "cleared",
        "q2": "cleared",
    }
    # without a history every verdict status is a verdict on the item's last run
    assert verdict_events(items, empty_history())["source"].to_list() == ["status", "status"]


def test_history_schema_errors_are_one_line() -> None:
    with pytest.raises(SchemaError, match=r"^history has no column 'changed_at'"):
        check_history(pl.DataFrame({"audit_id": [1], "queue_item_id": ["q"]}))
    bad = empty_history().with_columns(pl.col("audit_id").cast(pl.String))
    with pytest.raises(
        SchemaError, match="history: column 'audit_id' has type String, expected Int64"
    ):
        check_history(bad)
    with pytest.raises(SchemaError, match="history must be a polars DataFrame"):
        check_history({"audit_id": [1]})


def test_reviewer_agreement_and_kappa() -> None:
    # 50 double-reviewed items: 20 both confirmed, 15 both cleared, 5 + 10 disagreements
    pairs = [("confirmed", "confirmed")] * 20 + [("cleared", "cleared")] * 15
    pairs += [("confirmed", "cleared")] * 5 + [("cleared", "confirmed")] * 10
    rows = []
    for i, (a, b) in enumerate(pairs):
        rows += [(f"q{i}", "ann", a, 2 * i), (f"q{i}", "bob", b, 2 * i + 1)]
    rows.append(("solo", "ann", "confirmed", 999))  # one verdict: not a pair
    v = pl.DataFrame(rows, schema=["queue_item_id", "actor", "label", "decided_at"], orient="row")
    r = reviewer_agreement(v)
    assert (r["items"], r["agreed"], r["agreement"]) == (50, 35, 0.7)
    assert r["cohen_kappa"] == pytest.approx(0.4)  # po .7, pe .5*.6 + .5*.4 = .5


def test_ageing_reopened_and_time_to_verdict() -> None:
    now = T0 + timedelta(days=10)
    items = _items(
        ["open", "open", "in_review", "actioned", "dismissed"],
        first_seen_at=[now - timedelta(hours=h) for h in (2, 50, 400, 1000, 5)],
        status_updated_at=[None, None, None, T0, T0],
    )
    age = open_item_ageing(items, now=now)
    assert dict(age.select("bucket", "items").iter_rows()) == {
        "< 1 day": 1,
        "1–3 days": 1,
        "7–30 days": 1,
    }
    hist = _hist(
        [
            ("q3", 1, "ann", "open", "dismissed", "r1"),
            ("q4", 1, "ann", "open", "dismissed", "r1"),
            ("q4", 50, "ringlens:r2", "dismissed", "open", "r2"),
        ]
    )
    re = reopened_dismissals(items, hist)
    assert (re["dismissed"], re["reopened"], re["share"]) == (2, 1, 0.5)
    no_hist = reopened_dismissals(
        items.with_columns(pl.Series("requeue_count", [0, 0, 0, 0, 2])), None
    )
    assert (no_hist["dismissed"], no_hist["reopened"], no_hist["source"]) == (1, 1, "requeue_count")


def test_measure_quality_on_a_loop(loop) -> None:
    runs = load_runs(loop.run_dirs, queue_runs=loop.queue_runs())
    q = measure_quality(loop.items(), loop.history, runs, labels=loop.labels, min_verdicts=20)
    overall = q.precision.filter(pl.col("dimension") == "overall").row(0, named=True)
    # the simulated reviewers erred 10 % of the time on near-perfect queues
    assert 0.8 <= overall["precision"] <= 0.97
    assert overall["n"] == q.verdicts > 100
    assert set(q.precision["dimension"].unique()) == {
        "overall",
        "pattern",
        "market",
        "reason",
        "rule",
        "queue",
    }
    rules = q.precision.filter(pl.col("dimension") == "rule")["value"].to_list()
    assert "review" in rules  # the rule of each verdict comes from the run's queue.parquet
    assert q.agreement["items"] > 10 and q.agreement["agreement"] > 0.7
    assert q.recall is not None
    rec = q.recall.filter(pl.col("dimension") == "overall").row(0, named=True)
    queued = pl.concat([r.queue.select("entity_type", "entity_id") for r in runs]).unique()
    hits = loop.labels.join(queued, on=["entity_type", "entity_id"], how="semi").height
    # small queues: many confirmed members did not fit, and recall says so
    assert (rec["n"], rec["queued"]) == (loop.labels.height, hits)
    assert 0.0 < rec["recall"] < 1.0
    assert q.time_to_verdict.filter(pl.col("queue") == "(all)")["items"][0] > 100
    # the same inputs give the same report
    again = measure_quality(loop.items(), loop.history, runs, labels=loop.labels)
    assert again.as_dict() == q.as_dict()


def test_recall_counts_a_label_as_found_when_any_run_queued_it(loop) -> None:
    runs = load_runs(loop.run_dirs)
    queued = runs[0].queue.select("entity_type", "entity_id").head(2)
    missing = pl.DataFrame({"entity_type": ["buyer"], "entity_id": ["nobody-ever"]})
    labels = pl.concat([queued, missing]).with_columns(pl.lit("confirmed").alias("label"))
    r = recall_from_labels(labels, runs).filter(pl.col("dimension") == "overall").row(0, named=True)
    assert (r["n"], r["queued"]) == (3, 2)
    by = recall_from_labels(labels, runs).filter(pl.col("value") == "(not scored)")
    assert by["n"].to_list() == [1]


def test_bad_settings_are_config_errors(loop) -> None:
    with pytest.raises(ConfigError, match="min_verdicts must be an integer >= 1"):
        measure_quality(loop.items(), None, [], min_verdicts=0)
