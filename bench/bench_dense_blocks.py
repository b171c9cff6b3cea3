"""Speed of dense blocks over every event family, against permutation calibration.

Generates (once, under ``--data``, default ``/tmp/ringlens-bench``) a ``ringlens synth`` set
of ``--events`` events, builds the graph, and runs
``ringlens.detect.dense_blocks`` on every (action, actor type, target type) family present
(defaults: alpha 0.01, patience 2, log column weighting, trimming). Then the obvious
alternative for the significance: calibrate the same FRAUDAR + trim peel by
degree-preserving rewirings of each family's matrix (configuration model: the target end
of every pair shuffled, repeated pairs erased), ``--replicates`` times, as a permutation
test would (19 replicates give p >= 0.05 at best; p <= 0.01 needs 99).

    .venv/bin/python bench/bench_dense_blocks.py --events 10000000 [--replicates 19]

Prints one table row per family and the totals (wall seconds and CPU seconds of this
process; the machine is shared, so CPU time is the steadier number).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import machine, synth_under  # noqa: E402

from ringlens.detect.dense import dense_blocks, family_pairs, fraudar, trim_block  # noqa: E402
from ringlens.graph import build_graph  # noqa: E402


def families(g) -> list[tuple[str, str, str, int]]:  # noqa: ANN001
    types = g.nodes.select("node", "node_type")
    return (
        g.events.select("src", "dst", pl.col("action").cast(pl.String))
        .join(types.rename({"node": "src", "node_type": "actor_type"}), on="src")
        .join(types.rename({"node": "dst", "node_type": "target_type"}), on="dst")
        .group_by("action", "actor_type", "target_type")
        .len()
        .sort("len", "action", "actor_type", "target_type", descending=[True, False, False, False])
        .rows()
    )


def rewired(mat: sp.csr_matrix, rng: np.random.Generator) -> sp.csr_matrix:
    """Configuration-model rewiring: every pair keeps its actor, the targets are shuffled."""
    rows = np.repeat(np.arange(mat.shape[0]), np.diff(mat.indptr))
    cols = rng.permutation(mat.indices)
    out = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=mat.shape)
    out.data[:] = 1.0
    return out


def permutation_peel(mat: sp.csr_matrix, replicates: int, seed: int) -> None:
    """What a permutation test of the first block costs: the peel on every replicate."""
    rng = np.random.default_rng(seed)
    for _ in range(replicates):
        null = rewired(mat, rng)
        found = fraudar(null, min_rows=2, min_cols=2)
        if len(found):
            trim_block(null, found[0])


def timed(fn):  # noqa: ANN001, ANN201
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", type=Path, default=Path("/tmp/ringlens-bench"))
    ap.add_argument("--replicates", type=int, default=19, help="0 skips the alternative")
    ap.add_argument("--patience", type=int, default=1, help="dense_blocks' patience")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    path = synth_under(args.data, args.events, args.seed)
    ev = pl.read_parquet(path / "events.parquet")
    w, c, g = timed(lambda: build_graph(ev))
    print(f"{ev.height:,} events ({path}); build_graph {w:.1f} s wall")
    w, c, fams = timed(lambda: families(g))
    print(f"{len(fams)} families found in {w:.2f} s\n")
    print(
        "| family (action, actor, target) | events | pairs | dense_blocks wall / CPU "
        "| blocks reported / tested | permutation peel x R, CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    tot_w = tot_c = tot_p = 0.0
    for action, actor, target, n in fams:
        kw = {"actions": [action], "actor_types": [actor], "target_types": [target]}
        w, c, res = timed(lambda kw=kw: dense_blocks(g, patience=args.patience, **kw))
        tot_w += w
        tot_c += c
        perm = ""
        if args.replicates:
            mat = family_pairs(g, **kw)[2]
            _, pc, _ = timed(lambda m=mat: permutation_peel(m, args.replicates, args.seed))
            tot_p += pc
            perm = f"{pc:.2f} s"
        print(
            f"| {action}, {actor}, {target} | {n:,} | {res.params['n_pairs']:,} "
            f"| {w:.2f} / {c:.2f} s | {len(res)} / {res.tested.height} | {perm} |",
            flush=True,
        )
    print(f"\ntotal dense_blocks: {tot_w:.2f} s wall, {tot_c:.2f} s CPU")
    if args.replicates:
        print(
            f"permutation calibration, {args.replicates} replicates: {tot_p:.1f} s CPU "
            f"(x{tot_p / tot_c:.0f} the whole dense_blocks run; 99 replicates for p <= 0.01 "
            f"would be about x{tot_p / tot_c * 99 / args.replicates:.0f})"
        )


if __name__ == "__main__":
    main()
