"""Issue 14, round 2 of the trust audit: the rings / risk / export breaks, end to end.

Each repro of the issue runs through the ``ringlens`` CLI (in process, see ``_runner``) and
must end with exit 0 and correct output, or exit 2 and one line naming what is wrong —
never a traceback, never a NaN, never a password:

* B1 — entities without ``created_at`` made ``new_account_share`` 0/0, a NaN risk passed
  every ``min_risk`` test and became ``suspend``; plus a property test: no score, feature
  or contribution is NaN or infinite on random tables with missing values;
* B2 — ring ids collided through ``\\n`` in ids (two rings merged into one);
* B3 — queue item ids collided through ``\\x1f`` (the upsert was refused on every run);
* B8 — NUL in ``market`` reached the queue database (SQLite kept a truncated value);
* B9 — passwords with an unencoded ``@`` or ``/`` were printed in part or whole;
* ``ringlens diff`` compares the runs in the order given (a known-answer test).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ringlens
from ringlens.config import load_config
from ringlens.export import validate_queue, write_run

from .._background import background_rows, with_background
from ..export.conftest import pg_server, pg_url  # noqa: F401 - PostgreSQL fixtures
from ._runner import TRACEBACK, Outcome, run_cli

HEADER = "actor_id actor_type target_id target_type action ts".split()
T0 = datetime(2024, 5, 1, tzinfo=UTC)
CFG = load_config(env={})


def assert_clean(o: Outcome) -> None:
    both = o.stdout + o.stderr
    assert not TRACEBACK.search(both), both[-2000:]
    assert o.exception is None, repr(o.exception)
    assert o.exit_code in (0, 2), f"exit {o.exit_code}: {o.stderr[-2000:]}"


def one_error_line(o: Outcome) -> str:
    assert o.exit_code == 2, (o.exit_code, o.stderr[-2000:])
    lines = o.error_lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def write_csv(path: Path, rows: list[list[str]], *, ring_targets: tuple[str, ...]) -> Path:
    """``rows`` (a planted ring) and an organic background of a few hundred buyers ordering
    products, ``ring_targets`` among them: the run's detectors find a ring only when it is
    improbable against the rest of the data (``tests/_background.py``)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
        w.writerows(background_rows(targets=ring_targets))
    return path


# --------------------------------------------------------------------------- B1
def _b1_folder(tmp: Path) -> Path:
    d = tmp / "in"
    d.mkdir()
    rows = [
        [f"b{k}", "buyer", p, "product", "order", f"2024-05-{d_:02d}T00:0{k}:00Z"]
        for d_ in (1, 8)
        for k in range(6)
        for p in ("p1", "p2")
    ]
    write_csv(d / "events.csv", rows, ring_targets=("p1", "p2"))
    (d / "entities.csv").write_text("entity_type,entity_id,display_name\nbuyer,b0,Bee\n")
    return d


def test_b1_unknown_account_age_gives_a_finite_risk_not_suspend(tmp_path: Path) -> None:
    out = tmp_path / "out"
    o = run_cli(["-q", "score", str(_b1_folder(tmp_path)), "--out", str(out), "--no-views"])
    assert_clean(o)
    assert o.exit_code == 0, o.stderr
    q = pl.read_parquet(out / "queue.parquet")
    assert q.height == 6
    assert q["risk_score"].is_finite().all(), q["risk_score"].to_list()
    # six buyers ordering the same two products in two bursts: a ring worth a look, but
    # with no account age known nothing pushes it to the strictest action
    assert "suspend" not in q["action"].to_list()
    rings = pl.read_parquet(out / "rings.parquet")
    assert rings["new_account_share"].to_list() == [None]
    with sqlite3.connect(out / "queue.sqlite") as conn:
        stored = conn.execute("SELECT COUNT(*), MIN(risk_score) FROM queue_items").fetchone()
    assert stored[0] == 6 and math.isfinite(stored[1])
    text = (out / "queue.csv").read_text()
    assert "NaN" not in text and "nan" not in text.lower().split(",")


_ids = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h", "x:y", "=1", "ü"])


