"""Shared attributes: devices and payout accounts beyond households."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import polars as pl
import pytest

from ringlens.detect import shared_attributes
from ringlens.exceptions import ConfigError, InputError
from ringlens.graph import build_graph
from ringlens.synth import SynthConfig, generate

TS = datetime(2026, 10, 1, tzinfo=timezone.utc)


def frame(rows: list[tuple[str, str, str, str, str]]) -> pl.DataFrame:
    """(actor_type, actor_id, action, target_type, target_id) rows."""
    return pl.DataFrame(
        rows, schema=["actor_type", "actor_id", "action", "target_type", "target_id"], orient="row"
    ).with_columns(ts=pl.lit(TS))


def hand_made() -> pl.DataFrame:
    rows = []
    # farm: 7 creators on one phone, paying out to one account
    rows += [("creator", f"f{i}", "login", "device", "phone1") for i in range(7)]
    rows += [("creator", f"f{i}", "payout_to", "payment", "acct1") for i in range(7)]
    # small farm: 3 creators sharing two phones and one payout account (each attribute
    # is household-sized, but three attributes in common is no household)
    rows += [("creator", f"s{i}", "login", "device", d) for i in range(3) for d in ("ph2", "ph3")]
    rows += [("creator", f"s{i}", "payout_to", "payment", "acct2") for i in range(3)]
    # households: 4 buyers on one tablet, 2 on another; a creator couple sharing a payout
    rows += [("buyer", f"h{i}", "login", "device", "tab1") for i in range(4)]
    rows += [("buyer", f"k{i}", "login", "device", "tab2") for i in range(2)]
    rows += [("creator", c, "payout_to", "payment", "acct3") for c in ("c1", "c2")]
    rows += [("creator", c, "login", "device", f"own_{c}") for c in ("c1", "c2")]
    # non-attribute activity is ignored
    rows += [("buyer", f"h{i}", "order", "product", "p1") for i in range(4)]
    return frame(rows)


def test_hand_made_groups() -> None:
    res = shared_attributes(build_graph(hand_made()))
    assert res.groups.columns == [
        "group",
        "n_actors",
        "n_attributes",
        "max_attribute_actors",
        "attribute_types",
        "score",
    ]
    assert res.to_frame().columns == ["group", "key", "role", "degree"]
    assert res.attributes.columns == [
        "group",
        "key",
        "attribute_type",
        "n_actors",
        "n_group_actors",
    ]
    assert res.groups.select("group", "n_actors", "n_attributes", "attribute_types").rows() == [
        (0, 7, 2, ["device", "payment"]),
        (1, 3, 3, ["device", "payment"]),
    ]
    assert res.actors(0) == [f"creator:f{i}" for i in range(7)]
    assert res.actors(1) == [f"creator:s{i}" for i in range(3)]
    assert res.groups["score"].to_list() == [7.0, 3.0]
    flagged = set(res.to_frame()["key"])
    assert not flagged & {"buyer:h0", "buyer:k0", "creator:c1", "device:tab1", "payment:acct3"}


def test_thresholds() -> None:
    g = build_graph(hand_made())
    # households of 4 become suspicious when the household limit is 3
    res = shared_attributes(g, max_household=3)
    assert "buyer:h0" in set(res.to_frame()["key"])
    # one shared attribute is enough when min_shared=1: the creator couple is linked (but is 2 < min_group)
    assert "creator:c1" not in set(shared_attributes(g, min_shared=1).to_frame()["key"])
    assert "creator:c1" in set(shared_attributes(g, min_shared=1, min_group=2).to_frame()["key"])
    # devices only: the small farm is linked only through 2 devices, still >= min_shared
    dev = shared_attributes(g, attribute_types=["device"])
    assert dev.groups["n_actors"].to_list() == [7, 3]
    # an attribute above max_attribute_actors is left out
    assert shared_attributes(g, max_attribute_actors=6).groups["n_actors"].to_list() == [3]


def test_row_order_does_not_matter() -> None:
    ev = hand_made()
    a = shared_attributes(build_graph(ev))
    b = shared_attributes(build_graph(ev.sample(fraction=1.0, shuffle=True, seed=4)))
    assert (
        a.groups.equals(b.groups)
        and a.members.equals(b.members)
        and a.attributes.equals(b.attributes)
    )


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"max_household": 0}, "max_household"),
        ({"min_shared": 0}, "min_shared"),
        ({"min_group": 1}, "min_group"),
        ({"max_attribute_actors": -1}, "max_attribute_actors"),
        ({"attribute_types": []}, "attribute_types"),
        ({"attribute_types": None}, "attribute_types"),
    ],
)
def test_bad_params(kwargs, word) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=word):
        shared_attributes(build_graph(hand_made()), **kwargs)


def test_needs_event_graph() -> None:
    with pytest.raises(InputError, match="EventGraph"):
        shared_attributes(build_graph(hand_made()).project())  # type: ignore[arg-type]


def test_synthetic_farms_found_households_not() -> None:
    data = generate(SynthConfig(n_events=50_000, rings_per_pattern=2, seed=3))
    truth = data.truth.with_columns(key=pl.concat_str("entity_type", pl.lit(":"), "entity_id"))
    res = shared_attributes(build_graph(data.events))
    actors = res.to_frame().filter(pl.col("role") == "actor")
    farms = truth.filter(pl.col("pattern") == "sock_puppet_farm")
    assert farms.join(actors, on="key", how="semi").height == farms.height
    # fake-buyer device pools of brushing and affiliate rings are found too
    buyers = truth.filter(
        pl.col("pattern").is_in(["brushing", "affiliate_fraud"])
        & (pl.col("entity_type") == "buyer")
    )
    assert buyers.join(actors, on="key", how="semi").height >= 0.9 * buyers.height
    # no household, no organic payout partner
    assert actors.join(truth, on="key", how="anti").height == 0
    labelled = actors.join(truth.select("key", "ring_id"), on="key")
    assert labelled.group_by("group").agg(pl.col("ring_id").n_unique().alias("n"))["n"].max() == 1
    assert res.groups["score"].min() > 4


# ---- shared rare targets -------------------------------------------------------------


def farm_and_families() -> pl.DataFrame:
    """Ten accounts on one voucher, cashing out to one wallet; families of three on a
    tablet who claim a family voucher; 300 claimers of a campaign voucher; a club of
    six who share a voucher but nothing else."""
    rows = [("member", f"m{i}", "claim", "voucher", "v1") for i in range(10)]
    rows += [("member", f"m{i}", "cash_out", "wallet", "w1") for i in range(10)]
    rows += [("member", f"s{i}", "sign_in", "tablet", f"t{i // 3}") for i in range(600)]
    rows += [("member", f"s{i}", "claim", "voucher", f"fam{i // 3}") for i in range(600)]
    rows += [("member", f"s{i}", "claim", "voucher", "campaign") for i in range(0, 600, 2)]
    rows += [("member", f"s{i}", "claim", "voucher", "club") for i in range(100, 160, 10)]
    return frame(rows)


def test_shared_targets_ring_not_families_or_campaigns() -> None:
    from ringlens.detect import shared_targets

    res = shared_targets(
        build_graph(farm_and_families()), target_types=["voucher", "wallet", "tablet"]
    )
    assert res.groups.columns == [
        "group",
        "n_actors",
        "n_targets",
        "max_target_actors",
        "target_types",
        "links",
        "expected_links",
        "log10_pvalue",
        "significance",
        "gathered",
    ]
    assert res.to_frame().columns == ["group", "key", "role", "degree"]
    assert len(res) == 1 and res.actors(0) == sorted(f"member:m{i}" for i in range(10))
    assert res.targets["key"].to_list() == ["voucher:v1", "wallet:w1"]
    tested = dict(zip(res.tested["key"], res.tested["rejected"], strict=True))
    # the club shares one voucher and nothing else; the campaign is above the cap
    assert tested["voucher:club"] == "household" and "voucher:campaign" not in tested
    assert res.params["max_target_actors"] < 300


def test_shared_targets_names_no_type() -> None:
    from ringlens.detect import shared_targets

    ev = farm_and_families().with_columns(
        pl.col("target_type").replace({"voucher": "Gutschein", "wallet": "Konto"})
    )
    res = shared_targets(build_graph(ev), target_types=["Gutschein", "Konto", "tablet"])
    assert len(res) == 1 and res.groups["n_actors"][0] == 10


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"target_types": None}, "target_types"),
        ({"target_types": ["voucher"], "max_household": 0}, "max_household"),
        ({"target_types": ["voucher"], "max_target_actors": 3}, "max_target_actors"),
        ({"target_types": ["voucher"], "elsewhere": pl.DataFrame({"key": ["a"]})}, "elsewhere"),
        ({"target_types": ["voucher"], "alpha": 2}, "alpha"),
        ({"target_types": ["voucher"], "kinds": {"voucher": 1}}, "kinds"),
    ],
)
def test_shared_targets_bad_params(kwargs, word) -> None:  # type: ignore[no-untyped-def]
    from ringlens.detect import shared_targets

    with pytest.raises(ConfigError, match=word):
        shared_targets(build_graph(farm_and_families()), **kwargs)


def test_shared_targets_synthetic_farms() -> None:
    from ringlens.detect import shared_targets

    data = generate(SynthConfig(n_events=50_000, rings_per_pattern=2, seed=3))
    truth = data.truth.with_columns(key=pl.concat_str("entity_type", pl.lit(":"), "entity_id"))
    res = shared_targets(build_graph(data.events), target_types=["device", "payment"])
    actors = res.to_frame().filter(pl.col("role") == "actor")
    assert actors.height > 0 and actors.join(truth, on="key", how="anti").height == 0
    farms = truth.filter(pl.col("pattern") == "sock_puppet_farm")
    assert farms.join(actors, on="key", how="semi").height >= 0.6 * farms.height


def test_shared_targets_links_from_elsewhere() -> None:
    # a club of six on one voucher is linked by nothing else: no group; the same six in
    # one group found elsewhere (say, a ring-like community of their purchases) are
    from ringlens.detect import shared_targets

    g = build_graph(farm_and_families())
    club = [f"member:s{i}" for i in range(100, 160, 10)]
    res = shared_targets(
        g,
        target_types=["voucher", "wallet", "tablet"],
        elsewhere=pl.DataFrame({"group": [0] * 6, "key": club}),
    )
    assert res.groups["n_actors"].to_list() == [10, 6]
    assert res.actors(1) == sorted(club)


def popular_voucher_farm() -> pl.DataFrame:
    """Eight accounts on one phone claim a voucher that 400 others claim over a month, all
    eight in the same hour; families of three on a tablet claim it together; six hosts of
    one agency on one phone pin the same items in the same hours; kiosks of five whose
    accounts buy rare items at random (links for the configuration model)."""
    from datetime import timedelta

    rows, ts = [], []
    for i in range(8):
        rows += [("member", f"m{i}", "sign_in", "phone", "p1")]
        rows += [("member", f"m{i}", "claim", "voucher", "hot")]
        ts += [TS, TS + timedelta(minutes=5 * i)]
    for i in range(400):
        rows += [("member", f"s{i}", "sign_in", "phone", f"t{i // 3}")]
        rows += [("member", f"s{i}", "claim", "voucher", "hot")]
        ts += [TS, TS + timedelta(hours=2 * (i // 3))]  # a family claims together
    for i in range(6):
        rows += [("host", f"h{i}", "sign_in", "phone", "agency")]
        rows += [("host", f"h{i}", "pin", "item", f"i{j}") for j in range(4)]
        ts += [TS] + [TS + timedelta(hours=3 * j) for j in range(4)]
    rng = np.random.default_rng(0)
    for i in range(300):  # kiosks of five, their accounts buying rare things at random
        rows += [("member", f"k{i}", "sign_in", "phone", f"kiosk{i // 5}")]
        rows += [("member", f"k{i}", "buy", "item", f"r{j}") for j in rng.choice(150, 2)]
        ts += [TS] + [TS + timedelta(days=int(d)) for d in rng.integers(0, 30, 2)]
    for i in range(120):  # the items are popular: other hosts pin them on other days
        rows += [("host", f"o{i}", "pin", "item", f"i{j}") for j in range(4)]
        ts += [TS + timedelta(days=2 + i % 20, hours=3 * j) for j in range(4)]
    return frame(rows).with_columns(ts=pl.Series(ts))


def test_shared_targets_rare_while_links_a_farm_not_families_or_agencies() -> None:
    # the farm's phone: its eight accounts share nothing rare overall (the voucher has 400
    # claimers), but claimed it within the same hour when few others did
    from datetime import timedelta

    from ringlens.detect import shared_targets

    g = build_graph(popular_voucher_farm())
    kw = {
        "target_types": ["phone"],
        "repeat_types": ["phone"],
        "rare_links": True,
        "max_target_actors": 50,
    }
    assert len(shared_targets(g, **kw)) == 0  # type: ignore[arg-type]
    res = shared_targets(g, rare_window=timedelta(hours=1), rare_actions=["claim"], **kw)  # type: ignore[arg-type]
    assert len(res) == 1 and res.actors(0) == sorted(f"member:m{i}" for i in range(8))
    # the agency's hosts pin the same items in the same hours: ownership, not a link
    # through rare_actions; counted as links, they would make the agency a group
    every = shared_targets(g, rare_window=timedelta(hours=1), **kw)  # type: ignore[arg-type]
    assert sorted(len(every.actors(i)) for i in range(len(every))) == [6, 8]
    with pytest.raises(ConfigError, match="rare_window"):
        shared_targets(g, rare_window=timedelta(0), **kw)  # type: ignore[arg-type]


def _phones() -> tuple[pl.DataFrame, list[str]]:
    """Households of three on a tablet each (one new account in three), an internet café's
    tablet with twelve accounts of every age, an agency's phone with six old accounts, and
    a farm: two phones of nine accounts sharing three, fourteen of the fifteen new, with
    nothing else in common. Returns the events and the new accounts' keys."""
    rows: list[tuple[str, str]] = []
    new: list[str] = []
    for h in range(300):
        for i in range(3):
            rows.append((f"h{h}_{i}", f"home{h}"))
        new.append(f"member:h{h}_0")
    rows += [(f"c{i}", "cafe") for i in range(12)]
    new += [f"member:c{i}" for i in range(0, 12, 4)]
    rows += [(f"g{i}", "agency") for i in range(6)]
    farm = [f"f{i}" for i in range(15)]
    rows += [(a, "phone1") for a in farm[:9]] + [(a, "phone2") for a in farm[6:]]
    new += [f"member:{a}" for a in farm[1:]]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id"], orient="row").with_columns(
        actor_type=pl.lit("member"),
        action=pl.lit("sign_in"),
        target_type=pl.lit("phone"),
        ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)),
    )
    return ev, new


