"""Lockstep (CopyCatch-style) groups."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from ringlens.detect import LOCKSTEP_PRESETS, lockstep
from ringlens.exceptions import ConfigError, InputError
from ringlens.graph import build_graph
from ringlens.synth import SynthConfig, generate

T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)


def frame(rows: list[tuple[str, str, float]], action: str = "order") -> pl.DataFrame:
    """(buyer id, product id, hours after T0) rows."""
    return pl.DataFrame(
        {
            "actor_id": [r[0] for r in rows],
            "actor_type": "buyer",
            "target_id": [r[1] for r in rows],
            "target_type": "product",
            "action": action,
            "ts": [T0 + timedelta(hours=r[2]) for r in rows],
        }
    )


def hand_made() -> pl.DataFrame:
    # ring: 6 buyers hit p1 around day 1 and p2 around day 3, minutes apart
    ring = [(f"r{i}", "p1", 24 + i * 0.1) for i in range(6)] + [
        (f"r{i}", "p2", 72 + i * 0.2) for i in range(6)
    ]
    # honest buyers share the same products, and each other's, at unrelated times
    honest = [(f"h{i}", "p1", 100 + 37 * i) for i in range(6)] + [
        (f"h{i}", "p2", 150 + 41 * i) for i in range(6)
    ]
    # a busy product everyone buys all month long
    busy = [(f"h{i % 6}", "pop", 5.0 * i) for i in range(140)]
    return frame(ring + honest + busy)


def test_hand_made_ring() -> None:
    res = lockstep(build_graph(hand_made()), window=timedelta(hours=2))
    assert res.groups.columns == [
        "group",
        "n_actors",
        "n_targets",
        "n_bursts",
        "first_ts",
        "last_ts",
        "synchrony",
        "density",
    ]
    assert res.to_frame().columns == ["group", "key", "role", "hits"]
    assert res.bursts.columns == ["group", "key", "start", "end", "n_actors"]
    assert len(res) == 1
    assert res.actors(0) == [f"buyer:r{i}" for i in range(6)]
    assert res.targets(0) == ["product:p1", "product:p2"]
    row = res.groups.row(0, named=True)
    assert (row["n_actors"], row["n_targets"], row["n_bursts"]) == (6, 2, 2)
    assert row["first_ts"] == T0 + timedelta(hours=24)
    assert row["last_ts"] == T0 + timedelta(hours=73)
    assert row["synchrony"] == 1.0 and row["density"] == 1.0
    assert res.to_frame().filter(pl.col("role") == "actor")["hits"].to_list() == [2] * 6


def test_no_group_when_window_too_short_or_ring_too_small() -> None:
    g = build_graph(hand_made())
    assert len(lockstep(g, window=timedelta(minutes=5))) == 0  # ring members are 6-12 min apart
    assert len(lockstep(g, window=timedelta(hours=2), min_actors=7)) == 0
    assert len(lockstep(g, window=timedelta(hours=2), min_targets=3)) == 0
    empty = lockstep(g, actions=["review"])
    assert len(empty) == 0 and empty.groups.schema["synchrony"] == pl.Float64


def test_row_order_does_not_matter() -> None:
    ev = hand_made()
    a = lockstep(build_graph(ev), window=timedelta(hours=2))
    b = lockstep(
        build_graph(ev.sample(fraction=1.0, shuffle=True, seed=9)), window=timedelta(hours=2)
    )
    assert a.groups.equals(b.groups) and a.members.equals(b.members) and a.bursts.equals(b.bursts)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"window": timedelta(0)}, "window"),
        ({"window": 3}, "window"),
        ({"min_actors": 1}, "min_actors"),
        ({"min_targets": 0}, "min_targets"),
        ({"min_bursts": 0}, "min_bursts"),
        ({"min_burst_actors": 1}, "min_burst_actors"),
        ({"min_lift": -1}, "min_lift"),
        ({"alpha": 0}, "alpha"),
        ({"max_target_degree": -1}, "max_target_degree"),
        ({"actions": [1]}, "actions"),
    ],
)
def test_bad_params(kwargs, word) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=word):
        lockstep(build_graph(hand_made()), **kwargs)


def test_needs_event_graph() -> None:
    with pytest.raises(InputError, match="EventGraph"):
        lockstep(build_graph(hand_made()).project())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def synth():
    data = generate(SynthConfig(n_events=50_000, rings_per_pattern=2, seed=3))
    truth = data.truth.with_columns(key=pl.concat_str("entity_type", pl.lit(":"), "entity_id"))
    return data, truth, build_graph(data.events)


def recall_and_organic(
    res, truth: pl.DataFrame, pattern: str, actor_type: str
) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    actors = res.to_frame().filter(pl.col("role") == "actor")
    ring = truth.filter((pl.col("pattern") == pattern) & (pl.col("entity_type") == actor_type))
    found = ring.join(actors, on="key", how="semi").height
    organic = actors.join(truth, on="key", how="anti").height
    return found / ring.height, organic


@pytest.mark.parametrize(
    ("pattern", "actor_type", "min_recall", "max_organic"),
    [
        ("brushing", "buyer", 0.75, 2),
        ("affiliate_fraud", "buyer", 0.8, 2),
        ("mutual_boost", "creator", 0.9, 1),
    ],
)
def test_synthetic_rings(synth, pattern, actor_type, min_recall, max_organic) -> None:  # type: ignore[no-untyped-def]
    _, truth, g = synth
    res = lockstep(g, **LOCKSTEP_PRESETS[pattern])
    recall, organic = recall_and_organic(res, truth, pattern, actor_type)
    assert recall >= min_recall, (pattern, recall)
    assert organic <= max_organic, (pattern, organic)
    # every group is one ring (no group mixes two planted rings)
    labelled = res.to_frame().join(truth.select("key", "ring_id"), on="key")
    assert labelled.group_by("group").agg(pl.col("ring_id").n_unique().alias("n"))["n"].max() == 1


def test_synthetic_copycatch_defaults(synth) -> None:  # type: ignore[no-untyped-def]
    # plain CopyCatch (each member on two targets in lockstep): fewer members, still no organic account
    _, truth, g = synth
    res = lockstep(g, actions=["order"], target_types=["product"])
    recall, organic = recall_and_organic(res, truth, "brushing", "buyer")
    assert recall >= 0.4 and organic == 0
    assert res.groups["synchrony"].min() > 0.5


def test_organic_copurchases_are_not_groups(synth) -> None:  # type: ignore[no-untyped-def]
    # the organic background alone (every event of a ring member removed): niche buyers
    # sharing popular products at random times form no lockstep group
    data, truth, _ = synth
    ev = data.events.with_columns(key=pl.concat_str("actor_type", pl.lit(":"), "actor_id"))
    g = build_graph(ev.join(truth.select("key"), on="key", how="anti").drop("key"))
    for preset in ("brushing", "affiliate_fraud"):
        assert len(lockstep(g, **LOCKSTEP_PRESETS[preset])) == 0
    assert len(lockstep(g, actions=["order"], target_types=["product"])) == 0


# ---- several time scales -------------------------------------------------------------


def test_windows_from_the_data() -> None:
    from ringlens.detect import lockstep_windows

    g = build_graph(hand_made())
    w = lockstep_windows(g)
    # seconds-resolution times over about a month: one minute up to period / (2 * min_lift)
    assert w[0] == timedelta(minutes=1)
    assert all(b / a == 4 for a, b in zip(w, w[1:], strict=False))
    span = hand_made()["ts"].max() - hand_made()["ts"].min()  # type: ignore[operator]
    assert w[-1] <= span / 10 < w[-1] * 4
    # daily exports: nothing below a day
    days = hand_made().with_columns(pl.col("ts").dt.truncate("1d"))
    assert lockstep_windows(build_graph(days))[0] == timedelta(days=1)
    assert lockstep_windows(g, min_window=timedelta(hours=1), max_window=timedelta(hours=5)) == [
        timedelta(hours=1),
        timedelta(hours=4),
    ]
    assert lockstep_windows(g, actions=["nothing"]) == []


def test_multiscale_finds_the_hand_made_ring() -> None:
    from ringlens.detect import lockstep_multiscale

    res = lockstep_multiscale(build_graph(hand_made()), min_actors=5, min_bursts=2)
    assert res.groups.columns == [
        "group",
        "n_actors",
        "n_targets",
        "n_scales",
        "windows",
        "best_window",
        "first_ts",
        "last_ts",
        "synchrony",
        "density",
        "log10_pvalue",
        "significance",
    ]
    assert res.to_frame().columns == ["group", "key", "role", "hits", "n_scales"]
    assert len(res) == 1 and res.actors(0) == [f"buyer:r{i}" for i in range(6)]
    row = res.groups.row(0, named=True)
    assert row["n_scales"] == len(row["windows"]) >= 2  # one group, found at several scales
    assert row["best_window"] in row["windows"]
    assert set(res.bursts["window"]) == set(row["windows"])


def test_live_is_not_a_burst_but_a_ring_on_a_live_target_is() -> None:
    # a stream whose 200 viewers all gift within its one hour, ten streams; and five
    # accounts that gift together twice on a target that is active all month
    from ringlens.detect import lockstep_multiscale

    rows = []
    for s in range(10):
        start = 24.0 * (s + 1) + 20
        rows += [(f"v{(i * 7 + s) % 400}", f"live{s}", start + (i % 60) / 60) for i in range(200)]
    rows += [(f"h{i}", "shop", 5.0 * i + 0.3) for i in range(140)]
    rows += [(f"r{i}", "shop", 100 + i * 0.05) for i in range(5)]
    rows += [(f"r{i}", "shop", 400 + i * 0.05) for i in range(5)]
    g = build_graph(frame(rows, action="tip"))
    res = lockstep_multiscale(g, min_actors=5, min_bursts=2)
    assert [sorted(res.actors(i)) for i in range(len(res))] == [[f"buyer:r{i}" for i in range(5)]]
    # against the month instead of each target's own hour, the audiences burst
    period = lockstep(g, window=timedelta(minutes=16), min_targets=1, min_bursts=2)
    assert any(k.startswith("buyer:v") for k in period.to_frame()["key"])


def test_regulars_meeting_in_a_targets_peaks_are_not_in_lockstep() -> None:
    # the hand-made ring's six buyers strike p1 and p2 together, on a platform busy with
    # other products; then the same six as regulars: each also buys p1 and p2 on its own
    # six times over the month. The strikes are the same, but now they are a small part
    # of what the six do on p1 and p2
    from ringlens.detect import lockstep_multiscale

    busy = frame([(f"x{i % 50}", f"pop{i % 7}", 0.3 * i) for i in range(2400)])
    regular = frame(
        [
            (f"r{i}", p, 200.0 + 17.0 * k + 2.9 * i + (0.0 if p == "p1" else 5.5))
            for i in range(6)
            for k in range(6)
            for p in ("p1", "p2")
        ]
    )
    ring = lockstep_multiscale(build_graph(pl.concat([hand_made(), busy])), min_actors=5)
    assert len(ring) == 1 and ring.groups["synchrony"][0] == 1.0
    g = build_graph(pl.concat([hand_made(), busy, regular]))
    kept = lockstep_multiscale(g, min_actors=5, min_synchrony=0.0)
    assert len(kept) == 1 and kept.groups["synchrony"][0] < 0.25  # in step for a sliver
    default = lockstep_multiscale(g, min_actors=5)
    assert len(default) == 0 and default.params["min_synchrony"] == 0.25
    with pytest.raises(ConfigError, match="min_synchrony"):
        lockstep_multiscale(g, min_synchrony=1.5)


def test_lockstep_new_options_keep_defaults() -> None:
    g = build_graph(hand_made())
    base = lockstep(g, window=timedelta(hours=2))
    same = lockstep(g, window=timedelta(hours=2), baseline="period", pair_alpha=None)
    assert base.groups.equals(same.groups) and base.members.equals(same.members)
    with pytest.raises(ConfigError, match="baseline"):
        lockstep(g, baseline="week")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="pair_alpha"):
        lockstep(g, pair_alpha=0)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"windows": []}, "windows"),
        ({"windows": [timedelta(0)]}, "windows"),
        ({"pair_alpha": 2}, "pair_alpha"),
        ({"group_alpha": 0}, "group_alpha"),
        ({"min_overlap": 0}, "min_overlap"),
        ({"ratio": 1}, "ratio"),
    ],
)
def test_multiscale_bad_params(kwargs, word) -> None:  # type: ignore[no-untyped-def]
    from ringlens.detect import lockstep_multiscale

    with pytest.raises(ConfigError, match=word):
        lockstep_multiscale(build_graph(hand_made()), **kwargs)


def test_multiscale_on_synthetic_data(synth) -> None:  # type: ignore[no-untyped-def]
    from ringlens.detect import lockstep_multiscale

    _, truth, g = synth
    # the shops sell in their market, so a brushing crew's bursts draw from its market's
    # buyers (the pools of the markets): lockstep alone links about half of the fake
    # buyers; the run finds the rest through dense blocks and expansion
    for actions, pattern, least in (
        (["order"], "brushing", 0.45),
        (["affiliate_click"], "affiliate_fraud", 0.9),
    ):
        res = lockstep_multiscale(g, actions=actions)
        recall, organic = recall_and_organic(res, truth, pattern, "buyer")
        assert organic == 0 and recall >= least, (actions, recall, organic)


def test_prepared_events_are_in_target_time_actor_order_either_way() -> None:
    """Lockstep reads each target's events in (dst, ts, src) order; the packed one-key sort
    and the three-key sort it falls back to (ids and times too wide for 64 bits) agree."""
    import importlib

    import numpy as np

    mod = importlib.import_module("ringlens.detect.lockstep")

    rng = np.random.default_rng(5)
    n = 3000
    ev = (
        pl.DataFrame(
            {
                "src": pl.Series(rng.integers(0, 50, n), dtype=pl.UInt32),
                "dst": pl.Series(rng.integers(0, 2**31, n) // 2**25 * 2**25, dtype=pl.UInt32),
                "ts_us": pl.Series(rng.integers(0, 40, n) * 3_600_000_000, dtype=pl.Int64),
            }
        )
        .unique()
        .sort("src", "dst", "ts_us")
    )
    want = ev.sort("dst", "ts_us", "src")
    assert mod._by_target_time(ev).equals(want)
    wide = ev.with_columns(pl.col("ts_us") * 2**23)  # 61 + 6 bits: too wide, 3-key sort
    assert mod._by_target_time(wide).equals(wide.sort("dst", "ts_us", "src"))


def test_a_new_listing_that_only_a_ring_ever_touched_still_bursts() -> None:
    """Twelve accounts buy a new seller's two listings in three bursts over two days, and
    nobody else ever buys them. Measured against the listings' own two days, those bursts
    were the listings' normal activity; listings are a long-lived kind of target (the
    shop's others sell all month), so they are bursts."""
    import numpy as np

    from ringlens.detect import lockstep_multiscale

    rng = np.random.default_rng(5)
    rows = [
        (f"h{int(b)}", f"item{i}", float(t))
        for i in range(30)
        for b, t in zip(rng.integers(0, 300, 15), rng.uniform(0, 720, 15), strict=True)
    ]
    for burst, start in enumerate((30.0, 41.0, 70.0)):
        for j in range(4):
            a = f"r{burst * 4 + j}"
            rows += [(a, "new1", start + 0.1 * j), (a, "new2", start + 0.1 * j + 0.05)]
    res = lockstep_multiscale(build_graph(frame(rows)), min_actors=5, min_bursts=2)
    found = {k for i in range(len(res)) for k in res.actors(i)}
    assert {f"buyer:r{i}" for i in range(12)} <= found
    assert not any(k.startswith("buyer:h") for k in found)


