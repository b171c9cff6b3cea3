"""Value passed round a loop (:func:`ringlens.detect.flows.flow_cycles`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from ringlens.detect.flows import flow_cycles
from ringlens.exceptions import ConfigError
from ringlens.graph import build_graph

T = datetime(2024, 3, 1, tzinfo=UTC)


def _transfers(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    """The pairs as transfers between wallets, an hour apart."""
    ev = pl.DataFrame(pairs, schema=["actor_id", "target_id"], orient="row")
    return ev.with_columns(
        actor_type=pl.lit("wallet"),
        target_type=pl.lit("wallet"),
        action=pl.lit("transfer"),
        ts=pl.Series([T + timedelta(hours=i) for i in range(len(pairs))]),
    )


def _background(seed: int = 0, n: int = 4000) -> list[tuple[str, str]]:
    """Random transfers between 600 wallets, heavy-tailed: a few busy wallets pay and are
    paid far more often than most."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, 601) ** 0.8
    weights /= weights.sum()
    a, b = rng.choice(600, n, p=weights), rng.choice(600, n, p=weights)
    return [(f"bg{x:03d}", f"bg{y:03d}") for x, y in zip(a, b, strict=True) if x != y]


def test_a_loop_of_repeated_pairs_is_a_group_and_nothing_else_is() -> None:
    rows = _background()
    loop = [f"loop{i}" for i in range(6)]
    rows += [(loop[i], loop[(i + 1) % 6]) for i in range(6) for _ in range(20)]
    # friends who pay each other every week: repeated both ways, a loop of two; three
    # friends trading round a triangle, every pair both ways: exchanges, nothing goes round
    rows += [(a, b) for a, b in (("amy", "bo"), ("bo", "amy")) for _ in range(20)]
    trio = ["cy", "di", "ed"]
    rows += [(a, b) for a in trio for b in trio if a != b for _ in range(20)]
    # a payroll chain: repeated pairs that never come back
    chain = [f"pay{i}" for i in range(5)]
    rows += [(chain[i], chain[i + 1]) for i in range(4) for _ in range(20)]
    res = flow_cycles(build_graph(_transfers(rows)))
    assert res.groups.select("n_actors", "n_pairs", "events").rows() == [(6, 6, 120)]
    assert res.actors(0) == [f"wallet:{w}" for w in loop]
    assert res.targets(0) == res.actors(0)
    assert res.groups["significance"][0] >= 2.0
    assert res.params["pairs_repeated"] >= 6 + 2 + 6 + 4
    assert res.params["pairs_one_way"] == res.params["pairs_repeated"] - 2 - 6


def test_a_busy_background_gives_no_group() -> None:
    # busy wallets pay each other often, but no more than their activity explains
    res = flow_cycles(build_graph(_transfers(_background(seed=1, n=20_000))))
    assert len(res) == 0


def test_a_loop_below_min_size_or_min_events_is_no_group() -> None:
    rows = _background()
    rows += [(f"t{i}", f"t{(i + 1) % 3}") for i in range(3) for _ in range(2)]  # 2 each
    g = build_graph(_transfers(rows))
    assert len(flow_cycles(g)) == 0  # two transfers a pair: below min_events
    assert len(flow_cycles(g, min_events=2, min_size=4)) == 0


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [({"alpha": 0}, "alpha"), ({"min_events": 0}, "min_events"), ({"min_size": 1}, "min_size")],
)
def test_bad_parameters_name_themselves(kwargs: dict[str, float], says: str) -> None:
    g = build_graph(_transfers([("a", "b")]))
    with pytest.raises(ConfigError, match=says):
        flow_cycles(g, **kwargs)  # type: ignore[arg-type]


def test_zero_or_constant_amounts_are_no_value() -> None:
    # an export that writes 0 (or one constant) for events that move nothing
    from ringlens.detect.flows import moves_value

    rows = _transfers([("a", "b"), ("b", "c"), ("c", "a"), ("a", "c")])
    for amounts, value in (([0.0] * 4, False), ([1.0] * 4, False), ([5.0, 7.5, 12.0, 3.0], True)):
        g = build_graph(rows.with_columns(amount=pl.Series(amounts)))
        assert moves_value(g, "transfer") is value, amounts
