"""The open vocabulary: a platform's own action and entity-type names mapped to roles.

Detectors run on every **family** of the data — one (actor type, action, target type)
triple — whatever it is called; the vocabulary only adds meaning: which actions are
purchases or reviews, which entity types are accounts, which targets a few accounts may
share suspiciously (devices, payout accounts, coupons). Names are compared after
:func:`normalise_name` (case and whitespace do not matter; ids are never touched), and a
name the vocabulary does not know is still detected on, as an *unmapped* family; the run
reports it in its coverage (``run.json``) and ``--strict`` turns it into exit 2.

The settings section (also a standalone TOML file, ``--vocabulary FILE``)::

    [vocabulary.actions]          # role = [platform action names]
    purchase = ["checkout"]
    gift     = ["send_gift"]

    [vocabulary.entities]         # role = [platform entity-type names]
    account  = ["viewer", "host"]
    device   = ["handset"]

Action roles: :data:`ACTION_ROLES`; entity roles: :data:`ENTITY_ROLES`. Without a
``[vocabulary]`` section the run uses :data:`DEFAULT_VOCABULARY`, the names of the bundled
data (``ringlens synth``'s creator economy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import polars as pl

from ringlens.config import ACTION_ROLES, ENTITY_ROLES, VocabularySettings, role_table

__all__ = [
    "ACTION_ROLES",
    "DEFAULT_VOCABULARY",
    "ENTITY_ROLES",
    "STRUCTURAL_ACTION_ROLES",
    "SHAREABLE_ROLES",
    "Vocabulary",
    "normalise_name",
    "normalised",
]

#: Target roles that a few accounts sharing is suspicious (not a popularity signal).
SHAREABLE_ROLES: tuple[str, ...] = ("device", "payout_account", "coupon")
#: Action roles that are not interactions with a target's popularity (ownership, device
#: use, payouts): dense-block and community detection skip them.
STRUCTURAL_ACTION_ROLES: tuple[str, ...] = ("own", "login", "payout")


def normalise_name(name: str) -> str:
    """An action or entity-type name as the run compares it: trimmed, inner whitespace
    collapsed to one space, lower case.

    Examples
    --------
    >>> normalise_name("  Affiliate   Click ")
    'affiliate click'
    """
    return " ".join(name.split()).lower()


def normalised(expr: pl.Expr) -> pl.Expr:
    """:func:`normalise_name` as a Polars expression (vectorised).

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"a": [" Order ", "LIKE\\t it"]}).select(normalised(pl.col("a")))["a"].to_list()
    ['order', 'like it']
    """
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


#: The vocabulary of the bundled data (``ringlens synth``'s creator economy).
DEFAULT_VOCABULARY: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "actions": MappingProxyType(
            {
                "engagement": ("like", "comment", "share"),
                "purchase": ("order",),
                "review": ("review",),
                "click": ("affiliate_click",),
                "follow": ("follow",),
                "login": ("login",),
                "payout": ("payout_to",),
                "own": ("post", "list", "promote"),
            }
        ),
        "entities": MappingProxyType(
            {
                "account": ("creator", "buyer", "seller"),
                "item": ("product",),
                "content": ("content",),
                "device": ("device",),
                "payout_account": ("payment",),
            }
        ),
    }
)


def _invert(
    table: Mapping[str, Sequence[str]], roles: tuple[str, ...], where: str
) -> dict[str, str]:
    """role → names (checked by :func:`ringlens.config.role_table`) as normalised name → role."""
    checked = role_table(table, roles, where)
    return {normalise_name(n): role for role, names in checked.items() for n in names}


@dataclass(frozen=True)
class Vocabulary:
    """Normalised name → role, for actions and for entity types.

    Examples
    --------
    >>> v = Vocabulary.from_tables({"purchase": ["Checkout"]}, {"account": ["viewer"]})
    >>> v.action_role(" CHECKOUT"), v.action_role("wave"), v.entity_role("viewer")
    ('purchase', None, 'account')
    >>> Vocabulary.from_tables({"buy": ["checkout"]}, {})
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: vocabulary.actions: unknown role 'buy' (expected one of engagement, purchase, review, click, follow, gift, claim, login, payout, own, view)
    """

    actions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    entities: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_tables(
        cls,
        actions: Mapping[str, Sequence[str]],
        entities: Mapping[str, Sequence[str]],
    ) -> Vocabulary:
        """From role → names tables (as ``[vocabulary.actions]`` and ``.entities`` read)."""
        return cls(
            actions=MappingProxyType(_invert(actions, ACTION_ROLES, "vocabulary.actions")),
            entities=MappingProxyType(_invert(entities, ENTITY_ROLES, "vocabulary.entities")),
        )

    @classmethod
    def default(cls) -> Vocabulary:
        """:data:`DEFAULT_VOCABULARY`."""
        return cls.from_tables(DEFAULT_VOCABULARY["actions"], DEFAULT_VOCABULARY["entities"])

    @classmethod
    def from_settings(cls, settings: VocabularySettings) -> Vocabulary:
        """``[vocabulary]``: each table given replaces the default's."""
        return cls.from_tables(
            settings.actions or DEFAULT_VOCABULARY["actions"],
            settings.entities or DEFAULT_VOCABULARY["entities"],
        )

    def action_role(self, name: str) -> str | None:
        """The role of an action name (None: unmapped)."""
        return self.actions.get(normalise_name(name))

    def entity_role(self, name: str) -> str | None:
        """The role of an entity-type name (None: unmapped)."""
        return self.entities.get(normalise_name(name))

    def action_names(self, *roles: str) -> tuple[str, ...]:
        """The (normalised) action names of these roles, sorted."""
        return tuple(sorted(n for n, r in self.actions.items() if r in roles))

    def entity_names(self, *roles: str) -> tuple[str, ...]:
        """The (normalised) entity-type names of these roles, sorted."""
        return tuple(sorted(n for n, r in self.entities.items() if r in roles))

    def roles_frame(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """``(action, action_role)`` and ``(entity_type, entity_role)`` lookup frames."""
        a = pl.DataFrame(
            {"action": list(self.actions), "action_role": list(self.actions.values())},
            schema={"action": pl.String, "action_role": pl.String},
        )
        e = pl.DataFrame(
            {"entity_type": list(self.entities), "entity_role": list(self.entities.values())},
            schema={"entity_type": pl.String, "entity_role": pl.String},
        )
        return a, e
