"""A ring injected into a review export sampled from a large catalogue, through ``ringlens score``.

Real review data often comes as one family sampled from a large catalogue: 100,000
ratings (``stars``) by 50,000 accounts (log-normal activity) of 30,000 listings (Zipf
popularity) over four months, with nothing but account, listing, action and time, and no
vocabulary. Most accounts rate one to five listings and most listings have a few raters.
A second, long catalogue (200,000 listings, Zipf exponent 0.8) rates more listings than
half the raters, most by one or two of them. Into it a ring: ``--size`` accounts (half of them existing accounts, half new ones) rate
each of ``--targets`` listings with probability ``--density``, over a span of days, and
each also rates four listings drawn by popularity (camouflage). The listings are fresh
(nobody else rates them), from the catalogue's tail (ranks 2,000 and below) or popular
(ranks 50-500: 40 to 180 organic raters each in the short catalogue).

Each case is scored in a fresh process (``ringlens -q score``, default settings) and the
ring is compared with the reported rings: ``found`` when one holds at least half of it
(Jaccard at least 0.5, as ``ringlens eval`` counts ring recall), ``jaccard`` the best
one's, ``top_members`` and ``top_hits`` the highest-risk ring's size and planted members,
``rings`` all reported rings (the background is organic: any other ring is a false one).

    .venv/bin/python bench/sampled_catalogue.py [--out /tmp/catalogue] [--seed 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
#: (name, targets, span in days, size, number of targets, density, catalogue)
CASES = [
    ("fresh, 2 weeks", "fresh", 14, 30, 10, 0.6, "short"),
    ("fresh, 2 months", "fresh", 60, 30, 10, 0.6, "short"),
    ("fresh, 1 day", "fresh", 1, 30, 10, 0.6, "short"),
    ("fresh, 15 x 5", "fresh", 14, 15, 5, 0.8, "short"),
    ("tail, 2 weeks", "tail", 14, 30, 10, 0.6, "short"),
    ("tail, 2 months", "tail", 60, 30, 10, 0.6, "short"),
    ("tail, 15 x 5", "tail", 14, 15, 5, 0.8, "short"),
    ("popular, 1 day", "popular", 1, 30, 10, 0.6, "short"),
    ("popular, 2 weeks", "popular", 14, 30, 10, 0.6, "short"),
    ("popular, 2 weeks, density 0.9", "popular", 14, 30, 10, 0.9, "short"),
    ("popular, 60 x 15", "popular", 14, 60, 15, 0.6, "short"),
    ("popular, 2 months", "popular", 60, 30, 10, 0.6, "short"),
    ("long catalogue: fresh, 2 weeks", "fresh", 14, 30, 10, 0.6, "long"),
    ("long catalogue: tail, 2 months", "tail", 60, 30, 10, 0.6, "long"),
    ("long catalogue: popular, 1 day", "popular", 1, 30, 10, 0.6, "long"),
]
#: listings and Zipf exponent of each catalogue: in the long one more listings than half
#: the raters are rated, most by one or two of them (a phone's shape)
CATALOGUES = {"short": (30_000, 1.0), "long": (200_000, 0.8)}


def make(
    out: Path,
    *,
    seed: int,
    targets: str,
    span: int,
    size: int,
    n_targets: int,
    density: float,
    catalogue: str = "short",
) -> set[str]:
    """Write ``out/events.parquet``; return the ring's node keys."""
    rng = np.random.default_rng(seed)
    n_items, zipf = CATALOGUES[catalogue]
    n_users, n_events = 50_000, 100_000
    t0 = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    pop = 1.0 / np.arange(1, n_items + 1) ** zipf
    pop /= pop.sum()
    act = rng.lognormal(0.0, 1.0, n_users)
    act /= act.sum()
    users = rng.choice(n_users, n_events, p=act)
    frame = pl.DataFrame(
        {
            "actor_id": pl.Series(users).cast(pl.String).str.replace("^", "u"),
            "target_id": pl.Series(rng.choice(n_items, n_events, p=pop))
            .cast(pl.String)
            .str.replace("^", "p"),
            "ts": t0 + rng.integers(0, 120 * 86400, n_events),
        }
    )
    old = rng.choice(np.unique(users), size // 2, replace=False)
    ring = [f"f{i}" for i in range(size - size // 2)] + [f"u{x}" for x in old]
    if targets == "fresh":
        listings = [f"x{j}" for j in range(n_targets)]
    else:
        ranks = np.arange(2000, n_items) if targets == "tail" else np.arange(50, 500)
        listings = [f"p{x}" for x in rng.choice(ranks, n_targets, replace=False)]
    rows = []
    for member in ring:
        for listing in listings:
            if rng.random() < density:
                rows.append((member, listing, t0 + 60 * 86400 + int(rng.integers(0, span * 86400))))
        for _ in range(4):
            rows.append(
                (member, f"p{rng.choice(n_items, p=pop)}", t0 + int(rng.integers(0, 120 * 86400)))
            )
    planted = pl.DataFrame(rows, schema=["actor_id", "target_id", "ts"], orient="row")
    events = pl.concat([frame, planted]).with_columns(
        pl.from_epoch("ts").dt.replace_time_zone("UTC"),
        actor_type=pl.lit("reviewer"),
        target_type=pl.lit("listing"),
        action=pl.lit("stars"),
    )
    out.mkdir(parents=True, exist_ok=True)
    events.write_parquet(out / "events.parquet")
    return {f"reviewer:{m}" for m in ring}


def judge(rings: pl.DataFrame, ring: set[str]) -> dict:
    """How the reported rings (``rings.parquet``) compare with the planted one."""
    sets = [set(m) for m in rings.sort("risk_score", descending=True)["members"].to_list()]
    best = max((len(s & ring) / len(s | ring) for s in sets), default=0.0)
    top = sets[0] if sets else set()
    return {
        "found": best >= 0.5,
        "jaccard": round(best, 3),
        "rings": len(sets),
        "top_members": len(top),
        "top_hits": len(top & ring),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/ringlens-catalogue"))
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    exe = [sys.executable, "-m", "ringlens", "-q", "score"]
    for i, (name, targets, span, size, n_targets, density, catalogue) in enumerate(CASES):
        data = args.out / f"case{i}"
        ring = make(
            data,
            seed=args.seed,
            targets=targets,
            span=span,
            size=size,
            n_targets=n_targets,
            density=density,
            catalogue=catalogue,
        )
        t = time.perf_counter()
        subprocess.run(
            [*exe, str(data), "--out", str(data / "out"), "--no-views"],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        row = {"case": name, **judge(pl.read_parquet(data / "out" / "rings.parquet"), ring)}
        print(json.dumps({**row, "seconds": round(time.perf_counter() - t, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
