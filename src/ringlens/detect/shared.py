"""Shared attributes: accounts that share devices or payout accounts beyond what households explain.

Sock-puppet farms run many accounts from a few phones and pay out to one or two accounts;
fake-buyer pools log in from a handful of devices. Honest users share too — a family of
two to four on one tablet, a creator paying out to a partner's or an agency's account — so
sharing alone is not suspicious; sharing *beyond a household* is.

The rule (all vectorised in Polars and scipy)
----------------------------------------------
Let an *attribute* be a node of one of ``attribute_types`` (``device``, ``payment``) and
its *actors* the distinct nodes with an event on it (``login``, ``payout_to``, any action).

1. Attributes with more than ``max_attribute_actors`` actors are left out (a carrier-grade
   NAT address or a marketplace's escrow account links everyone and says nothing).
2. Two actors are **linked** when

   * they use a common attribute that has more than ``max_household`` actors (a device
     with 5+ accounts is no household), or
   * they have at least ``min_shared`` attributes in common, whatever their sizes (a
     household shares one device; the same two accounts on the same phone *and* the same
     payout account is a farm, even a small one).

3. Groups are the connected components of the linked actors with at least ``min_group``
   actors. A group's attributes are the attributes used by two or more of its actors.

The ``score`` of a group (higher = riskier) is the mean number of group actors per group
attribute (``sum of n_group_actors / n_attributes``): 20 accounts funnelled through 3 devices
score about 7, while a household can never score above ``max_household``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ringlens.detect._common import GroupMembers, check_int, check_str_list
from ringlens.exceptions import ConfigError, InputError

if TYPE_CHECKING:  # pragma: no cover
    from ringlens.graph import EventGraph

log = logging.getLogger(__name__)

__all__ = ["SharedAttributeGroups", "shared_attributes"]


@dataclass(frozen=True)
class SharedAttributeGroups(GroupMembers):
    """Groups of actors linked through shared attributes; see :func:`shared_attributes`.

    Attributes
    ----------
    groups : polars.DataFrame
        ``group`` (Int64; 0 = most actors, ties by smallest actor key), ``n_actors``,
        ``n_attributes``, ``max_attribute_actors`` (Int64: most actors on one of the group's
        attributes, all actors counted), ``attribute_types`` (list[str]), ``score`` (Float64).
    members : polars.DataFrame
        ``group``, ``key``, ``role`` (``"actor"`` / ``"attribute"``), ``degree`` (Int64: for an
        actor, the group attributes it uses; for an attribute, its distinct actors overall).
        Sorted by group, role, key.
    attributes : polars.DataFrame
        ``group``, ``key``, ``attribute_type``, ``n_actors`` (all actors using it),
        ``n_group_actors`` (Int64).
    params : dict
        The parameters of the run.
    """

    groups: pl.DataFrame
    members: pl.DataFrame
    attributes: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


def _empty(params: dict[str, Any]) -> SharedAttributeGroups:
    return SharedAttributeGroups(
        groups=pl.DataFrame(
            schema={
                "group": pl.Int64,
                "n_actors": pl.Int64,
                "n_attributes": pl.Int64,
                "max_attribute_actors": pl.Int64,
                "attribute_types": pl.List(pl.String),
                "score": pl.Float64,
            }
        ),
        members=pl.DataFrame(
            schema={"group": pl.Int64, "key": pl.String, "role": pl.String, "degree": pl.Int64}
        ),
        attributes=pl.DataFrame(
            schema={
                "group": pl.Int64,
                "key": pl.String,
                "attribute_type": pl.String,
                "n_actors": pl.Int64,
                "n_group_actors": pl.Int64,
            }
        ),
        params=params,
    )


def shared_attributes(
    graph: EventGraph,
    *,
    attribute_types: tuple[str, ...] | list[str] = ("device", "payment"),
    max_household: int = 4,
    min_shared: int = 2,
    min_group: int = 3,
    max_attribute_actors: int = 1000,
) -> SharedAttributeGroups:
    """Find groups of actors sharing devices or payout accounts beyond households.

    Parameters
    ----------
    graph
        The event graph.
    attribute_types
        Node types that are attributes of an account rather than things it acts on.
    max_household
        Most actors one attribute may have and still be organic (a household).
    min_shared
        Attributes two actors must share to be linked through attributes of household size.
    min_group
        Smallest group reported.
    max_attribute_actors
        Attributes with more actors are left out (0 keeps all).

    Returns
    -------
    SharedAttributeGroups

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> farm = [(f"c{i}", "creator", "login", "device", "d1") for i in range(6)]
    >>> family = [(f"b{i}", "buyer", "login", "device", "d2") for i in range(3)]
    >>> ev = pl.DataFrame(farm + family, orient="row",
    ...     schema=["actor_id", "actor_type", "action", "target_type", "target_id"])
    >>> ev = ev.with_columns(ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)))
    >>> res = shared_attributes(build_graph(ev))
    >>> res.groups.select("group", "n_actors", "n_attributes", "score").rows()
    [(0, 6, 1, 6.0)]
    >>> res.attributes.select("key", "n_actors").rows()
    [('device:d1', 6)]
    """
    from ringlens.graph import EventGraph
    from ringlens.graph.core import component_labels

    if not isinstance(graph, EventGraph):
        raise InputError(f"shared_attributes needs an EventGraph, got {type(graph).__name__}")
    types = check_str_list("attribute_types", attribute_types)
    if types is None:
        raise ConfigError("attribute_types must be a non-empty list of node types, got None")
    max_household = check_int("max_household", max_household, 1)  # type: ignore[assignment]
    min_shared = check_int("min_shared", min_shared, 1)  # type: ignore[assignment]
    min_group = check_int("min_group", min_group, 2)  # type: ignore[assignment]
    max_attribute_actors = check_int("max_attribute_actors", max_attribute_actors, 0)  # type: ignore[assignment]
    params = {
        "attribute_types": types,
        "max_household": max_household,
        "min_shared": min_shared,
        "min_group": min_group,
        "max_attribute_actors": max_attribute_actors,
    }

    nodes = graph.nodes.select("node", "node_type", "key")
    attrs = nodes.filter(pl.col("node_type").is_in(types)).select(pl.col("node").alias("dst"))
    rel = graph.edges.select("src", "dst").join(attrs, on="dst", how="semi").unique()
    # an attribute does not use itself; attributes acting on attributes are not actors
    rel = rel.join(attrs.rename({"dst": "src"}), on="src", how="anti")
    n_act = rel.group_by("dst").agg(pl.len().cast(pl.Int64).alias("n_actors"))
    if max_attribute_actors:
        big = n_act.filter(pl.col("n_actors") > max_attribute_actors)
        if big.height:
            log.info(
                "shared_attributes: %d attributes above max_attribute_actors left out", big.height
            )
        rel = rel.join(big.select("dst"), on="dst", how="anti")
    rel = rel.join(n_act, on="dst")
    shared = rel.filter(pl.col("n_actors") >= 2)
    if shared.height == 0:
        return _empty(params)

    strong = shared.filter(pl.col("n_actors") > max_household).select("src", "dst")
    small = shared.filter(pl.col("n_actors") <= max_household).select("src", "dst")
    pairs = (
        small.join(small.rename({"src": "b"}), on="dst")
        .filter(pl.col("src") < pl.col("b"))
        .group_by("src", "b")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= min_shared)
        .select(pl.col("src").alias("a"), "b")
    )
    # one graph over actors and strong attributes; vertex ids = node ids (contiguous)
    e = np.concatenate(
        [
            strong.select("src", "dst").to_numpy().astype(np.int64).reshape(-1, 2),
            pairs.select("a", "b").to_numpy().astype(np.int64).reshape(-1, 2),
        ]
    )
    used = np.unique(e)
    local = np.searchsorted(used, e)
    memb = pl.DataFrame(
        {
            "node": pl.Series(used, dtype=graph.nodes["node"].dtype),
            "comp": component_labels(len(used), local[:, 0], local[:, 1]),
        }
    )
    actor_comp = memb.join(attrs.rename({"dst": "node"}), on="node", how="anti").rename(
        {"node": "src"}
    )
    sizes = actor_comp.group_by("comp").agg(pl.len().alias("k")).filter(pl.col("k") >= min_group)
    actor_comp = actor_comp.join(sizes.select("comp"), on="comp", how="semi")
    if actor_comp.height == 0:
        return _empty(params)

    # group attributes: any attribute used by >= 2 actors of the group
    ga = (
        shared.join(actor_comp, on="src")
        .group_by("comp", "dst")
        .agg(pl.len().cast(pl.Int64).alias("n_group_actors"), pl.col("n_actors").first())
        .filter(pl.col("n_group_actors") >= 2)
    )
    keys = nodes.rename({"node": "dst"})
    order = (
        actor_comp.join(nodes.rename({"node": "src"}), on="src")
        .group_by("comp")
        .agg(pl.len().alias("n"), pl.col("key").min().alias("first"))
        .sort(["n", "first"], descending=[True, False])
        .with_row_index("group")
        .select("comp", pl.col("group").cast(pl.Int64))
    )
    attributes = (
        ga.join(keys, on="dst")
        .join(order, on="comp")
        .select(
            "group",
            "key",
            pl.col("node_type").alias("attribute_type"),
            "n_actors",
            "n_group_actors",
        )
        .sort("group", "key")
    )
    actor_deg = (
        shared.join(actor_comp, on="src")
        .join(ga.select("comp", "dst"), on=["comp", "dst"], how="semi")
        .group_by("comp", "src")
        .agg(pl.len().cast(pl.Int64).alias("degree"))
    )
    actor_rows = (
        actor_comp.join(actor_deg, on=["comp", "src"], how="left")
        .with_columns(pl.col("degree").fill_null(0))
        .join(nodes.rename({"node": "src"}), on="src")
        .join(order, on="comp")
        .select("group", "key", pl.lit("actor").alias("role"), "degree")
    )
    members = pl.concat(
        [
            actor_rows,
            attributes.select(
                "group",
                "key",
                pl.lit("attribute").alias("role"),
                pl.col("n_actors").alias("degree"),
            ),
        ]
    ).sort("group", "role", "key")
    groups = (
        actor_rows.group_by("group")
        .agg(pl.len().cast(pl.Int64).alias("n_actors"))
        .join(
            attributes.group_by("group").agg(
                pl.len().cast(pl.Int64).alias("n_attributes"),
                pl.col("n_actors").max().alias("max_attribute_actors"),
                pl.col("attribute_type").unique().sort().alias("attribute_types"),
                pl.col("n_group_actors").sum().alias("_links"),
            ),
            on="group",
        )
        .select(
            "group",
            "n_actors",
            "n_attributes",
            "max_attribute_actors",
            "attribute_types",
            (pl.col("_links") / pl.col("n_attributes")).cast(pl.Float64).alias("score"),
        )
        .sort("group")
    )
    log.info("shared_attributes: %d groups, %d actors", groups.height, actor_rows.height)
    return SharedAttributeGroups(
        groups=groups, members=members, attributes=attributes, params=params
    )
