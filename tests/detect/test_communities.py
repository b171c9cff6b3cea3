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


# ---- significant communities ---------------------------------------------------------


def _buyers(seed: int = 0, *, ring: bool = True) -> pl.DataFrame:
    """Shoppers buying a few items each from a popular catalogue; with ``ring``, twelve
    accounts buying most of the same five new items."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, 1001)
    rows = [
        (f"u{i}", f"item{j}")
        for i in range(2000)
        for j in rng.choice(1000, 5, replace=False, p=pop / pop.sum())
    ]
    if ring:
        rows += [(f"r{i}", f"new{j}") for i in range(12) for j in range(5) if rng.random() < 0.8]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id"], orient="row")
    return ev.with_columns(
        actor_type=pl.lit("shopper"),
        target_type=pl.lit("sku"),
        action=pl.lit("buy"),
        ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)),
    )


def test_significant_communities_frames_and_params() -> None:
    from ringlens.detect import significant_communities

    res = significant_communities(build_graph(_buyers()), actions=["buy"])
    assert res.groups.columns == [
        "group",
        "n_actors",
        "n_targets",
        "pair_density",
        "exclusivity",
        "cohesion",
        "density",
        "lift",
        "log10_pvalue",
        "significance",
    ]
    assert res.to_frame().columns == ["group", "key", "role", "hits"]
    assert len(res) == 1 and all(k.startswith("shopper:r") for k in res.actors(0))
    assert res.targets(0) == [f"sku:new{j}" for j in range(5)]
    row = res.groups.row(0, named=True)
    assert row["exclusivity"] >= 0.5 and row["pair_density"] >= 0.5 and row["significance"] > 2
    # everything tested is reported, with the reason it was let go
    assert res.tested["significant"].sum() == 1
    assert set(res.tested["rejected"].drop_nulls()) <= {
        "n_targets",
        "pair_density",
        "exclusivity",
        "significance",
    }
    assert res.params["max_target_actors"] >= 2 and res.params["n_edges"] > 0


def test_significant_communities_leave_organic_buyers_alone() -> None:
    from ringlens.detect import significant_communities

    assert len(significant_communities(build_graph(_buyers(ring=False)), actions=["buy"])) == 0


def test_significant_communities_deterministic_and_order_free() -> None:
    from ringlens.detect import significant_communities

    ev = _buyers(3)
    a = significant_communities(build_graph(ev), seed=5)
    b = significant_communities(build_graph(ev.sample(fraction=1.0, shuffle=True, seed=2)), seed=5)
    assert a.groups.equals(b.groups) and a.members.equals(b.members) and a.tested.equals(b.tested)


def test_significant_communities_hub_cap() -> None:
    from ringlens.detect import significant_communities

    g = build_graph(_buyers())
    # a cap below the ring's audience hides its targets
    assert len(significant_communities(g, max_target_actors=8)) == 0
    assert significant_communities(g, max_target_actors=8).params["max_target_actors"] == 8
    # a tiny pair budget gives a tiny cap
    assert significant_communities(g, max_pairs=10).params["max_target_actors"] <= 5


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"min_shared": 0}, "min_shared"),
        ({"edge_alpha": 0}, "edge_alpha"),
        ({"min_actors": 1}, "min_actors"),
        ({"min_pair_density": 2}, "min_pair_density"),
        ({"min_exclusivity": -0.1}, "min_exclusivity"),
        ({"alpha": 1.5}, "alpha"),
        ({"max_target_actors": 1}, "max_target_actors"),
        ({"resolution": 0}, "resolution"),
        ({"actions": [3]}, "actions"),
    ],
)
def test_significant_communities_bad_params(kwargs, word) -> None:  # type: ignore[no-untyped-def]
    from ringlens.detect import significant_communities

    with pytest.raises(ConfigError, match=word):
        significant_communities(build_graph(_buyers()), **kwargs)


def test_significant_communities_needs_event_graph() -> None:
    from ringlens.detect import significant_communities

    with pytest.raises(InputError, match="EventGraph"):
        significant_communities(build_graph(_buyers()).project())  # type: ignore[arg-type]


def test_significant_communities_on_synthetic_data() -> None:
    from ringlens.detect import significant_communities
    from ringlens.synth import SynthConfig, generate

    data = generate(SynthConfig(n_events=200_000, rings_per_pattern=2, seed=3))
    truth = data.truth.with_columns(key=pl.concat_str("entity_type", pl.lit(":"), "entity_id"))
    g = build_graph(data.events)
    for actions, pattern in ((["order"], "brushing"), (["follow"], "mutual_boost")):
        res = significant_communities(g, actions=actions)
        actors = res.to_frame().filter(pl.col("role") == "actor")
        assert actors.join(truth, on="key", how="anti").height == 0, actions
        ring = truth.filter(pl.col("pattern") == pattern)
        assert (
            ring.join(actors, on="key", how="semi").height
            >= 0.6 * ring.filter(pl.col("entity_type") == actors["key"][0].split(":")[0]).height
        )


def test_cohit_counts_backends_agree() -> None:
    import numpy as np

    from ringlens.detect._common import cohit_counts

    rng = np.random.default_rng(1)
    cells = np.unique(rng.integers(0, [300, 80], size=(3000, 2)), axis=0)
    for k in (1, 2, 3):
        c = cohit_counts(cells[:, 0], cells[:, 1], 300, 80, min_shared=k, backend="auto")
        s = cohit_counts(cells[:, 0], cells[:, 1], 300, 80, min_shared=k, backend="scipy")
        assert all(np.array_equal(x, y) for x, y in zip(c, s, strict=True))
    # the cells' order does not matter
    shuffled = rng.permutation(cells.shape[0])
    a = cohit_counts(cells[shuffled, 0], cells[shuffled, 1], 300, 80, min_shared=2)
    b = cohit_counts(cells[:, 0], cells[:, 1], 300, 80, min_shared=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_seeded_igraph_blocks_hold_the_generator_for_their_thread() -> None:
    """igraph's generator is process-wide: while one thread runs a seeded block (a
    notebook's executor, the workbench's worker threads), another thread's seeded block
    waits instead of swapping the generator under it."""
    import threading

    from ringlens.detect._common import seeded_igraph

    inside, release, order = threading.Event(), threading.Event(), []

    def first() -> None:
        with seeded_igraph(1):
            order.append("first in")
            inside.set()
            release.wait(5)
            order.append("first out")

    def second() -> None:
        inside.wait(5)
        with seeded_igraph(2):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    inside.wait(5)
    threads[1].join(0.3)  # would be inside by now without the lock
    release.set()
    for t in threads:
        t.join(5)
    assert order == ["first in", "first out", "second in"]


# ---- the owner projection ----------------------------------------------------------------


def _forum(seed: int = 0, *, farm: bool = True) -> pl.DataFrame:
    """Members writing posts and upvoting posts, the popular authors' more; with ``farm``,
    sixteen members that each write six posts, vote like everyone else on four, and
    upvote one post of most of the others (a karma farm: few votes on each post, so no
    two of them share many posts)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    pop = 1.0 / np.arange(1, 601) ** 0.5
    for i in range(600):
        rows += [(f"a{i}", "write", f"a{i}-p{k}") for k in range(1 + int(5 * pop[i] / pop[0]))]
    posts = [r[2] for r in rows]
    w = np.array([pop[int(p.split("-")[0][1:])] for p in posts])
    w /= w.sum()
    for u in range(2000):
        rows += [
            (f"u{u}", "upvote", posts[p]) for p in rng.choice(len(posts), 4, replace=False, p=w)
        ]
    ring = [f"f{i}" for i in range(16)] if farm else []
    for u in ring:
        rows += [(u, "upvote", posts[p]) for p in rng.choice(len(posts), 4, replace=False, p=w)]
        rows += [(u, "write", f"{u}-p{k}") for k in range(6)]
    for a in ring:
        for b in ring:
            if a != b and rng.random() < 0.8:  # one of b's posts: few votes on each post
                rows.append((a, "upvote", f"{b}-p{rng.integers(6)}"))
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_id"], orient="row")
    t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return ev.with_columns(actor_type=pl.lit("member"), target_type=pl.lit("post"), ts=pl.lit(t))


