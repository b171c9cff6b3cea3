"""Read and validate events and entities in Spark, with the local path's data contract.

Input is a Spark DataFrame, a table (``"table:db.name"``), or anything Spark reads by path
(Parquet, CSV/TSV, NDJSON; local files, folders and globs as in
:func:`ringlens.io.resolve_inputs`, or URIs such as ``s3a://…``).

Validation gives the local path's errors:

* schema problems (missing or mis-typed columns, a bad column mapping, empty or corrupt
  files) are found by the local reader on each file's header or footer, on the driver;
* value problems (null or empty ids, unparseable timestamps or amounts, non-finite
  amounts) are found in Spark: every Arrow batch is checked with the local checks inside
  ``mapInArrow``. For the first file (in :func:`~ringlens.io.resolve_inputs` order) with a
  problem, the local reader then runs on that one file, so the error names the same file,
  column, row and value as ``ringlens score`` would. A DataFrame or table has no row
  numbers: its error names the column, the value and what was expected.

Normalising (ids to strings, timestamps to UTC, amounts to floats) is the local code
(:mod:`ringlens.io.validate`, the loaders' public contract), run on each Arrow batch.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ringlens.exceptions import InputError, SchemaError
from ringlens.io.options import IngestReport, InputOptions, columns_by_name
from ringlens.io.validate import (
    EXPECTED,
    FORMATS,
    TABLE_SPECS,
    check_mapping,
    first_bad_rows,
    load_table,
    normalise_table,
    value_error,
)

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

__all__ = ["read_events", "read_entities", "read_labels", "EVENT_SCHEMA", "ENTITY_SCHEMA"]

EVENT_SCHEMA = (
    "actor_id string, actor_type string, target_id string, target_type string, "
    "action string, ts timestamp, amount double, market string"
)
ENTITY_SCHEMA = (
    "entity_type string, entity_id string, created_at timestamp, market string, "
    "display_name string, prior_violations long"
)
_FILE = "_rl_file"
_ORDER = "_rl_order"
_BLOCK = "_rl_block"
_META = (_FILE, _BLOCK)
_CHECK_SCHEMA = "file string, rows long, problems array<string>"
_KINDS = ("empty", "unparseable", "nonfinite")


def _spec(what: str) -> Sequence[Any]:
    return TABLE_SPECS[what]


def _is_dataframe(obj: Any) -> bool:
    return hasattr(obj, "mapInArrow") and hasattr(obj, "schema")


def _is_uri(item: Any) -> bool:
    s = str(item)
    return "://" in s and not s.startswith("file://")


# ------------------------------------------------------------------ batch functions


def _check_batches(
    batches: Iterator[pa.RecordBatch],
    *,
    what: str,
    has_file: bool,
    options: InputOptions | None = None,
) -> Iterator[pa.RecordBatch]:
    """Per file in each batch: row count and the failed checks (``col:kind=value``)."""
    import pyarrow as pa

    for batch in batches:
        df = pl.from_arrow(batch)
        assert isinstance(df, pl.DataFrame)
        groups = df.partition_by(_FILE, as_dict=True) if has_file else {("",): df}
        files, rows, problems = [], [], []
        for key, part in groups.items():
            raw = part.drop(*[c for c in _META if c in part.columns])
            bad = first_bad_rows(raw, table=what, options=options)
            found = [
                f"{k}={'' if v[2] is None else v[2]}"
                for k, v in bad.items()
                if ":" in k and k.split(":", 1)[1] in _KINDS
            ]
            files.append(str(key[0]))
            rows.append(part.height)
            problems.append(found)
        yield pa.RecordBatch.from_pydict(
            {"file": files, "rows": rows, "problems": problems},
            schema=pa.schema(
                [("file", pa.string()), ("rows", pa.int64()), ("problems", pa.list_(pa.string()))]
            ),
        )


def _normalise_batches(
    batches: Iterator[pa.RecordBatch],
    *,
    what: str,
    keep: Sequence[str],
    options: InputOptions | None = None,
) -> Iterator[pa.RecordBatch]:
    """Cast each batch to the contract's types with the local code."""
    for batch in batches:
        df = pl.from_arrow(batch)
        assert isinstance(df, pl.DataFrame)
        out = normalise_table(df, table=what, options=options).collect()
        if keep:
            out = out.with_columns(df.select(keep))
        yield from out.to_arrow().to_batches()


# ------------------------------------------------------------------ reading


