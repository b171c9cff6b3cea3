"""Reason weights learnt from verdicts, validated on later runs before anything is written.

**Signals from a run folder.** ``entities.parquet`` and ``rings.parquet`` keep each
account's and ring's reasons with their contributions (risk points). Since
``risk = 100 (1 − e^(−Σp/100))`` and a contribution is ``risk · p / Σp``, the raw points
``p`` and so the strengths ``p / weight`` come back exactly (to the files' rounding):
:func:`run_signals` recovers every signal a run scored with, and :func:`rescore` scores the
run again with other weights — rings first (their risk is the ``ring_member`` strength of
their members), then accounts — without reading the events again. (A reason whose weight
was 0 in the run left no contribution, so its strength cannot be recovered; nor can the
structural and lockstep reasons a ``structure_alone`` ring and its members counted once,
but the strongest: :func:`ringlens.risk.model.structure_once`.)

**The model.** :class:`VerdictWeights` reads the risk formula as a probability: an item
with raw points ``Σ wᵢ xᵢ`` is confirmed with probability ``1 − exp(−Σ wᵢ xᵢ / 100)`` —
each reason is an independent cause that on its own convinces a reviewer with probability
``1 − exp(−wᵢ xᵢ / 100)``, the noisy-OR of Pearl (*Probabilistic Reasoning in Intelligent
Systems*, 1988, §4.3.2). The weights are fitted by maximum likelihood with ``wᵢ ≥ 0`` and a
Gaussian prior centred on the current weights (``prior_sd`` points), so a reason with few
verdicts stays where it was; the negative log-likelihood is convex in ``w``. Risk so learnt
is calibrated: items at risk 80 are confirmed about 80 % of the time.

**Validation.** :func:`learn_weights` trains on the verdicts of earlier runs and scores
the latest run(s) it holds out, never training on an entity that the held-out run scores;
it compares the queues (the policy applied to the risk, each queue cut at its capacity)
under the learned and the current weights on that run's labelled items, and reports the
new weights as better only when precision rises by ``min_gain`` and beyond the noise (the
learned precision's 95 % Wilson interval lies above the current precision), and at least
half of the learned queue carries a verdict or label (items no reviewer saw cannot count
for or against). :meth:`WeightsReport.write` refuses to write a weights file otherwise.

**Training rows.** Verdicts only cover what a run queued. Fitted on verdicts alone, a
reason common among queued abusers (a new account) would be lifted for every organic new
account no reviewer has seen. So each run also contributes the entities it scored but did
not queue, and nobody labelled, as presumed cleared (``unqueued_weight``); entities
confirmed or cleared by other means (``labels``) count with their label.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import minimize

from ringlens.calibrate.quality import rate_row, wilson_exprs
from ringlens.calibrate.runs import RunRecord, write_text
from ringlens.exceptions import ConfigError, check_float, check_int
from ringlens.risk.model import DEFAULT_WEIGHTS, combine, resolve_weights
from ringlens.risk.policy import Policy, apply_policy

log = logging.getLogger(__name__)

__all__ = [
    "RunSignals",
    "VerdictWeights",
    "WeightsReport",
    "entity_labels",
    "feature_frame",
    "learn_weights",
    "queue_precision",
    "rescore",
    "run_signals",
]

#: The entity reason that carries the ring's risk.
RING_MEMBER = "ring_member"
_KEYS = ["entity_type", "entity_id"]
_SIG = pl.Schema({"key": pl.String(), "reason": pl.String(), "strength": pl.Float64()})


@dataclass(frozen=True)
class RunSignals:
    """A run's signals recovered from its files (see :func:`run_signals`).

    Attributes
    ----------
    entity : polars.DataFrame
        ``key, reason, strength`` of the accounts' own reasons (not ``ring_member``).
    ring : polars.DataFrame
        ``ring_id, reason, strength`` of the rings' reasons.
    entities : polars.DataFrame
        ``key, entity_type, entity_id, ring_id, market`` (+ ``display_name``) of every
        scored entity.
    rings : polars.DataFrame
        ``ring_id, pattern`` (+ ``market``) of every ring.
    weights : dict
        The weights the run scored with.
    """

    run_id: str
    entity: pl.DataFrame
    ring: pl.DataFrame
    entities: pl.DataFrame
    rings: pl.DataFrame
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


def _strengths(frame: pl.DataFrame, by: str, weights: Mapping[str, float]) -> pl.DataFrame:
    """(by, reason, strength) from reasons / contributions lists and the risk."""
    w = pl.DataFrame(
        {"reason": list(weights), "_w": [float(v) for v in weights.values()]},
        schema={"reason": pl.String, "_w": pl.Float64},
    )
    risk = pl.col("risk_score").clip(0.0, 99.9999)
    total = -100.0 * (1.0 - risk / 100.0).log()
    return (
        frame.filter(pl.col("risk_score") > 0)
        .select(by, "risk_score", total.alias("_t"), "reasons", "contributions")
        .explode("reasons", "contributions")
        .drop_nulls("reasons")
        .rename({"reasons": "reason"})
        .join(w, on="reason", how="inner")
        .filter(pl.col("_w") > 0)
        .select(
            by,
            "reason",
            (pl.col("contributions") * pl.col("_t") / pl.col("risk_score") / pl.col("_w"))
            .clip(0.0, 1.0)
            .alias("strength"),
        )
    )


def run_signals(run: RunRecord) -> RunSignals:
    """Recover a run's entity and ring signals from its ``entities.parquet`` and
    ``rings.parquet`` and the weights it scored with (see the module docstring)."""
    ent = _strengths(run.entities, "key", run.weights).filter(pl.col("reason") != RING_MEMBER)
    ring = _strengths(run.rings, "ring_id", run.weights)
    keep = [
        c
        for c in ("key", "entity_type", "entity_id", "ring_id", "market", "display_name")
        if c in run.entities.columns
    ]
    ring_cols = [c for c in ("ring_id", "pattern", "market") if c in run.rings.columns]
    return RunSignals(
        run_id=run.run_id,
        entity=ent.cast(_SIG).sort("key", "reason"),
        ring=ring.cast(
            pl.Schema({"ring_id": pl.String(), "reason": pl.String(), "strength": pl.Float64()})
        ),
        entities=run.entities.select(keep),
        rings=run.rings.select(ring_cols),
        weights=dict(run.weights),
    )


def rescore(signals: RunSignals, weights: Mapping[str, float]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Score a run again with ``weights``: ``(entities, rings)`` shaped like the run's files
    (``risk_score``, ``reasons``, ``contributions``; entities sorted riskiest first).

    With the weights the run used, the risks are the run's own (to the files' rounding).
    """
    w = resolve_weights(weights)
    rings = signals.rings.join(
        combine(signals.ring, w, by="ring_id"), on="ring_id", how="left"
    ).with_columns(pl.col("risk_score").fill_null(0.0))
    member = (
        signals.entities.select("key", "ring_id")
        .drop_nulls("ring_id")
        .join(rings.select("ring_id", "risk_score"), on="ring_id")
        .select(
            "key",
            pl.lit(RING_MEMBER).alias("reason"),
            (pl.col("risk_score") / 100.0).alias("strength"),
        )
    )
    sig = pl.concat([signals.entity, member.cast(_SIG)])
    scored = combine(sig, w, by="key")
    ents = (
        signals.entities.join(scored, on="key", how="left")
        .with_columns(
            pl.col("risk_score").fill_null(0.0),
            pl.col("reasons").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("contributions").fill_null(pl.lit([], dtype=pl.List(pl.Float64))),
        )
        .sort(["risk_score", "key"], descending=[True, False])
    )
    return ents, rings.sort(["risk_score", "ring_id"], descending=[True, False])


