"""Evaluation: ring injection into real graphs and detection metrics."""

from __future__ import annotations

from ringlens.eval.evaluate import Evaluation, evaluate, evaluate_run_dir
from ringlens.eval.inject import Injection, inject_block
from ringlens.eval.metrics import (
    PRF,
    average_precision,
    precision_at_k,
    precision_recall_f1,
    ring_recall,
    roc_auc,
)

__all__ = [
    "Evaluation",
    "evaluate",
    "evaluate_run_dir",
    "Injection",
    "inject_block",
    "PRF",
    "precision_recall_f1",
    "precision_at_k",
    "roc_auc",
    "average_precision",
    "ring_recall",
]
