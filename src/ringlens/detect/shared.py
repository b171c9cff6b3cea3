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

Shared rare targets
-------------------

:func:`shared_targets` generalises the rule to any shareable target type the caller names
(devices, payout accounts, coupons, vouchers, …) and replaces the size thresholds by links
and a test:

1. **Targets.** Accounts on targets of ``target_types`` (optionally restricted by
   ``actions`` / ``actor_types``). A target is *tested* when it has more than
   ``max_household`` accounts and at most ``max_target_actors`` (the cap; by default
   the largest audience at which the tested targets' account pairs stay within four
   per cell, so the work is linear in the data). A coupon claimed by thousands is
   above the cap: a campaign, not a ring's tool.
2. **Links elsewhere**: for a target of one type, two of its accounts are linked when
   they share a target of *another* shareable type (a voucher's claimers on one
   handset, a device's users cashing out to one wallet; a shop's regulars claiming
   several of its vouchers share only the one type) — of another *kind*, when
   ``kinds`` gives the types' kinds (a LAN café's machines and its network address
   are both devices: one place, no link), or when they are in the same
   group of ``elsewhere`` — groups another detector found in their other activity,
   e.g. the :func:`~ringlens.detect.communities.significant_communities` of the
   platform's engagement: co-interaction that popularity, fandoms and niches do not
   explain (raw co-interaction would link a live's audience, which claims the live's
   voucher drop together). With ``rare_links``, accounts that act on the same rare
   target of another kind are linked too — rare overall (an obscure product), or, with
   ``rare_window``, rare *for a while*: few accounts act on it within those hours (a
   phone farm's accounts claiming a popular voucher in the same hour), through
   interactions only (``rare_actions``: an agency's hosts pinning their shop's items
   together is ownership, not a link). Sharing several targets of the tested one's own
   type is no link: a school lab's or an internet café's students rotate over its
   machines exactly as a phone farm's accounts rotate over its phones.
3. **Test per target.** Its accounts' largest linked cluster must exceed household
   size, and the links inside the target's accounts must be improbable: ``L`` links
   against ``E = sum s_a s_b / 2W`` over the cluster's pairs (``s`` the accounts'
   links, ``W`` all links: the configuration model of the link graph; Chung & Lu,
   Annals of Combinatorics 6, 2002), ``P(X >= L)`` for ``X ~ Poisson(E)``, times the
   ways to choose the cluster among the target's accounts, Bonferroni-corrected over
   the targets tested, at most ``alpha``. Heavy users and households linked to many explain their links; a ring's
   accounts are linked to each other and hardly to anyone else. With ``blocks`` (each
   account's market or city), ``E`` comes from the degree-corrected block model
   instead (Karrer & Newman, Phys. Rev. E 83, 2011): a city's eaters share its local
   kitchens, so forty of them behind one carrier NAT are linked far beyond the whole
   platform's chance, but not beyond their city's (a block of fewer than ``MIN_BLOCK``
   linked accounts, which a farm may be most of, keeps the whole's rate). With ``rare_window``, the accounts
   on the repeat types' tested targets, the only ones whose links for a while are
   computed, are a block of their own, so they are compared with each other.
4. **Pools of new accounts** (with ``new_accounts`` and ``new_rate``). Targets of the
   repeat types (devices, payout accounts) that share two accounts or more form a pool
   (a farm rotates its accounts over its phones). A pool whose new accounts exceed
   household size and are improbable at the platform's own rate of new accounts
   (``P(X >= x)``, ``X ~ Binomial(n, new_rate)``, Bonferroni over the pools, at most
   ``alpha``) makes its targets significant, each with its new accounts as the
   cluster, whatever their links: a farm registers fresh accounts in batches on its
   phones, a household or an internet café holds accounts of every age.
5. **Families met on a rare target** (with ``rare_links`` and ``repeat_types``).
   Household-sized targets of the repeat types (a card two accounts pay with) make
   families, merged where they share an account. A unit — a target of another type
   that at most the cap's accounts act on, or with ``rare_window`` a quiet span of one
   (:func:`_rare_while`) — where ``k >= 2`` families of one type have two members or
   more each is tested against ``Poisson(H n / N · min(1, q A / H))`` (``H`` families
   of that type holding ``A`` accounts, ``n`` of the ``N`` accounts acting on the other
   targets on the unit: at most, a family goes where its member goes; ``q`` the share
   of the families' visits to rare targets that two of them make together, which says
   how much less often they do), Bonferroni over the units a family met on, at most
   ``alpha``; the families' household targets become significant with their members
   on the unit as the cluster. Four pairs of accounts, each on a card of its own, all
   buying in one small developer's app in the same day are four families where
   chance, at a platform where cards are rarely shared, puts a hundredth of one.
6. **Groups.** The clusters of significant targets, merged when they share accounts
   (a farm's phones and its payout account make one group).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ringlens.detect._common import (
    GroupMembers,
    check_float,
    check_int,
    check_str_list,
    cohit_counts,
    family_cells,
    group_order,
    log10_binom,
    pair_budget_cap,
    poisson_log10_sf,
)
from ringlens.detect.significance import binomial_log10_sf
from ringlens.exceptions import ConfigError, InputError
from ringlens.graph.core import unique_sorted
from ringlens.graph.roles import SHAREABLE_ROLES, normalise_name

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Collection

    from ringlens.graph import EventGraph

log = logging.getLogger(__name__)

__all__ = [
    "SharedAttributeGroups",
    "SharedTargetGroups",
    "nested_kinds",
    "outside_audience",
    "shared_attributes",
    "shared_targets",
]


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
    used = unique_sorted(e.ravel())
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

    return _attribute_frames(shared, actor_comp, nodes, params)


def _actor_rows(
    edges: pl.DataFrame,
    actor_comp: pl.DataFrame,
    used: pl.DataFrame,
    keys: pl.DataFrame,
    order: pl.DataFrame,
) -> pl.DataFrame:
    """The ``actor`` member rows of the groups: ``group, key, role, degree``, the degree
    counting the edges (``src, dst``) an actor has to the targets its group shares
    (``used``: ``comp, dst``); ``keys`` maps ``node`` to ``key``, ``order`` ``comp`` to
    ``group``."""
    degree = (
        edges.join(actor_comp, on="src")
        .join(used.select("comp", "dst"), on=["comp", "dst"], how="semi")
        .group_by("comp", "src")
        .agg(pl.len().cast(pl.Int64).alias("degree"))
    )
    return (
        actor_comp.join(degree, on=["comp", "src"], how="left")
        .with_columns(pl.col("degree").fill_null(0))
        .join(keys.rename({"node": "src"}), on="src")
        .join(order, on="comp")
        .select("group", "key", pl.lit("actor").alias("role"), "degree")
    )


def _attribute_frames(
    shared: pl.DataFrame, actor_comp: pl.DataFrame, nodes: pl.DataFrame, params: dict[str, Any]
) -> SharedAttributeGroups:
    """The frames of :func:`shared_attributes` for its groups (``actor_comp``: src, comp)."""
    # group attributes: any attribute used by >= 2 actors of the group
    ga = (
        shared.join(actor_comp, on="src")
        .group_by("comp", "dst")
        .agg(pl.len().cast(pl.Int64).alias("n_group_actors"), pl.col("n_actors").first())
        .filter(pl.col("n_group_actors") >= 2)
    )
    keys = nodes.rename({"node": "dst"})
    order = group_order(
        actor_comp.join(nodes.rename({"node": "src"}), on="src").select("comp", "key")
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
    actor_rows = _actor_rows(shared, actor_comp, ga, nodes, order)
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


# ---- shared rare targets on any shareable role ---------------------------------------------


@dataclass(frozen=True)
class SharedTargetGroups(GroupMembers):
    """Groups of accounts behind shared rare targets; see :func:`shared_targets`.

    Attributes
    ----------
    groups : polars.DataFrame
        ``group`` (Int64; 0 = most actors, ties by smallest actor key), ``n_actors``,
        ``n_targets`` (Int64: shared targets used by two members or more),
        ``max_target_actors`` (Int64: most accounts on one of them, all counted),
        ``target_types`` (list[str]), ``links`` (Int64: linked member pairs),
        ``expected_links`` (Float64), ``log10_pvalue`` and ``significance`` (Float64),
        ``gathered`` (Boolean: families met on a rare target made the group, step 5;
        their candidates are not split along their own targets).
    members : polars.DataFrame
        ``group``, ``key``, ``role`` (``"actor"`` / ``"target"``), ``degree`` (Int64: for an
        actor, the group's targets it uses; for a target, its accounts overall).
    targets : polars.DataFrame
        ``group``, ``key``, ``target_type``, ``n_actors`` (all accounts on it),
        ``n_group_actors`` (Int64).
    tested : polars.DataFrame
        Every target beyond household size that was tested: ``key``, ``n_actors``,
        ``linked`` (Int64: its accounts in the largest linked cluster), ``links``,
        ``expected_links``, ``log10_pvalue``, ``significant`` and ``rejected`` (the test it
        failed: ``"household"`` — no cluster beyond household size —, ``"significance"``);
        and the household-sized targets of significant gatherings (step 5), where
        ``links`` and ``expected_links`` are the families met and expected.
    params : dict
        The parameters, with the cap used.
    """

    groups: pl.DataFrame
    members: pl.DataFrame
    targets: pl.DataFrame
    tested: pl.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


_TESTED_SCHEMA = {
    "key": pl.String,
    "n_actors": pl.Int64,
    "linked": pl.Int64,
    "links": pl.Int64,
    "expected_links": pl.Float64,
    "log10_pvalue": pl.Float64,
    "significant": pl.Boolean,
    "rejected": pl.String,
}


def _empty_targets(
    params: dict[str, Any], tested: pl.DataFrame | None = None
) -> SharedTargetGroups:
    return SharedTargetGroups(
        groups=pl.DataFrame(
            schema={
                "group": pl.Int64,
                "n_actors": pl.Int64,
                "n_targets": pl.Int64,
                "max_target_actors": pl.Int64,
                "target_types": pl.List(pl.String),
                "links": pl.Int64,
                "expected_links": pl.Float64,
                "log10_pvalue": pl.Float64,
                "significance": pl.Float64,
                "gathered": pl.Boolean,
            }
        ),
        members=pl.DataFrame(
            schema={"group": pl.Int64, "key": pl.String, "role": pl.String, "degree": pl.Int64}
        ),
        targets=pl.DataFrame(
            schema={
                "group": pl.Int64,
                "key": pl.String,
                "target_type": pl.String,
                "n_actors": pl.Int64,
                "n_group_actors": pl.Int64,
            }
        ),
        tested=pl.DataFrame(schema=_TESTED_SCHEMA) if tested is None else tested,
        params=params,
    )


def shared_targets(
    graph: EventGraph,
    *,
    target_types: list[str],
    actions: list[str] | None = None,
    actor_types: list[str] | None = None,
    max_household: int = 4,
    max_target_actors: int | None = None,
    elsewhere: pl.DataFrame | None = None,
    alpha: float = 0.01,
    repeat_types: list[str] | None = None,
    rare_links: bool = False,
    rare_window: timedelta | None = None,
    rare_actions: list[str] | None = None,
    new_accounts: list[str] | pl.Series | None = None,
    new_rate: float | None = None,
    blocks: pl.DataFrame | None = None,
    kinds: dict[str, str] | None = None,
) -> SharedTargetGroups:
    """Accounts behind a shared rare target that are also linked elsewhere.

    Sharing is ordinary in small numbers (a family's tablet) and large ones (a campaign);
    a ring is accounts beyond household size on one rare target, *otherwise linked*.

    Parameters
    ----------
    graph
        The event graph.
    target_types
        Node types of the shareable targets (the platform's own names).
    actions, actor_types
        Optional filters on the events that use those targets.
    max_household, max_target_actors
        Most accounts one target may have and still be organic (a household); the cap
        on the accounts of a tested target (None: from the pair budget).
    elsewhere, alpha
        Groups found elsewhere (``group``, ``key``: a group's accounts are linked); the
        significance level of a target, Bonferroni-corrected over the targets tested.
    repeat_types
        Types of personal attributes (devices, payout accounts): rare links and links for
        a while count on them only; their targets form the pools of step 4 and the
        families of step 5. Sharing two is no link (a school lab's machines).
    rare_links
        Accounts that both act on a rare target of another kind (at most the cap's
        accounts touch it: an obscure product) are linked too (on ``repeat_types`` only).
    rare_window, rare_actions
        With ``rare_links``, a target is also rare while at most the cap's accounts act on
        it in two windows of this length, through these actions (None: any; rare overall).
    new_accounts, new_rate
        Node keys of recently created accounts and the platform's share of them (step 4).
    blocks
        ``key``, ``block``: each account's market or city (step 3).
    kinds
        Target type → kind (``device``, ``payout_account``, ``coupon``): a shared target
        of another type of the same kind is no link (None: each type its own kind).

    Returns
    -------
    SharedTargetGroups

    Examples
    --------
    Eight accounts claim one voucher and cash out to one wallet; a family of four on a
    tablet; 500 shoppers in families of three (a tablet, a family voucher each) claim a
    campaign voucher and sixty small ones (eight claimers each):

    >>> import numpy as np, polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rng = np.random.default_rng(0)
    >>> rows = [(f"m{i}", "claim", "voucher", "v1") for i in range(8)]
    >>> rows += [(f"m{i}", "cash_out", "wallet", "w1") for i in range(8)]
    >>> rows += [(f"f{i}", "sign_in", "tablet", "home") for i in range(4)]
    >>> rows += [(f"s{i}", "claim", "voucher", "promo") for i in range(500)]
    >>> rows += [(f"s{i}", "sign_in", "tablet", f"t{i // 3}") for i in range(500)]
    >>> rows += [(f"s{i}", "claim", "voucher", f"family{i // 3}") for i in range(500)]
    >>> rows += [(f"s{i}", "claim", "voucher", f"small{j}") for j in range(60)
    ...          for i in rng.choice(500, 8, replace=False)]
    >>> ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_type", "target_id"],
    ...                   orient="row")
    >>> ev = ev.with_columns(actor_type=pl.lit("member"),
    ...                      ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)))
    >>> res = shared_targets(build_graph(ev), target_types=["voucher", "wallet", "tablet"],
    ...                      max_target_actors=100)
    >>> res.groups.select("group", "n_actors", "n_targets").rows()
    [(0, 8, 2)]
    >>> res.targets.select("key", "n_actors").rows()
    [('voucher:v1', 8), ('wallet:w1', 8)]
    >>> res.tested.filter(pl.col("significant"))["key"].to_list()  # the campaign: above the cap
    ['voucher:v1', 'wallet:w1']
    """
    from ringlens.graph import EventGraph

    if not isinstance(graph, EventGraph):
        raise InputError(f"shared_targets needs an EventGraph, got {type(graph).__name__}")
    params = _shared_target_params(
        target_types,
        actions,
        actor_types,
        max_household,
        max_target_actors,
        elsewhere,
        alpha,
        repeat_types=repeat_types,
        rare_links=rare_links,
        rare_window=rare_window,
        rare_actions=rare_actions,
        new_accounts=new_accounts,
        new_rate=new_rate,
        blocks=blocks,
        kinds=kinds,
    )
    types, actions, actor_types = params["target_types"], params["actions"], params["actor_types"]
    src, dst = family_cells(graph, actions=actions, actor_types=actor_types, target_types=types)
    if src.size == 0:
        return _empty_targets(params)
    return _cap_and_test(
        graph, src, dst, elsewhere, params, new_accounts, _block_codes(graph, blocks)
    )


def _cap_and_test(
    graph: EventGraph,
    src: np.ndarray,
    dst: np.ndarray,
    elsewhere: pl.DataFrame | None,
    params: dict[str, Any],
    new_accounts: Any,
    block: np.ndarray | None = None,
) -> SharedTargetGroups:
    """The cells on targets beyond household size and under the audience cap, tested."""
    audience = np.bincount(dst, minlength=graph.n_nodes)
    cap = params["max_target_actors"]
    if cap is None:
        cap = _audience_cap(audience, params["max_household"], n_cells=src.size)
    params["max_target_actors"] = int(cap)
    n_a = audience[dst]
    usable = (n_a >= 2) & (n_a <= cap)  # sharing that can link accounts
    tested_cell = usable & (n_a > params["max_household"])
    if not tested_cell.any() and not (params["rare_links"] and params["repeat_types"]):
        return _empty_targets(params)
    new_ids = _new_ids(graph, new_accounts, params)
    return _test_and_group(
        graph, src, dst, audience, usable, tested_cell, elsewhere, params, new_ids, block
    )


def _new_ids(graph: EventGraph, keys: Any, params: dict[str, Any]) -> Any:
    """The node ids of the new accounts, when the new-account pools are tested."""
    if keys is None or params["new_rate"] is None or not params["repeat_types"]:
        return None
    named = graph.named_nodes(pl.Series(keys, dtype=pl.String))
    return named["node"].to_numpy().astype(np.int64)


def _audience_cap(audience: np.ndarray, max_household: int, *, n_cells: int) -> int:
    """The largest audience a tested target may have when none is set: what the pair
    budget (four pairs per account-target cell) allows, above household size."""
    # audience counts every cell's target: its non-zero entries are the distinct targets
    tested_aud = audience[audience > max_household]
    return max(pair_budget_cap(tested_aud, 4 * n_cells), max_household + 1)


def _test_and_group(
    graph: EventGraph,
    src: np.ndarray,
    dst: np.ndarray,
    audience: np.ndarray,
    usable: np.ndarray,
    tested_cell: np.ndarray,
    elsewhere: pl.DataFrame | None,
    params: dict[str, Any],
    new_ids: np.ndarray | None = None,
    block: np.ndarray | None = None,
) -> SharedTargetGroups:
    """Steps 2 to 6 of :func:`shared_targets` on the (account, target) cells: test the
    targets beyond household size, then group the accounts of the significant ones."""
    cap = params["max_target_actors"]
    accounts = unique_sorted(src[tested_cell])
    if not accounts.size:  # no target beyond household size: only gatherings (step 5)
        tested, links, rows = _nothing_tested()
    else:
        tested, links, rows = _tested_targets(
            graph,
            src,
            dst,
            usable,
            tested_cell,
            accounts,
            params["target_types"],
            elsewhere,
            params["max_household"],
            params["alpha"],
            repeat=set(params["repeat_types"]),
            rare_cap=int(cap) if params["rare_links"] else 0,
            rare_window=params["rare_window"],
            rare_actions=params["rare_actions"],
            block=block,
            kinds=params["kinds"],
        )
    if new_ids is not None and new_ids.size and rows.height:
        tested = _new_account_pools(
            tested,
            rows.filter(pl.col("tau").is_in(params["repeat_types"])).select("t", "a"),
            new_ids,
            float(params["new_rate"]),
            params["max_household"],
            params["alpha"],
        )
    if params["rare_links"] and params["repeat_types"]:
        tested = _gatherings(graph, src, dst, audience, tested, params)
    else:
        tested = tested.with_columns(pl.lit(False).alias("gathered"))
    good = tested.filter(pl.col("significant"))
    tested = tested.drop("gathered", strict=False)
    if good.height == 0:
        return _empty_targets(params, tested.drop("t", "cluster"))
    return _target_groups(
        graph,
        good,
        rows,
        src[usable].astype(np.int64),
        dst[usable].astype(np.int64),
        audience,
        links,
        tested.drop("t", "cluster"),
        params,
    )


def _nothing_tested() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """What :func:`_tested_targets` returns when no target is beyond household size."""
    tested = pl.DataFrame(schema={**_TESTED_SCHEMA, "t": pl.Int64, "cluster": pl.List(pl.Int64)})
    links = pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64})
    rows = pl.DataFrame(schema={"t": pl.Int64, "a": pl.Int64, "tau": pl.String})
    return tested, links, rows


def _new_account_pools(
    tested: pl.DataFrame,
    rows: pl.DataFrame,
    new_ids: np.ndarray,
    rate: float,
    max_household: int,
    alpha: float,
) -> pl.DataFrame:
    """``tested`` with the targets of significant new-account pools made significant
    (see ``new_accounts`` in :func:`shared_targets`); ``rows`` are the tested cells
    (``t``, ``a``) of the repeat types."""
    from ringlens.graph.core import component_labels

    if rows.height == 0:
        return tested
    rows = rows.with_columns(pl.col("a").is_in(pl.Series(new_ids).implode()).alias("new"))
    # pools: targets that share two accounts or more
    pairs = (
        rows.join(rows.select(pl.col("t").alias("u"), "a"), on="a")
        .filter(pl.col("t") < pl.col("u"))
        .group_by("t", "u")
        .agg(pl.len().alias("shared"))
        .filter(pl.col("shared") >= 2)
    )
    t_ids = unique_sorted(rows["t"].to_numpy())
    comp = component_labels(
        t_ids.size,
        np.searchsorted(t_ids, pairs["t"].to_numpy()).astype(np.int64),
        np.searchsorted(t_ids, pairs["u"].to_numpy()).astype(np.int64),
    )
    rows = rows.with_columns(
        pl.Series("pool", comp[np.searchsorted(t_ids, rows["t"].to_numpy())], dtype=pl.Int64)
    )
    pools = (
        rows.unique(["pool", "a"])
        .group_by("pool")
        .agg(pl.len().alias("n"), pl.col("new").sum().alias("x"))
        .sort("pool")
    )
    n, x = pools["n"].to_numpy().astype(np.int64), pools["x"].to_numpy().astype(np.int64)
    lp = binomial_log10_sf(x, n, rate) + np.log10(max(pools.height, 1))
    sig = pools.with_columns(pl.Series("_lp", np.minimum(lp, 0.0), dtype=pl.Float64)).filter(
        (pl.col("x") > max_household) & (pl.col("_lp") <= np.log10(alpha))
    )
    if sig.height == 0:
        return tested
    pooled = (
        rows.filter(pl.col("new"))
        .join(sig.select("pool", "_lp"), on="pool")
        .group_by("t")
        .agg(pl.col("a").sort().alias("_cluster"), pl.col("_lp").first())
        .filter(pl.col("_cluster").list.len() >= 2)
    )
    log.info("shared_targets: %d targets in %d pools of new accounts", pooled.height, sig.height)
    upgrade = pl.col("_cluster").is_not_null() & ~pl.col("significant")
    return (
        tested.join(pooled, on="t", how="left")
        .with_columns(
            pl.when(upgrade).then(pl.col("_cluster")).otherwise(pl.col("cluster")).alias("cluster"),
            pl.when(upgrade)
            .then(pl.col("_cluster").list.len().cast(pl.Int64))
            .otherwise(pl.col("linked"))
            .alias("linked"),
            pl.when(upgrade)
            .then(pl.col("_lp"))
            .otherwise(pl.col("log10_pvalue"))
            .alias("log10_pvalue"),
            pl.when(upgrade).then(None).otherwise(pl.col("rejected")).alias("rejected"),
            (pl.col("significant") | upgrade).alias("significant"),
        )
        .drop("_cluster", "_lp")
    )


def _gatherings(
    graph: EventGraph,
    src: np.ndarray,
    dst: np.ndarray,
    audience: np.ndarray,
    tested: pl.DataFrame,
    params: dict[str, Any],
) -> pl.DataFrame:
    """``tested`` with the households of significant gatherings (step 5 of
    :func:`shared_targets`): families of the repeat types' household-sized targets, two
    members or more of each, meeting on one rare target (or in one quiet span of a
    target) more often than the families' number and the target's audience explain.

    For a repeat type with ``H`` families (households of that type, merged where they
    share an account: a family's tablet and its card are one family) and a unit with
    ``n`` of the ``N`` accounts acting on the other targets, ``k`` families met there
    against ``Poisson(H n / N · min(1, q A / H))``, Bonferroni over the units where a
    family met: at most, a family goes where its member goes; ``A`` accounts in the
    families and ``q`` the share of a family's visits to rare targets on which a second
    member is there too (:func:`_together`) say how much less often the platform's
    families are together. A rare app's in-app buyers paying with four cards shared in
    pairs and triples are four families where chance puts a hundredth of one; a family
    of three on its tablet buying the same niche app is one. Seven handsets of four ad
    identities each, all tapping one campaign a hundred accounts tap, are seven on a
    platform where a second account behind a household's phone is on a rare target
    with the first once in a hundred visits."""
    tested = tested.with_columns(pl.lit(False).alias("gathered"))
    cells = _families(graph, src, dst, audience, params)
    if cells.height == 0:
        return tested
    kinds = params["kinds"] or {}
    paid = {t for t, k in kinds.items() if k == "payout_account"}
    # types a vocabulary named have their role; those read by their shape, their amounts
    unnamed = [t for t in cells["tau"].unique().to_list() if kinds.get(t) not in SHAREABLE_ROLES]
    chained = paid | _money_types(graph, unnamed)
    families = (
        cells.group_by("tau", "fam")
        .agg(pl.col("src").n_unique().alias("_s"))
        .group_by("tau")
        .agg(
            _households(pl.col("_s"), chained, params).sum().alias("H"),
            pl.col("_s").sum().cast(pl.Float64).alias("A"),
        )
    )
    met, tests, population, together = _met_units(graph, cells, params, chained)
    # a family goes where its member goes, at most: where the platform's families are
    # seldom together on a target when one of them is there (``q``), a family of ``s``
    # is there with two members ``q s`` times as often as one account is there at all
    go = pl.min_horizontal(pl.lit(1.0), pl.col("q") * pl.col("A") / pl.col("H"))
    met = (
        met.join(families, on="tau")
        .join(together, on=["tau", "level"], how="left")
        .with_columns(pl.col("q").fill_null(1.0))
        .with_columns((pl.col("H") * go * pl.col("n") / max(population, 1)).alias("lam"))
        .drop("A", "q", "level")
    )
    if met.height == 0:
        return tested
    lp = np.minimum(
        poisson_log10_sf(met["k"].to_numpy(), met["lam"].to_numpy()) + np.log10(max(tests, 1)),
        0.0,
    )
    good = met.with_columns(pl.Series("log10_pvalue", lp, dtype=pl.Float64)).filter(
        (pl.col("k") >= 2) & (pl.col("log10_pvalue") <= np.log10(params["alpha"]))
    )
    if good.height == 0:
        return tested
    log.info("shared_targets: %d gatherings of families on rare targets", good.height)
    rows = (
        good.explode("hs")
        .rename({"hs": "t"})
        .sort("log10_pvalue", "t", "dst", "w", nulls_last=True)
        .unique("t", keep="first", maintain_order=True)
    )
    t_ids = rows["t"].to_numpy()
    keys = graph.nodes["key"]
    extra = rows.select(
        keys.gather(rows["t"]).alias("key"),
        pl.Series("n_actors", audience[t_ids], dtype=pl.Int64),
        pl.col("cluster").list.len().cast(pl.Int64).alias("linked"),
        pl.col("k").cast(pl.Int64).alias("links"),
        pl.col("lam").alias("expected_links"),
        "log10_pvalue",
        pl.lit(True).alias("significant"),
        pl.lit(None, dtype=pl.String).alias("rejected"),
        pl.col("t").cast(pl.Int64),
        pl.col("cluster").cast(pl.List(pl.Int64)),
        pl.lit(True).alias("gathered"),
    )
    extra = extra.join(tested.select("t"), on="t", how="anti")
    return pl.concat([tested, extra]).sort("key")


def _families(
    graph: EventGraph,
    src: np.ndarray,
    dst: np.ndarray,
    audience: np.ndarray,
    params: dict[str, Any],
) -> pl.DataFrame:
    """``src, h, fam, tau``: the accounts on household-sized targets ``h`` of the repeat
    types (``tau``), each in a family ``fam`` (the households that share an account)."""
    from ringlens.graph.core import component_labels

    node_type = _node_types(graph)
    n_a = audience[dst]
    small = (
        (n_a >= 2)
        & (n_a <= params["max_household"])
        & np.isin(node_type[dst], params["repeat_types"])
    )
    cells = pl.DataFrame(
        {"src": src[small].astype(np.int64), "h": dst[small].astype(np.int64)}
    ).unique()
    a_col, h_col = cells["src"].to_numpy(), cells["h"].to_numpy()
    acc_ids, h_ids = unique_sorted(a_col), unique_sorted(h_col)
    a_loc = np.searchsorted(acc_ids, a_col)
    fam = component_labels(
        acc_ids.size + h_ids.size, a_loc, np.searchsorted(h_ids, h_col) + acc_ids.size
    )
    return cells.with_columns(
        pl.Series("fam", fam[a_loc], dtype=pl.Int64),
        pl.Series("tau", node_type[h_col], dtype=pl.String),
    )


def _money_types(graph: EventGraph, types: Collection[str]) -> set[str]:
    """The node ``types`` that carry money: most events on their targets have an amount
    (cards, wallets, bank accounts; not phones and networks)."""
    types = sorted(set(types))
    if not types:
        return set()
    node_type = graph.nodes["node_type"]
    dst = graph.events["dst"].to_numpy()
    on = np.flatnonzero(node_type.is_in(types).to_numpy()[dst])
    dst = dst[on]
    paid = graph.events["amount"].gather(on).fill_null(0.0).to_numpy() > 0
    out = set()
    for x in types:
        mine = (node_type == x).to_numpy()[dst]
        if mine.any() and paid[mine].mean() >= 0.5:
            out.add(x)
    return out


def _households(size: pl.Expr, chained: Collection[str], params: dict[str, Any]) -> pl.Expr:
    """How many households a family of ``size`` accounts (on one unit) of repeat type
    ``tau`` counts as: one, or on a ``chained`` type — one that carries money (payout
    accounts by the vocabulary, or most of their events with amounts) — as many as its
    accounts fill (``max_household`` each). A household passes its phones and tablets
    round relatives and friends, so families of phones chain past a household's size by
    themselves; cards shared in turn by more accounts than a household, each card by a
    household's few (a card tester's, a stolen card's round), are several households'
    worth of accounts on one wallet's chain."""
    h = float(params["max_household"])
    chain = pl.col("tau").is_in(sorted(chained))
    return pl.when(chain).then((size.cast(pl.Float64) / h).ceil()).otherwise(1.0)


def _met_units(
    graph: EventGraph,
    cells: pl.DataFrame,
    params: dict[str, Any],
    chained: Collection[str] = (),
) -> tuple[pl.DataFrame, int, int, pl.DataFrame]:
    """Where two families or more met (step 5): ``dst, w, tau, k, cluster, hs, n`` per
    unit (``w`` null: ``dst`` is rare overall, else its quiet span from bucket ``w``, see
    :func:`_rare_while`; ``k`` the families of type ``tau`` with two members or more on
    it, ``cluster`` those members, ``hs`` their household targets, ``n`` the accounts on
    the unit, at most the cap); the units where a family met (the tests); the accounts
    acting on the targets the units are drawn from (``N``); how often the families are
    together (:func:`_together`).

    The families' own hits are grouped first: only units where two met are counted
    over everyone (at 10M events, a tenth of the work of counting every unit)."""
    cap = int(params["max_target_actors"])
    nodes = graph.nodes
    other = nodes.filter(~pl.col("node_type").is_in(params["target_types"])).select(
        pl.col("node").alias("dst")
    )
    edges = graph.edges.select("src", "dst").join(other, on="dst", how="semi")
    fam = cells.with_columns(pl.col("src").cast(edges.schema["src"]))
    kin = fam.select("src", "fam", "tau").unique()
    audience = edges.group_by("dst").agg(pl.len().alias("n"))
    population = edges["src"].n_unique()
    # a rare unit: at most the cap's accounts, or the square root of all of them
    cap = max(cap, int(np.sqrt(population)))
    # targets two members of a family act on at any time: only their hits can meet
    mine = edges.join(kin.select("src").unique(), on="src", how="semi").join(kin, on="src")
    visits = mine.group_by("dst", "tau", "fam").agg(pl.len().alias("m"))
    co = visits.filter(pl.col("m") >= 2).drop("m")
    together = _together(visits, audience)
    mine = mine.join(co, on=["dst", "tau", "fam"], how="semi")
    parts = [
        mine.join(audience.filter(pl.col("n") <= cap), on="dst", how="semi").with_columns(
            pl.lit(None, dtype=pl.Int64).alias("w")
        )
    ]
    window = params["rare_window"]
    if window is not None:
        timed = nodes.filter(~pl.col("node_type").is_in(params["repeat_types"])).select(
            pl.col("node").alias("dst")
        )
        pairs = mine.select("src", "dst").unique()
        ev, bucket = _timed_events(
            graph, timed, window, params["rare_actions"], accounts=pairs.select("src").unique()
        )
        spans = _two_buckets(ev.join(pairs, on=["src", "dst"], how="semi"), bucket)
        parts.append(spans.join(kin, on="src").join(co, on=["dst", "tau", "fam"], how="semi"))
    hits = pl.concat([p.select("src", "dst", "w", "fam", "tau") for p in parts])
    unit = ["dst", "w", "tau"]
    # families with two members or more on a unit (hits are distinct): cheap counts first;
    # a family on a chained type counts as the households its members there fill
    two = hits.group_by(*unit, "fam").agg(pl.len().alias("m")).filter(pl.col("m") >= 2)
    per = two.group_by(unit).agg(_households(pl.col("m"), chained, params).sum().alias("k"))
    two = two.drop("m")
    met = per.filter(pl.col("k") >= 2)
    # a static unit's ``w`` is null: the joins on units match nulls
    two = two.join(met, on=unit, how="semi", nulls_equal=True)
    who = (
        hits.join(two, on=[*unit, "fam"], how="semi", nulls_equal=True)
        .join(fam.select("src", "tau", "h"), on=["src", "tau"])
        .group_by(unit)
        .agg(pl.col("src").unique().sort().alias("cluster"), pl.col("h").unique().alias("hs"))
    )
    met = met.join(who, on=unit, nulls_equal=True)
    n_static = met.filter(pl.col("w").is_null()).join(audience, on="dst")
    spans = met.filter(pl.col("w").is_not_null())
    if spans.height:
        assert window is not None  # spans come from the quiet windows only
        ev, bucket = _timed_events(
            graph, spans.select("dst").unique(), window, params["rare_actions"]
        )
        spans = spans.join(_span_crowd(ev, bucket, spans), on=["dst", "w"])
    else:
        spans = spans.with_columns(pl.lit(0, dtype=pl.UInt32).alias("n"))
    met = pl.concat([n_static, spans.select(n_static.columns)]).filter(pl.col("n") <= cap)
    met = met.with_columns(pl.col("n").cast(pl.Float64), _level(pl.col("n")).alias("level"))
    return met, per.height, population, together


def _level(n: pl.Expr) -> pl.Expr:
    """A target's audience level: the power of two its number of accounts is in."""
    return n.cast(pl.Float64).log(2).floor().cast(pl.Int32)


def _together(visits: pl.DataFrame, audience: pl.DataFrame) -> pl.DataFrame:
    """``tau, level, q``: how often, on the targets of an audience ``level``
    (:func:`_level`), a family of type ``tau`` with a member there has a second one there
    too (``visits``: ``dst, tau, fam`` and ``m``, the family's accounts on the target),
    Laplace-smoothed. A household on one tablet buys its apps together (``q`` near 1);
    the accounts behind a phone an ad network sees install their own apps (one visit in
    a hundred has two); on the platform's most popular targets families meet more often
    than on its niche ones."""
    per = visits.join(audience.select("dst", _level(pl.col("n")).alias("level")), on="dst")
    return (
        per.group_by("tau", "level")
        .agg(((pl.col("m") >= 2).sum() + 1).alias("two"), (pl.len() + 2).alias("one"))
        .select("tau", "level", (pl.col("two") / pl.col("one")).cast(pl.Float64).alias("q"))
    )


def _timed_events(
    graph: EventGraph,
    timed: pl.DataFrame,
    window: timedelta,
    actions: list[str] | None,
    *,
    accounts: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.Expr]:
    """``src, dst, ts`` of the events through ``actions`` (None: every action) on the
    targets of ``timed`` (by ``accounts``, ``src``, when given), and the expression of
    their ``window``-long bucket ``w``."""
    w_us = max(1, int(window / timedelta(microseconds=1)))
    ev = graph.events
    if accounts is not None:
        ev = ev.join(accounts, on="src", how="semi")
    if actions is not None:
        ev = ev.filter(pl.col("action").cast(pl.String).is_in(actions))
    ev = ev.select("src", "dst", "ts").join(timed, on="dst", how="semi")
    return ev, (pl.col("ts").dt.epoch("us") // w_us).alias("w")


def _span_crowd(ev: pl.DataFrame, bucket: pl.Expr, spans: pl.DataFrame) -> pl.DataFrame:
    """``dst, w, n``: the accounts of ``ev`` (``src, dst, ts``) acting in each span of
    ``spans`` (``dst, w``, see :func:`_two_buckets`)."""
    return (
        _two_buckets(
            ev.join(spans.select("dst").unique(), on="dst", how="semi"), bucket, once=False
        )
        .join(spans.select("dst", "w"), on=["dst", "w"], how="semi")
        .group_by("dst", "w")
        .agg(pl.col("src").n_unique().alias("n"))
    )


def _two_buckets(ev: pl.DataFrame, bucket: pl.Expr, *, once: bool = True) -> pl.DataFrame:
    """``src, dst, w``: each hit of ``ev`` in the two spans of two consecutive buckets
    that hold it (starting at its bucket ``k - 1`` and ``k``), once unless not ``once``
    (for counting distinct accounts anyway)."""
    out = (
        ev.select("src", "dst", bucket)
        .with_columns(pl.concat_list(pl.col("w") - 1, pl.col("w")).alias("w"))
        .explode("w")
    )
    return out.unique() if once else out


def _shared_target_params(
    target_types: Any,
    actions: Any,
    actor_types: Any,
    max_household: Any,
    max_target_actors: Any,
    elsewhere: pl.DataFrame | None,
    alpha: Any,
    *,
    repeat_types: Any = None,
    rare_links: bool = False,
    rare_window: timedelta | None = None,
    rare_actions: Any = None,
    new_accounts: Any = None,
    new_rate: Any = None,
    blocks: pl.DataFrame | None = None,
    kinds: Any = None,
) -> dict[str, Any]:
    """The validated parameters of :func:`shared_targets`, type names normalised as the
    graph stores them."""
    types = check_str_list("target_types", target_types)
    if types is None:
        raise ConfigError("target_types must be a non-empty list of node types, got None")
    household = check_int("max_household", max_household, 1)
    if elsewhere is not None and not {"group", "key"} <= set(elsewhere.columns):
        raise ConfigError("elsewhere must be a frame with columns 'group' and 'key'")
    if blocks is not None and not (
        isinstance(blocks, pl.DataFrame) and {"key", "block"} <= set(blocks.columns)
    ):
        raise ConfigError("blocks must be a frame with columns 'key' and 'block'")
    return {
        "target_types": list(dict.fromkeys(normalise_name(t) for t in types)),
        "actions": check_str_list("actions", actions),
        "actor_types": check_str_list("actor_types", actor_types),
        "max_household": household,
        "max_target_actors": check_int(
            "max_target_actors", max_target_actors, int(household or 1) + 1, allow_none=True
        ),
        "elsewhere": None if elsewhere is None else int(elsewhere["group"].n_unique()),
        "alpha": check_float("alpha", alpha, low=0.0, high=1.0, low_open=True),
        "repeat_types": [
            normalise_name(t) for t in (check_str_list("repeat_types", repeat_types) or [])
        ],
        "rare_links": bool(rare_links),
        "rare_window": _check_window(rare_window),
        "rare_actions": _normalised_list("rare_actions", rare_actions),
        "new_accounts": _count_keys("new_accounts", new_accounts),
        "new_rate": None
        if new_rate is None
        else check_float("new_rate", new_rate, low=0.0, high=1.0),
        "blocks": None if blocks is None else int(blocks["block"].n_unique()),
        "kinds": _check_kinds(kinds),
    }


def _check_kinds(kinds: Any) -> dict[str, str]:
    """``kinds`` as a dict of normalised type names → kind names ({} for None)."""
    if kinds is None:
        return {}
    if not isinstance(kinds, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in kinds.items()
    ):
        raise ConfigError(f"kinds must map type names to kind names, got {kinds!r}")
    return {normalise_name(k): v for k, v in sorted(kinds.items())}


def _block_codes(graph: EventGraph, blocks: pl.DataFrame | None) -> np.ndarray | None:
    """A block code per node id (-1: none), from ``key``, ``block``; None without blocks
    or with fewer than two (one block is the configuration model)."""
    if blocks is None:
        return None
    named = (
        blocks.select(pl.col("key").cast(pl.String), pl.col("block").cast(pl.String))
        .drop_nulls()
        .unique("key", keep="first", maintain_order=True)
        .join(graph.nodes.select("key", "node"), on="key")
    )
    if named["block"].n_unique() < 2:
        return None
    codes = np.full(graph.n_nodes, -1, dtype=np.int64)
    names = named["block"].unique().sort()
    codes[named["node"].to_numpy()] = np.searchsorted(names.to_numpy(), named["block"].to_numpy())
    return codes


def _count_keys(name: str, keys: Any) -> int | None:
    if keys is None:
        return None
    if isinstance(keys, pl.Series) and keys.dtype == pl.String:
        return keys.len()
    if isinstance(keys, str) or not all(isinstance(k, str) for k in keys):
        raise ConfigError(f"{name} must be a list of node keys or None, got {keys!r}")
    return len(keys)


def _normalised_list(name: str, values: Any) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{name} must be a list of names or None, got {values!r}")
    return sorted({normalise_name(v) for v in values})


def _check_window(window: Any) -> timedelta | None:
    if window is None:
        return None
    if not isinstance(window, timedelta) or window <= timedelta(0):
        raise ConfigError(f"rare_window must be a positive timedelta or None, got {window!r}")
    return window


def _tested_targets(
    graph: EventGraph,
    src: np.ndarray,
    dst: np.ndarray,
    usable: np.ndarray,
    tested_cell: np.ndarray,
    accounts: np.ndarray,
    types: list[str],
    elsewhere: pl.DataFrame | None,
    max_household: int,
    alpha: float,
    repeat: set[str] | None = None,
    rare_cap: int = 0,
    rare_window: timedelta | None = None,
    rare_actions: list[str] | None = None,
    block: np.ndarray | None = None,
    kinds: dict[str, str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Steps 2 and 3 of :func:`shared_targets`: the links and each target's test
    (``tested`` with its clusters, every link, the tested cells)."""
    repeat = repeat or set()
    kinds = kinds or {}
    # links elsewhere: (a) a shared target of another type (a voucher's claimers on one
    # handset, a device's users paying out to one account; sharing several targets of the
    # tested one's own type is how a shop's regulars claim its vouchers), (b) the same
    # group found elsewhere by another detector (a ring-like community of their other
    # activity: co-interaction that popularity, fandoms and niches do not explain)
    co_key = _elsewhere_links(graph, accounts, elsewhere)
    # rare links count only for repeat types (devices, payout accounts): a campaign
    # voucher's thousands of claimers always share some obscure product pairwise
    # links for a while count on the repeat types only: computed for their accounts (a
    # phone farm's, not a campaign voucher's thousands of claimers)
    while_accounts = unique_sorted(
        src[tested_cell & np.isin(_node_types(graph)[dst], sorted(repeat) or types)]
    )
    rare_key = (
        _rare_links(
            graph,
            accounts,
            types,
            rare_cap,
            rare_window,
            while_types=sorted(repeat) or None,
            while_actions=rare_actions,
            while_accounts=while_accounts,
        )
        if rare_cap
        else np.zeros(0, dtype=np.int64)
    )
    if rare_cap and rare_window is not None:
        # only those accounts can be linked for a while, so they are a block of their
        # own: a carrier NAT's users are among them, and are linked to each other no
        # more than the other users of shared networks are
        block = _split_block(graph.n_nodes, block, while_accounts)
    node_type = graph.nodes["node_type"].to_numpy()
    u_src, u_dst = src[usable], dst[usable]
    u_type = node_type[u_dst]
    by_type: dict[str, np.ndarray] = {}
    for tau in types:
        on_tau = u_type == tau
        if not on_tau.any():
            by_type[tau] = np.zeros(0, dtype=np.int64)
            continue
        acc_ids, acc_local = np.unique(u_src[on_tau], return_inverse=True)
        t_ids, t_local = np.unique(u_dst[on_tau], return_inverse=True)
        la, lb, _ = cohit_counts(acc_local, t_local, acc_ids.size, t_ids.size, min_shared=1)
        by_type[tau] = acc_ids[la] * graph.n_nodes + acc_ids[lb]
    rows = pl.DataFrame(
        {"t": dst[tested_cell].astype(np.int64), "a": src[tested_cell].astype(np.int64)}
    ).with_columns(pl.Series("tau", node_type[dst[tested_cell]]))
    parts = []
    every, n_types, in_co, in_rare = _link_sources(co_key, rare_key, by_type)
    used = in_co.copy()
    for tau in types:
        own = rows.filter(pl.col("tau") == tau).drop("tau")
        if own.height == 0:
            continue
        # links through the tested type and the other types of its kind: a LAN café's
        # machines and its network address are one place, so they link no one
        mine = np.zeros(every.size, dtype=np.int64)
        for other in types:
            if other == tau or (tau in kinds and kinds.get(other) == kinds[tau]):
                mine[np.searchsorted(every, by_type[other])] += 1
        keep = in_co | (n_types - mine > 0) | (in_rare & (tau in repeat or not repeat))
        used |= keep
        key = every[keep]
        links_tau = pl.DataFrame(
            {"a": key // graph.n_nodes, "b": key % graph.n_nodes},
            schema={"a": pl.Int64, "b": pl.Int64},
        )
        parts.append(
            _test_targets(
                graph, own, links_tau, max_household=max_household, alpha=alpha, block=block
            )
        )
    tested = pl.concat(parts).sort("key")
    # Bonferroni over every target tested, whatever its type
    tested = (
        tested.with_columns(
            pl.min_horizontal(
                pl.col("log10_pvalue") + np.log10(tested.height) - pl.col("_tests").log10(), 0.0
            ).alias("log10_pvalue")
        )
        .with_columns(
            pl.when(pl.col("linked") <= max_household)
            .then(pl.lit("household"))
            .when(pl.col("log10_pvalue") > np.log10(alpha))
            .then(pl.lit("significance"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("rejected")
        )
        .with_columns(pl.col("rejected").is_null().alias("significant"))
        .drop("_tests")
    )
    key = every[used]
    links = pl.DataFrame(
        {"a": key // graph.n_nodes, "b": key % graph.n_nodes}, schema={"a": pl.Int64, "b": pl.Int64}
    )
    return tested, links, rows


def _link_sources(
    co_key: np.ndarray, rare_key: np.ndarray, by_type: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every link once (sorted keys) with where it comes from: how many types' sharing
    makes it, and whether another detector's group or a rare target does.

    A type's tested targets are linked by the other sources; one pass over the union per
    type, not a union of the others per type (an unmapped platform has dozens of types).
    """
    every = unique_sorted(np.concatenate([co_key, rare_key, *by_type.values()]))
    n_types = np.zeros(every.size, dtype=np.int64)
    for arr in by_type.values():
        n_types[np.searchsorted(every, arr)] += 1
    in_co = np.zeros(every.size, dtype=bool)
    in_co[np.searchsorted(every, co_key)] = True
    in_rare = np.zeros(every.size, dtype=bool)
    in_rare[np.searchsorted(every, rare_key)] = True
    return every, n_types, in_co, in_rare


def _split_block(n_nodes: int, block: np.ndarray | None, members: np.ndarray) -> np.ndarray:
    """``block`` (none: one block) with ``members`` split off into blocks of their own."""
    out = np.zeros(n_nodes, dtype=np.int64) if block is None else block * 2
    out[members] += 1
    return out


def _node_types(graph: EventGraph) -> np.ndarray:
    """The node type of every node id (a numpy array of names)."""
    return graph.nodes["node_type"].cast(pl.String).to_numpy()


#: Pairs of accounts that rare targets may link, per account-target cell of the graph
#: (four times the tested targets' budget): exact on every platform measured but one of
#: ten-player lobbies, where a million events made 17 million such pairs.
RARE_PAIRS_PER_CELL = 16


def _rare_links(
    graph: EventGraph,
    accounts: np.ndarray,
    types: list[str],
    cap: int,
    window: timedelta | None = None,
    while_types: list[str] | None = None,
    while_actions: list[str] | None = None,
    while_accounts: np.ndarray | None = None,
) -> np.ndarray:
    """Pairs (``a * n_nodes + b``, a < b) of ``accounts`` that both act on a rare target of
    another type — one at most ``cap`` accounts touch (the cap of the tested shared
    targets): buyers of the same obscure product, not a live's audience or a bestseller.

    With a ``window``, a target is also rare *for a while*: two accounts acting on it
    within the same two consecutive ``window``-long time buckets, when at most ``cap``
    accounts act on it in those buckets, are linked too (the accounts of one phone farm
    claiming one popular voucher in the same hour; a live's audience in that hour is
    above the cap, a family on one tablet stays within household size). Such targets are
    of any type but ``while_types`` (the attributes whose sharing is tested) and count
    through ``while_actions`` only (None: every action)."""
    nodes = graph.nodes
    other = nodes.filter(~pl.col("node_type").is_in(types)).select(pl.col("node").alias("dst"))
    edges = graph.edges.select("src", "dst").join(other, on="dst", how="semi")
    audience = edges.group_by("dst").agg(pl.len().alias("n"))
    acc = pl.DataFrame({"src": pl.Series(accounts, dtype=edges.schema["src"])})
    # a pair budget bounds these pairs (RARE_PAIRS_PER_CELL): a platform of many small
    # targets (ten players to a lobby, every lobby rare) would otherwise pair every
    # account with everyone it ever met; the rarest targets stay
    limit = RARE_PAIRS_PER_CELL * graph.edges.height
    small = audience.filter((pl.col("n") >= 2) & (pl.col("n") <= cap))
    hits = edges.join(small, on="dst").join(acc, on="src", how="semi")
    work = hits.group_by("dst").agg(pl.len().alias("w"))
    sized = small.join(work, on="dst", how="left").with_columns(pl.col("w").fill_null(0))
    budget = pair_budget_cap(sized["n"].to_numpy(), limit, work=sized["w"].to_numpy())
    hits = hits.filter(pl.col("n") <= budget).select("src", "dst")
    pairs = hits.join(hits.rename({"src": "b"}), on="dst").select("src", "b")
    if window is not None:
        timed = nodes.filter(~pl.col("node_type").is_in(while_types or types)).select(
            pl.col("node").alias("dst")
        )
        if while_accounts is not None:
            acc = pl.DataFrame({"src": pl.Series(while_accounts, dtype=edges.schema["src"])})
        pairs = pl.concat(
            [pairs, _rare_while(graph, acc, timed, cap, window, while_actions, limit)]
        )
    keys = (
        pairs.filter(pl.col("src") < pl.col("b"))
        .select(
            (pl.col("src").cast(pl.Int64) * graph.n_nodes + pl.col("b").cast(pl.Int64)).alias("k")
        )
        .unique()
    )
    return keys["k"].to_numpy().astype(np.int64)


def _rare_while(
    graph: EventGraph,
    acc: pl.DataFrame,
    other: pl.DataFrame,
    cap: int,
    window: timedelta,
    actions: list[str] | None,
    budget: int,
) -> pl.DataFrame:
    """``src, b``: pairs of ``acc`` acting on one target of ``other`` within two
    consecutive ``window`` buckets that at most ``cap`` accounts act on it in (fewer
    where the spans' pairs would exceed ``budget``: the quietest spans stay)."""
    ev, bucket = _timed_events(graph, other, window, actions)
    # each hit falls in the two bucket pairs (k-1, k) and (k, k+1): "start" k-1 and k
    mine = _two_buckets(ev.join(acc, on="src", how="semi"), bucket)
    crowd = _span_crowd(ev, bucket, mine.select("dst", "w").unique()).filter(
        (pl.col("n") >= 2) & (pl.col("n") <= cap)
    )
    hits = mine.join(crowd, on=["dst", "w"])
    # within the same pair budget as the static rare targets (the quietest spans stay)
    work = hits.group_by("dst", "w").len("k")
    crowd = crowd.join(work, on=["dst", "w"], how="left").with_columns(pl.col("k").fill_null(0))
    cap = pair_budget_cap(crowd["n"].to_numpy(), budget, work=crowd["k"].to_numpy())
    hits = hits.filter(pl.col("n") <= cap).select("src", "dst", "w")
    return hits.join(hits.rename({"src": "b"}), on=["dst", "w"]).select("src", "b")


def _elsewhere_links(
    graph: EventGraph, accounts: np.ndarray, elsewhere: pl.DataFrame | None
) -> np.ndarray:
    """Pairs (``a * n_nodes + b``, node ids, a < b) of ``accounts`` in one group of
    ``elsewhere``."""
    if elsewhere is None or elsewhere.height == 0:
        return np.zeros(0, dtype=np.int64)
    nodes = graph.nodes.select(pl.col("node").cast(pl.Int64), "key")
    acc = pl.DataFrame({"node": accounts.astype(np.int64)})
    m = (
        elsewhere.select("group", pl.col("key").cast(pl.String))
        .join(nodes, on="key")
        .join(acc, on="node", how="semi")
        .unique()
    )
    pairs = (
        m.join(m.rename({"node": "b"}), on="group")
        .filter(pl.col("node") < pl.col("b"))
        .select((pl.col("node") * graph.n_nodes + pl.col("b")).alias("k"))
        .unique()
    )
    return pairs["k"].to_numpy().astype(np.int64)


def _test_targets(
    graph: EventGraph,
    rows: pl.DataFrame,
    links: pl.DataFrame,
    *,
    max_household: int,
    alpha: float,
    block: np.ndarray | None = None,
) -> pl.DataFrame:
    """Per tested target: its largest linked cluster and the test of
    :func:`shared_targets` (columns of ``tested`` plus ``t`` and the cluster's accounts)."""
    from ringlens.graph.core import component_labels

    rows = rows.sort("t", "a").with_row_index("i")
    # links with both ends on the same tested target: from the pairs of each target's
    # accounts (at most the pair budget of the audience cap), not from each link's
    # targets (an account linked to thousands, on many targets, multiplies them)
    inner = (
        rows.select("t", "a", pl.col("i").alias("ia"))
        .join(rows.select("t", pl.col("a").alias("b"), pl.col("i").alias("ib")), on="t")
        .filter(pl.col("a") != pl.col("b"))
        .join(links.select("a", "b"), on=["a", "b"], how="semi")
        .sort("t", "ia", "ib")
        .select("t", "ia", "ib")
    )
    labels = component_labels(
        rows.height,
        inner["ia"].to_numpy().astype(np.int64),
        inner["ib"].to_numpy().astype(np.int64),
    )
    rows = rows.with_columns(pl.Series("cl", labels, dtype=pl.Int64))
    sizes = rows.group_by("t", "cl").agg(pl.len().alias("m"), pl.col("a").alias("cluster"))
    best = (
        sizes.sort("m", "cl", descending=[True, False]).group_by("t", maintain_order=True).first()
    )
    inner_cl = (
        inner.join(rows.select(pl.col("i").alias("ia"), "cl"), on="ia")
        .group_by("t", "cl")
        .agg(pl.len().alias("links"))
    )
    per_t = (
        rows.group_by("t")
        .agg(pl.len().cast(pl.Int64).alias("n_actors"))
        .join(best, on="t")
        .join(inner_cl, on=["t", "cl"], how="left")
        .with_columns(pl.col("links").fill_null(0).cast(pl.Int64), pl.col("m").cast(pl.Int64))
    )
    # the configuration model of the link graph: a pair of accounts with s_a and s_b links
    # is linked with probability s_a s_b / 2W (W links in all), so accounts that are
    # linked to many (heavy users, households that shop together) explain their links;
    # with blocks, the degree-corrected block model: a city's accounts share its kitchens
    deg = (
        pl.concat([links.select(pl.col("a").alias("x")), links.select(pl.col("b").alias("x"))])
        .group_by("x")
        .agg(pl.len().cast(pl.Float64).alias("s"))
    )
    per_t = per_t.join(_expected_links(per_t, links, deg, block), on="t", how="left")
    m = per_t["m"].to_numpy().astype(np.float64)
    expected = np.minimum(per_t["expected"].fill_null(0.0).to_numpy(), m * (m - 1) / 2.0)
    lp = (
        poisson_log10_sf(per_t["links"].to_numpy(), expected)
        + log10_binom(per_t["n_actors"].to_numpy(), m)
        + np.log10(max(per_t.height, 1))
    )
    lp = np.minimum(lp, 0.0)
    keys = graph.nodes["key"]
    out = per_t.with_columns(
        pl.Series("expected_links", expected, dtype=pl.Float64),
        pl.Series("log10_pvalue", lp, dtype=pl.Float64),
        pl.lit(float(per_t.height)).alias("_tests"),
        keys.gather(per_t["t"]).alias("key"),
    ).with_columns(
        pl.when(pl.col("m") <= max_household)
        .then(pl.lit("household"))
        .when(pl.col("log10_pvalue") > np.log10(alpha))
        .then(pl.lit("significance"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("rejected")
    )
    return out.select(
        "key",
        "n_actors",
        pl.col("m").alias("linked"),
        "links",
        "expected_links",
        "log10_pvalue",
        pl.col("rejected").is_null().alias("significant"),
        "rejected",
        "t",
        "cluster",
        "_tests",
    ).sort("key")


#: Fewest linked accounts a block must hold for its own link rates: a smaller one is
#: mostly whatever groups it holds (a farm, an agency) and would explain them away.
MIN_BLOCK = 50


def _expected_links(
    per_t: pl.DataFrame, links: pl.DataFrame, deg: pl.DataFrame, block: np.ndarray | None
) -> pl.DataFrame:
    """``t``, ``expected``: the links expected among each target's cluster of accounts.

    Without blocks, the configuration model of the link graph: ``s_a s_b / 2W`` per pair
    (``s`` an account's links, ``W`` all links). With ``block`` (a block code per node id,
    e.g. the account's market), the degree-corrected stochastic block model (Karrer &
    Newman, Phys. Rev. E 83, 2011): a pair in blocks ``m`` and ``n`` is linked with
    probability ``s_a s_b L_mn / (S_m S_n)`` (``2 L_mm / S_m^2`` within one block), ``L``
    the links between the blocks and ``S`` their accounts' summed links; accounts of one
    city explain the links their local kitchens and riders give them.
    """
    acc = (
        per_t.select("t", "cluster")
        .explode("cluster")
        .join(deg, left_on="cluster", right_on="x", how="left")
        .with_columns(pl.col("s").fill_null(0.0))
    )
    two_w = max(2.0 * links.height, 1.0)
    if block is None:
        return acc.group_by("t").agg(
            ((pl.col("s").sum() ** 2 - (pl.col("s") ** 2).sum()) / (2.0 * two_w)).alias("expected")
        )
    codes = pl.Series("m", block)
    ends = pl.DataFrame({"a": codes.gather(links["a"]), "b": codes.gather(links["b"])})
    between = (
        ends.select(pl.min_horizontal("a", "b").alias("m"), pl.max_horizontal("a", "b").alias("n"))
        .group_by("m", "n")
        .agg(pl.len().cast(pl.Float64).alias("L"))
    )
    total = (
        deg.with_columns(codes.gather(deg["x"]).alias("m"))
        .group_by("m")
        .agg(pl.col("s").sum(), (pl.len() >= MIN_BLOCK).alias("big"))
    )
    rate = (
        between.join(total, on="m")
        .join(total.rename({"m": "n", "s": "s_n", "big": "big_n"}), on="n")
        .select(
            "m",
            "n",
            # within a block a pair is counted once in L but twice in S_m^2; a small block
            # says little about its accounts (a farm may be most of it): the whole's rate
            pl.when(pl.col("big") & pl.col("big_n"))
            .then(
                (pl.col("L") * pl.when(pl.col("m") == pl.col("n")).then(2.0).otherwise(1.0))
                / (pl.col("s") * pl.col("s_n"))
            )
            .otherwise(1.0 / two_w)
            .alias("rate"),
        )
    )
    per_block = (
        acc.with_columns(codes.gather(acc["cluster"]).alias("m"))
        .group_by("t", "m")
        .agg(pl.col("s").sum().alias("T"), (pl.col("s") ** 2).sum().alias("Q"))
    )
    pairs = (
        per_block.join(per_block.rename({"m": "n", "T": "T_n", "Q": "Q_n"}), on="t")
        .filter(pl.col("m") <= pl.col("n"))
        .join(rate, on=["m", "n"], how="left")
        .select(
            "t",
            "m",
            "n",
            pl.when(pl.col("m") == pl.col("n"))
            .then((pl.col("T") ** 2 - pl.col("Q")) / 2.0)
            .otherwise(pl.col("T") * pl.col("T_n"))
            .mul(pl.col("rate").fill_null(0.0))
            .alias("e"),
        )
    )
    # summed in the order of the blocks' names (a unit of a partitioned run numbers its
    # blocks as the whole run does up to gaps): the same float sum, bit for bit
    return (
        pairs.sort("t", "m", "n")
        .group_by("t", maintain_order=True)
        .agg(pl.col("e").sum().alias("expected"))
    )


def _target_groups(
    graph: EventGraph,
    good: pl.DataFrame,
    rows: pl.DataFrame,
    usable_src: np.ndarray,
    usable_dst: np.ndarray,
    audience: np.ndarray,
    links: pl.DataFrame,
    tested: pl.DataFrame,
    params: dict[str, Any],
) -> SharedTargetGroups:
    """Merge the clusters of the significant targets into groups and describe them."""
    from ringlens.graph.core import component_labels

    members = good.select("t", pl.col("cluster").alias("a"), "gathered").explode("a")
    # accounts of one cluster are linked through their target; clusters sharing an
    # account merge, a gathering's only with gatherings: the families met on a rare
    # target, not their members' other clusters (a carrier NAT's users)
    ka = members["a"].to_numpy().astype(np.int64) * 2 + members["gathered"].to_numpy()
    acc_ids = unique_sorted(ka)
    local = np.searchsorted(acc_ids, ka)
    t_ids, t_local = np.unique(members["t"].to_numpy(), return_inverse=True)
    comp = component_labels(acc_ids.size + t_ids.size, local, t_local + acc_ids.size)
    actor_comp = pl.DataFrame({"src": acc_ids // 2, "comp": comp[: acc_ids.size]})
    keys = graph.nodes.select("node", "node_type", "key")
    order = group_order(
        actor_comp.join(
            keys.rename({"node": "src"}).with_columns(pl.col("src").cast(pl.Int64)), on="src"
        ).select("comp", "key")
    )
    usage = (
        pl.DataFrame({"src": usable_src, "dst": usable_dst})
        .join(actor_comp, on="src")
        .group_by("comp", "dst")
        .agg(pl.len().cast(pl.Int64).alias("n_group_actors"))
        .filter(pl.col("n_group_actors") >= 2)
    )
    usage = usage.with_columns(
        pl.Series("n_actors", audience[usage["dst"].to_numpy()], dtype=pl.Int64)
    )
    node_keys = keys.with_columns(pl.col("node").cast(pl.Int64))
    targets = (
        usage.join(node_keys.rename({"node": "dst"}), on="dst")
        .join(order, on="comp")
        .select(
            "group", "key", pl.col("node_type").alias("target_type"), "n_actors", "n_group_actors"
        )
        .sort("group", "key")
    )
    edges = pl.DataFrame({"src": usable_src, "dst": usable_dst})
    actor_rows = _actor_rows(edges, actor_comp, usage, node_keys, order)
    members_out = pl.concat(
        [
            actor_rows,
            targets.select(
                "group", "key", pl.lit("target").alias("role"), pl.col("n_actors").alias("degree")
            ),
        ]
    ).sort("group", "role", "key")
    inner = (
        links.join(actor_comp.rename({"src": "a"}), on="a")
        .join(actor_comp.rename({"src": "b", "comp": "comp_b"}), on="b")
        .filter(pl.col("comp") == pl.col("comp_b"))
        .group_by("comp")
        .agg(pl.len().cast(pl.Int64).alias("links"))
    )
    sig = (
        good.join(
            members.with_columns(pl.Series("comp", comp[local])).select("t", "comp").unique(),
            on="t",
        )
        .group_by("comp")
        .agg(
            pl.col("log10_pvalue").min(),
            pl.col("expected_links").sum(),
            pl.col("gathered").any(),
        )
    )
    groups = (
        actor_rows.group_by("group")
        .agg(pl.len().cast(pl.Int64).alias("n_actors"))
        .join(
            targets.group_by("group").agg(
                pl.len().cast(pl.Int64).alias("n_targets"),
                pl.col("n_actors").max().alias("max_target_actors"),
                pl.col("target_type").unique().sort().alias("target_types"),
            ),
            on="group",
            how="left",
        )
        .join(order.join(inner, on="comp", how="left").join(sig, on="comp"), on="group")
        .select(
            "group",
            "n_actors",
            pl.col("n_targets").fill_null(0),
            "max_target_actors",
            "target_types",
            pl.col("links").fill_null(0),
            "expected_links",
            "log10_pvalue",
            (-pl.col("log10_pvalue")).alias("significance"),
            "gathered",
        )
        .sort("group")
    )
    log.info("shared_targets: %d groups, %d actors", groups.height, actor_rows.height)
    return SharedTargetGroups(
        groups=groups, members=members_out, targets=targets, tested=tested, params=params
    )


def outside_audience(
    graph: EventGraph,
    groups: pl.DataFrame,
    *,
    owner_actions: list[str] | tuple[str, ...] = (),
) -> pl.DataFrame:
    """How many accounts outside its group act on what each member owns.

    An agency's hosts share the agency's phones and payout account as a farm's accounts
    do; what sets them apart is that each host has an audience of its own — hundreds of
    viewers who are not the agency — while a farm's accounts are each other's world.

    Parameters
    ----------
    graph
        The event graph.
    groups
        ``group``, ``key``: the members of each group (node keys).
    owner_actions
        Actions by which an account owns its target (goes live, lists an item): acting
        on a target with one owner counts as acting on that owner.

    Returns
    -------
    polars.DataFrame
        ``group``, ``key``, ``audience`` (Int64: distinct accounts outside the group that
        act on a target the member alone owns), one row per member, sorted.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rows = [("host", "a", "go_live", "live", "s1"), ("host", "b", "go_live", "live", "s2")]
    >>> rows += [("viewer", f"v{i}", "watch", "live", "s1") for i in range(5)]
    >>> rows += [("host", "b", "watch", "live", "s1"), ("viewer", "v0", "follow", "host", "b")]
    >>> ev = pl.DataFrame(rows, schema=["actor_type", "actor_id", "action", "target_type",
    ...     "target_id"], orient="row").with_columns(ts=pl.lit(datetime(2024, 1, 1, tzinfo=timezone.utc)))
    >>> g = pl.DataFrame({"group": [0, 0], "key": ["host:a", "host:b"]})
    >>> outside_audience(build_graph(ev), g, owner_actions=["go_live"]).rows()
    [(0, 'host:a', 5), (0, 'host:b', 0)]
    """
    schema = {"group": groups.schema.get("group", pl.Int64), "key": pl.String, "audience": pl.Int64}
    if groups.height == 0:
        return pl.DataFrame(schema=schema)
    nodes = graph.nodes.select("key", "node")
    mem = groups.select("group", "key").unique().join(nodes, on="key")
    owners = [normalise_name(a) for a in owner_actions]
    ev = graph.events.select("src", "dst", pl.col("action").cast(pl.String))
    # targets of one owner only: a product that many creators promote is no one's own
    owned = (
        ev.filter(pl.col("action").is_in(owners))
        .select(pl.col("dst").alias("target"), pl.col("src").alias("node"))
        .unique()
        .filter(pl.len().over("target") == 1)
        .join(mem.select("node").unique(), on="node", how="semi")
    )
    # what each member reaches through: the targets it alone owns (not the member itself:
    # a part of a run holds every event on the targets its accounts act on, not every
    # event on those accounts, and must measure what the whole run measures)
    reach = owned.select("node", "target").unique()
    acts = (
        graph.edges.select("src", "dst")
        .join(reach.select(pl.col("target").alias("dst")).unique(), on="dst", how="semi")
        .join(
            ev.filter(pl.col("action").is_in(owners)).select("src", "dst").unique(),
            on=["src", "dst"],
            how="anti",
        )
    )
    aud = (
        reach.join(acts.rename({"dst": "target"}), on="target")
        .join(mem.select("group", "node"), on="node")
        .join(mem.select("group", pl.col("node").alias("src")), on=["group", "src"], how="anti")
        .group_by("group", "node")
        .agg(pl.col("src").n_unique().cast(pl.Int64).alias("audience"))
    )
    return (
        mem.join(aud, on=["group", "node"], how="left")
        .select("group", "key", pl.col("audience").fill_null(0).cast(pl.Int64))
        .sort("group", "key")
    )


#: A type nests in another (:func:`nested_kinds`) when at least this share of its targets
#: that hold two accounts or more have all but a fifth of their accounts on one target of
#: the other (a café's machines behind its network address) ...
NESTED_SHARE = 0.5
#: ... counted over at least this many such targets (a type that two accounts share
#: twice says nothing about where it sits).
NESTED_MIN_TARGETS = 10


def nested_kinds(graph: EventGraph, types: Collection[str]) -> dict[str, str]:
    """Kinds for shareable node types whose role the data's shape showed (``types``): the
    types that sit inside one another are one kind.

    A vocabulary says that a gaming café's machines and its network address are both
    devices; read by their shape, they are two types, and two accounts on the same
    machine and the same address would be linked by two kinds of evidence where there is
    one place (:func:`shared_targets`' ``kinds``). The data shows the nesting: most
    machines that hold two accounts or more have (nearly) all of them behind one address
    (at least :data:`NESTED_SHARE` of them, with at least four fifths of their accounts on
    one target of the other type, over at least :data:`NESTED_MIN_TARGETS` such
    machines). A family's phones and their bank accounts do not nest: each member banks
    on their own. Nor are a type that carries money (most of its events have amounts:
    cards, wallets, bank accounts) and one that does not (phones, networks) one kind,
    nested or not: a family's phone and its card are two kinds, as a vocabulary names
    them (device, payout account). Types that nest either way are one kind (``shape:`` and the first of
    them, sorted); a type that nests in none is absent (a kind of its own).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> from ringlens.graph import build_graph
    >>> rows = [(f"p{c}{m}{i}", "rig", f"rig{c}{m}") for c in range(12) for m in range(2)
    ...         for i in range(3)]
    >>> rows += [(a, "net", f"net{a[1:-2]}") for a, _, _ in rows]
    >>> rows += [(f"p{c}{m}{i}", "bank", f"bank{c}{m}{i}") for c in range(12)
    ...          for m in range(2) for i in range(3)]
    >>> ev = pl.DataFrame(rows, schema=["actor_id", "target_type", "target_id"], orient="row")
    >>> ev = ev.with_columns(actor_type=pl.lit("player"), action=pl.lit("use"),
    ...                      ts=datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> nested_kinds(build_graph(ev), ["bank", "net", "rig"])
    {'net': 'shape:net', 'rig': 'shape:net'}
    """
    types = sorted(set(types))
    if len(types) < 2:
        return {}
    nodes = graph.nodes.select("node", "node_type")
    # money moves through cards and payout accounts, not through phones and networks
    money = _money_types(graph, types)
    pairs = (
        graph.events.select("src", "dst")
        .join(nodes.rename({"node": "dst", "node_type": "t"}), on="dst")
        .filter(pl.col("t").is_in(types))
        .unique()
    )
    sizes = pairs.group_by("dst").agg(pl.len().alias("n")).filter(pl.col("n") >= 2)
    held = pairs.join(sizes, on="dst")
    # for each shared target of a type, the most of its accounts on one target of another
    best = (
        held.join(pairs.rename({"dst": "other", "t": "ot"}), on="src")
        .filter(pl.col("ot") != pl.col("t"))
        .group_by("t", "dst", "n", "ot", "other")
        .agg(pl.len().alias("k"))
        .group_by("t", "dst", "n", "ot")
        .agg((pl.col("k").max() / pl.col("n").first()).alias("share"))
    )
    counts = held.group_by("t").agg(pl.col("dst").n_unique().alias("shared"))
    nest = (
        best.group_by("t", "ot")
        .agg((pl.col("share") >= 0.8).sum().alias("nested"))
        .join(counts, on="t")
        .filter(
            (pl.col("shared") >= NESTED_MIN_TARGETS)
            & (pl.col("nested") >= NESTED_SHARE * pl.col("shared"))
        )
        .sort("t", "ot")
    )
    from ringlens.graph.core import component_labels

    links = [(a, b) for a, b in nest.select("t", "ot").iter_rows() if (a in money) == (b in money)]
    index = {t: i for i, t in enumerate(types)}
    comp = component_labels(
        len(types),
        np.array([index[a] for a, _ in links], dtype=np.int64),
        np.array([index[b] for _, b in links], dtype=np.int64),
    )
    groups: dict[int, list[str]] = {}
    for t, c in zip(types, comp.tolist(), strict=True):
        groups.setdefault(c, []).append(t)
    return {
        t: f"shape:{members[0]}" for members in groups.values() if len(members) > 1 for t in members
    }
