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


def _forum_with_a_farm() -> tuple[pl.DataFrame, list[str]]:
    """A forum's members upvoting threads over three weeks, each signing in on a phone of
    their own and a tablet they share with their partner, a quarter of them cashing out
    to a wallet of their own; and a farm of thirty members first seen in the second week,
    rotating over three handsets and cashing out to two wallets, upvoting at random like
    everyone else: nothing but the sharing and their arrival sets them apart."""
    import numpy as np
    from tests._background import organic_background

    bg = organic_background(
        actor_type="member",
        action="upvote",
        target_type="thread",
        n_accounts=2000,
        n_targets=3000,
        seed=3,
    )
    members = bg["actor_id"].unique().sort().to_list()
    kept = pl.DataFrame(
        {
            "actor_id": members * 2,
            "target_id": [f"phone-{m}" for m in members]
            + [f"tablet{i // 2}" for i in range(len(members))],
        }
    )
    first = bg.group_by("actor_id").agg(pl.col("ts").min(), pl.col("actor_type").first())
    sign_in = first.join(kept, on="actor_id").select(
        "actor_id",
        "actor_type",
        "target_id",
        pl.lit("handset").alias("target_type"),
        pl.lit("sign_in").alias("action"),
        "ts",
    )
    cash_out = first.filter(pl.col("actor_id").is_in(members[::4])).select(
        "actor_id",
        "actor_type",
        pl.format("own-{}", "actor_id").alias("target_id"),
        pl.lit("wallet").alias("target_type"),
        pl.lit("cash_out").alias("action"),
        "ts",
    )
    rng = np.random.default_rng(5)
    farm = [f"puppet{i:02d}" for i in range(30)]
    t0 = bg["ts"].min() + timedelta(days=8)
    rows = []
    for i, who in enumerate(farm):
        for k in range(6):
            at = t0 + timedelta(hours=int(rng.integers(0, 24 * 12)))
            rows.append((who, "member", f"farm{(i + k) % 3}", "handset", "sign_in", at))
            thread = f"catalog-{rng.integers(0, 3000):03d}"
            rows.append((who, "member", thread, "thread", "upvote", at))
        rows.append((who, "member", f"iban{i % 2}", "wallet", "cash_out", t0 + timedelta(days=9)))
    planted = pl.DataFrame(
        rows,
        schema=["actor_id", "actor_type", "target_id", "target_type", "action", "ts"],
        orient="row",
    ).with_columns(pl.col("ts").dt.cast_time_unit("us"))
    events = pl.concat([bg.drop("amount"), sign_in, cash_out, planted])
    return events, farm


def test_a_farm_without_account_ages_is_told_by_its_arrival(tmp_path) -> None:
    # no entities table: the farm's thirty accounts were first seen in the data's second
    # week, where the forum's members were there from its first days: a ring, with the
    # reason arrived_together. The same accounts with ages that say they are years old
    # are an organisation's shape (sharing alone): no ring
    from ringlens.config import load_config
    from ringlens.pipeline import run

    events, farm = _forum_with_a_farm()
    src = tmp_path / "events.parquet"
    events.write_parquet(src)
    cfg = load_config(env={}, cwd=False).with_overrides({"viz.enabled": False})
    res = run(src, out_dir=tmp_path / "out", config=cfg)
    top = res.rings.sort("risk_score", descending=True).row(0, named=True)
    assert set(top["members"]) == {f"member:{m}" for m in farm}
    assert top["arrival_share"] == 1.0 and top["arrival_sig"] >= 2.0
    assert top["new_account_share"] is None
    assert "arrived_together" in top["reasons"]
    old = pl.DataFrame(
        {
            "entity_type": "member",
            "entity_id": events["actor_id"].unique().sort(),
            "created_at": datetime(2019, 1, 1, tzinfo=UTC),
        }
    )
    ents = tmp_path / "entities.parquet"
    old.write_parquet(ents)
    aged = run(src, entities=ents, out_dir=tmp_path / "aged", config=cfg)
    assert not any(set(r) & set(top["members"]) for r in aged.rings["members"].to_list())
    # ... and the run says what it left out, and why (run.json and the CLI's summary)
    assert aged.report["counts"]["dropped_accounts"] == {"shared-attribute-only": 30}
    assert "shared-attribute-only" not in res.report["counts"]["dropped_accounts"]
    from typer.testing import CliRunner

    from ringlens.cli import app

    said = CliRunner().invoke(
        app,
        ["score", str(src), "--entities", str(ents), "--out", str(tmp_path / "cli"), "--no-views"],
    )
    assert said.exit_code == 0, said.output
    assert (
        "judged organic, in no ring: 30 accounts of proposals with shared devices, payout "
        "accounts or coupons and nothing else" in " ".join(said.output.split())
    )
