"""Shared rare targets: accounts behind a device, payout account or coupon beyond a household
that are otherwise linked."""

from __future__ import annotations

import logging

import polars as pl

from ringlens.detect.shared import nested_kinds, outside_audience, shared_targets
from ringlens.pipeline.detectors._families import (
    interaction_actions,
    significance_strength,
)
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    candidates_from,
    register,
)
from ringlens.rings.expand import WHOLE

__all__ = ["SHARED_REASONS", "SharedTargets"]

log = logging.getLogger(__name__)

#: The reason of a shared attribute, by its role.
SHARED_REASONS = {
    "device": "shared_device",
    "payout_account": "shared_payout",
    "coupon": "shared_coupon",
}


@register
class SharedTargets(Detector):
    """Accounts sharing rare devices, payout accounts or coupons beyond household size
    (:func:`ringlens.detect.shared.shared_targets`) on every shareable node type the
    vocabulary names or the data's shape shows."""

    name = "shared_targets"
    order = 40
    reasons = tuple(SHARED_REASONS.values())
    proposes_rings = True

    def families(self, inp: DetectInput) -> list[Family]:
        types = inp.roles.shareable_types
        return [Family(target_types=types)] if types else []

    def detect(self, inp: DetectInput) -> Found:
        types = inp.roles.shareable_types
        if not types:
            return Found(counts={"shared_targets": 0})
        d = inp.config.detect
        new_keys, new_rate = inp.new_accounts
        with inp.timer("shared targets"):
            res = shared_targets(
                inp.graph,
                target_types=list(types),
                max_household=d.shared_max_household,
                # devices and payout accounts: two shared ones link accounts (a household
                # shares one); coupons not (a campaign's claimers share several)
                repeat_types=list(inp.roles.types("device", "payout_account")) or None,
                # accounts behind one device that also act on the same obscure targets
                rare_links=True,
                # ... or that act on one target in the same few hours, when few do
                rare_window=d.window,
                rare_actions=interaction_actions(inp),
                # phones and payout accounts holding more new accounts than the
                # platform's rate explains, beyond a household: an account farm
                new_accounts=new_keys,
                new_rate=new_rate,
                # a city's accounts share its local kitchens and riders: links are
                # tested against the block model of account types and markets
                blocks=_blocks(inp),
                # a place's machines and its network address are one kind of evidence
                # (as the vocabulary names them; types read by their shape are one kind
                # where the data shows one inside the other)
                kinds={
                    **nested_kinds(inp.graph, inp.roles.by_shape & set(types)),
                    **inp.roles.attribute_kinds,
                },
            )
        actors = (
            res.to_frame()
            .filter(pl.col("role") == "actor")
            .join(res.groups.select("group", "significance", "gathered"), on="group")
            # groups of fewer accounts than detect.shared_min_group are not rings
            .filter(pl.len().over("group") >= d.shared_min_group)
        )
        organisations = _organisations(inp, actors)
        if organisations.height:
            log.info(
                "shared_targets: %d groups are organisations (members with audiences of "
                "their own; dropped)",
                organisations.height,
            )
            actors = actors.join(organisations, on="group", how="anti")
        strength = significance_strength(pl.col("significance"))
        cands = candidates_from(
            actors.select(
                pl.when(pl.col("gathered"))
                # families met on a rare target: linked by the target they met on,
                # which none of them owns; the split along own targets would part them
                .then(pl.concat_str(pl.lit(WHOLE), pl.col("group").cast(pl.String)))
                .otherwise(pl.col("group").cast(pl.String))
                .alias("candidate"),
                "key",
                strength.alias("strength"),
            ),
            "shared_targets",
        )
        sigs = _shared_reasons(inp, res.targets, actors).select(
            "key", "reason", strength.alias("strength")
        )
        return Found(
            candidates=cands,
            signals=sigs,
            counts={
                "shared_targets": actors["group"].n_unique(),
                "shared_targets_organisations": organisations.height,
            },
        )


def _shared_reasons(inp: DetectInput, targets: pl.DataFrame, actors: pl.DataFrame) -> pl.DataFrame:
    """``key``, ``reason``, ``significance``: which kinds of attribute each account shares —
    the reasons of its group's targets (shared by two members or more) that the account
    itself acts on. A campus's students behind one network block share that block; the
    two of them on a partner's card do not make every student a payout sharer."""
    nodes = inp.graph.nodes.select(pl.col("node").cast(pl.Int64), "key")
    reason = (
        pl.col("target_type")
        .replace_strict(dict(inp.roles.type_role), default=None, return_dtype=pl.String)
        .replace_strict(SHARED_REASONS, default="shared_device", return_dtype=pl.String)
    )
    dst = targets.join(nodes, on="key").select(
        "group", pl.col("node").alias("dst"), reason.alias("reason")
    )
    src = actors.join(nodes, on="key").select(
        "group", pl.col("node").alias("src"), "key", "significance"
    )
    edges = inp.graph.edges.select(pl.col("src").cast(pl.Int64), pl.col("dst").cast(pl.Int64))
    return (
        edges.join(src, on="src")
        .join(dst, on=["group", "dst"])
        .select("key", "reason", "significance")
        .unique()
        .sort("key", "reason")
    )


def _blocks(inp: DetectInput) -> pl.DataFrame:
    """``key``, ``block``: every node's type and, where the entities say, market. The
    links of a city's accounts to each other, and of its riders to each other, are
    expected (they share its kitchens); a ring's are beyond that."""
    from ringlens.graph import node_key

    nodes = inp.graph.nodes.select("key", pl.col("node_type").cast(pl.String))
    ent = inp.entities
    if ent is not None and "market" in ent.columns:
        markets = ent.select(node_key("entity_type", "entity_id"), pl.col("market").cast(pl.String))
        nodes = nodes.join(markets.unique("key", keep="first"), on="key", how="left")
    else:
        nodes = nodes.with_columns(pl.lit(None, dtype=pl.String).alias("market"))
    block = pl.concat_str("node_type", pl.col("market").fill_null(""), separator="\x1f")
    return nodes.select("key", block.alias("block"))


#: A group whose members' median outside audience is at least this many times the
#: group's size is an organisation (an agency, a shop's staff), not a farm.
ORGANISATION_AUDIENCE = 3


def _organisations(inp: DetectInput, actors: pl.DataFrame) -> pl.DataFrame:
    """``group``: groups whose members each reach an audience of their own.

    An agency's hosts share its phones and payout account like a farm's accounts; but
    the median host's lives are watched by many accounts outside the group (:func:`ringlens.detect.shared.outside_audience`), at least
    :data:`ORGANISATION_AUDIENCE` times the group's size, while a farm's accounts have
    hardly anyone but each other. Judged against the group's own size, not the
    platform's, so a part of a run decides as the whole does.
    """
    if actors.height == 0:
        return pl.DataFrame(schema={"group": actors.schema["group"]})
    aud = outside_audience(
        inp.graph, actors.select("group", "key"), owner_actions=inp.roles.owner_actions
    )
    return (
        aud.group_by("group")
        .agg(pl.col("audience").median().alias("median"), pl.len().alias("n"))
        .filter(pl.col("median") >= ORGANISATION_AUDIENCE * pl.col("n"))
        .select("group")
        .sort("group")
    )
