"""The ringlens error tree.

Every error a user can cause (bad input, bad config, an export that cannot be
written) is a :class:`RinglensError`. The CLI turns these into one line on
stderr and exit code 2; anything else is a bug and exits 1.
"""

from __future__ import annotations

__all__ = [
    "RinglensError",
    "InputError",
    "SchemaError",
    "ConfigError",
    "ExportError",
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
