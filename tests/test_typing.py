"""The package type-checks: ``mypy src/ringlens`` with the ``[tool.mypy]`` settings of pyproject.

Skipped when mypy is not installed (it is in the ``dev`` extra, so ``make test`` runs it).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_mypy_clean_on_src() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-color-output", "--no-error-summary", "src/ringlens"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert proc.returncode == 0, (
        f"mypy found {len(errors)} error(s) in src/ringlens:\n"
        + "\n".join(errors[:50])
        + (f"\n{proc.stderr}" if proc.stderr.strip() else "")
    )
