"""`ringlens explore` reads only the events a view needs: the views must equal the ones
drawn from the whole graph."""

from __future__ import annotations

import polars as pl
import pytest

from ringlens.exceptions import ConfigError, InputError
from ringlens.graph import build_graph
from ringlens.io import load_events
from ringlens.viz.ego import ego_subgraph
from ringlens.viz.evidence import (
    ego_events,
    ego_network,
    ring_events,
    ring_evidence,
    ring_neighbourhood,
)


@pytest.fixture(scope="module")
def demo(demo_dir):
    from ringlens.pipeline import score

    ev = load_events(demo_dir / "events.parquet")
    res = score(build_graph(ev))
    return ev, res


def test_ring_view_from_the_focused_events_equals_the_whole_graph(demo) -> None:
    ev, res = demo
    assert res.rings.height >= 5
    for members in res.rings["members"].to_list():
        members = list(members)
        sub = build_graph(ring_events(ev, members))
        assert sub.n_nodes < res.graph.n_nodes
        for cam in (3, 0):
            want = ring_neighbourhood(
                res.graph, members, scored=res.entities, camouflage_per_member=cam
            )
            got = ring_neighbourhood(sub, members, scored=res.entities, camouflage_per_member=cam)
            assert got[0].equals(want[0]) and got[1].equals(want[1]) and got[2] == want[2]
        assert ring_evidence(sub, members).equals(ring_evidence(res.graph, members))
    # the cap bites the same way (same note, same kept nodes)
    members = list(res.rings["members"][0])
    sub = build_graph(ring_events(ev, members))
    want = ring_neighbourhood(res.graph, members, max_nodes=5)
    got = ring_neighbourhood(sub, members, max_nodes=5)
    assert want[2] is not None and got[2] == want[2] and got[0]["key"].len() == 5


def test_ring_view_without_camouflage_has_only_real_nodes(demo) -> None:
    """camouflage_per_member=0 leaves camouflage targets out (Polars' group_by().head(0)
    yields a null row per group; those must not become nodes nor count in the cap note)."""
    _, res = demo
    members = list(res.rings["members"][0])
    none, _, note = ring_neighbourhood(res.graph, members, camouflage_per_member=0)
    some, _, _ = ring_neighbourhood(res.graph, members, camouflage_per_member=3)
    assert none["key"].null_count() == 0 and none["key"].is_unique().all()
    assert set(none["key"]) < set(some["key"]) and note is None
    capped = ring_neighbourhood(res.graph, members, camouflage_per_member=0, max_nodes=3)[2]
    assert capped == (
        f"showing 3 of {none.height:,} nodes; "
        f"{none.height - 3:,} members, shared targets or owners left out"
    )
    capped = ring_neighbourhood(res.graph, members, max_nodes=none.height - 1)[2]
    assert capped == (
        f"showing {none.height - 1:,} of {some.height:,} nodes; "
        f"{some.height - none.height:,} camouflage targets and 1 members, shared targets or "
        "owners left out"
    )
    with pytest.raises(ConfigError, match="camouflage_per_member"):
        ring_neighbourhood(res.graph, members, camouflage_per_member=-1)


def _ego(graph, center, hops, max_nodes, scored):  # type: ignore[no-untyped-def]
    from ringlens.viz.evidence import _node_frame, _view_edges

    nodes = _node_frame(graph.nodes, scored, set())
    return ego_subgraph(
        nodes, _view_edges(graph, graph.edges), center=center, hops=hops, max_nodes=max_nodes
    )


def test_ego_view_from_the_focused_events_equals_the_whole_graph(demo) -> None:
    ev, res = demo
    top = res.queue["entity_type"] + ":" + res.queue["entity_id"]
    hub = res.graph.degree_frame().sort("degree", descending=True)["key"][0]
    quiet = res.graph.degree_frame().filter(pl.col("degree") == 1)["key"][0]
    for center in [top[0], top[-1], hub, quiet]:
        for hops, cap in ((1, 500), (2, 500), (2, 40), (3, 200)):
            sub = build_graph(ego_events(ev, center, hops=hops))
            want = _ego(res.graph, center, hops, cap, res.entities)
            got = _ego(sub, center, hops, cap, res.entities)
            assert got[0].sort("key").equals(want[0].sort("key")), (center, hops, cap)
            assert got[1].sort("src", "dst").equals(want[1].sort("src", "dst"))
            assert got[2] == want[2]
        html = ego_network(sub, center, hops=3, max_nodes=200, scored=res.entities).html()
        assert (
            html
            == ego_network(res.graph, center, hops=3, max_nodes=200, scored=res.entities).html()
        )


