"""The run's flow-cycles detector: value passed round a loop is a ring; messages and
ratings that loop are not read."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from ringlens.config import load_config
from ringlens.pipeline import run

T = datetime(2024, 3, 1, tzinfo=UTC)


def _platform(seed: int = 2) -> tuple[pl.DataFrame, list[str]]:
    """Members tipping each other (amounts), messaging each other and rating each other
    1-5 over four weeks; eight members pass 1,000 coins round a loop every day; six
    friends message one another in a loop every day and rate one another round a loop."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, 1501) ** 0.8
    weights /= weights.sum()
    rows = []
    for action, n in (("tip", 6000), ("message", 8000), ("rate", 5000)):
        a, b = rng.choice(1500, n, p=weights), rng.choice(1500, n, p=weights)
        when = rng.integers(0, 28 * 86400, n)
        if action == "tip":
            amount = np.round(rng.lognormal(2.0, 1.0, n), 2)
        elif action == "rate":
            amount = rng.integers(1, 6, n).astype(float)
        else:
            amount = np.full(n, np.nan)
        rows += [
            (f"m{x:04d}", action, f"m{y:04d}", int(s), float(v))
            for x, y, s, v in zip(a, b, when, amount, strict=True)
            if x != y
        ]
    loop = [f"coin{i}" for i in range(8)]
    chat = [f"chat{i}" for i in range(6)]
    for day in range(28):
        rows += [
            (loop[i], "tip", loop[(i + 1) % 8], day * 86400 + 3600 * i, 1000.0) for i in range(8)
        ]
        rows += [
            (chat[i], "message", chat[(i + 1) % 6], day * 86400 + 60 * i, float("nan"))
            for i in range(6)
        ]
        rows += [(chat[i], "rate", chat[(i + 1) % 6], day * 86400 + 90 * i, 5.0) for i in range(6)]
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_id", "s", "amount"], orient="row")
    events = ev.select(
        "actor_id",
        pl.lit("member").alias("actor_type"),
        "target_id",
        pl.lit("member").alias("target_type"),
        "action",
        (pl.lit(T) + pl.duration(seconds=pl.col("s"))).dt.cast_time_unit("us").alias("ts"),
        pl.col("amount").fill_nan(None),
    )
    return events, loop


def test_value_round_a_loop_is_a_ring_and_chats_and_ratings_are_not(tmp_path) -> None:
    events, loop = _platform()
    src = tmp_path / "events.parquet"
    events.write_parquet(src)
    cfg = load_config(env={}, cwd=False).with_overrides({"viz.enabled": False})
    res = run(src, out_dir=tmp_path / "out", config=cfg)
    assert res.report["counts"]["candidates"]["flow_cycles"] == 1
    ring = res.rings.filter(pl.col("detectors").list.contains("flow_cycles"))
    assert ring.height == 1
    top = ring.row(0, named=True)
    assert set(top["members"]) == {f"member:{m}" for m in loop}
    assert top["pattern"] == "flow_cycle" and "flow_cycle" in top["reasons"]
    chatters = {f"member:chat{i}" for i in range(6)}
    assert not any(chatters & set(m) for m in ring["members"].to_list())
