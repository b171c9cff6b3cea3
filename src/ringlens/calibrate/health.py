"""Detection health over runs: the data of the health dashboard and its page.

:func:`health_report` gathers precision over runs per pattern and market, queue volume
against capacity, the verdict backlog when each run was written and the input drift of the
latest run; :func:`write_health_page` draws it (:mod:`ringlens.viz.health`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ringlens.calibrate.quality import QualityReport
from ringlens.calibrate.runs import RunRecord
from ringlens.calibrate.verdicts import check_items, verdict_events
from ringlens.pipeline.drift import DriftReport
from ringlens.risk.policy import Policy

log = logging.getLogger(__name__)

__all__ = ["HealthReport", "health_report", "queue_volume", "verdict_backlog", "write_health_page"]


def queue_volume(runs: Sequence[RunRecord], policy: Policy | None = None) -> pl.DataFrame:
    """Per run and queue: items queued, items over capacity (from ``run.json``) and the
    queue's capacity (from ``policy``, else the run's own policy)."""
    rows = []
    for i, r in enumerate(runs):
        rep = r.report.get("policy") or {}
        queued = dict(rep.get("queued_by_queue") or {})
        over = dict(rep.get("over_capacity") or {})
        pol = policy or r.policy
        caps = dict(pol.queues) if pol is not None else {}
        for q in sorted(set(queued) | set(over) | set(caps)):
            rows.append(
                {
                    "run_index": i,
                    "run_id": r.run_id,
                    "queue": str(q),
                    "queued": int(queued.get(q, 0)),
                    "over_capacity": int(over.get(q, 0)),
                    "capacity": caps.get(q),
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "run_index": pl.Int64,
            "run_id": pl.String,
            "queue": pl.String,
            "queued": pl.Int64,
            "over_capacity": pl.Int64,
            "capacity": pl.Int64,
        },
    )


def verdict_backlog(
    items: pl.DataFrame,
    history: pl.DataFrame | None,
    queue_runs: pl.DataFrame | None,
    runs: Sequence[RunRecord],
) -> pl.DataFrame | None:
    """Items without a verdict at the moment each run was upserted (``queue_runs``, the
    database's run log: ``QueueStore.runs()``): ``run_id``, ``at``, ``open_items``. None
    without a run log."""
    if queue_runs is None or queue_runs.height == 0:
        return None
    when = queue_runs.group_by("run_id").agg(pl.col("upserted_at").min().alias("at"))
    order = pl.DataFrame(
        {"run_id": [r.run_id for r in runs], "run_index": list(range(len(runs)))},
        schema={"run_id": pl.String, "run_index": pl.Int64},
    )
    t = order.join(when, on="run_id", how="inner").sort("run_index")
    if t.height == 0:
        return None
    items = check_items(items)
    first = verdict_events(items, history).group_by("queue_item_id").agg(pl.col("decided_at").min())
    it = items.select("queue_item_id", "first_seen_at").join(first, on="queue_item_id", how="left")
    seen = np.sort(it["first_seen_at"].drop_nulls().dt.epoch("us").to_numpy())
    done = np.sort(
        it.filter(pl.col("decided_at").is_not_null())
        .select(pl.max_horizontal("first_seen_at", "decided_at").dt.epoch("us"))
        .to_series()
        .to_numpy()
    )
    at = t["at"].dt.epoch("us").to_numpy()
    open_items = np.searchsorted(seen, at, side="right") - np.searchsorted(done, at, side="right")
    return t.with_columns(pl.Series("open_items", open_items.astype(np.int64)))


@dataclass(frozen=True)
class HealthReport:
    """The health dashboard's data (see :func:`health_report`)."""

    runs: Sequence[str]
    precision_by_run: pl.DataFrame
    volume: pl.DataFrame
    backlog: pl.DataFrame | None
    drift: DriftReport | None
    alerts: Sequence[str]
    notes: Sequence[str] = field(default_factory=tuple)
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.alerts

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "alerts": list(self.alerts),
            "notes": list(self.notes),
            "runs": list(self.runs),
            "volume": self.volume.to_dicts(),
            "backlog": None if self.backlog is None else self.backlog.to_dicts(),
            "drift": None if self.drift is None else self.drift.as_dict(),
        }