def test_shared_targets_new_accounts_beyond_the_platforms_rate_are_a_farm() -> None:
    from ringlens.detect import shared_targets

    ev, new = _phones()
    g = build_graph(ev)
    rate = len(new) / ev["actor_id"].n_unique()
    # no links elsewhere: sharing alone is no evidence
    assert len(shared_targets(g, target_types=["phone"], repeat_types=["phone"])) == 0
    res = shared_targets(
        g, target_types=["phone"], repeat_types=["phone"], new_accounts=new, new_rate=rate
    )
    # the farm's new accounts on its two phones; not the café's, the agency's or a family's
    assert len(res) == 1
    assert res.actors(0) == sorted(f"member:f{i}" for i in range(1, 15))
    assert res.targets["key"].to_list() == ["phone:phone1", "phone:phone2"]
    tested = dict(zip(res.tested["key"], res.tested["significant"], strict=True))
    assert tested["phone:cafe"] is False and tested["phone:agency"] is False
    # at a platform where nearly every account is new, fourteen of fifteen is no surprise
    assert (
        len(
            shared_targets(
                g, target_types=["phone"], repeat_types=["phone"], new_accounts=new, new_rate=0.95
            )
        )
        == 0
    )
    with pytest.raises(ConfigError, match="new_rate"):
        shared_targets(g, target_types=["phone"], new_accounts=new, new_rate=1.5)
    with pytest.raises(ConfigError, match="new_accounts"):
        shared_targets(g, target_types=["phone"], new_accounts="member:f1", new_rate=0.3)


