"""YelpChi with an injected ring, end to end through ``ringlens score`` (FRAUDAR protocol).

The YelpChi reviews (users x products, ``../shared/data/yelpchi``) become events
(actor type ``user``, target type ``product``, action ``review``; background times
spread over a year, the injected edges over two weeks); a 200 x 30 block at density 0.6
is injected with no / random / biased camouflage and into hijacked accounts
(:func:`ringlens.eval.inject_block`); the CLI scores each set in a fresh process, and the
injected users are compared with the members of the highest-risk ring(s), the injected
products with those rings' targets (F1). "Ring(s)": the highest-risk ring and every ring
whose risk is within 1 point of it (ties).

Three vocabularies per case: the built-in one (``review`` is a review, ``user`` and
``product`` are unknown names), a mapping file naming all three, and unknown names only
(the action renamed ``opine``: nothing mapped).

    .venv/bin/python bench/yelpchi_score.py [--seeds 3] [--out /tmp/yelp]
        [--rows 200 --cols 30 --density 0.6] [--vocab builtin mapped unknown] [--truncate 1d]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from yelpchi_eval import DEFAULT_DATA, SCENARIOS, injected_events, load_yelpchi  # noqa: E402

from ringlens.eval import inject_block, precision_recall_f1  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VOCAB = '[vocabulary.actions]\nreview = ["review"]\n\n[vocabulary.entities]\naccount = ["user"]\nitem = ["product"]\n'


def _ids(keys: list[str]) -> list[int]:
    return sorted(int(k.split(":", 1)[1]) for k in keys)


def score_case(events: pl.DataFrame, folder: Path, *, vocab: str) -> tuple[Path, float]:
    folder.mkdir(parents=True, exist_ok=True)
    ev = events
    args = []
    if vocab == "mapped":
        (folder / "vocabulary.toml").write_text(VOCAB)
        args = ["--vocabulary", str(folder / "vocabulary.toml")]
    elif vocab == "unknown":
        ev = events.with_columns(pl.lit("opine").alias("action"))
    ev.write_parquet(folder / "events.parquet")
    out = folder / "out"
    t = time.perf_counter()
    cmd = [sys.executable, "-m", "ringlens", "-q", "score", str(folder), "--out", str(out)]
    subprocess.run([*cmd, "--no-views", *args], check=True, cwd=ROOT)
    return out, time.perf_counter() - t


def top_rings(out: Path) -> pl.DataFrame:
    rings = pl.read_parquet(out / "rings.parquet")
    if rings.height == 0:
        return rings
    best = float(rings["risk_score"].max())  # type: ignore[arg-type]
    return rings.filter(pl.col("risk_score") >= best - 1.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("/tmp/yelp_score"))
    ap.add_argument("--vocab", nargs="*", default=["builtin", "mapped", "unknown"])
    ap.add_argument("--rows", type=int, default=200, help="injected accounts")
    ap.add_argument("--cols", type=int, default=30, help="injected products")
    ap.add_argument("--density", type=float, default=0.6, help="share of the block's cells")
    ap.add_argument(
        "--truncate",
        default=None,
        help="truncate every timestamp to this resolution (e.g. 1d: an export with dates only)",
    )
    a = ap.parse_args()
    base = load_yelpchi(a.data)
    rows = []
    for name, kw in SCENARIOS:
        for seed in range(a.seeds):
            inj = inject_block(
                base, n_rows=a.rows, n_cols=a.cols, density=a.density, seed=seed, **kw
            )
            events = injected_events(base, inj, seed)
            if a.truncate:
                events = events.with_columns(pl.col("ts").dt.truncate(a.truncate))
            for vocab in a.vocab:
                folder = a.out / f"{name.replace(' ', '_')}_{seed}_{vocab}"
                out, secs = score_case(events, folder, vocab=vocab)
                top = top_rings(out)
                users = _ids(top["members"].explode().to_list()) if top.height else []
                prods = _ids(top["targets"].explode().drop_nulls().to_list()) if top.height else []
                fu = precision_recall_f1(users, inj.fraud_rows.tolist()).f1
                fp = precision_recall_f1(prods, inj.fraud_cols.tolist()).f1
                n_rings = pl.read_parquet(out / "rings.parquet").height
                rows.append(
                    {
                        "scenario": name,
                        "seed": seed,
                        "vocabulary": vocab,
                        "user_f1": round(fu, 3),
                        "product_f1": round(fp, 3),
                        "rings": n_rings,
                        "top_rings": top.height,
                        "seconds": round(secs, 1),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    df = pl.DataFrame(rows)
    summary = df.group_by("scenario", "vocabulary", maintain_order=True).agg(
        pl.col("user_f1").min().alias("user_f1_min"),
        pl.col("user_f1").mean().round(3).alias("user_f1_mean"),
        pl.col("product_f1").min().alias("product_f1_min"),
        pl.col("product_f1").mean().round(3).alias("product_f1_mean"),
        pl.col("rings").max().alias("rings_max"),
    )
    with pl.Config(tbl_rows=100, tbl_width_chars=200):
        print(summary)


if __name__ == "__main__":
    main()
