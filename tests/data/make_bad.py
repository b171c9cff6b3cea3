"""Generate the bad-input corpus under ``tests/data/bad/`` and its manifest ``cases.toml``.

Run from the repository root (re-runnable; it rewrites every case folder it owns)::

    .venv/bin/python tests/data/make_bad.py            # files + cases.toml
    .venv/bin/python tests/data/make_bad.py --doc      # also refresh docs/reliability.md

Each case is a folder ``tests/data/bad/<name>/`` holding its input files, and one entry in
``cases.toml``: the ``ringlens`` command (placeholders: ``{d}`` the case folder, ``{out}`` a
fresh output folder, ``{ok}`` the shared valid events file, ``{run}`` a finished run folder)
and what must happen: ``exit = 2`` plus ``match``, a regex the one-line error must match
(naming the file, column or row), or ``exit = 0`` plus checks of the output (``events``: the
number of events read; ``check``: a named check in ``tests/hardening/test_bad_inputs.py``).
``xfail`` gives the reason a case is a known bug (the test is then ``xfail(strict=True)``).

The "a million events from one actor" and "a target hit by everyone" cases are generated
at test time in a temporary folder (see ``test_bad_inputs.py``), not committed.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad"
ROOT = HERE.parents[1]
DOC = ROOT / "docs" / "reliability.md"

H = "actor_id,actor_type,target_id,target_type,action,ts,amount,market"
ROWS = [
    "b1,buyer,p1,product,order,2024-05-01T10:00:00Z,10.5,US",
    "b2,buyer,p1,product,order,2024-05-01T10:01:00Z,3,US",
    "b3,buyer,p2,product,review,2024-05-01T10:02:00Z,,DE",
    "c1,creator,p2,product,promote,2024-05-01T11:00:00Z,,DE",
]
SCORE = ["-q", "score", "{d}/events.csv", "--out", "{out}", "--json"]


@dataclass
class Case:
    name: str
    what: str  # one line for the docs table
    files: dict[str, bytes]
    cmd: list[str]
    exit: int
    match: str = ""  # regex on the one-line error (exit 2)
    events: int | None = None  # events read (exit 0, score --json)
    check: str = ""  # named extra check in the test (exit 0)
    xfail: str = ""  # known bug: reason (the test is xfail(strict=True))
    group: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def csv(header: str, rows: list[str], *, nl: str = "\n", end: bool = True) -> bytes:
    text = nl.join([header, *rows]) + (nl if end else "")
    return text.encode()


def ok_csv() -> bytes:
    return csv(H, ROWS)


def parquet(frame_kwargs: dict[str, object], schema: dict[str, object] | None = None) -> bytes:
    import polars as pl

    df = pl.DataFrame(frame_kwargs, schema=schema, strict=False)
    buf = io.BytesIO()
    df.write_parquet(buf, statistics=False)
    return buf.getvalue()


def ok_parquet_frame() -> dict[str, object]:
    from datetime import datetime, timezone

    t = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    return {
        "actor_id": ["b1", "b2", "b3"],
        "actor_type": ["buyer"] * 3,
        "target_id": ["p1", "p1", "p2"],
        "target_type": ["product"] * 3,
        "action": ["order", "order", "review"],
        "ts": [t, t, t],
        "amount": [1.0, 2.0, None],
        "market": ["US", "US", "DE"],
    }


def arrow_parquet(columns: dict[str, object]) -> bytes:
    """Parquet written by pyarrow: types Polars cannot write (timestamp[s], far dates)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()


def arrow_events(ts: object) -> bytes:
    n = len(ts)  # type: ignore[arg-type]
    return arrow_parquet(
        {
            "actor_id": [f"b{i}" for i in range(1, n + 1)],
            "actor_type": ["buyer"] * n,
            "target_id": ["p1"] * n,
            "target_type": ["product"] * n,
            "action": ["order"] * n,
            "ts": ts,
        }
    )


