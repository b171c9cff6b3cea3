"""The Spark engine's two splits on one machine (no JVM): detection per family unit and
rings/scores per part of whole components reproduce :func:`ringlens.pipeline.score`."""

from __future__ import annotations

from datetime import timedelta

import igraph as ig
import polars as pl
import pytest

from ringlens.graph import build_graph
from ringlens.pipeline import score
from ringlens.pipeline.registry import Family, Found, registered
from ringlens.pipeline.signals import account_keys
from ringlens.spark.partition import (
    FamilyUnit,
    account_types,
    context_from_graph,
    detect_families,
    family_input,
    finish,
    near_confirmed_bad,
    part_found,
    plan_units,
    ppr_partition,
    run_coverage,
    score_partition,
    unit_events,
)


def _prefixed(data, prefix: str, shift_days: int):
    ev = data.events.with_columns(
        (pl.lit(prefix) + pl.col("actor_id")).alias("actor_id"),
        (pl.lit(prefix) + pl.col("target_id")).alias("target_id"),
        pl.col("ts") + timedelta(days=shift_days),
    )
    ent = data.entities.with_columns(
        (pl.lit(prefix) + pl.col("entity_id")).alias("entity_id"),
        pl.col("created_at") + timedelta(days=shift_days),
    )
    lab = data.labels.with_columns((pl.lit(prefix) + pl.col("entity_id")).alias("entity_id"))
    return ev, ent, lab


@pytest.fixture(scope="module")
def platforms():
    """Two synthetic platforms with their own vocabularies (live and marketplace), 12 days
    apart, in one run: events, entities, labels."""
    from ringlens.synth import SynthConfig, generate

    a = generate(SynthConfig(n_events=15_000, rings_per_pattern=1, seed=3, platform="live"))
    b = generate(SynthConfig(n_events=15_000, rings_per_pattern=1, seed=5, platform="marketplace"))
    worlds = [_prefixed(a, "a", 0), _prefixed(b, "b", 12)]
    return tuple(pl.concat([w[i] for w in worlds], how="diagonal_relaxed") for i in range(3))


def _parts(graph, n_parts: int) -> list[pl.DataFrame]:
    """The graph's events as contract frames, split into ``n_parts`` parts of whole
    connected components (as the Spark engine's partitions hold them)."""
    from ringlens.spark.partition import contract_events

    e = graph.edges
    g = ig.Graph(n=graph.n_nodes, edges=e.select("src", "dst").rows())
    comp = pl.Series("part", g.connected_components().membership, dtype=pl.Int64) % n_parts
    ev = contract_events(graph).with_columns(comp.gather(graph.events["src"]).alias("part"))
    return [p.drop("part") for p in ev.partition_by("part", maintain_order=True)]


def score_in_parts(events, *, entities, labels, n_parts=3, run_id):
    """What the Spark engine does, on one machine: family units, run-wide context,
    PageRank per part ranked over the run, parts scored, merged with the policy."""
    graph = build_graph(events)
    ctx = context_from_graph(graph, entities=entities)
    found, cand_counts = detect_families(graph, entities=entities)
    parts = [build_graph(p) for p in _parts(graph, n_parts)]
    seeds = (
        labels.filter(pl.col("label") == "confirmed")
        .select(pl.concat_str("entity_type", pl.lit(":"), "entity_id"))
        .to_series()
        .to_list()
    )
    present = graph.nodes.join(pl.DataFrame({"key": seeds}), on="key", how="semi")
    kw = {"seeds": seeds, "n_seeds": present.height, "n_nodes": graph.n_nodes}
    ppr = pl.concat([ppr_partition(g, **kw) for g in parts])
    ranked = ppr.filter(account_keys(account_types(family_input(ctx.families).roles)))
    ranked = ranked.filter(~pl.col("is_seed"))
    near = near_confirmed_bad(ranked, n_accounts=ranked.height)
    scored = []
    for g in parts:
        keys = g.nodes.select("key")
        part_ctx = ctx.with_found(part_found(found, keys)).with_near(
            near.join(keys, on="key", how="semi")
        )
        scored.append(score_partition(g, context=part_ctx, entities=entities))
    counts = {"events": graph.events.height, "nodes": graph.n_nodes, "edges": graph.n_edges}
    cand_counts["near_confirmed_bad"] = near.height
    out = finish(scored, run_id=run_id, labels=labels, counts=counts, candidates=cand_counts)
    cov = run_coverage(family_input(ctx.families, labels=labels), seeds=present["key"])
    bursts = Found.concat(list(found.values())).bursts
    return (*out, bursts), cov, parts


