"""Learned weights: exact re-scoring from run files, the estimator, the time-ordered split,
and the rule that a model that is not better writes nothing."""

from __future__ import annotations

import tomllib

import numpy as np
import polars as pl
import pytest

from ringlens.calibrate import VerdictWeights, judged_items, learn_weights, load_runs, rescore
from ringlens.calibrate.weights import run_signals
from ringlens.config import Config
from ringlens.exceptions import ConfigError
from ringlens.risk import apply_policy, load_policy
from ringlens.risk.model import resolve_weights

from .conftest import make_loop

KEYS = ["entity_type", "entity_id"]


def test_rescore_with_the_runs_weights_gives_the_runs_risks_and_queue(loop) -> None:
    for run in load_runs(loop.run_dirs):
        ents, rings = rescore(run_signals(run), run.weights)
        j = ents.join(run.entities.select("key", pl.col("risk_score").alias("was")), on="key")
        assert j.height == run.entities.height
        assert (j["risk_score"] - j["was"]).abs().max() < 0.01  # the files round to 3 decimals
        q, _ = apply_policy(ents, rings, run.policy, run_id=run.run_id, labels=run.labels)
        # the same items with the same actions, in the same order but where two risks
        # are within the files' rounding of each other (a near-tie may swap)
        cols = ["queue_item_id", "action", "queue"]
        assert (
            q.select(cols)
            .sort("queue_item_id")
            .equals(run.queue.select(cols).sort("queue_item_id"))
        )
        pos = q.select("queue_item_id", pl.int_range(pl.len()).alias("p"))
        ranked = run.queue.select("queue_item_id", "risk_score").join(pos, on="queue_item_id")
        moved = ranked.with_row_index("was").filter(pl.col("was") != pl.col("p"))
        for row in moved.iter_rows(named=True):
            there = run.queue["risk_score"][row["p"]]
            assert abs(there - row["risk_score"]) < 0.01, row


def test_rescore_follows_new_weights(loop) -> None:
    run = load_runs(loop.run_dirs)[-1]
    sig = run_signals(run)
    base, _ = rescore(sig, run.weights)
    zero = dict(run.weights, shared_device=0.0)
    ents, _ = rescore(sig, zero)
    had = base.filter(pl.col("reasons").list.contains("shared_device"))
    j = had.join(ents.select("key", pl.col("risk_score").alias("new")), on="key")
    assert had.height > 0 and (j["new"] < j["risk_score"]).all()
    assert not ents["reasons"].list.contains("shared_device").any()


def test_estimator_recovers_known_weights() -> None:
    rng = np.random.default_rng(3)
    n = 6000
    X = pl.DataFrame(
        {"a": rng.random(n), "b": (rng.random(n) < 0.3).astype(float), "c": rng.random(n)}
    )
    true = {"a": 120.0, "b": 40.0, "c": 0.0}
    eta = sum(X[k].to_numpy() * w for k, w in true.items()) / 100
    y = (rng.random(n) < 1 - np.exp(-eta)).astype(int)
    m = VerdictWeights(prior={"a": 60.0, "b": 60.0, "c": 60.0}, prior_sd=1000).fit(X, y)
    assert m.weights_["a"] == pytest.approx(120, abs=12)
    assert m.weights_["b"] == pytest.approx(40, abs=8)
    assert m.weights_["c"] < 8
    p = m.predict(X)
    assert ((p >= 0) & (p <= 100)).all()
    # a tight prior keeps the weights at the current ones
    tight = VerdictWeights(prior={"a": 60.0, "b": 60.0, "c": 60.0}, prior_sd=0.01).fit(X, y)
    assert all(abs(v - 60.0) < 0.5 for v in tight.weights_.values())


def test_estimator_bad_input() -> None:
    X = pl.DataFrame({"a": [0.1, 0.2]})
    with pytest.raises(ConfigError, match="X has 2 rows but y has 3"):
        VerdictWeights().fit(X, [1, 0, 1])
    with pytest.raises(ConfigError, match="sample_weight"):
        VerdictWeights().fit(X, [1, 0], sample_weight=[1.0, -1.0])
    with pytest.raises(ConfigError, match="prior_sd must be a number > 0"):
        VerdictWeights(prior_sd=0).fit(X, [1, 0])


