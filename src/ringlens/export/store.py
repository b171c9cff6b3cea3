"""The queue database: SQLite by default, PostgreSQL by URL.

Reviewers work from the table ``queue_items``; nightly runs add to it with
:meth:`QueueStore.upsert`. A run never overwrites what a reviewer owns
(``status``, ``assignee``, ``notes``) and never deletes an item. An item a
reviewer dismissed stays dismissed on later runs unless its risk rose by at
least ``requeue_margin`` points since the dismissal; then it goes back to
``open`` with a note saying why (the old notes are kept).

Every upsert is one transaction; all SQL takes its values as parameters (ids
may contain quotes, ``;``, newlines, emoji). Bulk loads go through
``executemany`` (SQLite) or ``COPY`` (PostgreSQL) into a temporary table, and
the merge is done with set-based ``UPDATE … FROM`` / ``INSERT … SELECT``.

Tables (created idempotently on open):

``queue_items``
    the queue frame's columns (``reasons`` as a JSON array string), the reviewer
    columns ``status`` (open, in_review, actioned, dismissed), ``assignee``,
    ``notes``, and bookkeeping: ``first_seen_run``, ``last_seen_run``,
    ``first_seen_at``, ``updated_at``, ``status_updated_at``,
    ``risk_at_dismissal``, ``dismissed_run``, ``requeue_count``.
``queue_runs``
    one row per upsert with its counts (an audit log).
``queue_audit``
    one row per changed reviewer field (``status``, ``assignee``, ``notes``): who, when,
    from → to, the note given with the change, the item's last run (:meth:`QueueStore.history`);
    and a ``status`` row whose old and new value are the same verdict when a second
    reviewer confirms the verdict another actor set (reviewer agreement is measured from it).
    Reviews (:meth:`QueueStore.review`) and a run's re-opening of a dismissed item write
    it in the transaction of the change.
``ringlens_schema``
    ``(component, version)``; the queue schema is version :data:`SCHEMA_VERSION`. A
    version-1 database is migrated on open (the audit table and indexes added,
    ``status_updated_at`` filled in); a newer version is refused.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import logging
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote

import polars as pl

from ringlens.exceptions import ConfigError, ExportError
from ringlens.export import _sql
from ringlens.export._queue_schema import QUEUE_COLUMNS, STATUSES, validate_queue_frame

__all__ = [
    "AUDIT_SCHEMA",
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_QUEUE_DB",
    "SCHEMA_VERSION",
    "QueueConflictError",
    "QueueFilter",
    "QueueStore",
    "check_queue_target",
    "ReviewResult",
    "UpsertResult",
    "open_queue_store",
    "redact_secrets",
    "redact_url",
]

logger = logging.getLogger(__name__)

#: File name of the SQLite queue database when a directory is given.
DEFAULT_QUEUE_DB = "queue.sqlite"
#: Version of the ``queue_items`` schema this code writes (2: the audit table).
SCHEMA_VERSION = 2

#: Columns of :meth:`QueueStore.history` (the contract issue 18 reads).
AUDIT_SCHEMA: dict[str, pl.DataType] = {
    "audit_id": pl.Int64(),
    "queue_item_id": pl.String(),
    "changed_at": pl.Datetime("us", "UTC"),
    "actor": pl.String(),
    "field": pl.String(),
    "old_value": pl.String(),
    "new_value": pl.String(),
    "note": pl.String(),
    "run_id": pl.String(),
}
#: Longest reviewer name, assignee and note a review accepts (characters).
MAX_ACTOR = 200
MAX_NOTE = 10_000
#: Seconds a write waits for the lock of another writer (a reviewer's open transaction,
#: another run) before it gives up with an :class:`ExportError` saying so.
DEFAULT_LOCK_TIMEOUT = 30.0

_TABLE = "queue_items"
_REVIEWER_COLUMNS = ("status", "assignee", "notes")
_BOOK_COLUMNS = (
    "first_seen_run",
    "last_seen_run",
    "first_seen_at",
    "updated_at",
    "status_updated_at",
    "risk_at_dismissal",
    "dismissed_run",
    "requeue_count",
)
_ALL_COLUMNS = QUEUE_COLUMNS + _REVIEWER_COLUMNS + _BOOK_COLUMNS
_TIMESTAMPS = ("first_seen_at", "updated_at", "status_updated_at")

_READ_SCHEMA: dict[str, pl.DataType] = {
    **{c: pl.String() for c in QUEUE_COLUMNS},
    "risk_score": pl.Float64(),
    "priority": pl.Int64(),
    **{c: pl.String() for c in _REVIEWER_COLUMNS + _BOOK_COLUMNS},
    "risk_at_dismissal": pl.Float64(),
    "requeue_count": pl.Int64(),
}


# --------------------------------------------------------------------------- URLs
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PW_IN_QUERY = re.compile(r"(?i)([?&]password=)([^&#]*)")
# libpq key=value DSN: password='quoted \\' value' (closed or not) or a bare word
_PW_IN_KV = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:\\.|[^'\\])*'|'.*|\S*)", re.S)
#: libpq connection keywords: a string starting with one (``host=db dbname=tns``) is a
#: key=value DSN, not a file name
_KV_DSN = re.compile(
    r"^\s*(host|hostaddr|port|dbname|user|password|passfile|service|sslmode|"
    r"connect_timeout|options|application_name|target_session_attrs)\s*=",
    re.I,
)


def _userinfo_password(url: str) -> tuple[int, int] | None:
    """Span of the password in ``scheme://user:password@host…``, read generously.

    The password runs from the first ``:`` after the scheme to the **last** ``@`` of the
    string: an unencoded ``@``, ``/`` or ``?`` in a password then stays inside the span
    (only an ``@`` in the query string widens it, which hides more, never less).
    """
    m = _SCHEME.match(url)
    if m is None:
        return None
    at = url.rfind("@", m.end())
    if at < 0:
        return None
    colon = url.find(":", m.end(), at)
    if colon < 0:
        return None
    return colon + 1, at


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (safe for messages, logs, run.json).

    Understands URLs (``postgresql://user:password@host/db``, also with an unencoded
    ``@``, ``/`` or ``?`` in the password: everything from the first ``:`` after the
    scheme to the last ``@`` is hidden), ``password=`` query parameters and libpq
    key=value DSNs (``host=db password='s3 cret'``). Text that holds no password comes
    back unchanged.

    Examples
    --------
    >>> redact_url("postgresql://rev:s3cr%40t@db:5432/tns?sslmode=require")
    'postgresql://rev:***@db:5432/tns?sslmode=require'
    >>> redact_url("postgresql://rev:Pa@ss-TopSecret@127.0.0.1:1/db")
    'postgresql://rev:***@127.0.0.1:1/db'
    >>> redact_url("postgresql://rev:a/b/TopSecret@host/db")
    'postgresql://rev:***@host/db'
    >>> redact_url("postgresql://db/tns?user=rev&password=hunter2")
    'postgresql://db/tns?user=rev&password=***'
    >>> redact_url("host=db user=rev password='s3 cret' dbname=tns")
    'host=db user=rev password=*** dbname=tns'
    """
    if _SCHEME.match(url) is None:
        return _PW_IN_KV.sub(r"\1***", url)
    out = _PW_IN_QUERY.sub(r"\1***", url)
    span = _userinfo_password(out)
    if span is not None:
        out = out[: span[0]] + "***" + out[span[1] :]
    return out


