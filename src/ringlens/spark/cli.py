"""Command-line glue for ``ringlens score --engine spark``: read, score on Spark, write the
same run folder, queue sinks and database as :func:`ringlens.pipeline.run`."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ringlens.config import Config, load_config
from ringlens.risk.policy import Policy, load_policy

log = logging.getLogger(__name__)

__all__ = ["run_spark"]

#: Input folders larger than this get a metadata fingerprint (names, sizes, mtimes) instead
#: of the content hash ``ringlens.pipeline.run`` reads every byte for.
MAX_HASHED_BYTES = 2 << 30


def _fingerprint(files: Sequence[Path]) -> str:
    from ringlens.pipeline import _fingerprint as fingerprint

    return fingerprint(files, content=sum(f.stat().st_size for f in files) <= MAX_HASHED_BYTES)


def run_spark(
    events: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    out_dir: str | os.PathLike[str],
    entities: str | os.PathLike[str] | None = None,
    labels: str | os.PathLike[str] | None = None,
    config: Config | None = None,
    policy: str | os.PathLike[str] | Policy | None = None,
    database: str | None = None,
    master: str = "local[2]",
    spark: Any = None,
    progress: Any = None,
    max_component_events: int = 20_000_000,
) -> Any:
    """Like :func:`ringlens.pipeline.run`, on Spark: returns a
    :class:`ringlens.pipeline.RunResult` (its ``graph`` holds the events around the top
    rings, for the views).

    The run id is the local run's (same input fingerprint, config and policy), so re-runs
    on either engine update the same queue items.

    Examples
    --------
    >>> res = run_spark("graphs/demo", out_dir="out/demo-spark")  # doctest: +SKIP
    """
    from ringlens.io import resolve_inputs
    from ringlens.pipeline import _beside, write_outputs
    from ringlens.spark.pipeline import score_spark, view_graph
    from ringlens.spark.session import get_session

    cfg = config or load_config()
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    t = time.perf_counter()
    remote = isinstance(events, str) and "://" in events and not events.startswith("file:")
    files = [] if remote else resolve_inputs(events, table="events")
    folder = (
        Path(events)
        if not remote and isinstance(events, str | os.PathLike) and Path(events).is_dir()
        else None
    )
    ent_src = entities if entities is not None else _beside(folder, "entities")
    lab_src = labels if labels is not None else _beside(folder, "labels")
    fingerprint = _fingerprint(files) if files else None
    session = spark or get_session(master=master)
    source: Any = events if remote else [str(f) for f in files]
    res = score_spark(
        source,
        spark=session,
        entities=None if ent_src is None else str(ent_src),
        labels=None if lab_src is None else str(lab_src),
        config=cfg,
        policy=pol,
        fingerprint=fingerprint,
        max_component_events=max_component_events,
    )
    res.report["inputs"] = {
        "events": [str(p) for p in files] if files else [str(events)],
        "entities": None if ent_src is None else str(ent_src),
        "labels": None if lab_src is None else str(lab_src),
        "fingerprint": fingerprint,
    }
    res.report["config"] = cfg.to_dict()
    res.report["config_sources"] = cfg.sources
    res.report["engine"] = {"name": "spark", "master": master}
    graph = view_graph(res, config=cfg) if cfg.get("viz.enabled") and res.rings.height else None
    out = res.to_run_result(view_graph=graph)
    if graph is None:
        cfg = Config({**cfg.to_dict(), "viz": {**cfg["viz"], "enabled": False}}, cfg.sources)
    # write_outputs times its parts ("write files", "views", "database")
    out.run_dir = write_outputs(
        out, out_dir=out_dir, config=cfg, database=database, progress=progress
    )
    out.report["timings"]["total"] = round(time.perf_counter() - t, 3)
    return out
