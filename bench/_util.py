"""Helpers shared by the benchmarks: machine description, peak memory of a child process."""

from __future__ import annotations

import json
import os
import platform
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


def synth_under(root: Path, n_events: int, seed: int) -> Path:
    """A ``ringlens synth`` set of ``n_events`` (seed ``seed``) under ``root``, made once."""
    out = root / f"synth{n_events}_s{seed}"
    if not (out / "events.parquet").is_file():
        from ringlens.synth import SynthConfig, generate, write_synth

        write_synth(generate(SynthConfig(n_events=n_events, seed=seed)), out)
    return out


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
    """Run ``code`` in a fresh interpreter; it prints one JSON object. Adds the child's own
    peak RSS (MiB) as ``peak_mib`` unless the code reports it itself."""
    # RUSAGE_CHILDREN's ru_maxrss is the largest child so far, not this one: the child
    # reports its own peak on a last line
    tail = (
        "\nimport json as _json, resource as _res\n"
        "print(_json.dumps({'_peak_kib': _res.getrusage(_res.RUSAGE_SELF).ru_maxrss}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code + tail, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    lines = proc.stdout.strip().splitlines()
    out = json.loads(lines[-2])
    out.setdefault("peak_mib", round(json.loads(lines[-1])["_peak_kib"] / 1024))
    return out
