"""Helpers shared by the benchmarks: machine description, peak memory of a child process."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def ensure_synth(n_events: int, *, seed: int = 1) -> Path:
    """A synthetic set of ``n_events`` under bench/data (made once, git-ignored)."""
    name = (
        f"synth{n_events // 1_000_000}m" if n_events >= 1_000_000 else f"synth{n_events // 1000}k"
    )
    out = DATA / name
    if not (out / "events.parquet").is_file():
        from ringlens.synth import SynthConfig, generate, write_synth

        write_synth(generate(SynthConfig(n_events=n_events, seed=seed)), out)
    return out


def run_child(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object. Adds peak RSS (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # ru_maxrss of children is the max over all children so far: report the child's own
    out.setdefault("peak_mib", round(max(after, before) / 1024))
    return out
