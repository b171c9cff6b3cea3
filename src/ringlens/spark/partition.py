"""A run in parts, with the single-machine code (no Spark here): what the Spark engine
distributes, and the same steps on one machine for tests and checks.

The Spark engine (:mod:`ringlens.spark.pipeline`) cannot hand the whole graph to one
worker. It splits the run twice, and each split is exact:

**Detection by family** (:func:`plan_units`, :func:`detect_unit`). A graph-stage detector
of the registry searches whole families of the data (an actor type × action × target type
triple, or all the families of one action role): dense blocks peel the family's whole
account × target matrix and test each block against it, significant communities run
Leiden on the family's whole co-interaction backbone, lockstep tests bursts against the
family's rhythm and total activity, shared targets test each target against every link of
every shareable type. None of that splits over connected components. So each detector runs
once per **unit** — the events of one of its families (families that share events form one
unit) — on a graph built from exactly those events: the same numbers, the same node order,
the same candidates and signals as on the whole graph (every unit sees the run's families
and roles, so candidate ids keep each family's position in the run's list; a detector
finds nothing in a family without events). Shared targets also link two accounts through
a rare target of any other type, its audience counted over every actor
(:data:`NEIGHBOURHOOD_STAGE`): its unit holds every event on a target the family's
accounts act on (:attr:`FamilyUnit.reach`, :func:`unit_events`). :func:`merge_units` puts
the units' findings back in the order the single-machine run finds them.

**Rings and scores by component** (:func:`score_partition`). Rings never span connected
components, so partitions of whole components build rings, ring features, ring-stage
signals and entity scores with :func:`ringlens.pipeline.score`, given a
:class:`~ringlens.pipeline.context.RunContext` with what a part cannot see:

================================  ==========================================================
run-wide quantity                 used by
================================  ==========================================================
the families and their roles      ``detect`` (roles of unmapped names come from the data's
                                  shape), the coverage report
the detectors' findings           ``detect``: each part gets its share of the family units'
                                  candidates and signals (``context.found``)
first event time                  ``account_facts`` (``new_account``), ``new_account_share``
background density                ``density_ratio``
share of new accounts             ``new_account_lift``
interaction matrix                ring ``significance`` (actions, actors, targets, pairs)
owner projection                  ``sig_owners`` and the owner communities' members' pull
                                  (accounts, owners, account-owner pairs)
mean amount per action            ``value_lift``
events by hour of day             ``synchrony_excess`` (its null's daily rhythm)
``near_confirmed_bad`` signals    personalised PageRank, ranked over every account
queue priorities and capacity     the policy: applied once over every part (:func:`finish`)
================================  ==========================================================

The detectors of :data:`PARTITION_STAGE` run in the parts themselves: ``account_facts``
reads the entities table and the first event time (in the context);
``near_confirmed_bad`` takes its signals from the context. Personalised PageRank splits
exactly over components: with restarts at the seeds only, a component holds
``|seeds in it| / |seeds|`` of the mass, and global PageRank gives a component
``|its nodes| / |nodes|`` of the mass (the event graph has no dangling node), so
:func:`ppr_partition` rescales a part's values to the whole graph's and
:func:`near_confirmed_bad` ranks them over every account, as the detector does.

A detector added to the registry runs by family when it declares families (what the
coverage report needs anyway), and in the parts when it declares none or is listed in
:data:`PARTITION_STAGE` (then it must be exact on whole components given the context); a
family-stage detector that reads events beyond its families' accounts' neighbourhood is
not exact here. The coverage report is the run's (:func:`run_coverage`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import numpy as np
import polars as pl

from ringlens.config import Config
from ringlens.detect.centrality import pagerank, personalized_pagerank
from ringlens.detect.dense import family_pairs
from ringlens.graph import EventGraph, build_graph, node_key
from ringlens.graph.roles import Roles, normalise_name, normalised
from ringlens.pipeline.context import RunContext
from ringlens.pipeline.coverage import Coverage, coverage, family_roles
from ringlens.pipeline.engine import score
from ringlens.pipeline.outputs import evidence_links
from ringlens.pipeline.registry import (
    DetectInput,
    Detector,
    Family,
    Found,
    registered,
)
from ringlens.pipeline.result import DROPPED, build_report
from ringlens.pipeline.signals import ACCOUNT_TYPES, NEW_ACCOUNT_DAYS, near_confirmed_bad
from ringlens.pipeline.vocabulary import Vocabulary, graph_roles
from ringlens.rings.expand import type_edges
from ringlens.rings.features import (
    action_values,
    arrivals,
    hourly_rhythm,
    interaction_actions,
    new_account_rate,
    owner_totals,
)
from ringlens.risk.policy import Policy, apply_policy, load_policy

log = logging.getLogger(__name__)

__all__ = [
    "NEIGHBOURHOOD_STAGE",
    "PARTITION_STAGE",
    "FamilyUnit",
    "PartitionResult",
    "account_types",
    "context_from_graph",
    "contract_events",
    "detect_families",
    "detect_unit",
    "family_input",
    "finish",
    "merge_units",
    "near_confirmed_bad",
    "part_found",
    "plan_units",
    "ppr_partition",
    "run_coverage",
    "score_partition",
    "unit_entities",
    "unit_events",
    "with_run_entities",
]

#: Graph-stage detectors that run in the parts (whole components) with the context.
PARTITION_STAGE: tuple[str, ...] = ("account_facts", "near_confirmed_bad")
#: Family-stage detectors that also read their accounts' other links: ``shared_targets``
#: links two accounts that act on the same rare target of any type (its audience counted
#: over every actor), so its unit holds every event on the targets of its families' actors.
NEIGHBOURHOOD_STAGE: tuple[str, ...] = ("shared_targets",)

_FAMILY_COLUMNS = ("action", "actor_type", "target_type")


@dataclass(frozen=True)
class FamilyUnit:
    """One run of a family-stage detector: its families that share events.

    Attributes
    ----------
    detector : str
        The detector's registry name.
    position : int
        The position of the unit's first family in the detector's families (the order in
        which the single-machine run finds them).
    families : tuple of Family
        The families; their events are the unit's events.
    reach : bool
        The unit's events are all events on the targets of the families' actors.
    """

    detector: str
    position: int
    families: tuple[Family, ...]
    #: the unit's events are every event on a target the families' actors act on (a
    #: detector of :data:`NEIGHBOURHOOD_STAGE`, which reads its accounts' other links)
    reach: bool = False

    def conditions(self) -> list[list[tuple[str, tuple[str, ...]]]]:
        """The event filter: any of the families, each a list of ``(column, names)`` that
        must all hold (column: ``action``, ``actor_type`` or ``target_type``; names as the
        graph stores them, normalised)."""
        return [family_conditions(f) for f in self.families]

    def expr(self) -> pl.Expr:
        """The event filter on a contract frame (raw names, normalised here)."""
        out = pl.lit(False)
        for conds in self.conditions():
            one = pl.lit(True)
            for col, names in conds:
                one &= normalised(pl.col(col)).is_in(list(names))
            out |= one
        return out


def unit_events(events: pl.DataFrame, unit: FamilyUnit) -> pl.DataFrame:
    """A unit's events from the run's events (a contract frame): those of its families,
    and with ``unit.reach`` every event on a target their actors act on (what the Spark
    engine selects with joins).

    Examples
    --------
    >>> from ringlens.synth import SynthConfig, generate
    >>> ev = generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=3)).events
    >>> unit = FamilyUnit("x", 0, (Family(actions=("order",)),))
    >>> unit_events(ev, unit)["action"].unique().to_list()
    ['order']
    >>> unit_events(ev, replace(unit, reach=True)).height > unit_events(ev, unit).height
    True
    """
    own = events.filter(unit.expr())
    if not unit.reach:
        return own
    akey = node_key(normalised(pl.col("actor_type")), "actor_id")
    tkey = node_key(normalised(pl.col("target_type")), "target_id")
    actors = own.select(akey.alias("_a")).unique()
    targets = events.filter(akey.is_in(actors["_a"].implode())).select(tkey.alias("_t")).unique()
    return events.filter(tkey.is_in(targets["_t"].implode()))


def family_conditions(family: Family) -> list[tuple[str, tuple[str, ...]]]:
    """A :class:`~ringlens.pipeline.registry.Family` as ``(column, normalised names)``
    conditions that all hold for its events (none: every event).

    Examples
    --------
    >>> family_conditions(Family(actions=("Order",), target_types=("product",)))
    [('action', ('order',)), ('target_type', ('product',))]
    """
    out = []
    for col, names in zip(
        _FAMILY_COLUMNS, (family.actions, family.actor_types, family.target_types), strict=True
    ):
        if names is not None:
            out.append((col, tuple(normalise_name(n) for n in names)))
    return out


def family_input(
    families: pl.DataFrame,
    *,
    config: Config | None = None,
    graph: EventGraph | None = None,
    labels: pl.DataFrame | None = None,
) -> DetectInput:
    """The :class:`~ringlens.pipeline.registry.DetectInput` of a run whose families
    (:meth:`~ringlens.graph.EventGraph.families`, or the same frame from Spark) are
    ``families``: the vocabulary of ``config``, the families with their roles, the roles.
    ``graph`` is the graph the detectors will read (a unit's, a part's, or a sample)."""
    cfg = config or Config()
    vocab = Vocabulary.from_settings(cfg.vocabulary)
    fam = families if "action_role" in families.columns else family_roles(families, vocab)
    return DetectInput(
        graph=graph,  # type: ignore[arg-type]
        config=cfg,
        vocabulary=vocab,
        families=fam,
        roles=graph_roles(fam),
        labels=labels,
    )


def _matching_rows(families: pl.DataFrame, family: Family) -> set[int]:
    cond = pl.lit(True)
    for col, names in family_conditions(family):
        cond &= pl.col(col).is_in(list(names))
    idx = families.with_row_index("_i").filter(cond)["_i"]
    return set(idx.to_list())


def _units_of(detector: Detector, fams: list[Family], families: pl.DataFrame) -> list[FamilyUnit]:
    """The detector's families grouped into units: families that share a family of the
    data (and so events) are one unit."""
    rows = [_matching_rows(families, f) for f in fams]
    parent = list(range(len(fams)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(fams)):
        for j in range(i):
            if rows[i] & rows[j]:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(fams)):
        groups.setdefault(root(i), []).append(i)
    reach = detector.name in NEIGHBOURHOOD_STAGE
    return [
        FamilyUnit(detector.name, members[0], tuple(fams[i] for i in members), reach)
        for members in sorted(groups.values())
        if any(rows[i] for i in members)  # a family without events finds nothing
    ]


def plan_units(inp: DetectInput) -> tuple[list[FamilyUnit], list[str]]:
    """The family units of the run's graph-stage detectors, and the names of the
    detectors that run by family (the others run in the parts).

    Examples
    --------
    >>> from ringlens.synth import SynthConfig, generate
    >>> from ringlens.graph import build_graph
    >>> g = build_graph(generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=3)).events)
    >>> units, by_family = plan_units(family_input(g.families(), config=Config()))
    >>> by_family
    ['lockstep', 'dense_blocks', 'communities', 'owner_communities', 'skewed_follow_ups', 'skewed_ratings', 'shared_targets']
    >>> [(u.position, u.families[0].actions) for u in units if u.detector == "lockstep"][:2]
    [(0, ('affiliate_click',)), (1, ('comment', 'like', 'share'))]
    """
    assert inp.families is not None
    units: list[FamilyUnit] = []
    names: list[str] = []
    for det in registered("graph", disable=inp.config.detect.disable):
        if det.name in PARTITION_STAGE:
            continue
        fams = det.families(inp)
        if not fams:
            continue
        names.append(det.name)
        units.extend(_units_of(det, fams, inp.families))
    return units, names


def run_coverage(inp: DetectInput, *, seeds: Sequence[str] = ()) -> Coverage:
    """The run's coverage report, as :func:`ringlens.pipeline.detect` gives it, from the
    run's families alone (``inp``: :func:`family_input` with the run's labels): the
    families every graph-stage detector declares, and who owns what (ring features).
    ``seeds`` are the confirmed-bad node keys present in the run's events (personalised
    PageRank runs only from them). Its warnings are logged, and with
    ``vocabulary.strict`` uncovered families raise, as in the single-machine run."""
    seed_graph = EventGraph(
        nodes=pl.DataFrame({"key": pl.Series(list(seeds), dtype=pl.String)}),
        edges=pl.DataFrame(),
        events=pl.DataFrame(),
    )  # the nodes that matter to a detector's families: the seeds
    inp = replace(inp, graph=seed_graph)
    assert inp.families is not None
    graph_stage = registered("graph", disable=inp.config.detect.disable)
    consumed = [(d.name, fam) for d in graph_stage for fam in d.families(inp)]
    if inp.roles.owner_actions:
        consumed.append(("ring_features", Family(actions=inp.roles.owner_actions)))
    cov = coverage(inp.families, vocabulary=inp.vocabulary, consumed=consumed, roles=inp.roles)
    if inp.config.vocabulary.strict:
        cov.check_strict()
    for line in cov.summary():
        log.warning("coverage: %s", line)
    return cov


def detect_unit(
    events: pl.DataFrame | EventGraph, *, unit: FamilyUnit, template: DetectInput
) -> Found:
    """One family unit's findings: its detector on the graph of the unit's events (all of
    them: the events of its families), with the run's families, roles and settings from
    ``template`` (:func:`family_input`)."""
    graph = events if isinstance(events, EventGraph) else build_graph(events)
    det = next(d for d in registered("graph") if d.name == unit.detector)
    # the template's context holds only run-wide facts (see :func:`with_run_entities`)
    return det.detect(replace(template, graph=graph))


def unit_entities(
    entities: pl.DataFrame, *, first_ts: Any, actor_types: Sequence[str]
) -> pl.DataFrame:
    """The rows of the run's entities that the shared-targets detector's units need: the
    new accounts (created at most ``NEW_ACCOUNT_DAYS`` before ``first_ts``, or after it)
    and the accounts (entities of ``actor_types``, normalised names) with a market, as
    ``entity_type, entity_id`` and those of ``created_at``, ``market`` the table has."""
    cols = [c for c in ("created_at", "market") if c in entities.columns]
    keep = pl.lit(False)
    if "created_at" in cols and first_ts is not None:
        cutoff = first_ts - timedelta(days=NEW_ACCOUNT_DAYS)
        keep |= pl.col("created_at") >= cutoff
    if "market" in cols:
        account = normalised(pl.col("entity_type")).is_in(list(actor_types))
        keep |= account & pl.col("market").is_not_null()
    return entities.filter(keep.fill_null(False)).select("entity_type", "entity_id", *cols)


def with_run_entities(
    template: DetectInput,
    entities: pl.DataFrame | None,
    *,
    first_ts: Any,
    rate: float | None,
) -> DetectInput:
    """The family units' template with what the shared-targets detector needs from the
    whole run's entities (:func:`unit_entities`): the new accounts of its new-account
    pools, with a context holding the run's first event time and rate of new accounts
    (nothing else: a unit computes the rest from its own events), and the accounts'
    markets (its block model)."""
    if entities is None:
        return template
    if "created_at" in entities.columns:
        if rate is None or first_ts is None:
            entities = entities.drop("created_at")  # no new-account pools in the run
        else:
            ctx = RunContext(
                first_ts=first_ts, n_pairs=0, n_actors=0, n_targets=0, new_account_base=rate
            )
            template = replace(template, context=ctx)
    if not {"created_at", "market"} & set(entities.columns):
        return template
    return replace(template, entities=entities)


def merge_units(
    found: Sequence[tuple[FamilyUnit, Found]], names: Sequence[str]
) -> tuple[dict[str, Found], dict[str, int]]:
    """The family units' findings per detector (candidates, signals, targets and bursts
    in the order the single-machine run finds them, without counts) and the detectors'
    counts."""
    out: dict[str, Found] = {}
    counts: dict[str, int] = {}
    for name in names:
        parts = [
            f
            for _, f in sorted(
                ((u.position, f) for u, f in found if u.detector == name), key=lambda x: x[0]
            )
        ]
        merged = Found.concat(_renumbered(parts)) if parts else Found()
        for k, v in merged.counts.items():
            counts[k] = counts.get(k, 0) + v
        out[name] = replace(merged, counts={})
    return out, counts


def _renumbered(parts: Sequence[Found]) -> list[Found]:
    """The units' bursts numbered as one run numbers them: a unit's groups after the
    earlier units' bursts (a detector numbers each family's groups after the bursts of
    the families before it)."""
    out, offset = [], 0
    for f in parts:
        if f.bursts.height:
            f = replace(f, bursts=f.bursts.with_columns(pl.col("group") + offset))
        offset += f.bursts.height
        out.append(f)
    return out


def part_found(found: Mapping[str, Found], keys: pl.DataFrame) -> dict[str, Found]:
    """A part's share of the run's findings: the candidate, signal and target rows of its
    nodes (``keys``: a ``key`` column), in order."""
    return {
        name: Found(
            candidates=f.candidates.join(keys, on="key", how="semi", maintain_order="left"),
            signals=f.signals.join(keys, on="key", how="semi", maintain_order="left"),
            targets=f.targets.join(keys, on="key", how="semi", maintain_order="left"),
        )
        for name, f in found.items()
    }


def contract_events(graph: EventGraph) -> pl.DataFrame:
    """The graph's events as a contract frame (types and ids from the node index), in the
    graph's event order."""
    nodes = graph.nodes.select("node", "node_type", "node_id")
    ev = graph.events.join(
        nodes.rename({"node": "src", "node_type": "actor_type", "node_id": "actor_id"}),
        on="src",
        maintain_order="left",
    ).join(
        nodes.rename({"node": "dst", "node_type": "target_type", "node_id": "target_id"}),
        on="dst",
        maintain_order="left",
    )
    return ev.select(
        "actor_id",
        "actor_type",
        "target_id",
        "target_type",
        pl.col("action").cast(pl.String),
        "ts",
        "amount",
        pl.col("market").cast(pl.String),
    )


