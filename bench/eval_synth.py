"""Detection quality on synthetic sets with planted rings, next to trivial baselines.

Usage: python bench/eval_synth.py [--events 1000000] [--rings 10] [--seeds 1 2]

For each camouflage setting it generates a set (cached under bench/data), runs the whole
pipeline (`ringlens.pipeline.score`) and evaluates against the planted truth
(`ringlens.eval.evaluate`). Prints one JSON line per run and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import time

from _util import DATA, machine

SETTINGS = [
    ("none", 0.0, "random"),
    ("random", 1.0, "random"),
    ("biased", 1.0, "biased"),
]


def main() -> None:
    import polars as pl

    from ringlens.eval import evaluate
    from ringlens.pipeline import score
    from ringlens.synth import SynthConfig, generate, write_synth

    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--rings", type=int, default=10, help="rings per pattern")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = ap.parse_args()
    print(f"machine: {machine()}")
    rows = []
    for seed in args.seeds:
        for name, camo, kind in SETTINGS:
            cfg = SynthConfig(
                n_events=args.events,
                rings_per_pattern=args.rings,
                camouflage=camo,
                camouflage_kind=kind,
                seed=seed,
            )
            folder = DATA / f"eval_{args.events}_{args.rings}_{name}_{seed}"
            if not (folder / "events.parquet").is_file():
                write_synth(generate(cfg), folder)
            ev = pl.read_parquet(folder / "events.parquet")
            ent = pl.read_parquet(folder / "entities.parquet")
            lab = pl.read_parquet(folder / "labels.parquet")
            truth = pl.read_parquet(folder / "truth.parquet")
            t = time.perf_counter()
            res = score(ev, entities=ent, labels=lab)
            secs = time.perf_counter() - t
            e = evaluate(
                rings=res.rings, entities=res.entities, truth=truth, events=ev, accounts=ent
            )
            row = {
                "seed": seed,
                "camouflage": name,
                "events": ev.height,
                "planted_rings": truth["ring_id"].n_unique(),
                "true_entities": e.details["true_entities"],
                "seconds": round(secs, 1),
                **{
                    f"{m}:{k}": round(v, 3)
                    for m, d in e.metrics.items()
                    for k, v in d.items()
                    if v == v
                },
            }
            rows.append(row)
            print(json.dumps(row))
    print()
    print(
        "| seed | camouflage | events | rings | K | ring recall | P@K | flagged P / R / F1 | AUC | AP | degree P@K | account age P@K | one-interaction P@K |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['seed']} | {r['camouflage']} | {r['events']:,} | {r['planted_rings']} | {r['true_entities']} | "
            f"{r['ringlens:ring_recall']:.3f} | {r['ringlens:precision_at_k']:.3f} | "
            f"{r['ringlens:precision']:.3f} / {r['ringlens:recall']:.3f} / {r['ringlens:f1']:.3f} | "
            f"{r['ringlens:roc_auc']:.3f} | {r['ringlens:average_precision']:.3f} | "
            f"{r['degree:precision_at_k']:.3f} | {r.get('account_age:precision_at_k', float('nan')):.3f} | "
            f"{r['one_interaction:precision_at_k']:.3f} |"
        )


if __name__ == "__main__":
    main()
