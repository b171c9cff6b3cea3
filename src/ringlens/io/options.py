"""How ingest reads files (:class:`InputOptions`), what it assumed (:class:`IngestReport`),
and the supported time range (:data:`TIME_RANGE`).

:class:`InputOptions` holds the ``input.*`` settings that describe a source's format
(CSV separator, decimal comma, timestamp format, time zone of naive timestamps); the
loaders in :mod:`ringlens.io.events` take it as ``options=``. :class:`IngestReport`
collects what the loaders read and what they assumed without being told (naive
timestamps read as UTC), for the run to say once and record in ``run.json``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ringlens.exceptions import ConfigError

__all__ = [
    "TIME_RANGE",
    "MAX_ID_BYTES",
    "DEFAULTABLE",
    "InputOptions",
    "IngestReport",
    "check_input_setting",
    "columns_by_name",
]

#: Every timestamp ringlens reads (event ``ts``, entity ``created_at``) must lie in
#: ``[TIME_RANGE[0], TIME_RANGE[1])``, in UTC. The lower end leaves room for the
#: date arithmetic of later steps (account age, time windows) within Python's
#: ``datetime`` (year 1 onwards) and still accepts the ``1900-01-01`` placeholder many
#: exports use; the upper end keeps every timestamp representable in nanoseconds
#: (pandas, Arrow ``timestamp[ns]``, Spark's pandas conversion end at 2262-04-11T23:47).
TIME_RANGE: tuple[datetime, datetime] = (
    datetime(1900, 1, 1, tzinfo=UTC),
    datetime(2262, 4, 11, tzinfo=UTC),
)

#: The longest id or type ringlens reads, in UTF-8 bytes (``actor_id``, ``target_type``,
#: ``entity_id``, ``action``, ``label``, ...). The PostgreSQL queue indexes
#: ``(entity_type, entity_id)``, and a B-tree entry holds at most about 2,700 bytes:
#: two values of 1,024 bytes fit, a longer id would make every upsert fail.
MAX_ID_BYTES = 1024

# strftime directives Polars' parser understands (chrono); one is required in a format
_DIRECTIVE = re.compile(r"%[-_0^#]?[a-zA-Z+%.:]")


def _zone_error(name: str) -> str | None:
    """None if Polars knows the IANA zone ``name``, else why not."""
    import polars as pl

    if not name.strip() or name != name.strip():
        return f"{name!r} is not an IANA time zone, expected e.g. 'Europe/Berlin' or 'UTC'"
    try:
        pl.Series([0], dtype=pl.Datetime("us")).dt.replace_time_zone(name)
    except (pl.exceptions.PolarsError, ValueError):
        return f"{name!r} is not an IANA time zone, expected e.g. 'Europe/Berlin' or 'UTC'"
    return None


def check_input_setting(key: str, value: Any) -> str | None:
    """Why ``value`` is not valid for the setting ``input.<key>``, or None if it is.

    One rule for the config file, the environment, flags and :class:`InputOptions`.

    Examples
    --------
    >>> check_input_setting("separator", ";") is None
    True
    >>> check_input_setting("separator", ";;")
    "expected one ASCII character other than a quote or a line break, got ';;'"
    >>> check_input_setting("timezone", "Mars/Base")
    "'Mars/Base' is not an IANA time zone, expected e.g. 'Europe/Berlin' or 'UTC'"
    """
    if key == "separator":
        if not isinstance(value, str) or len(value) != 1 or not value.isascii() or value in '"\r\n':
            return f"expected one ASCII character other than a quote or a line break, got {value!r}"
        return None
    if key == "timestamp_format":
        if not isinstance(value, str):
            return f"expected a string, got {value!r}"
        if value and not _DIRECTIVE.search(value):
            return (
                f"{value!r} has no strftime directive, expected e.g. '%d/%m/%Y %H:%M' "
                "(empty: ISO-8601)"
            )
        return None
    if key == "timezone":
        if not isinstance(value, str):
            return f"expected a string, got {value!r}"
        return _zone_error(value) if value else None
    if key == "decimal_comma":
        return None if isinstance(value, bool) else f"expected a boolean, got {value!r}"
    if key == "defaults":
        return _defaults_error(value)
    return None


#: The event columns ``input.defaults`` may give one value for every row of a file that
#: lacks them: the names of things, never ids, times or amounts.
DEFAULTABLE = ("actor_type", "target_type", "action", "market")


def _defaults_error(value: Any) -> str | None:
    """Why ``value`` is not a valid ``input.defaults`` table, or None."""
    if not isinstance(value, Mapping):
        return f"expected a table of column = value, e.g. {{actor_type = 'user'}}, got {value!r}"
    for key, v in value.items():
        if key not in DEFAULTABLE:
            return (
                f"column {key!r} cannot have a default (expected one of "
                f"{', '.join(DEFAULTABLE)}: ids, times and amounts come from the data)"
            )
        if not isinstance(v, str) or not v.strip():
            return f"{key}: expected a non-empty name, got {v!r}"
        if len(v.encode()) > MAX_ID_BYTES or "\x00" in v:
            return f"{key}: expected a name of at most {MAX_ID_BYTES} bytes without NUL, got {v[:40]!r}"
    return None


@dataclass(frozen=True)
class InputOptions:
    """How to read the input files: the ``input.*`` settings other than ``columns``.

    Parameters
    ----------
    separator
        CSV field separator (``input.separator``), one ASCII character; ``.tsv`` files
        always use a tab. A UTF-8 byte-order mark is always accepted.
    decimal_comma
        Numbers in text columns (``amount``) use a decimal comma, ``12,5``
        (``input.decimal_comma``); thousands separators are not accepted.
    timestamp_format
        strftime-style format of string timestamps (``input.timestamp_format``), e.g.
        ``"%d/%m/%Y %H:%M"``; values that do not match it are still tried as ISO-8601.
        None or ``""``: ISO-8601 only.
    defaults
        ``{column: value}`` (``input.defaults``): the value of an event column for every
        row of a file that lacks that column (after ``input.columns`` is applied), e.g.
        ``{"actor_type": "user", "target_type": "listing"}`` for an export of
        ``user_id, listing_id, action, ts``. Only the columns of :data:`DEFAULTABLE`; a
        file that has the column keeps its own values.
    timezone
        IANA zone of naive timestamps (``input.timezone``): strings without an offset,
        Parquet datetimes without a zone, dates. None or ``""``: UTC, and the
        :class:`IngestReport` records where naive timestamps were read that way.
        Local times that occur twice (clocks going back) take the earlier instant;
        local times that do not exist (clocks going forward) are an error.

    Raises
    ------
    ConfigError
        Naming the setting, e.g. ``input.timezone: 'Mars/Base' is not an IANA time zone``.

    Examples
    --------
    >>> InputOptions(separator=";", timestamp_format="%d/%m/%Y", timezone="Europe/Paris").zone
    'Europe/Paris'
    >>> InputOptions().zone, InputOptions().zone_declared
    ('UTC', False)
    >>> InputOptions(timezone="Europe/Pariss")
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: input.timezone: 'Europe/Pariss' is not an IANA time zone, expected e.g. 'Europe/Berlin' or 'UTC'
    """

    separator: str = ","
    decimal_comma: bool = False
    timestamp_format: str | None = None
    timezone: str | None = None
    defaults: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in ("separator", "decimal_comma", "timestamp_format", "timezone", "defaults"):
            value = getattr(self, key)
            if value is None and key in ("timestamp_format", "timezone"):
                continue
            why = check_input_setting(key, value)
            if why is not None:
                raise ConfigError(f"input.{key}: {why}")

    @property
    def zone(self) -> str:
        """The zone naive timestamps are read in (``"UTC"`` unless declared)."""
        return self.timezone or "UTC"

    @property
    def zone_declared(self) -> bool:
        """Whether ``input.timezone`` was set (naive timestamps are then not reported)."""
        return bool(self.timezone)

    @property
    def format(self) -> str | None:
        """The declared timestamp format, or None for ISO-8601 only."""
        return self.timestamp_format or None

    @classmethod
    def from_settings(cls, settings: Any) -> InputOptions:
        """From the ``[input]`` settings: a :class:`~ringlens.config.Config` (its ``input``
        section is used), its ``input`` section, or a mapping of the same keys.

        Examples
        --------
        >>> from ringlens.config import Config
        >>> cfg = Config.from_mapping({"input": {"separator": ";", "timezone": "Europe/Berlin"}})
        >>> InputOptions.from_settings(cfg)
        InputOptions(separator=';', decimal_comma=False, timestamp_format=None, timezone='Europe/Berlin', defaults={})
        >>> InputOptions.from_settings({"timestamp_format": "%d/%m/%Y"}).format
        '%d/%m/%Y'
        """
        section = getattr(settings, "input", settings)
        if isinstance(section, Mapping):
            get = section.get
        else:

            def get(key: str, default: Any = None) -> Any:
                return getattr(section, key, default)

        return cls(
            separator=get("separator", ","),
            decimal_comma=bool(get("decimal_comma", False)),
            timestamp_format=get("timestamp_format", "") or None,
            timezone=get("timezone", "") or None,
            defaults=dict(get("defaults", None) or {}),
        )


def _loose(name: str) -> str:
    """A column name as :func:`columns_by_name` compares it: lower case, letters and
    digits only (``"Actor ID"``, ``"ACTOR_ID"`` and ``"actorId"`` are ``"actorid"``)."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def columns_by_name(
    contract: list[str], have: list[str], mapping: Mapping[str, str]
) -> dict[str, str]:
    """Contract column → the file's column that names it in another spelling, for the
    contract columns that ``mapping`` does not map and the file lacks by exact name.

    A platform's export writes ``Actor_ID``, ``ACTION`` or ``Target Type``: the name is
    the contract's once case, spaces, underscores and hyphens are set aside. A column is
    taken only where exactly one of the file's columns so matches and no mapping or
    contract column already uses it, and never one padded with spaces (a file written
    with ``", "`` between fields, whose values are padded too); otherwise the file lacks
    the column as before (and ``input.columns`` names it).

    Examples
    --------
    >>> columns_by_name(["actor_id", "ts", "amount"], ["Actor_ID", "TS", "ts2"], {})
    {'actor_id': 'Actor_ID', 'ts': 'TS'}
    >>> columns_by_name(["actor_id"], ["actorId", "ACTOR_ID"], {})  # which? neither
    {}
    >>> columns_by_name(["actor_id", "ts"], ["user", "TS"], {"actor_id": "user"})
    {'ts': 'TS'}
    """
    taken = {*mapping.values(), *(c for c in contract if c in have)}
    free: dict[str, list[str]] = {}
    for col in have:
        # a name padded with spaces is a ", "-separated file, whose values are padded too
        if col not in taken and col == col.strip():
            free.setdefault(_loose(col), []).append(col)
    out = {}
    for name in contract:
        if name in mapping or name in have:
            continue
        match = free.get(_loose(name), [])
        if len(match) == 1:
            out[name] = match[0]
    return out


