"""Seeded synthetic creator economy with planted abuse rings and ground truth."""

from __future__ import annotations

from ringlens.synth.generator import PATTERNS, SynthConfig, SynthData, generate, write_synth

__all__ = ["PATTERNS", "SynthConfig", "SynthData", "generate", "write_synth"]
