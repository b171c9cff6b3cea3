"""Dense blocks per family: FRAUDAR with trimming, several blocks, each significant; and
audience blocks (accounts that make up most of the audience of a few targets they share)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, cast

import polars as pl

from ringlens.detect.audience import audience_blocks
from ringlens.detect.dense import DenseBlockGroups, dense_blocks
from ringlens.pipeline.detectors._families import (
    interaction_families,
    significance_strength,
)
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    Task,
    group_found,
    register,
)

if TYPE_CHECKING:
    from ringlens.detect.dense import ColumnWeighting

__all__ = ["CATALOGUE", "MIN_DENSITY", "DenseBlocks", "column_weighting"]

#: Target roles whose families ``detect.dense_column_weighting = "auto"`` peels with
#: ``1 / sqrt(d + 5)``: a catalogue's popular items and posts have heavy users whose
#: organic core would otherwise come first and stop the search before a slow ring on
#: less popular ones (a YelpChi ring of 200 × 30 at 0.3 over three months). On targets
#: the vocabulary does not name, which may be an attribute the shape test missed (a
#: carrier's address blocks, a few per rider), ``1 / sqrt`` surfaces blocks of its hubs'
#: accounts (769 riders on ten addresses), so they keep FRAUDAR's ``1 / log(d + 5)``.
CATALOGUE = ("item", "content")

#: A block whose accounts each touch less than this share of its targets is a slice of a
#: market (a niche browsing its category), however improbable: not a ring, whose accounts
#: work most of its targets. Blocks above it count with a strength that grows with fill.
#: A closed block is exempt (:data:`CLOSED`).
MIN_DENSITY = 0.2

#: A block whose targets are mostly (at least this share) its own accounts is a closed
#: group acting on itself — sixty-five freelancers endorsing each other, eight apiece —
#: not a slice of a market: its fill is what each member can give the others (8 of 64),
#: and a market's niche does not endorse itself.
CLOSED = 0.5


@register
class DenseBlocks(Detector):
    """Blocks of accounts × targets far denser than the configuration model allows
    (:func:`ringlens.detect.dense.dense_blocks`) and blocks of accounts that make up most
    of their targets' audience (:func:`ringlens.detect.audience.audience_blocks`: the
    narrow blocks FRAUDAR's average degree ranks below any wide organic core), in every
    family of interactions: the detector that finds slow rings that never burst."""

    name = "dense_blocks"
    order = 20
    reasons = ("dense_block",)
    proposes_rings = True

    def families(self, inp: DetectInput) -> list[Family]:
        return interaction_families(inp)

    def tasks(self, inp: DetectInput) -> list[Task]:
        """Two tasks over every family, costed by the families' events: FRAUDAR's peels
        (``f<i>/`` candidates) and the audience blocks (``a<i>/``)."""
        fams = interaction_families(inp)
        cost = float(inp.graph.events.height)
        return [
            Task(run=partial(_fresh_blocks, inp, fams, _peeled, "f", "dense blocks"), cost=cost),
            Task(
                run=partial(_fresh_blocks, inp, fams, _audience, "a", "audience blocks"), cost=cost
            ),
        ]

    def combine(self, parts: list[Found]) -> Found:
        """The two tasks' findings, candidates and targets family by family (each
        family's peeled blocks, then its audience blocks): the order a run of one family
        at a time finds them in (:mod:`ringlens.spark.partition`)."""
        found = Found.concat(parts)
        return replace(
            found,
            candidates=_by_family(found.candidates),
            targets=_by_family(found.targets),
        )


def _blocks(
    inp: DetectInput,
    fams: list[Family],
    find: Callable[[DetectInput, Family], DenseBlockGroups],
    prefix: str,
    step: str,
) -> Found:
    """One block finder over every family: candidates ``<prefix><i>/<group>``."""
    parts = []
    n = 0
    with inp.timer(f"{step} (families)"):
        for i, fam in enumerate(fams):
            res = find(inp, fam)
            n += len(res)
            parts.append(
                group_found(res, "dense_blocks", f"{prefix}{i}/", _STRENGTH, "dense_block")
            )
    return Found.concat([*parts, Found(counts={"dense_blocks": n})])


def _fresh_blocks(
    inp: DetectInput,
    fams: list[Family],
    find: Callable[..., DenseBlockGroups],
    prefix: str,
    step: str,
) -> Found:
    """:func:`_blocks` with the run's new accounts (:attr:`DetectInput.new_accounts`) given to
    the block finder."""
    new, rate = inp.new_accounts
    return _blocks(inp, fams, partial(find, new=new, rate=rate), prefix, step)


def _peeled(
    inp: DetectInput, fam: Family, *, new: pl.Series | None = None, rate: float | None = None
) -> DenseBlockGroups:
    """FRAUDAR's significant blocks of the family that fill at least ``MIN_DENSITY`` or
    are closed (:data:`CLOSED`); with the run's new accounts (``new``, ``rate``), a block
    that only the target contrast fails counts when its accounts are new beyond the
    platform's rate (:func:`ringlens.detect.dense.dense_blocks`)."""
    res = dense_blocks(
        inp.graph,
        actions=list(fam.actions or ()),
        actor_types=list(fam.actor_types or ()),
        target_types=list(fam.target_types or ()),
        new_accounts=new,
        new_rate=rate,
        column_weighting=column_weighting(inp, fam),
    )
    m = res.members
    own = (
        m.filter(pl.col("role") == "target")
        .join(m.filter(pl.col("role") == "actor").select("group", "key"), on=["group", "key"])
        .group_by("group")
        .len(name="_own")
    )
    closed = pl.col("_own").fill_null(0) >= CLOSED * pl.col("n_targets")
    kept = (
        res.groups.join(own, on="group", how="left")
        .filter((pl.col("density") >= MIN_DENSITY) | closed)
        .drop("_own")
        .sort("group")
    )
    return replace(res, groups=kept)


