"""Policy suggestions: per pattern and market, the lowest threshold that reaches a target
precision, within each queue's capacity — written as a diff of the policy file.

For each rule of the policy that sends entities to a queue, the entities that reach it
(its pattern, market and type conditions hold and no earlier rule took them) are split into
segments by pattern and market. In a segment with at least ``min_verdicts`` labelled
entities, the suggested threshold is the lowest risk at which the labelled entities at or
above it are confirmed at least ``target`` of the time (a threshold lowered needs firm
evidence: the interval's lower end, and labels on at least half of the entities it
adds). Then each queue's demand (entities per run that the suggested policy sends to it,
averaged over the runs) is checked against its capacity; a queue over capacity gets a higher target until it fits. Segments that never
reach the target leave the rule altogether.

The policy language decides by first match, so a segment rule goes just before the rule it
refines: ``min_risk`` lowered, or raised — then entities of the segment between the old and
the new threshold fall through to what the rules below the refined one would have done with
them (another queue, or ``action = "none"``: not queued). The new policy file is the old one
with those blocks inserted (comments and order kept), so the diff applies with ``patch``;
nothing is applied unless asked (``--write-policy``).
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ringlens.calibrate.quality import rate_row, wilson_exprs
from ringlens.calibrate.runs import RunRecord, write_text
from ringlens.calibrate.weights import (
    MIN_COVERAGE,
    entity_labels,
    queue_precision,
    rescore,
    run_signals,
)
from ringlens.exceptions import ConfigError, check_float, check_int
from ringlens.risk.policy import NO_ACTION, Policy, Rule, apply_policy, parse_policy

log = logging.getLogger(__name__)

__all__ = [
    "PolicySuggestion",
    "evaluate_policy",
    "policy_text",
    "policy_toml",
    "scored_population",
    "suggest_policy",
]

_KEYS = ["entity_type", "entity_id"]
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*rules[ \t]*\]\][ \t]*(#.*)?$", re.MULTILINE)
#: Thresholds closer than this to the current one (points) are left alone.
MIN_CHANGE = 1.0
#: A segment's status when its labels alone would lower its threshold but too few of the
#: entities a lower threshold adds carry one (:func:`_threshold`'s ``coverage``).
UNLABELLED = "too few labels below"


def policy_text(policy: Policy) -> str | None:
    """The TOML text a policy was read from (the shipped default or its file), else None."""
    if policy.source == "default policy":
        return resources.files("ringlens.risk").joinpath("default_policy.toml").read_text("utf-8")
    p = Path(policy.source)
    if p.is_file():
        try:
            return p.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    return None


def _q(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's (quotes, backslashes and control
    characters escaped; other characters as they are)."""
    return json.dumps(text, ensure_ascii=False)


def _rule_toml(rule: Rule, comment: str | None = None) -> str:
    lines = []
    if comment:
        lines.append("# " + json.dumps(comment, ensure_ascii=False)[1:-1])
    lines += ["[[rules]]", f"name = {_q(rule.name)}"]
    for key in ("pattern", "market", "entity_type"):
        vals = getattr(rule, key)
        if vals is not None:
            lines.append(f"{key} = [{', '.join(_q(v) for v in vals)}]")
    lines.append(f"min_risk = {rule.min_risk:g}")
    lines.append(f"action = {_q(rule.action)}")
    if rule.action != NO_ACTION or rule.queue:
        lines.append(f"queue = {_q(rule.queue)}")
    return "\n".join(lines) + "\n"


def policy_toml(policy: Policy) -> str:
    """A policy as TOML text (``parse_policy`` of it gives the same rules and queues).

    Examples
    --------
    >>> from ringlens.risk import load_policy
    >>> p = load_policy()
    >>> parse_policy(tomllib.loads(policy_toml(p))).rules == p.rules
    True
    """
    out = ["version = 1", ""]
    for name, cap in policy.queues.items():
        out += [f"[queues.{_q(name)}]", f"capacity = {cap}", ""]
    for r in policy.rules:
        out.append(_rule_toml(r))
    return "\n".join(out)


