"""The feedback loop on a changing synthetic platform: runs → simulated verdicts → calibrate.

Usage::

    .venv/bin/python bench/calibrate_loop.py --runs 6 --events 150000 --out /tmp/loop

Each run ``k`` is a week of :func:`ringlens.calibrate.simulate.platform_series` (traffic
growing, the window shrinking from 7 to 3 days, the ring mix and camouflage changing; ids
prefixed ``wk<k>-`` so every week has its own accounts), scored by ``ringlens.run`` into
``OUT/runs/<k>`` with one shared queue database ``OUT/queue.sqlite`` and the policy
``OUT/policy.toml`` (the shipped rules, with capacities of a small team). Simulated reviewers
judge the riskiest ``--review`` items of each run with ``--error-rate`` label noise and
10 % double reviews; 30 % of each week's ring members are "confirmed by other means" (the
labels for recall and misses). Then :func:`ringlens.calibrate.calibrate` runs over all the
runs and the script prints, for the held-out latest run, precision at capacity of the
current and learned weights under the current and suggested policy — measured on the
(noisy) verdicts, as the tool sees it, and against the synthetic truth.

With ``--platform NAME`` the weeks come from a platform of ``bench/eval_platforms.py``
instead (a held-out one such as ``adnet``, written without reading the detectors, or
``creator``/``live``/``marketplace``): ``--events`` each, seed ``seed * 1000 + k + 1``,
ids prefixed ``wk<k>-`` in every table, scored with the platform's vocabulary. Its
organic negatives are the innocent accounts the reviewers clear.

    .venv/bin/python bench/calibrate_loop.py --platform adnet --runs 5 --events 300000 --out /tmp/loop-adnet
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from ringlens.calibrate import calibrate, empty_history, simulate_reviewers
from ringlens.calibrate.policy import evaluate_policy, scored_population, suggest_policy
from ringlens.calibrate.simulate import ID_COLUMNS, platform_series, prefix_ids, prefix_table
from ringlens.config import Config, load_vocabulary
from ringlens.export import open_queue_store
from ringlens.pipeline import run
from ringlens.risk import load_policy
from ringlens.synth import generate, write_synth

POLICY_CAPS = {"enforcement": 40, "review": 150, "watchlist": 120}


def small_team_policy(path: Path) -> Path:
    text = Path(load_policy().source).read_text() if Path(load_policy().source).is_file() else None
    from importlib import resources

    text = text or resources.files("ringlens.risk").joinpath("default_policy.toml").read_text()
    for q, cap in POLICY_CAPS.items():
        text = text.replace(f"[queues.{q}]\ncapacity = ", f"[queues.{q}]\ncapacity = {cap}  # was ")
    path.write_text(text)
    load_policy(path)
    return path


def platform_week(platform: str, events: int, seed: int, k: int, out: Path) -> Path:
    """Week ``k`` of ``platform`` (``bench/eval_platforms.py``'s generators), its ids
    prefixed ``wk<k>-`` in every table, in ``out/data/<k>``; returns that folder."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from eval_platforms import synth

    raw = synth(platform, events, seed * 1000 + k + 1, out / "raw" / str(k))
    dst = out / "data" / str(k)
    dst.mkdir(parents=True, exist_ok=True)
    for name in ID_COLUMNS:
        f = raw / f"{name}.parquet"
        if f.is_file():
            prefix_table(pl.read_parquet(f), name, f"wk{k}-").write_parquet(dst / f.name)
    for f in raw.glob("*.toml"):
        (dst / f.name).write_text(f.read_text())
    return dst


def truth_labels(truth: pl.DataFrame, scored: pl.DataFrame) -> pl.DataFrame:
    """Every scored entity labelled by the truth (for measuring against the truth)."""
    t = (
        truth.select("entity_type", "entity_id")
        .unique()
        .with_columns(pl.lit("confirmed").alias("label"))
    )
    return (
        scored.select("entity_type", "entity_id")
        .unique()
        .join(t, on=["entity_type", "entity_id"], how="left")
        .with_columns(pl.col("label").fill_null("cleared"))
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--events", type=int, default=150_000)
    ap.add_argument("--error-rate", type=float, default=0.1)
    ap.add_argument("--review", type=int, default=250, help="items reviewed per run")
    ap.add_argument("--target", type=float, default=0.8)
    ap.add_argument("--enforcement-target", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/ringlens-loop"))
    ap.add_argument("--json", type=Path, help="write the numbers here")
    ap.add_argument(
        "--weights",
        default="",
        help="the team's current [score.weights], e.g. new_account=50,prior_violations=40 "
        "(default: the built-in weights)",
    )
    ap.add_argument(
        "--calibrate-only", action="store_true", help="reuse the runs and verdicts in --out"
    )
    ap.add_argument("--platform", help="weeks of a bench/eval_platforms.py platform instead")
    args = ap.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    policy = small_team_policy(out / "policy.toml")
    db = str(out / "queue.sqlite")
    if Path(db).exists() and not args.calibrate_only:
        Path(db).unlink()
    weights = {
        k.strip(): float(v) for k, v in (kv.split("=", 1) for kv in args.weights.split(",") if kv)
    }
    cfg = Config.from_mapping(
        {
            "viz": {"enabled": False},
            "calibrate": {
                "target_precision": args.target,
                "queue_targets": {"enforcement": args.enforcement_target},
            },
            "score": {"weights": weights},
        }
    )
    rng = np.random.default_rng(args.seed)
    run_dirs, truths, other, hist = [], [], [], []
    audit = 1
    t_all = time.perf_counter()
    weeks = (
        [None] * args.runs
        if args.platform
        else platform_series(args.runs, events=args.events, seed=args.seed)
    )
    for k, sc in enumerate(weeks):
        if args.calibrate_only:
            run_dirs.append(out / "runs" / str(k))
            truths.append(pl.read_parquet(out / "data" / str(k) / "truth.parquet"))
            continue
        t0 = time.perf_counter()
        if sc is None:
            src = platform_week(args.platform, args.events, args.seed, k, out)
            vocab = src / "vocabulary.toml"
            week_cfg = (
                cfg.merged(load_vocabulary(vocab), source=str(vocab)) if vocab.is_file() else cfg
            )
            truth = pl.read_parquet(src / "truth.parquet")
            days = None
        else:
            data = prefix_ids(generate(sc), f"wk{k}-")
            src = out / "data" / str(k)
            write_synth(data, src)
            week_cfg, truth, days = cfg, data.truth, sc.days
        rd = out / "runs" / str(k)
        res = run(src, out_dir=rd, config=week_cfg, policy=policy, database=db)
        run_dirs.append(rd)
        truths.append(truth)
        members = truth.select("entity_type", "entity_id").unique().sort("entity_type", "entity_id")
        pick = rng.random(members.height) < 0.3
        other.append(
            members.filter(pl.Series(pick)).with_columns(pl.lit("confirmed").alias("label"))
        )
        with open_queue_store(db) as store:
            items = store.read()
            sim = simulate_reviewers(
                items,
                truth,
                run_id=res.report["run_id"],
                error_rate=args.error_rate,
                capacity=args.review,
                double_review=0.1,
                seed=args.seed * 100 + k,
                first_audit_id=audit,
            )
            sim.apply(store)
        audit += sim.history.height
        hist.append(sim.history)
        print(
            f"run {k}: {res.report['counts']['events']:,} events over {days or '?'} d, "
            f"{res.rings.height} rings, "
            f"{res.queue.height} queued, {sim.verdicts.height} verdicts "
            f"({100 * sim.error_share:.1f} % wrong) [{time.perf_counter() - t0:.1f}s]",
            flush=True,
        )
    if args.calibrate_only:
        labels = pl.read_parquet(out / "other_labels.parquet")
        history = pl.read_parquet(out / "history.parquet")
    else:
        labels = pl.concat(other)
        history = pl.concat(hist) if hist else empty_history()
        labels.write_parquet(out / "other_labels.parquet")
        history.write_parquet(out / "history.parquet")
    with open_queue_store(db) as store:
        items, queue_runs = store.read(), store.runs()
    t0 = time.perf_counter()
    rep = calibrate(
        run_dirs,
        items=items,
        history=history,
        queue_runs=queue_runs,
        labels=labels,
        policy=load_policy(policy),
        config=cfg,
    )
    files = rep.write(out / "calibration")
    print(f"calibrate: {time.perf_counter() - t0:.1f}s, wrote {', '.join(sorted(files))}")
    w = rep.weights
    assert w is not None
    print("weights:", w.verdict)
    for line in w.explanations():
        print("  ", line)
    # the held-out run against the truth
    held = rep.runs[-1]
    truth_lab = truth_labels(truths[-1], held.entities)
    train = rep.runs[:-1]
    from ringlens.calibrate import judged_items

    judged = judged_items(items, history, rep.runs)
    j_train = judged.filter(pl.col("run_id").is_in([r.run_id for r in train]))
    learned = dict(w.holdouts[-1].weights)
    pol = load_policy(policy)
    rows = []
    none = judged.clear()
    for wname, wts in (("current", None), ("learned", learned)):
        sugg = suggest_policy(
            scored_population(train, j_train, wts, labels=labels),
            pol,
            target=args.target,
            min_verdicts=cfg.calibrate.min_verdicts,
            queue_targets=dict(cfg.calibrate.queue_targets),
        )
        for pname, p in (("current", pol), ("suggested", sugg.policy)):
            v = (
                evaluate_policy(held, p, judged, wts or held.weights, labels=labels)
                .filter(pl.col("queue") == "(all)")
                .row(0, named=True)
            )
            t = (
                evaluate_policy(held, p, none, wts or held.weights, labels=truth_lab)
                .filter(pl.col("queue") == "(all)")
                .row(0, named=True)
            )
            rows.append(
                {
                    "weights": wname,
                    "policy": pname,
                    "queued": t["items"],
                    "verdicts_precision": v["precision"],
                    "verdicts_labelled": v["labelled"],
                    "truth_precision": t["precision"],
                    "truth_confirmed": t["confirmed"],
                }
            )
    table = pl.DataFrame(rows)
    with pl.Config(tbl_rows=20, tbl_width_chars=200):
        print(table)
    summary = {
        "runs": args.runs,
        "events": args.events,
        "error_rate": args.error_rate,
        "review": args.review,
        "target": args.target,
        "weights_better": w.better,
        "weights_verdict": w.verdict,
        "explanations": w.explanations(),
        "holdout": rows,
        "policy_changed": bool(rep.suggestion and rep.suggestion.changed),
        "policy_segments": None if rep.suggestion is None else rep.suggestion.segments.to_dicts(),
        "misses": None if rep.misses is None else rep.misses.summary(),
        "alerts": list(rep.health.alerts),
        "seconds": round(time.perf_counter() - t_all, 1),
    }
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
