"""Score a run against ground truth, always next to trivial baselines.

Truth is either planted rings (``ring_id, entity_type, entity_id`` as ``ringlens synth``
writes in ``truth.parquet``) or labels (``entity_type, entity_id, label`` with
``confirmed``/``cleared``; only entity metrics then).

Reported, for ringlens and for each baseline:

* **ring recall** — share of planted rings matched by a reported ring with Jaccard ≥ 0.5;
* **precision@K / recall@K** with K = the number of true entities (the K riskiest);
* **flagged precision / recall / F1** — the set ringlens puts in rings (or the queue);
* **ROC AUC** and **average precision** over every account that acts in the events
  (creators, buyers, sellers; an unscored account scores 0).

Baselines: ``degree`` (most distinct targets first), ``account_age`` (newest first,
needs the entities table) and ``one_interaction`` (accounts with a single event first —
strong on review data such as YelpChi).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl

from ringlens.eval.metrics import average_precision, precision_recall_f1, ring_recall, roc_auc
from ringlens.exceptions import InputError
from ringlens.graph.roles import normalised

log = logging.getLogger(__name__)

__all__ = ["Evaluation", "evaluate", "evaluate_run_dir"]


@dataclass
class Evaluation:
    """Metrics of ringlens and the baselines; ``to_frame()`` gives one row per method."""

    metrics: dict[str, dict[str, float]]
    k: int
    n_entities: int
    details: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pl.DataFrame:
        rows = [{"method": m, **v} for m, v in self.metrics.items()]
        return pl.DataFrame(rows)

    def as_dict(self) -> dict[str, Any]:
        return {"k": self.k, "n_entities": self.n_entities, "metrics": self.metrics, **self.details}


def _key(type_col: str, id_col: str) -> pl.Expr:
    """The node key as the graph writes it (the type's name normalised)."""
    return pl.concat_str(normalised(pl.col(type_col)), pl.lit(":"), pl.col(id_col))


def _truth_keys(truth: pl.DataFrame) -> tuple[pl.DataFrame, list[set[str]] | None]:
    cols = set(truth.columns)
    if {"entity_type", "entity_id"} - cols:
        raise InputError("truth: expected columns entity_type, entity_id and ring_id (or label)")
    t = truth.with_columns(_key("entity_type", "entity_id").alias("key"))
    if "ring_id" in cols:
        rings = [set(x) for x in t.group_by("ring_id").agg("key").sort("ring_id")["key"].to_list()]
        return t.select("key").unique(), rings
    if "label" in cols:
        return t.filter(pl.col("label") == "confirmed").select("key").unique(), None
    raise InputError("truth: expected a ring_id column (planted rings) or a label column (labels)")


def _metric_row(
    scores: np.ndarray, is_true: np.ndarray, k: int, flagged: np.ndarray | None
) -> dict[str, float]:
    order = np.lexsort((np.arange(len(scores)), -scores))
    topk = order[:k]
    tp_k = float(is_true[topk].sum())
    row = {
        "precision_at_k": tp_k / k if k else float("nan"),
        "recall_at_k": tp_k / float(is_true.sum()) if is_true.sum() else float("nan"),
        "roc_auc": float(roc_auc(scores, is_true)),
        "average_precision": float(average_precision(scores, is_true)),
    }
    if flagged is not None:
        prf = precision_recall_f1(
            np.flatnonzero(flagged).tolist(), np.flatnonzero(is_true).tolist()
        )
        row.update({"precision": prf.precision, "recall": prf.recall, "f1": prf.f1})
    return row


def evaluate(
    *,
    rings: pl.DataFrame,
    entities: pl.DataFrame,
    truth: pl.DataFrame,
    events: pl.DataFrame | pl.LazyFrame,
    accounts: pl.DataFrame | None = None,
    negatives: pl.DataFrame | None = None,
    k: int | None = None,
    threshold: float = 0.5,
) -> Evaluation:
    """Compare scored rings and entities with the truth, next to the baselines.

    Parameters
    ----------
    rings
        ``rings.parquet`` of a run (``members``).
    entities
        ``entities.parquet`` of a run (``key`` or ``entity_type``/``entity_id``, ``risk_score``).
    truth
        Planted rings or labels (see the module docstring).
    events
        The events (for the population and the baselines).
    accounts
        The optional entities table with ``created_at`` (the account-age baseline).
    negatives
        Optional organic structure that must not be flagged (``entity_type``,
        ``entity_id``, ``kind``; ``ringlens synth`` writes ``negatives.parquet``): the
        details count those in the top K and in rings, by kind.
    k
        Cut-off for precision@K (default: the number of true entities).
    """
    true_keys, planted = _truth_keys(truth)
    ev = events.lazy()
    # the population: every account, i.e. every node that acts (devices, items do not)
    pop = (
        ev.group_by(_key("actor_type", "actor_id").alias("key"))
        .agg(pl.col("target_id").n_unique().alias("degree"), pl.len().alias("events"))
        .collect()
    )
    # accounts that only appear as targets (e.g. sellers) still count
    pop = pl.concat(
        [
            pop,
            true_keys.join(pop, on="key", how="anti").with_columns(
                pl.lit(0, pl.UInt32).alias("degree"), pl.lit(0, pl.UInt32).alias("events")
            ),
        ],
        how="diagonal_relaxed",
    ).sort("key")
    ent = entities
    if "key" not in ent.columns:
        ent = ent.with_columns(_key("entity_type", "entity_id").alias("key"))
    df = (
        pop.join(ent.select("key", "risk_score"), on="key", how="left")
        .with_columns(pl.col("risk_score").fill_null(0.0))
        .join(true_keys.with_columns(pl.lit(True).alias("is_true")), on="key", how="left")
        .with_columns(pl.col("is_true").fill_null(False))
    )
    members = (
        rings.select(pl.col("members").explode().alias("key")).unique()
        if rings.height
        else pl.DataFrame(schema={"key": pl.String})
    )
    df = df.join(
        members.with_columns(pl.lit(True).alias("flagged")), on="key", how="left"
    ).with_columns(pl.col("flagged").fill_null(False))
    is_true = df["is_true"].to_numpy()
    kk = int(k or is_true.sum())
    metrics: dict[str, dict[str, float]] = {}
    metrics["ringlens"] = _metric_row(
        df["risk_score"].to_numpy(), is_true, kk, df["flagged"].to_numpy()
    )
    if planted is not None:
        metrics["ringlens"]["ring_recall"] = (
            ring_recall([set(m) for m in rings["members"].to_list()], planted, threshold=threshold)
            if rings.height
            else 0.0
        )
    metrics["degree"] = _metric_row(df["degree"].cast(pl.Float64).to_numpy(), is_true, kk, None)
    metrics["one_interaction"] = _metric_row(
        (df["events"] == 1).cast(pl.Float64).to_numpy(), is_true, kk, None
    )
    if accounts is not None and "created_at" in accounts.columns:
        age = df.join(
            accounts.select(_key("entity_type", "entity_id").alias("key"), "created_at"),
            on="key",
            how="left",
        )
        ts = (
            age["created_at"]
            .dt.epoch("s")
            .cast(pl.Float64)
            .fill_null(float(cast(float, age["created_at"].dt.epoch("s").min()) or 0))
        )
        metrics["account_age"] = _metric_row(ts.to_numpy(), is_true, kk, None)
    if planted is not None:
        # rings from the baselines: none (they rank entities, they do not group them)
        for m in metrics:
            metrics[m].setdefault("ring_recall", float("nan"))
    details: dict[str, Any] = {
        "rings_reported": rings.height,
        "rings_planted": len(planted) if planted is not None else None,
        "true_entities": int(is_true.sum()),
        "flagged_entities": int(df["flagged"].sum()),
    }
    if negatives is not None:
        details.update(_negatives(df, negatives, kk))
    return Evaluation(metrics=metrics, k=kk, n_entities=df.height, details=details)


def _negatives(df: pl.DataFrame, negatives: pl.DataFrame, k: int) -> dict[str, Any]:
    """Organic negatives among the top ``k`` accounts by risk and among ring members."""
    order = np.lexsort((np.arange(df.height), -df["risk_score"].to_numpy()))
    top = df[order[:k]].select("key", "flagged")
    neg = negatives.select(_key("entity_type", "entity_id").alias("key"), "kind").unique("key")
    in_top = top.join(neg, on="key")
    in_rings = df.filter(pl.col("flagged")).select("key").join(neg, on="key")
    return {
        "negatives": neg.height,
        "negatives_in_top_k": in_top.height,
        "negatives_in_rings": in_rings.height,
        "negatives_in_top_k_by_kind": dict(sorted(in_top.group_by("kind").len().iter_rows())),
    }


def evaluate_run_dir(
    run_dir: str | os.PathLike[str],
    truth: str | os.PathLike[str],
    *,
    k: int | None = None,
    negatives: str | os.PathLike[str] | None = None,
) -> Evaluation:
    """:func:`evaluate` on a run folder written by ``ringlens score`` (``negatives``:
    default ``negatives.parquet`` beside the truth file, when there is one)."""
    from ringlens.io import InputOptions, load_entities, scan_events

    rd = Path(run_dir)
    info_path = rd / "run.json"
    if not info_path.is_file():
        raise InputError(f"{rd}: not a run folder (no run.json); run `ringlens score` first")
    info = json.loads(info_path.read_text("utf-8"))
    tp = Path(truth)
    if not tp.is_file():
        raise InputError(f"{tp}: no such truth file")
    try:
        truth_df = (
            pl.read_parquet(tp) if tp.suffix == ".parquet" else pl.read_csv(tp, infer_schema=False)
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{tp}: cannot be read: {str(exc).splitlines()[0]}") from None
    events = scan_events(
        [Path(p) for p in info["inputs"]["events"]],
        columns=info["config"]["input"]["columns"],
        validate=False,
        options=InputOptions.from_settings(info["config"]["input"]),
    )
    accounts = (
        load_entities(
            info["inputs"]["entities"],
            options=InputOptions.from_settings(info["config"]["input"]),
        )
        if info["inputs"].get("entities")
        else None
    )
    neg_path = Path(negatives) if negatives is not None else tp.parent / "negatives.parquet"
    neg = pl.read_parquet(neg_path) if neg_path.is_file() else None
    return evaluate(
        rings=pl.read_parquet(rd / "rings.parquet"),
        entities=pl.read_parquet(rd / "entities.parquet"),
        truth=truth_df,
        events=events,
        accounts=accounts,
        negatives=neg,
        k=k,
    )
