"""Lockstep (CopyCatch-style) groups."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from ringlens.detect import LOCKSTEP_PRESETS, lockstep
from ringlens.exceptions import ConfigError, InputError
from ringlens.graph import build_graph
from ringlens.synth import SynthConfig, generate

T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)


def frame(rows: list[tuple[str, str, float]], action: str = "order") -> pl.DataFrame:
    """(buyer id, product id, hours after T0) rows."""
    return pl.DataFrame(
        {
            "actor_id": [r[0] for r in rows],
            "actor_type": "buyer",
            "target_id": [r[1] for r in rows],
            "target_type": "product",
            "action": action,
            "ts": [T0 + timedelta(hours=r[2]) for r in rows],
        }
    )


def hand_made() -> pl.DataFrame:
    # ring: 6 buyers hit p1 around day 1 and p2 around day 3, minutes apart
    ring = [(f"r{i}", "p1", 24 + i * 0.1) for i in range(6)] + [
        (f"r{i}", "p2", 72 + i * 0.2) for i in range(6)
    ]
    # honest buyers share the same products, and each other's, at unrelated times
    honest = [(f"h{i}", "p1", 100 + 37 * i) for i in range(6)] + [
        (f"h{i}", "p2", 150 + 41 * i) for i in range(6)
    ]
    # a busy product everyone buys all month long
    busy = [(f"h{i % 6}", "pop", 5.0 * i) for i in range(140)]
    return frame(ring + honest + busy)


def test_hand_made_ring() -> None:
    res = lockstep(build_graph(hand_made()), window=timedelta(hours=2))
    assert res.groups.columns == [
        "group",
        "n_actors",
        "n_targets",
        "n_bursts",
        "first_ts",
        "last_ts",
        "synchrony",
        "density",
    ]
    assert res.to_frame().columns == ["group", "key", "role", "hits"]
    assert res.bursts.columns == ["group", "key", "start", "end", "n_actors"]
    assert len(res) == 1
    assert res.actors(0) == [f"buyer:r{i}" for i in range(6)]
    assert res.targets(0) == ["product:p1", "product:p2"]
    row = res.groups.row(0, named=True)
    assert (row["n_actors"], row["n_targets"], row["n_bursts"]) == (6, 2, 2)
    assert row["first_ts"] == T0 + timedelta(hours=24)
    assert row["last_ts"] == T0 + timedelta(hours=73)
    assert row["synchrony"] == 1.0 and row["density"] == 1.0
    assert res.to_frame().filter(pl.col("role") == "actor")["hits"].to_list() == [2] * 6


def test_no_group_when_window_too_short_or_ring_too_small() -> None:
    g = build_graph(hand_made())
    assert len(lockstep(g, window=timedelta(minutes=5))) == 0  # ring members are 6-12 min apart
    assert len(lockstep(g, window=timedelta(hours=2), min_actors=7)) == 0
    assert len(lockstep(g, window=timedelta(hours=2), min_targets=3)) == 0
    empty = lockstep(g, actions=["review"])
    assert len(empty) == 0 and empty.groups.schema["synchrony"] == pl.Float64


def test_row_order_does_not_matter() -> None:
    ev = hand_made()
    a = lockstep(build_graph(ev), window=timedelta(hours=2))
    b = lockstep(
        build_graph(ev.sample(fraction=1.0, shuffle=True, seed=9)), window=timedelta(hours=2)
    )
    assert a.groups.equals(b.groups) and a.members.equals(b.members) and a.bursts.equals(b.bursts)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"window": timedelta(0)}, "window"),
        ({"window": 3}, "window"),
        ({"min_actors": 1}, "min_actors"),
        ({"min_targets": 0}, "min_targets"),
        ({"min_bursts": 0}, "min_bursts"),
        ({"min_burst_actors": 1}, "min_burst_actors"),
        ({"min_lift": -1}, "min_lift"),
        ({"alpha": 0}, "alpha"),
        ({"max_target_degree": -1}, "max_target_degree"),
        ({"actions": [1]}, "actions"),
    ],
)
def test_bad_params(kwargs, word) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=word):
        lockstep(build_graph(hand_made()), **kwargs)


def test_needs_event_graph() -> None:
    with pytest.raises(InputError, match="EventGraph"):
        lockstep(build_graph(hand_made()).project())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def synth():
    data = generate(SynthConfig(n_events=50_000, rings_per_pattern=2, seed=3))
    truth = data.truth.with_columns(key=pl.concat_str("entity_type", pl.lit(":"), "entity_id"))
    return data, truth, build_graph(data.events)


def recall_and_organic(
    res, truth: pl.DataFrame, pattern: str, actor_type: str
) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    actors = res.to_frame().filter(pl.col("role") == "actor")
    ring = truth.filter((pl.col("pattern") == pattern) & (pl.col("entity_type") == actor_type))
    found = ring.join(actors, on="key", how="semi").height
    organic = actors.join(truth, on="key", how="anti").height
    return found / ring.height, organic


@pytest.mark.parametrize(
    ("pattern", "actor_type", "min_recall", "max_organic"),
    [
        ("brushing", "buyer", 0.75, 2),
        ("affiliate_fraud", "buyer", 0.8, 2),
        ("mutual_boost", "creator", 0.9, 1),
    ],
)
def test_synthetic_rings(synth, pattern, actor_type, min_recall, max_organic) -> None:  # type: ignore[no-untyped-def]
    _, truth, g = synth
    res = lockstep(g, **LOCKSTEP_PRESETS[pattern])
    recall, organic = recall_and_organic(res, truth, pattern, actor_type)
    assert recall >= min_recall, (pattern, recall)
    assert organic <= max_organic, (pattern, organic)
    # every group is one ring (no group mixes two planted rings)
    labelled = res.to_frame().join(truth.select("key", "ring_id"), on="key")
    assert labelled.group_by("group").agg(pl.col("ring_id").n_unique().alias("n"))["n"].max() == 1


def test_synthetic_copycatch_defaults(synth) -> None:  # type: ignore[no-untyped-def]
    # plain CopyCatch (each member on two targets in lockstep): fewer members, still no organic account
    _, truth, g = synth
    res = lockstep(g, actions=["order"], target_types=["product"])
    recall, organic = recall_and_organic(res, truth, "brushing", "buyer")
    assert recall >= 0.4 and organic == 0
    assert res.groups["synchrony"].min() > 0.5


def test_organic_copurchases_are_not_groups(synth) -> None:  # type: ignore[no-untyped-def]
    # the organic background alone (every event of a ring member removed): niche buyers
    # sharing popular products at random times form no lockstep group
    data, truth, _ = synth
    ev = data.events.with_columns(key=pl.concat_str("actor_type", pl.lit(":"), "actor_id"))
    g = build_graph(ev.join(truth.select("key"), on="key", how="anti").drop("key"))
    for preset in ("brushing", "affiliate_fraud"):
        assert len(lockstep(g, **LOCKSTEP_PRESETS[preset])) == 0
    assert len(lockstep(g, actions=["order"], target_types=["product"])) == 0
