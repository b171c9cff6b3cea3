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
4. rings with fewer than ``min_size`` members are dropped.

Ring ids are ``ring_`` + the first 16 hex digits of the SHA-1 of the sorted member keys
(each length-prefixed, see :func:`ring_id_of`), so the same ring gets the same id in every
run; across runs with changed membership
rings are matched by overlap (``ringlens diff``).

Features (all vectorised in Polars over the event graph):

``size``, ``member_types``
    member count and ``type:count`` summary.
``n_targets``
    the ring's targets: nodes acted on by at least two members and by at least 30 % of them.
``density``, ``density_ratio``
    share of member × ring-target pairs that have an edge, and that share divided by the
    background density of the same action types (how much denser than chance).
``synchrony``
    share of members' events on ring targets that fall in a 3-hour window in which at
    least three members act on ring targets.
``shared_device_share``, ``shared_payment_share``
    share of members that log in from a device, or pay out to an account, that another
    member also uses.
``reciprocity``
    among member pairs where one engaged the other's content or followed the other, the
    share where it went both ways.
``new_account_share``
    share of members created less than ``new_account_days`` (60) before the first event,
    among the members whose ``created_at`` is known; null when it is known for none.
``camouflage_share``
    share of members' events that go to neither ring targets nor other members.
``prior_violations``
    sum over members (entities table).

