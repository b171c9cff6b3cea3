"""Ingest: read events, entities and labels into validated Polars frames.

See :mod:`ringlens.io.events` for the data contract and :mod:`ringlens.io.options` for
the reading options (``input.*`` settings), the ingest report and the supported time range.
:mod:`ringlens.io.validate` gives an engine that reads the tables itself (Spark) the same
contract, checks and errors.
"""

from __future__ import annotations

from ringlens.io.events import (
    ENTITY_COLUMNS,
    EVENT_COLUMNS,
    LABEL_COLUMNS,
    TABLES,
    entities_frame,
    labels_frame,
    load_entities,
    load_events,
    load_labels,
    resolve_inputs,
    scan_events,
    tables_beside,
)
from ringlens.io.options import MAX_ID_BYTES, TIME_RANGE, IngestReport, InputOptions

__all__ = [
    "EVENT_COLUMNS",
    "ENTITY_COLUMNS",
    "LABEL_COLUMNS",
    "TABLES",
    "TIME_RANGE",
    "MAX_ID_BYTES",
    "InputOptions",
    "IngestReport",
    "load_events",
    "scan_events",
    "load_entities",
    "entities_frame",
    "labels_frame",
    "load_labels",
    "resolve_inputs",
    "tables_beside",
]
