"""Settings: defaults, ``ringlens.toml``, environment variables, flags — in that order.

Settings are typed and immutable: :class:`Config` holds one frozen section object per
``[section]`` of the file (``config.detect.lockstep_window``, ``config.graph.max_target_degree``),
so a misspelt name fails where it is written, not deep inside a run.

Every setting has a default here. :func:`load_config` reads a config file (the one given, or
``./ringlens.toml`` when there is one), then environment variables
``RINGLENS_<SECTION>__<KEY>`` (e.g. ``RINGLENS_GRAPH__MAX_TARGET_DEGREE=500``), then
overrides (the CLI's flags). Library functions never read the working directory or the
environment themselves: they take a :class:`Config` (default: ``Config()``, the defaults),
and only :func:`load_config` looks outside. Unknown sections or keys and values of the wrong
type or range are :class:`~ringlens.exceptions.ConfigError` naming the source and the key.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from ringlens.exceptions import ConfigError

__all__ = [
    "ACTION_ROLES",
    "DEFAULTS",
    "ENTITY_ROLES",
    "Config",
    "DetectSettings",
    "ExportSettings",
    "GraphSettings",
    "InputSettings",
    "RunSettings",
    "ScoreSettings",
    "VizSettings",
    "VocabularySettings",
    "CalibrateSettings",
    "effective_threads",
    "load_config",
    "load_vocabulary",
    "normalise_name",
    "parse_duration",
    "role_table",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})

#: What an action does: the roles ``[vocabulary.actions]`` maps a platform's names to.
ACTION_ROLES: tuple[str, ...] = (
    "engagement",  # reactions to content, items, lives: like, comment, share
    "purchase",  # buying an item
    "review",  # a review or rating of an item or an account
    "click",  # clicks on links: affiliate, ads
    "follow",  # account -> account: follow, subscribe
    "gift",  # gifts, tips, payments to an account or a live
    "claim",  # claiming or redeeming a coupon, voucher, promotion
    "login",  # account -> device
    "payout",  # account -> payout account
    "own",  # ownership: post content, list a product, host a live
    "view",  # passive views, watching
)
#: What an entity type is: the roles ``[vocabulary.entities]`` maps a platform's names to.
ENTITY_ROLES: tuple[str, ...] = (
    "account",  # acts and can be enforced on
    "item",  # products, listings, SKUs
    "content",  # posts, videos
    "live",  # live sessions, streams
    "device",
    "payout_account",
    "coupon",  # coupons, vouchers, promo codes
)

#: Longest duration a setting may hold (100 years): beyond it ``timedelta`` overflows.
MAX_DURATION_S = 100 * 365 * 86400
#: Shortest duration a setting may hold (event times are kept to the microsecond).
MIN_DURATION_S = 1e-3

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_HINT = "expected e.g. '90s', '15m', '3h' or '2d'"


def parse_duration(value: str | int | float, *, key: str = "duration") -> timedelta:
    """Parse ``"90s"``, ``"15m"``, ``"3h"``, ``"2d"`` or a number of seconds.

    Durations from 1 ms to 100 years are accepted; anything else is a
    :class:`~ringlens.exceptions.ConfigError` naming ``key``.

    Examples
    --------
    >>> parse_duration("3h")
    datetime.timedelta(seconds=10800)
    >>> parse_duration("soon", key="detect.lockstep_window")
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: detect.lockstep_window: 'soon' is not a duration, expected e.g. '90s', '15m', '3h' or '2d'
    >>> parse_duration("99999999999999d", key="detect.lockstep_window")
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: detect.lockstep_window: '99999999999999d' is out of range, expected from 1 ms to 100 years
    """
    if isinstance(value, bool):
        raise ConfigError(f"{key}: {value!r} is not a duration, {_DURATION_HINT}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ConfigError(f"{key}: {value!r} is not a duration, {_DURATION_HINT}")
        seconds = float(m.group(1)) * _UNIT_S[m.group(2)]
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{key}: must be positive, got {value!r}")
    if seconds < MIN_DURATION_S or seconds > MAX_DURATION_S:
        raise ConfigError(f"{key}: {value!r} is out of range, expected from 1 ms to 100 years")
    return timedelta(seconds=seconds)


_SPACE = re.compile(r"[ \t\r\n]+")


def normalise_name(name: str) -> str:
    """An action or entity-type name as the run compares it: runs of spaces, tabs and
    line breaks collapsed to one space, trimmed, lower case (other characters, control
    characters included, are kept: they are part of the name).

    Examples
    --------
    >>> normalise_name("  Affiliate   Click ")
    'affiliate click'
    >>> normalise_name("a-b") == "a-b", normalise_name(" Gift  Card") == "gift card"
    (True, True)
    """
    return _SPACE.sub(" ", name).strip(" ").lower()


def _setting(
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    duration: bool = False,
    roles: tuple[str, ...] | None = None,
    item: str | None = None,
    input_option: bool = False,
) -> Any:
    """A settings field: its default and the checks a value must pass (``item``: what one
    element of a list is called in messages; ``input_option``: the rule of
    :func:`ringlens.io.options.check_input_setting`)."""
    meta = {
        "lo": lo,
        "hi": hi,
        "choices": choices,
        "duration": duration,
        "roles": roles,
        "item": item,
        "input_option": input_option,
    }
    if isinstance(default, Mapping):
        frozen = MappingProxyType(dict(default))
        return field(default_factory=lambda: frozen, metadata=meta)
    return field(default=default, metadata=meta)


def _plain(v: Any) -> Any:
    """Settings values as plain dicts and lists (for JSON and TOML)."""
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


class _Section:
    """Shared behaviour of the settings sections (frozen dataclasses)."""

    NAME: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class InputSettings(_Section):
    """``[input]``: how the input files are read."""

    NAME: ClassVar[str] = "input"
    #: contract column -> source column, e.g. ``actor_id = "user_id"``
    columns: Mapping[str, str] = _setting({})
    #: CSV field separator, one ASCII character (``;`` ``|`` ``\t``); ``.tsv`` files use a tab
    separator: str = _setting(",", input_option=True)
    #: amounts written with a decimal comma (``12,5``), as European spreadsheets export them
    decimal_comma: bool = _setting(False, input_option=True)
    #: strftime-style format of text timestamps, e.g. ``%d/%m/%Y %H:%M`` (``""``: ISO-8601);
    #: values that do not match it are still tried as ISO-8601
    timestamp_format: str = _setting("", input_option=True)
    #: IANA zone of timestamps without a UTC offset, e.g. ``Europe/Berlin``; ``""``: they are
    #: read as UTC (and the ingest report says so)
    timezone: str = _setting("", input_option=True)
    #: event column -> its value in every row of a file without that column, e.g.
    #: ``actor_type = "user"`` (only actor_type, target_type, action, market)
    defaults: Mapping[str, str] = _setting({}, input_option=True)


@dataclass(frozen=True)
class GraphSettings(_Section):
    """``[graph]``: building the event graph."""

    NAME: ClassVar[str] = "graph"
    max_target_degree: int = _setting(1000, lo=0)


@dataclass(frozen=True)
class DetectSettings(_Section):
    """``[detect]``: the detectors."""

    NAME: ClassVar[str] = "detect"
    seed: int = _setting(0, lo=0)
    dense_min_rows: int = _setting(3, lo=1)
    #: FRAUDAR's column weights in the dense-block search: "log" (1 / log(d + 5)), "sqrt"
    #: (1 / sqrt(d + 5): popular targets count for less) or "auto" (sqrt on families whose
    #: targets the vocabulary names items or content, log on the others; docs/design.md)
    dense_column_weighting: str = _setting("auto", choices=("auto", "log", "sqrt"))
    lockstep_window: str = _setting("3h", duration=True)
    lockstep_min_actors: int = _setting(5, lo=2)
    lockstep_min_targets: int = _setting(1, lo=1)
    lockstep_min_bursts: int = _setting(2, lo=1)
    shared_max_household: int = _setting(4, lo=1)
    shared_min_group: int = _setting(3, lo=2)
    min_ring_size: int = _setting(3, lo=2)
    #: pattern catalogue (TOML); "" = the shipped one
    patterns: str = _setting("")
    #: registered detectors the run skips (names, e.g. ["communities"]; for ablations)
    disable: tuple[str, ...] = _setting(())

    @property
    def window(self) -> timedelta:
        """``lockstep_window`` as a :class:`~datetime.timedelta`."""
        return parse_duration(self.lockstep_window, key="detect.lockstep_window")


@dataclass(frozen=True)
class ScoreSettings(_Section):
    """``[score]``: risk scores."""

    NAME: ClassVar[str] = "score"
    #: reason code -> points (overrides the built-in weights)
    weights: Mapping[str, float] = _setting({})


@dataclass(frozen=True)
class ExportSettings(_Section):
    """``[export]``: the queue's sinks."""

    NAME: ClassVar[str] = "export"
    sinks: tuple[str, ...] = _setting(
        ("parquet", "csv", "jsonl", "sqlite"),
        choices=("parquet", "csv", "jsonl", "sqlite", "postgres"),
        item="sink",
    )
    database: str = _setting("queue.sqlite")
    requeue_margin: float = _setting(10.0, lo=0, hi=100)


