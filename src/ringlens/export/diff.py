"""What changed between two runs: rings (by member overlap) and queue items.

Ring ids are not assumed to be stable across runs: a ring is recognised by its
members. Both runs' rings are exploded to ``(ring, member)`` rows and joined on
the member, which gives, for every pair of rings that share a member, the
overlap ``|A ∩ B|``, the Jaccard index ``|A ∩ B| / |A ∪ B|`` and the shares
``|A ∩ B| / |A|`` and ``|A ∩ B| / |B|`` - all in Polars, with no loop over
ring pairs. Each ring ``B`` of the new run is then classified, first rule
that applies:

``merged``
    ``B`` covers at least two old rings: ≥ ``min_share`` (default 0.5) of each
    one's members are in ``B``.
``split``
    ``B`` is one of at least two new rings that each draw ≥ ``min_share`` of
    their members from the same old ring ``A``.
``unchanged`` / ``grown`` / ``shrunk`` / ``changed``
    ``B`` and an old ring ``A`` are each other's best match (highest Jaccard, then
    largest overlap, then smallest ring id) and their Jaccard is
    ≥ ``min_jaccard`` (default 0.5): same member set → ``unchanged``; more
    members → ``grown``; fewer → ``shrunk``; as many but not the same →
    ``changed``.
``new``
    anything else.

An old ring that no new ring refers to (through a match, merge or split) is
``gone``. Queue items are matched by ``queue_item_id`` (stable across runs by
contract): ``added``, ``removed``, ``action_changed`` (takes precedence),
``risk_changed`` (\\|Δrisk\\| > ``risk_tolerance``), ``unchanged``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ringlens.exceptions import InputError, SchemaError
from ringlens.export.run import resolve_run

__all__ = ["QUEUE_CHANGES", "RING_CHANGES", "RunDiff", "diff_runs"]

logger = logging.getLogger(__name__)

#: Ring change classes, in report order.
RING_CHANGES: tuple[str, ...] = (
    "new",
    "gone",
    "grown",
    "shrunk",
    "changed",
    "unchanged",
    "merged",
    "split",
)
#: Queue item change classes.
QUEUE_CHANGES: tuple[str, ...] = (
    "added",
    "removed",
    "action_changed",
    "risk_changed",
    "unchanged",
)

_RING_COLUMNS = {"ring_id": pl.String, "pattern": pl.String, "risk_score": pl.Float64}
_QUEUE_COLUMNS = {
    "queue_item_id": pl.String,
    "entity_type": pl.String,
    "entity_id": pl.String,
    "action": pl.String,
    "risk_score": pl.Float64,
}


@dataclass(frozen=True)
class RunDiff:
    """The difference between run A (older) and run B (newer).

    Attributes
    ----------
    run_a, run_b : Path
        The run folders compared.
    rings : pl.DataFrame
        One row per ring of B plus one per ``gone`` ring of A: ``change``,
        ``ring_id`` (B; null when gone), ``previous_ring_ids`` (list[str]: the A
        rings it continues, merges or splits from), ``pattern``,
        ``previous_pattern`` (of the previous ring sharing most members),
        ``risk_score``, ``previous_risk_score`` (highest among the previous rings),
        ``risk_delta``, ``n_members``, ``previous_n_members`` (union of the previous
        rings), ``members_added``, ``members_removed``, ``jaccard`` (B vs that
        union).
    queue : pl.DataFrame
        One row per queue item whose state differs: ``queue_item_id``, ``change``,
        ``entity_type``, ``entity_id``, ``previous_action``, ``action``,
        ``previous_risk_score``, ``risk_score``, ``risk_delta``.
    queue_unchanged : int
        Items present in both runs with the same action and risk.
    params : dict
        ``min_jaccard``, ``min_share``, ``risk_tolerance``.
    """

    run_a: Path
    run_b: Path
    rings: pl.DataFrame
    queue: pl.DataFrame
    queue_unchanged: int = 0
    params: dict[str, float] = field(default_factory=dict)

    def to_frame(self, what: str = "rings") -> pl.DataFrame:
        """The ring changes (``what="rings"``, default) or queue changes (``"queue"``)."""
        if what == "rings":
            return self.rings
        if what == "queue":
            return self.queue
        raise ValueError(f"what must be 'rings' or 'queue', not {what!r}")

    def summary(self) -> dict[str, Any]:
        """Counts per change class, JSON-ready.

        Returns
        -------
        dict
            ``{"run_a": str, "run_b": str, "rings": {class: n, …},
            "queue": {class: n, …}, "params": {…}}`` with every class present.
        """
        ring_counts = dict.fromkeys(RING_CHANGES, 0)
        for change, n in self.rings.group_by("change").len().iter_rows():
            ring_counts[change] = int(n)
        queue_counts = dict.fromkeys(QUEUE_CHANGES, 0)
        for change, n in self.queue.group_by("change").len().iter_rows():
            queue_counts[change] = int(n)
        queue_counts["unchanged"] = self.queue_unchanged
        return {
            "run_a": str(self.run_a),
            "run_b": str(self.run_b),
            "rings": ring_counts,
            "queue": queue_counts,
            "params": dict(self.params),
        }

    def ids(self) -> dict[str, dict[str, list[str]]]:
        """The ids behind :meth:`summary`'s counts.

        Returns
        -------
        dict
            ``{"rings": {class: [ring ids of B], …}, "queue": {class: [queue item ids], …}}``
            with every class present (``gone`` lists the old run's ring ids; unchanged
            queue items are not listed), ids sorted.
        """
        rings: dict[str, list[str]] = {c: [] for c in RING_CHANGES}
        frame = self.rings.select(
            "change", pl.coalesce("ring_id", pl.col("previous_ring_ids").list.first()).alias("id")
        )
        for change, ids in frame.group_by("change").agg(pl.col("id").sort()).iter_rows():
            rings[change] = [str(i) for i in ids]
        queue: dict[str, list[str]] = {c: [] for c in QUEUE_CHANGES if c != "unchanged"}
        for change, ids in (
            self.queue.group_by("change").agg(pl.col("queue_item_id").sort()).iter_rows()
        ):
            queue[change] = [str(i) for i in ids]
        return {"rings": rings, "queue": queue}

    def to_dict(self) -> dict[str, Any]:
        """:meth:`summary` plus the ids (``ring_ids``, ``queue_item_ids``) and one entry
        per ring change (``ring_changes``: change, ring_id, previous_ring_ids, pattern,
        risk, sizes): what ``ringlens diff --json`` prints.

        Examples
        --------
        >>> d = RunDiff(run_a=Path("a"), run_b=Path("b"),
        ...     rings=pl.DataFrame({"change": ["gone"], "ring_id": [None],
        ...                         "previous_ring_ids": [["r1"]]}),
        ...     queue=pl.DataFrame({"queue_item_id": ["q1"], "change": ["added"]}))
        >>> out = d.to_dict()
        >>> out["rings"]["gone"], out["ring_ids"]["gone"], out["queue_item_ids"]["added"]
        (1, ['r1'], ['q1'])
        """
        ids = self.ids()
        return {
            **self.summary(),
            "ring_ids": ids["rings"],
            "queue_item_ids": ids["queue"],
            "ring_changes": self.rings.to_dicts(),
        }

    def report_changes(self) -> dict[str, Any]:
        """What the run report's "what changed" shows: ring ids per class
        (``new``, ``gone``, ``grown``, …) and the queue's counts per class."""
        return {**self.ids()["rings"], "queue": self.summary()["queue"]}


