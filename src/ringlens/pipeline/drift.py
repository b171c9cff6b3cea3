"""Drift of the inputs: events per action and market against the previous runs.

A nightly job's early warning: an action whose volume suddenly drops (a logging change, a
renamed action, a broken export), an action name never seen before (a new feature the
vocabulary does not map), a new market. :func:`input_profile` counts a run's events per
action and market over its time span (``run.json`` can carry it as ``input_profile``);
:func:`input_drift` compares a run's profile with the previous runs' per day of data, so
runs over windows of different lengths compare fairly.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from ringlens.exceptions import ConfigError, InputError, SchemaError, check_float
from ringlens.export import resolve_run
from ringlens.io import InputOptions, scan_events

log = logging.getLogger(__name__)

__all__ = [
    "HISTORY_RUNS",
    "check_previous",
    "NO_MARKET",
    "DriftReport",
    "input_drift",
    "input_health",
    "input_profile",
    "profile_of",
]

#: A run folder's ``run.json`` keeps the input profiles of this many earlier runs
#: (``input_history``, latest first): the baseline of :func:`input_health`.
HISTORY_RUNS = 7
#: How a missing market is shown.
NO_MARKET = "(none)"
#: The span of a run's events is measured between these quantiles of their times (scaled
#: back to the whole), so that a few backdated events cannot stretch it.
SPAN_QUANTILE = 0.05
_COUNT_SCHEMA = {"action": pl.String, "market": pl.String, "events": pl.Int64}

#: A run folder, a run report or profile dict, an EventGraph, or an events frame.
Profileable = Any


def input_profile(events: Any) -> dict[str, Any]:
    """Events per action and market, and the time span they cover (JSON-ready).

    Parameters
    ----------
    events
        An :class:`~ringlens.graph.EventGraph` (the run's), or events in the data contract
        (``action``, ``ts``, optional ``market``) as a DataFrame or LazyFrame.

    Returns
    -------
    dict
        ``{"first_ts", "last_ts", "days", "events", "counts": [{"action", "market",
        "events"}, …]}`` (counts sorted by action, market); ``days`` is the span of the
        middle 90 % of the event times divided by 0.9, robust to a few backdated events.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timezone
    >>> ev = pl.DataFrame({"action": ["like", "like", "order"], "market": ["US", None, "US"],
    ...     "ts": [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (1, 2, 3)]})
    >>> p = input_profile(ev)
    >>> p["days"], [(c["action"], c["market"], c["events"]) for c in p["counts"]]
    (2.222222, [('like', '(none)', 1), ('like', 'US', 1), ('order', 'US', 1)])
    """
    frame = events.events if hasattr(events, "events") and hasattr(events, "nodes") else events
    if isinstance(frame, pl.DataFrame):
        lf = frame.lazy()
    elif isinstance(frame, pl.LazyFrame):
        lf = frame
    else:
        raise SchemaError(
            f"input_profile: expected an EventGraph or a polars frame of events, got {type(events).__name__}"
        )
    names = lf.collect_schema().names()
    for c in ("action", "ts"):
        if c not in names:
            raise SchemaError(f"input_profile: events have no column {c!r}")
    market = pl.col("market").cast(pl.String) if "market" in names else pl.lit(None, pl.String)
    counts = (
        lf.select(pl.col("action").cast(pl.String), market.fill_null(NO_MARKET).alias("market"))
        .group_by("action", "market")
        .agg(pl.len().cast(pl.Int64).alias("events"))
        .sort("action", "market")
        .collect()
    )
    us = pl.col("ts").dt.epoch("us")
    first, last, q_lo, q_hi = (
        lf.select(
            pl.col("ts").min().alias("a"),
            pl.col("ts").max().alias("b"),
            us.quantile(SPAN_QUANTILE, "lower").alias("c"),
            us.quantile(1.0 - SPAN_QUANTILE, "higher").alias("d"),
        )
        .collect()
        .row(0)
    )
    days = 0.0
    if q_lo is not None and q_hi is not None:
        # robust span: the middle of the events, scaled up (backdated listings or a few
        # stray old events must not stretch the window and shrink every daily rate)
        days = (q_hi - q_lo) / 86400e6 / (1.0 - 2 * SPAN_QUANTILE)
    return {
        "first_ts": first.isoformat() if isinstance(first, datetime) else None,
        "last_ts": last.isoformat() if isinstance(last, datetime) else None,
        "days": round(days, 6),
        "events": int(counts["events"].sum()) if counts.height else 0,
        "counts": counts.to_dicts(),
    }


def _profile_from_run_dir(path: Path) -> dict[str, Any] | None:
    rj = resolve_run(path) / "run.json"
    if not rj.is_file():
        raise InputError(f"run folder {path} has no run.json (expected a run written by ringlens)")
    try:
        report = json.loads(rj.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path / 'run.json'}: {exc}") from exc
    if isinstance(report.get("input_profile"), Mapping):
        return dict(report["input_profile"])
    files = (report.get("inputs") or {}).get("events") or []
    if not files or not all(isinstance(f, str) and Path(f).is_file() for f in files):
        log.warning("run %s: no input_profile in run.json and its events are not readable", path)
        return None
    section = (report.get("config") or {}).get("input") or {}
    try:
        opts = InputOptions.from_settings(section)  # the run's separator, defaults, …
        return input_profile(
            scan_events(files, columns=dict(section.get("columns") or {}), options=opts)
        )
    except (InputError, ConfigError) as exc:
        log.warning("run %s: cannot profile its events: %s", path, exc)
        return None


def profile_of(source: Profileable) -> dict[str, Any] | None:
    """The input profile of a run folder (``run.json``'s ``input_profile``, else its events
    profiled again when still readable; None when neither), a run report or profile dict,
    an event graph or an events frame."""
    if isinstance(source, str | os.PathLike):
        p = Path(source)
        if not p.is_dir():
            raise InputError(f"run folder {p} does not exist (expected a folder with run.json)")
        return _profile_from_run_dir(p)
    if isinstance(source, Mapping):
        if "counts" in source:
            return dict(source)
        prof = source.get("input_profile")
        return dict(prof) if isinstance(prof, Mapping) else None
    return input_profile(source)


def _counts(profile: Mapping[str, Any], what: str) -> pl.DataFrame:
    rows = profile.get("counts")
    if not isinstance(rows, list):
        raise SchemaError(f"{what}: input_profile.counts: expected a list of rows")
    for i, r in enumerate(rows):
        ok = (
            isinstance(r, Mapping)
            and isinstance(r.get("action"), str)
            and (r.get("market") is None or isinstance(r.get("market"), str))
            and isinstance(r.get("events"), int)
            and not isinstance(r.get("events"), bool)
            and r["events"] >= 0
        )
        if not ok:
            raise SchemaError(
                f"{what}: input_profile.counts[{i}]: expected action (text), market (text or "
                f"null) and events (an integer >= 0), got {r!r}"
            )
    df = pl.DataFrame(rows, schema=_COUNT_SCHEMA)
    return df.with_columns(pl.col("market").fill_null(NO_MARKET))


@dataclass(frozen=True)
class DriftReport:
    """Input drift of a run against the previous runs (see :func:`input_drift`).

    Attributes
    ----------
    rows : polars.DataFrame
        ``level`` (``action``, ``market``, ``action × market``), ``action``, ``market``,
        ``events``, ``per_day``, ``expected_per_day`` (mean of the previous runs),
        ``ratio``, ``flag`` (``new action``, ``new market``, ``drop``, ``gone`` or null).
    alerts : list of str
        One line per flag.
    previous : int
        Previous runs with a profile.
    """

    rows: pl.DataFrame
    alerts: Sequence[str]
    previous: int
    params: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No alert (what ``--strict`` checks)."""
        return not self.alerts

    def to_frame(self) -> pl.DataFrame:
        return self.rows

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for ``run.json`` (``health``)."""
        return {
            "ok": self.ok,
            "alerts": list(self.alerts),
            "previous_runs": self.previous,
            "params": dict(self.params),
            "flagged": self.rows.filter(pl.col("flag").is_not_null()).to_dicts(),
        }


def input_drift(
    current: Profileable,
    previous: Sequence[Profileable],
    *,
    drop: float = 0.5,
    min_events: int = 100,
) -> DriftReport:
    """Compare a run's events per action and market with the previous runs'.

    Parameters
    ----------
    current
        The run: a run folder, its ``run.json`` report (with ``input_profile``), a profile
        (:func:`input_profile`), an event graph or an events frame.
    previous
        Earlier runs, in the same forms. Runs without a profile are skipped (counted out of
        ``previous``).
    drop
        An action (overall, or in one market) is flagged ``drop`` when its events per day
        fall below ``drop`` × the previous runs' mean, and ``gone`` when it has none left.
    min_events
        Only volumes the previous runs make worth ``min_events`` events over the current
        run's span are checked for drops (small volumes are noise).

    Examples
    --------
    >>> cur = {"days": 1.0, "counts": [{"action": "like", "market": "US", "events": 40},
    ...        {"action": "gift", "market": "US", "events": 5}]}
    >>> prev = [{"days": 2.0, "counts": [{"action": "like", "market": "US", "events": 400}]}]
    >>> input_drift(cur, prev).alerts
    ['new action: gift (5 events)', 'drop: like — 40 events/day, expected 200 (0.20×)', 'drop: US — 45 events/day, expected 200 (0.23×)']
    """
    d = check_float("drop", drop, low=0.0, high=1.0)
    mn = check_float("min_events", min_events, low=0.0)
    cur = profile_of(current)
    if cur is None:
        raise InputError("input_drift: the current run has no input profile and no readable events")
    profiles = [p for p in (profile_of(x) for x in previous) if p is not None]
    cur_days = max(float(cur.get("days") or 0.0), 1.0 / 24)
    cc = _counts(cur, "current run")
    prev = [
        _counts(p, "previous run").with_columns(
            (pl.col("events") / max(float(p.get("days") or 0.0), 1.0 / 24)).alias("rate"),
            pl.lit(i).alias("run"),
        )
        for i, p in enumerate(profiles)
    ]
    n_prev = len(prev)
    levels = (
        ("action", ["action"]),
        ("market", ["market"]),
        ("action × market", ["action", "market"]),
    )
    out = pl.concat(
        [
            _level(cc, prev, level, keys, cur_days=cur_days, drop=d, min_events=mn)
            for level, keys in levels
        ]
    )
    alerts = _alerts(out)
    if not n_prev:
        log.info("input drift: no previous run with a profile")
    return DriftReport(
        rows=out, alerts=list(alerts), previous=n_prev, params={"drop": d, "min_events": mn}
    )


def _level(
    cc: pl.DataFrame,
    prev: Sequence[pl.DataFrame],
    level: str,
    keys: list[str],
    *,
    cur_days: float,
    drop: float,
    min_events: float,
) -> pl.DataFrame:
    """The drift rows of one level (action, market, or both)."""
    n_prev = len(prev)
    now = cc.group_by(keys).agg(pl.col("events").sum())
    if n_prev:
        per_run = pl.concat(prev).group_by([*keys, "run"]).agg(pl.col("rate").sum())
        base = per_run.group_by(keys).agg((pl.col("rate").sum() / n_prev).alias("expected_per_day"))
    else:
        base = pl.DataFrame(schema={**{k: pl.String for k in keys}, "expected_per_day": pl.Float64})
    j = now.join(base, on=keys, how="full", coalesce=True).with_columns(
        pl.col("events").fill_null(0),
        (pl.col("events").fill_null(0) / cur_days).alias("per_day"),
    )
    j = j.with_columns(
        pl.when(pl.col("expected_per_day") > 0)
        .then(pl.col("per_day") / pl.col("expected_per_day"))
        .alias("ratio")
    )
    flag = pl.lit(None, dtype=pl.String)
    if n_prev:
        checked = pl.col("expected_per_day").fill_null(0) * cur_days >= min_events
        flag = (
            pl.when(pl.col("expected_per_day").is_null() & (level != "action × market"))
            .then(pl.lit(f"new {level}"))
            .when(checked & (pl.col("events") == 0))
            .then(pl.lit("gone"))
            .when(checked & (pl.col("ratio") < drop))
            .then(pl.lit("drop"))
            .otherwise(flag)
        )
    j = j.with_columns(flag.alias("flag"))
    for k in ("action", "market"):
        if k not in j.columns:
            j = j.with_columns(pl.lit(None, dtype=pl.String).alias(k))
    return j.select(
        pl.lit(level).alias("level"),
        "action",
        "market",
        pl.col("events").cast(pl.Int64),
        "per_day",
        "expected_per_day",
        "ratio",
        "flag",
    ).sort("action", "market", nulls_last=True)


def _alerts(out: pl.DataFrame) -> list[str]:
    """One line per flag; an action × market flag only when neither its action nor its
    market was flagged already."""
    alerts: list[str] = []
    flagged = out.filter(pl.col("flag").is_not_null())
    seen_actions = set(flagged.filter(pl.col("level") == "action")["action"].to_list())
    seen_markets = set(flagged.filter(pl.col("level") == "market")["market"].to_list())
    for r in flagged.iter_rows(named=True):
        if r["level"] == "action × market" and (
            r["action"] in seen_actions or r["market"] in seen_markets
        ):
            continue
        what = (
            r["action"]
            if r["level"] == "action"
            else r["market"]
            if r["level"] == "market"
            else f"{r['action']} in {r['market']}"
        )
        if r["flag"].startswith("new"):
            alerts.append(f"{r['flag']}: {what} ({r['events']:,} events)")
        elif r["flag"] == "gone":
            alerts.append(f"gone: {what} — no events, expected {_n(r['expected_per_day'])}/day")
        else:
            alerts.append(
                f"drop: {what} — {_n(r['per_day'])} events/day, expected "
                f"{_n(r['expected_per_day'])} ({r['ratio']:.2f}×)"
            )
    return alerts


def _n(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:.1f}"


def _published(out_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``run.json`` published in ``out_dir`` (None when there is none or it cannot be
    read: a first run, or a folder of another tool)."""
    rj = resolve_run(out_dir) / "run.json"
    if not rj.is_file():
        return None
    try:
        report = json.loads(rj.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("input drift: cannot read the previous %s: %s", rj, exc)
        return None
    return report if isinstance(report, dict) else None


def check_previous(previous: Sequence[str | os.PathLike[str]]) -> None:
    """Refuse ``--previous`` run folders that do not exist (:class:`InputError`): a run
    checks them before its work, not after."""
    for p in previous:
        if not Path(p).is_dir():
            raise InputError(f"previous run folder {p} does not exist (expected a run folder)")


def input_health(
    events: Any,
    *,
    run_id: str,
    out_dir: str | os.PathLike[str],
    previous: Sequence[str | os.PathLike[str]] = (),
    drop: float = 0.5,
    min_events: int = 100,
) -> dict[str, Any]:
    """What a run adds to its ``run.json`` about its inputs: ``input_profile`` (this run's,
    :func:`input_profile`), ``input_history`` (the profiles of the runs before it, latest
    first, at most :data:`HISTORY_RUNS`) and ``input_drift`` (:meth:`DriftReport.as_dict`
    of this run against that history).

    The runs before it are the run published in ``out_dir`` (a nightly job that writes one
    folder night after night), or the run folders in ``previous`` (a job that writes one
    folder per night names yesterday's); each brings its own ``input_history`` along, so the
    baseline is always the last :data:`HISTORY_RUNS` runs. A re-run of the run published in
    ``out_dir`` (same ``run_id``) is compared with the runs before it, not with itself.

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> from datetime import datetime, timezone
    >>> ev = pl.DataFrame({"action": ["like"] * 3,
    ...     "ts": [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (1, 2, 3)]})
    >>> h = input_health(ev, run_id="r1", out_dir=tempfile.mkdtemp())
    >>> h["input_history"], h["input_drift"]["ok"], h["input_drift"]["previous_runs"]
    ([], True, 0)
    """
    check_previous(previous)
    profile = input_profile(events)
    folders = [Path(p) for p in previous] if previous else [Path(out_dir)]
    history: list[dict[str, Any]] = []
    for folder in folders:
        before = _published(folder) if folder.is_dir() else None
        if before is None:
            continue
        prof = before.get("input_profile")
        rerun = before.get("run_id") == run_id and folder.resolve() == Path(out_dir).resolve()
        if not rerun and isinstance(prof, Mapping):
            history.append(dict(prof))
        history.extend(dict(p) for p in before.get("input_history") or [] if isinstance(p, Mapping))
    history = history[:HISTORY_RUNS]
    try:
        drift = input_drift(profile, history, drop=drop, min_events=min_events)
    except SchemaError as exc:  # a hand-edited or foreign run.json: warn, start afresh
        log.warning("input drift: the previous runs' profiles are unreadable (%s)", exc)
        history = []
        drift = input_drift(profile, [], drop=drop, min_events=min_events)
    return {"input_profile": profile, "input_history": history, "input_drift": drift.as_dict()}
