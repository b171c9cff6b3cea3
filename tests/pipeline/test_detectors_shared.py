"""The run's shared-targets detector: farms are candidates, agencies are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from ringlens.config import Config
from ringlens.graph import build_graph
from ringlens.pipeline.coverage import family_roles
from ringlens.pipeline.detectors.shared import SharedTargets
from ringlens.pipeline.registry import DetectInput, Found
from ringlens.pipeline.vocabulary import Vocabulary, graph_roles

T = datetime(2026, 6, 1, tzinfo=UTC)
VOCABULARY = Vocabulary.from_tables(
    {"login": ["sign_in"], "payout": ["cash_out"], "own": ["go_live"], "view": ["watch"]},
    {
        "account": ["host", "viewer"],
        "device": ["handset"],
        "payout_account": ["wallet"],
        "live": ["stream"],
    },
)


def _couples() -> list[tuple[str, str, str, str, str]]:
    """Two hundred couples, each sharing a phone and a wallet."""
    return [
        ("viewer", who, action, kind, f"{place}{i}")
        for i in range(200)
        for who in (f"c{i}a", f"c{i}b")
        for action, kind, place in (("sign_in", "handset", "home"), ("cash_out", "wallet", "w"))
    ]


def _events(rows: list[tuple[str, str, str, str, str]]) -> pl.DataFrame:
    """The rows as events, a minute apart."""
    ev = pl.DataFrame(
        rows, schema=["actor_type", "actor_id", "action", "target_type", "target_id"], orient="row"
    )
    return ev.with_columns(ts=pl.Series([T + timedelta(minutes=i) for i in range(len(rows))]))


def _detect(events: pl.DataFrame) -> Found:
    """What the run's shared-targets detector finds in the events, named by VOCABULARY."""
    graph = build_graph(events)
    fam = family_roles(graph.families(), VOCABULARY)
    inp = DetectInput(graph=graph, config=Config(), families=fam, roles=graph_roles(fam))
    return SharedTargets().detect(inp)


def _agency_and_farm() -> pl.DataFrame:
    """Six hosts of an agency on its studio phone and wallet, each live with thirty
    viewers of its own; eight fresh hosts of a farm on one phone and one wallet, live
    to nobody but each other; two hundred couples sharing a phone and a wallet."""
    rows = []
    for i in range(6):
        rows += [("host", f"a{i}", "sign_in", "handset", "studio")]
        rows += [("host", f"a{i}", "cash_out", "wallet", "agency")]
        rows += [("host", f"a{i}", "go_live", "stream", f"sa{i}")]
        rows += [("viewer", f"v{i}_{j}", "watch", "stream", f"sa{i}") for j in range(30)]
    for i in range(8):
        rows += [("host", f"f{i}", "sign_in", "handset", "farm")]
        rows += [("host", f"f{i}", "cash_out", "wallet", "farm")]
        rows += [("host", f"f{i}", "go_live", "stream", f"sf{i}")]
        rows += [("host", f"f{(i + 1) % 8}", "watch", "stream", f"sf{i}")]
    rows += _couples()
    return _events(rows)


def test_an_agency_with_audiences_of_its_own_is_not_a_farm() -> None:
    found = _detect(_agency_and_farm())
    groups = found.candidates.group_by("candidate").agg(pl.col("key").sort())
    assert groups["key"].to_list() == [[f"host:f{i}" for i in range(8)]]
    assert found.counts["shared_targets_organisations"] == 1


def test_each_account_carries_the_reasons_of_the_shared_targets_it_uses() -> None:
    """A farm's eight hosts rotate over its two phones; six of them cash out to its wallet,
    two to wallets of their own. The two share phones, not a payout account: their
    signals say so (a ring's share of payout sharers is what its risk counts)."""
    rows = []
    for i in range(8):
        rows += [("host", f"f{i}", "sign_in", "handset", phone) for phone in ("farm", "farm_b")]
        wallet = "farm" if i < 6 else f"own{i}"
        rows += [("host", f"f{i}", "cash_out", "wallet", wallet)]
        rows += [("host", f"f{i}", "go_live", "stream", f"sf{i}")]
        rows += [("host", f"f{(i + 1) % 8}", "watch", "stream", f"sf{i}")]
    rows += _couples()
    found = _detect(_events(rows))
    assert sorted(found.candidates["key"]) == [f"host:f{i}" for i in range(8)]
    reasons = found.signals.group_by("key").agg(pl.col("reason").sort()).sort("key")
    both, phones = ["shared_device", "shared_payout"], ["shared_device"]
    assert reasons.rows() == [(f"host:f{i}", both if i < 6 else phones) for i in range(8)]


def test_a_vocabulary_with_coupons_and_no_devices_runs() -> None:
    """A promo export mapped with only its coupon type (no device, no payout account):
    the detector tests the coupons; it does not stop on an empty list of personal types."""
    vocabulary = Vocabulary.from_tables({}, {"account": ["shopper"], "coupon": ["promo_code"]})
    rows = [("shopper", f"s{i}", "apply_code", "promo_code", f"code{i % 50}") for i in range(400)]
    rows += [("shopper", f"f{i}", "apply_code", "promo_code", "ref9") for i in range(12)]
    events = _events(rows)
    graph = build_graph(events)
    fam = family_roles(graph.families(), vocabulary)
    inp = DetectInput(graph=graph, config=Config(), families=fam, roles=graph_roles(fam))
    assert inp.roles.shareable_types and not inp.roles.types("device", "payout_account")
    found = SharedTargets().detect(inp)
    assert "shared_targets" in found.counts
