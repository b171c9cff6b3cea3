"""A run's inputs: finding the files, their fingerprint, the streaming choice, the run id.

Both engines (:func:`ringlens.pipeline.run` and :func:`ringlens.spark.run_spark`) resolve
their inputs here, so they record the same ``inputs`` in ``run.json`` and give the same
run the same id.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ringlens import __version__
from ringlens.config import Config
from ringlens.exceptions import InputError
from ringlens.io import resolve_inputs, tables_beside
from ringlens.risk.policy import Policy

log = logging.getLogger(__name__)

__all__ = [
    "RunInputs",
    "fingerprint",
    "frame_fingerprint",
    "resolve_run_inputs",
    "run_id_for",
    "same_inputs",
    "use_streaming",
]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class RunInputs:
    """The files of one run.

    Attributes
    ----------
    events : tuple of Path
        The event files (empty for a remote source only Spark reads, see ``source``).
    entities, labels : tuple of Path, or None
        The entities and labels tables (given, or the ``entities*`` / ``labels*`` files
        beside the events).
    source : str or None
        A remote events location (``s3://…``, ``table:…``) that only Spark reads.
    """

    events: tuple[Path, ...]
    entities: tuple[Path, ...] | None = None
    labels: tuple[Path, ...] | None = None
    source: str | None = None

    def tables(self) -> dict[str, str | None]:
        """Fingerprints of the entities and labels files (for the run id)."""
        return {
            "entities": None if self.entities is None else fingerprint(self.entities),
            "labels": None if self.labels is None else fingerprint(self.labels),
        }

    def to_dict(self, fingerprint: str | None) -> dict[str, Any]:
        """``inputs`` of ``run.json`` (``fingerprint``: of the event files)."""
        return {
            "events": [str(p) for p in self.events] if self.events else [str(self.source)],
            "entities": _paths(self.entities),
            "labels": _paths(self.labels),
            "fingerprint": fingerprint,
        }


def _paths(files: tuple[Path, ...] | None) -> str | list[str] | None:
    """One path as a string, several as a list (``run.json``)."""
    if files is None:
        return None
    return str(files[0]) if len(files) == 1 else [str(f) for f in files]


def _table(given: PathLike | None, events: Any, name: str) -> tuple[Path, ...] | None:
    if given is not None:
        return tuple(resolve_inputs(given, table=name))
    found = tables_beside(events, name)
    return tuple(found) if found else None


def resolve_run_inputs(
    events: PathLike | Sequence[PathLike],
    *,
    entities: PathLike | None = None,
    labels: PathLike | None = None,
    remote: bool = False,
) -> RunInputs:
    """Find the run's files: the events (a file, files or a folder), and the entities and
    labels tables — given, or the ``entities*`` / ``labels*`` files beside the events when
    ``events`` is a folder that holds them (as ``ringlens synth`` writes).

    ``remote`` (the Spark engine): a URL-like ``events`` string is kept as a source for
    Spark instead of being resolved on this machine.
    """
    if remote and isinstance(events, str) and "://" in events and not events.startswith("file:"):
        return RunInputs(
            events=(),
            entities=None if entities is None else (Path(entities),),
            labels=None if labels is None else (Path(labels),),
            source=events,
        )
    return RunInputs(
        events=tuple(resolve_inputs(events, table="events")),
        entities=_table(entities, events, "entities"),
        labels=_table(labels, events, "labels"),
    )


def _part(h: Any, data: bytes) -> None:
    """One length-prefixed part: no two sequences of parts hash the same bytes."""
    h.update(len(data).to_bytes(8, "little"))
    h.update(data)


def fingerprint(paths: Sequence[Path], *, content: bool = True) -> str:
    """Hash of the input files: of every byte, or (``content=False``, what the Spark engine
    uses for inputs too large to read twice) of names, sizes and mtimes, prefixed ``meta-``.
    Every name and content is length-prefixed, so no two different inputs share a hash by
    moving bytes between a name and a content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a").write_text("bc"); _ = (d / "ab").write_text("c")
    >>> fingerprint([d / "a"]) != fingerprint([d / "ab"])
    True
    >>> len(fingerprint([d / "a"])), fingerprint([d / "a"], content=False).startswith("meta-")
    (32, True)
    """
    h = hashlib.blake2b(digest_size=16)
    if not content:
        for p in paths:
            st = p.stat()
            _part(h, p.name.encode("utf-8", "surrogateescape"))
            _part(h, f"{st.st_size}:{st.st_mtime_ns}".encode())
        return "meta-" + h.hexdigest()
    for p in paths:
        _part(h, p.name.encode("utf-8", "surrogateescape"))
        h.update(p.stat().st_size.to_bytes(8, "little"))
        with p.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
    return h.hexdigest()


def frame_fingerprint(frame: pl.DataFrame | None) -> str | None:
    """Hash of a table given as a frame (entities, labels passed to ``score``): its schema
    and rows, for the run id (None for no table)."""
    if frame is None:
        return None
    h = hashlib.blake2b(digest_size=16)
    _part(h, f"polars {pl.__version__}".encode())
    _part(h, json.dumps([[n, str(t)] for n, t in frame.schema.items()]).encode())
    rows = frame.hash_rows(seed=0)
    _part(h, rows.to_numpy().tobytes())
    return h.hexdigest()


def same_inputs(paths: Sequence[Path], recorded: str | None) -> bool:
    """Do ``paths`` still have the fingerprint a run recorded (of either kind)?"""
    if not recorded:
        return False
    return fingerprint(paths, content=not recorded.startswith("meta-")) == recorded


def run_id_for(
    *,
    config: Config,
    policy: Policy,
    n_nodes: int = 0,
    n_edges: int = 0,
    n_events: int = 0,
    fingerprint: str | None = None,
    tables: Mapping[str, str | None] | None = None,
) -> str:
    """The run id of a run, for both engines: from everything that changes its results —
    the events (the input files' ``fingerprint`` for ``run``; the graph sizes when the
    input is a frame, ``score``), the other tables' fingerprints (``tables``: entities,
    labels), the settings, the policy and the ringlens version.

    Examples
    --------
    >>> from ringlens.risk.policy import load_policy
    >>> a = run_id_for(config=Config(), policy=load_policy(), fingerprint="f")
    >>> b = run_id_for(config=Config(), policy=load_policy(), fingerprint="f", tables={"labels": "x"})
    >>> a.startswith("run_") and a != b
    True
    """
    events: Any = fingerprint if fingerprint is not None else [n_nodes, n_edges, n_events]
    settings = config.to_dict()
    settings.get("run", {}).pop("threads", None)  # how many threads never changes results
    part = json.dumps(
        [
            events,
            dict(sorted((tables or {}).items())),
            settings,
            policy.to_dict(),
            __version__,
        ],
        sort_keys=True,
        default=str,
    )
    return "run_" + hashlib.blake2b(part.encode(), digest_size=8).hexdigest()


def use_streaming(files: Sequence[Path], config: Config) -> bool:
    """Stream the input (several passes, small memory) or read it once into memory?

    ``run.streaming`` = ``always`` / ``never`` decide; ``auto`` streams when the input
    files total more than ``run.streaming_threshold_mb``, or when a memory ceiling is set
    and the in-memory path would need more than half of it. The in-memory path peaks at
    about 40× the Parquet size (12× a CSV's): raw id strings, keys and joins.
    """
    mode = config.run.streaming
    if mode not in ("auto", "always", "never"):
        raise InputError(f"run.streaming: expected auto, always or never, got {mode!r}")
    if mode != "auto":
        return mode == "always"
    size = 0.0
    need = 0.0
    for f in files:
        b = f.stat().st_size
        size += b
        need += b * (40 if f.suffix.lower() in (".parquet", ".pq") else 12)
    limit = float(config.run.memory_limit_gb) * 2**30
    streaming = size > float(config.run.streaming_threshold_mb) * 2**20 or (
        limit > 0 and need > limit / 2
    )
    log.info(
        "ingest: %.0f MB of input, %s path", size / 2**20, "streaming" if streaming else "in-memory"
    )
    return streaming
