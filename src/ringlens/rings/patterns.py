"""Patterns as data: a TOML catalogue that names what a ring looks like from its features.

A catalogue is an ordered list of patterns; a ring gets the first pattern whose conditions
all hold (``other`` when none does). A condition is a lower bound (``min``), an upper
bound (``max``) on a ring feature, or the detectors that must have proposed the ring.
The shipped catalogue is ``default_patterns.toml`` next to this module; a user adds a
pattern by writing a catalogue of their own (``detect.patterns`` setting), no code.

Examples
--------
>>> import polars as pl
>>> cat = parse_catalogue({"patterns": [
...     {"name": "gift_ring", "min": {"share_gift": 0.3}},
...     {"name": "dense_block", "detectors": ["dense_blocks"]}]})
>>> rings = pl.DataFrame({"share_gift": [0.9, 0.0, 0.0],
...     "detectors": [["lockstep"], ["dense_blocks"], ["lockstep"]]})
>>> classify(rings, cat)["pattern"].to_list()
['gift_ring', 'dense_block', 'other']
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl

from ringlens.exceptions import ConfigError

__all__ = [
    "OTHER",
    "RING_FEATURES",
    "Catalogue",
    "Pattern",
    "classify",
    "load_catalogue",
    "parse_catalogue",
]

#: The pattern of a ring no catalogue entry matches.
OTHER = "other"
_KEYS = {"name", "description", "min", "max", "detectors"}
#: The features of the rings stage (:mod:`ringlens.pipeline.detectors.structure`): the
#: run adds them after :func:`ringlens.rings.build_rings` has named the patterns, and names
#: them again (a ring frame without them takes them as missing: no bound on them holds).
STRUCTURE_FEATURES = ("max_coreness", "core_share", "n_brokers")
#: Every numeric ring feature of a run that a pattern's ``min``/``max`` may bound (see
#: docs/concepts.md); a catalogue is checked against it before the run starts.
RING_FEATURES = tuple(
    sorted(
        {
            "size",
            "n_targets",
            "density",
            "density_ratio",
            "synchrony",
            "synchrony_null",
            "synchrony_excess",
            "schedule_share",
            "camouflage_share",
            "shared_device_share",
            "shared_payout_account_share",
            "shared_coupon_share",
            "reciprocity",
            "inner_engagements",
            "inner_engagement_rate",
            "share_engagement",
            "share_purchase",
            "share_review",
            "share_click",
            "share_follow",
            "share_gift",
            "share_claim",
            "share_view",
            "share_unmapped",
            "ring_events",
            "value_lift",
            "owner_concentration",
            "effective_owners",
            "significance",
            "sig_null",
            "sig_actors",
            "sig_targets",
            "sig_owners",
            "sig_beyond",
            "beyond_share",
            "audience_share",
            "activity_share",
            "shared_targets",
            "new_account_share",
            "new_account_lift",
            "new_account_sig",
            "arrival_share",
            "arrival_lift",
            "arrival_sig",
            "prior_violations",
            *STRUCTURE_FEATURES,
        }
    )
)


@dataclass(frozen=True)
class Pattern:
    """One catalogue entry: ``min`` / ``max`` bounds on features, required detectors."""

    name: str
    description: str = ""
    min: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    max: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    detectors: tuple[str, ...] = ()

    def condition(self) -> pl.Expr:
        """True where a ring (a row of ring features) matches."""
        cond = pl.lit(True)
        for f, v in self.min.items():
            cond &= pl.col(f).fill_null(-math.inf) >= v
        for f, v in self.max.items():
            cond &= pl.col(f).fill_null(math.inf) <= v
        if self.detectors:
            cond &= (
                pl.col("detectors").list.eval(pl.element().is_in(list(self.detectors))).list.any()
            )
        return cond

    def features(self) -> set[str]:
        return set(self.min) | set(self.max)


@dataclass(frozen=True)
class Catalogue:
    """An ordered list of patterns and where it came from."""

    patterns: tuple[Pattern, ...]
    source: str = "built-in"

    @property
    def names(self) -> tuple[str, ...]:
        """Every pattern name a ring can get (in catalogue order, then ``other``)."""
        return tuple(dict.fromkeys([p.name for p in self.patterns] + [OTHER]))

    def check(
        self,
        features: Collection[str] = RING_FEATURES,
        detectors: Collection[str] | None = None,
    ) -> Catalogue:
        """The catalogue itself when every feature it bounds is one of ``features`` and
        every detector it names one of ``detectors`` (None: any); else a
        :class:`ConfigError` naming the pattern. A run checks before it reads its events:
        a misspelt name never silently matches nothing, on a day with rings or without.

        >>> parse_catalogue({"patterns": [{"name": "x", "min": {"sharegift": 0.3}}]}).check()
        Traceback (most recent call last):
        ...
        ringlens.exceptions.ConfigError: patterns: patterns[0] (x).min: unknown ring feature 'sharegift' ...
        """
        for i, p in enumerate(self.patterns):
            for bound, values in (("min", p.min), ("max", p.max)):
                unknown = sorted(set(values) - set(features))
                if unknown:
                    raise ConfigError(
                        f"{_where(self, i)}.{bound}: unknown ring feature {unknown[0]!r} "
                        f"(expected one of {', '.join(sorted(features))})"
                    )
            if detectors is not None:
                unknown = sorted(set(p.detectors) - set(detectors))
                if unknown:
                    raise ConfigError(
                        f"{_where(self, i)}.detectors: unknown detector {unknown[0]!r} "
                        f"(expected one of {', '.join(sorted(detectors))})"
                    )
        return self


def _where(catalogue: Catalogue, i: int) -> str:
    return f"{catalogue.source}: patterns[{i}] ({catalogue.patterns[i].name})"


def _bounds(value: Any, where: str) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table of feature = number, got {value!r}")
    out = {}
    for f, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ConfigError(f"{where}.{f}: expected a finite number, got {v!r}")
        out[str(f)] = float(v)
    return MappingProxyType(out)


def parse_catalogue(data: Mapping[str, Any], *, source: str = "patterns") -> Catalogue:
    """A catalogue from its TOML data (``[[patterns]]`` tables); errors name the entry."""
    items = data.get("patterns")
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{source}: expected [[patterns]] tables, got none")
    out = []
    for i, p in enumerate(items):
        where = f"{source}: patterns[{i}]"
        if not isinstance(p, Mapping):
            raise ConfigError(f"{where}: expected a table")
        extra = sorted(set(p) - _KEYS)
        if extra:
            raise ConfigError(
                f"{where}: unknown key {extra[0]!r} (expected one of {', '.join(sorted(_KEYS))})"
            )
        name = p.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: expected a name (a non-empty string)")
        dets = p.get("detectors", [])
        if not isinstance(dets, list) or not all(isinstance(d, str) for d in dets):
            raise ConfigError(f"{where}.detectors: expected a list of detector names")
        pat = Pattern(
            name=name,
            description=str(p.get("description", "")),
            min=_bounds(p.get("min", {}), f"{where}.min"),
            max=_bounds(p.get("max", {}), f"{where}.max"),
            detectors=tuple(dets),
        )
        if not pat.min and not pat.max and not pat.detectors:
            raise ConfigError(f"{where} ({name}): has no condition (min, max or detectors)")
        out.append(pat)
    return Catalogue(patterns=tuple(out), source=source)


def load_catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """A pattern catalogue from a TOML file (None: the shipped one)."""
    if path is None or str(path) == "":
        text = resources.files("ringlens.rings").joinpath("default_patterns.toml").read_text()
        return parse_catalogue(tomllib.loads(text), source="built-in")
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: pattern catalogue not found")
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot be read: {exc}") from None
    return parse_catalogue(data, source=str(p))


def classify(rings: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """``rings`` with a ``pattern`` column: the first catalogue pattern each ring matches.

    A feature a pattern names that ``rings`` lacks is a :class:`ConfigError` (a misspelt
    feature must not silently never match), and so is one that is not a number; the
    features of the rings stage (``max_coreness``, ``core_share``, ``n_brokers``), which
    the run adds after :func:`ringlens.rings.build_rings`, count as missing (no bound on
    them holds) until they are there: the run names the patterns again with them.
    """
    have = rings.schema
    pending = {}
    for i, p in enumerate(catalogue.patterns):
        for f in sorted(p.features()):
            if f not in have and f in STRUCTURE_FEATURES:
                pending[f] = pl.lit(None, dtype=pl.Float64).alias(f)
            elif f not in have:
                known = ", ".join(sorted(c for c, t in have.items() if t.is_numeric()))
                raise ConfigError(
                    f"{_where(catalogue, i)}: unknown ring feature {f!r} (expected one of {known})"
                )
            elif not have[f].is_numeric():
                raise ConfigError(
                    f"{_where(catalogue, i)}: ring feature {f!r} is {have[f]}, not a "
                    "number; min and max bound numbers"
                )
        if p.detectors and "detectors" not in have:
            raise ConfigError(f"{_where(catalogue, i)}: needs ring detectors")
    expr: pl.Expr = pl.lit(OTHER)
    for p in reversed(catalogue.patterns):
        expr = pl.when(p.condition()).then(pl.lit(p.name)).otherwise(expr)
    named = rings.with_columns(*pending.values()).with_columns(expr.alias("pattern"))
    return named.drop(list(pending)) if pending else named
