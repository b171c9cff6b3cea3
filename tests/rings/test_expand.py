"""Growing candidate rings to their full membership (``ringlens.rings.expand``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from ringlens.graph import build_graph
from ringlens.rings.expand import expand_candidates, split_candidates

T = datetime(2026, 5, 1, tzinfo=UTC)


def _candidate(detector: str, keys: list[str]) -> pl.DataFrame:
    """One candidate (``"0"``) of ``detector`` with these member keys, strength 1."""
    return pl.DataFrame({"detector": detector, "candidate": "0", "key": keys, "strength": 1.0})


def _shop(
    ev: pl.DataFrame, kinds: tuple[tuple[str, str], ...], n_accounts: int = 100
) -> pl.DataFrame:
    """``ev`` in a shop: ``n_accounts`` other accounts each act on 20 of 200 other targets of
    each (target type, action) kind over most of a year. Whether a few hits on a ring's
    targets are beyond chance depends on what else there is to hit (in a shop of two
    products, everyone buys both)."""
    actor_type = ev["actor_type"][0]
    t0 = ev["ts"].min()
    rows = [
        (f"bg{i}", action, t_type, f"{t_type}_bg{(7 * i + k) % 200}", actor_type)
        for t_type, action in kinds
        for i in range(n_accounts)
        for k in range(20)
    ]
    bg = pl.DataFrame(
        rows,
        schema=["actor_id", "action", "target_type", "target_id", "actor_type"],
        orient="row",
    ).with_columns(
        ts=pl.Series([t0 + timedelta(days=1 + n % 300, hours=n % 24) for n in range(len(rows))])
    )
    return pl.concat([ev, bg.select(ev.columns)])


def _farm() -> pl.DataFrame:
    """A farm of ten accounts on two phones and one wallet: seven brush two products,
    three only log in; a member's family phone with two relatives; a voucher that
    the seven claim with four strangers; 400 people each on their own phone."""
    rows = [(f"f{i}", "sign_in", "phone", f"farm{i % 2}") for i in range(10)]
    rows += [(f"f{i}", "cash_out", "wallet", "w1") for i in range(10)]
    rows += [(f"f{i}", "order", "product", p) for i in range(7) for p in ("p", "q")]
    rows += [(f"f{i}", "claim", "voucher", "v") for i in range(7)]
    rows += [(f"x{i}", "claim", "voucher", "v") for i in range(4)]
    rows += [("f0", "sign_in", "phone", "home")] + [
        (f"r{i}", "sign_in", "phone", "home") for i in range(2)
    ]
    rows += [(f"o{i}", "sign_in", "phone", f"own{i}") for i in range(400)]
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_type", "target_id"], orient="row")
    return ev.with_columns(
        actor_type=pl.lit("user"),
        ts=pl.Series([T + timedelta(minutes=i) for i in range(len(rows))]),
    )


def test_accounts_on_the_rings_own_phones_join_but_not_family_or_voucher_strangers() -> None:
    g = build_graph(_farm())
    core = _candidate("lockstep", [f"user:f{i}" for i in range(7)])
    out = expand_candidates(g, core, attribute_types=("phone", "wallet", "tablet", "voucher"))
    added = sorted(set(out["key"]) - set(core["key"]))
    # the three log-in-only accounts of the farm's phones and wallet; not the member's
    # relatives on the family phone, nor the voucher's other claimers (a voucher is not
    # personal: many claim one)
    assert added == ["user:f7", "user:f8", "user:f9"]
    strength = dict(zip(out["key"], out["strength"], strict=True))
    assert 0.5 <= strength["user:f9"] <= 1.0
    # without attribute types nothing is known to be personal: no one joins that way
    assert sorted(expand_candidates(g, core)["key"]) == sorted(core["key"])


def test_a_farm_behind_a_carriers_addresses_is_no_crowd() -> None:
    # the farm's accounts also connect through eight addresses of a carrier that 300
    # other customers rotate over: those addresses are no farm's own, so their other
    # users' hits count only in the farm's moments. Counted at any time, the 300 covered
    # the farm's targets and the candidate was dropped as a crowd
    farm = _farm()
    rows = [(f"f{i}", "ping_from", "netaddr", f"nat{k}") for i in range(10) for k in range(8)]
    rows += [(f"c{i}", "ping_from", "netaddr", f"nat{k}") for i in range(300) for k in range(8)]
    rows += [(f"c{i}", "sign_in", "phone", f"cphone{i}") for i in range(300)]
    carrier = pl.DataFrame(
        rows, schema=["actor_id", "action", "target_type", "target_id"], orient="row"
    ).with_columns(
        actor_type=pl.lit("user"),
        ts=pl.Series([T + timedelta(days=3 + i % 60, hours=i % 24) for i in range(len(rows))]),
    )
    g = build_graph(pl.concat([farm, carrier.select(farm.columns)]))
    core = _candidate("shared_targets", [f"user:f{i}" for i in range(7)])
    out = expand_candidates(g, core, attribute_types=("phone", "wallet", "netaddr"))
    assert sorted(out["key"]) == [f"user:f{i}" for i in range(10)]


def test_a_slow_rings_private_targets_count_at_any_time() -> None:
    # ten accounts redeem a private promo, buy its product and a popular one over three
    # weeks; the detector saw six of them; the popular product's other buyers stay out
    rows, ts = [], []
    for i in range(10):
        for target in ("promo:pm1", "product:cheap", "product:hit"):
            t_type, t_id = target.split(":")
            rows.append((f"r{i}", "act", t_type, t_id))
            ts.append(T + timedelta(days=2 * i, hours=i))
    for i in range(40):  # the hit's other buyers, some also buying the promo's product
        rows += [(f"o{i}", "act", "product", "hit")]
        ts += [T + timedelta(days=i % 20, hours=20)]
    rows += [("o0", "act", "product", "cheap")]
    ts += [T + timedelta(days=40)]
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_type", "target_id"], orient="row")
    ev = ev.with_columns(actor_type=pl.lit("user"), ts=pl.Series(ts))
    ev = _shop(ev, (("promo", "act"), ("product", "act")))
    core = _candidate("communities", [f"user:r{i}" for i in range(6)])
    out = expand_candidates(build_graph(ev), core)
    # the promo and its product are the ring's own (more than half their users are
    # members): the other four join, days after any member's hit; the hit is not, and
    # the outsider who bought the promo's product later shares one own target and
    # the hit (at other hours): not enough
    assert sorted(set(out["key"]) - set(core["key"])) == [f"user:r{i}" for i in range(6, 10)]


def test_many_candidates_on_one_busy_target_join_the_same_members_as_one() -> None:
    """Rings that burst month after month on the same products become many candidates
    sharing those targets; each still takes in exactly the outsiders who hit in step with
    its own members (the events are filtered near the members' hits before they meet the
    candidates, so the work does not multiply by the candidates)."""
    rows = []
    for month in range(6):
        t0 = T + timedelta(days=30 * month)
        # the ring: five accounts on p and q within minutes; one newcomer per month in step
        for i in range(5):
            rows += [(f"r{i}", p, t0 + timedelta(minutes=2 * i)) for p in ("p", "q")]
        rows += [(f"new{month}", p, t0 + timedelta(minutes=11)) for p in ("p", "q")]
        # shoppers of p and q spread over the month, never near the bursts
        rows += [
            (f"s{month}_{k}", p, t0 + timedelta(days=3 + k % 20, hours=k % 7))
            for k in range(60)
            for p in ("p", "q")
        ]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "ts"], orient="row").with_columns(
        actor_type=pl.lit("buyer"), target_type=pl.lit("product"), action=pl.lit("order")
    )
    g = build_graph(_shop(ev, (("product", "order"),)))
    one = pl.DataFrame(
        {"detector": "lockstep", "candidate": "0", "key": [f"buyer:r{i}" for i in range(5)]}
    ).with_columns(strength=pl.lit(1.0))
    many = pl.concat([one.with_columns(candidate=pl.lit(str(m))) for m in range(6)])
    alone = expand_candidates(g, one, window=timedelta(hours=1))
    together = expand_candidates(g, many, window=timedelta(hours=1))
    joined = sorted(set(alone["key"]) - set(one["key"]))
    assert joined == [f"buyer:new{m}" for m in range(6)]  # no shopper of the month
    for m in range(6):
        got = together.filter(pl.col("candidate") == str(m)).drop("candidate")
        assert got.equals(alone.drop("candidate")), m


def test_a_hit_in_a_crowds_hour_is_not_the_rings_moment() -> None:
    # three of the ring's accounts (the detector's core) and a fourth buy p and q within
    # minutes on day 1; on day 5 a flash sale: thirty shoppers buy p, thirty buy q in one
    # hour, one ring member among them as cover, and one shopper s0 buys both
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    rows = [
        (f"r{i}", item, t0 + timedelta(days=1, minutes=5 * i)) for i in range(4) for item in "pq"
    ]
    sale = t0 + timedelta(days=5)
    rows += [("r0", item, sale + timedelta(minutes=20)) for item in "pq"]
    rows += [(f"a{i}", "p", sale + timedelta(minutes=i)) for i in range(30)]
    rows += [(f"b{i}", "q", sale + timedelta(minutes=i)) for i in range(30)]
    rows += [("s0", item, sale + timedelta(minutes=21)) for item in "pq"]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "ts"], orient="row").with_columns(
        actor_type=pl.lit("buyer"), target_type=pl.lit("product"), action=pl.lit("order")
    )
    core = _candidate("x", [f"buyer:r{i}" for i in range(3)])
    out = expand_candidates(
        build_graph(_shop(ev, (("product", "order"),))), core, window=timedelta(hours=1)
    )
    # the fourth account joins for the ring's own moment; the sale's shopper does not,
    # though it bought both items minutes after a member did
    assert sorted(out["key"]) == [f"buyer:r{i}" for i in range(4)]


def test_a_power_user_whose_volume_explains_its_hits_does_not_join() -> None:
    # five ring accounts buy p, q and r within minutes (twenty shoppers buy them on other
    # days); a new account and a power user (300 of the 400 other products of the shop
    # over the year) both buy p and q minutes after them; a hundred shoppers buy 40
    # products each
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    rows = [(f"r{i}", item, t0 + timedelta(minutes=3 * i)) for i in range(5) for item in "pqr"]
    rows += [(f"b{i}", item, t0 + timedelta(days=2 + i)) for i in range(20) for item in "pqr"]
    rows += [(who, item, t0 + timedelta(minutes=20)) for who in ("new", "power") for item in "pq"]
    rows += [("power", f"c{k}", t0 + timedelta(days=1 + k)) for k in range(300)]
    rows += [
        (f"s{i}", f"c{(7 * i + k) % 400}", t0 + timedelta(days=1 + (i + k) % 300, hours=i % 24))
        for i in range(100)
        for k in range(40)
    ]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "ts"], orient="row").with_columns(
        actor_type=pl.lit("buyer"), target_type=pl.lit("product"), action=pl.lit("order")
    )
    core = pl.DataFrame(
        {"detector": "x", "candidate": "0", "key": [f"buyer:r{i}" for i in range(5)]}
    ).with_columns(strength=pl.lit(1.0))
    g = build_graph(ev)
    out = expand_candidates(g, core, window=timedelta(hours=1))
    # two of the ring's three products are beyond chance for an account that buys only
    # them, and what a buyer of 300 products hits in passing
    assert sorted(set(out["key"]) - set(core["key"])) == ["buyer:new"]
    off = expand_candidates(g, core, window=timedelta(hours=1), max_chance=1.0)
    assert sorted(set(off["key"]) - set(core["key"])) == ["buyer:new", "buyer:power"]


def test_a_farm_phone_becomes_the_rings_once_its_accounts_join() -> None:
    # nine accounts on one phone; the detector saw four (who buy p and q together: too
    # few to call the phone the ring's); two more buy p and q minutes later and join
    # through their hits; then the phone is two-thirds the ring's and its last three
    # accounts, which only sign in, join.
    # A member's family phone (one member, two relatives) stays theirs.
    rows = [(f"f{i}", "sign_in", "phone", "farm", 0) for i in range(9)]
    rows += [(f"f{i}", "order", "product", item, 10 + i) for i in range(6) for item in "pq"]
    rows += [(who, "sign_in", "phone", "home", 30) for who in ("f0", "r1", "r2")]
    rows += [(f"o{i}", "sign_in", "phone", f"own{i}", 40) for i in range(400)]
    ev = pl.DataFrame(
        rows, schema=["actor_id", "action", "target_type", "target_id", "m"], orient="row"
    ).with_columns(
        actor_type=pl.lit("user"),
        ts=pl.lit(T) + pl.duration(minutes=pl.col("m")),
    )
    ev = _shop(ev.drop("m"), (("product", "order"),))
    core = pl.DataFrame(
        {"detector": "x", "candidate": "0", "key": [f"user:f{i}" for i in range(4)]}
    ).with_columns(strength=pl.lit(1.0))
    out = expand_candidates(build_graph(ev), core, attribute_types=("phone",))
    assert sorted(out["key"]) == [f"user:f{i}" for i in range(9)]


def _in_step_on_busy_zones() -> pl.DataFrame:
    """Two groups of six drivers queueing together at three busy zones every evening for
    a week (``fresh*`` and ``old*``), and 300 other drivers each queueing at the zones
    now and then: every zone's audience is mostly other drivers."""
    rows = [
        (f"{g}{i}", f"z{z}", T + timedelta(days=d, hours=18 + z, minutes=i))
        for g in ("fresh", "old")
        for i in range(6)
        for z in range(3)
        for d in range(7)
    ]
    rows += [(f"bg{i}", f"z{i % 3}", T + timedelta(days=i % 30, hours=i % 24)) for i in range(300)]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "ts"], orient="row")
    return ev.with_columns(
        actor_type=pl.lit("driver"), target_type=pl.lit("zone"), action=pl.lit("queue_at")
    )


