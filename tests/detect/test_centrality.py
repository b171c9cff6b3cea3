"""Centrality: degree, PageRank (vs networkx), personalised PageRank, coreness, betweenness."""

from __future__ import annotations

from datetime import datetime, timezone

import igraph as ig
import networkx as nx
import numpy as np
import polars as pl
import pytest

from ringlens.detect import betweenness, coreness, degree, pagerank, personalized_pagerank
from ringlens.exceptions import ConfigError, InputError
from ringlens.graph import build_graph


def named(g: ig.Graph, prefix: str = "n") -> ig.Graph:
    g.vs["name"] = [f"{prefix}:{i:03d}" for i in range(g.vcount())]
    return g


def weighted_random(seed: int = 0) -> ig.Graph:
    g = named(ig.Graph.Erdos_Renyi(n=60, m=200))
    g.es["weight"] = list(np.random.default_rng(seed).integers(1, 6, g.ecount()).astype(float))
    return g


def to_nx(g: ig.Graph) -> nx.Graph:
    h = nx.Graph()
    h.add_nodes_from(g.vs["name"])
    for e in g.es:
        w = e["weight"] if "weight" in g.es.attributes() else 1.0
        h.add_edge(g.vs[e.source]["name"], g.vs[e.target]["name"], weight=w)
    return h


def test_degree_and_strength() -> None:
    g = named(ig.Graph.Star(4))
    g.es["weight"] = [1.0, 2.0, 3.0]
    f = degree(g)
    assert f.columns == ["key", "degree", "strength"]
    assert f.rows() == [("n:000", 3, 6.0), ("n:001", 1, 1.0), ("n:002", 1, 2.0), ("n:003", 1, 3.0)]


@pytest.mark.parametrize("weights", [True, False])
def test_pagerank_matches_networkx(weights: bool) -> None:
    g = weighted_random()
    ours = dict(pagerank(g, weights=weights).rows())
    ref = nx.pagerank(
        to_nx(g), alpha=0.85, weight="weight" if weights else None, tol=1e-13, max_iter=1000
    )
    assert set(ours) == set(ref)
    assert max(abs(ours[k] - ref[k]) for k in ref) < 1e-6
    assert abs(sum(ours.values()) - 1) < 1e-9


@pytest.mark.parametrize("weights", [True, False])
def test_pagerank_matches_igraph_prpack_on_awkward_graphs(weights: bool) -> None:
    """Loops, multi-edges, isolated nodes and both directions of a pair: our conjugate
    gradient solve on the sparse adjacency gives what igraph's PRPACK gives."""
    rng = np.random.default_rng(7)
    for trial in range(20):
        n = int(rng.integers(2, 50))
        m = int(rng.integers(0, 120))
        edges = rng.integers(0, n, size=(m, 2)).tolist()
        g = named(ig.Graph(n=n, edges=edges, directed=bool(trial % 2)))
        g.es["weight"] = rng.integers(1, 5, m).astype(float).tolist()
        u = g.as_undirected(mode="collapse", combine_edges={"weight": "sum"}) if trial % 2 else g
        w = "weight" if weights else None
        ref = np.array(u.pagerank(directed=False, weights=w))
        assert np.abs(pagerank(g, weights=weights)["pagerank"].to_numpy() - ref).max() < 1e-9
        seeds = sorted(rng.choice(n, size=min(n, 3), replace=False).tolist())
        ref = np.array(u.personalized_pagerank(directed=False, weights=w, reset_vertices=seeds))
        got = personalized_pagerank(g, seeds=[f"n:{i:03d}" for i in seeds], weights=weights)
        assert np.abs(got["ppr"].to_numpy() - ref).max() < 1e-9


@pytest.mark.parametrize("weights", [True, False])
def test_pagerank_of_event_graph_and_projection_match_igraph(weights: bool) -> None:
    from ringlens.detect._common import as_igraph
    from ringlens.synth import SynthConfig, generate

    g = build_graph(generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=3)).events)
    for obj in (g, g.project(max_target_degree=100)):
        ig_graph = as_igraph(obj)
        ref = dict(
            zip(
                ig_graph.vs["name"],
                ig_graph.pagerank(directed=False, weights="weight" if weights else None),
                strict=True,
            )
        )
        got = pagerank(obj, weights=weights)
        assert got.height == len(ref)
        assert max(abs(ref[k] - v) for k, v in got.iter_rows()) < 1e-9


def test_pagerank_refuses_negative_weights() -> None:
    g = named(ig.Graph([(0, 1), (1, 2)]))
    g.es["weight"] = [1.0, -2.0]
    with pytest.raises(InputError, match="weight"):
        pagerank(g)


def test_personalized_pagerank_matches_networkx_and_stays_near_seeds() -> None:
    # two communities joined by one edge; seeds in the first
    g = named(ig.Graph.Full(6) + ig.Graph.Full(6), "buyer")
    g.add_edge(0, 6)
    g.es["weight"] = [1.0] * g.ecount()
    seeds = ["buyer:001", "buyer:002"]
    f = personalized_pagerank(g, seeds=seeds)
    assert f.columns == ["key", "ppr", "ppr_lift", "is_seed"]
    ref = nx.pagerank(
        to_nx(g), alpha=0.85, personalization={s: 1.0 for s in seeds}, tol=1e-13, max_iter=1000
    )
    ours = dict(f.select("key", "ppr").rows())
    assert max(abs(ours[k] - ref[k]) for k in ref) < 1e-6
    first = f.filter(pl.col("key") < "buyer:006")
    second = f.filter(pl.col("key") >= "buyer:006")
    assert first["ppr"].sum() > 0.85
    assert first["ppr_lift"].min() > 1 > second["ppr_lift"].max()
    assert f.filter("is_seed")["key"].to_list() == seeds