def test_shared_targets_a_school_lab_is_no_farm_until_its_accounts_share_more() -> None:
    """Thirty students rotate over a lab's five machines (each on three to five of them),
    as a phone farm's accounts rotate over its phones; with nothing else in common the lab
    is no group. The same rotation with every account cashing out to one wallet is."""
    from ringlens.detect import shared_targets

    rng = np.random.default_rng(3)
    rows: list[tuple[str, str, str, str, str]] = []
    for i in range(30):
        for m in rng.choice(5, int(rng.integers(3, 6)), replace=False):
            rows.append(("member", f"s{i}", "sign_in", "machine", f"lab{m}"))
        rows.append(("member", f"s{i}", "sign_in", "machine", f"home{i}"))
    for h in range(200):  # families of three on a tablet and a family wallet each
        rows += [("member", f"h{h}_{i}", "sign_in", "machine", f"tab{h}") for i in range(3)]
        rows += [("member", f"h{h}_{i}", "cash_out", "wallet", f"fw{h}") for i in range(3)]
    kw = {"target_types": ["machine", "wallet"], "repeat_types": ["machine", "wallet"]}
    assert len(shared_targets(build_graph(frame(rows)), **kw)) == 0  # type: ignore[arg-type]
    rows += [("member", f"s{i}", "cash_out", "wallet", "w1") for i in range(30)]
    res = shared_targets(build_graph(frame(rows)), **kw)  # type: ignore[arg-type]
    assert len(res) == 1 and res.actors(0) == sorted(f"member:s{i}" for i in range(30))


