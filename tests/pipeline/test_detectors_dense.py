"""The run's dense-block detector: which peeled blocks become candidates."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from ringlens.config import Config, load_config
from ringlens.exceptions import ConfigError
from ringlens.graph import build_graph
from ringlens.pipeline.coverage import family_roles
from ringlens.pipeline.detectors.dense_blocks import (
    CLOSED,
    MIN_DENSITY,
    _peeled,
    column_weighting,
)
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


def _reviews(seed: int) -> pl.DataFrame:
    """Six thousand users review one to five of four hundred products (popularity by a
    power law); eight hundred heavy users review about one in seven of the sixty most
    popular; a hundred accounts review three in ten of twenty-five mid-popularity
    products. Times are spread over six months at random: nothing is in step."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, 401)
    pop /= pop.sum()
    rows = {(f"u{u}", f"p{i}") for u in range(6000) for i in rng.choice(400, 1 + u % 5, p=pop)}
    rows |= {(f"u{h}", f"p{i}") for h in range(800) for i in np.flatnonzero(rng.random(60) < 0.15)}
    picked = rng.choice(np.arange(100, 400), 25, replace=False)
    rows |= {(f"r{r}", f"p{i}") for r in range(100) for i in picked[rng.random(25) < 0.3]}
    ev = pl.DataFrame(sorted(rows), schema=["actor_id", "target_id"], orient="row")
    hours = pl.Series(rng.integers(0, 24 * 180, ev.height)).cast(pl.Int64)
    return ev.with_columns(
        actor_type=pl.lit("user"),
        target_type=pl.lit("product"),
        action=pl.lit("review"),
        ts=pl.lit(datetime(2026, 1, 1, tzinfo=UTC)) + pl.duration(hours=hours),
    )


def test_sqrt_column_weights_find_a_slow_ring_behind_heavy_users_of_popular_products() -> None:
    # with FRAUDAR's log weights the first peel is the heavy users' core, which fails its
    # test, and the search stops; weighing popular products down harder
    # (detect.dense_column_weighting = "sqrt") makes the ring the first peel
    fam = Family(actions=("review",), actor_types=("user",), target_types=("product",))
    for seed in (0, 1):
        graph = build_graph(_reviews(seed))
        roles = family_roles(graph.families(), Vocabulary.from_tables({}, {}))
        found = {}
        for weighting in ("log", "sqrt"):
            cfg = load_config(cwd=False, overrides={"detect.dense_column_weighting": weighting})
            inp = DetectInput(graph=graph, config=cfg, families=roles, roles=graph_roles(roles))
            res = _peeled(inp, fam)
            found[weighting] = [set(res.actors(g)) for g in res.groups["group"].to_list()]
        assert found["log"] == []
        [block] = found["sqrt"]
        ring = {f"user:r{r}" for r in range(100)}
        assert len(block & ring) >= 90 and len(block - ring) <= 5


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


def test_auto_weighs_named_items_by_sqrt_and_unnamed_targets_by_log() -> None:
    # the default: a family on products (the built-in vocabulary's items) is peeled with
    # 1 / sqrt; one on a type no vocabulary names (it may be an attribute the shape test
    # missed, like a carrier's address blocks) keeps FRAUDAR's 1 / log; a setting wins
    some = _reviews(0).head(2000)
    ev = pl.concat([some, some.with_columns(target_type=pl.lit("netaddr"))])
    graph = build_graph(ev)
    roles = family_roles(graph.families(), Vocabulary.from_settings(Config().vocabulary))
    products = Family(actions=("review",), actor_types=("user",), target_types=("product",))
    addresses = Family(actions=("review",), actor_types=("user",), target_types=("netaddr",))
    for setting, expected in (("auto", ("sqrt", "log")), ("log", ("log", "log"))):
        cfg = load_config(cwd=False, overrides={"detect.dense_column_weighting": setting})
        inp = DetectInput(graph=graph, config=cfg, families=roles, roles=graph_roles(roles))
        assert (column_weighting(inp, products), column_weighting(inp, addresses)) == expected
    assert Config().detect.dense_column_weighting == "auto"


def test_an_unknown_column_weighting_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match=r"detect\.dense_column_weighting: expected one of"):
        load_config(cwd=False, overrides={"detect.dense_column_weighting": "cube"})