# --------------------------------------------------------------------------- reading
def _read(run_dir: str | os.PathLike[str], name: str, required: dict[str, Any]) -> pl.DataFrame:
    base = Path(run_dir)
    if not base.is_dir():
        raise InputError(f"run folder {base} does not exist (expected a folder with {name})")
    path = resolve_run(base) / name
    if not path.is_file():
        raise InputError(f"run folder {base} has no {name} (expected a run written by ringlens)")
    try:
        df = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for a bad file
        raise InputError(f"cannot read {base / name}: {' '.join(str(exc).split())[:200]}") from exc
    for col, dtype in required.items():
        if col not in df.columns:
            raise SchemaError(f"{base / name} lacks column {col!r} (expected {dtype})")
        try:
            df = df.with_columns(pl.col(col).cast(dtype, strict=True))
        except Exception as exc:  # noqa: BLE001 - turn any cast failure into SchemaError
            raise SchemaError(
                f"{base / name}: column {col!r} has type {df.schema[col]}, expected {dtype}"
            ) from exc
    return df


def _read_rings(run_dir: str | os.PathLike[str]) -> pl.DataFrame:
    df = _read(run_dir, "rings.parquet", _RING_COLUMNS)
    path = Path(run_dir) / "rings.parquet"
    if "members" not in df.columns:
        raise SchemaError(f"{path} lacks column 'members' (expected list[str] of node keys)")
    if not isinstance(df.schema["members"], pl.List):
        raise SchemaError(
            f"{path}: column 'members' has type {df.schema['members']}, "
            "expected list[str] of node keys"
        )
    df = df.with_columns(pl.col("members").cast(pl.List(pl.String)))
    if df["ring_id"].null_count() or df["ring_id"].n_unique() != df.height:
        raise SchemaError(f"{path}: column 'ring_id' has nulls or duplicates (expected unique ids)")
    return df.select("ring_id", "pattern", "risk_score", "members")