def feature_frame(signals: RunSignals, reasons: Sequence[str]) -> pl.DataFrame:
    """Wide ``key`` × reason strength table (zeros where absent) of every scored entity,
    ``ring_member`` being the ring's risk under the run's own ring weights."""
    ring_risk = combine(signals.ring, signals.weights, by="ring_id").select("ring_id", "risk_score")
    member = (
        signals.entities.select("key", "ring_id")
        .drop_nulls("ring_id")
        .join(ring_risk, on="ring_id")
        .select(
            "key",
            pl.lit(RING_MEMBER).alias("reason"),
            (pl.col("risk_score") / 100.0).alias("strength"),
        )
    )
    long = pl.concat([signals.entity, member.cast(_SIG)]).filter(pl.col("reason").is_in(reasons))
    base = signals.entities.select("key", *_KEYS)
    if long.height == 0:
        return base.with_columns([pl.lit(0.0).alias(r) for r in reasons])
    wide = long.pivot(on="reason", index="key", values="strength", aggregate_function="max")
    out = base.join(wide, on="key", how="left")
    for r in reasons:
        if r not in out.columns:
            out = out.with_columns(pl.lit(0.0).alias(r))
    return out.select("key", *_KEYS, *[pl.col(r).fill_null(0.0) for r in reasons])