def test_a_candidate_in_step_on_busy_targets_stays_whole_only_when_its_accounts_are_new() -> None:
    g = build_graph(_in_step_on_busy_zones())
    cands = pl.DataFrame(
        {
            "detector": "lockstep",
            "candidate": [grp for grp in ("a", "b") for _ in range(6)],
            "key": [f"driver:{grp}{i}" for grp in ("fresh", "old") for i in range(6)],
            "strength": 1.0,
        }
    )
    new = pl.Series([f"driver:fresh{i}" for i in range(6)] + [f"driver:bg{i}" for i in range(30)])
    kept = split_candidates(g, cands, timing=("lockstep",), new_accounts=(new, 0.1))
    # no zone is the group's own (each is a third of the platform's queueing): nothing to
    # split along; six new drivers (the platform's rate is 10 %) stay a candidate, six old
    # ones in step on their commute are dropped
    assert sorted(kept["key"]) == [f"driver:fresh{i}" for i in range(6)]
    assert set(kept["candidate"]) == {"a"}
    # without the accounts' ages nothing sets either group apart
    assert split_candidates(g, cands).height == 0
    # a structure detector's group with no target of its own is a slice of an audience
    blocks = cands.with_columns(detector=pl.lit("communities"))
    assert split_candidates(g, blocks, timing=("lockstep",), new_accounts=(new, 0.1)).height == 0


