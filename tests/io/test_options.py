"""Reading options (separator, decimal comma, timestamp format, time zone), the ingest
report, the supported time range and how folders are resolved."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from ringlens.config import Config, load_config
from ringlens.exceptions import ConfigError, InputError, SchemaError
from ringlens.io import (
    MAX_ID_BYTES,
    TIME_RANGE,
    IngestReport,
    InputOptions,
    load_entities,
    load_events,
    load_labels,
    resolve_inputs,
    scan_events,
    tables_beside,
)

HEADER = "actor_id,actor_type,target_id,target_type,action,ts"
UTC = timezone.utc


def events_csv(tmp_path: Path, *ts: str, name: str = "e.csv", sep: str = ",") -> Path:
    rows = [sep.join([f"b{i}", "buyer", "p", "product", "order", t]) for i, t in enumerate(ts)]
    p = tmp_path / name
    p.write_text(HEADER.replace(",", sep) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def frame(ts: list[object], dtype: pl.DataType) -> pl.DataFrame:
    n = len(ts)
    return pl.DataFrame(
        {
            "actor_id": [f"b{i}" for i in range(n)],
            "actor_type": ["buyer"] * n,
            "target_id": ["p"] * n,
            "target_type": ["product"] * n,
            "action": ["order"] * n,
            "ts": pl.Series(ts, dtype=dtype),
        }
    )


# --------------------------------------------------------------------------- options
def test_excel_style_export(tmp_path: Path) -> None:
    """BOM, ';', CRLF, decimal comma, day-first local times: read with four settings."""
    p = tmp_path / "export.csv"
    p.write_bytes(
        (
            "\ufeffactor_id;actor_type;target_id;target_type;action;ts;amount\r\n"
            "b1;buyer;p;product;order;31/12/2024 23:30;12,5\r\n"
            "b2;buyer;p;product;order;01/07/2024 08:00;3\r\n"
        ).encode("utf-8")
    )
    opts = InputOptions(
        separator=";",
        decimal_comma=True,
        timestamp_format="%d/%m/%Y %H:%M",
        timezone="Europe/Paris",
    )
    got = load_events(p, options=opts)
    assert got["actor_id"].to_list() == ["b1", "b2"]
    assert got["amount"].to_list() == [12.5, 3.0]
    assert got["ts"].to_list() == [
        datetime(2024, 12, 31, 22, 30, tzinfo=UTC),  # CET, +01:00
        datetime(2024, 7, 1, 6, 0, tzinfo=UTC),  # CEST, +02:00
    ]


def test_wrong_separator_says_which_setting_to_use(tmp_path: Path) -> None:
    p = events_csv(tmp_path, "2024-05-01", sep=";")
    with pytest.raises(
        InputError, match=r"e\.csv: .*looks ';'-separated: set input\.separator = ';'"
    ):
        load_events(p)
    assert load_events(p, options=InputOptions(separator=";")).height == 1


def test_tsv_always_uses_tab(tmp_path: Path) -> None:
    p = events_csv(tmp_path, "2024-05-01", name="e.tsv", sep="\t")
    assert load_events(p, options=InputOptions(separator=";")).height == 1


def test_format_first_then_iso(tmp_path: Path) -> None:
    p = events_csv(tmp_path, "05/01/2024", "2024-05-01T00:00:00Z", "2024-05-01")
    got = load_events(p, options=InputOptions(timestamp_format="%m/%d/%Y"))
    assert got["ts"].n_unique() == 1


def test_format_with_offset(tmp_path: Path) -> None:
    p = events_csv(tmp_path, "01.05.2024 12:00 +0200")
    got = load_events(
        p, options=InputOptions(timestamp_format="%d.%m.%Y %H:%M %z", timezone="Asia/Tokyo")
    )
    assert got["ts"].item() == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_value_not_in_the_format_names_row_column_and_format(tmp_path: Path) -> None:
    p = events_csv(tmp_path, "01/05/2024", "2024/05/01")
    with pytest.raises(
        SchemaError,
        match=r"e\.csv: row 2 \(line 3\), column 'ts': cannot parse '2024/05/01', expected a "
        r"timestamp in input\.timestamp_format '%d/%m/%Y', an ISO-8601 string or a Unix time",
    ):
        load_events(p, options=InputOptions(timestamp_format="%d/%m/%Y"))


def test_timezone_applies_to_naive_text_parquet_datetimes_and_dates(tmp_path: Path) -> None:
    opts = InputOptions(timezone="America/New_York")
    want = datetime(2024, 5, 1, 4, tzinfo=UTC)  # EDT, -04:00
    p = events_csv(tmp_path, "2024-05-01 00:00", "2024-05-01T04:00:00Z")
    assert set(load_events(p, options=opts)["ts"].to_list()) == {want}
    frame([datetime(2024, 5, 1)], pl.Datetime("ms")).write_parquet(tmp_path / "n.parquet")
    assert load_events(tmp_path / "n.parquet", options=opts)["ts"].item() == want
    frame([date(2024, 5, 1)], pl.Date).write_parquet(tmp_path / "d.parquet")
    assert load_events(tmp_path / "d.parquet", options=opts)["ts"].item() == want
    aware = frame([datetime(2024, 5, 1, 4, tzinfo=UTC)], pl.Datetime("us", "UTC"))
    aware.write_parquet(tmp_path / "a.parquet")
    assert load_events(tmp_path / "a.parquet", options=opts)["ts"].item() == want


def test_local_time_in_a_dst_gap_is_an_error_and_a_repeated_one_takes_the_earlier(
    tmp_path: Path,
) -> None:
    opts = InputOptions(timezone="Europe/Berlin")
    p = events_csv(tmp_path, "2024-10-27 02:30:00")  # occurs twice: +02:00 then +01:00
    assert load_events(p, options=opts)["ts"].item() == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    gap = events_csv(tmp_path, "2024-03-30 02:30", "2024-03-31 02:30", name="gap.csv")
    with pytest.raises(
        SchemaError,
        match=r"gap\.csv: row 2 \(line 3\), column 'ts': '2024-03-31 02:30' does not exist in "
        r"Europe/Berlin",
    ):
        load_events(gap, options=opts)
    frame([datetime(2024, 3, 31, 2, 30)], pl.Datetime("us")).write_parquet(tmp_path / "g.parquet")
    with pytest.raises(SchemaError, match=r"g\.parquet: row 1, column 'ts': 2024-03-31T02:30:00"):
        load_events(tmp_path / "g.parquet", options=opts)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"timezone": "Mars/Base"}, "input.timezone: 'Mars/Base' is not an IANA time zone"),
        ({"timezone": " UTC"}, "input.timezone: ' UTC' is not an IANA time zone"),
        ({"separator": ""}, "input.separator: expected one ASCII character"),
        ({"separator": "§"}, "input.separator: expected one ASCII character"),
        ({"separator": '"'}, "input.separator: expected one ASCII character"),
        ({"timestamp_format": "dd/mm/yyyy"}, "input.timestamp_format: 'dd/mm/yyyy' has no"),
    ],
)
def test_bad_options(kwargs: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says.replace(".", r"\.").replace("'", "'")):
        InputOptions(**kwargs)  # type: ignore[arg-type]


def test_settings_are_checked_with_their_source() -> None:
    with pytest.raises(ConfigError, match=r"^settings: input\.timezone: 'Europe/Pariss' is not"):
        Config.from_mapping({"input": {"timezone": "Europe/Pariss"}})
    with pytest.raises(ConfigError, match=r"^environment \(RINGLENS_\*\): input\.separator"):
        load_config(env={"RINGLENS_INPUT__SEPARATOR": "ab"}, cwd=False)
    cfg = load_config(
        env={"RINGLENS_INPUT__SEPARATOR": ";", "RINGLENS_INPUT__DECIMAL_COMMA": "true"},
        cwd=False,
    )
    assert InputOptions.from_settings(cfg) == InputOptions(separator=";", decimal_comma=True)
    assert InputOptions.from_settings(Config.from_mapping({}).input) == InputOptions()


def test_bom_in_ndjson(tmp_path: Path) -> None:
    p = tmp_path / "e.ndjson"
    row = {"actor_id": "b1", "actor_type": "buyer", "target_id": "p", "target_type": "product"}
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps({**row, "action": "x", "ts": "2024-05-01"}).encode())
    assert load_events(p)["actor_id"].to_list() == ["b1"]


# --------------------------------------------------------------------------- report
def test_report_records_naive_timestamps_read_as_utc(tmp_path: Path) -> None:
    report = IngestReport()
    load_events(events_csv(tmp_path, "2024-05-01T10:00:00Z", "2024-05-01 10:00"), report=report)
    load_events(events_csv(tmp_path, "2024-05-01T10:00:00+02:00", name="aware.csv"), report=report)
    ent = tmp_path / "entities.csv"
    ent.write_text("entity_type,entity_id,created_at\nbuyer,b1,2024-01-01\n")
    load_entities(ent, report=report)
    lab = tmp_path / "labels.csv"
    lab.write_text("entity_type,entity_id,label\nbuyer,b1,confirmed\n")
    load_labels(lab, report=report)
    assert [(Path(p).name, c) for p, c in report.naive_as_utc] == [
        ("e.csv", "ts"),
        ("entities.csv", "created_at"),
    ]
    assert [(f["table"], Path(f["path"]).name, f["rows"]) for f in report.files] == [
        ("events", "e.csv", 2),
        ("events", "aware.csv", 1),
        ("entities", "entities.csv", 1),
        ("labels", "labels.csv", 1),
    ]
    notice = report.notice()
    assert notice is not None and notice.count("read as UTC") == 1 and "input.timezone" in notice
    d = report.to_dict()
    assert d["time_range_utc"] == ["1900-01-01T00:00:00+00:00", "2262-04-11T00:00:00+00:00"]
    assert len(d["naive_timestamps_as_utc"]) == 2


def test_report_naive_parquet_and_declared_zone(tmp_path: Path) -> None:
    frame([datetime(2024, 5, 1)], pl.Datetime("us")).write_parquet(tmp_path / "n.parquet")
    report = IngestReport()
    scan_events(tmp_path / "n.parquet", report=report, validate=False)
    assert [c for _, c in report.naive_as_utc] == ["ts"] and report.files[0]["rows"] is None
    declared = IngestReport()
    load_events(tmp_path / "n.parquet", options=InputOptions(timezone="UTC"), report=declared)
    load_events(
        events_csv(tmp_path, "2024-05-01"), options=InputOptions(timezone="UTC"), report=declared
    )
    assert declared.naive_as_utc == [] and declared.notice() is None


# --------------------------------------------------------------------------- time range
@pytest.mark.parametrize(
    ("ts", "ok"),
    [
        ("1900-01-01T00:00:00Z", True),
        ("1899-12-31T23:59:59.999999Z", False),
        ("1900-01-01T00:30:00+01:00", False),
        ("2262-04-10T23:59:59.999999Z", True),
        ("2262-04-11T00:00:00Z", False),
        ("0001-01-01", False),
        ("9999-12-31T23:59:59", False),
        ("-0005-01-01", False),
    ],
)
def test_time_range_for_text(tmp_path: Path, ts: str, ok: bool) -> None:
    p = events_csv(tmp_path, "2024-05-01", ts)
    if ok:
        assert load_events(p)["ts"][1] >= TIME_RANGE[0]
        return
    with pytest.raises(
        SchemaError,
        match=r"e\.csv: row 2 \(line 3\), column 'ts': .* is outside the supported time range, "
        r"expected a timestamp from 1900-01-01 up to \(not including\) 2262-04-11 UTC",
    ):
        load_events(p)


def test_time_range_after_the_zone_is_applied(tmp_path: Path) -> None:
    p = events_csv(tmp_path, "1900-01-01 05:00")
    assert load_events(p, options=InputOptions(timezone="America/New_York")).height == 1
    with pytest.raises(SchemaError, match="outside the supported time range"):
        load_events(p, options=InputOptions(timezone="Asia/Tokyo"))


@pytest.mark.parametrize("unit", ["ns", "us", "ms"])
def test_time_range_for_parquet_datetimes(tmp_path: Path, unit: str) -> None:
    lo, hi = TIME_RANGE
    inside = frame([lo, datetime(2262, 4, 10, 23, 59, 59, tzinfo=UTC)], pl.Datetime(unit, "UTC"))
    inside.write_parquet(tmp_path / "in.parquet")
    assert load_events(tmp_path / "in.parquet")["ts"].to_list()[0] == lo
    below = frame([datetime(1899, 12, 31, tzinfo=UTC)], pl.Datetime(unit, "UTC"))
    below.write_parquet(tmp_path / "below.parquet")
    with pytest.raises(
        SchemaError, match=r"below\.parquet: row 1, column 'ts': 1899-12-31T00:00:00Z is outside"
    ):
        load_events(tmp_path / "below.parquet")


def test_scan_without_validation_never_panics(tmp_path: Path) -> None:
    """validate=False (already-checked inputs) on a value Polars cannot cast: no panic."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = frame([datetime(2024, 5, 1)], pl.Datetime("ms")).to_arrow()
    ts = pa.array([9_300_000_000_000_000], type=pa.timestamp("ms"))
    pq.write_table(t.set_column(5, "ts", ts), tmp_path / "far.parquet")
    got = scan_events(tmp_path / "far.parquet", validate=False).collect()
    assert got.height == 1 and got["ts"].item() > TIME_RANGE[1]