def column_weighting(inp: DetectInput, fam: Family) -> ColumnWeighting:
    """The column weights of ``fam``'s dense-block search: the setting
    (``detect.dense_column_weighting``), where ``auto`` is ``sqrt`` on a family whose
    target types the vocabulary names items or content (:data:`CATALOGUE`) and ``log``
    on the others."""
    chosen = inp.config.detect.dense_column_weighting
    if chosen != "auto":
        return cast("ColumnWeighting", chosen)
    types = fam.target_types or ()
    # a type read as a device by its shape has the role "device", never a catalogue's
    named = all(inp.roles.type_role.get(t) in CATALOGUE for t in types)
    return "sqrt" if types and named else "log"


def _audience(
    inp: DetectInput, fam: Family, *, new: pl.Series | None = None, rate: float | None = None
) -> DenseBlockGroups:
    """The family's audience blocks (with the run's new accounts, as :func:`_peeled`)."""
    return audience_blocks(
        inp.graph,
        actions=list(fam.actions or ()),
        actor_types=list(fam.actor_types or ()),
        target_types=list(fam.target_types or ()),
        seed=inp.config.detect.seed,
        new_accounts=new,
        new_rate=rate,
    )


#: a block's strength: its significance, scaled down below half fill
_STRENGTH = significance_strength(pl.col("significance")) * (pl.col("density") / 0.5).clip(0.0, 1.0)


def _by_family(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows of candidates ``f<i>/<g>`` and ``a<i>/<g>`` ordered by family ``i``, peeled
    before audience blocks, each task's own order kept within."""
    head = pl.col("candidate").str.split_exact("/", 1).struct.field("field_0")
    return (
        frame.with_row_index("_row")
        .sort(head.str.slice(1).cast(pl.Int64), head.str.slice(0, 1) != "f", "_row")
        .drop("_row")
    )
