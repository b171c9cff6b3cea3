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
    # schema version 2: the workbench's filters, its default order and its look-ups
    "CREATE INDEX IF NOT EXISTS queue_items_order_idx "
    "ON queue_items (priority, risk_score DESC, queue_item_id)",
    "CREATE INDEX IF NOT EXISTS queue_items_ring_idx ON queue_items (ring_id)",
    "CREATE INDEX IF NOT EXISTS queue_items_entity_id_idx ON queue_items (entity_id)",
    "CREATE INDEX IF NOT EXISTS queue_items_market_idx ON queue_items (market, priority)",
    "CREATE INDEX IF NOT EXISTS queue_items_assignee_idx ON queue_items (assignee, priority)",
    "CREATE INDEX IF NOT EXISTS queue_items_seen_idx ON queue_items (last_seen_run, priority)",
    "CREATE INDEX IF NOT EXISTS queue_audit_item_idx ON queue_audit (queue_item_id, audit_id)",
    # the page orders "risk" and "updated" (a page of a broad filter scans them)
    "CREATE INDEX IF NOT EXISTS queue_items_risk_idx ON queue_items (risk_score DESC, queue_item_id)",
    "CREATE INDEX IF NOT EXISTS queue_items_updated_idx "
    "ON queue_items (status_updated_at DESC, queue_item_id)",
)

# Schema version 2: every reviewer change (status, assignee, notes) and every re-open by a
# run, one row per changed field, written in the transaction of the change.
AUDIT_TABLE_SQLITE = """
CREATE TABLE IF NOT EXISTS queue_audit (
    audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_item_id TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    field TEXT NOT NULL CHECK (field IN ('status', 'assignee', 'notes')),
    old_value TEXT,
    new_value TEXT,
    note TEXT,
    run_id TEXT
)"""
AUDIT_TABLE_PG = """
CREATE TABLE IF NOT EXISTS queue_audit (
    audit_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_item_id TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    field TEXT NOT NULL CHECK (field IN ('status', 'assignee', 'notes')),
    old_value TEXT,
    new_value TEXT,
    note TEXT,
    run_id TEXT
)"""
SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
PG_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = current_schema() ORDER BY table_name"
)
# version 1 -> 2: an item's status was set when it was inserted (first_seen_at)
MIGRATE_STATUS_UPDATED_AT = (
    "UPDATE queue_items SET status_updated_at = COALESCE(updated_at, first_seen_at) "
    "WHERE status_updated_at IS NULL"
)
SCHEMA_VERSION_UPDATE = "UPDATE ringlens_schema SET version = ?, updated_at = ? WHERE component = ?"

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

AUDIT_INSERT = """
INSERT INTO queue_audit (queue_item_id, changed_at, actor, field, old_value, new_value, note, run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""

REQUEUE = """
UPDATE queue_items SET
    status = 'open', notes = ?, risk_at_dismissal = NULL, dismissed_run = NULL,
    requeue_count = requeue_count + 1, status_updated_at = ?, updated_at = ?
WHERE queue_item_id = ? AND status = 'dismissed'"""

INSERT_NEW = """
INSERT INTO queue_items (
    queue_item_id, entity_type, entity_id, ring_id, pattern, risk_score, priority, "action", "queue", reasons, evidence, market, run_id,
    status, first_seen_run, last_seen_run, first_seen_at, updated_at, status_updated_at,
    requeue_count
)
SELECT i.queue_item_id, i.entity_type, i.entity_id, i.ring_id, i.pattern, i.risk_score,
       i.priority, i."action", i."queue", i.reasons, i.evidence, i.market, i.run_id,
       'open', ?, ?, ?, ?, ?, 0
FROM _ringlens_incoming i
WHERE NOT EXISTS (SELECT 1 FROM queue_items q WHERE q.queue_item_id = i.queue_item_id)"""

INSERT_RUN = """
INSERT INTO queue_runs (run_id, upserted_at, n_rows, inserted, updated, unchanged,
                        suppressed_dismissed, requeued, kept)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""

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

