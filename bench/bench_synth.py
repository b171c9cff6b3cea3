"""Benchmark ringlens.synth: generating and writing each synthetic platform.

Usage::

    .venv/bin/python bench/bench_synth.py                          # 200k and 1M, every platform
    .venv/bin/python bench/bench_synth.py --events 10000000 --platforms live

Each (platform, size) runs in a fresh interpreter (peak RSS of that process). Prints a
Markdown table: platform, requested and generated events, seconds to generate (median of
``--repeat``), seconds to write Parquet, peak memory. Rings: 3 per pattern below 1M
events, 10 per pattern from 1M on (as ``bench/eval_synth.py`` uses them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import machine, run_child  # noqa: E402

CHILD = """
import json, sys, tempfile, time
from ringlens.synth import SynthConfig, generate, write_synth
platform, n, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cfg = SynthConfig(n_events=n, platform=platform, rings_per_pattern=10 if n >= 1_000_000 else 3, seed=1)
times = []
for _ in range(repeat):
    t = time.perf_counter(); data = generate(cfg); times.append(time.perf_counter() - t)
with tempfile.TemporaryDirectory() as d:
    t = time.perf_counter(); write_synth(data, d); write = time.perf_counter() - t
times.sort()
print(json.dumps({"events": data.events.height, "generate": times[len(times) // 2], "write": write,
                  "rings": data.truth["ring_id"].n_unique(), "negative_groups": data.negatives["group_id"].n_unique()}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, nargs="+", default=[200_000, 1_000_000])
    ap.add_argument("--platforms", nargs="+", default=["creator", "live", "marketplace"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {machine()}\n")
    print(
        "| platform | requested | events | rings | negative groups | generate s | write s | peak MiB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in args.events:
        for p in args.platforms:
            r = run_child(CHILD, p, str(n), str(args.repeat if n < 5_000_000 else 1))
            print(
                f"| {p} | {n:,} | {r['events']:,} | {r['rings']} | {r['negative_groups']:,} "
                f"| {r['generate']:.2f} | {r['write']:.2f} | {r['peak_mib']:,} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
