"""The detector registry: every detector the run uses, behind one interface.

A detector declares its ``name``, its ``stage`` (``"graph"``: it reads the event graph and
proposes ring candidates and/or entity signals; ``"rings"``: it reads the rings the graph
stage produced and adds entity signals), the reason codes it emits, and the event
**families** it consumes (filters on action, actor type and target type, for the run's
coverage report); :meth:`Detector.detect` returns a :class:`Found`. The run
(:func:`ringlens.pipeline.detect`) iterates the registry in ``order``. A detector whose
work splits into independent pieces (lockstep: one per action role) gives them as
:meth:`Detector.tasks`, which the run spreads over its threads with the other detectors',
largest first; :meth:`Detector.combine` puts the pieces' findings together in their order,
so the result is the same whatever order they finish in.

Adding a detector is one file in :mod:`ringlens.pipeline.detectors`: a subclass of
:class:`Detector` decorated with :func:`register` (the package imports every module in it).
The algorithms themselves live in :mod:`ringlens.detect` and know nothing of the run; a
registry member only chooses what to run them on, with which settings, and turns their
groups into candidates and signals.

Examples
--------
>>> [d.name for d in registered("graph")][:2]
['lockstep', 'dense_blocks']
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import polars as pl

from ringlens.config import Config
from ringlens.exceptions import ConfigError
from ringlens.graph import EventGraph
from ringlens.graph.roles import Roles
from ringlens.pipeline.context import RunContext
from ringlens.pipeline.vocabulary import Vocabulary
from ringlens.rings.core import CANDIDATE_SCHEMA
from ringlens.risk.model import SIGNAL_SCHEMA

__all__ = [
    "CANDIDATE_SCHEMA",
    "SIGNAL_SCHEMA",
    "TARGET_SCHEMA",
    "BURST_SCHEMA",
    "DetectInput",
    "Detector",
    "Family",
    "Found",
    "Task",
    "candidates_from",
    "group_found",
    "target_frame",
    "registered",
    "register",
]

Timer = Callable[[str], AbstractContextManager[Any]]

#: The targets of a candidate: ``detector, candidate, key`` (target node key) and
#: ``window``: the time scale in seconds at which a time detector saw the candidate act
#: in step (lockstep: its group's most significant scale; null for the other detectors).
TARGET_SCHEMA = pl.Schema(
    {"detector": pl.String, "candidate": pl.String, "key": pl.String, "window": pl.Float64}
)
#: the bursts a time-based detector found (the run writes them to ``bursts.parquet``):
#: ``family`` (reason code), ``group`` (unique within the family), ``key`` (target)
BURST_SCHEMA = pl.Schema(
    {
        "family": pl.String(),
        "group": pl.Int64(),
        "key": pl.String(),
        "start": pl.Datetime("us", "UTC"),
        "end": pl.Datetime("us", "UTC"),
        "n_actors": pl.Int64(),
    }
)


@dataclass(frozen=True)
class Family:
    """The events a detector run consumes: ``None`` = any action / actor type / target type."""

    actions: tuple[str, ...] | None = None
    actor_types: tuple[str, ...] | None = None
    target_types: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DetectInput:
    """What every detector may read.

    ``context`` is set when ``graph`` is part of a larger run (the Spark engine's
    partitions): run-wide quantities replace the part's own (see
    :mod:`ringlens.pipeline.context`). ``membership`` (``key, ring_id``) is the rings'
    membership, given to the ``"rings"`` stage.
    """

    graph: EventGraph
    config: Config
    vocabulary: Vocabulary = field(default_factory=Vocabulary.default)
    #: the graph's families with their roles (:func:`ringlens.pipeline.coverage.family_roles`)
    families: pl.DataFrame | None = None
    #: what the graph's names mean (:func:`ringlens.pipeline.vocabulary.graph_roles`)
    roles: Roles = field(default_factory=Roles)
    entities: pl.DataFrame | None = None
    labels: pl.DataFrame | None = None
    context: RunContext | None = None
    membership: pl.DataFrame | None = None
    #: the rings (``rings.parquet``'s columns so far: ``ring_id``, ``members``, ``targets``,
    #: features), given to the ``"rings"`` stage
    rings: pl.DataFrame | None = None
    #: ``ring_id, key``: the targets each ring's detectors named (``targets`` without
    #: those the test beyond chance added; :class:`ringlens.rings.core.Rings`), given to
    #: the ``"rings"`` stage
    ring_targets: pl.DataFrame | None = None
    timer: Timer = field(default=lambda name: nullcontext())

    @cached_property
    def new_accounts(self) -> tuple[pl.Series | None, float | None]:
        """The new accounts' node keys and the platform's share of them
        (:func:`ringlens.pipeline.signals.run_new_accounts`; ``(None, None)`` when the
        entities do not say when accounts were created). Read once, by every detector
        that needs them."""
        from ringlens.pipeline.signals import run_new_accounts

        found = run_new_accounts(self.graph, self.entities, self.context)
        return (None, None) if found is None else found


@dataclass(frozen=True)
class Found:
    """A detector's output: ring candidates (:data:`CANDIDATE_SCHEMA`), the targets each
    candidate works on (:data:`TARGET_SCHEMA`: what the detector saw the group act on,
    e.g. a dense block's columns), entity signals (:data:`SIGNAL_SCHEMA`), counts for
    ``run.json`` (``counts.candidates``) and the bursts a time-based detector found
    (:data:`BURST_SCHEMA`; the views shade them in the rings' timelines)."""

    candidates: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CANDIDATE_SCHEMA))
    signals: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SIGNAL_SCHEMA))
    counts: dict[str, int] = field(default_factory=dict)
    targets: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=TARGET_SCHEMA))
    bursts: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=BURST_SCHEMA))
    #: ``ring_id`` + feature columns a ``"rings"``-stage detector adds to every ring
    ring_features: pl.DataFrame | None = None

    @staticmethod
    def concat(parts: Sequence[Found]) -> Found:
        """One :class:`Found` of several, in order (counts of the same key add up)."""
        cands = [p.candidates for p in parts if p.candidates.height]
        sigs = [p.signals for p in parts if p.signals.height]
        tgts = [p.targets for p in parts if p.targets.height]
        bursts = [p.bursts for p in parts if p.bursts.height]
        feats = [p.ring_features for p in parts if p.ring_features is not None]
        ring_features = feats[0] if feats else None
        for f in feats[1:]:
            assert ring_features is not None
            ring_features = ring_features.join(f, on="ring_id", how="full", coalesce=True)
        counts: dict[str, int] = {}
        for p in parts:
            for k, v in p.counts.items():
                counts[k] = counts.get(k, 0) + v
        return Found(
            candidates=pl.concat([c.cast(CANDIDATE_SCHEMA) for c in cands])
            if cands
            else pl.DataFrame(schema=CANDIDATE_SCHEMA),
            signals=pl.concat([s.cast(SIGNAL_SCHEMA) for s in sigs])
            if sigs
            else pl.DataFrame(schema=SIGNAL_SCHEMA),
            counts=counts,
            targets=pl.concat([target_frame(t) for t in tgts])
            if tgts
            else pl.DataFrame(schema=TARGET_SCHEMA),
            bursts=pl.concat([b.cast(BURST_SCHEMA) for b in bursts])
            if bursts
            else pl.DataFrame(schema=BURST_SCHEMA),
            ring_features=ring_features,
        )