@st.composite
def tables(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """Events with a planted lockstep ring in an organic background and noise, entities
    and labels with holes."""
    ring = draw(st.lists(_ids, min_size=4, max_size=7, unique=True))
    rows = [
        ("buyer", a, "product", p, "order", T0 + timedelta(days=7 * d, minutes=k), amount, mk)
        for d in range(2)
        for k, a in enumerate(ring)
        for p in ("p1", "p2")
        for amount, mk in [
            (
                draw(st.one_of(st.none(), st.floats(0, 1e9))),
                draw(st.one_of(st.none(), st.sampled_from(["US", "DE"]))),
            )
        ]
    ]
    for _ in range(draw(st.integers(0, 15))):
        rows.append(
            (
                draw(st.sampled_from(["buyer", "creator"])),
                draw(_ids),
                draw(st.sampled_from(["product", "content", "device", "payment", "creator"])),
                draw(_ids),
                draw(st.sampled_from(["order", "like", "follow", "login", "post", "payout_to"])),
                T0 + timedelta(minutes=draw(st.integers(0, 30_000))),
                draw(st.one_of(st.none(), st.floats(0, 1e9))),
                draw(st.one_of(st.none(), st.sampled_from(["US", "GB"]))),
            )
        )
    cols = ["actor_type", "actor_id", "target_type", "target_id", "action", "ts", "amount"]
    events = pl.DataFrame(rows, schema=[*cols, "market"], orient="row").with_columns(
        pl.col("ts").cast(pl.Datetime("us", "UTC")), pl.col("amount").cast(pl.Float64)
    )
    events = with_background(events, targets=("p1", "p2"))
    entities = None
    if draw(st.booleans()):
        who = draw(st.lists(_ids, max_size=8, unique=True))
        created = [
            draw(st.one_of(st.none(), st.integers(-400, 30).map(lambda d: T0 + timedelta(days=d))))
            for _ in who
        ]
        entities = pl.DataFrame(
            {
                "entity_type": ["buyer"] * len(who),
                "entity_id": who,
                "created_at": pl.Series(created, dtype=pl.Datetime("us", "UTC")),
                "market": [draw(st.one_of(st.none(), st.just("FR"))) for _ in who],
                "display_name": [draw(st.one_of(st.none(), st.just("n"))) for _ in who],
                "prior_violations": pl.Series(
                    [draw(st.one_of(st.none(), st.integers(0, 50))) for _ in who],
                    dtype=pl.Int64,
                ),
            }
        )
    labels = None
    if draw(st.booleans()):
        who = draw(st.lists(_ids, min_size=1, max_size=3, unique=True))
        labels = pl.DataFrame(
            {
                "entity_type": ["buyer"] * len(who),
                "entity_id": who,
                "label": [draw(st.sampled_from(["confirmed", "cleared"])) for _ in who],
            }
        )
    return events, entities, labels


def _non_finite(frame: pl.DataFrame) -> list[tuple[str, object]]:
    """(column, value) of every NaN or infinite float, nested lists included."""
    bad: list[tuple[str, object]] = []
    for name, dtype in frame.schema.items():
        col = frame[name]
        if isinstance(dtype, pl.List) and dtype.inner.is_float():
            col = col.explode()
        elif not dtype.is_float():
            continue
        vals = col.drop_nulls()
        bad += [(name, v) for v in vals.filter(~vals.is_finite()).to_list()]
    return bad


@settings(
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(t=tables())
def test_no_score_feature_or_contribution_is_ever_nan_or_infinite(
    t: tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None],
) -> None:
    events, entities, labels = t
    res = ringlens.score(events, entities=entities, labels=labels, config=CFG)
    for name in ("rings", "entities", "queue"):
        frame = getattr(res, name)
        assert _non_finite(frame) == [], (name, _non_finite(frame))
    for name in ("rings", "entities"):
        risk = getattr(res, name)["risk_score"]
        assert risk.null_count() == 0 and ((risk >= 0) & (risk <= 100)).all(), name
    validate_queue(res.queue)  # what a run publishes, every sink can store


def test_the_property_test_sees_rings_with_unknown_account_ages() -> None:
    """The generator reaches the B1 case (rings whose members have no created_at)."""
    ring = ["a", "b", "c", "d", "e"]
    rows = [
        ("buyer", a, "product", p, "order", T0 + timedelta(days=7 * d, minutes=k), None, None)
        for d in range(2)
        for k, a in enumerate(ring)
        for p in ("p1", "p2")
    ]
    cols = ["actor_type", "actor_id", "target_type", "target_id", "action", "ts", "amount"]
    events = pl.DataFrame(rows, schema=[*cols, "market"], orient="row").with_columns(
        pl.col("ts").cast(pl.Datetime("us", "UTC")), pl.col("amount").cast(pl.Float64)
    )
    events = with_background(events, targets=("p1", "p2"))  # as tables() draws them
    entities = pl.DataFrame(
        {
            "entity_type": ["buyer"],
            "entity_id": ["a"],
            "created_at": pl.Series([None], dtype=pl.Datetime("us", "UTC")),
            "market": pl.Series([None], dtype=pl.String),
            "display_name": ["Bee"],
            "prior_violations": pl.Series([None], dtype=pl.Int64),
        }
    )
    res = ringlens.score(events, entities=entities, config=CFG)
    assert res.rings.height == 1 and res.rings["new_account_share"].to_list() == [None]
    assert res.queue["risk_score"].is_finite().all()


# --------------------------------------------------------------------------- B2, B3
def test_b2_newline_in_ids_keeps_two_rings_apart(tmp_path: Path) -> None:
    r1 = list("abcdefghij")
    # ids that spell other members' keys around a newline: "a\nbuyer:b", ...
    r2 = [f"{x}\nbuyer:{y}" for x, y in zip(r1[::2], r1[1::2], strict=True)]
    rows = []
    for d in (1, 8):
        for k, a in enumerate(r1):
            for p in ("p1", "p2"):
                rows.append([a, "buyer", p, "product", "order", f"2024-05-{d:02d}T00:{k:02d}:00Z"])
        for k, a in enumerate(r2):
            for p in ("q1", "q2"):
                rows.append(
                    [a, "buyer", p, "product", "order", f"2024-05-{d + 3:02d}T00:{k:02d}:00Z"]
                )
    src = write_csv(tmp_path / "r2.csv", rows, ring_targets=("p1", "p2", "q1", "q2"))
    out = tmp_path / "out"
    o = run_cli(["-q", "score", str(src), "--out", str(out), "--no-views"])
    assert_clean(o)
    assert o.exit_code == 0, o.stderr
    rings = pl.read_parquet(out / "rings.parquet").sort("size", descending=True)
    assert rings["size"].to_list() == [10, 5]
    assert rings["ring_id"].n_unique() == 2
    members = [sorted(m) for m in rings["members"].to_list()]
    assert members == [sorted(f"buyer:{a}" for a in r1), sorted(f"buyer:{a}" for a in r2)]


def test_b3_unit_separator_in_type_or_id_keeps_queue_items_apart(tmp_path: Path) -> None:
    ring = [("buyer", "x\x1fy"), ("buyer\x1fx", "y")] + [("buyer", f"m{i}") for i in range(4)]
    rows = [
        [a, t, p, "product", "order", f"2024-05-{d:02d}T00:0{k}:00Z"]
        for d in (1, 8)
        for k, (t, a) in enumerate(ring)
        for p in ("p1", "p2")
    ]
    src = write_csv(tmp_path / "r3.csv", rows, ring_targets=("p1", "p2"))
    out = tmp_path / "out"
    for _ in range(2):  # the second run goes through the update path of the upsert
        o = run_cli(["-q", "score", str(src), "--out", str(out), "--no-views"])
        assert_clean(o)
        assert o.exit_code == 0, o.stderr
    q = pl.read_parquet(out / "queue.parquet")
    assert q.height == 6 and q["queue_item_id"].n_unique() == 6
    with sqlite3.connect(out / "queue.sqlite") as conn:
        stored = conn.execute(
            "SELECT entity_type, entity_id FROM queue_items ORDER BY entity_type, entity_id"
        ).fetchall()
    assert sorted(stored) == sorted(ring)


# --------------------------------------------------------------------------- B8
def test_b8_nul_in_market_never_reaches_the_queue_database(tmp_path: Path) -> None:
    rows = [
        [f"b{k}", "buyer", p, "product", "order", f"2024-05-{d:02d}T00:0{k}:00Z"]
        for d in (1, 8)
        for k in range(6)
        for p in ("p1", "p2")
    ]
    events = pl.DataFrame(rows, schema=HEADER, orient="row").with_columns(market=pl.lit("F\x00R"))
    src = tmp_path / "events.parquet"
    events.write_parquet(src)
    out = tmp_path / "out"
    o = run_cli(["-q", "score", str(src), "--out", str(out), "--no-views"])
    assert_clean(o)
    line = one_error_line(o)
    assert "market" in line and "NUL" in line, line
    db = out / "queue.sqlite"
    if db.exists():  # nothing stored, least of all a value cut short at the NUL
        with sqlite3.connect(db) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            n = (
                conn.execute("SELECT COUNT(*) FROM queue_items").fetchone()[0]
                if ("queue_items" in tables)
                else 0
            )
        assert n == 0


# --------------------------------------------------------------------------- B9
SECRET_URLS = [
    "postgresql://rev:Pa@ss-TopSecret@127.0.0.1:1/db",
    "postgresql://rev:a/b/TopSecret@127.0.0.1:1/db",
    "host=127.0.0.1 port=1 dbname=db user=rev password=TopSecret",
]


@pytest.mark.parametrize("url", SECRET_URLS)
@pytest.mark.parametrize("flags", [[], ["--debug"], ["--log-json"]])
def test_b9_unreachable_postgres_one_line_without_the_password(
    url: str, flags: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "out"
    events = _b1_folder(tmp_path) / "events.csv"
    o = run_cli([*flags, "score", str(events), "--out", str(out), "--no-views", "--database", url])
    assert_clean(o)
    assert o.exit_code == 2, o.stderr
    errors = [ln for ln in o.error_lines if "error" in ln]
    assert len(errors) == 1, o.error_lines
    assert "127.0.0.1" in errors[0]
    everything = o.stdout + o.stderr + caplog.text
    for p in out.rglob("*"):
        if p.is_file() and p.suffix in (".json", ".csv", ".jsonl", ".html"):
            everything += p.read_text("utf-8", errors="replace")
    assert "TopSecret" not in everything
    assert "Pa@ss" not in everything and "a/b/" not in everything


@pytest.mark.postgres
def test_b9_password_with_at_and_slash_connects_and_is_never_written(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The throwaway server trusts every login, so any password connects: the URL is
    read as written (user and password end at the last '@'), and no output shows it."""
    caplog.set_level(logging.DEBUG)
    user_host = pg_url.split("://", 1)[1]
    user, host = user_host.split("@", 1)
    url = f"postgresql://{user}:Pa@ss/TopSecret@{host}"
    out = tmp_path / "out"
    events = _b1_folder(tmp_path) / "events.csv"
    o = run_cli(["--debug", "score", str(events), "--out", str(out), "--database", url, "--json"])
    assert_clean(o)
    assert o.exit_code == 0, o.stderr
    report = json.loads(o.stdout)
    assert report["database"]["inserted"] == 6
    assert report["database"]["target"].startswith(f"postgresql://{user}:***@")
    everything = o.stdout + o.stderr + caplog.text + (out / "run.json").read_text()
    assert "TopSecret" not in everything and "Pa@ss" not in everything


def test_b9_password_in_settings_never_reaches_run_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    events = _b1_folder(tmp_path) / "events.csv"
    o = run_cli(
        ["score", str(events), "--out", str(out), "--no-views", "--json"],
        env={"RINGLENS_EXPORT__DATABASE": SECRET_URLS[0]},
    )
    assert_clean(o)
    run_json = out / "run.json"
    text = o.stdout + o.stderr + (run_json.read_text() if run_json.exists() else "")
    assert "TopSecret" not in text


# --------------------------------------------------------------------------- diff
def test_diff_compares_the_runs_in_the_order_given(tmp_path: Path) -> None:
    """Known answer: from run A to run B one ring is new, one gone, one grown."""

    def rings(rows: list[tuple[str, float, list[str]]]) -> pl.DataFrame:
        return pl.DataFrame(
            [(r, "brushing", risk, m, len(m)) for r, risk, m in rows],
            schema=["ring_id", "pattern", "risk_score", "members", "size"],
            orient="row",
        )

    a = rings([("ring_a", 50.0, ["b:1", "b:2", "b:3"]), ("ring_old", 70.0, ["c:1", "c:2"])])
    b = rings([("ring_b", 80.0, ["b:1", "b:2", "b:3", "b:4"]), ("ring_new", 60.0, ["d:1", "d:2"])])
    q = pl.DataFrame(
        {"queue_item_id": ["q1"], "entity_type": ["b"], "entity_id": ["1"],
         "action": ["monitor"], "risk_score": [50.0]}
    )  # fmt: skip
    write_run(tmp_path / "a", {"rings.parquet": a, "queue.parquet": q})
    write_run(
        tmp_path / "b",
        {"rings.parquet": b, "queue.parquet": q.with_columns(action=pl.lit("suspend"))},
    )
    o = run_cli(["diff", str(tmp_path / "a"), str(tmp_path / "b"), "--json"])
    assert_clean(o)
    assert o.exit_code == 0, o.stderr
    s = json.loads(o.stdout)
    assert s["run_a"] == str(tmp_path / "a") and s["run_b"] == str(tmp_path / "b")
    assert {k: v for k, v in s["rings"].items() if v} == {"new": 1, "gone": 1, "grown": 1}
    assert s["queue"]["action_changed"] == 1
