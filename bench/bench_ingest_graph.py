"""Ingest + graph build at 1M and 10M events, with networkx's from_edgelist on the same edges.

Usage: python bench/bench_ingest_graph.py [--events 1000000 10000000]

Each case runs in a fresh process so its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json

from _util import ensure_synth, machine, run_child

RINGLENS = r"""
import json, resource, sys, time
from ringlens.io import load_events
from ringlens.graph import build_graph
t0 = time.perf_counter(); ev = load_events(sys.argv[1]); t1 = time.perf_counter()
g = build_graph(ev); t2 = time.perf_counter()
ig = g.to_igraph(); t3 = time.perf_counter()
print(json.dumps({"ingest_s": round(t1 - t0, 2), "build_s": round(t2 - t1, 2), "to_igraph_s": round(t3 - t2, 2),
  "events": ev.height, "nodes": g.n_nodes, "edges": g.n_edges,
  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""

NETWORKX = r"""
import json, resource, sys, time
import polars as pl, networkx as nx
from ringlens.graph import build_graph
from ringlens.io import load_events
g = build_graph(load_events(sys.argv[1]))
src = g.edges["src"].to_list(); dst = g.edges["dst"].to_list()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
t0 = time.perf_counter(); G = nx.from_edgelist(zip(src, dst), create_using=nx.DiGraph); t1 = time.perf_counter()
print(json.dumps({"from_edgelist_s": round(t1 - t0, 2), "edges": G.number_of_edges(),
  "extra_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 - base}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = ap.parse_args()
    print(f"machine: {machine()}")
    rows = []
    for n in args.events:
        path = ensure_synth(n) / "events.parquet"
        r = run_child(RINGLENS, str(path))
        x = run_child(NETWORKX, str(path))
        row = {
            "target_events": n,
            **r,
            "nx_from_edgelist_s": x["from_edgelist_s"],
            "nx_extra_mib": x["extra_mib"],
        }
        row["ratio_nx_vs_build"] = round(x["from_edgelist_s"] / max(r["build_s"], 1e-9), 2)
        rows.append(row)
        print(json.dumps(row))


if __name__ == "__main__":
    main()