def detect_families(
    graph: EventGraph,
    *,
    config: Config | None = None,
    families: pl.DataFrame | None = None,
    entities: pl.DataFrame | None = None,
) -> tuple[dict[str, Found], dict[str, int]]:
    """The family stage on one machine: every family unit of ``graph`` detected on its own
    events (what the Spark engine does in ``mapInArrow``), merged (:func:`merge_units`).
    ``families`` defaults to the graph's own (with roles); ``entities`` give the
    shared-targets detector the run's new accounts and markets (:func:`with_run_entities`)."""
    cfg = config or Config()
    inp = family_input(graph.families() if families is None else families, config=cfg)
    if entities is not None:
        first = graph.events["ts"].min()
        rate = None
        if "created_at" in entities.columns:
            rate = new_account_rate(graph, entities, first_ts=first, days=NEW_ACCOUNT_DAYS)
        assert inp.families is not None
        actor_types = inp.families["actor_type"].unique().to_list()
        rows = unit_entities(entities, first_ts=first, actor_types=actor_types)
        inp = with_run_entities(inp, rows, first_ts=first, rate=rate)
    units, names = plan_units(inp)
    events = contract_events(graph)
    found = [(u, detect_unit(unit_events(events, u), unit=u, template=inp)) for u in units]
    return merge_units(found, names)


