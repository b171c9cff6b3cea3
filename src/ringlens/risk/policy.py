"""Policies: risk, pattern and market → enforcement action, queue and capacity.

A policy is a TOML file (see ``default_policy.toml`` shipped with ringlens)::

    version = 1
    [queues.review]
    capacity = 1000

    [[rules]]
    name = "review"
    pattern = ["brushing"]      # optional, "*" = any
    market = ["US", "GB"]       # optional
    entity_type = ["buyer"]     # optional
    min_risk = 60
    action = "manual_review"    # monitor | manual_review | restrict_commissions | suspend | none
    queue = "review"

Rules are tried in order; the first match decides. ``action = "none"`` (no ``queue``) keeps
the entities it matches out of every queue: a rule for one pattern and market placed before
a general rule raises that segment's threshold (``ringlens calibrate`` writes such rules). Only the top ``capacity`` items by
priority enter each queue; the rest are counted in the run report (``over_capacity``).
Every mistake in the file is a :class:`~ringlens.exceptions.ConfigError` naming the file
and the key (``rules[2].action``).
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from ringlens.exceptions import ConfigError, InputError

__all__ = [
    "ACTIONS",
    "NO_ACTION",
    "Policy",
    "Rule",
    "apply_policy",
    "load_policy",
    "parse_policy",
    "queue_item_id",
]

ACTIONS = ("monitor", "manual_review", "restrict_commissions", "suspend")
#: The action of a rule that queues nothing: the entities it matches are not queued.
NO_ACTION = "none"
_RULE_KEYS = {"name", "pattern", "market", "entity_type", "min_risk", "action", "queue"}
_QUEUE_KEYS = {"capacity", "description"}


@dataclass(frozen=True)
class Rule:
    name: str
    min_risk: float
    action: str
    queue: str
    pattern: tuple[str, ...] | None = None
    market: tuple[str, ...] | None = None
    entity_type: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Policy:
    """A parsed policy: ordered rules and queues with capacities."""

    rules: tuple[Rule, ...]
    queues: dict[str, int] = field(default_factory=dict)
    source: str = "policy"

    def unknown_patterns(self, names: Collection[str]) -> list[str]:
        """One line for each pattern a rule names that is not among ``names`` (the
        catalogue's, :attr:`ringlens.rings.Catalogue.names`): such a rule never matches.

        >>> p = parse_policy({"queues": {"q": {"capacity": 5}}, "rules": [
        ...     {"name": "b", "pattern": ["bruhsing"], "min_risk": 50,
        ...      "action": "monitor", "queue": "q"}]})
        >>> print(*p.unknown_patterns(["brushing", "other"]))
        policy: rule 'b' names pattern 'bruhsing', which no pattern of the catalogue gives
        (it never matches; expected one of brushing, other)
        """
        known = set(names)
        return [
            f"{self.source}: rule {r.name!r} names pattern {x!r}, which no pattern of the "
            f"catalogue gives (it never matches; expected one of {', '.join(sorted(known))})"
            for r in self.rules
            for x in r.pattern or ()
            if x not in known
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "queues": dict(self.queues),
            "rules": [r.__dict__ for r in self.rules],
        }


def _list(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return None if "*" in value else tuple(value)


def parse_policy(data: dict[str, Any], *, source: str = "policy") -> Policy:
    """Validate a policy mapping; see the module docstring for the format.

    Examples
    --------
    >>> parse_policy({"queues": {"q": {"capacity": 5}},
    ...               "rules": [{"min_risk": 50, "action": "ban", "queue": "q"}]})
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: policy: rules[0].action: 'ban' is not an action, expected one of monitor, manual_review, restrict_commissions, suspend
    """
    unknown = set(data) - {"version", "queues", "rules"}
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {sorted(unknown)[0]!r} (expected version, queues, rules)"
        )
    if data.get("version", 1) != 1:
        raise ConfigError(
            f"{source}: version: unsupported policy version {data.get('version')!r}, expected 1"
        )
    queues_raw = data.get("queues")
    if not isinstance(queues_raw, dict) or not queues_raw:
        raise ConfigError(
            f"{source}: queues: expected at least one [queues.<name>] table with a capacity"
        )
    queues: dict[str, int] = {}
    for name, q in queues_raw.items():
        if not isinstance(q, dict):
            raise ConfigError(f"{source}: queues.{name}: expected a table, got {q!r}")
        bad = set(q) - _QUEUE_KEYS
        if bad:
            raise ConfigError(
                f"{source}: queues.{name}.{sorted(bad)[0]}: unknown key (expected capacity, description)"
            )
        cap = q.get("capacity")
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise ConfigError(
                f"{source}: queues.{name}.capacity: expected an integer >= 0, got {cap!r}"
            )
        queues[name] = cap
    rules_raw = data.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise ConfigError(f"{source}: rules: expected at least one [[rules]] entry")
    rules = []
    for i, r in enumerate(rules_raw):
        where = f"{source}: rules[{i}]"
        if not isinstance(r, dict):
            raise ConfigError(f"{where}: expected a table, got {r!r}")
        bad = set(r) - _RULE_KEYS
        if bad:
            raise ConfigError(
                f"{where}.{sorted(bad)[0]}: unknown key (expected one of {', '.join(sorted(_RULE_KEYS))})"
            )
        mr = r.get("min_risk")
        if isinstance(mr, bool) or not isinstance(mr, int | float) or not 0 <= mr <= 100:
            raise ConfigError(f"{where}.min_risk: expected a number from 0 to 100, got {mr!r}")
        action = r.get("action")
        if action not in ACTIONS and action != NO_ACTION:
            raise ConfigError(
                f"{where}.action: {action!r} is not an action, expected one of {', '.join(ACTIONS)}"
            )
        queue = r.get("queue")
        if action == NO_ACTION and queue is None:
            queue = ""
        elif queue not in queues:
            raise ConfigError(
                f"{where}.queue: {queue!r} is not a queue defined under [queues] ({', '.join(queues)})"
            )
        rules.append(
            Rule(
                name=str(r.get("name", f"rule {i}")),
                min_risk=float(mr),
                action=action,
                queue=queue,
                pattern=_list(r.get("pattern"), f"{where}.pattern"),
                market=_list(r.get("market"), f"{where}.market"),
                entity_type=_list(r.get("entity_type"), f"{where}.entity_type"),
            )
        )
    return Policy(rules=tuple(rules), queues=queues, source=source)


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """Read a policy file; ``None`` gives the default policy shipped with ringlens.

    Examples
    --------
    >>> p = load_policy()
    >>> [r.action for r in p.rules][:3]
    ['manual_review', 'suspend', 'restrict_commissions']
    """
    if path is None:
        text = resources.files("ringlens.risk").joinpath("default_policy.toml").read_text("utf-8")
        return parse_policy(tomllib.loads(text), source="default policy")
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: policy file not found")
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot be read: {exc}") from None
    return parse_policy(data, source=str(p))


def _id_bytes(entity_type: str, entity_id: str, case: str) -> bytes:
    """The bytes hashed into a queue item id (see :func:`queue_item_id`)."""
    parts = (entity_type, entity_id, case)
    if not any("\x1f" in p or "\x00" in p for p in parts):
        # the text form of ringlens <= 0.1.0: unambiguous when no part holds the separator
        return "\x1f".join(parts).encode("utf-8", "surrogatepass")
    out = bytearray()
    for part in parts:
        raw = part.encode("utf-8", "surrogatepass")
        out += len(raw).to_bytes(8, "big")
        out += raw
    return bytes(out)


def queue_item_id(entity_type: str, entity_id: str, case: str) -> str:
    """Stable queue item id for an entity and a case (the ring's pattern): ``q_`` + 20 hex
    digits of a SHA-1.

    The SHA-1 is taken over ``type␟id␟case`` (``␟`` = U+001F) when no part contains
    U+001F or NUL — the ids every earlier queue database holds — and otherwise over the
    parts length-prefixed (each as its UTF-8 byte length, 8 bytes big-endian, then its
    bytes). Each form decodes back into its parts, and the two never give the same bytes
    (the length-prefixed form starts with a zero byte, the text form holds none), so two
    different (type, id, case) triples never share the hashed input.

    Examples
    --------
    >>> queue_item_id("buyer", "42", "brushing")
    'q_d7b84ef5d986751a32a8'
    >>> queue_item_id("buyer", "x\x1fy", "brushing") != queue_item_id("buyer\x1fx", "y", "brushing")
    True
    """
    return f"q_{hashlib.sha1(_id_bytes(entity_type, entity_id, case)).hexdigest()[:20]}"


def queue_item_id_expr() -> pl.Expr:
    """The ``queue_item_id`` column from ``entity_type``, ``entity_id`` and ``pattern``."""

    def ids(s: pl.Series) -> pl.Series:
        return pl.Series(
            [queue_item_id(t, i, c) for t, i, c in s.struct.unnest().iter_rows()],
            dtype=pl.String,
        )

    return (
        pl.struct("entity_type", "entity_id", "pattern")
        .map_batches(ids, return_dtype=pl.String)
        .alias("queue_item_id")
    )


def _require_finite(df: pl.DataFrame, column: str, *, what: str, key: str) -> None:
    """Refuse a risk that is null, NaN or infinite: a policy never acts on one.

    NaN compares greater than every number in Polars, so it would pass every
    ``min_risk`` test and reach the strictest action.
    """
    if column not in df.columns:
        raise InputError(f"apply_policy: {what} lack column {column!r}")
    r = pl.col(column).cast(pl.Float64, strict=False)
    bad = df.with_row_index("_row").filter(r.is_null() | r.is_nan() | r.is_infinite())
    if bad.height:
        row = bad.row(0, named=True)
        name = f" ({row[key]!r})" if key in bad.columns else ""
        raise InputError(
            f"apply_policy: {what} row {row['_row']}{name}: {column} is {row[column]!r} "
            f"({bad.height} such row(s); expected a finite number from 0 to 100)"
        )


def _first_matching_rule(policy: Policy) -> list[pl.Expr]:
    """``action``, ``queue`` and ``rule`` of the first rule each row matches (vectorised:
    one condition per rule, nested ``when`` from the last rule to the first)."""
    action = pl.lit(None, dtype=pl.String)
    queue = pl.lit(None, dtype=pl.String)
    rule_name = pl.lit(None, dtype=pl.String)
    for r in reversed(policy.rules):
        cond = pl.col("risk_score") >= r.min_risk
        if r.pattern is not None:
            cond &= pl.col("pattern").is_in(list(r.pattern))
        if r.market is not None:
            cond &= pl.col("market").is_in(list(r.market)).fill_null(False)
        if r.entity_type is not None:
            cond &= pl.col("entity_type").is_in(list(r.entity_type))
        action = pl.when(cond).then(pl.lit(r.action)).otherwise(action)
        queue = pl.when(cond).then(pl.lit(r.queue)).otherwise(queue)
        rule_name = pl.when(cond).then(pl.lit(r.name)).otherwise(rule_name)
    return [action.alias("action"), queue.alias("queue"), rule_name.alias("rule")]


def apply_policy(
    entities: pl.DataFrame,
    rings: pl.DataFrame,
    policy: Policy,
    *,
    run_id: str,
    labels: pl.DataFrame | None = None,
    evidence: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Decide an action for every scored entity and fill the queues up to capacity.

    Parameters
    ----------
    entities
        Scored entities (``key, entity_type, entity_id, risk_score, ring_id, reasons``) with
        an optional ``market`` column.
    rings
        Scored rings (``ring_id, pattern, risk_score, market``).
    policy
        The policy.
    run_id
        Written into every item.
    labels
        Entities labelled ``cleared`` are not queued (counted in the report).
    evidence
        ``ring_id, evidence``: the link to each ring's view (the run makes it, see
        :func:`ringlens.pipeline.evidence_links`); rings without one get no link.

    Raises
    ------
    InputError
        A risk score (entity or ring) is null, NaN or infinite: the policy never acts on
        it (NaN would pass every ``min_risk`` test).

    Returns
    -------
    (queue, report)
        The queue frame (columns as in docs/internals.md) and counts: ``queued`` by action,
        ``over_capacity`` by queue, ``suppressed_cleared``.
    """
    _require_finite(entities, "risk_score", what="entities", key="key")
    _require_finite(rings, "risk_score", what="rings", key="ring_id")
    ring_info = rings.select(
        "ring_id",
        pl.col("pattern"),
        pl.col("risk_score").alias("ring_risk"),
        pl.col("market").alias("ring_market")
        if "market" in rings.columns
        else pl.lit(None, dtype=pl.String).alias("ring_market"),
    )
    e = entities.join(ring_info, on="ring_id", how="left").with_columns(
        pl.col("pattern").fill_null("other"),
        pl.col("ring_risk").fill_null(0.0),
    )
    if "market" in e.columns:
        e = e.with_columns(pl.coalesce("market", "ring_market").alias("market"))
    else:
        e = e.with_columns(pl.col("ring_market").alias("market"))
    suppressed = 0
    if labels is not None and labels.height:
        cleared = labels.filter(pl.col("label") == "cleared").select("entity_type", "entity_id")
        before = e.height
        e = e.join(cleared, on=["entity_type", "entity_id"], how="anti")
        suppressed = before - e.height
    e = e.with_columns(_first_matching_rule(policy)).filter(
        pl.col("action").is_not_null() & (pl.col("action") != NO_ACTION)
    )
    e = e.sort(
        ["queue", "risk_score", "ring_risk", "key"], descending=[False, True, True, False]
    ).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("queue").alias("priority"))
    caps = pl.DataFrame({"queue": list(policy.queues), "capacity": list(policy.queues.values())})
    e = e.join(caps, on="queue", how="left")
    over = e.filter(pl.col("priority") > pl.col("capacity"))
    q = e.filter(pl.col("priority") <= pl.col("capacity"))
    links = (
        evidence.select("ring_id", pl.col("evidence").cast(pl.String))
        if evidence is not None
        else pl.DataFrame(schema={"ring_id": pl.String, "evidence": pl.String})
    )
    queue_df = (
        q.join(links, on="ring_id", how="left")
        .with_columns(queue_item_id_expr(), pl.lit(run_id).alias("run_id"))
        .select(
            "queue_item_id",
            "entity_type",
            "entity_id",
            "ring_id",
            "pattern",
            pl.col("risk_score").cast(pl.Float64),
            "priority",
            "action",
            "queue",
            "reasons",
            "evidence",
            pl.col("market").cast(pl.String),
            "run_id",
            "rule",
        )
        .sort(["queue", "priority"])
    )
    report = {
        "queued": dict(sorted(queue_df.group_by("action").len().iter_rows())),
        "queued_by_queue": dict(sorted(queue_df.group_by("queue").len().iter_rows())),
        "queued_by_market": dict(
            sorted((str(k), v) for k, v in queue_df.group_by("market").len().iter_rows())
        ),
        "over_capacity": dict(sorted(over.group_by("queue").len().iter_rows())),
        "suppressed_cleared": suppressed,
    }
    return queue_df, report
