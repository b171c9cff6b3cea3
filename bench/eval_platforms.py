"""Detection quality on every synthetic platform, end to end through ``ringlens score``.

For each platform (``creator``, ``live``, ``marketplace``) and size, a seeded data set is
generated (camouflage on, organic negatives on the platforms that have them), scored by
the CLI in a fresh process — with the platform's ``vocabulary.toml``, without it (every
name unmapped), and for ``creator`` also with every name renamed — and compared with its
truth by ``ringlens eval``: ring recall, P@K and R@K (K = the true accounts), ring
members' precision, organic negatives among the top K and in rings, the queue's precision
and the organic negatives in it, wall time.

With ``--ablation``, each platform is also scored with one detector alone and without it
(``detect.disable``), so a reader sees what each detector contributes.

``--platforms appstore gig`` scores the two held-out platforms of
``bench/holdout_platform.py`` instead, ``--platforms delivery forum`` the two of
``bench/holdout2_platform.py``, ``--platforms rentals music`` the two of
``bench/holdout3_platform.py``, ``--platforms ridehail gaming`` the two of
``bench/holdout4_platform.py`` and ``--platforms adnet fundraise`` the two of
``bench/holdout5_platform.py``: each pair written without reading the detectors (their
truth uses their own pattern names).

    .venv/bin/python bench/eval_platforms.py [--events 200000 1000000] [--ablation]
    .venv/bin/python bench/eval_platforms.py --platforms appstore gig --events 300000 1000000
    .venv/bin/python bench/eval_platforms.py --platforms delivery forum --events 300000 1000000
    .venv/bin/python bench/eval_platforms.py --platforms rentals music --events 300000 1000000
    .venv/bin/python bench/eval_platforms.py --platforms ridehail gaming --events 300000 1000000
    .venv/bin/python bench/eval_platforms.py --platforms adnet fundraise --events 300000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RINGLENS = [sys.executable, "-m", "ringlens"]
GENERIC = (
    "lockstep",
    "dense_blocks",
    "communities",
    "owner_communities",
    "skewed_ratings",
    "skewed_follow_ups",
    "shared_targets",
)


#: Platforms written without reading the detectors, and the script that writes each.
HOLDOUT = {
    "appstore": "holdout_platform.py",
    "gig": "holdout_platform.py",
    "delivery": "holdout2_platform.py",
    "forum": "holdout2_platform.py",
    "rentals": "holdout3_platform.py",
    "music": "holdout3_platform.py",
    "ridehail": "holdout4_platform.py",
    "gaming": "holdout4_platform.py",
    "adnet": "holdout5_platform.py",
    "fundraise": "holdout5_platform.py",
}


def synth(platform: str, events: int, seed: int, out: Path, rename: bool = False) -> Path:
    if (out / "truth.parquet").is_file():
        return out
    if platform in HOLDOUT:
        script = ROOT / "bench" / HOLDOUT[platform]
        args = [str(out), "--platform", platform, "--events", str(events), "--seed", str(seed)]
        # its summary line goes to stderr: stdout is this script's JSON lines
        subprocess.run(
            [sys.executable, str(script), *args], check=True, cwd=ROOT, stdout=sys.stderr
        )
        return out
    args = ["synth", str(out), "--platform", platform, "--events", str(events)]
    args += ["--seed", str(seed), "--negatives"]
    if rename:
        args += ["--rename-seed", str(seed)]
    subprocess.run([*RINGLENS, "-q", *args], check=True, cwd=ROOT)
    return out


def score(data: Path, out: Path, *, vocab: bool, disable: list[str]) -> float:
    args = ["-q", "score", str(data), "--out", str(out), "--no-views"]
    if vocab:
        args += ["--vocabulary", str(data / "vocabulary.toml")]
    env = dict(os.environ)
    if disable:
        env["RINGLENS_DETECT__DISABLE"] = ",".join(disable)
    t = time.perf_counter()
    subprocess.run([*RINGLENS, *args], check=True, cwd=ROOT, env=env)
    return time.perf_counter() - t


def evaluate(data: Path, out: Path) -> dict:
    proc = subprocess.run(
        [*RINGLENS, "-q", "eval", str(out), "--truth", str(data / "truth.parquet"), "--json"],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    ev = json.loads(proc.stdout)
    m = ev["metrics"]["ringlens"]
    d = ev
    return {
        "ring_recall": round(m["ring_recall"], 3),
        "p_at_k": round(m["precision_at_k"], 3),
        "member_precision": round(m.get("precision", float("nan")), 3),
        "member_recall": round(m.get("recall", float("nan")), 3),
        "negatives_top_k": d.get("negatives_in_top_k"),
        "negatives_in_rings": d.get("negatives_in_rings"),
        "rings": d["rings_reported"],
        "planted": d["rings_planted"],
    }


def queue_quality(data: Path, out: Path) -> dict:
    """What reviewers would see: queue items that are planted ring members, and organic
    negatives (``negatives.parquet``) anywhere in the queue."""
    import polars as pl

    keys = ["entity_type", "entity_id"]
    q = pl.read_parquet(out / "queue.parquet").select(keys).unique()
    truth = pl.read_parquet(data / "truth.parquet").select(keys).unique()
    neg_file = data / "negatives.parquet"
    neg = pl.read_parquet(neg_file).select(keys).unique() if neg_file.is_file() else truth.clear()
    true = q.join(truth, on=keys, how="semi").height
    return {
        "queue": q.height,
        "queue_precision": round(true / q.height, 3) if q.height else None,
        "negatives_in_queue": q.join(neg, on=keys, how="semi").height,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, nargs="*", default=[200_000, 1_000_000])
    ap.add_argument("--platforms", nargs="*", default=["creator", "live", "marketplace"])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/eval_platforms"))
    ap.add_argument("--ablation", action="store_true")
    a = ap.parse_args()
    for n in a.events:
        for platform in a.platforms:
            cases = [(platform, False)]
            if platform == "creator":
                cases.append((platform, True))
            for plat, rename in cases:
                name = f"{plat}{'-renamed' if rename else ''}-{n}"
                data = synth(plat, n, a.seed, a.work / name, rename=rename)
                runs: list[tuple[str, bool, list[str]]] = [
                    ("vocabulary", True, []),
                    ("no vocabulary", False, []),
                ]
                if a.ablation:
                    runs += [(f"only {d}", True, [x for x in GENERIC if x != d]) for d in GENERIC]
                    runs += [(f"without {d}", True, [d]) for d in GENERIC]
                for label, vocab, disable in runs:
                    out = a.work / f"{name}.out" / label.replace(" ", "_")
                    secs = score(data, out, vocab=vocab, disable=disable)
                    row = {
                        "data": name,
                        "run": label,
                        **evaluate(data, out),
                        **queue_quality(data, out),
                        "seconds": round(secs, 1),
                    }
                    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