def _where(pairs: list[tuple[str, str]]) -> str:
    """``path: 'column'`` for the first three pairs, and how many more."""
    parts = [f"{p}: {c!r}" for p, c in pairs[:3]]
    more = len(pairs) - 3
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


@dataclass
class IngestReport:
    """What the loaders read and assumed; pass one as ``report=`` to each loader of a run.

    Attributes
    ----------
    files
        One entry per file read: ``{"table", "path", "format", "rows"}`` (``rows`` is None
        when the file was not validated, e.g. ``scan_events(validate=False)``).
    naive_as_utc
        ``(path, column)`` pairs where timestamps without a UTC offset were read as UTC
        because ``input.timezone`` is not set.
    unix_time
        ``(path, column)`` pairs where numbers (or digits) were read as Unix time.
    defaulted
        ``(path, column)`` pairs where the file lacked the column and ``input.defaults``
        gave its value.
    by_name
        ``(path, column)`` pairs where a column was read as the contract's column of its
        name in another spelling (``"ACTOR_ID as actor_id"``; :func:`columns_by_name`).

    Examples
    --------
    >>> r = IngestReport()
    >>> r.notice() is None
    True
    >>> r.naive_as_utc.append(("events.csv", "ts"))
    >>> r.notice()
    "timestamps without a UTC offset were read as UTC (events.csv: 'ts'); set input.timezone to read them in another zone"
    """

    files: list[dict[str, Any]] = field(default_factory=list)
    naive_as_utc: list[tuple[str, str]] = field(default_factory=list)
    unix_time: list[tuple[str, str]] = field(default_factory=list)
    defaulted: list[tuple[str, str]] = field(default_factory=list)
    by_name: list[tuple[str, str]] = field(default_factory=list)

    def add_file(
        self, table: str, path: os.PathLike[str] | str, fmt: str, rows: int | None
    ) -> None:
        self.files.append({"table": table, "path": str(path), "format": fmt, "rows": rows})

    def notice(self) -> str | None:
        """One line for the run to print when naive timestamps were read as UTC or numbers
        as Unix time, else None.

        Examples
        --------
        >>> r = IngestReport(unix_time=[("events.parquet", "ts")])
        >>> r.notice()
        "numbers were read as Unix time, the unit from each value's size (s below 1e11, ms below 1e14, µs below 1e17, else ns) (events.parquet: 'ts')"
        """
        lines = []
        if self.naive_as_utc:
            lines.append(
                f"timestamps without a UTC offset were read as UTC ({_where(self.naive_as_utc)}); "
                "set input.timezone to read them in another zone"
            )
        if self.unix_time:
            lines.append(
                "numbers were read as Unix time, the unit from each value's size (s below "
                f"1e11, ms below 1e14, µs below 1e17, else ns) ({_where(self.unix_time)})"
            )
        if self.by_name:
            lines.append(
                f"columns were read by their names in another spelling ({_where(self.by_name)}); "
                "name them in input.columns to read others"
            )
        return "; ".join(lines) or None

    def to_dict(self) -> dict[str, Any]:
        """For ``run.json``: the files read and where naive timestamps were taken as UTC.

        Examples
        --------
        >>> r = IngestReport(); r.add_file("events", "e.csv", "csv", 4)
        >>> r.to_dict()["files"]
        [{'table': 'events', 'path': 'e.csv', 'format': 'csv', 'rows': 4}]
        """
        return {
            "files": [dict(f) for f in self.files],
            "naive_timestamps_as_utc": [{"path": p, "column": c} for p, c in self.naive_as_utc],
            "unix_time": [{"path": p, "column": c} for p, c in self.unix_time],
            "columns_from_defaults": [{"path": p, "column": c} for p, c in self.defaulted],
            "columns_by_name": [{"path": p, "column": c} for p, c in self.by_name],
            "time_range_utc": [t.isoformat() for t in TIME_RANGE],
        }