def test_time_ordered_split_never_trains_on_the_scored_items(tmp_path) -> None:
    # runs without id prefixes: the same account ids recur from run to run
    lp = make_loop(tmp_path / "shared_ids", n_runs=3, prefix=False, seed=4)
    runs = load_runs(lp.run_dirs)
    judged = judged_items(lp.items(), lp.history, runs)
    rep = learn_weights(runs, judged, holdout=2, labels=lp.labels)
    assert [h.run_id for h in rep.holdouts] == [runs[1].run_id, runs[2].run_id]
    for i, h in zip((1, 2), rep.holdouts, strict=True):
        held = runs[i]
        assert set(h.trained_on) == {r.run_id for r in runs[:i]}
        assert set(h.training["run_id"].unique()) <= set(h.trained_on)
        overlap = h.training.join(held.entities.select(KEYS), on=KEYS, how="semi")
        assert overlap.height == 0
        # the exclusion mattered: the earlier runs did score some of the same accounts
        earlier = pl.concat([r.entities.select(KEYS) for r in runs[:i]])
        assert earlier.join(held.entities.select(KEYS), on=KEYS, how="semi").height > 0
        assert h.excluded_entities == held.entities.height
        assert set(h.training["source"].unique()) <= {"verdict", "label", "unqueued"}


def test_a_model_that_is_not_better_writes_nothing(loop, tmp_path) -> None:
    runs = load_runs(loop.run_dirs)
    judged = judged_items(loop.items(), loop.history, runs)
    rep = learn_weights(runs, judged, labels=loop.labels, min_gain=1.0)
    assert rep.better is False
    assert "nothing written" in rep.verdict
    target = tmp_path / "weights.toml"
    with pytest.raises(ConfigError, match=r"^weights not written: held-out run"):
        rep.write(target)
    assert not target.exists()


def test_random_verdicts_do_not_justify_new_weights(tmp_path) -> None:
    lp = make_loop(tmp_path / "coin", n_runs=3, error_rate=0.5, seed=5)
    runs = load_runs(lp.run_dirs)
    rep = learn_weights(runs, judged_items(lp.items(), lp.history, runs))
    assert rep.better is False
    assert "nothing written" in rep.verdict


def test_better_weights_are_written_and_explained(bad_loop, tmp_path) -> None:
    runs = load_runs(bad_loop.run_dirs)
    judged = judged_items(bad_loop.items(), bad_loop.history, runs)
    rep = learn_weights(runs, judged, labels=bad_loop.labels)
    assert rep.better, rep.verdict
    h = rep.holdouts[-1]
    cur = h.current.filter(pl.col("queue") == "(all)").row(0, named=True)
    new = h.learned.filter(pl.col("queue") == "(all)").row(0, named=True)
    assert new["precision"] >= cur["precision"] + 0.02
    # the mis-set weights come down, and the sentences say why with the counts
    assert rep.learned["new_account"] < 25 and rep.learned["prior_violations"] < 20
    line = next(e for e in rep.explanations() if e.startswith("`prior_violations`"))
    assert "−" in line and "verdicts on items with it confirmed" in line
    path = rep.write(tmp_path / "weights.toml")
    data = tomllib.loads(path.read_text("utf-8"))
    weights = resolve_weights(data["score"]["weights"])
    assert weights["new_account"] == pytest.approx(rep.learned["new_account"], abs=0.05)
    # a run reads it as settings
    cfg = Config.from_mapping(data)
    assert cfg.score.weights["prior_violations"] == pytest.approx(
        rep.learned["prior_violations"], abs=0.05
    )


def test_too_few_runs_is_a_config_error(loop) -> None:
    runs = load_runs(loop.run_dirs[:1])
    with pytest.raises(ConfigError, match="learning weights needs at least 2 runs"):
        learn_weights(runs, judged_items(loop.items(), loop.history, runs))


def test_policy_of_a_run_is_read_back(loop) -> None:
    run = load_runs(loop.run_dirs)[0]
    assert run.policy is not None and run.policy.queues == load_policy(loop.policy).queues
