"""What a graph's action and node-type names mean: :class:`Roles`.

The graph keeps a platform's own names, compared and stored normalised
(:func:`normalise_name`: case and whitespace do not matter; ids are never touched). Stages below the run (rings, views,
evaluation) that need to know which actions are ownership or engagement, which node types
are accounts or devices, take a :class:`Roles` built by the run from its vocabulary (and,
for names the vocabulary lacks, from the data's shape: see
:func:`ringlens.pipeline.vocabulary.graph_roles`). ``Roles()`` knows nothing: every stage
then falls back to role-free behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import polars as pl

from ringlens.config import ACTION_ROLES, normalise_name

__all__ = [
    "INTERACTION_ROLES",
    "SHAREABLE_ROLES",
    "STRUCTURAL_ROLES",
    "Roles",
    "normalise_name",
    "normalised",
]

#: Target roles that a few accounts sharing is suspicious (not a popularity signal).
SHAREABLE_ROLES: tuple[str, ...] = ("device", "payout_account", "coupon")
#: Action roles that are not interactions (who owns what, device use, payouts).
STRUCTURAL_ROLES: tuple[str, ...] = ("own", "login", "payout")
#: Action roles that are interactions with a target: every other one, in
#: :data:`ringlens.config.ACTION_ROLES`' order.
INTERACTION_ROLES: tuple[str, ...] = tuple(r for r in ACTION_ROLES if r not in STRUCTURAL_ROLES)


def normalised(expr: pl.Expr) -> pl.Expr:
    """:func:`normalise_name` as a Polars expression (vectorised).

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"a": [" Order ", "LIKE\t it"]}).select(normalised(pl.col("a")))["a"].to_list()
    ['order', 'like it']
    """
    return expr.str.replace_all(r"[ \t\r\n]+", " ").str.strip_chars(" ").str.to_lowercase()


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Roles:
    """Action name → action role and node type → entity role for one graph's names.

    Examples
    --------
    >>> r = Roles(action_role={"checkout": "purchase", "go_live": "own"},
    ...     type_role={"viewer": "account", "handset": "device"})
    >>> r.actions("own"), r.types("device", "coupon"), r.shareable_types
    (('go_live',), ('handset',), ('handset',))
    """

    action_role: Mapping[str, str] = field(default_factory=_empty)
    type_role: Mapping[str, str] = field(default_factory=_empty)
    #: node types whose role was read from the data's shape, not named by a vocabulary
    #: (a device-like attribute: which kind of attribute it is, the shape cannot tell)
    by_shape: frozenset[str] = frozenset()

    def actions(self, *roles: str) -> tuple[str, ...]:
        """The graph's action names with one of these roles, sorted."""
        return tuple(sorted(a for a, r in self.action_role.items() if r in roles))

    def types(self, *roles: str) -> tuple[str, ...]:
        """The graph's node types with one of these roles, sorted."""
        return tuple(sorted(t for t, r in self.type_role.items() if r in roles))

    def structural_actions(self, families: pl.DataFrame) -> tuple[str, ...]:
        """The action names that are not interactions, sorted: ownership, device use and
        payouts by their role, and any other action whose every family (``families``:
        ``action, target_type`` rows, as :meth:`ringlens.graph.EventGraph.families`
        gives them) acts on a device or a payout account: using one's phone or card is
        what every account does, not a choice of what to engage with, whether or not a
        vocabulary names the action (coupons are shared attributes too, but claiming one
        is an interaction).

        Examples
        --------
        >>> import polars as pl
        >>> r = Roles(action_role={"go_live": "own"}, type_role={"handset": "device"})
        >>> fam = pl.DataFrame({"action": ["tap", "go_live", "buy", "buy"],
        ...     "target_type": ["handset", "live", "item", "handset"]})
        >>> r.structural_actions(fam)
        ('go_live', 'tap')
        """
        personal = set(self.types("device", "payout_account"))
        used = (
            families.select(
                pl.col("action").cast(pl.String),
                pl.col("target_type").cast(pl.String).is_in(list(personal)).alias("_p"),
            )
            .group_by("action")
            .agg(pl.col("_p").all())
            .filter(pl.col("_p"))["action"]
            .to_list()
        )
        return tuple(sorted(set(self.actions(*STRUCTURAL_ROLES)) | set(used)))

    def interaction_actions(self, families: pl.DataFrame) -> list[str]:
        """The action names of ``families`` that are interactions (every one but the
        :meth:`structural_actions`), sorted.

        Examples
        --------
        >>> import polars as pl
        >>> r = Roles(action_role={"go_live": "own"}, type_role={"handset": "device"})
        >>> fam = pl.DataFrame({"action": ["tap", "go_live", "buy", "buy"],
        ...     "target_type": ["handset", "live", "item", "handset"]})
        >>> r.interaction_actions(fam)
        ['buy']
        """
        structural = set(self.structural_actions(families))
        return sorted(set(families["action"].cast(pl.String).to_list()) - structural)

    @property
    def shareable_types(self) -> tuple[str, ...]:
        """Node types a few accounts sharing is suspicious (devices, payout accounts,
        coupons): not ring *targets*, but shared attributes."""
        return self.types(*SHAREABLE_ROLES)

    @property
    def attribute_kinds(self) -> dict[str, str]:
        """Shareable node type → its role, for the types a vocabulary named (a type whose
        role the data's shape showed is a kind of its own).

        Examples
        --------
        >>> r = Roles(type_role={"rig": "device", "netaddr": "device", "wallet": "payout_account",
        ...     "gizmo": "device"}, by_shape=frozenset({"gizmo"}))
        >>> r.attribute_kinds
        {'netaddr': 'device', 'rig': 'device', 'wallet': 'payout_account'}
        """
        return {t: self.type_role[t] for t in self.shareable_types if t not in self.by_shape}

    @property
    def owner_actions(self) -> tuple[str, ...]:
        """Actions by which an account owns its target (posts content, lists an item)."""
        return self.actions("own")

    @property
    def engagement_actions(self) -> tuple[str, ...]:
        """Actions by which an account engages another's content or the account itself."""
        return self.actions("engagement", "follow", "gift")
