"""Merge detector candidates into rings and describe each ring.

Every detector proposes **candidates**: groups of actor node keys with a strength in
[0, 1] (how sure the detector is). A ring is a connected group of overlapping candidates:

1. two candidates are linked when their overlap coefficient
   ``|A ∩ B| / min(|A|, |B|)`` is at least ``min_overlap`` (0.5): a lockstep group and a
   dense block over the same buyers become one ring, while two rings that share one
   hijacked account stay apart;
2. linked candidates form a ring (connected components);
3. **one entity, one ring**: an entity proposed for several rings goes to the ring where
   its *support* — the summed strength of the candidates naming it — is highest (ties: the
   larger ring, then the smaller ring id); it is dropped from the others;
4. rings with fewer than ``min_size`` members are dropped;
5. rings that work on the same targets are one case and merge (target sets with a
   Jaccard of at least 0.5, sharing two targets or, sharing one, making a quarter of its
   audience together: :func:`_merged_by_targets`): the waves of one rating-bombing crew,
   the device clusters of one bonus farm.

Ring ids are ``ring_`` + the first 16 hex digits of the SHA-1 of the sorted member keys
(each length-prefixed, see :func:`ring_id_of`), so the same ring gets the same id in every
run; across runs with changed membership
rings are matched by overlap (``ringlens diff``).

Each ring's features come from :func:`ringlens.rings.features.ring_features` and its
pattern from the catalogue in :mod:`ringlens.rings.patterns` (first matching pattern).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypedDict

import numpy as np
import polars as pl

from ringlens.exceptions import ConfigError
from ringlens.graph import EventGraph
from ringlens.graph.core import alike_sets, component_labels
from ringlens.graph.roles import Roles
from ringlens.rings.features import (
    NEW_ACCOUNT_APART,
    OWN_TARGET,
    OwnerGraph,
    background_density,
    hourly_rhythm,
    owner_graph,
    ring_features,
    ring_member_contrast,
    ring_owner_significance,
    ring_owners,
)
from ringlens.rings.patterns import Catalogue, classify, load_catalogue

log = logging.getLogger(__name__)

__all__ = [
    "CANDIDATE_SCHEMA",
    "Rings",
    "build_rings",
    "merge_candidates",
    "background_density",
    "ring_features",
]

CANDIDATE_SCHEMA = pl.Schema(
    {"detector": pl.String, "candidate": pl.String, "key": pl.String, "strength": pl.Float64}
)


def _length_prefixed(parts: list[str]) -> bytes:
    """Each part as its UTF-8 byte length (8 bytes, big-endian) followed by the bytes.

    The concatenation decodes back into the parts, so different lists give different
    bytes whatever characters the parts hold (newlines, separators, NUL, anything).
    """
    out = bytearray()
    for part in parts:
        raw = part.encode("utf-8", "surrogatepass")
        out += len(raw).to_bytes(8, "big")
        out += raw
    return bytes(out)


def ring_id_of(members: list[str]) -> str:
    """Stable ring id from the member keys: ``ring_`` + 16 hex digits of a SHA-1.

    The SHA-1 is taken over the sorted keys, each as its UTF-8 byte length (8 bytes,
    big-endian) followed by its bytes, so two different member sets never share the
    encoded input, whatever characters the ids hold.

    Examples
    --------
    >>> ring_id_of(["buyer:2", "buyer:1"]) == ring_id_of(["buyer:1", "buyer:2"])
    True
    >>> ring_id_of(["buyer:1", "buyer:2"])
    'ring_d9c7f0a680d7900c'
    >>> ring_id_of(["buyer:a\\nbuyer:b"]) != ring_id_of(["buyer:a", "buyer:b"])
    True
    """
    h = hashlib.sha1(_length_prefixed(sorted(members))).hexdigest()
    return f"ring_{h[:16]}"


def merge_candidates(
    candidates: pl.DataFrame,
    *,
    min_overlap: float = 0.5,
    min_size: int = 3,
) -> pl.DataFrame:
    """Merge overlapping candidates into rings; each entity ends in at most one ring.

    Parameters
    ----------
    candidates
        ``detector``, ``candidate``, ``key``, ``strength`` (see :data:`CANDIDATE_SCHEMA`).
    min_overlap
        Overlap coefficient at which two candidates are merged.
    min_size
        Smallest ring kept.

    Returns
    -------
    polars.DataFrame
        ``key``, ``ring_id``, ``support`` (summed strength), ``detectors`` (sorted list),
        sorted by ring_id, key.

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"detector": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
    ...     "candidate": ["1"] * 3 + ["2"] * 3 + ["3"] * 3,
    ...     "key": ["x", "y", "z", "y", "z", "w", "p", "q", "z"], "strength": 1.0})
    >>> m = merge_candidates(c, min_size=2)
    >>> m.group_by("ring_id").agg(pl.col("key").sort()).sort("key")["key"].to_list()
    [['p', 'q'], ['w', 'x', 'y', 'z']]
    """
    if not 0 < min_overlap <= 1:
        raise ConfigError(f"min_overlap must be within (0, 1], got {min_overlap}")
    if min_size < 1:
        raise ConfigError(f"min_size must be >= 1, got {min_size}")
    out_schema: dict[str, Any] = {
        "key": pl.String,
        "ring_id": pl.String,
        "support": pl.Float64,
        "detectors": pl.List(pl.String),
    }
    if candidates.height == 0:
        return pl.DataFrame(schema=out_schema)
    c = (
        candidates.select(
            pl.concat_str("detector", pl.lit("/"), "candidate").alias("cand"),
            "detector",
            "key",
            "strength",
        )
        .group_by("cand", "detector", "key")
        .agg(pl.col("strength").max())
    )
    cands = c.select("cand").unique().sort("cand").with_row_index("ci")
    c = c.join(cands, on="cand")
    size = c.group_by("ci").agg(pl.len().alias("n"))
    pairs = (
        c.select("ci", "key")
        .join(c.select(pl.col("ci").alias("cj"), "key"), on="key")
        .filter(pl.col("ci") < pl.col("cj"))
        .group_by("ci", "cj")
        .agg(pl.len().alias("shared"))
        .join(size, on="ci")
        .join(size.rename({"ci": "cj", "n": "nj"}), on="cj")
        .filter(pl.col("shared") / pl.min_horizontal("n", "nj") >= min_overlap)
    )
    n = cands.height
    comp = component_labels(n, pairs["ci"].to_numpy(), pairs["cj"].to_numpy())
    c = c.join(pl.DataFrame({"ci": np.arange(n, dtype=np.uint32), "comp": comp}), on="ci")
    # support of each entity in each component (summed in value order: the same sum
    # whatever order the rows arrive in)
    sup = c.group_by("comp", "key").agg(
        pl.col("strength").sort().sum().alias("support"),
        pl.col("detector").unique().sort().alias("detectors"),
    )
    comp_size = sup.group_by("comp").agg(pl.len().alias("comp_size"))
    sup = sup.join(comp_size, on="comp")
    # one entity, one ring: highest support, then larger ring, then smaller component id
    best = sup.sort(
        ["key", "support", "comp_size", "comp"], descending=[False, True, True, False]
    ).unique(subset="key", keep="first", maintain_order=True)
    sizes = best.group_by("comp").agg(pl.len().alias("n"))
    best = best.join(sizes.filter(pl.col("n") >= min_size).select("comp"), on="comp", how="semi")
    ids = (
        best.group_by("comp")
        .agg(pl.col("key").sort())
        .with_columns(
            pl.col("key").map_elements(ring_id_of, return_dtype=pl.String).alias("ring_id")
        )
    )
    return (
        best.join(ids.select("comp", "ring_id"), on="comp")
        .select("key", "ring_id", "support", "detectors")
        .sort("ring_id", "key")
    )


@dataclass
class Rings:
    """Rings found in a run.

    Attributes
    ----------
    rings : polars.DataFrame
        One row per ring: ``ring_id``, ``pattern``, ``size``, ``members`` (list of node keys),
        ``detectors`` and the feature columns.
    membership : polars.DataFrame
        ``key``, ``ring_id``, ``support``, ``detectors``.
    named_targets : polars.DataFrame
        ``ring_id``, ``key``: the targets each ring's detectors named — ``targets``
        without those only the test beyond chance added. Merges and owners follow these,
        and so do the ring-stage detectors (a ring's structure and its brokers).
    dropped : dict
        For each rule of :data:`DROP_RULES` that judged proposals organic, the number of
        their accounts that are in no ring (an account a rule dropped that another ring
        holds is not counted): what the run says it left out, and why.
    """

    rings: pl.DataFrame
    membership: pl.DataFrame
    named_targets: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"ring_id": pl.String, "key": pl.String})
    )
    #: rule → the accounts of the proposals it judged organic and dropped that are in no
    #: ring: ``{"shared-attribute-only": 30}`` (:data:`DROP_RULES`)
    dropped: Mapping[str, int] = field(default_factory=dict)

    def to_frame(self) -> pl.DataFrame:
        return self.rings

    def __len__(self) -> int:
        return self.rings.height


#: The ring-stage rules that drop proposals as organic (what :attr:`Rings.dropped` counts):
#: rule name → what the proposals it drops show.
DROP_RULES: Mapping[str, str] = {
    "structure-only": "co-interaction structure that is not significant or an owner's audience",
    "shared-attribute-only": "shared devices, payout accounts or coupons and nothing else",
    "in-step-by-number": "structure and a synchrony their number and activity explain",
    "structure-and-sharing": "structure and sharing, neither holding on its own",
}
_DROPS: ContextVar[list[tuple[str, pl.DataFrame]] | None] = ContextVar("ring_drops", default=None)
_P = ParamSpec("_P")


def _counting_drops(fn: Callable[_P, Rings]) -> Callable[_P, Rings]:
    """``fn`` (:func:`build_rings`) with :attr:`Rings.dropped` filled from the drops its
    rules record (:func:`_without_unexplained`) while it runs."""

    @functools.wraps(fn)
    def counted(*args: _P.args, **kwargs: _P.kwargs) -> Rings:
        ledger: list[tuple[str, pl.DataFrame]] = []
        token = _DROPS.set(ledger)
        try:
            out = fn(*args, **kwargs)
        finally:
            _DROPS.reset(token)
        kept = out.membership["key"].unique().implode()
        counts: dict[str, int] = {}
        left: set[str] = set()
        for rule, keys in ledger:
            gone = set(keys.filter(~pl.col("key").is_in(kept))["key"].to_list()) - left
            left |= gone
            if gone:
                counts[rule] = counts.get(rule, 0) + len(gone)
        return replace(out, dropped=dict(sorted(counts.items())))

    return counted


@_counting_drops
def build_rings(
    graph: EventGraph,
    candidates: pl.DataFrame,
    *,
    roles: Roles | None = None,
    catalogue: Catalogue | None = None,
    candidate_targets: pl.DataFrame | None = None,
    entities: pl.DataFrame | None = None,
    min_overlap: float = 0.5,
    min_size: int = 3,
    burst_window: timedelta = timedelta(hours=3),
    background: float | None = None,
    first_ts: datetime | None = None,
    new_account_base: float | None = None,
    interactions: tuple[Sequence[str] | None, tuple[int, int, int]] | None = None,
    values: Mapping[str, float] | None = None,
    rhythm: Sequence[float] | None = None,
    extra_features: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    structure_only: Collection[str] = (),
    attribute_only: Collection[str] = (),
    timing: Collection[str] = (),
    through_owners: Collection[str] = (),
    owner_totals: tuple[int, int, int] | None = None,
    min_significance: float = 2.0,
    arrival: tuple[datetime, float] | None = None,
) -> Rings:
    """Merge candidates (see :func:`merge_candidates`), compute ring features
    (:func:`ringlens.rings.features.ring_features`: ``roles`` and the run-wide quantities
    go to it), name each ring's pattern (:mod:`ringlens.rings.patterns`; default catalogue).
    ``candidate_targets`` (``detector, candidate, key``): the targets the detectors saw each
    candidate work on (a dense block's columns); a ring's are its candidates', if any.
    ``extra_features`` (membership → ``ring_id`` + features) adds the run's own features.

    A ring proposed only by detectors of ``structure_only`` (communities, dense blocks)
    must be significant (``significance`` at least ``min_significance``) and more
    (:func:`_structure_only_unexplained`); other evidence (shared attributes; time from
    ``timing`` detectors in step beyond chance, :func:`_evidence`) keeps a ring anyway.

    One only ``attribute_only`` detectors (shared devices, cards, coupons) proposed must
    show abuse beyond the sharing (:func:`_attribute_only_kept`, after rings merge).
    Rings ``through_owners`` detectors proposed (the owner communities) are judged on
    the owner projection (:func:`_drawn_members`; a part of a run: ``owner_totals``).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timedelta, timezone
    >>> from ringlens.graph import build_graph
    >>> from ringlens.graph.roles import Roles
    >>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"actor_id": ["1", "2", "3", "1", "2", "3"], "actor_type": "buyer",
    ...     "target_id": ["p", "p", "p", "q", "q", "q"], "target_type": "product",
    ...     "action": "order", "ts": [t + timedelta(minutes=i) for i in range(6)]})
    >>> cand = pl.DataFrame({"detector": "x", "candidate": "0",
    ...     "key": ["buyer:1", "buyer:2", "buyer:3"], "strength": 1.0})
    >>> r = build_rings(build_graph(ev), cand, roles=Roles(action_role={"order": "purchase"}))
    >>> r.rings.select("size", "n_targets", "density", "synchrony", "pattern").row(0)
    (3, 2, 1.0, 1.0, 'brushing')
    """
    membership = merge_candidates(candidates, min_overlap=min_overlap, min_size=min_size)
    membership = _pooled(membership, candidates, candidate_targets, structure_only)
    owners = _owners_for(graph, membership, roles, through_owners, owner_totals)
    if structure_only:
        membership = _drawn_members(
            graph,
            membership,
            candidates,
            candidate_targets,
            structure_only=structure_only,
            through_owners=through_owners,
            owners=owners,
            roles=roles,
            interactions=interactions,
            min_significance=min_significance,
            min_size=min_size,
        )
    if membership.height == 0:
        return Rings(rings=_empty_rings(), membership=membership)
    rhythm = hourly_rhythm(graph) if rhythm is None else rhythm  # once for every features()

    def features(m: pl.DataFrame) -> pl.DataFrame:
        f = ring_features(
            graph,
            m,
            targets=_ring_targets(candidates, m, candidate_targets),
            **_target_sets(candidates, m, structure_only, timing, attribute_only),
            roles=roles,
            entities=entities,
            burst_window=burst_window,
            scales=_ring_scales(candidates, m, candidate_targets, timing),
            background=background,
            first_ts=first_ts,
            new_account_base=new_account_base,
            interactions=interactions,
            values=values,
            rhythm=rhythm,
            arrival=arrival,
        )
        return _with_owner_significance(f, m, owners, roles, through_owners)

    feats = features(membership)
    if structure_only and "significance" in feats.columns:
        kept = _structure_only_unexplained(structure_only, min_significance, (), through_owners)
        membership = _without_unexplained(membership, feats, kept, "structure-only", WEAK)
    rules = (structure_only, attribute_only, timing, min_significance, through_owners)
    judge = _case_judge(graph, candidates, features, *rules)
    fresh = _fresh(min_significance, BATCH_APART)  # what sets a dropped case's group apart
    membership, feats = _timing_groups_retried(
        candidates, membership, feats, features, judge, timing, min_overlap, min_size, fresh
    )
    if extra_features is not None:
        feats = feats.join(extra_features(membership), on="ring_id", how="left")
    rings = classify(_members(membership).join(feats, on="ring_id"), catalogue or load_catalogue())
    rings = _with_structure_alone(rings, structure_only, timing)
    rings, membership = _with_owners(
        graph, rings, membership, roles=roles, interactions=interactions, values=values
    )
    rings, named = _without_beyond(rings)
    return Rings(rings=_laid_out(rings), membership=membership, named_targets=named)


#: Rings merged by their targets and judged as cases: the membership and features in, the
#: merged membership, its features and the membership kept out (:func:`_case_judge`).
CaseJudge = Callable[[pl.DataFrame, pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]]


def _case_judge(
    graph: EventGraph,
    candidates: pl.DataFrame,
    features: Callable[[pl.DataFrame], pl.DataFrame],
    structure_only: Collection[str],
    attribute_only: Collection[str],
    timing: Collection[str],
    min_significance: float,
    through_owners: Collection[str],
) -> CaseJudge:
    """What :func:`build_rings` does to rings after the structure-only rule: merge them by
    named targets (by those beyond chance too between rings of evidence,
    :func:`_merge_by_targets`) and judge the merged cases (:func:`_cases_explained`)."""

    def judged(
        membership: pl.DataFrame, feats: pl.DataFrame
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        evidence = _with_other_evidence(candidates, membership, structure_only)
        membership, feats = _merge_by_targets(graph, membership, feats, features, evidence)
        kept = _cases_explained(
            membership,
            feats,
            structure_only,
            attribute_only,
            timing,
            min_significance,
            through_owners,
        )
        return membership, feats, kept

    return judged


def _timing_groups_retried(
    candidates: pl.DataFrame,
    membership: pl.DataFrame,
    feats: pl.DataFrame,
    features: Callable[[pl.DataFrame], pl.DataFrame],
    judge: CaseJudge,
    timing: Collection[str],
    min_overlap: float,
    min_size: int,
    fresh: pl.Expr,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The membership judged as cases (``judge``: rings merged by their targets, then
    :func:`_cases_explained`; it returns the merged membership, the features and the
    membership kept), with the ``timing`` detectors' groups of the cases it dropped tried
    again as rings of their own, merged and judged the same way; the features with theirs.

    A case is judged as a whole: a promo farm's two claim bursts that lockstep found pure,
    merged into the 170 accounts that a pool of shared phones ties to them, fall with the
    pool when the pool shows nothing but the sharing. Each lockstep group whose members
    all sat in dropped cases becomes a ring again, as it would be had no other candidate
    touched it; the groups merge by their targets and the same rules judge them, and a
    ring they make stands where its accounts are also a batch of new accounts (``fresh``:
    :func:`_fresh` at :data:`BATCH_APART`): who they are sets them apart from the case
    around them. Old accounts in step inside a case that fell — colleagues ordering
    lunch on the office card, a release day's listeners — are that case's moments and
    stay with it."""
    merged, feats, kept = judge(membership, feats)
    if not timing or kept.height == merged.height:
        return kept, feats
    dropped = merged.join(kept.select("ring_id").unique(), on="ring_id", how="anti")
    own = candidates.filter(pl.col("detector").is_in(list(timing)))
    inside = own.with_columns(_in=pl.col("key").is_in(dropped["key"].implode()))
    whole = inside.group_by("detector", "candidate").agg(pl.col("_in").all()).filter("_in")
    own = own.join(whole.select("detector", "candidate"), on=["detector", "candidate"])
    again = merge_candidates(own, min_overlap=min_overlap, min_size=min_size)
    # a group that was a dropped case by itself has been judged already
    again = again.join(merged.select("ring_id").unique(), on="ring_id", how="anti")
    _, found, held = judge(again, features(again))
    if "new_account_lift" not in found.columns:  # no member's age is known
        return kept, feats
    held = held.join(found.filter(fresh).select("ring_id"), on="ring_id", how="semi")
    if held.height == 0:
        return kept, feats
    log.info(
        "rings: %d lockstep groups of dropped cases hold as rings of their own",
        held["ring_id"].n_unique(),
    )
    found = found.join(held.select("ring_id").unique(), on="ring_id", how="semi")
    return (
        pl.concat([kept, held], how="vertical_relaxed").sort("ring_id", "key"),
        pl.concat([feats, found], how="vertical_relaxed"),
    )