def redact_secrets(obj: Any) -> Any:
    """A copy of ``obj`` (dicts, lists, tuples, strings) with :func:`redact_url` applied to
    every string, keys included: pass a run report through it before it is written to
    ``run.json``, printed or logged (settings such as ``export.database`` may hold a URL
    with a password).

    Examples
    --------
    >>> redact_secrets({"export": {"database": "postgresql://rev:pw@db/tns", "n": 3}})
    {'export': {'database': 'postgresql://rev:***@db/tns', 'n': 3}}
    """
    if isinstance(obj, str):
        return redact_url(obj)
    if isinstance(obj, dict):
        return {redact_secrets(k): redact_secrets(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact_secrets(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(redact_secrets(v) for v in obj)
    return obj


def _passwords(url: str) -> list[str]:
    """Every form of the password(s) in ``url`` that a driver might echo, longest first."""
    found: list[str] = []
    span = _userinfo_password(url)
    if span is not None:
        found.append(url[span[0] : span[1]])
    if _SCHEME.match(url) is not None:
        found += [m.group(2) for m in _PW_IN_QUERY.finditer(url)]
    else:
        for m in _PW_IN_KV.finditer(url):
            v = m.group(2)
            found.append(v)
            if v.startswith("'"):
                found.append(re.sub(r"\\(.)", r"\1", v[1:-1] if v.endswith("'") else v[1:]))
    forms = {f for v in found for f in (v, unquote(v), quote(unquote(v), safe="")) if f}
    return sorted(forms, key=len, reverse=True)


def _scrub(text: str, url: str) -> str:
    """A driver's error text on one line, without the password of ``url`` in any form."""
    line = " ".join(str(text).split())
    for secret in _passwords(url):
        line = line.replace(secret, "***")
    return redact_url(line)


def _pg_dsn(url: str) -> str:
    """``url`` as libpq reads it: user and password percent-encoded.

    libpq ends the user information at the first ``@`` or ``/``; a password holding
    either (unencoded) would be read as part of the host name. Here the user information
    ends at the last ``@`` before the query string (or, if there is none, at the last
    ``@``), and user and password are decoded and encoded again, so an already encoded
    password (``s3cr%40t``) stays as it is.
    """
    m = _SCHEME.match(url)
    if m is None:
        return url
    rest = url[m.end() :]
    q = rest.find("?")
    at = rest.rfind("@", 0, q) if q >= 0 else -1
    if at < 0:
        at = rest.rfind("@")
    if at < 0:
        return url
    user, sep, password = rest[:at].partition(":")
    userinfo = quote(unquote(user), safe="")
    if sep:
        userinfo += ":" + quote(unquote(password), safe="")
    return url[: m.end()] + userinfo + rest[at:]


@dataclass(frozen=True)
class _Target:
    dialect: str  # "sqlite" or "postgresql"
    location: str  # file path, ":memory:" or the full URL
    display: str  # what error messages show (password redacted)


def _parse_target(url_or_path: str | os.PathLike[str]) -> _Target:
    if isinstance(url_or_path, os.PathLike):
        raw = os.fspath(url_or_path)
        is_url = False
    elif isinstance(url_or_path, str):
        raw = url_or_path
        is_url = "://" in raw
    else:
        raise ConfigError(f"queue database must be a path or URL, not {type(url_or_path).__name__}")
    if not raw:
        raise ConfigError("queue database path is empty (expected a file path or URL)")
    if not is_url and isinstance(url_or_path, str) and _KV_DSN.match(raw):
        return _Target("postgresql", raw, redact_url(raw))  # host=… dbname=… (libpq)
    if is_url:
        scheme = raw.split("://", 1)[0].lower()
        if scheme in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
            dsn = "postgresql://" + raw.split("://", 1)[1]
            return _Target("postgresql", _pg_dsn(dsn), redact_url(dsn))
        if scheme == "sqlite":
            rest = raw.split("://", 1)[1]
            if rest in ("", "/", "/:memory:"):
                return _Target("sqlite", ":memory:", "sqlite:///:memory:")
            if not rest.startswith("/"):
                raise ConfigError(
                    f"bad SQLite URL {redact_url(raw)!r} "
                    "(expected sqlite:///relative/path or sqlite:////absolute/path)"
                )
            raw = rest[1:]
        else:
            raise ConfigError(
                f"unsupported queue database URL {redact_url(raw)!r} "
                "(expected a file path, sqlite:///path or postgresql://…)"
            )
    if raw == ":memory:":
        return _Target("sqlite", ":memory:", ":memory:")
    path = Path(raw)
    if path.is_dir() or raw.endswith(("/", os.sep)):
        path = path / DEFAULT_QUEUE_DB
    return _Target("sqlite", str(path), str(path))


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class UpsertResult:
    """Counts of one :meth:`QueueStore.upsert`.

    ``inserted + updated + unchanged + suppressed_dismissed + requeued`` is the
    number of rows in the queue frame; ``kept`` counts items already in the
    database that this run did not produce (kept, never deleted).

    Attributes
    ----------
    run_id : str
    inserted : int
        New items (status ``open``).
    updated : int
        Existing, not dismissed items whose run-owned columns changed.
    unchanged : int
        Existing, not dismissed items with nothing new but the run id.
    suppressed_dismissed : int
        Items a reviewer dismissed that stay dismissed.
    requeued : int
        Dismissed items whose risk rose by at least the margin: back to ``open``.
    kept : int
        Items in the database that are not in this run.
    """

    run_id: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    suppressed_dismissed: int = 0
    requeued: int = 0
    kept: int = 0

    @property
    def total(self) -> int:
        """Rows in the queue frame."""
        return (
            self.inserted
            + self.updated
            + self.unchanged
            + self.suppressed_dismissed
            + self.requeued
        )

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict (for ``run.json``)."""
        return asdict(self)


class QueueConflictError(ExportError):
    """A review was refused because an item changed since the reviewer read it.

    Raised by :meth:`QueueStore.review` with ``if_unchanged_since``: another reviewer or a
    run (re-opening a dismissed item) changed one of the items after the audit id the
    reviewer's page was drawn at. Nothing was written; read the items again.
    """


@dataclass(frozen=True)
class ReviewResult:
    """What one :meth:`QueueStore.review` did.

    Attributes
    ----------
    items : int
        Items selected (one, a selection or a whole ring).
    changed : int
        Items whose status, assignee or notes changed.
    audit_rows : int
        Rows written to ``queue_audit`` (one per changed field, and one per verdict a
        second reviewer confirmed).
    last_audit_id : int
        The highest audit id after the review (pass it as ``if_unchanged_since`` next time).
    """

    items: int
    changed: int
    audit_rows: int
    last_audit_id: int


@dataclass(frozen=True)
class QueueFilter:
    """Which queue items a page shows (every field optional; all given ones must hold).

    Attributes
    ----------
    status, pattern, market, action, ring_id : str, optional
        Equal to this value.
    assignee : str, optional
        Assigned to this reviewer; ``""`` means unassigned.
    run_id : str, optional
        Last produced by this run.
    stale : bool, optional
        True: items the latest run no longer produced; False: items it produced.
    risk_min, risk_max : float, optional
        Risk score range (inclusive).
    entity : str, optional
        ``type:id`` of an entity, or a bare entity id.
    queue_item_id : str, optional
        One item.
    """

    status: str | None = None
    assignee: str | None = None
    pattern: str | None = None
    market: str | None = None
    action: str | None = None
    ring_id: str | None = None
    run_id: str | None = None
    stale: bool | None = None
    risk_min: float | None = None
    risk_max: float | None = None
    entity: str | None = None
    queue_item_id: str | None = None

    def is_empty(self) -> bool:
        """True when no field is set."""
        return all(getattr(self, f.name) is None for f in fields(self))


#: Orders a queue page can be sorted by (:meth:`QueueStore.query`).
QUEUE_ORDERS: tuple[str, ...] = tuple(_sql.ITEM_ORDERS)
#: Rows of an order's index a SQLite page walks before it falls back to the filter's
#: index and a sort (see :meth:`QueueStore.query`).
_PREFIX_ROWS = 20_000
#: A filter with fewer matches than this is sorted at once, without walking an order.
_PREFIX_MIN_MATCHES = 2_000


# --------------------------------------------------------------------------- store
class QueueStore:
    """The enforcement queue in a database (see :func:`open_queue_store`).

    Use :func:`open_queue_store` to make one; close it with :meth:`close` or a
    ``with`` block.

    Examples
    --------
    >>> import polars as pl
    >>> q = pl.DataFrame({
    ...     "queue_item_id": ["qi_1"], "entity_type": ["creator"], "entity_id": ["42"],
    ...     "ring_id": ["ring_00000000000000aa"], "pattern": ["mutual_boost"],
    ...     "risk_score": [80.0], "priority": [1], "action": ["manual_review"],
    ...     "queue": ["boost"], "reasons": [["dense_block"]],
    ...     "evidence": ["viz/ring_00000000000000aa.html"], "market": ["DE"], "run_id": ["r1"],
    ... })
    >>> with open_queue_store(":memory:") as store:
    ...     print(store.upsert(q, run_id="r1").inserted)
    ...     store.set_status("qi_1", "dismissed", assignee="ana", notes="seasonal sale")
    ...     r = store.upsert(q.with_columns(risk_score=pl.lit(85.0)), run_id="r2")
    ...     print(r.suppressed_dismissed, r.requeued)
    ...     print(store.read().select("status", "assignee", "risk_score").row(0))
    ...     print(store.verdicts_as_labels().row(0))
    1
    1 0
    ('dismissed', 'ana', 85.0)
    ('creator', '42', 'cleared')
    """

    def __init__(
        self,
        target: _Target,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        create: bool = True,
    ) -> None:
        if (
            isinstance(lock_timeout, bool)
            or not isinstance(lock_timeout, int | float)
            or not 0 < lock_timeout < 86_400
        ):
            raise ConfigError(
                f"lock_timeout must be a number of seconds > 0 and < 86400, not {lock_timeout!r}"
            )
        self._target = target
        self.dialect = target.dialect
        self.lock_timeout = float(lock_timeout)
        self._tx_started = time.monotonic()
        self._create = create
        self._conn: Any = None
        if not create and target.dialect == "sqlite" and not _is_file(target.location):
            raise ExportError(
                f"no queue database at {target.display} "
                "(expected the queue.sqlite a `ringlens score` run writes, or a postgresql:// URL)"
            )
        self._connect()
        try:
            self._ensure_schema()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ plumbing
    @property
    def url(self) -> str:
        """Where the queue lives (file path, or the URL with its password redacted)."""
        return self._target.display

    def __repr__(self) -> str:
        return f"QueueStore({self.dialect}: {self.url})"

    def _where(self) -> str:
        return f"table {_TABLE} in {self.url}"

    def _connect(self) -> None:
        t = self._target
        if t.dialect == "sqlite":
            try:
                if t.location != ":memory:":
                    Path(t.location).parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(t.location, isolation_level=None, timeout=self.lock_timeout)
                conn.execute(f"PRAGMA busy_timeout = {int(self.lock_timeout * 1000)}")
                if t.location != ":memory:":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                # 64 MiB page caches: bulk merges of ~1M rows run ~30 % faster
                conn.execute("PRAGMA cache_size = -65536")
                conn.execute("PRAGMA temp.cache_size = -65536")
            except (OSError, sqlite3.Error) as exc:
                raise ExportError(
                    f"cannot open SQLite queue database {t.display}: {exc} "
                    "(expected a writable file path)"
                ) from exc
            self._conn = conn
            return
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ExportError(
                f"cannot open {t.display}: PostgreSQL needs psycopg "
                "(pip install 'ringlens[postgres]')"
            ) from exc
        kwargs: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in t.location:
            kwargs["connect_timeout"] = 10
        try:
            self._conn = psycopg.connect(t.location, **kwargs)
            self._conn.execute("SET TIME ZONE 'UTC'")
            # a lock held by another session (a reviewer's open transaction) is waited
            # for this long, then the statement fails with LockNotAvailable
            self._conn.execute(
                "SELECT set_config('lock_timeout', %s, false)",
                (f"{int(self.lock_timeout * 1000)}ms",),
            )
        except psycopg.Error as exc:
            raise ExportError(
                f"cannot connect to PostgreSQL queue database {t.display}: "
                f"{_scrub(str(exc), t.location)}"
            ) from None

    @contextlib.contextmanager
    def _transaction(self, *, lock: bool) -> Iterator[Any]:
        """One transaction; ``lock`` takes the write lock up front (serialises writers)."""
        if self._conn is None:
            raise ExportError(f"queue database {self.url} is closed")
        self._tx_started = time.monotonic()
        if self.dialect == "sqlite":
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
            try:
                yield cur
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
        else:
            with self._conn.transaction(), self._conn.cursor() as cur:
                yield cur

    def _errors(self) -> tuple[type[BaseException], ...]:
        if self.dialect == "sqlite":
            return (sqlite3.Error,)
        import psycopg

        return (psycopg.Error,)

    def _fail(self, what: str, exc: BaseException) -> ExportError:
        if self._is_lock_timeout(exc):
            waited = time.monotonic() - self._tx_started
            return ExportError(
                f"cannot {what} {self._where()}: the queue is locked by another writer "
                f"(a reviewer's open transaction or another run); waited {waited:.1f} s "
                f"for the lock (lock timeout {self.lock_timeout:g} s), nothing was "
                "written: run again once the other writer has finished"
            )
        return ExportError(
            f"cannot {what} {self._where()}: {_scrub(str(exc), self._target.location)}"
        )

    def _is_lock_timeout(self, exc: BaseException) -> bool:
        if self.dialect == "sqlite":
            return isinstance(exc, sqlite3.OperationalError) and (
                "locked" in str(exc) or "busy" in str(exc)
            )
        return getattr(exc, "sqlstate", None) == "55P03"  # lock_not_available

    def _sql(self, statement: str) -> str:
        return _sql.for_dialect(statement, self.dialect)

    def _ts(self, value: _dt.datetime) -> Any:
        """A timestamp parameter: ISO-8601 text for SQLite, a datetime for PostgreSQL."""
        if self.dialect == "sqlite":
            return value.isoformat(timespec="microseconds")
        return value

    def _ensure_schema(self) -> None:
        try:
            with self._transaction(lock=True) as cur:
                if self.dialect == "postgresql":
                    cur.execute(_sql.PG_SCHEMA_LOCK)
                self._check_foreign(cur)
                for stmt in (_sql.SCHEMA_TABLE, _sql.QUEUE_TABLE, _sql.RUNS_TABLE):
                    cur.execute(self._sql(stmt))
                cur.execute(
                    _sql.AUDIT_TABLE_SQLITE if self.dialect == "sqlite" else _sql.AUDIT_TABLE_PG
                )
                if self.dialect == "sqlite":
                    cur.execute(_sql.SQLITE_COLUMNS)
                    have = {r[1] for r in cur.fetchall()}
                else:
                    cur.execute(_sql.PG_COLUMNS)
                    have = {r[0] for r in cur.fetchall()}
                missing = [c for c in _ALL_COLUMNS if c not in have]
                if missing:
                    raise ExportError(
                        f"{self._where()} lacks column {missing[0]!r} "
                        "(expected a queue table created by ringlens)"
                    )
                for stmt in _sql.QUEUE_INDEXES:
                    cur.execute(stmt)
                cur.execute(self._sql(_sql.SCHEMA_VERSION_GET), ("queue",))
                row = cur.fetchone()
                if row is not None and int(row[0]) > SCHEMA_VERSION:
                    raise ExportError(
                        f"{self._where()} has schema version {row[0]}, newer than this "
                        f"ringlens supports ({SCHEMA_VERSION}); upgrade ringlens"
                    )
                # version 1 -> 2 (idempotent): the audit table and indexes exist now;
                # fill in status_updated_at, which version 1 left empty on insert
                cur.execute(_sql.MIGRATE_STATUS_UPDATED_AT)
                if row is None:
                    cur.execute(
                        self._sql(_sql.SCHEMA_VERSION_SET),
                        ("queue", SCHEMA_VERSION, self._ts(_now())),
                    )
                elif int(row[0]) < SCHEMA_VERSION:
                    cur.execute(
                        self._sql(_sql.SCHEMA_VERSION_UPDATE),
                        (SCHEMA_VERSION, self._ts(_now()), "queue"),
                    )
                    logger.info(
                        "queue database %s migrated from schema version %s to %s",
                        self.url,
                        row[0],
                        SCHEMA_VERSION,
                    )
        except self._errors() as exc:
            if self.dialect == "sqlite" and "not a database" in str(exc):
                raise ExportError(
                    f"{self.url} is not a SQLite database (expected a queue database "
                    "written by ringlens)"
                ) from exc
            raise self._fail("create", exc) from exc

    def _check_foreign(self, cur: Any) -> None:
        """Refuse a database that holds another tool's tables and no ringlens queue
        (SQLite), or, when opening without ``create``, any database without one."""
        cur.execute(_sql.SQLITE_TABLES if self.dialect == "sqlite" else _sql.PG_TABLES)
        tables = [str(r[0]) for r in cur.fetchall()]
        ours = {"queue_items", "ringlens_schema"}
        if ours & set(tables):
            return
        others = [t for t in tables if not t.startswith("sqlite_")]
        if not self._create:
            listed = f" (it holds {', '.join(others[:5])})" if others else " (it is empty)"
            raise ExportError(
                f"{self.url} holds no ringlens queue{listed}: expected a queue database "
                "written by `ringlens score`"
            )
        if self.dialect == "sqlite" and others:
            raise ExportError(
                f"{self.url} is a database of another tool (tables {', '.join(others[:5])}; "
                "no queue_items): expected a ringlens queue database or a new file"
            )

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> QueueStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ upsert
    def upsert(
        self,
        queue_df: pl.DataFrame | pl.LazyFrame,
        *,
        run_id: str,
        requeue_margin: float = 10.0,
    ) -> UpsertResult:
        """Merge a run's queue frame into the database, in one transaction.

        * New ``queue_item_id`` → inserted with status ``open``.
        * Existing item → run-owned columns (risk, priority, action, reasons, …) and
          ``last_seen_run`` are updated; ``status``, ``assignee`` and ``notes`` are
          never overwritten.
        * Existing item a reviewer dismissed → stays dismissed, unless the new risk
          is at least ``requeue_margin`` points above the risk at dismissal; then it
          goes back to ``open`` and a line is appended to ``notes`` saying why.
        * Items of earlier runs that this run did not produce are kept as they are
          (their ``last_seen_run`` stays at the last run that had them).

        Parameters
        ----------
        queue_df
            The queue frame (columns in docs/internals.md). Its ``run_id`` column is
            set to ``run_id``.
        run_id
            The run these items come from.
        requeue_margin
            Points (0–100 scale) the risk must rise by, since dismissal, to re-open a
            dismissed item.

        Returns
        -------
        UpsertResult

        Raises
        ------
        ExportError
            The frame does not follow the contract, or the database cannot be written
            (the transaction is rolled back: nothing of this run is stored).
        """
        if not isinstance(run_id, str) or not run_id:
            raise ConfigError(f"run_id must be a non-empty string, not {run_id!r}")
        if not isinstance(requeue_margin, int | float) or not requeue_margin >= 0:
            raise ConfigError(
                f"requeue_margin must be a number >= 0 (risk points), not {requeue_margin!r}"
            )
        frame = validate_queue_frame(queue_df, where=self._where())
        frame = frame.with_columns(
            pl.lit(run_id, dtype=pl.String).alias("run_id"),
            _json_list(pl.col("reasons")).alias("reasons"),
        )
        now = _now()
        now_p = self._ts(now)
        sql = self._sql
        try:
            with self._transaction(lock=True) as cur:
                if self.dialect == "postgresql":
                    cur.execute(_sql.PG_TABLE_LOCK)
                else:
                    cur.execute(_sql.SQLITE_DROP_INCOMING)
                cur.execute(sql(_sql.INCOMING_TABLE))
                self._load(cur, frame)

                # 1. dismissed items whose risk rose by the margin (few rows)
                cur.execute(sql(_sql.REQUEUE_CANDIDATES), (float(requeue_margin),))
                requeue = cur.fetchall()

                # 2. counts, before anything changes
                cur.execute(sql(_sql.COUNTS))
                n_rows, n_new, n_dismissed, n_updated = (int(v) for v in cur.fetchone())
                cur.execute(sql(_sql.COUNT_KEPT))
                n_kept = int(cur.fetchone()[0])

                # 3. existing items: run-owned columns only, never status/assignee/notes
                cur.execute(sql(_sql.UPDATE_EXISTING), (run_id, now_p))

                # 4. re-open dismissed items whose risk rose by the margin
                if requeue:
                    params = self._requeue_params(
                        requeue, run_id=run_id, now=now, margin=requeue_margin
                    )
                    cur.executemany(sql(_sql.REQUEUE), params)
                    cur.executemany(
                        sql(_sql.AUDIT_INSERT),
                        _requeue_audit(requeue, params, now_p, run_id, requeue_margin),
                    )

                # 5. new items (their status was set now)
                cur.execute(sql(_sql.INSERT_NEW), (run_id, run_id, now_p, now_p, now_p))
                result = UpsertResult(
                    run_id=run_id,
                    inserted=n_new,
                    updated=n_updated,
                    unchanged=n_rows - n_new - n_dismissed - n_updated,
                    suppressed_dismissed=n_dismissed - len(requeue),
                    requeued=len(requeue),
                    kept=n_kept,
                )
                counts = (result.inserted, result.updated, result.unchanged)
                rest = (result.suppressed_dismissed, result.requeued, result.kept)
                cur.execute(sql(_sql.INSERT_RUN), (run_id, now_p, n_rows, *counts, *rest))
                if self.dialect == "sqlite":
                    cur.execute(_sql.SQLITE_DROP_INCOMING)
        except self._errors() as exc:
            raise self._fail("upsert the queue into", exc) from exc
        logger.info("queue upsert %s into %s: %s", run_id, self.url, result.as_dict())
        return result

    def _requeue_params(
        self, requeue: list[Any], *, run_id: str, now: _dt.datetime, margin: float
    ) -> list[tuple[Any, ...]]:
        """``REQUEUE`` parameters: each re-opened item's notes with a line saying why."""
        now_p = self._ts(now)
        return [
            (
                _append_note(
                    notes,
                    f"[ringlens {now:%Y-%m-%d %H:%M} UTC, run {run_id}] "
                    f"re-opened: risk rose from {base:.1f} at dismissal to "
                    f"{new:.1f} (>= margin {margin:g} points)",
                ),
                now_p,
                now_p,
                qid,
            )
            for qid, notes, base, new in requeue
        ]

    def _load(self, cur: Any, frame: pl.DataFrame) -> None:
        """Bulk-load the frame into the temporary table (executemany / COPY)."""
        if self.dialect == "sqlite":
            cur.executemany(_sql.INCOMING_INSERT, frame.iter_rows())
        else:
            with cur.copy(_sql.INCOMING_COPY) as copy:
                for row in frame.iter_rows():
                    copy.write_row(row)

    # ------------------------------------------------------------------ reviewer side
    def set_status(
        self,
        queue_item_id: str,
        status: str,
        *,
        assignee: str | None = None,
        notes: str | None = None,
        actor: str | None = None,
        note: str | None = None,
    ) -> None:
        """Set a reviewer's status (and optionally assignee / notes) on one item.

        Dismissing records the item's current risk as ``risk_at_dismissal`` (the
        baseline for re-queueing). ``assignee`` / ``notes`` replace the stored
        values when given and are left alone when None. The change is recorded in
        the audit table (see :meth:`review`, which this calls for one item).

        Raises
        ------
        ConfigError
            ``status`` is not one of open, in_review, actioned, dismissed.
        ExportError
            No such item, or the database cannot be written.
        """
        self.review(
            queue_item_id,
            status=status,
            assignee=assignee,
            notes=notes,
            actor=actor,
            note=note,
        )

    def review(
        self,
        queue_item_ids: str | Sequence[str] | None = None,
        *,
        ring_id: str | None = None,
        status: str | None = None,
        assignee: str | None = None,
        notes: str | None = None,
        note: str | None = None,
        actor: str | None = None,
        if_unchanged_since: int | None = None,
    ) -> ReviewResult:
        """Record a reviewer's change on one item, a selection, or every item of a ring.

        One transaction, under the queue's write lock (a run's upsert waits for it, or it
        for the upsert): the audit rows — one per item and changed field, with ``actor``,
        the time, the old and new value, ``note`` and the item's last run — are written
        from the rows as they were, then the items are updated. Any error rolls it all
        back: no item is half reviewed.

        Parameters
        ----------
        queue_item_ids
            One id or several (duplicates ignored).
        ring_id
            Every item of this ring (instead of ``queue_item_ids``).
        status
            open, in_review, actioned (abuse confirmed) or dismissed; None leaves it.
            Dismissing records the item's risk as the baseline for re-queueing.
        assignee
            The reviewer it is assigned to; ``""`` unassigns; None leaves it.
        notes
            Replaces the item's notes; None leaves them.
        note
            The reviewer's note with this change: stored in the audit rows and appended
            to the item's notes as a line ``[YYYY-MM-DD HH:MM UTC actor] note``.
        actor
            Who makes the change (default: the login name of this process).
        if_unchanged_since
            An audit id (:meth:`last_audit_id` when the reviewer's page was drawn): if any
            selected item has a newer audit row (another reviewer, or a run re-opening it),
            nothing is written and :class:`QueueConflictError` is raised.

        Returns
        -------
        ReviewResult

        Raises
        ------
        ConfigError
            Bad status, nothing selected, nothing to change, over-long text.
        ExportError
            An id is not in the queue, the ring has no items, the database cannot be
            written (nothing is written).
        QueueConflictError
            See ``if_unchanged_since``.

        Examples
        --------
        >>> import polars as pl
        >>> q = pl.DataFrame({
        ...     "queue_item_id": ["qi_1", "qi_2"], "entity_type": "buyer", "entity_id": ["1", "2"],
        ...     "ring_id": "ring_a", "pattern": "brushing", "risk_score": [80.0, 70.0],
        ...     "priority": [1, 2], "action": "manual_review", "queue": "review",
        ...     "reasons": [["lockstep_orders"]] * 2, "evidence": None, "market": "DE",
        ...     "run_id": "r1"})
        >>> with open_queue_store(":memory:") as store:
        ...     _ = store.upsert(q, run_id="r1")
        ...     r = store.review(ring_id="ring_a", status="actioned", actor="ana", note="confirmed")
        ...     h = store.history()
        >>> r.items, r.changed, r.audit_rows
        (2, 2, 4)
        >>> h.select("queue_item_id", "actor", "field", "old_value", "new_value").rows()[:2]
        [('qi_1', 'ana', 'status', 'open', 'actioned'), ('qi_2', 'ana', 'status', 'open', 'actioned')]
        """
        ids = self._review_ids(queue_item_ids, ring_id)
        who, note = _check_review(
            status=status,
            assignee=assignee,
            notes=notes,
            note=note,
            actor=actor,
            if_unchanged_since=if_unchanged_since,
        )
        now = _now()
        now_p = self._ts(now)
        line = None if note is None else f"[{now:%Y-%m-%d %H:%M} UTC {who}] {note}"
        try:
            with self._transaction(lock=True) as cur:
                n_items = self._select_for_review(cur, ids, ring_id, if_unchanged_since)
                before, after, n_changed = self._write_review(
                    cur,
                    now=now_p,
                    who=who,
                    status=status,
                    assignee=assignee,
                    notes=notes,
                    note=note,
                    line=line,
                )
        except self._errors() as exc:
            raise self._fail("update", exc) from exc
        result = ReviewResult(
            items=n_items, changed=n_changed, audit_rows=after - before, last_audit_id=after
        )
        logger.info("queue review by %s in %s: %s", who, self.url, result)
        return result

    def _select_for_review(
        self, cur: Any, ids: list[str], ring_id: str | None, if_unchanged_since: int | None
    ) -> int:
        """Fill the transaction's ``selected`` table with the items a review is about (the
        ids, or the ring's items) and return how many; :class:`ExportError` if an id is not
        in the queue or the ring has none, :class:`QueueConflictError` if one changed since
        ``if_unchanged_since``."""
        sql = self._sql
        if self.dialect == "postgresql":
            cur.execute(_sql.PG_TABLE_LOCK)
        else:
            cur.execute(_sql.SQLITE_DROP_SELECTED)
        cur.execute(sql(_sql.SELECTED_TABLE))
        if ring_id is not None:
            cur.execute(sql(_sql.SELECTED_FROM_RING), (ring_id,))
        else:
            cur.executemany(sql(_sql.SELECTED_INSERT), [(i,) for i in ids])
        cur.execute(_sql.SELECTED_COUNT)
        n_items = int(cur.fetchone()[0])
        if n_items == 0:
            raise ExportError(f"no queue item of ring {ring_id!r} in {self._where()}")
        cur.execute(_sql.SELECTED_MISSING)
        missing = cur.fetchone()
        if missing is not None:
            raise ExportError(f"no queue item {missing[0]!r} in {self._where()}")
        if if_unchanged_since is not None:
            cur.execute(sql(_sql.SELECTED_CONFLICT), (if_unchanged_since,))
            hit = cur.fetchone()
            if hit is not None:
                raise QueueConflictError(
                    f"queue item {hit[1]!r} changed since you read it: {hit[3]} set by "
                    f"{hit[2]} at {_iso(hit[4])} (audit id {hit[0]}); nothing was "
                    "written: reload and review again"
                )
        return n_items

    def _write_review(
        self,
        cur: Any,
        *,
        now: Any,
        who: str,
        status: str | None,
        assignee: str | None,
        notes: str | None,
        note: str | None,
        line: str | None,
    ) -> tuple[int, int, int]:
        """Write the audit rows of a review of the selected items (from the rows as they
        are), then update the items; return the audit ids before and after, and how many
        items changed."""
        sql = self._sql
        notes_p = (line, notes, notes, notes, line, notes, None if line is None else "\n" + line)
        assignee_p = (assignee,)
        status_p = (status,)
        cur.execute(_sql.AUDIT_LAST_ID)
        before = int(cur.fetchone()[0])
        head = (now, who)
        if status is not None:
            cur.execute(sql(_sql.AUDIT_STATUS), (*head, status, note, status, status, status, who))
        if assignee is not None:
            cur.execute(sql(_sql.AUDIT_ASSIGNEE), (*head, *assignee_p, note, *assignee_p))
        if notes is not None or line is not None:
            cur.execute(sql(_sql.AUDIT_NOTES), (*head, *notes_p, note, *notes_p))
        cur.execute(_sql.AUDIT_LAST_ID)
        after = int(cur.fetchone()[0])
        cur.execute(
            sql(_sql.AUDIT_CHANGED_ITEMS) if after > before else sql(_sql.NO_ROWS),
            (before,) if after > before else (),
        )
        n_changed = int(cur.fetchone()[0])
        cur.execute(
            sql(_sql.REVIEW_UPDATE),
            (*[status] * 8, now, *status_p, *assignee_p, *notes_p, now),
        )
        if self.dialect == "sqlite":
            cur.execute(_sql.SQLITE_DROP_SELECTED)
        return before, after, n_changed

    def _review_ids(self, ids: str | Sequence[str] | None, ring_id: str | None) -> list[str]:
        if (ids is None) == (ring_id is None):
            raise ConfigError("give queue item id(s) or a ring_id (exactly one of them)")
        if ring_id is not None:
            if not isinstance(ring_id, str):
                raise ConfigError(f"ring_id must be a string, not {type(ring_id).__name__}")
            return []
        out = [ids] if isinstance(ids, str) else list(ids)  # type: ignore[arg-type]
        if not out:
            raise ConfigError("no queue item selected")
        bad = [i for i in out if not isinstance(i, str)]
        if bad:
            raise ConfigError(f"queue item ids must be strings, not {bad[0]!r}")
        return sorted(set(out))

    def last_audit_id(self) -> int:
        """The newest audit id (0 when nothing was ever reviewed)."""
        try:
            with self._transaction(lock=False) as cur:
                cur.execute(_sql.AUDIT_LAST_ID)
                return int(cur.fetchone()[0])
        except self._errors() as exc:
            raise self._fail("read", exc) from exc

    def history(
        self,
        *,
        queue_item_id: str | None = None,
        ring_id: str | None = None,
        after: int | None = None,
        actor: str | None = None,
    ) -> pl.DataFrame:
        """Every recorded change of a reviewer field, oldest first (:data:`AUDIT_SCHEMA`).

        Columns: ``audit_id`` (increasing), ``queue_item_id``, ``changed_at`` (UTC),
        ``actor`` (reviewer, or ``ringlens:<run_id>`` for a run re-opening an item),
        ``field`` (status, assignee or notes), ``old_value``, ``new_value``, ``note``,
        ``run_id`` (the item's last run at the time).

        Parameters
        ----------
        queue_item_id, ring_id, after, actor
            Only this item / the items now in this ring / audit ids above ``after`` /
            changes by this actor.
        """
        wanted = {
            "queue_item_id": queue_item_id,
            "ring_id": ring_id,
            "after": after,
            "actor": actor,
        }
        clauses = [_sql.AUDIT_FILTERS[k] for k, v in wanted.items() if v is not None]
        params = tuple(v for v in wanted.values() if v is not None)
        statement = _sql.READ_AUDIT
        if clauses:
            statement += " WHERE " + " AND ".join(clauses)
        statement += _sql.AUDIT_ORDER
        try:
            with self._transaction(lock=False) as cur:
                cur.execute(self._sql(statement), params)
                rows = cur.fetchall()
        except self._errors() as exc:
            raise self._fail("read", exc) from exc
        schema = dict(AUDIT_SCHEMA)
        if self.dialect == "sqlite":
            schema["changed_at"] = pl.String()
        df = pl.DataFrame(rows, schema=schema, orient="row")
        if self.dialect == "sqlite":
            df = df.with_columns(
                pl.col("changed_at").str.to_datetime(time_unit="us", time_zone="UTC")
            )
        return df

    # ------------------------------------------------------------------ pages
    def latest_run(self) -> str | None:
        """The run id of the newest upsert (None before the first)."""
        try:
            with self._transaction(lock=False) as cur:
                cur.execute(_sql.LATEST_RUN)
                row = cur.fetchone()
        except self._errors() as exc:
            raise self._fail("read", exc) from exc
        return None if row is None else str(row[0])

    def _filter_sql(self, flt: QueueFilter, latest: str | None) -> tuple[str, tuple[Any, ...]]:
        if not isinstance(flt, QueueFilter):
            raise ConfigError(f"filter must be a QueueFilter, not {type(flt).__name__}")
        if flt.status is not None and flt.status not in STATUSES:
            raise ConfigError(
                f"unknown queue status {flt.status!r} (expected one of {', '.join(STATUSES)})"
            )
        parts: list[tuple[str, tuple[Any, ...]]] = []
        for name in ("status", "pattern", "action", "ring_id", "run_id", "queue_item_id"):
            value = getattr(flt, name)
            if value is not None:
                parts.append((_sql.ITEM_FILTERS[name], (value,)))
        if flt.market is not None:
            parts.append(
                (_sql.ITEM_FILTERS["market"], (flt.market,))
                if flt.market
                else (_sql.ITEM_FILTERS["no_market"], ())
            )
        if flt.assignee is not None:
            parts.append(
                (_sql.ITEM_FILTERS["assignee"], (flt.assignee,))
                if flt.assignee
                else (_sql.ITEM_FILTERS["unassigned"], ())
            )
        if flt.stale is not None:
            if latest is None:  # no run yet: nothing is stale
                parts.append((_sql.ITEM_FILTERS["current" if flt.stale else "stale"], ("",)))
            else:
                key = "stale" if flt.stale else "current"
                parts.append((_sql.ITEM_FILTERS[key], (latest,)))
        for name, key in (("risk_min", "risk_min"), ("risk_max", "risk_max")):
            value = getattr(flt, name)
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                    raise ConfigError(f"{name} must be a number, not {value!r}")
                parts.append((_sql.ITEM_FILTERS[key], (float(value),)))
        if flt.entity is not None:
            etype, sep, eid = flt.entity.partition(":")
            parts.append(
                (_sql.ITEM_FILTERS["entity_key"], (etype, eid))
                if sep
                else (_sql.ITEM_FILTERS["entity_id"], (flt.entity,))
            )
        if not parts:
            return "", ()
        where = " WHERE " + " AND ".join(p for p, _ in parts)
        return where, tuple(v for _, vals in parts for v in vals)

    def query(
        self,
        flt: QueueFilter | None = None,
        *,
        order: str = "priority",
        limit: int = 50,
        offset: int = 0,
    ) -> pl.DataFrame:
        """One page of the queue: items matching ``flt``, in ``order``, as :meth:`read`
        returns them plus a ``stale`` column (the latest run no longer produced the item).

        The filters and orders are served by the indexes of schema version 2, so a page of
        a million-item queue takes milliseconds (see docs/benchmarks.md).

        Parameters
        ----------
        flt
            The filters (default: none).
        order
            ``priority`` (default: priority, then risk, highest first), ``risk``,
            ``entity``, ``status`` or ``updated`` (latest status change first).
        limit, offset
            The page: at most ``limit`` (1–10,000) items after skipping ``offset``.
        """
        flt = flt or QueueFilter()
        if order not in _sql.ITEM_ORDERS:
            raise ConfigError(
                f"unknown queue order {order!r} (expected one of {', '.join(_sql.ITEM_ORDERS)})"
            )
        for name, value, lo, hi in (("limit", limit, 1, 10_000), ("offset", offset, 0, 2**62)):
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ConfigError(f"{name} must be an integer from {lo} to {hi}, not {value!r}")
        latest = self.latest_run()
        where, params = self._filter_sql(flt, latest)
        statement = _sql.READ_COLUMNS + where + _sql.ITEM_ORDERS[order] + _sql.LIMIT_OFFSET
        # SQLite picks a filter's index and sorts every match: for a broad filter in an
        # order other than priority (whose filter indexes end in priority) that is a sort of
        # a large part of the queue. First walk a prefix of the order's own index: if it
        # holds the page, that is the page (a prefix of the order holds the first matches).
        prefix = None
        if (
            self.dialect == "sqlite"
            and where
            and order in _sql.READ_PREFIX
            and flt.ring_id is None
            and flt.queue_item_id is None
            and flt.entity is None
        ):
            # the prefix streams in the index's order (a co-routine, no sorter): its first
            # matches are the page; only the page's rows are sorted again at the end
            prefix = (
                _sql.READ_PREFIX[order]
                + where
                + _sql.LIMIT_OFFSET
                + _sql.READ_PREFIX_TAIL
                + _sql.ITEM_ORDERS[order]
            )
            scan = max(_PREFIX_ROWS, 20 * (offset + limit))
        try:
            with self._transaction(lock=False) as cur:
                rows = []
                if prefix is not None:  # a narrow filter is sorted at once (few matches)
                    probe = _sql.COUNT_CAPPED_HEAD + where + _sql.COUNT_CAPPED_TAIL
                    cur.execute(probe, (*params, _PREFIX_MIN_MATCHES))
                    if int(cur.fetchone()[0]) < _PREFIX_MIN_MATCHES:
                        prefix = None
                if prefix is not None:
                    cur.execute(prefix, (scan, *params, limit, offset))
                    rows = cur.fetchall()
                if len(rows) < limit:  # the prefix did not hold a whole page
                    cur.execute(self._sql(statement), (*params, limit, offset))
                    rows = cur.fetchall()
        except self._errors() as exc:
            raise self._fail("read", exc) from exc
        df = self._frame(rows)
        return df.with_columns(
            (pl.col("last_seen_run") != pl.lit(latest)).fill_null(False).alias("stale")
            if latest is not None
            else pl.lit(False).alias("stale")
        )

    def count(self, flt: QueueFilter | None = None, *, cap: int | None = None) -> int:
        """How many items match ``flt`` (at most ``cap`` when given: a page that shows
        "10,000+" need not count a million rows)."""
        where, params = self._filter_sql(flt or QueueFilter(), self.latest_run())
        if cap is None:
            statement, args = _sql.COUNT_ITEMS + where, params
        else:
            if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
                raise ConfigError(f"cap must be an integer >= 1, not {cap!r}")
            statement = _sql.COUNT_CAPPED_HEAD + where + _sql.COUNT_CAPPED_TAIL
            args = (*params, cap)
        try:
            with self._transaction(lock=False) as cur:
                cur.execute(self._sql(statement), args)
                return int(cur.fetchone()[0])
        except self._errors() as exc:
            raise self._fail("read", exc) from exc

    def distinct_values(self, columns: Sequence[str] | None = None) -> dict[str, list[str]]:
        """The values each filter can take: statuses, assignees, patterns, markets,
        actions and run ids present in the database (sorted).

        ``columns`` names some of them (default: all). Statuses, assignees and markets
        come from their indexes (milliseconds at any size); patterns and actions need a
        scan of the queue, so a caller that asks often keeps them per run (only a run's
        upsert changes them).
        """
        names = list(_sql.DISTINCT_VALUES) if columns is None else list(columns)
        bad = [c for c in names if c not in _sql.DISTINCT_VALUES]
        if bad:
            raise ConfigError(
                f"no distinct values of {bad[0]!r} (expected some of {', '.join(_sql.DISTINCT_VALUES)})"
            )
        out: dict[str, list[str]] = {}
        try:
            with self._transaction(lock=False) as cur:
                for name in names:
                    statement = _sql.DISTINCT_VALUES[name]
                    cur.execute(statement)
                    out[name] = sorted(str(r[0]) for r in cur.fetchall() if r[0] is not None)
        except self._errors() as exc:
            raise self._fail("read", exc) from exc
        return out

    def read(self, *, status: str | Sequence[str] | None = None) -> pl.DataFrame:
        """The queue as a Polars frame: queue columns, reviewer columns, bookkeeping.

        ``reasons`` comes back as ``list[str]``, timestamps as UTC datetimes. Rows
        are sorted by priority, then risk (highest first), then id.

        Parameters
        ----------
        status
            Only items with this status (or one of these statuses).
        """
        statuses: list[str] | None = None
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            bad = [s for s in statuses if s not in STATUSES]
            if bad:
                raise ConfigError(
                    f"unknown queue status {bad[0]!r} (expected one of {', '.join(STATUSES)})"
                )
        statement = _sql.READ_ALL
        params: tuple[Any, ...] = ()
        if statuses:
            statement += _sql.READ_STATUS_CLAUSE
            params = tuple((statuses + [statuses[0]] * 4)[:4])
        try:
            with self._transaction(lock=False) as cur:
                cur.execute(self._sql(statement), params)
                rows = cur.fetchall()
        except self._errors() as exc:
            raise self._fail("read", exc) from exc
        return self._frame(rows).sort(
            ["priority", "risk_score", "queue_item_id"],
            descending=[False, True, False],
            nulls_last=True,
        )

    def _frame(self, rows: list[Any]) -> pl.DataFrame:
        """Rows of READ_ALL's columns as the frame :meth:`read` returns."""
        schema = dict(_READ_SCHEMA)
        ts_cols = set(_TIMESTAMPS)
        if self.dialect == "postgresql":
            for c in ts_cols:
                schema[c] = pl.Datetime("us", "UTC")
        df = pl.DataFrame(rows, schema=schema, orient="row")
        exprs = [pl.col("reasons").str.json_decode(pl.List(pl.String))]
        if self.dialect == "sqlite":
            exprs += [pl.col(c).str.to_datetime(time_unit="us", time_zone="UTC") for c in ts_cols]
        return df.with_columns(exprs)

    def verdicts_as_labels(self) -> pl.DataFrame:
        """Reviewer verdicts as labels for the next run (the feedback loop).

        ``actioned`` → ``confirmed``, ``dismissed`` → ``cleared``. An entity with
        several items gets one label: ``confirmed`` if any of its items was actioned.

        Returns
        -------
        pl.DataFrame
            ``entity_type``, ``entity_id``, ``label`` (str), sorted by type and id.
        """
        try:
            with self._transaction(lock=False) as cur:
                cur.execute(_sql.VERDICTS)
                rows = cur.fetchall()
        except self._errors() as exc:
            raise self._fail("read", exc) from exc
        df = pl.DataFrame(
            rows,
            schema={"entity_type": pl.String, "entity_id": pl.String, "_a": pl.Int64},
            orient="row",
        )
        return df.select(
            "entity_type",
            "entity_id",
            pl.when(pl.col("_a") == 1)
            .then(pl.lit("confirmed"))
            .otherwise(pl.lit("cleared"))
            .alias("label"),
        ).sort("entity_type", "entity_id")

    def runs(self) -> pl.DataFrame:
        """The audit log of upserts (one row per :meth:`upsert`), oldest first."""
        cols = (
            "run_id",
            "upserted_at",
            "n_rows",
            "inserted",
            "updated",
            "unchanged",
            "suppressed_dismissed",
            "requeued",
            "kept",
        )
        try:
            with self._transaction(lock=False) as cur:
                cur.execute(_sql.READ_RUNS)
                rows = cur.fetchall()
        except self._errors() as exc:
            raise self._fail("read", exc) from exc
        schema: dict[str, pl.DataType] = {c: pl.Int64() for c in cols}
        schema["run_id"] = pl.String()
        schema["upserted_at"] = (
            pl.String() if self.dialect == "sqlite" else pl.Datetime("us", "UTC")
        )
        df = pl.DataFrame(rows, schema=schema, orient="row")
        if self.dialect == "sqlite":
            df = df.with_columns(
                pl.col("upserted_at").str.to_datetime(time_unit="us", time_zone="UTC")
            )
        return df.sort("upserted_at", maintain_order=True)


def _check_review(
    *,
    status: str | None,
    assignee: str | None,
    notes: str | None,
    note: str | None,
    actor: str | None,
    if_unchanged_since: int | None,
) -> tuple[str, str | None]:
    """Check a review's arguments (:meth:`QueueStore.review`); return the actor (default:
    this process's login) and the stripped note (None when empty)."""
    if status is not None and status not in STATUSES:
        raise ConfigError(
            f"unknown queue status {status!r} (expected one of {', '.join(STATUSES)})"
        )
    if status is None and assignee is None and notes is None and not note:
        raise ConfigError("nothing to change: give a status, an assignee, notes or a note")
    who = _check_text("actor", actor if actor is not None else _login(), MAX_ACTOR)
    if not who.strip():
        raise ConfigError("actor must not be empty (the reviewer's name)")
    for name, value, cap in (("assignee", assignee, MAX_ACTOR), ("notes", notes, MAX_NOTE)):
        if value is not None:
            _check_text(name, value, cap)
    if note is not None:
        _check_text("note", note, MAX_NOTE)
        note = note.strip() or None
    if if_unchanged_since is not None and (
        isinstance(if_unchanged_since, bool) or not isinstance(if_unchanged_since, int)
    ):
        raise ConfigError(f"if_unchanged_since must be an audit id, not {if_unchanged_since!r}")
    return who, note


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def _iso(value: Any) -> str:
    """A stored timestamp (ISO text in SQLite, datetime in PostgreSQL) as text."""
    if isinstance(value, _dt.datetime):
        return value.isoformat(timespec="seconds")
    return str(value)[:19]


def _is_file(location: str) -> bool:
    return location == ":memory:" or Path(location).is_file()


def _login() -> str:
    """The login name of this process (the default actor of a review)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database entry (containers)
        return "unknown"


def _check_text(name: str, value: Any, cap: int) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, not {type(value).__name__}")
    if len(value) > cap:
        raise ConfigError(f"{name} is {len(value):,} characters long (at most {cap:,})")
    if "\x00" in value:
        raise ConfigError(f"{name} contains a NUL character")
    return value


def _requeue_audit(
    requeue: list[Any], params: list[Any], now_p: Any, run_id: str, margin: float
) -> list[tuple[Any, ...]]:
    """Audit rows of a run re-opening dismissed items: status and notes, per item."""
    actor = f"ringlens:{run_id}"
    rows: list[tuple[Any, ...]] = []
    for (qid, old_notes, base, new), (new_notes, *_rest) in zip(requeue, params, strict=True):
        note = f"re-opened: risk rose from {base:.1f} at dismissal to {new:.1f} (margin {margin:g})"
        rows.append((qid, now_p, actor, "status", "dismissed", "open", note, run_id))
        rows.append((qid, now_p, actor, "notes", old_notes, new_notes, note, run_id))
    return rows


def _append_note(old: str | None, line: str) -> str:
    return line if not old else f"{old}\n{line}"


def _json_list(expr: pl.Expr) -> pl.Expr:
    """Vectorised JSON array text of a list[str] column (null stays null)."""
    encoded = pl.struct(expr.alias("v")).struct.json_encode()
    return (
        pl.when(expr.is_null())
        .then(None)
        .otherwise(encoded.str.slice(5, encoded.str.len_chars() - 6))
    )


def check_queue_target(url_or_path: str | os.PathLike[str]) -> str:
    """Check that ``url_or_path`` names a queue database ringlens can open (a path,
    ``sqlite:`` or ``postgresql://``), without opening it; returns it for display (password
    redacted). Raises :class:`ConfigError` otherwise, before a run does any work.

    Examples
    --------
    >>> check_queue_target("postgresql://rev:pw@db/tns")
    'postgresql://rev:***@db/tns'
    >>> check_queue_target("mysql://u:pw@h/db")
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: unsupported queue database URL 'mysql://u:***@h/db' (expected a file path, sqlite:///path or postgresql://…)
    """
    return _parse_target(url_or_path).display


def open_queue_store(
    url_or_path: str | os.PathLike[str],
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    create: bool = True,
) -> QueueStore:
    """Open (and create if needed) the queue database.

    Parameters
    ----------
    url_or_path
        * a file path, e.g. ``out/queue.sqlite`` (SQLite; parent directories are
          created); an existing directory, or a path ending in ``/``, means
          ``<dir>/queue.sqlite`` (:data:`DEFAULT_QUEUE_DB`);
        * ``sqlite:///relative/path``, ``sqlite:////absolute/path`` or
          ``":memory:"``;
        * ``postgresql://user:password@host:5432/dbname`` (also ``postgres://``;
          libpq parameters such as ``?sslmode=require`` or
          ``?options=-csearch_path%3Dtns`` pass through; a password may hold ``@``,
          ``/`` or ``:`` unencoded), or a libpq key=value string
          (``host=db dbname=tns user=rev password=…``). Needs ``psycopg``.
    lock_timeout
        Seconds a write waits for another writer's lock (SQLite's busy timeout,
        PostgreSQL's ``lock_timeout``) before it fails with an :class:`ExportError`
        saying that the queue is locked by another writer and how long it waited.
    create
        Create the database and its tables when missing (default). With ``create=False``
        (a reader such as ``ringlens serve``) a missing SQLite file or a database without
        a ringlens queue is an :class:`ExportError`. Either way a version-1 database is
        migrated to the current schema, and a SQLite file holding another tool's tables is
        refused.

    Raises
    ------
    ConfigError
        Unsupported URL scheme.
    ExportError
        The database cannot be opened or created (the message names the path or
        the URL with its password redacted).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with open_queue_store(d) as store:
    ...     store.url.endswith("queue.sqlite"), store.read().height
    (True, 0)
    """
    return QueueStore(_parse_target(url_or_path), lock_timeout=lock_timeout, create=create)
