"""Atomic file sinks: Parquet, spreadsheet-safe CSV, JSON Lines and JSON.

Every writer here puts its bytes into a temporary file next to the target
(same directory, so the same filesystem), flushes and ``fsync``\\ s it, then
``os.replace``\\ s it over the target and ``fsync``\\ s the directory. A reader
therefore sees either the old file or the new one, never half a file, even if
the process is killed mid-write; a crash leaves at most a hidden
``.<name>.<token>.tmp`` file behind.

CSV output is made safe for spreadsheets following the OWASP CSV-injection
guidance: a string cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'`` so that Excel, LibreOffice and Google
Sheets show it as text instead of evaluating it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import math
import os
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final

import polars as pl

from ringlens.exceptions import ExportError

__all__ = [
    "PARQUET_COMPRESSION",
    "PARQUET_COMPRESSION_LEVEL",
    "PARQUET_ROW_GROUP_SIZE",
    "atomic_file",
    "csv_safe",
    "fsync_dir",
    "write_bytes",
    "write_csv",
    "write_json",
    "write_jsonl",
    "write_parquet",
]

logger = logging.getLogger(__name__)

#: Fixed Parquet settings: the same frame always gives the same bytes.
PARQUET_COMPRESSION: Final = "zstd"
PARQUET_COMPRESSION_LEVEL = 3
PARQUET_ROW_GROUP_SIZE = 262_144

#: Regex of the first characters a spreadsheet may evaluate (OWASP CSV injection).
_FORMULA_START = r"^[=+\-@\t\r]"

Frame = pl.DataFrame | pl.LazyFrame


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """``fsync`` a directory so that renames inside it survive a power loss.

    A no-op where the platform cannot open directories (Windows).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on dirs
        pass
    finally:
        os.close(fd)


def _fsync_path(path: str | os.PathLike[str]) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reserve_tmp(target: Path) -> Path:
    """Create an empty, exclusively owned temp file next to ``target``."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        os.close(fd)
        return tmp
    raise ExportError(f"cannot create a temporary file next to {target}")  # pragma: no cover


@contextlib.contextmanager
def _atomic_target(path: str | os.PathLike[str], *, what: str) -> Iterator[Path]:
    """Yield a temp path to write; on success fsync it and replace ``path`` with it."""
    target = Path(path)
    tmp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            raise IsADirectoryError(21, "Is a directory")
        tmp = _reserve_tmp(target)
    except OSError as exc:
        raise ExportError(
            f"cannot write {what} {target}: {exc.strerror or exc} (expected a writable directory)"
        ) from exc
    try:
        yield tmp
        _fsync_path(tmp)
        os.replace(tmp, target)
        tmp = None
        fsync_dir(target.parent)
    except OSError as exc:
        raise ExportError(f"cannot write {what} {target}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
    logger.debug("wrote %s %s", what, target)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a file for writing that appears at ``path`` only when the block succeeds.

    Parameters
    ----------
    path
        Final location. Missing parent directories are created.
    mode
        ``"wb"`` (default) or ``"w"`` (UTF-8 text).

    Raises
    ------
    ExportError
        The file cannot be written; the message names the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_file(d / "note.txt", mode="w") as fh:
    ...     _ = fh.write("hello")
    >>> (d / "note.txt").read_text()
    'hello'
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', not {mode!r}")
    with _atomic_target(path, what="file") as tmp:
        kwargs: dict[str, Any] = {"encoding": "utf-8", "newline": ""} if mode == "w" else {}
        with open(tmp, mode, **kwargs) as fh:
            yield fh
            fh.flush()


def write_bytes(data: bytes | str, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` (bytes, or text encoded as UTF-8) to ``path`` atomically."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_file(path, mode="wb") as fh:
        fh.write(raw)
    return Path(path)


def _collect(df: Frame) -> pl.DataFrame:
    return df.collect() if isinstance(df, pl.LazyFrame) else df


def write_parquet(df: Frame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` to Parquet atomically and deterministically.

    Compression (zstd level 3), row-group size and statistics are fixed and no
    timestamp is embedded, so the same frame always gives a byte-identical file
    (for a given Polars version).

    Parameters
    ----------
    df
        The frame (a LazyFrame is collected).
    path
        Target file; missing parent directories are created.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ExportError
        The file cannot be written; the message names the path.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> df = pl.DataFrame({"ring_id": ["ring_a"], "risk_score": [91.5]})
    >>> _ = write_parquet(df, d / "a.parquet"); _ = write_parquet(df, d / "b.parquet")
    >>> (d / "a.parquet").read_bytes() == (d / "b.parquet").read_bytes()
    True
    """
    frame = _collect(df).rechunk()
    with _atomic_target(path, what="Parquet file") as tmp:
        frame.write_parquet(
            tmp,
            compression=PARQUET_COMPRESSION,
            compression_level=PARQUET_COMPRESSION_LEVEL,
            statistics=True,
            row_group_size=PARQUET_ROW_GROUP_SIZE,
        )
    return Path(path)


