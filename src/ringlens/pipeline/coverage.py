"""Coverage: which events reached which detector, and which reached none.

A run never silently ignores a new action name. Every run reports, per family
(actor type, action, target type), its events, the vocabulary roles of its names and the
detectors that read it; the actions the vocabulary does not know (*unmapped*: detected
generically, without the meaning a role adds) and the actions no detector read
(*uncovered*). The report goes to ``run.json`` (``coverage``), the CLI's summary and the
run report; ``vocabulary.strict`` (``--strict``) makes unmapped or uncovered actions an
:class:`~ringlens.exceptions.InputError` before detection starts (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ringlens.exceptions import InputError
from ringlens.graph.roles import Roles
from ringlens.pipeline.registry import Family
from ringlens.pipeline.vocabulary import Vocabulary, normalised

__all__ = ["Coverage", "coverage", "family_roles"]


def _matches(f: Family) -> pl.Expr:
    cond = pl.lit(True)
    if f.actions is not None:
        cond &= pl.col("action").is_in(list(f.actions))
    if f.actor_types is not None:
        cond &= pl.col("actor_type").is_in(list(f.actor_types))
    if f.target_types is not None:
        cond &= pl.col("target_type").is_in(list(f.target_types))
    return cond


@dataclass(frozen=True)
class Coverage:
    """The coverage report of a run (see the module docstring).

    Attributes
    ----------
    families : polars.DataFrame
        ``actor_type, action, target_type, events, actors, targets, action_role,
        actor_role, target_role, detectors`` (list of detector names).
    """

    families: pl.DataFrame
    #: node types whose role the data's shape gave (device-like attributes the vocabulary
    #: does not name: only the shared-target tests read their families), sorted
    by_shape: tuple[str, ...] = ()

    def _actions(self, frame: pl.DataFrame) -> list[str]:
        return sorted(frame["action"].unique().to_list())

    @property
    def unmapped_actions(self) -> list[str]:
        """Action names the vocabulary does not know."""
        return self._actions(self.families.filter(pl.col("action_role").is_null()))

    @property
    def uncovered_actions(self) -> list[str]:
        """Action names no detector read (in any family)."""
        per = self.families.group_by("action").agg(pl.col("detectors").list.len().sum().alias("n"))
        return sorted(per.filter(pl.col("n") == 0)["action"].to_list())

    @property
    def unmapped_types(self) -> list[str]:
        """Entity-type names (actors or targets) the vocabulary does not know."""
        f = self.families
        a = f.filter(pl.col("actor_role").is_null())["actor_type"]
        t = f.filter(pl.col("target_role").is_null())["target_type"]
        return sorted(set(a.to_list()) | set(t.to_list()))

    def to_dict(self) -> dict[str, Any]:
        """``coverage`` in ``run.json``."""
        f = self.families
        total = int(f["events"].sum()) if f.height else 0
        covered = (
            int(f.filter(pl.col("detectors").list.len() > 0)["events"].sum()) if f.height else 0
        )
        by_detector = (
            f.explode("detectors")
            .drop_nulls("detectors")
            .group_by("detectors")
            .agg(pl.col("events").sum(), pl.col("action").unique().sort())
            .sort("detectors")
        )
        return {
            "events": total,
            "events_covered": covered,
            "families": f.with_columns(pl.col("detectors").list.sort()).to_dicts(),
            "detectors": {
                r["detectors"]: {"events": int(r["events"]), "actions": list(r["action"])}
                for r in by_detector.iter_rows(named=True)
            },
            "unmapped_actions": self.unmapped_actions,
            "unmapped_types": self.unmapped_types,
            "uncovered_actions": self.uncovered_actions,
            "types_by_shape": list(self.by_shape),
        }

    def summary(self) -> list[str]:
        """Lines for the CLI (empty when every action is mapped and covered)."""
        lines = []
        f = self.families
        if self.unmapped_actions:
            n = int(f.filter(pl.col("action_role").is_null())["events"].sum())
            lines.append(
                f"{len(self.unmapped_actions)} action name(s) not in the vocabulary "
                f"({n:,} events, detected generically): {', '.join(self.unmapped_actions)}; "
                "map them in [vocabulary.actions] to give them a role"
            )
        if self.uncovered_actions:
            lines.append("action(s) no detector read: " + ", ".join(self.uncovered_actions))
        if self.by_shape:
            lines.append(
                "node type(s) read as devices by their shape (accounts' few own targets, "
                f"tested only for sharing): {', '.join(self.by_shape)}; "
                "map them in [vocabulary.entities] if they are items or content"
            )
        return lines

    def check_strict(self) -> None:
        """Raise :class:`InputError` on unmapped or uncovered actions (``--strict``)."""
        bad = self.unmapped_actions or self.uncovered_actions
        if bad:
            kind = "not in the vocabulary" if self.unmapped_actions else "read by no detector"
            raise InputError(
                f"vocabulary.strict: action(s) {kind}: {', '.join(bad)} "
                "(map them in [vocabulary.actions], or run without --strict)"
            )


def family_roles(families: pl.DataFrame, vocabulary: Vocabulary) -> pl.DataFrame:
    """``families`` (:meth:`ringlens.graph.EventGraph.families`) with the vocabulary roles
    of their names: ``action_role``, ``actor_role``, ``target_role`` (null: unmapped).

    Examples
    --------
    >>> import polars as pl
    >>> fam = pl.DataFrame({"actor_type": ["Buyer"], "action": ["ORDER"], "target_type": ["x"]})
    >>> family_roles(fam, Vocabulary.default()).row(0)
    ('Buyer', 'ORDER', 'x', 'purchase', 'account', None)
    """
    actions, entities = vocabulary.roles_frame()
    ent = entities.rename({"entity_type": "_n"})
    return (
        families.with_columns(
            normalised(pl.col("action")).alias("_a"),
            normalised(pl.col("actor_type")).alias("_s"),
            normalised(pl.col("target_type")).alias("_t"),
        )
        .join(actions.rename({"action": "_a"}), on="_a", how="left")
        .join(ent.rename({"_n": "_s", "entity_role": "actor_role"}), on="_s", how="left")
        .join(ent.rename({"_n": "_t", "entity_role": "target_role"}), on="_t", how="left")
        .drop("_a", "_s", "_t")
    )


def coverage(
    families: pl.DataFrame,
    *,
    vocabulary: Vocabulary,
    consumed: Sequence[tuple[str, Family]],
    roles: Roles | None = None,
) -> Coverage:
    """The coverage of a run: ``families`` from :meth:`ringlens.graph.EventGraph.families`,
    ``consumed`` the ``(detector name, family)`` pairs the detectors declared, ``roles``
    the run's roles (which node types the data's shape made devices).

    Examples
    --------
    >>> import polars as pl
    >>> fam = pl.DataFrame({"actor_type": ["buyer", "buyer"], "action": ["order", "wave"],
    ...     "target_type": ["product", "product"], "events": [5, 2], "actors": [2, 1], "targets": [1, 1]})
    >>> cov = coverage(fam, vocabulary=Vocabulary.default(),
    ...     consumed=[("lockstep", Family(actions=("order",)))])
    >>> cov.unmapped_actions, cov.uncovered_actions
    (['wave'], ['wave'])
    """
    f = families if "action_role" in families.columns else family_roles(families, vocabulary)
    dets = [pl.when(_matches(fam)).then(pl.lit(name)).otherwise(None) for name, fam in consumed]
    if dets:
        f = f.with_columns(
            pl.concat_list(dets).list.drop_nulls().list.unique().list.sort().alias("detectors")
        )
    else:
        f = f.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("detectors"))
    return Coverage(families=f, by_shape=tuple(sorted(roles.by_shape)) if roles else ())
