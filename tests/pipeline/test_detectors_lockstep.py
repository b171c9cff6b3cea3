"""The run's lockstep detector over the role groups of a vocabulary-free run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from ringlens.config import Config
from ringlens.graph import build_graph
from ringlens.pipeline.coverage import family_roles
from ringlens.pipeline.detectors.lockstep import Lockstep
from ringlens.pipeline.registry import DetectInput
from ringlens.pipeline.vocabulary import Vocabulary, graph_roles

T = datetime(2026, 6, 1, tzinfo=UTC)


def _two_rings() -> pl.DataFrame:
    """Two actions no vocabulary names: six accounts ``zap`` two items together on two
    days, six others ``zip`` two other items together on two other days; a busy crowd
    zaps and zips popular items all month."""
    rows = []
    for action, ring, items, days in (
        ("zap", "a", ("p1", "p2"), (3, 17)),
        ("zip", "b", ("q1", "q2"), (5, 21)),
    ):
        for i in range(6):
            for item in items:
                for d in days:
                    rows.append((f"{ring}{i}", action, item, T + timedelta(days=d, minutes=3 * i)))
        rows += [
            (f"h{k % 40}", action, f"pop{k % 5}", T + timedelta(minutes=37 * k))
            for k in range(1100)
        ]
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_id", "ts"], orient="row")
    return ev.with_columns(actor_type=pl.lit("user"), target_type=pl.lit("thing"))


def test_unmapped_actions_keep_their_groups_apart() -> None:
    graph = build_graph(_two_rings())
    fam = family_roles(graph.families(), Vocabulary.from_tables({}, {}))
    inp = DetectInput(graph=graph, config=Config(), families=fam, roles=graph_roles(fam))
    found = Lockstep().detect(inp)
    groups = found.candidates.group_by("candidate").agg(pl.col("key").sort()).sort("candidate")
    # group 0 of each action: one candidate per ring, not one candidate for both
    assert groups["key"].to_list() == [
        [f"user:a{i}" for i in range(6)],
        [f"user:b{i}" for i in range(6)],
    ]
    assert groups["candidate"].to_list() == ["lockstep_unmapped:zap/0", "lockstep_unmapped:zip/0"]
    assert found.counts["lockstep_unmapped"] == 2
