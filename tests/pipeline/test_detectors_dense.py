"""The run's dense-block detector: which peeled blocks become candidates."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from ringlens.config import Config
from ringlens.graph import build_graph
from ringlens.pipeline.coverage import family_roles
from ringlens.pipeline.detectors.dense_blocks import CLOSED, MIN_DENSITY, _peeled
from ringlens.pipeline.registry import DetectInput, Family
from ringlens.pipeline.vocabulary import Vocabulary, graph_roles


def _endorsements(closed: bool) -> pl.DataFrame:
    """Three thousand freelancers endorse one or two others each; sixty endorse eight of
    sixty others apiece: each other (``closed``), or sixty accounts outside the group."""
    rng = np.random.default_rng(5)
    rows = [(f"u{i}", f"u{j}") for i in range(3000) for j in rng.choice(3000, 1 + i % 2)]
    ring = [f"r{i}" for i in range(60)]
    others = ring if closed else [f"x{i}" for i in range(60)]
    for a in ring:
        picks = [k for k in rng.permutation(60) if others[k] != a][:8]
        rows += [(a, others[k]) for k in picks]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id"], orient="row")
    return ev.with_columns(
        actor_type=pl.lit("freelancer"),
        target_type=pl.lit("freelancer"),
        action=pl.lit("endorse"),
        ts=pl.lit(datetime(2026, 6, 1, tzinfo=UTC)),
    )


def _blocks(closed: bool) -> pl.DataFrame:
    graph = build_graph(_endorsements(closed))
    fam = family_roles(graph.families(), Vocabulary.from_tables({}, {}))
    inp = DetectInput(graph=graph, config=Config(), families=fam, roles=graph_roles(fam))
    fam_ = Family(actions=("endorse",), actor_types=("freelancer",), target_types=("freelancer",))
    res = _peeled(inp, fam_)
    return res.groups.join(res.members, on="group")


def test_a_closed_group_endorsing_itself_is_a_block_however_thin() -> None:
    # sixty accounts endorsing eight of each other fill 8 / 60 of their block, below the
    # fill a slice of a market needs; they are their own targets, so it is a candidate.
    # The same thin block onto sixty other accounts stays below the line
    assert 8 / 60 < MIN_DENSITY and CLOSED <= 1.0
    closed = _blocks(closed=True)
    assert closed["group"].n_unique() == 1
    actors = set(closed.filter(pl.col("role") == "actor")["key"].to_list())
    assert actors == {f"freelancer:r{i}" for i in range(60)}
    assert closed["density"].max() < MIN_DENSITY
    assert _blocks(closed=False).height == 0
