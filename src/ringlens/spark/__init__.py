"""Scale out on Apache Spark: the same detectors and outputs as the single-machine path.

Run-wide quantities and connected components are computed in Spark; each graph-stage
detector runs once per family unit (the events of one of its families) on one worker, and
each partition of whole components is scored with :func:`ringlens.pipeline.score` inside
``mapInArrow`` (Arrow → Polars → igraph) with the run's context and its share of the
units' findings; the driver merges and applies the policy (:mod:`ringlens.spark.partition`
has the argument that this equals the single-machine run). See docs/scaling.md. PySpark is imported on first use only (``pip install 'ringlens[spark]'``).

=========================  ===========================================================
``get_session``            a SparkSession set up for ringlens (``local[2]`` by default)
``read_events``            events from a DataFrame, table or paths, validated
``read_entities``          the entities table
``read_labels``            the labels table (to the driver)
``aggregate_edges``        ``EventGraph.edges_frame()`` in Spark
``project``                actor–actor projection (degree cap, time window) in Spark
``connected_components``   GraphFrames or large-star/small-star
``assign_partitions``      components → partitions, giant components cut
``score_spark``            the whole scoring job → :class:`SparkResult`
``run_spark``              the job plus the run folder and queue sinks (``ringlens score
                           --engine spark``)
``score_partition``        one partition with the local code (no Spark)
``detect_families``        every family unit on one machine (no Spark)
``context_from_graph``     run-wide quantities a partition needs, on one machine
=========================  ===========================================================

Examples
--------
>>> import ringlens.spark
>>> "score_spark" in ringlens.spark.__all__
True
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "get_session": "ringlens.spark.session",
    "read_events": "ringlens.spark.ingest",
    "read_entities": "ringlens.spark.ingest",
    "read_labels": "ringlens.spark.ingest",
    "aggregate_edges": "ringlens.spark.graph",
    "project": "ringlens.spark.graph",
    "connected_components": "ringlens.spark.graph",
    "graphframes_available": "ringlens.spark.graph",
    "assign_partitions": "ringlens.spark.graph",
    "score_spark": "ringlens.spark.pipeline",
    "SparkResult": "ringlens.spark.pipeline",
    "run_spark": "ringlens.spark.run",
    "score_partition": "ringlens.spark.partition",
    "context_from_graph": "ringlens.spark.partition",
    "detect_families": "ringlens.spark.partition",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'ringlens.spark' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
