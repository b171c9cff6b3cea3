"""Entity and ring risk 0–100 with reason codes and per-reason contributions.

The default model is transparent. Each **signal** is a reason code with a strength in
[0, 1] (how strongly the reason applies); its weight (points, in ``[score.weights]`` of the
config) turns it into raw points ``p = weight × strength``. The risk is

    risk = 100 × (1 − exp(−Σp / 100))

— monotone in every signal, never above 100, and never flat at the top, so the ranking
keeps its order — and each reason's **contribution** is its share of that risk,
``risk × p / Σp``: contributions add up to the risk a reviewer sees (each is rounded to
three decimals on its own, so their sum can differ from the risk in the last digit).

No risk, contribution or strength is ever NaN or infinite: a signal with a non-finite
strength is dropped with a warning before scoring, and a ring feature that cannot be
computed (an account age nobody's ``created_at`` tells) counts as 0.

Entity reasons (strength in brackets):

``lockstep_<role>``        acting on the same targets in the same time windows, far beyond
                           the accounts' activity (the group's significance); one code per
                           action role: engagement, purchase, review, click, follow, gift,
                           claim, view, unmapped
``dense_block``            member of a significant dense block of a family, or of a ring's
                           own dense core (significance, fill)
``community``              member of a significant community (its significance)
``owner_community``        member of a significant community of accounts that engage the same
                           owners' content (its significance)
``shared_device``          sharing rare devices with accounts otherwise linked
``shared_payout``          paying out to an account shared with accounts otherwise linked
``shared_coupon``          claiming rare coupons with accounts otherwise linked
``skewed_ratings``         giving a target the extreme of a rating scale with others, beyond
                           the family's spread of targets (the group's significance)
``skewed_follow_ups``      taking a rarer follow-up (a refund after a booking) on a target
                           with most of its accounts, beyond targets of its popularity (the
                           group's significance)
``near_confirmed_bad``     personalised PageRank lift from confirmed-bad seeds (percentile)
``new_account``            created < 60 days before the data starts
``prior_violations``       earlier violations (1 − 0.5^n)
``ring_broker``            adjacent to another ring's members or targets (1)
``ring_owner``             first owner of the ring's targets, which its members bring a
                           share of the interactions on (1): the shop a review ring rates
``joined_ring``            added to a ring at expansion: its own hits on the ring's targets
                           in the ring's moments, beyond what its volume explains, or the
                           ring's own phone or payout account (the candidate's strength ×
                           its coverage or share); not counted in the ring's risk
``ring_member``            member of a ring (the ring's risk / 100)

Reasons that say the same thing — ``community``, ``owner_community``, ``dense_block``,
``significant_structure``, ``dense_interactions``: the accounts form a group far denser
than chance — add up for a ring that shows more than that. A ring that shows nothing
else (``structure_alone``: old accounts, ordinary value, in step by their number; a
fandom whose artist the platform never recorded looks the same) and its members count
only the strongest of them and of the ``lockstep_<role>`` reasons, which in such a ring
say the same again (:func:`structure_once`), so rings that something else corroborates
rank above it.

Ring reasons: the share of members carrying each entity reason, plus
``reciprocal_engagement`` (reciprocity), ``synchronised_activity`` (synchrony beyond
its null, ``synchrony_excess``),
``dense_interactions`` (density against the background, log-scaled),
``significant_structure`` (the ring's significance against the configuration model),
``new_accounts`` (new accounts above the platform's rate) and, for a ring none of whose
members' ages is known, ``arrived_together`` (members first seen in the data after its
first days, above the platform's rate: ``arrival_lift``).

:class:`RiskModel` learns the weights from labels instead (logistic regression,
calibrated probabilities × 100; scikit-learn-style ``fit``/``predict``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import polars as pl

from ringlens.exceptions import ConfigError, InputError

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_WEIGHTS",
    "STRUCTURE_REASONS",
    "ALONE_REASONS",
    "SIGNAL_SCHEMA",
    "RiskModel",
    "score_entities",
    "score_rings",
    "combine",
    "structure_once",
]

SIGNAL_SCHEMA = pl.Schema({"key": pl.String, "reason": pl.String, "strength": pl.Float64})

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        # entity reasons: lockstep per action role
        "lockstep_engagement": 35.0,
        "lockstep_purchase": 40.0,
        "lockstep_review": 40.0,
        "lockstep_click": 40.0,
        "lockstep_follow": 35.0,
        "lockstep_gift": 40.0,
        "lockstep_claim": 40.0,
        "lockstep_view": 25.0,
        "lockstep_unmapped": 35.0,
        # dense blocks (the run's families, and each ring's own core), communities
        "dense_block": 45.0,
        "community": 35.0,
        # communities on the owner projection (accounts engaging the same owners' content)
        "owner_community": 35.0,
        # shared rare attributes
        "shared_device": 25.0,
        "shared_payout": 35.0,
        "shared_coupon": 30.0,
        # one extreme of a rating scale on one target, beyond the family's spread
        "skewed_ratings": 40.0,
        # a follow-up (a refund, a review) taken on one target by most of its accounts
        "skewed_follow_ups": 40.0,
        # value passed round a loop of accounts, each pair far beyond its ends' activity
        "flow_cycle": 45.0,
        # labels and account facts
        "near_confirmed_bad": 30.0,
        "new_account": 15.0,
        "prior_violations": 10.0,
        "ring_member": 60.0,
        # an account the expansion added to a ring through its own hits or the ring's phone
        "joined_ring": 25.0,
        # a member next to another ring's members or targets
        "ring_broker": 10.0,
        # an account that owns the ring's targets (joined the ring as their owner)
        "ring_owner": 10.0,
        # ring reasons
        "reciprocal_engagement": 40.0,
        "synchronised_activity": 35.0,
        "dense_interactions": 30.0,
        "significant_structure": 35.0,
        "new_accounts": 20.0,
        # no member's age known: the members first seen in the data together, late
        "arrived_together": 20.0,
    }
)
#: Reasons that say one thing — the accounts form a group far denser than chance — as
#: different detectors found it or the ring measures it. A ring that shows nothing else
#: (the ``structure_alone`` feature, :mod:`ringlens.rings.core`) and its members count
#: the strongest of them only: a fandom is one dense block, not four pieces of evidence.
STRUCTURE_REASONS = (
    "community",
    "owner_community",
    "dense_block",
    "significant_structure",
    "dense_interactions",
)
#: What a ``structure_alone`` ring and its members count once, the strongest: the
#: structural reasons and the lockstep reasons. The ring is structure alone because its
#: timing is not clearly beyond chance (``synchrony_excess`` below
#: :data:`ringlens.rings.core.SYNC_BEYOND`): what lockstep saw in it — its accounts on the
#: same targets in the same windows, a release day's crowd on the album's tracks — is
#: one more measure of the same block, not evidence of its own.
ALONE_REASONS = STRUCTURE_REASONS + tuple(r for r in DEFAULT_WEIGHTS if r.startswith("lockstep_"))
#: Entity reasons that say how an account is in a ring, not what the ring did: a ring's
#: risk does not count them.
MEMBERSHIP_REASONS = ("ring_member", "joined_ring")
RING_FEATURE_REASONS: Mapping[str, pl.Expr] = MappingProxyType(
    {
        "reciprocal_engagement": pl.col("reciprocity")
        * (pl.col("inner_engagements") >= pl.col("size")).cast(pl.Float64),
        # in step beyond what the group's size and activity explain (a fan club of
        # seventy active every evening is "in step" by its number alone)
        "synchronised_activity": pl.col("synchrony_excess"),
        "dense_interactions": (pl.col("density_ratio").clip(1.0, None).log10() / 3.0).clip(0.0, 1.0)
        * pl.col("density").clip(0.0, 1.0).sqrt(),
        # -log10 p of the ring's block under the configuration model: 2 (p = 0.01) is
        # nothing special for a group the detectors chose, 20 and more is certain
        "significant_structure": ((pl.col("significance") - 2.0) / 18.0).clip(0.0, 1.0),
        "new_accounts": pl.col("new_account_lift").fill_null(0.0),
        "arrived_together": pl.col("arrival_lift").fill_null(0.0),
    }
)


def resolve_weights(overrides: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Default weights updated with ``[score.weights]`` from the config.

    Examples
    --------
    >>> resolve_weights({"dense_block": 10})["dense_block"]
    10.0
    >>> resolve_weights({"dense_blok": 10})
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: score.weights: unknown reason 'dense_blok' (expected one of ...)
    """
    w = dict(DEFAULT_WEIGHTS)
    for k, v in (overrides or {}).items():
        if k not in w:
            raise ConfigError(
                f"score.weights: unknown reason {k!r} (expected one of {', '.join(sorted(w))})"
            )
        if (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or not math.isfinite(float(v))
            or v < 0
        ):
            raise ConfigError(f"score.weights.{k}: expected a number >= 0, got {v!r}")
        w[k] = float(v)
    return w


