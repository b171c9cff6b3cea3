"""Every case of the bad-input corpus (``tests/data/bad/cases.toml``) through the CLI.

For each case: the exit code is the expected one, nothing prints a traceback, and a user
mistake (exit 2) prints exactly one line on stderr, ``error: ...``, matching the case's
regex (which names the file, column, row or setting). Cases that exit 0 are checked for
the events read and a complete run folder, plus a named check where one is given.
Known bugs are ``xfail(strict=True)``: when one is fixed, its test fails until the
manifest entry loses its ``xfail``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ._runner import BAD, ROOT, TRACEBACK, Outcome, load_cases, make_run, run_case, run_cli

CASES = load_cases()
DOC = ROOT / "docs" / "reliability.md"


def _make_bad() -> Any:
    name = "ringlens_make_bad"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "data" / "make_bad.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("run"))


def _params() -> list[Any]:
    out = []
    for c in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=c["xfail"])] if c.get("xfail") else []
        out.append(pytest.param(c, id=c["name"], marks=marks))
    return out


def assert_clean(o: Outcome) -> None:
    """No traceback anywhere, no exception escaped the CLI's guard."""
    both = o.stdout + o.stderr
    assert not TRACEBACK.search(both), both[-2000:]
    assert o.exception is None, repr(o.exception)
    assert o.exit_code != 1, f"internal error (exit 1): {o.stderr}"


def assert_one_line_error(o: Outcome, pattern: str) -> str:
    lines = o.error_lines
    assert len(lines) == 1, f"expected one error line, got {len(lines)}: {lines[:5]}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert re.search(pattern, line), f"{line!r} does not match {pattern!r}"
    return line


# --------------------------------------------------------------------------- named checks
def _input_of(case: dict[str, Any]) -> Path:
    args = case["cmd"]
    for i, a in enumerate(args):
        if a in ("score", "graph-stats"):
            return Path(args[i + 1].replace("{d}", str(BAD / case["name"])))
    raise AssertionError("no input in the command")


def _graph_keys(path: Path) -> list[str]:
    o = run_cli(["-q", "graph-stats", str(path), "--json", "--top", "1000"])
    assert o.exit_code == 0, o.stderr
    return [row["key"] for row in json.loads(o.stdout)["top_degree"]]


def check_ids_roundtrip(case: dict[str, Any], o: Outcome, out: Path) -> None:
    keys = _graph_keys(_input_of(case))
    ids = {k.split(":", 1)[1] for k in keys}
    for want in case["ids"]:
        assert want in ids, (want, sorted(ids)[:10])
    assert len(keys) == len(set(keys))


def check_same_instant(case: dict[str, Any], o: Outcome, out: Path) -> None:
    from ringlens.io import load_events

    ts = load_events(_input_of(case))["ts"]
    assert ts.n_unique() == 1, ts.to_list()
    assert str(ts.dtype) == "Datetime(time_unit='us', time_zone='UTC')"


def check_empty_queue(case: dict[str, Any], o: Outcome, out: Path) -> None:
    assert pl.read_parquet(out / "queue.parquet").height == 0
    assert json.loads(o.stdout)["counts"]["queue"] == 0


CHECKS: dict[str, Callable[[dict[str, Any], Outcome, Path], None]] = {
    "ids_roundtrip": check_ids_roundtrip,
    "same_instant": check_same_instant,
    "empty_queue": check_empty_queue,
}


# --------------------------------------------------------------------------- the corpus
@pytest.mark.parametrize("case", _params())
def test_case(case: dict[str, Any], tmp_path: Path, run_dir: Path) -> None:
    o, out = run_case(case, tmp_path, run_dir)
    assert_clean(o)
    assert o.exit_code == case["exit"], f"exit {o.exit_code}: {o.stderr[-1500:]}"
    if case["exit"] == 2:
        assert_one_line_error(o, case["match"])
        assert o.stdout.strip() == ""
        return
    if "score" in case["cmd"]:
        report = json.loads(o.stdout)
        if "events" in case:
            assert report["counts"]["events"] == case["events"]
        for name in ("run.json", "rings.parquet", "entities.parquet", "queue.parquet"):
            assert (out / name).is_file(), name
        assert (out / "viz" / "index.html").is_file()
    if case.get("check"):
        CHECKS[case["check"]](case, o, out)


