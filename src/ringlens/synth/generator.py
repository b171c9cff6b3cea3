"""Seeded synthetic platforms with planted abuse rings, organic negatives and truth.

:func:`generate` simulates one period of a platform (``creator``: a creator economy, the
default; ``live``: live commerce; ``marketplace``: a marketplace with ratings) and returns
its tables; :func:`write_synth` writes them. Every platform has its own vocabulary
(``SynthData.vocabulary``, written as ``vocabulary.toml``); :func:`rename_vocabulary`
replaces every action and entity-type name with another word.

A given :class:`SynthConfig` (seed included) always produces identical files.
"""

from __future__ import annotations

import logging

from ringlens.synth import creator, live, marketplace
from ringlens.synth.data import Platform, SynthConfig, SynthData
from ringlens.synth.tables import build_tables

__all__ = ["PATTERNS", "PLATFORM_SPECS", "generate", "platform"]

log = logging.getLogger(__name__)

#: The creator platform's patterns (the default platform).
PATTERNS = creator.PATTERNS
#: Every platform by name.
PLATFORM_SPECS: dict[str, Platform] = {
    p.name: p for p in (creator.PLATFORM, live.PLATFORM, marketplace.PLATFORM)
}


def platform(name: str) -> Platform:
    """The description of platform ``name`` (its vocabulary, patterns and types).

    Examples
    --------
    >>> platform("live").patterns
    ('gift_ring', 'follower_farm', 'coupon_abuse', 'review_ring')
    """
    return PLATFORM_SPECS[SynthConfig(platform=name).platform]


def generate(config: SynthConfig | None = None) -> SynthData:
    """Generate one period of a synthetic platform with planted rings.

    Examples
    --------
    >>> data = generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=1))
    >>> sorted(data.truth["pattern"].unique().to_list())
    ['affiliate_fraud', 'brushing', 'mutual_boost', 'sock_puppet_farm']
    >>> data.events.columns
    ['actor_id', 'actor_type', 'target_id', 'target_type', 'action', 'ts', 'amount', 'market']
    >>> generate(SynthConfig(n_events=5_000, seed=1)).events.equals(
    ...     generate(SynthConfig(n_events=5_000, seed=1)).events)
    True
    >>> live = generate(SynthConfig(n_events=20_000, rings_per_pattern=1, platform="live", seed=1))
    >>> sorted(live.truth["pattern"].unique().to_list())
    ['coupon_abuse', 'follower_farm', 'gift_ring', 'review_ring']
    """
    cfg = config or SynthConfig()
    spec = PLATFORM_SPECS[cfg.platform]
    return build_tables(spec.simulate(cfg), spec)
