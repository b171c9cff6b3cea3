"""Ingest: every way input goes wrong gets one clear line naming file, column, row."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from ringlens.exceptions import ConfigError, InputError, SchemaError
from ringlens.io import load_entities, load_events, load_labels, scan_events

HEADER = "actor_id,actor_type,target_id,target_type,action,ts"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def good_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "actor_id": ["1", "2", "2"],
            "actor_type": ["buyer", "buyer", "buyer"],
            "target_id": ["p1", "p1", "p1"],
            "target_type": ["product"] * 3,
            "action": ["order", "order", "order"],
            "ts": [datetime(2024, 5, 1, h, tzinfo=timezone.utc) for h in (1, 2, 2)],
            "amount": [1.5, 2.0, 2.0],
            "market": ["US", "US", "US"],
        }
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_reads_each_format_to_the_contract(tmp_path: Path, fmt: str) -> None:
    df = good_frame()
    p = tmp_path / f"e.{fmt}"
    getattr(df, f"write_{fmt}")(p)
    got = load_events(p)
    assert got.schema == pl.Schema(
        {
            "actor_id": pl.String,
            "actor_type": pl.String,
            "target_id": pl.String,
            "target_type": pl.String,
            "action": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "amount": pl.Float64,
            "market": pl.String,
        }
    )
    assert got.equals(df)


def test_scan_returns_lazyframe_and_folder_of_many_files(tmp_path: Path) -> None:
    df = good_frame()
    df.head(1).write_parquet(tmp_path / "a.parquet")
    df.tail(2).write_csv(tmp_path / "b.csv")
    lf = scan_events(tmp_path)
    assert isinstance(lf, pl.LazyFrame)
    assert lf.collect().equals(df)
    assert load_events([tmp_path / "a.parquet", tmp_path / "b.csv"]).height == 3


def test_optional_columns_absent_are_null(tmp_path: Path) -> None:
    p = write(tmp_path, "e.csv", f"{HEADER}\n1,buyer,p,product,order,2024-01-01T00:00:00Z\n")
    got = load_events(p)
    assert got["amount"].to_list() == [None] and got["market"].to_list() == [None]


def test_timestamps_iso_offsets_naive_and_dates_become_utc(tmp_path: Path) -> None:
    rows = [
        "2024-01-01T02:00:00+02:00",
        "2024-01-01T00:00:00Z",
        "2024-01-01 00:00:00",
        "2024-01-01",
        "2023-12-31T19:00:00-05:00",
    ]
    text = HEADER + "\n" + "".join(f"{i},buyer,p,product,like,{t}\n" for i, t in enumerate(rows))
    got = load_events(write(tmp_path, "e.csv", text))
    assert set(got["ts"].to_list()) == {datetime(2024, 1, 1, tzinfo=timezone.utc)}


def test_datetime_columns_naive_and_other_zones(tmp_path: Path) -> None:
    df = good_frame().with_columns(pl.col("ts").dt.convert_time_zone("Asia/Tokyo"))
    df.write_parquet(tmp_path / "tz.parquet")
    assert load_events(tmp_path / "tz.parquet")["ts"].to_list() == good_frame()["ts"].to_list()
    naive = good_frame().with_columns(pl.col("ts").dt.replace_time_zone(None))
    naive.write_parquet(tmp_path / "naive.parquet")
    assert load_events(tmp_path / "naive.parquet")["ts"].to_list() == good_frame()["ts"].to_list()


def test_duplicates_self_loops_and_unicode_are_legal(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\n"
        "créateur-🔥,creator,créateur-🔥,creator,follow,2024-01-01\n"
        "créateur-🔥,creator,créateur-🔥,creator,follow,2024-01-01\n"
        '"a,b ""q""",buyer,p,product,order,2024-01-01\n'
    )
    got = load_events(write(tmp_path, "e.csv", text))
    assert got["actor_id"].to_list() == ["créateur-🔥", "créateur-🔥", 'a,b "q"']


def test_integer_ids_are_read_as_strings(tmp_path: Path) -> None:
    df = good_frame().with_columns(pl.Series("actor_id", [1, 2, 2]))
    df.write_parquet(tmp_path / "e.parquet")
    assert load_events(tmp_path / "e.parquet")["actor_id"].to_list() == ["1", "2", "2"]


