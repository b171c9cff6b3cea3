"""Which families of the data each generic detector runs on (shared by the detectors here).

A family is one (actor type, action, target type) triple of the data
(:meth:`ringlens.graph.EventGraph.families`) with the roles the vocabulary — or the
data's shape, for unmapped names — gives its names (:class:`ringlens.graph.roles.Roles`).
Detectors never name a platform's actions: they take these families.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ringlens.graph.roles import SHAREABLE_ROLES, STRUCTURAL_ROLES, Roles
from ringlens.pipeline.registry import DetectInput, Family

__all__ = [
    "STRUCTURAL",
    "RoleGroup",
    "interaction_actions",
    "interaction_families",
    "pooled_by_types",
    "role_groups",
    "significance_strength",
    "with_owner_events",
]

#: Action roles that are not interactions (who owns what, device use, payouts).
STRUCTURAL: tuple[str, ...] = STRUCTURAL_ROLES
#: The name of the "role" of unmapped actions.
UNMAPPED = "unmapped"
#: Fewest events, accounts and targets a family needs before a detector looks at it.
MIN_EVENTS, MIN_ACTORS, MIN_TARGETS = 20, 5, 2


def _tagged(inp: DetectInput) -> pl.DataFrame:
    """The data's families with each name's role as the run reads it."""
    assert inp.families is not None
    roles: Roles = inp.roles
    return inp.families.with_columns(
        pl.col("action")
        .replace_strict(dict(roles.action_role), default=None, return_dtype=pl.String)
        .alias("role"),
        pl.col("target_type")
        .replace_strict(dict(roles.type_role), default=None, return_dtype=pl.String)
        .alias("trole"),
    )


def _big_enough() -> pl.Expr:
    return (
        (pl.col("events") >= MIN_EVENTS)
        & (pl.col("actors") >= MIN_ACTORS)
        & (pl.col("targets") >= MIN_TARGETS)
    )


def interaction_families(inp: DetectInput, *, shareable: bool = False) -> list[Family]:
    """Every (actor type, action, target type) family of interactions big enough to hold a
    ring: not ownership, device use or payouts, and (unless ``shareable``) not on shared
    attributes (devices, payout accounts, coupons), sorted by name."""
    f = _tagged(inp).filter(
        ~pl.col("role").is_in(list(STRUCTURAL)).fill_null(False) & _big_enough()
    )
    if not shareable:
        f = f.filter(~pl.col("trole").is_in(list(SHAREABLE_ROLES)).fill_null(False))
    rows = f.sort("actor_type", "action", "target_type").iter_rows(named=True)
    return [
        Family(
            actions=(r["action"],), actor_types=(r["actor_type"],), target_types=(r["target_type"],)
        )
        for r in rows
    ]


def pooled_by_types(families: list[Family]) -> list[Family]:
    """``families`` (one action each) pooled per (actor type, target type): one family
    holding all their actions, sorted by the two types."""
    by_types: dict[tuple[str, str], list[str]] = {}
    for f in families:
        key = ((f.actor_types or ("",))[0], (f.target_types or ("",))[0])
        by_types.setdefault(key, []).extend(f.actions or ())
    return [
        Family(actions=tuple(sorted(set(acts))), actor_types=(at,), target_types=(tt,))
        for (at, tt), acts in sorted(by_types.items())
    ]


def with_owner_events(families: list[Family], owner_actions: tuple[str, ...]) -> list[Family]:
    """``families`` each widened to the ownership events (``owner_actions``) of its target
    types, by any account: a detector that reads who owns what consumes them too (the
    Spark engine's unit of a family then holds its owners)."""
    return [
        Family(
            actions=tuple(sorted({*(f.actions or ()), *owner_actions})),
            target_types=f.target_types,
        )
        for f in families
    ]


def interaction_actions(inp: DetectInput) -> list[str]:
    """The data's action names that are interactions (not ownership, device use or
    payouts: :meth:`ringlens.graph.roles.Roles.structural_actions`; unmapped ones
    included), sorted."""
    assert inp.families is not None
    return inp.roles.interaction_actions(inp.families)


@dataclass(frozen=True)
class RoleGroup:
    """The families of one action role (or one unmapped action) taken together."""

    role: str
    family: Family
    events: int


def role_groups(inp: DetectInput) -> list[RoleGroup]:
    """One family per action role of interactions — every action of that role, by the
    accounts that perform them, on the targets they act on — and one per unmapped action,
    sorted by role (then action). Actions that are not interactions by the data's shape
    (every family of theirs on a device or payout account: signing in on the café's
    machines, cashing out) are left out as mapped logins and payouts are."""
    assert inp.families is not None
    # the structural roles' actions and those the shape shows (Roles.structural_actions)
    structural = list(inp.roles.structural_actions(inp.families))
    f = _tagged(inp).filter(~pl.col("action").is_in(structural))
    f = f.with_columns(pl.col("role").fill_null(pl.lit(UNMAPPED)))
    out = []
    mapped = f.filter(pl.col("role") != UNMAPPED)
    for (role,), g in sorted(mapped.group_by("role"), key=lambda x: str(x[0][0])):
        out.append(_group(str(role), g))
    unmapped = f.filter(pl.col("role") == UNMAPPED)
    for _action, g in sorted(unmapped.group_by("action"), key=lambda x: str(x[0][0])):
        out.append(_group(UNMAPPED, g))
    return [g for g in out if g.events >= MIN_EVENTS]


def _group(role: str, g: pl.DataFrame) -> RoleGroup:
    fam = Family(
        actions=tuple(sorted(set(g["action"].to_list()))),
        actor_types=tuple(sorted(set(g["actor_type"].to_list()))),
        target_types=tuple(sorted(set(g["target_type"].to_list()))),
    )
    return RoleGroup(role=role, family=fam, events=int(g["events"].sum()))


def significance_strength(significance: pl.Expr) -> pl.Expr:
    """A detector's confidence in [0.3, 1] from a group's significance (-log10 p, at least
    2 for a reported group): 0.3 at p = 0.01, 1.0 from p = 1e-10 on."""
    return (0.3 + 0.7 * (significance.cast(pl.Float64) - 2.0) / 8.0).clip(0.3, 1.0)