@dataclass(frozen=True)
class VizSettings(_Section):
    """``[viz]``: investigator views."""

    NAME: ClassVar[str] = "viz"
    enabled: bool = _setting(True)
    max_nodes: int = _setting(500, lo=1)
    max_ring_views: int = _setting(200, lo=0)


@dataclass(frozen=True)
class RunSettings(_Section):
    """``[run]``: memory and streaming of the whole job."""

    NAME: ClassVar[str] = "run"
    # 0 = no ceiling; otherwise the CLI stops the run cleanly above it and ingest
    # streams whenever the in-memory path would not fit
    memory_limit_gb: float = _setting(0.0, lo=0)
    # "auto" (stream inputs larger than streaming_threshold_mb), "always" or "never"
    streaming: str = _setting("auto", choices=("auto", "always", "never"))
    streaming_threshold_mb: int = _setting(256, lo=0)
    # threads for the detectors that run side by side and for the ring views; 0 = one per
    # core this process may use. Results do not depend on it (same bits with 1 or 8).
    threads: int = _setting(0, lo=0)


def effective_threads(threads: int) -> int:
    """``run.threads`` as a number of threads: 0 = the cores this process may run on.

    Examples
    --------
    >>> effective_threads(3)
    3
    >>> effective_threads(0) >= 1
    True
    """
    if threads > 0:
        return threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def role_table(value: Mapping[str, Any], roles: tuple[str, ...], where: str) -> Mapping[str, Any]:
    """A ``role = [names]`` table, checked: known roles, lists of non-empty names, no name
    with two roles (names compared case- and whitespace-insensitively)."""
    seen: dict[str, str] = {}
    out = {}
    for role, names in value.items():
        if role not in roles:
            raise ConfigError(
                f"{where}: unknown role {role!r} (expected one of {', '.join(roles)})"
            )
        if not isinstance(names, list | tuple) or not all(
            isinstance(n, str) and n.strip() for n in names
        ):
            raise ConfigError(f"{where}.{role}: expected a list of names, got {names!r}")
        for n in names:
            key = normalise_name(n)
            if seen.get(key, role) != role:
                raise ConfigError(
                    f"{where}: {n!r} has two roles ({seen[key]!r} and {role!r}); give it one"
                )
            seen[key] = role
        out[role] = tuple(names)
    return MappingProxyType(out)