def interaction_totals(graph: EventGraph, actions: Sequence[str] | None) -> tuple[int, int, int]:
    """Distinct actors, targets and pairs of the interaction events (``actions``; all
    events when None): the matrix ring significance is tested against."""
    if actions is None:
        e = graph.edges
        return e["src"].n_unique(), e["dst"].n_unique(), e.height
    rows, cols, mat = family_pairs(graph, actions=list(actions))
    return int(rows.size), int(cols.size), int(mat.nnz)


def context_from_graph(
    graph: EventGraph,
    *,
    config: Config | None = None,
    entities: pl.DataFrame | None = None,
) -> RunContext:
    """The :class:`~ringlens.pipeline.context.RunContext` of a whole event graph (one
    machine; what the Spark engine computes in Spark), without findings or PageRank.

    Examples
    --------
    >>> from ringlens.synth import SynthConfig, generate
    >>> from ringlens.graph import build_graph
    >>> g = build_graph(generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=3)).events)
    >>> ctx = context_from_graph(g)
    >>> 0 < ctx.background < 1, ctx.families.height == g.families().height
    (True, True)
    """
    inp = family_input(graph.families(), config=config or Config())
    e = graph.edges
    first = graph.events["ts"].min()
    actions = interaction_actions(graph, inp.roles)
    return RunContext(
        first_ts=first,  # type: ignore[arg-type]
        n_pairs=e.height,
        n_actors=e["src"].n_unique(),
        n_targets=e["dst"].n_unique(),
        families=inp.families,
        interactions=(
            None if actions is None else tuple(actions),
            interaction_totals(graph, actions),
        ),
        new_account_base=new_account_rate(graph, entities, first_ts=first, days=NEW_ACCOUNT_DAYS),
        action_values=action_values(graph),
        hourly_rhythm=hourly_rhythm(graph),
        type_edges=type_edges(graph),
        owner_totals=owner_totals(graph, inp.roles),
        arrival=arrivals(graph),
    )