def test_shared_targets_a_lan_cafe_is_one_place_not_two_kinds_of_evidence() -> None:
    """Forty players on a café's machine, all through the café's network address: each
    player on the machine shares another device type with every other, so without kinds
    the machine's forty accounts are one linked cluster. The machine and the address are
    one kind (devices): that is one place, no link. A farm on one phone cashing out to one
    wallet shares two kinds and stays a group either way."""
    from ringlens.detect import shared_targets

    rows: list[tuple[str, str, str, str, str]] = []
    for i in range(40):
        rows.append(("player", f"p{i}", "boot_up", "rig", "cafe-rig"))
        rows.append(("player", f"p{i}", "connect_via", "netaddr", "cafe-net"))
        rows.append(("player", f"p{i}", "boot_up", "rig", f"home{i}"))
    for i in range(8):
        rows.append(("player", f"f{i}", "boot_up", "rig", "farm-phone"))
        rows.append(("player", f"f{i}", "withdraw_to", "wallet", "farm-wallet"))
    for h in range(200):  # families of three on a home rig and a family wallet each
        rows += [("player", f"h{h}_{i}", "boot_up", "rig", f"fam{h}") for i in range(3)]
        rows += [("player", f"h{h}_{i}", "withdraw_to", "wallet", f"fw{h}") for i in range(3)]
    graph = build_graph(frame(rows))
    kw = {
        "target_types": ["rig", "netaddr", "wallet"],
        "repeat_types": ["rig", "netaddr", "wallet"],
    }
    kinds = {"rig": "device", "netaddr": "device", "wallet": "payout_account"}
    cafe = sorted(f"player:p{i}" for i in range(40))
    farm = sorted(f"player:f{i}" for i in range(8))
    plain = shared_targets(graph, **kw)  # type: ignore[arg-type]
    assert sorted(plain.actors(g) for g in range(len(plain))) == sorted([cafe, farm])
    kinded = shared_targets(graph, kinds=kinds, **kw)  # type: ignore[arg-type]
    assert [kinded.actors(g) for g in range(len(kinded))] == [farm]