class VerdictWeights:
    """Reason weights that make the risk a probability of a reviewer's confirmation.

    ``P(confirmed | x) = 1 − exp(−Σ wᵢ xᵢ / 100)`` (noisy-OR; see the module docstring),
    fitted by maximum likelihood with ``0 ≤ wᵢ ≤ max_weight`` and a Gaussian prior of
    standard deviation ``prior_sd`` points around ``prior`` (the current weights).

    Parameters
    ----------
    prior
        Reason → current weight (default: the built-in weights).
    prior_sd
        How far (points) the verdicts may pull a weight before the prior resists.
    max_weight
        Upper bound of a weight.

    Attributes
    ----------
    weights_ : dict
        Reason → learnt weight (points per unit strength).
    n_ : int
        Verdicts fitted.
    loglik_ : float
        Log-likelihood of the verdicts under the fitted weights.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(0)
    >>> X = pl.DataFrame({"good": rng.random(2000), "noise": rng.random(2000)})
    >>> p = 1 - np.exp(-X["good"].to_numpy() * 150 / 100)
    >>> y = (rng.random(2000) < p).astype(int)
    >>> m = VerdictWeights(prior={"good": 40.0, "noise": 40.0}, prior_sd=100).fit(X, y)
    >>> round(m.weights_["good"] / 10) * 10, m.weights_["noise"] < 15
    (150, True)
    """

    def __init__(
        self,
        *,
        prior: Mapping[str, float] | None = None,
        prior_sd: float = 15.0,
        max_weight: float = 300.0,
    ) -> None:
        self.prior = prior
        self.prior_sd = prior_sd
        self.max_weight = max_weight

    def fit(
        self,
        X: pl.DataFrame,
        y: np.ndarray | pl.Series | Sequence[int],
        *,
        sample_weight: np.ndarray | pl.Series | Sequence[float] | None = None,
    ) -> VerdictWeights:
        sd = check_float("prior_sd", self.prior_sd, low=0.0, low_open=True)
        hi = check_float("max_weight", self.max_weight, low=0.0, low_open=True)
        yv = np.asarray(y, dtype=np.float64)
        if X.height != len(yv):
            raise ConfigError(f"VerdictWeights.fit: X has {X.height} rows but y has {len(yv)}")
        sw = (
            np.ones(len(yv))
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float64)
        )
        if len(sw) != len(yv) or not np.all(np.isfinite(sw)) or (sw < 0).any():
            raise ConfigError(
                "VerdictWeights.fit: sample_weight must be one finite weight >= 0 per row"
            )
        if X.height == 0:
            raise ConfigError("VerdictWeights.fit: no verdicts to learn from")
        feats = list(X.columns)
        prior = dict(DEFAULT_WEIGHTS)
        prior.update(self.prior or {})
        w0 = np.array([float(prior.get(f, 0.0)) for f in feats])
        A = X.to_numpy().astype(np.float64) / 100.0

        def nll(w: np.ndarray) -> tuple[float, np.ndarray]:
            eta = np.maximum(A @ w, 1e-9)
            ll = sw * (yv * np.log(-np.expm1(-eta)) - (1.0 - yv) * eta)
            g_eta = sw * ((1.0 - yv) - yv / np.expm1(eta))
            pen = ((w - w0) ** 2).sum() / (2 * sd * sd)
            grad = A.T @ g_eta + (w - w0) / (sd * sd)
            return float(-ll.sum() + pen), grad

        res = minimize(
            nll,
            np.clip(w0, 0.0, hi),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, hi)] * len(feats),
            options={"maxiter": 500},
        )
        w = np.clip(res.x, 0.0, hi)
        self.features_ = feats
        self.weights_ = {f: float(round(v, 1)) for f, v in zip(feats, w, strict=True)}
        self.n_ = int(len(yv))
        eta = np.maximum(A @ w, 1e-9)
        self.loglik_ = float((sw * (yv * np.log(-np.expm1(-eta)) - (1.0 - yv) * eta)).sum())
        return self

    def predict(self, X: pl.DataFrame) -> np.ndarray:
        """Risk 0–100 (the probability of ``confirmed`` × 100)."""
        A = X.select(self.features_).to_numpy().astype(np.float64)
        w = np.array([self.weights_[f] for f in self.features_])
        return 100.0 * -np.expm1(-(A @ w) / 100.0)