def test_a_candidate_in_step_on_busy_targets_at_a_scale_of_days_stays_whole() -> None:
    # lockstep found the old drivers' group at a scale of days (a campaign over days),
    # not of hours (the evening queue every day): it is kept whole for the ring stage to
    # judge; found at three hours it is a commute, and a scale of another candidate's
    # says nothing of this one
    g = build_graph(_in_step_on_busy_zones())
    cands = pl.DataFrame(
        {
            "detector": "lockstep",
            "candidate": "b",
            "key": [f"driver:old{i}" for i in range(6)],
            "strength": 1.0,
        }
    )

    def scales(candidate: str, window: float) -> pl.DataFrame:
        return pl.DataFrame(
            {"detector": "lockstep", "candidate": candidate, "key": "zone:z0", "window": window}
        )

    days = split_candidates(g, cands, timing=("lockstep",), scales=scales("b", 4 * 86_400.0))
    assert sorted(days["key"]) == [f"driver:old{i}" for i in range(6)]
    assert (
        split_candidates(g, cands, timing=("lockstep",), scales=scales("b", 3 * 3600.0)).height == 0
    )
    assert (
        split_candidates(g, cands, timing=("lockstep",), scales=scales("a", 4 * 86_400.0)).height
        == 0
    )
    # a structure detector's group has no scale to be judged at
    blocks = cands.with_columns(detector=pl.lit("communities"))
    assert (
        split_candidates(g, blocks, timing=("lockstep",), scales=scales("b", 4 * 86_400.0)).height
        == 0
    )


