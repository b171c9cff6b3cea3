"""Whole-run quantities that a part of the run cannot compute from its own events.

The Spark engine scores each partition (whole connected components) with
:func:`ringlens.pipeline.score`; a few quantities of the single-machine run look at *every*
event, not only the partition's. :class:`RunContext` carries them into ``score`` and
``detect``, which hand each quantity to the function that uses it as a keyword argument
(:func:`ringlens.rings.build_rings`' ``background``, ``first_ts``, ``new_account_base``
and ``interactions``) or read it instead of computing it: nothing is patched.

================================  ==========================================================
quantity                          used by
================================  ==========================================================
first event time                  ``account_facts`` (``new_account`` signal) and
                                  ``ring_features`` (``new_account_share``)
background density                ``ring_features`` (``density_ratio`` = density / background)
share of new accounts             ``ring_features`` (``new_account_lift``)
interaction matrix                ``ring_features`` (``significance``: the run's interaction
                                  actions, its actors, targets and distinct pairs)
mean amount per action            ``ring_features`` (``value_lift``)
share of events by hour of day    ``ring_features`` (``synchrony_excess``: its null
                                  follows the platform's daily rhythm)
families and their roles          ``detect`` (the roles of unmapped names come from the
                                  data's shape, which a part shows differently), coverage
detectors' findings (``found``)   ``detect``: graph-stage detectors that search a whole
                                  family (a peel, Leiden, a test over every target) run once
                                  over the run; a part gets its own candidates and signals
lockstep time scales              ``lockstep`` (per role group)
``near_confirmed_bad`` signals    ``near_confirmed_bad`` (the top 1 % of accounts by
                                  personalised PageRank, ranked over the whole run)
================================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import polars as pl

from ringlens.rings.core import background_density

__all__ = ["RunContext", "background_density", "family_key"]


def family_key(
    actions: Sequence[str] | str | None,
    actor_types: Sequence[str] | str | None,
    target_types: Sequence[str] | str | None,
) -> tuple[Any, ...]:
    """The key of a lockstep family (its event filter) in :attr:`RunContext.lockstep_spans`.

    Examples
    --------
    >>> family_key(["order"], "buyer", None)
    (('order',), ('buyer',), None)
    """

    def norm(v: Sequence[str] | str | None) -> tuple[str, ...] | None:
        if v is None:
            return None
        return (v,) if isinstance(v, str) else tuple(sorted(v))

    return (norm(actions), norm(actor_types), norm(target_types))


@dataclass(frozen=True)
class RunContext:
    """Whole-run quantities (see the module docstring).

    Attributes
    ----------
    first_ts : datetime or None
        Earliest event time of the run.
    n_pairs, n_actors, n_targets : int
        Distinct (actor, target) pairs, distinct actors and distinct targets of all events;
        the background density is ``n_pairs / max(1, n_actors * n_targets)``.
    lockstep_spans : dict
        Lockstep family key (:func:`family_key`) → ``(min, max)`` event time in epoch
        microseconds over the family's events (after the target-degree cap).
    near_signals : polars.DataFrame or None
        ``key, reason, strength`` rows of the ``near_confirmed_bad`` signal for the
        part's accounts (ranked over the whole run).
    """

    first_ts: datetime | None
    n_pairs: int
    n_actors: int
    n_targets: int
    lockstep_spans: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    near_signals: pl.DataFrame | None = None
    #: share of the run's accounts that are new (:func:`ringlens.rings.features.new_account_rate`)
    new_account_base: float | None = None
    #: lockstep family (:class:`ringlens.pipeline.registry.Family`) -> its time scales
    #: (seconds), chosen once from the whole run's events
    lockstep_windows: dict[Any, tuple[float, ...]] = field(default_factory=dict)
    #: the run's families with their roles (:func:`ringlens.pipeline.coverage.family_roles`
    #: of every event): the part's detectors, roles and coverage use them
    families: pl.DataFrame | None = None
    #: detector name -> its :class:`ringlens.pipeline.registry.Found` for this part, found
    #: once over the whole run; ``detect`` uses it instead of running the detector
    found: Mapping[str, Any] = field(default_factory=dict)
    #: the run's interaction action names (None: every event) and its interaction matrix's
    #: (actors, targets, distinct pairs), for ring significance
    #: (:func:`ringlens.rings.features.ring_features`' ``interactions``)
    interactions: tuple[tuple[str, ...] | None, tuple[int, int, int]] | None = None
    #: the run's mean amount per event of each action
    #: (:func:`ringlens.rings.features.action_values`), the baseline of ``value_lift``
    action_values: Mapping[str, float] | None = None
    #: the run's share of events in each hour of the day, UTC
    #: (:func:`ringlens.rings.features.hourly_rhythm`), the rhythm of ``synchrony_excess``'s null
    hourly_rhythm: tuple[float, ...] | None = None
    #: the run's owner projection's (accounts, owners, distinct account-owner pairs)
    #: (:func:`ringlens.rings.features.owner_totals`), for the owner communities' rings
    owner_totals: tuple[int, int, int] | None = None
    #: the run's edges (distinct actor-target pairs) into each node type
    #: (:func:`ringlens.rings.expand.type_edges`), the baseline of the expansion's chance test
    type_edges: Mapping[str, int] | None = None
    #: the run's arrival cutoff and share of accounts first seen after it
    #: (:func:`ringlens.rings.features.arrivals`), the base of ``arrival_lift``
    arrival: tuple[datetime, float] | None = None

    @property
    def background(self) -> float:
        """Background density of the whole run (:func:`background_density`)."""
        return background_density(self.n_pairs, self.n_actors, self.n_targets)

    def with_near(self, near: pl.DataFrame | None) -> RunContext:
        """The same context with a part's ``near_confirmed_bad`` signals."""
        return replace(self, near_signals=near)

    def with_found(self, found: Mapping[str, Any]) -> RunContext:
        """The same context with a part's share of the run's findings (detector name →
        :class:`~ringlens.pipeline.registry.Found`)."""
        return replace(self, found=dict(found))

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_ts": None if self.first_ts is None else self.first_ts.isoformat(),
            "n_pairs": self.n_pairs,
            "n_actors": self.n_actors,
            "n_targets": self.n_targets,
            "background": self.background,
            "lockstep_spans": {"|".join(map(str, k)): v for k, v in self.lockstep_spans.items()},
            "new_account_base": self.new_account_base,
            "action_values": None if self.action_values is None else dict(self.action_values),
            "hourly_rhythm": None if self.hourly_rhythm is None else list(self.hourly_rhythm),
            "type_edges": None if self.type_edges is None else dict(self.type_edges),
            "arrival": None
            if self.arrival is None
            else [self.arrival[0].isoformat(), self.arrival[1]],
            "interactions": None
            if self.interactions is None
            else {
                "actions": None if self.interactions[0] is None else list(self.interactions[0]),
                "actors": self.interactions[1][0],
                "targets": self.interactions[1][1],
                "pairs": self.interactions[1][2],
            },
            "owner_totals": None if self.owner_totals is None else list(self.owner_totals),
        }
