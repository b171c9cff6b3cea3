"""Communities: Leiden, Louvain, weak components."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import igraph as ig
import polars as pl
import pytest

from ringlens.detect import Communities, connected_components, leiden, louvain
from ringlens.exceptions import ConfigError, InputError
from ringlens.graph import build_graph


def two_cliques(k: int = 5) -> ig.Graph:
    g = ig.Graph.Full(k) + ig.Graph.Full(k)
    g.add_edge(0, k)
    g.vs["name"] = [f"creator:{i:02d}" for i in range(2 * k)]
    g.es["weight"] = [1.0] * g.ecount()
    return g


def planted(n_cliques: int = 6, k: int = 8, seed: int = 0) -> tuple[ig.Graph, list[set[str]]]:
    """Cliques of k nodes plus sparse random noise between them."""
    rng = random.Random(seed)
    g = ig.Graph()
    for _ in range(n_cliques):
        g += ig.Graph.Full(k)
    n = g.vcount()
    noise = {tuple(sorted(rng.sample(range(n), 2))) for _ in range(n)}
    g.add_edges([e for e in noise if e[0] // k != e[1] // k])
    g.vs["name"] = [f"buyer:{i:03d}" for i in range(n)]
    g.es["weight"] = [1.0] * g.ecount()
    truth = [{f"buyer:{i:03d}" for i in range(c * k, (c + 1) * k)} for c in range(n_cliques)]
    return g, truth


def as_sets(c: Communities) -> list[set[str]]:
    return [set(c.members(i)) for i in range(c.n_communities)]


def test_two_cliques_leiden() -> None:
    c = leiden(two_cliques(), seed=0)
    assert c.to_frame().columns == ["key", "community"]
    assert c.to_frame().schema["community"] == pl.Int64
    assert c.sizes().rows() == [(0, 5), (1, 5)]
    # ties on size broken by the smallest key: the clique holding creator:00 is community 0
    assert c.members(0) == [f"creator:{i:02d}" for i in range(5)]
    assert 0.3 < c.modularity < 0.5
    assert c.params["objective"] == "modularity" and c.params["seed"] == 0


@pytest.mark.parametrize("algo", [leiden, louvain])
def test_planted_cliques_are_found(algo) -> None:  # type: ignore[no-untyped-def]
    g, truth = planted()
    found = as_sets(algo(g, seed=1))
    for clique in truth:
        assert clique in found


def test_cpm_objective_needs_density() -> None:
    g, truth = planted()
    c = leiden(g, objective="cpm", resolution=0.5, seed=0)
    found = as_sets(c)
    assert all(clique in found for clique in truth)
    # at a resolution above every density, each node is its own community
    assert leiden(g, objective="cpm", resolution=2.0, seed=0).n_communities == g.vcount()


def test_determinism_and_rng_restored() -> None:
    g, _ = planted(n_cliques=10, k=6, seed=4)
    random.seed(123)
    before = random.random()
    random.seed(123)
    a = leiden(g, seed=7).to_frame()
    after = random.random()
    assert before == after  # the caller's random module state is untouched
    for _ in range(3):
        assert leiden(g, seed=7).to_frame().equals(a)
        assert louvain(g, seed=7).to_frame().equals(louvain(g, seed=7).to_frame())


def test_vertex_order_does_not_change_ids() -> None:
    g, _ = planted(seed=2)
    perm = list(range(g.vcount()))
    random.Random(5).shuffle(perm)
    h = g.permute_vertices(perm)
    assert connected_components(h).to_frame().equals(connected_components(g).to_frame())
    # same partition (the planted cliques), same deterministic numbering
    assert leiden(h, seed=0).to_frame().equals(leiden(g, seed=0).to_frame())


def test_projection_and_event_graph_inputs() -> None:
    ts = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ev = pl.DataFrame(
        {
            "actor_id": ["a", "b", "c", "x", "y", "z"],
            "actor_type": "buyer",
            "target_id": ["p", "p", "p", "q", "q", "q"],
            "target_type": "product",
            "action": "order",
            "ts": ts,
        }
    )
    g = build_graph(ev)
    cc = connected_components(g.project())
    assert cc.sizes().rows() == [(0, 3), (1, 3)]
    assert cc.members(0) == ["buyer:a", "buyer:b", "buyer:c"]
    # event graph: buyers and products, two stars
    c = leiden(g, seed=0)
    assert set(c.members(0)) in (
        {"buyer:a", "buyer:b", "buyer:c", "product:p"},
        {"buyer:x", "buyer:y", "buyer:z", "product:q"},
    )


def test_empty_and_unweighted() -> None:
    g = ig.Graph()
    assert leiden(g).to_frame().height == 0
    h = ig.Graph([(0, 1)])
    h.vs["name"] = ["a:1", "a:2"]
    assert leiden(h, weights=False).sizes().rows() == [(0, 2)]


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"objective": "CPMX"}, "objective"),
        ({"resolution": 0}, "resolution"),
        ({"resolution": -1.0}, "resolution"),
        ({"n_iterations": 0}, "n_iterations"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_params(kwargs, word) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=word):
        leiden(two_cliques(), **kwargs)


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="name"):
        leiden(ig.Graph.Full(3))
    with pytest.raises(InputError, match="EventGraph"):
        louvain([1, 2])  # type: ignore[arg-type]