def _laid_out(rings: pl.DataFrame) -> pl.DataFrame:
    """The rings in the output's column order (identity first), sorted by ring id."""
    first = ("ring_id", "pattern", "size", "members", "detectors")
    return rings.select(*first, pl.exclude(*first)).sort("ring_id")


def _owners_for(
    graph: EventGraph,
    membership: pl.DataFrame,
    roles: Roles | None,
    through_owners: Collection[str],
    totals: tuple[int, int, int] | None = None,
) -> OwnerGraph | None:
    """The owner projection around the rings a ``through_owners`` detector proposed a
    member of (:func:`ringlens.rings.features.owner_graph`; ``totals``: the run's), else
    None."""
    if not through_owners or roles is None or membership.height == 0:
        return None
    by_owner = _proposed_by(through_owners)
    rings = membership.filter(by_owner).select("ring_id").unique()
    if rings.height == 0:
        return None
    accounts = membership.join(rings, on="ring_id", how="semi")["key"].unique().sort()
    return owner_graph(graph, roles, accounts, totals)


def _with_owner_significance(
    feats: pl.DataFrame,
    membership: pl.DataFrame,
    owners: OwnerGraph | None,
    roles: Roles | None,
    through_owners: Collection[str],
) -> pl.DataFrame:
    """``feats`` with ``sig_owners`` (:func:`ringlens.rings.features.ring_owner_significance`)
    for the rings a ``through_owners`` detector proposed, null for the others."""
    if owners is None:
        return feats.with_columns(pl.lit(None, dtype=pl.Float64).alias("sig_owners"))
    by_owner = _proposed_by(through_owners)
    rings = _members(membership).filter(by_owner).select("ring_id")
    sub = membership.join(rings, on="ring_id", how="semi")
    if sub.height == 0:
        return feats.with_columns(pl.lit(None, dtype=pl.Float64).alias("sig_owners"))
    sig = ring_owner_significance(owners, sub, roles=roles)
    return feats.join(sig, on="ring_id", how="left")


