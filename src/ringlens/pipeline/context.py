"""Whole-run quantities that a part of the run cannot compute from its own events.

The Spark engine scores each partition (whole connected components) with
:func:`ringlens.pipeline.score`; a few quantities of the single-machine run look at *every*
event, not only the partition's. :class:`RunContext` carries them into ``score`` and
``detect``, which hand each quantity to the function that uses it as a keyword argument
(:func:`ringlens.detect.lockstep.lockstep`'s ``span_us``,
:func:`ringlens.rings.build_rings`' ``background`` and ``first_ts``): nothing is patched.

================================  ==========================================================
quantity                          used by
================================  ==========================================================
first event time                  ``detect`` (``new_account`` signal) and
                                  ``ring_features`` (``new_account_share``)
background density                ``ring_features`` (``density_ratio`` = density / background)
lockstep data period (per family) ``lockstep`` (the Poisson rate per window)
``near_confirmed_bad`` signals    ``detect`` (the top 1 % of accounts by personalised PageRank,
                                  ranked over the whole run)
================================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
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

    @property
    def background(self) -> float:
        """Background density of the whole run (:func:`background_density`)."""
        return background_density(self.n_pairs, self.n_actors, self.n_targets)

    def with_near(self, near: pl.DataFrame | None) -> RunContext:
        """The same context with a part's ``near_confirmed_bad`` signals."""
        return replace(self, near_signals=near)

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_ts": None if self.first_ts is None else self.first_ts.isoformat(),
            "n_pairs": self.n_pairs,
            "n_actors": self.n_actors,
            "n_targets": self.n_targets,
            "background": self.background,
            "lockstep_spans": {"|".join(map(str, k)): v for k, v in self.lockstep_spans.items()},
        }
