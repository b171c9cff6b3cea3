"""YelpChi with injected rings of several sizes, densities and time spreads, end to end.

A grid over :mod:`yelpchi_score`'s protocol: a ``rows x cols`` block at each density is
injected (camouflage none / random / biased, and hijacked accounts; seed 0) with its
reviews spread over 1, 14 or 90 days of the background's year, scored by ``ringlens
score`` with the mapping file, and the injected users compared with the members of the
highest-risk ring(s) (F1). One JSON line per cell on stdout.

    .venv/bin/python bench/yelpchi_grid.py [--out /tmp/yelp_grid] [--sizes 50x10 100x20
        200x30 500x50] [--densities 0.1 0.3 0.6] [--spans 1 14 90] [--seed 0]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from yelpchi_eval import DEFAULT_DATA, injected_events, load_yelpchi  # noqa: E402
from yelpchi_score import _ids, score_case, top_rings  # noqa: E402

from ringlens.eval import inject_block, precision_recall_f1  # noqa: E402

DAY_US = 86_400 * 10**6
KINDS = [
    ("none", {"camouflage": "none"}),
    ("random", {"camouflage": "random"}),
    ("biased", {"camouflage": "biased"}),
    ("hijacked", {"camouflage": "none", "hijacked": True}),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=Path("/tmp/yelp_grid"))
    ap.add_argument("--sizes", nargs="*", default=["50x10", "100x20", "200x30", "500x50"])
    ap.add_argument("--densities", nargs="*", type=float, default=[0.1, 0.3, 0.6])
    ap.add_argument("--spans", nargs="*", type=float, default=[1, 14, 90], help="days")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    base = load_yelpchi(a.data)
    sizes = [tuple(int(x) for x in s.split("x")) for s in a.sizes]
    for (rows, cols), density, span, (kind, kw) in itertools.product(
        sizes, a.densities, a.spans, KINDS
    ):
        inj = inject_block(base, n_rows=rows, n_cols=cols, density=density, seed=a.seed, **kw)
        events = injected_events(base, inj, a.seed, span_us=int(span * DAY_US))
        folder = a.out / f"{rows}x{cols}_{density}_{span:g}d_{kind}"
        out, secs = score_case(events, folder, vocab="mapped")
        top = top_rings(out)
        users = _ids(top["members"].explode().to_list()) if top.height else []
        prods = _ids(top["targets"].explode().drop_nulls().to_list()) if top.height else []
        row = {
            "size": f"{rows}x{cols}",
            "density": density,
            "span_days": span,
            "camouflage": kind,
            "user_f1": round(precision_recall_f1(users, inj.fraud_rows.tolist()).f1, 3),
            "product_f1": round(precision_recall_f1(prods, inj.fraud_cols.tolist()).f1, 3),
            "rings": pl.read_parquet(out / "rings.parquet").height,
            "seconds": round(secs, 1),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