def _cities(seed: int) -> pl.DataFrame:
    """Four cities six hours apart, each with 60 couriers and 30 kitchens: every kitchen's
    runs through the city's day, and 140 rushes in which 12 of the city's couriers take
    one kitchen's runs around its noon (so a city's couriers meet in its rushes again and
    again); and six `west` couriers striking a kitchen together eight times."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t0 = datetime(2024, 3, 4, tzinfo=timezone.utc)
    rows = []
    for city, utc_noon in (("east", 3), ("north", 9), ("south", 15), ("west", 21)):
        couriers = [f"{city}-c{i}" for i in range(60)]
        kitchens = [f"{city}-k{i}" for i in range(30)]
        for k in kitchens:
            for d in range(28):
                for _ in range(2):
                    h = utc_noon - 4 + rng.uniform(0, 12)
                    rows.append((couriers[rng.integers(60)], k, d * 24 + h, city))
        for _ in range(140):
            k = kitchens[rng.integers(30)]
            at = rng.integers(28) * 24 + utc_noon + rng.uniform(-1, 1)
            for i in rng.choice(60, size=12, replace=False):
                rows.append((couriers[i], k, at + rng.uniform(0, 0.5), city))
    for _ in range(8):
        k = f"west-k{rng.integers(30)}"
        at = rng.integers(28) * 24 + rng.uniform(0, 24)
        rows += [(f"west-c{i}", k, at + i / 60, "west") for i in range(6)]
    df = pl.DataFrame(rows, schema=["actor_id", "target_id", "h", "market"], orient="row")
    return df.select(
        "actor_id",
        pl.lit("courier").alias("actor_type"),
        "target_id",
        pl.lit("kitchen").alias("target_type"),
        pl.lit("accept").alias("action"),
        (pl.lit(t0) + pl.duration(microseconds=(pl.col("h") * 3.6e9).cast(pl.Int64))).alias("ts"),
        "market",
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_citys_couriers_meeting_in_its_rushes_are_no_group_but_a_crew_is(seed: int) -> None:
    # a city's couriers are drawn from its own activity, not the platform's: against all
    # four cities' activity, every city's couriers would be one lockstep group
    from ringlens.detect import lockstep_multiscale

    ev = _cities(seed)
    res = lockstep_multiscale(build_graph(ev))
    crew = {f"courier:west-c{i}" for i in range(6)}
    assert len(res) == 1 and crew <= set(res.actors(0)) and len(res.actors(0)) <= 7
    # the same events without markets: the platform's activity is the only baseline
    blind = lockstep_multiscale(build_graph(ev.with_columns(pl.lit(None).alias("market"))))
    assert sorted(len(blind.actors(i)) for i in range(len(blind)))[-4:] == [60, 60, 60, 60]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_crew_of_couriers_working_two_cities_is_still_found(seed: int) -> None:
    # three of the crew also work the east city's runs (their events split between the
    # two markets): each burst draws them in proportion to their events in its city
    from ringlens.detect import lockstep_multiscale

    moved = {f"west-c{i}": f"east-c{i - 3}" for i in range(3, 6)}
    ev = _cities(seed).with_columns(pl.col("actor_id").replace(moved))
    res = lockstep_multiscale(build_graph(ev))
    crew = {f"courier:west-c{i}" for i in range(3)} | {f"courier:east-c{i}" for i in range(3)}
    assert len(res) == 1 and crew <= set(res.actors(0)) and len(res.actors(0)) <= 7


def two_rings_and_a_bridge() -> pl.DataFrame:
    """Two rings of 15 buyers, each on its own two products in its own two bursts, and
    one buyer who took part in all four bursts (a hijacked account both crews used)."""
    rows = []
    for ring, (p, q, day) in enumerate((("a1", "a2", 1), ("b1", "b2", 4))):
        members = [f"r{ring}_{i}" for i in range(15)] + ["bridge"]
        for i, m in enumerate(members):
            rows += [(m, p, 24 * day + i * 0.05), (m, q, 24 * (day + 2) + i * 0.05)]
    busy = [(f"h{i % 6}", "pop", 5.0 * i) for i in range(140)]  # a month of background
    return frame(rows + busy)


def test_two_rings_joined_by_one_account_are_two_groups() -> None:
    res = lockstep(build_graph(two_rings_and_a_bridge()), window=timedelta(hours=2))
    groups = [set(res.actors(g)) for g in res.groups["group"].to_list()]
    assert len(groups) == 2
    rings = [{f"buyer:r{r}_{i}" for i in range(15)} for r in (0, 1)]
    # each ring is one group; the bridge belongs to one of them
    assert sorted(len(g - {"buyer:bridge"}) for g in groups) == [15, 15]
    assert {frozenset(g - {"buyer:bridge"}) for g in groups} == {frozenset(r) for r in rings}
    assert sum("buyer:bridge" in g for g in groups) == 1


def test_market_pools_count_each_target_in_its_majority_market(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # targets 0-1 are mostly "north", 2 mostly "south", 3 split half and half (no
    # majority: the pool of no market); "tiny" never reaches a pool of its own
    import importlib

    import numpy as np

    ls = importlib.import_module("ringlens.detect.lockstep")
    monkeypatch.setattr(ls, "MIN_STRATUM", 4)
    monkeypatch.setattr(ls, "MIN_POOL_ACTORS", 2)
    rows = [  # (actor, target, market)
        (10, 0, "north"), (11, 0, "north"), (12, 0, "south"), (10, 1, "north"),
        (13, 1, "north"), (20, 2, "south"), (21, 2, "south"), (22, 2, "south"),
        (20, 2, "tiny"), (30, 3, "north"), (31, 3, "south"), (32, 3, None),
        (33, 3, "tiny"),
    ]  # fmt: skip
    src = np.array([r[0] for r in rows], dtype=np.uint32)
    target = np.array([r[1] for r in rows])
    market = pl.Series("market", [r[2] for r in rows], dtype=pl.Categorical)

    def pools():  # type: ignore[no-untyped-def]
        p = ls._market_pools(src, np.arange(4, dtype=np.uint32) + 100, target, market)
        assert p is not None
        return p

    dense = pools()
    assert dense.target.sort("dst").rows() == [(100, 0), (101, 0), (102, 1), (103, 2)]
    # each actor's events per pool (north 0, south 1, the rest 2)
    assert dense.activity.sort("src", "pool").rows() == [
        (10, 0, 2), (11, 0, 1), (12, 0, 1), (13, 0, 1), (20, 1, 2), (21, 1, 1),
        (22, 1, 1), (30, 2, 1), (31, 2, 1), (32, 2, 1), (33, 2, 1),
    ]  # fmt: skip
    assert dense.events.tolist() == [5.0, 4.0, 4.0] and dense.actors.tolist() == [4.0, 3.0, 4.0]
    # grids too large for one bincount are counted by sorting: the same pools
    monkeypatch.setattr(ls, "_MAX_GRID", 0)
    sorted_ = pools()
    assert sorted_.target.equals(dense.target) and sorted_.activity.equals(dense.activity)
    assert sorted_.events.tolist() == dense.events.tolist()
    # one market with enough events is no pool structure at all
    monkeypatch.setattr(ls, "MIN_STRATUM", 5)
    assert ls._market_pools(src, np.arange(4, dtype=np.uint32), target, market) is None


def _one_strike_crew(seed: int) -> pl.DataFrame:
    """3,000 buyers with one order each over two months on 300 products (two of them,
    ``a`` and ``b``, bought now and then all along); a crew of sixteen buys ``a`` and
    ``b`` in the same hour of day 30 and nothing else but two orders each elsewhere."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = 3000
    products = [f"p{int(i)}" for i in rng.integers(0, 300, n)]
    products[:40] = ["a"] * 20 + ["b"] * 20
    rows = [(f"h{i}", products[i], float(t)) for i, t in enumerate(rng.uniform(0, 1440, n))]
    for j in range(16):
        at = 720.0 + rng.uniform(0, 1)
        rows += [(f"r{j}", "a", at), (f"r{j}", "b", at + rng.uniform(0, 0.2))]
        rows += [
            (f"r{j}", f"p{int(p)}", float(t))
            for p, t in zip(rng.integers(0, 300, 2), rng.uniform(0, 1440, 2), strict=True)
        ]
    return frame(rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_crew_striking_two_products_once_is_a_group(seed: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Sixteen accounts in two bursts are no group by how often they meet once the ways
    to choose sixteen of 3,000 accounts are paid for; two bursts on two products that
    share sixteen accounts are, whatever the crew's size."""
    import importlib

    import numpy as np

    from ringlens.detect import lockstep_multiscale

    g = build_graph(_one_strike_crew(seed))
    res = lockstep_multiscale(g, min_actors=5, min_bursts=2)
    found = {k for i in range(len(res)) for k in res.actors(i)}
    assert len(found & {f"buyer:r{j}" for j in range(16)}) >= 14
    assert not any(k.startswith("buyer:h") for k in found)
    # the members test alone does not find the crew
    mod = importlib.import_module("ringlens.detect.lockstep")
    monkeypatch.setattr(mod, "_overlap_log10_pvalue", lambda *a, **k: np.zeros(a[1].len()))
    assert len(lockstep_multiscale(g, min_actors=5, min_bursts=2)) == 0


def test_the_bursts_near_each_other_are_every_pair_a_window_apart_in_order() -> None:
    # the overlap test's pairs: j < l (bursts sorted by start) whose spans come within a
    # window, row-major — the same pairs, in the same order, as the full comparison
    import numpy as np

    from ringlens.detect.lockstep import _near_pairs

    rng = np.random.default_rng(4)
    for n in (1, 2, 7, 60):
        start = np.sort(rng.integers(0, 10_000, n))
        end = start + rng.integers(0, 900, n)
        near = (start[:, None] <= end[None, :] + 300) & (start[None, :] <= end[:, None] + 300)
        want = np.nonzero(np.triu(near, 1))
        got = _near_pairs(start, end, 300)
        assert [a.tolist() for a in got] == [a.tolist() for a in want]