def combine(
    signals: pl.DataFrame, weights: Mapping[str, float], *, by: str = "key"
) -> pl.DataFrame:
    """Turn ``(by, reason, strength)`` signals into ``by, risk_score, reasons, contributions``.

    ``reasons`` is the list of reason codes, strongest contribution first;
    ``contributions`` the matching list of points (they sum to ``risk_score``, up to the
    rounding of each to three decimals). Signals whose strength is NaN or infinite are
    dropped (with a warning): no output value is ever NaN or infinite.

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.DataFrame({"key": ["a", "a", "b"], "reason": ["x", "y", "x"], "strength": [1.0, 0.5, 0.2]})
    >>> out = combine(s, {"x": 50, "y": 20})
    >>> out.select("key", pl.col("risk_score").round(2), "reasons").rows()
    [('a', 45.12, ['x', 'y']), ('b', 9.52, ['x'])]
    """
    w = pl.DataFrame({"reason": list(weights), "weight": [float(x) for x in weights.values()]})
    signals = _finite_signals(signals, by=by)
    s = (
        signals.join(w, on="reason", how="inner")
        .with_columns((pl.col("weight") * pl.col("strength").clip(0.0, 1.0)).alias("points"))
        .filter(pl.col("points") > 0)
        .group_by(by, "reason")
        .agg(pl.col("points").max())
    )
    total = s.group_by(by).agg(pl.col("points").sum().alias("total"))
    s = (
        s.join(total, on=by)
        .with_columns((100.0 * (1.0 - (-pl.col("total") / 100.0).exp())).alias("risk_score"))
        .with_columns(
            (pl.col("risk_score") * pl.col("points") / pl.col("total")).alias("contribution")
        )
        .sort([by, "contribution", "reason"], descending=[False, True, False])
    )
    return (
        s.group_by(by, maintain_order=True)
        .agg(
            pl.col("risk_score").first(),
            pl.col("reason").alias("reasons"),
            pl.col("contribution").round(3).alias("contributions"),
        )
        .with_columns(pl.col("risk_score").round(3))
        .sort(by)
    )