@dataclass(frozen=True)
class VocabularySettings(_Section):
    """``[vocabulary]``: a platform's action and entity-type names mapped to roles.

    An empty table means the built-in vocabulary of the bundled data
    (:data:`ringlens.pipeline.vocabulary.DEFAULT_VOCABULARY`); a table given replaces it.
    """

    NAME: ClassVar[str] = "vocabulary"
    #: role -> action names, e.g. ``purchase = ["checkout"]``
    actions: Mapping[str, tuple[str, ...]] = _setting({}, roles=ACTION_ROLES)
    #: role -> entity-type names, e.g. ``account = ["viewer", "host"]``
    entities: Mapping[str, tuple[str, ...]] = _setting({}, roles=ENTITY_ROLES)
    #: unmapped action names stop the run (exit 2) instead of a warning
    strict: bool = _setting(False)


@dataclass(frozen=True)
class CalibrateSettings(_Section):
    """``[calibrate]``: learning from reviewers' verdicts (``ringlens calibrate``) and the
    drift check of the inputs."""

    NAME: ClassVar[str] = "calibrate"
    target_precision: float = _setting(0.9, lo=0.01, hi=1.0)
    #: queue -> its own target precision (e.g. ``{ enforcement = 0.98 }``)
    queue_targets: Mapping[str, float] = _setting({})
    min_verdicts: int = _setting(20, lo=1)
    min_gain: float = _setting(0.02, lo=0, hi=1)
    holdout_runs: int = _setting(1, lo=1)
    prior_sd: float = _setting(15.0, lo=0.1)
    drift_drop: float = _setting(0.5, lo=0, hi=1)
    drift_min_events: int = _setting(100, lo=0)


_SECTIONS: tuple[type[_Section], ...] = (
    InputSettings,
    GraphSettings,
    DetectSettings,
    ScoreSettings,
    ExportSettings,
    VizSettings,
    RunSettings,
    VocabularySettings,
    CalibrateSettings,
)


