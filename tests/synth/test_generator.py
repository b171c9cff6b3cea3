"""The synthetic generator: deterministic, realistic, with the four planted patterns."""

from __future__ import annotations

import json

import polars as pl
import pytest

from ringlens.exceptions import ConfigError
from ringlens.io import load_entities, load_events
from ringlens.synth import PATTERNS, SynthConfig, generate, write_synth


def test_deterministic_files(tmp_path) -> None:
    cfg = SynthConfig(n_events=10_000, rings_per_pattern=1, seed=5)
    write_synth(generate(cfg), tmp_path / "a")
    write_synth(generate(cfg), tmp_path / "b")
    for name in ("events.parquet", "entities.parquet", "truth.parquet", "labels.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not generate(SynthConfig(n_events=10_000, seed=6)).events.equals(generate(cfg).events)


def test_demo_is_regenerated_row_for_row(tmp_path, demo_dir) -> None:
    """graphs/demo was made with `ringlens synth graphs/demo --events 200000
    --rings-per-pattern 3 --camouflage 0.5 --camouflage-kind biased --seed 7`."""
    cfg = SynthConfig(
        n_events=200_000, rings_per_pattern=3, camouflage=0.5, camouflage_kind="biased", seed=7
    )
    write_synth(generate(cfg), tmp_path)
    for name in ("events", "entities", "truth", "labels"):
        # the same rows, columns and types; not the same bytes: Parquet's bytes depend on
        # the writer's version (its name is in the file), and two writes of one version
        # are compared byte for byte above
        committed = pl.read_parquet(demo_dir / f"{name}.parquet")
        again = pl.read_parquet(tmp_path / f"{name}.parquet")
        assert again.schema == committed.schema, name
        assert again.equals(committed), name
    old, new = (json.loads((d / "synth.json").read_text()) for d in (demo_dir, tmp_path))
    assert new["events"] == old["events"]
    assert {k: new["config"][k] for k in old["config"]} == old["config"]


def test_output_follows_the_contract(tmp_path, small_synth) -> None:
    write_synth(small_synth, tmp_path, fmt="csv")
    ev = load_events(tmp_path / "events.csv")
    assert ev.height == small_synth.events.height
    ent = load_entities(tmp_path / "entities.parquet")
    assert set(ent["entity_type"].unique()) == {"creator", "buyer", "seller"}


def test_truth_has_every_pattern_and_members_exist(small_synth) -> None:
    truth = small_synth.truth
    assert set(truth["pattern"].unique()) == set(PATTERNS)
    actors = small_synth.events.select(
        pl.col("actor_type").alias("entity_type"), pl.col("actor_id").alias("entity_id")
    ).unique()
    missing = truth.join(actors, on=["entity_type", "entity_id"], how="anti")
    assert missing.height == 0


def test_power_law_popularity_and_households(small_synth) -> None:
    ev = small_synth.events
    likes = ev.filter(pl.col("action") == "like").group_by("target_id").len()["len"]
    assert likes.max() > 10 * likes.median()  # heavy tail
    dev = ev.filter(pl.col("action") == "login", pl.col("actor_type") == "buyer")
    per_device = dev.group_by("target_id").agg(pl.col("actor_id").n_unique().alias("n"))["n"]
    assert (per_device.is_between(2, 4)).sum() > 0  # organic households share devices


def test_camouflage_adds_member_activity_outside_the_ring() -> None:
    plain = generate(SynthConfig(n_events=10_000, rings_per_pattern=1, camouflage=0.0, seed=2))
    camo = generate(SynthConfig(n_events=10_000, rings_per_pattern=1, camouflage=1.0, seed=2))
    assert camo.events.height > plain.events.height


def test_no_id_reveals_a_ring(small_synth) -> None:
    ids = small_synth.truth["entity_id"]
    assert not ids.str.contains("(?i)ring|fake|fraud").any()


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"n_events": 10}, "n_events must be >= 1000"),
        ({"camouflage_kind": "smart"}, "camouflage_kind must be 'random' or 'biased'"),
        ({"start": "tomorrow"}, "start must be an ISO date"),
    ],
)
def test_bad_config(kw, msg) -> None:
    with pytest.raises(ConfigError, match=msg):
        SynthConfig(**kw)
