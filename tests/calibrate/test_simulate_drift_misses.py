"""Simulated reviewers, input drift and the root cause of misses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from ringlens.calibrate import (
    HISTORY_SCHEMA,
    explain_misses,
    input_drift,
    input_profile,
    load_run,
    simulate_reviewers,
)
from ringlens.calibrate.quality import reviewer_agreement
from ringlens.calibrate.verdicts import verdict_events
from ringlens.exceptions import ConfigError, InputError, SchemaError
from ringlens.export import open_queue_store
from ringlens.risk import load_policy

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def queue(n: int = 2000) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "queue_item_id": [f"q{i}" for i in range(n)],
            "entity_type": "buyer",
            "entity_id": [str(i) for i in range(n)],
            "risk_score": [100.0 - i * 50 / n for i in range(n)],
            "queue": ["review" if i % 4 else "enforcement" for i in range(n)],
            "priority": list(range(1, n + 1)),
            "run_id": "r1",
        }
    )


def test_simulated_errors_capacity_and_history() -> None:
    truth = pl.DataFrame({"entity_type": "buyer", "entity_id": [str(i) for i in range(0, 2000, 2)]})
    sim = simulate_reviewers(
        queue(), truth, error_rate=0.1, seed=7, start=T0, end=T0 + timedelta(days=1)
    )
    assert sim.verdicts.height == 2000
    assert 0.08 < sim.error_share < 0.12
    assert sim.verdicts["decided_at"].is_sorted() and sim.verdicts[
        "decided_at"
    ].max() < T0 + timedelta(days=1)
    assert sim.history.schema == HISTORY_SCHEMA
    assert sim.history["audit_id"].to_list() == list(range(1, sim.history.height + 1))
    # per-queue capacity: the first items by priority of each queue
    capped = simulate_reviewers(
        queue(), truth, capacity={"enforcement": 10, "review": 5}, seed=1, start=T0
    )
    got = capped.verdicts.group_by("queue_item_id").len().height
    assert got == 15
    # the same seed gives the same verdicts
    again = simulate_reviewers(
        queue(), truth, error_rate=0.1, seed=7, start=T0, end=T0 + timedelta(days=1)
    )
    assert again.verdicts.equals(sim.verdicts)


def test_double_reviews_feed_agreement() -> None:
    truth = pl.DataFrame({"entity_type": "buyer", "entity_id": [str(i) for i in range(500)]})
    sim = simulate_reviewers(
        queue(1000), truth, error_rate=0.2, double_review=0.5, seed=3, start=T0
    )
    items = sim.verdicts.group_by("queue_item_id").len()
    assert 400 < items.filter(pl.col("len") == 2).height < 600
    r = reviewer_agreement(sim.verdicts)
    # two independent 20 % error rates agree 0.8² + 0.2² = 68 % of the time
    assert r["agreement"] == pytest.approx(0.68, abs=0.06)


def test_simulated_verdicts_reach_the_database(tmp_path) -> None:
    q = (
        queue(50)
        .drop("priority")
        .with_columns(
            pl.lit(None, pl.String).alias("evidence"),
            pl.lit("brushing").alias("pattern"),
            pl.lit("US").alias("market"),
            pl.lit(None, pl.String).alias("ring_id"),
            pl.lit(["x"], pl.List(pl.String)).alias("reasons"),
            pl.lit("manual_review").alias("action"),
            pl.int_range(1, 51).alias("priority"),
        )
    )
    truth = pl.DataFrame({"entity_type": "buyer", "entity_id": [str(i) for i in range(25)]})
    with open_queue_store(tmp_path / "q.sqlite") as store:
        store.upsert(q, run_id="r1")
        sim = simulate_reviewers(store.read(), truth, error_rate=0.0, capacity=20, seed=0)
        assert sim.apply(store) == 20
        items = store.read()
        labels = store.verdicts_as_labels()
    assert items.filter(pl.col("status") == "actioned").height == 20  # the 20 riskiest are abuse
    assert labels.height == 20 and set(labels["label"]) == {"confirmed"}
    # the history frame says the same as the database
    v = verdict_events(items.with_columns(pl.col("first_seen_at")), sim.history)
    assert v.height == 20 and set(v["source"]) == {"history"}


def test_simulation_bad_input() -> None:
    with pytest.raises(ConfigError, match="error_rate must be a number >= 0.0 and <= 1.0"):
        simulate_reviewers(
            queue(10), pl.DataFrame({"entity_type": [], "entity_id": []}), error_rate=2
        )
    with pytest.raises(SchemaError, match="truth has no column 'entity_id'"):
        simulate_reviewers(queue(10), pl.DataFrame({"entity_type": ["buyer"]}))
    with pytest.raises(SchemaError, match="'maybe' is not a label"):
        simulate_reviewers(
            queue(10),
            pl.DataFrame({"entity_type": ["buyer"], "entity_id": ["1"], "label": ["maybe"]}),
        )
    with pytest.raises(ConfigError, match="double_review needs at least two reviewers"):
        simulate_reviewers(
            queue(10),
            pl.DataFrame({"entity_type": [], "entity_id": []}),
            double_review=0.1,
            reviewers=["solo"],
        )


def profile(days: float, counts: dict[tuple[str, str], int]) -> dict:
    return {
        "days": days,
        "counts": [{"action": a, "market": m, "events": n} for (a, m), n in counts.items()],
    }


def test_drift_flags_drops_new_names_and_gone_actions() -> None:
    prev = [
        profile(
            7,
            {
                ("like", "US"): 7000,
                ("order", "US"): 1400,
                ("order", "DE"): 700,
                ("login", "US"): 700,
            },
        ),
        profile(
            14,
            {
                ("like", "US"): 14000,
                ("order", "US"): 2800,
                ("order", "DE"): 1400,
                ("login", "US"): 1400,
            },
        ),
    ]
    # one day: likes steady, orders halved in DE only, logins gone, gifts and BR new
    cur = profile(
        1,
        {
            ("like", "US"): 1000,
            ("order", "US"): 200,
            ("order", "DE"): 20,
            ("gift", "US"): 50,
            ("like", "BR"): 300,
        },
    )
    d = input_drift(cur, prev, drop=0.5, min_events=50)
    flags = {
        (r["level"], r["action"], r["market"]): r["flag"]
        for r in d.rows.iter_rows(named=True)
        if r["flag"]
    }
    assert flags == {
        ("action", "gift", None): "new action",
        ("action", "login", None): "gone",
        ("market", None, "BR"): "new market",
        ("market", None, "DE"): "drop",
        ("action × market", "login", "US"): "gone",
        ("action × market", "order", "DE"): "drop",
    }
    assert not d.ok
    assert d.alerts[0].startswith("new action: gift")
    assert all("order in DE" not in a for a in d.alerts)  # said once, at the market level
    # per day: a 7-day and a 14-day run with the same daily rate expect the same
    like = d.rows.filter((pl.col("level") == "action") & (pl.col("action") == "like")).row(
        0, named=True
    )
    assert like["expected_per_day"] == pytest.approx(1000) and like["flag"] is None
    json.dumps(d.as_dict())  # run.json-ready


def test_drift_without_history_and_on_small_volumes() -> None:
    cur = profile(1, {("like", "US"): 10})
    assert input_drift(cur, []).ok
    assert input_drift(
        cur, [profile(1, {("like", "US"): 30})], min_events=100
    ).ok  # too small to judge
    with pytest.raises(SchemaError, match="input_profile.counts"):
        input_drift({"days": 1, "counts": [{"action": 1}]}, [])
    with pytest.raises(InputError, match="run folder /no/such does not exist"):
        input_drift("/no/such", [])


def test_profile_of_events_and_run_folders(loop) -> None:
    ev = pl.read_parquet(loop.root / "data" / "0" / "events.parquet")
    p = input_profile(ev)
    assert p["events"] == ev.height and p["days"] > 1
    # a run folder without input_profile in run.json is profiled from its events again
    d = input_drift(loop.run_dirs[-1], loop.run_dirs[:-1])
    assert d.previous == len(loop.run_dirs) - 1
    assert {"like", "order"} <= set(d.rows["action"].drop_nulls())
    assert not any(a.startswith("new action") for a in d.alerts)


def test_misses_stages(loop) -> None:
    run = load_run(loop.run_dirs[-1])
    pol = load_policy(loop.policy)
    truth = loop.truths[-1].select("entity_type", "entity_id").unique()
    labels = truth.with_columns(pl.lit("confirmed").alias("label"))
    rep = explain_misses(run, labels, policy=pol)
    m = rep.misses
    assert rep.in_events and rep.confirmed == truth.height
    assert (
        m.height
        == truth.join(
            run.queue.select("entity_type", "entity_id"),
            on=["entity_type", "entity_id"],
            how="anti",
        ).height
    )
    stages = set(m["stage"])
    assert "over capacity" in stages  # the small team's queues are full
    over = m.filter(pl.col("stage") == "over capacity").row(0, named=True)
    assert over["blocking"].startswith("queue ") and "capacity" in over["detail"]
    below = m.filter(pl.col("stage") == "below threshold")
    if below.height:
        r = below.row(0, named=True)
        assert r["gap"] > 0 and r["blocking"].startswith("rule ")
    scored = m.filter(pl.col("stage") != "not scored")
    assert scored["closest"].null_count() == 0  # the detector behind the strongest reason
    # an entity nobody scored, labelled by someone else
    ghost = pl.DataFrame({"entity_type": ["buyer"], "entity_id": ["ghost"], "label": ["confirmed"]})
    assert explain_misses(run, ghost, policy=pol).misses.height == 0  # not in the run's events


@pytest.mark.slow
def test_relaxing_finds_the_setting_that_stopped_a_miss(tmp_path) -> None:
    from ringlens.config import Config
    from ringlens.pipeline import run as run_pipeline
    from ringlens.synth import SynthConfig, generate, write_synth

    data = generate(SynthConfig(n_events=20_000, rings_per_pattern=1, seed=11))
    write_synth(data, tmp_path / "data")
    # a team that asks for 12 accounts before lockstep counts misses the small rings
    cfg = Config.from_mapping(
        {"viz": {"enabled": False}, "detect": {"lockstep_min_actors": 40, "shared_min_group": 40}}
    )
    run_pipeline(tmp_path / "data", out_dir=tmp_path / "run", config=cfg)
    rec = load_run(tmp_path / "run")
    labels = (
        data.truth.select("entity_type", "entity_id")
        .unique()
        .with_columns(pl.lit("confirmed").alias("label"))
    )
    rep = explain_misses(rec, labels, relax=True)
    found = rep.misses.filter(pl.col("relaxed").is_not_null())
    assert found.height > 0
    assert (
        found["relaxed"]
        .str.contains(
            "detect.lockstep_min_actors = 2 \\(now 40\\)|detect.shared_min_group = 2 \\(now 40\\)"
        )
        .any()
    )


def test_misses_read_the_runs_input_with_its_input_settings(tmp_path) -> None:
    # a run over a ';' export whose types come from input.defaults: explaining its misses
    # (and relaxing settings, which scores the events again) reads the events as the run did
    from ringlens.config import Config
    from ringlens.pipeline import run as run_pipeline
    from ringlens.synth import SynthConfig, generate

    data = generate(SynthConfig(n_events=20_000, rings_per_pattern=1, seed=11))
    buyers = data.events.filter(pl.col("actor_type") == "buyer")
    src = tmp_path / "events.csv"
    buyers.drop("actor_type").write_csv(src, separator=";")
    cfg = Config.from_mapping(
        {
            "viz": {"enabled": False},
            "detect": {"lockstep_min_actors": 40, "shared_min_group": 40},
            "input": {"separator": ";", "defaults": {"actor_type": "buyer"}},
        }
    )
    run_pipeline(src, out_dir=tmp_path / "run", config=cfg)
    rec = load_run(tmp_path / "run")
    truth = data.truth.filter(pl.col("entity_type") == "buyer")
    labels = (
        truth.select("entity_type", "entity_id").unique().with_columns(label=pl.lit("confirmed"))
    )
    rep = explain_misses(rec, labels, relax=True)
    assert rep.in_events  # the labels were matched against the run's events
    assert rep.misses.height > 0
    assert rep.misses.filter(pl.col("relaxed").is_not_null()).height > 0