def _read_paths(spark: SparkSession, paths: Sequence[str], fmt: str, sep: str) -> DataFrame:
    from pyspark.sql import functions as F

    if fmt == "parquet":
        df = spark.read.parquet(*paths)
    elif fmt == "csv":
        df = spark.read.csv(
            list(paths),
            header=True,
            inferSchema=False,
            sep=sep,
            encoding="UTF-8",
            mode="PERMISSIVE",
        )
        bom = [c for c in df.columns if c.startswith("\ufeff")]
        for c in bom:
            df = df.withColumnRenamed(c, c.lstrip("\ufeff"))
    else:
        df = spark.read.json(list(paths))
    # a local path for local files ("file:/a%20b/x.csv" -> "/a b/x.csv"), the URI otherwise
    local = F.url_decode(F.regexp_replace(F.col("_metadata.file_path"), "^file:(//)?", ""))
    path = F.when(F.col("_metadata.file_path").startswith("file:"), local).otherwise(
        F.col("_metadata.file_path")
    )
    return df.withColumn(_FILE, path).withColumn(_BLOCK, F.col("_metadata.file_block_start"))


def _source_frame(
    spark: SparkSession,
    source: Any,
    *,
    what: str,
    columns: Mapping[str, str] | None,
    options: InputOptions,
) -> tuple[DataFrame, list[Path] | None, str]:
    """The raw Spark frame (contract column names), the local files (or None), a label."""
    from ringlens.io import resolve_inputs

    spec = _spec(what)
    mapping = check_mapping(columns, table=what)
    defaults = dict(options.defaults) if what == "events" else {}
    if _is_dataframe(source):
        label = f"{what} (Spark DataFrame)"
        return _apply_mapping(source, mapping, spec, label=label, defaults=defaults), None, label
    if isinstance(source, str) and source.startswith("table:"):
        name = source.removeprefix("table:")
        label = f"table {name}"
        frame = spark.table(name)
        return _apply_mapping(frame, mapping, spec, label=label, defaults=defaults), None, label
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    if any(_is_uri(i) for i in items):
        groups: dict[tuple[str, str], list[str]] = {}
        for i in items:
            suffix = Path(str(i).rstrip("/")).suffix.lower()
            fmt = FORMATS.get(suffix, "parquet")
            groups.setdefault((fmt, _separator(suffix, options)), []).append(str(i))
        frames = [_read_paths(spark, p, fmt, sep) for (fmt, sep), p in groups.items()]
        df = functools.reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)
        label = ", ".join(str(i) for i in items[:3])
        return _apply_mapping(df, mapping, spec, label=label, defaults=defaults), None, label
    files = resolve_inputs(items, table=what)
    # schema checks (columns, types, mapping, empty or corrupt files): the local reader,
    # which also says which files lack a column that ``input.defaults`` gives
    report = IngestReport()
    load_table(files, table=what, columns=columns, validate=False, options=options, report=report)
    # one Spark read per format, separator and header: Spark reads the CSV files of one
    # read by the first file's header (by position) and Parquet files by one file's schema
    by_header: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for f in files:
        fmt = FORMATS[f.suffix.lower()]
        sep = _separator(f.suffix.lower(), options)
        by_header.setdefault((fmt, sep, _header(f, fmt, sep)), []).append(str(f.resolve()))
    frames = []
    for (fmt, sep, _), p in by_header.items():
        raw = _read_paths(spark, p, fmt, sep)
        frames.append(_apply_mapping(raw, mapping, spec, label=what, defaults=defaults))
    df = functools.reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)
    return _filled_per_file(df, defaults, report.defaulted), files, what


def _header(path: Path, fmt: str, sep: str) -> tuple[str, ...]:
    """A local file's column names in order, with their types for Parquet (NDJSON: none,
    Spark merges its keys by name)."""
    if fmt == "parquet":
        return tuple(f"{n}:{t}" for n, t in pl.read_parquet_schema(path).items())
    if fmt == "csv":
        lf = pl.scan_csv(path, separator=sep, infer_schema=False, n_rows=0, encoding="utf8")
        return tuple(lf.collect_schema())
    return ()


def _separator(suffix: str, options: InputOptions) -> str:
    """The CSV separator of a file: a tab for ``.tsv``, else ``input.separator``."""
    return "\t" if suffix == ".tsv" else options.separator


def _filled_per_file(
    df: DataFrame, defaults: Mapping[str, str], defaulted: Sequence[tuple[str, str]]
) -> DataFrame:
    """``df`` with each column of ``defaults`` given its value in the rows of the files
    that lack it (``defaulted``: the local reader's ``(path, column)`` pairs) where the
    row has none (an NDJSON file's later rows may hold the key), as the local reader
    fills it file by file."""
    from pyspark.sql import functions as F

    for column, value in sorted(defaults.items()):
        lacking = sorted({str(Path(p).resolve()) for p, c in defaulted if c == column})
        if lacking and column in df.columns:
            given = F.coalesce(F.col(column), F.lit(value))
            filled = F.when(F.col(_FILE).isin(lacking), given).otherwise(F.col(column))
            df = df.withColumn(column, filled)
    return df