def account_types(roles: Roles) -> tuple[str, ...]:
    """The node types ranked by personalised PageRank: the run's accounts (the bundled
    data's account types when the run knows none), as the ``near_confirmed_bad`` detector
    ranks them."""
    return roles.types("account") or ACCOUNT_TYPES


@dataclass
class PartitionResult:
    """What one partition contributes: rings (output layout), scored entities (before the
    policy), ring membership and the counts of its partition-stage detectors."""

    rings: pl.DataFrame
    entities: pl.DataFrame
    membership: pl.DataFrame
    counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)


def score_partition(
    events: pl.DataFrame | EventGraph,
    *,
    context: RunContext,
    entities: pl.DataFrame | None = None,
    config: Config | None = None,
    policy: Policy | None = None,
) -> PartitionResult:
    """Score the events of whole connected components with :func:`ringlens.pipeline.score`.

    Parameters
    ----------
    events
        Validated events (the data contract) of one or more whole connected components,
        or their :class:`~ringlens.graph.EventGraph`.
    context
        Run-wide quantities (:class:`~ringlens.pipeline.context.RunContext`) with the
        part's findings (:func:`part_found`) and ``near_confirmed_bad`` signals.
    entities
        The entities table (rows for other partitions are ignored).

    Returns
    -------
    PartitionResult
    """
    graph = events if isinstance(events, EventGraph) else build_graph(events)
    res = score(
        graph,
        entities=entities,
        labels=None,  # PageRank is global (context.near_signals); cleared labels: finish()
        config=config,
        policy=policy,
        run_id="partition",
        context=context,
    )
    return PartitionResult(
        rings=res.rings,
        entities=res.entities,
        membership=res.membership,
        counts={
            **res.report["counts"]["candidates"],
            **{DROPPED + k: v for k, v in res.report["counts"]["dropped_accounts"].items()},
        },
        timings=dict(res.report["timings"]),
    )


