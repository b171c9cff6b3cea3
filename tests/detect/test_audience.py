"""Audience blocks: a ring that makes up most of its targets' audience is found however
popular it makes them; fans among many casual listeners and organic data are not."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from ringlens.detect import audience_blocks, significant_communities
from ringlens.exceptions import ConfigError
from ringlens.graph import EventGraph, build_graph

from ._fresh import fresh_closed_group


def _world(*, ring: bool = True, casual: int = 0, seed: int = 0) -> EventGraph:
    """5,000 listeners with Pareto activity on 3,000 tracks of Zipf popularity; a ring of 70
    accounts that each play most of 10 tracks and 20 popular ones (camouflage), with 25
    organic plays of the ring's tracks; and an album whose 10 tracks 40 fans play in full
    and ``casual`` other listeners one each."""
    rng = np.random.default_rng(seed)
    n_u, n_t = 5000, 3000
    k = np.minimum(rng.pareto(1.1, n_u) + 3, 400).astype(int)
    users = np.repeat(np.arange(n_u), k)
    pop = 1 / np.arange(1, n_t + 1) ** 0.9
    pop /= pop.sum()
    actors = [f"u{u}" for u in users]
    tracks = [f"t{i}" for i in rng.choice(n_t, users.size, p=pop)]
    if ring:
        for i in range(70):
            for j in range(10):
                if rng.random() < 0.95:
                    actors.append(f"r{i}")
                    tracks.append(f"ring{j}")
            for j in rng.choice(n_t, 20, p=pop):
                actors.append(f"r{i}")
                tracks.append(f"t{j}")
        for i in range(25):
            actors.append(f"u{i}")
            tracks.append(f"ring{i % 10}")
    for i in range(40):
        for j in range(10):
            actors.append(f"u{1000 + i}")
            tracks.append(f"album{j}")
    for i in range(casual):
        actors.append(f"u{2000 + i}")
        tracks.append(f"album{i % 10}")
    ev = pl.DataFrame({"actor_id": actors, "target_id": tracks}).with_columns(
        actor_type=pl.lit("listener"),
        target_type=pl.lit("track"),
        action=pl.lit("play"),
        ts=pl.lit(datetime(2024, 1, 1, tzinfo=UTC)),
    )
    return build_graph(ev)


@pytest.fixture(scope="module")
def world() -> EventGraph:
    return _world(casual=600)


def test_a_ring_that_makes_its_targets_hubs_is_found(world: EventGraph) -> None:
    res = audience_blocks(world)
    assert len(res) == 1
    assert set(res.actors(0)) == {f"listener:r{i}" for i in range(70)}
    assert set(res.targets(0)) == {f"track:ring{j}" for j in range(10)}
    row = res.groups.row(0, named=True)
    assert row["density"] > 0.9 and row["audience_share"] > 0.9 and row["significance"] > 20
    # the communities leave the ring's tracks out as hubs: 70 accounts on each is above
    # the cap their work budget allows
    comm = significant_communities(world)
    assert comm.params["max_target_actors"] < 70
    assert not {k for g in range(len(comm)) for k in comm.actors(g)} & set(res.actors(0))


def test_fans_among_many_casual_listeners_are_no_block(world: EventGraph) -> None:
    # 40 fans play the album's 10 tracks in full, 600 others one track each: the fans are
    # 40 % of its audience, a following, not a ring (and the album is tested and rejected)
    res = audience_blocks(world)
    assert not any(k.startswith("listener:u") for g in range(len(res)) for k in res.actors(g))


def test_organic_data_has_no_block() -> None:
    assert len(audience_blocks(_world(ring=False, casual=600))) == 0


def test_same_events_same_blocks(world: EventGraph) -> None:
    a, b = audience_blocks(world, seed=3), audience_blocks(world, seed=3)
    assert a.to_frame().equals(b.to_frame()) and a.groups.equals(b.groups)


def test_a_family_filter_that_matches_nothing_gives_no_block(world: EventGraph) -> None:
    res = audience_blocks(world, actions=["rate"])
    assert len(res) == 0 and res.params["n_pairs"] == 0


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"min_audience_share": 1.5}, "min_audience_share"),
        ({"min_actors": 1}, "min_actors"),
        ({"max_pairs": 0}, "max_pairs"),
        ({"edge_alpha": 2.0}, "edge_alpha"),
        ({"new_accounts": ["listener:u1"], "new_rate": -0.1}, "new_rate"),
    ],
)
def test_a_bad_parameter_is_named(world: EventGraph, kw: dict, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        audience_blocks(world, **kw)


def test_fresh_accounts_that_are_their_targets_audience_are_a_block() -> None:
    """Fifteen accounts that are nearly the whole audience of two products fail only the
    target contrast (their choice among ten thousand accounts costs more than two targets
    give): new beyond the platform's rate they are a block, as in dense blocks; as old
    accounts, or with two new ones among them, they are not."""
    bi, ring, organic_new = fresh_closed_group()
    plain = audience_blocks(bi)
    assert len(plain) == 0 and plain.tested["sig_targets"][0] < 2
    fresh = audience_blocks(bi, new_accounts=ring + organic_new, new_rate=0.1)
    assert len(fresh) == 1 and set(fresh.actors(0)) == set(ring)
    assert len(audience_blocks(bi, new_accounts=ring[:2] + organic_new, new_rate=0.1)) == 0
