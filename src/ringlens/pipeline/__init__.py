"""The run contract both engines share, and the single-machine engine.

=====================  ==================================================================
module                 what
=====================  ==================================================================
``inputs``             finding events, entities and labels; the input fingerprint; the
                       streaming choice; ``run_id_for``
``registry``           the detector registry (``Detector``, ``register``, ``detectors``)
``detectors/``         the registered detectors, one module each
``signals``            entity-signal rules (new account, prior violations, near confirmed bad)
``context``            ``RunContext``: run-wide quantities for a part of a larger run
``result``             ``RunResult`` (immutable), ``Detections`` and the report builder
``outputs``            ``write_outputs``: run folder, views, queue database
``engine``             ``detect``, ``score``, ``run``
=====================  ==================================================================

The Spark engine (:mod:`ringlens.spark`) uses the same inputs, registry, signals, result
and outputs; only the way it cuts and distributes the graph differs.
"""

from __future__ import annotations

from ringlens.pipeline.context import RunContext
from ringlens.pipeline.engine import detect, run, score
from ringlens.pipeline.inputs import RunInputs, fingerprint, resolve_run_inputs, run_id_for
from ringlens.pipeline.outputs import evidence_links, write_outputs
from ringlens.pipeline.registry import DetectInput, Detector, Family, Found, register, registered
from ringlens.pipeline.result import Detections, RunResult, build_report
from ringlens.pipeline.timing import Timer

__all__ = [
    "Detections",
    "DetectInput",
    "Detector",
    "Family",
    "Found",
    "RunContext",
    "RunInputs",
    "RunResult",
    "Timer",
    "build_report",
    "detect",
    "registered",
    "evidence_links",
    "fingerprint",
    "register",
    "resolve_run_inputs",
    "run",
    "run_id_for",
    "score",
    "write_outputs",
]
