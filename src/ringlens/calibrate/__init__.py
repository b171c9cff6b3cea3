"""Close the loop: reviewers' verdicts calibrate risk, policies and detection health.

=====================  ==================================================================
module                 what
=====================  ==================================================================
``verdicts``           the history frame (:data:`HISTORY_SCHEMA`) and the verdicts in it
``runs``               run folders as calibration reads them (:func:`load_runs`)
``quality``            precision with Wilson intervals, recall from labels, reviewer
                       agreement, time to verdict, ageing, re-opened dismissals
``weights``            reason weights learnt from verdicts, validated on later runs
``policy``             thresholds per pattern and market at a target precision within
                       capacity, as a policy diff
``misses``             root cause of confirmed entities a run did not queue
``drift``              input drift: events per action and market against previous runs
``health``             the health dashboard's data and page
``simulate``           simulated reviewers over a run, from synthetic truth
``core``               :func:`calibrate`: all of it in one report (``ringlens calibrate``)
=====================  ==================================================================

Every function takes frames and run folders: the queue items (``QueueStore.read()``),
the history (``QueueStore.history()``, or :func:`empty_history`), the database's run log
(``QueueStore.runs()``) and labels from other sources.
"""

from __future__ import annotations

from ringlens.calibrate.core import CalibrationReport, calibrate, compare_on_holdout, run_health
from ringlens.calibrate.health import HealthReport, health_report, write_health_page
from ringlens.calibrate.misses import MissReport, explain_misses
from ringlens.calibrate.policy import PolicySuggestion, scored_population, suggest_policy
from ringlens.calibrate.quality import (
    QualityReport,
    judged_items,
    measure_quality,
    precision_table,
    wilson_interval,
)
from ringlens.calibrate.runs import RunRecord, load_run, load_runs
from ringlens.calibrate.simulate import SimulatedReview, simulate_reviewers
from ringlens.calibrate.verdicts import HISTORY_SCHEMA, empty_history, verdict_events
from ringlens.calibrate.weights import VerdictWeights, WeightsReport, learn_weights, rescore
from ringlens.pipeline.drift import DriftReport, input_drift, input_profile

__all__ = [
    "HISTORY_SCHEMA",
    "CalibrationReport",
    "DriftReport",
    "HealthReport",
    "MissReport",
    "PolicySuggestion",
    "QualityReport",
    "RunRecord",
    "SimulatedReview",
    "VerdictWeights",
    "WeightsReport",
    "calibrate",
    "compare_on_holdout",
    "empty_history",
    "explain_misses",
    "health_report",
    "input_drift",
    "input_profile",
    "judged_items",
    "learn_weights",
    "load_run",
    "load_runs",
    "measure_quality",
    "precision_table",
    "rescore",
    "run_health",
    "scored_population",
    "simulate_reviewers",
    "suggest_policy",
    "verdict_events",
    "wilson_interval",
    "write_health_page",
]
