"""Detection metrics implemented with numpy/scipy (no scikit-learn dependency).

Scores are always "higher = riskier". ``truth`` arguments take either a boolean mask as
long as ``scores`` or a collection of the positive items' indices.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from typing import Any, NamedTuple

import numpy as np
from scipy.stats import rankdata

from ringlens.exceptions import ConfigError

log = logging.getLogger(__name__)

__all__ = [
    "PRF",
    "precision_recall_f1",
    "precision_at_k",
    "roc_auc",
    "average_precision",
    "ring_recall",
]


class PRF(NamedTuple):
    """Precision, recall and F1 of a predicted set."""

    precision: float
    recall: float
    f1: float


def precision_recall_f1(predicted: Iterable[Hashable], truth: Iterable[Hashable]) -> PRF:
    """Set precision, recall and F1 of ``predicted`` against ``truth``.

    Empty ``predicted`` gives precision 0; empty ``truth`` gives recall 0; F1 is 0 when
    precision + recall is 0.

    Examples
    --------
    >>> prf = precision_recall_f1([1, 2, 3, 4], [3, 4, 5])
    >>> prf.precision, round(prf.recall, 4), round(prf.f1, 4)
    (0.5, 0.6667, 0.5714)
    >>> precision_recall_f1([], ["a"])
    PRF(precision=0.0, recall=0.0, f1=0.0)
    """
    pred = set(_as_hashables(predicted))
    true = set(_as_hashables(truth))
    tp = len(pred & true)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(true) if true else 0.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return PRF(p, r, f)


def _as_hashables(items: Iterable[Hashable]) -> list[Hashable]:
    if isinstance(items, np.ndarray):
        return items.tolist()
    return list(items)


def _scores_and_mask(scores: object, truth: Any) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64).ravel()
    if s.size and not np.all(np.isfinite(s)):
        raise ConfigError("scores must be finite numbers")
    t = np.asarray(list(truth) if not isinstance(truth, np.ndarray) else truth)
    if t.dtype == bool:
        if t.shape != s.shape:
            raise ConfigError(
                f"truth mask has {t.size} entries but scores has {s.size}; "
                "pass a boolean mask of the same length or the positive indices"
            )
        return s, t
    mask = np.zeros(s.size, dtype=bool)
    if t.size:
        idx = t.astype(np.int64)
        if idx.min() < 0 or idx.max() >= s.size:
            raise ConfigError(
                f"truth indices must be in [0, {s.size}); got {int(idx.min())}..{int(idx.max())}"
            )
        mask[idx] = True
    return s, mask


def precision_at_k(scores: object, truth: object, k: int) -> float:
    """Share of true positives among the ``k`` highest scores.

    Ties are broken by index (lower first), so the result is deterministic.

    Examples
    --------
    >>> precision_at_k([0.9, 0.1, 0.8, 0.7], [0, 3], k=2)
    0.5
    >>> precision_at_k([0.9, 0.1, 0.8, 0.7], [0, 3], k=3)
    0.6666666666666666
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"k must be an integer >= 1; got {k!r}")
    s, mask = _scores_and_mask(scores, truth)
    if s.size == 0:
        return 0.0
    order = np.lexsort((np.arange(s.size), -s))[: int(k)]
    return float(mask[order].sum() / min(int(k), s.size))


def roc_auc(scores: object, truth: object) -> float:
    """Area under the ROC curve (Mann–Whitney U with average ranks for ties).

    Returns NaN when only one class is present.

    Examples
    --------
    >>> roc_auc([0.1, 0.4, 0.35, 0.8], [2, 3])
    0.75
    >>> roc_auc([1.0, 1.0], [0])
    0.5
    """
    s, mask = _scores_and_mask(scores, truth)
    n_pos = int(mask.sum())
    n_neg = s.size - n_pos
    if n_pos == 0 or n_neg == 0:
        log.warning("roc_auc is undefined with only one class; returning NaN")
        return float("nan")
    ranks = rankdata(s)
    u = ranks[mask].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def average_precision(scores: object, truth: object) -> float:
    """Average precision: ``sum_n (R_n - R_{n-1}) P_n`` over distinct score thresholds.

    Same definition as scikit-learn's ``average_precision_score`` (tied scores form one
    threshold). Returns NaN without positives.

    Examples
    --------
    >>> average_precision([0.1, 0.4, 0.35, 0.8], [2, 3])
    0.8333333333333333
    >>> average_precision([0.5, 0.5, 0.5], [0])
    0.3333333333333333
    """
    s, mask = _scores_and_mask(scores, truth)
    n_pos = int(mask.sum())
    if n_pos == 0:
        log.warning("average_precision is undefined without positives; returning NaN")
        return float("nan")
    order = np.argsort(-s, kind="stable")
    s_sorted, y = s[order], mask[order]
    tp = np.cumsum(y)
    # last position of each distinct score = one threshold
    last = np.flatnonzero(np.append(s_sorted[1:] != s_sorted[:-1], True))
    tp_t = tp[last]
    precision = tp_t / (last + 1)
    recall = tp_t / n_pos
    d_recall = np.diff(np.concatenate(([0.0], recall)))
    return float(np.sum(d_recall * precision))


def ring_recall(
    reported_rings: Iterable[Iterable[Hashable]],
    planted_rings: Iterable[Iterable[Hashable]],
    *,
    threshold: float = 0.5,
) -> float:
    """Share of planted rings that some reported ring matches (Jaccard >= ``threshold``).

    Rings are iterables of member keys (e.g. node keys ``"buyer:17"``). Returns NaN when
    there are no planted rings.

    Examples
    --------
    >>> planted = [{"a", "b", "c", "d"}, {"x", "y"}]
    >>> ring_recall([{"a", "b", "c"}, {"q"}], planted)
    0.5
    >>> ring_recall([{"a", "b", "c"}, {"x", "y", "z"}], planted, threshold=0.7)
    0.5
    """
    if not isinstance(threshold, (int, float)) or not 0.0 < float(threshold) <= 1.0:
        raise ConfigError(f"threshold must be a number in (0, 1]; got {threshold!r}")
    reported = [set(_as_hashables(r)) for r in reported_rings]
    planted = [set(_as_hashables(p)) for p in planted_rings]
    if not planted:
        log.warning("ring_recall without planted rings is undefined; returning NaN")
        return float("nan")
    found = 0
    for ring in planted:
        best = 0.0
        for rep in reported:
            union = len(ring | rep)
            if union:
                best = max(best, len(ring & rep) / union)
        found += best >= threshold
    return found / len(planted)