# --------------------------------------------------------------------------- folders
def test_folder_resolution_keeps_tables_apart(tmp_path: Path) -> None:
    for name in ("Events-2024.csv", "entities.csv", "labels.parquet", "truth.parquet", "x.txt"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in resolve_inputs(tmp_path, table="events")] == ["Events-2024.csv"]
    assert [p.name for p in resolve_inputs(tmp_path, table="entities")] == ["entities.csv"]
    (tmp_path / "Events-2024.csv").unlink()
    with pytest.raises(InputError, match=r": no events file \(expected events\.parquet/"):
        resolve_inputs(tmp_path, table="events")
    (tmp_path / "dump.ndjson").write_text("x")
    assert [p.name for p in resolve_inputs(tmp_path, table="events")] == ["dump.ndjson"]
    # a file named explicitly is read whatever its name
    assert resolve_inputs(tmp_path / "entities.csv", table="events") == [tmp_path / "entities.csv"]


def test_tables_beside(tmp_path: Path) -> None:
    for name in ("events.parquet", "entities-1.csv", "entities-2.csv"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in tables_beside(tmp_path, "entities") or []] == [
        "entities-1.csv",
        "entities-2.csv",
    ]
    assert tables_beside(tmp_path, "labels") is None
    assert tables_beside([tmp_path], "entities") is not None
    assert tables_beside([tmp_path, tmp_path], "entities") is None
    assert tables_beside(tmp_path / "events.parquet", "entities") is None


