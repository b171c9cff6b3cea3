"""Issue 14, ingest: the repros of B5-B8 and the ingest findings, through the CLI.

Each case is the issue's repro (or the smallest input that shows the same break): the run
exits 0 with the right data, or exits 2 with one ``error:`` line naming the file, row and
column (or the setting). Inputs too large to commit (10,001-row NDJSON) are written here.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ringlens.io import InputOptions, load_entities, load_events

from .._background import organic_background
from ._runner import TRACEBACK, Outcome, run_cli

HEADER = "actor_id,actor_type,target_id,target_type,action,ts"


def assert_clean(o: Outcome) -> None:
    both = o.stdout + o.stderr
    assert not TRACEBACK.search(both), both[-2000:]
    assert o.exception is None, repr(o.exception)
    assert o.exit_code != 1, f"internal error (exit 1): {o.stderr}"


def one_error(o: Outcome, *parts: str) -> str:
    """Exit 2, nothing on stdout, exactly one ``error:`` line holding every part."""
    assert_clean(o)
    assert o.exit_code == 2, (o.exit_code, o.stdout[-500:], o.stderr[-1500:])
    lines = o.error_lines
    assert len(lines) == 1, lines[:5]
    line = lines[0]
    assert line.startswith("error: "), line
    for part in parts:
        assert part in line, (part, line)
    assert o.stdout.strip() == ""
    return line


def score(src: Path | str, out: Path, *extra: str) -> Outcome:
    return run_cli(["-q", "score", str(src), "--out", str(out), "--json", "--no-views", *extra])


def ok(o: Outcome) -> dict[str, object]:
    assert_clean(o)
    assert o.exit_code == 0, o.stderr[-1500:]
    report = json.loads(o.stdout)
    assert isinstance(report, dict)
    return report


def _arrow_events(ts: pa.Array) -> pa.Table:
    n = len(ts)
    return pa.table(
        {
            "actor_id": [f"b{i}" for i in range(1, n + 1)],
            "actor_type": ["buyer"] * n,
            "target_id": ["p"] * n,
            "target_type": ["product"] * n,
            "action": ["order"] * n,
            "ts": ts,
        }
    )


# --------------------------------------------------------------------------- B5
@pytest.mark.parametrize(
    ("values", "arrow_type", "row"),
    [
        # the repro: seconds of a year two million years BC (Polars panicked)
        ([-62_000_000_000_000, 1_714_557_600], pa.timestamp("s", tz="UTC"), 1),
        # milliseconds near 9.3e15 (year 296,000; microseconds overflow 64 bits)
        ([1_714_557_600_000, 9_300_000_000_000_000], pa.timestamp("ms"), 2),
        # a date32 in year ~275,000
        ([19_844, 100_000_000], pa.date32(), 2),
        # nanoseconds are always inside Polars' range, but 1677 is not inside ringlens'
        ([-9_000_000_000_000_000_000, 1_714_557_600 * 10**9], pa.timestamp("ns"), 1),
    ],
    ids=["timestamp_s_year_minus_2e6", "timestamp_ms_9_3e15", "date32_far", "timestamp_ns_1684"],
)
def test_b5_parquet_timestamp_out_of_range_is_one_line(
    tmp_path: Path, values: list[int], arrow_type: pa.DataType, row: int
) -> None:
    p = tmp_path / "r6.parquet"
    pq.write_table(_arrow_events(pa.array(values, type=arrow_type)), p)
    line = one_error(score(p, tmp_path / "o"), f"r6.parquet: row {row}, column 'ts'")
    assert "outside the supported time range" in line and "1900-01-01" in line, line


# --------------------------------------------------------------------------- B6
def test_b6_year_1_with_an_entities_file_exits_2(tmp_path: Path) -> None:
    """The issue's repro: accepted before, then OverflowError (exit 1) once entities exist."""
    (tmp_path / "events.csv").write_text(
        f"{HEADER}\nb1,buyer,p,product,order,0001-01-01\nb2,buyer,p,product,order,2024-05-01\n"
    )
    (tmp_path / "entities.csv").write_text("entity_type,entity_id\nbuyer,b1\n")
    one_error(
        score(tmp_path, tmp_path / "o"),
        "events.csv: row 1 (line 2), column 'ts': '0001-01-01' is outside the supported time range",
    )