def scored_population(
    runs: Sequence[RunRecord],
    judged: pl.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    labels: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every scored entity of every run, scored with ``weights`` (default: each run's own):
    ``run_id``, ``entity_type``, ``entity_id``, ``risk_score``, ``pattern``, ``market``
    and ``label`` (the entity's verdict in that run, else from ``labels``, else an earlier
    verdict; null when unknown)."""
    parts = []
    for r in runs:
        ents, rings = rescore(run_signals(r), weights or r.weights)
        e = (
            ents.join(
                rings.select(
                    "ring_id",
                    "pattern",
                    (pl.col("market") if "market" in rings.columns else pl.lit(None, pl.String))
                    .cast(pl.String)
                    .alias("_rm"),
                ),
                on="ring_id",
                how="left",
            )
            .with_columns(
                pl.col("pattern").fill_null("other"),
                pl.coalesce(pl.col("market").cast(pl.String), "_rm").alias("market"),
            )
            .join(entity_labels(judged, r.run_id, labels=labels), on=_KEYS, how="left")
        )
        if r.labels is not None and r.labels.height:
            cleared = r.labels.filter(pl.col("label") == "cleared").select(_KEYS)
            e = e.join(cleared, on=_KEYS, how="anti")
        parts.append(
            e.select(
                pl.lit(r.run_id).alias("run_id"),
                *_KEYS,
                "risk_score",
                "pattern",
                "market",
                pl.col("label").cast(pl.String),
            )
        )
    return pl.concat(parts, how="vertical_relaxed")


def _matches(rule: Rule) -> pl.Expr:
    cond = pl.lit(True)
    if rule.pattern is not None:
        cond &= pl.col("pattern").is_in(list(rule.pattern))
    if rule.market is not None:
        cond &= pl.col("market").is_in(list(rule.market)).fill_null(False)
    if rule.entity_type is not None:
        cond &= pl.col("entity_type").is_in(list(rule.entity_type))
    return cond


def _first_rule(rules: Sequence[Rule]) -> pl.Expr:
    """Index of the first rule that matches (null: none)."""
    out = pl.lit(None, dtype=pl.Int64)
    for i in reversed(range(len(rules))):
        r = rules[i]
        out = (
            pl.when(_matches(r) & (pl.col("risk_score") >= r.min_risk))
            .then(pl.lit(i))
            .otherwise(out)
        )
    return out


def _threshold(
    seg: pl.DataFrame,
    target: float,
    min_n: int,
    *,
    current: float,
    coverage: float = MIN_COVERAGE,
) -> tuple[float | None, dict[str, Any]]:
    """Lowest risk at which the labelled entities at or above it reach ``target``.

    At or above the ``current`` threshold the precision itself must reach the target; below
    it (a threshold lowered: more entities queued) the lower end of its 95 % Wilson
    interval must, so that a queue grows only on firm evidence, and at least
    ``coverage`` (:data:`~ringlens.calibrate.weights.MIN_COVERAGE`) of the segment's
    entities between the new and the current threshold must carry a label: labels from
    other sources are mostly confirmed abusers, and the labelled entities alone would take
    a threshold down into risk no reviewer has seen.
    Vectorised over the segment's labelled entities, riskiest first.
    """
    lab = seg.filter(pl.col("label").is_not_null()).sort("risk_score", descending=True)
    if lab.height == 0:
        return None, rate_row(0, 0)
    c = lab.select(
        "risk_score",
        (pl.col("label") == "confirmed").cast(pl.Int64).cum_sum().alias("confirmed"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("n"),
        # a threshold takes every entity of a run of equal risks: only the last one counts
        (pl.col("risk_score").shift(-1) != pl.col("risk_score")).fill_null(True).alias("_end"),
    ).with_columns(wilson_exprs())
    # the labelled share of the entities a lowered threshold would add (every entity of
    # the segment counts, labelled or not)
    risks = np.sort(seg["risk_score"].to_numpy())
    at_least = risks.size - np.searchsorted(risks, c["risk_score"].to_numpy(), side="left")
    above = risks.size - np.searchsorted(risks, current, side="left")
    labelled_above = lab.filter(pl.col("risk_score") >= current).height
    added = np.maximum(at_least - above, 1)
    c = c.with_columns(pl.Series("_band", (c["n"].to_numpy() - labelled_above) / added))
    ok = (
        pl.col("_end")
        & (pl.col("n") >= min_n)
        & pl.when(pl.col("risk_score") >= current)
        .then(pl.col("rate") >= target)
        .otherwise((pl.col("lo") >= target) & (pl.col("_band") >= coverage))
    )
    good = c.with_row_index("_i").filter(ok)
    if good.height == 0:
        last = c.row(c.height - 1, named=True)
        return None, rate_row(int(last["confirmed"]), int(last["n"]))
    best = good.row(good.height - 1, named=True)
    t = math.floor(float(best["risk_score"]) * 10) / 10
    at_current = c.filter(pl.col("risk_score") >= current).height
    if best["risk_score"] >= current and best["n"] == at_current:
        t = current  # the same entities as the current threshold: no reason to move it
    return t, rate_row(int(best["confirmed"]), int(best["n"]))


def _later_rules(rule: Rule, later: Sequence[Rule], pattern: str, market: str) -> list[Rule] | None:
    """The rules of ``later`` that match the segment for every entity type ``rule`` covers;
    None when one of them matches only some of those types (not expressible)."""
    base = rule.entity_type
    out = []
    for r in later:
        if r.pattern is not None and pattern not in r.pattern:
            continue
        if r.market is not None and market not in r.market:
            continue
        if r.entity_type is not None:
            if base is None:
                return None
            if not set(base) <= set(r.entity_type):
                if set(base) & set(r.entity_type):
                    return None
                continue
        out.append(r)
    return out


def _segment_rules(
    rule: Rule, later: Sequence[Rule], pattern: str, market: str, new: float | None
) -> list[Rule] | None:
    """The rules that refine ``rule`` for one segment, placed just before it; ``later`` are
    the (final) rules after it, where a raised band falls through (None: not expressible)."""
    seg = {"pattern": (pattern,), "market": (market,), "entity_type": rule.entity_type}
    label = f"{rule.name} / {pattern} in {market}"
    top = (
        []
        if new is None
        else [Rule(name=label, min_risk=new, action=rule.action, queue=rule.queue, **seg)]
    )
    if new is not None and new <= rule.min_risk:
        return top
    after = _later_rules(rule, later, pattern, market)
    if after is None:
        return None
    hi = math.inf if new is None else new
    cuts = sorted({rule.min_risk} | {x.min_risk for x in after if rule.min_risk < x.min_risk < hi})
    bands: list[tuple[float, Rule | None]] = []
    for b in cuts:
        f = next((x for x in after if x.min_risk <= b), None)
        if bands and bands[-1][1] is f:
            continue
        bands.append((b, f))
    below = []
    for b, f in reversed(bands):
        if f is None or f.action == NO_ACTION:
            below.append(
                Rule(name=f"{label}: not queued", min_risk=b, action=NO_ACTION, queue="", **seg)
            )
        else:
            below.append(
                Rule(
                    name=f"{label}: as {f.name}", min_risk=b, action=f.action, queue=f.queue, **seg
                )
            )
    return top + below


@dataclass(frozen=True)
class PolicySuggestion:
    """Suggested thresholds and the policy they make (see :func:`suggest_policy`).

    Attributes
    ----------
    segments : polars.DataFrame
        One row per (rule, pattern, market): ``rule``, ``queue``, ``pattern``, ``market``,
        ``current`` (min_risk), ``suggested`` (null: the segment leaves the rule),
        ``status`` (``raise``, ``lower``, ``exclude``, ``keep``, ``too few verdicts``,
        ``too few labels below``: the labelled entities below the threshold would lower it
        but they are less than half of those a lower threshold adds, ``not expressible``),
        ``n`` / ``confirmed`` / ``precision`` / ``lo`` / ``hi`` (the labelled entities at or above the suggested threshold), ``per_run`` (entities per
        run at or above it), ``target`` (the precision aimed at, raised for a full queue).
    policy : Policy
        The suggested policy.
    original, text : str
        The policy file before and after.
    demand : dict
        Queue → entities per run the suggested policy sends to it, and its capacity.
    notes : list of str
        Queues that stay over capacity, and other caveats.
    """

    segments: pl.DataFrame
    policy: Policy
    original: str
    text: str
    demand: Mapping[str, Mapping[str, float]]
    notes: Sequence[str] = field(default_factory=tuple)
    filename: str = "policy.toml"

    @property
    def changed(self) -> bool:
        """Whether the suggested policy differs from the current one."""
        return self.text != self.original

    def diff(self) -> str:
        """Unified diff from the current policy file to the suggested one (``patch -p1``)."""
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.text.splitlines(keepends=True),
                fromfile=f"a/{self.filename}",
                tofile=f"b/{self.filename}",
            )
        )

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the suggested policy file to ``path`` (the user's explicit choice)."""
        return write_text(path, self.text)

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "segments": self.segments.to_dicts(),
            "demand": {k: dict(v) for k, v in self.demand.items()},
            "notes": list(self.notes),
        }


def _insert(
    original: str | None, policy: Policy, inserts: Mapping[int, list[tuple[Rule, str]]]
) -> str:
    """The policy file with the rule blocks inserted before the rules they refine."""
    if original is not None:
        heads = list(_HEADER.finditer(original))
        try:
            same = parse_policy(tomllib.loads(original)).rules == policy.rules
        except (tomllib.TOMLDecodeError, ConfigError):
            same = False
        if same and len(heads) == len(policy.rules):
            lines = original.splitlines(keepends=True)
            starts = [original.count("\n", 0, m.start()) for m in heads]
            out_lines = list(lines)
            for i in sorted(inserts, reverse=True):
                at = starts[i]
                while at > 0 and out_lines[at - 1].lstrip().startswith("#"):
                    at -= 1
                block = "".join(_rule_toml(r, c) + "\n" for r, c in inserts[i])
                out_lines[at:at] = [block]
            text = "".join(out_lines)
            if not text.endswith("\n"):
                text += "\n"
            return text
    rules: list[Rule] = []
    for i, r in enumerate(policy.rules):
        rules += [x for x, _ in inserts.get(i, [])]
        rules.append(r)
    return policy_toml(replace(policy, rules=tuple(rules)))


def _demand(pop: pl.DataFrame, policy: Policy, runs: int) -> dict[str, float]:
    idx = pop.with_columns(_first_rule(policy.rules).alias("_r")).drop_nulls("_r")
    q = pl.DataFrame(
        {
            "_r": list(range(len(policy.rules))),
            "queue": [r.queue for r in policy.rules],
            "action": [r.action for r in policy.rules],
        },
        schema={"_r": pl.Int64, "queue": pl.String, "action": pl.String},
    )
    counts = idx.join(q, on="_r").filter(pl.col("action") != NO_ACTION).group_by("queue").len()
    out = dict.fromkeys(policy.queues, 0.0)
    for name, n in counts.iter_rows():
        out[name] = n / max(runs, 1)
    return out


def suggest_policy(
    population: pl.DataFrame,
    policy: Policy,
    *,
    target: float = 0.9,
    min_verdicts: int = 20,
    queue_targets: Mapping[str, float] | None = None,
) -> PolicySuggestion:
    """Thresholds per pattern and market that reach ``target`` precision within each queue's
    capacity, as a policy and a diff of its file (see the module docstring).

    Parameters
    ----------
    population
        :func:`scored_population` of the runs to learn from.
    policy
        The current policy (its file, when it has one, is what the diff edits).
    target
        Precision (share of labelled entities confirmed) a segment's threshold must reach.
    min_verdicts
        Labelled entities a segment needs at or above its threshold.
    queue_targets
        Queue → its own target (an enforcement queue that suspends accounts needs a higher
        one than a review queue); other queues use ``target``.
    """
    tau = check_float("target", target, low=0.0, high=1.0, low_open=True)
    per_queue = dict(queue_targets or {})
    for q, v in per_queue.items():
        if q not in policy.queues:
            raise ConfigError(
                f"calibrate.queue_targets.{q}: not a queue of {policy.source} "
                f"(expected one of {', '.join(policy.queues)})"
            )
        check_float(f"calibrate.queue_targets.{q}", v, low=0.0, high=1.0, low_open=True)
    m = check_int("min_verdicts", min_verdicts, 1)
    assert m is not None
    n_runs = max(population["run_id"].n_unique(), 1)
    rules = list(policy.rules)
    pop = population
    bases = {q: float(per_queue.get(q, tau)) for q in policy.queues}
    targets = dict(bases)
    notes: list[str] = []
    for _ in range(200):
        segs, chosen = _segments(pop, rules, targets, m, n_runs, bases=bases)
        inserts = _build(rules, chosen)
        new_rules: list[Rule] = []
        for i, r in enumerate(rules):
            new_rules += [x for x, _ in inserts.get(i, [])]
            new_rules.append(r)
        suggested = replace(policy, rules=tuple(new_rules))
        demand = _demand(population, suggested, n_runs)
        adjustable = set(
            segs.filter(pl.col("status").is_in(["raise", "lower", "keep", UNLABELLED]))[
                "queue"
            ].to_list()
        )
        over = [
            q
            for q, d in demand.items()
            if d > policy.queues[q] and targets[q] < 1.0 and q in adjustable
        ]
        if not over:
            break
        for q in over:
            targets[q] = min(1.0, round(targets[q] + 0.01, 2))
    for q, d in demand.items():
        if d > policy.queues[q]:
            notes.append(
                f"queue {q!r}: {d:.0f} entities per run against a capacity of {policy.queues[q]} "
                f"even at target precision {targets[q]:.2f}"
            )
        elif targets[q] > bases[q]:
            notes.append(
                f"queue {q!r}: target raised to {targets[q]:.2f} to fit its capacity of {policy.queues[q]}"
            )
    unlabelled = segs.filter(pl.col("status") == UNLABELLED)
    if unlabelled.height:
        names = ", ".join(
            f"{r['pattern']} in {r['market']} ({r['rule']})" for r in unlabelled.head(3).to_dicts()
        )
        notes.append(
            f"{unlabelled.height} segment(s) would take a lower threshold on their labels, but "
            f"fewer than half of the accounts it would add carry one ({names}"
            f"{', …' if unlabelled.height > 3 else ''}): review a sample of them to decide"
        )
    original = policy_text(policy)
    text = _insert(original, policy, inserts)
    check = parse_policy(tomllib.loads(text), source=policy.source)
    if check.rules != suggested.rules:  # pragma: no cover - a bug in the insertion
        raise RuntimeError("the suggested policy file does not parse to the suggested rules")
    return PolicySuggestion(
        segments=segs,
        policy=suggested,
        original=original if original is not None else policy_toml(policy),
        text=text,
        demand={
            q: {"per_run": round(demand[q], 1), "capacity": policy.queues[q]} for q in policy.queues
        },
        notes=tuple(notes),
        filename=Path(policy.source).name if Path(policy.source).is_file() else "policy.toml",
    )


def _effective(rule: Rule, chosen: Mapping[tuple[str, str], float | None]) -> pl.Expr:
    """The threshold ``rule`` applies to each entity under the chosen segment thresholds
    (``inf`` for a segment that leaves the rule)."""
    out = pl.lit(rule.min_risk)
    for (pattern, market), t in chosen.items():
        here = (pl.col("pattern") == pattern) & (pl.col("market") == market).fill_null(False)
        out = pl.when(here).then(pl.lit(math.inf if t is None else t)).otherwise(out)
    return out


def _segments(
    pop: pl.DataFrame,
    rules: Sequence[Rule],
    targets: Mapping[str, float],
    m: int,
    n_runs: int,
    *,
    bases: Mapping[str, float],
) -> tuple[pl.DataFrame, dict[int, dict[tuple[str, str], tuple[float | None, str]]]]:
    """Top down: each rule's candidates are the entities its conditions match that no
    earlier rule takes under the thresholds chosen so far; each segment's threshold is chosen
    from them. Returns the segment table and, per rule, segment → (threshold, note)."""
    rows: list[dict[str, Any]] = []
    chosen: dict[int, dict[tuple[str, str], tuple[float | None, str]]] = {}
    caught = pl.Series("_caught", [False] * pop.height)
    in_queue: set[tuple[str, str | None, str | None]] = set()
    for i, r in enumerate(rules):
        here = pop.select(_matches(r).alias("_m"))["_m"]
        cand = pop.filter(here & ~caught)
        picks: dict[tuple[str, str], tuple[float | None, str]] = {}
        if r.action != NO_ACTION:
            tau = targets[r.queue]
            seg_keys = (
                cand.filter(pl.col("label").is_not_null())
                .group_by("pattern", "market")
                .len()
                .sort("pattern", "market", nulls_last=True)
            )
            for pattern, market, _n in seg_keys.iter_rows():
                # a segment an earlier rule already sends to this queue gets no second
                # chance at the base target: the queue's capacity binds them together
                again = (r.queue, pattern, market) in in_queue
                row, pick = _segment(
                    cand,
                    r,
                    rules[i + 1 :],
                    pattern,
                    market,
                    tau,
                    m,
                    n_runs,
                    base_target=tau if again else bases[r.queue],
                )
                rows.append(row)
                if row["status"] != "exclude":
                    in_queue.add((r.queue, pattern, market))
                if pick is not None:
                    picks[(pattern, market)] = pick
        chosen[i] = picks
        eff = pop.select(_effective(r, {k: t for k, (t, _) in picks.items()}).alias("_e"))["_e"]
        caught = caught | (here & (pop["risk_score"] >= eff))
    schema = {
        "rule": pl.String,
        "queue": pl.String,
        "pattern": pl.String,
        "market": pl.String,
        "current": pl.Float64,
        "suggested": pl.Float64,
        "status": pl.String,
        "target": pl.Float64,
        "n": pl.Int64,
        "confirmed": pl.Int64,
        "precision": pl.Float64,
        "lo": pl.Float64,
        "hi": pl.Float64,
        "per_run": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema), chosen


def _segment(
    cand: pl.DataFrame,
    r: Rule,
    later: Sequence[Rule],
    pattern: str,
    market: str | None,
    tau: float,
    m: int,
    n_runs: int,
    *,
    base_target: float,
) -> tuple[dict[str, Any], tuple[float | None, str] | None]:
    """One segment's row and, when its threshold changes, (threshold, note).

    ``tau`` may be above the target (``base_target``) for a queue over capacity: a segment that
    reaches ``base_target`` but not ``tau`` keeps that threshold (capacity then takes the
    riskiest); only a segment that never reaches ``base_target`` leaves the rule."""
    seg = cand.filter(
        (pl.col("pattern") == pattern)
        & (pl.col("market") == market if market is not None else pl.col("market").is_null())
    )
    base = {
        "rule": r.name,
        "queue": r.queue,
        "pattern": pattern,
        "market": market,
        "current": r.min_risk,
        "target": tau,
    }

    def keep(status: str) -> dict[str, Any]:
        return {
            **base,
            "suggested": r.min_risk,
            "status": status,
            **_stats(seg, r.min_risk, n_runs),
        }

    if market is None:
        return keep("market unknown"), None
    if seg.filter(pl.col("label").is_not_null()).height < m:
        return keep("too few verdicts"), None
    t, stat = _threshold(seg, tau, m, current=r.min_risk)
    if t is None and tau > base_target:
        tau = base_target
        t, stat = _threshold(seg, tau, m, current=r.min_risk)
    if t is not None and abs(t - r.min_risk) < MIN_CHANGE:
        # would the labels alone lower it? then say what is missing: labels below
        unlabelled, _ = _threshold(seg, tau, m, current=r.min_risk, coverage=0.0)
        lower = unlabelled is not None and unlabelled <= r.min_risk - MIN_CHANGE
        return keep(UNLABELLED if lower else "keep"), None
    if t is None:
        above = seg.filter(pl.col("risk_score") >= r.min_risk).filter(pl.col("label").is_not_null())
        if above.height < m:
            # the rule's own range has too few verdicts to take the segment away from it
            return keep("keep" if above.height == 0 else "too few verdicts"), None
    if (t is None or t > r.min_risk) and _later_rules(r, later, pattern, market) is None:
        return keep("not expressible"), None
    status = "exclude" if t is None else ("raise" if t > r.min_risk else "lower")
    k, n = stat["successes"], stat["n"]
    note = (
        f"{k} of {n} labelled entities at risk >= {t:g} confirmed (target {tau:.2f})"
        if t is not None
        else f"{k} of {n} labelled entities confirmed: below target {tau:.2f} at every threshold"
    )
    return {**base, "suggested": t, "status": status, **_stats(seg, t, n_runs)}, (t, note)


def _build(
    rules: Sequence[Rule], chosen: Mapping[int, Mapping[tuple[str, str], tuple[float | None, str]]]
) -> dict[int, list[tuple[Rule, str]]]:
    """Bottom up: the segment rules to insert before each rule, a raised band falling
    through to the final rules below it (their own segment rules included)."""
    inserts: dict[int, list[tuple[Rule, str]]] = {}
    final: list[Rule] = []
    for i in reversed(range(len(rules))):
        block: list[tuple[Rule, str]] = []
        for (pattern, market), (t, note) in sorted(chosen.get(i, {}).items()):
            new = _segment_rules(rules[i], final, pattern, market, t)
            if new is None:  # pragma: no cover - _segment checked expressibility
                continue
            block += [
                (x, "ringlens calibrate: " + note if j == 0 else "") for j, x in enumerate(new)
            ]
        if block:
            inserts[i] = block
        final = [x for x, _ in block] + [rules[i]] + final
    return inserts


def _stats(seg: pl.DataFrame, t: float | None, n_runs: int) -> dict[str, Any]:
    above = seg if t is None else seg.filter(pl.col("risk_score") >= t)
    lab = above.filter(pl.col("label").is_not_null())
    k = int((lab["label"] == "confirmed").sum())
    row = rate_row(k, lab.height)
    return {
        "n": lab.height,
        "confirmed": k,
        "precision": row["rate"],
        "lo": row["lo"],
        "hi": row["hi"],
        "per_run": round((0 if t is None else above.height) / n_runs, 1),
    }


def evaluate_policy(
    run: RunRecord,
    policy: Policy,
    judged: pl.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    labels: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Precision at each queue's capacity on one run, scored with ``weights`` and routed by
    ``policy`` (see :func:`~ringlens.calibrate.weights.queue_precision`)."""
    ents, rings = rescore(run_signals(run), weights or run.weights)
    queue, _ = apply_policy(ents, rings, policy, run_id=run.run_id, labels=run.labels)
    lab = entity_labels(judged, run.run_id, labels=labels)
    return queue_precision(queue, lab, dict(policy.queues))
