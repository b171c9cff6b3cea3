"""Shared fixtures: the bundled demo set, small synthetic sets, headless chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# one per module: Playwright's sync API allows one instance at a time
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium through Playwright, for the browser tests of tests/viz and
    tests/serve; skipped without chromium or Playwright, unless RINGLENS_REQUIRE_BROWSER=1
    (then a failure)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    required = os.environ.get("RINGLENS_REQUIRE_BROWSER") == "1"
    if exe is None:
        if required:
            pytest.fail(
                "RINGLENS_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)"
            )
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        if required:
            pytest.fail("RINGLENS_REQUIRE_BROWSER=1 but playwright is not installed")
        pytest.skip("playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