class Detector:
    """Base of the registry's members (see the module docstring)."""

    #: unique name (``run.json``, the coverage report, ``--detectors``)
    name: ClassVar[str] = ""
    #: ``"graph"`` (before rings are built) or ``"rings"`` (after)
    stage: ClassVar[str] = "graph"
    #: position in the run (lower first; ties by name)
    order: ClassVar[int] = 100
    #: the reason codes this detector emits
    reasons: ClassVar[tuple[str, ...]] = ()
    #: it proposes ring candidates: its reasons say "member of a group the detector found",
    #: and count for an account only when that account ends up in a ring
    proposes_rings: ClassVar[bool] = False

    def families(self, inp: DetectInput) -> list[Family]:
        """The event families the detector consumes on this input (default: none)."""
        return []

    def detect(self, inp: DetectInput) -> Found:
        """The detector's findings: its :meth:`tasks` one after the other, combined."""
        return self.combine([t.run() for t in self.tasks(inp)])

    def tasks(self, inp: DetectInput) -> list[Task]:
        """The detector's work as independent pieces that may run side by side (default:
        one piece, :meth:`detect`). A detector overrides either this and :meth:`combine`,
        or :meth:`detect` alone."""
        if type(self).detect is Detector.detect:  # pragma: no cover - a detector without work
            raise NotImplementedError(f"{type(self).__name__} overrides neither detect nor tasks")
        return [Task(run=lambda: self.detect(inp))]

    def combine(self, parts: list[Found]) -> Found:
        """The findings of the :meth:`tasks`, in their order, as one :class:`Found`."""
        return Found.concat(parts)