def _two_cities() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two cities of 300 eaters, each ordering from four of its sixty local kitchens and
    claiming one of its twenty promo codes; in each, a carrier NAT address shared by forty eaters picked at random; in the first, a
    farm of eight new eaters on one phone ordering the same three obscure dishes. Returns
    the events and the eaters' markets (``key``, ``block``)."""
    rng = np.random.default_rng(5)
    rows: list[tuple[str, str, str, str, str]] = []
    market: dict[str, str] = {}
    for city in ("ams", "sao"):
        eaters = [f"{city}{i}" for i in range(300)]
        for e in eaters:
            market[e] = city
            rows.append(("eater", e, "claim", "promo", f"{city}-p{rng.integers(20)}"))
            for k in rng.choice(60, 4, replace=False):
                rows.append(("eater", e, "order", "kitchen", f"{city}-k{k}"))
        for e in rng.choice(eaters, 40, replace=False):
            rows.append(("eater", str(e), "sign_in", "netblock", f"nat-{city}"))
    for i in range(8):
        market[f"farm{i}"] = "ams"
        rows.append(("eater", f"farm{i}", "sign_in", "netblock", "farm-phone"))
        rows += [("eater", f"farm{i}", "order", "dish", f"odd{d}") for d in range(3)]
    blocks = pl.DataFrame({"key": [f"eater:{e}" for e in market], "block": list(market.values())})
    return frame(rows), blocks


def test_shared_targets_a_citys_carrier_nat_is_no_ring_against_its_market() -> None:
    """Eaters of one city share its kitchens, so forty of them behind one carrier NAT are
    linked far beyond the whole platform's chance; not beyond their own city's (the block
    model of the accounts' markets). The farm is beyond both."""
    from ringlens.detect import shared_targets

    ev, blocks = _two_cities()
    g = build_graph(ev)
    kw = {"target_types": ["netblock", "promo"], "rare_links": True, "max_target_actors": 60}
    plain = shared_targets(g, **kw)  # type: ignore[arg-type]
    flagged = set(plain.tested.filter(pl.col("significant"))["key"])
    assert {"netblock:nat-ams", "netblock:nat-sao"} <= flagged
    res = shared_targets(g, blocks=blocks, **kw)  # type: ignore[arg-type]
    assert len(res) == 1 and res.actors(0) == sorted(f"eater:farm{i}" for i in range(8))
    assert res.params["blocks"] == 2
    # one block is the configuration model; a bad frame is a clear error
    one = shared_targets(g, blocks=blocks.with_columns(block=pl.lit("all")), **kw)  # type: ignore[arg-type]
    assert one.tested.equals(plain.tested)
    with pytest.raises(ConfigError, match="blocks"):
        shared_targets(g, blocks=blocks.rename({"block": "market"}), **kw)  # type: ignore[arg-type]


def test_shared_targets_carrier_nat_users_co_timed_no_more_than_other_shared_networks() -> None:
    """Links for a while are computed only among the accounts on shared devices and
    networks (a farm's, a carrier NAT's), so those accounts are linked to each other
    more than to anyone; two carrier NATs of forty eaters, rushing the same ten kitchens
    over one lunch, are no farm against that block. The farm of eight ordering together
    on one phone is."""
    from datetime import timedelta

    from ringlens.detect import shared_targets

    rng = np.random.default_rng(7)
    rows: list[tuple[str, str, str, str, datetime]] = []
    for i in range(600):
        a = f"e{i}"
        rows.append((a, "claim", "promo", f"p{rng.integers(40)}", TS))
        for d in rng.choice(150, 2, replace=False):
            rows.append((a, "order", "dish", f"d{d}", TS + timedelta(hours=rng.uniform(0, 168))))
        for k in rng.choice(10, 3, replace=False):
            rows.append((a, "order", "kitchen", f"k{k}", TS + timedelta(hours=rng.uniform(0, 12))))
    nat = rng.choice(600, 80, replace=False)
    rows += [(f"e{i}", "sign_in", "netblock", f"nat{j % 2}", TS) for j, i in enumerate(nat)]
    rows += [
        (f"e{i}", "sign_in", "netblock", f"home{i}", TS) for i in np.setdiff1d(range(600), nat)
    ]
    for i in range(8):
        rows.append((f"f{i}", "sign_in", "netblock", "farm", TS))
        rows += [
            (f"f{i}", "order", "kitchen", f"k{k}", TS + timedelta(hours=3 + 3 * k, minutes=i))
            for k in range(3)
        ]
    ev = pl.DataFrame(
        rows, schema=["actor_id", "action", "target_type", "target_id", "ts"], orient="row"
    ).with_columns(actor_type=pl.lit("eater"))
    res = shared_targets(
        build_graph(ev),
        target_types=["netblock", "promo"],
        repeat_types=["netblock"],
        rare_links=True,
        rare_window=timedelta(hours=1),
        max_target_actors=60,
    )
    assert set(res.tested.filter(pl.col("significant"))["key"]) == {"netblock:farm"}
    nats = res.tested.filter(pl.col("key").str.starts_with("netblock:nat"))
    # their co-timing is there (every pair of a NAT's eaters at one kitchen in one hour)
    assert (nats["links"] > 100).all()


