"""Benchmark ringlens.export: queue upserts into SQLite, Parquet/CSV/JSONL writes.

Usage::

    .venv/bin/python bench/bench_export.py                 # 100k and 1M rows
    .venv/bin/python bench/bench_export.py --rows 100000   # quicker
    .venv/bin/python bench/bench_export.py --postgres postgresql://user@host/db

Prints a Markdown table (rows, operation, seconds, rows/s). Each upsert size uses a
fresh SQLite file in a temp dir: first run (all inserts), reviewer edits on 1% of
the items, a re-run with changed risk on half the items (updates, suppressed
dismissals, re-queues), then ``read()`` of the whole queue.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ringlens.export import (
    QUEUE_SCHEMA,
    open_queue_store,
    write_csv,
    write_jsonl,
    write_parquet,
)

PATTERNS = ["mutual_boost", "brushing", "affiliate_fraud", "sock_puppet_farm", "other"]
ACTIONS = ["monitor", "manual_review", "restrict_commissions", "suspend"]


def make_queue(n: int, *, run_id: str, seed: int = 0) -> pl.DataFrame:
    """A synthetic queue frame of ``n`` rows, built with Polars expressions."""
    i = pl.int_range(0, n, dtype=pl.Int64)
    h = (i * 2654435761 + seed) % 1_000_003
    return (
        pl.select(i.alias("i"), h.alias("h"))
        .with_columns(
            queue_item_id=pl.format("qi_{}", pl.col("i")),
            entity_type=pl.lit("creator"),
            entity_id=pl.col("i").cast(pl.String),
            ring_id=pl.format("ring_{}", (pl.col("i") // 12).cast(pl.String).str.zfill(16)),
            pattern=pl.lit(pl.Series(PATTERNS)).get(pl.col("h") % 5),
            risk_score=(pl.col("h") % 10_000).cast(pl.Float64) / 100.0,
            priority=pl.col("i") + 1,
            action=pl.lit(pl.Series(ACTIONS)).get(pl.col("h") % 4),
            queue=pl.lit("default"),
            reasons=pl.concat_list(pl.lit("dense_block"), pl.format("r{}", pl.col("h") % 17)),
            evidence=pl.format("viz/ring_{}.html", pl.col("i") // 12),
            market=pl.when(pl.col("h") % 3 == 0).then(None).otherwise(pl.lit("DE")),
            run_id=pl.lit(run_id),
        )
        .select(list(QUEUE_SCHEMA))
        .cast(QUEUE_SCHEMA)
    )


def timed(label: str, rows: int, fn: Callable[[], object], out: list[tuple]) -> object:
    t0 = time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t0
    out.append((rows, label, dt))
    print(f"  {label:<48} {rows:>9,} rows {dt:8.2f} s", flush=True)
    return result


def bench_upsert(url: str, n: int, out: list[tuple], label: str) -> None:
    q1 = make_queue(n, run_id="r1")
    with open_queue_store(url) as store:
        timed(f"{label} upsert, first run (inserts)", n, lambda: store.upsert(q1, run_id="r1"), out)
        ids = q1["queue_item_id"][: max(1, n // 100)].to_list()
        for k, qid in enumerate(ids):  # reviewer edits on 1 % of items
            store.set_status(qid, "in_review" if k % 2 else "dismissed", assignee="bench")
        q2 = q1.with_columns(
            risk_score=pl.when(pl.int_range(pl.len()) % 2 == 0)
            .then((pl.col("risk_score") + 15.0).clip(0, 100))
            .otherwise(pl.col("risk_score")),
            run_id=pl.lit("r2"),
        )
        res = timed(
            f"{label} upsert, re-run (half changed)", n, lambda: store.upsert(q2, run_id="r2"), out
        )
        print(f"    {res.as_dict()}")
        timed(f"{label} read() whole queue", n, store.read, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="100000,1000000", help="comma-separated sizes")
    ap.add_argument("--postgres", default=None, help="also benchmark this PostgreSQL URL")
    args = ap.parse_args()
    sizes = [int(s) for s in args.rows.split(",")]
    print(
        f"# {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, Polars {pl.__version__}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    results: list[tuple] = []
    with tempfile.TemporaryDirectory(prefix="ringlens-bench-") as tmp:
        d = Path(tmp)
        for n in sizes:
            print(f"n = {n:,}")
            bench_upsert(str(d / f"q{n}.sqlite"), n, results, "SQLite")
            if args.postgres:
                bench_upsert(args.postgres, n, results, "PostgreSQL")
            q = make_queue(n, run_id="r1")
            timed("write_parquet", n, lambda q=q: write_parquet(q, d / "q.parquet"), results)
            timed("write_csv (spreadsheet-safe)", n, lambda q=q: write_csv(q, d / "q.csv"), results)
            timed("write_jsonl", n, lambda q=q: write_jsonl(q, d / "q.jsonl"), results)
            print(
                f"    sizes: parquet {os.path.getsize(d / 'q.parquet') / 1e6:.1f} MB, "
                f"csv {os.path.getsize(d / 'q.csv') / 1e6:.1f} MB, "
                f"jsonl {os.path.getsize(d / 'q.jsonl') / 1e6:.1f} MB"
            )
    print("\n| rows | operation | seconds | rows/s |\n|---:|---|---:|---:|")
    for rows, label, dt in results:
        print(f"| {rows:,} | {label} | {dt:.2f} | {rows / dt:,.0f} |")


if __name__ == "__main__":
    main()