@dataclass(frozen=True)
class Task:
    """One independent piece of a detector's work: ``run()`` gives its findings; ``cost``
    (any positive scale, e.g. events read) says which pieces to start first when the run
    spreads them over threads (0: unknown, after the costed ones, in run order)."""

    run: Callable[[], Found]
    cost: float = 0.0


_REGISTRY: dict[str, type[Detector]] = {}


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: add a detector to the registry (its ``name`` must be unique)."""
    if not cls.name or cls.stage not in ("graph", "rings"):
        raise ValueError(f"{cls.__name__}: a detector needs a name and a stage graph|rings")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"detector {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin() -> None:
    import ringlens.pipeline.detectors as pkg

    for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
        importlib.import_module(f"{pkg.__name__}.{mod}")


def registered(stage: str | None = None, *, disable: Sequence[str] = ()) -> Iterator[Detector]:
    """The registered detectors of ``stage`` (all when None), in run order, but those named
    in ``disable`` (an unknown name is a :class:`~ringlens.exceptions.ConfigError`)."""
    _load_builtin()
    unknown = sorted(set(disable) - set(_REGISTRY))
    if unknown:
        raise ConfigError(
            f"detect.disable: unknown detector {unknown[0]!r} "
            f"(expected one of {', '.join(sorted(_REGISTRY))})"
        )
    for cls in sorted(_REGISTRY.values(), key=lambda c: (c.order, c.name)):
        if (stage is None or cls.stage == stage) and cls.name not in disable:
            yield cls()


def group_found(
    res: Any, detector: str, prefix: str, strength: pl.Expr, reason: str, **extra: Any
) -> Found:
    """What a group detector found (:class:`Found`): candidates (the groups' actors),
    their targets, and ``reason`` for every actor with its candidate's strength, from
    ``res.groups`` (the columns ``strength`` reads) and ``res.members`` (``group, key,
    role``); candidate ids are ``prefix`` + the group number. ``extra`` goes to
    :class:`Found` (counts, bursts)."""
    cand = pl.concat_str(pl.lit(prefix), pl.col("group").cast(pl.String)).alias("candidate")
    members = res.to_frame()
    actors = members.filter(pl.col("role") == "actor").join(res.groups, on="group")
    cands = candidates_from(actors.select(cand, "key", strength.alias("strength")), detector)
    # a time detector's groups carry the scale they were found at most significantly
    scale = ["best_window"] if "best_window" in res.groups.columns else []
    targets = members.filter(pl.col("role") == "target").join(
        res.groups.select("group", *scale), on="group"
    )
    window = pl.col("best_window") if scale else pl.lit(None, dtype=pl.Float64)
    tgts = targets.select(
        pl.lit(detector).alias("detector"),
        cand,
        pl.col("key").cast(pl.String),
        window.cast(pl.Float64).alias("window"),
    )
    signals = cands.select("key", pl.lit(reason).alias("reason"), "strength")
    return Found(candidates=cands, targets=tgts, signals=signals, **extra)


def target_frame(targets: pl.DataFrame) -> pl.DataFrame:
    """A detector's candidate targets in :data:`TARGET_SCHEMA` (``window`` null where the
    detector has no time scale)."""
    if "window" not in targets.columns:
        targets = targets.with_columns(pl.lit(None, dtype=pl.Float64).alias("window"))
    return targets.select(list(TARGET_SCHEMA)).cast(TARGET_SCHEMA)  # type: ignore[arg-type]


def candidates_from(groups: pl.DataFrame, detector: str) -> pl.DataFrame:
    """Candidate rows (:data:`CANDIDATE_SCHEMA`) from ``candidate, key, strength`` rows."""
    return groups.select(
        pl.lit(detector).alias("detector"),
        pl.col("candidate").cast(pl.String),
        pl.col("key").cast(pl.String),
        pl.col("strength").cast(pl.Float64).clip(0.0, 1.0),
    )
