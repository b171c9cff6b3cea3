"""Scores with reasons, learnt weights, and policies."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ringlens.exceptions import ConfigError
from ringlens.risk import (
    RiskModel,
    apply_policy,
    load_policy,
    queue_item_id,
    score_entities,
    score_rings,
)
from ringlens.risk.model import combine, resolve_weights
from ringlens.risk.policy import parse_policy


def sig(rows):
    return pl.DataFrame(rows, schema=["key", "reason", "strength"], orient="row")


def test_contributions_sum_to_risk_and_order_reasons() -> None:
    s = sig(
        [
            ("buyer:1", "dense_block", 1.0),
            ("buyer:1", "new_account", 1.0),
            ("buyer:1", "shared_device", 0.5),
        ]
    )
    out = combine(s, resolve_weights())
    row = out.row(0, named=True)
    assert 0 < row["risk_score"] < 100
    assert abs(sum(row["contributions"]) - row["risk_score"]) < 0.01
    assert row["reasons"] == ["dense_block", "new_account", "shared_device"]


def test_monotone_and_bounded() -> None:
    w = resolve_weights()
    base = combine(sig([("a", "dense_block", 0.5)]), w)["risk_score"].item()
    more = combine(sig([("a", "dense_block", 1.0)]), w)["risk_score"].item()
    many = combine(sig([("a", r, 1.0) for r in w]), w)["risk_score"].item()
    assert base < more < many <= 100


def test_weights_from_config_validated() -> None:
    with pytest.raises(ConfigError, match="score.weights.dense_block: expected a number >= 0"):
        resolve_weights({"dense_block": -1})
    zero = combine(sig([("a", "dense_block", 1.0)]), resolve_weights({"dense_block": 0}))
    assert zero.height == 0


def test_ring_member_reason_lifts_members() -> None:
    rings = pl.DataFrame(
        {
            "ring_id": ["r1"],
            "size": [3],
            "reciprocity": [0.9],
            "inner_engagements": [10],
            "synchrony": [0.9],
            "synchrony_excess": [0.9],
            "density_ratio": [1000.0],
            "density": [0.8],
            "new_account_share": [1.0],
            "pattern": ["mutual_boost"],
            "market": ["US"],
        }
    )
    mem = pl.DataFrame({"key": ["creator:1", "creator:2", "creator:3"], "ring_id": "r1"})
    s = sig([("creator:1", "new_account", 1.0), ("creator:9", "new_account", 1.0)])
    r = score_rings(rings, mem, s)
    assert r["risk_score"].item() > 50 and "reciprocal_engagement" in r["reasons"].item().to_list()
    e = score_entities(s, rings=r, membership=mem)
    top = e.row(0, named=True)
    assert (
        top["key"] == "creator:1" and top["ring_id"] == "r1" and top["reasons"][0] == "ring_member"
    )
    assert e.filter(pl.col("key") == "creator:9")["risk_score"].item() < top["risk_score"]


def test_a_ring_only_structure_shows_counts_its_structure_once() -> None:
    # two rings of the same shape: a community and a dense block both proposed every
    # member, and the ring's own block is significant and dense. The one that shows
    # nothing else (structure_alone) carries the strongest structural reason only, ranks
    # below its twin, and so do its members; contributions still add up to the risk
    from ringlens.risk.model import STRUCTURE_REASONS

    rings = pl.DataFrame(
        {
            "ring_id": ["alone", "twin"],
            "size": [3, 3],
            "significance": [40.0, 40.0],
            "density_ratio": [1000.0, 1000.0],
            "density": [0.8, 0.8],
            "synchrony_excess": [0.05, 0.05],
            "structure_alone": [True, False],
        }
    )
    mem = pl.DataFrame(
        {"key": [f"fan:{i}" for i in range(6)], "ring_id": ["alone"] * 3 + ["twin"] * 3}
    )
    s = sig(
        [(f"fan:{i}", r, 1.0) for i in range(6) for r in ("community", "dense_block")]
        + [("fan:0", "new_account", 1.0)]
    )
    r = score_rings(rings, mem, s)
    by_id = {row["ring_id"]: row for row in r.iter_rows(named=True)}
    alone, twin = by_id["alone"], by_id["twin"]
    assert [x for x in alone["reasons"] if x in STRUCTURE_REASONS] == ["dense_block"]
    assert len([x for x in twin["reasons"] if x in STRUCTURE_REASONS]) == 4
    assert "new_account" in alone["reasons"] and "synchronised_activity" in alone["reasons"]
    assert 0 < alone["risk_score"] < twin["risk_score"]
    assert abs(sum(alone["contributions"]) - alone["risk_score"]) < 0.01
    e = score_entities(s, rings=r, membership=mem)
    fans = {row["key"]: row for row in e.iter_rows(named=True)}
    assert [x for x in fans["fan:1"]["reasons"] if x in STRUCTURE_REASONS] == ["dense_block"]
    assert {"community", "dense_block"} <= set(fans["fan:4"]["reasons"])
    assert fans["fan:1"]["risk_score"] < fans["fan:4"]["risk_score"]
    # a frame without the feature (a caller's own rings) is scored as before
    plain = score_rings(rings.drop("structure_alone"), mem, s)
    before = dict(plain.select("ring_id", "risk_score").iter_rows())
    assert before["twin"] == twin["risk_score"] and before["alone"] > alone["risk_score"]


def test_risk_model_learns_useful_signal() -> None:
    rng = np.random.default_rng(1)
    X = pl.DataFrame({"dense_block": rng.random(500), "noise": rng.random(500)})
    y = (X["dense_block"].to_numpy() > 0.7).astype(int)
    m = RiskModel().fit(X, y)
    p = m.predict(X)
    assert p[y == 1].mean() > 70 and p[y == 0].mean() < 30
    with pytest.raises(ConfigError, match="both confirmed"):
        RiskModel().fit(X, np.zeros(500))


def entities_frame():
    return pl.DataFrame(
        {
            "key": ["buyer:1", "buyer:2", "buyer:3", "creator:4", "buyer:5"],
            "entity_type": ["buyer", "buyer", "buyer", "creator", "buyer"],
            "entity_id": ["1", "2", "3", "4", "5"],
            "risk_score": [95.0, 70.0, 45.0, 90.0, 10.0],
            "ring_id": ["r1", "r1", "r1", "r2", None],
            "reasons": [["dense_block"]] * 5,
        }
    )


def rings_frame():
    return pl.DataFrame(
        {
            "ring_id": ["r1", "r2"],
            "pattern": ["brushing", "mutual_boost"],
            "risk_score": [90.0, 88.0],
            "market": ["US", "DE"],
        }
    )


def test_default_policy_actions() -> None:
    rings = rings_frame()
    links = rings.select("ring_id", ("viz/" + pl.col("ring_id") + ".html").alias("evidence"))
    q, rep = apply_policy(entities_frame(), rings, load_policy(), run_id="run1", evidence=links)
    got = dict(zip(q["entity_id"], q["action"], strict=True))
    assert got == {
        "1": "suspend",
        "2": "manual_review",
        "3": "monitor",
        "4": "manual_review",
    }  # DE: review only
    assert rep["queued"] == {"manual_review": 2, "monitor": 1, "suspend": 1}
    assert q.filter(pl.col("entity_id") == "1")["queue_item_id"].item() == queue_item_id(
        "buyer", "1", "brushing"
    )
    # each item links the view of its own ring (the run makes the links)
    assert q.select((pl.col("evidence") == "viz/" + pl.col("ring_id") + ".html").all()).item()
    q0, _ = apply_policy(entities_frame(), rings, load_policy(), run_id="run1")
    assert q0["evidence"].is_null().all()  # no views, no links


def test_capacity_counts_overflow() -> None:
    pol = parse_policy(
        {
            "queues": {"q": {"capacity": 2}},
            "rules": [{"min_risk": 0, "action": "monitor", "queue": "q"}],
        }
    )
    q, rep = apply_policy(entities_frame(), rings_frame(), pol, run_id="r")
    assert q["entity_id"].to_list() == ["1", "4"] and q["priority"].to_list() == [1, 2]
    assert rep["over_capacity"] == {"q": 3}


def test_cleared_labels_not_queued() -> None:
    labels = pl.DataFrame({"entity_type": ["buyer"], "entity_id": ["1"], "label": ["cleared"]})
    q, rep = apply_policy(entities_frame(), rings_frame(), load_policy(), run_id="r", labels=labels)
    assert "1" not in q["entity_id"].to_list() and rep["suppressed_cleared"] == 1


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        (
            "[queues.q]\ncapacity = 1\n[[rules]]\nmin_risk = 50\naction = 'ban'\nqueue = 'q'\n",
            r"rules\[0\].action: 'ban' is not an action",
        ),
        (
            "[queues.q]\ncapacity = 1\n[[rules]]\nmin_risk = 150\naction = 'monitor'\nqueue = 'q'\n",
            r"rules\[0\].min_risk: expected a number from 0 to 100",
        ),
        (
            "[queues.q]\ncapacity = 1\n[[rules]]\nmin_risk = 5\naction = 'monitor'\nqueue = 'z'\n",
            r"rules\[0\].queue: 'z' is not a queue",
        ),
        (
            "[queues.q]\ncapacity = -1\n[[rules]]\nmin_risk = 5\naction = 'monitor'\nqueue = 'q'\n",
            r"queues.q.capacity: expected an integer >= 0",
        ),
        (
            "[queues.q]\ncapacity = 1\n[[rules]]\nmin_risk = 5\naction = 'monitor'\nqueue = 'q'\nmarkt = ['US']\n",
            r"rules\[0\].markt: unknown key",
        ),
        ("[[rules]]\nmin_risk = 5\n", r"queues: expected at least one"),
        ("rules = [", r"not valid TOML"),
    ],
)
def test_bad_policy_names_the_key(tmp_path, text, msg) -> None:
    p = tmp_path / "policy.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=msg) as info:
        load_policy(p)
    assert str(p) in str(info.value)


def test_missing_policy_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="policy file not found"):
        load_policy(tmp_path / "nope.toml")


# --------------------------------------------------------------------------- ids
def test_queue_item_id_known_answers() -> None:
    """``q_`` + 20 hex digits of SHA-1 (checked against ``printf … | sha1sum``): over
    ``type␟id␟pattern`` when no part holds U+001F or NUL (the ids earlier queues hold),
    else over the parts each as an 8-byte big-endian UTF-8 length + its bytes."""
    assert queue_item_id("buyer", "42", "brushing") == "q_d7b84ef5d986751a32a8"
    assert queue_item_id("buyer", "42", "mutual_boost") == "q_748ad951835ab14a8142"
    assert queue_item_id("creator", "42", "brushing") == "q_7777ca92a676ee6335c4"
    assert queue_item_id("buyer", "x\x1fy", "brushing") == "q_0d300c397527818991e2"
    assert queue_item_id("buyer\x1fx", "y", "brushing") == "q_28420b62fdf7bf48ecad"
    # through the policy, vectorised, the same ids
    e = entities_frame().with_columns(entity_id=pl.Series(["42", "x\x1fy", "3", "4", "5"]))
    q, _ = apply_policy(e, rings_frame(), load_policy(), run_id="r")
    got = dict(zip(q["entity_id"], q["queue_item_id"], strict=True))
    assert got["42"] == "q_d7b84ef5d986751a32a8"
    assert got["x\x1fy"] == "q_0d300c397527818991e2"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("buyer", "x\x1fy", "brushing"), ("buyer\x1fx", "y", "brushing")),
        (("buyer", "x", "y\x1fbrushing"), ("buyer", "x\x1fy", "brushing")),
        (("buyer", "x\x00", "brushing"), ("buyer", "x", "\x00brushing")),
        (("", "a", "b"), ("a", "", "b")),
    ],
)
def test_queue_item_ids_never_collide_through_separators(a: tuple, b: tuple) -> None:
    assert queue_item_id(*a) != queue_item_id(*b)


# --------------------------------------------------------------------------- non-finite
def test_non_finite_strengths_are_dropped_loudly(caplog: pytest.LogCaptureFixture) -> None:
    s = sig(
        [
            ("buyer:1", "dense_block", float("nan")),
            ("buyer:1", "new_account", 1.0),
            ("buyer:2", "dense_block", float("inf")),
            ("buyer:3", "dense_block", 1.0),
        ]
    )
    out = combine(s, resolve_weights())
    assert "2 signal(s) with a non-finite strength ignored" in caplog.text
    assert out["risk_score"].is_finite().all()
    assert out.filter(pl.col("key") == "buyer:1")["reasons"].item().to_list() == ["new_account"]
    assert "buyer:2" not in out["key"].to_list()
    assert out.select(pl.col("contributions").explode().is_finite().all()).item()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None])
def test_policy_never_acts_on_a_non_finite_risk(bad: float | None) -> None:
    from ringlens.exceptions import InputError

    e = entities_frame().with_columns(
        risk_score=pl.Series([95.0, bad, 45.0, 90.0, 10.0], dtype=pl.Float64)
    )
    with pytest.raises(InputError, match=r"entities row 1 \('buyer:2'\): risk_score is"):
        apply_policy(e, rings_frame(), load_policy(), run_id="r")
    r = rings_frame().with_columns(risk_score=pl.Series([bad, 88.0], dtype=pl.Float64))
    with pytest.raises(InputError, match=r"rings row 0 \('r1'\): risk_score"):
        apply_policy(entities_frame(), r, load_policy(), run_id="r")


def test_risk_model_refuses_non_finite_features() -> None:
    from ringlens.exceptions import InputError

    X = pl.DataFrame({"dense_block": [0.1, 0.9, float("nan"), 0.8], "noise": [0.0] * 4})
    y = np.array([0, 1, 0, 1])
    with pytest.raises(InputError, match=r"column 'dense_block', row 2: nan"):
        RiskModel().fit(X, y)
    m = RiskModel().fit(X.with_columns(pl.col("dense_block").fill_nan(0.5)), y)
    with pytest.raises(InputError, match=r"RiskModel.predict: column 'noise', row 0: inf"):
        m.predict(X.with_columns(noise=pl.lit(float("inf"))))
    assert np.isfinite(m.predict(X.with_columns(dense_block=pl.lit(1e308)))).all()


def test_a_ring_in_step_by_its_number_counts_its_lockstep_with_its_structure() -> None:
    # a release day's crowd: a dense block whose members lockstep also grouped, in step
    # by their number (structure_alone); lockstep says the same thing as the block, so
    # ring and members count the stronger of the two, and rank below a twin whose
    # timing is beyond chance (not structure_alone), which adds them up
    from ringlens.risk.model import ALONE_REASONS

    rings = pl.DataFrame(
        {
            "ring_id": ["crowd", "twin"],
            "size": [3, 3],
            "synchrony_excess": [0.17, 0.17],
            "structure_alone": [True, False],
        }
    )
    mem = pl.DataFrame(
        {"key": [f"fan:{i}" for i in range(6)], "ring_id": ["crowd"] * 3 + ["twin"] * 3}
    )
    s = sig([(f"fan:{i}", r, 1.0) for i in range(6) for r in ("dense_block", "lockstep_unmapped")])
    r = score_rings(rings, mem, s)
    by_id = {row["ring_id"]: row for row in r.iter_rows(named=True)}
    assert [x for x in by_id["crowd"]["reasons"] if x in ALONE_REASONS] == ["dense_block"]
    assert {"dense_block", "lockstep_unmapped"} <= set(by_id["twin"]["reasons"])
    assert by_id["crowd"]["risk_score"] < by_id["twin"]["risk_score"]
    e = score_entities(s, rings=r, membership=mem)
    fans = {row["key"]: row for row in e.iter_rows(named=True)}
    assert "lockstep_unmapped" not in fans["fan:0"]["reasons"]
    assert "lockstep_unmapped" in fans["fan:3"]["reasons"]
    assert fans["fan:0"]["risk_score"] < fans["fan:3"]["risk_score"]
