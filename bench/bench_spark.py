"""Local path versus the Spark engine (``local[2]``) on the same machine: the overhead ratio.

Each engine runs in its own process on the same synthetic set (events, entities and labels,
as ``ringlens synth`` writes them): the local path is ``scan_events`` → ``build_graph`` →
``ringlens.pipeline.score``; the Spark path is ``ringlens.spark.score_spark`` (ingest with
validation, global context, components, personalised PageRank, per-partition scoring,
merge and policy). Both check that they produce the same rings and queue.

    .venv/bin/python bench/bench_spark.py bench/data/synth1m bench/data/synth10m

Writes ``bench/results/spark_<name>.json`` and prints a Markdown table for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def _one(engine: str, data: Path, out: Path) -> dict:
    import polars as pl

    from ringlens.io import load_entities, load_labels, scan_events

    t = time.perf_counter()
    ent = load_entities(data / "entities.parquet")
    lab = load_labels(data / "labels.parquet")
    if engine == "local":
        from ringlens.graph import build_graph
        from ringlens.pipeline import score

        g = build_graph(scan_events(data / "events.parquet"))
        res = score(g, entities=ent, labels=lab)
        rings, queue, timings = res.rings, res.queue, res.report["timings"]
        extra: dict = {}
    else:
        from ringlens.spark import get_session, score_spark

        spark = get_session(master="local[2]", conf={"spark.driver.memory": "12g"})
        spark.sparkContext.setLogLevel("ERROR")
        t_session = time.perf_counter() - t
        res = score_spark(
            str(data / "events.parquet"),
            spark=spark,
            entities=str(data / "entities.parquet"),
            labels=lab,
        )
        rings, queue, timings = res.rings, res.queue, res.report["timings"]
        extra = {"session_s": round(t_session, 1), "spark": res.report["spark"]}
        extra["spark"].pop("context", None)
    wall = time.perf_counter() - t
    rings.drop("features").write_parquet(out / f"{engine}_rings.parquet")
    queue.drop("run_id").write_parquet(out / f"{engine}_queue.parquet")
    return {
        "engine": engine,
        "wall_s": round(wall, 1),
        "timings": timings,
        "rings": rings.height,
        "queue": queue.height,
        "peak_rss_gib_python": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        **extra,
        "events": pl.scan_parquet(data / "events.parquet").select(pl.len()).collect().item(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="+", type=Path, help="folders made by `ringlens synth`")
    ap.add_argument("--one", choices=["local", "spark"], help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(_one(args.one, args.data[0], args.out)))
        return
    import tempfile

    import polars as pl

    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="ringlens-bench-spark-"))
    rows = []
    for data in args.data:
        res = {}
        for engine in ("local", "spark"):
            cmd = [sys.executable, __file__, str(data), "--one", engine, "--out", str(scratch)]
            p = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if p.returncode:
                sys.stderr.write(p.stderr[-4000:])
                raise SystemExit(f"{engine} on {data} failed")
            res[engine] = json.loads(p.stdout.strip().splitlines()[-1])
        same_rings = pl.read_parquet(scratch / "local_rings.parquet").equals(
            pl.read_parquet(scratch / "spark_rings.parquet")
        )
        same_queue = pl.read_parquet(scratch / "local_queue.parquet").equals(
            pl.read_parquet(scratch / "spark_queue.parquet")
        )
        res["same_rings"], res["same_queue"] = same_rings, same_queue
        res["ratio"] = round(res["spark"]["wall_s"] / res["local"]["wall_s"], 2)
        res["machine"] = _machine()
        res["load_avg"] = os.getloadavg()
        (args.out / f"spark_{data.name}.json").write_text(json.dumps(res, indent=2) + "\n")
        rows.append((data.name, res))
    print("| data | events | local s | Spark local[2] s | ratio | same rings / queue |")
    print("|---|---:|---:|---:|---:|---|")
    for name, r in rows:
        print(
            f"| {name} | {r['local']['events']:,} | {r['local']['wall_s']} | "
            f"{r['spark']['wall_s']} | {r['ratio']} | {r['same_rings']} / {r['same_queue']} |"
        )


if __name__ == "__main__":
    main()
