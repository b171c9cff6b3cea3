"""Timing a run's steps for ``run.json`` (and the CLI's progress display)."""

from __future__ import annotations

import logging
import os
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["Progress", "Timer", "rss_bytes"]


def rss_bytes() -> int:
    """Current resident set size of this process in bytes (Linux ``/proc``; peak RSS
    elsewhere): for ``run.json`` and the CLI's memory ceiling."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):  # pragma: no cover - not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


#: A context-manager factory that shows a step while it runs (the CLI's spinner).
Progress = Callable[[str], Any]


class Timer:
    """Seconds per step, and the resident memory after it (MiB), for run.json.

    ``timings`` holds steps that follow each other; ``parts`` the steps that ran side by
    side inside one of them (``parts["detectors"]``: each detector's steps, which overlap).
    Steps may end in several threads at once.
    """

    def __init__(self, progress: Progress | None = None) -> None:
        self.timings: dict[str, float] = {}
        self.memory: dict[str, int] = {}
        self.parts: dict[str, dict[str, float]] = {}
        self.progress = progress

    @contextmanager
    def __call__(self, name: str, *, show: bool = True) -> Iterator[None]:
        """Time the block as step ``name`` (shown by ``progress`` unless not ``show``)."""
        t = time.perf_counter()
        if self.progress is not None and show:
            with self.progress(name):
                yield
        else:
            yield
        self.timings[name] = round(time.perf_counter() - t, 3)
        self.memory[name] = rss_bytes() // 2**20
        log.info("step %s: %.2fs, %d MiB resident", name, self.timings[name], self.memory[name])
