"""Skewed ratings in a run: a rating bomb on popular apps becomes a review ring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from ringlens.config import Config
from ringlens.graph import build_graph
from ringlens.pipeline import score
from ringlens.pipeline.coverage import family_roles
from ringlens.pipeline.detectors.ratings import SkewedRatings
from ringlens.pipeline.registry import DetectInput
from ringlens.pipeline.vocabulary import Vocabulary, graph_roles

T = datetime(2026, 2, 1, tzinfo=UTC)
BOMBERS = [f"bomb{i}" for i in range(15)]


def _frame(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    """Events from ``(actor_type, actor_id, action, target_type, target_id, ts, amount)``."""
    return pl.DataFrame(
        rows,
        schema=["actor_type", "actor_id", "action", "target_type", "target_id", "ts", "amount"],
        orient="row",
    )


def _store(seed: int = 4) -> pl.DataFrame:
    """An app store: 2,000 users install and launch apps (a few popular ones most) and
    rate some of them 1-5 stars, each app's quality moving its stars a little; fifteen old
    accounts install three apps of the middle of the chart like everyone and give each one star."""
    rng = np.random.default_rng(seed)
    apps = [f"app{a}" for a in range(120)]
    pop = 1.0 / np.arange(1, len(apps) + 1)
    pop /= pop.sum()
    quality = rng.normal(0.0, 0.2, size=len(apps))
    stars = np.array([0.08, 0.06, 0.12, 0.24, 0.50])
    rows = []
    for u in range(2000):
        t0 = T + timedelta(hours=float(rng.uniform(0, 24 * 60)))
        for a in rng.choice(len(apps), size=int(rng.integers(2, 9)), replace=False, p=pop):
            rows.append(("user", f"u{u}", "install", "app", apps[a], t0, None))
            rows.append(("user", f"u{u}", "launch", "app", apps[a], t0 + timedelta(hours=1), None))
            if rng.random() < 0.5:
                p = stars * np.exp(quality[a] * np.arange(-2, 3))
                v = float(rng.choice(np.arange(1, 6), p=p / p.sum()))
                rows.append(("user", f"u{u}", "rate", "app", apps[a], t0 + timedelta(days=2), v))
    for i, who in enumerate(BOMBERS):
        t0 = T + timedelta(days=10 + i)  # one a day: no burst
        for a in ("app20", "app21", "app22"):
            rows.append(("user", who, "install", "app", a, t0, None))
            rows.append(("user", who, "rate", "app", a, t0 + timedelta(hours=3), 1.0))
        for a in rng.choice(len(apps), size=3, replace=False, p=pop):  # camouflage
            rows.append(("user", who, "install", "app", apps[a], t0, None))
    return _frame(rows)


def test_a_run_turns_a_rating_bomb_on_popular_apps_into_a_review_ring() -> None:
    # no vocabulary: "rate" is a rating scale by its amounts; the three apps have hundreds
    # of other users, so no split along own targets or expansion may touch the group
    res = score(_store())
    rings = res.rings.filter(pl.col("detectors").list.contains("skewed_ratings"))
    assert rings.height == 1
    ring = rings.row(0, named=True)
    assert set(ring["members"]) == {f"user:{b}" for b in BOMBERS}
    assert set(ring["targets"]) == {"app:app20", "app:app21", "app:app22"}
    assert ring["pattern"] == "review_ring"
    assert set(res.membership["key"].to_list()) == {f"user:{b}" for b in BOMBERS}
    reasons = res.entities.filter(pl.col("key") == "user:bomb0")["reasons"].item().to_list()
    assert "skewed_ratings" in reasons
    assert res.report["counts"]["candidates"]["skewed_ratings"] >= 1


def test_the_store_without_the_bomb_has_no_ring() -> None:
    ev = _store().filter(~pl.col("actor_id").is_in(BOMBERS))
    assert score(ev).rings.height == 0


def test_a_run_turns_an_evening_bomb_on_the_top_app_into_a_review_ring() -> None:
    """Twelve accounts install the chart's top app and give it one star within an hour:
    among its hundreds of ratings over two months its share of ones hardly moves, but
    that hour holds twelve where the app gets one every few days."""
    ev = _store().filter(~pl.col("actor_id").is_in(BOMBERS))
    at = T + timedelta(days=30, hours=20)
    bomb = [
        row
        for i in range(12)
        for row in (
            ("user", f"evening{i}", "install", "app", "app0", at + timedelta(minutes=5 * i), None),
            ("user", f"evening{i}", "rate", "app", "app0", at + timedelta(minutes=5 * i + 2), 1.0),
        )
    ]
    res = score(pl.concat([ev, pl.DataFrame(bomb, schema=ev.schema, orient="row")]))
    rings = res.rings.filter(pl.col("detectors").list.contains("skewed_ratings"))
    assert rings.height == 1
    ring = rings.row(0, named=True)
    assert set(ring["members"]) == {f"user:evening{i}" for i in range(12)}
    assert ring["targets"] == ["app:app0"]
    assert ring["pattern"] == "review_ring"


def _families(vocabulary: Vocabulary | None) -> list[tuple[str, ...] | None]:
    graph = build_graph(_store())
    fam = family_roles(graph.families(), vocabulary or Vocabulary.from_tables({}, {}))
    inp = DetectInput(graph=graph, config=Config(), families=fam, roles=graph_roles(fam))
    return [f.actions for f in SkewedRatings().families(inp)]


def test_a_purchase_is_never_read_as_a_rating() -> None:
    # unmapped, or mapped to the review role, an action may carry ratings; mapped to
    # another role (a purchase of one to five items) it does not
    assert ("rate",) in _families(None)
    assert ("rate",) in _families(Vocabulary.from_tables({"review": ["rate"]}, {}))
    assert ("rate",) not in _families(Vocabulary.from_tables({"purchase": ["rate"]}, {}))


def test_the_spark_engine_s_family_units_find_the_same_groups() -> None:
    # the Spark engine runs the detector on each family's events alone (its unit):
    # the fit and the blocks are the family's, so the units find what the whole graph
    # finds, groups and all
    from ringlens.spark.partition import detect_families, family_input

    graph = build_graph(_store())
    found, counts = detect_families(graph)
    ref = SkewedRatings().detect(family_input(graph.families(), graph=graph))
    assert ref.candidates.height >= 15
    assert found["skewed_ratings"].candidates.equals(ref.candidates)
    assert found["skewed_ratings"].targets.equals(ref.targets)
    assert found["skewed_ratings"].signals.sort(pl.all()).equals(ref.signals.sort(pl.all()))
    assert counts["skewed_ratings"] == ref.counts["skewed_ratings"]


RING_GUESTS = [f"ring{i}" for i in range(12)]


def _lodging(seed: int = 0, *, ring: bool = True) -> pl.DataFrame:
    """Hosts manage 2-6 listings each; guests book and rate them 1-5 (a quarter fives,
    each host's quality moving its stars); twelve guests book and give five stars to
    three of the fifteen new listings of one host each, over four weeks: two or three
    raters a listing, no listing has five fives and no block of fives stands out."""
    rng = np.random.default_rng(seed)
    stars = np.array([0.05, 0.10, 0.25, 0.35, 0.25])
    rows = []
    for h in range(300):
        p = stars * np.exp(rng.normal(0.0, 0.2) * np.arange(-2, 3))
        for j in range(int(rng.integers(2, 7))):
            lst = f"L{h}_{j}"
            rows.append(("host", f"h{h}", "manage", "listing", lst, T - timedelta(days=90), None))
            for _ in range(int(rng.integers(3, 12))):
                t = T + timedelta(hours=float(rng.uniform(0, 24 * 42)))
                guest = f"g{rng.integers(0, 5000)}"
                v = float(rng.choice(np.arange(1, 6), p=p / p.sum()))
                rows.append(("guest", guest, "book", "listing", lst, t, None))
                rows.append(("guest", guest, "rate", "listing", lst, t + timedelta(days=3), v))
    if ring:
        rows += [("host", "h_new", "manage", "listing", f"R{j}", T, None) for j in range(15)]
        for who in RING_GUESTS:
            for j in rng.choice(15, 3, replace=False):
                t = T + timedelta(hours=float(rng.uniform(0, 24 * 28)))
                rows.append(("guest", who, "book", "listing", f"R{j}", t, None))
                rows.append(("guest", who, "rate", "listing", f"R{j}", t + timedelta(days=3), 5.0))
    return _frame(rows)


def test_a_run_reads_one_hosts_listings_starred_by_a_ring_as_a_review_ring() -> None:
    # no vocabulary: "manage" is ownership by its shape, "rate" a rating scale
    res = score(_lodging())
    rings = res.rings.filter(pl.col("detectors").list.contains("skewed_ratings"))
    assert rings.height == 1
    ring = rings.row(0, named=True)
    assert {f"guest:{g}" for g in RING_GUESTS} <= set(ring["members"])
    assert ring["pattern"] == "review_ring"
    assert {k.split(":")[1][0] for k in ring["targets"]} == {"R"}


def test_the_lodging_platform_without_the_ring_has_no_ring() -> None:
    assert score(_lodging(ring=False)).rings.height == 0
