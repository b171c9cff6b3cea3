"""Atomic file sinks: deterministic Parquet, spreadsheet-safe CSV, JSONL, JSON."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringlens.exceptions import ExportError
from ringlens.export import csv_safe, write_csv, write_json, write_jsonl, write_parquet

from .conftest import make_queue

DANGEROUS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@x", "\tcmd", "\rcmd", "=1+2"]
SAFE = ["ok", "1", " =space first", "a=b", "", "'already"]


def test_parquet_byte_identical(tmp_path: Path) -> None:
    df = make_queue(500)
    write_parquet(df, tmp_path / "a.parquet")
    # the same rows, built in two chunks
    chunked = pl.concat([df[:100], df[100:]], rechunk=False)
    write_parquet(chunked.lazy(), tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert pl.read_parquet(tmp_path / "a.parquet").equals(df)


def test_parquet_byte_identical_across_processes(tmp_path: Path) -> None:
    code = (
        "import sys; sys.path[:0] = [sys.argv[2]];"
        "from conftest import make_queue; from ringlens.export import write_parquet;"
        "write_parquet(make_queue(2000), sys.argv[1])"
    )
    here = str(Path(__file__).parent)
    for name in ("p1.parquet", "p2.parquet"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name), here], check=True)
    assert (tmp_path / "p1.parquet").read_bytes() == (tmp_path / "p2.parquet").read_bytes()


def test_csv_cells_prefixed(tmp_path: Path) -> None:
    values = DANGEROUS + SAFE
    df = pl.DataFrame(
        {
            "text": values,
            "reasons": [[v, "x"] for v in values],
            "n": list(range(-6, len(values) - 6)),
            "cat": pl.Series(values, dtype=pl.Categorical),
            # Enum columns (the queue's action/pattern could be one) are text too
            "enum": pl.Series(values, dtype=pl.Enum(list(dict.fromkeys(values)))),
            "enum_list": pl.Series(
                [[v] for v in values], dtype=pl.List(pl.Enum(list(dict.fromkeys(values))))
            ),
        }
    )
    path = write_csv(df, tmp_path / "q.csv")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for value, row in zip(values, rows, strict=True):
        expected = "'" + value if value in DANGEROUS else value
        assert row["text"] == expected
        assert row["cat"] == expected
        assert row["enum"] == expected
        assert row["enum_list"] == expected
        assert row["reasons"] == expected + ";x"
    assert rows[0]["text"] == '\'=HYPERLINK("http://x","y")'
    # numbers stay numbers, including negative ones
    assert [int(r["n"]) for r in rows] == df["n"].to_list()
    assert not any(r["text"].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows)


def test_csv_nested_and_nulls() -> None:
    df = pl.DataFrame(
        {
            "lists": [[1, 2], None, []],
            "nested": [[[1], [2, 3]], [], None],
            "struct": [{"a": "=x"}, None, {"a": "y"}],
            "ts": [dt.datetime(2024, 5, 1, 2, 3), None, None],
            "s": ["-x", None, "y"],
        }
    )
    out = csv_safe(df)
    assert out["lists"].to_list() == ["1;2", None, ""]
    assert out["nested"].to_list() == ["[1];[2,3]", "", None]
    assert out["struct"].to_list() == ['{"a":"=x"}', None, '{"a":"y"}']
    assert out["s"].to_list() == ["'-x", None, "y"]
    assert out.schema["ts"] == pl.Datetime("us")


def test_csv_vectorised_on_a_large_frame(tmp_path: Path) -> None:
    n = 200_000
    df = pl.DataFrame({"id": ["=x", "ok"] * (n // 2), "r": [["a", "-b"]] * n})
    path = write_csv(df, tmp_path / "big.csv")
    back = pl.read_csv(path)
    assert back["id"].value_counts().sort("id").rows() == [("'=x", n // 2), ("ok", n // 2)]


def test_jsonl_keeps_arrays(tmp_path: Path) -> None:
    df = make_queue(3)
    path = write_jsonl(df, tmp_path / "q.jsonl")
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert first["reasons"] == ["dense_block", "lockstep"] and first["market"] is None
    assert pl.read_ndjson(path, schema=df.schema).equals(df)


def test_json(tmp_path: Path) -> None:
    path = write_json(
        {"when": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "p": tmp_path, "s": {"b", "a"}},
        tmp_path / "run.json",
    )
    assert json.loads(path.read_text()) == {
        "when": "2024-01-01T00:00:00+00:00",
        "p": str(tmp_path),
        "s": ["a", "b"],
    }
    with pytest.raises(ExportError, match="run2.json.*non-finite"):
        write_json({"x": float("nan")}, tmp_path / "run2.json")
    assert not (tmp_path / "run2.json").exists()


@pytest.mark.parametrize(
    "writer",
    [write_parquet, write_csv, write_jsonl, lambda df, p: write_json({"a": 1}, p)],
)
def test_unwritable_path_names_the_path(tmp_path: Path, writer) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    target = blocker / "sub" / "out.file"
    with pytest.raises(ExportError) as err:
        writer(make_queue(2), target)
    assert str(target) in str(err.value)
    assert "\n" not in str(err.value)


def test_target_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "q.csv").mkdir()
    with pytest.raises(ExportError, match=r"q\.csv: Is a directory"):
        write_csv(make_queue(1), tmp_path / "q.csv")


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "q.parquet"
    write_parquet(make_queue(3), target)
    old = target.read_bytes()
    bad = pl.DataFrame({"o": [object()]}, schema={"o": pl.Object})
    with pytest.raises(Exception):  # noqa: B017 - polars refuses objects
        write_parquet(bad, target)
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.parquet"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=20))
def test_csv_safe_property(values: list[str | None]) -> None:
    """No text cell starts with a formula character; removing the added quote restores it."""
    out = csv_safe(pl.DataFrame({"s": values}, schema={"s": pl.String}))["s"].to_list()
    for before, after in zip(values, out, strict=True):
        if before is None:
            assert after is None
        elif before[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert after == "'" + before
        else:
            assert after == before
        assert after is None or after[:1] not in ("=", "+", "-", "@", "\t", "\r")
