"""Platform-neutral machinery of the synthetic generator.

Every platform (:mod:`ringlens.synth.creator`, :mod:`ringlens.synth.live`,
:mod:`ringlens.synth.marketplace`) is written with these pieces:

* :class:`EventLog` — events accumulated as integer-coded numpy arrays (type, index,
  action code, time, amount); names and ids are attached once, at the end;
* :class:`Population` — how many entities of each type exist, when the accounts were
  created and in which market;
* :class:`Clock` — the time model: a diurnal rhythm (global, or per market in local time
  with a weekly rhythm), bursts, and the slow spread of rings that never burst;
* sampling helpers for power-law popularity within niches (:func:`zipf_weights`,
  :func:`sample_grouped`, :func:`weighted`), households (:func:`households`);
* :class:`Plant` — what the truth files record: ring members, ring targets and organic
  negatives; :class:`HijackPool` — organic accounts taken over by rings;
* :func:`add_camouflage` — ring members acting like ordinary users.

Nothing here loops over events in Python: loops run over rings, channels or event kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

__all__ = [
    "ACTIVITY_CURVE",
    "MARKETS",
    "MARKET_UTC_OFFSET",
    "Channel",
    "Clock",
    "EventLog",
    "HijackPool",
    "Plant",
    "Population",
    "RingTime",
    "Sim",
    "add_camouflage",
    "draw",
    "unique",
    "device_farm",
    "farm_size",
    "own_devices",
    "ring_accounts",
    "households",
    "shared_groups",
    "some_of_each",
    "top_groups",
    "loguniform_int",
    "sample_grouped",
    "weighted",
    "zipf_weights",
]

MARKETS = ("US", "GB", "ID", "TH", "VN", "MY", "PH", "DE")
#: Hours to add to UTC to get each market's local time (same order as ``MARKETS``).
MARKET_UTC_OFFSET = np.array([-5, 0, 7, 7, 7, 8, 8, 1])
#: Relative activity per local hour of an e-commerce audience: quiet nights, a lunch
#: bump, an evening peak around 21:00.
ACTIVITY_CURVE = np.array(
    [0.5, 0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 0.7, 0.9, 1.0, 1.0, 1.1]
    + [1.3, 1.2, 1.0, 1.0, 1.1, 1.2, 1.4, 1.7, 2.0, 2.1, 1.7, 1.0]
)
#: Relative activity per weekday (Monday first): busier Friday evening and weekend.
WEEK_CURVE = np.array([1.0, 0.95, 0.95, 1.0, 1.1, 1.25, 1.2])
DAY = 86400.0


class EventLog:
    """Events as integer-coded columns; names are attached when the tables are built.

    Parameters
    ----------
    types
        Entity-type names; an event stores a type's position in this tuple.
    actions
        Action names, likewise.
    """

    def __init__(self, types: Sequence[str], actions: Sequence[str]) -> None:
        self.types = tuple(types)
        self.actions = tuple(actions)
        self._type = {t: i for i, t in enumerate(self.types)}
        self._action = {a: i for i, a in enumerate(self.actions)}
        self.parts: list[tuple[int, np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, Any]] = []

    def codes(self, names: Sequence[str]) -> np.ndarray:
        """Action codes of ``names`` (index a draw over ``names`` with it)."""
        return np.array([self._action[n] for n in names], dtype=np.int16)

    def add(
        self,
        actor_type: str,
        actor: np.ndarray,
        action: str | np.ndarray,
        target_type: str,
        target: np.ndarray,
        ts: np.ndarray,
        amount: np.ndarray | None = None,
    ) -> None:
        """Append events; ``action`` is one name or an array of codes from :meth:`codes`."""
        n = len(actor)
        if n == 0:
            return
        act = (
            np.full(n, self._action[action], dtype=np.int16)
            if isinstance(action, str)
            else np.asarray(action, dtype=np.int16)
        )
        self.parts.append(
            (
                self._type[actor_type],
                np.asarray(actor, dtype=np.int64),
                act,
                self._type[target_type],
                np.asarray(target, dtype=np.int64),
                np.asarray(ts, dtype=np.float64),
                None if amount is None else np.asarray(amount, dtype=np.float64),
            )
        )

    def columns(self) -> dict[str, np.ndarray]:
        """All events concatenated in the order they were added."""
        lens = [len(p[1]) for p in self.parts]

        def rep(i: int, dtype: type) -> np.ndarray:
            return np.repeat(np.array([p[i] for p in self.parts], dtype=dtype), lens)

        amounts = [
            np.full(n, np.nan) if p[6] is None else p[6]
            for p, n in zip(self.parts, lens, strict=True)
        ]
        return {
            "actor_type": rep(0, np.int16),
            "actor": np.concatenate([p[1] for p in self.parts]),
            "action": np.concatenate([p[2] for p in self.parts]),
            "target_type": rep(3, np.int16),
            "target": np.concatenate([p[4] for p in self.parts]),
            "ts": np.concatenate([p[5] for p in self.parts]),
            "amount": np.concatenate(amounts),
        }


class Population:
    """Entity counts per type, and for accounts their creation time and market.

    Types are registered in the order the platform declares them; that order fixes the
    id permutations drawn at the end, so it is part of a platform's determinism.
    """

    def __init__(self, rng: np.random.Generator, t0: float) -> None:
        self.rng = rng
        self.t0 = t0
        self.counts: dict[str, int] = {}
        self.created: dict[str, np.ndarray] = {}
        self.market: dict[str, np.ndarray] = {}

    def accounts(self, kind: str, created: np.ndarray, market: np.ndarray) -> None:
        """Register organic accounts with their creation times and markets."""
        self.counts[kind] = len(created)
        self.created[kind] = np.asarray(created, dtype=np.float64)
        self.market[kind] = np.asarray(market, dtype=np.int64)

    def grow(self, kind: str, k: int, *, created: np.ndarray, market: np.ndarray) -> np.ndarray:
        """Add ``k`` accounts with given creation times and markets; their indices."""
        ids = np.arange(self.counts[kind], self.counts[kind] + k)
        self.counts[kind] += k
        self.created[kind] = np.concatenate([self.created[kind], created])
        self.market[kind] = np.concatenate([self.market[kind], np.asarray(market, np.int64)])
        return ids

    def after_created(self, kind: str, idx: Any, ts: np.ndarray) -> np.ndarray:
        """``ts``, moved to at least an hour after each account ``idx`` was created."""
        return np.maximum(ts, self.created[kind][np.asarray(idx, dtype=np.int64)] + 3600.0)

    def new(
        self, kind: str, k: int, *, fresh: bool = True, market: int | None = None
    ) -> np.ndarray:
        """``k`` new entities of ``kind``; accounts get a creation time and a market.

        ``fresh`` accounts were created 1–45 days before the period, others 200–900 days
        (aged accounts bought or kept for the purpose). ``market`` None draws one each.
        """
        ids = np.arange(self.counts[kind], self.counts[kind] + k)
        self.counts[kind] += k
        if kind in self.created:
            lo, hi = (1, 45) if fresh else (200, 900)
            created = self.t0 - self.rng.uniform(lo, hi, k) * DAY
            mk = (
                self.rng.integers(0, len(MARKETS), k)
                if market is None
                else np.full(k, market, dtype=np.int64)
            )
            self.created[kind] = np.concatenate([self.created[kind], created])
            self.market[kind] = np.concatenate([self.market[kind], mk])
        return ids


class Clock:
    """The time model of a period of ``span`` seconds starting at ``t0`` (epoch seconds)."""

    def __init__(self, rng: np.random.Generator, t0: float, span: float) -> None:
        self.rng = rng
        self.t0 = t0
        self.span = span
        self.days = int(span // DAY)

    def uniform(self, n: int) -> np.ndarray:
        """Diurnal times over the period in platform time (weights peak around 20:00)."""
        day = self.rng.integers(0, self.days, n)
        hour_w = 1.0 + np.sin((np.arange(24) - 14) / 24 * 2 * np.pi)
        hour = self.rng.choice(24, size=n, p=hour_w / hour_w.sum())
        sec = self.rng.uniform(0, 3600, n)
        return self.t0 + day * DAY + hour * 3600.0 + sec

    def local(
        self,
        market: np.ndarray,
        *,
        curve: np.ndarray = ACTIVITY_CURVE,
        first_day: int = 0,
        n_days: int | None = None,
    ) -> np.ndarray:
        """One time per element of ``market``: the local-hour ``curve`` of that market,
        a weekly rhythm, days ``first_day .. first_day + n_days`` of the period."""
        n = len(market)
        nd = max(1, min(self.days - first_day, n_days or self.days))
        dow = (np.arange(first_day, first_day + nd) + self._weekday0()) % 7
        w = WEEK_CURVE[dow]
        day = first_day + self.rng.choice(nd, size=n, p=w / w.sum())
        hour = self.rng.choice(24, size=n, p=curve / curve.sum())
        sec = self.rng.uniform(0, 3600, n)
        local = day * DAY + (hour - MARKET_UTC_OFFSET[market]) * 3600.0 + sec
        return self.t0 + np.mod(local, self.span)

    def _weekday0(self) -> int:
        return int(((self.t0 // DAY) + 3) % 7)  # 1970-01-01 was a Thursday (3)

    def bursts(self, k: int, n_bursts: int, width: float) -> np.ndarray:
        """``k`` times in ``n_bursts`` windows of ``width`` seconds placed at random."""
        centers = self.t0 + self.rng.uniform(0, self.span - width, n_bursts)
        return centers[self.rng.integers(0, n_bursts, k)] + self.rng.uniform(0, width, k)

    def decay(self, k: int, start: float, half_life: float) -> np.ndarray:
        """``k`` times after ``start`` whose rate halves every ``half_life`` seconds (a
        viral item), kept inside the period."""
        t = start + self.rng.exponential(half_life / np.log(2), k)
        return np.minimum(t, self.t0 + self.span - 1.0)


class RingTime:
    """When a ring acts: bursts (fast rings) or spread over weeks (slow rings).

    A slow ring draws one window of 14–28 days (the whole period when it is shorter) and
    spreads every event over it with the diurnal rhythm: no burst, no synchrony, only
    density gives it away. ``__call__(k, n_bursts, width)`` returns ``k`` times.
    """

    def __init__(self, clock: Clock, *, slow: bool) -> None:
        self.clock = clock
        self.slow = slow
        if slow:
            rng = clock.rng
            width = min(clock.days, int(rng.integers(14, 29)))
            self.first_day = int(rng.integers(0, clock.days - width + 1))
            self.n_days = width

    def __call__(self, k: int, n_bursts: int, width: float) -> np.ndarray:
        if not self.slow:
            return self.clock.bursts(k, n_bursts, width)
        rng = self.clock.rng
        day = self.first_day + rng.integers(0, self.n_days, k)
        hour = rng.choice(24, size=k, p=ACTIVITY_CURVE / ACTIVITY_CURVE.sum())
        return self.clock.t0 + day * DAY + hour * 3600.0 + rng.uniform(0, 3600, k)


def zipf_weights(n: int, rng: np.random.Generator, a: float = 1.0) -> np.ndarray:
    """Zipf-like popularity ``1 / rank^a`` in random order."""
    w = 1.0 / np.arange(1, n + 1) ** a
    rng.shuffle(w)
    return w


def loguniform_int(rng: np.random.Generator, lo: int, hi: int) -> int:
    """An integer in ``[lo, hi]``, log-uniform: small rings are more common than large."""
    return int(np.floor(np.exp(rng.uniform(np.log(lo), np.log(hi + 1)))))


def weighted(rng: np.random.Generator, w: np.ndarray, n: int) -> np.ndarray:
    """``n`` indices drawn with probability proportional to ``w``."""
    return rng.choice(len(w), size=n, p=w / w.sum())


def draw(rng: np.random.Generator, w: np.ndarray, n: int) -> np.ndarray:
    """``n`` indices drawn with probability proportional to ``w``, in random order.

    Inverse transform sampling on sorted uniforms, then a shuffle: the same distribution
    as :func:`weighted`, about ten times faster for large ``w`` (the binary searches walk
    the cumulative weights in order instead of jumping around memory).
    """
    cum = np.cumsum(w, dtype=np.float64)
    u = np.sort(rng.random(n)) * cum[-1]
    out = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    rng.shuffle(out)
    return out


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: faster than ``np.unique`` on millions of ints)."""
    s = np.sort(np.asarray(values), kind="stable")
    return s[np.concatenate([[True], s[1:] != s[:-1]])] if len(s) else s