def test_bom_in_csv_header(tmp_path: Path) -> None:
    p = tmp_path / "bom.csv"
    p.write_bytes(("\ufeff" + HEADER + "\n1,buyer,p,product,like,2024-01-01\n").encode("utf-8"))
    assert load_events(p).height == 1


def test_column_mapping(tmp_path: Path) -> None:
    text = "user,utype,item,itype,verb,when\n1,buyer,p,product,like,2024-01-01\n"
    got = load_events(
        write(tmp_path, "m.csv", text),
        columns={
            "actor_id": "user",
            "actor_type": "utype",
            "target_id": "item",
            "target_type": "itype",
            "action": "verb",
            "ts": "when",
        },
    )
    assert got.row(0)[:5] == ("1", "buyer", "p", "product", "like")


# ---- errors: (what goes wrong, file content, exception, exact message pattern) ----------

ERRORS = [
    (
        "missing required column",
        "actor_id,actor_type,target_id,target_type,ts\n1,buyer,p,product,2024-01-01\n",
        SchemaError,
        r"^{f}: missing required column 'action'; expected a string \(or integer\) id; file has 'actor_id', ",
    ),
    (
        "null id",
        f"{HEADER}\n1,buyer,p,product,like,2024-01-01\n,buyer,p,product,like,2024-01-01\n",
        SchemaError,
        r"^{f}: row 2 \(line 3\), column 'actor_id': null or empty value, expected a string \(or integer\) id$",
    ),
    (
        "blank id",
        f"{HEADER}\n1,buyer,p,product,like,2024-01-01\n1,buyer,  ,product,like,2024-01-01\n",
        SchemaError,
        r"^{f}: row 2 \(line 3\), column 'target_id': null or empty value, expected",
    ),
    (
        "unparseable timestamp",
        f"{HEADER}\n1,buyer,p,product,like,2024-01-01\n1,buyer,p,product,like,yesterday\n",
        SchemaError,
        r"^{f}: row 2 \(line 3\), column 'ts': cannot parse 'yesterday', expected a datetime, an ISO-8601 string or a Unix time$",
    ),
    (
        "out of range timestamp",
        f"{HEADER}\n1,buyer,p,product,like,2024-13-45T99:00:00\n",
        SchemaError,
        r"^{f}: row 1 \(line 2\), column 'ts': cannot parse '2024-13-45T99:00:00'",
    ),
    (
        "null timestamp",
        f"{HEADER}\n1,buyer,p,product,like,\n",
        SchemaError,
        r"^{f}: row 1 \(line 2\), column 'ts': null or empty value",
    ),
    (
        "amount not a number",
        f"{HEADER},amount\n1,buyer,p,product,order,2024-01-01,12.5\n1,buyer,p,product,order,2024-01-01,ten\n",
        SchemaError,
        r"^{f}: row 2 \(line 3\), column 'amount': cannot parse 'ten', expected a number$",
    ),
    (
        "empty file",
        "",
        InputError,
        r"^{f}: file is empty \(expected a csv file with a header/schema\)$",
    ),
    (
        "header only",
        f"{HEADER}\n",
        InputError,
        r"^{f}: file has a header but no rows \(expected at least one event\)$",
    ),
]


