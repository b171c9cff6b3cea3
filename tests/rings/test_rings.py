"""Rings: merging candidates, one entity one ring, features and patterns on planted rings."""

from __future__ import annotations

import polars as pl
import pytest

from ringlens.exceptions import ConfigError
from ringlens.graph import build_graph
from ringlens.io import load_entities, scan_events
from ringlens.rings import build_rings, merge_candidates


def cand(rows: list[tuple[str, str, list[str], float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(d, c, k, s) for d, c, keys, s in rows for k in keys],
        schema=["detector", "candidate", "key", "strength"],
        orient="row",
    )


def test_overlapping_candidates_merge_and_disjoint_stay_apart() -> None:
    c = cand(
        [
            ("dense", "0", ["a", "b", "c", "d"], 1.0),
            ("lockstep", "0", ["b", "c", "d", "e"], 0.8),
            ("shared", "0", ["x", "y", "z"], 0.9),
        ]
    )
    m = merge_candidates(c, min_size=3)
    rings = m.group_by("ring_id").agg(pl.col("key").sort()).sort("key")["key"].to_list()
    assert rings == [["a", "b", "c", "d", "e"], ["x", "y", "z"]]
    dets = m.filter(pl.col("key") == "b")["detectors"].item().to_list()
    assert dets == ["dense", "lockstep"]


def test_one_entity_one_ring_goes_to_highest_support() -> None:
    # h is in two unrelated rings (a hijacked account); it stays with the stronger one
    c = cand(
        [
            ("dense", "0", ["a", "b", "c", "h"], 1.0),
            ("lockstep", "0", ["a", "b", "c", "h"], 1.0),
            ("shared", "0", ["x", "y", "z", "h"], 0.5),
        ]
    )
    m = merge_candidates(c, min_overlap=0.5, min_size=3)
    assert m["key"].is_duplicated().sum() == 0
    ring_of_h = m.filter(pl.col("key") == "h")["ring_id"].item()
    ring_of_a = m.filter(pl.col("key") == "a")["ring_id"].item()
    assert ring_of_h == ring_of_a


def test_small_rings_dropped_and_ids_stable() -> None:
    c = cand([("d", "0", ["a", "b"], 1.0), ("d", "1", ["p", "q", "r"], 1.0)])
    m1 = merge_candidates(c, min_size=3)
    m2 = merge_candidates(c.reverse(), min_size=3)
    assert set(m1["key"]) == {"p", "q", "r"}
    assert m1.equals(m2)


def test_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="min_overlap"):
        merge_candidates(cand([("d", "0", ["a"], 1.0)]), min_overlap=0)


def test_features_and_patterns_of_planted_rings(demo_dir) -> None:
    g = build_graph(scan_events(demo_dir))
    truth = pl.read_parquet(demo_dir / "truth.parquet")
    c = truth.select(
        pl.lit("truth").alias("detector"),
        pl.col("ring_id").alias("candidate"),
        pl.concat_str("entity_type", pl.lit(":"), "entity_id").alias("key"),
        pl.lit(1.0).alias("strength"),
    )
    r = build_rings(g, c, entities=load_entities(demo_dir))
    assert len(r) == truth["ring_id"].n_unique()
    planted = truth.group_by("ring_id").agg(
        pl.first("pattern"),
        pl.concat_str("entity_type", pl.lit(":"), "entity_id").sort().alias("members"),
    )
    got = planted.join(r.rings.select("members", pl.col("pattern").alias("found")), on="members")
    assert got.height == planted.height
    assert (got["pattern"] == got["found"]).all(), got
    f = r.rings
    assert (f["density_ratio"] > 10).all()
    mb = f.filter(pl.col("pattern") == "mutual_boost")
    assert (mb["reciprocity"] > 0.8).all()
    farms = f.filter(pl.col("pattern") == "sock_puppet_farm")
    assert (farms["shared_payment_share"] >= 0.9).all()
    buyers = f.filter(pl.col("pattern").is_in(["brushing", "affiliate_fraud"]))
    assert (buyers["synchrony"] > 0.7).all()
    assert (f["camouflage_share"] > 0.1).all()  # demo rings carry camouflage
    assert f["new_account_share"].is_between(0, 1).all()
