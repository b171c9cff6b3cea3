"""Settings and results of the synthetic generator, and the description of a platform."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from ringlens.config import ACTION_ROLES, ENTITY_ROLES
from ringlens.exceptions import ConfigError

__all__ = [
    "CATALOGUE_PATTERNS",
    "PLATFORMS",
    "Platform",
    "SynthConfig",
    "SynthData",
]

#: Platforms ``generate`` knows, the default first.
PLATFORMS = ("creator", "live", "marketplace")
#: Pattern names the truth files use (the pattern catalogue's names).
CATALOGUE_PATTERNS = (
    "mutual_boost",
    "brushing",
    "affiliate_fraud",
    "sock_puppet_farm",
    "review_ring",
    "follower_farm",
    "gift_ring",
    "coupon_abuse",
)
# per platform: (slow_share, negatives) when the config leaves them as None
_PLATFORM_DEFAULTS = {"creator": (0.0, False), "live": (0.3, True), "marketplace": (0.3, True)}


@dataclass(frozen=True)
class SynthConfig:
    """Parameters of a synthetic data set.

    Parameters
    ----------
    n_events
        Approximate number of organic events (planted rings add a few percent).
    rings_per_pattern
        Planted rings of each of the platform's four patterns.
    camouflage
        Camouflage events per ring event for each member (0 = none).
    camouflage_kind
        ``"random"`` (uniform targets) or ``"biased"`` (popularity-weighted targets).
    hijacked_share
        Share of a ring's fake accounts that are existing organic accounts.
    days
        Length of the period.
    start
        Start of the period (UTC), ISO date.
    seed
        Seed of the random generator.
    platform
        ``"creator"`` (creator economy, the default), ``"live"`` (live commerce) or
        ``"marketplace"`` (a marketplace with ratings); each has its own vocabulary.
    slow_share
        Share of rings that act slowly: spread over weeks with no burst, found only by
        density. None = the platform's default (0 for ``creator``, 0.3 otherwise).
    negatives
        Plant organic structure that must not become rings (live audiences, fandoms,
        viral items, coupon campaigns, flash sales). None = the platform's default (off
        for ``creator``, on otherwise). Households, shared payout accounts, power users
        and popular targets are listed in ``negatives`` either way.

    Examples
    --------
    >>> SynthConfig(platform="live").slow_share
    0.3
    >>> SynthConfig(platform="shop")
    Traceback (most recent call last):
    ...
    ringlens.exceptions.ConfigError: synth: platform must be one of creator, live, marketplace, got 'shop'
    """

    n_events: int = 200_000
    rings_per_pattern: int = 3
    camouflage: float = 0.5
    camouflage_kind: str = "biased"
    hijacked_share: float = 0.2
    days: int = 30
    start: str = "2026-10-01"
    seed: int = 7
    platform: str = "creator"
    slow_share: float | None = None
    negatives: bool | None = None

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ConfigError(
                f"synth: platform must be one of {', '.join(PLATFORMS)}, got {self.platform!r}"
            )
        slow, neg = _PLATFORM_DEFAULTS[self.platform]
        if self.slow_share is None:
            object.__setattr__(self, "slow_share", slow)
        if self.negatives is None:
            object.__setattr__(self, "negatives", neg)
        self._check()

    def _check(self) -> None:
        def bad(what: str) -> ConfigError:
            return ConfigError(f"synth: {what}")

        if self.n_events < 1000:
            raise bad(f"n_events must be >= 1000, got {self.n_events}")
        if self.rings_per_pattern < 0:
            raise bad(f"rings_per_pattern must be >= 0, got {self.rings_per_pattern}")
        if self.camouflage < 0:
            raise bad(f"camouflage must be >= 0, got {self.camouflage}")
        if self.camouflage_kind not in ("random", "biased"):
            raise bad(f"camouflage_kind must be 'random' or 'biased', got {self.camouflage_kind!r}")
        if not 0 <= self.hijacked_share <= 1:
            raise bad(f"hijacked_share must be within [0, 1], got {self.hijacked_share}")
        if not 0 <= float(self.slow_share or 0) <= 1:
            raise bad(f"slow_share must be within [0, 1], got {self.slow_share}")
        if self.days < 1:
            raise bad(f"days must be >= 1, got {self.days}")
        try:
            datetime.fromisoformat(self.start)
        except ValueError:
            raise bad(f"start must be an ISO date like 2026-10-01, got {self.start!r}") from None


def _empty(schema: dict[str, Any]) -> Callable[[], pl.DataFrame]:
    return lambda: pl.DataFrame(schema=schema)


TARGET_SCHEMA = {"ring_id": pl.String, "entity_type": pl.String, "entity_id": pl.String}
RING_SCHEMA = {
    "ring_id": pl.String,
    "pattern": pl.String,
    "slow": pl.Boolean,
    "variant": pl.String,
}
NEGATIVE_SCHEMA = {
    "group_id": pl.String,
    "kind": pl.String,
    "entity_type": pl.String,
    "entity_id": pl.String,
}


@dataclass
class SynthData:
    """Generated tables.

    ``events``, ``entities``, ``truth`` (ring_id, pattern, entity_type, entity_id,
    hijacked), ``labels`` (a few confirmed ring members and cleared accounts),
    ``ring_targets`` (ring_id, entity_type, entity_id: what each ring worked on),
    ``negatives`` (group_id, kind, entity_type, entity_id: organic structure that must
    not become a ring; disjoint from ring members and targets), ``rings`` (ring_id,
    pattern, slow, variant: how each ring was planted), ``vocabulary`` (the
    platform's names by role: ``{"actions": {role: [names]}, "entities": {...}}``) and
    ``renaming`` (old name → new name when the vocabulary was renamed).
    """

    events: pl.DataFrame
    entities: pl.DataFrame
    truth: pl.DataFrame
    labels: pl.DataFrame
    config: SynthConfig = field(default_factory=SynthConfig)
    ring_targets: pl.DataFrame = field(default_factory=_empty(TARGET_SCHEMA))
    negatives: pl.DataFrame = field(default_factory=_empty(NEGATIVE_SCHEMA))
    vocabulary: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    rings: pl.DataFrame = field(default_factory=_empty(RING_SCHEMA))
    renaming: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Platform:
    """A synthetic platform: its names and how it simulates a period.

    ``types`` are every entity type in the order their id permutations are drawn;
    ``accounts`` those with rows in ``entities``; ``prefixes`` the id prefix of each type;
    ``vocabulary`` maps roles to the platform's names; ``simulate`` fills a
    :class:`ringlens.synth.core.Sim` from a config.
    """

    name: str
    patterns: tuple[str, ...]
    types: tuple[str, ...]
    accounts: tuple[str, ...]
    actions: tuple[str, ...]
    prefixes: Mapping[str, str]
    vocabulary: Mapping[str, Mapping[str, tuple[str, ...]]]
    simulate: Callable[[SynthConfig], Any]

    def vocabulary_dict(self) -> dict[str, dict[str, list[str]]]:
        """The vocabulary with every role present (empty lists for unused roles)."""
        acts, ents = self.vocabulary["actions"], self.vocabulary["entities"]
        return {
            "actions": {r: list(acts.get(r, ())) for r in ACTION_ROLES},
            "entities": {r: list(ents.get(r, ())) for r in ENTITY_ROLES},
        }
