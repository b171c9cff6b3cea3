"""From a simulated period (integer-coded) to the tables a platform exports.

Ids are a random permutation per type with the type's prefix (``bu00042``), so an id says
nothing about a ring; names, markets and creation times come from the population.
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

from ringlens.synth.core import MARKETS, Sim
from ringlens.synth.data import NEGATIVE_SCHEMA, RING_SCHEMA, TARGET_SCHEMA, Platform, SynthData

__all__ = ["build_tables"]

log = logging.getLogger(__name__)

_ADJ = ["sunny", "lucky", "happy", "urban", "cosy", "bold"]
_ADJ += ["quiet", "wild", "fresh", "tiny", "royal", "swift"]
_NOUN = ["fox", "chef", "studio", "deals", "life", "mama"]
_NOUN += ["gamer", "style", "garden", "beauty", "tech", "vibes"]
# market code -> name; -1 (no market) -> null
_MARKET_NAMES = pl.Series([*MARKETS, None], dtype=pl.String)


class _Ids:
    """The string id of every (type, index): one permutation per type, drawn in the
    platform's type order, zero-padded to at least five digits."""

    def __init__(self, sim: Sim, platform: Platform) -> None:
        counts = sim.pop.counts
        parts, perms, offsets, markets = [], [], [], []
        start = 0
        for kind in platform.types:
            c = counts[kind]
            perm = sim.rng.permutation(c)
            width = max(5, len(str(c)))
            parts.append(platform.prefixes[kind] + pl.Series(perm).cast(pl.String).str.zfill(width))
            perms.append(perm)
            offsets.append(start)
            start += c
            markets.append(sim.pop.market.get(kind, np.full(c, -1, dtype=np.int64)))
        self.all = pl.concat(parts) if parts else pl.Series([], dtype=pl.String)
        # within a type ids have one width, so their order is the order of these numbers
        self.number = np.concatenate(perms) if perms else np.zeros(0, dtype=np.int64)
        self.offsets = np.array(offsets, dtype=np.int64)
        self.market = np.concatenate(markets)
        self.code = {k: i for i, k in enumerate(platform.types)}

    def gather(self, type_code: np.ndarray, idx: np.ndarray) -> pl.Series:
        return self.all.gather(self.offsets[type_code] + idx)

    def of(self, kind: str, idx: np.ndarray) -> pl.Series:
        return self.all.gather(self.offsets[self.code[kind]] + np.asarray(idx, dtype=np.int64))


def _utc(seconds: np.ndarray) -> pl.Series:
    us = (np.asarray(seconds, dtype=np.float64) * 1e6).astype(np.int64)
    return pl.Series(us).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _market_names(codes: np.ndarray) -> pl.Series:
    return _MARKET_NAMES.gather(np.where(codes < 0, len(MARKETS), codes))


def _names(codes: np.ndarray, names: tuple[str, ...]) -> pl.Series:
    return pl.Series(names, dtype=pl.String).gather(codes)


def _rank(names: tuple[str, ...]) -> np.ndarray:
    """The position of each name in sorted (code point) order."""
    return np.argsort(np.argsort(np.array(names, dtype=object)))


def _events(sim: Sim, ids: _Ids) -> pl.DataFrame:
    """Events sorted by ts, actor_type, actor_id, action, target_type, target_id: the
    order is computed on integer keys (same order as the strings), then names gathered."""
    cols = sim.log.columns()
    types, actions = sim.log.types, sim.log.actions
    actor_g = ids.offsets[cols["actor_type"]] + cols["actor"]
    target_g = ids.offsets[cols["target_type"]] + cols["target"]
    ts_us = (cols["ts"] * 1e6).astype(np.int64)
    keys = pl.DataFrame(
        {
            "ts": ts_us,
            "at": _rank(types)[cols["actor_type"]],
            "a": ids.number[actor_g],
            "ac": _rank(actions)[cols["action"]],
            "tt": _rank(types)[cols["target_type"]],
            "t": ids.number[target_g],
        }
    )
    order = keys.select(pl.arg_sort_by(keys.columns, maintain_order=True)).to_series().to_numpy()
    actor_g, target_g = actor_g[order], target_g[order]
    return pl.DataFrame(
        {
            "actor_id": ids.all.gather(actor_g),
            "actor_type": _names(cols["actor_type"][order], types),
            "target_id": ids.all.gather(target_g),
            "target_type": _names(cols["target_type"][order], types),
            "action": _names(cols["action"][order], actions),
            "ts": pl.Series(ts_us[order]).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            "amount": pl.Series(cols["amount"][order]).fill_nan(None),
            "market": _market_names(ids.market[actor_g]),
        }
    )


def _entities(sim: Sim, ids: _Ids, platform: Platform) -> pl.DataFrame:
    rng, parts = sim.rng, []
    for kind in platform.accounts:
        c = sim.pop.counts[kind]
        adj = pl.Series(_ADJ).gather(rng.integers(0, len(_ADJ), c))
        noun = pl.Series(_NOUN).gather(rng.integers(0, len(_NOUN), c))
        num = pl.Series(rng.integers(1, 999, c)).cast(pl.String)
        parts.append(
            pl.DataFrame(
                {
                    "entity_type": pl.Series([kind]).gather(np.zeros(c, dtype=np.int64)),
                    "entity_id": ids.of(kind, np.arange(c)),
                    "created_at": _utc(sim.pop.created[kind]),
                    "market": _market_names(sim.pop.market[kind]),
                    "display_name": adj + "_" + noun + num,
                    "prior_violations": rng.poisson(0.05, c).astype(np.int64),
                }
            )
        )
    return pl.concat(parts).sort("entity_type", "entity_id")


