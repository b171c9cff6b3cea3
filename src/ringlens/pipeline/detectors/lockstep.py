"""Lockstep per action family: accounts hitting the same targets in the same time windows."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import polars as pl

from ringlens.config import Config
from ringlens.detect.lockstep import LOCKSTEP_PRESETS, lockstep
from ringlens.pipeline.context import family_key
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    candidates_from,
    register,
)

__all__ = ["LOCKSTEP_FAMILIES", "Lockstep", "lockstep_presets"]

#: Lockstep runs separately per family: reason code → the lockstep preset it uses
#: (actions, actor and target types; see ringlens.detect.lockstep.LOCKSTEP_PRESETS).
LOCKSTEP_FAMILIES: tuple[tuple[str, str], ...] = (
    ("lockstep_orders", "brushing"),
    ("lockstep_clicks", "affiliate_fraud"),
    ("lockstep_engagement", "mutual_boost"),
)


def lockstep_presets(config: Config) -> list[tuple[str, MappingProxyType[str, Any]]]:
    """``(reason, lockstep keyword arguments)`` of each lockstep run: the family's preset
    with the configured thresholds (the Spark engine reads the event filters from here too).

    Examples
    --------
    >>> [(r, p["actions"]) for r, p in lockstep_presets(Config())][2]
    ('lockstep_engagement', ('like', 'comment', 'share', 'follow'))
    """
    d = config.detect
    out = []
    for reason, preset_name in LOCKSTEP_FAMILIES:
        preset = dict(LOCKSTEP_PRESETS[preset_name])
        preset.update(min_targets=d.lockstep_min_targets, min_bursts=d.lockstep_min_bursts)
        if preset_name == "mutual_boost":
            # follows in the same bursts are part of boosting (creators following each other)
            preset.update(
                actions=["like", "comment", "share", "follow"], target_types=["content", "creator"]
            )
        frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in preset.items()}
        out.append((reason, MappingProxyType(frozen)))
    return out


def _family(preset: MappingProxyType[str, Any]) -> Family:
    return Family(
        actions=preset.get("actions"),
        actor_types=preset.get("actor_types"),
        target_types=preset.get("target_types"),
    )


@register
class Lockstep(Detector):
    """CopyCatch-style lockstep (:func:`ringlens.detect.lockstep.lockstep`) per family."""

    name = "lockstep"
    order = 10
    reasons = tuple(r for r, _ in LOCKSTEP_FAMILIES)

    def families(self, inp: DetectInput) -> list[Family]:
        return [_family(p) for _, p in lockstep_presets(inp.config)]

    def detect(self, inp: DetectInput) -> Found:
        cfg = inp.config
        parts = []
        for reason, preset in lockstep_presets(cfg):
            fam = _family(preset)
            span = (
                inp.context.lockstep_spans.get(
                    family_key(fam.actions, fam.actor_types, fam.target_types)
                )
                if inp.context is not None
                else None
            )
            kwargs: dict[str, Any] = {
                k: list(v) if isinstance(v, tuple) else v for k, v in preset.items()
            }
            with inp.timer(f"lockstep ({reason.removeprefix('lockstep_')})"):
                res = lockstep(
                    inp.graph,
                    window=cfg.detect.window,
                    min_actors=cfg.detect.lockstep_min_actors,
                    max_target_degree=cfg.graph.max_target_degree,
                    span_us=span,
                    **kwargs,
                )
            members = res.to_frame().filter(pl.col("role") == "actor")
            grp = members.join(res.groups.select("group", "synchrony"), on="group").select(
                pl.col("group").alias("candidate"), "key", pl.col("synchrony").alias("strength")
            )
            parts.append(
                Found(
                    candidates=candidates_from(grp, reason),
                    signals=grp.select("key", pl.lit(reason).alias("reason"), "strength"),
                    counts={reason: res.groups.height},
                )
            )
        return Found.concat(parts)
