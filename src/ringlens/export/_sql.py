"""Every SQL statement of the queue store, as literal text.

No statement is assembled from data: values always travel as parameters. The
text is written with ``?`` placeholders and standard SQL; :func:`for_dialect`
turns it into PostgreSQL (``%s``) or older-SQLite (``IS NOT`` for ``IS DISTINCT
FROM``) spelling with plain string replacement of fixed tokens.
"""

from __future__ import annotations

__all__ = ["for_dialect"]

SCHEMA_TABLE = """
CREATE TABLE IF NOT EXISTS ringlens_schema (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated_at TIMESTAMPTZ
)"""

QUEUE_TABLE = """
CREATE TABLE IF NOT EXISTS queue_items (
    queue_item_id TEXT PRIMARY KEY,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    ring_id TEXT,
    pattern TEXT,
    risk_score DOUBLE PRECISION NOT NULL,
    priority BIGINT,
    "action" TEXT,
    "queue" TEXT,
    reasons TEXT,
    evidence TEXT,
    market TEXT,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'in_review', 'actioned', 'dismissed')),
    assignee TEXT,
    notes TEXT,
    first_seen_run TEXT NOT NULL,
    last_seen_run TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    status_updated_at TIMESTAMPTZ,
    risk_at_dismissal DOUBLE PRECISION,
    dismissed_run TEXT,
    requeue_count INTEGER NOT NULL DEFAULT 0
)"""

QUEUE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS queue_items_status_idx ON queue_items (status, priority)",
    "CREATE INDEX IF NOT EXISTS queue_items_entity_idx ON queue_items (entity_type, entity_id)",
)

RUNS_TABLE = """
CREATE TABLE IF NOT EXISTS queue_runs (
    run_id TEXT NOT NULL,
    upserted_at TIMESTAMPTZ NOT NULL,
    n_rows INTEGER NOT NULL,
    inserted INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    suppressed_dismissed INTEGER NOT NULL,
    requeued INTEGER NOT NULL,
    kept INTEGER NOT NULL
)"""

SCHEMA_VERSION_GET = "SELECT version FROM ringlens_schema WHERE component = ?"
SCHEMA_VERSION_SET = "INSERT INTO ringlens_schema (component, version, updated_at) VALUES (?, ?, ?)"

SQLITE_COLUMNS = "PRAGMA table_info(queue_items)"
PG_COLUMNS = (
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_name = 'queue_items' AND table_schema = current_schema()"
)
PG_SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(1380535879)"
PG_TABLE_LOCK = "LOCK TABLE queue_items IN SHARE ROW EXCLUSIVE MODE"

SQLITE_DROP_INCOMING = "DROP TABLE IF EXISTS temp._ringlens_incoming"
INCOMING_TABLE = """
CREATE TEMP TABLE _ringlens_incoming (
    queue_item_id TEXT PRIMARY KEY,
    entity_type TEXT,
    entity_id TEXT,
    ring_id TEXT,
    pattern TEXT,
    risk_score DOUBLE PRECISION,
    priority BIGINT,
    "action" TEXT,
    "queue" TEXT,
    reasons TEXT,
    evidence TEXT,
    market TEXT,
    run_id TEXT
) ON COMMIT DROP"""

INCOMING_INSERT = """
INSERT INTO _ringlens_incoming (
    queue_item_id, entity_type, entity_id, ring_id, pattern, risk_score, priority, "action", "queue", reasons, evidence, market, run_id
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

INCOMING_COPY = """
COPY _ringlens_incoming (
    queue_item_id, entity_type, entity_id, ring_id, pattern, risk_score, priority, "action", "queue", reasons, evidence, market, run_id
) FROM STDIN"""

REQUEUE_CANDIDATES = """
SELECT q.queue_item_id, q.notes, COALESCE(q.risk_at_dismissal, q.risk_score), i.risk_score
FROM _ringlens_incoming i JOIN queue_items q ON q.queue_item_id = i.queue_item_id
WHERE q.status = 'dismissed'
  AND i.risk_score >= COALESCE(q.risk_at_dismissal, q.risk_score) + ?"""

_CHANGED_Q = """(
    q.entity_type IS DISTINCT FROM i.entity_type OR q.entity_id IS DISTINCT FROM i.entity_id
    OR q.ring_id IS DISTINCT FROM i.ring_id OR q.pattern IS DISTINCT FROM i.pattern
    OR q.risk_score IS DISTINCT FROM i.risk_score OR q.priority IS DISTINCT FROM i.priority
    OR q."action" IS DISTINCT FROM i."action" OR q."queue" IS DISTINCT FROM i."queue"
    OR q.reasons IS DISTINCT FROM i.reasons OR q.evidence IS DISTINCT FROM i.evidence
    OR q.market IS DISTINCT FROM i.market
)"""

COUNTS = """
SELECT COUNT(*),
       COALESCE(SUM(CASE WHEN q.queue_item_id IS NULL THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN q.status = 'dismissed' THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN q.queue_item_id IS NOT NULL AND q.status <> 'dismissed'
                          AND CHANGED_Q THEN 1 ELSE 0 END), 0)
