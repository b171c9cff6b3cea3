"""Read and validate the ``events``, ``entities`` and ``labels`` tables.

The data contract (DESIGN.md):

========== ==================================== ========
column     type                                 required
========== ==================================== ========
actor_id   string                               yes
actor_type string                               yes
target_id  string                               yes
target_type string                              yes
action     string                               yes
ts         datetime (UTC), ISO-8601 or Unix time yes
amount     float                                no
market     string                               no
========== ==================================== ========

Every problem is raised as a :class:`~ringlens.exceptions.SchemaError` or
:class:`~ringlens.exceptions.InputError` whose one-line message names the file,
the column, the first offending row (1-based, counting data rows, not the CSV
header) and what was expected.

Integer ids are accepted and read as strings (``42`` and ``"42"`` are the same
id); a column of floats, booleans, lists or structs as ids is a type error. NDJSON
is read with the contract's types for every row (the first 10,000 rows only decide
whether a column exists and is of a usable type): ids, text and timestamps as text,
JSON numbers as their digits. Naive timestamps are read in ``input.timezone`` (UTC
when it is not set, which an :class:`~ringlens.io.options.IngestReport` records);
timestamps with an offset are converted to UTC; numbers (and text of 9 or more digits)
are Unix time, their unit read from their size (:func:`_unix_us`); every timestamp must lie in
:data:`~ringlens.io.options.TIME_RANGE`. Text that can reach a sink (ids, types,
``market``, ``display_name``, labels) may not contain NUL. Duplicate events,
self-interactions and unicode ids are legal.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from ringlens.exceptions import ConfigError, InputError, SchemaError
from ringlens.graph.roles import normalised
from ringlens.io.options import (
    DEFAULTABLE,
    MAX_ID_BYTES,
    TIME_RANGE,
    IngestReport,
    InputOptions,
    columns_by_name,
)

log = logging.getLogger(__name__)

__all__ = [
    "EVENT_COLUMNS",
    "ENTITY_COLUMNS",
    "LABEL_COLUMNS",
    "scan_events",
    "load_events",
    "load_entities",
    "entities_frame",
    "labels_frame",
    "load_labels",
    "resolve_inputs",
    "tables_beside",
]

TS_DTYPE = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table's contract (public in :mod:`ringlens.io.validate`)."""

    name: str
    kind: str  # "id", "str", "ts", "float", "int"
    required: bool


_EVENT_SPEC = (
    ColumnSpec("actor_id", "id", True),
    ColumnSpec("actor_type", "id", True),
    ColumnSpec("target_id", "id", True),
    ColumnSpec("target_type", "id", True),
    ColumnSpec("action", "id", True),
    ColumnSpec("ts", "ts", True),
    ColumnSpec("amount", "float", False),
    ColumnSpec("market", "str", False),
)
_ENTITY_SPEC = (
    ColumnSpec("entity_type", "id", True),
    ColumnSpec("entity_id", "id", True),
    ColumnSpec("created_at", "ts", False),
    ColumnSpec("market", "str", False),
    ColumnSpec("display_name", "str", False),
    ColumnSpec("prior_violations", "int", False),
)
_LABEL_SPEC = (
    ColumnSpec("entity_type", "id", True),
    ColumnSpec("entity_id", "id", True),
    ColumnSpec("label", "id", True),
)
#: Contract column names, in order (derived from the specs above).
EVENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in _EVENT_SPEC)
ENTITY_COLUMNS: tuple[str, ...] = tuple(c.name for c in _ENTITY_SPEC)
LABEL_COLUMNS: tuple[str, ...] = tuple(c.name for c in _LABEL_SPEC)
LABEL_VALUES = ("confirmed", "cleared")

_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}
_PARQUET_MAGIC = b"PAR1"


#: Table names a folder's files can start with: a folder given for one table never reads
#: another table's files (``ringlens synth`` writes events, entities, labels and truth
#: side by side).
TABLES = ("events", "entities", "labels", "truth")


def _data_files(folder: Path) -> list[Path]:
    return sorted(
        f
        for f in folder.iterdir()
        if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in _SUFFIXES
    )


def _files_of_table(found: list[Path], table: str) -> list[Path]:
    """The files of ``table`` among a folder's data files: those named after it, else
    those not named after another table."""
    named = [f for f in found if f.name.lower().startswith(table)]
    if named:
        return named
    others = tuple(t for t in TABLES if t != table)
    return [f for f in found if not f.name.lower().startswith(others)]


def resolve_inputs(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, table: str | None = None
) -> list[Path]:
    """Expand one file, many files, a folder or a glob into a sorted list of data files.

    A folder yields every ``*.parquet``, ``*.csv``, ``*.ndjson``/``*.jsonl`` file in it
    (not recursive, hidden files skipped), sorted by name so runs are deterministic. With
    ``table`` (e.g. ``"events"``), a folder yields the files whose name starts with it
    (``events.parquet``, ``events-2024-01.csv``), or, when there are none, the files not
    named after another table of :data:`TABLES` (``entities*``, ``labels*``, ``truth*``);
    a folder with neither has no ``table`` file, which is an error.

    Raises
    ------
    InputError
        No input, a path that does not exist, a glob matching nothing, a folder without
        data files or without a ``table`` file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "b.csv").write_text("x"); _ = (d / "a.parquet").write_bytes(b"x")
    >>> [p.name for p in resolve_inputs(d)]
    ['a.parquet', 'b.csv']
    >>> _ = (d / "entities.csv").write_text("x")
    >>> [p.name for p in resolve_inputs(d, table="events")]
    ['a.parquet', 'b.csv']
    >>> e = pathlib.Path(tempfile.mkdtemp()); _ = (e / "entities.parquet").write_bytes(b"x")
    >>> resolve_inputs(e, table="events")
    Traceback (most recent call last):
    ringlens.exceptions.InputError: ...: no events file (expected events.parquet/.csv/.ndjson/.jsonl, or data files not named entities*, labels* or truth*; found entities.parquet)
    """
    if isinstance(paths, str | os.PathLike):
        items: list[str | os.PathLike[str]] = [paths]
    else:
        items = list(paths)
    if not items:
        raise InputError("no input given: expected a file, several files or a folder")
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = _data_files(p)
            if not found:
                raise InputError(
                    f"{p}: folder has no data files (expected *.parquet, *.csv, *.ndjson or *.jsonl)"
                )
            if table is not None:
                mine = _files_of_table(found, table)
                if not mine:
                    others = [f"{t}*" for t in TABLES if t != table]
                    names = ", ".join(f.name for f in found[:5]) + (
                        f" and {len(found) - 5} more" if len(found) > 5 else ""
                    )
                    raise InputError(
                        f"{p}: no {table} file (expected {table}.parquet/.csv/.ndjson/.jsonl, "
                        f"or data files not named {', '.join(others[:-1])} or {others[-1]}; "
                        f"found {names})"
                    )
                found = mine
            out.extend(found)
        elif p.is_file():
            out.append(p)
        elif any(ch in str(item) for ch in "*?["):
            found = sorted(Path(x) for x in _glob(str(item)))
            if not found:
                raise InputError(f"{item}: no file matches this pattern")
            out.extend(found)
        else:
            raise InputError(f"{p}: no such file or folder")
    return out


