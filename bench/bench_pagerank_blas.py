"""Personalised PageRank's conjugate-gradient solve with one BLAS thread (what
``ringlens.detect.centrality`` does) against OpenBLAS's default thread count, in the same
process on the same graph (a ratio: the machines are shared).

    .venv/bin/python bench/bench_pagerank_blas.py SYNTH_FOLDER [--repeat 3]

SYNTH_FOLDER: a ``ringlens synth`` folder (events.parquet, labels.parquet).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from pathlib import Path

import ringlens.detect.centrality as centrality
from ringlens.graph import build_graph
from ringlens.io import load_events, load_labels
from ringlens.pipeline.signals import confirmed_seeds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    g = build_graph(load_events(a.folder / "events.parquet"))
    seeds = confirmed_seeds(load_labels(a.folder / "labels.parquet"), nodes=g.nodes)

    def best() -> float:
        times = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            centrality.personalized_pagerank(g, seeds=seeds)
            times.append(time.perf_counter() - t)
        return min(times)

    one = best()
    limit = centrality.threadpool_limits
    centrality.threadpool_limits = lambda **_: contextlib.nullcontext()  # type: ignore[assignment]
    default = best()
    centrality.threadpool_limits = limit
    row = {
        "nodes": g.n_nodes,
        "one_thread_s": round(one, 3),
        "default_threads_s": round(default, 3),
    }
    row["ratio"] = round(default / one, 2)
    print(json.dumps(row))


if __name__ == "__main__":
    main()