def test_a_whole_candidate_is_neither_split_nor_grown() -> None:
    # families met on a rare target: what links them is the target they met on, which
    # none of them owns; the same accounts as an ordinary candidate have no own target
    from ringlens.rings.expand import WHOLE

    g = build_graph(_farm())
    keys = ["user:f0", "user:r0", "user:x0", "user:x1"]
    plain = pl.DataFrame(
        {"detector": "shared_targets", "candidate": "3", "key": keys, "strength": 0.5}
    )
    whole = plain.with_columns(pl.lit(f"{WHOLE}3").alias("candidate"))
    assert split_candidates(g, plain).height == 0
    assert split_candidates(g, whole).equals(whole)
    # the farm's own phones bring in its log-in-only accounts, but not into a whole one
    farm = pl.DataFrame(
        {
            "detector": "lockstep",
            "candidate": ["0"] * 7 + [f"{WHOLE}1"] * 7,
            "key": [f"user:f{i}" for i in range(7)] * 2,
            "strength": 1.0,
        }
    )
    grown = expand_candidates(g, farm, attribute_types=("phone", "wallet"))
    assert grown.filter(pl.col("candidate") == "0").height == 10
    assert grown.filter(pl.col("candidate") == f"{WHOLE}1").equals(farm.tail(7))