def _apply_mapping(
    df: DataFrame,
    mapping: Mapping[str, str],
    spec: Sequence[Any],
    *,
    label: str,
    defaults: Mapping[str, str] | None = None,
) -> DataFrame:
    from pyspark.sql import functions as F

    cols = [c for c in df.columns if c not in _META]
    meta = [c for c in _META if c in df.columns]
    # a column named as the contract's in another spelling (``Actor_ID``), as locally
    mapping = {**mapping, **columns_by_name([c.name for c in spec], cols, mapping)}
    rename = {}
    for contract, src in mapping.items():
        if src not in cols:
            raise SchemaError(
                f"{label}: column {src!r} (mapped to {contract!r}) not found; "
                f"it has {', '.join(map(repr, cols[:12]))}"
            )
        rename[src] = contract
    if rename:
        clash = [c for c in rename.values() if c in cols and c not in rename]
        df = df.drop(*clash)
        df = df.select(
            *[F.col(c).alias(rename.get(c, c)) for c in df.columns if c not in _META], *meta
        )
    for name, value in sorted((defaults or {}).items()):
        if name not in df.columns:  # the frame lacks it: ``input.defaults`` gives it
            df = df.withColumn(name, F.lit(value).cast("string"))
    have = set(df.columns)
    for col in spec:
        if col.required and col.name not in have:
            hint = f" (mapped from {mapping[col.name]!r})" if col.name in mapping else ""
            raise SchemaError(
                f"{label}: missing required column {col.name!r}{hint}; "
                f"expected {EXPECTED[col.kind]}; it has {', '.join(map(repr, cols[:12]))}"
            )
    keep = [c.name for c in spec if c.name in have]
    return df.select(*keep, *meta)


def _check_dtypes(df: DataFrame, spec: Sequence[Any], *, label: str) -> None:
    """Spark types the contract accepts (the local rule, on Spark's types)."""
    from pyspark.sql import types as T

    ok: dict[str, tuple[type, ...]] = {
        "id": (T.StringType, T.IntegralType, T.NullType),
        "str": (T.StringType, T.IntegralType, T.NullType),
        "ts": (T.StringType, T.TimestampType, T.TimestampNTZType, T.DateType, T.NullType),
        "float": (T.NumericType, T.StringType, T.NullType),
        "int": (T.IntegralType, T.StringType, T.NullType),
    }
    fields = {f.name: f.dataType for f in df.schema.fields}
    for col in spec:
        dt = fields.get(col.name)
        if dt is not None and not isinstance(dt, ok[col.kind]):
            raise SchemaError(
                f"{label}: column {col.name!r} has type {dt.simpleString()}, "
                f"expected {EXPECTED[col.kind]}"
            )


def _validate(
    df: DataFrame,
    *,
    what: str,
    files: list[Path] | None,
    columns: Mapping[str, str] | None,
    label: str,
    options: InputOptions,
) -> None:
    from pyspark.sql import functions as F

    has_file = _FILE in df.columns
    fn = functools.partial(_check_batches, what=what, has_file=has_file, options=options)
    agg = (
        df.mapInArrow(fn, _CHECK_SCHEMA)
        .groupBy("file")
        .agg(F.sum("rows").alias("rows"), F.array_distinct(F.flatten(F.collect_list("problems"))))
        .collect()
    )
    by_file = {r[0]: (int(r[1]), list(r[2])) for r in agg}
    if files is not None:
        for f in files:
            rows, problems = by_file.get(str(f.resolve()), (0, []))
            if rows == 0 or problems:
                # the local reader on this one file gives the local path's exact error
                load_table([f], table=what, columns=columns, validate=True, options=options)
                raise InputError(  # pragma: no cover - Spark and Polars disagree on the file
                    f"{f}: {', '.join(problems) or 'no rows'} (found by Spark, not by the local reader)"
                )
        return
    total = sum(r for r, _ in by_file.values())
    if total == 0:
        raise InputError(f"{label}: no rows (expected at least one {what[:-1]})")
    found: dict[str, str] = {}
    for _, problems in by_file.values():
        for p in problems:
            k, _, v = p.partition("=")
            found.setdefault(k, v)
    for col in _spec(what):
        for kind in _KINDS:
            v = found.get(f"{col.name}:{kind}")
            if v is not None:  # a Spark frame's checks read text: the raw value as text
                raise value_error(label, col, kind, v, dtype=pl.String(), options=options)


