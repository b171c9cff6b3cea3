"""The ringlens error tree.

Every error a user can cause (bad input, bad config, an export that cannot be
written) is a :class:`RinglensError`. The CLI turns these into one line on
stderr and exit code 2; anything else is a bug and exits 1.
"""

from __future__ import annotations

import math
import numbers

__all__ = [
    "RinglensError",
    "InputError",
    "SchemaError",
    "ConfigError",
    "ExportError",
    "check_float",
    "check_int",
]


class RinglensError(Exception):
    """Base class for every error ringlens raises on purpose."""


class InputError(RinglensError):
    """Input data cannot be read: missing, empty, unreadable, unparseable values."""


class SchemaError(InputError):
    """Input data is readable but does not follow the data contract (columns, types, nulls)."""


class ConfigError(RinglensError):
    """A config or policy file (or a setting passed in code) is invalid."""


class ExportError(RinglensError):
    """A result could not be written to a sink (file, SQLite, PostgreSQL)."""


def check_int(name: str, value: object, minimum: int, *, allow_none: bool = False) -> int | None:
    """An integer parameter (numpy integers too), at least ``minimum``; else a
    :class:`ConfigError` naming it.

    Examples
    --------
    >>> check_int("hops", 2, 1)
    2
    >>> check_int("hops", 0, 1)
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: hops must be an integer >= 1, got 0
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        extra = " or None" if allow_none else ""
        raise ConfigError(f"{name} must be an integer >= {minimum}{extra}, got {value!r}")
    return int(value)


def check_float(
    name: str, value: object, *, low: float, high: float | None = None, low_open: bool = False
) -> float:
    """A finite number within ``[low, high]`` (``(low, high]`` if ``low_open``); else a
    :class:`ConfigError` naming it.

    Examples
    --------
    >>> check_float("alpha", 0.5, low=0.0, high=1.0, low_open=True)
    0.5
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)  # type: ignore[arg-type]
        ok = (
            math.isfinite(v) and (v > low if low_open else v >= low) and (high is None or v <= high)
        )
    if not ok:
        lo = f"> {low}" if low_open else f">= {low}"
        hi = "" if high is None else f" and <= {high}"
        raise ConfigError(f"{name} must be a number {lo}{hi}, got {value!r}")
    return float(value)  # type: ignore[arg-type]