def test_a_karma_farm_is_a_community_of_owners_not_of_posts() -> None:
    # sixteen members upvoting each other's ever-new posts share few posts, so the
    # co-interaction communities miss them; projected onto the posts' authors they are a
    # dense block that the same test finds, and the organic members are left alone
    from ringlens.detect import significant_communities
    from ringlens.detect.communities import owned_events, owner_projection

    g = build_graph(_forum())
    assert len(significant_communities(g, actions=["upvote"])) == 0
    owned = owned_events(g, ["write"], actions=["upvote"])
    proj = owner_projection(g, owned)
    pairs = proj.events.select("src", "dst")
    assert set(g.nodes.filter(pl.col("node").is_in(pairs["dst"].implode()))["node_type"]) == {
        "member"
    }
    assert pairs.filter(pl.col("src") == pl.col("dst")).height == 0
    res = significant_communities(proj)
    assert len(res) == 1
    assert res.actors(0) == sorted(f"member:f{i}" for i in range(16))
    # its owners are the farm itself (and an author or two its members' own votes met)
    farm_owners = [k for k in res.targets(0) if k.startswith("member:f")]
    assert len(farm_owners) >= 14 and len(farm_owners) >= 0.75 * len(res.targets(0))
    # the owned posts the farm's pairs went through, for the ring's own targets
    ids = g.node_ids(farm_owners)
    farm = pl.DataFrame({"src": ids}).join(pl.DataFrame({"owner": ids}), how="cross")
    via = owned.join(farm.cast(pl.UInt32), on=["src", "owner"]).select("src", "owner", "dst")
    via = via.unique()
    assert (
        g.nodes.filter(pl.col("node").is_in(via["dst"].implode()))["key"]
        .str.starts_with("post:f")
        .all()
    )
    assert via.height > 100
    clean = build_graph(_forum(farm=False))
    assert (
        len(significant_communities(owner_projection(clean, owned_events(clean, ["write"])))) == 0
    )