def structure_once(
    signals: pl.DataFrame, which: pl.DataFrame, weights: Mapping[str, float], *, by: str
) -> pl.DataFrame:
    """``signals`` (``by, reason, strength``) where each ``by`` of ``which`` keeps only the
    strongest of its :data:`ALONE_REASONS` (most points; ties by reason name): its
    structural and lockstep reasons.

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.DataFrame({"key": ["a", "a", "a", "b", "b"],
    ...     "reason": ["community", "dense_block", "new_account", "community", "dense_block"],
    ...     "strength": [1.0, 1.0, 1.0, 1.0, 1.0]})
    >>> w = {"community": 35.0, "dense_block": 45.0, "new_account": 15.0}
    >>> out = structure_once(s, pl.DataFrame({"key": ["a"]}), w, by="key")
    >>> sorted(out.rows())
    [('a', 'dense_block', 1.0), ('a', 'new_account', 1.0), ('b', 'community', 1.0), ('b', 'dense_block', 1.0)]
    """
    if which.height == 0:
        return signals
    hit = signals.join(which.select(by), on=by, how="semi").filter(
        pl.col("reason").is_in(ALONE_REASONS)
    )
    if hit.height == 0:
        return signals
    pts = pl.col("reason").replace_strict(
        {r: float(weights.get(r, 0.0)) for r in ALONE_REASONS}, return_dtype=pl.Float64
    ) * pl.col("strength").cast(pl.Float64).fill_nan(-1.0).clip(-1.0, 1.0)
    best = (
        hit.with_columns(pts.fill_null(-1.0).alias("_p"))
        .sort([by, "_p", "reason"], descending=[False, True, False])
        .unique(by, keep="first", maintain_order=True)
        .select(by, "reason", "strength")
    )
    rest = signals.join(hit.select(by, "reason").unique(), on=[by, "reason"], how="anti")
    return pl.concat([rest, best.cast(signals.schema)])


def _finite_signals(signals: pl.DataFrame, *, by: str) -> pl.DataFrame:
    """``signals`` without rows whose strength is NaN or infinite (logged, never scored).

    A non-finite strength says nothing about how strongly a reason applies; scoring it
    would make the risk NaN, and NaN passes every ``>= min_risk`` test of a policy.
    """
    strength = pl.col("strength").cast(pl.Float64)
    non_finite = (strength.is_nan() | strength.is_infinite()).fill_null(False)
    bad = signals.filter(non_finite)
    if bad.height == 0:
        return signals
    by_reason = dict(sorted(bad.group_by("reason").len().iter_rows()))
    log.warning(
        "scoring: %d signal(s) with a non-finite strength ignored (by reason: %s; e.g. %s %r)",
        bad.height,
        by_reason,
        by,
        bad[by][0],
    )
    return signals.filter(~non_finite)


