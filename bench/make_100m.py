"""Make a 100M-event input without holding it in memory: ten 30-day shards of a 10M set.

Usage: python bench/make_100m.py   (writes bench/data/synth100m/events-00.parquet … -09)

The same population over ten consecutive months: shard i is the 10M set with every
timestamp moved i × 30 days later. Written with Polars' streaming sink, one shard at a time.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from _util import DATA, ensure_synth


def main() -> None:
    src = ensure_synth(10_000_000) / "events.parquet"
    out = DATA / "synth100m"
    out.mkdir(parents=True, exist_ok=True)
    for i in range(10):
        target = out / f"events-{i:02d}.parquet"
        if target.is_file():
            continue
        tmp = target.with_suffix(".tmp")
        pl.scan_parquet(src).with_columns(pl.col("ts") + timedelta(days=30 * i)).sink_parquet(tmp)
        tmp.rename(target)
        print("wrote", target)
    for name in ("entities", "labels", "truth"):
        p = src.parent / f"{name}.parquet"
        if not (out / f"{name}.parquet").exists():
            (out / f"{name}.parquet").write_bytes(p.read_bytes())


if __name__ == "__main__":
    main()
