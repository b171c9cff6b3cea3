"""An organic background for tests that plant a small ring.

The run's detectors are statistical: a group is a ring only when it is improbable against
a null model fitted to the rest of the data. Five buyers ordering two products in two
bursts with nothing else in the table is not improbable against anything; the same five
buyers among a few hundred ordinary shoppers are. Tests whose subject is not detection
(ids, hashes, sinks, NaN guards) plant their ring into this background so the ring is
found for the right reason and the test keeps testing what it is about.

The background: ``n_accounts`` organic accounts with heavy-tailed activity (log-normal
event counts: most accounts act a few times, a few act dozens of times) acting on
``n_targets`` targets with heavy-tailed popularity (Zipf weights), at uniformly random
times over ``days`` days from ``start``, all with the one actor type, action and target
type given (the ring's own family). Deterministic for a given ``seed``. Ids are at least
12 characters long (``organic-0001``, ``catalog-001``), so they cannot collide with the
short ids the tests plant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import polars as pl

__all__ = [
    "BACKGROUND_START",
    "background_rows",
    "organic_background",
    "own_phones",
    "sampled_reviews",
    "with_background",
]

BACKGROUND_START = datetime(2024, 5, 1, tzinfo=UTC)


def organic_background(
    *,
    actor_type: str = "buyer",
    action: str = "order",
    target_type: str = "product",
    start: datetime = BACKGROUND_START,
    days: int = 21,
    n_accounts: int = 300,
    n_targets: int = 40,
    targets: Sequence[str] = (),
    seed: int = 0,
) -> pl.DataFrame:
    """Organic events: ``actor_id, actor_type, target_id, target_type, action, ts, amount``.

    ``targets`` are ids of the planted ring's targets that also get organic traffic (they
    join the catalogue at random popularity ranks).
    """
    rng = np.random.default_rng(seed)
    catalogue = [f"catalog-{i:03d}" for i in range(n_targets)] + list(targets)
    order = rng.permutation(len(catalogue))  # the ring's targets at random ranks
    weights = 1.0 / np.arange(1, len(catalogue) + 1) ** 1.1
    popularity = weights[order] / weights.sum()
    per_account = np.clip(np.ceil(rng.lognormal(1.0, 1.0, n_accounts)), 1, 80).astype(int)
    actors = np.repeat([f"organic-{i:04d}" for i in range(n_accounts)], per_account)
    n = len(actors)
    hit = rng.choice(len(catalogue), size=n, p=popularity)
    offset_us = rng.integers(0, days * 86_400 * 1_000_000, size=n)
    start_us = int(start.timestamp() * 1_000_000)
    return pl.DataFrame(
        {
            "actor_id": actors,
            "actor_type": actor_type,
            "target_id": np.asarray(catalogue, dtype=object)[hit].astype(str),
            "target_type": target_type,
            "action": action,
            "ts": pl.Series(start_us + offset_us).cast(pl.Datetime("us", "UTC")),
            "amount": np.round(rng.lognormal(3.0, 0.8, n), 2),
        }
    ).sort("ts", "actor_id", "target_id")


def with_background(events: pl.DataFrame, **kwargs: object) -> pl.DataFrame:
    """``events`` followed by an organic background (:func:`organic_background` with
    ``kwargs``), in ``events``' columns and types (missing columns are null)."""
    bg = organic_background(**kwargs)  # type: ignore[arg-type]
    bg = bg.select([c for c in bg.columns if c in events.columns])
    return pl.concat([events, bg], how="diagonal_relaxed").select(events.columns)


def background_rows(**kwargs: object) -> list[list[str]]:
    """The background as CSV rows ``actor_id, actor_type, target_id, target_type, action,
    ts`` (ISO-8601 UTC), for tests that write their events as text."""
    bg = organic_background(**kwargs)  # type: ignore[arg-type]
    return [
        list(r)
        for r in bg.select(
            "actor_id",
            "actor_type",
            "target_id",
            "target_type",
            "action",
            pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ).rows()
    ]


def sampled_reviews(n_users: int = 400, n_items: int = 200, seed: int = 1) -> pl.DataFrame:
    """A review export sampled from a large catalogue, with no vocabulary (``user`` rates
    ``sku``): most accounts rate one to five items and most items have a few raters (a
    phone's shape), with a ring of twenty accounts (``r0``..``r19``) that rate the same six
    fresh items (``x0``..``x5``) within an hour."""
    import random

    rnd = random.Random(seed)
    rows = [
        (f"u{rnd.randrange(n_users)}", f"i{rnd.randrange(n_items)}", rnd.randrange(30 * 86400))
        for _ in range(3 * n_users)
    ]
    rows += [
        (f"r{u}", f"x{i}", 15 * 86400 + rnd.randrange(3600)) for u in range(20) for i in range(6)
    ]
    ev = pl.DataFrame(rows, schema=["actor_id", "target_id", "s"], orient="row")
    return ev.select(
        "actor_id",
        pl.lit("user").alias("actor_type"),
        "target_id",
        pl.lit("sku").alias("target_type"),
        pl.lit("rate").alias("action"),
        (pl.lit(datetime(2024, 3, 1, tzinfo=UTC)) + pl.duration(seconds=pl.col("s"))).alias("ts"),
    ).with_columns(pl.col("ts").dt.cast_time_unit("us"))


def own_phones(events: pl.DataFrame) -> pl.DataFrame:
    """One ``unlock`` of its own ``phone`` per event of ``events`` by its account: a device
    each account keeps to itself."""
    return events.select(
        "actor_id",
        "actor_type",
        pl.col("actor_id").alias("target_id"),
        pl.lit("phone").alias("target_type"),
        pl.lit("unlock").alias("action"),
        "ts",
    )