# --------------------------------------------------------------------------- id length
def test_id_length_limit_in_bytes(tmp_path: Path) -> None:
    assert MAX_ID_BYTES == 1024
    ok = "é" * (MAX_ID_BYTES // 2)  # 1,024 bytes, 512 characters
    p = tmp_path / "e.csv"
    p.write_text(f"{HEADER}\n{ok},buyer,p,product,order,2024-05-01\n", encoding="utf-8")
    assert load_events(p)["actor_id"].item() == ok
    p.write_text(
        f"{HEADER}\nb1,buyer,p,product,order,2024-05-01\nb{ok},buyer,p,product,order,2024-05-01\n"
    )
    with pytest.raises(
        SchemaError,
        match=r"e\.csv: row 2 \(line 3\), column 'actor_id': .* is 1,025 bytes long, expected an id "
        r"of at most 1,024 bytes \(UTF-8\)",
    ):
        load_events(p)
    lab = tmp_path / "labels.csv"
    lab.write_text(f"entity_type,entity_id,label\n{'t' * 1025},b1,confirmed\n")
    with pytest.raises(SchemaError, match=r"labels\.csv: row 1 \(line 2\), column 'entity_type'"):
        load_labels(lab)


# --------------------------------------------------------------------------- Unix time
# 2024-05-01T10:00:00.123456Z in each unit an export writes it in
UNIX = {
    "s": 1714557600,
    "ms": 1714557600123,
    "us": 1714557600123456,
    "ns": 1714557600123456789,
}


@pytest.mark.parametrize("unit", list(UNIX))
def test_unix_time_numbers_are_read_in_the_unit_their_size_says(tmp_path: Path, unit: str) -> None:
    """An export's epoch column (int64 or float, any unit) is the same UTC instant as its
    ISO-8601 text, and the run is told the numbers were read as Unix time."""
    v = UNIX[unit]
    frame([v], pl.Int64).write_parquet(tmp_path / "i.parquet")
    frame([float(v)], pl.Float64).write_parquet(tmp_path / "f.parquet")
    report = IngestReport()
    got = [load_events(tmp_path / n, report=report)["ts"][0] for n in ("i.parquet", "f.parquet")]
    got.append(load_events(events_csv(tmp_path, str(v)), report=report)["ts"][0])
    micro = {"s": 0, "ms": 123000}.get(unit, 123456)
    want = datetime(2024, 5, 1, 10, 0, 0, micro, tzinfo=UTC)
    assert got[0] == got[2] == want
    assert abs((got[1] - want).total_seconds()) < 1e-3  # a float holds ns only to ~0.3 µs
    assert [(Path(p).name, c) for p, c in report.unix_time] == [
        ("i.parquet", "ts"),
        ("f.parquet", "ts"),
        ("e.csv", "ts"),
    ]
    assert "read as Unix time" in (report.notice() or "") and report.naive_as_utc == []


def test_unix_time_text_beside_iso_text_and_a_fraction_of_a_second(tmp_path: Path) -> None:
    p = events_csv(tmp_path, "2024-05-01T10:00:00Z", "1714557600.5", " 1714557601 ")
    assert load_events(p)["ts"].to_list() == [
        datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC),
        datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC),
    ]