def _read_table(
    spark: SparkSession,
    source: Any,
    *,
    what: str,
    schema: str,
    columns: Mapping[str, str] | None,
    validate: bool,
    keep_order: bool = False,
    options: InputOptions | None = None,
) -> DataFrame:
    from pyspark.sql import functions as F

    opts = options or InputOptions()
    df, files, label = _source_frame(spark, source, what=what, columns=columns, options=opts)
    _check_dtypes(df, _spec(what), label=label)
    if validate:
        _validate(df, what=what, files=files, columns=columns, label=label, options=opts)
    keep: list[str] = []
    if keep_order:
        order = [F.monotonically_increasing_id()]
        if files is not None:
            rank = {str(f.resolve()): i for i, f in enumerate(files)}
            m = F.create_map(*[F.lit(x) for kv in rank.items() for x in kv])
            order = [m[F.col(_FILE)], F.col(_BLOCK), *order]
        df = df.withColumn(_ORDER, F.struct(*order))
        keep = [_ORDER]
    df = df.drop(*_META)
    fn = functools.partial(_normalise_batches, what=what, keep=keep, options=opts)
    out_schema = schema + (
        f", {_ORDER} " + df.schema[_ORDER].dataType.simpleString() if keep else ""
    )
    return df.mapInArrow(fn, out_schema)


def read_events(
    spark: SparkSession,
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    validate: bool = True,
    options: InputOptions | None = None,
) -> DataFrame:
    """Events as a Spark DataFrame following the data contract.

    Parameters
    ----------
    spark
        The session.
    source
        A Spark DataFrame, ``"table:db.name"``, or paths (file, folder, glob, list, URI).
    columns
        Column mapping ``{contract_name: source_name}`` (``input.columns`` in the config).
    validate
        Check values (one extra pass, in Spark). Schema checks always run.
    options
        How to read the files (:class:`~ringlens.io.options.InputOptions`: CSV separator,
        decimal comma, timestamp format, time zone of naive timestamps, column defaults), as
        the local loaders read them.

    Returns
    -------
    pyspark.sql.DataFrame
        ``actor_id, actor_type, target_id, target_type, action`` (string), ``ts``
        (timestamp, UTC), ``amount`` (double), ``market`` (string).

    Raises
    ------
    InputError, SchemaError, ConfigError
        The local path's error for the same input (see the module docstring).

    Examples
    --------
    >>> ev = read_events(spark, "graphs/demo")
    >>> ev.count(), ev.schema["ts"].dataType.simpleString()
    (195339, 'timestamp')
    """
    return _read_table(
        spark,
        source,
        what="events",
        schema=EVENT_SCHEMA,
        columns=columns,
        validate=validate,
        options=options,
    )


def read_entities(
    spark: SparkSession,
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    options: InputOptions | None = None,
) -> DataFrame:
    """The entities table as a Spark DataFrame; like :func:`ringlens.io.load_entities`,
    duplicates keep the first row per entity (in file order); ``options`` as in
    :func:`read_events`."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = _read_table(
        spark,
        source,
        what="entities",
        schema=ENTITY_SCHEMA,
        columns=columns,
        validate=True,
        keep_order=True,
        options=options,
    )
    w = Window.partitionBy("entity_type", "entity_id").orderBy(_ORDER)
    return (
        df.withColumn("_rn", F.row_number().over(w)).filter(F.col("_rn") == 1).drop("_rn", _ORDER)
    )


def read_labels(
    spark: SparkSession | None,
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    options: InputOptions | None = None,
) -> pl.DataFrame:
    """The labels table (small: reviewer verdicts) as a Polars frame on the driver.

    Paths go through :func:`ringlens.io.load_labels`; a Spark DataFrame is collected and
    checked with the same rules.
    """
    from ringlens.io import load_labels
    from ringlens.io.events import LABEL_VALUES

    if not _is_dataframe(source):
        return load_labels(source, columns=columns, options=options)
    spec = _spec("labels")
    raw = _apply_mapping(source, dict(columns or {}), spec, label="labels (Spark DataFrame)")
    df = pl.from_arrow(raw.toArrow())
    assert isinstance(df, pl.DataFrame)
    lf = normalise_table(df, table="labels")
    out = lf.with_columns(pl.col("label").str.strip_chars().str.to_lowercase()).collect()
    bad = out.filter(~pl.col("label").is_in(LABEL_VALUES) | pl.col("label").is_null())
    if bad.height:
        raise SchemaError(
            f"labels (Spark DataFrame), column 'label': {bad['label'][0]!r} is not a label, "
            f"expected one of {', '.join(LABEL_VALUES)}"
        )
    return out.unique(subset=["entity_type", "entity_id"], keep="last", maintain_order=True)