def tables_beside(
    events: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], table: str
) -> list[Path] | None:
    """The ``table`` files (e.g. ``"entities"``, ``"labels"``) beside the events: those
    named after ``table`` in the folder ``events`` names, or None when ``events`` is not
    one folder or the folder holds none. What a run reads when no ``table`` is given.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for n in ("events.csv", "entities-a.csv", "entities-b.parquet", "labels.txt"):
    ...     _ = (d / n).write_text("x")
    >>> [p.name for p in tables_beside(d, "entities")]
    ['entities-a.csv', 'entities-b.parquet']
    >>> tables_beside(d, "labels") is None, tables_beside(d / "events.csv", "entities") is None
    (True, True)
    """
    if not isinstance(events, str | os.PathLike):
        items = list(events)
        if len(items) != 1:
            return None
        events = items[0]
    folder = Path(events)
    if not folder.is_dir():
        return None
    named = [f for f in _data_files(folder) if f.name.lower().startswith(table)]
    return named or None


def _glob(pattern: str) -> list[str]:
    import glob

    return [x for x in glob.glob(pattern) if os.path.isfile(x)]


def _format_of(path: Path) -> str:
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown file type {path.suffix!r} (expected .parquet, .csv, .ndjson or .jsonl)"
        )
    return fmt


_BOM = b"\xef\xbb\xbf"
_NDJSON_INFER_ROWS = 10_000


def _ndjson_source(path: Path) -> Path | io.BytesIO:
    """The NDJSON file, or its bytes after a UTF-8 byte-order mark (which Polars refuses)."""
    with path.open("rb") as fh:
        if fh.read(3) != _BOM:
            return path
    return io.BytesIO(path.read_bytes()[3:])