@pytest.mark.parametrize(("case", "text", "exc", "pattern"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_messages(tmp_path: Path, case: str, text: str, exc: type, pattern: str) -> None:
    p = write(tmp_path, "events.csv", text)
    with pytest.raises(exc) as info:
        load_events(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert re.search(pattern.replace("{f}", re.escape(str(p))), msg), msg


def test_missing_file() -> None:
    with pytest.raises(InputError, match=r"^/no/such/events.parquet: no such file or folder$"):
        load_events("/no/such/events.parquet")


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder has no data files"):
        load_events(tmp_path)


def test_unknown_extension(tmp_path: Path) -> None:
    p = write(tmp_path, "e.xlsx", "x")
    with pytest.raises(InputError, match=r"unknown file type '.xlsx'"):
        load_events(p)


def test_truncated_parquet(tmp_path: Path) -> None:
    good_frame().write_parquet(tmp_path / "e.parquet")
    data = (tmp_path / "e.parquet").read_bytes()
    (tmp_path / "e.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(
        InputError, match=r"e.parquet: not a valid Parquet file \(truncated or corrupt"
    ):
        load_events(tmp_path / "e.parquet")


def test_binary_garbage_as_ndjson(tmp_path: Path) -> None:
    p = tmp_path / "e.ndjson"
    p.write_bytes(b"\x00\xff\xfe garbage {{{\n")
    with pytest.raises(
        InputError, match=r"e.ndjson: (not valid UTF-8 text|cannot be read as ndjson)"
    ):
        load_events(p)


def test_wrong_type_in_parquet(tmp_path: Path) -> None:
    good_frame().with_columns(pl.lit(True).alias("ts")).write_parquet(tmp_path / "e.parquet")
    with pytest.raises(
        SchemaError,
        match=r"column 'ts' has type Boolean, expected a datetime, an ISO-8601 string or a Unix time",
    ):
        load_events(tmp_path / "e.parquet")
    good_frame().with_columns(pl.lit(1.5).alias("actor_id")).write_parquet(tmp_path / "f.parquet")
    with pytest.raises(
        SchemaError, match=r"f.parquet: column 'actor_id' has type Float64, expected a string"
    ):
        load_events(tmp_path / "f.parquet")


def test_null_id_in_parquet_names_row(tmp_path: Path) -> None:
    good_frame().with_columns(pl.Series("actor_id", ["1", None, "2"])).write_parquet(
        tmp_path / "e.parquet"
    )
    with pytest.raises(
        SchemaError, match=r"e.parquet: row 2, column 'actor_id': null or empty value"
    ):
        load_events(tmp_path / "e.parquet")


def test_nan_amount_in_parquet(tmp_path: Path) -> None:
    good_frame().with_columns(pl.Series("amount", [1.0, float("nan"), 2.0])).write_parquet(
        tmp_path / "e.parquet"
    )
    with pytest.raises(SchemaError, match=r"row 2, column 'amount': value 'NaN' is not finite"):
        load_events(tmp_path / "e.parquet")


def test_mapping_errors(tmp_path: Path) -> None:
    p = write(tmp_path, "e.csv", f"{HEADER}\n1,buyer,p,product,like,2024-01-01\n")
    with pytest.raises(ConfigError, match=r"column mapping for events: unknown column 'actor'"):
        load_events(p, columns={"actor": "x"})
    with pytest.raises(
        SchemaError, match=r"e.csv: column 'user' \(mapped to 'actor_id'\) not found"
    ):
        load_events(p, columns={"actor_id": "user"})


def test_entities_and_labels(tmp_path: Path) -> None:
    ent = write(
        tmp_path,
        "entities.csv",
        "entity_type,entity_id,created_at,market,display_name,prior_violations\n"
        "creator,1,2024-01-01,US,<b>x</b>,2\ncreator,1,2024-02-01,US,dup,0\n",
    )
    got = load_entities(ent)
    assert got.height == 1 and got["prior_violations"].to_list() == [2]
    lab = write(
        tmp_path, "labels.csv", "entity_type,entity_id,label\nbuyer,1,Confirmed\nbuyer,2,cleared\n"
    )
    assert load_labels(lab)["label"].to_list() == ["confirmed", "cleared"]
    bad = write(tmp_path, "bad.csv", "entity_type,entity_id,created_at\ncreator,1,someday\n")
    with pytest.raises(
        SchemaError, match=r"bad.csv: row 1 \(line 2\), column 'created_at': cannot parse 'someday'"
    ):
        load_entities(bad)
    badint = write(
        tmp_path, "badint.csv", "entity_type,entity_id,prior_violations\ncreator,1,many\n"
    )
    with pytest.raises(
        SchemaError, match=r"column 'prior_violations': cannot parse 'many', expected an integer"
    ):
        load_entities(badint)


def test_synth_folder_reads_only_the_events(demo_dir) -> None:
    assert scan_events(demo_dir).collect().height == 195_339
    assert load_entities(demo_dir).height == 10_823
    assert load_labels(demo_dir).height == 26
