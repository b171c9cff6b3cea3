"""Renaming a data set's vocabulary consistently across every table."""

from __future__ import annotations

import json
import tomllib

import polars as pl
import pytest

from ringlens.exceptions import ConfigError
from ringlens.synth import SynthConfig, generate, rename_vocabulary, write_renamed
from ringlens.synth.rename import vocabulary_names


@pytest.fixture(scope="module", params=["creator", "live"])
def data(request):
    return generate(
        SynthConfig(n_events=20_000, rings_per_pattern=1, platform=request.param, seed=2)
    )


def test_every_name_is_replaced_consistently(data) -> None:
    new = rename_vocabulary(data, seed=5)
    actions, types = vocabulary_names(data)
    mapping = new.renaming
    assert set(mapping) == set(actions) | set(types)
    assert not set(mapping.values()) & set(mapping)  # no old name survives
    assert len(set(mapping.values())) == len(mapping)
    # same rows, names swapped: counts per (action, actor type, target type) carry over
    old_counts = data.events.group_by("action", "actor_type", "target_type").len()
    want = old_counts.with_columns(pl.col(c).replace(mapping) for c in old_counts.columns[:3])
    got = new.events.group_by("action", "actor_type", "target_type").len()
    assert want.sort(want.columns).equals(got.sort(got.columns))
    assert new.events.select("actor_id", "target_id", "ts").equals(
        data.events.select("actor_id", "target_id", "ts")
    )
    for name in ("entities", "labels", "truth", "ring_targets", "negatives"):
        before, after = getattr(data, name), getattr(new, name)
        assert after["entity_type"].to_list() == [mapping[t] for t in before["entity_type"]]
        assert after.drop("entity_type").equals(before.drop("entity_type"))
    for section, roles in data.vocabulary.items():
        for role, names in roles.items():
            assert new.vocabulary[section][role] == [mapping[n] for n in names]


def test_same_seed_same_words_other_seed_other_words(data) -> None:
    a, b = rename_vocabulary(data, seed=1), rename_vocabulary(data, seed=1)
    assert a.renaming == b.renaming and a.events.equals(b.events)
    assert rename_vocabulary(data, seed=2).renaming != a.renaming


def test_a_mapping_renames_only_what_it_names(data) -> None:
    first = data.vocabulary["actions"]["purchase"][0]
    new = rename_vocabulary(data, mapping={first: first.title(), "not-a-name": "x"})
    assert new.vocabulary["actions"]["purchase"][0] == first.title()
    assert new.renaming[first] == first.title()
    assert (new.events["action"] == first.title()).sum() == (data.events["action"] == first).sum()
    # renaming twice records original -> final
    again = rename_vocabulary(new, mapping={first.title(): "acquire"})
    assert again.renaming[first] == "acquire"


def test_bad_renamings(data) -> None:
    actions, types = vocabulary_names(data)
    with pytest.raises(ConfigError, match="maps two different names to the same name"):
        rename_vocabulary(data, mapping={actions[0]: actions[1]})
    with pytest.raises(ConfigError, match="needs either seed or mapping"):
        rename_vocabulary(data)
    with pytest.raises(ConfigError, match="must be a non-empty string"):
        rename_vocabulary(data, mapping={types[0]: " "})


def test_write_renamed(data, tmp_path) -> None:
    paths = write_renamed(data, tmp_path, seed=4)
    renamed = rename_vocabulary(data, seed=4)
    vocab = tomllib.loads(paths["vocabulary"].read_text())["vocabulary"]
    assert vocab == renamed.vocabulary
    info = json.loads(paths["synth"].read_text())
    assert info["renaming"] == renamed.renaming
    events = pl.read_parquet(paths["events"])
    assert set(events["action"].unique()) <= set(renamed.renaming.values())
