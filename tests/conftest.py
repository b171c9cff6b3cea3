"""Shared fixtures: the bundled demo set and small synthetic sets."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "graphs" / "demo"


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return DEMO


@pytest.fixture(scope="session")
def small_synth():
    from ringlens.synth import SynthConfig, generate

    return generate(SynthConfig(n_events=20_000, rings_per_pattern=1, seed=11))
