"""Metrics on small cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ringlens.eval.metrics import (
    average_precision,
    precision_at_k,
    precision_recall_f1,
    ring_recall,
    roc_auc,
)
from ringlens.exceptions import ConfigError


def test_precision_recall_f1():
    p, r, f = precision_recall_f1(["a", "b", "c"], ["b", "c", "d", "e"])
    assert (p, r) == (2 / 3, 0.5)
    assert f == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert precision_recall_f1(np.array([1, 2]), [1, 2]) == (1.0, 1.0, 1.0)
    assert precision_recall_f1([1], []) == (0.0, 0.0, 0.0)
    assert precision_recall_f1([], []) == (0.0, 0.0, 0.0)


def test_precision_at_k_ties_by_index():
    scores = [0.5, 0.5, 0.9, 0.1]
    assert precision_at_k(scores, [2, 1], k=2) == 0.5  # index 0 beats index 1 at a tie
    assert precision_at_k(scores, [2, 0], k=2) == 1.0
    assert precision_at_k(scores, np.array([False, False, True, False]), k=1) == 1.0
    assert precision_at_k(scores, [3], k=10) == 0.25  # k larger than n
    with pytest.raises(ConfigError, match="k must"):
        precision_at_k(scores, [0], k=0)
    with pytest.raises(ConfigError, match="truth indices"):
        precision_at_k(scores, [7], k=1)
    with pytest.raises(ConfigError, match="mask"):
        precision_at_k(scores, np.array([True]), k=1)


def test_roc_auc_known_values():
    assert roc_auc([0.1, 0.2, 0.3, 0.4], [2, 3]) == 1.0
    assert roc_auc([0.4, 0.3, 0.2, 0.1], [2, 3]) == 0.0
    # pos {0.35, 0.8} vs neg {0.1, 0.4}: 3 of 4 pairs ordered correctly
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [2, 3]) == 0.75
    # a tie counts one half
    assert roc_auc([0.5, 0.5, 0.1], [0]) == 0.75
    assert math.isnan(roc_auc([0.1, 0.2], []))


def test_roc_auc_matches_pairwise_definition():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 5, 60).astype(float)  # many ties
    y = rng.random(60) < 0.3
    pos, neg = s[y], s[~y]
    want = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (
        pos.size * neg.size
    )
    assert roc_auc(s, y) == pytest.approx(want)


def test_average_precision_known_values():
    # ranking: pos, neg, pos, neg -> (1/2)*1 + (1/2)*(2/3)
    assert average_precision([0.8, 0.4, 0.35, 0.1], [0, 2]) == pytest.approx(5 / 6)
    assert average_precision([0.9, 0.8, 0.7], [0, 1, 2]) == 1.0
    # ties form one threshold: precision 1/3 at recall 1
    assert average_precision([0.5, 0.5, 0.5], [2]) == pytest.approx(1 / 3)
    # worst case: positive ranked last
    assert average_precision([0.9, 0.8, 0.1], [2]) == pytest.approx(1 / 3)
    assert math.isnan(average_precision([0.1, 0.2], []))


def test_ring_recall():
    planted = [{"a", "b", "c", "d"}, {"x", "y"}, {"m"}]
    assert ring_recall([], planted) == 0.0
    assert ring_recall([["a", "b"]], planted) == pytest.approx(1 / 3)  # Jaccard 0.5 counts
    assert ring_recall([["a", "b"]], planted, threshold=0.6) == 0.0
    assert ring_recall([["a", "b", "c", "d"], ["x", "y", "z", "w"], ["m"]], planted) == (
        pytest.approx(1.0)
    )
    assert math.isnan(ring_recall([["a"]], []))
    with pytest.raises(ConfigError, match="threshold"):
        ring_recall([], planted, threshold=0)
