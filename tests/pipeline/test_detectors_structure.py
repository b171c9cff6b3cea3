"""The run's ring-structure detector: brokers and cores over the targets rings' detectors named."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from ringlens.config import Config
from ringlens.graph import build_graph
from ringlens.pipeline.detectors.structure import RingStructureDetector
from ringlens.pipeline.registry import DetectInput, Found

T = datetime(2026, 6, 1, tzinfo=UTC)


def _detect(named: dict[str, list[str]] | None) -> Found:
    """Ring A (a0..a4 on p1..p4) and ring B (b0..b3 on q1..q3); a4 also bought q1, the
    one product B's ``targets`` list and its detectors may not have named (``named``:
    each ring's named targets, or None to give the detector only the rings frame)."""
    rows = [(f"a{i}", p) for i in range(5) for p in ("p1", "p2", "p3", "p4")]
    rows += [(f"b{i}", q) for i in range(4) for q in ("q1", "q2", "q3")]
    rows += [("a4", "q1")]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id"], orient="row").with_columns(
        actor_type=pl.lit("user"),
        target_type=pl.lit("product"),
        action=pl.lit("review"),
        ts=pl.lit(T),
    )
    membership = pl.DataFrame(
        {
            "key": [f"user:a{i}" for i in range(5)] + [f"user:b{i}" for i in range(4)],
            "ring_id": ["A"] * 5 + ["B"] * 4,
        }
    )
    listed = {"A": ["p1", "p2", "p3", "p4"], "B": ["q1", "q2", "q3"]}
    rings = pl.DataFrame(
        {
            "ring_id": ["A", "B"],
            "targets": [[f"product:{p}" for p in listed[r]] for r in ("A", "B")],
        }
    )
    ring_targets = (
        None
        if named is None
        else pl.DataFrame(
            [(r, f"product:{p}") for r, ps in named.items() for p in ps],
            schema=["ring_id", "key"],
            orient="row",
        )
    )
    inp = DetectInput(
        graph=build_graph(ev),
        config=Config(),
        membership=membership,
        rings=rings,
        ring_targets=ring_targets,
    )
    return RingStructureDetector().detect(inp)


def test_a_target_added_beyond_chance_makes_no_broker() -> None:
    # every listed target named: a4, who bought ring B's q1, links the rings
    named = _detect({"A": ["p1", "p2", "p3", "p4"], "B": ["q1", "q2", "q3"]})
    assert named.signals["key"].to_list() == ["user:a4"]
    assert named.signals["reason"].to_list() == ["ring_broker"]
    # without the named targets the detector follows the rings' listed targets
    assert _detect(None).signals["key"].to_list() == ["user:a4"]
    # q1 only added to B's targets beyond chance: reported, not a bridge between rings
    beyond = _detect({"A": ["p1", "p2", "p3", "p4"], "B": ["q2", "q3"]})
    assert beyond.signals.height == 0
    assert beyond.ring_features is not None
    assert beyond.ring_features.sort("ring_id")["n_brokers"].to_list() == [0, 0]