def ppr_partition(
    graph: EventGraph,
    *,
    seeds: Sequence[str],
    n_seeds: int,
    n_nodes: int,
) -> pl.DataFrame:
    """Personalised PageRank of one partition, rescaled to the whole graph.

    Parameters
    ----------
    graph
        The partition's event graph (whole components).
    seeds
        Confirmed-bad node keys (any; those not in ``graph`` are ignored).
    n_seeds
        Seeds present in the whole graph.
    n_nodes
        Nodes of the whole graph.

    Returns
    -------
    polars.DataFrame
        ``key, ppr, ppr_lift, is_seed`` for the partition's nodes, as
        :func:`ringlens.detect.centrality.personalized_pagerank` would return them on the
        whole graph (zero mass where the partition has no seed).
    """
    schema = {"key": pl.String, "ppr": pl.Float64, "ppr_lift": pl.Float64, "is_seed": pl.Boolean}
    present = graph.nodes.join(
        pl.DataFrame({"key": pl.Series(list(seeds), dtype=pl.String)}), on="key", how="semi"
    )["key"]
    if present.len() == 0:
        return pl.DataFrame(
            {"key": graph.nodes["key"], "ppr": 0.0, "ppr_lift": 0.0, "is_seed": False},
            schema=schema,
        )
    p = personalized_pagerank(graph, seeds=present.to_list())
    pr = pagerank(graph)
    f = p.join(pr, on="key").with_columns(
        (pl.col("ppr") * (present.len() / n_seeds)).alias("ppr"),
        (pl.col("pagerank") * (graph.n_nodes / n_nodes)).alias("pagerank"),
    )
    ppr = f["ppr"].to_numpy()
    prv = f["pagerank"].to_numpy()
    lift = np.divide(ppr, prv, out=np.zeros_like(ppr), where=prv > 0)
    return f.select("key", "ppr", pl.Series("ppr_lift", lift, dtype=pl.Float64), "is_seed").cast(
        schema  # type: ignore[arg-type]
    )


