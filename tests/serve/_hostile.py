"""A run folder and queue database whose every data string is a script payload: entity ids
and types, display names, markets, ring ids, patterns, reasons, actions, queues, run id,
burst families, reviewer names, assignees and notes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

PWNED = "pwned"
#: Each would run script (set document.title or open a dialog) if it reached a page as
#: markup, as an attribute, inside a script or as a URL.
PAYLOADS = [
    "<img src=x onerror=\"document.title='pwned'\">",
    "</script><script>document.title='pwned'</script>",
    '"><svg onload="document.title=\'pwned\'">',
    "javascript:document.title='pwned'",
    "'-alert(1)-'\u2028{{7*7}}&amp;<!--",
]
#: An entity type (no ':' in a type).
HOSTILE_TYPE = "<b onmouseover=alert(1)>buyer"
RUN_ID = "run_" + PAYLOADS[1]


def build_hostile_run(folder: Path) -> dict[str, object]:
    """Write the run folder (run.json, rings, entities, queue, bursts, its events and
    accounts) and its queue.sqlite with reviewer edits; return what the tests look for."""
    from ringlens.export import open_queue_store

    folder.mkdir(parents=True, exist_ok=True)
    t0 = datetime(2024, 5, 1, 20, 0, tzinfo=UTC)
    members = [f"buyer:{p}" for p in PAYLOADS] + [f"{HOSTILE_TYPE}:{PAYLOADS[0]}"]
    targets = [f"product:{PAYLOADS[2]}", "product:plain"]
    organic = [f"buyer:o{i}" for i in range(8)]
    rows = []
    for i, m in enumerate(members):
        for j, t in enumerate(targets):
            for k in range(3):
                rows.append((m, t, "order", t0 + timedelta(minutes=i + 7 * j + 30 * k)))
        rows.append((m, f"device:{PAYLOADS[3]}", "login", t0 - timedelta(hours=i)))
    for i, o in enumerate(organic):
        rows.append((o, "product:plain", "order", t0 + timedelta(days=i)))
        rows.append((o, f"product:{PAYLOADS[4]}", "order", t0 + timedelta(days=i, hours=3)))
    ev = pl.DataFrame(rows, schema=["actor", "target", "action", "ts"], orient="row").select(
        pl.col("actor").str.splitn(":", 2).struct.field("field_1").alias("actor_id"),
        pl.col("actor").str.splitn(":", 2).struct.field("field_0").alias("actor_type"),
        pl.col("target").str.splitn(":", 2).struct.field("field_1").alias("target_id"),
        pl.col("target").str.splitn(":", 2).struct.field("field_0").alias("target_type"),
        "action",
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        pl.lit(PAYLOADS[1]).alias("market"),
    )
    events = folder / "events.parquet"
    ev.write_parquet(events)
    keys = members + targets + organic + [f"device:{PAYLOADS[3]}", f"product:{PAYLOADS[4]}"]
    names = {k: PAYLOADS[i % len(PAYLOADS)] + f" #{i}" for i, k in enumerate(keys)}
    accounts = pl.DataFrame(
        {
            "entity_type": [k.split(":", 1)[0] for k in members + organic],
            "entity_id": [k.split(":", 1)[1] for k in members + organic],
            "created_at": [t0 - timedelta(days=3 + i) for i in range(len(members + organic))],
            "market": [PAYLOADS[2]] * len(members + organic),
            "display_name": [names[k] for k in members + organic],
        }
    )
    accounts_path = folder / "accounts.parquet"
    accounts.write_parquet(accounts_path)
    ring_a, ring_b = PAYLOADS[3], "ring_" + PAYLOADS[0]
    rings = pl.DataFrame(
        {
            "ring_id": [ring_a, ring_b],
            "pattern": [PAYLOADS[0], PAYLOADS[2]],
            "risk_score": [91.0, 55.0],
            "size": [len(members), 2],
            "members": [members, organic[:2]],
            "reasons": [[PAYLOADS[1], PAYLOADS[4]], [PAYLOADS[0]]],
            "contributions": [[50.0, 41.0], [55.0]],
            "market": [PAYLOADS[1], None],
        }
    )
    rings.write_parquet(folder / "rings.parquet")
    ring_of = {m: ring_a for m in members} | {o: ring_b for o in organic[:2]}
    entities = pl.DataFrame(
        {
            "key": keys,
            "entity_type": [k.split(":", 1)[0] for k in keys],
            "entity_id": [k.split(":", 1)[1] for k in keys],
            "risk_score": [90.0 - i for i in range(len(keys))],
            "ring_id": [ring_of.get(k) for k in keys],
            "reasons": [[PAYLOADS[i % 5], PAYLOADS[(i + 2) % 5]] for i in range(len(keys))],
            "contributions": [[10.0, 5.0]] * len(keys),
            "market": [PAYLOADS[4]] * len(keys),
            "display_name": [names[k] for k in keys],
        }
    )
    entities.write_parquet(folder / "entities.parquet")
    queued = members + organic[:2]
    queue = pl.DataFrame(
        {
            "queue_item_id": [f"q_{p}_{i}" for i, p in enumerate(PAYLOADS * 2)][: len(queued)],
            "entity_type": [k.split(":", 1)[0] for k in queued],
            "entity_id": [k.split(":", 1)[1] for k in queued],
            "ring_id": [ring_of[k] for k in queued],
            "pattern": [PAYLOADS[0]] * len(members) + [PAYLOADS[2]] * 2,
            "risk_score": [90.0 - i for i in range(len(queued))],
            "priority": [1] * len(queued),
            "action": [PAYLOADS[3]] * len(members) + [PAYLOADS[1]] * 2,
            "queue": [PAYLOADS[2]] * len(queued),
            "reasons": [[PAYLOADS[i % 5]] for i in range(len(queued))],
            "evidence": [PAYLOADS[0]] * len(queued),
            "market": [PAYLOADS[i % 5] for i in range(len(queued))],
            "run_id": [RUN_ID] * len(queued),
        }
    )
    queue.write_parquet(folder / "queue.parquet")
    pl.DataFrame(
        {
            "family": [PAYLOADS[0]],
            "group": [0],
            "key": [targets[0]],
            "start": [t0],
            "end": [t0 + timedelta(hours=2)],
            "n_actors": [len(members)],
        },
        schema={
            "family": pl.String,
            "group": pl.Int64,
            "key": pl.String,
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
            "n_actors": pl.Int64,
        },
    ).write_parquet(folder / "bursts.parquet")
    info = {
        "run_id": RUN_ID,
        "inputs": {"events": [str(events)], "entities": str(accounts_path), "fingerprint": None},
        "config": {"input": {"columns": {}}},
    }
    (folder / "run.json").write_text(json.dumps(info), "utf-8")
    with open_queue_store(folder / "queue.sqlite") as st:
        st.upsert(queue, run_id=RUN_ID)
        st.review(
            list(queue["queue_item_id"][:3]),
            status="in_review",
            assignee=PAYLOADS[2],
            note=PAYLOADS[1],
            actor=PAYLOADS[0],
        )
        st.review(
            list(queue["queue_item_id"][3:5]),
            status="dismissed",
            note=PAYLOADS[4],
            actor=PAYLOADS[3],
        )
    return {
        "rings": [ring_a, ring_b],
        "members": members,
        "items": queue["queue_item_id"].to_list(),
        "market": PAYLOADS[1],
    }