# --------------------------------------------------------------------------- rings
def _members(rings: pl.DataFrame, ring_col: str) -> pl.DataFrame:
    return (
        rings.select(pl.col("ring_id").alias(ring_col), pl.col("members").alias("member"))
        .explode("member")
        .drop_nulls("member")
        .unique()
    )


def _ring_sizes(
    rings: pl.DataFrame, members: pl.DataFrame, ring_col: str, n_col: str
) -> pl.DataFrame:
    """Every ring's member count (0 for a ring without members), as ``(ring_col, n_col)``."""
    return (
        rings.select(pl.col("ring_id").alias(ring_col))
        .join(
            members.group_by(ring_col).agg(pl.len().cast(pl.Int64).alias(n_col)),
            on=ring_col,
            how="left",
        )
        .with_columns(pl.col(n_col).fill_null(0))
    )


def _ring_pairs(
    ma: pl.DataFrame, mb: pl.DataFrame, n_a: pl.DataFrame, n_b: pl.DataFrame
) -> pl.DataFrame:
    """Every (old, new) ring pair that shares a member: overlap, Jaccard and both shares."""
    return (
        ma.join(mb, on="member")
        .group_by("ring_a", "ring_b")
        .agg(pl.len().cast(pl.Int64).alias("overlap"))
        .join(n_a, on="ring_a")
        .join(n_b, on="ring_b")
        .with_columns(
            jaccard=pl.col("overlap") / (pl.col("n_a") + pl.col("n_b") - pl.col("overlap")),
            share_of_a=pl.col("overlap") / pl.col("n_a"),
            share_of_b=pl.col("overlap") / pl.col("n_b"),
        )
    )


def _ring_links(pairs: pl.DataFrame, *, min_jaccard: float, min_share: float) -> pl.DataFrame:
    """Each new ring's previous rings and how it relates to them: ``(ring_b, prev, kind)``
    with kind ``merged``, ``split`` or ``match`` (first that applies); new rings absent."""
    order: dict[str, Any] = dict(
        by=["jaccard", "overlap", "ring_a", "ring_b"], descending=[True, True, False, False]
    )
    best_for_b = pairs.sort(**order).group_by("ring_b", maintain_order=True).first()
    best_for_a = pairs.sort(**order).group_by("ring_a", maintain_order=True).first()
    matched = best_for_b.join(
        best_for_a.select("ring_a", pl.col("ring_b").alias("_best_b")), on="ring_a"
    ).filter((pl.col("ring_b") == pl.col("_best_b")) & (pl.col("jaccard") >= min_jaccard))

    merged = (
        pairs.filter(pl.col("share_of_a") >= min_share)
        .group_by("ring_b")
        .agg(pl.col("ring_a").sort().alias("prev"), pl.len().alias("_k"))
        .filter(pl.col("_k") >= 2)
        .select("ring_b", "prev", pl.lit("merged").alias("kind"))
    )
    split_src = (
        pairs.filter(pl.col("share_of_b") >= min_share)
        .group_by("ring_a")
        .agg(pl.col("ring_b"), pl.len().alias("_k"))
        .filter(pl.col("_k") >= 2)
        .explode("ring_b")
        .sort("ring_a")
        .group_by("ring_b", maintain_order=True)
        .agg(pl.col("ring_a").alias("prev"))
        .select("ring_b", "prev", pl.lit("split").alias("kind"))
    )
    match = matched.select(
        "ring_b", pl.concat_list("ring_a").alias("prev"), pl.lit("match").alias("kind")
    )
    # precedence: merged > split > match > new
    return (
        pl.concat([merged, split_src, match], how="vertical")
        .with_columns(
            rank=pl.col("kind").replace_strict({"merged": 0, "split": 1, "match": 2}, default=3)
        )
        .sort("rank", "ring_b")
        .group_by("ring_b", maintain_order=True)
        .first()
        .drop("rank")
    )


