"""Settings: defaults, ``ringlens.toml``, environment variables, flags — in that order.

Every setting has a default here. A config file overrides defaults; environment variables
``RINGLENS_<SECTION>__<KEY>`` (e.g. ``RINGLENS_GRAPH__MAX_TARGET_DEGREE=500``) override the
file; CLI flags override everything. Unknown sections or keys and values of the wrong type
are :class:`~ringlens.exceptions.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import copy
import math
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from ringlens.exceptions import ConfigError

__all__ = ["DEFAULTS", "Config", "load_config", "parse_duration"]

DEFAULTS: dict[str, dict[str, Any]] = {
    "input": {
        # contract column -> source column, e.g. actor_id = "user_id"
        "columns": {},
    },
    "graph": {
        "max_target_degree": 1000,
    },
    "detect": {
        "seed": 0,
        "dense_min_rows": 3,
        "lockstep_window": "3h",
        "lockstep_min_actors": 5,
        "lockstep_min_targets": 1,
        "lockstep_min_bursts": 2,
        "shared_max_household": 4,
        "shared_min_group": 3,
        "min_ring_size": 3,
    },
    "score": {
        "weights": {},
    },
    "export": {
        "sinks": ["parquet", "csv", "jsonl", "sqlite"],
        "database": "queue.sqlite",
        "requeue_margin": 10.0,
    },
    "viz": {
        "enabled": True,
        "max_nodes": 500,
        "max_ring_views": 200,
    },
    "run": {
        # 0 = no ceiling; otherwise the CLI stops the run cleanly above it and ingest
        # streams whenever the in-memory path would not fit
        "memory_limit_gb": 0.0,
        # "auto" (stream inputs larger than streaming_threshold_mb), "always" or "never"
        "streaming": "auto",
        "streaming_threshold_mb": 256,
    },
}

#: Allowed ranges: (minimum, maximum or None). Numbers must also be finite.
RANGES: dict[str, tuple[float, float | None]] = {
    "graph.max_target_degree": (0, None),
    "detect.seed": (0, None),
    "detect.dense_min_rows": (1, None),
    "detect.lockstep_min_actors": (2, None),
    "detect.lockstep_min_targets": (1, None),
    "detect.lockstep_min_bursts": (1, None),
    "detect.shared_max_household": (1, None),
    "detect.shared_min_group": (2, None),
    "detect.min_ring_size": (2, None),
    "export.requeue_margin": (0, 100),
    "viz.max_nodes": (1, None),
    "viz.max_ring_views": (0, None),
    "run.memory_limit_gb": (0, None),
    "run.streaming_threshold_mb": (0, None),
}
_CHOICES: dict[str, tuple[str, ...]] = {"run.streaming": ("auto", "always", "never")}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")


def parse_duration(value: str | int | float, *, key: str = "duration") -> timedelta:
    """Parse ``"90s"``, ``"15m"``, ``"3h"``, ``"2d"`` or a number of seconds.

    Examples
    --------
    >>> parse_duration("3h")
    datetime.timedelta(seconds=10800)
    >>> parse_duration("soon", key="detect.lockstep_window")
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: detect.lockstep_window: 'soon' is not a duration, expected e.g. '90s', '15m', '3h' or '2d'
    """
    if isinstance(value, bool):
        raise ConfigError(
            f"{key}: {value!r} is not a duration, expected e.g. '90s', '15m', '3h' or '2d'"
        )
    if isinstance(value, int | float):
        if value <= 0:
            raise ConfigError(f"{key}: must be positive, got {value!r}")
        return timedelta(seconds=float(value))
    m = _DURATION.match(str(value))
    if not m:
        raise ConfigError(
            f"{key}: {value!r} is not a duration, expected e.g. '90s', '15m', '3h' or '2d'"
        )
    n, unit = float(m.group(1)), m.group(2)
    if n <= 0:
        raise ConfigError(f"{key}: must be positive, got {value!r}")
    return timedelta(seconds=n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


def _typename(v: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(v), type(v).__name__)


def _coerce(section: str, key: str, default: Any, value: Any, source: str) -> Any:
    where = f"{source}: {section}.{key}"
    if isinstance(default, bool):
        if isinstance(value, str) and source.startswith("environment"):
            low = value.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected a boolean, got {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, str) and source.startswith("environment"):
            try:
                return int(value)
            except ValueError:
                raise ConfigError(f"{where}: expected an integer, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, str) and source.startswith("environment"):
            try:
                return float(value)
            except ValueError:
                raise ConfigError(f"{where}: expected a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(default, list):
        if isinstance(value, str) and source.startswith("environment"):
            return [x.strip() for x in value.split(",") if x.strip()]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return value
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported value {value!r}")  # pragma: no cover


def _check_range(dotted: str, value: Any, source: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{source}: {dotted}: expected a finite number, got {value!r}")
    rng = RANGES.get(dotted)
    if rng is not None:
        lo, hi = rng
        if value < lo or (hi is not None and value > hi):
            want = f">= {lo:g}" if hi is None else f"from {lo:g} to {hi:g}"
            raise ConfigError(f"{source}: {dotted}: expected a number {want}, got {value!r}")
    choices = _CHOICES.get(dotted)
    if choices is not None and value not in choices:
        raise ConfigError(
            f"{source}: {dotted}: expected one of {', '.join(choices)}, got {value!r}"
        )


class Config:
    """Resolved settings, read as ``config["graph"]["max_target_degree"]`` or
    ``config.get("graph.max_target_degree")``.

    Examples
    --------
    >>> c = Config.from_mapping({"graph": {"max_target_degree": 50}})
    >>> c.get("graph.max_target_degree"), c.get("detect.seed")
    (50, 0)
    >>> Config.from_mapping({"graph": {"max_degree": 5}})
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: settings: unknown key graph.max_degree (expected one of max_target_degree)
    """

    def __init__(self, data: dict[str, dict[str, Any]], sources: list[str] | None = None) -> None:
        self._data = data
        self.sources = sources or []

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self._data[section]

    def get(self, dotted: str) -> Any:
        section, _, key = dotted.partition(".")
        try:
            return self._data[section][key]
        except KeyError:
            raise ConfigError(f"unknown setting {dotted!r}") from None

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self._data)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, source: str = "settings") -> Config:
        data = copy.deepcopy(DEFAULTS)
        cls._merge(data, mapping, source)
        return cls(data, [source])

    @staticmethod
    def _merge(data: dict[str, dict[str, Any]], mapping: Mapping[str, Any], source: str) -> None:
        for section, values in mapping.items():
            if section not in data:
                raise ConfigError(
                    f"{source}: unknown section [{section}] (expected one of {', '.join(sorted(data))})"
                )
            if not isinstance(values, Mapping):
                raise ConfigError(f"{source}: [{section}] must be a table, got {values!r}")
            for key, value in values.items():
                if key not in data[section]:
                    raise ConfigError(
                        f"{source}: unknown key {section}.{key} (expected one of {', '.join(sorted(data[section]))})"
                    )
                v = _coerce(section, key, DEFAULTS[section][key], value, source)
                _check_range(f"{section}.{key}", v, source)
                data[section][key] = v

    def with_overrides(self, overrides: Mapping[str, Any], *, source: str = "flags") -> Config:
        """A copy with ``{"section.key": value}`` overrides (``None`` values are ignored)."""
        data = self.to_dict()
        nested: dict[str, dict[str, Any]] = {}
        for dotted, value in overrides.items():
            if value is None:
                continue
            section, _, key = dotted.partition(".")
            nested.setdefault(section, {})[key] = value
        self._merge(data, nested, source)
        return Config(data, [*self.sources, source])


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Defaults ← ``path`` (TOML) ← ``RINGLENS_SECTION__KEY`` environment ← ``overrides``.

    Without ``path``, ``./ringlens.toml`` is read if it exists.

    Examples
    --------
    >>> load_config(env={"RINGLENS_DETECT__SEED": "7"}).get("detect.seed")
    7
    """
    data = copy.deepcopy(DEFAULTS)
    sources = ["defaults"]
    p: Path | None = Path(path) if path is not None else None
    if p is None and Path("ringlens.toml").is_file():
        p = Path("ringlens.toml")
    if p is not None:
        if not p.is_file():
            raise ConfigError(f"{p}: config file not found")
        try:
            with p.open("rb") as fh:
                raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: cannot be read: {exc}") from None
        Config._merge(data, raw, str(p))
        sources.append(str(p))
    env = os.environ if env is None else env
    env_over: dict[str, dict[str, Any]] = {}
    for name, value in env.items():
        if not name.startswith("RINGLENS_") or "__" not in name:
            continue
        section, _, key = name[len("RINGLENS_") :].lower().partition("__")
        if section in ("require",):  # test-suite switches, not settings
            continue
        env_over.setdefault(section, {})[key] = value
    if env_over:
        Config._merge(data, env_over, "environment (RINGLENS_*)")
        sources.append("environment")
    cfg = Config(data, sources)
    if overrides:
        cfg = cfg.with_overrides(overrides)
    parse_duration(cfg.get("detect.lockstep_window"), key="detect.lockstep_window")
    from ringlens.risk.model import resolve_weights

    resolve_weights(cfg.get("score.weights"))  # a misspelt reason fails now, not after detection
    return cfg
