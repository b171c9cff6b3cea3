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
from ringlens.graph import EventGraph
from ringlens.graph.core import once_shaped
from ringlens.graph.roles import (
    INTERACTION_ROLES,
    SHAREABLE_ROLES,
    STRUCTURAL_ROLES,
    Roles,
    normalise_name,
    normalised,
)

__all__ = [
    "ACTION_ROLES",
    "ATTRIBUTE_SPREAD",
    "DEFAULT_VOCABULARY",
    "ENTITY_ROLES",
    "ENGAGED_ROLES",
    "STRUCTURAL_ACTION_ROLES",
    "SHAREABLE_ROLES",
    "Vocabulary",
    "graph_roles",
    "normalise_name",
    "roles_for",
    "normalised",
]

#: Action roles that are not interactions with a target's popularity (ownership, device
#: use, payouts): dense-block and community detection skip them (the graph's own
#: :data:`ringlens.graph.roles.STRUCTURAL_ROLES`).
STRUCTURAL_ACTION_ROLES: tuple[str, ...] = STRUCTURAL_ROLES


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


#: The most distinct targets of a type an account has on average for the type to be a
#: device-like attribute by its shape: an account keeps a few phones, cards and networks
#: (1.0-2.2 on the eleven synthetic platforms measured); a player joins hundreds of lobbies
#: (8.9 a player on the fourth blind platform, gaming, at 1M events).
ATTRIBUTE_SPREAD = 4.0


#: The share of an action's events that must be the first event on their target for
#: the action to be ownership by its shape: creating a target comes before anything else
#: happens to it, so an action that owns is first on a good share of its targets in any
#: log. A freelancer's one delivery per job (first on 6 % of its jobs, on the blind gig
#: platform) or a listener's redeeming a gift code someone bought (0 %) touch each target
#: once too, but someone else made it. The bar is low because logs are loose about
#: order: the synthetic creator platform's posts are the first event on 29 % of their
#: content (their times are drawn apart from their engagement), a forum's moderator
#: removals on 18-25 % of the replies they remove.
CREATES = 0.1

#: Action roles whose targets are engaged with, not kept: the interactions
#: (:data:`ringlens.graph.roles.INTERACTION_ROLES`) but claiming, whose coupons are shared
#: attributes themselves. A node type such an action acts on is no device, whatever its
#: shape.
ENGAGED_ROLES: tuple[str, ...] = tuple(r for r in INTERACTION_ROLES if r != "claim")

#: The share of a type's accounts (summed over its families) that must act on it in
#: personal-shaped families for the type to be a device-like attribute by its shape:
#: sharing (households, rings) is a small minority of any attribute's accounts. At a half,
#: a carrier's address blocks (80 % of their accounts in families with half as many
#: blocks as accounts, the rest just below) and a card type whose registrations go three
#: accounts to a card (88 %) became attributes on the blind ride-hailing platform
#: (300k events) and cost it three rings; a listener's own cards (97 %) and a traveller's
#: (99.9 %) are attributes at nine in ten.
PERSONAL_SHARE = 0.9