def test_personalized_pagerank_from_labels_and_unknown_seeds() -> None:
    g = named(ig.Graph.Ring(5), "buyer")
    labels = pl.DataFrame(
        {
            "entity_type": ["buyer", "buyer", "buyer"],
            "entity_id": ["000", "003", "999"],
            "label": ["confirmed", "cleared", "confirmed"],
        }
    )
    with pytest.warns(UserWarning, match="1 of 2 seed"):
        f = personalized_pagerank(g, seeds=labels)
    assert f.filter("is_seed")["key"].to_list() == ["buyer:000"]  # cleared rows are not seeds
    with pytest.raises(ConfigError, match="none of the given seeds"), pytest.warns(UserWarning):
        personalized_pagerank(g, seeds=["buyer:999"])
    with pytest.raises(ConfigError, match="seeds"):
        personalized_pagerank(g, seeds="buyer:000")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="label"):
        personalized_pagerank(g, seeds=labels.drop("label"))


def test_coreness_known_graph() -> None:
    # K4 (core 3) + a triangle hanging off it (core 2) + a pendant (core 1)
    g = ig.Graph.Full(4)
    g.add_vertices(4)
    g.add_edges([(3, 4), (4, 5), (5, 3), (5, 6), (0, 7)])
    g = named(g)
    assert coreness(g)["coreness"].to_list() == [3, 3, 3, 3, 2, 2, 1, 1]
    h = to_nx(g)
    assert dict(coreness(g).rows()) == nx.core_number(h)


def test_betweenness_exact_and_sampled() -> None:
    g = weighted_random(1)
    exact = dict(betweenness(g).rows())
    ref = nx.betweenness_centrality(to_nx(g), normalized=False)
    assert max(abs(exact[k] - ref[k]) for k in ref) < 1e-6
    # pivot sampling is unbiased: the mean over seeds approaches the exact values
    runs = np.array(
        [betweenness(g, sample=20, seed=s)["betweenness"].to_numpy() for s in range(60)]
    )
    ex = betweenness(g)["betweenness"].to_numpy()
    assert abs(runs.mean(axis=0).sum() - ex.sum()) / ex.sum() < 0.05
    assert np.corrcoef(runs.mean(axis=0), ex)[0, 1] > 0.95
    assert betweenness(g, sample=20, seed=3).equals(betweenness(g, sample=20, seed=3))
    # cutoff: path length <= 1 gives no intermediate vertex at all
    assert betweenness(g, cutoff=1)["betweenness"].sum() == 0


def test_callers_igraph_graph_is_left_as_it_was() -> None:
    """Detectors read an igraph graph without copying it when it needs no change, but
    never change it: coreness and betweenness simplify a copy, not the caller's
    multigraph; a graph without weights keeps having none."""
    from ringlens.detect import connected_components, leiden, louvain

    g = weighted_random(2)
    g.add_edges([(0, 1), (0, 1), (2, 2)])  # a multi-edge and a loop for simplify to merge
    g.es[-3:]["weight"] = [1.0, 2.0, 3.0]
    bare = named(ig.Graph.Ring(12))  # no weight attribute: detectors add weight 1 on a copy

    def state(h: ig.Graph) -> tuple:
        return (
            h.get_edgelist(),
            h.es.attributes(),
            h.vs.attributes(),
            [tuple(e.attributes().values()) for e in h.es],
            h.vs["name"],
        )

    for graph in (g, bare):
        before = state(graph)
        for run in (degree, pagerank, coreness, betweenness, louvain, leiden, connected_components):
            run(graph)
            assert state(graph) == before, run.__name__
        personalized_pagerank(graph, seeds=[graph.vs["name"][0]])
        assert state(graph) == before
    # the copy-free path gives the same answer as a graph that had to be copied
    assert louvain(g).membership.equals(louvain(g.copy()).membership)


def test_event_graph_input_is_undirected_and_row_order_free() -> None:
    ts = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ev = pl.DataFrame(
        {
            "actor_id": ["a", "a", "b", "c", "c", "c"],
            "actor_type": ["creator", "creator", "creator", "buyer", "buyer", "buyer"],
            "target_id": ["b", "b", "a", "p", "q", "a"],
            "target_type": ["creator", "creator", "creator", "product", "product", "creator"],
            "action": "follow",
            "ts": ts,
        }
    )
    f = degree(build_graph(ev))
    # a<->b collapse into one undirected edge of weight 3 (two a->b events, one b->a)
    assert f.filter(pl.col("key") == "creator:b").rows() == [("creator:b", 1, 3.0)]
    shuffled = build_graph(ev.sample(fraction=1.0, shuffle=True, seed=1))
    for fn in (degree, pagerank, coreness, betweenness):
        assert fn(shuffled).equals(fn(build_graph(ev)))


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda g: pagerank(g, damping=1.0), "damping"),
        (lambda g: pagerank(g, damping=-0.1), "damping"),
        (lambda g: personalized_pagerank(g, seeds=["n:000"], damping=2), "damping"),
        (lambda g: betweenness(g, cutoff=0), "cutoff"),
        (lambda g: betweenness(g, sample=0), "sample"),
        (lambda g: betweenness(g, sample=2, seed=-3), "seed"),
    ],
)
def test_bad_params(call, word) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=word):
        call(named(ig.Graph.Ring(4)))