def test_owner_projection_without_owners_is_empty() -> None:
    from ringlens.detect.communities import owned_events, owner_projection

    g = build_graph(_forum(farm=False))
    for owners in ([], ["publish"]):
        owned = owned_events(g, owners, actions=["upvote"])
        proj = owner_projection(g, owned)
        assert proj.events.height == 0 and proj.events.columns == ["src", "dst", "action", "ts"]
        assert owned.height == 0
        assert owned.columns == ["src", "dst", "action", "ts", "owner"]


def test_communities_on_mostly_the_same_targets_are_joined() -> None:
    # two communities of six on the same four targets (a block Leiden cut in two) become
    # one; a third on targets of its own stays as it is, and so do the small ones
    import numpy as np

    from ringlens.detect.communities import _joined_on_targets

    member_of = np.array([0] * 6 + [1] * 6 + [2] * 6 + [3] * 2 + [-1] * 2)
    core_of = member_of.copy()
    ai, ti = [], []
    for acc in range(18):
        for t in range(4):
            ai.append(acc)
            ti.append(t + (10 if member_of[acc] == 2 else 0))
    ai += [18, 19, 18, 19]
    ti += [0, 0, 1, 1]
    joined, core = _joined_on_targets(member_of, core_of, np.array(ai), np.array(ti), min_actors=5)
    assert joined.tolist() == [0] * 12 + [2] * 6 + [3] * 2 + [-1] * 2
    assert core.tolist() == joined.tolist()
    # a small core that a big community took in keeps its own label in the cores
    core_of[11] = 4
    joined, core = _joined_on_targets(member_of, core_of, np.array(ai), np.array(ti), min_actors=5)
    assert joined.tolist() == [0] * 12 + [2] * 6 + [3] * 2 + [-1] * 2
    assert core[11] == 4 and core[6] == 0


def _sampled_catalogue_with_a_ring(seed: int = 5) -> tuple[pl.DataFrame, set[str]]:
    """100,000 ratings of a Zipf catalogue of 30,000 listings by 50,000 accounts over four
    months, and thirty accounts (half of them old accounts) rating six in ten of the same
    ten fresh listings over two months, each with four ratings of popular listings."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t0 = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp())
    pop = 1 / np.arange(1, 30_001)
    pop /= pop.sum()
    act = rng.lognormal(0, 1, 50_000)
    act /= act.sum()
    u = rng.choice(50_000, 100_000, p=act)
    rows = [
        (f"u{a}", f"p{b}", t0 + int(s))
        for a, b, s in zip(
            u,
            rng.choice(30_000, 100_000, p=pop),
            rng.integers(0, 120 * 86400, 100_000),
            strict=True,
        )
    ]
    ring = [f"f{i}" for i in range(15)] + [
        f"u{x}" for x in rng.choice(np.unique(u), 15, replace=False)
    ]
    for m in ring:
        for j in range(10):
            if rng.random() < 0.6:
                rows.append((m, f"x{j}", t0 + 60 * 86400 + int(rng.integers(0, 60 * 86400))))
        for _ in range(4):
            rows.append(
                (m, f"p{rng.choice(30_000, p=pop)}", t0 + int(rng.integers(0, 120 * 86400)))
            )
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "ts"], orient="row")
    ev = ev.with_columns(
        pl.from_epoch("ts").dt.replace_time_zone("UTC"),
        actor_type=pl.lit("reviewer"),
        target_type=pl.lit("listing"),
        action=pl.lit("stars"),
    )
    return ev, {f"reviewer:{m}" for m in ring}


def test_a_ring_leiden_cuts_in_parts_is_one_significant_community() -> None:
    # the thirty raters share three or four of the fresh listings pairwise; Leiden cuts
    # them in three on this data, and each part, with the others in its listings'
    # audience, failed exclusivity: none was significant
    from ringlens.detect import significant_communities

    ev, ring = _sampled_catalogue_with_a_ring()
    res = significant_communities(build_graph(ev))
    found = [set(res.actors(g)) for g in range(len(res))]
    assert any(len(f & ring) >= 28 and len(f - ring) <= 2 for f in found)
    assert sum(bool(f & ring) for f in found) == 1  # one group, not parts