def graph_roles(families: pl.DataFrame) -> Roles:
    """The :class:`~ringlens.graph.roles.Roles` of a graph's names: the vocabulary's roles
    (``families`` as :func:`ringlens.pipeline.coverage.family_roles` returns them), and for
    names it lacks, the role the data's shape shows:

    * a node type that acts (is an actor of any family) is an **account**;
    * an unmapped action whose every target is acted on about once (events ≤ 1.2 × targets,
      at least as many targets as actors, over all its families) on node types other
      families act on too, and that is the first event on at least :data:`CREATES` of its
      targets (the families' ``firsts``), is **ownership** (listing an item, posting
      content, hosting a live; not delivering a job someone opened or removing a post);
    * an unmapped action by which accounts that own targets of their own act on targets
      that only another type of account owns (a host pins a shop's items, a creator
      promotes a seller's product) is **ownership** too, as vocabularies map it;
    * an unmapped node type that never acts and that no ownership action made most of
      (:func:`_made_few`), nearly all of whose accounts act on it in families that give
      each actor about its own targets (targets ≥ half the actors: devices,
      wallets), a few of them (distinct actor-target ``pairs`` at most
      :data:`ATTRIBUTE_SPREAD` per actor, where the families count them), is a
      **device**-like shared attribute (:func:`_personal`). A game's lobbies also have as
      many targets as players, but each player joins hundreds: sessions one attends, not
      attributes one keeps. Two things overrule the shape: a type that an action the
      vocabulary names as an interaction (:data:`ENGAGED_ROLES`: a ``like``, an
      ``order``) acts on is engaged with, not kept; and a platform whose every action
      would then be device use has no interaction left to be the platform, so the
      types by shape go back to being its items, as few as it takes for one action to
      be an interaction, the type of which an account has the most first (an export of
      reviews sampled from a large catalogue gives most accounts one to five items and
      most items a few accounts: a phone's shape, but the reviews are what the data is
      about; the users' phones beside them keep theirs) (:func:`_with_interactions`).

    Examples
    --------
    >>> import polars as pl
    >>> fam = pl.DataFrame({"actor_type": ["u", "u", "s"], "action": ["buy", "tap", "put"],
    ...     "target_type": ["thing", "phone", "thing"], "events": [900, 400, 50],
    ...     "actors": [300, 200, 5], "targets": [40, 180, 50],
    ...     "action_role": [None, None, None], "actor_role": [None, None, None],
    ...     "target_role": [None, None, None]})
    >>> r = graph_roles(fam)
    >>> r.action_role["put"], r.type_role["phone"], r.type_role["u"], r.action_role.get("buy")
    ('own', 'device', 'account', None)
    >>> sorted(r.by_shape)  # a device by its shape: which kind of attribute, it cannot tell
    ['phone']
    """
    actions: dict[str, str] = {}
    types: dict[str, str] = {}
    for row in families.iter_rows(named=True):
        if row["action_role"] is not None:
            actions[row["action"]] = row["action_role"]
        for side in ("actor", "target"):
            if row[f"{side}_role"] is not None:
                types[row[f"{side}_type"]] = row[f"{side}_role"]
    actors = set(families["actor_type"].to_list())
    for t in sorted(actors - set(types)):
        types[t] = "account"
    targeted_by = families.group_by("target_type").agg(pl.col("action").n_unique().alias("n"))
    shared_type = {r[0] for r in targeted_by.iter_rows() if r[1] > 1}
    # an action is judged over all its families: a shopper's "browse" is not ownership
    # because the few merchants who browse listings touch each about once
    firsts = "firsts" in families.columns  # a families frame from elsewhere may lack it
    unmapped = (
        families.filter(pl.col("action_role").is_null())
        .group_by("action")
        .agg(
            pl.col("events").sum(),
            pl.col("targets").sum(),
            pl.col("actors").sum(),
            (pl.col("firsts") if firsts else pl.col("events")).sum().alias("firsts"),
            pl.col("target_type").unique().sort(),
        )
        .sort("action")
    )
    for row in unmapped.iter_rows(named=True):
        once = once_shaped(row["events"], row["targets"], row["actors"])
        owned = all(t in shared_type and t not in actors for t in row["target_type"])
        created = row["firsts"] >= CREATES * row["events"]
        if once and owned and created:
            actions.setdefault(row["action"], "own")
    _promotion(families, actions)
    by_shape = set()
    owning = pl.col("action").is_in([a for a, r in actions.items() if r == "own"])
    for t, fam in families.group_by("target_type"):
        name = t[0]
        if name in types or name in actors:
            continue
        made = fam.filter(owning)  # the type's ownership families, if any
        if made.height and not _made_few(made, fam):
            continue
        engaged = fam["action"].replace_strict(actions, default="").is_in(ENGAGED_ROLES)
        if _personal(fam) and not engaged.any():
            types[name] = "device"
            by_shape.add(name)
    return _with_interactions(families, actions, types, by_shape)


def _with_interactions(
    families: pl.DataFrame, actions: dict[str, str], types: dict[str, str], by_shape: set[str]
) -> Roles:
    """The roles, with as few of the devices by shape (``by_shape``) given back to the
    platform's items as it takes for some action to be an interaction, the types whose
    accounts keep the most of them each (distinct pairs, or events, per account over
    their families) first. A platform of nothing but device use is a misreading: a review
    export sampled from a large catalogue has a phone's shape, its phones a stronger one."""
    count = "pairs" if "pairs" in families.columns else "events"
    spread = (
        families.filter(pl.col("target_type").is_in(list(by_shape)))
        .group_by("target_type")
        .agg((pl.col(count).sum() / pl.col("actors").sum()).alias("spread"))
        .sort(["spread", "target_type"], descending=[True, False])
    )
    order = spread["target_type"].to_list()
    while True:
        roles = Roles(
            action_role=MappingProxyType(actions),
            type_role=MappingProxyType(dict(types)),
            by_shape=frozenset(by_shape),
        )
        if not order or roles.interaction_actions(families):
            return roles
        name = order.pop(0)  # the most spread of the devices left: an item, after all
        by_shape = by_shape - {name}
        types = {t: r for t, r in types.items() if t != name}