def _with_previous(
    rows_b: pl.DataFrame, a: pl.DataFrame, pairs: pl.DataFrame, ma: pl.DataFrame, mb: pl.DataFrame
) -> pl.DataFrame:
    """``rows_b`` with, over the union of each new ring's previous rings: ``n_prev``
    members, ``n_inter`` of them still in it (both 0 without previous rings), the pattern
    of the most overlapping one and the highest risk."""
    prev_members = (
        rows_b.select("ring_b", pl.col("prev").alias("ring_a"))
        .explode("ring_a")
        .drop_nulls("ring_a")
        .join(ma, on="ring_a")
        .select("ring_b", "member")
        .unique()
    )
    n_prev = prev_members.group_by("ring_b").agg(pl.len().cast(pl.Int64).alias("n_prev"))
    n_inter = (
        prev_members.join(mb, on=["ring_b", "member"], how="semi")
        .group_by("ring_b")
        .agg(pl.len().cast(pl.Int64).alias("n_inter"))
    )
    a_info = a.select(
        pl.col("ring_id").alias("ring_a"),
        pl.col("pattern").alias("_pattern_a"),
        pl.col("risk_score").alias("_risk_a"),
    )
    prev_stats = (
        rows_b.select("ring_b", pl.col("prev").alias("ring_a"))
        .explode("ring_a")
        .drop_nulls("ring_a")
        .join(a_info, on="ring_a")
        .join(pairs.select("ring_a", "ring_b", "overlap"), on=["ring_a", "ring_b"], how="left")
        .with_columns(pl.col("overlap").fill_null(0))
        .sort(["overlap", "ring_a"], descending=[True, False])
        .group_by("ring_b", maintain_order=True)
        .agg(
            pl.col("_pattern_a").first().alias("previous_pattern"),
            pl.col("_risk_a").max().alias("previous_risk_score"),
        )
    )
    return (
        rows_b.join(n_prev, on="ring_b", how="left")
        .join(n_inter, on="ring_b", how="left")
        .join(prev_stats, on="ring_b", how="left")
        .with_columns(
            pl.col("n_prev").fill_null(0),
            pl.col("n_inter").fill_null(0),
        )
    )


def _classify_new(rows: pl.DataFrame) -> pl.DataFrame:
    """Report rows of the new run's rings: change class, member and risk deltas."""
    return (
        rows.with_columns(
            members_added=pl.col("n_b") - pl.col("n_inter"),
            members_removed=pl.col("n_prev") - pl.col("n_inter"),
        )
        .with_columns(
            change=pl.when(pl.col("kind") != "match")
            .then(pl.col("kind"))
            .when((pl.col("members_added") == 0) & (pl.col("members_removed") == 0))
            .then(pl.lit("unchanged"))
            .when(pl.col("n_b") > pl.col("n_prev"))
            .then(pl.lit("grown"))
            .when(pl.col("n_b") < pl.col("n_prev"))
            .then(pl.lit("shrunk"))
            .otherwise(pl.lit("changed")),
            jaccard=pl.when(pl.col("n_prev") > 0).then(
                pl.col("n_inter") / (pl.col("n_b") + pl.col("n_prev") - pl.col("n_inter"))
            ),
        )
        .select(
            "change",
            pl.col("ring_b").alias("ring_id"),
            pl.col("prev").alias("previous_ring_ids"),
            "pattern",
            "previous_pattern",
            "risk_score",
            "previous_risk_score",
            (pl.col("risk_score") - pl.col("previous_risk_score")).alias("risk_delta"),
            pl.col("n_b").alias("n_members"),
            pl.col("n_prev").alias("previous_n_members"),
            "members_added",
            "members_removed",
            "jaccard",
        )
    )


