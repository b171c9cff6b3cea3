"""Renaming a data set's vocabulary: the same platform under names no detector has seen."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from ringlens.config import ACTION_ROLES, ENTITY_ROLES
from ringlens.exceptions import ConfigError
from ringlens.synth.creator import PLATFORM as CREATOR
from ringlens.synth.data import SynthData
from ringlens.synth.write import write_synth

__all__ = ["rename_vocabulary", "vocabulary_names", "write_renamed"]

_CONSONANTS = list("bdfgklmnprstvz")
_VOWELS = list("aeiou")
# never produce one of ringlens' own words or a role name
_RESERVED = {n for names in CREATOR.vocabulary["actions"].values() for n in names}
_RESERVED |= {n for names in CREATOR.vocabulary["entities"].values() for n in names}
_RESERVED |= set(ACTION_ROLES) | set(ENTITY_ROLES)


def vocabulary_names(data: SynthData) -> tuple[list[str], list[str]]:
    """The action names and entity-type names a data set uses (sorted), from its events,
    its other tables and its vocabulary."""
    ev = data.events
    actions = set(ev["action"].unique().to_list())
    actions |= {n for names in data.vocabulary.get("actions", {}).values() for n in names}
    types = set(ev["actor_type"].unique().to_list()) | set(ev["target_type"].unique().to_list())
    for frame in (data.entities, data.labels, data.truth, data.ring_targets, data.negatives):
        types |= set(frame["entity_type"].unique().to_list())
    types |= {n for names in data.vocabulary.get("entities", {}).values() for n in names}
    return sorted(actions), sorted(types)


def _words(n: int, seed: int, avoid: set[str]) -> list[str]:
    """``n`` distinct pronounceable made-up words (three syllables), none in ``avoid``."""
    rng = np.random.default_rng([seed, 909])
    out: list[str] = []
    while len(out) < n:
        c = rng.choice(_CONSONANTS, (n, 3))
        v = rng.choice(_VOWELS, (n, 3))
        for row in range(n):
            word = "".join(c[row, i] + v[row, i] for i in range(3))
            if word not in avoid and word not in out:
                out.append(word)
    return out[:n]


def _check(mapping: dict[str, str], names: list[str]) -> None:
    final = {mapping.get(n, n) for n in names}
    if len(final) != len(names):
        raise ConfigError("synth: the renaming maps two different names to the same name")
    for old, new in mapping.items():
        if not isinstance(new, str) or not new.strip():
            raise ConfigError(f"synth: the renaming of {old!r} must be a non-empty string")


def _rename_frame(
    frame: pl.DataFrame, columns: tuple[str, ...], mapping: dict[str, str]
) -> pl.DataFrame:
    present = [c for c in columns if c in frame.columns]
    return frame.with_columns(pl.col(c).replace(mapping) for c in present)


def rename_vocabulary(
    data: SynthData, *, seed: int | None = None, mapping: dict[str, str] | None = None
) -> SynthData:
    """The same data with every action and entity-type name replaced by another word.

    Either ``seed`` (every name becomes a made-up word, the same words for the same seed)
    or ``mapping`` (old name → new name; names it leaves out keep their name). Names are
    replaced consistently in events, entities, labels, truth, ring targets, negatives and
    the vocabulary (whose roles stay), and ``renaming`` records old → new. Ids, patterns
    and negative kinds are unchanged.

    Examples
    --------
    >>> from ringlens.synth import SynthConfig, generate
    >>> data = generate(SynthConfig(n_events=5_000, rings_per_pattern=1, seed=1))
    >>> renamed = rename_vocabulary(data, seed=3)
    >>> "order" in renamed.events["action"].to_list()
    False
    >>> renamed.vocabulary["actions"]["purchase"] == [renamed.renaming["order"]]
    True
    >>> rename_vocabulary(data, mapping={"order": "Order"}).vocabulary["actions"]["purchase"]
    ['Order']
    """
    if (seed is None) == (mapping is None):
        raise ConfigError("synth: rename_vocabulary needs either seed or mapping")
    actions, types = vocabulary_names(data)
    names = actions + types
    if mapping is None:
        assert seed is not None
        mapping = dict(zip(names, _words(len(names), seed, _RESERVED | set(names)), strict=True))
    mapping = {k: v for k, v in mapping.items() if k in names}
    _check(mapping, names)

    def renamed(frame: pl.DataFrame) -> pl.DataFrame:
        return _rename_frame(frame, ("entity_type",), mapping)

    vocabulary = {
        section: {role: [mapping.get(n, n) for n in ns] for role, ns in roles.items()}
        for section, roles in data.vocabulary.items()
    }
    before = data.renaming or {n: n for n in names}
    renaming = {orig: mapping.get(cur, cur) for orig, cur in before.items()}
    return replace(
        data,
        events=_rename_frame(data.events, ("actor_type", "target_type", "action"), mapping),
        entities=renamed(data.entities),
        labels=renamed(data.labels),
        truth=renamed(data.truth),
        ring_targets=renamed(data.ring_targets),
        negatives=renamed(data.negatives),
        vocabulary=vocabulary,
        renaming=renaming,
    )


def write_renamed(
    data: SynthData, out_dir: str | os.PathLike[str], *, seed: int, fmt: str = "parquet"
) -> dict[str, Path]:
    """:func:`rename_vocabulary` with ``seed``, then :func:`write_synth` into ``out_dir``
    (``vocabulary.toml`` holds the renamed vocabulary, ``synth.json`` the renaming)."""
    return write_synth(rename_vocabulary(data, seed=seed), out_dir, fmt=fmt)
