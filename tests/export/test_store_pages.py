"""The workbench's queue pages on SQLite: a broad filter in an order other than priority
walks a prefix of the order's index; the page must be the one the plain query gives.
A ring's verdict reads only the ring's items; the filter choices come from indexes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest

from ringlens.export import QUEUE_SCHEMA, QueueFilter, _sql, open_queue_store
from ringlens.export import store as store_mod

MARKETS = ["US", "US", "US", "GB", "DE", "MY", None]


def skewed_queue(n: int) -> pl.DataFrame:
    i = pl.int_range(0, n, dtype=pl.Int64)
    h = (i * 2654435761) % 1_000_003
    return (
        pl.select(i.alias("i"), h.alias("h"))
        .select(
            pl.format("q{}", pl.col("i")).alias("queue_item_id"),
            pl.lit("buyer").alias("entity_type"),
            pl.format("b{}", pl.col("h") % 997).alias("entity_id").str.zfill(6)
            + pl.format("_{}", pl.col("i")),
            pl.format("ring_{}", pl.col("i") // 10).alias("ring_id"),
            pl.lit(pl.Series(["brushing", "mutual_boost", "affiliate_fraud"]))
            .gather(pl.col("h") % 3)
            .alias("pattern"),
            ((pl.col("h") % 1000).cast(pl.Float64) / 10.0).alias("risk_score"),
            (pl.col("i") + 1).alias("priority"),
            pl.lit(pl.Series(["monitor", "manual_review", "suspend"]))
            .gather(pl.col("h") % 7 % 3)
            .alias("action"),
            pl.lit("review").alias("queue"),
            pl.concat_list(pl.lit("ring_member")).alias("reasons"),
            pl.lit(None, pl.String).alias("evidence"),
            pl.lit(pl.Series(MARKETS)).gather(pl.col("h") % len(MARKETS)).alias("market"),
            pl.lit("r1").alias("run_id"),
        )
        .cast(QUEUE_SCHEMA)
    )


@pytest.fixture
def big(tmp_path: Path) -> Path:
    db = tmp_path / "queue.sqlite"
    q = skewed_queue(4000)
    with open_queue_store(db) as st:
        st.upsert(q, run_id="r1")
        st.upsert(q.head(3000).with_columns(run_id=pl.lit("r2")), run_id="r2")  # 1000 stale
        for k, ring in enumerate(q["ring_id"].unique().sort().to_list()[:120]):
            st.review(
                ring_id=ring,
                status=("in_review", "dismissed", "actioned")[k % 3],
                assignee=("ana", "bo")[k % 2],
                actor="t",
            )
    return db


FILTERS = [
    {"market": "US"},
    {"market": "MY"},
    {"market": ""},
    {"status": "open"},
    {"status": "dismissed"},
    {"assignee": "ana"},
    {"assignee": ""},
    {"pattern": "brushing", "market": "US"},
    {"action": "suspend"},
    {"risk_min": 30.0, "risk_max": 70.0},
    {"risk_min": 90.0},
    {"stale": True},
    {"stale": False, "market": "GB"},
    {"market": "MY", "status": "dismissed"},
    {"run_id": "r1"},
]


def test_prefix_pages_equal_the_plain_query(big: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "_PREFIX_ROWS", 300)
    monkeypatch.setattr(store_mod, "_PREFIX_MIN_MATCHES", 40)
    used: list[str] = []
    with open_queue_store(big) as st:
        st._conn.set_trace_callback(used.append)  # noqa: SLF001 - which plan ran
        for kw in FILTERS:
            for order in ("risk", "entity", "status", "updated", "priority"):
                for offset in (0, 10, 120, 900):
                    flt = QueueFilter(**kw)
                    got = st.query(flt, order=order, limit=25, offset=offset)
                    saved = dict(_sql.READ_PREFIX)
                    _sql.READ_PREFIX.clear()
                    try:
                        want = st.query(flt, order=order, limit=25, offset=offset)
                    finally:
                        _sql.READ_PREFIX.update(saved)
                    assert got.equals(want), (kw, order, offset)
    # the prefix served pages by itself (no plain query after it), and fell back too
    txs: list[list[str]] = []
    for statement in used:
        if statement.startswith("BEGIN"):
            txs.append([])
        elif txs:
            txs[-1].append(statement)
    walks = [t for t in txs if any("INDEXED BY" in x for x in t)]
    pages = [[x for x in t if "SELECT queue_item_id, entity_type" in x] for t in walks]
    alone = [p for p in pages if len(p) == 1]
    assert len(walks) > 50 and 0 < len(alone) < len(walks)


def test_a_ring_verdict_reads_only_the_selection(big: Path) -> None:
    """The audit rows of a verdict come from the selected items, looked up one by one,
    never from a walk over the whole queue."""
    conn = sqlite3.connect(big)
    conn.execute(_sql.SELECTED_TABLE.replace(" ON COMMIT DROP", ""))
    for name in ("AUDIT_STATUS", "AUDIT_ASSIGNEE", "AUDIT_NOTES", "REVIEW_UPDATE"):
        statement = _sql.for_dialect(getattr(_sql, name), "sqlite")
        plan = conn.execute(
            "EXPLAIN QUERY PLAN " + statement, [None] * statement.count("?")
        ).fetchall()
        scans = [r[3] for r in plan if r[3].startswith("SCAN") and "_ringlens_selected" not in r[3]]
        assert all(" s " in f" {s} " or s.startswith("SCAN s") for s in scans), (name, plan)
        assert not any(r[3].startswith("SCAN q") or "SCAN queue_items" in r[3] for r in plan)
    conn.close()


def test_filter_choices_by_column(big: Path) -> None:
    from ringlens.exceptions import ConfigError

    with open_queue_store(big) as st:
        every = st.distinct_values()
        some = st.distinct_values(["assignee", "market"])
        assert some == {"assignee": ["ana", "bo"], "market": ["DE", "GB", "MY", "US"]}
        assert every["status"] == ["actioned", "dismissed", "in_review", "open"]
        assert every["run_id"] == ["r1", "r2"] and every["pattern"] == [
            "affiliate_fraud",
            "brushing",
            "mutual_boost",
        ]
        with pytest.raises(ConfigError, match="no distinct values of 'notes'"):
            st.distinct_values(["notes"])