def _gone_rings(a: pl.DataFrame, out_b: pl.DataFrame, n_a: pl.DataFrame) -> pl.DataFrame:
    """Report rows of the old rings that no new ring refers to (``gone``)."""
    referenced = out_b.select(pl.col("previous_ring_ids").explode().alias("ring_a")).drop_nulls()
    return (
        a.select(
            pl.col("ring_id").alias("ring_a"),
            pl.col("pattern").alias("previous_pattern"),
            pl.col("risk_score").alias("previous_risk_score"),
        )
        .join(referenced, on="ring_a", how="anti")
        .join(n_a, on="ring_a", how="left")
        .select(
            pl.lit("gone").alias("change"),
            pl.lit(None, dtype=pl.String).alias("ring_id"),
            pl.concat_list("ring_a").alias("previous_ring_ids"),
            pl.lit(None, dtype=pl.String).alias("pattern"),
            "previous_pattern",
            pl.lit(None, dtype=pl.Float64).alias("risk_score"),
            "previous_risk_score",
            pl.lit(None, dtype=pl.Float64).alias("risk_delta"),
            pl.lit(0, dtype=pl.Int64).alias("n_members"),
            pl.col("n_a").alias("previous_n_members"),
            pl.lit(0, dtype=pl.Int64).alias("members_added"),
            pl.col("n_a").alias("members_removed"),
            pl.lit(0.0).alias("jaccard"),
        )
    )


