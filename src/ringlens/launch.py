"""The ``ringlens`` command's entry point: process settings that must come before Polars
loads, then the CLI (:func:`ringlens.cli.main`)."""

from __future__ import annotations

import os

__all__ = ["JEMALLOC_CONF", "main"]

#: Polars' allocator (jemalloc) hands freed memory back to the system after 0.5-1 s; a run
#: frees and re-allocates gigabytes from stage to stage, so each stage faulted its pages
#: in again (10M events: 2.6M page faults, 13 s of system time). Keeping freed pages for
#: 2 s halves the system time for about 0.3 GB more peak memory (docs/benchmarks.md). Read
#: once, when Polars loads; a ``_RJEM_MALLOC_CONF`` already in the environment wins.
JEMALLOC_CONF = "dirty_decay_ms:2000,muzzy_decay_ms:2000"


def main() -> None:
    """Run the ``ringlens`` command."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC_CONF)
    from ringlens.cli import main as cli_main

    cli_main()
