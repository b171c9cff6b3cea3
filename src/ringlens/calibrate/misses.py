"""Root cause of misses: for entities confirmed by other means that a run did not queue,
which detector came closest and which threshold or cap stopped them.

Each miss gets one ``stage``:

=====================  ================================================================
stage                  meaning (``blocking`` names what stopped it)
=====================  ================================================================
``cleared label``      the run's labels said ``cleared``: never queued
``over capacity``      a rule sent it to a queue that was full (``queue … capacity``)
``below threshold``    scored, but under every rule's ``min_risk`` (the nearest rule)
``not scored``         no detector gave it a signal in this run
=====================  ================================================================

``closest`` is the detector behind the entity's strongest reason (from the detector
registry). With ``relax=True`` the run's events are scored again with one detection
setting relaxed at a time (:data:`RELAXATIONS`); a miss that a relaxed setting would have
queued — or at least scored — names that setting and the detector that found it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from ringlens.calibrate.runs import RunRecord
from ringlens.config import Config
from ringlens.exceptions import ConfigError, InputError
from ringlens.risk.policy import NO_ACTION, Policy, apply_policy

log = logging.getLogger(__name__)

__all__ = ["MISS_SCHEMA", "RELAXATIONS", "MissReport", "explain_misses", "reason_detectors"]

_KEYS = ["entity_type", "entity_id"]
_BIG = 10**12

#: Detection settings tried by ``relax=True``: setting → its relaxed value from the run's.
RELAXATIONS: dict[str, Callable[[Any], Any]] = {
    "detect.lockstep_min_bursts": lambda v: 1,
    "detect.lockstep_min_actors": lambda v: 2,
    "detect.lockstep_min_targets": lambda v: 1,
    "detect.lockstep_window": lambda v: f"{_seconds(v) * 2:g}s",
    "detect.shared_max_household": lambda v: max(1, int(v) // 2),
    "detect.shared_min_group": lambda v: 2,
    "detect.min_ring_size": lambda v: 2,
    "detect.dense_min_rows": lambda v: 1,
    "graph.max_target_degree": lambda v: int(v) * 10,
}


def _seconds(v: Any) -> float:
    from ringlens.config import parse_duration

    return parse_duration(v, key="detect.lockstep_window").total_seconds()


def reason_detectors() -> dict[str, str]:
    """Reason code → the registered detector that emits it (ring reasons → ``rings``)."""
    from ringlens.pipeline.registry import registered
    from ringlens.risk.model import DEFAULT_WEIGHTS

    out = {r: "rings" for r in DEFAULT_WEIGHTS}
    for d in registered():
        for r in d.reasons:
            out[r] = d.name
    return out


@dataclass(frozen=True)
class MissReport:
    """Confirmed entities a run did not queue, and why (see the module docstring).

    Attributes
    ----------
    run_id : str
    confirmed : int
        Entities labelled ``confirmed`` (by other means) that appear in the run's events
        (all of them when the events cannot be read: ``in_events`` is then False).
    misses : polars.DataFrame
        ``entity_type``, ``entity_id``, ``pattern``, ``market``, ``risk_score``,
        ``stage``, ``closest`` (detector), ``top_reason``, ``blocking``, ``gap``
        (points below the nearest rule's ``min_risk``), ``relaxed`` (the setting that
        would have caught it, with ``relax=True``), ``detail`` (a sentence).
    """

    run_id: str
    confirmed: int
    misses: pl.DataFrame
    relaxed: bool = False
    in_events: bool = False

    def to_frame(self) -> pl.DataFrame:
        return self.misses

    def summary(self) -> dict[str, int]:
        """Misses per stage."""
        return dict(sorted(self.misses.group_by("stage").len().iter_rows()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "confirmed": self.confirmed,
            "missed": self.misses.height,
            "by_stage": self.summary(),
            "relaxed": self.relaxed,
            "in_events": self.in_events,
            "misses": self.misses.to_dicts(),
        }


#: Columns of :attr:`MissReport.misses`.
MISS_SCHEMA = pl.Schema(
    {
        "entity_type": pl.String(),
        "entity_id": pl.String(),
        "pattern": pl.String(),
        "market": pl.String(),
        "risk_score": pl.Float64(),
        "stage": pl.String(),
        "closest": pl.String(),
        "top_reason": pl.String(),
        "blocking": pl.String(),
        "gap": pl.Float64(),
        "relaxed": pl.String(),
        "detail": pl.String(),
    }
)


def _classify(row: dict[str, Any], pol: Policy, det: dict[str, str]) -> dict[str, Any]:
    """One miss: its stage, what blocked it and the detector behind its strongest reason."""
    scored = row["risk_score"] is not None
    closest = det.get(row["top_reason"] or "", None) if scored else None
    blocking, gap = None, None
    if row["_cl"]:
        stage, blocking = "cleared label", "labels: cleared"
        detail = "the run's labels marked it cleared, so no rule could queue it"
    elif scored and row["queue"] is not None:
        stage = "over capacity"
        blocking = f"queue {row['queue']!r}: capacity {row['_cap']}"
        detail = (
            f"rule {row['rule']!r} sent it to queue {row['queue']!r} at priority "
            f"{row['priority']}, beyond its capacity of {row['_cap']}"
        )
    elif scored:
        stage = "below threshold"
        blocking, gap = _rule_gap(row, pol)
        detail = (
            f"risk {row['risk_score']:.1f}, {gap:.1f} points under {blocking}"
            if blocking
            else f"risk {row['risk_score']:.1f}: no rule applies to its pattern and market"
        )
        if closest:
            detail += f"; strongest reason {row['top_reason']} ({closest})"
    else:
        stage = "not scored"
        detail = "no detector gave it a signal in this run"
    return {
        **{k: row[k] for k in _KEYS},
        "pattern": row["pattern"],
        "market": row["market"],
        "risk_score": row["risk_score"],
        "stage": stage,
        "closest": closest,
        "top_reason": row["top_reason"],
        "blocking": blocking,
        "gap": gap,
        "relaxed": None,
        "detail": detail,
    }


def _uncapped(policy: Policy) -> Policy:
    return replace(policy, queues=dict.fromkeys(policy.queues, _BIG))


def _rule_gap(row: dict[str, Any], policy: Policy) -> tuple[str | None, float | None]:
    """The rule whose conditions hold and whose min_risk is nearest above the risk."""
    best: tuple[float, str] | None = None
    for r in policy.rules:
        if r.action == NO_ACTION:
            continue
        if r.pattern is not None and row["pattern"] not in r.pattern:
            continue
        if r.market is not None and row["market"] not in r.market:
            continue
        if r.entity_type is not None and row["entity_type"] not in r.entity_type:
            continue
        gap = r.min_risk - float(row["risk_score"] or 0.0)
        if gap > 0 and (best is None or gap < best[0]):
            best = (gap, f"rule {r.name!r}: min_risk {r.min_risk:g}")
    return (None, None) if best is None else (best[1], round(best[0], 3))


def _policy_view(run: RunRecord, policy: Policy) -> pl.DataFrame:
    """Each scored entity's action, queue and priority with the queues uncapped."""
    q, _ = apply_policy(run.entities, run.rings, _uncapped(policy), run_id=run.run_id)
    return q.select(*_KEYS, "queue", "priority", "rule")


