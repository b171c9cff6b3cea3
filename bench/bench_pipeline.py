"""End-to-end speed: `ringlens score` stage by stage, and the comparisons issue 9 asks for.

Usage: python bench/bench_pipeline.py [--events 1000000 10000000] [--nx-events 1000000]

Rows (each measured in a fresh process; peak = ru_maxrss of that process):
* pipeline: `ringlens.pipeline.run` on N events, every stage timed (from run.json), with views;
* networkx: the obvious script (read, build nx.Graph, louvain_communities, pagerank) vs the
  same steps in ringlens (load + build_graph, to igraph, Louvain, PageRank) and vs the whole
  `score`;
* ingest + aggregation vs a bare Polars group_by over the same Parquet (best of 3 each, 2 at
  10M and above);
* graph construction from the edge arrays (`adjacency()`, the CSR the random walks run on;
  `biadjacency()`; `to_igraph()`) vs a scipy CSR matrix from the same arrays (best of 5);
* `python -X importtime -c "import ringlens"`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

from _util import ROOT, ensure_synth, machine, run_child

PIPELINE = r"""
import json, resource, sys, tempfile, time
from ringlens.pipeline import run
from ringlens.config import load_config
out = tempfile.mkdtemp()
t = time.perf_counter()
res = run(sys.argv[1], out_dir=out, config=load_config(env={}, cwd=False))
wall = time.perf_counter() - t
print(json.dumps({"wall_s": round(wall, 1), "events": res.report["counts"]["events"], "rings": res.rings.height,
  "queue": res.queue.height, "timings": res.report["timings"],
  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""

# Both sides import their libraries before the clock starts (import time is its own row):
# networkx's pagerank runs on scipy, ringlens's Louvain on igraph and PageRank on scipy.
# Each side runs its whole script (read Parquet to PageRank) `k` times in one process and
# reports the fastest run, so neither side is charged for first-call warm-up.
NX = r"""
import json, sys, time
import polars as pl, networkx as nx, scipy.sparse

def once():
    t0 = time.perf_counter()
    ev = pl.read_parquet(sys.argv[1])
    e = ev.group_by(pl.concat_str("actor_type", pl.lit(":"), "actor_id").alias("a"),
                    pl.concat_str("target_type", pl.lit(":"), "target_id").alias("b")).len()
    G = nx.Graph(); G.add_weighted_edges_from(e.iter_rows())
    t1 = time.perf_counter()
    comms = nx.community.louvain_communities(G, weight="weight", seed=0)
    t2 = time.perf_counter()
    pr = nx.pagerank(G, weight="weight")
    t3 = time.perf_counter()
    return {"build_s": round(t1 - t0, 2), "louvain_s": round(t2 - t1, 2), "pagerank_s": round(t3 - t2, 2),
      "total_s": round(t3 - t0, 2), "communities": len(comms), "nodes": G.number_of_nodes(),
      "edges": G.number_of_edges(), "modularity": round(nx.community.modularity(G, comms, weight="weight"), 4)}

runs = [once() for _ in range(int(sys.argv[2]))]
print(json.dumps({**min(runs, key=lambda r: r["total_s"]), "runs_total_s": [r["total_s"] for r in runs]}))
"""

RL_SAME = r"""
import json, sys, time
import igraph, scipy.sparse.linalg
from ringlens.io import load_events
from ringlens.graph import build_graph
from ringlens.detect.communities import louvain
from ringlens.detect.centrality import pagerank

def once():
    t0 = time.perf_counter()
    g = build_graph(load_events(sys.argv[1]))
    t1 = time.perf_counter()
    G = g.to_igraph(directed=False)
    t2 = time.perf_counter()
    c = louvain(G, seed=0)
    t3 = time.perf_counter()
    p = pagerank(g)
    t4 = time.perf_counter()
    return {"build_s": round(t1 - t0, 2), "to_igraph_s": round(t2 - t1, 2), "louvain_s": round(t3 - t2, 2),
      "pagerank_s": round(t4 - t3, 2), "total_s": round(t4 - t0, 2), "communities": c.sizes().height,
      "modularity": round(c.modularity, 4)}

runs = [once() for _ in range(int(sys.argv[2]))]
print(json.dumps({**min(runs, key=lambda r: r["total_s"]), "runs_total_s": [r["total_s"] for r in runs]}))
"""

AGG = r"""
import json, sys, time
import numpy as np, polars as pl, scipy.sparse as sp
from ringlens.io import load_events
from ringlens.graph import build_graph
f = sys.argv[1]

def best(fn, k):
    out = []
    for _ in range(k):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return min(out)

def bare():
    return (pl.scan_parquet(f).group_by("actor_type", "actor_id", "target_type", "target_id")
            .agg(pl.len(), pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last"),
                 pl.col("amount").sum()).collect())

k = int(sys.argv[2])
t_bare = best(bare, k)
t_ours = best(lambda: build_graph(load_events(f)), k)
g = build_graph(load_events(f))
src = g.edges["src"].to_numpy(); dst = g.edges["dst"].to_numpy(); w = g.edges["count"].to_numpy()
t_csr = best(lambda: sp.csr_matrix((w.astype(np.float64), (src, dst)), shape=(g.n_nodes, g.n_nodes)), 5)
t_adj = best(g.adjacency, 5)
t_bi = best(g.biadjacency, 3)
t_ig = best(lambda: g.to_igraph(directed=False), 3)
r = lambda x, y: round(x / y, 2)
print(json.dumps({"bare_groupby_s": round(t_bare, 3), "ringlens_ingest_build_s": round(t_ours, 3),
  "ratio_ingest": r(t_ours, t_bare), "scipy_csr_s": round(t_csr, 4), "adjacency_s": round(t_adj, 4),
  "biadjacency_s": round(t_bi, 4), "to_igraph_s": round(t_ig, 3), "ratio_adjacency": r(t_adj, t_csr),
  "ratio_biadjacency": r(t_bi, t_csr), "ratio_igraph": r(t_ig, t_csr)}))
"""


def import_time() -> float:
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import ringlens"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    total = 0
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ringlens$", line)
        if m:
            total = int(m.group(1))
    return total / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, nargs="*", default=[1_000_000, 10_000_000])
    ap.add_argument("--nx-events", type=int, default=1_000_000)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(json.dumps({"import_ringlens_s": import_time()}))
    for n in args.events:
        path = ensure_synth(n)
        print(
            json.dumps({"case": "pipeline", "target_events": n, **run_child(PIPELINE, str(path))})
        )
        print(
            json.dumps(
                {
                    "case": "ingest_and_construction",
                    "target_events": n,
                    **run_child(AGG, str(path / "events.parquet"), "3" if n <= 2_000_000 else "2"),
                }
            )
        )
    if args.nx_events:
        path = ensure_synth(args.nx_events)
        nxr = run_child(NX, str(path / "events.parquet"), "2")
        rl = run_child(RL_SAME, str(path / "events.parquet"), "3")
        full = run_child(PIPELINE, str(path))
        print(json.dumps({"case": "networkx", **nxr}))
        print(
            json.dumps(
                {
                    "case": "ringlens_same_steps",
                    **rl,
                    "speedup_vs_networkx": round(nxr["total_s"] / rl["total_s"], 1),
                }
            )
        )
        print(
            json.dumps(
                {
                    "case": "ringlens_full_score",
                    "wall_s": full["wall_s"],
                    "speedup_vs_networkx": round(nxr["total_s"] / full["wall_s"], 1),
                }
            )
        )


if __name__ == "__main__":
    main()
