"""Entity-signal rules: one small function per rule, used by both engines.

Each returns a signal frame (``key, reason, strength``; :data:`SIGNAL_SCHEMA`):

==========================  ============================================================
reason                      rule
==========================  ============================================================
``new_account``             created less than :data:`NEW_ACCOUNT_DAYS` before the first event
``prior_violations``        ``1 − 0.5^n`` for ``n`` earlier violations
``near_confirmed_bad``      among accounts (not seeds), the top :data:`NEAR_TOP_SHARE`
                            by ``ppr_lift`` (personalised PageRank from the confirmed
                            labels over the unpersonalised PageRank), lift > 1
==========================  ============================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from ringlens.graph import node_key
from ringlens.risk.model import SIGNAL_SCHEMA

if TYPE_CHECKING:  # pragma: no cover
    from ringlens.graph import EventGraph
    from ringlens.pipeline.context import RunContext

__all__ = [
    "ACCOUNT_TYPES",
    "NEAR_TOP_SHARE",
    "NEW_ACCOUNT_DAYS",
    "SIGNAL_SCHEMA",
    "account_keys",
    "confirmed_seeds",
    "near_confirmed_bad",
    "new_account",
    "prior_violations",
    "run_new_accounts",
]

#: An account created less than this many days before the data starts is new.
NEW_ACCOUNT_DAYS = 60
#: ``near_confirmed_bad``: the share of accounts at the top of the PageRank ranking.
NEAR_TOP_SHARE = 0.01
#: Node types ranked by personalised PageRank when the run knows no account types
#: (the names of the bundled data; a run takes them from its vocabulary's roles).
ACCOUNT_TYPES: tuple[str, ...] = ("creator", "buyer", "seller")


def account_keys(types: Sequence[str] = ACCOUNT_TYPES) -> pl.Expr:
    """True for node keys (column ``key``) of an account type.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"key": ["buyer:1", "product:2"]}).filter(account_keys())["key"].to_list()
    ['buyer:1']
    """
    if not types:
        return pl.lit(False)
    return pl.any_horizontal([pl.col("key").str.starts_with(t + ":") for t in types])


def _entity_keys(entities: pl.DataFrame, nodes: pl.DataFrame) -> pl.DataFrame:
    """Entities with their node ``key``, limited to nodes of the graph."""
    ent = entities.select(node_key("entity_type", "entity_id"), "created_at", "prior_violations")
    return ent.join(nodes.select("key"), on="key", how="semi")


def new_account(entities: pl.DataFrame, *, nodes: pl.DataFrame, first_ts: datetime) -> pl.DataFrame:
    """``new_account`` (strength 1) for accounts created at most :data:`NEW_ACCOUNT_DAYS`
    before ``first_ts``.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> t = datetime(2024, 6, 1, tzinfo=timezone.utc)
    >>> ent = pl.DataFrame({"entity_type": ["buyer", "buyer"], "entity_id": ["1", "2"],
    ...     "created_at": [datetime(2024, 5, 1, tzinfo=timezone.utc), datetime(2020, 1, 1, tzinfo=timezone.utc)],
    ...     "prior_violations": [0, 0]})
    >>> new_account(ent, nodes=pl.DataFrame({"key": ["buyer:1", "buyer:2"]}), first_ts=t)["key"].to_list()
    ['buyer:1']
    """
    ent = _entity_keys(entities, nodes)
    new = ent.filter(pl.col("created_at") >= first_ts - timedelta(days=NEW_ACCOUNT_DAYS))
    return new.select(
        "key", pl.lit("new_account").alias("reason"), pl.lit(1.0).alias("strength")
    ).cast(SIGNAL_SCHEMA)


def run_new_accounts(
    graph: EventGraph, entities: pl.DataFrame | None, context: RunContext | None = None
) -> tuple[pl.Series, float] | None:
    """The node keys of the new accounts (created at most :data:`NEW_ACCOUNT_DAYS` before
    the run's first event, or after it: the ``new_account`` signal's) and the platform's
    share of them among the accounts whose creation time is known — the whole run's first
    event and share when ``graph`` is a part of it (``context``). None when the entities
    do not say when accounts were created
    (:func:`ringlens.rings.features.new_accounts`)."""
    from ringlens.rings.features import new_accounts

    if entities is None or "created_at" not in entities.columns:
        return None
    first_ts: Any = context.first_ts if context is not None else None
    if first_ts is None:
        first_ts = graph.events["ts"].min()
    found = new_accounts(graph, entities, first_ts=first_ts, days=NEW_ACCOUNT_DAYS)
    if found is None:
        return None
    new, share = found
    rate = context.new_account_base if context is not None else None
    return new, float(share if rate is None else rate)


def prior_violations(entities: pl.DataFrame, *, nodes: pl.DataFrame) -> pl.DataFrame:
    """``prior_violations`` with strength ``1 − 0.5^n`` for accounts with ``n > 0``."""
    ent = _entity_keys(entities, nodes).filter(pl.col("prior_violations") > 0)
    return ent.select(
        "key",
        pl.lit("prior_violations").alias("reason"),
        (1.0 - pl.lit(0.5).pow(pl.col("prior_violations").cast(pl.Float64))).alias("strength"),
    ).cast(SIGNAL_SCHEMA)


def confirmed_seeds(labels: pl.DataFrame | None, *, nodes: pl.DataFrame) -> list[str]:
    """Node keys of the entities labelled ``confirmed`` that are nodes of the graph."""
    if labels is None:
        return []
    return (
        labels.filter(pl.col("label") == "confirmed")
        .select(node_key("entity_type", "entity_id"))
        .join(nodes.select("key"), on="key", how="semi")["key"]
        .to_list()
    )


def near_confirmed_bad(top: pl.DataFrame, *, n_accounts: int) -> pl.DataFrame:
    """The ``near_confirmed_bad`` signal from the highest-ranked accounts.

    Accounts (seeds excluded) are ranked by ``ppr_lift`` — the personalised PageRank from
    the seeds over the plain PageRank, i.e. how much more of the seeds' walk an account
    gets than of a walk from anywhere (``rank("average") / n_accounts``); the top
    :data:`NEAR_TOP_SHARE` with ``ppr_lift > 1`` are flagged, with strength rising from
    0.2 to 1 towards the top. Raw personalised PageRank would favour the heavy users that
    every walk reaches (a shop's busiest customers are next to the shop whatever the shop
    did); its ratio to the plain PageRank is the degree-normalised order in which local
    clustering sweeps the seeds' community (Andersen, Chung & Lang, FOCS 2006). Only the
    top of the ranking matters, so ``top`` need only hold the accounts whose ``ppr_lift``
    is at least some threshold (every account at or above it, with ``key, ppr_lift``); the
    average rank of a value ``v`` is ``n - (#values >= v) + (#values == v + 1) / 2``.

    Examples
    --------
    >>> import polars as pl
    >>> top = pl.DataFrame({"key": ["buyer:1", "buyer:2"], "ppr": [0.5, 0.2], "ppr_lift": [3.0, 2.0]})
    >>> [(k, round(s, 6)) for k, _, s in near_confirmed_bad(top, n_accounts=200).rows()]
    [('buyer:1', 1.0), ('buyer:2', 0.5)]
    """
    if top.height == 0 or n_accounts == 0:
        return pl.DataFrame(schema=SIGNAL_SCHEMA)
    cut = 1.0 - NEAR_TOP_SHARE
    ge = top.group_by("ppr_lift").agg(pl.len().alias("_eq")).sort("ppr_lift", descending=True)
    ge = ge.with_columns(pl.col("_eq").cum_sum().alias("_ge"))
    ranked = top.join(ge, on="ppr_lift").with_columns(
        (
            (pl.lit(n_accounts, dtype=pl.Float64) - pl.col("_ge").cast(pl.Float64))
            + (pl.col("_eq").cast(pl.Float64) + 1.0) / 2.0
        ).alias("_rank")
    )
    pct = pl.col("_rank") / float(n_accounts)
    near = ranked.with_columns(pct.alias("pct")).filter(
        (pl.col("pct") >= cut) & (pl.col("ppr_lift") > 1.0)
    )
    return (
        near.select(
            "key",
            pl.lit("near_confirmed_bad").alias("reason"),
            ((pl.col("pct") - cut) / NEAR_TOP_SHARE).clip(0.2, 1.0).alias("strength"),
        )
        .cast(SIGNAL_SCHEMA)
        .sort("key")
    )