def test_b6_entities_created_at_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text(f"{HEADER}\nb1,buyer,p,product,order,2024-05-01\n")
    (tmp_path / "entities.csv").write_text(
        "entity_type,entity_id,created_at\nbuyer,b1,2024-01-01\nbuyer,b2,1899-12-31T23:59:59Z\n"
    )
    one_error(
        score(tmp_path, tmp_path / "o"),
        "entities.csv: row 2 (line 3), column 'created_at'",
        "outside the supported time range",
    )


def test_b6_the_ends_of_the_range_work_through_a_whole_run(tmp_path: Path) -> None:
    """1900-01-01 and just before 2262-04-11 in events and entities: every later step
    (account age, windows, sinks) copes."""
    rows = [
        f"b{k},buyer,p{j},product,order,{day}T00:0{k}:00Z"
        for day in ("2024-05-01", "2024-05-08")
        for k in range(6)
        for j in (1, 2)
    ]
    rows += [
        "b0,buyer,p9,product,order,1900-01-01T00:00:00Z",
        "b1,buyer,p9,product,order,2262-04-10T23:59:59.999999Z",
    ]
    (tmp_path / "events.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    (tmp_path / "entities.csv").write_text(
        "entity_type,entity_id,created_at\nbuyer,b0,1900-01-01\nbuyer,b1,2262-04-10\n"
        "buyer,b2,2024-04-30\n"
    )
    report = ok(score(tmp_path, tmp_path / "o"))
    assert report["counts"]["events"] == len(rows)  # type: ignore[index]