def explain_misses(
    run: RunRecord,
    labels: pl.DataFrame,
    *,
    policy: Policy | None = None,
    relax: bool = False,
    events: str | Path | Sequence[str | Path] | None = None,
) -> MissReport:
    """Why the confirmed entities of ``labels`` that ``run`` did not queue were missed.

    Parameters
    ----------
    run
        The run (:func:`~ringlens.calibrate.runs.load_run`).
    labels
        ``entity_type, entity_id, label`` — entities confirmed by other means.
    policy
        The run's policy (default: the one ``run.json`` names).
    relax
        Score the run's events again with each of :data:`RELAXATIONS` (one scoring per
        setting) to find the setting that stopped the misses no detector scored.
    events
        The run's events (default: the files ``run.json`` names).
    """
    pol = policy or run.policy
    if pol is None:
        raise ConfigError(f"run {run.run_id}: its policy is not readable (pass the policy)")
    conf = (
        labels.filter(pl.col("label") == "confirmed")
        .select(pl.col("entity_type").cast(pl.String), pl.col("entity_id").cast(pl.String))
        .unique()
    )
    present = _in_events(run, conf, events)
    if present is not None:
        conf = present
    missed = conf.join(run.queue.select(_KEYS), on=_KEYS, how="anti")
    det = reason_detectors()
    ring_info = run.rings.select("ring_id", pl.col("pattern").alias("_rp"))
    ents = run.entities.join(ring_info, on="ring_id", how="left").select(
        *_KEYS,
        "risk_score",
        pl.col("_rp").fill_null("other").alias("pattern"),
        pl.col("market").cast(pl.String),
        pl.col("reasons").list.first().alias("top_reason"),
    )
    view = _policy_view(run, pol)
    cleared = (
        run.labels.filter(pl.col("label") == "cleared")
        .select(_KEYS)
        .with_columns(pl.lit(True).alias("_cl"))
        if run.labels is not None and run.labels.height
        else pl.DataFrame(
            schema={"entity_type": pl.String, "entity_id": pl.String, "_cl": pl.Boolean}
        )
    )
    m = (
        missed.join(ents, on=_KEYS, how="left")
        .join(view, on=_KEYS, how="left")
        .join(cleared, on=_KEYS, how="left")
        .join(
            pl.DataFrame(
                {"queue": list(pol.queues), "_cap": list(pol.queues.values())},
                schema={"queue": pl.String, "_cap": pl.Int64},
            ),
            on="queue",
            how="left",
        )
    )
    frame = pl.DataFrame(
        [_classify(row, pol, det) for row in m.sort(_KEYS).iter_rows(named=True)],
        schema=MISS_SCHEMA,
    )
    if relax and frame.filter(pl.col("stage").is_in(["not scored", "below threshold"])).height:
        frame = _relax(run, frame, pol, det, events)
    return MissReport(
        run_id=run.run_id,
        confirmed=conf.height,
        misses=frame,
        relaxed=relax,
        in_events=present is not None,
    )