def _diff_rings(
    a: pl.DataFrame, b: pl.DataFrame, *, min_jaccard: float, min_share: float
) -> pl.DataFrame:
    ma = _members(a, "ring_a")
    mb = _members(b, "ring_b")
    n_a = _ring_sizes(a, ma, "ring_a", "n_a")
    n_b = _ring_sizes(b, mb, "ring_b", "n_b")
    pairs = _ring_pairs(ma, mb, n_a, n_b)
    links = _ring_links(pairs, min_jaccard=min_jaccard, min_share=min_share)
    rows_b = (
        b.select(pl.col("ring_id").alias("ring_b"), "pattern", "risk_score")
        .join(n_b, on="ring_b", how="left")
        .join(links, on="ring_b", how="left")
        .with_columns(
            pl.col("kind").fill_null("new"),
            pl.col("prev").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
    )
    out_b = _classify_new(_with_previous(rows_b, a, pairs, ma, mb))
    out = pl.concat([out_b, _gone_rings(a, out_b, n_a)], how="vertical_relaxed")
    return (
        out.with_columns(
            _order=pl.col("change").replace_strict(
                {c: i for i, c in enumerate(RING_CHANGES)}, return_dtype=pl.Int64
            ),
            _key=pl.coalesce("ring_id", pl.col("previous_ring_ids").list.first()),
        )
        .sort("_order", "_key")
        .drop("_order", "_key")
    )


# --------------------------------------------------------------------------- queue
def _diff_queue(
    qa: pl.DataFrame, qb: pl.DataFrame, *, risk_tolerance: float
) -> tuple[pl.DataFrame, int]:
    cols = list(_QUEUE_COLUMNS)
    joined = qa.select(*cols, _in_a=pl.lit(True)).join(
        qb.select(*cols, _in_b=pl.lit(True)),
        on="queue_item_id",
        how="full",
        coalesce=True,
        suffix="_b",
    )
    delta = pl.col("risk_score_b") - pl.col("risk_score")
    classified = joined.with_columns(
        change=pl.when(pl.col("_in_a").is_null())
        .then(pl.lit("added"))
        .when(pl.col("_in_b").is_null())
        .then(pl.lit("removed"))
        .when(pl.col("action").ne_missing(pl.col("action_b")))
        .then(pl.lit("action_changed"))
        .when(delta.abs() > risk_tolerance)
        .then(pl.lit("risk_changed"))
        .otherwise(pl.lit("unchanged")),
    )
    n_unchanged = classified.filter(pl.col("change") == "unchanged").height
    out = (
        classified.filter(pl.col("change") != "unchanged")
        .select(
            "queue_item_id",
            "change",
            pl.coalesce("entity_type_b", "entity_type").alias("entity_type"),
            pl.coalesce("entity_id_b", "entity_id").alias("entity_id"),
            pl.col("action").alias("previous_action"),
            pl.col("action_b").alias("action"),
            pl.col("risk_score").alias("previous_risk_score"),
            pl.col("risk_score_b").alias("risk_score"),
            delta.alias("risk_delta"),
        )
        .with_columns(
            _order=pl.col("change").replace_strict(
                {c: i for i, c in enumerate(QUEUE_CHANGES)}, return_dtype=pl.Int64
            )
        )
        .sort("_order", "queue_item_id")
        .drop("_order")
    )
    return out, n_unchanged


def diff_runs(
    run_a_dir: str | os.PathLike[str],
    run_b_dir: str | os.PathLike[str],
    *,
    min_jaccard: float = 0.5,
    min_share: float = 0.5,
    risk_tolerance: float = 0.0,
) -> RunDiff:
    """Compare two run folders: which rings are new, gone, grown, merged, …

    See the module docstring for the exact rules.

    Parameters
    ----------
    run_a_dir, run_b_dir
        The older and the newer run folder (each with ``rings.parquet`` and
        ``queue.parquet``; folders written by :class:`~ringlens.export.RunWriter`
        are read through their published generation).
    min_jaccard
        Smallest Jaccard index for two rings to be the same ring.
    min_share
        Share of a ring's members that must sit in the other ring for a merge or
        split.
    risk_tolerance
        Queue items whose risk moved by at most this many points count as unchanged.

    Returns
    -------
    RunDiff

    Raises
    ------
    InputError
        A folder or file is missing or unreadable (the message names it).
    SchemaError
        A file lacks a column or has the wrong type.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> from ringlens.export import write_run
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> def run(path, rings):
    ...     df = pl.DataFrame(rings, schema=["ring_id", "pattern", "risk_score", "members"],
    ...                       orient="row").with_columns(size=pl.col("members").list.len())
    ...     q = pl.DataFrame({"queue_item_id": ["q1"], "entity_type": ["creator"],
    ...                       "entity_id": ["1"], "action": ["suspend"], "risk_score": [90.0]})
    ...     _ = write_run(path, {"rings.parquet": df, "queue.parquet": q})
    >>> run(d / "a", [("r1", "brushing", 70.0, ["c:1", "c:2", "c:3"]),
    ...               ("r2", "brushing", 60.0, ["c:7", "c:8"]),
    ...               ("r3", "brushing", 50.0, ["c:9", "c:10"])])
    >>> run(d / "b", [("x1", "brushing", 80.0, ["c:1", "c:2", "c:3", "c:4"]),
    ...               ("x2", "brushing", 65.0, ["c:7", "c:8", "c:9", "c:10"])])
    >>> diff = diff_runs(d / "a", d / "b")
    >>> diff.to_frame().select("change", "ring_id", "previous_ring_ids").rows()
    [('grown', 'x1', ['r1']), ('merged', 'x2', ['r2', 'r3'])]
    >>> diff.summary()["rings"]["merged"]
    1
    """
    for name, value in (("min_jaccard", min_jaccard), ("min_share", min_share)):
        if not 0.0 < float(value) <= 1.0:
            raise ValueError(f"{name} must be in (0, 1], not {value!r}")
    rings_a, rings_b = _read_rings(run_a_dir), _read_rings(run_b_dir)
    queue_a = _read(run_a_dir, "queue.parquet", _QUEUE_COLUMNS)
    queue_b = _read(run_b_dir, "queue.parquet", _QUEUE_COLUMNS)
    rings = _diff_rings(rings_a, rings_b, min_jaccard=min_jaccard, min_share=min_share)
    queue, n_same = _diff_queue(queue_a, queue_b, risk_tolerance=risk_tolerance)
    diff = RunDiff(
        run_a=Path(run_a_dir),
        run_b=Path(run_b_dir),
        rings=rings,
        queue=queue,
        queue_unchanged=n_same,
        params={
            "min_jaccard": float(min_jaccard),
            "min_share": float(min_share),
            "risk_tolerance": float(risk_tolerance),
        },
    )
    logger.info("diff %s -> %s: %s", run_a_dir, run_b_dir, diff.summary()["rings"])
    return diff
