"""What the workbench serves: the queue database and the run folders (their generations).

A :class:`Workspace` is made once per server from ``RUN_OR_QUEUE`` (a run folder, a
SQLite queue file or a ``postgresql://`` URL) and any extra run folders. It knows every
published generation it can see (each run folder keeps its current and previous run),
which run is the latest, and hands each worker thread its own queue connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ringlens.config import Config
from ringlens.exceptions import InputError
from ringlens.export import QueueStore, diff_runs, open_queue_store
from ringlens.viz.evidence import RunFolder, lockstep_families, lockstep_spans, read_run

__all__ = ["Workspace", "open_workspace"]

log = logging.getLogger(__name__)

_STATE = ".ringlens"


def _generations(folder: Path) -> list[Path]:
    """The published generations of a run folder: current, previous (or the folder)."""
    out = []
    for name in ("current", "previous"):
        link = folder / _STATE / name
        if link.is_symlink():
            target = (folder / _STATE / os.readlink(link)).resolve()
            if (target / "run.json").is_file():
                out.append(target)
    if not out and (folder / "run.json").is_file():
        out.append(folder.resolve())
    return out


@dataclass
class Workspace:
    """The queue database and the runs a server shows (see :func:`open_workspace`)."""

    database: str
    folders: list[Path]
    config: Config = field(default_factory=Config)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _stores: list[QueueStore] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _runs: dict[Path, RunFolder] = field(default_factory=dict, repr=False)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ queue
    @contextlib.contextmanager
    def store(self) -> Iterator[QueueStore]:
        """This thread's queue connection (opened once per worker thread)."""
        s = getattr(self._local, "store", None)
        if s is None:
            s = open_queue_store(self.database, create=False)
            self._local.store = s
            with self._lock:
                self._stores.append(s)
        yield s

    def facets(self, st: QueueStore) -> dict[str, list[str]]:
        """The values of the queue page's filters. Those only a run sets (patterns,
        markets, actions, run ids) are read once per latest run (patterns and actions need
        a scan of the queue); assignees and statuses on every call (from their indexes)."""
        key = ("facets", st.latest_run())
        with self._lock:
            run_owned = self._cache.get(key)
        if run_owned is None:
            run_owned = st.distinct_values(["pattern", "market", "action", "run_id"])
            with self._lock:
                for k in [k for k in self._cache if k[0] == "facets"]:
                    del self._cache[k]
                self._cache[key] = run_owned
        return {**run_owned, **st.distinct_values(["assignee", "status"])}

    def close(self) -> None:
        with self._lock:
            for s in self._stores:
                s.close()
            self._stores.clear()

    # ------------------------------------------------------------------ runs
    def generations(self) -> list[RunFolder]:
        """Every run the workspace can see, newest first (by generation time)."""
        gens: list[Path] = []
        for f in self.folders:
            gens.extend(_generations(f))
        out = []
        for g in dict.fromkeys(gens):
            with self._lock:
                run = self._runs.get(g)
            if run is None:
                run = read_run(g)
                with self._lock:
                    self._runs[g] = run
            out.append(run)
        # generation folders are named gen-<UTC time>-…; a legacy folder sorts by mtime
        return sorted(out, key=lambda r: (r.path.name, (r.path / "run.json").stat().st_mtime))[::-1]

    def latest(self) -> RunFolder | None:
        """The newest run of the first folder (the one ``RUN_OR_QUEUE`` named), else the
        newest run seen."""
        for f in self.folders[:1]:
            gens = _generations(f)
            if gens:
                return self.run(read_run(gens[0]).run_id)
        runs = self.generations()
        return runs[0] if runs else None

    def run(self, run_id: str | None) -> RunFolder | None:
        """The run with this id (None: the latest)."""
        if run_id is None or run_id == "":
            return self.latest()
        for r in self.generations():
            if r.run_id == run_id:
                return r
        return None

    def find_ring(self, ring_id: str, run_id: str | None = None) -> RunFolder | None:
        """The run that holds ``ring_id``: ``run_id``'s, else the newest that has it."""
        runs = [self.run(run_id)] if run_id else [self.latest(), *self.generations()]
        for r in runs:
            if r is not None and r.rings.filter(pl.col("ring_id") == ring_id).height:
                return r
        return None

    def spans(self, run: RunFolder) -> dict[str, tuple[int, int]]:
        """The run's lockstep data periods (cached per run)."""
        key = ("spans", run.path)
        if key not in self._cache:
            self._cache[key] = lockstep_spans(run.events(), self.families(run))
        return self._cache[key]  # type: ignore[no-any-return]

    def families(self, run: RunFolder | None = None) -> list[tuple[str, dict[str, Any]]]:
        """One family per action of the run's events (for the timelines' bursts)."""
        if run is None:
            return lockstep_families(self.config)
        key = ("actions", run.path)
        if key not in self._cache:
            ev = run.events().select(pl.col("action").unique()).collect()
            self._cache[key] = ev["action"].cast(pl.String).to_list()
        return lockstep_families(self.config, actions=self._cache[key])  # type: ignore[arg-type]

    def lineage(self, ring_id: str, run: RunFolder) -> list[dict[str, Any]]:
        """The ring's history across the runs the workspace sees, newest first: per run,
        the ring ids it had and how the next run changed them (from :func:`diff_runs`)."""
        runs = [r for r in self.generations() if r.path.name <= run.path.name or r is run]
        runs = runs[runs.index(run) :] if run in runs else [run]
        out = [{"run_id": run.run_id, "ring_ids": [ring_id], "change": None}]
        ids = [ring_id]
        for newer, older in zip(runs, runs[1:], strict=False):
            key = ("diff", older.path, newer.path)
            if key not in self._cache:
                try:
                    self._cache[key] = diff_runs(older.path, newer.path).rings
                except Exception as exc:  # noqa: BLE001 - history is optional
                    log.warning("no lineage %s -> %s: %s", older.path, newer.path, exc)
                    break
            rows = self._cache[key].filter(pl.col("ring_id").is_in(ids))
            if rows.height == 0:
                break
            prev = sorted({p for lst in rows["previous_ring_ids"].to_list() for p in lst})
            out[-1]["change"] = ", ".join(sorted(set(rows["change"].to_list())))
            if not prev:
                break
            out.append({"run_id": older.run_id, "ring_ids": prev, "change": None})
            ids = prev
        return out