The **pattern** is the one the features resemble most (rules in :func:`_classify`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from ringlens.exceptions import ConfigError
from ringlens.graph import EventGraph, node_key
from ringlens.graph.core import component_labels

log = logging.getLogger(__name__)

__all__ = [
    "CANDIDATE_SCHEMA",
    "PATTERNS",
    "Rings",
    "build_rings",
    "merge_candidates",
    "background_density",
    "ring_features",
]

PATTERNS = ("mutual_boost", "brushing", "affiliate_fraud", "sock_puppet_farm", "other")
CANDIDATE_SCHEMA = pl.Schema(
    {"detector": pl.String, "candidate": pl.String, "key": pl.String, "strength": pl.Float64}
)
ENGAGEMENT = ("like", "comment", "share", "follow")
ATTRIBUTE_TYPES = ("device", "payment")


def background_density(n_pairs: int, n_actors: int, n_targets: int) -> float:
    """Share of all actor × target cells that hold an edge (the density a ring is compared to).

    Examples
    --------
    >>> background_density(6, 3, 4)
    0.5
    """
    return n_pairs / max(1.0, float(n_actors) * float(n_targets))


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
    # support of each entity in each component
    sup = c.group_by("comp", "key").agg(
        pl.col("strength").sum().alias("support"),
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


def _member_ids(graph: EventGraph, membership: pl.DataFrame) -> pl.DataFrame:
    return membership.join(graph.nodes.select("key", "node", "node_type"), on="key", how="inner")


def ring_features(
    graph: EventGraph,
    membership: pl.DataFrame,
    *,
    entities: pl.DataFrame | None = None,
    burst_window: timedelta = timedelta(hours=3),
    new_account_days: int = 60,
    background: float | None = None,
    first_ts: datetime | None = None,
) -> pl.DataFrame:
    """Compute the features of every ring (see the module docstring).

    Parameters
    ----------
    graph
        The event graph.
    membership
        ``key``, ``ring_id`` (as returned by :func:`merge_candidates`).
    entities
        Optional entities table (for account age, prior violations, market).
    background, first_ts
        Whole-run quantities when ``graph`` is part of a larger run (the Spark engine's
        partitions): the background density and the first event time of the whole run
        replace the part's own.

    Returns
    -------
    polars.DataFrame
        One row per ring_id with the feature columns, sorted by ring_id.
    """
    mem = _member_ids(graph, membership.select("key", "ring_id")).rename({"node": "src"})
    ev = graph.events
    types = graph.nodes.select("node", "node_type")
    ring_ids = mem.select("ring_id").unique().sort("ring_id")
    if ring_ids.height == 0:
        return pl.DataFrame(schema={"ring_id": pl.String})
    size = mem.group_by("ring_id").agg(
        pl.len().alias("size"),
        pl.col("node_type").value_counts(sort=True).alias("_vc"),
    )
    size = size.with_columns(
        pl.col("_vc")
        .list.eval(
            pl.concat_str(
                pl.element().struct.field("node_type"),
                pl.lit(":"),
                pl.element().struct.field("count").cast(pl.String),
            )
        )
        .list.sort()
        .list.join(",")
        .alias("member_types")
    ).drop("_vc")
    mev = ev.join(mem.select("src", "ring_id"), on="src")  # members' events
    # ring targets: hit by >= 2 members and >= 30 % of the members, excluding attributes
    tgt = (
        mev.join(types.rename({"node": "dst", "node_type": "dst_type"}), on="dst")
        .filter(~pl.col("dst_type").is_in(ATTRIBUTE_TYPES))
        .group_by("ring_id", "dst")
        .agg(pl.col("src").n_unique().alias("n_members"))
        .join(size.select("ring_id", "size"), on="ring_id")
        .filter((pl.col("n_members") >= 2) & (pl.col("n_members") >= 0.3 * pl.col("size")))
    )
    n_t = tgt.group_by("ring_id").agg(
        pl.len().alias("n_targets"), pl.col("n_members").sum().alias("_pairs")
    )
    # density against the background of the same actor/target types
    # graph.edges holds one row per distinct (src, dst): no pass over the events needed
    if background is None:
        background = background_density(
            graph.edges.height, graph.edges["src"].n_unique(), graph.edges["dst"].n_unique()
        )
    dens = (
        size.select("ring_id", "size")
        .join(n_t, on="ring_id", how="left")
        .with_columns(pl.col("n_targets", "_pairs").fill_null(0))
        .with_columns(
            pl.when(pl.col("n_targets") > 0)
            .then(pl.col("_pairs") / (pl.col("size") * pl.col("n_targets")))
            .otherwise(0.0)
            .alias("density")
        )
        .with_columns(
            # no background (no edges at all): no ratio to speak of, never x/0
            (pl.col("density") / background if background > 0 else pl.lit(0.0)).alias(
                "density_ratio"
            )
        )
        .drop("_pairs")
    )
    # synchrony: events on ring targets in 3h windows with >= 3 active members
    w_us = int(burst_window / timedelta(microseconds=1))
    on_t = mev.join(tgt.select("ring_id", "dst"), on=["ring_id", "dst"]).with_columns(
        (pl.col("ts").dt.epoch("us") // w_us).alias("bucket")
    )
    busy = on_t.group_by("ring_id", "bucket").agg(pl.col("src").n_unique().alias("active"))
    sync = (
        on_t.join(busy, on=["ring_id", "bucket"])
        .group_by("ring_id")
        .agg(((pl.col("active") >= 3).sum() / pl.len()).alias("synchrony"))
    )
    # camouflage: members' events to neither ring targets nor members
    mem_nodes = mem.select(pl.col("src").alias("dst"), "ring_id").with_columns(
        pl.lit(True).alias("_m")
    )
    camo = (
        mev.join(
            tgt.select("ring_id", "dst", pl.lit(True).alias("_t")),
            on=["ring_id", "dst"],
            how="left",
        )
        .join(mem_nodes, on=["ring_id", "dst"], how="left")
        .join(types.rename({"node": "dst", "node_type": "dst_type"}), on="dst")
        .filter(~pl.col("dst_type").is_in(ATTRIBUTE_TYPES))
        .group_by("ring_id")
        .agg((pl.col("_t").is_null() & pl.col("_m").is_null()).mean().alias("camouflage_share"))
    )
    # shared attributes: members using a device / payment account that another member uses
    attr = (
        mev.join(types.rename({"node": "dst", "node_type": "dst_type"}), on="dst")
        .filter(pl.col("dst_type").is_in(ATTRIBUTE_TYPES))
        .select("ring_id", "src", "dst", "dst_type")
        .unique()
    )
    shared_attr = attr.group_by("ring_id", "dst", "dst_type").agg(
        pl.col("src").n_unique().alias("users")
    )
    sharing = (
        attr.join(shared_attr.filter(pl.col("users") >= 2), on=["ring_id", "dst", "dst_type"])
        .group_by("ring_id", "dst_type")
        .agg(pl.col("src").n_unique().alias("n"))
        .join(size.select("ring_id", "size"), on="ring_id")
        .with_columns((pl.col("n") / pl.col("size")).alias("share"))
        .pivot(on="dst_type", index="ring_id", values="share")
    )
    for t in ATTRIBUTE_TYPES:
        if t not in sharing.columns:
            sharing = sharing.with_columns(pl.lit(None, dtype=pl.Float64).alias(t))
    sharing = sharing.select(
        "ring_id",
        pl.col("device").alias("shared_device_share"),
        pl.col("payment").alias("shared_payment_share"),
    )
    # reciprocity: member i engaged member j (j's content via `post` ownership, or j itself)
    owner = (
        ev.filter(pl.col("action") == "post")
        .select(pl.col("dst").alias("content"), pl.col("src").alias("owner"))
        .unique(subset="content", keep="first")
    )
    eng = mev.filter(pl.col("action").is_in(ENGAGEMENT)).select("ring_id", "src", "dst")
    via_content = eng.join(owner, left_on="dst", right_on="content").select(
        "ring_id", "src", pl.col("owner").alias("to")
    )
    direct = eng.select("ring_id", "src", pl.col("dst").alias("to"))
    inner = (
        pl.concat([via_content, direct])
        .join(mem.select(pl.col("src").alias("to"), "ring_id"), on=["ring_id", "to"])
        .filter(pl.col("src") != pl.col("to"))
        .unique()
    )
    recip = (
        inner.join(
            inner.rename({"src": "to", "to": "src"}).with_columns(pl.lit(True).alias("_back")),
            on=["ring_id", "src", "to"],
            how="left",
        )
        .group_by("ring_id")
        .agg(
            pl.col("_back").is_not_null().mean().alias("reciprocity"),
            pl.len().alias("inner_engagements"),
        )
    )
    # action mix on ring targets and the dominant target type
    mix = on_t.group_by("ring_id").agg(
        (pl.col("action") == "order").mean().alias("order_share"),
        (pl.col("action") == "affiliate_click").mean().alias("click_share"),
        pl.col("action").is_in(ENGAGEMENT).mean().alias("engagement_share"),
        pl.len().alias("ring_events"),
    )
    if first_ts is None:
        first_ts = ev["ts"].min()  # type: ignore[assignment]
    feats = (
        ring_ids.join(size, on="ring_id", how="left")
        .join(dens.drop("size"), on="ring_id", how="left")
        .join(sync, on="ring_id", how="left")
        .join(camo, on="ring_id", how="left")
        .join(sharing, on="ring_id", how="left")
        .join(recip, on="ring_id", how="left")
        .join(mix, on="ring_id", how="left")
    )
    if entities is not None and entities.height:
        ent = entities.select(
            node_key("entity_type", "entity_id"), "created_at", "prior_violations", "market"
        )
        em = mem.select("key", "ring_id").join(ent, on="key", how="left")
        cutoff = first_ts - timedelta(days=new_account_days) if first_ts is not None else None
        known = pl.col("created_at").is_not_null().sum()
        agg = em.group_by("ring_id").agg(
            # members without a created_at are not counted; none known -> null, not 0/0
            pl.when(known > 0)
            .then((pl.col("created_at") >= cutoff).sum() / known)
            .otherwise(None)
            .cast(pl.Float64)
            .alias("new_account_share"),
            pl.col("prior_violations").fill_null(0).sum().cast(pl.Int64).alias("prior_violations"),
            pl.col("market").drop_nulls().mode().sort().first().alias("market"),
        )
        feats = feats.join(agg, on="ring_id", how="left")
    else:
        feats = feats.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("new_account_share"),
            pl.lit(0, dtype=pl.Int64).alias("prior_violations"),
            pl.lit(None, dtype=pl.String).alias("market"),
        )
    # fall back to the events' market column
    ev_market = (
        mev.filter(pl.col("market").is_not_null())
        .group_by("ring_id")
        .agg(pl.col("market").mode().sort().first().alias("_ev_market"))
    )
    feats = (
        feats.join(ev_market, on="ring_id", how="left")
        .with_columns(pl.coalesce("market", "_ev_market").alias("market"))
        .drop("_ev_market")
    )
    float_cols = [
        "density",
        "density_ratio",
        "synchrony",
        "camouflage_share",
        "shared_device_share",
        "shared_payment_share",
        "reciprocity",
        "order_share",
        "click_share",
        "engagement_share",
    ]
    feats = feats.with_columns(
        [pl.col(c).cast(pl.Float64).fill_null(0.0) for c in float_cols]
        + [pl.col("n_targets", "ring_events", "inner_engagements").fill_null(0).cast(pl.Int64)]
    )
    return _classify(feats).sort("ring_id")


def _classify(f: pl.DataFrame) -> pl.DataFrame:
    """The pattern a ring resembles most, from its features and member types."""
    creators = pl.col("member_types").str.extract(r"creator:(\d+)").cast(pl.Int64).fill_null(0)
    buyers = pl.col("member_types").str.extract(r"buyer:(\d+)").cast(pl.Int64).fill_null(0)
    creator_share = creators / pl.col("size")
    buyer_share = buyers / pl.col("size")
    shared = pl.max_horizontal("shared_device_share", "shared_payment_share")
    pattern = (
        pl.when((creator_share >= 0.6) & (pl.col("shared_payment_share") >= 0.5))
        .then(pl.lit("sock_puppet_farm"))
        .when(
            (creator_share >= 0.6)
            & (pl.col("reciprocity") >= 0.4)
            & (pl.col("inner_engagements") >= pl.col("size"))
        )
        .then(pl.lit("mutual_boost"))
        .when((creator_share >= 0.6) & (shared >= 0.5))
        .then(pl.lit("sock_puppet_farm"))
        .when((buyer_share >= 0.5) & (pl.col("click_share") >= 0.2))
        .then(pl.lit("affiliate_fraud"))
        .when((buyer_share >= 0.5) & (pl.col("order_share") >= 0.3))
        .then(pl.lit("brushing"))
        .when(creator_share >= 0.6)
        .then(pl.lit("mutual_boost"))
        .otherwise(pl.lit("other"))
    )
    return f.with_columns(pattern.alias("pattern"))


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
    """

    rings: pl.DataFrame
    membership: pl.DataFrame

    def to_frame(self) -> pl.DataFrame:
        return self.rings

    def __len__(self) -> int:
        return self.rings.height


def build_rings(
    graph: EventGraph,
    candidates: pl.DataFrame,
    *,
    entities: pl.DataFrame | None = None,
    min_overlap: float = 0.5,
    min_size: int = 3,
    burst_window: timedelta = timedelta(hours=3),
    background: float | None = None,
    first_ts: datetime | None = None,
) -> Rings:
    """Merge candidates (see :func:`merge_candidates`) and compute ring features
    (``background``, ``first_ts``: see :func:`ring_features`).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, timedelta, timezone
    >>> from ringlens.graph import build_graph
    >>> t = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> ev = pl.DataFrame({"actor_id": ["1", "2", "3", "1", "2", "3"], "actor_type": "buyer",
    ...     "target_id": ["p", "p", "p", "q", "q", "q"], "target_type": "product",
    ...     "action": "order", "ts": [t + timedelta(minutes=i) for i in range(6)]})
    >>> cand = pl.DataFrame({"detector": "x", "candidate": "0",
    ...     "key": ["buyer:1", "buyer:2", "buyer:3"], "strength": 1.0})
    >>> r = build_rings(build_graph(ev), cand)
    >>> r.rings.select("size", "n_targets", "density", "synchrony", "pattern").row(0)
    (3, 2, 1.0, 1.0, 'brushing')
    """
    membership = merge_candidates(candidates, min_overlap=min_overlap, min_size=min_size)
    if membership.height == 0:
        return Rings(rings=_empty_rings(), membership=membership)
    feats = ring_features(
        graph,
        membership,
        entities=entities,
        burst_window=burst_window,
        background=background,
        first_ts=first_ts,
    )
    members = membership.group_by("ring_id").agg(
        pl.col("key").sort().alias("members"),
        pl.col("detectors").explode().unique().sort().alias("detectors"),
    )
    rings = members.join(feats, on="ring_id").select(
        "ring_id",
        "pattern",
        "size",
        "members",
        "detectors",
        pl.exclude("ring_id", "pattern", "size", "members", "detectors"),
    )
    return Rings(rings=rings.sort("ring_id"), membership=membership)


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
