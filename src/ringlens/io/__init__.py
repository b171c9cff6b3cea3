"""Ingest: read events, entities and labels into validated Polars frames.

See :mod:`ringlens.io.events` for the data contract.
"""

from __future__ import annotations

from ringlens.io.events import (
    ENTITY_COLUMNS,
    EVENT_COLUMNS,
    LABEL_COLUMNS,
    load_entities,
    load_events,
    load_labels,
    resolve_inputs,
    scan_events,
)

__all__ = [
    "EVENT_COLUMNS",
    "ENTITY_COLUMNS",
    "LABEL_COLUMNS",
    "load_events",
    "scan_events",
    "load_entities",
    "load_labels",
    "resolve_inputs",
]