def _personal(fam: pl.DataFrame) -> bool:
    """Whether a node type's families (``fam``) show a personal attribute: more than
    :data:`PERSONAL_SHARE` of the accounts acting on the type (summed over its families)
    do so in families that give each account about its own targets (targets >= half the
    actors), a few of them (distinct ``pairs`` at most :data:`ATTRIBUTE_SPREAD` per
    actor, where counted). A small family in which many accounts share a few targets (a
    household plan's cards, a dozen disputes on three company cards) is the sharing the
    detectors look for, not a sign that the type is something else.

    Examples
    --------
    >>> import polars as pl
    >>> cards = pl.DataFrame({"actors": [3600, 260, 98], "targets": [3650, 250, 23],
    ...     "pairs": [3650, 265, 98]})
    >>> _personal(cards), _personal(cards[2:])
    (True, False)
    """
    own = fam["targets"] >= 0.5 * fam["actors"]
    if "pairs" in fam.columns:
        own &= fam["pairs"] <= ATTRIBUTE_SPREAD * fam["actors"]
    return float(fam.filter(own)["actors"].sum()) > PERSONAL_SHARE * float(fam["actors"].sum())


def _made_few(owning: pl.DataFrame, fam: pl.DataFrame) -> bool:
    """Whether the ownership families of a type (``owning``, of its families ``fam``)
    made fewer than half of its targets (their targets against the largest family's).

    A few hundred listeners add a card through the app (ownership by its shape) while
    twelve thousand cards are only ever charged: the type is still read by its shape.
    Replies are all posted by their authors, so they stay owned content, whatever their
    shape. (A catalogue made before the data's period is owned by few events too, but
    its items have audiences, not owners' personal use: :func:`_personal` fails for it.)

    Examples
    --------
    >>> import polars as pl
    >>> cards = pl.DataFrame({"action": ["enroll", "add_card"], "targets": [12_700, 840]})
    >>> _made_few(cards[1:], cards), _made_few(cards[:1], cards)
    (True, False)
    """
    return float(owning["targets"].sum()) < 0.5 * float(fam["targets"].to_numpy().max(initial=0))


def _promotion(families: pl.DataFrame, actions: dict[str, str]) -> None:
    """Unmapped actions by which owners feature others' targets (a host pins a shop's
    items, a creator promotes a seller's product) become ownership, as a vocabulary
    maps them: every family of the action has an actor type that owns targets of its
    own and a target type that only another actor type owns, and is done by no more
    accounts than own something (the sum over the type's ownership families, and a tenth
    more: a few promoters own nothing yet). Hosts of
    one agency pin the same shop's items; that is business, not co-interaction. A
    listener who keeps a payment card or a diner who mints an invite code owns
    something too, but the thousands who play tracks or fill baskets are not the few
    owners: those actions are the platform's engagement."""
    owns: dict[str, set[str]] = {}  # target type -> the actor types that own it
    n_owners: dict[str, int] = {}  # actor type -> accounts owning (at most; summed)
    for r in families.iter_rows(named=True):
        if actions.get(r["action"]) == "own":
            owns.setdefault(r["target_type"], set()).add(r["actor_type"])
            n_owners[r["actor_type"]] = n_owners.get(r["actor_type"], 0) + r["actors"]
    unmapped = families.filter(pl.col("action_role").is_null())
    for (action,), fams in sorted(unmapped.group_by("action"), key=lambda x: str(x[0][0])):
        if action in actions:
            continue
        if all(
            r["actors"] <= 1.1 * n_owners.get(r["actor_type"], 0)
            and r["target_type"] in owns
            and r["actor_type"] not in owns[r["target_type"]]
            for r in fams.iter_rows(named=True)
        ):
            actions[str(action)] = "own"


def roles_for(graph: EventGraph, vocabulary: Vocabulary | None = None) -> Roles:
    """The :class:`~ringlens.graph.roles.Roles` of a graph under a vocabulary (default: the
    built-in one): :func:`graph_roles` of its families."""
    from ringlens.pipeline.coverage import family_roles  # coverage imports this module

    return graph_roles(family_roles(graph.families(), vocabulary or Vocabulary.default()))