def _event_files(run: RunRecord, events: Any) -> list[str] | None:
    files = events if events is not None else (run.report.get("inputs") or {}).get("events")
    if isinstance(files, str | Path):
        files = [files]
    if not files or not all(Path(f).exists() for f in files):
        return None
    return [str(f) for f in files]


def _in_events(run: RunRecord, conf: pl.DataFrame, events: Any) -> pl.DataFrame | None:
    """The labelled entities that act or are acted on in the run's events (None when the
    events cannot be read: then every label counts)."""
    from ringlens.io import InputOptions, scan_events

    files = _event_files(run, events)
    if files is None:
        log.info("run %s: events not readable; every confirmed label counts", run.run_id)
        return None
    section = (run.report.get("config") or {}).get("input") or {}
    try:
        opts = InputOptions.from_settings(section)
        lf = scan_events(files, columns=dict(section.get("columns") or {}), options=opts)
        ends = pl.concat(
            [
                lf.select(
                    pl.col("actor_type").alias("entity_type"), pl.col("actor_id").alias("entity_id")
                ),
                lf.select(
                    pl.col("target_type").alias("entity_type"),
                    pl.col("target_id").alias("entity_id"),
                ),
            ]
        )
        seen = ends.join(conf.lazy(), on=_KEYS, how="semi").unique().collect()
    except (InputError, ConfigError) as exc:
        log.warning(
            "run %s: cannot read its events (%s); every confirmed label counts", run.run_id, exc
        )
        return None
    return conf.join(seen, on=_KEYS, how="semi")


def _relax(
    run: RunRecord,
    frame: pl.DataFrame,
    policy: Policy,
    det: dict[str, str],
    events: str | Path | Sequence[str | Path] | None,
) -> pl.DataFrame:
    """Score the events again with each relaxation; name the first one that queues (or at
    least scores) each miss."""
    from ringlens.graph import build_graph
    from ringlens.io import InputOptions, load_entities, load_events
    from ringlens.pipeline import score

    inputs = run.report.get("inputs") or {}
    files = _event_files(run, events)
    if not files:
        raise InputError(f"run {run.run_id}: run.json names no events to score again (pass events)")
    try:
        cfg = Config.from_mapping(run.report.get("config") or {}, source=f"{run.run_dir}/run.json")
    except ConfigError as exc:
        raise InputError(f"run {run.run_id}: cannot rebuild its settings: {exc}") from exc
    cfg = cfg.with_overrides({"viz.enabled": False})
    opts = InputOptions.from_settings(cfg)
    ev = load_events(files, columns=dict(cfg.input.columns), options=opts)
    ent_path = inputs.get("entities")
    ents = (
        load_entities(ent_path, options=opts)
        if isinstance(ent_path, str) and Path(ent_path).is_file()
        else None
    )
    graph = build_graph(ev)
    todo = frame.filter(pl.col("stage").is_in(["not scored", "below threshold"])).select(_KEYS)
    found: dict[tuple[str, str], str] = {}
    for setting, relaxed in RELAXATIONS.items():
        section, _, key = setting.partition(".")
        old = getattr(getattr(cfg, section), key)
        new = relaxed(old)
        if new == old:
            continue
        res = score(
            graph,
            entities=ents,
            labels=run.labels,
            config=cfg.with_overrides({setting: new}),
            policy=_uncapped(policy),
        )
        hit = todo.join(
            res.entities.select(*_KEYS, "risk_score", pl.col("reasons").list.first().alias("_top")),
            on=_KEYS,
            how="inner",
        )
        queued = set(map(tuple, res.queue.select(_KEYS).rows()))
        for et, eid, risk, top in hit.rows():
            k = (et, eid)
            if k in found:
                continue
            verb = "queues" if k in queued else "scores"
            found[k] = (
                f"{setting} = {new} (now {old}) {verb} it: risk {risk:.1f}, strongest reason {top} ({det.get(top, '?')})"
            )
        log.info("relaxed %s = %s: %d of %d misses found", setting, new, len(found), todo.height)
    rel = pl.DataFrame(
        [{"entity_type": k[0], "entity_id": k[1], "_rel": v} for k, v in found.items()],
        schema={"entity_type": pl.String, "entity_id": pl.String, "_rel": pl.String},
    )
    return (
        frame.join(rel, on=_KEYS, how="left", maintain_order="left")
        .with_columns(pl.coalesce("_rel", "relaxed").alias("relaxed"))
        .drop("_rel")
    )
