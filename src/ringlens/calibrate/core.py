"""``calibrate``: everything the verdicts say, in one report (``ringlens calibrate``)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from ringlens.calibrate.health import HealthReport, health_report, write_health_page
from ringlens.calibrate.misses import MissReport, explain_misses
from ringlens.calibrate.policy import (
    PolicySuggestion,
    evaluate_policy,
    scored_population,
    suggest_policy,
)
from ringlens.calibrate.quality import QualityReport, judged_items, measure_quality
from ringlens.calibrate.runs import RunRecord, load_runs, write_text
from ringlens.calibrate.weights import WeightsReport, learn_weights
from ringlens.config import CalibrateSettings, Config
from ringlens.exceptions import ConfigError, InputError
from ringlens.pipeline.drift import DriftReport, input_drift
from ringlens.risk.policy import Policy

log = logging.getLogger(__name__)

__all__ = ["CalibrationReport", "calibrate", "compare_on_holdout", "run_health"]


@dataclass(frozen=True)
class CalibrationReport:
    """What :func:`calibrate` found.

    Attributes
    ----------
    runs : list of RunRecord
        The runs, oldest first.
    quality : QualityReport
    weights : WeightsReport or None
        None when weights could not be learnt (``skipped`` says why).
    suggestion : PolicySuggestion or None
    holdout : polars.DataFrame or None
        Precision at capacity on the held-out run for the four combinations of current /
        learned weights and current / suggested policy (see :func:`compare_on_holdout`).
    misses : MissReport or None
        With labels from other sources.
    drift : DriftReport or None
    health : HealthReport
    skipped : dict
        Part → why it was not done.
    """

    runs: Sequence[RunRecord]
    quality: QualityReport
    weights: WeightsReport | None
    suggestion: PolicySuggestion | None
    holdout: pl.DataFrame | None
    misses: MissReport | None
    drift: DriftReport | None
    health: HealthReport
    settings: Mapping[str, Any] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``calibration.json``)."""
        return {
            "runs": [{"run_id": r.run_id, "run_dir": str(r.run_dir)} for r in self.runs],
            "settings": dict(self.settings),
            "quality": self.quality.as_dict(),
            "weights": None if self.weights is None else self.weights.as_dict(),
            "policy": None if self.suggestion is None else self.suggestion.as_dict(),
            "holdout": None if self.holdout is None else self.holdout.to_dicts(),
            "misses": None if self.misses is None else self.misses.as_dict(),
            "health": self.health.as_dict(),
            "skipped": dict(self.skipped),
        }

    def write(self, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
        """Write the report into ``out_dir``: ``calibration.json``, ``precision.csv``,
        ``health.html``, ``policy.diff`` and ``policy.suggested.toml`` (when the policy
        would change), ``misses.csv`` (with labels) and ``weights.toml`` — the last only
        when the learned weights did better on the held-out runs."""
        from ringlens.export import write_csv

        out = Path(out_dir)
        files: dict[str, Path] = {}
        files["calibration.json"] = write_text(
            out / "calibration.json",
            json.dumps(_jsonable(self.as_dict()), indent=2, sort_keys=True, default=str) + "\n",
        )
        write_csv(self.quality.precision, out / "precision.csv")
        files["precision.csv"] = out / "precision.csv"
        files["health.html"] = write_health_page(out / "health.html", self.health)
        if self.suggestion is not None and self.suggestion.changed:
            files["policy.diff"] = write_text(out / "policy.diff", self.suggestion.diff())
            files["policy.suggested.toml"] = self.suggestion.write(out / "policy.suggested.toml")
        if self.misses is not None:
            write_csv(self.misses.misses, out / "misses.csv")
            files["misses.csv"] = out / "misses.csv"
        stale = out / "weights.toml"
        if self.weights is not None and self.weights.better:
            files["weights.toml"] = self.weights.write(stale)
        elif stale.is_file():
            stale.unlink()  # a weights file of an earlier calibration no longer holds
        return files


def _jsonable(obj: Any) -> Any:
    import math

    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def compare_on_holdout(
    runs: Sequence[RunRecord],
    judged: pl.DataFrame,
    *,
    weights: WeightsReport | None,
    policy: Policy,
    settings: CalibrateSettings,
    labels: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Precision at capacity on the latest run, for current and learned weights × current and
    suggested policy — the learned weights and the suggested policy both made from the
    earlier runs only. Columns: ``weights``, ``policy``, then :func:`queue_precision`'s."""
    held = runs[-1]
    train = runs[:-1]
    judged_train = judged.filter(pl.col("run_id").is_in([r.run_id for r in train]))
    learned = None
    if weights is not None and weights.holdouts:
        learned = dict(weights.holdouts[-1].weights)
    parts = []
    for wname, w in (("current", None), ("learned", learned)):
        if wname == "learned" and w is None:
            continue
        pop = scored_population(train, judged_train, w, labels=labels)
        sugg = suggest_policy(
            pop,
            policy,
            target=settings.target_precision,
            min_verdicts=settings.min_verdicts,
            queue_targets=dict(settings.queue_targets),
        )
        for pname, pol in (("current", policy), ("suggested", sugg.policy)):
            t = evaluate_policy(held, pol, judged, w or held.weights, labels=labels)
            parts.append(
                t.with_columns(pl.lit(wname).alias("weights"), pl.lit(pname).alias("policy"))
            )
    return pl.concat(parts, how="vertical_relaxed").select(
        "weights", "policy", pl.exclude("weights", "policy")
    )


def calibrate(
    run_dirs: Sequence[str | os.PathLike[str]],
    *,
    items: pl.DataFrame,
    history: pl.DataFrame | None = None,
    queue_runs: pl.DataFrame | None = None,
    labels: pl.DataFrame | None = None,
    policy: Policy | None = None,
    config: Config | None = None,
    relax: bool = False,
) -> CalibrationReport:
    """Measure, learn and suggest from reviewers' verdicts over a series of runs.

    Parameters
    ----------
    run_dirs
        Run folders (each written by ``ringlens score``); ordered by their first upsert in
        ``queue_runs`` when every run is there, else as given (oldest first).
    items
        The queue items (``QueueStore.read()``).
    history
        The verdict history (``QueueStore.history()``; None or an empty frame of
        :data:`~ringlens.calibrate.verdicts.HISTORY_SCHEMA` without an audit table).
    queue_runs
        The database's run log (``QueueStore.runs()``): run order and the backlog.
    labels
        Entities confirmed or cleared by other means (recall, misses, held-out labels).
    policy
        The policy to calibrate (default: the latest run's).
    config
        Settings; ``[calibrate]`` is read (default: the built-in values).
    relax
        Find the settings that stopped missed entities by scoring the latest run's events
        again (see :func:`~ringlens.calibrate.misses.explain_misses`).
    """
    cs = (config or Config()).calibrate
    runs = load_runs(run_dirs, policy=policy, queue_runs=queue_runs)
    pol = _policy_of(runs, policy)
    skipped: dict[str, str] = {}
    quality = measure_quality(items, history, runs, labels=labels, min_verdicts=cs.min_verdicts)
    judged = judged_items(items, history, runs)
    weights = _attempt(
        skipped,
        "weights",
        lambda: learn_weights(
            runs,
            judged,
            policy=pol,
            labels=labels,
            holdout=cs.holdout_runs,
            prior_sd=cs.prior_sd,
            min_gain=cs.min_gain,
        ),
    )
    use = dict(weights.learned) if weights is not None and weights.better else None
    suggestion = _attempt(
        skipped,
        "policy",
        lambda: suggest_policy(
            scored_population(runs, judged, use, labels=labels),
            pol,
            target=cs.target_precision,
            min_verdicts=cs.min_verdicts,
            queue_targets=dict(cs.queue_targets),
        ),
    )
    holdout = None
    if len(runs) >= 2:
        holdout = _attempt(
            skipped,
            "holdout",
            lambda: compare_on_holdout(
                runs, judged, weights=weights, policy=pol, settings=cs, labels=labels
            ),
        )
    else:
        skipped["holdout"] = "needs at least two runs"
    misses = None
    if labels is not None:
        misses = explain_misses(runs[-1], labels, policy=pol, relax=relax)
    else:
        skipped["misses"] = "no labels from other sources (--labels)"
    drift = _drift(runs, cs, skipped)
    health = health_report(
        runs,
        quality,
        items=items,
        history=history,
        queue_runs=queue_runs,
        policy=pol,
        drift=drift,
        min_verdicts=cs.min_verdicts,
    )
    return CalibrationReport(
        runs=runs,
        quality=quality,
        weights=weights,
        suggestion=suggestion,
        holdout=holdout,
        misses=misses,
        drift=drift,
        health=health,
        settings={**cs.to_dict(), "policy": pol.source, "relax": relax},
        skipped=skipped,
    )


T = TypeVar("T")


def _attempt(skipped: dict[str, str], part: str, fn: Callable[[], T]) -> T | None:
    """``fn()``, or None with the reason in ``skipped`` when the data cannot support it."""
    try:
        return fn()
    except ConfigError as exc:
        skipped[part] = str(exc)
        return None


def _policy_of(runs: Sequence[RunRecord], policy: Policy | None) -> Policy:
    pol = policy or runs[-1].policy
    if pol is None:
        raise ConfigError(
            f"the latest run {runs[-1].run_id} names a policy that cannot be read "
            f"({(runs[-1].report.get('policy') or {}).get('source')!r}): pass --policy"
        )
    return pol


def _drift(
    runs: Sequence[RunRecord], cs: CalibrateSettings, skipped: dict[str, str]
) -> DriftReport | None:
    """Input drift of the latest run against the others (None with fewer than two runs or
    without profiles)."""
    if len(runs) < 2:
        skipped["drift"] = "needs at least two runs"
        return None
    try:
        return input_drift(
            runs[-1].run_dir,
            [r.run_dir for r in runs[:-1]],
            drop=cs.drift_drop,
            min_events=cs.drift_min_events,
        )
    except InputError as exc:
        skipped["drift"] = str(exc)
        return None


def run_health(
    run_dirs: Sequence[str | os.PathLike[str]],
    *,
    items: pl.DataFrame,
    history: pl.DataFrame | None = None,
    queue_runs: pl.DataFrame | None = None,
    policy: Policy | None = None,
    config: Config | None = None,
) -> HealthReport:
    """The health dashboard's data for a series of runs (oldest first), without learning
    anything: precision over runs, queue volume against capacity, the verdict backlog and the
    latest run's input drift. Write it with :func:`~ringlens.calibrate.health.write_health_page`.
    """
    cs = (config or Config()).calibrate
    runs = load_runs(run_dirs, policy=policy, queue_runs=queue_runs)
    quality = measure_quality(items, history, runs, min_verdicts=cs.min_verdicts)
    return health_report(
        runs,
        quality,
        items=items,
        history=history,
        queue_runs=queue_runs,
        policy=policy or runs[-1].policy,
        drift=_drift(runs, cs, {}),
        min_verdicts=cs.min_verdicts,
    )