def test_shared_targets_a_farm_that_is_most_of_a_small_market_is_still_found() -> None:
    """A market of twelve eaters, eight of them a farm on one phone: its links are most
    of its market's, and the market's own rate would explain them away; a block under
    ``MIN_BLOCK`` accounts is compared with the whole instead."""
    from ringlens.detect import shared_targets
    from ringlens.detect.shared import MIN_BLOCK

    ev, blocks = _two_cities()
    rows = [("eater", f"lux{i}", "order", "kitchen", f"lux-k{i % 3}") for i in range(12)]
    rows += [("eater", f"lux{i}", "sign_in", "netblock", "lux-phone") for i in range(8)]
    rows += [("eater", f"lux{i}", "order", "dish", f"lux-d{d}") for i in range(8) for d in (1, 2)]
    ev = pl.concat([ev, frame(rows)])
    lux = pl.DataFrame({"key": [f"eater:lux{i}" for i in range(12)], "block": "lux"})
    res = shared_targets(
        build_graph(ev),
        target_types=["netblock", "promo"],
        rare_links=True,
        max_target_actors=60,
        blocks=pl.concat([blocks, lux]),
    )
    assert 12 < MIN_BLOCK
    found = sorted(tuple(res.actors(i)) for i in range(len(res)))
    assert found == [
        tuple(sorted(f"eater:farm{i}" for i in range(8))),
        tuple(sorted(f"eater:lux{i}" for i in range(8))),
    ]


def test_many_small_targets_link_accounts_within_the_pair_budget() -> None:
    # a game's lobbies: forty players to a lobby, every lobby "rare": all their pairs
    # would be 2.3M links for 120k cells (at a million events, tens of millions: a run
    # killed for memory); the rarest targets within the budget of pairs per cell
    from datetime import timedelta

    from ringlens.detect.shared import RARE_PAIRS_PER_CELL, _rare_links

    rng = np.random.default_rng(5)
    n_players, n_lobbies = 20_000, 3_000
    players = rng.integers(n_players, size=(n_lobbies, 40))
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    ev = pl.DataFrame(
        {
            "actor_id": [f"p{p}" for p in players.ravel()],
            "actor_type": "player",
            "target_id": [f"l{i}" for i in np.repeat(np.arange(n_lobbies), 40)],
            "target_type": "lobby",
            "action": "join",
            "ts": [t0 + timedelta(minutes=int(i)) for i in np.repeat(np.arange(n_lobbies), 40)],
        }
    )
    g = build_graph(ev)
    accounts = g.nodes.filter(pl.col("node_type") == "player")["node"].to_numpy()
    keys = _rare_links(g, accounts, ["rig"], cap=50, window=timedelta(hours=1), while_types=["rig"])
    budget = RARE_PAIRS_PER_CELL * g.edges.height
    assert 0 < keys.size <= budget
    assert np.unique(keys).size == keys.size


def test_types_read_by_their_shape_that_sit_inside_one_another_are_one_kind() -> None:
    """Without a vocabulary the machines and the network addresses are two types the
    data's shape called devices. Twelve cafés, each with three machines of five players
    behind the café's address: the machines sit inside the addresses, so the two types
    are one kind and a café's players are no group; a farm of eight on one phone cashing
    out to one wallet (phones do not sit inside wallets: families bank apart) still is."""
    from ringlens.detect import shared_targets
    from ringlens.detect.shared import nested_kinds

    rows: list[tuple[str, str, str, str, str]] = []
    for c in range(12):
        for m in range(3):
            for i in range(5):
                p = f"c{c}m{m}p{i}"
                rows.append(("player", p, "boot_up", "rig", f"cafe{c}-rig{m}"))
                rows.append(("player", p, "connect_via", "netaddr", f"cafe{c}-net"))
                rows.append(("player", p, "withdraw_to", "wallet", f"w-{p}"))
    for h in range(20):  # families of three on a home rig, each banking on their own
        for i in range(3):
            rows.append(("player", f"h{h}_{i}", "boot_up", "rig", f"fam{h}"))
            rows.append(("player", f"h{h}_{i}", "withdraw_to", "wallet", f"fw{h}_{i}"))
    for i in range(8):
        rows.append(("player", f"f{i}", "boot_up", "rig", "farm-phone"))
        rows.append(("player", f"f{i}", "withdraw_to", "wallet", "farm-wallet"))
    graph = build_graph(frame(rows))
    kinds = nested_kinds(graph, ["rig", "netaddr", "wallet"])
    assert kinds == {"netaddr": "shape:netaddr", "rig": "shape:netaddr"}
    kw = {
        "target_types": ["rig", "netaddr", "wallet"],
        "repeat_types": ["rig", "netaddr", "wallet"],
    }
    farm = sorted(f"player:f{i}" for i in range(8))
    plain = shared_targets(graph, **kw)  # type: ignore[arg-type]
    assert any(a.startswith("player:c") for g in range(len(plain)) for a in plain.actors(g))
    kinded = shared_targets(graph, kinds=kinds, **kw)  # type: ignore[arg-type]
    assert [kinded.actors(g) for g in range(len(kinded))] == [farm]


