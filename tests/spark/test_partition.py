"""Scoring partitions with the local code and a global context (no Spark needed)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from ringlens.graph import build_graph
from ringlens.pipeline import score
from ringlens.spark.partition import (
    ACCOUNT_PATTERN,
    context_from_graph,
    finish,
    lockstep_families,
    near_confirmed_bad,
    ppr_partition,
    score_partition,
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
def two_worlds():
    """Two independent synthetic platforms, 12 days apart: two big components."""
    from ringlens.synth import SynthConfig, generate

    a = _prefixed(generate(SynthConfig(n_events=15_000, rings_per_pattern=1, seed=3)), "a", 0)
    b = _prefixed(generate(SynthConfig(n_events=25_000, rings_per_pattern=1, seed=5)), "b", 12)
    return a, b


def _split_score(a, b, *, labels: pl.DataFrame, entities: pl.DataFrame, run_id: str):
    """Score world a and world b separately with the global context, then merge."""
    union = build_graph(pl.concat([a[0], b[0]], how="vertical_relaxed"))
    ctx = context_from_graph(union)
    seeds = (
        labels.filter(pl.col("label") == "confirmed")
        .select(pl.concat_str("entity_type", pl.lit(":"), "entity_id"))["entity_type"]
        .to_list()
    )
    graphs = [build_graph(w[0]) for w in (a, b)]
    present = union.nodes.join(pl.DataFrame({"key": seeds}), on="key", how="semi").height
    ppr = pl.concat(
        [ppr_partition(g, seeds=seeds, n_seeds=present, n_nodes=union.n_nodes) for g in graphs]
    )
    acc = ppr.filter(pl.col("key").str.contains(ACCOUNT_PATTERN) & ~pl.col("is_seed"))
    near = near_confirmed_bad(acc, n_accounts=acc.height)
    parts = [
        score_partition(
            g,
            context=ctx.with_near(near.join(g.nodes.select("key"), on="key", how="semi")),
            entities=entities,
        )
        for g in graphs
    ]
    counts = {"events": union.events.height, "nodes": union.n_nodes, "edges": union.n_edges}
    counts["near_confirmed_bad"] = near.height
    return finish(parts, run_id=run_id, labels=labels, counts=counts), ctx, graphs


def test_partitions_reproduce_the_whole_run(two_worlds):
    a, b = two_worlds
    events = pl.concat([a[0], b[0]], how="vertical_relaxed")
    entities = pl.concat([a[1], b[1]], how="vertical_relaxed")
    labels = pl.concat([a[2], b[2]], how="vertical_relaxed")
    ref = score(events, entities=entities, labels=labels)
    (rings, ents, queue, memb, report), ctx, graphs = _split_score(
        a, b, labels=labels, entities=entities, run_id=ref.report["run_id"]
    )
    assert ref.rings.height >= 4
    assert rings.equals(ref.rings)
    assert ents.equals(ref.entities)
    assert queue.equals(ref.queue)
    assert memb.equals(ref.membership)
    assert report["counts"] == ref.report["counts"]
    assert report["policy"] == ref.report["policy"]
    # the context mattered: each world alone has another first event and background
    alone = context_from_graph(graphs[1])
    assert alone.first_ts != ctx.first_ts and alone.background != ctx.background


def test_without_the_context_the_partitions_differ(two_worlds):
    """Negative control: each world scored with its own context does not match."""
    a, b = two_worlds
    events = pl.concat([a[0], b[0]], how="vertical_relaxed")
    entities = pl.concat([a[1], b[1]], how="vertical_relaxed")
    ref = score(events, entities=entities)
    parts = []
    for w in (a, b):
        g = build_graph(w[0])
        parts.append(score_partition(g, context=context_from_graph(g), entities=entities))
    rings, *_ = finish(parts, run_id=ref.report["run_id"])
    assert rings.select("ring_id").equals(ref.rings.select("ring_id"))  # same rings ...
    assert not rings["density_ratio"].equals(ref.rings["density_ratio"])  # ... other features


def test_lockstep_families_match_detect(small_synth, monkeypatch):
    import importlib

    ls_mod = importlib.import_module("ringlens.pipeline.detectors.lockstep")
    seen = []
    orig = ls_mod.lockstep

    def spy(graph, **kw):
        seen.append(kw)
        return orig(graph, **kw)

    monkeypatch.setattr(ls_mod, "lockstep", spy)
    from ringlens.pipeline import detect

    detect(build_graph(small_synth.events))
    fams = lockstep_families()
    assert len(seen) == len(fams)
    for kw, fam in zip(seen, fams, strict=True):
        for k in ("actions", "actor_types", "target_types", "max_target_degree"):
            got = kw.get(k)
            assert (tuple(got) if isinstance(got, list) else got) == fam[k], k


def test_injection_is_undone(small_synth):
    import importlib

    import ringlens.pipeline.engine as pipe

    before = (
        pipe.detect,
        pipe.build_rings,
        importlib.import_module("ringlens.detect.lockstep").lockstep,
    )
    g = build_graph(small_synth.events)
    score_partition(g, context=context_from_graph(g))
    after = (
        pipe.detect,
        pipe.build_rings,
        importlib.import_module("ringlens.detect.lockstep").lockstep,
    )
    assert before == after


def test_near_confirmed_bad_matches_the_polars_rank():
    import numpy as np

    rng = np.random.default_rng(0)
    vals = np.round(rng.random(2_000), 3)  # many ties
    f = pl.DataFrame({"key": [f"buyer:{i}" for i in range(2_000)], "ppr": vals, "ppr_lift": 2.0})
    ref = (
        f.with_columns((pl.col("ppr").rank("average") / pl.len()).alias("pct"))
        .filter((pl.col("pct") >= 0.99) & (pl.col("ppr_lift") > 1.0))
        .select("key", ((pl.col("pct") - 0.99) / 0.01).clip(0.2, 1.0).alias("strength"))
        .sort("key")
    )
    top = f.filter(pl.col("ppr") >= 0.95)
    got = near_confirmed_bad(top, n_accounts=f.height)
    assert got.select("key", "strength").equals(ref)