def test_a_paid_rater_of_one_of_the_rings_own_targets_in_its_hours_joins() -> None:
    # a boost: eight accounts rate a small app (most of its raters are theirs) and a
    # popular one in the same two hours; the detector saw the eight. Five more paid
    # raters rate only the small app in those hours: they join. One of its organic
    # raters rates it ten days later, four others rate only the popular app in the
    # boost's hours: none of them joins.
    rows, ts = [], []
    for i in range(8):
        for app in ("boosted", "popular"):
            rows.append((f"r{i}", app))
            ts.append(T + timedelta(days=3, minutes=10 * i))
    for i in range(5):
        rows.append((f"paid{i}", "boosted"))
        ts.append(T + timedelta(days=3, minutes=5 + 15 * i))
    rows.append(("later", "boosted"))
    ts.append(T + timedelta(days=13))
    for i in range(4):
        rows.append((f"crowd{i}", "popular"))
        ts.append(T + timedelta(days=3, minutes=7 + 20 * i))
    for i in range(60):  # the popular app's other raters, all month
        rows.append((f"fan{i}", "popular"))
        ts.append(T + timedelta(days=i % 30, hours=i % 24))
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id"], orient="row").with_columns(
        actor_type=pl.lit("user"),
        action=pl.lit("rate"),
        target_type=pl.lit("app"),
        ts=pl.Series(ts),
    )
    # a store of 400 other raters: a single rating on the small app in the boost's hours
    # is then far beyond what an account rating one app explains
    ev = ev.select("actor_id", "action", "target_type", "target_id", "actor_type", "ts")
    ev = _shop(ev, (("app", "rate"),), n_accounts=400)
    core = _candidate("lockstep", [f"user:r{i}" for i in range(8)])
    out = expand_candidates(build_graph(ev), core)
    assert sorted(set(out["key"]) - set(core["key"])) == [f"user:paid{i}" for i in range(5)]