def test_corpus_size_and_count() -> None:
    total = sum(p.stat().st_size for p in BAD.rglob("*") if p.is_file())
    assert total < 2 * 1024 * 1024, total
    assert len(CASES) >= 40
    assert len({c["name"] for c in CASES}) == len(CASES)
    for c in CASES:
        assert c["exit"] in (0, 2), c["name"]
        assert (c["exit"] == 2) == bool(c.get("match")), c["name"]
        assert c.get("check", "") in ("", *CHECKS), c["name"]


def test_manifest_matches_generator() -> None:
    """cases.toml and the case folders are what make_bad.py writes (re-run it after edits)."""
    mb = _make_bad()
    cases = mb.cases()
    assert (BAD / "cases.toml").read_text("utf-8") == mb.manifest(cases)
    for c in cases:
        for name, data in c.files.items():
            p = BAD / c.name / name
            assert p.is_file(), p
            if not name.endswith(".parquet"):  # Parquet bytes depend on the writer version
                assert p.read_bytes() == data, p


def test_docs_list_every_case() -> None:
    """docs/reliability.md has one row per case, with the expected exit code."""
    text = DOC.read_text("utf-8")
    rows = {}
    for line in text.splitlines():
        m = re.match(
            r"\| `([a-z0-9_]+)` \| [a-z]+ \| .* \| exit (\d)( \(xfail\))? \| (\d) \|", line
        )
        if m:
            rows[m.group(1)] = (int(m.group(2)), bool(m.group(3)), int(m.group(4)))
    missing = [c["name"] for c in CASES if c["name"] not in rows]
    assert not missing, f"run `python tests/data/make_bad.py --doc`: missing {missing}"
    for c in CASES:
        exp, xf, observed = rows[c["name"]]
        assert exp == c["exit"] and xf == bool(c.get("xfail")), c["name"]
        if not c.get("xfail"):
            assert observed == c["exit"], c["name"]
    for name in ("million_events_one_actor", "target_hit_by_everyone"):
        assert f"`{name}`" in text, name


# --------------------------------------------------------------------------- generated at test time
def _events(actor: pl.Expr, target: pl.Expr, seconds: pl.Expr, n: int) -> pl.DataFrame:
    from datetime import datetime

    t0 = datetime(2024, 5, 1)
    return pl.select(i=pl.int_range(0, n, dtype=pl.Int64)).select(
        actor.alias("actor_id"),
        pl.lit("buyer").alias("actor_type"),
        target.alias("target_id"),
        pl.lit("product").alias("target_type"),
        pl.lit("order").alias("action"),
        (pl.lit(t0) + pl.duration(seconds=seconds)).alias("ts"),
    )


def test_million_events_one_actor(tmp_path: Path) -> None:
    """One buyer, 1,000,000 orders over 5,000 products: scores, exits 0, queues nothing."""
    n = 1_000_000
    i = pl.col("i")
    _events(pl.lit("a0"), (i % 5000).cast(pl.String), i, n).write_parquet(tmp_path / "e.parquet")
    t = time.perf_counter()
    o = run_cli(
        ["-q", "score", str(tmp_path / "e.parquet"), "--out", str(tmp_path / "o"), "--json"]
        + ["--no-views"]
    )
    secs = time.perf_counter() - t
    assert_clean(o)
    assert o.exit_code == 0, o.stderr
    counts = json.loads(o.stdout)["counts"]
    assert counts["events"] == n and counts["nodes"] == 5001 and counts["edges"] == 5000
    assert secs < 90, secs


def test_target_hit_by_everyone(tmp_path: Path) -> None:
    """100,000 buyers order one product within a minute: the target is over
    graph.max_target_degree, so it links nobody; the run exits 0 with an empty queue."""
    n = 100_000
    i = pl.col("i")
    _events(i.cast(pl.String), pl.lit("p0"), i % 60, n).write_parquet(tmp_path / "e.parquet")
    t = time.perf_counter()
    o = run_cli(
        ["-q", "score", str(tmp_path / "e.parquet"), "--out", str(tmp_path / "o"), "--json"]
    )
    secs = time.perf_counter() - t
    assert_clean(o)
    assert o.exit_code == 0, o.stderr
    counts = json.loads(o.stdout)["counts"]
    assert counts["events"] == n and counts["nodes"] == n + 1
    assert counts["rings"] == 0 and counts["queue"] == 0
    assert secs < 60, secs
