"""Hypothesis properties of ingest → graph → detect → score → sinks on small generated frames.

Every frame holds a planted lockstep ring (5–7 buyers ordering the same products in two
bursts) inside an organic background of a few hundred shoppers (``tests/_background.py``:
the run's detectors need a background to find the ring improbable against, so rings and
queue items exist) plus random noise events; ids are arbitrary unicode (``:``, quotes,
newlines, emoji, ``=``/``+`` starts, path separators, …).

* every queued or scored entity and every ring member exists in the input;
* every risk score is finite and within [0, 100];
* shuffling the events' row order changes nothing: same node index, edges, rings, queue;
* ids round-trip exactly: CSV / Parquet / NDJSON → ``scan_events`` → graph keys → queue
  → Parquet, CSV (with the spreadsheet guard ``'`` before ``= + - @ \\t \\r``) and SQLite.

Derandomized with modest ``max_examples`` so CI is stable and the file runs in < 60 s.
Two known bugs of the library path (``build_graph``/``score`` on a frame, which skips
``scan_events`` validation) are tested at the end.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from ringlens.config import load_config
from ringlens.graph import build_graph
from ringlens.pipeline import score

from .._background import organic_background, with_background

T0 = datetime(2024, 5, 1, tzinfo=UTC)
CFG = load_config(env={}, cwd=False)
FAST = settings(
    derandomize=True,
    database=None,
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ids: any text without NUL (refused at ingest, see test_nul_in_id_* below), surrogates
# (not encodable as UTF-8) or nothing but whitespace (refused as empty)
id_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=10,
).filter(lambda s: s.strip() != "")
tricky = st.sampled_from(
    ["a:b", ":", "=1+1", "+x", "-1", "@sum", "\tx", 'q"uote', "new\nline", "c,omma", "🙂",
     "../../x", "a/b", "..\\w", "<b>x</b>", "'; DROP TABLE queue;--", "ring_x", "\u202eevil"]
)  # fmt: skip
any_id = st.one_of(tricky, id_text)


def _burst(burst: int, k: int) -> datetime:
    """Two lockstep bursts a week apart (a lift over the targets' average per window)."""
    return T0 + timedelta(days=7 * burst, minutes=k)


@st.composite
def frames(draw: st.DrawFn, *, noise: bool = True) -> pl.DataFrame:
    ring = draw(st.lists(any_id, min_size=5, max_size=7, unique=True))
    products = draw(st.lists(any_id, min_size=2, max_size=3, unique=True))
    rows = []
    for day in range(2):
        for k, a in enumerate(ring):
            for p in products:
                rows.append(("buyer", a, "product", p, "order", _burst(day, k), 1.0))
    if noise:
        n = draw(st.integers(0, 25))
        for _ in range(n):
            rows.append(
                (
                    draw(st.sampled_from(["buyer", "creator", "seller"])),
                    draw(any_id),
                    draw(st.sampled_from(["product", "content", "creator", "device"])),
                    draw(any_id),
                    draw(st.sampled_from(["order", "like", "follow", "login", "review"])),
                    T0 + timedelta(minutes=draw(st.integers(0, 20_000))),
                    draw(st.one_of(st.none(), st.floats(0, 1e6))),
                )
            )
    cols = ["actor_type", "actor_id", "target_type", "target_id", "action", "ts", "amount"]
    df = pl.DataFrame(rows, schema=cols, orient="row").with_columns(
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        pl.col("amount").cast(pl.Float64),
    )
    # organic ids are 12+ characters (organic-0001, catalog-001): no clash with drawn ids
    df = with_background(df, targets=products).with_columns(pl.lit("US").alias("market"))
    return df.select(
        "actor_id", "actor_type", "target_id", "target_type", "action", "ts", "amount", "market"
    )


def _pairs(df: pl.DataFrame) -> set[tuple[str, str]]:
    return set(df.select("actor_type", "actor_id").rows()) | set(
        df.select("target_type", "target_id").rows()
    )


def _shuffle(df: pl.DataFrame, seed: int) -> pl.DataFrame:
    return df.sample(fraction=1.0, shuffle=True, seed=seed)


def _assert_scores(values: list[float | None], what: str) -> None:
    for v in values:
        assert v is not None and math.isfinite(v) and 0.0 <= v <= 100.0, (what, v)


# --------------------------------------------------------------------------- invariants
@FAST
@given(df=frames())
def test_queued_entities_exist_and_scores_in_range(df: pl.DataFrame) -> None:
    res = score(df, config=CFG)
    note(f"rings={res.rings.height} queue={res.queue.height}")
    pairs = _pairs(df)
    keys = {f"{t}:{i}" for t, i in pairs}
    for t, i in res.queue.select("entity_type", "entity_id").rows():
        assert (t, i) in pairs, (t, i)
    for t, i in res.entities.select("entity_type", "entity_id").rows():
        assert (t, i) in pairs, (t, i)
    if res.rings.height:
        for members in res.rings["members"].to_list():
            assert set(members) <= keys, set(members) - keys
        _assert_scores(res.rings["risk_score"].to_list(), "ring")
    _assert_scores(res.entities["risk_score"].to_list(), "entity")
    _assert_scores(res.queue["risk_score"].to_list(), "queue")
    assert res.queue["queue_item_id"].n_unique() == res.queue.height
    assert (res.queue["priority"] >= 1).all()


@FAST
@given(df=frames(), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_change_rings_or_queue(df: pl.DataFrame, seed: int) -> None:
    a = score(df, config=CFG)
    b = score(_shuffle(df, seed), config=CFG)
    assert a.report["run_id"] == b.report["run_id"]
    for name in ("rings", "queue", "entities"):
        fa, fb = getattr(a, name), getattr(b, name)
        assert fa.columns == fb.columns, name
        if fa.height == 0:
            assert fb.height == 0, name
            continue
        key = (
            "ring_id"
            if name == "rings"
            else ["entity_type", "entity_id", "queue_item_id"][: 3 if name == "queue" else 2]
        )
        assert_frame_equal(fa.sort(key), fb.sort(key), check_exact=False, rel_tol=1e-9)


@FAST
@given(df=frames(), seed=st.integers(0, 2**32 - 1))
def test_node_index_independent_of_row_order(df: pl.DataFrame, seed: int) -> None:
    g1, g2 = build_graph(df), build_graph(_shuffle(df, seed))
    assert_frame_equal(g1.nodes, g2.nodes)
    assert_frame_equal(g1.edges, g2.edges, check_exact=False, rel_tol=1e-9)
    # node ids follow (type, id) order and keys are exactly type:id
    nodes = g1.nodes
    assert nodes.select("node_type", "node_id").rows() == sorted(_pairs(df))
    assert nodes["key"].to_list() == [f"{t}:{i}" for t, i in sorted(_pairs(df))]
    assert nodes["node"].to_list() == list(range(nodes.height))


# --------------------------------------------------------------------------- id round trip
def _write(df: pl.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        df.write_csv(path)
    elif path.suffix == ".parquet":
        df.write_parquet(path)
    else:
        df.write_ndjson(path)


def _csv_cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@settings(
    derandomize=True,
    database=None,
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(df=frames(noise=False), fmt=st.sampled_from(["csv", "parquet", "ndjson"]))
def test_ids_round_trip_through_files_graph_queue_and_sinks(
    df: pl.DataFrame, fmt: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from ringlens.export import QUEUE_COLUMNS, open_queue_store
    from ringlens.export.sinks import write_csv, write_parquet
    from ringlens.io import load_events

    tmp = tmp_path_factory.mktemp("rt")
    src = tmp / f"events.{fmt}"
    _write(df, src)
    back = load_events(src)
    cols = ["actor_id", "actor_type", "target_id", "target_type", "action"]
    assert back.select(cols).rows() == df.select(cols).rows()
    assert back["ts"].to_list() == df["ts"].to_list()

    g = build_graph(back)
    assert set(g.nodes.select("node_type", "node_id").rows()) == _pairs(df)

    res = score(g, config=CFG)
    organic = organic_background()["actor_id"].unique()
    ring_ids = set(df.filter(~pl.col("actor_id").is_in(organic.implode()))["actor_id"])
    queued = res.queue.filter(pl.col("entity_type") == "buyer")
    assert set(queued["entity_id"].to_list()) == ring_ids, "the planted ring was not queued"

    q = res.queue.sort("queue_item_id")
    write_parquet(q, tmp / "q.parquet")
    assert pl.read_parquet(tmp / "q.parquet")["entity_id"].to_list() == q["entity_id"].to_list()
    write_csv(q, tmp / "q.csv")
    csv_back = pl.read_csv(tmp / "q.csv", infer_schema=False)
    assert csv_back["entity_id"].to_list() == [_csv_cell(x) for x in q["entity_id"].to_list()]
    db = tmp / "q.sqlite"
    with open_queue_store(db) as store:
        store.upsert(q.select(QUEUE_COLUMNS), run_id="r1")
        stored = store.read().sort("queue_item_id")
    assert stored["entity_id"].to_list() == q["entity_id"].to_list()
    with sqlite3.connect(db) as conn:
        raw = sorted(conn.execute("SELECT queue_item_id, entity_id FROM queue_items").fetchall())
    assert [r[1] for r in raw] == q["entity_id"].to_list()


def test_planted_ring_is_found() -> None:
    """The planted ring really yields a ring and queue items (else the properties above
    would only test empty outputs)."""
    ids = ["=a", "b:c", 'd"', "e\nf", "🙂"]
    res = score(_planted(ids), config=CFG)
    assert res.rings.height == 1
    assert sorted(res.queue["entity_id"].to_list()) == sorted(ids)


# --------------------------------------------------------------------------- fuzzed files
HEADER = "actor_id,actor_type,target_id,target_type,action,ts,amount,market\n"
cell = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)


@settings(
    derandomize=True,
    database=None,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.lists(st.lists(cell, min_size=0, max_size=9), max_size=5).map(
            lambda rows: (HEADER + "\n".join(",".join(r) for r in rows)).encode()
        ),
        st.text(max_size=300).map(str.encode),
    ),
    suffix=st.sampled_from([".csv", ".ndjson", ".parquet", ".tsv"]),
)
def test_ingest_never_crashes(
    body: bytes, suffix: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever the bytes, ingest returns a frame or raises a one-line RinglensError."""
    from ringlens.exceptions import RinglensError
    from ringlens.io import load_events

    path = tmp_path_factory.mktemp("fz") / f"events{suffix}"
    path.write_bytes(body)
    try:
        df = load_events(path)
    except RinglensError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, msg
        assert str(path) in msg, msg
    else:
        assert df.height >= 1
        assert df.schema["ts"] == pl.Datetime("us", "UTC")
        for c in ("actor_id", "actor_type", "target_id", "target_type", "action"):
            assert df[c].null_count() == 0 and (df[c].str.strip_chars() != "").all()


# --------------------------------------------------------------------------- known bugs
def _ring(ids: list[str], *, actor_type: str = "buyer") -> pl.DataFrame:
    rows = [
        (actor_type, a, "product", p, "order", _burst(d, k), 1.0)
        for d in range(2)
        for k, a in enumerate(ids)
        for p in ("p1", "p2")
    ]
    cols = ["actor_type", "actor_id", "target_type", "target_id", "action", "ts", "amount"]
    return pl.DataFrame(rows, schema=cols, orient="row").with_columns(
        pl.col("ts").cast(pl.Datetime("us", "UTC"))
    )


def _planted(ids: list[str], *, actor_type: str = "buyer") -> pl.DataFrame:
    """:func:`_ring` among a few hundred organic accounts of the same type."""
    events = _ring(ids, actor_type=actor_type)
    return with_background(events, actor_type=actor_type, targets=("p1", "p2"))


def test_nul_in_id_keeps_nodes_apart() -> None:
    g = build_graph(_ring(["a\x00b", "a\x00c", "x", "y", "z"]))
    assert set(g.nodes["node_id"].to_list()) >= {"a\x00b", "a\x00c"}


def test_colon_in_type_keeps_entity_type() -> None:
    res = score(_planted(list("abcdef"), actor_type="buy:er"), config=CFG)
    assert res.queue.height > 0
    assert set(res.queue["entity_type"].to_list()) == {"buy:er"}