def test_numbers_too_small_for_a_unix_time_are_an_error_not_1970(tmp_path: Path) -> None:
    """Row numbers or a 0 placeholder mapped as ts would otherwise all land on 1970-01-01."""
    frame([1714557600, 0], pl.Int64).write_parquet(tmp_path / "z.parquet")
    with pytest.raises(
        SchemaError,
        match=r"z\.parquet: row 2, column 'ts': cannot parse '0', expected a datetime, an "
        r"ISO-8601 string or a Unix time \(seconds, ms, µs or ns since 1970, at least 100,000,000\)",
    ):
        load_events(tmp_path / "z.parquet")
    with pytest.raises(
        SchemaError, match=r"row 1 \(line 2\), column 'ts': cannot parse '20240501'"
    ):
        load_events(events_csv(tmp_path, "20240501"))  # yyyymmdd is not a Unix time


def test_unix_time_out_of_range_names_the_number(tmp_path: Path) -> None:
    frame([99_999_999_999.0, 1714557600.0], pl.Float64).write_parquet(tmp_path / "o.parquet")
    with pytest.raises(
        SchemaError,
        match=r"row 1, column 'ts': '99999999999\.0' \(Unix time\) is outside the supported time range",
    ):
        load_events(tmp_path / "o.parquet")
    frame([1714557600.0, float("nan")], pl.Float64).write_parquet(tmp_path / "n.parquet")
    with pytest.raises(SchemaError, match=r"row 2, column 'ts': cannot parse 'NaN'"):
        load_events(tmp_path / "n.parquet")


