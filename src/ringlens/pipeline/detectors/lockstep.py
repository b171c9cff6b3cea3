"""Lockstep per action role, at time scales chosen from the data: accounts hitting the same
targets in the same time windows, far beyond what their activity explains."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import TypeVar

import numpy as np
import polars as pl

from ringlens.detect.lockstep import LockstepGroups, lockstep_multiscale, lockstep_windows
from ringlens.pipeline.detectors._families import RoleGroup, role_groups, significance_strength
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    Task,
    group_found,
    register,
)

__all__ = ["LOCKSTEP_REASONS", "Lockstep", "lockstep_windows_for"]

log = logging.getLogger(__name__)

#: One reason per interaction role (``lockstep_unmapped``: actions without a role).
LOCKSTEP_REASONS: tuple[str, ...] = tuple(
    f"lockstep_{r}"
    for r in (
        "engagement",
        "purchase",
        "review",
        "click",
        "follow",
        "gift",
        "claim",
        "view",
        "unmapped",
    )
)


def lockstep_windows_for(inp: DetectInput, group: RoleGroup) -> list[timedelta]:
    """The time scales of one role group: the run's (a part of a larger run gets them in
    its context, so every part looks at the same scales), else chosen from its events."""
    ctx = inp.context
    key = group.family
    if ctx is not None and key in ctx.lockstep_windows:
        return [timedelta(seconds=s) for s in ctx.lockstep_windows[key]]
    fam = group.family
    return lockstep_windows(
        inp.graph,
        actions=list(fam.actions or ()),
        actor_types=list(fam.actor_types or ()),
        target_types=list(fam.target_types or ()),
    )


@register
class Lockstep(Detector):
    """CopyCatch-style lockstep at several time scales
    (:func:`ringlens.detect.lockstep.lockstep_multiscale`) per action role."""

    name = "lockstep"
    order = 10
    reasons = LOCKSTEP_REASONS
    proposes_rings = True

    def families(self, inp: DetectInput) -> list[Family]:
        return [g.family for g in role_groups(inp)]

    def tasks(self, inp: DetectInput) -> list[Task]:
        """One task per role group, costed by its events (the largest starts first)."""
        out = []
        for g in role_groups(inp):
            rows = _rows(inp, g)
            cost = float(inp.graph.events.height if rows is None else len(rows))
            out.append(Task(run=partial(self._role, inp, g), cost=cost))
        return out

    def combine(self, parts: list[Found]) -> Found:
        """The role groups' findings in order, their bursts' groups numbered after the
        previous groups' bursts (two role groups of one reason never share a group)."""
        out = []
        offset = 0
        for p in parts:
            if p.bursts.height:
                p = replace(p, bursts=p.bursts.with_columns(pl.col("group") + offset))
            offset += p.bursts.height
            out.append(p)
        return Found.concat(out)

    def _role(self, inp: DetectInput, g: RoleGroup) -> Found:
        """Lockstep on one role group's events, at its time scales."""
        cfg = inp.config
        fam = g.family
        reason = f"lockstep_{g.role}"
        label = g.role if g.role != "unmapped" else f"unmapped: {fam.actions[0]}"  # type: ignore[index]
        windows = lockstep_windows_for(inp, g)
        if not windows:  # none of the group's events in this graph (a part of the run)
            return Found(counts={reason: 0})
        with inp.timer(f"lockstep ({label})"):
            res = lockstep_multiscale(
                inp.graph,
                windows=windows,
                actions=list(fam.actions or ()),
                actor_types=list(fam.actor_types or ()),
                target_types=list(fam.target_types or ()),
                min_actors=cfg.detect.lockstep_min_actors,
                min_targets=cfg.detect.lockstep_min_targets,
                min_bursts=cfg.detect.lockstep_min_bursts,
                max_target_degree=cfg.graph.max_target_degree,
            )
        res = _without_crowds(inp, g, res)
        return group_found(
            res,
            "lockstep",
            _prefix(reason, g),
            significance_strength(pl.col("significance")),
            reason,
            counts={reason: res.groups.height},
            bursts=_bursts(res.bursts, reason),
        )


def _rows(inp: DetectInput, g: RoleGroup) -> np.ndarray | None:
    """The graph's event rows of the role group (None: every event)."""
    fam = g.family
    return inp.graph.family_rows(
        actions=list(fam.actions or ()) or None,
        actor_types=list(fam.actor_types or ()) or None,
        target_types=list(fam.target_types or ()) or None,
    )


_Groups = TypeVar("_Groups", bound=LockstepGroups)

#: A lockstep group holding more than this share of the accounts that act in its role is
#: the platform's own rhythm (thousands reading the same viral threads in the same
#: hours), not a crew: rings are a small minority of a role's accounts.
CROWD_SHARE = 1 / 3


def _without_crowds(inp: DetectInput, g: RoleGroup, res: _Groups) -> _Groups:
    """``res`` without the groups that hold more than :data:`CROWD_SHARE` of the accounts
    acting in the role group (and without their bursts)."""
    if res.groups.height == 0:
        return res
    rows = _rows(inp, g)
    src = inp.graph.events["src"]
    accounts = (src if rows is None else src.gather(rows)).n_unique()
    crowd = res.groups.filter(pl.col("n_actors") > CROWD_SHARE * accounts)
    if crowd.height == 0:
        return res
    log.info(
        "lockstep (%s): %d group(s) of %s accounts hold more than a third of the %d "
        "accounts acting in it: the platform's rhythm, not a ring (dropped)",
        g.role,
        crowd.height,
        ", ".join(str(n) for n in crowd["n_actors"].to_list()),
        accounts,
    )
    drop = crowd.select("group")
    return replace(
        res,
        groups=res.groups.join(drop, on="group", how="anti"),
        members=res.members.join(drop, on="group", how="anti"),
        bursts=res.bursts.join(drop, on="group", how="anti"),
    )


def _prefix(reason: str, group: RoleGroup) -> str:
    """The candidate ids' prefix of a role group: one group per unmapped action shares the
    reason ``lockstep_unmapped``, so the action tells their groups apart."""
    if group.role != "unmapped":
        return f"{reason}/"
    return f"{reason}:{(group.family.actions or ('',))[0]}/"


def _bursts(bursts: pl.DataFrame, reason: str) -> pl.DataFrame:
    """The groups' bursts (every scale; the same burst found at two scales once), groups
    numbered from 0 (:meth:`Lockstep.combine` numbers them after the previous role
    groups')."""
    return (
        bursts.select(
            pl.lit(reason).alias("family"),
            pl.col("group").cast(pl.Int64).alias("group"),
            "key",
            "start",
            "end",
            "n_actors",
        )
        .unique(["family", "group", "key", "start", "end"], keep="first", maintain_order=True)
        .sort("family", "group", "key", "start", "end")
    )
