"""validate_queue and the queue store's screening: what a sink would refuse or store
differently is refused before anything is written, with one line naming row and column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest

from ringlens.exceptions import ExportError
from ringlens.export import QUEUE_SCHEMA, open_queue_store, validate_queue

from .conftest import make_queue


def test_a_good_queue_passes_with_extra_columns() -> None:
    q = make_queue(5).with_columns(rule=pl.lit("review"))
    assert validate_queue(q) is None
    assert validate_queue(q.lazy()) is None
    assert validate_queue(make_queue(0)) is None


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            {"risk_score": [50.0, float("nan"), 1.0]},
            r"^queue: row 1 \(queue_item_id 'qi_00001'\), column 'risk_score': NaN is not a risk",
        ),
        ({"risk_score": [50.0, 1.0, float("inf")]}, r"row 2 .*'risk_score': inf is not a risk"),
        ({"risk_score": [-0.5, 1.0, 2.0]}, r"row 0 .*'risk_score': -0.5 is not a risk"),
        ({"risk_score": [50.0, 100.5, 2.0]}, r"row 1 .*'risk_score': 100.5 is not a risk"),
        (
            {"queue_item_id": ["a", "b", "a"]},
            r"column 'queue_item_id' is not unique: row 0 \(queue_item_id 'a'\)",
        ),
        (
            {"market": ["DE", None, "F\x00R"]},
            r"row 2 \(queue_item_id 'qi_00002'\), column 'market': 'F\\x00R' holds a NUL",
        ),
        ({"entity_id": ["a", "b\x00", "c"]}, r"row 1 .*column 'entity_id'.* NUL"),
        ({"reasons": [["x"], ["y", "z\x00"], []]}, r"row 1 .*column 'reasons'.* NUL"),
        ({"evidence": [None, None, "viz/\x00.html"]}, r"row 2 .*column 'evidence'.* NUL"),
        ({"rule": ["r", "r", "\x00"]}, r"row 2 .*column 'rule'.* NUL"),
        ({"score_extra": [1.0, float("-inf"), 2.0]}, r"row 1 .*column 'score_extra': -inf"),
        ({"entity_type": ["a", None, "c"]}, r"column 'entity_type' has 1 null value\(s\) .*row 1"),
    ],
)
def test_refused_with_row_and_column(change: dict[str, list], match: str) -> None:
    q = make_queue(3).with_columns(
        [pl.Series(k, v, dtype=QUEUE_SCHEMA.get(k)) for k, v in change.items()]
    )
    with pytest.raises(ExportError, match=match) as err:
        validate_queue(q)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("column", "dtype"),
    [("risk_score", pl.Float32), ("priority", pl.Int32), ("reasons", pl.String)],
)
def test_wrong_types_refused(column: str, dtype: pl.DataType) -> None:
    q = make_queue(2)
    q = q.with_columns(
        pl.col(column).list.join(",") if column == "reasons" else pl.col(column).cast(dtype)
    )
    with pytest.raises(ExportError, match=f"column '{column}' has type {dtype}, expected"):
        validate_queue(q)


def test_missing_column_refused() -> None:
    with pytest.raises(ExportError, match="queue lacks column 'market'"):
        validate_queue(make_queue(2).drop("market"))


def test_store_refuses_nul_and_keeps_what_it_had(store_url: str) -> None:
    """SQLite would keep 'F' of 'F\\x00R'; PostgreSQL refuses the whole COPY: both refuse
    the frame before the transaction, naming row and column, and store nothing of it."""
    with open_queue_store(store_url) as store:
        store.upsert(make_queue(3), run_id="r1")
        for col, value in [("market", "F\x00R"), ("entity_id", "e\x00"), ("queue", "q\x00")]:
            bad = make_queue(3).with_columns(
                pl.when(pl.int_range(pl.len()) == 1)
                .then(pl.lit(value))
                .otherwise(pl.col(col))
                .alias(col)
            )
            with pytest.raises(ExportError, match=f"row 1 .*column '{col}'.* NUL"):
                store.upsert(bad, run_id="r2")
        bad = make_queue(3).with_columns(reasons=pl.Series([["a"], ["b\x00"], []]))
        with pytest.raises(ExportError, match="column 'reasons'"):
            store.upsert(bad, run_id="r2")
        bad = make_queue(3, risk=[1.0, float("nan"), 2.0])
        with pytest.raises(ExportError, match="column 'risk_score': NaN is not a risk"):
            store.upsert(bad, run_id="r2")
        got = store.read()
        assert got["run_id"].unique().to_list() == ["r1"]
        assert store.runs()["run_id"].to_list() == ["r1"]


def test_sqlite_keeps_text_exactly(tmp_path: Path) -> None:
    """Every other control character is stored exactly (no truncation, no escaping)."""
    odd = "".join(chr(c) for c in range(1, 32)) + "\u2028\ufeff🙂"
    db = tmp_path / "q.sqlite"
    with open_queue_store(db) as store:
        store.upsert(make_queue(2).with_columns(market=pl.lit(odd)), run_id="r")
    with sqlite3.connect(db) as conn:
        assert {r[0] for r in conn.execute("SELECT market FROM queue_items")} == {odd}