def _json_encode_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised JSON encoding of any (nested) column, via a one-field struct."""
    encoded = pl.struct(expr.alias("v")).struct.json_encode()
    # '{"v":<json>}' -> '<json>'
    return encoded.str.slice(5, encoded.str.len_chars() - 6)


def _as_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """Expression rendering a column as text for CSV, or None if it stays as is."""
    if dtype == pl.String:
        return expr
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return expr.cast(pl.String)
    if isinstance(dtype, pl.Array):
        return _as_text(expr.arr.to_list(), pl.List(dtype.inner))
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        if inner.is_nested() or inner == pl.Null:
            elems = expr.list.eval(_json_encode_expr(pl.element()))
        elif inner == pl.Binary:
            elems = expr.list.eval(pl.element().bin.encode("hex"))
        else:
            elems = expr.list.eval(pl.element().cast(pl.String))
        return elems.list.join(";")
    if isinstance(dtype, pl.Struct):
        return pl.when(expr.is_null()).then(None).otherwise(expr.struct.json_encode())
    if dtype == pl.Binary:
        return expr.bin.encode("hex")
    if dtype == pl.Object:
        raise ExportError("cannot write a column of Python objects to CSV")
    return None


def csv_safe(df: Frame) -> pl.DataFrame:
    """Return ``df`` ready for CSV: nested columns joined, formula-like text defused.

    * List and array columns become ``;``-joined strings (nested elements as JSON),
      struct columns become JSON text, binary becomes hex.
    * Every text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
      return gets a leading ``'`` (OWASP CSV-injection guidance), so a spreadsheet
      shows it as text. Numeric columns are left alone (``-2.0`` stays a number).

    Vectorised: one Polars expression per column.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({
    ...     "id": ['=HYPERLINK("http://x","y")', "+1", "-2", "@x", "ok"],
    ...     "reasons": [["a", "b"], ["=c"], [], None, ["d"]],
    ...     "n": [-1, 2, 3, 4, 5],
    ... })
    >>> csv_safe(df).to_dicts()[0]
    {'id': '\\'=HYPERLINK("http://x","y")', 'reasons': 'a;b', 'n': -1}
    >>> csv_safe(df)["id"].to_list()[1:]
    ["'+1", "'-2", "'@x", 'ok']
    >>> csv_safe(df)["reasons"].to_list()
    ['a;b', "'=c", '', None, 'd']
    """
    frame = _collect(df)
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        try:
            text = _as_text(pl.col(name), dtype)
        except ExportError as exc:
            raise ExportError(f"cannot write column {name!r} to CSV: {exc}") from None
        if text is None:
            exprs.append(pl.col(name))
        else:
            risky = text.str.contains(_FORMULA_START)
            exprs.append(pl.when(risky).then(pl.lit("'") + text).otherwise(text).alias(name))
    return frame.select(exprs)


def write_csv(df: Frame, path: str | os.PathLike[str], *, include_bom: bool = False) -> Path:
    """Write ``df`` as spreadsheet-safe CSV, atomically.

    See :func:`csv_safe` for how cells are rendered.

    Parameters
    ----------
    df
        The frame (a LazyFrame is collected).
    path
        Target file; missing parent directories are created.
    include_bom
        Start the file with a UTF-8 byte-order mark (helps Excel read non-ASCII text).

    Raises
    ------
    ExportError
        The file cannot be written; the message names the path.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> df = pl.DataFrame({"entity_id": ['=HYPERLINK("http://x","y")'], "reasons": [["a", "b"]]})
    >>> print(write_csv(df, d / "q.csv").read_text(), end="")
    entity_id,reasons
    "'=HYPERLINK(""http://x"",""y"")",a;b
    """
    safe = csv_safe(df)
    with _atomic_target(path, what="CSV file") as tmp:
        safe.write_csv(tmp, include_bom=include_bom)
    return Path(path)


def write_jsonl(df: Frame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` as JSON Lines (one object per row, lists kept as arrays), atomically.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> df = pl.DataFrame({"id": ["a"], "reasons": [["x", "y"]]})
    >>> print(write_jsonl(df, d / "q.jsonl").read_text(), end="")
    {"id":"a","reasons":["x","y"]}
    """
    frame = _collect(df)
    with _atomic_target(path, what="JSON Lines file") as tmp:
        frame.write_ndjson(tmp)
    return Path(path)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, _dt.datetime | _dt.date | _dt.time):
        return obj.isoformat()
    if isinstance(obj, _dt.timedelta):
        return obj.total_seconds()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    if isinstance(obj, pl.DataFrame):
        return obj.to_dicts()
    if isinstance(obj, pl.Series):
        return obj.to_list()
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy arrays
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _check_finite(obj: Any, where: str = "$") -> None:
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError(f"non-finite number {obj!r} at {where}")
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            _check_finite(v, f"{where}.{k}")
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _check_finite(v, f"{where}[{i}]")


def write_json(obj: Any, path: str | os.PathLike[str], *, indent: int | None = 2) -> Path:
    """Write ``obj`` as UTF-8 JSON (trailing newline), atomically.

    Datetimes become ISO-8601 strings, paths strings, sets sorted lists, Polars
    frames lists of row objects. Non-finite floats (NaN, inf) are refused: they
    are not JSON.

    Raises
    ------
    ExportError
        ``obj`` cannot be encoded, or the file cannot be written; the message names
        the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> print(write_json({"run_id": "r1", "counts": {"rings": 3}}, d / "run.json").read_text(), end="")
    {
      "run_id": "r1",
      "counts": {
        "rings": 3
      }
    }
    """
    try:
        _check_finite(obj)
        text = json.dumps(
            obj, indent=indent, ensure_ascii=False, allow_nan=False, default=_json_default
        )
    except (TypeError, ValueError) as exc:
        raise ExportError(f"cannot write JSON file {path}: {exc}") from exc
    return write_bytes(text + "\n", path)