def test_a_phone_and_a_card_are_two_kinds_even_when_one_sits_inside_the_other() -> None:
    """Fifteen families of three, each on one phone and paying with one family card: the
    cards sit inside the phones, but money moves through a card and not through a phone
    (its events carry amounts), so the two types stay two kinds, as a vocabulary names
    them."""
    from ringlens.detect.shared import nested_kinds

    rows = []
    for h in range(15):
        for i in range(3):
            rows.append(("buyer", f"h{h}_{i}", "unlock", "phone", f"phone{h}", None))
            rows.append(("buyer", f"h{h}_{i}", "charge", "card", f"card{h}", 25.0))
    ev = pl.DataFrame(
        rows,
        schema=["actor_type", "actor_id", "action", "target_type", "target_id", "amount"],
        orient="row",
    ).with_columns(ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)))
    assert nested_kinds(build_graph(ev), ["card", "phone"]) == {}
    # the same families on a phone and a home network (neither carries money): one kind
    net = ev.with_columns(
        pl.col("target_type").replace({"card": "network"}), amount=pl.lit(None, pl.Float64)
    )
    assert nested_kinds(build_graph(net), ["network", "phone"]) == {
        "network": "shape:network",
        "phone": "shape:network",
    }


def _typed_rows(rows: list[tuple[str, str, str]], actor_type: str) -> pl.DataFrame:
    """Events from ``(actor_id, action, "type:id")`` rows, all by ``actor_type`` at ``TS``."""
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target"], orient="row")
    return ev.with_columns(
        actor_type=pl.lit(actor_type),
        target_type=pl.col("target").str.split(":").list.first(),
        target_id=pl.col("target").str.split(":").list.last(),
        ts=pl.lit(TS),
    ).drop("target")


def _card_families(shared_cards: int, seed: int = 0) -> pl.DataFrame:
    """150 families of three on a tablet each, of which ``shared_cards`` pay with one card
    between two of their members and buy two of sixty niche apps together; one of them
    holds two cards shared in pairs. A ring: six
    pairs, each on a card of its own, all buying one app that eight others buy too."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str]] = []
    for f in range(150):
        fam = [f"h{f}_{i}" for i in range(3)]
        rows += [(a, "sign_in", f"tablet:t{f}") for a in fam]
        if f < shared_cards:
            rows += [(a, "pay_with", f"card:c{f}") for a in fam[:2]]
        if f == 0:
            rows += [(a, "pay_with", "card:c0b") for a in fam[1:]]
        for app in rng.choice(60, 2, replace=False):
            rows += [(a, "buy", f"app:a{app}") for a in fam]
    ring = [f"r{i}" for i in range(12)]
    rows += [(a, "pay_with", f"card:rc{i // 2}") for i, a in enumerate(ring)]
    rows += [(a, "sign_in", f"tablet:own_{a}") for a in ring]
    others = rng.choice(450, 8, replace=False)
    rows += [(a, "buy", "app:x") for a in ring]
    rows += [(f"h{o // 3}_{o % 3}", "buy", "app:x") for o in others]
    return _typed_rows(rows, "member")


def test_shared_targets_families_meeting_on_a_rare_target_beyond_their_rate_are_a_ring() -> None:
    # every card is household-sized: no target is tested, the ring is its six pairs meeting
    # on one app where, at this platform's few shared cards, chance puts less than one
    from ringlens.detect import shared_targets

    kw = {
        "target_types": ["tablet", "card"],
        "repeat_types": ["tablet", "card"],
        "max_target_actors": 40,
    }
    g = build_graph(_card_families(shared_cards=10))
    assert len(shared_targets(g, **kw)) == 0  # type: ignore[arg-type]
    res = shared_targets(g, rare_links=True, **kw)  # type: ignore[arg-type]
    assert len(res) == 1
    assert res.actors(0) == sorted(f"member:r{i}" for i in range(12))
    assert res.targets["key"].to_list() == [f"card:rc{i}" for i in range(6)]
    assert res.groups["gathered"].to_list() == [True]
    met = res.tested.filter(pl.col("key") == "card:rc0").row(0, named=True)
    assert met["significant"] and met["links"] == 6 and met["expected_links"] < 1.0
    # the families on their tablets meet on their apps as often as their number says;
    # where most families share a card, six pairs on one app are what chance gives
    g = build_graph(_card_families(shared_cards=140))
    assert len(shared_targets(g, rare_links=True, **kw)) == 0  # type: ignore[arg-type]


def _handset_households(together: bool, seed: int = 1) -> pl.DataFrame:
    """3,000 ad identities on phones of their own and 500 households of two on one
    handset, each identity tapping three of 150 campaigns (``together``: a household's
    two tap the same three). A farm: seven handsets of four identities, all tapping one
    campaign besides three of their own."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str]] = []
    ids = [(f"a{i}", f"h{i}") for i in range(3000)]
    ids += [(f"p{f}_{j}", f"hh{f}") for f in range(500) for j in range(2)]
    ids += [(f"farm{f}_{j}", f"fh{f}") for f in range(7) for j in range(4)]
    picks = {}
    for a, h in ids:
        rows.append((a, "ping", f"handset:{h}"))
        key = h if together else a
        if key not in picks:
            picks[key] = rng.choice(150, 3, replace=False)
        rows += [(a, "tap", f"campaign:c{c}") for c in picks[key]]
        if a.startswith("farm"):
            rows.append((a, "tap", "campaign:c0"))
    return _typed_rows(rows, "adid")


