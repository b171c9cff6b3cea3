"""Lockstep per action role, at time scales chosen from the data: accounts hitting the same
targets in the same time windows, far beyond what their activity explains."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from ringlens.detect.lockstep import lockstep_multiscale, lockstep_windows
from ringlens.pipeline.detectors._families import RoleGroup, role_groups, significance_strength
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    group_found,
    register,
)

__all__ = ["LOCKSTEP_REASONS", "Lockstep", "lockstep_windows_for"]

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

    def detect(self, inp: DetectInput) -> Found:
        cfg = inp.config
        parts: list[Found] = []
        for g in role_groups(inp):
            fam = g.family
            reason = f"lockstep_{g.role}"
            label = g.role if g.role != "unmapped" else f"unmapped: {fam.actions[0]}"  # type: ignore[index]
            windows = lockstep_windows_for(inp, g)
            if not windows:  # none of the group's events in this graph (a part of the run)
                parts.append(Found(counts={reason: 0}))
                continue
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
            parts.append(
                group_found(
                    res,
                    "lockstep",
                    _prefix(reason, g),
                    significance_strength(pl.col("significance")),
                    reason,
                    counts={reason: res.groups.height},
                    bursts=_bursts(res.bursts, reason, offset=sum(p.bursts.height for p in parts)),
                )
            )
        return Found.concat(parts)


def _prefix(reason: str, group: RoleGroup) -> str:
    """The candidate ids' prefix of a role group: one group per unmapped action shares the
    reason ``lockstep_unmapped``, so the action tells their groups apart."""
    if group.role != "unmapped":
        return f"{reason}/"
    return f"{reason}:{(group.family.actions or ('',))[0]}/"


def _bursts(bursts: pl.DataFrame, reason: str, *, offset: int) -> pl.DataFrame:
    """The groups' bursts (every scale; the same burst found at two scales once), groups
    numbered after ``offset`` so that two role groups of one reason never share one."""
    return (
        bursts.select(
            pl.lit(reason).alias("family"),
            (pl.col("group") + offset).cast(pl.Int64).alias("group"),
            "key",
            "start",
            "end",
            "n_actors",
        )
        .unique(["family", "group", "key", "start", "end"], keep="first", maintain_order=True)
        .sort("family", "group", "key", "start", "end")
    )
