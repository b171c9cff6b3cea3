"""Benchmark: Leiden + PageRank + coreness on the engagement projection of synthetic events,
and (``--new DIR``) the significance-based detectors on a ``ringlens synth`` folder.

Usage::

    .venv/bin/python bench/bench_detect.py                      # 10M events, nx comparison on 1M
    .venv/bin/python bench/bench_detect.py --events 1000000 --compare-events 0
    .venv/bin/python bench/bench_detect.py --new /tmp/synth10m  # per detector and family

``--new`` times :func:`~ringlens.detect.significant_communities`,
:func:`~ringlens.detect.lockstep_multiscale` and :func:`~ringlens.detect.shared_targets` on
each family of the folder's events (CPU and wall seconds, best of ``--repeat``), with the
obvious alternatives: pair counting with scipy's sparse product instead of the C
extension, an un-capped projection (every target, every pair) at 1M events or less, the
single-window ``lockstep`` at every window, and ``shared_attributes``.

Events are generated with :mod:`ringlens.synth` (seed 1) once and cached under
``bench/data/`` (git-ignored); generation runs in a child process so that the peak memory
reported is the graph and the detectors only. Results are printed as a Markdown table and
written to ``bench/results/bench_detect.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"
ACTIONS = ["like", "comment", "share"]


def events_path(n: int, seed: int) -> Path:
    return DATA / f"synth_{n}_seed{seed}.parquet"


def ensure_events(n: int, seed: int) -> Path:
    path = events_path(n, seed)
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--generate", str(n), "--seed", str(seed)], check=True
        )
        print(
            f"generated {n:,} events in {time.perf_counter() - t:.1f} s -> {path}", file=sys.stderr
        )
    return path


def generate(n: int, seed: int) -> None:
    from ringlens.synth import SynthConfig, generate

    data = generate(SynthConfig(n_events=n, seed=seed))
    path = events_path(n, seed)
    tmp = path.with_suffix(".tmp")
    data.events.write_parquet(tmp, compression="zstd")
    tmp.rename(path)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, out: dict, fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    value = fn()
    out[label] = round(time.perf_counter() - t, 3)
    print(f"  {label}: {out[label]:.2f} s (peak RSS {peak_rss_mb():,.0f} MB)", file=sys.stderr)
    return value


def bench_ringlens(n: int, seed: int, max_target_degree: int, min_weight: int) -> dict:
    from ringlens.detect import coreness, leiden, pagerank
    from ringlens.graph import build_graph

    path = ensure_events(n, seed)
    print(f"ringlens on {n:,} events", file=sys.stderr)
    r: dict = {"events_requested": n}
    ev = timed("read_s", r, lambda: pl.read_parquet(path))
    r["events"] = ev.height
    g = timed("build_graph_s", r, lambda: build_graph(ev))
    r["graph_nodes"], r["graph_edges"] = g.n_nodes, g.n_edges
    proj = timed(
        "project_s",
        r,
        lambda: g.project(
            actions=ACTIONS,
            target_types=["content"],
            max_target_degree=max_target_degree,
            min_weight=min_weight,
        ),
    )
    ig_graph = timed("to_igraph_s", r, proj.to_igraph)
    r["proj_nodes"], r["proj_edges"] = ig_graph.vcount(), ig_graph.ecount()
    comm = timed("leiden_s", r, lambda: leiden(ig_graph, seed=0))
    r["communities"], r["modularity"] = comm.n_communities, round(comm.modularity, 4)
    timed("pagerank_s", r, lambda: pagerank(ig_graph))
    timed("coreness_s", r, lambda: coreness(ig_graph))
    r["peak_rss_mb"] = round(peak_rss_mb())
    return r


def bench_networkx(n: int, seed: int, max_target_degree: int, min_weight: int) -> dict:
    import networkx as nx

    from ringlens.detect import leiden, pagerank
    from ringlens.graph import build_graph

    path = ensure_events(n, seed)
    print(f"igraph vs networkx on {n:,} events", file=sys.stderr)
    g = build_graph(pl.read_parquet(path))
    proj = g.project(
        actions=ACTIONS,
        target_types=["content"],
        max_target_degree=max_target_degree,
        min_weight=min_weight,
    )
    r: dict = {"events_requested": n}
    ig_graph = proj.to_igraph()
    nx_graph = proj.to_networkx()
    r["proj_nodes"], r["proj_edges"] = nx_graph.number_of_nodes(), nx_graph.number_of_edges()
    comm = timed("ringlens_leiden_s", r, lambda: leiden(ig_graph, seed=0))
    r["ringlens_communities"], r["ringlens_modularity"] = (
        comm.n_communities,
        round(comm.modularity, 4),
    )
    timed("ringlens_pagerank_s", r, lambda: pagerank(ig_graph))
    comms = timed(
        "nx_louvain_s",
        r,
        lambda: nx.community.louvain_communities(nx_graph, weight="weight", seed=0),
    )
    r["nx_communities"] = len(comms)
    r["nx_modularity"] = round(nx.community.modularity(nx_graph, comms, weight="weight"), 4)
    timed("nx_pagerank_s", r, lambda: nx.pagerank(nx_graph, alpha=0.85, weight="weight"))
    r["ratio"] = round(
        (r["nx_louvain_s"] + r["nx_pagerank_s"])
        / (r["ringlens_leiden_s"] + r["ringlens_pagerank_s"]),
        1,
    )
    return r


NEW_FAMILIES = {
    "engagement": {"actions": ["like", "comment", "share"]},
    "orders": {"actions": ["order"]},
    "reviews": {"actions": ["review"]},
    "clicks": {"actions": ["affiliate_click"]},
    "follows": {"actions": ["follow"]},
}


def _best(fn, repeat: int):  # type: ignore[no-untyped-def]
    """(result, best wall seconds, CPU seconds of that run)."""
    best = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        value = fn()
        w, c = time.perf_counter() - w, time.process_time() - c
        if best is None or w < best[1]:
            best = (value, w, c)
    return best


def bench_new(folder: Path, repeat: int) -> dict:
    import ringlens.detect._common as common
    from ringlens.detect import (
        leiden,
        lockstep,
        lockstep_multiscale,
        lockstep_windows,
        shared_attributes,
        shared_targets,
        significant_communities,
    )
    from ringlens.graph import build_graph

    ev = pl.read_parquet(folder / "events.parquet")
    truth = pl.read_parquet(folder / "truth.parquet").with_columns(
        key=pl.concat_str("entity_type", pl.lit(":"), "entity_id")
    )
    g = build_graph(ev)
    out: dict = {"events": ev.height, "families": {}}
    del ev
    significant_communities(g, actions=["review"])  # imports (igraph, scipy) off the clock

    def quality(res) -> dict:  # type: ignore[no-untyped-def]
        actors = res.to_frame().filter(pl.col("role") == "actor")
        ring = actors.join(truth, on="key", how="semi").height
        return {"groups": len(res), "ring_members": ring, "organic": actors.height - ring}

    for name, fam in NEW_FAMILIES.items():
        r: dict = {}
        res, w, c = _best(lambda fam=fam: significant_communities(g, **fam), repeat)
        r["communities"] = {"wall_s": round(w, 3), "cpu_s": round(c, 3), **quality(res)}
        r["communities"]["params"] = {
            k: res.params[k] for k in ("max_target_actors", "n_cells", "n_pairs", "n_edges")
        }
        # the same with scipy's sparse product for the pairs
        fn = common._pairs_extension
        common._pairs_state["fn"] = None
        try:
            _, w2, c2 = _best(lambda fam=fam: significant_communities(g, **fam), repeat)
        finally:
            common._pairs_state.pop("fn", None)
            fn()
        r["communities_scipy_pairs"] = {"wall_s": round(w2, 3), "cpu_s": round(c2, 3)}
        if out["events"] <= 1_200_000:
            # the obvious alternative: project on every shared target, Leiden on all of it
            def uncapped(fam=fam):  # type: ignore[no-untyped-def]
                proj = g.project(**fam, max_target_degree=0)
                return leiden(proj.to_igraph(), seed=0)

            _, w3, c3 = _best(uncapped, 1)
            r["uncapped_projection_leiden"] = {"wall_s": round(w3, 3), "cpu_s": round(c3, 3)}
        res, w, c = _best(lambda fam=fam: lockstep_multiscale(g, **fam), repeat)
        r["lockstep_multiscale"] = {
            "wall_s": round(w, 3),
            "cpu_s": round(c, 3),
            "windows": len(res.params["windows"]),
            **quality(res),
        }

        def each_window(fam=fam):  # type: ignore[no-untyped-def]
            return [
                lockstep(g, window=win, min_targets=1, min_bursts=2, **fam)
                for win in lockstep_windows(g, **fam)
            ]

        _, w4, c4 = _best(each_window, 1)
        r["lockstep_each_window_period_baseline"] = {"wall_s": round(w4, 3), "cpu_s": round(c4, 3)}
        out["families"][name] = r
        print(name, json.dumps(r), file=sys.stderr, flush=True)
    res, w, c = _best(lambda: shared_targets(g, target_types=["device", "payment"]), repeat)
    out["shared_targets"] = {"wall_s": round(w, 3), "cpu_s": round(c, 3), **quality(res)}
    res, w, c = _best(lambda: shared_attributes(g), repeat)
    out["shared_attributes"] = {"wall_s": round(w, 3), "cpu_s": round(c, 3), **quality(res)}
    return out


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(
            line.split(":", 1)[1].strip()
            for line in out.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, subprocess.CalledProcessError, StopIteration):
        model = platform.processor() or "unknown"
    import os

    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument(
        "--compare-events", type=int, default=1_000_000, help="0 = skip the networkx row"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-target-degree", type=int, default=200)
    ap.add_argument("--min-weight", type=int, default=2)
    ap.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--new", type=Path, help="a ringlens synth folder: time the new detectors")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    if a.generate:
        generate(a.generate, a.seed)
        return
    if a.new:
        res = {"machine": machine(), "command": " ".join([Path(sys.executable).name, *sys.argv])}
        res["new"] = bench_new(a.new, a.repeat)
        res["peak_rss_mb"] = round(peak_rss_mb())
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"bench_detect_new_{res['new']['events']}.json").write_text(
            json.dumps(res, indent=2) + "\n"
        )
        print(json.dumps(res, indent=2))
        return
    res: dict = {"machine": machine(), "command": " ".join([Path(sys.executable).name, *sys.argv])}
    res["params"] = {
        "actions": ACTIONS,
        "max_target_degree": a.max_target_degree,
        "min_weight": a.min_weight,
    }
    res["ringlens"] = bench_ringlens(a.events, a.seed, a.max_target_degree, a.min_weight)
    if a.compare_events:
        res["compare"] = bench_networkx(a.compare_events, a.seed, a.max_target_degree, a.min_weight)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_detect.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