# --------------------------------------------------------------------------- reviews
# A review (one item, a selection or a whole ring) works on the ids in a temporary table:
# the audit rows are written from the rows as they are before the update, in the same
# transaction, one per changed field.
SQLITE_DROP_SELECTED = "DROP TABLE IF EXISTS temp._ringlens_selected"
SELECTED_TABLE = (
    "CREATE TEMP TABLE _ringlens_selected (queue_item_id TEXT PRIMARY KEY) ON COMMIT DROP"
)
SELECTED_INSERT = "INSERT INTO _ringlens_selected (queue_item_id) VALUES (?)"
SELECTED_FROM_RING = (
    "INSERT INTO _ringlens_selected (queue_item_id) "
    "SELECT queue_item_id FROM queue_items WHERE ring_id = ?"
)
SELECTED_COUNT = "SELECT COUNT(*) FROM _ringlens_selected"
SELECTED_MISSING = """
SELECT s.queue_item_id FROM _ringlens_selected s
WHERE NOT EXISTS (SELECT 1 FROM queue_items q WHERE q.queue_item_id = s.queue_item_id)
ORDER BY s.queue_item_id LIMIT 1"""
SELECTED_CONFLICT = """
SELECT a.audit_id, a.queue_item_id, a.actor, a.field, a.changed_at
FROM queue_audit a JOIN _ringlens_selected s ON s.queue_item_id = a.queue_item_id
WHERE a.audit_id > ? ORDER BY a.audit_id LIMIT 1"""

# The new notes of an item: the replacement (when given, else the stored notes), then the
# review's note as a new line (when given). Parameters: line, notes, notes, notes, line,
# notes, newline + line.
_NEW_NOTES = """(CASE WHEN CAST(? AS TEXT) IS NULL THEN COALESCE(CAST(? AS TEXT), q.notes)
      WHEN COALESCE(CAST(? AS TEXT), q.notes) IS NULL OR COALESCE(CAST(? AS TEXT), q.notes) = ''
      THEN CAST(? AS TEXT)
      ELSE COALESCE(CAST(? AS TEXT), q.notes) || CAST(? AS TEXT) END)"""
# The new assignee: left alone when the parameter is NULL ('' = unassigned).
_NEW_ASSIGNEE = "COALESCE(CAST(? AS TEXT), q.assignee)"
# The new status: left alone when the parameter is NULL.
_NEW_STATUS = "COALESCE(CAST(? AS TEXT), q.status)"

# Driven from the selection (a ring's few items), not from queue_items: ordered by the
# selected id, SQLite walks the selection and looks each item up, instead of scanning the
# whole queue in id order.
_AUDIT_FROM_SELECTED = """
INSERT INTO queue_audit (queue_item_id, changed_at, actor, field, old_value, new_value, note, run_id)
SELECT q.queue_item_id, ?, ?, 'FIELD', q.FIELD, NEW_VALUE, ?, q.last_seen_run
FROM _ringlens_selected s JOIN queue_items q ON q.queue_item_id = s.queue_item_id
WHERE q.FIELD IS DISTINCT FROM NEW_VALUE
ORDER BY s.queue_item_id"""
# A status row is written when the status changes, and also when a second reviewer sets
# the verdict an item already has (actioned or dismissed) after another actor set it: a
# confirmation (old value = new value), what reviewer agreement is measured from.
# Parameters: now, actor, status, note, status, status, status, actor.
AUDIT_STATUS = """
INSERT INTO queue_audit (queue_item_id, changed_at, actor, field, old_value, new_value, note, run_id)
SELECT q.queue_item_id, ?, ?, 'status', q.status, COALESCE(CAST(? AS TEXT), q.status), ?,
       q.last_seen_run
FROM _ringlens_selected s JOIN queue_items q ON q.queue_item_id = s.queue_item_id
WHERE q.status IS DISTINCT FROM COALESCE(CAST(? AS TEXT), q.status)
   OR (CAST(? AS TEXT) IN ('actioned', 'dismissed') AND q.status = CAST(? AS TEXT)
       AND COALESCE((SELECT a.actor FROM queue_audit a
                     WHERE a.queue_item_id = q.queue_item_id AND a.field = 'status'
                     ORDER BY a.audit_id DESC LIMIT 1), '') <> CAST(? AS TEXT))
ORDER BY s.queue_item_id"""
AUDIT_ASSIGNEE = _AUDIT_FROM_SELECTED.replace("FIELD", "assignee").replace(
    "NEW_VALUE", _NEW_ASSIGNEE
)
AUDIT_NOTES = _AUDIT_FROM_SELECTED.replace("FIELD", "notes").replace("NEW_VALUE", _NEW_NOTES)