def open_workspace(
    source: str,
    *,
    runs: Sequence[str | os.PathLike[str]] = (),
    database: str | None = None,
    config: Config | None = None,
) -> Workspace:
    """The workspace of ``ringlens serve SOURCE``.

    ``source`` is a run folder (its queue database is the run's ``export.database``,
    ``queue.sqlite`` in the folder by default), a SQLite queue file (the folder it sits in
    is a run folder when it holds a run) or a ``postgresql://`` URL. ``runs`` adds run
    folders; ``database`` overrides the queue database.

    Raises
    ------
    InputError
        A run folder is missing or is not a run, or no queue database can be named.
    ExportError
        The queue database cannot be opened: missing, unreachable, of a newer schema or
        another tool's (one line, password redacted).
    """
    cfg = config or Config()
    folders: list[Path] = []
    db: str | None = database
    if "://" in source:
        db = db or source
    else:
        p = Path(source)
        if p.is_dir():
            read_run(p)  # a clear error for a folder that is not a run
            folders.append(p)
            if db is None:
                d = cfg.export.database
                db = d if "://" in d or os.path.isabs(d) else str(p / d)
        elif p.is_file():
            db = db or str(p)
            if (p.parent / "run.json").exists() or (p.parent / _STATE).is_dir():
                folders.append(p.parent)
        else:
            raise InputError(
                f"{source} does not exist (expected a run folder, a queue.sqlite file or a "
                "postgresql:// URL)"
            )
    for r in runs:
        read_run(Path(r))
        folders.append(Path(r))
    if db is None:  # pragma: no cover - every branch above names one
        raise InputError("no queue database: pass --database")
    ws = Workspace(database=db, folders=list(dict.fromkeys(folders)), config=cfg)
    with ws.store():  # open now: a bad database fails before the server starts
        pass
    return ws
