"""Rings versus organic structure on a platform with its own vocabulary (tests/detect/_organic.py).

Every detector must leave the organic structure alone — a live whose audience gifts in the
same minute, a fandom, households on one handset, power users, popular items and hosts,
voucher campaigns claimed by a thousand — and the planted rings must be found, each by the
detector that sees its pattern (the slow ring, which never bursts, by communities and
audience blocks only).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from ringlens.detect import (
    audience_blocks,
    lockstep_multiscale,
    shared_targets,
    significant_communities,
)
from ringlens.graph import build_graph

from ._organic import NEGATIVES, RINGS, platform


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    p = platform(0)
    return p, build_graph(p.events)


@pytest.fixture(scope="module")
def organic_only():  # type: ignore[no-untyped-def]
    return build_graph(platform(0, rings=False).events)


FAMILIES = [
    ["buy"],
    ["rate"],
    ["buy", "rate"],
    ["send_gift"],
    ["watch"],
    ["subscribe"],
    ["grab_voucher"],
]
SHAREABLE = ["handset", "wallet", "voucher"]


_CACHE: dict[tuple[int, str, tuple[str, ...] | None], Any] = {}


def _run(name: str, graph: Any, family: list[str] | None) -> Any:
    """Each detector once per graph and family (the results are immutable)."""
    key = (id(graph), name, None if family is None else tuple(family))
    if key not in _CACHE:
        _CACHE[key] = _detect(name, graph, family)
    return _CACHE[key]


def _detect(name: str, graph: Any, family: list[str] | None) -> Any:
    if name == "communities":
        return significant_communities(graph, actions=family)
    if name == "lockstep":
        return lockstep_multiscale(graph, actions=family)
    if name == "audience":
        return audience_blocks(graph, actions=family)
    return shared_targets(graph, target_types=SHAREABLE)


CASES = [(d, f) for d in ("communities", "lockstep", "audience") for f in FAMILIES]
CASES += [("shared", None)]


def _actors(res: Any) -> set[str]:
    return set(res.to_frame().filter(pl.col("role") == "actor")["key"])


def _recall(found: set[str], ring: set[str]) -> float:
    return len(found & ring) / len(ring)


@pytest.mark.parametrize(("detector", "family"), CASES)
def test_no_organic_account_in_any_group(world, detector, family) -> None:  # type: ignore[no-untyped-def]
    p, g = world
    res = _run(detector, g, family)
    rings = set().union(*p.rings.values())
    organic = _actors(res) - rings
    assert not organic, (detector, family, sorted(organic)[:5])
    # and no group mixes two rings
    members = res.to_frame().filter(pl.col("role") == "actor")
    owner = {k: n for n, s in p.rings.items() for k in s}
    mixed = (
        members.with_columns(pl.col("key").replace_strict(owner).alias("ring"))
        .group_by("group")
        .agg(pl.col("ring").n_unique().alias("n"))
    )
    assert mixed["n"].max() in (None, 1)


@pytest.mark.parametrize(("detector", "family"), CASES)
def test_organic_platform_has_no_group(organic_only, detector, family) -> None:  # type: ignore[no-untyped-def]
    res = _run(detector, organic_only, family)
    assert len(res) == 0, res.groups


@pytest.mark.parametrize(
    ("detector", "family", "ring", "min_recall"),
    [
        ("communities", ["buy", "rate"], "brushing", 0.8),
        ("communities", ["buy", "rate"], "review_ring", 0.6),
        ("communities", ["buy", "rate"], "slow_ring", 0.8),
        ("communities", ["send_gift"], "gift_ring", 0.8),
        ("communities", ["grab_voucher"], "voucher_ring", 0.6),
        ("lockstep", ["buy", "rate"], "brushing", 0.5),
        ("lockstep", ["buy", "rate"], "review_ring", 0.6),
        ("lockstep", ["subscribe"], "follower_farm", 0.8),
        ("shared", None, "voucher_ring", 0.8),
        ("audience", ["buy"], "brushing", 0.8),
        ("audience", ["buy"], "slow_ring", 0.8),
        ("audience", ["rate"], "review_ring", 0.8),
        ("audience", ["grab_voucher"], "voucher_ring", 0.6),
    ],
)
def test_rings_are_found(world, detector, family, ring, min_recall) -> None:  # type: ignore[no-untyped-def]
    p, g = world
    found = _actors(_run(detector, g, family))
    assert _recall(found, p.rings[ring]) >= min_recall, (detector, ring)


def test_every_ring_found_by_some_detector(world) -> None:  # type: ignore[no-untyped-def]
    p, g = world
    found: set[str] = set()
    for detector, family in CASES:
        found |= _actors(_run(detector, g, family))
    for ring in RINGS:
        assert _recall(found, p.rings[ring]) >= 0.6, ring


def test_slow_ring_never_bursts(world) -> None:  # type: ignore[no-untyped-def]
    # spread over four weeks, the slow ring is in step at no time scale: communities and
    # audience blocks find it
    p, g = world
    assert not _actors(_run("lockstep", g, ["buy", "rate"])) & p.rings["slow_ring"]
    assert _actors(_run("communities", g, ["buy"])) >= p.rings["slow_ring"]
    assert _actors(_run("audience", g, ["buy"])) >= p.rings["slow_ring"]


def test_negatives_are_present(world) -> None:  # type: ignore[no-untyped-def]
    # the fixture holds what it claims: a 300-strong gift storm, 250 fans, households, ...
    p, _ = world
    sizes = {k: len(v) for k, v in p.negatives.items()}
    assert set(sizes) == set(NEGATIVES)
    assert sizes["live"] == 300 and sizes["fandom"] == 250 and sizes["campaign"] > 2000
    gifts = p.events.filter((pl.col("target_id") == "st_live") & (pl.col("action") == "send_gift"))
    assert (gifts["ts"].max() - gifts["ts"].min()).total_seconds() <= 60  # type: ignore[operator]


def test_groups_carry_a_significance(world) -> None:  # type: ignore[no-untyped-def]
    _, g = world
    for res in (
        _run("communities", g, ["buy", "rate"]),
        _run("lockstep", g, ["subscribe"]),
        _run("shared", g, None),
    ):
        assert len(res) > 0
        assert (res.groups["significance"] >= 2.0).all()
        assert (res.groups["log10_pvalue"] == -res.groups["significance"]).all()
    blocks = _run("audience", g, ["buy"])
    assert len(blocks) > 0 and (blocks.groups["significance"] >= 2.0).all()