# Parameters: status (risk_at_dismissal), status (dismissed_run), status, status, now
# (status_updated_at), status, assignee, the notes parameters, now (updated_at).
REVIEW_UPDATE = (
    """
UPDATE queue_items AS q SET
    risk_at_dismissal = CASE WHEN CAST(? AS TEXT) IS NULL THEN q.risk_at_dismissal
        WHEN q.status = 'dismissed' AND CAST(? AS TEXT) = 'dismissed'
        THEN COALESCE(q.risk_at_dismissal, q.risk_score)
        WHEN CAST(? AS TEXT) = 'dismissed' THEN q.risk_score ELSE NULL END,
    dismissed_run = CASE WHEN CAST(? AS TEXT) IS NULL THEN q.dismissed_run
        WHEN q.status = 'dismissed' AND CAST(? AS TEXT) = 'dismissed'
        THEN COALESCE(q.dismissed_run, q.last_seen_run)
        WHEN CAST(? AS TEXT) = 'dismissed' THEN q.last_seen_run ELSE NULL END,
    status_updated_at = CASE WHEN CAST(? AS TEXT) IS NULL OR q.status = CAST(? AS TEXT)
        THEN COALESCE(q.status_updated_at, q.first_seen_at) ELSE ? END,
    status = NEW_STATUS,
    assignee = NEW_ASSIGNEE,
    notes = NEW_NOTES,
    updated_at = ?
WHERE q.queue_item_id IN (SELECT queue_item_id FROM _ringlens_selected)""".replace(
        "NEW_STATUS", _NEW_STATUS
    )
    .replace("NEW_ASSIGNEE", _NEW_ASSIGNEE)
    .replace("NEW_NOTES", _NEW_NOTES)
)

AUDIT_LAST_ID = "SELECT COALESCE(MAX(audit_id), 0) FROM queue_audit"
AUDIT_CHANGED_ITEMS = (
    "SELECT COUNT(DISTINCT queue_item_id) FROM queue_audit "
    "WHERE audit_id > ? AND old_value IS DISTINCT FROM new_value"
)
NO_ROWS = "SELECT 0"

READ_AUDIT = """
SELECT a.audit_id, a.queue_item_id, a.changed_at, a.actor, a.field, a.old_value, a.new_value,
       a.note, a.run_id
FROM queue_audit a"""
# Literal filters of READ_AUDIT (joined with AND; values are parameters).
AUDIT_FILTERS = {
    "queue_item_id": "a.queue_item_id = ?",
    "ring_id": (
        "a.queue_item_id IN (SELECT q.queue_item_id FROM queue_items q WHERE q.ring_id = ?)"
    ),
    "after": "a.audit_id > ?",
    "actor": "a.actor = ?",
}
AUDIT_ORDER = " ORDER BY a.audit_id"