def score_rings(
    rings: pl.DataFrame,
    membership: pl.DataFrame,
    entity_signals: pl.DataFrame,
    *,
    weights: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """Ring risk: the share of members carrying each entity reason plus ring-level features.

    Returns ``rings`` with ``risk_score``, ``reasons`` and ``contributions`` added, sorted by
    risk (highest first), then ring_id.
    """
    w = resolve_weights(weights)
    if rings.height == 0:
        return rings.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("risk_score"),
            pl.lit(None, dtype=pl.List(pl.String)).alias("reasons"),
            pl.lit(None, dtype=pl.List(pl.Float64)).alias("contributions"),
        )
    # the shares are over the members that act (a ring's owners, who joined it for owning
    # its targets, neither add to them nor dilute them)
    acting = rings.select("ring_id", "size")
    members = membership.select("key", "ring_id")
    if "owners" in rings.columns:
        owners = rings.select("ring_id", pl.col("owners").alias("key")).explode("key")
        members = members.join(owners.drop_nulls("key"), on=["ring_id", "key"], how="anti")
        acting = rings.select(
            "ring_id", (pl.col("size") - pl.col("owners").list.len()).clip(1, None).alias("size")
        )
    ent = (
        entity_signals.filter(~pl.col("reason").is_in(MEMBERSHIP_REASONS))
        .join(members, on="key")
        .group_by("ring_id", "reason")
        .agg(pl.col("strength").sum().alias("_s"))
        .join(acting, on="ring_id")
        .select(
            "ring_id", "reason", (pl.col("_s") / pl.col("size")).clip(0.0, 1.0).alias("strength")
        )
    )
    # a ring frame without a feature (a caller's own rings) gives that reason nothing
    have = set(rings.columns)
    feat = pl.concat(
        [
            rings.select(
                "ring_id",
                pl.lit(name).alias("reason"),
                expr.cast(pl.Float64).fill_null(0.0).alias("strength"),
            )
            for name, expr in RING_FEATURE_REASONS.items()
            if set(expr.meta.root_names()) <= have
        ]
    )
    sig = pl.concat([ent, feat])
    if "structure_alone" in have:
        alone = rings.filter(pl.col("structure_alone").fill_null(False)).select("ring_id")
        sig = structure_once(sig, alone, w, by="ring_id")
    scored = combine(sig, w, by="ring_id")
    out = rings.join(scored, on="ring_id", how="left").with_columns(
        pl.col("risk_score").fill_null(0.0),
        pl.col("reasons").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        pl.col("contributions").fill_null(pl.lit([], dtype=pl.List(pl.Float64))),
    )
    return out.sort(["risk_score", "ring_id"], descending=[True, False])


