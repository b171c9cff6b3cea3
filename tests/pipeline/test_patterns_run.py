"""A user's pattern catalogue in a run: every documented ring feature can name a pattern,
and a mistake in the catalogue stops the run before it reads the events."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import ringlens
from ringlens.cli import app
from ringlens.config import load_config
from ringlens.exceptions import ConfigError
from ringlens.pipeline.engine import checked_catalogue
from ringlens.rings.patterns import RING_FEATURES, load_catalogue

runner = CliRunner()
SHIPPED = Path(ringlens.__file__).parent / "rings" / "default_patterns.toml"


def _catalogue_first(tmp_path: Path, entry: str) -> Path:
    """The shipped catalogue with ``entry`` (TOML of one ``[[patterns]]``) tried first."""
    shipped = SHIPPED.read_text().replace("version = 1\n", "")
    f = tmp_path / "patterns.toml"
    f.write_text(f"version = 1\n\n[[patterns]]\n{entry}\n\n{shipped}")
    return f


def _settings(tmp_path: Path, catalogue: Path) -> Path:
    s = tmp_path / "ringlens.toml"
    s.write_text(f'[detect]\npatterns = "{catalogue.as_posix()}"\n')
    return s


@pytest.fixture(scope="module")
def shipped_run(small_synth):
    return ringlens.score(small_synth.events, entities=small_synth.entities)


def test_the_ring_features_patterns_may_bound_are_the_runs(shipped_run) -> None:
    """The list a catalogue is checked against is every number the run's rings carry:
    a feature the run adds is usable in a pattern, and no listed one is missing."""
    rings = shipped_run.rings
    assert rings.height > 0
    struct = rings.schema["features"]
    numeric = {f.name for f in struct.fields if f.dtype.is_numeric()}  # type: ignore[union-attr]
    assert numeric | {"size"} == set(RING_FEATURES)


def test_a_pattern_on_the_rings_structure_names_rings_in_a_run(
    tmp_path, small_synth, shipped_run
) -> None:
    """``core_share`` and ``max_coreness`` come from the rings stage, after the rings are
    built; a pattern on them still names the rings that match."""
    cat = _catalogue_first(
        tmp_path, 'name = "tight_core"\nmin = { core_share = 0.9, max_coreness = 3 }'
    )
    cfg = load_config(_settings(tmp_path, cat), env={}, cwd=False)
    res = ringlens.score(small_synth.events, entities=small_synth.entities, config=cfg)
    feats = res.rings.select("ring_id", "pattern", pl.col("features").struct.unnest())
    tight = (pl.col("core_share") >= 0.9) & (pl.col("max_coreness") >= 3)
    assert feats.filter(tight).height > 0
    assert (feats["pattern"] == "tight_core").to_list() == feats.select(tight).to_series().to_list()
    # the rings that do not match keep the shipped catalogue's pattern
    before = shipped_run.rings.select("ring_id", pl.col("pattern").alias("shipped"))
    rest = feats.filter(~tight).join(before, on="ring_id")
    assert rest.height and (rest["pattern"] == rest["shipped"]).all()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            'name = "x"\nmin = { reciprocityy = 0.4 }',
            r"patterns\[0\] \(x\)\.min: unknown ring feature 'reciprocityy'",
        ),
        ('name = "x"\nmax = { targets = 3 }', r"\(x\)\.max: unknown ring feature 'targets'"),
        (
            'name = "x"\ndetectors = ["lockstp"]',
            r"\(x\)\.detectors: unknown detector 'lockstp' \(expected one of .*lockstep",
        ),
    ],
)
def test_a_catalogue_mistake_stops_the_run_before_the_events_are_read(
    tmp_path, entry, message
) -> None:
    """An on-call engineer learns of a typo in seconds, with the file and the entry, not
    after an hour of detection (and not only on a day with rings)."""
    cat = _catalogue_first(tmp_path, entry)
    settings = _settings(tmp_path, cat)
    missing = tmp_path / "no-such-events.parquet"  # the events are never reached
    r = runner.invoke(
        app, ["-c", str(settings), "score", str(missing), "--out", str(tmp_path / "out")]
    )
    assert r.exit_code == 2, r.output
    assert "patterns.toml: patterns[0] (x)" in r.output and "no-such-events" not in r.output
    assert not (tmp_path / "out").exists()
    with pytest.raises(ConfigError, match=message):
        checked_catalogue(load_config(settings, env={}, cwd=False))


def test_the_shipped_catalogue_passes_its_own_check() -> None:
    from ringlens.pipeline.registry import registered

    load_catalogue().check(detectors=[d.name for d in registered()])


def test_a_policy_rule_for_a_pattern_the_catalogue_never_gives_is_said(
    tmp_path, small_synth, caplog
) -> None:
    """A rule keyed on a misspelt pattern never matches: the run says so (log and
    ``notices``) and still runs (one policy may serve catalogues with more patterns)."""
    from ringlens.risk.policy import parse_policy

    pol = parse_policy(
        {
            "queues": {"review": {"capacity": 100}},
            "rules": [
                {
                    "name": "farms",
                    "pattern": ["sock_puppet_farm", "bruhsing"],
                    "min_risk": 0,
                    "action": "manual_review",
                    "queue": "review",
                }
            ],
        },
        source="team.toml",
    )
    with caplog.at_level("WARNING", logger="ringlens.pipeline.engine"):
        res = ringlens.score(small_synth.events, entities=small_synth.entities, policy=pol)
    said = "team.toml: rule 'farms' names pattern 'bruhsing', which no pattern of the catalogue"
    assert [n for n in res.report["notices"] if n.startswith(said)]
    assert said in caplog.text and "sock_puppet_farm'" not in caplog.text
    assert res.queue.height > 0  # the rule's known pattern still queues