# --------------------------------------------------------------------------- pages
# The workbench's queue page: literal filter clauses joined with AND (values are
# parameters), one of a few literal orders, LIMIT/OFFSET as parameters.
READ_COLUMNS = READ_ALL
ITEM_FILTERS = {
    "status": "status = ?",
    "assignee": "assignee = ?",
    "unassigned": "(assignee IS NULL OR assignee = '')",
    "pattern": "pattern = ?",
    "market": "market = ?",
    "no_market": "market IS NULL",
    "action": '"action" = ?',
    "ring_id": "ring_id = ?",
    "run_id": "last_seen_run = ?",
    "stale": "last_seen_run <> ?",
    "current": "last_seen_run = ?",
    "risk_min": "risk_score >= ?",
    "risk_max": "risk_score <= ?",
    "entity_key": "entity_type = ? AND entity_id = ?",
    "entity_id": "entity_id = ?",
    "queue_item_id": "queue_item_id = ?",
}
ITEM_ORDERS = {
    "priority": " ORDER BY priority ASC, risk_score DESC, queue_item_id ASC",
    "risk": " ORDER BY risk_score DESC, queue_item_id ASC",
    "entity": " ORDER BY entity_type ASC, entity_id ASC, queue_item_id ASC",
    "status": " ORDER BY status ASC, priority ASC, queue_item_id ASC",
    "updated": " ORDER BY status_updated_at DESC, queue_item_id ASC",
}
LIMIT_OFFSET = " LIMIT ? OFFSET ?"
# SQLite, a page of a broad filter in an order other than priority: walk the order's index
# over at most ? rows and filter them (a prefix of the order holds the first matches), in
# place of reading every match through a filter's index and sorting them all.
ORDER_INDEX = {
    "risk": "queue_items_risk_idx",
    "entity": "queue_items_entity_idx",
    "status": "queue_items_status_idx",
    "updated": "queue_items_updated_idx",
}
_READ_PREFIX = READ_ALL.replace(
    "FROM queue_items",
    "FROM (SELECT * FROM (SELECT * FROM queue_items INDEXED BY INDEX_NAME ORDER_CLAUSE LIMIT ?) "
    "AS prefix",
)
READ_PREFIX = {
    order: _READ_PREFIX.replace("INDEX_NAME", index).replace(" ORDER_CLAUSE", ITEM_ORDERS[order])
    for order, index in ORDER_INDEX.items()
}
READ_PREFIX_TAIL = ") AS page"
COUNT_ITEMS = "SELECT COUNT(*) FROM queue_items"
# a count that stops at a cap: SELECT COUNT(*) FROM (SELECT 1 FROM queue_items WHERE … LIMIT ?)
COUNT_CAPPED_HEAD = "SELECT COUNT(*) FROM (SELECT 1 FROM queue_items"
COUNT_CAPPED_TAIL = " LIMIT ?) AS capped"
LATEST_RUN = "SELECT run_id FROM queue_runs ORDER BY upserted_at DESC LIMIT 1"
# The distinct values of an indexed column by a loose index scan: one index look-up per
# value (a few markets, assignees or statuses), not a walk over a million items.
_LOOSE_SCAN = """
WITH RECURSIVE v(x) AS (
    SELECT (SELECT COL FROM queue_items WHERE COL IS NOT NULL ORDER BY COL LIMIT 1)
    UNION ALL
    SELECT (SELECT COL FROM queue_items WHERE COL > v.x ORDER BY COL LIMIT 1)
    FROM v WHERE v.x IS NOT NULL
)
SELECT x FROM v WHERE x IS NOT NULL"""
DISTINCT_VALUES = {
    "status": _LOOSE_SCAN.replace("COL", "status"),
    "assignee": _LOOSE_SCAN.replace("COL", "assignee"),
    # no index: a scan of the queue (callers cache these per run: only a run sets them)
    "pattern": "SELECT DISTINCT pattern FROM queue_items WHERE pattern IS NOT NULL",
    "market": _LOOSE_SCAN.replace("COL", "market"),
    "action": 'SELECT DISTINCT "action" FROM queue_items WHERE "action" IS NOT NULL',
    "run_id": "SELECT DISTINCT run_id FROM queue_runs",
}

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