def _defaults_view() -> Mapping[str, Mapping[str, Any]]:
    out = {}
    for cls in _SECTIONS:
        sec = cls()
        out[cls.NAME] = MappingProxyType(
            {f.name: getattr(sec, f.name) for f in fields(sec)}  # type: ignore[arg-type]
        )
    return MappingProxyType(out)


#: Every setting's default, read-only: ``DEFAULTS["detect"]["lockstep_window"]``.
DEFAULTS: Mapping[str, Mapping[str, Any]] = _defaults_view()


def _typename(default: Any) -> str:
    if isinstance(default, bool):
        return "a boolean"
    if isinstance(default, int):
        return "an integer"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, tuple):
        return "a list of strings"
    return "a table"


def _from_env(default: Any, value: str) -> Any:
    """An environment variable's text as the type of ``default`` (None: not convertible)."""
    if isinstance(default, bool):
        low = value.strip().lower()
        return {"1": True, "true": True, "yes": True, "on": True}.get(
            low, {"0": False, "false": False, "no": False, "off": False}.get(low)
        )
    try:
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        return None
    if isinstance(default, tuple):
        return [x.strip() for x in value.split(",") if x.strip()]
    return value


def _coerce(f: Any, value: Any, where: str, *, from_env: bool) -> Any:
    """Check ``value`` against the field ``f`` (its default's type and its range)."""
    default = f.default if f.default is not MISSING else f.default_factory()
    if from_env and isinstance(value, str) and not isinstance(default, str | Mapping):
        converted = _from_env(default, value)
        if converted is None:
            raise ConfigError(f"{where}: expected {_typename(default)}, got {value!r}")
        value = converted
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, tuple):
        ok = isinstance(value, list | tuple) and all(isinstance(x, str) for x in value)
        value = tuple(value) if ok else value
    else:
        ok = isinstance(value, Mapping)
        if ok and f.metadata.get("roles"):
            value = role_table(value, f.metadata["roles"], where)
        elif ok:
            value = MappingProxyType(dict(value))
    if not ok:
        raise ConfigError(f"{where}: expected {_typename(default)}, got {value!r}")
    _check_range(f, value, where)
    return value


def _check_range(f: Any, value: Any, where: str) -> None:
    meta = f.metadata
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, got {value!r}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and (value < lo or (hi is not None and value > hi)):
        want = f">= {lo:g}" if hi is None else f"from {lo:g} to {hi:g}"
        raise ConfigError(f"{where}: expected a number {want}, got {value!r}")
    choices = meta.get("choices")
    if choices and isinstance(value, tuple):
        bad = [v for v in value if v not in choices]
        if bad:
            item = meta.get("item") or "value"
            raise ConfigError(
                f"{where}: unknown {item} {bad[0]!r} (expected any of {', '.join(choices)})"
            )
    elif choices and value not in choices:
        raise ConfigError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
    if meta.get("duration"):
        parse_duration(value, key=where)
    if meta.get("roles"):
        role_table(value, meta["roles"], where)
    if meta.get("input_option"):
        from ringlens.io.options import check_input_setting

        why = check_input_setting(f.name, value)
        if why is not None:
            raise ConfigError(f"{where}: {why}")


