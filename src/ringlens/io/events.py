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
ts         datetime (UTC) or ISO-8601 string    yes
amount     float                                no
market     string                               no
========== ==================================== ========

Every problem is raised as a :class:`~ringlens.exceptions.SchemaError` or
:class:`~ringlens.exceptions.InputError` whose one-line message names the file,
the column, the first offending row (1-based, counting data rows, not the CSV
header) and what was expected.

Integer ids are accepted and read as strings (``42`` and ``"42"`` are the same
id); floats, booleans, lists and structs as ids are type errors. Naive
timestamps are taken as UTC; timestamps with an offset are converted to UTC.
Duplicate events, self-interactions and unicode ids are legal.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ringlens.exceptions import ConfigError, InputError, SchemaError

log = logging.getLogger(__name__)

__all__ = [
    "EVENT_COLUMNS",
    "ENTITY_COLUMNS",
    "LABEL_COLUMNS",
    "scan_events",
    "load_events",
    "load_entities",
    "load_labels",
    "resolve_inputs",
]

TS_DTYPE = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class _Col:
    name: str
    kind: str  # "id", "str", "ts", "float", "int"
    required: bool


_EVENT_SPEC = (
    _Col("actor_id", "id", True),
    _Col("actor_type", "id", True),
    _Col("target_id", "id", True),
    _Col("target_type", "id", True),
    _Col("action", "id", True),
    _Col("ts", "ts", True),
    _Col("amount", "float", False),
    _Col("market", "str", False),
)
_ENTITY_SPEC = (
    _Col("entity_type", "id", True),
    _Col("entity_id", "id", True),
    _Col("created_at", "ts", False),
    _Col("market", "str", False),
    _Col("display_name", "str", False),
    _Col("prior_violations", "int", False),
)
_LABEL_SPEC = (
    _Col("entity_type", "id", True),
    _Col("entity_id", "id", True),
    _Col("label", "id", True),
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


def resolve_inputs(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, table: str | None = None
) -> list[Path]:
    """Expand one file, many files, a folder or a glob into a sorted list of data files.

    A folder yields every ``*.parquet``, ``*.csv``, ``*.ndjson``/``*.jsonl`` file in it
    (not recursive, hidden files skipped), sorted by name so runs are deterministic. With
    ``table`` (e.g. ``"events"``), a folder that holds files whose name starts with it
    (``events.parquet``, ``events-2024-01.csv``) yields only those: a folder written by
    ``ringlens synth`` holds events, entities, truth and labels side by side.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "b.csv").write_text("x"); _ = (d / "a.parquet").write_bytes(b"x")
    >>> [p.name for p in resolve_inputs(d)]
    ['a.parquet', 'b.csv']
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
            found = sorted(
                f
                for f in p.iterdir()
                if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in _SUFFIXES
            )
            if not found:
                raise InputError(
                    f"{p}: folder has no data files (expected *.parquet, *.csv, *.ndjson or *.jsonl)"
                )
            if table is not None:
                named = [f for f in found if f.name.startswith(table)]
                found = named or found
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


def _scan_one(path: Path) -> tuple[pl.LazyFrame, str]:
    """Scan one file lazily; raise InputError for empty or unreadable files."""
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
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            lf = pl.scan_csv(
                path,
                separator=sep,
                infer_schema=False,  # every column as string: types checked by us
                encoding="utf8",  # strict: lossy decoding would merge distinct ids
            )
        else:
            lf = pl.scan_ndjson(path, infer_schema_length=10_000)
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
    return lf, fmt


def _read_error(path: Path, fmt: str, first: str) -> InputError:
    if "utf-8" in first.lower() or "utf8" in first.lower():
        return InputError(
            f"{path}: not valid UTF-8 text ({first}); expected a UTF-8 {fmt} file "
            "(re-encode it, e.g. iconv -f latin1 -t utf-8)"
        )
    return InputError(f"{path}: cannot be read as {fmt}: {first}")


def _check_mapping(
    mapping: Mapping[str, str] | None, spec: Sequence[_Col], what: str
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
            dtype == pl.String or dtype.is_integer() or dtype == pl.Categorical or dtype == pl.Null
        )
    if kind == "ts":
        return (
            dtype == pl.String
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
    "ts": "a datetime or an ISO-8601 string",
    "float": "a number",
    "int": "an integer",
}


def _parse_ts(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Turn a string/date/datetime column into UTC microsecond datetimes (null where unparseable)."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return expr.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        return expr.dt.convert_time_zone("UTC").cast(TS_DTYPE)
    if dtype == pl.Date:
        return expr.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype == pl.Null:
        return expr.cast(TS_DTYPE)
    s = expr.str.strip_chars()
    naive = s.str.replace("T", " ", literal=True)
    return pl.coalesce(
        s.str.strptime(TS_DTYPE, "%Y-%m-%dT%H:%M:%S%.f%#z", strict=False),
        s.str.strptime(TS_DTYPE, "%Y-%m-%d %H:%M:%S%.f%#z", strict=False),
        naive.str.strptime(
            pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False
        ).dt.replace_time_zone("UTC"),
        naive.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False).dt.replace_time_zone(
            "UTC"
        ),
        s.str.strptime(pl.Datetime("us"), "%Y-%m-%d", strict=False).dt.replace_time_zone("UTC"),
    )


def _normalise(
    lf: pl.LazyFrame, schema: pl.Schema, spec: Sequence[_Col]
) -> tuple[pl.LazyFrame, list[pl.Expr]]:
    """Cast columns to the contract's types; return the new frame and per-column bad-value masks.

    The masks are evaluated on the *raw* and *cast* columns side by side, so an error can say
    which raw value was wrong.
    """
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
            exprs.append(_parse_ts(c, dtype).alias(col.name))
        elif col.kind == "float":
            if dtype == pl.String:
                exprs.append(c.str.strip_chars().cast(pl.Float64, strict=False).alias(col.name))
            else:
                exprs.append(c.cast(pl.Float64).alias(col.name))
        elif col.kind == "int":
            if dtype == pl.String:
                exprs.append(c.str.strip_chars().cast(pl.Int64, strict=False).alias(col.name))
            else:
                exprs.append(c.cast(pl.Int64).alias(col.name))
    return lf.select(exprs), []


def _first_bad_rows(
    raw: pl.LazyFrame, schema: pl.Schema, spec: Sequence[_Col]
) -> dict[str, tuple[str, int, str | None]]:
    """One pass over the raw data: for each check, the first offending row and its raw value."""
    checks: list[tuple[str, str, pl.Expr]] = []
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
        if col.kind == "id" and dtype == pl.String:
            # node keys are "type:id" (graph keys "type\0id"): a NUL anywhere or a ":" in a
            # type would make two different nodes share a key or split a key wrongly
            checks.append((col.name, "nul", c.str.contains("\x00", literal=True)))
            if col.name.endswith("_type"):
                checks.append((col.name, "colon", c.str.contains(":", literal=True)))
        if col.kind == "ts" and dtype == pl.String:
            checks.append(
                (col.name, "unparseable", c.is_not_null() & _parse_ts(c, dtype).is_null())
            )
        if col.kind == "float" and dtype == pl.String:
            s = c.str.strip_chars()
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
    # clean data is the common case: one pass of cheap boolean reductions, and the first
    # offending row and value only for the checks that fired. A string id column's checks
    # (blank, NUL, ':' in a type) are screened by one regex: one scan of the strings, not three
    screens: dict[str, pl.Expr] = {}
    for col in spec:
        name = col.name
        kinds = {k for n, k, _ in checks if n == name}
        if kinds and kinds <= {"empty", "nul", "colon"} and schema.get(name) == pl.String:
            alts = (["^\\s*$"] if "empty" in kinds else []) + [
                "[\\x00:]" if "colon" in kinds else "\\x00"
            ]
            text = pl.col(name).str.contains("|".join(alts))
            screens[name] = pl.col(name).is_null() | text if "empty" in kinds else text
        else:
            for i, (n, _, mask) in enumerate(checks):
                if n == name:
                    screens[f"{name}\0{i}"] = mask
    aggs: list[pl.Expr] = [pl.len().alias("_rows")]
    aggs += [mask.any().alias(f"s{j}") for j, mask in enumerate(screens.values())]
    res = raw.select(aggs).collect(engine="streaming").row(0)
    out: dict[str, tuple[str, int, str | None]] = {"_rows": ("", int(res[0]), None)}
    hit = {key.split("\0")[0] for key, flag in zip(screens, res[1:], strict=True) if flag}
    fired = [(i, check) for i, check in enumerate(checks) if check[0] in hit]
    if not fired:
        return out
    idx = pl.int_range(0, pl.len(), dtype=pl.Int64)
    aggs = []
    for i, (name, _, mask) in fired:
        aggs.append(idx.filter(mask).first().alias(f"r{i}"))
        aggs.append(pl.col(name).cast(pl.String).filter(mask).first().alias(f"v{i}"))
    first = raw.select(aggs).collect(engine="streaming").row(0, named=True)
    for i, (name, kind, _) in fired:
        if first[f"r{i}"] is not None:
            out[f"{name}:{kind}"] = (name, int(first[f"r{i}"]) + 1, first[f"v{i}"])
    return out


def _load_table(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    spec: Sequence[_Col],
    what: str,
    columns: Mapping[str, str] | None,
    validate: bool,
    materialize: bool = False,
) -> pl.LazyFrame:
    mapping = _check_mapping(columns, spec, what)
    files = resolve_inputs(paths, table=what)
    frames: list[pl.LazyFrame] = []
    for path in files:
        raw, fmt = _scan_one(path)
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
        for col in spec:
            if col.required and col.name not in schema:
                hint = f" (mapped from {mapping[col.name]!r})" if col.name in mapping else ""
                raise SchemaError(
                    f"{path}: missing required column {col.name!r}{hint}; "
                    f"expected {_EXPECTED[col.kind]}; file has {', '.join(map(repr, list(schema)[:12]))}"
                )
            if col.name in schema and not _dtype_ok(col.kind, schema[col.name], fmt):
                raise SchemaError(
                    f"{path}: column {col.name!r} has type {schema[col.name]}, expected {_EXPECTED[col.kind]}"
                )
        if validate:
            try:
                if materialize:  # read once; validate and normalise in memory
                    raw = raw.collect().lazy()
                bad = _first_bad_rows(raw, schema, spec)
                nrows = bad.pop("_rows")[1]
            except pl.exceptions.PolarsError as exc:
                first = str(exc).strip().splitlines()[0]
                raise _read_error(path, fmt, first) from None
            if nrows == 0:
                raise InputError(
                    f"{path}: file has a header but no rows (expected at least one {what[:-1]})"
                )
            for col in spec:
                for kind in ("empty", "unparseable", "nonfinite", "nul", "colon"):
                    hit = bad.get(f"{col.name}:{kind}")
                    if hit is None:
                        continue
                    name, row, value = hit
                    where = f"{path}: row {row}" + (f" (line {row + 1})" if fmt == "csv" else "")
                    if kind == "empty":
                        raise SchemaError(
                            f"{where}, column {name!r}: null or empty value, expected {_EXPECTED[col.kind]}"
                        )
                    if kind == "nonfinite":
                        raise SchemaError(
                            f"{where}, column {name!r}: value {value!r} is not finite, expected a number"
                        )
                    if kind == "nul":
                        raise SchemaError(
                            f"{where}, column {name!r}: {_short(value)} contains a NUL character, "
                            "expected text without NUL"
                        )
                    if kind == "colon":
                        raise SchemaError(
                            f"{where}, column {name!r}: type {_short(value)} contains ':', which "
                            "separates type and id in node keys (creator:42); expected a type without ':'"
                        )
                    raise SchemaError(
                        f"{where}, column {name!r}: cannot parse {_short(value)}, expected {_EXPECTED[col.kind]}"
                    )
        lf, _ = _normalise(raw, schema, spec)
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
) -> pl.LazyFrame:
    """Scan events from Parquet, CSV or NDJSON into a validated, normalised LazyFrame.

    Parameters
    ----------
    paths
        One file, a list of files, a folder or a glob pattern.
    columns
        Column mapping ``{contract_name: source_name}``, e.g. ``{"actor_id": "user"}``.
    validate
        Check values (nulls, empty ids, unparseable timestamps/amounts) with one extra scan
        of each file. Schema checks (missing columns, wrong types) always run.

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
    """
    return _load_table(paths, spec=_EVENT_SPEC, what="events", columns=columns, validate=validate)


def load_events(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Read and validate events eagerly; see :func:`scan_events`.

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
        paths, spec=_EVENT_SPEC, what="events", columns=columns, validate=True, materialize=True
    )
    try:
        return lf.collect()
    except pl.exceptions.PolarsError as exc:  # pragma: no cover - defensive
        raise InputError(f"events: cannot be read: {str(exc).splitlines()[0]}") from None


def load_entities(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Read the optional ``entities`` table (entity_type, entity_id, created_at, market,
    display_name, prior_violations); duplicates keep the first row per entity.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ent.csv"
    >>> _ = p.write_text("entity_type,entity_id,created_at\\ncreator,7,2023-01-02\\n")
    >>> load_entities(p).select("entity_id", "prior_violations").row(0)
    ('7', None)
    """
    df = _load_table(
        paths, spec=_ENTITY_SPEC, what="entities", columns=columns, validate=True
    ).collect()
    return df.unique(subset=["entity_type", "entity_id"], keep="first", maintain_order=True)


def load_labels(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Read the optional ``labels`` table (entity_type, entity_id, label).

    ``label`` must be ``confirmed`` or ``cleared``; the last label per entity wins.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = p.write_text("entity_type,entity_id,label\\nbuyer,1,confirmed\\nbuyer,2,maybe\\n")
    >>> load_labels(p)
    Traceback (most recent call last):
    ringlens.exceptions.SchemaError: ...labels.csv: row 2 (line 3), column 'label': 'maybe' is not a label, expected one of confirmed, cleared
    """
    lf = _load_table(paths, spec=_LABEL_SPEC, what="labels", columns=columns, validate=True)
    df = lf.with_columns(pl.col("label").str.strip_chars().str.to_lowercase()).collect()
    bad = df.with_row_index("_row").filter(~pl.col("label").is_in(LABEL_VALUES))
    if bad.height:
        row, value = bad.row(0, named=True)["_row"], bad.row(0, named=True)["label"]
        files = resolve_inputs(paths, table="labels")
        where = str(files[0]) if len(files) == 1 else "labels"
        line = (
            f" (line {row + 2})"
            if files[0].suffix.lower() in (".csv", ".tsv") and len(files) == 1
            else ""
        )
        raise SchemaError(
            f"{where}: row {row + 1}{line}, column 'label': {value!r} is not a label, "
            f"expected one of {', '.join(LABEL_VALUES)}"
        )
    return df.unique(subset=["entity_type", "entity_id"], keep="last", maintain_order=True)


def iter_files(paths: Iterable[Path]) -> Iterable[Path]:  # pragma: no cover - tiny helper
    yield from paths