def _without_beyond(rings: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rings without ``beyond_targets``, and ``ring_id, key`` for each target its
    detectors named (:func:`_named_targets`), one row each."""
    named = (
        rings.select("ring_id", _named_targets(rings).alias("key"))
        .explode("key")
        .drop_nulls()
        .sort("ring_id", "key")
    )
    return rings.drop("beyond_targets", strict=False), named


def _members(membership: pl.DataFrame) -> pl.DataFrame:
    """``ring_id, members, detectors``: each ring's sorted member keys and detectors."""
    return membership.group_by("ring_id").agg(
        pl.col("key").sort().alias("members"),
        pl.col("detectors").explode().unique().sort().alias("detectors"),
    )


#: Two rings whose target sets are mostly the same (Jaccard at least this) are one case
#: (the same campaign's groups, found apart: lockstep groups of different bursts, device
#: clusters of one farm) ...
SAME_TARGETS = 0.5
#: ... when they share two targets or more; two rings that together make at least this
#: share of the audience of a target they share (one they reach only beyond chance too)
#: are one case too, if their target sets are that alike or they work in one market
#: (four fragments of a referral ring on the app they refer to; two groups passing by one
#: popular target are not one case): the share at which a target is a ring's own
#: (``sig_beyond``)
ONE_TARGET_AUDIENCE = OWN_TARGET


def _merge_by_targets(
    graph: EventGraph,
    membership: pl.DataFrame,
    feats: pl.DataFrame,
    features: Callable[[pl.DataFrame], pl.DataFrame],
    evidence: pl.Series | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Membership and features with rings on the same targets merged
    (:func:`_merged_by_targets`); ``features`` computes the merged rings' features."""
    merged = _merged_by_targets(graph, membership, feats, evidence)
    if merged is None:
        return membership, feats
    new = merged.join(membership.select("ring_id").unique(), on="ring_id", how="anti")
    kept = feats.join(merged.select("ring_id").unique(), on="ring_id", how="semi")
    return merged, pl.concat([kept, features(new)], how="vertical_relaxed")


def _on_their_target(
    graph: EventGraph, membership: pl.DataFrame, feats: pl.DataFrame, pairs: pl.DataFrame
) -> pl.DataFrame:
    """``ring_id, ring_id_b``: the ``pairs`` of rings (not the same targets) that make
    :data:`ONE_TARGET_AUDIENCE` of the audience of a target they share together, alike
    (``alike``) or in one market."""
    # rings alike in little but one target they own together are one case in one market
    # (two carding rings of two markets on one skin are two)
    market = feats.select("ring_id", "market") if "market" in feats.columns else None
    single = pairs
    if market is not None:
        other = market.rename({"ring_id": "ring_id_b", "market": "market_b"})
        single = (
            single.join(market, on="ring_id", how="left")
            .join(other, on="ring_id_b", how="left")
            .filter(
                pl.col("alike")
                | pl.col("market").is_null()
                | pl.col("market_b").is_null()
                | (pl.col("market") == pl.col("market_b"))
            )
        )
    single = single.explode("keys").rename({"keys": "one"}).select("ring_id", "ring_id_b", "one")
    if single.height == 0:
        return single.select("ring_id", "ring_id_b")
    nodes = graph.nodes.select("node", "key")
    target = single.join(nodes.rename({"key": "one", "node": "dst"}), on="one")
    audience = (
        graph.edges.select("src", "dst")
        .join(target.select("dst").unique(), on="dst", how="semi")
        .unique()
    )
    ring_of = (
        membership.select("ring_id", "key")
        .join(nodes, on="key")
        .select("ring_id", pl.col("node").alias("src"))
    )
    total = audience.group_by("dst").agg(pl.len().alias("audience"))
    inside = (
        target.select("ring_id", "ring_id_b", "dst")
        .join(audience, on="dst")
        .join(ring_of.rename({"ring_id": "_r"}), on="src")
        .filter((pl.col("_r") == pl.col("ring_id")) | (pl.col("_r") == pl.col("ring_id_b")))
        .group_by("ring_id", "ring_id_b", "dst")
        .agg(pl.col("src").n_unique().alias("inside"))
        .join(total, on="dst")
        .filter(pl.col("inside") >= ONE_TARGET_AUDIENCE * pl.col("audience"))
    )
    return inside.select("ring_id", "ring_id_b").unique()


def _ring_pairs(
    feats: pl.DataFrame, live: pl.DataFrame, evidence: pl.Series | None
) -> pl.DataFrame:
    """``ring_id, ring_id_b, keys, alike, same``: the pairs of ``live`` rings that share a
    target, the targets they share (``keys``) and whether their target sets are alike
    (:data:`SAME_TARGETS`; ``same``: alike and sharing two) — see
    :func:`_merged_by_targets`."""

    def keyed(targets: pl.Expr) -> pl.DataFrame:
        return (
            feats.join(live, on="ring_id", how="semi")
            .select("ring_id", targets.alias("key"))
            .explode("key")
            .drop_nulls()
            .unique()
        )

    def shared(tg: pl.DataFrame) -> pl.DataFrame:
        return (
            tg.join(tg, on="key", suffix="_b")
            .filter(pl.col("ring_id") < pl.col("ring_id_b"))
            .group_by("ring_id", "ring_id_b")
            .agg(pl.len().alias("shared"), pl.col("key").sort().alias("keys"))
        )

    tg = keyed(_named_targets(feats))
    by_named = shared(tg)
    nt = tg.group_by("ring_id").agg(pl.len().alias("nt"))
    named = (
        by_named.join(nt, on="ring_id")
        .join(nt.rename({"ring_id": "ring_id_b", "nt": "nt_b"}), on="ring_id_b")
        .with_columns(
            (
                pl.col("shared") / (pl.col("nt") + pl.col("nt_b") - pl.col("shared"))
                >= SAME_TARGETS
            ).alias("alike")
        )
        .with_columns((pl.col("alike") & (pl.col("shared") >= 2)).alias("same"))
        .select("ring_id", "ring_id_b", "alike", "same")
    )
    # alike by the named targets (the busiest kitchens two crews both reach beyond chance
    # make no campaign of them); one case on a target they make a quarter of the audience
    # of, named or beyond chance, between two rings that other evidence than structure
    # proposed (``evidence``, the rings that have targets beyond chance): a farm's own
    # driver, whom one fragment lockstep caught in step and the other's shared handsets
    # reach; not an indie collective's dense block and six of its fans on one card
    sharing = by_named.select("ring_id", "ring_id_b", "keys")
    if evidence is not None and "beyond_targets" in feats.columns:
        ev = keyed(pl.col("targets")).join(
            evidence.alias("ring_id").to_frame(), on="ring_id", how="semi"
        )
        sharing = pl.concat([sharing, shared(ev).select("ring_id", "ring_id_b", "keys")])
    pairs = (
        sharing.explode("keys")
        .unique()
        .group_by("ring_id", "ring_id_b")
        .agg(pl.col("keys").sort())
        .join(named, on=["ring_id", "ring_id_b"], how="left")
        .with_columns(pl.col("alike", "same").fill_null(False))
    )
    return pairs


def _merged_by_targets(
    graph: EventGraph,
    membership: pl.DataFrame,
    feats: pl.DataFrame,
    evidence: pl.Series | None = None,
) -> pl.DataFrame | None:
    """The membership with rings that work on the same targets merged (see
    :data:`SAME_TARGETS`), each merged ring under the id of its new member set; None when
    no two rings do.

    Detectors split one campaign by what they see: a rating-bombing crew that bursts on
    the same two apps in five waves is five lockstep groups whose members barely overlap,
    a bonus farm on four device clusters is four shared-target groups. Their members are
    different accounts, so the candidates do not merge; their targets are the same, and
    a reviewer wants one case. The fragments of one campaign are what one detector saw
    apart, so two rings merge only when a detector proposed members of both: a driver
    farm on shared handsets (shared targets) and a lockstep crowd of airport drivers
    work the same zones without being one case. Linked rings merge transitively
    (connected components).
    """
    if membership.height == 0 or "targets" not in feats.columns:
        return None
    live = membership.select("ring_id").unique()
    # fragments that one detector saw apart; a device farm that shared targets found and
    # a lockstep crowd working the same city zones share the city, not a campaign
    seen_by = _members(membership).select("ring_id", "detectors")
    pairs = _seen_by_one(_ring_pairs(feats, live, evidence), seen_by)
    if pairs.height == 0:
        return None
    single = _on_their_target(graph, membership, feats, pairs.filter(~pl.col("same")))
    both = ("ring_id", "ring_id_b")
    pairs = pl.concat([pairs.filter(pl.col("same")).select(both), single.select(both)])
    if pairs.height == 0:
        return None
    return _merged_components(membership, live, pairs, "that work on the same targets")


def _merged_components(
    membership: pl.DataFrame, live: pl.DataFrame, pairs: pl.DataFrame, why: str
) -> pl.DataFrame:
    """The membership with the ``live`` rings linked by ``pairs`` (``ring_id, ring_id_b``)
    merged, connected components, each merged ring under the id of its member set."""
    ids = live.sort("ring_id").with_row_index("i")
    idx = pairs.join(ids, on="ring_id").join(
        ids.rename({"ring_id": "ring_id_b", "i": "j"}), on="ring_id_b"
    )
    comp = component_labels(ids.height, idx["i"].to_numpy(), idx["j"].to_numpy())
    out = membership.join(ids.with_columns(pl.Series("_comp", comp)), on="ring_id")
    names = (
        out.group_by("_comp")
        .agg(pl.col("key").sort(), pl.col("ring_id").n_unique().alias("parts"))
        .with_columns(pl.col("key").map_elements(ring_id_of, return_dtype=pl.String).alias("_id"))
    )
    merged = names.filter(pl.col("parts") > 1)
    log.info("rings: %d rings %s merged into %d", int(merged["parts"].sum()), why, merged.height)
    return (
        out.join(names.select("_comp", "_id"), on="_comp")
        .select("key", pl.col("_id").alias("ring_id"), "support", "detectors")
        .sort("ring_id", "key")
    )


def _seen_by_one(pairs: pl.DataFrame, seen_by: pl.DataFrame) -> pl.DataFrame:
    """The ``pairs`` of rings (``ring_id, ring_id_b``) that one detector proposed members of
    both of (``seen_by``: ``ring_id, detectors``): the fragments of one campaign are what
    one detector saw apart."""
    return (
        pairs.join(seen_by, on="ring_id")
        .join(seen_by.rename({"ring_id": "ring_id_b", "detectors": "detectors_b"}), on="ring_id_b")
        .filter(pl.col("detectors").list.set_intersection("detectors_b").list.len() > 0)
        .drop("detectors", "detectors_b")
    )


#: A structure-only ring whose events on its targets go at least this share to the
#: targets of one owner is that owner's audience unless something else sets it apart ...
OWNER_AUDIENCE = 0.5
#: ... and so is one whose events go to at most this many owners outside the ring
#: (``effective_owners``: fans of a few creators of one niche, followers of a handful of
#: developers) ...
FEW_OWNERS = 5.0
#: ... and makes up less than this share of its targets' audiences (a ring that is nearly
#: the whole audience of its targets has no organic audience around it: the products
#: exist for it, the host launders through it) ...
WHOLE_AUDIENCE = 0.8
#: ... unless its members are new accounts beyond the platform's rate by
#: :data:`ringlens.detect.significance.NEW_ACCOUNT_APART` (``new_account_lift``; a random
#: group of accounts sits at 0) ...
#: ... or they move this many times the value that the same actions carry on the platform
#: on average (``value_lift``: fans gift and pay what other accounts do; a ring laundering
#: money through its owner's lives or listings moves many times that)
VALUE_APART = 5.0


#: A ring of shared attributes acts together on a target of its own (``sig_beyond``) when
#: at least this share of its members are on it (``beyond_share``): a farm's accounts all
#: book its listing, a family's or a campus's spread over their own.
TOGETHER = 0.8
#: A ring of shared attributes is a batch of fresh accounts when its new accounts fill at
#: least this share of the room above the platform's rate (``new_account_lift``): most of
#: a farm's accounts were made for it; a family, a team or a group of friends sharing a
#: plan, a card or a phone adds a new member now and then (two of six, three of ten).
BATCH_APART = 0.5


#: Why :func:`_without_unexplained` drops rings, for the log.
WEAK = "are not significant or an owner's audience"
ONLY = "show nothing but the sharing"
BOTH = "show nothing but structure and sharing"


def _cases_explained(
    membership: pl.DataFrame,
    feats: pl.DataFrame,
    structure_only: Collection[str],
    attribute_only: Collection[str],
    timing: Collection[str],
    min_significance: float,
    through_owners: Collection[str] = (),
) -> pl.DataFrame:
    """The membership without the merged rings (cases, judged as a whole: a farm's phone
    cluster that only its sister cluster's listings tie to the case is part of it) that
    show nothing but sharing (:func:`_attribute_only_kept`), that are in step by their
    number alone and have only co-interaction structure besides
    (:func:`_structure_only_unexplained` with ``timing``), or whose structure and sharing
    together hold no more than each alone (:func:`_structure_or_sharing_kept`)."""
    if attribute_only and "sig_beyond" in feats.columns:
        kept = _attribute_only_kept(attribute_only, min_significance)
        membership = _without_unexplained(membership, feats, kept, "shared-attribute-only", ONLY)
    if timing and structure_only and "significance" in feats.columns:
        kept = _structure_only_unexplained(structure_only, min_significance, timing, through_owners)
        membership = _without_unexplained(membership, feats, kept, "in-step-by-number", WEAK)
    if structure_only and attribute_only and "sig_beyond" in feats.columns:
        kept = _structure_or_sharing_kept(
            structure_only, attribute_only, timing, min_significance, through_owners
        )
        membership = _without_unexplained(membership, feats, kept, "structure-and-sharing", BOTH)
    return membership


def _structure_or_sharing_kept(
    structure_only: Collection[str],
    attribute_only: Collection[str],
    timing: Collection[str],
    min_significance: float,
    through_owners: Collection[str] = (),
) -> pl.Expr:
    """True for rings with evidence beyond co-interaction structure, shared attributes
    and time that chance explains, and for rings whose structure or sharing holds on its
    own (:func:`_structure_holds`, :func:`_beyond_sharing`).

    The structure-only and shared-attribute rules each judge the rings that only their
    kind of detector proposed; a ring that a community, the shared-attribute detector
    and a lockstep burst its synchrony explains all proposed escaped both, though none
    of the three is evidence: a campus network's 511 accounts, significance 0, in step
    by their number, sharing the campus's addresses and nothing else."""
    within = _proposed_only_by([*structure_only, *attribute_only], _evidence(timing))
    holds = _structure_holds(min_significance, through_owners)
    return within.not_() | holds | _beyond_sharing(min_significance)


def _without_unexplained(
    membership: pl.DataFrame, feats: pl.DataFrame, kept: pl.Expr, which: str, why: str
) -> pl.DataFrame:
    """The membership without the rings that ``kept`` (a rule over their detectors and
    features: :func:`_structure_only_unexplained`, :func:`_attribute_only_kept`) drops."""
    weak = _members(membership).join(feats, on="ring_id").filter(kept.not_())
    if weak.height == 0:
        return membership
    log.info("rings: %d %s rings %s (dropped)", weak.height, which, why)
    ledger = _DROPS.get()
    if ledger is not None:
        ledger.append((which, weak.select(pl.col("members").explode().alias("key"))))
    return membership.join(weak.select("ring_id"), on="ring_id", how="anti")


def _attribute_only_kept(attribute_only: Collection[str], min_significance: float) -> pl.Expr:
    """True for rings the shared-attribute rule keeps: rings another detector proposed
    too, and shared-attribute-only rings with evidence of abuse beyond the sharing.

    Accounts on one phone, card or network address are one party or one organisation; the
    detector (:func:`ringlens.detect.shared.shared_targets`) says they are linked beyond
    chance, not that they abuse anything. A company's travellers book on its card from
    its office network, a family streams on one plan, a property manager's hosts log in
    from one office: each shares as much as a farm. A farm's accounts also do something
    no organisation does, and the ring is kept when they show it: they are a batch of new
    accounts (``new_account_lift`` at least :data:`BATCH_APART`: most of the room above the
    platform's rate, and more new accounts than chance puts in a group of their number:
    ``new_account_sig`` at least ``min_significance``, :func:`_fresh`; a family of six
    with two or three new members is no batch of fresh accounts; where no member's age is
    known, the same bounds on when they arrived in the data, ``arrival_lift`` and
    ``arrival_sig``: thirty accounts first seen in the run's second week on three phones,
    where four in five of the platform's accounts were there in its first days), they move
    far more value than the platform's accounts do with the same actions (``value_lift``
    at least :data:`VALUE_APART`), or they act together — they hit a target far beyond
    what their activity and its popularity explain (``sig_beyond``: thirty accounts on
    two funding cards hiring the one freelancer nobody else hires, with nearly all of the
    ring on that target: ``beyond_share`` at least :data:`TOGETHER`) or their targets form
    a significant block (``significance``), at least ``min_significance`` either way.
    Colleagues book different listings; a farm's accounts book the same one. A campus's
    three hundred accounts on its network are over-represented at some listing near it
    (fifteen of them, far beyond chance): a slice of a crowd on one target is no group
    acting together.
    """
    return _proposed_only_by(attribute_only).not_() | _beyond_sharing(min_significance)


def _beyond_sharing(min_significance: float) -> pl.Expr:
    """True for rings that show abuse beyond what their members share: fresh accounts,
    far more value than the platform moves, or acting together
    (:func:`_attribute_only_kept`)."""
    fresh = _fresh(min_significance, BATCH_APART)
    arrived = (pl.col("arrival_lift").fill_null(0.0) >= BATCH_APART) & (
        pl.col("arrival_sig").fill_null(0.0) >= min_significance
    )
    value = pl.col("value_lift").fill_null(0.0) >= VALUE_APART
    own = (pl.col("sig_beyond").fill_null(0.0) >= min_significance) & (
        pl.col("beyond_share").fill_null(0.0) >= TOGETHER
    )
    together = own | (pl.col("significance").fill_null(0.0) >= min_significance)
    return fresh | arrived | value | together


#: A ring whose ``synchrony_excess`` is at most this (at most a tenth of the events
#: chance leaves out of step are in step) is in step by its number and activity alone:
#: what the time detectors saw in it is no evidence of coordination.
SYNC_EXPLAINED = 0.1


#: A ring whose ``synchrony_excess`` is at least this (half of the events chance leaves out
#: of step are in step) and whose members are fresh (:func:`_fresh`) has evidence of time
#: whatever detector proposed it (:func:`_structure_only_unexplained`); below it, a ring of
#: old accounts that only structure shows is not clearly in step (:func:`_with_structure_alone`).
SYNC_BEYOND = 0.5


def _fresh(min_significance: float, apart: float = NEW_ACCOUNT_APART) -> pl.Expr:
    """True for rings whose members are new accounts beyond the platform's rate: by
    ``apart`` (default :data:`NEW_ACCOUNT_APART`) of what is left above it
    (``new_account_lift``) and more than chance puts in a group of their number
    (``new_account_sig`` at least ``min_significance``)."""
    return (pl.col("new_account_lift").fill_null(0.0) >= apart) & (
        pl.col("new_account_sig").fill_null(0.0) >= min_significance
    )


def _proposed_only_by(names: Collection[str], detectors: pl.Expr | None = None) -> pl.Expr:
    """True for rings (or members) whose ``detectors`` (default: the column) are all among
    ``names``; for an empty list too (no other evidence)."""
    found = pl.col("detectors") if detectors is None else detectors
    return found.list.eval(pl.element().is_in(list(names))).list.all()


def _proposed_by(names: Collection[str]) -> pl.Expr:
    """True for rings (or members) that a detector among ``names`` proposed."""
    return pl.col("detectors").list.eval(pl.element().is_in(list(names))).list.any()


def _evidence(timing: Collection[str]) -> pl.Expr:
    """The detectors that are evidence for a ring: all of them, less those of ``timing``
    where the ring's synchrony is what chance explains (:data:`SYNC_EXPLAINED`)."""
    if not timing:
        return pl.col("detectors")
    explained = pl.col("synchrony_excess").fill_null(0.0) <= SYNC_EXPLAINED
    return (
        pl.when(explained)
        .then(pl.col("detectors").list.set_difference(pl.lit(sorted(timing))))
        .otherwise(pl.col("detectors"))
    )


def _structure_only_unexplained(
    structure_only: Collection[str],
    min_significance: float,
    timing: Collection[str] = (),
    through_owners: Collection[str] = (),
) -> pl.Expr:
    """True for rings the structure-only rule keeps: rings with evidence beyond structure
    (time, shared attributes), and structure-only rings that are significant and not an
    owner's audience. A ring the ``timing`` detectors proposed counts as structure-only
    when its synchrony is what chance explains (:func:`_evidence`).

    An owner's audience — a creator's fandom, a live's viewers, a shop's regulars, the
    followers of a few developers of one niche — is a dense block that the configuration
    model cannot explain (its members share one interest), so its significance says
    nothing about coordination. A structure-only ring whose events mostly go to one
    owner's targets (``owner_concentration`` at least :data:`OWNER_AUDIENCE`) or to a
    handful of owners outside the ring (``effective_owners`` at most :data:`FEW_OWNERS`;
    an account that is itself a target is its own owner) while its members are only part
    of those targets' audiences
    (``audience_share`` below :data:`WHOLE_AUDIENCE`: other fans act like them) is kept
    only when its members are also new beyond the platform's rate (``new_account_lift``
    at least :data:`NEW_ACCOUNT_APART`, and more new accounts than chance puts in a group
    of their number: :func:`_fresh`) or move far more value than the platform's
    accounts do with the same actions (``value_lift`` at least :data:`VALUE_APART`): a
    farm of fresh accounts on one creator's posts shows the first, a ring laundering money
    through one host's lives the second, a fandom neither. (A slow ring of old accounts
    spending like everyone else that is only part of a shop's buyers looks like the
    shop's regulars: time, shared devices or labels must find it.)

    A structure-only ring of new accounts (``new_account_lift`` at least
    :data:`NEW_ACCOUNT_APART`) that the configuration model and the actor contrast call
    significant (``sig_null``, ``sig_actors``) is significant even when the target
    contrast (``sig_targets``) is not. That contrast tells a closed organic community
    (whose members' other targets are as much theirs) from a ring, and a tall, narrow
    ring can never pass it: 32 fresh accounts rating two drivers pay about 93 decimal
    orders for choosing 32 accounts among 10,690, and two targets give at most ~100. A
    closed group of accounts created beyond the platform's rate is no organic community.
    The configuration model itself can fail such a ring when its members are busy
    elsewhere: 27 fresh accounts that rate the same two apps and install and open dozens
    of others carry degrees that make 54 edges on two targets look ordinary once the
    choice of 27 accounts among 15,000 is paid for. For a group of fresh accounts, more
    new accounts than chance puts in a group of their number (``new_account_sig`` at least
    ``min_significance``) stands in for that test: the group is beyond chance by who its
    members are, and the actor contrast still asks that they be drawn to its targets.

    Time found by the ring's own features is evidence too, for fresh accounts: a ring of
    accounts new beyond chance (:func:`_fresh`) that acts in step far beyond what its
    activity and its targets' other accounts explain (``synchrony_excess`` at least
    :data:`SYNC_BEYOND`) is no longer structure-only, whichever detector proposed it —
    six fresh riders that a community proposed and that rate their drivers in the same
    minutes. Synchrony alone is not enough: a live's viewers are in step by nature, and
    old accounts in step are left to the time detectors' own tests.
    """
    only = _proposed_only_by(structure_only, _evidence(timing))
    return only.not_() | _structure_holds(min_significance, through_owners)


def _structure_holds(min_significance: float, through_owners: Collection[str] = ()) -> pl.Expr:
    """True for rings whose structure is evidence (:func:`_structure_only_unexplained`):
    fresh accounts in step beyond chance, or a significant block that is not an owner's
    audience unless set apart.

    A ring that a ``through_owners`` detector proposed (a community on the owner
    projection) is measured on targets its members each touch once — a karma farm votes
    once on each of its members' ever-new replies —, so its block on them says nothing:
    its block on their owners (``sig_owners``) is its significance unless its members
    are known to be old (an AMA's regulars replying to each other), and, its members
    fresh beyond chance, the community that drew them together on the projection stands
    for the actor contrast."""
    in_step = (pl.col("synchrony_excess").fill_null(0.0) >= SYNC_BEYOND) & _fresh(min_significance)
    fresh = pl.col("new_account_lift").fill_null(0.0) >= NEW_ACCOUNT_APART
    # a closed group of fresh accounts: beyond chance (by its block, or by how many of its
    # members are new) and drawn to its targets, failing only the target contrast (an
    # organic closed community's other targets are its own)
    beyond = (pl.col("sig_null") >= min_significance) | (
        pl.col("new_account_sig").fill_null(0.0) >= min_significance
    )
    drawn = pl.col("sig_actors") >= min_significance
    significant = pl.col("significance") >= min_significance
    if through_owners:  # a community on the owner projection: its block there
        by_owner = _proposed_by(through_owners)
        drawn = drawn | by_owner
        # accounts known to be old conversing around each other's posts are a thread's
        # regulars: their block on each other is what an organic community shows
        old = pl.col("new_account_share").is_not_null() & ~fresh
        on_owners = pl.col("sig_owners").fill_null(0.0) >= min_significance
        significant = significant | (by_owner & on_owners & ~old)
    significant = significant | (fresh & beyond & drawn)
    outside = pl.col("effective_owners").fill_null(0.0)  # 0: no owner outside the ring
    few = (pl.col("owner_concentration").fill_null(0.0) >= OWNER_AUDIENCE) | (
        (outside > 0) & (outside <= FEW_OWNERS)
    )
    owner = few & (pl.col("audience_share").fill_null(0.0) < WHOLE_AUDIENCE)
    # new beyond chance, not by a share alone: a fandom of a young creator is a little
    # newer than the platform (68 new of 133 fans where 41 % of accounts are new)
    apart = _fresh(min_significance) | (pl.col("value_lift").fill_null(0.0) >= VALUE_APART)
    return in_step | (significant & (owner.not_() | apart))


def _with_structure_alone(
    rings: pl.DataFrame, structure_only: Collection[str], timing: Collection[str]
) -> pl.DataFrame:
    """``rings`` with the ``structure_alone`` feature: true for rings that only
    co-interaction structure shows. The ``structure_only`` detectors proposed them, and
    no other but the ``timing`` ones (their synchrony is not clearly beyond chance, as
    below: a release day's crowd is a little in step), their members' creation times
    are known and they are not new beyond the platform's rate (``new_account_lift`` below
    :data:`NEW_ACCOUNT_APART`), they move ordinary value (``value_lift`` below
    :data:`VALUE_APART`) and their own timing is not clearly beyond chance
    (``synchrony_excess`` below :data:`SYNC_BEYOND`: a fan club is a little in step
    after each release, a sleep-sound loop's listeners at bedtime).

    Such a ring is kept when its block is significant, but nothing tells it from a group
    of interest — a fandom, the regulars of a forum's niche, a team — where the platform
    never recorded who owns the targets (:func:`_structure_only_unexplained` judges
    owners' audiences only where it did); the risk counts its structure and its lockstep
    once (:data:`ringlens.risk.model.ALONE_REASONS`), so corroborated rings rank above it.
    Accounts whose ages nobody knows are not called old: YelpChi's injected block is
    no audience for lack of an ``entities`` table.
    """
    needed = {
        "detectors",
        "new_account_share",
        "new_account_lift",
        "value_lift",
        "synchrony_excess",
    }
    if not structure_only or not needed <= set(rings.columns):
        return rings.with_columns(pl.lit(False).alias("structure_alone"))
    # time detectors are no clear evidence below SYNC_BEYOND (the ``untimed`` line): a
    # release day's crowd is a little in step, as the platform's rhythm has it
    only = _proposed_only_by([*structure_only, *timing]) & _proposed_by(structure_only)
    known = pl.col("new_account_share").is_not_null()
    old = pl.col("new_account_lift").fill_null(0.0) < NEW_ACCOUNT_APART
    ordinary = pl.col("value_lift").fill_null(0.0) < VALUE_APART
    untimed = pl.col("synchrony_excess").fill_null(0.0) < SYNC_BEYOND
    alone = (only & known & old & ordinary & untimed).fill_null(False)
    return rings.with_columns(alone.alias("structure_alone"))


def _drawn_members(
    graph: EventGraph,
    membership: pl.DataFrame,
    candidates: pl.DataFrame,
    candidate_targets: pl.DataFrame | None,
    *,
    structure_only: Collection[str],
    roles: Roles | None,
    interactions: tuple[Sequence[str] | None, tuple[int, int, int]] | None,
    min_significance: float,
    min_size: int,
    through_owners: Collection[str] = (),
    owners: OwnerGraph | None = None,
) -> pl.DataFrame:
    """The membership without the members that only ``structure_only`` detectors proposed
    and that are not drawn to their ring's targets.

    A community or a dense block takes in, besides a ring, busy accounts that also passed
    by its targets (a heavy shopper who bought a few of the ring's listings among hundreds
    of others). Structure is all the evidence for such a member, so one that touches the
    ring's targets but comes back to them no more than their other users do
    (:func:`ringlens.rings.features.ring_member_contrast` below ``min_significance``) leaves
    the ring, whether the rest of the ring was found by structure or by time or shared
    attributes; members that do not act on the targets at all (their owners) stay, and so
    do members another detector proposed (tied by time or a device, not by coming back to
    the same targets). Members a ``through_owners`` detector proposed (a community on the
    owner projection) are judged on that projection: a karma farm votes once on each of
    its members' ever-new replies, so its members come back to the same authors, not to
    the same replies (``owners``: :func:`ringlens.rings.features.owner_graph`; without it
    they are not judged). A ring that loses members gets the id of its new member set;
    one left below ``min_size`` goes.
    """
    if membership.height == 0:
        return membership
    by_owner = _proposed_by(through_owners)
    structural = membership.filter(_proposed_only_by(structure_only)).select(
        "ring_id", "key", by_owner.alias("_owner")
    )
    if structural.height == 0:
        return membership
    judged = [
        pl.DataFrame(
            schema={
                "ring_id": pl.String,
                "key": pl.String,
                "hits": pl.Int64,
                "significance": pl.Float64,
            }
        )
    ]
    on_targets = structural.filter(~pl.col("_owner"))
    if on_targets.height:
        sub = membership.join(on_targets.select("ring_id").unique(), on="ring_id", how="semi")
        contrast = ring_member_contrast(
            graph,
            sub,
            roles=roles,
            targets=_ring_targets(candidates, sub, candidate_targets),
            interactions=interactions,
        )
        judged.append(contrast.join(on_targets, on=["ring_id", "key"], how="semi"))
    on_owners = structural.filter(pl.col("_owner"))
    if on_owners.height and owners is not None:
        sub = membership.join(on_owners.select("ring_id").unique(), on="ring_id", how="semi")
        contrast = ring_member_contrast(
            owners.graph, sub, roles=roles, interactions=(None, owners.totals)
        )
        judged.append(contrast.join(on_owners, on=["ring_id", "key"], how="semi"))
    gone = (
        pl.concat([j.select("ring_id", "key", "hits", "significance") for j in judged])
        .filter((pl.col("hits") >= 1) & (pl.col("significance") < min_significance))
        .select("ring_id", "key")
    )
    if gone.height == 0:
        return membership
    kept = membership.join(gone, on=["ring_id", "key"], how="anti")
    changed = gone.select("ring_id").unique()
    renamed = (
        kept.join(changed, on="ring_id", how="semi")
        .group_by("ring_id")
        .agg(pl.col("key").sort(), pl.len().alias("_n"))
        .filter(pl.col("_n") >= min_size)
        .with_columns(pl.col("key").map_elements(ring_id_of, return_dtype=pl.String).alias("_new"))
        .select("ring_id", "_new")
    )
    log.info(
        "rings: %d members proposed by structure alone, in %d rings, are no more drawn to "
        "the ring's targets than their other users (left the ring); %d rings fell below "
        "%d members",
        gone.height,
        changed.height,
        changed.height - renamed.height,
        min_size,
    )
    return pl.concat(
        [
            kept.join(changed, on="ring_id", how="anti"),
            kept.join(renamed, on="ring_id")
            .with_columns(pl.col("_new").alias("ring_id"))
            .select(kept.columns),
        ]
    ).sort("ring_id", "key")


def _pooled(
    membership: pl.DataFrame,
    candidates: pl.DataFrame,
    candidate_targets: pl.DataFrame | None,
    structure_only: Collection[str],
) -> pl.DataFrame:
    """The membership with the rings that only ``structure_only`` detectors proposed and
    that one of them proposed on mostly the same targets (:data:`SAME_TARGETS`, two shared
    or more) merged, connected components of such pairs, each merged ring under the id of
    its member set.

    A detector can cut one block in two (a community algorithm, thirty accounts rating
    the same ten fresh listings: fifteen and fifteen). Judged apart, each half is the
    other's "other users" of the targets, drawn to them as much as it is, and no more
    than half their audience: the member contrast and the ring's significance let the
    whole ring go. Such fragments are merged as one case later too
    (:func:`_merged_by_targets`, on the targets the ring features name); here they are
    judged as one from the start, on the targets their detector saw. A ring that other
    evidence proposed too (time, a shared device) is not judged by its structure.
    """
    targets = _ring_targets(candidates, membership, candidate_targets)
    if targets is None or membership.height == 0 or not structure_only:
        return membership
    rings = _members(membership).select("ring_id", "detectors")
    only = rings.filter(_proposed_only_by(structure_only))
    pairs = alike_sets(
        targets.join(only, on="ring_id", how="semi"), "ring_id", "key", min_jaccard=SAME_TARGETS
    )
    pairs = _seen_by_one(pairs, rings)
    if pairs.height == 0:
        return membership
    live = membership.select("ring_id").unique()
    return _merged_components(membership, live, pairs, "one detector proposed on the same targets")


def _with_owners(
    graph: EventGraph,
    rings: pl.DataFrame,
    membership: pl.DataFrame,
    *,
    roles: Roles | None,
    interactions: tuple[Sequence[str] | None, tuple[int, int, int]] | None,
    values: Mapping[str, float] | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rings and membership with each ring's owners
    (:func:`ringlens.rings.features.ring_owners`) among its members.

    The ring's features and pattern stay those of the members the detectors found (an
    owner does not act on the targets); ``members``, ``size`` and ``member_types`` count
    the owners too, ``owners`` lists them, and a ring that gained owners gets the id of
    its new member set. An owner's membership row has ``support`` 0 and no detectors.
    """
    owners = ring_owners(
        graph,
        rings.select("ring_id", _named_targets(rings).alias("targets")),
        membership,
        roles=roles,
        interactions=interactions,
        values=values,
    )
    no_owners = pl.lit([], dtype=pl.List(pl.String))
    if owners.height == 0:
        return rings.with_columns(no_owners.alias("owners")), membership
    added = owners.select(
        "key",
        "ring_id",
        pl.lit(0.0).alias("support"),
        pl.lit([], dtype=pl.List(pl.String)).alias("detectors"),
    )
    membership = pl.concat([membership, added.cast(membership.schema)])
    types = graph.nodes.select("key", "node_type")
    label = pl.concat_str(
        pl.element().struct.field("node_type"),
        pl.lit(":"),
        pl.element().struct.field("count").cast(pl.String),
    )
    grown = (
        membership.join(owners.select("ring_id").unique(), on="ring_id", how="semi")
        .join(types, on="key", how="left")
        .group_by("ring_id")
        .agg(
            pl.col("key").sort().alias("_members"),
            pl.col("node_type").value_counts(sort=True).alias("_vc"),
        )
        .with_columns(
            pl.col("_members").list.len().cast(rings.schema["size"]).alias("_size"),
            pl.col("_vc").list.eval(label).list.sort().list.join(",").alias("_types"),
            pl.col("_members").map_elements(ring_id_of, return_dtype=pl.String).alias("_new"),
        )
        .join(owners.group_by("ring_id").agg(pl.col("key").sort().alias("_owners")), on="ring_id")
        .drop("_vc")
    )
    log.info(
        "rings: %d accounts own the targets of %d rings and joined them as their owners",
        owners.height,
        grown.height,
    )
    rings = (
        rings.join(grown, on="ring_id", how="left")
        .with_columns(
            pl.coalesce("_new", "ring_id").alias("ring_id"),
            pl.coalesce("_members", "members").alias("members"),
            pl.coalesce("_size", "size").alias("size"),
            pl.coalesce("_types", "member_types").alias("member_types"),
            pl.col("_owners").fill_null(no_owners).alias("owners"),
        )
        .drop("_new", "_members", "_size", "_types", "_owners")
    )
    membership = (
        membership.join(grown.select("ring_id", "_new"), on="ring_id", how="left")
        .with_columns(pl.coalesce("_new", "ring_id").alias("ring_id"))
        .drop("_new")
        .sort("ring_id", "key")
    )
    return rings, membership


def _ring_targets(
    candidates: pl.DataFrame, membership: pl.DataFrame, targets: pl.DataFrame | None
) -> pl.DataFrame | None:
    """``ring_id, key``: each ring's targets from its candidates' (a candidate belongs to the
    ring that holds most of its members)."""
    if targets is None or targets.height == 0 or membership.height == 0:
        return None
    return (
        targets.join(_candidate_rings(candidates, membership), on=["detector", "candidate"])
        .select("ring_id", "key")
        .unique()
        .sort("ring_id", "key")
    )


def _candidate_rings(candidates: pl.DataFrame, membership: pl.DataFrame) -> pl.DataFrame:
    """``detector, candidate, ring_id``: the ring that holds most of each candidate's
    members (the lowest ``ring_id`` of a tie)."""
    return (
        candidates.select("detector", "candidate", "key")
        .join(membership.select("key", "ring_id"), on="key")
        .group_by("detector", "candidate", "ring_id")
        .agg(pl.len().alias("n"))
        .sort(["detector", "candidate", "n", "ring_id"], descending=[False, False, True, False])
        .unique(subset=["detector", "candidate"], keep="first", maintain_order=True)
        .select("detector", "candidate", "ring_id")
    )


def _ring_scales(
    candidates: pl.DataFrame,
    membership: pl.DataFrame,
    targets: pl.DataFrame | None,
    timing: Collection[str],
) -> pl.DataFrame | None:
    """``ring_id, window``: the longest time scale (seconds) at which a ``timing``
    detector found one of each ring's candidates in step (the targets' ``window``:
    :data:`ringlens.pipeline.registry.TARGET_SCHEMA`); None when there is none."""
    if not timing or targets is None or "window" not in targets.columns:
        return None
    scaled = targets.filter(
        pl.col("detector").is_in(sorted(timing)) & pl.col("window").is_not_null()
    )
    if scaled.height == 0 or membership.height == 0:
        return None
    return (
        scaled.group_by("detector", "candidate")
        .agg(pl.col("window").max())
        .join(_candidate_rings(candidates, membership), on=["detector", "candidate"])
        .group_by("ring_id")
        .agg(pl.col("window").max())
        .sort("ring_id")
    )


def _named_targets(rings: pl.DataFrame) -> pl.Expr:
    """A ring's targets less those only the test beyond chance made its
    (``beyond_targets``, when the frame has them)."""
    if "beyond_targets" not in rings.columns:
        return pl.col("targets")
    return pl.col("targets").list.set_difference("beyond_targets").list.sort()


class _TargetSets(TypedDict):
    beyond_chance: pl.Series
    wide_block: pl.Series


def _target_sets(
    candidates: pl.DataFrame,
    membership: pl.DataFrame,
    structure_only: Collection[str],
    timing: Collection[str],
    attribute_only: Collection[str],
) -> _TargetSets:
    """The rings whose targets include those their members hit beyond chance
    (``beyond_chance``: :func:`_with_other_evidence`) and those whose block may take them
    (``wide_block``: :func:`_in_step_apart`), for
    :func:`ringlens.rings.features.ring_features`."""
    return _TargetSets(
        beyond_chance=_with_other_evidence(candidates, membership, structure_only),
        wide_block=_in_step_apart(candidates, membership, timing, attribute_only),
    )


def _mostly_proposed_by(
    candidates: pl.DataFrame, membership: pl.DataFrame, names: Collection[str]
) -> pl.Series:
    """``ring_id`` of the rings at least half of whose members a detector of ``names``
    proposed, sorted."""
    by = candidates.filter(pl.col("detector").is_in(list(names)))
    share = (
        membership.select("key", "ring_id")
        .with_columns(pl.col("key").is_in(by["key"].unique().implode()).alias("_by"))
        .group_by("ring_id")
        .agg(pl.col("_by").mean())
    )
    return share.filter(pl.col("_by") >= 0.5).get_column("ring_id").sort()


def _in_step_apart(
    candidates: pl.DataFrame,
    membership: pl.DataFrame,
    timing: Collection[str],
    attribute_only: Collection[str],
) -> pl.Series:
    """``ring_id`` of the rings whose block may take the targets their members hit beyond
    chance (``wide_block`` of :func:`ringlens.rings.features.ring_features`): those at
    least half of whose members the ``timing`` detectors proposed and less than half the
    ``attribute_only`` ones. A lockstep group's named targets are where its burst stood
    out, a slice of its work; accounts on one card or phone hit the same canteen beyond
    chance because they are one office, and the shared-attribute rule judges whether
    they act together (``beyond_share``)."""
    if not timing:
        return pl.Series("ring_id", [], dtype=pl.String)
    in_step = _mostly_proposed_by(candidates, membership, timing)
    sharing = _mostly_proposed_by(candidates, membership, attribute_only)
    return in_step.filter(~in_step.is_in(sharing.implode()))


def _with_other_evidence(
    candidates: pl.DataFrame, membership: pl.DataFrame, structure_only: Collection[str]
) -> pl.Series:
    """``ring_id`` of the rings at least half of whose members a detector outside
    ``structure_only`` proposed (timing, shared attributes): those whose targets include
    what their members hit beyond chance (:func:`ringlens.rings.features.ring_features`).
    One account that another detector also named does not make an organic dense block
    more than its structure."""
    other = candidates.filter(~pl.col("detector").is_in(list(structure_only)))["detector"]
    return _mostly_proposed_by(candidates, membership, other.unique().to_list())


def _empty_rings() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "ring_id": pl.String,
            "pattern": pl.String,
            "size": pl.UInt32,
            "members": pl.List(pl.String),
            "detectors": pl.List(pl.String),
        }
    )
