"""ringlens: find coordinated abuse rings in a creator economy and queue them for enforcement.

The curated API (heavy modules load on first use, so ``import ringlens`` stays fast):

=====================  ======================================================
``load_events``         read + validate events (Parquet/CSV/NDJSON) → DataFrame
``scan_events``         the same as a LazyFrame
``load_entities``       optional entities table
``load_labels``         optional labels table (confirmed / cleared)
``build_graph``         typed event graph (node index, edges, projections)
``score``               the whole pipeline in memory → :class:`RunResult`
``run``                 the whole job, writing the run folder, queue DB and views
``load_policy``         a policy TOML (or the default policy)
``load_config``         settings (defaults ← ringlens.toml ← env ← overrides)
``view_ring``           interactive view of one ring (inline in Jupyter)
``ego_network``         interactive view of one entity's neighbourhood
``open_queue_store``    the reviewers' queue database (SQLite / PostgreSQL)
``evaluate``            rings and scores against ground truth, with baselines
``generate``            synthetic data with planted rings (``SynthConfig``)
=====================  ======================================================

Examples
--------
>>> import ringlens
>>> "score" in ringlens.__all__ and ringlens.InputError.__mro__[1] is ringlens.RinglensError
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ringlens.exceptions import ConfigError, ExportError, InputError, RinglensError, SchemaError

__version__ = "0.1.0"

_LAZY = {
    "load_events": "ringlens.io",
    "scan_events": "ringlens.io",
    "load_entities": "ringlens.io",
    "load_labels": "ringlens.io",
    "build_graph": "ringlens.graph",
    "EventGraph": "ringlens.graph",
    "score": "ringlens.pipeline",
    "run": "ringlens.pipeline",
    "RunResult": "ringlens.pipeline",
    "load_policy": "ringlens.risk",
    "load_config": "ringlens.config",
    "view_ring": "ringlens.viz.evidence",
    "ego_network": "ringlens.viz.evidence",
    "open_queue_store": "ringlens.export",
    "evaluate": "ringlens.eval.evaluate",
    "generate": "ringlens.synth",
    "SynthConfig": "ringlens.synth",
}

__all__ = [
    "__version__",
    "RinglensError",
    "InputError",
    "SchemaError",
    "ConfigError",
    "ExportError",
    "load_events",
    "scan_events",
    "load_entities",
    "load_labels",
    "build_graph",
    "EventGraph",
    "score",
    "run",
    "RunResult",
    "load_policy",
    "load_config",
    "view_ring",
    "ego_network",
    "open_queue_store",
    "evaluate",
    "generate",
    "SynthConfig",
]

if TYPE_CHECKING:  # pragma: no cover
    from ringlens.config import load_config
    from ringlens.eval.evaluate import evaluate
    from ringlens.export import open_queue_store
    from ringlens.graph import EventGraph, build_graph
    from ringlens.io import load_entities, load_events, load_labels, scan_events
    from ringlens.pipeline import RunResult, run, score
    from ringlens.risk import load_policy
    from ringlens.synth import SynthConfig, generate
    from ringlens.viz.evidence import ego_network, view_ring


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'ringlens' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