def ndjson(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def ev(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "actor_id": "b1",
        "actor_type": "buyer",
        "target_id": "p1",
        "target_type": "product",
        "action": "order",
        "ts": "2024-05-01T10:00:00Z",
    }
    base.update(over)
    return base


def garbage(n: int, seed: int) -> bytes:
    import random

    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def score_file(name: str) -> list[str]:
    return ["-q", "score", "{d}/" + name, "--out", "{out}", "--json"]


def with_cfg(toml: str, *args: str) -> tuple[dict[str, bytes], list[str]]:
    files = {"ringlens.toml": toml.encode()}
    cmd = ["-q", "--config", "{d}/ringlens.toml", "score", "{ok}", "--out", "{out}", "--json"]
    return files, cmd + list(args)


def with_policy(toml: str | bytes) -> tuple[dict[str, bytes], list[str]]:
    data = toml.encode() if isinstance(toml, str) else toml
    files = {"policy.toml": data}
    return files, [
        "-q",
        "score",
        "{ok}",
        "--out",
        "{out}",
        "--policy",
        "{d}/policy.toml",
        "--json",
    ]


def cases() -> list[Case]:  # noqa: PLR0915 - one table
    out: list[Case] = []

    def add(group: str, *cs: Case) -> None:
        for c in cs:
            c.group = group
            out.append(c)

    # ------------------------------------------------------------------ files
    pq_ok = parquet(ok_parquet_frame())
    half = pq_ok[: len(pq_ok) // 2]
    mid = bytearray(pq_ok)
    for i in range(8, len(mid) - 8):
        mid[i] = 0
    add(
        "files",
        Case(
            "empty_csv", "0-byte CSV", {"events.csv": b""}, SCORE, 2, r"events\.csv: file is empty"
        ),
        Case(
            "empty_parquet",
            "0-byte Parquet",
            {"events.parquet": b""},
            score_file("events.parquet"),
            2,
            r"events\.parquet: file is empty",
        ),
        Case(
            "empty_ndjson",
            "0-byte NDJSON",
            {"events.ndjson": b""},
            score_file("events.ndjson"),
            2,
            r"events\.ndjson: file is empty",
        ),
        Case(
            "header_only_csv",
            "CSV with a header and no rows",
            {"events.csv": (H + "\n").encode()},
            SCORE,
            2,
            r"events\.csv: file has a header but no rows",
        ),
        Case(
            "zero_rows_parquet",
            "Parquet with a schema and no rows",
            {"events.parquet": parquet({k: v[:0] for k, v in ok_parquet_frame().items()})},  # type: ignore[index]
            score_file("events.parquet"),
            2,
            r"events\.parquet: file has a header but no rows",
        ),
        Case(
            "truncated_parquet",
            "first half of a Parquet file",
            {"events.parquet": half},
            score_file("events.parquet"),
            2,
            r"events\.parquet: not a valid Parquet file \(truncated or corrupt",
        ),
        Case(
            "corrupt_parquet",
            "Parquet with both PAR1 markers but a zeroed body",
            {"events.parquet": bytes(mid)},
            score_file("events.parquet"),
            2,
            r"events\.parquet: cannot be read as parquet",
        ),
        Case(
            "garbage_csv",
            "4 KB of random bytes named .csv",
            {"events.csv": garbage(4096, 1)},
            SCORE,
            2,
            r"events\.csv: not UTF-8 text \(NUL bytes",
        ),
        Case(
            "garbage_parquet",
            "4 KB of random bytes named .parquet",
            {"events.parquet": garbage(4096, 2)},
            score_file("events.parquet"),
            2,
            r"events\.parquet: not a valid Parquet file",
        ),
        Case(
            "garbage_ndjson",
            "4 KB of random bytes named .ndjson",
            {"events.ndjson": garbage(4096, 3)},
            score_file("events.ndjson"),
            2,
            r"events\.ndjson: (not valid UTF-8 text|cannot be read as ndjson)",
        ),
        Case(
            "unknown_extension",
            "events.xlsx",
            {"events.xlsx": ok_csv()},
            score_file("events.xlsx"),
            2,
            r"events\.xlsx: unknown file type '\.xlsx'",
        ),
        Case(
            "missing_file",
            "a path that does not exist",
            {},
            score_file("nope.parquet"),
            2,
            r"nope\.parquet: no such file or folder",
        ),
        Case(
            "folder_without_data",
            "a folder holding only a README",
            {"README.txt": b"no data here\n"},
            ["-q", "score", "{d}", "--out", "{out}"],
            2,
            r"folder has no data files",
        ),
        Case(
            "glob_no_match",
            "a glob matching nothing",
            {},
            ["-q", "score", "{d}/*.parquet", "--out", "{out}"],
            2,
            r"\*\.parquet: no file matches this pattern",
        ),
        Case(
            "folder_mixed_formats",
            "a folder with events-a.csv and events-b.ndjson",
            {
                "events-a.csv": ok_csv(),
                "events-b.ndjson": ndjson([ev(actor_id=5, amount=2), ev(actor_id="b9")]),
            },
            ["-q", "score", "{d}", "--out", "{out}", "--json"],
            0,
            events=6,
        ),
        Case(
            "folder_second_file_bad",
            "a folder whose second file has an empty actor_id",
            {
                "events-a.csv": ok_csv(),
                "events-b.csv": csv(H, [ROWS[0], ",buyer,p1,product,order,2024-05-01,,"]),
            },
            ["-q", "score", "{d}", "--out", "{out}"],
            2,
            r"events-b\.csv: row 2 \(line 3\), column 'actor_id': null or empty value",
        ),
        Case(
            "folder_only_entities",
            "a folder holding only entities.parquet",
            {"entities.parquet": parquet({"entity_type": ["buyer"], "entity_id": ["b1"]})},
            ["-q", "score", "{d}", "--out", "{out}"],
            2,
            r"folder_only_entities: no events file \(expected events\.parquet/\.csv/\.ndjson/\.jsonl",
        ),
        Case(
            "folder_tables_apart",
            "a folder with export.csv, entities.csv, labels.csv, truth.parquet: events = export.csv",
            {
                "export.csv": ok_csv(),
                "entities.csv": b"entity_type,entity_id\nbuyer,b1\n",
                "labels.csv": b"entity_type,entity_id,label\nbuyer,b1,cleared\n",
                "truth.parquet": parquet({"ring": ["r1"], "entity_id": ["b1"]}),
            },
            ["-q", "score", "{d}", "--out", "{out}", "--json"],
            0,
            events=4,
        ),
        Case(
            "crlf_no_final_newline",
            "CSV with CRLF line ends and no final newline",
            {"events.csv": csv(H, ROWS, nl="\r\n", end=False)},
            SCORE,
            0,
            events=4,
        ),
        Case(
            "tsv",
            "tab-separated events.tsv",
            {"events.tsv": csv(H.replace(",", "\t"), [r.replace(",", "\t") for r in ROWS])},
            score_file("events.tsv"),
            0,
            events=4,
        ),
        Case(
            "ragged_csv",
            "a CSV row with more fields than the header",
            {"events.csv": csv(H, [*ROWS[:2], ROWS[2] + ",x,y", ROWS[3]])},
            SCORE,
            2,
            r"events\.csv: ",
        ),
        Case(
            "unterminated_quote",
            "a CSV field with an opening quote and no closing one",
            {
                "events.csv": csv(
                    H, [ROWS[0], '"b2,buyer,p1,product,order,2024-05-01T10:01:00Z,3,US']
                )
            },
            SCORE,
            2,
            r"events\.csv: ",
        ),
    )

    # ------------------------------------------------------------------ columns
    h_no_target = "actor_id,actor_type,target_type,action,ts"
    add(
        "columns",
        Case(
            "missing_required_column",
            "no target_id column",
            {"events.csv": csv(h_no_target, ["b1,buyer,product,order,2024-05-01"])},
            SCORE,
            2,
            r"events\.csv: missing required column 'target_id'",
        ),
        Case(
            "missing_optional_columns",
            "no amount, no market",
            {"events.csv": csv(H.rsplit(",", 2)[0], [r.rsplit(",", 2)[0] for r in ROWS])},
            SCORE,
            0,
            events=4,
        ),
        Case(
            "extra_columns",
            "three columns outside the contract",
            {"events.csv": csv(H + ",note,x,y", [r + ",hi,1,2" for r in ROWS])},
            SCORE,
            0,
            events=4,
        ),
        Case(
            "duplicate_column_names",
            "actor_id twice in the header",
            {"events.csv": csv(H + ",actor_id", [r + ",zz" for r in ROWS])},
            SCORE,
            2,
            r"events\.csv: .*actor_id",
        ),
        Case(
            "header_with_spaces",
            "' actor_id' with a leading space",
            {"events.csv": csv(H.replace(",", ", "), [r.replace(",", ", ") for r in ROWS])},
            SCORE,
            2,
            r"events\.csv: missing required column 'actor_type'",
        ),
        Case(
            "uppercase_header",
            "ACTOR_ID, ACTOR_TYPE, ... (read by name)",
            {"events.csv": csv(H.upper(), ROWS)},
            SCORE,
            0,
            events=4,
        ),
        Case(
            "column_mapping",
            "input.columns maps user -> actor_id",
            {
                "events.csv": csv(H.replace("actor_id", "user"), ROWS),
                "ringlens.toml": b'[input.columns]\nactor_id = "user"\n',
            },
            ["-q", "--config", "{d}/ringlens.toml", *SCORE[1:]],
            0,
            events=4,
        ),
        Case(
            "mapping_to_missing_column",
            "input.columns names a column the file lacks",
            {"events.csv": ok_csv(), "ringlens.toml": b'[input.columns]\nactor_id = "user"\n'},
            ["-q", "--config", "{d}/ringlens.toml", *SCORE[1:]],
            2,
            r"events\.csv: column 'user' \(mapped to 'actor_id'\) not found",
        ),
        Case(
            "mapping_unknown_contract_column",
            "input.columns maps to a column outside the contract",
            {"ringlens.toml": b'[input.columns]\nuser_id = "actor_id"\n'},
            ["-q", "--config", "{d}/ringlens.toml", "score", "{ok}", "--out", "{out}"],
            2,
            r"column mapping for events: unknown column 'user_id'",
        ),
    )

    # ------------------------------------------------------------------ types
    f = ok_parquet_frame()
    add(
        "types",
        Case(
            "float_ids_parquet",
            "actor_id stored as float64",
            {"events.parquet": parquet({**f, "actor_id": [1.0, 2.0, 3.5]})},
            score_file("events.parquet"),
            2,
            r"events\.parquet: column 'actor_id' has type Float64, expected a string \(or integer\) id",
        ),
        Case(
            "int_ids_parquet",
            "ids stored as int64 (read as strings)",
            {"events.parquet": parquet({**f, "actor_id": [1, 2, 3], "target_id": [9, 9, 8]})},
            score_file("events.parquet"),
            0,
            events=3,
        ),
        Case(
            "ts_as_integer_parquet",
            "ts stored as int64 Unix seconds (read as UTC)",
            {"events.parquet": parquet({**f, "ts": [1714557600, 1714557601, 1714557602]})},
            score_file("events.parquet"),
            0,
            events=3,
        ),
        Case(
            "ts_unix_ms_float_parquet",
            "ts stored as float Unix milliseconds (read as UTC)",
            {
                "events.parquet": parquet(
                    {**f, "ts": [1714557600000.0, 1714557601000.5, 1714557602e3]}
                )
            },
            score_file("events.parquet"),
            0,
            events=3,
        ),
        Case(
            "ts_small_integer_parquet",
            "ts stored as small integers (row numbers, not a time)",
            {"events.parquet": parquet({**f, "ts": [1, 2, 3]})},
            score_file("events.parquet"),
            2,
            r"events\.parquet: row 1, column 'ts': cannot parse '1', expected a datetime, an "
            r"ISO-8601 string or a Unix time \(seconds, ms, µs or ns since 1970, at least 100,000,000\)",
        ),
        Case(
            "ts_as_bool_parquet",
            "ts stored as booleans",
            {"events.parquet": parquet({**f, "ts": [True, False, True]})},
            score_file("events.parquet"),
            2,
            r"events\.parquet: column 'ts' has type Boolean, expected a datetime, an ISO-8601 string or a Unix time",
        ),
        Case(
            "amount_text_parquet",
            "amount stored as text with a non-number",
            {"events.parquet": parquet({**f, "amount": ["1.5", "abc", None]})},
            score_file("events.parquet"),
            2,
            r"events\.parquet: row 2, column 'amount': cannot parse 'abc', expected a number",
        ),
        Case(
            "nan_amount_parquet",
            "amount NaN in a float column",
            {"events.parquet": parquet({**f, "amount": [1.0, float("nan"), 2.0]})},
            score_file("events.parquet"),
            2,
            r"events\.parquet: row 2, column 'amount': value 'NaN' is not finite",
        ),
        Case(
            "inf_amount_csv",
            "amount 'inf' and 'nan' as CSV text",
            {"events.csv": csv(H, [ROWS[0], ROWS[1].replace(",3,", ",inf,"), ROWS[2]])},
            SCORE,
            2,
            r"events\.csv: row 2 \(line 3\), column 'amount': .*not finite",
        ),
        Case(
            "bool_ids_ndjson",
            "actor_id true/false in NDJSON",
            {"events.ndjson": ndjson([ev(actor_id=True), ev(actor_id=False)])},
            score_file("events.ndjson"),
            2,
            r"events\.ndjson: column 'actor_id' has type Boolean",
        ),
        Case(
            "struct_id_ndjson",
            "target_id an object in NDJSON",
            {"events.ndjson": ndjson([ev(target_id={"a": 1}), ev(target_id={"a": 2})])},
            score_file("events.ndjson"),
            2,
            r"events\.ndjson: column 'target_id' has type Struct",
        ),
        Case(
            "list_id_ndjson",
            "actor_id a list in NDJSON",
            {"events.ndjson": ndjson([ev(actor_id=[1, 2]), ev(actor_id=[3])])},
            score_file("events.ndjson"),
            2,
            r"events\.ndjson: column 'actor_id' has type List",
        ),
        Case(
            "mixed_type_ids_ndjson",
            "actor_id an integer in one row, a string in the next",
            {"events.ndjson": ndjson([ev(actor_id=1), ev(actor_id="b2"), ev(actor_id=3)])},
            score_file("events.ndjson"),
            0,
            events=3,
        ),
        Case(
            "mixed_type_amount_csv",
            "amount a number, then text",
            {"events.csv": csv(H, [ROWS[0], ROWS[1].replace(",3,", ",three,"), ROWS[2]])},
            SCORE,
            2,
            r"events\.csv: row 2 \(line 3\), column 'amount': cannot parse 'three', expected a number",
        ),
        Case(
            "ndjson_not_objects",
            "NDJSON lines that are arrays, not objects",
            {"events.ndjson": b'[1, 2, 3]\n["a", "b"]\n'},
            score_file("events.ndjson"),
            2,
            r"events\.ndjson: ",
        ),
    )

    # ------------------------------------------------------------------ nulls
    add(
        "nulls",
        Case(
            "empty_actor_id",
            "empty actor_id in row 2",
            {"events.csv": csv(H, [ROWS[0], "," + ROWS[1].split(",", 1)[1], ROWS[2]])},
            SCORE,
            2,
            r"events\.csv: row 2 \(line 3\), column 'actor_id': null or empty value",
        ),
        Case(
            "blank_target_id",
            "target_id of three spaces in row 3",
            {"events.csv": csv(H, [ROWS[0], ROWS[1], ROWS[2].replace(",p2,", ",   ,")])},
            SCORE,
            2,
            r"events\.csv: row 3 \(line 4\), column 'target_id': null or empty value",
        ),
        Case(
            "null_id_parquet",
            "null target_id in Parquet row 3",
            {"events.parquet": parquet({**f, "target_id": ["p1", "p1", None]})},
            score_file("events.parquet"),
            2,
            r"events\.parquet: row 3, column 'target_id': null or empty value",
        ),
        Case(
            "empty_ts",
            "empty ts in row 1",
            {"events.csv": csv(H, [ROWS[0].replace("2024-05-01T10:00:00Z", ""), *ROWS[1:]])},
            SCORE,
            2,
            r"events\.csv: row 1 \(line 2\), column 'ts': null or empty value",
        ),
        Case(
            "empty_action",
            "empty action in row 4",
            {"events.csv": csv(H, [*ROWS[:3], ROWS[3].replace(",promote,", ",,")])},
            SCORE,
            2,
            r"events\.csv: row 4 \(line 5\), column 'action': null or empty value",
        ),
        Case(
            "null_ids_ndjson",
            "actor_type null in NDJSON row 2",
            {"events.ndjson": ndjson([ev(), ev(actor_type=None)])},
            score_file("events.ndjson"),
            2,
            r"events\.ndjson: row 2, column 'actor_type': null or empty value",
        ),
        Case(
            "empty_market_and_amount",
            "optional columns empty everywhere",
            {"events.csv": csv(H, [r.rsplit(",", 2)[0] + ",," for r in ROWS])},
            SCORE,
            0,
            events=4,
        ),
    )

    # ------------------------------------------------------------------ timestamps
    def ts_case(name: str, what: str, value: str, exit_code: int, match: str = "") -> Case:
        rows = [ROWS[0], ROWS[1].replace("2024-05-01T10:01:00Z", value), *ROWS[2:]]
        return Case(
            name,
            what,
            {"events.csv": csv(H, rows)},
            SCORE,
            exit_code,
            match,
            4 if not match else None,
        )

    bad_ts = r"events\.csv: row 2 \(line 3\), column 'ts': cannot parse {}, expected a datetime, an ISO-8601 string or a Unix time"
    out_of_range = (
        r"events\.csv: row 2 \(line 3\), column 'ts': {} is outside the supported time range, "
        r"expected a timestamp from 1900-01-01 up to \(not including\) 2262-04-11 UTC"
    )
    add(
        "timestamps",
        ts_case("ts_words", "ts 'yesterday'", "yesterday", 2, bad_ts.format("'yesterday'")),
        ts_case(
            "ts_month_13",
            "ts 2024-13-01",
            "2024-13-01T00:00:00",
            2,
            bad_ts.format(r"'2024-13-01T00:00:00'"),
        ),
        ts_case("ts_feb_30", "ts 2024-02-30", "2024-02-30", 2, bad_ts.format("'2024-02-30'")),
        ts_case(
            "ts_hour_25",
            "ts 25:00",
            "2024-05-01 25:00:00",
            2,
            bad_ts.format("'2024-05-01 25:00:00'"),
        ),
        ts_case(
            "ts_year_10000",
            "ts in year 10000",
            "10000-01-01T00:00:00",
            2,
            bad_ts.format("'10000-01-01T00:00:00'"),
        ),
        ts_case("ts_epoch_text", "ts as Unix seconds text (read as UTC)", "1714557600", 0),
        ts_case(
            "ts_compact_date_text",
            "ts as 8 digits (yyyymmdd is no Unix time)",
            "20240501",
            2,
            bad_ts.format("'20240501'"),
        ),
        ts_case(
            "ts_named_zone",
            "ts with an IANA zone name",
            "2024-05-01T10:00:00 Europe/Berlin",
            2,
            bad_ts.format(r"'2024-05-01T10:00:00 Europe/Berlin'"),
        ),
        ts_case(
            "ts_year_1",
            "ts 0001-01-01 next to 2024",
            "0001-01-01T00:00:00",
            2,
            out_of_range.format("'0001-01-01T00:00:00'"),
        ),
        ts_case(
            "ts_year_9999",
            "ts 9999-12-31 23:59:59.999999",
            "9999-12-31T23:59:59.999999",
            2,
            out_of_range.format("'9999-12-31T23:59:59.999999'"),
        ),
        ts_case(
            "ts_year_1900",
            "ts 1900-01-01T00:00:00Z (the first supported instant)",
            "1900-01-01T00:00:00Z",
            0,
        ),
        ts_case(
            "ts_year_2262",
            "ts 2262-04-10T23:59:59.999999Z (the last supported day)",
            "2262-04-10T23:59:59.999999Z",
            0,
        ),
        ts_case("ts_padded", "ts with spaces around it", "  2024-05-01 10:01  ", 0),
        ts_case("ts_date_only", "ts a bare date", "2024-05-01", 0),
        Case(
            "ts_mixed_formats",
            "one ts column with Z, offset, space, minutes-only and date-only values",
            {
                "events.csv": csv(
                    H,
                    [
                        "b1,buyer,p1,product,order,2024-05-01T10:00:00Z,,",
                        "b2,buyer,p1,product,order,2024-05-01T10:00:00.123456+02:00,,",
                        "b3,buyer,p1,product,order,2024-05-01 10:00,,",
                        "b4,buyer,p1,product,order,2024-05-01,,",
                    ],
                )
            },
            SCORE,
            0,
            events=4,
        ),
        Case(
            "ts_offsets",
            "the same instant as Z, +05:30, -0800 and naive UTC",
            {
                "events.csv": csv(
                    H,
                    [
                        "b1,buyer,p1,product,order,2024-05-01T10:00:00Z,,",
                        "b2,buyer,p1,product,order,2024-05-01T15:30:00+05:30,,",
                        "b3,buyer,p1,product,order,2024-05-01T02:00:00-0800,,",
                        "b4,buyer,p1,product,order,2024-05-01 10:00:00,,",
                    ],
                )
            },
            SCORE,
            0,
            events=4,
            check="same_instant",
        ),
        Case(
            "ts_zoned_parquet",
            "ts Datetime with time zone Asia/Tokyo in Parquet",
            {"events.parquet": b""},  # filled below: a zoned column
            score_file("events.parquet"),
            0,
            events=3,
        ),
    )
    import polars as pl

    zoned = pl.DataFrame(f).with_columns(pl.col("ts").dt.convert_time_zone("Asia/Tokyo"))
    buf = io.BytesIO()
    zoned.write_parquet(buf, statistics=False)
    out[-1].files["events.parquet"] = buf.getvalue()
    import pyarrow as pa

    far = "is outside the supported time range"
    add(
        "timestamps",
        Case(
            "ts_parquet_seconds_far",
            "Parquet timestamp[s] of -62e12 s (year -1,962,732, beyond Polars' datetime range)",
            {
                "events.parquet": arrow_events(
                    pa.array([-62 * 10**12, 1_714_557_600], pa.timestamp("s", tz="UTC"))
                )
            },
            score_file("events.parquet"),
            2,
            r"events\.parquet: row 1, column 'ts': .*about year -1,962,732\) " + far,
        ),
        Case(
            "ts_parquet_ms_far",
            "Parquet timestamp[ms] of 9.3e15 ms (year 296,675, beyond 64-bit microseconds)",
            {
                "events.parquet": arrow_events(
                    pa.array([1_714_557_600_000, 93 * 10**14], pa.timestamp("ms"))
                )
            },
            score_file("events.parquet"),
            2,
            r"events\.parquet: row 2, column 'ts': .* " + far,
        ),
        Case(
            "ts_parquet_date_far",
            "Parquet date32 of 100,000,000 days (year 275,760)",
            {"events.parquet": arrow_events(pa.array([19_844, 100_000_000], pa.date32()))},
            score_file("events.parquet"),
            2,
            r"events\.parquet: row 2, column 'ts': .* " + far,
        ),
        Case(
            "ts_year_1_with_entities",
            "ts 0001-01-01 in a folder that also holds entities.csv (account age is computed)",
            {
                "events.csv": csv(
                    "actor_id,actor_type,target_id,target_type,action,ts",
                    ["b1,buyer,p,product,order,0001-01-01", "b2,buyer,p,product,order,2024-05-01"],
                ),
                "entities.csv": b"entity_type,entity_id\nbuyer,b1\n",
            },
            ["-q", "score", "{d}", "--out", "{out}"],
            2,
            r"events\.csv: row 1 \(line 2\), column 'ts': '0001-01-01' " + far,
        ),
        Case(
            "entities_created_at_1800",
            "entities created_at 1800-01-01",
            {
                "entities.csv": b"entity_type,entity_id,created_at\n"
                b"buyer,b1,2024-01-01\nbuyer,b2,1800-01-01\n"
            },
            ["-q", "score", "{ok}", "--out", "{out}", "--entities", "{d}/entities.csv"],
            2,
            r"entities\.csv: row 2 \(line 3\), column 'created_at': '1800-01-01' " + far,
        ),
        Case(
            "ts_range_ends_with_entities",
            "events and entities at 1900-01-01 and 2262-04-10 (account age, windows, sinks)",
            {
                "events.csv": csv(
                    H,
                    [
                        "b1,buyer,p1,product,order,1900-01-01T00:00:00Z,1,US",
                        "b2,buyer,p1,product,order,2262-04-10T23:59:59Z,1,US",
                        *ROWS[2:],
                    ],
                ),
                "entities.csv": b"entity_type,entity_id,created_at\n"
                b"buyer,b1,1900-01-01\nbuyer,b2,2262-04-10\n",
            },
            ["-q", "score", "{d}", "--out", "{out}", "--json"],
            0,
            events=4,
        ),
    )

    # ------------------------------------------------------------------ encodings
    excel = "\ufeff" + "".join(
        [H.replace(",", ";") + "\r\n"]
        + [
            f"b{k};buyer;p{j};product;order;{d:02d}/05/2024 0{k}:30;12,5;DE\r\n"
            for d in (1, 8)
            for k in range(6)
            for j in (1, 2)
        ]
    )
    latin = (H + "\n" + "Jos\xe9,buyer,p1,product,order,2024-05-01T10:00:00Z,,\n").encode("latin-1")
    add(
        "encodings",
        Case(
            "bom_utf8",
            "UTF-8 with a byte-order mark",
            {"events.csv": b"\xef\xbb\xbf" + ok_csv()},
            SCORE,
            0,
            events=4,
        ),
        Case(
            "latin1",
            "Latin-1 bytes (é = 0xE9) in an id",
            {"events.csv": latin + csv(H, ROWS[1:])[len(H) + 1 :]},
            SCORE,
            2,
            r"events\.csv: not valid UTF-8 text",
        ),
        Case(
            "latin1_collision",
            "Latin-1 ids 'Jos\\xe9' and 'Jos\\xe8' (two accounts)",
            {
                "events.csv": (
                    H + "\nJos\xe9,buyer,p1,product,order,2024-05-01,,\n"
                    "Jos\xe8,buyer,p1,product,order,2024-05-01,,\n"
                ).encode("latin-1")
            },
            SCORE,
            2,
            r"events\.csv: .*(UTF-8|encoding)",
        ),
        Case(
            "utf16_le",
            "UTF-16 LE with BOM",
            {"events.csv": ok_csv().decode().encode("utf-16")},
            SCORE,
            2,
            r"events\.csv: not UTF-8 text .*UTF-16",
        ),
        Case(
            "utf16_be",
            "UTF-16 BE without BOM",
            {"events.csv": ok_csv().decode().encode("utf-16-be")},
            SCORE,
            2,
            r"events\.csv: not UTF-8 text .*UTF-16",
        ),
        Case(
            "bom_ndjson",
            "NDJSON with a UTF-8 byte-order mark",
            {"events.ndjson": b"\xef\xbb\xbf" + ndjson([ev(), ev(actor_id="b2")])},
            score_file("events.ndjson"),
            0,
            events=2,
        ),
        Case(
            "ndjson_lone_surrogate",
            "NDJSON id '\\ud800', an unpaired surrogate escape",
            {"events.ndjson": ndjson([ev()]) + ndjson([ev()]).replace(b'"b1"', b'"\\ud800"')},
            score_file("events.ndjson"),
            2,
            r"events\.ndjson: row 2, column 'actor_id': '\\ud800' contains an unpaired UTF-16 surrogate",
        ),
        Case(
            "excel_semicolon",
            "an Excel export (BOM, ';', dd/mm/yyyy HH:MM, decimal comma) without input settings",
            {"events.csv": excel.encode()},
            SCORE,
            2,
            r"events\.csv: .*looks ';'-separated: set input\.separator = ';'",
        ),
        Case(
            "excel_with_input_settings",
            "the same export with input.separator, decimal_comma, timestamp_format and timezone",
            {
                "events.csv": excel.encode(),
                "ringlens.toml": (
                    b'[input]\nseparator = ";"\ndecimal_comma = true\n'
                    b'timestamp_format = "%d/%m/%Y %H:%M"\ntimezone = "Europe/Berlin"\n'
                ),
            },
            ["-q", "--config", "{d}/ringlens.toml", *SCORE[1:]],
            0,
            events=24,
        ),
    )

    # ------------------------------------------------------------------ ids
    long_id = "L" * 20_000
    max_id = "é" * 512  # 1,024 bytes in UTF-8
    add(
        "ids",
        Case(
            "ids_newlines_quotes_commas",
            "quoted ids with newlines, quotes, commas",
            {
                "events.csv": csv(
                    H,
                    [
                        '"b\n1",buyer,"p,1",product,order,2024-05-01T10:00:00Z,,',
                        '"b""2",buyer,"p,1",product,order,2024-05-01T10:00:00Z,,',
                        "b3,buyer,p2,product,order,2024-05-01T10:00:00Z,,",
                    ],
                )
            },
            SCORE,
            0,
            events=3,
            check="ids_roundtrip",
            extra={"ids": ["b\n1", 'b"2', "p,1"]},
        ),
        Case(
            "ids_emoji_and_rtl",
            "emoji, RTL and combining characters in ids",
            {
                "events.csv": csv(
                    H,
                    [
                        "🙂,buyer,商品,product,order,2024-05-01T10:00:00Z,,",
                        "\u202eevil,buyer,商品,product,order,2024-05-01T10:00:00Z,,",
                        "e\u0301,buyer,商品,product,order,2024-05-01T10:00:00Z,,",
                    ],
                )
            },
            SCORE,
            0,
            events=3,
            check="ids_roundtrip",
            extra={"ids": ["🙂", "\u202eevil", "e\u0301", "商品"]},
        ),
        Case(
            "ids_very_long",
            "a 20,000-character id",
            {
                "events.csv": csv(
                    H, [f"{long_id},buyer,p1,product,order,2024-05-01T10:00:00Z,,"] + ROWS[1:]
                )
            },
            SCORE,
            2,
            r"events\.csv: row 1 \(line 2\), column 'actor_id': 'L+…' is 20,000 bytes long, "
            r"expected an id of at most 1,024 bytes",
        ),
        Case(
            "ids_1024_bytes",
            "a 1,024-byte id (the longest supported; 2-byte characters)",
            {
                "events.csv": csv(
                    H, [f"{max_id},buyer,p1,product,order,2024-05-01T10:00:00Z,,"] + ROWS[1:]
                )
            },
            SCORE,
            0,
            events=4,
            check="ids_roundtrip",
            extra={"ids": [max_id]},
        ),
        Case(
            "ids_with_colons",
            "ids 'a:b', 'p:1', ':x:' (':' is legal in ids)",
            {
                "events.csv": csv(
                    H,
                    [
                        "a:b,buyer,p:1,product,order,2024-05-01T10:00:00Z,,",
                        ":x:,buyer,p:1,product,order,2024-05-01T10:00:00Z,,",
                    ],
                )
            },
            SCORE,
            0,
            events=2,
            check="ids_roundtrip",
            extra={"ids": ["a:b", "p:1", ":x:"]},
        ),
        Case(
            "type_with_colon",
            "actor_type 'buy:er' (':' separates type and id in node keys)",
            {
                "events.csv": csv(
                    H,
                    [
                        "a,buyer,p1,product,order,2024-05-01T10:00:00Z,,",
                        "x,buy:er,p1,product,order,2024-05-01T10:00:00Z,,",
                    ],
                )
            },
            SCORE,
            2,
            r"events\.csv: row 2 \(line 3\), column 'actor_type': type 'buy:er' contains ':'",
        ),
        Case(
            "labels_type_with_colon",
            "labels entity_type 'buy:er'",
            {"labels.csv": b"entity_type,entity_id,label\nbuy:er,b1,confirmed\n"},
            ["-q", "score", "{ok}", "--out", "{out}", "--labels", "{d}/labels.csv"],
            2,
            r"labels\.csv: row 1 \(line 2\), column 'entity_type': type 'buy:er' contains ':'",
        ),
        Case(
            "ids_nul_byte",
            "an id containing a NUL byte",
            {"events.parquet": parquet({**f, "actor_id": ["a\x00b", "a\x00c", "a"]})},
            score_file("events.parquet"),
            2,
            r"events\.parquet: row 1, column 'actor_id': 'a\\x00b' contains a NUL character",
        ),
        Case(
            "market_nul",
            "a NUL in market (a column the queue sinks store)",
            {"events.parquet": parquet({**f, "market": ["US", "U\x00S", "DE"]})},
            score_file("events.parquet"),
            2,
            r"events\.parquet: row 2, column 'market': 'U\\x00S' contains a NUL character",
        ),
        Case(
            "display_name_nul",
            "a NUL in an entity's display_name",
            {
                "entities.parquet": parquet(
                    {"entity_type": ["buyer"], "entity_id": ["b1"], "display_name": ["B\x00ee"]}
                )
            },
            ["-q", "score", "{ok}", "--out", "{out}", "--entities", "{d}/entities.parquet"],
            2,
            r"entities\.parquet: row 1, column 'display_name': 'B\\x00ee' contains a NUL character",
        ),
        Case(
            "ids_numeric_strings",
            "ids '007' and '7' are different ids",
            {
                "events.csv": csv(
                    H,
                    [
                        "007,buyer,p1,product,order,2024-05-01T10:00:00Z,,",
                        "7,buyer,p1,product,order,2024-05-01T10:00:00Z,,",
                    ],
                )
            },
            ["-q", "graph-stats", "{d}/events.csv", "--json", "--top", "100"],
            0,
            check="ids_roundtrip",
            extra={"ids": ["007", "7"]},
        ),
    )

    # ------------------------------------------------------------------ graph shapes
    add(
        "shapes",
        Case(
            "single_event",
            "one event",
            {"events.csv": csv(H, ROWS[:1])},
            SCORE,
            0,
            events=1,
            check="empty_queue",
        ),
        Case(
            "self_loops_only",
            "every event is buyer:1 -> buyer:1 (one node, only self-loops)",
            {"events.csv": csv(H, ["1,buyer,1,buyer,follow,2024-05-01T10:00:00Z,,"] * 5)},
            SCORE,
            0,
            events=5,
            check="empty_queue",
        ),
        Case(
            "duplicate_rows",
            "the same event 200 times",
            {"events.csv": csv(H, [ROWS[0]] * 200)},
            SCORE,
            0,
            events=200,
        ),
        Case(
            "amount_overflow",
            "amounts of 1e308 whose sum overflows",
            {"events.csv": csv(H, ["b1,buyer,p1,product,order,2024-05-01,1e308,"] * 3)},
            SCORE,
            0,
            events=3,
        ),
        Case(
            "same_second_burst",
            "30 buyers order the same 3 products in the same second",
            {
                "events.csv": csv(
                    H,
                    [
                        f"b{i},buyer,p{j},product,order,2024-05-01T10:00:00Z,1,US"
                        for i in range(30)
                        for j in range(3)
                    ]
                    + [
                        f"b{i},buyer,p{j},product,order,2024-05-02T10:00:00Z,1,US"
                        for i in range(30)
                        for j in range(3)
                    ],
                )
            },
            SCORE,
            0,
            events=180,
        ),
    )

    # ------------------------------------------------------------------ entities, labels
    ok_side = ["-q", "score", "{ok}", "--out", "{out}", "--json"]
    add(
        "tables",
        Case(
            "entities_missing_id",
            "entities without entity_id",
            {"entities.csv": b"entity_type,created_at\nbuyer,2024-01-01\n"},
            [*ok_side, "--entities", "{d}/entities.csv"],
            2,
            r"entities\.csv: missing required column 'entity_id'",
        ),
        Case(
            "entities_bad_created_at",
            "entities created_at 'last week'",
            {
                "entities.csv": b"entity_type,entity_id,created_at\nbuyer,b1,2024-01-01\nbuyer,b2,last week\n"
            },
            [*ok_side, "--entities", "{d}/entities.csv"],
            2,
            r"entities\.csv: row 2 \(line 3\), column 'created_at': cannot parse 'last week'",
        ),
        Case(
            "entities_prior_violations_text",
            "prior_violations 'many'",
            {"entities.csv": b"entity_type,entity_id,prior_violations\nbuyer,b1,many\n"},
            [*ok_side, "--entities", "{d}/entities.csv"],
            2,
            r"entities\.csv: row 1 \(line 2\), column 'prior_violations': cannot parse 'many', expected an integer",
        ),
        Case(
            "entities_events_file",
            "the events file given as --entities",
            {},
            [*ok_side, "--entities", "{ok}"],
            2,
            r"events\.csv: missing required column 'entity_type'",
        ),
        Case(
            "labels_bad_value",
            "label 'maybe'",
            {"labels.csv": b"entity_type,entity_id,label\nbuyer,b1,confirmed\nbuyer,b2,maybe\n"},
            [*ok_side, "--labels", "{d}/labels.csv"],
            2,
            r"labels\.csv: row 2 \(line 3\), column 'label': 'maybe' is not a label",
        ),
        Case(
            "labels_empty_file",
            "0-byte labels file",
            {"labels.csv": b""},
            [*ok_side, "--labels", "{d}/labels.csv"],
            2,
            r"labels\.csv: file is empty",
        ),
        Case(
            "labels_unknown_entities",
            "labels whose confirmed entities are not in this batch of events",
            {"labels.csv": b"entity_type,entity_id,label\nbuyer,zz9,confirmed\nseller,q,cleared\n"},
            [*ok_side, "--labels", "{d}/labels.csv"],
            0,
            events=4,
        ),
        Case(
            "labels_some_unknown",
            "labels with one confirmed entity in the events and one not",
            {
                "labels.csv": b"entity_type,entity_id,label\nbuyer,zz9,confirmed\nbuyer,b1,confirmed\n"
            },
            [*ok_side, "--labels", "{d}/labels.csv"],
            0,
            events=4,
        ),
        Case(
            "labels_missing_file",
            "--labels pointing at nothing",
            {},
            [*ok_side, "--labels", "{d}/labels.csv"],
            2,
            r"labels\.csv: no such file or folder",
        ),
    )

    # ------------------------------------------------------------------ config
    cfg_cases = [
        (
            "config_invalid_toml",
            "ringlens.toml that is not TOML",
            "[graph\nmax = 1\n",
            r"ringlens\.toml: not valid TOML",
        ),
        (
            "config_unknown_section",
            "[grpah] section",
            "[grpah]\nx = 1\n",
            r"ringlens\.toml: unknown section \[grpah\]",
        ),
        (
            "config_unknown_key",
            "graph.max_degree",
            "[graph]\nmax_degree = 5\n",
            r"ringlens\.toml: unknown key graph\.max_degree",
        ),
        (
            "config_wrong_type",
            "max_target_degree = 'lots'",
            '[graph]\nmax_target_degree = "lots"\n',
            r"ringlens\.toml: graph\.max_target_degree: expected an integer, got 'lots'",
        ),
        (
            "config_section_not_table",
            "graph = 5",
            "graph = 5\n",
            r"ringlens\.toml: \[graph\] must be a table",
        ),
        (
            "config_bad_duration",
            "lockstep_window = 'soon'",
            '[detect]\nlockstep_window = "soon"\n',
            r"detect\.lockstep_window: 'soon' is not a duration",
        ),
        (
            "config_zero_duration",
            "lockstep_window = '0s'",
            '[detect]\nlockstep_window = "0s"\n',
            r"detect\.lockstep_window: must be positive",
        ),
        (
            "config_unknown_sink",
            "export.sinks = ['excel']",
            '[export]\nsinks = ["excel"]\n',
            r"export\.sinks: unknown sink 'excel'",
        ),
        (
            "config_bool_for_int",
            "detect.seed = true",
            "[detect]\nseed = true\n",
            r"detect\.seed: expected an integer, got True",
        ),
        (
            "config_unknown_weight",
            "score.weights = {telepathy = 5}",
            "[score.weights]\ntelepathy = 5\n",
            r"score\.weights.*telepathy",
        ),
        (
            "config_text_weight",
            "score.weights.dense_block = 'high'",
            '[score.weights]\ndense_block = "high"\n',
            r"score\.weights.*dense_block",
        ),
    ]
    for name, what, toml, match in cfg_cases:
        files, cmd = with_cfg(toml)
        add("config", Case(name, what, files, cmd, 2, match))
    # values of the right type but out of range: config.py checks them against its range
    # table when the file is read, naming the file and the setting
    range_cases = [
        (
            "config_negative_degree",
            "graph.max_target_degree = -1",
            "[graph]\nmax_target_degree = -1\n",
            "graph.max_target_degree",
        ),
        (
            "config_zero_min_actors",
            "detect.lockstep_min_actors = 0",
            "[detect]\nlockstep_min_actors = 0\n",
            "detect.lockstep_min_actors",
        ),
        (
            "config_negative_ring_size",
            "detect.min_ring_size = -3",
            "[detect]\nmin_ring_size = -3\n",
            "detect.min_ring_size",
        ),
        (
            "config_nan_margin",
            "export.requeue_margin = nan (fails after the run folder is written)",
            "[export]\nrequeue_margin = nan\n",
            "export.requeue_margin",
        ),
    ]
    range_cases += [
        (
            "config_bad_timezone",
            "input.timezone = 'Mars/Base'",
            '[input]\ntimezone = "Mars/Base"\n',
            "input.timezone: 'Mars/Base' is not an IANA time zone",
        ),
        (
            "config_bad_separator",
            "input.separator = ';;'",
            '[input]\nseparator = ";;"\n',
            "input.separator: expected one ASCII character",
        ),
        (
            "config_format_without_directive",
            "input.timestamp_format = 'dd/mm/yyyy'",
            '[input]\ntimestamp_format = "dd/mm/yyyy"\n',
            "input.timestamp_format: 'dd/mm/yyyy' has no strftime directive",
        ),
    ]
    for name, what, toml, key in range_cases:
        files, cmd = with_cfg(toml)
        match = r"ringlens\.toml: " + key.replace(".", r"\.")
        add("config", Case(name, what, files, cmd, 2, match))
    add(
        "config",
        Case(
            "config_zero_max_nodes",
            "viz.max_nodes = 0, then explore",
            {"ringlens.toml": b"[viz]\nmax_nodes = 0\n"},
            [
                "-q",
                "--config",
                "{d}/ringlens.toml",
                "explore",
                "{run}",
                "--entity",
                "buyer:b1",
                "--output",
                "{out}/x.html",
            ],
            2,
            r"ringlens\.toml: viz\.max_nodes",
        ),
    )
    files, cmd = with_cfg("")
    add(
        "config",
        Case("config_empty", "a 0-byte ringlens.toml (all defaults)", files, cmd, 0, events=4),
        Case(
            "config_binary",
            "ringlens.toml of random bytes",
            {"ringlens.toml": garbage(512, 4)},
            cmd,
            2,
            r"ringlens\.toml: (not valid TOML|cannot be read)",
        ),
        Case(
            "config_utf16",
            "ringlens.toml in UTF-16",
            {"ringlens.toml": "[graph]\nmax_target_degree = 5\n".encode("utf-16")},
            cmd,
            2,
            r"ringlens\.toml: (not valid TOML|cannot be read)",
        ),
        Case(
            "config_not_found",
            "--config pointing at nothing",
            {},
            cmd,
            2,
            r"ringlens\.toml: config file not found",
        ),
        Case(
            "config_env_bad_int",
            "RINGLENS_GRAPH__MAX_TARGET_DEGREE=lots",
            {},
            ["-q", "score", "{ok}", "--out", "{out}"],
            2,
            r"environment \(RINGLENS_\*\): graph\.max_target_degree: expected an integer, got 'lots'",
            extra={"env": {"RINGLENS_GRAPH__MAX_TARGET_DEGREE": "lots"}},
        ),
    )

    # ------------------------------------------------------------------ policy
    q = "[queues.q]\ncapacity = 10\n"
    rule = '[[rules]]\nmin_risk = 50\naction = "suspend"\nqueue = "q"\n'
    pol_cases = [
        (
            "policy_invalid_toml",
            "policy that is not TOML",
            "[[rules]\n",
            r"policy\.toml: not valid TOML",
        ),
        (
            "policy_no_queues",
            "policy without [queues]",
            rule,
            r"policy\.toml: queues: expected at least one",
        ),
        (
            "policy_no_rules",
            "policy without [[rules]]",
            q,
            r"policy\.toml: rules: expected at least one",
        ),
        (
            "policy_unknown_action",
            "action = 'ban'",
            q + rule.replace("suspend", "ban"),
            r"policy\.toml: rules\[0\]\.action: 'ban' is not an action",
        ),
        (
            "policy_min_risk_range",
            "min_risk = 150",
            q + rule.replace("50", "150"),
            r"policy\.toml: rules\[0\]\.min_risk: expected a number from 0 to 100, got 150",
        ),
        (
            "policy_min_risk_nan",
            "min_risk = nan",
            q + rule.replace("50", "nan"),
            r"policy\.toml: rules\[0\]\.min_risk: expected a number from 0 to 100, got nan",
        ),
        (
            "policy_min_risk_text",
            "min_risk = 'high'",
            q + rule.replace("50", '"high"'),
            r"policy\.toml: rules\[0\]\.min_risk",
        ),
        (
            "policy_undefined_queue",
            "queue not under [queues]",
            q + rule.replace('queue = "q"', 'queue = "nowhere"'),
            r"policy\.toml: rules\[0\]\.queue: 'nowhere' is not a queue",
        ),
        (
            "policy_negative_capacity",
            "capacity = -1",
            q.replace("10", "-1") + rule,
            r"policy\.toml: queues\.q\.capacity: expected an integer >= 0, got -1",
        ),
        (
            "policy_version_2",
            "version = 2",
            "version = 2\n" + q + rule,
            r"policy\.toml: version: unsupported policy version 2",
        ),
        (
            "policy_rules_not_list",
            "rules = 5",
            "rules = 5\n" + q,
            r"policy\.toml: rules: expected at least one",
        ),
        (
            "policy_pattern_not_strings",
            "pattern = [1, 2]",
            q + rule + "pattern = [1, 2]\n",
            r"policy\.toml: rules\[0\]\.pattern: expected a list of strings",
        ),
        (
            "policy_unknown_key",
            "rules[0].severity",
            q + rule + 'severity = "high"\n',
            r"policy\.toml: rules\[0\]\.severity: unknown key",
        ),
        (
            "policy_binary",
            "policy of random bytes",
            None,
            r"policy\.toml: (not valid TOML|cannot be read)",
        ),
        (
            "policy_not_found",
            "--policy pointing at nothing",
            "",
            r"policy\.toml: policy file not found",
        ),
    ]
    for name, what, toml, match in pol_cases:
        files, cmd = with_policy(garbage(512, 5) if toml is None else toml)
        if name == "policy_not_found":
            files = {}
        add("policy", Case(name, what, files, cmd, 2, match))
    files, cmd = with_policy(q.replace("10", "0") + rule.replace("50", "0"))
    add(
        "policy",
        Case(
            "policy_zero_capacity",
            "capacity 0, min_risk 0",
            files,
            cmd,
            0,
            events=4,
            check="empty_queue",
        ),
    )

    # ------------------------------------------------------------------ other commands and flags
    add(
        "cli",
        Case(
            "out_is_a_file",
            "--out naming an existing regular file",
            {"occupied": b"not a folder\n"},
            ["-q", "score", "{ok}", "--out", "{d}/occupied"],
            2,
            r"occupied",
            extra={"copy": True},
        ),
        Case(
            "database_bad_scheme",
            "--database mysql://...",
            {},
            ["-q", "score", "{ok}", "--out", "{out}", "--database", "mysql://u:secret@h/db"],
            2,
            r"mysql://",
        ),
        Case(
            "explore_unknown_entity",
            "explore --entity buyer:nobody",
            {},
            ["-q", "explore", "{run}", "--entity", "buyer:nobody", "--output", "{out}/x.html"],
            2,
            r"buyer:nobody",
        ),
        Case(
            "explore_malformed_entity",
            "explore --entity without type:",
            {},
            ["-q", "explore", "{run}", "--entity", "nobody", "--output", "{out}/x.html"],
            2,
            r"'nobody' is not a node key",
        ),
        Case(
            "explore_max_nodes_zero",
            "explore --max-nodes 0",
            {},
            [
                "-q",
                "explore",
                "{run}",
                "--entity",
                "buyer:b1",
                "--max-nodes",
                "0",
                "--output",
                "{out}/x.html",
            ],
            2,
            r"max.nodes",
        ),
        Case(
            "explore_unknown_ring",
            "explore --ring ring_nope",
            {},
            ["-q", "explore", "{run}", "--ring", "ring_nope", "--output", "{out}/x.html"],
            2,
            r"no ring 'ring_nope'",
        ),
        Case(
            "explore_not_a_run",
            "explore a folder that is not a run",
            {"README.txt": b"x\n"},
            ["-q", "explore", "{d}", "--entity", "buyer:b1"],
            2,
            r"not a run folder",
        ),
        Case(
            "diff_not_runs",
            "diff two folders that are not runs",
            {"README.txt": b"x\n"},
            ["-q", "diff", "{d}", "{run}"],
            2,
            r"bad[/\\]diff_not_runs",
        ),
        Case(
            "eval_missing_truth",
            "eval --truth pointing at nothing",
            {},
            ["-q", "eval", "{run}", "--truth", "{d}/truth.parquet"],
            2,
            r"truth\.parquet",
        ),
    )
    return out


CASES_TOML = "cases.toml"
DOC_BEGIN = "<!-- cases:begin (generated by tests/data/make_bad.py --doc) -->"
DOC_END = "<!-- cases:end -->"


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def manifest(cs: list[Case]) -> str:
    lines = [
        "# Generated by tests/data/make_bad.py: do not edit by hand, edit the generator.",
        "# One [[case]] per folder; see the generator's docstring for the fields.",
        "",
    ]
    for c in cs:
        lines.append("[[case]]")
        lines.append(f"name = {_q(c.name)}")
        lines.append(f"group = {_q(c.group)}")
        lines.append(f"what = {_q(c.what)}")
        lines.append("cmd = [" + ", ".join(_q(a) for a in c.cmd) + "]")
        lines.append(f"exit = {c.exit}")
        if c.match:
            lines.append(f"match = {_q(c.match)}")
        if c.events is not None:
            lines.append(f"events = {c.events}")
        if c.check:
            lines.append(f"check = {_q(c.check)}")
        if c.xfail:
            lines.append(f"xfail = {_q(c.xfail)}")
        if c.files:
            lines.append("files = [" + ", ".join(_q(n) for n in sorted(c.files)) + "]")
        for k, v in c.extra.items():
            if isinstance(v, dict):
                inner = ", ".join(f"{_q(a)} = {_q(str(b))}" for a, b in v.items())
                lines.append(f"{k} = {{ {inner} }}")
            elif isinstance(v, bool):
                lines.append(f"{k} = {'true' if v else 'false'}")
            elif isinstance(v, list):
                lines.append(f"{k} = [" + ", ".join(_q(str(x)) for x in v) + "]")
        lines.append("")
    return "\n".join(lines)


def write(target: Path = BAD) -> list[Case]:
    cs = cases()
    names = [c.name for c in cs]
    assert len(names) == len(set(names)), "duplicate case names"
    target.mkdir(parents=True, exist_ok=True)
    for child in target.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
    ok = target / "_ok"
    ok.mkdir()
    (ok / "events.csv").write_bytes(ok_csv())
    for c in cs:
        d = target / c.name
        d.mkdir()
        for fname, data in c.files.items():
            (d / fname).write_bytes(data)
    (target / CASES_TOML).write_text(manifest(cs), encoding="utf-8")
    return cs


def main(argv: list[str]) -> None:
    cs = write()
    total = sum(p.stat().st_size for p in BAD.rglob("*") if p.is_file())
    print(f"wrote {len(cs)} cases to {BAD} ({total / 1024:.0f} KiB)")
    if "--doc" in argv:
        sys.path.insert(0, str(ROOT / "tests" / "hardening"))
        from _runner import write_doc_table  # type: ignore[import-not-found]

        write_doc_table(DOC, BAD, DOC_BEGIN, DOC_END)
        print(f"refreshed {DOC}")


if __name__ == "__main__":
    main(sys.argv[1:])