def score_entities(
    entity_signals: pl.DataFrame,
    *,
    rings: pl.DataFrame | None = None,
    membership: pl.DataFrame | None = None,
    weights: Mapping[str, Any] | None = None,
    nodes: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Entity risk from its own signals plus ``ring_member`` (the ring's risk / 100).

    ``nodes`` (the graph's node table: ``key``, ``node_type``, ``node_id``) gives each key's
    type and id exactly; without it they are split from the key at its first ``:``.

    Returns ``key, entity_type, entity_id, risk_score, ring_id, reasons, contributions``
    sorted by risk (highest first), then key.

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.DataFrame({"key": ["buyer:1", "buyer:2"], "reason": ["dense_block", "new_account"],
    ...     "strength": [1.0, 1.0]})
    >>> score_entities(s).select("entity_id", "reasons").rows()
    [('1', ['dense_block']), ('2', ['new_account'])]
    """
    w = resolve_weights(weights)
    sig = entity_signals.select("key", "reason", "strength")
    if rings is not None and membership is not None and "structure_alone" in rings.columns:
        alone = rings.filter(pl.col("structure_alone").fill_null(False)).select("ring_id")
        keys = membership.join(alone, on="ring_id", how="semi").select("key").unique()
        sig = structure_once(sig, keys, w, by="key")
    if rings is not None and membership is not None and rings.height:
        ring_sig = (
            membership.select("key", "ring_id")
            .join(rings.select("ring_id", "risk_score"), on="ring_id")
            .select(
                "key",
                pl.lit("ring_member").alias("reason"),
                (pl.col("risk_score") / 100.0).alias("strength"),
            )
        )
        sig = pl.concat([sig, ring_sig])
    scored = combine(sig, w, by="key")
    if membership is not None and membership.height:
        scored = scored.join(membership.select("key", "ring_id"), on="key", how="left")
    else:
        scored = scored.with_columns(pl.lit(None, dtype=pl.String).alias("ring_id"))
    if nodes is not None:
        scored = scored.join(
            nodes.select(
                "key",
                pl.col("node_type").alias("entity_type"),
                pl.col("node_id").alias("entity_id"),
            ),
            on="key",
            how="left",
        )
    else:
        scored = scored.with_columns(
            pl.col("key").str.splitn(":", 2).struct.field("field_0").alias("entity_type"),
            pl.col("key").str.splitn(":", 2).struct.field("field_1").alias("entity_id"),
        )
    return scored.select(
        "key", "entity_type", "entity_id", "risk_score", "ring_id", "reasons", "contributions"
    ).sort(["risk_score", "key"], descending=[True, False])


class RiskModel:
    """Learn reason weights from labels: L2-regularised logistic regression on the signals.

    ``predict`` gives calibrated probabilities × 100 ("higher = riskier"); the learnt
    coefficients are exposed as ``weights_`` (points per unit strength, ≥ 0 clipped for the
    transparent model) so a fitted model can be written back into ``[score.weights]``.

    Parameters
    ----------
    l2
        Ridge penalty.
    max_iter
        Newton iterations.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(0)
    >>> X = pl.DataFrame({"dense_block": rng.random(400), "new_account": rng.random(400)})
    >>> y = (X["dense_block"].to_numpy() + 0.1 * rng.random(400) > 0.6).astype(int)
    >>> m = RiskModel().fit(X, y)
    >>> m.weights_["dense_block"] > m.weights_["new_account"]
    True
    >>> bool((m.predict(X) >= 0).all() and (m.predict(X) <= 100).all())
    True
    """

    def __init__(self, *, l2: float = 1.0, max_iter: int = 50) -> None:
        self.l2 = l2
        self.max_iter = max_iter

    def fit(self, X: pl.DataFrame, y: np.ndarray | pl.Series) -> RiskModel:
        yv = np.asarray(y, dtype=np.float64)
        if X.height != len(yv):
            raise ConfigError(f"RiskModel.fit: X has {X.height} rows but y has {len(yv)}")
        if len(np.unique(yv)) < 2:
            raise ConfigError(
                "RiskModel.fit: labels must contain both confirmed (1) and cleared (0) entities"
            )
        if not np.isfinite(yv).all():
            raise InputError("RiskModel.fit: y holds NaN or infinite labels (expected 0 or 1)")
        self.features_ = list(X.columns)
        A = np.column_stack([np.ones(X.height), _finite_matrix(X, where="RiskModel.fit")])
        beta = np.zeros(A.shape[1])
        reg = np.full(A.shape[1], self.l2)
        reg[0] = 0.0
        for _ in range(self.max_iter):
            p = 1.0 / (1.0 + np.exp(-(A @ beta)))
            g = A.T @ (p - yv) + reg * beta
            H = (A * (p * (1 - p))[:, None]).T @ A + np.diag(reg + 1e-9)
            step = np.linalg.solve(H, g)
            beta -= step
            if np.abs(step).max() < 1e-8:
                break
        self.intercept_ = float(beta[0])
        self.coef_ = beta[1:]
        self.weights_ = {
            f: float(max(0.0, c) * 100.0 / 4.0)
            for f, c in zip(self.features_, self.coef_, strict=True)
        }
        return self

    def predict(self, X: pl.DataFrame) -> np.ndarray:
        """Risk 0–100 (calibrated probability of ``confirmed`` × 100)."""
        A = _finite_matrix(X.select(self.features_), where="RiskModel.predict")
        with np.errstate(over="ignore"):  # exp overflows to inf -> risk 0, still finite
            return 100.0 / (1.0 + np.exp(-(self.intercept_ + A @ self.coef_)))


def _finite_matrix(X: pl.DataFrame, *, where: str) -> np.ndarray:
    """``X`` as a float matrix; a NaN or infinite value is refused, naming column and row."""
    A = X.to_numpy().astype(np.float64)
    bad = ~np.isfinite(A)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise InputError(
            f"{where}: column {X.columns[col]!r}, row {row}: {float(A[row, col])!r} "
            "(expected a finite number)"
        )
    return A


def signal_matrix(signals: pl.DataFrame, keys: pl.Series | None = None) -> pl.DataFrame:
    """Wide ``key × reason`` strength matrix (zeros where absent) for :class:`RiskModel`."""
    wide = signals.pivot(
        on="reason", index="key", values="strength", aggregate_function="max"
    ).fill_null(0.0)
    if keys is not None:
        wide = pl.DataFrame({"key": keys}).join(wide, on="key", how="left").fill_null(0.0)
    return wide.sort("key")