FROM _ringlens_incoming i LEFT JOIN queue_items q ON q.queue_item_id = i.queue_item_id
""".replace("CHANGED_Q", _CHANGED_Q)

COUNT_KEPT = """
SELECT COUNT(*) FROM queue_items q
WHERE NOT EXISTS (SELECT 1 FROM _ringlens_incoming i WHERE i.queue_item_id = q.queue_item_id)"""

# Run-owned columns only: status, assignee and notes are never in this SET list.
UPDATE_EXISTING = """
UPDATE queue_items SET
    entity_type = i.entity_type, entity_id = i.entity_id, ring_id = i.ring_id,
    pattern = i.pattern, risk_score = i.risk_score, priority = i.priority,
    "action" = i."action", "queue" = i."queue", reasons = i.reasons,
    evidence = i.evidence, market = i.market, run_id = i.run_id,
    last_seen_run = ?,
    updated_at = CASE WHEN CHANGED_Q THEN ? ELSE queue_items.updated_at END,
    risk_at_dismissal = CASE WHEN queue_items.status = 'dismissed'
        THEN COALESCE(queue_items.risk_at_dismissal, queue_items.risk_score)
        ELSE queue_items.risk_at_dismissal END
FROM _ringlens_incoming AS i
WHERE queue_items.queue_item_id = i.queue_item_id
""".replace("CHANGED_Q", _CHANGED_Q.replace("q.", "queue_items."))

REQUEUE = """
UPDATE queue_items SET
    status = 'open', notes = ?, risk_at_dismissal = NULL, dismissed_run = NULL,
    requeue_count = requeue_count + 1, status_updated_at = ?, updated_at = ?
WHERE queue_item_id = ? AND status = 'dismissed'"""

INSERT_NEW = """
INSERT INTO queue_items (
    queue_item_id, entity_type, entity_id, ring_id, pattern, risk_score, priority, "action", "queue", reasons, evidence, market, run_id,
    status, first_seen_run, last_seen_run, first_seen_at, updated_at, requeue_count
)
SELECT i.queue_item_id, i.entity_type, i.entity_id, i.ring_id, i.pattern, i.risk_score,
       i.priority, i."action", i."queue", i.reasons, i.evidence, i.market, i.run_id,
       'open', ?, ?, ?, ?, 0
FROM _ringlens_incoming i
WHERE NOT EXISTS (SELECT 1 FROM queue_items q WHERE q.queue_item_id = i.queue_item_id)"""

INSERT_RUN = """
INSERT INTO queue_runs (run_id, upserted_at, n_rows, inserted, updated, unchanged,
                        suppressed_dismissed, requeued, kept)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""

SET_STATUS_DISMISS = """
UPDATE queue_items SET
    risk_at_dismissal = CASE WHEN status = 'dismissed'
        THEN COALESCE(risk_at_dismissal, risk_score) ELSE risk_score END,
    dismissed_run = CASE WHEN status = 'dismissed'
        THEN COALESCE(dismissed_run, last_seen_run) ELSE last_seen_run END,
    status_updated_at = CASE WHEN status = 'dismissed' THEN status_updated_at ELSE ? END,
    status = 'dismissed', assignee = COALESCE(?, assignee), notes = COALESCE(?, notes),
    updated_at = ?
WHERE queue_item_id = ?"""

SET_STATUS_OTHER = """
UPDATE queue_items SET
    risk_at_dismissal = NULL, dismissed_run = NULL,
    status_updated_at = CASE WHEN status = ? THEN status_updated_at ELSE ? END,
    status = ?, assignee = COALESCE(?, assignee), notes = COALESCE(?, notes),
    updated_at = ?
WHERE queue_item_id = ?"""

READ_ALL = """
SELECT queue_item_id, entity_type, entity_id, ring_id, pattern, risk_score, priority, "action", "queue", reasons, evidence, market, run_id,
       status, assignee, notes, first_seen_run, last_seen_run, first_seen_at, updated_at,
       status_updated_at, risk_at_dismissal, dismissed_run, requeue_count
FROM queue_items"""
# Status filter with exactly four parameters (there are four statuses); the store
# pads a shorter list by repeating its first element.
READ_STATUS_CLAUSE = " WHERE status IN (?, ?, ?, ?)"

VERDICTS = """
SELECT entity_type, entity_id, MAX(CASE WHEN status = 'actioned' THEN 1 ELSE 0 END)
FROM queue_items WHERE status IN ('actioned', 'dismissed')
GROUP BY entity_type, entity_id"""

READ_RUNS = (
    "SELECT run_id, upserted_at, n_rows, inserted, updated, unchanged, "
    "suppressed_dismissed, requeued, kept FROM queue_runs"
)


def for_dialect(sql: str, dialect: str) -> str:
    """Spell a statement of this module for ``dialect`` ("sqlite" or "postgresql")."""
    if dialect == "postgresql":
        return sql.replace("?", "%s")
    # SQLite: no TIMESTAMPTZ/BIGINT/DOUBLE PRECISION affinity issues (they map to
    # NUMERIC/INTEGER/REAL); timestamps are stored as ISO-8601 text. IS NOT is the
    # null-safe inequality on every SQLite version (IS DISTINCT FROM needs 3.39).
    return (
        sql.replace(" IS DISTINCT FROM ", " IS NOT ")
        .replace("TIMESTAMPTZ", "TEXT")
        .replace(" ON COMMIT DROP", "")
    )
