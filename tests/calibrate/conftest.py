"""A small feedback loop shared by the calibration tests: runs of a changing synthetic
platform, one queue database, simulated reviewers' verdicts and labels from elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ringlens.calibrate import empty_history, simulate_reviewers
from ringlens.calibrate.simulate import platform_series, prefix_ids
from ringlens.config import Config
from ringlens.export import open_queue_store
from ringlens.pipeline import run
from ringlens.synth import generate, write_synth

#: queue capacities of a small team (the shipped rules)
CAPS = {"enforcement": 15, "review": 60, "watchlist": 40}


def small_policy(path: Path, caps: dict[str, int] | None = None) -> Path:
    text = resources.files("ringlens.risk").joinpath("default_policy.toml").read_text("utf-8")
    for q, cap in (caps or CAPS).items():
        text = text.replace(f"[queues.{q}]\ncapacity = ", f"[queues.{q}]\ncapacity = {cap}  # was ")
    path.write_text(text, "utf-8")
    return path


@dataclass
class Loop:
    root: Path
    run_dirs: list[Path]
    db: Path
    policy: Path
    history: pl.DataFrame
    labels: pl.DataFrame
    truths: list[pl.DataFrame]
    run_ids: list[str]
    config: Config

    def items(self) -> pl.DataFrame:
        with open_queue_store(self.db) as s:
            return s.read()

    def queue_runs(self) -> pl.DataFrame:
        with open_queue_store(self.db) as s:
            return s.runs()


def make_loop(
    root: Path,
    *,
    n_runs: int = 4,
    events: int = 30_000,
    weights: dict[str, float] | None = None,
    error_rate: float = 0.1,
    review: int = 120,
    prefix: bool = True,
    seed: int = 0,
    caps: dict[str, int] | None = None,
) -> Loop:
    root.mkdir(parents=True, exist_ok=True)
    policy = small_policy(root / "policy.toml", caps)
    db = root / "queue.sqlite"
    cfg = Config.from_mapping({"viz": {"enabled": False}, "score": {"weights": weights or {}}})
    rng = np.random.default_rng(seed)
    run_dirs, hist, other, truths, ids = [], [], [], [], []
    audit = 1
    for k, sc in enumerate(platform_series(n_runs, events=events, seed=seed)):
        data = generate(sc)
        if prefix:
            data = prefix_ids(data, f"wk{k}-")
        src = root / "data" / str(k)
        write_synth(data, src)
        rd = root / "runs" / str(k)
        res = run(src, out_dir=rd, config=cfg, policy=policy, database=str(db))
        run_dirs.append(rd)
        ids.append(res.report["run_id"])
        truths.append(data.truth)
        members = data.truth.select("entity_type", "entity_id").unique().sort(pl.all())
        other.append(
            members.filter(pl.Series(rng.random(members.height) < 0.3)).with_columns(
                pl.lit("confirmed").alias("label")
            )
        )
        with open_queue_store(db) as store:
            sim = simulate_reviewers(
                store.read(),
                data.truth,
                run_id=res.report["run_id"],
                error_rate=error_rate,
                capacity=review,
                double_review=0.15,
                seed=seed * 100 + k,
                first_audit_id=audit,
            )
            sim.apply(store)
        audit += sim.history.height
        hist.append(sim.history)
    return Loop(
        root=root,
        run_dirs=run_dirs,
        db=db,
        policy=policy,
        history=pl.concat(hist) if hist else empty_history(),
        labels=pl.concat(other).unique(subset=["entity_type", "entity_id"], keep="first"),
        truths=truths,
        run_ids=ids,
        config=cfg,
    )


@pytest.fixture(scope="session")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Loop:
    """Four runs scored with the built-in weights, 10 % label noise."""
    return make_loop(tmp_path_factory.mktemp("loop"))


@pytest.fixture(scope="session")
def bad_loop(tmp_path_factory: pytest.TempPathFactory) -> Loop:
    """Four runs scored with mis-set weights (new accounts and prior violations weigh far
    too much: organic accounts flood the queues)."""
    return make_loop(
        tmp_path_factory.mktemp("bad_loop"),
        events=40_000,
        weights={"new_account": 50.0, "prior_violations": 40.0},
        review=200,
        caps={"enforcement": 30, "review": 120, "watchlist": 80},
        seed=1,
    )