@dataclass(frozen=True)
class Config:
    """Resolved settings: one frozen section per ``[section]`` of ``ringlens.toml``.

    Examples
    --------
    >>> c = Config.from_mapping({"graph": {"max_target_degree": 50}})
    >>> c.graph.max_target_degree, c.detect.seed, Config().detect.window
    (50, 0, datetime.timedelta(seconds=10800))
    >>> Config.from_mapping({"graph": {"max_degree": 5}})
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: settings: unknown key graph.max_degree (expected one of max_target_degree)
    """

    input: InputSettings = field(default_factory=InputSettings)
    graph: GraphSettings = field(default_factory=GraphSettings)
    detect: DetectSettings = field(default_factory=DetectSettings)
    score: ScoreSettings = field(default_factory=ScoreSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    viz: VizSettings = field(default_factory=VizSettings)
    run: RunSettings = field(default_factory=RunSettings)
    vocabulary: VocabularySettings = field(default_factory=VocabularySettings)
    calibrate: CalibrateSettings = field(default_factory=CalibrateSettings)
    #: where the values came from, in order (``run.json`` records it)
    sources: tuple[str, ...] = ("defaults",)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Every setting as plain nested dicts (what ``run.json`` records)."""
        return {cls.NAME: getattr(self, cls.NAME).to_dict() for cls in _SECTIONS}

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, source: str = "settings") -> Config:
        """Defaults updated with ``{section: {key: value}}`` (as a TOML file reads)."""
        return cls().merged(mapping, source=source)

    def merged(self, mapping: Mapping[str, Any], *, source: str, from_env: bool = False) -> Config:
        """A copy with ``{section: {key: value}}`` applied and checked, ``source`` recorded."""
        changes: dict[str, _Section] = {}
        names = {c.NAME: c for c in _SECTIONS}
        for section, values in mapping.items():
            if section not in names:
                raise ConfigError(
                    f"{source}: unknown section [{section}] (expected one of {', '.join(sorted(names))})"
                )
            if not isinstance(values, Mapping):
                raise ConfigError(f"{source}: [{section}] must be a table, got {values!r}")
            current = changes.get(section, getattr(self, section))
            by_name = {f.name: f for f in fields(current)}  # type: ignore[arg-type]
            update = {}
            for key, value in values.items():
                if key not in by_name:
                    raise ConfigError(
                        f"{source}: unknown key {section}.{key} (expected one of {', '.join(sorted(by_name))})"
                    )
                where = f"{source}: {section}.{key}"
                update[key] = _coerce(by_name[key], value, where, from_env=from_env)
            changes[section] = replace(current, **update)  # type: ignore[type-var]
        return replace(self, **changes, sources=(*self.sources, source))  # type: ignore[arg-type]

    def with_overrides(self, overrides: Mapping[str, Any], *, source: str = "flags") -> Config:
        """A copy with ``{"section.key": value}`` overrides (``None`` values are ignored)."""
        nested: dict[str, dict[str, Any]] = {}
        for dotted, value in overrides.items():
            if value is None:
                continue
            section, _, key = dotted.partition(".")
            nested.setdefault(section, {})[key] = value
        return self.merged(nested, source=source) if nested else self


def _read_toml(p: Path) -> dict[str, Any]:
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{p}: not valid TOML: nested too deeply") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot be read: {exc}") from None


def load_vocabulary(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A vocabulary file: a ``[vocabulary]`` table, or its ``[actions]`` / ``[entities]``
    tables at the top level (as ``ringlens synth`` writes ``vocabulary.toml``)."""
    p = Path(path)
    raw = _read_toml(p)
    table = raw.get("vocabulary", raw)
    extra = sorted(set(raw) - {"vocabulary"}) if "vocabulary" in raw else []
    if not isinstance(table, Mapping) or extra:
        raise ConfigError(
            f"{p}: expected a [vocabulary] table (or [actions] and [entities] tables)"
        )
    return {"vocabulary": dict(table)}


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    cwd: bool = True,
    vocabulary: str | os.PathLike[str] | None = None,
) -> Config:
    """Defaults ← ``path`` (TOML) ← ``vocabulary`` (TOML) ← ``RINGLENS_SECTION__KEY``
    environment ← ``overrides``.

    Without ``path``, ``./ringlens.toml`` is read if it exists (``cwd=False`` skips it);
    ``env`` defaults to ``os.environ`` (pass ``{}`` to ignore the environment);
    ``vocabulary`` is a vocabulary file (:func:`load_vocabulary`).

    Examples
    --------
    >>> load_config(env={"RINGLENS_DETECT__SEED": "7"}, cwd=False).detect.seed
    7
    >>> load_config(env={"RINGLENS_DETECT__LOCKSTEP_WINDOW": "0.0000001s"}, cwd=False)
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: environment (RINGLENS_*): detect.lockstep_window: '0.0000001s' is out of range, expected from 1 ms to 100 years
    """
    cfg = Config()
    p: Path | None = Path(path) if path is not None else None
    if p is None and cwd and Path("ringlens.toml").is_file():
        p = Path("ringlens.toml")
    if p is not None:
        cfg = cfg.merged(_read_toml(p), source=str(p))
    if vocabulary is not None:
        cfg = cfg.merged(load_vocabulary(vocabulary), source=str(vocabulary))
    env = os.environ if env is None else env
    env_over: dict[str, dict[str, Any]] = {}
    for name, value in sorted(env.items()):
        if not name.startswith("RINGLENS_") or "__" not in name:
            continue
        section, _, key = name[len("RINGLENS_") :].lower().partition("__")
        env_over.setdefault(section, {})[key] = value
    if env_over:
        cfg = cfg.merged(env_over, source="environment (RINGLENS_*)", from_env=True)
        cfg = replace(cfg, sources=(*cfg.sources[:-1], "environment"))
    if overrides:
        cfg = cfg.with_overrides(overrides)
    return cfg