def _assert_same(ref, got, *, with_bursts: bool = True):
    rings, ents, queue, memb, report, bursts = got
    assert (ref.bursts.height > 0) == with_bursts and bursts.equals(ref.bursts)
    assert rings.equals(ref.rings)
    assert ents.equals(ref.entities)
    assert queue.equals(ref.queue)
    assert memb.equals(ref.membership)
    for k in ("counts", "policy"):
        assert report[k] == ref.report[k], k


def test_parts_reproduce_the_whole_run_on_two_platforms(platforms):
    events, entities, labels = platforms
    ref = score(events, entities=entities, labels=labels)
    assert ref.rings.height >= 4 and ref.report["counts"]["candidates"]["near_confirmed_bad"] > 0
    got, cov, parts = score_in_parts(
        events, entities=entities, labels=labels, run_id=ref.report["run_id"]
    )
    assert len(parts) == 3 and all(p.n_nodes < ref.graph.n_nodes for p in parts)
    # without names the only bursts of these small sets are sign-ins, which are device
    # use by the data's shape and left to shared targets (the demo's test has bursts)
    _assert_same(ref, got, with_bursts=False)
    assert got[4]["counts"]["candidates"] == ref.report["counts"]["candidates"]
    assert cov.to_dict() == ref.report["coverage"]


def test_parts_reproduce_the_whole_run_on_the_demo(demo):
    events, entities, labels = demo
    ref = score(events, entities=entities, labels=labels)
    got, _, _ = score_in_parts(
        events, entities=entities, labels=labels, n_parts=2, run_id=ref.report["run_id"]
    )
    assert ref.rings.height == 12
    _assert_same(ref, got)


def test_family_units_find_what_the_whole_graph_finds(platforms):
    graph = build_graph(platforms[0])
    found, counts = detect_families(graph)
    inp = family_input(graph.families(), graph=graph)
    units, names = plan_units(inp)
    assert names == [
        "lockstep",
        "dense_blocks",
        "communities",
        "flow_cycles",
        "owner_communities",
        "skewed_follow_ups",
        "skewed_ratings",
        "shared_targets",
    ]
    assert len(units) > len(names)  # each detector in several units
    for det in registered("graph"):
        if det.name not in names:
            continue
        ref = det.detect(inp)
        assert found[det.name].candidates.equals(ref.candidates), det.name
        assert found[det.name].targets.equals(ref.targets), det.name
        sig = found[det.name].signals.sort(pl.all())
        assert sig.equals(ref.signals.sort(pl.all())), det.name
        assert found[det.name].bursts.equals(ref.bursts), det.name
        for k, v in ref.counts.items():
            assert counts[k] == v, k


def test_shared_targets_needs_its_accounts_other_links(platforms):
    """Negative control: on the events of its families alone (no ``reach``), shared
    targets loses the rare links through other targets and finds other groups."""
    graph = build_graph(platforms[0])
    inp = family_input(graph.families(), graph=graph)
    units, _ = plan_units(inp)
    (unit,) = [u for u in units if u.detector == "shared_targets"]
    assert unit.reach
    from ringlens.spark.partition import contract_events, detect_unit

    events = contract_events(graph)
    ref = next(d for d in registered("graph") if d.name == "shared_targets").detect(inp)
    narrow = FamilyUnit(unit.detector, unit.position, unit.families, reach=False)
    got = detect_unit(unit_events(events, narrow), unit=narrow, template=inp)
    assert not got.candidates.equals(ref.candidates)
    full = detect_unit(unit_events(events, unit), unit=unit, template=inp)
    assert full.candidates.equals(ref.candidates)