# --------------------------------------------------------------------------- defaults
def test_defaults_give_a_column_to_the_files_that_lack_it(tmp_path: Path) -> None:
    """An export of ``user, listing, verb, when`` (no types) beside one with types: the
    defaults fill the first file only; the second keeps its own values."""
    plain = tmp_path / "reviews.csv"
    plain.write_text("user,listing,verb,when\nu1,l1,rate,2024-05-01\nu2,l1,rate,2024-05-02\n")
    typed = tmp_path / "logins.csv"
    typed.write_text(
        "user,actor_type,listing,target_type,verb,when\nu1,user,d9,phone,unlock,2024-05-01\n"
    )
    opts = InputOptions(defaults={"actor_type": "user", "target_type": "listing"})
    columns = {"actor_id": "user", "target_id": "listing", "action": "verb", "ts": "when"}
    report = IngestReport()
    got = load_events([plain, typed], columns=columns, options=opts, report=report)
    assert got.select("actor_type", "target_type", "action").rows() == [
        ("user", "listing", "rate"),
        ("user", "listing", "rate"),
        ("user", "phone", "unlock"),
    ]
    assert report.defaulted == [(str(plain), "actor_type"), (str(plain), "target_type")]
    assert report.to_dict()["columns_from_defaults"][0] == {
        "path": str(plain),
        "column": "actor_type",
    }
    # the lazy scan reads the same
    lazy = scan_events([plain, typed], columns=columns, options=opts).collect()
    assert lazy.equals(got)


def test_defaults_in_ndjson_and_parquet(tmp_path: Path) -> None:
    rows = [{"actor_id": "u1", "target_id": "l1", "action": "rate", "ts": "2024-05-01"}]
    nd = tmp_path / "e.ndjson"
    nd.write_text(json.dumps(rows[0]) + "\n")
    pq = tmp_path / "e.parquet"
    pl.DataFrame(rows).write_parquet(pq)
    opts = InputOptions(defaults={"actor_type": "user", "target_type": "listing"})
    for p in (nd, pq):
        got = load_events(p, options=opts)
        assert got.select("actor_type", "target_type").row(0) == ("user", "listing"), p