def sample_grouped(
    groups_of_draws: np.ndarray,
    item_group: np.ndarray,
    item_weight: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """For each draw, sample an item of the draw's group with probability ∝ weight.

    A draw whose group has no item falls back to a draw over all items.
    """
    order = np.lexsort((np.arange(len(item_group)), item_group))
    g_sorted = item_group[order]
    cum = np.cumsum(item_weight[order])
    n_groups = int(max(item_group.max(), groups_of_draws.max())) + 1
    starts = np.searchsorted(g_sorted, np.arange(n_groups), side="left")
    ends = np.searchsorted(g_sorted, np.arange(n_groups), side="right")
    lo = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    hi = cum[np.maximum(ends - 1, 0)]
    g = groups_of_draws
    empty = ends[g] <= starts[g]
    u = lo[g] + rng.random(len(g)) * (hi[g] - lo[g])
    pos = np.searchsorted(cum, u, side="right")
    pos = np.clip(pos, starts[g], np.maximum(ends[g] - 1, starts[g]))
    out = order[np.minimum(pos, len(order) - 1)]
    if empty.any():
        out[empty] = rng.choice(
            len(item_weight), size=int(empty.sum()), p=item_weight / item_weight.sum()
        )
    return out


def some_of_each(
    rng: np.random.Generator, item_group: np.ndarray, groups: np.ndarray, k: int
) -> np.ndarray:
    """Up to ``k`` distinct items of each group in ``groups`` (``item_group[i]`` is the
    group of item ``i``), chosen uniformly; sorted by group."""
    items = np.flatnonzero(np.isin(item_group, groups))
    items = items[np.lexsort((rng.random(len(items)), item_group[items]))]
    g = item_group[items]
    rank = np.arange(len(items)) - np.searchsorted(g, g, side="left")
    return items[rank < k]


def households(
    rng: np.random.Generator, n: int, p: Sequence[float] = (0.7, 0.2, 0.07, 0.03)
) -> np.ndarray:
    """The household (shared device) of each of ``n`` accounts: sizes 1–4 with
    probabilities ``p``; neighbouring accounts share, and accounts are in random order."""
    sizes = rng.choice([1, 2, 3, 4], size=n, p=list(p))
    return np.repeat(np.arange(n), sizes)[:n]


class HijackPool:
    """Organic accounts taken over by rings; never the same account in two rings.

    ``eligible`` (default: accounts ``0 .. n-1``) restricts the pool, e.g. to old
    accounts with a history.
    """

    def __init__(
        self, rng: np.random.Generator, n: int, eligible: np.ndarray | None = None
    ) -> None:
        self.rng = rng
        self.n = n if eligible is None else len(eligible)
        self.eligible = eligible
        self.used: set[int] = set()

    def take(self, k: int) -> np.ndarray:
        pick = self.rng.choice(self.n, k, replace=False)
        while self.used.intersection(pick.tolist()):  # rare: redraw only on a clash
            pick = self.rng.choice(self.n, k, replace=False)
        self.used.update(pick.tolist())
        return pick if self.eligible is None else self.eligible[pick]


@dataclass
class Plant:
    """What the truth files record, as integer indices until the tables are built."""

    members: list[tuple[str, str, str, np.ndarray, np.ndarray]] = field(default_factory=list)
    targets: list[tuple[str, str, np.ndarray]] = field(default_factory=list)
    negatives: list[tuple[str, str, np.ndarray, np.ndarray]] = field(default_factory=list)
    ring_events: list[tuple[str, np.ndarray, str, int]] = field(default_factory=list)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    n_rings: int = 0
    n_groups: int = 0

    def ring_id(self) -> str:
        self.n_rings += 1
        return f"R{self.n_rings:03d}"

    def member(
        self,
        rid: str,
        pattern: str,
        kind: str,
        idx: np.ndarray,
        hijacked: np.ndarray | None = None,
    ) -> None:
        """Record ring members (``hijacked`` flags, default none hijacked)."""
        idx = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        hj = np.zeros(len(idx), bool) if hijacked is None else np.asarray(hijacked, bool)
        self.members.append((rid, pattern, kind, idx, hj))

    def target(self, rid: str, kind: str, idx: np.ndarray) -> None:
        """Record entities a ring worked on (boosted content, brushed items, ...)."""
        self.targets.append((rid, kind, np.unique(np.asarray(idx, dtype=np.int64))))

    def camouflage(self, actor_type: str, members: np.ndarray, rid: str, per: int) -> None:
        """Ask for camouflage: about ``per`` ring events per member happened."""
        self.ring_events.append((actor_type, members, rid, per))

    def negative(self, kind: str, entity_type: str, idx: Any, group: int | None = None) -> int:
        """Record one organic group that must not become a ring; returns its group number
        (pass it as ``group`` to add entities of another type to the same group)."""
        idx = unique(np.asarray(idx, dtype=np.int64))
        if group is None:
            self.n_groups += 1
            group = self.n_groups
        self.negatives.append((kind, entity_type, np.full(len(idx), group), idx))
        return group

    def negative_groups(
        self, kind: str, entity_type: str, label: np.ndarray, idx: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Record many groups at once: entity ``idx[i]`` belongs to the group of
        ``label[i]``. Returns the distinct labels and their group numbers."""
        labels, inv = np.unique(np.asarray(label), return_inverse=True)
        groups = self.n_groups + 1 + np.arange(len(labels))
        self.n_groups += len(labels)
        self.negatives.append((kind, entity_type, groups[inv], np.asarray(idx, dtype=np.int64)))
        return labels, groups


def shared_groups(
    plant: Plant,
    kind: str,
    types: tuple[str, str],
    shared: np.ndarray,
    *,
    owners: np.ndarray | None = None,
    min_size: int = 2,
) -> None:
    """Record as negatives every target that several accounts share: account
    ``owners[i]`` (default ``i``) uses target ``shared[i]``; one group per target used by
    ``min_size`` accounts or more, holding the accounts and the target."""
    owners = np.arange(len(shared)) if owners is None else np.asarray(owners)
    _, inv, size = np.unique(shared, return_inverse=True, return_counts=True)
    keep = size[inv] >= min_size
    if not keep.any():
        return
    labels, groups = plant.negative_groups(kind, types[0], shared[keep], owners[keep])
    plant.negatives.append((kind, types[1], groups, labels))


def top_groups(plant: Plant, kind: str, entity_type: str, weight: np.ndarray, k: int) -> None:
    """Record the ``k`` entities of highest ``weight`` as one-entity negative groups."""
    top = np.argsort(-weight, kind="stable")[:k]
    plant.negative_groups(kind, entity_type, top, top)


@dataclass(frozen=True)
class Channel:
    """One kind of ordinary action ring members use as camouflage.

    ``weights`` are the targets' popularity (used by ``biased`` camouflage; ``random``
    draws targets uniformly); ``amount`` draws amounts; ``ts`` gives times for drawn
    targets (e.g. inside a live's window) instead of the diurnal clock.
    """

    action: str
    target_type: str
    weights: np.ndarray
    amount: Callable[[np.random.Generator, int], np.ndarray] | None = None
    ts: Callable[[np.ndarray], np.ndarray] | None = None


def add_camouflage(
    log: EventLog,
    clock: Clock,
    plant: Plant,
    *,
    share: float,
    kind: str,
    mix: Mapping[str, tuple[Sequence[str], Sequence[float]]],
    channels: Mapping[str, Channel],
) -> None:
    """Ring members also act like ordinary users.

    Each member of a ring that asked for camouflage gets ``share`` × its ring events of
    ordinary actions, drawn from ``mix[actor_type]`` (action names and probabilities);
    targets are uniform (``random``) or popularity-weighted (``biased``).
    """
    rng = clock.rng
    for actor_type, members, _rid, per in plant.ring_events:
        n_c = int(round(share * per)) * len(members)
        if n_c == 0:
            continue
        a = np.repeat(members, n_c // len(members))
        names, p = mix[actor_type]
        pick = rng.choice(len(names), len(a), p=list(p))
        for name in sorted({names[i] for i in unique(pick)}):
            m = pick == list(names).index(name)
            ch = channels[name]
            k = int(m.sum())
            w = ch.weights if kind == "biased" else np.ones(len(ch.weights))
            tgt = weighted(rng, w, k)
            ts = clock.uniform(k) if ch.ts is None else ch.ts(tgt)
            amt = None if ch.amount is None else ch.amount(rng, k)
            log.add(actor_type, a[m], ch.action, ch.target_type, tgt, ts, amt)


@dataclass
class Sim:
    """The state one simulated period threads through a platform's functions."""

    cfg: Any
    rng: np.random.Generator
    clock: Clock
    log: EventLog
    pop: Population
    plant: Plant
    slow_rng: np.random.Generator
    slow_plan: dict[str, set[int]] = field(default_factory=dict)
    ring_count: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, cfg: Any, *, types: Sequence[str], actions: Sequence[str]) -> Sim:
        """A fresh simulation of ``cfg`` (``seed``, ``start``, ``days``)."""
        rng = np.random.default_rng(cfg.seed)
        t0 = datetime.fromisoformat(cfg.start).replace(tzinfo=timezone.utc).timestamp()
        return cls(
            cfg=cfg,
            rng=rng,
            clock=Clock(rng, t0, cfg.days * DAY),
            log=EventLog(types, actions),
            pop=Population(rng, t0),
            plant=Plant(),
            # separate streams: a knob left at 0 draws nothing from the main stream
            slow_rng=np.random.default_rng([cfg.seed, 202]),
        )

    @property
    def t0(self) -> float:
        return self.clock.t0

    def add_visible(
        self,
        actor_type: str,
        actor: np.ndarray,
        action: str,
        target_type: str,
        target: np.ndarray,
        ts: np.ndarray,
        amount: np.ndarray | None = None,
    ) -> None:
        """Add the events that fall inside the period: a follow-up before or after it
        (a rating days after a purchase) is outside the export, as in real data."""
        keep = (ts >= self.t0) & (ts < self.t0 + self.clock.span)
        amt = None if amount is None else np.asarray(amount)[keep]
        self.log.add(
            actor_type,
            np.asarray(actor)[keep],
            action,
            target_type,
            np.asarray(target)[keep],
            ts[keep],
            amt,
        )

    def new_ring(self, pattern: str) -> tuple[str, RingTime]:
        """The id and the timing of the next ring of ``pattern`` (its pattern and pace are
        recorded; set ``plant.info[rid]["variant"]`` to name a variant)."""
        rid = self.plant.ring_id()
        when = RingTime(self.clock, slow=self._slow(pattern))
        self.plant.info[rid] = {"pattern": pattern, "slow": when.slow, "variant": None}
        return rid, when

    def _slow(self, pattern: str) -> bool:
        """Whether the next ring of ``pattern`` is slow: ``slow_share`` of each pattern's
        rings (rounded at random), at random positions, from a separate stream."""
        if pattern not in self.slow_plan:
            r = self.cfg.rings_per_pattern
            x = self.cfg.slow_share * r
            n = int(x) + int(self.slow_rng.random() < x - int(x))
            self.slow_plan[pattern] = set(self.slow_rng.permutation(r)[:n].tolist())
        slot = self.ring_count.get(pattern, 0)
        self.ring_count[pattern] = slot + 1
        return slot in self.slow_plan[pattern]


def ring_accounts(
    sim: Sim, pool: HijackPool, kind: str, k: int, *, market: int | None, fresh: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` ring accounts of ``kind``: new ones, then a share (``cfg.hijacked_share``)
    of organic accounts taken over from ``pool``. Returns indices and hijacked flags."""
    n_hij = int(round(k * sim.cfg.hijacked_share))
    hijacked = pool.take(n_hij)
    new = sim.pop.new(kind, k - n_hij, fresh=fresh, market=market)
    return np.concatenate([new, hijacked]), np.arange(k) >= k - n_hij


def farm_size(rng: np.random.Generator, k: int) -> int:
    """Devices of a farm of ``k`` accounts: 5–12 accounts per device (a household has
    at most 4)."""
    return max(1, int(round(k / rng.uniform(5, 12))))


def device_farm(
    sim: Sim,
    members: np.ndarray,
    n_devices: int,
    when: RingTime,
    *,
    names: tuple[str, str, str],
) -> np.ndarray:
    """Ring accounts logging in from a few shared devices (a phone farm); ``names`` =
    (actor type, login action, device type). Returns the devices."""
    rng = sim.rng
    actor_type, action, device_type = names
    pool = sim.pop.new(device_type, n_devices)
    who = np.repeat(members, rng.integers(1, 3, len(members)))
    ts = when(len(who), 3, 3 * 3600)
    sim.log.add(actor_type, who, action, device_type, rng.choice(pool, len(who)), ts)
    return pool


def own_devices(sim: Sim, accounts: np.ndarray, *, names: tuple[str, str, str]) -> np.ndarray:
    """Accounts logging in on a device of their own; ``names`` as in :func:`device_farm`."""
    actor_type, action, device_type = names
    device = sim.pop.new(device_type, len(accounts))
    who = np.repeat(np.arange(len(accounts)), sim.rng.integers(1, 3, len(accounts)))
    ts = sim.clock.uniform(len(who))
    sim.log.add(actor_type, accounts[who], action, device_type, device[who], ts)
    return device
