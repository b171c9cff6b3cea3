"""Skewed ratings' bursts: the per-window unit counts by run lengths, against Polars group-bys.

The burst test of :func:`ringlens.detect.ratings.skewed_ratings` counts, per window of the
family's time scales (each on two grids), every target's raters in each window, those
giving each extreme of the scale, and the target's, the window's and the family's totals
(``_burst_grids``). It sorts the ratings once (target, rater, time) and takes run lengths
per grid with numpy. The obvious alternative is what one writes in Polars: per grid, a
group-by of the ratings by (rater, target, window) for each rater's mean, a group-by by
(target, window) for the counts, and two more for the totals, joined back.

The bench builds a rating family (``--ratings`` ratings of 1-5 stars by ``--raters``
accounts on ``--targets`` targets over six weeks, a tenth of the raters rating a target
twice), times both ways alternating (``--repeat`` times each, same windows and grids) and
checks that they give the same unit counts; then the whole ``skewed_ratings`` with and
without the bursts.

    .venv/bin/python bench/bench_rating_bursts.py --ratings 1000000

Prints the machine, the best time of each and the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import machine  # noqa: E402

import ringlens.detect.ratings as ratings  # noqa: E402
from ringlens.detect._common import filtered_events  # noqa: E402
from ringlens.graph import build_graph  # noqa: E402

STARS = [0.08, 0.06, 0.12, 0.24, 0.50]


def family(n: int, raters: int, targets: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, targets + 1) ** 0.8
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    src = rng.integers(0, raters, n)
    dst = rng.choice(targets, size=n, p=pop / pop.sum())
    again = rng.random(n) < 0.1  # a tenth rate a target they rated before
    dst[again] = np.roll(dst, 1)[again]
    src[again] = np.roll(src, 1)[again]
    secs = rng.integers(0, 42 * 86_400, n)
    return pl.DataFrame(
        {
            "actor_id": [f"u{x}" for x in src],
            "actor_type": "user",
            "target_id": [f"t{x}" for x in dst],
            "target_type": "shop",
            "action": "rate",
            "ts": pl.Series([t0 + timedelta(seconds=int(s)) for s in secs]),
            "amount": rng.choice(np.arange(1, 6), size=n, p=STARS).astype(float),
        }
    )


def polars_grids(ev: pl.DataFrame, scale: tuple[float, float], windows: list[timedelta]):  # noqa: ANN201
    """The unit counts of ``_burst_grids`` with Polars group-bys (the alternative)."""
    out = []
    timed = ev.drop_nulls("amount").with_columns(pl.col("ts").dt.epoch("us").alias("us"))
    for window, shifted in ((w, h) for w in windows for h in (False, True)):
        width = max(int(window / timedelta(microseconds=1)), 1)
        shift = width // 2 if shifted else 0
        rows = (
            timed.with_columns(((pl.col("us") + shift) // width).alias("w"))
            .group_by("src", "dst", "w")
            .agg(pl.col("amount").cast(pl.Float64).mean().alias("v"), pl.len().alias("hits"))
        )
        unit = rows.group_by("dst", "w").agg(
            pl.len().cast(pl.Int64).alias("n"),
            *((pl.col("v") == x).sum().cast(pl.Int64).alias(f"k{i}") for i, x in enumerate(scale)),
        )
        sums = ("n", "k0", "k1")
        per_t = unit.group_by("dst").agg(pl.col(c).sum().alias(f"{c[0]}t{c[1:]}") for c in sums)
        per_w = unit.group_by("w").agg(pl.col(c).sum().alias(f"{c[0]}w{c[1:]}") for c in sums)
        out.append((rows, unit.join(per_t, on="dst").join(per_w, on="w")))
    return out


def best(fn, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ratings", type=int, default=1_000_000)
    ap.add_argument("--raters", type=int, default=200_000)
    ap.add_argument("--targets", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    g = build_graph(family(a.ratings, a.raters, a.targets, a.seed))
    ev = filtered_events(g, extra=("amount",))
    windows = ratings._burst_windows(g, None, None, None)
    scale = (1.0, 5.0)
    mine = ratings._burst_grids(ev, scale, windows)
    theirs = polars_grids(ev, scale, windows)
    cols = ["dst", "w", "n", "k0", "k1", "nt", "kt0", "kt1", "nw", "kw0", "kw1"]
    for (_, u1), (_, u2) in zip(mine, theirs, strict=True):
        x = u1.select(cols).sort("dst", "w")
        y = u2.select(cols).cast(dict.fromkeys(cols, pl.Int64)).sort("dst", "w")
        assert x.equals(y), "the two ways disagree"
    runs_rl, runs_pl = [], []
    for _ in range(a.repeat):  # alternating
        runs_rl.append(best(lambda: ratings._burst_grids(ev, scale, windows), 1))
        runs_pl.append(best(lambda: polars_grids(ev, scale, windows), 1))
    with_b = best(lambda: ratings.skewed_ratings(g), a.repeat)
    orig = ratings._burst_windows
    ratings._burst_windows = lambda *args: []  # type: ignore[assignment]
    without = best(lambda: ratings.skewed_ratings(g), a.repeat)
    ratings._burst_windows = orig
    print(machine())
    print(f"{a.ratings:,} ratings, {len(windows)} windows x 2 grids")
    print(f"unit counts: run lengths {min(runs_rl):.3f} s, Polars group-bys {min(runs_pl):.3f} s")
    print(f"ratio {min(runs_rl) / min(runs_pl):.2f}")
    print(f"skewed_ratings with bursts {with_b:.3f} s, without {without:.3f} s")


if __name__ == "__main__":
    main()
