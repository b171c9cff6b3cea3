"""The package type-checks: ``mypy src/ringlens`` with the ``[tool.mypy]`` settings of pyproject.

mypy is in the ``dev`` extra, like pytest and hypothesis that this suite needs anyway, so
the test never skips: without mypy it fails and says how to install it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_clean_on_src() -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.fail(
            "mypy is not installed in this environment; it is part of the dev extra the "
            "tests need: pip install -e '.[dev]'",
            pytrace=False,
        )
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