def test_unknown_entity_and_empty_ring_are_one_line_errors(demo) -> None:
    ev, _ = demo
    with pytest.raises(InputError, match="unknown entity 'buyer:nobody'"):
        ego_events(ev, "buyer:nobody", hops=2)
    with pytest.raises(InputError, match="not a node key"):
        ego_events(ev, "nokey", hops=2)
    with pytest.raises(InputError, match="no member in the events"):
        ring_events(ev, ["buyer:nobody"])


def test_ring_events_keep_the_edges_between_owners() -> None:
    """Two sellers list the product the ring orders and one follows the other: that edge
    touches neither a member nor a target of theirs, and must still be in the view."""
    from datetime import datetime, timezone

    rows = [
        ("buyer", "1", "product", "p", "order"),
        ("buyer", "2", "product", "p", "order"),
        ("seller", "s", "product", "p", "list"),
        ("seller", "t", "product", "p", "list"),
        ("seller", "s", "seller", "t", "follow"),
        ("buyer", "9", "product", "q", "order"),
    ]
    ev = pl.DataFrame(
        rows, orient="row", schema=["actor_type", "actor_id", "target_type", "target_id", "action"]
    ).with_columns(ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)))
    members = ["buyer:1", "buyer:2"]
    whole = ring_neighbourhood(build_graph(ev), members)
    focused = ring_neighbourhood(build_graph(ring_events(ev, members)), members)
    assert ("seller:s", "seller:t") in whole[1].select("src", "dst").rows()
    assert focused[0].equals(whole[0]) and focused[1].equals(whole[1])


def test_run_views_drawn_from_the_focused_edges_equal_the_whole_graph(demo) -> None:
    """write_run_views draws every ring view from one focused part of the graph."""
    from ringlens.viz.evidence import _focus, view_ring

    _, res = demo
    members = res.rings["members"].explode().unique().to_list()
    focus = _focus(res.graph, members)
    # with the run's bursts at hand the pages read only the members' events
    lean = _focus(res.graph, members, target_events=False)
    assert res.bursts is not None and res.bursts.height
    assert focus.n_edges < res.graph.n_edges and lean.events.height < focus.events.height
    for ring_id in res.rings["ring_id"].to_list():
        page = view_ring(res, ring_id).html()
        assert view_ring(res, ring_id, graph=focus).html() == page, ring_id
        assert view_ring(res, ring_id, graph=lean).html() == page, ring_id


def test_same_inputs_knows_both_fingerprint_kinds(tmp_path) -> None:
    """A Spark run over large inputs records a metadata fingerprint (meta-…): explore must
    recognise unchanged files by it instead of hashing them and calling them changed."""
    from ringlens.pipeline.inputs import fingerprint as _fingerprint
    from ringlens.pipeline.inputs import same_inputs as _same_inputs

    f = tmp_path / "events.csv"
    f.write_text("a\n1\n")
    files = [f]
    for content in (True, False):
        fp = _fingerprint(files, content=content)
        assert fp.startswith("meta-") is (not content)
        assert _same_inputs(files, fp)
    assert not _same_inputs(files, None)
    fp = _fingerprint(files)
    f.write_text("a\n2\n")
    assert not _same_inputs(files, fp)


def test_key_targets_are_the_rings_targets_when_the_run_names_them(demo) -> None:
    """rings.parquet's ``targets`` (what the detectors saw the ring work on) are the key
    targets; without them, the shared targets >= 30 % of the members hit."""
    _, res = demo
    members = list(res.rings["members"][0])
    nodes, _, _ = ring_neighbourhood(res.graph, members)
    by_rule = set(nodes.filter(pl.col("key_target"))["key"])
    shared = nodes.filter(~pl.col("in_ring") | pl.col("key_target"))["key"].to_list()
    chosen = sorted(shared)[:2]
    named, _, _ = ring_neighbourhood(res.graph, members, targets=chosen)
    assert set(named.filter(pl.col("key_target"))["key"]) == set(chosen)
    empty, _, _ = ring_neighbourhood(res.graph, members, targets=[])
    assert set(empty.filter(pl.col("key_target"))["key"]) == by_rule
    if "targets" in res.rings.columns:  # the run's own, drawn in its ring page
        from ringlens.viz.evidence import ring_page

        row = res.rings.row(0, named=True)
        view, _, _ = ring_neighbourhood(res.graph, members, targets=list(row["targets"]))
        n = view["key_target"].sum()
        assert n == len(set(row["targets"]) & set(view["key"])) > 0
        page = ring_page(res.rings, res.entities, res.graph, row["ring_id"]).html()
        assert f"ring members, {n:,} key targets)" in page