def test_without_the_context_the_parts_differ(platforms):
    """Negative control: each part scored with its own context does not match."""
    events, entities, _ = platforms
    ref = score(events, entities=entities)
    graph = build_graph(events)
    found, _ = detect_families(graph)
    scored = []
    for p in _parts(graph, 2):
        g = build_graph(p)
        ctx = context_from_graph(g, entities=entities)
        scored.append(score_partition(g, context=ctx.with_found(part_found(found, g.nodes))))
    rings, *_ = finish(scored, run_id=ref.report["run_id"])
    assert not rings.equals(ref.rings)


def test_unit_events_of_a_family():
    ev = pl.DataFrame(
        {
            "actor_id": ["1", "1", "2", "3"],
            "actor_type": ["Buyer", "buyer", "buyer", "buyer"],
            "target_id": ["d", "p", "p", "q"],
            "target_type": ["device", "product", "product", "product"],
            "action": ["login", "Order", "order", "order"],
        }
    )
    unit = FamilyUnit("x", 0, (Family(target_types=("Device",)),))
    assert unit_events(ev, unit)["target_id"].to_list() == ["d"]
    # reach: buyer 1's other targets, with every actor on them (not buyer 3's q)
    reach = FamilyUnit("x", 0, unit.families, reach=True)
    assert unit_events(ev, reach)["actor_id"].to_list() == ["1", "1", "2"]


def test_near_confirmed_bad_matches_the_polars_rank():
    import numpy as np

    rng = np.random.default_rng(0)
    # ranked by lift, not by the raw PageRank (here in the opposite order): many ties
    lift = np.round(0.5 + 2 * rng.random(2_000), 2)
    f = pl.DataFrame({"key": [f"buyer:{i}" for i in range(2_000)], "ppr": 3.0 - lift})
    f = f.with_columns(ppr_lift=pl.Series(lift))
    ref = (
        f.with_columns((pl.col("ppr_lift").rank("average") / pl.len()).alias("pct"))
        .filter((pl.col("pct") >= 0.99) & (pl.col("ppr_lift") > 1.0))
        .select("key", ((pl.col("pct") - 0.99) / 0.01).clip(0.2, 1.0).alias("strength"))
        .sort("key")
    )
    assert ref.height >= 20
    top = f.filter(pl.col("ppr_lift") >= 2.4)
    got = near_confirmed_bad(top, n_accounts=f.height)
    assert got.select("key", "strength").equals(ref)


def test_parts_measure_karma_farms_against_the_runs_owner_projection():
    # two forums in one run, each with a farm of new accounts voting on each other's
    # ever-new replies: the rings the owner communities propose are measured on the owner
    # projection against the run's totals (RunContext.owner_totals), so the parts give
    # the whole run's rings, sig_owners included
    from tests.pipeline.test_detectors_owners import _reply_farm

    worlds = []
    for prefix in ("a", "b"):
        ev, ent = _reply_farm()
        worlds.append(
            (
                ev.with_columns(
                    (pl.lit(prefix) + pl.col("actor_id")).alias("actor_id"),
                    (pl.lit(prefix) + pl.col("target_id")).alias("target_id"),
                ),
                ent.with_columns((pl.lit(prefix) + pl.col("entity_id")).alias("entity_id")),
            )
        )
    events = pl.concat([w[0] for w in worlds])
    entities = pl.concat([w[1] for w in worlds])
    labels = pl.DataFrame({"entity_type": ["member"], "entity_id": ["af0"], "label": ["confirmed"]})
    ref = score(events, entities=entities, labels=labels)
    farms = ref.rings.filter(pl.col("detectors").list.contains("owner_communities"))
    assert farms.height == 2 and farms["sig_owners"].min() >= 2.0
    got, _, parts = score_in_parts(
        events, entities=entities, labels=labels, n_parts=2, run_id=ref.report["run_id"]
    )
    assert len(parts) == 2
    _assert_same(ref, got, with_bursts=False)