def _precision_alerts(pbr: pl.DataFrame, runs: Sequence[str], min_n: int) -> list[str]:
    """A pattern or market whose latest precision lies wholly below its earlier level."""
    if len(runs) < 2:
        return []
    latest = runs[-1]
    out = []
    for dim in ("pattern", "market"):
        d = pbr.filter(pl.col("dimension") == dim)
        before = (
            d.filter(pl.col("run_id") != latest)
            .group_by("value")
            .agg(pl.col("n").sum(), pl.col("confirmed").sum())
            .filter(pl.col("n") >= min_n)
            .with_columns((pl.col("confirmed") / pl.col("n")).alias("before"))
        )
        now = d.filter((pl.col("run_id") == latest) & (pl.col("n") >= min_n))
        j = now.join(before.select("value", "before"), on="value").filter(
            pl.col("hi") < pl.col("before")
        )
        for r in j.sort("value").iter_rows(named=True):
            out.append(
                f"precision of {dim} {r['value']} fell to {r['precision']:.2f} "
                f"({r['lo']:.2f}–{r['hi']:.2f}, {r['n']} verdicts) from {r['before']:.2f} in earlier runs"
            )
    return out


def health_report(
    runs: Sequence[RunRecord],
    quality: QualityReport,
    *,
    items: pl.DataFrame | None = None,
    history: pl.DataFrame | None = None,
    queue_runs: pl.DataFrame | None = None,
    policy: Policy | None = None,
    drift: DriftReport | None = None,
    min_verdicts: int = 20,
) -> HealthReport:
    """The health dashboard's data for ``runs`` (oldest first).

    Alerts: the drift's, queues over capacity in the latest run, and patterns or markets
    whose precision in the latest run lies wholly (its Wilson interval) below their
    precision in the earlier runs.
    """
    ids = [r.run_id for r in runs]
    vol = queue_volume(runs, policy)
    backlog = verdict_backlog(items, history, queue_runs, runs) if items is not None else None
    alerts: list[str] = list(drift.alerts) if drift is not None else []
    if ids:
        last = vol.filter((pl.col("run_id") == ids[-1]) & (pl.col("over_capacity") > 0))
        for r in last.iter_rows(named=True):
            alerts.append(
                f"queue {r['queue']}: {r['over_capacity']:,} items over its capacity of "
                f"{r['capacity'] if r['capacity'] is not None else '?'} in the latest run"
            )
    alerts += _precision_alerts(quality.precision_by_run, ids, min_verdicts)
    notes = []
    if quality.history_source != "history":
        notes.append(
            "no verdict history (audit table): each item's current status counts as its verdict "
            "on the run that last scored it"
        )
    if drift is None:
        notes.append(
            "input drift not measured (needs two runs with input profiles or readable events)"
        )
    return HealthReport(
        runs=ids,
        precision_by_run=quality.precision_by_run,
        volume=vol,
        backlog=backlog,
        drift=drift,
        alerts=tuple(alerts),
        notes=tuple(notes),
        info={
            "runs": f"{len(ids)} ({ids[0]} … {ids[-1]})" if ids else "0",
            "verdicts": f"{quality.verdicts:,}",
        },
    )


def health_html(health: HealthReport, *, title: str = "ringlens health") -> str:
    """The health dashboard of ``health`` as one offline HTML page (what
    :func:`write_health_page` writes and the workbench serves at ``/health``)."""
    from ringlens.viz.health import health_page

    return health_page(*_page_args(health), **_page_kwargs(health, title))


def _page_args(health: HealthReport) -> tuple[pl.DataFrame, pl.DataFrame]:
    return health.precision_by_run, health.volume


def _page_kwargs(health: HealthReport, title: str) -> dict[str, Any]:
    return {
        "runs": health.runs,
        "backlog": health.backlog,
        "drift": None if health.drift is None else health.drift.rows,
        "alerts": health.alerts,
        "notes": health.notes,
        "title": title,
        "info": health.info,
    }


def write_health_page(
    path: str | os.PathLike[str], health: HealthReport, *, title: str = "ringlens health"
) -> Path:
    """Write the health dashboard of ``health`` to ``path`` (one offline HTML file)."""
    from ringlens.viz.health import write_health_page as _write

    return _write(path, *_page_args(health), **_page_kwargs(health, title))
