"""Seeded synthetic platforms with planted abuse rings, organic negatives and ground truth.

Three platforms, each with its own vocabulary: ``creator`` (a creator economy, ringlens'
own names; the default), ``live`` (live commerce: viewers, hosts, shops, streams, gifts,
vouchers) and ``marketplace`` (shoppers, merchants, listings, star ratings, promos).
"""

from __future__ import annotations

from ringlens.synth.data import (
    CATALOGUE_PATTERNS,
    PLATFORMS,
    Platform,
    SynthConfig,
    SynthData,
)
from ringlens.synth.generator import PATTERNS, generate, platform
from ringlens.synth.rename import rename_vocabulary, write_renamed
from ringlens.synth.write import vocabulary_toml, write_synth

__all__ = [
    "CATALOGUE_PATTERNS",
    "PATTERNS",
    "PLATFORMS",
    "Platform",
    "SynthConfig",
    "SynthData",
    "generate",
    "platform",
    "rename_vocabulary",
    "vocabulary_toml",
    "write_renamed",
    "write_synth",
]
