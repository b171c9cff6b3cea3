"""Skewed follow-ups: each action's distinct (account, target) pairs by Polars' unique and a
sort, against numpy's ``unique``.

:func:`ringlens.detect.followups.skewed_follow_ups` needs, per action of an actor type
and target type, its sorted distinct account-target pairs (one 64-bit key each) to find
the pairs of actions where one follows the other. On a platform where views and likes are
millions that is most of the detector's time. The obvious way is ``numpy.unique`` of each
action's keys; the detector takes Polars' multi-threaded ``unique`` and sorts what is left
(``_pair_keys``).

The bench reads an events folder (``ringlens synth`` or any ``events.parquet``), builds
the graph once, and per (actor type, target type) with two actions or more times both
ways alternating (``--repeat`` times each), checking that they give the same keys; then
the whole detector on every such unit.

    .venv/bin/python bench/bench_follow_ups.py /tmp/s10m

Prints the machine, the best total of each and the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import machine  # noqa: E402

import ringlens.detect.followups as fu  # noqa: E402
from ringlens.detect._common import filtered_events  # noqa: E402
from ringlens.graph import build_graph  # noqa: E402


def with_numpy(ev: pl.DataFrame) -> dict[str, np.ndarray]:
    keyed = ev.select(
        "action",
        (pl.col("src").cast(pl.UInt64) * (1 << 32) + pl.col("dst").cast(pl.UInt64)).alias("k"),
    )
    return {str(a): np.unique(g["k"].to_numpy()) for (a,), g in keyed.group_by("action")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    print(machine())
    events = pl.read_parquet(a.folder / "events.parquet")
    graph = build_graph(events)
    units = events.select("actor_type", "target_type").unique().sort("actor_type", "target_type")
    frames, names = [], []
    for actor_type, target_type in units.iter_rows():
        ev = filtered_events(graph, actor_types=[actor_type], target_types=[target_type])
        if ev["action"].n_unique() >= 2:
            frames.append(ev)
            names.append((actor_type, target_type))
    print(f"{events.height:,} events; {len(frames)} (actor type, target type) units")
    best = {"polars": float("inf"), "numpy": float("inf")}
    keys: dict[str, list[dict[str, np.ndarray]]] = {}
    for _ in range(a.repeat):
        for name, fn in (("polars", fu._pair_keys), ("numpy", with_numpy)):
            t = time.perf_counter()
            keys[name] = [fn(ev) for ev in frames]
            best[name] = min(best[name], time.perf_counter() - t)
    for mine, theirs in zip(keys["polars"], keys["numpy"], strict=True):
        assert mine.keys() == theirs.keys()
        assert all(np.array_equal(mine[x], theirs[x]) for x in mine)
    print(f"distinct pairs: Polars unique + sort {best['polars']:.2f} s, numpy unique ", end="")
    print(f"{best['numpy']:.2f} s (the same keys), ratio {best['polars'] / best['numpy']:.2f}")
    t = time.perf_counter()
    groups = 0
    for actor_type, target_type in names:
        groups += len(
            fu.skewed_follow_ups(graph, actor_types=[actor_type], target_types=[target_type])
        )
    print(f"skewed_follow_ups on every unit: {time.perf_counter() - t:.2f} s, {groups} groups")


if __name__ == "__main__":
    main()