def entity_labels(
    judged: pl.DataFrame, run_id: str, *, labels: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One label per entity for evaluating ``run_id``: its verdict in that run, else a
    label from ``labels`` (other sources), else its latest verdict in an earlier run."""
    v = judged.filter(pl.col("run_id").is_not_null()).sort(
        ["decided_at"], nulls_last=False, maintain_order=True
    )
    here = (
        v.filter(pl.col("run_id") == run_id)
        .group_by(_KEYS)
        .agg((pl.col("label") == "confirmed").any().alias("_c"))
        .select(
            *_KEYS,
            pl.when("_c").then(pl.lit("confirmed")).otherwise(pl.lit("cleared")).alias("label"),
            pl.lit(0).alias("_p"),
        )
    )
    parts = [here]
    if labels is not None and labels.height:
        parts.append(labels.select(*_KEYS, pl.col("label").cast(pl.String), pl.lit(1).alias("_p")))
    before = (
        v.group_by(_KEYS, maintain_order=True).last().select(*_KEYS, "label", pl.lit(2).alias("_p"))
    )
    parts.append(before)
    return (
        pl.concat(parts, how="vertical_relaxed")
        .sort("_p")
        .group_by(_KEYS, maintain_order=True)
        .first()
        .drop("_p")
    )


def queue_precision(
    queue: pl.DataFrame, labels: pl.DataFrame, capacities: Mapping[str, int]
) -> pl.DataFrame:
    """Per queue (and ``(all)``): items at capacity, labelled items, confirmed,
    ``precision`` among labelled items with its Wilson interval, ``coverage`` (labelled
    share) and ``precision_floor`` (unlabelled items counted as not confirmed)."""
    q = queue.select("queue", *_KEYS).join(labels, on=_KEYS, how="left")
    aggs = [
        pl.len().cast(pl.Int64).alias("items"),
        pl.col("label").is_not_null().sum().cast(pl.Int64).alias("labelled"),
        (pl.col("label") == "confirmed").sum().cast(pl.Int64).alias("confirmed"),
    ]
    per = q.group_by("queue").agg(aggs)
    allq = q.select(pl.lit("(all)").alias("queue"), *aggs)
    caps = pl.DataFrame(
        {"queue": list(capacities), "capacity": [int(v) for v in capacities.values()]},
        schema={"queue": pl.String, "capacity": pl.Int64},
    )
    full = caps.select("queue").join(per, on="queue", how="full", coalesce=True)
    out = pl.concat([allq, full.fill_null(0).sort("queue")], how="vertical_relaxed")
    return (
        out.join(caps, on="queue", how="left")
        .with_columns(wilson_exprs("confirmed", "labelled"))
        .rename({"rate": "precision"})
        .with_columns(
            pl.when(pl.col("items") > 0)
            .then(pl.col("labelled") / pl.col("items"))
            .alias("coverage"),
            pl.when(pl.col("items") > 0)
            .then(pl.col("confirmed") / pl.col("items"))
            .alias("precision_floor"),
        )
    )


@dataclass(frozen=True)
class Holdout:
    """One held-out run: the queues under the current and the learned weights."""

    run_id: str
    trained_on: tuple[str, ...]
    training_verdicts: int
    excluded_entities: int
    weights: Mapping[str, float]
    current: pl.DataFrame
    learned: pl.DataFrame
    #: the rows the weights were fitted on: ``run_id, entity_type, entity_id, source, y``
    training: pl.DataFrame = field(default_factory=pl.DataFrame)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "trained_on": list(self.trained_on),
            "training_verdicts": self.training_verdicts,
            "excluded_entities": self.excluded_entities,
            "weights": dict(self.weights),
            "current": self.current.to_dicts(),
            "learned": self.learned.to_dicts(),
        }


@dataclass(frozen=True)
class WeightsReport:
    """Learnt weights, their validation on held-out runs, and the decision.

    Attributes
    ----------
    current, learned : dict
        Reason → weight now, and learnt from every run's verdicts.
    changes : polars.DataFrame
        Per reason: ``current``, ``learned``, ``delta``, ``n`` (verdicts on items
        carrying it), ``confirmed``, ``precision``, ``lo``, ``hi``, ``explanation``.
    holdouts : list of Holdout
        Time-ordered validation, one per held-out run.
    better : bool
        Precision at capacity on the held-out runs (labelled items, pooled) rose by at
        least ``min_gain`` and beyond the noise (the learned precision's 95 % Wilson
        interval lies above the current precision), with at least half of the learned
        queue labelled.
    verdict : str
        The decision in words.
    """

    current: Mapping[str, float]
    learned: Mapping[str, float]
    changes: pl.DataFrame
    holdouts: Sequence[Holdout]
    better: bool
    verdict: str
    summary: Mapping[str, Any] = field(default_factory=dict)

    def explanations(self) -> list[str]:
        """One sentence per reason whose weight changed (then the unchanged ones)."""
        return self.changes["explanation"].to_list()

    def as_dict(self) -> dict[str, Any]:
        return {
            "current": dict(self.current),
            "learned": dict(self.learned),
            "better": self.better,
            "verdict": self.verdict,
            "summary": dict(self.summary),
            "changes": self.changes.to_dicts(),
            "holdouts": [h.as_dict() for h in self.holdouts],
        }

    def toml(self) -> str:
        """The weights file: ``[score.weights]`` with one commented line per changed reason."""
        lines = [
            "# Reason weights learnt by `ringlens calibrate` from reviewers' verdicts.",
            f"# {self.verdict}",
            "# Use them: merge [score.weights] into ringlens.toml, or pass this file with --config.",
            "[score.weights]",
        ]
        for row in self.changes.iter_rows(named=True):
            if abs(row["delta"]) < 0.05:
                continue
            lines.append(
                f"{json.dumps(row['reason'])} = {row['learned']:g}  # {_ascii(row['explanation'])}"
            )
        return "\n".join(lines) + "\n"

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`toml` to ``path`` — only when :attr:`better`; otherwise a
        :class:`~ringlens.exceptions.ConfigError` saying why nothing was written."""
        if not self.better:
            raise ConfigError(f"weights not written: {self.verdict}")
        return write_text(path, self.toml())


def _ascii(text: str) -> str:
    """A comment-safe single line (no newline can end the TOML comment)."""
    return json.dumps(text)[1:-1]


def _reasons(runs: Sequence[RunRecord]) -> list[str]:
    """Entity reasons the runs' weights know (ring-only reasons are left to the rings)."""
    ring_only = set()
    for r in runs:
        ring_only |= set(
            r.rings.select(pl.col("reasons").explode()).drop_nulls().to_series().to_list()
        )
    ent = set()
    for r in runs:
        ent |= set(
            r.entities.select(pl.col("reasons").explode()).drop_nulls().to_series().to_list()
        )
    known = set(DEFAULT_WEIGHTS)
    return sorted((ent & known) | {RING_MEMBER})


def _training_rows(
    judged: pl.DataFrame,
    features: Mapping[str, pl.DataFrame],
    runs: Sequence[RunRecord],
    exclude: pl.DataFrame | None,
    *,
    labels: pl.DataFrame | None = None,
    unqueued_weight: float = 1.0,
) -> pl.DataFrame:
    """Rows to fit: ``y`` (1 confirmed), ``w`` (sample weight), ``source``.

    Per run: entities with a verdict in that run (``source = verdict``); else a label from
    other sources (``label``); else, when the run did not queue them, presumed cleared with
    weight ``unqueued_weight`` (``unqueued``) — verdicts only cover what was queued, and
    without these rows the learnt weights would lift accounts no reviewer has seen. Queued
    entities nobody judged are left out.
    """
    parts = []
    ext = (
        labels.select(*_KEYS, (pl.col("label") == "confirmed").cast(pl.Int64).alias("_yl")).unique(
            subset=_KEYS, keep="last"
        )
        if labels is not None and labels.height
        else pl.DataFrame(
            schema={"entity_type": pl.String, "entity_id": pl.String, "_yl": pl.Int64}
        )
    )
    for run in runs:
        rid = run.run_id
        lab = (
            judged.filter(pl.col("run_id") == rid)
            .group_by(_KEYS)
            .agg((pl.col("label") == "confirmed").any().cast(pl.Int64).alias("_yv"))
        )
        queued = run.queue.select(*_KEYS).unique().with_columns(pl.lit(True).alias("_q"))
        f = (
            features[rid]
            .join(lab, on=_KEYS, how="left")
            .join(ext, on=_KEYS, how="left")
            .join(queued, on=_KEYS, how="left")
            .with_columns(
                pl.when(pl.col("_yv").is_not_null())
                .then(pl.lit("verdict"))
                .when(pl.col("_yl").is_not_null())
                .then(pl.lit("label"))
                .when(pl.col("_q").is_null())
                .then(pl.lit("unqueued"))
                .alias("source")
            )
            .filter(pl.col("source").is_not_null())
            .with_columns(
                pl.coalesce("_yv", "_yl", pl.lit(0, dtype=pl.Int64)).alias("y"),
                pl.when(pl.col("source") == "unqueued")
                .then(pl.lit(float(unqueued_weight)))
                .otherwise(pl.lit(1.0))
                .alias("w"),
                pl.lit(rid).alias("run_id"),
            )
            .drop("_yv", "_yl", "_q")
            .filter(pl.col("w") > 0)
        )
        if exclude is not None:
            f = f.join(exclude, on=_KEYS, how="anti")
        parts.append(f)
    return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()


def _queue_for(
    sig: RunSignals,
    weights: Mapping[str, float],
    policy: Policy,
    run: RunRecord,
) -> pl.DataFrame:
    ents, rings = rescore(sig, weights)
    queue, _ = apply_policy(ents, rings, policy, run_id=run.run_id, labels=run.labels)
    return queue


def _explain(reason: str, cur: float, new: float, n: int, k: int, unqueued: int = 0) -> str:
    d = new - cur
    row = rate_row(k, n)
    if n == 0:
        stat = "no verdicts on items with it"
    else:
        lo, hi = row["lo"] or 0.0, row["hi"] or 0.0
        stat = (
            f"{k} of {n} verdicts on items with it confirmed "
            f"({100 * k / n:.0f} %, 95 % CI {100 * lo:.0f}–{100 * hi:.0f} %)"
        )
    if unqueued:
        stat += f"; {unqueued:,} accounts scored but not queued carry it (counted as cleared)"
    if abs(d) < 0.05:
        return f"`{reason}` unchanged at {cur:g} points: {stat}"
    sign = "+" if d > 0 else "−"
    return f"`{reason}` {sign}{abs(d):.1f} points ({cur:g} → {new:g}): {stat}"


def learn_weights(
    runs: Sequence[RunRecord],
    judged: pl.DataFrame,
    *,
    policy: Policy | None = None,
    labels: pl.DataFrame | None = None,
    holdout: int = 1,
    prior_sd: float = 15.0,
    min_gain: float = 0.02,
    unqueued_weight: float = 1.0,
) -> WeightsReport:
    """Learn reason weights from verdicts and validate them in time order.

    Parameters
    ----------
    runs
        Run folders, oldest first (:func:`~ringlens.calibrate.runs.load_runs`).
    judged
        :func:`~ringlens.calibrate.quality.judged_items`: the last verdict per item and run.
    policy
        The policy that turns risk into queues (default: each run's own).
    labels
        Labels from other sources, used (with the held-out run's verdicts) to judge the
        held-out queues.
    holdout
        The latest ``holdout`` runs are each held out in turn: the weights are learnt from
        the runs before it, without any entity the held-out run scored.
    prior_sd
        See :class:`VerdictWeights`.
    min_gain
        Smallest rise of precision at capacity (labelled items, pooled over the held-out
        runs) that counts as better.
    unqueued_weight
        Weight of the scored entities a run did not queue and nobody labelled, fitted as
        cleared (0 leaves them out; see the module docstring).

    Raises
    ------
    ConfigError
        Fewer than ``holdout + 1`` runs, or a held-out run without verdicts to train on.
    """
    h = check_int("holdout", holdout, 1)
    gain = check_float("min_gain", min_gain, low=0.0, high=1.0)
    check_float("unqueued_weight", unqueued_weight, low=0.0, high=1.0)
    assert h is not None
    if len(runs) < h + 1:
        raise ConfigError(
            f"learning weights needs at least {h + 1} runs (holdout = {h}), got {len(runs)}"
        )
    current = dict(runs[-1].weights)
    reasons = _reasons(runs)
    sigs = {r.run_id: run_signals(r) for r in runs}
    feats = {rid: feature_frame(s, reasons) for rid, s in sigs.items()}
    ids = [r.run_id for r in runs]
    holdouts = []
    for i in range(len(runs) - h, len(runs)):
        run = runs[i]
        exclude = feats[run.run_id].select(_KEYS)
        train = _training_rows(
            judged, feats, runs[:i], exclude, labels=labels, unqueued_weight=unqueued_weight
        )
        if train.height == 0 or train["y"].n_unique() < 2:
            raise ConfigError(
                f"cannot learn weights for held-out run {run.run_id}: the runs before it have "
                f"{train.height} usable verdicts (need both confirmed and cleared ones)"
            )
        model = VerdictWeights(prior=current, prior_sd=prior_sd).fit(
            train.select(reasons), train["y"], sample_weight=train["w"]
        )
        learned = {**current, **model.weights_}
        pol = policy or run.policy
        if pol is None:
            raise ConfigError(
                f"run {run.run_id}: its policy is not readable (pass the policy to calibrate)"
            )
        lab = entity_labels(judged, run.run_id, labels=labels)
        caps = dict(pol.queues)
        cur_q = queue_precision(_queue_for(sigs[run.run_id], run.weights, pol, run), lab, caps)
        new_q = queue_precision(_queue_for(sigs[run.run_id], learned, pol, run), lab, caps)
        holdouts.append(
            Holdout(
                run_id=run.run_id,
                trained_on=tuple(ids[:i]),
                training_verdicts=train.height,
                excluded_entities=exclude.height,
                weights=learned,
                current=cur_q,
                learned=new_q,
                training=train.select("run_id", *_KEYS, "source", "y"),
            )
        )
    every = _training_rows(
        judged, feats, runs, None, labels=labels, unqueued_weight=unqueued_weight
    )
    if every.height == 0 or every["y"].n_unique() < 2:
        raise ConfigError("cannot learn weights: need both confirmed and cleared verdicts")
    final = VerdictWeights(prior=current, prior_sd=prior_sd).fit(
        every.select(reasons), every["y"], sample_weight=every["w"]
    )
    learned_all = {**current, **final.weights_}
    changes = _changes(every, reasons, current, learned_all)
    counts = dict(every.group_by("source").len().sort("source").iter_rows())
    better, verdict, summary = _decide(holdouts, gain)
    return WeightsReport(
        current=current,
        learned=learned_all,
        changes=changes,
        holdouts=holdouts,
        better=better,
        verdict=verdict,
        summary={**summary, "training_rows": counts, "reasons": reasons},
    )


def _changes(
    rows: pl.DataFrame,
    reasons: Sequence[str],
    current: Mapping[str, float],
    learned: Mapping[str, float],
) -> pl.DataFrame:
    recs = []
    verdicts = rows.filter(pl.col("source") == "verdict")
    unq = rows.filter(pl.col("source") == "unqueued")
    for r in reasons:
        has = verdicts.filter(pl.col(r) > 0)
        u = unq.filter(pl.col(r) > 0).height
        n, k = has.height, int(has["y"].sum()) if has.height else 0
        cur, new = float(current.get(r, 0.0)), float(learned.get(r, 0.0))
        row = rate_row(k, n)
        recs.append(
            {
                "reason": r,
                "current": cur,
                "learned": new,
                "delta": round(new - cur, 1),
                "n": n,
                "confirmed": k,
                "precision": row["rate"],
                "lo": row["lo"],
                "hi": row["hi"],
                "explanation": _explain(r, cur, new, n, k, u),
            }
        )
    df = pl.DataFrame(
        recs,
        schema={
            "reason": pl.String,
            "current": pl.Float64,
            "learned": pl.Float64,
            "delta": pl.Float64,
            "n": pl.Int64,
            "confirmed": pl.Int64,
            "precision": pl.Float64,
            "lo": pl.Float64,
            "hi": pl.Float64,
            "explanation": pl.String,
        },
    )
    return df.sort(pl.col("delta").abs(), "reason", descending=[True, False])


def _pooled(tables: Sequence[pl.DataFrame]) -> dict[str, float]:
    tot = {"items": 0, "labelled": 0, "confirmed": 0}
    for t in tables:
        row = t.filter(pl.col("queue") == "(all)").row(0, named=True)
        for k in tot:
            tot[k] += int(row[k])
    prec = tot["confirmed"] / tot["labelled"] if tot["labelled"] else math.nan
    return {**tot, "precision": prec}


#: Share of the learned queue that must carry a label for its precision to count.
MIN_COVERAGE = 0.5


def _decide(holdouts: Sequence[Holdout], gain: float) -> tuple[bool, str, dict[str, Any]]:
    cur = _pooled([h.current for h in holdouts])
    new = _pooled([h.learned for h in holdouts])
    runs = ", ".join(h.run_id for h in holdouts)
    summary = {
        "held_out": [h.run_id for h in holdouts],
        "current": cur,
        "learned": new,
        "min_gain": gain,
        "min_coverage": MIN_COVERAGE,
    }

    def fmt(p: dict[str, float]) -> str:
        if math.isnan(p["precision"]):
            return f"no labelled items of {p['items']}"
        return (
            f"{p['precision']:.3f} ({p['confirmed']} of {p['labelled']} labelled items "
            f"confirmed, {p['items']} queued)"
        )

    head = (
        f"held-out run(s) {runs}: precision at capacity {fmt(cur)} with the current weights, "
        f"{fmt(new)} with the learned ones"
    )
    if math.isnan(new["precision"]) or math.isnan(cur["precision"]):
        return False, f"{head}; not enough labelled items to compare, nothing written", summary
    coverage = new["labelled"] / new["items"] if new["items"] else 0.0
    if coverage < MIN_COVERAGE:
        return (
            False,
            f"{head}; only {100 * coverage:.0f} % of the learned queue has a verdict or label, "
            "too few to tell, nothing written",
            summary,
        )
    d = new["precision"] - cur["precision"]
    if d < gain:
        return (
            False,
            f"{head}; a change of {d:+.3f} is below the required gain of {gain:g}, nothing written",
            summary,
        )
    lo = rate_row(int(new["confirmed"]), int(new["labelled"]))["lo"] or 0.0
    if lo <= cur["precision"]:
        return (
            False,
            f"{head}; the gain of {d:+.3f} is within the noise (the learned precision's 95 % "
            f"interval starts at {lo:.3f}, not above {cur['precision']:.3f}), nothing written",
            summary,
        )
    tail = ""
    if new["items"] < cur["items"]:
        tail = (
            f" (it queues {cur['items'] - new['items']} fewer items under the current policy: "
            "apply the suggested thresholds with the weights)"
        )
    return True, f"{head}; better by {d:+.3f}{tail}", summary
