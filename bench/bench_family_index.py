"""Selecting a family's events through the graph's family index, against a Polars filter.

Every generic detector of a run starts from the events of one family (an action, actor
type and target type) or of a few: lockstep takes the events, communities, dense blocks and
shared targets the distinct (actor, target) pairs, ring significance the pairs of every
interaction. The graph groups its events by family once (``EventGraph._family_index``);
a selection is then a slice of row numbers (one family) or one pass over a small code per
event (several). The obvious alternative is the Polars filter each caller would write:
``is_in`` on the action and a semi join per node type, then the distinct pairs.

For every family of a ``ringlens synth`` set (generated once under ``--data``) the bench
times, in the same process and alternating: the events and the distinct pairs through the
index (its one-time build counted separately), and the same through the Polars filter;
then one selection of every interaction action together. Both must give the same rows.

    .venv/bin/python bench/bench_family_index.py --events 10000000

Prints the totals (wall and CPU seconds of this process) and the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import machine, synth_under  # noqa: E402

from ringlens.detect._common import family_cells  # noqa: E402
from ringlens.graph import build_graph  # noqa: E402
from ringlens.io import load_events  # noqa: E402


def polars_filter(g, actions, actor_types, target_types) -> pl.DataFrame:  # noqa: ANN001
    """The events of a selection as a caller without the index would get them."""
    ev = g.events.with_row_index("_row").filter(pl.col("action").is_in(actions))
    types = g.nodes.select("node", "node_type")
    keep_a = types.filter(pl.col("node_type").is_in(actor_types)).select(
        pl.col("node").alias("src")
    )
    keep_t = types.filter(pl.col("node_type").is_in(target_types)).select(
        pl.col("node").alias("dst")
    )
    return ev.join(keep_a, on="src", how="semi").join(keep_t, on="dst", how="semi").sort("_row")


def distinct_pairs(ev: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    pairs = ev.select("src", "dst").unique().sort("src", "dst")
    return pairs["src"].to_numpy().astype(np.int64), pairs["dst"].to_numpy().astype(np.int64)


def timed(fn):  # noqa: ANN001, ANN201
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", type=Path, default=Path("/tmp/ringlens-bench"))
    args = ap.parse_args()
    data = synth_under(args.data, args.events, args.seed)
    g = build_graph(load_events([data / "events.parquet"]))
    print(machine())
    _, w_build, c_build = timed(g._family_index)
    fams = g.families().filter(pl.col("events") >= 20).rows(named=True)
    tot = {"index": [0.0, 0.0], "polars": [0.0, 0.0]}
    for f in fams:
        sel = {
            "actions": [f["action"]],
            "actor_types": [f["actor_type"]],
            "target_types": [f["target_type"]],
        }
        (rows, cells), w1, c1 = timed(lambda s=sel: (g.family_rows(**s), family_cells(g, **s)))
        (ev, pairs), w2, c2 = timed(lambda s=sel: (ev := polars_filter(g, **s), distinct_pairs(ev)))
        assert np.array_equal(rows, ev["_row"].to_numpy()), f
        assert all(np.array_equal(a, b) for a, b in zip(cells, pairs, strict=True)), f
        tot["index"][0] += w1
        tot["index"][1] += c1
        tot["polars"][0] += w2
        tot["polars"][1] += c2
    interactions = sorted({f["action"] for f in fams})
    every = {
        "actions": interactions,
        "actor_types": sorted({f["actor_type"] for f in fams}),
        "target_types": sorted({f["target_type"] for f in fams}),
    }
    (rows, _), w1, c1 = timed(lambda: (g.family_rows(**every), None))
    ev, w2, c2 = timed(lambda: polars_filter(g, **every))
    assert np.array_equal(rows, ev["_row"].to_numpy())
    print(f"{g.events.height:,} events, {len(fams)} families")
    print(f"index build (once per graph): {w_build:.2f} s wall, {c_build:.2f} s CPU")
    for name, (w, c) in tot.items():
        print(f"every family, events + distinct pairs, {name}: {w:.2f} s wall, {c:.2f} s CPU")
    idx_w = tot["index"][0] + w_build
    print(
        f"ratio Polars filter / index (build included): {tot['polars'][0] / idx_w:.1f}x wall, "
        f"{tot['polars'][1] / (tot['index'][1] + c_build):.1f}x CPU"
    )
    print(f"all interactions at once: index {w1:.2f} s, Polars filter {w2:.2f} s wall")


if __name__ == "__main__":
    main()