def _scan_one(path: Path, options: InputOptions | None = None) -> tuple[pl.LazyFrame, str]:
    """Scan one file lazily; raise InputError for empty or unreadable files.

    An NDJSON file is scanned here only to learn its columns (from the first 10,000 rows);
    :func:`_load_table` scans it again with the contract's types.
    """
    opts = options or _DEFAULT_OPTIONS
    fmt = _format_of(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if size == 0:
        raise InputError(f"{path}: file is empty (expected a {fmt} file with a header/schema)")
    try:
        if fmt == "parquet":
            with path.open("rb") as fh:
                head = fh.read(4)
                fh.seek(-4, os.SEEK_END)
                tail = fh.read(4)
            if head != _PARQUET_MAGIC or tail != _PARQUET_MAGIC:
                raise InputError(
                    f"{path}: not a valid Parquet file (truncated or corrupt: missing PAR1 marker)"
                )
            lf = pl.scan_parquet(path)
        elif fmt == "csv":
            with path.open("rb") as fh:
                head = fh.read(1 << 16)
            if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head.split(b"\n", 1)[0]:
                raise InputError(
                    f"{path}: not UTF-8 text (NUL bytes or a UTF-16 byte-order mark in the "
                    "header: a binary or UTF-16 file?); expected a UTF-8 CSV"
                )
            sep = "\t" if path.suffix.lower() == ".tsv" else opts.separator
            lf = pl.scan_csv(
                path,
                separator=sep,
                infer_schema=False,  # every column as string: types checked by us
                encoding="utf8",  # strict: lossy decoding would merge distinct ids
            )
        else:
            lf = pl.scan_ndjson(_ndjson_source(path), infer_schema_length=_NDJSON_INFER_ROWS)
        schema = lf.collect_schema()
    except InputError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _read_error(path, fmt, first) from None
    if len(schema) == 0:
        raise InputError(f"{path}: file has no columns (expected a header)")
    if fmt == "csv":
        # strip a UTF-8 byte-order mark from the first header
        first_col = next(iter(schema))
        if first_col.startswith("\ufeff"):
            lf = lf.rename({first_col: first_col.lstrip("\ufeff")})
        elif len(schema) == 1 and path.suffix.lower() != ".tsv":
            # one column whose name holds another separator: say which one to set
            for other in (";", "\t", "|", ","):
                if other != opts.separator and other in first_col:
                    raise InputError(
                        f"{path}: the header {_short(first_col)} is one column when split at "
                        f"{opts.separator!r}; the file looks {other!r}-separated: set "
                        f"input.separator = {other!r}"
                    )
    return lf, fmt


def _read_error(path: Path, fmt: str, first: str) -> InputError:
    if fmt == "ndjson" and "unicode" in first.lower():
        hit = _find_surrogate(path)
        if hit is not None:
            row, key, value = hit
            return SchemaError(
                f"{path}: row {row}, column {key!r}: {_short(value)} contains an unpaired "
                "UTF-16 surrogate (an escape \\ud800-\\udfff without its pair), which is not "
                "valid Unicode; expected valid UTF-8 text"
            )
    if "utf-8" in first.lower() or "utf8" in first.lower():
        return InputError(
            f"{path}: not valid UTF-8 text ({first}); expected a UTF-8 {fmt} file "
            "(re-encode it, e.g. iconv -f latin1 -t utf-8)"
        )
    return InputError(f"{path}: cannot be read as {fmt}: {first}")


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _ndjson_rows(path: Path) -> Iterable[tuple[int, bytes]]:
    """(row number, line) of an NDJSON file as Polars numbers them: blank lines skipped.
    Only on an error path (after Polars found a problem): Python per line is fine there."""
    with path.open("rb") as fh:
        row = 0
        for i, line in enumerate(fh):
            if i == 0 and line.startswith(_BOM):
                line = line[3:]
            if line.strip():
                row += 1
                yield row, line


def _surrogate_in(obj: object) -> tuple[str, str] | None:
    """(key, value) of the first string value of a JSON object holding a lone surrogate."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, str) and _SURROGATE.search(v):
                return str(k), v
            if isinstance(v, dict | list):
                inner = _surrogate_in(v if isinstance(v, dict) else dict(enumerate(v)))
                if inner is not None:
                    return str(k), inner[1]
    return None


def _find_surrogate(path: Path) -> tuple[int, str, str] | None:
    """The first NDJSON row with a string holding an unpaired surrogate escape."""
    try:
        for row, line in _ndjson_rows(path):
            if not _SURROGATE_ESCAPE.search(line):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            hit = _surrogate_in(obj)
            if hit is not None:
                return row, hit[0], hit[1]
    except OSError:
        return None
    return None


def _ndjson_value(path: Path, row: int, key: str) -> object:
    """The JSON value of ``key`` in NDJSON row ``row`` as Python's json module reads it."""
    for r, line in _ndjson_rows(path):
        if r == row:
            try:
                obj = json.loads(line)
            except ValueError:
                return None
            return obj.get(key) if isinstance(obj, dict) else None
    return None


def _check_mapping(
    mapping: Mapping[str, str] | None, spec: Sequence[ColumnSpec], what: str
) -> dict[str, str]:
    known = {c.name for c in spec}
    mapping = dict(mapping or {})
    for k, v in mapping.items():
        if k not in known:
            raise ConfigError(
                f"column mapping for {what}: unknown column {k!r} (expected one of {', '.join(sorted(known))})"
            )
        if not isinstance(v, str) or not v:
            raise ConfigError(
                f"column mapping for {what}: {k!r} must map to a non-empty column name, got {v!r}"
            )
    return mapping


def _dtype_ok(kind: str, dtype: pl.DataType, fmt: str) -> bool:
    if kind in ("id", "str"):
        return (
            dtype == pl.String
            or dtype.is_integer()
            or isinstance(dtype, pl.Categorical | pl.Enum)
            or dtype == pl.Null
        )
    if kind == "ts":
        return (
            dtype == pl.String
            or dtype.is_numeric()  # Unix time
            or isinstance(dtype, pl.Datetime)
            or dtype == pl.Date
            or dtype == pl.Null
        )
    if kind == "float":
        return dtype.is_numeric() or dtype == pl.String or dtype == pl.Null
    if kind == "int":
        return dtype.is_integer() or dtype == pl.String or dtype == pl.Null
    return False  # pragma: no cover


_EXPECTED = {
    "id": "a string (or integer) id",
    "str": "a string",
    "ts": "a datetime, an ISO-8601 string or a Unix time",
    "float": "a number",
    "int": "an integer",
}

_DEFAULT_OPTIONS = InputOptions()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# wider than any UTC offset: a value clipped this far outside TIME_RANGE stays outside it
# after it is read in a time zone, so clipping never turns a bad value into a good one
_CLIP_MARGIN = timedelta(days=2)
_PER_US = {"ns": 1000, "us": 1, "ms": 1}
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


def _clip_bounds(unit: str) -> tuple[int, int]:
    """TIME_RANGE widened by the clip margin, in ``unit`` (``ns``/``us``/``ms``/``d``) since
    the epoch, inside the 64-bit range."""
    lo_t, hi_t = TIME_RANGE[0] - _CLIP_MARGIN - _EPOCH, TIME_RANGE[1] + _CLIP_MARGIN - _EPOCH
    if unit == "d":
        return lo_t.days, hi_t.days
    us = timedelta(microseconds=1)
    lo, hi = lo_t // us, hi_t // us
    if unit == "ms":
        lo, hi = lo // 1000, hi // 1000
    elif unit == "ns":
        lo, hi = lo * 1000, hi * 1000
    return max(lo, _I64_MIN), min(hi, _I64_MAX)


#: Unix time: the smallest magnitude read as one (1973-03-03 in seconds); smaller numbers
#: (0, a row number, a day count) are not a time, and an error says so.
UNIX_MIN = 10**8
# (below this magnitude, microseconds per unit): seconds until the year 5138, then
# milliseconds, then microseconds; nanoseconds above
_UNIX_UNITS = ((10**11, 1_000_000), (10**14, 1000), (10**17, 1))
_UNIX_TEXT = r"^[+-]?\d{9,}(\.\d+)?$"


def _unix_us(expr: pl.Expr, *, integer: bool) -> pl.Expr:
    """Unix time numbers (``integer`` or float) as UTC microsecond datetimes; null where a
    value is not finite or its magnitude is below :data:`UNIX_MIN`.

    The unit follows the size of each value, the way exports write it: below 1e11
    seconds (up to the year 5138), below 1e14 milliseconds, below 1e17 microseconds,
    above that nanoseconds. Values are clipped to just outside
    :data:`~ringlens.io.options.TIME_RANGE` (still out of range) before the cast.

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.Series([1714557600, 1714557600123, 1714557600123456, 1714557600123456789, 5])
    >>> t = pl.select(_unix_us(pl.lit(s), integer=True)).to_series()
    >>> t.dt.to_string("%Y-%m-%d %H:%M:%S%.6f").to_list()
    ['2024-05-01 10:00:00.000000', '2024-05-01 10:00:00.123000', '2024-05-01 10:00:00.123456', '2024-05-01 10:00:00.123456', None]
    """
    lo, hi = _clip_bounds("us")
    (s_lim, s_per), (ms_lim, ms_per), (us_lim, _) = _UNIX_UNITS
    if integer:
        v = expr.cast(pl.Int64, strict=False).clip(-(2**62), 2**62)  # abs() stays in range
        a = v.abs()
        out = (
            pl.when(a < UNIX_MIN)
            .then(None)
            .when(a < s_lim)
            .then(v * s_per)
            .when(a < ms_lim)
            .then(v * ms_per)
            .when(a < us_lim)
            .then(v)
            .otherwise(v // 1000)
        )
    else:
        f = expr.cast(pl.Float64)
        a = f.abs()
        out = (
            pl.when(~f.is_finite() | (a < UNIX_MIN))
            .then(None)
            .when(a < s_lim)
            .then(f * s_per)
            .when(a < ms_lim)
            .then(f * ms_per)
            .when(a < us_lim)
            .then(f)
            .otherwise(f / 1000)
            .clip(float(lo), float(hi))
            .round(0)
        )
    return out.clip(lo, hi).cast(pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _unix_text(s: pl.Expr) -> pl.Expr:
    """Text of 9 or more digits (a fraction allowed) as Unix time (:func:`_unix_us`)."""
    digits = s.str.contains(_UNIX_TEXT)
    return (
        pl.when(digits & ~s.str.contains(".", literal=True))
        .then(_unix_us(s.cast(pl.Int64, strict=False), integer=True))
        .when(digits)
        .then(_unix_us(s.cast(pl.Float64, strict=False), integer=False))
    )


def _localise(naive: pl.Expr, zone: str) -> pl.Expr:
    """Naive microsecond datetimes read as wall time in ``zone``, as UTC."""
    if zone == "UTC":
        return naive.dt.replace_time_zone("UTC")
    return naive.dt.replace_time_zone(
        zone, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


def _has_offset(fmt: str) -> bool:
    return bool(re.search(r"%[-_0^#]?(?:z|:z|#z)", fmt))


def _ts_parts(
    expr: pl.Expr, dtype: pl.DataType, options: InputOptions
) -> tuple[pl.Expr, pl.Expr | bool]:
    """A timestamp column as UTC microseconds (null where unparseable), and whether values
    were naive (read in ``options.zone``): an expression for text, a constant otherwise.

    Datetime and date columns are clipped to just outside :data:`TIME_RANGE` first, in their
    own unit: Polars panics casting values beyond its range (``timestamp[s]`` of year -2e6,
    ``timestamp[ms]`` past year 294,000), and a clipped value is still out of range.
    """
    zone = options.zone
    if isinstance(dtype, pl.Datetime):
        unit = dtype.time_unit or "us"
        lo, hi = _clip_bounds(unit)
        safe = expr.cast(pl.Int64).clip(lo, hi).cast(pl.Datetime(unit)).cast(pl.Datetime("us"))
        if dtype.time_zone is None:
            return _localise(safe, zone), True
        return safe.dt.replace_time_zone("UTC"), False  # the physical value is UTC
    if dtype == pl.Date:
        lo, hi = _clip_bounds("d")
        safe = expr.cast(pl.Int32).clip(lo, hi).cast(pl.Date).cast(pl.Datetime("us"))
        return _localise(safe, zone), True
    if dtype == pl.Null:
        return expr.cast(TS_DTYPE), False
    if dtype.is_numeric():
        return _unix_us(expr, integer=dtype.is_integer()), False
    a, n = _text_ts_parts(expr, options)
    return pl.coalesce(a, _localise(n, zone)), a.is_null() & n.is_not_null()


def _text_ts_parts(expr: pl.Expr, options: InputOptions) -> tuple[pl.Expr, pl.Expr]:
    """Text timestamps parsed two ways: values with an offset (as UTC) and naive values
    (wall time, not yet localised); null where a value is not of that kind."""
    s = expr.str.strip_chars()
    t = s.str.replace("T", " ", literal=True)
    naive_us = pl.Datetime("us")
    aware = [
        s.str.strptime(TS_DTYPE, "%Y-%m-%dT%H:%M:%S%.f%#z", strict=False),
        s.str.strptime(TS_DTYPE, "%Y-%m-%d %H:%M:%S%.f%#z", strict=False),
        _unix_text(s),
    ]
    naive = [
        t.str.strptime(naive_us, "%Y-%m-%d %H:%M:%S%.f", strict=False),
        t.str.strptime(naive_us, "%Y-%m-%d %H:%M", strict=False),
        s.str.strptime(naive_us, "%Y-%m-%d", strict=False),
    ]
    fmt = options.format
    if fmt is not None:  # the declared format first, ISO-8601 after it
        if _has_offset(fmt):
            aware.insert(0, s.str.strptime(TS_DTYPE, fmt, strict=False))
        else:
            naive.insert(0, s.str.strptime(naive_us, fmt, strict=False))
    return pl.coalesce(aware), pl.coalesce(naive)


def _parse_ts(expr: pl.Expr, dtype: pl.DataType, options: InputOptions | None = None) -> pl.Expr:
    """Turn a string/date/datetime column into UTC microsecond datetimes (null where unparseable)."""
    return _ts_parts(expr, dtype, options or _DEFAULT_OPTIONS)[0]


def _out_of_range(value: pl.Expr) -> pl.Expr:
    lo, hi = TIME_RANGE
    return value.is_not_null() & ((value < pl.lit(lo)) | (value >= pl.lit(hi)))


def _range_in(unit: str) -> tuple[int, int]:
    """TIME_RANGE as [lo, hi) in ``unit`` (``ns``/``us``/``ms``/``d``) since the epoch."""
    lo_t, hi_t = TIME_RANGE[0] - _EPOCH, TIME_RANGE[1] - _EPOCH
    if unit == "d":
        return lo_t.days, hi_t.days
    us = timedelta(microseconds=1)
    scale = {"ns": 1000, "us": 1}.get(unit)
    if scale is None:  # ms: the bounds are whole days
        return lo_t // us // 1000, hi_t // us // 1000
    return lo_t // us * scale, hi_t // us * scale


def _physical_out_of_range(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Out of TIME_RANGE, for a datetime/date column whose physical value is UTC."""
    unit = "d" if dtype == pl.Date else (getattr(dtype, "time_unit", None) or "us")
    lo, hi = _range_in(unit)
    phys = expr.to_physical()
    return phys.is_not_null() & ((phys < lo) | (phys >= hi))


def _number_text(expr: pl.Expr, options: InputOptions) -> pl.Expr:
    s = expr.str.strip_chars()
    return s.str.replace(",", ".", literal=True) if options.decimal_comma else s


def _normalise(
    lf: pl.LazyFrame,
    schema: pl.Schema,
    spec: Sequence[ColumnSpec],
    *,
    options: InputOptions | None = None,
) -> tuple[pl.LazyFrame, list[pl.Expr]]:
    """Cast columns to the contract's types; return the new frame (and an empty list, kept
    for callers that unpack two values)."""
    opts = options or _DEFAULT_OPTIONS
    exprs: list[pl.Expr] = []
    for col in spec:
        if col.name not in schema:
            if col.kind == "float":
                exprs.append(pl.lit(None, dtype=pl.Float64).alias(col.name))
            elif col.kind == "ts":
                exprs.append(pl.lit(None, dtype=TS_DTYPE).alias(col.name))
            elif col.kind == "int":
                exprs.append(pl.lit(None, dtype=pl.Int64).alias(col.name))
            else:
                exprs.append(pl.lit(None, dtype=pl.String).alias(col.name))
            continue
        dtype = schema[col.name]
        c = pl.col(col.name)
        if col.kind in ("id", "str"):
            exprs.append(c.cast(pl.String).alias(col.name))
        elif col.kind == "ts":
            exprs.append(_parse_ts(c, dtype, opts).alias(col.name))
        elif col.kind == "float":
            if dtype == pl.String:
                exprs.append(_number_text(c, opts).cast(pl.Float64, strict=False).alias(col.name))
            else:
                exprs.append(c.cast(pl.Float64).alias(col.name))
        elif col.kind == "int":
            if dtype == pl.String:
                exprs.append(c.str.strip_chars().cast(pl.Int64, strict=False).alias(col.name))
            else:
                exprs.append(c.cast(pl.Int64).alias(col.name))
    return lf.select(exprs), []


_Check = tuple[str, str, pl.Expr]


def _value_checks(
    schema: pl.Schema, spec: Sequence[ColumnSpec], opts: InputOptions
) -> tuple[list[_Check], list[tuple[str, pl.Expr]], list[pl.Expr]]:
    """The value checks of a table: ``(column, kind, mask)``; the notes (``(column, mask)``:
    naive text timestamps); the helper columns they share (text timestamps are parsed once
    into them: several reductions over one parse expression would each parse again)."""
    checks: list[_Check] = []
    notes: list[tuple[str, pl.Expr]] = []
    pre: list[pl.Expr] = []
    for col in spec:
        if col.name not in schema:
            continue
        c = pl.col(col.name)
        dtype = schema[col.name]
        if col.required:
            if col.kind == "id" and dtype == pl.String:
                # blank = only Unicode whitespace (what str.strip_chars() removes)
                checks.append((col.name, "empty", c.is_null() | c.str.contains(r"^\s*$")))
            else:
                checks.append((col.name, "empty", c.is_null()))
        if col.kind in ("id", "str") and dtype == pl.String:
            # node keys are "type:id" (graph keys "type\0id"): a NUL anywhere or a ":" in a
            # type would make two different nodes share a key or split a key wrongly; and
            # no text may carry a NUL to a sink (PostgreSQL refuses it, SQLite truncates)
            checks.append((col.name, "nul", c.str.contains("\x00", literal=True)))
            if col.kind == "id" and col.name.endswith("_type"):
                checks.append((col.name, "colon", c.str.contains(":", literal=True)))
            if col.kind == "id":  # a byte count: no scan of the text
                checks.append((col.name, "long", c.str.len_bytes() > MAX_ID_BYTES))
        if col.kind == "ts":
            if dtype == pl.String:
                with_offset, wall = _text_ts_parts(c, opts)
                pre += [with_offset.alias(f"\0a{col.name}"), wall.alias(f"\0n{col.name}")]
                with_offset, wall = pl.col(f"\0a{col.name}"), pl.col(f"\0n{col.name}")
                value: pl.Expr = pl.coalesce(with_offset, _localise(wall, opts.zone))
                naive: pl.Expr | bool = with_offset.is_null() & wall.is_not_null()
            else:
                value, naive = _ts_parts(c, dtype, opts)
            numeric = dtype.is_numeric()
            if dtype == pl.String or numeric or (naive is True and opts.zone != "UTC"):
                # text or a number that does not parse, or a local time in a daylight-saving gap
                checks.append((col.name, "unparseable", c.is_not_null() & value.is_null()))
            if not opts.zone_declared and isinstance(naive, pl.Expr):
                notes.append((f"{col.name}:naive", naive))
            if dtype == pl.String:
                notes.append((f"{col.name}:unix", c.str.strip_chars().str.contains(_UNIX_TEXT)))
            if dtype != pl.String and not numeric and (naive is False or opts.zone == "UTC"):
                # the physical value is UTC: compare it in its own unit (no cast)
                checks.append((col.name, "range", _physical_out_of_range(c, dtype)))
            else:
                checks.append((col.name, "range", _out_of_range(value)))
        if col.kind == "float" and dtype == pl.String:
            s = _number_text(c, opts)
            f = s.cast(pl.Float64, strict=False)
            checks.append((col.name, "unparseable", (s != "") & c.is_not_null() & f.is_null()))
            # "inf", "nan", "1e999" parse as floats but are no amount (as NaN in Parquet)
            checks.append((col.name, "nonfinite", f.is_nan() | f.is_infinite()))
        if col.kind == "int" and dtype == pl.String:
            s = c.str.strip_chars()
            checks.append(
                (
                    col.name,
                    "unparseable",
                    (s != "") & c.is_not_null() & s.cast(pl.Int64, strict=False).is_null(),
                )
            )
        if col.kind == "float" and dtype.is_float():
            checks.append((col.name, "nonfinite", c.is_nan() | c.is_infinite()))
    return checks, notes, pre


def _first_bad_rows(
    raw: pl.LazyFrame,
    schema: pl.Schema,
    spec: Sequence[ColumnSpec],
    *,
    options: InputOptions | None = None,
) -> dict[str, tuple[str, int, str | None]]:
    """One pass over the raw data: for each check, the first offending row and its raw value.

    Keys are ``"_rows"`` (the row count) and ``"<column>:<kind>"`` for each check that
    fired; ``"<column>:naive"`` (row 0) says a text timestamp column held naive values that
    were read as UTC because no zone was declared, ``"<column>:unix"`` that it held Unix
    time as digits (neither is an error).
    """
    opts = options or _DEFAULT_OPTIONS
    checks, notes, pre = _value_checks(schema, spec, opts)
    # clean data is the common case: one pass of cheap boolean reductions, and the first
    # offending row and value only for the checks that fired. A string id column's checks
    # (blank, NUL, ':' in a type) are screened by one regex: one scan of the strings, not three
    screens: dict[str, pl.Expr] = {}
    for col in spec:
        name = col.name
        kinds = {k for n, k, _ in checks if n == name}
        text_kinds = kinds - {"long"}
        if text_kinds and text_kinds <= {"empty", "nul", "colon"} and schema.get(name) == pl.String:
            alts = (["^\\s*$"] if "empty" in text_kinds else []) + [
                "[\\x00:]" if "colon" in text_kinds else "\\x00"
            ]
            text = pl.col(name).str.contains("|".join(alts))
            screens[name] = pl.col(name).is_null() | text if "empty" in text_kinds else text
            if "long" in kinds:
                screens[f"{name}\0long"] = pl.col(name).str.len_bytes() > MAX_ID_BYTES
        else:
            for i, (n, _, mask) in enumerate(checks):
                if n == name:
                    screens[f"{name}\0{i}"] = mask
    aggs: list[pl.Expr] = [pl.len().alias("_rows")]
    aggs += [mask.any().alias(f"s{j}") for j, mask in enumerate(screens.values())]
    aggs += [mask.any().alias(f"n{j}") for j, (_, mask) in enumerate(notes)]
    frame = raw.with_columns(pre) if pre else raw
    res = frame.select(aggs).collect(engine="streaming").row(0)
    out: dict[str, tuple[str, int, str | None]] = {"_rows": ("", int(res[0]), None)}
    flags = res[1 : 1 + len(screens)]
    for (key, _), flag in zip(notes, res[1 + len(screens) :], strict=True):
        if flag:
            out[key] = (key.split(":")[0], 0, None)
    hit = {key.split("\0")[0] for key, flag in zip(screens, flags, strict=True) if flag}
    fired = [(i, check) for i, check in enumerate(checks) if check[0] in hit]
    if not fired:
        return out
    idx = pl.int_range(0, pl.len(), dtype=pl.Int64)
    aggs = []
    for i, (name, _, mask) in fired:
        aggs.append(idx.filter(mask).first().alias(f"r{i}"))
        aggs.append(_raw_text(name, schema[name]).filter(mask).first().alias(f"v{i}"))
    first = frame.select(aggs).collect(engine="streaming").row(0, named=True)
    for i, (name, kind, _) in fired:
        if first[f"r{i}"] is not None:
            out[f"{name}:{kind}"] = (name, int(first[f"r{i}"]) + 1, first[f"v{i}"])
    return out


def _raw_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """A raw value as text for an error message. Datetimes and dates as their physical
    integer: formatting one outside Polars' range panics (see :func:`_show_instant`)."""
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        return pl.col(name).to_physical().cast(pl.String)
    return pl.col(name).cast(pl.String)


def _show_instant(value: str | None, dtype: pl.DataType) -> str:
    """A Parquet datetime/date's physical value (as :func:`_raw_text` gives it), readable."""
    if value is None:
        return "null"
    n = int(value)
    if dtype == pl.Date:
        unit, us = "days", n * 86_400_000_000
    else:
        unit = (dtype.time_unit if isinstance(dtype, pl.Datetime) else None) or "us"
        us = {"ns": n // 1000, "us": n}.get(unit, n * 1000)
    try:
        return (_EPOCH + timedelta(microseconds=us)).isoformat().replace("+00:00", "Z")
    except (OverflowError, ValueError):
        years = us / (365.2425 * 86_400_000_000)
        return f"{n:,} {unit} since 1970 (about year {1970 + years:,.0f})"


def _table_error(
    path: Path,
    fmt: str,
    col: ColumnSpec,
    kind: str,
    hit: tuple[str, int, str | None],
    *,
    dtype: pl.DataType,
    options: InputOptions,
    source: str,
) -> SchemaError:
    """The one-line error for check ``kind`` that fired on ``col`` at ``hit``."""
    name, row, value = hit
    where = f"{path}: row {row}" + (f" (line {row + 1})" if fmt == "csv" else "")
    if kind == "nul" and fmt == "ndjson":
        # Polars reads a JSON "\ud800" (a lone surrogate) as NUL: say what the file holds
        original = _ndjson_value(path, row, source)
        if isinstance(original, str) and _SURROGATE.search(original):
            return SchemaError(
                f"{where}, column {name!r}: {_short(original)} contains an unpaired UTF-16 "
                "surrogate (an escape \\ud800-\\udfff without its pair), which is not valid "
                "Unicode; expected valid UTF-8 text"
            )
    return _value_error(where, col, kind, value, dtype=dtype, options=options)


def _value_error(
    where: str,
    col: ColumnSpec,
    kind: str,
    value: str | None,
    *,
    dtype: pl.DataType,
    options: InputOptions,
) -> SchemaError:
    """The one-line error for check ``kind`` on ``col`` with the raw ``value`` (as
    :func:`_first_bad_rows` gives it), after ``where`` (the file and row, or a label)."""
    name = col.name
    if kind == "empty":
        return SchemaError(
            f"{where}, column {name!r}: null or empty value, expected {_EXPECTED[col.kind]}"
        )
    if kind == "nonfinite":
        return SchemaError(
            f"{where}, column {name!r}: value {value!r} is not finite, expected a number"
        )
    if kind == "nul":
        return SchemaError(
            f"{where}, column {name!r}: {_short(value)} contains a NUL character, "
            "expected text without NUL"
        )
    if kind == "colon":
        return SchemaError(
            f"{where}, column {name!r}: type {_short(value)} contains ':', which "
            "separates type and id in node keys (creator:42); expected a type without ':'"
        )
    if kind == "long":
        size = len((value or "").encode("utf-8", "surrogatepass"))
        return SchemaError(
            f"{where}, column {name!r}: {_short(value, 40)} is {size:,} bytes long, expected an "
            f"id of at most {MAX_ID_BYTES:,} bytes (UTF-8)"
        )
    if kind == "range":
        lo, hi = TIME_RANGE
        if dtype == pl.String:
            shown = _short(value)
        elif dtype.is_numeric():
            shown = f"{_short(value)} (Unix time)"
        else:
            shown = _show_instant(value, dtype)
        return SchemaError(
            f"{where}, column {name!r}: {shown} is outside the supported time range, expected "
            f"a timestamp from {lo:%Y-%m-%d} up to (not including) {hi:%Y-%m-%d} UTC"
        )
    expected = _EXPECTED[col.kind]
    if col.kind == "ts":
        if options.format is not None:
            expected = (
                f"a timestamp in input.timestamp_format {options.format!r}, an ISO-8601 string "
                "or a Unix time"
            )
        if dtype.is_numeric():
            gap, shown = False, _short(value)
            expected += f" (seconds, ms, µs or ns since 1970, at least {UNIX_MIN:,})"
        elif dtype == pl.String:
            utc = InputOptions(timestamp_format=options.timestamp_format)
            gap = options.zone != "UTC" and bool(
                pl.select(_parse_ts(pl.lit(value), pl.String(), utc).is_not_null()).item()
            )
            shown = _short(value)
        else:  # a datetime or date that exists in UTC: only a local-time gap makes it null
            gap, shown = True, _show_instant(value, dtype).removesuffix("Z")
        if gap:
            return SchemaError(
                f"{where}, column {name!r}: {shown} does not exist in {options.zone} (the "
                "clocks skipped it: a daylight-saving change), expected a local time that exists"
            )
    elif col.kind == "float" and options.decimal_comma:
        expected = "a number with a decimal comma (input.decimal_comma)"
    return SchemaError(
        f"{where}, column {name!r}: cannot parse {_short(value)}, expected {expected}"
    )


_KINDS = ("empty", "unparseable", "nonfinite", "nul", "colon", "long", "range")


def _ndjson_read_schema(
    spec: Sequence[ColumnSpec],
    mapping: Mapping[str, str],
    head: pl.Schema,
    also: Mapping[str, str] | None = None,
) -> dict[str, pl.DataType]:
    """The schema an NDJSON file is read with, keyed by source column: every contract column
    in the file's first rows, and every unmapped optional one (it may start later), as text.

    Reading with a schema (not one inferred from the first rows) keeps later rows from
    failing or being dropped: an amount of 12.5 after 10,000 integers, a string id after
    10,000 integer ids, an ``amount`` or ``market`` key that first appears in row 10,001.
    """
    out: dict[str, pl.DataType] = {}
    for col in spec:
        defaulted = also is not None and col.name in also  # ``input.defaults`` fills its gaps
        if col.name in head or defaulted or (not col.required and col.name not in mapping):
            out[mapping.get(col.name, col.name)] = pl.String()
    return out


def _contract_frame(
    path: Path,
    raw: pl.LazyFrame,
    fmt: str,
    spec: Sequence[ColumnSpec],
    mapping: Mapping[str, str],
    defaults: Mapping[str, str] | None = None,
) -> tuple[pl.LazyFrame, pl.Schema, list[str]]:
    """One scanned file with the mapping applied and its columns and types checked; NDJSON
    scanned again with the contract's types, dictionary-encoded text cast to text; a
    column of ``defaults`` the file lacks added with its one value (and named in the
    returned list)."""
    schema = raw.collect_schema()
    # Polars renames a repeated CSV header to "<name>_duplicated_<n>": which copy holds
    # the data is then a guess, so a repeated contract (or mapped) column is an error.
    for name in sorted({mapping.get(c.name, c.name) for c in spec}):
        if name in schema and f"{name}_duplicated_0" in schema:
            raise SchemaError(
                f"{path}: column {name!r} appears more than once in the header; "
                "expected each column once"
            )
    # apply the mapping: source column -> contract column
    rename: dict[str, str] = {}
    for contract, source in mapping.items():
        if source not in schema:
            raise SchemaError(
                f"{path}: column {source!r} (mapped to {contract!r}) not found; "
                f"file has {', '.join(map(repr, list(schema)[:12]))}"
            )
        rename[source] = contract
    if rename:
        # a contract-named column that is not the mapped source is dropped to avoid a clash
        clash = [c for c in rename.values() if c in schema and c not in rename]
        if clash:
            raw = raw.drop(clash)
        raw = raw.rename(rename)
        schema = raw.collect_schema()
    filled = {c: v for c, v in (defaults or {}).items() if c not in schema}
    for col in spec:
        if col.required and col.name not in schema and col.name not in filled:
            raise _missing_column(path, col, mapping, schema, defaults is not None)
        if col.name in schema and not _dtype_ok(col.kind, schema[col.name], fmt):
            raise SchemaError(
                f"{path}: column {col.name!r} has type {schema[col.name]}, expected {_EXPECTED[col.kind]}"
            )
    if fmt == "ndjson":
        read = _ndjson_read_schema(spec, mapping, schema, also=filled)
        raw = pl.scan_ndjson(_ndjson_source(path), schema=read)
        if rename:
            raw = raw.rename({s: c for s, c in rename.items() if s in read})
        schema = raw.collect_schema()
    if filled:  # an NDJSON key that starts after the first rows keeps its values
        raw = raw.with_columns(
            (pl.coalesce(c, pl.lit(v, pl.String)) if c in schema else pl.lit(v, pl.String)).alias(c)
            for c, v in filled.items()
        )
        schema = raw.collect_schema()
    text = [
        c.name
        for c in spec
        if c.name in schema and isinstance(schema[c.name], pl.Categorical | pl.Enum)
    ]
    if text:  # dictionary-encoded text is checked and read as text
        raw = raw.with_columns(pl.col(text).cast(pl.String))
        schema = raw.collect_schema()
    return raw, schema, [c.name for c in spec if c.name in filled]


def _missing_column(
    path: Path,
    col: ColumnSpec,
    mapping: Mapping[str, str],
    schema: pl.Schema,
    events: bool,
) -> SchemaError:
    """The error for a required column a file lacks, with the settings that supply one."""
    hint = f" (mapped from {mapping[col.name]!r})" if col.name in mapping else ""
    fix = ""
    if events and col.name in DEFAULTABLE:
        fix = (
            f"; name its source column in input.columns, or give every row one value with "
            f'input.defaults.{col.name} = "..."'
        )
    return SchemaError(
        f"{path}: missing required column {col.name!r}{hint}; "
        f"expected {_EXPECTED[col.kind]}; file has {', '.join(map(repr, list(schema)[:12]))}{fix}"
    )


def _load_table(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    spec: Sequence[ColumnSpec],
    what: str,
    columns: Mapping[str, str] | None,
    validate: bool,
    materialize: bool = False,
    options: InputOptions | None = None,
    report: IngestReport | None = None,
) -> pl.LazyFrame:
    opts = options or _DEFAULT_OPTIONS
    mapping = _check_mapping(columns, spec, what)
    files = resolve_inputs(paths, table=what)
    frames: list[pl.LazyFrame] = []
    for path in files:
        raw, fmt = _scan_one(path, opts)
        defaults = opts.defaults if what == "events" else None
        # a column named as the contract's in another spelling (``Actor_ID``) is that one
        implied = columns_by_name([c.name for c in spec], list(raw.collect_schema()), mapping)
        fmap = {**mapping, **implied}
        raw, schema, filled = _contract_frame(path, raw, fmt, spec, fmap, defaults)
        nrows: int | None = None
        bad: dict[str, tuple[str, int, str | None]] = {}
        if validate:
            try:
                if materialize:  # read once; validate and normalise in memory
                    raw = raw.collect().lazy()
                bad = _first_bad_rows(raw, schema, spec, options=opts)
                nrows = bad.pop("_rows")[1]
            except pl.exceptions.PolarsError as exc:
                first = str(exc).strip().splitlines()[0]
                raise _read_error(path, fmt, first) from None
            except pl.exceptions.PanicException as exc:  # the last line of defence
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else "panic"
                raise InputError(f"{path}: cannot be read as {fmt}: {first}") from None
            if nrows == 0:
                raise InputError(
                    f"{path}: file has a header but no rows (expected at least one {what[:-1]})"
                )
            for col in spec:
                for kind in _KINDS:
                    hit = bad.get(f"{col.name}:{kind}")
                    if hit is not None:
                        raise _table_error(
                            path,
                            fmt,
                            col,
                            kind,
                            hit,
                            dtype=schema[col.name],
                            options=opts,
                            source=fmap.get(col.name, col.name),
                        )
        if report is not None:
            report.add_file(what, path, fmt, nrows)
            report.defaulted.extend((str(path), c) for c in filled)
            report.by_name.extend((str(path), f"{s} as {c}") for c, s in sorted(implied.items()))
            for col in spec:
                dtype = schema.get(col.name)
                if col.kind != "ts" or dtype is None:
                    continue
                naive_type = dtype == pl.Date or (
                    isinstance(dtype, pl.Datetime) and dtype.time_zone is None
                )
                if not opts.zone_declared and (naive_type or f"{col.name}:naive" in bad):
                    report.naive_as_utc.append((str(path), col.name))
                if dtype.is_numeric() or f"{col.name}:unix" in bad:
                    report.unix_time.append((str(path), col.name))
        lf, _ = _normalise(raw, schema, spec, options=opts)
        frames.append(lf)
    if len(frames) == 1:
        return frames[0]
    return pl.concat(frames, how="vertical")


def _short(value: str | None, limit: int = 60) -> str:
    if value is None:
        return "null"
    text = value if len(value) <= limit else value[:limit] + "…"
    return repr(text)


def scan_events(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Mapping[str, str] | None = None,
    validate: bool = True,
    options: InputOptions | None = None,
    report: IngestReport | None = None,
) -> pl.LazyFrame:
    """Scan events from Parquet, CSV or NDJSON into a validated, normalised LazyFrame.

    Parameters
    ----------
    paths
        One file, a list of files, a folder or a glob pattern.
    columns
        Column mapping ``{contract_name: source_name}``, e.g. ``{"actor_id": "user"}``.
    validate
        Check values (nulls, empty ids, NUL in text, unparseable or out-of-range
        timestamps, amounts) with one extra scan of each file. Schema checks (missing
        columns, wrong types) always run.
    options
        How to read the files (:class:`~ringlens.io.options.InputOptions`: CSV separator,
        decimal comma, timestamp format, time zone of naive timestamps); the defaults read
        comma-separated CSV and ISO-8601 timestamps, naive ones as UTC.
    report
        An :class:`~ringlens.io.options.IngestReport` to record the files read, and where
        naive timestamps were read as UTC, in (one report for all tables of a run). Text
        timestamps are only inspected when ``validate`` is true.

    Returns
    -------
    polars.LazyFrame
        Columns ``actor_id, actor_type, target_id, target_type, action`` (String),
        ``ts`` (Datetime[us, UTC]), ``amount`` (Float64, null when absent), ``market`` (String).

    Raises
    ------
    InputError, SchemaError, ConfigError
        With one line naming the file, column and first offending row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = p.write_text("actor_id,actor_type,target_id,target_type,action,ts\\n"
    ...                  "1,buyer,9,product,order,2024-05-01T10:00:00Z\\n")
    >>> scan_events(p).collect().select("actor_id", "target_type", "ts").row(0)
    ('1', 'product', datetime.datetime(2024, 5, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')))
    >>> scan_events(p, columns={"actor_id": "user"})
    Traceback (most recent call last):
    ringlens.exceptions.SchemaError: ...: column 'user' (mapped to 'actor_id') not found; ...

    A semicolon-separated export with day-first local times:

    >>> q = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
    >>> _ = q.write_text("actor_id;actor_type;target_id;target_type;action;ts\\n"
    ...                  "1;buyer;9;product;order;31/12/2024 23:30\\n")
    >>> opts = InputOptions(separator=";", timestamp_format="%d/%m/%Y %H:%M",
    ...                     timezone="Europe/Berlin")
    >>> scan_events(q, options=opts).collect()["ts"].item().isoformat()
    '2024-12-31T22:30:00+00:00'
    """
    return _load_table(
        paths,
        spec=_EVENT_SPEC,
        what="events",
        columns=columns,
        validate=validate,
        options=options,
        report=report,
    )


def _collect(lf: pl.LazyFrame, what: str) -> pl.DataFrame:
    try:
        return lf.collect()
    except pl.exceptions.PolarsError as exc:  # pragma: no cover - defensive
        raise InputError(f"{what}: cannot be read: {str(exc).splitlines()[0]}") from None
    except pl.exceptions.PanicException as exc:  # pragma: no cover - defensive
        raise InputError(f"{what}: cannot be read: {str(exc).splitlines()[0]}") from None


def load_events(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Mapping[str, str] | None = None,
    options: InputOptions | None = None,
    report: IngestReport | None = None,
) -> pl.DataFrame:
    """Read and validate events eagerly; see :func:`scan_events` (same parameters).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = p.write_text("actor_id,actor_type,target_id,target_type,action,ts\\n"
    ...                  "1,buyer,,product,order,2024-05-01\\n")
    >>> load_events(p)
    Traceback (most recent call last):
    ringlens.exceptions.SchemaError: ...e.csv: row 1 (line 2), column 'target_id': null or empty value, expected a string (or integer) id
    """
    lf = _load_table(
        paths,
        spec=_EVENT_SPEC,
        what="events",
        columns=columns,
        validate=True,
        materialize=True,
        options=options,
        report=report,
    )
    return _collect(lf, "events")


def load_entities(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Mapping[str, str] | None = None,
    options: InputOptions | None = None,
    report: IngestReport | None = None,
) -> pl.DataFrame:
    """Read the optional ``entities`` table (entity_type, entity_id, created_at, market,
    display_name, prior_violations); duplicates keep the first row per entity.

    ``options`` and ``report`` as in :func:`scan_events` (``created_at`` is a timestamp).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ent.csv"
    >>> _ = p.write_text("entity_type,entity_id,created_at\\ncreator,7,2023-01-02\\n")
    >>> load_entities(p).select("entity_id", "prior_violations").row(0)
    ('7', None)
    """
    lf = _load_table(
        paths,
        spec=_ENTITY_SPEC,
        what="entities",
        columns=columns,
        validate=True,
        options=options,
        report=report,
    )
    return _entities_table(lf)


def _entities_table(lf: pl.LazyFrame) -> pl.DataFrame:
    """Entities with types as the event graph stores them (normalised names), the first
    row per entity kept."""
    df = _collect(lf.with_columns(normalised(pl.col("entity_type"))), "entities")
    return df.unique(subset=["entity_type", "entity_id"], keep="first", maintain_order=True)


def entities_frame(entities: pl.DataFrame) -> pl.DataFrame:
    """An in-memory entities table in the contract's shape, as :func:`load_entities` gives
    it: optional columns it lacks are added (null), the others cast to the contract's
    types, entity types normalised, duplicates dropped (the first row per entity stays).

    A missing ``entity_type`` or ``entity_id`` is a :class:`~ringlens.exceptions.SchemaError`
    naming it.

    Examples
    --------
    >>> entities_frame(pl.DataFrame({"entity_type": ["User"], "entity_id": [7]})).row(0)
    ('user', '7', None, None, None, None)
    """
    return _entities_table(_in_memory(entities, _ENTITY_SPEC, "entities"))


def labels_frame(labels: pl.DataFrame) -> pl.DataFrame:
    """An in-memory labels table as :func:`load_labels` gives it: ids as text, entity
    types normalised, labels lower-cased, the last label per entity kept.

    A missing column, a null or a label other than ``confirmed`` / ``cleared`` is a
    :class:`~ringlens.exceptions.SchemaError` naming it (and the row).

    Examples
    --------
    >>> labels_frame(pl.DataFrame({"entity_type": ["User"], "entity_id": [7],
    ...     "label": ["Confirmed"]})).row(0)
    ('user', '7', 'confirmed')
    >>> labels_frame(pl.DataFrame({"entity_type": ["user"], "entity_id": ["7"]}))
    Traceback (most recent call last):
    ringlens.exceptions.SchemaError: labels: missing required column 'label'; expected a string (or integer) id; table has 'entity_type', 'entity_id'
    """
    df = _labels_table(_in_memory(labels, _LABEL_SPEC, "labels"))
    for name in ("entity_type", "entity_id", "label"):
        if df[name].null_count():
            row = int(df[name].is_null().arg_true()[0])
            raise SchemaError(f"labels: row {row + 1}, column {name!r}: null value")
    bad = _first_bad_label(df)
    if bad is not None:
        raise _bad_label("labels", bad[0], "", bad[1])
    return _last_label(df)


def _in_memory(frame: pl.DataFrame, spec: Sequence[ColumnSpec], what: str) -> pl.LazyFrame:
    """A table given in memory with its required columns checked and every contract column
    cast to the contract's type (missing optional ones null)."""
    schema = frame.schema
    for col in spec:
        if col.required and col.name not in schema:
            raise SchemaError(
                f"{what}: missing required column {col.name!r}; expected "
                f"{_EXPECTED[col.kind]}; table has {', '.join(map(repr, list(schema)[:12]))}"
            )
    lf, _ = _normalise(frame.lazy(), schema, spec)
    return lf


def load_labels(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Mapping[str, str] | None = None,
    options: InputOptions | None = None,
    report: IngestReport | None = None,
) -> pl.DataFrame:
    """Read the optional ``labels`` table (entity_type, entity_id, label).

    ``label`` must be ``confirmed`` or ``cleared``; the last label per entity wins.
    ``options`` and ``report`` as in :func:`scan_events`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = p.write_text("entity_type,entity_id,label\\nbuyer,1,confirmed\\nbuyer,2,maybe\\n")
    >>> load_labels(p)
    Traceback (most recent call last):
    ringlens.exceptions.SchemaError: ...labels.csv: row 2 (line 3), column 'label': 'maybe' is not a label, expected one of confirmed, cleared
    """
    lf = _load_table(
        paths,
        spec=_LABEL_SPEC,
        what="labels",
        columns=columns,
        validate=True,
        options=options,
        report=report,
    )
    df = _labels_table(lf)
    bad = _first_bad_label(df)
    if bad is not None:
        row, value = bad
        files = resolve_inputs(paths, table="labels")
        where = str(files[0]) if len(files) == 1 else "labels"
        line = (
            f" (line {row + 2})"
            if files[0].suffix.lower() in (".csv", ".tsv") and len(files) == 1
            else ""
        )
        raise _bad_label(where, row, line, value)
    return _last_label(df)


def _labels_table(lf: pl.LazyFrame) -> pl.DataFrame:
    """Labels in the contract's types with entity types normalised, labels lower-cased."""
    return _collect(
        lf.with_columns(
            normalised(pl.col("entity_type")), pl.col("label").str.strip_chars().str.to_lowercase()
        ),
        "labels",
    )


def _first_bad_label(df: pl.DataFrame) -> tuple[int, str] | None:
    """The first row (0-based) whose label is not one of :data:`LABEL_VALUES`, and it."""
    bad = df.with_row_index("_row").filter(~pl.col("label").is_in(LABEL_VALUES))
    if bad.height == 0:
        return None
    first = bad.row(0, named=True)
    return int(first["_row"]), first["label"]


def _bad_label(where: str, row: int, line: str, value: str) -> SchemaError:
    return SchemaError(
        f"{where}: row {row + 1}{line}, column 'label': {value!r} is not a label, "
        f"expected one of {', '.join(LABEL_VALUES)}"
    )


def _last_label(df: pl.DataFrame) -> pl.DataFrame:
    """One label per entity: the last one."""
    return df.unique(subset=["entity_type", "entity_id"], keep="last", maintain_order=True)


def iter_files(paths: Iterable[Path]) -> Iterable[Path]:  # pragma: no cover - tiny helper
    yield from paths
