"""The loaders' data contract, checks and casts, for engines that read the tables themselves.

:func:`~ringlens.io.load_events` and the other loaders read files with Polars. An engine
that reads the same tables another way — the Spark engine (:mod:`ringlens.spark.ingest`)
reads them with Spark and checks every Arrow batch — uses this module to apply the same
contract, the same value checks and the same one-line errors:

==================  ======================================================================
name                what
==================  ======================================================================
``ColumnSpec``      one contract column: ``name``, ``kind`` (id, str, ts, float, int),
                    ``required``
``TABLE_SPECS``     table (``events``, ``entities``, ``labels``) → its columns
``EXPECTED``        column kind → what a value of it must be (the errors' wording)
``FORMATS``         file suffix → format (``parquet``, ``csv``, ``ndjson``)
``CHECK_KINDS``     the value checks, in the order a table's errors are reported
``check_mapping``   a column mapping (``input.columns``) checked against a table
``load_table``      the loaders' reader: schema checks, value checks, normalising
``first_bad_rows``  one pass of the value checks over a frame: the first bad row per check
``normalise_table`` a frame cast to the contract's types
``value_error``     the one-line error of a failed check
==================  ======================================================================

The value checks (``CHECK_KINDS``): ``empty`` (a required value null or blank),
``unparseable`` (a timestamp, number or integer that does not parse), ``nonfinite``
(an amount that is NaN or infinite), ``nul`` (a NUL character in text), ``colon`` (a
``:`` in an actor, target or entity type: it separates type and id in node keys),
``long`` (an id or type longer than :data:`~ringlens.io.MAX_ID_BYTES` in UTF-8) and
``range`` (a timestamp outside :data:`~ringlens.io.TIME_RANGE`).

Examples
--------
>>> import polars as pl
>>> frame = pl.DataFrame({"entity_type": ["buyer", "sel:ler"], "entity_id": ["1", "2"]})
>>> bad = first_bad_rows(frame, table="entities")
>>> bad["entity_type:colon"]
('entity_type', 2, 'sel:ler')
>>> spec = {c.name: c for c in TABLE_SPECS["entities"]}
>>> print(value_error("my table", spec["entity_type"], "colon", "sel:ler", dtype=pl.String()))
my table, column 'entity_type': type 'sel:ler' contains ':', which separates type and id in node keys (creator:42); expected a type without ':'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import polars as pl

from ringlens.exceptions import SchemaError
from ringlens.io.events import (
    _DEFAULT_OPTIONS,
    _ENTITY_SPEC,
    _EVENT_SPEC,
    _EXPECTED,
    _KINDS,
    _LABEL_SPEC,
    _SUFFIXES,
    ColumnSpec,
    _check_mapping,
    _first_bad_rows,
    _load_table,
    _normalise,
    _value_error,
)
from ringlens.io.options import IngestReport, InputOptions

__all__ = [
    "CHECK_KINDS",
    "EXPECTED",
    "FORMATS",
    "TABLE_SPECS",
    "ColumnSpec",
    "check_mapping",
    "first_bad_rows",
    "load_table",
    "normalise_table",
    "value_error",
]

#: Table name → its contract columns, in order.
TABLE_SPECS: Mapping[str, tuple[ColumnSpec, ...]] = MappingProxyType(
    {"events": _EVENT_SPEC, "entities": _ENTITY_SPEC, "labels": _LABEL_SPEC}
)
#: Column kind → what a value of that kind must be, as the errors say it.
EXPECTED: Mapping[str, str] = MappingProxyType(dict(_EXPECTED))
#: File suffix (lower case, with the dot) → format: ``parquet``, ``csv`` or ``ndjson``.
FORMATS: Mapping[str, str] = MappingProxyType(dict(_SUFFIXES))
#: The value checks, in the order a table's errors are reported (see the module docs).
CHECK_KINDS: tuple[str, ...] = _KINDS

PathLike = str | os.PathLike[str]


def _spec(table: str) -> tuple[ColumnSpec, ...]:
    try:
        return TABLE_SPECS[table]
    except KeyError:
        raise ValueError(f"table must be one of {', '.join(TABLE_SPECS)}, got {table!r}") from None


def check_mapping(columns: Mapping[str, str] | None, *, table: str) -> dict[str, str]:
    """A column mapping ``{contract_name: source_name}`` checked against ``table``'s
    contract (:class:`~ringlens.exceptions.ConfigError` naming the bad entry).

    Examples
    --------
    >>> check_mapping({"actor_id": "user"}, table="events")
    {'actor_id': 'user'}
    >>> check_mapping({"user": "actor_id"}, table="events")
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: column mapping for events: unknown column 'user' (expected one of action, actor_id, actor_type, amount, market, target_id, target_type, ts)
    """
    return _check_mapping(columns, _spec(table), table)


def load_table(
    paths: PathLike | Sequence[PathLike],
    *,
    table: str,
    columns: Mapping[str, str] | None = None,
    validate: bool = True,
    options: InputOptions | None = None,
    report: IngestReport | None = None,
) -> pl.LazyFrame:
    """``table``'s files read as the loaders read them: the files resolved
    (:func:`~ringlens.io.resolve_inputs`), each file's schema checked (columns, types,
    mapping; empty or corrupt files), its values checked when ``validate``, and the
    columns cast to the contract's types. Raises the loaders' one-line errors (file, row,
    column, value).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = p.write_text("entity_type,entity_id,label\\nbuyer,1,confirmed\\n")
    >>> load_table(p, table="labels").collect().row(0)
    ('buyer', '1', 'confirmed')
    """
    return _load_table(
        paths,
        spec=_spec(table),
        what=table,
        columns=columns,
        validate=validate,
        options=options,
        report=report,
    )


def first_bad_rows(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    table: str,
    options: InputOptions | None = None,
) -> dict[str, tuple[str, int, str | None]]:
    """Every value check of ``table`` over ``frame`` (contract column names, raw types) in
    one pass: ``"<column>:<kind>"`` → ``(column, first bad row (1-based), raw value as
    text)`` for each check that fired, ``"_rows"`` → the row count, and
    ``"<column>:naive"`` where text timestamps without an offset were read in
    ``options``' zone that was not declared (a note, not an error).

    Examples
    --------
    >>> import polars as pl
    >>> ev = pl.DataFrame({"actor_id": ["1", " "], "actor_type": "buyer", "target_id": "9",
    ...     "target_type": "product", "action": "order", "ts": ["2024-05-01", "soon"]})
    >>> bad = first_bad_rows(ev, table="events")
    >>> bad["actor_id:empty"], bad["ts:unparseable"], bad["_rows"][1]
    (('actor_id', 2, ' '), ('ts', 2, 'soon'), 2)
    """
    lf = frame.lazy()
    return _first_bad_rows(lf, lf.collect_schema(), _spec(table), options=options)


def normalise_table(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    table: str,
    options: InputOptions | None = None,
) -> pl.LazyFrame:
    """``frame`` (contract column names, raw types) cast to the contract's types: ids and
    text to strings, timestamps to UTC (naive ones read in ``options``' zone), amounts to
    floats; absent optional columns added as nulls. Values that fail a check become null:
    check first (:func:`first_bad_rows`).

    Examples
    --------
    >>> import polars as pl
    >>> lab = pl.DataFrame({"entity_type": ["buyer"], "entity_id": [42], "label": ["confirmed"]})
    >>> normalise_table(lab, table="labels").collect().row(0)
    ('buyer', '42', 'confirmed')
    """
    lf = frame.lazy()
    out, _ = _normalise(lf, lf.collect_schema(), _spec(table), options=options)
    return out


def value_error(
    where: str,
    column: ColumnSpec,
    kind: str,
    value: str | None,
    *,
    dtype: pl.DataType,
    options: InputOptions | None = None,
) -> SchemaError:
    """The one-line :class:`~ringlens.exceptions.SchemaError` of check ``kind`` (one of
    :data:`CHECK_KINDS`) on ``column``: ``"<where>, column '<name>': …, expected …"``.

    ``where`` names the source (the loaders give ``"<file>: row <n>"``; a source without
    row numbers, such as a Spark table, its name); ``value`` is the raw value as
    :func:`first_bad_rows` gives it and ``dtype`` the column's raw type (a datetime column's
    value is its physical integer, shown as a date).

    Examples
    --------
    >>> import polars as pl
    >>> ts = {c.name: c for c in TABLE_SPECS["events"]}["ts"]
    >>> print(value_error("events (Spark DataFrame)", ts, "range", "2300-01-01", dtype=pl.String()))
    events (Spark DataFrame), column 'ts': '2300-01-01' is outside the supported time range, expected a timestamp from 1900-01-01 up to (not including) 2262-04-11 UTC
    """
    if kind not in CHECK_KINDS:
        raise ValueError(f"kind must be one of {', '.join(CHECK_KINDS)}, got {kind!r}")
    return _value_error(
        where, column, kind, value, dtype=dtype, options=options or _DEFAULT_OPTIONS
    )