def test_a_missing_type_column_names_the_settings_that_supply_it(tmp_path: Path) -> None:
    p = tmp_path / "reviews.csv"
    p.write_text("actor_id,target_id,action,ts\nu1,l1,rate,2024-05-01\n")
    with pytest.raises(
        SchemaError,
        match=r"reviews\.csv: missing required column 'actor_type'.*"
        r'input\.defaults\.actor_type = "\.\.\."',
    ):
        load_events(p)
    # an id has no default to suggest
    q = tmp_path / "noid.csv"
    q.write_text("actor_type,target_id,target_type,action,ts\nuser,l1,sku,rate,2024-05-01\n")
    with pytest.raises(SchemaError, match=r"missing required column 'actor_id'") as err:
        load_events(q)
    assert "input.defaults" not in str(err.value)


@pytest.mark.parametrize(
    ("defaults", "says"),
    [
        ({"actor_id": "x"}, "input.defaults: column 'actor_id' cannot have a default"),
        ({"ts": "2024-01-01"}, "input.defaults: column 'ts' cannot have a default"),
        ({"actor_type": " "}, "input.defaults: actor_type: expected a non-empty name"),
        ({"action": 3}, "input.defaults: action: expected a non-empty name, got 3"),
        ("user", "input.defaults: expected a table"),
    ],
)
def test_bad_defaults(defaults: object, says: str) -> None:
    with pytest.raises(ConfigError, match=f"^settings: {says}".replace(".", r"\.")):
        Config.from_mapping({"input": {"defaults": defaults}})
    with pytest.raises(ConfigError, match=says.replace(".", r"\.")):
        InputOptions(defaults=defaults)  # type: ignore[arg-type]


def test_a_default_fills_only_the_gaps_of_an_ndjson_key_that_starts_late(tmp_path: Path) -> None:
    # the key first appears after the rows the schema is learnt from: its values are kept,
    # the rows without it take the default
    rows = [
        {"actor_id": f"u{i}", "actor_type": "user", "target_id": "p", "target_type": "item",
         "action": "rate", "ts": "2024-05-01", **({"market": "DE"} if i >= 11_000 else {})}
        for i in range(12_000)
    ]  # fmt: skip
    p = tmp_path / "e.ndjson"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    got = load_events(p, options=InputOptions(defaults={"market": "FR"}))
    assert got["market"].value_counts(sort=True).rows() == [("FR", 11_000), ("DE", 1_000)]


def test_columns_spelled_another_way_are_read_by_name(tmp_path: Path) -> None:
    """An export's ``Actor_ID``, ``ACTION`` or ``Target Type`` is the contract's column;
    the report says which were read so."""
    p = tmp_path / "e.csv"
    p.write_text(
        "Actor_ID,Actor Type,TARGET_ID,targetType,ACTION,Ts,Amount\n"
        "u1,user,l1,listing,rate,2024-05-01,4\n"
    )
    report = IngestReport()
    got = load_events(p, report=report)
    assert got.select("actor_id", "target_type", "action", "amount").row(0) == (
        "u1",
        "listing",
        "rate",
        4.0,
    )
    assert (str(p), "ACTION as action") in report.by_name
    assert len(report.to_dict()["columns_by_name"]) == 7
    assert "another spelling" in (report.notice() or "")


def test_an_exact_name_or_a_mapping_wins_and_two_spellings_are_no_match(tmp_path: Path) -> None:
    exact = tmp_path / "exact.csv"  # actor_id is there: Actor_ID is some other column
    exact.write_text(
        "actor_id,Actor_ID,actor_type,target_id,target_type,action,ts\n"
        "u1,x9,user,l1,listing,rate,2024-05-01\n"
    )
    report = IngestReport()
    assert load_events(exact, report=report)["actor_id"].to_list() == ["u1"]
    assert report.by_name == []
    mapped = tmp_path / "mapped.csv"  # the mapping names the source: nothing guessed
    mapped.write_text("who,Actor_ID,actor_type,target_id,target_type,action,ts\n")
    mapped.write_text(mapped.read_text() + "u1,x9,user,l1,listing,rate,2024-05-01\n")
    assert load_events(mapped, columns={"actor_id": "who"})["actor_id"].to_list() == ["u1"]
    twice = tmp_path / "twice.csv"  # which of the two? neither
    twice.write_text(
        "ActorId,ACTOR_ID,actor_type,target_id,target_type,action,ts\n"
        "u1,u2,user,l1,listing,rate,2024-05-01\n"
    )
    with pytest.raises(SchemaError, match="missing required column 'actor_id'"):
        load_events(twice)