# --------------------------------------------------------------------------- B7
def _ndjson(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def _ev(actor: object, **extra: object) -> dict[str, object]:
    return {
        "actor_id": actor,
        "actor_type": "buyer",
        "target_id": "p",
        "target_type": "product",
        "action": "order",
        "ts": "2024-05-01",
        **extra,
    }


def test_b7_float_amount_after_10000_integers(tmp_path: Path) -> None:
    """The issue's repro (exit 2 before)."""
    p = tmp_path / "r7.ndjson"
    p.write_text(
        _ndjson([_ev(f"b{i}", amount=10) for i in range(10_000)] + [_ev("b1", amount=12.5)])
    )
    report = ok(score(p, tmp_path / "o"))
    assert report["counts"]["events"] == 10_001  # type: ignore[index]
    amounts = load_events(p)["amount"]
    assert amounts[-1] == 12.5 and amounts.sum() == 100_012.5


def test_b7_string_id_after_10000_integer_ids(tmp_path: Path) -> None:
    p = tmp_path / "e.ndjson"
    p.write_text(_ndjson([_ev(i) for i in range(10_000)] + [_ev("alice")]))
    report = ok(score(p, tmp_path / "o"))
    assert report["counts"]["events"] == 10_001  # type: ignore[index]
    ids = load_events(p)["actor_id"]
    assert ids[0] == "0" and ids[-1] == "alice"


def test_b7_amount_and_market_first_seen_after_row_10000_are_kept(tmp_path: Path) -> None:
    """Silently dropped before: the columns were not in the first 10,000 rows."""
    p = tmp_path / "e.ndjson"
    p.write_text(
        _ndjson([_ev(f"b{i}") for i in range(10_000)] + [_ev("b1", amount=7.25, market="DE")])
    )
    ok(score(p, tmp_path / "o"))
    last = load_events(p).row(-1, named=True)
    assert last["amount"] == 7.25 and last["market"] == "DE"


def test_b7_a_bad_value_after_row_10000_names_its_row(tmp_path: Path) -> None:
    p = tmp_path / "e.ndjson"
    p.write_text(
        _ndjson([_ev(f"b{i}", amount=1) for i in range(10_000)] + [_ev("x", amount="lots")])
    )
    one_error(score(p, tmp_path / "o"), "e.ndjson: row 10001, column 'amount': cannot parse 'lots'")


def test_b7_entities_created_at_after_row_10000(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(f"{HEADER}\nb1,buyer,p,product,order,2024-05-01\n")
    ent = tmp_path / "entities.ndjson"
    rows = [{"entity_type": "buyer", "entity_id": i} for i in range(10_000)]
    rows.append({"entity_type": "buyer", "entity_id": "b1", "created_at": "2024-04-01"})
    ent.write_text(_ndjson(rows))
    ok(score(events, tmp_path / "o", "--entities", str(ent)))
    got = load_entities(ent).filter(pl.col("entity_id") == "b1")["created_at"].item()
    assert got == datetime(2024, 4, 1, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- B8
def test_b8_nul_in_market_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "e.parquet"
    pl.DataFrame(
        {
            "actor_id": ["b1", "b2"],
            "actor_type": ["buyer"] * 2,
            "target_id": ["p"] * 2,
            "target_type": ["product"] * 2,
            "action": ["order"] * 2,
            "ts": [datetime(2024, 5, 1, tzinfo=timezone.utc)] * 2,
            "market": ["US", "U\x00S"],
        }
    ).write_parquet(p)
    one_error(score(p, tmp_path / "o"), "e.parquet: row 2, column 'market'", "NUL")


@pytest.mark.parametrize("column", ["display_name", "market"])
def test_b8_nul_in_entity_text_is_refused(tmp_path: Path, column: str) -> None:
    events = tmp_path / "events.csv"
    events.write_text(f"{HEADER}\nb1,buyer,p,product,order,2024-05-01\n")
    ent = tmp_path / "entities.parquet"
    pl.DataFrame(
        {"entity_type": ["buyer"], "entity_id": ["b1"], column: ["Bee\x00<evil>"]}
    ).write_parquet(ent)
    one_error(
        score(events, tmp_path / "o", "--entities", str(ent)),
        f"entities.parquet: row 1, column '{column}'",
        "NUL",
    )


def test_b8_nul_in_a_categorical_column_is_refused(tmp_path: Path) -> None:
    """Dictionary-encoded text (Categorical in Parquet) is screened like plain text."""
    p = tmp_path / "e.parquet"
    pl.DataFrame(
        {
            "actor_id": ["b1", "b2"],
            "actor_type": ["buyer"] * 2,
            "target_id": ["p"] * 2,
            "target_type": ["product"] * 2,
            "action": ["order"] * 2,
            "ts": [datetime(2024, 5, 1, tzinfo=timezone.utc)] * 2,
            "market": ["US", "U\x00S"],
        },
        schema_overrides={"actor_id": pl.Categorical, "market": pl.Categorical},
    ).write_parquet(p)
    one_error(score(p, tmp_path / "o"), "e.parquet: row 2, column 'market'", "NUL")


# --------------------------------------------------------------------------- surrogates
@pytest.mark.parametrize("escape", ["\\ud800", "a\\ud800b", "\\udc00z", "\\ud800\\u0041"])
def test_lone_surrogate_in_ndjson_is_named_as_such(tmp_path: Path, escape: str) -> None:
    """Polars reads a JSON "\\ud800" as NUL (or fails without a row): say what it is."""
    p = tmp_path / "e.ndjson"
    good = json.dumps(_ev("b1"))
    bad = good.replace('"b1"', f'"{escape}"')
    p.write_text(f"{good}\n{bad}\n")
    line = one_error(score(p, tmp_path / "o"), "e.ndjson: row 2, column 'actor_id'")
    assert "unpaired UTF-16 surrogate" in line and "NUL" not in line, line


def test_a_real_nul_in_ndjson_is_still_a_nul(tmp_path: Path) -> None:
    p = tmp_path / "e.ndjson"
    p.write_text(_ndjson([_ev("b1"), _ev("x\u0000y")]))
    line = one_error(score(p, tmp_path / "o"), "e.ndjson: row 2, column 'actor_id'")
    assert "contains a NUL character" in line, line


# --------------------------------------------------------------------------- folders
def test_folder_holding_only_entities_has_no_events_file(tmp_path: Path) -> None:
    pl.DataFrame({"entity_type": ["buyer"], "entity_id": ["b1"]}).write_parquet(
        tmp_path / "entities.parquet"
    )
    one_error(
        score(tmp_path, tmp_path / "o"),
        f"{tmp_path}: no events file (expected events.parquet/.csv/.ndjson/.jsonl",
    )


def test_events_folder_never_swallows_entities_labels_or_truth(tmp_path: Path) -> None:
    """A folder whose events file is not named events.*: the other tables stay out of it."""
    rows = [f"b{i},buyer,p,product,order,2024-05-01" for i in range(3)]
    (tmp_path / "export.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    (tmp_path / "entities.csv").write_text("entity_type,entity_id\nbuyer,b1\n")
    (tmp_path / "labels.csv").write_text("entity_type,entity_id,label\nbuyer,b1,cleared\n")
    pl.DataFrame({"ring": ["r1"], "entity_id": ["b1"]}).write_parquet(tmp_path / "truth.parquet")
    report = ok(score(tmp_path, tmp_path / "o"))
    assert report["counts"]["events"] == 3  # type: ignore[index]
    run = json.loads((tmp_path / "o" / "run.json").read_text())
    assert [Path(p).name for p in run["inputs"]["events"]] == ["export.csv"]


# --------------------------------------------------------------------------- input options
def _excel_background() -> str:
    """An organic background (``tests/_background.py``) as a German spreadsheet writes it:
    the run's detectors find the planted ring only against one."""
    bg = organic_background(targets=("p1", "p2")).select(
        "actor_id",
        "actor_type",
        "target_id",
        "target_type",
        "action",
        pl.col("ts").dt.strftime("%d/%m/%Y %H:%M"),
        pl.col("amount").cast(pl.String).str.replace(".", ",", literal=True),
        pl.lit("DE"),
    )
    return "".join(";".join(row) + "\r\n" for row in bg.rows())


EXCEL = (
    "\ufeffactor_id;actor_type;target_id;target_type;action;ts;amount;market\r\n"
    + "".join(
        f"b{k};buyer;p{j};product;order;{d:02d}/05/2024 0{k}:30;12,5;DE\r\n"
        for d in (1, 8)
        for k in range(6)
        for j in (1, 2)
    )
    + _excel_background()
)


def test_excel_export_refused_without_options_names_the_setting(tmp_path: Path) -> None:
    p = tmp_path / "events.csv"
    p.write_text(EXCEL, encoding="utf-8")
    one_error(score(p, tmp_path / "o"), "events.csv", "input.separator = ';'")


def test_excel_export_is_read_with_input_options(tmp_path: Path) -> None:
    p = tmp_path / "events.csv"
    p.write_text(EXCEL, encoding="utf-8")
    cfg = tmp_path / "ringlens.toml"
    cfg.write_text(
        '[input]\nseparator = ";"\ndecimal_comma = true\n'
        'timestamp_format = "%d/%m/%Y %H:%M"\ntimezone = "Europe/Berlin"\n'
    )
    o = run_cli(["-q", "--config", str(cfg), "score", str(p), "--out", str(tmp_path / "o")])
    assert_clean(o)
    assert o.exit_code == 0, o.stderr
    ev = pl.read_parquet(tmp_path / "o" / "queue.parquet")
    assert ev.height > 0
    assert {f"b{k}" for k in range(6)} <= set(ev["entity_id"].to_list())  # the planted ring
    got = load_events(
        p,
        options=InputOptions.from_settings(
            {
                "separator": ";",
                "decimal_comma": True,
                "timestamp_format": "%d/%m/%Y %H:%M",
                "timezone": "Europe/Berlin",
            }
        ),
    )
    assert got["amount"][0] == 12.5
    assert got["ts"][0] == datetime(2024, 4, 30, 22, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("separator", '";;"', "input.separator: expected one ASCII character"),
        ("timezone", '"Mars/Base"', "input.timezone: 'Mars/Base' is not an IANA time zone"),
        ("timestamp_format", '"dd/mm/yyyy"', "input.timestamp_format: 'dd/mm/yyyy' has no"),
        ("decimal_comma", '"yes"', "input.decimal_comma: expected a boolean"),
    ],
)
def test_bad_input_settings_name_the_setting(
    tmp_path: Path, key: str, value: str, says: str
) -> None:
    cfg = tmp_path / "ringlens.toml"
    cfg.write_text(f"[input]\n{key} = {value}\n")
    events = tmp_path / "events.csv"
    events.write_text(f"{HEADER}\nb1,buyer,p,product,order,2024-05-01\n")
    o = run_cli(["-q", "--config", str(cfg), "score", str(events), "--out", str(tmp_path / "o")])
    one_error(o, str(cfg), says)


def test_naive_timestamps_read_as_utc_are_said_once(tmp_path: Path) -> None:
    rows = [f"b{i},buyer,p,product,order,2024-05-01 10:0{i}:00" for i in range(3)]
    (tmp_path / "events.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    (tmp_path / "entities.csv").write_text(
        "entity_type,entity_id,created_at\nbuyer,b1,2024-01-01\n"
    )
    o = run_cli(["score", str(tmp_path), "--out", str(tmp_path / "o"), "--no-views"])
    assert o.exit_code == 0, o.stderr
    assert (o.stdout + o.stderr).count("read as UTC") == 1
    run = json.loads((tmp_path / "o" / "run.json").read_text())
    naive = run["ingest"]["naive_timestamps_as_utc"]
    assert {(Path(x["path"]).name, x["column"]) for x in naive} == {
        ("events.csv", "ts"),
        ("entities.csv", "created_at"),
    }