def test_shared_targets_families_that_seldom_meet_make_a_meeting_of_seven_a_ring() -> None:
    # every handset is household-sized. Where a household's two tap their own campaigns
    # (two on one campaign in a visit of fifty), seven households of four on one
    # campaign of about a hundred is far beyond chance, though a family that always
    # went where its member goes would put fourteen there
    from ringlens.detect import shared_targets

    kw = {
        "target_types": ["handset"],
        "repeat_types": ["handset"],
        "rare_links": True,
        "max_target_actors": 120,
    }
    res = shared_targets(build_graph(_handset_households(together=False)), **kw)  # type: ignore[arg-type]
    assert len(res) == 1
    farm = {f"adid:farm{f}_{j}" for f in range(7) for j in range(4)}
    # the farm, and a household whose two happened to tap the campaign too
    assert farm <= set(res.actors(0)) and len(res.actors(0)) <= len(farm) + 2
    assert res.groups["gathered"].to_list() == [True]
    # households whose two always tap together meet on campaigns as their number says
    res = shared_targets(build_graph(_handset_households(together=True)), **kw)  # type: ignore[arg-type]
    assert len(res) == 0


def _card_chain(kind: str, seed: int = 0) -> pl.DataFrame:
    """150 families of three on a tablet each, twenty of them paying with one card
    between two members, each account buying two of sixty niche apps. A ring: ten
    accounts on three cards of four (each card sharing an account with the next), all
    buying one app that
    eight others buy too. ``kind`` is the type the ring's shared attributes have."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str]] = []
    for f in range(150):
        fam = [f"h{f}_{i}" for i in range(3)]
        rows += [(a, "sign_in", f"tablet:t{f}") for a in fam]
        if f < 20:
            rows += [(a, "pay_with", f"card:c{f}") for a in fam[:2]]
        rows += [(a, "buy", f"app:a{app}") for a in fam for app in rng.choice(60, 2, replace=False)]
    ring = [f"r{i}" for i in range(10)]
    use = "pay_with" if kind == "card" else "sign_in"
    rows += [(a, use, f"{kind}:rc{c}") for c in range(3) for a in ring[3 * c : 3 * c + 4]]
    others = rng.choice(450, 8, replace=False)
    rows += [(a, "buy", "app:x") for a in ring]
    rows += [(f"h{o // 3}_{o % 3}", "buy", "app:x") for o in others]
    return _typed_rows(rows, "member")


def test_shared_targets_cards_passed_round_more_accounts_than_a_household_are_a_ring() -> None:
    # each card has a household's four accounts, so none is tested; chained, the three
    # are ten accounts on one wallet's round, and all ten buy one obscure app: three
    # households' worth of a family meeting there, which the platform's card-sharing
    # couples do not explain. Tablets are passed round relatives and friends: ten on a
    # chain of three tablets buying one app are one family meeting there, no ring
    from ringlens.detect import shared_targets

    kinds = {"card": "payout_account", "tablet": "device"}
    kw = {"target_types": ["tablet", "card"], "repeat_types": ["tablet", "card"]}
    g = build_graph(_card_chain("card"))
    res = shared_targets(g, rare_links=True, max_target_actors=40, kinds=kinds, **kw)  # type: ignore[arg-type]
    assert len(res) == 1 and res.groups["gathered"].to_list() == [True]
    assert res.actors(0) == sorted(f"member:r{i}" for i in range(10))
    # without the cards' kind nothing says they carry money: each family counts once
    res = shared_targets(g, rare_links=True, max_target_actors=40, **kw)  # type: ignore[arg-type]
    assert len(res) == 0
    g = build_graph(_card_chain("tablet"))
    res = shared_targets(g, rare_links=True, max_target_actors=40, kinds=kinds, **kw)  # type: ignore[arg-type]
    assert len(res) == 0
