"""The pattern catalogue: patterns as data, first match wins, clear errors."""

from __future__ import annotations

import polars as pl
import pytest

from ringlens.exceptions import ConfigError
from ringlens.rings.patterns import OTHER, classify, load_catalogue, parse_catalogue


def _rings(**cols: list) -> pl.DataFrame:
    return pl.DataFrame(cols)


def test_first_matching_pattern_wins_and_unmatched_is_other() -> None:
    cat = parse_catalogue(
        {
            "patterns": [
                {"name": "a", "min": {"x": 0.5}, "max": {"y": 0.2}},
                {"name": "b", "min": {"x": 0.5}},
                {"name": "c", "detectors": ["dense_blocks"]},
            ]
        }
    )
    rings = _rings(
        x=[0.9, 0.9, 0.1, 0.1, None],
        y=[0.1, 0.9, 0.0, 0.0, 0.0],
        detectors=[["l"], ["l"], ["dense_blocks", "l"], ["l"], ["l"]],
    )
    assert classify(rings, cat)["pattern"].to_list() == ["a", "b", "c", OTHER, OTHER]


def test_shipped_catalogue_names_the_issue_patterns() -> None:
    names = set(load_catalogue().names)
    assert {
        "mutual_boost",
        "brushing",
        "affiliate_fraud",
        "sock_puppet_farm",
        "review_ring",
        "follower_farm",
        "gift_ring",
        "coupon_abuse",
        "dense_block",
        "lockstep_group",
        "other",
    } <= names


def test_a_user_pattern_needs_no_code(tmp_path) -> None:
    f = tmp_path / "p.toml"
    f.write_text('[[patterns]]\nname = "midnight_ring"\nmin = { synchrony = 0.9 }\n')
    cat = load_catalogue(f)
    out = classify(_rings(synchrony=[0.95, 0.5], detectors=[[], []]), cat)
    assert out["pattern"].to_list() == ["midnight_ring", OTHER]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "expected \\[\\[patterns\\]\\] tables"),
        ({"patterns": [{"name": "x"}]}, "has no condition"),
        (
            {"patterns": [{"name": "x", "min": {"s": "high"}}]},
            "patterns\\[0\\].min.s: expected a finite number",
        ),
        ({"patterns": [{"name": "x", "when": {}}]}, "unknown key 'when'"),
        ({"patterns": [{"min": {"s": 1}}]}, "expected a name"),
    ],
)
def test_bad_catalogues_name_the_entry(data, message) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_catalogue(data, source="my.toml")


def test_a_misspelt_feature_is_an_error_not_a_silent_miss() -> None:
    cat = parse_catalogue({"patterns": [{"name": "x", "min": {"synchrony_": 0.5}}]})
    with pytest.raises(ConfigError, match="unknown ring feature 'synchrony_'"):
        classify(_rings(synchrony=[1.0], detectors=[[]]), cat)
    with pytest.raises(ConfigError, match=r"patterns\[0\] \(x\)\.min: unknown ring feature"):
        cat.check()


def test_a_bound_on_a_feature_that_is_not_a_number_is_an_error() -> None:
    cat = parse_catalogue({"patterns": [{"name": "x", "min": {"market": 1}}]})
    with pytest.raises(ConfigError, match="ring feature 'market' is String, not a number"):
        classify(_rings(market=["US"], detectors=[[]]), cat)


def test_the_ring_stage_features_are_missing_until_the_run_adds_them() -> None:
    """``core_share`` comes after the rings are built: before it is there no bound on it
    holds (the run names the patterns again once it is)."""
    cat = parse_catalogue(
        {
            "patterns": [
                {"name": "core", "min": {"core_share": 0.5}},
                {"name": "sync", "min": {"synchrony": 0.5}},
            ]
        }
    )
    rings = _rings(synchrony=[0.9, 0.1], detectors=[[], []])
    out = classify(rings, cat)
    assert out["pattern"].to_list() == ["sync", OTHER]
    assert out.columns == [*rings.columns, "pattern"]
    later = classify(rings.with_columns(core_share=pl.Series([0.8, 0.9])), cat)
    assert later["pattern"].to_list() == ["core", "core"]


def test_missing_catalogue_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="pattern catalogue not found"):
        load_catalogue(tmp_path / "nope.toml")