def _expand(values: list[str], lens: list[int]) -> pl.Series:
    """``values[i]`` repeated ``lens[i]`` times, concatenated."""
    return pl.Series(values, dtype=pl.String).gather(np.repeat(np.arange(len(values)), lens))


def _stack(ids: _Ids, kinds: list[str], idx: list[np.ndarray]) -> tuple[pl.Series, pl.Series]:
    """Entity types and ids of several (kind, indices) blocks, concatenated."""
    lens = [len(i) for i in idx]
    code = np.repeat(np.array([ids.code[k] for k in kinds], dtype=np.int64), lens)
    flat = np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)
    return _expand(kinds, lens), ids.gather(code, flat)


def _truth(sim: Sim, ids: _Ids) -> pl.DataFrame:
    rows = sim.plant.members
    lens = [len(r[3]) for r in rows]
    etype, eid = _stack(ids, [r[2] for r in rows], [r[3] for r in rows])
    hijacked = np.concatenate([r[4] for r in rows]) if rows else np.zeros(0, bool)
    return pl.DataFrame(
        {
            "ring_id": _expand([r[0] for r in rows], lens),
            "pattern": _expand([r[1] for r in rows], lens),
            "entity_type": etype,
            "entity_id": eid,
            "hijacked": pl.Series(hijacked, dtype=pl.Boolean),
        }
    ).sort("ring_id", "entity_type", "entity_id")


def _labels(truth: pl.DataFrame, entities: pl.DataFrame, seed: int) -> pl.DataFrame:
    """One confirmed member in every other ring, and some cleared organic accounts."""
    firsts = truth.filter(~pl.col("hijacked")).group_by("ring_id", maintain_order=True).first()
    confirmed = firsts.gather_every(2).select(
        "entity_type", "entity_id", pl.lit("confirmed").alias("label")
    )
    organic = entities.join(
        truth.select("entity_type", "entity_id"), on=["entity_type", "entity_id"], how="anti"
    )
    cleared = organic.sample(n=min(20, organic.height), seed=seed).select(
        "entity_type", "entity_id", pl.lit("cleared").alias("label")
    )
    return pl.concat([confirmed, cleared]).sort("entity_type", "entity_id")


def _targets(sim: Sim, ids: _Ids) -> pl.DataFrame:
    rows = sim.plant.targets
    if not rows:
        return pl.DataFrame(schema=TARGET_SCHEMA)
    lens = [len(r[2]) for r in rows]
    etype, eid = _stack(ids, [r[1] for r in rows], [r[2] for r in rows])
    rid = _expand([r[0] for r in rows], lens)
    frame = pl.DataFrame({"ring_id": rid, "entity_type": etype, "entity_id": eid})
    return frame.unique().sort("ring_id", "entity_type", "entity_id")


def _negatives(sim: Sim, ids: _Ids, truth: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Organic groups, minus any entity that is a ring member or a ring target."""
    rows = sim.plant.negatives
    if not rows:
        return pl.DataFrame(schema=NEGATIVE_SCHEMA)
    lens = [len(r[3]) for r in rows]
    etype, eid = _stack(ids, [r[1] for r in rows], [r[3] for r in rows])
    group = pl.Series(np.concatenate([r[2] for r in rows])).cast(pl.String).str.zfill(5)
    frame = pl.DataFrame(
        {
            "group_id": "N" + group,
            "kind": _expand([r[0] for r in rows], lens),
            "entity_type": etype,
            "entity_id": eid,
        }
    )
    planted = pl.concat(
        [truth.select("entity_type", "entity_id"), targets.select("entity_type", "entity_id")]
    )
    return (
        frame.join(planted, on=["entity_type", "entity_id"], how="anti")
        .unique()
        .sort("group_id", "entity_type", "entity_id")
    )


def _rings(sim: Sim) -> pl.DataFrame:
    rows = [{"ring_id": rid, **info} for rid, info in sim.plant.info.items()]
    return pl.DataFrame(rows, schema=RING_SCHEMA) if rows else pl.DataFrame(schema=RING_SCHEMA)


def build_tables(sim: Sim, platform: Platform) -> SynthData:
    """Attach ids and names to a simulated period and build every table."""
    ids = _Ids(sim, platform)
    events = _events(sim, ids)
    entities = _entities(sim, ids, platform)
    truth = _truth(sim, ids)
    labels = _labels(truth, entities, sim.cfg.seed)
    targets = _targets(sim, ids)
    negatives = _negatives(sim, ids, truth, targets)
    log.info(
        "synth %s: %d events, %d entities, %d planted rings, %d organic negative groups",
        platform.name,
        events.height,
        entities.height,
        sim.plant.n_rings,
        negatives["group_id"].n_unique(),
    )
    return SynthData(
        events=events,
        entities=entities,
        truth=truth,
        labels=labels,
        config=sim.cfg,
        ring_targets=targets,
        negatives=negatives,
        vocabulary=platform.vocabulary_dict(),
        rings=_rings(sim),
    )
