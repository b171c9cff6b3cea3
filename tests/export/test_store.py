"""QueueStore against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import polars as pl
import pytest

from ringlens.exceptions import ConfigError, ExportError
from ringlens.export import open_queue_store, redact_url
from ringlens.export.store import SCHEMA_VERSION

from .conftest import make_queue

NASTY_IDS = [
    "'; DROP TABLE queue_items; --",
    'quote"double',
    "it's",
    "emoji 🚩🧨",
    "new\nline\r\ttab",
    "back\\slash %s %(x)s ? $1",
    "  padded  ",
    '=HYPERLINK("http://x","y")',
    "",  # empty string is a valid id
    "ünïcødé—ид",
]


def test_rerun_keeps_every_reviewer_edit(store_url: str) -> None:
    q1 = make_queue(30, run_id="r1")
    with open_queue_store(store_url) as store:
        r1 = store.upsert(q1, run_id="r1")
        assert (r1.inserted, r1.total, r1.kept) == (30, 30, 0)
        store.set_status("qi_00000", "in_review", assignee="ana", notes="looking")
        store.set_status("qi_00001", "actioned", assignee="bo", notes="suspended\nline 2")
        store.set_status("qi_00002", "dismissed", assignee="cy", notes="false positive 🙂")
        store.set_status("qi_00003", "open", assignee="dee")
        before = store.read().filter(pl.col("queue_item_id").is_in(["qi_00000", "qi_00001"]))

    # next run: risks change a bit, one item dropped, one new, reviewer columns in the
    # frame (if any) must not matter
    q2 = (
        make_queue(30, run_id="r2", risk=52.0)
        .filter(pl.col("queue_item_id") != "qi_00004")
        .vstack(make_queue(ids=["qi_new"], run_id="r2"))
    )
    with open_queue_store(store_url) as store:
        r2 = store.upsert(q2, run_id="r2")
        df = store.read()
    assert r2.inserted == 1 and r2.kept == 1 and r2.suppressed_dismissed == 1
    assert r2.total == q2.height
    assert r2.updated == 28  # risk rose by 2 on every other item
    got = {r["queue_item_id"]: r for r in df.iter_rows(named=True)}
    assert (got["qi_00000"]["status"], got["qi_00000"]["assignee"], got["qi_00000"]["notes"]) == (
        "in_review",
        "ana",
        "looking",
    )
    assert (got["qi_00001"]["status"], got["qi_00001"]["notes"]) == (
        "actioned",
        "suspended\nline 2",
    )
    assert (got["qi_00002"]["status"], got["qi_00002"]["notes"]) == (
        "dismissed",
        "false positive 🙂",
    )
    assert got["qi_00003"]["assignee"] == "dee"
    # run-owned columns did move, bookkeeping is right
    assert got["qi_00000"]["risk_score"] == pytest.approx(52.0)
    assert got["qi_00000"]["first_seen_run"] == "r1" and got["qi_00000"]["last_seen_run"] == "r2"
    assert got["qi_00000"]["run_id"] == "r2"
    # not in this run: kept untouched, last_seen_run stays r1
    assert got["qi_00004"]["last_seen_run"] == "r1" and got["qi_00004"]["status"] == "open"
    assert got["qi_new"]["first_seen_run"] == "r2" and got["qi_new"]["status"] == "open"
    assert df.height == 31
    assert df.schema["reasons"] == pl.List(pl.String)
    assert df["reasons"][0].to_list() == ["dense_block", "lockstep"]
    assert df.schema["updated_at"] == pl.Datetime("us", "UTC")
    assert before.height == 2

    # same run again: idempotent, nothing updated
    with open_queue_store(store_url) as store:
        r3 = store.upsert(q2, run_id="r2")
        assert (r3.inserted, r3.updated, r3.requeued) == (0, 0, 0)
        assert r3.unchanged == q2.height - 1 and r3.suppressed_dismissed == 1
        assert store.runs()["run_id"].to_list() == ["r1", "r2", "r2"]


def test_dismissed_stays_dismissed_unless_risk_rises_by_margin(store_url: str) -> None:
    ids = ["a", "b", "c"]
    with open_queue_store(store_url) as store:
        store.upsert(make_queue(ids=ids, risk=[40.0, 40.0, 40.0]), run_id="r1")
        for i in ids:
            store.set_status(i, "dismissed", notes=f"note {i}")
        # +9.99 on a (below margin), exactly +10 on b, +25 on c
        r = store.upsert(make_queue(ids=ids, risk=[49.99, 50.0, 65.0]), run_id="r2")
        assert (r.suppressed_dismissed, r.requeued) == (1, 2)
        df = store.read().sort("queue_item_id")
        st = dict(zip(df["queue_item_id"], df["status"], strict=True))
        assert st == {"a": "dismissed", "b": "open", "c": "open"}
        notes = dict(zip(df["queue_item_id"], df["notes"], strict=True))
        assert notes["a"] == "note a"
        assert notes["b"].startswith("note b\n") and "risk rose from 40.0" in notes["b"]
        assert "to 50.0" in notes["b"] and "run r2" in notes["b"]
        assert df.filter(pl.col("queue_item_id") == "c")["requeue_count"].item() == 1
        # a's baseline is still the risk at dismissal (40), not the drifting 49.99
        r = store.upsert(make_queue(ids=ids, risk=[49.0, 50.0, 65.0]), run_id="r3")
        assert r.requeued == 0
        r = store.upsert(make_queue(ids=ids, risk=[50.5, 50.0, 65.0]), run_id="r4")
        assert r.requeued == 1
        # custom margin
        store.set_status("a", "dismissed")
        r = store.upsert(
            make_queue(ids=ids, risk=[53.0, 50.0, 65.0]), run_id="r5", requeue_margin=2
        )
        assert r.requeued == 1
        assert store.read(status="open").height == 3


def test_verdicts_as_labels(store_url: str) -> None:
    q = make_queue(6)
    # entity e0 twice: actioned in one item, dismissed in another -> confirmed
    q = q.with_columns(
        pl.when(pl.col("queue_item_id") == "qi_00005")
        .then(pl.lit("e0"))
        .otherwise(pl.col("entity_id"))
        .alias("entity_id")
    )
    with open_queue_store(store_url) as store:
        store.upsert(q, run_id="r1")
        assert store.verdicts_as_labels().height == 0
        store.set_status("qi_00000", "actioned")
        store.set_status("qi_00005", "dismissed")
        store.set_status("qi_00001", "dismissed")
        store.set_status("qi_00002", "actioned")
        store.set_status("qi_00003", "in_review")
        labels = store.verdicts_as_labels()
    assert labels.schema == pl.Schema(
        {"entity_type": pl.String, "entity_id": pl.String, "label": pl.String}
    )
    assert labels.rows() == [
        ("creator", "e0", "confirmed"),
        ("creator", "e1", "cleared"),
        ("creator", "e2", "confirmed"),
    ]


def test_sql_metacharacter_ids_round_trip(store_url: str) -> None:
    q = make_queue(ids=NASTY_IDS).with_columns(
        pl.Series("entity_id", NASTY_IDS),
        pl.Series("reasons", [[i, "x"] for i in NASTY_IDS]),
    )
    with open_queue_store(store_url) as store:
        assert store.upsert(q, run_id="'; DROP TABLE queue_runs; --").inserted == len(NASTY_IDS)
        for i in NASTY_IDS:
            store.set_status(i, "in_review", assignee=i, notes=i)
        df = store.read()
        assert store.upsert(q, run_id="r2").unchanged == len(NASTY_IDS)
    assert sorted(df["queue_item_id"].to_list()) == sorted(NASTY_IDS)
    for row in df.iter_rows(named=True):
        assert row["entity_id"] == row["queue_item_id"] == row["assignee"] == row["notes"]
        assert row["reasons"] == [row["queue_item_id"], "x"]


def test_schema_creation_idempotent_and_versioned(store_url: str) -> None:
    for _ in range(3):
        with open_queue_store(store_url) as store:
            store.upsert(make_queue(3), run_id="r")
    with open_queue_store(store_url) as store:
        assert store.read().height == 3


def test_newer_schema_version_refused(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite"
    open_queue_store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE ringlens_schema SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(ExportError, match="schema version"):
        open_queue_store(db)


def test_foreign_table_without_columns_refused(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE queue_items (queue_item_id TEXT PRIMARY KEY)")
    with pytest.raises(ExportError, match=r"queue_items.*lacks column 'entity_type'"):
        open_queue_store(db)


def test_bad_inputs(tmp_path: Path) -> None:
    with open_queue_store(tmp_path) as store:  # a directory -> <dir>/queue.sqlite
        assert store.url == str(tmp_path / "queue.sqlite")
        store.upsert(make_queue(2), run_id="r")
        with pytest.raises(ConfigError, match="unknown queue status 'closed'"):
            store.set_status("qi_00000", "closed")
        with pytest.raises(ExportError, match="no queue item 'nope'"):
            store.set_status("nope", "open")
        with pytest.raises(ExportError, match="lacks column 'risk_score'"):
            store.upsert(make_queue(2).drop("risk_score"), run_id="r")
        with pytest.raises(ExportError, match="'queue_item_id' is not unique"):
            store.upsert(make_queue(ids=["x", "x"]), run_id="r")
        with pytest.raises(ExportError, match="'risk_score' has 1 null"):
            store.upsert(
                make_queue(2).with_columns(pl.Series("risk_score", [1.0, None])), run_id="r"
            )
        with pytest.raises(
            ExportError, match="column 'risk_score' has type String, expected Float64"
        ):
            store.upsert(make_queue(2).with_columns(risk_score=pl.lit("high")), run_id="r")
        with pytest.raises(ConfigError, match="run_id"):
            store.upsert(make_queue(2), run_id="")
        with pytest.raises(ConfigError, match="requeue_margin"):
            store.upsert(make_queue(2), run_id="r", requeue_margin=-1)
        assert store.read().height == 2  # failed upserts stored nothing
    with pytest.raises(
        ConfigError, match="unsupported queue database URL 'mysql://u:\\*\\*\\*@h/db'"
    ):
        open_queue_store("mysql://u:pw@h/db")


def test_sqlite_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_queue_store("sqlite:///rel/q.sqlite") as s:
        assert s.url == "rel/q.sqlite"
    assert (tmp_path / "rel" / "q.sqlite").exists()
    with open_queue_store(f"sqlite:///{tmp_path}/abs.sqlite") as s:
        assert s.url == f"{tmp_path}/abs.sqlite"
    with open_queue_store("sqlite://") as s:
        assert s.read().height == 0


def test_unwritable_sqlite_path_names_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ExportError, match=str(blocker / "sub" / "q.sqlite")):
        open_queue_store(blocker / "sub" / "q.sqlite")


def test_postgres_connection_error_redacts_password() -> None:
    url = "postgresql://rev:Sup3rS3cret@127.0.0.1:1/tns?connect_timeout=2"
    with pytest.raises(ExportError) as err:
        open_queue_store(url)
    msg = str(err.value)
    assert "Sup3rS3cret" not in msg and "rev:***@127.0.0.1:1/tns" in msg
    assert "\n" not in msg
    assert redact_url("postgres://u:p@h/d?password=p2") == "postgres://u:***@h/d?password=***"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://rev:Pa@ss-TopSecret@127.0.0.1:1/db",
            "postgresql://rev:***@127.0.0.1:1/db",
        ),
        ("postgresql://rev:a/b/TopSecret@host/db", "postgresql://rev:***@host/db"),
        ("postgresql://rev:pa?ss:Top@Secret@h:5/db?sslmode=require", "postgresql://rev:***@h:5/db?sslmode=require"),
        ("postgresql://rev:s3cr%40t@db:5432/tns", "postgresql://rev:***@db:5432/tns"),
        ("postgresql://:TopSecret@db/tns", "postgresql://:***@db/tns"),
        ("postgresql://rev@db/tns", "postgresql://rev@db/tns"),
        ("postgresql://db:5432/tns", "postgresql://db:5432/tns"),
        ("postgresql://db/tns?password=Top@Secret&user=rev", "postgresql://db/tns?password=***&user=rev"),
        ("host=db password=TopSecret user=rev", "host=db password=*** user=rev"),
        ("host=db PASSWORD = 'Top Se\\'cret' user=rev", "host=db PASSWORD = *** user=rev"),
        ("host=db password='TopSecret unterminated", "host=db password=***"),
        ("out/queue.sqlite", "out/queue.sqlite"),
    ],
)  # fmt: skip
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert "TopSecret" not in redact_url(url) and "Secret" not in redact_url(url)


def test_redact_secrets_walks_reports() -> None:
    from ringlens.export import redact_secrets

    report = {
        "config": {"export": {"database": "postgresql://u:Pa@ss/TopSecret@h/db", "n": 1}},
        "list": ["host=h password=TopSecret", 2.5, None],
        "tuple": ("postgresql://u:TopSecret@h/db",),
    }
    out = redact_secrets(report)
    assert "TopSecret" not in repr(out)
    assert out["config"]["export"] == {"database": "postgresql://u:***@h/db", "n": 1}
    assert out["list"][1:] == [2.5, None] and isinstance(out["tuple"], tuple)
    assert "TopSecret" in repr(report)  # a copy: the report itself is left alone


@pytest.mark.parametrize(
    ("url", "dsn"),
    [
        (
            "postgresql://rev:Pa@ss/Top:Secret@127.0.0.1:1/db?options=-c%20x%3Dy",
            "postgresql://rev:Pa%40ss%2FTop%3ASecret@127.0.0.1:1/db?options=-c%20x%3Dy",
        ),
        ("postgresql://rev:s3cr%40t@db/tns", "postgresql://rev:s3cr%40t@db/tns"),
        ("postgresql://rev:pa?ss@db/tns", "postgresql://rev:pa%3Fss@db/tns"),
        ("postgresql://r%C3%A9v:pw@db/tns?application_name=a@b", "postgresql://r%C3%A9v:pw@db/tns?application_name=a@b"),
        ("postgresql://db/tns", "postgresql://db/tns"),
    ],
)  # fmt: skip
def test_postgres_url_is_read_as_written(url: str, dsn: str) -> None:
    """libpq ends the user information at the first '@' or '/': the store encodes user and
    password first, so a password holding them reaches the server whole."""
    from psycopg.conninfo import conninfo_to_dict

    from ringlens.export.store import _parse_target

    t = _parse_target(url)
    assert t.location == dsn
    assert "Secret" not in t.display
    parts = conninfo_to_dict(dsn)
    if "Top" in url:
        assert parts["password"] == "Pa@ss/Top:Secret" and parts["host"] == "127.0.0.1"


def test_libpq_key_value_string_is_postgres_and_redacted() -> None:
    from ringlens.export.store import _parse_target

    t = _parse_target("host=127.0.0.1 port=1 dbname=db user=rev password=TopSecret")
    assert t.dialect == "postgresql" and "TopSecret" not in t.display
    with pytest.raises(ExportError) as err:
        open_queue_store("host=127.0.0.1 port=1 dbname=db user=rev password=TopSecret")
    assert "TopSecret" not in str(err.value) and "\n" not in str(err.value)


def _hold_sqlite_lock(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # a reviewer's tool holding the write lock
    return conn


def test_sqlite_lock_held_by_another_writer_says_so(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite"
    with open_queue_store(db) as store:
        store.upsert(make_queue(2), run_id="r1")
    holder = _hold_sqlite_lock(db)
    try:
        t0 = time.monotonic()
        with pytest.raises(ExportError) as err:
            open_queue_store(db, lock_timeout=0.3)
        assert time.monotonic() - t0 >= 0.3
        msg = str(err.value)
        assert "locked by another writer" in msg and "waited 0.3 s" in msg, msg
        assert "cannot create table" in msg and str(db) in msg
        holder.execute("ROLLBACK")
        store = open_queue_store(db, lock_timeout=0.3)
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(ExportError, match=r"upsert .*locked by another writer.*waited 0\.3 s"):
            store.upsert(make_queue(3), run_id="r2")
        with pytest.raises(ExportError, match="update .*locked by another writer"):
            store.set_status("qi_00000", "dismissed")
        holder.execute("ROLLBACK")
        assert store.upsert(make_queue(3), run_id="r2").inserted == 1  # free again
        store.close()
    finally:
        holder.close()


def test_lock_timeout_validated(tmp_path: Path) -> None:
    for bad in (0, -1, float("nan"), "30", True, 10**6):
        with pytest.raises(ConfigError, match="lock_timeout"):
            open_queue_store(tmp_path / "q.sqlite", lock_timeout=bad)  # type: ignore[arg-type]


@pytest.mark.postgres
def test_postgres_lock_held_by_another_writer_says_so(pg_url: str) -> None:
    import psycopg

    with open_queue_store(pg_url, lock_timeout=0.3) as store:
        store.upsert(make_queue(2), run_id="r1")
        with psycopg.connect(pg_url) as holder:  # a transaction left open by a reviewer
            holder.execute("LOCK TABLE queue_items IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(ExportError) as err:
                store.upsert(make_queue(3), run_id="r2")
            holder.rollback()
        msg = str(err.value)
        assert "locked by another writer" in msg and "waited 0.3 s" in msg, msg
        assert store.upsert(make_queue(3), run_id="r2").inserted == 1


@pytest.mark.postgres
def test_postgres_upsert_is_one_transaction(pg_url: str) -> None:
    """A failure half-way (here: a CHECK violation we provoke) stores nothing."""
    import psycopg

    with open_queue_store(pg_url) as store:
        store.upsert(make_queue(5), run_id="r1")
        store.set_status("qi_00001", "actioned", notes="keep me")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE queue_runs ADD CONSTRAINT no_r2 CHECK (run_id <> 'r2')")
    with open_queue_store(pg_url) as store:
        with pytest.raises(ExportError, match="queue_items in postgresql://ringlens@"):
            store.upsert(make_queue(8, risk=90.0), run_id="r2")
        df = store.read()
    assert df.height == 5 and set(df["last_seen_run"]) == {"r1"}
    assert df.filter(pl.col("queue_item_id") == "qi_00001")["notes"].item() == "keep me"


# --------------------------------------------------------------------------- reviews & audit
def test_review_one_selection_and_ring_write_the_audit(store_url: str) -> None:
    from ringlens.export.store import AUDIT_SCHEMA

    with open_queue_store(store_url) as store:
        store.upsert(make_queue(10), run_id="r1")
        # every item has its status time from the start
        assert store.read()["status_updated_at"].null_count() == 0
        one = store.review("qi_00000", status="in_review", assignee="ana", actor="ana")
        assert (one.items, one.changed, one.audit_rows) == (1, 1, 2)
        sel = store.review(["qi_00001", "qi_00002", "qi_00001"], status="dismissed", actor="bo")
        assert (sel.items, sel.changed, sel.audit_rows) == (2, 2, 2)
        # ring_...0 holds items 0 and 5: item 0 changes status, both get the note appended
        ring = store.review(
            ring_id=f"ring_{0:016x}", status="actioned", note="brushing ring, confirmed", actor="cy"
        )
        assert (ring.items, ring.changed, ring.audit_rows) == (2, 2, 4)
        h = store.history()
        df = store.read()
    assert dict(h.schema) == AUDIT_SCHEMA
    assert h["audit_id"].is_sorted() and h["audit_id"].n_unique() == h.height == 8
    got = {r["queue_item_id"]: r for r in df.iter_rows(named=True)}
    assert got["qi_00000"]["status"] == "actioned" and got["qi_00000"]["assignee"] == "ana"
    assert got["qi_00005"]["notes"].endswith("UTC cy] brushing ring, confirmed")
    assert got["qi_00001"]["risk_at_dismissal"] == got["qi_00001"]["risk_score"]
    st = h.filter(pl.col("field") == "status").select(
        "queue_item_id", "actor", "old_value", "new_value", "note", "run_id"
    )
    assert st.rows() == [
        ("qi_00000", "ana", "open", "in_review", None, "r1"),
        ("qi_00001", "bo", "open", "dismissed", None, "r1"),
        ("qi_00002", "bo", "open", "dismissed", None, "r1"),
        ("qi_00000", "cy", "in_review", "actioned", "brushing ring, confirmed", "r1"),
        ("qi_00005", "cy", "open", "actioned", "brushing ring, confirmed", "r1"),
    ]
    notes = h.filter(pl.col("field") == "notes")
    assert notes["old_value"].to_list() == [None, None]
    assert all(v.endswith("] brushing ring, confirmed") for v in notes["new_value"])
    with open_queue_store(store_url) as store:
        labels = store.verdicts_as_labels()
        assert store.history(ring_id=f"ring_{0:016x}").height == 6  # items 0 and 5
        assert store.history(queue_item_id="qi_00001")["field"].to_list() == ["status"]
    assert labels.filter(pl.col("label") == "confirmed")["entity_id"].to_list() == ["e0", "e5"]


def test_a_second_reviewer_confirming_a_verdict_is_recorded(store_url: str) -> None:
    """Reviewer agreement needs the agreeing verdict: a second actor who sets the verdict an
    item already has writes a status row (old = new), the same actor again writes none."""
    from ringlens.calibrate.quality import reviewer_agreement
    from ringlens.calibrate.verdicts import verdict_events

    with open_queue_store(store_url) as store:
        store.upsert(make_queue(4), run_id="r1")
        store.review(["qi_00000", "qi_00001"], status="actioned", actor="ana")
        again = store.review(["qi_00000", "qi_00001"], status="actioned", actor="ana")
        assert (again.changed, again.audit_rows) == (0, 0)
        second = store.review("qi_00000", status="actioned", actor="bo", note="agree")
        # the confirmation, and the note appended to the item's notes (a change)
        assert (second.items, second.changed, second.audit_rows) == (1, 1, 2)
        silent = store.review("qi_00003", status="dismissed", actor="ana")
        confirmed = store.review("qi_00003", status="dismissed", actor="cy")
        assert (silent.audit_rows, confirmed.changed, confirmed.audit_rows) == (1, 0, 1)
        other = store.review("qi_00001", status="dismissed", actor="bo")
        assert (other.changed, other.audit_rows) == (1, 1)
        open_ = store.review("qi_00002", status="in_review", actor="ana")
        not_verdict = store.review("qi_00002", status="in_review", actor="bo")
        assert (open_.audit_rows, not_verdict.audit_rows) == (1, 0)  # in_review is no verdict
        h, items = store.history(), store.read()
    rows = h.filter(pl.col("field") == "status").select(
        "queue_item_id", "actor", "old_value", "new_value", "note"
    )
    assert ("qi_00000", "bo", "actioned", "actioned", "agree") in rows.rows()
    v = verdict_events(items, h)
    agree = reviewer_agreement(v)
    assert agree["items"] == 3 and agree["agreed"] == 2


def test_review_is_all_or_nothing(store_url: str) -> None:
    with open_queue_store(store_url) as store:
        store.upsert(make_queue(4), run_id="r1")
        with pytest.raises(ExportError, match="no queue item 'nope'"):
            store.review(["qi_00000", "nope"], status="actioned", actor="ana")
        with pytest.raises(ExportError, match="no queue item of ring 'ring_x'"):
            store.review(ring_id="ring_x", status="actioned", actor="ana")
        with pytest.raises(ConfigError, match="nothing to change"):
            store.review("qi_00000", actor="ana")
        with pytest.raises(ConfigError, match="unknown queue status 'confirmed'"):
            store.review("qi_00000", status="confirmed", actor="ana")
        with pytest.raises(ConfigError, match="exactly one"):
            store.review("qi_00000", ring_id="r", status="open", actor="ana")
        with pytest.raises(ConfigError, match="note is 10,001 characters"):
            store.review("qi_00000", status="open", note="x" * 10_001, actor="ana")
        assert store.history().height == 0
        assert set(store.read()["status"]) == {"open"}


def test_review_refuses_a_stale_page(store_url: str) -> None:
    """A reviewer's page drawn before someone else's change cannot overwrite it."""
    from ringlens.export.store import QueueConflictError

    with open_queue_store(store_url) as store:
        store.upsert(make_queue(4), run_id="r1")
        seen = store.last_audit_id()
        store.review("qi_00001", status="dismissed", note="household", actor="bo")
        with pytest.raises(QueueConflictError, match="'qi_00001' changed since you read it"):
            store.review(
                ["qi_00000", "qi_00001"], status="actioned", actor="ana", if_unchanged_since=seen
            )
        df = store.read()
        # an item nobody touched can be reviewed from the same page
        r = store.review("qi_00002", status="actioned", actor="ana", if_unchanged_since=seen)
    assert r.changed == 1
    assert df.filter(pl.col("queue_item_id") == "qi_00000")["status"].item() == "open"
    assert df.filter(pl.col("queue_item_id") == "qi_00001")["status"].item() == "dismissed"


def test_requeue_by_a_run_is_in_the_audit(store_url: str) -> None:
    with open_queue_store(store_url) as store:
        store.upsert(make_queue(3, risk=50.0), run_id="r1")
        store.review("qi_00000", status="dismissed", actor="ana", note="seasonal")
        store.upsert(make_queue(3, risk=70.0), run_id="r2")
        h = store.history(queue_item_id="qi_00000")
        item = store.read().filter(pl.col("queue_item_id") == "qi_00000").row(0, named=True)
    assert item["status"] == "open"
    runs = h.filter(pl.col("actor") == "ringlens:r2")
    assert runs.select("field", "old_value", "new_value", "run_id").rows()[0] == (
        "status",
        "dismissed",
        "open",
        "r2",
    )
    assert runs["new_value"][1] == item["notes"] and "re-opened" in runs["note"][0]


def test_version_1_database_is_migrated_once(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite"
    with open_queue_store(db) as store:
        store.upsert(make_queue(3), run_id="r1")
    # what a version-1 database looks like: no audit table, no status time, version 1
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE queue_audit")
        conn.execute("UPDATE queue_items SET status_updated_at = NULL")
        conn.execute("UPDATE ringlens_schema SET version = 1")
    frames = []
    for _ in range(2):  # idempotent
        with open_queue_store(db) as store:
            frames.append(store.read())
            store.review("qi_00000", status="in_review", actor="ana")
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT version FROM ringlens_schema").fetchone()[0] == 2
    df = frames[0]
    assert df["status_updated_at"].null_count() == 0
    assert (df["status_updated_at"] == df["first_seen_at"]).all()
    assert frames[1]["status"].to_list().count("in_review") == 1


def test_foreign_or_missing_databases_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "app.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    with pytest.raises(ExportError, match=r"database of another tool \(tables users"):
        open_queue_store(other)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ExportError, match="junk.sqlite: file is not a database"):
        open_queue_store(junk)
    with pytest.raises(ExportError, match="no queue database at"):
        open_queue_store(tmp_path / "missing.sqlite", create=False)
    assert not (tmp_path / "missing.sqlite").exists()
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    with pytest.raises(ExportError, match="holds no ringlens queue"):
        open_queue_store(empty, create=False)


def test_query_filters_orders_and_counts(store_url: str) -> None:
    from ringlens.export.store import QueueFilter

    with open_queue_store(store_url) as store:
        store.upsert(make_queue(30), run_id="r1")
        store.upsert(make_queue(20, run_id="r2"), run_id="r2")  # 10 items now stale
        store.review(["qi_00003", "qi_00004"], status="in_review", assignee="ana", actor="ana")
        assert store.count() == 30
        assert store.count(QueueFilter(stale=True)) == 10
        assert store.count(QueueFilter(stale=False)) == 20
        assert store.count(QueueFilter(market="DE")) == 20
        assert store.count(QueueFilter(market="")) == 10  # no market
        assert store.count(QueueFilter(assignee="ana", status="in_review")) == 2
        assert store.count(QueueFilter(assignee="")) == 28
        assert store.count(QueueFilter(risk_min=55.0, risk_max=56.0)) == 8
        assert store.count(QueueFilter(entity="creator:e7")) == 1
        assert store.count(QueueFilter(entity="e7")) == 1
        assert store.count(cap=5) == 5
        page = store.query(QueueFilter(market="DE"), limit=5, offset=5)
        assert page.height == 5 and page["priority"].is_sorted()
        everything = store.query(limit=100)
        assert everything["queue_item_id"].to_list() == store.read()["queue_item_id"].to_list()
        assert everything.filter(pl.col("stale"))["last_seen_run"].unique().to_list() == ["r1"]
        by_risk = store.query(order="risk", limit=100)["risk_score"]
        assert by_risk.is_sorted(descending=True)
        values = store.distinct_values()
        assert values["market"] == ["DE"] and values["run_id"] == ["r1", "r2"]
        for bad, msg in [
            ({"order": "risk; DROP"}, "unknown queue order"),
            ({"limit": 0}, "limit must be"),
            ({"offset": -1}, "offset must be"),
        ]:
            with pytest.raises(ConfigError, match=msg):
                store.query(**bad)
        with pytest.raises(ConfigError, match="unknown queue status"):
            store.query(QueueFilter(status="closed"))
