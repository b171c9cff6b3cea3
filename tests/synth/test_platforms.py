"""Every synthetic platform: its vocabulary, truth, ring targets, organic negatives, slow
rings and realism of the organic background."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

from ringlens.config import load_config
from ringlens.exceptions import ConfigError
from ringlens.io import load_entities, load_events, load_labels
from ringlens.pipeline.vocabulary import DEFAULT_VOCABULARY, Vocabulary
from ringlens.synth import PLATFORMS, SynthConfig, generate, platform, write_synth
from ringlens.synth.creator import PLATFORM as CREATOR

NEW = ("live", "marketplace")
# ringlens' own words: the new platforms must use none of them
DEFAULT_WORDS = {n for ns in CREATOR.vocabulary["actions"].values() for n in ns}
DEFAULT_WORDS |= {n for ns in CREATOR.vocabulary["entities"].values() for n in ns}
ACCOUNT_KEY = ["entity_type", "entity_id"]
EXPECTED_NEGATIVES = {
    "creator": set(),  # planted ones are opt-in there
    "live": {"live_audience", "fandom", "viral_burst", "coupon_campaign"},
    "marketplace": {"flash_sale", "fandom", "viral_burst", "coupon_campaign", "common_device"},
}


@pytest.fixture(scope="module", params=PLATFORMS)
def data(request):
    return generate(
        SynthConfig(n_events=30_000, rings_per_pattern=2, platform=request.param, seed=4)
    )


def _actors(ev: pl.DataFrame) -> pl.DataFrame:
    return ev.select(
        pl.col("actor_type").alias("entity_type"), pl.col("actor_id").alias("entity_id")
    ).unique()


def _targets(ev: pl.DataFrame) -> pl.DataFrame:
    return ev.select(
        pl.col("target_type").alias("entity_type"), pl.col("target_id").alias("entity_id")
    ).unique()


def test_truth_uses_the_platform_patterns_and_members_act(data) -> None:
    spec = platform(data.config.platform)
    assert set(data.truth["pattern"].unique()) == set(spec.patterns)
    assert data.truth["ring_id"].n_unique() == 2 * len(spec.patterns)
    assert data.truth.join(_actors(data.events), on=ACCOUNT_KEY, how="anti").height == 0
    # every ring worked on targets that exist in the events
    assert data.ring_targets["ring_id"].n_unique() == data.truth["ring_id"].n_unique()
    assert data.ring_targets.join(_targets(data.events), on=ACCOUNT_KEY, how="anti").height == 0
    assert data.rings["ring_id"].to_list() == sorted(data.truth["ring_id"].unique().to_list())


def test_rings_vary_in_size_and_include_hijacked_accounts(data) -> None:
    sizes = data.truth.group_by("ring_id").len()["len"]
    assert sizes.min() >= 6 and sizes.n_unique() >= 3
    assert data.truth["hijacked"].sum() > 0
    if data.config.platform in NEW:  # taken-over accounts are old, with a history
        hijacked = data.truth.filter("hijacked").select(ACCOUNT_KEY)
        created = data.entities.join(hijacked, on=ACCOUNT_KEY)["created_at"]
        start = datetime.fromisoformat(data.config.start).replace(tzinfo=timezone.utc)
        assert (created < start - timedelta(days=90)).all()
        assert (
            data.events.join(
                hijacked.rename({"entity_type": "actor_type", "entity_id": "actor_id"}),
                on=["actor_type", "actor_id"],
            ).height
            > 5 * hijacked.height
        )


def test_vocabulary_covers_every_name_once(data) -> None:
    ev, vocab = data.events, data.vocabulary
    actions = [n for ns in vocab["actions"].values() for n in ns]
    types = [n for ns in vocab["entities"].values() for n in ns]
    assert len(actions) == len(set(actions)) and len(types) == len(set(types))
    assert set(ev["action"].unique()) <= set(actions)
    used = set(ev["actor_type"].unique()) | set(ev["target_type"].unique())
    assert used <= set(types)
    assert set(data.entities["entity_type"].unique()) == set(vocab["entities"]["account"])


@pytest.mark.parametrize("name", NEW)
def test_new_platforms_share_no_name_with_ringlens_words(name) -> None:
    vocab = platform(name).vocabulary_dict()
    names = {n for sec in vocab.values() for ns in sec.values() for n in ns}
    assert names and not names & DEFAULT_WORDS


def test_negatives_are_organic_and_disjoint_from_rings(data) -> None:
    neg = data.negatives
    assert neg.height > 0
    planted = pl.concat([data.truth.select(ACCOUNT_KEY), data.ring_targets.select(ACCOUNT_KEY)])
    assert neg.join(planted, on=ACCOUNT_KEY).height == 0
    seen = pl.concat([_actors(data.events), _targets(data.events)]).unique()
    assert neg.join(seen, on=ACCOUNT_KEY, how="anti").height == 0
    assert neg.group_by("group_id").agg(pl.col("kind").n_unique())["kind"].max() == 1
    kinds = set(neg["kind"].unique())
    assert {"household", "agency", "power_user", "popular_target"} <= kinds
    assert EXPECTED_NEGATIVES[data.config.platform] <= kinds


def test_no_event_outside_the_period_or_before_its_account(data) -> None:
    ev = data.events
    start = datetime.fromisoformat(data.config.start).replace(tzinfo=timezone.utc)
    end = start + timedelta(days=data.config.days)
    assert ev["ts"].max() < end and ev["ts"].null_count() == 0
    if data.config.platform == "creator":
        return  # sellers list products bought in before they joined (kept as it was)
    created = data.entities.select(
        pl.col("entity_type").alias("actor_type"),
        pl.col("entity_id").alias("actor_id"),
        "created_at",
    )
    joined = ev.join(created, on=["actor_type", "actor_id"])
    assert joined.height == ev.height
    assert joined.filter(pl.col("ts") < pl.col("created_at")).height == 0


def test_heavy_tails_and_daily_rhythm(data) -> None:
    ev = data.events
    accounts = set(data.vocabulary["entities"]["account"])
    targets = ev.filter(~pl.col("target_type").is_in(list(accounts)))
    degree = targets.group_by("target_type", "target_id").len()["len"]
    assert degree.max() > 20 * degree.median()
    activity = ev.group_by("actor_type", "actor_id").len()["len"]
    assert activity.max() > 20 * activity.median()
    # one market's activity by hour: quiet nights, busy evenings (markets are time zones)
    market = ev["market"].mode()[0]
    hours = ev.filter(pl.col("market") == market).group_by(pl.col("ts").dt.hour()).len()
    assert hours["len"].max() > 3 * hours["len"].min()


def test_live_audiences_are_synchronous() -> None:
    d = generate(SynthConfig(n_events=100_000, rings_per_pattern=1, platform="live", seed=2))
    aud = d.negatives.filter(pl.col("kind") == "live_audience")
    streams = aud.filter(pl.col("entity_type") == "stream").select("group_id", "entity_id")
    viewers = aud.filter(pl.col("entity_type") == "viewer").select("group_id", "entity_id")
    pairs = viewers.join(streams, on="group_id", suffix="_stream")
    gifts = d.events.filter(pl.col("action") == "send_gift").join(
        pairs,
        left_on=["actor_id", "target_id"],
        right_on=["entity_id", "entity_id_stream"],
        how="inner",
    )
    # the biggest audience: dozens to hundreds gift in one live within the same minutes
    biggest = pairs.group_by("group_id").len().sort("len", descending=True).row(0)
    g = gifts.filter(pl.col("group_id") == biggest[0])
    ts = np.sort(g["ts"].dt.epoch("ms").to_numpy())
    in_a_minute = np.searchsorted(ts, ts + 61_000) - np.arange(len(ts))
    assert biggest[1] >= 50 and in_a_minute.max() >= 0.6 * biggest[1]


def _burst_share(d) -> pl.DataFrame:
    """Per ring: span of its events on its targets and the largest share in one hour."""
    mem = d.truth.select(
        "ring_id", pl.col("entity_type").alias("actor_type"), pl.col("entity_id").alias("actor_id")
    )
    tg = d.ring_targets.select(
        "ring_id",
        pl.col("entity_type").alias("target_type"),
        pl.col("entity_id").alias("target_id"),
    )
    ev = d.events.join(mem, on=["actor_type", "actor_id"]).join(
        tg, on=["ring_id", "target_type", "target_id"]
    )
    per_hour = ev.group_by("ring_id", pl.col("ts").dt.truncate("1h")).len()
    return (
        per_hour.group_by("ring_id")
        .agg((pl.col("len").max() / pl.col("len").sum()).alias("share"))
        .join(d.rings, on="ring_id")
        .join(
            ev.group_by("ring_id").agg((pl.col("ts").max() - pl.col("ts").min()).alias("span")),
            on="ring_id",
        )
    )


@pytest.mark.parametrize("name", PLATFORMS)
def test_slow_rings_never_burst(name) -> None:
    cfg = {"n_events": 30_000, "rings_per_pattern": 2, "platform": name, "seed": 3}
    slow = _burst_share(generate(SynthConfig(slow_share=1.0, **cfg)))
    fast = _burst_share(generate(SynthConfig(slow_share=0.0, **cfg)))
    assert slow["slow"].all() and not fast["slow"].any()
    assert (slow["span"] > timedelta(days=7)).all()
    assert slow["share"].mean() < 0.5 * fast["share"].mean()
    assert slow.filter(pl.col("pattern") != "gift_ring")["share"].max() < 0.08


def test_slow_share_is_a_share_of_rings() -> None:
    d = generate(SynthConfig(n_events=20_000, rings_per_pattern=5, platform="live", seed=1))
    per_pattern = d.rings.group_by("pattern").agg(pl.col("slow").sum())["slow"]
    assert per_pattern.is_in([1, 2]).all()  # default 0.3 of 5 rings on the new platforms
    assert not generate(SynthConfig(n_events=20_000, seed=1)).rings["slow"].any()


def test_creator_negatives_knob_plants_organic_structure_and_keeps_the_rings() -> None:
    off = generate(SynthConfig(n_events=30_000, rings_per_pattern=1, seed=5))
    on = generate(SynthConfig(n_events=30_000, rings_per_pattern=1, seed=5, negatives=True))
    assert on.truth.equals(off.truth) and on.ring_targets.equals(off.ring_targets)
    assert on.events.height > off.events.height
    extra = set(on.negatives["kind"].unique()) - set(off.negatives["kind"].unique())
    assert extra == {"live_audience", "fandom", "viral_burst", "flash_sale"}


@pytest.mark.parametrize("kind", ["random", "biased"])
def test_camouflage_kind_chooses_targets_by_popularity_or_not(kind) -> None:
    cfg = {"n_events": 30_000, "rings_per_pattern": 2, "platform": "marketplace", "seed": 6}
    d = generate(SynthConfig(camouflage=2.0, camouflage_kind=kind, **cfg))
    plain = generate(SynthConfig(camouflage=0.0, **cfg))
    assert d.events.height > plain.events.height
    members = d.truth.filter(~pl.col("hijacked")).select(
        pl.col("entity_type").alias("actor_type"), pl.col("entity_id").alias("actor_id")
    )
    browse = d.events.filter(pl.col("action") == "browse")
    popularity = browse.group_by("target_id").len()
    mine = browse.join(members, on=["actor_type", "actor_id"]).join(popularity, on="target_id")
    median = popularity["len"].median()
    if kind == "biased":
        assert mine["len"].median() > 3 * median
    else:
        assert mine["len"].median() < 3 * median


@pytest.mark.parametrize("name", NEW)
def test_files_are_deterministic_and_readable(name, tmp_path) -> None:
    cfg = SynthConfig(n_events=10_000, rings_per_pattern=1, platform=name, seed=8)
    a = write_synth(generate(cfg), tmp_path / "a")
    write_synth(generate(cfg), tmp_path / "b")
    assert set(a) == {
        "events",
        "entities",
        "truth",
        "labels",
        "ring_targets",
        "negatives",
        "vocabulary",
        "synth",
    }
    for path in a.values():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    load_events(tmp_path / "a" / "events.parquet")
    load_entities(tmp_path / "a" / "entities.parquet")
    labels = load_labels(tmp_path / "a" / "labels.parquet")
    assert set(labels["label"].unique()) == {"confirmed", "cleared"}
    vocab = tomllib.loads((tmp_path / "a" / "vocabulary.toml").read_text())["vocabulary"]
    assert vocab == platform(name).vocabulary_dict()
    info = json.loads((tmp_path / "a" / "synth.json").read_text())
    assert info["platform"] == name and len(info["rings"]) == 4
    other = generate(SynthConfig(n_events=10_000, rings_per_pattern=1, platform=name, seed=9))
    assert not other.events.equals(generate(cfg).events)


def test_creator_vocabulary_is_the_default_one() -> None:
    default = {sec: {r: list(ns) for r, ns in t.items()} for sec, t in DEFAULT_VOCABULARY.items()}
    mine = platform("creator").vocabulary_dict()
    assert {sec: {r: ns for r, ns in t.items() if ns} for sec, t in mine.items()} == default


@pytest.mark.parametrize("name", PLATFORMS)
def test_vocabulary_file_loads_as_run_settings(name, tmp_path) -> None:
    d = generate(SynthConfig(n_events=5_000, rings_per_pattern=1, platform=name, seed=1))
    write_synth(d, tmp_path)
    cfg = load_config(vocabulary=tmp_path / "vocabulary.toml", env={}, cwd=False)
    vocab = Vocabulary.from_settings(cfg.vocabulary)
    assert vocab.action_role(d.vocabulary["actions"]["purchase"][0]) == "purchase"


def test_bad_platform_settings() -> None:
    with pytest.raises(ConfigError, match="platform must be one of creator, live, marketplace"):
        SynthConfig(platform="Live")
    with pytest.raises(ConfigError, match=r"slow_share must be within \[0, 1\]"):
        SynthConfig(slow_share=1.5)


def test_id_draws_do_not_reveal_rings() -> None:
    d = generate(SynthConfig(n_events=20_000, rings_per_pattern=2, platform="live", seed=1))
    viewers = d.entities.filter(pl.col("entity_type") == "viewer").sort("entity_id")
    ring = d.truth.filter(pl.col("entity_type") == "viewer", ~pl.col("hijacked"))
    pos = viewers.with_row_index("i").join(ring, on=ACCOUNT_KEY)["i"].to_numpy()
    # ring accounts are scattered over the id range, not appended at its end
    assert np.median(pos) < 0.8 * viewers.height


def test_every_ring_is_a_dense_block_in_some_family(data) -> None:
    """Found by density: in at least one action, five or more members cover over a third
    of the member × target pairs (targets: the ring's targets and its own members)."""
    key = ["entity_type", "entity_id"]
    members = data.truth.select("ring_id", *key)
    cols = pl.concat([data.ring_targets.select("ring_id", *key), members])
    ev = data.events.join(
        members.rename({"entity_type": "actor_type", "entity_id": "actor_id"}),
        on=["actor_type", "actor_id"],
    ).join(
        cols.rename({"entity_type": "target_type", "entity_id": "target_id"}),
        on=["ring_id", "target_type", "target_id"],
    )
    fill = (
        ev.unique(["ring_id", "action", "actor_id", "target_type", "target_id"])
        .group_by("ring_id", "action")
        .agg(
            pl.len().alias("pairs"),
            pl.col("actor_id").n_unique().alias("rows"),
            pl.struct("target_type", "target_id").n_unique().alias("cols"),
        )
        .filter(pl.col("rows") >= 5)
        .group_by("ring_id")
        .agg((pl.col("pairs") / (pl.col("rows") * pl.col("cols"))).max().alias("fill"))
    )
    assert fill.height == data.truth["ring_id"].n_unique()
    assert fill["fill"].min() >= 0.35  # fills are drawn from 0.4 up
