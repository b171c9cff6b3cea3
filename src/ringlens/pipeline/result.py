"""What a run returns: :class:`Detections`, :class:`RunResult` and the one report builder."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl

from ringlens import __version__
from ringlens.graph import EventGraph

__all__ = ["Detections", "RunResult", "build_report", "jsonable", "ring_output"]


@dataclass(frozen=True)
class Detections:
    """What the detectors found: ring candidates and per-entity signals (``counts``:
    candidate groups or signals per reason code, for ``run.json``)."""

    candidates: pl.DataFrame
    signals: pl.DataFrame
    counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    #: which events reached which detector (:class:`ringlens.pipeline.coverage.Coverage`)
    coverage: Any = None
    #: what the graph's names mean (:class:`ringlens.graph.roles.Roles`)
    roles: Any = None
    #: ``detector, candidate, key, window``: the targets each candidate works on
    targets: pl.DataFrame | None = None
    #: the bursts of the time-based detectors (:data:`ringlens.pipeline.registry.BURST_SCHEMA`)
    bursts: pl.DataFrame | None = None


@dataclass(frozen=True)
class RunResult:
    """A scored run (immutable: writing it returns a new result with ``run_dir`` set).

    Attributes
    ----------
    rings, entities, queue : polars.DataFrame
        Scored rings, scored entities, the enforcement queue.
    report : dict
        Counts, timings, policy report, settings (what goes into ``run.json``).
    graph : EventGraph or None
        The event graph (for views and notebooks; the Spark engine gives the part of it
        around the top rings).
    membership : polars.DataFrame
        ``key, ring_id, support, detectors``: who is in which ring.
    run_dir : Path or None
        The run folder, once written.
    bursts : polars.DataFrame or None
        The lockstep bursts the run's detector found (``bursts.parquet``; the views shade
        them in the rings' timelines); None for a run that did not keep them.
    """

    rings: pl.DataFrame
    entities: pl.DataFrame
    queue: pl.DataFrame
    report: Mapping[str, Any]
    graph: EventGraph | None
    membership: pl.DataFrame
    run_dir: Path | None = None
    bursts: pl.DataFrame | None = None


def ring_output(rings: pl.DataFrame) -> pl.DataFrame:
    """rings.parquet: ring_id, pattern, risk_score, size, members, owners (where the
    rings have them), targets, reasons,
    contributions, detectors, market, ``features`` (a struct of every feature), then the
    features again as columns."""
    if rings.height == 0:
        return rings
    first = [
        "ring_id",
        "pattern",
        "risk_score",
        "size",
        "members",
        "targets",
        "reasons",
        "contributions",
        "detectors",
        "market",
    ]
    if "owners" in rings.columns:
        first.insert(5, "owners")
    feats = [c for c in rings.columns if c not in first]
    return rings.select(
        *first[:3],
        pl.col("size").cast(pl.Int64),
        *first[4:],
        pl.struct(feats).alias("features"),
        *feats,
    )


#: Prefix of the detectors' counts (``candidates``) that are accounts a ring-stage rule
#: dropped (:attr:`ringlens.rings.core.Rings.dropped`): summed over a Spark run's parts
#: with the other counts, reported apart (``counts.dropped_accounts``).
DROPPED = "dropped:"


def build_report(
    *,
    run_id: str,
    seed: int,
    counts: Mapping[str, int],
    candidates: Mapping[str, int],
    rings: pl.DataFrame,
    entities: pl.DataFrame,
    queue: pl.DataFrame,
    policy_source: str,
    policy_report: Mapping[str, Any],
    timings: Mapping[str, float] | None = None,
    memory_mib: Mapping[str, int] | None = None,
    detector_timings: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The run report (``run.json`` without inputs and settings), for both engines.

    ``counts`` holds ``events``, ``nodes`` and ``edges``; ``candidates`` the detectors'
    counts per reason code, and under :data:`DROPPED` names the accounts each ring-stage
    rule left out of every ring (``counts.dropped_accounts``). ``timings`` are steps that follow each other (they add up to
    the run); ``detector_timings`` the detectors' own steps inside ``timings["detectors"]``,
    which run side by side (they overlap).
    """
    report: dict[str, Any] = {
        "run_id": run_id,
        "version": __version__,
        "seed": seed,
        "counts": {
            "events": counts.get("events", 0),
            "nodes": counts.get("nodes", 0),
            "edges": counts.get("edges", 0),
            "candidates": {k: v for k, v in sorted(candidates.items()) if DROPPED not in k},
            "dropped_accounts": {
                k.removeprefix(DROPPED): v for k, v in sorted(candidates.items()) if DROPPED in k
            },
            "rings": rings.height,
            "rings_by_pattern": dict(sorted(rings.group_by("pattern").len().iter_rows()))
            if rings.height
            else {},
            "scored_entities": entities.height,
            "queue": queue.height,
        },
        "policy": {"source": policy_source, **policy_report},
        "timings": dict(timings or {}),
    }
    if memory_mib is not None:
        report["memory_mib"] = dict(memory_mib)
    if detector_timings is not None:
        report["detector_timings"] = dict(detector_timings)
    return report


def jsonable(obj: Any) -> Any:
    """``obj`` with mappings as dicts, sequences as lists and non-finite floats as None."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