def _empty_scored_rings() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "ring_id": pl.String,
            "pattern": pl.String,
            "risk_score": pl.Float64,
            "market": pl.String,
        }
    )


def _merged(parts: Sequence[PartitionResult]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Rings, entities and membership of every part, in the single-machine run's order."""
    nonempty = [p for p in parts if p.rings.height]
    rings = (
        pl.concat([p.rings for p in nonempty], how="vertical_relaxed")
        if nonempty
        else (parts[0].rings if parts else pl.DataFrame())
    )
    if rings.height:
        rings = rings.sort(["risk_score", "ring_id"], descending=[True, False])
    ents = pl.concat([p.entities for p in parts], how="vertical_relaxed").sort(
        ["risk_score", "key"], descending=[True, False]
    )
    membership = pl.concat([p.membership for p in parts], how="vertical_relaxed").sort(
        "ring_id", "key"
    )
    return rings, ents, membership


def finish(
    parts: Sequence[PartitionResult],
    *,
    run_id: str,
    config: Config | None = None,
    policy: Policy | None = None,
    labels: pl.DataFrame | None = None,
    counts: Mapping[str, int] | None = None,
    candidates: Mapping[str, int] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Merge partitions and apply the policy over all of them.

    ``counts`` holds the run's ``events``, ``nodes`` and ``edges``; ``candidates`` the
    counts of the family units and of PageRank, to which the parts' own are added.

    Returns
    -------
    (rings, entities, queue, membership, report)
        Frames in the order :func:`ringlens.pipeline.score` gives them; ``report`` is
        :func:`ringlens.pipeline.build_report`'s.
    """
    cfg = config or Config()
    pol = policy or load_policy()
    rings, ents, membership = _merged(parts)
    ring_cols = rings if rings.height else _empty_scored_rings()
    queue, qreport = apply_policy(
        ents,
        ring_cols,
        pol,
        run_id=run_id,
        labels=labels,
        evidence=evidence_links(ring_cols, cfg),
    )
    cand = dict(candidates or {})
    for p in parts:
        for k, v in p.counts.items():
            cand[k] = cand.get(k, 0) + v
    report = build_report(
        run_id=run_id,
        seed=cfg.detect.seed,
        counts=dict(counts or {}),
        candidates=cand,
        rings=rings,
        entities=ents,
        queue=queue,
        policy_source=pol.source,
        policy_report=qreport,
    )
    return rings, ents, queue, membership, report
